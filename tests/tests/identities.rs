//! Each function with its own identity, against a cluster enforcing the shipped RBAC manifests: links and
//! warm read with the reader kubeconfig, secrets-list with the lister's, secrets-add with the writer's —
//! as on EKS, where each function's IAM role maps to its own group. All of them answer correctly, and
//! together they use every verb the manifests grant and no other.

use gluelinks_core::config::Env;
use gluelinks_http::response::body_json;
use gluelinks_tests::emulator::rbac::{Identity, Rbac};
use gluelinks_tests::emulator::{demo, Emulator};
use gluelinks_tests::openapi::Checked;
use gluelinks_tests::{event_text, temp_dir};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;

const READ: &str = "sample-proxy-token-0123456789";
const WRITE: &str = "sample-operator-token-0123456789";

fn request(event: &str, edit: impl FnOnce(&mut Value)) -> lambda_http::Request {
    let mut e: Value = serde_json::from_str(&event_text(event)).unwrap();
    edit(&mut e);
    lambda_http::request::from_str(&e.to_string()).unwrap()
}

fn add_docker(upsert: bool) -> lambda_http::Request {
    request("secrets-add-docker.json", |e| {
        e["headers"]["authorization"] = format!("Bearer {WRITE}").into();
        e["body"] =
            json!({"username": "octo", "password": "pw-identities-0123", "cluster_name": "demo",
            "name": "ghcr-identities", "namespaces": "default", "upsert": upsert})
            .to_string()
            .into();
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_works_with_only_its_own_identity() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let emulator = Emulator::start().await;
    demo::seed(&emulator);
    // The shipped manifests, with the lister and writer also bound where the demo keeps pull secrets, as
    // the manifests' commented RoleBindings say to do.
    let rbac_text = demo::rbac();
    emulator.enforce_manifests(&rbac_text);
    let identities = [
        ("reader", "links-role", "gluelinks"),
        ("lister", "secrets-list-role", "gluelinks-secrets-lister"),
        ("writer", "secrets-add-role", "gluelinks-secrets-writer"),
    ];
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (name, user, group) in identities {
        let token = format!("{name}-token-0123456789");
        emulator.add_token(&token, user, &[group]);
        let dir = temp_dir(&format!("identities-{name}"));
        let kubeconfig = emulator.kubeconfig_with_token("demo", &token);
        std::fs::write(dir.join("demo.kubeconfig"), kubeconfig).unwrap();
        dirs.push(dir);
    }
    let dir = |i: usize| dirs[i].to_str().unwrap();
    // One environment, as `make run` has: each function picks its own identity's store from it.
    let env = Env::from_pairs([
        ("AUTH_PROXY_TOKEN", READ),
        ("AUTH_OPERATOR_TOKEN", WRITE),
        ("CLUSTERS_DIR", dir(0)),
        ("SECRETS_LIST_CLUSTERS_DIR", dir(1)),
        ("SECRETS_ADD_CLUSTERS_DIR", dir(2)),
        ("SECRETS_LIST_NAMESPACES", "default,kube-system"),
    ]);

    let links = links::Links::from_env(&env).await.unwrap();
    let response = links
        .handle_checked(request("links-header-only.json", |_| {}))
        .await;
    let body = body_json(&response);
    assert_eq!(response.status(), 200, "{body}");
    for category in body["categories"].as_array().unwrap() {
        assert_eq!(category["status"], "ok", "{category}");
    }
    assert_eq!(body["metadata"]["resources"]["podsFound"], 2, "{body}");

    let warm = warm::Warm::from_env(&env).await.unwrap();
    let scheduled = LambdaEvent::new(
        serde_json::from_str(&event_text("warm-scheduled.json")).unwrap(),
        Context::default(),
    );
    let report = warm.handle(scheduled).await.unwrap();
    assert!(report.failures.is_empty() && report.apps == 5, "{report:?}");

    let list = secrets_list::SecretsList::from_env(&env).await.unwrap();
    let response = list
        .handle_checked(request("secrets-list-demo.json", |_| {}))
        .await;
    let body = body_json(&response);
    assert_eq!(
        (response.status().as_u16(), body["status"].as_str()),
        (200, Some("success")),
        "{body}"
    );
    assert_eq!(body["total_repositories"], 2, "{body}");
    assert_eq!(body["total_docker_creds"], 1, "{body}");

    let add = secrets_add::SecretsAdd::from_env(&env).await.unwrap();
    for upsert in [false, true] {
        let response = add.handle_checked(add_docker(upsert)).await;
        assert_eq!(response.status(), 200, "{}", body_json(&response));
    }

    // Every verb granted was used, by the identity it is granted to, and nothing else was asked.
    let rbac = Rbac::from_yaml(&rbac_text).unwrap();
    for (_, user, group) in identities {
        let used: BTreeSet<(String, String)> = emulator
            .requests()
            .into_iter()
            .filter(|r| r.user.as_deref() == Some(user))
            .filter_map(|r| Some((r.verb?.to_string(), r.resource?)))
            .collect();
        let granted = rbac.grants(&Identity {
            user: user.into(),
            groups: vec![group.into()],
        });
        assert_eq!(used, granted, "{user} ({group})");
    }
}

//! The shipped RBAC (`shared/rbac/`) in a cluster that enforces it. Each function with its own identity:
//! links and warm read with the reader kubeconfig, secrets-list with the lister's, secrets-add with the
//! writer's — as on EKS, where each function's IAM role maps to its own group. All of them answer
//! correctly, and together they use every verb the manifests grant and no other. And call by call, each
//! identity (and each service account of a static kubeconfig) may do exactly what the manifests say.

use gluelinks_emulator::project::temp_dir;
use gluelinks_emulator::rbac::{Identity, Rbac};
use gluelinks_emulator::{demo, shipped_rbac, Emulator};
use gluelinks_tests::functions::scheduled_run;
use gluelinks_tests::harness::{event, pool, Event, Stack, OPERATOR_TOKEN};
use gluelinks_tests::openapi::Checked;
use kube::api::{ListParams, PostParams};
use kube::Api;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;

fn add_docker(upsert: bool) -> lambda_http::Request {
    let body = json!({"username": "octo", "password": "pw-identities-0123", "cluster_name": "demo",
        "name": "ghcr-identities", "namespaces": "default", "upsert": upsert});
    Event::sample("secrets-add-docker.json")
        .bearer(OPERATOR_TOKEN)
        .body(&body.to_string())
        .request()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_works_with_only_its_own_identity() {
    // The shipped manifests, with the lister and writer also bound where the demo keeps pull secrets, as
    // the manifests' commented RoleBindings say to do; one kubeconfig per identity.
    let s = Stack::demo("identities").await.enforcing_rbac();
    let emulator = &s.emulator;
    // One environment, as `make run` has: each function picks its own identity's store from it.
    let env = s.env(&[]);

    let links = links::Links::from_env(&env).await.unwrap();
    let (status, body) = links.answer(event("links-header-only.json")).await;
    assert_eq!(status, 200, "{body}");
    for category in body["categories"].as_array().unwrap() {
        assert_eq!(category["status"], "ok", "{category}");
    }
    assert_eq!(body["metadata"]["resources"]["podsFound"], 2, "{body}");

    let report = scheduled_run(&env).await.unwrap();
    assert!(report.failures.is_empty() && report.apps == 5, "{report:?}");

    let list = secrets_list::SecretsList::from_env(&env).await.unwrap();
    let (status, body) = list.answer(event("secrets-list-demo.json")).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("success")),
        "{body}"
    );
    assert_eq!(body["total_repositories"], 2, "{body}");
    assert_eq!(body["total_docker_creds"], 1, "{body}");

    let add = secrets_add::SecretsAdd::from_env(&env).await.unwrap();
    for upsert in [false, true] {
        let (status, body) = add.answer(add_docker(upsert)).await;
        assert_eq!(status, 200, "{body}");
    }
    // And removes it again, as the writer, where the admission policy lets it delete its own only.
    let remove = json!({"cluster_name": "demo", "name": "ghcr-identities", "kind": "docker",
        "namespaces": "default,argocd"});
    let (status, body) = add
        .answer(
            Event::sample("secrets-add-remove.json")
                .bearer(OPERATOR_TOKEN)
                .body(&remove.to_string())
                .request(),
        )
        .await;
    assert_eq!(
        (status, &body["totals"]["removed"]),
        (200, &json!(2)),
        "{body}"
    );

    // Every verb granted was used, by the identity it is granted to, and nothing else was asked.
    let rbac = Rbac::from_yaml(&demo::rbac()).unwrap();
    for (_, user, group) in Stack::identities() {
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

/// One call, as one identity, in the RBAC table below.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// List a resource in a namespace, or cluster-wide.
    List(&'static str, Option<&'static str>),
    Get(&'static str, &'static str, &'static str),
    /// A repository secret labelled as GlueLinks' own.
    CreateSecret(&'static str),
    /// A secret without GlueLinks' label.
    CreateUnmarked(&'static str),
    UpdateSecret(&'static str, &'static str),
    PatchSecret(&'static str, &'static str),
    DeleteSecret(&'static str, &'static str),
}

fn resource(plural: &str) -> kube::api::ApiResource {
    let (group, version, kind) = match plural {
        "secrets" => ("", "v1", "Secret"),
        "pods" => ("", "v1", "Pod"),
        "deployments" => ("apps", "v1", "Deployment"),
        "statefulsets" => ("apps", "v1", "StatefulSet"),
        "daemonsets" => ("apps", "v1", "DaemonSet"),
        "rollouts" => ("argoproj.io", "v1alpha1", "Rollout"),
        "applications" => ("argoproj.io", "v1alpha1", "Application"),
        "externalsecrets" => ("external-secrets.io", "v1", "ExternalSecret"),
        other => panic!("no kind for {other}"),
    };
    kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(group, version, kind))
}

/// The HTTP status `op` gets: 200 when it succeeds.
async fn attempt(client: &kube::Client, emulator: &Emulator, op: Op) -> u16 {
    use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams};
    let api = |plural: &str, namespace: Option<&str>| match namespace {
        Some(ns) => Api::<DynamicObject>::namespaced_with(client.clone(), ns, &resource(plural)),
        None => Api::<DynamicObject>::all_with(client.clone(), &resource(plural)),
    };
    let pp = PostParams::default();
    let result = match op {
        Op::List(plural, ns) => api(plural, ns).list(&ListParams::default()).await.map(drop),
        Op::Get(plural, ns, name) => api(plural, Some(ns)).get(name).await.map(drop),
        Op::CreateSecret(ns) | Op::CreateUnmarked(ns) => {
            let labels = match op {
                Op::CreateSecret(_) => json!({"app.kubernetes.io/managed-by": "gluelinks",
                    "argocd.argoproj.io/secret-type": "repository"}),
                _ => json!({}),
            };
            let secret = serde_json::from_value(json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "rbac-probe", "labels": labels}, "stringData": {"a": "b"}}))
            .unwrap();
            api("secrets", Some(ns))
                .create(
                    &PostParams {
                        dry_run: true,
                        ..pp
                    },
                    &secret,
                )
                .await
                .map(drop)
        }
        Op::UpdateSecret(ns, name) => {
            let current = emulator.object("", "v1", "secrets", ns, name).unwrap();
            let current = serde_json::from_value(current).unwrap();
            api("secrets", Some(ns))
                .replace(name, &pp, &current)
                .await
                .map(drop)
        }
        Op::PatchSecret(ns, name) => {
            let patch = Patch::Merge(json!({"metadata": {"labels": {"patched": "yes"}}}));
            api("secrets", Some(ns))
                .patch(name, &PatchParams::default(), &patch)
                .await
                .map(drop)
        }
        Op::DeleteSecret(ns, name) => api("secrets", Some(ns))
            .delete(name, &DeleteParams::default())
            .await
            .map(drop),
    };
    match result {
        Ok(()) => 200,
        Err(kube::Error::Api(status)) => status.code,
        Err(other) => panic!("{op:?}: {other}"),
    }
}

#[tokio::test]
async fn shipped_rbac_grants_exactly_what_the_functions_use() {
    use Op::*;
    let s = Stack::demo("rbac").await;
    let emulator = &s.emulator;
    emulator.enforce_manifests(&shipped_rbac());
    let dir = temp_dir("rbac");
    let identities = [
        ("reader", "links-bot", vec!["gluelinks"]),
        ("lister", "lister-bot", vec!["gluelinks-secrets-lister"]),
        ("writer", "writer-bot", vec!["gluelinks-secrets-writer"]),
        (
            "sa-lister",
            "system:serviceaccount:gluelinks:gluelinks-secrets-lister",
            vec![],
        ),
        (
            "sa-writer",
            "system:serviceaccount:gluelinks:gluelinks-secrets-writer",
            vec![],
        ),
        (
            "sa-reader",
            "system:serviceaccount:gluelinks:gluelinks-reader",
            vec![],
        ),
    ];
    for (name, user, groups) in &identities {
        let token = format!("{name}-token-0123456789");
        emulator.add_token(&token, user, groups);
        let kubeconfig = emulator.kubeconfig_with_token(name, &token);
        std::fs::write(dir.join(format!("{name}.kubeconfig")), kubeconfig).unwrap();
    }
    let clients = pool(&dir, Duration::from_secs(2));
    let table: &[(&str, Op, u16)] = &[
        // Links and warm: what they call, and nothing else — no Secret at all.
        (
            "reader",
            Get("applications", "glueops-core", "taco-backend-prod"),
            200,
        ),
        ("reader", List("applications", None), 200),
        ("reader", List("deployments", Some("nonprod")), 200),
        ("reader", List("deployments", None), 200),
        ("reader", List("statefulsets", Some("ledger")), 200),
        ("reader", List("statefulsets", None), 200),
        ("reader", List("daemonsets", Some("monitoring")), 200),
        ("reader", List("daemonsets", None), 200),
        ("reader", List("rollouts", Some("shop")), 200),
        ("reader", List("rollouts", None), 200),
        ("reader", Get("rollouts", "shop", "checkout"), 403),
        ("reader", List("externalsecrets", Some("shop")), 200),
        ("reader", List("pods", Some("nonprod")), 200),
        ("reader", List("externalsecrets", None), 200),
        (
            "reader",
            Get("deployments", "nonprod", "taco-backend-prod"),
            403,
        ),
        (
            "reader",
            Get("pods", "payments", "billing-api-5d9c7f8b4-qq7nz"),
            403,
        ),
        ("reader", List("secrets", None), 403),
        ("reader", List("secrets", Some("argocd")), 403),
        ("reader", Get("secrets", "argocd", "github-org-creds"), 403),
        ("sa-reader", List("pods", None), 200),
        (
            "sa-reader",
            Get("secrets", "argocd", "github-org-creds"),
            403,
        ),
        // The lister lists secrets where credentials live (the Argo CD namespace by default), and cannot
        // list elsewhere, read one by name, write one, or read anything else.
        ("lister", List("secrets", Some("argocd")), 200),
        ("lister", List("secrets", None), 403),
        ("lister", List("secrets", Some("default")), 403),
        ("lister", Get("secrets", "argocd", "github-org-creds"), 403),
        ("lister", CreateSecret("argocd"), 403),
        ("lister", UpdateSecret("argocd", "bitnami-helm"), 403),
        ("lister", List("pods", None), 403),
        (
            "lister",
            Get("applications", "glueops-core", "taco-backend-prod"),
            403,
        ),
        // The writer gets, creates, updates and deletes in its bound namespaces only (the Argo CD namespace by
        // default), and lists nothing; the admission policy lets it write only GlueLinks' own secrets
        // (422: refused by the ValidatingAdmissionPolicy).
        ("writer", Get("secrets", "argocd", "github-org-creds"), 200),
        ("writer", CreateSecret("argocd"), 200),
        ("writer", CreateUnmarked("argocd"), 422),
        ("writer", UpdateSecret("argocd", "bitnami-helm"), 200),
        ("writer", UpdateSecret("argocd", "github-org-creds"), 422),
        ("writer", CreateSecret("default"), 403),
        ("writer", CreateSecret("kube-system"), 403),
        ("writer", Get("secrets", "payments", "anything"), 403),
        ("writer", List("secrets", None), 403),
        ("writer", List("secrets", Some("argocd")), 403),
        ("writer", PatchSecret("argocd", "bitnami-helm"), 403),
        ("writer", DeleteSecret("default", "anything"), 403),
        ("writer", List("pods", None), 403),
        // Static kubeconfigs: each secrets function's service account has its own function's verbs only.
        ("sa-lister", List("secrets", Some("argocd")), 200),
        ("sa-lister", List("secrets", None), 403),
        ("sa-lister", CreateSecret("argocd"), 403),
        ("sa-lister", UpdateSecret("argocd", "bitnami-helm"), 403),
        ("sa-writer", UpdateSecret("argocd", "bitnami-helm"), 200),
        ("sa-writer", CreateUnmarked("argocd"), 422),
        ("sa-writer", List("secrets", None), 403),
        ("sa-writer", List("pods", None), 403),
        // The writer deletes (the remove route) only what GlueLinks created: another's secret is refused
        // by the admission policy, its own removed.
        ("writer", DeleteSecret("argocd", "github-org-creds"), 422),
        ("writer", DeleteSecret("argocd", "bitnami-helm"), 200),
    ];
    for (who, op, expected) in table {
        let client = clients.client(who).await.unwrap();
        assert_eq!(
            attempt(&client, emulator, *op).await,
            *expected,
            "{who} {op:?}"
        );
    }
}

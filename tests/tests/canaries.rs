//! Secrets never escape: every route is driven with recognisable canary tokens, passwords and an SSH key,
//! and every captured log line, metric line, response body and cache entry is scanned for them.
//!
//! Its own test binary: it reads everything the process logged and emitted as metrics.

use gluelinks_core::metrics;
use gluelinks_tests::functions::Functions;
use gluelinks_tests::harness::{Event, Stack};
use gluelinks_tests::logs::captured_logs;
use gluelinks_tests::openapi::Checked;
use gluelinks_tests::servers::Valkey;
use gluelinks_tests::template::template_routes;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};

const READ: &str = "canary-read-token-5e1f0c2a";
const WRITE: &str = "canary-write-token-9b7d4e11";
const PASSWORD: &str = "canary-password-3c8e77f0";
const REPO_SECRET: &str = "canary-repo-secret-d41d8cd9";
const SSH_BODY: &str = "Y2FuYXJ5LXNzaC1rZXktYm9keS0wN2Y0";

fn ssh_key() -> String {
    format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{SSH_BODY}\n-----END OPENSSH PRIVATE KEY-----\n")
}

fn request(event: &str, token: &str, body: Option<Value>) -> lambda_http::Request {
    let event = Event::sample(event).token(token);
    match body {
        Some(body) => event.body(&body.to_string()).request(),
        None => event.request(),
    }
}

fn valkey_dump(valkey: &Valkey) -> String {
    let mut dump = String::new();
    for key in valkey.cli(&["--scan"]).lines() {
        dump.push_str(key);
        dump.push_str(&valkey.cli(&["GET", key]));
    }
    dump
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_canary_reaches_a_log_a_metric_a_response_or_the_cache() {
    let logs = captured_logs();
    metrics::capture();
    let s = Stack::demo("canaries").await.with_valkey();
    let emulator = &s.emulator;
    // An Application whose repository URL carries credentials.
    let mut app = emulator.application("argocd", "billing-api").unwrap();
    app["spec"]["source"]["repoURL"] =
        format!("https://canary-user:{REPO_SECRET}@github.com/acme/billing.git").into();
    emulator.apply(app);
    let env = s.env(&[
        ("AUTH_PROXY_TOKEN", READ),
        ("AUTH_OPERATOR_TOKEN", WRITE),
        ("LOG_LEVEL", "DEBUG"),
    ]);
    let functions = Functions::from_env(&env).await;
    let warm = warm::Warm::from_env(&env).await.unwrap();

    let mut bodies: Vec<String> = Vec::new();
    let mut keep = |r: lambda_http::Response<lambda_http::Body>| {
        bodies.push(String::from_utf8_lossy(r.body()).to_string());
        r.status().as_u16()
    };
    let writes = [
        (
            "secrets-add-docker.json",
            json!({"username": "octo", "password": PASSWORD, "cluster_name": "demo",
            "name": "canary-pull", "namespaces": "default", "upsert": true}),
        ),
        (
            "secrets-add-helm-repo.json",
            json!({"name": "canary-helm", "repository_url": "https://charts.example.com/c",
            "cluster_name": "demo", "username": "octo", "password": PASSWORD, "upsert": true}),
        ),
        (
            "secrets-add-repo-creds.json",
            json!({"name": "canary-creds", "url": "git@github.com:acme",
            "type": "git", "cluster_name": "demo", "ssh_private_key": ssh_key(), "upsert": true}),
        ),
        (
            "secrets-add-repository.json",
            json!({"name": "canary-repo", "repository_url": "https://github.com/acme/canary.git",
            "type": "git", "cluster_name": "demo", "username": "octo", "password": PASSWORD, "upsert": true}),
        ),
        // Refused requests must not echo what they were sent either.
        (
            "secrets-add-repository.json",
            json!({"name": "canary-refused", "repository_url":
            format!("https://octo:{PASSWORD}@github.com/acme/canary.git"), "type": "git", "cluster_name": "demo"}),
        ),
        (
            "secrets-add-docker.json",
            json!({"username": format!("octo:{PASSWORD}"), "password": PASSWORD,
            "cluster_name": "demo", "name": "canary-bad", "namespaces": "default"}),
        ),
    ];
    let mut statuses = Vec::new();
    for (event, body) in writes {
        statuses.push(keep(
            functions
                .secrets_add
                .handle_checked(request(event, WRITE, Some(body)))
                .await,
        ));
    }
    assert_eq!(&statuses[..4], [200, 200, 200, 200], "{bodies:?}");
    assert!(statuses[4..].iter().all(|s| *s == 400), "{statuses:?}");
    // Every route with the write token, and with canary tokens that are wrong.
    for (event, function) in [
        ("secrets-list-demo.json", "secrets-list"),
        ("links-header-only.json", "links"),
        ("links-application.json", "links"),
        ("links-ready.json", "links"),
        ("clusters-list.json", "clusters"),
        ("fixtures-all-ok.json", "fixtures"),
        ("health-docs.json", "health"),
    ] {
        for token in [WRITE, PASSWORD, &format!("Bearer {PASSWORD}")] {
            let req = request(event, token, None);
            keep(functions.handle_checked(function, req).await);
        }
    }
    let click = Event::sample("links-header-only.json")
        .header("x-gluelinks-token", READ)
        .header("argocd-application-name", "argocd:billing-api");
    keep(functions.links.handle_checked(click.request()).await);
    warm.handle(LambdaEvent::new(Value::Null, Context::default()))
        .await
        .unwrap();
    assert!(template_routes().len() >= 17);

    let everything = [
        ("a log line", logs.text()),
        ("a metric line", metrics::captured().join("\n")),
        ("a response", bodies.join("\n")),
        ("the cache", valkey_dump(s.valkey())),
    ];
    assert!(
        everything[0].1.contains("secret write"),
        "the writes were logged"
    );
    assert!(
        everything[3].1.contains("billing-api"),
        "the cache was filled"
    );
    for (place, text) in &everything {
        for canary in [READ, WRITE, PASSWORD, REPO_SECRET, SSH_BODY] {
            assert!(!text.contains(canary), "{canary} reached {place}");
        }
    }
    // The written secrets hold them, where they belong.
    let written = emulator
        .object("", "v1", "secrets", "argocd", "canary-repo")
        .unwrap();
    assert!(written["data"].to_string().len() > 10);
}

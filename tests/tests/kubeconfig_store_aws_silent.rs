//! A Secrets Manager endpoint that accepts connections and never answers: every call is cut off at
//! `KUBE_TIMEOUT_SECONDS` with a message saying so. Its own test binary: it points the process's AWS
//! settings at that endpoint.

use gluelinks_clusters::store::{KubeconfigStore, Role, Store};
use gluelinks_clusters::StoreError;
use gluelinks_core::config::Env;
use gluelinks_http::response::body_json;
use gluelinks_tests::harness::{event, OPERATOR_TOKEN};
use gluelinks_tests::openapi::Checked;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_silent_secrets_manager_fails_within_the_bound() {
    // Bound and never accepted: the kernel completes each connection, and nothing ever answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    // This binary has this one test, so nothing else reads the environment while it changes.
    std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("AWS_REGION", "us-east-1");
    let env = Env::from_pairs([
        ("CLUSTER_SECRET_PREFIX", "gluelinks/clusters/"),
        ("KUBE_TIMEOUT_SECONDS", "1"),
        ("AUTH_OPERATOR_TOKEN", OPERATOR_TOKEN),
    ]);
    let expected = "AWS Secrets Manager did not answer within 1 s (KUBE_TIMEOUT_SECONDS)";
    let bound = Duration::from_millis(2500);

    let function = clusters::Clusters::from_env(&env).await.unwrap();
    let started = Instant::now();
    let response = function.handle_checked(event("clusters-list.json")).await;
    let elapsed = started.elapsed();
    let body = body_json(&response);
    assert_eq!(response.status(), 502, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "The kubeconfig store in AWS Secrets Manager under 'gluelinks/clusters/' cannot be read"
        ) && message.ends_with(expected),
        "{message}"
    );
    assert!(elapsed < bound, "GET /clusters took {elapsed:?}");

    let store = Store::from_env_for(&env, Role::Reader).await.unwrap();
    let started = Instant::now();
    let err = store.get("prod").await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Unavailable { reason, .. } if reason == expected),
        "{err:?}"
    );
    assert!(
        started.elapsed() < bound,
        "get took {:?}",
        started.elapsed()
    );
    drop(silent);
}

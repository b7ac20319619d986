//! `GET /clusters` over a directory of kubeconfigs, through a real API Gateway event.

use gluelinks_core::config::Env;
use gluelinks_emulator::project::temp_dir;
use gluelinks_tests::harness::{Event, OPERATOR_TOKEN};
use gluelinks_tests::openapi::Checked;
use serde_json::json;
const GRANTS: &str = r#"{"arn:aws:iam::123456789012:role/auditor": {"clusters": ["test-cluster"], "access": "list"}}"#;

/// `GET /clusters` with the sample event's operator token, or signed by `iam`.
async fn list_as(dir: &str, iam: Option<&str>) -> (u16, serde_json::Value) {
    let env = Env::from_pairs([
        ("AUTH_OPERATOR_TOKEN", OPERATOR_TOKEN),
        ("OPERATOR_GRANTS", GRANTS),
        ("CLUSTERS_DIR", dir),
    ]);
    let function = clusters::Clusters::from_env(&env).await.unwrap();
    let event = Event::sample("clusters-list.json");
    let event = match iam {
        Some(arn) => event.iam(arn),
        None => event,
    };
    function.answer(event.request()).await
}

async fn list(dir: &str) -> (u16, serde_json::Value) {
    list_as(dir, None).await
}

const AUDITOR: &str = "arn:aws:sts::123456789012:assumed-role/auditor/alice";

#[tokio::test]
async fn a_principal_granted_some_clusters_sees_those() {
    let dir = temp_dir("clusters-granted");
    for file in ["test-cluster.kubeconfig", "production-cluster.kubeconfig"] {
        std::fs::write(dir.join(file), "apiVersion: v1").unwrap();
    }
    let (status, body) = list_as(dir.to_str().unwrap(), Some(AUDITOR)).await;
    assert_eq!(
        (status, body),
        (200, json!({"clusters": ["test-cluster"], "total": 1}))
    );
}

#[tokio::test]
async fn a_caller_who_may_not_write_is_not_told_where_kubeconfigs_are() {
    let (status, body) = list_as("/nonexistent/clusters", Some(AUDITOR)).await;
    assert_eq!(status, 502);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("The kubeconfig store cannot be read: the directory cannot be listed"),
        "{message}"
    );
    assert!(
        message.contains("(error id ") && !message.contains("/nonexistent"),
        "{message}"
    );
}

#[tokio::test]
async fn lists_stored_clusters_sorted() {
    let dir = temp_dir("clusters-list");
    for file in [
        "test-cluster.kubeconfig",
        "production-cluster.kubeconfig",
        "README.md",
        "../x.kubeconfig.bak",
    ] {
        let _ = std::fs::write(dir.join(file), "apiVersion: v1");
    }
    let (status, body) = list(dir.to_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"clusters": ["production-cluster", "test-cluster"], "total": 2})
    );

    let empty = temp_dir("clusters-empty");
    assert_eq!(
        list(empty.to_str().unwrap()).await.1,
        json!({"clusters": [], "total": 0})
    );
}

#[tokio::test]
async fn a_broken_store_is_a_502_saying_why() {
    let (status, body) = list("/nonexistent/clusters").await;
    assert_eq!(status, 502);
    assert_eq!(body["error"], true);
    assert_eq!(body["status_code"], 502);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("/nonexistent/clusters") && message.contains("cannot be read"),
        "{message}"
    );
}

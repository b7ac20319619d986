//! `GET /clusters` over a directory of kubeconfigs, through a real API Gateway event.

use gluelinks_core::config::Env;
use gluelinks_core::http::response::body_json;
use gluelinks_tests::openapi::Checked;
use gluelinks_tests::{event, temp_dir};
use serde_json::json;

const READ: &str = "sample-proxy-token-0123456789";

async fn list(dir: &str) -> (u16, serde_json::Value) {
    let env = Env::from_pairs([("AUTH_PROXY_TOKEN", READ), ("CLUSTERS_DIR", dir)]);
    let function = clusters::Clusters::from_env(&env).await.unwrap();
    let response = function.handle_checked(event("clusters-list.json")).await;
    (response.status().as_u16(), body_json(&response))
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
async fn a_broken_store_is_a_500_saying_why() {
    let (status, body) = list("/nonexistent/clusters").await;
    assert_eq!(status, 500);
    assert_eq!(body["error"], true);
    assert_eq!(body["status_code"], 500);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("/nonexistent/clusters") && message.contains("cannot be read"),
        "{message}"
    );
}

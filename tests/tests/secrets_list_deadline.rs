//! `GET /secrets` answers within `KUBE_TIMEOUT_SECONDS` as a whole: a kubeconfig store and a cluster that
//! are each slow, but each within the bound, still add up to one bounded answer. Its own test binary: it
//! points the process's AWS settings at a slow stand-in for Secrets Manager.

use gluelinks_core::config::Env;
use gluelinks_emulator::{demo, Emulator, Fault, Matcher};
use gluelinks_http::response::body_json;
use gluelinks_tests::harness::{event, install_crypto, OPERATOR_TOKEN};
use gluelinks_tests::openapi::Checked;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DELAY: Duration = Duration::from_millis(800);

/// A Secrets Manager that answers every `GetSecretValue` with `kubeconfig`, after [`DELAY`].
async fn slow_secrets_manager(kubeconfig: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let kubeconfig = kubeconfig.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // The request's headers and body (the SDK sends a small body with a Content-Length).
                while let Ok(n) = conn.read(&mut buf).await {
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request);
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if body.len() >= length {
                            break;
                        }
                    }
                    if n == 0 {
                        return;
                    }
                }
                tokio::time::sleep(DELAY).await;
                let body = serde_json::json!({
                    "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:gluelinks/lister/demo-AbCdEf",
                    "Name": "gluelinks/lister/demo",
                    "SecretString": kubeconfig,
                })
                .to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(response.as_bytes()).await;
            });
        }
    });
    endpoint
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_store_and_a_slow_cluster_still_answer_within_the_bound() {
    install_crypto();
    let emulator = Emulator::start().await;
    demo::seed(&emulator);
    let endpoint = slow_secrets_manager(emulator.kubeconfig("demo")).await;
    // This binary has this one test, so nothing else reads the environment while it changes.
    std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("AWS_REGION", "us-east-1");
    let secret_lists = Matcher {
        method: Some("GET"),
        resource: Some("secrets"),
        ..Matcher::default()
    };
    emulator.add_fault(secret_lists, Fault::Hang(DELAY));
    let env = Env::from_pairs([
        ("SECRETS_LIST_CLUSTER_SECRET_PREFIX", "gluelinks/lister/"),
        ("KUBE_TIMEOUT_SECONDS", "1"),
        ("AUTH_OPERATOR_TOKEN", OPERATOR_TOKEN),
    ]);
    let function = secrets_list::SecretsList::from_env(&env).await.unwrap();

    let started = Instant::now();
    let response = function
        .handle_checked(event("secrets-list-demo.json"))
        .await;
    let elapsed = started.elapsed();
    let body = body_json(&response);
    assert_eq!(response.status(), 200, "{body}");
    assert_eq!(body["status"], "timeout", "{body}");
    assert_eq!(
        body["message"],
        "The cluster did not answer listing secrets within 1 s (KUBE_TIMEOUT_SECONDS)"
    );
    // Each step alone is within the bound (0.8 s of 1 s); together they would take 1.6 s.
    assert!(elapsed < Duration::from_millis(1400), "took {elapsed:?}");
}

//! A kubeconfig that cannot be used is described — the problem and its line — and never quoted: not by
//! the clusters pool, not in `GET /secrets`' answer, not in any log line. Its own binary, for the log
//! capture.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use gluelinks_clusters::pool::{describe, ClusterClients, ClusterError};
use gluelinks_clusters::store::{DirStore, Store};
use gluelinks_core::config::Env;
use gluelinks_core::http::response::body_json;
use gluelinks_tests::emulator::Emulator;
use gluelinks_tests::openapi::Checked;
use gluelinks_tests::{captured_logs, event_text, temp_dir};
use serde_json::{json, Value};
use std::time::Duration;

const READ: &str = "sample-read-token-0123456789";
const TOKEN: &str = "tok-Qv93-never-echoed-0123456789";

/// The 1-based line of `text` that starts (after indentation) with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(prefix))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
}

/// Whether `text` carries 12 or more consecutive characters of any of `secrets`.
fn leaks(text: &str, secrets: &[String]) -> Option<String> {
    secrets.iter().find_map(|secret| {
        let chars: Vec<char> = secret.chars().collect();
        chars
            .windows(12)
            .map(|w| w.iter().collect::<String>())
            .find(|piece| text.contains(piece.as_str()))
    })
}

/// Kubeconfigs whose user has `TOKEN` beside a client certificate, each broken in one place, with what
/// their error must say.
fn broken_kubeconfigs(emulator: &Emulator) -> (Vec<(&'static str, String, String)>, Vec<String>) {
    let base = emulator
        .kubeconfig_with_client_cert("x", "cert-user")
        .replace("  user:\n", &format!("  user:\n    token: {TOKEN}\n"));
    let field = |name: &str| {
        base.lines()
            .find_map(|l| l.trim_start().strip_prefix(&format!("{name}: ")))
            .unwrap()
            .to_string()
    };
    let (ca, key) = (
        field("certificate-authority-data"),
        field("client-key-data"),
    );
    let with = |name: &str, value: &str| base.replace(&field(name), value);
    let garbage_pem = |label: &str| {
        STANDARD.encode(format!(
            "-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n"
        ))
    };
    let yaml = base.replace(
        &format!("client-key-data: {key}"),
        &format!("client-key-data: {key}: {key}"),
    );
    let cases = vec![
        (
            "yaml",
            yaml.clone(),
            format!(
                "it is not a valid kubeconfig (YAML error at line {}, column",
                line_of(&yaml, "client-key-data")
            ),
        ),
        (
            "key-base64",
            with("client-key-data", &format!("{}*{}", &key[..40], &key[41..])),
            format!(
                "its client-key-data (line {}) is not valid base64",
                line_of(&base, "client-key-data")
            ),
        ),
        (
            "key-pem",
            with("client-key-data", &garbage_pem("PRIVATE KEY")),
            format!(
                "its client-key-data (line {})",
                line_of(&base, "client-key-data")
            ),
        ),
        (
            "ca-base64",
            with("certificate-authority-data", &format!("{}%", &ca[1..])),
            format!(
                "its certificate-authority-data (line {}) is not valid base64",
                line_of(&base, "certificate-authority-data")
            ),
        ),
        (
            "ca-der",
            with("certificate-authority-data", &garbage_pem("CERTIFICATE")),
            format!(
                "its certificate-authority-data (line {}) is not a valid certificate",
                line_of(&base, "certificate-authority-data")
            ),
        ),
    ];
    let secrets = vec![TOKEN.to_string(), key, ca];
    (cases, secrets)
}

async fn list_secrets(env: &Env, cluster: &str) -> (u16, Value) {
    let mut e: Value = serde_json::from_str(&event_text("secrets-list-demo.json")).unwrap();
    e["rawQueryString"] = format!("cluster={cluster}").into();
    e["queryStringParameters"] = json!({ "cluster": cluster });
    let function = secrets_list::SecretsList::from_env(env).await.unwrap();
    let response = function
        .handle_checked(lambda_http::request::from_str(&e.to_string()).unwrap())
        .await;
    (response.status().as_u16(), body_json(&response))
}

#[tokio::test]
async fn broken_kubeconfigs_name_the_problem_and_line_never_the_content() {
    let logs = captured_logs();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let emulator = Emulator::start().await;
    let dir = temp_dir("kubeconfig-errors");
    let (cases, secrets) = broken_kubeconfigs(&emulator);
    for (name, text, _) in &cases {
        std::fs::write(dir.join(format!("{name}.kubeconfig")), text).unwrap();
    }
    let clients = ClusterClients::new(Store::Dir(DirStore::new(&dir)), Duration::from_secs(2));
    let dir_text = dir.to_str().unwrap();
    let env = Env::from_pairs([
        ("AUTH_READ_TOKEN", READ),
        ("SECRETS_LIST_CLUSTERS_DIR", dir_text),
    ]);
    for (name, _, expected) in cases {
        let Err(err) = clients.client(name).await else {
            panic!("{name} built a client")
        };
        assert!(
            matches!(err, ClusterError::Kubeconfig { .. }),
            "{name}: {err:?}"
        );
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "Cluster '{name}' has an unusable kubeconfig: {expected}"
            )),
            "{name}: {message}"
        );
        assert_eq!(leaks(&message, &secrets), None, "{name}: {message}");

        let (status, body) = list_secrets(&env, name).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(body["status"], "cluster_unreachable", "{name}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(&expected),
            "{name}: {body}"
        );
        assert_eq!(leaks(&body.to_string(), &secrets), None, "{name}: {body}");
    }
    let logged = logs.text();
    assert!(
        logged.contains("has an unusable kubeconfig"),
        "the failures are logged: {logged}"
    );
    assert_eq!(leaks(&logged, &secrets), None, "{logged}");
}

#[tokio::test]
async fn an_exec_plugins_output_is_never_repeated() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let emulator = Emulator::start().await;
    let dir = temp_dir("kubeconfig-exec");
    let exec = |script: &str| {
        let user = format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: sh\n      args: [\"-c\", \"{script}\"]\n"
        );
        emulator
            .kubeconfig("x")
            .replace(&format!("    token: {}\n", emulator.token()), &user)
    };
    // A plugin whose first credential has already expired, and which prints garbage when run again, at
    // the first call.
    let script = dir.join("expiring.sh");
    let once = dir.join("expiring.ran");
    std::fs::write(
        &script,
        format!(
            "if [ -e {once} ]; then echo '{{token: {TOKEN}: : x'; exit 0; fi\ntouch {once}\n\
             echo '{{\"apiVersion\": \"client.authentication.k8s.io/v1beta1\", \"kind\": \"ExecCredential\", \
             \"status\": {{\"token\": \"{TOKEN}\", \"expirationTimestamp\": \"2000-01-01T00:00:00Z\"}}}}'\n",
            once = once.display()
        ),
    )
    .unwrap();
    let cases = [
        (
            "expiring",
            exec(&format!("sh {}", script.display())),
            "its user's exec plugin did not print a valid ExecCredential",
        ),
        (
            "garbled",
            exec(&format!("echo '{{token: {TOKEN}: : x'")),
            "its user's exec plugin did not print a valid ExecCredential",
        ),
        (
            "failing",
            exec(&format!("echo {TOKEN}; exit 3")),
            "its user's exec plugin failed (exit status: 3)",
        ),
    ];
    for (name, text, _) in &cases {
        std::fs::write(dir.join(format!("{name}.kubeconfig")), text).unwrap();
    }
    let clients = ClusterClients::new(Store::Dir(DirStore::new(&dir)), Duration::from_secs(2));
    // The client runs the plugin when it is built, and again whenever its credential expires.
    for (name, _, expected) in cases {
        let message = match clients.client(name).await {
            Err(err) => err.to_string(),
            Ok(client) => {
                let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::all(client);
                let err = pods
                    .list(&kube::api::ListParams::default())
                    .await
                    .unwrap_err();
                describe(&err, "listing pods")
            }
        };
        assert!(message.ends_with(expected), "{name}: {message}");
        assert!(!message.contains(TOKEN), "{name}: {message}");
    }
}

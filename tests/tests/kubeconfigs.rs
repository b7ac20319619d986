//! A kubeconfig that cannot be used is described — the problem and its line — and never quoted: not by
//! the clusters pool, not in `GET /secrets`' answer, not in any log line; one that would run a program or
//! read a file is refused when loaded; and a broken one fails alone, the other clusters still served.
//!
//! Its own binary, for the log capture.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use gluelinks_clusters::pool::{ClusterClients, ClusterError};
use gluelinks_core::config::Env;
use gluelinks_emulator::project::temp_dir;
use gluelinks_emulator::Emulator;
use gluelinks_tests::harness::{install_crypto, pool, Event, OPERATOR_TOKEN};
use gluelinks_tests::logs::captured_logs;
use gluelinks_tests::openapi::Checked;
use serde_json::{json, Value};
use std::time::Duration;

const OPERATOR: &str = OPERATOR_TOKEN;
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

/// The pool's error for `cluster`, whose kubeconfig it must refuse: an unusable kubeconfig, said so.
async fn unusable(clients: &ClusterClients, cluster: &str) -> String {
    let Err(err) = clients.client(cluster).await else {
        panic!("{cluster} built a client")
    };
    assert!(
        matches!(err, ClusterError::Kubeconfig { .. }),
        "{cluster}: {err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("Cluster '{cluster}' has an unusable kubeconfig")),
        "{message}"
    );
    message
}

async fn list_secrets(env: &Env, cluster: &str) -> (u16, Value) {
    let request = Event::sample("secrets-list-demo.json")
        .query("cluster", cluster)
        .request();
    let function = secrets_list::SecretsList::from_env(env).await.unwrap();
    function.answer(request).await
}

#[tokio::test]
async fn broken_kubeconfigs_name_the_problem_and_line_never_the_content() {
    let logs = captured_logs();
    install_crypto();
    let emulator = Emulator::start().await;
    let dir = temp_dir("kubeconfig-errors");
    let (cases, secrets) = broken_kubeconfigs(&emulator);
    for (name, text, _) in &cases {
        std::fs::write(dir.join(format!("{name}.kubeconfig")), text).unwrap();
    }
    let clients = pool(&dir, Duration::from_secs(2));
    let dir_text = dir.to_str().unwrap();
    let env = Env::from_pairs([
        ("AUTH_OPERATOR_TOKEN", OPERATOR),
        ("SECRETS_LIST_CLUSTERS_DIR", dir_text),
    ]);
    for (name, _, expected) in cases {
        let message = unusable(&clients, name).await;
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

/// Kubeconfigs that would make the function run a program or read a file, or send its credentials to a
/// server it cannot verify: refused when loaded, before any of it is used, naming the field and never its
/// content. The first is the one that used to run: a shell that leaves a file behind.
#[tokio::test]
async fn kubeconfigs_that_would_run_or_read_something_are_refused_at_load() {
    let logs = captured_logs();
    install_crypto();
    let emulator = Emulator::start().await;
    let dir = temp_dir("kubeconfig-refused");
    let ran = dir.join("plugin.ran");
    let credential = format!(
        r#"{{\"apiVersion\": \"client.authentication.k8s.io/v1beta1\", \"kind\": \"ExecCredential\", \"status\": {{\"token\": \"{}\"}}}}"#,
        emulator.token()
    );
    let token_line = format!("    token: {}\n", emulator.token());
    let user = |fields: &str| emulator.kubeconfig("x").replace(&token_line, fields);
    let cluster = |fields: &str| {
        emulator.kubeconfig("x").replace(
            "    certificate-authority-data:",
            &format!("{fields}    certificate-authority-data:"),
        )
    };
    let cases = [
        (
            "exec",
            user(&format!(
                "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: /bin/sh\n      args: [\"-c\", \"touch {}; echo '{credential}'\"]\n",
                ran.display()
            )),
            "its user runs an exec plugin",
        ),
        (
            "auth-provider",
            user("    auth-provider:\n      name: oidc\n      config:\n        cmd-path: /bin/sh\n        id-token: tok-Qv93-never-echoed-0123456789\n"),
            "its user has an auth-provider",
        ),
        (
            "token-file",
            user("    tokenFile: /proc/self/environ\n"),
            "its user names a file in tokenFile",
        ),
        (
            "client-key-file",
            user("    client-certificate: /etc/hostname\n    client-key: /etc/hostname\n"),
            "its user names a file in client-certificate",
        ),
        (
            "ca-file",
            cluster("    certificate-authority: /etc/ssl/certs/ca-certificates.crt\n"),
            "its cluster names a certificate-authority file",
        ),
        (
            "insecure",
            cluster("    insecure-skip-tls-verify: true\n"),
            "KUBE_INSECURE_SKIP_TLS_VERIFY_CLUSTERS",
        ),
    ];
    for (name, text, _) in &cases {
        std::fs::write(dir.join(format!("{name}.kubeconfig")), text).unwrap();
    }
    let env = Env::from_pairs([
        ("AUTH_OPERATOR_TOKEN", OPERATOR),
        ("SECRETS_LIST_CLUSTERS_DIR", dir.to_str().unwrap()),
    ]);
    for (name, _, expected) in &cases {
        let (status, body) = list_secrets(&env, name).await;
        assert_eq!(
            body["status"], "cluster_unreachable",
            "{name}: {status} {body}"
        );
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("Cluster '{name}' has an unusable kubeconfig: "))
                && message.contains(expected),
            "{name}: {message}"
        );
        for content in [
            "/bin/sh",
            "touch",
            "/proc",
            "/etc",
            "tok-Qv93",
            emulator.token(),
        ] {
            assert!(
                !message.contains(content),
                "{name} quotes {content}: {message}"
            );
        }
    }
    assert!(!ran.exists(), "the exec plugin ran");
    assert!(
        !logs.text().contains("tok-Qv93"),
        "a refused kubeconfig's content was logged"
    );

    // The operator's explicit exception: this cluster's kubeconfig may skip certificate checks.
    let allowed = Env::from_pairs([
        ("AUTH_OPERATOR_TOKEN", OPERATOR),
        ("SECRETS_LIST_CLUSTERS_DIR", dir.to_str().unwrap()),
        ("KUBE_INSECURE_SKIP_TLS_VERIFY_CLUSTERS", "insecure"),
    ]);
    let (status, body) = list_secrets(&allowed, "insecure").await;
    assert_eq!(
        (status, &body["status"]),
        (200, &json!("success")),
        "{body}"
    );
}

/// A kubeconfig that is not YAML, has no current context or names a missing user fails with a message
/// saying so, alone: the good cluster beside it is served.
#[tokio::test]
async fn a_broken_kubeconfig_fails_alone_with_a_clear_message() {
    let emulator = Emulator::start().await;
    let dir = temp_dir("broken");
    emulator.write_kubeconfig(&dir, "good");
    let good = emulator.kubeconfig("x");
    let cases = [
        (
            "not-yaml",
            "{{{ this is : not : yaml".to_string(),
            "not a valid kubeconfig",
        ),
        (
            "no-context",
            good.replace("current-context: x\n", ""),
            "no current-context",
        ),
        (
            "no-user",
            good.replace("user: x-user", "user: ghost"),
            "names user 'ghost'",
        ),
    ];
    for (name, text, _) in &cases {
        std::fs::write(dir.join(format!("{name}.kubeconfig")), text).unwrap();
    }
    let clients = pool(&dir, Duration::from_secs(2));
    for (name, _, expected) in cases {
        let message = unusable(&clients, name).await;
        assert!(message.contains(expected), "{message}");
        assert!(
            !message.contains(emulator.token()),
            "the message leaks the token: {message}"
        );
    }
    assert!(clients.client("good").await.is_ok());
    assert!(matches!(
        clients.client("../good").await,
        Err(ClusterError::Store(_))
    ));
}

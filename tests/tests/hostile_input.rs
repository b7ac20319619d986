//! Hostile input, by property: whatever text arrives, the parsers and renderers never panic, never let it
//! out unencoded, and every rejection is a bounded 4xx. And the hostile bodies and kubeconfigs named
//! outright.

use gluelinks_core::config::Env;
use gluelinks_core::names::{is_label, is_subdomain};
use gluelinks_core::text::bounded;
use gluelinks_emulator::project::temp_dir;
use gluelinks_links_model::templates::fill;
use gluelinks_tests::harness::{install_crypto, Event, OPERATOR_TOKEN};
use gluelinks_tests::openapi::Checked;
use proptest::prelude::*;
use serde_json::Value;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// A name is a DNS label exactly when it looks like one: lowercase letters, digits and inner hyphens.
    #[test]
    fn names_accept_only_dns_labels(s in "\\PC{0,70}") {
        let label = !s.is_empty()
            && s.len() <= 63
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        prop_assert_eq!(is_label(&s), label);
        if is_subdomain(&s) {
            prop_assert!(!s.contains("..") && !s.contains('/') && !s.contains(':'));
        }
    }

    /// A value put in a link never breaks out of its place: no `&`, `#`, `?`, space, quote or newline of it
    /// survives unencoded.
    #[test]
    fn template_values_are_always_encoded(app in "\\PC*|[&#?\\n\\r\"' %./]{0,20}") {
        let url = fill("https://grafana.example.com/d/x?var-app={app}&orgId=1", &[("app", &app)]);
        let inserted = url
            .strip_prefix("https://grafana.example.com/d/x?var-app=")
            .and_then(|rest| rest.strip_suffix("&orgId=1"))
            .expect("the template's own text stays in place");
        prop_assert!(!inserted.contains(['&', '#', '?', ' ', '"', '\'', '\n', '\r', '/']), "{}", inserted);
        let decoded = percent_encoding::percent_decode_str(inserted).decode_utf8().unwrap();
        prop_assert_eq!(decoded, app.as_str());
    }

    /// Whatever `Argocd-Application-Name` carries, it is read as `<namespace>:<app>` only when both are
    /// Kubernetes names (nothing that could climb, query or break a line gets through), and a refusal
    /// quotes it bounded and escaped.
    #[test]
    fn the_application_header_admits_only_names(
        value in "\\PC{0,300}|[a-z0-9:./%#&?\"' \n-]{0,40}"
    ) {
        match links::parse_app_header(Some(&value)) {
            Ok((namespace, app)) => {
                prop_assert!(is_label(&namespace) && is_subdomain(&app), "{namespace}:{app}");
                prop_assert_eq!(format!("{namespace}:{app}"), value.trim());
            }
            Err(message) => {
                prop_assert!(message.chars().count() < 400, "{}", message);
                prop_assert!(!message.chars().any(char::is_control), "{}", message);
            }
        }
    }

    /// Any operator template either loads or stops the function with an error naming its variable; a
    /// loaded one renders any value without panicking.
    #[test]
    fn any_link_template_loads_or_names_its_variable(
        template in "\\PC{0,80}|[{}a-z_/:?&=#%.]{0,60}",
        value in "\\PC{0,40}",
    ) {
        let env = Env::from_pairs([("LINK_TEMPLATE_POD", template.as_str())]);
        match gluelinks_links_model::templates::LinkSettings::from_env(&env) {
            Ok(_) => {
                let _ = fill(&template, &[("pod", &value), ("namespace", &value), ("grafana", "https://g")]);
            }
            Err(e) => prop_assert!(e.to_string().contains("LINK_TEMPLATE_POD"), "{}", e),
        }
    }

    /// Untrusted text in a message is bounded and has no control character left.
    #[test]
    fn messages_quote_bounded_text(s in any::<String>(), max in 0usize..100) {
        let shown = bounded(&s, max);
        prop_assert!(shown.chars().count() <= max * 10 + 1);
        prop_assert!(!shown.chars().any(char::is_control));
    }
}

/// The secrets-add function with the sample operator token and an empty kubeconfig directory: what it
/// refuses, it refuses before any cluster.
async fn add_without_clusters(name: &str) -> secrets_add::SecretsAdd {
    install_crypto();
    let dir = temp_dir(name);
    let env = Env::from_pairs([
        ("AUTH_OPERATOR_TOKEN", OPERATOR_TOKEN),
        ("SECRETS_ADD_CLUSTERS_DIR", dir.to_str().unwrap()),
    ]);
    secrets_add::SecretsAdd::from_env(&env).await.unwrap()
}

/// Every body a write route can be sent, JSON or not: a 4xx that says what to fix and echoes little, never
/// a 5xx or a panic.
#[test]
fn any_write_body_is_a_bounded_4xx() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let add = runtime.block_on(add_without_clusters("properties-bodies"));
    let json_value = prop::collection::vec(
        (
            "[a-z_]{1,16}",
            prop_oneof![
                any::<String>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<bool>().prop_map(Value::from),
                Just(Value::Null),
            ],
        ),
        0..8,
    )
    .prop_map(|fields| Value::Object(fields.into_iter().collect()).to_string());
    let body = prop_oneof![any::<String>(), json_value, "\\{[\\[{\"a:,]{0,200}"];
    let mut runner = proptest::test_runner::TestRunner::new(config());
    for event in [
        "secrets-add-docker.json",
        "secrets-add-helm-repo.json",
        "secrets-add-repo-creds.json",
        "secrets-add-repository.json",
    ] {
        runner
            .run(&body, |body| {
                let req = Event::sample(event).body(&body).request();
                let r = runtime.block_on(add.handle(req));
                let status = r.status().as_u16();
                prop_assert!((400..500).contains(&status), "{event}: {status}");
                let text = String::from_utf8_lossy(r.body()).to_string();
                prop_assert!(text.len() < 2048, "{event}: {} bytes", text.len());
                Ok(())
            })
            .unwrap();
    }
}

/// The hostile bodies named outright: deeply nested, oversized, and with a key twice. Each is a 4xx that says
/// why, and nothing is written.
#[test]
fn nested_oversized_and_duplicate_key_bodies_are_refused() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let add = runtime.block_on(add_without_clusters("properties-hostile"));
    // 20,000 levels, within the 64 KB body limit.
    let nested = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let oversized = serde_json::json!({"name": "big", "password": "x".repeat(2 << 20)}).to_string();
    let twice = r#"{"username": "octo", "password": "p4ssw0rd-one", "password": "p4ssw0rd-two",
        "cluster_name": "demo", "name": "twice", "namespaces": "default"}"#
        .to_string();
    for (what, body, expected) in [
        ("nested", nested, 400),
        ("oversized", oversized, 413),
        ("a key twice", twice, 400),
    ] {
        let req = Event::sample("secrets-add-docker.json")
            .body(&body)
            .request();
        let r = runtime.block_on(add.handle(req));
        let text = String::from_utf8_lossy(r.body()).to_string();
        assert_eq!(r.status().as_u16(), expected, "{what}: {text}");
        assert!(text.len() < 2048, "{what}: a bounded answer");
        assert!(!text.contains("p4ssw0rd"), "{what}: no value echoed");
    }
}

/// A kubeconfig damaged anywhere — a line lost or doubled, a character changed, the file cut short — builds
/// a client or fails with a message that quotes none of its token, key or certificate, and never panics.
#[test]
fn any_damaged_kubeconfig_fails_without_quoting_it() {
    install_crypto();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let token = "kubeconfig-canary-token-7Qx2Lm9Rv4Tz";
    let base = runtime.block_on(async {
        let emulator = gluelinks_emulator::Emulator::start().await;
        emulator
            .kubeconfig_with_client_cert("x", "cert-user")
            .replace("  user:\n", &format!("  user:\n    token: {token}\n"))
    });
    // Every 20-character window of each base64 field: a message quoting any of them leaks the field.
    let mut secrets: Vec<String> = vec![token.to_string()];
    for line in base.lines() {
        if let Some((_, value)) = line.split_once("-data: ") {
            let chars: Vec<char> = value.chars().collect();
            secrets.extend(
                chars
                    .windows(20)
                    .step_by(10)
                    .map(|w| w.iter().collect::<String>()),
            );
        }
    }
    let dir = temp_dir("properties-kubeconfigs");
    let pool = runtime
        .block_on(gluelinks_clusters::pool::ClusterClients::from_env(
            &Env::from_pairs([("CLUSTERS_DIR", dir.to_str().unwrap())]),
        ))
        .unwrap();
    let damage = prop::collection::vec(
        (
            0u8..4,
            any::<prop::sample::Index>(),
            "[:{}\\[\\]#&*!|>'\"% \t\nA-Za-z0-9=-]",
        ),
        1..4,
    );
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let case = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&damage, |ops| {
            let mut text = base.clone();
            for (kind, at, with) in &ops {
                let lines: Vec<&str> = text.lines().collect();
                let line = at.index(lines.len().max(1));
                text = match kind {
                    0 => lines
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != line)
                        .map(|(_, l)| *l)
                        .collect::<Vec<_>>()
                        .join("\n"),
                    1 => lines
                        .iter()
                        .enumerate()
                        .flat_map(|(i, l)| if i == line { vec![*l, *l] } else { vec![*l] })
                        .collect::<Vec<_>>()
                        .join("\n"),
                    2 => {
                        let mut chars: Vec<char> = text.chars().collect();
                        let i = at.index(chars.len().max(1));
                        if i < chars.len() {
                            chars[i] = with.chars().next().unwrap();
                        }
                        chars.into_iter().collect()
                    }
                    _ => text
                        .chars()
                        .take(at.index(text.chars().count().max(1)))
                        .collect(),
                };
            }
            let cluster = format!(
                "c{}",
                case.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            );
            std::fs::write(dir.join(format!("{cluster}.kubeconfig")), &text).unwrap();
            if let Err(e) = runtime.block_on(pool.client(&cluster)) {
                let message = e.to_string();
                prop_assert!(message.chars().count() < 1000, "{} chars", message.len());
                for secret in &secrets {
                    prop_assert!(
                        !message.contains(secret.as_str()),
                        "quotes {secret}: {message}"
                    );
                }
            }
            Ok(())
        })
        .unwrap();
}

/// A body that is not UTF-8, as API Gateway delivers it (base64), is a 400 that says what to send, not a
/// failure: only the local `cargo lambda watch` cannot carry such bytes (tests/contract.sh).
#[tokio::test]
async fn a_body_that_is_not_utf8_is_a_clear_400() {
    let req = Event::sample("secrets-add-docker.json")
        .binary_body(&[0xff, 0xfe, 0x7b, 0x80])
        .request();
    let add = add_without_clusters("utf8-body").await;
    let (status, body) = add.answer(req).await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("JSON"),
        "{body:?}"
    );
}

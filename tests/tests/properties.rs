//! Hostile input, by property: whatever text arrives, the parsers and renderers never panic, never let it
//! out unencoded, and every rejection is a bounded 4xx.

use gluelinks_core::config::Env;
use gluelinks_core::names::{is_label, is_subdomain};
use gluelinks_core::text::bounded;
use gluelinks_links_model::templates::fill;
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

    /// Untrusted text in a message is bounded and has no control character left.
    #[test]
    fn messages_quote_bounded_text(s in any::<String>(), max in 0usize..100) {
        let shown = bounded(&s, max);
        prop_assert!(shown.chars().count() <= max * 10 + 1);
        prop_assert!(!shown.chars().any(char::is_control));
    }
}

/// Every body a write route can be sent, JSON or not: a 4xx that says what to fix and echoes little, never
/// a 5xx or a panic.
#[test]
fn any_write_body_is_a_bounded_4xx() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = gluelinks_tests::temp_dir("properties-bodies");
    let add = runtime
        .block_on(secrets_add::SecretsAdd::from_env(&Env::from_pairs([
            ("AUTH_WRITE_TOKEN", "sample-write-token-0123456789"),
            ("SECRETS_ADD_CLUSTERS_DIR", dir.to_str().unwrap()),
        ])))
        .unwrap();
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
                let mut e: Value =
                    serde_json::from_str(&gluelinks_tests::event_text(event)).unwrap();
                e["body"] = body.into();
                let req = lambda_http::request::from_str(&e.to_string()).unwrap();
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
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = gluelinks_tests::temp_dir("properties-hostile");
    let add = runtime
        .block_on(secrets_add::SecretsAdd::from_env(&Env::from_pairs([
            ("AUTH_WRITE_TOKEN", "sample-write-token-0123456789"),
            ("SECRETS_ADD_CLUSTERS_DIR", dir.to_str().unwrap()),
        ])))
        .unwrap();
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
        let mut e: Value =
            serde_json::from_str(&gluelinks_tests::event_text("secrets-add-docker.json")).unwrap();
        e["body"] = body.into();
        let r =
            runtime.block_on(add.handle(lambda_http::request::from_str(&e.to_string()).unwrap()));
        let text = String::from_utf8_lossy(r.body()).to_string();
        assert_eq!(r.status().as_u16(), expected, "{what}: {text}");
        assert!(text.len() < 2048, "{what}: a bounded answer");
        assert!(!text.contains("p4ssw0rd"), "{what}: no value echoed");
    }
}

//! Discovery on the Argo CD installs operators run, not only the original extension backend's: every tracking method, apps in any
//! namespace, every workload kind (several per app), `status.resources`, and External Secrets served as
//! `v1`, as `v1beta1` only, or not at all. Each app's pod and Vault links are asserted exactly on the
//! links route, and again after a warm run, where the warmed payload must equal a live miss.

use gluelinks_core::config::Env;
use gluelinks_emulator::project::temp_dir;
use gluelinks_emulator::{demo, shipped_rbac};
use gluelinks_tests::functions::scheduled_run;
use gluelinks_tests::harness::{category, click, labels, urls, without_times, Stack, LINK_BASES};
use gluelinks_tests::openapi::Checked;
use gluelinks_tests::servers::Valkey;
use serde_json::Value;
use std::time::Duration;

const VAULT: &str = "https://vault.acme.dev/ui/vault/secrets/secret/show/";

/// `s`'s settings, linking to [`LINK_BASES`] and caching in `valkey`.
fn caching_in(s: &Stack, valkey: &Valkey) -> Env {
    s.env(&[LINK_BASES, &[("VALKEY_URL", valkey.url.as_str())]].concat())
}

/// One app of the demo cluster and what it must show.
struct Case {
    header: &'static str,
    /// Pod link labels, in order.
    pods: &'static [&'static str],
    /// Vault paths, in order.
    vault: &'static [&'static str],
    /// `deployments`, `statefulSets`, `daemonSets`, `rollouts`.
    kinds: [u64; 4],
}

const CASES: [Case; 4] = [
    // Annotation tracking (Argo CD 3's default), one Deployment.
    Case {
        header: "glueops-core:taco-backend-prod",
        pods: &[
            "taco-backend-prod-677bfb55b7-942nr",
            "taco-backend-prod-677bfb55b7-x7k2p",
        ],
        vault: &["nonprod/taco-backend", "nonprod/taco-backend/database"],
        kinds: [1, 0, 0, 0],
    },
    // Label tracking, three workloads, never synced (empty status.resources).
    Case {
        header: "argocd:ledger",
        pods: &[
            "ledger-api-6f7d8c9b5-abcde (Deployment ledger-api)",
            "ledger-worker-5b8c7d6f4-fghij (Deployment ledger-worker)",
            "ledger-db-0 (StatefulSet ledger-db)",
            "ledger-db-1 (StatefulSet ledger-db)",
        ],
        vault: &["ledger/db"],
        kinds: [2, 1, 0, 0],
    },
    // Annotation+label tracking of an app outside the control-plane namespace, deploying a Rollout.
    Case {
        header: "team-shop:checkout",
        pods: &["checkout-7d4b9c8f6-k2m4p", "checkout-7d4b9c8f6-n8q3r"],
        vault: &["shop/checkout"],
        kinds: [0, 0, 0, 1],
    },
    // A DaemonSet and an ExternalSecret only status.resources names (no mark GlueLinks knows).
    Case {
        header: "argocd:node-agent",
        pods: &["node-agent-x2k9p", "node-agent-z7m4q"],
        vault: &["monitoring/node-agent"],
        kinds: [0, 0, 1, 0],
    },
];

fn check(case: &Case, body: &Value, external_secrets: Option<&str>) {
    let h = case.header;
    assert_eq!(labels(body, "pod"), case.pods, "{h}");
    let pod_urls = urls(body, "pod");
    for (url, label) in pod_urls.iter().zip(case.pods) {
        let pod = label.split(' ').next().unwrap();
        assert!(url.ends_with(&format!("&var-pod={pod}")), "{h}: {url}");
    }
    let resources = &body["metadata"]["resources"];
    let kinds = ["deployments", "statefulSets", "daemonSets", "rollouts"];
    for (kind, count) in kinds.iter().zip(case.kinds) {
        assert_eq!(resources[*kind], count, "{h} {kind}");
    }
    assert_eq!(resources["deployment"], case.kinds[0] > 0, "{h}");
    assert_eq!(resources["podsFound"], case.pods.len(), "{h}");
    match external_secrets {
        Some(_) => {
            let expected: Vec<String> = case.vault.iter().map(|p| format!("{VAULT}{p}")).collect();
            assert_eq!(urls(body, "vault"), expected, "{h}");
        }
        None => {
            let vault = category(body, "vault");
            assert_eq!(vault["status"], "empty", "{h}");
            assert_eq!(
                vault["message"],
                "External Secrets Operator is not installed in this cluster (no external-secrets.io API is served)"
            );
            assert_eq!(resources["externalSecretsFound"], 0, "{h}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_install_shape_gets_exact_pod_and_vault_links_live_and_warmed() {
    for external_secrets in [Some("v1"), Some("v1beta1"), None] {
        let s = Stack::demo("discovery-shapes").await;
        let emulator = &s.emulator;
        emulator.serve_external_secrets(external_secrets.as_slice());
        // Live clicks cache into one Valkey; the warmer writes to another, read by the clicks after it.
        let (live_valkey, warm_valkey) = (Valkey::start(), Valkey::start());
        let links = links::Links::from_env(&caching_in(&s, &live_valkey))
            .await
            .unwrap();

        let mut live = Vec::new();
        for case in &CASES {
            let (status, body) = links.answer(click(case.header, "demo")).await;
            assert_eq!(status, 200);
            check(case, &body, external_secrets);
            live.push(body);
        }
        if let Some(version) = external_secrets {
            assert!(
                emulator.requests().iter().any(|r| r
                    .path
                    .starts_with(&format!("/apis/external-secrets.io/{version}/"))),
                "ExternalSecrets read as {version}"
            );
        }

        // After a warm run every click is a cache hit, and what it serves is what a live miss computes.
        let env = caching_in(&s, &warm_valkey);
        let links = links::Links::from_env(&env).await.unwrap();
        let report = scheduled_run(&env).await.unwrap();
        assert!(report.failures.is_empty(), "{report:?}");
        emulator.reset_requests();
        for (case, live) in CASES.iter().zip(&live) {
            let (_, warmed) = links.answer(click(case.header, "demo")).await;
            check(case, &warmed, external_secrets);
            assert_eq!(
                without_times(warmed),
                without_times(live.clone()),
                "{external_secrets:?} {}",
                case.header
            );
        }
        assert!(emulator.requests().is_empty(), "every click a cache hit");
    }
}

/// A miss takes two rounds of calls: the Application, then every namespace its resources are in, read
/// whole (workloads of every kind, pods, ExternalSecrets) at once. Argo CD's proxy names the Application's
/// own namespace; a caller that names the destination instead (the original backend's curl example) has that
/// namespace read beside the Application, one round in all once the External Secrets API is known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_miss_takes_two_rounds_of_kubernetes_calls() {
    let s = Stack::demo("discovery-rounds").await.with_valkey();
    let emulator = &s.emulator;
    let links = links::Links::from_env(&caching_in(&s, s.valkey()))
        .await
        .unwrap();
    let latency = Duration::from_millis(40);
    emulator.set_latency(latency);
    let rounds = |namespace: &'static str, app: &'static str| {
        let links = &links;
        async move {
            emulator.reset_requests();
            let (_, degraded) = links
                .service()
                .generate("demo", "demo", namespace, app)
                .await;
            assert!(!degraded);
            emulator.rounds(latency / 2)
        }
    };
    // First contact: which External Secrets API is served is asked beside the Application.
    assert_eq!(rounds("nonprod", "taco-backend-prod").await, 2);
    assert!(emulator.requests().iter().any(|r| r.path == "/apis"));
    assert_eq!(rounds("nonprod", "taco-backend-prod").await, 1);
    assert!(
        !emulator.requests().iter().any(|r| r.path == "/apis"),
        "the served API is remembered"
    );
    for (namespace, app) in [
        ("glueops-core", "taco-backend-prod"),
        ("argocd", "node-agent"),
        ("argocd", "ledger"),
        ("team-shop", "checkout"),
    ] {
        assert_eq!(rounds(namespace, app).await, 2, "{namespace}/{app}");
    }
    // Argo CD's own namespace is never read for workloads on a guess.
    rounds("argocd", "ledger").await;
    assert!(
        !emulator
            .requests()
            .iter()
            .any(|r| r.path.contains("/namespaces/argocd/") && !r.path.ends_with("/ledger")),
        "{:?}",
        emulator
            .requests()
            .iter()
            .map(|r| &r.path)
            .collect::<Vec<_>>()
    );
}

/// A cluster larger than one page is read page by page, and every app is warmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_warmer_reads_large_clusters_page_by_page() {
    let s = Stack::start("discovery-pages", "demo", |e| demo::many_apps(e, 260))
        .await
        .with_valkey();
    let emulator = &s.emulator;
    let env = s.env(LINK_BASES);
    let report = warm::Warm::from_env(&env).await.unwrap().run().await;
    assert_eq!((report.apps, report.written), (260, 260), "{report:?}");
    let pages: Vec<String> = emulator
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/pods")
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(pages.len(), 2, "520 pods in pages of 500: {pages:?}");
    assert!(pages[1].contains("continue="), "{pages:?}");
    let links = links::Links::from_env(&env).await.unwrap();
    emulator.reset_requests();
    let (_, body) = links.answer(click("argocd:app-0259", "demo")).await;
    assert!(emulator.requests().is_empty(), "a cache hit");
    assert_eq!(
        labels(&body, "pod"),
        ["app-0259-7c9f6d5b8-a1b2c", "app-0259-7c9f6d5b8-d3e4f"]
    );
}

/// A cluster still on an older reader role (Deployments only) gets an error that names the fix, and an
/// operator upgrade that changes the served External Secrets version is noticed on the next click.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_reader_role_and_an_operator_upgrade_are_explained_and_followed() {
    let s = Stack::demo("discovery-upgrade").await.with_valkey();
    let emulator = &s.emulator;
    let links = links::Links::from_env(&caching_in(&s, s.valkey()))
        .await
        .unwrap();
    let live = |namespace: &'static str, app: &'static str| {
        let links = &links;
        async move {
            let (r, degraded) = links
                .service()
                .generate("demo", "demo", namespace, app)
                .await;
            (serde_json::to_value(r).unwrap(), degraded)
        }
    };

    let old_role = shipped_rbac().replace(
        r#"resources: ["deployments", "statefulsets", "daemonsets"]"#,
        r#"resources: ["deployments"]"#,
    );
    emulator.enforce_manifests(&old_role);
    emulator.add_token("reader-token-0123456789", "links-bot", &["gluelinks"]);
    let reader_dir = temp_dir("discovery-old-role");
    std::fs::write(
        reader_dir.join("demo.kubeconfig"),
        emulator.kubeconfig_with_token("demo", "reader-token-0123456789"),
    )
    .unwrap();
    let settings = [
        LINK_BASES,
        &[("CLUSTERS_DIR", reader_dir.to_str().unwrap())],
    ]
    .concat();
    let links_as_reader = links::Links::from_env(&s.env(&settings)).await.unwrap();
    let (r, degraded) = links_as_reader
        .service()
        .generate("demo", "demo", "argocd", "ledger")
        .await;
    let body = serde_json::to_value(r).unwrap();
    assert!(degraded);
    let pods = category(&body, "pod");
    assert_eq!(pods["status"], "error");
    let message = pods["message"].as_str().unwrap();
    assert!(
        message.contains("forbidden") && message.contains("apply shared/rbac/links-reader.yaml"),
        "{message}"
    );
    assert_eq!(
        category(&body, "vault")["status"],
        "ok",
        "only the pods need the workloads"
    );

    // External Secrets Operator upgraded from v1beta1-only to v1-only between two clicks.
    emulator.enforce_manifests(&shipped_rbac());
    emulator.serve_external_secrets(&["v1beta1"]);
    let (body, _) = live("argocd", "ledger").await;
    assert_eq!(labels(&body, "vault"), ["secret/ledger/db"]);
    emulator.serve_external_secrets(&["v1"]);
    let (body, degraded) = live("argocd", "ledger").await;
    assert!(!degraded);
    assert_eq!(
        category(&body, "vault")["status"],
        "empty",
        "the remembered version is gone: none this time"
    );
    let (body, _) = live("argocd", "ledger").await;
    assert_eq!(
        labels(&body, "vault"),
        ["secret/ledger/db"],
        "and the next click asks which version is served"
    );
}

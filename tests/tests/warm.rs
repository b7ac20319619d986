//! The warm function against emulated clusters and a real Valkey: after a run, the links function answers
//! every app from the cache, with what a live cache miss computes.

use gluelinks_core::config::Env;
use gluelinks_http::response::body_json;
use gluelinks_tests::emulator::{demo, Emulator, Fault, Matcher};
use gluelinks_tests::openapi::Checked;
use gluelinks_tests::{event_text, temp_dir, Valkey};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

const READ: &str = "sample-proxy-token-0123456789";

fn env(dir: &std::path::Path, valkey: &Valkey) -> Env {
    Env::from_pairs([
        ("AUTH_PROXY_TOKEN", READ),
        ("CLUSTERS_DIR", dir.to_str().unwrap()),
        ("VALKEY_URL", valkey.url.as_str()),
    ])
}

fn scheduled() -> LambdaEvent<Value> {
    LambdaEvent::new(
        serde_json::from_str(&event_text("warm-scheduled.json")).unwrap(),
        Context::default(),
    )
}

fn links_request(namespace: &str, app: &str, cluster: &str) -> lambda_http::Request {
    let mut e: Value = serde_json::from_str(&event_text("links-header-only.json")).unwrap();
    e["headers"]["argocd-application-name"] = format!("{namespace}:{app}").into();
    e["headers"]["x-gluelinks-cluster"] = cluster.into();
    lambda_http::request::from_str(&e.to_string()).unwrap()
}

fn without_times(mut v: Value) -> Value {
    v["lastUpdated"] = Value::Null;
    v["metadata"]["generatedAt"] = Value::Null;
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_run_every_app_is_a_cache_hit_equal_to_a_live_miss() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let emulator = Emulator::start().await;
    demo::seed(&emulator);
    demo::many_apps(&emulator, 25);
    let dir = temp_dir("warm-hit");
    emulator.write_kubeconfig(&dir, "demo");
    let valkey = Valkey::start();
    let env = env(&dir, &valkey);

    emulator.reset_requests();
    let warm = warm::Warm::from_env(&env).await.unwrap();
    let report = warm.handle(scheduled()).await.unwrap();
    assert_eq!(
        (report.clusters, report.apps, report.written),
        (1, 30, 30),
        "{report:?}"
    );
    assert!(report.failures.is_empty());
    // Applications, the four workload kinds, pods, which External Secrets API is served, and
    // ExternalSecrets: eight calls, whatever the number of apps (more pages only past 500 objects).
    let calls: Vec<String> = emulator
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.path, r.query))
        .collect();
    assert_eq!(calls.len(), 8, "{calls:#?}");
    assert!(
        calls.iter().filter(|c| c.ends_with("limit=500")).count() == 7,
        "{calls:#?}"
    );

    let links = links::Links::from_env(&env).await.unwrap();
    let apps = emulator.objects("argoproj.io", "v1alpha1", "applications");
    emulator.reset_requests();
    let mut cached = Vec::new();
    for app in &apps {
        let (ns, name) = (
            app["metadata"]["namespace"].as_str().unwrap(),
            app["metadata"]["name"].as_str().unwrap(),
        );
        let r = links.handle_checked(links_request(ns, name, "demo")).await;
        assert_eq!(r.status(), 200);
        cached.push((ns.to_string(), name.to_string(), body_json(&r)));
    }
    assert!(
        emulator.requests().is_empty(),
        "every click was a cache hit"
    );

    for (ns, name, payload) in cached {
        let (live, degraded) = links.service().generate("demo", "demo", &ns, &name).await;
        assert!(!degraded);
        assert_eq!(
            without_times(payload),
            without_times(serde_json::to_value(live).unwrap()),
            "{ns}/{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_cluster_leaves_the_others_warmed_and_an_empty_one_writes_nothing() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let good = Emulator::start().await;
    demo::seed(&good);
    let bad = Emulator::start().await;
    demo::seed(&bad);
    bad.add_fault(Matcher::resource("pods"), Fault::Status(500));
    let empty = Emulator::start().await;
    let dir = temp_dir("warm-fail");
    good.write_kubeconfig(&dir, "good");
    bad.write_kubeconfig(&dir, "bad");
    empty.write_kubeconfig(&dir, "empty");
    let valkey = Valkey::start();
    let env = env(&dir, &valkey);

    let report = warm::Warm::from_env(&env)
        .await
        .unwrap()
        .handle(scheduled())
        .await
        .unwrap();
    assert_eq!(report.clusters, 3);
    assert_eq!(report.failures.len(), 1, "{report:?}");
    assert!(
        report.failures["bad"].contains("listing pods"),
        "{report:?}"
    );
    let part = |name: &str| {
        report
            .per_cluster
            .iter()
            .find(|p| p.cluster == name)
            .unwrap()
            .clone()
    };
    assert_eq!((part("good").apps, part("good").written), (5, 5));
    assert_eq!((part("bad").written, part("bad").skipped), (0, 5));
    assert_eq!(
        (
            part("empty").apps,
            part("empty").written,
            part("empty").error.clone()
        ),
        (0, 0, None)
    );

    let links = links::Links::from_env(&env).await.unwrap();
    good.reset_requests();
    let r = links
        .handle_checked(links_request("glueops-core", "taco-backend-prod", "good"))
        .await;
    assert_eq!(body_json(&r)["metadata"]["resources"]["podsFound"], 2);
    assert!(good.requests().is_empty(), "the good cluster was warmed");

    // Every cluster failing is an error for Lambda's metrics and retries.
    good.add_fault(Matcher::default(), Fault::Status(500));
    std::fs::remove_file(dir.join("empty.kubeconfig")).unwrap();
    let err = warm::Warm::from_env(&env)
        .await
        .unwrap()
        .handle(scheduled())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("every cluster"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_deployed_to_another_stored_cluster_is_warmed_under_the_key_its_clicks_read() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let argo = Emulator::start().await;
    demo::seed(&argo);
    let edge = Emulator::start().await;
    demo::seed(&edge);
    edge.apply(serde_json::json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "taco-backend-prod-677bfb55b7-third", "namespace": "nonprod",
        "labels": {"app.kubernetes.io/name": "taco-backend-prod"}}}));
    let mut app = argo
        .application("glueops-core", "taco-backend-prod")
        .unwrap();
    app["spec"]["destination"] = serde_json::json!({"name": "edge", "namespace": "nonprod"});
    argo.apply(app);
    let dir = temp_dir("warm-target");
    argo.write_kubeconfig(&dir, "argo");
    edge.write_kubeconfig(&dir, "edge");
    let valkey = Valkey::start();
    let env = env(&dir, &valkey);

    let report = warm::Warm::from_env(&env)
        .await
        .unwrap()
        .handle(scheduled())
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{report:?}");
    let links = links::Links::from_env(&env).await.unwrap();
    let click = |target: &str| {
        let mut req = links_request("glueops-core", "taco-backend-prod", "argo");
        req.headers_mut()
            .insert("argocd-target-cluster-name", target.parse().unwrap());
        req
    };

    // Argo CD's proxy names the destination cluster: a cache hit, with that cluster's pods.
    argo.reset_requests();
    edge.reset_requests();
    let r = links.handle_checked(click("edge")).await;
    assert_eq!(body_json(&r)["metadata"]["resources"]["podsFound"], 3);
    assert!(
        argo.requests().is_empty() && edge.requests().is_empty(),
        "a cache hit"
    );

    // A caller naming no stored target reads the Argo CD cluster, never the entry warmed for the edge.
    let r = links.handle_checked(click("in-cluster")).await;
    assert_eq!(body_json(&r)["metadata"]["resources"]["podsFound"], 2);

    // A destination that cannot be listed leaves its apps unwarmed, not warmed with another cluster's.
    edge.add_fault(Matcher::default(), Fault::Status(500));
    let report = warm::Warm::from_env(&env).await.unwrap().run().await;
    let argo_part = report.per_cluster.iter().find(|p| p.cluster == "argo");
    assert_eq!(
        argo_part.map(|p| (p.written, p.skipped)),
        Some((4, 1)),
        "{report:?}"
    );
    assert!(
        report.failures["argo"].contains("a destination cluster could not be read"),
        "{report:?}"
    );
}

//! The warm function against emulated clusters and a real Valkey: after a run, the links function answers
//! every app from the cache, with what a live cache miss computes.

use gluelinks_emulator::{demo, Emulator, Fault, Matcher};
use gluelinks_tests::functions::scheduled_run;
use gluelinks_tests::harness::{click, without_times, Stack};
use gluelinks_tests::openapi::Checked;

fn links_request(namespace: &str, app: &str, cluster: &str) -> lambda_http::Request {
    click(&format!("{namespace}:{app}"), cluster)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_run_every_app_is_a_cache_hit_equal_to_a_live_miss() {
    let s = Stack::demo("warm-hit").await.with_valkey();
    let emulator = &s.emulator;
    demo::many_apps(emulator, 25);
    let env = s.env(&[]);

    emulator.reset_requests();
    let report = scheduled_run(&env).await.unwrap();
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
        let (status, body) = links.answer(links_request(ns, name, "demo")).await;
        assert_eq!(status, 200);
        cached.push((ns.to_string(), name.to_string(), body));
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
    let s = Stack::demo_as("warm-fail", "good").await.with_valkey();
    let (good, dir) = (&s.emulator, &s.dir);
    let bad = Emulator::start().await;
    demo::seed(&bad);
    bad.add_fault(Matcher::resource("pods"), Fault::Status(500));
    let empty = Emulator::start().await;
    bad.write_kubeconfig(dir, "bad");
    empty.write_kubeconfig(dir, "empty");
    let env = s.env(&[]);

    let report = scheduled_run(&env).await.unwrap();
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
    let (_, body) = links
        .answer(links_request("glueops-core", "taco-backend-prod", "good"))
        .await;
    assert_eq!(body["metadata"]["resources"]["podsFound"], 2);
    assert!(good.requests().is_empty(), "the good cluster was warmed");

    // Every cluster failing is an error for Lambda's metrics and retries.
    good.add_fault(Matcher::default(), Fault::Status(500));
    std::fs::remove_file(dir.join("empty.kubeconfig")).unwrap();
    let err = scheduled_run(&env).await.unwrap_err();
    assert!(err.to_string().contains("every cluster"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_deployed_to_another_stored_cluster_is_warmed_under_the_key_its_clicks_read() {
    let s = Stack::demo_as("warm-target", "argo").await.with_valkey();
    let argo = &s.emulator;
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
    edge.write_kubeconfig(&s.dir, "edge");
    let env = s.env(&[]);

    let report = scheduled_run(&env).await.unwrap();
    assert!(report.failures.is_empty(), "{report:?}");
    let links = links::Links::from_env(&env).await.unwrap();
    let to = |target: &str| {
        let mut req = links_request("glueops-core", "taco-backend-prod", "argo");
        req.headers_mut()
            .insert("argocd-target-cluster-name", target.parse().unwrap());
        req
    };

    // Argo CD's proxy names the destination cluster: a cache hit, with that cluster's pods.
    argo.reset_requests();
    edge.reset_requests();
    let (_, body) = links.answer(to("edge")).await;
    assert_eq!(body["metadata"]["resources"]["podsFound"], 3);
    assert!(
        argo.requests().is_empty() && edge.requests().is_empty(),
        "a cache hit"
    );

    // A caller naming no stored target reads the Argo CD cluster, never the entry warmed for the edge.
    let (_, body) = links.answer(to("in-cluster")).await;
    assert_eq!(body["metadata"]["resources"]["podsFound"], 2);

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

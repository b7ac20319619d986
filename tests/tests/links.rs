//! The links function and its readiness route against the cluster emulator and a real Valkey server,
//! through API Gateway events: exact URLs, the headers that name an app and a cluster, the cache, and the
//! answers that degrade.
//!
//! Its own test binary: every test here runs with the process's AWS settings pointed at an endpoint that
//! never answers ([`silent_aws`]).

use gluelinks_emulator::{demo, Emulator, Fault, Matcher};
use gluelinks_tests::harness::{
    category, event, labels, urls, Event, Stack, LINK_BASES, PROXY_TOKEN,
};
use gluelinks_tests::logs::captured_logs;
use gluelinks_tests::openapi::Checked;
use gluelinks_tests::servers::{free_port, Valkey};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const READ: &str = PROXY_TOKEN;

/// An AWS endpoint that accepts connections and never answers: with `CLUSTER_SECRET_PREFIX` set, a
/// kubeconfig store in AWS Secrets Manager that hangs. The process's AWS settings point at it for the whole
/// binary, set by whichever test starts first, before any test does anything else (changing the
/// environment while another thread reads it is unsafe). No other test here uses AWS.
fn silent_aws() {
    static SILENT: OnceLock<TcpListener> = OnceLock::new();
    SILENT.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_REGION", "us-east-1");
        listener
    });
}

/// The demo stack with a Valkey, AWS silenced first.
async fn setup(name: &str) -> Stack {
    silent_aws();
    Stack::demo(name).await.with_valkey()
}

/// The demo app's links, by its path and Argo CD's header.
fn taco() -> lambda_http::Request {
    request(
        Some("taco-backend-prod"),
        Some("nonprod:taco-backend-prod"),
        &[],
    )
}

/// The single-source demo app's links, by its path and Argo CD's header.
fn billing() -> lambda_http::Request {
    request(Some("billing-api"), Some("argocd:billing-api"), &[])
}

/// The links function on `s`, linking to [`LINK_BASES`], with `extra` settings (a later pair wins).
async fn function(s: &Stack, extra: &[(&str, &str)]) -> links::Links {
    let settings = [LINK_BASES, extra].concat();
    links::Links::from_env(&s.env(&settings)).await.unwrap()
}

/// The sample links event for `path_app` (None: `/api/links`), with the Argo CD header set to `header`
/// (None: removed) and `extra` headers.
fn request(
    path_app: Option<&str>,
    header: Option<&str>,
    extra: &[(&str, &str)],
) -> lambda_http::Request {
    let path = match path_app {
        Some(app) => format!("/api/v1/applications/{app}/links"),
        None => "/api/links".to_string(),
    };
    let mut event = Event::sample("links-application.json")
        .path(&path)
        .without_header("argocd-application-name");
    if let Some(h) = header {
        event = event.header("argocd-application-name", h);
    }
    extra
        .iter()
        .fold(event, |e, (k, v)| e.header(k, v))
        .request()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_category_ok_with_exact_urls() {
    let s = setup("links-happy").await;
    let f = function(&s, &[]).await;
    let (status, body) = f.answer(taco()).await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["apm", "namespace", "pod", "logs", "traces", "vault", "iaac"]
    );
    for c in body["categories"].as_array().unwrap() {
        assert_eq!(c["status"], "ok", "{c}");
    }
    assert_eq!(body["appName"], "taco-backend-prod");
    assert_eq!(body["namespace"], "nonprod");
    assert_eq!(body["serviceName"], "taco-backend-prod");
    assert_eq!(
        body["metadata"]["resources"],
        json!({"argocdApp": true, "deployment": true, "deployments": 1, "statefulSets": 0, "daemonSets": 0,
               "rollouts": 0, "podsFound": 2, "externalSecretsFound": 1})
    );
    assert_eq!(urls(&body, "apm"), ["https://grafana.acme.dev/d/opentelemetry-apm/apm-overview?orgId=1&refresh=30s&from=now-1h&to=now&var-app=taco-backend-prod&var-route=All"]);
    assert_eq!(urls(&body, "namespace"), ["https://grafana.acme.dev/d/ee58kcteeir5sf/kubernetes-overview?orgId=1&var-namespace=nonprod"]);
    assert_eq!(urls(&body, "pod"), [
        "https://grafana.acme.dev/d/ce60j8f8umhhcc/kubernetes-pod-overview?orgId=1&refresh=10s&from=now-1h&to=now&var-datasource=default&var-cluster=&var-namespace=nonprod&var-pod=taco-backend-prod-677bfb55b7-942nr",
        "https://grafana.acme.dev/d/ce60j8f8umhhcc/kubernetes-pod-overview?orgId=1&refresh=10s&from=now-1h&to=now&var-datasource=default&var-cluster=&var-namespace=nonprod&var-pod=taco-backend-prod-677bfb55b7-x7k2p",
    ]);
    let logs = &urls(&body, "logs")[0];
    assert!(logs.starts_with("https://grafana.acme.dev/a/grafana-lokiexplore-app/explore/service/taco-backend-prod/logs?patterns=%5B%5D&from=now-15m&to=now&var-filters=service_name%7C%3D%7Ctaco-backend-prod"), "{logs}");
    let traces = &urls(&body, "traces")[0];
    let panes = traces
        .split("panes=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let panes: Value =
        serde_json::from_str(&percent_decode_str(panes).decode_utf8().unwrap()).unwrap();
    assert_eq!(panes["trc"]["datasource"], "tempo-uid-1");
    assert_eq!(
        panes["trc"]["queries"][0]["filters"][0]["value"][0],
        "taco-backend-prod"
    );
    assert_eq!(
        urls(&body, "vault"),
        [
            "https://vault.acme.dev/ui/vault/secrets/secret/show/nonprod/taco-backend",
            "https://vault.acme.dev/ui/vault/secrets/secret/show/nonprod/taco-backend/database",
        ]
    );
    assert_eq!(urls(&body, "iaac"), ["https://github.com/antoniostacos/deployment-configurations/tree/main/apps/taco-backend"]);

    // /api/links takes the app from the header alone and answers the same.
    let (status, same) = f
        .answer(request(None, Some("nonprod:taco-backend-prod"), &[]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(same, body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_source_ssh_repo_and_the_apps_own_namespace() {
    let s = setup("links-single").await;
    let f = function(&s, &[]).await;
    // Argo CD names the Application's own namespace; the workloads are in its destination.
    let (status, body) = f.answer(billing()).await;
    assert_eq!(status, 200);
    assert_eq!(body["namespace"], "payments");
    assert_eq!(
        urls(&body, "iaac"),
        ["https://github.com/acme/billing/tree/HEAD/deploy/prod"]
    );
    assert_eq!(urls(&body, "pod").len(), 1);
    assert_eq!(category(&body, "vault")["status"], "empty");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_pods_crd_and_app_degrade_only_their_categories() {
    let s = setup("links-missing").await;
    let f = function(&s, &[("CACHE_TTL_SECONDS", "1")]).await;
    for pod in [
        "taco-backend-prod-677bfb55b7-942nr",
        "taco-backend-prod-677bfb55b7-x7k2p",
    ] {
        let mut gone = s.emulator.object("", "v1", "pods", "nonprod", pod).unwrap();
        gone["metadata"]["labels"] = json!({"app.kubernetes.io/name": "something-else"});
        s.emulator.apply(gone);
    }
    s.emulator.set_external_secrets_installed(false);
    let (status, body) = f.answer(taco()).await;
    assert_eq!(status, 200);
    assert_eq!(category(&body, "pod")["status"], "empty");
    assert_eq!(
        category(&body, "pod")["message"],
        "No pods currently running (looked for the pods selected by Deployment taco-backend-prod in namespace 'nonprod')"
    );
    assert_eq!(
        category(&body, "vault")["status"],
        "empty",
        "a missing CRD means none, not an error"
    );
    assert_eq!(
        category(&body, "vault")["message"],
        "External Secrets Operator is not installed in this cluster (no external-secrets.io API is served)"
    );
    assert_eq!(category(&body, "iaac")["status"], "ok");

    let (status, body) = f
        .answer(request(Some("ghost-app"), Some("nonprod:ghost-app"), &[]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(category(&body, "iaac")["status"], "error");
    assert!(
        category(&body, "iaac")["message"]
            .as_str()
            .unwrap()
            .contains("'ghost-app' not found"),
        "{body}"
    );
    assert_eq!(body["metadata"]["resources"]["argocdApp"], false);
    assert_eq!(category(&body, "apm")["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_names_follow_the_specified_examples() {
    let s = setup("links-service").await;
    let mut app = s
        .emulator
        .application("glueops-core", "taco-backend-prod")
        .unwrap();
    app["metadata"] =
        json!({"name": "taco-backend-prod-677bfb55b7-942nr", "namespace": "glueops-core"});
    s.emulator.apply(app);
    let f = function(&s, &[]).await;
    for app in ["taco-backend-prod", "taco-backend-prod-677bfb55b7-942nr"] {
        let (_, body) = f
            .answer(request(Some(app), Some(&format!("nonprod:{app}")), &[]))
            .await;
        assert_eq!(body["serviceName"], "taco-backend-prod", "{app}");
        assert_eq!(body["appName"], app);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_headers_are_400s_that_say_what_to_send() {
    let s = setup("links-headers").await;
    let f = function(&s, &[]).await;
    let cases = [
        (
            Some("taco-backend-prod"),
            None,
            "Missing header Argocd-Application-Name",
        ),
        (
            Some("taco-backend-prod"),
            Some("taco-backend-prod"),
            "expected '<namespace>:<app>'",
        ),
        (
            Some("taco-backend-prod"),
            Some("nonprod:billing-api"),
            "names application 'billing-api' but the path names 'taco-backend-prod'",
        ),
        (None, None, "Missing header"),
    ];
    for (path_app, header, expected) in cases {
        let (status, body) = f.answer(request(path_app, header, &[])).await;
        assert_eq!(status, 400, "{path_app:?} {header:?}");
        assert!(
            body["detail"].as_str().unwrap().contains(expected),
            "{body}"
        );
    }
    let cluster_cases = [
        ("elsewhere", "'elsewhere' named by"),
        ("../demo", "Invalid cluster name"),
    ];
    for (cluster, expected) in cluster_cases {
        let req = request(
            None,
            Some("nonprod:taco-backend-prod"),
            &[("x-gluelinks-cluster", cluster)],
        );
        let (status, body) = f.answer(req).await;
        assert_eq!(status, 400, "{cluster}");
        assert!(
            body["detail"].as_str().unwrap().contains(expected),
            "{body}"
        );
    }

    // Two stored clusters and no default: the caller must say which.
    s.emulator.write_kubeconfig(&s.dir, "second");
    let f = function(&s, &[]).await;
    let (status, body) = f
        .answer(request(None, Some("nonprod:taco-backend-prod"), &[]))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["detail"].as_str().unwrap().contains("DEFAULT_CLUSTER"),
        "{body}"
    );
    let (status, _) = f
        .answer(request(
            None,
            Some("nonprod:taco-backend-prod"),
            &[("x-gluelinks-cluster", "second")],
        ))
        .await;
    assert_eq!(status, 200);
}

/// Discovery follows every tracking method Argo CD has: the instance label (the default before 3.0) and,
/// for an Application outside the control-plane namespace, tracking ids that name it `<namespace>_<app>`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workloads_tracked_by_label_or_as_apps_in_any_namespace_are_found() {
    let s = setup("links-tracking").await;
    let app = |name: &str, namespace: &str, destination: &str| {
        json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": { "name": name, "namespace": namespace },
            "spec": { "destination": { "namespace": destination },
                "source": { "repoURL": "https://github.com/acme/apps.git", "path": name } }
        })
    };
    let deployment = |name: &str, namespace: &str, labels: Value, annotations: Value| {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": { "name": name, "namespace": namespace, "labels": labels, "annotations": annotations },
            "spec": { "selector": { "matchLabels": { "app": name } },
                "template": { "metadata": { "labels": { "app": name } }, "spec": { "containers": [] } } }
        })
    };
    let pod = |name: &str, namespace: &str, app: &str| {
        json!({ "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": name, "namespace": namespace, "labels": { "app": app } } })
    };
    // Label tracking: no annotation at all.
    s.emulator.apply(app("legacy", "argocd", "legacy-ns"));
    s.emulator.apply(deployment(
        "legacy-api",
        "legacy-ns",
        json!({ "app.kubernetes.io/instance": "legacy" }),
        json!({}),
    ));
    s.emulator
        .apply(pod("legacy-api-1", "legacy-ns", "legacy-api"));
    // An app in another namespace than Argo CD's: its tracking ids name it `team-b_orders`.
    s.emulator.apply(app("orders", "team-b", "orders-ns"));
    s.emulator.apply(deployment(
        "orders-api",
        "orders-ns",
        json!({}),
        json!({ "argocd.argoproj.io/tracking-id": "team-b_orders:apps/Deployment:orders-ns/orders-api" }),
    ));
    s.emulator
        .apply(pod("orders-api-1", "orders-ns", "orders-api"));
    s.emulator.apply(json!({
        "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
        "metadata": { "name": "orders-db", "namespace": "orders-ns",
            "annotations": { "argocd.argoproj.io/tracking-id":
                "team-b_orders:external-secrets.io/ExternalSecret:orders-ns/orders-db" } },
        "spec": { "dataFrom": [{ "extract": { "key": "secret/orders/db" } }] }
    }));
    // Someone else's deployment in the same namespace is not the app's.
    s.emulator.apply(deployment(
        "other-api",
        "orders-ns",
        json!({ "app.kubernetes.io/instance": "other" }),
        json!({ "argocd.argoproj.io/tracking-id": "other:apps/Deployment:orders-ns/other-api" }),
    ));
    s.emulator
        .apply(pod("other-api-1", "orders-ns", "other-api"));

    let f = function(&s, &[("DEFAULT_CLUSTER", "demo")]).await;
    for (header, pods, vault) in [
        ("argocd:legacy", vec!["legacy-api-1"], vec![]),
        (
            "team-b:orders",
            vec!["orders-api-1"],
            vec!["https://vault.acme.dev/ui/vault/secrets/secret/show/orders/db"],
        ),
    ] {
        let (status, body) = f.answer(request(None, Some(header), &[])).await;
        assert_eq!(status, 200, "{header}: {body}");
        assert_eq!(
            body["metadata"]["resources"]["deployment"], true,
            "{header}"
        );
        assert_eq!(labels(&body, "pod"), pods, "{header}");
        assert_eq!(urls(&body, "vault"), vault, "{header}");
    }

    // An app nothing is tracked for: the Pods category says what was looked for, and where.
    s.emulator.apply(app("ghost", "argocd", "orders-ns"));
    let (_, body) = f.answer(request(None, Some("argocd:ghost"), &[])).await;
    let pods = category(&body, "pod");
    assert_eq!(pods["status"], "empty");
    assert_eq!(
        pods["message"],
        "No Deployment, StatefulSet, DaemonSet or Rollout tracked by app 'ghost' in namespace 'orders-ns' (looked for the argocd.argoproj.io/tracking-id annotation and the app.kubernetes.io/instance label naming 'ghost'; Argo CD lists no resources for the app yet)"
    );
}

/// Argo CD names the Application's own namespace in its header: with `argocd/payments` and
/// `team-a/payments` both present, a click on `team-a/payments` gets team-a's app, and the configured
/// namespaces are only the fallback (the original backend's callers send the destination namespace instead).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headers_namespace_is_the_applications_own() {
    let s = setup("links-app-namespace").await;
    for (namespace, destination) in [("argocd", "payments-prod"), ("team-a", "team-a-apps")] {
        s.emulator.apply(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": { "name": "payments", "namespace": namespace },
            "spec": { "destination": { "namespace": destination },
                "source": { "repoURL": format!("https://github.com/acme/{namespace}.git"), "path": "payments" } }
        }));
    }
    let f = function(&s, &[("DEFAULT_CLUSTER", "demo")]).await;
    for (header, destination, repo) in [
        ("team-a:payments", "team-a-apps", "team-a"),
        ("argocd:payments", "payments-prod", "argocd"),
        // Not in the header's namespace: the configured ones (glueops-core, argocd) are looked in next.
        ("payments-prod:payments", "payments-prod", "argocd"),
    ] {
        let (status, body) = f.answer(request(None, Some(header), &[])).await;
        assert_eq!(status, 200, "{header}: {body}");
        assert_eq!(body["namespace"], destination, "{header}");
        let iaac = &urls(&body, "iaac")[0];
        assert!(
            iaac.starts_with(&format!("https://github.com/acme/{repo}/tree/")),
            "{header}: {iaac}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workloads_come_from_the_target_cluster_when_it_is_stored() {
    let s = setup("links-target").await;
    let workloads = Emulator::start().await;
    demo::seed(&workloads);
    workloads.apply(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "taco-backend-prod-677bfb55b7-third", "namespace": "nonprod",
        "labels": {"app.kubernetes.io/name": "taco-backend-prod"}}}));
    workloads.write_kubeconfig(&s.dir, "workload-cluster");
    let f = function(&s, &[("DEFAULT_CLUSTER", "demo")]).await;
    let (_, body) = f
        .answer(request(
            None,
            Some("nonprod:taco-backend-prod"),
            &[("argocd-target-cluster-name", "workload-cluster")],
        ))
        .await;
    assert_eq!(body["metadata"]["resources"]["podsFound"], 3);
    let (_, body) = f
        .answer(request(
            None,
            Some("nonprod:billing-api"),
            &[("argocd-target-cluster-name", "in-cluster")],
        ))
        .await;
    assert_eq!(
        body["metadata"]["resources"]["podsFound"], 1,
        "an unknown target cluster means the Argo CD cluster"
    );

    // Each workloads cluster has its own cache entry: one caller's choice is never served to another.
    for (target, pods) in [
        ("in-cluster", 2),
        ("workload-cluster", 3),
        ("in-cluster", 2),
    ] {
        let (_, body) = f
            .answer(request(
                None,
                Some("nonprod:taco-backend-prod"),
                &[("argocd-target-cluster-name", target)],
            ))
            .await;
        assert_eq!(body["metadata"]["resources"]["podsFound"], pods, "{target}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_down_degrades_to_200() {
    let s = setup("links-down").await;
    let f = function(&s, &[]).await;
    s.emulator.add_fault(Matcher::default(), Fault::Status(500));
    let (status, body) = f.answer(taco()).await;
    assert_eq!(status, 200);
    for id in ["pod", "vault", "iaac"] {
        assert_eq!(category(&body, id)["status"], "error", "{id}");
        assert!(
            category(&body, id)["message"]
                .as_str()
                .unwrap()
                .contains("HTTP 500"),
            "{body}"
        );
    }
    for id in ["apm", "namespace", "logs", "traces"] {
        assert_eq!(category(&body, id)["status"], "ok", "{id}");
    }

    // A hanging cluster is cut off by the links budget, well inside the Argo CD UI's 8 s.
    s.emulator.clear_faults();
    s.emulator
        .add_fault(Matcher::default(), Fault::Hang(Duration::from_secs(30)));
    let f = function(&s, &[("LINKS_TIMEOUT_SECONDS", "1")]).await;
    let started = Instant::now();
    let (status, body) = f.answer(billing()).await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert!(
        category(&body, "pod")["message"]
            .as_str()
            .unwrap()
            .contains("did not answer within 1 s (LINKS_TIMEOUT_SECONDS)"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_hits_keep_last_updated_and_stale_copies_cover_failures() {
    let s = setup("links-cache").await;
    let f = function(&s, &[("CACHE_TTL_SECONDS", "1")]).await;
    let req = taco;
    let (_, first) = f.answer(req()).await;
    s.emulator.reset_requests();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, _) = f.answer(req()).await; // expired: regenerated
    assert!(!s.emulator.requests().is_empty());
    let (_, regenerated) = f.answer(req()).await;
    s.emulator.reset_requests();
    let (_, hit) = f.answer(req()).await;
    assert!(
        s.emulator.requests().is_empty(),
        "a fresh hit makes no cluster call"
    );
    assert_eq!(hit["lastUpdated"], regenerated["lastUpdated"]);
    assert_eq!(hit, regenerated);
    assert!(first["metadata"].get("stale").is_none());

    // The cache is shared: another container (a new function) hits the same entry.
    let other = function(&s, &[("CACHE_TTL_SECONDS", "1")]).await;
    assert_eq!(
        other.answer(req()).await.1["lastUpdated"],
        regenerated["lastUpdated"]
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    s.emulator.add_fault(Matcher::default(), Fault::Status(500));
    let (status, stale) = f.answer(req()).await;
    assert_eq!(status, 200);
    assert_eq!(stale["metadata"]["stale"], true);
    assert_eq!(stale["lastUpdated"], regenerated["lastUpdated"]);
    assert_eq!(category(&stale, "pod")["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_or_silent_valkey_costs_a_bounded_delay() {
    let s = setup("links-valkey-down").await;
    let req = taco;
    // Uncached, with an in-process cache that is empty: the time the cluster calls take.
    let warm_up = function(&s, &[("VALKEY_URL", "")]).await;
    warm_up.answer(req()).await;
    let fresh = function(&s, &[("VALKEY_URL", "")]).await;
    let started = Instant::now();
    fresh.answer(req()).await;
    let uncached = started.elapsed();

    // Nothing listens on the first; the second accepts connections and never answers.
    let closed = format!("redis://127.0.0.1:{}", free_port());
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("redis://127.0.0.1:{}", silent.local_addr().unwrap().port());
    for url in [closed, silent_url] {
        let f = function(&s, &[("VALKEY_URL", &url)]).await;
        let started = Instant::now();
        let (status, body) = f.answer(req()).await;
        let elapsed = started.elapsed();
        assert_eq!(status, 200, "{url}");
        assert_eq!(category(&body, "pod")["status"], "ok");
        assert!(
            elapsed < uncached + Duration::from_millis(500),
            "{url}: {elapsed:?} against {uncached:?} uncached"
        );
        // Readiness says so.
        let (status, ready) = f.answer(ready_request()).await;
        assert_eq!(status, 503, "{ready}");
        assert_eq!(ready["ready"], false);
        assert!(
            ready["checks"]["cache"]
                .as_str()
                .unwrap()
                .starts_with("error"),
            "{ready}"
        );
        assert_eq!(ready["checks"]["kubernetes"], "ok");
    }
    drop(silent);
}

fn ready_request() -> lambda_http::Request {
    event("links-ready.json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_checks_valkey_and_the_default_cluster() {
    let s = setup("links-ready").await;
    let f = function(&s, &[]).await;
    let (status, body) = f.answer(ready_request()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"], json!({"cache": "ok", "kubernetes": "ok"}));
    assert!(body["timestamp"].is_string());
    s.emulator.add_fault(Matcher::default(), Fault::Status(500));
    let (status, body) = f.answer(ready_request()).await;
    assert_eq!(status, 503);
    assert!(
        body["checks"]["kubernetes"]
            .as_str()
            .unwrap()
            .contains("HTTP 500"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_templates_and_mock_data() {
    let s = setup("links-custom").await;
    let f = function(
        &s,
        &[
            (
                "LINK_TEMPLATE_APM",
                "https://apm.acme.dev/services/{service}?env={namespace}",
            ),
            (
                "QUICK_LINKS",
                r#"[{"label": "Runbook", "url": "https://wiki.acme.dev/runbook"}]"#,
            ),
        ],
    )
    .await;
    let (_, body) = f.answer(taco()).await;
    assert_eq!(
        urls(&body, "apm"),
        ["https://apm.acme.dev/services/taco-backend-prod?env=nonprod"]
    );
    assert_eq!(body["categories"][0]["id"], "quick-links");
    assert_eq!(
        urls(&body, "quick-links"),
        ["https://wiki.acme.dev/runbook"]
    );

    let mock = function(
        &s,
        &[
            ("USE_MOCK_DATA", "true"),
            ("DEFAULT_MOCK_FIXTURE", "errors"),
        ],
    )
    .await;
    s.emulator.reset_requests();
    let (status, body) = mock
        .answer(request(Some("anything"), Some("nonprod:anything"), &[]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["appName"], "anything");
    assert_eq!(category(&body, "pod")["status"], "error");
    assert!(
        s.emulator.requests().is_empty(),
        "mock data touches no cluster"
    );
}

/// What Valkey holds under `key` (empty when nothing), read with its own client.
fn valkey_get(valkey: &Valkey, key: &str) -> String {
    valkey.cli(&["GET", key])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_app_is_cached_briefly_and_never_served_stale() {
    let s = setup("links-missing-app").await;
    let ghost = |name: &str| {
        let mut app = s.emulator.application("argocd", "billing-api").unwrap();
        app["metadata"] = json!({"name": name, "namespace": "argocd"});
        app
    };
    let req = |app: &str| request(Some(app), Some(&format!("argocd:{app}")), &[]);
    let found = |body: &Value| body["metadata"]["resources"]["argocdApp"].clone();

    // Not found is cached (the TTL is 30 s), but for CACHE_MISSING_APP_SECONDS only: an app created
    // meanwhile shows up after that.
    let f = function(&s, &[("CACHE_MISSING_APP_SECONDS", "1")]).await;
    assert_eq!(found(&f.answer(req("new-app")).await.1), false);
    s.emulator.apply(ghost("new-app"));
    assert_eq!(found(&f.answer(req("new-app")).await.1), false, "cached");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, body) = f.answer(req("new-app")).await;
    assert_eq!(found(&body), true, "{body}");
    assert_eq!(category(&body, "iaac")["status"], "ok");

    // An expired not-found is never the stale copy a failing cluster falls back to.
    let f = function(&s, &[("CACHE_TTL_SECONDS", "1")]).await;
    assert_eq!(found(&f.answer(req("ghost-app")).await.1), false);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    s.emulator.add_fault(Matcher::default(), Fault::Status(500));
    let (status, body) = f.answer(req("ghost-app")).await;
    assert_eq!(status, 200);
    assert!(body["metadata"].get("stale").is_none(), "{body}");
    assert!(
        category(&body, "iaac")["message"]
            .as_str()
            .unwrap()
            .contains("HTTP 500"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_repo_urls_reach_neither_the_answer_nor_the_cache_nor_the_logs() {
    let logs = captured_logs();
    let s = setup("links-repo-credentials").await;
    let set_repo = |namespace: &str, name: &str, field: &str, url: &str| {
        let mut app = s.emulator.application(namespace, name).unwrap();
        let pointer = format!("/spec/{field}/repoURL");
        *app.pointer_mut(&pointer).unwrap() = url.into();
        s.emulator.apply(app);
    };
    set_repo(
        "argocd",
        "billing-api",
        "source",
        "https://octo:ghp_secret@github.com/acme/billing.git",
    );
    set_repo(
        "glueops-core",
        "taco-backend-prod",
        "sources/1",
        "ssh://git:ghp_secret@github.com/antoniostacos/deployment-configurations.git",
    );
    let f = function(&s, &[]).await;
    let cases = [
        (
            "argocd:billing-api",
            "gluelinks:v1:demo:argocd:billing-api",
            "https://github.com/acme/billing/tree/HEAD/deploy/prod",
        ),
        (
            "nonprod:taco-backend-prod",
            "gluelinks:v1:demo:nonprod:taco-backend-prod",
            "https://github.com/antoniostacos/deployment-configurations/tree/main/apps/taco-backend",
        ),
    ];
    for (header, key, link) in cases {
        let (status, body) = f.answer(request(None, Some(header), &[])).await;
        assert_eq!(status, 200);
        assert_eq!(urls(&body, "iaac"), [link]);
        let cached = valkey_get(s.valkey(), key);
        assert!(cached.contains(link), "{key}: {cached}");
        for (what, text) in [("answer", body.to_string()), ("cache", cached)] {
            assert!(!text.contains("ghp_secret"), "{what}: {text}");
        }
    }
    assert!(!logs.text().contains("ghp_secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_kubeconfig_store_degrades_the_answer_within_the_budget() {
    let s = setup("links-silent-store").await;
    // No target cluster named: only the kubeconfig read is on the way.
    let own_cluster = |header: &str| {
        let mut req = request(None, Some(header), &[]);
        req.headers_mut().remove("argocd-target-cluster-name");
        req
    };
    let from_dir = function(&s, &[("CACHE_TTL_SECONDS", "1")]).await;
    let (_, cached) = from_dir
        .answer(own_cluster("nonprod:taco-backend-prod"))
        .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // The kubeconfigs are in AWS Secrets Manager, which accepts connections and never answers; its own
    // bound (KUBE_TIMEOUT_SECONDS, 10 s) is longer than the links budget.
    let silent = [
        ("CLUSTER_SECRET_PREFIX", "gluelinks/clusters/"),
        ("LINKS_TIMEOUT_SECONDS", "1"),
        ("CACHE_TTL_SECONDS", "1"),
    ];
    let within_budget = |started: Instant| {
        assert!(
            started.elapsed() < Duration::from_millis(2500),
            "{:?}",
            started.elapsed()
        )
    };
    let mut with_default = silent.to_vec();
    with_default.push(("DEFAULT_CLUSTER", "demo"));
    let f = function(&s, &with_default).await;
    let started = Instant::now();
    let (status, stale) = f.answer(own_cluster("nonprod:taco-backend-prod")).await;
    within_budget(started);
    assert_eq!(status, 200);
    assert_eq!(stale["metadata"]["stale"], true, "{stale}");
    assert_eq!(stale["lastUpdated"], cached["lastUpdated"]);

    let started = Instant::now();
    let (status, body) = f.answer(own_cluster("argocd:billing-api")).await;
    within_budget(started);
    assert_eq!(status, 200);
    for id in ["pod", "vault", "iaac"] {
        assert_eq!(
            category(&body, id)["message"],
            "The kubeconfig store did not answer within 1 s (LINKS_TIMEOUT_SECONDS)",
            "{id}"
        );
    }

    // Naming a cluster by header, or a target cluster, or none, needs the stored clusters' list first.
    let f = function(&s, &silent).await;
    for extra in [vec![("x-gluelinks-cluster", "demo")], vec![]] {
        let started = Instant::now();
        let (status, body) = f
            .answer(request(None, Some("nonprod:taco-backend-prod"), &extra))
            .await;
        within_budget(started);
        assert_eq!(status, 200, "{extra:?}: {body}");
        assert_eq!(category(&body, "pod")["status"], "error");
        assert_eq!(category(&body, "apm")["status"], "ok");
    }

    // Readiness is bounded as well (2 s).
    let f = function(&s, &with_default).await;
    let started = Instant::now();
    let (status, body) = f.answer(ready_request()).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status, 503);
    assert!(
        body["checks"]["kubernetes"]
            .as_str()
            .unwrap()
            .contains("did not answer within 2 s (readiness' own bound)"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_application_fields_and_headers_stay_inside_their_links() {
    let s = setup("links-hostile").await;
    // ExternalSecret keys, and the Application's source path and revision, are written by whoever may
    // create them: one key climbs, the other carries every character that could end or break a URL.
    let climbing = "team/../../sys/policy";
    let hostile = "team/app\n&x=1#frag\"quoted' %2e%2e";
    let mut external_secret = s
        .emulator
        .object(
            "external-secrets.io",
            "v1",
            "externalsecrets",
            "nonprod",
            "taco-backend-prod-secrets",
        )
        .unwrap();
    external_secret["spec"]["data"] = json!([
        {"secretKey": "A", "remoteRef": {"key": climbing}},
        {"secretKey": "B", "remoteRef": {"key": hostile}},
    ]);
    s.emulator.apply(external_secret);
    let mut app = s.emulator.application("argocd", "billing-api").unwrap();
    app["spec"]["source"]["path"] = "../../attacker/repo".into();
    s.emulator.apply(app.clone());
    let f = function(&s, &[]).await;

    let (status, body) = f
        .answer(request(None, Some("nonprod:taco-backend-prod"), &[]))
        .await;
    assert_eq!(status, 200);
    let vault = category(&body, "vault");
    assert_eq!(
        vault["message"], "1 key(s) not linked: a '.' or '..' segment would open another secret",
        "{vault}"
    );
    let prefix = "https://vault.acme.dev/ui/vault/secrets/secret/show/";
    let links = urls(&body, "vault");
    let encoded = format!("{prefix}team/app%0A%26x%3D1%23frag%22quoted%27%20%252e%252e");
    assert!(links.contains(&encoded), "{links:?}");
    assert!(!links.iter().any(|l| l.contains("policy")), "{links:?}");
    let label = vault["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .find(|l| l.starts_with("secret/team/app"))
        .unwrap();
    assert!(!label.contains('\n'), "{label:?}");

    // A climbing source path is refused with a message, and its revision encoded.
    let (_, body) = f
        .answer(request(None, Some("argocd:billing-api"), &[]))
        .await;
    let iaac = category(&body, "iaac");
    assert_eq!(iaac["status"], "error", "{iaac}");
    assert!(
        iaac["message"]
            .as_str()
            .unwrap()
            .contains("leaves the repository folder"),
        "{iaac}"
    );
    app["spec"]["source"]["path"] = "deploy/prod".into();
    app["spec"]["source"]["targetRevision"] = "release/1.0?x=1#y".into();
    s.emulator.apply(app);
    // Uncached: the refusal above is in Valkey for CACHE_TTL_SECONDS.
    let f = function(&s, &[("VALKEY_URL", "")]).await;
    let (_, body) = f
        .answer(request(None, Some("argocd:billing-api"), &[]))
        .await;
    assert_eq!(
        urls(&body, "iaac"),
        ["https://github.com/acme/billing/tree/release/1.0%3Fx%3D1%23y/deploy/prod"]
    );

    // Names that are not Kubernetes names never reach a cluster call or a link: a 400 that quotes them
    // bounded and escaped.
    s.emulator.reset_requests();
    for (path_app, header) in [
        (Some("..%2F..%2Fetc"), None),
        (Some("a%0Ab"), None),
        (None, Some("argocd:../../etc")),
        (None, Some("argocd:billing-api&x=1")),
        (None, Some("argocd:billing#api")),
        (None, Some("argocd:\"billing\"")),
        (None, Some("..:billing-api")),
        (None, Some("argocd:%2e%2e")),
    ] {
        let (status, body) = f.answer(request(path_app, header, &[])).await;
        assert_eq!(status, 400, "{path_app:?} {header:?}: {body}");
        let message = body["message"]
            .as_str()
            .or(body["detail"].as_str())
            .unwrap();
        assert!(message.len() < 400 && !message.contains('\n'), "{message}");
    }
    assert!(s.emulator.requests().is_empty(), "no cluster call");
}

/// One proxy token per Argo CD, bound to the clusters that Argo CD may ask about: its users reach those,
/// whichever header names them, and no other — so one Argo CD's users cannot read another's apps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_proxy_token_reaches_only_its_clusters() {
    let s = setup("links-bound").await;
    // A second stored cluster, as another Argo CD's.
    s.emulator.write_kubeconfig(&s.dir, "other-argocd");
    const PROD: &str = "prod-argocd-proxy-token-0123456789";
    let bound = format!("{PROD}:demo,{READ}:other-argocd");
    let f = function(
        &s,
        &[
            ("AUTH_PROXY_TOKEN", bound.as_str()),
            ("DEFAULT_CLUSTER", "demo"),
        ],
    )
    .await;
    let app = Some("nonprod:taco-backend-prod");
    let with =
        |token: &'static str, cluster: Option<&'static str>, target: Option<&'static str>| {
            let mut headers = vec![("x-gluelinks-token", token)];
            headers.extend(cluster.map(|c| ("x-gluelinks-cluster", c)));
            headers.extend(target.map(|t| ("argocd-target-cluster-name", t)));
            request(Some("taco-backend-prod"), app, &headers)
        };
    // Its own cluster, named by the extension's header or by default.
    for req in [with(PROD, Some("demo"), None), with(PROD, None, None)] {
        let (status, body) = f.answer(req).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(category(&body, "pod")["status"], "ok", "{body}");
    }
    // A target cluster outside the grant is read as one not stored: the Argo CD cluster is read instead,
    // and the answer does not tell whether that name is stored.
    let (status, body) = f
        .answer(with(PROD, Some("demo"), Some("other-argocd")))
        .await;
    assert_eq!(status, 200, "{body}");
    // Another Argo CD's cluster, named by the extension's header or by default, is refused without
    // reading it.
    s.emulator.reset_requests();
    for req in [
        with(PROD, Some("other-argocd"), None),
        with(READ, Some("demo"), None),
        with(READ, None, None),
    ] {
        let (status, body) = f.answer(req).await;
        assert_eq!(status, 403, "{body}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("is not one this caller may reach"),
            "{body}"
        );
    }
    assert!(
        s.emulator.requests().is_empty(),
        "a refused request reached a cluster"
    );
}

//! The CloudWatch metrics (EMF lines) the functions emit, as an operator would chart and alarm on them:
//! each line valid, with the right counts and dimensions.
//!
//! Its own test binary: it reads every metric line the process emitted.

use gluelinks_core::metrics;
use gluelinks_emulator::{Fault, Matcher};
use gluelinks_tests::emf;
use gluelinks_tests::harness::{event, Event, Stack};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

fn metrics_since(start: usize) -> Vec<Value> {
    metrics::captured()[start..]
        .iter()
        .map(|line| {
            emf::check(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            serde_json::from_str(line).unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_outcomes_warm_coverage_and_writes_are_counted() {
    metrics::capture();
    let s = Stack::demo("metrics").await.with_valkey();
    let emulator = &s.emulator;
    let env = s.env(&[("CACHE_TTL_SECONDS", "1")]);

    let links = links::Links::from_env(&env).await.unwrap();
    let start = metrics::captured().len();
    links.handle(event("links-application.json")).await;
    links.handle(event("links-application.json")).await;
    let lines = metrics_since(start);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["CacheMiss"], 1.0);
    assert_eq!(lines[0]["cluster"], "demo");
    assert!(lines[0]["KubernetesTime"].as_f64().unwrap() > 0.0);
    assert_eq!(lines[1]["CacheHit"], 1.0);
    assert!(
        lines[1]["KubernetesTime"].is_null(),
        "a hit reads no cluster"
    );
    assert!(
        lines[1]["LinksLatency"].as_f64().unwrap() < lines[0]["LinksLatency"].as_f64().unwrap()
    );

    // The cluster fails: the copy just cached is served stale, and counted so.
    emulator.add_fault(Matcher::default(), Fault::Status(500));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let start = metrics::captured().len();
    links.handle(event("links-application.json")).await;
    let lines = metrics_since(start);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["StaleServed"], 1.0, "{lines:?}");
    emulator.clear_faults();

    let start = metrics::captured().len();
    let warm = warm::Warm::from_env(&env).await.unwrap();
    warm.handle(LambdaEvent::new(Value::Null, Context::default()))
        .await
        .unwrap();
    let lines = metrics_since(start);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["AppsWarmed"], 5.0);
    assert_eq!(lines[0]["AppsSkipped"], 0.0);
    assert_eq!(lines[0]["ClustersFailed"], 0.0);

    let add = secrets_add::SecretsAdd::from_env(&env).await.unwrap();
    let start = metrics::captured().len();
    let r = add.handle(event("secrets-add-docker.json")).await;
    assert_eq!(r.status(), 200);
    let lines = metrics_since(start);
    // One per namespace written: the event's, and Argo CD's, where argocd-image-updater reads pull secrets.
    let event = Event::sample("secrets-add-docker.json");
    let body: Value = serde_json::from_str(event.json()["body"].as_str().unwrap()).unwrap();
    let namespaces = body["namespaces"].as_str().unwrap().split(',').count();
    assert_eq!(lines.len(), namespaces + 1, "{lines:?}");
    for line in &lines {
        assert_eq!(line["CredentialWrites"], 1.0);
        assert_eq!(line["route"], "/secrets/add_docker");
        assert_eq!(line["outcome"], "created", "{line}");
    }
    // A request refused before any write is counted too.
    let start = metrics::captured().len();
    let r = add.handle(event.body("{}").request()).await;
    assert_eq!(r.status(), 400);
    let lines = metrics_since(start);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["outcome"], "refused: invalid request");
}

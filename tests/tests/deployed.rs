//! The zips an operator uploads, run as Lambda runs them: every function's arm64 `bootstrap` from
//! `make build`, under `qemu-aarch64`, against the Runtime API stand-in and the demo cluster, answers each
//! of its sample events in `events/` correctly, and logs no token.
//!
//! Ignored by a plain `cargo test` (it needs the zips): `make deployed`, part of `make test`, builds them
//! and runs it.

use gluelinks_emulator::project::repo_root;
use gluelinks_tests::harness::Stack;
use gluelinks_tests::runtime_api::Answer;
use gluelinks_tests::shipped::{events_of, functions, run_shipped};
use serde_json::Value;
use std::time::Duration;

/// What an answer says is wrong, if anything: an HTTP status other than 200, a cluster failure inside a
/// 200 (a links category in error, an unreachable secrets list), or a warm run with failures.
fn problem(function: &str, answer: &Answer) -> Option<String> {
    let reply = match answer {
        Answer::Error(e) => return Some(format!("the handler failed: {e}")),
        Answer::Response(reply) => reply,
    };
    if function == "warm" {
        let ok = reply["clusters"].as_u64().is_some_and(|n| n > 0)
            && reply["failures"].as_object().is_some_and(|f| f.is_empty());
        return (!ok).then(|| format!("warm report: {reply}"));
    }
    if reply["statusCode"] != 200 {
        return Some(format!("status {}: {}", reply["statusCode"], reply["body"]));
    }
    let body: Value = reply["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    if matches!(
        body["status"].as_str(),
        Some("cluster_unreachable" | "timeout")
    ) {
        return Some(format!("{body}"));
    }
    let failed: Vec<String> = body["categories"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["status"] == "error")
        .map(|c| format!("{}: {}", c["id"], c["message"]))
        .collect();
    (!failed.is_empty()).then(|| failed.join("; "))
}

/// What an operator reads in CloudWatch: every line logged in an invocation carries its request id, the
/// function name and the cold-start flag (the first invocation's `cold start` line once); the metrics are
/// valid EMF lines.
fn check_observability(function: &str, logs: &str, invocations: usize) {
    let lines: Vec<Value> = logs
        .lines()
        .filter(|l| !l.contains("\"_aws\""))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let in_invocations: Vec<&Value> = lines
        .iter()
        .filter(|l| l["span"]["name"] == "invocation")
        .collect();
    let mut ids: Vec<&str> = Vec::new();
    for line in &in_invocations {
        let id = line["span"]["request_id"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "{function}: {line}");
        assert_eq!(line["span"]["function"], function, "{line}");
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let cold: Vec<&&Value> = in_invocations
        .iter()
        .filter(|l| l["message"] == "cold start")
        .collect();
    assert_eq!(cold.len(), 1, "{function}: one cold start line\n{logs}");
    assert_eq!(cold[0]["span"]["cold_start"], true);
    assert!(
        in_invocations
            .iter()
            .filter(|l| l["span"]["cold_start"] == true)
            .all(|l| l["span"]["request_id"] == cold[0]["span"]["request_id"]),
        "{function}: only the first invocation is cold"
    );
    assert!(ids.len() <= invocations, "{function}: {ids:?}");
    let emf = gluelinks_tests::emf::lines(logs);
    for line in &emf {
        assert!(line.is_ok(), "{function}: {line:?}");
    }
    let names: Vec<String> = emf
        .into_iter()
        .flatten()
        .flatten()
        .map(|(n, _)| n)
        .collect();
    let expected: &[&str] = match function {
        "links" => &["LinksLatency"],
        "warm" => &[
            "AppsWarmed",
            "AppsSkipped",
            "ClustersFailed",
            "WarmDuration",
        ],
        "secrets-add" => &["CredentialWrites"],
        _ => &[],
    };
    for name in expected {
        assert!(
            names.iter().any(|n| n == name),
            "{function}: no {name} metric in {names:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs the zips from `make build`: `make deployed` (part of `make test`)"]
async fn every_shipped_bootstrap_answers_its_sample_events() {
    let stack = Stack::demo("deployed").await.enforcing_rbac().with_valkey();
    let env = stack.pairs();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let secrets = stack.secret_values();
    assert!(secrets.len() >= 7, "{} secrets to look for", secrets.len());
    let mut checked = 0;
    for function in functions() {
        let events = events_of(&function);
        assert!(!events.is_empty(), "{function} has no sample event");
        let run = run_shipped(&function, &env, &events, Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("{function}: {e}"));
        for (name, answer) in &run.answers {
            let answer = answer
                .as_ref()
                .unwrap_or_else(|e| panic!("{function} {name}: {e}\n{}", run.logs));
            assert_eq!(problem(&function, answer), None, "{function} {name}");
            checked += 1;
        }
        for secret in &secrets {
            assert!(
                !run.logs.contains(secret.as_str()),
                "{function} logged a secret"
            );
        }
        check_observability(&function, &run.logs, run.answers.len());
        println!(
            "{function:<13} init {:>7.1} ms  first request {:>7.1} ms  peak RSS {:>6.1} MB (under qemu)  {} event(s)",
            run.init.as_secs_f64() * 1e3,
            run.first_request.as_secs_f64() * 1e3,
            run.peak_rss_kib as f64 / 1024.0,
            run.answers.len()
        );
    }
    assert_eq!(
        checked,
        std::fs::read_dir(repo_root().join("events"))
            .unwrap()
            .count()
    );
}

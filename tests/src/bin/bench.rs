//! `make bench`: the figures GlueLinks' performance goals are judged by, printed as a table.
//! It expects `cargo lambda build --release --arm64 --output-format zip` to have run (make does that).

use gluelinks::config::Env;
use gluelinks_tests::{event_text, repo_root};
use std::time::{Duration, Instant};

const ZIP_GOAL_BYTES: u64 = 2 * 1024 * 1024;
const LIGHT_FUNCTIONS: [&str; 2] = ["health", "fixtures"];
const ITERATIONS: usize = 5_000;

fn main() {
    zip_sizes();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(handler_times());
}

fn zip_sizes() {
    println!("== release bootstrap zips (arm64) ==");
    let dir = repo_root().join("target/lambda");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; run `make build` first", dir.display()))
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().to_string();
        let zip = entry.path().join("bootstrap.zip");
        let Ok(meta) = std::fs::metadata(&zip) else {
            continue;
        };
        let goal = if LIGHT_FUNCTIONS.contains(&name.as_str()) {
            let verdict = if meta.len() <= ZIP_GOAL_BYTES {
                "met"
            } else {
                "MISSED"
            };
            format!("goal <= 2.00 MB: {verdict}")
        } else {
            String::new()
        };
        println!(
            "{name:<14} {:>7.2} MB  {goal}",
            meta.len() as f64 / 1_048_576.0
        );
    }
}

/// Median and 99th percentile of `ITERATIONS` calls of `call`.
async fn measure<F, Fut>(mut call: F) -> (Duration, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let mut times = Vec::with_capacity(ITERATIONS);
    for _ in 0..ITERATIONS {
        let started = Instant::now();
        let status = call().await;
        times.push(started.elapsed());
        assert_eq!(status, 200);
    }
    times.sort();
    (times[ITERATIONS / 2], times[ITERATIONS * 99 / 100])
}

fn report(what: &str, (median, p99): (Duration, Duration)) {
    println!(
        "{what:<34} median {:>8.1} µs   p99 {:>8.1} µs   ({ITERATIONS} calls)",
        median.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
}

async fn handler_times() {
    println!("== in-process handler time (request event -> response) ==");
    let env = Env::from_pairs([("AUTH_READ_TOKEN", "sample-read-token-0123456789")]);
    let health = health::Health::from_env(&env).expect("health settings");
    let fixtures = fixtures::Fixtures::from_env(&env).expect("fixtures settings");
    // The event text is read once; parsing it is part of each call, as in the Lambda runtime.
    let parse = |text: &str| lambda_http::request::from_str(text).expect("a sample event");
    let health_event = event_text("health-api-v1-health.json");
    report(
        "health   GET /api/v1/health",
        measure(|| async { health.handle(parse(&health_event)).await.status().as_u16() }).await,
    );
    let fixture_event = event_text("fixtures-all-ok.json");
    report(
        "fixtures GET /api/v1/fixtures/all-ok",
        measure(|| async {
            fixtures
                .handle(parse(&fixture_event))
                .await
                .status()
                .as_u16()
        })
        .await,
    );
}

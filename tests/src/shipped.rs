//! The zips `make build` ships, run as Lambda runs them: each function's arm64 `bootstrap`, taken out of
//! its `bootstrap.zip`, started under `qemu-aarch64` (or natively on arm64) against the Runtime API
//! stand-in, with the demo cluster and a real Valkey behind it (a [`crate::harness::Stack`]). The tests
//! check its answers; the benchmark reads its cold start (init, first request) and peak memory.

use crate::harness::{function_for_event, Event};
use crate::runtime_api::{arm64_runner, Answer, Bootstrap, RuntimeApi};
use gluelinks_emulator::project::{repo_root, temp_dir};
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// One run of a shipped function: how it started, what it answered, what it logged.
pub struct Run {
    /// Process start to its first poll for an event.
    pub init: Duration,
    /// The first event handed over to its answer.
    pub first_request: Duration,
    pub peak_rss_kib: u64,
    /// Each event's name and the function's answer.
    pub answers: Vec<(String, Result<Answer, String>)>,
    /// Everything it wrote to stdout and stderr.
    pub logs: String,
}

/// `target/lambda/<function>/bootstrap.zip`'s `bootstrap`, extracted to a fresh directory.
pub fn extract_bootstrap(function: &str) -> Result<PathBuf, String> {
    let zip = repo_root()
        .join("target/lambda")
        .join(function)
        .join("bootstrap.zip");
    if !zip.exists() {
        return Err(format!(
            "{} is missing: run `make build` first",
            zip.display()
        ));
    }
    let dir = temp_dir(&format!("shipped-{function}"));
    let status = std::process::Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&zip)
        .arg(&dir)
        .status()
        .map_err(|e| format!("python3 -m zipfile: {e}"))?;
    let bootstrap = dir.join("bootstrap");
    if !status.success() || !bootstrap.exists() {
        return Err(format!("{} holds no bootstrap", zip.display()));
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| e.to_string())?;
    Ok(bootstrap)
}

/// Runs `function`'s shipped bootstrap with `env`, hands it `events` in order (each within `timeout`),
/// and stops it.
pub async fn run_shipped(
    function: &str,
    env: &[(&str, &str)],
    events: &[(String, Value)],
    timeout: Duration,
) -> Result<Run, String> {
    let runner = arm64_runner().ok_or(
        "cannot run arm64 binaries here: install Debian's qemu-user and libc6-arm64-cross",
    )?;
    let binary = extract_bootstrap(function)?;
    run_binary(&runner, &binary, function, env, events, timeout).await
}

/// [`run_shipped`] for any build of `function`: `binary`, prefixed by `runner` (empty: natively).
pub async fn run_binary(
    runner: &[String],
    binary: &std::path::Path,
    function: &str,
    env: &[(&str, &str)],
    events: &[(String, Value)],
    timeout: Duration,
) -> Result<Run, String> {
    let api = RuntimeApi::start().await;
    let mut process = Bootstrap::start(runner, binary, function, &api, env);
    let waited = Instant::now();
    let init = loop {
        if let Some(at) = api.first_poll() {
            break at - process.started;
        }
        if waited.elapsed() > timeout || process.exited() {
            let logs = process.stop().await;
            return Err(format!(
                "{function} never asked for an event within {timeout:?}; it logged: {logs}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    let mut answers = Vec::new();
    let mut first_request = Duration::ZERO;
    for (i, (name, event)) in events.iter().enumerate() {
        let started = Instant::now();
        let answer = api.invoke(event.clone(), timeout).await;
        if i == 0 {
            first_request = started.elapsed();
        }
        answers.push((name.clone(), answer));
    }
    let peak_rss_kib = process.peak_rss_kib().unwrap_or(0);
    let logs = process.stop().await;
    Ok(Run {
        init,
        first_request,
        peak_rss_kib,
        answers,
        logs,
    })
}

/// The sample events in `events/` for `function`, by name, in name order.
pub fn events_of(function: &str) -> Vec<(String, Value)> {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("events"))
        .expect("events/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| function_for_event(n).as_deref() == Some(function))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let event = Event::sample(&n).into_json();
            (n, event)
        })
        .collect()
}

/// Every function in `functions/`, in name order.
pub fn functions() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("functions"))
        .expect("functions/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

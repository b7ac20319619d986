//! Metrics an operator gets for free: CloudWatch's embedded metric format (EMF). Each [`Metrics::emit`]
//! writes one JSON line to stdout, which Lambda sends to CloudWatch Logs, which turns it into metrics in
//! the `GlueLinks` namespace (`METRICS_NAMESPACE`), per function and per the line's own dimensions. No
//! agent, no API call, no cost on the request path beyond the line.
//!
//! The metrics: `CacheHit`, `CacheMiss`, `StaleServed`, `Degraded` and `LinksLatency` (links, per
//! cluster), `KubernetesTime` (a miss's Kubernetes reads, per cluster), `AppsWarmed`, `AppsSkipped`,
//! `ClustersFailed` and `WarmDuration` (warm), `CredentialWrites` (secrets-add, per route and outcome).

use serde_json::{json, Map, Value};
use std::sync::Mutex;
use std::time::Duration;

/// The default CloudWatch namespace.
pub const NAMESPACE: &str = "GlueLinks";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
        }
    }
}

/// Measurements taken together, with the dimensions they are reported by (besides `function`).
#[derive(Debug, Default)]
pub struct Metrics {
    dimensions: Vec<(&'static str, String)>,
    values: Vec<(&'static str, Unit, f64)>,
}

/// Where lines go instead of stdout while a test captures them.
static CAPTURE: Mutex<Option<Vec<String>>> = Mutex::new(None);

impl Metrics {
    /// No measurements and no dimensions yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a dimension the measurements are also reported by (`cluster`, `route`, …).
    pub fn dimension(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.dimensions.push((name, value.into()));
        self
    }

    /// Adds a measurement of `n` occurrences (unit `Count`).
    pub fn count(mut self, name: &'static str, n: usize) -> Self {
        self.values.push((name, Unit::Count, n as f64));
        self
    }

    /// Adds a measurement of how long something `took`, in milliseconds.
    pub fn millis(mut self, name: &'static str, took: Duration) -> Self {
        self.values
            .push((name, Unit::Milliseconds, took.as_secs_f64() * 1e3));
        self
    }

    /// The EMF line, at `timestamp_ms`, for `function` in `namespace`. Reported by `function` alone and
    /// by `function` with every other dimension.
    pub fn line(&self, namespace: &str, function: &str, timestamp_ms: u128) -> String {
        let mut sets = vec![json!(["function"])];
        if !self.dimensions.is_empty() {
            let mut all = vec!["function"];
            all.extend(self.dimensions.iter().map(|(n, _)| *n));
            sets.push(json!(all));
        }
        let definitions: Vec<Value> = self
            .values
            .iter()
            .map(|(name, unit, _)| json!({ "Name": name, "Unit": unit.as_str() }))
            .collect();
        let mut line = Map::new();
        line.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms as u64,
                "CloudWatchMetrics": [{ "Namespace": namespace, "Dimensions": sets, "Metrics": definitions }],
            }),
        );
        line.insert("function".into(), function.into());
        for (name, value) in &self.dimensions {
            line.insert(name.to_string(), value.as_str().into());
        }
        for (name, _, value) in &self.values {
            line.insert(name.to_string(), json!(value));
        }
        Value::Object(line).to_string()
    }

    /// Writes the line to stdout (one write, so it never interleaves with a log line).
    pub fn emit(self) {
        if self.values.is_empty() {
            return;
        }
        // Read once per process: the namespace and the function never change while it runs.
        static WHERE: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
        let (namespace, function) = WHERE.get_or_init(|| {
            (
                std::env::var("METRICS_NAMESPACE").unwrap_or_else(|_| NAMESPACE.into()),
                std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".into()),
            )
        });
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let line = self.line(namespace, function, now);
        let mut capture = CAPTURE.lock().unwrap_or_else(|p| p.into_inner());
        match capture.as_mut() {
            Some(lines) => lines.push(line),
            None => {
                use std::io::Write;
                let _ = std::io::stdout()
                    .lock()
                    .write_all(format!("{line}\n").as_bytes());
            }
        }
    }
}

/// From now on, lines are kept for [`captured`] instead of written (tests).
pub fn capture() {
    let mut capture = CAPTURE.lock().unwrap_or_else(|p| p.into_inner());
    capture.get_or_insert_with(Vec::new);
}

/// The lines kept since [`capture`].
pub fn captured() -> Vec<String> {
    CAPTURE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_follow_the_embedded_metric_format() {
        let line = Metrics::new()
            .dimension("cluster", "prod")
            .count("CacheHit", 1)
            .millis("LinksLatency", Duration::from_micros(1500))
            .line("GlueLinks", "links", 1_700_000_000_000);
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            v,
            json!({
                "_aws": {"Timestamp": 1_700_000_000_000u64, "CloudWatchMetrics": [{
                    "Namespace": "GlueLinks",
                    "Dimensions": [["function"], ["function", "cluster"]],
                    "Metrics": [{"Name": "CacheHit", "Unit": "Count"}, {"Name": "LinksLatency", "Unit": "Milliseconds"}]
                }]},
                "function": "links", "cluster": "prod", "CacheHit": 1.0, "LinksLatency": 1.5
            })
        );
        assert!(!line.contains('\n'));
    }
}

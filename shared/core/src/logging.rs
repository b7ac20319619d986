//! Structured JSON logs through `tracing`, one object per line, as CloudWatch reads them.
//!
//! The level comes from `LOG_LEVEL` and accepts the seed's Python names (`WARNING`, `CRITICAL`) as well
//! as `tracing`'s own. Nothing here decides what is logged; callers never pass secret values.
//!
//! Every line logged while an invocation runs carries, under `span`, its Lambda `request_id`, the
//! `function` name and `cold_start` (true in the container's first invocation, which also logs a
//! `cold start` line), so CloudWatch Logs Insights can follow one request or count cold starts.

use crate::config::{ConfigError, Env};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::level_filters::LevelFilter;
use tracing::Instrument;

/// The level named by `LOG_LEVEL` (default `INFO`).
pub fn level(env: &Env) -> Result<LevelFilter, ConfigError> {
    let raw = env.string("LOG_LEVEL", "INFO").to_ascii_uppercase();
    match raw.as_str() {
        // At TRACE the Lambda runtime logs whole raw events: tokens, passwords.
        "TRACE" => Err(ConfigError::new(
            "LOG_LEVEL",
            "TRACE is refused: at that level whole requests, with their tokens and passwords, are logged; use DEBUG",
        )),
        "DEBUG" => Ok(LevelFilter::DEBUG),
        "INFO" => Ok(LevelFilter::INFO),
        "WARN" | "WARNING" => Ok(LevelFilter::WARN),
        "ERROR" | "CRITICAL" => Ok(LevelFilter::ERROR),
        "OFF" => Ok(LevelFilter::OFF),
        _ => Err(ConfigError::new(
            "LOG_LEVEL",
            format!("{raw:?} is not a level: use DEBUG, INFO, WARNING, ERROR or CRITICAL"),
        )),
    }
}

/// Installs the JSON subscriber for this process. An invalid `LOG_LEVEL` falls back to `INFO` and says so,
/// so that a typo in a log setting never takes a function down.
pub fn init(env: &Env) {
    let (filter, problem) = match level(env) {
        Ok(level) => (level, None),
        Err(err) => (LevelFilter::INFO, Some(err)),
    };
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_max_level(filter)
        .init();
    if let Some(err) = problem {
        tracing::warn!(error = %err, "logging at INFO instead");
    }
}

/// Whether this container has started an invocation yet.
static INVOKED: AtomicBool = AtomicBool::new(false);

/// Runs one invocation's work inside its span: `request_id`, `function` and `cold_start` on every line.
pub async fn in_invocation<F: Future>(context: &lambda_http::Context, work: F) -> F::Output {
    let cold_start = !INVOKED.swap(true, Ordering::SeqCst);
    let span = tracing::info_span!(
        "invocation",
        request_id = %context.request_id,
        function = %context.env_config.function_name,
        cold_start
    );
    if cold_start {
        span.in_scope(|| tracing::info!(cold_start, "cold start"));
    }
    work.instrument(span).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_seed_level_names() {
        let cases = [
            ("DEBUG", LevelFilter::DEBUG),
            ("info", LevelFilter::INFO),
            ("WARNING", LevelFilter::WARN),
            ("CRITICAL", LevelFilter::ERROR),
        ];
        for (raw, expected) in cases {
            assert_eq!(level(&Env::from_pairs([("LOG_LEVEL", raw)])), Ok(expected));
        }
        assert_eq!(level(&Env::default()), Ok(LevelFilter::INFO));
        assert!(level(&Env::from_pairs([("LOG_LEVEL", "LOUD")])).is_err());
        let trace = level(&Env::from_pairs([("LOG_LEVEL", "trace")])).unwrap_err();
        assert!(trace.to_string().contains("TRACE is refused"), "{trace}");
    }
}

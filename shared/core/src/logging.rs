//! Structured JSON logs through `tracing`, one object per line, as CloudWatch reads them.
//!
//! The level comes from `LOG_LEVEL` and accepts the seed's Python names (`WARNING`, `CRITICAL`) as well
//! as `tracing`'s own. Nothing here decides what is logged; callers never pass secret values.

use crate::config::{ConfigError, Env};
use tracing::level_filters::LevelFilter;

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
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_max_level(filter)
        .init();
    if let Some(err) = problem {
        tracing::warn!(error = %err, "logging at INFO instead");
    }
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

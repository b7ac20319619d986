//! Structured JSON logs through `tracing`, one object per line, as CloudWatch reads them.
//!
//! The level comes from `LOG_LEVEL` and accepts the original services' Python names (`WARNING`, `CRITICAL`) as well
//! as `tracing`'s own. Nothing here decides what is logged; callers never pass secret values.
//!
//! Every line logged while an invocation runs carries, under `span`, its Lambda `request_id`, the
//! `function` name and `cold_start` (`gluelinks_http::in_invocation` opens that span).

use crate::config::{ConfigError, Env};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Crates that log requests, connections or credentials' plumbing at DEBUG (headers, TLS secrets, raw
/// events): held at INFO or above whatever `LOG_LEVEL` says, so a DEBUG run prints only our own detail.
const NOISY: [&str; 12] = [
    "kube",
    "hyper",
    "h2",
    "tower",
    "reqwest",
    "rustls",
    "aws_smithy",
    "aws_config",
    "aws_sdk",
    "aws_sigv4",
    "lambda_runtime",
    "lambda_http",
];

/// What is logged at `level`: our own lines at that level, the [`NOISY`] crates' at INFO at most.
pub fn filter(level: LevelFilter) -> Targets {
    let noisy = level.min(LevelFilter::INFO);
    NOISY
        .iter()
        .fold(Targets::new().with_default(level), |targets, krate| {
            targets.with_target(*krate, noisy)
        })
}

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
        .finish()
        .with(self::filter(filter))
        .init();
    if let Some(err) = problem {
        tracing::warn!(error = %err, "logging at INFO instead");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_python_level_names() {
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

    #[test]
    fn noisy_crates_stay_at_info_whatever_the_level() {
        use tracing::Level;
        let debug = filter(LevelFilter::DEBUG);
        for target in [
            "kube_client::client",
            "hyper_util::client",
            "aws_smithy_runtime::x",
            "rustls::conn",
            "lambda_runtime::layers",
        ] {
            assert!(!debug.would_enable(target, &Level::DEBUG), "{target}");
            assert!(debug.would_enable(target, &Level::INFO), "{target}");
        }
        assert!(debug.would_enable("gluelinks_secrets::write", &Level::DEBUG));
        let warn = filter(LevelFilter::WARN);
        assert!(!warn.would_enable("kube_client::client", &Level::INFO));
        assert!(!warn.would_enable("gluelinks_links", &Level::INFO));
    }
}

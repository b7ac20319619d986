//! The one rule for quoting AWS when a call fails. AWS's error code is always said: it is what to look up.
//! AWS's own message is said only in the full reason (logged, and shown to operators who may write),
//! bounded: it can name accounts, roles and resources. The summary, for every other caller, is in our
//! words and the code. The SDK's debug rendering is never used: it holds the raw response, and an answer
//! that could not be read may carry the secret that was asked for.

// Every AWS SDK crate re-exports these same types; any one names them.
use aws_sdk_elasticache::config::http::HttpResponse;
use aws_sdk_elasticache::error::{ProvideErrorMetadata, SdkError};
use gluelinks_core::errors::chain_text;
use gluelinks_core::text::bounded;
use gluelinks_core::timeout::Timeout;

/// The most of AWS's own words (its message, a connection failure's causes) a full reason quotes.
pub const MESSAGE_LIMIT: usize = 400;

/// What a failed AWS call says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Everything, AWS's message included (bounded): for the log and for operators who may write.
    pub full: String,
    /// Our words and AWS's error code only: for anyone.
    pub summary: String,
}

impl Failure {
    fn same(said: String) -> Self {
        Self {
            full: said.clone(),
            summary: said,
        }
    }
}

/// What `err`, from a call to `service` (its name for people: "AWS Secrets Manager"), says under the rule;
/// `timeout` says which bound passed when the SDK gave up waiting.
pub fn describe<E>(
    service: &str,
    err: &SdkError<E, HttpResponse>,
    timeout: impl FnOnce() -> Timeout,
) -> Failure
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    match err {
        SdkError::TimeoutError(_) => Failure::same(timeout().to_string()),
        SdkError::ServiceError(refusal) => match (refusal.err().code(), refusal.err().message()) {
            (Some(code), message) => {
                let code = bounded(code, 64);
                let summary = format!("{service} refused: {code}");
                Failure {
                    full: match message {
                        Some(message) => format!("{summary}: {}", bounded(message, MESSAGE_LIMIT)),
                        None => summary.clone(),
                    },
                    summary,
                }
            }
            // No error code: an answer that is not one of its own (cut short, or from a proxy).
            (None, _) => Failure::same(format!(
                "{service}'s answer could not be read (HTTP {})",
                refusal.raw().status().as_u16()
            )),
        },
        SdkError::DispatchFailure(failure) => {
            let what = if failure.is_timeout() {
                "timed out"
            } else {
                "failed"
            };
            let summary = format!("reaching {service} {what}");
            Failure {
                full: match failure.as_connector_error() {
                    Some(cause) => {
                        format!("{summary}: {}", bounded(&chain_text(cause), MESSAGE_LIMIT))
                    }
                    None => summary.clone(),
                },
                summary,
            }
        }
        SdkError::ResponseError(_) => {
            Failure::same(format!("{service}'s answer could not be read"))
        }
        _ => Failure::same(format!("the call to {service} could not be made")),
    }
}

//! Why a read of a cluster failed, by kind: the deadline passed, the reader identity may not read it, the
//! API server refused otherwise, the cluster gave no answer, or no client could be made. Each says itself
//! for any caller (the API server's own message is withheld: see [`describe`]).

use gluelinks_clusters::pool::{describe, io_error_kind};
use gluelinks_core::timeout::Timeout;

/// Why discovery could not read something; its `Display` is the message a link shows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// A bound passed first: the request's deadline, or the client's own timeout.
    #[error("{0}")]
    Timeout(Timeout),
    /// The reader identity may not read it (HTTP 403): the cure is RBAC.
    #[error("{0}")]
    Forbidden(String),
    /// The API server answered with another error.
    #[error("{0}")]
    Refused(String),
    /// No answer: the connection failed, or the cluster would not take the credentials.
    #[error("{0}")]
    Unreachable(String),
    /// No client could be made for the cluster (its kubeconfig could not be had, or is refused).
    #[error("{0}")]
    NoClient(String),
}

impl ReadError {
    /// What a failed Kubernetes call (`what` says which) was.
    pub fn of(err: &kube::Error, what: &str) -> Self {
        match err {
            kube::Error::Api(status) if status.code == 403 => Self::Forbidden(describe(err, what)),
            kube::Error::Api(_) => Self::Refused(describe(err, what)),
            other if io_error_kind(other) == Some(std::io::ErrorKind::TimedOut) => Self::Timeout(
                Timeout::of_setting("The cluster", "KUBE_TIMEOUT_SECONDS").doing(what),
            ),
            _ => Self::Unreachable(describe(err, what)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(code: u16, reason: &str) -> kube::Error {
        let status: kube::core::Status = serde_json::from_value(serde_json::json!({
            "status": "Failure", "message": "secret words", "reason": reason, "code": code,
        }))
        .unwrap();
        kube::Error::Api(status.into())
    }

    #[test]
    fn a_refusal_is_told_from_a_missing_permission() {
        let forbidden = ReadError::of(&api_error(403, "Forbidden"), "reading Application a in b");
        assert!(
            matches!(forbidden, ReadError::Forbidden(_)),
            "{forbidden:?}"
        );
        let refused = ReadError::of(&api_error(500, "InternalError"), "listing pods");
        assert!(matches!(refused, ReadError::Refused(_)), "{refused:?}");
        for said in [forbidden.to_string(), refused.to_string()] {
            assert!(said.starts_with("Kubernetes API error"), "{said}");
            assert!(!said.contains("secret words"), "{said}");
        }
    }
}

//! Clusters: each one a stored kubeconfig, named by a validated cluster name.
//!
//! This module owns the names and the stores; building Kubernetes clients from what they hold is
//! [`pool`]'s job (feature `kube`), and EKS tokens are [`eks_token`]'s (feature `aws`).

#[cfg(feature = "aws")]
pub mod eks_token;
#[cfg(feature = "kube")]
pub mod pool;
#[cfg(feature = "aws")]
pub mod secrets_manager;
pub mod store;

use crate::http::response::ECHO_LIMIT;
use crate::text::bounded;

/// The longest cluster name: a DNS label.
pub const MAX_NAME_LEN: usize = 63;

/// Why a cluster could not be reached through its store.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error("Invalid cluster name '{0}': use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit")]
    InvalidName(String),
    #[error("Cluster '{cluster}' not found. No kubeconfig {location}")]
    NotFound { cluster: String, location: String },
    #[error("The kubeconfig store {location} cannot be read: {reason}")]
    Unavailable { location: String, reason: String },
}

/// Checks a cluster name before any store is touched: DNS-label characters only, so no `/`, `..` or NUL
/// can reach a path or a secret name.
pub fn validate_name(name: &str) -> Result<&str, StoreError> {
    let bytes = name.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= MAX_NAME_LEN
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-';
    if valid {
        Ok(name)
    } else {
        Err(StoreError::InvalidName(bounded(name, ECHO_LIMIT)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_names_are_dns_labels() {
        let long = "a".repeat(64);
        let cases = [
            ("test-cluster", true),
            ("prod1", true),
            ("", false),
            ("../etc", false),
            ("a/b", false),
            ("..", false),
            ("nul\0byte", false),
            ("-lead", false),
            ("trail-", false),
            ("Upper", false),
            ("dot.ted", false),
            (long.as_str(), false),
        ];
        for (name, ok) in cases {
            assert_eq!(validate_name(name).is_ok(), ok, "{name:?}");
        }
        let err = validate_name(&"x/".repeat(5000)).unwrap_err().to_string();
        assert!(err.len() < 300, "{err}");
    }
}

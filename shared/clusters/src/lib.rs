//! Clusters: each one a stored kubeconfig, named by a validated cluster name.
//!
//! This crate owns the stores ([`store`]: a directory, or AWS Secrets Manager in [`secrets_manager`]),
//! the Kubernetes clients built from what they hold ([`pool`], one per cluster per container; EKS tokens
//! are signed by `gluelinks-aws`) and what a stored kubeconfig may ask for ([`kubeconfig_rules`]). What the functions do with a cluster is the links and secrets crates' job; the
//! HTTP status of a failure is chosen by the function that answers.

#![warn(missing_docs)]

mod kubeconfig_errors;
pub mod kubeconfig_rules;
pub mod pool;
pub mod secrets_manager;
pub mod store;

use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::text::bounded;
use gluelinks_core::text::ECHO_LIMIT;
use std::time::Duration;

/// What a function that reaches clusters does first: choose the TLS crypto provider (kube and the AWS SDK
/// each bring one; with two and none chosen, building a client panics), then [`gluelinks_core::startup`].
pub fn startup() -> Env {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    gluelinks_core::startup()
}

/// `KUBE_TIMEOUT_SECONDS` (default 10): the bound on connecting and on each call to a cluster, and to the
/// AWS services the clusters need (Secrets Manager for kubeconfigs, STS credentials for EKS tokens).
pub fn timeout_from_env(env: &Env) -> Result<Duration, ConfigError> {
    let seconds: u64 = env.parse("KUBE_TIMEOUT_SECONDS", 10)?;
    if seconds == 0 {
        return Err(ConfigError::new(
            "KUBE_TIMEOUT_SECONDS",
            "must be at least 1",
        ));
    }
    Ok(Duration::from_secs(seconds))
}

/// Why a cluster could not be reached through its store.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The name is not a cluster name (it holds the name given, bounded).
    #[error("Invalid cluster name '{0}': use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit")]
    InvalidName(String),
    /// No kubeconfig is stored for the cluster.
    #[error("Cluster '{cluster}' not found. No kubeconfig {location}")]
    NotFound {
        /// The cluster's name.
        cluster: String,
        /// Where its kubeconfig was looked for: a file's path or a secret's name.
        location: String,
    },
    /// `reason` may quote AWS (an ARN) and `location` names where the kubeconfigs are kept; `summary` says
    /// what failed in our words only (an AWS error code, a timeout), for callers who may not write.
    #[error("The kubeconfig store {location} cannot be read: {reason}")]
    Unavailable {
        /// Where the kubeconfigs are kept: a directory, a file, or the Secrets Manager prefix.
        location: String,
        /// What failed, in full.
        reason: String,
        /// What failed, in our words only.
        summary: String,
    },
}

/// Where a request named its cluster, which decides the status of a cluster that is not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedIn {
    /// A read's query (`GET /secrets?cluster=`): 404, as the original cluster-configuration server
    /// answered.
    Query,
    /// A write's body (`cluster_name`): 400, as the original server answered (compatibility keeps the
    /// two apart).
    Body,
}

impl StoreError {
    /// The cluster-configuration API's status for this failure: the request's mistake (400, or 404 for a
    /// cluster a read's query names that is not stored), or an AWS service's or a file's failure (502).
    pub fn status(&self, named_in: NamedIn) -> u16 {
        match (self, named_in) {
            (StoreError::InvalidName(_), _) => 400,
            (StoreError::NotFound { .. }, NamedIn::Query) => 404,
            (StoreError::NotFound { .. }, NamedIn::Body) => 400,
            (StoreError::Unavailable { .. }, _) => 502,
        }
    }

    /// What a caller who may not write is told: no secret name or path, no AWS message.
    pub fn public(&self) -> String {
        match self {
            StoreError::InvalidName(_) => self.to_string(),
            StoreError::NotFound { cluster, .. } => format!("Cluster '{cluster}' not found"),
            StoreError::Unavailable { summary, .. } => {
                format!("The kubeconfig store cannot be read: {summary}")
            }
        }
    }
}

/// Checks a cluster name before any store is touched: DNS-label characters only, so no `/`, `..` or NUL
/// can reach a path or a secret name.
pub fn validate_name(name: &str) -> Result<&str, StoreError> {
    if gluelinks_core::names::is_label(name) {
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

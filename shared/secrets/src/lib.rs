//! Argo CD credential secrets (seed 003): listing them without their values, and writing docker-registry
//! pull secrets, Argo CD repository secrets and credential templates with all-or-nothing validation.
//!
//! Request parsing and validation ([`request`]) know nothing of Kubernetes; [`list`] lists a cluster's
//! secrets as metadata; [`write`] checks ownership and writes; [`service`] runs one add request from its
//! body to its report. Reaching a cluster is `gluelinks-clusters`' job; the HTTP statuses and seed 003's
//! response bodies are the functions'.

pub mod list;
pub mod request;
pub mod service;
pub mod write;

use gluelinks_core::config::{ConfigError, Env};

/// Settings both secrets functions share.
#[derive(Clone, Debug)]
pub struct SecretSettings {
    /// Where Argo CD reads repository secrets and argocd-image-updater reads pull secrets.
    pub argocd_namespace: String,
    /// `key=value` label that marks docker pull secrets; add writes it, list selects by it.
    pub docker_label: (String, String),
    /// The most namespaces one `add_docker` request may name.
    pub max_namespaces: usize,
    /// One bound for a whole write request (checks, writes, retries), below the function's own timeout,
    /// so every namespace is still reported when a cluster is slow.
    pub deadline: std::time::Duration,
}

pub const REPOSITORY_LABEL: &str = "argocd.argoproj.io/secret-type";
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "gluelinks");
/// What a repository secret or credential template holds (`git`, `helm`, `oci`), as a label, so that the
/// list can tell Helm repositories apart from metadata alone.
pub const REPOSITORY_TYPE_LABEL: &str = "gluelinks.io/repository-type";
pub const DOCKER_CONFIG_TYPE: &str = "kubernetes.io/dockerconfigjson";

/// Secrets of Argo CD's own installation (server key and admin password, Redis, notifications, TLS, the
/// image updater's settings): refused as names before anything is read.
pub const ARGOCD_OWN_SECRETS: &[&str] = &[
    "argocd-secret",
    "argocd-initial-admin-secret",
    "argocd-redis",
    "argocd-notifications-secret",
    "argocd-repo-server-tls",
    "argocd-server-tls",
    "argocd-dex-server-tls",
    "argocd-applicationset-controller-tls",
    "argocd-image-updater-secret",
    "argocd-manager-token",
];

impl SecretSettings {
    /// `ARGOCD_NAMESPACE` (default `argocd`), `DOCKER_CREDS_LABEL` (default
    /// `jjo.finance/secret-type=docker-creds`), `SECRETS_MAX_NAMESPACES` (100) and
    /// `SECRETS_DEADLINE_SECONDS` (20).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let argocd_namespace = env.string("ARGOCD_NAMESPACE", "argocd");
        if !gluelinks_core::names::is_label(&argocd_namespace) {
            return Err(ConfigError::new(
                "ARGOCD_NAMESPACE",
                format!("{argocd_namespace:?} is not a namespace name"),
            ));
        }
        let raw = env.string("DOCKER_CREDS_LABEL", "jjo.finance/secret-type=docker-creds");
        let docker_label = raw
            .split_once('=')
            .filter(|(k, v)| !k.is_empty() && !v.is_empty() && !v.contains('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .ok_or_else(|| {
                ConfigError::new(
                    "DOCKER_CREDS_LABEL",
                    format!("{raw:?} is not a label like key=value"),
                )
            })?;
        let max_namespaces: usize = env.parse("SECRETS_MAX_NAMESPACES", 100)?;
        if max_namespaces == 0 {
            return Err(ConfigError::new(
                "SECRETS_MAX_NAMESPACES",
                "must be at least 1",
            ));
        }
        let deadline: u64 = env.parse("SECRETS_DEADLINE_SECONDS", 20)?;
        if deadline == 0 {
            return Err(ConfigError::new(
                "SECRETS_DEADLINE_SECONDS",
                "must be at least 1",
            ));
        }
        Ok(Self {
            argocd_namespace,
            docker_label,
            max_namespaces,
            deadline: std::time::Duration::from_secs(deadline),
        })
    }

    pub fn docker_selector(&self) -> String {
        format!("{}={}", self.docker_label.0, self.docker_label.1)
    }
}

//! Argo CD credential secrets (seed 003): listing them without their values, and writing docker-registry
//! pull secrets, Argo CD repository secrets and credential templates with all-or-nothing validation.
//!
//! Request parsing and validation ([`request`]) know nothing of Kubernetes; [`list`] and [`write`] make the
//! calls. The HTTP shapes are seed 003's and live in the functions.

pub mod list;
pub mod request;
pub mod write;

use crate::config::{ConfigError, Env};

/// Settings both secrets functions share.
#[derive(Clone, Debug)]
pub struct SecretSettings {
    /// Where Argo CD reads repository secrets and argocd-image-updater reads pull secrets.
    pub argocd_namespace: String,
    /// `key=value` label that marks docker pull secrets; add writes it, list selects by it.
    pub docker_label: (String, String),
}

pub const REPOSITORY_LABEL: &str = "argocd.argoproj.io/secret-type";
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "gluelinks");

impl SecretSettings {
    /// `ARGOCD_NAMESPACE` (default `argocd`) and `DOCKER_CREDS_LABEL` (default
    /// `jjo.finance/secret-type=docker-creds`).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let argocd_namespace = env.string("ARGOCD_NAMESPACE", "argocd");
        if !request::is_label_name(&argocd_namespace) {
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
        Ok(Self {
            argocd_namespace,
            docker_label,
        })
    }

    pub fn docker_selector(&self) -> String {
        format!("{}={}", self.docker_label.0, self.docker_label.1)
    }
}

//! Argo CD credential secrets, for the cluster-configuration API: listing them without their values, and writing docker-registry
//! pull secrets, Argo CD repository secrets and credential templates with all-or-nothing validation.
//!
//! Request parsing and validation know nothing of Kubernetes: [`fields`] reads a body's typed fields,
//! [`request`] checks them, [`kind`] names the kinds of secret and their strings. [`list`] lists a
//! cluster's secrets as metadata (and the fleet view's where-is-it); [`write`] checks ownership and
//! writes; [`remove`] deletes what GlueLinks created; [`fleet`] runs a write or a removal across many
//! clusters, all or nothing; [`service`] runs one request from its body to its report; [`audit`] writes
//! the audit trail. Reaching a cluster is `gluelinks-clusters`' job; the HTTP statuses and the API's
//! response bodies are the functions'.

#![warn(missing_docs)]

pub mod audit;
pub mod fields;
pub mod fleet;
pub mod kind;
pub mod list;
pub mod remove;
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
    /// The label Argo CD's label tracking writes: a secret carrying it is declared in Git.
    pub tracking_label: String,
    /// Where secrets-list looks for docker pull secrets besides the Argo CD namespace.
    pub list_namespaces: ListScope,
    /// The most secrets one request may write or remove across its clusters (clusters × namespaces).
    pub max_targets: usize,
    /// How many clusters a fleet request works on at once.
    pub cluster_concurrency: usize,
}

/// Where docker pull secrets are listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListScope {
    /// The Argo CD namespace and these (the lister bound in each).
    Namespaces(Vec<String>),
    /// Every namespace (the lister bound cluster-wide).
    Everywhere,
}

/// How every refusal and failure that left the clusters as they were ends, so it reads the same in every
/// answer.
pub const NOTHING_WRITTEN: &str = "Nothing was written anywhere";

pub(crate) const REPOSITORY_LABEL: &str = gluelinks_core::argocd::SECRET_TYPE_LABEL;
pub(crate) const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "gluelinks");
/// What a repository secret or credential template GlueLinks wrote holds (`git`, `helm`, `oci`), as a
/// label, so that `kubectl get secrets -l` can select them.
pub const REPOSITORY_TYPE_LABEL: &str = "gluelinks.io/repository-type";

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

/// A label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 letters, digits,
/// `-`, `_` and `.`, starting and ending with a letter or digit.
fn is_label_key(key: &str) -> bool {
    let (prefix, name) = key.rsplit_once('/').unwrap_or(("", key));
    (prefix.is_empty() && !key.contains('/') || gluelinks_core::names::is_subdomain(prefix))
        && !name.is_empty()
        && is_label_value(name)
}

/// A label value: at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit.
fn is_label_value(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
        && b.first().is_none_or(u8::is_ascii_alphanumeric)
        && b.last().is_none_or(u8::is_ascii_alphanumeric)
}

/// `SECRETS_LIST_NAMESPACES`: namespace names, or `*`.
fn list_scope(env: &Env) -> Result<ListScope, ConfigError> {
    let names = env.list("SECRETS_LIST_NAMESPACES");
    if names == ["*"] {
        return Ok(ListScope::Everywhere);
    }
    match names.iter().find(|n| !gluelinks_core::names::is_label(n)) {
        Some(bad) => Err(ConfigError::new(
            "SECRETS_LIST_NAMESPACES",
            format!("{bad:?} is not a namespace name: list namespace names, or * alone for every namespace"),
        )),
        None => Ok(ListScope::Namespaces(names)),
    }
}

impl SecretSettings {
    /// `ARGOCD_NAMESPACE` (default `argocd`), `DOCKER_CREDS_LABEL` (default
    /// `jjo.finance/secret-type=docker-creds`), `SECRETS_MAX_NAMESPACES` (100),
    /// `SECRETS_DEADLINE_SECONDS` (20), `TRACKING_LABEL_KEY` (`app.kubernetes.io/instance`),
    /// `SECRETS_LIST_NAMESPACES` (none besides the Argo CD namespace), `SECRETS_MAX_TARGETS` (1000) and
    /// `SECRETS_CLUSTER_CONCURRENCY` (20).
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
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .filter(|(k, v)| is_label_key(k) && is_label_value(v) && !v.is_empty())
            .ok_or_else(|| {
                ConfigError::new(
                    "DOCKER_CREDS_LABEL",
                    format!("{raw:?} is not a Kubernetes label like example.com/secret-type=docker-creds"),
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
        let at_least_one = |name: &str, default: usize| -> Result<usize, ConfigError> {
            match env.parse(name, default)? {
                0 => Err(ConfigError::new(name, "must be at least 1")),
                n => Ok(n),
            }
        };
        Ok(Self {
            max_targets: at_least_one("SECRETS_MAX_TARGETS", 1000)?,
            cluster_concurrency: at_least_one("SECRETS_CLUSTER_CONCURRENCY", 20)?,
            argocd_namespace,
            docker_label,
            max_namespaces,
            deadline: std::time::Duration::from_secs(deadline),
            tracking_label: gluelinks_core::argocd::instance_label(env),
            list_namespaces: list_scope(env)?,
        })
    }

    /// `DOCKER_CREDS_LABEL` as a label selector.
    pub fn docker_selector(&self) -> String {
        format!("{}={}", self.docker_label.0, self.docker_label.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docker_label_is_checked_after_trimming() {
        let label = |raw: &str| {
            SecretSettings::from_env(&Env::from_pairs([("DOCKER_CREDS_LABEL", raw)]))
                .map(|s| s.docker_label)
        };
        let pair = |k: &str, v: &str| Ok((k.to_string(), v.to_string()));
        assert_eq!(label(" acme.io/kind = pull "), pair("acme.io/kind", "pull"));
        assert_eq!(label("kind=pull"), pair("kind", "pull"));
        for bad in [
            " = x",
            "k = ",
            "k==v",
            "a b=c",
            "k=v w",
            "-k=v",
            "acme.io/=v",
            "/k=v",
            "k=v/w",
        ] {
            let err = label(bad).unwrap_err();
            assert_eq!(err.name, "DOCKER_CREDS_LABEL", "{bad}");
        }
    }
}

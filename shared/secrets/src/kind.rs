//! What GlueLinks writes, in two words: the kind of secret a request makes ([`SecretKind`]: which route,
//! which Kubernetes type, which Argo CD label, what the API calls it) and, for Argo CD repositories, the
//! repository's type ([`RepoType`]). Each string Kubernetes, Argo CD or the API uses for them lives in one
//! of their methods.

use crate::request::Invalid;
use gluelinks_core::text::{bounded, ECHO_LIMIT};

/// The kind of secret a request writes; one per add route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretKind {
    /// `add_docker`: a docker pull secret per namespace, and argocd-image-updater's copy.
    PullSecret,
    /// `add_helm_repo`: an Argo CD repository of type Helm (or OCI).
    HelmRepository,
    /// `add_repository`: an Argo CD repository of any type.
    Repository,
    /// `add_repo_creds`: an Argo CD credential template, for every repository under a URL prefix.
    CredentialTemplate,
}

impl SecretKind {
    /// The Secret's Kubernetes `type`.
    pub fn k8s_type(self) -> &'static str {
        match self {
            SecretKind::PullSecret => "kubernetes.io/dockerconfigjson",
            _ => OPAQUE,
        }
    }

    /// Its `argocd.argoproj.io/secret-type` label, for the kinds Argo CD reads.
    pub fn argocd_secret_type(self) -> Option<&'static str> {
        match self {
            SecretKind::PullSecret => None,
            SecretKind::HelmRepository | SecretKind::Repository => Some("repository"),
            SecretKind::CredentialTemplate => Some("repo-creds"),
        }
    }

    /// How the API names it in messages.
    pub fn noun(self) -> &'static str {
        match self {
            SecretKind::PullSecret => "Docker registry secret",
            SecretKind::HelmRepository => "Helm repository secret",
            SecretKind::Repository => "Repository secret",
            SecretKind::CredentialTemplate => "Credential template",
        }
    }

    /// The request field that holds its URL: a repository's, or a template's prefix.
    pub fn url_field(self) -> &'static str {
        match self {
            SecretKind::CredentialTemplate => "url",
            _ => "repository_url",
        }
    }
}

/// The Kubernetes type of a Secret that says none, and of every Argo CD repository secret.
pub const OPAQUE: &str = "Opaque";

/// What an Argo CD repository secret or credential template serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepoType {
    /// A Git repository (the default).
    Git,
    /// A Helm chart repository over http(s).
    Helm,
    /// An OCI registry holding Helm charts.
    Oci,
}

impl RepoType {
    /// The request's `type`, `git` when it gives none.
    pub fn parse(raw: Option<&str>) -> Result<Self, Invalid> {
        match raw.unwrap_or("git") {
            "git" => Ok(RepoType::Git),
            "helm" => Ok(RepoType::Helm),
            "oci" => Ok(RepoType::Oci),
            other => Err(Invalid(format!(
                "Invalid type '{}': use git, helm or oci",
                bounded(other, ECHO_LIMIT)
            ))),
        }
    }

    /// The request's own word for it, as the repository-type label records it.
    pub fn name(self) -> &'static str {
        match self {
            RepoType::Git => "git",
            RepoType::Helm => "helm",
            RepoType::Oci => "oci",
        }
    }

    /// Argo CD's `type` key: OCI Helm registries are `helm` with `enableOCI`.
    pub fn argocd_type(self) -> &'static str {
        match self {
            RepoType::Git => "git",
            RepoType::Helm | RepoType::Oci => "helm",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_has_one_home() {
        assert_eq!(RepoType::parse(None), Ok(RepoType::Git));
        for t in [RepoType::Git, RepoType::Helm, RepoType::Oci] {
            assert_eq!(RepoType::parse(Some(t.name())), Ok(t));
        }
        assert!(RepoType::parse(Some("svn"))
            .unwrap_err()
            .0
            .contains("use git, helm or oci"));
        assert_eq!(
            SecretKind::HelmRepository.argocd_secret_type(),
            SecretKind::Repository.argocd_secret_type()
        );
    }
}

//! Listing Argo CD credential secrets in one cluster, where they live: Argo CD's repository secrets and
//! credential templates in the Argo CD namespace (the only one Argo CD reads them from), docker pull
//! secrets there and in the namespaces `SECRETS_LIST_NAMESPACES` names (or every namespace with `*`). The
//! lister identity is bound in those namespaces only (`shared/rbac/secrets-lister.yaml`): RBAC cannot
//! limit `list` to metadata, so where it is not bound it can read no value. Every call is concurrent and
//! asks the API server for metadata only (`PartialObjectMetadataList`), so no secret value ever reaches
//! the function.
//!
//! Metadata carries neither a secret's `type` nor its data, so the type is selected by the API server (a
//! `type=` field selector, reported back as selected) and a Helm repository is told apart by the
//! [`REPOSITORY_TYPE_LABEL`] GlueLinks writes. Annotations are never reported: `kubectl apply` keeps a
//! secret's whole content, values included, in one.

use super::kind::{RepoType, SecretKind};
use super::{ListScope, SecretSettings, REPOSITORY_LABEL, REPOSITORY_TYPE_LABEL};
use gluelinks_clusters::pool::{describe, io_error_kind, ClusterClients, ClusterError};
use gluelinks_core::auth::Caller;
use gluelinks_core::timeout::Timeout;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use kube::core::PartialObjectMeta;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// One secret, as the cluster-configuration API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretEntry {
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    #[serde(rename = "type")]
    pub secret_type: String,
    pub creation_timestamp: Option<String>,
}

fn entry(secret: &PartialObjectMeta<Secret>, secret_type: &str) -> SecretEntry {
    let meta = &secret.metadata;
    SecretEntry {
        name: meta.name.clone().unwrap_or_default(),
        namespace: meta.namespace.clone().unwrap_or_default(),
        labels: meta.labels.clone().unwrap_or_default(),
        secret_type: secret_type.to_string(),
        creation_timestamp: meta.creation_timestamp.as_ref().map(|t| t.0.to_string()),
    }
}

/// Why a listing is incomplete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Unreachable(String),
    Timeout(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    pub repo_creds: Vec<SecretEntry>,
    pub docker_creds: Vec<SecretEntry>,
    /// Repository secrets labelled as Helm or OCI repositories.
    pub helm_creds: Vec<SecretEntry>,
    /// Every repository secret, whoever wrote it: Argo CD's own carry no repository-type label.
    pub repositories: Vec<SecretEntry>,
    pub failure: Option<Failure>,
}

fn is_helm(entry: &SecretEntry) -> bool {
    entry
        .labels
        .get(REPOSITORY_TYPE_LABEL)
        .is_some_and(|t| RepoType::is_helm_label(t))
}

fn timed_out(timeout: Duration) -> Failure {
    Failure::Timeout(
        Timeout::new("The cluster", timeout, "KUBE_TIMEOUT_SECONDS")
            .doing("listing secrets")
            .to_string(),
    )
}

/// Whether the client gave up waiting: its connect and read timeouts fail with an I/O error of kind
/// `TimedOut`, somewhere down the error's chain of causes.
fn is_timeout(err: &kube::Error) -> bool {
    io_error_kind(err) == Some(std::io::ErrorKind::TimedOut)
}

fn failure(err: &kube::Error, timeout: Duration) -> Failure {
    match err {
        kube::Error::Api(_) => Failure::Unreachable(describe(err, "listing secrets")),
        _ if is_timeout(err) => timed_out(timeout),
        _ => Failure::Unreachable(
            "Cannot connect to cluster. Please check if the cluster is running and accessible."
                .into(),
        ),
    }
}

/// How much longer than `KUBE_TIMEOUT_SECONDS` the whole listing may take: the kubeconfig store's own
/// bound (the same setting) fires first, so a store that does not answer is reported as the store, not as
/// a slow cluster.
const WHOLE_MARGIN: Duration = Duration::from_millis(100);

/// `GET /secrets?cluster=X`: the cluster's client (its kubeconfig read included) and the three lists, all
/// within `KUBE_TIMEOUT_SECONDS` (+ 0.1 s) as a whole, so the answer always comes before the function's
/// own timeout. A cluster the store does not have is the error; a cluster that fails is reported in the
/// listing.
pub async fn list_cluster(
    clients: &ClusterClients,
    cluster: &str,
    settings: &SecretSettings,
    caller: &Caller,
) -> Result<Listing, ClusterError> {
    let timeout = clients.timeout();
    let failed = |failure| Listing {
        failure: Some(failure),
        ..Listing::default()
    };
    let work = Box::pin(async {
        match clients.client(cluster).await {
            Ok(client) => Ok(list(&client, settings, timeout).await),
            Err(e @ ClusterError::Kubeconfig { .. }) => {
                Ok(failed(Failure::Unreachable(e.for_caller(caller))))
            }
            Err(e) => Err(e),
        }
    });
    tokio::time::timeout(timeout + WHOLE_MARGIN, work)
        .await
        .unwrap_or_else(|_| Ok(failed(timed_out(timeout))))
}

/// The lists, concurrently, each bounded by `timeout`.
pub async fn list(client: &kube::Client, settings: &SecretSettings, timeout: Duration) -> Listing {
    let select = |api: Api<Secret>, kind: SecretKind| async move {
        let labels = match kind.argocd_secret_type() {
            Some(value) => format!("{REPOSITORY_LABEL}={value}"),
            None => settings.docker_selector(),
        };
        let secret_type = kind.k8s_type();
        let params = ListParams::default()
            .labels(&labels)
            .fields(&format!("type={secret_type}"));
        match tokio::time::timeout(timeout, api.list_metadata(&params)).await {
            Ok(Ok(list)) => Ok(list
                .items
                .iter()
                .map(|s| entry(s, secret_type))
                .collect::<Vec<_>>()),
            Ok(Err(e)) => Err(failure(&e, timeout)),
            Err(_) => Err(timed_out(timeout)),
        }
    };
    let argocd: Api<Secret> = Api::namespaced(client.clone(), &settings.argocd_namespace);
    let docker_apis: Vec<Api<Secret>> = match &settings.list_namespaces {
        ListScope::Everywhere => vec![Api::all(client.clone())],
        ListScope::Namespaces(extra) => std::iter::once(&settings.argocd_namespace)
            .chain(extra.iter().filter(|ns| **ns != settings.argocd_namespace))
            .map(|ns| Api::namespaced(client.clone(), ns))
            .collect(),
    };
    let docker = futures::future::join_all(
        docker_apis
            .into_iter()
            .map(|api| select(api, SecretKind::PullSecret)),
    );
    let (repo_creds, docker, repositories) = tokio::join!(
        select(argocd.clone(), SecretKind::CredentialTemplate),
        docker,
        select(argocd, SecretKind::Repository),
    );
    let mut failure = None;
    let mut keep = |result: Result<Vec<SecretEntry>, Failure>| {
        result.unwrap_or_else(|f| {
            failure.get_or_insert(f);
            Vec::new()
        })
    };
    let repo_creds = keep(repo_creds);
    let docker_creds: Vec<SecretEntry> = docker.into_iter().flat_map(&mut keep).collect();
    let repositories = keep(repositories);
    Listing {
        repo_creds,
        docker_creds,
        helm_creds: repositories
            .iter()
            .filter(|e| is_helm(e))
            .cloned()
            .collect(),
        repositories,
        failure,
    }
}

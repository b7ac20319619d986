//! Listing Argo CD credential secrets in one cluster, where they live: Argo CD's repository secrets and
//! credential templates in the Argo CD namespace (the only one Argo CD reads them from), docker pull
//! secrets there and in the namespaces `SECRETS_LIST_NAMESPACES` names (or every namespace with `*`). The
//! lister identity is bound in those namespaces only (`shared/rbac/secrets-lister.yaml`): RBAC cannot
//! limit `list` to metadata, so where it is not bound it can read no value. Every call is concurrent and
//! asks the API server for metadata only (`PartialObjectMetadataList`), but for the repository secrets
//! below.
//!
//! Metadata carries neither a secret's `type` nor its data, so the type is selected by the API server (a
//! `type=` field selector, reported back as selected). Repository secrets alone are read whole, to tell
//! Helm and OCI repositories apart by their `type` key as Argo CD does, whoever wrote them; each is cut
//! down to its metadata as it is read, its values dropped. Annotations are never reported: `kubectl
//! apply` keeps a secret's whole content, values included, in one.

use super::fleet::{self, ResolveError};
use super::kind::SecretKind;
use super::request::ClusterChoice;
use super::{ListScope, SecretSettings, MANAGED_BY, REPOSITORY_LABEL};
use futures::StreamExt;
use gluelinks_clusters::pool::{describe, io_error_kind, ClusterClients, ClusterError};
use gluelinks_core::auth::Caller;
use gluelinks_core::timeout::Timeout;
use k8s_openapi::api::core::v1::Secret;
use kube::api::ObjectMeta;
use kube::api::{Api, ListParams};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// One secret, as the cluster-configuration API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretEntry {
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) labels: BTreeMap<String, String>,
    #[serde(rename = "type")]
    pub(crate) secret_type: String,
    pub(crate) creation_timestamp: Option<String>,
    /// When it was last written, as the API server records it: the latest time among its
    /// `managedFields`, or its creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_changed: Option<String>,
}

fn entry(meta: &ObjectMeta, secret_type: &str) -> SecretEntry {
    let created = meta.creation_timestamp.as_ref().map(|t| t.0);
    let written = meta
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|f| f.time.as_ref().map(|t| t.0))
        .max();
    SecretEntry {
        name: meta.name.clone().unwrap_or_default(),
        namespace: meta.namespace.clone().unwrap_or_default(),
        labels: meta.labels.clone().unwrap_or_default(),
        secret_type: secret_type.to_string(),
        creation_timestamp: created.map(|t| t.to_string()),
        last_changed: written.max(created).map(|t| t.to_string()),
    }
}

/// A repository secret as listed, and whether it is a Helm or OCI repository by its `type` key (`helm`,
/// or `oci` for Argo CD 3.1's OCI repositories) or `enableOCI`, as Argo CD reads it, whoever wrote it. The
/// secret, values included, is dropped here.
fn repository_entry(secret: Secret) -> (SecretEntry, bool) {
    let value = |key: &str| {
        secret
            .data
            .as_ref()
            .and_then(|d| d.get(key))
            .map(|v| v.0.as_slice())
    };
    let helm = matches!(value("type"), Some(b"helm" | b"oci"))
        || value("enableOCI") == Some(b"true".as_slice());
    (
        entry(&secret.metadata, SecretKind::Repository.k8s_type()),
        helm,
    )
}

/// Why a listing is incomplete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The cluster could not be reached, or answered a list with an error: the message says which.
    Unreachable(String),
    /// The cluster did not answer within `KUBE_TIMEOUT_SECONDS`.
    Timeout(String),
}

/// One cluster's credential secrets, metadata only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// Argo CD credential templates (`repo-creds`), in the Argo CD namespace.
    pub repo_creds: Vec<SecretEntry>,
    /// Docker pull secrets (`DOCKER_CREDS_LABEL`), in the Argo CD namespace and those
    /// `SECRETS_LIST_NAMESPACES` names (or every namespace).
    pub docker_creds: Vec<SecretEntry>,
    /// Repository secrets of Helm or OCI repositories (their `type` key), whoever wrote them.
    pub helm_creds: Vec<SecretEntry>,
    /// Every repository secret, whoever wrote it: Argo CD's own carry no repository-type label.
    pub repositories: Vec<SecretEntry>,
    /// The first failure, when a list failed: what failed is missing from its list.
    pub failure: Option<Failure>,
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
    let work = Box::pin(async {
        match clients.client(cluster).await {
            Ok(client) => Ok(list(&client, settings, timeout).await),
            Err(e @ ClusterError::Kubeconfig { .. }) => Ok(Listing {
                failure: Some(Failure::Unreachable(e.for_caller(caller))),
                ..Listing::default()
            }),
            Err(e) => Err(e),
        }
    });
    tokio::time::timeout(timeout + WHOLE_MARGIN, work)
        .await
        .unwrap_or_else(|_| Ok(timed_out_listing(timeout)))
}

/// A listing cut off at `timeout`: nothing listed, and the cluster said not to have answered.
fn timed_out_listing(timeout: Duration) -> Listing {
    Listing {
        failure: Some(timed_out(timeout)),
        ..Listing::default()
    }
}

/// Why a fleet view lists nothing.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// More clusters named than `SECRETS_MAX_TARGETS`: refused before the store is asked.
    #[error("Parameter cluster names {named} clusters; at most {max} are listed per request (SECRETS_MAX_TARGETS): split it")]
    TooMany {
        /// How many the request names.
        named: usize,
        /// The cap.
        max: usize,
    },
    /// The clusters named cannot all be listed.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The store did not list its clusters within the view's bound.
    #[error("{0}")]
    StoreLate(Timeout),
}

/// `GET /secrets?cluster=*` (or a list): the clusters the request names (or, for `*`, the caller's), and
/// each one's listing, all within one cluster's bound (`KUBE_TIMEOUT_SECONDS` + 0.1 s) whatever the number
/// of clusters, the store's listing of them included.
pub async fn fleet_view(
    clients: &ClusterClients,
    choice: &ClusterChoice,
    settings: &SecretSettings,
    caller: &Caller,
) -> Result<(Vec<String>, Vec<Listing>), ViewError> {
    // Each cluster is at least one listing.
    let named = choice.names().len();
    if named > settings.max_targets {
        return Err(ViewError::TooMany {
            named,
            max: settings.max_targets,
        });
    }
    let deadline = tokio::time::Instant::now() + clients.timeout() + WHOLE_MARGIN;
    let granted = caller.clusters();
    let resolved = fleet::resolve(clients, choice, &granted);
    let clusters = tokio::time::timeout_at(deadline, resolved)
        .await
        .map_err(|_| {
            ViewError::StoreLate(
                Timeout::new(
                    "The kubeconfig store",
                    clients.timeout(),
                    "KUBE_TIMEOUT_SECONDS",
                )
                .doing("listing the clusters"),
            )
        })??;
    let listings = list_clusters(clients, &clusters, settings, caller, deadline).await;
    Ok((clusters, listings))
}

/// `GET /secrets?cluster=*` (or a list): each cluster's listing, [`list_cluster`] for each, at most
/// `SECRETS_CLUSTER_CONCURRENCY` at once, in the order given; a cluster the store cannot give is listed as
/// unreachable, with what this caller may see of why. A cluster not listed by `deadline`, begun or still
/// waiting its turn, is reported as a timeout.
async fn list_clusters(
    clients: &ClusterClients,
    clusters: &[String],
    settings: &SecretSettings,
    caller: &Caller,
    deadline: tokio::time::Instant,
) -> Vec<Listing> {
    let timeout = clients.timeout();
    let mut listed: Vec<(usize, Listing)> = futures::stream::iter(0..clusters.len())
        .map(|i| async move {
            if tokio::time::Instant::now() >= deadline {
                return (i, timed_out_listing(timeout));
            }
            let listing = tokio::time::timeout_at(
                deadline,
                list_cluster(clients, &clusters[i], settings, caller),
            )
            .await
            .unwrap_or_else(|_| Ok(timed_out_listing(timeout)))
            .unwrap_or_else(|e| Listing {
                failure: Some(Failure::Unreachable(e.for_caller(caller))),
                ..Listing::default()
            });
            (i, listing)
        })
        .buffer_unordered(settings.cluster_concurrency)
        .collect()
        .await;
    listed.sort_by_key(|(i, _)| *i);
    listed.into_iter().map(|(_, l)| l).collect()
}

impl Listing {
    /// Only the secrets named `name`.
    pub fn named(mut self, name: &str) -> Self {
        for list in [
            &mut self.repo_creds,
            &mut self.docker_creds,
            &mut self.helm_creds,
            &mut self.repositories,
        ] {
            list.retain(|e| e.name == name);
        }
        self
    }
}

/// One secret holding a credential, in a fleet view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Held {
    /// The cluster.
    pub cluster: String,
    /// The namespace.
    pub namespace: String,
    /// Which list it is in: `repo_creds`, `docker_creds` or `repositories`.
    pub category: &'static str,
    /// When it was last written.
    pub last_changed: Option<String>,
    /// Whether GlueLinks created it (so that it may replace and remove it).
    pub managed_by_gluelinks: bool,
}

/// A namespace of a cluster that lacks a credential the others hold there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// The cluster.
    pub cluster: String,
    /// The namespace.
    pub namespace: String,
}

/// Where a credential is across a fleet: which clusters and namespaces hold it (and when each was last
/// changed), which lack it in a namespace where another cluster holds it, and which clusters could not be
/// listed. Metadata only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holding {
    /// The credential's (the secrets') name.
    pub name: String,
    /// Every secret of that name.
    pub held: Vec<Held>,
    /// Where it is lacking.
    pub missing: Vec<Missing>,
    /// The clusters that could not be listed: whether they hold it is not known.
    pub not_listed: Vec<String>,
}

impl Holding {
    /// Where `name` is in `listings` (each cluster's, already [`Listing::named`]).
    pub fn of(name: &str, clusters: &[String], listings: &[Listing]) -> Self {
        let mut held = Vec::new();
        let mut not_listed = Vec::new();
        for (cluster, listing) in clusters.iter().zip(listings) {
            if listing.failure.is_some() {
                not_listed.push(cluster.clone());
                continue;
            }
            let lists = [
                ("repo_creds", &listing.repo_creds),
                ("docker_creds", &listing.docker_creds),
                ("repositories", &listing.repositories),
            ];
            for (category, entries) in lists {
                held.extend(entries.iter().filter(|e| e.name == name).map(|e| Held {
                    cluster: cluster.clone(),
                    namespace: e.namespace.clone(),
                    category,
                    last_changed: e.last_changed.clone(),
                    managed_by_gluelinks: e.labels.get(MANAGED_BY.0).map(String::as_str)
                        == Some(MANAGED_BY.1),
                }));
            }
        }
        let namespaces: std::collections::BTreeSet<&str> =
            held.iter().map(|h| h.namespace.as_str()).collect();
        let missing = clusters
            .iter()
            .filter(|c| !not_listed.contains(c))
            .flat_map(|cluster| {
                let held = &held;
                namespaces.iter().filter_map(move |ns| {
                    let has = held
                        .iter()
                        .any(|h| h.cluster == *cluster && h.namespace == *ns);
                    (!has).then(|| Missing {
                        cluster: cluster.clone(),
                        namespace: ns.to_string(),
                    })
                })
            })
            .collect();
        Self {
            name: name.to_string(),
            held,
            missing,
            not_listed,
        }
    }
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
                .map(|s| entry(&s.metadata, secret_type))
                .collect::<Vec<_>>()),
            Ok(Err(e)) => Err(failure(&e, timeout)),
            Err(_) => Err(timed_out(timeout)),
        }
    };
    // Repository secrets are read whole, to classify each by its `type` key; nothing but the
    // classification outlives the read.
    let repositories = |api: Api<Secret>| async move {
        let kind = SecretKind::Repository;
        let params = ListParams::default()
            .labels(&format!(
                "{REPOSITORY_LABEL}={}",
                kind.argocd_secret_type().unwrap_or_default()
            ))
            .fields(&format!("type={}", kind.k8s_type()));
        match tokio::time::timeout(timeout, api.list(&params)).await {
            Ok(Ok(list)) => Ok(list
                .items
                .into_iter()
                .map(repository_entry)
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
        repositories(argocd),
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
    let classified = match repositories {
        Ok(classified) => classified,
        Err(f) => {
            failure.get_or_insert(f);
            Vec::new()
        }
    };
    Listing {
        repo_creds,
        docker_creds,
        helm_creds: classified
            .iter()
            .filter(|(_, helm)| *helm)
            .map(|(e, _)| e.clone())
            .collect(),
        repositories: classified.into_iter().map(|(e, _)| e).collect(),
        failure,
    }
}

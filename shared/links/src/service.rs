//! The links service: what one click in the Argo CD extension gets. It chooses the clusters, answers from
//! the cache when fresh, else reads the clusters within one budget and caches the result, and falls back
//! to a stale copy when the clusters fail. The links function only parses headers and maps errors to
//! statuses.

use crate::cache::{self, Cache};
use crate::discover::{self, Deadline, DiscoverySettings, Elapsed, Observed};
use crate::objects::ExternalSecretsApi;
use crate::read_error::ReadError;
use gluelinks_clusters::pool::{describe, ClusterClients};
use gluelinks_clusters::store::KubeconfigStore;
use gluelinks_clusters::{validate_name, StoreError};
use gluelinks_core::auth::Clusters;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::headers;
use gluelinks_core::metrics::Metrics;
use gluelinks_core::withheld::withheld;
use gluelinks_links_model::{fixtures, render, LinkSettings, LinksResponse};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long the list of stored clusters is reused before the store is asked again.
const STORED_CLUSTERS_TTL: Duration = Duration::from_secs(60);
/// The bound on everything the readiness check calls: the kubeconfig store and the cluster.
const READY_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the ExternalSecret API a cluster serves is remembered (an operator upgrade changes it).
const EXTERNAL_SECRETS_API_TTL: Duration = Duration::from_secs(600);
/// Who a kubeconfig read that outlasts the deadline is reported as.
const STORE: &str = "The kubeconfig store";

/// One click: the Application (as Argo CD names it) and the clusters the request names, if any.
#[derive(Clone, Copy, Debug)]
pub struct LinksRequest<'a> {
    /// The namespace in `Argocd-Application-Name`.
    pub namespace: &'a str,
    /// The Application's name in `Argocd-Application-Name`.
    pub app: &'a str,
    /// The extension's fixed cluster header: where Argo CD (and so the Application) runs.
    pub cluster: Option<&'a str>,
    /// `Argocd-Target-Cluster-Name`: where the workloads run, when it is a stored cluster.
    pub target: Option<&'a str>,
    /// The clusters the caller may reach (a proxy token bound to its Argo CD's clusters).
    pub granted: &'a Clusters,
}

/// Why a request's clusters could not be chosen: each a mistake in the request or the configuration.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClusterChoiceError {
    /// The cluster header holds something that is not a cluster name.
    #[error(transparent)]
    InvalidName(#[from] StoreError),
    /// The cluster header names a cluster that is not stored.
    #[error("Cluster '{name}' named by the {header} header is not stored")]
    NotStored {
        /// The cluster it names.
        name: String,
        /// The header's name (`CLUSTER_HEADER`).
        header: String,
    },
    /// No cluster is named, `DEFAULT_CLUSTER` is not set, and none is stored.
    #[error("No cluster kubeconfig is stored")]
    NoneStored,
    /// The cluster chosen is not one the caller may reach.
    #[error("Cluster '{name}' (named by {by}) is not one this caller may reach: the token is bound to other clusters")]
    NotGranted {
        /// The cluster.
        name: String,
        /// What chose it: the cluster header, or the default cluster.
        by: String,
    },
    /// No cluster is named, `DEFAULT_CLUSTER` is not set, and several are stored.
    #[error("Several clusters are stored ({}): set DEFAULT_CLUSTER, or configure the extension to send the {header} header", .names.join(", "))]
    Ambiguous {
        /// The stored clusters.
        names: Vec<String>,
        /// The header that would name one (`CLUSTER_HEADER`).
        header: String,
    },
}

/// Why the stored clusters could not be listed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
enum ListingFailed {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Elapsed(#[from] Elapsed),
}

impl ListingFailed {
    /// What a links caller (Argo CD's proxy, for any of its users) is told: no secret path or AWS message;
    /// the rest is logged under an error id.
    fn public(&self) -> String {
        match self {
            ListingFailed::Store(e) => withheld(&e.public(), e),
            ListingFailed::Elapsed(e) => e.to_string(),
        }
    }
}

/// Why no cluster was chosen: the request's fault, or a store that could not be listed (the answer then
/// degrades, as for a failing cluster).
enum NoClusters {
    Refused(ClusterChoiceError),
    StoreFailed(ListingFailed),
}

/// What `GET /api/v1/ready` checks: `Ok` or what is wrong, for the cache and the default cluster.
#[derive(Debug)]
pub struct Readiness {
    /// `Ok` when the cache answers a ping; else why not (with what ElastiCache says of the cache, when
    /// `VALKEY_CACHE_NAME` names one).
    pub cache: Result<(), String>,
    /// `Ok` when the default cluster's API server answers its version; else why not.
    pub kubernetes: Result<(), String>,
}

impl Readiness {
    /// Whether both checks passed.
    pub fn ready(&self) -> bool {
        self.cache.is_ok() && self.kubernetes.is_ok()
    }
}

/// What the links function serves: links requests and the readiness check, over the read identity's
/// cluster clients, the cache and the discovery and link settings, built once per container.
pub struct LinksService {
    clusters: ClusterClients,
    cache: Cache,
    discovery: DiscoverySettings,
    links: LinkSettings,
    cluster_header: String,
    default_cluster: Option<String>,
    mock_fixture: Option<String>,
    stored: Mutex<Option<(Instant, Vec<String>)>>,
    /// The ExternalSecret API each cluster serves, as discovery last found it.
    external_secrets_apis: moka::sync::Cache<String, ExternalSecretsApi>,
}

impl LinksService {
    /// The read identity's cluster clients, the cache, discovery and link settings, plus `CLUSTER_HEADER`,
    /// `DEFAULT_CLUSTER`, `USE_MOCK_DATA` and `DEFAULT_MOCK_FIXTURE`.
    pub async fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let default_cluster = match env.get("DEFAULT_CLUSTER") {
            Some(name) => Some(
                validate_name(name)
                    .map_err(|e| ConfigError::new("DEFAULT_CLUSTER", e.to_string()))?
                    .to_string(),
            ),
            None => None,
        };
        let mock_fixture = if env.flag("USE_MOCK_DATA", false)? {
            let name = env.string("DEFAULT_MOCK_FIXTURE", "all-ok");
            if !fixtures::NAMES.contains(&name.as_str()) {
                return Err(ConfigError::new(
                    "DEFAULT_MOCK_FIXTURE",
                    format!("{name:?} is not a fixture"),
                ));
            }
            Some(name)
        } else {
            None
        };
        let cache = Cache::from_env(env)?;
        tracing::info!(cache = %cache.describe(), "links cache");
        Ok(Self {
            clusters: ClusterClients::from_env(env).await?,
            cache,
            discovery: DiscoverySettings::from_env(env)?,
            links: LinkSettings::from_env(env)?,
            cluster_header: headers::cluster_header(env),
            default_cluster,
            mock_fixture,
            stored: Mutex::new(None),
            external_secrets_apis: moka::sync::Cache::builder()
                .max_capacity(1024)
                .time_to_live(EXTERNAL_SECRETS_API_TTL)
                .build(),
        })
    }

    /// The name of the header that names the Argo CD cluster (lowercase).
    pub fn cluster_header(&self) -> &str {
        &self.cluster_header
    }

    /// The links of one click: the mock fixture when configured; else from the cache when fresh, or read
    /// from the clusters now within `LINKS_TIMEOUT_SECONDS` (kubeconfig reads included), with an expired
    /// copy served when the clusters fail. Only a mistake in the request or the configuration is an error.
    pub async fn links(&self, req: LinksRequest<'_>) -> Result<LinksResponse, ClusterChoiceError> {
        if let Some(fixture) = self
            .mock_fixture
            .as_deref()
            .and_then(|name| fixtures::fixture(name, req.app, &self.links))
        {
            return Ok(fixture);
        }
        let deadline = self.discovery.deadline();
        match self.choose_clusters(req, deadline).await {
            Ok((cluster, target)) => Ok(self
                .cached_or_read(&cluster, &target, req.namespace, req.app, deadline)
                .await),
            Err(NoClusters::Refused(e)) => Err(e),
            Err(NoClusters::StoreFailed(reason)) => {
                // No cluster could even be chosen: degraded, and counted as such (no cluster dimension).
                Metrics::new().count("Degraded", 1).emit();
                tracing::warn!(
                    app = req.app,
                    outcome = "degraded",
                    error = %reason,
                    "links: the kubeconfig store failed"
                );
                Ok(self
                    .links_of(
                        req.namespace,
                        req.app,
                        &Observed::failed(ReadError::NoClient(reason.public())),
                    )
                    .0)
            }
        }
    }

    /// The links of `app`, from the cache when fresh; a failed regeneration falls back to a stale copy.
    async fn cached_or_read(
        &self,
        cluster: &str,
        target: &str,
        namespace: &str,
        app: &str,
        deadline: Deadline,
    ) -> LinksResponse {
        let started = Instant::now();
        let metrics = || Metrics::new().dimension("cluster", cluster);
        let key = cache::key(cluster, target, namespace, app);
        let cached = self.cache.get(&key).await;
        if let Some(hit) = cached.as_ref().filter(|h| h.fresh) {
            tracing::info!(cluster, app, outcome = "hit", "links");
            metrics()
                .count("CacheHit", 1)
                .millis("LinksLatency", started.elapsed())
                .emit();
            return hit.payload.clone();
        }
        let reading = Instant::now();
        let (payload, degraded) = self
            .generate_by(deadline, cluster, target, namespace, app)
            .await;
        let outcome = match (degraded, cached.is_some()) {
            (false, _) => "CacheMiss",
            (true, true) => "StaleServed",
            (true, false) => "Degraded",
        };
        metrics()
            .count(outcome, 1)
            .millis("KubernetesTime", reading.elapsed())
            .millis("LinksLatency", started.elapsed())
            .emit();
        match (degraded, cached) {
            (true, Some(hit)) => {
                tracing::warn!(
                    cluster,
                    app,
                    outcome = "stale",
                    "links: the cluster failed; serving the expired copy"
                );
                let mut stale = hit.payload;
                stale.metadata.stale = true;
                stale
            }
            (true, None) => {
                tracing::warn!(
                    cluster,
                    app,
                    outcome = "degraded",
                    "links: the cluster failed"
                );
                payload
            }
            (false, _) => {
                tracing::info!(cluster, app, outcome = "miss", "links");
                self.cache.put(&key, &payload).await;
                payload
            }
        }
    }

    /// The links read from the clusters now, within the links budget, and whether a call failed (the
    /// cache-miss path, uncached).
    pub async fn generate(
        &self,
        cluster: &str,
        target: &str,
        namespace: &str,
        app: &str,
    ) -> (LinksResponse, bool) {
        self.generate_by(self.discovery.deadline(), cluster, target, namespace, app)
            .await
    }

    /// [`Self::generate`], with every call done by `deadline`: the clients' kubeconfig reads (a directory
    /// or AWS Secrets Manager, and an EKS token) as much as the Kubernetes calls.
    async fn generate_by(
        &self,
        deadline: Deadline,
        cluster: &str,
        target: &str,
        namespace: &str,
        app: &str,
    ) -> (LinksResponse, bool) {
        // Boxed: the client pool's futures (AWS SDK calls among them) are large; unboxed, a debug build's
        // request future overflowed a test thread's 2 MiB stack.
        let clients = Box::pin(async {
            if target == cluster {
                self.clusters.client(cluster).await.map(|c| (c.clone(), c))
            } else {
                tokio::try_join!(self.clusters.client(cluster), self.clusters.client(target))
            }
        });
        let observed = match deadline.bound(STORE, clients).await {
            Ok(Ok((argo, workloads))) => {
                let known_api = self.external_secrets_apis.get(target);
                let observed = Box::pin(discover::observe(
                    &self.discovery,
                    &argo,
                    &workloads,
                    app,
                    namespace,
                    known_api,
                    deadline,
                ))
                .await;
                if let Some(api) = observed.external_secrets_api {
                    self.external_secrets_apis.insert(target.to_string(), api);
                } else if observed.api_gone {
                    self.external_secrets_apis.invalidate(target);
                }
                observed
            }
            Ok(Err(e)) => Observed::failed(ReadError::NoClient(withheld(&e.public(), &e))),
            Err(elapsed) => Observed::failed(ReadError::Timeout(elapsed)),
        };
        self.links_of(namespace, app, &observed)
    }

    /// The links made of what the clusters returned, and whether a call failed.
    fn links_of(&self, namespace: &str, app: &str, observed: &Observed) -> (LinksResponse, bool) {
        let discovery = discover::interpret(&self.discovery, app, namespace, observed.view());
        (
            render(
                &self.links,
                &discovery,
                &gluelinks_core::time::now_rfc3339(),
            ),
            discovery.degraded,
        )
    }

    /// The stored clusters' names, listed by `deadline` at most once per `STORED_CLUSTERS_TTL`. When a
    /// listing fails, the last one stands for another period: the clients already built keep serving
    /// while the store is down, and only one request per period waits for it.
    async fn stored_clusters(&self, deadline: Deadline) -> Result<Vec<String>, ListingFailed> {
        let last = self
            .stored
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some((at, names)) = &last {
            if at.elapsed() < STORED_CLUSTERS_TTL {
                return Ok(names.clone());
            }
        }
        let listed = deadline
            .bound(STORE, Box::pin(self.clusters.store().list()))
            .await
            .map_err(ListingFailed::from)
            .and_then(|listed| listed.map_err(ListingFailed::from));
        let names = match (listed, last) {
            (Ok(names), _) => names,
            (Err(e), Some((_, names))) => {
                tracing::warn!(error = %e, "listing the stored clusters failed; using the last listing");
                names
            }
            (Err(e), None) => return Err(e),
        };
        *self.stored.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), names.clone()));
        Ok(names)
    }

    /// The cluster to read the Application from, without request headers: `DEFAULT_CLUSTER`, else the only
    /// stored one.
    async fn default_cluster(&self, deadline: Deadline) -> Result<String, NoClusters> {
        if let Some(name) = &self.default_cluster {
            return Ok(name.clone());
        }
        let stored = self
            .stored_clusters(deadline)
            .await
            .map_err(NoClusters::StoreFailed)?;
        match stored.as_slice() {
            [only] => Ok(only.clone()),
            [] => Err(NoClusters::Refused(ClusterChoiceError::NoneStored)),
            many => Err(NoClusters::Refused(ClusterChoiceError::Ambiguous {
                names: many.to_vec(),
                header: self.cluster_header.clone(),
            })),
        }
    }

    /// The Argo CD cluster (from the extension's fixed header, else the default) and the cluster the
    /// workloads run in (`Argocd-Target-Cluster-Name` when it names a stored cluster, else the same).
    async fn choose_clusters(
        &self,
        req: LinksRequest<'_>,
        deadline: Deadline,
    ) -> Result<(String, String), NoClusters> {
        let stored = || async {
            self.stored_clusters(deadline)
                .await
                .map_err(NoClusters::StoreFailed)
        };
        let not_granted = |name: &str, by: &str| {
            NoClusters::Refused(ClusterChoiceError::NotGranted {
                name: name.to_string(),
                by: by.to_string(),
            })
        };
        let cluster = match req.cluster.map(str::trim) {
            Some(name) => {
                let name = validate_name(name).map_err(|e| NoClusters::Refused(e.into()))?;
                if !req.granted.allows(name) {
                    return Err(not_granted(
                        name,
                        &format!("the {} header", self.cluster_header),
                    ));
                }
                if !stored().await?.iter().any(|c| c == name) {
                    return Err(NoClusters::Refused(ClusterChoiceError::NotStored {
                        name: name.to_string(),
                        header: self.cluster_header.clone(),
                    }));
                }
                name.to_string()
            }
            None => {
                let cluster = self.default_cluster(deadline).await?;
                if !req.granted.allows(&cluster) {
                    return Err(not_granted(&cluster, "the default cluster"));
                }
                cluster
            }
        };
        // A target outside the caller's grant is treated as one not stored (Argo CD names clusters it
        // manages as it likes, `in-cluster` among them): refusing it would tell the caller which names are
        // stored.
        let target = match req.target.map(str::trim) {
            Some(name)
                if validate_name(name).is_ok()
                    && req.granted.allows(name)
                    && stored().await?.iter().any(|c| c == name) =>
            {
                name.to_string()
            }
            _ => cluster.clone(),
        };
        Ok((cluster, target))
    }

    /// The cache answers a ping, and the default cluster's API server its version, within 2 s.
    pub async fn ready(&self) -> Readiness {
        let deadline = Deadline::after(READY_TIMEOUT, "readiness' own bound");
        // The cache (with, when it fails, what ElastiCache says of it) and the cluster, at once.
        let cache = async {
            let cache = self
                .cache
                .ping()
                .await
                .map_err(|e| format!("{} unreachable: {e}", self.cache.describe()));
            match cache {
                Err(unreachable) => match self.cache.diagnose().await {
                    Some(said) => Err(format!("{unreachable}; {said}")),
                    None => Err(unreachable),
                },
                ok => ok,
            }
        };
        let (cache, kubernetes) = tokio::join!(cache, self.kubernetes_ready(deadline));
        Readiness { cache, kubernetes }
    }

    /// The default cluster's API server answers its version by `deadline`.
    async fn kubernetes_ready(&self, deadline: Deadline) -> Result<(), String> {
        match self.default_cluster(deadline).await {
            Err(NoClusters::Refused(e)) => Err(e.to_string()),
            Err(NoClusters::StoreFailed(reason)) => Err(reason.public()),
            Ok(cluster) => match deadline
                .bound(STORE, Box::pin(self.clusters.client(&cluster)))
                .await
            {
                Err(elapsed) => Err(elapsed.to_string()),
                Ok(Err(e)) => Err(withheld(&e.public(), &e)),
                Ok(Ok(client)) => {
                    let who = format!("Cluster '{cluster}'");
                    match deadline.bound(&who, client.apiserver_version()).await {
                        Ok(Ok(_)) => Ok(()),
                        Ok(Err(e)) => Err(describe(&e, &format!("on cluster '{cluster}'"))),
                        Err(elapsed) => Err(elapsed.to_string()),
                    }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_last_listing_of_stored_clusters_stands_while_the_store_fails() {
        let dir = std::env::temp_dir().join(format!("links-stored-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("prod.kubeconfig"), "").unwrap();
        let env = Env::from_pairs([("CLUSTERS_DIR", dir.to_str().unwrap())]);
        let links = LinksService::from_env(&env).await.unwrap();
        let never_listed = LinksService::from_env(&env).await.unwrap();
        let deadline = links.discovery.deadline();
        assert_eq!(
            links.stored_clusters(deadline).await,
            Ok(vec!["prod".into()])
        );

        std::fs::remove_dir_all(&dir).unwrap();
        // A period later the store is asked again, and fails.
        if let Some((at, _)) = links.stored.lock().unwrap().as_mut() {
            *at = Instant::now().checked_sub(STORED_CLUSTERS_TTL).unwrap();
        }
        assert_eq!(
            links.stored_clusters(deadline).await,
            Ok(vec!["prod".into()])
        );
        let failed = never_listed.stored_clusters(deadline).await.unwrap_err();
        assert!(
            matches!(failed, ListingFailed::Store(StoreError::Unavailable { .. })),
            "{failed:?}"
        );
    }
}

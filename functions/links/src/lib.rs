//! The links function: what the Argo CD UI extension calls on every click. For one Application it answers
//! the links to its dashboards, logs, traces, Vault paths and config folder, from the cache when fresh, and
//! `GET /api/v1/ready` checks the cache and the default cluster for real.

use gluelinks_core::auth::Scope;
use gluelinks_clusters::pool::ClusterClients;
use gluelinks_clusters::store::KubeconfigStore;
use gluelinks_clusters::validate_name;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_links_model::fixtures;
use gluelinks_core::http::request::header;
use gluelinks_core::http::response::{json, HttpResponse, ECHO_LIMIT};
use gluelinks_core::http::route::Route;
use gluelinks_core::http::{Api, Call};
use gluelinks_links::cache::{self, Cache};
use gluelinks_links::discover::{self, Deadline, DiscoverySettings, Observed};
use gluelinks_links_model::{render, LinkSettings, LinksResponse};
use gluelinks_core::text::bounded;
use lambda_http::Request;
use serde_json::json;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    AppLinks,
    HeaderLinks,
    Ready,
}

pub static ROUTES: &[Route<Endpoint>] = &[
    Route::get(
        Endpoint::AppLinks,
        "/api/v1/applications/{app}/links",
        Scope::Read,
    ),
    Route::get(Endpoint::HeaderLinks, "/api/links", Scope::Read),
    Route::get(Endpoint::Ready, "/api/v1/ready", Scope::Read),
];

pub const APP_HEADER: &str = "argocd-application-name";
pub const TARGET_CLUSTER_HEADER: &str = "argocd-target-cluster-name";
/// How long the list of stored clusters is reused before the store is asked again.
const STORED_CLUSTERS_TTL: Duration = Duration::from_secs(60);
/// The bound on everything the readiness check calls: the kubeconfig store and the cluster.
const READY_TIMEOUT: Duration = Duration::from_secs(2);
/// Who a kubeconfig read that outlasts the deadline is reported as.
const STORE: &str = "The kubeconfig store";

pub struct Links {
    api: Api<Endpoint>,
    clusters: ClusterClients,
    cache: Cache,
    discovery: DiscoverySettings,
    links: LinkSettings,
    cluster_header: String,
    default_cluster: Option<String>,
    mock_fixture: Option<String>,
    stored: Mutex<Option<(Instant, Vec<String>)>>,
}

/// Why a request's clusters could not be chosen.
#[derive(Debug)]
enum NoClusters {
    /// The request or the configuration names no usable cluster: a 400 that says what to send.
    Refused(String),
    /// The kubeconfig store could not be listed: the answer degrades, as for a failing cluster.
    StoreFailed(String),
}

impl NoClusters {
    fn message(&self) -> &str {
        match self {
            NoClusters::Refused(m) | NoClusters::StoreFailed(m) => m,
        }
    }
}

/// Reads `Argocd-Application-Name: <namespace>:<app>`.
pub fn parse_app_header(value: Option<&str>) -> Result<(String, String), String> {
    let value = value.ok_or(
        "Missing header Argocd-Application-Name: Argo CD's proxy sends it as '<namespace>:<app>'",
    )?;
    let malformed = || {
        format!(
            "Malformed Argocd-Application-Name '{}': expected '<namespace>:<app>'",
            bounded(value, ECHO_LIMIT)
        )
    };
    let (namespace, app) = value.trim().split_once(':').ok_or_else(malformed)?;
    let valid = |s: &str| {
        !s.is_empty()
            && s.len() <= 253
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    };
    if !valid(namespace) || !valid(app) {
        return Err(malformed());
    }
    Ok((namespace.to_string(), app.to_string()))
}

impl Links {
    /// The cluster store and clients, the cache, discovery and link settings, plus `CLUSTER_HEADER`
    /// (default `X-GlueLinks-Cluster`), `DEFAULT_CLUSTER`, `USE_MOCK_DATA` and `DEFAULT_MOCK_FIXTURE`.
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
            api: Api::new(ROUTES, env)?,
            clusters: ClusterClients::from_env(env).await?,
            cache,
            discovery: DiscoverySettings::from_env(env)?,
            links: LinkSettings::from_env(env)?,
            cluster_header: env
                .string("CLUSTER_HEADER", "X-GlueLinks-Cluster")
                .to_ascii_lowercase(),
            default_cluster,
            mock_fixture,
            stored: Mutex::new(None),
        })
    }

    pub async fn handle(&self, req: Request) -> HttpResponse {
        self.api.handle(req, |call| self.answer(call)).await
    }

    async fn answer(&self, call: Call<Endpoint>) -> HttpResponse {
        if call.route.id == Endpoint::Ready {
            return self.ready().await;
        }
        let (namespace, app) = match parse_app_header(header(&call.req, APP_HEADER)) {
            Ok(parsed) => parsed,
            Err(message) => return call.error(400, &message),
        };
        if call.route.id == Endpoint::AppLinks && call.params.get("app") != app {
            let message = format!(
                "Argocd-Application-Name names application '{app}' but the path names '{}'",
                bounded(call.params.get("app"), ECHO_LIMIT)
            );
            return call.error(400, &message);
        }
        if let Some(name) = &self.mock_fixture {
            if let Some(fixture) = fixtures::fixture(name, &app, &self.links) {
                return json(200, &fixture);
            }
        }
        // One budget for every outbound call of the request, the kubeconfig store's included.
        let deadline = self.discovery.deadline();
        match self.choose_clusters(&call.req, deadline).await {
            Ok((cluster, target)) => json(
                200,
                &self
                    .links_for(&cluster, &target, &namespace, &app, deadline)
                    .await,
            ),
            Err(NoClusters::Refused(message)) => call.error(400, &message),
            Err(NoClusters::StoreFailed(reason)) => {
                tracing::warn!(
                    app,
                    outcome = "degraded",
                    error = %reason,
                    "links: the kubeconfig store failed"
                );
                json(
                    200,
                    &self
                        .links_of(&namespace, &app, &Observed::failed(&reason))
                        .0,
                )
            }
        }
    }

    /// The links of `app`, from the cache when fresh; a failed regeneration falls back to a stale copy.
    async fn links_for(
        &self,
        cluster: &str,
        target: &str,
        namespace: &str,
        app: &str,
        deadline: Deadline,
    ) -> LinksResponse {
        let key = cache::key(cluster, target, namespace, app);
        let cached = self.cache.get(&key).await;
        if let Some(hit) = cached.as_ref().filter(|h| h.fresh) {
            tracing::info!(cluster, app, outcome = "hit", "links");
            return hit.payload.clone();
        }
        let (payload, degraded) = self
            .generate_by(deadline, cluster, target, namespace, app)
            .await;
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
    /// cache-miss path).
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
        let clients = async {
            if target == cluster {
                self.clusters.client(cluster).await.map(|c| (c.clone(), c))
            } else {
                tokio::try_join!(self.clusters.client(cluster), self.clusters.client(target))
            }
        };
        let observed = match deadline.bound(STORE, clients).await {
            Ok(Ok((argo, workloads))) => {
                discover::observe(&self.discovery, &argo, &workloads, app, namespace, deadline)
                    .await
            }
            Ok(Err(e)) => Observed::failed(&e.to_string()),
            Err(message) => Observed::failed(&message),
        };
        self.links_of(namespace, app, &observed)
    }

    /// The links made of what the clusters returned, and whether a call failed.
    fn links_of(&self, namespace: &str, app: &str, observed: &Observed) -> (LinksResponse, bool) {
        let discovery = discover::interpret(&self.discovery, app, namespace, observed.view());
        (
            render(&self.links, &discovery, &gluelinks_core::time::now_rfc3339()),
            discovery.degraded,
        )
    }

    /// The stored clusters' names, listed by `deadline` at most once per `STORED_CLUSTERS_TTL`. When a
    /// listing fails, the last one stands for another period: the clients already built keep serving
    /// while the store is down, and only one request per period waits for it.
    async fn stored_clusters(&self, deadline: Deadline) -> Result<Vec<String>, String> {
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
            .bound(STORE, self.clusters.store().list())
            .await
            .and_then(|listed| listed.map_err(|e| e.to_string()));
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
            [] => Err(NoClusters::Refused("No cluster kubeconfig is stored".into())),
            many => Err(NoClusters::Refused(format!(
                "Several clusters are stored ({}): set DEFAULT_CLUSTER, or configure the extension to send the {} header",
                many.join(", "),
                self.cluster_header
            ))),
        }
    }

    /// The Argo CD cluster (from the extension's fixed header, else the default) and the cluster the
    /// workloads run in (`Argocd-Target-Cluster-Name` when it names a stored cluster, else the same).
    async fn choose_clusters(
        &self,
        req: &Request,
        deadline: Deadline,
    ) -> Result<(String, String), NoClusters> {
        let stored = || async {
            self.stored_clusters(deadline)
                .await
                .map_err(NoClusters::StoreFailed)
        };
        let cluster = match header(req, &self.cluster_header) {
            Some(name) => {
                let name =
                    validate_name(name.trim()).map_err(|e| NoClusters::Refused(e.to_string()))?;
                if !stored().await?.iter().any(|c| c == name) {
                    return Err(NoClusters::Refused(format!(
                        "Cluster '{name}' named by the {} header is not stored",
                        self.cluster_header
                    )));
                }
                name.to_string()
            }
            None => self.default_cluster(deadline).await?,
        };
        let target = match header(req, TARGET_CLUSTER_HEADER).map(str::trim) {
            Some(name)
                if validate_name(name).is_ok() && stored().await?.iter().any(|c| c == name) =>
            {
                name.to_string()
            }
            _ => cluster.clone(),
        };
        Ok((cluster, target))
    }

    async fn ready(&self) -> HttpResponse {
        let cache = match self.cache.ping().await {
            Ok(()) => "ok".to_string(),
            Err(e) => format!("error: {} unreachable: {e}", self.cache.describe()),
        };
        let deadline = Deadline::after(READY_TIMEOUT);
        let kubernetes = match self.default_cluster(deadline).await {
            Err(e) => format!("error: {}", e.message()),
            Ok(cluster) => match deadline.bound(STORE, self.clusters.client(&cluster)).await {
                Err(message) => format!("error: {message}"),
                Ok(Err(e)) => format!("error: {e}"),
                Ok(Ok(client)) => {
                    let who = format!("Cluster '{cluster}'");
                    match deadline.bound(&who, client.apiserver_version()).await {
                        Ok(Ok(_)) => "ok".to_string(),
                        Ok(Err(e)) => format!(
                            "error: {}",
                            gluelinks_clusters::pool::describe(
                                &e,
                                &format!("on cluster '{cluster}'")
                            )
                        ),
                        Err(message) => format!("error: {message}"),
                    }
                }
            },
        };
        let ready = cache == "ok" && kubernetes == "ok";
        let body = json!({
            "ready": ready,
            "checks": { "cache": cache, "kubernetes": kubernetes },
            "timestamp": gluelinks_core::time::now_rfc3339(),
        });
        json(if ready { 200 } else { 503 }, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_application_header() {
        let ok = |ns: &str, app: &str| Ok((ns.to_string(), app.to_string()));
        let cases = [
            (
                Some("nonprod:taco-backend-prod"),
                ok("nonprod", "taco-backend-prod"),
            ),
            (Some(" argocd:billing-api "), ok("argocd", "billing-api")),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_app_header(value), expected, "{value:?}");
        }
        for bad in [
            None,
            Some("taco-backend-prod"),
            Some(":app"),
            Some("ns:"),
            Some("ns:App"),
            Some("a:b:c"),
        ] {
            let err = parse_app_header(bad).unwrap_err();
            assert!(err.contains("Argocd-Application-Name"), "{bad:?}: {err}");
        }
    }

    #[tokio::test]
    async fn the_last_listing_of_stored_clusters_stands_while_the_store_fails() {
        let dir = std::env::temp_dir().join(format!("links-stored-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("prod.kubeconfig"), "").unwrap();
        let env = Env::from_pairs([
            ("AUTH_READ_TOKEN", "sample-read-token-0123456789"),
            ("CLUSTERS_DIR", dir.to_str().unwrap()),
        ]);
        let links = Links::from_env(&env).await.unwrap();
        let never_listed = Links::from_env(&env).await.unwrap();
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
        assert!(failed.contains("cannot be read"), "{failed}");
    }
}

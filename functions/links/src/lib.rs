//! The links function: what the Argo CD UI extension calls on every click. For one Application it answers
//! the links to its dashboards, logs, traces, Vault paths and config folder, from the cache when fresh, and
//! `GET /api/v1/ready` checks the cache and the default cluster for real.

use gluelinks::auth::Scope;
use gluelinks::clusters::pool::ClusterClients;
use gluelinks::clusters::store::KubeconfigStore;
use gluelinks::clusters::validate_name;
use gluelinks::config::{ConfigError, Env};
use gluelinks::fixtures;
use gluelinks::http::request::header;
use gluelinks::http::response::{json, HttpResponse, ECHO_LIMIT};
use gluelinks::http::route::Route;
use gluelinks::http::{Api, Call};
use gluelinks::links::cache::{self, Cache};
use gluelinks::links::discover::{self, DiscoverySettings, Observed};
use gluelinks::links::{render, LinkSettings, LinksResponse};
use gluelinks::text::bounded;
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
const READY_TIMEOUT: Duration = Duration::from_secs(2);

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
        let (cluster, target) = match self.choose_clusters(&call.req).await {
            Ok(chosen) => chosen,
            Err(message) => return call.error(400, &message),
        };
        json(
            200,
            &self.links_for(&cluster, &target, &namespace, &app).await,
        )
    }

    /// The links of `app`, from the cache when fresh; a failed regeneration falls back to a stale copy.
    pub async fn links_for(
        &self,
        cluster: &str,
        target: &str,
        namespace: &str,
        app: &str,
    ) -> LinksResponse {
        let key = cache::key(cluster, namespace, app);
        let cached = self.cache.get(&key).await;
        if let Some(hit) = cached.as_ref().filter(|h| h.fresh) {
            tracing::info!(cluster, app, outcome = "hit", "links");
            return hit.payload.clone();
        }
        let (payload, degraded) = self.generate(cluster, target, namespace, app).await;
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

    /// The links read from the clusters now, and whether a Kubernetes call failed (the cache-miss path).
    pub async fn generate(
        &self,
        cluster: &str,
        target: &str,
        namespace: &str,
        app: &str,
    ) -> (LinksResponse, bool) {
        let observed = match (
            self.clusters.client(cluster).await,
            self.clusters.client(target).await,
        ) {
            (Ok(argo), Ok(workloads)) => {
                discover::observe(&self.discovery, &argo, &workloads, app, namespace).await
            }
            (Err(e), _) | (_, Err(e)) => Observed::failed(&e.to_string()),
        };
        let discovery = discover::interpret(&self.discovery, app, namespace, observed.view());
        (
            render(&self.links, &discovery, &gluelinks::time::now_rfc3339()),
            discovery.degraded,
        )
    }

    async fn stored_clusters(&self) -> Result<Vec<String>, String> {
        if let Some((at, names)) = self
            .stored
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            if at.elapsed() < STORED_CLUSTERS_TTL {
                return Ok(names.clone());
            }
        }
        let names = self
            .clusters
            .store()
            .list()
            .await
            .map_err(|e| e.to_string())?;
        *self.stored.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), names.clone()));
        Ok(names)
    }

    /// The cluster to read the Application from, without request headers: `DEFAULT_CLUSTER`, else the only
    /// stored one.
    async fn default_cluster(&self) -> Result<String, String> {
        if let Some(name) = &self.default_cluster {
            return Ok(name.clone());
        }
        let stored = self.stored_clusters().await?;
        match stored.as_slice() {
            [only] => Ok(only.clone()),
            [] => Err("No cluster kubeconfig is stored".into()),
            many => Err(format!(
                "Several clusters are stored ({}): set DEFAULT_CLUSTER, or configure the extension to send the {} header",
                many.join(", "),
                self.cluster_header
            )),
        }
    }

    /// The Argo CD cluster (from the extension's fixed header, else the default) and the cluster the
    /// workloads run in (`Argocd-Target-Cluster-Name` when it names a stored cluster, else the same).
    async fn choose_clusters(&self, req: &Request) -> Result<(String, String), String> {
        let cluster = match header(req, &self.cluster_header) {
            Some(name) => {
                let name = validate_name(name.trim()).map_err(|e| e.to_string())?;
                if !self.stored_clusters().await?.iter().any(|c| c == name) {
                    return Err(format!(
                        "Cluster '{name}' named by the {} header is not stored",
                        self.cluster_header
                    ));
                }
                name.to_string()
            }
            None => self.default_cluster().await?,
        };
        let target = match header(req, TARGET_CLUSTER_HEADER).map(str::trim) {
            Some(name)
                if validate_name(name).is_ok()
                    && self.stored_clusters().await?.iter().any(|c| c == name) =>
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
        let kubernetes = match self.default_cluster().await {
            Err(e) => format!("error: {e}"),
            Ok(cluster) => match self.clusters.client(&cluster).await {
                Err(e) => format!("error: {e}"),
                Ok(client) => {
                    match tokio::time::timeout(READY_TIMEOUT, client.apiserver_version()).await {
                        Ok(Ok(_)) => "ok".to_string(),
                        Ok(Err(e)) => format!(
                            "error: {}",
                            gluelinks::clusters::pool::describe(
                                &e,
                                &format!("on cluster '{cluster}'")
                            )
                        ),
                        Err(_) => format!(
                            "error: cluster '{cluster}' did not answer within {}s",
                            READY_TIMEOUT.as_secs()
                        ),
                    }
                }
            },
        };
        let ready = cache == "ok" && kubernetes == "ok";
        let body = json!({
            "ready": ready,
            "checks": { "cache": cache, "kubernetes": kubernetes },
            "timestamp": gluelinks::time::now_rfc3339(),
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
}

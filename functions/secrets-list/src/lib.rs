//! The secrets-list function: `GET /secrets?cluster=X` lists a cluster's Argo CD repository credentials,
//! docker pull secrets and repositories (Helm ones apart) — names, labels, types and when each was last
//! written, never values. `cluster=*` (every cluster the caller is granted) or `cluster=a,b` is the fleet
//! view, each cluster with its own status; `name=` keeps one credential's secrets and says where it is
//! held and where it is lacking. It reads the clusters as the lister identity ([`Role::Lister`]), allowed
//! to list secrets and nothing else.

use gluelinks_clusters::pool::ClusterClients;
use gluelinks_clusters::store::Role;
use gluelinks_clusters::NamedIn;
use gluelinks_core::auth::Scope;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_http::request::query;
use gluelinks_http::response::{answer, Answer, HttpResponse};
use gluelinks_http::route::Route;
use gluelinks_http::{Api, Call};
use gluelinks_secrets::fleet::ResolveError;
use gluelinks_secrets::list::{self, Failure, Holding, Listing, SecretEntry, ViewError};
use gluelinks_secrets::request::{name_from_query, ClusterChoice};
use gluelinks_secrets::SecretSettings;
use lambda_http::Request;
use serde::Serialize;

#[derive(Clone, Copy, Debug)]
pub enum Endpoint {
    List,
}

pub static ROUTES: &[Route<Endpoint>] = &[Route::get(Endpoint::List, "/secrets", Scope::List)];

pub struct SecretsList {
    api: Api<Endpoint>,
    clusters: ClusterClients,
    settings: SecretSettings,
}

/// The cluster-configuration API's listing, with every repository secret beside its Helm ones.
#[derive(Serialize)]
struct Body<'a> {
    cluster: &'a str,
    repo_creds_secrets: &'a [SecretEntry],
    docker_creds_secrets: &'a [SecretEntry],
    helm_creds_secrets: &'a [SecretEntry],
    repository_secrets: &'a [SecretEntry],
    total_repo_creds: usize,
    total_docker_creds: usize,
    total_helm_creds: usize,
    total_repositories: usize,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

impl Answer for Body<'_> {
    /// 200 even when the cluster could not be listed: the body's `status` says so (the original API's
    /// contract, which the extension reads).
    fn status(&self) -> u16 {
        200
    }
}

impl<'a> Body<'a> {
    fn new(cluster: &'a str, listing: &'a Listing) -> Self {
        let (status, message) = match &listing.failure {
            None => ("success", None),
            Some(Failure::Unreachable(m)) => ("cluster_unreachable", Some(m.as_str())),
            Some(Failure::Timeout(m)) => ("timeout", Some(m.as_str())),
        };
        Self {
            cluster,
            repo_creds_secrets: &listing.repo_creds,
            docker_creds_secrets: &listing.docker_creds,
            helm_creds_secrets: &listing.helm_creds,
            repository_secrets: &listing.repositories,
            total_repo_creds: listing.repo_creds.len(),
            total_docker_creds: listing.docker_creds.len(),
            total_helm_creds: listing.helm_creds.len(),
            total_repositories: listing.repositories.len(),
            status,
            message,
        }
    }
}

impl SecretsList {
    pub async fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            api: Api::new(ROUTES, env)?,
            clusters: ClusterClients::from_env_for(env, Role::Lister).await?,
            settings: SecretSettings::from_env(env)?,
        })
    }

    pub async fn handle(&self, req: Request) -> HttpResponse {
        self.api.handle(req, |call| self.answer(call)).await
    }

    async fn answer(&self, call: Call<Endpoint>) -> HttpResponse {
        let Some(cluster) = query(&call.req, "cluster").filter(|c| !c.is_empty()) else {
            return call.error(400, "Missing required parameter 'cluster'");
        };
        let choice = match ClusterChoice::from_query(&cluster) {
            Ok(choice) => choice,
            Err(e) => return call.error(400, &e.to_string()),
        };
        let name = match query(&call.req, "name").filter(|n| !n.is_empty()) {
            Some(name) => match name_from_query(&name) {
                Ok(name) => Some(name),
                Err(e) => return call.error(400, &e.to_string()),
            },
            None => None,
        };
        let Some(cluster) = choice.one() else {
            return self.fleet(&call, &choice, name.as_deref()).await;
        };
        if !call.caller.reaches(cluster) {
            return call.error(403, &ResolveError::not_granted(cluster).to_string());
        }
        let listing =
            match list::list_cluster(&self.clusters, cluster, &self.settings, &call.caller).await {
                Ok(listing) => listing,
                Err(e) => return call.error(e.status(NamedIn::Query), &e.for_caller(&call.caller)),
            };
        if let Some(failure) = &listing.failure {
            tracing::warn!(cluster = %cluster, failure = ?failure, "listing secrets failed");
        }
        let listing = match &name {
            Some(name) => listing.named(name),
            None => listing,
        };
        answer(&Body::new(cluster, &listing))
    }

    /// The fleet view: every named (or granted) cluster's listing, at once.
    async fn fleet(
        &self,
        call: &Call<Endpoint>,
        choice: &ClusterChoice,
        name: Option<&str>,
    ) -> HttpResponse {
        let (clusters, listings) =
            match list::fleet_view(&self.clusters, choice, &self.settings, &call.caller).await {
                Ok(listed) => listed,
                Err(e @ ViewError::TooMany { .. }) => return call.error(400, &e.to_string()),
                Err(ViewError::Resolve(e)) => {
                    return call.error(e.status(NamedIn::Query), &e.for_caller(&call.caller))
                }
                Err(e @ ViewError::StoreLate(_)) => return call.error(504, &e.to_string()),
            };
        let listings: Vec<Listing> = listings
            .into_iter()
            .map(|l| match name {
                Some(name) => l.named(name),
                None => l,
            })
            .collect();
        for (cluster, listing) in clusters.iter().zip(&listings) {
            if let Some(failure) = &listing.failure {
                tracing::warn!(cluster = %cluster, failure = ?failure, "listing secrets failed");
            }
        }
        let failed = listings.iter().filter(|l| l.failure.is_some()).count();
        answer(&FleetBody {
            clusters: clusters
                .iter()
                .zip(&listings)
                .map(|(c, l)| Body::new(c, l))
                .collect(),
            total_clusters: clusters.len(),
            status: if failed == 0 { "success" } else { "partial" },
            message: (failed > 0).then(|| {
                format!(
                    "{} of {} clusters listed; see each cluster's status",
                    clusters.len() - failed,
                    clusters.len()
                )
            }),
            credential: name.map(|n| Holding::of(n, &clusters, &listings)),
        })
    }
}

/// The fleet view: each cluster's listing, and, with `name=`, where that credential is.
#[derive(Serialize)]
struct FleetBody<'a> {
    clusters: Vec<Body<'a>>,
    total_clusters: usize,
    /// `success`, or `partial` when a cluster could not be listed.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credential: Option<Holding>,
}

impl Answer for FleetBody<'_> {
    /// 200, as a single cluster's listing: each cluster's `status` says how it went.
    fn status(&self) -> u16 {
        200
    }
}

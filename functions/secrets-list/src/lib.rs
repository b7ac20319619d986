//! The secrets-list function: `GET /secrets?cluster=X` lists a cluster's Argo CD repository credentials,
//! docker pull secrets and repositories (Helm ones apart) — names, labels and types, never values (//! 003). It reads the clusters as the lister identity ([`Role::Lister`]), allowed to list secrets and
//! nothing else, and asks for their metadata only.

use gluelinks_clusters::pool::ClusterClients;
use gluelinks_clusters::store::Role;
use gluelinks_clusters::NamedIn;
use gluelinks_core::auth::Scope;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_http::request::query;
use gluelinks_http::response::{answer, Answer, HttpResponse};
use gluelinks_http::route::Route;
use gluelinks_http::{Api, Call};
use gluelinks_secrets::list::{self, Failure, Listing, SecretEntry};
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
        if !call.caller.reaches(&cluster) {
            return call.error(403, &not_granted(&cluster));
        }
        let listing = match list::list_cluster(
            &self.clusters,
            &cluster,
            &self.settings,
            &call.caller,
        )
        .await
        {
            Ok(listing) => listing,
            Err(e) => return call.error(e.status(NamedIn::Query), &e.for_caller(&call.caller)),
        };
        if let Some(failure) = &listing.failure {
            tracing::warn!(cluster = %cluster, failure = ?failure, "listing secrets failed");
        }
        answer(&Body::new(&cluster, &listing))
    }
}

/// The refusal of a cluster outside the caller's grant.
fn not_granted(cluster: &str) -> String {
    format!(
        "Cluster '{}' is not among the clusters this caller is granted (OPERATOR_GRANTS)",
        gluelinks_core::text::bounded(cluster, gluelinks_core::text::ECHO_LIMIT)
    )
}

//! Every HTTP function at once: built from one environment, called by the binary name `template.yaml`
//! gives it, and their route tables; and a warm run.

use crate::harness::scheduled;
use crate::openapi::Checked;
use gluelinks_core::auth::Scope;
use gluelinks_core::config::Env;
use gluelinks_http::response::HttpResponse;
use gluelinks_http::route::Route;
use gluelinks_links::warm::WarmReport;
use lambda_http::Request;

/// The HTTP functions, each built from the same settings, as `make run` has them.
pub struct Functions {
    pub health: health::Health,
    pub fixtures: fixtures::Fixtures,
    pub clusters: clusters::Clusters,
    pub links: links::Links,
    pub secrets_list: secrets_list::SecretsList,
    pub secrets_add: secrets_add::SecretsAdd,
}

impl Functions {
    pub async fn from_env(env: &Env) -> Self {
        Self {
            health: health::Health::from_env(env).expect("health settings"),
            fixtures: fixtures::Fixtures::from_env(env).expect("fixtures settings"),
            clusters: clusters::Clusters::from_env(env)
                .await
                .expect("clusters settings"),
            links: links::Links::from_env(env).await.expect("links settings"),
            secrets_list: secrets_list::SecretsList::from_env(env)
                .await
                .expect("secrets-list settings"),
            secrets_add: secrets_add::SecretsAdd::from_env(env)
                .await
                .expect("secrets-add settings"),
        }
    }

    /// `function`'s answer to `req` (`function` as `functions/` and `template.yaml` name it), checked
    /// against the API description.
    pub async fn handle_checked(&self, function: &str, req: Request) -> HttpResponse {
        match function {
            "health" => self.health.handle_checked(req).await,
            "fixtures" => self.fixtures.handle_checked(req).await,
            "clusters" => self.clusters.handle_checked(req).await,
            "links" => self.links.handle_checked(req).await,
            "secrets-list" => self.secrets_list.handle_checked(req).await,
            "secrets-add" => self.secrets_add.handle_checked(req).await,
            other => panic!("no HTTP function {other}"),
        }
    }
}

/// A route: its method, its path, and who may call it.
pub type RouteEntry = (&'static str, &'static str, Scope);

/// Each HTTP function's route table, by binary name.
pub fn route_tables() -> [(&'static str, Vec<RouteEntry>); 6] {
    fn table<R>(routes: &[Route<R>]) -> Vec<RouteEntry> {
        routes.iter().map(|r| (r.method, r.path, r.scope)).collect()
    }
    [
        ("health", table(health::ROUTES)),
        ("fixtures", table(fixtures::ROUTES)),
        ("clusters", table(clusters::ROUTES)),
        ("links", table(links::ROUTES)),
        ("secrets-list", table(secrets_list::ROUTES)),
        ("secrets-add", table(secrets_add::ROUTES)),
    ]
}

/// A warm run on the clusters `env` names, started by the schedule's sample event: its report, or the
/// error Lambda would see.
pub async fn scheduled_run(env: &Env) -> Result<WarmReport, lambda_runtime::Error> {
    let warm = warm::Warm::from_env(env).await.expect("warm settings");
    warm.handle(scheduled()).await
}

//! The clusters function: `GET /clusters` lists the clusters whose kubeconfigs are stored.

use gluelinks_clusters::store::{KubeconfigStore, Role, Store};
use gluelinks_clusters::NamedIn;
use gluelinks_core::auth::Scope;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::withheld::withheld;
use gluelinks_http::response::{json, HttpResponse};
use gluelinks_http::route::Route;
use gluelinks_http::{Api, Call};
use lambda_http::Request;

#[derive(Clone, Copy, Debug)]
pub enum Endpoint {
    List,
}

pub static ROUTES: &[Route<Endpoint>] = &[Route::get(Endpoint::List, "/clusters", Scope::List)];

/// `GET /clusters`: the stored clusters' names, sorted.
#[derive(serde::Serialize)]
struct Listed {
    clusters: Vec<String>,
    total: usize,
}

pub struct Clusters {
    api: Api<Endpoint>,
    store: Store,
}

impl Clusters {
    pub async fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            api: Api::new(ROUTES, env)?,
            store: Store::from_env_for(env, Role::Reader).await?,
        })
    }

    pub async fn handle(&self, req: Request) -> HttpResponse {
        self.api.handle(req, |call| self.answer(call)).await
    }

    async fn answer(&self, call: Call<Endpoint>) -> HttpResponse {
        match call.route.id {
            Endpoint::List => match self.store.list().await {
                Ok(mut clusters) => {
                    // A caller granted some clusters sees those.
                    clusters.retain(|c| call.caller.reaches(c));
                    json(
                        200,
                        &Listed {
                            total: clusters.len(),
                            clusters,
                        },
                    )
                }
                Err(err) => {
                    tracing::error!(error = %err, "listing clusters failed");
                    let message = if call.caller.may_write() {
                        err.to_string()
                    } else {
                        withheld(&err.public(), &err)
                    };
                    call.error(err.status(NamedIn::Query), &message)
                }
            },
        }
    }
}

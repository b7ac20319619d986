//! The secrets-add function (write token only): docker pull secrets (`add_docker`), Argo CD Helm repositories
//! (`add_helm_repo`), repositories of any type (`add_repository`) and credential templates shared by many
//! repository URLs (`add_repo_creds`). Everything is validated before the first write; without `upsert` an
//! existing target means 409 and nothing written; `dry_run` writes nothing. Every write is audited, no value
//! is ever logged or answered.

use gluelinks_clusters::pool::ClusterError;
use gluelinks_clusters::StoreError;
use gluelinks_core::auth::Scope;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::http::response::{json, HttpResponse};
use gluelinks_core::http::route::Route;
use gluelinks_core::http::{headers, Api, Call};
use gluelinks_core::metrics::Metrics;
use gluelinks_secrets::service::{AddError, Added, SecretsService, WriteKind};
use gluelinks_secrets::write::Report;
use lambda_http::{Body, Request};

mod body;

pub static ROUTES: &[Route<WriteKind>] = &[
    Route::post(WriteKind::Docker, "/secrets/add_docker", Scope::Write),
    Route::post(WriteKind::HelmRepo, "/secrets/add_helm_repo", Scope::Write),
    Route::post(
        WriteKind::Repository,
        "/secrets/add_repository",
        Scope::Write,
    ),
    Route::post(
        WriteKind::RepoCreds,
        "/secrets/add_repo_creds",
        Scope::Write,
    ),
];

pub struct SecretsAdd {
    api: Api<WriteKind>,
    service: SecretsService,
}

/// The status of a request that did not run: the request's mistakes are 4xx, the cluster's 5xx.
fn status(err: &AddError) -> u16 {
    match err {
        AddError::TooLarge => 413,
        AddError::Invalid(_) => 400,
        AddError::Cluster(ClusterError::Store(
            StoreError::InvalidName(_) | StoreError::NotFound { .. },
        )) => 400,
        AddError::Cluster(
            ClusterError::Store(StoreError::Unavailable { .. }) | ClusterError::Kubeconfig { .. },
        ) => 502,
        AddError::KubeconfigTimeout { .. } => 504,
    }
}

/// What a request that did not run says; when the cluster could not be reached, also that nothing was
/// written.
fn message(err: &AddError) -> String {
    match err {
        AddError::Cluster(
            ClusterError::Store(StoreError::Unavailable { .. }) | ClusterError::Kubeconfig { .. },
        ) => format!("{err}; nothing was written"),
        _ => err.to_string(),
    }
}

fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

impl SecretsAdd {
    pub async fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            api: Api::new(ROUTES, env)?,
            service: SecretsService::from_env(env).await?,
        })
    }

    pub async fn handle(&self, req: Request) -> HttpResponse {
        self.api.handle(req, |call| self.answer(call)).await
    }

    async fn answer(&self, call: Call<WriteKind>) -> HttpResponse {
        let Added {
            plan,
            targets,
            report,
        } = match self.service.add(call.route.id, body_bytes(&call.req)).await {
            Ok(added) => added,
            Err(e) => {
                let code = status(&e);
                // Nothing was written: counted by whose fault it was (no namespace was reached).
                Metrics::new()
                    .dimension("route", call.route.path)
                    .dimension(
                        "outcome",
                        if code >= 500 {
                            "failed"
                        } else {
                            "refused: invalid request"
                        },
                    )
                    .count("CredentialWrites", 1)
                    .emit();
                return call.error(code, &message(&e));
            }
        };
        let common = plan.common();
        let audit = |outcome: &str, namespace: &str| {
            tracing::info!(
                audit = "secrets.write",
                route = call.route.path,
                grant = call.grant.as_str(),
                argocd_user_unverified = headers::user(&call.req),
                cluster = %common.cluster,
                namespace,
                secret = %common.name,
                upsert = common.upsert,
                dry_run = common.dry_run,
                outcome,
                "secret write"
            );
            Metrics::new()
                .dimension("route", call.route.path)
                .dimension("outcome", outcome)
                .count("CredentialWrites", 1)
                .emit();
        };
        match report {
            Report::Foreign(foreign) => {
                for e in &foreign {
                    audit("refused: not a secret of this kind", &e.namespace);
                }
                json(409, &body::Foreign::new(&foreign))
            }
            Report::Exists(existing) => {
                for e in &existing {
                    audit("refused: exists", &e.namespace);
                }
                json(409, &body::Conflict::new(&plan, &existing))
            }
            Report::Unknown(unknown) => {
                for (ns, _) in &unknown {
                    audit("refused: state unknown", ns);
                }
                json(502, &body::Unknown::new(&common.name, &unknown))
            }
            Report::DryRun(planned) => {
                for o in &planned {
                    audit("dry run", &o.namespace);
                }
                json(200, &body::DryRun::new(&plan, targets, &planned))
            }
            Report::Written(outcomes) => {
                for o in &outcomes {
                    match &o.result {
                        Ok(done) => audit(done.action.verb(), &o.namespace),
                        Err(e) => {
                            let outcome = if e.outcome_unknown() {
                                "unknown: no answer"
                            } else {
                                "failed"
                            };
                            audit(outcome, &o.namespace);
                            tracing::warn!(cluster = %common.cluster, namespace = %o.namespace, error = %e, "secret write failed");
                        }
                    }
                }
                json(
                    body::Written::status(&outcomes),
                    &body::Written::new(&plan, &outcomes),
                )
            }
        }
    }
}

//! The secrets-add function (operators who may write: an AWS principal granted `write`, or the operator
//! token): docker pull secrets (`add_docker`), Argo CD Helm repositories
//! (`add_helm_repo`), repositories of any type (`add_repository`) and credential templates shared by many
//! repository URLs (`add_repo_creds`). Everything is validated before the first write; without `upsert` an
//! existing target means 409 and nothing written; `dry_run` writes nothing. Every write is audited, no value
//! is ever logged or answered.

use gluelinks_clusters::pool::ClusterError;
use gluelinks_clusters::{NamedIn, StoreError};
use gluelinks_core::auth::Scope;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_http::response::{answer, HttpResponse};
use gluelinks_http::route::Route;
use gluelinks_http::{request, Api, Call};
use gluelinks_secrets::audit::{Asked, Audit, Requester};
use gluelinks_secrets::fleet::ResolveError;
use gluelinks_secrets::kind::SecretKind;
use gluelinks_secrets::service::{AddError, Added, Plan, Ran, SecretsService};
use gluelinks_secrets::write::Report;
use gluelinks_secrets::NOTHING_WRITTEN;
use lambda_http::{Body, Request};

mod body;
mod fleet_body;

/// What a route does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Writes a secret of this kind.
    Add(SecretKind),
    /// Removes a secret GlueLinks created.
    Remove,
}

pub static ROUTES: &[Route<Op>] = &[
    Route::post(
        Op::Add(SecretKind::PullSecret),
        "/secrets/add_docker",
        Scope::Write,
    ),
    Route::post(
        Op::Add(SecretKind::HelmRepository),
        "/secrets/add_helm_repo",
        Scope::Write,
    ),
    Route::post(
        Op::Add(SecretKind::Repository),
        "/secrets/add_repository",
        Scope::Write,
    ),
    Route::post(
        Op::Add(SecretKind::CredentialTemplate),
        "/secrets/add_repo_creds",
        Scope::Write,
    ),
    Route::post(Op::Remove, "/secrets/remove", Scope::Write),
];

pub struct SecretsAdd {
    api: Api<Op>,
    service: SecretsService,
}

/// The status of a request that did not run: the request's mistakes are 4xx, the cluster's 5xx.
fn status(err: &AddError) -> u16 {
    match err {
        AddError::TooLarge => 413,
        AddError::Invalid(_) => 400,
        AddError::Cluster(e) => e.status(NamedIn::Body),
        AddError::KubeconfigTimeout { .. } => 504,
        AddError::Clusters(e) => e.status(NamedIn::Body),
    }
}

/// What a request that did not run says; when the cluster could not be reached, also that nothing was
/// written.
fn message(err: &AddError) -> String {
    match err {
        AddError::Cluster(
            ClusterError::Store(StoreError::Unavailable { .. }) | ClusterError::Kubeconfig { .. },
        ) => format!("{err}. {NOTHING_WRITTEN}."),
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

    async fn answer(&self, call: Call<Op>) -> HttpResponse {
        let user = gluelinks_http::request::argocd_user(&call.req);
        let source_ip = request::source_ip(&call.req);
        let gateway_id = request::gateway_request_id(&call.req);
        let requester = Requester {
            route: call.route.path,
            principal: call.caller.principal(),
            source_ip: source_ip.as_deref(),
            gateway_request_id: gateway_id.as_deref(),
            argocd_user_unverified: user.as_deref(),
        };
        // Refused as a whole: one audit line, with what the request named when it could be read.
        let refused = |asked: Asked, e: &AddError| {
            let code = status(e);
            let outcome = match e {
                _ if code >= 500 => "failed",
                AddError::Clusters(ResolveError::NotGranted(_)) => "refused: cluster not granted",
                _ => "refused: invalid request",
            };
            Audit { requester, asked }.record(None, outcome);
            call.error(code, &message(e))
        };
        let kind = match call.route.id {
            Op::Add(kind) => kind,
            Op::Remove => {
                let req = match self.service.removal(body_bytes(&call.req)) {
                    Ok(req) => req,
                    Err(e) => return refused(Asked::default(), &e),
                };
                let cluster = req.cluster.shown();
                let asked = Asked {
                    cluster: Some(&cluster),
                    secret: Some(&req.name),
                    kind: Some(req.kind.noun()),
                    dry_run: req.dry_run,
                    ..Asked::default()
                };
                let report = match self.service.remove(&req, &call.caller.clusters()).await {
                    Ok(report) => report,
                    Err(e) => return refused(asked, &e),
                };
                let audit = Audit { requester, asked };
                let namespaces = req.namespaces_in(self.service.settings());
                return answer(&fleet_body::FleetBody::new(
                    &report,
                    &req.name,
                    req.kind.noun(),
                    "removed",
                    namespaces,
                    req.dry_run,
                    &audit,
                ));
            }
        };
        let plan = match self.service.plan(kind, body_bytes(&call.req)) {
            Ok(plan) => plan,
            Err(e) => return refused(Asked::default(), &e),
        };
        let common = plan.common().clone();
        let cluster = common.cluster.shown();
        let asked = Asked {
            cluster: Some(&cluster),
            secret: Some(&common.name),
            kind: Some(plan.noun()),
            upsert: common.upsert,
            dry_run: common.dry_run,
            adopt: common.adopt,
        };
        let Added {
            plan,
            namespaces,
            ran,
        } = match self.service.run(plan, &call.caller.clusters()).await {
            Ok(added) => added,
            Err(e) => return refused(asked, &e),
        };
        let audit = Audit { requester, asked };
        match ran {
            Ran::One(report) => one(&audit, &plan, namespaces.len(), report),
            Ran::Fleet(report) => answer(&fleet_body::FleetBody::new(
                &report,
                &common.name,
                plan.noun(),
                "written",
                &namespaces,
                common.dry_run,
                &audit,
            )),
        }
    }
}

/// The answer to a write of one cluster named alone, in the original API's shapes, every target audited.
fn one(audit: &Audit, plan: &Plan, targets: usize, report: Report) -> HttpResponse {
    let common = plan.common();
    match report {
        Report::Foreign(foreign) => {
            for e in &foreign {
                let adoptable = e.refusal.as_ref().is_some_and(|r| r.adoptable);
                audit.record(
                    Some(&e.namespace),
                    if adoptable {
                        "refused: not created by GlueLinks"
                    } else {
                        "refused: never replaced"
                    },
                );
            }
            answer(&body::Foreign::new(&foreign))
        }
        Report::Rejected(rejected) => {
            for (ns, _) in &rejected {
                audit.record(Some(ns), "refused: by the cluster");
            }
            answer(&body::Rejected::new(&common.name, &rejected))
        }
        Report::Exists(existing) => {
            for e in &existing {
                audit.record(Some(&e.namespace), "refused: exists");
            }
            answer(&body::Conflict::new(plan, &existing))
        }
        Report::Unknown(unknown) => {
            for (ns, _) in &unknown {
                audit.record(Some(ns), "refused: state unknown");
            }
            answer(&body::Unknown::new(&common.name, &unknown))
        }
        Report::DryRun(planned) => {
            for o in &planned {
                audit.record(Some(&o.namespace), "dry run");
            }
            answer(&body::DryRun::new(plan, targets, &planned))
        }
        Report::Written(outcomes) => {
            for o in &outcomes {
                match &o.result {
                    Ok(done) => audit.record(Some(&o.namespace), done.action.outcome()),
                    Err(e) => {
                        let outcome = if e.outcome_unknown() {
                            "unknown: no answer"
                        } else {
                            "failed"
                        };
                        audit.record(Some(&o.namespace), outcome);
                        tracing::warn!(cluster = %common.cluster.shown(), namespace = %o.namespace, error = %e, "secret write failed");
                    }
                }
            }
            answer(&body::Written::new(plan, &outcomes))
        }
    }
}

//! The secrets-add function (write token only): docker pull secrets (`add_docker`), Argo CD Helm repositories
//! (`add_helm_repo`), repositories of any type (`add_repository`) and credential templates shared by many
//! repository URLs (`add_repo_creds`). Everything is validated before the first write; without `upsert` an
//! existing target means 409 and nothing written; `dry_run` writes nothing. Every write is audited, no value
//! is ever logged or answered.

use gluelinks_clusters::pool::ClusterError;
use gluelinks_clusters::StoreError;
use gluelinks_core::auth::Scope;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::http::request::header;
use gluelinks_core::http::response::{json, HttpResponse};
use gluelinks_core::http::route::Route;
use gluelinks_core::http::{headers, Api, Call};
use gluelinks_core::text::bounded;
use gluelinks_secrets::service::{AddError, Added, Plan, SecretsService, WriteKind};
use gluelinks_secrets::write::{self, Action, Existing, Outcome, Planned, Report};
use lambda_http::{Body, Request};
use serde_json::{json, Value};

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
        AddError::Cluster(ClusterError::Store(StoreError::Unavailable { .. })) => 500,
        AddError::Cluster(ClusterError::Kubeconfig { .. }) => 502,
        AddError::KubeconfigTimeout { .. } => 504,
    }
}

fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

fn result_json(outcome: &Outcome) -> Value {
    match &outcome.result {
        Ok(done) => json!({
            "success": true,
            "namespace": outcome.namespace,
            "output": format!("secret/{} {}", outcome.name, done.action.verb()),
            "changed_keys": done.changed_keys,
        }),
        Err(e) => {
            json!({ "success": false, "namespace": outcome.namespace, "error": e.to_string() })
        }
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
            Err(e) => return call.error(status(&e), &e.to_string()),
        };
        let common = plan.common();
        let audit = |outcome: &str, namespace: &str| {
            tracing::info!(
                audit = "secrets.write",
                route = call.route.path,
                grant = call.grant.as_str(),
                argocd_user_unverified = header(&call.req, headers::USER).map(|u| bounded(u, 128)),
                cluster = %common.cluster,
                namespace,
                secret = %common.name,
                upsert = common.upsert,
                dry_run = common.dry_run,
                outcome,
                "secret write"
            );
        };
        match report {
            Report::Foreign(foreign) => {
                for e in &foreign {
                    audit("refused: not a secret of this kind", &e.namespace);
                }
                json(409, &self.foreign(&foreign))
            }
            Report::Exists(existing) => {
                for e in &existing {
                    audit("refused: exists", &e.namespace);
                }
                json(409, &self.conflict(&plan, &existing))
            }
            Report::Unknown(unknown) => {
                for (ns, _) in &unknown {
                    audit("refused: state unknown", ns);
                }
                json(502, &unknown_body(&common.name, &unknown))
            }
            Report::DryRun(planned) => {
                for o in &planned {
                    audit("dry run", &o.namespace);
                }
                let unknown = planned
                    .iter()
                    .filter(|p| matches!(p.plan.action, Action::Unknown(_)))
                    .count();
                let message = match unknown {
                    0 => format!("Dry run: nothing was written; {targets} secret(s) would be written"),
                    n => format!("Dry run: nothing was written; {n} of {targets} target(s) could not be read (see reason)"),
                };
                json(
                    200,
                    &json!({
                        "success": unknown == 0,
                        "dry_run": true,
                        "cluster": common.cluster,
                        "name": common.name,
                        "would_write": planned.iter().map(planned_json).collect::<Vec<_>>(),
                        "message": message,
                    }),
                )
            }
            Report::Written(outcomes) => {
                for o in &outcomes {
                    match &o.result {
                        Ok(done) => audit(done.action.verb(), &o.namespace),
                        Err(e) => {
                            audit("failed", &o.namespace);
                            tracing::warn!(cluster = %common.cluster, namespace = %o.namespace, error = %e, "secret write failed");
                        }
                    }
                }
                let written = outcomes.iter().filter(|o| o.result.is_ok()).count();
                let status = match written {
                    n if n == outcomes.len() => 200,
                    0 => 502,
                    _ => 207,
                };
                json(status, &self.written(&plan, &outcomes))
            }
        }
    }

    fn foreign(&self, foreign: &[Existing]) -> Value {
        let reasons: Vec<&str> = foreign
            .iter()
            .filter_map(|e| e.refusal.as_deref())
            .collect();
        let map: serde_json::Map<String, Value> = foreign
            .iter()
            .map(|e| {
                (
                    e.namespace.clone(),
                    json!({ "exists": true, "description": write::describe_existing(&e.secret), "reason": e.refusal }),
                )
            })
            .collect();
        json!({
            "error": true,
            "message": format!("{}. Nothing was written.", reasons.join("; ")),
            "foreign_secrets": map,
            "upsert_required": false,
            "status_code": 409,
        })
    }

    fn conflict(&self, plan: &Plan, existing: &[Existing]) -> Value {
        let described = |s| json!({ "exists": true, "description": write::describe_existing(s) });
        match plan {
            Plan::Docker(_) => {
                let namespaces: Vec<&str> = existing.iter().map(|e| e.namespace.as_str()).collect();
                let map: serde_json::Map<String, Value> = existing
                    .iter()
                    .map(|e| (e.namespace.clone(), described(&e.secret)))
                    .collect();
                json!({
                    "error": true,
                    "message": format!("Secrets already exist in namespaces: {}", namespaces.join(", ")),
                    "existing_secrets": map,
                    "upsert_required": true,
                })
            }
            Plan::Repository(..) => json!({
                "error": true,
                "message": format!("{} already exists", plan.noun()),
                "existing_secret": described(&existing[0].secret),
                "upsert_required": true,
            }),
        }
    }

    fn written(&self, plan: &Plan, outcomes: &[Outcome]) -> Value {
        let common = plan.common();
        let ok: Vec<&Outcome> = outcomes.iter().filter(|o| o.result.is_ok()).collect();
        let failed: Vec<String> = outcomes
            .iter()
            .filter_map(|o| {
                o.result
                    .as_ref()
                    .err()
                    .map(|e| format!("{} ({e})", o.namespace))
            })
            .collect();
        let verb = if ok
            .iter()
            .any(|o| matches!(&o.result, Ok(done) if done.action == Action::Replaced))
        {
            "written"
        } else {
            "created"
        };
        match plan {
            Plan::Docker(_) => {
                let message = if failed.is_empty() {
                    format!(
                        "Docker registry secrets {verb} successfully in {} namespace(s)",
                        ok.len()
                    )
                } else {
                    format!(
                        "Docker registry secret written in {} of {} namespaces; failed: {}",
                        ok.len(),
                        outcomes.len(),
                        failed.join("; ")
                    )
                };
                json!({
                    "success": failed.is_empty(),
                    "cluster": common.cluster,
                    "name": common.name,
                    "namespaces": outcomes.iter().map(|o| o.namespace.as_str()).collect::<Vec<_>>(),
                    "results": outcomes.iter().map(|o| json!({ "namespace": o.namespace, "result": result_json(o) })).collect::<Vec<_>>(),
                    "message": message,
                })
            }
            Plan::Repository(kind, request) => {
                let outcome = &outcomes[0];
                let (url_key, applied_key) = match kind {
                    WriteKind::HelmRepo => ("repository_url", "helm_secret_applied"),
                    WriteKind::RepoCreds => ("url", "credential_template_applied"),
                    _ => ("repository_url", "repository_secret_applied"),
                };
                let message = match &outcome.result {
                    Ok(done) if done.action == Action::Created => {
                        format!("{} created successfully", plan.noun())
                    }
                    Ok(_) => format!("{} replaced successfully", plan.noun()),
                    Err(e) => format!("{} was not written: {e}", plan.noun()),
                };
                let mut body = json!({
                    "success": outcome.result.is_ok(),
                    "cluster": common.cluster,
                    "secret_name": common.name,
                    applied_key: result_json(outcome),
                    "message": message,
                });
                body[url_key] = request.url.clone().into();
                body
            }
        }
    }
}

fn planned_json(p: &Planned) -> Value {
    let action = match p.plan.action {
        Action::Created => "create",
        Action::Replaced => "replace",
        Action::Unknown(_) => "unknown",
    };
    let mut entry = json!({ "namespace": p.namespace, "name": p.name, "action": action, "changed_keys": p.plan.changed_keys });
    if let Action::Unknown(why) = &p.plan.action {
        entry["reason"] = why.as_str().into();
    }
    entry
}

fn unknown_body(name: &str, unknown: &[(String, String)]) -> Value {
    let reasons: Vec<String> = unknown
        .iter()
        .map(|(ns, why)| format!("{ns} ({why})"))
        .collect();
    json!({
        "error": true,
        "message": format!(
            "Could not read whether secret {name} already exists in: {}. Nothing was written: a secret that could not be read may be one GlueLinks must not replace. Try again when the cluster answers",
            reasons.join("; ")
        ),
        "unknown": unknown.iter().map(|(ns, why)| (ns.clone(), Value::from(why.as_str()))).collect::<serde_json::Map<_, _>>(),
        "status_code": 502,
    })
}

//! The cluster-configuration API's response bodies for the add routes, as types: what a user reads after a write, a refusal or
//! a dry run. Names of keys only, never values.

use gluelinks_http::response::Answer;
use gluelinks_secrets::kind::{SecretKind, OPAQUE};
use gluelinks_secrets::service::Plan;
use gluelinks_secrets::write::{Action, Existing, Outcome, Planned};
use gluelinks_secrets::NOTHING_WRITTEN;
use k8s_openapi::api::core::v1::Secret;
use serde::Serialize;
use std::collections::BTreeMap;

/// An existing secret, as a refusal describes it: name, namespace, type and labels, never data.
#[derive(Serialize)]
pub struct Described {
    name: Option<String>,
    namespace: Option<String>,
    #[serde(rename = "type")]
    secret_type: String,
    labels: BTreeMap<String, String>,
}

impl From<&Secret> for Described {
    fn from(secret: &Secret) -> Self {
        Self {
            name: secret.metadata.name.clone(),
            namespace: secret.metadata.namespace.clone(),
            secret_type: secret.type_.clone().unwrap_or_else(|| OPAQUE.into()),
            labels: secret.metadata.labels.clone().unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
pub struct ExistingSecret {
    exists: bool,
    description: Described,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// Whether `adopt: true` would take it over (it is of the right kind, not created by GlueLinks).
    #[serde(skip_serializing_if = "Option::is_none")]
    adoptable: Option<bool>,
}

impl From<&Existing> for ExistingSecret {
    fn from(e: &Existing) -> Self {
        Self {
            exists: true,
            description: Described::from(e.secret.secret()),
            reason: e.refusal.as_ref().map(|r| r.reason.clone()),
            adoptable: e.refusal.as_ref().map(|r| r.adoptable),
        }
    }
}

/// 409: a target is a secret GlueLinks may not replace.
#[derive(Serialize)]
pub struct Foreign {
    error: bool,
    message: String,
    foreign_secrets: BTreeMap<String, ExistingSecret>,
    upsert_required: bool,
    status_code: u16,
}

impl Foreign {
    pub fn new(foreign: &[Existing]) -> Self {
        let reasons: Vec<&str> = foreign
            .iter()
            .filter_map(|e| e.refusal.as_ref().map(|r| r.reason.as_str()))
            .collect();
        Self {
            error: true,
            message: format!("{}. {NOTHING_WRITTEN}.", reasons.join("; ")),
            foreign_secrets: foreign
                .iter()
                .map(|e| (e.namespace.clone(), e.into()))
                .collect(),
            upsert_required: false,
            status_code: 409,
        }
    }
}

/// 409 without upsert: targets exist.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Conflict {
    Docker {
        error: bool,
        message: String,
        existing_secrets: BTreeMap<String, ExistingSecret>,
        upsert_required: bool,
    },
    Repository {
        error: bool,
        message: String,
        existing_secret: ExistingSecret,
        upsert_required: bool,
    },
}

impl Conflict {
    pub fn new(plan: &Plan, existing: &[Existing]) -> Self {
        match plan {
            Plan::Docker(_) => Conflict::Docker {
                error: true,
                message: format!(
                    "Secrets already exist in namespaces: {}",
                    existing
                        .iter()
                        .map(|e| e.namespace.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                existing_secrets: existing
                    .iter()
                    .map(|e| (e.namespace.clone(), e.into()))
                    .collect(),
                upsert_required: true,
            },
            Plan::Repository(..) => Conflict::Repository {
                error: true,
                message: format!("{} already exists", plan.noun()),
                existing_secret: (&existing[0]).into(),
                upsert_required: true,
            },
        }
    }
}

/// 502: targets whose state could not be read; nothing was written.
#[derive(Serialize)]
pub struct Unknown {
    error: bool,
    message: String,
    unknown: BTreeMap<String, String>,
    status_code: u16,
}

/// `namespace (why); namespace (why)`, as a message lists the namespaces a request stopped at.
fn by_namespace(reasons: &[(String, String)]) -> String {
    reasons
        .iter()
        .map(|(ns, why)| format!("{ns} ({why})"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Unknown {
    pub fn new(name: &str, unknown: &[(String, String)]) -> Self {
        Self {
            error: true,
            message: format!(
                "Could not read whether secret {name} already exists in: {}. {NOTHING_WRITTEN}: a secret that could not be read may be one GlueLinks must not replace. Try again when the cluster answers",
                by_namespace(unknown)
            ),
            unknown: unknown.iter().cloned().collect(),
            status_code: 502,
        }
    }
}

/// 409: the cluster refused a target in the dry run every write starts with; nothing was written.
#[derive(Serialize)]
pub struct Rejected {
    error: bool,
    message: String,
    rejected: BTreeMap<String, String>,
    status_code: u16,
}

impl Rejected {
    pub fn new(name: &str, rejected: &[(String, String)]) -> Self {
        Self {
            error: true,
            message: format!(
                "The cluster refused to write secret {name} in: {}. {NOTHING_WRITTEN}.",
                by_namespace(rejected)
            ),
            rejected: rejected.iter().cloned().collect(),
            status_code: 409,
        }
    }
}

/// One target of a dry run.
#[derive(Serialize)]
pub struct WouldWrite {
    namespace: String,
    name: String,
    action: &'static str,
    changed_keys: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl From<&Planned> for WouldWrite {
    fn from(p: &Planned) -> Self {
        let (action, reason) = match &p.plan.action {
            Action::Created => ("create", None),
            Action::Replaced => ("replace", None),
            Action::Adopted => ("adopt", None),
            Action::Unchanged => ("unchanged", None),
            Action::Unknown(why) => ("unknown", Some(why.clone())),
            Action::Refused(why) => ("refused", Some(why.clone())),
        };
        Self {
            namespace: p.namespace.clone(),
            name: p.name.clone(),
            action,
            changed_keys: p.plan.changed_keys.clone(),
            reason,
        }
    }
}

#[derive(Serialize)]
pub struct DryRun {
    success: bool,
    dry_run: bool,
    cluster: String,
    name: String,
    would_write: Vec<WouldWrite>,
    message: String,
}

impl DryRun {
    pub fn new(plan: &Plan, targets: usize, planned: &[Planned]) -> Self {
        let blocked = planned
            .iter()
            .filter(|p| matches!(p.plan.action, Action::Unknown(_) | Action::Refused(_)))
            .count();
        let common = plan.common();
        Self {
            success: blocked == 0,
            dry_run: true,
            cluster: common.cluster.shown(),
            name: common.name.clone(),
            would_write: planned.iter().map(WouldWrite::from).collect(),
            message: match blocked {
                0 => format!("Dry run. {NOTHING_WRITTEN}; {targets} secret(s) would be written"),
                n => format!("Dry run. {NOTHING_WRITTEN}; {n} of {targets} target(s) could not be read or would be refused by the cluster (see reason), so nothing would be written"),
            },
        }
    }
}

/// One target's result, as the API's `output` shows it.
#[derive(Serialize)]
#[serde(untagged)]
pub enum WriteResult {
    Written {
        success: bool,
        namespace: String,
        output: String,
        changed_keys: Vec<String>,
    },
    Failed {
        success: bool,
        namespace: String,
        error: String,
    },
}

impl From<&Outcome> for WriteResult {
    fn from(outcome: &Outcome) -> Self {
        match &outcome.result {
            Ok(done) => WriteResult::Written {
                success: true,
                namespace: outcome.namespace.clone(),
                output: format!("secret/{} {}", outcome.name, done.action.verb()),
                changed_keys: done.changed_keys.clone(),
            },
            Err(e) => WriteResult::Failed {
                success: false,
                namespace: outcome.namespace.clone(),
                error: e.to_string(),
            },
        }
    }
}

#[derive(Serialize)]
pub struct NamespaceResult {
    namespace: String,
    result: WriteResult,
}

/// Where a repository route names its URL and its result.
#[derive(Serialize)]
pub enum Applied {
    #[serde(rename = "helm_secret_applied")]
    Helm(WriteResult),
    #[serde(rename = "credential_template_applied")]
    CredentialTemplate(WriteResult),
    #[serde(rename = "repository_secret_applied")]
    Repository(WriteResult),
}

#[derive(Serialize)]
pub enum UrlField {
    #[serde(rename = "repository_url")]
    RepositoryUrl(String),
    #[serde(rename = "url")]
    Url(String),
}

/// 200, 207 or 502 after writing.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Written {
    Docker {
        success: bool,
        cluster: String,
        name: String,
        namespaces: Vec<String>,
        results: Vec<NamespaceResult>,
        message: String,
    },
    Repository {
        success: bool,
        cluster: String,
        secret_name: String,
        #[serde(flatten)]
        applied: Applied,
        message: String,
        #[serde(flatten)]
        url: UrlField,
    },
}

impl Written {
    pub fn new(plan: &Plan, outcomes: &[Outcome]) -> Self {
        let common = plan.common();
        let ok = outcomes.iter().filter(|o| o.result.is_ok()).count();
        let failed: Vec<String> = outcomes
            .iter()
            .filter_map(|o| {
                o.result
                    .as_ref()
                    .err()
                    .map(|e| format!("{} ({e})", o.namespace))
            })
            .collect();
        let any_existed = outcomes
            .iter()
            .any(|o| matches!(&o.result, Ok(done) if done.action != Action::Created));
        let verb = if any_existed { "written" } else { "created" };
        // Some writes got no answer: what is known to be written is what was confirmed.
        let written = if outcomes
            .iter()
            .any(|o| o.result.as_ref().is_err_and(|e| e.outcome_unknown()))
        {
            "confirmed written"
        } else {
            "written"
        };
        match plan {
            Plan::Docker(_) => Written::Docker {
                success: failed.is_empty(),
                cluster: common.cluster.shown(),
                name: common.name.clone(),
                namespaces: outcomes.iter().map(|o| o.namespace.clone()).collect(),
                results: outcomes
                    .iter()
                    .map(|o| NamespaceResult {
                        namespace: o.namespace.clone(),
                        result: o.into(),
                    })
                    .collect(),
                message: if failed.is_empty() {
                    format!("Docker registry secrets {verb} successfully in {ok} namespace(s)")
                } else {
                    format!(
                        "Docker registry secret {written} in {ok} of {} namespaces; failed: {}",
                        outcomes.len(),
                        failed.join("; ")
                    )
                },
            },
            Plan::Repository(request) => {
                let outcome = &outcomes[0];
                let result = WriteResult::from(outcome);
                let (applied, url) = match request.kind {
                    SecretKind::HelmRepository => (
                        Applied::Helm(result),
                        UrlField::RepositoryUrl(request.url.clone()),
                    ),
                    SecretKind::CredentialTemplate => (
                        Applied::CredentialTemplate(result),
                        UrlField::Url(request.url.clone()),
                    ),
                    _ => (
                        Applied::Repository(result),
                        UrlField::RepositoryUrl(request.url.clone()),
                    ),
                };
                Written::Repository {
                    success: outcome.result.is_ok(),
                    cluster: common.cluster.shown(),
                    secret_name: common.name.clone(),
                    applied,
                    message: match &outcome.result {
                        Ok(done) if done.action == Action::Created => {
                            format!("{} created successfully", plan.noun())
                        }
                        Ok(_) => format!("{} replaced successfully", plan.noun()),
                        Err(e) => format!("{} was not written: {e}", plan.noun()),
                    },
                    url,
                }
            }
        }
    }
}

impl Answer for Written {
    /// Every target written: 200; none: 502; some: 207, each namespace saying which.
    fn status(&self) -> u16 {
        match self {
            Written::Repository { success, .. } => {
                if *success {
                    200
                } else {
                    502
                }
            }
            Written::Docker { results, .. } => {
                let ok = results
                    .iter()
                    .filter(|r| matches!(r.result, WriteResult::Written { .. }))
                    .count();
                match ok {
                    n if n == results.len() => 200,
                    0 => 502,
                    _ => 207,
                }
            }
        }
    }
}

/// The refusals: 409, nothing written.
macro_rules! answers {
    ($status:literal: $($body:ty),+) => {
        $(impl Answer for $body {
            fn status(&self) -> u16 {
                $status
            }
        })+
    };
}

answers!(409: Foreign, Rejected, Conflict);
answers!(502: Unknown);
answers!(200: DryRun);

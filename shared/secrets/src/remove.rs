//! Removing a credential GlueLinks created (`POST /secrets/remove`), from one cluster, a list or the
//! fleet. Only a secret that carries `app.kubernetes.io/managed-by: gluelinks` and is of the kind named is
//! deleted; anything else there is a refusal that stops the whole request, in every cluster, before the
//! first deletion (and the shipped admission policy refuses the writer the same). Every deletion is tried
//! by the cluster as a dry run first, and made with the read object's uid and resourceVersion as
//! preconditions, so a secret that changed hands meanwhile is never deleted. A secret already absent is
//! reported as such.

use crate::fields::{self, Flag, List, Names, Text};
use crate::fleet::Stage;
use crate::kind::SecretKind;
use crate::request::{namespace_names, required, secret_name, ClusterChoice, Invalid};
use crate::write::{
    self, api, check, cut_off, is_refusal, never_sent, Found, Op, Standing, Target,
};
use crate::SecretSettings;
use futures::StreamExt;
use gluelinks_clusters::pool::describe_in_full;
use gluelinks_core::text::{bounded, ECHO_LIMIT};
use kube::api::{DeleteParams, Preconditions};
use serde::Deserialize;
use tokio::time::Instant;

/// `POST /secrets/remove`, checked.
#[derive(Clone, Debug)]
pub struct RemoveRequest {
    /// The clusters to remove it from.
    pub cluster: ClusterChoice,
    /// The secret's name.
    pub name: String,
    /// What it is: a pull secret, a repository or a credential template.
    pub kind: SecretKind,
    /// A pull secret's namespaces. Its copy in the Argo CD namespace (which Argo CD Image Updater reads,
    /// and which every namespace's add shares) goes only when that namespace is named too.
    pub namespaces: Vec<String>,
    /// Check everything, the cluster included, and remove nothing.
    pub dry_run: bool,
    /// Go on without the clusters that cannot be reached (reported and skipped).
    pub partial: bool,
}

/// `remove`'s body.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RemoveBody {
    cluster_name: Names,
    name: Text,
    kind: Text,
    namespaces: List,
    dry_run: Flag,
    partial: Flag,
}

impl RemoveRequest {
    /// The body, parsed and checked: nothing is read before the request is known to be valid.
    pub fn parse(body: &[u8], settings: &SecretSettings) -> Result<Self, Invalid> {
        let body: RemoveBody = fields::read(body)?;
        let cluster = ClusterChoice::parse(body.cluster_name)?;
        let name = secret_name(required("name", body.name)?)?;
        let kind = match required("kind", body.kind)?.as_str() {
            "docker" => SecretKind::PullSecret,
            "repository" => SecretKind::Repository,
            "repo-creds" => SecretKind::CredentialTemplate,
            other => {
                return Err(Invalid(format!(
                    "Invalid kind '{}': use docker (a pull secret), repository (a repository secret, Helm ones included) or repo-creds (a credential template)",
                    bounded(other, ECHO_LIMIT)
                )))
            }
        };
        let namespaces = match kind {
            SecretKind::PullSecret => namespace_names(body.namespaces, settings)?,
            _ if body.namespaces.0.is_some() => {
                return Err(Invalid(format!(
                    "Field namespaces is only for kind docker: Argo CD reads repositories and credential templates from {} alone",
                    settings.argocd_namespace
                )))
            }
            _ => Vec::new(),
        };
        Ok(Self {
            cluster,
            name,
            kind,
            namespaces,
            dry_run: body.dry_run.0,
            partial: body.partial.0,
        })
    }

    /// Every secret it removes in a cluster: a pull secret in each namespace named (the Argo CD
    /// namespace's shared copy only when named), a repository or template in the Argo CD namespace.
    pub fn targets(&self, settings: &SecretSettings) -> Vec<Target> {
        self.namespaces_in(settings)
            .iter()
            .map(|ns| Target::new(ns, &self.name, self.kind, &settings.docker_label))
            .collect()
    }

    /// The namespaces it removes from in each cluster: a pull secret's, named; the Argo CD namespace for
    /// the others.
    pub fn namespaces_in<'a>(&'a self, settings: &'a SecretSettings) -> &'a [String] {
        match self.kind {
            SecretKind::PullSecret => &self.namespaces,
            _ => std::slice::from_ref(&settings.argocd_namespace),
        }
    }
}

/// One secret removed, or (in a dry run) that would be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Removal {
    /// Deleted (or would be).
    Removed,
    /// Not there: nothing to remove.
    Absent,
}

/// How one cluster's removal ended.
#[derive(Debug)]
pub enum RemoveReport {
    /// Secrets GlueLinks may not remove, and why: nothing was removed anywhere.
    Foreign(Vec<(String, String)>),
    /// The cluster refused a read or a dry-run deletion: nothing was removed anywhere.
    Rejected(Vec<(String, String)>),
    /// A dry run: what each target would become.
    DryRun(Vec<(String, Removal)>),
    /// Each target's removal, or why it failed.
    Done(Vec<(String, Result<Removal, String>)>),
}

/// What [`prepare`] read: each target's secret, when it exists.
pub struct Checked {
    found: Vec<Found>,
}

fn preconditions(secret: &write::Secret) -> Preconditions {
    Preconditions {
        uid: secret.metadata.uid.clone(),
        resource_version: secret.metadata.resource_version.clone(),
    }
}

/// Reads and judges every target, and has the cluster try every deletion as a dry run; removes nothing.
pub async fn prepare(
    client: &kube::Client,
    targets: &[Target],
    settings: &SecretSettings,
    deadline: Instant,
) -> Stage<RemoveReport, Checked> {
    let found = check(client, targets, settings, deadline).await;
    let mut foreign = Vec::new();
    let mut rejected = Vec::new();
    let mut unknown = Vec::new();
    for (t, f) in targets.iter().zip(&found) {
        match f {
            Found::Exists(secret) => {
                match t.standing_for(secret.secret(), &settings.tracking_label, Op::Remove) {
                    Standing::Owned => {}
                    Standing::Unmarked(why) | Standing::Refused(why) => {
                        foreign.push((t.namespace.clone(), why))
                    }
                }
            }
            Found::Absent => {}
            Found::Refused(why) => rejected.push((t.namespace.clone(), why.clone())),
            Found::Unknown(why) => unknown.push(why.clone()),
        }
    }
    if !foreign.is_empty() {
        return Stage::Blocked(RemoveReport::Foreign(foreign));
    }
    if !rejected.is_empty() {
        return Stage::Blocked(RemoveReport::Rejected(rejected));
    }
    if let Some(why) = unknown.first() {
        return Stage::Unknown(why.clone());
    }
    let dry = DeleteParams {
        dry_run: true,
        ..DeleteParams::default()
    };
    let dry = &dry;
    let found = &found;
    let tried: Vec<Result<(), (bool, String)>> = futures::stream::iter(0..targets.len())
        .map(|i| async move {
            let (t, f) = (&targets[i], &found[i]);
            let Found::Exists(secret) = f else {
                return Ok(());
            };
            let what = format!("removing secret {} in {} (dry run)", t.name, t.namespace);
            let params = DeleteParams {
                preconditions: Some(preconditions(secret.secret())),
                ..dry.clone()
            };
            let secrets = api(client, &t.namespace);
            let call = secrets.delete(&t.name, &params);
            match tokio::time::timeout_at(deadline, call).await {
                Ok(Ok(_)) => Ok(()),
                // Its uid or resourceVersion no longer matches: someone changed it since it was read.
                Ok(Err(kube::Error::Api(s))) if s.code == 409 => Err((true, changed(t))),
                Ok(Err(e)) if is_refusal(&e) => Err((true, describe_in_full(&e, &what))),
                Ok(Err(e)) => Err((false, describe_in_full(&e, &what))),
                Err(_) => Err((false, cut_off(settings, what).to_string())),
            }
        })
        .buffered(write::CONCURRENCY)
        .collect()
        .await;
    let mut rejected = Vec::new();
    for (t, tried) in targets.iter().zip(tried) {
        match tried {
            Ok(()) => {}
            Err((true, why)) => rejected.push((t.namespace.clone(), why)),
            Err((false, why)) => return Stage::Unknown(why),
        }
    }
    if !rejected.is_empty() {
        return Stage::Blocked(RemoveReport::Rejected(rejected));
    }
    Stage::Ready(Checked {
        found: found.clone(),
    })
}

/// Why `t` was not removed: its preconditions failed, so it changed since it was read.
fn changed(t: &Target) -> String {
    format!(
        "Secret {} in {} changed since it was read, so it was not removed; list the secrets and try again",
        t.name, t.namespace
    )
}

/// Removes every target [`prepare`] found (or, in a dry run, says what would go).
pub async fn finish(
    client: &kube::Client,
    targets: &[Target],
    checked: Checked,
    dry_run: bool,
    settings: &SecretSettings,
    deadline: Instant,
) -> RemoveReport {
    let found = &checked.found;
    if dry_run {
        return RemoveReport::DryRun(
            targets
                .iter()
                .zip(found)
                .map(|(t, f)| {
                    let removal = match f {
                        Found::Exists(_) => Removal::Removed,
                        _ => Removal::Absent,
                    };
                    (t.namespace.clone(), removal)
                })
                .collect(),
        );
    }
    let done = futures::stream::iter(0..targets.len())
        .map(|i| async move {
            let (t, f) = (&targets[i], &found[i]);
            let Found::Exists(secret) = f else {
                return (t.namespace.clone(), Ok(Removal::Absent));
            };
            let what = format!("removing secret {} in {}", t.name, t.namespace);
            let params = DeleteParams {
                preconditions: Some(preconditions(secret.secret())),
                ..DeleteParams::default()
            };
            let secrets = api(client, &t.namespace);
            let call = secrets.delete(&t.name, &params);
            let result = match tokio::time::timeout_at(deadline, call).await {
                Ok(Ok(_)) => Ok(Removal::Removed),
                Ok(Err(kube::Error::Api(s))) if s.code == 404 => Ok(Removal::Absent),
                Ok(Err(kube::Error::Api(s))) if s.code == 409 => Err(changed(t)),
                Ok(Err(e)) if matches!(e, kube::Error::Api(_)) || never_sent(&e) => {
                    Err(describe_in_full(&e, &what))
                }
                Ok(Err(e)) => Err(format!(
                    "{}; list the secrets to see whether it was removed",
                    describe_in_full(&e, &what)
                )),
                Err(_) => Err(format!(
                    "{}; list the secrets to see whether it was removed",
                    cut_off(settings, what)
                )),
            };
            (t.namespace.clone(), result)
        })
        .buffered(write::CONCURRENCY)
        .collect()
        .await;
    RemoveReport::Done(done)
}

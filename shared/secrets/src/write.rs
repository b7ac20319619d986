//! Writing credential secrets so that no request can damage a cluster.
//!
//! - **Ownership**: a write replaces only a secret of the kind it writes (the same
//!   `argocd.argoproj.io/secret-type`, or the docker-creds label and type). Anything else anywhere in the
//!   request means nothing is written anywhere, with or without `upsert`.
//! - **Upsert changes only what the request sets**: labels, annotations, owner references, finalizers and
//!   data keys it does not set survive; only the other authentication method's keys are removed.
//! - **Unknown means "may exist"**: a target whose state could not be read (and so whose owner is not
//!   known) blocks every write of the request, with or without `upsert`.
//! - **Bounded work**: reads and writes run at most [`CONCURRENCY`] at a time, all within one deadline.
//!
//! [`run`] is the whole flow; the function crate turns its [`Report`] into HTTP.

use super::request::{DockerRequest, RepoKind, RepositoryRequest, SecretType};
use super::{
    SecretSettings, DOCKER_CONFIG_TYPE, MANAGED_BY, REPOSITORY_LABEL, REPOSITORY_TYPE_LABEL,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures::StreamExt;
use gluelinks_clusters::pool::{describe, io_error_kind};
use gluelinks_core::text::bounded;
pub use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::ByteString;
use kube::api::{Api, ObjectMeta, PostParams};
use secrecy::ExposeSecret;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use tokio::time::Instant;

/// How many Kubernetes calls one request has in flight at once.
pub const CONCURRENCY: usize = 8;

/// Argo CD's authentication keys of a repository secret. A request sets one method; the keys of the
/// others are removed, so the secret holds one method only and Argo CD cannot go on using the old one.
const AUTH_KEYS: [&str; 8] = [
    "username",
    "password",
    "sshPrivateKey",
    "githubAppID",
    "githubAppInstallationID",
    "githubAppPrivateKey",
    "githubAppEnterpriseBaseUrl",
    "bearerToken",
];

/// What kind of secret a target is, which decides what it may replace.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// A pull secret: the docker-creds label and the `kubernetes.io/dockerconfigjson` type.
    Docker { label: (String, String) },
    /// An Argo CD secret with this `argocd.argoproj.io/secret-type` value.
    Argo(&'static str),
}

/// One secret to write into one namespace: the labels and data keys the request sets, and the keys it
/// removes. It holds credential values: it has no `Debug`.
#[derive(Clone)]
pub struct Target {
    pub namespace: String,
    pub name: String,
    kind: Kind,
    secret_type: &'static str,
    labels: BTreeMap<String, String>,
    set: BTreeMap<String, Vec<u8>>,
    remove: Vec<&'static str>,
}

impl Target {
    fn new(namespace: &str, name: &str, kind: Kind, secret_type: &'static str) -> Self {
        let mut labels = BTreeMap::from([(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string())]);
        match &kind {
            Kind::Docker { label } => labels.insert(label.0.clone(), label.1.clone()),
            Kind::Argo(value) => labels.insert(REPOSITORY_LABEL.into(), value.to_string()),
        };
        Self {
            namespace: namespace.to_string(),
            name: name.to_string(),
            kind,
            secret_type,
            labels,
            set: BTreeMap::new(),
            remove: Vec::new(),
        }
    }

    /// Why `existing` is not a secret this target may replace, or `None` when it is.
    pub fn refusal(&self, existing: &Secret) -> Option<String> {
        let labels = existing.metadata.labels.clone().unwrap_or_default();
        let existing_type = existing.type_.as_deref().unwrap_or("Opaque");
        let argo_type = labels.get(REPOSITORY_LABEL);
        let owned = match &self.kind {
            Kind::Docker { label } => {
                labels.get(&label.0) == Some(&label.1) && existing_type == DOCKER_CONFIG_TYPE
            }
            Kind::Argo(value) => argo_type.map(String::as_str) == Some(*value),
        };
        // Another tool's (Helm's, a GitOps controller's): replacing it would take it from its owner.
        let manager = labels
            .get(MANAGED_BY.0)
            .filter(|m| m.as_str() != MANAGED_BY.1);
        if let (true, Some(manager)) = (owned, manager) {
            return Some(format!(
                "Secret {} in namespace {} is managed by '{}' ({}); GlueLinks will not replace it, even with upsert. Change it with that tool, or choose another name",
                self.name,
                self.namespace,
                bounded(manager, gluelinks_core::names::MAX_LABEL),
                MANAGED_BY.0
            ));
        }
        if owned {
            return None;
        }
        let what = match argo_type {
            Some(t) => format!("an Argo CD '{t}' secret"),
            None => format!("a '{existing_type}' secret"),
        };
        let wanted = match &self.kind {
            Kind::Docker { label } => format!(
                "a '{DOCKER_CONFIG_TYPE}' secret labelled {}={}",
                label.0, label.1
            ),
            Kind::Argo(value) => format!("an Argo CD '{value}' secret"),
        };
        Some(format!(
            "Secret {} in namespace {} is {what}, not {wanted}; GlueLinks will not replace it, even with upsert. Choose another name",
            self.name, self.namespace
        ))
    }

    /// The secret to create when none exists.
    fn fresh(&self) -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                namespace: Some(self.namespace.clone()),
                labels: Some(self.labels.clone()),
                ..ObjectMeta::default()
            },
            type_: Some(self.secret_type.to_string()),
            data: Some(
                self.set
                    .iter()
                    .map(|(k, v)| (k.clone(), ByteString(v.clone())))
                    .collect(),
            ),
            ..Secret::default()
        }
    }

    /// `existing` with this target's labels and keys applied, and the names of the data keys that change.
    /// Everything else of `existing` (its resourceVersion included, so a concurrent change is a conflict)
    /// is kept.
    fn merged(&self, existing: &Secret) -> (Secret, Vec<String>) {
        let mut secret = existing.clone();
        secret
            .metadata
            .labels
            .get_or_insert_with(BTreeMap::new)
            .extend(self.labels.clone());
        let data = secret.data.get_or_insert_with(BTreeMap::new);
        let mut changed = BTreeSet::new();
        for key in &self.remove {
            if data.remove(*key).is_some() {
                changed.insert(key.to_string());
            }
        }
        for (key, value) in &self.set {
            if data.get(key).map(|b| &b.0) != Some(value) {
                changed.insert(key.clone());
                data.insert(key.clone(), ByteString(value.clone()));
            }
        }
        secret.string_data = None;
        (secret, changed.into_iter().collect())
    }

    /// The data keys a new secret gets.
    fn keys(&self) -> Vec<String> {
        self.set.keys().cloned().collect()
    }
}

/// A `kubernetes.io/dockerconfigjson` pull secret for each of the user's namespaces, and the
/// argocd-image-updater copy in the Argo CD namespace.
pub fn docker_targets(req: &DockerRequest, settings: &SecretSettings) -> Vec<Target> {
    let password = req.password.expose_secret();
    let auth = STANDARD.encode(format!("{}:{password}", req.username));
    let auths: Map<String, Value> = req
        .registry_keys
        .iter()
        .map(|key| {
            (
                key.clone(),
                json!({ "username": req.username, "password": password, "auth": auth }),
            )
        })
        .collect();
    let config = json!({ "auths": auths }).to_string().into_bytes();
    let kind = Kind::Docker {
        label: settings.docker_label.clone(),
    };
    req.namespaces
        .iter()
        .chain(std::iter::once(&settings.argocd_namespace))
        .map(|ns| {
            let mut target = Target::new(ns, &req.common.name, kind.clone(), DOCKER_CONFIG_TYPE);
            target
                .set
                .insert(".dockerconfigjson".into(), config.clone());
            target
        })
        .collect()
}

/// An Argo CD repository secret or credential template in the Argo CD namespace.
pub fn repository_target(req: &RepositoryRequest, settings: &SecretSettings) -> Target {
    let mut target = Target::new(
        &settings.argocd_namespace,
        &req.common.name,
        Kind::Argo(req.secret_type.label()),
        "Opaque",
    );
    let kind_name = match req.kind {
        RepoKind::Git => "git",
        RepoKind::Helm => "helm",
        RepoKind::Oci => "oci",
    };
    target
        .labels
        .insert(REPOSITORY_TYPE_LABEL.into(), kind_name.into());
    let mut set = |key: &str, value: &str| {
        target.set.insert(key.into(), value.as_bytes().to_vec());
    };
    set("type", req.kind.argocd_type());
    set("url", &req.url);
    if req.secret_type == SecretType::Repository {
        set("name", &req.common.name);
    }
    if let Some(project) = &req.project {
        set("project", project);
    }
    if let Some(username) = &req.username {
        set("username", username);
    }
    for (key, value) in [
        ("password", &req.password),
        ("sshPrivateKey", &req.ssh_private_key),
    ] {
        if let Some(v) = value {
            set(key, v.expose_secret());
        }
    }
    if req.kind == RepoKind::Oci {
        set("enableOCI", "true");
    } else {
        target.remove.push("enableOCI");
    }
    let unset: Vec<&'static str> = AUTH_KEYS
        .into_iter()
        .filter(|k| !target.set.contains_key(*k))
        .collect();
    target.remove.extend(unset);
    target
}

fn api(client: &kube::Client, namespace: &str) -> Api<Secret> {
    Api::namespaced(client.clone(), namespace)
}

/// What the check before writing found for one target.
#[derive(Clone, Debug)]
pub enum Found {
    Exists(Box<Secret>),
    Absent,
    /// The read failed or did not finish in time: the secret may exist.
    Unknown(String),
}

/// An existing target, as reported when a request is refused.
#[derive(Clone, Debug)]
pub struct Existing {
    pub namespace: String,
    pub secret: Secret,
    /// Why it will not be replaced, for a secret of another kind.
    pub refusal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Created,
    Replaced,
    /// Dry runs: the target's state could not be read.
    Unknown(String),
}

impl Action {
    /// `kubectl`'s word for it, as seed 003's `output` showed.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Replaced => "configured",
            Action::Unknown(_) => "unknown",
        }
    }
}

/// What happened (or, in a dry run, would happen) to one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub action: Action,
    /// Names of the data keys written or removed; never values.
    pub changed_keys: Vec<String>,
}

/// One namespace's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub namespace: String,
    pub name: String,
    pub result: Result<Done, WriteError>,
}

/// What a dry run would do to one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub namespace: String,
    pub name: String,
    pub plan: Done,
}

/// How a write request ended.
#[derive(Debug)]
pub enum Report {
    /// A target is a secret of another kind: nothing was written anywhere (with or without upsert).
    Foreign(Vec<Existing>),
    /// Without upsert, targets exist: nothing was written.
    Exists(Vec<Existing>),
    /// Targets whose state could not be read: nothing was written (with or without upsert).
    Unknown(Vec<(String, String)>),
    /// A dry run: what each target would become; nothing was written.
    DryRun(Vec<Planned>),
    /// The writes, one outcome per target, in the targets' order.
    Written(Vec<Outcome>),
}

/// Checks every target, then writes all of them or none, within `deadline`.
pub async fn run(
    client: &kube::Client,
    targets: &[Target],
    upsert: bool,
    dry_run: bool,
    deadline: Instant,
) -> Report {
    let found = check(client, targets, deadline).await;
    let existing: Vec<Existing> = targets
        .iter()
        .zip(&found)
        .filter_map(|(t, f)| match f {
            Found::Exists(secret) => Some(Existing {
                namespace: t.namespace.clone(),
                refusal: t.refusal(secret),
                secret: (**secret).clone(),
            }),
            _ => None,
        })
        .collect();
    if existing.iter().any(|e| e.refusal.is_some()) {
        return Report::Foreign(
            existing
                .into_iter()
                .filter(|e| e.refusal.is_some())
                .collect(),
        );
    }
    if !upsert && !existing.is_empty() {
        return Report::Exists(existing);
    }
    if dry_run {
        let planned = targets
            .iter()
            .zip(&found)
            .map(|(t, f)| Planned {
                namespace: t.namespace.clone(),
                name: t.name.clone(),
                plan: match f {
                    Found::Absent => Done {
                        action: Action::Created,
                        changed_keys: t.keys(),
                    },
                    Found::Exists(secret) => Done {
                        action: Action::Replaced,
                        changed_keys: t.merged(secret).1,
                    },
                    Found::Unknown(why) => Done {
                        action: Action::Unknown(why.clone()),
                        changed_keys: Vec::new(),
                    },
                },
            })
            .collect();
        return Report::DryRun(planned);
    }
    let unknown: Vec<(String, String)> = targets
        .iter()
        .zip(&found)
        .filter_map(|(t, f)| match f {
            Found::Unknown(why) => Some((t.namespace.clone(), why.clone())),
            _ => None,
        })
        .collect();
    // A target that could not be read may hold anything, a secret GlueLinks must not replace included:
    // nothing is written anywhere until every target has been read, with or without upsert.
    if !unknown.is_empty() {
        return Report::Unknown(unknown);
    }
    Report::Written(apply(client, targets, &found, upsert, deadline).await)
}

fn past_deadline(what: &str) -> String {
    format!("{what} did not finish within the request's deadline")
}

/// Reads every target, at most [`CONCURRENCY`] at once, in the targets' order.
async fn check(client: &kube::Client, targets: &[Target], deadline: Instant) -> Vec<Found> {
    // Indices, not references, into the stream: a closure over `&Target` is not general enough for the
    // Lambda runtime's `Send` bound.
    futures::stream::iter(0..targets.len())
        .map(|i| async move {
            let t = &targets[i];
            let what = format!("reading secret {} in {}", t.name, t.namespace);
            match tokio::time::timeout_at(deadline, api(client, &t.namespace).get_opt(&t.name))
                .await
            {
                Ok(Ok(Some(secret))) => Found::Exists(Box::new(secret)),
                Ok(Ok(None)) => Found::Absent,
                Ok(Err(e)) => Found::Unknown(describe(&e, &what)),
                Err(_) => Found::Unknown(past_deadline(&format!(
                    "Reading secret {} in {}",
                    t.name, t.namespace
                ))),
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await
}

const ATTEMPTS: usize = 3;

/// Why one target was not written; each message says what to do.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The cluster refused or failed the call (the message is [`describe`]'s).
    #[error("{0}")]
    Cluster(String),
    /// Re-read after a conflict: now a secret this target may not replace.
    #[error("{0}")]
    Refused(String),
    #[error("Secret {name} was created in {namespace} by someone else meanwhile; send upsert: true to replace it")]
    CreatedMeanwhile { name: String, namespace: String },
    #[error("Secret {name} in {namespace} kept changing while being written; try again")]
    KeptChanging { name: String, namespace: String },
    #[error("Secret {name} in {namespace} was not written: the request's deadline passed before its turn")]
    NotStarted { name: String, namespace: String },
    #[error("Writing secret {name} in {namespace} did not finish within the request's deadline; list the secrets to see whether it was written")]
    Unfinished { name: String, namespace: String },
    /// The write was sent and no answer came (the connection broke or timed out): the cluster may have
    /// applied it.
    #[error("{why}; list the secrets to see whether it was written")]
    Unanswered { why: String },
}

impl WriteError {
    /// Whether the write may have been applied though no answer said so.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::Unanswered { .. } | Self::Unfinished { .. })
    }
}

/// Whether a failed call never reached the API server: refused, or not authenticated to begin with.
fn never_sent(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Auth(_))
        || io_error_kind(err) == Some(std::io::ErrorKind::ConnectionRefused)
}

fn is_conflict(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 409)
}

/// Writes one target. The first attempt trusts `found` (the check's read); a conflict with a concurrent
/// change re-reads, re-checks ownership and tries again.
async fn write_one(
    client: &kube::Client,
    target: &Target,
    found: &Found,
    upsert: bool,
) -> Result<Done, WriteError> {
    let api = api(client, &target.namespace);
    let name = target.name.as_str();
    let what = format!("writing secret {name} in {}", target.namespace);
    let cluster = |e: kube::Error| WriteError::Cluster(describe(&e, &what));
    let meanwhile = || WriteError::CreatedMeanwhile {
        name: name.to_string(),
        namespace: target.namespace.clone(),
    };
    let mut known = match found {
        Found::Exists(secret) => Some(Some((**secret).clone())),
        Found::Absent => Some(None),
        Found::Unknown(_) => None,
    };
    for _ in 0..ATTEMPTS {
        let current = match known.take() {
            Some(current) => current,
            None => api.get_opt(name).await.map_err(cluster)?,
        };
        let attempt = match current {
            None => api
                .create(&PostParams::default(), &target.fresh())
                .await
                .map(|_| Done {
                    action: Action::Created,
                    changed_keys: target.keys(),
                }),
            Some(_) if !upsert => return Err(meanwhile()),
            Some(current) => {
                if let Some(refusal) = target.refusal(&current) {
                    return Err(WriteError::Refused(refusal));
                }
                let (secret, changed_keys) = target.merged(&current);
                api.replace(name, &PostParams::default(), &secret)
                    .await
                    .map(|_| Done {
                        action: Action::Replaced,
                        changed_keys,
                    })
            }
        };
        match attempt {
            Ok(done) => return Ok(done),
            // Someone else wrote it between our read and our write: read again.
            Err(e) if upsert && is_conflict(&e) => continue,
            Err(e) if is_conflict(&e) => return Err(meanwhile()),
            // An API error is the cluster's refusal, and a call that never left was not applied;
            // anything else may have been applied unseen.
            Err(e @ kube::Error::Api(_)) => return Err(cluster(e)),
            Err(e) if never_sent(&e) => return Err(cluster(e)),
            Err(e) => {
                return Err(WriteError::Unanswered {
                    why: describe(&e, &what),
                })
            }
        }
    }
    Err(WriteError::KeptChanging {
        name: name.to_string(),
        namespace: target.namespace.clone(),
    })
}

/// Writes every target, at most [`CONCURRENCY`] at once, in the targets' order; a target whose turn comes
/// after the deadline is not started, and one still running at the deadline is reported as unfinished.
async fn apply(
    client: &kube::Client,
    targets: &[Target],
    found: &[Found],
    upsert: bool,
    deadline: Instant,
) -> Vec<Outcome> {
    futures::stream::iter(0..targets.len())
        .map(|i| async move {
            let (t, found) = (&targets[i], &found[i]);
            let (name, namespace) = (t.name.clone(), t.namespace.clone());
            let result = if Instant::now() >= deadline {
                Err(WriteError::NotStarted { name, namespace })
            } else {
                match tokio::time::timeout_at(deadline, write_one(client, t, found, upsert)).await {
                    Ok(result) => result,
                    Err(_) => Err(WriteError::Unfinished { name, namespace }),
                }
            };
            Outcome {
                namespace: t.namespace.clone(),
                name: t.name.clone(),
                result,
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use gluelinks_core::config::Env;

    fn settings() -> SecretSettings {
        SecretSettings::from_env(&Env::default()).unwrap()
    }

    fn secret(value: Value) -> Secret {
        serde_json::from_value(value).unwrap()
    }

    fn repo(body: &str) -> Target {
        let req =
            RepositoryRequest::parse_generic(body.as_bytes(), SecretType::Repository).unwrap();
        repository_target(&req, &settings())
    }

    const B64: fn(&str) -> String = |s| STANDARD.encode(s);

    #[test]
    fn only_secrets_of_the_kind_written_may_be_replaced() {
        let docker_req = DockerRequest::parse(
            br#"{"password": "p", "username": "u", "cluster_name": "c", "name": "pull", "namespaces": "default"}"#,
            &settings(),
        )
        .unwrap();
        let docker = &docker_targets(&docker_req, &settings())[0];
        let repository = repo(
            r#"{"name": "r", "repository_url": "https://github.com/acme/r", "cluster_name": "c", "username": "u", "password": "p"}"#,
        );
        let pull = secret(
            json!({"metadata": {"name": "pull", "labels": {"jjo.finance/secret-type": "docker-creds"}}, "type": DOCKER_CONFIG_TYPE}),
        );
        let unlabelled_pull =
            secret(json!({"metadata": {"name": "pull"}, "type": DOCKER_CONFIG_TYPE}));
        let labelled_opaque = secret(
            json!({"metadata": {"name": "pull", "labels": {"jjo.finance/secret-type": "docker-creds"}}, "type": "Opaque"}),
        );
        let repo_secret =
            secret(json!({"metadata": {"name": "r", "labels": {REPOSITORY_LABEL: "repository"}}}));
        let cluster =
            secret(json!({"metadata": {"name": "r", "labels": {REPOSITORY_LABEL: "cluster"}}}));
        let template =
            secret(json!({"metadata": {"name": "r", "labels": {REPOSITORY_LABEL: "repo-creds"}}}));
        let plain = secret(json!({"metadata": {"name": "r"}, "type": "Opaque"}));
        let cases = [
            (docker, &pull, None),
            (
                docker,
                &unlabelled_pull,
                Some("is a 'kubernetes.io/dockerconfigjson' secret, not"),
            ),
            (docker, &labelled_opaque, Some("is a 'Opaque' secret")),
            (
                docker,
                &repo_secret,
                Some("is an Argo CD 'repository' secret"),
            ),
            (&repository, &repo_secret, None),
            (
                &repository,
                &cluster,
                Some("is an Argo CD 'cluster' secret, not an Argo CD 'repository' secret"),
            ),
            (&repository, &template, Some("'repo-creds'")),
            (
                &repository,
                &plain,
                Some("will not replace it, even with upsert"),
            ),
        ];
        for (target, existing, expected) in cases {
            let refusal = target.refusal(existing);
            match expected {
                None => assert_eq!(refusal, None, "{:?}", existing.metadata),
                Some(text) => {
                    let r = refusal.unwrap_or_default();
                    assert!(r.contains(text), "{r}");
                }
            }
        }
    }

    #[test]
    fn upsert_keeps_what_the_request_does_not_set() {
        let existing = secret(json!({
            "metadata": {
                "name": "r", "namespace": "argocd", "resourceVersion": "41",
                "labels": {REPOSITORY_LABEL: "repository", "team": "payments"},
                "annotations": {"note": "kept"},
                "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": "u-1"}],
                "finalizers": ["example.com/keep"],
            },
            "type": "Opaque",
            "data": {
                "type": B64("git"), "url": B64("https://github.com/acme/r"), "name": B64("r"),
                "project": B64("payments"), "proxy": B64("http://proxy:3128"), "insecure": B64("true"),
                "sshPrivateKey": B64("old-key"),
            },
        }));
        let target = repo(
            r#"{"name": "r", "repository_url": "https://github.com/acme/r", "cluster_name": "c", "username": "octo", "password": "new"}"#,
        );
        let (merged, changed) = target.merged(&existing);
        assert_eq!(changed, ["password", "sshPrivateKey", "username"]);
        let meta = &merged.metadata;
        assert_eq!(meta.resource_version.as_deref(), Some("41"));
        assert_eq!(meta.annotations.as_ref().unwrap()["note"], "kept");
        assert_eq!(meta.owner_references.as_ref().unwrap().len(), 1);
        assert_eq!(
            meta.finalizers.as_deref(),
            Some(&["example.com/keep".to_string()][..])
        );
        let labels = meta.labels.as_ref().unwrap();
        assert_eq!(labels["team"], "payments");
        assert_eq!(labels[MANAGED_BY.0], MANAGED_BY.1);
        assert_eq!(labels[REPOSITORY_TYPE_LABEL], "git");
        let data = merged.data.unwrap();
        for kept in ["project", "proxy", "insecure", "type", "url", "name"] {
            assert!(data.contains_key(kept), "{kept}");
        }
        assert!(
            !data.contains_key("sshPrivateKey"),
            "the old method's key is removed"
        );
        assert_eq!(data["password"].0, b"new");

        // A request that sets the project changes it; the same request twice changes nothing.
        let scoped = repo(
            r#"{"name": "r", "repository_url": "https://github.com/acme/r", "cluster_name": "c", "username": "octo", "password": "new", "project": "billing"}"#,
        );
        let (merged, changed) = scoped.merged(&existing);
        assert!(changed.contains(&"project".to_string()));
        assert_eq!(scoped.merged(&merged).1, Vec::<String>::new());
    }
}

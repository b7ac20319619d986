//! Writing credential secrets: what each request becomes in Kubernetes, the all-or-nothing existence check,
//! and the writes themselves (concurrent, one outcome per namespace, re-read and retried on conflicts).

use super::request::{DockerRequest, RepoKind, RepositoryRequest};
use super::{SecretSettings, MANAGED_BY, REPOSITORY_LABEL};
use crate::clusters::pool::describe;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
pub use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::ByteString;
use kube::api::{Api, ObjectMeta, PostParams};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// One secret to write into one namespace.
#[derive(Clone)]
pub struct Target {
    pub namespace: String,
    pub secret: Secret,
}

impl Target {
    pub fn name(&self) -> &str {
        self.secret.metadata.name.as_deref().unwrap_or_default()
    }
}

fn metadata(name: &str, namespace: &str, labels: [(&str, &str); 2]) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(namespace.to_string()),
        labels: Some(
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        ..ObjectMeta::default()
    }
}

/// A `kubernetes.io/dockerconfigjson` pull secret for each of the user's namespaces, and the
/// argocd-image-updater copy in the Argo CD namespace.
pub fn docker_targets(req: &DockerRequest, settings: &SecretSettings) -> Vec<Target> {
    let auth = STANDARD.encode(format!("{}:{}", req.username, req.password));
    let auths: Map<String, Value> = req
        .registry_keys
        .iter()
        .map(|key| {
            (
                key.clone(),
                json!({ "username": req.username, "password": req.password, "auth": auth }),
            )
        })
        .collect();
    let config = json!({ "auths": auths }).to_string();
    let label = (
        settings.docker_label.0.as_str(),
        settings.docker_label.1.as_str(),
    );
    req.namespaces
        .iter()
        .chain(std::iter::once(&settings.argocd_namespace))
        .map(|ns| Target {
            namespace: ns.clone(),
            secret: Secret {
                metadata: metadata(&req.common.name, ns, [label, MANAGED_BY]),
                type_: Some("kubernetes.io/dockerconfigjson".into()),
                data: Some(BTreeMap::from([(
                    ".dockerconfigjson".to_string(),
                    ByteString(config.clone().into_bytes()),
                )])),
                ..Secret::default()
            },
        })
        .collect()
}

/// An Argo CD repository secret or credential template in the Argo CD namespace.
pub fn repository_target(req: &RepositoryRequest, settings: &SecretSettings) -> Target {
    let mut fields = BTreeMap::from([
        ("type".to_string(), req.kind.argocd_type().to_string()),
        ("url".to_string(), req.url.clone()),
    ]);
    if req.secret_type == super::request::SecretType::Repository {
        fields.insert("name".into(), req.common.name.clone());
    }
    if req.kind == RepoKind::Oci {
        fields.insert("enableOCI".into(), "true".into());
    }
    for (key, value) in [
        ("username", &req.username),
        ("password", &req.password),
        ("sshPrivateKey", &req.ssh_private_key),
    ] {
        if let Some(v) = value {
            fields.insert(key.into(), v.clone());
        }
    }
    let ns = &settings.argocd_namespace;
    Target {
        namespace: ns.clone(),
        secret: Secret {
            metadata: metadata(
                &req.common.name,
                ns,
                [(REPOSITORY_LABEL, req.secret_type.label()), MANAGED_BY],
            ),
            type_: Some("Opaque".into()),
            string_data: Some(fields),
            ..Secret::default()
        },
    }
}

/// seed 003's description of an existing secret: metadata only.
pub fn describe_existing(secret: &Secret) -> Value {
    json!({
        "name": secret.metadata.name,
        "namespace": secret.metadata.namespace,
        "type": secret.type_.as_deref().unwrap_or("Opaque"),
        "labels": secret.metadata.labels.clone().unwrap_or_default(),
    })
}

fn api(client: &kube::Client, namespace: &str) -> Api<Secret> {
    Api::namespaced(client.clone(), namespace)
}

/// What the check before writing found for one target.
#[derive(Clone, Debug)]
pub enum Found {
    Exists(Box<Secret>),
    Absent,
    /// The read failed; the write will find out for itself and report why.
    Unknown,
}

/// Reads every target once, concurrently, in the targets' order.
pub async fn check(client: &kube::Client, targets: &[Target]) -> Vec<Found> {
    let reads = targets.iter().map(|t| async move {
        match api(client, &t.namespace).get_opt(t.name()).await {
            Ok(Some(secret)) => Found::Exists(Box::new(secret)),
            Ok(None) => Found::Absent,
            Err(_) => Found::Unknown,
        }
    });
    futures::future::join_all(reads).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created,
    Replaced,
}

impl Action {
    /// `kubectl`'s word for it, as seed 003's `output` showed.
    pub fn verb(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Replaced => "configured",
        }
    }
}

/// One namespace's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub namespace: String,
    pub result: Result<Action, String>,
}

const ATTEMPTS: usize = 3;

fn status_code(err: &kube::Error) -> Option<u16> {
    match err {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

/// Writes one target. The first attempt trusts `found` (the check's read); a conflict with a concurrent
/// change re-reads and tries again.
async fn write_one(
    client: &kube::Client,
    target: &Target,
    found: &Found,
    upsert: bool,
) -> Result<Action, String> {
    let api = api(client, &target.namespace);
    let name = target.name();
    let what = format!("writing secret {name} in {}", target.namespace);
    let mut known = match found {
        Found::Exists(secret) => Some(Some((**secret).clone())),
        Found::Absent => Some(None),
        Found::Unknown => None,
    };
    for _ in 0..ATTEMPTS {
        let current = match known.take() {
            Some(current) => current,
            None => api.get_opt(name).await.map_err(|e| describe(&e, &what))?,
        };
        let attempt = match current {
            None => api
                .create(&PostParams::default(), &target.secret)
                .await
                .map(|_| Action::Created),
            Some(_) if !upsert => {
                return Err(format!(
                    "Secret {name} already exists in {}; send upsert: true to replace it",
                    target.namespace
                ))
            }
            Some(current) => {
                let mut secret = target.secret.clone();
                secret.metadata.resource_version = current.metadata.resource_version;
                api.replace(name, &PostParams::default(), &secret)
                    .await
                    .map(|_| Action::Replaced)
            }
        };
        match attempt {
            Ok(action) => return Ok(action),
            // Someone else wrote it between our read and our write: read again.
            Err(e) if upsert && status_code(&e) == Some(409) => continue,
            Err(e) => return Err(describe(&e, &what)),
        }
    }
    Err(format!(
        "Secret {name} in {} kept changing while being written; try again",
        target.namespace
    ))
}

/// Writes every target concurrently, each bounded by `budget` (its reads, writes and retries together).
pub async fn apply(
    client: &kube::Client,
    targets: &[Target],
    found: &[Found],
    upsert: bool,
    budget: std::time::Duration,
) -> Vec<Outcome> {
    let writes = targets.iter().zip(found).map(|(t, found)| async move {
        let result = match tokio::time::timeout(budget, write_one(client, t, found, upsert)).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "Writing secret {} in {} did not finish within {}s; list the secrets to see whether it was written",
                t.name(),
                t.namespace,
                budget.as_secs()
            )),
        };
        Outcome { namespace: t.namespace.clone(), result }
    });
    futures::future::join_all(writes).await
}

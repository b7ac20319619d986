//! Listing Argo CD credential secrets in one cluster: the three lists run concurrently and return
//! metadata only — never `data`.

use super::{SecretSettings, REPOSITORY_LABEL};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// One secret, as seed 003 lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretEntry {
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    #[serde(rename = "type")]
    pub secret_type: String,
    pub creation_timestamp: Option<String>,
}

fn entry(secret: &Secret) -> SecretEntry {
    let meta = &secret.metadata;
    SecretEntry {
        name: meta.name.clone().unwrap_or_default(),
        namespace: meta.namespace.clone().unwrap_or_default(),
        labels: meta.labels.clone().unwrap_or_default(),
        secret_type: secret.type_.clone().unwrap_or_else(|| "Opaque".into()),
        creation_timestamp: meta.creation_timestamp.as_ref().map(|t| t.0.to_string()),
    }
}

/// Why a listing is incomplete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Unreachable(String),
    Timeout(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    pub repo_creds: Vec<SecretEntry>,
    pub docker_creds: Vec<SecretEntry>,
    pub helm_creds: Vec<SecretEntry>,
    pub failure: Option<Failure>,
}

/// Whether a repository secret is a Helm or OCI one (its `type` field; the value itself is not kept).
fn is_helm(secret: &Secret) -> bool {
    let decoded = secret
        .data
        .as_ref()
        .and_then(|d| d.get("type"))
        .map(|b| String::from_utf8_lossy(&b.0).to_string())
        .or_else(|| {
            secret
                .string_data
                .as_ref()
                .and_then(|d| d.get("type"))
                .cloned()
        });
    matches!(decoded.as_deref(), Some("helm" | "oci"))
}

fn failure(err: &kube::Error, timeout: Duration) -> Failure {
    let text = err.to_string().to_ascii_lowercase();
    match err {
        kube::Error::Api(status) => Failure::Unreachable(format!(
            "The cluster refused to list secrets: {} (HTTP {})",
            status.message, status.code
        )),
        _ if text.contains("timed out") || text.contains("elapsed") || text.contains("timeout") => {
            Failure::Timeout(format!(
                "Commands timed out after {} seconds",
                timeout.as_secs()
            ))
        }
        _ => Failure::Unreachable(
            "Cannot connect to cluster. Please check if the cluster is running and accessible."
                .into(),
        ),
    }
}

/// The three lists, concurrently, each bounded by `timeout`.
pub async fn list(client: &kube::Client, settings: &SecretSettings, timeout: Duration) -> Listing {
    let api: Api<Secret> = Api::all(client.clone());
    let by_label = |selector: String| {
        let api = api.clone();
        async move {
            match tokio::time::timeout(timeout, api.list(&ListParams::default().labels(&selector)))
                .await
            {
                Ok(Ok(list)) => Ok(list.items),
                Ok(Err(e)) => Err(failure(&e, timeout)),
                Err(_) => Err(Failure::Timeout(format!(
                    "Commands timed out after {} seconds",
                    timeout.as_secs()
                ))),
            }
        }
    };
    let (repo_creds, docker, repositories) = tokio::join!(
        by_label(format!("{REPOSITORY_LABEL}=repo-creds")),
        by_label(settings.docker_selector()),
        by_label(format!("{REPOSITORY_LABEL}=repository")),
    );
    let mut failure = None;
    let mut keep = |result: Result<Vec<Secret>, Failure>, filter: fn(&Secret) -> bool| match result
    {
        Ok(items) => items.iter().filter(|s| filter(s)).map(entry).collect(),
        Err(f) => {
            failure.get_or_insert(f);
            Vec::new()
        }
    };
    let repo_creds = keep(repo_creds, |_| true);
    let docker_creds = keep(docker, |_| true);
    let helm_creds = keep(repositories, is_helm);
    Listing {
        repo_creds,
        docker_creds,
        helm_creds,
        failure,
    }
}

//! The links response, in the camelCase contract of the links API.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinksResponse {
    pub app_name: String,
    /// The namespace the workloads run in (the Application's destination).
    pub namespace: String,
    pub service_name: String,
    /// When this payload was generated; a cached copy keeps its original time.
    pub last_updated: String,
    pub categories: Vec<Category>,
    pub metadata: Metadata,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: String,
    pub label: String,
    pub icon: String,
    pub status: Status,
    pub message: Option<String>,
    pub links: Vec<Link>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Links present, everything worked.
    Ok,
    /// Nothing to link to; `message` says why.
    Empty,
    /// Something failed; `message` says what.
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub generated_at: String,
    pub version: String,
    /// The most links one category lists; the rest are counted in its message.
    pub max_rows: usize,
    pub resources: Resources,
    /// Present and true only when an expired cached copy is served because regeneration failed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    pub argocd_app: bool,
    /// Whether the app has a Deployment (the first field of its kind; the counts per kind say more).
    pub deployment: bool,
    #[serde(flatten)]
    pub workloads: WorkloadCounts,
    pub pods_found: usize,
    pub external_secrets_found: usize,
}

/// How many workloads of each kind the app has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WorkloadCounts {
    pub deployments: usize,
    pub stateful_sets: usize,
    pub daemon_sets: usize,
    pub rollouts: usize,
}

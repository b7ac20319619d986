//! The links response, in the camelCase contract of the links API.

use serde::{Deserialize, Serialize};

/// The links of one application, as the links API answers them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinksResponse {
    /// The Application's name.
    pub app_name: String,
    /// The namespace the workloads run in (the Application's destination).
    pub namespace: String,
    /// The app's OpenTelemetry service name, which the logs and traces links filter by.
    pub service_name: String,
    /// When this payload was generated; a cached copy keeps its original time.
    pub last_updated: String,
    /// Every category, in display order.
    pub categories: Vec<Category>,
    /// How the payload was made, and what discovery found.
    pub metadata: Metadata,
}

/// One category the extension shows: its heading, its links, and whether they could be found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// The category's id (`apm`, `pod`, `vault`, …).
    pub id: String,
    /// Its heading.
    pub label: String,
    /// The emoji shown beside the heading.
    pub icon: String,
    /// Whether links were found, none, or the lookup failed.
    pub status: Status,
    /// Why there are no links, what failed, or how many links were left out.
    pub message: Option<String>,
    /// The links, in display order.
    pub links: Vec<Link>,
}

/// How a category's lookup went.
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

/// One link: the text shown, and where it goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The text shown.
    pub label: String,
    /// Where it goes.
    pub url: String,
}

/// How a payload was made, and what discovery found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// When this payload was generated (RFC 3339), as `lastUpdated`.
    pub generated_at: String,
    /// The API version (`v1`).
    pub version: String,
    /// The most links one category lists; the rest are counted in its message.
    pub max_rows: usize,
    /// What discovery found of the app.
    pub resources: Resources,
    /// Present and true only when an expired cached copy is served because regeneration failed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// What discovery found of an app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    /// Whether the Application was found in Argo CD.
    pub argocd_app: bool,
    /// Whether the app has a Deployment (the first field of its kind; the counts per kind say more).
    pub deployment: bool,
    /// How many workloads of each kind the app has, as fields of this object.
    #[serde(flatten)]
    pub workloads: WorkloadCounts,
    /// How many pods the app's workloads have (0 when they could not be read).
    pub pods_found: usize,
    /// How many ExternalSecrets the app has (0 when they could not be read).
    pub external_secrets_found: usize,
}

/// How many workloads of each kind the app has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WorkloadCounts {
    /// Deployments.
    pub deployments: usize,
    /// StatefulSets.
    pub stateful_sets: usize,
    /// DaemonSets.
    pub daemon_sets: usize,
    /// Argo Rollouts.
    pub rollouts: usize,
}

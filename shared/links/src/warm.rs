//! Cache warming: every app on every cluster, at a cost that does not grow with the number of apps.
//!
//! Phase one lists every cluster's Applications (one list call each, page by page, cut down to what
//! discovery reads). Phase two takes each cluster that runs some app's workloads in turn, a few at a time:
//! it lists that cluster's workloads of every kind, its pods and its ExternalSecrets (six list calls and
//! one discovery call, page by page, each object cut down at once), computes the links of every app
//! running there with the same [`interpret`] and [`render`] the links function uses, writes them to the
//! cache in pipelined batches, and lets the listing go. So at most `WARM_CONCURRENCY` clusters' listings
//! are in memory together, however large the fleet.
//!
//! Entries are written under the key a links request for the app reads: the Application's own namespace
//! (the namespace Argo CD sends) and, when its `spec.destination.name` is another stored cluster, that
//! cluster (Argo CD's proxy sends it as `Argocd-Target-Cluster-Name`); fresh until after the next run. A
//! failing cluster is reported and the others finish.

use super::cache::{self, Cache};
use super::discover::{interpret, target_namespace, Deadline, DiscoverySettings, View};
use super::objects::{
    self, application_resource, external_secrets_api, keep_application, read_external_secrets,
    read_pods, read_workloads, Listing,
};
use super::read_error::ReadError;
use futures::StreamExt;
use gluelinks_clusters::pool::{describe, ClusterClients};
use gluelinks_clusters::store::KubeconfigStore;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_links_model::{render, LinkSettings, LinksResponse};
use kube::api::ListParams;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// Cache entries written per pipelined round trip.
const BATCH: usize = 200;

#[derive(Clone, Debug)]
pub(crate) struct WarmSettings {
    /// How many clusters are listed at once.
    pub concurrency: usize,
    /// How long warmed entries stay fresh: until after the next scheduled run.
    pub fresh_for: Duration,
    /// The most one cluster's listing may take (each phase), so a slow or endless cluster cannot hold
    /// up the run.
    pub cluster_budget: Duration,
}

impl WarmSettings {
    /// `WARM_CONCURRENCY` (4), `WARM_RATE_MINUTES` (5, the schedule's rate; entries stay fresh one
    /// minute longer, so no click falls between two runs) and `WARM_CLUSTER_TIMEOUT_SECONDS` (60).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let concurrency: usize = env.parse("WARM_CONCURRENCY", 4)?;
        let minutes: u64 = env.parse("WARM_RATE_MINUTES", 5)?;
        let cluster_seconds: u64 = env.parse("WARM_CLUSTER_TIMEOUT_SECONDS", 60)?;
        if cluster_seconds == 0 {
            return Err(ConfigError::new(
                "WARM_CLUSTER_TIMEOUT_SECONDS",
                "must be at least 1",
            ));
        }
        if concurrency == 0 || minutes == 0 {
            return Err(ConfigError::new(
                "WARM_CONCURRENCY",
                "WARM_CONCURRENCY and WARM_RATE_MINUTES must be at least 1",
            ));
        }
        Ok(Self {
            concurrency,
            fresh_for: Duration::from_secs(minutes * 60 + 60),
            cluster_budget: Duration::from_secs(cluster_seconds),
        })
    }
}

/// One cluster's part of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClusterReport {
    /// The stored cluster's name.
    pub cluster: String,
    /// How many Applications its Argo CD has.
    pub apps: usize,
    /// How many of them had their links written to the cache.
    pub written: usize,
    /// Apps not written because part of what they need could not be read.
    pub skipped: usize,
    /// What failed, if anything: listing its Applications, reading a cluster their workloads run in, or
    /// writing to the cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Milliseconds spent on it: listing its Applications, then warming its apps in each cluster they
    /// run in.
    pub duration_ms: u64,
}

/// What a run did, returned to the scheduler and logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WarmReport {
    /// How many clusters are stored.
    pub clusters: usize,
    /// How many Applications their Argo CDs have, in all.
    pub apps: usize,
    /// How many apps had their links written to the cache.
    pub written: usize,
    /// What failed, by cluster ([`ALL_CLUSTERS`] when the stored clusters could not be listed).
    pub failures: BTreeMap<String, String>,
    /// How long the run took, in milliseconds.
    pub duration_ms: u64,
    /// Each cluster's part, in name order.
    pub per_cluster: Vec<ClusterReport>,
}

/// The failure key of a run that could not list the stored clusters at all.
pub const ALL_CLUSTERS: &str = "*";

impl WarmReport {
    /// Nothing was warmed because everything failed: the store could not be listed, or every cluster
    /// failed.
    pub fn failed_entirely(&self) -> bool {
        self.failures.contains_key(ALL_CLUSTERS)
            || (self.clusters > 0 && self.failures.len() >= self.clusters)
    }
}

/// A whole cluster: its workloads of every kind, its pods, and its ExternalSecrets in the version it
/// serves (asked beside the other lists), by `deadline`.
async fn read_cluster(
    client: &kube::Client,
    settings: &DiscoverySettings,
    deadline: Deadline,
    cluster: &str,
) -> Listing {
    let label = settings.tracking_label.as_str();
    let external_secrets = async {
        let api = external_secrets_api(client).await?;
        read_external_secrets(client, label, api, None).await
    };
    let read = async {
        let (workloads, pods, external_secrets) = tokio::join!(
            read_workloads(client, label, None),
            read_pods(client, None),
            external_secrets,
        );
        Listing::of(workloads, pods, external_secrets)
    };
    deadline
        .bound(&format!("Cluster '{cluster}'"), read)
        .await
        .unwrap_or_else(|elapsed| Listing::failed(ReadError::Timeout(elapsed)))
}

/// Every Application of a cluster, cut down to what discovery reads, by `deadline`.
async fn read_applications(
    client: &kube::Client,
    deadline: Deadline,
    cluster: &str,
) -> Result<Vec<Value>, String> {
    let applications = application_resource();
    let read = objects::list(
        client,
        &applications,
        None,
        ListParams::default(),
        keep_application,
    );
    match deadline.bound(&format!("Cluster '{cluster}'"), read).await {
        Ok(listed) => listed.map_err(|e| describe(&e, "listing Applications")),
        Err(elapsed) => Err(elapsed.to_string()),
    }
}

/// An app to warm: the cluster whose Argo CD has it, and the Application.
type AppOf<'a> = (&'a str, &'a Value);

/// What warming the apps running in one cluster did, per cluster whose Argo CD has them.
#[derive(Default)]
struct Outcome {
    written: usize,
    skipped: usize,
    /// Why apps were skipped or not written.
    error: Option<String>,
}

/// The warmer: the read identity's clients, the links function's cache, discovery and link settings, and
/// its own schedule settings.
pub struct Warmer {
    clients: ClusterClients,
    cache: Cache,
    discovery: DiscoverySettings,
    links: LinkSettings,
    settings: WarmSettings,
}

impl Warmer {
    /// The settings the links function reads (the cache, clusters, discovery, link templates) and the
    /// warm ones.
    pub async fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            clients: ClusterClients::from_env(env).await?,
            cache: Cache::from_env(env)?,
            discovery: DiscoverySettings::from_env(env)?,
            links: LinkSettings::from_env(env)?,
            settings: WarmSettings::from_env(env)?,
        })
    }

    /// Warms every stored cluster.
    pub async fn run(&self) -> WarmReport {
        let started = Instant::now();
        let clusters = match self.clients.store().list().await {
            Ok(names) => names,
            Err(e) => {
                let mut report = WarmReport::default();
                report.failures.insert(ALL_CLUSTERS.into(), e.to_string());
                return report;
            }
        };
        // Phase one: every cluster's Applications, a few clusters at a time.
        let listed: Vec<(String, Result<Vec<Value>, String>, Duration)> =
            futures::stream::iter(clusters.iter().cloned())
                .map(|cluster| async move {
                    let started = Instant::now();
                    let deadline = Deadline::after(
                        self.settings.cluster_budget,
                        "WARM_CLUSTER_TIMEOUT_SECONDS",
                    );
                    let apps = match self.clients.client(&cluster).await {
                        Ok(client) => read_applications(&client, deadline, &cluster).await,
                        Err(e) => Err(e.to_string()),
                    };
                    (cluster, apps, started.elapsed())
                })
                .buffer_unordered(self.settings.concurrency)
                .collect()
                .await;
        let mut parts: BTreeMap<&str, ClusterReport> = BTreeMap::new();
        // The apps whose workloads each cluster runs: the stored cluster `spec.destination.name` names,
        // else the Argo CD cluster's own.
        let mut running_in: BTreeMap<&str, Vec<AppOf<'_>>> = BTreeMap::new();
        for (cluster, apps, took) in &listed {
            let part = parts.entry(cluster).or_insert_with(|| ClusterReport {
                cluster: cluster.clone(),
                duration_ms: took.as_millis() as u64,
                ..ClusterReport::default()
            });
            match apps {
                Err(e) => part.error = Some(e.clone()),
                Ok(apps) => {
                    part.apps = apps.len();
                    for app in apps {
                        let runs_in = app["spec"]["destination"]["name"]
                            .as_str()
                            .and_then(|dest| clusters.iter().find(|c| *c == dest))
                            .map_or(cluster.as_str(), String::as_str);
                        running_in.entry(runs_in).or_default().push((cluster, app));
                    }
                }
            }
        }

        // Phase two: per cluster running apps, its listing, their links written, the listing dropped.
        let outcomes: Vec<(HashMap<&str, Outcome>, Duration)> = futures::stream::iter(running_in)
            .map(|(cluster, apps)| async move {
                let started = Instant::now();
                let deadline =
                    Deadline::after(self.settings.cluster_budget, "WARM_CLUSTER_TIMEOUT_SECONDS");
                let listing = match self.clients.client(cluster).await {
                    Ok(client) => read_cluster(&client, &self.discovery, deadline, cluster).await,
                    Err(e) => Listing::failed(ReadError::NoClient(e.to_string())),
                };
                let outcome = self.warm_apps(cluster, &listing, &apps).await;
                (outcome, started.elapsed())
            })
            .buffer_unordered(self.settings.concurrency)
            .collect()
            .await;
        for (outcome, took) in outcomes {
            for (cluster, o) in outcome {
                let Some(part) = parts.get_mut(cluster) else {
                    continue;
                };
                part.written += o.written;
                part.skipped += o.skipped;
                part.duration_ms += took.as_millis() as u64;
                if part.error.is_none() {
                    part.error = o.error;
                }
            }
        }

        let mut report = WarmReport {
            clusters: clusters.len(),
            ..WarmReport::default()
        };
        for (cluster, mut part) in parts {
            if part.skipped > 0 {
                let reason = part.error.take().unwrap_or_default();
                part.error = Some(format!("{} app(s) not warmed: {reason}", part.skipped));
            }
            if let Some(e) = &part.error {
                tracing::warn!(cluster = %cluster, error = %e, "warming a cluster failed");
                report.failures.insert(cluster.to_string(), e.clone());
            }
            report.apps += part.apps;
            report.written += part.written;
            report.per_cluster.push(part);
        }
        report.duration_ms = started.elapsed().as_millis() as u64;
        tracing::info!(
            clusters = report.clusters,
            apps = report.apps,
            written = report.written,
            failed_clusters = report.failures.len(),
            duration_ms = report.duration_ms,
            "warm run"
        );
        report
    }

    /// The links of `apps`, whose workloads `cluster` runs (`listing`), written in pipelined batches.
    async fn warm_apps<'a>(
        &self,
        cluster: &str,
        listing: &Listing,
        apps: &[AppOf<'a>],
    ) -> HashMap<&'a str, Outcome> {
        let mut outcomes: HashMap<&'a str, Outcome> = HashMap::new();
        let generated_at = gluelinks_core::time::now_rfc3339();
        let mut entries: Vec<(&'a str, String, LinksResponse)> = Vec::with_capacity(apps.len());
        for &(argo, app) in apps {
            let outcome = outcomes.entry(argo).or_default();
            let (Some(name), Some(namespace)) = (
                app["metadata"]["name"].as_str(),
                app["metadata"]["namespace"].as_str(),
            ) else {
                continue;
            };
            let view = View::of(Ok(Some(app)), listing);
            let discovery = interpret(&self.discovery, name, namespace, view);
            if discovery.degraded {
                // Not warmed, rather than warmed with less than a click would show.
                outcome.skipped += 1;
                let reason = match (argo == cluster, listing.error()) {
                    (true, Some(e)) => e.to_string(),
                    _ => format!("a destination cluster could not be read ({cluster})"),
                };
                outcome.error.get_or_insert(reason);
                continue;
            }
            debug_assert_eq!(target_namespace(Some(app), namespace), discovery.namespace);
            entries.push((
                argo,
                cache::key(argo, cluster, namespace, name),
                render(&self.links, &discovery, &generated_at),
            ));
        }
        let mut failed: Option<String> = None;
        for batch in entries.chunks(BATCH) {
            if failed.is_none() {
                let refs: Vec<(String, &LinksResponse)> =
                    batch.iter().map(|(_, k, p)| (k.clone(), p)).collect();
                if let Err(e) = self.cache.put_many(&refs, self.settings.fresh_for).await {
                    failed = Some(format!("writing to the cache failed: {e}"));
                }
            }
            for (argo, _, _) in batch {
                let outcome = outcomes.entry(argo).or_default();
                match &failed {
                    None => outcome.written += 1,
                    Some(e) => {
                        outcome.error.get_or_insert_with(|| e.clone());
                    }
                }
            }
        }
        outcomes
    }
}

//! Cache warming: every app on every cluster, at a cost that does not grow with the number of apps.
//!
//! Per cluster, four list calls (Applications, Deployments, Pods, ExternalSecrets, cluster-wide, at once);
//! each app's links are then computed by the same [`interpret`] and [`render`] the links function uses and
//! written to the cache in pipelined batches, under the key a links request for the app reads: the
//! Application's own namespace (the namespace Argo CD sends) and, when its `spec.destination.name` is
//! another stored cluster, that cluster (Argo CD's proxy sends it as `Argocd-Target-Cluster-Name`); fresh
//! until after the next run. Clusters are warmed with bounded concurrency; a failing cluster is
//! reported and the others finish.

use super::cache::{self, Cache};
use super::discover::{
    application_resource, external_secret_resource, interpret, DiscoverySettings, View,
};
use futures::StreamExt;
use gluelinks_clusters::pool::{describe, ClusterClients};
use gluelinks_clusters::store::KubeconfigStore;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_links_model::{render, LinkSettings, LinksResponse};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DynamicObject, ListParams};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// Cache entries written per pipelined round trip.
const BATCH: usize = 200;

#[derive(Clone, Debug)]
pub struct WarmSettings {
    /// How many clusters are listed at once.
    pub concurrency: usize,
    /// How long warmed entries stay fresh: until after the next scheduled run.
    pub fresh_for: Duration,
}

impl WarmSettings {
    /// `WARM_CONCURRENCY` (4) and `WARM_RATE_MINUTES` (5, the schedule's rate; entries stay fresh one
    /// minute longer, so no click falls between two runs).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let concurrency: usize = env.parse("WARM_CONCURRENCY", 4)?;
        let minutes: u64 = env.parse("WARM_RATE_MINUTES", 5)?;
        if concurrency == 0 || minutes == 0 {
            return Err(ConfigError::new(
                "WARM_CONCURRENCY",
                "WARM_CONCURRENCY and WARM_RATE_MINUTES must be at least 1",
            ));
        }
        Ok(Self {
            concurrency,
            fresh_for: Duration::from_secs(minutes * 60 + 60),
        })
    }
}

/// One cluster's part of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClusterReport {
    pub cluster: String,
    pub apps: usize,
    pub written: usize,
    /// Apps not written because part of what they need could not be read.
    pub skipped: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// What a run did, returned to the scheduler and logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WarmReport {
    pub clusters: usize,
    pub apps: usize,
    pub written: usize,
    pub failures: BTreeMap<String, String>,
    pub duration_ms: u64,
    pub per_cluster: Vec<ClusterReport>,
}

type ByNamespace<T> = HashMap<String, Vec<T>>;

/// One cluster, listed whole.
struct Snapshot {
    apps: Result<Vec<Value>, String>,
    deployments: Result<ByNamespace<Deployment>, String>,
    pods: Result<ByNamespace<Pod>, String>,
    external_secrets: Result<ByNamespace<Value>, String>,
}

fn group<T>(items: Vec<T>, namespace: impl Fn(&T) -> Option<String>) -> ByNamespace<T> {
    let mut map: ByNamespace<T> = HashMap::new();
    for item in items {
        map.entry(namespace(&item).unwrap_or_default())
            .or_default()
            .push(item);
    }
    map
}

fn value_namespace(v: &Value) -> Option<String> {
    v["metadata"]["namespace"].as_str().map(str::to_string)
}

async fn snapshot(client: &kube::Client) -> Snapshot {
    let lp = ListParams::default();
    let dynamic = |list: kube::core::ObjectList<DynamicObject>| -> Vec<Value> {
        list.items
            .into_iter()
            .map(|o| serde_json::to_value(o).unwrap_or_default())
            .collect()
    };
    let applications = Api::<DynamicObject>::all_with(client.clone(), &application_resource());
    let deployments = Api::<Deployment>::all(client.clone());
    let pods = Api::<Pod>::all(client.clone());
    let external_secrets =
        Api::<DynamicObject>::all_with(client.clone(), &external_secret_resource());
    let (apps, deployments, pods, external_secrets) = tokio::join!(
        applications.list(&lp),
        deployments.list(&lp),
        pods.list(&lp),
        external_secrets.list(&lp),
    );
    Snapshot {
        apps: apps
            .map(dynamic)
            .map_err(|e| describe(&e, "listing Applications")),
        deployments: deployments
            .map(|l| group(l.items, |d| d.metadata.namespace.clone()))
            .map_err(|e| describe(&e, "listing deployments")),
        pods: pods
            .map(|l| group(l.items, |p| p.metadata.namespace.clone()))
            .map_err(|e| describe(&e, "listing pods")),
        external_secrets: match external_secrets {
            Ok(list) => Ok(group(dynamic(list), value_namespace)),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(HashMap::new()),
            Err(e) => Err(describe(&e, "listing externalsecrets")),
        },
    }
}

fn slice<'a, T>(
    by_ns: &'a Result<ByNamespace<T>, String>,
    namespace: &str,
) -> Result<&'a [T], &'a str> {
    match by_ns {
        Ok(map) => Ok(map.get(namespace).map_or(&[][..], Vec::as_slice)),
        Err(e) => Err(e.as_str()),
    }
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
                report.failures.insert("*".into(), e.to_string());
                return report;
            }
        };
        // Phase one: list every cluster (four calls each), a few clusters at a time.
        let snapshots: Vec<(String, Result<Snapshot, String>, Duration)> =
            futures::stream::iter(clusters.clone())
                .map(|cluster| async move {
                    let started = Instant::now();
                    let snapshot = match self.clients.client(&cluster).await {
                        Ok(client) => Ok(snapshot(&client).await),
                        Err(e) => Err(e.to_string()),
                    };
                    (cluster, snapshot, started.elapsed())
                })
                .buffer_unordered(self.settings.concurrency)
                .collect()
                .await;
        // Every stored cluster, with its listing when it could be read.
        let by_name: HashMap<&str, Option<&Snapshot>> = snapshots
            .iter()
            .map(|(name, s, _)| (name.as_str(), s.as_ref().ok()))
            .collect();

        // Phase two: every app's links, written per cluster in pipelined batches.
        let mut report = WarmReport {
            clusters: clusters.len(),
            ..WarmReport::default()
        };
        for (cluster, snapshot, listed_in) in &snapshots {
            let computed_at = Instant::now();
            let mut part = ClusterReport {
                cluster: cluster.clone(),
                ..ClusterReport::default()
            };
            let outcome = match snapshot {
                Err(e) => Err(e.clone()),
                Ok(s) => self.warm_cluster(cluster, s, &by_name, &mut part).await,
            };
            if let Err(e) = outcome {
                tracing::warn!(cluster = %cluster, error = %e, "warming a cluster failed");
                report.failures.insert(cluster.clone(), e.clone());
                part.error = Some(e);
            }
            part.duration_ms = (*listed_in + computed_at.elapsed()).as_millis() as u64;
            report.apps += part.apps;
            report.written += part.written;
            report.per_cluster.push(part);
        }
        report.per_cluster.sort_by(|a, b| a.cluster.cmp(&b.cluster));
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

    async fn warm_cluster(
        &self,
        cluster: &str,
        snapshot: &Snapshot,
        all: &HashMap<&str, Option<&Snapshot>>,
        part: &mut ClusterReport,
    ) -> Result<(), String> {
        let apps = snapshot.apps.as_ref().map_err(Clone::clone)?;
        part.apps = apps.len();
        let generated_at = gluelinks_core::time::now_rfc3339();
        let mut entries: Vec<(String, LinksResponse)> = Vec::with_capacity(apps.len());
        for app in apps {
            let (Some(name), Some(namespace)) = (
                app["metadata"]["name"].as_str(),
                app["metadata"]["namespace"].as_str(),
            ) else {
                continue;
            };
            // Workloads live in the destination cluster when Argo CD names one that is stored; an app
            // whose destination could not be listed is not warmed, rather than warmed with another's.
            let workloads_cluster = app["spec"]["destination"]["name"]
                .as_str()
                .filter(|dest| all.contains_key(dest))
                .unwrap_or(cluster);
            let Some(workloads) = all.get(workloads_cluster).copied().flatten() else {
                part.skipped += 1;
                continue;
            };
            let target = super::discover::target_namespace(Some(app), namespace);
            let view = View {
                application: Ok(Some(app)),
                deployments: slice(&workloads.deployments, &target),
                pods: slice(&workloads.pods, &target),
                external_secrets: slice(&workloads.external_secrets, &target),
            };
            let discovery = interpret(&self.discovery, name, namespace, view);
            if discovery.degraded {
                part.skipped += 1;
                continue;
            }
            entries.push((
                cache::key(cluster, workloads_cluster, namespace, name),
                render(&self.links, &discovery, &generated_at),
            ));
        }
        for batch in entries.chunks(BATCH) {
            let refs: Vec<(String, &LinksResponse)> =
                batch.iter().map(|(k, p)| (k.clone(), p)).collect();
            self.cache
                .put_many(&refs, self.settings.fresh_for)
                .await
                .map_err(|e| {
                    format!(
                        "writing to the cache failed after {} entries: {e}",
                        part.written
                    )
                })?;
            part.written += batch.len();
        }
        if part.skipped > 0 {
            let reason = [
                &snapshot.deployments.as_ref().err(),
                &snapshot.pods.as_ref().err(),
                &snapshot.external_secrets.as_ref().err(),
            ]
            .into_iter()
            .flatten()
            .next()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "a destination cluster could not be read".into());
            return Err(format!("{} app(s) not warmed: {reason}", part.skipped));
        }
        Ok(())
    }
}

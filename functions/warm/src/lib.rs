//! The warm function: run by an EventBridge schedule (a plain Lambda handler, not HTTP), it fills the links
//! cache for every app on every stored cluster so the Argo CD extension's first click is a cache hit.
//! The work is `gluelinks_links::warm`'s; this only wires it and reports.

use gluelinks_clusters::pool::ClusterClients;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_links::cache::Cache;
use gluelinks_links::discover::DiscoverySettings;
use gluelinks_links::warm::{WarmReport, WarmSettings, Warmer};
use gluelinks_links_model::LinkSettings;
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

pub struct Warm {
    clients: ClusterClients,
    cache: Cache,
    discovery: DiscoverySettings,
    links: LinkSettings,
    settings: WarmSettings,
}

impl Warm {
    /// The links function's settings (the cache, clusters, discovery, link templates) and the warm ones.
    pub async fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            clients: ClusterClients::from_env(env).await?,
            cache: Cache::from_env(env)?,
            discovery: DiscoverySettings::from_env(env)?,
            links: LinkSettings::from_env(env)?,
            settings: WarmSettings::from_env(env)?,
        })
    }

    pub async fn run(&self) -> WarmReport {
        Warmer {
            clients: &self.clients,
            cache: &self.cache,
            discovery: &self.discovery,
            links: &self.links,
            settings: &self.settings,
        }
        .run()
        .await
    }

    /// Any event starts a run (the schedule's, or a manual invoke). A run in which every cluster failed is
    /// an error, so that Lambda's error metrics and retries see it; a partial failure is in the report.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<WarmReport, Error> {
        tracing::info!(
            detail_type = event.payload["detail-type"].as_str(),
            "warm run starting"
        );
        let report = self.run().await;
        if report.clusters > 0 && report.failures.len() >= report.clusters {
            return Err(format!("warming failed on every cluster: {:?}", report.failures).into());
        }
        Ok(report)
    }
}

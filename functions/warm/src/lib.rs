//! The warm function: run by an EventBridge schedule (a plain Lambda handler, not HTTP), it fills the links
//! cache for every app on every stored cluster so the Argo CD extension's first click is a cache hit.
//! The work is `gluelinks_links::warm`'s; this only wires it and reports.

use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::metrics::Metrics;
use gluelinks_links::warm::{WarmReport, Warmer, ALL_CLUSTERS};
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

pub struct Warm {
    warmer: Warmer,
}

impl Warm {
    pub async fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            warmer: Warmer::from_env(env).await?,
        })
    }

    pub async fn run(&self) -> WarmReport {
        self.warmer.run().await
    }

    /// Any event starts a run (the schedule's, or a manual invoke). A run in which every cluster failed, or
    /// the stored clusters could not be listed, is an error, so that Lambda's error metrics and retries see
    /// it; a partial failure is in the report.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<WarmReport, Error> {
        tracing::info!(
            detail_type = event.payload["detail-type"].as_str(),
            "warm run starting"
        );
        let report = self.run().await;
        Metrics::new()
            .count("AppsWarmed", report.written)
            .count("AppsSkipped", report.apps.saturating_sub(report.written))
            .count("ClustersFailed", report.failures.len())
            .millis(
                "WarmDuration",
                std::time::Duration::from_millis(report.duration_ms),
            )
            .emit();
        if report.failed_entirely() {
            let why = match report.failures.get(ALL_CLUSTERS) {
                Some(store) => format!("warming failed: {store}"),
                None => format!("warming failed on every cluster: {:?}", report.failures),
            };
            return Err(why.into());
        }
        Ok(report)
    }
}

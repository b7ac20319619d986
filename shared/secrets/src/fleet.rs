//! One credential request across many clusters, all or nothing. Every cluster is reached, read and judged
//! (its writes tried by the cluster as dry runs) before the first write anywhere: a refusal or conflict in
//! any cluster writes nothing in any, and so does a cluster that cannot be reached, unless the request says
//! `partial` (then it is skipped and reported). Clusters are worked on [`SecretSettings::cluster_concurrency`]
//! at a time, each phase at once across them, so the wall time grows with the clusters divided by that
//! concurrency, not with clusters × namespaces; one deadline bounds the whole request.
//!
//! [`across`] is the flow, for writes and removals alike; [`Stage`] is what one cluster's checks found.

use crate::request::ClusterChoice;
use crate::SecretSettings;
use futures::StreamExt;
use gluelinks_clusters::pool::ClusterClients;
use gluelinks_clusters::pool::ClusterError;
use gluelinks_clusters::store::KubeconfigStore;
use gluelinks_clusters::NamedIn;
use gluelinks_core::auth::Clusters;
use gluelinks_core::text::{bounded, ECHO_LIMIT};
use gluelinks_core::timeout::Timeout;
use std::future::Future;
use tokio::time::{timeout_at, Instant};

/// How many clusters a message names at most; the rest are counted.
const NAMES_SHOWN: usize = 10;

/// Why the clusters a request names cannot all be worked on.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// A cluster outside the caller's grant (the first one).
    #[error("Cluster '{0}' is not among the clusters this caller is granted (OPERATOR_GRANTS)")]
    NotGranted(String),
    /// Clusters no kubeconfig is stored for (the first few, and how many more).
    #[error("No kubeconfig is stored for cluster(s) {}: GET /clusters lists the stored ones", .0.join(", "))]
    NotStored(Vec<String>),
    /// `*`, when no stored cluster is granted.
    #[error("cluster \"*\" names no cluster: none is stored that this caller is granted")]
    NoneGranted,
    /// The store could not list its clusters.
    #[error(transparent)]
    Store(#[from] ClusterError),
}

impl ResolveError {
    /// The refusal of `cluster`, outside the caller's grant (its name bounded for the message).
    pub fn not_granted(cluster: &str) -> Self {
        ResolveError::NotGranted(bounded(cluster, ECHO_LIMIT))
    }

    /// 403 for a cluster outside the grant, 404 (named in a query) or 400 (in a body) for clusters not
    /// stored, the store's own status when it failed.
    pub fn status(&self, named_in: NamedIn) -> u16 {
        match self {
            ResolveError::NotGranted(_) => 403,
            ResolveError::NotStored(_) | ResolveError::NoneGranted => match named_in {
                NamedIn::Query => 404,
                NamedIn::Body => 400,
            },
            ResolveError::Store(e) => e.status(named_in),
        }
    }

    /// What `caller` is told: a store failure as [`ClusterError::for_caller`] says it (all of it only to
    /// a caller who may write), the rest in full (they quote only the request's own names).
    pub fn for_caller(&self, caller: &gluelinks_core::auth::Caller) -> String {
        match self {
            ResolveError::Store(e) => e.for_caller(caller),
            other => other.to_string(),
        }
    }
}

/// The clusters a request names, in order: one or each of a list, which `granted` must allow and the
/// store must hold; or, for `*`, every stored cluster `granted` allows.
pub async fn resolve(
    clients: &ClusterClients,
    choice: &ClusterChoice,
    granted: &Clusters,
) -> Result<Vec<String>, ResolveError> {
    let names = choice.names();
    if let Some(outside) = names.iter().find(|c| !granted.allows(c)) {
        return Err(ResolveError::not_granted(outside));
    }
    let stored: std::collections::BTreeSet<String> = clients
        .store()
        .list()
        .await
        .map_err(ClusterError::Store)?
        .into_iter()
        .collect();
    if *choice == ClusterChoice::All {
        let clusters: Vec<String> = stored.into_iter().filter(|c| granted.allows(c)).collect();
        if clusters.is_empty() {
            return Err(ResolveError::NoneGranted);
        }
        return Ok(clusters);
    }
    let missing: Vec<&String> = names.iter().filter(|c| !stored.contains(*c)).collect();
    let mut shown: Vec<String> = missing
        .iter()
        .take(NAMES_SHOWN)
        .map(|c| bounded(c, ECHO_LIMIT))
        .collect();
    if missing.len() > NAMES_SHOWN {
        shown.push(format!("and {} more", missing.len() - NAMES_SHOWN));
    }
    if !missing.is_empty() {
        return Err(ResolveError::NotStored(shown));
    }
    Ok(names.to_vec())
}

/// What one cluster's checks found.
pub enum Stage<R, C> {
    /// A reason to write nothing anywhere: a refusal or a conflict, as the cluster's report says.
    Blocked(R),
    /// The state of a target could not be read: the cluster counts as unreachable.
    Unknown(String),
    /// Every target may go ahead, as checked.
    Ready(C),
}

/// Where one cluster ended.
#[derive(Debug)]
pub enum Part<R> {
    /// Not reached (no client, no answer, a target's state unknown), and the request stopped for it.
    Unreachable(String),
    /// Not reached, and skipped: the request said `partial`.
    Skipped(String),
    /// Its refusal or conflict stopped the request.
    Blocked(R),
    /// Checked and fine, not written: the request stopped elsewhere.
    Ready,
    /// Done: written (or, in a dry run, what would be).
    Done(R),
}

/// How a fleet request ended, overall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A refusal or conflict somewhere: nothing was written anywhere.
    Refused,
    /// A cluster could not be reached (or checked in time) and the request did not say `partial`:
    /// nothing was written.
    Unreachable,
    /// Every cluster that could be reached was done.
    Done,
}

/// Each cluster's part, in the order the request resolved them, and the verdict.
#[derive(Debug)]
pub struct FleetReport<R> {
    /// `(cluster, part)`, in order.
    pub clusters: Vec<(String, Part<R>)>,
    /// How the whole request ended.
    pub verdict: Verdict,
}

/// A cluster reached (its client, and what its checks found), or why it was not.
type Reached<R, C> = Result<(kube::Client, Stage<R, C>), String>;

/// Runs `prepare` on every cluster, then, unless any cluster blocked (or could not be reached or checked
/// in time, without `partial`), `finish` on every ready one; at most `settings.cluster_concurrency`
/// clusters at once. The checks end early enough to leave the writes one Kubernetes call's bound per
/// round of clusters (at most half the time); everything ends by `deadline`.
pub async fn across<R, C, P, PF, F, FF>(
    clusters: &[String],
    clients: &ClusterClients,
    settings: &SecretSettings,
    partial: bool,
    deadline: Instant,
    prepare: P,
    finish: F,
) -> FleetReport<R>
where
    P: Fn(kube::Client) -> PF,
    PF: Future<Output = Stage<R, C>>,
    F: Fn(kube::Client, C) -> FF,
    FF: Future<Output = R>,
{
    let concurrency = settings.cluster_concurrency;
    // The writes are kept one call's bound (`KUBE_TIMEOUT_SECONDS`) per round of clusters, at most half
    // the deadline: the checks end by `deadline - reserve`, and a cluster not checked by then counts as
    // unreachable (skipped with `partial`), so the writes never start too late to finish.
    let rounds = u32::try_from(clusters.len().div_ceil(concurrency)).unwrap_or(u32::MAX);
    let reserve = clients
        .timeout()
        .saturating_mul(rounds.max(1))
        .min(settings.deadline / 2);
    let checks_by = deadline - reserve;
    let prepare = &prepare;
    let mut checked: Vec<(usize, Reached<R, C>)> =
        // Indices, not references, into the stream: a closure over `&String` is not general enough for
        // the Lambda runtime's `Send` bound.
        futures::stream::iter(0..clusters.len())
            .map(|i| async move {
                let cluster = &clusters[i];
                let reach = async {
                    let client = clients.client(cluster).await.map_err(|e| e.to_string())?;
                    let stage = prepare(client.clone()).await;
                    Ok((client, stage))
                };
                let reached = timeout_at(checks_by, reach).await.unwrap_or_else(|_| {
                    let late = Timeout::new(
                        format!("Cluster '{}'", bounded(cluster, ECHO_LIMIT)),
                        settings.deadline - reserve,
                        "SECRETS_DEADLINE_SECONDS, less the time kept for the writes",
                    )
                    .doing("its kubeconfig read and checks");
                    Err(late.to_string())
                });
                (i, reached)
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
    checked.sort_by_key(|(i, _)| *i);
    let blocked = checked
        .iter()
        .any(|(_, c)| matches!(c, Ok((_, Stage::Blocked(_)))));
    let unreachable = checked
        .iter()
        .any(|(_, c)| matches!(c, Err(_) | Ok((_, Stage::Unknown(_)))));
    let verdict = match (blocked, unreachable && !partial) {
        (true, _) => Verdict::Refused,
        (false, true) => Verdict::Unreachable,
        (false, false) => Verdict::Done,
    };
    let name = |i: usize| clusters[i].clone();
    if verdict != Verdict::Done {
        let parts = checked
            .into_iter()
            .map(|(i, c)| {
                let part = match c {
                    Err(why) | Ok((_, Stage::Unknown(why))) => Part::Unreachable(why),
                    Ok((_, Stage::Blocked(report))) => Part::Blocked(report),
                    Ok((_, Stage::Ready(_))) => Part::Ready,
                };
                (name(i), part)
            })
            .collect();
        return FleetReport {
            clusters: parts,
            verdict,
        };
    }
    let finish = &finish;
    let mut done: Vec<(usize, Part<R>)> = futures::stream::iter(checked)
        .map(|(i, c)| async move {
            let part = match c {
                Err(why) | Ok((_, Stage::Unknown(why))) => Part::Skipped(why),
                Ok((_, Stage::Blocked(report))) => Part::Blocked(report),
                Ok((client, Stage::Ready(checked))) => Part::Done(finish(client, checked).await),
            };
            (i, part)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    done.sort_by_key(|(i, _)| *i);
    FleetReport {
        clusters: done.into_iter().map(|(i, p)| (name(i), p)).collect(),
        verdict,
    }
}

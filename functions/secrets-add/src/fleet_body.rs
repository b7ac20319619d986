//! The answer to a fleet request (`cluster_name` a list or `"*"`): per cluster and namespace what was
//! created, replaced, left unchanged, removed or refused, the totals, and one status for the whole. Names of
//! keys only, never values. Each row is also the audit line of its cluster and namespace.

use gluelinks_http::response::Answer;
use gluelinks_secrets::audit::Audit;
use gluelinks_secrets::fleet::{FleetReport, Part, Verdict};
use gluelinks_secrets::remove::{Removal, RemoveReport};
use gluelinks_secrets::write::{Action, Report};
use gluelinks_secrets::NOTHING_WRITTEN;
use serde::Serialize;
use std::collections::BTreeMap;

/// One secret of one cluster, as the answer and the audit show it.
#[derive(Serialize)]
pub struct Row {
    /// Where.
    pub namespace: String,
    /// What came of it: `created`, `replaced`, `adopted`, `unchanged`, `removed`, `absent`, `failed`, or
    /// why it stopped the request (`exists`, `not created by GlueLinks`, ...).
    pub outcome: &'static str,
    /// The data keys written or removed; never values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed_keys: Vec<String>,
    /// Why, when it failed or stopped the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The audit line's outcome.
    #[serde(skip)]
    pub audit: &'static str,
    /// Whether it is done as asked (or, in a dry run, would be).
    #[serde(skip)]
    pub ok: bool,
}

/// What one cluster's report says, row by row.
pub trait Rows {
    /// One row per secret the report names.
    fn rows(&self) -> Vec<Row>;
}

/// One cluster's part.
#[derive(Serialize)]
struct ClusterBody {
    cluster: String,
    /// `done` (written, removed, or in a dry run planned), `refused` (it stopped the request), `ready`
    /// (checked and fine, not done because the request stopped elsewhere), `unreachable` (it stopped the
    /// request) or `skipped` (unreachable; the request said `partial`).
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    namespaces: Vec<Row>,
}

/// The whole answer.
#[derive(Serialize)]
pub struct FleetBody {
    success: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    error: bool,
    name: String,
    dry_run: bool,
    message: String,
    clusters: Vec<ClusterBody>,
    /// Rows by outcome, and the clusters skipped or unreachable.
    totals: BTreeMap<&'static str, usize>,
    #[serde(skip)]
    status: u16,
}

impl Answer for FleetBody {
    fn status(&self) -> u16 {
        self.status
    }
}

impl FleetBody {
    /// The answer to `report` for secret `name` (`noun` says what it is, `verb` what the request does:
    /// "written", "removed"), every row audited; a cluster that has no rows (not reached, or not done
    /// because the request stopped) is audited in each of `namespaces`, the request's namespaces.
    pub fn new<R: Rows>(
        report: &FleetReport<R>,
        name: &str,
        noun: &str,
        verb: &str,
        namespaces: &[String],
        dry_run: bool,
        audit: &Audit,
    ) -> Self {
        let mut totals: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut clusters = Vec::new();
        let (mut failed, mut done) = (0, 0);
        let mut unreachable = Vec::new();
        for (cluster, part) in &report.clusters {
            // Its status, what it says, its rows; for a cluster without rows, each namespace's audit
            // outcome; for one not reached, which total counts it.
            let (status, message, rows, untouched, not_reached) = match part {
                Part::Done(r) => ("done", None, r.rows(), None, None),
                Part::Blocked(r) => ("refused", None, r.rows(), None, None),
                Part::Ready => (
                    "ready",
                    Some(format!(
                        "Checked and fine; not {verb}: the request stopped on other clusters"
                    )),
                    Vec::new(),
                    Some("refused: stopped by other clusters"),
                    None,
                ),
                Part::Unreachable(why) => (
                    "unreachable",
                    Some(why.clone()),
                    Vec::new(),
                    Some("refused: unreachable"),
                    Some("unreachable_clusters"),
                ),
                Part::Skipped(why) => (
                    "skipped",
                    Some(why.clone()),
                    Vec::new(),
                    Some("skipped: unreachable"),
                    Some("skipped_clusters"),
                ),
            };
            if let Some(outcome) = untouched {
                for ns in namespaces {
                    audit.record_in(Some(cluster), Some(ns), outcome);
                }
            }
            if let Some(total) = not_reached {
                *totals.entry(total).or_default() += 1;
                unreachable.push(cluster.as_str());
            }
            for row in &rows {
                audit.record_in(Some(cluster), Some(&row.namespace), row.audit);
                if matches!(part, Part::Done(_)) && !row.ok {
                    tracing::warn!(cluster = %cluster, namespace = %row.namespace, outcome = row.outcome, reason = ?row.reason, "fleet {verb} failed");
                }
                *totals.entry(row.outcome).or_default() += 1;
                if row.ok {
                    done += 1;
                } else {
                    failed += 1;
                }
            }
            clusters.push(ClusterBody {
                cluster: cluster.clone(),
                status,
                message,
                namespaces: rows,
            });
        }
        let counted = totals
            .iter()
            .filter(|(k, _)| !k.ends_with("_clusters"))
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ");
        let in_clusters = format!("{} cluster(s)", report.clusters.len());
        let (status, message) = match report.verdict {
            Verdict::Refused => (
                409,
                format!("{noun} {name}: {failed} secret(s) stop the request (see each cluster's namespaces). {NOTHING_WRITTEN}."),
            ),
            Verdict::Unreachable => (
                502,
                format!(
                    "{noun} {name}: cluster(s) {} could not be reached. {NOTHING_WRITTEN}; send partial: true to go on without them.",
                    unreachable.join(", ")
                ),
            ),
            Verdict::Done if dry_run => (
                200,
                format!("Dry run. {NOTHING_WRITTEN}; in {in_clusters}: {counted}"),
            ),
            Verdict::Done => {
                let skipped = if unreachable.is_empty() {
                    String::new()
                } else {
                    format!("; skipped unreachable cluster(s) {}", unreachable.join(", "))
                };
                let status = match (done, failed + unreachable.len()) {
                    (_, 0) => 200,
                    (0, _) => 502,
                    _ => 207,
                };
                (status, format!("{noun} {name} {verb} in {in_clusters}: {counted}{skipped}"))
            }
        };
        Self {
            success: status == 200 && failed == 0,
            error: status >= 400,
            name: name.to_string(),
            dry_run,
            message,
            clusters,
            totals,
            status,
        }
    }
}

fn row(namespace: &str, outcome: &'static str, audit: &'static str, reason: Option<String>) -> Row {
    Row {
        namespace: namespace.to_string(),
        outcome,
        changed_keys: Vec::new(),
        reason,
        audit,
        ok: false,
    }
}

/// The rows of targets the cluster refused (its dry run said no), each with the cluster's reason.
fn rejected_rows(rejected: &[(String, String)]) -> Vec<Row> {
    rejected
        .iter()
        .map(|(ns, why)| {
            row(
                ns,
                "refused by the cluster",
                "refused: by the cluster",
                Some(why.clone()),
            )
        })
        .collect()
}

impl Rows for Report {
    fn rows(&self) -> Vec<Row> {
        match self {
            Report::Foreign(foreign) => foreign
                .iter()
                .map(|e| {
                    let refusal = e.refusal.as_ref();
                    let (outcome, audit) = if refusal.is_some_and(|r| r.adoptable) {
                        (
                            "not created by GlueLinks",
                            "refused: not created by GlueLinks",
                        )
                    } else {
                        ("never replaced", "refused: never replaced")
                    };
                    row(
                        &e.namespace,
                        outcome,
                        audit,
                        refusal.map(|r| r.reason.clone()),
                    )
                })
                .collect(),
            Report::Exists(existing) => existing
                .iter()
                .map(|e| {
                    let why = "The secret exists; send upsert: true to replace it".to_string();
                    row(&e.namespace, "exists", "refused: exists", Some(why))
                })
                .collect(),
            Report::Rejected(rejected) => rejected_rows(rejected),
            Report::Unknown(unknown) => unknown
                .iter()
                .map(|(ns, why)| row(ns, "unknown", "refused: state unknown", Some(why.clone())))
                .collect(),
            Report::DryRun(planned) => planned
                .iter()
                .map(|p| {
                    let reason = match &p.plan.action {
                        Action::Unknown(why) | Action::Refused(why) => Some(why.clone()),
                        _ => None,
                    };
                    Row {
                        ok: reason.is_none(),
                        changed_keys: p.plan.changed_keys.clone(),
                        ..row(&p.namespace, p.plan.action.outcome(), "dry run", reason)
                    }
                })
                .collect(),
            Report::Written(outcomes) => outcomes
                .iter()
                .map(|o| match &o.result {
                    Ok(done) => Row {
                        ok: true,
                        changed_keys: done.changed_keys.clone(),
                        ..row(
                            &o.namespace,
                            done.action.outcome(),
                            done.action.outcome(),
                            None,
                        )
                    },
                    Err(e) => {
                        let outcome = if e.outcome_unknown() {
                            "unknown: no answer"
                        } else {
                            "failed"
                        };
                        row(&o.namespace, outcome, outcome, Some(e.to_string()))
                    }
                })
                .collect(),
        }
    }
}

impl Rows for RemoveReport {
    fn rows(&self) -> Vec<Row> {
        let word = |r: &Removal| match r {
            Removal::Removed => "removed",
            Removal::Absent => "absent",
        };
        match self {
            RemoveReport::Foreign(foreign) => foreign
                .iter()
                .map(|(ns, why)| {
                    row(
                        ns,
                        "not GlueLinks'",
                        "refused: not GlueLinks'",
                        Some(why.clone()),
                    )
                })
                .collect(),
            RemoveReport::Rejected(rejected) => rejected_rows(rejected),
            RemoveReport::DryRun(planned) => planned
                .iter()
                .map(|(ns, r)| Row {
                    ok: true,
                    ..row(ns, word(r), "dry run", None)
                })
                .collect(),
            RemoveReport::Done(done) => done
                .iter()
                .map(|(ns, result)| match result {
                    Ok(r) => Row {
                        ok: true,
                        ..row(ns, word(r), word(r), None)
                    },
                    Err(why) => row(ns, "failed", "failed", Some(why.clone())),
                })
                .collect(),
        }
    }
}

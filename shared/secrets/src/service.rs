//! The write service: one `POST /secrets/add_*` or `POST /secrets/remove` request from its body to its
//! report. It parses and validates the body (nothing is read before the request is known to be valid),
//! builds the targets, and, within the request's one deadline, runs [`write::run`] on a cluster named alone
//! or [`fleet::across`] on a list or `*` (removals always). The function crate turns the outcome into HTTP.

use crate::fleet::{self, FleetReport, ResolveError, Stage};
use crate::kind::SecretKind;
use crate::remove::{self, RemoveReport, RemoveRequest};
use crate::request::{
    ClusterChoice, Common, DockerRequest, Invalid, RepositoryRequest, MAX_BODY_BYTES,
};
use crate::write::{self, Prepared, Report, Target};
use crate::SecretSettings;
use crate::NOTHING_WRITTEN;
use gluelinks_clusters::pool::{ClusterClients, ClusterError};
use gluelinks_clusters::store::Role;
use gluelinks_core::auth::Clusters;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::text::{bounded, ECHO_LIMIT};
use gluelinks_core::timeout::Timeout;
use tokio::time::{timeout_at, Instant};

/// A request, parsed and checked.
pub enum Plan {
    /// `add_docker`.
    Docker(DockerRequest),
    /// `add_helm_repo`, `add_repository` and `add_repo_creds`.
    Repository(RepositoryRequest),
}

impl Plan {
    /// `kind`'s route's body, parsed and checked.
    pub fn parse(
        kind: SecretKind,
        body: &[u8],
        settings: &SecretSettings,
    ) -> Result<Self, Invalid> {
        Ok(match kind {
            SecretKind::PullSecret => Plan::Docker(DockerRequest::parse(body, settings)?),
            SecretKind::HelmRepository => Plan::Repository(RepositoryRequest::parse_helm(body)?),
            SecretKind::Repository | SecretKind::CredentialTemplate => {
                Plan::Repository(RepositoryRequest::parse_generic(body, kind)?)
            }
        })
    }

    /// What it writes.
    pub fn kind(&self) -> SecretKind {
        match self {
            Plan::Docker(_) => SecretKind::PullSecret,
            Plan::Repository(r) => r.kind,
        }
    }

    /// What every route's request has.
    pub fn common(&self) -> &Common {
        match self {
            Plan::Docker(r) => &r.common,
            Plan::Repository(r) => &r.common,
        }
    }

    /// Every secret it writes, one per namespace.
    pub fn targets(&self, settings: &SecretSettings) -> Vec<Target> {
        match self {
            Plan::Docker(r) => write::docker_targets(r, settings),
            Plan::Repository(r) => vec![write::repository_target(r, settings)],
        }
    }

    /// How the API names the secret kind in messages.
    pub fn noun(&self) -> &'static str {
        self.kind().noun()
    }
}

/// Why a request was not run: each says what to fix, and nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The body is larger than [`MAX_BODY_BYTES`]; it was not parsed.
    #[error("Request body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// The body is not a valid request, or names more than `SECRETS_MAX_TARGETS` secrets.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The cluster named alone has no client: the store could not give its kubeconfig, or it is unusable.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The kubeconfig store did not give the cluster named alone within `SECRETS_DEADLINE_SECONDS`.
    #[error("{0}. {NOTHING_WRITTEN}")]
    KubeconfigTimeout(Timeout),
    /// The clusters named cannot all be worked on: outside the caller's grant (the one named alone
    /// included), not stored, or the store failed listing them.
    #[error("{0}. {NOTHING_WRITTEN}")]
    Clusters(#[from] ResolveError),
}

/// A request that ran: what it asked for, the namespaces of its targets in each cluster, and what
/// happened.
pub struct Added {
    /// The request.
    pub plan: Plan,
    /// The namespace of each secret it names in each cluster, in order.
    pub namespaces: Vec<String>,
    /// What happened.
    pub ran: Ran,
}

/// What happened to a request, in the form it was asked in.
pub enum Ran {
    /// One cluster named alone (the original API's form).
    One(Report),
    /// A fleet write: each cluster's part.
    Fleet(FleetReport<Report>),
}

/// The write service: the writer identity's clients and the secret settings.
pub struct SecretsService {
    clusters: ClusterClients,
    settings: SecretSettings,
}

impl SecretsService {
    /// The writer identity's clients (`SECRETS_ADD_*`) and the secret settings.
    pub async fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            clusters: ClusterClients::from_env_for(env, Role::Writer).await?,
            settings: SecretSettings::from_env(env)?,
        })
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &SecretSettings {
        &self.settings
    }

    /// A request's body, parsed and checked: nothing is read before the request is known to be valid.
    pub fn plan(&self, kind: SecretKind, body: &[u8]) -> Result<Plan, AddError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(AddError::TooLarge);
        }
        Ok(Plan::parse(kind, body, &self.settings)?)
    }

    /// Runs a request on the clusters `granted` allows: within `SECRETS_DEADLINE_SECONDS` for everything,
    /// read every target, refuse or plan or write, and report per target (and, for a fleet, per
    /// cluster).
    pub async fn run(&self, plan: Plan, granted: &Clusters) -> Result<Added, AddError> {
        let targets = plan.targets(&self.settings);
        let common = plan.common();
        let deadline = Instant::now() + self.settings.deadline;
        let ran = match &common.cluster {
            ClusterChoice::One(cluster) => {
                let client = self.client(cluster, granted, deadline).await?;
                Ran::One(write::run(&client, &targets, common, &self.settings, deadline).await)
            }
            choice => {
                within_cap(choice.names().len(), targets.len(), &self.settings)?;
                let clusters = fleet::resolve(&self.clusters, choice, granted).await?;
                within_cap(clusters.len(), targets.len(), &self.settings)?;
                let report = fleet::across(
                    &clusters,
                    &self.clusters,
                    &self.settings,
                    common.partial,
                    deadline,
                    |client| {
                        let targets = &targets;
                        async move {
                            match write::prepare(&client, targets, common, &self.settings, deadline)
                                .await
                            {
                                Prepared::Blocked(Report::Unknown(unknown)) => {
                                    Stage::Unknown(unknown_text(&unknown))
                                }
                                Prepared::Blocked(report) => Stage::Blocked(report),
                                Prepared::Ready(checked) => Stage::Ready(checked),
                            }
                        }
                    },
                    |client, checked| {
                        let targets = &targets;
                        async move {
                            write::finish(
                                &client,
                                targets,
                                checked,
                                common,
                                &self.settings,
                                deadline,
                            )
                            .await
                        }
                    },
                )
                .await;
                Ran::Fleet(report)
            }
        };
        Ok(Added {
            namespaces: targets.iter().map(|t| t.namespace().to_string()).collect(),
            plan,
            ran,
        })
    }

    /// A removal's body, parsed and checked.
    pub fn removal(&self, body: &[u8]) -> Result<RemoveRequest, AddError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(AddError::TooLarge);
        }
        Ok(RemoveRequest::parse(body, &self.settings)?)
    }

    /// Removes a credential GlueLinks created from the clusters `req` names (each of which `granted`
    /// must allow), all or nothing, within `SECRETS_DEADLINE_SECONDS`.
    pub async fn remove(
        &self,
        req: &RemoveRequest,
        granted: &Clusters,
    ) -> Result<FleetReport<RemoveReport>, AddError> {
        let targets = req.targets(&self.settings);
        let deadline = Instant::now() + self.settings.deadline;
        within_cap(req.cluster.names().len(), targets.len(), &self.settings)?;
        let clusters = fleet::resolve(&self.clusters, &req.cluster, granted).await?;
        within_cap(clusters.len(), targets.len(), &self.settings)?;
        let targets = &targets;
        Ok(
            fleet::across(
                &clusters,
                &self.clusters,
                &self.settings,
                req.partial,
                deadline,
                |client| async move {
                    remove::prepare(&client, targets, &self.settings, deadline).await
                },
                |client, checked| async move {
                    remove::finish(
                        &client,
                        targets,
                        checked,
                        req.dry_run,
                        &self.settings,
                        deadline,
                    )
                    .await
                },
            )
            .await,
        )
    }

    /// The client of one cluster named alone, which `granted` must allow, by `deadline`.
    async fn client(
        &self,
        cluster: &str,
        granted: &Clusters,
        deadline: Instant,
    ) -> Result<kube::Client, AddError> {
        if !granted.allows(cluster) {
            return Err(ResolveError::not_granted(cluster).into());
        }
        timeout_at(deadline, Box::pin(self.clusters.client(cluster)))
            .await
            .map_err(|_| AddError::KubeconfigTimeout(store_late(&self.settings, cluster)))?
            .map_err(AddError::from)
    }
}

/// The kubeconfig store did not give `cluster`'s client by the request's deadline.
fn store_late(settings: &SecretSettings, cluster: &str) -> Timeout {
    Timeout::new(
        "The kubeconfig store",
        settings.deadline,
        "SECRETS_DEADLINE_SECONDS",
    )
    .doing(format!("for cluster '{}'", bounded(cluster, ECHO_LIMIT)))
}

/// Refuses a request of more than `SECRETS_MAX_TARGETS` secrets across its clusters: checked on the
/// clusters a request names as soon as it is read (before the store is asked), and on those `*` stands
/// for once they are known.
pub fn within_cap(
    clusters: usize,
    per_cluster: usize,
    settings: &SecretSettings,
) -> Result<(), AddError> {
    let total = clusters * per_cluster;
    if total > settings.max_targets {
        return Err(AddError::Invalid(Invalid(format!(
            "The request names {total} secrets ({clusters} clusters × {per_cluster} per cluster); at most {} are written or removed per request (SECRETS_MAX_TARGETS): split it by clusters. {NOTHING_WRITTEN}",
            settings.max_targets
        ))));
    }
    Ok(())
}

/// Why a cluster's targets could not be read, in one line: the first reason, and how many more.
pub fn unknown_text(unknown: &[(String, String)]) -> String {
    match unknown {
        [] => String::new(),
        [(_, why)] => why.clone(),
        [(_, why), rest @ ..] => format!("{why} (and {} more)", rest.len()),
    }
}

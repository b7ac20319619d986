//! The write service: one `POST /secrets/add_*` request from its body to its [`Report`]. It parses and
//! validates the body (nothing is read before the request is known to be valid), builds the targets, gets
//! the writer's client for the cluster within the request's deadline, and runs [`write::run`]. The
//! function crate turns the outcome into HTTP.

use crate::kind::SecretKind;
use crate::request::{Common, DockerRequest, Invalid, RepositoryRequest, MAX_BODY_BYTES};
use crate::write::{self, Report, Target};
use crate::SecretSettings;
use crate::NOTHING_WRITTEN;
use gluelinks_clusters::pool::{ClusterClients, ClusterError};
use gluelinks_clusters::store::Role;
use gluelinks_core::auth::Clusters;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::text::bounded;
use gluelinks_core::text::ECHO_LIMIT;
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
    #[error("Request body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("{0}. {NOTHING_WRITTEN}")]
    KubeconfigTimeout(Timeout),
    #[error("Cluster '{cluster}' is not among the clusters this caller is granted (OPERATOR_GRANTS). {NOTHING_WRITTEN}")]
    NotGranted { cluster: String },
}

/// A request that ran: what it asked for, how many targets it had, and what happened.
pub struct Added {
    pub plan: Plan,
    pub targets: usize,
    pub report: Report,
}

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

    /// A request's body, parsed and checked: nothing is read before the request is known to be valid.
    pub fn plan(&self, kind: SecretKind, body: &[u8]) -> Result<Plan, AddError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(AddError::TooLarge);
        }
        Ok(Plan::parse(kind, body, &self.settings)?)
    }

    /// Runs a request on a cluster `granted` allows: within `SECRETS_DEADLINE_SECONDS` for everything,
    /// read every target, refuse or plan or write, and report per target.
    pub async fn run(&self, plan: Plan, granted: &Clusters) -> Result<Added, AddError> {
        let common = plan.common();
        if !granted.allows(&common.cluster) {
            return Err(AddError::NotGranted {
                cluster: bounded(&common.cluster, ECHO_LIMIT),
            });
        }
        let deadline = Instant::now() + self.settings.deadline;
        let client = timeout_at(deadline, Box::pin(self.clusters.client(&common.cluster)))
            .await
            .map_err(|_| {
                AddError::KubeconfigTimeout(
                    Timeout::new(
                        "The kubeconfig store",
                        self.settings.deadline,
                        "SECRETS_DEADLINE_SECONDS",
                    )
                    .doing(format!("for cluster '{}'", common.cluster)),
                )
            })??;
        let targets = plan.targets(&self.settings);
        let report = write::run(&client, &targets, common, &self.settings, deadline).await;
        Ok(Added {
            targets: targets.len(),
            plan,
            report,
        })
    }
}

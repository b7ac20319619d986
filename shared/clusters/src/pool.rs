//! Kubernetes clients built from stored kubeconfigs: one per cluster per container, built on first use
//! and reused. Each call is bounded by `KUBE_TIMEOUT_SECONDS`. An EKS exec-plugin user gets a natively
//! signed token, and its client is rebuilt before that token expires. A kubeconfig that cannot be used is
//! described by [`kubeconfig_errors`](super::kubeconfig_errors), never quoted.

use super::kubeconfig_errors::{auth_problem_in, client_problem, kubeconfig_problem, FieldLines};
use super::kubeconfig_rules;
use super::store::{KubeconfigStore, Role, Store};
use super::StoreError;
use gluelinks_aws::eks_token::{self, EksTarget, EksTokenError};
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::errors;
use gluelinks_core::text::bounded;
use gluelinks_core::timeout::Timeout;
use gluelinks_core::withheld::withheld;
use kube::config::{KubeConfigOptions, Kubeconfig};
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::OnceCell;

/// Why a cluster has no client.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ClusterError {
    /// The store could not give the cluster's kubeconfig.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored kubeconfig cannot be made a client.
    #[error("Cluster '{cluster}' has an unusable kubeconfig: {reason}")]
    Kubeconfig {
        /// The cluster's name.
        cluster: String,
        /// What is wrong with it (a kubeconfig is described, never quoted), or why its EKS token could
        /// not be made.
        reason: String,
    },
}

impl ClusterError {
    /// The cluster-configuration API's status for this failure (see [`StoreError::status`]); a
    /// kubeconfig that cannot be used is the deployment's fault, reached through it: 502.
    pub fn status(&self, named_in: crate::NamedIn) -> u16 {
        match self {
            ClusterError::Store(e) => e.status(named_in),
            ClusterError::Kubeconfig { .. } => 502,
        }
    }

    /// What a caller who may not write is told: no secret name or path, no AWS message (an EKS token's
    /// failure may quote one).
    pub fn public(&self) -> String {
        match self {
            ClusterError::Store(e) => e.public(),
            ClusterError::Kubeconfig { cluster, .. } => {
                format!("Cluster '{cluster}' has an unusable kubeconfig")
            }
        }
    }

    /// What `caller` is told of this failure: all of it when it may write, else [`Self::public`] with an
    /// error id, the rest logged.
    pub fn for_caller(&self, caller: &gluelinks_core::auth::Caller) -> String {
        if caller.may_write() {
            self.to_string()
        } else {
            withheld(&self.public(), self)
        }
    }
}

struct Cached {
    client: kube::Client,
    rebuild_at: Option<Instant>,
}

/// The Kubernetes clients of the stored clusters: one per cluster per container, built from its stored
/// kubeconfig on first use.
pub struct ClusterClients {
    store: Store,
    timeout: Duration,
    /// Clusters whose kubeconfigs may set `insecure-skip-tls-verify` (see [`kubeconfig_rules`]).
    insecure_allowed: Vec<String>,
    clients: Mutex<HashMap<String, Cached>>,
    aws: OnceCell<aws_config::SdkConfig>,
}

impl ClusterClients {
    /// Clients from `store`'s kubeconfigs, connecting and each call bounded by `timeout`; no cluster may
    /// switch certificate checks off.
    pub fn new(store: Store, timeout: Duration) -> Self {
        Self {
            store,
            timeout,
            insecure_allowed: Vec::new(),
            clients: Mutex::new(HashMap::new()),
            aws: OnceCell::new(),
        }
    }

    /// The reader's clients: [`Self::from_env_for`] with [`Role::Reader`].
    pub async fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Self::from_env_for(env, Role::Reader).await
    }

    /// The role's store, `KUBE_TIMEOUT_SECONDS` (default 10) for connecting and each call, and the
    /// clusters listed in `KUBE_INSECURE_SKIP_TLS_VERIFY_CLUSTERS` (none by default).
    pub async fn from_env_for(env: &Env, role: Role) -> Result<Self, ConfigError> {
        Ok(Self::new(
            Store::from_env_for(env, role).await?,
            super::timeout_from_env(env)?,
        )
        .allow_insecure_tls(env.list(kubeconfig_rules::INSECURE_SETTING)))
    }

    /// Lets these clusters' kubeconfigs switch certificate checks off (`insecure-skip-tls-verify`).
    pub fn allow_insecure_tls(mut self, clusters: Vec<String>) -> Self {
        self.insecure_allowed = clusters;
        self
    }

    /// The store the kubeconfigs are read from.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The bound on connecting and on each call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The cluster's client, built now if this container has none yet (or its EKS token is due).
    pub async fn client(&self, cluster: &str) -> Result<kube::Client, ClusterError> {
        if let Some(cached) = self.lock().get(cluster) {
            if cached.rebuild_at.is_none_or(|at| Instant::now() < at) {
                return Ok(cached.client.clone());
            }
        }
        let text = self.store.get(cluster).await?;
        let (client, rebuild_at) = self.build(cluster, text.expose_secret()).await?;
        self.lock().insert(
            cluster.to_string(),
            Cached {
                client: client.clone(),
                rebuild_at,
            },
        );
        Ok(client)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn build(
        &self,
        cluster: &str,
        text: &str,
    ) -> Result<(kube::Client, Option<Instant>), ClusterError> {
        let bad = |reason: String| ClusterError::Kubeconfig {
            cluster: cluster.to_string(),
            reason,
        };
        let mut kubeconfig = Kubeconfig::from_yaml(text)
            .map_err(|e| bad(kubeconfig_problem(&e, &FieldLines::default())))?;
        let context_name = kubeconfig
            .current_context
            .clone()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| bad("it has no current-context".into()))?;
        let context = kubeconfig
            .contexts
            .iter()
            .find(|c| c.name == context_name)
            .and_then(|c| c.context.clone())
            .ok_or_else(|| {
                bad(format!(
                    "its current-context '{context_name}' is not among its contexts"
                ))
            })?;
        let cluster_entry = kubeconfig
            .clusters
            .iter()
            .find(|c| c.name == context.cluster)
            .and_then(|c| c.cluster.as_ref())
            .ok_or_else(|| bad("its current context names a cluster it does not define".into()))?;
        let user_entry = context.user.as_deref().and_then(|name| {
            kubeconfig
                .auth_infos
                .iter()
                .find(|u| u.name == name)
                .and_then(|u| u.auth_info.as_ref())
        });
        let insecure_allowed = self.insecure_allowed.iter().any(|c| c == cluster);
        if let Some(refusal) =
            kubeconfig_rules::refusal(cluster, cluster_entry, user_entry, insecure_allowed)
        {
            return Err(bad(refusal));
        }
        let lines = FieldLines::find(
            text,
            &kubeconfig,
            Some(context.cluster.as_str()),
            context.user.as_deref(),
        );
        let mut rebuild_at = None;
        if let Some(user_name) = context.user.as_deref() {
            let user = kubeconfig
                .auth_infos
                .iter_mut()
                .find(|u| u.name == user_name)
                .and_then(|u| u.auth_info.as_mut())
                .ok_or_else(|| {
                    bad(format!(
                        "its context names user '{user_name}', which it does not define"
                    ))
                })?;
            let eks = user.exec.as_ref().and_then(|exec| {
                let target = eks_token::target(
                    exec.command.as_deref().unwrap_or_default(),
                    exec.args.as_deref().unwrap_or_default(),
                )?;
                Some((target, exec_region(exec.env.as_deref())))
            });
            if let Some((target, env_region)) = eks {
                let token = self
                    .eks_token(&target, env_region)
                    .await
                    .map_err(|e| bad(e.to_string()))?;
                user.exec = None;
                user.token = Some(token.into());
                rebuild_at = Some(Instant::now() + eks_token::REFRESH_AFTER);
            }
        }
        let options = KubeConfigOptions {
            context: Some(context_name),
            ..KubeConfigOptions::default()
        };
        let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| bad(kubeconfig_problem(&e, &lines)))?;
        config.connect_timeout = Some(self.timeout);
        config.read_timeout = Some(self.timeout);
        config.write_timeout = Some(self.timeout);
        config.reset_reader_on_write = true;
        let client = kube::Client::try_from(config).map_err(|e| bad(client_problem(&e, &lines)))?;
        Ok((client, rebuild_at))
    }

    async fn eks_token(
        &self,
        target: &EksTarget,
        env_region: Option<String>,
    ) -> Result<String, EksTokenError> {
        let sdk = self
            .aws
            .get_or_init(|| gluelinks_aws::sdk_config(self.timeout))
            .await;
        let region = target
            .region
            .clone()
            .or(env_region)
            .or_else(|| sdk.region().map(|r| r.to_string()))
            .ok_or(EksTokenError::NoRegion)?;
        let credentials =
            gluelinks_aws::sigv4::role_credentials(sdk, self.timeout, "KUBE_TIMEOUT_SECONDS")
                .await?;
        Ok(eks_token::presign(
            &credentials,
            &region,
            &target.cluster,
            SystemTime::now(),
        )?)
    }
}

/// The most of the API server's own message a failure quotes (an admission webhook writes what it likes).
const STATUS_MESSAGE_LIMIT: usize = 500;

/// A message for a failed Kubernetes call (`what` says which), for any caller: our words, the status code
/// and reason of an API error, never the API server's own message (an admission webhook's or RBAC's text
/// names users, groups and objects), which is logged under the error id the message gives. Never carries
/// credentials.
pub fn describe(err: &kube::Error, what: &str) -> String {
    match err {
        kube::Error::Api(status) => {
            let reason = if status.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", bounded(&status.reason, STATUS_MESSAGE_LIMIT))
            };
            withheld(
                &format!("Kubernetes API error {what}{reason} (HTTP {})", status.code),
                &describe_in_full(err, what),
            )
        }
        other => describe_in_full(other, what),
    }
}

/// [`describe`] with the API server's own message, bounded: for operators who may write, who need a
/// webhook's or a policy's reason to act on it. Never carries credentials.
pub fn describe_in_full(err: &kube::Error, what: &str) -> String {
    match err {
        kube::Error::Api(status) => format!(
            "Kubernetes API error {what}: {} (HTTP {})",
            bounded(&status.message, STATUS_MESSAGE_LIMIT),
            status.code
        ),
        other if io_error_kind(other) == Some(std::io::ErrorKind::TimedOut) => {
            Timeout::of_setting("The cluster", "KUBE_TIMEOUT_SECONDS")
                .doing(what)
                .to_string()
        }
        other => match auth_problem_in(other) {
            Some(problem) => format!("Cannot authenticate to the cluster {what}: {problem}"),
            None => format!(
                "Cannot reach the cluster {what}: {}",
                connection_problem(other)
            ),
        },
    }
}

/// Why a call got no answer, from the innermost cause: the HTTP client's own wording ("client error
/// (SendRequest)") tells an operator nothing, the reset, refusal or timeout beneath it does.
fn connection_problem(err: &kube::Error) -> String {
    use std::io::ErrorKind::*;
    match io_error_kind(err) {
        Some(UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe) => {
            "the connection was closed before an answer".to_string()
        }
        Some(ConnectionRefused) => "connection refused".to_string(),
        _ => bounded(&errors::innermost(err), STATUS_MESSAGE_LIMIT),
    }
}

/// The kind of the first I/O error among a failed call's causes: how the connection failed (refused,
/// reset, timed out), beneath the HTTP client's own wording.
pub fn io_error_kind(err: &kube::Error) -> Option<std::io::ErrorKind> {
    errors::find_cause::<std::io::Error>(err).map(std::io::Error::kind)
}

/// `AWS_REGION` or `AWS_DEFAULT_REGION` set in the exec plugin's own environment.
fn exec_region(env: Option<&[HashMap<String, String>]>) -> Option<String> {
    env?.iter().find_map(|pair| {
        let name = pair.get("name")?;
        (name == "AWS_REGION" || name == "AWS_DEFAULT_REGION")
            .then(|| pair.get("value").cloned())
            .flatten()
    })
}

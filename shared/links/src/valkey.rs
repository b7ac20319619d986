//! The Valkey connection behind the links cache (ElastiCache Serverless, `rediss://`): one shared
//! connection, made on first use, with IAM authentication when configured and remade before its token's
//! 15 minutes end, after a broken connection, or after commands time out twice in a row; after a failed
//! connection no new attempt for a few seconds. Every connect and command is bounded by
//! `VALKEY_TIMEOUT_MS`. What is cached and for how long is [`crate::cache`]'s business.

use gluelinks_aws::elasticache::{self, IamAuth};
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::timeout::Timeout;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Mutex as AsyncMutex;

/// How long a failed connection keeps requests from trying again.
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// Commands timed out in a row after which the connection is presumed dead (dropped silently by the network
/// while the container was frozen) and remade: one slow reply alone does not end a connection.
const TIMEOUTS_TO_RECONNECT: u32 = 2;
/// Why the Valkey store did not answer.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// No connection: connecting failed now, or less than `RETRY_AFTER` ago, for this reason.
    #[error("cannot connect: {0}")]
    Unreachable(String),
    /// A command got no answer within `VALKEY_TIMEOUT_MS`.
    #[error(transparent)]
    Timeout(Timeout),
    /// The connection dropped or failed during a command; it is remade.
    #[error("the connection broke: {0}")]
    Broken(#[source] redis::RedisError),
    /// Valkey answered the command with an error.
    #[error("Valkey refused the command: {0}")]
    Command(#[source] redis::RedisError),
}

/// The shared connection to one Valkey server.
pub(crate) struct Valkey {
    client: redis::Client,
    /// IAM authentication (ElastiCache): each connection is made with a fresh token, and remade before the
    /// token's 15 minutes end.
    iam: Option<IamAuth>,
    timeout: Duration,
    /// The shared connection, and when it was made (wall-clock time, the clock IAM tokens are signed and
    /// expire by: a monotonic clock may stand still while Lambda freezes the environment).
    connection: AsyncMutex<Option<(ConnectionManager, SystemTime)>>,
    /// When connecting last failed, and why.
    failed_at: Mutex<Option<(Instant, String)>>,
    /// Commands timed out in a row on the shared connection; at [`TIMEOUTS_TO_RECONNECT`] it is remade.
    timeouts: AtomicU32,
    /// `host:port`, for messages.
    pub(crate) location: String,
}

impl Valkey {
    /// A connection to the server at `url` (`redis://` or `rediss://`), with IAM authentication when
    /// `VALKEY_IAM_USER` and `VALKEY_CACHE_NAME` say so; nothing is connected before the first command.
    pub(crate) fn from_env(url: &str, env: &Env, timeout: Duration) -> Result<Self, ConfigError> {
        let client = redis::Client::open(url).map_err(|e| {
            ConfigError::new(
                "VALKEY_URL",
                format!("is not a redis:// or rediss:// URL: {}", e),
            )
        })?;
        let info = client.get_connection_info();
        let iam = IamAuth::from_env(env, timeout)?;
        if iam.is_some() && !matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. }) {
            return Err(ConfigError::new(
                "VALKEY_URL",
                "must be rediss:// with VALKEY_IAM_USER: an IAM token is never sent unencrypted",
            ));
        }
        Ok(Valkey {
            location: info.addr().to_string(),
            client,
            iam,
            timeout,
            connection: AsyncMutex::new(None),
            failed_at: Mutex::new(None),
            timeouts: AtomicU32::new(0),
        })
    }

    /// The shared connection, made on first use; while the server is known to be unreachable, why.
    async fn connection(&self) -> Result<ConnectionManager, String> {
        let mut slot = self.connection.lock().await;
        if let Some((conn, made)) = slot.as_ref() {
            let young = SystemTime::now()
                .duration_since(*made)
                .is_ok_and(|age| age < elasticache::REFRESH_AFTER);
            if self.iam.is_none() || young {
                return Ok(conn.clone());
            }
        }
        let recent_failure = self
            .failed_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|(at, _)| at.elapsed() < RETRY_AFTER)
            .map(|(_, why)| why.clone());
        if let Some(why) = recent_failure {
            return Err(why);
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1);
        let connect = async {
            let client = self.client_now().await?;
            ConnectionManager::new_with_config(client, config)
                .await
                .map_err(|e| e.to_string())
        };
        match tokio::time::timeout(self.timeout * 2, connect).await {
            Ok(Ok(conn)) => {
                *slot = Some((conn.clone(), SystemTime::now()));
                Ok(conn)
            }
            outcome => {
                let reason = match outcome {
                    Ok(Err(e)) => e,
                    _ => format!("no answer within {} ms", (self.timeout * 2).as_millis()),
                };
                tracing::warn!(cache = %self.location, error = %reason, "cannot connect to Valkey; serving uncached");
                *self.failed_at.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((Instant::now(), reason.clone()));
                Err(reason)
            }
        }
    }

    /// The client to connect with now: the configured one, or with IAM its user and a token signed now.
    async fn client_now(&self) -> Result<redis::Client, String> {
        let Some(iam) = &self.iam else {
            return Ok(self.client.clone());
        };
        let token = iam.token().await.map_err(|e| e.to_string())?;
        let info = self.client.get_connection_info().clone();
        let settings = info
            .redis_settings()
            .clone()
            .set_username(iam.user())
            .set_password(token);
        redis::Client::open(info.set_redis_settings(settings)).map_err(|e| e.to_string())
    }

    /// `cmd` on the shared connection; when that connection has broken (a server restart, an idle
    /// connection dropped while the container was frozen), once more on a new one.
    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Pipeline) -> Result<T, CacheError> {
        match self.run_once(cmd).await {
            Err(CacheError::Broken(_)) => self.run_once(cmd).await,
            done => done,
        }
    }

    async fn run_once<T: redis::FromRedisValue>(
        &self,
        cmd: &redis::Pipeline,
    ) -> Result<T, CacheError> {
        let mut conn = self.connection().await.map_err(CacheError::Unreachable)?;
        match tokio::time::timeout(self.timeout, cmd.query_async::<T>(&mut conn)).await {
            Ok(Ok(value)) => {
                self.timeouts.store(0, Ordering::Relaxed);
                Ok(value)
            }
            // The client's own response timeout is an I/O error too, but the connection may be sound.
            Ok(Err(e)) if e.is_timeout() => Err(self.timed_out().await),
            Ok(Err(e)) => {
                // A dropped or refused connection (an expired IAM token among the causes) is remade, with
                // a new token, rather than used again.
                let broken = e.is_connection_dropped() || e.is_io_error();
                if broken || e.kind() == redis::ErrorKind::AuthenticationFailed {
                    *self.connection.lock().await = None;
                }
                Err(if broken {
                    CacheError::Broken(e)
                } else {
                    CacheError::Command(e)
                })
            }
            Err(_) => Err(self.timed_out().await),
        }
    }

    /// A command timed out: after [`TIMEOUTS_TO_RECONNECT`] in a row the connection is remade.
    async fn timed_out(&self) -> CacheError {
        if self.timeouts.fetch_add(1, Ordering::Relaxed) + 1 >= TIMEOUTS_TO_RECONNECT {
            self.timeouts.store(0, Ordering::Relaxed);
            *self.connection.lock().await = None;
        }
        CacheError::Timeout(Timeout::new("Valkey", self.timeout, "VALKEY_TIMEOUT_MS"))
    }

    pub(crate) async fn get(&self, key: &str) -> Option<String> {
        let mut pipe = redis::pipe();
        pipe.get(key);
        match self.run::<(Option<String>,)>(&pipe).await {
            Ok((value,)) => value,
            Err(e) => {
                tracing::warn!(error = %e, "reading the links cache failed; serving uncached");
                None
            }
        }
    }

    pub(crate) async fn set_many(
        &self,
        entries: &[(&str, String, Duration)],
    ) -> Result<(), CacheError> {
        let mut pipe = redis::pipe();
        for (key, text, keep) in entries {
            pipe.set_ex(*key, text, keep.as_secs().max(1)).ignore();
        }
        self.run::<()>(&pipe).await
    }

    pub(crate) async fn ping(&self) -> Result<(), CacheError> {
        let mut pipe = redis::pipe();
        pipe.cmd("PING");
        self.run::<(String,)>(&pipe).await.map(|_| ())
    }
}

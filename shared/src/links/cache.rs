//! The links cache: Valkey (ElastiCache Serverless, `rediss://`) when `VALKEY_URL` is set, else an
//! in-process map. Key `gluelinks:v1:{cluster}:{namespace}:{app}`.
//!
//! An entry stays fresh for `CACHE_TTL_SECONDS` but is kept for `CACHE_STALE_SECONDS`, so that when the
//! cluster cannot be read an expired copy can still be served (marked `stale`). Valkey is optional for
//! correctness: a dead or slow server costs each request at most two bounded calls, and after a failed
//! connection no new attempt is made for a few seconds.

use super::model::LinksResponse;
use crate::config::{ConfigError, Env};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex as AsyncMutex;

/// How long a failed connection keeps requests from trying again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

pub fn key(cluster: &str, namespace: &str, app: &str) -> String {
    format!("gluelinks:v1:{cluster}:{namespace}:{app}")
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    fresh_until_ms: u64,
    payload: LinksResponse,
}

/// A cached payload, and whether it is still within its TTL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub payload: LinksResponse,
    pub fresh: bool,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub struct Cache {
    ttl: Duration,
    keep: Duration,
    store: Store,
}

enum Store {
    Memory(Mutex<HashMap<String, (Instant, String)>>),
    Valkey(Box<Valkey>),
}

struct Valkey {
    client: redis::Client,
    timeout: Duration,
    connection: AsyncMutex<Option<ConnectionManager>>,
    failed_at: Mutex<Option<Instant>>,
    location: String,
}

impl Cache {
    /// `VALKEY_URL` (`redis://` or `rediss://`), `CACHE_TTL_SECONDS` (30), `CACHE_STALE_SECONDS` (86400),
    /// `VALKEY_TIMEOUT_MS` (100: the bound on connecting and on each command).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let ttl = Duration::from_secs(env.parse("CACHE_TTL_SECONDS", 30u64)?);
        let keep = Duration::from_secs(env.parse("CACHE_STALE_SECONDS", 86_400u64)?);
        if ttl.is_zero() || keep < ttl {
            return Err(ConfigError::new(
                "CACHE_STALE_SECONDS",
                "CACHE_TTL_SECONDS must be at least 1 and CACHE_STALE_SECONDS at least CACHE_TTL_SECONDS",
            ));
        }
        let timeout = Duration::from_millis(env.parse("VALKEY_TIMEOUT_MS", 100u64)?);
        let store = match env.get("VALKEY_URL") {
            None => Store::Memory(Mutex::new(HashMap::new())),
            Some(url) => {
                let client = redis::Client::open(url).map_err(|e| {
                    ConfigError::new(
                        "VALKEY_URL",
                        format!("is not a redis:// or rediss:// URL: {}", e),
                    )
                })?;
                let info = client.get_connection_info();
                Store::Valkey(Box::new(Valkey {
                    location: format!("{:?}", info.addr()),
                    client,
                    timeout,
                    connection: AsyncMutex::new(None),
                    failed_at: Mutex::new(None),
                }))
            }
        };
        Ok(Self { ttl, keep, store })
    }

    /// What the store is, for logs and readiness (no credentials).
    pub fn describe(&self) -> String {
        match &self.store {
            Store::Memory(_) => "in-process cache".into(),
            Store::Valkey(v) => format!("Valkey at {}", v.location),
        }
    }

    pub async fn get(&self, key: &str) -> Option<Hit> {
        let text = match &self.store {
            Store::Memory(map) => {
                let map = map.lock().unwrap_or_else(|p| p.into_inner());
                map.get(key)
                    .filter(|(until, _)| Instant::now() < *until)
                    .map(|(_, t)| t.clone())
            }
            Store::Valkey(v) => v.get(key).await,
        }?;
        let entry: Entry = serde_json::from_str(&text).ok()?;
        Some(Hit {
            fresh: now_ms() < entry.fresh_until_ms,
            payload: entry.payload,
        })
    }

    /// Stores payloads, fresh for `fresh_for` and kept for the stale period (or longer, if `fresh_for` is),
    /// in one round trip.
    pub async fn put_many(
        &self,
        entries: &[(String, &LinksResponse)],
        fresh_for: Duration,
    ) -> Result<(), String> {
        let keep = self.keep.max(fresh_for);
        let fresh_until_ms = now_ms() + fresh_for.as_millis() as u64;
        let texts: Vec<(&str, String)> = entries
            .iter()
            .map(|(key, payload)| {
                let entry = Entry {
                    fresh_until_ms,
                    payload: (*payload).clone(),
                };
                (
                    key.as_str(),
                    serde_json::to_string(&entry).expect("entries serialize"),
                )
            })
            .collect();
        match &self.store {
            Store::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                for (key, text) in texts {
                    map.insert(key.to_string(), (Instant::now() + keep, text));
                }
                Ok(())
            }
            Store::Valkey(v) => v.set_many(&texts, keep).await,
        }
    }

    pub async fn put(&self, key: &str, payload: &LinksResponse) {
        if let Err(e) = self.put_many(&[(key.to_string(), payload)], self.ttl).await {
            tracing::warn!(error = %e, "caching links failed; serving uncached");
        }
    }

    /// A round trip to the store, for readiness.
    pub async fn ping(&self) -> Result<(), String> {
        match &self.store {
            Store::Memory(_) => Ok(()),
            Store::Valkey(v) => v.ping().await,
        }
    }
}

impl Valkey {
    /// The shared connection, made on first use; `None` while the server is known to be unreachable.
    async fn connection(&self) -> Option<ConnectionManager> {
        let mut slot = self.connection.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Some(conn.clone());
        }
        let recently_failed = self
            .failed_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|at| at.elapsed() < RETRY_AFTER);
        if recently_failed {
            return None;
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1);
        let connect = ConnectionManager::new_with_config(self.client.clone(), config);
        match tokio::time::timeout(self.timeout * 2, connect).await {
            Ok(Ok(conn)) => {
                *slot = Some(conn.clone());
                Some(conn)
            }
            outcome => {
                let reason = match outcome {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".into(),
                };
                tracing::warn!(cache = %self.location, error = %reason, "cannot connect to Valkey; serving uncached");
                *self.failed_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
                None
            }
        }
    }

    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Pipeline) -> Result<T, String> {
        let mut conn = self.connection().await.ok_or("Valkey is unreachable")?;
        match tokio::time::timeout(self.timeout, cmd.query_async::<T>(&mut conn)).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => Err(format!(
                "Valkey did not answer within {} ms",
                self.timeout.as_millis()
            )),
        }
    }

    async fn get(&self, key: &str) -> Option<String> {
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

    async fn set_many(&self, entries: &[(&str, String)], keep: Duration) -> Result<(), String> {
        let mut pipe = redis::pipe();
        for (key, text) in entries {
            pipe.set_ex(*key, text, keep.as_secs().max(1)).ignore();
        }
        self.run::<()>(&pipe).await
    }

    async fn ping(&self) -> Result<(), String> {
        let mut pipe = redis::pipe();
        pipe.cmd("PING");
        self.run::<(String,)>(&pipe).await.map(|_| ())
    }
}

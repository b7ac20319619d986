//! The links cache: Valkey ([`crate::valkey`]) when `VALKEY_URL` is set, else a bounded
//! in-process cache. Keys are made by [`key`] alone, so the links and warm functions cannot disagree.
//!
//! An entry stays fresh for `CACHE_TTL_SECONDS` but is kept for `CACHE_STALE_SECONDS`, so that when the
//! cluster cannot be read an expired copy can still be served (marked `stale`). An "Application not found"
//! answer is the exception: fresh for `CACHE_MISSING_APP_SECONDS` at most and never kept past that, so an
//! app created since appears soon and a stale copy is never a not-found. Valkey is optional for
//! correctness: a dead or slow server costs each request at most two bounded calls, and after a failed
//! connection no new attempt is made for a few seconds.

pub use crate::valkey::CacheError;
use crate::valkey::Valkey;
use gluelinks_aws::elasticache::Diagnosis;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_links_model::model::LinksResponse;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The most the in-process cache holds, in bytes of keys and payloads: a small part of the links
/// function's 256 MB, whatever the number of apps; the least used entries go first.
const MEMORY_BYTES: u64 = 32 << 20;

/// The key of an app's links: `gluelinks:v1:{cluster}:{namespace}:{app}`, with `@{target}` after the
/// cluster when the workloads are read from another cluster than the Application (cluster names are DNS
/// labels, so `@` cannot be part of one). `namespace` is the one Argo CD names in its header.
pub fn key(cluster: &str, target: &str, namespace: &str, app: &str) -> String {
    if target == cluster {
        format!("gluelinks:v1:{cluster}:{namespace}:{app}")
    } else {
        format!("gluelinks:v1:{cluster}@{target}:{namespace}:{app}")
    }
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
    /// The links as cached.
    pub payload: LinksResponse,
    /// Whether it is within its TTL; an expired copy is served only when the clusters fail (as stale).
    pub fresh: bool,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Whether an expired copy of `payload` may be kept and served: not for an Application that was not found.
fn keeps_stale(payload: &LinksResponse) -> bool {
    payload.metadata.resources.argocd_app
}

/// The links cache, Valkey or in-process, with how long its entries stay fresh and are kept.
pub struct Cache {
    /// What ElastiCache says of the cache, asked only when it cannot be reached (readiness).
    diagnosis: Option<Diagnosis>,
    ttl: Duration,
    keep: Duration,
    missing_app: Duration,
    store: Store,
}

enum Store {
    Memory(moka::sync::Cache<String, Kept>),
    Valkey(Box<Valkey>),
}

/// An in-process entry: its text and how long it is kept.
#[derive(Clone)]
struct Kept {
    text: String,
    keep: Duration,
}

/// Each in-process entry expires after its own keeping period, as a Valkey entry does.
struct KeepEach;

impl moka::Expiry<String, Kept> for KeepEach {
    fn expire_after_create(&self, _: &String, kept: &Kept, _: Instant) -> Option<Duration> {
        Some(kept.keep)
    }

    fn expire_after_update(
        &self,
        _: &String,
        kept: &Kept,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(kept.keep)
    }
}

impl Cache {
    /// `VALKEY_URL` (`redis://` or `rediss://`; with `VALKEY_IAM_USER` and `VALKEY_CACHE_NAME`, `rediss://`
    /// with IAM authentication), `CACHE_TTL_SECONDS` (30), `CACHE_STALE_SECONDS` (86400),
    /// `CACHE_MISSING_APP_SECONDS` (10), `VALKEY_TIMEOUT_MS` (100: the bound on connecting and on each
    /// command).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let ttl = Duration::from_secs(env.parse("CACHE_TTL_SECONDS", 30u64)?);
        let keep = Duration::from_secs(env.parse("CACHE_STALE_SECONDS", 86_400u64)?);
        if ttl.is_zero() || keep < ttl {
            return Err(ConfigError::new(
                "CACHE_STALE_SECONDS",
                "CACHE_TTL_SECONDS must be at least 1 and CACHE_STALE_SECONDS at least CACHE_TTL_SECONDS",
            ));
        }
        let missing_app = Duration::from_secs(env.parse("CACHE_MISSING_APP_SECONDS", 10u64)?);
        if missing_app.is_zero() {
            return Err(ConfigError::new(
                "CACHE_MISSING_APP_SECONDS",
                "must be at least 1",
            ));
        }
        let timeout = Duration::from_millis(env.parse("VALKEY_TIMEOUT_MS", 100u64)?);
        let store = match env.get("VALKEY_URL") {
            None => Store::Memory(
                moka::sync::Cache::builder()
                    .max_capacity(MEMORY_BYTES)
                    .weigher(|key: &String, kept: &Kept| {
                        u32::try_from(key.len() + kept.text.len()).unwrap_or(u32::MAX)
                    })
                    .expire_after(KeepEach)
                    .build(),
            ),
            Some(url) => Store::Valkey(Box::new(Valkey::from_env(url, env, timeout)?)),
        };
        Ok(Self {
            diagnosis: Diagnosis::from_env(env, Duration::from_secs(2)),
            ttl,
            keep,
            missing_app,
            store,
        })
    }

    /// What ElastiCache says of the cache (its status and endpoint), when it names one: for a readiness
    /// answer after a failed ping.
    pub async fn diagnose(&self) -> Option<String> {
        match &self.diagnosis {
            Some(d) => Some(d.describe().await),
            None => None,
        }
    }

    /// What the store is, for logs and readiness (no credentials).
    pub fn describe(&self) -> String {
        match &self.store {
            Store::Memory(_) => "in-process cache".into(),
            Store::Valkey(v) => format!("Valkey at {}", v.location),
        }
    }

    /// The cached payload, fresh or not; an expired not-found is no hit (it is never served as stale).
    pub async fn get(&self, key: &str) -> Option<Hit> {
        let text = match &self.store {
            Store::Memory(cache) => cache.get(key).map(|kept| kept.text),
            Store::Valkey(v) => v.get(key).await,
        }?;
        let entry: Entry = serde_json::from_str(&text).ok()?;
        let fresh = now_ms() < entry.fresh_until_ms;
        (fresh || keeps_stale(&entry.payload)).then_some(Hit {
            fresh,
            payload: entry.payload,
        })
    }

    /// How long `payload` stays fresh and how long it is kept, when asked to stay fresh for `fresh_for`.
    fn lifetimes(&self, payload: &LinksResponse, fresh_for: Duration) -> (Duration, Duration) {
        if keeps_stale(payload) {
            (fresh_for, self.keep.max(fresh_for))
        } else {
            let brief = self.missing_app.min(fresh_for);
            (brief, brief)
        }
    }

    /// Stores payloads, fresh for `fresh_for` and kept for the stale period (or longer, if `fresh_for` is),
    /// in one round trip; a not-found only briefly (see the module's doc).
    pub async fn put_many(
        &self,
        entries: &[(String, &LinksResponse)],
        fresh_for: Duration,
    ) -> Result<(), CacheError> {
        let now = now_ms();
        let texts: Vec<(&str, String, Duration)> = entries
            .iter()
            .map(|(key, payload)| {
                let (fresh, keep) = self.lifetimes(payload, fresh_for);
                let entry = Entry {
                    fresh_until_ms: now + fresh.as_millis() as u64,
                    payload: (*payload).clone(),
                };
                (
                    key.as_str(),
                    serde_json::to_string(&entry).expect("entries serialize"),
                    keep,
                )
            })
            .collect();
        match &self.store {
            Store::Memory(cache) => {
                for (key, text, keep) in texts {
                    cache.insert(key.to_string(), Kept { text, keep });
                }
                Ok(())
            }
            Store::Valkey(v) => v.set_many(&texts).await,
        }
    }

    /// Stores `payload` under `key`, fresh for `CACHE_TTL_SECONDS`; a failure is logged, and the answer
    /// goes out uncached.
    pub async fn put(&self, key: &str, payload: &LinksResponse) {
        if let Err(e) = self.put_many(&[(key.to_string(), payload)], self.ttl).await {
            tracing::warn!(error = %e, "caching links failed; serving uncached");
        }
    }

    /// A round trip to the store, for readiness.
    pub async fn ping(&self) -> Result<(), CacheError> {
        match &self.store {
            Store::Memory(_) => Ok(()),
            Store::Valkey(v) => v.ping().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gluelinks_links_model::LinkSettings;

    fn cache(pairs: &[(&str, &str)]) -> Cache {
        Cache::from_env(&Env::from_pairs(pairs.iter().copied())).unwrap()
    }

    /// Links of an app that exists, or of one Argo CD does not have.
    fn payload(app: &str, found: bool) -> LinksResponse {
        let settings = LinkSettings::from_env(&Env::from_pairs([])).unwrap();
        let mut payload =
            gluelinks_links_model::fixtures::fixture("all-ok", app, &settings).unwrap();
        payload.metadata.resources.argocd_app = found;
        payload
    }

    #[test]
    fn keys_name_the_workloads_cluster_when_it_is_another() {
        let cases = [
            (
                ("prod", "prod", "nonprod", "taco"),
                "gluelinks:v1:prod:nonprod:taco",
            ),
            (
                ("prod", "edge-1", "nonprod", "taco"),
                "gluelinks:v1:prod@edge-1:nonprod:taco",
            ),
        ];
        for ((cluster, target, namespace, app), expected) in cases {
            assert_eq!(key(cluster, target, namespace, app), expected);
        }
    }

    #[tokio::test]
    async fn a_missing_app_is_fresh_briefly_and_never_stale() {
        let cache = cache(&[
            ("CACHE_TTL_SECONDS", "2"),
            ("CACHE_STALE_SECONDS", "60"),
            ("CACHE_MISSING_APP_SECONDS", "1"),
        ]);
        let (found, missing) = (payload("found", true), payload("missing", false));
        cache.put("k:found", &found).await;
        cache.put("k:missing", &missing).await;
        let hit = |payload: &LinksResponse, fresh| {
            Some(Hit {
                payload: payload.clone(),
                fresh,
            })
        };
        assert_eq!(cache.get("k:missing").await, hit(&missing, true));

        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(cache.get("k:missing").await, None);
        assert_eq!(cache.get("k:found").await, hit(&found, true));

        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(
            cache.get("k:found").await,
            hit(&found, false),
            "an app that exists is kept, to be served stale"
        );
        let Store::Memory(memory) = &cache.store else {
            unreachable!("no VALKEY_URL")
        };
        memory.run_pending_tasks();
        assert_eq!(memory.entry_count(), 1, "the not-found is gone, not kept");
    }

    #[tokio::test]
    async fn the_in_process_cache_is_bounded() {
        let cache = cache(&[]);
        let payload = payload("taco-backend-prod", true);
        let entry_bytes = serde_json::to_string(&payload).unwrap().len() as u64;
        let keys: Vec<String> = (0..2 * MEMORY_BYTES / entry_bytes)
            .map(|i| format!("gluelinks:v1:prod:nonprod:app-{i}"))
            .collect();
        let entries: Vec<(String, &LinksResponse)> =
            keys.iter().map(|k| (k.clone(), &payload)).collect();
        cache
            .put_many(&entries, Duration::from_secs(30))
            .await
            .unwrap();
        let Store::Memory(memory) = &cache.store else {
            unreachable!("no VALKEY_URL")
        };
        memory.run_pending_tasks();
        assert!(
            memory.weighted_size() <= MEMORY_BYTES,
            "{} bytes held",
            memory.weighted_size()
        );
        assert!(memory.entry_count() < keys.len() as u64);
    }
}

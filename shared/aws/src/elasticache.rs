//! IAM authentication to ElastiCache for Valkey: the password a function sends with `AUTH <user> <token>`
//! is a SigV4-presigned `connect` request made natively from the function's own role, valid for 15
//! minutes. So no cache password exists anywhere: not in the template, the environment or a secret.

use crate::sigv4::{presigned_url, role_credentials, CredentialsError, SignError};
use aws_credential_types::Credentials;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::timeout::Timeout;
use std::time::{Duration, SystemTime};
use tokio::sync::OnceCell;

/// How long ElastiCache accepts a token after signing.
pub const TOKEN_EXPIRES: Duration = Duration::from_secs(900);
/// Connections are remade with a new token well before that.
pub const REFRESH_AFTER: Duration = Duration::from_secs(10 * 60);

/// The auth token of `user_id` for the serverless cache `cache_name`, signed at `now`.
pub fn auth_token(
    credentials: &Credentials,
    region: &str,
    cache_name: &str,
    user_id: &str,
    now: SystemTime,
) -> Result<String, SignError> {
    let url =
        format!("https://{cache_name}/?Action=connect&User={user_id}&ResourceType=ServerlessCache");
    let signed = presigned_url(
        credentials,
        region,
        "elasticache",
        &url,
        &[],
        TOKEN_EXPIRES,
        now,
    )?;
    Ok(signed.trim_start_matches("https://").to_string())
}

/// Why no token could be made.
#[derive(Debug, thiserror::Error)]
pub enum IamAuthError {
    /// The function's AWS configuration names no region.
    #[error("no AWS region: set AWS_REGION")]
    NoRegion,
    /// The function role's credentials, to sign with, could not be had.
    #[error("cannot sign the cache's IAM auth token: {0}")]
    Credentials(#[from] CredentialsError),
    /// The token could not be signed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// IAM auth for one cache user: `VALKEY_IAM_USER` (the ElastiCache user id) on `VALKEY_CACHE_NAME`.
pub struct IamAuth {
    user: String,
    cache: String,
    timeout: Duration,
    aws: OnceCell<aws_config::SdkConfig>,
}

/// An ElastiCache user id or cache name: a lowercase letter, then lowercase letters, digits and hyphens
/// (at most 40), as ElastiCache stores them.
fn is_elasticache_name(s: &str) -> bool {
    s.len() <= 40
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl IamAuth {
    /// `None` unless `VALKEY_IAM_USER` is set; then `VALKEY_CACHE_NAME` must be too. Credentials come from
    /// the function's role when the first token is needed (no call at init).
    pub fn from_env(env: &Env, timeout: Duration) -> Result<Option<Self>, ConfigError> {
        let Some(user) = env.get("VALKEY_IAM_USER") else {
            return Ok(None);
        };
        let cache = env.get("VALKEY_CACHE_NAME").unwrap_or_default();
        for (name, value) in [("VALKEY_IAM_USER", user), ("VALKEY_CACHE_NAME", cache)] {
            if !is_elasticache_name(value) {
                return Err(ConfigError::new(
                    name,
                    "must be an ElastiCache name: a lowercase letter, then lowercase letters, digits and hyphens (set both VALKEY_IAM_USER and VALKEY_CACHE_NAME)",
                ));
            }
        }
        Ok(Some(Self {
            user: user.to_string(),
            cache: cache.to_string(),
            timeout,
            aws: OnceCell::new(),
        }))
    }

    /// The ElastiCache user id (`VALKEY_IAM_USER`): the user name a connection authenticates as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// A fresh token, signed now with the role's credentials (fetched within the timeout).
    pub async fn token(&self) -> Result<String, IamAuthError> {
        let sdk = self
            .aws
            .get_or_init(|| super::sdk_config(self.timeout))
            .await;
        let region = sdk.region().ok_or(IamAuthError::NoRegion)?.to_string();
        let credentials = role_credentials(sdk, self.timeout, "VALKEY_TIMEOUT_MS").await?;
        Ok(auth_token(
            &credentials,
            &region,
            &self.cache,
            &self.user,
            SystemTime::now(),
        )?)
    }
}

/// What ElastiCache itself says of the cache (`VALKEY_CACHE_NAME`), for a readiness answer when the cache
/// cannot be reached: its status and endpoint, or why ElastiCache could not be asked. One
/// `DescribeServerlessCaches` call, only then: never at init or on the request path.
pub struct Diagnosis {
    cache: String,
    timeout: Duration,
    aws: OnceCell<aws_config::SdkConfig>,
}

impl Diagnosis {
    /// `None` unless `VALKEY_CACHE_NAME` names a cache.
    pub fn from_env(env: &Env, timeout: Duration) -> Option<Self> {
        let cache = env
            .get("VALKEY_CACHE_NAME")
            .filter(|c| is_elasticache_name(c))?;
        Some(Self {
            cache: cache.to_string(),
            timeout,
            aws: OnceCell::new(),
        })
    }

    /// One sentence for a readiness answer: the cache's status and endpoint, that ElastiCache has no such
    /// cache, or why it could not be asked (the summary only: readiness is public). Bounded by the timeout.
    pub async fn describe(&self) -> String {
        let sdk = self
            .aws
            .get_or_init(|| super::sdk_config(self.timeout))
            .await;
        let client = aws_sdk_elasticache::Client::new(sdk);
        let ask = client
            .describe_serverless_caches()
            .serverless_cache_name(&self.cache)
            .send();
        let name = &self.cache;
        match tokio::time::timeout(self.timeout, ask).await {
            Err(_) => Timeout::new("ElastiCache", self.timeout, "readiness' own bound")
                .doing(format!("about cache '{name}'"))
                .to_string(),
            // The summary only: readiness is public, and AWS's message may name the account and role.
            Ok(Err(e)) => format!(
                "ElastiCache could not be asked about cache '{name}': {}",
                crate::failure::describe("ElastiCache", &e, || {
                    Timeout::new("ElastiCache", self.timeout, "readiness' own bound")
                })
                .summary
            ),
            Ok(Ok(out)) => match out.serverless_caches().first() {
                None => format!("ElastiCache has no serverless cache named '{name}'"),
                Some(cache) => {
                    let status = cache.status().unwrap_or("in an unknown state");
                    match cache.endpoint() {
                        Some(at) => format!(
                            "ElastiCache says cache '{name}' is {status}, at {}:{}",
                            at.address().unwrap_or("?"),
                            at.port().map_or("?".to_string(), |p| p.to_string())
                        ),
                        None => format!(
                            "ElastiCache says cache '{name}' is {status}, with no endpoint yet"
                        ),
                    }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_a_presigned_connect_for_the_user_and_cache() {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("session-token-example".into()),
            None,
            "test",
        );
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_384_800);
        let token = auth_token(
            &credentials,
            "us-east-1",
            "gluelinks-links",
            "gluelinks-app",
            at,
        )
        .unwrap();
        let (host, query) = token.split_once("/?").unwrap();
        assert_eq!(host, "gluelinks-links");
        let params = crate::sigv4::query_params(query);
        assert_eq!(params["Action"], "connect");
        assert_eq!(params["User"], "gluelinks-app");
        assert_eq!(params["ResourceType"], "ServerlessCache");
        assert_eq!(params["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
        assert_eq!(
            params["X-Amz-Credential"],
            "AKIDEXAMPLE/20261122/us-east-1/elasticache/aws4_request"
        );
        assert_eq!(params["X-Amz-Expires"], "900");
        assert_eq!(params["X-Amz-SignedHeaders"], "host");
        assert_eq!(params["X-Amz-Security-Token"], "session-token-example");
        assert_eq!(params["X-Amz-Signature"].len(), 64);
        assert!(
            !token.contains("wJalrXUtnFEMI"),
            "the secret key never appears"
        );
        let other = auth_token(
            &credentials,
            "us-east-1",
            "gluelinks-links",
            "someone-else",
            at,
        )
        .unwrap();
        assert_ne!(token, other, "the user is signed");
    }

    #[test]
    fn settings_name_a_user_and_a_cache() {
        let t = Duration::from_secs(1);
        assert!(IamAuth::from_env(&Env::default(), t).unwrap().is_none());
        let both = Env::from_pairs([
            ("VALKEY_IAM_USER", "gluelinks-app"),
            ("VALKEY_CACHE_NAME", "gluelinks-links"),
        ]);
        assert_eq!(
            IamAuth::from_env(&both, t).unwrap().unwrap().user(),
            "gluelinks-app"
        );
        let no_cache = Env::from_pairs([("VALKEY_IAM_USER", "gluelinks-app")]);
        assert_eq!(
            IamAuth::from_env(&no_cache, t).err().unwrap().name,
            "VALKEY_CACHE_NAME"
        );
        let odd = Env::from_pairs([("VALKEY_IAM_USER", "a&b"), ("VALKEY_CACHE_NAME", "c")]);
        assert_eq!(
            IamAuth::from_env(&odd, t).err().unwrap().name,
            "VALKEY_IAM_USER"
        );
    }
}

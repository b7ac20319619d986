//! Who may call what: bearer tokens in two scopes, read and write.
//!
//! Argo CD's proxy strips `Authorization` from browser calls, so a token is also accepted in a configurable
//! header, which the extension config fills from `argocd-secret`. A value starting with `$` is a placeholder
//! Argo CD left unresolved and never matches. With no token configured every protected route is refused
//! (fail closed) unless auth is explicitly disabled, which only local runs do.
//!
//! The identity headers Argo CD forwards (`Argocd-Username`, …) are not decided on here: a browser can
//! forge them, so callers only log them, marked unverified.

use crate::config::{ConfigError, Env};
use lambda_http::http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a route requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Health and the API description.
    Public,
    /// Links, fixtures, clusters, secrets list.
    Read,
    /// Secrets add.
    Write,
}

/// What a request was granted; logged for audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    Anonymous,
    Read,
    Write,
    /// Auth is disabled (local runs only).
    Unchecked,
}

impl Grant {
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::Anonymous => "anonymous",
            Grant::Read => "read",
            Grant::Write => "write",
            Grant::Unchecked => "auth-disabled",
        }
    }
}

#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("Missing token: send 'Authorization: Bearer <token>' or the '{header}' header")]
    Missing { header: String },
    #[error("Invalid token")]
    Invalid,
    #[error("This route needs the write token; the token sent only grants read access")]
    ReadOnly,
}

impl AuthError {
    pub fn status(&self) -> u16 {
        match self {
            AuthError::Missing { .. } | AuthError::Invalid => 401,
            AuthError::ReadOnly => 403,
        }
    }
}

const MIN_TOKEN_LEN: usize = 16;
pub const DEFAULT_HEADER: &str = crate::http::headers::DEFAULT_TOKEN;

/// A configured token, kept only as its SHA-256 digest: a deployed function is given the digest
/// (`AUTH_*_TOKEN_SHA256`), so the token itself is in no function's configuration.
#[derive(Clone, PartialEq, Eq)]
struct TokenDigest([u8; 32]);

impl TokenDigest {
    fn of(token: &[u8]) -> Self {
        Self(Sha256::digest(token).into())
    }

    /// 64 hexadecimal digits, as `sha256sum` prints them.
    fn parse_hex(hex: &str) -> Option<Self> {
        let hex = hex.trim().to_ascii_lowercase();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut digest = [0u8; 32];
        for (i, byte) in digest.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(digest))
    }

    fn matches(&self, candidate: &Self) -> bool {
        self.0.ct_eq(&candidate.0).into()
    }
}

impl std::fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<token digest>")
    }
}

#[derive(Clone, Debug)]
pub struct Auth {
    disabled: bool,
    header: String,
    read: Option<TokenDigest>,
    write: Option<TokenDigest>,
}

impl Auth {
    /// `AUTH_READ_TOKEN_SHA256` / `AUTH_WRITE_TOKEN_SHA256` (the hex SHA-256 of each token; deployed
    /// functions), or `AUTH_READ_TOKEN` / `AUTH_WRITE_TOKEN` (the tokens themselves; local runs only),
    /// `AUTH_HEADER` (default `X-GlueLinks-Token`) and `AUTH_DISABLED` (local runs only).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let in_lambda = env.in_lambda();
        let token = |name: &str| -> Result<Option<TokenDigest>, ConfigError> {
            let digest_name = format!("{name}_SHA256");
            match (env.get(name), env.get(&digest_name)) {
                (None, None) => Ok(None),
                (Some(_), Some(_)) => Err(ConfigError::new(
                    name,
                    format!("set either {name} or {digest_name}, not both"),
                )),
                (None, Some(hex)) => TokenDigest::parse_hex(hex).map(Some).ok_or_else(|| {
                    ConfigError::new(
                        &digest_name,
                        "is not a SHA-256 digest: 64 hexadecimal digits, as `printf %s \"$TOKEN\" | sha256sum` prints",
                    )
                }),
                (Some(_), None) if in_lambda => Err(ConfigError::new(
                    name,
                    format!("a deployed function never takes a token in plain text: set {digest_name} to its SHA-256 instead"),
                )),
                (Some(t), None) if t.starts_with('$') => Err(ConfigError::new(
                    name,
                    "starts with '$': an unresolved placeholder is not a token",
                )),
                (Some(t), None) if t.len() < MIN_TOKEN_LEN => Err(ConfigError::new(
                    name,
                    format!("is shorter than {MIN_TOKEN_LEN} characters"),
                )),
                (Some(t), None) => Ok(Some(TokenDigest::of(t.as_bytes()))),
            }
        };
        let header = env.string("AUTH_HEADER", DEFAULT_HEADER);
        if lambda_http::http::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(ConfigError::new(
                "AUTH_HEADER",
                format!("{header:?} is not a valid HTTP header name"),
            ));
        }
        let disabled = env.flag("AUTH_DISABLED", false)?;
        if disabled && in_lambda {
            return Err(ConfigError::new(
                "AUTH_DISABLED",
                "is for local runs only; a function running in AWS Lambda always checks tokens",
            ));
        }
        Ok(Self {
            disabled,
            header,
            read: token("AUTH_READ_TOKEN")?,
            write: token("AUTH_WRITE_TOKEN")?,
        })
    }

    /// True when protected routes can never succeed: nothing configured and auth not disabled.
    pub fn refuses_everything(&self) -> bool {
        !self.disabled && self.read.is_none() && self.write.is_none()
    }

    pub fn header(&self) -> &str {
        &self.header
    }

    /// Logs the settings' consequences once per container, loudly where they are unsafe or useless.
    pub fn announce(&self) {
        if self.disabled {
            tracing::warn!("AUTH_DISABLED=true: every route is open to anyone who can reach it; use this only for local runs");
        } else if self.refuses_everything() {
            tracing::error!(
                "no AUTH_READ_TOKEN or AUTH_WRITE_TOKEN is set: every protected route answers 401"
            );
        }
    }

    pub fn check(&self, headers: &HeaderMap, scope: Scope) -> Result<Grant, AuthError> {
        if scope == Scope::Public {
            return Ok(Grant::Anonymous);
        }
        if self.disabled {
            return Ok(Grant::Unchecked);
        }
        let presented = self.presented(headers);
        if presented.is_empty() {
            return Err(AuthError::Missing {
                header: self.header.clone(),
            });
        }
        let grant = presented
            .iter()
            .map(|candidate| self.grant_for(candidate))
            .max_by_key(|g| match g {
                Grant::Write => 2,
                Grant::Read => 1,
                _ => 0,
            })
            .unwrap_or(Grant::Anonymous);
        match (grant, scope) {
            (Grant::Anonymous, _) => Err(AuthError::Invalid),
            (Grant::Read, Scope::Write) => Err(AuthError::ReadOnly),
            (grant, _) => Ok(grant),
        }
    }

    /// Every token the request carries: the bearer token and the configured header's value.
    fn presented<'a>(&self, headers: &'a HeaderMap) -> Vec<&'a [u8]> {
        let bearer = headers
            .get_all("authorization")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim().as_bytes())
            });
        let custom = headers
            .get_all(self.header.as_str())
            .iter()
            .map(|v| v.as_bytes());
        bearer
            .chain(custom)
            .map(<[u8]>::trim_ascii)
            .filter(|t| !t.is_empty())
            .collect()
    }

    /// Compares the candidate's digest against both tokens' digests, always both, in constant time.
    fn grant_for(&self, candidate: &[u8]) -> Grant {
        if candidate.starts_with(b"$") {
            return Grant::Anonymous;
        }
        let candidate = TokenDigest::of(candidate);
        let matches = |configured: &Option<TokenDigest>| {
            configured.as_ref().is_some_and(|t| t.matches(&candidate))
        };
        let (is_write, is_read) = (matches(&self.write), matches(&self.read));
        if is_write {
            Grant::Write
        } else if is_read {
            Grant::Read
        } else {
            Grant::Anonymous
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: &str = "read-token-0123456789";
    const WRITE: &str = "write-token-0123456789";

    fn auth(pairs: &[(&str, &str)]) -> Auth {
        Auth::from_env(&Env::from_pairs(pairs.iter().copied())).unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                lambda_http::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn grants_by_token_and_scope() {
        let configured = auth(&[("AUTH_READ_TOKEN", READ), ("AUTH_WRITE_TOKEN", WRITE)]);
        let bearer_read = format!("Bearer {READ}");
        let bearer_write = format!("bearer {WRITE}");
        let missing = Err(AuthError::Missing {
            header: DEFAULT_HEADER.into(),
        });
        type Case<'a> = (Vec<(&'a str, &'a str)>, Scope, Result<Grant, AuthError>);
        let cases: Vec<Case> = vec![
            (vec![], Scope::Public, Ok(Grant::Anonymous)),
            (vec![], Scope::Read, missing.clone()),
            (vec![("authorization", "Basic abc")], Scope::Read, missing),
            (
                vec![("authorization", &bearer_read)],
                Scope::Read,
                Ok(Grant::Read),
            ),
            (
                vec![("authorization", &bearer_read)],
                Scope::Write,
                Err(AuthError::ReadOnly),
            ),
            (
                vec![("authorization", &bearer_write)],
                Scope::Write,
                Ok(Grant::Write),
            ),
            (
                vec![("authorization", &bearer_write)],
                Scope::Read,
                Ok(Grant::Write),
            ),
            (
                vec![("x-gluelinks-token", READ)],
                Scope::Read,
                Ok(Grant::Read),
            ),
            (
                vec![("x-gluelinks-token", "wrong-token-0123456789")],
                Scope::Read,
                Err(AuthError::Invalid),
            ),
            (
                vec![("x-gluelinks-token", "$gluelinks.token")],
                Scope::Read,
                Err(AuthError::Invalid),
            ),
            // Argo CD sends the header even when its secret lacks the key; a real bearer still counts.
            (
                vec![
                    ("x-gluelinks-token", "$gluelinks.token"),
                    ("authorization", &bearer_write),
                ],
                Scope::Write,
                Ok(Grant::Write),
            ),
            (
                vec![("x-gluelinks-token", &READ[..READ.len() - 1])],
                Scope::Read,
                Err(AuthError::Invalid),
            ),
        ];
        for (hdrs, scope, expected) in cases {
            assert_eq!(
                configured.check(&headers(&hdrs), scope),
                expected,
                "{hdrs:?} {scope:?}"
            );
        }
    }

    #[test]
    fn fails_closed_without_tokens_unless_disabled() {
        let none = auth(&[]);
        assert!(none.refuses_everything());
        let any = headers(&[("authorization", "Bearer anything-at-all-here")]);
        assert_eq!(none.check(&any, Scope::Read), Err(AuthError::Invalid));
        assert_eq!(
            none.check(&HeaderMap::new(), Scope::Public),
            Ok(Grant::Anonymous)
        );
        let open = auth(&[("AUTH_DISABLED", "true")]);
        assert_eq!(
            open.check(&HeaderMap::new(), Scope::Write),
            Ok(Grant::Unchecked)
        );
    }

    #[test]
    fn custom_header_and_bad_settings() {
        let custom = auth(&[
            ("AUTH_HEADER", "X-Argo-Ext-Token"),
            ("AUTH_READ_TOKEN", READ),
        ]);
        assert_eq!(
            custom.check(&headers(&[("x-argo-ext-token", READ)]), Scope::Read),
            Ok(Grant::Read)
        );
        let bad = [
            ("AUTH_READ_TOKEN", "tiny7x"),
            ("AUTH_WRITE_TOKEN", "$argocd-secret-placeholder"),
            ("AUTH_HEADER", "bad header"),
            ("AUTH_DISABLED", "maybe"),
        ];
        for (name, value) in bad {
            let err = Auth::from_env(&Env::from_pairs([(name, value)])).unwrap_err();
            assert_eq!(err.name, name);
            if name.ends_with("TOKEN") {
                assert!(!err.to_string().contains(value), "{err} echoes the token");
            }
        }
        let debug = format!("{:?}", auth(&[("AUTH_READ_TOKEN", READ)]));
        assert!(!debug.contains(READ), "{debug}");
    }

    fn sha256_hex(token: &str) -> String {
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn deployed_functions_take_digests_never_plain_tokens_nor_disabled_auth() {
        let read_digest = sha256_hex(READ);
        let write_digest = sha256_hex(WRITE).to_ascii_uppercase();
        let lambda = [("LAMBDA_TASK_ROOT", "/var/task")];
        let with = |pairs: &[(&str, &str)]| {
            Auth::from_env(&Env::from_pairs(lambda.iter().chain(pairs).copied()))
        };
        let deployed = with(&[
            ("AUTH_READ_TOKEN_SHA256", &read_digest),
            ("AUTH_WRITE_TOKEN_SHA256", &write_digest),
        ])
        .unwrap();
        let cases = [
            (READ, Scope::Read, Ok(Grant::Read)),
            (READ, Scope::Write, Err(AuthError::ReadOnly)),
            (WRITE, Scope::Write, Ok(Grant::Write)),
            (read_digest.as_str(), Scope::Read, Err(AuthError::Invalid)),
        ];
        for (token, scope, expected) in cases {
            let sent = headers(&[("x-gluelinks-token", token)]);
            assert_eq!(deployed.check(&sent, scope), expected, "{token}");
        }
        let refused = [
            (
                &[("AUTH_READ_TOKEN", READ)][..],
                "AUTH_READ_TOKEN",
                "AUTH_READ_TOKEN_SHA256",
            ),
            (
                &[("AUTH_DISABLED", "true")][..],
                "AUTH_DISABLED",
                "local runs only",
            ),
            (
                &[("AUTH_WRITE_TOKEN_SHA256", "abc")][..],
                "AUTH_WRITE_TOKEN_SHA256",
                "64 hexadecimal digits",
            ),
        ];
        for (pairs, name, says) in refused {
            let err = with(pairs).unwrap_err();
            assert_eq!(err.name, name);
            assert!(err.to_string().contains(says), "{err}");
            assert!(!err.to_string().contains(READ), "{err}");
        }
        let both = Auth::from_env(&Env::from_pairs([
            ("AUTH_READ_TOKEN", READ),
            ("AUTH_READ_TOKEN_SHA256", read_digest.as_str()),
        ]));
        assert!(both.unwrap_err().to_string().contains("not both"));
    }
}

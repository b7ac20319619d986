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
pub const DEFAULT_HEADER: &str = "X-GlueLinks-Token";

#[derive(Clone)]
pub struct Auth {
    disabled: bool,
    header: String,
    read: Option<Vec<u8>>,
    write: Option<Vec<u8>>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("disabled", &self.disabled)
            .field("header", &self.header)
            .field("read", &self.read.as_ref().map(|_| "<set>"))
            .field("write", &self.write.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl Auth {
    /// `AUTH_READ_TOKEN`, `AUTH_WRITE_TOKEN`, `AUTH_HEADER` (default `X-GlueLinks-Token`), `AUTH_DISABLED`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let token = |name: &str| -> Result<Option<Vec<u8>>, ConfigError> {
            match env.get(name) {
                None => Ok(None),
                Some(t) if t.starts_with('$') => Err(ConfigError::new(
                    name,
                    "starts with '$': an unresolved placeholder is not a token",
                )),
                Some(t) if t.len() < MIN_TOKEN_LEN => Err(ConfigError::new(
                    name,
                    format!("is shorter than {MIN_TOKEN_LEN} characters"),
                )),
                Some(t) => Ok(Some(t.as_bytes().to_vec())),
            }
        };
        let header = env.string("AUTH_HEADER", DEFAULT_HEADER);
        if lambda_http::http::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(ConfigError::new(
                "AUTH_HEADER",
                format!("{header:?} is not a valid HTTP header name"),
            ));
        }
        Ok(Self {
            disabled: env.flag("AUTH_DISABLED", false)?,
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

    /// Compares against both tokens, always both, in constant time for equal lengths.
    fn grant_for(&self, candidate: &[u8]) -> Grant {
        if candidate.starts_with(b"$") {
            return Grant::Anonymous;
        }
        let matches = |configured: &Option<Vec<u8>>| {
            configured
                .as_deref()
                .is_some_and(|t| bool::from(t.ct_eq(candidate)))
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
}

//! Who may call what.
//!
//! Two kinds of caller, each reaching only its own routes ([`Scope`]):
//! - **Argo CD's proxy**, calling for every user allowed to invoke the extension. Argo CD strips
//!   `Authorization` from browser calls, so it sends a *proxy token* in a configurable header, from
//!   `argocd-secret`. A proxy token reaches links, fixtures and readiness only, and can be bound to the
//!   clusters its Argo CD may ask about (one token per Argo CD), so one Argo CD's users cannot read
//!   another's apps.
//! - **Operators and CI**, for the cluster list and credential secrets. In the deployed stack API Gateway
//!   authorises these routes with AWS IAM (SigV4) and hands the caller's ARN to the function in the
//!   request context, where [`Grants`] (`OPERATOR_GRANTS`) give each principal its clusters and list or
//!   write. Where IAM is not in front (local runs, other setups), an *operator token* lists and writes on
//!   every cluster.
//!
//! Each kind takes several token digests, so a token is rotated with overlap. A value starting with `$` is
//! a placeholder Argo CD left unresolved and never matches. With nothing configured every protected route
//! is refused (fail closed) unless auth is explicitly disabled, which only local runs may do.
//!
//! The identity headers Argo CD forwards (`Argocd-Username`, …) are not decided on here: a browser can
//! forge them, so callers only log them, marked unverified.

use crate::config::{ConfigError, Env};
use http::HeaderMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use subtle::ConstantTimeEq;

/// What a route requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Health and the API description.
    Public,
    /// What Argo CD's proxy calls: links, fixtures, readiness.
    Proxy,
    /// Operators: the cluster list and the credential listing.
    List,
    /// Operators who may write: credential writes.
    Write,
}

/// Which clusters a caller may reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clusters {
    /// Every cluster.
    Any,
    /// Only these clusters, by name.
    Only(BTreeSet<String>),
}

impl Clusters {
    /// Whether `cluster` is one of them.
    pub fn allows(&self, cluster: &str) -> bool {
        match self {
            Clusters::Any => true,
            Clusters::Only(names) => names.contains(cluster),
        }
    }

    fn union(self, other: Clusters) -> Clusters {
        match (self, other) {
            (Clusters::Only(mut a), Clusters::Only(b)) => {
                a.extend(b);
                Clusters::Only(a)
            }
            _ => Clusters::Any,
        }
    }
}

/// What an operator may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// List only.
    List,
    /// List and write.
    Write,
}

/// Who a request was found to come from, and what it may reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A public route: no credential looked at.
    Anonymous,
    /// Argo CD's proxy, by one of the proxy tokens.
    Proxy {
        /// Which proxy token, as [`Caller::principal`] names it.
        principal: String,
        /// The clusters the token is bound to, or any.
        clusters: Clusters,
    },
    /// An operator: an AWS principal granted by `OPERATOR_GRANTS`, or an operator token.
    Operator {
        /// The AWS principal's ARN, or which operator token, as [`Caller::principal`] names it.
        principal: String,
        /// The clusters it is granted (any, for an operator token).
        clusters: Clusters,
        /// Whether it may list only, or also write.
        access: Access,
    },
    /// Auth is disabled (local runs only).
    Unchecked,
}

impl Caller {
    /// The kind of caller, for the request log line and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Caller::Anonymous => "anonymous",
            Caller::Proxy { .. } => "proxy",
            Caller::Operator { .. } => "operator",
            Caller::Unchecked => "auth-disabled",
        }
    }

    /// Who, for audit lines: an AWS principal's ARN, or which token (by a prefix of its SHA-256, which
    /// tells rotated tokens apart and reveals nothing of them).
    pub fn principal(&self) -> &str {
        match self {
            Caller::Proxy { principal, .. } => principal,
            Caller::Operator { principal, .. } => principal,
            Caller::Anonymous | Caller::Unchecked => "-",
        }
    }

    /// Whether the caller may write credentials: it may also be told what failed in full.
    pub fn may_write(&self) -> bool {
        matches!(
            self,
            Caller::Unchecked
                | Caller::Operator {
                    access: Access::Write,
                    ..
                }
        )
    }

    /// The clusters the caller may reach.
    pub fn clusters(&self) -> Clusters {
        match self {
            Caller::Anonymous => Clusters::Only(BTreeSet::new()),
            Caller::Unchecked => Clusters::Any,
            Caller::Proxy { clusters, .. } | Caller::Operator { clusters, .. } => clusters.clone(),
        }
    }

    /// Whether the caller may reach `cluster`.
    pub fn reaches(&self, cluster: &str) -> bool {
        self.clusters().allows(cluster)
    }
}

/// Why a request may not reach its route: no credential, a wrong one, or one that does not reach this
/// route.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// The request carries no token and was not signed with AWS SigV4.
    #[error("Missing credentials: sign the request with AWS SigV4 (operators), or send 'Authorization: Bearer <token>' or the '{header}' header")]
    Missing {
        /// The configured token header (`AUTH_HEADER`), named in the message.
        header: String,
    },
    /// No token the request carries matches a configured one.
    #[error("Invalid token")]
    Invalid,
    /// Argo CD's proxy token, on an operator route.
    #[error("This route is for operators (AWS IAM, or the operator token); the token sent is Argo CD's proxy token, which reaches links, fixtures and readiness only")]
    ProxyToken,
    /// An AWS principal that `OPERATOR_GRANTS` grants nothing.
    #[error("The AWS principal that signed this request has no grant in OPERATOR_GRANTS")]
    NoGrant,
    /// A caller granted list only, on a route that writes.
    #[error("This route writes credentials; the caller is granted list only")]
    ListOnly,
}

impl AuthError {
    /// The HTTP status: 401 when the caller is not known, 403 when it is but may not reach the route.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::Missing { .. } | AuthError::Invalid => 401,
            AuthError::ProxyToken | AuthError::NoGrant | AuthError::ListOnly => 403,
        }
    }
}

const MIN_TOKEN_LEN: usize = 16;
pub(crate) const DEFAULT_HEADER: &str = crate::headers::DEFAULT_TOKEN;

/// The tokens the sample events in `events/` carry, published with the project: a deployed function
/// refuses their digests.
pub const SAMPLE_TOKENS: [&str; 2] = [
    "sample-proxy-token-0123456789",
    "sample-operator-token-0123456789",
];

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

    /// `sha256:` and the digest's first 8 hexadecimal digits: names a token in logs without revealing it.
    fn fingerprint(&self) -> String {
        let hex: String = self.0[..4].iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }
}

impl std::fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<token digest>")
    }
}

/// `OPERATOR_GRANTS`: which AWS principals may reach which clusters, and list or write.
///
/// A JSON object from principal ARN to grant:
/// `{"arn:aws:iam::123456789012:role/platform-ci": {"clusters": "*", "access": "write"},
///   "arn:aws:iam::123456789012:role/auditor": {"clusters": ["prod"], "access": "list"}}`.
/// A role's ARN covers every session of it (`arn:aws:sts::123456789012:assumed-role/platform-ci/…`, as
/// API Gateway names a caller that assumed the role).
#[derive(Clone, Debug, Default)]
pub struct Grants(Vec<(String, Clusters, Access)>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantEntry {
    clusters: ClusterNames,
    access: Access,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ClusterNames {
    All(String),
    Names(Vec<String>),
}

impl Grants {
    fn parse(raw: &str) -> Result<Self, ConfigError> {
        let bad = |why: String| ConfigError::new("OPERATOR_GRANTS", why);
        let entries: BTreeMap<String, GrantEntry> = serde_json::from_str(raw).map_err(|e| {
            bad(format!(
                "is not a JSON object of principal ARN to {{\"clusters\": \"*\" or [names], \"access\": \"list\" or \"write\"}}: {e}"
            ))
        })?;
        let mut grants = Vec::new();
        for (arn, entry) in entries {
            if !principal_arn(&arn) {
                return Err(bad(format!(
                    "{arn:?} is not the ARN of an IAM role or user (arn:aws:iam::<account>:role/<name>; a role covers every session of it)"
                )));
            }
            let clusters = match entry.clusters {
                ClusterNames::All(star) if star == "*" => Clusters::Any,
                ClusterNames::All(other) => {
                    return Err(bad(format!(
                        "clusters of {arn}: {other:?}; use \"*\" or a list of cluster names"
                    )))
                }
                ClusterNames::Names(names) => {
                    if let Some(name) = names.iter().find(|n| !crate::names::is_label(n)) {
                        return Err(bad(format!(
                            "clusters of {arn}: {name:?} is not a cluster name"
                        )));
                    }
                    Clusters::Only(names.into_iter().collect())
                }
            };
            grants.push((arn, clusters, entry.access));
        }
        Ok(Self(grants))
    }

    /// What `caller` (an ARN from the request context) is granted: every grant whose principal is it,
    /// or the role it assumed, together.
    fn of(&self, caller: &str) -> Option<(Clusters, Access)> {
        self.0
            .iter()
            .filter(|(principal, _, _)| covers(principal, caller))
            .map(|(_, clusters, access)| (clusters.clone(), *access))
            .reduce(|(c1, a1), (c2, a2)| (c1.union(c2), a1.max(a2)))
    }
}

/// Whether `arn` names an IAM role or user: `arn:<partition>:iam::<12-digit account>:role/[path/]<name>`
/// or `…:user/[path/]<name>`. A session ARN (`assumed-role/<role>/<session>`) is not one: whoever assumes
/// the role chooses the session's name.
fn principal_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return false;
    };
    let name = resource
        .strip_prefix("role/")
        .or_else(|| resource.strip_prefix("user/"))
        .and_then(|path| path.rsplit('/').next());
    prefix == "arn"
        && !partition.is_empty()
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && name.is_some_and(|n| !n.is_empty())
}

/// Whether a granted principal ARN covers a caller's ARN: the same ARN, or a role and a session of it
/// (`arn:P:iam::A:role/[path/]R` covers `arn:P:sts::A:assumed-role/R/<session>`).
fn covers(granted: &str, caller: &str) -> bool {
    if granted == caller {
        return true;
    }
    let parts = |arn: &str| -> Option<(String, String, String, String)> {
        let mut p = arn.splitn(6, ':');
        let (_, partition, service, _, account, resource) = (
            p.next()?,
            p.next()?,
            p.next()?,
            p.next()?,
            p.next()?,
            p.next()?,
        );
        Some((
            partition.into(),
            service.into(),
            account.into(),
            resource.into(),
        ))
    };
    let (Some((gp, gs, ga, gr)), Some((cp, cs, ca, cr))) = (parts(granted), parts(caller)) else {
        return false;
    };
    let Some(role) = gr.strip_prefix("role/").and_then(|r| r.rsplit('/').next()) else {
        return false;
    };
    let assumed = cr
        .strip_prefix("assumed-role/")
        .and_then(|r| r.split_once('/'))
        .map(|(name, _)| name);
    gs == "iam" && cs == "sts" && gp == cp && ga == ca && !ga.is_empty() && assumed == Some(role)
}

/// The configured credentials (token digests, `OPERATOR_GRANTS`, the token header), which decide who
/// each request comes from and whether it may reach its route.
#[derive(Clone, Debug)]
pub struct Auth {
    disabled: bool,
    header: String,
    proxy: Vec<(TokenDigest, Clusters)>,
    operator: Vec<TokenDigest>,
    grants: Grants,
}

/// Settings renamed when the token kinds became proxy and operator: refused with what to set instead.
const RENAMED: [(&str, &str); 4] = [
    ("AUTH_READ_TOKEN", "AUTH_PROXY_TOKEN"),
    ("AUTH_READ_TOKEN_SHA256", "AUTH_PROXY_TOKEN_SHA256"),
    ("AUTH_WRITE_TOKEN", "AUTH_OPERATOR_TOKEN"),
    ("AUTH_WRITE_TOKEN_SHA256", "AUTH_OPERATOR_TOKEN_SHA256"),
];

/// Every configured token of a kind: `name` (the tokens themselves, local runs only) or `name_SHA256`
/// (their digests), comma-separated, a proxy token optionally bound to clusters (`bound`).
fn tokens(env: &Env, name: &str, bound: bool) -> Result<Vec<(TokenDigest, Clusters)>, ConfigError> {
    let digest_name = format!("{name}_SHA256");
    let (raw, hashed, var) = match (env.get(name), env.get(&digest_name)) {
        (None, None) => return Ok(Vec::new()),
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                name,
                format!("set either {name} or {digest_name}, not both"),
            ))
        }
        (Some(_), None) if env.in_lambda() => {
            return Err(ConfigError::new(
                name,
                format!("a deployed function never takes a token in plain text: set {digest_name} to its SHA-256 instead"),
            ))
        }
        (Some(raw), None) => (raw, false, name),
        (None, Some(raw)) => (raw, true, digest_name.as_str()),
    };
    let mut out = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (token, clusters) = match entry.split_once(':').filter(|_| bound) {
            Some((token, names)) => {
                let names: BTreeSet<String> =
                    names.split('+').map(|n| n.trim().to_string()).collect();
                if let Some(bad) = names.iter().find(|n| !crate::names::is_label(n)) {
                    return Err(ConfigError::new(
                        var,
                        format!("{bad:?} is not a cluster name (bind a token as <token>:<cluster>+<cluster>)"),
                    ));
                }
                (token, Clusters::Only(names))
            }
            None => (entry, Clusters::Any),
        };
        let digest = if hashed {
            TokenDigest::parse_hex(token).ok_or_else(|| {
                ConfigError::new(
                    var,
                    "holds an entry that is not a SHA-256 digest: 64 hexadecimal digits, as `printf %s \"$TOKEN\" | sha256sum` prints",
                )
            })?
        } else if token.starts_with('$') {
            return Err(ConfigError::new(
                var,
                "holds an entry starting with '$': an unresolved placeholder is not a token",
            ));
        } else if token.len() < MIN_TOKEN_LEN {
            return Err(ConfigError::new(
                var,
                format!("holds a token shorter than {MIN_TOKEN_LEN} characters"),
            ));
        } else {
            TokenDigest::of(token.as_bytes())
        };
        if out.iter().any(|(seen, _)| *seen == digest) {
            return Err(ConfigError::new(
                var,
                "names the same token twice: give each token once (with all the clusters it is bound to)",
            ));
        }
        if env.in_lambda()
            && SAMPLE_TOKENS
                .iter()
                .any(|s| TokenDigest::of(s.as_bytes()) == digest)
        {
            return Err(ConfigError::new(
                var,
                "holds the digest of a sample token published with GlueLinks: make your own (openssl rand -hex 24)",
            ));
        }
        out.push((digest, clusters));
    }
    Ok(out)
}

impl Auth {
    /// `AUTH_PROXY_TOKEN_SHA256` (comma-separated digests, each optionally bound to clusters as
    /// `<digest>:<cluster>+<cluster>`) and `AUTH_OPERATOR_TOKEN_SHA256` (comma-separated digests) — or,
    /// in local runs only, `AUTH_PROXY_TOKEN` / `AUTH_OPERATOR_TOKEN` holding the tokens themselves —,
    /// `OPERATOR_GRANTS` (see [`Grants`]), `AUTH_HEADER` (default `X-GlueLinks-Token`) and
    /// `AUTH_DISABLED` (local runs only).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        if let Some((old, new)) = RENAMED.iter().find(|(old, _)| env.get(old).is_some()) {
            return Err(ConfigError::new(
                old,
                format!("was renamed {new}: the read token became Argo CD's proxy token (links, fixtures, readiness), the write token the operator token"),
            ));
        }
        let header = env.string("AUTH_HEADER", DEFAULT_HEADER);
        if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(ConfigError::new(
                "AUTH_HEADER",
                format!("{header:?} is not a valid HTTP header name"),
            ));
        }
        let disabled = env.flag("AUTH_DISABLED", false)?;
        if disabled && env.in_lambda() {
            return Err(ConfigError::new(
                "AUTH_DISABLED",
                "is for local runs only; a function running in AWS Lambda always checks credentials",
            ));
        }
        let proxy = tokens(env, "AUTH_PROXY_TOKEN", true)?;
        let operator: Vec<TokenDigest> = tokens(env, "AUTH_OPERATOR_TOKEN", false)?
            .into_iter()
            .map(|(digest, _)| digest)
            .collect();
        if proxy.iter().any(|(p, _)| operator.contains(p)) {
            return Err(ConfigError::new(
                "AUTH_OPERATOR_TOKEN_SHA256",
                "names a token that is also a proxy token: every Argo CD user could then write; use two tokens",
            ));
        }
        let grants = match env.get("OPERATOR_GRANTS") {
            Some(raw) => Grants::parse(raw)?,
            None => Grants::default(),
        };
        Ok(Self {
            disabled,
            header,
            proxy,
            operator,
            grants,
        })
    }

    /// True when protected routes can never succeed: nothing configured and auth not disabled.
    pub fn refuses_everything(&self) -> bool {
        !self.disabled
            && self.proxy.is_empty()
            && self.operator.is_empty()
            && self.grants.0.is_empty()
    }

    /// The header that carries a token besides `Authorization` (`AUTH_HEADER`).
    pub fn header(&self) -> &str {
        &self.header
    }

    /// Logs the settings' consequences once per container, loudly where they are unsafe or useless.
    pub fn announce(&self) {
        if self.disabled {
            tracing::warn!("AUTH_DISABLED=true: every route is open to anyone who can reach it; use this only for local runs");
        } else if self.refuses_everything() {
            tracing::error!(
                "no proxy token, operator token or OPERATOR_GRANTS is set: every protected route answers 401"
            );
        }
    }

    /// Who the request comes from, if it may reach a route of `scope`. `iam_caller` is the ARN API
    /// Gateway's IAM authorization verified (from the request context), when it is in front.
    pub fn check(
        &self,
        headers: &HeaderMap,
        iam_caller: Option<&str>,
        scope: Scope,
    ) -> Result<Caller, AuthError> {
        if scope == Scope::Public {
            return Ok(Caller::Anonymous);
        }
        if self.disabled {
            return Ok(Caller::Unchecked);
        }
        let caller = match iam_caller {
            Some(arn) => {
                let (clusters, access) = self.grants.of(arn).ok_or_else(|| {
                    tracing::warn!(
                        principal = arn,
                        "an AWS principal without a grant was refused"
                    );
                    AuthError::NoGrant
                })?;
                Caller::Operator {
                    principal: arn.to_string(),
                    clusters,
                    access,
                }
            }
            None => self.by_token(headers)?,
        };
        match (&caller, scope) {
            (Caller::Proxy { .. }, Scope::List | Scope::Write) => Err(AuthError::ProxyToken),
            (
                Caller::Operator {
                    access: Access::List,
                    ..
                },
                Scope::Write,
            ) => Err(AuthError::ListOnly),
            _ => Ok(caller),
        }
    }

    /// The caller a token names: every token the request carries compared with every configured digest,
    /// all of them, in constant time; an operator token wins over a proxy token.
    fn by_token(&self, headers: &HeaderMap) -> Result<Caller, AuthError> {
        let presented = self.presented(headers);
        if presented.is_empty() {
            return Err(AuthError::Missing {
                header: self.header.clone(),
            });
        }
        let mut operator = None;
        let mut proxy = None;
        for candidate in presented.iter().filter(|t| !t.starts_with(b"$")) {
            let candidate = TokenDigest::of(candidate);
            for digest in &self.operator {
                if digest.matches(&candidate) {
                    operator = Some(digest.fingerprint());
                }
            }
            for (digest, clusters) in &self.proxy {
                if digest.matches(&candidate) {
                    proxy = Some((digest.fingerprint(), clusters.clone()));
                }
            }
        }
        match (operator, proxy) {
            (Some(token), _) => Ok(Caller::Operator {
                principal: format!("operator token {token}"),
                clusters: Clusters::Any,
                access: Access::Write,
            }),
            (None, Some((token, clusters))) => Ok(Caller::Proxy {
                principal: format!("proxy token {token}"),
                clusters,
            }),
            (None, None) => Err(AuthError::Invalid),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROXY: &str = "proxy-token-0123456789";
    const OPERATOR: &str = "operator-token-0123456789";

    fn auth(pairs: &[(&str, &str)]) -> Auth {
        Auth::from_env(&Env::from_pairs(pairs.iter().copied())).unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    fn kind(result: Result<Caller, AuthError>) -> Result<&'static str, AuthError> {
        result.map(|c| c.kind())
    }

    #[test]
    fn each_token_reaches_its_own_routes() {
        let configured = auth(&[
            ("AUTH_PROXY_TOKEN", PROXY),
            ("AUTH_OPERATOR_TOKEN", OPERATOR),
        ]);
        let bearer_proxy = format!("Bearer {PROXY}");
        let bearer_operator = format!("bearer {OPERATOR}");
        let missing = Err(AuthError::Missing {
            header: DEFAULT_HEADER.into(),
        });
        type Case<'a> = (
            Vec<(&'a str, &'a str)>,
            Scope,
            Result<&'static str, AuthError>,
        );
        let cases: Vec<Case> = vec![
            (vec![], Scope::Public, Ok("anonymous")),
            (vec![], Scope::Proxy, missing.clone()),
            (vec![("authorization", "Basic abc")], Scope::Proxy, missing),
            (
                vec![("authorization", &bearer_proxy)],
                Scope::Proxy,
                Ok("proxy"),
            ),
            (
                vec![("authorization", &bearer_proxy)],
                Scope::List,
                Err(AuthError::ProxyToken),
            ),
            (
                vec![("authorization", &bearer_proxy)],
                Scope::Write,
                Err(AuthError::ProxyToken),
            ),
            (
                vec![("authorization", &bearer_operator)],
                Scope::Write,
                Ok("operator"),
            ),
            (
                vec![("authorization", &bearer_operator)],
                Scope::List,
                Ok("operator"),
            ),
            (
                vec![("authorization", &bearer_operator)],
                Scope::Proxy,
                Ok("operator"),
            ),
            (
                vec![("x-gluelinks-token", PROXY)],
                Scope::Proxy,
                Ok("proxy"),
            ),
            (
                vec![("x-gluelinks-token", "wrong-token-0123456789")],
                Scope::Proxy,
                Err(AuthError::Invalid),
            ),
            (
                vec![("x-gluelinks-token", "$gluelinks.token")],
                Scope::Proxy,
                Err(AuthError::Invalid),
            ),
            // Argo CD sends the header even when its secret lacks the key; a real bearer still counts.
            (
                vec![
                    ("x-gluelinks-token", "$gluelinks.token"),
                    ("authorization", &bearer_operator),
                ],
                Scope::Write,
                Ok("operator"),
            ),
            (
                vec![("x-gluelinks-token", &PROXY[..PROXY.len() - 1])],
                Scope::Proxy,
                Err(AuthError::Invalid),
            ),
        ];
        for (hdrs, scope, expected) in cases {
            assert_eq!(
                kind(configured.check(&headers(&hdrs), None, scope)),
                expected,
                "{hdrs:?} {scope:?}"
            );
        }
    }

    #[test]
    fn tokens_rotate_with_overlap_and_proxy_tokens_bind_to_clusters() {
        let next = "proxy-token-next-0123456789";
        let configured = auth(&[
            ("AUTH_PROXY_TOKEN", &format!("{PROXY}:prod+staging, {next}")),
            (
                "AUTH_OPERATOR_TOKEN",
                &format!("{OPERATOR},operator-token-next-0123456789"),
            ),
        ]);
        let caller = |token: &str| {
            configured
                .check(
                    &headers(&[("x-gluelinks-token", token)]),
                    None,
                    Scope::Proxy,
                )
                .unwrap()
        };
        let bound = caller(PROXY);
        assert!(bound.reaches("prod") && bound.reaches("staging") && !bound.reaches("dev"));
        assert!(caller(next).reaches("dev"));
        assert_ne!(
            bound.principal(),
            caller(next).principal(),
            "each token is told apart in the audit"
        );
        assert!(
            bound.principal().starts_with("proxy token sha256:")
                && !bound.principal().contains(PROXY)
        );
        for token in [OPERATOR, "operator-token-next-0123456789"] {
            assert!(caller(token).may_write(), "{token}");
        }
        assert!(!bound.may_write());
    }

    #[test]
    fn aws_principals_get_what_operator_grants_say() {
        let grants = r#"{
            "arn:aws:iam::123456789012:role/platform-ci": {"clusters": "*", "access": "write"},
            "arn:aws:iam::123456789012:role/teams/auditor": {"clusters": ["prod"], "access": "list"},
            "arn:aws:iam::123456789012:user/alice": {"clusters": ["dev"], "access": "write"}
        }"#;
        let configured = auth(&[("OPERATOR_GRANTS", grants), ("AUTH_PROXY_TOKEN", PROXY)]);
        let check = |arn: &str, scope| configured.check(&HeaderMap::new(), Some(arn), scope);
        let ci = check(
            "arn:aws:sts::123456789012:assumed-role/platform-ci/run-42",
            Scope::Write,
        )
        .unwrap();
        assert!(ci.may_write() && ci.reaches("anything"));
        assert_eq!(
            ci.principal(),
            "arn:aws:sts::123456789012:assumed-role/platform-ci/run-42"
        );
        let auditor = check(
            "arn:aws:sts::123456789012:assumed-role/auditor/s",
            Scope::List,
        )
        .unwrap();
        assert!(auditor.reaches("prod") && !auditor.reaches("dev") && !auditor.may_write());
        assert_eq!(
            check(
                "arn:aws:sts::123456789012:assumed-role/auditor/s",
                Scope::Write
            ),
            Err(AuthError::ListOnly)
        );
        assert!(check("arn:aws:iam::123456789012:user/alice", Scope::Write)
            .unwrap()
            .reaches("dev"));
        for stranger in [
            "arn:aws:sts::999999999999:assumed-role/platform-ci/x",
            "arn:aws:sts::123456789012:assumed-role/platform-ci-evil/x",
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:sts::123456789012:federated-user/platform-ci",
        ] {
            assert_eq!(
                check(stranger, Scope::List),
                Err(AuthError::NoGrant),
                "{stranger}"
            );
        }
        // A signed request is judged by its principal alone, whatever token it also carries.
        let with_token = configured.check(
            &headers(&[("x-gluelinks-token", PROXY)]),
            Some("arn:aws:iam::123456789012:user/bob"),
            Scope::Proxy,
        );
        assert_eq!(with_token, Err(AuthError::NoGrant));
        for (bad, says) in [
            ("[]", "is not a JSON object"),
            (
                r#"{"arn:aws:iam::123456789012:role/x": {"clusters": "prod", "access": "write"}}"#,
                "use \"*\"",
            ),
            (
                r#"{"arn:aws:iam::123456789012:role/x": {"clusters": ["../x"], "access": "write"}}"#,
                "not a cluster name",
            ),
            (
                r#"{"arn:aws:iam::123456789012:role/x": {"clusters": "*", "access": "admin"}}"#,
                "is not a JSON object",
            ),
            (
                r#"{"role/x": {"clusters": "*", "access": "list"}}"#,
                "is not the ARN",
            ),
            (
                r#"{"arn:aws:iam::123456789012:role/": {"clusters": "*", "access": "list"}}"#,
                "is not the ARN",
            ),
            (
                r#"{"arn:aws:sts::123456789012:assumed-role/ci/run": {"clusters": "*", "access": "list"}}"#,
                "is not the ARN",
            ),
            (
                r#"{"arn:aws:iam::1:role/x": {"clusters": "*", "access": "list"}}"#,
                "is not the ARN",
            ),
        ] {
            let err = Auth::from_env(&Env::from_pairs([("OPERATOR_GRANTS", bad)])).unwrap_err();
            assert!(err.to_string().contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn fails_closed_without_credentials_unless_disabled() {
        let none = auth(&[]);
        assert!(none.refuses_everything());
        let any = headers(&[("authorization", "Bearer anything-at-all-here")]);
        assert_eq!(
            none.check(&any, None, Scope::Proxy),
            Err(AuthError::Invalid)
        );
        assert_eq!(
            none.check(
                &HeaderMap::new(),
                Some("arn:aws:iam::123456789012:user/x"),
                Scope::List
            ),
            Err(AuthError::NoGrant)
        );
        assert_eq!(
            none.check(&HeaderMap::new(), None, Scope::Public),
            Ok(Caller::Anonymous)
        );
        let open = auth(&[("AUTH_DISABLED", "true")]);
        assert_eq!(
            open.check(&HeaderMap::new(), None, Scope::Write),
            Ok(Caller::Unchecked)
        );
    }

    fn sha256_hex(token: &str) -> String {
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn bad_settings_are_refused_without_echoing_a_token() {
        let lambda = ("LAMBDA_TASK_ROOT", "/var/task");
        let proxy_digest = sha256_hex(PROXY);
        let sample_digest = sha256_hex(SAMPLE_TOKENS[1]);
        let upper_digest = proxy_digest.to_ascii_uppercase();
        let bad_binding = format!("{PROXY}:Bad_Cluster");
        let twice = format!("{PROXY}:prod,{PROXY}");
        // (settings, the variable named, what the refusal says)
        type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
        let cases: Vec<Case> = vec![
            (
                vec![("AUTH_PROXY_TOKEN", "tiny7x")],
                "AUTH_PROXY_TOKEN",
                "shorter than 16",
            ),
            (
                vec![("AUTH_OPERATOR_TOKEN", "$argocd-secret-placeholder")],
                "AUTH_OPERATOR_TOKEN",
                "placeholder",
            ),
            (
                vec![("AUTH_HEADER", "bad header")],
                "AUTH_HEADER",
                "not a valid HTTP header",
            ),
            (
                vec![("AUTH_DISABLED", "maybe")],
                "AUTH_DISABLED",
                "not a boolean",
            ),
            (
                vec![("AUTH_READ_TOKEN", PROXY)],
                "AUTH_READ_TOKEN",
                "was renamed AUTH_PROXY_TOKEN",
            ),
            (
                vec![("AUTH_WRITE_TOKEN_SHA256", &proxy_digest)],
                "AUTH_WRITE_TOKEN_SHA256",
                "was renamed AUTH_OPERATOR_TOKEN_SHA256",
            ),
            (
                vec![("AUTH_PROXY_TOKEN", &twice)],
                "AUTH_PROXY_TOKEN",
                "the same token twice",
            ),
            (
                vec![("AUTH_PROXY_TOKEN", &bad_binding)],
                "AUTH_PROXY_TOKEN",
                "not a cluster name",
            ),
            (
                vec![
                    ("AUTH_PROXY_TOKEN_SHA256", &proxy_digest),
                    ("AUTH_OPERATOR_TOKEN_SHA256", &upper_digest),
                ],
                "AUTH_OPERATOR_TOKEN_SHA256",
                "also a proxy token",
            ),
            (
                vec![lambda, ("AUTH_PROXY_TOKEN", PROXY)],
                "AUTH_PROXY_TOKEN",
                "AUTH_PROXY_TOKEN_SHA256",
            ),
            (
                vec![lambda, ("AUTH_DISABLED", "true")],
                "AUTH_DISABLED",
                "local runs only",
            ),
            (
                vec![lambda, ("AUTH_OPERATOR_TOKEN_SHA256", "abc")],
                "AUTH_OPERATOR_TOKEN_SHA256",
                "64 hexadecimal digits",
            ),
            (
                vec![lambda, ("AUTH_OPERATOR_TOKEN_SHA256", &sample_digest)],
                "AUTH_OPERATOR_TOKEN_SHA256",
                "sample token",
            ),
            (
                vec![
                    ("AUTH_PROXY_TOKEN", PROXY),
                    ("AUTH_PROXY_TOKEN_SHA256", &proxy_digest),
                ],
                "AUTH_PROXY_TOKEN",
                "not both",
            ),
        ];
        for (pairs, name, says) in cases {
            let err = Auth::from_env(&Env::from_pairs(pairs.iter().copied())).unwrap_err();
            assert_eq!(err.name, name, "{pairs:?}");
            assert!(err.to_string().contains(says), "{err}");
            assert!(!err.to_string().contains(PROXY), "{err} echoes the token");
        }
        // A deployed function with digests: the tokens they are digests of are accepted, the digests not.
        let deployed = auth(&[lambda, ("AUTH_PROXY_TOKEN_SHA256", &proxy_digest)]);
        let sent = |t: &str| headers(&[("x-gluelinks-token", t)]);
        assert_eq!(
            kind(deployed.check(&sent(PROXY), None, Scope::Proxy)),
            Ok("proxy")
        );
        assert_eq!(
            deployed.check(&sent(&proxy_digest), None, Scope::Proxy),
            Err(AuthError::Invalid)
        );
        let debug = format!("{:?}", auth(&[("AUTH_PROXY_TOKEN", PROXY)]));
        assert!(!debug.contains(PROXY), "{debug}");
    }
}

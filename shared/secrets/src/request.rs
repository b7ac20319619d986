//! What the secrets-add routes accept: JSON bodies in seed 003's field names, checked completely before any
//! write. Every problem is a [`Invalid`] whose message says what to fix, and none repeats a secret value.

use super::{SecretSettings, ARGOCD_OWN_SECRETS};
use gluelinks_core::names::{is_label, is_subdomain};
use gluelinks_core::text::bounded;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The largest request body accepted (credentials are small).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
const MAX_SECRET_VALUE: usize = 16 * 1024;
const MAX_USERNAME: usize = 256;
const ECHO: usize = gluelinks_core::http::response::ECHO_LIMIT;
/// How much of serde's refusal (an unknown or repeated field, a wrong type) is repeated: enough for the
/// field list it names, never a whole body.
const REFUSAL_ECHO: usize = 400;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// The fields of a JSON object body, with typed accessors that produce seed 003's messages.
pub struct Fields {
    map: Map<String, Value>,
}

impl Fields {
    /// The body's fields, read as `B`, the route's fields declared once: a JSON object, with no field
    /// `B` does not declare (named, with the fields the route accepts) and none given twice (serde_json
    /// would keep the last silently, so `{"name": "x", "name": "argocd-secret"}` could pass a review of
    /// the first; serde refuses it), before any field is looked at.
    pub fn parse<B: serde::de::DeserializeOwned + Serialize + Default>(
        body: &[u8],
    ) -> Result<Self, Invalid> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            Invalid(format!(
                "Request body is not valid JSON ({e}); send a JSON object"
            ))
        })?;
        let Value::Object(given) = value else {
            return Err(Invalid("Request body must be a JSON object".into()));
        };
        // `B`'s fields, sorted: every one of them, unset.
        let known: Vec<String> = match serde_json::to_value(B::default()) {
            Ok(Value::Object(fields)) => fields.keys().cloned().collect(),
            _ => Vec::new(),
        };
        if let Some(unknown) = given.keys().find(|k| !known.contains(k)) {
            return Err(Invalid(format!(
                "Unknown field: {}; this route accepts {}",
                bounded(unknown, ECHO),
                known.join(", ")
            )));
        }
        // Read as `B` from the bytes once more, for what the map above hides: a field given twice.
        serde_json::from_slice::<B>(body).map_err(|e| {
            Invalid(format!(
                "Request body is refused: {}",
                bounded(&e.to_string(), REFUSAL_ECHO)
            ))
        })?;
        Ok(Self { map: given })
    }

    fn present(&self, name: &str) -> Option<&Value> {
        self.map
            .get(name)
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
    }

    pub fn required(&self, name: &str) -> Result<String, Invalid> {
        match self.present(name) {
            None => Err(Invalid(format!("Missing required field: {name}"))),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(Invalid(format!("Field {name} must be a string"))),
        }
    }

    pub fn optional(&self, name: &str) -> Result<Option<String>, Invalid> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Invalid(format!("Field {name} must be a string"))),
        }
    }

    pub fn flag(&self, name: &str) -> Result<bool, Invalid> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(Invalid(format!("Field {name} must be true or false"))),
        }
    }

    /// A list given as a comma-separated string or a JSON array of strings.
    pub fn list(&self, name: &str) -> Result<Vec<String>, Invalid> {
        let items: Vec<String> = match self.present(name) {
            None => return Err(Invalid(format!("Missing required field: {name}"))),
            Some(Value::String(s)) => s.split(',').map(|p| p.trim().to_string()).collect(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(|s| s.trim().to_string()))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    Invalid(format!(
                        "Field {name} must be a comma-separated string or a list of strings"
                    ))
                })?,
            Some(_) => {
                return Err(Invalid(format!(
                    "Field {name} must be a comma-separated string or a list of strings"
                )))
            }
        };
        let mut out: Vec<String> = Vec::new();
        for item in items.into_iter().filter(|i| !i.is_empty()) {
            if !out.contains(&item) {
                out.push(item);
            }
        }
        if out.is_empty() {
            return Err(Invalid(format!("Missing required field: {name}")));
        }
        Ok(out)
    }
}

fn secret_name(name: String) -> Result<String, Invalid> {
    if !is_subdomain(&name) {
        return Err(Invalid(format!(
            "Invalid secret name '{}': use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters",
            bounded(&name, ECHO)
        )));
    }
    if ARGOCD_OWN_SECRETS.contains(&name.as_str()) {
        return Err(Invalid(format!(
            "Secret name '{name}' belongs to Argo CD itself and is never written; choose another name"
        )));
    }
    Ok(name)
}

/// An Argo CD project name (an `AppProject` object's name).
fn project(value: Option<String>) -> Result<Option<String>, Invalid> {
    match value {
        Some(p) if !is_subdomain(&p) => Err(Invalid(format!(
            "Invalid project '{}': use the name of an Argo CD AppProject",
            bounded(&p, ECHO)
        ))),
        other => Ok(other),
    }
}

fn username(name: &str, value: String) -> Result<String, Invalid> {
    if value.len() > MAX_USERNAME || value.chars().any(char::is_control) {
        return Err(Invalid(format!(
            "Field {name} must be at most {MAX_USERNAME} printable characters"
        )));
    }
    Ok(value)
}

fn secret_value(name: &str, value: String) -> Result<SecretString, Invalid> {
    if value.len() > MAX_SECRET_VALUE {
        return Err(Invalid(format!(
            "Field {name} is longer than {MAX_SECRET_VALUE} bytes"
        )));
    }
    Ok(SecretString::from(value))
}

/// Common to every add route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Common {
    pub cluster: String,
    pub name: String,
    pub upsert: bool,
    pub dry_run: bool,
}

/// `POST /secrets/add_docker`. Its `Debug` shows no password (`secrecy`).
#[derive(Clone, Debug)]
pub struct DockerRequest {
    pub common: Common,
    pub username: String,
    pub password: SecretString,
    /// The user's namespaces; the Argo CD namespace copy is added by the writer.
    pub namespaces: Vec<String>,
    /// The `.dockerconfigjson` `auths` keys: one, or Docker Hub's two.
    pub registry_keys: Vec<String>,
}

/// `add_docker`'s fields: every one optional here; [`Fields`] says which are required.
#[derive(Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
struct DockerBody {
    password: Option<Value>,
    username: Option<Value>,
    cluster_name: Option<Value>,
    name: Option<Value>,
    namespaces: Option<Value>,
    upsert: Option<Value>,
    registry: Option<Value>,
    dry_run: Option<Value>,
    email: Option<Value>,
}

const DOCKER_HUB: [&str; 2] = ["https://index.docker.io/v1/", "registry-1.docker.io"];

/// The `auths` keys for a registry: a host name (with an optional port); Docker Hub's aliases give both of
/// the keys Docker clients look up.
pub fn registry_keys(registry: &str) -> Result<Vec<String>, Invalid> {
    if embeds_credentials(registry.trim(), None) {
        return Err(Invalid(
            "Invalid registry: it contains credentials; send them in username and password instead"
                .into(),
        ));
    }
    let host = registry
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let host = host.strip_suffix("/v1").unwrap_or(host);
    if matches!(
        host,
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "hub.docker.com"
    ) {
        return Ok(DOCKER_HUB.iter().map(|s| s.to_string()).collect());
    }
    let (name, port) = host.split_once(':').unwrap_or((host, ""));
    let valid_host = !name.is_empty()
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && (port.is_empty() || port.parse::<u16>().is_ok());
    if !valid_host {
        return Err(Invalid(format!(
            "Invalid registry '{}': use a registry host name such as ghcr.io or registry.example.com:5000",
            quoted(registry)
        )));
    }
    Ok(vec![host.to_ascii_lowercase()])
}

fn common(fields: &Fields) -> Result<(String, String), Invalid> {
    let cluster = fields.required("cluster_name")?;
    let name = secret_name(fields.required("name")?)?;
    Ok((cluster, name))
}

impl DockerRequest {
    pub fn parse(body: &[u8], settings: &SecretSettings) -> Result<Self, Invalid> {
        let fields = Fields::parse::<DockerBody>(body)?;
        let password = secret_value("password", fields.required("password")?)?;
        let username = username("username", fields.required("username")?)?;
        if username.contains(':') {
            return Err(Invalid(
                "Field username must not contain ':' (registry auth is user:password)".into(),
            ));
        }
        let (cluster, name) = common(&fields)?;
        let namespaces = fields.list("namespaces")?;
        if namespaces.len() > settings.max_namespaces {
            return Err(Invalid(format!(
                "Field namespaces names {} namespaces; at most {} are written per request (SECRETS_MAX_NAMESPACES): split the request",
                namespaces.len(),
                settings.max_namespaces
            )));
        }
        for ns in &namespaces {
            if !is_label(ns) {
                return Err(Invalid(format!(
                    "Invalid namespace '{}': use lowercase letters, digits and '-', at most 63 characters",
                    bounded(ns, ECHO)
                )));
            }
            if *ns == settings.argocd_namespace {
                return Err(Invalid(format!(
                    "Namespace '{ns}' is not allowed in namespaces: the argocd-image-updater copy is written there automatically"
                )));
            }
        }
        let registry_keys = registry_keys(
            &fields
                .optional("registry")?
                .unwrap_or_else(|| "ghcr.io".into()),
        )?;
        Ok(Self {
            common: Common {
                cluster,
                name,
                upsert: fields.flag("upsert")?,
                dry_run: fields.flag("dry_run")?,
            },
            username,
            password,
            namespaces,
            registry_keys,
        })
    }
}

/// What Argo CD does with a repository-type secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretType {
    /// A repository (`argocd.argoproj.io/secret-type=repository`).
    Repository,
    /// Credentials for every repository whose URL starts with `url` (`repo-creds`).
    CredentialTemplate,
}

impl SecretType {
    pub fn label(self) -> &'static str {
        match self {
            SecretType::Repository => "repository",
            SecretType::CredentialTemplate => "repo-creds",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoKind {
    Git,
    Helm,
    Oci,
}

impl RepoKind {
    fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "git" => Ok(RepoKind::Git),
            "helm" => Ok(RepoKind::Helm),
            "oci" => Ok(RepoKind::Oci),
            other => Err(Invalid(format!(
                "Invalid type '{}': use git, helm or oci",
                bounded(other, ECHO)
            ))),
        }
    }

    /// Argo CD's `type` field: OCI Helm registries are `helm` with `enableOCI`.
    pub fn argocd_type(self) -> &'static str {
        match self {
            RepoKind::Git => "git",
            RepoKind::Helm | RepoKind::Oci => "helm",
        }
    }
}

/// An Argo CD repository secret or credential template, from any of the three repository routes. Its
/// `Debug` shows no password or key (`secrecy`).
#[derive(Clone, Debug)]
pub struct RepositoryRequest {
    pub common: Common,
    pub secret_type: SecretType,
    pub kind: RepoKind,
    pub url: String,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub ssh_private_key: Option<SecretString>,
    /// The Argo CD project the repository or template is scoped to; `None` keeps what exists.
    pub project: Option<String>,
}

/// `add_helm_repo`'s fields.
#[derive(Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
struct HelmBody {
    name: Option<Value>,
    repository_url: Option<Value>,
    cluster_name: Option<Value>,
    username: Option<Value>,
    password: Option<Value>,
    upsert: Option<Value>,
    use_oci: Option<Value>,
    dry_run: Option<Value>,
    project: Option<Value>,
}

/// `add_repository`'s fields.
#[derive(Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
struct RepositoryBody {
    name: Option<Value>,
    repository_url: Option<Value>,
    cluster_name: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<Value>,
    username: Option<Value>,
    password: Option<Value>,
    ssh_private_key: Option<Value>,
    upsert: Option<Value>,
    dry_run: Option<Value>,
    project: Option<Value>,
}

/// `add_repo_creds`'s fields: a URL prefix in `url`.
#[derive(Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
struct RepoCredsBody {
    name: Option<Value>,
    url: Option<Value>,
    cluster_name: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<Value>,
    username: Option<Value>,
    password: Option<Value>,
    ssh_private_key: Option<Value>,
    upsert: Option<Value>,
    dry_run: Option<Value>,
    project: Option<Value>,
}

/// Whether a URL, in any of the forms a repository or registry is written in, carries credentials: a
/// user-info part before the host. The one exception is a Git repository reached over SSH
/// (`ssh://git@host/…`, `git@host:org/repo`), whose bare user name is no secret; a `kind` of `None` (a
/// registry) or a Helm or OCI repository has none.
pub fn embeds_credentials(url: &str, kind: Option<RepoKind>) -> bool {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return false;
    };
    let ssh_user = kind == Some(RepoKind::Git)
        && match scheme {
            "ssh" => true,
            // scp-like `git@github.com:acme/app.git`: a host, then ':' and a path.
            "" => host.contains(':'),
            _ => false,
        };
    !(ssh_user && !user_info.contains(':') && !user_info.is_empty())
}

/// A URL as a message may quote it: bounded, and without anything before an `@`, where a user name or
/// token would be.
fn quoted(url: &str) -> String {
    match url.rsplit_once('@') {
        Some((_, host)) => format!("…@{}", bounded(host, ECHO)),
        None => bounded(url, ECHO),
    }
}

/// A repository URL as Argo CD wants it: OCI registries without a scheme, Helm over http(s), Git over
/// http(s) or SSH.
pub fn repository_url(raw: &str, kind: RepoKind, field: &str) -> Result<String, Invalid> {
    let url = raw.trim();
    // A URL that carries credentials is refused without repeating it.
    if embeds_credentials(url, Some(kind)) {
        return Err(Invalid(format!(
            "Invalid {field}: it contains credentials; send them in username and password (or ssh_private_key) instead"
        )));
    }
    let bad = |why: &str| Invalid(format!("Invalid {field} '{}': {why}", quoted(url)));
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it contains spaces or control characters"));
    }
    let has_host = |rest: &str| {
        rest.split('/')
            .next()
            .is_some_and(|h| !h.is_empty() && h.contains('.') || h.starts_with("localhost"))
    };
    match kind {
        RepoKind::Oci => {
            let rest = url
                .trim_start_matches("oci://")
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_end_matches('/');
            if !has_host(rest) {
                return Err(bad("use a registry path such as ghcr.io/org/charts"));
            }
            Ok(rest.to_string())
        }
        RepoKind::Helm => {
            let with_scheme = if url.starts_with("https://") || url.starts_with("http://") {
                url.to_string()
            } else {
                format!("https://{url}")
            };
            let rest = with_scheme.split_once("://").map_or("", |(_, r)| r);
            if !has_host(rest) {
                return Err(bad(
                    "use a chart repository URL such as https://charts.bitnami.com/bitnami",
                ));
            }
            Ok(with_scheme)
        }
        RepoKind::Git => {
            let ok = ((url.starts_with("https://") || url.starts_with("http://"))
                && has_host(url.split_once("://").map_or("", |(_, r)| r)))
                || url.starts_with("ssh://")
                || (url.starts_with("git@") && url.contains(':'));
            if !ok {
                return Err(bad("use https://host/org/repo or git@host:org/repo"));
            }
            Ok(url.to_string())
        }
    }
}

impl RepositoryRequest {
    /// `POST /secrets/add_helm_repo` (seed 003): a Helm (or, with `use_oci`, OCI) repository.
    pub fn parse_helm(body: &[u8]) -> Result<Self, Invalid> {
        let fields = Fields::parse::<HelmBody>(body)?;
        let name = secret_name(fields.required("name")?)?;
        let raw_url = fields.required("repository_url")?;
        let cluster = fields.required("cluster_name")?;
        let username = username("username", fields.required("username")?)?;
        let password = secret_value("password", fields.required("password")?)?;
        let kind = if fields.flag("use_oci")? {
            RepoKind::Oci
        } else {
            RepoKind::Helm
        };
        Ok(Self {
            url: repository_url(&raw_url, kind, "repository_url")?,
            common: Common {
                cluster,
                name,
                upsert: fields.flag("upsert")?,
                dry_run: fields.flag("dry_run")?,
            },
            secret_type: SecretType::Repository,
            kind,
            username: Some(username),
            password: Some(password),
            ssh_private_key: None,
            project: project(fields.optional("project")?)?,
        })
    }

    /// `POST /secrets/add_repository` (`repository_url`) and `POST /secrets/add_repo_creds` (`url`, a prefix).
    pub fn parse_generic(body: &[u8], secret_type: SecretType) -> Result<Self, Invalid> {
        let (fields, url_field) = match secret_type {
            SecretType::Repository => (Fields::parse::<RepositoryBody>(body)?, "repository_url"),
            SecretType::CredentialTemplate => (Fields::parse::<RepoCredsBody>(body)?, "url"),
        };
        let name = secret_name(fields.required("name")?)?;
        let raw_url = fields.required(url_field)?;
        let cluster = fields.required("cluster_name")?;
        let kind = RepoKind::parse(&fields.optional("type")?.unwrap_or_else(|| "git".into()))?;
        let username = fields
            .optional("username")?
            .map(|u| username("username", u))
            .transpose()?;
        let password = fields
            .optional("password")?
            .map(|p| secret_value("password", p))
            .transpose()?;
        let ssh_private_key = fields
            .optional("ssh_private_key")?
            .map(|k| secret_value("ssh_private_key", k))
            .transpose()?;
        if ssh_private_key.is_some() && kind != RepoKind::Git {
            return Err(Invalid("Field ssh_private_key is only for type git".into()));
        }
        match (&username, &password, &ssh_private_key) {
            (_, _, Some(_)) => {}
            (Some(_), Some(_), None) => {}
            (None, _, None) => {
                return Err(Invalid(
                    "Missing required field: username (or ssh_private_key for git)".into(),
                ))
            }
            (Some(_), None, None) => {
                return Err(Invalid("Missing required field: password".into()))
            }
        }
        Ok(Self {
            url: repository_url(&raw_url, kind, url_field)?,
            common: Common {
                cluster,
                name,
                upsert: fields.flag("upsert")?,
                dry_run: fields.flag("dry_run")?,
            },
            secret_type,
            kind,
            username,
            password,
            ssh_private_key,
            project: project(fields.optional("project")?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gluelinks_core::config::Env;

    fn settings() -> SecretSettings {
        SecretSettings::from_env(&Env::default()).unwrap()
    }

    fn docker(body: &str) -> Result<DockerRequest, Invalid> {
        DockerRequest::parse(body.as_bytes(), &settings())
    }

    const OK: &str = r#"{"password": "pw-secret", "username": "octo", "cluster_name": "test-cluster", "name": "my-docker-secret", "namespaces": "kube-system,default"}"#;

    #[test]
    fn docker_requests_are_checked_field_by_field() {
        let parsed = docker(OK).unwrap();
        assert_eq!(parsed.namespaces, ["kube-system", "default"]);
        assert_eq!(parsed.registry_keys, ["ghcr.io"]);
        assert!(!format!("{parsed:?}").contains("pw-secret"));
        let with = |patch: &str| {
            let mut v: Value = serde_json::from_str(OK).unwrap();
            let p: Value = serde_json::from_str(patch).unwrap();
            crate::request::tests::merge(&mut v, &p);
            docker(&v.to_string())
        };
        let cases = [
            (r#"{"password": null}"#, "Missing required field: password"),
            (r#"{"username": ""}"#, "Missing required field: username"),
            (
                r#"{"cluster_name": null}"#,
                "Missing required field: cluster_name",
            ),
            (r#"{"name": null}"#, "Missing required field: name"),
            (
                r#"{"namespaces": " , "}"#,
                "Missing required field: namespaces",
            ),
            (r#"{"name": "Bad_Name"}"#, "Invalid secret name 'Bad_Name'"),
            (
                r#"{"namespaces": "default,argocd"}"#,
                "Namespace 'argocd' is not allowed",
            ),
            (
                r#"{"namespaces": ["default", "no/slash"]}"#,
                "Invalid namespace 'no/slash'",
            ),
            (r#"{"namespaces": 7}"#, "Field namespaces must be"),
            (r#"{"upsert": "yes"}"#, "Field upsert must be true or false"),
            (
                r#"{"registry": "not a host"}"#,
                "Invalid registry 'not a host'",
            ),
            (r#"{"username": "a:b"}"#, "must not contain ':'"),
            (r#"{"extra": 1}"#, "Unknown field: extra"),
            (r#"{"name": "a..b"}"#, "Invalid secret name 'a..b'"),
            (r#"{"name": "a.-b"}"#, "Invalid secret name 'a.-b'"),
            (r#"{"name": "argocd-secret"}"#, "belongs to Argo CD itself"),
            (r#"{"name": "argocd-redis"}"#, "belongs to Argo CD itself"),
            (
                r#"{"registry": "https://u:pw-secret@ghcr.io"}"#,
                "Invalid registry: it contains credentials",
            ),
        ];
        for (patch, expected) in cases {
            let err = with(patch).unwrap_err().0;
            assert!(err.contains(expected), "{patch}: {err}");
            assert!(!err.contains("pw-secret"), "{err}");
        }
        assert!(docker("{not json")
            .unwrap_err()
            .0
            .starts_with("Request body is not valid JSON"));
        assert!(docker("[1]").unwrap_err().0.contains("JSON object"));
        let list = with(r#"{"namespaces": ["a", "b", "a"]}"#).unwrap();
        assert_eq!(list.namespaces, ["a", "b"]);

        // A field given twice is refused, whichever value comes last.
        let twice = OK.replacen(
            r#""name": "my-docker-secret""#,
            r#""name": "my-docker-secret", "name": "argocd-secret""#,
            1,
        );
        let err = docker(&twice).unwrap_err().0;
        assert!(err.contains("duplicate field `name`"), "{err}");

        // The namespace cap: at the limit is fine, one more is a 400 that says how to fix it.
        let names = |n: usize| (0..n).map(|i| format!("ns-{i}")).collect::<Vec<_>>();
        let capped = SecretSettings {
            max_namespaces: 3,
            ..settings()
        };
        let body = |n| {
            let mut v: Value = serde_json::from_str(OK).unwrap();
            v["namespaces"] = names(n).into();
            v.to_string()
        };
        assert!(DockerRequest::parse(body(3).as_bytes(), &capped).is_ok());
        let err = DockerRequest::parse(body(4).as_bytes(), &capped)
            .unwrap_err()
            .0;
        assert!(err.contains("names 4 namespaces; at most 3"), "{err}");
        assert_eq!(settings().max_namespaces, 100);
    }

    #[test]
    fn credentials_in_any_url_form_are_refused_without_echo() {
        let refused = [
            ("https://octo:ghp_secret@github.com/acme/app", RepoKind::Git),
            ("https://ghp_secret@github.com/acme/app", RepoKind::Git),
            (
                "ssh://git:ghp_secret@github.com/acme/app.git",
                RepoKind::Git,
            ),
            ("ghp_user:ghp_secret@charts.example.com/x", RepoKind::Helm),
            ("ghp_secret@charts.example.com/x", RepoKind::Helm),
            ("oci://octo:ghp_secret@ghcr.io/acme/charts", RepoKind::Oci),
            ("octo:ghp_secret@ghcr.io/acme/charts", RepoKind::Oci),
            ("git:ghp_secret@github.com:acme/app.git", RepoKind::Git),
            // The SSH user exemption is Git's alone: a Helm or OCI `user@host:port` carries a token.
            ("ghp_secret@charts.example.com:8443/x", RepoKind::Helm),
            ("ghp_secret@ghcr.io:443/acme", RepoKind::Oci),
            ("ssh://ghp_secret@ghcr.io/acme", RepoKind::Oci),
        ];
        for (url, kind) in refused {
            let err = repository_url(url, kind, "repository_url").unwrap_err().0;
            assert!(err.contains("contains credentials"), "{url}: {err}");
            assert!(!err.contains("ghp_"), "{url} echoed: {err}");
        }
        for url in [
            "git@github.com:acme/app.git",
            "ssh://git@github.com/acme/app.git",
        ] {
            assert!(repository_url(url, RepoKind::Git, "u").is_ok(), "{url}");
        }
        // Whatever else is wrong with a URL or registry carrying an '@', the message never quotes what is
        // before it.
        for url in ["ghp_secret@github.com:acme", "ghp_secret@:acme/app.git"] {
            let err = repository_url(url, RepoKind::Git, "repository_url")
                .unwrap_err()
                .0;
            assert!(!err.contains("ghp_"), "{url} echoed: {err}");
        }
        for registry in ["ghp_secret@ghcr.io:5000", "ghp_secret@bad host!"] {
            let err = registry_keys(registry).unwrap_err().0;
            assert!(!err.contains("ghp_"), "{registry} echoed: {err}");
        }
    }

    #[test]
    fn debug_shows_no_password_or_key() {
        let settings = SecretSettings::from_env(&Env::default()).unwrap();
        let docker = DockerRequest::parse(OK.as_bytes(), &settings).unwrap();
        let git = RepositoryRequest::parse_generic(
            br#"{"name": "app", "repository_url": "git@github.com:acme/app.git", "cluster_name": "c", "ssh_private_key": "-----BEGIN KEY-----ssh-secret"}"#,
            SecretType::Repository,
        )
        .unwrap();
        let shown = format!("{docker:?} {git:?}");
        assert!(
            shown.contains("octo") && shown.contains("REDACTED"),
            "{shown}"
        );
        assert!(
            !shown.contains("pw-secret") && !shown.contains("ssh-secret"),
            "{shown}"
        );
    }

    #[test]
    fn refusals_are_bounded() {
        let field = "x".repeat(10_000);
        let body = format!(r#"{{"{field}": 1}}"#);
        let err = RepositoryRequest::parse_helm(body.as_bytes())
            .unwrap_err()
            .0;
        assert!(err.starts_with("Unknown field: xxx"), "{err}");
        assert!(err.len() < 600, "{} bytes", err.len());
        let body = format!(r#"{{"name": "{field}", "name": 1}}"#);
        let err = RepositoryRequest::parse_helm(body.as_bytes())
            .unwrap_err()
            .0;
        assert!(err.contains("duplicate field `name`"), "{err}");
        assert!(err.len() < 600, "{} bytes", err.len());
    }

    pub(super) fn merge(target: &mut Value, patch: &Value) {
        for (k, v) in patch.as_object().unwrap() {
            target[k] = v.clone();
        }
    }

    #[test]
    fn registries_and_repository_urls() {
        let cases = [
            ("ghcr.io", Ok(vec!["ghcr.io"])),
            (
                "https://registry.example.com:5000/",
                Ok(vec!["registry.example.com:5000"]),
            ),
            ("docker.io", Ok(DOCKER_HUB.to_vec())),
            ("https://index.docker.io/v1/", Ok(DOCKER_HUB.to_vec())),
            ("bad host!", Err(())),
        ];
        for (raw, expected) in cases {
            let got = registry_keys(raw).map_err(|_| ());
            assert_eq!(
                got,
                expected.map(|v| v.iter().map(|s| s.to_string()).collect()),
                "{raw}"
            );
        }
        let urls = [
            (
                "ghcr.io/acme/charts",
                RepoKind::Oci,
                Ok("ghcr.io/acme/charts"),
            ),
            (
                "oci://ghcr.io/acme/charts/",
                RepoKind::Oci,
                Ok("ghcr.io/acme/charts"),
            ),
            (
                "charts.bitnami.com/bitnami",
                RepoKind::Helm,
                Ok("https://charts.bitnami.com/bitnami"),
            ),
            (
                "https://charts.example.com",
                RepoKind::Helm,
                Ok("https://charts.example.com"),
            ),
            (
                "git@github.com:acme/app.git",
                RepoKind::Git,
                Ok("git@github.com:acme/app.git"),
            ),
            (
                "https://github.com/acme",
                RepoKind::Git,
                Ok("https://github.com/acme"),
            ),
            ("ftp://x.y/z", RepoKind::Git, Err(())),
            ("https://exa mple.com", RepoKind::Helm, Err(())),
            (
                "https://octo:ghp_secret@github.com/acme",
                RepoKind::Git,
                Err(()),
            ),
            (
                "ssh://git@github.com/acme/app.git",
                RepoKind::Git,
                Ok("ssh://git@github.com/acme/app.git"),
            ),
            ("nohost", RepoKind::Helm, Err(())),
        ];
        for (raw, kind, expected) in urls {
            assert_eq!(
                repository_url(raw, kind, "url").map_err(|_| ()),
                expected.map(str::to_string),
                "{raw}"
            );
        }
    }

    #[test]
    fn repository_requests() {
        let helm = br#"{"name": "my-helm-repo", "repository_url": "https://ghcr.io/acme", "cluster_name": "c", "username": "u", "password": "p", "use_oci": true}"#;
        let parsed = RepositoryRequest::parse_helm(helm).unwrap();
        assert_eq!(
            (parsed.kind, parsed.url.as_str()),
            (RepoKind::Oci, "ghcr.io/acme")
        );
        let missing = br#"{"name": "r", "repository_url": "https://x.io", "cluster_name": "c", "username": "u"}"#;
        assert_eq!(
            RepositoryRequest::parse_helm(missing).unwrap_err().0,
            "Missing required field: password"
        );

        let git = br#"{"name": "app", "repository_url": "git@github.com:acme/app.git", "cluster_name": "c", "ssh_private_key": "-----BEGIN KEY-----"}"#;
        let parsed = RepositoryRequest::parse_generic(git, SecretType::Repository).unwrap();
        assert_eq!(parsed.kind, RepoKind::Git);
        let creds = br#"{"name": "org", "url": "https://github.com/acme", "cluster_name": "c", "type": "git", "username": "u", "password": "p"}"#;
        assert_eq!(
            RepositoryRequest::parse_generic(creds, SecretType::CredentialTemplate)
                .unwrap()
                .url,
            "https://github.com/acme"
        );
        let leaky = br#"{"name": "org", "url": "https://octo:ghp_secret@github.com/acme", "cluster_name": "c", "username": "u", "password": "p"}"#;
        let err = RepositoryRequest::parse_generic(leaky, SecretType::CredentialTemplate)
            .unwrap_err()
            .0;
        assert!(
            err.contains("contains credentials") && !err.contains("ghp_secret"),
            "{err}"
        );
        let scoped = br#"{"name": "org", "url": "https://github.com/acme", "cluster_name": "c", "username": "u", "password": "p", "project": "payments"}"#;
        assert_eq!(
            RepositoryRequest::parse_generic(scoped, SecretType::CredentialTemplate)
                .unwrap()
                .project
                .as_deref(),
            Some("payments")
        );
        let bad_project = br#"{"name": "org", "url": "https://github.com/acme", "cluster_name": "c", "username": "u", "password": "p", "project": "Not A Project"}"#;
        assert!(
            RepositoryRequest::parse_generic(bad_project, SecretType::CredentialTemplate)
                .unwrap_err()
                .0
                .contains("Invalid project")
        );
        let bad_type = br#"{"name": "org", "url": "https://github.com/acme", "cluster_name": "c", "type": "svn", "username": "u", "password": "p"}"#;
        assert!(
            RepositoryRequest::parse_generic(bad_type, SecretType::CredentialTemplate)
                .unwrap_err()
                .0
                .contains("use git, helm or oci")
        );
        let ssh_helm = br#"{"name": "h", "repository_url": "https://x.io/c", "cluster_name": "c", "type": "helm", "ssh_private_key": "k"}"#;
        assert!(RepositoryRequest::parse_generic(ssh_helm, SecretType::Repository).is_err());
    }
}

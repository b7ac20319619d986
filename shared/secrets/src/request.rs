//! What the secrets-add routes accept: JSON bodies in the cluster-configuration API's field names, checked completely before any
//! write. Every problem is a [`Invalid`] whose message says what to fix, and none repeats a secret value.

use super::{SecretSettings, ARGOCD_OWN_SECRETS};
use gluelinks_core::names::{is_label, is_subdomain};
use gluelinks_core::text::bounded;
use gluelinks_core::urls::{Form, Location};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The largest request body accepted (credentials are small).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
const MAX_SECRET_VALUE: usize = 16 * 1024;
const MAX_USERNAME: usize = 256;
const ECHO: usize = gluelinks_core::text::ECHO_LIMIT;
/// How much of serde's refusal (an unknown or repeated field, a wrong type) is repeated: enough for the
/// field list it names, never a whole body.
const REFUSAL_ECHO: usize = 400;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// The fields of a JSON object body, with typed accessors that produce the API's messages.
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

    /// A list given as a comma-separated string or a JSON array of strings, empty items left out, each
    /// item once. More than `max` items (counted before duplicates are dropped, so that a long list costs
    /// nothing more than its count) is refused with a message that names `setting`.
    pub fn list(&self, name: &str, max: usize, setting: &str) -> Result<Vec<String>, Invalid> {
        let not_a_list = || {
            Invalid(format!(
                "Field {name} must be a comma-separated string or a list of strings"
            ))
        };
        let items: Vec<&str> = match self.present(name) {
            None => return Err(Invalid(format!("Missing required field: {name}"))),
            Some(Value::String(s)) => s.split(',').map(str::trim).collect(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::trim))
                .collect::<Option<_>>()
                .ok_or_else(not_a_list)?,
            Some(_) => return Err(not_a_list()),
        };
        let items: Vec<&str> = items.into_iter().filter(|i| !i.is_empty()).collect();
        if items.len() > max {
            return Err(Invalid(format!(
                "Field {name} names {} {name}; at most {max} are written per request ({setting}): split the request",
                items.len()
            )));
        }
        let mut seen = std::collections::BTreeSet::new();
        let out: Vec<String> = items
            .into_iter()
            .filter(|i| seen.insert(*i))
            .map(str::to_string)
            .collect();
        if out.is_empty() {
            return Err(Invalid(format!("Missing required field: {name}")));
        }
        Ok(out)
    }

    /// A field that may be set, left out (keep what exists) or `null` (remove what exists).
    fn change(&self, name: &str) -> Result<Change, Invalid> {
        match self.map.get(name) {
            None => Ok(Change::Keep),
            Some(Value::Null) => Ok(Change::Remove),
            Some(Value::String(s)) if !s.is_empty() => Ok(Change::Set(s.clone())),
            Some(Value::String(_)) => Ok(Change::Remove),
            Some(_) => Err(Invalid(format!(
                "Field {name} must be a string, or null to remove it"
            ))),
        }
    }
}

/// What an upsert does to an optional value the existing secret may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Left out of the request: what exists stays.
    Keep,
    Set(String),
    /// `null` in the request: what exists is removed.
    Remove,
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

/// An Argo CD project name (an `AppProject` object's name), or its removal.
fn project(change: Change) -> Result<Change, Invalid> {
    match change {
        Change::Set(p) if !is_subdomain(&p) => Err(Invalid(format!(
            "Invalid project '{}': use the name of an Argo CD AppProject, or null to remove it",
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
    /// Take over a secret of the right kind that GlueLinks did not create (audited as an adoption).
    pub adopt: bool,
}

impl Common {
    fn parse(fields: &Fields) -> Result<Self, Invalid> {
        Ok(Self {
            cluster: fields.required("cluster_name")?,
            name: secret_name(fields.required("name")?)?,
            upsert: fields.flag("upsert")?,
            dry_run: fields.flag("dry_run")?,
            adopt: fields.flag("adopt")?,
        })
    }
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
    adopt: Option<Value>,
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
        let common = Common::parse(&fields)?;
        let namespaces = fields.list(
            "namespaces",
            settings.max_namespaces,
            "SECRETS_MAX_NAMESPACES",
        )?;
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
            common,
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

    /// The request's own word for it, as the repository-type label records it.
    pub fn name(self) -> &'static str {
        match self {
            RepoKind::Git => "git",
            RepoKind::Helm => "helm",
            RepoKind::Oci => "oci",
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
    /// As Argo CD wants it (see [`repository_url`]).
    pub url: String,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub ssh_private_key: Option<SecretString>,
    /// The Argo CD project the repository or template is scoped to.
    pub project: Change,
    /// The repository's display name in Argo CD (its `name` key); a new repository secret is named after
    /// the secret when none is given, an existing one keeps its own.
    pub display_name: Option<String>,
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
    adopt: Option<Value>,
    insecure_http: Option<Value>,
    project: Option<Value>,
    display_name: Option<Value>,
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
    adopt: Option<Value>,
    insecure_http: Option<Value>,
    project: Option<Value>,
    display_name: Option<Value>,
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
    adopt: Option<Value>,
    insecure_http: Option<Value>,
    project: Option<Value>,
}

/// Whether a URL, in any of the forms a repository or registry is written in, carries credentials: a
/// user-info part before the host. The one exception is a Git repository reached over SSH
/// (`ssh://git@host/…`, `git@host:org/repo`), whose bare user name is no secret; a `kind` of `None` (a
/// registry) or a Helm or OCI repository has none. Read from the text, not a parse, so that even a text no
/// parser accepts is never quoted when it may hold a credential.
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

/// A URL as a message may quote it: bounded, without a query or fragment (where tokens are passed), and
/// without anything before an `@`, where a user name or token would be.
fn quoted(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    match url.rsplit_once('@') {
        Some((_, host)) => format!("…@{}", bounded(host, ECHO)),
        None => bounded(url, ECHO),
    }
}

/// The forms each kind of repository is written in, and the example a refusal gives.
fn accepted_forms(kind: RepoKind) -> (&'static [Form], &'static str) {
    match kind {
        RepoKind::Oci => (
            &[Form::Oci, Form::Bare, Form::Https, Form::Http],
            "use a registry path such as ghcr.io/org/charts",
        ),
        RepoKind::Helm => (
            &[Form::Https, Form::Http, Form::Bare],
            "use a chart repository URL such as https://charts.bitnami.com/bitnami",
        ),
        RepoKind::Git => (
            &[Form::Https, Form::Http, Form::Ssh, Form::Scp],
            "use https://host/org/repo or git@host:org/repo",
        ),
    }
}

/// Where a repository URL is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlUse {
    /// One repository.
    Repository,
    /// A credential template: a prefix of the repository URLs it serves.
    Template,
}

/// A repository URL as Argo CD wants it: OCI registries without a scheme, Helm over http(s), Git over
/// http(s) or SSH; a credential template's ending at a path boundary (`https://github.com/acme/`), so that
/// Argo CD's prefix match cannot hand it to `https://github.com/acme-evil/…`. Refused: credentials in it,
/// a query or fragment, a host that is not ASCII (punycode is), `http://` unless `insecure_http` accepts
/// that the credentials cross the network in clear, and a template naming a host alone.
pub fn repository_url(
    raw: &str,
    kind: RepoKind,
    field: &str,
    usage: UrlUse,
    insecure_http: bool,
) -> Result<String, Invalid> {
    let url = raw.trim();
    // A URL that carries credentials is refused without repeating it.
    if embeds_credentials(url, Some(kind)) {
        return Err(Invalid(format!(
            "Invalid {field}: it contains credentials; send them in username and password (or ssh_private_key) instead"
        )));
    }
    let bad =
        |why: &dyn std::fmt::Display| Invalid(format!("Invalid {field} '{}': {why}", quoted(url)));
    let location = Location::parse(url).map_err(|e| bad(&e))?;
    if location.has_query_or_fragment() {
        return Err(Invalid(format!(
            "Invalid {field}: it has a query (?…) or fragment (#…), which can carry a token and which Argo CD does not use; remove it"
        )));
    }
    let (forms, example) = accepted_forms(kind);
    let host = location.host();
    let named_host = host.contains('.') || host == "localhost" || host.starts_with('[');
    if !forms.contains(&location.form()) || !named_host {
        return Err(bad(&example));
    }
    if location.form() == Form::Http && !insecure_http {
        return Err(bad(&"http:// sends the credentials in clear text; use https://, or send insecure_http: true to accept that"));
    }
    if usage == UrlUse::Template && location.segments().is_empty() {
        return Err(bad(&"a credential template must name at least an organisation (https://github.com/acme): a host alone would hand its credentials to every repository there"));
    }
    let mut stored = match (kind, location.form()) {
        (RepoKind::Oci, _) => url
            .split_once("://")
            .map_or(url, |(_, rest)| rest)
            .trim_end_matches('/')
            .to_string(),
        (RepoKind::Helm, Form::Bare) => format!("https://{url}"),
        _ => url.to_string(),
    };
    if usage == UrlUse::Template && !stored.ends_with('/') {
        stored.push('/');
    }
    Ok(stored)
}

impl RepositoryRequest {
    /// `POST /secrets/add_helm_repo`: a Helm (or, with `use_oci`, OCI) repository.
    pub fn parse_helm(body: &[u8]) -> Result<Self, Invalid> {
        let fields = Fields::parse::<HelmBody>(body)?;
        let common = Common::parse(&fields)?;
        let raw_url = fields.required("repository_url")?;
        let username = username("username", fields.required("username")?)?;
        let password = secret_value("password", fields.required("password")?)?;
        let kind = if fields.flag("use_oci")? {
            RepoKind::Oci
        } else {
            RepoKind::Helm
        };
        Ok(Self {
            url: repository_url(
                &raw_url,
                kind,
                "repository_url",
                UrlUse::Repository,
                fields.flag("insecure_http")?,
            )?,
            common,
            secret_type: SecretType::Repository,
            kind,
            username: Some(username),
            password: Some(password),
            ssh_private_key: None,
            project: project(fields.change("project")?)?,
            display_name: display_name(&fields)?,
        })
    }

    /// `POST /secrets/add_repository` (`repository_url`) and `POST /secrets/add_repo_creds` (`url`, a prefix).
    pub fn parse_generic(body: &[u8], secret_type: SecretType) -> Result<Self, Invalid> {
        let (fields, url_field, usage) = match secret_type {
            SecretType::Repository => (
                Fields::parse::<RepositoryBody>(body)?,
                "repository_url",
                UrlUse::Repository,
            ),
            SecretType::CredentialTemplate => (
                Fields::parse::<RepoCredsBody>(body)?,
                "url",
                UrlUse::Template,
            ),
        };
        let common = Common::parse(&fields)?;
        let raw_url = fields.required(url_field)?;
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
        if ssh_private_key.is_some() && password.is_some() {
            return Err(Invalid(
                "Send either ssh_private_key or password, not both: a repository has one method"
                    .into(),
            ));
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
        let url = repository_url(
            &raw_url,
            kind,
            url_field,
            usage,
            fields.flag("insecure_http")?,
        )?;
        let over_ssh =
            Location::parse(&url).is_ok_and(|l| matches!(l.form(), Form::Ssh | Form::Scp));
        if ssh_private_key.is_some() != over_ssh {
            return Err(Invalid(match ssh_private_key {
                Some(_) => format!("Field ssh_private_key needs an SSH {url_field} (git@host:org/repo or ssh://host/org/repo)"),
                None => format!("An SSH {url_field} needs ssh_private_key (username and password are for https:// URLs)"),
            }));
        }
        Ok(Self {
            url,
            common,
            secret_type,
            kind,
            username,
            password,
            ssh_private_key,
            project: project(fields.change("project")?)?,
            display_name: match secret_type {
                SecretType::Repository => display_name(&fields)?,
                SecretType::CredentialTemplate => None,
            },
        })
    }
}

/// A repository's display name: printable, bounded.
fn display_name(fields: &Fields) -> Result<Option<String>, Invalid> {
    let Some(name) = fields.optional("display_name")? else {
        return Ok(None);
    };
    if name.len() > MAX_USERNAME || name.chars().any(char::is_control) {
        return Err(Invalid(format!(
            "Field display_name must be at most {MAX_USERNAME} printable characters"
        )));
    }
    Ok(Some(name))
}

#[cfg(test)]
pub(crate) mod tests {
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
            let err = repository_url(url, kind, "repository_url", UrlUse::Repository, false)
                .unwrap_err()
                .0;
            assert!(err.contains("contains credentials"), "{url}: {err}");
            assert!(!err.contains("ghp_"), "{url} echoed: {err}");
        }
        for url in [
            "git@github.com:acme/app.git",
            "ssh://git@github.com/acme/app.git",
        ] {
            assert!(
                repository_url(url, RepoKind::Git, "u", UrlUse::Repository, false).is_ok(),
                "{url}"
            );
        }
        // Whatever else is wrong with a URL or registry carrying an '@', the message never quotes what is
        // before it.
        for url in ["ghp_secret@bad_host:acme", "ghp_secret@:acme/app.git"] {
            let err = repository_url(
                url,
                RepoKind::Git,
                "repository_url",
                UrlUse::Repository,
                false,
            )
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

    pub(crate) fn merge(target: &mut Value, patch: &Value) {
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
                repository_url(raw, kind, "url", UrlUse::Repository, false).map_err(|_| ()),
                expected.map(str::to_string),
                "{raw}"
            );
        }
    }

    #[test]
    fn repository_urls_follow_the_location_rules() {
        use RepoKind::*;
        let url =
            |raw: &str, kind, usage, insecure| repository_url(raw, kind, "url", usage, insecure);
        // raw, kind, use, insecure_http → stored, or what the refusal says
        type Case<'a> = (&'a str, RepoKind, UrlUse, bool, Result<&'a str, &'a str>);
        let cases: Vec<Case> = vec![
            (
                "https://gitlab.example.com/acme/app.git?private_token=tok-secret",
                Git,
                UrlUse::Repository,
                false,
                Err("query (?…) or fragment"),
            ),
            (
                "https://github.com/acme/app#tok-secret",
                Git,
                UrlUse::Repository,
                false,
                Err("query (?…) or fragment"),
            ),
            (
                "http://git.example.com/acme/app",
                Git,
                UrlUse::Repository,
                false,
                Err("insecure_http: true"),
            ),
            (
                "http://git.example.com/acme/app",
                Git,
                UrlUse::Repository,
                true,
                Ok("http://git.example.com/acme/app"),
            ),
            (
                "http://charts.example.com",
                Helm,
                UrlUse::Repository,
                false,
                Err("clear text"),
            ),
            (
                "ssh://git@exa_mple.com/acme/app",
                Git,
                UrlUse::Repository,
                false,
                Err("not a valid host"),
            ),
            (
                "git@bad host:acme/app",
                Git,
                UrlUse::Repository,
                false,
                Err("spaces"),
            ),
            (
                "git@-x-.example.com:acme/app",
                Git,
                UrlUse::Repository,
                false,
                Err("not a valid host"),
            ),
            (
                "https://gіthub.com/acme/app",
                Git,
                UrlUse::Repository,
                false,
                Err("punycode"),
            ),
            (
                "https://xn--gthub-n4a.com/acme/app",
                Git,
                UrlUse::Repository,
                false,
                Ok("https://xn--gthub-n4a.com/acme/app"),
            ),
            (
                "https://github.com",
                Git,
                UrlUse::Template,
                false,
                Err("at least an organisation"),
            ),
            (
                "https://github.com/",
                Git,
                UrlUse::Template,
                false,
                Err("at least an organisation"),
            ),
            (
                "https://github.com/acme",
                Git,
                UrlUse::Template,
                false,
                Ok("https://github.com/acme/"),
            ),
            (
                "git@github.com:acme",
                Git,
                UrlUse::Template,
                false,
                Ok("git@github.com:acme/"),
            ),
            (
                "ghcr.io/acme",
                Oci,
                UrlUse::Template,
                false,
                Ok("ghcr.io/acme/"),
            ),
            (
                "ghcr.io",
                Oci,
                UrlUse::Template,
                false,
                Err("at least an organisation"),
            ),
        ];
        for (raw, kind, usage, insecure, expected) in cases {
            match (url(raw, kind, usage, insecure), expected) {
                (Ok(stored), Ok(want)) => assert_eq!(stored, want, "{raw}"),
                (Err(e), Err(says)) => {
                    assert!(e.0.contains(says), "{raw}: {}", e.0);
                    assert!(
                        !e.0.contains("tok-secret") && !e.0.contains("private_token"),
                        "{raw} echoed: {}",
                        e.0
                    );
                }
                (got, want) => panic!("{raw}: {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn a_repository_has_one_method_that_fits_its_url() {
        let parse =
            |body: &str| RepositoryRequest::parse_generic(body.as_bytes(), SecretType::Repository);
        let cases = [
            (
                r#"{"name": "a", "repository_url": "git@github.com:acme/a.git", "cluster_name": "c", "ssh_private_key": "k", "password": "p"}"#,
                "not both",
            ),
            (
                r#"{"name": "a", "repository_url": "https://github.com/acme/a", "cluster_name": "c", "ssh_private_key": "k"}"#,
                "needs an SSH repository_url",
            ),
            (
                r#"{"name": "a", "repository_url": "git@github.com:acme/a.git", "cluster_name": "c", "username": "u", "password": "p"}"#,
                "needs ssh_private_key",
            ),
        ];
        for (body, says) in cases {
            let err = parse(body).unwrap_err().0;
            assert!(err.contains(says), "{body}: {err}");
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
            "https://github.com/acme/"
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
                .project,
            Change::Set("payments".into())
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

//! What the secrets-add routes accept: JSON bodies in the cluster-configuration API's field names, read as
//! typed structs ([`fields`](crate::fields)) and checked completely before any write. Every problem is an
//! [`Invalid`] whose message says what to fix, and none repeats a secret value.

use super::fields::{self, Flag, List, Names, Text};
use super::kind::{RepoType, SecretKind};
use super::{SecretSettings, ARGOCD_OWN_SECRETS};
pub use crate::fields::Change;
use gluelinks_core::names::{is_label, is_subdomain};
use gluelinks_core::text::{bounded, ECHO_LIMIT};
use gluelinks_core::urls::{embeds_credentials, quotable, Form, Location};
use secrecy::SecretString;
use serde::Deserialize;

/// The largest request body accepted (credentials are small).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
const MAX_SECRET_VALUE: usize = 16 * 1024;
const MAX_USERNAME: usize = 256;
const ECHO: usize = ECHO_LIMIT;

/// A request that cannot be run, and what to fix (a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

pub(crate) fn required(name: &str, field: Text) -> Result<String, Invalid> {
    field
        .0
        .ok_or_else(|| Invalid(format!("Missing required field: {name}")))
}

pub(crate) fn secret_name(name: String) -> Result<String, Invalid> {
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

/// A read's `name` query parameter: a secret's name, checked as a body's is.
pub fn name_from_query(text: &str) -> Result<String, Invalid> {
    if !is_subdomain(text) {
        return Err(Invalid(format!(
            "Invalid parameter name '{}': a secret's name has lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters",
            bounded(text, ECHO)
        )));
    }
    Ok(text.to_string())
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

/// A user name or display name: printable, bounded.
fn printable(name: &str, value: String) -> Result<String, Invalid> {
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

/// Which stored clusters a write names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterChoice {
    /// One cluster, named alone: the original API's form, answered in its shapes.
    One(String),
    /// Several clusters (a list, even of one): a fleet write, answered per cluster.
    Several(Vec<String>),
    /// `"*"`: every stored cluster the caller's grant allows.
    All,
}

impl ClusterChoice {
    /// `cluster_name`, checked: a list holds valid names, each once, and `*` only alone.
    pub(crate) fn parse(field: Names) -> Result<Self, Invalid> {
        Self::named(
            field,
            "Field cluster_name",
            "Missing required field: cluster_name",
        )
    }

    /// A read's `cluster` query parameter (`a`, `a,b` or `*`), checked as [`Self::parse`] checks a body's.
    pub fn from_query(text: &str) -> Result<Self, Invalid> {
        let names: Vec<String> = text
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        let field = match names.len() {
            0 => Names::None,
            _ if text.contains(',') => Names::Several(names),
            _ => Names::One(names[0].clone()),
        };
        Self::named(
            field,
            "Parameter cluster",
            "Missing required parameter 'cluster'",
        )
    }

    fn named(field: Names, what: &str, missing: &str) -> Result<Self, Invalid> {
        match field {
            Names::None => Err(Invalid(missing.into())),
            Names::One(name) if name == "*" => Ok(ClusterChoice::All),
            Names::One(name) => Ok(ClusterChoice::One(name)),
            Names::Several(names) if names == ["*"] => Ok(ClusterChoice::All),
            Names::Several(names) => {
                let mut seen = std::collections::BTreeSet::new();
                let mut out = Vec::new();
                for name in names {
                    if name == "*" {
                        return Err(Invalid(format!(
                            "{what}: \"*\" means every cluster this caller is granted; send it alone"
                        )));
                    }
                    gluelinks_clusters::validate_name(&name)
                        .map_err(|e| Invalid(format!("{what}: {e}")))?;
                    if seen.insert(name.clone()) {
                        out.push(name);
                    }
                }
                Ok(ClusterChoice::Several(out))
            }
        }
    }

    /// The clusters named: one, or each of a list; none for `*` (the grant and the store say which).
    pub fn names(&self) -> &[String] {
        match self {
            ClusterChoice::One(cluster) => std::slice::from_ref(cluster),
            ClusterChoice::Several(names) => names,
            ClusterChoice::All => &[],
        }
    }

    /// The one cluster of a request in the original API's form.
    pub fn one(&self) -> Option<&str> {
        match self {
            ClusterChoice::One(name) => Some(name),
            _ => None,
        }
    }

    /// What an audit line or a message names: the cluster, the list, or `*`.
    pub fn shown(&self) -> String {
        match self {
            ClusterChoice::One(name) => name.clone(),
            ClusterChoice::Several(names) => names.join(","),
            ClusterChoice::All => "*".into(),
        }
    }
}

/// Common to every add route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Common {
    /// The stored clusters written to.
    pub cluster: ClusterChoice,
    /// The secret's name, the same in every namespace.
    pub name: String,
    /// Replace a secret GlueLinks created, instead of answering 409.
    pub upsert: bool,
    /// Check everything, the cluster included, and write nothing.
    pub dry_run: bool,
    /// Take over a secret of the right kind that GlueLinks did not create (audited as an adoption).
    pub adopt: bool,
    /// A fleet write goes on without the clusters that cannot be reached (reported and skipped).
    pub partial: bool,
}

/// The fields every add route has, as its body gave them.
struct CommonFields {
    cluster_name: Names,
    name: Text,
    upsert: Flag,
    dry_run: Flag,
    adopt: Flag,
    partial: Flag,
}

impl Common {
    fn new(f: CommonFields) -> Result<Self, Invalid> {
        Ok(Self {
            cluster: ClusterChoice::parse(f.cluster_name)?,
            name: secret_name(required("name", f.name)?)?,
            upsert: f.upsert.0,
            dry_run: f.dry_run.0,
            adopt: f.adopt.0,
            partial: f.partial.0,
        })
    }
}

/// `POST /secrets/add_docker`. Its `Debug` shows no password (`secrecy`).
#[derive(Clone, Debug)]
pub struct DockerRequest {
    /// What every add route has.
    pub common: Common,
    /// The registry user.
    pub username: String,
    /// The registry password or token.
    pub password: SecretString,
    /// The user's namespaces; the Argo CD namespace copy is added by the writer.
    pub namespaces: Vec<String>,
    /// The `.dockerconfigjson` `auths` keys: one, or Docker Hub's two.
    pub registry_keys: Vec<String>,
}

/// `add_docker`'s body.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct DockerBody {
    password: Text,
    username: Text,
    cluster_name: Names,
    partial: Flag,
    name: Text,
    namespaces: List,
    upsert: Flag,
    registry: Text,
    dry_run: Flag,
    adopt: Flag,
    /// Accepted for compatibility with the original API; a pull secret needs none.
    #[allow(dead_code)]
    email: Text,
}

const DOCKER_HUB: [&str; 2] = ["https://index.docker.io/v1/", "registry-1.docker.io"];

/// The `auths` keys for a registry: a host name (with an optional port, kept as written); Docker Hub's
/// aliases give both of the keys Docker clients look up.
pub fn registry_keys(registry: &str) -> Result<Vec<String>, Invalid> {
    let registry = registry.trim();
    if embeds_credentials(registry, false) {
        return Err(Invalid(
            "Invalid registry: it contains credentials; send them in username and password instead"
                .into(),
        ));
    }
    let bad = || {
        Invalid(format!(
            "Invalid registry '{}': use a registry host name such as ghcr.io or registry.example.com:5000",
            quotable(registry, ECHO)
        ))
    };
    let location = Location::parse(registry).map_err(|_| bad())?;
    let host_only = matches!(location.form(), Form::Https | Form::Http | Form::Bare)
        && matches!(location.segments().as_slice(), [] | ["v1"])
        && !location.has_query_or_fragment();
    if !host_only {
        return Err(bad());
    }
    if matches!(
        location.host().as_str(),
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "hub.docker.com"
    ) {
        return Ok(DOCKER_HUB.iter().map(|s| s.to_string()).collect());
    }
    Ok(vec![location.host_port().to_string()])
}

/// A request's namespaces: each once, at most `max` (counted before duplicates are dropped, so that a
/// long list costs nothing more than its count; the message names `setting`).
fn namespaces(list: List, max: usize, setting: &str) -> Result<Vec<String>, Invalid> {
    let items = list
        .0
        .ok_or_else(|| Invalid("Missing required field: namespaces".into()))?;
    if items.len() > max {
        return Err(Invalid(format!(
            "Field namespaces names {} namespaces; at most {max} are written per request ({setting}): split the request",
            items.len()
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    Ok(items
        .into_iter()
        .filter(|i| seen.insert(i.clone()))
        .collect())
}

/// The namespaces a pull secret goes into: names, each once, at most `SECRETS_MAX_NAMESPACES`, never the
/// Argo CD namespace (the image updater's copy goes there by itself).
pub(crate) fn docker_namespaces(
    list: List,
    settings: &SecretSettings,
) -> Result<Vec<String>, Invalid> {
    let namespaces = namespace_names(list, settings)?;
    for ns in &namespaces {
        if *ns == settings.argocd_namespace {
            return Err(Invalid(format!(
                "Namespace '{ns}' is not allowed in namespaces: the argocd-image-updater copy is written there automatically"
            )));
        }
    }
    Ok(namespaces)
}

/// A `namespaces` field: a list of namespace names, at most `SECRETS_MAX_NAMESPACES`, duplicates dropped.
pub(crate) fn namespace_names(
    list: List,
    settings: &SecretSettings,
) -> Result<Vec<String>, Invalid> {
    let namespaces = namespaces(list, settings.max_namespaces, "SECRETS_MAX_NAMESPACES")?;
    if let Some(ns) = namespaces.iter().find(|ns| !is_label(ns)) {
        return Err(Invalid(format!(
            "Invalid namespace '{}': use lowercase letters, digits and '-', at most 63 characters",
            bounded(ns, ECHO)
        )));
    }
    Ok(namespaces)
}

impl DockerRequest {
    /// `POST /secrets/add_docker`'s body, checked.
    pub fn parse(body: &[u8], settings: &SecretSettings) -> Result<Self, Invalid> {
        let body: DockerBody = fields::read(body)?;
        let password = secret_value("password", required("password", body.password)?)?;
        let username = printable("username", required("username", body.username)?)?;
        if username.contains(':') {
            return Err(Invalid(
                "Field username must not contain ':' (registry auth is user:password)".into(),
            ));
        }
        let common = Common::new(CommonFields {
            cluster_name: body.cluster_name,
            name: body.name,
            upsert: body.upsert,
            dry_run: body.dry_run,
            adopt: body.adopt,
            partial: body.partial,
        })?;
        let namespaces = docker_namespaces(body.namespaces, settings)?;
        let registry_keys = registry_keys(body.registry.0.as_deref().unwrap_or("ghcr.io"))?;
        Ok(Self {
            common,
            username,
            password,
            namespaces,
            registry_keys,
        })
    }
}

/// An Argo CD repository secret or credential template, from any of the three repository routes. Its
/// `Debug` shows no password or key (`secrecy`).
#[derive(Clone, Debug)]
pub struct RepositoryRequest {
    /// What every add route has.
    pub common: Common,
    /// Which route: a Helm repository, any repository, or a credential template.
    pub kind: SecretKind,
    /// What the repository serves.
    pub repo_type: RepoType,
    /// As Argo CD wants it (see [`repository_url`]).
    pub url: String,
    /// The user name, for a password or token.
    pub username: Option<String>,
    /// The password or token.
    pub password: Option<SecretString>,
    /// The SSH key, for a Git repository over SSH.
    pub ssh_private_key: Option<SecretString>,
    /// The Argo CD project the repository or template is scoped to.
    pub project: Change,
    /// The repository's display name in Argo CD (its `name` key); a new repository secret is named after
    /// the secret when none is given, an existing one keeps its own.
    pub display_name: Option<String>,
}

/// `add_helm_repo`'s body.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct HelmBody {
    name: Text,
    repository_url: Text,
    cluster_name: Names,
    partial: Flag,
    username: Text,
    password: Text,
    upsert: Flag,
    use_oci: Flag,
    dry_run: Flag,
    adopt: Flag,
    insecure_http: Flag,
    project: Change,
    display_name: Text,
}

/// `add_repository`'s body; `add_repo_creds`' is read as its own struct (its URL in `url`, no display
/// name) and then as this one.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RepositoryBody {
    name: Text,
    repository_url: Text,
    cluster_name: Names,
    partial: Flag,
    #[serde(rename = "type")]
    repo_type: Text,
    username: Text,
    password: Text,
    ssh_private_key: Text,
    upsert: Flag,
    dry_run: Flag,
    adopt: Flag,
    insecure_http: Flag,
    project: Change,
    display_name: Text,
}

/// `add_repo_creds`' body: a URL prefix in `url`.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RepoCredsBody {
    name: Text,
    url: Text,
    cluster_name: Names,
    partial: Flag,
    #[serde(rename = "type")]
    repo_type: Text,
    username: Text,
    password: Text,
    ssh_private_key: Text,
    upsert: Flag,
    dry_run: Flag,
    adopt: Flag,
    insecure_http: Flag,
    project: Change,
}

impl From<RepoCredsBody> for RepositoryBody {
    fn from(b: RepoCredsBody) -> Self {
        Self {
            name: b.name,
            repository_url: b.url,
            cluster_name: b.cluster_name,
            partial: b.partial,
            repo_type: b.repo_type,
            username: b.username,
            password: b.password,
            ssh_private_key: b.ssh_private_key,
            upsert: b.upsert,
            dry_run: b.dry_run,
            adopt: b.adopt,
            insecure_http: b.insecure_http,
            project: b.project,
            display_name: Text(None),
        }
    }
}

/// The forms each type of repository is written in, and the example a refusal gives.
fn accepted_forms(repo_type: RepoType) -> (&'static [Form], &'static str) {
    match repo_type {
        RepoType::Oci => (
            &[Form::Oci, Form::Bare, Form::Https, Form::Http],
            "use a registry path such as ghcr.io/org/charts",
        ),
        RepoType::Helm => (
            &[Form::Https, Form::Http, Form::Bare],
            "use a chart repository URL such as https://charts.bitnami.com/bitnami",
        ),
        RepoType::Git => (
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
    repo_type: RepoType,
    field: &str,
    usage: UrlUse,
    insecure_http: bool,
) -> Result<String, Invalid> {
    let url = raw.trim();
    // A URL that carries credentials is refused without repeating it.
    if embeds_credentials(url, repo_type == RepoType::Git) {
        return Err(Invalid(format!(
            "Invalid {field}: it contains credentials; send them in username and password (or ssh_private_key) instead"
        )));
    }
    let bad = |why: &dyn std::fmt::Display| {
        Invalid(format!("Invalid {field} '{}': {why}", quotable(url, ECHO)))
    };
    let location = Location::parse(url).map_err(|e| bad(&e))?;
    if location.has_query_or_fragment() {
        return Err(Invalid(format!(
            "Invalid {field}: it has a query (?…) or fragment (#…), which can carry a token and which Argo CD does not use; remove it"
        )));
    }
    let (forms, example) = accepted_forms(repo_type);
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
    let mut stored = match (repo_type, location.form()) {
        (RepoType::Oci, _) => url
            .split_once("://")
            .map_or(url, |(_, rest)| rest)
            .trim_end_matches('/')
            .to_string(),
        (RepoType::Helm, Form::Bare) => format!("https://{url}"),
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
        let body: HelmBody = fields::read(body)?;
        let common = Common::new(CommonFields {
            cluster_name: body.cluster_name,
            name: body.name,
            upsert: body.upsert,
            dry_run: body.dry_run,
            adopt: body.adopt,
            partial: body.partial,
        })?;
        let raw_url = required("repository_url", body.repository_url)?;
        let username = printable("username", required("username", body.username)?)?;
        let password = secret_value("password", required("password", body.password)?)?;
        let repo_type = if body.use_oci.0 {
            RepoType::Oci
        } else {
            RepoType::Helm
        };
        Ok(Self {
            url: repository_url(
                &raw_url,
                repo_type,
                "repository_url",
                UrlUse::Repository,
                body.insecure_http.0,
            )?,
            common,
            kind: SecretKind::HelmRepository,
            repo_type,
            username: Some(username),
            password: Some(password),
            ssh_private_key: None,
            project: project(body.project)?,
            display_name: display_name(body.display_name)?,
        })
    }

    /// `POST /secrets/add_repository` ([`SecretKind::Repository`]: `repository_url`) and
    /// `POST /secrets/add_repo_creds` ([`SecretKind::CredentialTemplate`]: `url`, a prefix).
    pub fn parse_generic(body: &[u8], kind: SecretKind) -> Result<Self, Invalid> {
        let (body, usage) = match kind {
            SecretKind::CredentialTemplate => (
                RepositoryBody::from(fields::read::<RepoCredsBody>(body)?),
                UrlUse::Template,
            ),
            _ => (fields::read::<RepositoryBody>(body)?, UrlUse::Repository),
        };
        let url_field = kind.url_field();
        let common = Common::new(CommonFields {
            cluster_name: body.cluster_name,
            name: body.name,
            upsert: body.upsert,
            dry_run: body.dry_run,
            adopt: body.adopt,
            partial: body.partial,
        })?;
        let raw_url = required(url_field, body.repository_url)?;
        let repo_type = RepoType::parse(body.repo_type.0.as_deref())?;
        let username = body
            .username
            .0
            .map(|u| printable("username", u))
            .transpose()?;
        let password = body
            .password
            .0
            .map(|p| secret_value("password", p))
            .transpose()?;
        let ssh_private_key = body
            .ssh_private_key
            .0
            .map(|k| secret_value("ssh_private_key", k))
            .transpose()?;
        if ssh_private_key.is_some() && repo_type != RepoType::Git {
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
        let url = repository_url(&raw_url, repo_type, url_field, usage, body.insecure_http.0)?;
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
            kind,
            repo_type,
            username,
            password,
            ssh_private_key,
            project: project(body.project)?,
            display_name: display_name(body.display_name)?,
        })
    }
}

/// A repository's display name: printable, bounded.
fn display_name(name: Text) -> Result<Option<String>, Invalid> {
    name.0.map(|n| printable("display_name", n)).transpose()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use gluelinks_core::config::Env;
    use serde_json::Value;

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
            ("https://octo:ghp_secret@github.com/acme/app", RepoType::Git),
            ("https://ghp_secret@github.com/acme/app", RepoType::Git),
            (
                "ssh://git:ghp_secret@github.com/acme/app.git",
                RepoType::Git,
            ),
            ("ghp_user:ghp_secret@charts.example.com/x", RepoType::Helm),
            ("ghp_secret@charts.example.com/x", RepoType::Helm),
            ("oci://octo:ghp_secret@ghcr.io/acme/charts", RepoType::Oci),
            ("octo:ghp_secret@ghcr.io/acme/charts", RepoType::Oci),
            ("git:ghp_secret@github.com:acme/app.git", RepoType::Git),
            // The SSH user exemption is Git's alone: a Helm or OCI `user@host:port` carries a token.
            ("ghp_secret@charts.example.com:8443/x", RepoType::Helm),
            ("ghp_secret@ghcr.io:443/acme", RepoType::Oci),
            ("ssh://ghp_secret@ghcr.io/acme", RepoType::Oci),
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
                repository_url(url, RepoType::Git, "u", UrlUse::Repository, false).is_ok(),
                "{url}"
            );
        }
        // Whatever else is wrong with a URL or registry carrying an '@', the message never quotes what is
        // before it.
        for url in ["ghp_secret@bad_host:acme", "ghp_secret@:acme/app.git"] {
            let err = repository_url(
                url,
                RepoType::Git,
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
            SecretKind::Repository,
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
                RepoType::Oci,
                Ok("ghcr.io/acme/charts"),
            ),
            (
                "oci://ghcr.io/acme/charts/",
                RepoType::Oci,
                Ok("ghcr.io/acme/charts"),
            ),
            (
                "charts.bitnami.com/bitnami",
                RepoType::Helm,
                Ok("https://charts.bitnami.com/bitnami"),
            ),
            (
                "https://charts.example.com",
                RepoType::Helm,
                Ok("https://charts.example.com"),
            ),
            (
                "git@github.com:acme/app.git",
                RepoType::Git,
                Ok("git@github.com:acme/app.git"),
            ),
            (
                "https://github.com/acme",
                RepoType::Git,
                Ok("https://github.com/acme"),
            ),
            ("ftp://x.y/z", RepoType::Git, Err(())),
            ("https://exa mple.com", RepoType::Helm, Err(())),
            (
                "https://octo:ghp_secret@github.com/acme",
                RepoType::Git,
                Err(()),
            ),
            (
                "ssh://git@github.com/acme/app.git",
                RepoType::Git,
                Ok("ssh://git@github.com/acme/app.git"),
            ),
            ("nohost", RepoType::Helm, Err(())),
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
        use RepoType::*;
        let url =
            |raw: &str, kind, usage, insecure| repository_url(raw, kind, "url", usage, insecure);
        // raw, kind, use, insecure_http → stored, or what the refusal says
        type Case<'a> = (&'a str, RepoType, UrlUse, bool, Result<&'a str, &'a str>);
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
            |body: &str| RepositoryRequest::parse_generic(body.as_bytes(), SecretKind::Repository);
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
            (parsed.repo_type, parsed.url.as_str()),
            (RepoType::Oci, "ghcr.io/acme")
        );
        let missing = br#"{"name": "r", "repository_url": "https://x.io", "cluster_name": "c", "username": "u"}"#;
        assert_eq!(
            RepositoryRequest::parse_helm(missing).unwrap_err().0,
            "Missing required field: password"
        );

        let git = br#"{"name": "app", "repository_url": "git@github.com:acme/app.git", "cluster_name": "c", "ssh_private_key": "-----BEGIN KEY-----"}"#;
        let parsed = RepositoryRequest::parse_generic(git, SecretKind::Repository).unwrap();
        assert_eq!(parsed.repo_type, RepoType::Git);
        let creds = br#"{"name": "org", "url": "https://github.com/acme", "cluster_name": "c", "type": "git", "username": "u", "password": "p"}"#;
        assert_eq!(
            RepositoryRequest::parse_generic(creds, SecretKind::CredentialTemplate)
                .unwrap()
                .url,
            "https://github.com/acme/"
        );
        let leaky = br#"{"name": "org", "url": "https://octo:ghp_secret@github.com/acme", "cluster_name": "c", "username": "u", "password": "p"}"#;
        let err = RepositoryRequest::parse_generic(leaky, SecretKind::CredentialTemplate)
            .unwrap_err()
            .0;
        assert!(
            err.contains("contains credentials") && !err.contains("ghp_secret"),
            "{err}"
        );
        let scoped = br#"{"name": "org", "url": "https://github.com/acme", "cluster_name": "c", "username": "u", "password": "p", "project": "payments"}"#;
        assert_eq!(
            RepositoryRequest::parse_generic(scoped, SecretKind::CredentialTemplate)
                .unwrap()
                .project,
            Change::Set("payments".into())
        );
        let bad_project = br#"{"name": "org", "url": "https://github.com/acme", "cluster_name": "c", "username": "u", "password": "p", "project": "Not A Project"}"#;
        assert!(
            RepositoryRequest::parse_generic(bad_project, SecretKind::CredentialTemplate)
                .unwrap_err()
                .0
                .contains("Invalid project")
        );
        let bad_type = br#"{"name": "org", "url": "https://github.com/acme", "cluster_name": "c", "type": "svn", "username": "u", "password": "p"}"#;
        assert!(
            RepositoryRequest::parse_generic(bad_type, SecretKind::CredentialTemplate)
                .unwrap_err()
                .0
                .contains("use git, helm or oci")
        );
        let ssh_helm = br#"{"name": "h", "repository_url": "https://x.io/c", "cluster_name": "c", "type": "helm", "ssh_private_key": "k"}"#;
        assert!(RepositoryRequest::parse_generic(ssh_helm, SecretKind::Repository).is_err());
    }
}

//! The Git folder holding an application's deployment configuration, as a browsable `https://` URL.
//!
//! Multi-source apps (the GlueOps layout) take the `ref: values` source's repository at its revision and the
//! `apps/<x>` folder named by a `$values/apps/<x>/…` value file; single-source apps take `source.repoURL`
//! and `source.path`. SSH and `.git` repository URLs become web URLs. A user name or password in a
//! repository URL never reaches a link or a message (and so neither a response nor the cache).

use super::templates::COMPONENT;
use gluelinks_core::text::bounded;
use gluelinks_core::urls::{quotable, Location};
use percent_encoding::utf8_percent_encode;
use serde_json::Value;

/// The most of an Application's field a message quotes.
const SHOWN_LIMIT: usize = 120;

/// A repository URL as a message may quote it ([`quotable`]).
fn shown(url: &str) -> String {
    quotable(url, SHOWN_LIMIT)
}

/// `git@host:org/repo.git`, `ssh://git@host/org/repo`, `https://host/org/repo.git` → `https://host/org/repo`,
/// without any user name or password ([`Location::browsable`]).
pub fn browsable(repo_url: &str) -> Option<String> {
    Location::parse(repo_url).ok()?.browsable()
}

fn revision(source: &Value) -> &str {
    match source["targetRevision"].as_str() {
        Some(r) if !r.is_empty() => r,
        _ => "main",
    }
}

/// `<repo>/tree/<revision>[/<path>]`, each segment of the revision (`feature/x`) and the path encoded, `.`
/// segments left out. A path or revision that climbs (`..`) is refused: the link would open another
/// folder, or another repository, than the Application's.
fn folder_url(repo: &str, revision: &str, path: &str) -> Result<String, IaacError> {
    let segments = |text: &str, what: fn(String) -> IaacError| -> Result<Vec<String>, IaacError> {
        text.split('/')
            .filter(|s| !s.is_empty())
            .filter(|s| *s != ".")
            .map(|s| match s {
                ".." => Err(what(bounded(text, SHOWN_LIMIT))),
                s => Ok(utf8_percent_encode(s, COMPONENT).to_string()),
            })
            .collect()
    };
    let mut url = format!("{repo}/tree/");
    url.push_str(&segments(revision, IaacError::Revision)?.join("/"));
    for segment in segments(path, IaacError::Path)? {
        url.push('/');
        url.push_str(&segment);
    }
    Ok(url)
}

/// Why an Application's config folder cannot be linked; the message is the IaaC category's. A repository
/// URL is quoted without its user information.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum IaacError {
    /// The `ref: values` source's repository URL is no Git location with a plain path (quoted safely).
    #[error("Cannot parse the values repository URL {0:?}")]
    ValuesRepository(String),
    /// The source's repository URL is no Git location with a plain path (quoted safely).
    #[error("Cannot parse the repository URL {0:?}")]
    Repository(String),
    /// Neither `source` nor `sources`.
    #[error("The Application has no source or sources to link to")]
    NoSource,
    /// The source path climbs out of its folder.
    #[error("The source path {0:?} leaves the repository folder ('..'): not linked")]
    Path(String),
    /// The revision climbs out of its tree.
    #[error("The target revision {0:?} has a '..' segment: not linked")]
    Revision(String),
}

/// The folder URL of an Application object; `Ok(None)` when it has no Git source (a chart from a Helm
/// repository only), `Err` when its sources cannot be understood.
pub fn config_folder(app: &Value) -> Result<Option<String>, IaacError> {
    let spec = &app["spec"];
    if let Some(sources) = spec["sources"].as_array().filter(|s| !s.is_empty()) {
        let Some(values) = sources.iter().find(|s| s["ref"] == "values") else {
            // Without a values repository, fall back to the first source that is a Git path.
            return Ok(sources.iter().find_map(|s| single(s).ok().flatten()));
        };
        let repo = values["repoURL"]
            .as_str()
            .and_then(browsable)
            .ok_or_else(|| {
                IaacError::ValuesRepository(shown(values["repoURL"].as_str().unwrap_or("")))
            })?;
        let folder = sources
            .iter()
            .flat_map(|s| s["helm"]["valueFiles"].as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .find_map(|file| {
                let rest = file.strip_prefix("$values/apps/")?;
                let app_dir = rest.split('/').next().filter(|d| !d.is_empty())?;
                Some(format!("apps/{app_dir}"))
            })
            .unwrap_or_default();
        return folder_url(&repo, revision(values), &folder).map(Some);
    }
    if spec["source"].is_object() {
        return single(&spec["source"]);
    }
    Err(IaacError::NoSource)
}

fn single(source: &Value) -> Result<Option<String>, IaacError> {
    let Some(path) = source["path"].as_str() else {
        return Ok(None);
    };
    let raw = source["repoURL"].as_str().unwrap_or("");
    let repo = browsable(raw).ok_or_else(|| IaacError::Repository(shown(raw)))?;
    folder_url(&repo, revision(source), path).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repository_urls_become_browsable() {
        let cases = [
            (
                "git@github.com:acme/billing.git",
                Some("https://github.com/acme/billing"),
            ),
            (
                "https://github.com/acme/deploy.git",
                Some("https://github.com/acme/deploy"),
            ),
            (
                "https://github.com/acme/deploy/",
                Some("https://github.com/acme/deploy"),
            ),
            (
                "ssh://git@gitlab.example.com:2222/team/app.git",
                Some("https://gitlab.example.com/team/app"),
            ),
            ("charts.bitnami.com/bitnami", None),
            // User names and passwords never reach the link.
            (
                "https://octo:ghp_secret@github.com/acme/app.git",
                Some("https://github.com/acme/app"),
            ),
            ("ssh://git:pw@host/org/repo", Some("https://host/org/repo")),
            (
                "http://ci:pw@git.example.com:8080/org/repo",
                Some("http://git.example.com:8080/org/repo"),
            ),
            (
                "deploy:pw@git.example.com:org/repo.git",
                Some("https://git.example.com/org/repo"),
            ),
            ("https://octo:ghp_se/cret@github.com/acme/app", None),
        ];
        for (url, expected) in cases {
            assert_eq!(browsable(url).as_deref(), expected, "{url}");
        }
    }

    #[test]
    fn credentials_in_repository_urls_reach_no_link_or_message() {
        let urls = [
            "https://octo:ghp_secret@github.com/acme/app.git",
            "ssh://git:ghp_secret@host/org/repo",
            "ghp_secret@git.example.com:org/repo.git",
            "https://octo:ghp_se/cret@github.com/acme/app",
            "ftp://octo:ghp_secret@files.example.com/app",
            "oci://octo:ghp_secret@ghcr.io/acme",
            "https://gitlab.example.com/acme/app?private_token=ghp_secret",
            "https://gitlab.example.com/acme/app#ghp_secret",
        ];
        for url in urls {
            let single = json!({"spec": {"source": {"repoURL": url, "path": "deploy"}}});
            let multi = json!({"spec": {"sources": [{"repoURL": url, "ref": "values"}]}});
            for app in [single, multi] {
                let outcome = format!("{:?}", config_folder(&app));
                assert!(
                    !outcome.contains("ghp_se") && !outcome.contains("cret"),
                    "{url}: {outcome}"
                );
            }
        }
    }

    #[test]
    fn folders_of_multi_and_single_source_apps() {
        let multi = json!({"spec": {"sources": [
            {"repoURL": "https://helm.gpkg.io/project-template", "chart": "app", "helm": {"valueFiles": ["$values/apps/taco-backend/envs/prod/values.yaml"]}},
            {"repoURL": "https://github.com/antoniostacos/deployment-configurations.git", "targetRevision": "main", "ref": "values"}
        ]}});
        let no_revision = json!({"spec": {"sources": [
            {"chart": "app", "helm": {"valueFiles": ["$values/apps/x/values.yaml"]}},
            {"repoURL": "git@github.com:acme/cfg.git", "ref": "values"}
        ]}});
        let single = json!({"spec": {"source": {"repoURL": "git@github.com:acme/billing.git", "path": "deploy/prod", "targetRevision": "HEAD"}}});
        let chart_only = json!({"spec": {"source": {"repoURL": "https://charts.bitnami.com/bitnami", "chart": "nginx"}}});
        let cases = [
            (multi, Ok(Some("https://github.com/antoniostacos/deployment-configurations/tree/main/apps/taco-backend".to_string()))),
            (no_revision, Ok(Some("https://github.com/acme/cfg/tree/main/apps/x".to_string()))),
            (single, Ok(Some("https://github.com/acme/billing/tree/HEAD/deploy/prod".to_string()))),
            (chart_only, Ok(None)),
            (json!({"spec": {}}), Err(IaacError::NoSource)),
        ];
        for (app, expected) in cases {
            assert_eq!(config_folder(&app), expected, "{app}");
        }
    }

    #[test]
    fn hostile_sources_never_make_a_link_that_escapes_its_folder() {
        for url in [
            "https://github.com/acme/app\nX-Injected: 1",
            "https://github.com/acme/app\"onmouseover=\"x",
            "https://github.com/acme/../../attacker/app",
            "https://github.com/acme/%2e%2e/%2E%2e/attacker/app",
            "https://github.com/acme/app#fragment",
            "https://github.com/acme/app?x=1",
            "https://git hub.com/acme/app",
            "https://github.com/acme/<script>",
            "javascript:alert(1)//github.com/acme/app",
            "git@github.com:acme/../../attacker.git",
        ] {
            assert_eq!(browsable(url), None, "{url:?}");
        }
        let app = |path: &str, revision: &str| json!({"spec": {"source": {"repoURL": "https://github.com/acme/app", "path": path, "targetRevision": revision}}});
        let cases = [
            (
                app("deploy/./prod/", "main"),
                Ok(Some(
                    "https://github.com/acme/app/tree/main/deploy/prod".to_string(),
                )),
            ),
            (
                app("a b/c#d&e%f\"g", "feature/x"),
                Ok(Some(
                    "https://github.com/acme/app/tree/feature/x/a%20b/c%23d%26e%25f%22g"
                        .to_string(),
                )),
            ),
            (
                app("deploy", "main?x=1#y"),
                Ok(Some(
                    "https://github.com/acme/app/tree/main%3Fx%3D1%23y/deploy".to_string(),
                )),
            ),
            (
                app("../../attacker/app", "main"),
                Err(IaacError::Path("../../attacker/app".into())),
            ),
            (
                app("deploy", "../../../attacker"),
                Err(IaacError::Revision("../../../attacker".into())),
            ),
            (
                app("deploy\n..", "main"),
                Ok(Some(
                    "https://github.com/acme/app/tree/main/deploy%0A..".to_string(),
                )),
            ),
        ];
        for (app, expected) in cases {
            assert_eq!(config_folder(&app), expected, "{app}");
        }
    }
}

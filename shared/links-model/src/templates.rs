//! URL templates for every category, and the settings that fill them.
//!
//! The defaults are the original extension backend's URL shapes. An operator with other dashboards replaces any of them with an
//! environment variable (`LINK_TEMPLATE_APM`, …) without rebuilding. Placeholders: `{grafana}` and `{vault}`
//! (base URLs, inserted as they are), and `{app}`, `{service}`, `{namespace}`, `{pod}`, `{path}`,
//! `{panes}`, `{tempo_uid}`, each URL-encoded for where it stands: as a path segment before the `?`,
//! as a query value after it.

use super::categories::CATEGORIES;
use super::model::Link;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::urls::is_dot_segment;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters left as they are in both positions: RFC 3986's unreserved set.
pub(crate) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const PLACEHOLDERS: [&str; 9] = [
    "grafana",
    "vault",
    "app",
    "service",
    "namespace",
    "pod",
    "path",
    "panes",
    "tempo_uid",
];

/// What makes the links: every category's URL template, the base URLs and Tempo datasource they are
/// filled with, the most rows a category lists, and the quick links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkSettings {
    pub(crate) grafana: String,
    pub(crate) vault: String,
    pub(crate) tempo_uid: Option<String>,
    pub(crate) max_rows: usize,
    pub(crate) quick_links: Vec<Link>,
    templates: Vec<(&'static str, String)>,
}

impl LinkSettings {
    /// `GRAFANA_BASE_URL`, `VAULT_BASE_URL`, `TEMPO_DATASOURCE_UID`, `MAX_ROWS` (20),
    /// `QUICK_LINKS` (a JSON list of `{"label", "url"}`) and the `LINK_TEMPLATE_*` overrides.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let base = |name: &str, default: &str| -> Result<String, ConfigError> {
            let url = env.string(name, default);
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(ConfigError::new(
                    name,
                    format!("{url:?} is not an http(s) URL"),
                ));
            }
            Ok(url.trim_end_matches('/').to_string())
        };
        let mut templates = Vec::new();
        for c in &CATEGORIES {
            if let Some((variable, default)) = c.template {
                let template = env.string(variable, default);
                check_template(variable, &template)?;
                templates.push((c.id, template));
            }
        }
        let quick_links = match env.get("QUICK_LINKS") {
            None => Vec::new(),
            Some(raw) => serde_json::from_str::<Vec<Link>>(raw).map_err(|e| {
                ConfigError::new(
                    "QUICK_LINKS",
                    format!("must be a JSON list of {{\"label\": …, \"url\": …}}: {e}"),
                )
            })?,
        };
        let max_rows = env.parse("MAX_ROWS", 20usize)?;
        if max_rows == 0 {
            return Err(ConfigError::new("MAX_ROWS", "must be at least 1"));
        }
        Ok(Self {
            grafana: base("GRAFANA_BASE_URL", "https://grafana.example.com")?,
            vault: base("VAULT_BASE_URL", "https://vault.example.com")?,
            tempo_uid: env.get("TEMPO_DATASOURCE_UID").map(str::to_string),
            max_rows,
            quick_links,
            templates,
        })
    }

    /// The template for a category id; every id in the defaults has one.
    pub fn template(&self, id: &str) -> &str {
        self.templates
            .iter()
            .find(|(tid, _)| *tid == id)
            .map(|(_, t)| t.as_str())
            .unwrap_or_default()
    }

    /// Fills a category's template; values not given leave their placeholder empty.
    pub fn url(&self, id: &str, values: &[(&str, &str)]) -> String {
        let mut all = vec![
            ("grafana", self.grafana.as_str()),
            ("vault", self.vault.as_str()),
            ("tempo_uid", self.tempo_uid.as_deref().unwrap_or("")),
        ];
        all.extend_from_slice(values);
        fill(self.template(id), &all)
    }
}

fn check_template(variable: &str, template: &str) -> Result<(), ConfigError> {
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or_else(|| ConfigError::new(variable, "has a '{' without its closing '}'"))?;
        let name = &after[..end];
        if !PLACEHOLDERS.contains(&name) {
            return Err(ConfigError::new(
                variable,
                format!(
                    "uses unknown placeholder {{{name}}}; known: {}",
                    PLACEHOLDERS.join(", ")
                ),
            ));
        }
        rest = &after[end + 1..];
    }
    if !(template.starts_with("{grafana}")
        || template.starts_with("{vault}")
        || template.starts_with("https://")
        || template.starts_with("http://"))
    {
        return Err(ConfigError::new(
            variable,
            "must start with {grafana}, {vault} or an http(s) URL",
        ));
    }
    Ok(())
}

/// `segment` encoded as one path segment; a dot segment is dropped.
fn path_segment(segment: &str) -> String {
    if is_dot_segment(segment) {
        return String::new();
    }
    utf8_percent_encode(segment, COMPONENT).to_string()
}

/// Replaces each `{name}` with its value, encoded for its position in the URL.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let query_start = template.find('?').unwrap_or(template.len());
    let mut out = String::with_capacity(template.len() + 64);
    let mut i = 0;
    while let Some(open) = template[i..].find('{').map(|o| o + i) {
        let Some(close) = template[open..].find('}').map(|c| c + open) else {
            break;
        };
        out.push_str(&template[i..open]);
        let name = &template[open + 1..close];
        let value = values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .unwrap_or("");
        match name {
            "grafana" | "vault" => out.push_str(value),
            // A path keeps its slashes: each segment is encoded on its own, dot segments dropped.
            "path" if open < query_start => {
                let segments: Vec<String> = value
                    .split('/')
                    .filter(|s| !is_dot_segment(s))
                    .map(|s| utf8_percent_encode(s, COMPONENT).to_string())
                    .collect();
                out.push_str(&segments.join("/"));
            }
            _ if open < query_start => out.push_str(&path_segment(value)),
            _ => out.extend(utf8_percent_encode(value, COMPONENT)),
        }
        i = close + 1;
    }
    out.push_str(&template[i..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_and_encodes_by_position() {
        let cases = [
            (
                "{grafana}/d/x?var-app={service}",
                vec![("grafana", "https://g"), ("service", "a b&c")],
                "https://g/d/x?var-app=a%20b%26c",
            ),
            (
                "{vault}/show/{path}",
                vec![("vault", "https://v"), ("path", "team/app db")],
                "https://v/show/team/app%20db",
            ),
            (
                "{grafana}/s/{service}/logs?f={service}",
                vec![("grafana", "https://g"), ("service", "a/b")],
                "https://g/s/a%2Fb/logs?f=a%2Fb",
            ),
            ("https://x/{missing}", vec![], "https://x/"),
            // Dot segments would climb out of the link's place: dropped in a path, kept in a query.
            (
                "{vault}/show/{path}?k={path}",
                vec![("vault", "https://v"), ("path", "../../sys/./x")],
                "https://v/show/sys/x?k=..%2F..%2Fsys%2F.%2Fx",
            ),
            (
                "{grafana}/d/{app}/x",
                vec![("grafana", "https://g"), ("app", "..")],
                "https://g/d//x",
            ),
        ];
        for (template, values, expected) in cases {
            assert_eq!(fill(template, &values), expected, "{template}");
        }
    }

    #[test]
    fn templates_are_configurable_and_checked() {
        let env = Env::from_pairs([
            ("GRAFANA_BASE_URL", "https://grafana.acme.dev/"),
            ("LINK_TEMPLATE_APM", "{grafana}/d/custom?svc={service}"),
        ]);
        let settings = LinkSettings::from_env(&env).unwrap();
        assert_eq!(
            settings.url("apm", &[("service", "taco")]),
            "https://grafana.acme.dev/d/custom?svc=taco"
        );
        assert!(settings
            .url("namespace", &[("namespace", "nonprod")])
            .starts_with("https://grafana.acme.dev/d/ee58kcteeir5sf/kubernetes-overview?"));
        let bad = [
            ("LINK_TEMPLATE_POD", "{grafana}/d/x?pod={pood}"),
            ("LINK_TEMPLATE_VAULT", "{vault/x"),
            ("LINK_TEMPLATE_LOGS", "ftp://logs/{service}"),
            ("GRAFANA_BASE_URL", "grafana.acme.dev"),
            ("QUICK_LINKS", "[{\"label\": \"x\"}]"),
            ("MAX_ROWS", "0"),
        ];
        for (name, value) in bad {
            let err = LinkSettings::from_env(&Env::from_pairs([(name, value)])).unwrap_err();
            assert_eq!(err.name, name, "{err}");
        }
    }
}

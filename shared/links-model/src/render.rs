//! From what discovery found to the categories the Argo CD extension shows, in their fixed order.

use super::categories;
use super::model::{Category, Link, LinksResponse, Metadata, Resources, Status, WorkloadCounts};
use super::templates::LinkSettings;
use gluelinks_core::text::bounded;
use gluelinks_core::urls::is_dot_segment;
use serde::Serialize;

/// A lookup's outcome: `Err` holds the message a user sees in the category.
pub type Found<T> = Result<T, String>;

/// Everything discovery learned about one application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovery {
    /// The Application's name.
    pub app: String,
    /// The namespace the workloads run in.
    pub namespace: String,
    /// The app's OpenTelemetry service name: its name without generated suffixes.
    pub service: String,
    /// Whether the Application was found in Argo CD.
    pub argocd_app: bool,
    /// How many workloads of each kind are the app's.
    pub workloads: WorkloadCounts,
    /// The pods of every workload of the app, in display order.
    pub pods: Found<Vec<PodLink>>,
    /// Why there are no pods: what was looked for, and where.
    pub pods_missing: Option<String>,
    /// How many ExternalSecrets are the app's.
    pub external_secrets: Found<usize>,
    /// Vault paths under `secret/`, de-duplicated, in discovery order.
    pub vault_paths: Found<Vec<String>>,
    /// Why there are no Vault links: what was looked for, and where.
    pub vault_missing: Option<String>,
    /// The browsable Git folder of the app's config; `Ok(None)` when the app names none.
    pub iaac: Found<Option<String>>,
    /// A Kubernetes call failed: this result must not replace a good cached one.
    pub degraded: bool,
}

/// One pod, and the workload it belongs to when the app has several (`StatefulSet payments-db`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodLink {
    /// The pod's name.
    pub pod: String,
    /// Its namespace: usually the target, but `status.resources` may name workloads elsewhere.
    pub namespace: String,
    /// The workload it belongs to (`StatefulSet payments-db`), named only when the app has several.
    pub workload: Option<String>,
}

impl PodLink {
    fn label(&self) -> String {
        match &self.workload {
            Some(workload) => format!("{} ({workload})", self.pod),
            None => self.pod.clone(),
        }
    }
}

/// The response for what discovery found: every category in display order, its URLs filled from
/// `settings`, made at `generated_at` (RFC 3339).
pub fn render(settings: &LinkSettings, d: &Discovery, generated_at: &str) -> LinksResponse {
    let mut categories = Vec::with_capacity(8);
    if !settings.quick_links.is_empty() {
        categories.push(category("quick-links", Ok(settings.quick_links.clone())));
    }
    let service = d.service.as_str();
    let ns = d.namespace.as_str();
    // Every template may use the app's own values; some categories add one of their own.
    let common = [
        ("app", d.app.as_str()),
        ("service", service),
        ("namespace", ns),
    ];
    // A category's own values come first, so they win over the app's (a pod's own namespace).
    let url = |id: &str, extra: &[(&str, &str)]| {
        let mut values = extra.to_vec();
        values.extend_from_slice(&common);
        settings.url(id, &values)
    };
    categories.push(category(
        "apm",
        Ok(vec![link(
            "Application Performance Monitoring",
            url("apm", &[]),
        )]),
    ));
    categories.push(category(
        "namespace",
        Ok(vec![link(
            &format!("Namespace {ns}"),
            url("namespace", &[]),
        )]),
    ));
    let mut pods = capped(
        settings,
        "pod",
        d.pods.as_ref().map(|pods| {
            pods.iter()
                .map(|p| {
                    link(
                        &p.label(),
                        url("pod", &[("pod", &p.pod), ("namespace", &p.namespace)]),
                    )
                })
                .collect()
        }),
    );
    explain_empty(&mut pods, &d.pods_missing);
    categories.push(pods);
    categories.push(category(
        "logs",
        Ok(vec![link(&format!("Logs for {service}"), url("logs", &[]))]),
    ));
    let panes = traces_panes(service, settings.tempo_uid.as_deref());
    categories.push(category(
        "traces",
        Ok(vec![link(
            &format!("Traces for {service}"),
            url("traces", &[("panes", &panes)]),
        )]),
    ));
    // A key with a `.` or `..` segment would open another secret than the one it names: not linked.
    let mut climbing = 0;
    let vault_links = d.vault_paths.as_ref().map(|paths| {
        let mut links = Vec::new();
        for path in paths {
            if path.split('/').any(is_dot_segment) {
                climbing += 1;
            } else {
                links.push(link(
                    &format!("secret/{path}"),
                    url("vault", &[("path", path)]),
                ));
            }
        }
        links
    });
    let mut vault = capped(settings, "vault", vault_links);
    explain_empty(&mut vault, &d.vault_missing);
    if climbing > 0 {
        let note = format!(
            "{climbing} key(s) not linked: a '.' or '..' segment would open another secret"
        );
        // With no link left, the note is the whole story; otherwise it follows what was said.
        vault.message = Some(match vault.message.take() {
            Some(said) if !vault.links.is_empty() => format!("{said}; {note}"),
            _ => note,
        });
    }
    categories.push(vault);
    categories.push(category(
        "iaac",
        d.iaac.as_ref().map(|folder| {
            folder
                .iter()
                .map(|url| link("Deployment configuration", url.clone()))
                .collect()
        }),
    ));

    LinksResponse {
        app_name: d.app.clone(),
        namespace: d.namespace.clone(),
        service_name: d.service.clone(),
        last_updated: generated_at.to_string(),
        categories,
        metadata: Metadata {
            generated_at: generated_at.to_string(),
            version: gluelinks_core::API_VERSION.to_string(),
            max_rows: settings.max_rows,
            resources: Resources {
                argocd_app: d.argocd_app,
                deployment: d.workloads.deployments > 0,
                workloads: d.workloads,
                pods_found: d.pods.as_ref().map_or(0, Vec::len),
                external_secrets_found: *d.external_secrets.as_ref().unwrap_or(&0),
            },
            stale: false,
        },
    }
}

/// The longest label a link shows: a pod name (253) fits; an ExternalSecret key of any length does not.
const LABEL_LIMIT: usize = 256;

/// A link; its label, often an object's field, bounded and free of control characters.
fn link(label: &str, url: String) -> Link {
    Link {
        label: bounded(label, LABEL_LIMIT),
        url,
    }
}

fn category(id: &str, links: Result<Vec<Link>, &String>) -> Category {
    let def = categories::get(id);
    let (status, message, links) = match links {
        Err(message) => (Status::Error, Some(message.clone()), Vec::new()),
        Ok(links) if links.is_empty() => (Status::Empty, Some(def.empty.to_string()), links),
        Ok(links) => (Status::Ok, None, links),
    };
    Category {
        id: id.to_string(),
        label: def.label.to_string(),
        icon: def.icon.to_string(),
        status,
        message,
        links,
    }
}

/// An empty category says why, when discovery knows: what was looked for, and where.
fn explain_empty(category: &mut Category, why: &Option<String>) {
    if category.status == Status::Empty && why.is_some() {
        category.message = why.clone();
    }
}

/// A category listing at most `max_rows` links, saying how many more there are.
fn capped(settings: &LinkSettings, id: &str, links: Result<Vec<Link>, &String>) -> Category {
    let total = links.as_ref().map_or(0, Vec::len);
    let mut c = category(id, links);
    let noun = categories::get(id).rows.unwrap_or("links");
    if total > settings.max_rows {
        c.links.truncate(settings.max_rows);
        c.message = Some(format!("Showing {} of {total} {noun}", settings.max_rows));
    }
    c
}

/// Grafana Explore's pane state, as the original backend opens it: Tempo's search builder (`traceqlSearch`) with a
/// `service-name` filter on `resource.service.name`, over the last hour, in pane `trc`.
fn traces_panes(service: &str, tempo_uid: Option<&str>) -> String {
    let pane = Pane {
        queries: [TraceQuery {
            ref_id: "A",
            query_type: "traceqlSearch",
            limit: 20,
            table_type: "traces",
            filters: [TraceFilter {
                id: "service-name",
                tag: "service.name",
                operator: "=",
                scope: "resource",
                value: [service],
                value_type: "string",
            }],
            datasource: tempo_uid.map(|uid| TempoSource { kind: "tempo", uid }),
        }],
        range: TimeRange {
            from: "now-1h",
            to: "now",
        },
        datasource: tempo_uid,
    };
    python_json(&Panes { trc: pane })
}

/// Serialized in declaration order: the original backend's key order.
#[derive(Serialize)]
struct Panes<'a> {
    trc: Pane<'a>,
}

#[derive(Serialize)]
struct Pane<'a> {
    queries: [TraceQuery<'a>; 1],
    range: TimeRange,
    #[serde(skip_serializing_if = "Option::is_none")]
    datasource: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TraceQuery<'a> {
    ref_id: &'static str,
    query_type: &'static str,
    limit: u32,
    table_type: &'static str,
    filters: [TraceFilter<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    datasource: Option<TempoSource<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TraceFilter<'a> {
    id: &'static str,
    tag: &'static str,
    operator: &'static str,
    scope: &'static str,
    value: [&'a str; 1],
    value_type: &'static str,
}

#[derive(Serialize)]
struct TempoSource<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    uid: &'a str,
}

#[derive(Serialize)]
struct TimeRange {
    from: &'static str,
    to: &'static str,
}

/// JSON as Python's `json.dumps` writes it (`", "` and `": "` between items), which the original backend's
/// panes are written in, so the URL is the same byte for byte.
fn python_json(value: &impl Serialize) -> String {
    struct Spaced;
    fn separator<W: ?Sized + std::io::Write>(writer: &mut W, first: bool) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }
    impl serde_json::ser::Formatter for Spaced {
        fn begin_array_value<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
            first: bool,
        ) -> std::io::Result<()> {
            separator(writer, first)
        }
        fn begin_object_key<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
            first: bool,
        ) -> std::io::Result<()> {
            separator(writer, first)
        }
        fn begin_object_value<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
        ) -> std::io::Result<()> {
            writer.write_all(b": ")
        }
    }
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, Spaced);
    value
        .serialize(&mut serializer)
        .expect("panes serialize to memory");
    String::from_utf8(out).expect("JSON is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use gluelinks_core::config::Env;
    use percent_encoding::percent_decode_str;

    fn discovery() -> Discovery {
        Discovery {
            app: "taco-backend-prod".into(),
            namespace: "nonprod".into(),
            service: "taco-backend-prod".into(),
            argocd_app: true,
            workloads: WorkloadCounts {
                deployments: 1,
                ..WorkloadCounts::default()
            },
            pods: Ok(vec![PodLink {
                pod: "taco-backend-prod-677bfb55b7-942nr".into(),
                namespace: "nonprod".into(),
                workload: None,
            }]),
            pods_missing: None,
            external_secrets: Ok(1),
            vault_paths: Ok(vec!["nonprod/taco-backend".into()]),
            vault_missing: None,
            iaac: Ok(Some(
                "https://github.com/acme/deploy/tree/main/apps/taco".into(),
            )),
            degraded: false,
        }
    }

    #[test]
    fn renders_every_category_in_order_with_the_default_urls() {
        let env = Env::from_pairs([
            ("GRAFANA_BASE_URL", "https://grafana.acme.dev"),
            ("VAULT_BASE_URL", "https://vault.acme.dev"),
            ("TEMPO_DATASOURCE_UID", "tempo-1"),
        ]);
        let settings = LinkSettings::from_env(&env).unwrap();
        let r = render(&settings, &discovery(), "2025-12-14T00:00:00Z");
        let ids: Vec<&str> = r.categories.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            ["apm", "namespace", "pod", "logs", "traces", "vault", "iaac"]
        );
        assert!(r.categories.iter().all(|c| c.status == Status::Ok));
        let url = |id: &str| {
            r.categories.iter().find(|c| c.id == id).unwrap().links[0]
                .url
                .clone()
        };
        assert_eq!(url("apm"), "https://grafana.acme.dev/d/opentelemetry-apm/apm-overview?orgId=1&refresh=30s&from=now-1h&to=now&var-app=taco-backend-prod&var-route=All");
        assert_eq!(url("pod"), "https://grafana.acme.dev/d/ce60j8f8umhhcc/kubernetes-pod-overview?orgId=1&refresh=10s&from=now-1h&to=now&var-datasource=default&var-cluster=&var-namespace=nonprod&var-pod=taco-backend-prod-677bfb55b7-942nr");
        assert_eq!(
            url("vault"),
            "https://vault.acme.dev/ui/vault/secrets/secret/show/nonprod/taco-backend"
        );
        let traces = url("traces");
        let panes = traces
            .split("panes=")
            .nth(1)
            .and_then(|rest| rest.split('&').next())
            .unwrap();
        let panes: serde_json::Value =
            serde_json::from_str(&percent_decode_str(panes).decode_utf8().unwrap()).unwrap();
        assert_eq!(panes["trc"]["datasource"], "tempo-1");
        assert_eq!(
            panes["trc"]["queries"][0]["filters"][0]["value"][0],
            "taco-backend-prod"
        );
        assert_eq!(r.metadata.resources.pods_found, 1);
    }

    /// The defaults are the original backend's URLs, byte for byte (the strings below are what its code
    /// produces for this app, with and without a Tempo datasource UID).
    #[test]
    fn logs_and_traces_are_the_original_urls_exactly() {
        const LOGS: &str = "https://grafana.example.com/a/grafana-lokiexplore-app/explore/service/taco-backend-prod/logs?patterns=%5B%5D&from=now-15m&to=now&var-filters=service_name%7C%3D%7Ctaco-backend-prod&var-fields=&var-levels=&var-metadata=&var-patterns=&var-lineFilterV2=&var-lineFilters=&timezone=browser&var-all-fields=&urlColumns=%5B%5D&visualizationType=%22logs%22&displayedFields=%5B%5D&sortOrder=%22Descending%22&wrapLogMessage=false";
        const TRACES: &str = "https://grafana.example.com/explore?schemaVersion=1&panes=%7B%22trc%22%3A%20%7B%22queries%22%3A%20%5B%7B%22refId%22%3A%20%22A%22%2C%20%22queryType%22%3A%20%22traceqlSearch%22%2C%20%22limit%22%3A%2020%2C%20%22tableType%22%3A%20%22traces%22%2C%20%22filters%22%3A%20%5B%7B%22id%22%3A%20%22service-name%22%2C%20%22tag%22%3A%20%22service.name%22%2C%20%22operator%22%3A%20%22%3D%22%2C%20%22scope%22%3A%20%22resource%22%2C%20%22value%22%3A%20%5B%22taco-backend-prod%22%5D%2C%20%22valueType%22%3A%20%22string%22%7D%5D%7D%5D%2C%20%22range%22%3A%20%7B%22from%22%3A%20%22now-1h%22%2C%20%22to%22%3A%20%22now%22%7D%7D%7D&orgId=1";
        const TRACES_WITH_UID: &str = "https://grafana.example.com/explore?schemaVersion=1&panes=%7B%22trc%22%3A%20%7B%22queries%22%3A%20%5B%7B%22refId%22%3A%20%22A%22%2C%20%22queryType%22%3A%20%22traceqlSearch%22%2C%20%22limit%22%3A%2020%2C%20%22tableType%22%3A%20%22traces%22%2C%20%22filters%22%3A%20%5B%7B%22id%22%3A%20%22service-name%22%2C%20%22tag%22%3A%20%22service.name%22%2C%20%22operator%22%3A%20%22%3D%22%2C%20%22scope%22%3A%20%22resource%22%2C%20%22value%22%3A%20%5B%22taco-backend-prod%22%5D%2C%20%22valueType%22%3A%20%22string%22%7D%5D%2C%20%22datasource%22%3A%20%7B%22type%22%3A%20%22tempo%22%2C%20%22uid%22%3A%20%22de7lydl3hl9fkd%22%7D%7D%5D%2C%20%22range%22%3A%20%7B%22from%22%3A%20%22now-1h%22%2C%20%22to%22%3A%20%22now%22%7D%2C%20%22datasource%22%3A%20%22de7lydl3hl9fkd%22%7D%7D&orgId=1";
        for (uid, traces) in [(None, TRACES), (Some("de7lydl3hl9fkd"), TRACES_WITH_UID)] {
            let mut pairs = vec![("GRAFANA_BASE_URL", "https://grafana.example.com")];
            pairs.extend(uid.map(|uid| ("TEMPO_DATASOURCE_UID", uid)));
            let settings = LinkSettings::from_env(&Env::from_pairs(pairs)).unwrap();
            let r = render(&settings, &discovery(), "2025-12-14T00:00:00Z");
            let url = |id: &str| {
                r.categories.iter().find(|c| c.id == id).unwrap().links[0]
                    .url
                    .clone()
            };
            assert_eq!(url("logs"), LOGS);
            assert_eq!(url("traces"), traces, "{uid:?}");
        }
    }

    #[test]
    fn empty_error_and_capped_categories() {
        let settings = LinkSettings::from_env(&Env::from_pairs([("MAX_ROWS", "2")])).unwrap();
        let mut d = discovery();
        d.pods = Ok((0..5)
            .map(|i| PodLink {
                pod: format!("pod-{i}"),
                namespace: "nonprod".into(),
                workload: (i > 2).then(|| "StatefulSet db".to_string()),
            })
            .collect());
        d.vault_paths = Ok(vec![]);
        d.vault_missing = Some("No ExternalSecret of app 'taco' in namespace 'nonprod'".into());
        d.iaac = Err("Application not found in Argo CD".into());
        let r = render(&settings, &d, "t");
        let get = |id: &str| r.categories.iter().find(|c| c.id == id).unwrap().clone();
        assert_eq!(get("pod").links.len(), 2);
        assert_eq!(get("pod").message.as_deref(), Some("Showing 2 of 5 pods"));
        assert_eq!(get("pod").links[1].label, "pod-1");
        assert!(get("pod").links[1].url.ends_with("&var-pod=pod-1"));
        assert_eq!(get("vault").status, Status::Empty);
        assert_eq!(
            get("vault").message.as_deref(),
            Some("No ExternalSecret of app 'taco' in namespace 'nonprod'")
        );
        assert_eq!(get("iaac").status, Status::Error);
        assert_eq!(
            get("iaac").message.as_deref(),
            Some("Application not found in Argo CD")
        );
        assert_eq!(r.metadata.resources.pods_found, 5);
        d.pods = Ok(vec![]);
        d.pods_missing = Some("No workload tracked".into());
        let r = render(&settings, &d, "t");
        let pods = r.categories.iter().find(|c| c.id == "pod").unwrap();
        assert_eq!(
            (pods.status, pods.message.as_deref()),
            (Status::Empty, Some("No workload tracked"))
        );
    }

    #[test]
    fn pods_of_several_workloads_name_their_workload_and_kinds_are_counted() {
        let settings = LinkSettings::from_env(&Env::default()).unwrap();
        let mut d = discovery();
        d.workloads = WorkloadCounts {
            deployments: 2,
            stateful_sets: 1,
            daemon_sets: 0,
            rollouts: 1,
        };
        d.pods = Ok(vec![PodLink {
            pod: "db-0".into(),
            namespace: "databases".into(),
            workload: Some("StatefulSet db".into()),
        }]);
        let r = render(&settings, &d, "t");
        let pods = r.categories.iter().find(|c| c.id == "pod").unwrap();
        assert_eq!(pods.links[0].label, "db-0 (StatefulSet db)");
        assert!(
            pods.links[0]
                .url
                .ends_with("&var-namespace=databases&var-pod=db-0"),
            "a pod's own namespace: {}",
            pods.links[0].url
        );
        let resources = serde_json::to_value(&r.metadata.resources).unwrap();
        assert_eq!(
            resources,
            serde_json::json!({"argocdApp": true, "deployment": true, "deployments": 2, "statefulSets": 1,
                               "daemonSets": 0, "rollouts": 1, "podsFound": 1, "externalSecretsFound": 1})
        );
        // A payload cached before the counts existed still reads.
        let old: Resources = serde_json::from_value(serde_json::json!(
            {"argocdApp": true, "deployment": false, "podsFound": 0, "externalSecretsFound": 0}
        ))
        .unwrap();
        assert_eq!(old.workloads, WorkloadCounts::default());
    }
}

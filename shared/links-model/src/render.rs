//! From what discovery found to the categories the Argo CD extension shows, in their fixed order.

use super::categories;
use super::model::{Category, Link, LinksResponse, Metadata, Resources, Status};
use super::templates::LinkSettings;
use serde_json::json;

/// A lookup's outcome: `Err` holds the message a user sees in the category.
pub type Found<T> = Result<T, String>;

/// Everything discovery learned about one application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovery {
    pub app: String,
    /// The namespace the workloads run in.
    pub namespace: String,
    pub service: String,
    pub argocd_app: bool,
    pub deployment: bool,
    pub pods: Found<Vec<String>>,
    pub external_secrets: Found<usize>,
    /// Vault paths under `secret/`, de-duplicated, in discovery order.
    pub vault_paths: Found<Vec<String>>,
    /// The browsable Git folder of the app's config; `Ok(None)` when the app names none.
    pub iaac: Found<Option<String>>,
    /// A Kubernetes call failed: this result must not replace a good cached one.
    pub degraded: bool,
}

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
    let url = |id: &str, extra: &[(&str, &str)]| {
        let mut values = common.to_vec();
        values.extend_from_slice(extra);
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
    categories.push(capped(
        settings,
        "pod",
        d.pods.as_ref().map(|pods| {
            pods.iter()
                .map(|pod| link(pod, url("pod", &[("pod", pod)])))
                .collect()
        }),
    ));
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
    categories.push(capped(
        settings,
        "vault",
        d.vault_paths.as_ref().map(|paths| {
            paths
                .iter()
                .map(|path| link(&format!("secret/{path}"), url("vault", &[("path", path)])))
                .collect()
        }),
    ));
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
                deployment: d.deployment,
                pods_found: d.pods.as_ref().map_or(0, Vec::len),
                external_secrets_found: *d.external_secrets.as_ref().unwrap_or(&0),
            },
            stale: false,
        },
    }
}

fn link(label: &str, url: String) -> Link {
    Link {
        label: label.to_string(),
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

/// Grafana Explore's pane state: a TraceQL search on the service over the last hour.
fn traces_panes(service: &str, tempo_uid: Option<&str>) -> String {
    let escaped = service.replace('\\', "\\\\").replace('"', "\\\"");
    let mut datasource = json!({ "type": "tempo" });
    if let Some(uid) = tempo_uid {
        datasource["uid"] = json!(uid);
    }
    let mut pane = json!({
        "queries": [{
            "refId": "A",
            "datasource": datasource,
            "queryType": "traceql",
            "limit": 20,
            "tableType": "traces",
            "query": format!("{{resource.service.name=\"{escaped}\"}}"),
        }],
        "range": { "from": "now-1h", "to": "now" },
    });
    if let Some(uid) = tempo_uid {
        pane["datasource"] = json!(uid);
    }
    json!({ "traces": pane }).to_string()
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
            deployment: true,
            pods: Ok(vec!["taco-backend-prod-677bfb55b7-942nr".into()]),
            external_secrets: Ok(1),
            vault_paths: Ok(vec!["nonprod/taco-backend".into()]),
            iaac: Ok(Some(
                "https://github.com/acme/deploy/tree/main/apps/taco".into(),
            )),
            degraded: false,
        }
    }

    #[test]
    fn renders_every_category_in_order_with_seed_urls() {
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
        assert_eq!(panes["traces"]["datasource"], "tempo-1");
        assert_eq!(
            panes["traces"]["queries"][0]["query"],
            "{resource.service.name=\"taco-backend-prod\"}"
        );
        assert_eq!(r.metadata.resources.pods_found, 1);
    }

    #[test]
    fn empty_error_and_capped_categories() {
        let settings = LinkSettings::from_env(&Env::from_pairs([("MAX_ROWS", "2")])).unwrap();
        let mut d = discovery();
        d.pods = Ok((0..5).map(|i| format!("pod-{i}")).collect());
        d.vault_paths = Ok(vec![]);
        d.iaac = Err("Application not found in Argo CD".into());
        let r = render(&settings, &d, "t");
        let get = |id: &str| r.categories.iter().find(|c| c.id == id).unwrap().clone();
        assert_eq!(get("pod").links.len(), 2);
        assert_eq!(get("pod").message.as_deref(), Some("Showing 2 of 5 pods"));
        assert_eq!(get("vault").status, Status::Empty);
        assert_eq!(get("iaac").status, Status::Error);
        assert_eq!(
            get("iaac").message.as_deref(),
            Some("Application not found in Argo CD")
        );
        assert_eq!(r.metadata.resources.pods_found, 5);
    }
}

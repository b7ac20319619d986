//! The categories the Argo CD extension shows, in one table: their order, label, icon, URL template
//! (the variable that overrides it and the original backend's default), what an empty one says, and what its rows
//! count. The renderer, the templates and the fixtures all read it.

/// One category.
pub(crate) struct CategoryDef {
    pub id: &'static str,
    pub label: &'static str,
    pub icon: &'static str,
    /// The variable that overrides the template, and the original backend's default; `None` for categories whose links
    /// come from elsewhere (quick links, the config repository).
    pub template: Option<(&'static str, &'static str)>,
    /// What the category says when it has no links.
    pub empty: &'static str,
    /// What its rows are, in "Showing 20 of 31 pods"; `None` for categories that are never capped.
    pub rows: Option<&'static str>,
}

/// Every category, in display order.
pub(crate) const CATEGORIES: [CategoryDef; 8] = [
    CategoryDef {
        id: "quick-links",
        label: "Quick Links",
        icon: "🌟",
        template: None,
        empty: "",
        rows: None,
    },
    CategoryDef {
        id: "apm",
        label: "APM Overview",
        icon: "📊",
        template: Some((
            "LINK_TEMPLATE_APM",
            "{grafana}/d/opentelemetry-apm/apm-overview?orgId=1&refresh=30s&from=now-1h&to=now&var-app={service}&var-route=All",
        )),
        empty: "",
        rows: None,
    },
    CategoryDef {
        id: "namespace",
        label: "Namespace Overview",
        icon: "📦",
        template: Some((
            "LINK_TEMPLATE_NAMESPACE",
            "{grafana}/d/ee58kcteeir5sf/kubernetes-overview?orgId=1&var-namespace={namespace}",
        )),
        empty: "",
        rows: None,
    },
    CategoryDef {
        id: "pod",
        label: "Pod Overview",
        icon: "🔲",
        template: Some((
            "LINK_TEMPLATE_POD",
            "{grafana}/d/ce60j8f8umhhcc/kubernetes-pod-overview?orgId=1&refresh=10s&from=now-1h&to=now&var-datasource=default&var-cluster=&var-namespace={namespace}&var-pod={pod}",
        )),
        empty: "No pods currently running",
        rows: Some("pods"),
    },
    CategoryDef {
        id: "logs",
        label: "Logs",
        icon: "📋",
        template: Some((
            "LINK_TEMPLATE_LOGS",
            "{grafana}/a/grafana-lokiexplore-app/explore/service/{service}/logs?patterns=%5B%5D&from=now-15m&to=now&var-filters=service_name%7C%3D%7C{service}&var-fields=&var-levels=&var-metadata=&var-patterns=&var-lineFilterV2=&var-lineFilters=&timezone=browser&var-all-fields=&urlColumns=%5B%5D&visualizationType=%22logs%22&displayedFields=%5B%5D&sortOrder=%22Descending%22&wrapLogMessage=false",
        )),
        empty: "",
        rows: None,
    },
    CategoryDef {
        id: "traces",
        label: "Traces",
        icon: "🔍",
        template: Some((
            "LINK_TEMPLATE_TRACES",
            "{grafana}/explore?schemaVersion=1&panes={panes}&orgId=1",
        )),
        empty: "",
        rows: None,
    },
    CategoryDef {
        id: "vault",
        label: "Vault Secrets",
        icon: "🔐",
        template: Some((
            "LINK_TEMPLATE_VAULT",
            "{vault}/ui/vault/secrets/secret/show/{path}",
        )),
        empty: "No ExternalSecrets with Vault paths found for this application",
        rows: Some("secrets"),
    },
    CategoryDef {
        id: "iaac",
        label: "IaaC",
        icon: "⚙️",
        template: None,
        empty: "No Git source is set on this application",
        rows: None,
    },
];

/// The category `id`; every id the renderer uses is in the table (a test checks it).
pub(crate) fn get(id: &str) -> &'static CategoryDef {
    CATEGORIES
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("category {id:?} is not in CATEGORIES"))
}

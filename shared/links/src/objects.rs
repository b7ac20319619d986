//! What discovery reads from a cluster, and only that: the workload kinds whose pods an app's links show,
//! which External Secrets version the cluster serves, and lists read page by page (`limit`/`continue`)
//! with each object cut down at once to the few fields discovery needs, so a whole cluster's listing
//! costs little memory. The links function reads one namespace at a time, the warmer whole clusters,
//! with the same readers.

use crate::read_error::ReadError;
use gluelinks_core::names::{is_label, is_subdomain};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, ObjectMeta};
use kube::core::{Selector, SelectorExt};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// Objects asked for per list call; more are read with `continue`.
pub const PAGE_SIZE: u32 = 500;
/// The most pages one listing reads (100,000 objects): a server that keeps sending `continue` tokens
/// cannot keep a function reading forever.
pub const MAX_PAGES: usize = 200;

pub use gluelinks_core::argocd::TRACKING_ID;

/// A kind of workload whose pods the Pod links show.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct WorkloadKind {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
}

/// Every workload kind, in the order messages and counts name them.
pub(crate) static WORKLOAD_KINDS: [WorkloadKind; 4] = [
    WorkloadKind {
        group: "apps",
        version: "v1",
        kind: "Deployment",
        plural: "deployments",
    },
    WorkloadKind {
        group: "apps",
        version: "v1",
        kind: "StatefulSet",
        plural: "statefulsets",
    },
    WorkloadKind {
        group: "apps",
        version: "v1",
        kind: "DaemonSet",
        plural: "daemonsets",
    },
    WorkloadKind {
        group: "argoproj.io",
        version: "v1alpha1",
        kind: "Rollout",
        plural: "rollouts",
    },
];

impl WorkloadKind {
    pub fn resource(&self) -> ApiResource {
        ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(self.group, self.version, self.kind),
            self.plural,
        )
    }

    /// `apps/Deployment`: how tracking ids and `status.resources` name the kind.
    pub fn group_kind(&self) -> String {
        format!("{}/{}", self.group, self.kind)
    }
}

/// "Deployment, StatefulSet, DaemonSet or Rollout".
pub fn workload_kind_names() -> String {
    let names: Vec<&str> = WORKLOAD_KINDS.iter().map(|k| k.kind).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

pub(crate) fn application_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Application"),
        "applications",
    )
}

pub(crate) fn pod_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("", "v1", "Pod"), "pods")
}

pub(crate) const EXTERNAL_SECRETS_GROUP: &str = "external-secrets.io";
pub(crate) const EXTERNAL_SECRET_GROUP_KIND: &str = "external-secrets.io/ExternalSecret";

/// The External Secrets Operator API a cluster serves: `v1` since 0.17, only `v1beta1` before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExternalSecretsApi {
    V1,
    V1beta1,
    /// No ExternalSecret CRD (or none in a version GlueLinks reads): the app has none.
    NotServed,
}

impl ExternalSecretsApi {
    /// The API of `groups` (a cluster's `GET /apis`): `v1` when served, else `v1beta1`.
    pub fn of(groups: &k8s_openapi::apimachinery::pkg::apis::meta::v1::APIGroupList) -> Self {
        let served = |version: &str| {
            groups.groups.iter().any(|g| {
                g.name == EXTERNAL_SECRETS_GROUP && g.versions.iter().any(|v| v.version == version)
            })
        };
        if served("v1") {
            Self::V1
        } else if served("v1beta1") {
            Self::V1beta1
        } else {
            Self::NotServed
        }
    }

    /// Asks the cluster (one discovery call).
    pub async fn discover(client: &kube::Client) -> Result<Self, kube::Error> {
        client
            .list_api_groups()
            .await
            .map(|groups| Self::of(&groups))
    }

    pub fn resource(self) -> Option<ApiResource> {
        let version = match self {
            Self::V1 => "v1",
            Self::V1beta1 => "v1beta1",
            Self::NotServed => return None,
        };
        Some(ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(EXTERNAL_SECRETS_GROUP, version, "ExternalSecret"),
            "externalsecrets",
        ))
    }
}

/// How Argo CD marked an object: its tracking-id annotation and its instance label (under the configured
/// key).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Marks {
    pub tracking_id: Option<String>,
    pub instance: Option<String>,
}

impl Marks {
    fn of(meta: &ObjectMeta, label_key: &str) -> Self {
        let get = |map: &Option<BTreeMap<String, String>>, key: &str| {
            map.as_ref().and_then(|m| m.get(key)).cloned()
        };
        Self {
            tracking_id: get(&meta.annotations, TRACKING_ID),
            instance: get(&meta.labels, label_key),
        }
    }
}

/// A Deployment, StatefulSet, DaemonSet or Rollout, as far as discovery cares.
#[derive(Clone, Debug)]
pub(crate) struct Workload {
    pub kind: &'static WorkloadKind,
    pub namespace: String,
    pub name: String,
    pub marks: Marks,
    /// Its pod selector; `None` when it selects nothing usable (empty, as a workload's never is, or with
    /// an operator Kubernetes does not have).
    pub selector: Option<Selector>,
}

impl Workload {
    pub fn from_object(
        kind: &'static WorkloadKind,
        label_key: &str,
        object: DynamicObject,
    ) -> Self {
        let selector = serde_json::from_value(object.data["spec"]["selector"].clone())
            .ok()
            .and_then(
                |s: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector| {
                    Selector::try_from(s).ok()
                },
            )
            .filter(|s| !s.selects_all());
        Self {
            kind,
            namespace: object.metadata.namespace.clone().unwrap_or_default(),
            name: object.metadata.name.clone().unwrap_or_default(),
            marks: Marks::of(&object.metadata, label_key),
            selector,
        }
    }

    /// `StatefulSet payments-db`.
    pub fn describe(&self) -> String {
        format!("{} {}", self.kind.kind, self.name)
    }

    pub fn selects(&self, pod: &PodRef) -> bool {
        self.namespace == pod.namespace
            && self
                .selector
                .as_ref()
                .is_some_and(|s| s.matches(&pod.labels))
    }
}

/// A pod: its name and labels.
#[derive(Clone, Debug)]
pub(crate) struct PodRef {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

impl PodRef {
    pub fn from_object(object: DynamicObject) -> Self {
        Self {
            namespace: object.metadata.namespace.unwrap_or_default(),
            name: object.metadata.name.unwrap_or_default(),
            labels: object.metadata.labels.unwrap_or_default(),
        }
    }
}

/// An ExternalSecret: its marks and the remote keys it reads (`dataFrom[].extract.key`, then
/// `data[].remoteRef.key`).
#[derive(Clone, Debug)]
pub(crate) struct ExternalSecretRef {
    pub namespace: String,
    pub name: String,
    pub marks: Marks,
    pub keys: Vec<String>,
}

impl ExternalSecretRef {
    pub fn from_object(label_key: &str, object: DynamicObject) -> Self {
        let spec = &object.data["spec"];
        let from = spec["dataFrom"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| &d["extract"]["key"]);
        let data = spec["data"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| &d["remoteRef"]["key"]);
        let keys = from
            .chain(data)
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        Self {
            namespace: object.metadata.namespace.clone().unwrap_or_default(),
            name: object.metadata.name.clone().unwrap_or_default(),
            marks: Marks::of(&object.metadata, label_key),
            keys,
        }
    }
}

/// The fields of an Application source the config-repository link reads.
const SOURCE_FIELDS: [&str; 5] = ["repoURL", "path", "targetRevision", "ref", "chart"];

/// An Application cut down to what discovery and the config-repository link read: its name and
/// namespace, `spec.destination`, of each source `repoURL`, `path`, `targetRevision`, `ref`, `chart` and
/// `helm.valueFiles`, and of `status.resources` the workloads and ExternalSecrets (group, kind,
/// namespace, name), with `status.resourcesListed` saying whether Argo CD listed any resources at all.
pub fn keep_application(object: DynamicObject) -> Value {
    let data = object.data;
    let source = |s: &Value| {
        let mut kept: Map<String, Value> = SOURCE_FIELDS
            .iter()
            .filter(|f| !s[**f].is_null())
            .map(|f| (f.to_string(), s[*f].clone()))
            .collect();
        if let Some(files) = s["helm"]["valueFiles"].as_array() {
            kept.insert("helm".into(), json!({ "valueFiles": files }));
        }
        Value::Object(kept)
    };
    let mut spec = Map::new();
    spec.insert("destination".into(), data["spec"]["destination"].clone());
    if data["spec"]["source"].is_object() {
        spec.insert("source".into(), source(&data["spec"]["source"]));
    }
    if let Some(sources) = data["spec"]["sources"].as_array() {
        spec.insert("sources".into(), sources.iter().map(source).collect());
    }
    let listed = data["status"]["resources"].as_array();
    let resources: Vec<Value> = listed
        .into_iter()
        .flatten()
        .filter_map(ResourceRef::of)
        .filter(ResourceRef::is_discovered)
        .map(|r| json!({ "group": r.group, "kind": r.kind, "namespace": r.namespace, "name": r.name }))
        .collect();
    json!({
        "metadata": {
            "name": object.metadata.name.unwrap_or_default(),
            "namespace": object.metadata.namespace.unwrap_or_default(),
        },
        "spec": spec,
        "status": {
            "resources": resources,
            "resourcesListed": listed.is_some_and(|l| !l.is_empty()),
        },
    })
}

/// One entry of an Application's `status.resources`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ResourceRef<'a> {
    pub group: &'a str,
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
}

impl<'a> ResourceRef<'a> {
    /// The entry, when it names a namespaced object Kubernetes could have (anyone who may edit an
    /// Application may write its status: the names are checked before they reach a URL or a message).
    pub fn of(entry: &'a Value) -> Option<Self> {
        let r = Self {
            group: entry["group"].as_str().unwrap_or(""),
            kind: entry["kind"].as_str()?,
            namespace: entry["namespace"].as_str()?,
            name: entry["name"].as_str()?,
        };
        (is_label(r.namespace) && is_subdomain(r.name)).then_some(r)
    }

    pub fn is_workload(&self, kind: &WorkloadKind) -> bool {
        self.group == kind.group && self.kind == kind.kind
    }

    pub fn is_external_secret(&self) -> bool {
        self.group == EXTERNAL_SECRETS_GROUP && self.kind == "ExternalSecret"
    }

    /// A workload or an ExternalSecret: what discovery reads.
    pub fn is_discovered(&self) -> bool {
        self.is_external_secret() || WORKLOAD_KINDS.iter().any(|k| self.is_workload(k))
    }
}

/// Objects grouped by namespace.
pub type ByNamespace<T> = HashMap<String, Vec<T>>;

pub(crate) fn by_namespace<T>(items: Vec<T>, namespace: impl Fn(&T) -> &str) -> ByNamespace<T> {
    let mut map: ByNamespace<T> = HashMap::new();
    for item in items {
        map.entry(namespace(&item).to_string())
            .or_default()
            .push(item);
    }
    map
}

/// Every `resource` in `namespace` (every namespace when `None`) that `params` selects, read page by page,
/// each object cut down by `keep` as its page arrives. A kind the cluster does not serve (404) is an
/// error here; callers decide what that means.
pub async fn list<T>(
    client: &kube::Client,
    resource: &ApiResource,
    namespace: Option<&str>,
    params: ListParams,
    keep: impl Fn(DynamicObject) -> T,
) -> Result<Vec<T>, kube::Error> {
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, resource),
        None => Api::all_with(client.clone(), resource),
    };
    let mut params = params.limit(PAGE_SIZE);
    let mut kept = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = api.list(&params).await?;
        kept.extend(page.items.into_iter().map(&keep));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() && params.continue_token.as_ref() != Some(&token) => {
                params = params.continue_token(&token)
            }
            _ => return Ok(kept),
        }
    }
    Ok(kept)
}

fn is_not_served(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 404)
}

/// " in <namespace>", or nothing for a whole cluster: where a message says a listing failed.
fn scope_text(namespace: Option<&str>) -> String {
    namespace.map(|ns| format!(" in {ns}")).unwrap_or_default()
}

/// Why listing `plural` in `namespace` (the whole cluster when `None`) failed. A 403 names the RBAC to
/// apply, since the cure is always the same: the reader role of this release.
fn list_failure(err: &kube::Error, plural: &str, namespace: Option<&str>) -> ReadError {
    match err {
        kube::Error::Api(s) if s.code == 403 => ReadError::Forbidden(format!(
            "Kubernetes API error listing {plural}{}: forbidden (HTTP 403): the reader identity needs list on {plural} (apply shared/rbac/links-reader.yaml of this release)",
            scope_text(namespace),
        )),
        other => ReadError::of(other, &format!("listing {plural}{}", scope_text(namespace))),
    }
}

/// Every Deployment, StatefulSet, DaemonSet and Rollout in `namespace` (the whole cluster when `None`),
/// one list per kind, at once. A kind whose CRD is not installed has none; a kind the reader may not list
/// is an error that names the RBAC to apply.
pub(crate) async fn read_workloads(
    client: &kube::Client,
    label_key: &str,
    namespace: Option<&str>,
) -> Result<Vec<Workload>, ReadError> {
    let reads = WORKLOAD_KINDS.iter().map(|kind| async move {
        match list(
            client,
            &kind.resource(),
            namespace,
            ListParams::default(),
            |o| Workload::from_object(kind, label_key, o),
        )
        .await
        {
            Ok(found) => Ok(found),
            Err(e) if is_not_served(&e) => Ok(Vec::new()),
            Err(e) => Err(list_failure(&e, kind.plural, namespace)),
        }
    });
    let mut all = Vec::new();
    for read in futures::future::join_all(reads).await {
        all.extend(read?);
    }
    Ok(all)
}

/// Every pod in `namespace` (the whole cluster when `None`): its name and labels.
pub(crate) async fn read_pods(
    client: &kube::Client,
    namespace: Option<&str>,
) -> Result<Vec<PodRef>, ReadError> {
    list(
        client,
        &pod_resource(),
        namespace,
        ListParams::default(),
        PodRef::from_object,
    )
    .await
    .map_err(|e| list_failure(&e, "pods", namespace))
}

/// The ExternalSecrets in `namespace` (the whole cluster when `None`) as `api` serves them; `None` when it
/// serves none (a version that has gone since `api` was learned answers 404: none either).
pub(crate) async fn read_external_secrets(
    client: &kube::Client,
    label_key: &str,
    api: ExternalSecretsApi,
    namespace: Option<&str>,
) -> Result<Option<Vec<ExternalSecretRef>>, ReadError> {
    let Some(resource) = api.resource() else {
        return Ok(None);
    };
    match list(client, &resource, namespace, ListParams::default(), |o| {
        ExternalSecretRef::from_object(label_key, o)
    })
    .await
    {
        Ok(found) => Ok(Some(found)),
        Err(e) if is_not_served(&e) => Ok(None),
        Err(e) => Err(list_failure(&e, "externalsecrets", namespace)),
    }
}

/// Which ExternalSecret API `client`'s cluster serves (one discovery call).
pub(crate) async fn external_secrets_api(
    client: &kube::Client,
) -> Result<ExternalSecretsApi, ReadError> {
    ExternalSecretsApi::discover(client)
        .await
        .map_err(|e| ReadError::of(&e, "asking which External Secrets API is served"))
}

/// Workloads of every kind, pods and ExternalSecrets, cut down and grouped by namespace: a namespace's
/// (links) or a cluster's (warm). Each `Err` says why that part could not be read.
#[derive(Clone, Debug)]
pub(crate) struct Listing {
    pub workloads: Result<ByNamespace<Workload>, ReadError>,
    pub pods: Result<ByNamespace<PodRef>, ReadError>,
    /// `Ok(None)`: the cluster serves no ExternalSecret API.
    pub external_secrets: Result<Option<ByNamespace<ExternalSecretRef>>, ReadError>,
}

impl Listing {
    /// Nothing read, because of `why`.
    pub fn failed(why: ReadError) -> Self {
        Self {
            workloads: Err(why.clone()),
            pods: Err(why.clone()),
            external_secrets: Err(why),
        }
    }

    /// Nothing found; ExternalSecrets as `api` says (an error, none served, or none yet).
    pub fn empty(api: &Result<ExternalSecretsApi, ReadError>) -> Self {
        Self {
            workloads: Ok(ByNamespace::new()),
            pods: Ok(ByNamespace::new()),
            external_secrets: match api {
                Ok(ExternalSecretsApi::NotServed) => Ok(None),
                Ok(_) => Ok(Some(ByNamespace::new())),
                Err(e) => Err(e.clone()),
            },
        }
    }

    /// What the three reads returned, grouped by namespace.
    pub fn of(
        workloads: Result<Vec<Workload>, ReadError>,
        pods: Result<Vec<PodRef>, ReadError>,
        external_secrets: Result<Option<Vec<ExternalSecretRef>>, ReadError>,
    ) -> Self {
        Self {
            workloads: workloads.map(|w| by_namespace(w, |w| &w.namespace)),
            pods: pods.map(|p| by_namespace(p, |p| &p.namespace)),
            external_secrets: external_secrets
                .map(|es| es.map(|es| by_namespace(es, |e| &e.namespace))),
        }
    }

    /// Both listings together; the first error of each part stands, and ExternalSecrets not served in
    /// either means not served.
    pub fn merge(self, other: Self) -> Self {
        fn join<T>(
            a: Result<ByNamespace<T>, ReadError>,
            b: Result<ByNamespace<T>, ReadError>,
        ) -> Result<ByNamespace<T>, ReadError> {
            let (mut a, b) = (a?, b?);
            for (ns, items) in b {
                a.entry(ns).or_default().extend(items);
            }
            Ok(a)
        }
        let external_secrets = match (self.external_secrets, other.external_secrets) {
            (Err(e), _) | (_, Err(e)) => Err(e),
            // Not served, as one read found: the API is gone.
            (Ok(None), _) | (_, Ok(None)) => Ok(None),
            (Ok(Some(a)), Ok(Some(b))) => join(Ok(a), Ok(b)).map(Some),
        };
        Self {
            workloads: join(self.workloads, other.workloads),
            pods: join(self.pods, other.pods),
            external_secrets,
        }
    }

    /// The first listing error, for reports.
    pub fn error(&self) -> Option<&ReadError> {
        [
            self.workloads.as_ref().err(),
            self.pods.as_ref().err(),
            self.external_secrets.as_ref().err(),
        ]
        .into_iter()
        .flatten()
        .next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> DynamicObject {
        serde_json::from_value(value).unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn workload(selector: Value) -> Workload {
        Workload::from_object(
            &WORKLOAD_KINDS[0],
            "app.kubernetes.io/instance",
            object(json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "api", "namespace": "payments"},
                "spec": {"selector": selector, "template": {}}
            })),
        )
    }

    fn pod(pairs: &[(&str, &str)]) -> PodRef {
        PodRef {
            namespace: "payments".into(),
            name: "p".into(),
            labels: labels(pairs),
        }
    }

    #[test]
    fn pod_selectors_follow_kubernetes_semantics() {
        let w = workload(json!({
            "matchLabels": {"app": "billing"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["api", "web"]},
                {"key": "track", "operator": "NotIn", "values": ["canary"]},
                {"key": "team", "operator": "Exists"},
                {"key": "debug", "operator": "DoesNotExist"}
            ]
        }));
        let base = [("app", "billing"), ("tier", "api"), ("team", "a")];
        assert!(w.selects(&pod(&base)));
        for (change, why) in [
            (("app", "other"), "matchLabels"),
            (("tier", "db"), "In"),
            (("track", "canary"), "NotIn"),
            (("debug", "1"), "DoesNotExist"),
        ] {
            let mut p = pod(&base);
            p.labels.insert(change.0.into(), change.1.into());
            assert!(!w.selects(&p), "{why}");
        }
        let mut no_team = pod(&base);
        no_team.labels.remove("team");
        assert!(!w.selects(&no_team), "Exists");
        let mut elsewhere = pod(&base);
        elsewhere.namespace = "other".into();
        assert!(!w.selects(&elsewhere), "another namespace");
        // An empty selector, or one Kubernetes could not have, selects no pod.
        assert!(workload(json!({})).selector.is_none());
        let odd = json!({"matchExpressions": [{"key": "a", "operator": "Near"}]});
        assert!(workload(odd).selector.is_none());
    }

    #[test]
    fn applications_keep_only_what_discovery_reads() {
        let app = keep_application(object(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "a", "namespace": "argocd", "annotations": {"big": "x".repeat(10_000)}},
            "spec": {
                "project": "default",
                "destination": {"namespace": "payments"},
                "sources": [{"repoURL": "https://h", "chart": "c", "targetRevision": "1.0",
                             "helm": {"valueFiles": ["$values/apps/a/values.yaml"], "values": "y".repeat(10_000)}},
                            {"repoURL": "https://g", "ref": "values",
                             "plugin": {"env": [{"name": "TOKEN", "value": "not-for-discovery"}]}}]
            },
            "status": {"resources": [
                {"group": "apps", "version": "v1", "kind": "StatefulSet", "namespace": "payments", "name": "db", "health": {"status": "Healthy"}},
                {"version": "v1", "kind": "ConfigMap", "namespace": "payments", "name": "c"},
                {"group": "apps", "kind": "Deployment", "namespace": "../../secrets", "name": "x"},
                {"group": "apps", "kind": "Deployment", "namespace": "", "name": "y"}
            ], "history": [{"id": 1}]}
        })));
        assert_eq!(
            app,
            json!({
                "metadata": {"name": "a", "namespace": "argocd"},
                "spec": {
                    "destination": {"namespace": "payments"},
                    "sources": [{"repoURL": "https://h", "chart": "c", "targetRevision": "1.0",
                                 "helm": {"valueFiles": ["$values/apps/a/values.yaml"]}},
                                {"repoURL": "https://g", "ref": "values"}]
                },
                "status": {"resources": [{"group": "apps", "kind": "StatefulSet", "namespace": "payments", "name": "db"}],
                           "resourcesListed": true}
            })
        );
        let never_synced = keep_application(object(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "b", "namespace": "argocd"},
            "spec": {"destination": {"namespace": "x"}, "source": {"repoURL": "https://h", "path": "p"}}
        })));
        assert_eq!(never_synced["status"]["resourcesListed"], false);
        assert_eq!(
            never_synced["spec"]["source"],
            json!({"repoURL": "https://h", "path": "p"})
        );
    }

    #[test]
    fn the_served_external_secrets_version_is_preferred_v1() {
        let groups = |versions: &[&str]| {
            serde_json::from_value(json!({"groups": [
                {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}]},
                {"name": EXTERNAL_SECRETS_GROUP, "versions": versions.iter().map(|v| json!({
                    "groupVersion": format!("{EXTERNAL_SECRETS_GROUP}/{v}"), "version": v})).collect::<Vec<_>>()}
            ]}))
            .unwrap()
        };
        use ExternalSecretsApi::*;
        assert_eq!(ExternalSecretsApi::of(&groups(&["v1", "v1beta1"])), V1);
        assert_eq!(ExternalSecretsApi::of(&groups(&["v1beta1"])), V1beta1);
        assert_eq!(ExternalSecretsApi::of(&groups(&["v1alpha1"])), NotServed);
        assert_eq!(
            V1beta1.resource().unwrap().api_version,
            "external-secrets.io/v1beta1"
        );
        assert!(NotServed.resource().is_none());
        assert_eq!(
            workload_kind_names(),
            "Deployment, StatefulSet, DaemonSet or Rollout"
        );
    }
}

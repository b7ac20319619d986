//! What discovery reads from a cluster, and only that: the workload kinds whose pods an app's links show,
//! which External Secrets version the cluster serves, and lists read page by page (`limit`/`continue`)
//! with each object cut down at once to the few fields discovery needs, so a whole cluster's listing
//! costs little memory.

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, ObjectMeta};
use kube::core::{Selector, SelectorExt};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// Objects asked for per list call; more are read with `continue`.
pub const PAGE_SIZE: u32 = 500;

pub const TRACKING_ID: &str = "argocd.argoproj.io/tracking-id";

/// A kind of workload whose pods the Pod links show.
#[derive(Debug, PartialEq, Eq)]
pub struct WorkloadKind {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
}

/// Every workload kind, in the order messages and counts name them.
pub static WORKLOAD_KINDS: [WorkloadKind; 4] = [
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

pub fn application_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Application"),
        "applications",
    )
}

pub fn pod_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("", "v1", "Pod"), "pods")
}

pub const EXTERNAL_SECRETS_GROUP: &str = "external-secrets.io";
pub const EXTERNAL_SECRET_GROUP_KIND: &str = "external-secrets.io/ExternalSecret";

/// The External Secrets Operator API a cluster serves: `v1` since 0.17, only `v1beta1` before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternalSecretsApi {
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
        client.list_api_groups().await.map(|groups| Self::of(&groups))
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
pub struct Marks {
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
pub struct Workload {
    pub kind: &'static WorkloadKind,
    pub namespace: String,
    pub name: String,
    pub marks: Marks,
    /// Its pod selector; `None` when it selects nothing usable (empty, as a workload's never is, or with
    /// an operator Kubernetes does not have).
    pub selector: Option<Selector>,
}

impl Workload {
    pub fn keep(kind: &'static WorkloadKind, label_key: &str, object: DynamicObject) -> Self {
        let selector = serde_json::from_value(object.data["spec"]["selector"].clone())
            .ok()
            .and_then(|s: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector| {
                Selector::try_from(s).ok()
            })
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
pub struct PodRef {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

impl PodRef {
    pub fn keep(object: DynamicObject) -> Self {
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
pub struct ExternalSecretRef {
    pub namespace: String,
    pub name: String,
    pub marks: Marks,
    pub keys: Vec<String>,
}

impl ExternalSecretRef {
    pub fn keep(label_key: &str, object: DynamicObject) -> Self {
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

/// An Application, cut down to what discovery and the config-repository link read: its name and
/// namespace, `spec.destination`, `spec.source`/`sources` (without inline Helm values) and who is who in
/// `status.resources` (group, kind, namespace, name).
pub fn keep_application(object: DynamicObject) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), object.metadata.name.unwrap_or_default().into());
    meta.insert(
        "namespace".into(),
        object.metadata.namespace.unwrap_or_default().into(),
    );
    let data = object.data;
    let mut spec = Map::new();
    for field in ["destination", "source", "sources"] {
        let mut value = data["spec"][field].clone();
        let sources = match &mut value {
            Value::Array(many) => many.iter_mut().collect(),
            Value::Object(_) => vec![&mut value],
            _ => continue,
        };
        for source in sources {
            if let Some(helm) = source.get_mut("helm").and_then(Value::as_object_mut) {
                helm.retain(|k, _| k == "valueFiles");
            }
        }
        spec.insert(field.into(), value);
    }
    let resources: Vec<Value> = data["status"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let keep = ["group", "kind", "namespace", "name"];
            Value::Object(
                keep.iter()
                    .filter(|k| !r[**k].is_null())
                    .map(|k| (k.to_string(), r[*k].clone()))
                    .collect(),
            )
        })
        .collect();
    let mut app = Map::new();
    app.insert("metadata".into(), Value::Object(meta));
    app.insert("spec".into(), Value::Object(spec));
    app.insert(
        "status".into(),
        serde_json::json!({ "resources": resources }),
    );
    Value::Object(app)
}

/// One entry of an Application's `status.resources`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceRef<'a> {
    pub group: &'a str,
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
}

impl<'a> ResourceRef<'a> {
    pub fn of(entry: &'a Value) -> Option<Self> {
        Some(Self {
            group: entry["group"].as_str().unwrap_or(""),
            kind: entry["kind"].as_str()?,
            namespace: entry["namespace"].as_str().unwrap_or(""),
            name: entry["name"].as_str()?,
        })
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

pub fn by_namespace<T>(items: Vec<T>, namespace: impl Fn(&T) -> &str) -> ByNamespace<T> {
    let mut map: ByNamespace<T> = HashMap::new();
    for item in items {
        map.entry(namespace(&item).to_string())
            .or_default()
            .push(item);
    }
    map
}

/// Every `resource` in `namespace` (every namespace when `None`) that `params` selects, read page by page,
/// each object cut down by `keep` as its page arrives. A kind the cluster does not serve (its CRD is not
/// installed: 404) has no objects.
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
    loop {
        let page = match api.list(&params).await {
            Ok(page) => page,
            Err(kube::Error::Api(s)) if s.code == 404 && kept.is_empty() => return Ok(kept),
            Err(e) => return Err(e),
        };
        kept.extend(page.items.into_iter().map(&keep));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => return Ok(kept),
        }
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
        Workload::keep(
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
                "sources": [{"repoURL": "https://h", "chart": "c",
                             "helm": {"valueFiles": ["$values/apps/a/values.yaml"], "values": "y".repeat(10_000)}}]
            },
            "status": {"resources": [
                {"group": "apps", "version": "v1", "kind": "StatefulSet", "namespace": "payments", "name": "db", "health": {"status": "Healthy"}},
                {"version": "v1", "kind": "ConfigMap", "namespace": "payments", "name": "c"}
            ], "history": [{"id": 1}]}
        })));
        assert_eq!(
            app,
            json!({
                "metadata": {"name": "a", "namespace": "argocd"},
                "spec": {
                    "destination": {"namespace": "payments"},
                    "sources": [{"repoURL": "https://h", "chart": "c",
                                 "helm": {"valueFiles": ["$values/apps/a/values.yaml"]}}]
                },
                "status": {"resources": [
                    {"group": "apps", "kind": "StatefulSet", "namespace": "payments", "name": "db"},
                    {"kind": "ConfigMap", "namespace": "payments", "name": "c"}
                ]}
            })
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
        assert_eq!(V1beta1.resource().unwrap().api_version, "external-secrets.io/v1beta1");
        assert!(NotServed.resource().is_none());
        assert_eq!(
            workload_kind_names(),
            "Deployment, StatefulSet, DaemonSet or Rollout"
        );
    }
}

//! Finding what an Argo CD application consists of, in two steps: [`observe`] makes the Kubernetes calls
//! (concurrently, in at most three rounds, two when the Application's destination is the namespace Argo CD
//! named), and [`interpret`] turns what they returned into a [`Discovery`]. The warm function lists whole
//! clusters instead of observing one app, and feeds the same [`interpret`].

use super::service_name::ServiceNames;
use gluelinks_clusters::pool::describe;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_links_model::iaac;
use gluelinks_links_model::render::Discovery;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, ObjectMeta};
use kube::core::{Selector, SelectorExt};
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

pub const TRACKING_ID: &str = "argocd.argoproj.io/tracking-id";

pub fn application_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Application"),
        "applications",
    )
}

pub fn external_secret_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("external-secrets.io", "v1", "ExternalSecret"),
        "externalsecrets",
    )
}

#[derive(Clone, Debug)]
pub struct DiscoverySettings {
    /// Where Applications are looked up after the header's namespace, in order.
    pub argocd_namespaces: Vec<String>,
    /// The label Argo CD's label tracking writes (`application.instanceLabelKey`).
    pub tracking_label: String,
    pub service_names: ServiceNames,
    /// The most all Kubernetes calls for one app may take together.
    pub budget: Duration,
}

impl DiscoverySettings {
    /// `ARGOCD_NAMESPACES` (default `glueops-core,argocd`), `TRACKING_LABEL_KEY` (default
    /// `app.kubernetes.io/instance`), `SERVICE_NAME_REGEX`, `LINKS_TIMEOUT_SECONDS` (5).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut argocd_namespaces = env.list("ARGOCD_NAMESPACES");
        if argocd_namespaces.is_empty() {
            argocd_namespaces = vec!["glueops-core".into(), "argocd".into()];
        }
        let seconds: f64 = env.parse("LINKS_TIMEOUT_SECONDS", 5.0)?;
        if !(0.1..=7.5).contains(&seconds) {
            return Err(ConfigError::new(
                "LINKS_TIMEOUT_SECONDS",
                "must be between 0.1 and 7.5: the Argo CD UI gives up after 8 seconds",
            ));
        }
        Ok(Self {
            argocd_namespaces,
            tracking_label: env.string("TRACKING_LABEL_KEY", "app.kubernetes.io/instance"),
            service_names: ServiceNames::from_env(env)?,
            budget: Duration::from_secs_f64(seconds),
        })
    }

    /// The deadline of one links request's outbound calls, starting now.
    pub fn deadline(&self) -> Deadline {
        Deadline::after(self.budget)
    }
}

/// When a request's outbound calls must be done, and the bound that set it (for messages).
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    at: Instant,
    bound: Duration,
}

impl Deadline {
    /// `bound` from now.
    pub fn after(bound: Duration) -> Self {
        Self {
            at: Instant::now() + bound,
            bound,
        }
    }

    /// What `call` returns, unless the deadline comes first: then [`Elapsed`], naming `who` did not answer.
    pub async fn bound<T>(&self, who: &str, call: impl Future<Output = T>) -> Result<T, Elapsed> {
        tokio::time::timeout_at(self.at, call)
            .await
            .map_err(|_| Elapsed {
                who: who.to_string(),
                bound: self.bound,
            })
    }
}

/// A call cut off by its request's [`Deadline`].
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{who} did not answer within {:.1}s", .bound.as_secs_f64())]
pub struct Elapsed {
    pub who: String,
    pub bound: Duration,
}

/// What the cluster returned for one app. `Err` holds a message for the user.
#[derive(Clone, Debug)]
pub struct Observed {
    pub application: Result<Option<Value>, String>,
    pub deployments: Result<Vec<Deployment>, String>,
    pub pods: Result<Vec<Pod>, String>,
    pub external_secrets: Result<Vec<Value>, String>,
}

impl Observed {
    /// Every call failed with `message` (no client, or the budget ran out).
    pub fn failed(message: &str) -> Self {
        Self {
            application: Err(message.to_string()),
            deployments: Err(message.to_string()),
            pods: Err(message.to_string()),
            external_secrets: Err(message.to_string()),
        }
    }
}

/// What interpretation reads: an [`Observed`] of one app, or a slice of a whole-cluster listing (warm).
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    pub application: Result<Option<&'a Value>, &'a str>,
    pub deployments: Result<&'a [Deployment], &'a str>,
    pub pods: Result<&'a [Pod], &'a str>,
    pub external_secrets: Result<&'a [Value], &'a str>,
}

impl Observed {
    pub fn view(&self) -> View<'_> {
        View {
            application: self
                .application
                .as_ref()
                .map(Option::as_ref)
                .map_err(String::as_str),
            deployments: self.deployments.as_deref().map_err(String::as_str),
            pods: self.pods.as_deref().map_err(String::as_str),
            external_secrets: self.external_secrets.as_deref().map_err(String::as_str),
        }
    }
}

pub fn tracking_prefix(app: &str, group_kind: &str, namespace: &str) -> String {
    format!("{app}:{group_kind}:{namespace}/")
}

/// How Argo CD marks what an Application manages, whichever tracking method the install uses: the
/// `argocd.argoproj.io/tracking-id` annotation (`annotation`, the default since Argo CD 3.0, and
/// `annotation+label`) or the instance label (`label`, the default before). An Application outside the
/// control-plane namespace is named `<namespace>_<app>` in both, so both names count.
pub struct Tracking<'a> {
    ids: [String; 2],
    label: &'a str,
}

impl<'a> Tracking<'a> {
    /// The marks of `app`, whose Application lives in `app_namespace`.
    pub fn new(settings: &'a DiscoverySettings, app: &str, app_namespace: &str) -> Self {
        Self {
            ids: [app.to_string(), format!("{app_namespace}_{app}")],
            label: &settings.tracking_label,
        }
    }

    /// Whether an object of `group_kind` in `namespace` whose tracking-id annotation and instance label
    /// (under the configured key) are these is the app's.
    fn tracks(
        &self,
        group_kind: &str,
        namespace: &str,
        tracking_id: Option<&str>,
        instance: Option<&str>,
    ) -> bool {
        let by_annotation = tracking_id.is_some_and(|id| {
            self.ids
                .iter()
                .any(|app| id.starts_with(&tracking_prefix(app, group_kind, namespace)))
        });
        by_annotation || instance.is_some_and(|value| self.ids.iter().any(|id| id == value))
    }

    /// [`Self::tracks`] for a typed object's metadata.
    pub fn tracks_object(&self, group_kind: &str, namespace: &str, meta: &ObjectMeta) -> bool {
        fn get<'m>(map: &'m Option<BTreeMap<String, String>>, key: &str) -> Option<&'m str> {
            map.as_ref().and_then(|m| m.get(key)).map(String::as_str)
        }
        self.tracks(
            group_kind,
            namespace,
            get(&meta.annotations, TRACKING_ID),
            get(&meta.labels, self.label),
        )
    }

    /// [`Self::tracks`] for a dynamic object (its JSON), read in place.
    pub fn tracks_value(&self, group_kind: &str, namespace: &str, object: &Value) -> bool {
        let meta = &object["metadata"];
        self.tracks(
            group_kind,
            namespace,
            meta["annotations"][TRACKING_ID].as_str(),
            meta["labels"][self.label].as_str(),
        )
    }
}

/// The namespace the app deploys to: its destination, else the namespace Argo CD named.
pub fn target_namespace(application: Option<&Value>, header_namespace: &str) -> String {
    application
        .and_then(|a| a["spec"]["destination"]["namespace"].as_str())
        .filter(|ns| !ns.is_empty())
        .unwrap_or(header_namespace)
        .to_string()
}

/// The Deployment an app tracks in `namespace`, first by name.
pub fn tracked_deployment<'a>(
    deployments: &'a [Deployment],
    tracking: &Tracking<'_>,
    namespace: &str,
) -> Option<&'a Deployment> {
    deployments
        .iter()
        .filter(|d| d.metadata.namespace.as_deref() == Some(namespace))
        .filter(|d| tracking.tracks_object("apps/Deployment", namespace, &d.metadata))
        .min_by(|a, b| a.metadata.name.cmp(&b.metadata.name))
}

/// The Deployment's pod selector; `None` when it selects nothing usable (empty, as a Deployment's never
/// is, or with an operator Kubernetes does not have).
fn pod_selector(deployment: &Deployment) -> Option<Selector> {
    Selector::try_from(deployment.spec.selector.clone())
        .ok()
        .filter(|s| !s.selects_all())
}

/// Vault paths of the ExternalSecrets' keys (`secret/<path>` → `<path>`), de-duplicated in order.
fn vault_paths(external_secrets: &[&Value]) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for es in external_secrets {
        let spec = &es["spec"];
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
        for key in from.chain(data).filter_map(Value::as_str) {
            let path = key.trim_start_matches('/');
            let path = path.strip_prefix("secret/").unwrap_or(path).to_string();
            if !path.is_empty() && !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    paths
}

/// Turns what the cluster returned into a [`Discovery`].
pub fn interpret(
    settings: &DiscoverySettings,
    app: &str,
    header_namespace: &str,
    view: View<'_>,
) -> Discovery {
    let application = view.application.ok().flatten();
    let target = target_namespace(application, header_namespace);
    let tracking = Tracking::new(
        settings,
        app,
        application
            .and_then(|a| a["metadata"]["namespace"].as_str())
            .unwrap_or(header_namespace),
    );
    let deployment = view
        .deployments
        .map(|ds| tracked_deployment(ds, &tracking, &target));
    let pods = match (deployment, view.pods) {
        (Err(e), _) => Err(e.to_string()),
        (Ok(None), _) => Ok(Vec::new()),
        (Ok(Some(_)), Err(e)) => Err(e.to_string()),
        (Ok(Some(d)), Ok(pods)) => {
            let selector = pod_selector(d);
            let no_labels = BTreeMap::new();
            let mut names: Vec<String> = pods
                .iter()
                .filter(|p| p.metadata.namespace.as_deref() == Some(target.as_str()))
                .filter(|p| {
                    selector.as_ref().is_some_and(|s| {
                        s.matches(p.metadata.labels.as_ref().unwrap_or(&no_labels))
                    })
                })
                .filter_map(|p| p.metadata.name.clone())
                .collect();
            names.sort();
            Ok(names)
        }
    };
    let external_secrets: Result<Vec<&Value>, String> =
        view.external_secrets.map_err(str::to_string).map(|all| {
            all.iter()
                .filter(|es| es["metadata"]["namespace"].as_str() == Some(target.as_str()))
                .filter(|es| {
                    tracking.tracks_value("external-secrets.io/ExternalSecret", &target, es)
                })
                .collect()
        });
    let iaac = match view.application {
        Ok(Some(a)) => iaac::config_folder(a).map_err(|e| e.to_string()),
        Ok(None) => Err(format!(
            "Application '{app}' not found in Argo CD (looked in {})",
            lookup_namespaces(settings, header_namespace).join(", ")
        )),
        Err(e) => Err(e.to_string()),
    };
    let degraded = view.application.is_err()
        || view.deployments.is_err()
        || pods.is_err()
        || view.external_secrets.is_err();
    let pods_missing = matches!(deployment, Ok(None)).then(|| {
        format!(
            "No Deployment tracked by app '{app}' in namespace '{target}' (looked for the {TRACKING_ID} annotation and the {} label)",
            settings.tracking_label
        )
    });
    Discovery {
        app: app.to_string(),
        namespace: target,
        service: settings.service_names.service(app),
        argocd_app: matches!(view.application, Ok(Some(_))),
        deployment: matches!(deployment, Ok(Some(_))),
        pods,
        pods_missing,
        external_secrets: external_secrets
            .as_ref()
            .map(Vec::len)
            .map_err(Clone::clone),
        vault_paths: external_secrets
            .as_ref()
            .map(|es| vault_paths(es))
            .map_err(Clone::clone),
        iaac,
        degraded,
    }
}

/// Where the Application is looked up, in order: the namespace Argo CD names in its header (the
/// Application's own, apps in any namespace included), then `ARGOCD_NAMESPACES` for callers that send the
/// destination namespace there instead (seed 000's curl example). The first that has it wins, so
/// `team-a/payments` is never answered with `argocd/payments`.
fn lookup_namespaces(settings: &DiscoverySettings, header_namespace: &str) -> Vec<String> {
    let mut namespaces = vec![header_namespace.to_string()];
    namespaces.extend(
        settings
            .argocd_namespaces
            .iter()
            .filter(|n| *n != header_namespace)
            .cloned(),
    );
    namespaces
}

fn is_not_found(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 404)
}

async fn find_application(
    client: &kube::Client,
    namespace: &str,
    app: &str,
) -> Result<Option<Value>, String> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &application_resource());
    match api.get_opt(app).await {
        Ok(found) => Ok(found.map(|o| serde_json::to_value(o).unwrap_or_default())),
        Err(e) => Err(describe(
            &e,
            &format!("reading Application {app} in {namespace}"),
        )),
    }
}

type Workloads = (
    Result<Vec<Deployment>, String>,
    Result<Vec<Pod>, String>,
    Result<Vec<Value>, String>,
);

/// The app's Deployments, then the pods of its tracked one, alongside its ExternalSecrets, in `namespace`.
async fn workloads(client: &kube::Client, tracking: &Tracking<'_>, namespace: &str) -> Workloads {
    let deployments_then_pods = async {
        let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
        let deployments = api
            .list(&ListParams::default())
            .await
            .map(|l| l.items)
            .map_err(|e| describe(&e, &format!("listing deployments in {namespace}")));
        let selector = deployments
            .as_ref()
            .ok()
            .and_then(|ds| tracked_deployment(ds, tracking, namespace))
            .and_then(pod_selector);
        let pods = match selector {
            None => Ok(Vec::new()),
            Some(selector) => Api::<Pod>::namespaced(client.clone(), namespace)
                .list(&ListParams::default().labels_from(&selector))
                .await
                .map(|l| l.items)
                .map_err(|e| describe(&e, &format!("listing pods in {namespace}"))),
        };
        (deployments, pods)
    };
    let external_secrets = async {
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), namespace, &external_secret_resource());
        match api.list(&ListParams::default()).await {
            Ok(list) => Ok(list
                .items
                .into_iter()
                .map(|o| serde_json::to_value(o).unwrap_or_default())
                .collect()),
            // No ExternalSecret CRD in this cluster: there are none.
            Err(e) if is_not_found(&e) => Ok(Vec::new()),
            Err(e) => Err(describe(
                &e,
                &format!("listing externalsecrets in {namespace}"),
            )),
        }
    };
    let ((deployments, pods), external_secrets) =
        tokio::join!(deployments_then_pods, external_secrets);
    (deployments, pods, external_secrets)
}

/// Makes the calls for one app: Applications are read from `argo`, workloads from `workloads` (the same
/// client unless Argo CD deploys to another stored cluster), all by `deadline`.
pub async fn observe(
    settings: &DiscoverySettings,
    argo: &kube::Client,
    workloads_client: &kube::Client,
    app: &str,
    header_namespace: &str,
    deadline: Deadline,
) -> Observed {
    let run = async {
        let namespaces = lookup_namespaces(settings, header_namespace);
        // The header's namespace is usually the destination: start its workload calls right away.
        let lookups =
            futures::future::join_all(namespaces.iter().map(|ns| find_application(argo, ns, app)));
        // Argo CD names the Application's own namespace in its header: track by it until it is found.
        let guessed = Tracking::new(settings, app, header_namespace);
        let (found, speculative) = tokio::join!(
            lookups,
            workloads(workloads_client, &guessed, header_namespace)
        );
        let application = match found.iter().find(|r| matches!(r, Ok(Some(_)))) {
            Some(hit) => hit.clone(),
            None => found.into_iter().find(Result::is_err).unwrap_or(Ok(None)),
        };
        let target = target_namespace(
            application.as_ref().ok().and_then(Option::as_ref),
            header_namespace,
        );
        let app_namespace = application
            .as_ref()
            .ok()
            .and_then(Option::as_ref)
            .and_then(|a| a["metadata"]["namespace"].as_str())
            .unwrap_or(header_namespace);
        let (deployments, pods, external_secrets) = if target == header_namespace {
            speculative
        } else {
            let tracking = Tracking::new(settings, app, app_namespace);
            workloads(workloads_client, &tracking, &target).await
        };
        Observed {
            application,
            deployments,
            pods,
            external_secrets,
        }
    };
    deadline
        .bound("The cluster", run)
        .await
        .unwrap_or_else(|elapsed| Observed::failed(&elapsed.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(selector: Value) -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "api", "namespace": "payments"},
            "spec": {"selector": selector, "template": {}}
        }))
        .unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pod_selectors_follow_kubernetes_semantics() {
        let selector = pod_selector(&deployment(json!({
            "matchLabels": {"app": "billing"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["api", "web"]},
                {"key": "track", "operator": "NotIn", "values": ["canary"]},
                {"key": "team", "operator": "Exists"},
                {"key": "debug", "operator": "DoesNotExist"}
            ]
        })))
        .unwrap();
        let base = [("app", "billing"), ("tier", "api"), ("team", "a")];
        assert!(selector.matches(&labels(&base)));
        for (change, why) in [
            (("app", "other"), "matchLabels"),
            (("tier", "db"), "In"),
            (("track", "canary"), "NotIn"),
            (("debug", "1"), "DoesNotExist"),
        ] {
            let mut pod = labels(&base);
            pod.insert(change.0.into(), change.1.into());
            assert!(!selector.matches(&pod), "{why}");
        }
        let mut no_team = labels(&base);
        no_team.remove("team");
        assert!(!selector.matches(&no_team), "Exists");
        // An empty selector, or one Kubernetes could not have, selects no pod.
        assert!(pod_selector(&deployment(json!({}))).is_none());
        let odd = json!({"matchExpressions": [{"key": "a", "operator": "Near"}]});
        assert!(pod_selector(&deployment(odd)).is_none());
    }
}

//! Finding what an Argo CD application consists of, in two steps: [`observe`] makes the Kubernetes calls
//! (concurrently, in two rounds when the app's resources are in the namespace Argo CD named, three at
//! most), and [`interpret`] turns what they returned into a [`Discovery`]. The warm function lists whole
//! clusters instead of observing one app, and feeds the same [`interpret`].
//!
//! An app's workloads (Deployments, StatefulSets, DaemonSets, Argo Rollouts) and ExternalSecrets are
//! those its Application's `status.resources` lists, whatever the tracking method; before its first sync,
//! those Argo CD's tracking marks as the app's (see [`Tracking`]).

use super::objects::{
    self, application_resource, by_namespace, keep_application, pod_resource, ByNamespace,
    ExternalSecretRef, ExternalSecretsApi, Marks, PodRef, ResourceRef, Workload,
    EXTERNAL_SECRET_GROUP_KIND, TRACKING_ID, WORKLOAD_KINDS,
};
use super::service_name::ServiceNames;
use gluelinks_clusters::pool::describe;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_links_model::iaac;
use gluelinks_links_model::render::{Discovery, PodLink};
use gluelinks_links_model::WorkloadCounts;
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

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

/// What the cluster returned for one app, cut down to what discovery reads. `Err` holds a message for the
/// user.
#[derive(Clone, Debug)]
pub struct Observed {
    pub application: Result<Option<Value>, String>,
    pub workloads: Result<ByNamespace<Workload>, String>,
    pub pods: Result<ByNamespace<PodRef>, String>,
    /// `Ok(None)`: the cluster serves no ExternalSecret API.
    pub external_secrets: Result<Option<ByNamespace<ExternalSecretRef>>, String>,
    /// The ExternalSecret API the cluster serves, when this observation learned it (to remember).
    pub external_secrets_api: Option<ExternalSecretsApi>,
}

impl Observed {
    /// Every call failed with `message` (no client, or the budget ran out).
    pub fn failed(message: &str) -> Self {
        Self {
            application: Err(message.to_string()),
            workloads: Err(message.to_string()),
            pods: Err(message.to_string()),
            external_secrets: Err(message.to_string()),
            external_secrets_api: None,
        }
    }

    pub fn view(&self) -> View<'_> {
        View {
            application: self
                .application
                .as_ref()
                .map(Option::as_ref)
                .map_err(String::as_str),
            workloads: self.workloads.as_ref().map_err(String::as_str),
            pods: self.pods.as_ref().map_err(String::as_str),
            external_secrets: self
                .external_secrets
                .as_ref()
                .map(Option::as_ref)
                .map_err(String::as_str),
        }
    }
}

/// What interpretation reads: an [`Observed`] of one app, or a whole-cluster listing (warm).
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    pub application: Result<Option<&'a Value>, &'a str>,
    pub workloads: Result<&'a ByNamespace<Workload>, &'a str>,
    pub pods: Result<&'a ByNamespace<PodRef>, &'a str>,
    /// `Ok(None)`: the cluster serves no ExternalSecret API.
    pub external_secrets: Result<Option<&'a ByNamespace<ExternalSecretRef>>, &'a str>,
}

pub fn tracking_prefix(app: &str, group_kind: &str, namespace: &str) -> String {
    format!("{app}:{group_kind}:{namespace}/")
}

/// How Argo CD marks what an Application manages, whichever tracking method the install uses: the
/// `argocd.argoproj.io/tracking-id` annotation (`annotation`, the default since Argo CD 3.0, and
/// `annotation+label`) or the instance label (`label`, the default before). An Application outside the
/// control-plane namespace is named `<namespace>_<app>` in both, so both names count.
pub struct Tracking {
    ids: [String; 2],
}

impl Tracking {
    /// The marks of `app`, whose Application lives in `app_namespace`.
    pub fn new(app: &str, app_namespace: &str) -> Self {
        Self {
            ids: [app.to_string(), format!("{app_namespace}_{app}")],
        }
    }

    /// Whether an object of `group_kind` in `namespace` marked `marks` is the app's.
    pub fn tracks(&self, group_kind: &str, namespace: &str, marks: &Marks) -> bool {
        let by_annotation = marks.tracking_id.as_deref().is_some_and(|id| {
            self.ids
                .iter()
                .any(|app| id.starts_with(&tracking_prefix(app, group_kind, namespace)))
        });
        by_annotation
            || marks
                .instance
                .as_deref()
                .is_some_and(|value| self.ids.iter().any(|id| id == value))
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

/// The entries of the app's `status.resources`, when Argo CD has listed any (it has synced at least once).
fn managed(application: Option<&Value>) -> Option<Vec<ResourceRef<'_>>> {
    let refs: Vec<ResourceRef<'_>> = application?["status"]["resources"]
        .as_array()?
        .iter()
        .filter_map(ResourceRef::of)
        .collect();
    (!refs.is_empty()).then_some(refs)
}

/// Where the app's workloads and ExternalSecrets are: the namespaces `status.resources` names for them (at
/// most [`MAX_NAMESPACES`]), else the target namespace.
pub fn app_namespaces(application: Option<&Value>, target: &str) -> Vec<String> {
    let Some(refs) = managed(application) else {
        return vec![target.to_string()];
    };
    let mut namespaces: Vec<String> = Vec::new();
    for r in refs.iter().filter(|r| r.is_discovered()) {
        if !namespaces.iter().any(|n| n == r.namespace) && namespaces.len() < MAX_NAMESPACES {
            namespaces.push(r.namespace.to_string());
        }
    }
    namespaces
}

/// The most namespaces one app's workloads are read from.
pub const MAX_NAMESPACES: usize = 8;

/// How an app's resources are recognised: by `status.resources` when Argo CD has listed them, else by
/// the tracking marks in the target namespace.
struct Ownership<'a> {
    managed: Option<Vec<ResourceRef<'a>>>,
    tracking: Tracking,
    target: &'a str,
}

impl<'a> Ownership<'a> {
    fn new(application: Option<&'a Value>, app: &str, app_namespace: &str, target: &'a str) -> Self {
        Self {
            managed: managed(application),
            tracking: Tracking::new(app, app_namespace),
            target,
        }
    }

    /// The app's workloads among `all`, by kind, namespace and name.
    fn workloads<'w>(&self, all: &'w ByNamespace<Workload>) -> Vec<&'w Workload> {
        let mut found: Vec<&Workload> = match &self.managed {
            Some(refs) => refs
                .iter()
                .filter_map(|r| {
                    all.get(r.namespace)?
                        .iter()
                        .find(|w| r.is_workload(w.kind) && w.name == r.name)
                })
                .collect(),
            None => all
                .get(self.target)
                .into_iter()
                .flatten()
                .filter(|w| {
                    self.tracking
                        .tracks(&w.kind.group_kind(), self.target, &w.marks)
                })
                .collect(),
        };
        let rank = |w: &Workload| WORKLOAD_KINDS.iter().position(|k| k == w.kind);
        found.sort_by(|a, b| {
            (rank(a), &a.namespace, &a.name).cmp(&(rank(b), &b.namespace, &b.name))
        });
        found.dedup_by(|a, b| std::ptr::eq(*a, *b));
        found
    }

    /// The app's ExternalSecrets among `all`, in namespace and name order.
    fn external_secrets<'e>(
        &self,
        all: &'e ByNamespace<ExternalSecretRef>,
    ) -> Vec<&'e ExternalSecretRef> {
        let mut found: Vec<&ExternalSecretRef> = match &self.managed {
            Some(refs) => refs
                .iter()
                .filter(|r| r.is_external_secret())
                .filter_map(|r| all.get(r.namespace)?.iter().find(|e| e.name == r.name))
                .collect(),
            None => all
                .get(self.target)
                .into_iter()
                .flatten()
                .filter(|e| {
                    self.tracking
                        .tracks(EXTERNAL_SECRET_GROUP_KIND, self.target, &e.marks)
                })
                .collect(),
        };
        found.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        found.dedup_by(|a, b| std::ptr::eq(*a, *b));
        found
    }

    /// What was looked for, and where, to say when nothing was found.
    fn looked_for(&self, what: &str, app: &str, settings: &DiscoverySettings) -> String {
        match &self.managed {
            Some(_) => format!(
                "No {what} among the resources Argo CD lists for app '{app}' (its status.resources)"
            ),
            None => format!(
                "No {what} tracked by app '{app}' in namespace '{}' (looked for the {TRACKING_ID} annotation and the {} label; Argo CD lists no resources for the app yet)",
                self.target, settings.tracking_label
            ),
        }
    }
}

/// The pods of `workloads`, each once, labelled with its workload when there are several.
fn pod_links(workloads: &[&Workload], pods: &ByNamespace<PodRef>) -> Vec<PodLink> {
    let several = workloads.len() > 1;
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut links = Vec::new();
    for w in workloads {
        let mut names: Vec<&str> = pods
            .get(&w.namespace)
            .into_iter()
            .flatten()
            .filter(|p| w.selects(p))
            .map(|p| p.name.as_str())
            .collect();
        names.sort_unstable();
        for name in names {
            if seen.insert((w.namespace.as_str(), name)) {
                links.push(PodLink {
                    pod: name.to_string(),
                    namespace: w.namespace.clone(),
                    workload: several.then(|| w.describe()),
                });
            }
        }
    }
    links
}

/// Vault paths of the ExternalSecrets' keys (`secret/<path>` → `<path>`), de-duplicated in order.
fn vault_paths(external_secrets: &[&ExternalSecretRef]) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for key in external_secrets.iter().flat_map(|es| &es.keys) {
        let path = key.trim_start_matches('/');
        let path = path.strip_prefix("secret/").unwrap_or(path).to_string();
        if !path.is_empty() && !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

fn counts(workloads: &[&Workload]) -> WorkloadCounts {
    let count = |kind: &str| workloads.iter().filter(|w| w.kind.kind == kind).count();
    WorkloadCounts {
        deployments: count("Deployment"),
        stateful_sets: count("StatefulSet"),
        daemon_sets: count("DaemonSet"),
        rollouts: count("Rollout"),
    }
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
    let app_namespace = application
        .and_then(|a| a["metadata"]["namespace"].as_str())
        .unwrap_or(header_namespace);
    let ownership = Ownership::new(application, app, app_namespace, &target);
    let workloads = view.workloads.map(|all| ownership.workloads(all));
    let pods = match (&workloads, view.pods) {
        (Err(e), _) => Err(e.to_string()),
        (Ok(ws), _) if ws.is_empty() => Ok(Vec::new()),
        (Ok(_), Err(e)) => Err(e.to_string()),
        (Ok(ws), Ok(pods)) => Ok(pod_links(ws, pods)),
    };
    let pods_missing = match (&workloads, &pods) {
        (Ok(ws), Ok(_)) if ws.is_empty() => Some(ownership.looked_for(
            &crate::objects::workload_kind_names(),
            app,
            settings,
        )),
        (Ok(ws), Ok(pods)) if pods.is_empty() => Some(format!(
            "No pods currently running (selected by {})",
            ws.iter()
                .map(|w| format!("{} in namespace '{}'", w.describe(), w.namespace))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => None,
    };
    let external_secrets = view
        .external_secrets
        .map_err(str::to_string)
        .map(|served| served.map(|all| ownership.external_secrets(all)));
    let vault_paths = external_secrets
        .as_ref()
        .map(|es| es.as_deref().map(vault_paths).unwrap_or_default())
        .map_err(Clone::clone);
    let vault_missing = match &external_secrets {
        Ok(None) => Some(
            "External Secrets Operator is not installed in this cluster (no external-secrets.io API is served)"
                .to_string(),
        ),
        Ok(Some(es)) if es.is_empty() => Some(ownership.looked_for("ExternalSecret", app, settings)),
        Ok(Some(es)) if vault_paths.as_ref().is_ok_and(Vec::is_empty) => Some(format!(
            "The ExternalSecrets of app '{app}' ({}) name no remote key",
            es.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ")
        )),
        _ => None,
    };
    let iaac = match view.application {
        Ok(Some(a)) => iaac::config_folder(a).map_err(|e| e.to_string()),
        Ok(None) => Err(format!(
            "Application '{app}' not found in Argo CD (looked in {})",
            lookup_namespaces(settings, header_namespace).join(", ")
        )),
        Err(e) => Err(e.to_string()),
    };
    let degraded = view.application.is_err()
        || workloads.is_err()
        || pods.is_err()
        || external_secrets.is_err();
    Discovery {
        app: app.to_string(),
        namespace: target.clone(),
        service: settings.service_names.service(app),
        argocd_app: application.is_some(),
        workloads: workloads.as_deref().map(counts).unwrap_or_default(),
        pods,
        pods_missing,
        external_secrets: external_secrets
            .as_ref()
            .map(|es| es.as_ref().map_or(0, Vec::len))
            .map_err(Clone::clone),
        vault_paths,
        vault_missing,
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

async fn find_application(
    client: &kube::Client,
    namespace: &str,
    app: &str,
) -> Result<Option<Value>, String> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &application_resource());
    match api.get_opt(app).await {
        Ok(found) => Ok(found.map(keep_application)),
        Err(e) => Err(describe(
            &e,
            &format!("reading Application {app} in {namespace}"),
        )),
    }
}

/// The first error of `results`, else all their items.
fn all_or_first_error<T>(results: Vec<Result<Vec<T>, String>>) -> Result<Vec<T>, String> {
    let mut items = Vec::new();
    for result in results {
        items.extend(result?);
    }
    Ok(items)
}

/// Every Deployment, StatefulSet, DaemonSet and Rollout in `namespace` (one call per kind, at once).
async fn read_workloads(
    client: &kube::Client,
    settings: &DiscoverySettings,
    namespace: &str,
) -> Result<Vec<Workload>, String> {
    let label = settings.tracking_label.as_str();
    let reads = WORKLOAD_KINDS.iter().map(|kind| async move {
        objects::list(
            client,
            &kind.resource(),
            Some(namespace),
            ListParams::default(),
            |o| Workload::keep(kind, label, o),
        )
        .await
        .map_err(|e| describe(&e, &format!("listing {} in {namespace}", kind.plural)))
    });
    all_or_first_error(futures::future::join_all(reads).await)
}

/// The pods of `workloads`, by each one's own selector (one call per workload, at once).
async fn read_pods(
    client: &kube::Client,
    namespace: &str,
    workloads: &[&Workload],
) -> Result<Vec<PodRef>, String> {
    let reads = workloads
        .iter()
        .filter_map(|w| w.selector.as_ref())
        .map(|selector| async move {
            objects::list(
                client,
                &pod_resource(),
                Some(namespace),
                ListParams::default().labels_from(selector),
                PodRef::keep,
            )
            .await
            .map_err(|e| describe(&e, &format!("listing pods in {namespace}")))
        });
    all_or_first_error(futures::future::join_all(reads).await)
}

/// The ExternalSecrets in `namespace`, in the version the cluster serves (`None`: it serves none).
async fn read_external_secrets(
    client: &kube::Client,
    settings: &DiscoverySettings,
    api: ExternalSecretsApi,
    namespace: &str,
) -> Result<Option<Vec<ExternalSecretRef>>, String> {
    let Some(resource) = api.resource() else {
        return Ok(None);
    };
    let label = settings.tracking_label.as_str();
    objects::list(
        client,
        &resource,
        Some(namespace),
        ListParams::default(),
        |o| ExternalSecretRef::keep(label, o),
    )
    .await
    .map(Some)
    .map_err(|e| describe(&e, &format!("listing externalsecrets in {namespace}")))
}

/// Which ExternalSecret API `client`'s cluster serves.
async fn external_secrets_api(client: &kube::Client) -> Result<ExternalSecretsApi, String> {
    ExternalSecretsApi::discover(client)
        .await
        .map_err(|e| describe(&e, "asking which External Secrets API is served"))
}

/// One namespace's part of an app: its workloads, their pods, and its ExternalSecrets.
struct NamespaceRead {
    workloads: Result<Vec<Workload>, String>,
    pods: Result<Vec<PodRef>, String>,
    external_secrets: Result<Option<Vec<ExternalSecretRef>>, String>,
}

/// Makes the calls for one app: Applications are read from `argo`, workloads from `workloads_client` (the
/// same client unless Argo CD deploys to another stored cluster), all by `deadline`. `known_api` is the
/// ExternalSecret API the workloads' cluster was last seen serving, if any.
///
/// Round one reads the Application and, guessing that its resources are in the header's namespace,
/// that namespace's workloads and ExternalSecrets (or, when the API is not known yet, which one is
/// served). Round two reads the pods of the app's workloads (and the ExternalSecrets when the API was just
/// learned). Only an app whose resources are elsewhere takes a third round: that namespace's workloads,
/// then their pods.
pub async fn observe(
    settings: &DiscoverySettings,
    argo: &kube::Client,
    workloads_client: &kube::Client,
    app: &str,
    header_namespace: &str,
    known_api: Option<ExternalSecretsApi>,
    deadline: Deadline,
) -> Observed {
    let client = workloads_client;
    let run = async {
        let namespaces = lookup_namespaces(settings, header_namespace);
        let lookups =
            futures::future::join_all(namespaces.iter().map(|ns| find_application(argo, ns, app)));
        let external_secrets_first = async {
            match known_api {
                Some(api) => (
                    Ok(api),
                    Some(read_external_secrets(client, settings, api, header_namespace).await),
                ),
                None => (external_secrets_api(client).await, None),
            }
        };
        let (found, speculative, (api, speculative_es)) = tokio::join!(
            lookups,
            read_workloads(client, settings, header_namespace),
            external_secrets_first
        );
        let application = match found.iter().find(|r| matches!(r, Ok(Some(_)))) {
            Some(hit) => hit.clone(),
            None => found.into_iter().find(Result::is_err).unwrap_or(Ok(None)),
        };
        let found_app = application.as_ref().ok().and_then(Option::as_ref);
        let target = target_namespace(found_app, header_namespace);
        let app_namespace = found_app
            .and_then(|a| a["metadata"]["namespace"].as_str())
            .unwrap_or(header_namespace);
        let ownership = Ownership::new(found_app, app, app_namespace, &target);
        let mut speculative = Some(speculative);
        let mut speculative_es = speculative_es;
        let reads = app_namespaces(found_app, &target).into_iter().map(|ns| {
            let listed = if ns == header_namespace {
                (speculative.take(), speculative_es.take())
            } else {
                (None, None)
            };
            let api = api.clone();
            let ownership = &ownership;
            async move {
                let (listed, listed_es) = listed;
                let workloads_then_pods = async {
                    let workloads = match listed {
                        Some(workloads) => workloads,
                        None => read_workloads(client, settings, &ns).await,
                    };
                    let pods = match &workloads {
                        Ok(all) => {
                            let all = by_namespace(all.clone(), |w| &w.namespace);
                            read_pods(client, &ns, &ownership.workloads(&all)).await
                        }
                        Err(e) => Err(e.clone()),
                    };
                    (workloads, pods)
                };
                let external_secrets = async {
                    match (listed_es, api) {
                        (Some(read), _) => read,
                        (None, Ok(api)) => read_external_secrets(client, settings, api, &ns).await,
                        (None, Err(e)) => Err(e),
                    }
                };
                let ((workloads, pods), external_secrets) =
                    tokio::join!(workloads_then_pods, external_secrets);
                NamespaceRead {
                    workloads,
                    pods,
                    external_secrets,
                }
            }
        });
        let reads = futures::future::join_all(reads).await;
        let mut workloads = Ok(Vec::new());
        let mut pods = Ok(Vec::new());
        let mut external_secrets = match api {
            Ok(ExternalSecretsApi::NotServed) => Ok(None),
            Ok(_) => Ok(Some(Vec::new())),
            Err(ref e) => Err(e.clone()),
        };
        for read in reads {
            workloads = all_or_first_error(vec![workloads, read.workloads]);
            pods = all_or_first_error(vec![pods, read.pods]);
            external_secrets = match (external_secrets, read.external_secrets) {
                (Err(e), _) | (_, Err(e)) => Err(e),
                (Ok(a), Ok(b)) => Ok(match (a, b) {
                    (Some(mut a), Some(b)) => {
                        a.extend(b);
                        Some(a)
                    }
                    (a, b) => a.or(b),
                }),
            };
        }
        Observed {
            application,
            workloads: workloads.map(|w| by_namespace(w, |w| &w.namespace)),
            pods: pods.map(|p| by_namespace(p, |p| &p.namespace)),
            external_secrets: external_secrets
                .map(|es| es.map(|es| by_namespace(es, |e| &e.namespace))),
            external_secrets_api: api.ok().filter(|_| known_api.is_none()),
        }
    };
    deadline
        .bound("The cluster", run)
        .await
        .unwrap_or_else(|elapsed| Observed::failed(&elapsed.to_string()))
}

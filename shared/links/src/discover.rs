//! Finding what an Argo CD application consists of, in two steps: [`observe`] makes the Kubernetes calls
//! (concurrently, in two rounds), and [`interpret`] turns what they returned into a [`Discovery`]. The warm function lists whole
//! clusters instead of observing one app, and feeds the same [`interpret`].
//!
//! An app's workloads (Deployments, StatefulSets, DaemonSets, Argo Rollouts) and ExternalSecrets are
//! those its Application's `status.resources` lists, whatever the tracking method; before its first sync,
//! those Argo CD's tracking marks as the app's (see `Tracking`).

use super::objects::{
    application_resource, external_secrets_api, keep_application, read_external_secrets, read_pods,
    read_workloads, workload_kind_names, ByNamespace, ExternalSecretRef, ExternalSecretsApi,
    Listing, Marks, PodRef, ResourceRef, Workload, EXTERNAL_SECRET_GROUP_KIND, TRACKING_ID,
    WORKLOAD_KINDS,
};
use super::read_error::ReadError;
use super::service_name::ServiceNames;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::timeout::Timeout;
use gluelinks_links_model::iaac;
use gluelinks_links_model::render::{Discovery, PodLink};
use gluelinks_links_model::WorkloadCounts;
use kube::api::{Api, DynamicObject};
use serde_json::Value;
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Clone, Debug)]
pub(crate) struct DiscoverySettings {
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
            tracking_label: gluelinks_core::argocd::instance_label(env),
            service_names: ServiceNames::from_env(env)?,
            budget: Duration::from_secs_f64(seconds),
        })
    }

    /// The deadline of one links request's outbound calls, starting now.
    pub fn deadline(&self) -> Deadline {
        Deadline::after(self.budget, "LINKS_TIMEOUT_SECONDS")
    }
}

/// When a request's outbound calls must be done, the bound that set it and the setting behind it (for
/// messages).
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    at: Instant,
    bound: Duration,
    setting: &'static str,
}

impl Deadline {
    /// `bound` (set by `setting`) from now.
    pub fn after(bound: Duration, setting: &'static str) -> Self {
        Self {
            at: Instant::now() + bound,
            bound,
            setting,
        }
    }

    /// What `call` returns, unless the deadline comes first: then [`Elapsed`], naming `who` did not answer.
    pub async fn bound<T>(&self, who: &str, call: impl Future<Output = T>) -> Result<T, Elapsed> {
        tokio::time::timeout_at(self.at, call)
            .await
            .map_err(|_| Timeout::new(who, self.bound, self.setting))
    }
}

/// A call cut off by its request's [`Deadline`].
pub type Elapsed = Timeout;

/// What the cluster returned for one app, cut down to what discovery reads. `Err` says why a part could not
/// be read.
#[derive(Clone, Debug)]
pub(crate) struct Observed {
    pub application: Result<Option<Value>, ReadError>,
    /// The namespaces the app's resources are in, read whole.
    pub listing: Listing,
    /// What this observation learned of the ExternalSecret API the cluster serves: `Some` to remember
    /// it, `None` to keep (or, with `api_gone`, to forget) what is remembered.
    pub external_secrets_api: Option<ExternalSecretsApi>,
    /// The remembered API answered 404: ask discovery again next time.
    pub api_gone: bool,
}

impl Observed {
    /// Every call failed because of `why` (no client, or the budget ran out).
    pub fn failed(why: ReadError) -> Self {
        Self {
            application: Err(why.clone()),
            listing: Listing::failed(why),
            external_secrets_api: None,
            api_gone: false,
        }
    }

    pub fn view(&self) -> View<'_> {
        View::of(self.application.as_ref().map(Option::as_ref), &self.listing)
    }
}

/// What interpretation reads: an Application and a [`Listing`] that holds its resources (one app's
/// namespaces, or the whole cluster when warming).
#[derive(Clone, Copy, Debug)]
pub(crate) struct View<'a> {
    pub application: Result<Option<&'a Value>, &'a ReadError>,
    pub workloads: Result<&'a ByNamespace<Workload>, &'a ReadError>,
    pub pods: Result<&'a ByNamespace<PodRef>, &'a ReadError>,
    /// `Ok(None)`: the cluster serves no ExternalSecret API.
    pub external_secrets: Result<Option<&'a ByNamespace<ExternalSecretRef>>, &'a ReadError>,
}

impl<'a> View<'a> {
    pub fn of(application: Result<Option<&'a Value>, &'a ReadError>, listing: &'a Listing) -> Self {
        Self {
            application,
            workloads: listing.workloads.as_ref(),
            pods: listing.pods.as_ref(),
            external_secrets: listing.external_secrets.as_ref().map(Option::as_ref),
        }
    }
}

/// How Argo CD marks what an Application manages, whichever tracking method the install uses: the
/// `argocd.argoproj.io/tracking-id` annotation (`annotation`, the default since Argo CD 3.0, and
/// `annotation+label`: `<instance>:<group>/<Kind>:<namespace>/<name>`) or the instance label (`label`, the
/// default before). The instance is `<app>` for an Application in a control-plane namespace
/// (`ARGOCD_NAMESPACES`) and `<namespace>_<app>` for one anywhere else, so `team-a/payments` never claims
/// what `argocd/payments` deployed.
struct Tracking {
    instance: String,
}

impl Tracking {
    fn new(settings: &DiscoverySettings, app: &str, app_namespace: &str) -> Self {
        let control_plane = settings
            .argocd_namespaces
            .iter()
            .any(|n| n == app_namespace);
        Self {
            instance: if control_plane {
                app.to_string()
            } else {
                format!("{app_namespace}_{app}")
            },
        }
    }

    /// Whether the object `<group_kind> <namespace>/<name>` marked `marks` is the app's: its tracking id
    /// names the app and the object itself (a copy of another object's annotation does not count), or its
    /// instance label names the app.
    fn tracks(&self, group_kind: &str, namespace: &str, name: &str, marks: &Marks) -> bool {
        let names_this = |id: &str| {
            id.strip_prefix(self.instance.as_str())
                .and_then(|r| r.strip_prefix(':'))
                .and_then(|r| r.strip_prefix(group_kind))
                .and_then(|r| r.strip_prefix(':'))
                .and_then(|r| r.strip_prefix(namespace))
                .and_then(|r| r.strip_prefix('/'))
                == Some(name)
        };
        marks.tracking_id.as_deref().is_some_and(names_this)
            || marks.instance.as_deref() == Some(self.instance.as_str())
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

/// The most namespaces one app's resources are read from (the first its `status.resources` names).
const MAX_NAMESPACES: usize = 8;

/// The app's workloads and ExternalSecrets in its `status.resources`, in at most [`MAX_NAMESPACES`]
/// namespaces; `None` when Argo CD has listed no resources for it (it has never synced).
fn managed(application: Option<&Value>) -> Option<Vec<ResourceRef<'_>>> {
    let status = &application?["status"];
    let refs: Vec<ResourceRef<'_>> = status["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(ResourceRef::of)
        .filter(ResourceRef::is_discovered)
        .collect();
    if refs.is_empty() && status["resourcesListed"] != true {
        return None;
    }
    let mut namespaces: Vec<&str> = Vec::new();
    for r in &refs {
        if !namespaces.contains(&r.namespace) && namespaces.len() < MAX_NAMESPACES {
            namespaces.push(r.namespace);
        }
    }
    Some(
        refs.into_iter()
            .filter(|r| namespaces.contains(&r.namespace))
            .collect(),
    )
}

/// How an app's resources are recognised: by `status.resources` when Argo CD has listed them, else by
/// the tracking marks in the target namespace.
pub(crate) struct Ownership<'a> {
    app: &'a str,
    target: String,
    managed: Option<Vec<ResourceRef<'a>>>,
    tracking: Tracking,
}

impl<'a> Ownership<'a> {
    /// For `app`, found (or not) by a request that named `header_namespace`.
    pub fn new(
        settings: &DiscoverySettings,
        app: &'a str,
        application: Option<&'a Value>,
        header_namespace: &str,
    ) -> Self {
        let app_namespace = application
            .and_then(|a| a["metadata"]["namespace"].as_str())
            .unwrap_or(header_namespace);
        Self {
            app,
            target: target_namespace(application, header_namespace),
            managed: managed(application),
            tracking: Tracking::new(settings, app, app_namespace),
        }
    }

    /// Where the app's workloads and ExternalSecrets are: the namespaces `status.resources` names, else
    /// the target namespace.
    pub fn namespaces(&self) -> Vec<String> {
        match &self.managed {
            None => vec![self.target.clone()],
            Some(refs) => {
                let mut namespaces: Vec<String> = Vec::new();
                for r in refs {
                    if !namespaces.iter().any(|n| n == r.namespace) {
                        namespaces.push(r.namespace.to_string());
                    }
                }
                namespaces
            }
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
                .get(&self.target)
                .into_iter()
                .flatten()
                .filter(|w| {
                    self.tracking
                        .tracks(&w.kind.group_kind(), &self.target, &w.name, &w.marks)
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
                .get(&self.target)
                .into_iter()
                .flatten()
                .filter(|e| {
                    self.tracking.tracks(
                        EXTERNAL_SECRET_GROUP_KIND,
                        &self.target,
                        &e.name,
                        &e.marks,
                    )
                })
                .collect(),
        };
        found.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        found.dedup_by(|a, b| std::ptr::eq(*a, *b));
        found
    }

    /// What was looked for, and where, to say when nothing was found.
    fn looked_for(&self, what: &str, settings: &DiscoverySettings) -> String {
        match &self.managed {
            Some(_) => format!(
                "No {what} among the resources Argo CD lists for app '{}' (its status.resources)",
                self.app
            ),
            None => format!(
                "No {what} tracked by app '{}' in namespace '{}' (looked for the {TRACKING_ID} annotation and the {} label naming '{}'; Argo CD lists no resources for the app yet)",
                self.app, self.target, settings.tracking_label, self.tracking.instance
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

/// "Deployment api in namespace 'payments', StatefulSet db … and 3 more".
fn listed(workloads: &[&Workload]) -> String {
    const SHOWN: usize = 3;
    let mut text: Vec<String> = workloads
        .iter()
        .take(SHOWN)
        .map(|w| format!("{} in namespace '{}'", w.describe(), w.namespace))
        .collect();
    if workloads.len() > SHOWN {
        text.push(format!("and {} more", workloads.len() - SHOWN));
    }
    text.join(", ")
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
pub(crate) fn interpret(
    settings: &DiscoverySettings,
    app: &str,
    header_namespace: &str,
    view: View<'_>,
) -> Discovery {
    let application = view.application.ok().flatten();
    let ownership = Ownership::new(settings, app, application, header_namespace);
    let workloads = view
        .workloads
        .map(|all| ownership.workloads(all))
        .map_err(ToString::to_string);
    let pods = match (&workloads, view.pods) {
        (Err(e), _) => Err(e.to_string()),
        (Ok(ws), _) if ws.is_empty() => Ok(Vec::new()),
        (Ok(_), Err(e)) => Err(e.to_string()),
        (Ok(ws), Ok(pods)) => Ok(pod_links(ws, pods)),
    };
    let pods_missing = match (&workloads, &pods) {
        (Ok(ws), Ok(_)) if ws.is_empty() => {
            Some(ownership.looked_for(&workload_kind_names(), settings))
        }
        (Ok(ws), Ok(pods)) if pods.is_empty() => Some(format!(
            "No pods currently running (looked for the pods selected by {})",
            listed(ws)
        )),
        _ => None,
    };
    let external_secrets = view
        .external_secrets
        .map_err(ToString::to_string)
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
        Ok(Some(es)) if es.is_empty() => Some(ownership.looked_for("ExternalSecret", settings)),
        Ok(Some(es)) if vault_paths.as_ref().is_ok_and(Vec::is_empty) => Some(format!(
            "The ExternalSecrets of app '{app}' ({}) name no remote key",
            es.iter().take(3).map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ")
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
        namespace: ownership.target.clone(),
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
/// destination namespace there instead (the original extension backend's curl example). The first that has it wins, so
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
) -> Result<Option<Value>, ReadError> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &application_resource());
    match api.get_opt(app).await {
        Ok(found) => Ok(found.map(keep_application)),
        Err(e) => Err(ReadError::of(
            &e,
            &format!("reading Application {app} in {namespace}"),
        )),
    }
}

/// The lookups' answer, in lookup order: the first that found the app or failed decides (a namespace that
/// could not be read is never skipped for a later one, whose app may be another).
fn first_decisive(
    found: Vec<Result<Option<Value>, ReadError>>,
) -> Result<Option<Value>, ReadError> {
    found
        .into_iter()
        .find(|r| !matches!(r, Ok(None)))
        .unwrap_or(Ok(None))
}

/// Makes the calls for one app: Applications are read from `argo`, everything else from `workloads` (the
/// same client unless Argo CD deploys to another stored cluster), all by `deadline`. `known_api` is the
/// ExternalSecret API the workloads' cluster was last seen serving, if any.
///
/// Round one reads the Application (and asks which ExternalSecret API is served, when that is not known).
/// When the header names a namespace outside `ARGOCD_NAMESPACES` (the original backend's callers name the
/// destination there), that namespace is read whole in round one too. Round two reads whole every other
/// namespace the app's resources are in: its workloads of every kind, its pods and its ExternalSecrets,
/// at once. So a miss takes two rounds, one when the guess was right and the API known.
pub(crate) async fn observe(
    settings: &DiscoverySettings,
    argo: &kube::Client,
    workloads: &kube::Client,
    app: &str,
    header_namespace: &str,
    known_api: Option<ExternalSecretsApi>,
    deadline: Deadline,
) -> Observed {
    let label = settings.tracking_label.as_str();
    let run = async {
        let lookups = futures::future::join_all(
            lookup_namespaces(settings, header_namespace)
                .into_iter()
                .map(|ns| async move { find_application(argo, &ns, app).await }),
        );
        let guess = !settings
            .argocd_namespaces
            .iter()
            .any(|n| n == header_namespace);
        let speculative = async {
            if !guess {
                return None;
            }
            let external_secrets = async {
                match known_api {
                    Some(api) => Some(
                        read_external_secrets(workloads, label, api, Some(header_namespace)).await,
                    ),
                    None => None,
                }
            };
            Some(tokio::join!(
                read_workloads(workloads, label, Some(header_namespace)),
                read_pods(workloads, Some(header_namespace)),
                external_secrets,
            ))
        };
        let api = async {
            match known_api {
                Some(api) => Ok(api),
                None => external_secrets_api(workloads).await,
            }
        };
        let (found, speculative, api) = tokio::join!(lookups, speculative, api);
        let application = first_decisive(found);
        let ownership = Ownership::new(
            settings,
            app,
            application.as_ref().ok().and_then(Option::as_ref),
            header_namespace,
        );
        let mut speculative = speculative;
        let reads = ownership.namespaces().into_iter().map(|ns| {
            let ahead = if ns == header_namespace {
                speculative.take()
            } else {
                None
            };
            let api = api.clone();
            async move {
                let es_in = |api: Result<ExternalSecretsApi, ReadError>| {
                    let ns = ns.clone();
                    async move {
                        match api {
                            Ok(api) => {
                                read_external_secrets(workloads, label, api, Some(&ns)).await
                            }
                            Err(e) => Err(e),
                        }
                    }
                };
                match ahead {
                    Some((w, p, Some(es))) => Listing::of(w, p, es),
                    Some((w, p, None)) => Listing::of(w, p, es_in(api).await),
                    None => {
                        let (w, p, es) = tokio::join!(
                            read_workloads(workloads, label, Some(&ns)),
                            read_pods(workloads, Some(&ns)),
                            es_in(api),
                        );
                        Listing::of(w, p, es)
                    }
                }
            }
        });
        let listing = futures::future::join_all(reads)
            .await
            .into_iter()
            .fold(Listing::empty(&api), Listing::merge);
        let served = matches!(
            api,
            Ok(ExternalSecretsApi::V1 | ExternalSecretsApi::V1beta1)
        );
        Observed {
            application,
            api_gone: known_api.is_some() && served && matches!(listing.external_secrets, Ok(None)),
            listing,
            external_secrets_api: api.ok().filter(|_| known_api.is_none()),
        }
    };
    deadline
        .bound("The cluster", run)
        .await
        .unwrap_or_else(|elapsed| Observed::failed(ReadError::Timeout(elapsed)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings() -> DiscoverySettings {
        DiscoverySettings::from_env(&Env::default()).unwrap()
    }

    fn marks(id: Option<&str>, instance: Option<&str>) -> Marks {
        Marks {
            tracking_id: id.map(str::to_string),
            instance: instance.map(str::to_string),
        }
    }

    #[test]
    fn each_app_claims_only_what_argo_cd_marked_for_it() {
        let s = settings();
        let control_plane = Tracking::new(&s, "payments", "argocd");
        let team = Tracking::new(&s, "payments", "team-a");
        let gk = "apps/Deployment";
        let ours = marks(Some("payments:apps/Deployment:prod/api"), None);
        assert!(control_plane.tracks(gk, "prod", "api", &ours));
        assert!(
            !team.tracks(gk, "prod", "api", &ours),
            "team-a/payments does not claim argocd/payments' objects"
        );
        let theirs = marks(Some("team-a_payments:apps/Deployment:prod/api"), None);
        assert!(team.tracks(gk, "prod", "api", &theirs));
        assert!(!control_plane.tracks(gk, "prod", "api", &theirs));
        // A tracking id copied onto another object, or naming another kind or namespace, is not the app's.
        assert!(!control_plane.tracks(gk, "prod", "api-copy", &ours));
        assert!(!control_plane.tracks("apps/StatefulSet", "prod", "api", &ours));
        assert!(!control_plane.tracks(gk, "staging", "api", &ours));
        // Label tracking names the instance the same way.
        assert!(team.tracks(gk, "prod", "x", &marks(None, Some("team-a_payments"))));
        assert!(!team.tracks(gk, "prod", "x", &marks(None, Some("payments"))));
    }

    #[test]
    fn a_namespace_that_could_not_be_read_is_not_skipped_for_a_later_one() {
        let found = |n: &str| Ok(Some(json!({ "metadata": { "namespace": n } })));
        assert_eq!(
            first_decisive(vec![Ok(None), found("argocd")]),
            found("argocd")
        );
        assert_eq!(
            first_decisive(vec![
                Err(ReadError::Forbidden("forbidden".into())),
                found("argocd")
            ]),
            Err(ReadError::Forbidden("forbidden".into()))
        );
        assert_eq!(first_decisive(vec![Ok(None), Ok(None)]), Ok(None));
    }

    #[test]
    fn status_resources_reach_at_most_eight_namespaces_on_every_path() {
        let resources: Vec<Value> = (0..12)
            .map(|i| json!({"group": "apps", "kind": "Deployment", "namespace": format!("ns-{i}"), "name": "api"}))
            .collect();
        let app = json!({
            "metadata": {"name": "wide", "namespace": "argocd"},
            "spec": {"destination": {"namespace": "ns-0"}},
            "status": {"resources": resources, "resourcesListed": true}
        });
        let s = settings();
        let ownership = Ownership::new(&s, "wide", Some(&app), "argocd");
        assert_eq!(ownership.namespaces().len(), MAX_NAMESPACES);
        // The warmer's whole-cluster listing holds all twelve; the app still has only eight.
        let all: ByNamespace<Workload> = (0..12)
            .map(|i| {
                let object = serde_json::from_value(json!({
                    "apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "api", "namespace": format!("ns-{i}")},
                    "spec": {"selector": {"matchLabels": {"app": "api"}}}
                }))
                .unwrap();
                let w = Workload::from_object(&WORKLOAD_KINDS[0], "l", object);
                (w.namespace.clone(), vec![w])
            })
            .collect();
        assert_eq!(ownership.workloads(&all).len(), MAX_NAMESPACES);
        // Synced, with nothing GlueLinks reads: no workloads, and no guessing by tracking marks.
        let bare = json!({
            "metadata": {"name": "cm", "namespace": "argocd"},
            "spec": {"destination": {"namespace": "ns-0"}},
            "status": {"resources": [], "resourcesListed": true}
        });
        let ownership = Ownership::new(&s, "cm", Some(&bare), "argocd");
        assert!(ownership.namespaces().is_empty());
    }
}

//! Writing credential secrets so that no request can damage a cluster.
//!
//! - **GlueLinks changes only what it created.** An existing secret is replaced only when it carries
//!   `app.kubernetes.io/managed-by: gluelinks` and is of the kind written ([`Standing::Owned`]); one of
//!   the right kind without that label only when the request says `adopt` ([`Standing::Unmarked`]).
//!   Never, whatever the request says ([`Standing::Refused`]): a secret of another kind or another tool's,
//!   one with a controller owner (an ExternalSecret, a SealedSecret), one Argo CD syncs from Git, one being
//!   deleted, an immutable one.
//! - **All or nothing.** Every target is read and judged, then written by the cluster as a dry run
//!   (`dryRun=All`, so admission policies and webhooks, quotas and immutability have their say) before the
//!   first real write; a refusal anywhere writes nothing anywhere. A target that cannot be read may be a
//!   secret GlueLinks must not replace: it blocks the request too.
//! - **An upsert changes only what the request means** ([`Target::merged`]): keys, labels, annotations and
//!   owner references it does not set survive; transport settings go when the server changes; the other
//!   authentication methods' keys go when the method changes; a pull secret's other registries stay.
//! - **Bounded work**: calls run at most [`CONCURRENCY`] at a time, all within one deadline.
//!
//! [`run`] is the whole flow; the function crate turns its [`Report`] into HTTP.

use super::kind::{RepoType, SecretKind, OPAQUE};
use super::request::{Change, Common, DockerRequest, RepositoryRequest};
use super::{SecretSettings, MANAGED_BY, REPOSITORY_LABEL, REPOSITORY_TYPE_LABEL};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures::StreamExt;
use gluelinks_clusters::pool::{describe_in_full, io_error_kind};
use gluelinks_core::argocd::TRACKING_ID;
use gluelinks_core::names::MAX_SUBDOMAIN;
use gluelinks_core::text::bounded;
use gluelinks_core::timeout::{duration_text, Timeout};
use gluelinks_core::urls::Location;
pub use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::ByteString;
use kube::api::{Api, ObjectMeta, PostParams};
use secrecy::ExposeSecret;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use tokio::time::Instant;

/// How many Kubernetes calls one request has in flight at once.
pub const CONCURRENCY: usize = 8;

/// Argo CD's authentication methods and the data keys of each (its repository and credential-template
/// secrets). A request sets one method; when an existing secret holds another's keys, an upsert removes
/// every other method's keys, so that Argo CD cannot go on using the old one.
const METHODS: [(Method, &[&str]); 3] = [
    (
        Method::Basic,
        &["username", "password", "forceHttpBasicAuth"],
    ),
    (Method::Ssh, &["sshPrivateKey"]),
    (
        Method::Other,
        &[
            "bearerToken",
            "githubAppPrivateKey",
            "githubAppID",
            "githubAppInstallationID",
            "githubAppEnterpriseBaseUrl",
            "gcpServiceAccountKey",
            "useAzureWorkloadIdentity",
        ],
    ),
];

/// A TLS client certificate goes with any method, and is dropped with the method it served.
const TLS_CLIENT_KEYS: [&str; 2] = ["tlsClientCertData", "tlsClientCertKey"];

/// How Argo CD reaches a server, besides its client certificate ([`TLS_CLIENT_KEYS`]): kept while the
/// server stays the same, dropped with the certificate when the URL's protocol, host or port changes (a new
/// token must not go out with the old server's proxy or without TLS checks).
const TRANSPORT_KEYS: [&str; 5] = [
    "insecure",
    "insecureIgnoreHostKey",
    "insecureOCIForceHttp",
    "proxy",
    "noProxy",
];

/// Keys whose value is a credential: reported as set whenever a request sets them, whatever they held, so
/// that `changed_keys` never tells whether a guess equals what is stored.
const CREDENTIAL_KEYS: [&str; 7] = [
    "password",
    "sshPrivateKey",
    "bearerToken",
    "githubAppPrivateKey",
    "tlsClientCertKey",
    "gcpServiceAccountKey",
    ".dockerconfigjson",
];

/// Where `kubectl apply` keeps the last object it applied, a secret's values included.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The annotation with which a cluster's administrator lets the shipped admission policy allow GlueLinks
/// to adopt a secret it did not create (see `shared/rbac/secrets-writer-policy.yaml`).
pub const ADOPTABLE_ANNOTATION: &str = "gluelinks.io/adoptable";

/// The authentication method a request sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Basic,
    Ssh,
    /// The methods GlueLinks never writes (bearer token, GitHub App, GCP, Azure).
    Other,
}

/// A secret read from the cluster. Its `Debug` shows the metadata and the names of its data keys, never
/// their values.
#[derive(Clone)]
pub struct Stored(Secret);

impl Stored {
    /// The secret as read, values included.
    pub fn secret(&self) -> &Secret {
        &self.0
    }
}

impl std::fmt::Debug for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let meta = &self.0.metadata;
        f.debug_struct("Stored")
            .field("name", &meta.name)
            .field("namespace", &meta.namespace)
            .field("type", &self.0.type_)
            .field("labels", &meta.labels)
            .field(
                "data_keys",
                &self
                    .0
                    .data
                    .iter()
                    .flat_map(|d| d.keys())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// What a repository secret's upsert needs to know beyond the keys it sets.
#[derive(Clone)]
struct Repository {
    method: Method,
    /// Its URL as stored, read as a location (every validated URL reads; should one not, the server
    /// counts as changed).
    location: Option<Location>,
}

/// One secret to write into one namespace: the labels and data keys the request sets, and the keys it
/// removes. It holds credential values: it has no `Debug`.
#[derive(Clone)]
pub struct Target {
    pub(crate) namespace: String,
    pub(crate) name: String,
    kind: SecretKind,
    /// The label that marks its kind (a pull secret's `DOCKER_CREDS_LABEL`, an Argo CD secret's
    /// secret-type): what an existing secret must carry to be replaced by it.
    kind_label: (String, String),
    labels: BTreeMap<String, String>,
    set: BTreeMap<String, Vec<u8>>,
    /// Keys a new secret gets, which an upsert leaves as they are (a repository's display name).
    on_create: BTreeMap<String, Vec<u8>>,
    remove: Vec<&'static str>,
    repository: Option<Repository>,
    /// A pull secret's `.dockerconfigjson` `auths` entries: an upsert replaces these registries' entries
    /// and keeps the others'.
    docker_auths: Option<Map<String, Value>>,
}

/// What a request does to an existing secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// An upsert replaces it.
    Replace,
    /// A removal deletes it.
    Remove,
}

/// Where an existing secret stands with GlueLinks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// GlueLinks created it: an upsert may replace it.
    Owned,
    /// Of the right kind, not created by GlueLinks: replaced only with `adopt` (and audited so).
    Unmarked(String),
    /// Never replaced, whatever the request says; why.
    Refused(String),
}

fn label<'a>(secret: &'a Secret, key: &str) -> Option<&'a str> {
    secret
        .metadata
        .labels
        .as_ref()?
        .get(key)
        .map(String::as_str)
}

fn annotation<'a>(secret: &'a Secret, key: &str) -> Option<&'a str> {
    secret
        .metadata
        .annotations
        .as_ref()?
        .get(key)
        .map(String::as_str)
}

/// Text from the cluster (a kind, a name, a tool), as a message may quote it.
fn shown(text: &str) -> String {
    bounded(text, MAX_SUBDOMAIN)
}

impl Target {
    /// The namespace it is in.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// A `kind` secret in `namespace`; `docker_label` marks pull secrets.
    pub(crate) fn new(
        namespace: &str,
        name: &str,
        kind: SecretKind,
        docker_label: &(String, String),
    ) -> Self {
        let kind_label = match kind.argocd_secret_type() {
            Some(value) => (REPOSITORY_LABEL.to_string(), value.to_string()),
            None => docker_label.clone(),
        };
        let labels = BTreeMap::from([
            (MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string()),
            kind_label.clone(),
        ]);
        Self {
            namespace: namespace.to_string(),
            name: name.to_string(),
            kind,
            kind_label,
            labels,
            set: BTreeMap::new(),
            on_create: BTreeMap::new(),
            remove: Vec::new(),
            repository: None,
            docker_auths: None,
        }
    }

    /// Where `existing` stands: whether this target may replace it, and if not, why. `tracking_label` is
    /// the label Argo CD's label tracking writes.
    pub fn standing(&self, existing: &Secret, tracking_label: &str) -> Standing {
        self.standing_for(existing, tracking_label, Op::Replace)
    }

    /// Where `existing` stands for `op`: a removal takes only what GlueLinks created (an immutable or
    /// terminating one of its own included), and adopts nothing.
    pub(crate) fn standing_for(&self, existing: &Secret, tracking_label: &str, op: Op) -> Standing {
        let (name, ns) = (&self.name, &self.namespace);
        let existing_type = existing.type_.as_deref().unwrap_or(OPAQUE);
        let argo_type = label(existing, REPOSITORY_LABEL);
        let (key, value) = &self.kind_label;
        let of_kind = label(existing, key) == Some(value.as_str())
            && (self.kind.argocd_secret_type().is_some() || existing_type == self.kind.k8s_type());
        let replace = op == Op::Replace;
        let never = |why: String| {
            Standing::Refused(if replace {
                format!("Secret {name} in namespace {ns} {why}; GlueLinks will not replace it, even with upsert or adopt")
            } else {
                format!("Secret {name} in namespace {ns} {why}; GlueLinks removes only what it created and owns")
            })
        };
        let advice = |to_replace: &str, to_remove: &str| {
            if replace {
                to_replace.to_string()
            } else {
                to_remove.to_string()
            }
        };
        if !of_kind {
            let what = match argo_type {
                Some(t) => format!("an Argo CD '{}' secret", shown(t)),
                None => format!("a '{}' secret", shown(existing_type)),
            };
            let wanted = match self.kind.argocd_secret_type() {
                None => format!("a '{}' secret labelled {key}={value}", self.kind.k8s_type()),
                Some(value) => format!("an Argo CD '{value}' secret"),
            };
            let next = advice(". Choose another name", "");
            return never(format!("is {what}, not {wanted}{next}"));
        }
        if let Some(manager) = label(existing, MANAGED_BY.0).filter(|m| *m != MANAGED_BY.1) {
            return never(format!(
                "is managed by '{}' ({}). {}",
                shown(manager),
                MANAGED_BY.0,
                advice(
                    "Change it with that tool, or choose another name",
                    "Remove it with that tool"
                )
            ));
        }
        let controller = existing
            .metadata
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true));
        if let Some(owner) = controller {
            let source = format!("{} {}", shown(&owner.kind), shown(&owner.name));
            return never(format!(
                "is controlled by {source} (its controller ownerReference), which would put its own content back. {} at its source, {source}",
                advice("Change it", "Remove it")
            ));
        }
        let tracked = match (
            annotation(existing, TRACKING_ID),
            label(existing, tracking_label),
        ) {
            (Some(_), _) => Some(format!("its {TRACKING_ID} annotation")),
            (None, Some(_)) => Some(format!("its {tracking_label} label")),
            (None, None) => None,
        };
        if let Some(mark) = tracked {
            return never(format!(
                "is declared in Git and synced by Argo CD ({mark}), which would revert any change. {}",
                advice("Change it in Git", "Remove it from Git")
            ));
        }
        if replace && existing.metadata.deletion_timestamp.is_some() {
            return never("is being deleted. Try again once it is gone".into());
        }
        if replace && existing.immutable == Some(true) {
            return never(
                "is immutable (immutable: true): its data cannot change. Delete it first, or choose another name".into(),
            );
        }
        if label(existing, MANAGED_BY.0) == Some(MANAGED_BY.1) {
            return Standing::Owned;
        }
        let writer = match annotation(existing, "managed-by") {
            Some("argocd.argoproj.io") => " (Argo CD's repository API wrote it)",
            _ => "",
        };
        if !replace {
            return Standing::Refused(format!(
                "Secret {name} in namespace {ns} was not created by GlueLinks{writer}: it has no {}: {} label, and GlueLinks removes only what it created. Remove it with the tool that wrote it",
                MANAGED_BY.0, MANAGED_BY.1
            ));
        }
        let mark = match annotation(existing, ADOPTABLE_ANNOTATION) {
            Some("true") => String::new(),
            _ => format!(
                " (where the cluster applies GlueLinks' admission policy, someone with rights on it annotates it {ADOPTABLE_ANNOTATION}=true first)"
            ),
        };
        Standing::Unmarked(format!(
            "Secret {name} in namespace {ns} was not created by GlueLinks{writer}: it has no {}: {} label. Send adopt: true (with upsert: true) to take it over{mark}, or choose another name",
            MANAGED_BY.0, MANAGED_BY.1
        ))
    }

    /// The secret to create when none exists.
    fn fresh(&self) -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                namespace: Some(self.namespace.clone()),
                labels: Some(self.labels.clone()),
                ..ObjectMeta::default()
            },
            type_: Some(self.kind.k8s_type().to_string()),
            data: Some(
                self.on_create
                    .iter()
                    .chain(&self.set)
                    .map(|(k, v)| (k.clone(), ByteString(v.clone())))
                    .collect(),
            ),
            ..Secret::default()
        }
    }

    /// The keys an upsert of `data` removes beyond the request's own: transport settings when the
    /// server changes, the other methods' keys when the method changes.
    fn also_removed(&self, data: &BTreeMap<String, ByteString>) -> Vec<&'static str> {
        let Some(repository) = &self.repository else {
            return Vec::new();
        };
        let mut removed = Vec::new();
        let stored_location = data
            .get("url")
            .and_then(|url| std::str::from_utf8(&url.0).ok())
            .and_then(|url| Location::parse(url).ok());
        let same_server = match (stored_location, &repository.location) {
            (Some(stored), Some(new)) => stored.same_server(new),
            _ => false,
        };
        if !same_server {
            removed.extend(TRANSPORT_KEYS.iter().chain(&TLS_CLIENT_KEYS));
        }
        let others = METHODS
            .iter()
            .filter(|(method, _)| *method != repository.method)
            .flat_map(|(_, keys)| keys.iter().copied());
        if others.clone().any(|k| data.contains_key(k)) {
            removed.extend(others.filter(|k| !self.set.contains_key(*k)));
            removed.extend(TLS_CLIENT_KEYS);
        }
        removed
    }

    /// `existing` with this target's labels and keys applied, and the names of the data keys that change
    /// (a credential key the request sets counts as changed whatever it held). Everything else of
    /// `existing` (its resourceVersion included, so a concurrent change is a conflict) is kept.
    fn merged(&self, existing: &Secret) -> (Secret, Vec<String>) {
        let mut secret = existing.clone();
        secret
            .metadata
            .labels
            .get_or_insert_with(BTreeMap::new)
            .extend(self.labels.clone());
        // `kubectl apply` keeps the whole secret it applied, values included, in an annotation: the old
        // credentials would outlive their replacement there.
        if let Some(annotations) = secret.metadata.annotations.as_mut() {
            annotations.remove(LAST_APPLIED);
        }
        let data = secret.data.get_or_insert_with(BTreeMap::new);
        let mut changed = BTreeSet::new();
        let removed = self.also_removed(data);
        for key in self.remove.iter().chain(&removed) {
            if data.remove(*key).is_some() {
                changed.insert(key.to_string());
            }
        }
        let mut set = self.set.clone();
        if let Some(entries) = &self.docker_auths {
            if let Some(config) = merged_docker_config(data.get(".dockerconfigjson"), entries) {
                set.insert(".dockerconfigjson".into(), config);
            }
        }
        for (key, value) in set {
            if data.get(&key).map(|b| &b.0) != Some(&value) || CREDENTIAL_KEYS.contains(&&*key) {
                changed.insert(key.clone());
            }
            data.insert(key, ByteString(value));
        }
        secret.string_data = None;
        (secret, changed.into_iter().collect())
    }

    /// The data keys a new secret gets, sorted.
    fn keys(&self) -> Vec<String> {
        let keys: BTreeSet<&String> = self.on_create.keys().chain(self.set.keys()).collect();
        keys.into_iter().cloned().collect()
    }
}

/// An existing `.dockerconfigjson` with `entries` put into its `auths`, every other registry's entry and
/// every other field kept; `None` when it is not a JSON object with an `auths` object (then the request's
/// whole config replaces it).
fn merged_docker_config(
    existing: Option<&ByteString>,
    entries: &Map<String, Value>,
) -> Option<Vec<u8>> {
    let mut config: Value = serde_json::from_slice(&existing?.0).ok()?;
    let auths = config.get_mut("auths")?.as_object_mut()?;
    for (registry, entry) in entries {
        auths.insert(registry.clone(), entry.clone());
    }
    serde_json::to_vec(&config).ok()
}

/// A `kubernetes.io/dockerconfigjson` pull secret for each of the user's namespaces, and the
/// argocd-image-updater copy in the Argo CD namespace.
pub fn docker_targets(req: &DockerRequest, settings: &SecretSettings) -> Vec<Target> {
    let password = req.password.expose_secret();
    let auth = STANDARD.encode(format!("{}:{password}", req.username));
    let auths: Map<String, Value> = req
        .registry_keys
        .iter()
        .map(|key| {
            (
                key.clone(),
                json!({ "username": req.username, "password": password, "auth": auth }),
            )
        })
        .collect();
    let config = json!({ "auths": auths }).to_string().into_bytes();
    req.namespaces
        .iter()
        .chain(std::iter::once(&settings.argocd_namespace))
        .map(|ns| {
            let mut target = Target::new(
                ns,
                &req.common.name,
                SecretKind::PullSecret,
                &settings.docker_label,
            );
            target
                .set
                .insert(".dockerconfigjson".into(), config.clone());
            target.docker_auths = Some(auths.clone());
            target
        })
        .collect()
}

/// An Argo CD repository secret or credential template in the Argo CD namespace.
pub fn repository_target(req: &RepositoryRequest, settings: &SecretSettings) -> Target {
    let mut target = Target::new(
        &settings.argocd_namespace,
        &req.common.name,
        req.kind,
        &settings.docker_label,
    );
    target
        .labels
        .insert(REPOSITORY_TYPE_LABEL.into(), req.repo_type.name().into());
    let mut set = |key: &str, value: &str| {
        target.set.insert(key.into(), value.as_bytes().to_vec());
    };
    set("type", req.repo_type.argocd_type());
    set("url", &req.url);
    if let Some(username) = &req.username {
        set("username", username);
    }
    for (key, value) in [
        ("password", &req.password),
        ("sshPrivateKey", &req.ssh_private_key),
    ] {
        if let Some(v) = value {
            set(key, v.expose_secret());
        }
    }
    if req.repo_type == RepoType::Oci {
        set("enableOCI", "true");
    } else {
        target.remove.push("enableOCI");
    }
    match &req.project {
        Change::Keep => {}
        Change::Set(project) => {
            target
                .set
                .insert("project".into(), project.as_bytes().to_vec());
        }
        Change::Remove => target.remove.push("project"),
    }
    if req.kind != SecretKind::CredentialTemplate {
        let name = req.display_name.as_ref().unwrap_or(&req.common.name);
        let slot = match req.display_name {
            Some(_) => &mut target.set,
            None => &mut target.on_create,
        };
        slot.insert("name".into(), name.as_bytes().to_vec());
    }
    target.repository = Some(Repository {
        method: if req.ssh_private_key.is_some() {
            Method::Ssh
        } else {
            Method::Basic
        },
        location: Location::parse(&req.url).ok(),
    });
    target
}

pub(crate) fn api(client: &kube::Client, namespace: &str) -> Api<Secret> {
    Api::namespaced(client.clone(), namespace)
}

/// What the check before writing found for one target.
#[derive(Clone, Debug)]
pub(crate) enum Found {
    Exists(Box<Stored>),
    Absent,
    /// The read failed or did not finish in time: the secret may exist.
    Unknown(String),
    /// The cluster refused the read (RBAC's 403: the writer is not bound in that namespace).
    Refused(String),
}

/// Why an existing target will not be replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Why, naming the secret and its namespace, and what to do.
    pub reason: String,
    /// Whether `adopt: true` would take it over.
    pub adoptable: bool,
}

/// An existing target, as reported when a request is refused.
#[derive(Clone, Debug)]
pub struct Existing {
    /// The target's namespace.
    pub namespace: String,
    /// The secret found there.
    pub secret: Stored,
    /// Why it will not be replaced; `None` when only the request's missing `upsert` stops it.
    pub refusal: Option<Refusal>,
}

/// What a write did (or, in a dry run, would do) to one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Created the secret: none existed.
    Created,
    /// Replaced a secret GlueLinks created, as the request's `upsert` allowed.
    Replaced,
    /// Replaced a secret GlueLinks did not create, as the request's `adopt` allowed.
    Adopted,
    /// An upsert found the secret already as the request would make it: nothing was written.
    Unchanged,
    /// Dry runs: the target's state could not be read.
    Unknown(String),
    /// Dry runs: the cluster refused the write (admission, quota, immutability, RBAC).
    Refused(String),
}

impl Action {
    /// `kubectl`'s word for it, as the cluster-configuration API's `output` shows the user: an adoption is a replacement
    /// there.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Replaced | Action::Adopted => "configured",
            Action::Unchanged => "unchanged",
            Action::Unknown(_) => "unknown",
            Action::Refused(_) => "refused",
        }
    }

    /// The audit line's, the metric's and a fleet report's word for it: `created`, `replaced`, `adopted`,
    /// `unchanged` (and, for dry runs, `unknown` or `refused`).
    pub fn outcome(&self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Replaced => "replaced",
            Action::Adopted => "adopted",
            Action::Unchanged => "unchanged",
            Action::Unknown(_) => "unknown",
            Action::Refused(_) => "refused",
        }
    }
}

/// What happened (or, in a dry run, would happen) to one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// What was (or would be) done.
    pub action: Action,
    /// Names of the data keys written or removed; never values.
    pub changed_keys: Vec<String>,
}

/// One namespace's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The target's namespace.
    pub namespace: String,
    /// The secret's name.
    pub name: String,
    /// What was done, or why it was not written.
    pub result: Result<Done, WriteError>,
}

/// What a dry run would do to one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The target's namespace.
    pub namespace: String,
    /// The secret's name.
    pub name: String,
    /// What the write would do, and which keys it would change.
    pub plan: Done,
}

/// How a write request ended.
#[derive(Debug)]
pub enum Report {
    /// Targets GlueLinks may not replace (never, or not without `adopt`): nothing was written anywhere.
    Foreign(Vec<Existing>),
    /// Without upsert, targets exist: nothing was written.
    Exists(Vec<Existing>),
    /// Targets whose state could not be read: nothing was written (with or without upsert).
    Unknown(Vec<(String, String)>),
    /// The cluster refused a target in the dry run every write starts with: nothing was written.
    Rejected(Vec<(String, String)>),
    /// A dry run: what each target would become; nothing was written.
    DryRun(Vec<Planned>),
    /// The writes, one outcome per target, in the targets' order.
    Written(Vec<Outcome>),
}

/// What the cluster said of one target's dry-run write.
#[derive(Clone, Debug)]
enum Preflight {
    Accepted,
    Refused(String),
    Unknown(String),
}

/// Checks every target, has the cluster try every write as a dry run, then writes all of them or none,
/// within `deadline`: [`prepare`], then [`finish`].
pub async fn run(
    client: &kube::Client,
    targets: &[Target],
    request: &Common,
    settings: &SecretSettings,
    deadline: Instant,
) -> Report {
    match prepare(client, targets, request, settings, deadline).await {
        Prepared::Blocked(report) => report,
        Prepared::Ready(checked) => {
            finish(client, targets, checked, request, settings, deadline).await
        }
    }
}

/// One cluster's targets, read, judged and tried by the cluster as a dry run.
pub enum Prepared {
    /// A reason to write nothing: a refusal, a conflict, a target whose state is unknown.
    Blocked(Report),
    /// Every target may be written (or, in a dry run, reported).
    Ready(Checked),
}

/// What [`prepare`] learned of each target, for [`finish`].
pub struct Checked {
    found: Vec<Found>,
    tried: Vec<Preflight>,
}

/// Reads and judges every target and has the cluster try every write as a dry run; writes nothing.
pub async fn prepare(
    client: &kube::Client,
    targets: &[Target],
    request: &Common,
    settings: &SecretSettings,
    deadline: Instant,
) -> Prepared {
    let found = check(client, targets, settings, deadline).await;
    let standing =
        |t: &Target, secret: &Stored| t.standing(secret.secret(), &settings.tracking_label);
    let existing: Vec<Existing> = targets
        .iter()
        .zip(&found)
        .filter_map(|(t, f)| match f {
            Found::Exists(secret) => Some(Existing {
                namespace: t.namespace.clone(),
                refusal: match standing(t, secret) {
                    Standing::Owned => None,
                    Standing::Unmarked(_) if request.adopt => None,
                    Standing::Unmarked(reason) => Some(Refusal {
                        reason,
                        adoptable: true,
                    }),
                    Standing::Refused(reason) => Some(Refusal {
                        reason,
                        adoptable: false,
                    }),
                },
                secret: (**secret).clone(),
            }),
            _ => None,
        })
        .collect();
    if existing.iter().any(|e| e.refusal.is_some()) {
        return Prepared::Blocked(Report::Foreign(
            existing
                .into_iter()
                .filter(|e| e.refusal.is_some())
                .collect(),
        ));
    }
    if !request.upsert && !existing.is_empty() {
        return Prepared::Blocked(Report::Exists(existing));
    }
    let read = |pick: fn(&Found) -> Option<&String>| -> Vec<(String, String)> {
        targets
            .iter()
            .zip(&found)
            .filter_map(|(t, f)| pick(f).map(|why| (t.namespace.clone(), why.clone())))
            .collect()
    };
    let refused = read(|f| match f {
        Found::Refused(why) => Some(why),
        _ => None,
    });
    let unknown = read(|f| match f {
        Found::Unknown(why) => Some(why),
        _ => None,
    });
    if !request.dry_run {
        if !refused.is_empty() {
            return Prepared::Blocked(Report::Rejected(refused));
        }
        // A target that could not be read may hold anything, a secret GlueLinks must not replace
        // included: nothing is written anywhere until every target has been read, with or without upsert.
        if !unknown.is_empty() {
            return Prepared::Blocked(Report::Unknown(unknown));
        }
    }
    let tried = preflight(client, targets, &found, settings, deadline).await;
    if !request.dry_run {
        let mut rejected = Vec::new();
        let mut unknown = Vec::new();
        for (t, tried) in targets.iter().zip(&tried) {
            match tried {
                Preflight::Accepted => {}
                Preflight::Refused(why) => rejected.push((t.namespace.clone(), why.clone())),
                Preflight::Unknown(why) => unknown.push((t.namespace.clone(), why.clone())),
            }
        }
        if !rejected.is_empty() {
            return Prepared::Blocked(Report::Rejected(rejected));
        }
        if !unknown.is_empty() {
            return Prepared::Blocked(Report::Unknown(unknown));
        }
    }
    Prepared::Ready(Checked { found, tried })
}

/// Writes every target [`prepare`] found ready (or, in a dry run, says what each write would do).
pub async fn finish(
    client: &kube::Client,
    targets: &[Target],
    checked: Checked,
    request: &Common,
    settings: &SecretSettings,
    deadline: Instant,
) -> Report {
    let Checked { found, tried } = checked;
    if request.dry_run {
        let planned = targets
            .iter()
            .zip(&found)
            .zip(tried)
            .map(|((t, f), tried)| Planned {
                namespace: t.namespace.clone(),
                name: t.name.clone(),
                plan: match (f, tried) {
                    (Found::Unknown(why), _) => Done {
                        action: Action::Unknown(why.clone()),
                        changed_keys: Vec::new(),
                    },
                    (Found::Refused(why), _) => Done {
                        action: Action::Refused(why.clone()),
                        changed_keys: Vec::new(),
                    },
                    (_, Preflight::Unknown(why)) => Done {
                        action: Action::Unknown(why),
                        changed_keys: Vec::new(),
                    },
                    (_, Preflight::Refused(why)) => Done {
                        action: Action::Refused(why),
                        changed_keys: Vec::new(),
                    },
                    (Found::Absent, Preflight::Accepted) => Done {
                        action: Action::Created,
                        changed_keys: t.keys(),
                    },
                    (Found::Exists(secret), Preflight::Accepted) => Done {
                        action: replacing(t, secret, settings),
                        changed_keys: t.merged(secret.secret()).1,
                    },
                },
            })
            .collect();
        return Report::DryRun(planned);
    }
    Report::Written(apply(client, targets, &found, request, settings, deadline).await)
}

/// Whether replacing `existing` is an ordinary replacement or an adoption.
fn replacing(target: &Target, existing: &Stored, settings: &SecretSettings) -> Action {
    match target.standing(existing.secret(), &settings.tracking_label) {
        Standing::Unmarked(_) => Action::Adopted,
        _ => Action::Replaced,
    }
}

/// What a call cut off by the request's deadline says: the cluster did not answer `doing` within
/// `SECRETS_DEADLINE_SECONDS`.
pub(crate) fn cut_off(settings: &SecretSettings, doing: String) -> Timeout {
    Timeout::new("The cluster", settings.deadline, "SECRETS_DEADLINE_SECONDS").doing(doing)
}

/// Reads every target, at most [`CONCURRENCY`] at once, in the targets' order.
pub(crate) async fn check(
    client: &kube::Client,
    targets: &[Target],
    settings: &SecretSettings,
    deadline: Instant,
) -> Vec<Found> {
    // Indices, not references, into the stream: a closure over `&Target` is not general enough for the
    // Lambda runtime's `Send` bound.
    futures::stream::iter(0..targets.len())
        .map(|i| async move {
            let t = &targets[i];
            let what = format!("reading secret {} in {}", t.name, t.namespace);
            match tokio::time::timeout_at(deadline, api(client, &t.namespace).get_opt(&t.name))
                .await
            {
                Ok(Ok(Some(secret))) => Found::Exists(Box::new(Stored(secret))),
                Ok(Ok(None)) => Found::Absent,
                Ok(Err(e)) if is_refusal(&e) => Found::Refused(describe_in_full(&e, &what)),
                Ok(Err(e)) => Found::Unknown(describe_in_full(&e, &what)),
                Err(_) => Found::Unknown(cut_off(settings, what).to_string()),
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await
}

/// Has the cluster carry out every known target's write as a dry run (`dryRun=All`: admission, quotas,
/// immutability and RBAC decide, nothing is stored), at most [`CONCURRENCY`] at once.
async fn preflight(
    client: &kube::Client,
    targets: &[Target],
    found: &[Found],
    settings: &SecretSettings,
    deadline: Instant,
) -> Vec<Preflight> {
    let dry = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    let dry = &dry;
    futures::stream::iter(0..targets.len())
        .map(|i| async move {
            let (t, found) = (&targets[i], &found[i]);
            let api = api(client, &t.namespace);
            let what = format!("writing secret {} in {} (dry run)", t.name, t.namespace);
            let call = async {
                match found {
                    Found::Absent => api.create(dry, &t.fresh()).await.map(drop),
                    Found::Exists(secret) => {
                        let (merged, _) = t.merged(secret.secret());
                        api.replace(&t.name, dry, &merged).await.map(drop)
                    }
                    Found::Unknown(_) | Found::Refused(_) => Ok(()),
                }
            };
            match tokio::time::timeout_at(deadline, call).await {
                Ok(Ok(())) => Preflight::Accepted,
                Ok(Err(e)) if is_refusal(&e) => Preflight::Refused(describe_in_full(&e, &what)),
                Ok(Err(e)) => Preflight::Unknown(describe_in_full(&e, &what)),
                Err(_) => Preflight::Unknown(cut_off(settings, what).to_string()),
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await
}

/// Whether the API server refused a call for good (RBAC, admission, validation, a missing namespace),
/// rather than failing it for now (a 5xx, a conflict with a concurrent change, throttling).
pub(crate) fn is_refusal(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if (400..500).contains(&s.code) && s.code != 409 && s.code != 429)
}

const ATTEMPTS: usize = 3;

/// Why one target was not written; each message says what to do.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The cluster refused or failed the call (the message is [`describe_in_full`]'s).
    #[error("{0}")]
    Cluster(String),
    /// Re-read after a conflict: now a secret this target may not replace.
    #[error("{0}")]
    Refused(String),
    /// Without upsert, someone else created the secret between the check and the write.
    #[error("Secret {name} was created in {namespace} by someone else meanwhile; send upsert: true to replace it")]
    CreatedMeanwhile {
        /// The secret's name.
        name: String,
        /// The target's namespace.
        namespace: String,
    },
    /// Every attempt conflicted with a concurrent change: nothing was written.
    #[error("Secret {name} in {namespace} kept changing while being written; try again")]
    KeptChanging {
        /// The secret's name.
        name: String,
        /// The target's namespace.
        namespace: String,
    },
    /// The request's deadline passed before the target's turn: it was not tried.
    #[error("Secret {name} in {namespace} was not written: the request's deadline ({}, SECRETS_DEADLINE_SECONDS) passed before its turn", duration_text(*.deadline))]
    NotStarted {
        /// The secret's name.
        name: String,
        /// The target's namespace.
        namespace: String,
        /// The request's deadline, `SECRETS_DEADLINE_SECONDS`.
        deadline: std::time::Duration,
    },
    /// The write was still under way at the request's deadline: the cluster may have applied it.
    #[error("{0}; list the secrets to see whether it was written")]
    Unfinished(Timeout),
    /// The write was sent and no answer came (the connection broke or timed out): the cluster may have
    /// applied it.
    #[error("{why}; list the secrets to see whether it was written")]
    Unanswered {
        /// What failed, as [`describe_in_full`] tells it.
        why: String,
    },
}

impl WriteError {
    /// Whether the write may have been applied though no answer said so.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::Unanswered { .. } | Self::Unfinished(_))
    }
}

/// Whether a failed call never reached the API server: refused, or not authenticated to begin with.
pub(crate) fn never_sent(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Auth(_))
        || io_error_kind(err) == Some(std::io::ErrorKind::ConnectionRefused)
}

fn is_conflict(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 409)
}

/// Writes one target. The first attempt trusts `found` (the check's read); a conflict with a concurrent
/// change re-reads, re-judges ownership and tries again.
async fn write_one(
    client: &kube::Client,
    target: &Target,
    found: &Found,
    request: &Common,
    settings: &SecretSettings,
) -> Result<Done, WriteError> {
    let api = api(client, &target.namespace);
    let name = target.name.as_str();
    let what = format!("writing secret {name} in {}", target.namespace);
    let cluster = |e: kube::Error| WriteError::Cluster(describe_in_full(&e, &what));
    let meanwhile = || WriteError::CreatedMeanwhile {
        name: name.to_string(),
        namespace: target.namespace.clone(),
    };
    let mut known = match found {
        Found::Exists(secret) => Some(Some((**secret).clone())),
        Found::Absent => Some(None),
        Found::Unknown(_) | Found::Refused(_) => None,
    };
    for _ in 0..ATTEMPTS {
        let current = match known.take() {
            Some(current) => current,
            None => api.get_opt(name).await.map_err(cluster)?.map(Stored),
        };
        let attempt = match current {
            None => api
                .create(&PostParams::default(), &target.fresh())
                .await
                .map(|_| Done {
                    action: Action::Created,
                    changed_keys: target.keys(),
                }),
            Some(_) if !request.upsert => return Err(meanwhile()),
            Some(current) => {
                let action = match target.standing(current.secret(), &settings.tracking_label) {
                    Standing::Owned => Action::Replaced,
                    Standing::Unmarked(_) if request.adopt => Action::Adopted,
                    Standing::Unmarked(why) | Standing::Refused(why) => {
                        return Err(WriteError::Refused(why))
                    }
                };
                let (secret, changed_keys) = target.merged(current.secret());
                if secret == *current.secret() {
                    // Already as the request would make it (a rotation that changes nothing): no write.
                    return Ok(Done {
                        action: Action::Unchanged,
                        changed_keys: Vec::new(),
                    });
                }
                api.replace(name, &PostParams::default(), &secret)
                    .await
                    .map(|_| Done {
                        action,
                        changed_keys,
                    })
            }
        };
        match attempt {
            Ok(done) => return Ok(done),
            // Someone else wrote it between our read and our write: read again.
            Err(e) if request.upsert && is_conflict(&e) => continue,
            Err(e) if is_conflict(&e) => return Err(meanwhile()),
            // An API error is the cluster's refusal, and a call that never left was not applied;
            // anything else may have been applied unseen.
            Err(e @ kube::Error::Api(_)) => return Err(cluster(e)),
            Err(e) if never_sent(&e) => return Err(cluster(e)),
            Err(e) => {
                return Err(WriteError::Unanswered {
                    why: describe_in_full(&e, &what),
                })
            }
        }
    }
    Err(WriteError::KeptChanging {
        name: name.to_string(),
        namespace: target.namespace.clone(),
    })
}

/// Writes every target, at most [`CONCURRENCY`] at once, in the targets' order; a target whose turn comes
/// after the deadline is not started, and one still running at the deadline is reported as unfinished.
async fn apply(
    client: &kube::Client,
    targets: &[Target],
    found: &[Found],
    request: &Common,
    settings: &SecretSettings,
    deadline: Instant,
) -> Vec<Outcome> {
    futures::stream::iter(0..targets.len())
        .map(|i| async move {
            let (t, found) = (&targets[i], &found[i]);
            let (name, namespace) = (t.name.clone(), t.namespace.clone());
            let result = if Instant::now() >= deadline {
                Err(WriteError::NotStarted {
                    name,
                    namespace,
                    deadline: settings.deadline,
                })
            } else {
                let write = write_one(client, t, found, request, settings);
                match tokio::time::timeout_at(deadline, write).await {
                    Ok(result) => result,
                    Err(_) => Err(WriteError::Unfinished(cut_off(
                        settings,
                        format!("writing secret {name} in {namespace}"),
                    ))),
                }
            };
            Outcome {
                namespace: t.namespace.clone(),
                name: t.name.clone(),
                result,
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use gluelinks_core::config::Env;

    fn settings() -> SecretSettings {
        SecretSettings::from_env(&Env::default()).unwrap()
    }

    fn secret(value: Value) -> Secret {
        serde_json::from_value(value).unwrap()
    }

    fn repo(body: &str) -> Target {
        let req =
            RepositoryRequest::parse_generic(body.as_bytes(), SecretKind::Repository).unwrap();
        repository_target(&req, &settings())
    }

    fn docker(body: &str) -> Target {
        let req = DockerRequest::parse(body.as_bytes(), &settings()).unwrap();
        docker_targets(&req, &settings()).remove(0)
    }

    const B64: fn(&str) -> String = |s| STANDARD.encode(s);
    const OURS: (&str, &str) = MANAGED_BY;

    fn data(secret: &Secret) -> BTreeMap<String, String> {
        secret
            .data
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), String::from_utf8(v.0.clone()).unwrap()))
            .collect()
    }

    #[test]
    fn only_what_gluelinks_created_is_replaced_and_some_secrets_never() {
        let pull = docker(
            r#"{"password": "p", "username": "u", "cluster_name": "c", "name": "pull", "namespaces": "default"}"#,
        );
        let repository = repo(
            r#"{"name": "r", "repository_url": "https://github.com/acme/r", "cluster_name": "c", "username": "u", "password": "p"}"#,
        );
        let docker_label = "jjo.finance/secret-type";
        let repo_meta = |extra: Value| {
            let mut meta = json!({"name": "r", "labels": {REPOSITORY_LABEL: "repository"}});
            crate::request::tests::merge(&mut meta, &extra);
            secret(json!({"metadata": meta, "type": "Opaque"}))
        };
        let owned_labels = json!({REPOSITORY_LABEL: "repository", OURS.0: OURS.1});
        let owner = |controller: bool| json!([{"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "name": "db-creds", "uid": "u", "controller": controller}]);
        // (target, existing, Owned / Unmarked / Refused with what it says)
        let cases: Vec<(&Target, Secret, &str, &str)> = vec![
            (
                &pull,
                secret(
                    json!({"metadata": {"name": "pull", "labels": {docker_label: "docker-creds", OURS.0: OURS.1}}, "type": SecretKind::PullSecret.k8s_type()}),
                ),
                "owned",
                "",
            ),
            (
                &pull,
                secret(
                    json!({"metadata": {"name": "pull", "labels": {docker_label: "docker-creds"}}, "type": SecretKind::PullSecret.k8s_type()}),
                ),
                "unmarked",
                "was not created by GlueLinks",
            ),
            (
                &pull,
                secret(
                    json!({"metadata": {"name": "pull"}, "type": SecretKind::PullSecret.k8s_type()}),
                ),
                "refused",
                "is a 'kubernetes.io/dockerconfigjson' secret, not",
            ),
            (
                &pull,
                secret(
                    json!({"metadata": {"name": "pull", "labels": {docker_label: "docker-creds"}}, "type": "Opaque"}),
                ),
                "refused",
                "is a 'Opaque' secret",
            ),
            (
                &repository,
                repo_meta(json!({"labels": owned_labels})),
                "owned",
                "",
            ),
            (
                &repository,
                repo_meta(json!({"labels": owned_labels, "ownerReferences": owner(false)})),
                "owned",
                "",
            ),
            (
                &repository,
                repo_meta(json!({})),
                "unmarked",
                "Send adopt: true",
            ),
            (
                &repository,
                repo_meta(json!({"annotations": {"managed-by": "argocd.argoproj.io"}})),
                "unmarked",
                "Argo CD's repository API wrote it",
            ),
            (
                &repository,
                repo_meta(json!({"labels": {REPOSITORY_LABEL: "cluster"}})),
                "refused",
                "is an Argo CD 'cluster' secret, not an Argo CD 'repository' secret",
            ),
            (
                &repository,
                repo_meta(json!({"labels": {REPOSITORY_LABEL: "repo-creds"}})),
                "refused",
                "'repo-creds'",
            ),
            (
                &repository,
                secret(json!({"metadata": {"name": "r"}, "type": "Opaque"})),
                "refused",
                "even with upsert or adopt",
            ),
            (
                &repository,
                repo_meta(json!({"labels": {REPOSITORY_LABEL: "repository", OURS.0: "Helm"}})),
                "refused",
                "is managed by 'Helm'",
            ),
            (
                &repository,
                repo_meta(json!({"labels": owned_labels, "ownerReferences": owner(true)})),
                "refused",
                "Change it at its source, ExternalSecret db-creds",
            ),
            (
                &repository,
                repo_meta(json!({"annotations": {TRACKING_ID: "app:/Secret:argocd/r"}})),
                "refused",
                "declared in Git",
            ),
            (
                &repository,
                repo_meta(
                    json!({"labels": {REPOSITORY_LABEL: "repository", "app.kubernetes.io/instance": "app"}}),
                ),
                "refused",
                "its app.kubernetes.io/instance label",
            ),
            (
                &repository,
                repo_meta(
                    json!({"labels": owned_labels, "deletionTimestamp": "2026-01-01T00:00:00Z", "finalizers": ["x"]}),
                ),
                "refused",
                "is being deleted",
            ),
            (
                &repository,
                secret(
                    json!({"metadata": {"name": "r", "labels": owned_labels}, "immutable": true}),
                ),
                "refused",
                "is immutable",
            ),
        ];
        for (target, existing, expected, says) in cases {
            let standing = target.standing(&existing, "app.kubernetes.io/instance");
            let (got, text) = match &standing {
                Standing::Owned => ("owned", ""),
                Standing::Unmarked(why) => ("unmarked", why.as_str()),
                Standing::Refused(why) => ("refused", why.as_str()),
            };
            assert_eq!(got, expected, "{:?}: {standing:?}", existing.metadata);
            assert!(text.contains(says), "{text}");
        }
    }

    /// An owned repository secret with every kind of key GlueLinks does not set.
    fn stored_repository(url: &str, auth: Value) -> Secret {
        let mut data = json!({
            "type": B64("git"), "url": B64(url), "name": B64("Billing (prod)"),
            "project": B64("payments"), "proxy": B64("http://proxy:3128"), "noProxy": B64("10.0.0.0/8"),
            "insecure": B64("true"), "insecureIgnoreHostKey": B64("true"), "enableLfs": B64("true"),
            "tlsClientCertData": B64("cert"), "tlsClientCertKey": B64("key"), "insecureOCIForceHttp": B64("true"),
        });
        crate::request::tests::merge(&mut data, &auth);
        secret(json!({
            "metadata": {
                "name": "r", "namespace": "argocd", "resourceVersion": "41",
                "labels": {REPOSITORY_LABEL: "repository", OURS.0: OURS.1, "team": "payments"},
                "annotations": {"note": "kept"},
                "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": "u-1"}],
                "finalizers": ["example.com/keep"],
            },
            "type": "Opaque",
            "data": data,
        }))
    }

    const TRANSPORT: [&str; 7] = [
        "insecure",
        "insecureIgnoreHostKey",
        "insecureOCIForceHttp",
        "proxy",
        "noProxy",
        "tlsClientCertData",
        "tlsClientCertKey",
    ];

    #[test]
    fn an_upsert_changes_only_what_the_request_means() {
        let basic = json!({"username": B64("octo"), "password": B64("old"), "forceHttpBasicAuth": B64("true")});
        let body = |extra: &str| {
            format!(
                r#"{{"name": "r", "repository_url": "https://github.com/acme/r", "cluster_name": "c", "username": "octo", "password": "new"{extra}}}"#
            )
        };
        // Same server, same method: everything the request does not set survives.
        let mut existing = stored_repository("https://github.com/acme/r", basic.clone());
        existing.metadata.annotations.as_mut().unwrap().insert(
            LAST_APPLIED.into(),
            r#"{"data":{"password":"b2xk"}}"#.into(),
        );
        let (merged, changed) = repo(&body("")).merged(&existing);
        assert_eq!(changed, ["password"]);
        assert!(
            !merged
                .metadata
                .annotations
                .as_ref()
                .unwrap()
                .contains_key(LAST_APPLIED),
            "kubectl's copy of the old values is dropped"
        );
        let meta = &merged.metadata;
        assert_eq!(meta.resource_version.as_deref(), Some("41"));
        assert_eq!(meta.annotations.as_ref().unwrap()["note"], "kept");
        assert_eq!(meta.owner_references.as_ref().unwrap().len(), 1);
        assert_eq!(
            meta.finalizers.as_deref(),
            Some(&["example.com/keep".to_string()][..])
        );
        let labels = meta.labels.as_ref().unwrap();
        assert_eq!(
            (
                labels["team"].as_str(),
                labels[REPOSITORY_TYPE_LABEL].as_str()
            ),
            ("payments", "git")
        );
        let kept = data(&merged);
        for key in TRANSPORT
            .iter()
            .chain(&["project", "enableLfs", "forceHttpBasicAuth"])
        {
            assert!(kept.contains_key(*key), "{key} was dropped");
        }
        assert_eq!(
            kept["name"], "Billing (prod)",
            "the display name is set on create only"
        );
        assert_eq!(kept["password"], "new");

        // The server changes (host, protocol or port): its transport settings go, the rest stays.
        for url in [
            "https://gitlab.example.com/acme/r",
            "http://github.com/acme/r",
            "https://github.com:8443/acme/r",
        ] {
            let request = body("").replace("https://github.com/acme/r", url);
            let request = if url.starts_with("http:") {
                request.replace('}', r#", "insecure_http": true}"#)
            } else {
                request
            };
            let (merged, changed) = repo(&request).merged(&existing);
            let kept = data(&merged);
            for key in TRANSPORT {
                assert!(
                    !kept.contains_key(key) && changed.contains(&key.to_string()),
                    "{url}: {key} kept"
                );
            }
            assert!(
                kept.contains_key("project") && kept.contains_key("enableLfs"),
                "{url}"
            );
        }

        // The method changes: every other method's keys go, and the client certificate with them.
        let github_app = json!({"githubAppPrivateKey": B64("k"), "githubAppID": B64("1"), "githubAppInstallationID": B64("2"),
            "githubAppEnterpriseBaseUrl": B64("https://ghe"), "bearerToken": B64("t"), "gcpServiceAccountKey": B64("g"),
            "useAzureWorkloadIdentity": B64("true")});
        let (merged, _) =
            repo(&body("")).merged(&stored_repository("https://github.com/acme/r", github_app));
        let kept = data(&merged);
        for key in [
            "githubAppPrivateKey",
            "githubAppID",
            "githubAppInstallationID",
            "githubAppEnterpriseBaseUrl",
            "bearerToken",
            "gcpServiceAccountKey",
            "useAzureWorkloadIdentity",
            "tlsClientCertData",
            "tlsClientCertKey",
        ] {
            assert!(!kept.contains_key(key), "{key} survived a method switch");
        }
        assert!(
            kept.contains_key("proxy") && kept.contains_key("insecure"),
            "same server: transport kept"
        );
        let ssh = repo(
            r#"{"name": "r", "repository_url": "git@github.com:acme/r.git", "cluster_name": "c", "ssh_private_key": "-----KEY-----"}"#,
        );
        let (merged, _) = ssh.merged(&existing);
        let kept = data(&merged);
        for key in [
            "username",
            "password",
            "forceHttpBasicAuth",
            "tlsClientCertKey",
        ] {
            assert!(!kept.contains_key(key), "{key} survived the switch to SSH");
        }
        assert_eq!(kept["sshPrivateKey"], "-----KEY-----");

        // project: null removes it; a project or display name given sets it; the same request twice
        // changes no key but the credential.
        let (merged, changed) = repo(&body(r#", "project": null"#)).merged(&existing);
        assert!(!data(&merged).contains_key("project") && changed.contains(&"project".to_string()));
        let named = repo(&body(
            r#", "project": "billing", "display_name": "Billing""#,
        ));
        let (merged, changed) = named.merged(&existing);
        assert_eq!(
            (
                data(&merged)["project"].as_str(),
                data(&merged)["name"].as_str()
            ),
            ("billing", "Billing")
        );
        assert!(changed.contains(&"project".to_string()) && changed.contains(&"name".to_string()));
        assert_eq!(named.merged(&merged).1, ["password"]);
    }

    #[test]
    fn changed_keys_never_tell_whether_a_guess_is_the_stored_credential() {
        let existing = stored_repository(
            "https://github.com/acme/r",
            json!({"username": B64("octo"), "password": B64("stored")}),
        );
        for guess in ["stored", "another"] {
            let target = repo(&format!(
                r#"{{"name": "r", "repository_url": "https://github.com/acme/r", "cluster_name": "c", "username": "octo", "password": "{guess}"}}"#
            ));
            assert_eq!(target.merged(&existing).1, ["password"], "{guess}");
        }
    }

    #[test]
    fn a_docker_upsert_replaces_only_its_registrys_entry() {
        let existing_config = json!({"auths": {
            "ghcr.io": {"auth": B64("old:old")},
            "registry.example.com": {"auth": B64("team:kept")},
        }, "credHelpers": {"ecr.example.com": "ecr-login"}});
        let existing = secret(json!({
            "metadata": {"name": "pull", "namespace": "default", "labels": {"jjo.finance/secret-type": "docker-creds", OURS.0: OURS.1}},
            "type": SecretKind::PullSecret.k8s_type(),
            "data": {".dockerconfigjson": B64(&existing_config.to_string())},
        }));
        let target = docker(
            r#"{"password": "new-pw", "username": "octo", "cluster_name": "c", "name": "pull", "namespaces": "default"}"#,
        );
        let (merged, changed) = target.merged(&existing);
        assert_eq!(changed, [".dockerconfigjson"]);
        let config: Value = serde_json::from_str(&data(&merged)[".dockerconfigjson"]).unwrap();
        assert_eq!(
            config["auths"]["registry.example.com"]["auth"],
            B64("team:kept")
        );
        assert_eq!(config["auths"]["ghcr.io"]["auth"], B64("octo:new-pw"));
        assert_eq!(config["credHelpers"]["ecr.example.com"], "ecr-login");
        // A config that is not one to merge into is replaced whole.
        let broken = secret(
            json!({"metadata": {"name": "pull"}, "type": SecretKind::PullSecret.k8s_type(), "data": {".dockerconfigjson": B64("not json")}}),
        );
        let config: Value =
            serde_json::from_str(&data(&target.merged(&broken).0)[".dockerconfigjson"]).unwrap();
        assert_eq!(config["auths"].as_object().unwrap().len(), 1);
    }

    #[test]
    fn a_read_secret_is_debugged_without_its_data() {
        let stored = Stored(stored_repository(
            "https://github.com/acme/r",
            json!({"password": B64("pw-never-shown")}),
        ));
        let shown = format!("{:?} {:?}", stored, Found::Exists(Box::new(stored.clone())));
        assert!(
            shown.contains("password") && shown.contains("argocd"),
            "{shown}"
        );
        assert!(
            !shown.contains("pw-never-shown") && !shown.contains(&B64("pw-never-shown")),
            "{shown}"
        );
    }
}

//! A Kubernetes API server for tests and local runs, in-process: HTTPS with its own CA, bearer-token and
//! client-certificate users, the kinds GlueLinks touches, label and field selectors, write semantics with
//! `Status` errors and dry runs, optional RBAC and validating admission policies (CEL) from the shipped
//! manifests, and injected latency and faults.
//!
//! Not a cluster: no controllers, watches or admission beyond what the functions rely on. `kubectl` and
//! the project's own client pool talk to it (`tests/emulator/tests/conformance.rs`), which is how we know
//! it speaks the protocol.
//!
//! - [`Emulator`] starts one on a loopback port; [`demo::seed`] fills it with the demo cluster (`make run`
//!   serves the same, through the `emulator` binary in `src/bin/emulator.rs`).
//! - [`project`] finds the repository's files (the shipped RBAC manifests) and `kubectl`.

pub mod admission;
pub mod demo;
pub mod kinds;
pub mod objects;
pub mod project;
mod protobuf;
pub mod rbac;
pub mod selectors;
mod server;
pub mod tls;

pub use project::shipped_rbac;

/// Makes aws-lc-rs the process's rustls crypto provider, once: the clients that talk to the emulator over
/// HTTPS (kube's, Valkey's, the AWS SDK's) need one, as the functions install at start.
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use kinds::Kind;
use objects::{ApiError, Objects};
use rbac::{Identity, Rbac};
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// What an injected fault does to a matching request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this HTTP status (e.g. 500).
    Status(u16),
    /// Wait this long before answering (past a client's timeout).
    Hang(Duration),
    /// Drop the connection without an answer.
    Reset,
    /// Carry out the request, then drop the connection without an answer: a write that was applied,
    /// though its client never learns it.
    ResetAfterApply,
    /// Answer 403 as RBAC would.
    Forbidden,
}

/// Which requests a fault applies to; `None` matches anything.
#[derive(Clone, Debug, Default)]
pub struct Matcher {
    pub method: Option<&'static str>,
    pub resource: Option<&'static str>,
    pub namespace: Option<String>,
    /// Only dry runs (`dryRun=All`), or only requests that are not.
    pub dry_run: Option<bool>,
}

impl Matcher {
    pub fn resource(resource: &'static str) -> Self {
        Self {
            resource: Some(resource),
            ..Self::default()
        }
    }

    pub fn namespace(namespace: &str) -> Self {
        Self {
            namespace: Some(namespace.to_string()),
            ..Self::default()
        }
    }

    fn matches(
        &self,
        method: &str,
        resource: &str,
        namespace: Option<&str>,
        dry_run: bool,
    ) -> bool {
        self.dry_run.is_none_or(|d| d == dry_run)
            && self.method.is_none_or(|m| m == method)
            && self.resource.is_none_or(|r| r == resource)
            && self
                .namespace
                .as_deref()
                .is_none_or(|n| Some(n) == namespace)
    }
}

#[derive(Clone, Debug)]
pub struct FaultRule {
    pub matcher: Matcher,
    pub fault: Fault,
}

/// One request the emulator received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub user: Option<String>,
    /// The RBAC verb and the resource (`secrets`, `deployments.apps`) it asked for, when it named one.
    pub verb: Option<&'static str>,
    pub resource: Option<String>,
    /// Its `Accept` header: how it asked to see the objects.
    pub accept: String,
    /// Whether it asked for a dry run (`dryRun=All` in its query, or in a delete's `DeleteOptions`).
    pub dry_run: bool,
    /// When the request arrived.
    pub at: std::time::Instant,
}

#[derive(Default)]
pub(crate) struct State {
    objects: Mutex<Objects>,
    latency: Mutex<Duration>,
    faults: Mutex<Vec<FaultRule>>,
    requests: Mutex<Vec<Recorded>>,
    /// The external-secrets.io versions served (none: the CRD is not installed).
    external_secrets: Mutex<Vec<&'static str>>,
    rbac: Mutex<Option<Rbac>>,
    admission: Mutex<Option<admission::Admission>>,
    tokens: Mutex<HashMap<String, Identity>>,
    client_certs: Mutex<Vec<(Vec<u8>, Identity)>>,
    eks_identity: Mutex<Option<Identity>>,
    /// Requests being answered now, and the most there were at once since the last reset.
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
}

/// Counts a request in flight for as long as it lives.
pub(crate) struct InFlight<'a>(&'a State);

impl<'a> InFlight<'a> {
    pub(crate) fn start(state: &'a State) -> Self {
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    fn lock_objects(&self) -> MutexGuard<'_, Objects> {
        lock(&self.objects)
    }
    fn lock_faults(&self) -> MutexGuard<'_, Vec<FaultRule>> {
        lock(&self.faults)
    }
    fn lock_requests(&self) -> MutexGuard<'_, Vec<Recorded>> {
        lock(&self.requests)
    }
    /// Whether `kind` is served now: external-secrets.io only in the versions installed.
    pub(crate) fn serves(&self, kind: &Kind) -> bool {
        kind.group != kinds::EXTERNAL_SECRETS_GROUP
            || lock(&self.external_secrets).contains(&kind.version)
    }
    fn lock_rbac(&self) -> MutexGuard<'_, Option<Rbac>> {
        lock(&self.rbac)
    }
    pub(crate) fn lock_admission(&self) -> MutexGuard<'_, Option<admission::Admission>> {
        lock(&self.admission)
    }
    fn lock_tokens(&self) -> MutexGuard<'_, HashMap<String, Identity>> {
        lock(&self.tokens)
    }
}

/// How the emulator listens.
#[derive(Clone, Debug)]
pub struct Options {
    /// HTTPS with the emulator's CA (default), or plain HTTP.
    pub tls: bool,
    /// The user the default token authenticates as.
    pub user: String,
    pub groups: Vec<String>,
    /// A fixed port (for `make run`); 0 picks a free one.
    pub port: u16,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            tls: true,
            user: "gluelinks".into(),
            groups: vec!["gluelinks".into()],
            port: 0,
        }
    }
}

static TOKEN_COUNTER: AtomicU64 = AtomicU64::new(1);

pub struct Emulator {
    state: Arc<State>,
    addr: SocketAddr,
    authority: Option<tls::Authority>,
    token: String,
    server: JoinHandle<()>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Emulator {
    /// An HTTPS emulator on a free loopback port, with the external-secrets CRD installed.
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        let state = Arc::new(State::default());
        *lock(&state.external_secrets) = vec!["v1"];
        let token = format!(
            "emulator-token-{}-{}",
            std::process::id(),
            TOKEN_COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        lock(&state.tokens).insert(
            token.clone(),
            Identity {
                user: options.user.clone(),
                groups: options.groups.clone(),
            },
        );
        let listener = TcpListener::bind(("127.0.0.1", options.port))
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("a local address");
        let authority = options.tls.then(tls::Authority::new);
        let acceptor = authority
            .as_ref()
            .map(|a| TlsAcceptor::from(a.server_config(&a.server())));
        let server_state = state.clone();
        let server = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let state = server_state.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let port = addr.port();
                    match acceptor {
                        Some(acceptor) => {
                            let Ok(stream) = acceptor.accept(tcp).await else {
                                return;
                            };
                            let cert_user = stream
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|certs| certs.first())
                                .and_then(|der| {
                                    lock(&state.client_certs)
                                        .iter()
                                        .find(|(d, _)| d == der.as_ref())
                                        .map(|(_, id)| id.clone())
                                });
                            let service = service_fn(move |req| {
                                server::handle(state.clone(), req, cert_user.clone(), port)
                            });
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                        None => {
                            let service = service_fn(move |req| {
                                server::handle(state.clone(), req, None, port)
                            });
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(tcp), service)
                                .await;
                        }
                    }
                });
            }
        });
        Self {
            state,
            addr,
            authority,
            token,
            server,
        }
    }

    pub fn url(&self) -> String {
        let scheme = if self.authority.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://127.0.0.1:{}", self.addr.port())
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    fn kubeconfig_with_user(&self, cluster: &str, user: &str) -> String {
        let ca = self
            .authority
            .as_ref()
            .map(|a| {
                format!(
                    "\n    certificate-authority-data: {}",
                    STANDARD.encode(&a.ca_pem)
                )
            })
            .unwrap_or_default();
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: {cluster}\n  cluster:\n    server: {url}{ca}\n\
             contexts:\n- name: {cluster}\n  context:\n    cluster: {cluster}\n    user: {cluster}-user\n\
             current-context: {cluster}\nusers:\n- name: {cluster}-user\n  user:\n{user}",
            url = self.url()
        )
    }

    /// A kubeconfig whose user authenticates with the emulator's bearer token.
    pub fn kubeconfig(&self, cluster: &str) -> String {
        self.kubeconfig_with_token(cluster, &self.token)
    }

    /// A kubeconfig whose user authenticates with `token` (see [`Self::add_token`]).
    pub fn kubeconfig_with_token(&self, cluster: &str, token: &str) -> String {
        self.kubeconfig_with_user(cluster, &format!("    token: {token}\n"))
    }

    /// A kubeconfig whose user `user` authenticates with a client certificate this emulator issued.
    pub fn kubeconfig_with_client_cert(&self, cluster: &str, user: &str) -> String {
        let authority = self
            .authority
            .as_ref()
            .expect("client certificates need TLS");
        let issued = authority.client(user);
        lock(&self.state.client_certs).push((
            issued.cert_der.to_vec(),
            Identity {
                user: user.to_string(),
                groups: vec![],
            },
        ));
        self.kubeconfig_with_user(
            cluster,
            &format!(
                "    client-certificate-data: {}\n    client-key-data: {}\n",
                STANDARD.encode(&issued.cert_pem),
                STANDARD.encode(&issued.key_pem)
            ),
        )
    }

    /// Writes `<dir>/<cluster>.kubeconfig` and returns its path.
    pub fn write_kubeconfig(&self, dir: &Path, cluster: &str) -> PathBuf {
        std::fs::create_dir_all(dir).expect("the kubeconfig directory");
        let path = dir.join(format!("{cluster}.kubeconfig"));
        std::fs::write(&path, self.kubeconfig(cluster)).expect("the kubeconfig file");
        path
    }

    /// A further token, for a user with its own groups (e.g. to test RBAC for another identity).
    pub fn add_token(&self, token: &str, user: &str, groups: &[&str]) {
        let identity = Identity {
            user: user.to_string(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        };
        self.state.lock_tokens().insert(token.to_string(), identity);
    }

    /// Accepts EKS tokens (`k8s-aws-v1.` + a presigned STS GetCallerIdentity URL signing `x-k8s-aws-id`)
    /// as `user`, as an EKS cluster maps an IAM role to a user.
    pub fn accept_eks_tokens(&self, user: &str, groups: &[&str]) {
        let identity = Identity {
            user: user.to_string(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        };
        *lock(&self.state.eks_identity) = Some(identity);
    }

    /// Stores an object as given, creating its namespace when needed; replaces an existing one.
    pub fn apply(&self, object: Value) -> Value {
        self.state
            .lock_objects()
            .apply(object)
            .unwrap_or_else(|e: ApiError| panic!("apply: {}", e.message))
    }

    /// Removes a stored object, as an administrator would; `None` when there is none.
    pub fn remove(
        &self,
        group: &str,
        version: &str,
        plural: &str,
        namespace: &str,
        name: &str,
    ) -> Option<Value> {
        let kind = kinds::find(group, version, plural)?;
        self.state.lock_objects().delete(kind, namespace, name).ok()
    }

    /// An Argo CD Application, as stored.
    pub fn application(&self, namespace: &str, name: &str) -> Option<Value> {
        self.object("argoproj.io", "v1alpha1", "applications", namespace, name)
    }

    pub fn object(
        &self,
        group: &str,
        version: &str,
        plural: &str,
        namespace: &str,
        name: &str,
    ) -> Option<Value> {
        let kind = kinds::find(group, version, plural)?;
        self.state.lock_objects().get(kind, namespace, name).ok()
    }

    /// Every object of a kind, in every namespace.
    pub fn objects(&self, group: &str, version: &str, plural: &str) -> Vec<Value> {
        let kind = kinds::find(group, version, plural).expect("a known kind");
        self.state
            .lock_objects()
            .list(kind, None, &Default::default(), &Default::default())
    }

    /// Latency added to every request.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.state.latency) = latency;
    }

    pub fn add_fault(&self, matcher: Matcher, fault: Fault) {
        self.state.lock_faults().push(FaultRule { matcher, fault });
    }

    pub fn clear_faults(&self) {
        self.state.lock_faults().clear();
    }

    /// Installs or removes the external-secrets.io CRD (absent: its paths answer 404).
    pub fn set_external_secrets_installed(&self, installed: bool) {
        self.serve_external_secrets(if installed { &["v1"] } else { &[] });
    }

    /// Serves external-secrets.io in these versions only (`["v1beta1"]`: an operator older than 0.17).
    /// The same stored ExternalSecrets are served in each, as a CRD's conversion does.
    pub fn serve_external_secrets(&self, versions: &[&'static str]) {
        *lock(&self.state.external_secrets) = versions.to_vec();
    }

    /// Enforces the RBAC objects and the validating admission policies in `manifests` (multi-document
    /// YAML) from now on.
    pub fn enforce_manifests(&self, manifests: &str) {
        let rbac = Rbac::from_yaml(manifests).expect("RBAC manifests");
        let admission = admission::Admission::from_yaml(manifests).expect("admission policies");
        *self.state.lock_rbac() = Some(rbac);
        *self.state.lock_admission() = Some(admission);
    }

    /// Every request received since the start or the last [`Self::reset_requests`].
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock_requests().clone()
    }

    /// Forgets the requests received, and the peak of requests in flight.
    pub fn reset_requests(&self) {
        self.state.lock_requests().clear();
        self.state.peak_in_flight.store(
            self.state.in_flight.load(Ordering::SeqCst),
            Ordering::SeqCst,
        );
    }

    /// The most requests that were being answered at once since the start or the last reset.
    pub fn peak_in_flight(&self) -> usize {
        self.state.peak_in_flight.load(Ordering::SeqCst)
    }

    /// How many waves of requests arrived: a request more than `gap` after the previous one starts a new
    /// wave. With a latency injected on every call, that is the number of sequential rounds a client made.
    pub fn rounds(&self, gap: Duration) -> usize {
        let mut times: Vec<_> = self.requests().iter().map(|r| r.at).collect();
        times.sort();
        times.windows(2).filter(|w| w[1] - w[0] > gap).count() + usize::from(!times.is_empty())
    }
}

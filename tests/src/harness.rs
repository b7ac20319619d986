//! The harness every test starts from: the sample tokens, the sample events as requests (edited with
//! [`Event`]), settings merged as a process environment is ([`env_of`]), the demo stack — cluster,
//! kubeconfigs, cache — ([`Stack`]), and the helpers that read a links answer ([`category`], [`urls`],
//! [`labels`], [`without_times`]).

use gluelinks_core::config::Env;
use gluelinks_emulator::project::{repo_root, temp_dir};
use gluelinks_emulator::{demo, Emulator};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::servers::Valkey;

pub use gluelinks_emulator::install_crypto;

/// Argo CD's proxy token, as the sample events in `events/` carry it.
pub const PROXY_TOKEN: &str = gluelinks_core::auth::SAMPLE_TOKENS[0];
/// The operator token, as the sample events in `events/` carry it.
pub const OPERATOR_TOKEN: &str = gluelinks_core::auth::SAMPLE_TOKENS[1];

/// The settings that make a function accept the sample tokens.
pub const SAMPLE_TOKEN_SETTINGS: &[(&str, &str)] = &[
    ("AUTH_PROXY_TOKEN", PROXY_TOKEN),
    ("AUTH_OPERATOR_TOKEN", OPERATOR_TOKEN),
];

/// The grant `make invoke` and the shipped-binary runs give the AWS principal of the `*-iam.json` sample
/// events (`arn:aws:sts::123456789012:assumed-role/gluelinks-operator/ci-run`); the Makefile holds the same
/// text (tests/tests/template.rs checks it).
pub const SAMPLE_OPERATOR_GRANTS: &str = r#"{"arn:aws:iam::123456789012:role/gluelinks-operator": {"clusters": "*", "access": "write"}}"#;

/// Where the links point in the tests: Grafana, Vault and the Tempo datasource of a made-up company.
pub const LINK_BASES: &[(&str, &str)] = &[
    ("GRAFANA_BASE_URL", "https://grafana.acme.dev"),
    ("VAULT_BASE_URL", "https://vault.acme.dev"),
    ("TEMPO_DATASOURCE_UID", "tempo-uid-1"),
];

/// Settings from layers of `(name, value)` pairs, as a process environment is built up: a later pair wins
/// over an earlier one of the same name (`("VALKEY_URL", "")` after a stack's settings turns its cache off).
pub fn env_of(layers: &[&[(&str, &str)]]) -> Env {
    let mut merged: Vec<(&str, &str)> = Vec::new();
    for &(name, value) in layers.iter().flat_map(|layer| layer.iter()) {
        merged.retain(|(m, _)| *m != name);
        merged.push((name, value));
    }
    Env::from_pairs(merged)
}

/// A sample event from `events/`, as the text `cargo lambda invoke --data-file` sends.
pub fn event_text(name: &str) -> String {
    let path = repo_root().join("events").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A sample event parsed into the request a function's handler receives.
pub fn event(name: &str) -> lambda_http::Request {
    Event::sample(name).request()
}

/// The function a sample event is for: the longest name in `functions/` that prefixes the file's name,
/// as `tests/invoke-events.sh` decides it.
pub fn function_for_event(file: &str) -> Option<String> {
    std::fs::read_dir(repo_root().join("functions"))
        .expect("functions/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| file.starts_with(&format!("{f}-")))
        .max_by_key(String::len)
}

/// The warm function's sample event (`warm-scheduled.json`): the schedule's run.
pub fn scheduled() -> LambdaEvent<Value> {
    LambdaEvent::new(
        Event::sample("warm-scheduled.json").into_json(),
        Context::default(),
    )
}

/// The `requestContext.authorizer` API Gateway's IAM authorization writes into an HTTP API (payload 2.0)
/// event for a request `arn` signed with SigV4, as a deployed operator route receives it.
pub fn iam_authorizer(arn: &str) -> Value {
    let account = arn.split(':').nth(4).unwrap_or_default();
    serde_json::json!({
        "iam": {
            "accessKey": "ASIAEXAMPLEKEY000000",
            "accountId": account,
            "callerId": "AROAEXAMPLEROLEID0000:session",
            "cognitoIdentity": null,
            "principalOrgId": "o-example",
            "userArn": arn,
            "userId": "AROAEXAMPLEROLEID0000:session"
        }
    })
}

/// A sample event from `events/` with what a test changes in it: `Event::sample("links-header-only.json")
/// .header("argocd-application-name", "argocd:ledger").request()`.
#[derive(Clone, Debug)]
pub struct Event(Value);

impl Event {
    pub fn sample(name: &str) -> Self {
        Self(serde_json::from_str(&event_text(name)).expect("a JSON event"))
    }

    /// The path, in both places API Gateway puts it.
    pub fn path(mut self, path: &str) -> Self {
        self.0["rawPath"] = path.into();
        self.0["requestContext"]["http"]["path"] = path.into();
        self
    }

    pub fn method(mut self, method: &str) -> Self {
        self.0["requestContext"]["http"]["method"] = method.into();
        self
    }

    /// A query of one parameter, `name=value` as sent (not encoded).
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.0["rawQueryString"] = format!("{name}={value}").into();
        self.0["queryStringParameters"] = serde_json::json!({ name: value });
        self
    }

    /// A whole query, `a=1&b=2` as sent (not encoded), in both places API Gateway puts it.
    pub fn raw_query(mut self, query: &str) -> Self {
        self.0["rawQueryString"] = query.into();
        self.0["queryStringParameters"] = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), Value::from(v)))
            .collect::<serde_json::Map<_, _>>()
            .into();
        self
    }

    /// No query at all.
    pub fn no_query(mut self) -> Self {
        self.0["rawQueryString"] = "".into();
        self.object().remove("queryStringParameters");
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.0["headers"][name] = value.into();
        self
    }

    pub fn without_header(mut self, name: &str) -> Self {
        if let Some(headers) = self.0["headers"].as_object_mut() {
            headers.remove(name);
        }
        self
    }

    /// `token` as a bearer token in `Authorization`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// `token` in GlueLinks' own header (`X-GlueLinks-Token`), and no `Authorization`.
    pub fn token(self, token: &str) -> Self {
        self.header("x-gluelinks-token", token)
            .without_header("authorization")
    }

    /// Signed by the AWS principal `arn`, as API Gateway's IAM authorization passes it on.
    pub fn iam(mut self, arn: &str) -> Self {
        self.0["requestContext"]["authorizer"] = iam_authorizer(arn);
        self
    }

    pub fn body(mut self, body: &str) -> Self {
        self.0["body"] = body.into();
        self
    }

    /// A body of any bytes, base64-encoded as API Gateway delivers one that is not text.
    pub fn binary_body(mut self, bytes: &[u8]) -> Self {
        use base64::Engine;
        self.0["body"] = base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .into();
        self.0["isBase64Encoded"] = true.into();
        self
    }

    /// The event as JSON, to read what it carries.
    pub fn json(&self) -> &Value {
        &self.0
    }

    pub fn into_json(self) -> Value {
        self.0
    }

    /// The request a function's handler receives for it.
    pub fn request(&self) -> lambda_http::Request {
        lambda_http::request::from_str(&self.0.to_string()).expect("a valid API Gateway event")
    }

    fn object(&mut self) -> &mut serde_json::Map<String, Value> {
        self.0.as_object_mut().expect("an event is a JSON object")
    }
}

/// A click in Argo CD on the app `header` names (`<app namespace>:<app>`), for the stored `cluster`:
/// the links route as the extension calls it.
pub fn click(header: &str, cluster: &str) -> lambda_http::Request {
    Event::sample("links-header-only.json")
        .header("argocd-application-name", header)
        .header("x-gluelinks-cluster", cluster)
        .request()
}

/// A links answer's category `id`; panics naming the answer when it has none.
pub fn category<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["categories"]
        .as_array()
        .unwrap_or_else(|| panic!("no categories in {body}"))
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {body}"))
}

/// The `field` of each link in category `id`, in order.
pub fn column(body: &Value, id: &str, field: &str) -> Vec<String> {
    category(body, id)["links"]
        .as_array()
        .unwrap_or_else(|| panic!("no links in {id} of {body}"))
        .iter()
        .map(|l| l[field].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The URL of each link in category `id`, in order.
pub fn urls(body: &Value, id: &str) -> Vec<String> {
    column(body, id, "url")
}

/// The label of each link in category `id`, in order.
pub fn labels(body: &Value, id: &str) -> Vec<String> {
    column(body, id, "label")
}

/// A links answer without the times it was made at: two answers computed apart compare equal.
pub fn without_times(mut body: Value) -> Value {
    body["lastUpdated"] = Value::Null;
    body["metadata"]["generatedAt"] = Value::Null;
    body
}

/// A client pool over the kubeconfigs in `dir`, each call bounded by `timeout`: what the functions build.
pub fn pool(dir: &Path, timeout: Duration) -> gluelinks_clusters::pool::ClusterClients {
    use gluelinks_clusters::store::{DirStore, Store};
    install_crypto();
    gluelinks_clusters::pool::ClusterClients::new(Store::Dir(DirStore::new(dir)), timeout)
}

/// The identities a deployment gives the functions, each with its own kubeconfig (its token, its user,
/// its group): the reader (links, warm), the lister (secrets-list) and the writer (secrets-add).
const IDENTITIES: [(&str, &str, &str); 3] = [
    ("reader", "links-role", "gluelinks"),
    ("lister", "secrets-list-role", "gluelinks-secrets-lister"),
    ("writer", "secrets-add-role", "gluelinks-secrets-writer"),
];

/// What a function talks to, locally: an emulated cluster, a directory with its kubeconfig
/// (`CLUSTERS_DIR`), and, when asked, a real Valkey and an identity per function. [`Stack::env`] gives the
/// settings every function takes from it.
pub struct Stack {
    pub emulator: Emulator,
    /// The kubeconfig directory (`CLUSTERS_DIR`), holding `<cluster>.kubeconfig`.
    pub dir: PathBuf,
    /// The stored cluster's name.
    pub cluster: String,
    valkey: Option<Valkey>,
    /// The lister's and the writer's kubeconfig directories, when the cluster enforces the shipped RBAC.
    identity_dirs: Option<[PathBuf; 2]>,
    /// Settings of the test's own, after the stack's.
    settings: Vec<(String, String)>,
    name: String,
}

impl Stack {
    /// The demo cluster (`demo::seed`) stored as `demo`, its kubeconfig in a fresh directory named after
    /// `name`; the crypto provider installed.
    pub async fn demo(name: &str) -> Self {
        Self::start(name, "demo", demo::seed).await
    }

    /// The demo cluster stored as `cluster`.
    pub async fn demo_as(name: &str, cluster: &str) -> Self {
        Self::start(name, cluster, demo::seed).await
    }

    /// A cluster filled by `fill` (`|e| demo::many_apps(e, 260)`), stored as `cluster`.
    pub async fn start(name: &str, cluster: &str, fill: impl FnOnce(&Emulator)) -> Self {
        install_crypto();
        let emulator = Emulator::start().await;
        fill(&emulator);
        let dir = temp_dir(name);
        emulator.write_kubeconfig(&dir, cluster);
        Self {
            emulator,
            dir,
            cluster: cluster.to_string(),
            valkey: None,
            identity_dirs: None,
            settings: Vec::new(),
            name: name.to_string(),
        }
    }

    /// With `settings` of the test's own, which [`Self::env`] gives every function after the stack's (a
    /// later pair wins).
    pub fn with_settings(mut self, settings: &[(&str, &str)]) -> Self {
        let owned = settings.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        self.settings.extend(owned);
        self
    }

    /// With a real Valkey for the links cache (`VALKEY_URL`).
    pub fn with_valkey(mut self) -> Self {
        self.valkey = Some(Valkey::start());
        self
    }

    /// With the cluster enforcing the shipped RBAC and admission policy (`demo::rbac`), and each function
    /// its own identity, as a deployment has: the reader's kubeconfig in [`Self::dir`], the lister's and
    /// the writer's in directories of their own (`SECRETS_LIST_CLUSTERS_DIR`, `SECRETS_ADD_CLUSTERS_DIR`).
    pub fn enforcing_rbac(mut self) -> Self {
        self.emulator.enforce_manifests(&demo::rbac());
        let [reader, lister, writer] = IDENTITIES.map(|(identity, user, group)| {
            let token = Self::identity_token(identity);
            self.emulator.add_token(&token, user, &[group]);
            let dir = match identity {
                "reader" => self.dir.clone(),
                _ => temp_dir(&format!("{}-{identity}", self.name)),
            };
            let kubeconfig = self.emulator.kubeconfig_with_token(&self.cluster, &token);
            std::fs::write(dir.join(format!("{}.kubeconfig", self.cluster)), kubeconfig)
                .expect("a kubeconfig");
            dir
        });
        debug_assert_eq!(reader, self.dir);
        self.identity_dirs = Some([lister, writer]);
        self
    }

    /// The cluster bearer token of an identity [`Self::enforcing_rbac`] made.
    fn identity_token(identity: &str) -> String {
        format!("{identity}-token-0123456789")
    }

    /// The users and groups [`Self::enforcing_rbac`] gives the functions, by identity.
    pub fn identities() -> [(&'static str, &'static str, &'static str); 3] {
        IDENTITIES
    }

    /// The Valkey asked for with [`Self::with_valkey`].
    pub fn valkey(&self) -> &Valkey {
        self.valkey.as_ref().expect("a stack started with_valkey")
    }

    /// `<dir>/<cluster>.kubeconfig`.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join(format!("{}.kubeconfig", self.cluster))
    }

    /// The settings every function takes from this stack: the sample tokens, the kubeconfig directories
    /// (one per identity when the RBAC is enforced, with the sample operator grant), the namespaces the
    /// demo cluster keeps pull secrets in, and the cache.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs: Vec<(&'static str, String)> = SAMPLE_TOKEN_SETTINGS
            .iter()
            .map(|(k, v)| (*k, v.to_string()))
            .collect();
        pairs.extend([
            ("CLUSTERS_DIR", self.dir.display().to_string()),
            (
                "SECRETS_LIST_NAMESPACES",
                demo::PULL_SECRET_NAMESPACES.join(","),
            ),
        ]);
        if let Some([lister, writer]) = &self.identity_dirs {
            pairs.push(("SECRETS_LIST_CLUSTERS_DIR", lister.display().to_string()));
            pairs.push(("SECRETS_ADD_CLUSTERS_DIR", writer.display().to_string()));
            pairs.push(("OPERATOR_GRANTS", SAMPLE_OPERATOR_GRANTS.to_string()));
        }
        if let Some(valkey) = &self.valkey {
            pairs.push(("VALKEY_URL", valkey.url.clone()));
        }
        pairs
    }

    /// [`Self::pairs`], then the settings given [`Self::with_settings`], then `extra`: a later pair wins.
    pub fn env(&self, extra: &[(&str, &str)]) -> Env {
        let pairs = self.pairs();
        let stack: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let test: Vec<(&str, &str)> = self
            .settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        env_of(&[&stack, &test, extra])
    }

    /// Every secret value the stack and the sample events hold, none of which may ever be logged: the API
    /// tokens, each identity's cluster bearer token, and every password or token field of an event body.
    pub fn secret_values(&self) -> Vec<String> {
        let mut secrets = vec![PROXY_TOKEN.to_string(), OPERATOR_TOKEN.to_string()];
        secrets.extend(IDENTITIES.map(|(identity, _, _)| Self::identity_token(identity)));
        for function in crate::shipped::functions() {
            for (_, event) in crate::shipped::events_of(&function) {
                let body: Value = event["body"]
                    .as_str()
                    .and_then(|b| serde_json::from_str(b).ok())
                    .unwrap_or(Value::Null);
                for field in [
                    "password",
                    "token",
                    "ssh_private_key",
                    "tls_client_cert_key",
                ] {
                    if let Some(value) = body[field].as_str().filter(|v| v.len() >= 8) {
                        secrets.push(value.to_string());
                    }
                }
            }
        }
        secrets.sort();
        secrets.dedup();
        secrets
    }

    /// Empties the cache.
    pub fn flush_cache(&self) {
        self.valkey().cli(&["FLUSHALL"]);
    }
}

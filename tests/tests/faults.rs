//! The fault suite: every function under every fault we can provoke in what it depends on — Valkey, the
//! Kubernetes API, the kubeconfig store in AWS Secrets Manager — with the status, what the body says and
//! the time it takes asserted row by row. The README's fault table is rendered from these very rows
//! (`the_readme_table_is_the_tested_one`), so it says what the tests prove.
//!
//! Real parts throughout: a real Valkey and moto's Secrets Manager, each behind a TCP fault proxy, and the
//! cluster emulator's injected latency and faults. Rows run one after another (their time bounds are
//! measured on an otherwise idle machine); each row gets its own cluster, Valkey and kubeconfig secret.

use futures::FutureExt;
use gluelinks_core::config::Env;
use gluelinks_emulator::project::repo_root;
use gluelinks_emulator::{demo, Emulator, Fault, Matcher};
use gluelinks_tests::fault_proxy::{FaultProxy, Mode};
use gluelinks_tests::harness::{env_of, event, install_crypto, scheduled, SAMPLE_TOKEN_SETTINGS};
use gluelinks_tests::openapi::Checked;
use gluelinks_tests::servers::{Moto, Valkey};
use serde_json::Value;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

/// The settings every row runs with: short timeouts, so that a hang costs seconds, not minutes. The
/// links budget is below the per-call timeout and a warm cluster's bound above it, as with the defaults
/// (5 s, 10 s and 60 s), so which bound speaks first is always the same.
const SETTINGS: &[(&str, &str)] = &[
    ("KUBE_TIMEOUT_SECONDS", "1"),
    ("LINKS_TIMEOUT_SECONDS", "0.9"),
    ("VALKEY_TIMEOUT_MS", "100"),
    ("SECRETS_DEADLINE_SECONDS", "3"),
    ("WARM_CLUSTER_TIMEOUT_SECONDS", "2"),
];
/// How late a slow Kubernetes API answers each call.
const SLOW_KUBE: Duration = Duration::from_millis(300);
/// How late a slowed Valkey answers each reply: past `VALKEY_TIMEOUT_MS`.
const SLOW_VALKEY: Duration = Duration::from_millis(1000);
/// How late a slow Secrets Manager answers: within `KUBE_TIMEOUT_SECONDS`.
const SLOW_STORE: Duration = Duration::from_millis(250);

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Injected {
    /// Valkey, the cluster and the store all failing at once.
    Everything,
    ValkeyStopped,
    ValkeySlow,
    ValkeyReset,
    KubeSlow,
    Kube500,
    KubeHang,
    KubeReset,
    KubeForbidden,
    StoreError,
    StoreSlow,
    StoreSilent,
    StoreGarbled,
    ClusterGoneBeforeWrite,
    ClusterGoneAfterWrite,
}

impl Injected {
    fn describe(self) -> &'static str {
        match self {
            Self::Everything => "Valkey stopped, Kubernetes answering 500 and Secrets Manager silent, at once",
            Self::ValkeyStopped => "Valkey stopped (connections refused)",
            Self::ValkeySlow => "Valkey slowed on the open connection: each reply 1 s late, past `VALKEY_TIMEOUT_MS`",
            Self::ValkeyReset => "Valkey resets the open connection mid-request, and each new one",
            Self::KubeSlow => "Kubernetes API slow: 300 ms a call",
            Self::Kube500 => "Kubernetes API answers 500",
            Self::KubeHang => "Kubernetes API hangs past `KUBE_TIMEOUT_SECONDS`",
            Self::KubeReset => "Kubernetes API resets connections",
            Self::KubeForbidden => "Kubernetes forbids one resource (403: listing pods; listing Secrets for secrets-list; creating Secrets in `kube-system`, dry runs included, for secrets-add)",
            Self::StoreError => "kubeconfig store refuses: Secrets Manager answers `AccessDeniedException`",
            Self::StoreSlow => "kubeconfig store slow: 0.25 s a call",
            Self::StoreSilent => "Secrets Manager never answers",
            Self::StoreGarbled => "Secrets Manager's answer is cut short: a 200 whose JSON ends inside the kubeconfig",
            Self::ClusterGoneBeforeWrite => "the cluster disappears between the check and the write (each write's connection drops unanswered)",
            Self::ClusterGoneAfterWrite => "the cluster applies each write, then disappears before answering",
        }
    }
}

/// What is called: a function's route, or the warm run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Function {
    Health,
    Fixtures,
    Clusters,
    Links,
    Ready,
    SecretsList,
    SecretsAdd,
    Warm,
}

impl Function {
    fn describe(self) -> &'static str {
        match self {
            Self::Health => "health `GET /api/v1/health`",
            Self::Fixtures => "fixtures `GET /api/v1/fixtures/all-ok`",
            Self::Clusters => "clusters `GET /clusters`",
            Self::Links => "links `GET /api/v1/applications/{app}/links`",
            Self::Ready => "links `GET /api/v1/ready`",
            Self::SecretsList => "secrets-list `GET /secrets?cluster=demo`",
            Self::SecretsAdd => "secrets-add `POST /secrets/add_docker`",
            Self::Warm => "warm (scheduled run)",
        }
    }
}

/// A time bound: how the README states it, and its value under [`SETTINGS`].
#[derive(Clone, Copy, Debug)]
struct Bound {
    text: &'static str,
    ms: u64,
}

const fn bound(text: &'static str, ms: u64) -> Bound {
    Bound { text, ms }
}

/// One row of the table: under `fault`, `function` answers `status` — what the user `sees` — with a body
/// containing each of `says`, within `within`.
struct Row {
    fault: Injected,
    function: Function,
    status: &'static str,
    sees: &'static str,
    says: &'static [&'static str],
    within: Bound,
}

const fn row(
    fault: Injected,
    function: Function,
    status: &'static str,
    sees: &'static str,
    says: &'static [&'static str],
    within: Bound,
) -> Row {
    Row {
        fault,
        function,
        status,
        sees,
        says,
        within,
    }
}

use Function::*;
use Injected::*;

/// A pod link of the demo app: the links a healthy cluster gives.
const POD: &str = "taco-backend-prod-677bfb55b7-942nr";
const INSTANT: Bound = bound("0.3 s", 300);
/// A miss, plus at most one reconnection attempt to Valkey (2 × `VALKEY_TIMEOUT_MS`) or two commands
/// cut off (read and write); later requests skip an unreachable Valkey for 5 s.
const VALKEY: Bound = bound("0.5 s: a miss + 2 × `VALKEY_TIMEOUT_MS`", 500);
const VALKEY_CHECK: Bound = bound("0.5 s: 4 × `VALKEY_TIMEOUT_MS` + 0.1 s", 500);
const KUBE_CALL: Bound = bound("1.5 s: `KUBE_TIMEOUT_SECONDS` + 0.5 s", 1500);
const LINKS_BUDGET: Bound = bound("1.4 s: `LINKS_TIMEOUT_SECONDS` + 0.5 s", 1400);
const READY: Bound = bound("2.5 s: readiness' own 2 s + 0.5 s", 2500);
const QUICK: Bound = bound("0.5 s", 500);
const ONE_S: Bound = bound("1 s", 1000);

const ROWS: &[Row] = &[
    row(
        Everything,
        Health,
        "200",
        "healthy: it depends on nothing",
        &[r#""status":"healthy""#],
        INSTANT,
    ),
    row(
        Everything,
        Fixtures,
        "200",
        "the fixture: it depends on nothing",
        &[r#""status":"ok""#],
        INSTANT,
    ),
    row(
        ValkeyStopped,
        Links,
        "200",
        "every link, read from the cluster (uncached)",
        &[POD, "pod=ok", "vault=ok", "iaac=ok"],
        VALKEY,
    ),
    row(
        ValkeySlow,
        Links,
        "200",
        "every link, read from the cluster (uncached)",
        &[POD, "pod=ok", "vault=ok", "iaac=ok"],
        VALKEY,
    ),
    row(
        ValkeyReset,
        Links,
        "200",
        "every link, read from the cluster (uncached)",
        &[POD, "pod=ok", "vault=ok", "iaac=ok"],
        VALKEY,
    ),
    row(
        ValkeyStopped,
        Ready,
        "503",
        "not ready: the cache check says why",
        &[r#""ready":false"#, "Connection refused"],
        VALKEY_CHECK,
    ),
    row(
        ValkeySlow,
        Ready,
        "503",
        "not ready: the cache check says why",
        &[r#""ready":false"#, "Valkey did not answer within 100 ms"],
        VALKEY_CHECK,
    ),
    row(
        ValkeyReset,
        Ready,
        "503",
        "not ready: the cache check says why",
        &[r#""ready":false"#, "Connection reset"],
        VALKEY_CHECK,
    ),
    row(
        ValkeyStopped,
        Warm,
        "error",
        "a failed run (Lambda's error metric), nothing claimed warmed",
        &["writing to the cache failed", "Connection refused"],
        VALKEY_CHECK,
    ),
    row(
        ValkeySlow,
        Warm,
        "error",
        "a failed run, nothing claimed warmed",
        &[
            "writing to the cache failed",
            "Valkey did not answer within 100 ms",
        ],
        VALKEY_CHECK,
    ),
    row(
        ValkeyReset,
        Warm,
        "error",
        "a failed run, nothing claimed warmed",
        &["writing to the cache failed", "Connection reset"],
        VALKEY_CHECK,
    ),
    row(
        KubeSlow,
        Links,
        "200",
        "every link (two rounds of calls)",
        &[POD, "pod=ok", "vault=ok", "iaac=ok"],
        bound("0.9 s: 2 rounds × 0.3 s + 0.3 s", 900),
    ),
    row(
        KubeSlow,
        SecretsList,
        "200",
        "every list (read at once)",
        &[r#""status":"success""#],
        bound("0.6 s: 1 round × 0.3 s + 0.3 s", 600),
    ),
    row(
        KubeSlow,
        SecretsAdd,
        "200",
        "written everywhere (reads at once, then writes at once)",
        &["created successfully in 3 namespace(s)"],
        ONE_S,
    ),
    row(
        KubeSlow,
        Warm,
        "report",
        "every app warmed",
        &[r#""written":5"#, r#""failures":{}"#],
        bound("1.5 s", 1500),
    ),
    row(
        Kube500,
        Links,
        "200",
        "the links that need no cluster; Pods, Vault and IaC in error, quoting the cluster",
        &[
            "apm=ok",
            "logs=ok",
            "pod=error",
            "vault=error",
            "iaac=error",
            "(HTTP 500)",
        ],
        QUICK,
    ),
    row(
        Kube500,
        Ready,
        "503",
        "not ready: the kubernetes check says why",
        &[r#""ready":false"#, "(HTTP 500)"],
        QUICK,
    ),
    row(
        Kube500,
        SecretsList,
        "200",
        "empty lists, `status: cluster_unreachable` and why",
        &[r#""status":"cluster_unreachable""#, "(HTTP 500)"],
        QUICK,
    ),
    row(
        Kube500,
        SecretsAdd,
        "502",
        "nothing written: each namespace's state could not be read",
        &["Nothing was written", "(HTTP 500)"],
        QUICK,
    ),
    row(
        Kube500,
        Warm,
        "error",
        "a failed run naming the cluster and the call",
        &[
            r#""demo": "Kubernetes API error listing Applications"#,
            "(HTTP 500)",
        ],
        QUICK,
    ),
    row(
        KubeHang,
        Links,
        "200",
        "the links that need no cluster; the others say the cluster did not answer",
        &[
            "apm=ok",
            "pod=error",
            "vault=error",
            "iaac=error",
            "The cluster did not answer within 900 ms (LINKS_TIMEOUT_SECONDS)",
        ],
        LINKS_BUDGET,
    ),
    row(
        KubeHang,
        Ready,
        "503",
        "not ready: no answer",
        &[r#""ready":false"#, "did not answer on cluster 'demo' within KUBE_TIMEOUT_SECONDS"],
        KUBE_CALL,
    ),
    row(
        KubeHang,
        SecretsList,
        "200",
        "empty lists, `status: timeout`",
        &[
            r#""status":"timeout""#,
            "The cluster did not answer listing secrets within 1 s (KUBE_TIMEOUT_SECONDS)",
        ],
        KUBE_CALL,
    ),
    row(
        KubeHang,
        SecretsAdd,
        "502",
        "nothing written: no answer",
        &[
            "Nothing was written",
            "The cluster did not answer reading secret ghcr-octo in kube-system within KUBE_TIMEOUT_SECONDS",
        ],
        KUBE_CALL,
    ),
    row(
        KubeHang,
        Warm,
        "error",
        "a failed run: the cluster did not answer",
        &[
            r#""demo": "The cluster did not answer listing Applications within KUBE_TIMEOUT_SECONDS"#,
        ],
        KUBE_CALL,
    ),
    row(
        KubeReset,
        Links,
        "200",
        "the links that need no cluster; the others say the connection closed",
        &[
            "apm=ok",
            "pod=error",
            "vault=error",
            "iaac=error",
            "the connection was closed before an answer",
        ],
        QUICK,
    ),
    row(
        KubeReset,
        Ready,
        "503",
        "not ready: the connection closed",
        &[
            r#""ready":false"#,
            "the connection was closed before an answer",
        ],
        QUICK,
    ),
    row(
        KubeReset,
        SecretsList,
        "200",
        "empty lists, `status: cluster_unreachable`",
        &[
            r#""status":"cluster_unreachable""#,
            "Cannot connect to cluster",
        ],
        QUICK,
    ),
    row(
        KubeReset,
        SecretsAdd,
        "502",
        "nothing written: the connection closed",
        &[
            "Nothing was written",
            "the connection was closed before an answer",
        ],
        QUICK,
    ),
    row(
        KubeReset,
        Warm,
        "error",
        "a failed run: the connection closed",
        &["the connection was closed before an answer"],
        QUICK,
    ),
    row(
        KubeForbidden,
        Links,
        "200",
        "every link but Pods, which names the RBAC manifest to apply",
        &[
            "apm=ok",
            "vault=ok",
            "iaac=ok",
            "pod=error",
            "forbidden (HTTP 403)",
            "apply shared/rbac/links-reader.yaml",
        ],
        QUICK,
    ),
    row(
        KubeForbidden,
        SecretsList,
        "200",
        "empty lists, `status: cluster_unreachable`, the refusal quoted",
        &[r#""status":"cluster_unreachable""#, "(HTTP 403)"],
        QUICK,
    ),
    row(
        KubeForbidden,
        SecretsAdd,
        "409",
        "nothing written anywhere: the dry run every write starts with names the refused namespace",
        &[
            "The cluster refused to write secret ghcr-octo in: kube-system",
            "(HTTP 403)",
            "Nothing was written anywhere",
        ],
        QUICK,
    ),
    row(
        KubeForbidden,
        Warm,
        "error",
        "a failed run naming the RBAC manifest to apply",
        &["apply shared/rbac/links-reader.yaml"],
        QUICK,
    ),
    row(
        StoreError,
        Clusters,
        "502",
        "AWS's refusal, so the policy can be fixed",
        &["AccessDeniedException"],
        QUICK,
    ),
    row(
        StoreError,
        Links,
        "200",
        "the links that need no cluster; the others quote AWS's refusal",
        &["apm=ok", "pod=error", "AccessDeniedException"],
        QUICK,
    ),
    row(
        StoreError,
        Ready,
        "503",
        "not ready: AWS's refusal",
        &[r#""ready":false"#, "AccessDeniedException"],
        QUICK,
    ),
    row(
        StoreError,
        SecretsList,
        "502",
        "AWS's refusal",
        &["AccessDeniedException"],
        QUICK,
    ),
    row(
        StoreError,
        SecretsAdd,
        "502",
        "nothing written: AWS's refusal",
        &["AccessDeniedException", "Nothing was written anywhere"],
        QUICK,
    ),
    row(
        StoreError,
        Warm,
        "error",
        "a failed run: AWS's refusal",
        &["AccessDeniedException"],
        QUICK,
    ),
    row(
        StoreSlow,
        Clusters,
        "200",
        "the clusters",
        &[r#""clusters":["demo"]"#],
        QUICK,
    ),
    row(
        StoreSlow,
        Links,
        "200",
        "every link",
        &[POD, "pod=ok", "vault=ok", "iaac=ok"],
        bound("0.9 s: `LINKS_TIMEOUT_SECONDS`", 900),
    ),
    row(
        StoreSlow,
        Ready,
        "200",
        "ready",
        &[r#""ready":true"#],
        ONE_S,
    ),
    row(
        StoreSlow,
        SecretsList,
        "200",
        "every list",
        &[r#""status":"success""#],
        ONE_S,
    ),
    row(
        StoreSlow,
        SecretsAdd,
        "200",
        "written everywhere",
        &["created successfully in 3 namespace(s)"],
        ONE_S,
    ),
    row(
        StoreSlow,
        Warm,
        "report",
        "every app warmed",
        &[r#""written":5"#],
        bound("1.5 s", 1500),
    ),
    row(
        StoreSilent,
        Clusters,
        "502",
        "the store did not answer, and the setting that bounds it",
        &["did not answer within 1 s (KUBE_TIMEOUT_SECONDS)"],
        KUBE_CALL,
    ),
    row(
        StoreSilent,
        Links,
        "200",
        "the links that need no cluster; the others say the store did not answer",
        &[
            "apm=ok",
            "pod=error",
            "The kubeconfig store did not answer within 900 ms (LINKS_TIMEOUT_SECONDS)",
        ],
        LINKS_BUDGET,
    ),
    row(
        StoreSilent,
        Ready,
        "503",
        "not ready: the store did not answer",
        &[r#""ready":false"#, "did not answer within 1 s"],
        READY,
    ),
    row(
        StoreSilent,
        SecretsList,
        "502",
        "the store did not answer",
        &["did not answer within 1 s (KUBE_TIMEOUT_SECONDS)"],
        KUBE_CALL,
    ),
    row(
        StoreSilent,
        SecretsAdd,
        "502",
        "nothing written: the store did not answer",
        &["did not answer within 1 s", "Nothing was written anywhere"],
        KUBE_CALL,
    ),
    row(
        StoreSilent,
        Warm,
        "error",
        "a failed run: the store did not answer",
        &["did not answer within 1 s"],
        KUBE_CALL,
    ),
    row(
        StoreGarbled,
        Clusters,
        "502",
        "the answer could not be read; none of it quoted",
        &["answer could not be read"],
        QUICK,
    ),
    row(
        StoreGarbled,
        Links,
        "200",
        "the links that need no cluster; the others say the store's answer could not be read",
        &["apm=ok", "pod=error", "answer could not be read"],
        QUICK,
    ),
    row(
        StoreGarbled,
        SecretsAdd,
        "502",
        "nothing written: the answer could not be read",
        &["answer could not be read", "Nothing was written anywhere"],
        QUICK,
    ),
    row(
        ClusterGoneBeforeWrite,
        SecretsAdd,
        "502",
        "each namespace failed and says to check whether it was written; none was",
        &[
            "written in 0 of 3 namespaces",
            "list the secrets to see whether it was written",
        ],
        ONE_S,
    ),
    row(
        ClusterGoneAfterWrite,
        SecretsAdd,
        "502",
        "each namespace says to check whether it was written; all were",
        &["list the secrets to see whether it was written"],
        ONE_S,
    ),
];

/// What a row's call came back with, and anything found wrong beyond it.
struct Outcome {
    status: String,
    body: String,
    took: Duration,
    wrong: Vec<String>,
}

/// The secret the sample add event writes.
const ADDED: &str = "ghcr-octo";

/// Whether the cluster holds exactly what a secrets-add answer says was written: each namespace whose
/// result is a success has the secret, each failure none — but a failure that says to check whether it was
/// written (no answer came), which holds it exactly when `unanswered_held` says — and where that is given,
/// every result must be such a failure; an answer without results wrote nothing.
fn written_as_said(emulator: &Emulator, body: &str, unanswered_held: Option<bool>) -> Vec<String> {
    let held = |ns: &str| emulator.object("", "v1", "secrets", ns, ADDED).is_some();
    let answer: Value = serde_json::from_str(body).unwrap_or_default();
    match answer["results"].as_array() {
        Some(results) => results
            .iter()
            .filter_map(|r| {
                let ns = r["namespace"].as_str().unwrap_or_default();
                let unanswered = r["result"]["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("see whether it was written"));
                if unanswered_held.is_some() && !unanswered {
                    return Some(format!(
                        "{ns}: does not say to check whether it was written"
                    ));
                }
                let expected = match unanswered {
                    true => unanswered_held?,
                    false => r["result"]["success"] == true,
                };
                (expected != held(ns))
                    .then(|| format!("{ns}: expected held={expected}, holds={}", held(ns)))
            })
            .collect(),
        None => emulator
            .objects("", "v1", "secrets")
            .iter()
            .filter(|s| s["metadata"]["name"] == ADDED)
            .map(|s| {
                format!(
                    "{} written, though the answer has no results",
                    s["metadata"]["namespace"]
                )
            })
            .collect(),
    }
}

/// The real servers every row shares: moto (Secrets Manager) behind a fault proxy the functions' AWS
/// settings point at.
struct Shared {
    moto: Moto,
    store: FaultProxy,
}

impl Shared {
    async fn start() -> Self {
        let moto = Moto::start();
        let store = FaultProxy::start(moto.addr()).await;
        // The one test that runs rows sets these before any function reads them; the other test in this
        // binary reads only GLUELINKS_WRITE_README, which nothing sets.
        std::env::set_var("AWS_ENDPOINT_URL", store.url("http"));
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_REGION", "us-east-1");
        Self { moto, store }
    }

    /// Stores `kubeconfig` as cluster `demo` under a prefix of its own, straight into moto.
    async fn store_kubeconfig(&self, prefix: &str, kubeconfig: String) {
        self.moto
            .secrets_manager()
            .create_secret()
            .name(format!("{prefix}demo"))
            .secret_string(kubeconfig)
            .send()
            .await
            .expect("moto stores the kubeconfig");
    }
}

/// Runs one row: a fresh cluster, Valkey and kubeconfig secret, the function built from its environment,
/// the fault injected, and the function called once.
async fn run(shared: &Shared, index: usize, row: &Row) -> Outcome {
    let emulator = Emulator::start().await;
    demo::seed(&emulator);
    let valkey = Valkey::start();
    let valkey_proxy = FaultProxy::start(valkey.addr()).await;
    let prefix = format!("faults/row{index}/");
    shared
        .store_kubeconfig(&prefix, emulator.kubeconfig("demo"))
        .await;
    shared.store.set(Mode::Pass).await;
    let valkey_url = valkey_proxy.url("redis");
    let stack = [
        ("VALKEY_URL", valkey_url.as_str()),
        ("CLUSTER_SECRET_PREFIX", &prefix),
        ("SECRETS_LIST_CLUSTER_SECRET_PREFIX", &prefix),
        ("SECRETS_ADD_CLUSTER_SECRET_PREFIX", &prefix),
    ];
    let env = env_of(&[SAMPLE_TOKEN_SETTINGS, &stack, SETTINGS]);

    // Built before the fault, as a container that was running; for the Valkey rows it has also served
    // once, so its Valkey connection is open when the fault strikes.
    let function = Built::new(row.function, &env).await;
    if matches!(row.fault, ValkeyStopped | ValkeySlow | ValkeyReset) {
        function.call().await;
    }

    match row.fault {
        Everything => {
            valkey_proxy.set(Mode::Stopped).await;
            emulator.add_fault(Matcher::default(), Fault::Status(500));
            shared.store.set(Mode::Silent).await;
        }
        ValkeyStopped => valkey_proxy.set(Mode::Stopped).await,
        ValkeySlow => valkey_proxy.set(Mode::Slow(SLOW_VALKEY)).await,
        ValkeyReset => valkey_proxy.set(Mode::ResetMidRequest).await,
        KubeSlow => emulator.set_latency(SLOW_KUBE),
        Kube500 => emulator.add_fault(Matcher::default(), Fault::Status(500)),
        KubeHang => emulator.add_fault(Matcher::default(), Fault::Hang(Duration::from_secs(30))),
        KubeReset => emulator.add_fault(Matcher::default(), Fault::Reset),
        KubeForbidden => {
            let resource = match row.function {
                SecretsList | SecretsAdd => "secrets",
                _ => "pods",
            };
            let matcher = Matcher {
                resource: Some(resource),
                // The writer's check reads pass; its writes in one namespace are refused, dry runs too.
                method: (row.function == SecretsAdd).then_some("POST"),
                namespace: (row.function == SecretsAdd).then(|| "kube-system".to_string()),
                dry_run: None,
            };
            emulator.add_fault(matcher, Fault::Forbidden);
        }
        StoreError => {
            shared
                .store
                .set(Mode::Answer(
                    400,
                    r#"{"__type":"AccessDeniedException","message":"injected by the test's fault proxy"}"#.into(),
                ))
                .await
        }
        StoreSlow => shared.store.set(Mode::Slow(SLOW_STORE)).await,
        StoreSilent => shared.store.set(Mode::Silent).await,
        StoreGarbled => {
            // A kubeconfig cut off mid-answer: the function must quote none of it.
            let kubeconfig = serde_json::to_string(&emulator.kubeconfig("demo")).unwrap();
            let token_end = kubeconfig.find(emulator.token()).unwrap() + emulator.token().len();
            let cut = format!(
                r#"{{"Name":"{prefix}demo","SecretString":{}"#,
                &kubeconfig[..token_end + 1]
            );
            shared.store.set(Mode::Answer(200, cut)).await
        }
        ClusterGoneBeforeWrite | ClusterGoneAfterWrite => {
            let fault = match row.fault {
                ClusterGoneBeforeWrite => Fault::Reset,
                _ => Fault::ResetAfterApply,
            };
            // After the dry runs every write starts with: the real writes.
            for method in ["POST", "PUT"] {
                let writes = Matcher {
                    method: Some(method),
                    dry_run: Some(false),
                    ..Matcher::default()
                };
                emulator.add_fault(writes, fault.clone());
            }
        }
    }

    let started = Instant::now();
    let (status, body) = function.call().await;
    let took = started.elapsed();
    shared.store.set(Mode::Pass).await;
    let mut wrong = match row.function {
        SecretsAdd => {
            let unanswered_held = match row.fault {
                ClusterGoneBeforeWrite => Some(false),
                ClusterGoneAfterWrite => Some(true),
                _ => None,
            };
            written_as_said(&emulator, &body, unanswered_held)
        }
        _ => Vec::new(),
    };
    if body.contains(emulator.token()) {
        wrong.push("the answer quotes the kubeconfig's token".into());
    }
    Outcome {
        status,
        body,
        took,
        wrong,
    }
}

/// A function, built from its environment.
enum Built {
    Health(health::Health),
    Fixtures(fixtures::Fixtures),
    Clusters(clusters::Clusters),
    Links(links::Links),
    Ready(links::Links),
    SecretsList(secrets_list::SecretsList),
    SecretsAdd(secrets_add::SecretsAdd),
    Warm(warm::Warm),
}

impl Built {
    async fn new(function: Function, env: &Env) -> Self {
        match function {
            Health => Self::Health(health::Health::from_env(env).unwrap()),
            Fixtures => Self::Fixtures(fixtures::Fixtures::from_env(env).unwrap()),
            Clusters => Self::Clusters(clusters::Clusters::from_env(env).await.unwrap()),
            Links => Self::Links(links::Links::from_env(env).await.unwrap()),
            Ready => Self::Ready(links::Links::from_env(env).await.unwrap()),
            SecretsList => {
                Self::SecretsList(secrets_list::SecretsList::from_env(env).await.unwrap())
            }
            SecretsAdd => Self::SecretsAdd(secrets_add::SecretsAdd::from_env(env).await.unwrap()),
            Warm => Self::Warm(warm::Warm::from_env(env).await.unwrap()),
        }
    }

    /// Its sample event: the status (`report` or `error` for the warm run) and the body.
    async fn call(&self) -> (String, String) {
        match self {
            Self::Health(f) => http(f, "health-api-v1-health.json").await,
            Self::Fixtures(f) => http(f, "fixtures-all-ok.json").await,
            Self::Clusters(f) => http(f, "clusters-list.json").await,
            Self::Links(f) => {
                let (status, body) = http(f, "links-application.json").await;
                let summary = categories(&body);
                (status, format!("{body}\n{summary}"))
            }
            Self::Ready(f) => http(f, "links-ready.json").await,
            Self::SecretsList(f) => http(f, "secrets-list-demo.json").await,
            Self::SecretsAdd(f) => http(f, "secrets-add-docker.json").await,
            Self::Warm(f) => match f.handle(scheduled()).await {
                Ok(report) => (
                    "report".to_string(),
                    serde_json::to_string(&report).unwrap(),
                ),
                Err(e) => ("error".to_string(), e.to_string()),
            },
        }
    }
}

/// A links answer's categories and their states, `apm=ok pod=error …`: what the rows assert of them.
fn categories(body: &str) -> String {
    let answer: Value = serde_json::from_str(body).unwrap_or_default();
    let states: Vec<String> = answer["categories"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            format!(
                "{}={}",
                c["id"].as_str().unwrap_or("?"),
                c["status"].as_str().unwrap_or("?")
            )
        })
        .collect();
    states.join(" ")
}

/// Calls a handler (through the OpenAPI check) with a sample event.
async fn http<F: Checked>(function: &F, event_name: &str) -> (String, String) {
    let response = function.handle_checked(event(event_name)).await;
    let body = match response.body() {
        lambda_http::Body::Text(t) => t.clone(),
        lambda_http::Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        lambda_http::Body::Empty => String::new(),
        _ => String::new(),
    };
    (response.status().as_u16().to_string(), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_under_every_fault() {
    install_crypto();
    let shared = Shared::start().await;
    let mut broken = Vec::new();
    for (index, row) in ROWS.iter().enumerate() {
        // A panic (an answer the OpenAPI document does not allow) is that row's failure, not the suite's.
        let outcome = match AssertUnwindSafe(run(&shared, index, row))
            .catch_unwind()
            .await
        {
            Ok(outcome) => outcome,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                broken.push(format!(
                    "{:?} / {:?}: panicked: {message}",
                    row.fault, row.function
                ));
                shared.store.set(Mode::Pass).await;
                continue;
            }
        };
        let mut wrong = outcome.wrong;
        if outcome.status != row.status {
            wrong.push(format!(
                "status {} (expected {})",
                outcome.status, row.status
            ));
        }
        for said in row.says {
            if !outcome.body.contains(said) {
                wrong.push(format!("body lacks {said:?}"));
            }
        }
        if outcome.took > Duration::from_millis(row.within.ms) {
            wrong.push(format!(
                "took {:?} (bound {} ms)",
                outcome.took, row.within.ms
            ));
        }
        if !wrong.is_empty() {
            broken.push(format!(
                "{:?} / {:?}: {}\n    body: {}",
                row.fault,
                row.function,
                wrong.join("; "),
                outcome.body.chars().take(1500).collect::<String>()
            ));
        }
    }
    assert!(
        broken.is_empty(),
        "{} rows broken:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

/// The README's table, as these rows render it.
fn table() -> String {
    let settings: Vec<String> = SETTINGS.iter().map(|(k, v)| format!("`{k}={v}`")).collect();
    let mut out = format!(
        "| fault | function | status | what the user sees | the body carries | within (as tested: {}) |\n|---|---|---|---|---|---|\n",
        settings.join(", ")
    );
    for row in ROWS {
        let says: Vec<String> = row
            .says
            .iter()
            .map(|s| format!("`{}`", s.replace('|', "\\|")))
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.fault.describe(),
            row.function.describe(),
            row.status,
            row.sees,
            says.join(", "),
            row.within.text
        ));
    }
    out
}

const BEGIN: &str = "<!-- fault table: rendered from tests/tests/faults.rs; GLUELINKS_WRITE_README=1 rewrites it -->\n";
const END: &str = "<!-- end of fault table -->";

#[test]
fn the_readme_table_is_the_tested_one() {
    let path = repo_root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (before, rest) = readme
        .split_once(BEGIN)
        .expect("README has the fault table's start marker");
    let (current, after) = rest
        .split_once(END)
        .expect("README has the fault table's end marker");
    let expected = table();
    if current != expected && std::env::var_os("GLUELINKS_WRITE_README").is_some() {
        std::fs::write(&path, format!("{before}{BEGIN}{expected}{END}{after}")).unwrap();
        return;
    }
    assert_eq!(
        current, expected,
        "README's fault table differs from the tested rows; GLUELINKS_WRITE_README=1 cargo test -p gluelinks-tests --test faults rewrites it"
    );
}

//! The cluster emulator speaks the Kubernetes API: the real `kubectl` and the kube client both use it,
//! through the project's own kubeconfig store and client pool.

use gluelinks_clusters::pool::{ClusterClients, ClusterError};
use gluelinks_clusters::store::{DirStore, Store};
use gluelinks_tests::emulator::{demo, Emulator, Fault, Matcher, Options};
use gluelinks_tests::{kubectls, shipped_rbac, temp_dir};
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{ListParams, PostParams};
use kube::Api;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

fn install_crypto() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

async fn run_kubectl(kubectl: &Path, kubeconfig: &Path, args: &[&str]) -> (bool, String) {
    let mut command = std::process::Command::new(kubectl);
    command.arg("--kubeconfig").arg(kubeconfig).args(args);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("kubectl runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_kubectl_gets_creates_and_deletes() {
    for kubectl in kubectls() {
        kubectl_round_trip(&kubectl).await;
    }
}

async fn kubectl_round_trip(kubectl: &Path) {
    let emulator = Emulator::start().await;
    demo::seed(&emulator);
    let dir = temp_dir("kubectl");
    let kubeconfig = emulator.write_kubeconfig(&dir, "demo");

    let (ok, out) = run_kubectl(kubectl, &kubeconfig, &["get", "secrets", "-n", "argocd"]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("github-org-creds") && out.contains("bitnami-helm"),
        "{out}"
    );

    let (ok, out) = run_kubectl(
        kubectl,
        &kubeconfig,
        &[
            "get",
            "secrets",
            "-A",
            "-l",
            "argocd.argoproj.io/secret-type=repo-creds",
            "-o",
            "name",
        ],
    )
    .await;
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "secret/github-org-creds");

    let (ok, out) = run_kubectl(
        kubectl,
        &kubeconfig,
        &[
            "get",
            "secrets",
            "-A",
            "--field-selector",
            "type=kubernetes.io/dockerconfigjson",
            "-o",
            "name",
        ],
    )
    .await;
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "secret/ghcr-pull");

    let (ok, out) = run_kubectl(
        kubectl,
        &kubeconfig,
        &[
            "get",
            "applications",
            "-n",
            "glueops-core",
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ],
    )
    .await;
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "taco-backend-prod");

    // A server-side dry run is checked as a write and stored nowhere.
    let (ok, out) = run_kubectl(
        kubectl,
        &kubeconfig,
        &[
            "create",
            "secret",
            "generic",
            "dry-one",
            "-n",
            "default",
            "--from-literal=a=b",
            "--dry-run=server",
        ],
    )
    .await;
    assert!(ok && out.contains("(server dry run)"), "{out}");
    assert!(emulator
        .object("", "v1", "secrets", "default", "dry-one")
        .is_none());

    let (ok, out) = run_kubectl(
        kubectl,
        &kubeconfig,
        &[
            "create",
            "secret",
            "docker-registry",
            "regcred",
            "-n",
            "default",
            "--docker-server=ghcr.io",
            "--docker-username=octo",
            "--docker-password=pat-123",
        ],
    )
    .await;
    assert!(ok, "{out}");
    let stored = emulator
        .object("", "v1", "secrets", "default", "regcred")
        .expect("created");
    assert_eq!(stored["type"], "kubernetes.io/dockerconfigjson");
    assert!(stored["data"][".dockerconfigjson"].is_string());

    let (ok, out) = run_kubectl(
        kubectl,
        &kubeconfig,
        &[
            "create",
            "secret",
            "generic",
            "regcred",
            "-n",
            "default",
            "--from-literal=a=b",
        ],
    )
    .await;
    assert!(!ok && out.contains("already exists"), "{out}");

    let (ok, out) = run_kubectl(
        kubectl,
        &kubeconfig,
        &["delete", "secret", "regcred", "-n", "default"],
    )
    .await;
    assert!(ok, "{out}");
    assert!(emulator
        .object("", "v1", "secrets", "default", "regcred")
        .is_none());

    let (ok, out) = run_kubectl(
        kubectl,
        &kubeconfig,
        &["get", "secret", "regcred", "-n", "default"],
    )
    .await;
    assert!(!ok && out.contains("NotFound"), "{out}");

    // Lists page by page: kubectl reads in chunks with `limit` and `continue` and gets every pod.
    let (ok, out) = run_kubectl(
        kubectl,
        &kubeconfig,
        &["get", "pods", "-A", "--chunk-size=2", "-o", "name"],
    )
    .await;
    assert!(ok, "{out}");
    let all = emulator.objects("", "v1", "pods").len();
    assert!(all > 4, "enough pods for several pages");
    assert_eq!(out.lines().count(), all, "{out}");

    // The workload kinds and Argo Rollouts are served; External Secrets in the versions installed.
    let (ok, out) = run_kubectl(
        kubectl,
        &kubeconfig,
        &[
            "get",
            "rollouts,statefulsets,daemonsets",
            "-A",
            "-o",
            "name",
        ],
    )
    .await;
    assert!(ok, "{out}");
    for name in [
        "rollout.argoproj.io/checkout",
        "statefulset.apps/ledger-db",
        "daemonset.apps/node-agent",
    ] {
        assert!(out.lines().any(|l| l == name), "{name}: {out}");
    }
    emulator.serve_external_secrets(&["v1beta1"]);
    let (ok, out) = run_kubectl(kubectl, &kubeconfig, &["api-versions"]).await;
    assert!(ok, "{out}");
    assert!(
        out.lines().any(|l| l == "external-secrets.io/v1beta1"),
        "{out}"
    );
    assert!(!out.lines().any(|l| l == "external-secrets.io/v1"), "{out}");
    let (ok, out) = run_kubectl(
        kubectl,
        &kubeconfig,
        &[
            "get",
            "externalsecrets.v1beta1.external-secrets.io",
            "-n",
            "shop",
            "-o",
            "jsonpath={.items[*].apiVersion}",
        ],
    )
    .await;
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "external-secrets.io/v1beta1");
    emulator.serve_external_secrets(&["v1"]);
}

fn pool(dir: &Path) -> ClusterClients {
    install_crypto();
    ClusterClients::new(Store::Dir(DirStore::new(dir)), Duration::from_secs(2))
}

#[tokio::test]
async fn kube_client_sees_api_semantics() {
    let emulator = Emulator::start().await;
    demo::seed(&emulator);
    let dir = temp_dir("semantics");
    emulator.write_kubeconfig(&dir, "demo");
    let clients = pool(&dir);
    let client = clients.client("demo").await.unwrap();

    let secrets: Api<Secret> = Api::all(client.clone());
    let listed = secrets
        .list(
            &ListParams::default()
                .labels("argocd.argoproj.io/secret-type in (repo-creds,repository)"),
        )
        .await
        .unwrap();
    let mut names: Vec<_> = listed
        .items
        .iter()
        .filter_map(|s| s.metadata.name.clone())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["bitnami-helm", "github-org-creds", "repo-3598127365"]
    );

    // Metadata only, as a real API server answers `as=PartialObjectMetadataList`: no data, no type.
    let pulls = secrets
        .list_metadata(
            &ListParams::default()
                .labels("jjo.finance/secret-type=docker-creds")
                .fields("type=kubernetes.io/dockerconfigjson"),
        )
        .await
        .unwrap();
    let names: Vec<_> = pulls
        .items
        .iter()
        .filter_map(|s| s.metadata.name.clone())
        .collect();
    assert_eq!(names, ["ghcr-pull"]);
    let opaque = secrets
        .list_metadata(&ListParams::default().fields("type=Opaque"))
        .await
        .unwrap();
    assert_eq!(opaque.items.len(), 3, "the Opaque secrets only");
    let one = Api::<Secret>::namespaced(client.clone(), "default")
        .get_metadata("ghcr-pull")
        .await
        .unwrap();
    assert_eq!(one.metadata.name.as_deref(), Some("ghcr-pull"));
    for (accept, path, kind) in [
        (
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
            "/api/v1/secrets?labelSelector=jjo.finance%2Fsecret-type%3Ddocker-creds",
            "PartialObjectMetadataList",
        ),
        (
            "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
            "/api/v1/namespaces/default/secrets/ghcr-pull",
            "PartialObjectMetadata",
        ),
    ] {
        let request = hyper::Request::get(path)
            .header("accept", accept)
            .body(Vec::new())
            .unwrap();
        let raw: serde_json::Value =
            serde_json::from_str(&client.request_text(request).await.unwrap()).unwrap();
        assert_eq!(
            (raw["kind"].as_str(), raw["apiVersion"].as_str()),
            (Some(kind), Some("meta.k8s.io/v1"))
        );
        let objects = raw["items"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| vec![raw.clone()]);
        for object in objects {
            let mut fields: Vec<_> = object.as_object().unwrap().keys().cloned().collect();
            fields.sort();
            assert_eq!(fields, ["apiVersion", "kind", "metadata"], "{object}");
            assert_eq!(object["kind"], "PartialObjectMetadata");
        }
    }
    let table_only = hyper::Request::get("/api/v1/namespaces/default/secrets/ghcr-pull")
        .header(
            "accept",
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
        )
        .body(Vec::new())
        .unwrap();
    let refused = client.request_text(table_only).await.unwrap_err();
    assert!(
        matches!(&refused, kube::Error::Api(s) if s.code == 406),
        "a list form for one object: {refused:?}"
    );
    let bad_field = secrets
        .list(&ListParams::default().fields("spec.nodeName=x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&bad_field, kube::Error::Api(s) if s.code == 400 && s.message == "field label not supported: spec.nodeName"),
        "{bad_field:?}"
    );

    let pods: Api<Pod> = Api::namespaced(client.clone(), "nonprod");
    let by_field = pods
        .list(&ListParams::default().fields("metadata.name=taco-backend-prod-677bfb55b7-942nr"))
        .await
        .unwrap();
    assert_eq!(by_field.items.len(), 1);

    let argocd: Api<Secret> = Api::namespaced(client.clone(), "argocd");
    let missing = argocd.get("nope").await.unwrap_err();
    assert!(
        matches!(&missing, kube::Error::Api(s) if s.code == 404 && s.reason == "NotFound"),
        "{missing:?}"
    );

    let secret: Secret = serde_json::from_value(
        json!({"metadata": {"name": "new-one"}, "stringData": {"password": "x"}}),
    )
    .unwrap();
    argocd
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let again = argocd
        .create(&PostParams::default(), &secret)
        .await
        .unwrap_err();
    assert!(
        matches!(&again, kube::Error::Api(s) if s.code == 409 && s.reason == "AlreadyExists"),
        "{again:?}"
    );

    let mut stale = argocd.get("new-one").await.unwrap();
    argocd
        .replace("new-one", &PostParams::default(), &stale)
        .await
        .unwrap();
    stale.metadata.labels = Some([("x".to_string(), "y".to_string())].into());
    let conflict = argocd
        .replace("new-one", &PostParams::default(), &stale)
        .await
        .unwrap_err();
    assert!(
        matches!(&conflict, kube::Error::Api(s) if s.code == 409 && s.reason == "Conflict"),
        "{conflict:?}"
    );

    // Without a token the emulator answers 401 with a Status body.
    let anonymous = emulator
        .kubeconfig("demo")
        .replace(&format!("token: {}", emulator.token()), "token: wrong");
    std::fs::write(dir.join("anon.kubeconfig"), anonymous).unwrap();
    let anon: Api<Secret> = Api::all(clients.client("anon").await.unwrap());
    let denied = anon.list(&ListParams::default()).await.unwrap_err();
    assert!(
        matches!(&denied, kube::Error::Api(s) if s.code == 401),
        "{denied:?}"
    );

    // A missing CRD is a 404 for its resources.
    emulator.set_external_secrets_installed(false);
    let es = kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
        "external-secrets.io",
        "v1",
        "ExternalSecret",
    ));
    let external: Api<kube::api::DynamicObject> = Api::namespaced_with(client, "nonprod", &es);
    let absent = external.list(&ListParams::default()).await.unwrap_err();
    assert!(
        matches!(&absent, kube::Error::Api(s) if s.code == 404),
        "{absent:?}"
    );
}

#[tokio::test]
async fn clients_are_built_once_and_every_auth_kind_works() {
    let tls = Emulator::start().await;
    let plain = Emulator::start_with(Options {
        tls: false,
        ..Options::default()
    })
    .await;
    for emulator in [&tls, &plain] {
        demo::seed(emulator);
    }
    let dir = temp_dir("auth-kinds");
    tls.write_kubeconfig(&dir, "token");
    std::fs::write(
        dir.join("cert.kubeconfig"),
        tls.kubeconfig_with_client_cert("cert", "cert-user"),
    )
    .unwrap();
    plain.write_kubeconfig(&dir, "plain");
    let clients = pool(&dir);
    for cluster in ["token", "cert", "plain"] {
        let pods: Api<Pod> = Api::namespaced(clients.client(cluster).await.unwrap(), "payments");
        assert_eq!(
            pods.list(&ListParams::default()).await.unwrap().items.len(),
            1,
            "{cluster}"
        );
    }
    assert!(tls
        .requests()
        .iter()
        .any(|r| r.user.as_deref() == Some("cert-user")));

    // Reused: the second call neither reads the store nor builds anew.
    std::fs::remove_file(dir.join("token.kubeconfig")).unwrap();
    assert!(clients.client("token").await.is_ok());
}

#[tokio::test]
async fn a_broken_kubeconfig_fails_alone_with_a_clear_message() {
    let emulator = Emulator::start().await;
    let dir = temp_dir("broken");
    emulator.write_kubeconfig(&dir, "good");
    let good = emulator.kubeconfig("x");
    let cases = [
        (
            "not-yaml",
            "{{{ this is : not : yaml".to_string(),
            "not a valid kubeconfig",
        ),
        (
            "no-context",
            good.replace("current-context: x\n", ""),
            "no current-context",
        ),
        (
            "no-user",
            good.replace("user: x-user", "user: ghost"),
            "names user 'ghost'",
        ),
    ];
    for (name, text, _) in &cases {
        std::fs::write(dir.join(format!("{name}.kubeconfig")), text).unwrap();
    }
    let clients = pool(&dir);
    for (name, _, expected) in cases {
        let Err(err) = clients.client(name).await else {
            panic!("{name} built a client")
        };
        assert!(
            matches!(err, ClusterError::Kubeconfig { .. }),
            "{name}: {err:?}"
        );
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("Cluster '{name}' has an unusable kubeconfig")),
            "{message}"
        );
        assert!(message.contains(expected), "{message}");
        assert!(
            !message.contains(emulator.token()),
            "the message leaks the token: {message}"
        );
    }
    assert!(clients.client("good").await.is_ok());
    assert!(matches!(
        clients.client("../good").await,
        Err(ClusterError::Store(_))
    ));
}

#[tokio::test]
async fn faults_latency_and_timeouts() {
    let emulator = Emulator::start().await;
    demo::seed(&emulator);
    let dir = temp_dir("faults");
    emulator.write_kubeconfig(&dir, "demo");
    let clients = pool(&dir);
    let pods: Api<Pod> = Api::namespaced(clients.client("demo").await.unwrap(), "nonprod");

    emulator.set_latency(Duration::from_millis(100));
    let started = Instant::now();
    pods.list(&ListParams::default()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
    emulator.set_latency(Duration::ZERO);

    emulator.add_fault(
        Matcher::resource("pods"),
        Fault::Hang(Duration::from_secs(30)),
    );
    let started = Instant::now();
    assert!(pods.list(&ListParams::default()).await.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the 2 s client timeout bounds a hang: {:?}",
        started.elapsed()
    );
    emulator.clear_faults();

    emulator.add_fault(Matcher::namespace("nonprod"), Fault::Forbidden);
    let forbidden = pods.list(&ListParams::default()).await.unwrap_err();
    assert!(
        matches!(&forbidden, kube::Error::Api(s) if s.code == 403 && s.reason == "Forbidden"),
        "{forbidden:?}"
    );
    let other: Api<Pod> = Api::namespaced(clients.client("demo").await.unwrap(), "payments");
    assert!(
        other.list(&ListParams::default()).await.is_ok(),
        "only the faulty namespace fails"
    );
    emulator.clear_faults();

    emulator.add_fault(Matcher::resource("pods"), Fault::Status(500));
    let failed = pods.list(&ListParams::default()).await.unwrap_err();
    assert!(
        matches!(&failed, kube::Error::Api(s) if s.code == 500),
        "{failed:?}"
    );
    emulator.clear_faults();

    emulator.add_fault(Matcher::resource("pods"), Fault::Reset);
    assert!(pods.list(&ListParams::default()).await.is_err());
    emulator.clear_faults();

    emulator.reset_requests();
    pods.list(&ListParams::default()).await.unwrap();
    assert_eq!(emulator.requests().len(), 1);
}

/// One call, as one identity, in the RBAC table below.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// List a resource in a namespace, or cluster-wide.
    List(&'static str, Option<&'static str>),
    Get(&'static str, &'static str, &'static str),
    /// A repository secret labelled as GlueLinks' own.
    CreateSecret(&'static str),
    /// A secret without GlueLinks' label.
    CreateUnmarked(&'static str),
    UpdateSecret(&'static str, &'static str),
    PatchSecret(&'static str, &'static str),
    DeleteSecret(&'static str, &'static str),
}

fn resource(plural: &str) -> kube::api::ApiResource {
    let (group, version, kind) = match plural {
        "secrets" => ("", "v1", "Secret"),
        "pods" => ("", "v1", "Pod"),
        "deployments" => ("apps", "v1", "Deployment"),
        "statefulsets" => ("apps", "v1", "StatefulSet"),
        "daemonsets" => ("apps", "v1", "DaemonSet"),
        "rollouts" => ("argoproj.io", "v1alpha1", "Rollout"),
        "applications" => ("argoproj.io", "v1alpha1", "Application"),
        "externalsecrets" => ("external-secrets.io", "v1", "ExternalSecret"),
        other => panic!("no kind for {other}"),
    };
    kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(group, version, kind))
}

/// The HTTP status `op` gets: 200 when it succeeds.
async fn attempt(client: &kube::Client, emulator: &Emulator, op: Op) -> u16 {
    use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams};
    let api = |plural: &str, namespace: Option<&str>| match namespace {
        Some(ns) => Api::<DynamicObject>::namespaced_with(client.clone(), ns, &resource(plural)),
        None => Api::<DynamicObject>::all_with(client.clone(), &resource(plural)),
    };
    let pp = PostParams::default();
    let result = match op {
        Op::List(plural, ns) => api(plural, ns).list(&ListParams::default()).await.map(drop),
        Op::Get(plural, ns, name) => api(plural, Some(ns)).get(name).await.map(drop),
        Op::CreateSecret(ns) | Op::CreateUnmarked(ns) => {
            let labels = match op {
                Op::CreateSecret(_) => json!({"app.kubernetes.io/managed-by": "gluelinks",
                    "argocd.argoproj.io/secret-type": "repository"}),
                _ => json!({}),
            };
            let secret = serde_json::from_value(json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "rbac-probe", "labels": labels}, "stringData": {"a": "b"}}))
            .unwrap();
            api("secrets", Some(ns))
                .create(
                    &PostParams {
                        dry_run: true,
                        ..pp
                    },
                    &secret,
                )
                .await
                .map(drop)
        }
        Op::UpdateSecret(ns, name) => {
            let current = emulator.object("", "v1", "secrets", ns, name).unwrap();
            let current = serde_json::from_value(current).unwrap();
            api("secrets", Some(ns))
                .replace(name, &pp, &current)
                .await
                .map(drop)
        }
        Op::PatchSecret(ns, name) => {
            let patch = Patch::Merge(json!({"metadata": {"labels": {"patched": "yes"}}}));
            api("secrets", Some(ns))
                .patch(name, &PatchParams::default(), &patch)
                .await
                .map(drop)
        }
        Op::DeleteSecret(ns, name) => api("secrets", Some(ns))
            .delete(name, &DeleteParams::default())
            .await
            .map(drop),
    };
    match result {
        Ok(()) => 200,
        Err(kube::Error::Api(status)) => status.code,
        Err(other) => panic!("{op:?}: {other}"),
    }
}

#[tokio::test]
async fn shipped_rbac_grants_exactly_what_the_functions_use() {
    use Op::*;
    let emulator = Emulator::start().await;
    demo::seed(&emulator);
    emulator.enforce_manifests(&shipped_rbac());
    let dir = temp_dir("rbac");
    let identities = [
        ("reader", "links-bot", vec!["gluelinks"]),
        ("lister", "lister-bot", vec!["gluelinks-secrets-lister"]),
        ("writer", "writer-bot", vec!["gluelinks-secrets-writer"]),
        (
            "sa-lister",
            "system:serviceaccount:gluelinks:gluelinks-secrets-lister",
            vec![],
        ),
        (
            "sa-writer",
            "system:serviceaccount:gluelinks:gluelinks-secrets-writer",
            vec![],
        ),
        (
            "sa-reader",
            "system:serviceaccount:gluelinks:gluelinks-reader",
            vec![],
        ),
    ];
    for (name, user, groups) in &identities {
        let token = format!("{name}-token-0123456789");
        emulator.add_token(&token, user, groups);
        let kubeconfig = emulator.kubeconfig_with_token(name, &token);
        std::fs::write(dir.join(format!("{name}.kubeconfig")), kubeconfig).unwrap();
    }
    let clients = pool(&dir);
    let table: &[(&str, Op, u16)] = &[
        // Links and warm: what they call, and nothing else — no Secret at all.
        (
            "reader",
            Get("applications", "glueops-core", "taco-backend-prod"),
            200,
        ),
        ("reader", List("applications", None), 200),
        ("reader", List("deployments", Some("nonprod")), 200),
        ("reader", List("deployments", None), 200),
        ("reader", List("statefulsets", Some("ledger")), 200),
        ("reader", List("statefulsets", None), 200),
        ("reader", List("daemonsets", Some("monitoring")), 200),
        ("reader", List("daemonsets", None), 200),
        ("reader", List("rollouts", Some("shop")), 200),
        ("reader", List("rollouts", None), 200),
        ("reader", Get("rollouts", "shop", "checkout"), 403),
        ("reader", List("externalsecrets", Some("shop")), 200),
        ("reader", List("pods", Some("nonprod")), 200),
        ("reader", List("externalsecrets", None), 200),
        (
            "reader",
            Get("deployments", "nonprod", "taco-backend-prod"),
            403,
        ),
        (
            "reader",
            Get("pods", "payments", "billing-api-5d9c7f8b4-qq7nz"),
            403,
        ),
        ("reader", List("secrets", None), 403),
        ("reader", List("secrets", Some("argocd")), 403),
        ("reader", Get("secrets", "argocd", "github-org-creds"), 403),
        ("sa-reader", List("pods", None), 200),
        (
            "sa-reader",
            Get("secrets", "argocd", "github-org-creds"),
            403,
        ),
        // The lister lists secrets where credentials live (the Argo CD namespace by default), and cannot
        // list elsewhere, read one by name, write one, or read anything else.
        ("lister", List("secrets", Some("argocd")), 200),
        ("lister", List("secrets", None), 403),
        ("lister", List("secrets", Some("default")), 403),
        ("lister", Get("secrets", "argocd", "github-org-creds"), 403),
        ("lister", CreateSecret("argocd"), 403),
        ("lister", UpdateSecret("argocd", "bitnami-helm"), 403),
        ("lister", List("pods", None), 403),
        (
            "lister",
            Get("applications", "glueops-core", "taco-backend-prod"),
            403,
        ),
        // The writer gets, creates and updates in its bound namespaces only (the Argo CD namespace by
        // default), and lists nothing; the admission policy lets it write only GlueLinks' own secrets
        // (422: refused by the ValidatingAdmissionPolicy).
        ("writer", Get("secrets", "argocd", "github-org-creds"), 200),
        ("writer", CreateSecret("argocd"), 200),
        ("writer", CreateUnmarked("argocd"), 422),
        ("writer", UpdateSecret("argocd", "bitnami-helm"), 200),
        ("writer", UpdateSecret("argocd", "github-org-creds"), 422),
        ("writer", CreateSecret("default"), 403),
        ("writer", CreateSecret("kube-system"), 403),
        ("writer", Get("secrets", "payments", "anything"), 403),
        ("writer", List("secrets", None), 403),
        ("writer", List("secrets", Some("argocd")), 403),
        ("writer", PatchSecret("argocd", "bitnami-helm"), 403),
        ("writer", DeleteSecret("argocd", "bitnami-helm"), 403),
        ("writer", List("pods", None), 403),
        // Static kubeconfigs: each secrets function's service account has its own function's verbs only.
        ("sa-lister", List("secrets", Some("argocd")), 200),
        ("sa-lister", List("secrets", None), 403),
        ("sa-lister", CreateSecret("argocd"), 403),
        ("sa-lister", UpdateSecret("argocd", "bitnami-helm"), 403),
        ("sa-writer", UpdateSecret("argocd", "bitnami-helm"), 200),
        ("sa-writer", CreateUnmarked("argocd"), 422),
        ("sa-writer", List("secrets", None), 403),
        ("sa-writer", List("pods", None), 403),
    ];
    for (who, op, expected) in table {
        let client = clients.client(who).await.unwrap();
        assert_eq!(
            attempt(&client, &emulator, *op).await,
            *expected,
            "{who} {op:?}"
        );
    }
}

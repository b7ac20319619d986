//! The emulator speaks the Kubernetes API: the real `kubectl` gets, creates, deletes and reads in chunks
//! against it, and the kube client (through the project's own kubeconfig store and client pool) sees an API
//! server's semantics, every kind of user, and the latency and faults the tests inject.

use gluelinks_clusters::pool::ClusterClients;
use gluelinks_clusters::store::{DirStore, Store};
use gluelinks_emulator::project::{kubectls, temp_dir};
use gluelinks_emulator::{demo, install_crypto, Emulator, Fault, Matcher, Options};
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{ListParams, PostParams};
use kube::Api;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

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

/// A delete's options in its body, as kube-rs sends them: `dryRun` removes nothing, and `preconditions`
/// that no longer hold are a 409 Conflict; every write is recorded in `managedFields` with its time.
#[tokio::test]
async fn deletes_honour_their_options_and_writes_are_timed() {
    use kube::api::{DeleteParams, Preconditions};
    let emulator = Emulator::start().await;
    demo::seed(&emulator);
    let dir = temp_dir("delete-options");
    emulator.write_kubeconfig(&dir, "demo");
    let client = pool(&dir).client("demo").await.unwrap();
    let secrets: Api<Secret> = Api::namespaced(client, "default");
    let made: Secret = serde_json::from_value(json!({"metadata": {"name": "s"}})).unwrap();
    let made = secrets.create(&PostParams::default(), &made).await.unwrap();
    let fields = made.metadata.managed_fields.clone().unwrap_or_default();
    assert!(fields.iter().any(|f| f.time.is_some()), "{fields:?}");

    let dry = DeleteParams {
        dry_run: true,
        ..DeleteParams::default()
    };
    secrets.delete("s", &dry).await.unwrap();
    assert!(
        secrets.get_opt("s").await.unwrap().is_some(),
        "a dry run removed it"
    );
    let recorded = emulator.requests();
    assert!(recorded.iter().any(|r| r.method == "DELETE" && r.dry_run));

    let stale = DeleteParams {
        preconditions: Some(Preconditions {
            uid: Some("another-uid".into()),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match secrets.delete("s", &stale).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"))
        }
        other => panic!("{other:?}"),
    }
    let current = DeleteParams {
        preconditions: Some(Preconditions {
            uid: made.metadata.uid.clone(),
            resource_version: made.metadata.resource_version.clone(),
        }),
        ..DeleteParams::default()
    };
    secrets.delete("s", &current).await.unwrap();
    assert!(secrets.get_opt("s").await.unwrap().is_none());
}

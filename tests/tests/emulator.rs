//! The cluster emulator speaks the Kubernetes API: the real `kubectl` and the kube client both use it,
//! through the project's own kubeconfig store and client pool.

use gluelinks::clusters::pool::{ClusterClients, ClusterError};
use gluelinks::clusters::store::{DirStore, Store};
use gluelinks_tests::emulator::{demo, Emulator, Fault, Matcher, Options};
use gluelinks_tests::{kubectls, repo_root, temp_dir};
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
    assert_eq!(names, ["bitnami-helm", "github-org-creds"]);

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

#[tokio::test]
async fn shipped_rbac_grants_exactly_what_the_functions_use() {
    let emulator = Emulator::start().await;
    demo::seed(&emulator);
    let rbac = ["links-reader.yaml", "secrets-manager.yaml"]
        .map(|f| std::fs::read_to_string(repo_root().join("shared/rbac").join(f)).unwrap())
        .join("\n---\n");
    emulator.enforce_rbac(&rbac);
    emulator.add_token(
        "secrets-token-0123456789",
        "secrets-bot",
        &["gluelinks-secrets"],
    );
    let dir = temp_dir("rbac");
    emulator.write_kubeconfig(&dir, "reader");
    let writer = emulator
        .kubeconfig("writer")
        .replace(emulator.token(), "secrets-token-0123456789");
    std::fs::write(dir.join("writer.kubeconfig"), writer).unwrap();
    let clients = pool(&dir);
    let reader = clients.client("reader").await.unwrap();
    let writer = clients.client("writer").await.unwrap();

    let lp = ListParams::default();
    assert!(Api::<Pod>::all(reader.clone()).list(&lp).await.is_ok());
    let apps = kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
        "argoproj.io",
        "v1alpha1",
        "Application",
    ));
    assert!(
        Api::<kube::api::DynamicObject>::all_with(reader.clone(), &apps)
            .list(&lp)
            .await
            .is_ok()
    );
    let code = |e: kube::Error| match e {
        kube::Error::Api(s) => s.code,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        code(
            Api::<Secret>::all(reader.clone())
                .list(&lp)
                .await
                .unwrap_err()
        ),
        403,
        "the links identity reads no secrets"
    );

    assert!(Api::<Secret>::all(writer.clone()).list(&lp).await.is_ok());
    let secret: Secret =
        serde_json::from_value(json!({"metadata": {"name": "pull"}, "stringData": {"a": "b"}}))
            .unwrap();
    let pp = PostParams::default();
    assert!(Api::<Secret>::namespaced(writer.clone(), "argocd")
        .create(&pp, &secret)
        .await
        .is_ok());
    assert!(Api::<Secret>::namespaced(writer.clone(), "default")
        .create(&pp, &secret)
        .await
        .is_ok());
    assert_eq!(
        code(
            Api::<Secret>::namespaced(writer.clone(), "kube-system")
                .create(&pp, &secret)
                .await
                .unwrap_err()
        ),
        403
    );
    assert_eq!(
        code(Api::<Pod>::all(writer).list(&lp).await.unwrap_err()),
        403
    );
}

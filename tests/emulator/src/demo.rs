//! A small, realistic cluster for first-time users (`make run`) and for tests: Argo CD applications
//! (multi-source and single-source), their deployments, pods and ExternalSecrets, and Argo CD credential
//! secrets. Secret values are obviously fake.

use super::Emulator;
use serde_json::{json, Value};

fn tracking(app: &str, group_kind: &str, namespace: &str, name: &str) -> Value {
    json!({ "argocd.argoproj.io/tracking-id": format!("{app}:{group_kind}:{namespace}/{name}") })
}

fn workload(emulator: &Emulator, app: &str, namespace: &str, pods: &[&str]) {
    let labels = json!({ "app.kubernetes.io/name": app });
    emulator.apply(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": app, "namespace": namespace, "labels": labels,
                      "annotations": tracking(app, "apps/Deployment", namespace, app) },
        "spec": { "replicas": pods.len(), "selector": { "matchLabels": labels },
                  "template": { "metadata": { "labels": labels }, "spec": { "containers": [{ "name": "app", "image": format!("ghcr.io/acme/{app}:1.4.2") }] } } },
    }));
    for suffix in pods {
        emulator.apply(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": format!("{app}-{suffix}"), "namespace": namespace,
                          "labels": { "app.kubernetes.io/name": app, "pod-template-hash": suffix.split('-').next() } },
            "spec": { "containers": [{ "name": "app", "image": format!("ghcr.io/acme/{app}:1.4.2") }] },
            "status": { "phase": "Running" },
        }));
    }
}

/// Fills `emulator` with the demo cluster.
pub fn seed(emulator: &Emulator) {
    for ns in [
        "argocd",
        "glueops-core",
        "nonprod",
        "payments",
        "kube-system",
        "default",
        "team-shop",
        "shop",
        "ledger",
        "monitoring",
    ] {
        emulator
            .apply(json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": ns } }));
    }

    // A multi-source app (chart + values repo), the GlueOps layout.
    emulator.apply(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": { "name": "taco-backend-prod", "namespace": "glueops-core" },
        "spec": {
            "project": "default",
            "destination": { "server": "https://kubernetes.default.svc", "namespace": "nonprod" },
            "sources": [
                { "repoURL": "https://helm.gpkg.io/project-template", "chart": "app", "targetRevision": "0.9.0",
                  "helm": { "valueFiles": ["$values/apps/taco-backend/envs/prod/values.yaml"] } },
                { "repoURL": "https://github.com/antoniostacos/deployment-configurations.git",
                  "targetRevision": "main", "ref": "values" },
            ],
        },
    }));
    workload(
        emulator,
        "taco-backend-prod",
        "nonprod",
        &["677bfb55b7-942nr", "677bfb55b7-x7k2p"],
    );
    emulator.apply(json!({
        "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
        "metadata": { "name": "taco-backend-prod-secrets", "namespace": "nonprod",
                      "annotations": tracking("taco-backend-prod", "external-secrets.io/ExternalSecret", "nonprod", "taco-backend-prod-secrets") },
        "spec": {
            "secretStoreRef": { "kind": "ClusterSecretStore", "name": "vault" },
            "target": { "name": "taco-backend-prod" },
            "dataFrom": [{ "extract": { "key": "secret/nonprod/taco-backend" } }],
            "data": [{ "secretKey": "DB_PASSWORD", "remoteRef": { "key": "secret/nonprod/taco-backend/database", "property": "password" } }],
        },
    }));

    // A single-source app with an SSH repository URL.
    emulator.apply(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": { "name": "billing-api", "namespace": "argocd" },
        "spec": {
            "project": "default",
            "destination": { "server": "https://kubernetes.default.svc", "namespace": "payments" },
            "source": { "repoURL": "git@github.com:acme/billing.git", "path": "deploy/prod", "targetRevision": "HEAD" },
        },
    }));
    workload(emulator, "billing-api", "payments", &["5d9c7f8b4-qq7nz"]);

    shapes(emulator);

    // Argo CD credentials: a credential template, a Helm repository as GlueLinks writes it, a repository
    // Argo CD wrote itself (no GlueLinks labels), and a pull secret made with `kubectl apply`, whose
    // last-applied-configuration annotation holds its values.
    let fake = |text: &str| base64_of(text);
    emulator.apply(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": { "name": "github-org-creds", "namespace": "argocd",
                      "labels": { "argocd.argoproj.io/secret-type": "repo-creds" } },
        "data": { "type": fake("git"), "url": fake("https://github.com/acme"), "password": fake("demo-not-a-real-token") },
    }));
    emulator.apply(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": { "name": "bitnami-helm", "namespace": "argocd",
                      "labels": { "argocd.argoproj.io/secret-type": "repository",
                                  "app.kubernetes.io/managed-by": "gluelinks",
                                  "gluelinks.io/repository-type": "helm" } },
        "data": { "type": fake("helm"), "name": fake("bitnami"), "url": fake("https://charts.bitnami.com/bitnami") },
    }));
    emulator.apply(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": { "name": "repo-3598127365", "namespace": "argocd",
                      "labels": { "argocd.argoproj.io/secret-type": "repository" } },
        "data": { "type": fake("git"), "url": fake("https://github.com/acme/platform.git"), "password": fake("demo-not-a-real-token") },
    }));
    let pull_secret = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
        "metadata": { "name": "ghcr-pull", "namespace": "default",
                      "labels": { "jjo.finance/secret-type": "docker-creds" } },
        "data": { ".dockerconfigjson": fake(r#"{"auths":{"ghcr.io":{"auth":"ZGVtbzpkZW1v"}}}"#) },
    });
    let mut applied = pull_secret.clone();
    applied["metadata"]["annotations"] = json!({
        "kubectl.kubernetes.io/last-applied-configuration": pull_secret.to_string(),
    });
    emulator.apply(applied);
}

/// A workload of `kind` (`apps/v1` `StatefulSet`, `argoproj.io/v1alpha1` `Rollout`, …) selecting
/// `app: <name>`, marked with `metadata` (labels, annotations), and its pods `<name>-<suffix>`.
fn workload_of(
    emulator: &Emulator,
    (api_version, kind): (&str, &str),
    name: &str,
    namespace: &str,
    metadata: Value,
    pods: &[&str],
) {
    let mut object = json!({
        "apiVersion": api_version, "kind": kind,
        "metadata": { "name": name, "namespace": namespace },
        "spec": { "selector": { "matchLabels": { "app": name } },
                  "template": { "metadata": { "labels": { "app": name } },
                                "spec": { "containers": [{ "name": "app", "image": format!("ghcr.io/acme/{name}:2.0.1") }] } } },
    });
    for field in ["labels", "annotations"] {
        if !metadata[field].is_null() {
            object["metadata"][field] = metadata[field].clone();
        }
    }
    emulator.apply(object);
    for suffix in pods {
        emulator.apply(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": format!("{name}-{suffix}"), "namespace": namespace, "labels": { "app": name } },
            "spec": { "containers": [{ "name": "app", "image": format!("ghcr.io/acme/{name}:2.0.1") }] },
            "status": { "phase": "Running" },
        }));
    }
}

const DEPLOYMENT: (&str, &str) = ("apps/v1", "Deployment");
const STATEFUL_SET: (&str, &str) = ("apps/v1", "StatefulSet");
const DAEMON_SET: (&str, &str) = ("apps/v1", "DaemonSet");
const ROLLOUT: (&str, &str) = ("argoproj.io/v1alpha1", "Rollout");

/// Apps as other Argo CD installs have them, one of each shape:
/// - `argocd/ledger`: label tracking (Argo CD before 3.0), three workloads (api, worker, database), never
///   synced (no `status.resources`), an ExternalSecret read through `data[].remoteRef`;
/// - `team-shop/checkout`: an app outside the control-plane namespace (tracked as `team-shop_checkout`,
///   by annotation and label) deploying an Argo Rollout;
/// - `argocd/node-agent`: a DaemonSet and an ExternalSecret known only from the Application's
///   `status.resources` (their instance label is under a key GlueLinks is not told about).
pub fn shapes(emulator: &Emulator) {
    let app = |name: &str, namespace: &str, destination: &str, resources: Value| {
        json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": { "name": name, "namespace": namespace },
            "spec": {
                "project": "default",
                "destination": { "server": "https://kubernetes.default.svc", "namespace": destination },
                "source": { "repoURL": "https://github.com/acme/platform.git", "path": format!("apps/{name}"), "targetRevision": "main" },
            },
            "status": { "resources": resources },
        })
    };
    let instance = |value: &str| json!({ "labels": { "app.kubernetes.io/instance": value } });

    emulator.apply(app("ledger", "argocd", "ledger", json!([])));
    workload_of(
        emulator,
        DEPLOYMENT,
        "ledger-api",
        "ledger",
        instance("ledger"),
        &["6f7d8c9b5-abcde"],
    );
    workload_of(
        emulator,
        DEPLOYMENT,
        "ledger-worker",
        "ledger",
        instance("ledger"),
        &["5b8c7d6f4-fghij"],
    );
    workload_of(
        emulator,
        STATEFUL_SET,
        "ledger-db",
        "ledger",
        instance("ledger"),
        &["0", "1"],
    );
    emulator.apply(json!({
        "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
        "metadata": { "name": "ledger-db", "namespace": "ledger", "labels": { "app.kubernetes.io/instance": "ledger" } },
        "spec": { "data": [
            { "secretKey": "USER", "remoteRef": { "key": "secret/ledger/db", "property": "user" } },
            { "secretKey": "PASSWORD", "remoteRef": { "key": "secret/ledger/db", "property": "password" } },
        ] },
    }));

    emulator.apply(app("checkout", "team-shop", "shop", json!([])));
    let both = json!({
        "labels": { "app.kubernetes.io/instance": "team-shop_checkout" },
        "annotations": { "argocd.argoproj.io/tracking-id": "team-shop_checkout:argoproj.io/Rollout:shop/checkout" },
    });
    workload_of(
        emulator,
        ROLLOUT,
        "checkout",
        "shop",
        both,
        &["7d4b9c8f6-k2m4p", "7d4b9c8f6-n8q3r"],
    );
    emulator.apply(json!({
        "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
        "metadata": { "name": "checkout", "namespace": "shop",
                      "annotations": tracking("team-shop_checkout", "external-secrets.io/ExternalSecret", "shop", "checkout") },
        "spec": { "dataFrom": [{ "extract": { "key": "secret/shop/checkout" } }] },
    }));

    let custom = json!({ "labels": { "acme.io/argo-app": "node-agent" } });
    emulator.apply(app("node-agent", "argocd", "monitoring", json!([
        { "group": "apps", "version": "v1", "kind": "DaemonSet", "namespace": "monitoring", "name": "node-agent",
          "status": "Synced", "health": { "status": "Healthy" } },
        { "group": "external-secrets.io", "version": "v1", "kind": "ExternalSecret", "namespace": "monitoring",
          "name": "node-agent-token", "status": "Synced" },
        { "version": "v1", "kind": "ServiceAccount", "namespace": "monitoring", "name": "node-agent", "status": "Synced" },
    ])));
    workload_of(
        emulator,
        DAEMON_SET,
        "node-agent",
        "monitoring",
        custom.clone(),
        &["x2k9p", "z7m4q"],
    );
    let mut token = json!({
        "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
        "metadata": { "name": "node-agent-token", "namespace": "monitoring" },
        "spec": { "dataFrom": [{ "extract": { "key": "secret/monitoring/node-agent" } }] },
    });
    token["metadata"]["labels"] = custom["labels"].clone();
    emulator.apply(token);
}

/// The namespaces besides the Argo CD namespace where the demo cluster keeps docker pull secrets: what
/// `SECRETS_LIST_NAMESPACES` names for it, and where its lister and writer are bound.
pub const PULL_SECRET_NAMESPACES: [&str; 2] = ["default", "kube-system"];

/// The manifests the demo cluster enforces: the shipped RBAC and admission policy as the README says to
/// apply them, with the lister and the writer also bound in [`PULL_SECRET_NAMESPACES`] (the commented
/// RoleBindings of `shared/rbac/`, filled in), where the sample `add_docker` event writes a pull secret.
pub fn rbac() -> String {
    let mut manifests = crate::project::shipped_rbac();
    for namespace in PULL_SECRET_NAMESPACES {
        for role in ["gluelinks-secrets-lister", "gluelinks-secrets-writer"] {
            manifests.push_str(&format!(
                "\n---\napiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: {role}, namespace: {namespace}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}
subjects: [{{kind: Group, apiGroup: rbac.authorization.k8s.io, name: {role}}}]
"
            ));
        }
    }
    manifests
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// `count` more apps (`app-0000`, …) in the Argo CD namespace, each deploying to its own team namespace
/// with a Deployment, two pods and an ExternalSecret: a cluster sized for warming benchmarks.
pub fn many_apps(emulator: &Emulator, count: usize) {
    many_apps_with(emulator, count, &["7c9f6d5b8-a1b2c", "7c9f6d5b8-d3e4f"]);
}

/// [`many_apps`], each app with a pod per suffix in `pods`.
pub fn many_apps_with(emulator: &Emulator, count: usize, pods: &[&str]) {
    emulator.apply(
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "argocd" } }),
    );
    for i in 0..count {
        let app = format!("app-{i:04}");
        let namespace = format!("team-{}", i % 10);
        emulator.apply(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": { "name": app, "namespace": "argocd" },
            "spec": {
                "destination": { "server": "https://kubernetes.default.svc", "namespace": namespace },
                "source": { "repoURL": "https://github.com/acme/platform.git", "path": format!("apps/{app}"), "targetRevision": "main" },
            },
        }));
        workload(emulator, &app, &namespace, pods);
        emulator.apply(json!({
            "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": { "name": app, "namespace": namespace,
                          "annotations": tracking(&app, "external-secrets.io/ExternalSecret", &namespace, &app) },
            "spec": { "dataFrom": [{ "extract": { "key": format!("secret/{namespace}/{app}") } }] },
        }));
    }
}

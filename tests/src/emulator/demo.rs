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

/// The RBAC the demo cluster enforces: the shipped manifests as the README says to apply them, with the
/// secrets writer also bound in `kube-system`, where the sample `add_docker` event writes a pull secret.
pub fn rbac() -> String {
    let writer_in_kube_system = "apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: gluelinks-secrets-writer, namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: gluelinks-secrets-writer}
subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: gluelinks-secrets-writer}]
";
    format!("{}\n---\n{writer_in_kube_system}", crate::shipped_rbac())
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// `count` more apps (`app-0000`, …) in the Argo CD namespace, each deploying to its own team namespace
/// with a Deployment, two pods and an ExternalSecret: a cluster sized for warming benchmarks.
pub fn many_apps(emulator: &Emulator, count: usize) {
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
        workload(
            emulator,
            &app,
            &namespace,
            &["7c9f6d5b8-a1b2c", "7c9f6d5b8-d3e4f"],
        );
        emulator.apply(json!({
            "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": { "name": app, "namespace": namespace,
                          "annotations": tracking(&app, "external-secrets.io/ExternalSecret", &namespace, &app) },
            "spec": { "dataFrom": [{ "extract": { "key": format!("secret/{namespace}/{app}") } }] },
        }));
    }
}

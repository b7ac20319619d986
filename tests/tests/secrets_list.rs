//! `GET /secrets` reads metadata only, where credentials live: concurrent metadata lists selected by label
//! and `type` in the Argo CD namespace and the namespaces `SECRETS_LIST_NAMESPACES` names,
//! Helm and OCI repositories told apart by their `type` key (and `enableOCI`) whoever wrote them, every
//! repository secret still listed, and no annotation (which may hold a `kubectl apply`'d secret's values) in the answer. The lists
//! are made at once, and a cluster that cannot be reached, or is slow, is said so within the bound.

use gluelinks_emulator::{Fault, Matcher};
use gluelinks_tests::harness::{Event, Stack};
use gluelinks_tests::openapi::Checked;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// `GET /secrets?cluster=<cluster>` on `s`'s secrets-list function.
async fn list(s: &Stack, cluster: &str) -> (u16, Value) {
    let request = Event::sample("secrets-list-demo.json")
        .query("cluster", cluster)
        .request();
    let f = secrets_list::SecretsList::from_env(&s.env(&[]))
        .await
        .unwrap();
    f.answer(request).await
}

fn secret(name: &str, secret_type: &str, labels: Value, data: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": "Secret", "type": secret_type,
            "metadata": { "name": name, "namespace": "argocd", "labels": labels }, "data": data })
}

fn names(body: &Value, key: &str) -> Vec<String> {
    let mut names: Vec<String> = body[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {body}"))
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn lists_metadata_by_label_and_type_never_values_or_annotations() {
    let s = Stack::demo("secrets-list-metadata")
        .await
        .with_settings(&[("SECRETS_LIST_NAMESPACES", "default")]);
    let emulator = &s.emulator;
    let value = "c2VjcmV0LXZhbHVlLW5ldmVyLWxpc3RlZA=="; // "secret-value-never-listed"
    let (helm, git, yes) = ("aGVsbQ==", "Z2l0", "dHJ1ZQ=="); // "helm", "git", "true"
    let repository = |kind: &str| {
        json!({ "argocd.argoproj.io/secret-type": "repository",
                "app.kubernetes.io/managed-by": "gluelinks", "gluelinks.io/repository-type": kind })
    };
    for extra in [
        secret(
            "acme-oci",
            "Opaque",
            repository("oci"),
            json!({ "type": helm, "enableOCI": yes, "password": value }),
        ),
        secret(
            "acme-git",
            "Opaque",
            repository("git"),
            json!({ "type": git, "password": value }),
        ),
        // A Helm repository someone else wrote (`argocd repo add --type helm`): listed as one all the
        // same, by its `type` key.
        secret(
            "hand-helm",
            "Opaque",
            json!({ "argocd.argoproj.io/secret-type": "repository" }),
            json!({ "type": helm, "password": value }),
        ),
        // An OCI repository as Argo CD 3.1 writes it (`type: oci`).
        secret(
            "native-oci",
            "Opaque",
            json!({ "argocd.argoproj.io/secret-type": "repository" }),
            json!({ "type": "b2Np" }), // "oci"
        ),
        // GlueLinks' repository-type label says helm, the secret's own `type` key says git: Argo CD reads
        // the key, and so does the list.
        secret(
            "relabelled-git",
            "Opaque",
            repository("helm"),
            json!({ "type": git }),
        ),
        // The docker label on a secret that is not a pull secret, and a repository label on one that is
        // not Opaque: neither is what the list reports.
        secret(
            "not-a-pull-secret",
            "Opaque",
            json!({ "jjo.finance/secret-type": "docker-creds" }),
            json!({ "password": value }),
        ),
        secret(
            "odd-repository",
            "kubernetes.io/dockerconfigjson",
            json!({ "argocd.argoproj.io/secret-type": "repository" }),
            json!({ ".dockerconfigjson": value }),
        ),
    ] {
        emulator.apply(extra);
    }
    emulator.reset_requests();
    let (status, body) = list(&s, "demo").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");

    assert_eq!(names(&body, "repo_creds_secrets"), ["github-org-creds"]);
    assert_eq!(names(&body, "docker_creds_secrets"), ["ghcr-pull"]);
    assert_eq!(
        names(&body, "helm_creds_secrets"),
        ["acme-oci", "bitnami-helm", "hand-helm", "native-oci"]
    );
    assert_eq!(
        names(&body, "repository_secrets"),
        [
            "acme-git",
            "acme-oci",
            "bitnami-helm",
            "hand-helm",
            "native-oci",
            "relabelled-git",
            "repo-3598127365"
        ],
        "Argo CD's own repository secret is listed too"
    );
    let totals = [
        "total_repo_creds",
        "total_docker_creds",
        "total_helm_creds",
        "total_repositories",
    ]
    .map(|k| body[k].as_u64().unwrap());
    assert_eq!(totals, [1, 1, 4, 7]);
    assert_eq!(
        body["docker_creds_secrets"][0]["type"],
        "kubernetes.io/dockerconfigjson"
    );
    assert_eq!(body["repository_secrets"][0]["type"], "Opaque");
    let entry = body["repository_secrets"][0].as_object().unwrap();
    let mut fields: Vec<&str> = entry.keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "creation_timestamp",
            "labels",
            "last_changed",
            "name",
            "namespace",
            "type"
        ]
    );

    let text = body.to_string();
    for never in [
        "annotations",
        "last-applied-configuration",
        "ZGVtbzpkZW1v",
        value,
        "\"data\"",
    ] {
        assert!(!text.contains(never), "{never} in {text}");
    }

    // Four list calls, each in one namespace (repository secrets and templates in the Argo CD namespace,
    // pull secrets there and in `default`), each selected by label and type; each asks for metadata
    // only but the repository secrets' list, read whole to classify them by their `type` key.
    let requests = emulator.requests();
    let mut paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/api/v1/namespaces/argocd/secrets",
            "/api/v1/namespaces/argocd/secrets",
            "/api/v1/namespaces/argocd/secrets",
            "/api/v1/namespaces/default/secrets",
        ]
    );
    let metadata_only = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
    let mut whole = Vec::new();
    for r in &requests {
        assert_eq!(r.verb, Some("list"), "{r:?}");
        assert!(r.query.contains("fieldSelector=type%3D"), "{r:?}");
        if r.accept != metadata_only {
            whole.push(r.query.clone());
        }
    }
    assert_eq!(whole.len(), 1, "only one list reads values: {requests:?}");
    assert!(
        whole[0].contains("secret-type%3Drepository"),
        "the one list read whole is the repository secrets': {whole:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_is_concurrent_and_reports_an_unreachable_or_slow_cluster() {
    let s = Stack::demo("secrets-list")
        .await
        .with_settings(&[("KUBE_TIMEOUT_SECONDS", "1")]);
    s.emulator.set_latency(Duration::from_millis(200));
    let started = Instant::now();
    let (status, body) = list(&s, "demo").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("success")));
    assert!(
        started.elapsed() < Duration::from_millis(580),
        "three 200 ms lists took {:?}",
        started.elapsed()
    );
    s.emulator.set_latency(Duration::ZERO);

    s.emulator.add_fault(Matcher::default(), Fault::Reset);
    let (status, body) = list(&s, "demo").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "cluster_unreachable");
    assert_eq!(
        body["message"],
        "Cannot connect to cluster. Please check if the cluster is running and accessible."
    );
    assert_eq!(body["total_repo_creds"], 0);

    s.emulator.clear_faults();
    s.emulator
        .add_fault(Matcher::default(), Fault::Hang(Duration::from_secs(30)));
    let started = Instant::now();
    let (_, body) = list(&s, "demo").await;
    assert_eq!(body["status"], "timeout", "{body}");
    assert_eq!(
        body["message"],
        "The cluster did not answer listing secrets within 1 s (KUBE_TIMEOUT_SECONDS)"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

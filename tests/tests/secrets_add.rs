//! The credential writes (`POST /secrets/add_*`) against the cluster emulator, through API Gateway events:
//! validation, what is written where, upsert and dry runs, partial failures, ownership and adoption, the
//! audit, and AWS principals' grants; what a write leaves, `GET /secrets` shows.
//!
//! Its own test binary, with a log capture: no secret value may appear in a response or a log line.

use base64::Engine;
use gluelinks_emulator::{Fault, Matcher};
use gluelinks_tests::harness::{Event, Stack, OPERATOR_TOKEN, PROXY_TOKEN};
use gluelinks_tests::logs::captured_logs;
use gluelinks_tests::openapi::Checked;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const READ: &str = PROXY_TOKEN;
const WRITE: &str = OPERATOR_TOKEN;
const PASSWORD: &str = "pw-Zx81-never-shown";

/// The demo stack, with `settings`; the log capture installed.
async fn setup(name: &str, settings: &[(&str, &str)]) -> Stack {
    captured_logs();
    Stack::demo(name).await.with_settings(settings)
}

/// `POST /secrets/<route>` with `body`, sent with `token`; no answer may carry the password.
async fn add(s: &Stack, route: &str, body: &str, token: &str) -> (u16, Value) {
    let request = Event::sample("secrets-add-docker.json")
        .path(&format!("/secrets/{route}"))
        .bearer(token)
        .body(body)
        .request();
    let f = secrets_add::SecretsAdd::from_env(&s.env(&[]))
        .await
        .unwrap();
    let r = f.handle_checked(request).await;
    let status = r.status().as_u16();
    let text = match r.body() {
        lambda_http::Body::Text(t) => t.clone(),
        _ => String::new(),
    };
    assert!(
        !text.contains(PASSWORD),
        "a response carries the password: {text}"
    );
    (status, gluelinks_http::response::body_json(&r))
}

/// `GET /secrets?cluster=<query>` (None: no query).
async fn list(s: &Stack, query: Option<&str>) -> (u16, Value) {
    let event = Event::sample("secrets-list-demo.json");
    let event = match query {
        Some(q) => event.query("cluster", q),
        None => event.no_query(),
    };
    let f = secrets_list::SecretsList::from_env(&s.env(&[]))
        .await
        .unwrap();
    f.answer(event.request()).await
}

/// Every Secret in the cluster, in the order they were created.
fn secrets(s: &Stack) -> Vec<Value> {
    let mut all = s.emulator.objects("", "v1", "secrets");
    all.sort_by_key(|s| {
        s["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    });
    all
}

/// `POST /secrets/<route>` with `body`, sent with the operator token.
async fn write(s: &Stack, route: &str, body: &str) -> (u16, Value) {
    add(s, route, body, WRITE).await
}

/// `POST /secrets/add_docker` with [`docker_body`]`(patch)`, sent with the operator token.
async fn add_docker(s: &Stack, patch: Value) -> (u16, Value) {
    write(s, "add_docker", &docker_body(patch)).await
}

/// `base` with `patch` applied: a null removes the field.
fn patched(mut body: Value, patch: Value) -> String {
    for (k, v) in patch.as_object().unwrap() {
        if v.is_null() {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    body.to_string()
}

fn docker_body(patch: Value) -> String {
    let base = json!({
        "password": PASSWORD, "username": "octo", "cluster_name": "demo",
        "name": "ghcr-octo", "namespaces": "kube-system,default",
    });
    patched(base, patch)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_nothing_changes() {
    let s = setup("secrets-bad", &[]).await;
    let before = secrets(&s);
    let helm = |patch: Value| {
        let base = json!({"name": "my-helm-repo", "repository_url": "https://charts.example.com",
            "cluster_name": "demo", "username": "u", "password": PASSWORD});
        patched(base, patch)
    };
    let huge = docker_body(json!({"password": "x".repeat(70 * 1024)}));
    let cases: Vec<(&str, String, &str, u16, &str)> = vec![
        (
            "add_docker",
            docker_body(json!({"password": null})),
            WRITE,
            400,
            "Missing required field: password",
        ),
        (
            "add_docker",
            docker_body(json!({"username": null})),
            WRITE,
            400,
            "Missing required field: username",
        ),
        (
            "add_docker",
            docker_body(json!({"cluster_name": null})),
            WRITE,
            400,
            "Missing required field: cluster_name",
        ),
        (
            "add_docker",
            docker_body(json!({"name": null})),
            WRITE,
            400,
            "Missing required field: name",
        ),
        (
            "add_docker",
            docker_body(json!({"namespaces": null})),
            WRITE,
            400,
            "Missing required field: namespaces",
        ),
        (
            "add_docker",
            docker_body(json!({"name": "Not_Valid"})),
            WRITE,
            400,
            "Invalid secret name",
        ),
        (
            "add_docker",
            docker_body(json!({"namespaces": "default,Bad NS"})),
            WRITE,
            400,
            "Invalid namespace",
        ),
        (
            "add_docker",
            docker_body(json!({"namespaces": "default,argocd"})),
            WRITE,
            400,
            "Namespace 'argocd' is not allowed",
        ),
        (
            "add_docker",
            docker_body(json!({"cluster_name": "nowhere"})),
            WRITE,
            400,
            "Cluster 'nowhere' not found",
        ),
        (
            "add_docker",
            docker_body(json!({"cluster_name": "../etc"})),
            WRITE,
            400,
            "Invalid cluster name",
        ),
        (
            "add_docker",
            docker_body(json!({})),
            READ,
            403,
            "Argo CD's proxy token",
        ),
        (
            "add_docker",
            docker_body(json!({})),
            "not-a-valid-token-at-all",
            401,
            "Invalid token",
        ),
        (
            "add_docker",
            "{\"password\": ".to_string(),
            WRITE,
            400,
            "not valid JSON",
        ),
        ("add_docker", huge, WRITE, 413, "larger than"),
        (
            "add_helm_repo",
            helm(json!({"password": null})),
            WRITE,
            400,
            "Missing required field: password",
        ),
        (
            "add_helm_repo",
            helm(json!({"repository_url": "not a url"})),
            WRITE,
            400,
            "Invalid repository_url",
        ),
        (
            "add_repository",
            helm(json!({"type": "svn"})),
            WRITE,
            400,
            "use git, helm or oci",
        ),
        (
            "add_repo_creds",
            helm(json!({})),
            WRITE,
            400,
            "Unknown field: repository_url",
        ),
    ];
    for (route, body, token, status, expected) in cases {
        let (got, reply) = add(&s, route, &body, token).await;
        assert_eq!(got, status, "{route} {expected}: {reply}");
        let message = reply["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{route}: {message}");
        assert_eq!(reply["error"], true);
        assert_eq!(
            secrets(&s),
            before,
            "{route} {expected} changed the cluster"
        );
    }
    let (status, body) = list(&s, None).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Missing required parameter 'cluster'"))
    );
    let (status, body) = list(&s, Some("non-existent")).await;
    assert_eq!(status, 404);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Cluster 'non-existent' not found. No kubeconfig file at "),
        "{body}"
    );
    assert_eq!(list(&s, Some("../demo")).await.0, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_round_trip_upsert_conflict_and_dry_run() {
    let s = setup("secrets-docker", &[]).await;
    let (status, body) = add_docker(&s, json!({"registry": "docker.io"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    let calls = |method: &str| {
        s.emulator
            .requests()
            .iter()
            .filter(|r| r.method == method)
            .count()
    };
    let dry_runs = s
        .emulator
        .requests()
        .iter()
        .filter(|r| r.query.contains("dryRun=All"))
        .count();
    assert_eq!(
        (calls("GET"), calls("POST"), dry_runs),
        (3, 6, 3),
        "one read, one dry run and one write per namespace"
    );
    assert_eq!(
        body["namespaces"],
        json!(["kube-system", "default", "argocd"])
    );
    assert_eq!(
        body["results"][0]["result"]["output"],
        "secret/ghcr-octo created"
    );
    assert_eq!(
        body["message"],
        "Docker registry secrets created successfully in 3 namespace(s)"
    );

    for ns in ["kube-system", "default", "argocd"] {
        let secret = s
            .emulator
            .object("", "v1", "secrets", ns, "ghcr-octo")
            .unwrap();
        assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");
        assert_eq!(
            secret["metadata"]["labels"]["jjo.finance/secret-type"],
            "docker-creds"
        );
        let raw = secret["data"][".dockerconfigjson"].as_str().unwrap();
        let config: Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(raw)
                .unwrap(),
        )
        .unwrap();
        let expected_auth =
            base64::engine::general_purpose::STANDARD.encode(format!("octo:{PASSWORD}"));
        for key in ["https://index.docker.io/v1/", "registry-1.docker.io"] {
            assert_eq!(config["auths"][key]["auth"], expected_auth, "{ns} {key}");
        }
    }

    // What add wrote, list shows, without values.
    let (status, listed) = list(&s, Some("demo")).await;
    assert_eq!(status, 200);
    assert_eq!(listed["status"], "success");
    let docker: Vec<(&str, &str)> = listed["docker_creds_secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["namespace"].as_str().unwrap(),
                e["name"].as_str().unwrap(),
            )
        })
        .collect();
    for ns in ["kube-system", "default", "argocd"] {
        assert!(docker.contains(&(ns, "ghcr-octo")), "{docker:?}");
    }
    assert!(docker.contains(&("default", "ghcr-pull")));
    assert_eq!(listed["total_docker_creds"], 4);
    assert_eq!(listed["total_repo_creds"], 1);
    let text = listed.to_string();
    assert!(
        !text.contains("\"data\"") && !text.contains(PASSWORD) && !text.contains("ZGVtbzpkZW1v"),
        "{text}"
    );
    let entry = &listed["docker_creds_secrets"][0];
    for key in ["name", "namespace", "labels", "type", "creation_timestamp"] {
        assert!(!entry[key].is_null(), "{key} in {entry}");
    }

    // Without upsert, one existing target means 409 and nothing written anywhere.
    let before = secrets(&s);
    let (status, body) = add_docker(&s, json!({"namespaces": "payments,default"})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["upsert_required"], true);
    assert_eq!(
        body["message"],
        "Secrets already exist in namespaces: default, argocd"
    );
    assert_eq!(
        body["existing_secrets"]["default"]["description"]["type"],
        "kubernetes.io/dockerconfigjson"
    );
    assert!(s
        .emulator
        .object("", "v1", "secrets", "payments", "ghcr-octo")
        .is_none());
    assert_eq!(secrets(&s), before);

    // A dry run reports and writes nothing.
    let (status, body) = add_docker(
        &s,
        json!({"namespaces": "payments", "upsert": true, "dry_run": true}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["would_write"],
        json!([
            {"namespace": "payments", "name": "ghcr-octo", "action": "create", "changed_keys": [".dockerconfigjson"]},
            {"namespace": "argocd", "name": "ghcr-octo", "action": "replace", "changed_keys": [".dockerconfigjson"]},
        ])
    );
    assert_eq!(secrets(&s), before);

    // Upsert replaces; the same upsert again finds nothing to change and writes nothing.
    for output in ["secret/ghcr-octo configured", "secret/ghcr-octo unchanged"] {
        let (status, body) =
            add_docker(&s, json!({"upsert": true, "password": "rotated-pw-9"})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["results"][1]["result"]["output"], output);
    }
    assert_eq!(secrets(&s).len(), before.len());
    let rotated = s
        .emulator
        .object("", "v1", "secrets", "default", "ghcr-octo")
        .unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rotated["data"][".dockerconfigjson"].as_str().unwrap())
        .unwrap();
    assert!(String::from_utf8(raw).unwrap().contains("rotated-pw-9"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_failures_are_reported_namespace_by_namespace() {
    let s = setup("secrets-partial", &[("KUBE_TIMEOUT_SECONDS", "1")]).await;
    // A namespace the writer may not even read in (not bound there): refused, nothing written anywhere.
    s.emulator.add_fault(
        Matcher {
            method: Some("GET"),
            namespace: Some("kube-system".into()),
            ..Matcher::default()
        },
        Fault::Forbidden,
    );
    let before = secrets(&s);
    let (status, body) = add_docker(&s, json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["rejected"]["kube-system"]
            .as_str()
            .unwrap()
            .contains("HTTP 403"),
        "{body}"
    );
    assert_eq!(secrets(&s), before, "nothing was written anywhere");
    s.emulator.clear_faults();

    // A namespace the cluster refuses (RBAC, an admission webhook, a quota): its dry run says so before
    // anything is written, and nothing is, anywhere.
    let writes_in_kube_system = Matcher {
        method: Some("POST"),
        namespace: Some("kube-system".into()),
        ..Matcher::default()
    };
    s.emulator
        .add_fault(writes_in_kube_system.clone(), Fault::Forbidden);
    let (status, body) = add_docker(&s, json!({})).await;
    assert_eq!(status, 409, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("kube-system")
            && message.contains("HTTP 403")
            && message.ends_with("Nothing was written anywhere."),
        "{body}"
    );
    assert_eq!(secrets(&s), before, "nothing was written anywhere");

    // A refusal that comes only at the real write (the cluster changed its mind after the dry run):
    // reported namespace by namespace, never hidden.
    s.emulator.clear_faults();
    s.emulator.add_fault(
        Matcher {
            dry_run: Some(false),
            ..writes_in_kube_system
        },
        Fault::Forbidden,
    );
    let (status, body) = add_docker(&s, json!({})).await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["success"], false);
    let kube_system = &body["results"][0]["result"];
    assert_eq!(kube_system["success"], false);
    assert!(
        kube_system["error"].as_str().unwrap().contains("HTTP 403"),
        "{body}"
    );
    assert_eq!(body["results"][1]["result"]["success"], true);
    assert!(
        body["message"].as_str().unwrap().starts_with(
            "Docker registry secret written in 2 of 3 namespaces; failed: kube-system"
        ),
        "{body}"
    );
    assert!(s
        .emulator
        .object("", "v1", "secrets", "default", "ghcr-octo")
        .is_some());

    // Replacing keeps conflicting: retried, then reported, not hidden.
    s.emulator.clear_faults();
    s.emulator.add_fault(
        Matcher {
            method: Some("PUT"),
            dry_run: Some(false),
            ..Matcher::default()
        },
        Fault::Status(409),
    );
    let rotated = json!({"upsert": true, "namespaces": "default", "password": "rotated-pw-2"});
    let (status, body) = add_docker(&s, rotated).await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body["results"][0]["result"]["error"]
            .as_str()
            .unwrap()
            .contains("kept changing"),
        "{body}"
    );
    let puts = s
        .emulator
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && !r.query.contains("dryRun"))
        .count();
    assert_eq!(puts, 6, "3 attempts in each of 2 namespaces");

    // A write that hangs is cut off by the budget and reported for its namespace alone.
    s.emulator.clear_faults();
    let hang_posts_in_payments = Matcher {
        method: Some("POST"),
        namespace: Some("payments".into()),
        dry_run: Some(false),
        ..Matcher::default()
    };
    s.emulator
        .add_fault(hang_posts_in_payments, Fault::Hang(Duration::from_secs(30)));
    let started = Instant::now();
    let body = docker_body(json!({"name": "slow-one", "namespaces": "payments,default"}));
    let (status, body) = write(&s, "add_docker", &body).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["results"][0]["result"]["success"], false);
    assert_eq!(body["results"][1]["result"]["success"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repositories_and_credential_templates() {
    let s = setup("secrets-repos", &[]).await;
    let oci = json!({"name": "acme-charts", "repository_url": "https://ghcr.io/acme/charts", "cluster_name": "demo",
        "username": "octo", "password": PASSWORD, "use_oci": true}).to_string();
    let (status, body) = write(&s, "add_helm_repo", &oci).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["message"],
        "Helm repository secret created successfully"
    );
    assert_eq!(
        body["helm_secret_applied"],
        json!({"success": true, "namespace": "argocd", "output": "secret/acme-charts created",
            "changed_keys": ["enableOCI", "name", "password", "type", "url", "username"]})
    );
    assert_eq!(body["repository_url"], "ghcr.io/acme/charts");
    let stored = s
        .emulator
        .object("", "v1", "secrets", "argocd", "acme-charts")
        .unwrap();
    assert_eq!(
        stored["metadata"]["labels"]["argocd.argoproj.io/secret-type"],
        "repository"
    );
    let field = |name: &str| {
        let raw = stored["data"][name].as_str().unwrap_or_default();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(raw)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(field("type"), "helm");
    assert_eq!(field("url"), "ghcr.io/acme/charts");
    assert_eq!(field("enableOCI"), "true");
    assert_eq!(field("name"), "acme-charts");
    assert_eq!(field("username"), "octo");
    assert_eq!(field("password"), PASSWORD);

    let (status, body) = write(&s, "add_helm_repo", &oci).await;
    assert_eq!(status, 409);
    assert_eq!(body["message"], "Helm repository secret already exists");
    assert_eq!(
        body["existing_secret"]["description"]["labels"]["argocd.argoproj.io/secret-type"],
        "repository"
    );

    let git = json!({"name": "billing", "repository_url": "git@github.com:acme/billing.git", "cluster_name": "demo",
        "type": "git", "ssh_private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nsample\n-----END OPENSSH PRIVATE KEY-----"}).to_string();
    let (status, body) = write(&s, "add_repository", &git).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["repository_secret_applied"]["success"], true);

    // One credential template serves every repository under its URL.
    let creds =
        json!({"name": "acme-github", "url": "https://github.com/acme", "cluster_name": "demo",
        "type": "git", "username": "octo", "password": PASSWORD})
        .to_string();
    let (status, body) = write(&s, "add_repo_creds", &creds).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "Credential template created successfully");
    let template = s
        .emulator
        .object("", "v1", "secrets", "argocd", "acme-github")
        .unwrap();
    assert_eq!(
        template["metadata"]["labels"]["argocd.argoproj.io/secret-type"],
        "repo-creds"
    );

    let (_, listed) = list(&s, Some("demo")).await;
    let names = |key: &str| -> Vec<String> {
        listed[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names("helm_creds_secrets"),
        ["acme-charts", "bitnami-helm"],
        "git repositories are not Helm"
    );
    assert_eq!(
        names("repo_creds_secrets"),
        ["acme-github", "github-org-creds"]
    );
    assert!(!listed.to_string().contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_audited_without_values() {
    let s = setup("secrets-audit", &[]).await;
    let event = Event::sample("secrets-add-docker.json");
    assert_eq!(
        event.json()["headers"]["argocd-username"],
        "alice@example.com"
    );
    let (status, _) = add_docker(&s, json!({"name": "audited-secret"})).await;
    assert_eq!(status, 200);
    let (status, _) = add(
        &s,
        "add_helm_repo",
        &json!({"name": "audited-helm", "repository_url": "https://charts.example.com",
        "cluster_name": "demo", "username": "u", "password": PASSWORD})
        .to_string(),
        WRITE,
    )
    .await;
    assert_eq!(status, 200);
    let text = captured_logs().text();
    let audits: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| {
            l["fields"]["audit"] == "secrets.write"
                && l["fields"]["secret"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("audited"))
        })
        .collect();
    assert_eq!(audits.len(), 4, "{text}");
    for a in &audits {
        let principal = a["fields"]["principal"].as_str().unwrap();
        assert!(principal.starts_with("operator token sha256:"), "{a}");
        assert_eq!(a["fields"]["argocd_user_unverified"], "alice@example.com");
        assert_eq!(a["fields"]["cluster"], "demo");
        assert_eq!(a["fields"]["source_ip"], "203.0.113.10", "{a}");
        assert_eq!(a["fields"]["gateway_request_id"], "sample-request", "{a}");
    }
    assert!(!text.contains(PASSWORD), "a log line carries the password");
    assert!(!text.contains(WRITE), "a log line carries the token");
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Secrets an Argo CD cluster has that GlueLinks did not write.
fn seed_foreign(s: &Stack) {
    let secret = |ns: &str, name: &str, labels: Value, kind: &str, data: Value| {
        s.emulator.apply(json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": ns, "labels": labels}, "type": kind, "data": data}));
    };
    secret(
        "argocd",
        "argocd-secret",
        json!({"app.kubernetes.io/part-of": "argocd"}),
        "Opaque",
        json!({"server.secretkey": b64("signing-key"), "admin.password": b64("$2a$10$hash")}),
    );
    secret(
        "argocd",
        "prod-cluster",
        json!({"argocd.argoproj.io/secret-type": "cluster"}),
        "Opaque",
        json!({"server": b64("https://prod.example.com"), "config": b64("{\"bearerToken\": \"t\"}")}),
    );
    // A repository secret of the right kind, but another tool's.
    secret(
        "argocd",
        "platform-charts",
        json!({"argocd.argoproj.io/secret-type": "repository", "app.kubernetes.io/managed-by": "Helm"}),
        "Opaque",
        json!({"url": b64("https://charts.example.com/platform"), "type": b64("helm")}),
    );
    secret(
        "argocd",
        "acme-template",
        json!({"argocd.argoproj.io/secret-type": "repo-creds"}),
        "Opaque",
        json!({"url": b64("https://github.com/acme")}),
    );
    secret(
        "default",
        "app-config",
        json!({}),
        "Opaque",
        json!({"DATABASE_URL": b64("postgres://app")}),
    );
    secret(
        "default",
        "registry-login",
        json!({}),
        "kubernetes.io/dockerconfigjson",
        json!({".dockerconfigjson": b64("{\"auths\": {}}")}),
    );
}

fn repository_body(name: &str, route: &str, patch: Value) -> String {
    let url_field = if route == "add_repo_creds" {
        "url"
    } else {
        "repository_url"
    };
    let mut base =
        json!({"name": name, "cluster_name": "demo", "username": "octo", "password": PASSWORD});
    base[url_field] = "https://github.com/acme/app".into();
    patched(base, patch)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_and_argocd_secrets_are_never_replaced() {
    let s = setup("secrets-foreign", &[]).await;
    seed_foreign(&s);
    let before = secrets(&s);
    for upsert in [false, true] {
        let flags = json!({"upsert": upsert});
        let mut cases: Vec<(&str, String, &str)> = vec![
            (
                "add_docker",
                docker_body(
                    json!({"name": "app-config", "namespaces": "payments,default", "upsert": upsert}),
                ),
                "is a 'Opaque' secret",
            ),
            (
                "add_docker",
                docker_body(
                    json!({"name": "registry-login", "namespaces": "default", "upsert": upsert}),
                ),
                "is a 'kubernetes.io/dockerconfigjson' secret, not",
            ),
            (
                "add_repository",
                repository_body("acme-template", "add_repository", flags.clone()),
                "is an Argo CD 'repo-creds' secret, not an Argo CD 'repository' secret",
            ),
            (
                "add_repo_creds",
                repository_body("bitnami-helm", "add_repo_creds", flags.clone()),
                "is an Argo CD 'repository' secret, not an Argo CD 'repo-creds' secret",
            ),
            (
                "add_repository",
                repository_body("platform-charts", "add_repository", flags.clone()),
                "is managed by 'Helm' (app.kubernetes.io/managed-by)",
            ),
        ];
        for route in ["add_helm_repo", "add_repository", "add_repo_creds"] {
            let body = if route == "add_helm_repo" {
                json!({"name": "prod-cluster", "repository_url": "https://charts.example.com",
                    "cluster_name": "demo", "username": "u", "password": PASSWORD, "upsert": upsert})
                .to_string()
            } else {
                repository_body("prod-cluster", route, flags.clone())
            };
            cases.push((route, body, "is an Argo CD 'cluster' secret"));
        }
        for (route, body, expected) in cases {
            let (status, reply) = write(&s, route, &body).await;
            assert_eq!(status, 409, "{route} upsert={upsert}: {reply}");
            let message = reply["message"].as_str().unwrap();
            assert!(message.contains(expected), "{route}: {message}");
            assert!(
                message.contains("will not replace it, even with upsert")
                    && message.ends_with("Nothing was written anywhere."),
                "{message}"
            );
            assert_eq!(reply["upsert_required"], false);
            assert_eq!(
                secrets(&s),
                before,
                "{route} upsert={upsert} changed the cluster"
            );
        }
        // Argo CD's own secrets are refused by name, before the cluster is read.
        for route in [
            "add_docker",
            "add_helm_repo",
            "add_repository",
            "add_repo_creds",
        ] {
            let body = match route {
                "add_docker" => docker_body(json!({"name": "argocd-secret", "upsert": upsert})),
                "add_helm_repo" => json!({"name": "argocd-secret", "repository_url": "https://charts.example.com",
                    "cluster_name": "demo", "username": "u", "password": PASSWORD, "upsert": upsert})
                .to_string(),
                _ => repository_body("argocd-secret", route, flags.clone()),
            };
            s.emulator.reset_requests();
            let (status, reply) = write(&s, route, &body).await;
            assert_eq!(status, 400, "{route}: {reply}");
            assert!(reply["message"]
                .as_str()
                .unwrap()
                .contains("belongs to Argo CD itself"));
            assert!(
                s.emulator.requests().is_empty(),
                "{route} reached the cluster"
            );
        }
    }
    // A dry run of a foreign target is refused the same way.
    let dry = docker_body(
        json!({"name": "app-config", "namespaces": "default", "upsert": true, "dry_run": true}),
    );
    assert_eq!(write(&s, "add_docker", &dry).await.0, 409);
    assert_eq!(secrets(&s), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_changes_only_what_the_request_sets() {
    let s = setup("secrets-merge", &[]).await;
    // A repository `argocd repo add` wrote (Argo CD's annotation, no GlueLinks label), over SSH with a
    // proxy and TLS checks off.
    let argocd_repo_add = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "billing", "namespace": "argocd",
            "labels": {"argocd.argoproj.io/secret-type": "repository", "team": "payments"},
            "annotations": {"managed-by": "argocd.argoproj.io"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": "0000-1"}]},
        "type": "Opaque",
        "data": {"type": b64("git"), "url": b64("git@github.com:acme/billing.git"), "name": b64("Billing"),
            "project": b64("payments"), "proxy": b64("http://proxy:3128"), "insecure": b64("true"),
            "sshPrivateKey": b64("old-key")}});
    s.emulator.apply(argocd_repo_add);
    let body = json!({"name": "billing", "repository_url": "https://github.com/acme/billing.git",
        "cluster_name": "demo", "type": "git", "username": "octo", "password": PASSWORD, "upsert": true});
    // Not GlueLinks' own: refused, and the answer says how to take it over.
    let (status, reply) = write(&s, "add_repository", &body.to_string()).await;
    assert_eq!(status, 409, "{reply}");
    assert_eq!(
        reply["foreign_secrets"]["argocd"]["adoptable"], true,
        "{reply}"
    );
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .contains("Send adopt: true"),
        "{reply}"
    );
    // Adopted: the server changed (SSH to HTTPS), so its transport settings go; the method changed, so
    // the SSH key goes; its display name and project stay.
    let adopt = patched(body.clone(), json!({"adopt": true}));
    let (status, reply) = write(&s, "add_repository", &adopt).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["repository_secret_applied"]["changed_keys"],
        json!([
            "insecure",
            "password",
            "proxy",
            "sshPrivateKey",
            "url",
            "username"
        ])
    );
    let stored = s
        .emulator
        .object("", "v1", "secrets", "argocd", "billing")
        .unwrap();
    let meta = &stored["metadata"];
    assert_eq!(meta["labels"]["team"], "payments");
    assert_eq!(meta["labels"]["app.kubernetes.io/managed-by"], "gluelinks");
    assert_eq!(meta["labels"]["gluelinks.io/repository-type"], "git");
    assert_eq!(meta["annotations"]["managed-by"], "argocd.argoproj.io");
    assert_eq!(meta["ownerReferences"][0]["name"], "owner");
    let data = stored["data"].as_object().unwrap();
    assert_eq!(
        data["project"],
        b64("payments"),
        "project survives the upsert"
    );
    assert_eq!(
        data["name"],
        b64("Billing"),
        "the display name survives the upsert"
    );
    for gone in ["proxy", "insecure", "sshPrivateKey"] {
        assert!(!data.contains_key(gone), "{gone} survived");
    }
    assert_eq!(data["password"], b64(PASSWORD));
    let adopted = captured_logs()
        .text()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .any(|l| l["fields"]["secret"] == "billing" && l["fields"]["outcome"] == "adopted");
    assert!(adopted, "the adoption is audited as one");

    // Now GlueLinks' own: the request may set the project, remove it with null. The same request again
    // changes nothing and writes nothing; its dry run still reports the credential as set, so that no
    // dry run tells whether a guess is the stored password.
    let scoped = patched(body.clone(), json!({"project": "billing-team"}));
    let (_, reply) = write(&s, "add_repository", &scoped).await;
    assert_eq!(
        reply["repository_secret_applied"]["changed_keys"],
        json!(["password", "project"])
    );
    let dry = patched(
        body.clone(),
        json!({"project": "billing-team", "dry_run": true}),
    );
    let (_, reply) = write(&s, "add_repository", &dry).await;
    assert_eq!(
        (
            &reply["would_write"][0]["action"],
            &reply["would_write"][0]["changed_keys"]
        ),
        (&json!("replace"), &json!(["password"])),
        "{reply}"
    );
    let (_, reply) = write(&s, "add_repository", &scoped).await;
    assert_eq!(
        (
            &reply["repository_secret_applied"]["output"],
            &reply["repository_secret_applied"]["changed_keys"]
        ),
        (&json!("secret/billing unchanged"), &json!([])),
        "{reply}"
    );
    let mut unscoped = body;
    unscoped["project"] = Value::Null;
    let unscoped = unscoped.to_string();
    let (_, reply) = write(&s, "add_repository", &unscoped).await;
    assert_eq!(
        reply["repository_secret_applied"]["changed_keys"],
        json!(["password", "project"])
    );
    let stored = s
        .emulator
        .object("", "v1", "secrets", "argocd", "billing")
        .unwrap();
    assert!(stored["data"].get("project").is_none(), "{stored}");

    // A pull secret of GlueLinks' keeps its other labels, annotations, keys and registries.
    s.emulator
        .apply(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "ghcr-octo", "namespace": "default",
            "labels": {"jjo.finance/secret-type": "docker-creds", "team": "web", "app.kubernetes.io/managed-by": "gluelinks"},
            "annotations": {"reflector/enabled": "true"}},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": b64("{\"auths\": {\"registry.example.com\": {\"auth\": \"dGVhbTprZXB0\"}}}"), "note": b64("kept")}}));
    let (status, reply) = add_docker(&s, json!({"namespaces": "default", "upsert": true})).await;
    assert_eq!(status, 200, "{reply}");
    let pull = s
        .emulator
        .object("", "v1", "secrets", "default", "ghcr-octo")
        .unwrap();
    assert_eq!(pull["metadata"]["labels"]["team"], "web");
    assert_eq!(pull["metadata"]["annotations"]["reflector/enabled"], "true");
    assert_eq!(pull["data"]["note"], b64("kept"));
    let config = base64::engine::general_purpose::STANDARD
        .decode(pull["data"][".dockerconfigjson"].as_str().unwrap())
        .unwrap();
    let config: Value = serde_json::from_slice(&config).unwrap();
    assert_eq!(
        config["auths"]["registry.example.com"]["auth"], "dGVhbTprZXB0",
        "another registry's entry stays"
    );
    assert!(config["auths"]["ghcr.io"]["auth"].is_string(), "{config}");
    assert_eq!(
        reply["results"][0]["result"]["changed_keys"],
        json!([".dockerconfigjson"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_cannot_be_read_blocks_every_write() {
    let s = setup("secrets-unknown", &[]).await;
    let reads_in_kube_system = Matcher {
        method: Some("GET"),
        namespace: Some("kube-system".into()),
        ..Matcher::default()
    };
    s.emulator
        .add_fault(reads_in_kube_system, Fault::Status(500));
    let before = secrets(&s);
    let (status, reply) = add_docker(&s, json!({})).await;
    assert_eq!(status, 502, "{reply}");
    let message = reply["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "Could not read whether secret ghcr-octo already exists in: kube-system ("
        ) && message.contains("Nothing was written"),
        "{message}"
    );
    assert_eq!(
        secrets(&s),
        before,
        "default and argocd were not written either"
    );

    let dry = docker_body(json!({"dry_run": true}));
    let (status, reply) = write(&s, "add_docker", &dry).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["success"], false);
    let actions: Vec<&str> = reply["would_write"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["unknown", "create", "create"]);
    assert_eq!(secrets(&s), before);

    // Upsert too: the unreadable namespace may hold a secret GlueLinks must not replace (here someone
    // else's of that name), so nothing is written anywhere.
    s.emulator
        .apply(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "ghcr-octo", "namespace": "kube-system"},
        "type": "Opaque", "data": {"token": b64("theirs")}}));
    let before = secrets(&s);
    let (status, reply) = add_docker(&s, json!({"upsert": true})).await;
    assert_eq!(status, 502, "{reply}");
    assert!(reply["message"]
        .as_str()
        .unwrap()
        .contains("Nothing was written"));
    assert_eq!(secrets(&s), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_are_capped_and_the_work_is_bounded() {
    let s = setup(
        "secrets-bounded",
        &[
            ("SECRETS_MAX_NAMESPACES", "40"),
            ("SECRETS_DEADLINE_SECONDS", "2"),
        ],
    )
    .await;
    let names: Vec<String> = (0..41).map(|i| format!("team-{i:02}")).collect();
    let (status, reply) = add_docker(&s, json!({"namespaces": names})).await;
    assert_eq!(status, 400, "{reply}");
    assert!(reply["message"]
        .as_str()
        .unwrap()
        .contains("names 41 namespaces; at most 40 are written per request"));

    // 40 namespaces and the Argo CD copy: 41 reads, 41 dry runs, then 41 writes, never more than 8 in
    // flight.
    let names = &names[..40];
    for ns in names {
        s.emulator
            .apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
    }
    s.emulator.set_latency(Duration::from_millis(60));
    s.emulator.reset_requests();
    let (status, reply) = add_docker(&s, json!({"namespaces": names})).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(s.emulator.requests().len(), 123);
    let peak = s.emulator.peak_in_flight();
    assert!(
        (2..=8).contains(&peak),
        "{peak} calls were in flight at once (at most 8, and concurrently)"
    );

    // One deadline for the whole request: writes that hang are cut off at it, and the namespaces whose
    // turn comes after it are reported as not written.
    s.emulator.set_latency(Duration::ZERO);
    let hang_writes = Matcher {
        method: Some("POST"),
        dry_run: Some(false),
        ..Matcher::default()
    };
    s.emulator
        .add_fault(hang_writes, Fault::Hang(Duration::from_secs(30)));
    let started = Instant::now();
    let body = docker_body(json!({"name": "late", "namespaces": &names[..20]}));
    let (status, reply) = write(&s, "add_docker", &body).await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status, 502, "{reply}");
    let errors: Vec<&str> = reply["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"]["error"].as_str().unwrap())
        .collect();
    assert_eq!(errors.len(), 21);
    assert!(
        errors[0].contains(
            "did not answer writing secret late in team-00 within 2 s (SECRETS_DEADLINE_SECONDS)"
        ),
        "{}",
        errors[0]
    );
    assert!(
        errors[20].contains("was not written: the request's deadline (2 s, SECRETS_DEADLINE_SECONDS) passed before its turn"),
        "{}",
        errors[20]
    );
}

/// Secrets of the right kind that are someone else's all the same, each in `argocd` and `default` under
/// the name `held`: every one is refused on every route, with and without upsert and adopt, and nothing is
/// written anywhere — not in the namespaces that held nothing either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_another_owner_holds_are_never_replaced_even_with_adopt() {
    let s = setup("secrets-held", &[]).await;
    let repository = json!({"argocd.argoproj.io/secret-type": "repository"});
    let template = json!({"argocd.argoproj.io/secret-type": "repo-creds"});
    let pull = json!({"jjo.finance/secret-type": "docker-creds"});
    // (how it is held, extra metadata, extra top-level fields, what the refusal says)
    let holds: Vec<(&str, Value, Value, &str)> = vec![
        (
            "an ExternalSecret controls it",
            json!({"ownerReferences": [{"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
                "name": "held-source", "uid": "u-1", "controller": true}]}),
            json!({}),
            "Change it at its source, ExternalSecret held-source",
        ),
        (
            "Argo CD syncs it from Git (annotation)",
            json!({"annotations": {"argocd.argoproj.io/tracking-id": "infra:/Secret:argocd/held"}}),
            json!({}),
            "declared in Git and synced by Argo CD (its argocd.argoproj.io/tracking-id annotation)",
        ),
        (
            "Argo CD syncs it from Git (label)",
            json!({"labels": {"app.kubernetes.io/instance": "infra"}}),
            json!({}),
            "declared in Git and synced by Argo CD (its app.kubernetes.io/instance label)",
        ),
        (
            "it is being deleted",
            json!({"deletionTimestamp": "2026-12-01T00:00:00Z", "finalizers": ["example.com/hold"]}),
            json!({}),
            "is being deleted",
        ),
        (
            "it is immutable",
            json!({}),
            json!({"immutable": true}),
            "is immutable",
        ),
    ];
    let routes: [(&str, &Value, &str); 4] = [
        ("add_docker", &pull, "kubernetes.io/dockerconfigjson"),
        ("add_helm_repo", &repository, "Opaque"),
        ("add_repository", &repository, "Opaque"),
        ("add_repo_creds", &template, "Opaque"),
    ];
    for (how, meta, top, says) in &holds {
        for (route, kind_labels, secret_type) in routes {
            let namespace = if route == "add_docker" {
                "default"
            } else {
                "argocd"
            };
            let mut labels = kind_labels.clone();
            for (k, v) in meta["labels"].as_object().into_iter().flatten() {
                labels[k] = v.clone();
            }
            labels["app.kubernetes.io/managed-by"] = "gluelinks".into();
            let mut metadata = json!({"name": "held", "namespace": namespace, "labels": labels});
            for (k, v) in meta
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| *k != "labels")
            {
                metadata[k] = v.clone();
            }
            let mut secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": metadata,
                "type": secret_type, "data": {".dockerconfigjson": b64("{\"auths\": {}}"), "url": b64("x")}});
            for (k, v) in top.as_object().unwrap() {
                secret[k] = v.clone();
            }
            s.emulator.apply(secret);
            let before = secrets(&s);
            for (upsert, adopt) in [(false, false), (true, false), (true, true), (false, true)] {
                let flags = json!({"upsert": upsert, "adopt": adopt, "name": "held"});
                let body = match route {
                    "add_docker" => docker_body(json!({"name": "held", "namespaces": "kube-system,default", "upsert": upsert, "adopt": adopt})),
                    "add_helm_repo" => json!({"name": "held", "repository_url": "https://charts.example.com/x",
                        "cluster_name": "demo", "username": "u", "password": PASSWORD, "upsert": upsert, "adopt": adopt}).to_string(),
                    _ => repository_body("held", route, flags),
                };
                let (status, reply) = write(&s, route, &body).await;
                let case = format!("{route} upsert={upsert} adopt={adopt}, {how}");
                assert_eq!(status, 409, "{case}: {reply}");
                let message = reply["message"].as_str().unwrap();
                assert!(
                    message.contains(says) && message.contains("even with upsert or adopt"),
                    "{case}: {message}"
                );
                assert_eq!(
                    reply["foreign_secrets"][namespace]["adoptable"], false,
                    "{case}: {reply}"
                );
                assert_eq!(secrets(&s), before, "{case} wrote something");
            }
            s.emulator.remove("", "v1", "secrets", namespace, "held");
        }
    }
}

/// The writer identity as a deployment has it: its own kubeconfig, and a cluster enforcing the shipped
/// RBAC and admission policy.
async fn setup_enforced(name: &str) -> Stack {
    setup(name, &[]).await.enforcing_rbac()
}

/// A secret of the right kind GlueLinks did not create — the original cluster-configuration server's pull secret, `argocd repo add`'s
/// repository — is refused without adopt and taken over with it, audited as an adoption, its display name
/// kept. Where the shipped admission policy is applied, the cluster refuses the adoption GlueLinks' own
/// checks allow until someone with rights on the cluster marks the secret adoptable: the dry run every
/// write starts with finds that out, and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmarked_secrets_are_adopted_only_when_asked_and_the_cluster_allows() {
    let s = setup_enforced("secrets-adopt").await;
    // The original cluster-configuration server wrote this pull secret: its label, no GlueLinks mark.
    s.emulator.apply(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "ghcr-octo", "namespace": "default", "labels": {"jjo.finance/secret-type": "docker-creds"}},
        "type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": b64("{\"auths\": {}}")}}));
    // `argocd repo add` wrote this repository.
    s.emulator.apply(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "billing", "namespace": "argocd", "labels": {"argocd.argoproj.io/secret-type": "repository"},
            "annotations": {"managed-by": "argocd.argoproj.io"}},
        "type": "Opaque", "data": {"type": b64("git"), "url": b64("https://github.com/acme/billing"), "name": b64("Billing")}}));
    let docker = docker_body(json!({"namespaces": "default", "upsert": true}));
    let repository = json!({"name": "billing", "repository_url": "https://github.com/acme/billing",
        "cluster_name": "demo", "username": "octo", "password": PASSWORD, "upsert": true});
    let before = secrets(&s);
    for (route, body) in [
        ("add_docker", docker.clone()),
        ("add_repository", repository.to_string()),
    ] {
        let (status, reply) = write(&s, route, &body).await;
        assert_eq!(status, 409, "{route}: {reply}");
        assert!(
            reply["message"]
                .as_str()
                .unwrap()
                .contains("was not created by GlueLinks"),
            "{reply}"
        );
        assert_eq!(secrets(&s), before, "{route} wrote");
    }
    // GlueLinks would adopt them; the cluster refuses: the dry run says so, for every route, and nothing
    // is written anywhere (the image-updater copy in argocd included).
    let adopt_docker = patched(
        serde_json::from_str(&docker).unwrap(),
        json!({"adopt": true}),
    );
    let adopt_repository = patched(repository.clone(), json!({"adopt": true}));
    for (route, body) in [
        ("add_docker", &adopt_docker),
        ("add_repository", &adopt_repository),
    ] {
        let (status, reply) = write(&s, route, body).await;
        assert_eq!(status, 409, "{route}: {reply}");
        let message = reply["message"].as_str().unwrap();
        assert!(
            message.contains("The cluster refused") && message.contains("(HTTP 422)"),
            "{message}"
        );
        assert!(
            message.contains("annotate it gluelinks.io/adoptable=true"),
            "{message}"
        );
        assert_eq!(secrets(&s), before, "{route} wrote");
        // A dry run asks the cluster too.
        let dry = patched(
            serde_json::from_str(body).unwrap(),
            json!({"dry_run": true}),
        );
        let (status, reply) = write(&s, route, &dry).await;
        assert_eq!((status, &reply["success"]), (200, &json!(false)), "{reply}");
        let refused = reply["would_write"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["action"] == "refused");
        assert!(
            refused.is_some_and(|w| w["reason"].as_str().unwrap().contains("adoptable")),
            "{reply}"
        );
    }
    // Marked adoptable by someone with rights on the cluster: adopted, audited so, the name key kept.
    for (ns, name) in [("default", "ghcr-octo"), ("argocd", "billing")] {
        let mut secret = s.emulator.object("", "v1", "secrets", ns, name).unwrap();
        secret["metadata"]["annotations"]["gluelinks.io/adoptable"] = "true".into();
        s.emulator.apply(secret);
    }
    for (route, body) in [
        ("add_docker", &adopt_docker),
        ("add_repository", &adopt_repository),
    ] {
        let (status, reply) = write(&s, route, body).await;
        assert_eq!(status, 200, "{route}: {reply}");
    }
    let billing = s
        .emulator
        .object("", "v1", "secrets", "argocd", "billing")
        .unwrap();
    assert_eq!(
        billing["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "gluelinks"
    );
    assert_eq!(
        billing["data"]["name"],
        b64("Billing"),
        "its display name is kept"
    );
    let pull = s
        .emulator
        .object("", "v1", "secrets", "default", "ghcr-octo")
        .unwrap();
    assert_eq!(
        pull["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "gluelinks"
    );
    let adopted: Vec<String> = captured_logs()
        .text()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["outcome"] == "adopted")
        .map(|l| {
            format!(
                "{}/{}",
                l["fields"]["namespace"].as_str().unwrap(),
                l["fields"]["secret"].as_str().unwrap()
            )
        })
        .collect();
    for expected in ["default/ghcr-octo", "argocd/billing"] {
        assert!(
            adopted.iter().any(|a| a == expected),
            "{expected} not audited as adopted: {adopted:?}"
        );
    }
    // Now GlueLinks' own: an upsert needs no adopt.
    let (status, reply) = write(&s, "add_repository", &repository.to_string()).await;
    assert_eq!(status, 200, "{reply}");
}

/// A dry run with upsert names the keys a write would set, and a credential key is named whether or not
/// the guess sent is the stored value: the dry run is no oracle for the stored password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_never_tells_whether_a_password_is_the_stored_one() {
    let s = setup("secrets-oracle", &[]).await;
    let body = |password: &str, dry_run: bool| {
        json!({"name": "oracle", "repository_url": "https://github.com/acme/app", "cluster_name": "demo",
            "username": "octo", "password": password, "upsert": true, "dry_run": dry_run}).to_string()
    };
    let (status, _) = write(&s, "add_repository", &body("stored-pw-0123", false)).await;
    assert_eq!(status, 200);
    let mut answers = Vec::new();
    for guess in ["stored-pw-0123", "another-guess-0123"] {
        let (status, reply) = write(&s, "add_repository", &body(guess, true)).await;
        assert_eq!(status, 200, "{reply}");
        assert!(!reply.to_string().contains(guess), "{reply}");
        answers.push(reply["would_write"].clone());
    }
    assert_eq!(
        answers[0], answers[1],
        "the right guess and a wrong one get the same answer"
    );
    assert_eq!(answers[0][0]["changed_keys"], json!(["password"]));
}

/// In the deployed stack the operator routes are signed with SigV4 and API Gateway hands the caller's ARN
/// to the function: the sample events carry that request context. The ARN is granted clusters and list or
/// write by OPERATOR_GRANTS, and recorded in the audit line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_principals_reach_only_what_they_are_granted_and_are_audited() {
    const ARN: &str = "arn:aws:sts::123456789012:assumed-role/gluelinks-operator/ci-run";
    let grants = |clusters: &str, access: &str| {
        format!(
            r#"{{"arn:aws:iam::123456789012:role/gluelinks-operator": {{"clusters": {clusters}, "access": "{access}"}}}}"#
        )
    };
    let call = |grant: String, event: &'static str| async move {
        let s = setup(
            &format!("secrets-iam-{}", event.len()),
            &[("OPERATOR_GRANTS", grant.as_str())],
        )
        .await;
        let request = Event::sample(event).request();
        let (status, body) = if event.starts_with("secrets-add") {
            let f = secrets_add::SecretsAdd::from_env(&s.env(&[]))
                .await
                .unwrap();
            f.answer(request).await
        } else {
            let f = secrets_list::SecretsList::from_env(&s.env(&[]))
                .await
                .unwrap();
            f.answer(request).await
        };
        (status, body, s)
    };
    // Granted write on every cluster: written, and audited under the principal's ARN.
    let (status, body, s) = call(grants("\"*\"", "write"), "secrets-add-docker-iam.json").await;
    assert_eq!(status, 200, "{body}");
    assert!(s
        .emulator
        .object("", "v1", "secrets", "default", "ghcr-iam-sample")
        .is_some());
    let audited = captured_logs()
        .text()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["secret"] == "ghcr-iam-sample")
        .all(|l| l["fields"]["principal"] == ARN && l["fields"]["source_ip"] == "203.0.113.10");
    assert!(audited, "the audit names the principal");
    // Granted list only: may list, may not write.
    let (status, body, s) = call(grants("\"*\"", "list"), "secrets-add-docker-iam.json").await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("list only"),
        "{body}"
    );
    assert!(s
        .emulator
        .object("", "v1", "secrets", "default", "ghcr-iam-sample")
        .is_none());
    let (status, body, _) = call(grants("\"*\"", "list"), "secrets-list-iam.json").await;
    assert_eq!(
        (status, &body["status"]),
        (200, &json!("success")),
        "{body}"
    );
    // Granted another cluster only: refused on this one, writing nothing and listing nothing.
    let (status, body, s) =
        call(grants("[\"prod\"]", "write"), "secrets-add-docker-iam.json").await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Cluster 'demo' is not among the clusters this caller is granted"),
        "{body}"
    );
    assert!(s
        .emulator
        .object("", "v1", "secrets", "default", "ghcr-iam-sample")
        .is_none());
    let (status, body, _) = call(grants("[\"prod\"]", "write"), "secrets-list-iam.json").await;
    assert_eq!(status, 403, "{body}");
    // Not granted at all: refused, the principal not quoted back.
    let (status, body, _) = call("{}".into(), "secrets-list-iam.json").await;
    assert_eq!(status, 403, "{body}");
    assert!(!body.to_string().contains(ARN));
}

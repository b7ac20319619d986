//! Credentials across a fleet, against several emulated clusters: one write, rotation, view and removal
//! naming a list of clusters or `*`; all or nothing across clusters; what each cluster and namespace
//! became; the grant limiting `*`; the cap on targets. Writes are counted at each cluster's API server.
//!
//! Its own test binary, with a log capture: every cluster and namespace gets its audit line, and no secret
//! value may appear in a response or a log line.

use gluelinks_emulator::{demo, Emulator, Fault, Matcher};
use gluelinks_tests::harness::{Event, Stack, OPERATOR_TOKEN};
use gluelinks_tests::logs::captured_logs;
use gluelinks_tests::openapi::Checked;
use serde_json::{json, Value};

const PASSWORD: &str = "pw-Fl33t-never-shown";
const ROTATED: &str = "pw-R0tated-never-shown";
const PRINCIPAL: &str = "arn:aws:sts::123456789012:assumed-role/fleet-operator/run";

/// Stored clusters `c0`, `c1`, ... each its own emulated demo cluster, their kubeconfigs in one directory.
struct Fleet {
    stack: Stack,
    /// `c1` onwards (`c0` is the stack's).
    others: Vec<Emulator>,
}

impl Fleet {
    async fn start(name: &str, clusters: usize, settings: &[(&str, &str)]) -> Self {
        captured_logs();
        let stack = Stack::demo_as(name, "c0").await.with_settings(settings);
        let mut others = Vec::new();
        for i in 1..clusters {
            let emulator = Emulator::start().await;
            demo::seed(&emulator);
            emulator.write_kubeconfig(&stack.dir, &format!("c{i}"));
            others.push(emulator);
        }
        Self { stack, others }
    }

    fn cluster(&self, i: usize) -> &Emulator {
        match i {
            0 => &self.stack.emulator,
            i => &self.others[i - 1],
        }
    }

    fn clusters(&self) -> usize {
        1 + self.others.len()
    }

    /// A cluster whose API server refuses connections, stored as `name`.
    fn store_unreachable(&self, name: &str) {
        let kubeconfig = self
            .stack
            .emulator
            .kubeconfig(name)
            .replace(&self.stack.emulator.url(), "https://127.0.0.1:1");
        std::fs::write(
            self.stack.dir.join(format!("{name}.kubeconfig")),
            kubeconfig,
        )
        .unwrap();
    }

    /// Every request each cluster received since the last call (reads included), and the count reset.
    fn calls(&self) -> Vec<usize> {
        (0..self.clusters())
            .map(|i| {
                let n = self.cluster(i).requests().len();
                self.cluster(i).reset_requests();
                n
            })
            .collect()
    }

    /// The writes (not dry runs) each cluster received since the last call, and the count reset.
    fn writes(&self) -> Vec<usize> {
        (0..self.clusters())
            .map(|i| {
                let e = self.cluster(i);
                let n = e
                    .requests()
                    .iter()
                    .filter(|r| matches!(r.verb, Some("create" | "update" | "delete")))
                    .filter(|r| r.resource.as_deref() == Some("secrets"))
                    .filter(|r| !r.dry_run)
                    .count();
                e.reset_requests();
                n
            })
            .collect()
    }

    fn secret(&self, i: usize, namespace: &str, name: &str) -> Option<Value> {
        self.cluster(i).object("", "v1", "secrets", namespace, name)
    }

    /// `POST /secrets/<route>` with `body` as the operator (or, with `principal`, an AWS principal); no
    /// answer may carry a password.
    async fn post(&self, route: &str, body: Value, settings: &[(&str, &str)]) -> (u16, Value) {
        self.post_as(None, route, body, settings).await
    }

    async fn post_as(
        &self,
        principal: Option<&str>,
        route: &str,
        body: Value,
        settings: &[(&str, &str)],
    ) -> (u16, Value) {
        let event = Event::sample("secrets-add-docker.json")
            .path(&format!("/secrets/{route}"))
            .body(&body.to_string());
        let event = match principal {
            Some(arn) => event.without_header("authorization").iam(arn),
            None => event.bearer(OPERATOR_TOKEN),
        };
        let f = secrets_add::SecretsAdd::from_env(&self.stack.env(settings))
            .await
            .unwrap();
        let r = f.handle_checked(event.request()).await;
        let body = gluelinks_http::response::body_json(&r);
        let text = body.to_string();
        assert!(
            !text.contains(PASSWORD) && !text.contains(ROTATED),
            "a response carries a password: {text}"
        );
        (r.status().as_u16(), body)
    }

    /// `GET /secrets?<query>` as the operator.
    async fn list(&self, query: &str) -> (u16, Value) {
        self.list_as(None, query, &[]).await
    }

    /// `GET /secrets?<query>` as the operator or, with `principal`, an AWS principal.
    async fn list_as(
        &self,
        principal: Option<&str>,
        query: &str,
        settings: &[(&str, &str)],
    ) -> (u16, Value) {
        let event = Event::sample("secrets-list-fleet.json").raw_query(query);
        let event = match principal {
            Some(arn) => event.without_header("authorization").iam(arn),
            None => event,
        };
        let f = secrets_list::SecretsList::from_env(&self.stack.env(settings))
            .await
            .unwrap();
        let r = f.handle_checked(event.request()).await;
        (r.status().as_u16(), gluelinks_http::response::body_json(&r))
    }
}

fn docker(clusters: Value, name: &str, password: &str) -> Value {
    json!({"cluster_name": clusters, "name": name, "username": "octo", "password": password,
           "namespaces": "kube-system,default", "upsert": true})
}

/// Each cluster's status, in order.
fn statuses(body: &Value) -> Vec<String> {
    body["clusters"]
        .as_array()
        .unwrap_or_else(|| panic!("no clusters in {body}"))
        .iter()
        .map(|c| c["status"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `(cluster, namespace, outcome)` of every row.
fn rows(body: &Value) -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    for c in body["clusters"].as_array().into_iter().flatten() {
        for r in c["namespaces"].as_array().into_iter().flatten() {
            rows.push((
                c["cluster"].as_str().unwrap_or_default().to_string(),
                r["namespace"].as_str().unwrap_or_default().to_string(),
                r["outcome"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    rows
}

fn outcomes(body: &Value) -> Vec<String> {
    let mut o: Vec<String> = rows(body).into_iter().map(|(_, _, o)| o).collect();
    o.sort();
    o.dedup();
    o
}

/// A pull secret of the right kind that GlueLinks did not write (`kubectl create secret docker-registry`).
fn planted_pull_secret(namespace: &str, name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
           "metadata": {"name": name, "namespace": namespace,
                        "labels": {"jjo.finance/secret-type": "docker-creds"}},
           "data": {".dockerconfigjson": "e30="}})
}

#[tokio::test]
async fn a_fleet_write_is_done_everywhere_or_nowhere() {
    let fleet = Fleet::start("fleet-all-or-none", 3, &[]).await;
    let (status, body) = fleet
        .post("add_docker", docker(json!("*"), "regcred", PASSWORD), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(statuses(&body), ["done", "done", "done"], "{body}");
    assert_eq!(outcomes(&body), ["created"], "{body}");
    assert_eq!(body["totals"]["created"], 9, "{body}");
    for i in 0..3 {
        for ns in ["kube-system", "default", "argocd"] {
            assert!(fleet.secret(i, ns, "regcred").is_some(), "c{i}/{ns}");
        }
    }
    // One audit line per cluster and namespace.
    let logs = captured_logs().text();
    for i in 0..3 {
        for ns in ["kube-system", "default", "argocd"] {
            assert!(
                logs.lines().any(|l| l.contains("secrets.write")
                    && l.contains(&format!("\"cluster\":\"c{i}\""))
                    && l.contains(&format!("\"namespace\":\"{ns}\""))
                    && l.contains("\"outcome\":\"created\"")),
                "no audit line for c{i}/{ns}"
            );
        }
    }
    assert!(!logs.contains(PASSWORD));
    fleet.writes();

    // A secret GlueLinks did not write, in one namespace of one cluster: a 409 naming it, nothing
    // written in any cluster.
    fleet
        .cluster(1)
        .apply(planted_pull_secret("default", "team-pull"));
    let (status, body) = fleet
        .post(
            "add_docker",
            docker(json!(["c0", "c1", "c2"]), "team-pull", PASSWORD),
            &[],
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(statuses(&body), ["ready", "refused", "ready"], "{body}");
    assert_eq!(
        rows(&body),
        [(
            "c1".to_string(),
            "default".to_string(),
            "not created by GlueLinks".to_string()
        )],
        "{body}"
    );
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("Nothing was written anywhere"));
    assert_eq!(fleet.writes(), [0, 0, 0]);
    assert!(fleet.secret(0, "default", "team-pull").is_none());

    // Without upsert, an existing secret anywhere is a conflict: nothing written.
    let mut no_upsert = docker(json!("*"), "regcred", PASSWORD);
    no_upsert["upsert"] = false.into();
    let (status, body) = fleet.post("add_docker", no_upsert, &[]).await;
    assert_eq!(
        (status, outcomes(&body)),
        (409, vec!["exists".to_string()]),
        "{body}"
    );
    assert_eq!(fleet.writes(), [0, 0, 0]);

    // A dry run of the fleet: each cluster checked, nothing written.
    let mut dry = docker(json!("*"), "new-pull", PASSWORD);
    dry["dry_run"] = true.into();
    let (status, body) = fleet.post("add_docker", dry, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dry_run"], true);
    assert_eq!(outcomes(&body), ["created"], "{body}");
    assert_eq!(fleet.writes(), [0, 0, 0]);
}

#[tokio::test]
async fn an_unreachable_cluster_stops_the_write_unless_partial() {
    let fleet = Fleet::start("fleet-unreachable", 2, &[("KUBE_TIMEOUT_SECONDS", "2")]).await;
    fleet.store_unreachable("c9");
    let (status, body) = fleet
        .post("add_docker", docker(json!("*"), "regcred", PASSWORD), &[])
        .await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(statuses(&body), ["ready", "ready", "unreachable"], "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("partial: true"),
        "{body}"
    );
    assert_eq!(fleet.writes(), [0, 0]);

    let mut partial = docker(json!("*"), "regcred", PASSWORD);
    partial["partial"] = true.into();
    let (status, body) = fleet.post("add_docker", partial, &[]).await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(statuses(&body), ["done", "done", "skipped"], "{body}");
    assert_eq!(body["totals"]["skipped_clusters"], 1, "{body}");
    assert_eq!(fleet.writes(), [3, 3]);
}

#[tokio::test]
async fn a_rotation_reports_each_namespace_and_writes_nothing_unchanged() {
    let fleet = Fleet::start("fleet-rotation", 2, &[]).await;
    // c0 has the secret already, c1 not.
    let (status, _) = fleet
        .post("add_docker", docker(json!("c0"), "regcred", PASSWORD), &[])
        .await;
    assert_eq!(status, 200);
    fleet.writes();

    let (status, body) = fleet
        .post("add_docker", docker(json!("*"), "regcred", PASSWORD), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    let by_cluster = |cluster: &str| -> Vec<String> {
        rows(&body)
            .into_iter()
            .filter(|(c, _, _)| c == cluster)
            .map(|(_, _, o)| o)
            .collect()
    };
    assert_eq!(by_cluster("c0"), ["unchanged"; 3], "{body}");
    assert_eq!(by_cluster("c1"), ["created"; 3], "{body}");
    // Unchanged is not written at all.
    assert_eq!(fleet.writes(), [0, 3]);

    // The token rotates: replaced everywhere, the new value stored.
    let (status, body) = fleet
        .post("add_docker", docker(json!("*"), "regcred", ROTATED), &[])
        .await;
    assert_eq!(
        (status, outcomes(&body)),
        (200, vec!["replaced".to_string()]),
        "{body}"
    );
    assert_eq!(fleet.writes(), [3, 3]);
    let stored = fleet.secret(1, "default", "regcred").unwrap();
    let config = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        stored["data"][".dockerconfigjson"].as_str().unwrap(),
    )
    .unwrap();
    assert!(String::from_utf8(config).unwrap().contains(ROTATED));
    assert!(!captured_logs().text().contains(ROTATED));
}

#[tokio::test]
async fn the_fleet_view_says_where_a_credential_is_held_and_lacking() {
    let fleet = Fleet::start("fleet-view", 3, &[]).await;
    for (cluster, namespaces) in [("c0", "kube-system,default"), ("c1", "kube-system")] {
        let mut body = docker(json!(cluster), "regcred", PASSWORD);
        body["namespaces"] = namespaces.into();
        assert_eq!(fleet.post("add_docker", body, &[]).await.0, 200);
    }
    let (status, body) = fleet.list("cluster=*&name=regcred").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_clusters"], 3);
    assert_eq!(body["status"], "success");
    let held: Vec<(String, String)> = body["credential"]["held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            assert!(h["last_changed"].is_string(), "{h}");
            assert_eq!(h["managed_by_gluelinks"], true, "{h}");
            (
                h["cluster"].as_str().unwrap().into(),
                h["namespace"].as_str().unwrap().into(),
            )
        })
        .collect();
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(c, n)| (c.to_string(), n.to_string()))
            .collect()
    };
    assert_eq!(
        held,
        pairs(&[
            ("c0", "argocd"),
            ("c0", "default"),
            ("c0", "kube-system"),
            ("c1", "argocd"),
            ("c1", "kube-system")
        ]),
        "{body}"
    );
    let missing: Vec<(String, String)> = body["credential"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["cluster"].as_str().unwrap().into(),
                m["namespace"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        missing,
        pairs(&[
            ("c1", "default"),
            ("c2", "argocd"),
            ("c2", "default"),
            ("c2", "kube-system")
        ]),
        "{body}"
    );
    // Each cluster's own listing holds that name only, metadata only.
    for listing in body["clusters"].as_array().unwrap() {
        for entry in listing["docker_creds_secrets"].as_array().unwrap() {
            assert_eq!(entry["name"], "regcred");
        }
    }
    assert!(!body.to_string().contains("e30=") && !body.to_string().contains(PASSWORD));

    // A comma list, one cluster of it unknown: 404 naming it.
    let (status, body) = fleet.list("cluster=c0,nope").await;
    assert_eq!(status, 404, "{body}");
    assert!(body["message"].as_str().unwrap().contains("nope"));

    // A name that no secret can have is a 400 saying so, not an empty answer.
    let (status, body) = fleet.list("cluster=*&name=Reg_Cred").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid parameter name 'Reg_Cred'"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_too_slow_to_check_in_time_stops_the_write_or_is_skipped() {
    // Of the 6 s deadline, the writes are kept one call's bound (4 s), at most half (3 s): the checks
    // must end by 3 s. c0's dry runs answer after 3.2 s (within the 4 s call bound), too late.
    let bound = [
        ("KUBE_TIMEOUT_SECONDS", "4"),
        ("SECRETS_DEADLINE_SECONDS", "6"),
    ];
    let fleet = Fleet::start("fleet-slow-checks", 3, &bound).await;
    fleet.cluster(0).add_fault(
        Matcher {
            dry_run: Some(true),
            ..Matcher::default()
        },
        Fault::Hang(std::time::Duration::from_millis(3200)),
    );
    fleet.writes();
    let (status, body) = fleet
        .post("add_docker", docker(json!("*"), "regcred", PASSWORD), &[])
        .await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(statuses(&body), ["unreachable", "ready", "ready"], "{body}");
    let why = body["clusters"][0]["message"].as_str().unwrap();
    assert!(
        why.starts_with("Cluster 'c0' did not answer its kubeconfig read and checks within 3 s"),
        "{why}"
    );
    assert_eq!(fleet.writes(), [0, 0, 0], "nothing written anywhere");

    // With partial, the slow cluster is skipped and the others written, in time.
    let mut body = docker(json!("*"), "regcred", PASSWORD);
    body["partial"] = json!(true);
    let (status, body) = fleet.post("add_docker", body, &[]).await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(statuses(&body), ["skipped", "done", "done"], "{body}");
    assert_eq!(fleet.writes(), [0, 3, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_view_answers_within_one_clusters_bound_however_many_clusters() {
    // One cluster at a time, each taking 400 ms: three take 1.2 s, past the 1.1 s bound of one.
    let bound = [
        ("KUBE_TIMEOUT_SECONDS", "1"),
        ("SECRETS_CLUSTER_CONCURRENCY", "1"),
    ];
    let fleet = Fleet::start("fleet-view-deadline", 3, &bound).await;
    for i in 0..fleet.clusters() {
        fleet
            .cluster(i)
            .set_latency(std::time::Duration::from_millis(400));
    }
    let started = std::time::Instant::now();
    let (status, body) = fleet.list("cluster=*").await;
    let took = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert!(took < std::time::Duration::from_secs(2), "{took:?}");
    let statuses = statuses(&body);
    assert_eq!(
        (statuses[0].as_str(), statuses[2].as_str()),
        ("success", "timeout"),
        "{body}"
    );
    assert_eq!(body["status"], "partial", "{body}");
    assert_eq!(
        body["clusters"][2]["message"],
        "The cluster did not answer listing secrets within 1 s (KUBE_TIMEOUT_SECONDS)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_that_changes_hands_after_its_check_is_never_deleted() {
    let fleet = Fleet::start("fleet-remove-race", 1, &[]).await;
    for name in ["regcred-a", "regcred-b"] {
        let (status, _) = fleet
            .post("add_docker", docker(json!(["c0"]), name, PASSWORD), &[])
            .await;
        assert_eq!(status, 200);
    }
    // Deletions wait 1.5 s at the API server. Another owner takes the secret over while the first
    // deletion (the dry run) waits, or while the second (the real one) does: each carries the uid and
    // resourceVersion read, so neither deletes what changed hands.
    let c0 = fleet.cluster(0);
    c0.add_fault(
        Matcher {
            method: Some("DELETE"),
            ..Matcher::default()
        },
        Fault::Hang(std::time::Duration::from_millis(1500)),
    );
    for (name, deletes, status) in [("regcred-a", 1, 409), ("regcred-b", 2, 502)] {
        c0.reset_requests();
        let take_over = async {
            let arrived = || {
                c0.requests()
                    .iter()
                    .filter(|r| r.verb == Some("delete"))
                    .count()
            };
            let wait = async {
                while arrived() < deletes {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            };
            tokio::time::timeout(std::time::Duration::from_secs(10), wait)
                .await
                .expect("the deletion reaches the API server");
            let mut secret = c0.object("", "v1", "secrets", "default", name).unwrap();
            secret["metadata"]["labels"] = json!({"jjo.finance/secret-type": "docker-creds",
                                                  "app.kubernetes.io/managed-by": "team-registry"});
            c0.apply(secret);
        };
        let body = json!({"cluster_name": ["c0"], "name": name, "kind": "docker",
                          "namespaces": "default"});
        let ((got, reply), ()) = tokio::join!(fleet.post("remove", body, &[]), take_over);
        assert_eq!(got, status, "{name}: {reply}");
        assert!(
            reply.to_string().contains("changed since it was read"),
            "{name}: {reply}"
        );
        let secret = fleet.secret(0, "default", name).expect("never deleted");
        assert_eq!(
            secret["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "team-registry"
        );
    }
}

#[tokio::test]
async fn removal_takes_only_what_gluelinks_created_everywhere_or_nowhere() {
    let fleet = Fleet::start("fleet-remove", 3, &[]).await;
    let remove = |clusters: Value, dry_run: bool| {
        json!({"cluster_name": clusters, "name": "regcred", "kind": "docker",
               "namespaces": "kube-system,default", "dry_run": dry_run})
    };
    assert_eq!(
        fleet
            .post(
                "add_docker",
                docker(json!(["c0", "c1"]), "regcred", PASSWORD),
                &[]
            )
            .await
            .0,
        200
    );
    fleet
        .cluster(2)
        .apply(planted_pull_secret("default", "regcred"));
    fleet.writes();

    // c2's is not GlueLinks': the whole removal stops, dry run or not; nothing removed anywhere.
    for dry_run in [true, false] {
        let (status, body) = fleet.post("remove", remove(json!("*"), dry_run), &[]).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(statuses(&body), ["ready", "ready", "refused"], "{body}");
        assert!(rows(&body)[0].2.contains("not GlueLinks'"), "{body}");
        assert_eq!(fleet.writes(), [0, 0, 0]);
    }

    // A dry run of GlueLinks' own: what would go, nothing removed.
    let (status, body) = fleet
        .post("remove", remove(json!(["c0", "c1"]), true), &[])
        .await;
    assert_eq!(
        (status, outcomes(&body)),
        (200, vec!["removed".to_string()]),
        "{body}"
    );
    assert_eq!(fleet.writes(), [0, 0, 0]);
    assert!(fleet.secret(0, "default", "regcred").is_some());

    let (status, body) = fleet
        .post("remove", remove(json!(["c0", "c1"]), false), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totals"]["removed"], 4, "{body}");
    assert_eq!(fleet.writes(), [2, 2, 0]);
    for i in [0, 1] {
        assert!(fleet.secret(i, "default", "regcred").is_none());
        assert!(
            fleet.secret(i, "argocd", "regcred").is_some(),
            "the Argo CD namespace's copy, which other namespaces' adds share, stays unless named"
        );
    }
    assert!(
        fleet.secret(2, "default", "regcred").is_some(),
        "another's secret stays"
    );

    // Named, the Argo CD namespace's copy goes too; the namespaces already emptied are reported absent.
    let everywhere = |clusters: Value| {
        let mut body = remove(clusters, false);
        body["namespaces"] = json!("kube-system,default,argocd");
        body
    };
    let (status, body) = fleet
        .post("remove", everywhere(json!(["c0", "c1"])), &[])
        .await;
    assert_eq!(
        (status, outcomes(&body)),
        (200, vec!["absent".to_string(), "removed".to_string()]),
        "{body}"
    );
    assert_eq!(body["totals"]["removed"], 2, "{body}");
    assert_eq!(fleet.writes(), [1, 1, 0]);
    for i in [0, 1] {
        assert!(fleet.secret(i, "argocd", "regcred").is_none());
    }

    // Again: nothing left to remove.
    let (status, body) = fleet
        .post("remove", everywhere(json!(["c0", "c1"])), &[])
        .await;
    assert_eq!(
        (status, outcomes(&body)),
        (200, vec!["absent".to_string()]),
        "{body}"
    );
}

const AUDITOR: &str = "arn:aws:sts::123456789012:assumed-role/auditor/bob";

#[tokio::test]
async fn the_grant_limits_star_and_the_cap_limits_targets() {
    let grants = json!({ "arn:aws:iam::123456789012:role/fleet-operator":
                         {"clusters": ["c0", "c2"], "access": "write"},
                         "arn:aws:iam::123456789012:role/auditor":
                         {"clusters": ["c1"], "access": "list"} })
    .to_string();
    let fleet = Fleet::start("fleet-grant", 3, &[("OPERATOR_GRANTS", &grants)]).await;
    let (status, body) = fleet
        .post_as(
            Some(PRINCIPAL),
            "add_docker",
            docker(json!("*"), "regcred", PASSWORD),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let clusters: Vec<&str> = body["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cluster"].as_str().unwrap())
        .collect();
    assert_eq!(clusters, ["c0", "c2"], "{body}");
    assert_eq!(fleet.writes(), [3, 0, 3]);

    let (status, body) = fleet
        .post_as(
            Some(PRINCIPAL),
            "add_docker",
            docker(json!(["c0", "c1"]), "regcred", PASSWORD),
            &[],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(fleet.writes(), [0, 0, 0]);

    // A list-only principal's fleet view is its grant's clusters; a store failure is told it without
    // where the kubeconfigs are (an error id instead; the detail is logged).
    let (status, body) = fleet.list_as(Some(AUDITOR), "cluster=*", &[]).await;
    assert_eq!(
        (status, statuses(&body)),
        (200, vec!["success".to_string()]),
        "{body}"
    );
    assert_eq!(body["clusters"][0]["cluster"], "c1", "{body}");
    let (status, body) = fleet.list_as(Some(AUDITOR), "cluster=c0,c1", &[]).await;
    assert_eq!(status, 403, "{body}");
    let broken = [("CLUSTERS_DIR", "/nonexistent/fleet-kubeconfigs")];
    let (status, body) = fleet.list_as(Some(AUDITOR), "cluster=*", &broken).await;
    assert_eq!(status, 502, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("(error id ") && !message.contains("/nonexistent"),
        "{message}"
    );
    fleet.calls();

    // 3 clusters × 3 namespaces is over a cap of 8: a 400 saying so, nothing read or written.
    let (status, body) = fleet
        .post(
            "add_docker",
            docker(json!("*"), "other", PASSWORD),
            &[("SECRETS_MAX_TARGETS", "8")],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("9 secrets (3 clusters × 3 per cluster)"),
        "{message}"
    );
    assert!(message.contains("SECRETS_MAX_TARGETS"), "{message}");
    assert_eq!(fleet.calls(), [0, 0, 0]);

    // A list of clusters longer than the cap allows is refused as it is read, before the store is asked
    // (the names need not exist), and the answer names none of them; so is a fleet view's.
    let many: Vec<String> = (0..400).map(|i| format!("cluster-{i}")).collect();
    for (route, body) in [
        ("add_docker", docker(json!(many), "other", PASSWORD)),
        (
            "remove",
            json!({"cluster_name": many, "name": "other", "kind": "repository"}),
        ),
    ] {
        let (status, reply) = fleet
            .post(route, body, &[("SECRETS_MAX_TARGETS", "300")])
            .await;
        assert_eq!(status, 400, "{route}: {reply}");
        let message = reply["message"].as_str().unwrap();
        assert!(message.contains("400 clusters"), "{message}");
        assert!(!message.contains("cluster-1"), "{message}");
    }
    let (status, reply) = fleet
        .list_as(
            None,
            &format!("cluster={}", many.join(",")),
            &[("SECRETS_MAX_TARGETS", "300")],
        )
        .await;
    assert_eq!(status, 400, "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("400 clusters"),
        "{reply}"
    );
    assert_eq!(fleet.calls(), [0, 0, 0]);
}

//! Health and fixtures through real API Gateway HTTP API events: the sample events, bad input,
//! auth, CORS, and the agreement of template.yaml, the route tables and the OpenAPI document.

use gluelinks_core::auth::Scope;
use gluelinks_core::config::Env;
use gluelinks_http::response::body_json;
use gluelinks_tests::openapi::Checked;
use gluelinks_tests::{event, event_text, template_routes};
use lambda_http::Request;
use serde_json::Value;
use std::time::Instant;

const READ: &str = "sample-proxy-token-0123456789";
const WRITE: &str = "sample-operator-token-0123456789";

fn env(extra: &[(&str, &str)]) -> Env {
    let mut pairs = vec![("AUTH_PROXY_TOKEN", READ), ("AUTH_OPERATOR_TOKEN", WRITE)];
    pairs.extend_from_slice(extra);
    Env::from_pairs(pairs)
}

/// A sample event with its method, path and headers changed.
fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
    let mut e: Value = serde_json::from_str(&event_text("health-api-v1-health.json")).unwrap();
    e["rawPath"] = path.into();
    e["requestContext"]["http"]["method"] = method.into();
    e["requestContext"]["http"]["path"] = path.into();
    for (k, v) in headers {
        e["headers"][*k] = (*v).into();
    }
    lambda_http::request::from_str(&e.to_string()).unwrap()
}

async fn health(req: Request) -> (u16, Value) {
    let f = health::Health::from_env(&env(&[])).unwrap();
    let r = f.handle_checked(req).await;
    (r.status().as_u16(), body_json(&r))
}

async fn fixtures_with(settings: &[(&str, &str)], req: Request) -> (u16, Value) {
    let f = fixtures::Fixtures::from_env(&env(settings)).unwrap();
    let r = f.handle_checked(req).await;
    (r.status().as_u16(), body_json(&r))
}

async fn fixtures(req: Request) -> (u16, Value) {
    fixtures_with(&[], req).await
}

#[tokio::test]
async fn every_sample_event_succeeds_through_its_function() {
    let dir = gluelinks_tests::repo_root().join("events");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let status = match gluelinks_tests::function_for_event(&name).as_deref() {
            Some("health") => health(event(&name)).await.0,
            Some("fixtures") => fixtures(event(&name)).await.0,
            Some("clusters") => {
                let dir = gluelinks_tests::temp_dir("events-clusters");
                let env = env(&[
                    ("CLUSTERS_DIR", dir.to_str().unwrap()),
                    ("OPERATOR_GRANTS", gluelinks_tests::SAMPLE_OPERATOR_GRANTS),
                ]);
                let function = clusters::Clusters::from_env(&env).await.unwrap();
                function
                    .handle_checked(event(&name))
                    .await
                    .status()
                    .as_u16()
            }
            // These need a cluster; tests/links.rs and tests/secrets.rs run them, and so does `make invoke`.
            Some("links" | "secrets-list" | "secrets-add" | "warm") => continue,
            other => panic!("{name}: no in-process runner for function {other:?}"),
        };
        assert_eq!(status, 200, "{name}");
        count += 1;
    }
    assert!(count >= 7, "only {count} events");
}

#[tokio::test]
async fn health_answers_in_both_api_families_shapes() {
    let (status, body) = health(event("health-api-v1-health.json")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["version"], "v1");
    assert!(chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).is_ok());

    let (_, body) = health(event("health-health.json")).await;
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["service"], health::SERVICE_NAME);
    assert!(chrono::DateTime::parse_from_rfc2822(body["timestamp"].as_str().unwrap()).is_ok());
    assert!(body["timestamp"].as_str().unwrap().ends_with(" GMT"));

    let (_, doc) = health(event("health-openapi.json")).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let cases = [
        ("GET", "/nope", 404, "message"),
        ("GET", "/api/v2/anything", 404, "detail"),
        ("POST", "/api/v1/health", 405, "detail"),
        ("DELETE", "/health", 405, "message"),
        // Served by the fixtures function, but not with POST: 405 from the catch-all.
        ("POST", "/api/v1/fixtures/all-ok", 405, "detail"),
    ];
    for (method, path, expected, key) in cases {
        let (status, body) = health(request(method, path, &[])).await;
        assert_eq!(status, expected, "{method} {path}");
        assert!(body[key].is_string(), "{method} {path}: {body}");
    }
    let f = health::Health::from_env(&env(&[])).unwrap();
    let r = f
        .handle_checked(request("POST", "/api/v1/health", &[]))
        .await;
    assert_eq!(r.headers()["allow"], "GET");
}

#[tokio::test]
async fn fixtures_need_a_token_and_health_does_not() {
    let bearer = format!("Bearer {READ}");
    let cases: [(&[(&str, &str)], u16); 5] = [
        (&[], 401),
        (&[("authorization", "Bearer not-the-token-at-all")], 401),
        (&[("x-gluelinks-token", "$gluelinks.token")], 401),
        (&[("authorization", &bearer)], 200),
        (&[("x-gluelinks-token", READ)], 200),
    ];
    for (headers, expected) in cases {
        let (status, body) = fixtures(request("GET", "/api/v1/fixtures/minimal", headers)).await;
        assert_eq!(status, expected, "{headers:?}");
        if expected == 401 {
            assert!(body["detail"].as_str().unwrap().contains("token"), "{body}");
        }
    }
    assert_eq!(health(request("GET", "/api/v1/health", &[])).await.0, 200);

    // No token configured and auth not disabled: refused, whatever is sent.
    let closed = fixtures::Fixtures::from_env(&Env::default()).unwrap();
    let r = closed
        .handle_checked(request(
            "GET",
            "/api/v1/fixtures/all-ok",
            &[("authorization", &bearer)],
        ))
        .await;
    assert_eq!(r.status(), 401);
    let open = fixtures::Fixtures::from_env(&Env::from_pairs([("AUTH_DISABLED", "true")])).unwrap();
    assert_eq!(
        open.handle_checked(request("GET", "/api/v1/fixtures/all-ok", &[]))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn every_fixture_has_the_links_shape() {
    let auth = [("x-gluelinks-token", READ)];
    for name in gluelinks_links_model::fixtures::NAMES
        .iter()
        .filter(|n| **n != "slow")
    {
        let (status, body) =
            fixtures(request("GET", &format!("/api/v1/fixtures/{name}"), &auth)).await;
        assert_eq!(status, 200, "{name}");
        let parsed: gluelinks_links_model::LinksResponse =
            serde_json::from_value(body.clone()).unwrap();
        assert_eq!(parsed.metadata.version, "v1");
        for key in ["appName", "namespace", "serviceName", "lastUpdated"] {
            assert!(body[key].is_string(), "{name} lacks {key}");
        }
    }
    let (_, mock) = fixtures(event("fixtures-mock-links.json")).await;
    assert_eq!(mock["appName"], "taco-backend-prod");
    let (_, other) = fixtures_with(
        &[("DEFAULT_MOCK_FIXTURE", "errors")],
        request("GET", "/api/v1/mock/applications/billing-api/links", &auth),
    )
    .await;
    assert_eq!(other["appName"], "billing-api");
    assert_eq!(other["metadata"]["resources"]["argocdApp"], false);
}

#[tokio::test]
async fn hostile_fixture_names_get_a_bounded_404() {
    let auth = [("x-gluelinks-token", READ)];
    let long = format!("/api/v1/fixtures/{}", "a".repeat(10_000));
    for path in [
        "/api/v1/fixtures/..%2Fx",
        "/api/v1/fixtures/%FF%FE%00",
        long.as_str(),
    ] {
        let (status, body) = fixtures(request("GET", path, &auth)).await;
        assert_eq!(status, 404, "{path}");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.len() < 300, "{} bytes", detail.len());
        assert!(
            detail.contains("all-ok") && detail.contains("multi-links"),
            "{detail}"
        );
    }
    let (status, _) = fixtures(request("GET", "/api/v1/fixtures/../x", &auth)).await;
    assert_eq!(status, 404);
    let (status, body) = fixtures(request(
        "GET",
        "/api/v1/mock/applications/BAD%20name/links",
        &auth,
    ))
    .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn slow_fixture_takes_three_seconds() {
    let started = Instant::now();
    let (status, body) = fixtures(request(
        "GET",
        "/api/v1/fixtures/slow",
        &[("x-gluelinks-token", READ)],
    ))
    .await;
    assert_eq!(status, 200);
    assert!(started.elapsed().as_secs_f64() >= 3.0);
    assert_eq!(body["categories"][0]["status"], "ok");
}

#[tokio::test]
async fn cors_follows_the_allowed_origins() {
    let origin = [("origin", "https://argocd.example.com")];
    let f = health::Health::from_env(&env(&[])).unwrap();
    let r = f
        .handle_checked(request("GET", "/api/v1/health", &origin))
        .await;
    assert!(r.headers().get("access-control-allow-origin").is_none());

    let allowed = env(&[("CORS_ALLOWED_ORIGINS", "https://argocd.example.com")]);
    let f = fixtures::Fixtures::from_env(&allowed).unwrap();
    let r = f
        .handle_checked(request("OPTIONS", "/api/v1/fixtures/all-ok", &origin))
        .await;
    assert_eq!(r.status(), 204);
    let r = f
        .handle_checked(request(
            "GET",
            "/api/v1/fixtures/all-ok",
            &[origin[0], ("x-gluelinks-token", READ)],
        ))
        .await;
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://argocd.example.com"
    );
}

/// A preflight for a call carrying each header the extension is configured to send is allowed, with the
/// token and cluster headers renamed.
#[tokio::test]
async fn preflights_allow_the_configured_token_and_cluster_headers() {
    let origin = ("origin", "https://argocd.example.com");
    let configured = env(&[
        ("CORS_ALLOWED_ORIGINS", "https://argocd.example.com"),
        ("AUTH_HEADER", "X-Argo-Token"),
        ("CLUSTER_HEADER", "X-Argo-Cluster"),
    ]);
    let f = fixtures::Fixtures::from_env(&configured).unwrap();
    for header in [
        "x-argo-token",
        "x-argo-cluster",
        "argocd-application-name",
        "argocd-target-cluster-name",
        "authorization",
    ] {
        let r = f
            .handle_checked(request(
                "OPTIONS",
                "/api/links",
                &[origin, ("access-control-request-headers", header)],
            ))
            .await;
        assert_eq!(r.status(), 204, "{header}");
        let allowed = r.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap();
        assert!(
            allowed.split(", ").any(|h| h == header),
            "{header}: {allowed}"
        );
    }
}

#[test]
fn template_function_tables_and_openapi_agree() {
    let documented = gluelinks_core::api_doc::routes();
    let declared = template_routes();
    assert!(declared.len() >= 7, "{declared:?}");
    for r in &declared {
        assert!(
            documented.contains(&(r.method.clone(), r.path.clone())),
            "{} {} is in template.yaml but not in openapi.json",
            r.method,
            r.path
        );
    }
    for (method, path) in &documented {
        assert!(
            declared
                .iter()
                .any(|r| &r.method == method && &r.path == path),
            "{method} {path} is documented but template.yaml has no route for it"
        );
    }
    fn table<R>(routes: &[gluelinks_http::route::Route<R>]) -> Vec<(&str, &str, Scope)> {
        routes.iter().map(|r| (r.method, r.path, r.scope)).collect()
    }
    let tables = [
        ("health", table(health::ROUTES)),
        ("fixtures", table(fixtures::ROUTES)),
        ("clusters", table(clusters::ROUTES)),
        ("links", table(links::ROUTES)),
        ("secrets-list", table(secrets_list::ROUTES)),
        ("secrets-add", table(secrets_add::ROUTES)),
    ];
    let doc: Value = serde_json::from_str(gluelinks_core::api_doc::OPENAPI_JSON).unwrap();
    for (function, routes) in &tables {
        for (method, path, scope) in routes {
            // The document's security matches what the function enforces, and the operator routes are
            // the ones API Gateway authorises with AWS IAM (SigV4) in the deployed stack.
            let security = &doc["paths"][path][method.to_ascii_lowercase()]["security"];
            let open = security.as_array().is_some_and(Vec::is_empty);
            assert_eq!(
                open,
                *scope == Scope::Public,
                "{function}: {method} {path} security {security}"
            );
            let operator = matches!(scope, Scope::List | Scope::Write);
            let signed = security.to_string().contains("awsSigV4");
            assert_eq!(
                signed, operator,
                "{function}: {method} {path} security {security}"
            );
            let iam = declared
                .iter()
                .any(|r| r.method == *method && r.path == *path && r.iam);
            assert_eq!(
                iam, operator,
                "{function}: {method} {path}: AWS_IAM in template.yaml"
            );
        }
    }
    let makefile = std::fs::read_to_string(gluelinks_tests::repo_root().join("Makefile")).unwrap();
    assert!(
        makefile.contains(gluelinks_tests::SAMPLE_OPERATOR_GRANTS),
        "the Makefile's SAMPLE_OPERATOR_GRANTS is the tests' own"
    );
    // `make run` routes each path to the function the HTTP API does.
    let manifest =
        std::fs::read_to_string(gluelinks_tests::repo_root().join("Cargo.toml")).unwrap();
    let router: Vec<(String, String)> = manifest
        .split("[workspace.metadata.lambda.watch.router]")
        .nth(1)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let (path, function) = l.split_once(" = ")?;
            Some((
                path.trim_matches('"').to_string(),
                function.trim_matches('"').to_string(),
            ))
        })
        .collect();
    for r in &declared {
        let routed = router
            .iter()
            .find(|(p, _)| *p == r.path)
            .map(|(_, f)| f.as_str());
        assert_eq!(
            routed,
            Some(r.function.as_str()),
            "{} in the cargo lambda watch router",
            r.path
        );
    }
    let served: usize = tables.iter().map(|(_, t)| t.len()).sum();
    assert_eq!(
        served,
        declared.len(),
        "every template route is served by its function"
    );
    for (function, routes) in tables {
        let table: Vec<(&str, &str)> = routes.iter().map(|(m, p, _)| (*m, *p)).collect();
        let in_template: Vec<(&str, &str)> = declared
            .iter()
            .filter(|r| r.function == function)
            .map(|r| (r.method.as_str(), r.path.as_str()))
            .collect();
        assert_eq!(
            table, in_template,
            "{function}'s routes differ from template.yaml"
        );
    }
}

/// The HTTP API answers preflights itself when deployed: its allowed headers are the list the functions
/// allow locally (`headers::allowed`), with the template's defaults for the token and cluster headers.
#[test]
fn the_templates_cors_headers_are_the_functions() {
    use gluelinks_core::headers;
    let text = std::fs::read_to_string(gluelinks_tests::repo_root().join("template.yaml")).unwrap();
    let default_of = |parameter: &str| {
        let start = text.find(&format!("\n  {parameter}:\n")).unwrap();
        text[start..]
            .lines()
            .find_map(|l| l.trim().strip_prefix("Default: "))
            .unwrap()
            .to_string()
    };
    assert_eq!(default_of("AuthHeader"), headers::DEFAULT_TOKEN);
    assert_eq!(default_of("ClusterHeader"), headers::DEFAULT_CLUSTER);
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("AllowHeaders: "))
        .unwrap();
    let mut template: Vec<String> = line
        .trim_matches(['[', ']'])
        .split(',')
        .map(|h| match h.trim() {
            "!Ref AuthHeader" => headers::DEFAULT_TOKEN.to_ascii_lowercase(),
            "!Ref ClusterHeader" => headers::DEFAULT_CLUSTER.to_ascii_lowercase(),
            other => other.to_string(),
        })
        .collect();
    let mut functions = headers::allowed(headers::DEFAULT_TOKEN, headers::DEFAULT_CLUSTER);
    template.sort();
    functions.sort();
    assert_eq!(template, functions);
}

/// A flood costs little: the HTTP API throttles every route before a function runs, and every function's
/// concurrency is bounded (the HTTP ones by `FunctionConcurrency`, the warm one to a single run).
#[test]
fn every_function_is_bounded_and_the_api_throttled() {
    let text = std::fs::read_to_string(gluelinks_tests::repo_root().join("template.yaml")).unwrap();
    // Top-level resource blocks, by name.
    let resources = &text[text.find("\nResources:\n").unwrap()..];
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in resources.lines().skip(2) {
        if line.starts_with("  ") && !line.starts_with("   ") && line.trim_end().ends_with(':') {
            blocks.push((line.trim().trim_end_matches(':').to_string(), String::new()));
        } else if !line.starts_with(' ') && !line.is_empty() {
            break;
        } else if let Some((_, body)) = blocks.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    let globals = &text[text.find("\nGlobals:\n").unwrap()..text.find("\nResources:\n").unwrap()];
    assert!(globals.contains(
        "ReservedConcurrentExecutions: !If [ReservesConcurrency, !Ref FunctionConcurrency, !Ref AWS::NoValue]"
    ));
    let functions: Vec<&(String, String)> = blocks
        .iter()
        .filter(|(_, b)| b.contains("Type: AWS::Serverless::Function"))
        .collect();
    assert_eq!(
        functions.len(),
        7,
        "{:?}",
        blocks.iter().map(|b| &b.0).collect::<Vec<_>>()
    );
    let warm = functions.iter().find(|(n, _)| n == "WarmFunction").unwrap();
    assert!(
        warm.1.contains(
            "ReservedConcurrentExecutions: !If [ReservesConcurrency, 1, !Ref AWS::NoValue]"
        ),
        "one warm run at a time"
    );
    // Stable names: metrics' `function` dimension and alarms survive a replacement.
    for (logical, body) in &functions {
        let binary = gluelinks_tests::function_binary(logical.trim_end_matches("Function"));
        assert!(
            body.contains(&format!(
                "FunctionName: !Sub \"${{AWS::StackName}}-{binary}\""
            )),
            "{logical}"
        );
    }
    // SAM builds each function with the Makefile's target for it.
    let makefile = std::fs::read_to_string(gluelinks_tests::repo_root().join("Makefile")).unwrap();
    for (logical, _) in &functions {
        let binary = gluelinks_tests::function_binary(logical.trim_end_matches("Function"));
        assert!(
            makefile.contains(&format!("{logical}:{binary}")),
            "{logical} in SAM_FUNCTIONS"
        );
    }
    let api = blocks.iter().find(|(n, _)| n == "HttpApi").unwrap();
    for setting in [
        "ThrottlingRateLimit: !Ref ThrottleRateLimit",
        "ThrottlingBurstLimit: !Ref ThrottleBurstLimit",
    ] {
        assert!(api.1.contains(setting), "{setting}");
    }
    let default_of = |parameter: &str| -> u64 {
        let start = text.find(&format!("\n  {parameter}:\n")).unwrap();
        text[start..]
            .lines()
            .find_map(|l| l.trim().strip_prefix("Default: "))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(default_of("FunctionConcurrency") <= 20);
    assert!(default_of("ThrottleRateLimit") <= 100);
}

/// A body that is not UTF-8, as API Gateway delivers it (base64), is a 400 that says what to send, not a
/// failure: only the local `cargo lambda watch` cannot carry such bytes (tests/contract.sh).
#[tokio::test]
async fn a_body_that_is_not_utf8_is_a_clear_400() {
    use base64::Engine;
    let mut e: Value = serde_json::from_str(&event_text("secrets-add-docker.json")).unwrap();
    e["body"] = base64::engine::general_purpose::STANDARD
        .encode([0xff, 0xfe, 0x7b, 0x80])
        .into();
    e["isBase64Encoded"] = true.into();
    let dir = gluelinks_tests::temp_dir("utf8-body");
    let add = secrets_add::SecretsAdd::from_env(&env(&[
        ("AUTH_OPERATOR_TOKEN", "sample-operator-token-0123456789"),
        ("CLUSTERS_DIR", dir.to_str().unwrap()),
    ]))
    .await
    .unwrap();
    let r = add
        .handle_checked(lambda_http::request::from_str(&e.to_string()).unwrap())
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        body_json(&r)["message"].as_str().unwrap().contains("JSON"),
        "{:?}",
        body_json(&r)
    );
}

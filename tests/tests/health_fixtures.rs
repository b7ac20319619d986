//! Health and fixtures through real API Gateway HTTP API events: the sample events, bad input, auth and
//! CORS. Every sample event of a function that needs no cluster answers 200.

use gluelinks_core::config::Env;
use gluelinks_tests::harness::{
    env_of, event, function_for_event, Event, PROXY_TOKEN, SAMPLE_OPERATOR_GRANTS,
    SAMPLE_TOKEN_SETTINGS,
};
use gluelinks_tests::openapi::Checked;
use lambda_http::Request;
use serde_json::Value;
use std::time::Instant;

const READ: &str = PROXY_TOKEN;

/// The sample tokens' settings, then `extra`.
fn settings(extra: &[(&str, &str)]) -> Env {
    env_of(&[SAMPLE_TOKEN_SETTINGS, extra])
}

/// A sample event with its method, path and headers changed.
fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
    let event = Event::sample("health-api-v1-health.json")
        .method(method)
        .path(path);
    headers
        .iter()
        .fold(event, |e, (k, v)| e.header(k, v))
        .request()
}

async fn health(req: Request) -> (u16, Value) {
    health::Health::from_env(&settings(&[]))
        .unwrap()
        .answer(req)
        .await
}

async fn fixtures_with(extra: &[(&str, &str)], req: Request) -> (u16, Value) {
    let f = fixtures::Fixtures::from_env(&settings(extra)).unwrap();
    f.answer(req).await
}

async fn fixtures(req: Request) -> (u16, Value) {
    fixtures_with(&[], req).await
}

#[tokio::test]
async fn every_sample_event_succeeds_through_its_function() {
    let dir = gluelinks_emulator::project::repo_root().join("events");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let status = match function_for_event(&name).as_deref() {
            Some("health") => health(event(&name)).await.0,
            Some("fixtures") => fixtures(event(&name)).await.0,
            Some("clusters") => {
                let dir = gluelinks_emulator::project::temp_dir("events-clusters");
                let env = settings(&[
                    ("CLUSTERS_DIR", dir.to_str().unwrap()),
                    ("OPERATOR_GRANTS", SAMPLE_OPERATOR_GRANTS),
                ]);
                let function = clusters::Clusters::from_env(&env).await.unwrap();
                function
                    .handle_checked(event(&name))
                    .await
                    .status()
                    .as_u16()
            }
            // These need a cluster; links.rs, warm.rs, secrets_list.rs and secrets_add.rs run them, and so do
            // `make invoke` and `make deployed`.
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
    let f = health::Health::from_env(&settings(&[])).unwrap();
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
    let f = health::Health::from_env(&settings(&[])).unwrap();
    let r = f
        .handle_checked(request("GET", "/api/v1/health", &origin))
        .await;
    assert!(r.headers().get("access-control-allow-origin").is_none());

    let allowed = settings(&[("CORS_ALLOWED_ORIGINS", "https://argocd.example.com")]);
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
    let configured = settings(&[
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

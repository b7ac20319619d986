//! When the cache cannot be reached, readiness says what ElastiCache itself says of it (its status and
//! endpoint), asked then and only then: a stand-in for the ElastiCache API answers `DescribeServerlessCaches`
//! as AWS does (query protocol, XML).
//!
//! Its own test binary: it points the process's AWS settings at the stand-in before anything else runs.

use gluelinks_http::response::body_json;
use gluelinks_tests::harness::{event, Stack};
use gluelinks_tests::openapi::Checked;
use gluelinks_tests::servers::{free_port, serve_http};
use std::sync::{Arc, Mutex};

const DESCRIBED: &str = r#"<DescribeServerlessCachesResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/">
  <DescribeServerlessCachesResult>
    <ServerlessCaches>
      <member>
        <ServerlessCacheName>gluelinks-links</ServerlessCacheName>
        <Status>modifying</Status>
        <Engine>valkey</Engine>
        <Endpoint><Address>gluelinks-links-x1y2z3.serverless.use1.cache.amazonaws.com</Address><Port>6379</Port></Endpoint>
      </member>
    </ServerlessCaches>
  </DescribeServerlessCachesResult>
  <ResponseMetadata><RequestId>7c9f6d5b-0000-4000-8000-000000000001</RequestId></ResponseMetadata>
</DescribeServerlessCachesResponse>"#;

/// The ElastiCache API stand-in: records each request body and answers [`DESCRIBED`].
async fn elasticache(seen: Arc<Mutex<Vec<String>>>) -> u16 {
    serve_http(move |req| {
        let seen = seen.clone();
        async move {
            seen.lock()
                .unwrap()
                .push(String::from_utf8_lossy(req.body()).to_string());
            let mut response = hyper::Response::new(DESCRIBED.as_bytes().to_vec());
            response
                .headers_mut()
                .insert("content-type", "text/xml".parse().unwrap());
            response
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_cache_is_explained_by_elasticache() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let port = elasticache(seen.clone()).await;
    // Set before any AWS client is built (this binary's only test).
    std::env::set_var(
        "AWS_ENDPOINT_URL_ELASTICACHE",
        format!("http://127.0.0.1:{port}"),
    );
    std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDDIAGNOSIS");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "diagnosis-secret-key");
    std::env::set_var("AWS_REGION", "us-east-1");

    let s = Stack::demo("cache-diagnosis").await;
    let dead = format!("redis://127.0.0.1:{}", free_port());
    let env = s.env(&[
        ("VALKEY_URL", dead.as_str()),
        ("VALKEY_CACHE_NAME", "gluelinks-links"),
    ]);
    let links = links::Links::from_env(&env).await.unwrap();
    assert!(seen.lock().unwrap().is_empty(), "nothing is asked at init");

    // A click does not ask ElastiCache either: it is served uncached.
    let click = event("links-header-only.json");
    assert_eq!(links.handle_checked(click).await.status(), 200);
    assert!(seen.lock().unwrap().is_empty(), "nor on the request path");

    let response = links.handle_checked(event("links-ready.json")).await;
    assert_eq!(response.status(), 503);
    let body = body_json(&response);
    let cache = body["checks"]["cache"].as_str().unwrap();
    assert!(cache.contains("unreachable"), "{cache}");
    assert!(
        cache.ends_with("ElastiCache says cache 'gluelinks-links' is modifying, at gluelinks-links-x1y2z3.serverless.use1.cache.amazonaws.com:6379"),
        "{cache}"
    );
    assert_eq!(body["checks"]["kubernetes"], "ok");
    let asked = seen.lock().unwrap().clone();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0].contains("Action=DescribeServerlessCaches"),
        "{asked:?}"
    );
    assert!(
        asked[0].contains("ServerlessCacheName=gluelinks-links"),
        "{asked:?}"
    );
}

//! JSON responses, and errors in the shape of the API family each route belongs to: the links API
//! (`/api/...`) answers `{"detail": …}`, the cluster-configuration API
//! `{"error": true, "message": …, "status_code": N}`.

use gluelinks_core::text::bounded;
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::json;

/// What every handler answers: a Lambda HTTP response.
pub type HttpResponse = Response<Body>;

pub use gluelinks_core::text::ECHO_LIMIT;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ApiFamily {
    /// The links API (what the Argo CD extension calls, health and the API description): errors are
    /// `{"detail": …}`.
    Links,
    /// The cluster-configuration API (clusters and credential secrets): errors are
    /// `{"error": true, "message": …, "status_code": N}`.
    ClusterConfig,
}

impl ApiFamily {
    /// Every links API route lives under `/api/`; no cluster-configuration API route does.
    pub fn for_path(path: &str) -> Self {
        if path.starts_with("/api/") {
            ApiFamily::Links
        } else {
            ApiFamily::ClusterConfig
        }
    }
}

fn with_type(status: u16, content_type: &str, body: String) -> HttpResponse {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Body::Text(body))
        .expect("a status code and a static header always make a response")
}

/// `body` as JSON, with `status`.
pub fn json<T: Serialize + ?Sized>(status: u16, body: &T) -> HttpResponse {
    let text = serde_json::to_string(body).expect("response types serialize to JSON");
    with_type(status, "application/json", text)
}

/// A response body that knows its HTTP status, so that no handler pairs a body with another's status.
pub trait Answer: Serialize {
    /// The status this body is sent with.
    fn status(&self) -> u16;
}

/// `body` as JSON, with its own status.
pub fn answer<B: Answer>(body: &B) -> HttpResponse {
    json(body.status(), body)
}

/// A 200 answering `body` as HTML (`text/html; charset=utf-8`).
pub fn html(body: &str) -> HttpResponse {
    with_type(200, "text/html; charset=utf-8", body.to_string())
}

pub(crate) fn error(family: ApiFamily, status: u16, message: &str) -> HttpResponse {
    let body = match family {
        ApiFamily::Links => json!({ "detail": message }),
        ApiFamily::ClusterConfig => {
            json!({ "error": true, "message": message, "status_code": status })
        }
    };
    json(status, &body)
}

pub(crate) fn not_found(family: ApiFamily, method: &str, path: &str) -> HttpResponse {
    let message = format!(
        "No route for {method} {}; the routes are listed at /api/v1/openapi.json",
        bounded(path, ECHO_LIMIT)
    );
    error(family, 404, &message)
}

pub(crate) fn method_not_allowed(
    family: ApiFamily,
    method: &str,
    path: &str,
    allowed: &[String],
) -> HttpResponse {
    let list = allowed.join(", ");
    let message = format!(
        "Method {} is not allowed on {}; use {list}",
        bounded(method, 16),
        bounded(path, ECHO_LIMIT)
    );
    let mut response = error(family, 405, &message);
    if let Ok(value) = list.parse() {
        response.headers_mut().insert("allow", value);
    }
    response
}

/// The body of a response as JSON; for tests and for functions that post-process a reply.
pub fn body_json(response: &HttpResponse) -> serde_json::Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap_or(serde_json::Value::Null),
        Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap_or(serde_json::Value::Null),
        Body::Empty => serde_json::Value::Null,
        _ => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_take_their_familys_shape() {
        let detail = error(ApiFamily::for_path("/api/v1/fixtures/x"), 404, "gone");
        assert_eq!(body_json(&detail), json!({"detail": "gone"}));
        let cluster_config = error(
            ApiFamily::for_path("/secrets"),
            400,
            "Missing required parameter 'cluster'",
        );
        assert_eq!(
            body_json(&cluster_config),
            json!({"error": true, "message": "Missing required parameter 'cluster'", "status_code": 400})
        );
        let long = format!("/{}", "a".repeat(10_000));
        let text = body_json(&not_found(ApiFamily::ClusterConfig, "GET", &long)).to_string();
        assert!(text.len() < 300, "{} bytes", text.len());
        let wrong = method_not_allowed(ApiFamily::Links, "POST", "/api/v1/health", &["GET".into()]);
        assert_eq!(wrong.status(), 405);
        assert_eq!(wrong.headers()["allow"], "GET");
    }
}

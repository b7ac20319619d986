//! The API description stays true: every response a test gets through [`answered`] is checked against the
//! schema `shared/openapi.json` gives for its route and status, so a body and the document cannot
//! disagree without a test failing.

use gluelinks_core::api_doc::OPENAPI_JSON;
use gluelinks_http::response::HttpResponse;
use lambda_http::{Body, Request};
use serde_json::Value;
use std::future::Future;
use std::sync::OnceLock;

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc: Value = serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON");
        nullable_as_json_schema(&mut doc);
        closed(&mut doc["components"]);
        closed(&mut doc["paths"]);
        doc
    })
}

/// Every object schema that lists its properties admits no others unless it says so: a field a body
/// carries and the document does not name (a rename, a leftover) fails the check.
fn closed(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(closed);
        }
        Value::Array(items) => items.iter_mut().for_each(closed),
        _ => {}
    }
}

/// OpenAPI 3.0's `nullable: true` beside a `type` is JSON Schema's `type: [T, "null"]`.
fn nullable_as_json_schema(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert("type".into(), serde_json::json!([t, "null"]));
                }
            }
            map.values_mut().for_each(nullable_as_json_schema);
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_as_json_schema),
        _ => {}
    }
}

/// The documented path template `path` matches (`/api/v1/fixtures/{name}` for `/api/v1/fixtures/x`).
fn template_for(path: &str) -> Option<&'static str> {
    let paths = document()["paths"].as_object()?;
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    paths
        .keys()
        .filter(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(p, s)| {
                    p == s || (p.starts_with('{') && p.ends_with('}') && !s.is_empty())
                })
        })
        // A literal path wins over a template (`/secrets/add_docker` over a `{...}` one).
        .min_by_key(|template| template.matches('{').count())
        .map(String::as_str)
}

/// Checks `body` against the schema documented for `method path` answering `status`; panics saying
/// where they disagree. A route or status the document does not have is a failure too.
pub fn check(method: &str, path: &str, status: u16, body: &Value) {
    let doc = document();
    let found = template_for(path)
        .map(|template| {
            (
                template,
                &doc["paths"][template][method.to_ascii_lowercase()],
            )
        })
        .filter(|(_, operation)| operation.is_object());
    let Some((template, operation)) = found else {
        // A route no function has, or a method it does not take: a 4xx error in the style of the API the
        // path belongs to.
        assert!(
            (400..500).contains(&status),
            "{method} {path} answered {status}"
        );
        let style = if path.starts_with("/api/") {
            "LinksError"
        } else {
            "ClusterConfigError"
        };
        let schema = serde_json::json!({ "$ref": format!("#/components/schemas/{style}") });
        return validate(&schema, method, path, status, body);
    };
    let responses = &operation["responses"];
    let response = [status.to_string(), "default".to_string()]
        .iter()
        .map(|s| &responses[s])
        .find(|r| r.is_object())
        .unwrap_or_else(|| panic!("{method} {template} documents no {status} answer"));
    let Some(schema) = response["content"]["application/json"]["schema"].as_object() else {
        return; // a documented answer without a JSON body (HTML pages)
    };
    validate(&Value::Object(schema.clone()), method, path, status, body);
}

fn validate(schema: &Value, method: &str, path: &str, status: u16, body: &Value) {
    // The schema, with the document's components beside it so that its `$ref`s resolve.
    let mut root = schema.clone();
    root["components"] = document()["components"].clone();
    let validator = jsonschema::draft4::new(&root)
        .unwrap_or_else(|e| panic!("the schema of {method} {path} {status}: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} answered {status} with a body openapi.json does not describe: {errors:#?}\n{body}"
    );
}

/// `handler`'s answer to `req`, after checking its JSON body against the document.
pub async fn answered<F, Fut>(req: Request, handler: F) -> HttpResponse
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = HttpResponse>,
{
    let method = req.method().as_str().to_string();
    let path = gluelinks_http::request::path(&req);
    let response = handler(req).await;
    let is_json = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if is_json {
        let body: Value = match response.body() {
            Body::Text(t) => serde_json::from_str(t).expect("a JSON body"),
            Body::Binary(b) => serde_json::from_slice(b).expect("a JSON body"),
            Body::Empty => Value::Null,
            _ => Value::Null,
        };
        check(&method, &path, response.status().as_u16(), &body);
    }
    response
}

/// `handle`, with the answer checked against the document: what the tests call on every HTTP function.
pub trait Checked {
    fn handle_checked(&self, req: Request) -> impl Future<Output = HttpResponse>;

    /// [`Checked::handle_checked`]'s status and JSON body (`null` when it has none).
    fn answer(&self, req: Request) -> impl Future<Output = (u16, Value)> {
        async move {
            let response = self.handle_checked(req).await;
            (
                response.status().as_u16(),
                gluelinks_http::response::body_json(&response),
            )
        }
    }
}

macro_rules! checked {
    ($($function:ty),*) => {$(
        impl Checked for $function {
            async fn handle_checked(&self, req: Request) -> HttpResponse {
                answered(req, |r| self.handle(r)).await
            }
        }
    )*};
}

checked!(
    health::Health,
    fixtures::Fixtures,
    clusters::Clusters,
    links::Links,
    secrets_list::SecretsList,
    secrets_add::SecretsAdd
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documented_bodies_pass_and_others_fail() {
        let health =
            json!({"status": "healthy", "timestamp": "2026-11-24T10:00:00Z", "version": "v1"});
        check("GET", "/api/v1/health", 200, &health);
        check(
            "GET",
            "/nope",
            404,
            &json!({"error": true, "message": "Not found", "status_code": 404}),
        );
        for (method, path, status, body) in [
            ("GET", "/api/v1/health", 200, json!({"status": 1})),
            (
                "GET",
                "/api/v1/health",
                200,
                json!({"status": "healthy", "timestamp": "t", "version": "v1", "extra": 1}),
            ),
            ("GET", "/api/v1/health", 418, health.clone()),
            ("GET", "/nope", 404, json!({"detail": "Not found"})),
            ("GET", "/api/nope", 500, json!({"detail": "boom"})),
        ] {
            let failed = std::panic::catch_unwind(|| check(method, path, status, &body));
            assert!(failed.is_err(), "{method} {path} {status} {body} passed");
        }
    }
}

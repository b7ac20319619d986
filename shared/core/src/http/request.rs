//! Reading what a request carries, the same way for API Gateway HTTP API events and `cargo lambda watch`.

use lambda_http::{Request, RequestExt};

/// The request path as API Gateway received it, without any stage prefix.
pub fn path(req: &Request) -> String {
    let raw = req.raw_http_path();
    if raw.is_empty() {
        req.uri().path().to_string()
    } else {
        raw.to_string()
    }
}

/// A header's value when it is present and valid text.
pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A query-string parameter's first value.
pub fn query(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_string)
}

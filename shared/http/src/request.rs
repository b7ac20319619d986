//! Reading what a request carries, the same way for API Gateway HTTP API events and `cargo lambda watch`.

use lambda_http::request::RequestContext;
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

/// The API Gateway (HTTP API, payload 2.0) context of a request, when it came through one.
fn gateway(
    req: &Request,
) -> Option<&lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => Some(context),
        _ => None,
    }
}

/// The ARN of the AWS principal whose SigV4 signature API Gateway verified (a route with IAM
/// authorization); `None` when no IAM authorizer is in front. An HTTP client cannot set it: API Gateway
/// writes the request context. Whoever invokes the function directly (`lambda:InvokeFunction`, or
/// `cargo lambda watch`'s invoke endpoint) writes the whole event, and so can name any principal: see the
/// README's threat model.
pub fn iam_caller(req: &Request) -> Option<String> {
    gateway(req)?
        .authorizer
        .as_ref()?
        .iam
        .as_ref()?
        .user_arn
        .clone()
        .filter(|arn| !arn.is_empty())
}

/// The client's address as API Gateway saw it.
pub fn source_ip(req: &Request) -> Option<String> {
    gateway(req)?.http.source_ip.clone()
}

/// API Gateway's id of the request (its access log's `requestId`).
pub fn gateway_request_id(req: &Request) -> Option<String> {
    gateway(req)?.request_id.clone()
}

/// The unverified Argo CD user of a request (`Argocd-Username`), bounded, for audit lines.
pub fn argocd_user(req: &Request) -> Option<String> {
    use gluelinks_core::headers::{ECHO, USER};
    header(req, USER).map(|u| gluelinks_core::text::bounded(u, ECHO))
}

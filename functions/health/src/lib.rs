//! The health function: liveness in both API families' shapes, the API description, and the answer for any path
//! no other function owns (JSON 404, or 405 when another function serves that path with another method).

pub mod docs;

use gluelinks_core::api_doc;
use gluelinks_core::auth::Scope;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::time;
use gluelinks_http::response::{html, json, HttpResponse};
use gluelinks_http::route::Route;
use gluelinks_http::{Api, Call};
use lambda_http::Request;

/// The `service` the cluster-configuration API's `/health` names.
pub const SERVICE_NAME: &str = "GlueLinks Cluster Configuration API";

#[derive(Clone, Copy, Debug)]
pub enum Endpoint {
    Health,
    ServiceHealth,
    OpenApi,
    Docs,
    DocsAsset,
    Redoc,
}

pub static ROUTES: &[Route<Endpoint>] = &[
    Route::get(Endpoint::Health, "/api/v1/health", Scope::Public),
    Route::get(Endpoint::ServiceHealth, "/health", Scope::Public),
    Route::get(Endpoint::OpenApi, "/api/v1/openapi.json", Scope::Public),
    Route::get(Endpoint::Docs, "/docs", Scope::Public),
    Route::get(Endpoint::DocsAsset, "/docs/assets/{file}", Scope::Public),
    Route::get(Endpoint::Redoc, "/redoc", Scope::Public),
];

/// `GET /api/v1/health` (with the API version) and `GET /health` (with the service name, the cluster-configuration API's).
#[derive(serde::Serialize)]
struct Healthy {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<&'static str>,
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'static str>,
}

pub struct Health {
    api: Api<Endpoint>,
}

impl Health {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            api: Api::new(ROUTES, env)?.with_other_routes(api_doc::routes()),
        })
    }

    pub async fn handle(&self, req: Request) -> HttpResponse {
        self.api
            .handle(req, |call| async move { answer(&call) })
            .await
    }
}

/// A documentation page, allowed to run only its own scripts.
fn page(body: &str) -> HttpResponse {
    let mut response = html(body);
    response.headers_mut().insert(
        "content-security-policy",
        docs::CONTENT_SECURITY_POLICY
            .parse()
            .expect("static header value"),
    );
    response
}

/// A vendored file, gzip-encoded as stored (every browser accepts it), cached by browsers for a day.
fn asset_response(asset: &docs::Asset) -> HttpResponse {
    let mut response = lambda_http::Response::new(lambda_http::Body::Binary(asset.gzip.to_vec()));
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-type", asset.content_type),
        ("content-encoding", "gzip"),
        ("cache-control", "public, max-age=86400"),
        ("x-content-type-options", "nosniff"),
    ] {
        headers.insert(name, value.parse().expect("static header value"));
    }
    response
}

fn answer(call: &Call<Endpoint>) -> HttpResponse {
    let now = chrono::Utc::now();
    match call.route.id {
        Endpoint::Health => json(
            200,
            &Healthy {
                status: "healthy",
                timestamp: time::rfc3339(now),
                version: Some(gluelinks_core::API_VERSION),
                service: None,
            },
        ),
        Endpoint::ServiceHealth => json(
            200,
            &Healthy {
                status: "healthy",
                timestamp: time::rfc1123(now),
                version: None,
                service: Some(SERVICE_NAME),
            },
        ),
        Endpoint::OpenApi => {
            let mut response = html(api_doc::OPENAPI_JSON);
            response.headers_mut().insert(
                "content-type",
                "application/json".parse().expect("static header value"),
            );
            response
        }
        Endpoint::Docs => page(docs::DOCS_HTML),
        Endpoint::Redoc => page(docs::REDOC_HTML),
        Endpoint::DocsAsset if call.params.get("file") == "swagger-init.js" => {
            let mut response = html(docs::SWAGGER_INIT);
            response.headers_mut().insert(
                "content-type",
                "application/javascript; charset=utf-8"
                    .parse()
                    .expect("static header value"),
            );
            response
        }
        Endpoint::DocsAsset => match docs::asset(call.params.get("file")) {
            Some(asset) => asset_response(asset),
            None => call.error(
                404,
                &format!(
                    "No asset {:?}: the documentation pages use {}",
                    gluelinks_core::text::bounded(call.params.get("file"), 64),
                    docs::ASSETS
                        .iter()
                        .map(|a| a.name)
                        .chain(["swagger-init.js"])
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        },
    }
}

//! The links function: what the Argo CD UI extension calls on every click. It reads the click's headers,
//! asks the links service (`gluelinks_links::service`) and answers; `GET /api/v1/ready` reports the
//! service's checks.

use gluelinks_core::auth::Scope;
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::headers;
use gluelinks_core::names;
use gluelinks_core::text::bounded;
use gluelinks_http::request::header;
use gluelinks_http::response::{answer, json, Answer, HttpResponse, ECHO_LIMIT};
use gluelinks_http::route::Route;
use gluelinks_http::{Api, Call};
use gluelinks_links::service::{ClusterChoiceError, LinksRequest, LinksService, Readiness};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    AppLinks,
    HeaderLinks,
    Ready,
}

pub static ROUTES: &[Route<Endpoint>] = &[
    Route::get(
        Endpoint::AppLinks,
        "/api/v1/applications/{app}/links",
        Scope::Proxy,
    ),
    Route::get(Endpoint::HeaderLinks, "/api/links", Scope::Proxy),
    Route::get(Endpoint::Ready, "/api/v1/ready", Scope::Proxy),
];

pub struct Links {
    api: Api<Endpoint>,
    service: LinksService,
}

/// `GET /api/v1/ready`'s body.
#[derive(Serialize)]
struct ReadyBody {
    ready: bool,
    checks: Checks,
    timestamp: String,
}

impl Answer for ReadyBody {
    /// 503 when not ready, so a load balancer's or Argo CD's probe needs no body.
    fn status(&self) -> u16 {
        if self.ready {
            200
        } else {
            503
        }
    }
}

#[derive(Serialize)]
struct Checks {
    cache: String,
    kubernetes: String,
}

fn check(result: &Result<(), String>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(e) => format!("error: {e}"),
    }
}

/// Reads `Argocd-Application-Name: <namespace>:<app>`.
pub fn parse_app_header(value: Option<&str>) -> Result<(String, String), String> {
    let value = value.ok_or(
        "Missing header Argocd-Application-Name: Argo CD's proxy sends it as '<namespace>:<app>'",
    )?;
    let malformed = || {
        format!(
            "Malformed Argocd-Application-Name '{}': expected '<namespace>:<app>'",
            bounded(value, ECHO_LIMIT)
        )
    };
    let (namespace, app) = value.trim().split_once(':').ok_or_else(malformed)?;
    if !names::is_label(namespace) || !names::is_subdomain(app) {
        return Err(malformed());
    }
    Ok((namespace.to_string(), app.to_string()))
}

impl Links {
    pub async fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            api: Api::new(ROUTES, env)?,
            service: LinksService::from_env(env).await?,
        })
    }

    /// The service, for the warm tests and the benchmark, which generate links uncached.
    pub fn service(&self) -> &LinksService {
        &self.service
    }

    pub async fn handle(&self, req: lambda_http::Request) -> HttpResponse {
        self.api.handle(req, |call| self.answer(call)).await
    }

    async fn answer(&self, call: Call<Endpoint>) -> HttpResponse {
        if call.route.id == Endpoint::Ready {
            return ready(self.service.ready().await);
        }
        let (namespace, app) = match parse_app_header(header(&call.req, headers::APP)) {
            Ok(parsed) => parsed,
            Err(message) => return call.error(400, &message),
        };
        if call.route.id == Endpoint::AppLinks && call.params.get("app") != app {
            let message = format!(
                "Argocd-Application-Name names application '{app}' but the path names '{}'",
                bounded(call.params.get("app"), ECHO_LIMIT)
            );
            return call.error(400, &message);
        }
        let granted = call.caller.clusters();
        let request = LinksRequest {
            namespace: &namespace,
            app: &app,
            cluster: header(&call.req, self.service.cluster_header()),
            target: header(&call.req, headers::TARGET_CLUSTER),
            granted: &granted,
        };
        match self.service.links(request).await {
            Ok(links) => json(200, &links),
            Err(e @ ClusterChoiceError::NotGranted { .. }) => call.error(403, &e.to_string()),
            // Every other cluster-choice error is the request's or the configuration's: a 400 saying what
            // to send.
            Err(e) => call.error(400, &e.to_string()),
        }
    }
}

fn ready(readiness: Readiness) -> HttpResponse {
    let body = ReadyBody {
        ready: readiness.ready(),
        checks: Checks {
            cache: check(&readiness.cache),
            kubernetes: check(&readiness.kubernetes),
        },
        timestamp: gluelinks_core::time::now_rfc3339(),
    };
    answer(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_application_header() {
        let ok = |ns: &str, app: &str| Ok((ns.to_string(), app.to_string()));
        let cases = [
            (
                Some("nonprod:taco-backend-prod"),
                ok("nonprod", "taco-backend-prod"),
            ),
            (Some(" argocd:billing-api "), ok("argocd", "billing-api")),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_app_header(value), expected, "{value:?}");
        }
        for bad in [
            None,
            Some("taco-backend-prod"),
            Some(":app"),
            Some("ns:"),
            Some("ns:App"),
            Some("a:b:c"),
            // Kubernetes names: a namespace is a label, an Application a subdomain.
            Some("a.b:app"),
            Some("ns:-app"),
            Some("ns:a..b"),
        ] {
            let err = parse_app_header(bad).unwrap_err();
            assert!(err.contains("Argocd-Application-Name"), "{bad:?}: {err}");
        }
    }
}

//! The HTTP side of every function, over the Lambda event types: one [`Api`] per function routes an API
//! Gateway request to that function's handler after CORS, routing and auth, and logs one line per
//! request; [`run`] hands it to the Lambda runtime, each invocation in its log span.
//!
//! What a route does is the function's business; this crate only decides whether the handler runs and
//! shapes its answers. The domain crates below it know nothing of Lambda.

#![warn(missing_docs)]

pub mod cors;
pub mod request;
pub mod response;
pub mod route;

use cors::Cors;
use gluelinks_core::auth::{Auth, Caller};
use gluelinks_core::config::{ConfigError, Env};
use lambda_http::Request;
use response::{ApiFamily, HttpResponse};
use route::{Match, Params, Route};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use tracing::Instrument;

/// A request that reached its handler: the route it matched, its path parameters, and who auth found it
/// to come from.
pub struct Call<R: 'static> {
    /// The route the request matched.
    pub route: &'static Route<R>,
    /// The path parameters the route's template named.
    pub params: Params,
    /// Who auth found the request to come from.
    pub caller: Caller,
    /// The request itself.
    pub req: Request,
}

impl<R> Call<R> {
    /// An error in the shape of the route's API family.
    pub fn error(&self, status: u16, message: &str) -> HttpResponse {
        response::error(ApiFamily::for_path(self.route.path), status, message)
    }
}

/// One function's routes with the settings every request needs.
pub struct Api<R: 'static> {
    routes: &'static [Route<R>],
    others: Vec<(String, String)>,
    auth: Auth,
    cors: Cors,
}

impl<R: Copy + Send + Sync + 'static> Api<R> {
    /// `routes` with the auth and CORS settings from `env`; logs what the auth settings mean once.
    pub fn new(routes: &'static [Route<R>], env: &Env) -> Result<Self, ConfigError> {
        let auth = Auth::from_env(env)?;
        let cors = Cors::from_env(env, auth.header())?;
        auth.announce();
        Ok(Self {
            routes,
            others: Vec::new(),
            auth,
            cors,
        })
    }

    /// Routes other functions serve, as `(method, path template)`: a request for one of their paths with
    /// a method none of them takes is answered 405 rather than 404. Only the catch-all function needs this.
    pub fn with_other_routes(mut self, others: Vec<(String, String)>) -> Self {
        self.others = others;
        self
    }

    /// Answers one request: a CORS preflight, a 404 or 405, an auth refusal, or `handler`'s answer for the
    /// route it matched; then adds the CORS headers and logs the request line.
    pub async fn handle<F, Fut>(&self, req: Request, handler: F) -> HttpResponse
    where
        F: FnOnce(Call<R>) -> Fut,
        Fut: Future<Output = HttpResponse>,
    {
        let started = Instant::now();
        let method = req.method().as_str().to_string();
        let path = request::path(&req);
        let origin = request::header(&req, "origin").map(str::to_string);
        let family = ApiFamily::for_path(&path);
        let user = request::argocd_user(&req);
        let iam = request::iam_caller(&req);
        let source_ip = request::source_ip(&req);
        let gateway_id = request::gateway_request_id(&req);

        let mut route_label = "unmatched";
        let mut caller = Caller::Anonymous;
        let mut response = if method == "OPTIONS" && origin.is_some() {
            self.cors.preflight(origin.as_deref(), &path)
        } else {
            match route::find(self.routes, &method, &path) {
                Match::Found(route, params) => {
                    route_label = route.path;
                    match self.auth.check(req.headers(), iam.as_deref(), route.scope) {
                        Ok(found) => {
                            caller = found.clone();
                            handler(Call {
                                route,
                                params,
                                caller: found,
                                req,
                            })
                            .await
                        }
                        Err(err) => response::error(family, err.status(), &err.to_string()),
                    }
                }
                Match::MethodNotAllowed(allowed) => {
                    response::method_not_allowed(family, &method, &path, &allowed)
                }
                Match::NotFound => {
                    let allowed = route::methods_for(&self.others, &path);
                    if allowed.is_empty() {
                        response::not_found(family, &method, &path)
                    } else {
                        response::method_not_allowed(family, &method, &path, &allowed)
                    }
                }
            }
        };
        self.cors.decorate(origin.as_deref(), &mut response);
        tracing::info!(
            method = %method,
            route = route_label,
            status = response.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            caller = caller.kind(),
            principal = iam.as_deref().unwrap_or(caller.principal()),
            source_ip = source_ip.as_deref(),
            gateway_request_id = gateway_id.as_deref(),
            argocd_user_unverified = user.as_deref(),
            "request"
        );
        response
    }
}

/// Hands a function's handler to the Lambda runtime; the handler answers every request itself, each
/// inside its invocation's log span (request id, function, cold start).
pub async fn run<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = HttpResponse> + Send,
{
    use lambda_http::RequestExt;
    lambda_http::run(lambda_http::service_fn(|req: Request| {
        let context = req.lambda_context();
        let reply = handler(req);
        async move {
            let reply = in_invocation(&context, reply).await;
            Ok::<_, std::convert::Infallible>(reply)
        }
    }))
    .await
}

/// Whether this container has started an invocation yet.
static INVOKED: AtomicBool = AtomicBool::new(false);

/// Runs one invocation's work inside its span: `request_id`, `function` and `cold_start` on every line.
pub async fn in_invocation<F: Future>(context: &lambda_http::Context, work: F) -> F::Output {
    let cold_start = !INVOKED.swap(true, Ordering::SeqCst);
    let span = tracing::info_span!(
        "invocation",
        request_id = %context.request_id,
        function = %context.env_config.function_name,
        cold_start
    );
    if cold_start {
        span.in_scope(|| tracing::info!(cold_start, "cold start"));
    }
    work.instrument(span).await
}

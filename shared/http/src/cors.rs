//! Cross-origin access, closed by default: Argo CD's proxy is same-origin, so only origins an operator
//! lists in `CORS_ALLOWED_ORIGINS` (comma-separated, `*` for any) get CORS headers.
//!
//! In a deployment the HTTP API answers CORS itself from the same setting (template.yaml); this module makes
//! local runs behave the same.

use super::response::{error, ApiFamily, HttpResponse};
use gluelinks_core::config::{ConfigError, Env};
use gluelinks_core::text::bounded;
use lambda_http::{Body, Response};

const ALLOW_METHODS: &str = "GET, POST, OPTIONS";
const MAX_AGE_SECONDS: &str = "600";

#[derive(Clone, Debug)]
pub(crate) struct Cors {
    origins: Vec<String>,
    allow_headers: String,
}

impl Cors {
    pub fn from_env(env: &Env, auth_header: &str) -> Result<Self, ConfigError> {
        let origins = env.list("CORS_ALLOWED_ORIGINS");
        if let Some(bad) = origins
            .iter()
            .find(|o| *o != "*" && !(o.starts_with("https://") || o.starts_with("http://")))
        {
            return Err(ConfigError::new(
                "CORS_ALLOWED_ORIGINS",
                format!("{bad:?} is not an origin like https://argocd.example.com"),
            ));
        }
        Ok(Self {
            origins: origins
                .into_iter()
                .map(|o| o.trim_end_matches('/').to_string())
                .collect(),
            allow_headers: gluelinks_core::headers::allowed(
                auth_header,
                &gluelinks_core::headers::cluster_header(env),
            )
            .join(", "),
        })
    }

    fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == "*" || o == origin)
    }

    /// The answer to a browser's preflight `OPTIONS`.
    pub fn preflight(&self, origin: Option<&str>, path: &str) -> HttpResponse {
        match origin {
            Some(o) if self.allows(o) => Response::builder()
                .status(204)
                .header("access-control-allow-methods", ALLOW_METHODS)
                .header("access-control-allow-headers", self.allow_headers.as_str())
                .header("access-control-max-age", MAX_AGE_SECONDS)
                .body(Body::Empty)
                .expect("static headers make a response"),
            _ => error(
                ApiFamily::for_path(path),
                403,
                &format!(
                    "Origin {} is not allowed: add it to CORS_ALLOWED_ORIGINS",
                    bounded(origin.unwrap_or(""), gluelinks_core::headers::ECHO)
                ),
            ),
        }
    }

    /// Adds the allow-origin header to a response for an allowed origin.
    pub fn decorate(&self, origin: Option<&str>, response: &mut HttpResponse) {
        let Some(origin) = origin.filter(|o| self.allows(o)) else {
            return;
        };
        if let Ok(value) = origin.parse() {
            let headers = response.headers_mut();
            headers.insert("access-control-allow-origin", value);
            headers.insert("vary", "Origin".parse().expect("static header value"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_origins_get_headers() {
        let none = Cors::from_env(&Env::default(), "x-gluelinks-token").unwrap();
        let mut response = Response::new(Body::Empty);
        none.decorate(Some("https://evil.example"), &mut response);
        assert!(response
            .headers()
            .get("access-control-allow-origin")
            .is_none());
        assert_eq!(
            none.preflight(Some("https://evil.example"), "/clusters")
                .status(),
            403
        );

        let env = Env::from_pairs([("CORS_ALLOWED_ORIGINS", "https://argocd.example.com/")]);
        let some = Cors::from_env(&env, "x-gluelinks-token").unwrap();
        some.decorate(Some("https://argocd.example.com"), &mut response);
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "https://argocd.example.com"
        );
        let pre = some.preflight(Some("https://argocd.example.com"), "/clusters");
        assert_eq!(pre.status(), 204);
        assert!(pre.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("x-gluelinks-token"));

        let bad = Env::from_pairs([("CORS_ALLOWED_ORIGINS", "argocd.example.com")]);
        assert_eq!(
            Cors::from_env(&bad, "x").unwrap_err().name,
            "CORS_ALLOWED_ORIGINS"
        );
    }

    #[test]
    fn a_preflight_allows_every_header_the_extension_sends() {
        let allowed = |env: Env, token_header: &str| {
            let cors = Cors::from_env(&env, token_header).unwrap();
            let pre = cors.preflight(Some("https://argocd.example.com"), "/api/links");
            assert_eq!(pre.status(), 204);
            pre.headers()["access-control-allow-headers"]
                .to_str()
                .unwrap()
                .split(", ")
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let origin = ("CORS_ALLOWED_ORIGINS", "https://argocd.example.com");
        let defaults = allowed(Env::from_pairs([origin]), "X-GlueLinks-Token");
        for header in [
            "authorization",
            "content-type",
            "argocd-application-name",
            "argocd-target-cluster-name",
            "x-gluelinks-token",
            "x-gluelinks-cluster",
        ] {
            assert!(
                defaults.contains(&header.to_string()),
                "{header}: {defaults:?}"
            );
        }
        let configured = allowed(
            Env::from_pairs([origin, ("CLUSTER_HEADER", "X-Argo-Cluster")]),
            "X-Argo-Token",
        );
        for header in ["x-argo-token", "x-argo-cluster"] {
            assert!(
                configured.contains(&header.to_string()),
                "{header}: {configured:?}"
            );
        }
    }
}

//! What every GlueLinks function shares, and nothing heavy: settings from the environment, JSON logging,
//! CloudWatch metrics (EMF), who may call what (proxy and operator tokens, AWS IAM grants), header names,
//! text bounds, names, repository locations, timeouts, reading an error's causes, time, and the API
//! description. It links no Lambda runtime, Kubernetes, AWS or Valkey client: the HTTP adapter is
//! `gluelinks-http`, reaching clusters is `gluelinks-clusters`' job.

#![warn(missing_docs)]

pub mod api_doc;
pub mod argocd;
pub mod auth;
pub mod config;
pub mod errors;
pub mod headers;
pub mod logging;
pub mod metrics;
pub mod names;
pub mod text;
pub mod time;
pub mod timeout;
pub mod urls;
pub mod withheld;

/// The API version every response names (`"version": "v1"`).
pub const API_VERSION: &str = "v1";

/// What every function's `main` does first: snapshot the environment and start JSON logging. Functions that
/// reach clusters call `gluelinks_clusters::startup` instead, which also chooses the TLS crypto provider.
pub fn startup() -> config::Env {
    let env = config::Env::from_process();
    logging::init(&env);
    env
}

//! GlueLinks' shared library: everything the functions have in common.
//!
//! The functions under `functions/` only wire these pieces together. Modules that need heavy clients
//! (Kubernetes, the AWS SDK, Valkey) sit behind cargo features so that light functions do not link them.

pub mod api_doc;
pub mod auth;
pub mod clusters;
pub mod config;
pub mod fixtures;
pub mod http;
pub mod links;
pub mod logging;
#[cfg(feature = "kube")]
pub mod secrets;
pub mod text;
pub mod time;

/// The API version every response names (`"version": "v1"`).
pub const API_VERSION: &str = "v1";

/// What every function's `main` does first: snapshot the environment and start JSON logging.
pub fn startup() -> config::Env {
    // The AWS SDK and kube each bring a rustls crypto provider; without one chosen, building a client panics.
    #[cfg(feature = "aws")]
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let env = config::Env::from_process();
    logging::init(&env);
    env
}

//! The request headers GlueLinks reads, in one place: what Argo CD's proxy adds, and the configurable
//! headers the extension config sets (the token's and the cluster's). CORS allows exactly these.

use crate::config::Env;

/// `<namespace>:<app>`, added by Argo CD's proxy to every extension call.
pub const APP: &str = "argocd-application-name";
/// The cluster Argo CD deploys the Application to, added by Argo CD's proxy.
pub const TARGET_CLUSTER: &str = "argocd-target-cluster-name";
/// The Argo CD user, added by Argo CD's proxy: logged for audit, never trusted.
pub const USER: &str = "argocd-username";
/// The most of a header's value a log line or message repeats (`Argocd-Username`, `Origin`).
pub const ECHO: usize = 128;

/// The default of `AUTH_HEADER`, which carries the token when `Authorization` cannot.
pub const DEFAULT_TOKEN: &str = "X-GlueLinks-Token";
/// The default of `CLUSTER_HEADER`, which the extension config sets to the stored cluster Argo CD runs in.
pub const DEFAULT_CLUSTER: &str = "X-GlueLinks-Cluster";

/// `CLUSTER_HEADER`, lowercase (header names are compared lowercase).
pub fn cluster_header(env: &Env) -> String {
    env.string("CLUSTER_HEADER", DEFAULT_CLUSTER)
        .to_ascii_lowercase()
}

/// Every header a browser may send cross-origin, lowercase: the standard two, Argo CD's, and the
/// configured token and cluster headers.
pub fn allowed(token_header: &str, cluster_header: &str) -> Vec<String> {
    let mut all: Vec<String> = [
        "authorization",
        "content-type",
        APP,
        TARGET_CLUSTER,
        token_header,
        cluster_header,
    ]
    .iter()
    .map(|h| h.to_ascii_lowercase())
    .collect();
    let mut seen = std::collections::HashSet::new();
    all.retain(|h| seen.insert(h.clone()));
    all
}

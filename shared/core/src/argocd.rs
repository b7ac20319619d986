//! Argo CD's own names, read by more than one crate: how it marks the objects it tracks from Git, and the
//! label that says what an Argo CD secret is.

use crate::config::Env;

/// The annotation Argo CD's annotation tracking writes on every object it syncs from Git
/// (`<instance>:<group>/<Kind>:<namespace>/<name>`).
pub const TRACKING_ID: &str = "argocd.argoproj.io/tracking-id";

/// The label Argo CD's label tracking writes unless `application.instanceLabelKey` says another.
pub const DEFAULT_INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// What an Argo CD secret is: `repository`, `repo-creds`, `cluster`, ...
pub const SECRET_TYPE_LABEL: &str = "argocd.argoproj.io/secret-type";

/// The instance label this Argo CD's label tracking writes: `TRACKING_LABEL_KEY`, by default
/// [`DEFAULT_INSTANCE_LABEL`].
pub fn instance_label(env: &Env) -> String {
    env.string("TRACKING_LABEL_KEY", DEFAULT_INSTANCE_LABEL)
}

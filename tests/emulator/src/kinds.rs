//! The resource kinds the emulator serves, as the API server's discovery describes them.

#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    /// Fields a `fieldSelector` may name besides `metadata.name` and `metadata.namespace`.
    pub field_labels: &'static [&'static str],
}

impl Kind {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

pub const EXTERNAL_SECRETS_GROUP: &str = "external-secrets.io";

pub static KINDS: &[Kind] = &[
    Kind {
        group: "",
        version: "v1",
        plural: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        namespaced: false,
        short_names: &["ns"],
        field_labels: &[],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "secrets",
        singular: "secret",
        kind: "Secret",
        namespaced: true,
        short_names: &[],
        field_labels: &["type"],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "pods",
        singular: "pod",
        kind: "Pod",
        namespaced: true,
        short_names: &["po"],
        field_labels: &[],
    },
    Kind {
        group: "apps",
        version: "v1",
        plural: "deployments",
        singular: "deployment",
        kind: "Deployment",
        namespaced: true,
        short_names: &["deploy"],
        field_labels: &[],
    },
    Kind {
        group: "apps",
        version: "v1",
        plural: "statefulsets",
        singular: "statefulset",
        kind: "StatefulSet",
        namespaced: true,
        short_names: &["sts"],
        field_labels: &[],
    },
    Kind {
        group: "apps",
        version: "v1",
        plural: "daemonsets",
        singular: "daemonset",
        kind: "DaemonSet",
        namespaced: true,
        short_names: &["ds"],
        field_labels: &[],
    },
    Kind {
        group: "argoproj.io",
        version: "v1alpha1",
        plural: "rollouts",
        singular: "rollout",
        kind: "Rollout",
        namespaced: true,
        short_names: &["ro"],
        field_labels: &[],
    },
    Kind {
        group: "argoproj.io",
        version: "v1alpha1",
        plural: "applications",
        singular: "application",
        kind: "Application",
        namespaced: true,
        short_names: &["app", "apps"],
        field_labels: &[],
    },
    Kind {
        group: EXTERNAL_SECRETS_GROUP,
        version: "v1",
        plural: "externalsecrets",
        singular: "externalsecret",
        kind: "ExternalSecret",
        namespaced: true,
        short_names: &["es"],
        field_labels: &[],
    },
    Kind {
        group: EXTERNAL_SECRETS_GROUP,
        version: "v1beta1",
        plural: "externalsecrets",
        singular: "externalsecret",
        kind: "ExternalSecret",
        namespaced: true,
        short_names: &["es"],
        field_labels: &[],
    },
];

pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.group == group && k.version == version && k.plural == plural)
}

/// The kind an object's `apiVersion` and `kind` name.
pub fn of_object(api_version: &str, kind: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.api_version() == api_version && k.kind == kind)
}

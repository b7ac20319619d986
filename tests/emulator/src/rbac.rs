//! RBAC as the API server evaluates it, for the Roles, ClusterRoles and their bindings in the manifests
//! the project ships (`shared/rbac/`). Only allow rules exist; anything not granted is forbidden.

use serde_json::Value;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
struct Rule {
    api_groups: Vec<String>,
    resources: Vec<String>,
    verbs: Vec<String>,
    resource_names: Vec<String>,
}

#[derive(Debug, Clone)]
struct Binding {
    /// `None` for a ClusterRoleBinding.
    namespace: Option<String>,
    role_kind: String,
    role_name: String,
    subjects: Vec<Value>,
}

/// Who is asking: a user name and its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user: String,
    pub groups: Vec<String>,
}

#[derive(Debug, Default, Clone)]
pub struct Rbac {
    roles: Vec<(Option<String>, String, Vec<Rule>)>,
    bindings: Vec<Binding>,
}

/// The strings of a JSON array (a manifest's list of groups, resources, verbs).
pub(crate) fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// Whether a manifest's list names `value`, or `*`.
pub(crate) fn covers(list: &[String], value: &str) -> bool {
    list.iter().any(|v| v == "*" || v == value)
}

impl Rbac {
    /// Reads every RBAC object in a multi-document YAML text; other kinds are ignored.
    pub fn from_yaml(text: &str) -> Result<Self, String> {
        let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| e.to_string())?;
        let mut rbac = Rbac::default();
        for doc in docs {
            let kind = doc["kind"].as_str().unwrap_or_default();
            let name = doc["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let namespace = doc["metadata"]["namespace"].as_str().map(str::to_string);
            match kind {
                "ClusterRole" | "Role" => {
                    let rules = doc["rules"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|r| Rule {
                            api_groups: strings(&r["apiGroups"]),
                            resources: strings(&r["resources"]),
                            verbs: strings(&r["verbs"]),
                            resource_names: strings(&r["resourceNames"]),
                        })
                        .collect();
                    let scope = if kind == "Role" { namespace } else { None };
                    rbac.roles.push((scope, name, rules));
                }
                "ClusterRoleBinding" | "RoleBinding" => rbac.bindings.push(Binding {
                    namespace: if kind == "RoleBinding" {
                        namespace
                    } else {
                        None
                    },
                    role_kind: doc["roleRef"]["kind"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    role_name: doc["roleRef"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    subjects: doc["subjects"].as_array().cloned().unwrap_or_default(),
                }),
                _ => {}
            }
        }
        Ok(rbac)
    }

    fn binds(subject: &Value, who: &Identity) -> bool {
        let name = subject["name"].as_str().unwrap_or_default();
        match subject["kind"].as_str().unwrap_or_default() {
            "User" => who.user == name,
            "Group" => who.groups.iter().any(|g| g == name),
            "ServiceAccount" => {
                let ns = subject["namespace"].as_str().unwrap_or_default();
                who.user == format!("system:serviceaccount:{ns}:{name}")
            }
            _ => false,
        }
    }

    /// The rules bound to `who`, in any namespace.
    fn rules_for<'a>(&'a self, who: &'a Identity) -> impl Iterator<Item = (&'a Binding, &'a Rule)> {
        self.bindings
            .iter()
            .filter(|b| b.subjects.iter().any(|s| Self::binds(s, who)))
            .flat_map(move |b| {
                let role_scope = if b.role_kind == "Role" {
                    b.namespace.clone()
                } else {
                    None
                };
                self.roles
                    .iter()
                    .filter(move |(scope, n, _)| *n == b.role_name && *scope == role_scope)
                    .flat_map(|(_, _, rules)| rules.iter())
                    .map(move |r| (b, r))
            })
    }

    /// Every `(verb, resource)` granted to `who` somewhere, resources named as the API server names them
    /// (`secrets`, `deployments.apps`), as the manifests spell them (no wildcard expansion).
    pub fn grants(&self, who: &Identity) -> BTreeSet<(String, String)> {
        let mut grants = BTreeSet::new();
        for (_, rule) in self.rules_for(who) {
            for group in &rule.api_groups {
                for resource in &rule.resources {
                    let qualified = if group.is_empty() {
                        resource.clone()
                    } else {
                        format!("{resource}.{group}")
                    };
                    for verb in &rule.verbs {
                        grants.insert((verb.clone(), qualified.clone()));
                    }
                }
            }
        }
        grants
    }

    /// Whether `who` may `verb` the `resource` of `group`, in `namespace` (None: cluster-wide).
    pub fn allows(
        &self,
        who: &Identity,
        verb: &str,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> bool {
        self.rules_for(who)
            // A RoleBinding grants only inside its namespace.
            .filter(|(b, _)| b.namespace.is_none() || b.namespace.as_deref() == namespace)
            .map(|(_, r)| r)
            .any(|r| {
                covers(&r.api_groups, group)
                    && covers(&r.resources, resource)
                    && covers(&r.verbs, verb)
                    && (r.resource_names.is_empty()
                        || name.is_some_and(|n| r.resource_names.iter().any(|rn| rn == n)))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_grant_only_their_rules_and_scope() {
        let yaml = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: Group, name: readers}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: writer}
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: [create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: writer, namespace: argocd}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: writer}
subjects: [{kind: ServiceAccount, name: gl, namespace: tools}]
"#;
        let rbac = Rbac::from_yaml(yaml).unwrap();
        let reader = Identity {
            user: "x".into(),
            groups: vec!["readers".into()],
        };
        let sa = Identity {
            user: "system:serviceaccount:tools:gl".into(),
            groups: vec![],
        };
        assert!(rbac.allows(&reader, "list", "apps", "deployments", None, None));
        assert!(!rbac.allows(
            &reader,
            "delete",
            "apps",
            "deployments",
            Some("a"),
            Some("d")
        ));
        assert!(!rbac.allows(&reader, "list", "", "secrets", None, None));
        assert!(rbac.allows(&sa, "create", "", "secrets", Some("argocd"), None));
        assert!(!rbac.allows(&sa, "create", "", "secrets", Some("default"), None));
        let grants = |who| -> Vec<(String, String)> { rbac.grants(who).into_iter().collect() };
        let pair = |v: &str, r: &str| (v.to_string(), r.to_string());
        assert_eq!(
            grants(&reader),
            [
                pair("get", "deployments.apps"),
                pair("list", "deployments.apps")
            ]
        );
        assert_eq!(grants(&sa), [pair("create", "secrets")]);
    }
}

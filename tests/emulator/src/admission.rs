//! `ValidatingAdmissionPolicy` as the API server evaluates it, for the policies and bindings in the manifests
//! the project ships (`shared/rbac/`): the policy's CEL — match conditions, variables, validations — run by
//! the `cel` interpreter against `object`, `oldObject` and `request`, after the object is defaulted and
//! before it is stored (dry runs included), so a test proves what the cluster itself would refuse.
//!
//! What is evaluated: `matchConstraints.resourceRules` (groups, resources, operations), `matchConditions`,
//! `variables` (in order, each seeing the ones before), `validations` with their `message` (the first
//! that fails denies, `failurePolicy: Fail` denies on an evaluation error too), for bindings with the
//! `Deny` action. Not evaluated: param kinds, namespace and object selectors, audit annotations.

use super::objects::ApiError;
use super::rbac::{covers, strings, Identity};
use cel::{Context, Program};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

struct Expression {
    source: String,
    program: Program,
}

impl Expression {
    fn compile(source: &str) -> Result<Self, String> {
        Program::compile(source)
            .map(|program| Self {
                source: source.to_string(),
                program,
            })
            .map_err(|e| format!("CEL {source:?}: {e}"))
    }
}

struct Validation {
    expression: Expression,
    message: String,
}

struct Policy {
    name: String,
    groups: Vec<String>,
    resources: Vec<String>,
    operations: Vec<String>,
    conditions: Vec<Expression>,
    variables: Vec<(String, Expression)>,
    validations: Vec<Validation>,
}

/// The policies bound with `Deny`, ready to evaluate.
#[derive(Clone, Default)]
pub struct Admission {
    policies: Vec<(Arc<Policy>, String)>,
}

/// One request, as the policies see it.
pub struct Request<'a> {
    pub operation: &'static str,
    pub group: &'a str,
    pub resource: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub user: &'a Identity,
    pub object: Option<&'a Value>,
    pub old_object: Option<&'a Value>,
}

impl Admission {
    /// Every `ValidatingAdmissionPolicy` and `ValidatingAdmissionPolicyBinding` in a multi-document YAML
    /// text (other kinds are ignored); an expression that does not compile is an error, as the API server
    /// would report it.
    pub fn from_yaml(text: &str) -> Result<Self, String> {
        let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| e.to_string())?;
        let mut policies = HashMap::new();
        for doc in docs
            .iter()
            .filter(|d| d["kind"] == "ValidatingAdmissionPolicy")
        {
            let spec = &doc["spec"];
            let rules = spec["matchConstraints"]["resourceRules"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let policy = Policy {
                name: doc["metadata"]["name"].as_str().unwrap_or_default().into(),
                groups: rules
                    .iter()
                    .flat_map(|r| strings(&r["apiGroups"]))
                    .collect(),
                resources: rules
                    .iter()
                    .flat_map(|r| strings(&r["resources"]))
                    .collect(),
                operations: rules
                    .iter()
                    .flat_map(|r| strings(&r["operations"]))
                    .collect(),
                conditions: spec["matchConditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| Expression::compile(c["expression"].as_str().unwrap_or_default()))
                    .collect::<Result<_, _>>()?,
                variables: spec["variables"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| {
                        let name = v["name"].as_str().unwrap_or_default().to_string();
                        Expression::compile(v["expression"].as_str().unwrap_or_default())
                            .map(|e| (name, e))
                    })
                    .collect::<Result<_, _>>()?,
                validations: spec["validations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| {
                        Ok(Validation {
                            expression: Expression::compile(
                                v["expression"].as_str().unwrap_or_default(),
                            )?,
                            message: v["message"].as_str().unwrap_or_default().to_string(),
                        })
                    })
                    .collect::<Result<_, String>>()?,
            };
            policies.insert(policy.name.clone(), Arc::new(policy));
        }
        let mut admission = Admission::default();
        for binding in docs
            .iter()
            .filter(|d| d["kind"] == "ValidatingAdmissionPolicyBinding")
        {
            let spec = &binding["spec"];
            if !strings(&spec["validationActions"])
                .iter()
                .any(|a| a == "Deny")
            {
                continue;
            }
            let policy_name = spec["policyName"].as_str().unwrap_or_default();
            let policy = policies
                .get(policy_name)
                .ok_or_else(|| format!("binding names no policy {policy_name:?}"))?;
            let binding_name = binding["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            admission.policies.push((policy.clone(), binding_name));
        }
        Ok(admission)
    }

    /// Whether the bound policies admit `request`; a denial is the API server's 422 with the policy's
    /// message.
    pub fn admit(&self, request: &Request) -> Result<(), ApiError> {
        for (policy, binding) in &self.policies {
            if !covers(&policy.groups, request.group)
                || !covers(&policy.resources, request.resource)
                || !covers(&policy.operations, request.operation)
            {
                continue;
            }
            let deny = |message: &str| {
                ApiError::new(
                    422,
                    "Invalid",
                    format!(
                        "{} \"{}\" is forbidden: ValidatingAdmissionPolicy '{}' with binding '{binding}' denied request: {message}",
                        request.resource, request.name, policy.name
                    ),
                )
            };
            let bindings = [
                ("object", request.object.cloned().unwrap_or(Value::Null)),
                (
                    "oldObject",
                    request.old_object.cloned().unwrap_or(Value::Null),
                ),
                (
                    "request",
                    serde_json::json!({
                        "operation": request.operation,
                        "namespace": request.namespace,
                        "name": request.name,
                        "userInfo": {"username": request.user.user, "groups": request.user.groups},
                    }),
                ),
            ];
            let mut variables = serde_json::Map::new();
            // Each expression sees the request and the variables evaluated before it.
            let evaluate = |e: &Expression, variables: &serde_json::Map<String, Value>| {
                let mut context = Context::default();
                for (name, value) in bindings.iter().cloned() {
                    context
                        .add_variable(name, value)
                        .map_err(|err| deny(&err.to_string()))?;
                }
                context
                    .add_variable("variables", Value::Object(variables.clone()))
                    .map_err(|err| deny(&err.to_string()))?;
                e.program
                    .execute(&context)
                    .map_err(|err| deny(&format!("expression {:?} failed: {err}", e.source)))
                    .and_then(|value| {
                        value
                            .json()
                            .map_err(|err| deny(&format!("expression {:?}: {err}", e.source)))
                    })
            };
            let mut matched = true;
            for condition in &policy.conditions {
                if evaluate(condition, &variables)? != Value::Bool(true) {
                    matched = false;
                    break;
                }
            }
            if !matched {
                continue;
            }
            for (name, expression) in &policy.variables {
                let value = evaluate(expression, &variables)?;
                variables.insert(name.clone(), value);
            }
            for validation in &policy.validations {
                if evaluate(&validation.expression, &variables)? != Value::Bool(true) {
                    return Err(deny(&validation.message));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret(labels: Value, annotations: Value, secret_type: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Secret", "type": secret_type,
            "metadata": {"name": "s", "namespace": "argocd", "labels": labels, "annotations": annotations}})
    }

    /// The shipped policy, case by case: what the writer may and may not do, and that no one else is
    /// concerned.
    #[test]
    fn the_shipped_policy_confines_the_writer_to_its_own_secrets() {
        let admission = Admission::from_yaml(&crate::project::shipped_rbac()).unwrap();
        let writer = Identity {
            user: "secrets-add-role".into(),
            groups: vec!["gluelinks-secrets-writer".into()],
        };
        let writer_sa = Identity {
            user: "system:serviceaccount:gluelinks:gluelinks-secrets-writer".into(),
            groups: vec![],
        };
        let admin = Identity {
            user: "admin".into(),
            groups: vec!["system:masters".into()],
        };
        let ours = json!({"app.kubernetes.io/managed-by": "gluelinks", "argocd.argoproj.io/secret-type": "repository"});
        let pull = secret(
            json!({"app.kubernetes.io/managed-by": "gluelinks", "jjo.finance/secret-type": "docker-creds"}),
            json!({}),
            "kubernetes.io/dockerconfigjson",
        );
        let repository = secret(ours.clone(), json!({}), "Opaque");
        let unmarked = secret(
            json!({"argocd.argoproj.io/secret-type": "repository"}),
            json!({}),
            "Opaque",
        );
        let adoptable = secret(
            json!({"argocd.argoproj.io/secret-type": "repository"}),
            json!({"gluelinks.io/adoptable": "true"}),
            "Opaque",
        );
        let argocd_secret = secret(
            json!({"app.kubernetes.io/part-of": "argocd"}),
            json!({}),
            "Opaque",
        );
        let cluster = secret(
            json!({"app.kubernetes.io/managed-by": "gluelinks", "argocd.argoproj.io/secret-type": "cluster"}),
            json!({}),
            "Opaque",
        );
        let token_in_disguise = secret(
            json!({"app.kubernetes.io/managed-by": "gluelinks", "argocd.argoproj.io/secret-type": "repository"}),
            json!({"kubernetes.io/service-account.name": "argocd-application-controller"}),
            "kubernetes.io/service-account-token",
        );
        let labelled_pull = secret(
            json!({"app.kubernetes.io/managed-by": "gluelinks", "argocd.argoproj.io/secret-type": "repository"}),
            json!({}),
            "kubernetes.io/dockerconfigjson",
        );
        let plain_owned = secret(
            json!({"app.kubernetes.io/managed-by": "gluelinks"}),
            json!({}),
            "Opaque",
        );
        // (who, operation, new, old, allowed, or the refusal's words)
        type Case<'a> = (
            &'a Identity,
            &'static str,
            Option<&'a Value>,
            Option<&'a Value>,
            Result<(), &'a str>,
        );
        let cases: Vec<Case> = vec![
            (&writer, "CREATE", Some(&pull), None, Ok(())),
            (&writer_sa, "CREATE", Some(&repository), None, Ok(())),
            (
                &writer,
                "CREATE",
                Some(&token_in_disguise),
                None,
                Err("may only write docker pull secrets"),
            ),
            (
                &writer,
                "CREATE",
                Some(&labelled_pull),
                None,
                Err("may only write docker pull secrets"),
            ),
            (
                &writer,
                "CREATE",
                Some(&unmarked),
                None,
                Err("may only write Secrets labelled"),
            ),
            (
                &writer,
                "CREATE",
                Some(&cluster),
                None,
                Err("may only write docker pull secrets"),
            ),
            (
                &writer,
                "CREATE",
                Some(&plain_owned),
                None,
                Err("may only write docker pull secrets"),
            ),
            (
                &writer,
                "UPDATE",
                Some(&repository),
                Some(&repository),
                Ok(()),
            ),
            (
                &writer,
                "UPDATE",
                Some(&repository),
                Some(&unmarked),
                Err("annotate it gluelinks.io/adoptable=true"),
            ),
            (
                &writer,
                "UPDATE",
                Some(&repository),
                Some(&adoptable),
                Ok(()),
            ),
            (
                &writer,
                "UPDATE",
                Some(&repository),
                Some(&argocd_secret),
                Err("may only change or delete Secrets it created"),
            ),
            (
                &writer,
                "UPDATE",
                Some(&argocd_secret),
                Some(&argocd_secret),
                Err("may only write Secrets labelled"),
            ),
            (
                &writer,
                "UPDATE",
                Some(&cluster),
                Some(&repository),
                Err("may only write docker pull secrets"),
            ),
            (
                &writer,
                "UPDATE",
                Some(&pull),
                Some(&repository),
                Err("may not change what kind"),
            ),
            (&writer, "DELETE", None, Some(&repository), Ok(())),
            (
                &writer,
                "DELETE",
                None,
                Some(&unmarked),
                Err("may only change or delete"),
            ),
            (
                &writer,
                "DELETE",
                None,
                Some(&adoptable),
                Err("may only change or delete"),
            ),
            (
                &admin,
                "UPDATE",
                Some(&argocd_secret),
                Some(&argocd_secret),
                Ok(()),
            ),
            (&admin, "CREATE", Some(&unmarked), None, Ok(())),
        ];
        for (user, operation, object, old_object, expected) in cases {
            let request = Request {
                operation,
                group: "",
                resource: "secrets",
                namespace: "argocd",
                name: "s",
                user,
                object,
                old_object,
            };
            match (admission.admit(&request), expected) {
                (Ok(()), Ok(())) => {}
                (Err(e), Err(says)) => {
                    assert_eq!(e.code, 422);
                    assert!(
                        e.message.contains(says),
                        "{operation} by {}: {}",
                        user.user,
                        e.message
                    );
                    assert!(
                        e.message
                            .contains("ValidatingAdmissionPolicy 'gluelinks-secrets-writer'"),
                        "{}",
                        e.message
                    );
                }
                (got, want) => panic!(
                    "{operation} by {} of {object:?} over {old_object:?}: {:?}, expected {want:?}",
                    user.user,
                    got.map_err(|e| e.message)
                ),
            }
        }
        // Another resource is not concerned.
        let configmap = Request {
            operation: "CREATE",
            group: "",
            resource: "configmaps",
            namespace: "argocd",
            name: "c",
            user: &writer,
            object: Some(&unmarked),
            old_object: None,
        };
        assert!(admission.admit(&configmap).is_ok());
    }
}

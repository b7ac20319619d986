//! The emulator's objects and the API server's write semantics: names, namespaces that must exist,
//! resourceVersion checks (409 Conflict), AlreadyExists, merge patches, and `stringData` folded into `data`.

use super::kinds::{Kind, KINDS};
use super::selectors::{FieldSelector, LabelSelector};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A Kubernetes `Status` failure.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: Value::Null,
        }
    }

    fn about(mut self, kind: &Kind, name: &str) -> Self {
        self.details = json!({ "name": name, "group": kind.group, "kind": kind.plural });
        self
    }

    pub fn not_found(kind: &Kind, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", qualified(kind)),
        )
        .about(kind, name)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn invalid(kind: &Kind, name: &str, message: impl Into<String>) -> Self {
        let message = format!("{} \"{name}\" is invalid: {}", kind.kind, message.into());
        Self::new(422, "Invalid", message).about(kind, name)
    }

    pub fn body(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !self.details.is_null() {
            status["details"] = self.details.clone();
        }
        status
    }
}

/// `secrets` or `deployments.apps`, as the API server names a resource in messages.
pub fn qualified(kind: &Kind) -> String {
    if kind.group.is_empty() {
        kind.plural.to_string()
    } else {
        format!("{}.{}", kind.plural, kind.group)
    }
}

type Key = (&'static str, String, String);

#[derive(Default)]
pub struct Objects {
    items: BTreeMap<Key, Value>,
    revision: u64,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
}

fn key(kind: &'static Kind, namespace: &str, name: &str) -> Key {
    let namespace = if kind.namespaced { namespace } else { "" };
    (kind.plural, namespace.to_string(), name.to_string())
}

/// A stored object as `kind`'s version serves it (ExternalSecrets are stored once, served as `v1` or
/// `v1beta1`).
fn served_as(kind: &Kind, object: &Value) -> Value {
    let mut object = object.clone();
    object["apiVersion"] = Value::String(kind.api_version());
    object
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// An admission step: `(new object, old object)` admitted, or the API server's refusal.
pub type Admit<'a> = &'a dyn Fn(&Value, Option<&Value>) -> Result<(), ApiError>;

/// How a write is carried out: checked by an admission step after the object is defaulted (and, for an
/// update, before it replaces `old`), and stored unless it is a dry run (`dryRun=All`).
pub struct Write<'a> {
    pub dry_run: bool,
    /// `(new object, old object)`: `Null` as the new object of a delete, `None` as the old of a create.
    pub admission: Admit<'a>,
    /// Who writes: its `managedFields` entry's manager.
    pub manager: &'a str,
    /// A delete's `DeleteOptions.preconditions` (`uid`, `resourceVersion`), `Null` for none.
    pub preconditions: Value,
}

impl Default for Write<'_> {
    fn default() -> Self {
        Self {
            dry_run: false,
            admission: &|_, _| Ok(()),
            manager: "emulator",
            preconditions: Value::Null,
        }
    }
}

/// Now, as the API server writes times (seconds, UTC).
fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Records in `metadata.managedFields` that `manager` wrote the object now (one entry per manager, as
/// the API server keeps them for updates), over the entries `previous` held.
fn managed(object: &mut Value, previous: &Value, manager: &str) {
    let mut entries: Vec<Value> = previous["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    entries.retain(|e| e["manager"] != manager);
    entries.push(json!({
        "manager": manager,
        "operation": "Update",
        "apiVersion": object["apiVersion"].as_str().unwrap_or("v1"),
        "time": now(),
        "fieldsType": "FieldsV1",
        "fieldsV1": {},
    }));
    object["metadata"]["managedFields"] = Value::Array(entries);
}

impl Objects {
    fn next_revision(&mut self) -> String {
        self.revision += 1;
        self.revision.to_string()
    }

    pub fn revision(&self) -> String {
        self.revision.to_string()
    }

    fn namespace_exists(&self, namespace: &str) -> bool {
        self.items
            .contains_key(&("namespaces", String::new(), namespace.to_string()))
    }

    /// Checks and completes an object about to be stored under `kind`/`namespace`.
    fn admit(
        &self,
        kind: &'static Kind,
        namespace: &str,
        object: &mut Value,
    ) -> Result<String, ApiError> {
        let Some(fields) = object.as_object_mut() else {
            return Err(ApiError::bad_request(
                "the body of the request must be a JSON object",
            ));
        };
        let api_version = kind.api_version();
        for (field, expected) in [("apiVersion", api_version.as_str()), ("kind", kind.kind)] {
            match fields.get(field).and_then(Value::as_str) {
                None => {
                    fields.insert(field.into(), expected.into());
                }
                Some(actual) if actual != expected => {
                    return Err(ApiError::bad_request(format!(
                        "the API version in the data ({actual}) does not match the expected API version ({expected})"
                    )))
                }
                Some(_) => {}
            }
        }
        let metadata = fields
            .entry("metadata")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or_else(|| ApiError::bad_request("metadata must be an object"))?;
        let name = metadata
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if name.is_empty() {
            return Err(ApiError::invalid(
                kind,
                "",
                "metadata.name: Required value: name or generateName is required",
            ));
        }
        if !valid_name(&name) {
            return Err(ApiError::invalid(kind, &name, format!(
                "metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"
            )));
        }
        if kind.namespaced {
            match metadata.get("namespace").and_then(Value::as_str) {
                Some(ns) if ns != namespace => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ))
                }
                _ => {
                    metadata.insert("namespace".into(), namespace.into());
                }
            }
            if !self.namespace_exists(namespace) {
                let ns_kind = &KINDS[0];
                return Err(ApiError::not_found(ns_kind, namespace));
            }
        }
        if kind.plural == "secrets" {
            fold_string_data(kind, &name, fields)?;
        }
        Ok(name)
    }

    pub fn get(&self, kind: &'static Kind, namespace: &str, name: &str) -> Result<Value, ApiError> {
        self.items
            .get(&key(kind, namespace, name))
            .map(|o| served_as(kind, o))
            .ok_or_else(|| ApiError::not_found(kind, name))
    }

    pub fn list(
        &self,
        kind: &'static Kind,
        namespace: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> Vec<Value> {
        self.items
            .iter()
            .filter(|((plural, ns, _), _)| {
                *plural == kind.plural && namespace.is_none_or(|n| n == ns)
            })
            .map(|(_, v)| v)
            .filter(|v| labels.matches(&v["metadata"]["labels"]) && fields.matches(v))
            .map(|v| served_as(kind, v))
            .collect()
    }

    pub fn create(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        object: Value,
    ) -> Result<Value, ApiError> {
        self.create_with(kind, namespace, object, &Write::default())
    }

    /// [`Self::create`], checked by `write`'s admission and stored unless it is a dry run.
    pub fn create_with(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        mut object: Value,
        write: &Write,
    ) -> Result<Value, ApiError> {
        let name = self.admit(kind, namespace, &mut object)?;
        let k = key(kind, namespace, &name);
        if self.items.contains_key(&k) {
            let err = ApiError::new(
                409,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", qualified(kind)),
            );
            return Err(err.about(kind, &name));
        }
        (write.admission)(&object, None)?;
        if write.dry_run {
            return Ok(object);
        }
        let revision = self.next_revision();
        let metadata = object["metadata"].as_object_mut().expect("admitted");
        metadata.insert("resourceVersion".into(), revision.clone().into());
        metadata.insert(
            "uid".into(),
            format!("00000000-0000-4000-8000-{:012}", self.revision).into(),
        );
        metadata.insert("creationTimestamp".into(), now().into());
        managed(&mut object, &Value::Null, write.manager);
        self.items.insert(k, object.clone());
        Ok(object)
    }

    pub fn update(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
        object: Value,
    ) -> Result<Value, ApiError> {
        self.update_with(kind, namespace, name, object, &Write::default())
    }

    /// [`Self::update`], checked by `write`'s admission and stored unless it is a dry run.
    pub fn update_with(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
        mut object: Value,
        write: &Write,
    ) -> Result<Value, ApiError> {
        let current = self.get(kind, namespace, name)?;
        let admitted = self.admit(kind, namespace, &mut object)?;
        if admitted != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({admitted}) does not match the name on the URL ({name})"
            )));
        }
        let sent = object["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default();
        let stored = current["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default();
        if !sent.is_empty() && sent != stored {
            let message = format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                qualified(kind)
            );
            return Err(ApiError::new(409, "Conflict", message).about(kind, name));
        }
        if current["immutable"] == true {
            for field in ["data", "type", "immutable"] {
                if object[field] != current[field] {
                    return Err(ApiError::invalid(
                        kind,
                        name,
                        format!("{field}: Forbidden: field is immutable when `immutable` is set"),
                    ));
                }
            }
        }
        (write.admission)(&object, Some(&current))?;
        if write.dry_run {
            return Ok(object);
        }
        let revision = self.next_revision();
        let metadata = object["metadata"].as_object_mut().expect("admitted");
        for field in ["uid", "creationTimestamp"] {
            metadata.insert(field.into(), current["metadata"][field].clone());
        }
        metadata.insert("resourceVersion".into(), revision.into());
        managed(&mut object, &current, write.manager);
        self.items
            .insert(key(kind, namespace, name), object.clone());
        Ok(object)
    }

    pub fn patch(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
        patch: &Value,
    ) -> Result<Value, ApiError> {
        let mut object = self.get(kind, namespace, name)?;
        let stored = object["metadata"]["resourceVersion"].clone();
        merge_patch(&mut object, patch);
        if patch["metadata"]["resourceVersion"].is_null() {
            object["metadata"]["resourceVersion"] = stored;
        }
        self.update(kind, namespace, name, object)
    }

    pub fn delete(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Value, ApiError> {
        self.delete_with(kind, namespace, name, &Write::default())
    }

    /// [`Self::delete`], checked by `write`'s admission and carried out unless it is a dry run.
    pub fn delete_with(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
        write: &Write,
    ) -> Result<Value, ApiError> {
        let current = self.get(kind, namespace, name)?;
        for (field, what) in [("uid", "UID"), ("resourceVersion", "ResourceVersion")] {
            let wanted = &write.preconditions[field];
            if !wanted.is_null() && *wanted != current["metadata"][field] {
                let message = format!(
                    "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: {what} in precondition: {}, {what} in object meta: {}",
                    qualified(kind),
                    wanted.as_str().unwrap_or_default(),
                    current["metadata"][field].as_str().unwrap_or_default()
                );
                return Err(ApiError::new(409, "Conflict", message).about(kind, name));
            }
        }
        (write.admission)(&Value::Null, Some(&current))?;
        if write.dry_run {
            return Ok(current);
        }
        let removed = self
            .items
            .remove(&key(kind, namespace, name))
            .ok_or_else(|| ApiError::not_found(kind, name))?;
        if kind.plural == "namespaces" {
            self.items.retain(|(_, ns, _), _| ns != name);
        }
        self.next_revision();
        Ok(removed)
    }

    /// Stores an object as given (creating its namespace when missing), replacing any previous one.
    pub fn apply(&mut self, object: Value) -> Result<Value, ApiError> {
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let kind_name = object["kind"].as_str().unwrap_or_default();
        let kind = super::kinds::of_object(api_version, kind_name).ok_or_else(|| {
            ApiError::bad_request(format!("no kind {kind_name} in {api_version}"))
        })?;
        let namespace = object["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
            .to_string();
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if kind.namespaced && !self.namespace_exists(&namespace) {
            self.create(&KINDS[0], "", json!({ "metadata": { "name": namespace } }))?;
        }
        match self.get(kind, &namespace, &name) {
            Ok(current) => {
                let mut object = object;
                object["metadata"]["resourceVersion"] =
                    current["metadata"]["resourceVersion"].clone();
                self.update(kind, &namespace, &name, object)
            }
            Err(_) => self.create(kind, &namespace, object),
        }
    }
}

/// Moves `stringData` into `data` (base64), checks `data` is base64, and defaults `type` to `Opaque`.
fn fold_string_data(
    kind: &Kind,
    name: &str,
    fields: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let mut data = fields
        .remove("data")
        .and_then(|d| d.as_object().cloned())
        .unwrap_or_default();
    for (k, v) in data.iter() {
        let ok = v.as_str().is_some_and(|s| STANDARD.decode(s).is_ok());
        if !ok {
            return Err(ApiError::bad_request(format!(
                "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data for key {k}"
            )));
        }
    }
    if let Some(string_data) = fields.remove("stringData") {
        for (k, v) in string_data.as_object().into_iter().flatten() {
            let text = v.as_str().unwrap_or_default();
            data.insert(k.clone(), STANDARD.encode(text).into());
        }
    }
    let secret_type = fields
        .entry("type")
        .or_insert_with(|| "Opaque".into())
        .as_str()
        .unwrap_or_default()
        .to_string();
    if secret_type == "kubernetes.io/dockerconfigjson" && !data.contains_key(".dockerconfigjson") {
        return Err(ApiError::invalid(
            kind,
            name,
            "data[.dockerconfigjson]: Required value",
        ));
    }
    if !data.is_empty() {
        fields.insert("data".into(), Value::Object(data));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::find;

    fn secrets() -> &'static Kind {
        find("", "v1", "secrets").unwrap()
    }

    #[test]
    fn writes_are_recorded_and_deletes_honour_preconditions() {
        let mut objects = Objects::default();
        objects
            .apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}))
            .unwrap();
        let by = |manager| Write {
            manager,
            ..Write::default()
        };
        let created = objects
            .create_with(
                secrets(),
                "ns",
                json!({"metadata": {"name": "s"}}),
                &by("gluelinks"),
            )
            .unwrap();
        let fields = &created["metadata"]["managedFields"];
        assert_eq!(fields[0]["manager"], "gluelinks");
        assert!(fields[0]["time"].as_str().unwrap().ends_with('Z'));
        let updated = objects
            .update_with(secrets(), "ns", "s", created.clone(), &by("kubectl"))
            .unwrap();
        let managers: Vec<&str> = updated["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["manager"].as_str().unwrap())
            .collect();
        assert_eq!(managers, ["gluelinks", "kubectl"]);

        let stale = Write {
            preconditions: json!({"resourceVersion": created["metadata"]["resourceVersion"]}),
            ..Write::default()
        };
        let err = objects
            .delete_with(secrets(), "ns", "s", &stale)
            .unwrap_err();
        assert_eq!((err.code, err.reason), (409, "Conflict"));
        assert!(objects.get(secrets(), "ns", "s").is_ok());
        let current = Write {
            preconditions: json!({"uid": updated["metadata"]["uid"],
                                  "resourceVersion": updated["metadata"]["resourceVersion"]}),
            ..Write::default()
        };
        objects.delete_with(secrets(), "ns", "s", &current).unwrap();
        assert!(objects.get(secrets(), "ns", "s").is_err());
    }

    #[test]
    fn writes_follow_api_server_rules() {
        let mut objects = Objects::default();
        let secret = json!({"metadata": {"name": "s"}, "stringData": {"password": "hunter2"}});
        assert_eq!(
            objects
                .create(secrets(), "argocd", secret.clone())
                .unwrap_err()
                .code,
            404,
            "namespace must exist"
        );
        objects
            .apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}}))
            .unwrap();
        let created = objects.create(secrets(), "argocd", secret.clone()).unwrap();
        assert_eq!(created["data"]["password"], STANDARD.encode("hunter2"));
        assert!(created.get("stringData").is_none());
        assert_eq!(created["type"], "Opaque");
        assert_eq!(
            objects
                .create(secrets(), "argocd", secret)
                .unwrap_err()
                .reason,
            "AlreadyExists"
        );

        let mut stale = created.clone();
        stale["metadata"]["resourceVersion"] = "1".into();
        assert_eq!(
            objects
                .update(secrets(), "argocd", "s", stale)
                .unwrap_err()
                .reason,
            "Conflict"
        );
        let mut fresh = created.clone();
        fresh["metadata"]["labels"] = json!({"a": "b"});
        let updated = objects.update(secrets(), "argocd", "s", fresh).unwrap();
        assert_ne!(
            updated["metadata"]["resourceVersion"],
            created["metadata"]["resourceVersion"]
        );
        assert_eq!(updated["metadata"]["uid"], created["metadata"]["uid"]);

        let patched = objects
            .patch(
                secrets(),
                "argocd",
                "s",
                &json!({"metadata": {"labels": {"a": null, "c": "d"}}}),
            )
            .unwrap();
        assert_eq!(patched["metadata"]["labels"], json!({"c": "d"}));
        let bad = json!({"metadata": {"name": "t"}, "data": {"k": "not base64!"}});
        assert_eq!(
            objects.create(secrets(), "argocd", bad).unwrap_err().code,
            400
        );
        let body = objects
            .delete(secrets(), "argocd", "missing")
            .unwrap_err()
            .body();
        assert_eq!(body["kind"], "Status");
        assert_eq!(body["message"], "secrets \"missing\" not found");
    }
}

//! The emulator's HTTP side: authentication, discovery, faults, RBAC, then the object store.

use super::kinds::{self, Kind, KINDS};
use super::objects::{qualified, ApiError, Write};
use super::rbac::Identity;
use super::selectors::{FieldSelector, LabelSelector};
use super::{lock, Fault, InFlight, Recorded, State};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use std::sync::Arc;

/// The API server's own request body limit.
const MAX_BODY: usize = 3 * 1024 * 1024;

/// Returned to hyper to drop the connection without an answer.
#[derive(Debug)]
pub struct Reset;

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by the emulator")
    }
}

impl std::error::Error for Reset {}

type Reply = Response<Full<Bytes>>;

fn reply(code: u16, body: &Value) -> Reply {
    reply_as(code, "application/json", body)
}

fn reply_as(code: u16, content_type: &str, body: &Value) -> Reply {
    Response::builder()
        .status(code)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a valid response")
}

/// The group and version of the metadata-only representations.
const META_API_VERSION: &str = "meta.k8s.io/v1";

/// What a client's `Accept` asks to see: the objects, or only their metadata (`PartialObjectMetadata`,
/// `PartialObjectMetadataList` of `meta.k8s.io/v1`), which controllers — and GlueLinks' secrets list —
/// use so that they never receive what they do not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Representation {
    Objects,
    Metadata,
}

/// The first media range in `accept` the emulator serves for `verb`. A range asking for a representation
/// it does not serve (`as=Table`, `v=v1beta1`, a list form for one object) is skipped, so `kubectl`'s
/// `Table, ..., application/json` gets JSON; when nothing is left the answer is 406, as the API server's.
fn representation(accept: &str, verb: &str) -> Result<Representation, ApiError> {
    let metadata_kind = if verb == "list" {
        "PartialObjectMetadataList"
    } else {
        "PartialObjectMetadata"
    };
    for range in accept.split(',') {
        let params: Vec<(&str, &str)> = range
            .split(';')
            .skip(1)
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        let param = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        match param("as") {
            None => return Ok(Representation::Objects),
            Some(kind)
                if kind == metadata_kind
                    && param("g").zip(param("v")).map(|(g, v)| format!("{g}/{v}"))
                        == Some(META_API_VERSION.into()) =>
            {
                return Ok(Representation::Metadata)
            }
            Some(_) => {}
        }
    }
    Err(ApiError::new(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf",
    ))
}

/// An object, or a list of them, as metadata only: `apiVersion`, `kind` and `metadata`, nothing else.
fn as_metadata(verb: &str, body: &Value) -> (String, Value) {
    let partial = |object: &Value| json!({ "apiVersion": META_API_VERSION, "kind": "PartialObjectMetadata", "metadata": object["metadata"] });
    let (kind, body) = if verb == "list" {
        let items: Vec<Value> = body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(partial)
            .collect();
        let list = json!({ "apiVersion": META_API_VERSION, "kind": "PartialObjectMetadataList",
                           "metadata": body["metadata"], "items": items });
        ("PartialObjectMetadataList", list)
    } else {
        ("PartialObjectMetadata", partial(body))
    };
    let (group, version) = META_API_VERSION.split_once('/').expect("group/version");
    (
        format!("application/json;as={kind};g={group};v={version}"),
        body,
    )
}

fn failure(err: &ApiError) -> Reply {
    reply(err.code, &err.body())
}

fn query_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// What a resource path names.
struct Target {
    kind: &'static Kind,
    namespace: Option<String>,
    name: Option<String>,
}

fn not_found_resource() -> ApiError {
    ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

fn parse_target(state: &State, path: &str) -> Result<Target, ApiError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Err(not_found_resource()),
    };
    let lookup = |plural: &str| {
        kinds::find(group, version, plural)
            .filter(|k| state.serves(k))
            .ok_or_else(not_found_resource)
    };
    let target = match rest {
        ["namespaces", ns, plural] => Target {
            kind: lookup(plural)?,
            namespace: Some(ns.to_string()),
            name: None,
        },
        ["namespaces", ns, plural, name] => Target {
            kind: lookup(plural)?,
            namespace: Some(ns.to_string()),
            name: Some(name.to_string()),
        },
        [plural] => Target {
            kind: lookup(plural)?,
            namespace: None,
            name: None,
        },
        [plural, name] => {
            let kind = lookup(plural)?;
            if kind.namespaced {
                return Err(not_found_resource());
            }
            Target {
                kind,
                namespace: None,
                name: Some(name.to_string()),
            }
        }
        _ => return Err(not_found_resource()),
    };
    if target.kind.namespaced || target.namespace.is_none() {
        Ok(target)
    } else {
        Err(not_found_resource())
    }
}

fn discovery(state: &State, path: &str, port: u16) -> Option<Value> {
    let installed = |k: &&Kind| state.serves(k);
    let resources = |group: &str, version: &str| {
        let list: Vec<Value> = KINDS
            .iter()
            .filter(installed)
            .filter(|k| k.group == group && k.version == version)
            .map(|k| {
                json!({
                    "name": k.plural, "singularName": k.singular, "namespaced": k.namespaced, "kind": k.kind,
                    "verbs": ["create", "delete", "get", "list", "patch", "update"], "shortNames": k.short_names,
                })
            })
            .collect();
        (!list.is_empty()).then(|| {
            let gv = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
            json!({ "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list })
        })
    };
    // An APIGroup: the versions of `group` served now, the first preferred.
    let group = |name: &str| {
        let mut versions: Vec<Value> = Vec::new();
        for k in KINDS.iter().filter(installed).filter(|k| k.group == name) {
            let gv = json!({ "groupVersion": k.api_version(), "version": k.version });
            if !versions.contains(&gv) {
                versions.push(gv);
            }
        }
        let preferred = versions.first()?.clone();
        Some(json!({ "name": name, "versions": versions, "preferredVersion": preferred }))
    };
    match path.trim_end_matches('/') {
        "/version" => Some(json!({
            "major": "1", "minor": "37", "gitVersion": "v1.37.0-gluelinks-emulator", "gitCommit": "",
            "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.25",
            "compiler": "gc", "platform": "linux/amd64",
        })),
        "/api" => Some(json!({
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": format!("127.0.0.1:{port}") }],
        })),
        "/apis" => {
            let mut names: Vec<&str> = Vec::new();
            for k in KINDS.iter().filter(|k| !k.group.is_empty()) {
                if !names.contains(&k.group) {
                    names.push(k.group);
                }
            }
            let groups: Vec<Value> = names.into_iter().filter_map(group).collect();
            Some(json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups }))
        }
        "/api/v1" => resources("", "v1"),
        other => match other
            .trim_start_matches('/')
            .split('/')
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["apis", name] => group(name).map(|mut g| {
                g["kind"] = json!("APIGroup");
                g["apiVersion"] = json!("v1");
                g
            }),
            ["apis", group, version] => resources(group, version),
            _ => None,
        },
    }
}

fn authenticate(
    state: &State,
    req: &Request<Incoming>,
    cert_user: Option<Identity>,
) -> Option<Identity> {
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match bearer {
        Some(token) if token.starts_with(EKS_PREFIX) => {
            let identity = lock(&state.eks_identity).clone()?;
            is_eks_token(token).then_some(identity)
        }
        Some(token) => state.lock_tokens().get(token).cloned(),
        None => cert_user,
    }
}

const EKS_PREFIX: &str = "k8s-aws-v1.";

/// The shape EKS checks before asking STS: a presigned GetCallerIdentity URL that signs `x-k8s-aws-id`.
fn is_eks_token(token: &str) -> bool {
    use base64::Engine;
    let Some(url) = token
        .strip_prefix(EKS_PREFIX)
        .and_then(|t| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t)
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return false;
    };
    let Some((base, query)) = url.split_once('?') else {
        return false;
    };
    let params = query_params(query);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    base.starts_with("https://sts.")
        && base.ends_with(".amazonaws.com/")
        && get("Action") == Some("GetCallerIdentity")
        && get("X-Amz-Algorithm") == Some("AWS4-HMAC-SHA256")
        && get("X-Amz-SignedHeaders").is_some_and(|h| h.split(';').any(|h| h == "x-k8s-aws-id"))
        && get("X-Amz-Signature").is_some_and(|s| s.len() == 64)
}

fn verb(method: &str, target: &Target, watch: bool) -> Option<&'static str> {
    Some(match (method, target.name.is_some()) {
        ("GET", true) => "get",
        ("GET", false) if watch => "watch",
        ("GET", false) => "list",
        ("POST", false) => "create",
        ("PUT", true) => "update",
        ("PATCH", true) => "patch",
        ("DELETE", true) => "delete",
        _ => return None,
    })
}

/// One page of a list, as `limit` and `continue` ask: the items and the list's `metadata` (`continue` and
/// `remainingItemCount` when more remain). The token is opaque to clients; here it is the next offset.
fn page(
    items: Vec<Value>,
    limit: Option<&str>,
    token: Option<&str>,
) -> Result<(Vec<Value>, Value), ApiError> {
    let start = match token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t
            .strip_prefix("offset-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| {
                ApiError::new(410, "Expired", "The provided continue parameter is too old")
            })?,
    };
    let limit = match limit.filter(|l| !l.is_empty()) {
        None => usize::MAX,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if n > 0 => n as usize,
            Ok(_) => usize::MAX,
            Err(_) => return Err(ApiError::bad_request(format!("invalid limit {l:?}"))),
        },
    };
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(limit).collect();
    let next = start + page.len();
    let metadata = if next < total {
        json!({ "continue": format!("offset-{next}"), "remainingItemCount": total - next })
    } else {
        json!({})
    };
    Ok((page, metadata))
}

pub async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
    cert_user: Option<Identity>,
    port: u16,
) -> Result<Reply, Reset> {
    let _in_flight = InFlight::start(&state);
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let accept = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let identity = authenticate(&state, &req, cert_user);
    let target = parse_target(&state, &path);
    let params = query_params(&query);
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let watch = matches!(param("watch"), Some("true" | "1"));
    let verb = target.as_ref().ok().and_then(|t| verb(&method, t, watch));
    let recorded = state.lock_requests().len();
    state.lock_requests().push(Recorded {
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        user: identity.as_ref().map(|i| i.user.clone()),
        verb,
        resource: target.as_ref().ok().map(|t| qualified(t.kind)),
        accept: accept.clone(),
        dry_run: param("dryRun").is_some(),
        at: std::time::Instant::now(),
    });
    let latency = *state.latency.lock().expect("latency");
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let Some(identity) = identity else {
        return Ok(failure(&ApiError::new(401, "Unauthorized", "Unauthorized")));
    };
    let (resource, namespace) = match &target {
        Ok(t) => (t.kind.plural, t.namespace.as_deref()),
        Err(_) => ("", None),
    };
    let fault = state
        .lock_faults()
        .iter()
        .find(|rule| {
            rule.matcher
                .matches(&method, resource, namespace, param("dryRun").is_some())
        })
        .map(|rule| rule.fault.clone());
    match fault {
        Some(Fault::Status(code)) => {
            return Ok(failure(&ApiError::new(
                code,
                "InternalError",
                format!("injected fault: HTTP {code}"),
            )))
        }
        Some(Fault::Hang(duration)) => tokio::time::sleep(duration).await,
        Some(Fault::Reset) => return Err(Reset),
        _ => {}
    }
    if let Some(body) = discovery(&state, &path, port) {
        return Ok(reply(200, &body));
    }
    let target = match target {
        Ok(t) => t,
        Err(e) => return Ok(failure(&e)),
    };
    let Some(verb) = verb else {
        return Ok(failure(&ApiError::new(
            405,
            "MethodNotAllowed",
            format!(
                "the server does not allow this method on the requested resource ({method} {path})"
            ),
        )));
    };
    let forbidden = |who: &Identity| {
        let scope = match &target.namespace {
            Some(ns) => format!(" in the namespace \"{ns}\""),
            None => " at the cluster scope".to_string(),
        };
        ApiError::new(
            403,
            "Forbidden",
            format!(
            "{} is forbidden: User \"{}\" cannot {verb} resource \"{}\" in API group \"{}\"{scope}",
            qualified(target.kind), who.user, target.kind.plural, target.kind.group
        ),
        )
    };
    if matches!(fault, Some(Fault::Forbidden)) {
        return Ok(failure(&forbidden(&identity)));
    }
    let allowed = state.lock_rbac().as_ref().is_none_or(|rbac| {
        rbac.allows(
            &identity,
            verb,
            target.kind.group,
            target.kind.plural,
            target.namespace.as_deref(),
            target.name.as_deref(),
        )
    });
    if !allowed {
        return Ok(failure(&forbidden(&identity)));
    }
    if verb == "watch" {
        return Ok(failure(&ApiError::new(
            405,
            "MethodNotAllowed",
            "the emulator does not serve watches",
        )));
    }

    let representation = match representation(&accept, verb) {
        Ok(r) => r,
        Err(e) => return Ok(failure(&e)),
    };
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_string();
    // Who writes, as the API server records it in managedFields: `fieldManager`, else the user agent's
    // first word.
    let manager = match param("fieldManager") {
        Some(manager) => manager.to_string(),
        None => req
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .and_then(|ua| ua.split('/').next())
            .unwrap_or("unknown")
            .to_string(),
    };
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(failure(&ApiError::new(
                413,
                "RequestEntityTooLarge",
                "the request is too large",
            )))
        }
    };
    let json_body = || -> Result<Value, ApiError> {
        if content_type.starts_with("application/vnd.kubernetes.protobuf") {
            return super::protobuf::decode(&body)
                .map_err(|e| ApiError::new(415, "UnsupportedMediaType", e));
        }
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))
    };
    let namespace = target.namespace.clone().unwrap_or_default();
    let name = target.name.clone().unwrap_or_default();
    let kind = target.kind;
    let admission = state.lock_admission().clone();
    let operation = match verb {
        "create" => "CREATE",
        "delete" => "DELETE",
        _ => "UPDATE",
    };
    let admit = |object: &Value, old: Option<&Value>| {
        let Some(admission) = &admission else {
            return Ok(());
        };
        let object_name = object["metadata"]["name"].as_str().unwrap_or(&name);
        admission.admit(&super::admission::Request {
            operation,
            group: kind.group,
            resource: kind.plural,
            namespace: &namespace,
            name: object_name,
            user: &identity,
            object: (!object.is_null()).then_some(object),
            old_object: old,
        })
    };
    // A delete's options come in its body (`DeleteOptions`: `dryRun`, `preconditions`), as kube-rs and
    // kubectl send them; the query's `dryRun` is honoured too.
    let options: Value = if verb == "delete" && !body.is_empty() {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    let body_dry_run: Vec<&str> = options["dryRun"]
        .as_array()
        .map(|values| values.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !body_dry_run.is_empty() {
        if let Some(r) = state.lock_requests().get_mut(recorded) {
            r.dry_run = true;
        }
    }
    let write = Write {
        // Only `All` is a dry run the API server knows; anything else it refuses.
        dry_run: match (param("dryRun"), body_dry_run.as_slice()) {
            (None, []) => false,
            (Some("All"), _) | (None, ["All"]) => true,
            (Some(other), _) | (None, &[other, ..]) => {
                return Ok(failure(&ApiError::bad_request(format!(
                    "Invalid value: \"{other}\": supported values: \"All\""
                ))))
            }
        },
        admission: &admit,
        manager: &manager,
        preconditions: options["preconditions"].clone(),
    };
    let result = match verb {
        "get" => state
            .lock_objects()
            .get(kind, &namespace, &name)
            .map(|o| (200, o)),
        "list" => {
            let labels = LabelSelector::parse(param("labelSelector").unwrap_or_default())
                .map_err(ApiError::bad_request);
            let fields = FieldSelector::parse(param("fieldSelector").unwrap_or_default(), kind)
                .map_err(ApiError::bad_request);
            match (labels, fields) {
                (Ok(labels), Ok(fields)) => {
                    let objects = state.lock_objects();
                    let items = objects.list(kind, target.namespace.as_deref(), &labels, &fields);
                    page(items, param("limit"), param("continue")).map(|(items, metadata)| {
                        let mut metadata = metadata;
                        metadata["resourceVersion"] = json!(objects.revision());
                        (
                            200,
                            json!({
                                "kind": format!("{}List", kind.kind),
                                "apiVersion": kind.api_version(),
                                "metadata": metadata,
                                "items": items,
                            }),
                        )
                    })
                }
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        }
        "create" => json_body()
            .and_then(|o| {
                state
                    .lock_objects()
                    .create_with(kind, &namespace, o, &write)
            })
            .map(|o| (201, o)),
        "update" => json_body()
            .and_then(|o| {
                state
                    .lock_objects()
                    .update_with(kind, &namespace, &name, o, &write)
            })
            .map(|o| (200, o)),
        "patch"
            if content_type.starts_with("application/merge-patch+json")
                || content_type.starts_with("application/strategic-merge-patch+json") =>
        {
            json_body()
                .and_then(|p| state.lock_objects().patch(kind, &namespace, &name, &p))
                .map(|o| (200, o))
        }
        "patch" => Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!("the emulator does not support the patch type {content_type}"),
        )),
        "delete" => state
            .lock_objects()
            .delete_with(kind, &namespace, &name, &write)
            .map(|o| (200, o)),
        _ => Err(not_found_resource()),
    };
    if matches!(fault, Some(Fault::ResetAfterApply)) {
        return Err(Reset);
    }
    Ok(match (result, representation) {
        (Ok((code, body)), Representation::Objects) => reply(code, &body),
        (Ok((code, body)), Representation::Metadata) => {
            let (content_type, partial) = as_metadata(verb, &body);
            reply_as(code, &content_type, &partial)
        }
        (Err(e), _) => failure(&e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_the_first_representation_served() {
        let list = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
        let one = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
        let table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        let cases = [
            ("", "list", Some(Representation::Objects)),
            (
                "application/json, */*",
                "get",
                Some(Representation::Objects),
            ),
            (table, "list", Some(Representation::Objects)),
            (list, "list", Some(Representation::Metadata)),
            (one, "get", Some(Representation::Metadata)),
            (
                &format!("{list},application/json"),
                "list",
                Some(Representation::Metadata),
            ),
            (
                &format!("{list},application/json"),
                "get",
                Some(Representation::Objects),
            ),
            (list, "get", None),
            (one, "list", None),
            (
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1beta1",
                "list",
                None,
            ),
        ];
        for (accept, verb, expected) in cases {
            let got = representation(accept, verb);
            assert_eq!(got.as_ref().ok().copied(), expected, "{verb} {accept}");
            if let Err(e) = got {
                assert_eq!((e.code, e.reason), (406, "NotAcceptable"));
            }
        }
    }
}

//! Kubernetes API server audit events to OCSF: `audit.k8s.io/v1` `Event`s, one JSON object per
//! line, as the API server's log backend writes them (`--audit-log-path`, self-hosted clusters),
//! as each message of an EKS cluster's `kube-apiserver-audit` log stream holds one, and as
//! Panther stores them (`p_event_time`, `apiVersion` and `kind` often left out). GKE writes its clusters' audit
//! events to Cloud Logging as Google Cloud audit log entries, read by the `gcp` decoder.
//!
//! Class: API Activity (6003) for every event. An audit event is one request to the Kubernetes
//! API by one user on one object (or a non-resource URL), which is what API Activity records;
//! the verb gives create (`create`, and `post` on a non-resource URL), read (`get`, `list`,
//! `watch`), update (`update`, `patch`) or delete (`delete`, `deletecollection`); other verbs
//! (`impersonate`, `bind`, `escalate`, `approve` …) are `Other`.
//!
//! Kept: the verb as `api.operation` and `metadata.event_code`, the object reference
//! (`objectRef`: resource, subresource, namespace, name, API group) as `api.request_data` in
//! compact JSON and its API group as `api.service` (`core` for the core group), `auditID` as the
//! record and request id; the user (`user.username`, its uid; a `system:serviceaccount:<ns>:<name>`
//! is a service account of its namespace, other `system:` names the system) and the user it
//! impersonated (as the user acted as); the first source address (`sourceIPs[0]`), the user
//! agent, the request URI and the response code; the status: failure for a response code of 400
//! or more, else success, and from the authorizer's decision (`authorization.k8s.io/decision`
//! annotation, `forbid` is failure) for events without a response (the `RequestReceived`
//! stage), with the decision and its reason as the status detail.
//!
//! For Sigma, [`Decoder::reshape`] adds three names SigmaHQ's `kubernetes` / `audit` rules read
//! that the event does not have, beside its own: `apiGroup` (the object's API group),
//! `capabilities` (the Linux capabilities a created pod's containers add) and `hostPath` (the
//! host paths its volumes mount), each only when the event has something to put there.
//!
//! Refused: a record that is not an object, an `EventList` (the webhook backend's batch: write
//! its `items` one per line), no `verb`, or no readable time (`requestReceivedTimestamp`, else
//! `stageTimestamp`, else Panther's `p_event_time`).

use serde_json::{Map, Value};
use vigil_model::{OcsfClass, Severity, Status, api};

use crate::generic::kind;
use crate::json::{as_text, compact, get, int, text};
use crate::{DecodeError, Decoder, Draft, LogSource};

pub const FAMILY: &str = "kubernetes";

/// Keys tried, in order, for a record's time.
pub const TIME_KEYS: &[&str] = &["requestReceivedTimestamp", "stageTimestamp", "p_event_time"];

/// The decision annotation the API server's authorizer writes.
const DECISION: &str = "authorization.k8s.io/decision";
const REASON: &str = "authorization.k8s.io/reason";

/// Kubernetes API server audit events.
pub struct Kubernetes;

impl Decoder for Kubernetes {
    fn name(&self) -> &'static str {
        "kubernetes"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["k8s", "k8s-audit", "kubernetes-audit", "eks-audit"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Kubernetes API server audit events (audit.k8s.io Event JSON lines: self-hosted, EKS)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        log_type == "Amazon.EKS.Audit"
    }
    /// SigmaHQ's rules also name `apiGroup`, `capabilities` and `hostPath`: they are added.
    fn reshape(&self, record: &Value) -> Option<Value> {
        sigma_names(record)
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[OcsfClass::ApiActivity]
    }
    /// SigmaHQ's Kubernetes rules (`rules/application/kubernetes/audit/`) ask for
    /// `kubernetes` / `audit`, most of them with the `application` category, and name the
    /// event's own fields (`verb`, `objectRef.resource` …).
    fn logsource(&self) -> LogSource {
        LogSource { category: Some("application"), ..LogSource::fixed("kubernetes", "audit") }
    }
    fn sample(&self) -> &'static str {
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6f1c2a3b-1d2e-4f50-8a9b-0c1d2e3f4a5b","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods/web-1/exec?command=sh&stdin=true&tty=true","verb":"create","user":{"username":"alice@example.com","groups":["system:authenticated"]},"sourceIPs":["203.0.113.20"],"userAgent":"kubectl/v1.29.1 (linux/amd64) kubernetes/bc401b9","objectRef":{"resource":"pods","namespace":"default","name":"web-1","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"code":101},"requestReceivedTimestamp":"2024-03-04T05:06:07.123456Z","stageTimestamp":"2024-03-04T05:06:09.654321Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"admins\" of ClusterRole \"cluster-admin\" to User \"alice@example.com\""}}"#
    }
}

/// An audit `Event` (`kind` and an `audit.k8s.io` `apiVersion`), or, where those were left
/// out, a verb beside an object reference, or beside an audit id and one more key only audit
/// events write.
pub fn looks_like(v: &Value) -> bool {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    if s("kind") == Some("Event") && s("apiVersion").is_some_and(|a| a.starts_with("audit.k8s.io/")) {
        return true;
    }
    let audit_keys = v.get("user").is_some_and(Value::is_object)
        || s("requestURI").is_some()
        || s("stage").is_some()
        || v.get("sourceIPs").is_some_and(Value::is_array);
    s("verb").is_some() && (v.get("objectRef").is_some_and(Value::is_object) || (s("auditID").is_some() && audit_keys))
}

/// What a record cannot do without: being one event, its verb and its time.
fn head(v: &Value) -> Result<(String, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not a Kubernetes audit event", kind(v))));
    }
    if v.get("kind").and_then(Value::as_str) == Some("EventList") {
        return Err(DecodeError::Unrecognized(
            "a Kubernetes audit EventList (the webhook backend's batch): write its items one per line".into(),
        ));
    }
    let verb = match get(v, "verb") {
        None | Some(Value::Null) => return Err(DecodeError::missing("verb")),
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(other) => return Err(DecodeError::bad("verb", &other.to_string())),
    };
    Ok((verb, crate::time_of(v, TIME_KEYS)?))
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (verb, time) = head(v)?;
    let e = d.start(OcsfClass::ApiActivity, activity(&verb), time, "Kubernetes Audit", "Kubernetes");
    e.metadata.original_uid = text(v, "auditID");
    e.metadata.event_code = Some(verb.clone());
    e.metadata.log_name = Some("audit".into());
    e.severity = Severity::Informational;

    if let Some(name) = text(v, "user.username") {
        let u = e.actor_user_mut();
        fill_user(u, name);
        u.uid = text(v, "user.uid");
    }
    // The user the request acted as (`kubectl --as`).
    if let Some(name) = text(v, "impersonatedUser.username") {
        let u = e.user_mut();
        fill_user(u, name);
        u.uid = text(v, "impersonatedUser.uid");
    }

    let first_ip = get(v, "sourceIPs").and_then(Value::as_array).and_then(|a| a.first()).and_then(as_text);
    if let Some(ip) = first_ip.filter(|ip| ip.parse::<std::net::IpAddr>().is_ok()) {
        e.src_mut().ip = Some(ip);
    }
    let code = int(v, "responseStatus.code");
    let ua = text(v, "userAgent");
    let uri = text(v, "requestURI");
    if ua.is_some() || uri.is_some() || code.is_some() {
        let h = e.http_mut();
        h.user_agent = ua;
        h.url = uri;
        h.status = code;
    }

    let annotations = get(v, "annotations").unwrap_or(&Value::Null);
    let decision = text(annotations, DECISION);
    let reason = text(annotations, REASON);
    e.status = match (code, decision.as_deref()) {
        (Some(c), _) if c >= 400 => Some(Status::Failure),
        (Some(_), _) => Some(Status::Success),
        (None, Some("forbid")) => Some(Status::Failure),
        (None, Some("allow")) => Some(Status::Success),
        (None, _) => None,
    };
    let message = text(v, "responseStatus.message");
    e.status_detail = match (&decision, &reason) {
        (Some(d), Some(r)) => Some(format!("{d}: {r}")),
        (Some(d), None) => Some(d.clone()),
        (None, _) => message.clone(),
    };

    let object = get(v, "objectRef").filter(|o| o.is_object());
    let a = e.api_mut();
    a.operation = Some(verb);
    a.request_uid = text(v, "auditID");
    if let Some(o) = object {
        a.service = Some(text(o, "apiGroup").unwrap_or_else(|| "core".into()));
        a.request_data = compact(v, "objectRef");
    }
    if code.is_some_and(|c| c >= 400) {
        a.response_error = text(v, "responseStatus.reason").or_else(|| code.map(|c| c.to_string()));
        a.response_error_message = message;
    }
    Ok(())
}

/// A user's name, type and (for a service account) namespace, from its Kubernetes username.
fn fill_user(u: &mut vigil_model::User, name: String) {
    if let Some(rest) = name.strip_prefix("system:serviceaccount:") {
        u.r#type = Some("ServiceAccount".into());
        u.domain = rest.split_once(':').map(|(ns, _)| ns.to_string());
    } else if name.starts_with("system:") {
        u.r#type = Some("System".into());
    } else {
        u.r#type = Some("User".into());
        u.email = name.contains('@').then(|| name.clone());
    }
    u.name = Some(name);
}

/// The API activity of a verb.
fn activity(verb: &str) -> u32 {
    match verb.to_ascii_lowercase().as_str() {
        "create" | "post" => api::CREATE,
        "get" | "list" | "watch" | "head" => api::READ,
        "update" | "patch" | "put" => api::UPDATE,
        "delete" | "deletecollection" => api::DELETE,
        _ => api::OTHER,
    }
}

/// The event with the names SigmaHQ's rules read beside its own: `apiGroup`, `capabilities`,
/// `hostPath`, each where the event has none of its own and has something to put there. `None`
/// when nothing is added.
fn sigma_names(v: &Value) -> Option<Value> {
    let m = v.as_object()?;
    let mut add = Map::new();
    if !m.contains_key("apiGroup")
        && let Some(g) = get(v, "objectRef.apiGroup").filter(|g| g.as_str().is_some_and(|s| !s.is_empty()))
    {
        add.insert("apiGroup".into(), g.clone());
    }
    if let Some(spec) = get(v, "requestObject").and_then(pod_spec) {
        let mut caps = Vec::new();
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            for c in get(spec, list).and_then(Value::as_array).into_iter().flatten() {
                if let Some(added) = get(c, "securityContext.capabilities.add").and_then(Value::as_array) {
                    caps.extend(added.iter().filter(|x| x.is_string()).cloned());
                }
            }
        }
        let paths: Vec<Value> = get(spec, "volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|vol| get(vol, "hostPath.path").filter(|p| p.is_string()).cloned())
            .collect();
        if !m.contains_key("capabilities") && !caps.is_empty() {
            add.insert("capabilities".into(), Value::Array(caps));
        }
        if !m.contains_key("hostPath") && !paths.is_empty() {
            add.insert("hostPath".into(), Value::Array(paths));
        }
    }
    if add.is_empty() {
        return None;
    }
    let mut out = m.clone();
    out.extend(add);
    Some(Value::Object(out))
}

/// The pod spec of a request's object: a pod's own, a workload's template's (deployments,
/// daemon sets, jobs …) or a cron job's job template's.
fn pod_spec(object: &Value) -> Option<&Value> {
    let has_pod = |s: &&Value| get(s, "containers").is_some() || get(s, "volumes").is_some();
    ["spec", "spec.template.spec", "spec.jobTemplate.spec.template.spec"]
        .iter()
        .find_map(|p| get(object, p).filter(|s| s.is_object()).filter(has_pod))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn activities_from_the_verb() {
        assert_eq!(activity("create"), api::CREATE);
        assert_eq!(activity("get"), api::READ);
        assert_eq!(activity("list"), api::READ);
        assert_eq!(activity("watch"), api::READ);
        assert_eq!(activity("patch"), api::UPDATE);
        assert_eq!(activity("update"), api::UPDATE);
        assert_eq!(activity("deletecollection"), api::DELETE);
        assert_eq!(activity("impersonate"), api::OTHER);
    }

    #[test]
    fn recognition_needs_an_audit_event() {
        let full = json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "verb": "get"});
        let bare = json!({"verb": "get", "objectRef": {"resource": "pods"}, "user": {"username": "a"}});
        let by_id = json!({"verb": "get", "auditID": "x", "stage": "ResponseComplete"});
        let core_event = json!({"kind": "Event", "apiVersion": "v1", "reason": "Pulled"});
        let object_only = json!({"verb": "get", "objectRef": {"resource": "pods"}});
        let verb_only = json!({"verb": "get", "user": {"username": "a"}});
        let id_only = json!({"verb": "get", "auditID": "x"});
        let not_an_object = json!({"verb": "get", "objectRef": "pods"});
        assert!(looks_like(&full) && looks_like(&bare) && looks_like(&by_id) && looks_like(&object_only));
        assert!(!looks_like(&core_event) && !looks_like(&verb_only) && !looks_like(&id_only));
        assert!(!looks_like(&not_an_object));
    }

    #[test]
    fn sigma_names_are_added_beside_the_event() {
        let pod = json!({"verb": "create", "objectRef": {"resource": "pods", "apiGroup": ""},
            "requestObject": {"spec": {"containers": [{"securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}],
            "volumes": [{"hostPath": {"path": "/"}}, {"emptyDir": {}}]}}});
        let r = sigma_names(&pod).unwrap();
        assert_eq!(r["capabilities"], json!(["SYS_ADMIN"]));
        assert_eq!(r["hostPath"], json!(["/"]));
        assert!(r.get("apiGroup").is_none(), "the core group is no group");
        assert_eq!(r["requestObject"], pod["requestObject"], "the event's own fields are kept");
        let deploy = json!({"verb": "patch", "objectRef": {"resource": "deployments", "apiGroup": "apps"},
            "requestObject": {"spec": {"template": {"spec": {"volumes": [{"hostPath": {"path": "/var/run/docker.sock"}}]}}}}});
        let r = sigma_names(&deploy).unwrap();
        assert_eq!((r["apiGroup"].as_str(), r["hostPath"][0].as_str()), (Some("apps"), Some("/var/run/docker.sock")));
        assert_eq!(sigma_names(&json!({"verb": "get", "objectRef": {"resource": "pods"}})), None);
        assert_eq!(sigma_names(&json!([1])), None);
    }
}

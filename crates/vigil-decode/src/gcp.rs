//! Google Cloud audit logs to OCSF: Cloud Logging `LogEntry` records whose `protoPayload` is a
//! `google.cloud.audit.AuditLog` (the Admin Activity, Data Access, System Event and Policy Denied
//! logs), as log sinks export them (Pub/Sub, Cloud Storage), as `gcloud logging read
//! --format=json` prints them (an array), and as Panther stores them (`@type` renamed
//! `at_sign_type`, some keys lower-cased, `p_event_time`). GKE's Kubernetes audit events reach
//! Cloud Logging in this shape too (`io.k8s.core.v1.pods.create`) and are read here. Google
//! Workspace activity shared with Google Cloud (its metadata a `ccc_hosted_reporting.ActivityProto`)
//! is not sniffed as this decoder's: the `gworkspace` decoder reads it, as SigmaHQ's Workspace
//! rules expect (it is still read here when `--format gcp` or a fixture names this decoder).
//!
//! Class: API Activity (6003) for every entry. An audit log entry is one call of a Google API
//! (`methodName` of `serviceName`) by one principal on one resource, which is what API Activity
//! records; create, read, update or delete is taken from the method's verb
//! (`storage.buckets.delete`, `google.iam.admin.v1.CreateServiceAccountKey`,
//! `v1.compute.instances.aggregatedList`), other methods are `Other`.
//!
//! Kept: the method as `api.operation` and `metadata.event_code`, the service as `api.service`,
//! the resource name as `api.request_data`, the operation id as `api.request_uid`; the principal
//! (`authenticationInfo.principalEmail`, its subject as uid, a service account key as the
//! credential, the first delegating principal as the session's issuer); the caller's address
//! (only when it is an address: Google writes `private` or `gce-internal-ip` for callers inside
//! its network) and user agent; the project as the cloud account and the resource's location as
//! the region; `status.code` (0 or an empty status is success, any other code failure, with its
//! message); the entry's severity, `insertId` and log id (`cloudaudit.googleapis.com/activity`).
//!
//! For Sigma, [`Decoder::reshape`] adds beside the entry the two shapes SigmaHQ's `gcp.audit`
//! rules are written against, the entry's own fields kept as they are: `data.protoPayload` (the
//! payload with the entry's `resource` and log id, as those rules name them) and Elastic's
//! `gcp.audit.*` names (`method_name`, `service_name`, `resource_name`,
//! `authentication_info.principal_email` …).
//!
//! Refused: a record that is not an object, has no `protoPayload` object, a payload of another
//! type (a request log, an application's own log), no `methodName`, or no readable time
//! (`timestamp`, else `receiveTimestamp`, else Panther's `p_event_time`).

use serde_json::{Map, Value, json};
use vigil_model::{OcsfClass, Severity, Status, api};

use crate::generic::kind;
use crate::json::{as_int, get, int, text};
use crate::{DecodeError, Decoder, Draft, LogSource};

pub const FAMILY: &str = "gcp";

/// Keys tried, in order, for a record's time.
pub const TIME_KEYS: &[&str] = &["timestamp", "receiveTimestamp", "p_event_time"];

/// The `@type` of an audit log payload.
const AUDIT_LOG_TYPE: &str = "type.googleapis.com/google.cloud.audit.AuditLog";

/// Google Cloud audit logs (Cloud Logging entries with an `AuditLog` payload).
pub struct Gcp;

impl Decoder for Gcp {
    fn name(&self) -> &'static str {
        "gcp"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["gcp-audit", "google-cloud-audit"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Google Cloud audit logs (Cloud Logging entries with an AuditLog protoPayload, sink exports or gcloud JSON)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        log_type == "GCP.AuditLog"
    }
    /// SigmaHQ's rules name the payload as `data.protoPayload.*` or `gcp.audit.*`: both are added.
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
    /// SigmaHQ's Google Cloud rules (`rules/cloud/gcp/audit/`) ask for `gcp` / `gcp.audit`.
    fn logsource(&self) -> LogSource {
        LogSource::fixed("gcp", "gcp.audit")
    }
    fn sample(&self) -> &'static str {
        r#"{"insertId":"1f2x3y4z","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"alice@example.com"},"authorizationInfo":[{"granted":true,"permission":"storage.buckets.delete","resource":"projects/_/buckets/acme-backups"}],"methodName":"storage.buckets.delete","requestMetadata":{"callerIp":"203.0.113.9","callerSuppliedUserAgent":"google-cloud-sdk gcloud/460.0.0"},"resourceName":"projects/_/buckets/acme-backups","serviceName":"storage.googleapis.com","status":{}},"receiveTimestamp":"2024-02-01T10:00:01.234567Z","resource":{"labels":{"bucket_name":"acme-backups","location":"us-east1","project_id":"acme-prod"},"type":"gcs_bucket"},"severity":"NOTICE","timestamp":"2024-02-01T10:00:00.987654Z"}"#
    }
}

/// The payload's `@type` as written (`@type`), or as Panther renames it.
fn payload_type(pp: &Value) -> Option<String> {
    text(pp, "@type").or_else(|| text(pp, "at_sign_type")).or_else(|| text(pp, "at_type"))
}

/// A `protoPayload` object naming a Google API call (`methodName` or `serviceName`), beside one
/// of the keys only a Cloud Logging entry has; a payload stating another type is not an audit log,
/// and one carrying a Google Workspace activity (`ccc_hosted_reporting.ActivityProto` metadata)
/// is left to the `gworkspace` decoder.
pub fn looks_like(v: &Value) -> bool {
    let Some(pp) = get(v, "protoPayload").filter(|p| p.is_object()) else { return false };
    if payload_type(pp).is_some_and(|t| t != AUDIT_LOG_TYPE) {
        return false;
    }
    // A Workspace activity shared with Google Cloud is the `gworkspace` decoder's: SigmaHQ's
    // Workspace rules see it there.
    if crate::gworkspace::is_activity_payload(pp) {
        return false;
    }
    let call = ["methodName", "serviceName"].iter().any(|k| get(pp, k).is_some_and(Value::is_string));
    let entry = ["logName", "insertId", "receiveTimestamp", "resource"].iter().any(|k| get(v, k).is_some());
    call && (entry || payload_type(pp).is_some())
}

/// What a record cannot do without: being an object, an audit log payload, its method and its time.
fn head(v: &Value) -> Result<(&Value, String, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not a Google Cloud audit log entry", kind(v))));
    }
    let pp = match get(v, "protoPayload") {
        None | Some(Value::Null) => return Err(DecodeError::missing("protoPayload")),
        Some(p @ Value::Object(_)) => p,
        Some(other) => return Err(DecodeError::bad("protoPayload", &other.to_string())),
    };
    if let Some(t) = payload_type(pp).filter(|t| t != AUDIT_LOG_TYPE) {
        return Err(DecodeError::Unrecognized(format!(
            "a Cloud Logging entry whose payload is {t:?}, not a Google Cloud audit log"
        )));
    }
    let method = match get(pp, "methodName") {
        None | Some(Value::Null) => return Err(DecodeError::missing("protoPayload.methodName")),
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(other) => return Err(DecodeError::bad("protoPayload.methodName", &other.to_string())),
    };
    Ok((pp, method, crate::time_of(v, TIME_KEYS)?))
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (pp, method, time) = head(v)?;
    let e = d.start(OcsfClass::ApiActivity, activity(&method), time, "Cloud Audit Logs", "Google Cloud");
    e.metadata.original_uid = text(v, "insertId");
    e.metadata.event_code = Some(method.clone());
    e.metadata.log_name = text(v, "logName").map(|n| log_id(&n).replace("%2F", "/").replace("%2f", "/"));
    e.severity = severity(get(v, "severity"));

    let auth = get(pp, "authenticationInfo").unwrap_or(&Value::Null);
    let principal = text(auth, "principalEmail");
    {
        let u = e.actor_user_mut();
        u.name = principal.clone().or_else(|| text(auth, "principalSubject"));
        u.uid = text(auth, "principalSubject");
        u.email = principal.clone().filter(|p| p.contains('@'));
        u.r#type = principal
            .as_deref()
            .map(|p| String::from(if p.ends_with(".gserviceaccount.com") { "ServiceAccount" } else { "User" }));
        u.credential_uid = text(auth, "serviceAccountKeyName");
    }
    // Who acted through the service account, when it was impersonated or delegated to.
    let delegated = get(auth, "serviceAccountDelegationInfo")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|f| text(f, "firstPartyPrincipal.principalEmail").or_else(|| text(f, "principalSubject")));
    if let Some(issuer) = delegated {
        e.actor_session_mut().issuer = Some(issuer);
    }

    if let Some(ip) = text(pp, "requestMetadata.callerIp").filter(|ip| ip.parse::<std::net::IpAddr>().is_ok()) {
        e.src_mut().ip = Some(ip);
    }
    if let Some(ua) = text(pp, "requestMetadata.callerSuppliedUserAgent") {
        e.http_mut().user_agent = Some(ua);
    }

    let project = text(v, "resource.labels.project_id").or_else(|| text(v, "logName").and_then(|n| container(&n)));
    let region =
        ["location", "region", "zone"].iter().find_map(|k| text(v, &format!("resource.labels.{k}"))).or_else(|| {
            get(pp, "resourceLocation.currentLocations")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(crate::json::as_text)
        });
    let c = e.cloud_mut();
    c.provider = Some("GCP".into());
    c.account_uid = project;
    c.region = region;

    // `status` is google.rpc.Status: code 0 (often left out, `{}`) is OK.
    if let Some(status) = get(pp, "status").filter(|s| s.is_object()) {
        let code = get(status, "code").and_then(as_int).unwrap_or(0);
        let message = text(status, "message");
        e.status = Some(if code == 0 { Status::Success } else { Status::Failure });
        e.status_detail = message.clone();
        if code != 0 {
            let a = e.api_mut();
            a.response_error = Some(code.to_string());
            a.response_error_message = message;
        }
    }

    let a = e.api_mut();
    a.service = text(pp, "serviceName");
    a.operation = Some(method);
    a.request_uid = text(v, "operation.id");
    a.request_data = text(pp, "resourceName");
    Ok(())
}

/// The log id of a `logName` (`projects/p/logs/cloudaudit.googleapis.com%2Factivity` →
/// `cloudaudit.googleapis.com%2Factivity`), still URL-encoded as written.
fn log_id(log_name: &str) -> &str {
    log_name.split_once("/logs/").map_or(log_name, |(_, id)| id)
}

/// The project (or organization, folder, billing account) a `logName` belongs to.
fn container(log_name: &str) -> Option<String> {
    let mut parts = log_name.split('/');
    let kind = parts.next()?;
    let id = parts.next().filter(|id| !id.is_empty())?;
    matches!(kind, "projects" | "organizations" | "folders" | "billingAccounts").then(|| id.to_string())
}

/// `LogSeverity`, as its name or its number.
fn severity(v: Option<&Value>) -> Severity {
    let n = match v {
        Some(Value::String(s)) => match s.to_ascii_uppercase().as_str() {
            "DEFAULT" => 0,
            "DEBUG" => 100,
            "INFO" => 200,
            "NOTICE" => 300,
            "WARNING" => 400,
            "ERROR" => 500,
            "CRITICAL" => 600,
            "ALERT" => 700,
            "EMERGENCY" => 800,
            _ => return Severity::Unknown,
        },
        Some(x @ Value::Number(_)) => match as_int(x) {
            Some(n) => n,
            None => return Severity::Unknown,
        },
        _ => return Severity::Unknown,
    };
    match n {
        i64::MIN..=399 => Severity::Informational,
        400..=499 => Severity::Medium,
        500..=599 => Severity::High,
        600..=799 => Severity::Critical,
        _ => Severity::Fatal,
    }
}

/// The API activity of a method, from the first word of its last part that is a known verb
/// (`storage.buckets.delete` → delete, `google.iam.admin.v1.CreateServiceAccountKey` → create,
/// `v1.compute.instances.aggregatedList` → read, `SetIamPolicy` → update).
fn activity(method: &str) -> u32 {
    let last = method.rsplit('.').next().unwrap_or(method);
    for word in words(last) {
        let activity = match word.as_str() {
            "create" | "insert" | "add" | "generate" | "import" | "register" | "upload" | "clone" | "post"
            | "created" => api::CREATE,
            "get" | "list" | "watch" | "read" | "search" | "query" | "lookup" | "describe" | "export" | "download"
            | "view" | "fetch" | "test" | "batchget" => api::READ,
            "update" | "patch" | "set" | "replace" | "modify" | "change" | "enable" | "disable" | "undelete"
            | "attach" | "detach" | "move" | "rename" | "start" | "stop" | "resize" | "reset" | "restart"
            | "rotate" | "approve" | "put" | "apply" | "deploy" | "restore" | "suspend" | "resume" | "updated" => {
                api::UPDATE
            }
            "delete" | "deletecollection" | "deleted" | "remove" | "destroy" | "purge" | "revoke" | "drop" => {
                api::DELETE
            }
            _ => continue,
        };
        return activity;
    }
    api::OTHER
}

/// The words of a method name part, lower case: split at `_`, `-` and before each capital.
fn words(part: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in part.chars() {
        if c == '_' || c == '-' || (c.is_ascii_uppercase() && !cur.is_empty()) {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            if c == '_' || c == '-' {
                continue;
            }
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The entry with the names SigmaHQ's `gcp.audit` rules read added beside its own: `data.protoPayload`
/// (the payload, with the entry's `resource` and log id where the payload has none of its own)
/// and Elastic's `gcp.audit.*`. `None` for a record without a payload object, or one that
/// already has both (`data`, `gcp`).
fn sigma_names(v: &Value) -> Option<Value> {
    let m = v.as_object()?;
    let pp = get(v, "protoPayload").and_then(Value::as_object)?;
    let add_data = !m.contains_key("data");
    let add_gcp = !m.contains_key("gcp");
    if !add_data && !add_gcp {
        return None;
    }
    let mut out = m.clone();
    if add_data {
        let mut payload = pp.clone();
        if let Some(r) = get(v, "resource").filter(|_| !payload.contains_key("resource")) {
            payload.insert("resource".into(), r.clone());
        }
        if let Some(n) = text(v, "logName").filter(|_| !payload.contains_key("logName")) {
            payload.insert("logName".into(), Value::String(log_id(&n).to_string()));
        }
        out.insert("data".into(), json!({ "protoPayload": payload }));
    }
    if add_gcp {
        out.insert("gcp".into(), json!({ "audit": elastic_names(pp) }));
    }
    Some(Value::Object(out))
}

/// The payload under the names Elastic's Google Cloud integration gives it (`gcp.audit.*`).
fn elastic_names(pp: &Map<String, Value>) -> Value {
    let pp = Value::Object(pp.clone());
    let mut a = Map::new();
    let put = |m: &mut Map<String, Value>, name: &str, path: &str| {
        if let Some(x) = get(&pp, path).filter(|x| !x.is_null()) {
            m.insert(name.to_string(), x.clone());
        }
    };
    put(&mut a, "method_name", "methodName");
    put(&mut a, "service_name", "serviceName");
    put(&mut a, "resource_name", "resourceName");
    put(&mut a, "num_response_items", "numResponseItems");
    if let Some(t) = payload_type(&pp) {
        a.insert("type".into(), Value::String(t));
    }
    let mut auth = Map::new();
    put(&mut auth, "principal_email", "authenticationInfo.principalEmail");
    put(&mut auth, "principal_subject", "authenticationInfo.principalSubject");
    put(&mut auth, "authority_selector", "authenticationInfo.authoritySelector");
    let mut req = Map::new();
    put(&mut req, "caller_ip", "requestMetadata.callerIp");
    put(&mut req, "caller_supplied_user_agent", "requestMetadata.callerSuppliedUserAgent");
    let mut status = Map::new();
    put(&mut status, "message", "status.message");
    if let Some(code) = int(&pp, "status.code") {
        status.insert("code".into(), Value::from(code));
    }
    let mut loc = Map::new();
    put(&mut loc, "current_locations", "resourceLocation.currentLocations");
    let authz: Vec<Value> = get(&pp, "authorizationInfo")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    let mut o = Map::new();
                    for (name, key) in [("granted", "granted"), ("permission", "permission"), ("resource", "resource")]
                    {
                        if let Some(x) = get(i, key) {
                            o.insert(name.into(), x.clone());
                        }
                    }
                    Value::Object(o)
                })
                .collect()
        })
        .unwrap_or_default();
    for (name, m) in
        [("authentication_info", auth), ("request_metadata", req), ("status", status), ("resource_location", loc)]
    {
        if !m.is_empty() {
            a.insert(name.into(), Value::Object(m));
        }
    }
    if !authz.is_empty() {
        a.insert("authorization_info".into(), Value::Array(authz));
    }
    Value::Object(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activities_from_the_method_verb() {
        assert_eq!(activity("storage.buckets.delete"), api::DELETE);
        assert_eq!(activity("storage.buckets.insert"), api::CREATE);
        assert_eq!(activity("google.iam.admin.v1.CreateServiceAccountKey"), api::CREATE);
        assert_eq!(activity("v1.compute.instances.aggregatedList"), api::READ);
        assert_eq!(activity("SetIamPolicy"), api::UPDATE);
        assert_eq!(activity("google.iam.v1.IAMPolicy.GetIamPolicy"), api::READ);
        assert_eq!(activity("v1.compute.firewalls.patch"), api::UPDATE);
        assert_eq!(activity("io.k8s.core.v1.pods.exec.create"), api::CREATE);
        assert_eq!(activity("io.k8s.core.v1.secrets.deletecollection"), api::DELETE);
        assert_eq!(activity("iam.serviceAccounts.disable"), api::UPDATE);
        assert_eq!(activity("google.admin.AdminService.inboundSsoProfileDeleted"), api::DELETE);
        assert_eq!(activity("DestroyCryptoKeyVersion"), api::DELETE);
        assert_eq!(activity("jobservice.jobcompleted"), api::OTHER);
        assert_eq!(activity("SignJwt"), api::OTHER);
        assert_eq!(activity("cloudsql.instances.connect"), api::OTHER);
    }

    #[test]
    fn words_log_ids_and_containers() {
        assert_eq!(words("CreateServiceAccountKey"), ["create", "service", "account", "key"]);
        assert_eq!(words("aggregatedList"), ["aggregated", "list"]);
        assert_eq!(words("set_iam-policy"), ["set", "iam", "policy"]);
        assert_eq!(
            log_id("projects/p/logs/cloudaudit.googleapis.com%2Fdata_access"),
            "cloudaudit.googleapis.com%2Fdata_access"
        );
        assert_eq!(container("projects/p1/logs/x").as_deref(), Some("p1"));
        assert_eq!(container("organizations/42/logs/x").as_deref(), Some("42"));
        assert_eq!(container("logs/x"), None);
    }

    #[test]
    fn severities() {
        assert_eq!(severity(Some(&json!("NOTICE"))), Severity::Informational);
        assert_eq!(severity(Some(&json!("WARNING"))), Severity::Medium);
        assert_eq!(severity(Some(&json!("ERROR"))), Severity::High);
        assert_eq!(severity(Some(&json!(600))), Severity::Critical);
        assert_eq!(severity(Some(&json!("EMERGENCY"))), Severity::Fatal);
        assert_eq!(severity(Some(&json!("LOUD"))), Severity::Unknown);
        assert_eq!(severity(None), Severity::Unknown);
    }

    #[test]
    fn recognition_needs_an_audit_payload_in_a_log_entry() {
        let yes = json!({"logName": "projects/p/logs/x", "protoPayload": {"methodName": "m"}});
        let typed = json!({"protoPayload": {"@type": AUDIT_LOG_TYPE, "serviceName": "s"}});
        let request_log = json!({"logName": "l", "protoPayload": {"@type": "type.googleapis.com/google.appengine.logging.v1.RequestLog", "methodName": "GET"}});
        let bare = json!({"protoPayload": {"methodName": "m"}});
        let no_call = json!({"logName": "l", "protoPayload": {"status": {}}});
        assert!(looks_like(&yes) && looks_like(&typed));
        assert!(!looks_like(&request_log) && !looks_like(&bare) && !looks_like(&no_call));
    }
}

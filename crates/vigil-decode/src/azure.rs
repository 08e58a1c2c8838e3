//! Microsoft Azure and Entra ID logs to OCSF: the records Azure Monitor's diagnostic settings
//! export (to an Event Hub, a storage account or a file: `time`, `category`, `operationName`,
//! `resourceId`, `properties` …, some categories with lower-cased top-level keys) and the same
//! logs as Log Analytics / Sentinel rows (`TimeGenerated`, `Type`, `OperationName`, one column
//! per property).
//!
//! What each category becomes, and its Sigma service (SigmaHQ's `product: azure` rules):
//! - Entra sign-ins (`SignInLogs`, `NonInteractiveUserSignInLogs`, `ServicePrincipalSignInLogs`,
//!   `ManagedIdentitySignInLogs`; Log Analytics `SigninLogs`, `AAD…SignInLogs`): Authentication
//!   (3002) logon, failed when `resultType` is an error code; service `signinlogs`.
//! - Entra directory audits (`AuditLogs`, and the audit categories written on their own, such as
//!   `ApplicationManagement`, recognised by `properties.activityDisplayName`/`loggedByService`):
//!   user and membership changes as Account Change (3001) and Group Management (3006), the rest
//!   as API Activity (6003); service `auditlogs`.
//! - Entra ID Protection risk detections (`UserRiskEvents`, `ServicePrincipalRiskEvents`,
//!   `RiskyUsers`, `RiskyServicePrincipals`): Detection Finding (2004), the risk event type as its
//!   message and the risk level as its severity; service `riskdetection`. A detection still at
//!   risk states its [`Finding`], raised as a vendor alert for triage.
//! - The Azure activity log (`Administrative`, `Policy`, `Security`, `ServiceHealth`,
//!   `ResourceHealth`, `Alert`, `Autoscale`, `Recommendation`; Log Analytics `AzureActivity`):
//!   API Activity (6003) on the resource, create/read/update/delete from the operation's last
//!   segment; service `activitylogs`.
//! - Other resource logs (a storage account's `StorageRead` …): API Activity with no service, so
//!   only rules that name no service see them.
//!
//! Sigma rules for Azure are written against both shapes: the export's own names
//! (`operationName`, `properties.message`) and the Log Analytics columns (`ResultType`,
//! `Status`, `ActivityDisplayName`). [`Azure::reshape`] gives every record both: the export's
//! names from Log Analytics columns and lower-cased keys, each property also at the top level
//! under its own name and with its first letter upper-cased, never over a field the record has.
//! The record as written is what is kept and what the event id hashes.
//!
//! Microsoft Graph's own objects, as a poller reads them from the API (`GET
//! /v1.0/auditLogs/signIns`, `/v1.0/auditLogs/directoryAudits`), are the objects the export nests
//! under `properties`: a `signIn` (`createdDateTime`, `userPrincipalName`, `status.errorCode` …)
//! or a `directoryAudit` (`activityDateTime`, `activityDisplayName`, `loggedByService` …) is
//! given the export's envelope around itself (`time`, `operationName`, `category`,
//! `resultType`, `callerIpAddress`, `correlationId`, `properties`), so it decodes, and Sigma
//! sees it, exactly as the export record holding it would.
//!
//! A record without an operation name or a readable time is quarantined naming the field.

use serde_json::{Map, Value};
use vigil_model::{Geo, OcsfClass, Severity, Status, account_change, api, authentication, group};

use crate::generic::kind;
use crate::json::{boolean, float, get, text};
use crate::{DecodeError, Decoder, Draft, Finding, LogSource, Service};

pub const FAMILY: &str = "azure";

/// Keys tried, in order, for a record's time (after [`Azure::reshape`]).
pub const TIME_KEYS: &[&str] =
    &["time", "properties.activityDateTime", "properties.createdDateTime", "properties.eventTimestamp", "p_event_time"];

/// The Sigma services Azure records are routed to.
pub const SERVICES: &[&str] = &["signinlogs", "auditlogs", "riskdetection", "activitylogs"];

/// Top-level names of the diagnostic export, as some categories write them in lower case.
const EXPORT_KEYS: &[&str] = &[
    "time",
    "resourceId",
    "operationName",
    "operationVersion",
    "category",
    "resultType",
    "resultSignature",
    "resultDescription",
    "durationMs",
    "callerIpAddress",
    "correlationId",
    "identity",
    "level",
    "location",
    "properties",
    "tenantId",
];

/// Log Analytics columns and the export's names for them.
const COLUMNS: &[(&str, &str)] = &[
    ("TimeGenerated", "time"),
    // `AzureActivity` keeps the operation (`MICROSOFT.COMPUTE/…/WRITE`) in `OperationNameValue`
    // and its display name in `OperationName`: the operation wins.
    ("OperationNameValue", "operationName"),
    ("OperationName", "operationName"),
    ("CategoryValue", "category"),
    ("Category", "category"),
    ("ResultType", "resultType"),
    ("ResultSignature", "resultSignature"),
    ("ResultDescription", "resultDescription"),
    ("CallerIpAddress", "callerIpAddress"),
    ("CorrelationId", "correlationId"),
    ("TenantId", "tenantId"),
    ("AADTenantId", "tenantId"),
    ("ResourceId", "resourceId"),
    ("_ResourceId", "resourceId"),
    ("Level", "level"),
    ("Type", "category"),
];

/// Azure Monitor and Entra ID logs.
pub struct Azure;

impl Decoder for Azure {
    fn name(&self) -> &'static str {
        "azure"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["entra", "azure-ad", "azure-activity", "azure-monitor"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Azure Monitor and Entra ID logs: sign-ins, directory audits, risk detections, activity log (diagnostic export or Log Analytics rows)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        matches!(log_type, "Azure.Audit" | "Azure.MonitorActivity" | "Azure.SignIn")
    }
    fn reshape(&self, record: &Value) -> Option<Value> {
        record.as_object().map(|m| Value::Object(reshape(m)))
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn finding(&self, record: &Value) -> Option<Finding> {
        finding(record)
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[
            OcsfClass::Authentication,
            OcsfClass::ApiActivity,
            OcsfClass::AccountChange,
            OcsfClass::GroupManagement,
            OcsfClass::DetectionFinding,
        ]
    }
    fn logsource(&self) -> LogSource {
        LogSource { product: Some("azure"), service: Service::OneOf(SERVICES), category: None }
    }
    fn log_name<'v>(&self, record: &'v Value) -> Option<&'v str> {
        kind_of(record).service()
    }
    fn sample(&self) -> &'static str {
        r#"{"time":"2025-01-15T09:30:45.123Z","resourceId":"/tenants/6f1c/providers/Microsoft.aadiam","operationName":"Sign-in activity","category":"SignInLogs","tenantId":"6f1c","resultType":"50126","resultDescription":"Invalid username or password","callerIpAddress":"203.0.113.9","correlationId":"c0ffee","properties":{"id":"si-1","userPrincipalName":"alice@example.com","userId":"u-1","ipAddress":"203.0.113.9","appDisplayName":"Azure Portal","userAgent":"Mozilla/5.0","location":{"city":"Oslo","countryOrRegion":"NO"},"status":{"errorCode":50126}}}"#
    }
}

/// The export's shape (an operation name beside one of the fields Azure Monitor writes around
/// it) or a Log Analytics row of an Azure table.
pub fn looks_like(v: &Value) -> bool {
    let Some(m) = v.as_object() else { return false };
    let has = |k: &str| m.keys().any(|x| x.eq_ignore_ascii_case(k));
    let export = has("operationName")
        && (has("resourceId") || has("tenantId") || has("callerIpAddress"))
        && (has("category") || has("properties") || has("correlationId"));
    let row = m.contains_key("TimeGenerated")
        && m.contains_key("OperationName")
        && m.get("Type").and_then(Value::as_str).is_some_and(|t| table_kind(t).is_some());
    export || row || graph_object(m).is_some()
}

/// What a Microsoft Graph object from the Entra ID API is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GraphObject {
    SignIn,
    DirectoryAudit,
}

/// A Graph `signIn` or `directoryAudit` as the API returns it (not inside an export envelope,
/// not a Log Analytics row), by the fields only it has.
fn graph_object(m: &Map<String, Value>) -> Option<GraphObject> {
    if m.contains_key("properties") || m.contains_key("operationName") || m.contains_key("TimeGenerated") {
        return None;
    }
    let has = |k: &str| m.get(k).is_some_and(|v| !v.is_null());
    if has("activityDisplayName") && (has("loggedByService") || has("initiatedBy")) {
        return Some(GraphObject::DirectoryAudit);
    }
    let status = m.get("status").is_some_and(|s| s.get("errorCode").is_some());
    if has("createdDateTime")
        && status
        && (has("userPrincipalName") || has("servicePrincipalId") || has("appId"))
        && (has("conditionalAccessStatus") || has("clientAppUsed") || has("ipAddress") || has("appDisplayName"))
    {
        return Some(GraphObject::SignIn);
    }
    None
}

/// The export's envelope around a Graph object: the record itself as `properties`, and the
/// envelope's fields read from it. The object's own top-level fields stay beside them where
/// the envelope does not name the same field.
fn envelope(m: &Map<String, Value>, what: GraphObject) -> Map<String, Value> {
    let field = |k: &str| m.get(k).filter(|v| !v.is_null()).cloned();
    let mut out = Map::new();
    match what {
        GraphObject::SignIn => {
            if let Some(t) = field("createdDateTime") {
                out.insert("time".into(), t);
            }
            out.insert("operationName".into(), Value::from("Sign-in activity"));
            // Graph's beta API names the kind of sign-in; v1.0 lists interactive user sign-ins.
            let types = m.get("signInEventTypes").and_then(Value::as_array);
            let is = |t: &str| types.is_some_and(|ts| ts.iter().any(|x| x.as_str() == Some(t)));
            let category = if is("nonInteractiveUser") {
                "NonInteractiveUserSignInLogs"
            } else if is("servicePrincipal") {
                "ServicePrincipalSignInLogs"
            } else if is("managedIdentity") {
                "ManagedIdentitySignInLogs"
            } else {
                "SignInLogs"
            };
            out.insert("category".into(), Value::from(category));
            let code = m.get("status").and_then(|s| s.get("errorCode")).and_then(crate::json::as_text);
            if let Some(c) = &code {
                out.insert("resultType".into(), Value::from(c.clone()));
            }
            if code.as_deref().is_some_and(|c| c != "0")
                && let Some(r) = m.get("status").and_then(|s| s.get("failureReason")).and_then(crate::json::as_text)
            {
                out.insert("resultDescription".into(), Value::from(r));
            }
            if let Some(ip) = field("ipAddress") {
                out.insert("callerIpAddress".into(), ip);
            }
        }
        GraphObject::DirectoryAudit => {
            if let Some(t) = field("activityDateTime") {
                out.insert("time".into(), t);
            }
            if let Some(a) = field("activityDisplayName") {
                out.insert("operationName".into(), a);
            }
            out.insert("category".into(), Value::from("AuditLogs"));
            if let Some(r) = field("result") {
                out.insert("resultType".into(), r);
            }
            let ip = m.get("initiatedBy").and_then(|i| i.get("user")).and_then(|u| u.get("ipAddress"));
            if let Some(ip) = ip.filter(|v| !v.is_null()) {
                out.insert("callerIpAddress".into(), ip.clone());
            }
        }
    }
    if let Some(c) = field("correlationId") {
        out.insert("correlationId".into(), c);
    }
    out.insert("properties".into(), Value::Object(m.clone()));
    for (k, v) in m {
        out.entry(k.clone()).or_insert_with(|| v.clone());
    }
    out
}

/// What a record is, by its category (or Log Analytics table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    SignIn,
    Audit,
    Risk,
    Activity,
    Resource,
}

impl Kind {
    fn service(self) -> Option<&'static str> {
        match self {
            Kind::SignIn => Some("signinlogs"),
            Kind::Audit => Some("auditlogs"),
            Kind::Risk => Some("riskdetection"),
            Kind::Activity => Some("activitylogs"),
            Kind::Resource => None,
        }
    }
}

fn table_kind(t: &str) -> Option<Kind> {
    let t = t.to_ascii_lowercase();
    Some(match t.as_str() {
        "signinlogs"
        | "aadnoninteractiveusersigninlogs"
        | "aadserviceprincipalsigninlogs"
        | "aadmanagedidentitysigninlogs"
        | "noninteractiveusersigninlogs"
        | "serviceprincipalsigninlogs"
        | "managedidentitysigninlogs"
        | "adfssigninlogs" => Kind::SignIn,
        "auditlogs" => Kind::Audit,
        "userriskevents"
        | "aaduserriskevents"
        | "serviceprincipalriskevents"
        | "aadserviceprincipalriskevents"
        | "riskyusers"
        | "aadriskyusers"
        | "riskyserviceprincipals"
        | "aadriskyserviceprincipals" => Kind::Risk,
        "azureactivity" | "administrative" | "policy" | "security" | "servicehealth" | "resourcehealth" | "alert"
        | "autoscale" | "recommendation" => Kind::Activity,
        _ => return None,
    })
}

/// The kind of a reshaped record. Entra audit records are known by the fields only they have,
/// whatever category they were filed under.
fn kind_of(v: &Value) -> Kind {
    if get(v, "properties.activityDisplayName").is_some() || get(v, "properties.loggedByService").is_some() {
        return Kind::Audit;
    }
    match text(v, "category").as_deref().and_then(table_kind) {
        Some(k) => k,
        None if get(v, "properties.riskEventType").is_some() => Kind::Risk,
        None => Kind::Resource,
    }
}

/// The record with the export's names and the Log Analytics names both present (see the module
/// documentation); fields the record has are never replaced.
fn reshape(m: &Map<String, Value>) -> Map<String, Value> {
    if let Some(what) = graph_object(m) {
        return reshape(&envelope(m, what));
    }
    let mut out = m.clone();
    let row = m.contains_key("TimeGenerated");
    // A Log Analytics row's columns first, so a column that names the operation
    // (`OperationNameValue`) is read before one that only differs in case from an export key.
    if row {
        for (col, name) in COLUMNS {
            if !out.contains_key(*name)
                && let Some(v) = m.get(*col)
            {
                out.insert((*name).to_string(), v.clone());
            }
        }
    }
    // Lower-cased export keys (`operationname`) under their usual names.
    for want in EXPORT_KEYS {
        if !out.contains_key(*want)
            && let Some((_, v)) = m.iter().find(|(k, _)| k.eq_ignore_ascii_case(want))
        {
            out.insert((*want).to_string(), v.clone());
        }
    }
    // A Log Analytics row: the export's names from its columns, every other column as a
    // property under its export name (`UserPrincipalName` → `properties.userPrincipalName`).
    if row {
        let mut props = match out.get("properties") {
            Some(Value::Object(p)) => p.clone(),
            _ => Map::new(),
        };
        for (k, v) in m {
            if COLUMNS.iter().any(|(c, _)| c == k) || k.starts_with('_') {
                continue;
            }
            let name = match k.as_str() {
                "IPAddress" => "ipAddress".to_string(),
                "LocationDetails" => "location".to_string(),
                _ => lower_first(k),
            };
            props.entry(name).or_insert_with(|| v.clone());
        }
        out.insert("properties".into(), Value::Object(props));
    }
    // The Log Analytics names of the export's fields.
    for (col, name) in COLUMNS {
        if *col == "Type" || col.starts_with('_') || *col == "AADTenantId" || col.ends_with("Value") {
            continue;
        }
        if !out.contains_key(*col)
            && let Some(v) = out.get(*name).cloned()
        {
            out.insert((*col).to_string(), v);
        }
    }
    // Each property at the top level, as itself and with its first letter upper-cased.
    if let Some(Value::Object(props)) = out.get("properties").cloned() {
        for (k, v) in props {
            let upper = upper_first(&k);
            if !out.contains_key(&upper) {
                out.insert(upper, v.clone());
            }
            out.entry(k).or_insert(v);
        }
    }
    out
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What a record cannot do without: being an object, its operation and its time.
fn head(v: &Value) -> Result<(String, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not an Azure log record", kind(v))));
    }
    let op = match get(v, "operationName") {
        None | Some(Value::Null) => return Err(DecodeError::missing("operationName")),
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        // The activity log's older shape: `{"value": "…", "localizedValue": "…"}`.
        Some(Value::Object(o)) => match o.get("value").and_then(Value::as_str) {
            Some(s) if !s.trim().is_empty() => s.to_string(),
            _ => return Err(DecodeError::bad("operationName", &Value::Object(o.clone()).to_string())),
        },
        Some(other) => return Err(DecodeError::bad("operationName", &other.to_string())),
    };
    Ok((op, crate::time_of(v, TIME_KEYS)?))
}

/// A property, from `properties` or (a Log Analytics row's column) the top level.
fn prop(v: &Value, name: &str) -> Option<String> {
    text(v, &format!("properties.{name}"))
}

/// An address without the `:port` some resource logs append (IPv6 addresses are left whole).
fn strip_port(ip: String) -> String {
    match ip.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => host.to_string(),
        _ => ip,
    }
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (op, time) = head(v)?;
    let kind = kind_of(v);
    match kind {
        Kind::SignIn => sign_in(v, d, op, time),
        Kind::Audit => audit(v, d, op, time),
        Kind::Risk => risk(v, d, op, time),
        Kind::Activity | Kind::Resource => activity(v, d, op, time, kind),
    }
    Ok(())
}

fn common(e: &mut vigil_model::Event, v: &Value, op: &str, log_name: &str) {
    e.metadata.original_uid = prop(v, "id").or_else(|| text(v, "correlationId"));
    e.metadata.event_code = Some(op.to_string());
    e.metadata.log_name = Some(text(v, "category").unwrap_or_else(|| log_name.to_string()));
    let c = e.cloud_mut();
    c.provider = Some("Azure".into());
    c.account_uid = subscription(v).or_else(|| text(v, "tenantId"));
    c.region = text(v, "location").filter(|l| l != "global");
}

/// The subscription a resource id names (`/subscriptions/{id}/…`).
fn subscription(v: &Value) -> Option<String> {
    let rid = text(v, "resourceId")?;
    let mut parts = rid.split('/').filter(|p| !p.is_empty());
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("subscriptions") {
            return parts.next().map(str::to_string);
        }
    }
    None
}

fn set_src(e: &mut vigil_model::Event, v: &Value, ip: Option<String>) {
    let ip = ip.or_else(|| text(v, "callerIpAddress")).map(strip_port);
    let geo = Geo {
        country: prop(v, "location.countryOrRegion"),
        region: prop(v, "location.state"),
        city: prop(v, "location.city"),
        lat: float(v, "properties.location.geoCoordinates.latitude"),
        lon: float(v, "properties.location.geoCoordinates.longitude"),
    };
    if ip.is_none() && geo == Geo::default() {
        return;
    }
    let s = e.src_mut();
    s.ip = ip;
    if geo != Geo::default() {
        s.geo = Some(geo);
    }
}

fn sign_in(v: &Value, d: &mut Draft, op: String, time: i64) {
    let e = d.start(OcsfClass::Authentication, authentication::LOGON, time, "Entra ID Sign-in Logs", "Microsoft");
    common(e, v, &op, "SignInLogs");
    let sp = prop(v, "servicePrincipalName").or_else(|| prop(v, "servicePrincipalId"));
    let u = e.user_mut();
    match (prop(v, "userPrincipalName"), sp) {
        (Some(upn), _) => {
            u.name = Some(upn.clone());
            u.email = Some(upn).filter(|n| n.contains('@'));
            u.uid = prop(v, "userId");
            u.r#type = Some("User".into());
        }
        (None, Some(sp)) => {
            u.name = Some(sp);
            u.uid = prop(v, "servicePrincipalId");
            u.r#type = Some("ServicePrincipal".into());
        }
        (None, None) => {
            u.name = prop(v, "userDisplayName");
            u.uid = prop(v, "userId");
        }
    }
    e.actor.user = e.user.clone();
    if let Some(sid) = prop(v, "sessionId") {
        e.actor_session_mut().uid = Some(sid);
    }
    e.actor.app_name = prop(v, "appDisplayName").or_else(|| prop(v, "appId"));
    set_src(e, v, prop(v, "ipAddress"));
    if let Some(ua) = prop(v, "userAgent") {
        e.http_mut().user_agent = Some(ua);
    }
    if let Some(os) = prop(v, "deviceDetail.operatingSystem") {
        let dev = e.device_mut();
        dev.os = Some(os);
        dev.hostname = prop(v, "deviceDetail.displayName");
    }
    // `0` is success; anything else is the error code of a failure (50126: bad password …).
    let code = text(v, "resultType").or_else(|| prop(v, "status.errorCode"));
    e.status = code.as_deref().map(|c| if c == "0" { Status::Success } else { Status::Failure });
    e.status_detail = text(v, "resultDescription")
        .or_else(|| prop(v, "status.failureReason"))
        .or_else(|| code.filter(|c| c != "0").map(|c| format!("error {c}")));
    let au = e.auth_mut();
    au.protocol = prop(v, "authenticationProtocol").filter(|p| p != "none");
    au.is_mfa = prop(v, "authenticationRequirement").map(|r| r.eq_ignore_ascii_case("multiFactorAuthentication"));
    au.mfa_factor = get(v, "properties.authenticationDetails").and_then(Value::as_array).and_then(|steps| {
        steps.iter().filter_map(|s| text(s, "authenticationMethod")).find(|m| !m.eq_ignore_ascii_case("Password"))
    });
    au.is_remote = boolean(v, "properties.isInteractive").map(|_| true);
    let a = e.api_mut();
    a.service = Some("entra".into());
    a.operation = Some(op);
    a.request_data = prop(v, "resourceDisplayName");
    a.request_uid = text(v, "correlationId");
}

fn audit(v: &Value, d: &mut Draft, op: String, time: i64) {
    let activity = prop(v, "activityDisplayName").unwrap_or_else(|| op.clone());
    let (class, act) = classify_audit(&activity, prop(v, "operationType").as_deref());
    let e = d.start(class, act, time, "Entra ID Audit Logs", "Microsoft");
    common(e, v, &op, "AuditLogs");
    e.message = Some(activity.clone());
    let au = e.actor_user_mut();
    if let Some(upn) = prop(v, "initiatedBy.user.userPrincipalName") {
        au.name = Some(upn.clone());
        au.email = Some(upn).filter(|n| n.contains('@'));
        au.uid = prop(v, "initiatedBy.user.id");
        au.r#type = Some("User".into());
    } else if let Some(app) = prop(v, "initiatedBy.app.displayName").or_else(|| prop(v, "initiatedBy.app.appId")) {
        au.name = Some(app);
        au.uid = prop(v, "initiatedBy.app.servicePrincipalId");
        au.r#type = Some("ServicePrincipal".into());
    }
    set_src(e, v, prop(v, "initiatedBy.user.ipAddress"));
    let targets = get(v, "properties.targetResources").and_then(Value::as_array).cloned().unwrap_or_default();
    let is = |t: &Value, ty: &str| text(t, "type").is_some_and(|x| x.eq_ignore_ascii_case(ty));
    if let Some(t) = targets.iter().find(|t| is(t, "User")) {
        let tu = e.user_mut();
        tu.name = text(t, "userPrincipalName").or_else(|| text(t, "displayName"));
        tu.uid = text(t, "id");
        tu.r#type = Some("User".into());
    }
    if class == OcsfClass::GroupManagement {
        let g = e.group_mut();
        let grp = targets.iter().find(|t| is(t, "Group") || is(t, "Role"));
        g.name = grp.and_then(|t| text(t, "displayName"));
        g.uid = grp.and_then(|t| text(t, "id"));
    }
    let result = prop(v, "result").or_else(|| text(v, "result")).or_else(|| text(v, "resultType"));
    e.status = match result.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("success") => Some(Status::Success),
        Some("failure" | "timeout") => Some(Status::Failure),
        _ => None,
    };
    e.status_detail = prop(v, "resultReason").filter(|r| !r.is_empty()).or(result);
    let a = e.api_mut();
    a.service = prop(v, "loggedByService").or_else(|| Some("entra".into()));
    a.operation = Some(activity);
    a.request_uid = text(v, "correlationId");
    a.request_data = targets.first().and_then(|t| match (text(t, "type"), text(t, "displayName")) {
        (Some(ty), Some(n)) => Some(format!("{ty}: {n}")),
        (None, Some(n)) => Some(n),
        (_, None) => text(t, "id"),
    });
}

fn classify_audit(activity: &str, op_type: Option<&str>) -> (OcsfClass, u32) {
    use OcsfClass::*;
    let a = activity.to_ascii_lowercase();
    match a.as_str() {
        "add user" => (AccountChange, account_change::CREATE),
        "delete user" | "hard delete user" => (AccountChange, account_change::DELETE),
        "disable account" => (AccountChange, account_change::DISABLE),
        "enable account" | "restore user" => (AccountChange, account_change::ENABLE),
        "change user password" | "change password (self-service)" => (AccountChange, account_change::PASSWORD_CHANGE),
        "reset user password" | "reset password (by admin)" | "reset password (self-service)" => {
            (AccountChange, account_change::PASSWORD_RESET)
        }
        "user registered security info" | "user registered all required security info" => {
            (AccountChange, account_change::MFA_ENABLE)
        }
        "user deleted security info" | "admin deleted security info" => (AccountChange, account_change::MFA_DISABLE),
        "add member to group" | "add member to role" | "add eligible member to role" => {
            (GroupManagement, group::ADD_USER)
        }
        "remove member from group" | "remove member from role" | "remove eligible member from role" => {
            (GroupManagement, group::REMOVE_USER)
        }
        "add group" => (GroupManagement, group::CREATE),
        "delete group" => (GroupManagement, group::DELETE),
        _ => (
            ApiActivity,
            match op_type.map(str::to_ascii_lowercase).as_deref() {
                Some("add" | "assign" | "create") => api::CREATE,
                Some("update") => api::UPDATE,
                Some("delete" | "remove" | "unassign") => api::DELETE,
                _ => api::OTHER,
            },
        ),
    }
}

/// An Entra ID Protection risk detection (a record with its `riskEventType`) as a finding:
/// the detection type as its title, its risk level, open while its risk state is `atRisk` or
/// `confirmedCompromised` (one remediated, dismissed or confirmed safe raises nothing). A risky
/// user's or service principal's standing state is not a detection and states none.
pub fn finding(v: &Value) -> Option<Finding> {
    if kind_of(v) != Kind::Risk {
        return None;
    }
    head(v).ok()?;
    let event = prop(v, "riskEventType")?;
    let level = vigil_model::Level::of_vendor(prop(v, "riskLevel").as_deref());
    let open = prop(v, "riskState").is_none_or(|s| matches!(s.as_str(), "atRisk" | "confirmedCompromised"));
    // The detection types whose technique is plain from their definition.
    let tags: Vec<String> = match event.as_str() {
        "passwordSpray" => vec!["attack.credential-access".into(), "attack.t1110.003".into()],
        "leakedCredentials"
        | "unfamiliarFeatures"
        | "anonymizedIPAddress"
        | "impossibleTravel"
        | "maliciousIPAddress"
        | "unlikelyTravel"
        | "newCountry" => {
            vec!["attack.initial-access".into(), "attack.t1078".into()]
        }
        "tokenIssuerAnomaly" | "anomalousToken" => vec!["attack.credential-access".into(), "attack.t1528".into()],
        _ => Vec::new(),
    };
    let who = prop(v, "userPrincipalName").or_else(|| prop(v, "servicePrincipalDisplayName"));
    Some(Finding {
        product: "Entra ID Protection".into(),
        rule_id: format!("azure:{event}"),
        title: match &who {
            Some(w) => format!("Entra ID Protection risk detection: {event} for {w}"),
            None => format!("Entra ID Protection risk detection: {event}"),
        },
        description: prop(v, "riskDetail").filter(|d| d != "none"),
        level,
        uid: prop(v, "id").or_else(|| prop(v, "riskEventId")).or_else(|| prop(v, "requestId")),
        open,
        tags,
        confidence: None,
        link: None,
    })
}

fn risk(v: &Value, d: &mut Draft, op: String, time: i64) {
    let e = d.start(OcsfClass::DetectionFinding, 1, time, "Entra ID Protection", "Microsoft");
    common(e, v, &op, "UserRiskEvents");
    let event = prop(v, "riskEventType");
    e.message = match (&event, prop(v, "riskLevel")) {
        (Some(t), Some(l)) => Some(format!("{t} (risk {l})")),
        (Some(t), None) => Some(t.clone()),
        (None, _) => Some(op.clone()),
    };
    e.severity = match prop(v, "riskLevel").or_else(|| prop(v, "riskLevelAggregated")).as_deref() {
        Some("high") => Severity::High,
        Some("medium") => Severity::Medium,
        Some("low") => Severity::Low,
        _ => Severity::Unknown,
    };
    let u = e.user_mut();
    u.name = prop(v, "userPrincipalName").or_else(|| prop(v, "servicePrincipalDisplayName"));
    u.uid = prop(v, "userId").or_else(|| prop(v, "servicePrincipalId"));
    e.status_detail = prop(v, "riskState").map(|s| match prop(v, "riskDetail") {
        Some(dt) if dt != "none" => format!("{s}: {dt}"),
        _ => s,
    });
    set_src(e, v, prop(v, "ipAddress"));
    let a = e.api_mut();
    a.service = Some("entra-id-protection".into());
    a.operation = event.or(Some(op));
}

fn activity(v: &Value, d: &mut Draft, op: String, time: i64, kind: Kind) {
    let last = op.rsplit('/').next().unwrap_or_default().to_ascii_lowercase();
    let act = match last.as_str() {
        "write" => api::UPDATE,
        "read" => api::READ,
        "delete" => api::DELETE,
        _ if last.starts_with("get") || last.starts_with("list") => api::READ,
        _ if last.starts_with("delete") => api::DELETE,
        _ if last.starts_with("put") || last.starts_with("create") => api::CREATE,
        _ => api::OTHER,
    };
    let product = if kind == Kind::Activity { "Azure Activity Log" } else { "Azure Resource Logs" };
    let e = d.start(OcsfClass::ApiActivity, act, time, product, "Microsoft");
    common(e, v, &op, "Administrative");
    e.message = prop(v, "message").or_else(|| text(v, "resultDescription"));
    e.severity = match text(v, "level").map(|l| l.to_ascii_lowercase()).as_deref() {
        Some("critical") => Severity::Critical,
        Some("error") => Severity::High,
        Some("warning") => Severity::Medium,
        Some("informational" | "4") => Severity::Informational,
        _ => Severity::Unknown,
    };
    let caller = text(v, "caller")
        .or_else(|| text(v, "Caller"))
        .or_else(|| get(v, "identity").and_then(|i| i.get("claims")).and_then(upn_claim));
    if let Some(c) = caller {
        let u = e.actor_user_mut();
        u.email = Some(c.clone()).filter(|c| c.contains('@'));
        u.name = Some(c);
    }
    set_src(e, v, None);
    if let Some(ua) = prop(v, "userAgentHeader") {
        e.http_mut().user_agent = Some(ua);
    }
    let result = text(v, "resultType").or_else(|| prop(v, "metricResponseType")).or_else(|| text(v, "statusCode"));
    e.status = match result.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("success" | "succeeded" | "200" | "201" | "202" | "204") => Some(Status::Success),
        Some("failure" | "failed" | "clienterror" | "servererror" | "authorizationerror") => Some(Status::Failure),
        _ => None,
    };
    e.status_detail = result;
    let a = e.api_mut();
    a.service = provider(v).or_else(|| prop(v, "serviceType")).or_else(|| Some("azure".into()));
    a.operation = Some(op);
    a.request_uid = text(v, "correlationId");
    a.request_data = prop(v, "objectKey").or_else(|| text(v, "resourceId"));
}

/// The user principal name among an identity's claims (the claim's URI ends in `/upn`).
fn upn_claim(claims: &Value) -> Option<String> {
    let m = claims.as_object()?;
    m.iter().find(|(k, _)| k.ends_with("/upn") || k.as_str() == "upn").and_then(|(_, v)| v.as_str().map(str::to_string))
}

/// The resource provider a resource id names (`…/providers/Microsoft.Storage/…`).
fn provider(v: &Value) -> Option<String> {
    let rid = text(v, "resourceId")?;
    let mut parts = rid.split('/').filter(|p| !p.is_empty());
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("providers") {
            return parts.next().map(str::to_string);
        }
    }
    None
}

#[cfg(test)]
mod finding_tests {
    use super::*;
    use serde_json::json;

    fn detection(state: &str) -> Value {
        json!({"time": "2024-05-29T16:20:01Z", "operationName": "User Risk Detection", "category": "UserRiskEvents",
            "properties": {"id": "6e3b9d8a", "riskEventType": "passwordSpray", "riskLevel": "high", "riskState": state,
                "riskDetail": "none", "userPrincipalName": "ann@acme.example", "ipAddress": "203.0.113.9"}})
    }

    #[test]
    fn risk_detections_are_findings_while_at_risk() {
        let f = finding(&detection("atRisk")).unwrap();
        assert_eq!(f.rule_id, "azure:passwordSpray");
        assert_eq!(f.title, "Entra ID Protection risk detection: passwordSpray for ann@acme.example");
        assert_eq!(f.level, vigil_model::Level::High);
        assert_eq!(f.uid.as_deref(), Some("6e3b9d8a"));
        assert_eq!(f.tags, vec!["attack.credential-access", "attack.t1110.003"]);
        assert!(f.open && f.description.is_none());
        assert!(!finding(&detection("remediated")).unwrap().open);
        assert!(!finding(&detection("dismissed")).unwrap().open);
        // The same detection as a Log Analytics row reads the same.
        let row = json!({"TimeGenerated": "2024-05-29T16:20:01Z", "OperationName": "User Risk Detection", "Type": "AADUserRiskEvents",
            "Id": "6e3b9d8a", "RiskEventType": "passwordSpray", "RiskLevel": "high", "RiskState": "atRisk"});
        let reshaped = Azure.reshape(&row).unwrap();
        assert_eq!(finding(&reshaped).map(|f| f.rule_id), Some("azure:passwordSpray".into()));
    }

    #[test]
    fn sign_ins_and_risky_users_are_not_findings() {
        let mut risky_user = detection("atRisk");
        risky_user["category"] = json!("RiskyUsers");
        risky_user["properties"].as_object_mut().unwrap().remove("riskEventType");
        assert!(finding(&risky_user).is_none());
        let sign_in = json!({"time": "2024-05-29T16:20:01Z", "operationName": "Sign-in activity", "category": "SignInLogs",
            "properties": {"riskEventTypes": ["passwordSpray"], "riskLevelDuringSignIn": "high"}});
        assert!(finding(&sign_in).is_none());
        assert!(finding(&json!({"category": "UserRiskEvents"})).is_none(), "no operation, no time: nothing");
    }
}

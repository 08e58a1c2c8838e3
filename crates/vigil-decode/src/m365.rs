//! The Microsoft 365 unified audit log to OCSF: records as the Office 365 Management Activity
//! API returns them and as a Purview audit search exports them (each row's `AuditData`): the
//! common schema (`CreationTime`, `Id`, `Operation`, `OrganizationId`, `RecordType`, `UserType`,
//! `UserKey`, `Workload`, `UserId`, `ClientIP`, `ResultStatus`) and each workload's own fields
//! (Entra ID's `ExtendedProperties`, `ModifiedProperties`, `Target`; Exchange's `Parameters`;
//! SharePoint and OneDrive's `SourceFileName`, `SiteUrl`; the Security & Compliance Center's
//! alert fields `Name`, `Severity`, `Status`, `Category`, `Data` …). Some shippers lower-case
//! every key (`creationtime`, `operation`); such records are read the same way.
//!
//! `CreationTime` is written without a zone (`2024-01-01T10:00:00`); it is UTC, which is how a
//! zoneless time is read. A record without `Workload` is given the one its `RecordType` names.
//!
//! What each record becomes:
//! - Sign-ins (`UserLoggedIn`, `UserLoginFailed`; `UserLoggedOut`): Authentication (3002). A
//!   `UserLoginFailed` is a failure whatever its `ResultStatus` says (Entra writes `Success` there:
//!   the audit write succeeded), with `LogonError` as the detail.
//! - Entra directory changes of users (`Add user.`, `Delete user.`, `Reset user password.`,
//!   `Disable Strong Authentication.`, `Update user.` …): Account Change (3001); an `Update user.`
//!   that adds or clears `StrongAuthenticationMethod` is MFA enable/disable. Membership and group
//!   changes (`Add member to role.`, `Remove member from group.`, `Add group.` …): Group
//!   Management (3006).
//! - Security & Compliance Center alerts (`AlertTriggered`, `AlertEntityGenerated`,
//!   `AlertUpdated`; record type 40): Detection Finding (2004), the alert's name as its message
//!   and its `Severity` as its severity; each states its [`Finding`] (one per `AlertId`), raised
//!   as a vendor alert for triage until it is resolved or dismissed.
//! - Everything else (mailbox, file, sharing, Teams, admin cmdlets …): API Activity (6003), create,
//!   read, update or delete read from the operation (`New-`/`Add-` create, `Get-` read, `Set-`
//!   update, `Remove-` delete for cmdlets; `FileDownloaded`, `MailItemsAccessed` read,
//!   `FileDeleted`, `HardDelete` delete, `FileModified`, `UpdateInboxRules` update …), the object
//!   acted on (`Parameters` of a cmdlet, else `ObjectId`, else `SourceFileName`) as its request.
//!
//! The Sigma service (SigmaHQ's `product: m365`): an alert is `threat_management`, every other
//! record `audit`, the unified audit log itself. SigmaHQ's `threat_management` rules are written
//! against the alert's shape in the names of another log (`eventSource`, `eventName`, `status`,
//! `Payload`); [`M365::reshape`] gives every record those names beside its own: `eventSource` is
//! the workload, `eventName` the alert's name (for other records, the operation), `status`
//! `success` or `failure` from `ResultStatus`, and `Payload` an alert's `Data`. A record has one
//! service, so two of SigmaHQ's m365 services stay without records: `threat_detection` (its one
//! rule has the same alert shape as `threat_management`'s, and nothing in an alert tells the two
//! apart but the alert's name) and `exchange` (Exchange's records in the unified audit log are
//! `audit` records, which SigmaHQ's `audit` rules read for Exchange cmdlets such as
//! `New-InboxRule`; an Exchange record there would leave those rules without their records).
//!
//! Also for Sigma, [`M365::reshape`]: each `Name`/`Value` pair of `ExtendedProperties` and
//! `DeviceProperties` is added at the top level under its name (Entra's `RequestType`,
//! `UserAgent`); lower-cased keys are added under the schema's names; and `Parameters` and
//! `OperationProperties`, lists of `{"Name", "Value"}` objects that a Sigma value cannot match,
//! are read as lists of `Name=Value` strings (the one place a field the record has is given
//! another form; SigmaHQ's rules on them ask for that mapping). Nothing else the record has is
//! replaced, and the record as written is what is kept and what the event id hashes.
//!
//! A record without an `Operation` or a readable `CreationTime` is quarantined naming the field;
//! anything but a JSON object is not a Microsoft 365 audit record.

use serde_json::{Map, Value};
use vigil_model::{OcsfClass, Severity, Status, account_change, api, authentication, group};

use crate::generic::kind;
use crate::json::{get, text};
use crate::{DecodeError, Decoder, Draft, Finding, LogSource, Service};

pub const FAMILY: &str = "m365";

/// Keys tried for a record's time.
pub const TIME_KEYS: &[&str] = &["CreationTime"];

/// The Sigma services Microsoft 365 records are routed to.
pub const SERVICES: &[&str] = &["audit", "threat_management"];

/// The common schema's names and the workload fields read here, as Microsoft writes them; a
/// record with one of them lower-cased gets it under this name too.
const SCHEMA_KEYS: &[&str] = &[
    "CreationTime",
    "Id",
    "Operation",
    "OrganizationId",
    "RecordType",
    "ResultStatus",
    "UserKey",
    "UserType",
    "Version",
    "Workload",
    "UserId",
    "ClientIP",
    "ClientIPAddress",
    "ObjectId",
    "Parameters",
    "OperationProperties",
    "ExtendedProperties",
    "ModifiedProperties",
    "ExternalAccess",
    "OrganizationName",
    "OriginatingServer",
    "SourceFileName",
    "SiteUrl",
    "UserAgent",
    "ApplicationId",
    "LogonError",
    "Name",
    "Severity",
    "Status",
    "Category",
    "Data",
    "AlertId",
];

/// The Microsoft 365 unified audit log.
pub struct M365;

impl Decoder for M365 {
    fn name(&self) -> &'static str {
        "m365"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["o365", "office365", "microsoft365", "m365-audit"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Microsoft 365 unified audit log (Management Activity API, Purview audit search): Entra ID, Exchange, SharePoint, OneDrive, Teams, Security & Compliance alerts"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        log_type.starts_with("Microsoft365.Audit.")
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
    fn classes(&self) -> &'static [OcsfClass] {
        &[
            OcsfClass::Authentication,
            OcsfClass::AccountChange,
            OcsfClass::GroupManagement,
            OcsfClass::ApiActivity,
            OcsfClass::DetectionFinding,
        ]
    }
    fn logsource(&self) -> LogSource {
        LogSource { product: Some("m365"), service: Service::OneOf(SERVICES), category: None }
    }
    fn log_name<'v>(&self, record: &'v Value) -> Option<&'v str> {
        Some(if is_alert(record) { "threat_management" } else { "audit" })
    }
    fn finding(&self, record: &Value) -> Option<Finding> {
        finding(record)
    }
    fn sample(&self) -> &'static str {
        r#"{"CreationTime":"2024-03-04T10:15:30","Id":"5f2b1c3e-8a1d-4c7e-9f00-1a2b3c4d5e6f","Operation":"New-InboxRule","OrganizationId":"0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0","RecordType":1,"ResultStatus":"True","UserKey":"10032001ABCDEF12","UserType":2,"Version":1,"Workload":"Exchange","ClientIP":"203.0.113.25:52311","ObjectId":"alice@example.com\\Forward all","UserId":"alice@example.com","ExternalAccess":false,"OrganizationName":"example.onmicrosoft.com","Parameters":[{"Name":"Name","Value":"Forward all"},{"Name":"ForwardTo","Value":"drop@example.net"},{"Name":"DeleteMessage","Value":"True"}]}"#
    }
}

/// Keys of the common schema that no other log writes together: the time and operation, the
/// workload or record type, and the organization or user key.
pub fn looks_like(v: &Value) -> bool {
    let Some(m) = v.as_object() else { return false };
    let has = |k: &str| m.keys().any(|x| x.eq_ignore_ascii_case(k));
    has("CreationTime")
        && has("Operation")
        && (has("Workload") || has("RecordType"))
        && (has("OrganizationId") || has("UserKey"))
}

/// The workload a record type belongs to, for records that do not state theirs.
fn workload_of_record_type(t: i64) -> Option<&'static str> {
    Some(match t {
        1..=3 | 50 | 71 => "Exchange",
        4 | 6 | 14 | 36 | 37 => "SharePoint",
        7 => "OneDrive",
        8 | 9 | 15 | 54 => "AzureActiveDirectory",
        18 | 40 => "SecurityComplianceCenter",
        25..=27 => "MicrosoftTeams",
        28 => "ThreatIntelligence",
        _ => return None,
    })
}

fn workload(v: &Value) -> Option<String> {
    text(v, "Workload").or_else(|| {
        get(v, "RecordType").and_then(crate::json::as_int).and_then(workload_of_record_type).map(str::to_string)
    })
}

/// A Security & Compliance Center alert as a finding: its name, severity and category, open
/// unless its status says it was resolved or dismissed; one alert per `AlertId`, whichever of its
/// records (triggered, entity generated, updated) arrives first.
pub fn finding(v: &Value) -> Option<Finding> {
    if !is_alert(v) {
        return None;
    }
    head(v).ok()?;
    let name = text(v, "Name").unwrap_or_else(|| "Microsoft 365 alert".into());
    let level = vigil_model::Level::of_vendor(text(v, "Severity").as_deref());
    let status = text(v, "Status").map(|s| s.to_ascii_lowercase());
    Some(Finding {
        product: "Microsoft 365 Security & Compliance".into(),
        rule_id: format!("m365:{name}"),
        title: name,
        description: text(v, "Category").map(|c| format!("category {c}")),
        level,
        uid: text(v, "AlertId"),
        open: !matches!(status.as_deref(), Some("resolved" | "dismissed")),
        tags: Vec::new(),
        confidence: None,
        link: text(v, "AlertLinks.0.AlertLinkHref"),
    })
}

/// A Security & Compliance Center alert (record type 40, `SecurityComplianceAlerts`).
fn is_alert(v: &Value) -> bool {
    if get(v, "RecordType").and_then(crate::json::as_int) == Some(40) {
        return true;
    }
    let scc = text(v, "Workload").is_some_and(|w| w.eq_ignore_ascii_case("SecurityComplianceCenter"));
    scc && text(v, "Operation").is_some_and(|o| {
        matches!(o.to_ascii_lowercase().as_str(), "alerttriggered" | "alertentitygenerated" | "alertupdated")
    })
}

/// `success` or `failure` from `ResultStatus`, as Sigma's `status` reads it.
fn result(v: &Value) -> Option<&'static str> {
    match text(v, "ResultStatus")?.to_ascii_lowercase().as_str() {
        "succeeded" | "success" | "true" | "partiallysucceeded" => Some("success"),
        "failed" | "failure" | "false" => Some("failure"),
        _ => None,
    }
}

/// `Name=Value` for each `{"Name", "Value"}` object of a list; other members as they are.
fn name_values(list: &[Value]) -> Vec<Value> {
    list.iter()
        .map(|p| match (p.get("Name").and_then(Value::as_str), p.get("Value")) {
            (Some(n), Some(Value::String(s))) => Value::String(format!("{n}={s}")),
            (Some(n), Some(Value::Null) | None) => Value::String(n.to_string()),
            (Some(n), Some(x)) => Value::String(format!("{n}={x}")),
            (None, _) => p.clone(),
        })
        .collect()
}

/// The record as Sigma and the decode read it (see the module documentation).
fn reshape(m: &Map<String, Value>) -> Map<String, Value> {
    let mut out = m.clone();
    for want in SCHEMA_KEYS {
        if !out.contains_key(*want)
            && let Some((_, v)) = m.iter().find(|(k, _)| k.eq_ignore_ascii_case(want))
        {
            out.insert((*want).to_string(), v.clone());
        }
    }
    for list in ["Parameters", "OperationProperties"] {
        if let Some(Value::Array(a)) = out.get(list) {
            let flat = name_values(a);
            out.insert(list.to_string(), Value::Array(flat));
        }
    }
    for list in ["ExtendedProperties", "DeviceProperties"] {
        let Some(Value::Array(a)) = out.get(list).cloned() else { continue };
        for p in a {
            if let (Some(n), Some(x)) = (p.get("Name").and_then(Value::as_str), p.get("Value"))
                && !n.is_empty()
                && !out.contains_key(n)
            {
                out.insert(n.to_string(), x.clone());
            }
        }
    }
    let v = Value::Object(out.clone());
    let alert = is_alert(&v);
    let mut add = |k: &str, x: Option<Value>| {
        if let Some(x) = x
            && !out.contains_key(k)
        {
            out.insert(k.to_string(), x);
        }
    };
    add("Workload", workload(&v).map(Value::String));
    add("eventSource", workload(&v).map(Value::String));
    let name = if alert { text(&v, "Name").or_else(|| text(&v, "Operation")) } else { text(&v, "Operation") };
    add("eventName", name.map(Value::String));
    add("status", result(&v).map(|s| Value::String(s.to_string())));
    if alert {
        add("Payload", get(&v, "Data").filter(|d| !d.is_null()).cloned());
    }
    out
}

/// What a record cannot do without: being an object, its operation and its time.
fn head(v: &Value) -> Result<(String, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not a Microsoft 365 audit record", kind(v))));
    }
    let op = match get(v, "Operation") {
        None | Some(Value::Null) => return Err(DecodeError::missing("Operation")),
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(other) => return Err(DecodeError::bad("Operation", &other.to_string())),
    };
    Ok((op, crate::time_of(v, TIME_KEYS)?))
}

/// An address without the `:port` or the `[ ]` around an IPv6 address that the log writes.
fn strip_port(ip: &str) -> String {
    let ip = ip.trim();
    if let Some(rest) = ip.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).to_string();
    }
    match ip.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => host.to_string(),
        _ => ip.to_string(),
    }
}

/// The OCSF user type of the schema's `UserType`.
fn user_type(v: &Value) -> Option<String> {
    let t = get(v, "UserType").and_then(crate::json::as_int)?;
    Some(
        match t {
            0 => "User",
            1 => "Reserved",
            2 | 3 => "Admin",
            4 => "System",
            5 => "Application",
            6 => "ServicePrincipal",
            7 | 8 => "Policy",
            _ => return None,
        }
        .to_string(),
    )
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (op, time) = head(v)?;
    if is_alert(v) {
        alert(v, d, &op, time);
        return Ok(());
    }
    let (class, act) = classify(&op, v);
    let e = d.start(class, act, time, "Microsoft 365 Unified Audit Log", "Microsoft");
    common(e, v, &op);
    let actor = e.actor_user_mut();
    actor.name = text(v, "UserId");
    actor.email = actor.name.clone().filter(|n| n.contains('@'));
    actor.uid = text(v, "UserKey").filter(|k| k != "Not Available");
    actor.r#type = user_type(v);
    e.status = match result(v) {
        Some("success") => Some(Status::Success),
        Some("failure") => Some(Status::Failure),
        _ => None,
    };
    e.status_detail = text(v, "ResultStatus");
    let object = text(v, "ObjectId");
    match class {
        OcsfClass::Authentication => {
            e.user = e.actor.user.clone();
            if op.eq_ignore_ascii_case("UserLoginFailed") {
                e.status = Some(Status::Failure);
                e.status_detail = text(v, "LogonError").or(e.status_detail.take());
            }
            e.actor.app_name = text(v, "ApplicationId");
        }
        OcsfClass::AccountChange => {
            let u = e.user_mut();
            u.email = object.clone().filter(|o| o.contains('@'));
            u.name = object.clone();
        }
        OcsfClass::GroupManagement => {
            let g = e.group_mut();
            g.name = modified(v, "Role.DisplayName")
                .or_else(|| modified(v, "Group.DisplayName"))
                .or_else(|| target_of_type(v, "Group").filter(|_| op.to_ascii_lowercase().contains("group")));
            g.uid = modified(v, "Role.ObjectID").or_else(|| modified(v, "Group.ObjectID"));
            if let Some(o) = object.clone() {
                let u = e.user_mut();
                u.email = Some(o.clone()).filter(|o| o.contains('@'));
                u.name = Some(o);
            }
        }
        _ => {}
    }
    if let Some(ua) = text(v, "UserAgent") {
        e.http_mut().user_agent = Some(ua);
    }
    let params = get(v, "Parameters")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(crate::json::as_text).collect::<Vec<_>>().join("; "));
    let a = e.api_mut();
    a.service = workload(v);
    a.operation = Some(op);
    a.request_data = params.filter(|p| !p.is_empty()).or(object).or_else(|| text(v, "SourceFileName"));
    a.request_uid = text(v, "AppAccessContext.CorrelationId");
    Ok(())
}

fn common(e: &mut vigil_model::Event, v: &Value, op: &str) {
    e.metadata.original_uid = text(v, "Id");
    e.metadata.event_code = Some(op.to_string());
    e.metadata.log_name = workload(v);
    let c = e.cloud_mut();
    c.provider = Some("Microsoft 365".into());
    c.account_uid = text(v, "OrganizationId");
    let ip = text(v, "ClientIP").or_else(|| text(v, "ClientIPAddress")).or_else(|| text(v, "ActorIpAddress"));
    if let Some(ip) = ip.map(|i| strip_port(&i)).filter(|i| !i.is_empty()) {
        e.src_mut().ip = Some(ip);
    }
}

/// The new value of a `ModifiedProperties` entry, by name (Entra's `Role.DisplayName` …).
fn modified(v: &Value, name: &str) -> Option<String> {
    let list = get(v, "ModifiedProperties")?.as_array()?;
    list.iter().find(|p| text(p, "Name").is_some_and(|n| n == name)).and_then(|p| text(p, "NewValue"))
}

/// The `ID` of the first `Target` whose id starts with `{type}_` (Entra writes `Group_<guid>`).
fn target_of_type(v: &Value, ty: &str) -> Option<String> {
    let list = get(v, "Target")?.as_array()?;
    let prefix = format!("{ty}_");
    list.iter().filter_map(|t| text(t, "ID")).find(|id| id.starts_with(&prefix))
}

/// Whether an `Update user.` adds (`Some(true)`) or clears (`Some(false)`) the user's strong
/// authentication methods.
fn mfa_change(v: &Value) -> Option<bool> {
    let list = get(v, "ModifiedProperties")?.as_array()?;
    let p = list.iter().find(|p| text(p, "Name").is_some_and(|n| n == "StrongAuthenticationMethod"))?;
    let empty = |k: &str| text(p, k).is_none_or(|s| s.trim() == "[]");
    match (empty("OldValue"), empty("NewValue")) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

fn classify(op: &str, v: &Value) -> (OcsfClass, u32) {
    use OcsfClass::*;
    let o = op.trim().trim_end_matches('.').to_ascii_lowercase();
    match o.as_str() {
        "userloggedin" | "userloginfailed" => return (Authentication, authentication::LOGON),
        "userloggedout" => return (Authentication, authentication::LOGOFF),
        "add user" => return (AccountChange, account_change::CREATE),
        "delete user" | "hard delete user" => return (AccountChange, account_change::DELETE),
        "disable account" => return (AccountChange, account_change::DISABLE),
        "enable account" | "restore user" => return (AccountChange, account_change::ENABLE),
        "change user password" => return (AccountChange, account_change::PASSWORD_CHANGE),
        "reset user password" | "set force change user password" => {
            return (AccountChange, account_change::PASSWORD_RESET);
        }
        "disable strong authentication" => return (AccountChange, account_change::MFA_DISABLE),
        "enable strong authentication" => return (AccountChange, account_change::MFA_ENABLE),
        "update user" => {
            return match mfa_change(v) {
                Some(true) => (AccountChange, account_change::MFA_ENABLE),
                Some(false) => (AccountChange, account_change::MFA_DISABLE),
                None => (AccountChange, account_change::OTHER),
            };
        }
        "add member to role" | "add member to group" | "add eligible member to role" => {
            return (GroupManagement, group::ADD_USER);
        }
        "remove member from role" | "remove member from group" | "remove eligible member from role" => {
            return (GroupManagement, group::REMOVE_USER);
        }
        "add group" => return (GroupManagement, group::CREATE),
        "delete group" => return (GroupManagement, group::DELETE),
        _ => {}
    }
    (ApiActivity, api_activity(&o))
}

/// Create, read, update or delete, from an operation's name (lower-cased).
fn api_activity(o: &str) -> u32 {
    // An Exchange or Security & Compliance cmdlet: `Verb-Noun`.
    if let Some((verb, _)) = o.split_once('-')
        && !verb.contains(' ')
    {
        return match verb {
            "new" | "add" | "enable" => api::CREATE,
            "get" | "search" | "test" | "export" => api::READ,
            "set" | "update" | "disable" | "start" | "stop" | "resume" | "suspend" | "move" => api::UPDATE,
            "remove" | "clear" => api::DELETE,
            _ => api::OTHER,
        };
    }
    const READ: &[&str] = &[
        "mailitemsaccessed",
        "messageread",
        "folderbind",
        "searchqueryperformed",
        "pageviewed",
        "listviewed",
        "messagesent",
    ];
    const DELETE: &[&str] = &["harddelete", "softdelete", "movetodeleteditems"];
    const UPDATE: &[&str] =
        &["update", "move", "updateinboxrules", "updatecalendardelegation", "updatefolderpermissions"];
    const CREATE: &[&str] = &["create", "send", "sendas", "sendonbehalf", "addfolderpermissions"];
    if READ.contains(&o)
        || o.ends_with("accessed")
        || o.ends_with("downloaded")
        || o.ends_with("previewed")
        || o.ends_with("viewed")
        || o.starts_with("filesyncdownloaded")
    {
        return api::READ;
    }
    if DELETE.contains(&o) || o.ends_with("deleted") || o.ends_with("recycled") || o.ends_with("removed") {
        return api::DELETE;
    }
    if CREATE.contains(&o)
        || o.ends_with("uploaded")
        || o.ends_with("created")
        || o.ends_with("added")
        || o.starts_with("addedto")
        || o.starts_with("filesyncuploaded")
    {
        return api::CREATE;
    }
    if UPDATE.contains(&o)
        || o.ends_with("modified")
        || o.ends_with("renamed")
        || o.ends_with("moved")
        || o.ends_with("updated")
        || o.ends_with("changed")
        || o.ends_with("restored")
    {
        return api::UPDATE;
    }
    api::OTHER
}

fn alert(v: &Value, d: &mut Draft, op: &str, time: i64) {
    let e = d.start(OcsfClass::DetectionFinding, 1, time, "Microsoft 365 Security & Compliance Alerts", "Microsoft");
    common(e, v, op);
    let name = text(v, "Name");
    e.message = name.clone().or_else(|| Some(op.to_string()));
    e.severity = match text(v, "Severity").map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("high") => Severity::High,
        Some("medium") => Severity::Medium,
        Some("low") => Severity::Low,
        Some("informational") => Severity::Informational,
        _ => Severity::Unknown,
    };
    e.status_detail = text(v, "Status");
    let a = e.actor_user_mut();
    a.name = text(v, "UserId");
    a.r#type = user_type(v);
    let api = e.api_mut();
    api.service = workload(v);
    api.operation = Some(op.to_string());
    api.request_uid = text(v, "AlertId");
    api.request_data = name.map(|n| match text(v, "Category") {
        Some(c) => format!("{c}: {n}"),
        None => n,
    });
}

#[cfg(test)]
mod finding_tests {
    use super::*;
    use serde_json::json;

    fn alert(op: &str, status: &str) -> Value {
        json!({"CreationTime": "2024-05-29T16:20:01", "Id": "a1", "Operation": op, "OrganizationId": "org", "RecordType": 40,
            "UserId": "SecurityComplianceAlerts", "Workload": "SecurityComplianceCenter", "AlertId": "0e2a", "AlertType": "System",
            "Name": "Email messages containing malicious URL removed after delivery", "Severity": "Medium", "Status": status,
            "Category": "ThreatManagement"})
    }

    #[test]
    fn compliance_center_alerts_are_findings_until_resolved() {
        let f = finding(&alert("AlertTriggered", "Active")).unwrap();
        assert_eq!(f.rule_id, "m365:Email messages containing malicious URL removed after delivery");
        assert_eq!((f.level, f.uid.as_deref(), f.open), (vigil_model::Level::Medium, Some("0e2a"), true));
        assert_eq!(finding(&alert("AlertEntityGenerated", "Active")).unwrap().uid.as_deref(), Some("0e2a"));
        assert!(!finding(&alert("AlertUpdated", "Resolved")).unwrap().open);
        let mut mail = alert("MailItemsAccessed", "Active");
        mail["RecordType"] = json!(50);
        mail["Workload"] = json!("Exchange");
        assert!(finding(&mail).is_none());
        assert!(finding(&json!({"RecordType": 40})).is_none());
    }
}

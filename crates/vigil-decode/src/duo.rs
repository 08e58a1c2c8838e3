//! Cisco Duo Admin API logs to OCSF, in the two shapes the API returns:
//! - authentication logs (`/admin/v2/logs/authentication`, and v1's flatter records): `txid`,
//!   `timestamp` (epoch seconds) / `isotimestamp`, `user.name`/`user.key`, `factor`, `result`,
//!   `reason`, `event_type`, `access_device` (`ip`, `hostname`, `os`, `location`),
//!   `application.name`, `auth_device.name` …;
//! - administrator logs (`/admin/v1/logs/administrator`): `action`, `username`, `object`,
//!   `timestamp`, `isotimestamp`, `description` (a JSON text of the change's details);
//!
//! and both as Panther stores them (`timestamp` and `isotimestamp` as `2022-12-14 20:09:57`).
//! A record with a `txid` or a `result` is an authentication record, else one with an `action`
//! is an administrator record.
//!
//! Classes:
//! - Authentication (3002) for authentication records (logon for `event_type` `authentication`,
//!   other for `enrollment`; `result` success is a success, denied, fraud, failure and error a
//!   failure, `reason` the detail, `factor` the MFA factor) and for administrators' own logins
//!   (`admin_login`, `admin_login_error`, `admin_2fa_error`).
//! - Account Change (3001) for administrator actions on an account: `user_create`/`admin_create`,
//!   `user_delete`/`admin_delete`, `admin_lockout` (lock), other `user_*`/`admin_*` actions.
//! - API Activity (6003) for every other administrator action (integrations, policies, bypass
//!   codes …), create, read, update or delete taken from the action's words.
//!
//! Quarantined, naming the field: a record that is not an object, an authentication record
//! without a `result`, an administrator record without an `action`, and any without a readable
//! `isotimestamp` or `timestamp`.

use serde_json::Value;
use vigil_model::{Geo, OcsfClass, Severity, Status, account_change, api, authentication};

use crate::generic::kind;
use crate::json::{get, text};
use crate::{DecodeError, Decoder, Draft, LogSource};

pub const FAMILY: &str = "duo";

/// Keys tried, in order, for a record's time.
pub const TIME_KEYS: &[&str] = &["isotimestamp", "timestamp", "p_event_time"];

/// Cisco Duo authentication and administrator logs.
pub struct Duo;

impl Decoder for Duo {
    fn name(&self) -> &'static str {
        "duo"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["cisco-duo"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Cisco Duo Admin API authentication and administrator logs"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like_auth(record) || looks_like_admin(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        matches!(log_type, "Duo.Authentication" | "Duo.Administrator")
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[OcsfClass::Authentication, OcsfClass::AccountChange, OcsfClass::ApiActivity]
    }
    /// SigmaHQ's Duo rule (`rules/identity/cisco_duo/`) asks for `cisco` / `duo` and matches the
    /// authentication record's own `event_type` and `reason`. Rules for other Cisco services
    /// (`aaa`, `asa` …) stay idle.
    fn logsource(&self) -> LogSource {
        LogSource::fixed("cisco", "duo")
    }
    fn sample(&self) -> &'static str {
        r#"{"access_device":{"browser":"Chrome","ip":"203.0.113.30","location":{"city":"Ann Arbor","country":"United States","state":"Michigan"},"os":"Mac OS X"},"application":{"key":"DIY231J8BR23QK4UKBY8","name":"Microsoft Azure Active Directory"},"auth_device":{"ip":"192.0.2.8","name":"My iPhone X (734-555-2342)"},"event_type":"authentication","factor":"duo_push","isotimestamp":"2024-02-01T15:04:11.000000+00:00","reason":"user_approved","result":"success","timestamp":1706799851,"txid":"340a23e3-23f3-4ad9-8d1f-1c2e3d4f5a6b","user":{"key":"DU3KC77WJ06Y5HIV7XKQ","name":"narroway@example.com"}}"#
    }
}

/// An authentication record: a `txid` beside the access device or the factor, or, without the
/// `txid` (some stores drop it), the access device, factor, result and event type together.
pub fn looks_like_auth(v: &Value) -> bool {
    let access = v.get("access_device").is_some_and(Value::is_object);
    let factor = v.get("factor").is_some_and(Value::is_string);
    if v.get("txid").is_some_and(Value::is_string) {
        return access || factor;
    }
    access
        && factor
        && v.get("result").is_some_and(Value::is_string)
        && v.get("event_type").is_some_and(Value::is_string)
}

/// An administrator record: a snake-case `action` (no dots: GitHub's audit actions have them),
/// the administrator's `username`, an `object` or `description`, and an epoch `timestamp`.
pub fn looks_like_admin(v: &Value) -> bool {
    let Some(action) = v.get("action").and_then(Value::as_str) else { return false };
    !action.is_empty()
        && action.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && v.get("username").is_some_and(Value::is_string)
        && (v.get("object").is_some() || v.get("description").is_some())
        && v.get("timestamp").is_some_and(Value::is_number)
}

/// Which of the two logs a record is from.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// An authentication record and its `result`.
    Auth(String),
    /// An administrator record and its `action`.
    Admin(String),
}

/// A required text field: there, a non-empty string.
fn required(v: &Value, field: &str) -> Result<String, DecodeError> {
    match get(v, field) {
        None | Some(Value::Null) => Err(DecodeError::missing(field)),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(other) => Err(DecodeError::bad(field, &other.to_string())),
    }
}

/// What a record cannot do without: being an object, its result (authentication) or action
/// (administrator), and its time.
fn head(v: &Value) -> Result<(Shape, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not a Duo log record", kind(v))));
    }
    let auth = ["txid", "result", "access_device", "factor", "event_type"].iter().any(|k| get(v, k).is_some());
    let shape = if !auth && get(v, "action").is_some() {
        Shape::Admin(required(v, "action")?)
    } else {
        Shape::Auth(required(v, "result")?)
    };
    Ok((shape, crate::time_of(v, TIME_KEYS)?))
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    match head(v)? {
        (Shape::Auth(result), time) => decode_auth(v, d, &result, time),
        (Shape::Admin(action), time) => decode_admin(v, d, action, time),
    }
    Ok(())
}

fn decode_auth(v: &Value, d: &mut Draft, result: &str, time: i64) {
    let event_type = text(v, "event_type");
    let activity = match event_type.as_deref() {
        Some("authentication") | None => authentication::LOGON,
        Some(_) => authentication::OTHER,
    };
    let e = d.start(OcsfClass::Authentication, activity, time, "Duo Authentication Log", "Cisco");
    e.metadata.original_uid = text(v, "txid");
    e.metadata.event_code = event_type.clone();
    e.metadata.log_name = Some("authentication".into());
    let lower = result.to_ascii_lowercase();
    e.status = match lower.as_str() {
        "success" => Some(Status::Success),
        "denied" | "fraud" | "failure" | "error" => Some(Status::Failure),
        _ => None,
    };
    e.severity = if lower == "fraud" { Severity::High } else { Severity::Informational };
    e.status_detail = Some(match text(v, "reason") {
        Some(r) => format!("{result}: {r}"),
        None => result.to_string(),
    });

    let name = text(v, "user.name").or_else(|| text(v, "username"));
    let uid = text(v, "user.key");
    if name.is_some() || uid.is_some() {
        let u = e.user_mut();
        u.email = name.clone().filter(|n| n.contains('@'));
        u.name = name;
        u.uid = uid;
        u.r#type = Some("User".into());
        e.actor.user = e.user.clone();
    }

    let ip = text(v, "access_device.ip").or_else(|| text(v, "ip"));
    let geo = Geo {
        country: text(v, "access_device.location.country").or_else(|| text(v, "location.country")),
        region: text(v, "access_device.location.state").or_else(|| text(v, "location.state")),
        city: text(v, "access_device.location.city").or_else(|| text(v, "location.city")),
        ..Geo::default()
    };
    let host = text(v, "access_device.hostname");
    if ip.is_some() || host.is_some() || geo != Geo::default() {
        let s = e.src_mut();
        s.ip = ip;
        s.hostname = host;
        if geo != Geo::default() {
            s.geo = Some(geo);
        }
    }
    if let Some(os) = text(v, "access_device.os") {
        let dev = e.device_mut();
        dev.os = Some(os);
        dev.hostname = text(v, "access_device.hostname");
    }
    if let Some(b) = text(v, "access_device.browser") {
        e.actor.app_name = Some(b);
    }

    let factor = text(v, "factor");
    let au = e.auth_mut();
    au.is_mfa = Some(factor.is_some());
    au.mfa_factor = factor;
    au.is_remote = Some(true);

    let a = e.api_mut();
    a.service = Some("duo".into());
    a.operation = event_type.or_else(|| Some("authentication".into()));
    a.request_uid = text(v, "txid");
    a.request_data = text(v, "application.name").or_else(|| text(v, "integration"));
}

fn decode_admin(v: &Value, d: &mut Draft, action: String, time: i64) {
    let (class, activity, status) = classify_admin(&action);
    let e = d.start(class, activity, time, "Duo Administrator Log", "Cisco");
    e.metadata.event_code = Some(action.clone());
    e.metadata.log_name = Some("administrator".into());
    e.severity = Severity::Informational;
    e.status = status;
    e.message = text(v, "description");

    let admin = text(v, "username");
    if admin.is_some() {
        let u = e.actor_user_mut();
        u.email = admin.clone().filter(|n| n.contains('@'));
        u.name = admin;
        u.r#type = Some("Admin".into());
    }
    let object = text(v, "object");
    if class == OcsfClass::AccountChange {
        if let Some(o) = object.clone() {
            e.user_mut().name = Some(o);
        }
    } else if class == OcsfClass::Authentication {
        e.user = e.actor.user.clone();
    }
    let a = e.api_mut();
    a.service = Some("duo".into());
    a.operation = Some(action);
    a.request_data = object;
}

/// OCSF class, activity and outcome of an administrator action (`object_verb` or `verb`).
fn classify_admin(action: &str) -> (OcsfClass, u32, Option<Status>) {
    use OcsfClass::*;
    match action {
        "admin_login" => (Authentication, authentication::LOGON, Some(Status::Success)),
        "admin_login_error" | "admin_2fa_error" => (Authentication, authentication::LOGON, Some(Status::Failure)),
        "user_create" | "admin_create" => (AccountChange, account_change::CREATE, None),
        "user_delete" | "admin_delete" => (AccountChange, account_change::DELETE, None),
        "admin_lockout" => (AccountChange, account_change::LOCK, None),
        "admin_reset_password" | "admin_send_reset_password_email" => {
            (AccountChange, account_change::PASSWORD_RESET, None)
        }
        _ if action.starts_with("user_") || action.starts_with("admin_") => {
            (AccountChange, account_change::OTHER, None)
        }
        _ => (ApiActivity, api_activity(action), None),
    }
}

/// The API activity of an action, from its first word that is a known verb.
fn api_activity(action: &str) -> u32 {
    for word in action.split('_') {
        let activity = match word {
            "create" | "add" | "install" | "import" | "generate" | "enroll" => api::CREATE,
            "delete" | "detele" | "remove" | "uninstall" | "revoke" => api::DELETE,
            "view" | "read" | "list" | "export" | "download" => api::READ,
            "update" | "change" | "reset" | "set" | "enable" | "disable" | "rename" | "modify" | "activate"
            | "deactivate" => api::UPDATE,
            _ => continue,
        };
        return activity;
    }
    api::OTHER
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn administrator_actions() {
        assert_eq!(classify_admin("admin_login").0, OcsfClass::Authentication);
        assert_eq!(classify_admin("admin_2fa_error").2, Some(Status::Failure));
        assert_eq!(classify_admin("admin_lockout").1, account_change::LOCK);
        assert_eq!(classify_admin("user_update"), (OcsfClass::AccountChange, account_change::OTHER, None));
        assert_eq!(classify_admin("bypass_create"), (OcsfClass::ApiActivity, api::CREATE, None));
        assert_eq!(classify_admin("integration_skey_view"), (OcsfClass::ApiActivity, api::READ, None));
        assert_eq!(classify_admin("policy_update"), (OcsfClass::ApiActivity, api::UPDATE, None));
        assert_eq!(classify_admin("something_else"), (OcsfClass::ApiActivity, api::OTHER, None));
    }

    #[test]
    fn recognition() {
        let auth = json!({"txid": "t", "factor": "duo_push", "result": "success"});
        let stored = json!({"access_device": {}, "factor": "sms", "result": "denied", "event_type": "authentication"});
        let admin = json!({"action": "user_update", "username": "a", "object": "b", "timestamp": 1_600_000_000});
        let github = json!({"action": "org.add_member", "username": "a", "object": "b", "timestamp": 1_600_000_000});
        let no_time = json!({"action": "user_update", "username": "a", "object": "b", "timestamp": "x"});
        let duo = Duo;
        assert!(duo.recognizes(&auth) && duo.recognizes(&stored) && duo.recognizes(&admin));
        assert!(!duo.recognizes(&github) && !duo.recognizes(&no_time) && !duo.recognizes(&json!({"txid": "t"})));
    }
}

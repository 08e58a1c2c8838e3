//! OneLogin events to OCSF: the items of the Events API (`GET /api/1/events`, `/api/2/events`)
//! and the records OneLogin's event broadcaster (webhook) sends, one per line or in arrays:
//! `event_type_id`, `created_at`, `account_id`, `user_id`/`user_name`, `actor_user_id`/
//! `actor_user_name`, `ipaddr`, `app_name`, `role_name`, `group_name`, `login_name`, `notes`,
//! `risk_score`, `directory_sync_run_id`, `uuid`/`id` …; and the same records as Panther stores
//! them (`p_event_time`, `event_type_id` sometimes as decimal text).
//!
//! Classes, by OneLogin's documented event type ids:
//! - Authentication (3002): 5 user logged into OneLogin (logon, success), 6 user failed
//!   authentication (logon, failure), 8 user logged out (logoff), 3 user assumed another user
//!   (other: the actor signs in as the user acted upon).
//! - Account Change (3001): 13 user created, 17 user deleted, 11 password changed, 531, 532 and
//!   553 user locked, 551 user suspended (disable).
//! - API Activity (6003) for every other id, and for ids OneLogin adds later: the id is kept as
//!   `metadata.event_code` (and `api.operation`) for every class, so nothing is lost.
//!
//! Every class keeps the actor, the user acted upon, the source address, the account as the
//! cloud account, the app, role or group acted on as `api.request_data` and the notes as the
//! message. A record that is not an object, or has no integer `event_type_id`, or no readable
//! time, is quarantined naming the field.

use serde_json::Value;
use vigil_model::{OcsfClass, Severity, Status, account_change, api, authentication};

use crate::generic::kind;
use crate::json::{as_int, get, int, text};
use crate::{DecodeError, Decoder, Draft, LogSource};

pub const FAMILY: &str = "onelogin";

/// Keys tried, in order, for a record's time.
pub const TIME_KEYS: &[&str] = &["created_at", "p_event_time"];

/// OneLogin events (Events API, event broadcaster).
pub struct OneLogin;

impl Decoder for OneLogin {
    fn name(&self) -> &'static str {
        "onelogin"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["onelogin-events"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "OneLogin events (Events API, event broadcaster)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        log_type == "OneLogin.Events"
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
    /// SigmaHQ's OneLogin rules (`rules/identity/onelogin/`) ask for `onelogin` /
    /// `onelogin.events` and match the record's own `event_type_id`.
    fn logsource(&self) -> LogSource {
        LogSource::fixed("onelogin", "onelogin.events")
    }
    fn sample(&self) -> &'static str {
        r#"{"id":999999999,"uuid":"f5d4c1a2-0b1e-4c2d-9f3a-1b2c3d4e5f60","account_id":12345,"created_at":"2024-02-01T14:58:11.000Z","event_type_id":5,"user_id":3456,"user_name":"Ann Smith","login_name":"ann@example.com","ipaddr":"203.0.113.20","actor_user_id":3456,"actor_user_name":"Ann Smith","risk_score":12}"#
    }
}

/// An `event_type_id` (an integer, or decimal text as some stores write it) beside one of the
/// user or account ids only OneLogin writes under these names.
pub fn looks_like(v: &Value) -> bool {
    let Some(id) = v.get("event_type_id") else { return false };
    let integer = match id {
        Value::Number(n) => n.as_u64().is_some(),
        Value::String(s) => !s.is_empty() && s.len() < 8 && s.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    };
    integer && ["account_id", "actor_user_id", "user_id"].iter().any(|k| v.get(k).is_some())
}

/// What a record cannot do without: being an object, its event type id and its time.
fn head(v: &Value) -> Result<(i64, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not a OneLogin event", kind(v))));
    }
    let id = match get(v, "event_type_id") {
        None | Some(Value::Null) => return Err(DecodeError::missing("event_type_id")),
        Some(x @ (Value::Number(_) | Value::String(_))) => match as_int(x) {
            Some(n) if n >= 0 => n,
            _ => return Err(DecodeError::bad("event_type_id", &x.to_string())),
        },
        Some(other) => return Err(DecodeError::bad("event_type_id", &other.to_string())),
    };
    Ok((id, crate::time_of(v, TIME_KEYS)?))
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (id, time) = head(v)?;
    let (class, activity, status) = classify(id);
    let e = d.start(class, activity, time, "OneLogin", "OneLogin");
    e.metadata.original_uid = text(v, "uuid").or_else(|| text(v, "id"));
    e.metadata.event_code = Some(id.to_string());
    e.metadata.log_name = Some("events".into());
    e.message = text(v, "notes");
    e.severity = match int(v, "risk_score") {
        Some(r) if r >= 75 => Severity::High,
        Some(r) if r >= 50 => Severity::Medium,
        _ => Severity::Informational,
    };
    e.status = status;
    e.status_detail = text(v, "error_description");

    if let Some(name) = text(v, "actor_user_name") {
        let u = e.actor_user_mut();
        u.name = Some(name);
        u.uid = text(v, "actor_user_id");
    } else if let Some(uid) = text(v, "actor_user_id") {
        e.actor_user_mut().uid = Some(uid);
    }
    e.actor.app_name = text(v, "actor_system");

    let user_name = text(v, "user_name");
    let login = text(v, "login_name");
    let user_id = text(v, "user_id");
    if user_name.is_some() || login.is_some() || user_id.is_some() {
        let u = e.user_mut();
        u.name = user_name.or_else(|| login.clone());
        u.uid = user_id;
        u.email = login.filter(|l| l.contains('@'));
        u.r#type = Some("User".into());
    }
    if class == OcsfClass::Authentication {
        if e.actor.user.is_none() {
            e.actor.user = e.user.clone();
        }
        let au = e.auth_mut();
        au.is_remote = Some(true);
        au.mfa_factor = text(v, "authentication_factor_description").or_else(|| text(v, "otp_device_name"));
    }
    if let Some(ip) = text(v, "ipaddr") {
        e.src_mut().ip = Some(ip);
    }
    if let Some(ua) = text(v, "user_agent") {
        e.http_mut().user_agent = Some(ua);
    }
    let c = e.cloud_mut();
    c.provider = Some("OneLogin".into());
    c.account_uid = text(v, "account_id");

    let a = e.api_mut();
    a.service = Some("onelogin".into());
    a.operation = Some(id.to_string());
    a.request_uid = text(v, "directory_sync_run_id");
    a.request_data = text(v, "app_name").or_else(|| text(v, "role_name")).or_else(|| text(v, "group_name"));
    Ok(())
}

/// OCSF class, activity and outcome of an event type id.
fn classify(id: i64) -> (OcsfClass, u32, Option<Status>) {
    use OcsfClass::*;
    match id {
        5 => (Authentication, authentication::LOGON, Some(Status::Success)),
        6 => (Authentication, authentication::LOGON, Some(Status::Failure)),
        8 => (Authentication, authentication::LOGOFF, Some(Status::Success)),
        3 => (Authentication, authentication::OTHER, Some(Status::Success)),
        13 => (AccountChange, account_change::CREATE, None),
        17 => (AccountChange, account_change::DELETE, None),
        11 => (AccountChange, account_change::PASSWORD_CHANGE, None),
        531 | 532 | 553 => (AccountChange, account_change::LOCK, None),
        551 => (AccountChange, account_change::DISABLE, None),
        _ => (ApiActivity, api::OTHER, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classes_by_id() {
        assert_eq!(classify(5), (OcsfClass::Authentication, authentication::LOGON, Some(Status::Success)));
        assert_eq!(classify(6).2, Some(Status::Failure));
        assert_eq!(classify(553).1, account_change::LOCK);
        assert_eq!(classify(551).1, account_change::DISABLE);
        assert_eq!(classify(240), (OcsfClass::ApiActivity, api::OTHER, None));
    }

    #[test]
    fn recognition_needs_an_integer_type_id_and_a_onelogin_id() {
        assert!(looks_like(&json!({"event_type_id": 5, "user_id": 1})));
        assert!(looks_like(&json!({"event_type_id": "553", "account_id": 1})));
        assert!(!looks_like(&json!({"event_type_id": 5})));
        assert!(!looks_like(&json!({"event_type_id": "login", "user_id": 1})));
        assert!(!looks_like(&json!({"event_type_id": -1, "user_id": 1})));
    }
}

//! Okta System Log events (API arrays or JSON lines) to OCSF.

use serde_json::Value;
use vigil_model::{Geo, OcsfClass, Severity, Status, account_change, api, authentication, group};

use crate::json::{float, get, text};
use crate::{DecodeError, Decoder, Draft, LogSource};

pub const FAMILY: &str = "okta";

/// Okta System Log, as the API returns it (arrays) or shippers write it (JSON lines).
pub struct Okta;

impl Decoder for Okta {
    fn name(&self) -> &'static str {
        "okta"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["okta-systemlog"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Okta System Log (API arrays or JSON lines)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        log_type == "Okta.SystemLog"
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[OcsfClass::Authentication, OcsfClass::AccountChange, OcsfClass::GroupManagement, OcsfClass::ApiActivity]
    }
    fn logsource(&self) -> LogSource {
        LogSource::fixed("okta", "okta")
    }
    fn sample(&self) -> &'static str {
        r#"{"uuid":"u-1","published":"2024-01-02T03:04:05.678Z","eventType":"user.session.start","version":"0","severity":"INFO","displayMessage":"User login to Okta","actor":{"id":"00u1","type":"User","alternateId":"bob@example.com","displayName":"Bob"},"client":{"ipAddress":"203.0.113.5","userAgent":{"rawUserAgent":"Mozilla/5.0","browser":"CHROME","os":"Mac OS X"}},"outcome":{"result":"SUCCESS"},"authenticationContext":{"externalSessionId":"sess-1"}}"#
    }
}

pub fn looks_like(v: &Value) -> bool {
    get(v, "eventType").is_some()
        && get(v, "published").is_some()
        && (get(v, "uuid").is_some() || get(v, "actor").is_some())
}

/// What a record cannot do without: its event type and time.
fn head(v: &Value) -> Result<(String, i64), DecodeError> {
    let et = text(v, "eventType").ok_or(DecodeError::missing("eventType"))?;
    Ok((et, crate::time_of(v, &["published"])?))
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (et, time) = head(v)?;
    let (class, activity) = classify(&et);
    let e = d.start(class, activity, time, "Okta System Log", "Okta");
    e.metadata.original_uid = text(v, "uuid");
    e.metadata.event_code = Some(et.clone());
    e.metadata.log_name = Some("SystemLog".into());
    e.message = text(v, "displayMessage");
    e.severity = match text(v, "severity").as_deref() {
        Some("DEBUG") | Some("INFO") => Severity::Informational,
        Some("WARN") => Severity::Medium,
        Some("ERROR") => Severity::High,
        _ => Severity::Unknown,
    };

    let u = e.actor_user_mut();
    u.name = text(v, "actor.alternateId").or_else(|| text(v, "actor.displayName"));
    u.uid = text(v, "actor.id");
    u.r#type = text(v, "actor.type");
    u.email = text(v, "actor.alternateId").filter(|a| a.contains('@'));
    if let Some(sid) = text(v, "authenticationContext.externalSessionId").filter(|s| s != "unknown") {
        e.actor_session_mut().uid = Some(sid);
    }
    e.actor.app_name = text(v, "client.userAgent.browser").filter(|b| b != "UNKNOWN");

    if let Some(ip) = text(v, "client.ipAddress") {
        let s = e.src_mut();
        s.ip = Some(ip);
        s.asn = text(v, "securityContext.asOrg").or_else(|| text(v, "securityContext.isp"));
        let geo = Geo {
            country: text(v, "client.geographicalContext.country"),
            region: text(v, "client.geographicalContext.state"),
            city: text(v, "client.geographicalContext.city"),
            lat: float(v, "client.geographicalContext.geolocation.lat"),
            lon: float(v, "client.geographicalContext.geolocation.lon"),
        };
        if geo != Geo::default() {
            s.geo = Some(geo);
        }
    }
    if let Some(ua) = text(v, "client.userAgent.rawUserAgent") {
        e.http_mut().user_agent = Some(ua);
    }
    if let Some(dev) = text(v, "client.device") {
        e.device_mut().os = text(v, "client.userAgent.os").or(Some(dev));
    }

    let result = text(v, "outcome.result").unwrap_or_default();
    e.status = match result.as_str() {
        "SUCCESS" | "ALLOW" => Some(Status::Success),
        "FAILURE" | "DENY" => Some(Status::Failure),
        _ => None,
    };
    e.status_detail = match text(v, "outcome.reason") {
        Some(r) => Some(format!("{result}: {r}")),
        None => (!result.is_empty()).then_some(result),
    };

    // The user acted upon: the first target of a user type, else the actor for authentications.
    let targets = get(v, "target").and_then(Value::as_array).cloned().unwrap_or_default();
    let target_user = targets.iter().find(|t| text(t, "type").is_some_and(|ty| ty.eq_ignore_ascii_case("user")));
    if let Some(t) = target_user {
        let tu = e.user_mut();
        tu.name = text(t, "alternateId").or_else(|| text(t, "displayName"));
        tu.uid = text(t, "id");
        tu.r#type = Some("User".into());
    } else if class == OcsfClass::Authentication {
        e.user = e.actor.user.clone();
    }
    if let Some(app) = targets.iter().find(|t| text(t, "type").is_some_and(|ty| ty.contains("App"))) {
        e.api_mut().request_data = text(app, "displayName").or_else(|| text(app, "alternateId"));
    }

    if class == OcsfClass::Authentication || et.contains("mfa") || et.contains("factor") {
        let au = e.auth_mut();
        au.protocol = text(v, "authenticationContext.authenticationProvider");
        au.mfa_factor = text(v, "debugContext.debugData.factor")
            .or_else(|| text(v, "authenticationContext.credentialType"))
            .or_else(|| et.contains("push").then(|| "push".to_string()));
        au.is_mfa = Some(et.contains("mfa") || et.contains("factor") || et.contains("push"));
        au.is_remote = Some(true);
    }
    let a = e.api_mut();
    a.service = Some("okta".into());
    a.operation = Some(et);
    a.request_uid = text(v, "transaction.id");
    Ok(())
}

fn classify(et: &str) -> (OcsfClass, u32) {
    use OcsfClass::*;
    match et {
        "user.session.start" => (Authentication, authentication::LOGON),
        "user.session.end" => (Authentication, authentication::LOGOFF),
        "user.lifecycle.create" => (AccountChange, account_change::CREATE),
        "user.lifecycle.activate" | "user.lifecycle.reactivate" | "user.lifecycle.unsuspend" => {
            (AccountChange, account_change::ENABLE)
        }
        "user.lifecycle.deactivate" | "user.lifecycle.suspend" => (AccountChange, account_change::DISABLE),
        "user.lifecycle.delete.initiated" | "user.lifecycle.delete.completed" => {
            (AccountChange, account_change::DELETE)
        }
        "user.account.update_password" => (AccountChange, account_change::PASSWORD_CHANGE),
        "user.account.reset_password" | "user.lifecycle.password_reset" => {
            (AccountChange, account_change::PASSWORD_RESET)
        }
        "user.account.lock" | "user.account.lock.limit" => (AccountChange, account_change::LOCK),
        "user.mfa.factor.activate" | "user.mfa.factor.update" => (AccountChange, account_change::MFA_ENABLE),
        "user.mfa.factor.deactivate" | "user.mfa.factor.reset_all" | "user.mfa.factor.suspend" => {
            (AccountChange, account_change::MFA_DISABLE)
        }
        "group.user_membership.add" => (GroupManagement, group::ADD_USER),
        "group.user_membership.remove" => (GroupManagement, group::REMOVE_USER),
        "group.privilege.grant" | "user.account.privilege.grant" => (GroupManagement, group::ASSIGN_PRIVILEGES),
        "group.privilege.revoke" | "user.account.privilege.revoke" => (GroupManagement, group::REVOKE_PRIVILEGES),
        _ if et.starts_with("user.authentication.")
            || et.starts_with("user.mfa.")
            || et.starts_with("system.push.")
            || et.starts_with("policy.evaluate_sign_on") =>
        {
            (Authentication, authentication::OTHER)
        }
        _ if et.starts_with("user.account.") || et.starts_with("user.lifecycle.") => {
            (AccountChange, account_change::OTHER)
        }
        _ if et.contains(".create") || et.contains(".add") || et.contains(".grant") => (ApiActivity, api::CREATE),
        _ if et.contains(".delete") || et.contains(".remove") || et.contains(".revoke") => (ApiActivity, api::DELETE),
        _ if et.contains(".update") || et.contains(".activate") || et.contains(".deactivate") => {
            (ApiActivity, api::UPDATE)
        }
        _ => (ApiActivity, api::OTHER),
    }
}

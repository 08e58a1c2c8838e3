//! Sublime Security to OCSF: the platform's message events and its audit log.
//!
//! Both are the same envelope, `id`, `created_at`, `type` and `data`, as Sublime's webhooks and
//! its S3 export write them, one per line:
//!
//! - **Message events** (`type` `message.flagged`, `message.user_reported`, …): `data.message
//!   {id, canonical_id, external_id, message_source_id, mailbox {id, email}}`, the rules that
//!   flagged it in `data.flagged_rules` (`id`, `name`, `severity` where the export states it),
//!   the actions they triggered in `data.triggered_actions`, and the attack score's verdict
//!   (`attack_score_verdict`, in `data` or `data.message`: `malicious`, `suspicious`,
//!   `likely_benign`, `benign`). They become Email Activity (4009, a scan), the message id as
//!   the record's id, the mailbox as the user.
//! - **Audit events** (any other `type`: `message_source.deactivate`, `rules.delete`, …, and any
//!   `type` beside a `data.request`): the
//!   console user in `created_by` (`email_address`, `first_name`, `last_name`, `id`, `role`) and
//!   the request in `data.request` (`method`, `path`, `ip`, `user_agent`, `body`, `id`,
//!   `authentication_method`). They become API Activity: the user as the actor, the type as the
//!   operation, the request path as its URL and the body as its data. They state no finding.
//!
//! A message event with flagged rules, or an attack score verdict of `malicious` or
//! `suspicious`, states a [`Finding`] the detection engine raises as a vendor alert: titled by
//! the flagged rules' names, its level the highest of their severities (medium where none is
//! stated; high for a malicious verdict), tagged `attack.initial-access` and `attack.t1566`. A
//! record that is not an object, has no `type`, no readable `created_at`, a message event with
//! no `data.message`, or `flagged_rules` that are not a list is quarantined naming why.

use serde_json::Value;
use vigil_model::{Level, OcsfClass, Severity, Status, api};

use crate::generic::kind;
use crate::json::{get, text};
use crate::{DecodeError, Decoder, Draft, Finding, LogSource};

pub const FAMILY: &str = "sublime";

/// At most this many flagged rules of one message are read.
const MAX_RULES: usize = 64;

/// Sublime Security message events and audit log.
pub struct Sublime;

impl Decoder for Sublime {
    fn name(&self) -> &'static str {
        "sublime"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["sublime-security"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Sublime Security message events (flagged messages) and audit log"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        log_type.starts_with("Sublime.")
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[OcsfClass::EmailActivity, OcsfClass::ApiActivity]
    }
    /// No SigmaHQ rule is written for Sublime's events; a team's own rules name `sublime` /
    /// `message_events`.
    fn logsource(&self) -> LogSource {
        LogSource::fixed("sublime", "message_events")
    }
    fn finding(&self, record: &Value) -> Option<Finding> {
        finding(record)
    }
    fn sample(&self) -> &'static str {
        r#"{"id":"6f1c2a9e-3b7d-4e21-9c55-0a8b7e6d5c41","created_at":"2024-09-24 16:45:43.302769000","type":"message.flagged","data":{"flagged_rules":[{"id":"b0ab266f-8a12-4020-b165-e97bb1aacc42","name":"Credential phishing: Engaging language and other indicators (untrusted sender)","severity":"high"},{"id":"a014f82e-f2d7-4058-adb1-36fc086de0b8","name":"Attachment: HTML smuggling with unescape","severity":"medium"}],"message":{"id":"019224ec-aba6-763d-bb2e-cd4cbd40a29f","canonical_id":"fb8b46e3317ac7d5036c6b21517d363634293c6d4f6bf1b1e67548c80948a1c6","external_id":"b86b1e58-e9f8-4b55-8b54-1402f9f95e69","mailbox":{"id":"624c8394-4fe2-4ba0-bd2b-86d2e503c614","email":"ann@acme.example"},"message_source_id":"91956379-c2f3-4c50-a410-3ba89fb8bc74"}}}"#
    }
}

/// A message event or an audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Message,
    Audit,
}

/// Keys only Sublime writes: a `message.` type beside `data.flagged_rules` or a message's
/// `canonical_id`/`message_source_id`; an audit event's `created_by` with Sublime's OAuth ids
/// or enrolment flag, or its request's `authentication_method`, beside a `type`.
pub fn looks_like(v: &Value) -> bool {
    let Some(t) = v.get("type").and_then(Value::as_str) else { return false };
    let data = v.get("data").filter(|d| d.is_object());
    let message = t.starts_with("message.")
        && data.is_some_and(|d| {
            d.get("flagged_rules").is_some()
                || d.get("message")
                    .is_some_and(|m| m.get("canonical_id").is_some() || m.get("message_source_id").is_some())
        });
    let by = v.get("created_by").filter(|c| c.is_object());
    let console_user = by.is_some_and(|c| {
        c.get("email_address").is_some()
            && (c.get("google_oauth_user_id").is_some()
                || c.get("microsoft_oauth_user_id").is_some()
                || c.get("is_enrolled").is_some())
    });
    let request = data.is_some_and(|d| d.pointer("/request/authentication_method").is_some());
    message || (v.get("created_at").is_some() && (console_user || request))
}

fn head(v: &Value) -> Result<(Shape, &str, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not a Sublime Security event", kind(v))));
    }
    let t = match v.get("type") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.as_str(),
        None | Some(Value::Null) => return Err(DecodeError::missing("type")),
        Some(other) => return Err(DecodeError::bad("type", &other.to_string())),
    };
    let time = crate::time_of(v, &["created_at", "p_event_time"])?;
    // The audit log records the console's requests, some about messages: those name a request.
    if !t.starts_with("message.") || v.pointer("/data/request").is_some() {
        return Ok((Shape::Audit, t, time));
    }
    if !v.pointer("/data/message").is_some_and(Value::is_object) {
        return Err(DecodeError::missing("data.message"));
    }
    match v.pointer("/data/flagged_rules") {
        None | Some(Value::Null) | Some(Value::Array(_)) => {}
        Some(other) => return Err(DecodeError::bad("data.flagged_rules", &other.to_string())),
    }
    Ok((Shape::Message, t, time))
}

/// A flagged rule: its name and level.
fn rules(v: &Value) -> Vec<(String, Option<Level>)> {
    match v.pointer("/data/flagged_rules") {
        Some(Value::Array(items)) => items
            .iter()
            .take(MAX_RULES)
            .filter_map(|r| {
                let name = text(r, "name").or_else(|| text(r, "id"))?;
                let level = text(r, "severity").and_then(|s| s.to_ascii_lowercase().parse::<Level>().ok());
                Some((name, level))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn verdict(v: &Value) -> Option<String> {
    text(v, "data.attack_score_verdict")
        .or_else(|| text(v, "data.message.attack_score_verdict"))
        .map(|s| s.to_ascii_lowercase())
}

/// The alert a flagged message states; `None` for audit events and unflagged messages.
pub fn finding(v: &Value) -> Option<Finding> {
    let (shape, t, _) = head(v).ok()?;
    if shape != Shape::Message {
        return None;
    }
    let mut rules = rules(v);
    let verdict = verdict(v);
    let threat_verdict = matches!(verdict.as_deref(), Some("malicious" | "suspicious"));
    if rules.is_empty() && !threat_verdict {
        return None;
    }
    // The most severe rule first (stable: equal ones keep Sublime's order).
    rules.sort_by_key(|(_, l)| std::cmp::Reverse(l.unwrap_or(Level::Medium)));
    let mut level = rules.iter().map(|(_, l)| l.unwrap_or(Level::Medium)).max().unwrap_or(Level::Medium);
    if verdict.as_deref() == Some("malicious") {
        level = level.max(Level::High);
    }
    let names: Vec<&str> = rules.iter().map(|(n, _)| n.as_str()).collect();
    let title = match names.len() {
        0 => format!("Attack score verdict: {}", verdict.as_deref().unwrap_or("suspicious")),
        1..=3 => names.join("; "),
        n => format!("{} and {} more", names[..3].join("; "), n - 3),
    };
    let rule = names.first().map_or_else(|| "attack_score".to_string(), |n| n.to_string());
    let mut description = format!("Sublime Security {t}");
    if let Some(m) = text(v, "data.message.mailbox.email") {
        description.push_str(&format!(" in the mailbox of {m}"));
    }
    if !names.is_empty() {
        description.push_str(&format!(": {} rule(s) flagged it: {}", names.len(), names.join("; ")));
    }
    if let Some(vd) = &verdict {
        description.push_str(&format!("; attack score verdict {vd}"));
    }
    Some(Finding {
        product: "Sublime Security".into(),
        rule_id: format!("sublime:{rule}"),
        title,
        description: Some(description),
        level,
        uid: text(v, "data.message.id").or_else(|| text(v, "id")),
        open: true,
        tags: vec!["attack.initial-access".into(), "attack.t1566".into()],
        confidence: None,
        link: None,
    })
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (shape, t, time) = head(v)?;
    if shape == Shape::Audit {
        return audit(v, t, time, d);
    }
    let f = finding(v);
    let e = d.start(OcsfClass::EmailActivity, 3, time, "Sublime Platform", "Sublime Security");
    e.metadata.log_name = Some("message_events".into());
    e.metadata.event_code = Some(t.to_string());
    e.metadata.original_uid = text(v, "data.message.id").or_else(|| text(v, "id"));
    e.severity = f.as_ref().map_or(Severity::Informational, |f| f.level.event_severity());
    e.message = Some(f.as_ref().map_or_else(|| t.to_string(), |f| f.title.clone()));
    let mut detail = Vec::new();
    if let Some(vd) = verdict(v) {
        detail.push(format!("attack score verdict {vd}"));
    }
    if let Some(Value::Array(actions)) = v.pointer("/data/triggered_actions") {
        let names: Vec<String> =
            actions.iter().take(16).filter_map(|a| text(a, "name").or_else(|| text(a, "type"))).collect();
        if !names.is_empty() {
            detail.push(format!("actions: {}", names.join(", ")));
        }
    }
    e.status_detail = (!detail.is_empty()).then(|| detail.join("; "));
    let mailbox = text(v, "data.message.mailbox.email");
    let mailbox_id = text(v, "data.message.mailbox.id");
    if mailbox.is_some() || mailbox_id.is_some() {
        let u = e.user_mut();
        u.email = mailbox.clone();
        u.name = mailbox;
        u.uid = mailbox_id;
    }
    if let Some(sender) = text(v, "data.message.sender.email").or_else(|| text(v, "data.message.sender")) {
        e.actor_user_mut().email = Some(sender);
    }
    if let Some(h) =
        text(v, "data.message.canonical_id").filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        // The hash of the message's content, as Sublime names the message across mailboxes.
        e.file_mut().hashes = Some(format!("SHA256={h}"));
    }
    Ok(())
}

/// An audit event: API Activity by the console user.
fn audit(v: &Value, t: &str, time: i64, d: &mut Draft) -> Result<(), DecodeError> {
    let e = d.start(OcsfClass::ApiActivity, api_activity(t), time, "Sublime Platform", "Sublime Security");
    e.metadata.log_name = Some("audit".into());
    e.metadata.event_code = Some(t.to_string());
    e.metadata.original_uid = text(v, "id");
    e.status = Some(Status::Success);
    if let Some(by) = get(v, "created_by").filter(|c| c.is_object()) {
        let email = text(by, "email_address");
        let full = match (text(by, "first_name"), text(by, "last_name")) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (f, l) => f.or(l),
        };
        let u = e.actor_user_mut();
        u.name = email.clone().or(full);
        u.email = email;
        u.uid = text(by, "id");
        u.r#type = text(by, "role").map(|r| if r.eq_ignore_ascii_case("admin") { "Admin".into() } else { r });
    }
    if let Some(ip) = text(v, "data.request.ip") {
        e.src_mut().ip = Some(ip);
    }
    let path = text(v, "data.request.path");
    let method = text(v, "data.request.method");
    let ua = text(v, "data.request.user_agent");
    if path.is_some() || method.is_some() || ua.is_some() {
        let h = e.http.get_or_insert_with(Default::default);
        h.url = path;
        h.method = method;
        h.user_agent = ua;
    }
    if let Some(auth) = text(v, "data.request.authentication_method") {
        e.auth_mut().protocol = Some(auth);
    }
    let a = e.api_mut();
    a.service = Some("sublime".into());
    a.operation = Some(t.to_string());
    a.request_uid = text(v, "data.request.id");
    a.request_data = text(v, "data.request.body").map(|b| b.chars().take(4096).collect());
    Ok(())
}

/// The API activity an audit type names by its verb (`rules.delete`, `message_source.create`).
fn api_activity(t: &str) -> u32 {
    let verb = t.rsplit('.').next().unwrap_or(t).to_ascii_lowercase();
    if verb.starts_with("create") || verb.starts_with("add") || verb.starts_with("activate") {
        api::CREATE
    } else if verb.starts_with("delete") || verb.starts_with("remove") || verb.starts_with("deactivate") {
        api::DELETE
    } else if verb.starts_with("update") || verb.starts_with("edit") || verb.starts_with("set") {
        api::UPDATE
    } else if verb.starts_with("get") || verb.starts_with("list") || verb.starts_with("view") {
        api::READ
    } else {
        api::OTHER
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decoded(v: &Value) -> vigil_model::Event {
        crate::decoded_by(&Sublime, v)
    }

    #[test]
    fn a_flagged_message_is_a_finding_titled_by_its_rules() {
        let v: Value = serde_json::from_str(Sublime.sample()).unwrap();
        assert!(looks_like(&v));
        let f = finding(&v).unwrap();
        assert!(f.open);
        assert_eq!(f.level, Level::High);
        assert_eq!(
            f.title,
            "Credential phishing: Engaging language and other indicators (untrusted sender); Attachment: HTML smuggling with unescape"
        );
        assert_eq!(f.rule_id, "sublime:Credential phishing: Engaging language and other indicators (untrusted sender)");
        assert_eq!(f.uid.as_deref(), Some("019224ec-aba6-763d-bb2e-cd4cbd40a29f"));
        assert_eq!(f.tags, vec!["attack.initial-access", "attack.t1566"]);
        let e = decoded(&v);
        assert_eq!(e.class, OcsfClass::EmailActivity);
        assert_eq!(e.severity, Severity::High);
        assert_eq!(e.user.as_ref().unwrap().email.as_deref(), Some("ann@acme.example"));
        assert!(e.file.as_ref().unwrap().hashes.as_deref().unwrap().starts_with("SHA256=fb8b46"));
    }

    #[test]
    fn severities_order_the_rules_and_a_verdict_alone_is_a_finding() {
        let mut v: Value = serde_json::from_str(Sublime.sample()).unwrap();
        v["data"]["flagged_rules"] = json!([{"name": "a", "severity": "low"}, {"name": "b", "severity": "critical"}, {"name": "c"}, {"name": "d"}]);
        let f = finding(&v).unwrap();
        assert_eq!(f.level, Level::Critical);
        assert_eq!(f.title, "b; c; d and 1 more");
        v["data"]["flagged_rules"] = json!([]);
        assert!(finding(&v).is_none());
        v["data"]["attack_score_verdict"] = json!("malicious");
        let f = finding(&v).unwrap();
        assert_eq!((f.level, f.rule_id.as_str()), (Level::High, "sublime:attack_score"));
        v["data"]["attack_score_verdict"] = json!("benign");
        assert!(finding(&v).is_none());
    }

    #[test]
    fn audit_events_are_api_activity_and_no_finding() {
        let v = json!({"id": "084732e5", "created_at": "2024-09-09 19:33:34.237078000", "type": "rules.delete",
            "created_by": {"email_address": "john.doe@acme.example", "first_name": "John", "last_name": "Doe", "id": "cd3a", "role": "admin", "is_enrolled": true},
            "data": {"request": {"authentication_method": "user_session", "ip": "192.0.2.7", "method": "DELETE", "path": "/v1/rules/42", "id": "r1", "body": "{}"}}});
        assert!(looks_like(&v));
        assert!(finding(&v).is_none());
        let e = decoded(&v);
        assert_eq!(e.class, OcsfClass::ApiActivity);
        assert_eq!(e.activity_id, api::DELETE);
        assert_eq!(e.actor.user.as_ref().unwrap().email.as_deref(), Some("john.doe@acme.example"));
        assert_eq!(e.actor.user.as_ref().unwrap().r#type.as_deref(), Some("Admin"));
        assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("192.0.2.7"));
        assert_eq!(e.http.as_ref().unwrap().url.as_deref(), Some("/v1/rules/42"));
        assert_eq!(e.api.as_ref().unwrap().operation.as_deref(), Some("rules.delete"));
    }

    #[test]
    fn damaged_and_hostile_records_are_refused_naming_why() {
        for (v, why) in [
            (json!("x"), "not a Sublime Security event"),
            (json!({"created_at": "2024-01-01 00:00:00"}), "missing required field 'type'"),
            (json!({"type": 3, "created_at": "2024-01-01 00:00:00"}), "'type'"),
            (json!({"type": "rules.delete"}), "no usable timestamp"),
            (json!({"type": "rules.delete", "created_at": "whenever"}), "'created_at'"),
            (json!({"type": "message.flagged", "created_at": "2024-01-01 00:00:00", "data": {}}), "'data.message'"),
            (
                json!({"type": "message.flagged", "created_at": "2024-01-01 00:00:00", "data": {"message": {}, "flagged_rules": "all"}}),
                "'data.flagged_rules'",
            ),
        ] {
            let e = head(&v).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(why), "{v}: {e:?}");
            assert!(finding(&v).is_none());
        }
        // Rules that are not objects are skipped; a huge body is cut.
        let v = json!({"type": "message.flagged", "created_at": "2024-01-01 00:00:00", "data": {"message": {"id": "m"}, "flagged_rules": [1, null, {"name": "r", "severity": "bogus"}]}});
        assert_eq!(finding(&v).unwrap().level, Level::Medium);
        let v = json!({"type": "x.update", "created_at": "2024-01-01 00:00:00", "data": {"request": {"authentication_method": "api_key", "body": "b".repeat(10_000)}}});
        assert_eq!(decoded(&v).api.unwrap().request_data.unwrap().len(), 4096);
    }
}

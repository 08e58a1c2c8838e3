//! Proofpoint Targeted Attack Protection (TAP) to OCSF: the SIEM API's message and click events.
//!
//! The SIEM API (`GET /v2/siem/all`, and its `messages/…` and `clicks/…` siblings) returns four
//! arrays; each of their items is one record here, one per line, as collectors and Panther's
//! `Proofpoint.Event` store them:
//!
//! - **Messages** (`messagesDelivered`, `messagesBlocked`): `messageTime`, `GUID`, `messageID`,
//!   `sender`, `senderIP`, `fromAddress`, `headerFrom`, `recipient`, `toAddresses`, `subject`,
//!   `spamScore`, `phishScore`, `malwareScore`, `impostorScore` (0–100), `quarantineFolder`,
//!   `quarantineRule`, `modulesRun`, and `threatsInfoMap`: one item per threat, with
//!   `threatType` (`url`, `attachment`, `message`), `classification` (`malware`, `phish`,
//!   `spam`, `impostor`), `threatStatus` (`active`, `cleared`, `falsePositive`), `threat` (the
//!   URL, the file name or the message), `threatID`, `threatUrl` and `campaignID`. They become
//!   Email Activity (4009): the sender on the actor, the first recipient as the user, the sender
//!   IP as the source, the subject as the message, the GUID (else the message id) as the
//!   record's id, the first attachment threat as the file and the first URL threat as the URL;
//!   the disposition, quarantine folder and rule, scores and threats are written in the status
//!   detail.
//! - **Clicks** (`clicksPermitted`, `clicksBlocked`): `clickTime`, `url`, `clickIP`,
//!   `userAgent`, `recipient`, `sender`, `senderIP`, `classification`, `threatStatus`,
//!   `threatID`, `threatURL`, `campaignId`, `GUID`, `id`, `messageID`. They become HTTP Activity
//!   (4002, a `GET` of the URL by the recipient from the click address).
//!
//! Which array a record came from is read from an `eventType` (or `type`) field naming it, where
//! the collector kept one. Without it, a message with a quarantine folder was blocked (the API
//! gives the folder only for blocked messages) and one without was delivered; a click, whose two
//! arrays have the same fields, is taken as permitted, so a click on a live threat is never
//! left untriaged.
//!
//! A **delivered** message or a **permitted** click with a threat whose `threatStatus` is
//! `active` states a [`Finding`] the detection engine raises as a vendor alert: those reached
//! the user. Its level is the worst active threat's classification (malware, phish and impostor
//! high; spam low, raised to medium or high when the phish, malware or impostor score is 50 or
//! 90 and over), its confidence the classification's score. Messages are tagged
//! `attack.initial-access` and `attack.t1566` (`.001` for attachments, `.002` for links), clicks
//! `attack.execution` and `attack.t1204` (`.001`). A delivered message whose threats were all
//! cleared states a closed finding, kept as an event. Blocked messages and clicks state none:
//! Proofpoint already stopped them, and they are kept as events (with the threat's level as
//! their severity) for hunting and context. A record that is not an object, has no readable
//! time, a click with no URL, a `threatsInfoMap` that is not a list, or an `eventType` that
//! names the other kind of record is quarantined naming why.

use serde_json::Value;
use vigil_model::{Level, OcsfClass, Severity, Status};

use crate::generic::kind;
use crate::json::{as_int, as_text, get, text};
use crate::{DecodeError, Decoder, Draft, Finding, LogSource};

pub const FAMILY: &str = "proofpoint";

/// At most this many threats of one message are read (the rest are ignored).
const MAX_THREATS: usize = 64;

/// Proofpoint TAP SIEM API events.
pub struct Proofpoint;

impl Decoder for Proofpoint {
    fn name(&self) -> &'static str {
        "proofpoint"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["proofpoint-tap", "tap"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Proofpoint TAP SIEM API events (messages delivered and blocked, clicks permitted and blocked)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        log_type.starts_with("Proofpoint.")
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[OcsfClass::EmailActivity, OcsfClass::HttpActivity]
    }
    /// No SigmaHQ rule is written for TAP's events; a team's own rules name `proofpoint` / `tap`.
    fn logsource(&self) -> LogSource {
        LogSource::fixed("proofpoint", "tap")
    }
    fn finding(&self, record: &Value) -> Option<Finding> {
        finding(record)
    }
    fn sample(&self) -> &'static str {
        r#"{"GUID":"c26dbea0-80d5-463b-b93c-4e8b708219ce","QID":"r2FNwRHF004109","messageTime":"2024-05-29T16:20:01.000Z","messageID":"<20240529162001.4242@paypa1-secure.example>","sender":"support@paypa1-secure.example","senderIP":"192.0.2.150","fromAddress":["support@paypa1-secure.example"],"headerFrom":"PayPal Support <support@paypa1-secure.example>","recipient":["ann@acme.example"],"toAddresses":["ann@acme.example"],"subject":"Verify your account now","spamScore":20,"phishScore":95,"malwareScore":0,"impostorScore":10,"quarantineFolder":null,"quarantineRule":null,"modulesRun":["urldefense","spam","dmarc"],"threatsInfoMap":[{"threatType":"url","classification":"phish","threatStatus":"active","threat":"http://paypa1-verify.example/login","threatID":"b4b2ac5e8a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80912","threatUrl":"https://threatinsight.proofpoint.com/threat/email/b4b2ac5e","campaignID":"46e01b8a-0e67-4464-ac5a-b87ad4cc1f2a"}]}"#
    }
}

/// Which of the SIEM API's arrays a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    MessageDelivered,
    MessageBlocked,
    ClickPermitted,
    ClickBlocked,
}

impl Disposition {
    fn is_click(self) -> bool {
        matches!(self, Disposition::ClickPermitted | Disposition::ClickBlocked)
    }
    /// Whether the threat reached the user: a delivered message or a permitted click.
    fn reached_user(self) -> bool {
        matches!(self, Disposition::MessageDelivered | Disposition::ClickPermitted)
    }
    fn array(self) -> &'static str {
        match self {
            Disposition::MessageDelivered => "messagesDelivered",
            Disposition::MessageBlocked => "messagesBlocked",
            Disposition::ClickPermitted => "clicksPermitted",
            Disposition::ClickBlocked => "clicksBlocked",
        }
    }
}

/// Keys only TAP writes: a message's `threatsInfoMap`, or its `messageTime` beside one of its
/// four scores; a click's `clickTime` beside its `clickIP` or `threatID`.
pub fn looks_like(v: &Value) -> bool {
    let has = |k: &str| v.get(k).is_some();
    has("threatsInfoMap")
        || (has("messageTime") && ["impostorScore", "phishScore", "malwareScore", "spamScore"].iter().any(|k| has(k)))
        || (has("clickTime") && (has("clickIP") || has("threatID")))
}

/// The disposition and time of a record, or why it cannot be read.
fn head(v: &Value) -> Result<(Disposition, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not a Proofpoint TAP event", kind(v))));
    }
    let click = v.get("clickTime").is_some() || (v.get("url").is_some() && v.get("messageTime").is_none());
    let named = ["eventType", "type"].iter().find_map(|k| v.get(*k).map(|x| (*k, x)));
    let named = match named {
        None | Some((_, Value::Null)) => None,
        Some((k, Value::String(s))) => match s.to_ascii_lowercase().as_str() {
            "messagesdelivered" | "message_delivered" | "delivered" => Some(Disposition::MessageDelivered),
            "messagesblocked" | "message_blocked" => Some(Disposition::MessageBlocked),
            "clickspermitted" | "click_permitted" => Some(Disposition::ClickPermitted),
            "clicksblocked" | "click_blocked" => Some(Disposition::ClickBlocked),
            _ => return Err(DecodeError::bad(k, s)),
        },
        Some((k, other)) => return Err(DecodeError::bad(k, &other.to_string())),
    };
    if let Some(d) = named
        && d.is_click() != click
    {
        return Err(DecodeError::Unrecognized(format!(
            "eventType {} names a {} but the record is a {}",
            d.array(),
            if d.is_click() { "click" } else { "message" },
            if click { "click" } else { "message" }
        )));
    }
    if click {
        let t = crate::time_of(v, &["clickTime", "threatTime", "p_event_time"])?;
        match v.get("url") {
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            None | Some(Value::Null) => return Err(DecodeError::missing("url")),
            Some(other) => return Err(DecodeError::bad("url", &other.to_string())),
        }
        return Ok((named.unwrap_or(Disposition::ClickPermitted), t));
    }
    let t = crate::time_of(v, &["messageTime", "p_event_time"])?;
    match v.get("threatsInfoMap") {
        None | Some(Value::Null) | Some(Value::Array(_)) => {}
        Some(other) => return Err(DecodeError::bad("threatsInfoMap", &other.to_string())),
    }
    let blocked = text(v, "quarantineFolder").is_some();
    let d = named.unwrap_or(if blocked { Disposition::MessageBlocked } else { Disposition::MessageDelivered });
    Ok((d, t))
}

/// One threat of a message, or the click's own.
#[derive(Debug, Clone)]
struct Threat {
    kind: String,
    classification: String,
    active: bool,
    threat: Option<String>,
    id: Option<String>,
    link: Option<String>,
}

fn threats(v: &Value, click: bool) -> Vec<Threat> {
    let read = |t: &Value, kind: Option<&str>| Threat {
        kind: kind.map(str::to_string).or_else(|| text(t, "threatType")).unwrap_or_default().to_ascii_lowercase(),
        classification: text(t, "classification").unwrap_or_default().to_ascii_lowercase(),
        active: text(t, "threatStatus").is_some_and(|s| s.eq_ignore_ascii_case("active")),
        threat: text(t, "threat").or_else(|| if click { text(t, "url") } else { None }),
        id: text(t, "threatID"),
        link: text(t, "threatUrl").or_else(|| text(t, "threatURL")),
    };
    if click {
        return vec![read(v, Some("url"))];
    }
    match v.get("threatsInfoMap") {
        Some(Value::Array(items)) => {
            items.iter().filter(|t| t.is_object()).take(MAX_THREATS).map(|t| read(t, None)).collect()
        }
        _ => Vec::new(),
    }
}

fn score(v: &Value, key: &str) -> Option<i64> {
    get(v, key).and_then(as_int).map(|n| n.clamp(0, 100))
}

/// The score TAP gives for a classification.
fn score_of(v: &Value, classification: &str) -> Option<i64> {
    match classification {
        "malware" => score(v, "malwareScore"),
        "phish" => score(v, "phishScore"),
        "impostor" => score(v, "impostorScore"),
        "spam" => score(v, "spamScore"),
        _ => None,
    }
}

/// A classification's level: malware, phish and impostor high, spam low, anything else medium;
/// raised by a phish, malware or impostor score of 50 (medium) or 90 (high) and over.
fn level_of(v: &Value, classification: &str) -> Level {
    let base = match classification {
        "malware" | "phish" | "impostor" => Level::High,
        "spam" => Level::Low,
        _ => Level::Medium,
    };
    let worst = ["phishScore", "malwareScore", "impostorScore"].iter().filter_map(|k| score(v, k)).max().unwrap_or(0);
    let by_score = match worst {
        90.. => Level::High,
        50.. => Level::Medium,
        _ => Level::Informational,
    };
    base.max(by_score)
}

/// The worst of the threats (the first of equal level), with its level.
fn worst<'t>(v: &Value, ts: impl Iterator<Item = &'t Threat>) -> Option<(&'t Threat, Level)> {
    let mut best: Option<(&Threat, Level)> = None;
    for t in ts {
        let l = level_of(v, &t.classification);
        if best.is_none_or(|(_, b)| l > b) {
            best = Some((t, l));
        }
    }
    best
}

/// The alert a delivered message or a permitted click states; `None` for blocked ones and for
/// records without threats.
pub fn finding(v: &Value) -> Option<Finding> {
    let (disp, _) = head(v).ok()?;
    if !disp.reached_user() {
        return None;
    }
    let click = disp.is_click();
    let ts = threats(v, click);
    let active: Vec<&Threat> = ts.iter().filter(|t| t.active).collect();
    let open = !active.is_empty();
    // A delivered message whose threats are all cleared: a closed finding.
    let (top, level) = if open { worst(v, active.iter().copied())? } else { worst(v, ts.iter())? };
    let class = if top.classification.is_empty() { "threat".to_string() } else { top.classification.clone() };
    let listed: Vec<&Threat> = if open { active } else { ts.iter().collect() };
    let mut tags = Vec::new();
    let (title, rule) = if click {
        tags.extend(["attack.execution", "attack.t1204", "attack.t1204.001"].map(str::to_string));
        let url = top.threat.clone().unwrap_or_default();
        (format!("Permitted click on a {class} URL: {url}"), format!("proofpoint:click-permitted-{class}"))
    } else {
        if listed.iter().any(|t| t.classification != "spam") {
            tags.extend(["attack.initial-access", "attack.t1566"].map(str::to_string));
            if listed.iter().any(|t| t.kind == "attachment") {
                tags.push("attack.t1566.001".into());
            }
            if listed.iter().any(|t| t.kind == "url") {
                tags.push("attack.t1566.002".into());
            }
        }
        let subject = text(v, "subject").unwrap_or_else(|| "(no subject)".into());
        (format!("Delivered {class} message: {subject}"), format!("proofpoint:message-delivered-{class}"))
    };
    let described: Vec<String> = listed
        .iter()
        .take(8)
        .map(|t| {
            let what = t.threat.as_deref().unwrap_or("(unnamed)");
            let kind = if t.kind.is_empty() { "threat" } else { t.kind.as_str() };
            format!(
                "{} {kind} {what}",
                if t.classification.is_empty() { "unclassified" } else { t.classification.as_str() }
            )
        })
        .collect();
    let who = if click { text(v, "recipient").or_else(|| first_of(v, "recipient")) } else { first_of(v, "recipient") };
    let mut description =
        format!("Proofpoint TAP {}", if click { "permitted the click" } else { "delivered the message" });
    if let Some(who) = who {
        description.push_str(&format!(" to {who}"));
    }
    if let Some(from) = text(v, "sender") {
        description.push_str(&format!(" from {from}"));
    }
    description.push_str(&format!("; threats: {}", described.join("; ")));
    Some(Finding {
        product: "Proofpoint TAP".into(),
        rule_id: rule,
        title,
        description: Some(description),
        level,
        uid: text(v, "GUID").or_else(|| text(v, "id")).or_else(|| text(v, "messageID")),
        open,
        tags,
        confidence: score_of(v, &top.classification).and_then(|s| u8::try_from(s).ok()),
        link: top.link.clone(),
    })
}

/// The first item of a list field, or the field itself when it is text.
fn first_of(v: &Value, key: &str) -> Option<String> {
    match get(v, key) {
        Some(Value::Array(items)) => items.iter().find_map(as_text),
        Some(x) => as_text(x),
        None => None,
    }
}

/// The items of a list field (or the one text value), at most 64.
fn all_of(v: &Value, key: &str) -> Vec<String> {
    match get(v, key) {
        Some(Value::Array(items)) => items.iter().take(64).filter_map(as_text).collect(),
        Some(x) => as_text(x).into_iter().collect(),
        None => Vec::new(),
    }
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (disp, time) = head(v)?;
    let click = disp.is_click();
    let ts = threats(v, click);
    let f = finding(v);
    // The severity: the finding's level where it states one; else (blocked records) the worst
    // active threat's.
    let level = f
        .as_ref()
        .filter(|f| f.open)
        .map(|f| f.level)
        .or_else(|| worst(v, ts.iter().filter(|t| t.active)).map(|(_, l)| l));
    let (class, activity) = if click {
        (OcsfClass::HttpActivity, 3)
    } else {
        (OcsfClass::EmailActivity, if disp == Disposition::MessageDelivered { 2 } else { 3 })
    };
    let e = d.start(class, activity, time, "TAP", "Proofpoint");
    e.metadata.log_name = Some(disp.array().to_string());
    e.metadata.event_code = Some(disp.array().to_string());
    e.metadata.original_uid = if click {
        text(v, "id").or_else(|| text(v, "GUID"))
    } else {
        text(v, "GUID").or_else(|| text(v, "messageID"))
    };
    e.severity = level.map_or(Severity::Informational, Level::event_severity);
    e.status = Some(if disp.reached_user() { Status::Success } else { Status::Failure });
    let mut detail = vec![match disp {
        Disposition::MessageDelivered => "delivered".to_string(),
        Disposition::ClickPermitted => "permitted".to_string(),
        Disposition::MessageBlocked | Disposition::ClickBlocked => "blocked".to_string(),
    }];
    if let Some(folder) = text(v, "quarantineFolder") {
        let rule = text(v, "quarantineRule").map(|r| format!(" (rule {r})")).unwrap_or_default();
        detail.push(format!("quarantined to {folder}{rule}"));
    }
    let scores: Vec<String> =
        [("phish", "phishScore"), ("malware", "malwareScore"), ("spam", "spamScore"), ("impostor", "impostorScore")]
            .iter()
            .filter_map(|(n, k)| score(v, k).map(|s| format!("{n} {s}")))
            .collect();
    if !scores.is_empty() {
        detail.push(format!("scores: {}", scores.join(", ")));
    }
    let listed: Vec<String> = ts
        .iter()
        .take(8)
        .filter(|t| t.threat.is_some() || !t.classification.is_empty())
        .map(|t| {
            format!(
                "{} {} {} ({})",
                if t.classification.is_empty() { "unclassified" } else { t.classification.as_str() },
                if t.kind.is_empty() { "threat" } else { t.kind.as_str() },
                t.threat.as_deref().unwrap_or("(unnamed)"),
                if t.active { "active" } else { "not active" }
            )
        })
        .collect();
    if !listed.is_empty() {
        detail.push(format!("threats: {}", listed.join("; ")));
    }
    if let Some(campaign) = threat_campaign(v, click) {
        detail.push(format!("campaign {campaign}"));
    }
    e.status_detail = Some(detail.join("; "));
    let sender = text(v, "sender").or_else(|| first_of(v, "fromAddress"));
    if let Some(ip) = text(v, if click { "clickIP" } else { "senderIP" }) {
        e.src_mut().ip = Some(ip);
    }
    if click {
        // The recipient clicked: the actor.
        if let Some(who) = first_of(v, "recipient") {
            let u = e.actor_user_mut();
            u.email = who.contains('@').then(|| who.clone());
            u.name = Some(who);
        }
        let url = text(v, "url");
        e.message = Some(format!(
            "{} click on {}",
            if disp.reached_user() { "Permitted" } else { "Blocked" },
            url.as_deref().unwrap_or("a URL")
        ));
        let h = e.http.get_or_insert_with(Default::default);
        h.method = Some("GET".into());
        h.url = url;
        h.user_agent = text(v, "userAgent");
        return Ok(());
    }
    e.message = text(v, "subject");
    if let Some(from) = sender {
        let u = e.actor_user_mut();
        u.email = Some(from.clone());
        u.name = text(v, "headerFrom").or(Some(from));
    }
    let rcpt = {
        let mut r = all_of(v, "recipient");
        if r.is_empty() {
            r = all_of(v, "toAddresses");
        }
        r
    };
    if let Some(first) = rcpt.first() {
        let u = e.user_mut();
        u.email = Some(first.clone());
        u.name = Some(first.clone());
    }
    if let Some(att) = ts.iter().find(|t| t.kind == "attachment" && t.threat.is_some()) {
        let fi = e.file_mut();
        fi.name = att.threat.clone();
        fi.path = att.threat.clone();
        fi.hashes = att.id.as_deref().and_then(sha256);
    }
    if let Some(url) = ts.iter().find(|t| t.kind == "url" && t.threat.is_some()) {
        e.http.get_or_insert_with(Default::default).url = url.threat.clone();
    }
    if let Some(size) = get(v, "messageSize").and_then(as_int) {
        e.traffic.get_or_insert_with(Default::default).bytes_in = Some(size);
    }
    Ok(())
}

/// The campaign a record's threats belong to, where TAP names one.
fn threat_campaign(v: &Value, click: bool) -> Option<String> {
    if click {
        return text(v, "campaignId").or_else(|| text(v, "campaignID"));
    }
    match v.get("threatsInfoMap") {
        Some(Value::Array(items)) => items.iter().take(MAX_THREATS).find_map(|t| text(t, "campaignID")),
        _ => None,
    }
}

/// `SHA256=…` for a threat id that is a SHA-256 (TAP's attachment threat ids are).
fn sha256(id: &str) -> Option<String> {
    (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("SHA256={}", id.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decoded(v: &Value) -> vigil_model::Event {
        crate::decoded_by(&Proofpoint, v)
    }

    fn sample() -> Value {
        serde_json::from_str(Proofpoint.sample()).unwrap()
    }

    #[test]
    fn a_delivered_phish_is_an_open_finding_and_email_activity() {
        let v = sample();
        assert!(looks_like(&v));
        let f = finding(&v).unwrap();
        assert!(f.open);
        assert_eq!(f.level, Level::High);
        assert_eq!(f.rule_id, "proofpoint:message-delivered-phish");
        assert_eq!(f.title, "Delivered phish message: Verify your account now");
        assert_eq!(f.confidence, Some(95));
        assert_eq!(f.tags, vec!["attack.initial-access", "attack.t1566", "attack.t1566.002"]);
        assert_eq!(f.uid.as_deref(), Some("c26dbea0-80d5-463b-b93c-4e8b708219ce"));
        assert!(f.link.is_some());
        let e = decoded(&v);
        assert_eq!(e.class, OcsfClass::EmailActivity);
        assert_eq!(e.severity, Severity::High);
        assert_eq!(e.status, Some(Status::Success));
        assert_eq!(e.message.as_deref(), Some("Verify your account now"));
        assert_eq!(e.actor.user.as_ref().unwrap().email.as_deref(), Some("support@paypa1-secure.example"));
        assert_eq!(e.user.as_ref().unwrap().email.as_deref(), Some("ann@acme.example"));
        assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("192.0.2.150"));
        assert_eq!(e.http.as_ref().unwrap().url.as_deref(), Some("http://paypa1-verify.example/login"));
        let detail = e.status_detail.unwrap();
        assert!(detail.starts_with("delivered; scores: phish 95"), "{detail}");
        assert!(detail.contains("campaign 46e01b8a"), "{detail}");
    }

    #[test]
    fn a_blocked_message_is_an_event_with_its_quarantine_but_no_finding() {
        let mut v = sample();
        v["quarantineFolder"] = json!("Phish");
        v["quarantineRule"] = json!("phish");
        assert!(finding(&v).is_none());
        let e = decoded(&v);
        assert_eq!(e.metadata.event_code.as_deref(), Some("messagesBlocked"));
        assert_eq!(e.status, Some(Status::Failure));
        assert_eq!(e.severity, Severity::High);
        assert!(e.status_detail.unwrap().starts_with("blocked; quarantined to Phish (rule phish)"));
        // The array the collector names wins over the folder.
        v["eventType"] = json!("messagesDelivered");
        assert!(finding(&v).unwrap().open);
    }

    #[test]
    fn cleared_threats_and_spam() {
        let mut v = sample();
        v["threatsInfoMap"][0]["threatStatus"] = json!("cleared");
        let f = finding(&v).unwrap();
        assert!(!f.open);
        let mut v = sample();
        v["threatsInfoMap"] =
            json!([{"threatType": "message", "classification": "spam", "threatStatus": "active", "threat": "x"}]);
        v["phishScore"] = json!(0);
        v["impostorScore"] = json!(0);
        let f = finding(&v).unwrap();
        assert_eq!(f.level, Level::Low);
        assert!(f.tags.is_empty());
        v["malwareScore"] = json!(60);
        assert_eq!(finding(&v).unwrap().level, Level::Medium);
        v.as_object_mut().unwrap().remove("threatsInfoMap");
        assert!(finding(&v).is_none(), "no threat, no finding");
    }

    #[test]
    fn clicks_are_http_activity_and_permitted_ones_findings() {
        let mut v = json!({"id": "a5c9f8bb-4bd2-4d0b-9a7f-d2f7c2bd4b88", "GUID": "c26dbea0", "clickTime": "2024-05-29T16:30:00.000Z",
            "threatTime": "2024-05-29T16:29:00.000Z", "url": "http://paypa1-verify.example/login", "clickIP": "10.1.2.42",
            "userAgent": "Mozilla/5.0", "recipient": "ann@acme.example", "sender": "support@paypa1-secure.example",
            "senderIP": "192.0.2.150", "classification": "phish", "threatStatus": "active",
            "threatID": "b4b2ac5e8a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80912", "threatURL": "https://threatinsight.proofpoint.com/x"});
        assert!(looks_like(&v));
        let f = finding(&v).unwrap();
        assert!(f.open);
        assert_eq!(f.rule_id, "proofpoint:click-permitted-phish");
        assert_eq!(f.tags, vec!["attack.execution", "attack.t1204", "attack.t1204.001"]);
        assert_eq!(f.uid.as_deref(), Some("c26dbea0"));
        let e = decoded(&v);
        assert_eq!(e.class, OcsfClass::HttpActivity);
        assert_eq!(e.actor.user.as_ref().unwrap().email.as_deref(), Some("ann@acme.example"));
        assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("10.1.2.42"));
        assert_eq!(e.http.as_ref().unwrap().url.as_deref(), Some("http://paypa1-verify.example/login"));
        v["eventType"] = json!("clicksBlocked");
        assert!(finding(&v).is_none());
        assert_eq!(decoded(&v).status, Some(Status::Failure));
    }

    #[test]
    fn damaged_and_hostile_records_are_refused_naming_why() {
        for (v, why) in [
            (json!([1]), "not a Proofpoint TAP event"),
            (json!({"threatsInfoMap": []}), "no usable timestamp"),
            (json!({"messageTime": "soon", "spamScore": 1}), "messageTime"),
            (json!({"messageTime": "2024-01-01T00:00:00Z", "threatsInfoMap": {"a": 1}}), "threatsInfoMap"),
            (json!({"clickTime": "2024-01-01T00:00:00Z", "clickIP": "1.2.3.4"}), "missing required field 'url'"),
            (json!({"clickTime": "2024-01-01T00:00:00Z", "clickIP": "1.2.3.4", "url": 7}), "'url'"),
            (
                json!({"messageTime": "2024-01-01T00:00:00Z", "spamScore": 1, "eventType": "clicksBlocked"}),
                "names a click",
            ),
            (json!({"messageTime": "2024-01-01T00:00:00Z", "spamScore": 1, "eventType": "bogus"}), "'eventType'"),
            (json!({"messageTime": "2024-01-01T00:00:00Z", "spamScore": 1, "eventType": ["x"]}), "'eventType'"),
        ] {
            let e = head(&v).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(why), "{v}: {e:?}");
            assert!(finding(&v).is_none());
        }
        // Threats that are not objects and absurd scores are tolerated, not trusted.
        let v = json!({"messageTime": "2024-01-01T00:00:00Z", "phishScore": 1e300, "malwareScore": -5,
            "threatsInfoMap": [1, "x", null, {"classification": "malware", "threatStatus": "active", "threatType": "attachment", "threat": "a.exe", "threatID": "zz"}]});
        let f = finding(&v).unwrap();
        assert_eq!(f.level, Level::High);
        assert_eq!(f.tags, vec!["attack.initial-access", "attack.t1566", "attack.t1566.001"]);
        let e = decoded(&v);
        assert_eq!(e.file.as_ref().unwrap().name.as_deref(), Some("a.exe"));
        assert_eq!(e.file.as_ref().unwrap().hashes, None);
    }
}

//! Suricata EVE JSON (`eve.json`: one event per line, or arrays of them) to OCSF.
//!
//! An `alert` is the IDS's own finding: an OCSF Detection Finding whose message is the
//! signature, with the signature's id and revision, category and severity (Suricata's 1 is the
//! most severe) and the flow's endpoints. `dns`, `http`, `tls`, `ssh`, `flow` and the other
//! protocol records are network activity of their kind. Every record keeps its `flow_id`, so
//! an alert and the flow it fired on can be joined in the lake. Each alert also states its
//! [`Finding`], which the detection engine raises as a vendor alert for triage.

use serde_json::Value;
use vigil_model::{Level, OcsfClass, Severity, Status};

use crate::json::{get, text};
use crate::{DecodeError, Decoder, Draft, Finding, LogSource};

pub const FAMILY: &str = "suricata";

/// Suricata's EVE JSON output.
pub struct Suricata;

impl Decoder for Suricata {
    fn name(&self) -> &'static str {
        "suricata"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["suricata-eve", "eve"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Suricata EVE JSON (alerts, dns, http, tls, ssh, flow …)"
    }
    /// An EVE record: its `event_type` and a flow (`flow_id`, or both endpoints' addresses).
    fn recognizes(&self, record: &Value) -> bool {
        record.get("event_type").is_some()
            && record.get("timestamp").is_some()
            && (record.get("flow_id").is_some() || (record.get("src_ip").is_some() && record.get("dest_ip").is_some()))
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        log_type.starts_with("Suricata.")
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[
            OcsfClass::DetectionFinding,
            OcsfClass::NetworkActivity,
            OcsfClass::DnsActivity,
            OcsfClass::HttpActivity,
            OcsfClass::SshActivity,
        ]
    }
    fn logsource(&self) -> LogSource {
        LogSource::fixed("suricata", "eve")
    }
    fn finding(&self, record: &Value) -> Option<Finding> {
        finding(record)
    }
    fn sample(&self) -> &'static str {
        r#"{"timestamp":"2018-03-24T14:37:19.037299-0600","flow_id":928532049924531,"event_type":"alert","src_ip":"203.0.113.9","src_port":26078,"dest_ip":"10.47.8.150","dest_port":22,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2001219,"rev":20,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak","severity":2}}"#
    }
}

/// An `alert` record's signature hit as a finding: the signature as its title, Suricata's
/// severity (1 high, 2 medium, 3 low, beyond that informational), the ATT&CK tactic and
/// technique in the rule's metadata (Emerging Threats writes `mitre_tactic_name`,
/// `mitre_technique_id`), and one alert per signature and flow however often it fires on it.
pub fn finding(v: &Value) -> Option<Finding> {
    // Most of an EVE stream is flows and protocol records: they are passed over before the time
    // is read.
    if v.get("event_type").and_then(Value::as_str) != Some("alert") {
        return None;
    }
    head(v).ok()?;
    let sid = int(v, "alert.signature_id");
    let title = text(v, "alert.signature").unwrap_or_else(|| "Suricata alert".into());
    let level = match int(v, "alert.severity") {
        Some(1) => Level::High,
        Some(2) => Level::Medium,
        Some(3) => Level::Low,
        _ => Level::Informational,
    };
    let mut tags = Vec::new();
    let list = |k: &str| match get(v, k) {
        Some(Value::Array(a)) => a.iter().take(16).filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    };
    tags.extend(list("alert.metadata.mitre_tactic_name").iter().filter_map(|t| Finding::tactic_tag(t)));
    tags.extend(list("alert.metadata.mitre_technique_id").iter().filter_map(|t| Finding::technique_tag(t)));
    tags.dedup();
    let flow = int(v, "flow_id");
    Some(Finding {
        product: "Suricata".into(),
        rule_id: match sid {
            Some(sid) => format!("suricata:{sid}"),
            None => format!("suricata:{title}"),
        },
        description: text(v, "alert.category"),
        title,
        level,
        uid: flow.map(|f| format!("flow {f} signature {}", sid.unwrap_or_default())),
        open: true,
        tags,
        confidence: None,
        link: None,
    })
}

/// What a record cannot do without: an object with its event type and its time.
fn head(v: &Value) -> Result<(String, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized("a Suricata EVE record is a JSON object".into()));
    }
    let kind = match v.get("event_type") {
        Some(Value::String(k)) if !k.trim().is_empty() => k.clone(),
        None | Some(Value::Null) => return Err(DecodeError::missing("event_type")),
        Some(other) => return Err(DecodeError::bad("event_type", &other.to_string())),
    };
    Ok((kind, crate::time_of(v, &["timestamp", "flow.start"])?))
}

fn int(v: &Value, key: &str) -> Option<i64> {
    get(v, key).and_then(Value::as_i64)
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (kind, time) = head(v)?;
    let (class, activity) = match kind.as_str() {
        "alert" => (OcsfClass::DetectionFinding, 1),
        "dns" => (OcsfClass::DnsActivity, 2),
        "http" => (OcsfClass::HttpActivity, 99),
        "ssh" => (OcsfClass::SshActivity, 99),
        _ => (OcsfClass::NetworkActivity, 6),
    };
    let e = d.start(class, activity, time, "Suricata", "OISF");
    e.metadata.log_name = Some(kind.clone());
    e.metadata.original_uid = int(v, "flow_id").map(|f| f.to_string());
    if let Some(ip) = text(v, "src_ip") {
        let s = e.src_mut();
        s.ip = Some(ip);
        s.port = int(v, "src_port").and_then(|p| u16::try_from(p).ok());
    }
    if let Some(ip) = text(v, "dest_ip") {
        let t = e.dst_mut();
        t.ip = Some(ip);
        t.port = int(v, "dest_port").and_then(|p| u16::try_from(p).ok());
    }
    if let Some(host) = text(v, "host") {
        e.device_mut().hostname = Some(host);
    }
    let traffic = e.traffic_mut();
    traffic.protocol = text(v, "app_proto").or_else(|| text(v, "proto"));
    traffic.bytes_out = int(v, "flow.bytes_toserver");
    traffic.bytes_in = int(v, "flow.bytes_toclient");
    traffic.state = text(v, "flow.state");
    match kind.as_str() {
        "alert" => {
            e.message = text(v, "alert.signature");
            e.metadata.event_code = int(v, "alert.signature_id").map(|id| match int(v, "alert.rev") {
                Some(rev) => format!("{id}:{rev}"),
                None => id.to_string(),
            });
            e.status_detail = text(v, "alert.category");
            // Suricata's 1 is the most severe; 4 and beyond are informational.
            e.severity = match int(v, "alert.severity") {
                Some(1) => Severity::High,
                Some(2) => Severity::Medium,
                Some(3) => Severity::Low,
                Some(_) => Severity::Informational,
                None => Severity::Unknown,
            };
            e.status = match text(v, "alert.action").as_deref() {
                Some("blocked") => Some(Status::Failure),
                Some("allowed") => Some(Status::Success),
                _ => None,
            };
        }
        "dns" => {
            let dns = e.dns_mut();
            dns.query = text(v, "dns.rrname").or_else(|| text(v, "dns.query.0.rrname"));
            dns.qtype = text(v, "dns.rrtype").or_else(|| text(v, "dns.query.0.rrtype"));
            dns.rcode = text(v, "dns.rcode");
        }
        "http" => {
            let http = e.http_mut();
            http.method = text(v, "http.http_method");
            http.url = match (text(v, "http.hostname"), text(v, "http.url")) {
                (Some(h), Some(u)) => Some(format!("{h}{u}")),
                (h, u) => u.or(h),
            };
            http.status = int(v, "http.status");
            http.user_agent = text(v, "http.http_user_agent");
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod finding_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_alert_is_a_finding_and_other_records_are_not() {
        let v: Value = serde_json::from_str(Suricata.sample()).unwrap();
        let f = finding(&v).unwrap();
        assert_eq!((f.rule_id.as_str(), f.title.as_str()), ("suricata:2001219", "ET SCAN Potential SSH Scan"));
        assert_eq!(f.level, Level::Medium);
        assert_eq!(f.uid.as_deref(), Some("flow 928532049924531 signature 2001219"));
        let mut tagged = v.clone();
        tagged["alert"]["metadata"] =
            json!({"mitre_tactic_name": ["Credential_Access", "Nonsense"], "mitre_technique_id": ["T1110", 5]});
        assert_eq!(finding(&tagged).unwrap().tags, vec!["attack.credential-access", "attack.t1110"]);
        let mut dns = v.clone();
        dns["event_type"] = json!("dns");
        assert!(finding(&dns).is_none());
        assert!(finding(&json!({"event_type": "alert"})).is_none(), "no time: no event, no finding");
    }
}

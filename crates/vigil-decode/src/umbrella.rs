//! Cisco Umbrella DNS logs to OCSF DNS Activity (4003), one record one query, as JSON:
//! - the fields of Umbrella's DNS log under the names Panther stores them with: `timestamp`
//!   (`2020-05-21 19:20:25.000`, UTC), `mostGranularIdentity`, `mostGranularIdentityType`,
//!   `identities`, `identityTypes`, `internalIp`, `externalIp`, `action` (`Allowed`, `Blocked`),
//!   `queryType` (`1 (A)`), `responseCode` (`NOERROR`), `domain` (with its trailing dot),
//!   `categories`, `blockedCategories`;
//! - the same names lower-cased, as the Reports API writes most of them (`internalip`,
//!   `querytype`), with its `verdict` for the action, `returncode` for the response code, an
//!   epoch-millisecond `timestamp`, and identities and categories as objects with a `label`.
//!
//! Umbrella's S3 export writes the same columns as CSV without a header; those lines are not
//! JSON and are not read by this decoder.
//!
//! A query is a query (`dns.query` without the trailing dot, `dns.qtype` the type's name,
//! `dns.rcode`), the internal IP its source endpoint (the external IP when there is no internal
//! one), the most granular identity the user or the device by what it looks like. `Allowed` is
//! a success; `Blocked` a failure of severity low: the record stays activity, not a finding (a
//! block is Umbrella doing its job). The categories are kept in the message.
//!
//! Quarantined, naming the field: a record that is not an object, one without a `domain` text,
//! and one without a readable `timestamp`.

use serde_json::{Map, Value};
use vigil_model::{OcsfClass, Severity, Status};

use crate::generic::kind;
use crate::json::{get, text};
use crate::{DecodeError, Decoder, Draft, LogSource, Service};

pub const FAMILY: &str = "umbrella";

/// Keys tried, in order, for a record's time.
pub const TIME_KEYS: &[&str] = &["timestamp", "datetime", "p_event_time"];

/// OCSF DNS Activity: a query and the response it got.
pub const ACTIVITY_RESPONSE: u32 = 2;

/// Cisco Umbrella DNS logs.
pub struct Umbrella;

impl Decoder for Umbrella {
    fn name(&self) -> &'static str {
        "umbrella"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["cisco-umbrella"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Cisco Umbrella DNS logs (JSON)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        log_type == "CiscoUmbrella.DNS"
    }
    /// Adds the names SigmaHQ's `category: dns` rules are written with: `query` and `QueryName`
    /// (the domain without its trailing dot) and `record_type` (the query type's name), never
    /// over a field the record has.
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
        &[OcsfClass::DnsActivity]
    }
    /// `cisco` / `umbrella`, and the `dns` category: SigmaHQ's generic DNS rules name only the
    /// category and see these records.
    fn logsource(&self) -> LogSource {
        LogSource { product: Some("cisco"), service: Service::Fixed("umbrella"), category: Some("dns") }
    }
    fn sample(&self) -> &'static str {
        r#"{"timestamp":"2024-02-01 15:04:11.000","mostGranularIdentity":"laptop-7","mostGranularIdentityType":"Roaming Computers","identities":"laptop-7,HQ Network","internalIp":"10.1.2.3","externalIp":"203.0.113.7","action":"Allowed","queryType":"1 (A)","responseCode":"NOERROR","domain":"www.example.com.","categories":"Business Services"}"#
    }
}

/// An Umbrella DNS record: a `domain` text beside the internal or external IP (or the
/// identity), and the action, query type or response code.
pub fn looks_like(v: &Value) -> bool {
    let Some(m) = v.as_object() else { return false };
    let has = |k: &str| m.get(k).is_some_and(|x| !x.is_null());
    m.get("domain").is_some_and(Value::is_string)
        && (has("internalIp") || has("externalIp") || has("mostGranularIdentity") || has("internalip"))
        && (has("action") || has("queryType") || has("responseCode") || has("verdict") || has("querytype"))
}

/// What a record cannot do without: being an object, its domain and its time.
fn head(v: &Value) -> Result<(String, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not an Umbrella DNS record", kind(v))));
    }
    let domain = match get(v, "domain") {
        None | Some(Value::Null) => return Err(DecodeError::missing("domain")),
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(other) => return Err(DecodeError::bad("domain", &other.to_string())),
    };
    Ok((domain, crate::time_of(v, TIME_KEYS)?))
}

/// The domain as a query: trimmed, without the trailing dot (the root stays `.`).
pub fn query_name(domain: &str) -> String {
    let d = domain.trim();
    match d.strip_suffix('.') {
        Some(q) if !q.is_empty() => q.to_string(),
        _ => d.to_string(),
    }
}

/// The name of a query type as Umbrella writes it: `1 (A)` → `A`, `A` → `A`, `28` → `28`.
pub fn qtype_name(qtype: &str) -> Option<String> {
    let t = qtype.trim();
    let name = match (t.find('('), t.rfind(')')) {
        (Some(open), Some(close)) if open < close => t[open + 1..close].trim(),
        _ => t,
    };
    (!name.is_empty()).then(|| name.to_string())
}

/// A list field as texts: an array of texts or of objects with a `label`, or a comma-separated text.
fn list(v: &Value, field: &str) -> Vec<String> {
    match get(v, field) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|x| match x {
                Value::Object(_) => text(x, "label"),
                other => crate::json::as_text(other),
            })
            .collect(),
        Some(Value::String(s)) => s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// What an identity names: a user, a device, or neither (a network, a site, a policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    User,
    Device,
    Other,
}

/// Classes an identity by its type when Umbrella gives one, else by how it looks: an address or
/// `DOMAIN\name` is a user, a single word (a host name) a device, anything else neither.
pub fn identity_kind(identity: &str, typ: Option<&str>) -> Identity {
    if let Some(t) = typ.map(str::to_ascii_lowercase) {
        if t.contains("user") {
            return Identity::User;
        }
        if ["computer", "device", "roaming", "anyconnect", "chromebook", "mobile", "host"].iter().any(|w| t.contains(w))
        {
            return Identity::Device;
        }
        return Identity::Other;
    }
    let i = identity.trim();
    if i.contains('@') || i.contains('\\') {
        Identity::User
    } else if !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_') {
        Identity::Device
    } else {
        Identity::Other
    }
}

/// An address in an identity (`Jane Doe (jdoe@example.com)` → `jdoe@example.com`).
fn email_in(identity: &str) -> Option<String> {
    identity
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '<' | '>' | ','))
        .find(|w| w.contains('@') && !w.starts_with('@') && !w.ends_with('@'))
        .map(str::to_string)
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (domain, time) = head(v)?;
    let e = d.start(OcsfClass::DnsActivity, ACTIVITY_RESPONSE, time, "Umbrella DNS", "Cisco");
    e.metadata.log_name = Some("dns".into());
    let action = text(v, "action").or_else(|| text(v, "verdict"));
    e.metadata.event_code = action.clone();
    let lower = action.as_deref().map(str::to_ascii_lowercase);
    let (status, severity) = match lower.as_deref() {
        Some("allowed" | "allow") => (Some(Status::Success), Severity::Informational),
        Some("blocked" | "block") => (Some(Status::Failure), Severity::Low),
        _ => (None, Severity::Informational),
    };
    e.status = status;
    e.severity = severity;
    e.status_detail = action.clone();

    let query = query_name(&domain);
    let categories = list(v, "categories");
    let blocked = list(v, "blockedCategories");
    let mut message = format!("{} {query}", action.as_deref().unwrap_or("Query"));
    if !categories.is_empty() {
        message.push_str(&format!(" (categories: {})", categories.join(", ")));
    }
    if !blocked.is_empty() {
        message.push_str(&format!(" (blocked categories: {})", blocked.join(", ")));
    }
    e.message = Some(message);

    let dns = e.dns_mut();
    dns.query = Some(query);
    dns.qtype = text(v, "queryType").as_deref().and_then(qtype_name);
    dns.rcode = text(v, "responseCode").or_else(|| text(v, "returncode"));

    let internal = text(v, "internalIp");
    let external = text(v, "externalIp");
    if let Some(ip) = internal.clone().or(external) {
        e.src_mut().ip = Some(ip);
    }

    let identities = list(v, "identities");
    let identity = text(v, "mostGranularIdentity").or_else(|| identities.first().cloned());
    if let Some(id) = identity {
        let typ = text(v, "mostGranularIdentityType").or_else(|| list(v, "identityTypes").first().cloned());
        match identity_kind(&id, typ.as_deref()) {
            Identity::User => {
                let u = e.user_mut();
                u.email = email_in(&id);
                u.name = Some(id);
                u.r#type = Some("User".into());
                e.actor.user = e.user.clone();
            }
            Identity::Device => {
                let dev = e.device_mut();
                dev.hostname = Some(id.clone());
                dev.ip = internal;
                e.src_mut().hostname = Some(id);
            }
            Identity::Other => {}
        }
    }
    Ok(())
}

/// The record with the names SigmaHQ's DNS rules read added, or `None` when it has no domain.
fn sigma_names(v: &Value) -> Option<Value> {
    let m = v.as_object()?;
    let domain = get(v, "domain")?.as_str()?;
    let mut out: Map<String, Value> = m.clone();
    let put = |out: &mut Map<String, Value>, k: &str, x: String| {
        if !out.keys().any(|have| have.eq_ignore_ascii_case(k)) {
            out.insert(k.to_string(), Value::String(x));
        }
    };
    let query = query_name(domain);
    put(&mut out, "query", query.clone());
    put(&mut out, "QueryName", query);
    if let Some(t) = text(v, "queryType").as_deref().and_then(qtype_name) {
        put(&mut out, "record_type", t);
    }
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_of_queries_and_types() {
        assert_eq!(query_name("malware.gvt2.com."), "malware.gvt2.com");
        assert_eq!(query_name(" example.org "), "example.org");
        assert_eq!(query_name("."), ".");
        assert_eq!(qtype_name("1 (A)").as_deref(), Some("A"));
        assert_eq!(qtype_name("16 (TXT)").as_deref(), Some("TXT"));
        assert_eq!(qtype_name("AAAA").as_deref(), Some("AAAA"));
        assert_eq!(qtype_name("28").as_deref(), Some("28"));
        assert_eq!(qtype_name(")(").as_deref(), Some(")("));
        assert_eq!(qtype_name("1 ()"), None);
        assert_eq!(qtype_name("  "), None);
    }

    #[test]
    fn identities_are_users_or_devices() {
        assert_eq!(identity_kind("Jane Doe (jdoe@example.com)", None), Identity::User);
        assert_eq!(identity_kind("CORP\\jdoe", None), Identity::User);
        assert_eq!(identity_kind("laptop-7", None), Identity::Device);
        assert_eq!(identity_kind("HQ Network", None), Identity::Other);
        assert_eq!(identity_kind("", None), Identity::Other);
        assert_eq!(identity_kind("HQ", Some("Networks")), Identity::Other);
        assert_eq!(identity_kind("x", Some("AD Users")), Identity::User);
        assert_eq!(identity_kind("x y", Some("Roaming Computers")), Identity::Device);
        assert_eq!(email_in("Jane Doe (jdoe@example.com)").as_deref(), Some("jdoe@example.com"));
        assert_eq!(email_in("@ x@"), None);
    }

    #[test]
    fn recognition() {
        let panther = json!({"domain": "a.example.", "internalIp": "10.0.0.1", "action": "Allowed"});
        let reports = json!({"domain": "a.example", "internalip": "10.0.0.1", "verdict": "allowed"});
        assert!(looks_like(&panther) && looks_like(&reports));
        assert!(!looks_like(&json!({"domain": "a.example", "action": "Allowed"})), "no address or identity");
        assert!(!looks_like(&json!({"domain": 7, "internalIp": "10.0.0.1", "action": "Allowed"})));
        assert!(!looks_like(&json!({"domain": "a", "internalIp": null, "action": "Allowed"})));
        assert!(!looks_like(&json!(["domain"])));
    }

    #[test]
    fn lists_take_texts_labels_and_commas() {
        let v = json!({"a": ["x", {"label": "y"}, {"id": 1}, 3, null], "b": "p, q,,", "c": {"label": "z"}});
        assert_eq!(list(&v, "a"), vec!["x", "y", "3"]);
        assert_eq!(list(&v, "b"), vec!["p", "q"]);
        assert!(list(&v, "c").is_empty() && list(&v, "none").is_empty());
    }

    #[test]
    fn sigma_names_never_replace_the_records_own() {
        let v = json!({"domain": "api.telegram.org.", "queryType": "16 (TXT)", "query": "mine"});
        let r = sigma_names(&v).unwrap();
        assert_eq!((r["query"].as_str(), r["QueryName"].as_str()), (Some("mine"), Some("api.telegram.org")));
        assert_eq!(r["record_type"], "TXT");
        let v = json!({"domain": "x.example.", "Record_Type": "A", "queryType": {"x": 1}});
        let r = sigma_names(&v).unwrap();
        assert!(r.get("record_type").is_none() && r["query"] == "x.example");
        assert!(sigma_names(&json!({"domain": 1})).is_none());
        assert!(sigma_names(&json!({})).is_none());
        assert!(sigma_names(&json!("domain")).is_none());
    }

    #[test]
    fn damaged_records_are_refused_by_head() {
        assert!(matches!(head(&json!(null)), Err(DecodeError::Unrecognized(_))));
        assert_eq!(head(&json!({"timestamp": "2020-05-21 19:20:25"})), Err(DecodeError::missing("domain")));
        assert!(matches!(head(&json!({"domain": " ", "timestamp": 1})), Err(DecodeError::Bad { .. })));
        assert!(matches!(head(&json!({"domain": ["a"], "timestamp": 1})), Err(DecodeError::Bad { .. })));
        assert!(matches!(head(&json!({"domain": "a."})), Err(DecodeError::NoTime(_))));
        assert!(matches!(head(&json!({"domain": "a.", "timestamp": {"t": 1}})), Err(DecodeError::Bad { .. })));
    }
}

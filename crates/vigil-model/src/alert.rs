//! The alert record every stage after detection speaks: what fired, on which events, why, about
//! whom, and how sure the detection is; its kind, its level, the ATT&CK tactics read from tags,
//! and its OCSF Detection Finding (class 2004) form.
//!
//! Pure data: the Sigma engine and the behavioral engine build alerts, triage, cases, evidence
//! and reports read them, and none of the readers needs to link either engine for the type.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Severity of a detection (Sigma's levels), lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
    /// OCSF `severity_id` (1 informational … 5 critical).
    pub fn ocsf_severity(self) -> u8 {
        self as u8 + 1
    }
    /// The event severity of the same rank, for an event that carries a level (a product's alert).
    pub fn event_severity(self) -> crate::Severity {
        match self {
            Level::Informational => crate::Severity::Informational,
            Level::Low => crate::Severity::Low,
            Level::Medium => crate::Severity::Medium,
            Level::High => crate::Severity::High,
            Level::Critical => crate::Severity::Critical,
        }
    }
    /// A product's severity word as a level, case-insensitively; `unknown`, none or anything else
    /// it may add later is informational.
    pub fn of_vendor(word: Option<&str>) -> Level {
        word.and_then(|w| w.parse().ok()).unwrap_or(Level::Informational)
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Level, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "informational" | "info" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            o => return Err(format!("unknown level {o:?}; expected informational, low, medium, high or critical")),
        })
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Level, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What raised an alert.
///
/// Serialized as the strings alerts have always been stored with: `detection`, `correlation`
/// and `behavior` (`behavioral` is read as well), and `vendor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AlertKind {
    /// A Sigma rule matched one record.
    #[serde(rename = "detection")]
    Detection,
    /// A Sigma correlation rule matched over several records.
    #[serde(rename = "correlation")]
    Correlation,
    /// A behavioral detection: an entity departed from its baseline.
    #[serde(rename = "behavior", alias = "behavioral")]
    Behavioral,
    /// A security product's own alert (an EDR's detection, a cloud security service's alert,
    /// an IDS signature), read from its record and raised as it stated it.
    #[serde(rename = "vendor")]
    Vendor,
}

impl AlertKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Detection => "detection",
            AlertKind::Correlation => "correlation",
            AlertKind::Behavioral => "behavior",
            AlertKind::Vendor => "vendor",
        }
    }
    /// OCSF's analytic type (`finding_info.analytic.type_id`, `type`): a Sigma rule and a Sigma
    /// correlation are both rules (1, `Rule`); a behavioral detection is `Behavioral` (2); a
    /// product's own alert is `Other` (99): how the product decided is its own.
    pub fn ocsf_analytic_type(self) -> (u8, &'static str) {
        match self {
            AlertKind::Detection | AlertKind::Correlation => (1, "Rule"),
            AlertKind::Behavioral => (2, "Behavioral"),
            AlertKind::Vendor => (99, "Other"),
        }
    }
}

impl std::fmt::Display for AlertKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AlertKind {
    type Err = String;
    fn from_str(s: &str) -> Result<AlertKind, String> {
        Ok(match s {
            "detection" => AlertKind::Detection,
            "correlation" => AlertKind::Correlation,
            "behavior" | "behavioral" => AlertKind::Behavioral,
            "vendor" => AlertKind::Vendor,
            o => return Err(format!("unknown alert kind {o:?}; expected detection, correlation, behavior or vendor")),
        })
    }
}

/// One field and value that made a rule match.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Matched {
    pub field: String,
    pub value: Value,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub selection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub matcher: Option<String>,
}

/// Who and what an alert is about.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Entities {
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub users: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub hosts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub ips: Vec<String>,
    /// Cloud access keys.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub keys: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub buckets: Vec<String>,
}

impl Entities {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.hosts.is_empty()
            && self.ips.is_empty()
            && self.keys.is_empty()
            && self.buckets.is_empty()
    }
    fn add(list: &mut Vec<String>, v: Option<&str>) {
        if let Some(v) = v.map(str::trim).filter(|v| !v.is_empty() && *v != "-")
            && !list.iter().any(|x| x == v)
        {
            list.push(v.to_string());
        }
    }
    pub fn add_user(&mut self, v: Option<&str>) {
        Self::add(&mut self.users, v)
    }
    pub fn add_host(&mut self, v: Option<&str>) {
        Self::add(&mut self.hosts, v)
    }
    pub fn add_ip(&mut self, v: Option<&str>) {
        Self::add(&mut self.ips, v)
    }
    pub fn add_key(&mut self, v: Option<&str>) {
        Self::add(&mut self.keys, v)
    }
    pub fn add_bucket(&mut self, v: Option<&str>) {
        Self::add(&mut self.buckets, v)
    }
    pub fn merge(&mut self, o: &Entities) {
        for u in &o.users {
            self.add_user(Some(u));
        }
        for h in &o.hosts {
            self.add_host(Some(h));
        }
        for i in &o.ips {
            self.add_ip(Some(i));
        }
        for k in &o.keys {
            self.add_key(Some(k));
        }
        for b in &o.buckets {
            self.add_bucket(Some(b));
        }
    }
}

/// For correlation alerts: the aggregate and the events that make it up.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CorrelationInfo {
    #[serde(rename = "type")]
    pub kind: String,
    pub group_by: Vec<(String, String)>,
    pub value: f64,
    pub timespan_secs: u64,
    /// Member event ids (the most recent ones the window kept).
    pub members: Vec<String>,
    /// The rules the correlation aggregates.
    pub rules: Vec<String>,
}

/// How far to trust an alert, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Confidence {
    /// 0–100.
    pub score: u8,
    pub reason: String,
}

impl Confidence {
    /// A Sigma rule's own maturity says how often it is right: SigmaHQ marks rules `stable` only
    /// after they have run in production without notable false positives.
    pub fn of_rule(status: Option<&str>, falsepositives: &[String]) -> Confidence {
        let (score, what) = match status {
            Some("stable") => (80, "stable rule"),
            Some("test") => (60, "rule in test"),
            Some("experimental") => (40, "experimental rule"),
            Some("deprecated") | Some("unsupported") => (30, "deprecated or unsupported rule"),
            _ => (50, "rule with no stated status"),
        };
        let known: Vec<&str> =
            falsepositives.iter().map(String::as_str).filter(|f| !f.eq_ignore_ascii_case("unknown")).collect();
        let score: u8 = if known.is_empty() { score } else { score.saturating_sub(10) };
        let reason = if known.is_empty() {
            format!("{what}; no false positives documented")
        } else {
            format!("{what}; documented false positives: {}", known.join("; "))
        };
        Confidence { score, reason }
    }
}

/// One alert.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Alert {
    /// Content-derived: the same rule on the same events is the same alert.
    pub id: String,
    /// What raised it: a Sigma rule, a Sigma correlation or a behavioral detection.
    pub kind: AlertKind,
    pub rule: AlertRule,
    /// When the (last) matching event happened, milliseconds since the epoch; `None` when the
    /// record carries no usable time.
    pub time: Option<i64>,
    pub event_ids: Vec<String>,
    /// Where the matching record was read (`file` and place), for detections.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    /// Why it fired: the fields and values that matched.
    pub matched: Vec<Matched>,
    /// Why it fired, in one sentence.
    pub explanation: String,
    pub confidence: Confidence,
    pub entities: Entities,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub correlation: Option<CorrelationInfo>,
    /// For behavioral detections: each feature that deviated, its value, the entity's baseline
    /// and its share of the score.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub features: Vec<Feature>,
    /// Controls whose failure (or operation) this alert evidences, as `FRAMEWORK:ID`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub controls: Vec<String>,
}

/// One feature of a behavioral alert.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Feature {
    pub name: String,
    pub value: Value,
    /// What it was compared with (the entity's median, known values …).
    pub baseline: Value,
    /// Share of the score, 0–1; the contributions of one alert add up to 1.
    pub contribution: f64,
}

/// The rule, as an alert carries it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AlertRule {
    pub id: String,
    pub title: String,
    pub level: Level,
    pub tags: Vec<String>,
    /// ATT&CK technique ids from the tags (`T1059.001`).
    pub techniques: Vec<String>,
    /// ATT&CK tactics from the tags (`execution`).
    pub tactics: Vec<String>,
    pub file: String,
}

/// The ATT&CK enterprise tactics Vigil reads from rule tags, in kill-chain order; the last two
/// are the newer names that split defense evasion, kept after the classic fourteen.
pub const TACTICS: &[&str] = &[
    "reconnaissance",
    "resource_development",
    "initial_access",
    "execution",
    "persistence",
    "privilege_escalation",
    "defense_evasion",
    "credential_access",
    "discovery",
    "lateral_movement",
    "collection",
    "command_and_control",
    "exfiltration",
    "impact",
    "stealth",
    "defense_impairment",
];

impl AlertRule {
    /// The rule as an alert carries it, with ATT&CK techniques (`attack.t1059.001`) and tactics
    /// (`attack.execution`) read from its tags.
    pub fn new(id: String, title: String, level: Level, tags: Vec<String>, file: String) -> AlertRule {
        let mut techniques = Vec::new();
        let mut tactics = Vec::new();
        for t in &tags {
            let Some(rest) = t.to_ascii_lowercase().strip_prefix("attack.").map(str::to_string) else { continue };
            if rest.len() >= 5 && rest.starts_with('t') && rest[1..5].bytes().all(|b| b.is_ascii_digit()) {
                techniques.push(rest.to_ascii_uppercase());
            } else if TACTICS.contains(&rest.replace('-', "_").as_str()) {
                tactics.push(rest.replace('-', "_"));
            }
        }
        AlertRule { id, title, level, tags, techniques, tactics, file }
    }
}

/// The alert id: SHA-256 over the rule id and the sorted event ids (first 128 bits, hex).
pub fn alert_id(rule_id: &str, event_ids: &[String], extra: &str) -> String {
    let mut ids: Vec<&str> = event_ids.iter().map(String::as_str).collect();
    ids.sort_unstable();
    let mut h = Sha256::new();
    h.update(b"vigil-alert/1\0");
    h.update(rule_id.as_bytes());
    for id in ids {
        h.update(b"\0");
        h.update(id.as_bytes());
    }
    h.update(b"\0");
    h.update(extra.as_bytes());
    hex::encode(&h.finalize()[..16])
}

impl Alert {
    /// The alert as an OCSF 1.x Detection Finding (class 2004).
    pub fn to_ocsf(&self) -> Value {
        let observables: Vec<Value> = self
            .entities
            .users
            .iter()
            .map(|u| json!({"name": "user", "type_id": 4, "type": "User Name", "value": u}))
            .chain(
                self.entities
                    .hosts
                    .iter()
                    .map(|h| json!({"name": "host", "type_id": 1, "type": "Hostname", "value": h})),
            )
            .chain(
                self.entities.ips.iter().map(|i| json!({"name": "ip", "type_id": 2, "type": "IP Address", "value": i})),
            )
            .chain(
                self.entities
                    .keys
                    .iter()
                    .map(|k| json!({"name": "access_key", "type_id": 99, "type": "Other", "value": k})),
            )
            .chain(
                self.entities
                    .buckets
                    .iter()
                    .map(|b| json!({"name": "bucket", "type_id": 99, "type": "Other", "value": b})),
            )
            .collect();
        let attacks: Vec<Value> = self
            .rule
            .techniques
            .iter()
            .map(|t| json!({"technique": {"uid": t}, "version": "v14"}))
            .chain(self.rule.tactics.iter().map(|t| json!({"tactic": {"name": t.replace('_', " ")}, "version": "v14"})))
            .collect();
        let evidences: Vec<Value> = self
            .matched
            .iter()
            .map(|m| json!({"data": {"field": m.field, "value": m.value, "selection": m.selection}}))
            .collect();
        let (analytic_type_id, analytic_type) = self.kind.ocsf_analytic_type();
        let mut v = json!({
            "class_uid": 2004,
            "class_name": "Detection Finding",
            "category_uid": 2,
            "category_name": "Findings",
            "activity_id": 1,
            "activity_name": "Create",
            "type_uid": 200401,
            "time": self.time,
            "severity_id": self.rule.level.ocsf_severity(),
            "severity": self.rule.level.as_str(),
            "status_id": 1,
            "status": "New",
            "confidence_score": self.confidence.score,
            "message": self.explanation,
            "finding_info": {
                "uid": self.id,
                "title": self.rule.title,
                "desc": self.explanation,
                "analytic": {"uid": self.rule.id, "name": self.rule.title, "type_id": analytic_type_id, "type": analytic_type},
                "attacks": attacks,
                "related_events": self.event_ids.iter().map(|e| json!({"uid": e})).collect::<Vec<_>>(),
                "src_url": self.rule.file,
            },
            "evidences": evidences,
            "observables": observables,
            "metadata": {"product": {"name": "Vigil", "vendor_name": "Vigil"}, "version": "1.1.0"},
            "unmapped": {"confidence_reason": self.confidence.reason, "source": self.source},
        });
        if let Some(c) = &self.correlation {
            v["unmapped"]["correlation"] = serde_json::to_value(c).unwrap_or(Value::Null);
        }
        if !self.features.is_empty() {
            v["unmapped"]["features"] = serde_json::to_value(&self.features).unwrap_or(Value::Null);
        }
        if !self.controls.is_empty() {
            v["compliance"] = json!({"controls": self.controls});
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> AlertRule {
        AlertRule::new(
            "r1".into(),
            "Whoami".into(),
            Level::High,
            vec!["attack.discovery".into(), "attack.t1033".into(), "attack.t1059.001".into(), "cve.2021-1".into()],
            "r.yml".into(),
        )
    }

    fn alert(kind: AlertKind) -> Alert {
        Alert {
            id: "x".into(),
            kind,
            rule: rule(),
            time: Some(1_700_000_000_000),
            event_ids: vec!["e1".into()],
            source: Some("f.evtx record 3".into()),
            matched: vec![Matched {
                field: "Image".into(),
                value: json!("C:\\whoami.exe"),
                selection: Some("selection".into()),
                matcher: None,
            }],
            explanation: "because".into(),
            confidence: Confidence::of_rule(Some("test"), &[]),
            entities: Entities { users: vec!["bob".into()], ..Default::default() },
            correlation: None,
            features: vec![],
            controls: vec![],
        }
    }

    #[test]
    fn attack_tags_split_into_techniques_and_tactics() {
        let r = rule();
        assert_eq!(r.techniques, vec!["T1033", "T1059.001"]);
        assert_eq!(r.tactics, vec!["discovery"]);
    }

    #[test]
    fn alert_ids_depend_on_rule_and_event_set_not_order() {
        let a = alert_id("r1", &["b".into(), "a".into()], "");
        assert_eq!(a, alert_id("r1", &["a".into(), "b".into()], ""));
        assert_ne!(a, alert_id("r2", &["a".into(), "b".into()], ""));
        assert_ne!(a, alert_id("r1", &["a".into()], ""));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn ocsf_detection_finding_shape() {
        let a = alert(AlertKind::Detection);
        let o = a.to_ocsf();
        assert_eq!(o["class_uid"], 2004);
        assert_eq!(o["type_uid"], 200401);
        assert_eq!(o["severity_id"], 4);
        assert_eq!(o["finding_info"]["analytic"]["uid"], "r1");
        assert_eq!(o["finding_info"]["related_events"][0]["uid"], "e1");
        assert_eq!(o["observables"][0]["value"], "bob");
        assert_eq!(o["evidences"][0]["data"]["field"], "Image");
        let back: Alert = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn vendor_severity_words_and_event_severities() {
        assert_eq!(Level::of_vendor(Some("High")), Level::High);
        assert_eq!(Level::of_vendor(Some("medium")), Level::Medium);
        assert_eq!(Level::of_vendor(Some("unknownFutureValue")), Level::Informational);
        assert_eq!(Level::of_vendor(None), Level::Informational);
        assert_eq!(Level::Critical.event_severity(), crate::Severity::Critical);
        assert_eq!(Level::Informational.event_severity(), crate::Severity::Informational);
    }

    #[test]
    fn ocsf_analytic_type_follows_the_kind() {
        // OCSF analytic type_id: 1 Rule, 2 Behavioral. A Sigma correlation is a rule.
        for (kind, id, name) in [
            (AlertKind::Detection, 1, "Rule"),
            (AlertKind::Correlation, 1, "Rule"),
            (AlertKind::Behavioral, 2, "Behavioral"),
            (AlertKind::Vendor, 99, "Other"),
        ] {
            let o = alert(kind).to_ocsf();
            assert_eq!(o["finding_info"]["analytic"]["type_id"], id, "{kind}");
            assert_eq!(o["finding_info"]["analytic"]["type"], name, "{kind}");
        }
    }

    #[test]
    fn kinds_keep_their_stored_strings() {
        for (kind, s) in [
            (AlertKind::Detection, "detection"),
            (AlertKind::Correlation, "correlation"),
            (AlertKind::Behavioral, "behavior"),
            (AlertKind::Vendor, "vendor"),
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(s));
            assert_eq!(serde_json::from_value::<AlertKind>(json!(s)).unwrap(), kind);
            assert_eq!(s.parse::<AlertKind>().unwrap(), kind);
            assert_eq!(kind.to_string(), s);
        }
        assert_eq!(serde_json::from_value::<AlertKind>(json!("behavioral")).unwrap(), AlertKind::Behavioral);
        assert!(serde_json::from_value::<AlertKind>(json!("rule")).is_err());
        // An alert stored before the kind was an enum reads back.
        let mut stored = serde_json::to_value(alert(AlertKind::Detection)).unwrap();
        stored["kind"] = json!("behavior");
        assert_eq!(serde_json::from_value::<Alert>(stored).unwrap().kind, AlertKind::Behavioral);
    }

    #[test]
    fn levels_parse_serialize_and_order_as_before() {
        assert_eq!(serde_json::to_value(Level::Informational).unwrap(), json!("informational"));
        assert_eq!(serde_json::from_value::<Level>(json!("INFO")).unwrap(), Level::Informational);
        assert_eq!("High".parse::<Level>().unwrap(), Level::High);
        assert!("severe".parse::<Level>().is_err());
        assert!(Level::Low < Level::Medium && Level::High < Level::Critical);
        assert_eq!(Level::Critical.ocsf_severity(), 5);
    }

    #[test]
    fn confidence_follows_rule_maturity() {
        assert!(Confidence::of_rule(Some("stable"), &[]).score > Confidence::of_rule(Some("experimental"), &[]).score);
        let c = Confidence::of_rule(Some("stable"), &["Admin scripts".into()]);
        assert_eq!(c.score, 70);
        assert!(c.reason.contains("Admin scripts"));
    }
}

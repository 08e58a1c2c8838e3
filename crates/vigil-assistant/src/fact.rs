//! Facts and their citations: what a tool found, each pointing at the object it came from.
//!
//! A citation has a stable string form (`case:CASE-0123456789`, `event:…`, `ledger:42`) that
//! parses back, and a page in the web app where there is one.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use vigil_app::Caller;
use vigil_auth::Permission;

/// Where a fact came from: an object Vigil keeps, named so that a person (or the web app) can
/// open it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Citation {
    /// An event in the lake, by its id.
    Event {
        id: String,
    },
    /// A stored alert, by its id.
    Alert {
        id: String,
    },
    Incident {
        id: String,
    },
    Case {
        id: String,
    },
    /// An entry of the ledger (the signed audit log), by its sequence number.
    LedgerSeq {
        seq: u64,
    },
    /// A compliance control, as `FRAMEWORK:ID`.
    Control {
        id: String,
    },
    /// An incident packet or artifact in the vault, by its SHA-256.
    Packet {
        sha256: String,
    },
    /// A metric over a period (its definition is the metric's own).
    Metric {
        name: String,
        period: String,
    },
    /// A connected source of events (the product or vendor name the lake records).
    Source {
        name: String,
    },
    /// What the data covers or does not cover: a statement about the data itself, such as the
    /// lake's first day or a source that is not connected.
    Coverage {
        scope: String,
    },
    /// A playbook run.
    Run {
        id: String,
    },
    /// An approval request.
    Approval {
        id: String,
    },
    /// An entry of the asset and identity inventory, as `SECTION/NAME` (`vendor/PayFlow`,
    /// `user/ann@example.com`, `host/WS-FIN-01`, `key/AKIA…`, `bucket/…`).
    Inventory {
        key: String,
    },
    /// What one behavioral detection has learned about one entity.
    Baseline {
        detection: String,
        entity: String,
    },
    /// A framework's compliance coverage report over a period (`2026-10-01..2026-12-31`).
    Compliance {
        framework: String,
        period: String,
    },
    /// A read-only query over the lake: rerunning it gives the rows cited.
    Query {
        sql: String,
    },
}

impl Citation {
    pub fn event(id: &str) -> Citation {
        Citation::Event { id: id.to_string() }
    }
    pub fn alert(id: &str) -> Citation {
        Citation::Alert { id: id.to_string() }
    }
    pub fn incident(id: &str) -> Citation {
        Citation::Incident { id: id.to_string() }
    }
    pub fn case(id: &str) -> Citation {
        Citation::Case { id: id.to_string() }
    }
    pub fn coverage(scope: &str) -> Citation {
        Citation::Coverage { scope: scope.to_string() }
    }
    pub fn source(name: &str) -> Citation {
        Citation::Source { name: name.to_string() }
    }

    /// The web app's page for the cited object (`None` where the web app has no page for it).
    pub fn web_path(&self) -> Option<String> {
        match self {
            Citation::Case { id } => Some(format!("/cases/{}", path_segment(id))),
            Citation::Incident { id } => Some(format!("/incidents/{}", path_segment(id))),
            Citation::Alert { id } => Some(format!("/alerts/{}", path_segment(id))),
            Citation::Event { id } => Some(format!("/events/{}", path_segment(id))),
            Citation::Control { .. } => Some("/compliance".to_string()),
            Citation::Compliance { framework, period } => {
                let (from, to) = period.split_once("..").unwrap_or((period, ""));
                Some(format!(
                    "/compliance?framework={}&from={}&to={}",
                    query_value(framework),
                    query_value(from),
                    query_value(to)
                ))
            }
            Citation::Metric { .. } => Some("/scorecard".to_string()),
            Citation::Approval { .. } => Some("/approvals".to_string()),
            Citation::Baseline { entity, .. } => Some(format!("/baselines/{}", path_segment(entity))),
            Citation::Query { sql } => Some(format!("/hunt?sql={}", query_value(sql))),
            Citation::LedgerSeq { .. }
            | Citation::Packet { .. }
            | Citation::Source { .. }
            | Citation::Coverage { .. }
            | Citation::Run { .. }
            | Citation::Inventory { .. } => None,
        }
    }

    /// The page for this reader, where the reader may open it: events and queries need the
    /// hunting permission, the queue's objects the queue's view, controls and metrics the
    /// summaries; an auditor opens a granted case in the auditor portal.
    pub fn web_path_for(&self, caller: &Caller) -> Option<String> {
        let may = match self {
            Citation::Event { .. } | Citation::Query { .. } => caller.can(Permission::Hunt),
            Citation::Case { id } if !caller.can(Permission::ViewQueue) => {
                return caller.can(Permission::AuditorPortal).then(|| format!("/auditor/cases/{}", path_segment(id)));
            }
            Citation::Control { .. } | Citation::Compliance { .. } | Citation::Metric { .. } => {
                caller.can(Permission::ViewSummaries)
            }
            Citation::Approval { .. } => caller.can(Permission::Approve),
            _ => caller.can(Permission::ViewQueue),
        };
        if may { self.web_path() } else { None }
    }

    /// Parses the stable string form ([`fmt::Display`]).
    pub fn parse(s: &str) -> Option<Citation> {
        let (kind, rest) = s.split_once(':')?;
        if rest.is_empty() {
            return None;
        }
        let r = rest.to_string();
        Some(match kind {
            "event" => Citation::Event { id: r },
            "alert" => Citation::Alert { id: r },
            "incident" => Citation::Incident { id: r },
            "case" => Citation::Case { id: r },
            "ledger" => Citation::LedgerSeq { seq: rest.parse().ok()? },
            "control" => Citation::Control { id: r },
            "packet" => Citation::Packet { sha256: r },
            "metric" => {
                let (name, period) = rest.split_once('@')?;
                Citation::Metric { name: name.to_string(), period: period.to_string() }
            }
            "source" => Citation::Source { name: r },
            "coverage" => Citation::Coverage { scope: r },
            "run" => Citation::Run { id: r },
            "approval" => Citation::Approval { id: r },
            "inventory" => Citation::Inventory { key: r },
            "baseline" => {
                let (detection, entity) = rest.split_once('|')?;
                Citation::Baseline { detection: detection.to_string(), entity: entity.to_string() }
            }
            "compliance" => {
                let (framework, period) = rest.split_once('@')?;
                Citation::Compliance { framework: framework.to_string(), period: period.to_string() }
            }
            "query" => Citation::Query { sql: r },
            _ => return None,
        })
    }
}

impl fmt::Display for Citation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Citation::Event { id } => write!(f, "event:{id}"),
            Citation::Alert { id } => write!(f, "alert:{id}"),
            Citation::Incident { id } => write!(f, "incident:{id}"),
            Citation::Case { id } => write!(f, "case:{id}"),
            Citation::LedgerSeq { seq } => write!(f, "ledger:{seq}"),
            Citation::Control { id } => write!(f, "control:{id}"),
            Citation::Packet { sha256 } => write!(f, "packet:{sha256}"),
            Citation::Metric { name, period } => write!(f, "metric:{name}@{period}"),
            Citation::Source { name } => write!(f, "source:{name}"),
            Citation::Coverage { scope } => write!(f, "coverage:{scope}"),
            Citation::Run { id } => write!(f, "run:{id}"),
            Citation::Approval { id } => write!(f, "approval:{id}"),
            Citation::Inventory { key } => write!(f, "inventory:{key}"),
            Citation::Baseline { detection, entity } => write!(f, "baseline:{detection}|{entity}"),
            Citation::Compliance { framework, period } => write!(f, "compliance:{framework}@{period}"),
            Citation::Query { sql } => write!(f, "query:{sql}"),
        }
    }
}

/// Percent-encodes what is not safe in one path segment (ids are plain, but a citation's id is
/// data, so it is never trusted to be).
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes what is not safe in a query string's value.
fn query_value(s: &str) -> String {
    path_segment(s)
}

/// What a fact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    /// One object as Vigil keeps it (a case, an event, an alert …).
    Record,
    /// A number computed over records (a count, a first or last time).
    Aggregate,
    /// What the data does not cover: a source that is not connected, a period before the
    /// lake starts, something Vigil never records.
    Gap,
    /// Something the asker may not see: no data of it is given, only that it was not looked at.
    NotVisible,
}

/// One fact a tool found, with the citation it resolves to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    /// Unique within one answer (`F1`, `F2` …), assigned when the answer is put together.
    pub id: String,
    pub kind: FactKind,
    /// The fact in words, built only from its fields.
    pub text: String,
    /// Its values by name, as the composer and the verifier read them.
    pub fields: BTreeMap<String, String>,
    pub citation: Citation,
}

impl Fact {
    pub fn new(kind: FactKind, citation: Citation, text: impl Into<String>) -> Fact {
        Fact { id: String::new(), kind, text: text.into(), fields: BTreeMap::new(), citation }
    }

    /// Adds a field (empty values are left out).
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Fact {
        let v = value.into();
        if !v.is_empty() {
            self.fields.insert(name.to_string(), v);
        }
        self
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// Milliseconds since the epoch as the assistant writes a time everywhere (facts and sentences
/// alike): `2026-10-05T09:30:00Z`.
pub fn fmt_ms(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => ms.to_string(),
    }
}

/// A day as the assistant writes it: `2026-10-05`.
pub fn fmt_day(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        None => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_round_trip_through_their_string_form() {
        let all = [
            Citation::event("0123abcd"),
            Citation::alert("ffee"),
            Citation::incident("INC-0011223344556677"),
            Citation::case("CASE-0123456789"),
            Citation::LedgerSeq { seq: 42 },
            Citation::Control { id: "SOC2:CC7.2".into() },
            Citation::Packet { sha256: "ab".repeat(32) },
            Citation::Metric { name: "incidents".into(), period: "2026-10-05..2026-10-12".into() },
            Citation::source("okta"),
            Citation::coverage("lake"),
            Citation::Run { id: "RUN-1".into() },
            Citation::Approval { id: "APR-1".into() },
            Citation::Inventory { key: "vendor/PayFlow".into() },
            Citation::Baseline { detection: "vb-access-key-new-network".into(), entity: "AKIA1".into() },
            Citation::Compliance { framework: "SOC2".into(), period: "2026-10-01..2026-12-31".into() },
            Citation::Query { sql: "SELECT 1 AS x -- a: b|c@d".into() },
        ];
        for c in all {
            assert_eq!(Citation::parse(&c.to_string()), Some(c.clone()), "{c}");
        }
        assert_eq!(Citation::parse("case:"), None);
        assert_eq!(Citation::parse("nothing"), None);
        assert_eq!(Citation::parse("ledger:x"), None);
    }

    #[test]
    fn web_paths_follow_the_routes_and_escape_ids() {
        assert_eq!(Citation::case("CASE-01").web_path().as_deref(), Some("/cases/CASE-01"));
        assert_eq!(Citation::incident("INC-1").web_path().as_deref(), Some("/incidents/INC-1"));
        assert_eq!(Citation::case("a/../b").web_path().as_deref(), Some("/cases/a%2F..%2Fb"));
        assert_eq!(Citation::event("e1").web_path().as_deref(), Some("/events/e1"));
        assert_eq!(
            Citation::Query { sql: "SELECT a FROM b WHERE c = 'd&e'".into() }.web_path().as_deref(),
            Some("/hunt?sql=SELECT%20a%20FROM%20b%20WHERE%20c%20%3D%20%27d%26e%27")
        );
        assert_eq!(
            Citation::Compliance { framework: "SOC2".into(), period: "2026-10-01..2026-12-31".into() }
                .web_path()
                .as_deref(),
            Some("/compliance?framework=SOC2&from=2026-10-01&to=2026-12-31")
        );
        let auditor = Caller::Assistant {
            on_behalf: vigil_auth::Principal {
                username: "audrey".into(),
                roles: vec![vigil_auth::Role::Auditor],
                via: vigil_auth::Via::Session,
                grants: vec![],
            },
        };
        assert_eq!(Citation::case("CASE-01").web_path_for(&auditor).as_deref(), Some("/auditor/cases/CASE-01"));
        assert_eq!(Citation::incident("INC-1").web_path_for(&auditor), None);
        assert_eq!(Citation::event("e1").web_path_for(&auditor), None);
        let responder = Caller::Assistant {
            on_behalf: vigil_auth::Principal {
                username: "rita".into(),
                roles: vec![vigil_auth::Role::Responder],
                via: vigil_auth::Via::Session,
                grants: vec![],
            },
        };
        // A responder sees the queue but does not hunt: alerts open, events do not.
        assert_eq!(Citation::alert("a1").web_path_for(&responder).as_deref(), Some("/alerts/a1"));
        assert_eq!(Citation::event("e1").web_path_for(&responder), None);
    }

    #[test]
    fn times_are_written_one_way() {
        assert_eq!(fmt_ms(1_791_192_600_000), "2026-10-05T09:30:00Z");
        assert_eq!(fmt_day(1_791_192_600_000), "2026-10-05");
    }
}

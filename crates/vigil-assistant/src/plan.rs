//! Planning: which tools a question needs.
//!
//! [`Planner`] is the seam: the built-in [`RulePlanner`] needs no model — it recognises the
//! entities of a question ([`crate::entity`]) and maps its wording to tools through the tables
//! below. A planner reads only the question and its context, never a tool's result, so nothing
//! found in the data (an event field saying "ignore previous instructions") can change what is
//! looked at; and whatever a planner asks for runs as the asker, through the application
//! layer's own checks.

use serde::{Deserialize, Serialize};

use crate::entity::{Entities, recognize};
use crate::tools::{EventQuery, Subject, ToolCall};

/// What a question is asked about, when it is asked from a page (a case, an incident, an alert).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum CaseOrIncident {
    Case(String),
    Incident(String),
    Alert(String),
}

/// Why a call is in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Its facts answer the question.
    Answer,
    /// Its facts only tell what the data covers (the lake's period, the sources connected), to
    /// name what is missing.
    Coverage,
}

/// One planned call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub call: ToolCall,
    pub purpose: Purpose,
}

/// What to look up for a question.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub entities: Entities,
    /// What the question asks about that Vigil never records (no tool can answer it).
    pub never_recorded: Vec<String>,
}

impl Plan {
    fn add(&mut self, call: ToolCall, purpose: Purpose) {
        if let Some(s) = self.steps.iter_mut().find(|s| s.call == call) {
            if purpose == Purpose::Answer {
                s.purpose = Purpose::Answer;
            }
            return;
        }
        self.steps.push(Step { call, purpose });
    }

    fn answers(&mut self, call: ToolCall) {
        self.add(call, Purpose::Answer);
    }
}

/// Turns a question into a plan. A model-backed planner implements this too; its plan runs
/// through the same tools, as the same asker.
pub trait Planner {
    fn plan(&self, question: &str, context: Option<&CaseOrIncident>, now_ms: i64) -> Plan;
    /// The model calls made since the last time they were taken (for the audit log).
    fn take_model_calls(&self) -> Vec<crate::model::ModelCall> {
        Vec::new()
    }
}

/// The kinds of question the rule planner knows, each recognised by words in the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    Incidents,
    CrownJewels,
    Cases,
    Response,
    Evidence,
    Ledger,
    Sources,
    WithoutMfa,
    PublicBuckets,
    Seen,
    Metrics,
    Compliance,
    Vendors,
    Inventory,
    Baseline,
}

/// Intent table: any of the phrases (matched on the lowercased question, padded with spaces)
/// marks the intent.
const INTENTS: &[(&[&str], Intent)] = &[
    (&[" incident", "how many incidents"], Intent::Incidents),
    (&["crown jewel", "crown-jewel"], Intent::CrownJewels),
    (&[" cases ", " cases?", "all cases", "list cases", "my cases", "granted"], Intent::Cases),
    (&["contain", " approv", "playbook", " run ", " runs ", "respond", " sla"], Intent::Response),
    (&["packet", "evidence", "export", "artifact", "changed since", "tamper"], Intent::Evidence),
    (&["ledger", "audit log", "tamper", "intact"], Intent::Ledger),
    (
        &[
            "mttd",
            "mtta",
            "mttr",
            "time to detect",
            "time to acknowledge",
            "time to respond",
            "time to contain",
            "time to resolve",
            "precision",
            "automation rate",
            "scorecard",
            "evidence completeness",
            "sla attainment",
            " metric",
            "kpi",
        ],
        Intent::Metrics,
    ),
    (&[" source", "connected", "coverage", " lake ", "data from", "data do we", "logs from"], Intent::Sources),
    (&["without mfa", "no mfa", "without multi-factor", "mfa-less", "without 2fa", "skipped mfa"], Intent::WithoutMfa),
    (&["public", "publicly"], Intent::PublicBuckets),
    (
        &[" control", "compliance", "compliant", "complete evidence", "coverage", "audit-ready", "auditor-ready"],
        Intent::Compliance,
    ),
    (&[" vendor", "oauth", "third party", "third-party", "supplier", "integration", "token grant"], Intent::Vendors),
    (
        &[
            " owns ",
            " own ",
            " owner",
            "who is ",
            "department",
            " manager",
            " an admin",
            " an administrator",
            " job title",
            "inventory",
            "belong",
            "criticality",
            "sensitivity",
        ],
        Intent::Inventory,
    ),
    (&["baseline", "normal for", "usual for", " usually", "learned", "typical"], Intent::Baseline),
    (
        &["seen", "first seen", "last seen", "still in use", "still used", "last used", "ever", " where ", "before?"],
        Intent::Seen,
    ),
];

/// Facts Vigil never records, by the words that ask for them: (phrases, what it is).
const NEVER_RECORDED: &[(&[&str], &str)] = &[
    (&["mfa policy", "mfa policies", "mfa setting", "mfa configuration"], "MFA policy settings"),
    (&["badge", "door access", "physical access"], "physical badge and door access"),
    (&["salary", "salaries", "compensation"], "salaries or compensation"),
    (&["password age", "password expir", "password last changed"], "password ages"),
    (&["phone call", "call recording", "voicemail"], "phone calls"),
    (&["cctv", "camera footage"], "camera footage"),
    (&["print job", "printed"], "print jobs"),
];

/// The API operations that make a bucket public (or remove what stops it being public).
pub const PUBLIC_BUCKET_OPERATIONS: &[&str] =
    &["PutBucketAcl", "PutBucketPolicy", "DeletePublicAccessBlock", "DeleteBucketPublicAccessBlock", "PutObjectAcl"];

/// The query in a question that is one: it begins with `SELECT` or `WITH` (after an optional
/// `run:`, `query:` or `sql:`), or is fenced in a code block.
fn written_sql(question: &str) -> Option<String> {
    let q = question.trim();
    if let Some(start) = q.find("```") {
        let body = &q[start + 3..];
        let body = body.strip_prefix("sql").unwrap_or(body);
        let end = body.find("```")?;
        let sql = body[..end].trim();
        return (!sql.is_empty()).then(|| sql.to_string());
    }
    let lower = q.to_ascii_lowercase();
    let mut rest = q;
    for prefix in ["run:", "query:", "sql:", "run "] {
        if lower.starts_with(prefix) {
            rest = q[prefix.len()..].trim_start();
            break;
        }
    }
    let head: String = rest.chars().take(7).collect::<String>().to_ascii_lowercase();
    (head.starts_with("select ") || head.starts_with("with ")).then(|| rest.trim_end_matches(';').trim().to_string())
}

/// The words of a question a vendor's name may be among (lower case, three letters or more).
fn name_words(question: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in question.split(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '&'))) {
        let w = w.trim_matches(|c: char| c == '.' || c == '-').to_lowercase();
        if w.chars().count() >= 3 && w.len() <= 64 && !out.contains(&w) {
            out.push(w);
        }
    }
    out.truncate(40);
    out
}

/// The built-in planner: entities and word tables, no model.
#[derive(Debug, Clone, Copy, Default)]
pub struct RulePlanner;

pub(crate) fn subjects(e: &Entities) -> Vec<Subject> {
    let mut v = Vec::new();
    v.extend(e.emails.iter().cloned().map(Subject::Email));
    v.extend(e.users.iter().cloned().map(Subject::User));
    v.extend(e.ips.iter().cloned().map(Subject::Ip));
    v.extend(e.hosts.iter().cloned().map(Subject::Host));
    v.extend(e.keys.iter().cloned().map(Subject::Key));
    v.extend(e.buckets.iter().cloned().map(Subject::Bucket));
    v.extend(e.processes.iter().cloned().map(Subject::Process));
    v
}

impl Planner for RulePlanner {
    fn plan(&self, question: &str, context: Option<&CaseOrIncident>, now_ms: i64) -> Plan {
        let e = recognize(question, now_ms);
        let lower = format!(" {} ", question.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" "));
        let has = |i: Intent| INTENTS.iter().any(|(words, k)| *k == i && words.iter().any(|w| lower.contains(w)));
        let mut plan = Plan::default();

        // Named objects, or the page's object when the question names none.
        let (mut cases, mut incidents, mut hex) = (e.cases.clone(), e.incidents.clone(), e.hex_ids.clone());
        if cases.is_empty() && incidents.is_empty() && hex.is_empty() {
            match context {
                Some(CaseOrIncident::Case(id)) => cases.push(id.clone()),
                Some(CaseOrIncident::Incident(id)) => incidents.push(id.clone()),
                Some(CaseOrIncident::Alert(id)) => hex.push(id.clone()),
                None => {}
            }
        }
        for id in &cases {
            plan.answers(ToolCall::Case { id: id.clone() });
            if has(Intent::Response) {
                plan.answers(ToolCall::CaseResponse { id: id.clone() });
            }
            if has(Intent::Evidence) {
                plan.answers(ToolCall::CaseEvidence { id: id.clone() });
            }
        }
        for id in &incidents {
            plan.answers(ToolCall::Incident { id: id.clone() });
        }
        for id in &hex {
            if e.hour_before_alert {
                plan.answers(ToolCall::HourBeforeAlert { id: id.clone() });
            } else {
                plan.answers(ToolCall::AlertOrEvent { id: id.clone() });
            }
        }
        for t in &e.techniques {
            plan.answers(ToolCall::AlertsByTechnique { technique: t.clone() });
        }
        for c in &e.controls {
            plan.answers(ToolCall::AlertsByControl { control: c.clone() });
        }

        // A query the asker wrote runs as their hunt, and nothing else is planned for it.
        if let Some(sql) = written_sql(question) {
            plan.answers(ToolCall::Sql { sql });
            plan.entities = e;
            return plan;
        }

        // Compliance coverage: a framework or a control family named with words of coverage.
        let family_framework = |f: &str| if f.starts_with("CC") { "SOC2" } else { "ISO27001" };
        if has(Intent::Compliance) && e.controls.is_empty() {
            if e.control_families.is_empty() {
                for fw in &e.frameworks {
                    plan.answers(ToolCall::ControlCoverage {
                        framework: fw.clone(),
                        family: None,
                        period: e.period.clone(),
                    });
                }
            }
            for fam in &e.control_families {
                let fw = e.frameworks.first().map(String::as_str).unwrap_or_else(|| family_framework(fam));
                plan.answers(ToolCall::ControlCoverage {
                    framework: fw.to_string(),
                    family: Some(fam.clone()),
                    period: e.period.clone(),
                });
            }
        }
        let compliance = plan.steps.iter().any(|s| matches!(s.call, ToolCall::ControlCoverage { .. }));

        // The inventory: vendors and their OAuth grants; what it says about named subjects.
        let subs = subjects(&e);
        if has(Intent::Vendors) && !compliance {
            plan.answers(ToolCall::Vendors { names: name_words(question) });
        }
        let about_inventory = has(Intent::Inventory) && !subs.is_empty();
        if about_inventory {
            for s in subs.iter().filter(|s| !matches!(s, Subject::Process(_))) {
                plan.answers(ToolCall::InventoryEntry { subject: s.clone() });
            }
        }
        let about_baseline = has(Intent::Baseline) && !subs.is_empty();
        if about_baseline {
            for s in &subs {
                plan.answers(ToolCall::Baseline { subject: s.clone() });
            }
        }

        // Events: about the named subjects, or the kinds of events the wording asks for.
        let mut searches_events = false;
        if has(Intent::PublicBuckets) && lower.contains("bucket") {
            plan.answers(ToolCall::Events(EventQuery {
                subjects: e.buckets.iter().cloned().map(Subject::Bucket).collect(),
                period: e.period.clone(),
                class: Some("api_activity".into()),
                operations: PUBLIC_BUCKET_OPERATIONS.iter().map(|s| s.to_string()).collect(),
                without_mfa: false,
            }));
            searches_events = true;
        } else if has(Intent::WithoutMfa) {
            plan.answers(ToolCall::Events(EventQuery {
                subjects: subs.clone(),
                period: e.period.clone(),
                class: Some("authentication".into()),
                operations: Vec::new(),
                without_mfa: true,
            }));
            searches_events = true;
        } else if !subs.is_empty() && (has(Intent::Seen) || !(about_inventory || about_baseline)) {
            if has(Intent::Seen) {
                for s in &subs {
                    plan.answers(ToolCall::Sightings { subject: s.clone(), period: e.period.clone() });
                }
            } else {
                plan.answers(ToolCall::Events(EventQuery {
                    subjects: subs.clone(),
                    period: e.period.clone(),
                    ..Default::default()
                }));
            }
            searches_events = true;
        }

        // The queue, the ledger, the sources.
        let names_objects = !(cases.is_empty() && incidents.is_empty() && hex.is_empty());
        if (has(Intent::Incidents) || has(Intent::CrownJewels)) && incidents.is_empty() {
            // "How many incidents, and which touched crown jewels": both counts.
            if !has(Intent::CrownJewels) || lower.contains("how many incidents") {
                plan.answers(ToolCall::Incidents { period: e.period.clone(), crown_jewels: false });
            }
            if has(Intent::CrownJewels) {
                plan.answers(ToolCall::Incidents { period: e.period.clone(), crown_jewels: true });
            }
        }
        if has(Intent::Metrics) {
            plan.answers(ToolCall::Metrics { period: e.period.clone() });
        }
        if has(Intent::Cases) && !names_objects {
            plan.answers(ToolCall::Cases);
        }
        if has(Intent::Ledger) && (cases.is_empty() || !has(Intent::Evidence)) {
            plan.answers(ToolCall::Ledger);
        }
        if has(Intent::Sources) && !searches_events && !compliance {
            plan.answers(ToolCall::Sources);
        } else if searches_events || !e.vendors.is_empty() || e.period.is_some() {
            plan.add(ToolCall::Sources, Purpose::Coverage);
        }
        for (words, what) in NEVER_RECORDED {
            if words.iter().any(|w| lower.contains(w)) {
                plan.never_recorded.push(what.to_string());
            }
        }
        // "How old is her password?": an age, which no log holds (a reset is an event; how
        // long ago the current password was set is not).
        let ages = ["how old", " age ", " aged ", "password expir"];
        if lower.contains("password")
            && ages.iter().any(|w| lower.contains(w))
            && !plan.never_recorded.iter().any(|w| w == "password ages")
        {
            plan.never_recorded.push("password ages".into());
        }
        plan.entities = e;
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_791_374_400_000;

    fn calls(q: &str) -> Vec<ToolCall> {
        RulePlanner
            .plan(q, None, NOW)
            .steps
            .into_iter()
            .filter(|s| s.purpose == Purpose::Answer)
            .map(|s| s.call)
            .collect()
    }

    #[test]
    fn questions_map_to_tools() {
        assert!(matches!(
            calls("How many incidents this week?")[..],
            [ToolCall::Incidents { crown_jewels: false, .. }]
        ));
        assert!(matches!(
            calls("Which incidents touched crown jewels this week?")[..],
            [ToolCall::Incidents { crown_jewels: true, .. }]
        ));
        assert_eq!(
            calls("Was CASE-0a1b2c3d4e contained within its SLA and who approved the containment?"),
            [ToolCall::Case { id: "CASE-0a1b2c3d4e".into() }, ToolCall::CaseResponse { id: "CASE-0a1b2c3d4e".into() }]
        );
        assert_eq!(
            calls("Has the packet for CASE-0a1b2c3d4e changed since export?"),
            [ToolCall::Case { id: "CASE-0a1b2c3d4e".into() }, ToolCall::CaseEvidence { id: "CASE-0a1b2c3d4e".into() }]
        );
        assert!(matches!(calls("Has 203.0.113.9 been seen before, and where?")[..], [ToolCall::Sightings { .. }]));
        assert!(matches!(calls("Is AKIAIOSFODNN7EXAMPLE still in use?")[..], [ToolCall::Sightings { .. }]));
        assert!(matches!(&calls("Which buckets were made public this month and by whom?")[..],
                [ToolCall::Events(q)] if !q.operations.is_empty()));
        assert!(matches!(&calls("Which admins signed in without MFA last week?")[..],
                [ToolCall::Events(q)] if q.without_mfa));
        assert!(matches!(calls("Which hosts ran powershell.exe?")[..], [ToolCall::Events(_)]));
        assert_eq!(calls("Is the ledger intact?"), [ToolCall::Ledger]);
        assert_eq!(calls("List all cases"), [ToolCall::Cases]);
        assert_eq!(calls("Which sources are connected?"), [ToolCall::Sources]);
        assert!(calls("What is the weather like?").is_empty());
    }

    #[test]
    fn coverage_inventory_baselines_and_written_queries_have_their_tools() {
        let cc7 = calls("Which SOC 2 CC7 controls have complete evidence this quarter?");
        assert!(
            matches!(&cc7[..], [ToolCall::ControlCoverage { framework, family: Some(f), period: Some(_) }]
                if framework == "SOC2" && f == "CC7"),
            "{cc7:?}"
        );
        assert!(matches!(
            &calls("Is our HIPAA coverage complete?")[..],
            [ToolCall::ControlCoverage { family: None, .. }]
        ));
        let v = calls("Does PayFlow still hold an active OAuth grant?");
        assert!(matches!(&v[..], [ToolCall::Vendors { names }] if names.contains(&"payflow".to_string())), "{v:?}");
        assert!(matches!(calls("Who owns AKIAIOSFODNN7EXAMPLE?")[..], [ToolCall::InventoryEntry { .. }]));
        assert!(matches!(
            calls("What does the baseline say about AKIAIOSFODNN7EXAMPLE?")[..],
            [ToolCall::Baseline { .. }]
        ));
        assert_eq!(calls("select 1 AS one;"), [ToolCall::Sql { sql: "select 1 AS one".into() }]);
        assert_eq!(
            calls("run: WITH x AS (SELECT 1) SELECT * FROM x"),
            [ToolCall::Sql { sql: "WITH x AS (SELECT 1) SELECT * FROM x".into() }]
        );
        assert_eq!(calls("Count them:\n```sql\nSELECT 2\n```"), [ToolCall::Sql { sql: "SELECT 2".into() }]);
        // SQL inside a question about something else is not a query to run.
        let hostile = calls("Has 10.0.0.1' UNION SELECT raw FROM events -- been seen?");
        assert!(!hostile.iter().any(|c| matches!(c, ToolCall::Sql { .. })), "{hostile:?}");
        assert_eq!(written_sql("```sql\n```"), None);
    }

    #[test]
    fn the_page_supplies_the_subject_when_the_question_names_none() {
        let p = RulePlanner.plan(
            "What else did this user do in the hour before the alert?",
            Some(&CaseOrIncident::Alert("0123456789abcdef0123456789abcdef".into())),
            NOW,
        );
        assert_eq!(p.steps[0].call, ToolCall::HourBeforeAlert { id: "0123456789abcdef0123456789abcdef".into() });
        let p = RulePlanner.plan("Who owns this?", Some(&CaseOrIncident::Case("CASE-1".into())), NOW);
        assert_eq!(p.steps[0].call, ToolCall::Case { id: "CASE-1".into() });
    }

    #[test]
    fn never_recorded_facts_are_named() {
        let p = RulePlanner.plan("What is our MFA policy for contractors?", None, NOW);
        assert_eq!(p.never_recorded, ["MFA policy settings"]);
    }
}

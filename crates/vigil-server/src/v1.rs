//! The API's version 1 response types: what `/api/v1` promises its clients, written out field
//! by field rather than the stored structs serialized as they are. A change to how Vigil stores
//! a case, an incident, an alert, a run or an audit entry changes nothing a client sees until it
//! is made here too (and a new field is a deliberate, additive change to the version).
//!
//! Nested values that are themselves part of the domain's vocabulary (a case's tasks and SLA
//! clocks, an incident's risk components and verdict, a run's steps) are serialized by their own
//! types; the resources and their top-level fields are fixed here.

use serde::Serialize;
use serde_json::Value;
use vigil_cases::{CaseEvent, Comment, DispositionRecord, Severity, SlaState, Status, Task, Times};
use vigil_model::{AlertKind, AlertRule, Confidence, CorrelationInfo, Entities, Feature, Matched};
use vigil_respond::{ApprovalStatus, RunStatus, StepRun};
use vigil_triage::{Item, Link, ModelScore};

/// A page of a list: `limit` items from `offset`, of `total`.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
}

/// A case.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub severity: Severity,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub incidents: Vec<String>,
    pub alerts: Vec<String>,
    pub risk: f64,
    pub verdict: String,
    pub entities: Vec<String>,
    pub summary: String,
    pub disposition: Option<DispositionRecord>,
    pub tasks: Vec<Task>,
    pub comments: Vec<Comment>,
    pub times: Times,
    pub sla: SlaState,
    pub history: Vec<CaseEvent>,
    pub merged_into: Option<String>,
}

impl From<vigil_cases::Case> for Case {
    fn from(c: vigil_cases::Case) -> Case {
        Case {
            id: c.id,
            title: c.title,
            status: c.status,
            severity: c.severity,
            owner: c.owner,
            team: c.team,
            incidents: c.incidents,
            alerts: c.alerts,
            risk: c.risk,
            verdict: c.verdict,
            entities: c.entities,
            summary: c.summary,
            disposition: c.disposition,
            tasks: c.tasks,
            comments: c.comments,
            times: c.times,
            sla: c.sla,
            history: c.history,
            merged_into: c.merged_into,
        }
    }
}

/// A case with its SLA clocks as of now.
#[derive(Debug, Clone, Serialize)]
pub struct CaseWithClocks {
    pub case: Case,
    pub sla: Value,
}

impl From<vigil_app::cases::CaseView> for CaseWithClocks {
    fn from(v: vigil_app::cases::CaseView) -> CaseWithClocks {
        CaseWithClocks { case: v.case.into(), sla: v.sla }
    }
}

/// An incident: the alerts triage grouped, why, its risk and its verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub id: String,
    pub title: String,
    pub first_ms: i64,
    pub last_ms: i64,
    pub alert_count: u64,
    pub items: Vec<Item>,
    pub links: Vec<Link>,
    pub entities: Vec<String>,
    pub tactics: Vec<String>,
    pub techniques: Vec<String>,
    pub level: String,
    pub features: Vec<f64>,
    pub risk: vigil_triage::Risk,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelScore>,
    pub verdict: vigil_triage::Verdict,
    pub queued: bool,
}

impl From<vigil_triage::Incident> for Incident {
    fn from(i: vigil_triage::Incident) -> Incident {
        Incident {
            id: i.id,
            title: i.title,
            first_ms: i.first_ms,
            last_ms: i.last_ms,
            alert_count: i.alert_count,
            items: i.items,
            links: i.links,
            entities: i.entities,
            tactics: i.tactics,
            techniques: i.techniques,
            level: i.level,
            features: i.features,
            risk: i.risk,
            model: i.model,
            verdict: i.verdict,
            queued: i.queued,
        }
    }
}

/// An alert: what fired, on which events, why, about whom, how sure.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub id: String,
    pub kind: AlertKind,
    pub rule: AlertRule,
    pub time: Option<i64>,
    pub event_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub matched: Vec<Matched>,
    pub explanation: String,
    pub confidence: Confidence,
    pub entities: Entities,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation: Option<CorrelationInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<Feature>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<String>,
}

impl From<vigil_model::Alert> for Alert {
    fn from(a: vigil_model::Alert) -> Alert {
        Alert {
            id: a.id,
            kind: a.kind,
            rule: a.rule,
            time: a.time,
            event_ids: a.event_ids,
            source: a.source,
            matched: a.matched,
            explanation: a.explanation,
            confidence: a.confidence,
            entities: a.entities,
            correlation: a.correlation,
            features: a.features,
            controls: a.controls,
        }
    }
}

/// One entry of the audit log (the ledger's leaf `seq - 1`).
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub result: String,
    pub detail: String,
}

impl From<vigil_store::AuditEntry> for AuditEntry {
    fn from(e: vigil_store::AuditEntry) -> AuditEntry {
        AuditEntry {
            seq: e.seq,
            at_ms: e.at_ms,
            actor: e.actor,
            action: e.action,
            target: e.target,
            result: e.result,
            detail: e.detail,
        }
    }
}

/// A playbook run: its steps as they stand.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub id: String,
    pub playbook: vigil_respond::Playbook,
    pub playbook_sha256: String,
    pub case_id: String,
    pub requested_by: String,
    pub status: RunStatus,
    pub context: Value,
    pub critical: bool,
    pub inputs: Value,
    pub steps: Vec<StepRun>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub note: Option<String>,
}

impl From<vigil_respond::Run> for Run {
    fn from(r: vigil_respond::Run) -> Run {
        Run {
            id: r.id,
            playbook: r.playbook,
            playbook_sha256: r.playbook_sha256,
            case_id: r.case_id,
            requested_by: r.requested_by,
            status: r.status,
            context: r.context,
            critical: r.critical,
            inputs: r.inputs,
            steps: r.steps,
            created_ms: r.created_ms,
            updated_ms: r.updated_ms,
            note: r.note,
        }
    }
}

/// A request for a person's decision on a step or a rollback.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub id: String,
    pub run_id: String,
    pub case_id: String,
    pub playbook_id: String,
    pub step_id: String,
    pub purpose: String,
    pub action: String,
    pub class: vigil_connectors::ActionClass,
    pub requested_by: String,
    pub requested_ms: i64,
    pub expires_ms: i64,
    pub status: ApprovalStatus,
    pub inputs: Value,
    pub edited_inputs: Option<Value>,
    pub decided_by: Option<String>,
    pub decided_ms: Option<i64>,
    pub note: Option<String>,
}

impl From<vigil_respond::Approval> for Approval {
    fn from(a: vigil_respond::Approval) -> Approval {
        Approval {
            id: a.id,
            run_id: a.run_id,
            case_id: a.case_id,
            playbook_id: a.playbook_id,
            step_id: a.step_id,
            purpose: a.purpose,
            action: a.action,
            class: a.class,
            requested_by: a.requested_by,
            requested_ms: a.requested_ms,
            expires_ms: a.expires_ms,
            status: a.status,
            inputs: a.inputs,
            edited_inputs: a.edited_inputs,
            decided_by: a.decided_by,
            decided_ms: a.decided_ms,
            note: a.note,
        }
    }
}

/// Converts each item of a list into its response type.
pub fn all<S, T: From<S>>(items: Vec<S>) -> Vec<T> {
    items.into_iter().map(T::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Version 1 was cut from what the API returned: the same JSON, field for field, so no
    /// client saw a change when the types were written out.
    #[test]
    fn version_one_serializes_as_the_api_did() {
        let seed = vigil_cases::CaseSeed {
            title: "t".into(),
            severity: Severity::High,
            incidents: vec!["INC-1".into()],
            alerts: vec!["a1".into()],
            risk: 72.5,
            verdict: "suspicious".into(),
            first_event_ms: Some(1_000),
            first_alert_ms: 2_000,
            entities: vec!["user:a".into()],
            summary: "s".into(),
        };
        let mut case = vigil_cases::Case::open(seed, "vigil:triage", 3_000).unwrap();
        case.comment("looked", "ana", 4_000).unwrap();
        assert_eq!(serde_json::to_value(Case::from(case.clone())).unwrap(), serde_json::to_value(&case).unwrap());

        let alert: vigil_model::Alert = serde_json::from_value(json!({
            "id": "a1", "kind": "correlation",
            "rule": {"id": "r", "title": "R", "level": "high", "tags": ["attack.t1110"], "techniques": ["T1110"], "tactics": [], "file": "f.yml"},
            "time": 5, "event_ids": ["e1"], "matched": [], "explanation": "x",
            "confidence": {"score": 60, "reason": "test"}, "entities": {"users": ["a"]},
            "correlation": {"type": "event_count", "group_by": [["user", "a"]], "value": 5.0, "timespan_secs": 60, "members": ["e1"], "rules": ["r"]}
        }))
        .unwrap();
        assert_eq!(serde_json::to_value(Alert::from(alert.clone())).unwrap(), serde_json::to_value(&alert).unwrap());

        let entry = vigil_store::AuditEntry::new(7, "ana", "case.comment", "CASE-1", "ok", "5 characters");
        assert_eq!(
            serde_json::to_value(AuditEntry::from(entry.clone())).unwrap(),
            serde_json::to_value(&entry).unwrap()
        );
    }
}

/// One fact an answer cites: what it says, the object it comes from, and that object's page in
/// the web app for this caller (`null` where there is none they may open).
#[derive(Debug, Clone, Serialize)]
pub struct AnswerFact {
    pub id: String,
    pub kind: vigil_assistant::FactKind,
    pub text: String,
    pub citation: String,
    pub href: Option<String>,
}

/// A sentence of an answer with the ids of the facts it cites.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerSentence {
    pub text: String,
    pub citations: Vec<String>,
}

/// The assistant's answer: sentences that each passed the verifier, the facts they cite, and —
/// when it declines — what was searched and what data would answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub question: String,
    pub declined: bool,
    pub sentences: Vec<AnswerSentence>,
    pub facts: Vec<AnswerFact>,
    pub dropped: usize,
    pub searched: Vec<String>,
    pub missing: Vec<String>,
}

impl Answer {
    pub fn of(a: vigil_assistant::Answer, reader: &vigil_app::Caller) -> Answer {
        Answer {
            question: a.question,
            declined: a.declined,
            sentences: a
                .sentences
                .into_iter()
                .map(|s| AnswerSentence { text: s.text, citations: s.citations })
                .collect(),
            facts: a
                .facts
                .into_iter()
                .map(|f| AnswerFact {
                    href: f.citation.web_path_for(reader),
                    citation: f.citation.to_string(),
                    id: f.id,
                    kind: f.kind,
                    text: f.text,
                })
                .collect(),
            dropped: a.dropped,
            searched: a.searched,
            missing: a.missing,
        }
    }
}

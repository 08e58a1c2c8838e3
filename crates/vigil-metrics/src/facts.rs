//! The plain facts metrics are computed from. Times are milliseconds since the Unix epoch.

use serde::{Deserialize, Serialize};

/// One SLA clock of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaFact {
    /// `acknowledge`, `contain` or `resolve`.
    pub kind: String,
    pub due_ms: i64,
    pub met_ms: Option<i64>,
    pub breached: bool,
}

/// One case and the times of its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFact {
    pub id: String,
    pub title: String,
    /// `critical`, `high`, `medium` or `low`.
    pub severity: String,
    /// The first malicious event, where the investigation established it.
    pub first_event_ms: Option<i64>,
    /// The time of the first alert's event.
    pub first_alert_ms: i64,
    /// When Vigil raised the first alert (the ingest that detected it), when known. Detection
    /// and response times count from here: an alert nobody could see yet was not detected.
    #[serde(default)]
    pub first_alert_raised_ms: Option<i64>,
    pub opened_ms: i64,
    pub acknowledged_ms: Option<i64>,
    pub contained_ms: Option<i64>,
    pub resolved_ms: Option<i64>,
    pub closed_ms: Option<i64>,
    /// true_positive | benign_true_positive | false_positive, as a person decided it
    pub disposition: Option<String>,
    pub sla: Vec<SlaFact>,
    /// Rule titles of its alerts.
    pub rules: Vec<String>,
    /// None: no packet exported; Some(true): the latest packet verifies and has every required part
    pub packet_complete: Option<bool>,
    pub owner: Option<String>,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertFact {
    pub id: String,
    pub rule_id: String,
    pub rule_title: String,
    pub time_ms: i64,
    pub case_id: Option<String>,
    /// the case's disposition, if a person gave one
    pub disposition: Option<String>,
    /// ground truth when labels exist: Some(true) the alert is on a labeled attack event
    pub labeled_attack: Option<bool>,
}

/// A snapshot of the triage funnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageFact {
    pub at_ms: i64,
    pub raw_alerts: u64,
    pub items: u64,
    pub incidents: u64,
    pub queued: u64,
}

/// One executed playbook step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepFact {
    pub run_id: String,
    pub playbook: String,
    pub case_id: String,
    pub step: String,
    pub at_ms: i64,
    pub automated: bool,
    /// `succeeded`, `failed`, or another status (skipped, pending, …) that metrics leave out.
    pub status: String,
}

/// An executive brief as issued and acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BriefFact {
    pub id: String,
    pub case_id: String,
    pub issued_ms: i64,
    pub acknowledged_ms: Option<i64>,
}

/// A suggested detection exception and what it would hide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionSuggestion {
    pub rule_id: String,
    pub rule_title: String,
    pub false_positives: u64,
    /// For example a Sigma filter or a suppression.
    pub suggestion: String,
    pub would_hide_alerts: u64,
    pub would_hide_true_positives: u64,
}

/// Everything the metrics are computed from. In JSON a missing list reads as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    pub cases: Vec<CaseFact>,
    pub alerts: Vec<AlertFact>,
    pub triage: Vec<TriageFact>,
    pub steps: Vec<StepFact>,
    pub briefs: Vec<BriefFact>,
    pub suggestions: Vec<ExceptionSuggestion>,
}

/// What one playbook step does: the connector action it calls and the action's class, for
/// the automation split. The caller takes the class from the connectors' registry (or the
/// run's own record of it); steps without one count in the overall automation rate only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepAction {
    pub run_id: String,
    pub step: String,
    /// The connector action, e.g. `okta.suspend_user`, `jira.create_issue`, `slack.webhook`.
    pub action: String,
    /// `read`, `notify` (notifications and tickets), `contain` or `destructive`.
    pub class: String,
}

/// One detection that fired on a case, for the executive brief.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectionFact {
    pub rule_title: String,
    /// When its (last) matching event happened.
    pub time_ms: Option<i64>,
    /// ATT&CK tactics from the rule's tags, snake_case (`privilege_escalation`).
    pub tactics: Vec<String>,
    pub users: Vec<String>,
    pub hosts: Vec<String>,
    /// Cloud access keys.
    pub keys: Vec<String>,
    pub buckets: Vec<String>,
    pub ips: Vec<String>,
}

/// One response action taken on a case, for the executive brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionFact {
    /// The playbook's name.
    pub playbook: String,
    /// The connector action.
    pub action: String,
    /// What it acted on (a user, a host, a key), when the inputs name it.
    pub target: Option<String>,
    pub at_ms: Option<i64>,
    /// Ran without a person deciding.
    pub automated: bool,
    /// Rolled back afterwards, with the rollback's status.
    pub rolled_back: Option<String>,
}

/// One approval request waiting for a decision, for the executive brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDecision {
    /// The connector action that waits.
    pub action: String,
    /// `read`, `notify`, `contain` or `destructive`.
    pub class: String,
    /// What it would act on, when the inputs name it.
    pub target: Option<String>,
    pub playbook: String,
    pub requested_by: String,
    pub requested_ms: i64,
    pub expires_ms: i64,
}

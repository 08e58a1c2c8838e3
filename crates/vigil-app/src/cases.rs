//! The queue's operations: triage, incidents and cases. Each state change is a typed value that
//! names its audit action and the permission it needs, so the CLI, the API, the web app and the
//! assistant cannot spell them differently.

use vigil_auth::Permission;
use vigil_cases::{Case, Disposition, SlaPolicy, Status};
use vigil_queue::{self as q, RunReport};
use vigil_store::StateStore;
use vigil_triage::{Incident, Override};

use crate::{App, AppError, Caller, Result};

/// A person's operation on one case.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseOp {
    /// Give the case an owner (and a team; the case's own team when `None`).
    Assign {
        owner: String,
        team: Option<String>,
    },
    Comment {
        text: String,
    },
    Acknowledge,
    Status(Status),
    AddTask {
        title: String,
        assignee: Option<String>,
    },
    /// Resolve with a disposition (needs the dispose permission).
    Resolve {
        disposition: Disposition,
        note: String,
    },
    PauseSla {
        reason: String,
    },
    ResumeSla,
}

impl CaseOp {
    /// The audit action, the one name every front end records.
    pub fn action(&self) -> &'static str {
        match self {
            CaseOp::Assign { .. } => "case.assign",
            CaseOp::Comment { .. } => "case.comment",
            CaseOp::Acknowledge => "case.ack",
            CaseOp::Status(_) => "case.status",
            CaseOp::AddTask { .. } => "case.task",
            CaseOp::Resolve { .. } => "case.resolve",
            CaseOp::PauseSla { .. } => "case.sla_pause",
            CaseOp::ResumeSla => "case.sla_resume",
        }
    }

    pub fn permission(&self) -> Permission {
        match self {
            CaseOp::Resolve { .. } => Permission::Dispose,
            _ => Permission::WorkCases,
        }
    }

    /// Applies the operation to a loaded case; the text is the audit entry's detail.
    fn apply(&self, c: &mut Case, who: &str, now: i64) -> std::result::Result<String, vigil_cases::CaseError> {
        match self {
            CaseOp::Assign { owner, team } => {
                let owner = owner.trim();
                let team = team.clone().or_else(|| c.team.clone());
                c.assign(Some(owner), team.as_deref(), who, now).map(|_| format!("owner {owner}"))
            }
            CaseOp::Comment { text } => {
                c.comment(text, who, now).map(|_| format!("{} characters", text.chars().count()))
            }
            CaseOp::Acknowledge => c.acknowledge(who, now).map(|n| format!("new: {n}")),
            CaseOp::Status(s) => c.transition(*s, who, now).map(|_| s.as_str().to_string()),
            CaseOp::AddTask { title, assignee } => {
                c.add_task(title, assignee.as_deref(), who, now).map(|n| format!("task {n}: {title}"))
            }
            CaseOp::Resolve { disposition, note } => {
                c.resolve(*disposition, note, who, now).map(|_| disposition.as_str().to_string())
            }
            CaseOp::PauseSla { reason } => c.pause_sla(reason, who, now).map(|_| reason.clone()),
            CaseOp::ResumeSla => c.resume_sla(who, now).map(|_| String::new()),
        }
    }
}

/// An incident, its alerts and its case.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IncidentDetail {
    pub incident: Incident,
    pub alerts: Vec<vigil_model::Alert>,
    pub case: Option<Case>,
}

/// The queue at a glance.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueueOverview {
    pub policy: SlaPolicy,
    pub cases: Vec<Case>,
    pub incidents: Vec<Incident>,
}

/// A case with its SLA clocks as of now, as every front end shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseView {
    pub case: Case,
    pub sla: serde_json::Value,
}

impl App {
    /// Applies `op` to case `id` as `caller`: permission checked, stored, audited once (a refused
    /// transition is audited as denied and returned).
    pub fn case_op(&self, caller: &Caller, id: &str, op: &CaseOp) -> Result<Case> {
        caller.require(op.permission(), op.action())?;
        let _held = self.lock()?;
        let mut store = self.store()?;
        let who = caller.name();
        let now = self.now_ms();
        let waiting = match op {
            CaseOp::Resolve { disposition: Disposition::TruePositive, note } => {
                let waiting = pending_containment(&store, id, now)?;
                if !waiting.is_empty() && note.trim().is_empty() {
                    return Err(AppError::Invalid(format!(
                        "{id} has containment waiting for approval ({}); resolving it as a true positive needs a reason (a note) saying why the containment is not awaited",
                        waiting.join("; ")
                    )));
                }
                waiting
            }
            _ => Vec::new(),
        };
        Ok(q::with_case(&mut store, id, &who, op.action(), now, |c| {
            let detail = op.apply(c, &who, now)?;
            if waiting.is_empty() {
                return Ok(detail);
            }
            // The reason is recorded with what was still waiting, on the history and the audit entry.
            let reason = match op {
                CaseOp::Resolve { note, .. } => note.trim().to_string(),
                _ => String::new(),
            };
            let line = format!("resolved while {} waited for approval: {reason}", waiting.join("; "));
            c.history.push(vigil_cases::CaseEvent {
                at_ms: now,
                actor: who.clone(),
                action: "case.resolve.pending_containment".into(),
                detail: line.clone(),
            });
            Ok(format!("{detail}; {line}"))
        })?)
    }

    /// Merges case `from` into case `into`.
    pub fn merge_cases(&self, caller: &Caller, into: &str, from: &str) -> Result<Case> {
        caller.require(Permission::WorkCases, "case.merge")?;
        let _held = self.lock()?;
        let mut store = self.store()?;
        Ok(q::merge_cases(&mut store, into, from, &caller.name(), self.now_ms())?)
    }

    /// Splits the named incidents or alerts out of case `id` into a new case.
    pub fn split_case(&self, caller: &Caller, id: &str, items: &[String], title: &str) -> Result<Case> {
        caller.require(Permission::WorkCases, "case.split")?;
        let _held = self.lock()?;
        let mut store = self.store()?;
        let refs: Vec<&str> = items.iter().map(String::as_str).collect();
        Ok(q::split_case(&mut store, id, &refs, title, &caller.name(), self.now_ms())?)
    }

    /// The SLA policy in force.
    pub fn sla_policy(&self) -> Result<SlaPolicy> {
        Ok(q::sla_policy(&self.store()?)?)
    }

    /// Open cases (not merged away, not closed) the caller may see, with their clocks.
    pub fn open_cases(&self, caller: &Caller) -> Result<Vec<CaseView>> {
        caller.require(Permission::ViewQueue, "read cases")?;
        let store = self.store()?;
        let policy = q::sla_policy(&store)?;
        let now = self.now_ms();
        let mut open: Vec<Case> =
            q::cases(&store)?.into_iter().filter(|c| c.merged_into.is_none() && c.status != Status::Closed).collect();
        by_urgency(&mut open, &policy, now);
        Ok(open.into_iter().map(|c| view(c, &policy, now)).collect())
    }

    /// Every case, merged and closed included.
    pub fn all_cases(&self, caller: &Caller) -> Result<Vec<Case>> {
        caller.require(Permission::ViewQueue, "read cases")?;
        Ok(q::cases(&self.store()?)?)
    }

    /// One case, if the caller may see it (an auditor: only what an active grant covers).
    pub fn case(&self, caller: &Caller, id: &str) -> Result<CaseView> {
        let store = self.store()?;
        let c = q::case(&store, id)?;
        let now = self.now_ms();
        if !caller.can_see_case(&c.id, c.times.opened_ms, now) {
            // Not revealing whether it exists.
            return Err(AppError::NotFound(format!("no case {id}")));
        }
        let policy = q::sla_policy(&store)?;
        Ok(view(c, &policy, now))
    }

    /// Replaces the SLA policy.
    pub fn set_sla_policy(&self, caller: &Caller, policy: &SlaPolicy) -> Result<()> {
        caller.require(Permission::ManageRules, "set the SLA policy")?;
        let mut store = self.store()?;
        Ok(q::set_sla_policy(&mut store, policy, &caller.name(), self.now_ms())?)
    }

    /// Replaces the team roster new cases are assigned from.
    pub fn set_roster(&self, caller: &Caller, roster: &q::Roster) -> Result<()> {
        caller.require(Permission::ManageRules, "set the roster")?;
        let mut store = self.store()?;
        Ok(q::set_roster(&mut store, roster, &caller.name(), self.now_ms())?)
    }

    /// Runs triage over the stored alerts: incidents kept, cases opened and ticked. A person's
    /// request is on the audit log (`triage.request`) before the run's own entries.
    pub fn triage(&self, caller: &Caller) -> Result<RunReport> {
        caller.require(Permission::WorkCases, "run triage")?;
        let _held = self.lock()?;
        let mut store = self.store()?;
        if !caller.is_machine() {
            let entry =
                vigil_store::AuditEntry::new(self.now_ms(), &caller.name(), "triage.request", "queue", "ok", "");
            self.audit(&mut store, &entry)?;
        }
        Ok(q::run(&mut store, self.now_ms())?)
    }

    /// Incidents by risk: the queue, or every incident with `all`.
    pub fn incidents(&self, caller: &Caller, all: bool) -> Result<Vec<Incident>> {
        caller.require(Permission::ViewQueue, "read incidents")?;
        Ok(q::incidents(&self.store()?)?.into_iter().filter(|i| all || i.queued).collect())
    }

    pub fn incident(&self, caller: &Caller, id: &str) -> Result<Incident> {
        caller.require(Permission::ViewQueue, "read incidents")?;
        Ok(q::incident(&self.store()?, id)?)
    }

    /// An incident with its alerts (by time) and the open case that holds it, if any.
    pub fn incident_detail(&self, caller: &Caller, id: &str) -> Result<IncidentDetail> {
        caller.require(Permission::ViewQueue, "read incidents")?;
        let store = self.store()?;
        let incident = q::incident(&store, id)?;
        let ids: std::collections::HashSet<&String> = incident.alert_ids().collect();
        let mut alerts: Vec<vigil_model::Alert> =
            q::stored_alerts(&store)?.into_iter().filter(|a| ids.contains(&a.id)).collect();
        alerts.sort_by_key(|a| a.time);
        let case =
            q::cases(&store)?.into_iter().find(|k| k.merged_into.is_none() && k.incidents.contains(&incident.id));
        Ok(IncidentDetail { incident, alerts, case })
    }

    /// The queue as its overview shows it: the SLA policy, every case and every incident.
    pub fn queue_overview(&self, caller: &Caller) -> Result<QueueOverview> {
        caller.require(Permission::ViewQueue, "read the queue")?;
        let store = self.store()?;
        let policy = q::sla_policy(&store)?;
        let mut cases = q::cases(&store)?;
        by_urgency(&mut cases, &policy, self.now_ms());
        Ok(QueueOverview { policy, cases, incidents: q::incidents(&store)? })
    }

    /// A person's merge of incidents, kept and re-applied by every later triage run; triage runs
    /// at once.
    pub fn merge_incidents(&self, caller: &Caller, ids: &[String], reason: &str) -> Result<RunReport> {
        caller.require(Permission::WorkCases, "incident.merge")?;
        if ids.len() < 2 {
            return Err(AppError::Invalid("name at least two incidents to merge".into()));
        }
        let _held = self.lock()?;
        let mut store = self.store()?;
        let mut items = Vec::new();
        for id in ids {
            let first = q::incident_items(&store, id)?.into_iter().next();
            items.push(first.ok_or_else(|| AppError::Invalid(format!("{id} has no items")))?);
        }
        let now = self.now_ms();
        let o = Override::Merge { items, by: caller.name(), at_ms: now, reason: reason.to_string() };
        q::add_override(&mut store, &o, now)?;
        Ok(q::run(&mut store, now)?)
    }

    /// A person's split of items out of an incident.
    pub fn split_incident(&self, caller: &Caller, id: &str, items: &[String], reason: &str) -> Result<RunReport> {
        caller.require(Permission::WorkCases, "incident.split")?;
        let _held = self.lock()?;
        let mut store = self.store()?;
        let have = q::incident_items(&store, id)?;
        if let Some(x) = items.iter().find(|x| !have.contains(x)) {
            return Err(AppError::Invalid(format!("{x} is not an item of {id}")));
        }
        if items.is_empty() || items.len() == have.len() {
            return Err(AppError::Invalid(format!("split some, not none or all, of the items of {id}")));
        }
        let now = self.now_ms();
        let o = Override::Split { items: items.to_vec(), by: caller.name(), at_ms: now, reason: reason.to_string() };
        q::add_override(&mut store, &o, now)?;
        Ok(q::run(&mut store, now)?)
    }

    /// Puts an incident the machine closed back in the queue; triage runs at once.
    pub fn reopen_incident(&self, caller: &Caller, id: &str, reason: &str) -> Result<RunReport> {
        caller.require(Permission::WorkCases, "incident.reopen")?;
        let _held = self.lock()?;
        let mut store = self.store()?;
        let now = self.now_ms();
        q::reopen(&mut store, id, &caller.name(), reason, now)?;
        Ok(q::run(&mut store, now)?)
    }

    /// Replaces the inventory (JSON text); returns how many entities it names.
    pub fn load_inventory(&self, caller: &Caller, text: &str) -> Result<usize> {
        caller.require(Permission::ManageInventory, "replace the inventory")?;
        let mut store = self.store()?;
        Ok(q::load_inventory(&mut store, text, &caller.name(), self.now_ms())?)
    }

    /// The inventory as stored (JSON), or an empty object.
    pub fn inventory(&self, caller: &Caller) -> Result<serde_json::Value> {
        caller.require(Permission::ViewInventory, "read the inventory")?;
        Ok(q::inventory_json(&self.store()?)?.unwrap_or_else(|| serde_json::json!({})))
    }

    /// The audit log, newest first.
    pub fn audit_log(&self, caller: &Caller, limit: u64) -> Result<Vec<vigil_store::AuditEntry>> {
        caller.require(Permission::ViewAudit, "read the audit log")?;
        Ok(self.store()?.audit(limit)?)
    }
}

/// The contain and destructive steps of the case's runs still waiting for a person, as
/// `APR-… (action on target)`.
fn pending_containment(store: &dyn StateStore, case: &str, now: i64) -> Result<Vec<String>> {
    use vigil_connectors::ActionClass;
    Ok(vigil_respond::engine::approvals(store)?
        .into_iter()
        .filter(|a| a.case_id == case && a.purpose == "step")
        .filter(|a| a.status == vigil_respond::ApprovalStatus::Pending && a.expires_ms > now)
        .filter(|a| matches!(a.class, ActionClass::Contain | ActionClass::Destructive))
        .map(|a| {
            if a.target.is_empty() {
                format!("{} ({})", a.id, a.action)
            } else {
                format!("{} ({} on {})", a.id, a.action, a.target)
            }
        })
        .collect())
}

/// Orders cases as a queue is worked: open cases first, the one whose SLA clock runs out first
/// (an overdue one before all others), then by severity and risk; finished cases last.
pub fn by_urgency(cases: &mut [Case], policy: &SlaPolicy, now: i64) {
    let key = |c: &Case| {
        let finished = c.merged_into.is_some() || matches!(c.status, Status::Resolved | Status::Closed);
        let soonest = c
            .sla_view(policy, now)
            .iter()
            .filter(|k| matches!(k.status, vigil_cases::SlaStatus::Running | vigil_cases::SlaStatus::Breached))
            .map(|k| k.remaining_ms)
            .min()
            .unwrap_or(i64::MAX);
        (finished, soonest, std::cmp::Reverse(c.severity), std::cmp::Reverse((c.risk * 1000.0) as i64))
    };
    cases.sort_by_cached_key(|c| (key(c), c.id.clone()));
}

fn view(case: Case, policy: &SlaPolicy, now: i64) -> CaseView {
    let sla = serde_json::to_value(case.sla_view(policy, now)).unwrap_or(serde_json::Value::Null);
    CaseView { case, sla }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_cases::{CaseSeed, Disposition, Severity};

    fn case(id: &str, severity: Severity, risk: f64, opened: i64) -> Case {
        let seed = CaseSeed {
            title: id.into(),
            severity,
            incidents: vec![format!("INC-{id}")],
            alerts: vec![],
            risk,
            verdict: "malicious".into(),
            first_event_ms: None,
            first_alert_ms: opened,
            entities: vec![],
            summary: String::new(),
        };
        Case::open_with_id(id, seed, "vigil:triage", opened).unwrap()
    }

    #[test]
    fn the_queue_is_ordered_by_urgency_not_by_id() {
        let policy = SlaPolicy::default();
        let now = 1_800_000_000_000;
        let hour = 3_600_000;
        // A: low and fresh; B: critical, opened long ago (overdue); C: high, fresh; D: resolved.
        let mut d = case("CASE-d", Severity::Critical, 99.0, now - 10 * hour);
        d.resolve(Disposition::FalsePositive, "test tenant", "ann", now - hour).unwrap();
        let mut list = vec![
            case("CASE-a", Severity::Low, 10.0, now),
            d,
            case("CASE-c", Severity::High, 70.0, now),
            case("CASE-b", Severity::Critical, 90.0, now - 48 * hour),
        ];
        by_urgency(&mut list, &policy, now);
        let ids: Vec<&str> = list.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.first(), Some(&"CASE-b"), "the overdue one first: {ids:?}");
        assert_eq!(ids.last(), Some(&"CASE-d"), "finished last: {ids:?}");
        let pos = |id: &str| ids.iter().position(|x| *x == id).unwrap();
        assert!(pos("CASE-c") < pos("CASE-a"), "high before low when both are fresh: {ids:?}");
    }
}

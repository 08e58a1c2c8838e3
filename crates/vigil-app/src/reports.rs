//! Summaries for the people who decide: the weekly scorecard (computed on demand, or published
//! into the vault) and the one-page executive brief (issued for a case, acknowledged by an
//! executive, which stops the decision clock).
//!
//! The scorecard here splits the automation rate by the class of each step's action (from the
//! connectors' registry), and the brief says what happened in plain words from the incident's
//! facts (detections, entities, tactics, actions taken) and lists the approvals of the case's
//! runs that wait for a decision.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;
use vigil_auth::Permission;
use vigil_metrics::{ActionFact, DetectionFact, PendingDecision, Period, Scorecard, StepAction};
use vigil_report::{BriefRecord, Published};
use vigil_store::{AuditEntry, Document, StateStore};

use crate::{App, AppError, Caller, Result};

impl From<vigil_report::ReportError> for AppError {
    fn from(e: vigil_report::ReportError) -> AppError {
        use vigil_report::ReportError as R;
        match e {
            R::NotFound(m) => AppError::NotFound(m),
            R::Invalid(m) => AppError::Invalid(m),
            R::Metrics(m) => AppError::Invalid(m.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl App {
    /// The ISO week `now` falls in.
    pub fn this_week(&self) -> Result<Period> {
        use chrono::Datelike;
        let w = chrono::DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_default().iso_week();
        Period::iso_week(w.year(), w.week()).map_err(|e| AppError::Invalid(e.to_string()))
    }

    /// The scorecard of `period` with `weeks` of trend, computed now, stored nowhere.
    pub fn scorecard(&self, caller: &Caller, period: &Period, weeks: usize) -> Result<Scorecard> {
        caller.require(Permission::ViewSummaries, "read the scorecard")?;
        let now = self.now_ms();
        let store = self.store()?;
        let mut facts = vigil_report::facts(&store, self.dir().root(), now, None)?;
        add_not_contained_clocks(&store, &mut facts, now)?;
        let actions = step_actions(&store)?;
        Ok(vigil_metrics::scorecard_with_actions(
            &facts,
            &actions,
            period,
            weeks.min(52),
            "Vigil weekly scorecard",
            now,
        ))
    }

    /// Publishes the scorecard of `period`: kept in the vault and audited.
    pub fn publish_scorecard(
        &self,
        caller: &Caller,
        period: &Period,
        weeks: usize,
        title: &str,
        labeled_events: Option<&BTreeSet<String>>,
    ) -> Result<Published> {
        caller.require(Permission::ViewSummaries, "scorecard.publish")?;
        let mut store = self.store()?;
        let now = self.now_ms();
        let actor = caller.name();
        let root = self.dir().root();
        let mut facts = vigil_report::facts(&store, root, now, labeled_events)?;
        add_not_contained_clocks(&store, &mut facts, now)?;
        let actions = step_actions(&store)?;
        let sc = vigil_metrics::scorecard_with_actions(&facts, &actions, period, weeks, title, now);
        let html = sc.to_html();
        let markdown = sc.to_markdown();
        let json = sc.to_json();
        let meta = vigil_vault::vault::ItemMeta {
            name: format!("scorecard-{}.html", period.label),
            media_type: "text/html".into(),
            kind: "scorecard".into(),
            scope: vigil_vault::vault::Scope {
                from_ms: Some(period.from_ms),
                to_ms: Some(period.to_ms),
                ..Default::default()
            },
            source: "vigil scorecard".into(),
            collector: format!("vigil {} scorecard", env!("CARGO_PKG_VERSION")),
            added_by: actor.clone(),
            retain_until_ms: None,
        };
        let (item, _) = vigil_vault::vault::put(&mut store, root, html.as_bytes(), &meta, now)
            .map_err(vigil_report::ReportError::from)?;
        store
            .append_audit(&[AuditEntry::new(
                now,
                &actor,
                "scorecard.publish",
                &period.label,
                "ok",
                &serde_json::json!({"sha256": item.sha256}).to_string(),
            )])
            .map_err(vigil_report::ReportError::from)?;
        Ok(Published { scorecard: sc, html, markdown, json, vault_sha256: item.sha256 })
    }

    /// Issues case `case`'s executive brief; the record and its printable page. What happened
    /// is told from the incident's facts (the detections on the case with their entities,
    /// times and ATT&CK tactics, and the actions taken); the decisions are the approvals of
    /// the case's runs still pending.
    pub fn issue_brief(&self, caller: &Caller, case: &str) -> Result<(BriefRecord, String)> {
        caller.require(Permission::WorkCases, "brief.issue")?;
        let mut store = self.store()?;
        let now = self.now_ms();
        let actor = caller.name();
        let case_id = case;
        let all = vigil_report::facts(&store, self.dir().root(), now, None)?;
        let fact = all
            .cases
            .into_iter()
            .find(|c| c.id == case_id)
            .ok_or_else(|| AppError::NotFound(format!("no case {case_id}")))?;
        let full = vigil_queue::cases(&store)
            .map_err(vigil_report::ReportError::from)?
            .into_iter()
            .find(|c| c.id == case_id)
            .ok_or_else(|| AppError::NotFound(format!("no case {case_id}")))?;
        let ids: HashSet<&str> = full.alerts.iter().map(String::as_str).collect();
        let detections: Vec<DetectionFact> = vigil_queue::stored_alerts(&store)
            .map_err(vigil_report::ReportError::from)?
            .into_iter()
            .filter(|a| ids.contains(a.id.as_str()))
            .map(|a| DetectionFact {
                rule_title: a.rule.title,
                time_ms: a.time,
                tactics: a.rule.tactics,
                users: a.entities.users,
                hosts: a.entities.hosts,
                keys: a.entities.keys,
                buckets: a.entities.buckets,
                ips: a.entities.ips,
            })
            .collect();
        let runs: Vec<vigil_respond::Run> = vigil_respond::engine::runs(&store)
            .map_err(vigil_report::ReportError::from)?
            .into_iter()
            .filter(|r| r.case_id == case_id)
            .collect();
        let mut taken = Vec::new();
        for r in &runs {
            for s in r.steps.iter().filter(|s| matches!(s.status, vigil_respond::StepStatus::Succeeded)) {
                taken.push(ActionFact {
                    playbook: r.playbook.name.clone(),
                    action: s.action.clone(),
                    target: target_of(s.inputs.as_ref(), &r.inputs, s.class),
                    at_ms: s.finished_ms.or(s.started_ms),
                    automated: s.automated,
                    rolled_back: s.rollback.as_ref().map(|rb| rb.status.clone()),
                });
            }
        }
        let run_ids: HashSet<&str> = runs.iter().map(|r| r.id.as_str()).collect();
        let pending: Vec<PendingDecision> = vigil_respond::engine::approvals(&store)
            .map_err(vigil_report::ReportError::from)?
            .into_iter()
            .filter(|a| a.case_id == case_id || run_ids.contains(a.run_id.as_str()))
            .filter(|a| a.status == vigil_respond::ApprovalStatus::Pending && a.expires_ms > now)
            .map(|a| {
                let run_inputs = runs.iter().find(|r| r.id == a.run_id).map_or(&Value::Null, |r| &r.inputs);
                let target = target_of(Some(a.edited_inputs.as_ref().unwrap_or(&a.inputs)), run_inputs, a.class);
                PendingDecision {
                    target,
                    action: a.action,
                    class: a.class.as_str().to_string(),
                    playbook: a.playbook_id,
                    requested_by: a.requested_by,
                    requested_ms: a.requested_ms,
                    expires_ms: a.expires_ms,
                }
            })
            .collect();
        let mut actions = vigil_metrics::Brief::actions_taken(&taken);
        if actions.is_empty() {
            actions.push("No response action has run yet.".into());
        }
        let impact = format!(
            "Severity {}. Entities involved: {}.",
            full.severity.as_str(),
            if full.entities.is_empty() { "none recorded".to_string() } else { full.entities.join(", ") },
        );
        let n = vigil_report::briefs(&store)?.len();
        let id = format!("BRF-{}", &vigil_model::sha256_hex(format!("{case_id}\n{now}\n{n}").as_bytes())[..10]);
        let brief = vigil_metrics::Brief {
            what_happened: vigil_metrics::Brief::what_happened(&fact, &detections, &taken),
            case: fact,
            impact,
            actions,
            decisions: vigil_metrics::Brief::pending_decisions(&pending),
            issued_ms: now,
            id: id.clone(),
        };
        let html = brief.to_html();
        let rec = BriefRecord {
            id: id.clone(),
            case_id: case_id.into(),
            issued_ms: now,
            issued_by: actor.clone(),
            acknowledged_ms: None,
            acknowledged_by: None,
            html_sha256: vigil_model::sha256_hex(html.as_bytes()),
            brief,
        };
        let audit = AuditEntry::new(
            now,
            &actor,
            "brief.issue",
            case_id,
            "ok",
            &serde_json::json!({"brief": id, "sha256": rec.html_sha256}).to_string(),
        );
        let json = serde_json::to_string(&rec).map_err(|e| AppError::Internal(e.to_string()))?;
        store
            .put_documents(vigil_report::BRIEF, &[Document { id: id.clone(), updated_ms: now, json }], false, &[audit])
            .map_err(vigil_report::ReportError::from)?;
        Ok((rec, html))
    }

    /// Acknowledges a brief (once).
    pub fn acknowledge_brief(&self, caller: &Caller, id: &str) -> Result<BriefRecord> {
        caller.require(Permission::ViewSummaries, "brief.acknowledge")?;
        let mut store = self.store()?;
        Ok(vigil_report::acknowledge_brief(&mut store, id, &caller.name(), self.now_ms())?)
    }

    /// Briefs, newest first.
    pub fn briefs(&self, caller: &Caller) -> Result<Vec<BriefRecord>> {
        caller.require(Permission::ViewSummaries, "read briefs")?;
        let mut list = vigil_report::briefs(&self.store()?)?;
        list.sort_by_key(|b| std::cmp::Reverse(b.issued_ms));
        Ok(list)
    }

    pub fn brief(&self, caller: &Caller, id: &str) -> Result<BriefRecord> {
        caller.require(Permission::ViewSummaries, "read briefs")?;
        Ok(vigil_report::load_brief(&self.store()?, id)?)
    }
}

/// Every step of every run with its action and the action's class, from the connectors'
/// registry (or, for an action the registry does not know, the class the run recorded).
fn step_actions(store: &dyn StateStore) -> Result<Vec<StepAction>> {
    let runs = vigil_respond::engine::runs(store).map_err(vigil_report::ReportError::from)?;
    Ok(runs
        .iter()
        .flat_map(|r| {
            r.steps.iter().map(|s| {
                let class = vigil_connectors::action(&s.action).map_or(s.class, |a| a.class());
                StepAction {
                    run_id: r.id.clone(),
                    step: s.id.clone(),
                    action: s.action.clone(),
                    class: class.as_str().to_string(),
                }
            })
        })
        .collect())
}

/// Input names that say what an action acts on, most specific first.
const TARGET_KEYS: &[&str] =
    &["user", "user_name", "login", "host", "hostname", "access_key_id", "key", "bucket", "ip", "principal"];

/// What a step acts on, from its inputs (or the run's): the first input named like a target.
/// Notifications and tickets act on no entity.
fn target_of(inputs: Option<&Value>, run_inputs: &Value, class: vigil_connectors::ActionClass) -> Option<String> {
    if class == vigil_connectors::ActionClass::Notify {
        return None;
    }
    let pick = |v: &Value| {
        TARGET_KEYS.iter().find_map(|k| v.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string))
    };
    inputs.and_then(pick).or_else(|| pick(run_inputs))
}

/// Adds the contain clock of every case that ended without containment when the facts lack
/// it: such a clock has stopped ("not contained"), so it belongs in the scorecard even
/// before its due time passes.
fn add_not_contained_clocks(store: &dyn StateStore, facts: &mut vigil_metrics::Facts, now: i64) -> Result<()> {
    let policy = vigil_queue::load(store).map_err(vigil_report::ReportError::from)?.policy;
    let cases = vigil_queue::cases(store).map_err(vigil_report::ReportError::from)?;
    for fact in facts.cases.iter_mut().filter(|f| !f.sla.iter().any(|k| k.kind == "contain")) {
        let Some(case) = cases.iter().find(|c| c.id == fact.id && c.not_contained()) else { continue };
        if let Some(clock) = case.sla_view(&policy, now).into_iter().find(|k| k.kind == vigil_cases::SlaKind::Contain) {
            fact.sla.push(vigil_metrics::SlaFact {
                kind: clock.kind.as_str().to_string(),
                due_ms: clock.due_ms,
                met_ms: clock.met_ms,
                breached: clock.breached,
            });
        }
    }
    Ok(())
}

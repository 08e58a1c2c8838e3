//! Reports from the store: the facts `vigil-metrics` computes over (cases with their clocks,
//! dispositions and packets; alerts with when they were raised; triage runs; playbook steps;
//! briefs; tuning suggestions with their impact preview), executive briefs (issued and
//! acknowledged, both audited, for time to decision), and the published scorecard (kept in the
//! evidence vault).
//!
//! Must not: compute a metric itself (that is `vigil-metrics`, in one place) or change cases.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;
use vigil_cases::Case;
use vigil_metrics::{
    ActionFact, AlertFact, BriefFact, CaseFact, DetectionFact, ExceptionSuggestion, Facts, PendingDecision, SlaFact,
    StepAction, StepFact, TriageFact,
};
use vigil_store::{AuditEntry, Document, StateStore};

pub const BRIEF: &str = "brief";

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("store: {0}")]
    Store(#[from] vigil_store::StoreError),
    #[error("{0}")]
    Queue(#[from] vigil_queue::QueueError),
    #[error("{0}")]
    Vault(#[from] vigil_vault::VaultError),
    #[error("{0}")]
    Respond(#[from] vigil_respond::RespondError),
    #[error("{0}")]
    Metrics(#[from] vigil_metrics::MetricsError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, ReportError>;

/// The files a complete incident packet holds.
pub const REQUIRED_PACKET_FILES: [&str; 13] = [
    "manifest.json",
    "SHA256SUMS",
    "SHA256SUMS.sig",
    "logs/events.jsonl",
    "timeline.csv",
    "approvals.csv",
    "custody.csv",
    "owners.csv",
    "controls-to-evidence.csv",
    "report.html",
    "proofs/entries.jsonl",
    "proofs/checkpoint.json",
    "proofs/consistency.jsonl",
];

/// Whether a case's latest packet in the vault verifies with the ledger key and has every
/// required part; `None` when no packet was exported.
pub fn packet_complete(store: &dyn StateStore, data_dir: &Path, case_id: &str, key_hex: &str) -> Result<Option<bool>> {
    let latest = vigil_vault::vault::items(store)?
        .into_iter()
        .filter(|i| {
            i.meta.kind == "packet" && i.purged_ms.is_none() && i.meta.scope.case_id.as_deref() == Some(case_id)
        })
        .max_by_key(|i| i.added_ms);
    let Some(item) = latest else { return Ok(None) };
    let Ok(bytes) = vigil_vault::vault::read(data_dir, &item.sha256) else { return Ok(Some(false)) };
    let report = vigil_evidence::packet::verify_packet(&bytes, Some(key_hex), &[]);
    if !report.ok() {
        return Ok(Some(false));
    }
    let names = zip_names(&bytes);
    Ok(Some(REQUIRED_PACKET_FILES.iter().all(|f| names.contains(*f))))
}

fn zip_names(bytes: &[u8]) -> BTreeSet<String> {
    vigil_evidence::packet::file_names(bytes).map(|v| v.into_iter().collect()).unwrap_or_default()
}

/// The case's SLA clocks as of `now`. A clock not met and not yet due is neither met nor
/// breached: it is left out until it is one or the other — unless it has stopped, as the
/// contain clock of a case that ended without containment ("not contained").
fn sla_facts(c: &Case, policy: &vigil_cases::SlaPolicy, now: i64) -> Vec<SlaFact> {
    c.sla_view(policy, now)
        .into_iter()
        .filter(|k| {
            k.met_ms.is_some() || k.breached || k.due_ms <= now || k.status == vigil_cases::SlaStatus::NotContained
        })
        .map(|k| SlaFact {
            kind: k.kind.as_str().to_string(),
            due_ms: k.due_ms,
            met_ms: k.met_ms,
            breached: k.breached,
        })
        .collect()
}

/// Every fact the metrics need, from the store (and the vault for packets).
/// `labeled_events`: event ids of labeled attacks (ground truth), when there is any.
pub fn facts(
    store: &dyn StateStore,
    data_dir: &Path,
    now: i64,
    labeled_events: Option<&BTreeSet<String>>,
) -> Result<Facts> {
    let ctx = vigil_queue::load(store)?;
    let policy = ctx.policy.clone();
    let raised: HashMap<String, i64> = store.alerts_raised()?.into_iter().collect();
    let alerts = vigil_queue::stored_alerts(store)?;
    let cases: Vec<Case> = vigil_queue::cases(store)?.into_iter().filter(|c| c.merged_into.is_none()).collect();
    let case_of: HashMap<&str, &Case> =
        cases.iter().flat_map(|c| c.alerts.iter().map(move |a| (a.as_str(), c))).collect();
    let key = vigil_vault::ledger::load_or_create_key(data_dir)?.public_key_hex();
    let by_id: HashMap<&str, &vigil_model::Alert> = alerts.iter().map(|a| (a.id.as_str(), a)).collect();

    let mut case_facts = Vec::new();
    for c in &cases {
        let mine: Vec<&vigil_model::Alert> = c.alerts.iter().filter_map(|id| by_id.get(id.as_str()).copied()).collect();
        let mut rules: Vec<String> = mine.iter().map(|a| a.rule.title.clone()).collect();
        rules.sort();
        rules.dedup();
        let first_raised = c.alerts.iter().filter_map(|id| raised.get(id)).min().copied();
        case_facts.push(CaseFact {
            id: c.id.clone(),
            title: c.title.clone(),
            severity: c.severity.as_str().to_string(),
            first_event_ms: c.times.first_event_ms,
            first_alert_ms: c.times.first_alert_ms,
            first_alert_raised_ms: first_raised,
            opened_ms: c.times.opened_ms,
            acknowledged_ms: c.times.acknowledged_ms,
            contained_ms: c.times.contained_ms,
            resolved_ms: c.times.resolved_ms,
            closed_ms: c.times.closed_ms,
            disposition: c.disposition.as_ref().map(|d| d.disposition.as_str().to_string()),
            sla: sla_facts(c, &policy, now),
            rules,
            packet_complete: packet_complete(store, data_dir, &c.id, &key)?,
            owner: c.owner.clone(),
        });
    }
    let alert_facts: Vec<AlertFact> = alerts
        .iter()
        .map(|a| {
            let case = case_of.get(a.id.as_str());
            AlertFact {
                id: a.id.clone(),
                rule_id: a.rule.id.clone(),
                rule_title: a.rule.title.clone(),
                time_ms: a.time.or_else(|| raised.get(&a.id).copied()).unwrap_or(0),
                case_id: case.map(|c| c.id.clone()),
                disposition: case.and_then(|c| c.disposition.as_ref()).map(|d| d.disposition.as_str().to_string()),
                labeled_attack: labeled_events.map(|l| a.event_ids.iter().any(|e| l.contains(e))),
            }
        })
        .collect();
    let triage: Vec<TriageFact> = vigil_vault::ledger::load(store)?
        .entries
        .iter()
        .filter(|e| e.action == "triage.run" && e.result == "ok")
        .filter_map(|e| {
            let v: serde_json::Value = serde_json::from_str(&e.detail).ok()?;
            let n = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
            Some(TriageFact {
                at_ms: e.at_ms,
                raw_alerts: n("raw_alerts"),
                items: n("items"),
                incidents: n("incidents"),
                queued: n("queued"),
            })
        })
        .collect();
    let mut steps = Vec::new();
    for r in vigil_respond::engine::runs(store)? {
        for s in &r.steps {
            let status =
                serde_json::to_value(s.status).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            if let Some(at) = s.finished_ms.or(s.started_ms) {
                steps.push(StepFact {
                    run_id: r.id.clone(),
                    playbook: r.playbook.id.clone(),
                    case_id: r.case_id.clone(),
                    step: s.id.clone(),
                    at_ms: at,
                    automated: s.automated,
                    status,
                });
            }
        }
    }
    let briefs = briefs(store)?
        .into_iter()
        .map(|b| BriefFact { id: b.id, case_id: b.case_id, issued_ms: b.issued_ms, acknowledged_ms: b.acknowledged_ms })
        .collect();
    let suggestions = suggestions(&ctx, &cases, &alerts, now);
    Ok(Facts { cases: case_facts, alerts: alert_facts, triage, steps, briefs, suggestions })
}

/// For the rules with false-positive dispositions: suppress the rule for the entity that most
/// of its false positives share, with the impact of hiding those alerts previewed by triage.
fn suggestions(
    ctx: &vigil_queue::Context,
    cases: &[Case],
    alerts: &[vigil_model::Alert],
    now: i64,
) -> Vec<ExceptionSuggestion> {
    let disposition: HashMap<&str, &str> = cases
        .iter()
        .filter_map(|c| c.disposition.as_ref().map(|d| (c, d.disposition.as_str())))
        .flat_map(|(c, d)| c.alerts.iter().map(move |a| (a.as_str(), d)))
        .collect();
    let mut fp_by_rule: BTreeMap<(String, String), Vec<&vigil_model::Alert>> = BTreeMap::new();
    for a in alerts {
        if disposition.get(a.id.as_str()) == Some(&"false_positive") {
            fp_by_rule.entry((a.rule.id.clone(), a.rule.title.clone())).or_default().push(a);
        }
    }
    let input = ctx.input(now);
    let mut out = Vec::new();
    for ((rule_id, title), fps) in fp_by_rule {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for a in &fps {
            for e in a
                .entities
                .users
                .iter()
                .map(|u| format!("user {u}"))
                .chain(a.entities.hosts.iter().map(|h| format!("host {h}")))
            {
                *counts.entry(e).or_default() += 1;
            }
        }
        let Some((entity, _)) = counts.into_iter().max_by_key(|(_, n)| *n) else { continue };
        let value = entity.split_once(' ').map(|(_, v)| v.to_string()).unwrap_or_default();
        let hidden: BTreeSet<String> = alerts
            .iter()
            .filter(|a| {
                a.rule.id == rule_id && (a.entities.users.contains(&value) || a.entities.hosts.contains(&value))
            })
            .map(|a| a.id.clone())
            .collect();
        let impact = vigil_triage::impact_of_hiding(&input, &format!("suppress {title} for {entity}"), &hidden);
        let tp = hidden.iter().filter(|id| disposition.get(id.as_str()) == Some(&"true_positive")).count() as u64;
        out.push(ExceptionSuggestion {
            rule_id,
            rule_title: title.clone(),
            false_positives: fps.len() as u64,
            suggestion: format!(
                "vigil suppress add --rule \"{title}\" --entity {value} --reason \"…\" (queue {} → {})",
                impact.queue_before, impact.queue_after
            ),
            would_hide_alerts: impact.alerts_hidden,
            would_hide_true_positives: tp,
        });
    }
    out.sort_by_key(|x| std::cmp::Reverse(x.false_positives));
    out
}

/// An executive brief as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BriefRecord {
    pub id: String,
    pub case_id: String,
    pub issued_ms: i64,
    pub issued_by: String,
    pub acknowledged_ms: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub html_sha256: String,
    pub brief: vigil_metrics::Brief,
}

pub fn briefs(store: &dyn StateStore) -> Result<Vec<BriefRecord>> {
    store
        .documents(BRIEF)?
        .iter()
        .map(|d| serde_json::from_str(&d.json).map_err(|e| ReportError::Invalid(format!("brief {}: {e}", d.id))))
        .collect()
}

pub fn load_brief(store: &dyn StateStore, id: &str) -> Result<BriefRecord> {
    let d = store.document(BRIEF, id)?.ok_or_else(|| ReportError::NotFound(format!("no brief {id}")))?;
    serde_json::from_str(&d.json).map_err(|e| ReportError::Invalid(format!("brief {id}: {e}")))
}

fn put_brief(store: &mut dyn StateStore, b: &BriefRecord, now: i64, audit: AuditEntry) -> Result<()> {
    let json = serde_json::to_string(b).map_err(|e| ReportError::Invalid(e.to_string()))?;
    store.put_documents(BRIEF, &[Document { id: b.id.clone(), updated_ms: now, json }], false, &[audit])?;
    Ok(())
}

/// Issues a one-page brief for a case, returning the record and its HTML. What happened is told
/// from the incident's facts (the detections on the case with their entities, times and ATT&CK
/// tactics, and the actions taken); the decisions are the approvals of the case's runs still
/// pending.
pub fn issue_brief(
    store: &mut dyn StateStore,
    data_dir: &Path,
    case_id: &str,
    actor: &str,
    now: i64,
) -> Result<(BriefRecord, String)> {
    let all = facts(store, data_dir, now, None)?;
    let fact = all
        .cases
        .into_iter()
        .find(|c| c.id == case_id)
        .ok_or_else(|| ReportError::NotFound(format!("no case {case_id}")))?;
    let full = vigil_queue::cases(store)?
        .into_iter()
        .find(|c| c.id == case_id)
        .ok_or_else(|| ReportError::NotFound(format!("no case {case_id}")))?;
    let ids: HashSet<&str> = full.alerts.iter().map(String::as_str).collect();
    let detections: Vec<DetectionFact> = vigil_queue::stored_alerts(store)?
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
    let runs: Vec<vigil_respond::Run> =
        vigil_respond::engine::runs(store)?.into_iter().filter(|r| r.case_id == case_id).collect();
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
    let pending: Vec<PendingDecision> = vigil_respond::engine::approvals(store)?
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
    let n = briefs(store)?.len();
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
        issued_by: actor.into(),
        acknowledged_ms: None,
        acknowledged_by: None,
        html_sha256: vigil_model::sha256_hex(html.as_bytes()),
        brief,
    };
    let audit = AuditEntry::new(
        now,
        actor,
        "brief.issue",
        case_id,
        "ok",
        &serde_json::json!({"brief": id, "sha256": rec.html_sha256}).to_string(),
    );
    put_brief(store, &rec, now, audit)?;
    Ok((rec, html))
}

/// An executive acknowledges a brief (once; the time to decision runs until then).
pub fn acknowledge_brief(store: &mut dyn StateStore, id: &str, actor: &str, now: i64) -> Result<BriefRecord> {
    let mut b = load_brief(store, id)?;
    if let Some(at) = b.acknowledged_ms {
        return Err(ReportError::Invalid(format!(
            "{id} was already acknowledged by {} at {at}",
            b.acknowledged_by.clone().unwrap_or_default()
        )));
    }
    b.acknowledged_ms = Some(now);
    b.acknowledged_by = Some(actor.into());
    let audit = AuditEntry::new(
        now,
        actor,
        "brief.acknowledge",
        &b.case_id,
        "ok",
        &serde_json::json!({"brief": id, "after_ms": now - b.issued_ms}).to_string(),
    );
    put_brief(store, &b, now, audit)?;
    Ok(b)
}

/// A published scorecard: HTML, Markdown and JSON, and the vault artifact's hash.
pub struct Published {
    pub scorecard: vigil_metrics::Scorecard,
    pub html: String,
    pub markdown: String,
    pub json: serde_json::Value,
    pub vault_sha256: String,
}

/// The scorecard of `period` with `weeks` of trend, computed now: the facts, and every run's
/// steps with the class of their action (so automation is split by class).
pub fn scorecard(
    store: &dyn StateStore,
    data_dir: &Path,
    period: &vigil_metrics::Period,
    weeks: usize,
    title: &str,
    now: i64,
    labeled_events: Option<&BTreeSet<String>>,
) -> Result<vigil_metrics::Scorecard> {
    let f = facts(store, data_dir, now, labeled_events)?;
    let actions = step_actions(store)?;
    Ok(vigil_metrics::scorecard_with_actions(&f, &actions, period, weeks, title, now))
}

/// Computes and publishes a scorecard: the HTML is kept in the evidence vault (a `scorecard`
/// artifact) and the publication is audited.
#[allow(clippy::too_many_arguments)]
pub fn publish_scorecard(
    store: &mut dyn StateStore,
    data_dir: &Path,
    period: &vigil_metrics::Period,
    weeks: usize,
    title: &str,
    actor: &str,
    now: i64,
    labeled_events: Option<&BTreeSet<String>>,
) -> Result<Published> {
    let sc = scorecard(store, data_dir, period, weeks, title, now, labeled_events)?;
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
        added_by: actor.into(),
        retain_until_ms: None,
    };
    let (item, _) = vigil_vault::vault::put(store, data_dir, html.as_bytes(), &meta, now)?;
    store.append_audit(&[AuditEntry::new(
        now,
        actor,
        "scorecard.publish",
        &period.label,
        "ok",
        &serde_json::json!({"sha256": item.sha256}).to_string(),
    )])?;
    Ok(Published { scorecard: sc, html, markdown, json, vault_sha256: item.sha256 })
}

/// Every step of every run with its action and the action's class, from the connectors'
/// registry (or, for an action the registry does not know, the class the run recorded).
pub fn step_actions(store: &dyn StateStore) -> Result<Vec<StepAction>> {
    let runs = vigil_respond::engine::runs(store)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_cases::{CaseSeed, Severity, SlaPolicy};

    fn case(now: i64) -> Case {
        let seed = CaseSeed {
            title: "t".into(),
            severity: Severity::Critical,
            incidents: vec!["INC-1".into()],
            alerts: vec!["a1".into()],
            risk: 90.0,
            verdict: "malicious".into(),
            first_event_ms: Some(now - 60_000),
            first_alert_ms: now,
            entities: vec!["user:ann@x.com".into()],
            summary: "s".into(),
        };
        Case::open(seed, "vigil:triage", now).unwrap()
    }

    #[test]
    fn running_sla_clocks_are_neither_met_nor_breached() {
        let policy = SlaPolicy::default();
        let t0 = 1_800_000_000_000;
        let c = case(t0);
        // A minute in: every clock still runs, none is a fact yet.
        assert!(sla_facts(&c, &policy, t0 + 60_000).is_empty());
        // A year on, unacknowledged: every clock is due and unmet.
        let late = sla_facts(&c, &policy, t0 + 365 * 86_400_000);
        assert_eq!(late.len(), 3);
        assert!(late.iter().all(|k| k.met_ms.is_none()));
        // Acknowledged at once: that clock is a fact (met) even before it is due.
        let mut acked = c.clone();
        acked.acknowledge("ann", t0 + 1_000).unwrap();
        let facts = sla_facts(&acked, &policy, t0 + 2_000);
        assert_eq!(facts.len(), 1);
        assert_eq!((facts[0].kind.as_str(), facts[0].met_ms), ("acknowledge", Some(t0 + 1_000)));
    }

    #[test]
    fn a_brief_is_acknowledged_once_and_both_are_audited() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = vigil_store::SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let t0 = 1_800_000_000_000;
        let c = case(t0);
        let brief = vigil_metrics::Brief {
            case: CaseFact {
                id: c.id.clone(),
                title: c.title.clone(),
                severity: "critical".into(),
                first_event_ms: None,
                first_alert_ms: t0,
                first_alert_raised_ms: None,
                opened_ms: t0,
                acknowledged_ms: None,
                contained_ms: None,
                resolved_ms: None,
                closed_ms: None,
                disposition: None,
                sla: vec![],
                rules: vec![],
                packet_complete: None,
                owner: None,
            },
            what_happened: "w".into(),
            impact: "i".into(),
            actions: vec![],
            decisions: vec![],
            issued_ms: t0,
            id: "BRF-1".into(),
        };
        let rec = BriefRecord {
            id: "BRF-1".into(),
            case_id: c.id.clone(),
            issued_ms: t0,
            issued_by: "ann".into(),
            acknowledged_ms: None,
            acknowledged_by: None,
            html_sha256: String::new(),
            brief,
        };
        put_brief(&mut store, &rec, t0, AuditEntry::new(t0, "ann", "brief.issue", &c.id, "ok", "")).unwrap();
        let b = acknowledge_brief(&mut store, "BRF-1", "exec", t0 + 90_000).unwrap();
        assert_eq!((b.acknowledged_ms, b.acknowledged_by.as_deref()), (Some(t0 + 90_000), Some("exec")));
        assert!(acknowledge_brief(&mut store, "BRF-1", "exec", t0 + 95_000).is_err());
        assert!(matches!(acknowledge_brief(&mut store, "BRF-9", "exec", t0), Err(ReportError::NotFound(_))));
        let log: Vec<String> = store.audit(10).unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(log, ["brief.issue", "brief.acknowledge"]);
    }
}

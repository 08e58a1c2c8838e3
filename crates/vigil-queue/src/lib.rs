//! The analyst queue: where triage meets cases.
//!
//! Owns: loading what triage needs from the state store (alerts, inventory, the active triage
//! model, people's merges and splits, suppressions, human dispositions, the SLA policy and the
//! on-call roster), running triage, keeping the incidents, opening a case for every queued
//! incident and keeping it up to date, ticking SLA clocks, training the model from dispositions,
//! keeping each incident's latest investigation record (made above, by the assistant), and
//! appending every action — a person's, the automation's and the model's — to the audit log.
//!
//! Must not: detect, decode or read the lake; decide a verdict (that is `vigil-triage`) or
//! change a case other than through `vigil-cases`' operations; overwrite a human disposition.

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use vigil_cases::{Case, CaseSeed, Disposition, Severity, SlaEvent, SlaPolicy, Status};
use vigil_model::{Alert, Label};
use vigil_store::{AlertQuery, AuditEntry, Document, StateStore};
use vigil_triage::truth::{self, QueueEval};
use vigil_triage::{
    GroupOptions, Incident, Inventory, Override, Suppression, TriageInput, TriageModel, TriageOutput, TriageStats,
};

pub const INCIDENT: &str = "incident";
pub const CASE: &str = "case";
pub const OVERRIDE: &str = "override";
pub const SUPPRESSION: &str = "suppression";
pub const MODEL: &str = "model";
pub const SETTING: &str = "setting";
pub const REOPEN: &str = "reopen";
pub const INVESTIGATION: &str = "investigation";

/// The automation's name in histories and the audit log.
pub const TRIAGE_ACTOR: &str = "vigil:triage";

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Store(#[from] vigil_store::StoreError),
    #[error(transparent)]
    Triage(#[from] vigil_triage::TriageError),
    #[error(transparent)]
    Case(#[from] vigil_cases::CaseError),
    #[error("stored {kind} {id} is not readable: {message}")]
    Corrupt { kind: String, id: String, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, QueueError>;

fn decode<T: DeserializeOwned>(kind: &str, d: &Document) -> Result<T> {
    serde_json::from_str(&d.json).map_err(|e| QueueError::Corrupt {
        kind: kind.into(),
        id: d.id.clone(),
        message: e.to_string(),
    })
}

fn doc<T: Serialize>(id: &str, at_ms: i64, v: &T) -> Document {
    Document { id: id.to_string(), updated_ms: at_ms, json: serde_json::to_string(v).unwrap_or_else(|_| "null".into()) }
}

/// An incident's investigation record as kept: made by the assistant (which sits above this
/// crate, so the record is kept as the JSON it wrote) for the incident as it stood then.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredInvestigation {
    pub incident: String,
    /// [`investigation_fingerprint`] of the incident it was made for: when the incident has
    /// gained or lost alerts since, the record is stale and is made again.
    pub fingerprint: String,
    pub made_ms: i64,
    pub made_by: String,
    /// The record (entities, timeline with the decisive events, blast radius, unknowns, next
    /// steps, the cited summary, its facts).
    pub record: serde_json::Value,
    /// The record as text, as `vigil investigate` prints it.
    pub text: String,
}

/// What an investigation depends on: the incident's alerts. Two incidents with the same alerts
/// have the same fingerprint; an alert joining or leaving changes it.
pub fn investigation_fingerprint(inc: &Incident) -> String {
    let mut ids: Vec<&str> = inc.alert_ids().map(String::as_str).collect();
    ids.sort_unstable();
    ids.dedup();
    vigil_model::sha256_hex(ids.join("\n").as_bytes())
}

impl StoredInvestigation {
    /// Whether the record still describes `inc`: made for the alerts it has now.
    pub fn describes(&self, inc: &Incident) -> bool {
        self.incident == inc.id && self.fingerprint == investigation_fingerprint(inc)
    }
}

/// Keeps an incident's investigation (replacing the one before) with its audit entry, in one
/// transaction.
pub fn put_investigation(store: &mut dyn StateStore, inv: &StoredInvestigation) -> Result<()> {
    let detail = serde_json::json!({"fingerprint": inv.fingerprint}).to_string();
    let audit = AuditEntry::new(inv.made_ms, &inv.made_by, "investigation.store", &inv.incident, "ok", &detail);
    store.put_documents(INVESTIGATION, &[doc(&inv.incident, inv.made_ms, inv)], false, &[audit])?;
    Ok(())
}

/// The incident's latest investigation, if one was made.
pub fn investigation(store: &dyn StateStore, incident: &str) -> Result<Option<StoredInvestigation>> {
    store.document(INVESTIGATION, incident)?.map(|d| decode(INVESTIGATION, &d)).transpose()
}

/// The queued incidents whose investigation is missing or stale, highest risk first.
pub fn to_investigate(store: &dyn StateStore) -> Result<Vec<Incident>> {
    let made: HashMap<String, StoredInvestigation> = store
        .documents(INVESTIGATION)?
        .iter()
        .map(|d| decode::<StoredInvestigation>(INVESTIGATION, d).map(|s| (s.incident.clone(), s)))
        .collect::<Result<_>>()?;
    let mut out: Vec<Incident> = incidents(store)?
        .into_iter()
        .filter(|i| i.queued && !made.get(&i.id).is_some_and(|s| s.describes(i)))
        .collect();
    out.sort_by(|a, b| b.risk.score.total_cmp(&a.risk.score).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// Who takes a new case, by team: the first person of a team gets the first case, and so on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Roster {
    /// Team → people, in rotation order.
    pub teams: BTreeMap<String, Vec<String>>,
}

impl Default for Roster {
    fn default() -> Self {
        let mut teams = BTreeMap::new();
        for t in ["identity", "cloud", "endpoint"] {
            teams.insert(t.to_string(), vec![format!("{t}-oncall")]);
        }
        Roster { teams }
    }
}

/// Which team an incident goes to: cloud when it names keys or buckets, endpoint when it names
/// hosts, identity otherwise.
pub fn team_for(inc: &Incident) -> &'static str {
    if inc.entities.iter().any(|e| e.starts_with("key:") || e.starts_with("bucket:")) {
        "cloud"
    } else if inc.entities.iter().any(|e| e.starts_with("host:")) {
        "endpoint"
    } else {
        "identity"
    }
}

fn severity_of(inc: &Incident) -> Severity {
    let base = match inc.level.as_str() {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        _ => Severity::Low,
    };
    // A malicious verdict with high risk is at least high.
    if inc.verdict.verdict == vigil_triage::VerdictKind::Malicious && inc.risk.score >= 70.0 && base > Severity::High {
        Severity::High
    } else {
        base
    }
}

/// Everything triage reads from the store.
pub struct Context {
    pub alerts: Vec<Alert>,
    pub inventory: Inventory,
    pub model: Option<TriageModel>,
    pub overrides: Vec<Override>,
    pub suppressions: Vec<Suppression>,
    pub human: HashMap<String, (String, String)>,
    pub policy: SlaPolicy,
    pub roster: Roster,
    pub cases: Vec<Case>,
}

fn setting<T: DeserializeOwned>(store: &dyn StateStore, id: &str) -> Result<Option<T>> {
    store.document(SETTING, id)?.map(|d| decode(SETTING, &d)).transpose()
}

pub fn stored_alerts(store: &dyn StateStore) -> Result<Vec<Alert>> {
    let rows = store.alerts(&AlertQuery { limit: u64::MAX, ..Default::default() })?;
    rows.iter()
        .map(|r| {
            serde_json::from_str(&r.json).map_err(|e| QueueError::Corrupt {
                kind: "alert".into(),
                id: r.id.clone(),
                message: e.to_string(),
            })
        })
        .collect()
}

pub fn cases(store: &dyn StateStore) -> Result<Vec<Case>> {
    store.documents(CASE)?.iter().map(|d| decode(CASE, d)).collect()
}

pub fn incidents(store: &dyn StateStore) -> Result<Vec<Incident>> {
    let mut v: Vec<Incident> = store.documents(INCIDENT)?.iter().map(|d| decode(INCIDENT, d)).collect::<Result<_>>()?;
    v.sort_by(|a, b| b.risk.score.total_cmp(&a.risk.score).then(a.first_ms.cmp(&b.first_ms)));
    Ok(v)
}

pub fn active_model(store: &dyn StateStore) -> Result<Option<TriageModel>> {
    let Some(version) = setting::<String>(store, Setting::ActiveModel.key())? else { return Ok(None) };
    match store.document(MODEL, &version)? {
        Some(d) => Ok(Some(decode(MODEL, &d)?)),
        None => Err(QueueError::NotFound(format!("the active triage model {version} is not stored"))),
    }
}

pub fn load(store: &dyn StateStore) -> Result<Context> {
    let inventory = match setting::<serde_json::Value>(store, Setting::Inventory.key())? {
        Some(v) => Inventory::from_json(&v.to_string())?,
        None => Inventory::empty(),
    };
    let cases = cases(store)?;
    let mut human = HashMap::new();
    for d in store.documents(REOPEN)? {
        let (by, _reason): (String, String) = decode(REOPEN, &d)?;
        human.insert(d.id.clone(), ("needs_review".to_string(), by));
    }
    for c in &cases {
        if let Some(disp) = &c.disposition
            && !vigil_cases::is_machine(&disp.by)
        {
            for inc in &c.incidents {
                human.insert(inc.clone(), (disp.disposition.as_str().to_string(), disp.by.clone()));
            }
        }
    }
    Ok(Context {
        alerts: stored_alerts(store)?,
        inventory,
        model: active_model(store)?,
        overrides: store.documents(OVERRIDE)?.iter().map(|d| decode(OVERRIDE, d)).collect::<Result<_>>()?,
        suppressions: store.documents(SUPPRESSION)?.iter().map(|d| decode(SUPPRESSION, d)).collect::<Result<_>>()?,
        human,
        policy: sla_policy(store)?,
        roster: setting(store, Setting::Roster.key())?.unwrap_or_default(),
        cases,
    })
}

impl Context {
    pub fn input(&self, now_ms: i64) -> TriageInput<'_> {
        TriageInput {
            alerts: &self.alerts,
            inventory: &self.inventory,
            model: self.model.as_ref(),
            overrides: &self.overrides,
            suppressions: &self.suppressions,
            human: &self.human,
            now_ms,
            options: GroupOptions::default(),
        }
    }
    pub fn triage(&self, now_ms: i64) -> TriageOutput {
        vigil_triage::triage(&self.input(now_ms))
    }
}

/// What one triage run did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunReport {
    pub stats: TriageStats,
    pub model_version: Option<String>,
    pub cases_opened: Vec<String>,
    pub cases_updated: u64,
    pub sla_events: Vec<SlaEvent>,
}

/// The settings kept in the store, each under one key (no caller spells a key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// The asset and identity inventory, as the JSON it was loaded from.
    Inventory,
    SlaPolicy,
    /// Who takes new cases, by team.
    Roster,
    /// The version of the triage model in force.
    ActiveModel,
}

impl Setting {
    pub fn key(self) -> &'static str {
        match self {
            Setting::Inventory => "inventory",
            Setting::SlaPolicy => "sla_policy",
            Setting::Roster => "roster",
            Setting::ActiveModel => "active_model",
        }
    }
}

/// Stores a setting with its audit entry (`setting.<key>`), in one transaction.
fn set_setting<T: Serialize>(store: &mut dyn StateStore, s: Setting, v: &T, actor: &str, now_ms: i64) -> Result<()> {
    let id = s.key();
    store.put_documents(
        SETTING,
        &[doc(id, now_ms, v)],
        false,
        &[AuditEntry::new(now_ms, actor, &format!("setting.{id}"), id, "ok", "")],
    )?;
    Ok(())
}

/// The SLA policy in force (the default when none was set), read without loading the queue.
pub fn sla_policy(store: &dyn StateStore) -> Result<SlaPolicy> {
    Ok(setting(store, Setting::SlaPolicy.key())?.unwrap_or_default())
}

pub fn set_sla_policy(store: &mut dyn StateStore, p: &SlaPolicy, actor: &str, now_ms: i64) -> Result<()> {
    set_setting(store, Setting::SlaPolicy, p, actor, now_ms)
}

pub fn set_roster(store: &mut dyn StateStore, r: &Roster, actor: &str, now_ms: i64) -> Result<()> {
    set_setting(store, Setting::Roster, r, actor, now_ms)
}

/// The inventory as loaded (JSON), if one was.
pub fn inventory_json(store: &dyn StateStore) -> Result<Option<serde_json::Value>> {
    setting(store, Setting::Inventory.key())
}

pub fn load_inventory(store: &mut dyn StateStore, text: &str, actor: &str, now_ms: i64) -> Result<usize> {
    let inv = Inventory::from_json(text)?;
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| QueueError::Invalid(format!("inventory: {e}")))?;
    set_setting(store, Setting::Inventory, &v, actor, now_ms)?;
    Ok(inv.entities)
}

/// One stored case.
pub fn case(store: &dyn StateStore, id: &str) -> Result<Case> {
    let d = store.document(CASE, id)?.ok_or_else(|| QueueError::NotFound(format!("no case {id}")))?;
    decode(CASE, &d)
}

/// One stored incident.
pub fn incident(store: &dyn StateStore, id: &str) -> Result<Incident> {
    let d = store.document(INCIDENT, id)?.ok_or_else(|| QueueError::NotFound(format!("no incident {id}")))?;
    decode(INCIDENT, &d)
}

/// Triage the stored alerts, keep the incidents, open or update a case for every queued one,
/// and tick every open case's SLA clocks.
pub fn run(store: &mut dyn StateStore, now_ms: i64) -> Result<RunReport> {
    let ctx = load(store)?;
    let out = ctx.triage(now_ms);
    let mut audit = Vec::new();
    let mut by_id: BTreeMap<String, Case> = ctx.cases.iter().map(|c| (c.id.clone(), c.clone())).collect();
    // Which case holds each alert already, so grown or merged incidents keep their case.
    let mut case_of_alert: HashMap<String, String> = HashMap::new();
    for c in by_id.values() {
        if c.merged_into.is_none() {
            for a in &c.alerts {
                case_of_alert.insert(a.clone(), c.id.clone());
            }
        }
    }
    let mut rotation: HashMap<String, usize> = HashMap::new();
    for c in by_id.values() {
        if let Some(t) = &c.team {
            *rotation.entry(t.clone()).or_default() += 1;
        }
    }
    let mut opened = Vec::new();
    let mut updated = 0;
    // Only cases this run changed are written back, so a person's concurrent change to another
    // case is never overwritten with the copy loaded above.
    let mut changed_ids: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for inc in &out.incidents {
        let alerts: Vec<String> = inc.alert_ids().cloned().collect();
        let existing = alerts.iter().find_map(|a| case_of_alert.get(a).cloned());
        match existing {
            Some(cid) => {
                let Some(c) = by_id.get_mut(&cid) else { continue };
                let mut changed = false;
                if !c.incidents.contains(&inc.id) {
                    c.incidents.push(inc.id.clone());
                    changed = true;
                }
                let new: Vec<String> = alerts.iter().filter(|a| !c.alerts.contains(a)).cloned().collect();
                if !new.is_empty() {
                    c.history.push(vigil_cases::CaseEvent {
                        at_ms: now_ms.max(c.history.last().map_or(i64::MIN, |h| h.at_ms)),
                        actor: TRIAGE_ACTOR.into(),
                        action: "alerts_linked".into(),
                        detail: format!("{} new alerts from incident {}", new.len(), inc.id),
                    });
                    c.alerts.extend(new);
                    changed = true;
                }
                if changed {
                    c.risk = c.risk.max(inc.risk.score);
                    updated += 1;
                    changed_ids.insert(cid.clone());
                }
            }
            None if inc.queued => {
                let seed = CaseSeed {
                    title: inc.title.clone(),
                    severity: severity_of(inc),
                    incidents: vec![inc.id.clone()],
                    alerts: alerts.clone(),
                    risk: inc.risk.score,
                    verdict: inc.verdict.verdict.as_str().to_string(),
                    first_event_ms: Some(inc.first_ms),
                    first_alert_ms: inc.first_ms,
                    entities: inc.entities.clone(),
                    summary: inc.verdict.summary.clone(),
                };
                let mut c = Case::open(seed, TRIAGE_ACTOR, now_ms)?;
                let team = team_for(inc);
                let people = ctx.roster.teams.get(team).filter(|p| !p.is_empty());
                let n = rotation.entry(team.to_string()).or_default();
                let owner = people.map(|p| p[*n % p.len()].clone());
                *n += 1;
                c.assign(owner.as_deref(), Some(team), TRIAGE_ACTOR, now_ms)?;
                audit.push(AuditEntry::new(
                    now_ms,
                    TRIAGE_ACTOR,
                    "case.open",
                    &c.id,
                    "ok",
                    &format!(
                        "incident {} verdict {} ({}{}), risk {:.0}, owner {}",
                        inc.id,
                        inc.verdict.verdict.as_str(),
                        inc.verdict.summary,
                        inc.verdict.model_version.as_ref().map(|v| format!("; model {v}")).unwrap_or_default(),
                        inc.risk.score,
                        owner.as_deref().unwrap_or("unassigned")
                    ),
                ));
                for a in &alerts {
                    case_of_alert.insert(a.clone(), c.id.clone());
                }
                opened.push(c.id.clone());
                changed_ids.insert(c.id.clone());
                by_id.insert(c.id.clone(), c);
            }
            None => {}
        }
    }
    // Auto-closed incidents are recorded once each (the audit log says why), and stay reversible.
    let previous: HashMap<String, bool> = store
        .documents(INCIDENT)?
        .iter()
        .filter_map(|d| decode::<Incident>(INCIDENT, d).ok().map(|i| (i.id, i.queued)))
        .collect();
    for inc in out.incidents.iter().filter(|i| !i.queued) {
        if previous.get(&inc.id) != Some(&false) {
            audit.push(AuditEntry::new(
                now_ms,
                &inc.verdict.decided_by,
                "incident.auto_close",
                &inc.id,
                "ok",
                &format!(
                    "{}: {}{}",
                    inc.verdict.verdict.as_str(),
                    inc.verdict.summary,
                    inc.verdict.model_version.as_ref().map(|v| format!(" (model {v})")).unwrap_or_default()
                ),
            ));
        }
    }
    let mut sla_events = Vec::new();
    for c in by_id.values_mut() {
        if c.merged_into.is_some() || matches!(c.status, Status::Closed) {
            continue;
        }
        let ev = c.tick(&ctx.policy, now_ms);
        for e in &ev {
            audit.push(AuditEntry::new(
                now_ms,
                vigil_cases::SLA_ACTOR,
                "case.sla",
                &c.id,
                "ok",
                &serde_json::to_string(e).unwrap_or_default(),
            ));
        }
        if !ev.is_empty() {
            updated += 1;
            changed_ids.insert(c.id.clone());
        }
        sla_events.extend(ev);
    }
    audit.push(AuditEntry::new(
        now_ms,
        TRIAGE_ACTOR,
        "triage.run",
        "queue",
        "ok",
        &serde_json::to_string(&out.stats).unwrap_or_default(),
    ));
    let inc_docs: Vec<Document> = out.incidents.iter().map(|i| doc(&i.id, i.last_ms, i)).collect();
    store.put_documents(INCIDENT, &inc_docs, true, &[])?;
    let case_docs: Vec<Document> =
        by_id.values().filter(|c| changed_ids.contains(&c.id)).map(|c| doc(&c.id, now_ms, c)).collect();
    store.put_documents(CASE, &case_docs, false, &audit)?;
    Ok(RunReport {
        stats: out.stats,
        model_version: ctx.model.as_ref().map(|m| m.version.clone()),
        cases_opened: opened,
        cases_updated: updated,
        sla_events,
    })
}

/// Loads a case, applies a person's operation, stores it with an audit entry. The operation's
/// error (an illegal transition, say) is audited as a failure and returned.
pub fn with_case<F>(store: &mut dyn StateStore, id: &str, actor: &str, action: &str, now_ms: i64, f: F) -> Result<Case>
where
    F: FnOnce(&mut Case) -> std::result::Result<String, vigil_cases::CaseError>,
{
    let d = store.document(CASE, id)?.ok_or_else(|| QueueError::NotFound(format!("no case {id}")))?;
    let mut c: Case = decode(CASE, &d)?;
    match f(&mut c) {
        Ok(detail) => {
            store.put_documents(
                CASE,
                &[doc(&c.id, now_ms, &c)],
                false,
                &[AuditEntry::new(now_ms, actor, action, id, "ok", &detail)],
            )?;
            Ok(c)
        }
        Err(e) => {
            store.put_documents(
                CASE,
                &[],
                false,
                &[AuditEntry::new(now_ms, actor, action, id, "denied", &e.to_string())],
            )?;
            Err(e.into())
        }
    }
}

/// Stores a case a person opened by hand (from a hunt's hypothesis, say), audited as
/// `case.open` with `detail`. A case with the same id already kept is refused, never replaced.
pub fn open_case(store: &mut dyn StateStore, c: &Case, actor: &str, detail: &str, now_ms: i64) -> Result<()> {
    if store.document(CASE, &c.id)?.is_some() {
        return Err(QueueError::Invalid(format!("case {} is already open", c.id)));
    }
    store.put_documents(
        CASE,
        &[doc(&c.id, now_ms, c)],
        false,
        &[AuditEntry::new(now_ms, actor, "case.open", &c.id, "ok", detail)],
    )?;
    Ok(())
}

/// Appends one entry to the audit log.
pub fn audit(store: &mut dyn StateStore, e: &AuditEntry) -> Result<()> {
    store.put_documents(SETTING, &[], false, std::slice::from_ref(e))?;
    Ok(())
}

pub use vigil_model::sha256_hex;

/// Merges case `from` into case `into` (incidents, alerts, comments, tasks; `from` is closed as
/// merged), both stored with one audit entry.
pub fn merge_cases(store: &mut dyn StateStore, into: &str, from: &str, actor: &str, now_ms: i64) -> Result<Case> {
    let load_case = |id: &str| -> Result<Case> {
        let d = store.document(CASE, id)?.ok_or_else(|| QueueError::NotFound(format!("no case {id}")))?;
        decode(CASE, &d)
    };
    let (mut a, mut b) = (load_case(into)?, load_case(from)?);
    if let Err(e) = a.merge(&mut b, actor, now_ms) {
        audit(store, &AuditEntry::new(now_ms, actor, "case.merge", into, "denied", &e.to_string()))?;
        return Err(e.into());
    }
    store.put_documents(
        CASE,
        &[doc(&a.id, now_ms, &a), doc(&b.id, now_ms, &b)],
        false,
        &[AuditEntry::new(now_ms, actor, "case.merge", into, "ok", &format!("{from} merged into {into}"))],
    )?;
    Ok(a)
}

/// Splits the named incidents or alerts out of a case into a new case.
pub fn split_case(
    store: &mut dyn StateStore,
    id: &str,
    items: &[&str],
    title: &str,
    actor: &str,
    now_ms: i64,
) -> Result<Case> {
    let d = store.document(CASE, id)?.ok_or_else(|| QueueError::NotFound(format!("no case {id}")))?;
    let mut c: Case = decode(CASE, &d)?;
    let new = match c.split(items, title, actor, now_ms) {
        Ok(n) => n,
        Err(e) => {
            audit(store, &AuditEntry::new(now_ms, actor, "case.split", id, "denied", &e.to_string()))?;
            return Err(e.into());
        }
    };
    store.put_documents(
        CASE,
        &[doc(&c.id, now_ms, &c), doc(&new.id, now_ms, &new)],
        false,
        &[AuditEntry::new(
            now_ms,
            actor,
            "case.split",
            id,
            "ok",
            &format!("{} split off as {}", items.join(", "), new.id),
        )],
    )?;
    Ok(new)
}

/// A person's merge or split of incidents, kept and re-applied by every later run.
pub fn add_override(store: &mut dyn StateStore, o: &Override, now_ms: i64) -> Result<()> {
    let (id, who, what) = match o {
        Override::Merge { items, by, .. } => (format!("merge-{now_ms}-{}", items.len()), by.clone(), "incident.merge"),
        Override::Split { items, by, .. } => (format!("split-{now_ms}-{}", items.len()), by.clone(), "incident.split"),
    };
    store.put_documents(
        OVERRIDE,
        &[doc(&id, now_ms, o)],
        false,
        &[AuditEntry::new(now_ms, &who, what, &id, "ok", &serde_json::to_string(o).unwrap_or_default())],
    )?;
    Ok(())
}

/// Items of stored incidents, for merge and split by incident id.
pub fn incident_items(store: &dyn StateStore, id: &str) -> Result<Vec<String>> {
    let d = store.document(INCIDENT, id)?.ok_or_else(|| QueueError::NotFound(format!("no incident {id}")))?;
    let inc: Incident = decode(INCIDENT, &d)?;
    Ok(inc.items.iter().map(|i| i.id.clone()).collect())
}

/// Puts an incident the machine closed back in the queue (reversing the auto-close).
pub fn reopen(store: &mut dyn StateStore, id: &str, by: &str, reason: &str, now_ms: i64) -> Result<()> {
    if store.document(INCIDENT, id)?.is_none() {
        return Err(QueueError::NotFound(format!("no incident {id}")));
    }
    store.put_documents(
        REOPEN,
        &[doc(id, now_ms, &(by, reason))],
        false,
        &[AuditEntry::new(now_ms, by, "incident.reopen", id, "ok", reason)],
    )?;
    Ok(())
}

/// Every stored suppression, in force or expired.
pub fn suppressions(store: &dyn StateStore) -> Result<Vec<Suppression>> {
    store.documents(SUPPRESSION)?.iter().map(|d| decode(SUPPRESSION, d)).collect()
}

/// A suppression takes effect only with its preview: the preview is computed and recorded in the
/// audit entry that adds it.
pub fn add_suppression(store: &mut dyn StateStore, s: &Suppression, now_ms: i64) -> Result<vigil_triage::Impact> {
    let ctx = load(store)?;
    let impact = vigil_triage::preview(&ctx.input(now_ms), s);
    store.put_documents(
        SUPPRESSION,
        &[doc(&s.id, now_ms, s)],
        false,
        &[AuditEntry::new(
            now_ms,
            &s.owner,
            "suppression.add",
            &s.id,
            "ok",
            &format!(
                "{}; would have hidden {} alerts, {} incidents ({} reduced); reason: {}",
                serde_json::to_string(s).unwrap_or_default(),
                impact.alerts_hidden,
                impact.incidents_hidden.len(),
                impact.incidents_reduced.len(),
                s.reason
            ),
        )],
    )?;
    Ok(impact)
}

/// Labeled examples for the model: from a labels file (the simulated analyst), or from the
/// dispositions people gave on cases.
pub fn samples(
    ctx: &Context,
    labels: Option<&[Label]>,
    error_rate: f64,
    now_ms: i64,
) -> Vec<vigil_triage::model::Sample> {
    // Features do not depend on the model: triage without it.
    let out = vigil_triage::triage(&TriageInput { model: None, ..ctx.input(now_ms) });
    match labels {
        Some(l) => truth::samples(&out, &ctx.alerts, l, error_rate),
        None => {
            let mut disp: HashMap<&str, Disposition> = HashMap::new();
            for c in &ctx.cases {
                if let Some(d) = &c.disposition
                    && !vigil_cases::is_machine(&d.by)
                {
                    for i in &c.incidents {
                        disp.insert(i.as_str(), d.disposition);
                    }
                }
            }
            out.incidents
                .iter()
                .filter_map(|inc| {
                    disp.get(inc.id.as_str()).map(|d| vigil_triage::model::Sample {
                        features: inc.features.clone(),
                        positive: *d == Disposition::TruePositive,
                        time_ms: inc.first_ms,
                    })
                })
                .collect()
        }
    }
}

/// Trains a model, stores it and makes it the active one.
pub fn train(
    store: &mut dyn StateStore,
    labels: Option<&[Label]>,
    train_fraction: f64,
    error_rate: f64,
    actor: &str,
    now_ms: i64,
) -> Result<TriageModel> {
    let ctx = load(store)?;
    let s = samples(&ctx, labels, error_rate, now_ms);
    let source = match labels {
        Some(_) => format!("labeled incidents (simulated analyst, {:.0} % disposition error)", error_rate * 100.0),
        None => "analyst dispositions on cases".to_string(),
    };
    let m = TriageModel::train(&s, train_fraction, &source)?;
    store.put_documents(
        MODEL,
        &[doc(&m.version, now_ms, &m)],
        false,
        &[AuditEntry::new(
            now_ms,
            actor,
            "model.train",
            &m.version,
            "ok",
            &serde_json::to_string(&m.evaluation).unwrap_or_default(),
        )],
    )?;
    set_setting(store, Setting::ActiveModel, &m.version, actor, now_ms)?;
    Ok(m)
}

/// Stores a model trained elsewhere and makes it the active one. Its shape is checked: a model
/// whose features differ from this build's is refused.
pub fn import_model(store: &mut dyn StateStore, m: &TriageModel, actor: &str, now_ms: i64) -> Result<()> {
    let want: Vec<String> = vigil_triage::model::FEATURES.iter().map(|s| s.to_string()).collect();
    let d = want.len();
    if m.features != want || m.coef.len() != d || m.mean.len() != d || m.scale.len() != d {
        return Err(QueueError::Invalid(format!(
            "model {} has features {:?}; this build scores {:?}",
            m.version, m.features, want
        )));
    }
    if m.coef.iter().chain(&m.mean).chain(&m.scale).any(|x| !x.is_finite()) || m.scale.iter().any(|x| *x <= 0.0) {
        return Err(QueueError::Invalid(format!("model {} has non-finite or zero parameters", m.version)));
    }
    store.put_documents(
        MODEL,
        &[doc(&m.version, now_ms, m)],
        false,
        &[AuditEntry::new(now_ms, actor, "model.import", &m.version, "ok", &m.source)],
    )?;
    set_setting(store, Setting::ActiveModel, &m.version, actor, now_ms)
}

/// Triage (without storing anything) measured against labels.
pub fn evaluate(store: &dyn StateStore, labels: &[Label], now_ms: i64) -> Result<(QueueEval, Option<String>)> {
    let ctx = load(store)?;
    let out = ctx.triage(now_ms);
    Ok((truth::evaluate_queue(&out, &ctx.alerts, labels), ctx.model.map(|m| m.version)))
}

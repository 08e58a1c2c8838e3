//! Hunting over weeks: running the weak-signal hunts of `vigil_hunt` over a window of the lake,
//! keeping the hypotheses they propose, and a person's work on them (take, dismiss with a reason
//! later runs respect, promote to a case).
//!
//! Every query a hunt runs goes through [`App::hunt`] as the caller (the same permission, limits
//! and `hunt.query` audit entry as any hunt); a run is audited once more as `hunt.run` with what
//! it proposed, and each change to a hypothesis as `hypothesis.take`, `hypothesis.dismiss` or
//! `hypothesis.promote`.

use std::collections::BTreeMap;

use serde::Serialize;
use vigil_auth::Permission;
use vigil_hunt::{Draft, Hypothesis, Row, Window};
use vigil_store::{AuditEntry, Document, StateStore};

use crate::{App, AppError, Caller, Result};

/// Store kind of hypotheses.
pub const HYPOTHESIS: &str = "hypothesis";

/// Rows a hunt's query may return before its reader sees them (the rest are counted as cut).
pub const MAX_HUNT_ROWS: usize = 100_000;

/// Event ids kept with a hypothesis as its evidence (its test query returns them all).
pub const EVIDENCE_EVENTS: usize = 25;

/// One hunt of a run.
#[derive(Debug, Clone, Serialize)]
pub struct HuntLine {
    pub id: String,
    pub title: String,
    pub rows: usize,
    /// Rows beyond [`MAX_HUNT_ROWS`] were not read.
    pub truncated: bool,
    pub proposed: usize,
    /// Proposals beyond the weekly cap.
    pub cut: usize,
    pub millis: u128,
    /// Why the hunt could not run (the others still did).
    pub error: Option<String>,
}

/// What one run of the weak-signal hunts did.
#[derive(Debug, Clone, Serialize)]
pub struct HuntRun {
    pub window: Window,
    pub hunts: Vec<HuntLine>,
    /// Hypotheses proposed for the first time.
    pub new: Vec<String>,
    /// Proposed again and still open or taken.
    pub again: Vec<String>,
    /// Proposed again but dismissed or promoted before: left as people decided.
    pub respected: Vec<String>,
    pub millis: u128,
}

impl HuntRun {
    /// Every hypothesis the run proposed, new or not.
    pub fn proposed(&self) -> usize {
        self.new.len() + self.again.len() + self.respected.len()
    }
}

/// A person's change to a hypothesis.
#[derive(Debug, Clone, PartialEq)]
pub enum HypothesisOp {
    /// Take it to test it; the owner defaults to the caller.
    Take {
        owner: Option<String>,
    },
    Dismiss {
        reason: String,
    },
    Promote,
}

impl App {
    /// The newest event time in the lake, if it holds any.
    fn lake_end_ms(&self, caller: &Caller) -> Result<Option<i64>> {
        let r = self.hunt(caller, "SELECT CAST(max(time) AS BIGINT) AS end_ms FROM events", Some(1))?;
        let rows = r.to_json_rows().map_err(|e| AppError::Internal(format!("the lake's newest event: {e}")))?;
        Ok(rows.first().and_then(|v| v.get("end_ms")).and_then(serde_json::Value::as_i64))
    }

    /// Runs the weak-signal hunts (all, or those named in `only`) over the `days` before the
    /// lake's newest event, as `caller`, and keeps what they propose. A hunt that fails is
    /// reported on its line; the others still run.
    pub fn run_hunts(&self, caller: &Caller, days: i64, only: &[String]) -> Result<HuntRun> {
        caller.require(Permission::Hunt, "hunt.run")?;
        for id in only {
            vigil_hunt::spec(id).map_err(|e| AppError::Invalid(e.to_string()))?;
        }
        let started = std::time::Instant::now();
        let end = match self.lake_end_ms(caller)? {
            Some(e) => e,
            None => return Err(AppError::Invalid("the lake holds no events to hunt over; ingest first".into())),
        };
        let window = Window::days_before(end, days).map_err(|e| AppError::Invalid(e.to_string()))?;
        let mut lines = Vec::new();
        let mut drafts: Vec<Draft> = Vec::new();
        for spec in vigil_hunt::CATALOG.iter().filter(|s| only.is_empty() || only.iter().any(|o| o == s.id)) {
            let t = std::time::Instant::now();
            let mut line = HuntLine {
                id: spec.id.to_string(),
                title: spec.title.to_string(),
                rows: 0,
                truncated: false,
                proposed: 0,
                cut: 0,
                millis: 0,
                error: None,
            };
            match self.hunt(caller, &(spec.sql)(&window), Some(MAX_HUNT_ROWS)) {
                Ok(r) => {
                    line.rows = r.rows();
                    line.truncated = r.truncated;
                    match rows_of(&r) {
                        Ok(rows) => {
                            let mut lookup = |sql: &str| -> Vec<Row> {
                                self.hunt(caller, sql, Some(100))
                                    .ok()
                                    .and_then(|r| rows_of(&r).ok())
                                    .unwrap_or_default()
                            };
                            let d = (spec.read)(&window, &rows, &mut lookup);
                            line.proposed = d.len();
                            drafts.extend(d);
                        }
                        Err(e) => line.error = Some(e.to_string()),
                    }
                }
                Err(e) => line.error = Some(e.to_string()),
            }
            line.millis = t.elapsed().as_millis();
            lines.push(line);
        }
        let (kept, cut) = vigil_hunt::cap_per_week(drafts, &window, vigil_hunt::PER_HUNT_PER_WEEK);
        for line in &mut lines {
            line.cut = cut.get(&line.id).copied().unwrap_or(0);
            line.proposed -= line.cut;
        }
        // Each kept hypothesis carries a sample of the events its test query returns.
        let mut evidence: Vec<Vec<String>> = Vec::with_capacity(kept.len());
        for d in &kept {
            let ids = self
                .hunt(caller, &d.test_sql, Some(EVIDENCE_EVENTS))
                .ok()
                .and_then(|r| rows_of(&r).ok())
                .map(|rows| rows.iter().filter_map(|r| vigil_hunt::text(r, "id")).collect())
                .unwrap_or_default();
            evidence.push(ids);
        }
        let now = self.now_ms();
        let who = caller.name();
        let mut store = self.store()?;
        let mut docs = Vec::new();
        let (mut new, mut again, mut respected) = (Vec::new(), Vec::new(), Vec::new());
        for (d, ev) in kept.into_iter().zip(evidence) {
            let id = d.id();
            let h = match store.document(HYPOTHESIS, &id)? {
                Some(doc) => {
                    let mut h = decode(&doc)?;
                    if h.seen_again(d, ev, now) || h.status.is_active() {
                        again.push(id.clone());
                    } else {
                        respected.push(id.clone());
                    }
                    h
                }
                None => {
                    new.push(id.clone());
                    Hypothesis::new(d, ev, &who, now)
                }
            };
            docs.push(encode(&h, now)?);
        }
        let millis = started.elapsed().as_millis();
        let failed: Vec<&str> = lines.iter().filter(|l| l.error.is_some()).map(|l| l.id.as_str()).collect();
        let detail = format!(
            "{} hunts over {} days to {}: {} new, {} again, {} left as decided{}",
            lines.len(),
            window.days(),
            vigil_hunt::fmt_ms(end),
            new.len(),
            again.len(),
            respected.len(),
            if failed.is_empty() { String::new() } else { format!("; failed: {}", failed.join(", ")) }
        );
        let result = if failed.is_empty() { "ok" } else { "partial" };
        store.put_documents(
            HYPOTHESIS,
            &docs,
            false,
            &[AuditEntry::new(now, &who, "hunt.run", "lake", result, &detail)],
        )?;
        Ok(HuntRun { window, hunts: lines, new, again, respected, millis })
    }

    /// The kept hypotheses, newest evidence first; only those still waiting on a person unless
    /// `all`.
    pub fn hypotheses(&self, caller: &Caller, all: bool) -> Result<Vec<Hypothesis>> {
        caller.require(Permission::Hunt, "read hypotheses")?;
        let store = self.store()?;
        let mut v = Vec::new();
        for d in store.documents(HYPOTHESIS)? {
            let h = decode(&d)?;
            if all || h.status.is_active() {
                v.push(h);
            }
        }
        v.sort_by(|a, b| b.draft.last_ms.cmp(&a.draft.last_ms).then_with(|| a.id.cmp(&b.id)));
        Ok(v)
    }

    /// One hypothesis.
    pub fn hypothesis(&self, caller: &Caller, id: &str) -> Result<Hypothesis> {
        caller.require(Permission::Hunt, "read hypotheses")?;
        let store = self.store()?;
        let d = store.document(HYPOTHESIS, id)?.ok_or_else(|| not_found(id))?;
        decode(&d)
    }

    /// Applies a person's change to hypothesis `id`. Promoting opens a case holding the
    /// hypothesis (its statement, facts, test query and evidence events) and needs the
    /// case-working permission as well.
    pub fn hypothesis_op(&self, caller: &Caller, id: &str, op: &HypothesisOp) -> Result<Hypothesis> {
        let action = match op {
            HypothesisOp::Take { .. } => "hypothesis.take",
            HypothesisOp::Dismiss { .. } => "hypothesis.dismiss",
            HypothesisOp::Promote => "hypothesis.promote",
        };
        caller.require(Permission::Hunt, action)?;
        if *op == HypothesisOp::Promote {
            caller.require(Permission::WorkCases, action)?;
        }
        let _held = self.lock()?;
        let mut store = self.store()?;
        let who = caller.name();
        let now = self.now_ms();
        let d = store.document(HYPOTHESIS, id)?.ok_or_else(|| not_found(id))?;
        let mut h = decode(&d)?;
        let outcome = match op {
            HypothesisOp::Take { owner } => h.take(owner.as_deref().unwrap_or(&who), now),
            HypothesisOp::Dismiss { reason } => h.dismiss(&who, reason, now),
            HypothesisOp::Promote => {
                let case = case_for(&h, &who, now)?;
                match h.promote(&who, &case.id, now) {
                    Ok(()) => {
                        vigil_queue::open_case(
                            &mut store,
                            &case,
                            &who,
                            &format!("from hypothesis {}: {}", h.id, h.draft.statement),
                            now,
                        )?;
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
        };
        match outcome {
            Ok(()) => {
                let detail = h.history.last().map(|c| c.detail.clone()).unwrap_or_default();
                store.put_documents(
                    HYPOTHESIS,
                    &[encode(&h, now)?],
                    false,
                    &[AuditEntry::new(now, &who, action, id, "ok", &detail)],
                )?;
                Ok(h)
            }
            Err(e) => {
                self.audit(&mut store, &AuditEntry::new(now, &who, action, id, "denied", &e.to_string()))?;
                Err(AppError::Invalid(e.to_string()))
            }
        }
    }

    /// How many hypotheses each hunt keeps, by status (for the Hunt page's summary).
    pub fn hypothesis_counts(&self, caller: &Caller) -> Result<BTreeMap<String, BTreeMap<String, usize>>> {
        let mut out: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for h in self.hypotheses(caller, true)? {
            *out.entry(h.draft.hunt.clone()).or_default().entry(h.status.as_str().to_string()).or_default() += 1;
        }
        Ok(out)
    }
}

/// The case a promoted hypothesis opens: the hypothesis is its one item, its facts the summary.
fn case_for(h: &Hypothesis, who: &str, now: i64) -> Result<vigil_cases::Case> {
    let seed = vigil_cases::CaseSeed {
        title: format!("Hunt: {}", h.draft.statement.chars().take(160).collect::<String>()),
        severity: vigil_cases::Severity::Medium,
        incidents: Vec::new(),
        alerts: vec![h.id.clone()],
        risk: h.draft.score,
        verdict: "hypothesis".into(),
        first_event_ms: Some(h.draft.first_ms),
        first_alert_ms: h.draft.first_ms,
        entities: h.draft.entities.clone(),
        summary: format!(
            "{} Facts: {} Test: {} Confirms it: {} Refutes it: {} Evidence events: {}",
            h.draft.statement,
            h.draft.facts.join(" "),
            h.draft.test_sql,
            h.draft.confirm,
            h.draft.refute,
            if h.evidence_events.is_empty() { "none kept".to_string() } else { h.evidence_events.join(", ") }
        ),
    };
    vigil_cases::Case::open(seed, who, now).map_err(|e| AppError::Invalid(e.to_string()))
}

fn rows_of(r: &crate::hunts::HuntResult) -> std::result::Result<Vec<Row>, vigil_query::QueryError> {
    Ok(r.to_json_rows()?.into_iter().filter_map(|v| v.as_object().cloned()).collect())
}

fn not_found(id: &str) -> AppError {
    AppError::NotFound(format!("no hypothesis {}", id.chars().take(64).collect::<String>()))
}

fn decode(d: &Document) -> Result<Hypothesis> {
    serde_json::from_str(&d.json)
        .map_err(|e| AppError::Internal(format!("stored hypothesis {:?} is not readable: {e}", d.id)))
}

fn encode(h: &Hypothesis, now: i64) -> Result<Document> {
    let json = serde_json::to_string(h).map_err(|e| AppError::Internal(format!("hypothesis {}: {e}", h.id)))?;
    Ok(Document { id: h.id.clone(), updated_ms: now, json })
}

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

/// What a retro-hunt (a Sigma rule over the lake's past) did.
#[derive(Debug, Clone, Serialize)]
pub struct RetroRun {
    pub window: Window,
    /// The active rules, `id — title`.
    pub rules: Vec<String>,
    /// The decoders whose records were read (empty: every record, a rule leaves the product open).
    pub formats: Vec<String>,
    pub scanned: usize,
    /// Records whose raw form could not be evaluated (not JSON, an unknown decoder), counted.
    pub unreadable: usize,
    /// Records some rule matched.
    pub matched: usize,
    /// Week-long slices that held more than [`RETRO_SLICE_ROWS`] records of those decoders;
    /// only the first were read.
    pub truncated_slices: usize,
    /// Hypotheses beyond [`RETRO_PER_RULE`] for one rule.
    pub cut: usize,
    pub new: Vec<String>,
    pub again: Vec<String>,
    pub respected: Vec<String>,
    pub millis: u128,
}

/// Days of the lake one retro-hunt query reads.
pub const RETRO_SLICE_DAYS: i64 = 7;
/// Records one retro-hunt query reads at most.
pub const RETRO_SLICE_ROWS: usize = 400_000;
/// Largest rule file a retro-hunt takes.
pub const MAX_RULE_BYTES: usize = 1 << 20;
/// Hypotheses one rule proposes at most (the subjects with the most, and most severe, hits).
pub const RETRO_PER_RULE: usize = 25;

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
        let r = self.hunt_job(caller, "SELECT CAST(max(time) AS BIGINT) AS end_ms FROM events", Some(1))?;
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
            match self.hunt_job(caller, &(spec.sql)(&window), Some(MAX_HUNT_ROWS)) {
                Ok(r) => {
                    line.rows = r.rows();
                    line.truncated = r.truncated;
                    match rows_of(&r) {
                        Ok(rows) => {
                            let mut lookup = |sql: &str| -> Vec<Row> {
                                self.hunt_job(caller, sql, Some(100))
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
        let (kept, cut) =
            vigil_hunt::cap_per_week(drafts, &window, vigil_hunt::PER_HUNT_PER_WEEK, vigil_hunt::PER_WEEK);
        for line in &mut lines {
            line.cut = cut.get(&line.id).copied().unwrap_or(0);
            line.proposed -= line.cut;
        }
        // Each kept hypothesis carries a sample of the events its test query returns.
        let mut evidence: Vec<Vec<String>> = Vec::with_capacity(kept.len());
        for d in &kept {
            let ids = self
                .hunt_job(caller, &d.test_sql, Some(EVIDENCE_EVENTS))
                .ok()
                .and_then(|r| rows_of(&r).ok())
                .map(|rows| rows.iter().filter_map(|r| vigil_hunt::text(r, "id")).collect())
                .unwrap_or_default();
            evidence.push(ids);
        }
        let millis = started.elapsed().as_millis();
        let failed: Vec<&str> = lines.iter().filter(|l| l.error.is_some()).map(|l| l.id.as_str()).collect();
        let result = if failed.is_empty() { "ok" } else { "partial" };
        let failed = if failed.is_empty() { String::new() } else { format!("; failed: {}", failed.join(", ")) };
        let what = format!("{} hunts over {} days to {}", lines.len(), window.days(), vigil_hunt::fmt_ms(end));
        let (new, again, respected) = self.keep(caller, kept, evidence, "hunt.run", result, &what, &failed)?;
        Ok(HuntRun { window, hunts: lines, new, again, respected, millis })
    }

    /// Runs the Sigma rules in `yaml` (one file's worth, named `file` in errors) over the `days`
    /// before the lake's newest event, as `caller`: every stored record of the decoders the rules
    /// can see, a week at a time, each read as a hunt. What they match becomes hypotheses (one per
    /// rule and host, else user), kept like any other. A file with a rule that does not load, or
    /// no rule any record reaches, is refused with the reason.
    pub fn retro_hunt(&self, caller: &Caller, file: &str, yaml: &str, days: i64) -> Result<RetroRun> {
        caller.require(Permission::Hunt, "hunt.retro")?;
        if yaml.len() > MAX_RULE_BYTES {
            return Err(AppError::Invalid(format!(
                "{file}: a retro-hunt takes a rule file of at most {MAX_RULE_BYTES} bytes"
            )));
        }
        let started = std::time::Instant::now();
        let mut pack = vigil_detect::RulePack::default();
        pack.add_yaml(file, yaml);
        pack.finish();
        if !pack.rejected.is_empty() {
            let why: Vec<String> = pack.rejected.iter().map(|r| format!("{}: {}", r.file, r.reason)).collect();
            return Err(AppError::Invalid(format!("the rule file does not load: {}", why.join("; "))));
        }
        let active: Vec<&vigil_detect::rules::LoadedRule> = pack.rules.iter().filter(|r| r.idle.is_none()).collect();
        if active.is_empty() {
            let why: Vec<String> = pack.idle_reasons().into_iter().map(|(r, n)| format!("{n} rule(s): {r}")).collect();
            return Err(AppError::Invalid(if why.is_empty() {
                format!("{file} holds no detection rule")
            } else {
                format!("no rule in {file} can see a record Vigil decodes: {}", why.join("; "))
            }));
        }
        let rules: Vec<String> = active.iter().map(|r| format!("{} — {}", r.info.id, r.info.title)).collect();
        let refs: BTreeMap<String, vigil_hunt::retro::RuleRef> = active
            .iter()
            .map(|r| {
                let a = r.info.alert_rule();
                (
                    r.info.id.clone(),
                    vigil_hunt::retro::RuleRef {
                        id: r.info.id.clone(),
                        title: r.info.title.clone(),
                        level: a.level.as_str().to_string(),
                        techniques: a.techniques,
                    },
                )
            })
            .collect();
        let formats = pack.formats_seen();
        let detector = vigil_detect::Detector::new(&pack, vigil_detect::DetectorOptions::default());
        let end = self
            .lake_end_ms(caller)?
            .ok_or_else(|| AppError::Invalid("the lake holds no events to hunt over; ingest first".into()))?;
        let window = Window::days_before(end, days).map_err(|e| AppError::Invalid(e.to_string()))?;
        let only = match &formats {
            Some(f) if f.is_empty() => return Err(AppError::Invalid(format!("no decoder feeds the rules in {file}"))),
            Some(f) => format!(
                " AND metadata_format IN ({})",
                f.iter().map(|x| vigil_hunt::sql_str(x)).collect::<Vec<_>>().join(", ")
            ),
            None => String::new(),
        };
        let (mut scanned, mut unreadable, mut matched, mut truncated_slices) = (0, 0, 0, 0);
        let mut hits: BTreeMap<String, Vec<vigil_hunt::retro::Hit>> = BTreeMap::new();
        let mut from = window.from_ms;
        while from < window.to_ms {
            let to = (from + RETRO_SLICE_DAYS * vigil_hunt::DAY_MS).min(window.to_ms);
            let sql = format!(
                "SELECT id, CAST(time AS BIGINT) AS t, metadata_format AS f, metadata_log_name AS l, device_hostname AS host, \
                 COALESCE(actor_user_name, user_name) AS who, raw FROM events \
                 WHERE time >= to_timestamp_millis({from}) AND time < to_timestamp_millis({to}){only}"
            );
            let r = self.hunt_job(caller, &sql, Some(RETRO_SLICE_ROWS))?;
            if r.truncated {
                truncated_slices += 1;
            }
            let rows = rows_of(&r).map_err(|e| AppError::Internal(format!("reading the lake: {e}")))?;
            drop(r);
            for row in &rows {
                scanned += 1;
                let (Some(raw), Some(format)) = (vigil_hunt::text(row, "raw"), vigil_hunt::text(row, "f")) else {
                    unreadable += 1;
                    continue;
                };
                let log_name = vigil_hunt::text(row, "l");
                match detector.evaluate_stored(&format, log_name.as_deref(), &raw) {
                    Ok(infos) if infos.is_empty() => {}
                    Ok(infos) => {
                        matched += 1;
                        for info in infos {
                            hits.entry(info.id.clone()).or_default().push(vigil_hunt::retro::Hit {
                                event: vigil_hunt::text(row, "id").unwrap_or_default(),
                                time_ms: vigil_hunt::int(row, "t").unwrap_or(0),
                                host: vigil_hunt::text(row, "host"),
                                user: vigil_hunt::text(row, "who"),
                            });
                        }
                    }
                    Err(_) => unreadable += 1,
                }
            }
            from = to;
        }
        let (mut kept, mut evidence) = (Vec::new(), Vec::new());
        let mut cut = 0;
        for (rule, hs) in &hits {
            let Some(r) = refs.get(rule) else { continue };
            let mut d = vigil_hunt::retro::drafts(r, hs, &window);
            cut += d.len().saturating_sub(RETRO_PER_RULE);
            d.truncate(RETRO_PER_RULE);
            for (draft, ev) in d {
                kept.push(draft);
                evidence.push(ev);
            }
        }
        let what = format!(
            "{} rule(s) over {} days to {}, {scanned} records, {matched} matched",
            rules.len(),
            window.days(),
            vigil_hunt::fmt_ms(end)
        );
        let tail =
            if unreadable > 0 { format!("; {unreadable} records could not be evaluated") } else { String::new() };
        let (new, again, respected) = self.keep(caller, kept, evidence, "hunt.retro", "ok", &what, &tail)?;
        Ok(RetroRun {
            window,
            rules,
            formats: formats.unwrap_or_default().into_iter().map(String::from).collect(),
            scanned,
            unreadable,
            matched,
            truncated_slices,
            cut,
            new,
            again,
            respected,
            millis: started.elapsed().as_millis(),
        })
    }

    /// Keeps what a run proposed: new hypotheses are stored open; ones already kept take the new
    /// facts while a person still has them open, and are left as decided when dismissed or
    /// promoted. One audit entry, `action`, says what happened.
    #[allow(clippy::too_many_arguments)]
    fn keep(
        &self,
        caller: &Caller,
        kept: Vec<Draft>,
        evidence: Vec<Vec<String>>,
        action: &str,
        result: &str,
        what: &str,
        tail: &str,
    ) -> Result<(Vec<String>, Vec<String>, Vec<String>)> {
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
        let detail =
            format!("{what}: {} new, {} again, {} left as decided{tail}", new.len(), again.len(), respected.len());
        store.put_documents(
            HYPOTHESIS,
            &docs,
            false,
            &[AuditEntry::new(now, &who, action, "lake", result, &detail)],
        )?;
        Ok((new, again, respected))
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

/// The simulator's slow attacks: no single event gives them away, so a hunt over weeks must
/// name each.
pub const SLOW_SCENARIOS: &[&str] = &["slow_exfiltration", "dormant_service_weekly", "vendor_scope_creep"];

/// Whether the hypotheses named one slow attack, and which did.
#[derive(Debug, Clone, Serialize)]
pub struct SlowScore {
    pub instance: String,
    pub scenario: String,
    /// The attack's labeled entities, lower-cased.
    pub entities: Vec<String>,
    /// The hypotheses one of whose names is among the entities.
    pub named_by: Vec<String>,
}

/// Hypotheses in one week of the window (by the week their evidence begins).
#[derive(Debug, Clone, Serialize)]
pub struct WeekLoad {
    pub week_of: String,
    pub hypotheses: usize,
}

/// The hunts over weeks scored against labeled slow attacks: recall (is each named by a
/// hypothesis) and load (how many hypotheses a week an analyst is handed).
#[derive(Debug, Clone, Serialize)]
pub struct HuntEval {
    pub run: HuntRun,
    pub slow: Vec<SlowScore>,
    pub named: usize,
    pub hypotheses: usize,
    pub weeks: Vec<WeekLoad>,
    pub max_per_week: usize,
    /// Labels of other scenarios that a hypothesis names too: hypotheses on real attacks are
    /// not noise, and this counts them.
    pub other_attacks_named: usize,
}

impl HuntEval {
    /// Named slow attacks over all of them; `None` when the labels hold none.
    pub fn recall(&self) -> Option<f64> {
        (!self.slow.is_empty()).then(|| self.named as f64 / self.slow.len() as f64)
    }

    /// The hypotheses per week, on average over the window.
    pub fn mean_per_week(&self) -> f64 {
        self.hypotheses as f64 / self.weeks.len().max(1) as f64
    }
}

impl App {
    /// Runs every hunt over the `days` before the lake's newest event, as `caller`, and scores
    /// the hypotheses it proposes (new or again; not those people already decided) against
    /// `labels`: each slow attack is named when a hypothesis's names include one of its
    /// entities; the load is the hypotheses per week of the window.
    pub fn eval_hunting(&self, caller: &Caller, labels: &[vigil_model::Label], days: i64) -> Result<HuntEval> {
        let run = self.run_hunts(caller, days, &[])?;
        let proposed: std::collections::BTreeSet<&String> = run.new.iter().chain(&run.again).collect();
        let hs: Vec<Hypothesis> =
            self.hypotheses(caller, true)?.into_iter().filter(|h| proposed.contains(&h.id)).collect();
        let names_of = |h: &Hypothesis| -> Vec<String> { h.draft.entities.iter().map(|e| e.to_lowercase()).collect() };
        // A name matches an entity as it is, or as a host's bare name against its full one.
        let same = |n: &str, e: &str| n == e || n.starts_with(&format!("{e}.")) || e.starts_with(&format!("{n}."));
        let named_by = |entities: &std::collections::BTreeSet<String>| -> Vec<String> {
            hs.iter()
                .filter(|h| names_of(h).iter().any(|n| entities.iter().any(|e| same(n, e))))
                .map(|h| h.id.clone())
                .collect()
        };
        let (mut slow, mut other_attacks_named) = (Vec::new(), 0);
        for l in labels {
            let entities = l.entities.names();
            let by = named_by(&entities);
            if SLOW_SCENARIOS.contains(&l.scenario.as_str()) {
                slow.push(SlowScore {
                    instance: l.instance.clone(),
                    scenario: l.scenario.clone(),
                    entities: entities.into_iter().collect(),
                    named_by: by,
                });
            } else if !by.is_empty() {
                other_attacks_named += 1;
            }
        }
        let w = &run.window;
        let mut weeks: Vec<WeekLoad> = (0..w.weeks())
            .map(|i| WeekLoad { week_of: vigil_hunt::fmt_ms(w.from_ms + i * vigil_hunt::WEEK_MS), hypotheses: 0 })
            .collect();
        for h in &hs {
            let i = ((h.draft.first_ms - w.from_ms).max(0) / vigil_hunt::WEEK_MS) as usize;
            let last = weeks.len().saturating_sub(1);
            if let Some(k) = weeks.get_mut(i.min(last)) {
                k.hypotheses += 1;
            }
        }
        Ok(HuntEval {
            named: slow.iter().filter(|s| !s.named_by.is_empty()).count(),
            hypotheses: hs.len(),
            max_per_week: weeks.iter().map(|k| k.hypotheses).max().unwrap_or(0),
            weeks,
            slow,
            other_attacks_named,
            run,
        })
    }
}

//! Hunting over weeks: the hunts that look across 30–90 days of the lake for what no detection
//! sees as events arrive — stacking and rarity (a process pair, a country, a service seen once),
//! low-and-slow patterns (small transfers to a new destination week after week, a dormant key
//! used once a week, an integration reading a little more each week) — and the hypotheses they
//! propose.
//!
//! Owns: the catalog of weak-signal hunts ([`catalog`]), each a SQL statement over a [`Window`]
//! of the lake and a reader that turns the rows into [`Draft`] hypotheses with their facts, the
//! query that tests them and what would confirm or refute them; a hypothesis's identity (a
//! fingerprint of the hunt and its subject, so later runs find it again) and its life
//! ([`Hypothesis`]: open, taken by an owner, promoted to a case, dismissed with a reason that
//! later runs respect); the per-week cap that keeps an analyst's load bounded.
//!
//! Must not: run queries, read files or touch storage — the application layer runs each hunt's
//! SQL through the query engine as the person (or the schedule) that asked, and keeps the
//! hypotheses; raise alerts — a hunt proposes, a person decides.

pub mod catalog;
pub mod retro;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use catalog::{CATALOG, Lookup, Spec, spec};

/// One row a hunt's query returned, as JSON (column name → value).
pub type Row = Map<String, Value>;

/// Milliseconds in a day and a week.
pub const DAY_MS: i64 = 86_400_000;
pub const WEEK_MS: i64 = 7 * DAY_MS;

/// Longest window a hunt looks over.
pub const MAX_DAYS: i64 = 366;

/// Most hypotheses one hunt proposes per week of the window (the highest scored are kept; the
/// rest are counted, never silently lost).
pub const PER_HUNT_PER_WEEK: usize = 3;

/// Most hypotheses all hunts together propose per week of the window: an analyst's load.
pub const PER_WEEK: usize = 10;

/// Why a hunt could not be run or read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum HuntError {
    #[error("no hunt named {0:?} (known: {1})")]
    Unknown(String, String),
    #[error("the window must be 1 to {MAX_DAYS} days, not {0}")]
    Window(i64),
    #[error("hypothesis {id}: {reason}")]
    Transition { id: String, reason: String },
}

/// The span of the lake a hunt looks over, `[from_ms, to_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl Window {
    /// The `days` before `end_ms` (the lake's newest event, or now).
    pub fn days_before(end_ms: i64, days: i64) -> Result<Window, HuntError> {
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(HuntError::Window(days));
        }
        Ok(Window { from_ms: end_ms.saturating_sub(days * DAY_MS), to_ms: end_ms.saturating_add(1) })
    }

    /// The SQL condition selecting `time` inside the window.
    pub fn sql(&self) -> String {
        format!("time >= to_timestamp_millis({}) AND time < to_timestamp_millis({})", self.from_ms, self.to_ms)
    }

    /// Whole days in the window.
    pub fn days(&self) -> i64 {
        (self.to_ms - self.from_ms).max(0) / DAY_MS
    }

    /// Whole weeks in the window, at least one.
    pub fn weeks(&self) -> i64 {
        ((self.to_ms - self.from_ms).max(0) / WEEK_MS).max(1)
    }
}

/// What kind of weak signal a hunt looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Stacking and rarity: something seen once, or on one host, across weeks.
    Rarity,
    /// A pattern that only shows across weeks: small, regular, new.
    LowAndSlow,
    /// A Sigma rule run over the lake's past.
    Retro,
}

/// A hypothesis as a hunt's reader proposes it, before it meets what people already decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// The hunt that proposed it.
    pub hunt: String,
    /// What it is about, stable across runs (the hunt's subject: a key, a pair of addresses …);
    /// with the hunt it makes the hypothesis's id.
    pub subject: String,
    /// The hypothesis in one sentence.
    pub statement: String,
    /// Users, hosts, keys, addresses, domains and apps it names.
    pub entities: Vec<String>,
    /// What the rows showed, one sentence each, every figure from the query.
    pub facts: Vec<String>,
    /// The query that tests it: the events behind the facts.
    pub test_sql: String,
    /// What would confirm it.
    pub confirm: String,
    /// What would refute it.
    pub refute: String,
    /// How strongly the rows point at it, 0–100 (used to rank within the weekly cap).
    pub score: f64,
    /// The first and last evidence.
    pub first_ms: i64,
    pub last_ms: i64,
    /// ATT&CK techniques it would be.
    pub techniques: Vec<String>,
}

impl Draft {
    /// `HYP-` and the first 10 hex digits of SHA-256 over the hunt and the subject.
    pub fn id(&self) -> String {
        hypothesis_id(&self.hunt, &self.subject)
    }
}

/// The id of the hypothesis a hunt proposes about a subject.
pub fn hypothesis_id(hunt: &str, subject: &str) -> String {
    let h = vigil_model::sha256_hex(format!("{hunt}\n{subject}").as_bytes());
    format!("HYP-{}", &h[..10])
}

/// Where a hypothesis stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    /// Proposed, no one has taken it.
    Open,
    /// Someone is testing it.
    Taken,
    /// Confirmed enough to work as a case.
    Promoted { case: String },
    /// Set aside, with the reason; later runs leave it dismissed.
    Dismissed { reason: String },
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Taken => "taken",
            Status::Promoted { .. } => "promoted",
            Status::Dismissed { .. } => "dismissed",
        }
    }

    /// Whether it still waits on a person.
    pub fn is_active(&self) -> bool {
        matches!(self, Status::Open | Status::Taken)
    }
}

/// One change in a hypothesis's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// A hypothesis as Vigil keeps it: the latest draft, its status, owner and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hypothesis {
    pub id: String,
    #[serde(flatten)]
    pub draft: Draft,
    pub status: Status,
    pub owner: Option<String>,
    /// Event ids the test query returned when it was last run (a sample; the query holds all).
    pub evidence_events: Vec<String>,
    pub found_ms: i64,
    pub updated_ms: i64,
    /// Runs that proposed it.
    pub runs: u32,
    pub history: Vec<Change>,
}

impl Hypothesis {
    /// A new, open hypothesis from a run's draft.
    pub fn new(draft: Draft, evidence_events: Vec<String>, actor: &str, now_ms: i64) -> Hypothesis {
        let id = draft.id();
        let detail = format!("proposed by {}: {}", draft.hunt, draft.statement);
        Hypothesis {
            id,
            draft,
            status: Status::Open,
            owner: None,
            evidence_events,
            found_ms: now_ms,
            updated_ms: now_ms,
            runs: 1,
            history: vec![Change { at_ms: now_ms, actor: actor.to_string(), action: "proposed".into(), detail }],
        }
    }

    /// A later run proposed the same hypothesis again. An active one takes the new facts (the
    /// pattern may have grown); a dismissed or promoted one keeps what people decided and only
    /// counts the run — the reason a person gave is what later runs respect.
    pub fn seen_again(&mut self, draft: Draft, evidence_events: Vec<String>, now_ms: i64) -> bool {
        self.runs = self.runs.saturating_add(1);
        if !self.status.is_active() {
            return false;
        }
        let changed = self.draft != draft;
        if changed {
            self.draft = draft;
            self.evidence_events = evidence_events;
            self.updated_ms = now_ms;
        }
        changed
    }

    /// Someone takes the hypothesis to test it.
    pub fn take(&mut self, owner: &str, now_ms: i64) -> Result<(), HuntError> {
        let owner = owner.trim();
        if owner.is_empty() {
            return Err(self.refuse("an owner is needed"));
        }
        if !self.status.is_active() {
            return Err(
                self.refuse(&format!("is {}; only an open or taken hypothesis can be taken", self.status.as_str()))
            );
        }
        self.status = Status::Taken;
        self.owner = Some(owner.to_string());
        self.log(now_ms, owner, "taken", format!("{owner} tests it"));
        Ok(())
    }

    /// Set aside with a reason later runs respect.
    pub fn dismiss(&mut self, actor: &str, reason: &str, now_ms: i64) -> Result<(), HuntError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(self.refuse("dismissing needs a reason"));
        }
        if !self.status.is_active() {
            return Err(self.refuse(&format!("is already {}", self.status.as_str())));
        }
        self.status = Status::Dismissed { reason: reason.to_string() };
        self.log(now_ms, actor, "dismissed", reason.to_string());
        Ok(())
    }

    /// Promoted to the case `case`.
    pub fn promote(&mut self, actor: &str, case: &str, now_ms: i64) -> Result<(), HuntError> {
        if !self.status.is_active() {
            return Err(self.refuse(&format!("is already {}", self.status.as_str())));
        }
        self.status = Status::Promoted { case: case.to_string() };
        if self.owner.is_none() {
            self.owner = Some(actor.to_string());
        }
        self.log(now_ms, actor, "promoted", format!("opened as {case}"));
        Ok(())
    }

    fn refuse(&self, reason: &str) -> HuntError {
        HuntError::Transition { id: self.id.clone(), reason: reason.to_string() }
    }

    fn log(&mut self, at_ms: i64, actor: &str, action: &str, detail: String) {
        self.updated_ms = at_ms;
        self.history.push(Change { at_ms, actor: actor.to_string(), action: action.to_string(), detail });
    }
}

/// Keeps at most `per_hunt` drafts of each hunt and `per_week` in all for each week (by first
/// evidence) of the window, highest score first; returns the kept drafts and how many each hunt
/// had cut.
pub fn cap_per_week(
    mut drafts: Vec<Draft>,
    window: &Window,
    per_hunt: usize,
    per_week: usize,
) -> (Vec<Draft>, BTreeMap<String, usize>) {
    drafts.sort_by(|a, b| {
        b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.subject.cmp(&b.subject))
    });
    let mut seen: BTreeMap<(String, i64), usize> = BTreeMap::new();
    let mut weekly: BTreeMap<i64, usize> = BTreeMap::new();
    let mut cut: BTreeMap<String, usize> = BTreeMap::new();
    let mut kept = Vec::new();
    for d in drafts {
        let week = (d.first_ms - window.from_ms).max(0) / WEEK_MS;
        let n = seen.entry((d.hunt.clone(), week)).or_default();
        let all = weekly.entry(week).or_default();
        if *n < per_hunt && *all < per_week {
            *n += 1;
            *all += 1;
            kept.push(d);
        } else {
            *cut.entry(d.hunt.clone()).or_default() += 1;
        }
    }
    (kept, cut)
}

/// A text value of a row (strings as they are, numbers rendered), `None` for null or missing.
pub fn text(row: &Row, col: &str) -> Option<String> {
    match row.get(col)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        v => Some(v.to_string()),
    }
}

/// A whole-number value of a row (numbers, or text holding one).
pub fn int(row: &Row, col: &str) -> Option<i64> {
    match row.get(col)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `ms` as an RFC 3339 date and time, to the minute.
pub fn fmt_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map_or_else(|| ms.to_string(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// `s` as a SQL string literal.
pub fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(hunt: &str, subject: &str, score: f64, first_ms: i64) -> Draft {
        Draft {
            hunt: hunt.into(),
            subject: subject.into(),
            statement: format!("{subject} is up to something"),
            entities: vec![subject.into()],
            facts: vec!["a fact".into()],
            test_sql: "SELECT 1".into(),
            confirm: "c".into(),
            refute: "r".into(),
            score,
            first_ms,
            last_ms: first_ms,
            techniques: vec![],
        }
    }

    #[test]
    fn ids_are_stable_and_tell_hunts_and_subjects_apart() {
        let a = draft("h", "s", 1.0, 0);
        assert_eq!(a.id(), draft("h", "s", 9.0, 5).id());
        assert_ne!(a.id(), draft("h", "t", 1.0, 0).id());
        assert_ne!(a.id(), draft("g", "s", 1.0, 0).id());
        assert!(a.id().starts_with("HYP-") && a.id().len() == 14);
    }

    #[test]
    fn a_dismissed_hypothesis_stays_dismissed_when_a_run_finds_it_again() {
        let mut h = Hypothesis::new(draft("h", "s", 1.0, 0), vec!["e1".into()], "hunt", 10);
        assert!(h.dismiss("ana", "  ", 11).is_err(), "a reason is required");
        h.dismiss("ana", "the weekly job is the backup vendor's", 12).unwrap();
        let mut again = draft("h", "s", 50.0, 0);
        again.facts.push("more".into());
        assert!(!h.seen_again(again, vec!["e2".into()], 20));
        assert_eq!(h.status, Status::Dismissed { reason: "the weekly job is the backup vendor's".into() });
        assert_eq!(h.draft.facts.len(), 1, "what people decided on is kept");
        assert_eq!(h.runs, 2);
        assert!(h.take("bo", 21).is_err());
        assert!(h.promote("bo", "CASE-1", 21).is_err());
    }

    #[test]
    fn an_open_hypothesis_takes_a_later_runs_facts_and_keeps_its_owner() {
        let mut h = Hypothesis::new(draft("h", "s", 1.0, 0), vec![], "hunt", 10);
        assert!(h.take(" ", 11).is_err());
        h.take("ana", 11).unwrap();
        let mut again = draft("h", "s", 5.0, 0);
        again.facts = vec!["grown".into()];
        assert!(h.seen_again(again, vec!["e9".into()], 20));
        assert_eq!(h.owner.as_deref(), Some("ana"));
        assert_eq!(h.status, Status::Taken);
        assert_eq!(h.draft.facts, vec!["grown".to_string()]);
        h.promote("ana", "CASE-1", 30).unwrap();
        assert_eq!(h.status, Status::Promoted { case: "CASE-1".into() });
        assert_eq!(h.history.iter().map(|c| c.action.as_str()).collect::<Vec<_>>(), ["proposed", "taken", "promoted"]);
    }

    #[test]
    fn the_weekly_cap_keeps_the_strongest_and_counts_the_rest() {
        let w = Window { from_ms: 0, to_ms: 3 * WEEK_MS };
        let drafts = vec![
            draft("a", "1", 1.0, 0),
            draft("a", "2", 3.0, DAY_MS),
            draft("a", "3", 2.0, 2 * DAY_MS),
            draft("a", "4", 1.0, WEEK_MS + 1),
            draft("b", "5", 1.0, 0),
        ];
        let (kept, cut) = cap_per_week(drafts.clone(), &w, 2, 10);
        let mut subjects: Vec<&str> = kept.iter().map(|d| d.subject.as_str()).collect();
        subjects.sort_unstable();
        assert_eq!(subjects, ["2", "3", "4", "5"]);
        assert_eq!(cut.get("a"), Some(&1));
        // The weekly cap across hunts keeps the strongest of the week.
        let (kept, cut) = cap_per_week(drafts, &w, 5, 2);
        let mut subjects: Vec<&str> = kept.iter().map(|d| d.subject.as_str()).collect();
        subjects.sort_unstable();
        assert_eq!(subjects, ["2", "3", "4"]);
        assert_eq!(cut.get("a"), Some(&1));
        assert_eq!(cut.get("b"), Some(&1));
    }

    #[test]
    fn windows_are_bounded_and_render_as_sql() {
        assert!(Window::days_before(0, 0).is_err());
        assert!(Window::days_before(0, MAX_DAYS + 1).is_err());
        let w = Window::days_before(90 * DAY_MS, 90).unwrap();
        assert_eq!(w.days(), 90);
        assert_eq!(w.weeks(), 12);
        assert!(w.sql().contains("to_timestamp_millis(0)"));
    }

    #[test]
    fn row_values_are_read_whatever_json_type_they_came_as() {
        let row: Row = serde_json::from_str(r#"{"a":"x","n":3,"f":2.9,"s":"42","z":null}"#).unwrap();
        assert_eq!(text(&row, "a").as_deref(), Some("x"));
        assert_eq!(text(&row, "n").as_deref(), Some("3"));
        assert_eq!(text(&row, "z"), None);
        assert_eq!(int(&row, "n"), Some(3));
        assert_eq!(int(&row, "f"), Some(2));
        assert_eq!(int(&row, "s"), Some(42));
        assert_eq!(int(&row, "a"), None);
        assert_eq!(sql_str("o'brien"), "'o''brien'");
    }
}

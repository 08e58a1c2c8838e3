//! The case itself and every operation an analyst (or the machine) performs on it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::sla::{Pause, SlaState};
use crate::{CaseError, Disposition, MAX_COMMENT_CHARS, Severity, Status, is_machine};

/// What the caller knows when it opens a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseSeed {
    pub title: String,
    pub severity: Severity,
    pub incidents: Vec<String>,
    pub alerts: Vec<String>,
    pub risk: f64,
    pub verdict: String,
    pub first_event_ms: Option<i64>,
    pub first_alert_ms: i64,
    pub entities: Vec<String>,
    pub summary: String,
}

/// The disposition in force and who set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispositionRecord {
    pub disposition: Disposition,
    pub by: String,
    pub at_ms: i64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: u32,
    pub title: String,
    pub done: bool,
    pub assignee: Option<String>,
    pub created_ms: i64,
    pub done_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub author: String,
    pub at_ms: i64,
    pub text: String,
}

/// The timestamps MTTD (first_alert - first_event), MTTA (acknowledged - first_alert or
/// opened) and MTTR (resolved - first_alert or opened) are computed from. Each milestone is
/// set the first time it happens and never moved later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Times {
    pub first_event_ms: Option<i64>,
    pub first_alert_ms: i64,
    pub opened_ms: i64,
    pub acknowledged_ms: Option<i64>,
    pub triaged_ms: Option<i64>,
    pub investigating_ms: Option<i64>,
    pub contained_ms: Option<i64>,
    pub resolved_ms: Option<i64>,
    pub closed_ms: Option<i64>,
}

/// One entry of a case's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

impl CaseEvent {
    /// The entry's detail in words, for people (the case page, the auditor's view, the
    /// packet's report): a structured detail (a playbook's JSON) becomes `name value` pairs
    /// with dates for times and a count for vendor calls, without hashes and idempotency keys;
    /// plain text stays as it is. The stored detail is untouched.
    pub fn readable(&self) -> String {
        let d = self.detail.as_str();
        let (Some(open), Some(close)) = (d.find('{'), d.rfind('}')) else { return d.to_string() };
        if close < open {
            return d.to_string();
        }
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&d[open..=close]) else { return d.to_string() };
        let before = d[..open].trim();
        let after = d[close + 1..].trim();
        let words = json_words(&v);
        [before, words.as_str(), after].iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(" — ")
    }
}

/// Keys that mean nothing to a reader of the history (they stay in the stored detail).
const UNREADABLE: &[&str] = &["sha256", "idempotency_key", "prior_state", "version"];

fn json_words(v: &serde_json::Value) -> String {
    use serde_json::Value;
    let Value::Object(m) = v else { return scalar_words("", v) };
    // What a reader looks for first, then the rest by name.
    const FIRST: &[&str] = &["run", "playbook", "step", "purpose", "action", "class", "approval", "status"];
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort_by_key(|k| (FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()), k.as_str()));
    let mut parts = Vec::new();
    for (k, x) in keys.into_iter().filter_map(|k| m.get(k).map(|x| (k, x))) {
        if UNREADABLE.contains(&k.as_str()) || x.is_null() {
            continue;
        }
        match (k.as_str(), x) {
            ("automated", Value::Bool(true)) => parts.push("without a person".to_string()),
            ("automated", Value::Bool(false)) => parts.push("by a person".to_string()),
            ("already_done", Value::Bool(true)) => parts.push("found already done".to_string()),
            (_, Value::Bool(false)) => {}
            ("calls", Value::Array(calls)) => {
                let statuses: Vec<String> =
                    calls.iter().filter_map(|c| c.get("status")).map(|s| scalar_words("", s)).collect();
                parts.push(format!(
                    "{} vendor call{} (status {})",
                    calls.len(),
                    if calls.len() == 1 { "" } else { "s" },
                    statuses.join(", ")
                ));
            }
            (_, Value::Object(_)) => parts.push(format!("{} ({})", k.replace('_', " "), json_words(x))),
            (_, Value::Array(a)) => parts.push(format!(
                "{} {}",
                k.replace('_', " "),
                a.iter().map(|y| scalar_words(k, y)).collect::<Vec<_>>().join(", ")
            )),
            _ => {
                let name = k.strip_suffix("_ms").unwrap_or(k).replace('_', " ");
                parts.push(format!("{name} {}", scalar_words(k, x)));
            }
        }
    }
    parts.join(", ")
}

fn scalar_words(key: &str, v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) if key.ends_with("_ms") => n
            .as_i64()
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| n.to_string()),
        serde_json::Value::Object(_) => json_words(v),
        other => other.to_string(),
    }
}

/// A case an analyst works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// Keep the first occurrence of each non-duplicate, in order.
fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Case {
    /// `"CASE-"` + the first 10 hex digits of SHA-256 over the sorted, distinct incident ids
    /// (newline-joined). A case with no incidents hashes its sorted alert ids instead, under
    /// an `alerts` prefix so the two never collide.
    pub fn derive_id(incidents: &[String], alerts: &[String]) -> String {
        let (prefix, ids) = if incidents.is_empty() { ("alerts\n", alerts) } else { ("", incidents) };
        let mut sorted: Vec<&str> = ids.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut h = Sha256::new();
        h.update(prefix.as_bytes());
        h.update(sorted.join("\n").as_bytes());
        let hex = hex::encode(h.finalize());
        format!("CASE-{}", &hex[..10])
    }

    /// Open a case (status New) with an id derived from its incidents ([`Case::derive_id`]).
    pub fn open(seed: CaseSeed, actor: &str, now_ms: i64) -> Result<Case, CaseError> {
        let id = Case::derive_id(&seed.incidents, &seed.alerts);
        Case::open_with_id(id, seed, actor, now_ms)
    }

    /// Open a case under an id the caller chooses.
    pub fn open_with_id(id: impl Into<String>, seed: CaseSeed, actor: &str, now_ms: i64) -> Result<Case, CaseError> {
        let id = id.into();
        let invalid = |field, reason: &str| CaseError::Invalid { case: id.clone(), field, reason: reason.to_string() };
        if id.trim().is_empty() {
            return Err(invalid("id", "is empty"));
        }
        check_actor(&id, actor)?;
        if seed.title.trim().is_empty() {
            return Err(invalid("title", "is empty"));
        }
        if seed.incidents.is_empty() && seed.alerts.is_empty() {
            return Err(invalid("incidents", "a case needs at least one incident or alert"));
        }
        if seed.incidents.iter().chain(&seed.alerts).any(|i| i.trim().is_empty()) {
            return Err(invalid("incidents", "an incident or alert id is empty"));
        }
        if !seed.risk.is_finite() {
            return Err(invalid("risk", "is not a finite number"));
        }
        let incidents = dedup(seed.incidents);
        let alerts = dedup(seed.alerts);
        let detail = format!("{} incident(s), {} alert(s), severity {}", incidents.len(), alerts.len(), seed.severity);
        let mut case = Case {
            id,
            title: seed.title,
            status: Status::New,
            severity: seed.severity,
            owner: None,
            team: None,
            incidents,
            alerts,
            risk: seed.risk,
            verdict: seed.verdict,
            entities: dedup(seed.entities),
            summary: seed.summary,
            disposition: None,
            tasks: Vec::new(),
            comments: Vec::new(),
            times: Times {
                first_event_ms: seed.first_event_ms,
                first_alert_ms: seed.first_alert_ms,
                opened_ms: now_ms,
                acknowledged_ms: None,
                triaged_ms: None,
                investigating_ms: None,
                contained_ms: None,
                resolved_ms: None,
                closed_ms: None,
            },
            sla: SlaState::default(),
            history: Vec::new(),
            merged_into: None,
        };
        case.record(actor, now_ms, "open", detail);
        Ok(case)
    }

    /// The time an operation at `now_ms` is recorded at: never before the latest history
    /// entry, so history stays ordered when callers' clocks disagree.
    pub(crate) fn stamp(&self, now_ms: i64) -> i64 {
        self.history.last().map_or(now_ms, |h| h.at_ms.max(now_ms))
    }

    pub(crate) fn record(&mut self, actor: &str, at_ms: i64, action: &str, detail: String) {
        self.history.push(CaseEvent { at_ms, actor: actor.to_string(), action: action.to_string(), detail });
    }

    /// Refuse work on a case merged away, and anonymous actors.
    fn guard(&self, actor: &str) -> Result<(), CaseError> {
        if let Some(into) = &self.merged_into {
            return Err(CaseError::Merged { case: self.id.clone(), into: into.clone() });
        }
        check_actor(&self.id, actor)
    }

    fn invalid(&self, field: &'static str, reason: impl Into<String>) -> CaseError {
        CaseError::Invalid { case: self.id.clone(), field, reason: reason.into() }
    }

    /// Set owner and team (None clears). Records nothing when neither changes.
    pub fn assign(
        &mut self,
        owner: Option<&str>,
        team: Option<&str>,
        actor: &str,
        now_ms: i64,
    ) -> Result<(), CaseError> {
        self.guard(actor)?;
        if owner.is_some_and(|o| o.trim().is_empty()) {
            return Err(self.invalid("owner", "is empty; pass None to unassign"));
        }
        if team.is_some_and(|t| t.trim().is_empty()) {
            return Err(self.invalid("team", "is empty; pass None to clear"));
        }
        let owner = owner.map(str::to_string);
        let team = team.map(str::to_string);
        if owner == self.owner && team == self.team {
            return Ok(());
        }
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        let detail =
            format!("owner {} -> {}, team {} -> {}", show(&self.owner), show(&owner), show(&self.team), show(&team));
        self.owner = owner;
        self.team = team;
        let at = self.stamp(now_ms);
        self.record(actor, at, "assign", detail);
        Ok(())
    }

    /// Change the severity (the SLA targets follow it).
    pub fn set_severity(&mut self, severity: Severity, actor: &str, now_ms: i64) -> Result<(), CaseError> {
        self.guard(actor)?;
        if severity == self.severity {
            return Ok(());
        }
        let detail = format!("{} -> {severity}", self.severity);
        self.severity = severity;
        let at = self.stamp(now_ms);
        self.record(actor, at, "severity", detail);
        Ok(())
    }

    /// A human takes notice of the case. Returns false (and records nothing) when it was
    /// already acknowledged. The machine cannot acknowledge: MTTA measures people.
    pub fn acknowledge(&mut self, actor: &str, now_ms: i64) -> Result<bool, CaseError> {
        self.guard(actor)?;
        if is_machine(actor) {
            return Err(CaseError::Machine { case: self.id.clone(), actor: actor.to_string(), action: "acknowledge" });
        }
        if self.times.acknowledged_ms.is_some() {
            return Ok(false);
        }
        let at = self.stamp(now_ms);
        self.times.acknowledged_ms = Some(at);
        self.record(actor, at, "acknowledge", String::new());
        Ok(true)
    }

    /// Move the case along its lifecycle ([`Status::can_move_to`]). The matching times field
    /// is set the first time; any transition by a human also acknowledges the case if it
    /// was not yet. Resolving needs a disposition.
    pub fn transition(&mut self, to: Status, actor: &str, now_ms: i64) -> Result<(), CaseError> {
        self.guard(actor)?;
        self.check_transition(to)?;
        let from = self.status;
        let at = self.stamp(now_ms);
        self.status = to;
        let t = &mut self.times;
        let slot = match to {
            Status::New => None,
            Status::Triaged => Some(&mut t.triaged_ms),
            Status::Investigating => Some(&mut t.investigating_ms),
            Status::Contained => Some(&mut t.contained_ms),
            Status::Resolved => Some(&mut t.resolved_ms),
            Status::Closed => Some(&mut t.closed_ms),
        };
        if let Some(slot) = slot {
            slot.get_or_insert(at);
        }
        let mut detail = format!("{from} -> {to}");
        if !is_machine(actor) && self.times.acknowledged_ms.is_none() {
            self.times.acknowledged_ms = Some(at);
            detail.push_str(" (acknowledged)");
        }
        self.record(actor, at, "transition", detail);
        Ok(())
    }

    fn check_transition(&self, to: Status) -> Result<(), CaseError> {
        if !self.status.can_move_to(to) {
            return Err(CaseError::Transition { case: self.id.clone(), from: self.status, to });
        }
        if to == Status::Resolved && self.disposition.is_none() {
            return Err(CaseError::NeedsDisposition { case: self.id.clone() });
        }
        Ok(())
    }

    /// Add a comment by `actor`: not empty, at most 20,000 characters.
    pub fn comment(&mut self, text: &str, actor: &str, now_ms: i64) -> Result<(), CaseError> {
        self.guard(actor)?;
        if text.trim().is_empty() {
            return Err(self.invalid("comment", "is empty"));
        }
        let chars = text.chars().count();
        if chars > MAX_COMMENT_CHARS {
            return Err(self.invalid("comment", format!("has {chars} characters; at most {MAX_COMMENT_CHARS}")));
        }
        let at = self.stamp(now_ms);
        self.comments.push(Comment { author: actor.to_string(), at_ms: at, text: text.to_string() });
        self.record(actor, at, "comment", format!("{chars} characters"));
        Ok(())
    }

    /// Add a task; returns its id (1, 2, ...; unique within the case).
    pub fn add_task(
        &mut self,
        title: &str,
        assignee: Option<&str>,
        actor: &str,
        now_ms: i64,
    ) -> Result<u32, CaseError> {
        self.guard(actor)?;
        if title.trim().is_empty() {
            return Err(self.invalid("task", "title is empty"));
        }
        if assignee.is_some_and(|a| a.trim().is_empty()) {
            return Err(self.invalid("assignee", "is empty; pass None for no assignee"));
        }
        let id = self.next_task_id();
        let at = self.stamp(now_ms);
        self.tasks.push(Task {
            id,
            title: title.to_string(),
            done: false,
            assignee: assignee.map(str::to_string),
            created_ms: at,
            done_ms: None,
        });
        self.record(actor, at, "task_add", format!("#{id} {title}"));
        Ok(id)
    }

    fn next_task_id(&self) -> u32 {
        self.tasks.iter().map(|t| t.id).max().unwrap_or(0).saturating_add(1)
    }

    /// Mark a task done. Returns false (and records nothing) when it already was.
    pub fn complete_task(&mut self, id: u32, actor: &str, now_ms: i64) -> Result<bool, CaseError> {
        self.guard(actor)?;
        let at = self.stamp(now_ms);
        let Some(task) = self.tasks.iter_mut().find(|t| t.id == id) else {
            return Err(CaseError::NoTask { case: self.id.clone(), id });
        };
        if task.done {
            return Ok(false);
        }
        task.done = true;
        task.done_ms = Some(at);
        self.record(actor, at, "task_done", format!("#{id}"));
        Ok(true)
    }

    /// Stop the SLA clocks (e.g. waiting on a third party).
    pub fn pause_sla(&mut self, reason: &str, actor: &str, now_ms: i64) -> Result<(), CaseError> {
        self.guard(actor)?;
        if self.sla.is_paused() {
            return Err(CaseError::AlreadyPaused { case: self.id.clone() });
        }
        if reason.trim().is_empty() {
            return Err(self.invalid("reason", "an SLA pause needs a reason"));
        }
        let at = self.stamp(now_ms);
        self.sla.paused_since = Some(at);
        self.sla.pauses.push(Pause { from_ms: at, to_ms: None, by: actor.to_string(), reason: reason.to_string() });
        self.record(actor, at, "sla_pause", reason.to_string());
        Ok(())
    }

    /// Restart the SLA clocks.
    pub fn resume_sla(&mut self, actor: &str, now_ms: i64) -> Result<(), CaseError> {
        self.guard(actor)?;
        if !self.sla.is_paused() {
            return Err(CaseError::NotPaused { case: self.id.clone() });
        }
        let at = self.stamp(now_ms);
        let paused = self.end_pause(at);
        self.record(actor, at, "sla_resume", format!("paused {paused} ms"));
        Ok(())
    }

    /// Close the ongoing pause at `at`; returns its length.
    fn end_pause(&mut self, at: i64) -> i64 {
        let Some(since) = self.sla.paused_since.take() else { return 0 };
        let len = at.saturating_sub(since).max(0);
        self.sla.paused_total_ms = self.sla.paused_total_ms.saturating_add(len);
        if let Some(p) = self.sla.pauses.iter_mut().rev().find(|p| p.to_ms.is_none()) {
            p.to_ms = Some(at);
        }
        len
    }

    /// Set what the case turned out to be. The machine never overwrites a human's
    /// disposition ([`CaseError::HumanDisposition`], nothing changes); a human overwrites
    /// anyone's.
    pub fn set_disposition(
        &mut self,
        disposition: Disposition,
        note: &str,
        actor: &str,
        now_ms: i64,
    ) -> Result<(), CaseError> {
        self.guard(actor)?;
        self.check_disposition(actor)?;
        let at = self.stamp(now_ms);
        let detail = match &self.disposition {
            Some(old) => format!("{} (by {}) -> {disposition}", old.disposition, old.by),
            None => disposition.to_string(),
        };
        self.disposition =
            Some(DispositionRecord { disposition, by: actor.to_string(), at_ms: at, note: note.to_string() });
        self.record(actor, at, "disposition", detail);
        Ok(())
    }

    fn check_disposition(&self, actor: &str) -> Result<(), CaseError> {
        match &self.disposition {
            Some(d) if is_machine(actor) && !is_machine(&d.by) => {
                Err(CaseError::HumanDisposition { case: self.id.clone(), by: d.by.clone() })
            }
            _ => Ok(()),
        }
    }

    /// Set the disposition and move to Resolved, both or neither.
    pub fn resolve(&mut self, disposition: Disposition, note: &str, actor: &str, now_ms: i64) -> Result<(), CaseError> {
        self.guard(actor)?;
        self.check_disposition(actor)?;
        if !self.status.can_move_to(Status::Resolved) {
            return Err(CaseError::Transition { case: self.id.clone(), from: self.status, to: Status::Resolved });
        }
        self.set_disposition(disposition, note, actor, now_ms)?;
        self.transition(Status::Resolved, actor, now_ms)
    }

    /// Resolved -> Closed.
    pub fn close(&mut self, actor: &str, now_ms: i64) -> Result<(), CaseError> {
        self.transition(Status::Closed, actor, now_ms)
    }

    /// Fold `other` into this case. Incidents, alerts, entities, tasks (renumbered) and
    /// comments (tagged `[from CASE-…]`) move here; severity and risk take the worse of the
    /// two; owner/team are taken from `other` only when this case has none. Times keep the
    /// earlier of the two for first event, first alert, opened, acknowledged, triaged and
    /// investigating; contained/resolved/closed stay this case's own (they describe this
    /// case's state) and only move earlier when both cases have them. `other` ends Closed
    /// with `merged_into` set and refuses further work.
    pub fn merge(&mut self, other: &mut Case, actor: &str, now_ms: i64) -> Result<(), CaseError> {
        self.guard(actor)?;
        other.guard(actor)?;
        let fail = |reason: &str| CaseError::Merge { case: self.id.clone(), reason: reason.into() };
        if other.id == self.id {
            return Err(fail("a case cannot be merged into itself"));
        }
        if matches!(self.status, Status::Resolved | Status::Closed) {
            return Err(fail("this case is resolved; reopen it before merging work into it"));
        }
        let at = self.stamp(now_ms);
        let other_at = other.stamp(now_ms);

        let (n_inc, n_alert) = (other.incidents.len(), other.alerts.len());
        for i in std::mem::take(&mut other.incidents) {
            if !self.incidents.contains(&i) {
                self.incidents.push(i);
            }
        }
        for a in std::mem::take(&mut other.alerts) {
            if !self.alerts.contains(&a) {
                self.alerts.push(a);
            }
        }
        for e in std::mem::take(&mut other.entities) {
            if !self.entities.contains(&e) {
                self.entities.push(e);
            }
        }
        let n_comments = other.comments.len();
        for c in std::mem::take(&mut other.comments) {
            self.comments.push(Comment { text: format!("[from {}] {}", other.id, c.text), ..c });
        }
        self.comments.sort_by_key(|c| c.at_ms);
        let mut renumbered = Vec::new();
        for t in std::mem::take(&mut other.tasks) {
            let id = self.next_task_id();
            renumbered.push(format!("#{}->#{id}", t.id));
            self.tasks.push(Task { id, ..t });
        }

        self.severity = self.severity.min(other.severity); // Critical orders first
        self.risk = self.risk.max(other.risk);
        if self.owner.is_none() {
            self.owner = other.owner.clone();
        }
        if self.team.is_none() {
            self.team = other.team.clone();
        }
        let (s, o) = (&mut self.times, &other.times);
        s.first_event_ms = min_opt(s.first_event_ms, o.first_event_ms);
        s.first_alert_ms = s.first_alert_ms.min(o.first_alert_ms);
        s.opened_ms = s.opened_ms.min(o.opened_ms);
        s.acknowledged_ms = min_opt(s.acknowledged_ms, o.acknowledged_ms);
        s.triaged_ms = min_opt(s.triaged_ms, o.triaged_ms);
        s.investigating_ms = min_opt(s.investigating_ms, o.investigating_ms);
        let both = |a: Option<i64>, b: Option<i64>| a.map(|a| b.map_or(a, |b| a.min(b)));
        s.contained_ms = both(s.contained_ms, o.contained_ms);
        s.resolved_ms = both(s.resolved_ms, o.resolved_ms);
        s.closed_ms = both(s.closed_ms, o.closed_ms);

        let detail = format!(
            "merged {}: {n_inc} incident(s), {n_alert} alert(s), {n_comments} comment(s), tasks {}",
            other.id,
            if renumbered.is_empty() { "none".to_string() } else { renumbered.join(" ") }
        );
        self.record(actor, at, "merge", detail);

        other.end_pause(other_at);
        let from = other.status;
        other.status = Status::Closed;
        other.times.closed_ms.get_or_insert(other_at);
        other.merged_into = Some(self.id.clone());
        other.record(actor, other_at, "merged_into", format!("{} ({from} -> closed)", self.id));
        Ok(())
    }

    /// Move the named incidents and/or alerts to a new case titled `new_title`. The new case
    /// keeps this case's severity, risk, verdict, entities, summary, owner, team, first
    /// event/alert, opened and acknowledged times (its SLA clocks do not restart), and starts
    /// New. Fails when an item is not in this case or when this case would be left with no
    /// incidents and no alerts.
    pub fn split(&mut self, items: &[&str], new_title: &str, actor: &str, now_ms: i64) -> Result<Case, CaseError> {
        self.guard(actor)?;
        if items.is_empty() {
            return Err(self.invalid("items", "name at least one incident or alert to split off"));
        }
        if new_title.trim().is_empty() {
            return Err(self.invalid("title", "is empty"));
        }
        for item in items {
            if !self.incidents.iter().chain(&self.alerts).any(|i| i == item) {
                return Err(CaseError::NotInCase { case: self.id.clone(), item: item.to_string() });
            }
        }
        let (moved_inc, kept_inc): (Vec<String>, Vec<String>) =
            self.incidents.iter().cloned().partition(|i| items.contains(&i.as_str()));
        let (moved_alerts, kept_alerts): (Vec<String>, Vec<String>) =
            self.alerts.iter().cloned().partition(|a| items.contains(&a.as_str()));
        if kept_inc.is_empty() && kept_alerts.is_empty() {
            return Err(CaseError::WouldEmpty { case: self.id.clone() });
        }
        let new_id = Case::derive_id(&moved_inc, &moved_alerts);
        if new_id == self.id {
            return Err(self.invalid("items", "the split-off case would get this case's id"));
        }
        let at = self.stamp(now_ms);
        let seed = CaseSeed {
            title: new_title.to_string(),
            severity: self.severity,
            incidents: moved_inc.clone(),
            alerts: moved_alerts.clone(),
            risk: self.risk,
            verdict: self.verdict.clone(),
            first_event_ms: self.times.first_event_ms,
            first_alert_ms: self.times.first_alert_ms,
            entities: self.entities.clone(),
            summary: self.summary.clone(),
        };
        let mut new = Case::open_with_id(new_id, seed, actor, at)?;
        new.owner = self.owner.clone();
        new.team = self.team.clone();
        new.times.opened_ms = self.times.opened_ms;
        new.times.acknowledged_ms = self.times.acknowledged_ms;
        new.history[0].action = "split_from".into();
        new.history[0].detail = format!("split from {}: {}", self.id, new.history[0].detail);

        self.incidents = kept_inc;
        self.alerts = kept_alerts;
        let moved: Vec<String> = moved_inc.into_iter().chain(moved_alerts).collect();
        self.record(actor, at, "split", format!("moved {} to {}", moved.join(", "), new.id));
        Ok(new)
    }
}

fn check_actor(case: &str, actor: &str) -> Result<(), CaseError> {
    if actor.trim().is_empty() {
        return Err(CaseError::Invalid {
            case: case.to_string(),
            field: "actor",
            reason: "is empty; every change needs an actor".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod readable_tests {
    use super::*;

    fn ev(detail: &str) -> CaseEvent {
        CaseEvent { at_ms: 0, actor: "vigil:automation".into(), action: "playbook.step".into(), detail: detail.into() }
    }

    #[test]
    fn a_playbooks_json_detail_reads_as_words() {
        let e = ev(
            r#"ticket-open {"run":"RUN-8","step":"ticket","action":"jira.create_issue","class":"notify","automated":true,"idempotency_key":"4230b7","already_done":false,"calls":[{"method":"POST","url":"http://x/search","status":200},{"method":"POST","url":"http://x/issue","status":201}],"prior_state":null} (ok)"#,
        );
        let r = e.readable();
        assert_eq!(
            r,
            "ticket-open — run RUN-8, step ticket, action jira.create_issue, class notify, without a person, 2 vendor calls (status 200, 201) — (ok)"
        );
        let e = ev(r#"account-reset {"approval":"APR-1","expires_ms":1796637240830,"sha256":"b46c"} (pending)"#);
        assert_eq!(e.readable(), "account-reset — approval APR-1, expires 2026-12-07 09:54 UTC — (pending)");
        assert_eq!(ev("owner (none) -> kim.edr").readable(), "owner (none) -> kim.edr");
        assert_eq!(ev("not {json} at all").readable(), "not {json} at all");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Clock, ManualClock, SlaEvent, SlaKind, SlaPolicy};
    use proptest::prelude::*;

    const T0: i64 = 1_700_000_000_000;
    const MIN: i64 = 60_000;

    fn seed(incidents: &[&str], alerts: &[&str]) -> CaseSeed {
        CaseSeed {
            title: "Credential theft on web01".into(),
            severity: Severity::High,
            incidents: incidents.iter().map(|s| s.to_string()).collect(),
            alerts: alerts.iter().map(|s| s.to_string()).collect(),
            risk: 0.7,
            verdict: "likely malicious".into(),
            first_event_ms: Some(T0 - 10 * MIN),
            first_alert_ms: T0 - 2 * MIN,
            entities: vec!["host:web01".into(), "user:bob".into()],
            summary: "mimikatz-like access to lsass".into(),
        }
    }

    fn case() -> Case {
        Case::open(seed(&["INC-1", "INC-2"], &["A-1", "A-2"]), "vigil:triage", T0).unwrap()
    }

    #[test]
    fn open_derives_a_deterministic_id() {
        let a = case();
        let b = Case::open(seed(&["INC-2", "INC-1"], &["A-9"]), "alice", T0 + 5).unwrap();
        assert_eq!(a.id, b.id, "order and alerts do not matter");
        assert!(a.id.starts_with("CASE-") && a.id.len() == 15);
        assert!(a.id[5..].chars().all(|c| c.is_ascii_hexdigit()));
        let c = Case::open(seed(&["INC-1"], &["A-1"]), "alice", T0).unwrap();
        assert_ne!(a.id, c.id);
        let d = Case::open_with_id("CASE-custom", seed(&["INC-1"], &[]), "alice", T0).unwrap();
        assert_eq!(d.id, "CASE-custom");
        assert_eq!(a.status, Status::New);
        assert_eq!(a.times.opened_ms, T0);
        assert_eq!(a.history.len(), 1);
        assert_eq!(a.history[0].action, "open");
        assert!(Case::open(seed(&[], &[]), "alice", T0).is_err());
        assert!(Case::open(seed(&["I"], &[]), "", T0).is_err());
        let mut bad = seed(&["I"], &[]);
        bad.risk = f64::NAN;
        assert!(matches!(Case::open(bad, "a", T0), Err(CaseError::Invalid { field: "risk", .. })));
    }

    #[test]
    fn illegal_transitions_name_from_and_to() {
        let mut c = case();
        let err = c.transition(Status::Closed, "alice", T0).unwrap_err();
        assert_eq!(err, CaseError::Transition { case: c.id.clone(), from: Status::New, to: Status::Closed });
        let text = err.to_string();
        assert!(text.contains("new") && text.contains("closed"), "{text}");
        c.transition(Status::Investigating, "alice", T0).unwrap();
        let err = c.transition(Status::Triaged, "alice", T0).unwrap_err();
        assert!(matches!(err, CaseError::Transition { from: Status::Investigating, to: Status::Triaged, .. }));
        assert_eq!(c.status, Status::Investigating);
        assert!(c.transition(Status::Investigating, "alice", T0).is_err());
    }

    #[test]
    fn resolve_needs_a_disposition() {
        let mut c = case();
        let n = c.history.len();
        assert_eq!(
            c.transition(Status::Resolved, "alice", T0 + MIN),
            Err(CaseError::NeedsDisposition { case: c.id.clone() })
        );
        assert_eq!(c.status, Status::New);
        assert_eq!(c.history.len(), n, "a failed operation records nothing");
        c.set_disposition(Disposition::TruePositive, "confirmed", "alice", T0 + 2 * MIN).unwrap();
        c.transition(Status::Resolved, "alice", T0 + 3 * MIN).unwrap();
        assert_eq!(c.times.resolved_ms, Some(T0 + 3 * MIN));
        c.close("alice", T0 + 4 * MIN).unwrap();
        assert_eq!(c.times.closed_ms, Some(T0 + 4 * MIN));
        // Reopen keeps the first resolution time.
        c.transition(Status::Investigating, "alice", T0 + 5 * MIN).unwrap();
        c.transition(Status::Resolved, "alice", T0 + 6 * MIN).unwrap();
        assert_eq!(c.times.resolved_ms, Some(T0 + 3 * MIN));
    }

    #[test]
    fn lifecycle_sets_times_once_and_triage_acknowledges() {
        let clock = ManualClock::new(T0);
        let mut c = case();
        clock.advance_mins(3);
        c.transition(Status::Triaged, "vigil:triage", clock.now_ms()).unwrap();
        assert_eq!(c.times.acknowledged_ms, None, "the machine does not acknowledge");
        assert!(c.acknowledge("vigil:triage", clock.now_ms()).is_err());
        clock.advance_mins(2);
        c.transition(Status::Investigating, "alice", clock.now_ms()).unwrap();
        assert_eq!(c.times.triaged_ms, Some(T0 + 3 * MIN));
        assert_eq!(c.times.investigating_ms, Some(T0 + 5 * MIN));
        assert_eq!(c.times.acknowledged_ms, Some(T0 + 5 * MIN));
        let n = c.history.len();
        assert!(!c.acknowledge("alice", clock.now_ms() + MIN).unwrap());
        assert_eq!(c.history.len(), n, "second ack recorded nowhere");
        assert_eq!(c.times.acknowledged_ms, Some(T0 + 5 * MIN));
        clock.advance_mins(5);
        c.transition(Status::Contained, "alice", clock.now_ms()).unwrap();
        c.transition(Status::Investigating, "alice", clock.now_ms() + MIN).unwrap();
        c.transition(Status::Contained, "alice", clock.now_ms() + 2 * MIN).unwrap();
        assert_eq!(c.times.contained_ms, Some(T0 + 10 * MIN));
        assert_eq!(c.times.investigating_ms, Some(T0 + 5 * MIN));
        assert!(c.history.iter().all(|h| !h.actor.is_empty()));
    }

    #[test]
    fn explicit_ack_then_history_and_clock_skew() {
        let mut c = case();
        assert!(c.acknowledge("alice", T0 + MIN).unwrap());
        assert_eq!(c.times.acknowledged_ms, Some(T0 + MIN));
        // An earlier clock is recorded at the latest history time.
        c.comment("looking", "bob", T0).unwrap();
        assert_eq!(c.comments[0].at_ms, T0 + MIN);
        assert!(c.history.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    }

    #[test]
    fn machine_cannot_overwrite_human_disposition_but_human_can_overwrite_machine() {
        let mut c = case();
        c.set_disposition(Disposition::FalsePositive, "looks benign", "vigil:triage", T0).unwrap();
        c.set_disposition(Disposition::TruePositive, "it is not", "alice", T0 + MIN).unwrap();
        let d = c.disposition.clone().unwrap();
        assert_eq!((d.disposition, d.by.as_str()), (Disposition::TruePositive, "alice"));

        let before = c.clone();
        assert_eq!(
            c.set_disposition(Disposition::FalsePositive, "", "vigil:triage", T0 + 2 * MIN),
            Err(CaseError::HumanDisposition { case: c.id.clone(), by: "alice".into() })
        );
        assert_eq!(c, before, "nothing changed");
        assert!(matches!(
            c.resolve(Disposition::FalsePositive, "", "vigil:triage", T0 + 2 * MIN),
            Err(CaseError::HumanDisposition { .. })
        ));
        assert_eq!(c, before, "resolve changed nothing either");

        c.resolve(Disposition::BenignTruePositive, "pentest", "bob", T0 + 3 * MIN).unwrap();
        assert_eq!(c.status, Status::Resolved);
        assert_eq!(c.disposition.as_ref().unwrap().by, "bob");
        // resolve from Resolved is not a legal move: disposition untouched.
        let before = c.clone();
        assert!(c.resolve(Disposition::FalsePositive, "", "carol", T0 + 4 * MIN).is_err());
        assert_eq!(c, before);
    }

    #[test]
    fn comments_and_tasks() {
        let mut c = case();
        assert!(c.comment("  ", "alice", T0).is_err());
        assert!(c.comment(&"x".repeat(MAX_COMMENT_CHARS + 1), "alice", T0).is_err());
        c.comment(&"é".repeat(MAX_COMMENT_CHARS), "alice", T0).unwrap();
        assert_eq!(c.comments.len(), 1);
        let a = c.add_task("isolate web01", Some("bob"), "alice", T0).unwrap();
        let b = c.add_task("reset bob's password", None, "alice", T0).unwrap();
        assert_eq!((a, b), (1, 2));
        assert!(c.complete_task(a, "bob", T0 + MIN).unwrap());
        assert!(!c.complete_task(a, "bob", T0 + 2 * MIN).unwrap());
        assert_eq!(c.tasks[0].done_ms, Some(T0 + MIN));
        assert_eq!(c.complete_task(9, "bob", T0), Err(CaseError::NoTask { case: c.id.clone(), id: 9 }));
        assert!(c.add_task("", None, "alice", T0).is_err());
    }

    #[test]
    fn assign_records_changes_only() {
        let mut c = case();
        c.assign(Some("alice"), Some("tier2"), "lead", T0).unwrap();
        let n = c.history.len();
        c.assign(Some("alice"), Some("tier2"), "lead", T0).unwrap();
        assert_eq!(c.history.len(), n);
        c.assign(None, Some("tier2"), "lead", T0).unwrap();
        assert_eq!(c.owner, None);
        assert!(c.assign(Some(""), None, "lead", T0).is_err());
    }

    #[test]
    fn merge_and_split_keep_every_incident_exactly_once() {
        let mut a = case();
        let mut b = Case::open(seed(&["INC-2", "INC-3"], &["A-2", "A-3"]), "vigil:triage", T0 - 30 * MIN).unwrap();
        b.severity = Severity::Critical;
        b.acknowledge("carol", T0 - 25 * MIN).unwrap();
        b.comment("saw this first", "carol", T0 - 20 * MIN).unwrap();
        b.add_task("pull memory", Some("carol"), "carol", T0 - 19 * MIN).unwrap();
        a.add_task("isolate", None, "alice", T0).unwrap();
        b.pause_sla("vendor", "carol", T0 - 18 * MIN).unwrap();

        a.merge(&mut b, "alice", T0 + MIN).unwrap();
        assert_eq!(a.incidents, ["INC-1", "INC-2", "INC-3"]);
        assert_eq!(a.alerts, ["A-1", "A-2", "A-3"]);
        assert!(b.incidents.is_empty() && b.alerts.is_empty() && b.tasks.is_empty());
        assert_eq!(b.status, Status::Closed);
        assert_eq!(b.merged_into.as_deref(), Some(a.id.as_str()));
        assert!(!b.sla.is_paused());
        assert_eq!(a.severity, Severity::Critical);
        assert_eq!(a.times.opened_ms, T0 - 30 * MIN);
        assert_eq!(a.times.acknowledged_ms, Some(T0 - 25 * MIN));
        assert_eq!(a.comments[0].text, format!("[from {}] saw this first", b.id));
        let ids: Vec<u32> = a.tasks.iter().map(|t| t.id).collect();
        assert_eq!(ids, [1, 2]);
        assert!(matches!(b.comment("hi", "x", T0), Err(CaseError::Merged { .. })));
        assert!(b.tick(&SlaPolicy::default(), T0 + 100_000 * MIN).is_empty());
        assert!(a.merge(&mut b, "alice", T0).is_err(), "already merged");
        let mut same = a.clone();
        assert!(a.merge(&mut same, "alice", T0).is_err());

        // Split INC-3 and its alert back out.
        let before = a.history.len();
        let s = a.split(&["INC-3", "A-3"], "Second intrusion", "alice", T0 + 2 * MIN).unwrap();
        assert_eq!(s.incidents, ["INC-3"]);
        assert_eq!(s.alerts, ["A-3"]);
        assert_eq!(a.incidents, ["INC-1", "INC-2"]);
        assert_eq!(a.alerts, ["A-1", "A-2"]);
        assert_eq!(s.id, Case::derive_id(&["INC-3".into()], &[]));
        assert_eq!(s.status, Status::New);
        assert_eq!(s.times.opened_ms, a.times.opened_ms);
        assert_eq!(a.history.len(), before + 1);
        assert_eq!(s.history[0].action, "split_from");

        let before = a.clone();
        assert_eq!(
            a.split(&["INC-9"], "x", "alice", T0 + 3 * MIN).unwrap_err(),
            CaseError::NotInCase { case: a.id.clone(), item: "INC-9".into() }
        );
        assert_eq!(
            a.split(&["INC-1", "INC-2", "A-1", "A-2"], "x", "alice", T0).unwrap_err(),
            CaseError::WouldEmpty { case: a.id.clone() }
        );
        assert_eq!(a, before);
    }

    #[test]
    fn cannot_merge_into_a_resolved_case() {
        let mut a = case();
        a.resolve(Disposition::FalsePositive, "", "alice", T0).unwrap();
        let mut b = Case::open(seed(&["INC-7"], &[]), "alice", T0).unwrap();
        assert!(matches!(a.merge(&mut b, "alice", T0), Err(CaseError::Merge { .. })));
        assert!(b.merged_into.is_none() && b.incidents == ["INC-7"]);
    }

    #[test]
    fn case_round_trips_through_json() {
        let mut c = case();
        c.comment("hello", "alice", T0).unwrap();
        c.pause_sla("wait", "alice", T0 + 1).unwrap();
        c.tick(&SlaPolicy::default(), T0 + 1_000_000 * MIN);
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"status\":\"new\""));
        assert_eq!(serde_json::from_str::<Case>(&json).unwrap(), c);
    }

    // ---- property tests ----

    #[derive(Debug, Clone)]
    enum Op {
        Advance(i64),
        Back(i64),
        Assign(Option<u8>),
        Ack(bool),
        Transition(u8, bool),
        Comment(usize),
        AddTask,
        CompleteTask(u32),
        Pause,
        Resume,
        Disposition(u8, bool),
        Resolve(u8, bool),
        Close,
        Severity(u8),
        Tick,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0i64..600 * MIN).prop_map(Op::Advance),
            (0i64..10 * MIN).prop_map(Op::Back),
            proptest::option::of(0u8..4).prop_map(Op::Assign),
            any::<bool>().prop_map(Op::Ack),
            (0u8..6, any::<bool>()).prop_map(|(s, m)| Op::Transition(s, m)),
            prop_oneof![Just(0usize), 1usize..50, Just(MAX_COMMENT_CHARS + 1)].prop_map(Op::Comment),
            Just(Op::AddTask),
            (0u32..5).prop_map(Op::CompleteTask),
            Just(Op::Pause),
            Just(Op::Resume),
            (0u8..3, any::<bool>()).prop_map(|(d, m)| Op::Disposition(d, m)),
            (0u8..3, any::<bool>()).prop_map(|(d, m)| Op::Resolve(d, m)),
            Just(Op::Close),
            (0u8..4).prop_map(Op::Severity),
            Just(Op::Tick),
            Just(Op::Tick),
        ]
    }

    fn time_fields(t: &Times) -> [Option<i64>; 6] {
        [t.acknowledged_ms, t.triaged_ms, t.investigating_ms, t.contained_ms, t.resolved_ms, t.closed_ms]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_operations_keep_the_invariants(ops in proptest::collection::vec(op(), 1..80)) {
            let policy = SlaPolicy::default();
            let clock = ManualClock::new(T0);
            let mut c = case();
            let mut reported: Vec<SlaKind> = Vec::new();
            let owners = ["alice", "soc-lead", "security-manager", "bob"];
            for op in ops {
                let before = c.clone();
                let now = clock.now_ms();
                let actor = |machine: bool| if machine { "vigil:triage" } else { "alice" };
                let result: Result<(), CaseError> = match op {
                    Op::Advance(ms) => { clock.advance_ms(ms); Ok(()) }
                    Op::Back(ms) => { clock.advance_ms(-ms); Ok(()) }
                    Op::Assign(o) => c.assign(o.map(|i| owners[i as usize]), None, "lead", now),
                    Op::Ack(m) => c.acknowledge(actor(m), now).map(|_| ()),
                    Op::Transition(s, m) => c.transition(Status::ALL[s as usize], actor(m), now),
                    Op::Comment(n) => c.comment(&"x".repeat(n), "bob", now),
                    Op::AddTask => c.add_task("t", None, "bob", now).map(|_| ()),
                    Op::CompleteTask(id) => c.complete_task(id, "bob", now).map(|_| ()),
                    Op::Pause => c.pause_sla("wait", "bob", now),
                    Op::Resume => c.resume_sla("bob", now),
                    Op::Disposition(d, m) => c.set_disposition(*Disposition::ALL.get(d as usize).unwrap(), "", actor(m), now),
                    Op::Resolve(d, m) => c.resolve(*Disposition::ALL.get(d as usize).unwrap(), "", actor(m), now),
                    Op::Close => c.close("alice", now),
                    Op::Severity(s) => c.set_severity(Severity::ALL[s as usize], "alice", now),
                    Op::Tick => {
                        for e in c.tick(&policy, now) {
                            if let SlaEvent::Breach { kind, due_ms, .. } = e {
                                prop_assert!(due_ms <= now);
                                reported.push(kind);
                            }
                        }
                        Ok(())
                    }
                };
                if result.is_err() {
                    prop_assert_eq!(&c, &before, "a failed operation changes nothing");
                }
                // History only grows, by appending, in time order.
                prop_assert!(c.history.len() >= before.history.len());
                prop_assert_eq!(&c.history[..before.history.len()], &before.history[..]);
                prop_assert!(c.history.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
                // Times, once set, never move; all come at or after opening.
                for (now_t, was) in time_fields(&c.times).into_iter().zip(time_fields(&before.times)) {
                    if was.is_some() { prop_assert_eq!(now_t, was); }
                    if let Some(t) = now_t { prop_assert!(t >= c.times.opened_ms); }
                }
                // A human moving the case acknowledges it.
                if c.history.iter().any(|h| h.action == "transition" && h.actor == "alice") {
                    prop_assert!(c.times.acknowledged_ms.is_some());
                }
                for t in &c.tasks {
                    prop_assert_eq!(t.done, t.done_ms.is_some());
                    if let Some(d) = t.done_ms { prop_assert!(d >= t.created_ms); }
                }
                // The machine never overwrites a human disposition.
                if let Some(d) = &before.disposition
                    && !is_machine(&d.by)
                {
                    let after = c.disposition.as_ref().unwrap();
                    prop_assert!(after == d || !is_machine(&after.by));
                }
                // Resolved/closed cases have a disposition and a resolution time.
                if matches!(c.status, Status::Resolved | Status::Closed) {
                    prop_assert!(c.disposition.is_some() && c.times.resolved_ms.is_some());
                }
                // Every breach is recorded once, and reported exactly when recorded.
                let kinds: Vec<SlaKind> = c.sla.breaches.iter().map(|b| b.kind).collect();
                prop_assert_eq!(&kinds, &reported);
                for k in SlaKind::ALL {
                    prop_assert!(kinds.iter().filter(|x| **x == k).count() <= 1);
                }
                // A milestone met before its due time never breached.
                for b in &c.sla.breaches {
                    if let Some(m) = c.met_ms(b.kind) { prop_assert!(m >= b.detected_ms); }
                }
                prop_assert!(c.sla.escalations.len() <= c.sla.breaches.len());
                prop_assert_eq!(c.sla.paused_since.is_some(), c.sla.pauses.last().is_some_and(|p| p.to_ms.is_none()));
            }
        }

        #[test]
        fn merge_then_split_conserves_incidents(
            left in proptest::collection::btree_set(0u8..12, 1..6),
            right in proptest::collection::btree_set(0u8..12, 1..6),
            take in proptest::collection::vec(0u8..12, 1..6),
        ) {
            let name = |i: &u8| format!("INC-{i}");
            let l: Vec<String> = left.iter().map(name).collect();
            let r: Vec<String> = right.iter().map(name).collect();
            let lref: Vec<&str> = l.iter().map(String::as_str).collect();
            let rref: Vec<&str> = r.iter().map(String::as_str).collect();
            let mut a = Case::open_with_id("CASE-a", seed(&lref, &[]), "alice", T0).unwrap();
            let mut b = Case::open_with_id("CASE-b", seed(&rref, &[]), "alice", T0 + 1).unwrap();
            a.merge(&mut b, "alice", T0 + 2).unwrap();
            let mut all: Vec<String> = left.union(&right).map(name).collect();
            let mut got = a.incidents.clone();
            got.sort();
            all.sort();
            prop_assert_eq!(&got, &all);
            prop_assert!(b.incidents.is_empty());

            let t: Vec<String> = take.iter().map(name).collect();
            let tref: Vec<&str> = t.iter().map(String::as_str).collect();
            let before = a.clone();
            match a.split(&tref, "split", "alice", T0 + 3) {
                Ok(s) => {
                    let mut both: Vec<String> = a.incidents.iter().chain(&s.incidents).cloned().collect();
                    both.sort();
                    prop_assert_eq!(&both, &all, "each incident exactly once");
                    prop_assert!(!a.incidents.is_empty() && !s.incidents.is_empty());
                }
                Err(CaseError::NotInCase { item, .. }) => {
                    prop_assert!(!all.contains(&item));
                    prop_assert_eq!(&a, &before);
                }
                Err(CaseError::WouldEmpty { .. }) => {
                    prop_assert!(all.iter().all(|i| t.contains(i)));
                    prop_assert_eq!(&a, &before);
                }
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }
    }
}

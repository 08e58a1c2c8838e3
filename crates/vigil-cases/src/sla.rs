//! SLA policies, clocks, breaches and escalation.
//!
//! Every SLA clock starts at the case's `opened_ms`; time the SLA spends paused before a
//! milestone is met is added to that milestone's due time. A milestone that is met never
//! breaches, each breach is recorded (and reported) once, and each breach escalates the case
//! one step along the severity's escalation chain.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Case, CaseError, SLA_ACTOR, Severity};

/// Milliseconds in a minute.
const MINUTE_MS: i64 = 60_000;

/// Largest target accepted from a policy file: ten years, in minutes.
pub const MAX_TARGET_MINS: u64 = 10 * 365 * 24 * 60;

/// The version an SLA policy file must declare.
pub const SLA_VERSION: &str = "vigil-sla/1";

/// Which SLA clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaKind {
    /// Met when the case is acknowledged (or resolved).
    Acknowledge,
    /// Met when the case is contained. A case resolved (or closed) without containment was
    /// never contained: its contain clock stops unmet, reads [`SlaStatus::NotContained`],
    /// and does not breach afterwards.
    Contain,
    /// Met when the case is resolved.
    Resolve,
}

impl SlaKind {
    pub const ALL: [SlaKind; 3] = [SlaKind::Acknowledge, SlaKind::Contain, SlaKind::Resolve];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaKind::Acknowledge => "acknowledge",
            SlaKind::Contain => "contain",
            SlaKind::Resolve => "resolve",
        }
    }
}

impl std::fmt::Display for SlaKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Minutes from case open to each milestone, for one severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTargets {
    pub acknowledge_mins: u64,
    pub contain_mins: u64,
    pub resolve_mins: u64,
}

impl SlaTargets {
    pub fn mins(&self, kind: SlaKind) -> u64 {
        match kind {
            SlaKind::Acknowledge => self.acknowledge_mins,
            SlaKind::Contain => self.contain_mins,
            SlaKind::Resolve => self.resolve_mins,
        }
    }

    pub fn ms(&self, kind: SlaKind) -> i64 {
        i64::try_from(self.mins(kind)).unwrap_or(i64::MAX).saturating_mul(MINUTE_MS)
    }
}

/// Targets and escalation chains per severity.
///
/// Loaded with [`SlaPolicy::from_yaml`]; the YAML shape is:
///
/// ```yaml
/// version: vigil-sla/1
/// targets:            # every severity; minutes from case open, paused time excluded
///   critical: { acknowledge_mins: 15, contain_mins: 240, resolve_mins: 1440 }
///   high:     { acknowledge_mins: 60, contain_mins: 480, resolve_mins: 4320 }
///   medium:   { acknowledge_mins: 240, contain_mins: 1440, resolve_mins: 10080 }
///   low:      { acknowledge_mins: 1440, contain_mins: 4320, resolve_mins: 43200 }
/// escalation:         # optional; ordered chain of next owners per severity
///   critical: [soc-lead, security-manager]
///   high: [soc-lead]
/// ```
///
/// Every target must be at least 1 minute and at most ten years, and
/// `acknowledge_mins <= contain_mins <= resolve_mins`. A severity with no escalation chain
/// records breaches without changing the owner. Unknown fields are errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub targets: BTreeMap<Severity, SlaTargets>,
    /// Ordered chain of next owners, per severity.
    #[serde(default)]
    pub escalation: BTreeMap<Severity, Vec<String>>,
}

fn default_targets(sev: Severity) -> SlaTargets {
    let (a, c, r) = match sev {
        Severity::Critical => (15, 240, 1440),
        Severity::High => (60, 480, 4320),
        Severity::Medium => (240, 1440, 10080),
        Severity::Low => (1440, 4320, 43200),
    };
    SlaTargets { acknowledge_mins: a, contain_mins: c, resolve_mins: r }
}

impl Default for SlaPolicy {
    /// Critical 15/240/1440, high 60/480/4320, medium 240/1440/10080, low 1440/4320/43200
    /// minutes (acknowledge/contain/resolve); critical escalates to `soc-lead` then
    /// `security-manager`, the others to `soc-lead`.
    fn default() -> Self {
        let targets = Severity::ALL.iter().map(|s| (*s, default_targets(*s))).collect();
        let escalation = Severity::ALL
            .iter()
            .map(|s| {
                let chain: &[&str] = match s {
                    Severity::Critical => &["soc-lead", "security-manager"],
                    _ => &["soc-lead"],
                };
                (*s, chain.iter().map(|n| n.to_string()).collect())
            })
            .collect();
        SlaPolicy { targets, escalation }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    version: String,
    targets: BTreeMap<String, SlaTargets>,
    #[serde(default)]
    escalation: BTreeMap<String, Vec<String>>,
}

impl SlaPolicy {
    /// The targets for `sev`; the built-in default for a severity the policy lacks (only
    /// possible for a policy built by hand: [`SlaPolicy::from_yaml`] requires all four).
    pub fn targets_for(&self, sev: Severity) -> SlaTargets {
        self.targets.get(&sev).copied().unwrap_or_else(|| default_targets(sev))
    }

    /// The escalation chain for `sev` (empty when none).
    pub fn chain(&self, sev: Severity) -> &[String] {
        self.escalation.get(&sev).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Parse and validate a policy file (shape on [`SlaPolicy`]).
    pub fn from_yaml(text: &str) -> Result<SlaPolicy, CaseError> {
        let raw: RawPolicy = yaml_serde::from_str(text).map_err(|e| yaml_error(&e))?;
        let err = |field: String, line: Option<usize>, message: String| CaseError::Policy { field, line, message };
        if raw.version != SLA_VERSION {
            return Err(err(
                "version".into(),
                line_of(text, None, "version"),
                format!("expected {SLA_VERSION:?}, found {:?}", raw.version),
            ));
        }
        let mut targets = BTreeMap::new();
        for (key, t) in raw.targets {
            let sev: Severity = key.parse().map_err(|_| {
                err(
                    format!("targets.{key}"),
                    line_of(text, Some("targets"), &key),
                    "not a severity (critical, high, medium, low)".into(),
                )
            })?;
            targets.insert(sev, t);
        }
        let mut escalation = BTreeMap::new();
        for (key, chain) in raw.escalation {
            let sev: Severity = key.parse().map_err(|_| {
                err(
                    format!("escalation.{key}"),
                    line_of(text, Some("escalation"), &key),
                    "not a severity (critical, high, medium, low)".into(),
                )
            })?;
            escalation.insert(sev, chain);
        }
        let policy = SlaPolicy { targets, escalation };
        policy.validate().map_err(|e| match e {
            CaseError::Policy { field, line: None, message } => {
                let mut parts = field.splitn(2, '.');
                let section = parts.next().unwrap_or_default();
                let line = parts
                    .next()
                    .map(|rest| rest.split('.').next().unwrap_or(rest))
                    .and_then(|key| line_of(text, Some(section), key))
                    .or_else(|| line_of(text, None, section));
                CaseError::Policy { field, line, message }
            }
            other => other,
        })?;
        Ok(policy)
    }

    /// Check a policy: every severity has targets, each in 1 minute ..= ten years, with
    /// acknowledge <= contain <= resolve; chains name non-empty, distinct owners.
    pub fn validate(&self) -> Result<(), CaseError> {
        let err = |field: String, message: String| CaseError::Policy { field, line: None, message };
        for sev in Severity::ALL {
            let Some(t) = self.targets.get(sev) else {
                return Err(err(format!("targets.{sev}"), "missing; every severity needs targets".into()));
            };
            for kind in SlaKind::ALL {
                let v = t.mins(kind);
                let field = format!("targets.{sev}.{kind}_mins");
                if v == 0 {
                    return Err(err(field, "must be at least 1 minute".into()));
                }
                if v > MAX_TARGET_MINS {
                    return Err(err(field, format!("{v} exceeds ten years ({MAX_TARGET_MINS} minutes)")));
                }
            }
            if t.acknowledge_mins > t.contain_mins {
                return Err(err(
                    format!("targets.{sev}.acknowledge_mins"),
                    format!("{} exceeds contain_mins {} for {sev}", t.acknowledge_mins, t.contain_mins),
                ));
            }
            if t.contain_mins > t.resolve_mins {
                return Err(err(
                    format!("targets.{sev}.contain_mins"),
                    format!("{} exceeds resolve_mins {} for {sev}", t.contain_mins, t.resolve_mins),
                ));
            }
        }
        for (sev, chain) in &self.escalation {
            for (i, name) in chain.iter().enumerate() {
                let field = format!("escalation.{sev}[{i}]");
                if name.trim().is_empty() {
                    return Err(err(field, "owner name is empty".into()));
                }
                if chain[..i].contains(name) {
                    return Err(err(field, format!("{name:?} appears twice in the {sev} chain")));
                }
            }
        }
        Ok(())
    }
}

/// Turn a yaml_serde error ("targets.high: missing field `x` at line 3 column 5") into a
/// policy error with the field path and line split out.
fn yaml_error(e: &yaml_serde::Error) -> CaseError {
    let line = e.location().map(|l| l.line());
    let mut text = e.to_string();
    if let Some(i) = text.rfind(" at line ") {
        text.truncate(i);
    }
    let (mut path, message) = match text.split_once(": ") {
        Some((path, rest)) if !path.is_empty() && !path.contains(' ') => (path.to_string(), rest.to_string()),
        _ => (String::new(), text),
    };
    // "missing field `x`" / "unknown field `x`": the field itself is the one to name.
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next());
    if let Some(name) = named {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(name);
    }
    if path.is_empty() {
        path.push_str("(document)");
    }
    CaseError::Policy { field: path, line, message }
}

/// 1-based line of `key:` (optionally inside the top-level `section:`), by a plain scan.
fn line_of(text: &str, section: Option<&str>, key: &str) -> Option<usize> {
    let mut in_section = section.is_none();
    for (i, line) in text.lines().enumerate() {
        let top_level = !line.starts_with([' ', '\t']) && !line.trim().is_empty();
        if let Some(sec) = section {
            if top_level {
                in_section = line.trim_end().starts_with(&format!("{sec}:"));
                continue;
            }
        } else if !top_level {
            continue;
        }
        if in_section && line.trim_start().starts_with(&format!("{key}:")) {
            return Some(i + 1);
        }
    }
    None
}

/// One pause of the SLA clocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    pub from_ms: i64,
    pub to_ms: Option<i64>,
    pub by: String,
    pub reason: String,
}

/// A milestone missed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    pub kind: SlaKind,
    pub due_ms: i64,
    pub detected_ms: i64,
}

/// An owner change made because of a breach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    pub kind: SlaKind,
    pub from: Option<String>,
    pub to: String,
    pub at_ms: i64,
}

/// A case's SLA bookkeeping.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SlaState {
    pub paused_since: Option<i64>,
    /// Total of finished pauses.
    pub paused_total_ms: i64,
    pub pauses: Vec<Pause>,
    pub breaches: Vec<Breach>,
    pub escalations: Vec<Escalation>,
}

impl SlaState {
    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }

    pub fn breached(&self, kind: SlaKind) -> bool {
        self.breaches.iter().any(|b| b.kind == kind)
    }

    /// Paused time that falls before `end_ms`, counting an ongoing pause up to `now_ms`.
    pub fn paused_ms_before(&self, end_ms: i64, now_ms: i64) -> i64 {
        self.pauses
            .iter()
            .map(|p| {
                let to = p.to_ms.unwrap_or(now_ms).min(end_ms);
                to.saturating_sub(p.from_ms).max(0)
            })
            .fold(0i64, i64::saturating_add)
    }
}

/// What [`Case::tick`] did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SlaEvent {
    Breach { case: String, kind: SlaKind, due_ms: i64 },
    Escalated { case: String, kind: SlaKind, from: Option<String>, to: String },
}

/// Where one SLA clock stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    /// Not met yet, and not breached.
    #[default]
    Running,
    /// Met on time.
    Met,
    /// Met after it was due.
    MetLate,
    /// Due and not met.
    Breached,
    /// Contain only: the case was resolved or closed without ever being contained.
    NotContained,
}

impl SlaStatus {
    /// The status in words: `running`, `met`, `met late`, `breached`, `not contained`.
    pub fn as_str(self) -> &'static str {
        match self {
            SlaStatus::Running => "running",
            SlaStatus::Met => "met",
            SlaStatus::MetLate => "met late",
            SlaStatus::Breached => "breached",
            SlaStatus::NotContained => "not contained",
        }
    }
}

impl std::fmt::Display for SlaStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One SLA clock, for display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaClock {
    pub kind: SlaKind,
    pub due_ms: i64,
    /// `due_ms - now_ms` while running (negative when overdue); `due_ms - met_ms` once met;
    /// `due_ms - end` once the case ended without meeting it (not contained).
    pub remaining_ms: i64,
    pub met_ms: Option<i64>,
    pub breached: bool,
    pub paused: bool,
    /// Where the clock stands, in one word; `not_contained` for a contain clock of a case
    /// resolved or closed without containment.
    #[serde(default)]
    pub status: SlaStatus,
}

impl SlaClock {
    /// Whether the clock still runs or ran out unmet (not met, not stopped).
    pub fn is_open(&self) -> bool {
        matches!(self.status, SlaStatus::Running | SlaStatus::Breached)
    }
}

impl Case {
    /// When the milestone for `kind` was met, if it was. Acknowledge is met by
    /// acknowledgement or resolution, Contain by containment only, Resolve by resolution.
    pub fn met_ms(&self, kind: SlaKind) -> Option<i64> {
        let t = &self.times;
        let earliest = |a: Option<i64>, b: Option<i64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match kind {
            SlaKind::Acknowledge => earliest(t.acknowledged_ms, t.resolved_ms),
            SlaKind::Contain => t.contained_ms,
            SlaKind::Resolve => t.resolved_ms,
        }
    }

    /// When the case's work ended: resolution, or closing when it was closed unresolved.
    fn ended_ms(&self) -> Option<i64> {
        self.times.resolved_ms.or(self.times.closed_ms)
    }

    /// Whether the case ended (resolved or closed) without ever being contained: its contain
    /// clock stopped unmet and reads "not contained".
    pub fn not_contained(&self) -> bool {
        self.times.contained_ms.is_none() && self.ended_ms().is_some()
    }

    /// When the clock for `kind` stopped: met, or (contain) the case ended uncontained.
    fn stopped_ms(&self, kind: SlaKind) -> Option<i64> {
        match kind {
            SlaKind::Contain if self.not_contained() => self.ended_ms(),
            _ => self.met_ms(kind),
        }
    }

    /// When `kind` is (or was) due: `opened_ms` + the severity's target + the time the SLA
    /// was paused before the milestone was met (an ongoing pause counts up to `now_ms`).
    pub fn due_ms(&self, kind: SlaKind, policy: &SlaPolicy, now_ms: i64) -> i64 {
        let end = self.stopped_ms(kind).unwrap_or(now_ms);
        self.times
            .opened_ms
            .saturating_add(policy.targets_for(self.severity).ms(kind))
            .saturating_add(self.sla.paused_ms_before(end, now_ms))
    }

    /// Record every breach that is due by `now_ms` and escalate for each. Nothing happens
    /// while the SLA is paused or once the case was merged away; a met milestone never
    /// breaches, a contain clock stops (unmet, without breaching) once the case ended
    /// uncontained, and each kind breaches at most once. Recorded as `vigil:sla`.
    pub fn tick(&mut self, policy: &SlaPolicy, now_ms: i64) -> Vec<SlaEvent> {
        let mut events = Vec::new();
        if self.sla.is_paused() || self.merged_into.is_some() {
            return events;
        }
        for kind in SlaKind::ALL {
            if self.stopped_ms(kind).is_some() || self.sla.breached(kind) {
                continue;
            }
            let due_ms = self.due_ms(kind, policy, now_ms);
            if due_ms > now_ms {
                continue;
            }
            let at = self.stamp(now_ms);
            self.sla.breaches.push(Breach { kind, due_ms, detected_ms: at });
            self.record(SLA_ACTOR, at, "sla_breach", format!("{kind} was due at {due_ms}"));
            events.push(SlaEvent::Breach { case: self.id.clone(), kind, due_ms });

            let chain = policy.chain(self.severity);
            let next = match self.owner.as_ref().and_then(|o| chain.iter().position(|c| c == o)) {
                Some(i) => chain.get(i + 1),
                None => chain.first(),
            };
            if let Some(to) = next.cloned() {
                let from = self.owner.replace(to.clone());
                self.sla.escalations.push(Escalation { kind, from: from.clone(), to: to.clone(), at_ms: at });
                self.record(
                    SLA_ACTOR,
                    at,
                    "sla_escalate",
                    format!("{kind} breach: owner {} -> {to}", from.as_deref().unwrap_or("(none)")),
                );
                events.push(SlaEvent::Escalated { case: self.id.clone(), kind, from, to });
            }
        }
        events
    }

    /// Every SLA clock as of `now_ms`, for display.
    /// The clock that still runs (or ran out) first in milestone order: what a queue shows as
    /// the case's SLA. `None` once every clock is met — or stopped, as the contain clock of a
    /// case that ended without containment ([`SlaStatus::NotContained`]).
    pub fn next_clock(&self, policy: &SlaPolicy, now_ms: i64) -> Option<SlaClock> {
        self.sla_view(policy, now_ms).into_iter().find(SlaClock::is_open)
    }

    pub fn sla_view(&self, policy: &SlaPolicy, now_ms: i64) -> Vec<SlaClock> {
        SlaKind::ALL
            .iter()
            .map(|&kind| {
                let due_ms = self.due_ms(kind, policy, now_ms);
                let met_ms = self.met_ms(kind);
                let breached = self.sla.breached(kind);
                let status = match met_ms {
                    _ if kind == SlaKind::Contain && self.not_contained() => SlaStatus::NotContained,
                    Some(m) if breached || m > due_ms => SlaStatus::MetLate,
                    Some(_) => SlaStatus::Met,
                    None if breached || due_ms <= now_ms => SlaStatus::Breached,
                    None => SlaStatus::Running,
                };
                SlaClock {
                    kind,
                    due_ms,
                    remaining_ms: due_ms.saturating_sub(self.stopped_ms(kind).unwrap_or(now_ms)),
                    met_ms,
                    breached,
                    paused: self.sla.is_paused(),
                    status,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CaseSeed, Clock, Disposition, ManualClock, Status};

    const T0: i64 = 1_700_000_000_000;
    const MIN: i64 = 60_000;

    fn seed(sev: Severity) -> CaseSeed {
        CaseSeed {
            title: "Suspicious logon".into(),
            severity: sev,
            incidents: vec!["INC-1".into()],
            alerts: vec!["A-1".into()],
            risk: 0.9,
            verdict: "malicious".into(),
            first_event_ms: Some(T0 - 5 * MIN),
            first_alert_ms: T0 - MIN,
            entities: vec!["host:web01".into()],
            summary: "s".into(),
        }
    }

    fn critical() -> (ManualClock, Case, SlaPolicy) {
        let clock = ManualClock::new(T0);
        let case = Case::open(seed(Severity::Critical), "vigil:triage", clock.now_ms()).unwrap();
        (clock, case, SlaPolicy::default())
    }

    fn breaches(events: &[SlaEvent]) -> usize {
        events.iter().filter(|e| matches!(e, SlaEvent::Breach { .. })).count()
    }

    #[test]
    fn ack_breach_at_exactly_the_due_minute_and_once() {
        let (clock, mut case, policy) = critical();
        clock.advance_mins(15);
        clock.advance_ms(-1);
        assert!(case.tick(&policy, clock.now_ms()).is_empty(), "1 ms early");
        assert!(case.sla.breaches.is_empty());

        clock.advance_ms(1);
        let due = T0 + 15 * MIN;
        assert_eq!(case.due_ms(SlaKind::Acknowledge, &policy, clock.now_ms()), due);
        let events = case.tick(&policy, clock.now_ms());
        assert_eq!(
            events,
            vec![
                SlaEvent::Breach { case: case.id.clone(), kind: SlaKind::Acknowledge, due_ms: due },
                SlaEvent::Escalated {
                    case: case.id.clone(),
                    kind: SlaKind::Acknowledge,
                    from: None,
                    to: "soc-lead".into()
                },
            ]
        );
        assert_eq!(case.owner.as_deref(), Some("soc-lead"));
        assert_eq!(case.sla.breaches.len(), 1);
        assert_eq!(case.sla.breaches[0].detected_ms, due);
        assert_eq!(case.sla.escalations.len(), 1);
        assert!(case.history.iter().any(|h| h.action == "sla_breach" && h.actor == SLA_ACTOR));

        clock.advance_mins(1);
        assert!(case.tick(&policy, clock.now_ms()).is_empty(), "no second report");
        assert_eq!(case.sla.breaches.len(), 1);
    }

    #[test]
    fn resolved_without_containment_reads_not_contained() {
        // Fixture (critical: acknowledge 15, contain 240, resolve 1440 minutes from T0):
        //   case A: acknowledged T0+5m, resolved T0+60m, never contained.
        //     acknowledge: met T0+5m, due T0+15m → met, remaining 10m.
        //     contain: not met; stopped at T0+60m (resolution), due T0+240m → not contained,
        //       remaining 180m; no breach at T0+300m (the clock stopped).
        //     resolve: met T0+60m, due T0+1440m → met.
        //   case B: acknowledged T0+5m, contained T0+100m, resolved T0+120m.
        //     contain: met T0+100m, due T0+240m → met, remaining 140m.
        let policy = SlaPolicy::default();
        let mut a = Case::open(seed(Severity::Critical), "vigil:triage", T0).unwrap();
        a.acknowledge("alice", T0 + 5 * MIN).unwrap();
        a.resolve(Disposition::TruePositive, "confirmed", "alice", T0 + 60 * MIN).unwrap();
        assert!(a.not_contained());
        assert_eq!(a.met_ms(SlaKind::Contain), None, "resolution does not meet the contain SLA");
        assert!(a.tick(&policy, T0 + 300 * MIN).is_empty(), "a stopped contain clock never breaches");
        let view = a.sla_view(&policy, T0 + 300 * MIN);
        let statuses: Vec<(SlaKind, SlaStatus, i64)> =
            view.iter().map(|k| (k.kind, k.status, k.remaining_ms)).collect();
        assert_eq!(
            statuses,
            vec![
                (SlaKind::Acknowledge, SlaStatus::Met, 10 * MIN),
                (SlaKind::Contain, SlaStatus::NotContained, 180 * MIN),
                (SlaKind::Resolve, SlaStatus::Met, 1380 * MIN),
            ]
        );
        assert_eq!(view[1].status.as_str(), "not contained");

        let mut b = Case::open(seed(Severity::Critical), "vigil:triage", T0).unwrap();
        b.acknowledge("alice", T0 + 5 * MIN).unwrap();
        b.transition(Status::Contained, "alice", T0 + 100 * MIN).unwrap();
        b.resolve(Disposition::TruePositive, "confirmed", "alice", T0 + 120 * MIN).unwrap();
        assert!(!b.not_contained());
        let contain = &b.sla_view(&policy, T0 + 300 * MIN)[1];
        assert_eq!(
            (contain.status, contain.met_ms, contain.remaining_ms),
            (SlaStatus::Met, Some(T0 + 100 * MIN), 140 * MIN)
        );
    }

    #[test]
    fn open_case_past_contain_due_is_breached_and_late_containment_is_met_late() {
        // Critical case opened at T0; contain due T0+240m. At T0+250m, uncontained: breached.
        // Contained at T0+260m: met late (20m after due).
        let policy = SlaPolicy::default();
        let mut c = Case::open(seed(Severity::Critical), "vigil:triage", T0).unwrap();
        c.acknowledge("alice", T0 + 5 * MIN).unwrap();
        assert_eq!(c.sla_view(&policy, T0 + 250 * MIN)[1].status, SlaStatus::Breached);
        c.transition(Status::Contained, "alice", T0 + 260 * MIN).unwrap();
        let contain = &c.sla_view(&policy, T0 + 270 * MIN)[1];
        assert_eq!((contain.status, contain.remaining_ms), (SlaStatus::MetLate, -20 * MIN));
    }

    #[test]
    fn escalation_walks_the_chain_on_the_next_breach() {
        let (clock, mut case, policy) = critical();
        clock.advance_mins(15);
        case.tick(&policy, clock.now_ms());
        assert_eq!(case.owner.as_deref(), Some("soc-lead"));

        clock.set(T0 + 240 * MIN - 1);
        assert!(case.tick(&policy, clock.now_ms()).is_empty());
        clock.advance_ms(1);
        let events = case.tick(&policy, clock.now_ms());
        assert_eq!(breaches(&events), 1);
        assert!(events.contains(&SlaEvent::Escalated {
            case: case.id.clone(),
            kind: SlaKind::Contain,
            from: Some("soc-lead".into()),
            to: "security-manager".into(),
        }));
        assert_eq!(case.owner.as_deref(), Some("security-manager"));

        // End of the chain: the resolve breach is recorded, the owner stays.
        clock.set(T0 + 1440 * MIN);
        let events = case.tick(&policy, clock.now_ms());
        assert_eq!(breaches(&events), 1);
        assert_eq!(events.len(), 1);
        assert_eq!(case.owner.as_deref(), Some("security-manager"));
        let kinds: Vec<_> = case.sla.breaches.iter().map(|b| b.kind).collect();
        assert_eq!(kinds, SlaKind::ALL.to_vec());
    }

    #[test]
    fn owner_outside_chain_escalates_to_first_and_all_due_at_once_walk_in_order() {
        let (clock, mut case, policy) = critical();
        case.assign(Some("bob"), Some("tier1"), "alice", T0).unwrap();
        clock.set(T0 + 2000 * MIN);
        let events = case.tick(&policy, clock.now_ms());
        assert_eq!(breaches(&events), 3);
        let tos: Vec<_> = case.sla.escalations.iter().map(|e| e.to.as_str()).collect();
        assert_eq!(tos, ["soc-lead", "security-manager"]);
        assert_eq!(case.sla.escalations[0].from.as_deref(), Some("bob"));
        assert_eq!(case.team.as_deref(), Some("tier1"));
    }

    #[test]
    fn pause_moves_every_due_time_and_blocks_breaches() {
        let (clock, mut case, policy) = critical();
        let before: Vec<i64> = SlaKind::ALL.iter().map(|k| case.due_ms(*k, &policy, T0)).collect();
        clock.advance_mins(10);
        case.pause_sla("waiting on customer", "alice", clock.now_ms()).unwrap();
        assert!(matches!(case.pause_sla("again", "alice", clock.now_ms()), Err(CaseError::AlreadyPaused { .. })));
        clock.advance_mins(20); // 30 min since open: past the 15 min ack target, but paused
        assert!(case.tick(&policy, clock.now_ms()).is_empty());
        assert!(case.sla_view(&policy, clock.now_ms()).iter().all(|c| c.paused));
        clock.advance_mins(10);
        assert!(case.tick(&policy, clock.now_ms()).is_empty());
        case.resume_sla("alice", clock.now_ms()).unwrap();
        assert_eq!(case.sla.paused_total_ms, 30 * MIN);
        assert!(matches!(case.resume_sla("alice", clock.now_ms()), Err(CaseError::NotPaused { .. })));
        for (k, b) in SlaKind::ALL.iter().zip(before) {
            assert_eq!(case.due_ms(*k, &policy, clock.now_ms()), b + 30 * MIN, "{k}");
        }
        // Ack now due at T0 + 45 min; it is T0 + 40 min.
        clock.set(T0 + 45 * MIN - 1);
        assert!(case.tick(&policy, clock.now_ms()).is_empty());
        clock.advance_ms(1);
        let events = case.tick(&policy, clock.now_ms());
        assert_eq!(
            events[0],
            SlaEvent::Breach { case: case.id.clone(), kind: SlaKind::Acknowledge, due_ms: T0 + 45 * MIN }
        );
    }

    #[test]
    fn overdue_but_unticked_case_does_not_breach_while_paused() {
        let (clock, mut case, policy) = critical();
        clock.advance_mins(20); // ack was due at 15 min; nobody ticked
        case.pause_sla("customer call", "alice", clock.now_ms()).unwrap();
        clock.advance_mins(5);
        assert!(case.tick(&policy, clock.now_ms()).is_empty());
        case.resume_sla("alice", clock.now_ms()).unwrap();
        let events = case.tick(&policy, clock.now_ms());
        assert_eq!(
            events[0],
            SlaEvent::Breach { case: case.id.clone(), kind: SlaKind::Acknowledge, due_ms: T0 + 20 * MIN }
        );
    }

    #[test]
    fn pause_after_milestone_does_not_move_its_due_time() {
        let (clock, mut case, policy) = critical();
        clock.advance_mins(5);
        case.acknowledge("alice", clock.now_ms()).unwrap();
        case.pause_sla("legal hold", "alice", clock.now_ms()).unwrap();
        clock.advance_mins(60);
        assert_eq!(case.due_ms(SlaKind::Acknowledge, &policy, clock.now_ms()), T0 + 15 * MIN);
        assert_eq!(case.due_ms(SlaKind::Contain, &policy, clock.now_ms()), T0 + 300 * MIN);
        let view = case.sla_view(&policy, clock.now_ms());
        assert_eq!(view[0].met_ms, Some(T0 + 5 * MIN));
        assert_eq!(view[0].remaining_ms, 10 * MIN);
        assert_eq!(view[1].remaining_ms, 235 * MIN, "due T0+300 min, now T0+65 min");
    }

    #[test]
    fn acknowledging_in_time_prevents_the_ack_breach_forever() {
        let (clock, mut case, policy) = critical();
        clock.advance_mins(14);
        assert!(case.acknowledge("alice", clock.now_ms()).unwrap());
        clock.advance_mins(200);
        assert!(case.tick(&policy, clock.now_ms()).is_empty());
        clock.set(T0 + 100_000 * MIN);
        case.tick(&policy, clock.now_ms());
        assert!(!case.sla.breached(SlaKind::Acknowledge));
        assert!(case.sla.breached(SlaKind::Contain) && case.sla.breached(SlaKind::Resolve));
        let view = case.sla_view(&policy, clock.now_ms());
        assert!(!view[0].breached && view[1].breached && view[2].breached);
        assert!(view[1].remaining_ms < 0);
    }

    #[test]
    fn resolved_case_never_breaches() {
        let (clock, mut case, policy) = critical();
        clock.advance_mins(1);
        case.resolve(Disposition::FalsePositive, "noise", "vigil:triage", clock.now_ms()).unwrap();
        clock.advance_mins(100_000);
        assert!(case.tick(&policy, clock.now_ms()).is_empty());
        case.close("vigil:triage", clock.now_ms()).unwrap();
        assert_eq!(case.status, Status::Closed);
        assert!(case.tick(&policy, clock.now_ms() + MIN).is_empty());
    }

    #[test]
    fn late_ack_after_breach_keeps_the_breach() {
        let (clock, mut case, policy) = critical();
        clock.advance_mins(20);
        assert_eq!(breaches(&case.tick(&policy, clock.now_ms())), 1);
        case.acknowledge("alice", clock.now_ms()).unwrap();
        assert!(case.sla.breached(SlaKind::Acknowledge));
        assert!(case.sla_view(&policy, clock.now_ms())[0].breached);
    }

    #[test]
    fn policy_default_values() {
        let p = SlaPolicy::default();
        p.validate().unwrap();
        assert_eq!(
            p.targets_for(Severity::High),
            SlaTargets { acknowledge_mins: 60, contain_mins: 480, resolve_mins: 4320 }
        );
        assert_eq!(p.targets_for(Severity::Low).resolve_mins, 43200);
        assert_eq!(p.chain(Severity::Critical), ["soc-lead", "security-manager"]);
        assert_eq!(p.chain(Severity::Medium), ["soc-lead"]);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<SlaPolicy>(&json).unwrap(), p);
    }

    const GOOD: &str = "\
version: vigil-sla/1
targets:
  critical: { acknowledge_mins: 10, contain_mins: 60, resolve_mins: 600 }
  high:     { acknowledge_mins: 60, contain_mins: 480, resolve_mins: 4320 }
  medium:
    acknowledge_mins: 240
    contain_mins: 1440
    resolve_mins: 10080
  low:      { acknowledge_mins: 1440, contain_mins: 4320, resolve_mins: 43200 }
escalation:
  critical: [duty-manager, ciso]
  high: [soc-lead]
";

    #[test]
    fn yaml_good_policy_loads_and_drives_ticks() {
        let p = SlaPolicy::from_yaml(GOOD).unwrap();
        assert_eq!(p.targets_for(Severity::Critical).acknowledge_mins, 10);
        assert_eq!(p.targets_for(Severity::Medium).contain_mins, 1440);
        assert_eq!(p.chain(Severity::Critical), ["duty-manager", "ciso"]);
        assert!(p.chain(Severity::Low).is_empty());

        let (_, mut case, _) = critical();
        let events = case.tick(&p, T0 + 10 * MIN);
        assert_eq!(events.len(), 2);
        assert_eq!(case.owner.as_deref(), Some("duty-manager"));

        // No chain for low: breach recorded, owner unchanged.
        let mut low = Case::open(seed(Severity::Low), "alice", T0).unwrap();
        let events = low.tick(&p, T0 + 1440 * MIN);
        assert_eq!(events.len(), 1);
        assert!(low.owner.is_none());
    }

    fn policy_err(text: &str) -> (String, Option<usize>, String) {
        match SlaPolicy::from_yaml(text) {
            Err(CaseError::Policy { field, line, message }) => (field, line, message),
            other => panic!("expected a policy error, got {other:?}"),
        }
    }

    #[test]
    fn yaml_bad_policies_name_the_field() {
        let (f, line, m) = policy_err(&GOOD.replace("vigil-sla/1", "vigil-sla/2"));
        assert_eq!((f.as_str(), line), ("version", Some(1)));
        assert!(m.contains("vigil-sla/1"), "{m}");

        let (f, line, m) = policy_err(&GOOD.replace("    resolve_mins: 10080\n", ""));
        assert_eq!(f, "targets.medium.resolve_mins");
        assert!(m.contains("missing"), "{m}");
        assert!(line.is_some());

        let (f, line, m) = policy_err(&GOOD.replace("contain_mins: 1440", "contain_minutes: 1440"));
        assert_eq!((f.as_str(), line), ("targets.medium.contain_minutes", Some(7)));
        assert!(m.contains("contain_minutes"), "{m}");

        let (f, _, m) = policy_err(&GOOD.replace("acknowledge_mins: 60,", "acknowledge_mins: -5,"));
        assert_eq!(f, "targets.high.acknowledge_mins");
        assert!(m.contains("-5"), "{m}");

        let (f, line, m) = policy_err(&GOOD.replace("acknowledge_mins: 10,", "acknowledge_mins: 0,"));
        assert_eq!((f.as_str(), line), ("targets.critical.acknowledge_mins", Some(3)));
        assert!(m.contains("at least 1"), "{m}");

        let (f, line, m) = policy_err(&GOOD.replace("contain_mins: 480", "contain_mins: 5000"));
        assert_eq!((f.as_str(), line), ("targets.high.contain_mins", Some(4)));
        assert!(m.contains("5000") && m.contains("4320") && m.contains("high"), "{m}");

        let (f, _, m) = policy_err(&GOOD.replace("acknowledge_mins: 1440,", "acknowledge_mins: 5000,"));
        assert_eq!(f, "targets.low.acknowledge_mins");
        assert!(m.contains("low") && m.contains("contain_mins"), "{m}");

        let (f, line, _) = policy_err(&GOOD.replace("  low: ", "  lo: "));
        assert_eq!((f.as_str(), line), ("targets.lo", Some(9)));

        let no_low: String = GOOD.lines().filter(|l| !l.starts_with("  low:")).map(|l| format!("{l}\n")).collect();
        let (f, _, m) = policy_err(&no_low);
        assert_eq!(f, "targets.low");
        assert!(m.contains("missing"), "{m}");

        let (f, _, m) = policy_err(&GOOD.replace("[duty-manager, ciso]", "[ciso, ciso]"));
        assert_eq!(f, "escalation.critical[1]");
        assert!(m.contains("twice"), "{m}");

        let (f, line, _) = policy_err(&format!("{GOOD}surprise: 1\n"));
        assert_eq!((f.as_str(), line), ("surprise", Some(13)));

        let (_, line, _) = policy_err("version: [\n");
        assert_eq!(line, Some(1));

        let err = SlaPolicy::from_yaml(&GOOD.replace("contain_mins: 480", "contain_mins: 5000")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("targets.high.contain_mins") && text.contains("line 4"), "{text}");
    }
}

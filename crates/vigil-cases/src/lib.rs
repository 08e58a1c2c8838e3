//! Cases an analyst works: lifecycle, owner and team, severity, tasks, comments, linked
//! incidents and alerts, dispositions, SLA policies with breach and escalation, and the
//! timestamps MTTD/MTTA/MTTR need. Every change is recorded in the case's own history with
//! actor and time. The machine never overwrites a human disposition.
//!
//! Must not: read alerts or events, score risk, or store anything — persistence is the
//! caller's, via serde.
//!
//! Times are `i64` milliseconds since the Unix epoch everywhere. Operations take the time
//! as an argument (use a [`Clock`] to get it), so tests move a [`ManualClock`] instead of
//! sleeping. An actor whose name starts with `vigil:` (e.g. `vigil:triage`, `vigil:sla`) is
//! the machine; any other actor is a human.
//!
//! A case's history is time-ordered: an operation stamped earlier than the case's latest
//! history entry (clock skew between callers) is recorded at that latest entry's time.

mod case;
mod sla;

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};

pub use case::{Case, CaseEvent, CaseSeed, Comment, DispositionRecord, Task, Times};
pub use sla::{Breach, Escalation, Pause, SlaClock, SlaEvent, SlaKind, SlaPolicy, SlaState, SlaStatus, SlaTargets};

/// Who did something: a person (`alice`) or the machine (`vigil:triage`, `vigil:sla`).
pub type Actor = String;

/// Prefix that marks an actor as the machine.
pub const MACHINE_PREFIX: &str = "vigil:";

/// The actor the SLA ticker records breaches and escalations as.
pub const SLA_ACTOR: &str = "vigil:sla";

/// Longest comment accepted, in characters.
pub const MAX_COMMENT_CHARS: usize = 20_000;

/// True when `actor` is the machine (starts with `vigil:`).
pub fn is_machine(actor: &str) -> bool {
    actor.starts_with(MACHINE_PREFIX)
}

/// Everything that can go wrong with a case or an SLA policy.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaseError {
    #[error("case {case}: cannot move from {from} to {to}")]
    Transition { case: String, from: Status, to: Status },
    #[error("case {case}: resolving needs a disposition")]
    NeedsDisposition { case: String },
    #[error("case {case}: disposition was set by {by}, a human; the machine does not overwrite it")]
    HumanDisposition { case: String, by: String },
    #[error("case {case}: the machine ({actor}) cannot {action}; that is a human act")]
    Machine { case: String, actor: String, action: &'static str },
    #[error("case {case}: SLA is already paused")]
    AlreadyPaused { case: String },
    #[error("case {case}: SLA is not paused")]
    NotPaused { case: String },
    #[error("case {case}: no task {id}")]
    NoTask { case: String, id: u32 },
    #[error("case {case}: {item} is not an incident or alert of this case")]
    NotInCase { case: String, item: String },
    #[error("case {case}: splitting would leave it with no incidents or alerts")]
    WouldEmpty { case: String },
    #[error("case {case} was merged into {into}; work that case instead")]
    Merged { case: String, into: String },
    #[error("case {case}: cannot merge: {reason}")]
    Merge { case: String, reason: String },
    #[error("case {case}: {field}: {reason}")]
    Invalid { case: String, field: &'static str, reason: String },
    #[error("not a valid {what}: {value:?}")]
    Parse { what: &'static str, value: String },
    #[error("SLA policy: {field}: {message}{}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Policy { field: String, line: Option<usize>, message: String },
}

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($variant:ident => $s:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The snake_case name, as serialized.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = CaseError;
            fn from_str(s: &str) -> Result<Self, CaseError> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($s $(| $alias)* => Ok($name::$variant),)+
                    _ => Err(CaseError::Parse { what: $what, value: s.to_string() }),
                }
            }
        }
    };
}

str_enum!(
    /// Where a case is in its lifecycle.
    Status, "status" {
        New => "new",
        Triaged => "triaged",
        Investigating => "investigating",
        Contained => "contained",
        Resolved => "resolved",
        Closed => "closed",
    }
);

str_enum!(
    /// How bad a case is; keys the SLA policy. Orders most severe first.
    Severity, "severity" {
        Critical => "critical",
        High => "high",
        Medium => "medium",
        Low => "low",
    }
);

str_enum!(
    /// What a case turned out to be.
    Disposition, "disposition" {
        TruePositive => "true_positive" | "tp",
        BenignTruePositive => "benign_true_positive" | "btp" | "benign",
        FalsePositive => "false_positive" | "fp",
    }
);

impl Status {
    /// Whether a case may move from `self` to `to`.
    pub fn can_move_to(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (New, Triaged | Investigating | Contained | Resolved)
                | (Triaged, Investigating | Contained | Resolved)
                | (Investigating, Contained | Resolved)
                | (Contained, Investigating | Resolved)
                | (Resolved, Closed | Investigating)
                | (Closed, Investigating)
        )
    }
}

/// Where the current time comes from.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
        }
    }
}

/// A clock tests move by hand instead of sleeping.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(ms: i64) -> Self {
        ManualClock(AtomicI64::new(ms))
    }

    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn advance_mins(&self, mins: i64) {
        self.advance_ms(mins.saturating_mul(60_000));
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_and_aliases() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), *s);
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>().unwrap(), *s);
        }
        assert_eq!("tp".parse::<Disposition>().unwrap(), Disposition::TruePositive);
        assert_eq!("BTP".parse::<Disposition>().unwrap(), Disposition::BenignTruePositive);
        assert_eq!("benign".parse::<Disposition>().unwrap(), Disposition::BenignTruePositive);
        assert_eq!("fp".parse::<Disposition>().unwrap(), Disposition::FalsePositive);
        assert_eq!("benign_true_positive".parse::<Disposition>().unwrap(), Disposition::BenignTruePositive);
        assert_eq!(serde_json::to_string(&Disposition::FalsePositive).unwrap(), "\"false_positive\"");
        assert!(matches!("maybe".parse::<Disposition>(), Err(CaseError::Parse { what: "disposition", .. })));
        assert!("urgent".parse::<Severity>().is_err());
    }

    #[test]
    fn transition_table() {
        use Status::*;
        let allowed = [
            (New, Triaged),
            (New, Investigating),
            (New, Contained),
            (New, Resolved),
            (Triaged, Investigating),
            (Triaged, Contained),
            (Triaged, Resolved),
            (Investigating, Contained),
            (Investigating, Resolved),
            (Contained, Investigating),
            (Contained, Resolved),
            (Resolved, Closed),
            (Resolved, Investigating),
            (Closed, Investigating),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(from.can_move_to(*to), allowed.contains(&(*from, *to)), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn manual_clock_moves() {
        let c = ManualClock::new(1_000);
        c.advance_mins(2);
        assert_eq!(c.now_ms(), 121_000);
        c.advance_ms(-1);
        assert_eq!(c.now_ms(), 120_999);
        c.set(5);
        assert_eq!(c.now_ms(), 5);
        assert!(SystemClock.now_ms() > 1_600_000_000_000);
    }
}

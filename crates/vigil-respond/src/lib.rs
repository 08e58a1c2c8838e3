//! Response playbooks.
//!
//! * [`format`]: the playbook format (`vigil-playbook/1`, YAML, versioned with the rules):
//!   triggers, inputs templated from the incident and its entities, steps with conditions,
//!   retries, timeouts and on-failure branches, each on a connector action of a class (read,
//!   notify, contain, destructive); validation naming file, line and field; the three pilot
//!   playbooks under `playbooks/`.
//! * [`engine`]: runs persisted after every step and resumed after a crash without repeating a
//!   completed step (idempotency keys on every call); approvals (never by the requester,
//!   expiring, inputs editable and the edit recorded); rollback through each action's declared
//!   inverse and the prior state it recorded; dry-run with secrets masked; triggers on queued
//!   incidents; the automation rate. Every step, approval, denial, expiry and rollback is an
//!   audit entry on the case, and a line of the case's history.
//!
//! Must not: speak a vendor's API (that is `vigil-connectors`), decide verdicts, or let a
//! machine approve.

pub mod engine;
pub mod format;
pub mod target;
pub mod template;

use thiserror::Error;

pub use engine::{Actor, Approval, ApprovalStatus, Env, Run, RunStatus, StepRun, StepStatus};
pub use format::{FormatError, Playbook};
pub use target::TargetKind;

#[derive(Debug, Error)]
pub enum RespondError {
    #[error("store: {0}")]
    Store(#[from] vigil_store::StoreError),
    #[error("{0}")]
    Queue(#[from] vigil_queue::QueueError),
    #[error("{0}")]
    Format(#[from] FormatError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// A decision the rules forbid (self-approval, a machine approving, deciding twice or late).
    #[error("refused: {0}")]
    Refused(String),
}

pub type Result<T> = std::result::Result<T, RespondError>;

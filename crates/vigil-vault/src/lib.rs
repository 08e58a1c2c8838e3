//! The evidence vault, the ledger and incident packets.
//!
//! * [`ledger`]: the audit log read as an RFC 6962 Merkle log over every audit, evidence and
//!   custody entry; the Ed25519 key (created with the data directory's first checkpoint,
//!   public half exportable); signed checkpoints; `vigil audit verify`.
//! * [`vault`]: artifacts stored by SHA-256 with scope tags (case, frameworks, controls,
//!   period); no update or delete path, only retention and legal holds.
//! * [`export`]: `vigil case export` — the incident packet built from the store, the lake and
//!   the ledger, itself a custody event and a vault artifact.
//!
//! Must not: decide verdicts, change cases, or verify packets itself — verification is
//! `vigil_evidence::packet`, which needs nothing but the packet and the public key.

pub mod compliance;
pub mod export;
pub mod ledger;
pub mod vault;

use std::path::Path;

use thiserror::Error;

pub use export::{ExportOptions, Exported, export_case};

#[derive(Debug, Error)]
pub enum VaultError {
    #[error("store: {0}")]
    Store(#[from] vigil_store::StoreError),
    #[error("{0}")]
    Queue(#[from] vigil_queue::QueueError),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("ledger key: {0}")]
    Key(String),
    #[error("ledger: {0}")]
    Ledger(String),
    /// The log no longer extends the checkpoints already signed: nothing is signed over it.
    #[error("refused to sign a checkpoint: {0}")]
    Refused(String),
    #[error("lake: {0}")]
    Lake(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("corrupt: {0}")]
    Corrupt(String),
}

impl VaultError {
    pub(crate) fn io(path: &Path, e: std::io::Error) -> Self {
        VaultError::Io { path: path.display().to_string(), message: e.to_string() }
    }
}

pub type Result<T> = std::result::Result<T, VaultError>;

pub use vigil_model::sha256_hex;

//! The application layer: every operation a person, a token, Vigil's automation or the assistant
//! can ask of Vigil, typed, in one place, under every front end.
//!
//! Owns: the [`Caller`] and the permission check each operation makes itself (beside whatever
//! check the route made: defence in depth, and what the assistant's tools rely on for an
//! auditor's scope); the detection configuration assembled once for every way events arrive
//! ([`detection`]); every case and incident operation as one typed value carrying its audit
//! action ([`cases`]); hunts, built-in and saved, run and audited ([`hunts`]); identity
//! administration ([`admin`]); typed settings; and signing the ledger's checkpoint. Every state
//! change is audited exactly once, here or in the library it calls, and an audit failure fails
//! the operation.
//!
//! Must not: parse command lines, HTTP requests or forms, or render text, JSON or HTML — the CLI,
//! the API, the web app and the assistant do that and call this crate; nor decide verdicts,
//! match rules or speak a vendor's API itself (that stays in the libraries it calls).

pub mod admin;
pub mod auditor;
pub mod caller;
pub mod cases;
pub mod conversations;
pub mod detection;
pub mod evidence;
pub mod hunts;
pub mod hypotheses;
pub mod ingest;
pub mod investigations;
pub mod pilot;
pub mod reports;
pub mod respond;
pub mod sources;
pub mod sso;
pub mod tuning;

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

pub use caller::Caller;
use vigil_pipeline::DataDir;
use vigil_store::{AuditEntry, SqliteStore, StateStore};

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{who} may not {what} (needs the {needs} permission)")]
    Forbidden { who: String, what: String, needs: &'static str },
    #[error("{0}")]
    NotFound(String),
    /// Outside what an auditor's grants cover.
    #[error("{0}")]
    NotGranted(String),
    #[error("{0}")]
    Invalid(String),
    /// A decision the rules forbid (self-approval, a machine approving, deciding twice or late).
    #[error("refused: {0}")]
    Refused(String),
    #[error(transparent)]
    Queue(#[from] vigil_queue::QueueError),
    #[error(transparent)]
    Auth(#[from] vigil_auth::AuthError),
    #[error(transparent)]
    Store(#[from] vigil_store::StoreError),
    #[error(transparent)]
    Pipeline(#[from] vigil_pipeline::PipelineError),
    #[error(transparent)]
    Vault(#[from] vigil_vault::VaultError),
    /// Too many of the caller's requests of this kind are already running; try again shortly.
    #[error("{message}")]
    Busy { message: String, retry_after_secs: u64 },
    #[error("{0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, AppError>;

/// One data directory, its clock, and the lock that keeps triage and case changes from
/// interleaving within a process. Cheap to clone; every front end holds one.
#[derive(Clone)]
pub struct App {
    dir: DataDir,
    offset_ms: Arc<AtomicI64>,
    cases_lock: Arc<Mutex<()>>,
    /// Hunts running now, by principal (at most [`hunts::MAX_CONCURRENT_HUNTS`] each).
    running_hunts: Arc<Mutex<std::collections::HashMap<String, usize>>>,
    /// Single sign-on, when configured ([`App::with_sso`]).
    sso: Option<Arc<sso::Sso>>,
    /// Where this deployment's detections come from ([`App::with_detection`]): what compliance
    /// coverage counts as a control's detections when a front end asks without its own.
    detection: Arc<detection::DetectionConfig>,
}

impl App {
    pub fn new(root: &Path) -> App {
        App {
            dir: DataDir::new(root),
            offset_ms: Default::default(),
            cases_lock: Default::default(),
            running_hunts: Default::default(),
            sso: None,
            detection: Default::default(),
        }
    }

    /// This application with the detection configuration it runs with (the rule, exception and
    /// behavior files beside the built-in ones); the built-in configuration when never set.
    pub fn with_detection(mut self, detection: detection::DetectionConfig) -> App {
        self.detection = Arc::new(detection);
        self
    }

    /// The detection configuration set with [`App::with_detection`].
    pub fn detection_config(&self) -> &detection::DetectionConfig {
        &self.detection
    }

    pub fn dir(&self) -> &DataDir {
        &self.dir
    }

    /// A connection to the state store (SQLite in WAL mode: readers do not wait for a writer).
    pub fn store(&self) -> Result<SqliteStore> {
        Ok(self.dir.open_store()?)
    }

    /// Now, in milliseconds since the epoch: the wall clock plus the offset tests move.
    pub fn now_ms(&self) -> i64 {
        use vigil_cases::Clock;
        vigil_cases::SystemClock.now_ms() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Moves this application's clock forward (tests move time instead of sleeping).
    pub fn advance_clock_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, ()>> {
        self.cases_lock.lock().map_err(|_| AppError::Internal("the case lock was poisoned by a panic".into()))
    }

    /// Appends one entry to the audit log; the caller's operation fails if it cannot be written.
    pub fn audit(&self, store: &mut dyn StateStore, entry: &AuditEntry) -> Result<()> {
        vigil_queue::audit(store, entry)?;
        Ok(())
    }

    /// The environment variable naming a witness file outside the data directory: every
    /// checkpoint signed is appended to it (`vigil audit verify --witness <file>` checks the log
    /// against it).
    pub const WITNESS_ENV: &'static str = "VIGIL_WITNESS";

    /// Signs a checkpoint of the ledger (the audit log's Merkle tree) if it grew since the last
    /// one; the key is created on first use. Incremental: only the entries after the latest
    /// checkpoint are read (see [`App::signed_checkpoint`]).
    pub fn sign_checkpoint(&self) -> Result<()> {
        self.signed_checkpoint().map(|_| ())
    }

    /// Signs a checkpoint of the ledger as it is now (or returns the latest, if it covers the
    /// whole log) by extending the frontier stored with the latest checkpoint with the entries
    /// appended since: O(new entries), never the whole log. Refused, signing nothing, when the
    /// log no longer extends the latest signed checkpoint. A new checkpoint is also appended
    /// to the witness file named by `VIGIL_WITNESS`, if set ([`App::WITNESS_ENV`]).
    pub fn signed_checkpoint(&self) -> Result<vigil_evidence::SignedCheckpoint> {
        let mut store = self.store()?;
        let key = vigil_vault::ledger::load_or_create_key(self.dir.root())?;
        let signed = vigil_vault::ledger::sign_incremental(&mut store, &key, self.now_ms())?;
        if let Some(path) = std::env::var_os(Self::WITNESS_ENV).filter(|p| !p.is_empty()) {
            vigil_vault::ledger::append_witness(Path::new(&path), std::slice::from_ref(&signed.checkpoint))?;
        }
        Ok(signed.checkpoint)
    }

    /// Records one invocation of a front end's command (`cli.ingest` and so on) with its
    /// arguments and outcome, then signs a checkpoint over the log as the command leaves it.
    /// Only where the directory already holds a store: a mistyped path does not create one.
    pub fn record_invocation(
        &self,
        caller: &Caller,
        action: &str,
        args: &str,
        outcome: std::result::Result<(), String>,
    ) -> Result<()> {
        self.record_invocations(caller, &[(action, args, outcome)])
    }

    /// Records several entries of one act (a question, its tool calls and its answer) in one
    /// append, in order, then signs one checkpoint over them.
    pub fn record_invocations(
        &self,
        caller: &Caller,
        entries: &[(&str, &str, std::result::Result<(), String>)],
    ) -> Result<()> {
        if !self.dir.has_store() || entries.is_empty() {
            return Ok(());
        }
        let rows = self.invocation_rows(caller, entries);
        let mut store = self.store()?;
        store.append_audit(&rows)?;
        drop(store);
        self.sign_checkpoint()
    }

    /// Audit entries for invocations by `caller` now: `ok`, or `failed` with the reason; the
    /// arguments and the reason cut at 2,000 characters.
    pub(crate) fn invocation_rows(
        &self,
        caller: &Caller,
        entries: &[(&str, &str, std::result::Result<(), String>)],
    ) -> Vec<AuditEntry> {
        let now = self.now_ms();
        let who = caller.name();
        entries
            .iter()
            .map(|(action, args, outcome)| {
                let (result, detail) = match outcome {
                    Ok(()) => ("ok", String::new()),
                    Err(e) => ("failed", e.chars().take(2000).collect()),
                };
                let args: String = args.chars().take(2000).collect();
                AuditEntry::new(now, &who, action, &args, result, &detail)
            })
            .collect()
    }
}

pub use vigil_model::sha256_hex;

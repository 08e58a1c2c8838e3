//! The state store: what Vigil remembers between runs, outside the lake.
//!
//! Owns: the [`StateStore`] trait every caller uses (runs, the event-id dedupe set, committed lake
//! files, source checkpoints, the quarantine, the audit log with the ledger's signed
//! checkpoints and stored Merkle frontiers), its versioned migrations, [`SqliteStore`], the
//! embedded default, and the [`DataDir`] layout that hands the store out. The trait speaks only in plain types so a PostgreSQL implementation can
//! follow without touching callers.
//!
//! Must not: decode records, write Parquet, or decide policy (what is a duplicate is the event
//! id's business; the store only remembers ids).

mod datadir;
mod sqlite;

pub use datadir::DataDir;
pub use sqlite::SqliteStore;

use serde::{Deserialize, Serialize};
use vigil_model::{EventId, QuarantineRecord};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("state store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("state store migration {version}: {message}")]
    Migration { version: u32, message: String },
    #[error("state store at {path}: {message}")]
    Open { path: String, message: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A Parquet file the lake committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LakeFileRow {
    pub path: String,
    pub class_uid: u32,
    pub day: String,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// How far one source was read, and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceCheckpoint {
    pub path: String,
    pub size: u64,
    pub modified_ms: Option<i64>,
    pub sha256: String,
    pub offset: u64,
    pub records: u64,
    pub events: u64,
    pub quarantined: u64,
    pub duplicates: u64,
    /// Decoder name → records.
    pub formats: std::collections::BTreeMap<String, u64>,
    pub ingested_at: i64,
}

/// One batch made durable at once: ids, the lake files holding their events, and quarantine.
#[derive(Debug, Default)]
pub struct Commit {
    pub event_ids: Vec<EventId>,
    pub lake_files: Vec<LakeFileRow>,
    pub quarantine: Vec<QuarantineRecord>,
    pub sources: Vec<SourceCheckpoint>,
    pub alerts: Vec<AlertRow>,
    pub behavior: Vec<BehaviorRow>,
    /// Live sources' cursors, committed with the events their poll produced.
    pub cursors: Vec<CursorRow>,
}

/// How far one live source has been read: the vendor's own cursor, opaque to the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorRow {
    /// The connection's name (`okta-prod`).
    pub source: String,
    pub cursor: String,
    pub updated_ms: i64,
}

/// What one behavioral detection has learned about one entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BehaviorRow {
    pub detection: String,
    pub entity: String,
    pub updated_ms: i64,
    /// The detection's own JSON.
    pub state: String,
}

/// An alert as stored: the columns it is found by, and the whole record as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    pub id: String,
    pub rule_id: String,
    pub rule_title: String,
    pub level: String,
    pub kind: String,
    pub time_ms: Option<i64>,
    pub json: String,
}

/// A JSON record of one kind (incident, case, override, suppression, model, inventory).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub updated_ms: i64,
    pub json: String,
}

/// One line of the audit log: who did what to what, when, and with what result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Assigned by the store; 0 when appending.
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub result: String,
    pub detail: String,
}

impl AuditEntry {
    pub fn new(at_ms: i64, actor: &str, action: &str, target: &str, result: &str, detail: &str) -> AuditEntry {
        AuditEntry {
            seq: 0,
            at_ms,
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            result: result.into(),
            detail: detail.into(),
        }
    }
}

/// A signed tree head of the ledger, as stored (the JSON is `vigil_evidence::SignedCheckpoint`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRow {
    pub size: u64,
    pub time_ms: i64,
    pub json: String,
}

/// The ledger's Merkle frontier at one size, as stored: the perfect-subtree roots of the log's
/// first `size` entries, 32 bytes each, largest first (`vigil_evidence::Frontier`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontierRow {
    pub size: u64,
    pub nodes: Vec<u8>,
}

/// One artifact in the evidence vault's index. The JSON holds its scope tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaultRow {
    /// Assigned by the store; 0 when adding.
    pub id: i64,
    pub sha256: String,
    pub size: u64,
    pub added_ms: i64,
    pub json: String,
    pub purged_ms: Option<i64>,
}

/// Which alerts to list.
#[derive(Debug, Clone, Default)]
pub struct AlertQuery {
    /// A rule id or title.
    pub rule: Option<String>,
    /// Levels to include; all when empty.
    pub levels: Vec<String>,
    pub limit: u64,
}

/// A quarantine record as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredQuarantine {
    pub id: i64,
    pub run_id: i64,
    pub at: i64,
    #[serde(flatten)]
    pub record: QuarantineRecord,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: i64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub args: String,
    pub report: Option<serde_json::Value>,
}

/// Filter for listing the quarantine.
#[derive(Debug, Clone, Default)]
pub struct QuarantineQuery {
    /// Substring of the source name.
    pub source: Option<String>,
    pub run_id: Option<i64>,
    pub limit: usize,
    pub offset: usize,
}

/// What Vigil keeps between runs. Implementations must make [`StateStore::commit`] atomic.
pub trait StateStore: Send {
    /// Opens a run and returns its id.
    fn begin_run(&mut self, started_at: i64, args: &str) -> Result<i64>;
    /// Closes a run with its report.
    fn finish_run(&mut self, run_id: i64, finished_at: i64, report: &serde_json::Value) -> Result<()>;
    /// For each id, whether it is not yet stored.
    fn unseen(&mut self, ids: &[EventId]) -> Result<Vec<bool>>;
    /// Makes a batch durable, all or nothing.
    fn commit(&mut self, run_id: i64, now: i64, batch: &Commit) -> Result<()>;
    fn quarantine(&self, q: &QuarantineQuery) -> Result<Vec<StoredQuarantine>>;
    /// Stored alerts, oldest first.
    fn alerts(&self, q: &AlertQuery) -> Result<Vec<AlertRow>>;
    fn alert_count(&self) -> Result<u64>;
    /// How many alerts are stored at each level.
    fn alert_counts_by_level(&self) -> Result<Vec<(String, u64)>>;
    /// When each stored alert was raised (committed by the ingest that detected it), by id.
    fn alerts_raised(&self) -> Result<Vec<(String, i64)>>;
    /// Writes documents of one kind (replacing every document of that kind first when
    /// `replace_kind`) and appends the audit entries, all in one transaction.
    fn put_documents(&mut self, kind: &str, docs: &[Document], replace_kind: bool, audit: &[AuditEntry]) -> Result<()>;
    /// Documents of one kind, oldest update first.
    fn documents(&self, kind: &str) -> Result<Vec<Document>>;
    fn document(&self, kind: &str, id: &str) -> Result<Option<Document>>;
    /// How many documents of one kind there are (without reading them).
    fn document_count(&self, kind: &str) -> Result<u64>;
    /// The last `limit` audit entries, oldest first. The log has no update or delete path.
    fn audit(&self, limit: u64) -> Result<Vec<AuditEntry>>;
    /// Audit entries with `seq >= from_seq`, oldest first, at most `limit`.
    fn audit_from(&self, from_seq: i64, limit: u64) -> Result<Vec<AuditEntry>>;
    /// How many entries the audit log holds (its last `seq`).
    fn audit_len(&self) -> Result<u64>;
    /// Appends audit entries in one transaction and returns them with their `seq`.
    fn append_audit(&mut self, audit: &[AuditEntry]) -> Result<Vec<AuditEntry>>;
    /// Stores a signed checkpoint; a second one for the same size is refused.
    fn put_checkpoint(&mut self, c: &CheckpointRow) -> Result<()>;
    /// Every stored checkpoint, smallest size first.
    fn checkpoints(&self) -> Result<Vec<CheckpointRow>>;
    /// The stored checkpoint of the largest size, read alone (the log's head is signed after
    /// every command, so there are as many checkpoints as commands).
    fn latest_checkpoint(&self) -> Result<Option<CheckpointRow>>;
    /// Stores the ledger's frontier at a size; a second one for the same size is ignored.
    fn put_frontier(&mut self, f: &FrontierRow) -> Result<()>;
    /// The stored frontier of the largest size not above `size`.
    fn frontier_at_most(&self, size: u64) -> Result<Option<FrontierRow>>;
    /// Adds an artifact to the vault's index with its audit entries, in one transaction;
    /// returns the row and the entries with their `seq`.
    fn add_vault_item(&mut self, item: &VaultRow, audit: &[AuditEntry]) -> Result<(VaultRow, Vec<AuditEntry>)>;
    /// Every vault item, oldest first.
    fn vault_items(&self) -> Result<Vec<VaultRow>>;
    /// Marks an item purged (its retention passed), with its audit entries.
    fn purge_vault_item(&mut self, id: i64, at_ms: i64, audit: &[AuditEntry]) -> Result<()>;
    /// Behavioral state, all of it or one entity's.
    fn behavior_state(&self, entity: Option<&str>) -> Result<Vec<BehaviorRow>>;
    /// How many quarantine records match the filter (its limit and offset ignored).
    fn quarantine_count_matching(&self, q: &QuarantineQuery) -> Result<u64>;
    fn quarantine_count(&self) -> Result<u64> {
        self.quarantine_count_matching(&QuarantineQuery::default())
    }
    fn sources(&self) -> Result<Vec<SourceCheckpoint>>;
    /// A live source's cursor, as the last commit of its events left it.
    fn cursor(&self, source: &str) -> Result<Option<CursorRow>>;
    /// Forgets a live source's cursor (its connection removed): a later connection of that
    /// name starts from its backfill window. Ids already stored still dedupe.
    fn clear_cursor(&mut self, source: &str) -> Result<()>;
    fn lake_files(&self) -> Result<Vec<LakeFileRow>>;
    fn event_count(&self) -> Result<u64>;
    fn runs(&self) -> Result<Vec<RunRecord>>;
    /// The schema version after migrations.
    fn schema_version(&self) -> Result<u32>;
}

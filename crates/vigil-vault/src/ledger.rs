//! The ledger: the audit log read as an RFC 6962 Merkle log, its signing key and its signed
//! checkpoints.
//!
//! Entry `seq` is leaf `seq - 1`; the leaf is the RFC 8785 canonical JSON of the entry's seven
//! fields ([`entry_json`]). Every audit, evidence (`evidence.*`) and custody (`custody.*`)
//! entry is in the one log, so a single signed tree head commits to all of them.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use vigil_evidence::{Checkpoint, Hash, MerkleLog, SignedCheckpoint, SigningKey, canonical_json, verify_checkpoint};
use vigil_store::{AuditEntry, CheckpointRow, StateStore};

use crate::{Result, VaultError};

/// Where the ledger's signing key lives under the data directory.
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("keys").join("ledger.ed25519")
}

/// Loads the ledger key, creating it (0600, from the OS's random source) the first time.
pub fn load_or_create_key(data_dir: &Path) -> Result<SigningKey> {
    let path = key_path(data_dir);
    match fs::read_to_string(&path) {
        Ok(text) => SigningKey::from_hex(text.trim()).map_err(|e| VaultError::Key(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = path.parent().unwrap_or(data_dir);
            fs::create_dir_all(dir).map_err(|e| VaultError::io(dir, e))?;
            let key = SigningKey::generate();
            let tmp = path.with_extension("tmp");
            let mut opts = fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let _ = fs::remove_file(&tmp);
            let mut f = opts.open(&tmp).map_err(|e| VaultError::io(&tmp, e))?;
            f.write_all(format!("{}\n", key.to_hex()).as_bytes()).map_err(|e| VaultError::io(&tmp, e))?;
            f.sync_all().map_err(|e| VaultError::io(&tmp, e))?;
            // Another process may have created it meanwhile: keep theirs.
            if fs::hard_link(&tmp, &path).is_err() {
                let _ = fs::remove_file(&tmp);
                return load_or_create_key(data_dir);
            }
            let _ = fs::remove_file(&tmp);
            Ok(key)
        }
        Err(e) => Err(VaultError::io(&path, e)),
    }
}

/// The log's name in its checkpoints.
pub fn origin(key: &SigningKey) -> String {
    format!("vigil-ledger/{}", key.key_id())
}

/// The JSON an entry is hashed as.
pub fn entry_json(e: &AuditEntry) -> Value {
    json!({
        "seq": e.seq,
        "at_ms": e.at_ms,
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "result": e.result,
        "detail": e.detail,
    })
}

/// The canonical bytes of an entry (the leaf's input).
pub fn entry_bytes(e: &AuditEntry) -> Result<Vec<u8>> {
    canonical_json(&entry_json(e)).map_err(|err| VaultError::Ledger(format!("entry {}: {err}", e.seq)))
}

/// Which part of the one log an entry belongs to.
pub fn entry_kind(action: &str) -> &'static str {
    if action.starts_with("custody.") {
        "custody"
    } else if action.starts_with("evidence.") {
        "evidence"
    } else {
        "audit"
    }
}

/// The whole log in memory: entries and their Merkle tree.
pub struct Ledger {
    pub entries: Vec<AuditEntry>,
    pub tree: MerkleLog,
    /// Problems found while loading (gaps in `seq`); empty for a sound log.
    pub problems: Vec<String>,
}

impl Ledger {
    pub fn root(&self) -> Hash {
        self.tree.root()
    }
}

/// Reads every entry and builds the tree. A gap in `seq` (a row deleted behind the store's
/// back) is recorded as a problem; the tree is built over the rows that are there.
pub fn load(store: &dyn StateStore) -> Result<Ledger> {
    let mut entries = Vec::new();
    let mut next = 1i64;
    loop {
        let chunk = store.audit_from(next, 50_000)?;
        let Some(last) = chunk.last() else { break };
        next = last.seq + 1;
        entries.extend(chunk);
    }
    let mut tree = MerkleLog::new();
    let mut problems = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let want = i as i64 + 1;
        if e.seq != want && problems.len() < 20 {
            problems.push(format!(
                "ledger entry seq {} found where seq {want} belongs (entries missing or renumbered)",
                e.seq
            ));
        }
        tree.append(&entry_bytes(e)?);
    }
    Ok(Ledger { entries, tree, problems })
}

/// Every stored checkpoint, parsed.
pub fn checkpoints(store: &dyn StateStore) -> Result<Vec<SignedCheckpoint>> {
    store
        .checkpoints()?
        .into_iter()
        .map(|row| {
            serde_json::from_str(&row.json)
                .map_err(|e| VaultError::Ledger(format!("stored checkpoint of size {}: {e}", row.size)))
        })
        .collect()
}

/// Signs and stores a checkpoint of the log as it is now, unless the last one already covers
/// it; returns the checkpoint for the current size.
pub fn checkpoint(
    store: &mut dyn StateStore,
    ledger: &Ledger,
    key: &SigningKey,
    now_ms: i64,
) -> Result<SignedCheckpoint> {
    let size = ledger.tree.len();
    if let Some(last) = checkpoints(store)?.into_iter().find(|c| c.checkpoint.size == size) {
        return Ok(last);
    }
    let signed = key.sign(&Checkpoint::new(origin(key), size, &ledger.root(), now_ms));
    let json = serde_json::to_string(&signed).map_err(|e| VaultError::Ledger(e.to_string()))?;
    if let Err(e) = store.put_checkpoint(&CheckpointRow { size, time_ms: now_ms, json }) {
        // Another process (the server, a CLI command) signed this size first: theirs stands.
        return checkpoints(store)?.into_iter().find(|c| c.checkpoint.size == size).ok_or(e.into());
    }
    Ok(signed)
}

/// What `vigil audit verify` found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LedgerReport {
    pub entries: u64,
    pub audit_entries: u64,
    pub evidence_entries: u64,
    pub custody_entries: u64,
    pub checkpoints: usize,
    pub root_hex: String,
    pub key_id: String,
    pub passed: Vec<String>,
    pub problems: Vec<String>,
}

impl LedgerReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Recomputes the tree from the stored entries and checks it against every signed
/// checkpoint: a checkpoint whose size the log no longer reaches means entries were removed;
/// a root that differs means an entry at or before that size was changed.
pub fn verify(store: &dyn StateStore, public_key_hex: &str) -> Result<LedgerReport> {
    let ledger = load(store)?;
    let mut r = LedgerReport {
        entries: ledger.tree.len(),
        root_hex: hex::encode(ledger.root()),
        problems: ledger.problems.clone(),
        ..LedgerReport::default()
    };
    for e in &ledger.entries {
        match entry_kind(&e.action) {
            "custody" => r.custody_entries += 1,
            "evidence" => r.evidence_entries += 1,
            _ => r.audit_entries += 1,
        }
    }
    if let Ok(bytes) = hex::decode(public_key_hex)
        && let Ok(pk) = <[u8; 32]>::try_from(bytes.as_slice())
    {
        r.key_id = vigil_evidence::key_id(&pk);
    }
    let cps = checkpoints(store)?;
    r.checkpoints = cps.len();
    let mut good_up_to = 0u64;
    for c in &cps {
        let size = c.checkpoint.size;
        if let Err(e) = verify_checkpoint(c, public_key_hex) {
            r.problems.push(format!("checkpoint of size {size}: {e}"));
            continue;
        }
        if size > ledger.tree.len() {
            r.problems.push(format!(
                "checkpoint of size {size} was signed but the log now holds {} entries: entries after seq {} were removed",
                ledger.tree.len(),
                ledger.tree.len()
            ));
            continue;
        }
        let root = ledger.tree.root_at(size).map(hex::encode).unwrap_or_default();
        if root != c.checkpoint.root_hex {
            r.problems.push(format!(
                "the first {size} entries no longer hash to the checkpoint signed at {} : an entry with seq {}..={size} was changed, removed or reordered",
                c.checkpoint.time_ms,
                good_up_to + 1
            ));
        } else {
            good_up_to = size;
        }
    }
    if r.problems.is_empty() {
        r.passed.push(format!("{} entries hash to {} signed checkpoints", r.entries, r.checkpoints));
    }
    Ok(r)
}

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
use vigil_evidence::{
    Checkpoint, Frontier, Hash, MerkleLog, SignedCheckpoint, SigningKey, canonical_json, leaf_hash, verify_checkpoint,
};
use vigil_store::{AuditEntry, CheckpointRow, FrontierRow, StateStore};

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

/// Reads every entry of the audit log in order, 50,000 at a time, handing each chunk to `f`.
pub fn for_each_chunk(store: &dyn StateStore, mut f: impl FnMut(Vec<AuditEntry>)) -> Result<()> {
    let mut next = 1i64;
    loop {
        let chunk = store.audit_from(next, 50_000)?;
        let Some(last) = chunk.last() else { return Ok(()) };
        next = last.seq + 1;
        f(chunk);
    }
}

/// Reads every entry and builds the tree. A gap in `seq` (a row deleted behind the store's
/// back) is recorded as a problem; the tree is built over the rows that are there.
pub fn load(store: &dyn StateStore) -> Result<Ledger> {
    let mut entries = Vec::new();
    for_each_chunk(store, |chunk| entries.extend(chunk))?;
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

/// What signing a checkpoint needs of the store: the entries after a size, the latest signed
/// checkpoint and the stored frontiers. Every [`StateStore`] is one; the narrow trait lets a
/// test count what the incremental signer reads.
pub trait LedgerStore {
    /// Entries with `seq >= from_seq`, oldest first, at most `limit` ([`StateStore::audit_from`]).
    fn ledger_entries(&self, from_seq: i64, limit: u64) -> vigil_store::Result<Vec<AuditEntry>>;
    /// The log's last `seq` ([`StateStore::audit_len`]).
    fn ledger_len(&self) -> vigil_store::Result<u64>;
    /// The stored checkpoint of the largest size.
    fn ledger_latest_checkpoint(&self) -> vigil_store::Result<Option<CheckpointRow>>;
    fn ledger_put_checkpoint(&mut self, c: &CheckpointRow) -> vigil_store::Result<()>;
    fn ledger_put_frontier(&mut self, f: &FrontierRow) -> vigil_store::Result<()>;
    /// The stored frontier of the largest size not above `size`.
    fn ledger_frontier_at_most(&self, size: u64) -> vigil_store::Result<Option<FrontierRow>>;
}

impl<T: StateStore + ?Sized> LedgerStore for T {
    fn ledger_entries(&self, from_seq: i64, limit: u64) -> vigil_store::Result<Vec<AuditEntry>> {
        self.audit_from(from_seq, limit)
    }
    fn ledger_len(&self) -> vigil_store::Result<u64> {
        self.audit_len()
    }
    fn ledger_latest_checkpoint(&self) -> vigil_store::Result<Option<CheckpointRow>> {
        self.latest_checkpoint()
    }
    fn ledger_put_checkpoint(&mut self, c: &CheckpointRow) -> vigil_store::Result<()> {
        self.put_checkpoint(c)
    }
    fn ledger_put_frontier(&mut self, f: &FrontierRow) -> vigil_store::Result<()> {
        self.put_frontier(f)
    }
    fn ledger_frontier_at_most(&self, size: u64) -> vigil_store::Result<Option<FrontierRow>> {
        self.frontier_at_most(size)
    }
}

/// How many entries the incremental signer reads at a time.
const CHUNK: u64 = 50_000;

fn parse_row(row: &CheckpointRow) -> Result<SignedCheckpoint> {
    serde_json::from_str(&row.json)
        .map_err(|e| VaultError::Ledger(format!("stored checkpoint of size {}: {e}", row.size)))
}

fn frontier_of(row: &FrontierRow) -> Result<Frontier> {
    Frontier::from_bytes(row.size, &row.nodes)
        .map_err(|e| VaultError::Ledger(format!("stored frontier of size {}: {e}", row.size)))
}

fn store_frontier<S: LedgerStore + ?Sized>(store: &mut S, f: &Frontier) -> Result<()> {
    Ok(store.ledger_put_frontier(&FrontierRow { size: f.size(), nodes: f.to_bytes() })?)
}

/// The latest signed checkpoint, after checking that no stored frontier is beyond it: a
/// frontier is stored only after its checkpoint, so one beyond the latest checkpoint means
/// checkpoints were removed from the store (with the tail of the log, or to rewrite it).
fn latest_guarded<S: LedgerStore + ?Sized>(store: &S) -> Result<Option<SignedCheckpoint>> {
    // The frontier first: one written after this read has its checkpoint written before it.
    let top = store.ledger_frontier_at_most(u64::MAX)?;
    let latest = store.ledger_latest_checkpoint()?.map(|row| parse_row(&row)).transpose()?;
    let signed = latest.as_ref().map_or(0, |c| c.checkpoint.size);
    if let Some(top) = top.filter(|t| t.size > signed) {
        return Err(VaultError::Refused(format!(
            "the ledger's frontier of size {} is stored but the latest signed checkpoint is of size {signed}: \
             signed checkpoints were removed from the store (run `vigil audit verify --witness <file>`)",
            top.size
        )));
    }
    Ok(latest)
}

fn refuse_root(size: u64, signed_root: &str, log_root: &Hash, what: &str) -> VaultError {
    VaultError::Refused(format!(
        "the log no longer extends the latest signed checkpoint: at size {size} the checkpoint's root is {signed_root} \
         but {what} is {}; nothing was signed (run `vigil audit verify --witness <file>`)",
        hex::encode(log_root)
    ))
}

/// Appends the entries `from_seq..` to `frontier`, checking they follow one another; returns
/// how many were read.
fn extend<S: LedgerStore + ?Sized>(store: &S, frontier: &mut Frontier, up_to: Option<u64>) -> Result<u64> {
    let mut read = 0u64;
    loop {
        let next = frontier.size() + 1;
        let limit = match up_to {
            Some(end) if end < next => break,
            Some(end) => (end - next + 1).min(CHUNK),
            None => CHUNK,
        };
        let chunk = store.ledger_entries(next as i64, limit)?;
        if chunk.is_empty() {
            break;
        }
        for e in &chunk {
            let want = frontier.size() + 1;
            if e.seq != want as i64 {
                return Err(VaultError::Refused(format!(
                    "ledger entry seq {} found where seq {want} belongs (entries missing or renumbered); \
                     nothing was signed (run `vigil audit verify`)",
                    e.seq
                )));
            }
            frontier.append_leaf_hash(leaf_hash(&entry_bytes(e)?));
            read += 1;
        }
    }
    Ok(read)
}

/// A checkpoint signed by [`sign_incremental`], and whether it is new.
#[derive(Debug, Clone)]
pub struct Signed {
    pub checkpoint: SignedCheckpoint,
    /// False when the latest stored checkpoint already covered the whole log.
    pub new: bool,
}

/// Signs a checkpoint of the log as it is now without reading the entries the latest
/// checkpoint already covers: the frontier stored with it is extended with the entries after
/// it, and the new frontier is stored beside the new checkpoint. O(new entries + log n).
///
/// Refuses (and signs nothing) when the log no longer extends the latest signed checkpoint:
/// a stored frontier beyond it (checkpoints removed), a frontier or a recomputed prefix whose
/// root differs from it, a log shorter than it (truncated), or a gap in `seq` after it. Rows
/// rewritten below the latest checkpoint are not re-read here (that is `vigil audit verify`),
/// but the new head is computed from the stored frontier, never from them, so every later
/// checkpoint keeps contradicting the rewrite.
pub fn sign_incremental<S: LedgerStore + ?Sized>(store: &mut S, key: &SigningKey, now_ms: i64) -> Result<Signed> {
    let latest = latest_guarded(store)?;
    let mut frontier = match &latest {
        None => Frontier::new(),
        Some(c) => {
            let size = c.checkpoint.size;
            let stored = store.ledger_frontier_at_most(size)?;
            let exact = stored.as_ref().is_some_and(|f| f.size == size);
            let mut f = stored.as_ref().map(frontier_of).transpose()?.unwrap_or_default();
            // A checkpoint without its frontier (signed before frontiers were kept, or a crash
            // between the two writes): rebuild it once from the entries it covers.
            extend(store, &mut f, Some(size))?;
            if f.size() != size {
                return Err(VaultError::Refused(format!(
                    "a checkpoint of size {size} was signed but the log holds {} entries: entries after seq {} were \
                     removed; nothing was signed (run `vigil audit verify --witness <file>`)",
                    f.size(),
                    f.size()
                )));
            }
            let what = if exact { "the stored frontier's root" } else { "the log's first entries hash to" };
            if hex::encode(f.root()) != c.checkpoint.root_hex {
                return Err(refuse_root(size, &c.checkpoint.root_hex, &f.root(), what));
            }
            if !exact {
                store_frontier(store, &f)?;
            }
            f
        }
    };
    let signed_size = frontier.size();
    let len = store.ledger_len()?;
    if len < signed_size {
        return Err(VaultError::Refused(format!(
            "a checkpoint of size {signed_size} was signed but the log now ends at seq {len}: entries after seq {len} \
             were removed; nothing was signed (run `vigil audit verify --witness <file>`)"
        )));
    }
    extend(store, &mut frontier, None)?;
    if let Some(c) = latest.filter(|c| c.checkpoint.size == frontier.size()) {
        return Ok(Signed { checkpoint: c, new: false });
    }
    let size = frontier.size();
    let signed = key.sign(&Checkpoint::new(origin(key), size, &frontier.root(), now_ms));
    let json = serde_json::to_string(&signed).map_err(|e| VaultError::Ledger(e.to_string()))?;
    if let Err(e) = store.ledger_put_checkpoint(&CheckpointRow { size, time_ms: now_ms, json }) {
        // Another process (the server, a CLI command) signed this size first: theirs stands,
        // if it is of the same tree.
        let theirs = store.ledger_latest_checkpoint()?.filter(|r| r.size == size).ok_or(e)?;
        let theirs = parse_row(&theirs)?;
        if theirs.checkpoint.root_hex != signed.checkpoint.root_hex {
            return Err(refuse_root(size, &theirs.checkpoint.root_hex, &frontier.root(), "this log's root"));
        }
        store_frontier(store, &frontier)?;
        return Ok(Signed { checkpoint: theirs, new: false });
    }
    store_frontier(store, &frontier)?;
    Ok(Signed { checkpoint: signed, new: true })
}

/// Signs and stores a checkpoint of the log as it is now (already loaded in full, as a packet
/// export needs it), unless the last one already covers it; returns the checkpoint for the
/// current size. Refuses, like [`sign_incremental`], when the loaded log does not reproduce
/// the latest signed checkpoint's root at its size.
pub fn checkpoint(
    store: &mut dyn StateStore,
    ledger: &Ledger,
    key: &SigningKey,
    now_ms: i64,
) -> Result<SignedCheckpoint> {
    let size = ledger.tree.len();
    if let Some(latest) = latest_guarded(store)? {
        let at = latest.checkpoint.size;
        if at > size {
            return Err(VaultError::Refused(format!(
                "a checkpoint of size {at} was signed but the log holds {size} entries: entries after seq {size} were \
                 removed; nothing was signed (run `vigil audit verify --witness <file>`)"
            )));
        }
        let root = ledger.tree.root_at(at).map_err(|e| VaultError::Ledger(e.to_string()))?;
        if hex::encode(root) != latest.checkpoint.root_hex {
            return Err(refuse_root(at, &latest.checkpoint.root_hex, &root, "the log's first entries hash to"));
        }
        if at == size {
            return Ok(latest);
        }
    }
    if let Some(last) = checkpoints(store)?.into_iter().find(|c| c.checkpoint.size == size) {
        return Ok(last);
    }
    let mut frontier = Frontier::new();
    for h in ledger.tree.leaf_hashes() {
        frontier.append_leaf_hash(*h);
    }
    let signed = key.sign(&Checkpoint::new(origin(key), size, &ledger.root(), now_ms));
    let json = serde_json::to_string(&signed).map_err(|e| VaultError::Ledger(e.to_string()))?;
    if let Err(e) = store.put_checkpoint(&CheckpointRow { size, time_ms: now_ms, json }) {
        // Another process (the server, a CLI command) signed this size first: theirs stands.
        return checkpoints(store)?.into_iter().find(|c| c.checkpoint.size == size).ok_or(e.into());
    }
    store_frontier(store, &frontier)?;
    Ok(signed)
}

/// Appends checkpoints to a witness file (one signed checkpoint as JSON per line), creating
/// it; those already in it (same size and root) are skipped. Returns how many were written.
pub fn append_witness(path: &Path, cps: &[SignedCheckpoint]) -> Result<usize> {
    let mut have = match fs::metadata(path) {
        Ok(_) => read_witness(path)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(VaultError::io(path, e)),
    };
    let mut text = String::new();
    let mut n = 0;
    for c in cps {
        let seen = |h: &SignedCheckpoint| {
            h.checkpoint.size == c.checkpoint.size && h.checkpoint.root_hex == c.checkpoint.root_hex
        };
        if have.iter().any(seen) {
            continue;
        }
        text.push_str(&serde_json::to_string(c).map_err(|e| VaultError::Ledger(e.to_string()))?);
        text.push('\n');
        have.push(c.clone());
        n += 1;
    }
    if n == 0 {
        return Ok(0);
    }
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| VaultError::io(dir, e))?;
    }
    let mut f = fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| VaultError::io(path, e))?;
    f.write_all(text.as_bytes()).map_err(|e| VaultError::io(path, e))?;
    f.sync_all().map_err(|e| VaultError::io(path, e))?;
    Ok(n)
}

/// Reads a witness file: signed checkpoints one per line (what [`append_witness`] writes), or
/// one checkpoint or an array of them as a JSON document (`vigil audit checkpoint --json`).
pub fn read_witness(path: &Path) -> Result<Vec<SignedCheckpoint>> {
    let text = fs::read_to_string(path).map_err(|e| VaultError::io(path, e))?;
    let bad = |what: String| VaultError::Invalid(format!("{}: {what}", path.display()));
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return serde_json::from_str(trimmed).map_err(|e| bad(format!("not a list of signed checkpoints: {e}")));
    }
    if let Ok(one) = serde_json::from_str::<SignedCheckpoint>(trimmed) {
        return Ok(vec![one]);
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        out.push(
            serde_json::from_str(line).map_err(|e| bad(format!("line {} is not a signed checkpoint: {e}", i + 1)))?,
        );
    }
    Ok(out)
}

/// What `vigil audit verify` found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LedgerReport {
    /// `ok` (no problem, and the log extends every witnessed checkpoint), `UNANCHORED` (no
    /// problem, but only checkpoints kept in the same store were checked: a rewrite that also
    /// replaced them would pass) or `FAIL`.
    pub status: String,
    pub entries: u64,
    pub audit_entries: u64,
    pub evidence_entries: u64,
    pub custody_entries: u64,
    pub checkpoints: usize,
    /// Checkpoints from a witness file kept outside the store that the log was checked against.
    pub witnessed: usize,
    /// The largest witnessed size the log was found to extend (0: none).
    pub anchored_size: u64,
    pub root_hex: String,
    pub key_id: String,
    pub passed: Vec<String>,
    pub problems: Vec<String>,
}

/// [`LedgerReport::status`] values.
pub const STATUS_OK: &str = "ok";
pub const STATUS_UNANCHORED: &str = "UNANCHORED";
pub const STATUS_FAIL: &str = "FAIL";

impl LedgerReport {
    /// No problem found (the log may still be unanchored: see [`LedgerReport::anchored`]).
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// Checked against at least one witnessed checkpoint.
    pub fn anchored(&self) -> bool {
        self.witnessed > 0
    }

    /// Sets [`LedgerReport::status`] from the problems and the witness (again after adding
    /// problems, as the vault's re-hash does).
    pub fn set_status(&mut self) {
        self.status = if !self.ok() {
            STATUS_FAIL
        } else if self.anchored() {
            STATUS_OK
        } else {
            STATUS_UNANCHORED
        }
        .to_string();
    }
}

/// Recomputes the tree from the stored entries and checks it against every signed
/// checkpoint: a checkpoint whose size the log no longer reaches means entries were removed;
/// a root that differs means an entry at or before that size was changed. Checkpoints in the
/// store prove nothing against whoever can rewrite the store: the report is `UNANCHORED`
/// unless [`verify_with_witness`] is given checkpoints kept elsewhere.
pub fn verify(store: &dyn StateStore, public_key_hex: &str) -> Result<LedgerReport> {
    verify_with_witness(store, public_key_hex, None)
}

/// [`verify`], and the log checked against every checkpoint of a witness file kept outside the
/// store: each must be signed by the pinned key, within the log (not truncated away), its root
/// reproduced by the log's first `size` entries (not rewritten), and still in the store.
pub fn verify_with_witness(
    store: &dyn StateStore,
    public_key_hex: &str,
    witness: Option<&[SignedCheckpoint]>,
) -> Result<LedgerReport> {
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
    let n = ledger.tree.len();
    let cps = checkpoints(store)?;
    r.checkpoints = cps.len();
    let mut good_up_to = 0u64;
    for c in &cps {
        let size = c.checkpoint.size;
        if let Err(e) = verify_checkpoint(c, public_key_hex) {
            r.problems.push(format!("checkpoint of size {size}: {e}"));
            continue;
        }
        if size > n {
            r.problems.push(format!(
                "checkpoint of size {size} was signed but the log now holds {n} entries: entries after seq {n} were removed"
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
    // The stored frontier: written after its checkpoint, never beyond the latest one.
    let latest = cps.last().map_or(0, |c| c.checkpoint.size);
    if let Some(top) = store.frontier_at_most(u64::MAX)? {
        if top.size > latest {
            r.problems.push(format!(
                "the ledger's frontier of size {} is stored but the latest signed checkpoint is of size {latest}: signed checkpoints were removed from the store",
                top.size
            ));
        }
        if top.size <= n {
            match frontier_of(&top) {
                Ok(f) if ledger.tree.root_at(top.size).is_ok_and(|root| root == f.root()) => {}
                Ok(_) => r.problems.push(format!(
                    "the stored frontier of size {} does not match the log's first {} entries: an entry with seq ..={} was changed",
                    top.size, top.size, top.size
                )),
                Err(e) => r.problems.push(e.to_string()),
            }
        }
    }
    if r.problems.is_empty() {
        r.passed.push(format!("{} entries hash to {} signed checkpoints in the store", r.entries, r.checkpoints));
    }
    if let Some(witness) = witness {
        check_witness(&mut r, &ledger, &cps, public_key_hex, witness);
    }
    r.set_status();
    Ok(r)
}

fn check_witness(
    r: &mut LedgerReport,
    ledger: &Ledger,
    stored: &[SignedCheckpoint],
    public_key_hex: &str,
    witness: &[SignedCheckpoint],
) {
    let n = ledger.tree.len();
    if witness.is_empty() {
        r.problems.push("the witness holds no checkpoint".into());
        return;
    }
    let before = r.problems.len();
    for w in witness {
        let size = w.checkpoint.size;
        if let Err(e) = verify_checkpoint(w, public_key_hex) {
            r.problems.push(format!("witnessed checkpoint of size {size}: {e}"));
            continue;
        }
        if size > n {
            r.problems.push(format!(
                "witnessed checkpoint of size {size} (signed at {}) is missing from the log: the log holds {n} entries, so entries after seq {n} were removed (truncated)",
                w.checkpoint.time_ms
            ));
            continue;
        }
        let root = ledger.tree.root_at(size).map(hex::encode).unwrap_or_default();
        if root != w.checkpoint.root_hex {
            r.problems.push(format!(
                "the log contradicts the witnessed checkpoint of size {size} (signed at {}): its first {size} entries hash to {root}, the witness holds {}: entries with seq ..={size} were rewritten",
                w.checkpoint.time_ms, w.checkpoint.root_hex
            ));
            continue;
        }
        match stored.iter().find(|c| c.checkpoint.size == size) {
            None => {
                r.problems.push(format!(
                    "witnessed checkpoint of size {size} is missing from the store's checkpoints: signed checkpoints were removed"
                ));
                continue;
            }
            Some(c) if c.checkpoint.root_hex != w.checkpoint.root_hex => {
                r.problems.push(format!(
                    "the store's checkpoint of size {size} has root {}, the witness holds {}: the store's checkpoints were replaced",
                    c.checkpoint.root_hex, w.checkpoint.root_hex
                ));
                continue;
            }
            Some(_) => {}
        }
        r.witnessed += 1;
        r.anchored_size = r.anchored_size.max(size);
    }
    if r.problems.len() == before {
        r.passed.push(format!(
            "the log extends all {} witnessed checkpoints (the largest of size {})",
            r.witnessed, r.anchored_size
        ));
        if n > r.anchored_size {
            r.passed.push(format!(
                "entries {}..={n} are after the last witnessed checkpoint: only the store's checkpoints cover them (refresh the witness with `vigil audit witness --out <file>`)",
                r.anchored_size + 1
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use vigil_store::SqliteStore;

    use super::*;

    fn append(store: &mut SqliteStore, n: u64, tag: u64) {
        let entries: Vec<AuditEntry> = (0..n)
            .map(|i| AuditEntry::new(1_000 + i as i64, "alice", "case.note", &format!("CASE-{tag}-{i}"), "ok", ""))
            .collect();
        store.append_audit(&entries).unwrap();
    }

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    /// A store that records the `seq` of every entry the signer reads.
    struct Counting<'a> {
        inner: &'a mut SqliteStore,
        read: RefCell<Vec<i64>>,
    }

    impl LedgerStore for Counting<'_> {
        fn ledger_entries(&self, from_seq: i64, limit: u64) -> vigil_store::Result<Vec<AuditEntry>> {
            let out = self.inner.audit_from(from_seq, limit)?;
            self.read.borrow_mut().extend(out.iter().map(|e| e.seq));
            Ok(out)
        }
        fn ledger_len(&self) -> vigil_store::Result<u64> {
            self.inner.audit_len()
        }
        fn ledger_latest_checkpoint(&self) -> vigil_store::Result<Option<CheckpointRow>> {
            self.inner.latest_checkpoint()
        }
        fn ledger_put_checkpoint(&mut self, c: &CheckpointRow) -> vigil_store::Result<()> {
            self.inner.put_checkpoint(c)
        }
        fn ledger_put_frontier(&mut self, f: &FrontierRow) -> vigil_store::Result<()> {
            self.inner.put_frontier(f)
        }
        fn ledger_frontier_at_most(&self, size: u64) -> vigil_store::Result<Option<FrontierRow>> {
            self.inner.frontier_at_most(size)
        }
    }

    fn counting(store: &mut SqliteStore) -> Counting<'_> {
        Counting { inner: store, read: RefCell::new(Vec::new()) }
    }

    #[test]
    fn incremental_heads_equal_the_full_recomputation_over_many_appends() {
        let mut store = SqliteStore::in_memory().unwrap();
        let key = key();
        // A fixed linear congruential generator: random batch sizes, reproducibly.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = |m: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % m
        };
        for round in 0..120u64 {
            // Batches of 0 (nothing new to sign), 1, powers of two and odd sizes.
            let batch = match next(4) {
                0 => 0,
                1 => 1 << next(7),
                _ => next(90),
            };
            append(&mut store, batch, round);
            let signed = if round % 17 == 16 {
                // Now and then the full path (as a packet export signs), in between.
                let l = load(&store).unwrap();
                let cp = checkpoint(&mut store, &l, &key, round as i64).unwrap();
                Signed { new: true, checkpoint: cp }
            } else {
                sign_incremental(&mut store, &key, round as i64).unwrap()
            };
            let full = load(&store).unwrap();
            assert_eq!(signed.checkpoint.checkpoint.size, full.tree.len(), "round {round}");
            assert_eq!(signed.checkpoint.checkpoint.root_hex, hex::encode(full.root()), "round {round}");
            verify_checkpoint(&signed.checkpoint, &key.public_key_hex()).unwrap();
            if !full.tree.is_empty() {
                let f = store.frontier_at_most(u64::MAX).unwrap().unwrap();
                assert_eq!(f.size, full.tree.len());
                assert_eq!(frontier_of(&f).unwrap().root(), full.root());
            }
        }
        let r = verify(&store, &key.public_key_hex()).unwrap();
        assert!(r.ok(), "{:#?}", r.problems);
        assert!(r.entries > 1_000, "{}", r.entries);
        // Only checkpoints kept in the same store were checked: not "ok".
        assert_eq!(r.status, STATUS_UNANCHORED);
    }

    #[test]
    fn the_incremental_path_reads_only_the_entries_after_the_latest_checkpoint() {
        let mut store = SqliteStore::in_memory().unwrap();
        let key = key();
        append(&mut store, 1_000, 0);
        // A checkpoint signed before frontiers were kept (no frontier beside it): the first
        // incremental signature rebuilds the frontier once from the entries it covers.
        let l = load(&store).unwrap();
        let old = key.sign(&Checkpoint::new(origin(&key), 1_000, &l.root(), 1));
        store
            .put_checkpoint(&CheckpointRow { size: 1_000, time_ms: 1, json: serde_json::to_string(&old).unwrap() })
            .unwrap();
        append(&mut store, 5, 1);
        let mut c = counting(&mut store);
        let s = sign_incremental(&mut c, &key, 2).unwrap();
        assert_eq!(s.checkpoint.checkpoint.size, 1_005);
        assert_eq!(c.read.borrow().clone(), (1..=1_005).collect::<Vec<i64>>());

        // From now on: only the new entries, whatever the log's length.
        for (round, batch) in [37u64, 1, 0, 256, 3].into_iter().enumerate() {
            let before = store.audit_len().unwrap() as i64;
            append(&mut store, batch, 10 + round as u64);
            let mut c = counting(&mut store);
            let s = sign_incremental(&mut c, &key, 10 + round as i64).unwrap();
            assert_eq!(
                c.read.borrow().clone(),
                (before + 1..=before + batch as i64).collect::<Vec<i64>>(),
                "batch {batch}: only the entries after seq {before} are read"
            );
            assert_eq!(s.new, batch > 0);
            assert_eq!(s.checkpoint.checkpoint.root_hex, hex::encode(load(&store).unwrap().root()));
        }
    }

    #[test]
    fn signing_refuses_a_log_that_does_not_reproduce_the_latest_checkpoint() {
        let mut store = SqliteStore::in_memory().unwrap();
        let key = key();
        append(&mut store, 12, 0);
        // A checkpoint of size 12 whose root the log does not give (no frontier beside it).
        let wrong = [9u8; 32];
        let forged = key.sign(&Checkpoint::new(origin(&key), 12, &wrong, 1));
        store
            .put_checkpoint(&CheckpointRow { size: 12, time_ms: 1, json: serde_json::to_string(&forged).unwrap() })
            .unwrap();
        append(&mut store, 3, 1);
        let real = hex::encode(load(&store).unwrap().tree.root_at(12).unwrap());
        let e = sign_incremental(&mut store, &key, 2).unwrap_err().to_string();
        assert!(e.contains("refused") && e.contains("at size 12"), "{e}");
        assert!(e.contains(&hex::encode(wrong)) && e.contains(&real), "both roots are named: {e}");
        let l = load(&store).unwrap();
        let e = checkpoint(&mut store, &l, &key, 3).unwrap_err().to_string();
        assert!(e.contains("at size 12") && e.contains(&hex::encode(wrong)) && e.contains(&real), "{e}");
        // Nothing was signed over it.
        assert_eq!(store.latest_checkpoint().unwrap().unwrap().size, 12);
        assert!(store.frontier_at_most(u64::MAX).unwrap().is_none());
    }

    #[test]
    fn witness_files_are_appended_without_duplicates_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let w = dir.path().join("sub").join("witness.jsonl");
        let mut store = SqliteStore::in_memory().unwrap();
        let key = key();
        append(&mut store, 3, 0);
        let a = sign_incremental(&mut store, &key, 1).unwrap().checkpoint;
        append(&mut store, 3, 1);
        let b = sign_incremental(&mut store, &key, 2).unwrap().checkpoint;
        assert_eq!(append_witness(&w, std::slice::from_ref(&a)).unwrap(), 1);
        assert_eq!(append_witness(&w, &[a.clone(), b.clone(), b.clone()]).unwrap(), 1);
        let back = read_witness(&w).unwrap();
        assert_eq!(back.iter().map(|c| c.checkpoint.size).collect::<Vec<_>>(), vec![3, 6]);
        // `vigil audit checkpoint --json` output (one pretty document) reads as a witness too.
        let one = dir.path().join("one.json");
        std::fs::write(&one, serde_json::to_string_pretty(&b).unwrap()).unwrap();
        assert_eq!(read_witness(&one).unwrap()[0].checkpoint.size, 6);
        std::fs::write(&one, "{not json}\n").unwrap();
        assert!(read_witness(&one).is_err());
        let r = verify_with_witness(&store, &key.public_key_hex(), Some(&back)).unwrap();
        assert_eq!((r.status.as_str(), r.witnessed, r.anchored_size), (STATUS_OK, 2, 6), "{:#?}", r.problems);
        // Signed by another key: refused.
        let other = SigningKey::from_bytes(&[8u8; 32]).sign(&b.checkpoint);
        let r = verify_with_witness(&store, &key.public_key_hex(), Some(&[other])).unwrap();
        assert_eq!(r.status, STATUS_FAIL);
        let r = verify_with_witness(&store, &key.public_key_hex(), Some(&[])).unwrap();
        assert!(r.problems.iter().any(|p| p.contains("holds no checkpoint")), "{:#?}", r.problems);
    }
}

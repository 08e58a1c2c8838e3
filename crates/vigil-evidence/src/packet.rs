//! Incident packets: a zip an auditor verifies offline with nothing but the packet and the
//! Vigil public key.
//!
//! Layout (`vigil-packet/1`):
//!
//! * every content file (logs, CSVs, the report …) plus `manifest.json`, which names each
//!   file's SHA-256, size, source, collector, time window and, for logs, the query and record
//!   count that show the population is complete;
//! * `proofs/entries.jsonl`: the ledger entries the packet relies on, each with its leaf
//!   index and its inclusion proof against the packet's checkpoint;
//! * `proofs/checkpoint.json`: the signed checkpoint (tree head) those proofs end in;
//! * `proofs/consistency.jsonl`: for each earlier signed checkpoint, a consistency proof to
//!   this one, so a reader holding an older packet can tell whether history was rewritten;
//! * `SHA256SUMS`: `sha256sum -c` format over every file but itself and its signature;
//! * `SHA256SUMS.sig`: an Ed25519 signature over [`SIGNATURE_CONTEXT`] + the `SHA256SUMS` bytes.
//!
//! [`verify_packet`] checks all of it and names every problem it finds.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};

use ed25519_dalek::{Signature, Signer, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::canonical_json;
use crate::checkpoint::{SignedCheckpoint, SigningKey, key_fingerprint, key_id, verify_checkpoint};
use crate::merkle::{Hash, leaf_hash, verify_consistency, verify_inclusion};

/// The packet format this module writes and reads.
pub const PACKET_FORMAT: &str = "vigil-packet/1";
/// Prepended to the `SHA256SUMS` bytes before signing, so a packet signature can never be
/// replayed as a signature over anything else.
pub const SIGNATURE_CONTEXT: &str = "vigil-packet v1 SHA256SUMS\n";
/// Files the packet always has.
pub const MANIFEST: &str = "manifest.json";
pub const SUMS: &str = "SHA256SUMS";
pub const SUMS_SIG: &str = "SHA256SUMS.sig";
pub const ENTRIES: &str = "proofs/entries.jsonl";
pub const CHECKPOINT: &str = "proofs/checkpoint.json";
pub const CONSISTENCY: &str = "proofs/consistency.jsonl";

/// Bounds on what the verifier will read: a packet is hostile input until verified.
const MAX_FILES: usize = 10_000;
const MAX_FILE_BYTES: u64 = 2 << 30;
const MAX_TOTAL_BYTES: u64 = 8 << 30;

/// One file as the manifest describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub path: String,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub description: String,
    /// Where the content came from (`lake`, `store:case`, `ledger` …).
    pub source: String,
    /// What collected it (`vigil <version> case export`).
    pub collector: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_ms: Option<i64>,
    /// The query that selected the records, for logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// A count query over the same population, run separately; its answer must equal
    /// `record_count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_query: Option<String>,
    /// Records (lines for JSON lines, rows after the header for CSV).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_count: Option<u64>,
}

/// The ledger part of the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestLedger {
    pub origin: String,
    pub key_id: String,
    pub public_key_hex: String,
    pub tree_size: u64,
    pub root_hex: String,
    /// Leaf indexes of the entries in `proofs/entries.jsonl`, in order.
    pub entry_indexes: Vec<u64>,
    /// Sizes of the earlier checkpoints in `proofs/consistency.jsonl`.
    pub earlier_checkpoints: Vec<u64>,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub case_id: String,
    pub title: String,
    pub generated_at_ms: i64,
    pub generated_by: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub files: Vec<ManifestFile>,
    pub ledger: ManifestLedger,
    /// Controls the packet is evidence for (`SOC2:CC7.3` …).
    #[serde(default)]
    pub controls: Vec<String>,
}

/// One line of `proofs/entries.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvenEntry {
    pub index: u64,
    /// The entry as a JSON object; its leaf is the RFC 8785 canonical form of this value.
    pub entry: Value,
    pub inclusion: Vec<String>,
}

/// One line of `proofs/consistency.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsistencyLine {
    pub from: SignedCheckpoint,
    pub proof: Vec<String>,
}

/// The detached signature file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SumsSignature {
    pub algorithm: String,
    pub key_id: String,
    pub public_key_hex: String,
    pub signature_hex: String,
}

/// Why a packet could not be written.
#[derive(Debug, Error)]
pub enum PacketError {
    #[error("packet file {0:?}: {1}")]
    BadPath(String, &'static str),
    #[error("packet file {0} added twice")]
    Duplicate(String),
    #[error("writing the packet: {0}")]
    Io(String),
}

/// A content file to put in a packet, with what the manifest says about it.
#[derive(Debug, Clone)]
pub struct PacketFile {
    pub meta: ManifestFile,
    pub bytes: Vec<u8>,
}

impl PacketFile {
    /// A file with its hash and size filled in from `bytes`.
    pub fn new(path: &str, media_type: &str, description: &str, source: &str, collector: &str, bytes: Vec<u8>) -> Self {
        let meta = ManifestFile {
            path: path.to_string(),
            sha256: sha256_hex(&bytes),
            size: bytes.len() as u64,
            media_type: media_type.into(),
            description: description.into(),
            source: source.into(),
            collector: collector.into(),
            from_ms: None,
            to_ms: None,
            query: None,
            count_query: None,
            record_count: None,
        };
        Self { meta, bytes }
    }

    pub fn window(mut self, from_ms: i64, to_ms: i64) -> Self {
        self.meta.from_ms = Some(from_ms);
        self.meta.to_ms = Some(to_ms);
        self
    }

    pub fn records(mut self, n: u64) -> Self {
        self.meta.record_count = Some(n);
        self
    }

    pub fn query(mut self, query: &str, count_query: &str) -> Self {
        self.meta.query = Some(query.into());
        self.meta.count_query = Some(count_query.into());
        self
    }
}

/// Lowercase hex SHA-256. The offline verifier keeps its own (two lines over `sha2`) so that it
/// links nothing of Vigil's beyond this crate.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn check_path(p: &str) -> Result<(), PacketError> {
    if p.is_empty()
        || p.starts_with('/')
        || p.contains('\\')
        || p.split('/').any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(PacketError::BadPath(p.into(), "must be a relative path without `.`, `..` or empty parts"));
    }
    if p.chars().any(|c| c.is_control()) {
        return Err(PacketError::BadPath(p.into(), "has control characters"));
    }
    if [SUMS, SUMS_SIG, MANIFEST].contains(&p) {
        return Err(PacketError::BadPath(p.into(), "is written by the packet itself"));
    }
    Ok(())
}

/// The signed message for a `SHA256SUMS` file.
pub fn signature_message(sums: &[u8]) -> Vec<u8> {
    let mut m = SIGNATURE_CONTEXT.as_bytes().to_vec();
    m.extend_from_slice(sums);
    m
}

/// Writes a packet: the content files, the proofs, the manifest, `SHA256SUMS` and its signature.
/// `manifest.files` is filled from `files` (and the proof files); the caller fills the rest.
pub fn write_packet(
    mut manifest: Manifest,
    files: Vec<PacketFile>,
    entries: &[ProvenEntry],
    checkpoint: &SignedCheckpoint,
    consistency: &[ConsistencyLine],
    key: &SigningKey,
) -> Result<Vec<u8>, PacketError> {
    let mut all: Vec<PacketFile> = files;
    let collector = manifest.generated_by.clone();
    let n_entries = entries.len() as u64;
    all.push(
        PacketFile::new(
            ENTRIES,
            "application/x-ndjson",
            "ledger entries this packet relies on, each with its inclusion proof",
            "ledger",
            &collector,
            jsonl(entries)?,
        )
        .records(n_entries),
    );
    all.push(PacketFile::new(
        CHECKPOINT,
        "application/json",
        "signed checkpoint of the ledger that the inclusion proofs end in",
        "ledger",
        &collector,
        serde_json::to_vec_pretty(checkpoint).map_err(|e| PacketError::Io(e.to_string()))?,
    ));
    let n_cons = consistency.len() as u64;
    all.push(
        PacketFile::new(
            CONSISTENCY,
            "application/x-ndjson",
            "consistency proofs from every earlier checkpoint to this one",
            "ledger",
            &collector,
            jsonl(consistency)?,
        )
        .records(n_cons),
    );
    let mut seen = BTreeSet::new();
    for f in &all {
        check_path(&f.meta.path)?;
        if !seen.insert(f.meta.path.clone()) {
            return Err(PacketError::Duplicate(f.meta.path.clone()));
        }
    }
    manifest.format = PACKET_FORMAT.into();
    manifest.files = all.iter().map(|f| f.meta.clone()).collect();
    manifest.ledger.entry_indexes = entries.iter().map(|e| e.index).collect();
    manifest.ledger.earlier_checkpoints = consistency.iter().map(|c| c.from.checkpoint.size).collect();
    manifest.ledger.tree_size = checkpoint.checkpoint.size;
    manifest.ledger.root_hex = checkpoint.checkpoint.root_hex.clone();
    manifest.ledger.origin = checkpoint.checkpoint.origin.clone();
    manifest.ledger.key_id = key.key_id();
    manifest.ledger.public_key_hex = key.public_key_hex();
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| PacketError::Io(e.to_string()))?;
    all.push(PacketFile::new(MANIFEST, "application/json", "this manifest", "packet", &collector, manifest_bytes));

    let mut sums = String::new();
    for f in &all {
        sums.push_str(&format!("{}  {}\n", f.meta.sha256, f.meta.path));
    }
    let signature = key.sign_bytes(&signature_message(sums.as_bytes()));
    let sig = SumsSignature {
        algorithm: "ed25519".into(),
        key_id: key.key_id(),
        public_key_hex: key.public_key_hex(),
        signature_hex: hex::encode(signature),
    };
    let sig_bytes = serde_json::to_vec_pretty(&sig).map_err(|e| PacketError::Io(e.to_string()))?;

    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), PacketError> {
        zw.start_file(name, opts).map_err(|e| PacketError::Io(e.to_string()))?;
        zw.write_all(bytes).map_err(|e| PacketError::Io(e.to_string()))
    };
    for f in &all {
        put(&f.meta.path, &f.bytes)?;
    }
    put(SUMS, sums.as_bytes())?;
    put(SUMS_SIG, &sig_bytes)?;
    let cursor = zw.finish().map_err(|e| PacketError::Io(e.to_string()))?;
    Ok(cursor.into_inner())
}

/// One JSON document per line.
fn jsonl<T: Serialize>(items: &[T]) -> Result<Vec<u8>, PacketError> {
    let mut out = Vec::new();
    for i in items {
        serde_json::to_writer(&mut out, i).map_err(|e| PacketError::Io(e.to_string()))?;
        out.push(b'\n');
    }
    Ok(out)
}

/// What verification found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub case_id: String,
    pub files: usize,
    pub entries: usize,
    pub tree_size: u64,
    pub root_hex: String,
    pub key_id: String,
    /// The [`key_fingerprint`] of the key the packet was checked with.
    pub key_fingerprint: String,
    /// Whether the reader pinned the key (by the key itself or its fingerprint). A packet whose
    /// key is not pinned never verifies: anyone can sign a packet with a key of their own.
    pub key_pinned: bool,
    /// Each check that passed, in order.
    pub passed: Vec<String>,
    /// Each problem, naming what is wrong and where. Empty when the packet verifies.
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The key a reader trusts packets to be signed with, from a channel other than the packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedKey {
    /// The Ed25519 public key itself, as 64 hex digits (`vigil audit public-key`).
    PublicKey(String),
    /// The key's [`key_fingerprint`] (64 hex digits; `sha256:` prefix and `:` separators
    /// allowed); the packet's own key is used when its fingerprint matches.
    Fingerprint(String),
}

/// What an unpinned packet is told: its signature proves only that someone holding *some* key
/// signed it.
pub const UNPINNED_HINT: &str = "pin the organisation's key with --public-key or --key-fingerprint";

/// Verifies a packet offline with the key the reader trusts (`public_key_hex`, from
/// `vigil audit public-key`). Without one it fails closed: the report names the packet's key
/// fingerprint as unknown. `known` are checkpoints the reader already holds (from earlier
/// packets): each must be consistent with this packet's checkpoint, or the log forked.
pub fn verify_packet(bytes: &[u8], public_key_hex: Option<&str>, known: &[SignedCheckpoint]) -> VerifyReport {
    let trusted = public_key_hex.map(|k| TrustedKey::PublicKey(k.to_string()));
    verify_packet_trusting(bytes, trusted.as_ref(), known)
}

/// Normalizes a fingerprint as typed (`sha256:` prefix, `:` or space separators, any case).
fn normalize_fingerprint(s: &str) -> String {
    let s = s.trim();
    let s = s.strip_prefix("sha256:").or_else(|| s.strip_prefix("SHA256:")).unwrap_or(s);
    s.chars().filter(|c| *c != ':' && !c.is_whitespace()).collect::<String>().to_ascii_lowercase()
}

/// [`verify_packet`] with the key pinned by value or by fingerprint. `None` fails closed.
pub fn verify_packet_trusting(bytes: &[u8], trusted: Option<&TrustedKey>, known: &[SignedCheckpoint]) -> VerifyReport {
    let mut r = VerifyReport::default();
    let files = match read_zip(bytes) {
        Ok(f) => f,
        Err(e) => {
            r.problems.push(e);
            return r;
        }
    };
    r.files = files.len();
    r.passed.push(format!("packet opened: {} files", files.len()));

    // 1. SHA256SUMS and the signature over it.
    let Some(sums) = files.get(SUMS) else {
        r.problems.push(format!("{SUMS} is missing"));
        return r;
    };
    let listed = match parse_sums(sums) {
        Ok(l) => l,
        Err(e) => {
            r.problems.push(e);
            return r;
        }
    };
    let mut hashes_ok = true;
    for (path, want) in &listed {
        match files.get(path) {
            None => {
                hashes_ok = false;
                r.problems.push(format!("{SUMS} lists {path} but the packet does not have it (file dropped?)"));
            }
            Some(content) => {
                let got = sha256_hex(content);
                if &got != want {
                    hashes_ok = false;
                    r.problems.push(format!("{path}: SHA-256 mismatch ({SUMS} says {want}, the content hashes to {got}) — the file was changed"));
                }
            }
        }
    }
    for path in files.keys() {
        if path != SUMS && path != SUMS_SIG && !listed.contains_key(path) {
            hashes_ok = false;
            r.problems.push(format!("{path} is in the packet but not in {SUMS} (file added?)"));
        }
    }
    if hashes_ok {
        r.passed.push(format!("{SUMS}: all {} files match", listed.len()));
    }
    let sig: Option<SumsSignature> = match files.get(SUMS_SIG).map(|b| serde_json::from_slice(b)) {
        None => {
            r.problems.push(format!("{SUMS_SIG} is missing"));
            None
        }
        Some(Err(e)) => {
            r.problems.push(format!("{SUMS_SIG} is not valid JSON: {e}"));
            None
        }
        Some(Ok(s)) => Some(s),
    };
    let packet_key = sig.as_ref().map(|s| s.public_key_hex.trim().to_ascii_lowercase()).unwrap_or_default();
    let packet_fp = parse_key(&packet_key).map(|(vk, _)| key_fingerprint(&vk.to_bytes())).ok();
    let mut unpinned = false;
    let key_hex = match trusted {
        Some(TrustedKey::PublicKey(k)) => {
            r.key_pinned = true;
            k.trim().to_ascii_lowercase()
        }
        Some(TrustedKey::Fingerprint(f)) => {
            let want = normalize_fingerprint(f);
            if want.len() != 64 || !want.bytes().all(|b| b.is_ascii_hexdigit()) {
                r.problems.push(format!(
                    "the pinned key fingerprint {f:?} is not 64 hex digits (SHA-256 of the public key, from `vigil audit public-key`)"
                ));
            } else if packet_fp.as_deref() == Some(want.as_str()) {
                r.key_pinned = true;
                r.passed.push(format!("the packet's key has the pinned fingerprint {want}"));
            } else {
                r.problems.push(format!(
                    "the packet is signed with key {} but the pinned fingerprint is {want} (signed by someone else?)",
                    packet_fp.as_deref().unwrap_or("(none)")
                ));
            }
            packet_key.clone()
        }
        None => {
            unpinned = true;
            packet_key.clone()
        }
    };
    let key = parse_key(&key_hex);
    match &key {
        Ok((vk, kid)) => {
            r.key_id = kid.clone();
            r.key_fingerprint = key_fingerprint(&vk.to_bytes());
        }
        Err(e) => r.problems.push(e.clone()),
    }
    if unpinned {
        r.problems.push(format!(
            "signature valid for an unknown key {}: {UNPINNED_HINT}",
            packet_fp.as_deref().unwrap_or("(the packet names no usable key)")
        ));
    }
    if let (Some(s), Ok((vk, kid))) = (&sig, &key) {
        if &s.key_id != kid {
            r.problems.push(format!(
                "{SUMS_SIG} names key {} but the key given is {kid} (signed by someone else?)",
                s.key_id
            ));
        }
        match hex::decode(&s.signature_hex).ok().and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok()) {
            None => r.problems.push(format!("{SUMS_SIG}: the signature is not 64 bytes of hex")),
            Some(b) => {
                let signature = Signature::from_bytes(&b);
                if vk.verify_strict(&signature_message(sums), &signature).is_ok() {
                    r.passed.push(format!("{SUMS_SIG}: Ed25519 signature verifies with key {kid}"));
                } else {
                    r.problems.push(format!(
                        "{SUMS_SIG}: the signature over {SUMS} does not verify with key {kid} ({SUMS} or the signature was changed)"
                    ));
                }
            }
        }
    }

    // 2. The manifest agrees with the files.
    let manifest: Manifest = match files.get(MANIFEST).map(|b| serde_json::from_slice::<Manifest>(b)) {
        None => {
            r.problems.push(format!("{MANIFEST} is missing"));
            return r;
        }
        Some(Err(e)) => {
            r.problems.push(format!("{MANIFEST} is not a {PACKET_FORMAT} manifest: {e}"));
            return r;
        }
        Some(Ok(m)) => m,
    };
    r.case_id = manifest.case_id.clone();
    if manifest.format != PACKET_FORMAT {
        r.problems.push(format!("{MANIFEST}: format {:?}, expected {PACKET_FORMAT}", manifest.format));
    }
    let mut manifest_ok = true;
    let mut described = BTreeSet::new();
    for f in &manifest.files {
        described.insert(f.path.clone());
        let Some(content) = files.get(&f.path) else {
            manifest_ok = false;
            r.problems.push(format!("{MANIFEST} describes {} but the packet does not have it", f.path));
            continue;
        };
        let got = sha256_hex(content);
        if got != f.sha256 {
            manifest_ok = false;
            r.problems.push(format!("{}: SHA-256 {got} differs from {MANIFEST}'s {}", f.path, f.sha256));
        }
        if content.len() as u64 != f.size {
            manifest_ok = false;
            r.problems.push(format!("{}: {} bytes, {MANIFEST} says {}", f.path, content.len(), f.size));
        }
        if let Some(n) = f.record_count {
            let got = count_records(&f.path, content);
            if got != n {
                manifest_ok = false;
                r.problems.push(format!(
                    "{}: {got} records, {MANIFEST} says {n} (records dropped, added or the file truncated)",
                    f.path
                ));
            }
        }
    }
    for path in files.keys() {
        if ![SUMS, SUMS_SIG, MANIFEST].contains(&path.as_str()) && !described.contains(path) {
            manifest_ok = false;
            r.problems.push(format!("{path} is in the packet but {MANIFEST} does not describe it"));
        }
    }
    if manifest_ok {
        r.passed
            .push(format!("{MANIFEST}: {} files with matching hashes, sizes and record counts", manifest.files.len()));
    }
    if let Ok((_, kid)) = &key
        && (&manifest.ledger.key_id != kid || manifest.ledger.public_key_hex != key_hex)
    {
        r.problems.push(format!("{MANIFEST} names ledger key {} but the key given is {kid}", manifest.ledger.key_id));
    }

    // 3. The checkpoint and the ledger entries.
    let checkpoint: SignedCheckpoint = match files.get(CHECKPOINT).map(|b| serde_json::from_slice(b)) {
        None => {
            r.problems.push(format!("{CHECKPOINT} is missing"));
            return r;
        }
        Some(Err(e)) => {
            r.problems.push(format!("{CHECKPOINT} is not a signed checkpoint: {e}"));
            return r;
        }
        Some(Ok(c)) => c,
    };
    r.tree_size = checkpoint.checkpoint.size;
    r.root_hex = checkpoint.checkpoint.root_hex.clone();
    if let Err(e) = verify_checkpoint(&checkpoint, &key_hex) {
        r.problems.push(format!("{CHECKPOINT}: {e}"));
    } else {
        r.passed.push(format!(
            "{CHECKPOINT}: signed tree head of {} entries, root {}",
            checkpoint.checkpoint.size, checkpoint.checkpoint.root_hex
        ));
    }
    if manifest.ledger.tree_size != checkpoint.checkpoint.size
        || manifest.ledger.root_hex != checkpoint.checkpoint.root_hex
    {
        r.problems.push(format!(
            "{MANIFEST} names tree size {} root {} but {CHECKPOINT} has size {} root {}",
            manifest.ledger.tree_size,
            manifest.ledger.root_hex,
            checkpoint.checkpoint.size,
            checkpoint.checkpoint.root_hex
        ));
    }
    let root = checkpoint.checkpoint.root().unwrap_or([0; 32]);
    let size = checkpoint.checkpoint.size;
    let entries_text = files.get(ENTRIES).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    if !files.contains_key(ENTRIES) {
        r.problems.push(format!("{ENTRIES} is missing"));
    }
    let mut indexes = Vec::new();
    let mut entries_ok = true;
    let mut last: Option<u64> = None;
    for (n, line) in entries_text.lines().enumerate() {
        let where_ = format!("{ENTRIES} line {}", n + 1);
        let e: ProvenEntry = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(err) => {
                entries_ok = false;
                r.problems.push(format!("{where_}: not a proven entry: {err}"));
                continue;
            }
        };
        indexes.push(e.index);
        if let Some(prev) = last
            && e.index <= prev
        {
            entries_ok = false;
            r.problems
                .push(format!("{where_}: entry index {} comes after {prev} (entries reordered or repeated)", e.index));
        }
        last = Some(e.index);
        if let Some(seq) = e.entry.get("seq").and_then(Value::as_u64)
            && seq != e.index + 1
        {
            entries_ok = false;
            r.problems.push(format!(
                "{where_}: entry seq {seq} does not sit at leaf index {} (seq must be index + 1)",
                e.index
            ));
        }
        let canonical = match canonical_json(&e.entry) {
            Ok(c) => c,
            Err(err) => {
                entries_ok = false;
                r.problems.push(format!("{where_}: entry cannot be canonicalized: {err}"));
                continue;
            }
        };
        let proof = match parse_hashes(&e.inclusion) {
            Ok(p) => p,
            Err(err) => {
                entries_ok = false;
                r.problems.push(format!("{where_}: inclusion proof: {err}"));
                continue;
            }
        };
        if let Err(err) = verify_inclusion(&leaf_hash(&canonical), e.index, size, &proof, &root) {
            entries_ok = false;
            r.problems.push(format!(
                "{where_}: ledger entry {} is not in the checkpointed log: {err} (entry or proof changed)",
                e.index
            ));
        }
    }
    r.entries = indexes.len();
    if indexes != manifest.ledger.entry_indexes {
        entries_ok = false;
        let want: BTreeSet<_> = manifest.ledger.entry_indexes.iter().collect();
        let got: BTreeSet<_> = indexes.iter().collect();
        let missing: Vec<_> = want.difference(&got).map(|i| i.to_string()).collect();
        let extra: Vec<_> = got.difference(&want).map(|i| i.to_string()).collect();
        r.problems.push(format!(
            "{ENTRIES} does not hold the entries {MANIFEST} lists (missing indexes [{}], unlisted [{}], or a different order)",
            missing.join(", "),
            extra.join(", ")
        ));
    }
    if entries_ok {
        r.passed.push(format!("{ENTRIES}: {} entries proven included in the checkpoint", indexes.len()));
    }

    // 4. Consistency with earlier checkpoints (in the packet, and those the reader holds).
    let cons_text = files.get(CONSISTENCY).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    let mut proofs: BTreeMap<u64, (SignedCheckpoint, Vec<Hash>)> = BTreeMap::new();
    let mut cons_ok = true;
    for (n, line) in cons_text.lines().enumerate() {
        let where_ = format!("{CONSISTENCY} line {}", n + 1);
        let c: ConsistencyLine = match serde_json::from_str(line) {
            Ok(c) => c,
            Err(err) => {
                cons_ok = false;
                r.problems.push(format!("{where_}: {err}"));
                continue;
            }
        };
        if let Err(err) = verify_checkpoint(&c.from, &key_hex) {
            cons_ok = false;
            r.problems.push(format!("{where_}: earlier checkpoint of size {}: {err}", c.from.checkpoint.size));
        }
        match (parse_hashes(&c.proof), c.from.checkpoint.root().map_err(|e| e.to_string())) {
            (Ok(p), Ok(old_root)) => {
                if let Err(err) = verify_consistency(c.from.checkpoint.size, size, &old_root, &root, &p) {
                    cons_ok = false;
                    r.problems.push(format!(
                        "{where_}: the log at size {} is not a prefix of this checkpoint: {err}",
                        c.from.checkpoint.size
                    ));
                }
                proofs.insert(c.from.checkpoint.size, (c.from, p));
            }
            (Err(err), _) | (_, Err(err)) => {
                cons_ok = false;
                r.problems.push(format!("{where_}: {err}"));
            }
        }
    }
    if cons_ok {
        r.passed.push(format!("{CONSISTENCY}: consistent with {} earlier checkpoints", proofs.len()));
    }
    for k in known {
        let ks = k.checkpoint.size;
        let label = format!("known checkpoint of size {ks} (root {})", k.checkpoint.root_hex);
        if let Err(err) = verify_checkpoint(k, &key_hex) {
            r.problems.push(format!("{label}: {err}"));
            continue;
        }
        if ks > size {
            r.problems.push(format!(
                "{label} is newer than this packet's checkpoint (size {size}); verify the newer packet instead"
            ));
            continue;
        }
        if ks == size {
            if k.checkpoint.root_hex != checkpoint.checkpoint.root_hex {
                r.problems.push(format!(
                    "{label}: forked log — same size, different root {}",
                    checkpoint.checkpoint.root_hex
                ));
            } else {
                r.passed.push(format!("{label}: same tree head"));
            }
            continue;
        }
        match proofs.get(&ks) {
            None => r.problems.push(format!("{label}: the packet carries no consistency proof from that size")),
            Some((inpacket, p)) => {
                let ok_root = k.checkpoint.root().and_then(|old| verify_consistency(ks, size, &old, &root, p));
                if inpacket.checkpoint.root_hex != k.checkpoint.root_hex || ok_root.is_err() {
                    r.problems.push(format!(
                        "{label}: forked log — this packet's history at size {ks} has root {}, not the one you hold",
                        inpacket.checkpoint.root_hex
                    ));
                } else {
                    r.passed.push(format!("{label}: consistent (history not rewritten)"));
                }
            }
        }
    }
    r
}

/// The signed checkpoint a packet carries (for a reader to hold and check later packets
/// against with `verify_packet`'s `known`), read with the verifier's bounds.
pub fn checkpoint_of(bytes: &[u8]) -> Result<SignedCheckpoint, String> {
    let files = read_zip(bytes)?;
    let text = files.get(CHECKPOINT).ok_or_else(|| format!("the packet has no {CHECKPOINT}"))?;
    serde_json::from_slice(text).map_err(|e| format!("{CHECKPOINT}: {e}"))
}

/// The names of the files in a packet (refusing hostile archives like the verifier does).
pub fn file_names(bytes: &[u8]) -> Result<Vec<String>, String> {
    Ok(read_zip(bytes)?.into_keys().collect())
}

fn parse_key(hex_str: &str) -> Result<(VerifyingKey, String), String> {
    let bytes = hex::decode(hex_str)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| format!("public key {hex_str:?} is not 32 bytes of hex"))?;
    let vk = VerifyingKey::from_bytes(&bytes).map_err(|e| format!("public key is not an Ed25519 point: {e}"))?;
    Ok((vk, key_id(&bytes)))
}

fn parse_hashes(hexes: &[String]) -> Result<Vec<Hash>, String> {
    hexes
        .iter()
        .map(|h| {
            hex::decode(h)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                .ok_or_else(|| format!("{h:?} is not a 32-byte hex hash"))
        })
        .collect()
}

/// Records in a file: lines for JSON lines, rows after the header for CSV (quoted newlines
/// respected), 1 otherwise.
fn count_records(path: &str, content: &[u8]) -> u64 {
    if path.ends_with(".csv") {
        let mut rows = 0u64;
        let mut in_quotes = false;
        let mut row_has_data = false;
        for &b in content {
            match b {
                b'"' => {
                    in_quotes = !in_quotes;
                    row_has_data = true;
                }
                b'\n' if !in_quotes => {
                    if row_has_data {
                        rows += 1;
                    }
                    row_has_data = false;
                }
                _ => row_has_data = true,
            }
        }
        if row_has_data {
            rows += 1;
        }
        rows.saturating_sub(1)
    } else {
        content.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count() as u64
    }
}

/// Parses `sha256sum` output: `<64 hex>  <path>` (or ` *<path>`) per line.
fn parse_sums(bytes: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{SUMS} is not UTF-8"))?;
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let bad = || format!("{SUMS} line {}: expected `<sha256>  <path>`, found {line:?}", n + 1);
        if line.len() < 67 {
            return Err(bad());
        }
        let (h, rest) = line.split_at(64);
        let path = rest.strip_prefix("  ").or_else(|| rest.strip_prefix(" *")).ok_or_else(bad)?;
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        if out.insert(path.to_string(), h.to_ascii_lowercase()).is_some() {
            return Err(format!("{SUMS} line {}: {path} listed twice", n + 1));
        }
    }
    Ok(out)
}

/// Reads every file of the zip, refusing hostile archives: odd names, duplicates, too many
/// files, files or a total beyond the bounds.
fn read_zip(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a zip packet: {e}"))?;
    if z.len() > MAX_FILES {
        return Err(format!("packet holds {} files, more than {MAX_FILES}", z.len()));
    }
    let mut out = BTreeMap::new();
    let mut total = 0u64;
    for i in 0..z.len() {
        let mut f = z.by_index(i).map_err(|e| format!("packet entry {i}: {e}"))?;
        if f.is_dir() {
            continue;
        }
        let name = f.name().map_err(|e| format!("packet entry {i}: bad name: {e}"))?.to_string();
        if name.starts_with('/') || name.contains('\\') || name.split('/').any(|s| s == "..") {
            return Err(format!("packet entry {name:?} has an unsafe path"));
        }
        let mut buf = Vec::new();
        let n = (&mut f)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| format!("packet entry {name}: cannot read: {e} (truncated or corrupt)"))?;
        if n as u64 > MAX_FILE_BYTES {
            return Err(format!("packet entry {name} is larger than {MAX_FILE_BYTES} bytes"));
        }
        total += n as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(format!("packet expands beyond {MAX_TOTAL_BYTES} bytes"));
        }
        if out.insert(name.clone(), buf).is_some() {
            return Err(format!("packet entry {name} appears twice"));
        }
    }
    Ok(out)
}

impl SigningKey {
    /// Signs arbitrary bytes (used for the packet's `SHA256SUMS`).
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.inner().sign(message).to_bytes()
    }
}

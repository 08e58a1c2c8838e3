//! Artifacts stored by SHA-256 with scope tags. There is no update or delete path: an
//! artifact leaves only when its retention has passed and no legal hold covers its case.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vigil_store::{AuditEntry, StateStore, VaultRow};

use crate::{Result, VaultError, sha256_hex};

/// What an artifact is evidence of.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// Framework ids (`SOC2`, `ISO27001` …).
    #[serde(default)]
    pub frameworks: Vec<String>,
    /// Control refs (`SOC2:CC7.3`).
    #[serde(default)]
    pub controls: Vec<String>,
    /// The period the artifact covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_ms: Option<i64>,
}

/// An artifact's description, kept with its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemMeta {
    pub name: String,
    pub media_type: String,
    /// `packet`, `artifact`, `report` …
    pub kind: String,
    pub scope: Scope,
    /// Where it came from and what collected it.
    pub source: String,
    pub collector: String,
    pub added_by: String,
    /// When retention lets it go; `None` keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain_until_ms: Option<i64>,
}

/// An artifact in the vault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaultItem {
    pub id: i64,
    pub sha256: String,
    pub size: u64,
    pub added_ms: i64,
    pub meta: ItemMeta,
    pub purged_ms: Option<i64>,
}

/// Where a blob lives: `<data-dir>/vault/sha256/<first two hex>/<hex>`.
pub fn blob_path(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir.join("vault").join("sha256").join(sha256.get(..2).unwrap_or("xx")).join(sha256)
}

fn valid_sha(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn write_blob(data_dir: &Path, sha: &str, bytes: &[u8]) -> Result<()> {
    let path = blob_path(data_dir, sha);
    if let Ok(existing) = fs::read(&path)
        && sha256_hex(&existing) == sha
    {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(data_dir);
    fs::create_dir_all(dir).map_err(|e| VaultError::io(dir, e))?;
    let tmp = dir.join(format!(".{sha}.tmp"));
    let mut f = fs::File::create(&tmp).map_err(|e| VaultError::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| VaultError::io(&tmp, e))?;
    f.sync_all().map_err(|e| VaultError::io(&tmp, e))?;
    drop(f);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(&tmp, fs::Permissions::from_mode(0o444));
    }
    fs::rename(&tmp, &path).map_err(|e| VaultError::io(&path, e))?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Stores an artifact: the blob by its hash (written, synced, renamed), then its index row and
/// an `evidence.add` ledger entry in one transaction.
pub fn put(
    store: &mut dyn StateStore,
    data_dir: &Path,
    bytes: &[u8],
    meta: &ItemMeta,
    now_ms: i64,
) -> Result<(VaultItem, AuditEntry)> {
    if meta.name.trim().is_empty() {
        return Err(VaultError::Invalid("an artifact needs a name".into()));
    }
    let sha = sha256_hex(bytes);
    write_blob(data_dir, &sha, bytes)?;
    let json = serde_json::to_string(meta).map_err(|e| VaultError::Invalid(e.to_string()))?;
    let detail = serde_json::json!({"sha256": sha, "size": bytes.len(), "name": meta.name, "kind": meta.kind, "scope": meta.scope})
        .to_string();
    let target = meta.scope.case_id.clone().unwrap_or_else(|| format!("sha256:{sha}"));
    let row =
        VaultRow { id: 0, sha256: sha.clone(), size: bytes.len() as u64, added_ms: now_ms, json, purged_ms: None };
    let entry = AuditEntry::new(now_ms, &meta.added_by, "evidence.add", &target, "ok", &detail);
    let (row, entries) = store.add_vault_item(&row, &[entry])?;
    let item =
        VaultItem { id: row.id, sha256: sha, size: row.size, added_ms: now_ms, meta: meta.clone(), purged_ms: None };
    let entry = entries.into_iter().next().ok_or_else(|| VaultError::Ledger("evidence.add was not appended".into()))?;
    Ok((item, entry))
}

/// Reads an artifact's bytes, checking them against the hash.
pub fn read(data_dir: &Path, sha256: &str) -> Result<Vec<u8>> {
    if !valid_sha(sha256) {
        return Err(VaultError::Invalid(format!("{sha256:?} is not a lowercase SHA-256")));
    }
    let path = blob_path(data_dir, sha256);
    let bytes = fs::read(&path).map_err(|e| VaultError::io(&path, e))?;
    let got = sha256_hex(&bytes);
    if got != sha256 {
        return Err(VaultError::Corrupt(format!("{}: content hashes to {got}, not {sha256}", path.display())));
    }
    Ok(bytes)
}

/// Every artifact in the index, oldest first.
pub fn items(store: &dyn StateStore) -> Result<Vec<VaultItem>> {
    store
        .vault_items()?
        .into_iter()
        .map(|r| {
            let meta: ItemMeta =
                serde_json::from_str(&r.json).map_err(|e| VaultError::Corrupt(format!("vault item {}: {e}", r.id)))?;
            Ok(VaultItem {
                id: r.id,
                sha256: r.sha256,
                size: r.size,
                added_ms: r.added_ms,
                meta,
                purged_ms: r.purged_ms,
            })
        })
        .collect()
}

/// Legal holds in force, by case, with who placed them and why. Holds are ledger entries
/// (`evidence.hold` / `evidence.release`), so their history is as tamper-evident as the rest.
pub fn holds(store: &dyn StateStore) -> Result<BTreeMap<String, AuditEntry>> {
    // Streamed in chunks: no tree, and only the holds are kept in memory.
    let mut out = BTreeMap::new();
    let mut entries = Vec::new();
    crate::ledger::for_each_chunk(store, |chunk| {
        entries.extend(chunk.into_iter().filter(|e| matches!(e.action.as_str(), "evidence.hold" | "evidence.release")))
    })?;
    for e in entries {
        match e.action.as_str() {
            "evidence.hold" if e.result == "ok" => {
                out.insert(e.target.clone(), e);
            }
            "evidence.release" if e.result == "ok" => {
                out.remove(&e.target);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Places (or releases) a legal hold on a case's evidence.
pub fn set_hold(
    store: &mut dyn StateStore,
    case_id: &str,
    place: bool,
    actor: &str,
    reason: &str,
    now_ms: i64,
) -> Result<()> {
    if reason.trim().len() < 8 {
        return Err(VaultError::Invalid("a legal hold needs a reason of at least 8 characters".into()));
    }
    let action = if place { "evidence.hold" } else { "evidence.release" };
    if !place && !holds(store)?.contains_key(case_id) {
        return Err(VaultError::Invalid(format!("no legal hold on {case_id}")));
    }
    store.append_audit(&[AuditEntry::new(now_ms, actor, action, case_id, "ok", reason)])?;
    Ok(())
}

/// What a retention run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PurgeReport {
    pub purged: Vec<String>,
    pub held: Vec<String>,
    pub kept: usize,
}

/// Purges artifacts whose retention has passed, unless a legal hold covers their case. The
/// index row stays (marked purged), the blob goes, and each purge is a ledger entry.
pub fn purge_expired(store: &mut dyn StateStore, data_dir: &Path, actor: &str, now_ms: i64) -> Result<PurgeReport> {
    let held = holds(store)?;
    let mut report = PurgeReport::default();
    for it in items(store)? {
        if it.purged_ms.is_some() {
            continue;
        }
        let due = it.meta.retain_until_ms.is_some_and(|t| t <= now_ms);
        if !due {
            report.kept += 1;
            continue;
        }
        if let Some(case) = &it.meta.scope.case_id
            && held.contains_key(case)
        {
            report.held.push(it.sha256.clone());
            continue;
        }
        // Another item may share the blob and still be retained.
        let shared = items(store)?.iter().any(|o| {
            o.id != it.id
                && o.sha256 == it.sha256
                && o.purged_ms.is_none()
                && o.meta.retain_until_ms.is_none_or(|t| t > now_ms)
        });
        let detail =
            serde_json::json!({"sha256": it.sha256, "name": it.meta.name, "retain_until_ms": it.meta.retain_until_ms})
                .to_string();
        store.purge_vault_item(
            it.id,
            now_ms,
            &[AuditEntry::new(now_ms, actor, "evidence.purge", &it.sha256, "ok", &detail)],
        )?;
        if !shared {
            let path = blob_path(data_dir, &it.sha256);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(VaultError::io(&path, e)),
            }
        }
        report.purged.push(it.sha256);
    }
    Ok(report)
}

/// Checks every artifact still held: the blob exists and hashes to its name.
pub fn verify_blobs(store: &dyn StateStore, data_dir: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for it in items(store)? {
        if it.purged_ms.is_some() {
            continue;
        }
        let path = blob_path(data_dir, &it.sha256);
        match fs::read(&path) {
            Err(e) => problems.push(format!("vault item {} ({}): blob {}: {e}", it.id, it.meta.name, path.display())),
            Ok(b) => {
                let got = sha256_hex(&b);
                if got != it.sha256 {
                    problems.push(format!(
                        "vault item {} ({}): blob hashes to {got}, not {} — it was changed on disk",
                        it.id, it.meta.name, it.sha256
                    ));
                }
            }
        }
    }
    Ok(problems)
}

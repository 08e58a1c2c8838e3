//! Evidence: a case's vault items and chain of custody, downloads, incident packets, artifacts
//! added by hand, legal holds, retention, the ledger's verification and checkpoints, and
//! compliance coverage. Every view and download of evidence is a custody event on the ledger,
//! refusals too.

use serde::Serialize;
use serde_json::json;
use vigil_auth::Permission;
use vigil_compliance::{Catalog, CoverageReport};
use vigil_store::{AuditEntry, StateStore};
use vigil_vault::ledger::{self, LedgerReport};
use vigil_vault::vault::{self, ItemMeta, PurgeReport, VaultItem};
use vigil_vault::{ExportOptions, Exported};

use crate::detection::DetectionConfig;
use crate::{App, AppError, Caller, Result};

/// A case's evidence: its vault items and its custody and evidence ledger entries.
#[derive(Debug, Clone, Serialize)]
pub struct CaseEvidence {
    pub case_id: String,
    pub items: Vec<VaultItem>,
    pub custody: Vec<AuditEntry>,
}

/// One artifact's bytes, checked against its hash, with what the vault knows of it.
#[derive(Debug, Clone)]
pub struct Download {
    pub item: VaultItem,
    pub bytes: Vec<u8>,
}

fn evidence_of(store: &dyn StateStore, case_id: &str) -> Result<CaseEvidence> {
    let items = vault::items(store)?.into_iter().filter(|i| i.meta.scope.case_id.as_deref() == Some(case_id)).collect();
    let custody = ledger::load(store)?
        .entries
        .into_iter()
        .filter(|e| e.target == case_id && ledger::entry_kind(&e.action) != "audit")
        .collect();
    Ok(CaseEvidence { case_id: case_id.to_string(), items, custody })
}

fn catalog_error(e: impl std::fmt::Display) -> AppError {
    AppError::Invalid(e.to_string())
}

impl App {
    /// Checks the caller may read case `id`'s evidence: a queue reader any case that exists; an
    /// auditor only a granted one (the view recorded as custody by the auditor portal).
    fn evidence_access(&self, caller: &Caller, id: &str) -> Result<bool> {
        if caller.can(Permission::ViewQueue) {
            vigil_queue::case(&self.store()?, id)?;
            Ok(false)
        } else {
            self.auditor_case(caller, id)?;
            Ok(true)
        }
    }

    /// A case's evidence and custody for a page that is itself the recorded view (the case page,
    /// whose request is on the log; the auditor's case page, recorded as `custody.view` when it
    /// opened the case): the same checks, no second entry.
    pub fn case_evidence_on_page(&self, caller: &Caller, id: &str) -> Result<CaseEvidence> {
        let store = self.store()?;
        let case = vigil_queue::case(&store, id)?;
        if !caller.can_see_case(&case.id, case.times.opened_ms, self.now_ms()) {
            return Err(AppError::NotGranted(format!("case {id} is not granted to you")));
        }
        evidence_of(&store, id)
    }

    /// A case's evidence and custody; the view is itself a custody event.
    pub fn case_evidence(&self, caller: &Caller, id: &str, via: &str) -> Result<CaseEvidence> {
        let recorded = self.evidence_access(caller, id)?;
        let mut store = self.store()?;
        let ev = evidence_of(&store, id)?;
        if !recorded {
            let detail = json!({"items": ev.items.len(), "via": via}).to_string();
            self.audit(&mut store, &AuditEntry::new(self.now_ms(), &caller.name(), "custody.view", id, "ok", &detail))?;
        }
        Ok(ev)
    }

    /// One of case `id`'s artifacts or packets by its SHA-256; the download is a custody event,
    /// and so is a refusal (an artifact that is not this case's evidence).
    pub fn download_evidence(&self, caller: &Caller, id: &str, sha256: &str, via: &str) -> Result<Download> {
        self.evidence_access(caller, id)?;
        let mut store = self.store()?;
        let now = self.now_ms();
        let item = vault::items(&store)?
            .into_iter()
            .find(|i| i.sha256 == sha256 && i.meta.scope.case_id.as_deref() == Some(id) && i.purged_ms.is_none());
        let Some(item) = item else {
            let detail = json!({"sha256": sha256, "via": via, "why": "not evidence of this case"}).to_string();
            self.audit(&mut store, &AuditEntry::new(now, &caller.name(), "custody.download", id, "denied", &detail))?;
            return Err(AppError::NotFound(format!("case {id} has no artifact {sha256}")));
        };
        let bytes = vault::read(self.dir().root(), sha256)?;
        let detail = json!({"sha256": sha256, "name": item.meta.name, "bytes": bytes.len(), "via": via}).to_string();
        self.audit(&mut store, &AuditEntry::new(now, &caller.name(), "custody.download", id, "ok", &detail))?;
        Ok(Download { item, bytes })
    }

    /// Any vault artifact by its SHA-256 (the evidence custodian's read: every artifact, not one
    /// case's); a custody event naming where it went.
    pub fn read_artifact(&self, caller: &Caller, sha256: &str, to: &str) -> Result<Download> {
        caller.require(Permission::ViewAudit, "custody.download")?;
        let mut store = self.store()?;
        let item = vault::items(&store)?
            .into_iter()
            .find(|i| i.sha256 == sha256)
            .ok_or_else(|| AppError::NotFound(format!("no vault artifact {sha256}")))?;
        let bytes = vault::read(self.dir().root(), sha256)?;
        let target = item.meta.scope.case_id.clone().unwrap_or_else(|| format!("sha256:{sha256}"));
        let detail = json!({"sha256": sha256, "via": "cli", "out": to}).to_string();
        self.audit(
            &mut store,
            &AuditEntry::new(self.now_ms(), &caller.name(), "custody.download", &target, "ok", &detail),
        )?;
        Ok(Download { item, bytes })
    }

    /// Exports case `id`'s incident packet into the vault (a custody event); the packet's bytes
    /// and what went into it.
    pub fn export_case(
        &self,
        caller: &Caller,
        id: &str,
        catalog: &Catalog,
        opts: &ExportOptions,
    ) -> Result<(Vec<u8>, Exported)> {
        caller.require(Permission::WorkCases, "custody.export")?;
        let _held = self.lock()?;
        let mut store = self.store()?;
        Ok(vigil_vault::export_case(&mut store, self.dir().root(), catalog, id, &caller.name(), self.now_ms(), opts)?)
    }

    /// Adds an artifact to the vault (`evidence.add` on the ledger).
    pub fn add_evidence(&self, caller: &Caller, bytes: &[u8], meta: &ItemMeta) -> Result<(VaultItem, AuditEntry)> {
        caller.require(Permission::WorkCases, "evidence.add")?;
        let mut store = self.store()?;
        Ok(vault::put(&mut store, self.dir().root(), bytes, meta, self.now_ms())?)
    }

    /// Vault items, of one case when named.
    pub fn evidence_items(&self, caller: &Caller, case: Option<&str>) -> Result<Vec<VaultItem>> {
        caller.require(Permission::ViewAudit, "read the vault")?;
        Ok(vault::items(&self.store()?)?
            .into_iter()
            .filter(|i| case.is_none() || i.meta.scope.case_id.as_deref() == case)
            .collect())
    }

    /// Places or releases a legal hold on a case's evidence.
    pub fn legal_hold(&self, caller: &Caller, case: &str, hold: bool, reason: &str) -> Result<()> {
        caller.require(Permission::ManageIdentity, if hold { "evidence.hold" } else { "evidence.release" })?;
        let mut store = self.store()?;
        Ok(vault::set_hold(&mut store, case, hold, &caller.name(), reason, self.now_ms())?)
    }

    /// Purges artifacts past their retention, except those under a legal hold.
    pub fn purge_expired(&self, caller: &Caller) -> Result<PurgeReport> {
        caller.require(Permission::ManageIdentity, "evidence.purge")?;
        let mut store = self.store()?;
        Ok(vault::purge_expired(&mut store, self.dir().root(), &caller.name(), self.now_ms())?)
    }

    /// Re-hashes every artifact in the vault; the problems found, and how many were checked.
    pub fn verify_vault(&self, caller: &Caller) -> Result<(usize, Vec<String>)> {
        caller.require(Permission::ViewAudit, "verify the vault")?;
        let store = self.store()?;
        let problems = vault::verify_blobs(&store, self.dir().root())?;
        let n = vault::items(&store)?.iter().filter(|i| i.purged_ms.is_none()).count();
        Ok((n, problems))
    }

    /// Recomputes the ledger against every signed checkpoint (with `public_key_hex`, or this
    /// directory's own key) and re-hashes the vault.
    pub fn verify_ledger(&self, caller: &Caller, public_key_hex: Option<&str>) -> Result<LedgerReport> {
        self.verify_ledger_witnessed(caller, public_key_hex, None)
    }

    /// [`App::verify_ledger`], and the log checked against checkpoints kept outside the store
    /// (a witness file); without them the report's status is `UNANCHORED`.
    pub fn verify_ledger_witnessed(
        &self,
        caller: &Caller,
        public_key_hex: Option<&str>,
        witness: Option<&[vigil_evidence::SignedCheckpoint]>,
    ) -> Result<LedgerReport> {
        caller.require(Permission::ViewAudit, "verify the ledger")?;
        let store = self.store()?;
        let key = match public_key_hex {
            Some(k) => k.to_string(),
            None => ledger::load_or_create_key(self.dir().root())?.public_key_hex(),
        };
        let mut r = ledger::verify_with_witness(&store, &key, witness)?;
        r.problems.extend(vault::verify_blobs(&store, self.dir().root())?);
        r.set_status();
        Ok(r)
    }

    /// Signs a checkpoint of the ledger now and returns it.
    pub fn checkpoint(&self, caller: &Caller) -> Result<vigil_evidence::SignedCheckpoint> {
        caller.require(Permission::ViewAudit, "sign a checkpoint")?;
        self.signed_checkpoint()
    }

    /// Compliance coverage of `framework` over `[from_ms, to_ms)`: the detections `detection`
    /// loads, the playbooks, the cases and the vault, per control.
    pub fn coverage(
        &self,
        caller: &Caller,
        catalog: &Catalog,
        detection: &DetectionConfig,
        framework: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<CoverageReport> {
        caller.require(Permission::ViewSummaries, "read compliance coverage")?;
        if from_ms >= to_ms {
            return Err(AppError::Invalid("from must be before to".into()));
        }
        let refs = detection.detection_refs()?;
        let store = self.store()?;
        let inputs = vigil_vault::compliance::coverage_inputs(&store, catalog, &refs)?;
        vigil_compliance::coverage(catalog, framework, &inputs, from_ms, to_ms).map_err(catalog_error)
    }
}

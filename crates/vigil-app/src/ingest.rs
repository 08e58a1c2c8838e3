//! Ingest: events from files, HTTP and HEC (and later pollers) through one pipeline with one
//! detection configuration. The exceptions a run applied are on the audit log with their
//! content's hash, whichever front end started it.

use std::path::PathBuf;

use vigil_auth::Permission;
use vigil_pipeline::{IngestOptions, IngestReport};
use vigil_store::{AuditEntry, StateStore};

use crate::detection::Detection;
use crate::{App, Caller, Result};

impl App {
    /// Ingests `paths` with `detection` (or none: events only). `opts` carries the decoding and
    /// progress settings; its detector and behavior are set here from `detection`.
    pub fn ingest(
        &self,
        caller: &Caller,
        paths: &[PathBuf],
        detection: Option<&Detection>,
        mut opts: IngestOptions,
    ) -> Result<IngestReport> {
        caller.require(Permission::Ingest, "ingest events")?;
        opts.detector = detection.map(|d| d.detector.clone());
        opts.behavior = detection.and_then(|d| d.behavior.clone());
        let report = vigil_pipeline::ingest(self.dir(), paths, &opts)?;
        if let Some(d) = detection
            && !d.exceptions_applied.is_empty()
        {
            let now = self.now_ms();
            let entries: Vec<AuditEntry> = d
                .exceptions_applied
                .iter()
                .map(|(file, sha)| {
                    AuditEntry::new(
                        now,
                        &caller.name(),
                        "exceptions.apply",
                        file,
                        "ok",
                        &format!("sha256 {sha}; ingest of {} events", report.events),
                    )
                })
                .collect();
            let mut store = self.store()?;
            store.append_audit(&entries)?;
        }
        Ok(report)
    }
}

//! Live sources: the connections Vigil polls (`vigil connect`), polling them through the one
//! ingest pipeline, and each source's health (`vigil sources`, the Sources page, `/metrics`).
//!
//! A connection is kept as a document of kind [`CONNECTION`] (it holds the name of its secret,
//! never the secret, which is read from the secrets file or the environment at each poll, as the
//! response connectors read theirs). A poll reads pages from the connection's cursor; each page
//! is written to `<data-dir>/poll/<name>.jsonl` and ingested with the cursor after it, which the
//! pipeline commits in the same transaction as the page's events — so a poll killed at any
//! point loses nothing and repeats nothing (a page read again dedupes by event id). Health is a
//! document of kind [`HEALTH`] per source: last success, last error, lag, events.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use vigil_auth::Permission;
use vigil_collect::{CollectError, Connection, RetryPolicy};
use vigil_connectors::{HttpTransport, Transport};
use vigil_pipeline::IngestOptions;
use vigil_store::{AuditEntry, Commit, CursorRow, Document, StateStore};

use crate::detection::Detection;
use crate::respond::ResponseConfig;
use crate::{App, AppError, Caller, Result};

/// Document kind of connections.
pub const CONNECTION: &str = "connection";
/// Document kind of sources' health.
pub const HEALTH: &str = "source-health";

/// A source that answers but whose newest record is this old is silent too: a day without a
/// single sign-in or API call in a company's identity or cloud log means its logging stopped.
pub const QUIET_AFTER_MS: i64 = 24 * 3_600_000;

/// The rule id of blind-spot alerts.
pub const BLIND_SPOT_RULE: &str = "vigil-source-blind-spot";

/// A source that has not been read successfully for this long is a blind spot, raised as a
/// finding by `vigil serve` and `vigil poll`.
pub const SILENT_AFTER_MS: i64 = 6 * 3_600_000;

/// One live source's health, as every front end shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    pub name: String,
    pub kind: String,
    pub last_poll_ms: Option<i64>,
    pub last_success_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
    /// Consecutive failed polls.
    pub failures: u32,
    /// The newest record time read (epoch ms).
    pub newest_ms: Option<i64>,
    pub records_total: u64,
    pub events_total: u64,
    /// Records and the minutes they were read over, in the last poll.
    pub last_records: u64,
    pub last_poll_secs: f64,
}

impl SourceHealth {
    /// How far behind the source is: now minus the newest record read.
    pub fn lag_ms(&self, now_ms: i64) -> Option<i64> {
        self.newest_ms.map(|n| (now_ms - n).max(0))
    }

    /// Records per minute in the last poll.
    pub fn events_per_minute(&self) -> f64 {
        if self.last_poll_secs > 0.0 { self.last_records as f64 * 60.0 / self.last_poll_secs } else { 0.0 }
    }

    /// Why this source is a blind spot now, if it is: failing, or silent for too long.
    pub fn blind_spot(&self, now_ms: i64) -> Option<String> {
        if self.failures >= 3 {
            return Some(format!(
                "{} has failed {} polls in a row: {}",
                self.name,
                self.failures,
                self.last_error.as_deref().unwrap_or("unknown error")
            ));
        }
        let since = self.last_success_ms.or(self.last_poll_ms)?;
        if now_ms - since > SILENT_AFTER_MS {
            return Some(format!(
                "{} has not been read successfully for {} h",
                self.name,
                (now_ms - since) / 3_600_000
            ));
        }
        // Answering, but with nothing new for a day: logging may have been turned off.
        if let Some(newest) = self.newest_ms
            && now_ms - newest > QUIET_AFTER_MS
        {
            return Some(format!(
                "{} answers but has brought no new record for {} h (its newest is from {})",
                self.name,
                (now_ms - newest) / 3_600_000,
                vigil_model::format_rfc3339_ms(newest)
            ));
        }
        None
    }
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PollReport {
    pub source: String,
    pub pages: u32,
    pub records: u64,
    pub events: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    pub alerts: u64,
    /// Whether the source was read to its end.
    pub caught_up: bool,
    pub cursor: Option<String>,
    pub error: Option<String>,
    pub elapsed_ms: u64,
}

impl App {
    /// The configured connections, by name.
    pub fn connections(&self, caller: &Caller) -> Result<Vec<Connection>> {
        caller.require(Permission::ViewInventory, "list sources")?;
        self.load_connections()
    }

    fn load_connections(&self) -> Result<Vec<Connection>> {
        let docs = self.store()?.documents(CONNECTION)?;
        let mut out = Vec::new();
        for d in &docs {
            let c: Connection = serde_json::from_str(&d.json)
                .map_err(|e| AppError::Internal(format!("the kept connection {:?} cannot be read: {e}", d.id)))?;
            out.push(c);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn connection(&self, name: &str) -> Result<Connection> {
        let doc = self.store()?.document(CONNECTION, name)?;
        let doc =
            doc.ok_or_else(|| AppError::NotFound(format!("no source named {name:?} (see `vigil connect list`)")))?;
        serde_json::from_str(&doc.json).map_err(|e| AppError::Internal(format!("connection {name}: {e}")))
    }

    /// Adds (or replaces) a connection, audited; its secret is not read here.
    pub fn add_connection(&self, caller: &Caller, conn: Connection) -> Result<()> {
        caller.require(Permission::ManageInventory, "add a source")?;
        conn.validate().map_err(|e| AppError::Invalid(e.to_string()))?;
        let now = self.now_ms();
        let json = serde_json::to_string(&conn).map_err(|e| AppError::Internal(e.to_string()))?;
        let detail = format!(
            "{} at {}, secret {:?}, backfill {} d, pages of {}",
            conn.kind.name(),
            conn.base_url,
            conn.secret,
            conn.backfill_days,
            conn.page_limit
        );
        let audit = AuditEntry::new(now, &caller.name(), "source.connect", &conn.name, "ok", &detail);
        self.store()?.put_documents(
            CONNECTION,
            &[Document { id: conn.name.clone(), updated_ms: now, json }],
            false,
            &[audit],
        )?;
        Ok(())
    }

    /// Removes a connection, its cursor and its health, audited. Events it brought stay.
    pub fn remove_connection(&self, caller: &Caller, name: &str) -> Result<()> {
        caller.require(Permission::ManageInventory, "remove a source")?;
        self.connection(name)?;
        let now = self.now_ms();
        let mut store = self.store()?;
        let keep: Vec<Document> = store.documents(CONNECTION)?.into_iter().filter(|d| d.id != name).collect();
        let audit = AuditEntry::new(now, &caller.name(), "source.disconnect", name, "ok", "events already read stay");
        store.put_documents(CONNECTION, &keep, true, &[audit])?;
        let health: Vec<Document> = store.documents(HEALTH)?.into_iter().filter(|d| d.id != name).collect();
        store.put_documents(HEALTH, &health, true, &[])?;
        store.clear_cursor(name)?;
        Ok(())
    }

    /// Every source's health (connections without a poll yet included), by name.
    pub fn sources_health(&self, caller: &Caller) -> Result<Vec<SourceHealth>> {
        Ok(self.sources(caller)?.into_iter().map(|(_, h)| h).collect())
    }

    /// Every source with its health, read together, by name.
    pub fn sources(&self, caller: &Caller) -> Result<Vec<(Connection, SourceHealth)>> {
        caller.require(Permission::ViewInventory, "view sources")?;
        let store = self.store()?;
        let mut out = Vec::new();
        for c in self.load_connections()? {
            let h = store
                .document(HEALTH, &c.name)?
                .and_then(|d| serde_json::from_str::<SourceHealth>(&d.json).ok())
                .unwrap_or_else(|| SourceHealth {
                    name: c.name.clone(),
                    kind: c.kind.name().into(),
                    ..Default::default()
                });
            out.push((c, h));
        }
        Ok(out)
    }

    fn save_health(&self, h: &SourceHealth) -> Result<()> {
        let json = serde_json::to_string(h).map_err(|e| AppError::Internal(e.to_string()))?;
        self.store()?.put_documents(
            HEALTH,
            &[Document { id: h.name.clone(), updated_ms: self.now_ms(), json }],
            false,
            &[],
        )?;
        Ok(())
    }

    /// Reads one page from the connection's backfill window without keeping anything: whether the
    /// credential and the address work, and how many records the first page holds.
    pub fn test_connection(&self, caller: &Caller, name: &str, settings: &ResponseConfig) -> Result<usize> {
        caller.require(Permission::ManageInventory, "test a source")?;
        let conn = self.connection(name)?;
        let secrets = settings.secrets()?;
        let page = vigil_collect::next_page(
            &conn,
            &secrets,
            &HttpTransport::new(Duration::from_secs(30)),
            &RetryPolicy { max_attempts: 2, ..RetryPolicy::default() },
            None,
            self.now_ms(),
        )
        .map_err(|e| AppError::Invalid(e.to_string()))?;
        let audit = AuditEntry::new(
            self.now_ms(),
            &caller.name(),
            "source.test",
            name,
            "ok",
            &format!("{} records", page.records),
        );
        self.store()?.append_audit(&[audit])?;
        Ok(page.records)
    }

    /// Polls one source: pages from its cursor until it is read to its end or `max_pages` are
    /// read, each ingested (with `detection`) and committed with the cursor after it.
    pub fn poll(
        &self,
        caller: &Caller,
        name: &str,
        settings: &ResponseConfig,
        detection: Option<&Detection>,
        max_pages: u32,
    ) -> Result<PollReport> {
        self.poll_with(caller, name, settings, detection, max_pages, &HttpTransport::new(Duration::from_secs(60)))
    }

    /// As [`App::poll`], through `transport`.
    pub fn poll_with(
        &self,
        caller: &Caller,
        name: &str,
        settings: &ResponseConfig,
        detection: Option<&Detection>,
        max_pages: u32,
        transport: &dyn Transport,
    ) -> Result<PollReport> {
        caller.require(Permission::Ingest, "poll a source")?;
        let conn = self.connection(name)?;
        // One poll of a source at a time (the server's scheduler and a `vigil poll` at the
        // shell): two would share the page file and could commit cursors out of order.
        let _held = self.poll_lock(name)?;
        let started = std::time::Instant::now();
        let mut health = self
            .store()?
            .document(HEALTH, name)?
            .and_then(|d| serde_json::from_str::<SourceHealth>(&d.json).ok())
            .unwrap_or_else(|| SourceHealth { name: name.into(), kind: conn.kind.name().into(), ..Default::default() });
        let mut report = PollReport { source: name.into(), ..PollReport::default() };
        let format = vigil_decode_format(conn.kind.format())?;
        let mut cursor = self.store()?.cursor(name)?.map(|c| c.cursor);
        let file = self.poll_file(name)?;
        let result = (|| -> Result<()> {
            let secrets = settings.secrets()?;
            for _ in 0..max_pages.max(1) {
                let page = vigil_collect::next_page(
                    &conn,
                    &secrets,
                    transport,
                    &RetryPolicy::default(),
                    cursor.as_deref(),
                    self.now_ms(),
                )
                .map_err(collect_error)?;
                report.pages += 1;
                report.records += page.records as u64;
                health.newest_ms = health.newest_ms.max(page.newest_ms);
                let row = CursorRow { source: name.into(), cursor: page.cursor.clone(), updated_ms: self.now_ms() };
                if page.records == 0 {
                    if cursor.as_deref() != Some(page.cursor.as_str()) {
                        self.store()?.commit(0, self.now_ms(), &Commit { cursors: vec![row], ..Commit::default() })?;
                    }
                    cursor = Some(page.cursor);
                    if !page.more {
                        report.caught_up = true;
                        break;
                    }
                    continue;
                }
                std::fs::write(&file, page.lines.as_bytes())
                    .map_err(|e| AppError::Internal(format!("{}: {e}", file.display())))?;
                let opts = IngestOptions {
                    format,
                    threads: 1,
                    args: format!("poll {name}"),
                    cursor: Some(row),
                    ..IngestOptions::default()
                };
                let r = self.ingest_when_free(caller, &file, detection, opts)?;
                report.events += r.events;
                report.duplicates += r.duplicates;
                report.quarantined += r.quarantined;
                report.alerts += r.alerts;
                cursor = Some(page.cursor);
                if !page.more {
                    report.caught_up = true;
                    break;
                }
            }
            Ok(())
        })();
        // The page's raw records are in the lake now; none is left lying in the poll folder.
        let _ = std::fs::remove_file(&file);
        let now = self.now_ms();
        report.cursor = cursor;
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        health.last_poll_ms = Some(now);
        health.records_total += report.records;
        health.events_total += report.events;
        health.last_records = report.records;
        health.last_poll_secs = started.elapsed().as_secs_f64();
        match &result {
            Ok(()) => {
                health.last_success_ms = Some(now);
                health.failures = 0;
            }
            Err(e) => {
                report.error = Some(e.to_string());
                health.last_error = Some(e.to_string());
                health.last_error_ms = Some(now);
                health.failures += 1;
            }
        }
        self.save_health(&health)?;
        let audit = AuditEntry::new(
            now,
            &caller.name(),
            "source.poll",
            name,
            if result.is_ok() { "ok" } else { "error" },
            &format!(
                "{} pages, {} records, {} events, {} duplicates, {} quarantined{}",
                report.pages,
                report.records,
                report.events,
                report.duplicates,
                report.quarantined,
                report.error.as_deref().map(|e| format!("; {e}")).unwrap_or_default()
            ),
        );
        self.store()?.append_audit(&[audit])?;
        result.map(|()| report)
    }

    /// Raises an alert for each live source that is a blind spot now (failing poll after poll,
    /// or not read for [`SILENT_AFTER_MS`]): one per source and day, so triage queues it once
    /// and it comes back the next day while the source stays dark. Returns how many are new.
    pub fn raise_blind_spots(&self, caller: &Caller) -> Result<u64> {
        caller.require(Permission::Ingest, "raise blind-spot alerts")?;
        let now = self.now_ms();
        let day = now.div_euclid(86_400_000);
        let mut rows = Vec::new();
        for h in self.sources_health(caller)? {
            let Some(why) = h.blind_spot(now) else { continue };
            let rule = vigil_model::AlertRule::new(
                BLIND_SPOT_RULE.into(),
                format!("Live source is a blind spot: {}", h.name),
                vigil_model::Level::Medium,
                vec!["attack.defense-evasion".into(), "attack.t1562.008".into()],
                "vigil:sources".into(),
            );
            let alert = vigil_model::Alert {
                id: vigil_model::alert_id(BLIND_SPOT_RULE, &[], &format!("{}:{day}", h.name)),
                kind: vigil_model::AlertKind::Detection,
                rule,
                time: Some(now),
                event_ids: Vec::new(),
                source: Some(format!("live source {}", h.name)),
                matched: Vec::new(),
                explanation: format!(
                    "{why}. Events from it are missing for now, so detections that need them cannot fire;                      someone may have revoked the credential or disabled the vendor's logging"
                ),
                confidence: vigil_model::Confidence {
                    score: 90,
                    reason: "the source's own poll results, kept by Vigil".into(),
                },
                entities: Default::default(),
                correlation: None,
                features: Vec::new(),
                controls: Vec::new(),
            };
            rows.push(vigil_store::AlertRow {
                id: alert.id.clone(),
                rule_id: BLIND_SPOT_RULE.into(),
                rule_title: alert.rule.title.clone(),
                level: "medium".into(),
                kind: alert.kind.as_str().into(),
                time_ms: Some(now),
                json: serde_json::to_string(&alert).map_err(|e| AppError::Internal(e.to_string()))?,
            });
        }
        if rows.is_empty() {
            return Ok(0);
        }
        let mut store = self.store()?;
        let before = store.alert_count()?;
        // Alerts belong to a run, as those ingest raises do.
        let run = store.begin_run(now, "blind spots of live sources")?;
        store.commit(run, now, &Commit { alerts: rows, ..Commit::default() })?;
        let raised = store.alert_count()? - before;
        store.finish_run(run, self.now_ms(), &serde_json::json!({ "blind_spot_alerts": raised }))?;
        Ok(raised)
    }

    /// Holds `poll/<name>.lock` for as long as the returned file is open; a source already being
    /// polled is refused as busy.
    fn poll_lock(&self, name: &str) -> Result<std::fs::File> {
        let dir = self.dir().root().join("poll");
        std::fs::create_dir_all(&dir).map_err(|e| AppError::Internal(format!("{}: {e}", dir.display())))?;
        let path = dir.join(format!("{name}.lock"));
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
        match f.try_lock() {
            Ok(()) => Ok(f),
            Err(std::fs::TryLockError::WouldBlock) => Err(AppError::Busy {
                message: format!("{name} is being polled already; its poll goes on"),
                retry_after_secs: 60,
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(AppError::Internal(format!("{}: {e}", path.display()))),
        }
    }

    /// Where a source's page waits while it is ingested.
    fn poll_file(&self, name: &str) -> Result<PathBuf> {
        let dir = self.dir().root().join("poll");
        std::fs::create_dir_all(&dir).map_err(|e| AppError::Internal(format!("{}: {e}", dir.display())))?;
        Ok(dir.join(format!("{name}.jsonl")))
    }

    /// Ingests a page, waiting (up to a minute) while another ingest holds the data directory
    /// (the HTTP spool's worker in `vigil serve`).
    fn ingest_when_free(
        &self,
        caller: &Caller,
        file: &std::path::Path,
        detection: Option<&Detection>,
        opts: IngestOptions,
    ) -> Result<vigil_pipeline::IngestReport> {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            match self.ingest(caller, &[file.to_path_buf()], detection, opts.clone()) {
                Err(AppError::Pipeline(vigil_pipeline::PipelineError::Busy { .. }))
                    if std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(200));
                }
                other => return other,
            }
        }
    }
}

fn vigil_decode_format(name: &str) -> Result<vigil_decode::Format> {
    vigil_decode::Format::named(name).ok_or_else(|| AppError::Internal(format!("no decoder named {name}")))
}

fn collect_error(e: CollectError) -> AppError {
    AppError::Invalid(e.to_string())
}

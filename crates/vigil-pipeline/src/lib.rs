//! The ingest pipeline: sources → decode → dedupe → lake + state store.
//!
//! Owns: the data directory layout ([`DataDir`]), running an ingest over paths with N decode
//! workers and one writer, deduplicating by event id against the state store, committing lake
//! files, quarantine and source checkpoints together, cleaning up after a crash, and the
//! [`IngestReport`] whose totals always add up (`records = events + quarantined + duplicates`).
//!
//! Must not: know vendor formats (that is `vigil-decode`), run SQL, or reach back into later stages
//! (detection, triage …), which consume what this crate writes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use vigil_decode::{Decoded, Format, Occurrences, Options, Scanned};
use vigil_detect::{Alert, Correlator, Detector, Hits, Pending};
use vigil_lake::LakeWriter;
use vigil_model::{Event, QuarantineRecord};
use vigil_source::{Limits, Unit};
use vigil_store::{AlertRow, BehaviorRow, Commit, CursorRow, LakeFileRow, SourceCheckpoint, StateStore};

pub mod detect;

/// The state-store key under which Sigma correlation state is saved between runs.
const CORRELATION_STATE: &str = "sigma-correlation";

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Source(#[from] vigil_source::SourceError),
    #[error(transparent)]
    Store(#[from] vigil_store::StoreError),
    #[error(transparent)]
    Lake(#[from] vigil_lake::LakeError),
    #[error("data directory {path}: {message}")]
    DataDir { path: String, message: String },
    #[error("decode worker failed: {0}")]
    Worker(String),
    #[error("data directory {path} is in use by another ingest (lock file {lock}); wait for it to finish")]
    Busy { path: String, lock: String },
}

/// Takes the data directory's exclusive ingest lock, held until the guard drops. The operating
/// system releases it if the process dies, so a crash never leaves a stale lock.
fn lock_data_dir(dir: &DataDir) -> Result<std::fs::File, PipelineError> {
    std::fs::create_dir_all(dir.root())
        .map_err(|e| PipelineError::DataDir { path: dir.root().display().to_string(), message: e.to_string() })?;
    let path = dir.root().join("ingest.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| PipelineError::DataDir { path: path.display().to_string(), message: e.to_string() })?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(PipelineError::Busy { path: dir.root().display().to_string(), lock: path.display().to_string() })
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(PipelineError::DataDir { path: path.display().to_string(), message: e.to_string() })
        }
    }
}

pub use vigil_store::DataDir;

/// Progress, as seen by a progress bar.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes_total: AtomicU64,
    pub bytes_done: AtomicU64,
    pub files_done: AtomicU64,
}

#[derive(Clone)]
pub struct IngestOptions {
    pub format: Format,
    /// Decode workers; 1 runs everything on the calling thread.
    pub threads: usize,
    pub max_record_bytes: usize,
    pub limits: Limits,
    /// Events buffered before the lake writes files and the store commits.
    pub flush_every: usize,
    /// Or this many bytes of buffered events, whichever comes first: bounds memory on large
    /// records.
    pub flush_bytes: usize,
    pub progress: Option<Arc<Progress>>,
    /// Recorded with the run (the command line, typically).
    pub args: String,
    /// Rules evaluated on every new event as it arrives; their alerts are stored with the events.
    pub detector: Option<Arc<Detector>>,
    /// Behavioral detections, fed each batch of new events in time order; what they learn is
    /// kept in the state store.
    pub behavior: Option<vigil_behavior::BehaviorPack>,
    /// A live source's cursor after the records being ingested (a poller's page), committed in
    /// the run's last transaction, with the last of its events: a crash before it leaves the
    /// old cursor, and the page read again adds nothing (event ids dedupe).
    pub cursor: Option<CursorRow>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            format: Format::Auto,
            threads: 2,
            max_record_bytes: Options::default().max_record_bytes,
            limits: Limits::default(),
            flush_every: 200_000,
            flush_bytes: 256 << 20,
            progress: None,
            args: String::new(),
            detector: None,
            behavior: None,
            cursor: None,
        }
    }
}

/// What one ingest did. `records == events + quarantined + duplicates` always.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IngestReport {
    pub run_id: i64,
    /// New events written to the lake.
    pub events: u64,
    pub quarantined: u64,
    /// Records whose event was already stored (or seen earlier in this run).
    pub duplicates: u64,
    /// Records read: events + quarantined + duplicates.
    pub records: u64,
    pub files: u64,
    /// Payloads decoded (files, and entries inside archives).
    pub units: u64,
    pub bytes: u64,
    /// New events per decoder.
    pub by_format: BTreeMap<String, u64>,
    /// New events per OCSF class table (`authentication`, `api_activity` …).
    pub by_class: BTreeMap<String, u64>,
    /// Quarantined records per decoder.
    pub quarantined_by_format: BTreeMap<String, u64>,
    pub lake_files_written: u64,
    /// Lake files a previous crashed run left uncommitted, removed before this run.
    pub orphans_removed: u64,
    /// Alerts raised on this run's new events (stored; see `vigil alerts`).
    #[serde(default)]
    pub alerts: u64,
    #[serde(default)]
    pub alerts_by_level: BTreeMap<String, u64>,
    #[serde(default)]
    pub alerts_by_rule: BTreeMap<String, u64>,
    pub elapsed_ms: u64,
    /// Non-regular files (devices, FIFOs, sockets) found inside the named directories and not
    /// read, each with what it is.
    #[serde(default)]
    pub skipped: Vec<String>,
}

enum Msg {
    // Boxed as the decoders hand them over; the lake sorts and moves them as pointers.
    // Hits carry the index of their event in the batch, or none when the record was quarantined.
    #[allow(clippy::vec_box)]
    Events(usize, Vec<Box<Event>>, Vec<(Option<usize>, Hits)>),
    Quarantine(usize, Vec<QuarantineRecord>),
    FileDone(usize, FileInfo),
}

struct FileInfo {
    path: String,
    size: u64,
    modified_ms: Option<i64>,
    sha256: String,
    units: u64,
}

#[derive(Default, Clone)]
struct FileTally {
    records: u64,
    events: u64,
    quarantined: u64,
    duplicates: u64,
    formats: BTreeMap<String, u64>,
}

/// Ingests files and directories (gzip, zip and tar opened) into the data directory.
pub fn ingest(dir: &DataDir, paths: &[PathBuf], opts: &IngestOptions) -> Result<IngestReport, PipelineError> {
    let mut store = dir.open_store()?;
    ingest_with_store(dir, &mut store, paths, opts)
}

/// As [`ingest`], with a state store the caller opened (any [`StateStore`] implementation).
pub fn ingest_with_store(
    dir: &DataDir,
    store: &mut dyn StateStore,
    paths: &[PathBuf],
    opts: &IngestOptions,
) -> Result<IngestReport, PipelineError> {
    let started = Instant::now();
    // One writer per data directory: a second ingest would see this one's uncommitted lake files
    // as orphans of a crash and remove them.
    let _lock = lock_data_dir(dir)?;
    let (files, skipped) = vigil_source::collect_files_reporting(paths)?;
    for (path, kind) in &skipped {
        tracing::warn!(file = %path.display(), "skipped: a {kind}, not a regular file");
    }
    let lake_root = dir.lake();
    std::fs::create_dir_all(&lake_root)
        .map_err(|e| PipelineError::DataDir { path: lake_root.display().to_string(), message: e.to_string() })?;
    let committed: HashSet<String> = store.lake_files()?.into_iter().map(|f| f.path).collect();
    let orphans = vigil_lake::remove_orphans(&lake_root, &committed)?;
    for o in &orphans {
        tracing::warn!(file = %o, "removed a lake file left uncommitted by an interrupted run");
    }

    let run_id = store.begin_run(now_ms(), &opts.args)?;
    let mut report = IngestReport {
        run_id,
        orphans_removed: orphans.len() as u64,
        skipped: skipped.iter().map(|(p, kind)| format!("{}: {kind}, not a regular file", p.display())).collect(),
        ..IngestReport::default()
    };
    if let Some(p) = &opts.progress {
        let total: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
        p.bytes_total.store(total, Ordering::Relaxed);
    }
    let mut writer = Writer {
        store,
        lake: LakeWriter::new(&lake_root, run_id),
        seen: HashSet::new(),
        pending_ids: Vec::new(),
        pending_q: Vec::new(),
        pending_sources: Vec::new(),
        tallies: HashMap::new(),
        report: &mut report,
        flush_every: opts.flush_every,
        flush_bytes: opts.flush_bytes,
        run_id,
        alerts: Vec::new(),
        alert_ids: HashSet::new(),
        pending_corr: Vec::new(),
        correlator: opts.detector.as_ref().filter(|d| d.has_correlations()).map(|d| d.correlator()),
        behavior: None,
        obs: Vec::new(),
        cursors: Vec::new(),
    };
    // Sigma correlation windows left open by the previous run continue in this one.
    if let Some(c) = writer.correlator.as_mut()
        && let Some(row) =
            writer.store.behavior_state(Some(CORRELATION_STATE))?.into_iter().find(|r| r.detection == CORRELATION_STATE)
        && !c.import(&row.state)
    {
        tracing::warn!("saved correlation state could not be read; correlations start empty");
    }
    if let Some(pack) = &opts.behavior {
        let mut engine = vigil_behavior::Engine::new(pack.clone());
        let rows: Vec<vigil_behavior::StateRow> = writer
            .store
            .behavior_state(None)?
            .into_iter()
            .map(|r| vigil_behavior::StateRow {
                detection: r.detection,
                entity: r.entity,
                updated_ms: r.updated_ms,
                state: r.state,
            })
            .collect();
        let restored = engine.load(&rows);
        tracing::info!(restored, "behavioral state restored");
        writer.behavior = Some(engine);
    }
    let dopts = Options { format: opts.format, max_record_bytes: opts.max_record_bytes };

    if opts.threads <= 1 {
        for (i, f) in files.iter().enumerate() {
            let mut err = None;
            read_one(i, f, &dopts, opts, &mut |m| {
                if err.is_none()
                    && let Err(e) = writer.handle(m)
                {
                    err = Some(e);
                }
            });
            if let Some(e) = err {
                return Err(e);
            }
        }
    } else {
        // A few batches in flight per worker: enough to keep the writer busy, small enough that
        // memory stays bounded by the flush size rather than by how far decoding runs ahead.
        let (tx, rx) = crossbeam_channel::bounded::<Msg>(2 * opts.threads);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(opts.threads)
            .build()
            .map_err(|e| PipelineError::Worker(e.to_string()))?;
        let result = std::thread::scope(|s| {
            let files = &files;
            let producer = s.spawn(move || {
                pool.install(|| {
                    use rayon::prelude::*;
                    files.par_iter().enumerate().for_each_with(tx, |tx, (i, f)| {
                        read_one(i, f, &dopts, opts, &mut |m| {
                            // The writer only goes away after an error it reports itself.
                            let _ = tx.send(m);
                        });
                    });
                });
            });
            let mut first_err = None;
            for m in rx.iter() {
                if first_err.is_none()
                    && let Err(e) = writer.handle(m)
                {
                    first_err = Some(e);
                }
            }
            producer.join().map_err(|_| PipelineError::Worker("a decode worker panicked".into()))?;
            first_err.map_or(Ok(()), Err)
        });
        result?;
    }
    writer.cursors = opts.cursor.iter().cloned().collect();
    writer.commit()?;
    drop(writer);
    report.files = files.len() as u64;
    report.records = report.events + report.quarantined + report.duplicates;
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    let json = serde_json::to_value(&report).unwrap_or_default();
    store.finish_run(run_id, now_ms(), &json)?;
    Ok(report)
}

/// Reads one file: units → decoded records → messages, in batches.
fn read_one(idx: usize, path: &Path, dopts: &Options, opts: &IngestOptions, send: &mut dyn FnMut(Msg)) {
    const BATCH: usize = 4096;
    let display = path.display().to_string();
    let md = std::fs::metadata(path).ok();
    let size = md.as_ref().map(|m| m.len()).unwrap_or(0);
    let modified_ms = md
        .as_ref()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64);
    let mut units = 0u64;
    let mut events = Vec::with_capacity(BATCH);
    let mut hits: Vec<(Option<usize>, Hits)> = Vec::new();
    let mut quarantine = Vec::new();
    let read = vigil_source::read_file_units_hashed(path, opts.limits, &mut |unit: Unit| {
        units += 1;
        let mut sink = |d: Decoded, h: Option<Hits>| match d {
            Decoded::Event(e) => {
                if let Some(h) = h {
                    hits.push((Some(events.len()), h));
                }
                events.push(e);
                if events.len() >= BATCH {
                    let batch = std::mem::replace(&mut events, Vec::with_capacity(BATCH));
                    send(Msg::Events(idx, batch, std::mem::take(&mut hits)));
                }
            }
            Decoded::Quarantine(q) => {
                if let Some(h) = h {
                    hits.push((None, h));
                }
                quarantine.push(q);
                if quarantine.len() >= BATCH {
                    send(Msg::Quarantine(idx, std::mem::take(&mut quarantine)));
                }
            }
        };
        match &opts.detector {
            None => {
                vigil_decode::decode_unit(&unit.name, &unit.data, dopts, &mut |d| sink(d, None));
            }
            Some(det) => {
                let mut occ = Occurrences::default();
                vigil_decode::scan_unit(&unit.name, &unit.data, dopts, &mut |s| match s {
                    Scanned::Record(rec) => {
                        let c = det.check(&rec, &mut occ, true);
                        if let Some(d) = c.decoded {
                            sink(d, c.hits);
                        }
                    }
                    Scanned::Quarantine(q) => sink(Decoded::Quarantine(q), None),
                });
            }
        }
        if let Some(err) = unit.error {
            // The readable prefix was decoded above; the unreadable rest is quarantined, named.
            let tail = &unit.data[unit.data.len().saturating_sub(256)..];
            quarantine.push(QuarantineRecord::new(
                &unit.name,
                format!("byte {} (end of readable data)", unit.data.len()),
                "source",
                err,
                tail,
            ));
        }
    });
    if !events.is_empty() || !hits.is_empty() {
        send(Msg::Events(idx, events, hits));
    }
    if !quarantine.is_empty() {
        send(Msg::Quarantine(idx, quarantine));
    }
    // The source record describes the bytes decoded: their size and hash come from the one read
    // (F14). A file that changed meanwhile is said so; its new bytes are the next run's.
    let now = std::fs::metadata(path).ok();
    if now.as_ref().map(|m| m.len()) != Some(size)
        || now.as_ref().and_then(|m| m.modified().ok()) != md.as_ref().and_then(|m| m.modified().ok())
    {
        let (file, bytes) = (display.clone(), read.bytes);
        tracing::warn!("{file} changed while it was read; its source record describes the {bytes} bytes read");
    }
    if let Some(p) = &opts.progress {
        p.bytes_done.fetch_add(size, Ordering::Relaxed);
        p.files_done.fetch_add(1, Ordering::Relaxed);
    }
    send(Msg::FileDone(idx, FileInfo { path: display, size: read.bytes, modified_ms, sha256: read.sha256, units }));
}

struct Writer<'a> {
    store: &'a mut dyn StateStore,
    lake: LakeWriter,
    /// Ids stored by this run, not yet visible in the store until commit.
    seen: HashSet<[u8; 16]>,
    pending_ids: Vec<vigil_model::EventId>,
    pending_q: Vec<QuarantineRecord>,
    pending_sources: Vec<SourceCheckpoint>,
    tallies: HashMap<usize, FileTally>,
    report: &'a mut IngestReport,
    flush_every: usize,
    flush_bytes: usize,
    run_id: i64,
    alerts: Vec<Alert>,
    alert_ids: HashSet<String>,
    pending_corr: Vec<Pending>,
    correlator: Option<Correlator>,
    behavior: Option<vigil_behavior::Engine>,
    /// New events of this batch as behavioral detections read them, sorted by time at commit.
    obs: Vec<vigil_behavior::Obs>,
    /// Committed with the last batch only (see [`IngestOptions::cursor`]).
    cursors: Vec<CursorRow>,
}

impl Writer<'_> {
    fn handle(&mut self, m: Msg) -> Result<(), PipelineError> {
        match m {
            Msg::Events(idx, events, hits) => {
                let ids: Vec<_> = events.iter().map(|e| e.id.clone()).collect();
                let unseen = self.store.unseen(&ids)?;
                let mut tally = self.tallies.remove(&idx).unwrap_or_default();
                let mut new = vec![false; events.len()];
                for (i, (e, new_in_store)) in events.into_iter().zip(unseen).enumerate() {
                    tally.records += 1;
                    *tally.formats.entry(e.metadata.format.clone()).or_default() += 1;
                    if new_in_store && self.seen.insert(e.id.to_bytes()) {
                        new[i] = true;
                        if self.behavior.is_some() {
                            self.obs.push(vigil_behavior::Obs::of(&e));
                        }
                        tally.events += 1;
                        self.report.events += 1;
                        *self.report.by_format.entry(e.metadata.format.clone()).or_default() += 1;
                        *self.report.by_class.entry(e.class.table().to_string()).or_default() += 1;
                        self.pending_ids.push(e.id.clone());
                        self.lake.add_boxed(e);
                    } else {
                        tally.duplicates += 1;
                        self.report.duplicates += 1;
                    }
                    // Checked per event, so no lake file's columns outgrow the flush size.
                    if self.lake.buffered() >= self.flush_every || self.lake.buffered_bytes() >= self.flush_bytes {
                        self.commit()?;
                    }
                }
                // Rules run on new events only: a record ingested again raises nothing again.
                for (i, h) in hits {
                    if i.is_none_or(|i| new[i]) {
                        for a in h.alerts {
                            self.add_alert(a);
                        }
                        self.pending_corr.extend(h.pending);
                    }
                }
                self.tallies.insert(idx, tally);
            }
            Msg::Quarantine(idx, q) => {
                let tally = self.tallies.entry(idx).or_default();
                for r in &q {
                    tally.records += 1;
                    tally.quarantined += 1;
                    *tally.formats.entry(r.format.clone()).or_default() += 1;
                    *self.report.quarantined_by_format.entry(r.format.clone()).or_default() += 1;
                }
                self.report.quarantined += q.len() as u64;
                self.pending_q.extend(q);
                if self.pending_q.len() >= 50_000 {
                    self.commit()?;
                }
            }
            Msg::FileDone(idx, info) => {
                let t = self.tallies.remove(&idx).unwrap_or_default();
                self.report.units += info.units;
                self.report.bytes += info.size;
                self.pending_sources.push(SourceCheckpoint {
                    path: info.path,
                    size: info.size,
                    modified_ms: info.modified_ms,
                    sha256: info.sha256,
                    offset: info.size,
                    records: t.records,
                    events: t.events,
                    quarantined: t.quarantined,
                    duplicates: t.duplicates,
                    formats: t.formats,
                    ingested_at: now_ms(),
                });
            }
        }
        Ok(())
    }

    /// Writes buffered events to the lake, then commits ids, files, quarantine and checkpoints
    /// in one store transaction. A crash between the two leaves only orphan files, removed on
    /// the next run; the records are then ingested again, not lost.
    fn add_alert(&mut self, a: Alert) {
        if self.alert_ids.insert(a.id.clone()) {
            self.report.alerts += 1;
            *self.report.alerts_by_level.entry(a.rule.level.as_str().to_string()).or_default() += 1;
            *self.report.alerts_by_rule.entry(a.rule.title.clone()).or_default() += 1;
            self.alerts.push(a);
        }
    }

    fn commit(&mut self) -> Result<(), PipelineError> {
        // Correlations see this batch's matches in time order; their state carries over to the
        // next batch of the run, bounded and expiring.
        let mut pending = std::mem::take(&mut self.pending_corr);
        pending.sort_by_key(|p| p.time_ms);
        for p in pending {
            let fired = match self.correlator.as_mut() {
                Some(c) => c.feed(p),
                None => p.alerts,
            };
            for a in fired {
                self.add_alert(a);
            }
        }
        // Behavioral detections read this batch's new events in time order.
        let mut behavior_rows = Vec::new();
        if let Some(engine) = self.behavior.as_mut() {
            let mut obs = std::mem::take(&mut self.obs);
            obs.sort_by_key(|o| o.time);
            let mut raised = Vec::new();
            for o in &obs {
                raised.extend(engine.observe(o));
            }
            for a in raised {
                self.add_alert(a);
            }
            behavior_rows = self
                .behavior
                .as_mut()
                .map(|e| e.take_dirty())
                .unwrap_or_default()
                .into_iter()
                .map(|r| BehaviorRow {
                    detection: r.detection,
                    entity: r.entity,
                    updated_ms: r.updated_ms,
                    state: r.state,
                })
                .collect();
        }
        if let Some(c) = &self.correlator {
            behavior_rows.push(BehaviorRow {
                detection: CORRELATION_STATE.into(),
                entity: CORRELATION_STATE.into(),
                updated_ms: now_ms(),
                state: c.export(),
            });
        }
        let alerts: Vec<AlertRow> = std::mem::take(&mut self.alerts)
            .into_iter()
            .map(|a| AlertRow {
                id: a.id.clone(),
                rule_id: a.rule.id.clone(),
                rule_title: a.rule.title.clone(),
                level: a.rule.level.as_str().to_string(),
                kind: a.kind.as_str().to_string(),
                time_ms: a.time,
                json: serde_json::to_string(&a).unwrap_or_default(),
            })
            .collect();
        let written = self.lake.flush()?;
        self.report.lake_files_written += written.len() as u64;
        let batch = Commit {
            event_ids: std::mem::take(&mut self.pending_ids),
            lake_files: written
                .into_iter()
                .map(|w| LakeFileRow {
                    path: w.path,
                    class_uid: w.class_uid,
                    day: w.day,
                    rows: w.rows,
                    bytes: w.bytes,
                    sha256: w.sha256,
                })
                .collect(),
            quarantine: std::mem::take(&mut self.pending_q),
            sources: std::mem::take(&mut self.pending_sources),
            alerts,
            behavior: behavior_rows,
            cursors: std::mem::take(&mut self.cursors),
        };
        self.store.commit(self.run_id, now_ms(), &batch)?;
        Ok(())
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests;

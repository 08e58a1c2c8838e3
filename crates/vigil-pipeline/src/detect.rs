//! The offline scan: files and directories through the decoders and the detector, alerts out,
//! nothing stored (in the manner of Hayabusa). Records are normalized only when a rule matched
//! them, so the scan costs little more than parsing.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use serde::Serialize;
use vigil_decode::{Decoded, Format, Occurrences, Options, Scanned};
use vigil_detect::{Alert, Detector, Pending};
use vigil_source::{Limits, Unit};

use crate::{PipelineError, Progress};

#[derive(Clone)]
pub struct DetectOptions {
    pub format: vigil_decode::Format,
    pub threads: usize,
    pub max_record_bytes: usize,
    pub limits: Limits,
    pub progress: Option<Arc<Progress>>,
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions {
            format: vigil_decode::Format::Auto,
            threads: 2,
            max_record_bytes: Options::default().max_record_bytes,
            limits: Limits::default(),
            progress: None,
        }
    }
}

/// Alerts per rule, for the summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleCount {
    pub id: String,
    pub title: String,
    pub level: String,
    pub kind: String,
    pub alerts: u64,
}

/// What one scan did. `records = scanned + quarantined`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DetectReport {
    pub files: u64,
    pub units: u64,
    pub bytes: u64,
    pub records: u64,
    /// Records read, evaluated and readable as events.
    pub scanned: u64,
    /// Records that could not be framed or parsed, or that parsed but cannot become an event
    /// (no usable time, say): exactly those `vigil ingest` quarantines (see it for where and
    /// why). The parsed ones were still evaluated, as ingest evaluates them.
    pub quarantined: u64,
    /// Records at least one rule matched.
    pub matched_records: u64,
    pub alerts: u64,
    /// The same alert (rule and events) raised again — a record present in two files.
    pub repeated_alerts: u64,
    pub by_level: BTreeMap<String, u64>,
    pub by_rule: Vec<RuleCount>,
    pub active_rules: usize,
    pub elapsed_ms: u64,
}

struct FileOut {
    units: u64,
    bytes: u64,
    scanned: u64,
    quarantined: u64,
    matched: u64,
    alerts: Vec<Alert>,
    pending: Vec<Pending>,
}

/// Scans `paths` with `detector`, calling `on_alert` for each new alert.
pub fn detect(
    paths: &[PathBuf],
    detector: &Detector,
    opts: &DetectOptions,
    on_alert: &mut dyn FnMut(&Alert),
) -> Result<DetectReport, PipelineError> {
    let started = Instant::now();
    let files = vigil_source::collect_files(paths)?;
    if let Some(p) = &opts.progress {
        let total: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
        p.bytes_total.store(total, Ordering::Relaxed);
    }
    let dopts = Options { format: opts.format, max_record_bytes: opts.max_record_bytes };
    let mut report =
        DetectReport { files: files.len() as u64, active_rules: detector.active_rules(), ..Default::default() };
    let mut seen: HashSet<String> = HashSet::new();
    let mut counts: BTreeMap<(String, String), RuleCount> = BTreeMap::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut emit = |a: &Alert, report: &mut DetectReport| {
        if !seen.insert(a.id.clone()) {
            report.repeated_alerts += 1;
            return;
        }
        report.alerts += 1;
        *report.by_level.entry(a.rule.level.as_str().to_string()).or_default() += 1;
        counts
            .entry((a.rule.level.as_str().to_string(), a.rule.id.clone()))
            .or_insert_with(|| RuleCount {
                id: a.rule.id.clone(),
                title: a.rule.title.clone(),
                level: a.rule.level.as_str().to_string(),
                kind: a.kind.as_str().to_string(),
                alerts: 0,
            })
            .alerts += 1;
        on_alert(a);
    };
    let mut take = |out: FileOut, report: &mut DetectReport, pending: &mut Vec<Pending>| {
        report.units += out.units;
        report.bytes += out.bytes;
        report.scanned += out.scanned;
        report.quarantined += out.quarantined;
        report.matched_records += out.matched;
        for a in &out.alerts {
            emit(a, report);
        }
        pending.extend(out.pending);
    };
    if opts.threads <= 1 {
        for f in &files {
            let out = scan_file(f, detector, &dopts, opts);
            take(out, &mut report, &mut pending);
        }
    } else {
        let (tx, rx) = crossbeam_channel::bounded::<FileOut>(2 * opts.threads);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(opts.threads)
            .build()
            .map_err(|e| PipelineError::Worker(e.to_string()))?;
        std::thread::scope(|s| {
            let files = &files;
            let dopts = &dopts;
            let producer = s.spawn(move || {
                pool.install(|| {
                    use rayon::prelude::*;
                    files.par_iter().for_each_with(tx, |tx, f| {
                        let _ = tx.send(scan_file(f, detector, dopts, opts));
                    });
                });
            });
            for out in rx.iter() {
                take(out, &mut report, &mut pending);
            }
            producer.join().map_err(|_| PipelineError::Worker("a detect worker panicked".into()))
        })?;
    }
    // Correlations see their member matches in time order, whatever order the files were read in.
    if detector.has_correlations() && !pending.is_empty() {
        let mut correlator = detector.correlator();
        pending.sort_by_key(|p| p.time_ms);
        for p in pending {
            for a in correlator.feed(p) {
                emit(&a, &mut report);
            }
        }
    }
    report.records = report.scanned + report.quarantined;
    let mut by_rule: Vec<RuleCount> = counts.into_values().collect();
    by_rule.sort_by(|a, b| b.alerts.cmp(&a.alerts).then(a.id.cmp(&b.id)));
    report.by_rule = by_rule;
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

fn scan_file(path: &Path, detector: &Detector, dopts: &Options, opts: &DetectOptions) -> FileOut {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut out = FileOut {
        units: 0,
        bytes: size,
        scanned: 0,
        quarantined: 0,
        matched: 0,
        alerts: Vec::new(),
        pending: Vec::new(),
    };
    vigil_source::read_file_units(path, opts.limits, &mut |unit: Unit| {
        out.units += 1;
        let mut occ = Occurrences::default();
        vigil_decode::scan_unit(&unit.name, &unit.data, dopts, &mut |s| match s {
            Scanned::Record(rec) => {
                let checked = detector.check(&rec, &mut occ, false);
                // A record ingest would quarantine is counted so here too: a matched one was
                // normalized for its alert; the others are asked whether they would be.
                let readable = match &checked.decoded {
                    Some(d) => matches!(d, Decoded::Event(_)),
                    None => rec.admits().is_ok(),
                };
                if readable {
                    out.scanned += 1;
                } else {
                    out.quarantined += 1;
                }
                if let Some(h) = checked.hits {
                    out.matched += 1;
                    out.alerts.extend(h.alerts);
                    out.pending.extend(h.pending);
                }
            }
            Scanned::Quarantine(_) => out.quarantined += 1,
        });
        if unit.error.is_some() {
            out.quarantined += 1;
        }
    });
    if let Some(p) = &opts.progress {
        p.bytes_done.fetch_add(size, Ordering::Relaxed);
        p.files_done.fetch_add(1, Ordering::Relaxed);
    }
    out
}

/// Ground truth for corpora where each file records one attack (EVTX-ATTACK-SAMPLES, say): one
/// label per file that yields events, named after the file, with the ids of every event in it.
/// The scenario is the file's parent folder (the corpus's ATT&CK tactic).
pub fn labels_by_file(paths: &[PathBuf], format: Format) -> Result<Vec<serde_json::Value>, PipelineError> {
    let files = vigil_source::collect_files(paths)?;
    let dopts = Options { format, max_record_bytes: 4 << 20 };
    let mut out = Vec::new();
    for f in &files {
        let mut ids: Vec<String> = Vec::new();
        vigil_source::read_file_units(f, Limits::default(), &mut |u| {
            vigil_decode::decode_unit(&u.name, &u.data, &dopts, &mut |d| {
                if let Decoded::Event(e) = d {
                    ids.push(e.id.to_string());
                }
            });
        });
        if ids.is_empty() {
            continue;
        }
        let scenario = f
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "file".into());
        out.push(serde_json::json!({
            "scenario": scenario,
            "instance": f.display().to_string(),
            "event_ids": ids,
        }));
    }
    Ok(out)
}

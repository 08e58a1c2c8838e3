//! Detection on a simulated company, end to end through ingest: every scenario is caught by the
//! built-in Sigma and behavioral detections, and stopping the pipeline half-way through the
//! month and starting it again loses nothing that the behavioral detections had learned.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil_decode::{Decoded, Options, decode_unit};
use vigil_detect::{Alert, AlertKind, Detector, DetectorOptions, RulePack};
use vigil_pipeline::{DataDir, IngestOptions, ingest};
use vigil_sim::SimConfig;
use vigil_store::{AlertQuery, StateStore};

fn options() -> IngestOptions {
    let mut pack = RulePack::default();
    vigil_detect::builtin::add_to(&mut pack);
    pack.finish();
    IngestOptions {
        detector: Some(Arc::new(Detector::new(&pack, DetectorOptions::default()))),
        behavior: Some(vigil_behavior::builtin().expect("built-in behavioral pack")),
        ..IngestOptions::default()
    }
}

fn alerts(dir: &DataDir) -> Vec<Alert> {
    let store = dir.open_store().unwrap();
    store
        .alerts(&AlertQuery { limit: u64::MAX, ..Default::default() })
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(&r.json).unwrap())
        .collect()
}

/// The earliest event time in a file (or a line).
fn min_time(name: &str, data: &[u8]) -> Option<i64> {
    let mut t: Option<i64> = None;
    decode_unit(name, data, &Options::default(), &mut |d| {
        if let Decoded::Event(e) = d {
            t = Some(t.map_or(e.time, |x| x.min(e.time)));
        }
    });
    t
}

/// Copies the simulated logs into `early` and `late` at `cut` (ms): JSON-lines files line by
/// line, CloudTrail files whole by their first record. Records are copied byte for byte, so
/// their event ids do not change.
fn split(src: &Path, early: &Path, late: &Path, cut: i64) {
    for entry in walk(src) {
        let rel = entry.strip_prefix(src).unwrap();
        let data = std::fs::read(&entry).unwrap();
        let name = entry.display().to_string();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        if name.ends_with(".jsonl") {
            for line in data.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
                let t = min_time(&name, line).expect("every simulated line decodes");
                let to = if t < cut { &mut a } else { &mut b };
                to.extend_from_slice(line);
                to.push(b'\n');
            }
        } else if min_time(&name, &data).expect("decodes") < cut {
            a = data;
        } else {
            b = data;
        }
        for (dir, bytes) in [(early, a), (late, b)] {
            if !bytes.is_empty() {
                let p = dir.join(rel);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, bytes).unwrap();
            }
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out.sort();
    out
}

#[test]
fn every_scenario_is_detected_and_a_restart_keeps_what_was_learned() {
    let sim = tempfile::tempdir().unwrap();
    let cfg = SimConfig { seed: 11, users: 120, days: 21, start: SimConfig::fixed_start(), ..SimConfig::default() };
    let summary = vigil_sim::simulate(&cfg, sim.path()).unwrap();
    let logs: Vec<PathBuf> = ["okta", "aws", "windows", "zeek"].iter().map(|d| sim.path().join(d)).collect();
    let labels_text = std::fs::read_to_string(sim.path().join(&summary.labels_path)).unwrap();
    let labels = vigil_detect::eval::read_labels(&labels_text).unwrap();

    // One run over the whole month.
    let whole = tempfile::tempdir().unwrap();
    let dd = DataDir::new(whole.path());
    let report = ingest(&dd, &logs, &options()).unwrap();
    assert_eq!(report.quarantined, 0);
    let all = alerts(&dd);
    let eval = vigil_detect::eval::evaluate(&labels, &all);
    for s in &eval.scenarios {
        assert_eq!(s.recall, 1.0, "{} missed: {:?}", s.name, eval.missed);
        assert!(s.precision >= 0.9, "{}: precision {:.3} over {:?}", s.name, s.precision, s.by);
    }
    assert_eq!(eval.scenarios.len(), 11);

    // The same month in two runs, stopped half-way: behavioral state is saved and restored.
    let first_day = cfg.start.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis();
    let cut = first_day + 11 * 86_400_000;
    let parts = tempfile::tempdir().unwrap();
    let (early, late) = (parts.path().join("early"), parts.path().join("late"));
    for d in &logs {
        split(d, &early.join(d.file_name().unwrap()), &late.join(d.file_name().unwrap()), cut);
    }
    let two = tempfile::tempdir().unwrap();
    let dd2 = DataDir::new(two.path());
    let r1 = ingest(&dd2, &[early], &options()).unwrap();
    let saved = dd2.open_store().unwrap().behavior_state(None).unwrap();
    assert!(!saved.is_empty(), "behavioral state is in the store after the first run");
    let r2 = ingest(&dd2, &[late], &options()).unwrap();
    assert_eq!(r1.events + r2.events, report.events, "the split loses no record");
    let keyed = |v: &[Alert], kind: AlertKind| -> BTreeSet<String> {
        v.iter().filter(|a| a.kind == kind).map(|a| format!("{} {}", a.rule.id, a.event_ids.join(","))).collect()
    };
    let resumed = alerts(&dd2);
    assert!(!keyed(&all, AlertKind::Behavioral).is_empty() && !keyed(&all, AlertKind::Correlation).is_empty());
    for kind in [AlertKind::Behavioral, AlertKind::Correlation, AlertKind::Detection] {
        assert_eq!(keyed(&resumed, kind), keyed(&all, kind), "{kind} alerts differ after a restart");
    }
    let eval2 = vigil_detect::eval::evaluate(&labels, &resumed);
    assert_eq!(eval2.detected_instances, eval.detected_instances);
}

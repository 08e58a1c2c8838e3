//! The simulated company the run and target tests share: its logs ingested with the built-in
//! detections, its inventory loaded, and triage run at `T0`.

use std::path::PathBuf;
use std::sync::Arc;

use vigil_detect::{Detector, DetectorOptions, RulePack};
use vigil_pipeline::{DataDir, IngestOptions, ingest};

pub const T0: i64 = 1_800_000_000_000;

/// The simulator's output and the data directory, both kept alive by the caller.
pub fn company(seed: u64, users: u32, days: u32) -> (tempfile::TempDir, tempfile::TempDir) {
    let mut pack = RulePack::default();
    vigil_detect::builtin::add_to(&mut pack);
    pack.finish();
    let opts = IngestOptions {
        detector: Some(Arc::new(Detector::new(&pack, DetectorOptions::default()))),
        behavior: Some(vigil_behavior::builtin().expect("built-in behavioral pack")),
        ..IngestOptions::default()
    };
    let sim = tempfile::tempdir().unwrap();
    let cfg = vigil_sim::SimConfig {
        seed,
        users,
        days,
        start: vigil_sim::SimConfig::fixed_start(),
        ..vigil_sim::SimConfig::default()
    };
    vigil_sim::simulate(&cfg, sim.path()).unwrap();
    let logs: Vec<PathBuf> = ["okta", "aws", "windows", "zeek"].iter().map(|d| sim.path().join(d)).collect();
    let data = tempfile::tempdir().unwrap();
    let dd = DataDir::new(data.path());
    ingest(&dd, &logs, &opts).unwrap();
    let mut store = dd.open_store().unwrap();
    let inv = std::fs::read_to_string(sim.path().join("inventory.json")).unwrap();
    vigil_queue::load_inventory(&mut store, &inv, "test", T0).unwrap();
    vigil_queue::run(&mut store, T0).unwrap();
    (sim, data)
}

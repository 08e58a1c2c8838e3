//! The simulator's logs go through the real decoders without a single quarantined record, and its
//! labels point at events that are in the lake.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use vigil_model::EventId;
use vigil_pipeline::{DataDir, IngestOptions, ingest};
use vigil_sim::{ScenarioKind, SimConfig};
use vigil_store::StateStore;

#[test]
fn simulated_company_decodes_cleanly_and_labels_are_exact() {
    let sim_dir = tempfile::tempdir().unwrap();
    let cfg = SimConfig { seed: 42, users: 40, days: 7, start: SimConfig::fixed_start(), ..SimConfig::default() };
    let summary = vigil_sim::simulate(&cfg, sim_dir.path()).unwrap();
    assert!(summary.events > 5_000, "{}", summary.events);

    let data = tempfile::tempdir().unwrap();
    let dd = DataDir::new(data.path());
    let logs: Vec<PathBuf> = ["okta", "aws", "windows", "zeek"].iter().map(|d| sim_dir.path().join(d)).collect();
    let r = ingest(&dd, &logs, &IngestOptions::default()).unwrap();
    assert_eq!(r.quarantined, 0, "every generated record must decode: {r:#?}");
    assert_eq!(r.duplicates, 0);
    assert_eq!(r.events, summary.events);
    for f in ["okta", "cloudtrail", "windows-json", "zeek"] {
        assert!(r.by_format.get(f).copied().unwrap_or(0) > 0, "no {f} events: {r:#?}");
    }
    for c in [
        "authentication",
        "account_change",
        "api_activity",
        "process_activity",
        "file_activity",
        "dns_activity",
        "network_activity",
    ] {
        assert!(r.by_class.get(c).copied().unwrap_or(0) > 0, "no {c} events: {r:#?}");
    }

    // Every labeled event id is an event in the lake; every scenario is there.
    let labels = std::fs::read_to_string(sim_dir.path().join(&summary.labels_path)).unwrap();
    let mut ids = Vec::new();
    let mut scenarios = BTreeSet::new();
    let mut per_instance: BTreeMap<String, usize> = BTreeMap::new();
    for line in labels.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        scenarios.insert(v["scenario"].as_str().unwrap().to_string());
        let these: Vec<EventId> =
            v["event_ids"].as_array().unwrap().iter().map(|x| EventId::parse(x.as_str().unwrap()).unwrap()).collect();
        assert!(!these.is_empty(), "label without events: {line}");
        assert!(!v["techniques"].as_array().unwrap().is_empty());
        per_instance.insert(v["instance"].as_str().unwrap().to_string(), these.len());
        ids.extend(these);
    }
    let all: BTreeSet<String> = ScenarioKind::all().iter().map(|s| s.name().to_string()).collect();
    assert_eq!(scenarios, all);
    let mut store = dd.open_store().unwrap();
    let unseen = store.unseen(&ids).unwrap();
    let missing: Vec<_> = ids.iter().zip(&unseen).filter(|(_, u)| **u).map(|(id, _)| id.to_string()).collect();
    assert!(
        missing.is_empty(),
        "{} labeled ids not in the lake, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(3)]
    );
}

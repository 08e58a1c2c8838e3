//! Integration tests over the real public corpora in `$VIGIL_CORPUS` (CI sets it when the corpora
//! sit beside the checkout). Without the variable every test here says it is skipping and passes; with it,
//! a missing file is a failure. Counts are exact: a change that moves one must explain it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use vigil_pipeline::{DataDir, IngestOptions, IngestReport, ingest};

fn corpus() -> Option<PathBuf> {
    match std::env::var_os("VIGIL_CORPUS") {
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(p.is_dir(), "VIGIL_CORPUS={} is not a directory", p.display());
            Some(p)
        }
        None => {
            // Written to stderr directly, not through eprintln!, which the test harness captures:
            // a skipped corpus test must be visible in the run's output.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "skipping corpus test: VIGIL_CORPUS is not set");
            None
        }
    }
}

fn need(root: &Path, rel: &str) -> PathBuf {
    let p = root.join(rel);
    assert!(p.exists(), "corpus file missing: {}", p.display());
    p
}

fn run(paths: &[PathBuf]) -> (tempfile::TempDir, IngestReport) {
    let data = tempfile::tempdir().unwrap();
    let r = ingest(&DataDir::new(data.path()), paths, &IngestOptions::default()).unwrap();
    assert_eq!(r.records, r.events + r.quarantined + r.duplicates, "totals must add up: {r:#?}");
    (data, r)
}

fn classes(r: &IngestReport) -> BTreeMap<&str, u64> {
    r.by_class.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

fn evtx_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = vigil_source::collect_files(&[dir.to_path_buf()])
        .unwrap()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "evtx"))
        .collect();
    v.sort();
    v
}

#[test]
fn evtx_attack_samples() {
    let Some(root) = corpus() else { return };
    let dir = need(&root, "EVTX-ATTACK-SAMPLES");
    let files = evtx_files(&dir);
    assert_eq!(files.len(), 277);
    // The evtx crate on its own: 8,255 records, no errors.
    let (mut records, mut errors) = (0, 0);
    for f in &files {
        let mut p = evtx::EvtxParser::from_path(f).unwrap();
        for r in p.records_json_value() {
            match r {
                Ok(_) => records += 1,
                Err(_) => errors += 1,
            }
        }
    }
    assert_eq!((records, errors), (8255, 0));

    let (data, r) = run(&files);
    assert_eq!(r.records, 8255, "{r:#?}");
    assert_eq!(r.quarantined, 0);
    // 13 records appear in two files each (content-identical records, same EventRecordID).
    assert_eq!((r.events, r.duplicates), (8242, 13));
    let expected: BTreeMap<&str, u64> = [
        ("account_change", 13),
        ("authentication", 146),
        ("base_event", 3672),
        ("dns_activity", 1),
        ("file_activity", 342),
        ("group_management", 2),
        ("kernel_extension_activity", 8),
        ("module_activity", 654),
        ("network_activity", 270),
        ("process_activity", 1833),
        ("registry_key_activity", 95),
        ("registry_value_activity", 223),
        ("scheduled_job_activity", 9),
        ("smb_activity", 964),
        ("windows_service_activity", 10),
    ]
    .into_iter()
    .collect();
    assert_eq!(classes(&r), expected);

    // A second ingest of the same corpus adds nothing.
    let again = ingest(&DataDir::new(data.path()), &files, &IngestOptions::default()).unwrap();
    assert_eq!((again.events, again.duplicates, again.quarantined), (0, 8255, 0));

    // Pointing at the folder itself: the READMEs, the pcap, the text logs are each quarantined
    // once with a reason, and the events are the same.
    let (_, whole) = run(&[dir]);
    assert_eq!((whole.events, whole.duplicates), (8242, 13));
    assert_eq!(whole.quarantined, 11, "{whole:#?}");
}

#[test]
fn invictus_cloudtrail() {
    let Some(root) = corpus() else { return };
    let (_, r) = run(&[need(&root, "invictus-aws_dataset/CloudTrail")]);
    assert_eq!(r.files, 55);
    assert_eq!((r.events, r.quarantined, r.duplicates), (2900, 0, 0), "{r:#?}");
    assert_eq!(r.by_format.get("cloudtrail"), Some(&2900));
    let expected: BTreeMap<&str, u64> =
        [("account_change", 12), ("api_activity", 2886), ("authentication", 2)].into_iter().collect();
    assert_eq!(classes(&r), expected);
}

#[test]
fn panther_cloudtrail_and_okta_fixtures() {
    let Some(root) = corpus() else { return };
    let ct = need(&root, "panther-analysis-tests/AWS_CloudTrail.jsonl");
    let okta = need(&root, "panther-analysis-tests/Okta_SystemLog.jsonl");
    let (_, r) = run(&[ct]);
    assert_eq!(r.records, 463);
    // Quarantined: fixtures without a usable eventTime (absent, "redacted", "...") or eventSource.
    assert_eq!((r.events, r.quarantined, r.duplicates), PANTHER_CT, "{r:#?}");
    let (_, r) = run(&[okta]);
    assert_eq!(r.records, 66);
    // Quarantined: fixtures whose `published` is absent or "redacted". Keys in lower case
    // (`eventtype`) are read like their camelCase originals.
    assert_eq!((r.events, r.quarantined, r.duplicates), PANTHER_OKTA, "{r:#?}");
    assert_eq!(r.by_format.get("okta"), Some(&PANTHER_OKTA.0));
}

const PANTHER_CT: (u64, u64, u64) = (445, 18, 0);
const PANTHER_OKTA: (u64, u64, u64) = (58, 8, 0);

#[test]
fn security_datasets_atomic_windows() {
    let Some(root) = corpus() else { return };
    let (_, r) = run(&[need(&root, "Security-Datasets/datasets/atomic/windows")]);
    assert_eq!(r.files, 161);
    assert_eq!((r.events, r.quarantined, r.duplicates), OTRF, "{r:#?}");
    assert_eq!(r.by_format.get("json"), None, "every record is recognised as Windows: {r:#?}");
}

const OTRF: (u64, u64, u64) = (668_071, 68, 12_278);

/// The same Zeek logs in JSON and in Zeek's default TSV format normalize to the same classes.
#[test]
fn zeek_json_and_tsv_logs() {
    let Some(root) = corpus() else { return };
    for dir in ["zed-sample-data/zeek-json", "zed-sample-data/zeek-default"] {
        zeek_logs(&need(&root, dir));
    }
}

fn zeek_logs(dir: &Path) {
    let (_, r) = run(&[dir.to_path_buf()]);
    assert_eq!(r.files, 32);
    assert_eq!((r.events, r.quarantined, r.duplicates), (158_439, 0, 0), "{r:#?}");
    let expected: BTreeMap<&str, u64> = [
        ("dns_activity", 53615),
        ("email_activity", 1188),
        ("ftp_activity", 93),
        ("network_activity", 98089),
        ("ntp_activity", 904),
        ("rdp_activity", 4122),
        ("smb_activity", 406),
        ("ssh_activity", 22),
    ]
    .into_iter()
    .collect();
    assert_eq!(classes(&r), expected);
}

/// A real EVTX file cut inside its fourth chunk, and the same file with one chunk corrupted: the
/// intact chunks are ingested, the damage is quarantined with the chunk and record ids it held.
#[test]
fn truncated_and_corrupted_evtx() {
    let Some(root) = corpus() else { return };
    let src = std::fs::read(need(&root, "EVTX-ATTACK-SAMPLES/Command and Control/bits_openvpn.evtx")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("truncated.evtx");
    std::fs::write(&truncated, &src[..4096 + 3 * 65536 + 20_000]).unwrap();
    let mut bad = src.clone();
    for b in &mut bad[4096 + 65536 + 600..4096 + 65536 + 664] {
        *b ^= 0xff;
    }
    let corrupted = dir.path().join("corrupted.evtx");
    std::fs::write(&corrupted, &bad).unwrap();

    let (_, whole) = run(&[need(&root, "EVTX-ATTACK-SAMPLES/Command and Control/bits_openvpn.evtx")]);
    assert_eq!(whole.events, 1537);

    let (data, r) = run(std::slice::from_ref(&truncated));
    assert_eq!((r.events, r.quarantined), (287, 1), "{r:#?}");
    let store = DataDir::new(data.path()).open_store().unwrap();
    use vigil_store::StateStore;
    let q = &store.quarantine(&Default::default()).unwrap()[0].record;
    assert!(q.reason.contains("truncated EVTX") && q.reason.contains("chunk 3 (record ids 288–379"), "{}", q.reason);
    assert_eq!(q.locator, "chunk 3 (byte 200704)");

    let (data, r) = run(std::slice::from_ref(&corrupted));
    assert_eq!((r.events, r.quarantined), (1439, 1), "{r:#?}");
    let store = DataDir::new(data.path()).open_store().unwrap();
    let q = &store.quarantine(&Default::default()).unwrap()[0].record;
    assert!(q.reason.contains("chunk 1 (record ids 99–196, 98 records) cannot be parsed"), "{}", q.reason);
}

//! The `vigil` binary over every Windows shape: EVTX-ATTACK-SAMPLES in `$VIGIL_CORPUS` (skipped,
//! with a message, when it is not set), rendered into each shape Vigil reads (the renderings of
//! `vigil-decode`'s `tests/shapes`), read by the offline scan (`vigil detect`) and by `vigil
//! ingest` with SigmaHQ's Windows rules and the built-in ones — the PowerShell and XML shapes also
//! in UTF-16, as Windows PowerShell writes files by default. For every shape: scan and ingest
//! agree on records, events and quarantine; ingest names the shape in `by_format`; and the alerts,
//! rule by rule, are the `.evtx` files' own.

#[path = "../../vigil-decode/tests/shapes/mod.rs"]
mod shapes;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

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
            let _ = writeln!(std::io::stderr(), "skipping Windows shapes CLI test: VIGIL_CORPUS is not set");
            None
        }
    }
}

fn evtx_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())).flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "evtx") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn vigil(data: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("VIGIL_DATA_DIR")
        .env_remove("VIGIL_TOKEN")
        .output()
        .unwrap_or_else(|e| panic!("run vigil: {e}"));
    assert!(out.status.success(), "vigil {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// What the offline scan said: records scanned and quarantined, and alerts per rule.
#[derive(Debug, PartialEq)]
struct Scan {
    scanned: u64,
    quarantined: u64,
    alerts: BTreeMap<String, u64>,
}

fn number_before(text: &str, word: &str) -> u64 {
    let at = text.find(word).unwrap_or_else(|| panic!("no {word:?} in {text}"));
    text[..at].split_whitespace().last().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{text}"))
}

/// The arguments of a command over `inputs` with `rules`.
fn args<'a>(cmd: &'a str, rules: &'a str, inputs: &'a [String]) -> Vec<&'a str> {
    ["--json", cmd, "--rules", rules].into_iter().chain(inputs.iter().map(String::as_str)).collect()
}

fn scan(data: &Path, rules: &str, inputs: &[String]) -> Scan {
    let out = vigil(data, &args("detect", rules, inputs));
    let mut alerts = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.trim().is_empty()) {
        let a: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let id = a["rule"]["id"].as_str().unwrap_or_default().to_string();
        *alerts.entry(id).or_default() += 1;
    }
    let summary = String::from_utf8_lossy(&out.stderr).to_string();
    let first = summary.lines().find(|l| l.starts_with("scanned ")).unwrap_or_else(|| panic!("{summary}"));
    Scan {
        scanned: number_before(first, "records ("),
        quarantined: number_before(first, "records quarantined"),
        alerts,
    }
}

fn ingest(rules: &str, inputs: &[String]) -> Value {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = vigil(dir.path(), &args("ingest", rules, inputs));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn counts(v: &Value) -> BTreeMap<String, u64> {
    v.as_object().map(|m| m.iter().map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0))).collect()).unwrap_or_default()
}

#[test]
fn scan_and_ingest_agree_and_alert_alike_in_every_shape() {
    let Some(root) = corpus() else { return };
    let base = root.join("EVTX-ATTACK-SAMPLES");
    let rules = root.join("sigma/rules/windows");
    assert!(rules.is_dir(), "{}", rules.display());
    let files = evtx_files(&base);
    assert_eq!(files.len(), 277);
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The .evtx files by name: their folder holds the corpus's notes and metadata too.
    let path = |p: &Path| p.to_string_lossy().into_owned();
    // (label, the decoder that must read it, inputs)
    let mut inputs: Vec<(String, &str, Vec<String>)> =
        vec![("evtx".into(), "evtx", files.iter().map(|f| path(f)).collect())];
    // Each shape in UTF-8; the PowerShell and XML ones also as Windows PowerShell 5's `>` and
    // `Out-File` write them by default, UTF-16 little-endian with its byte-order mark.
    let utf16 = |bytes: &[u8]| -> Vec<u8> {
        let text = String::from_utf8_lossy(bytes);
        [0xff, 0xfe].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
    };
    let variants = shapes::SHAPES
        .iter()
        .map(|(s, e)| (*s, *e, false))
        .chain([("windows-powershell", "json", true), ("windows-xml", "xml", true)]);
    for (shape, ext, wide) in variants {
        let label = if wide { format!("{shape} (UTF-16)") } else { shape.to_string() };
        let dir = work.path().join(label.replace([' ', '(', ')'], "_"));
        for (n, f) in files.iter().enumerate() {
            let recs = shapes::read_evtx(f);
            let p = dir.join(f.strip_prefix(&base).unwrap_or(f)).with_extension(ext);
            std::fs::create_dir_all(p.parent().unwrap_or(&dir)).unwrap_or_else(|e| panic!("{e}"));
            let bytes = shapes::render(shape, &recs, n);
            std::fs::write(&p, if wide { utf16(&bytes) } else { bytes }).unwrap_or_else(|e| panic!("{e}"));
        }
        inputs.push((label, shape, vec![path(&dir)]));
    }
    let rules = path(&rules);
    // The .evtx files' scan, ingest alerts per rule, and events and duplicates.
    type Baseline = (Scan, BTreeMap<String, u64>, (u64, u64));
    let mut baseline: Option<Baseline> = None;
    for (shape, name, input) in &inputs {
        let started = Instant::now();
        let s = scan(scratch.path(), &rules, input);
        let r = ingest(&rules, input);
        let (records, events, quarantined, duplicates) =
            (r["records"].as_u64(), r["events"].as_u64(), r["quarantined"].as_u64(), r["duplicates"].as_u64());
        let (Some(records), Some(events), Some(quarantined), Some(duplicates)) =
            (records, events, quarantined, duplicates)
        else {
            panic!("{shape}: {r}")
        };
        let by_format = counts(&r["by_format"]);
        let alerts_by_rule = counts(&r["alerts_by_rule"]);
        println!(
            "{shape}: scan {} records, {} quarantined, {} alerts; ingest {records} records, {events} events, {duplicates} duplicates, {quarantined} quarantined, {} alerts, by_format {by_format:?} ({:.0}s)",
            s.scanned + s.quarantined,
            s.quarantined,
            s.alerts.values().sum::<u64>(),
            alerts_by_rule.values().sum::<u64>(),
            started.elapsed().as_secs_f64()
        );
        assert_eq!(s.scanned + s.quarantined, records, "{shape}: scan and ingest read the same records");
        assert_eq!(s.quarantined, quarantined, "{shape}: scan and ingest quarantine the same records");
        assert_eq!(s.scanned, events + duplicates, "{shape}: every record scanned is an event or a duplicate");
        assert_eq!(records, 8255, "{shape}");
        assert!(quarantined * 1000 <= records, "{shape}: {quarantined} quarantined");
        assert_eq!(by_format, BTreeMap::from([(name.to_string(), events)]), "{shape}: read as its shape");
        match &baseline {
            None => baseline = Some((s, alerts_by_rule, (events, duplicates))),
            Some((b, b_ingest, b_events)) => {
                assert_eq!((events, duplicates), *b_events, "{shape}: events and duplicates as the .evtx's");
                assert_eq!(s.alerts, b.alerts, "{shape}: the scan's alerts, rule by rule, are the .evtx's");
                assert_eq!(alerts_by_rule, *b_ingest, "{shape}: ingest's alerts, rule by rule, are the .evtx's");
            }
        }
    }
}

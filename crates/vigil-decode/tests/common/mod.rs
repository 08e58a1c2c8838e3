//! Shared helpers of the decoder tests: decoding a payload, the corpus root, and the table of
//! records a decoder quarantines. Each test file that uses them names the unit its payloads are
//! decoded as in a `UNIT` constant at its root.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use vigil_decode::{Decoded, Format, Options, decode_unit};
use vigil_model::{Event, QuarantineRecord};

/// Decodes `data` as the test file's `UNIT`, checking the unit's counts against what came out.
pub fn run(data: &str, opts: &Options) -> (Vec<Event>, Vec<QuarantineRecord>) {
    let (mut ev, mut q) = (Vec::new(), Vec::new());
    let stats = decode_unit(crate::UNIT, data.as_bytes(), opts, &mut |d| match d {
        Decoded::Event(e) => ev.push(*e),
        Decoded::Quarantine(r) => q.push(r),
    });
    assert_eq!((stats.events as usize, stats.quarantined as usize), (ev.len(), q.len()));
    (ev, q)
}

/// Decodes `data` with the format sniffed.
pub fn auto(data: &str) -> (Vec<Event>, Vec<QuarantineRecord>) {
    run(data, &Options::default())
}

/// `$VIGIL_CORPUS`, or `None` with a message that `what` is skipped.
pub fn corpus(what: &str) -> Option<PathBuf> {
    match std::env::var_os("VIGIL_CORPUS") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            println!("skipping {what}: VIGIL_CORPUS is not set");
            None
        }
    }
}

/// Each line, read with `--format` naming `format`, is quarantined (and nothing else comes out)
/// by that decoder, with a reason containing its substring.
pub fn quarantined_with_reasons<L: AsRef<str>>(format: &str, cases: &[(L, &str)]) {
    let opts = Options { format: Format::named(format).unwrap(), ..Options::default() };
    for (line, why) in cases {
        let line = line.as_ref();
        let (ev, q) = run(line, &opts);
        assert!(ev.is_empty(), "{line}");
        assert_eq!(q.len(), 1, "{line}");
        assert!(q[0].reason.contains(why), "{line}: {}", q[0].reason);
        assert_eq!(q[0].format, format);
    }
}

/// The Panther test fixture files (`panther-analysis-tests/*.jsonl` under the corpus root), sorted.
pub fn panther_fixture_files(root: &Path) -> Vec<PathBuf> {
    let dir = root.join("panther-analysis-tests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
}

/// The registered decoder of that name.
pub fn decoder(name: &str) -> &'static dyn vigil_decode::Decoder {
    *vigil_decode::DECODERS.iter().find(|d| d.name() == name).unwrap()
}

/// The decoder's finding for each record of a fixture file, in order (envelopes unwrapped).
pub fn findings(name: &str, text: &str) -> Vec<Option<vigil_decode::Finding>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            decoder(name).finding(v.get("log").unwrap_or(&v))
        })
        .collect()
}

/// A Panther fixture file's text.
pub fn fixture(root: &Path, file: &str) -> String {
    let path = root.join("panther-analysis-tests").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What every record of every Panther fixture file is sniffed as, without its envelope's word
/// for it, counted per file for the records of `own_file` and those sniffed as `format`; `each`
/// sees every record with what it was sniffed as (and its line), for a test's own checks.
pub fn sniffed_by_file(
    root: &Path,
    own_file: &str,
    format: &str,
    each: &mut dyn FnMut(&'static str, &serde_json::Value, &str),
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<&'static str, usize>> {
    let mut by_file: std::collections::BTreeMap<String, std::collections::BTreeMap<&'static str, usize>> =
        Default::default();
    for f in panther_fixture_files(root) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let record = v.get("log").unwrap_or(&v);
            let sniffed = vigil_decode::detect(record).name();
            each(sniffed, record, line);
            if name == own_file || sniffed == format {
                *by_file.entry(name.clone()).or_default().entry(sniffed).or_insert(0) += 1;
            }
        }
    }
    println!("{by_file:#?}");
    by_file
}

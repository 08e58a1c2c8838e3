//! One record, one identity, one verdict: every record of EVTX-ATTACK-SAMPLES in
//! `$VIGIL_CORPUS` (skipped, with a message, when it is not set), rendered into every Windows
//! shape Vigil reads (see `shapes/mod.rs`), decodes to the same OCSF event and the same Sigma
//! field view as the `.evtx` file itself gives, and at most 0.1 % of any shape's records are
//! quarantined.
//!
//! What is equal across shapes and what is not:
//! - equal: every OCSF field (class, activity, time to the millisecond, severity, status, actor,
//!   user, group, endpoints, process, file, auth, DNS, message, product, vendor, log name, event
//!   code, record id) except, for Sentinel `SecurityEvent` rows, the record id, which the table
//!   does not keep;
//! - equal: the Sigma view's header (`EventID`, `Channel`, `Provider_Name`, `Computer`,
//!   `EventRecordID`) and every event data field, compared as text (XML shapes carry every value
//!   as text where the `evtx` rendering has numbers); for the XML shapes every System field too,
//!   `TimeCreated` to 100 ns. PowerShell's `Properties` leave out an event's `Binary`;
//! - not equal: the event id, which hashes the record as written in its shape, and `raw`,
//!   `metadata.format` (the shape's decoder), `metadata.source` and `metadata.locator`.
//!
//! Alerts per shape against the `.evtx` are compared through the `vigil` binary, in
//! `vigil-cli`'s `tests/windows_shapes.rs`.

mod shapes;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use vigil_decode::{Occurrences, Options, Scanned, WindowsView, scan_unit};
use vigil_model::{Event, QuarantineRecord};

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
            let _ = writeln!(std::io::stderr(), "skipping Windows shapes corpus test: VIGIL_CORPUS is not set");
            None
        }
    }
}

fn evtx_files(root: &Path) -> Vec<PathBuf> {
    let dir = root.join("EVTX-ATTACK-SAMPLES");
    assert!(dir.is_dir(), "corpus folder missing: {}", dir.display());
    let mut out = Vec::new();
    let mut stack = vec![dir];
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

/// One framed record's outcome: the event and the record as its decoder read it, or why not.
type Outcome = Result<(Event, Value), QuarantineRecord>;

fn outcomes(name: &str, data: &[u8]) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut occ = Occurrences::default();
    scan_unit(name, data, &Options::default(), &mut |s| match s {
        Scanned::Record(r) => match r.normalize() {
            vigil_decode::Decoded::Event(mut e) => {
                occ.number(&mut e);
                out.push(Ok((*e, r.value().clone())));
            }
            vigil_decode::Decoded::Quarantine(q) => out.push(Err(q)),
        },
        Scanned::Quarantine(q) => out.push(Err(q)),
    });
    out
}

/// The OCSF event less what names the record's shape and place.
fn ocsf(e: &Event, keep_record_id: bool) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or_default();
    if let Value::Object(m) = &mut v {
        m.remove("id");
        m.remove("raw");
        if let Some(Value::Object(md)) = m.get_mut("metadata") {
            for k in ["format", "source", "locator"] {
                md.remove(k);
            }
            if !keep_record_id {
                md.remove("original_uid");
            }
        }
    }
    v
}

/// A view value as text: strings as they are, other scalars printed, lists of them in order.
/// Control characters XML cannot carry (a SAM privilege list's raw bytes) are compared as the `_`
/// the `evtx` crate's XML writes for them.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => {
            s.chars().map(|c| if c.is_control() && !matches!(c, '\t' | '\r' | '\n') { '_' } else { c }).collect()
        }
        Value::Null => String::new(),
        Value::Array(a) => format!("[{}]", a.iter().map(text).collect::<Vec<_>>().join("|")),
        Value::Object(m) => match m.get("#text") {
            Some(t) => text(t),
            None => v.to_string(),
        },
        other => other.to_string(),
    }
}

/// `TimeCreated` to 100 ns, whatever way the shape writes it.
fn time_100ns(s: &str) -> String {
    let t = s.trim().trim_end_matches('Z').replace(' ', "T");
    chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|d| format!("{}", d.and_utc().timestamp_nanos_opt().unwrap_or(0) / 100))
        .unwrap_or_else(|_| s.to_string())
}

const HEADER: &[&str] = &["EventID", "Channel", "Provider_Name", "Computer", "EventRecordID"];

/// The Sigma view of a record: each name with its values as text, in order. `only`, when given,
/// keeps the header and the names it lists.
fn view(v: &Value, only: Option<&[String]>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Some(w) = WindowsView::of(v) else { return out };
    let head = w.fields().count() - w.data().count();
    for (i, (k, x)) in w.fields().enumerate() {
        if let Some(names) = only
            && if i < head { !HEADER.contains(&k) } else { !names.iter().any(|n| n == k) }
        {
            continue;
        }
        let t = if k == "TimeCreated" { time_100ns(&text(x)) } else { text(x) };
        out.entry(k.to_string()).or_default().push(t);
    }
    out
}

fn data_names(v: &Value) -> Vec<String> {
    WindowsView::of(v).map(|w| w.data().map(|(k, _)| k.to_string()).collect()).unwrap_or_default()
}

#[derive(Default)]
struct Tally {
    records: usize,
    events: usize,
    quarantined: usize,
    ocsf_differ: usize,
    view_differ: usize,
    bytes: usize,
    elapsed: Duration,
    examples: Vec<String>,
}

#[test]
fn every_shape_of_every_record_is_the_same_event() {
    let Some(root) = corpus() else { return };
    let files = evtx_files(&root);
    assert_eq!(files.len(), 277);
    let out_dir = std::env::var_os("VIGIL_SHAPES_OUT").map(PathBuf::from);
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut total = 0usize;
    let base_root = root.join("EVTX-ATTACK-SAMPLES");
    for (n, f) in files.iter().enumerate() {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let base = outcomes("base.evtx", &data);
        let recs = shapes::read_evtx(f);
        assert_eq!(base.len(), recs.len(), "{}", f.display());
        total += base.len();
        for (shape, ext) in shapes::SHAPES {
            let payload = shapes::render(shape, &recs, n);
            if let Some(dir) = &out_dir {
                let rel = f.strip_prefix(&base_root).unwrap_or(f);
                let p = dir.join(shape).join(rel).with_extension(ext);
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
                }
                std::fs::write(&p, &payload).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            }
            let started = Instant::now();
            let got = outcomes(&format!("shape.{ext}"), &payload);
            let t = tallies.entry(shape).or_default();
            t.elapsed += started.elapsed();
            t.bytes += payload.len();
            t.records += got.len();
            assert_eq!(got.len(), base.len(), "{shape}: one outcome per record of {}", f.display());
            for (i, (b, g)) in base.iter().zip(&got).enumerate() {
                let (be, bv) =
                    b.as_ref().unwrap_or_else(|q| panic!("the .evtx quarantined {}: {}", f.display(), q.reason));
                let (ge, gv) = match g {
                    Ok(x) => x,
                    Err(q) => {
                        t.quarantined += 1;
                        if t.examples.len() < 5 {
                            t.examples.push(format!("{} #{i}: quarantined: {}", f.display(), q.reason));
                        }
                        continue;
                    }
                };
                t.events += 1;
                assert_eq!(ge.metadata.format, *shape, "{}: read as its shape", f.display());
                let security_row =
                    *shape == "windows-sentinel" && gv.get("Type").and_then(Value::as_str) == Some("SecurityEvent");
                let (bo, go) = (ocsf(be, !security_row), ocsf(ge, !security_row));
                if bo != go {
                    t.ocsf_differ += 1;
                    if t.examples.len() < 5 {
                        let (Value::Object(bm), Value::Object(gm)) = (&bo, &go) else { continue };
                        let keys: std::collections::BTreeSet<&String> = bm.keys().chain(gm.keys()).collect();
                        let diff: Vec<String> = keys
                            .into_iter()
                            .filter(|k| bm.get(*k) != gm.get(*k))
                            .map(|k| format!("{k}: evtx {:?} shape {:?}", bm.get(k), gm.get(k)))
                            .collect();
                        t.examples.push(format!("{} #{i}: OCSF: {}", f.display(), diff.join("; ")));
                    }
                }
                let full = matches!(*shape, "windows-xml" | "windows-xmljson");
                let mut names = data_names(bv);
                if *shape == "windows-powershell" {
                    names.retain(|n| n != "Binary");
                }
                let mut bview = view(bv, (!full).then_some(names.as_slice()));
                if security_row {
                    bview.remove("EventRecordID");
                }
                let mut gview = view(gv, None);
                if *shape == "windows-powershell" {
                    // A pointer (Sysmon 8's StartAddress) is zero-padded to the logging system's
                    // width in XML; .NET gives a number, so the padding is not known: compare values.
                    for vals in bview.values_mut().chain(gview.values_mut()) {
                        for v in vals.iter_mut() {
                            if let Some(n) = v.strip_prefix("0x").and_then(|h| u64::from_str_radix(h, 16).ok()) {
                                *v = format!("0x{n:x}");
                            }
                        }
                    }
                }
                if *shape == "windows-ecs" {
                    // Winlogbeat names unnamed data `param1`…, as some providers name theirs: both
                    // names are kept, so rules written either way match. Only one is in the XML.
                    let extra: Vec<String> = gview
                        .keys()
                        .filter(|k| !bview.contains_key(*k))
                        .filter(|k| *k == "Data" || k.strip_prefix("param").is_some_and(|n| n.parse::<u32>().is_ok()))
                        .cloned()
                        .collect();
                    for k in extra {
                        gview.remove(&k);
                    }
                }
                if bview != gview {
                    t.view_differ += 1;
                    if t.examples.len() < 8 {
                        let keys: std::collections::BTreeSet<&String> = bview.keys().chain(gview.keys()).collect();
                        let diff: Vec<String> = keys
                            .into_iter()
                            .filter(|k| bview.get(*k) != gview.get(*k))
                            .map(|k| format!("{k}: evtx {:?} shape {:?}", bview.get(k), gview.get(k)))
                            .collect();
                        t.examples.push(format!("{} #{i}: Sigma view: {}", f.display(), diff.join("; ")));
                    }
                }
            }
        }
    }
    assert_eq!(total, 8255);
    let mut failed = Vec::new();
    for (shape, t) in &tallies {
        let secs = t.elapsed.as_secs_f64().max(1e-9);
        println!(
            "{shape}: {} records, {} events, {} quarantined, {} OCSF differences, {} view differences; decoded {:.0} records/s, {:.1} MB/s (this build)",
            t.records,
            t.events,
            t.quarantined,
            t.ocsf_differ,
            t.view_differ,
            t.records as f64 / secs,
            t.bytes as f64 / 1e6 / secs
        );
        for e in &t.examples {
            println!("  {e}");
        }
        if t.quarantined * 1000 > t.records || t.ocsf_differ > 0 || t.view_differ > 0 {
            failed.push(*shape);
        }
    }
    assert_eq!(tallies.len(), shapes::SHAPES.len());
    assert!(failed.is_empty(), "shapes that are not the same event: {failed:?}");
}

/// Regenerates `src/windows_templates.rs`'s table from the corpus's events: the names of each
/// template's fields, in order, and which hold hex numbers or GUIDs.
#[test]
#[ignore = "regenerates a source file; run by hand with VIGIL_CORPUS and VIGIL_WRITE_TEMPLATES=1"]
fn write_templates() {
    let Some(root) = corpus() else { return };
    type Key = (String, u32, u32, usize);
    let mut table: BTreeMap<Key, Vec<(String, Vec<String>)>> = BTreeMap::new();
    let mut conflicts = 0;
    for f in evtx_files(&root) {
        for r in shapes::read_evtx(&f) {
            let s = shapes::sys(&r.json);
            let Some(w) = WindowsView::of(&r.json) else { continue };
            let fields: Vec<(String, Value)> =
                w.data().filter(|(k, _)| *k != "Binary").map(|(k, v)| (k.to_string(), v.clone())).collect();
            if fields.is_empty() || fields.iter().any(|(k, _)| k == "Data") {
                continue;
            }
            let id = vigil_decode::json::as_int(&s.event_id).unwrap_or(-1) as u32;
            let version = vigil_decode::json::as_int(&s.version).unwrap_or(0) as u32;
            let key = (s.provider.clone(), id, version, fields.len());
            // Each value as text, or nothing for a value that is not text.
            let kinds: Vec<(String, String)> =
                fields.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("\u{0}").to_string())).collect();
            match table.get_mut(&key) {
                None => {
                    table.insert(key, kinds.into_iter().map(|(k, t)| (k, vec![t])).collect());
                }
                Some(prev) => {
                    if prev.iter().map(|(k, _)| k).ne(kinds.iter().map(|(k, _)| k)) {
                        conflicts += 1;
                        println!("names differ for {key:?}");
                        continue;
                    }
                    for ((_, seen), (_, t)) in prev.iter_mut().zip(kinds) {
                        seen.push(t);
                    }
                }
            }
        }
    }
    let mut body = String::new();
    for ((provider, id, version, _), fields) in &table {
        let fs: Vec<String> = fields
            .iter()
            .map(|(k, seen)| {
                let kind = kind_of(seen);
                format!("({k:?}, {kind})")
            })
            .collect();
        body.push_str(&format!("({provider:?}, {id}, {version}, &[{}]),\n", fs.join(", ")));
    }
    println!("{} templates, {conflicts} conflicting records", table.len());
    if std::env::var_os("VIGIL_WRITE_TEMPLATES").is_some() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/windows_templates.rs");
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        let (head, rest) = src.split_once("// BEGIN GENERATED\n").unwrap_or_else(|| panic!("no BEGIN marker"));
        let (_, tail) = rest.split_once("// END GENERATED\n").unwrap_or_else(|| panic!("no END marker"));
        std::fs::write(&path, format!("{head}// BEGIN GENERATED\n{body}// END GENERATED\n{tail}"))
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// How .NET's rendering of a field differs from its XML, from every value the corpus has of it:
/// hex numbers (`H` lower case, `X` upper case, with the zero-padded width when every value has
/// one width and some have leading zeros) or GUIDs (`G`, `GU` in upper case).
fn kind_of(values: &[String]) -> String {
    let hex = |x: &String| x.len() > 2 && x.starts_with("0x") && x[2..].bytes().all(|b| b.is_ascii_hexdigit());
    let guid = |x: &String| x.len() == 38 && x.starts_with('{') && x.ends_with('}');
    if values.iter().all(hex) {
        let digits: Vec<&str> = values.iter().map(|x| &x[2..]).collect();
        let upper = digits.iter().any(|d| d.bytes().any(|b| b.is_ascii_uppercase()));
        let one_width = digits.iter().all(|d| d.len() == digits[0].len());
        let padded = digits.iter().any(|d| d.len() > 1 && d.starts_with('0'));
        let width = if one_width && padded { digits[0].len() } else { 0 };
        format!("{}({width})", if upper { "X" } else { "H" })
    } else if values.iter().all(guid) {
        if values.iter().any(|x| x.bytes().any(|b| b.is_ascii_uppercase())) { "GU".into() } else { "G".into() }
    } else {
        "T".into()
    }
}

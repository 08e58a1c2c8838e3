//! The contract every decoder of the registry keeps, checked on each one's own sample record:
//! it decodes to a class the registry declares, sniffing gives it to the decoder's family, the
//! id is stable under re-ingest, re-ordered keys, other white space, framing and fixture
//! envelopes, and malformed, truncated, huge and hostile input is quarantined with a reason,
//! one outcome per record, without a panic. Routing to the Sigma logsource is checked in
//! `vigil-detect`'s tests, which may depend on this crate (not the other way round).

use std::collections::HashSet;

use serde_json::Value;
use vigil_decode::{
    DECODERS, Decoded, Decoder, Format, Options, Record, Scanned, Service, decode_unit, detect, scan_unit,
};
use vigil_model::{Event, EventId, QuarantineRecord};

struct Outcome {
    events: Vec<Event>,
    quarantined: Vec<QuarantineRecord>,
}

/// Decodes one payload; the counts the decoder reports must be the outcomes it handed over.
fn run(name: &str, data: &[u8], opts: &Options) -> Outcome {
    let mut events = Vec::new();
    let mut quarantined = Vec::new();
    let stats = decode_unit(name, data, opts, &mut |d| match d {
        Decoded::Event(e) => events.push(*e),
        Decoded::Quarantine(q) => quarantined.push(q),
    });
    assert_eq!(stats.events as usize, events.len(), "{name}: events counted");
    assert_eq!(stats.quarantined as usize, quarantined.len(), "{name}: quarantine counted");
    for q in &quarantined {
        assert!(!q.reason.trim().is_empty(), "{name}: quarantined without a reason: {q:?}");
    }
    Outcome { events, quarantined }
}

fn by_name(d: &dyn Decoder) -> Options {
    Options { format: Format::named(d.name()).expect("registered name parses"), ..Options::default() }
}

fn auto() -> Options {
    Options::default()
}

fn sample_value(d: &dyn Decoder) -> Value {
    serde_json::from_str(d.sample()).unwrap_or_else(|e| panic!("{}: sample is not JSON: {e}", d.name()))
}

/// The id a record of this decoder's family gets.
fn expected_id(d: &dyn Decoder) -> EventId {
    EventId::of_json(d.family(), &sample_value(d))
}

/// Whether sniffing gives the sample to this very decoder (EVTX's records come by their binary
/// framing; their JSON rendering sniffs as Windows JSON, of the same family).
fn sniffed_as_itself(d: &dyn Decoder) -> bool {
    detect(&sample_value(d)).name() == d.name()
}

/// JSON text with every object's keys in reverse order (serde_json sorts them itself).
fn reversed(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let parts: Vec<String> =
                m.iter().rev().map(|(k, x)| format!("{}:{}", Value::String(k.clone()), reversed(x))).collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(reversed).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

/// Every path (object keys and array indices) in a value.
fn paths(v: &Value, prefix: &mut Vec<PathPart>, out: &mut Vec<Vec<PathPart>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                prefix.push(PathPart::Key(k.clone()));
                out.push(prefix.clone());
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                prefix.push(PathPart::Index(i));
                out.push(prefix.clone());
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathPart {
    Key(String),
    Index(usize),
}

fn replace_at(v: &mut Value, path: &[PathPart], with: Value) {
    let mut cur = v;
    for p in path {
        cur = match (p, cur) {
            (PathPart::Key(k), Value::Object(m)) => m.get_mut(k).expect("path exists"),
            (PathPart::Index(i), Value::Array(a)) => &mut a[*i],
            _ => unreachable!("paths come from the same value"),
        };
    }
    *cur = with;
}

fn remove_at(v: &mut Value, path: &[PathPart]) {
    let Some((last, parent)) = path.split_last() else { return };
    let mut cur = v;
    for p in parent {
        cur = match (p, cur) {
            (PathPart::Key(k), Value::Object(m)) => m.get_mut(k).expect("path exists"),
            (PathPart::Index(i), Value::Array(a)) => &mut a[*i],
            _ => unreachable!("paths come from the same value"),
        };
    }
    match (last, cur) {
        (PathPart::Key(k), Value::Object(m)) => {
            m.remove(k);
        }
        (PathPart::Index(i), Value::Array(a)) => {
            a.remove(*i);
        }
        _ => unreachable!("paths come from the same value"),
    }
}

#[test]
fn the_registry_is_one_consistent_list() {
    assert!(!DECODERS.is_empty());
    let mut names = HashSet::new();
    names.insert("auto");
    for d in DECODERS {
        let n = d.name();
        assert!(!n.is_empty() && n == n.to_ascii_lowercase() && !n.contains(char::is_whitespace), "name {n:?}");
        assert!(names.insert(n), "{n}: name used twice");
        for a in d.aliases() {
            assert!(*a == a.to_ascii_lowercase(), "{n}: alias {a:?} not lower case");
            assert!(names.insert(a), "{n}: alias {a} clashes with another name or alias");
        }
        assert!(!d.family().is_empty(), "{n}: no family");
        let desc = d.description();
        assert!(!desc.trim().is_empty() && !desc.contains('\n'), "{n}: description must be one line");
        assert!(!d.classes().is_empty(), "{n}: declares no OCSF class");
        let ls = d.logsource();
        if let Some(p) = ls.product {
            assert_eq!(p, p.to_ascii_lowercase(), "{n}: product is matched lower case");
        }
        if let Service::Fixed(s) = ls.service {
            assert_eq!(s, s.to_ascii_lowercase(), "{n}: service is matched lower case");
            assert!(ls.product.is_some(), "{n}: a service without a product");
        }
        // Names and aliases parse back to the decoder, in any case.
        assert_eq!(Format::named(n).map(Format::name), Some(n));
        assert_eq!(n.to_ascii_uppercase().parse::<Format>().map(Format::name), Ok(n));
        for a in d.aliases() {
            assert_eq!(a.parse::<Format>().map(Format::name), Ok(n), "alias {a}");
        }
    }
    assert_eq!(Format::named("auto"), Some(Format::Auto));
    let err = "nosuch".parse::<Format>().unwrap_err();
    for d in DECODERS {
        assert!(err.contains(d.name()), "the error lists every name: {err}");
    }
    // Names, in registry order, behind auto.
    let expect: Vec<&str> = std::iter::once("auto").chain(DECODERS.iter().map(|d| d.name())).collect();
    assert_eq!(Format::names(), expect);
    // Help is derived from the list.
    let (help, long) = (Format::help(), Format::long_help());
    for d in DECODERS {
        assert!(help.contains(d.name()), "{help}");
        assert!(long.contains(d.name()) && long.contains(d.description()), "{long}");
        for a in d.aliases() {
            assert!(long.contains(a), "{long}");
        }
    }
    // The last decoder takes any record; no other takes a record with nothing vendor-specific.
    let (last, rest) = DECODERS.split_last().expect("non-empty");
    assert!(last.recognizes(&serde_json::json!({})), "the last decoder is the fallback");
    let plain = serde_json::json!({"time": "2024-01-01T00:00:00Z", "message": "hello", "host": "h"});
    for d in rest {
        assert!(!d.recognizes(&plain), "{} claims a record with no vendor keys", d.name());
    }
}

#[test]
fn every_sample_decodes_to_a_declared_class_by_name_by_sniffing_and_as_a_value() {
    for d in DECODERS {
        let n = d.name();
        let want = expected_id(*d);

        // As a value handed over whole, read by this decoder.
        let rec = Record::from_value("sample.json", "sample".into(), *d, sample_value(*d));
        assert_eq!(rec.family(), d.family());
        assert_eq!(rec.decoder().name(), n);
        match rec.normalize() {
            Decoded::Event(e) => {
                assert!(d.classes().contains(&e.class), "{n}: class {:?} is not declared", e.class);
                assert_eq!(e.id, want, "{n}: the id hashes the family and the record");
                assert_eq!(e.metadata.format, n);
            }
            Decoded::Quarantine(q) => panic!("{n}: its own sample is quarantined: {}", q.reason),
        }

        // Sniffed from a file: the same family, so the same id.
        let out = run("sample.json", d.sample().as_bytes(), &auto());
        assert!(out.quarantined.is_empty(), "{n}: {:?}", out.quarantined);
        assert_eq!(out.events.len(), 1, "{n}");
        assert_eq!(out.events[0].id, want, "{n}: sniffing reads the sample as this decoder's family");
        assert!(d.classes().contains(&out.events[0].class), "{n}");

        // Named with --format: the same event, unless the decoder reads its own framing only
        // (EVTX), in which case the JSON is quarantined with the reason.
        let out = run("sample.json", d.sample().as_bytes(), &by_name(*d));
        assert_eq!(out.events.len() + out.quarantined.len(), 1, "{n}: one outcome");
        if sniffed_as_itself(*d) {
            assert_eq!(out.events.len(), 1, "{n}: {:?}", out.quarantined);
            assert_eq!(out.events[0].id, want, "{n}");
            assert_eq!(out.events[0].metadata.format, n);
        } else {
            assert!(!d.recognizes(&sample_value(*d)), "{n}: recognizes its sample but sniffing does not pick it");
            assert_eq!(out.quarantined.len(), 1, "{n}");
        }

        // The record's routing inputs are the registry's.
        let mut seen = 0;
        let name = format!("{}.json", d.name());
        scan_unit(&name, d.sample().as_bytes(), &auto(), &mut |s| {
            let Scanned::Record(r) = s else { panic!("{n}: sample quarantined while scanning") };
            seen += 1;
            assert_eq!(r.family(), d.family(), "{n}");
            assert_eq!(r.decoder().logsource(), d.logsource(), "{n}");
            if d.logsource().service == Service::LogName {
                assert!(r.log_name().is_some(), "{n}: a record routed by log name has one");
            } else if let Service::OneOf(names) = d.logsource().service {
                let s = r.log_name().unwrap_or_else(|| panic!("{n}: the sample states one of its services"));
                assert!(names.contains(&s), "{n}: {s} is not one of {names:?}");
            } else {
                assert!(r.log_name().is_none(), "{n}");
            }
        });
        assert_eq!(seen, 1);
    }
}

#[test]
fn ids_are_stable_under_reingest_key_order_white_space_framing_and_envelopes() {
    for d in DECODERS {
        let n = d.name();
        let want = expected_id(*d);
        let v = sample_value(*d);
        let opts = auto();
        let id_of = |text: &str, what: &str| {
            let out = run("again.json", text.as_bytes(), &opts);
            assert_eq!(out.events.len(), 1, "{n} {what}: {:?}", out.quarantined);
            out.events[0].id.clone()
        };
        assert_eq!(id_of(d.sample(), "re-ingest"), want, "{n}: ingested again");
        assert_eq!(id_of(&reversed(&v), "reversed keys"), want, "{n}: keys in another order");
        let pretty = serde_json::to_string_pretty(&v).expect("serializes");
        assert_eq!(id_of(&pretty, "pretty-printed"), want, "{n}: pretty-printed over many lines");
        assert_eq!(id_of(&format!("[\n  {}\n]", d.sample()), "in an array"), want, "{n}: as an array element");
        let env = format!(r#"{{"rule_id":"Some.Rule","expected_result":true,"log":{}}}"#, reversed(&v));
        assert_eq!(id_of(&env, "in a fixture envelope"), want, "{n}: the id is the vendor record's");

        // Two copies in one payload are two occurrences; reading the payload again gives both ids again.
        let twice = format!("{}\n{}\n", d.sample(), reversed(&v));
        let a = run("twice.json", twice.as_bytes(), &opts);
        let b = run("twice.json", twice.as_bytes(), &opts);
        assert_eq!(a.events.len(), 2, "{n}");
        assert_ne!(a.events[0].id, a.events[1].id, "{n}: occurrences are kept apart");
        assert_eq!(a.events[0].id, want, "{n}: the first occurrence keeps the record's id");
        let ids = |o: &Outcome| o.events.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b), "{n}: re-ingest is idempotent");
    }
}

/// Inputs that must each be quarantined, with `name` and `auto`, as one payload each.
fn hostile_payloads(d: &dyn Decoder) -> Vec<(String, Vec<u8>)> {
    let s = d.sample();
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    out.push(("malformed: trailing comma".into(), format!("{},}}", &s[..s.len() - 1]).into_bytes()));
    out.push(("malformed: two values run together".into(), format!("{s}{s}").into_bytes()));
    out.push(("truncated line".into(), s.as_bytes()[..s.len() / 2].to_vec()));
    out.push(("truncated array".into(), format!("[{}", &s[..s.len() - 1]).into_bytes()));
    let deep = 100_000;
    out.push(("deep object".into(), format!("{}1{}", "{\"a\":".repeat(deep), "}".repeat(deep)).into_bytes()));
    out.push(("deep array".into(), format!("{}{}", "[".repeat(deep), "]".repeat(deep)).into_bytes()));
    let deep_in_record = format!("{{\"x\":{}1{},{}", "[".repeat(deep), "]".repeat(deep), &s[1..]);
    out.push(("deep field in a record".into(), deep_in_record.into_bytes()));
    // Non-UTF-8 bytes inside the record's first string value.
    let quote = s.find(":\"").map_or(1, |i| i + 2);
    let mut bad = s.as_bytes().to_vec();
    bad.splice(quote..quote, [0xff, 0xfe]);
    out.push(("non-UTF-8".into(), bad));
    out.push(("empty object".into(), b"{}".to_vec()));
    out.push(("huge".into(), format!("{{\"pad\":\"{}\",{}", "A".repeat(5 << 20), &s[1..]).into_bytes()));
    out
}

#[test]
fn malformed_truncated_huge_and_hostile_input_is_quarantined_with_a_reason() {
    for d in DECODERS {
        let n = d.name();
        for opts in [by_name(*d), auto()] {
            for (what, data) in hostile_payloads(*d) {
                let out = run("hostile.json", &data, &opts);
                assert!(out.events.is_empty(), "{n} ({}) {what}: decoded {:?}", opts.format, out.events.len());
                assert!(!out.quarantined.is_empty(), "{n} ({}) {what}: no outcome at all", opts.format);
                // Decoders that read their own framing only (EVTX) refuse the payload whole.
                let framed_as_json = sniffed_as_itself(*d) || opts.format == Format::Auto;
                if what == "huge" && framed_as_json {
                    assert!(out.quarantined[0].reason.contains("exceeds"), "{n}: {}", out.quarantined[0].reason);
                }
                if what == "non-UTF-8" && framed_as_json {
                    assert!(out.quarantined[0].reason.contains("UTF-8"), "{n}: {}", out.quarantined[0].reason);
                }
            }
            // A record just over the limit is quarantined as too large, excerpt bounded.
            let tight = Options { max_record_bytes: d.sample().len() - 1, ..opts };
            let out = run("tight.json", d.sample().as_bytes(), &tight);
            assert_eq!(out.events.len() + out.quarantined.len(), 1, "{n}");
            if sniffed_as_itself(*d) || opts.format == Format::Auto {
                assert!(out.events.is_empty(), "{n}: over the limit but decoded");
                assert!(out.quarantined[0].reason.contains("exceeds"), "{n}: {}", out.quarantined[0].reason);
                assert!(out.quarantined[0].excerpt.len() <= QuarantineRecord::EXCERPT_MAX);
            }
        }
    }
}

#[test]
fn wrong_types_and_missing_fields_give_one_outcome_each_never_a_panic() {
    let hostile = [
        Value::Null,
        Value::Bool(true),
        serde_json::json!(-1),
        serde_json::json!(1e308),
        serde_json::json!(u64::MAX),
        serde_json::json!(""),
        serde_json::json!("-"),
        serde_json::json!("\u{0}\u{202e}ä😀"),
        serde_json::json!([]),
        serde_json::json!([[{"#text": {}}]]),
        serde_json::json!({}),
        serde_json::json!({"#text": [1], "#attributes": "x"}),
    ];
    for d in DECODERS {
        let n = d.name();
        let v = sample_value(*d);
        let mut all = Vec::new();
        paths(&v, &mut Vec::new(), &mut all);
        let mut lines = Vec::new();
        for p in &all {
            for h in &hostile {
                let mut m = v.clone();
                replace_at(&mut m, p, h.clone());
                lines.push(m.to_string());
            }
            let mut m = v.clone();
            remove_at(&mut m, p);
            lines.push(m.to_string());
        }
        for top in [&serde_json::json!([1, 2]), &serde_json::json!("text"), &serde_json::json!(7), &Value::Null] {
            lines.push(top.to_string());
        }
        // Each variant read by this decoder directly: an event of a declared class, or a reason.
        let (mut decoded, mut refused) = (0, 0);
        for l in &lines {
            let value: Value = serde_json::from_str(l).expect("variants are JSON");
            match Record::from_value("types.json", "variant".into(), *d, value).normalize() {
                Decoded::Event(e) => {
                    assert!(d.classes().contains(&e.class), "{n}: {:?} from {l}", e.class);
                    decoded += 1;
                }
                Decoded::Quarantine(q) => {
                    assert!(!q.reason.trim().is_empty(), "{n}: no reason for {l}");
                    refused += 1;
                }
            }
        }
        assert_eq!(decoded + refused, lines.len());
        // And framed from one payload, by name where the decoder reads JSON lines.
        let data = lines.join("\n");
        let opts = if sniffed_as_itself(*d) { by_name(*d) } else { auto() };
        let out = run("types.json", data.as_bytes(), &opts);
        assert_eq!(out.events.len() + out.quarantined.len(), lines.len(), "{n}: one outcome per record");
        println!("{n}: {} variants of {} paths: {decoded} decoded, {refused} quarantined", lines.len(), all.len());
        for e in &out.events {
            assert!(d.classes().contains(&e.class) || opts.format == Format::Auto, "{n}: {:?}", e.class);
        }
    }
}

#[test]
fn unknown_bytes_never_panic() {
    // A cheap fuzz: every decoder over byte soup built from its own sample.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for d in DECODERS {
        let s = d.sample().as_bytes();
        for _ in 0..300 {
            let mut b = s.to_vec();
            for _ in 0..(next() % 8 + 1) {
                let i = (next() as usize) % b.len();
                match next() % 3 {
                    0 => b[i] = next() as u8,
                    1 => {
                        b.remove(i);
                    }
                    _ => {
                        let soup = b"{}[]\",:\\\x00\xff";
                        b.insert(i, soup[(next() as usize) % soup.len()]);
                    }
                }
            }
            for opts in [by_name(*d), auto()] {
                let out = run("soup.json", &b, &opts);
                let _ = out.events.len() + out.quarantined.len();
            }
        }
    }
}

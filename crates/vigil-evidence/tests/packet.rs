//! Incident packets: a packet verifies, and every kind of tampering fails verification with a
//! message naming what was changed.

use std::io::{Cursor, Read, Write};

use serde_json::json;
use vigil_evidence::packet::{
    self, ConsistencyLine, Manifest, ManifestLedger, PacketFile, ProvenEntry, TrustedKey, VerifyReport, verify_packet,
    verify_packet_trusting,
};
use vigil_evidence::{Checkpoint, MerkleLog, SignedCheckpoint, SigningKey, canonical_json};

fn entry(seq: u64, fork: &str) -> serde_json::Value {
    json!({
        "seq": seq,
        "at_ms": 1_700_000_000_000i64 + seq as i64 * 1000,
        "actor": if seq.is_multiple_of(3) { "vigil:triage" } else { "ann" },
        "action": if seq.is_multiple_of(2) { "case.comment" } else { "custody.export" },
        "target": "CASE-0001",
        "result": "ok",
        "detail": format!("{fork} entry {seq}"),
    })
}

struct Log {
    entries: Vec<serde_json::Value>,
    tree: MerkleLog,
}

/// A ledger of `n` entries; entries after `fork_at` carry the fork's name.
fn log(n: u64, fork_at: u64, fork: &str) -> Log {
    let mut tree = MerkleLog::new();
    let mut entries = Vec::new();
    for seq in 1..=n {
        let e = entry(seq, if seq > fork_at { fork } else { "main" });
        tree.append(&canonical_json(&e).unwrap());
        entries.push(e);
    }
    Log { entries, tree }
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn checkpoint(l: &Log, size: u64, k: &SigningKey) -> SignedCheckpoint {
    k.sign(&Checkpoint::new("vigil-ledger/test", size, &l.tree.root_at(size).unwrap(), 1_700_000_100_000 + size as i64))
}

fn proven(l: &Log, idx: &[u64], size: u64) -> Vec<ProvenEntry> {
    idx.iter()
        .map(|&i| ProvenEntry {
            index: i,
            entry: l.entries[i as usize].clone(),
            inclusion: l.tree.inclusion_proof(i, size).unwrap().iter().map(hex::encode).collect(),
        })
        .collect()
}

fn manifest() -> Manifest {
    Manifest {
        format: String::new(),
        case_id: "CASE-0001".into(),
        title: "Test case".into(),
        generated_at_ms: 1_700_000_200_000,
        generated_by: "vigil test".into(),
        from_ms: 1_700_000_000_000,
        to_ms: 1_700_000_100_000,
        files: vec![],
        ledger: ManifestLedger {
            origin: String::new(),
            key_id: String::new(),
            public_key_hex: String::new(),
            tree_size: 0,
            root_hex: String::new(),
            entry_indexes: vec![],
            earlier_checkpoints: vec![],
        },
        controls: vec!["SOC2:CC7.3".into()],
    }
}

fn content() -> Vec<PacketFile> {
    let events: String = (0..5).map(|i| format!("{{\"id\":\"e{i}\",\"time\":{i}}}\n")).collect();
    vec![
        PacketFile::new("logs/events.jsonl", "application/x-ndjson", "events", "lake", "test", events.into_bytes())
            .window(1, 2)
            .records(5)
            .query("SELECT * FROM events", "SELECT count(*) FROM events"),
        PacketFile::new(
            "timeline.csv",
            "text/csv",
            "timeline",
            "store",
            "test",
            b"time,what\n1,\"a, with \"\"quotes\"\"\nand a newline\"\n2,b\n3,c\n".to_vec(),
        )
        .records(3),
        PacketFile::new("report.html", "text/html", "report", "store", "test", b"<html>report</html>".to_vec()),
    ]
}

struct Built {
    log: Log,
    bytes: Vec<u8>,
    key: SigningKey,
}

fn build_with(entries_idx: &[u64], k: &SigningKey) -> Built {
    let l = log(20, 20, "main");
    let cp = checkpoint(&l, 20, k);
    let cons: Vec<ConsistencyLine> = [10u64, 15]
        .iter()
        .map(|&s| ConsistencyLine {
            from: checkpoint(&l, s, k),
            proof: l.tree.consistency_proof(s, 20).unwrap().iter().map(hex::encode).collect(),
        })
        .collect();
    let entries = proven(&l, entries_idx, 20);
    let bytes = packet::write_packet(manifest(), content(), &entries, &cp, &cons, k).unwrap();
    Built { log: l, bytes, key: k.clone() }
}

fn build() -> Built {
    build_with(&[2, 6, 14, 19], &key())
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        out.push((f.name().unwrap().to_string(), b));
    }
    out
}

fn rezip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (n, b) in files {
        zw.start_file(n.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        zw.write_all(b).unwrap();
    }
    zw.finish().unwrap().into_inner()
}

/// Rewrites SHA256SUMS to match the files, as a tamperer without the key would.
fn resum(files: &mut [(String, Vec<u8>)]) {
    let mut sums = String::new();
    for (n, b) in files.iter() {
        if n != "SHA256SUMS" && n != "SHA256SUMS.sig" {
            sums.push_str(&format!("{}  {n}\n", packet::sha256_hex(b)));
        }
    }
    for (n, b) in files.iter_mut() {
        if n == "SHA256SUMS" {
            *b = sums.clone().into_bytes();
        }
    }
}

fn verify(bytes: &[u8], k: &SigningKey) -> VerifyReport {
    verify_packet(bytes, Some(&k.public_key_hex()), &[])
}

fn assert_problem(r: &VerifyReport, needle: &str) {
    assert!(!r.ok(), "tampered packet verified: {:#?}", r.passed);
    assert!(
        r.problems.iter().any(|p| p.contains(needle)),
        "no problem mentions {needle:?}; problems: {:#?}",
        r.problems
    );
}

fn modify(bytes: &[u8], name: &str, f: impl Fn(&mut Vec<u8>)) -> Vec<(String, Vec<u8>)> {
    let mut files = unzip(bytes);
    let mut found = false;
    for (n, b) in files.iter_mut() {
        if n == name {
            f(b);
            found = true;
        }
    }
    assert!(found, "{name} not in packet");
    files
}

#[test]
fn a_packet_verifies_offline_with_the_pinned_key() {
    let b = build();
    let r = verify(&b.bytes, &b.key);
    assert!(r.ok(), "{:#?}", r.problems);
    assert!(r.key_pinned);
    assert_eq!(r.entries, 4);
    assert_eq!(r.tree_size, 20);
    assert_eq!(r.case_id, "CASE-0001");
    let names: Vec<String> = unzip(&b.bytes).into_iter().map(|(n, _)| n).collect();
    for want in ["manifest.json", "SHA256SUMS", "SHA256SUMS.sig", "proofs/entries.jsonl", "proofs/checkpoint.json"] {
        assert!(names.iter().any(|n| n == want), "{want} missing from {names:?}");
    }
    // The checkpoint a reader keeps is the one the proofs end in.
    assert_eq!(packet::checkpoint_of(&b.bytes).unwrap(), checkpoint(&b.log, 20, &b.key));
    assert!(packet::checkpoint_of(b"not a zip").is_err());
    // Pinned by fingerprint (any case, with a `sha256:` prefix) it verifies too.
    let fp = b.key.fingerprint();
    assert_eq!(r.key_fingerprint, fp);
    for pin in [fp.clone(), format!("sha256:{}", fp.to_uppercase())] {
        let r = verify_packet_trusting(&b.bytes, Some(&TrustedKey::Fingerprint(pin)), &[]);
        assert!(r.ok() && r.key_pinned, "{:#?}", r.problems);
    }
    // Known earlier checkpoints of the same log are consistent.
    let known = [checkpoint(&b.log, 10, &b.key), checkpoint(&b.log, 20, &b.key)];
    let r = verify_packet(&b.bytes, Some(&b.key.public_key_hex()), &known);
    assert!(r.ok(), "{:#?}", r.problems);
}

#[test]
fn flipping_one_bit_in_any_file_is_detected_and_named() {
    let b = build();
    for (name, bytes) in unzip(&b.bytes) {
        for pos in [0, bytes.len() / 2, bytes.len() - 1] {
            let files = modify(&b.bytes, &name, |c| c[pos] ^= 0x01);
            let r = verify(&rezip(&files), &b.key);
            assert!(!r.ok(), "bit flip at {pos} in {name} verified");
            let named = r.problems.iter().any(|p| p.contains(&name));
            assert!(named, "bit flip in {name}: no problem names it: {:#?}", r.problems);
        }
    }
}

#[test]
fn a_changed_file_with_rewritten_sums_fails_the_signature() {
    let b = build();
    let mut files = modify(&b.bytes, "report.html", |c| c.extend_from_slice(b"<!-- edited -->"));
    resum(&mut files);
    let r = verify(&rezip(&files), &b.key);
    assert_problem(&r, "signature over SHA256SUMS does not verify");
    assert_problem(&r, "report.html: SHA-256");
}

#[test]
fn dropping_or_truncating_log_records_is_detected() {
    let b = build();
    // Drop a record from the time-scoped log.
    let mut files = modify(&b.bytes, "logs/events.jsonl", |c| {
        let text = String::from_utf8(c.clone()).unwrap();
        let kept: Vec<&str> = text.lines().enumerate().filter(|(i, _)| *i != 2).map(|(_, l)| l).collect();
        *c = format!("{}\n", kept.join("\n")).into_bytes();
    });
    resum(&mut files);
    let r = verify(&rezip(&files), &b.key);
    assert_problem(&r, "logs/events.jsonl: 4 records, manifest.json says 5");
    // Truncate the log mid-record.
    let files = modify(&b.bytes, "logs/events.jsonl", |c| c.truncate(c.len() - 7));
    let r = verify(&rezip(&files), &b.key);
    assert_problem(&r, "logs/events.jsonl: SHA-256 mismatch");
    // Drop a ledger entry from the proofs.
    let mut files = modify(&b.bytes, "proofs/entries.jsonl", |c| {
        let text = String::from_utf8(c.clone()).unwrap();
        let kept: Vec<&str> = text.lines().skip(1).collect();
        *c = format!("{}\n", kept.join("\n")).into_bytes();
    });
    resum(&mut files);
    let r = verify(&rezip(&files), &b.key);
    assert_problem(&r, "missing indexes [2]");
    // Truncate the ledger entries file.
    let files = modify(&b.bytes, "proofs/entries.jsonl", |c| c.truncate(c.len() / 2));
    let r = verify(&rezip(&files), &b.key);
    assert_problem(&r, "proofs/entries.jsonl");
    // A whole file removed.
    let files: Vec<_> = unzip(&b.bytes).into_iter().filter(|(n, _)| n != "timeline.csv").collect();
    let r = verify(&rezip(&files), &b.key);
    assert_problem(&r, "SHA256SUMS lists timeline.csv but the packet does not have it");
    // A file added.
    let mut files = unzip(&b.bytes);
    files.push(("extra.txt".into(), b"planted".to_vec()));
    let r = verify(&rezip(&files), &b.key);
    assert_problem(&r, "extra.txt is in the packet but not in SHA256SUMS");
}

#[test]
fn reordered_entries_are_detected_even_when_re_signed() {
    // An insider with the key re-exports with entries out of order: the order check names it.
    let k = key();
    let b = build_with(&[2, 14, 6, 19], &k);
    let r = verify(&b.bytes, &k);
    assert_problem(&r, "entry index 6 comes after 14 (entries reordered or repeated)");
    // Swapping two lines in a signed packet: the hash, the signature and the order all fail.
    let b = build();
    let files = modify(&b.bytes, "proofs/entries.jsonl", |c| {
        let text = String::from_utf8(c.clone()).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.swap(0, 1);
        *c = format!("{}\n", lines.join("\n")).into_bytes();
    });
    let r = verify(&rezip(&files), &b.key);
    assert_problem(&r, "comes after");
    assert_problem(&r, "proofs/entries.jsonl: SHA-256 mismatch");
}

#[test]
fn an_edited_entry_or_a_forged_proof_fails_inclusion() {
    let k = key();
    let l = log(20, 20, "main");
    let cp = checkpoint(&l, 20, &k);
    // An entry whose detail was edited after the fact, re-signed by an insider.
    let mut entries = proven(&l, &[3, 9], 20);
    entries[1].entry["detail"] = json!("nothing happened here");
    let bytes = packet::write_packet(manifest(), content(), &entries, &cp, &[], &k).unwrap();
    assert_problem(&verify(&bytes, &k), "ledger entry 9 is not in the checkpointed log");
    // A forged proof: one sibling hash replaced.
    let mut entries = proven(&l, &[3, 9], 20);
    entries[0].inclusion[1] = hex::encode([0xAB; 32]);
    let bytes = packet::write_packet(manifest(), content(), &entries, &cp, &[], &k).unwrap();
    assert_problem(&verify(&bytes, &k), "ledger entry 3 is not in the checkpointed log: tree root mismatch");
    // A proof that is too short.
    let mut entries = proven(&l, &[3], 20);
    entries[0].inclusion.pop();
    let bytes = packet::write_packet(manifest(), content(), &entries, &cp, &[], &k).unwrap();
    assert_problem(&verify(&bytes, &k), "wrong proof length");
    // An entry moved to another index.
    let mut entries = proven(&l, &[3], 20);
    entries[0].index = 4;
    let bytes = packet::write_packet(manifest(), content(), &entries, &cp, &[], &k).unwrap();
    assert_problem(&verify(&bytes, &k), "entry seq 4 does not sit at leaf index 4");
}

#[test]
fn a_forked_checkpoint_is_detected() {
    let b = build();
    // The reader holds checkpoints from a log that diverged after entry 12.
    let fork = log(20, 12, "fork");
    let at15 = checkpoint(&fork, 15, &b.key);
    let r = verify_packet(&b.bytes, Some(&b.key.public_key_hex()), &[at15]);
    assert_problem(&r, "known checkpoint of size 15");
    assert_problem(&r, "forked log");
    let at20 = checkpoint(&fork, 20, &b.key);
    let r = verify_packet(&b.bytes, Some(&b.key.public_key_hex()), &[at20]);
    assert_problem(&r, "forked log — same size, different root");
    // A packet whose own earlier checkpoint comes from another history.
    let k = key();
    let main = log(20, 20, "main");
    let cons = vec![ConsistencyLine {
        from: checkpoint(&fork, 15, &k),
        proof: main.tree.consistency_proof(15, 20).unwrap().iter().map(hex::encode).collect(),
    }];
    let bytes =
        packet::write_packet(manifest(), content(), &proven(&main, &[1], 20), &checkpoint(&main, 20, &k), &cons, &k)
            .unwrap();
    assert_problem(&verify(&bytes, &k), "the log at size 15 is not a prefix of this checkpoint");
    // A checkpoint signed by another key.
    let other = SigningKey::from_bytes(&[9; 32]);
    let r = verify_packet(&b.bytes, Some(&b.key.public_key_hex()), &[checkpoint(&b.log, 10, &other)]);
    assert_problem(&r, "known checkpoint of size 10");
}

#[test]
fn the_wrong_key_is_refused() {
    let b = build();
    let other = SigningKey::from_bytes(&[9; 32]);
    let r = verify(&b.bytes, &other);
    assert_problem(&r, "signature over SHA256SUMS does not verify");
    assert_problem(&r, "proofs/checkpoint.json");
    // A packet wholly re-signed by another key verifies only against that key.
    let forged = build_with(&[2, 6], &other);
    assert_problem(&verify(&forged.bytes, &b.key), "does not verify");
    assert!(verify(&forged.bytes, &other).ok());
    // A malformed key is named.
    let r = verify_packet(&b.bytes, Some("not-hex"), &[]);
    assert_problem(&r, "public key");
}

/// Issue 18 F9: without a pinned key, a forged packet re-signed with an attacker's key used to
/// verify ("the packet's own key"). Now verification fails closed and names the unknown key.
#[test]
fn without_a_pinned_key_verification_fails_closed() {
    let b = build();
    let attacker = SigningKey::from_bytes(&[9; 32]);
    let forged = build_with(&[2, 6], &attacker);
    for (bytes, signer) in [(&b.bytes, &b.key), (&forged.bytes, &attacker)] {
        let r = verify_packet(bytes, None, &[]);
        assert!(!r.key_pinned);
        assert_problem(&r, &format!("signature valid for an unknown key {}", signer.fingerprint()));
        assert_problem(&r, "pin the organisation's key with --public-key or --key-fingerprint");
    }
    // Pinned by the organisation's fingerprint, the forgery is refused and the genuine passes.
    let pin = TrustedKey::Fingerprint(b.key.fingerprint());
    let r = verify_packet_trusting(&forged.bytes, Some(&pin), &[]);
    assert_problem(&r, &format!("signed with key {}", attacker.fingerprint()));
    assert!(!r.key_pinned);
    assert!(verify_packet_trusting(&b.bytes, Some(&pin), &[]).ok());
    // A fingerprint that is not one (the 16-digit key id, say) is refused, not matched loosely.
    let r = verify_packet_trusting(&b.bytes, Some(&TrustedKey::Fingerprint(b.key.key_id())), &[]);
    assert_problem(&r, "is not 64 hex digits");
}

#[test]
fn hostile_packets_are_refused_with_a_reason() {
    assert_problem(&verify(b"not a zip at all", &key()), "not a zip packet");
    let b = build();
    assert_problem(&verify(&b.bytes[..b.bytes.len() / 2], &key()), "not a zip packet");
    let mut files = unzip(&b.bytes);
    files.push(("../escape.txt".into(), b"x".to_vec()));
    assert_problem(&verify(&rezip(&files), &key()), "unsafe path");
    let files = modify(&b.bytes, "SHA256SUMS", |c| c.extend_from_slice(b"garbage line\n"));
    assert_problem(&verify(&rezip(&files), &key()), "SHA256SUMS line 8: expected");
    let files = modify(&b.bytes, "manifest.json", |c| *c = b"{\"format\": 1}".to_vec());
    assert_problem(&verify(&rezip(&files), &key()), "manifest.json");
}

#[test]
fn bad_paths_are_refused_when_writing() {
    let k = key();
    let l = log(4, 4, "main");
    let cp = checkpoint(&l, 4, &k);
    for bad in ["../x", "/abs", "a//b", "SHA256SUMS", "a\\b"] {
        let f = vec![PacketFile::new(bad, "text/plain", "", "", "", vec![])];
        assert!(packet::write_packet(manifest(), f, &[], &cp, &[], &k).is_err(), "{bad} accepted");
    }
    let twice = vec![
        PacketFile::new("a.txt", "text/plain", "", "", "", vec![]),
        PacketFile::new("a.txt", "text/plain", "", "", "", vec![1]),
    ];
    assert!(packet::write_packet(manifest(), twice, &[], &cp, &[], &k).is_err());
}

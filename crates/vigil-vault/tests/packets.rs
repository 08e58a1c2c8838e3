//! Packets from a simulated company, end to end: export, verify with Vigil's verifier, with
//! `sha256sum -c` and with the independent script; the ledger's own tamper checks; custody.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use vigil_compliance::Catalog;
use vigil_detect::{Detector, DetectorOptions, RulePack};
use vigil_evidence::packet::verify_packet;
use vigil_pipeline::{DataDir, IngestOptions, ingest};
use vigil_queue as q;
use vigil_sim::SimConfig;
use vigil_store::StateStore;
use vigil_vault::{ExportOptions, export_case, ledger, vault};

fn company() -> (tempfile::TempDir, tempfile::TempDir) {
    let mut pack = RulePack::default();
    vigil_detect::builtin::add_to(&mut pack);
    pack.finish();
    let opts = IngestOptions {
        detector: Some(Arc::new(Detector::new(&pack, DetectorOptions::default()))),
        behavior: Some(vigil_behavior::builtin().expect("built-in behavioral pack")),
        ..IngestOptions::default()
    };
    let sim = tempfile::tempdir().unwrap();
    let cfg = SimConfig { seed: 5, users: 60, days: 7, start: SimConfig::fixed_start(), ..SimConfig::default() };
    vigil_sim::simulate(&cfg, sim.path()).unwrap();
    let logs: Vec<PathBuf> = ["okta", "aws", "windows", "zeek"].iter().map(|d| sim.path().join(d)).collect();
    let data = tempfile::tempdir().unwrap();
    let dd = DataDir::new(data.path());
    ingest(&dd, &logs, &opts).unwrap();
    let mut store = dd.open_store().unwrap();
    let inv = std::fs::read_to_string(sim.path().join("inventory.json")).unwrap();
    q::load_inventory(&mut store, &inv, "test", 1_000).unwrap();
    q::run(&mut store, 2_000).unwrap();
    (sim, data)
}

fn tool(name: &str) -> bool {
    // `openssl version`; everything else here answers `--version`.
    let arg = if name == "openssl" { "version" } else { "--version" };
    Command::new(name).arg(arg).output().is_ok_and(|o| o.status.success())
}

fn require_tools() -> bool {
    // CI sets VIGIL_REQUIRE_TOOLS so the independent path cannot silently skip there.
    std::env::var_os("VIGIL_REQUIRE_TOOLS").is_some()
}

#[test]
fn an_exported_packet_verifies_three_ways_and_custody_is_recorded() {
    let (_sim, data) = company();
    let dir = data.path();
    let mut store = DataDir::new(dir).open_store().unwrap();
    let catalog = Catalog::builtin().unwrap();
    let cases = q::cases(&store).unwrap();
    assert!(!cases.is_empty(), "the simulated company has cases");
    let case = &cases[0];
    let (bytes, ex) =
        export_case(&mut store, dir, &catalog, &case.id, "auditor-prep", 10_000, &ExportOptions::default()).unwrap();
    assert!(ex.log_records > 0, "the population query found the case's events");
    assert!(!ex.controls.is_empty(), "the case maps to controls");
    let key = ledger::load_or_create_key(dir).unwrap();
    let pk = key.public_key_hex();

    // 1. Vigil's verifier, with the pinned key.
    let r = verify_packet(&bytes, Some(&pk), &[]);
    assert!(r.ok(), "{:#?}", r.problems);
    assert!(r.entries >= 2, "the case's ledger entries (open, export) are proven");

    // The export is a custody event inside the packet, and the packet is in the vault.
    let entries = String::from_utf8(zip_file(&bytes, "proofs/entries.jsonl")).unwrap();
    assert!(entries.contains("\"custody.export\""), "{entries}");
    let custody = String::from_utf8(zip_file(&bytes, "custody.csv")).unwrap();
    assert!(custody.contains("auditor-prep,custody.export,ok"), "{custody}");
    let items = vault::items(&store).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].sha256, ex.sha256);
    assert_eq!(vault::read(dir, &ex.sha256).unwrap(), bytes);
    let manifest: serde_json::Value = serde_json::from_slice(&zip_file(&bytes, "manifest.json")).unwrap();
    let logs = manifest["files"].as_array().unwrap().iter().find(|f| f["path"] == "logs/events.jsonl").unwrap();
    assert_eq!(logs["record_count"], ex.log_records);
    assert!(logs["query"].as_str().unwrap().starts_with("SELECT * FROM events WHERE"));
    assert!(logs["count_query"].as_str().unwrap().starts_with("SELECT count(*)"));

    // 2. sha256sum -c inside the unpacked packet.
    let out = tempfile::tempdir().unwrap();
    unzip(&bytes, out.path());
    if tool("sha256sum") {
        let o = Command::new("sha256sum").arg("-c").arg("SHA256SUMS").current_dir(out.path()).output().unwrap();
        assert!(o.status.success(), "sha256sum -c: {}", String::from_utf8_lossy(&o.stdout));
    } else {
        assert!(!require_tools(), "sha256sum is required");
        eprintln!("sha256sum not found: skipped");
    }

    // 3. The independent script (Python standard library + openssl).
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/verify-packet.py");
    let zip_path = out.path().join("packet.zip");
    std::fs::write(&zip_path, &bytes).unwrap();
    if tool("python3") && tool("openssl") {
        let o = Command::new("python3").arg(&script).arg(&zip_path).arg(&pk).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "independent verifier: {text}");
        assert!(text.contains("VERIFIED by the independent checker"), "{text}");
        // It also catches a changed file (with SHA256SUMS rewritten to match).
        let mut files = read_all(&bytes);
        for (n, b) in files.iter_mut() {
            if n == "timeline.csv" {
                b.extend_from_slice(b"2026-01-01T00:00:00Z,forged,x,y,z\n");
            }
        }
        let mut sums = String::new();
        for (n, b) in &files {
            if n != "SHA256SUMS" && n != "SHA256SUMS.sig" {
                sums.push_str(&format!("{}  {n}\n", vigil_vault::sha256_hex(b)));
            }
        }
        for (n, b) in files.iter_mut() {
            if n == "SHA256SUMS" {
                *b = sums.clone().into_bytes();
            }
        }
        let bad = out.path().join("bad.zip");
        std::fs::write(&bad, rezip(&files)).unwrap();
        let o = Command::new("python3").arg(&script).arg(&bad).arg(&pk).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(!o.status.success(), "{text}");
        assert!(text.contains("signature over SHA256SUMS does not verify"), "{text}");
        assert!(text.contains("timeline.csv differs from the manifest"), "{text}");
    } else {
        assert!(!require_tools(), "python3 and openssl are required");
        eprintln!("python3 or openssl not found: skipped the independent verifier");
    }

    // A second export proves consistency with the first packet's checkpoint.
    let (bytes2, ex2) =
        export_case(&mut store, dir, &catalog, &case.id, "auditor-prep", 20_000, &ExportOptions::default()).unwrap();
    assert!(ex2.checkpoint.checkpoint.size > ex.checkpoint.checkpoint.size);
    let r = verify_packet(&bytes2, Some(&pk), std::slice::from_ref(&ex.checkpoint));
    assert!(r.ok(), "{:#?}", r.problems);
    assert!(r.passed.iter().any(|p| p.contains("consistent (history not rewritten)")), "{:#?}", r.passed);
    let custody2 = String::from_utf8(zip_file(&bytes2, "custody.csv")).unwrap();
    assert!(custody2.contains("evidence.add"), "the first packet's vault entry is in the second's custody: {custody2}");
    if tool("python3") && tool("openssl") {
        let p2 = out.path().join("packet2.zip");
        std::fs::write(&p2, &bytes2).unwrap();
        let o = Command::new("python3").arg(&script).arg(&p2).arg(&pk).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    }

    // The ledger verifies; rewriting an entry behind the store's back is caught and named.
    let rep = ledger::verify(&store, &pk).unwrap();
    assert!(rep.ok(), "{:#?}", rep.problems);
    assert!(rep.custody_entries >= 2 && rep.evidence_entries >= 2);
    drop(store);
    let conn = rusqlite::Connection::open(DataDir::new(dir).root().join("state.db")).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'mallory' WHERE seq = 3;")
        .unwrap();
    drop(conn);
    let store = DataDir::new(dir).open_store().unwrap();
    let rep = ledger::verify(&store, &pk).unwrap();
    assert!(!rep.ok());
    assert!(rep.problems[0].contains("no longer hash to the checkpoint"), "{:#?}", rep.problems);
    assert!(rep.problems[0].contains("seq 1..="), "{:#?}", rep.problems);
}

#[test]
fn deleting_or_truncating_the_ledger_is_caught() {
    let (_sim, data) = company();
    let dir = data.path();
    let mut store = DataDir::new(dir).open_store().unwrap();
    let key = ledger::load_or_create_key(dir).unwrap();
    let l = ledger::load(&store).unwrap();
    let n = l.tree.len();
    assert!(n > 5);
    ledger::checkpoint(&mut store, &l, &key, 5_000).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(dir.join("state.db")).unwrap();
    conn.execute_batch(&format!("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = {};", n / 2))
        .unwrap();
    drop(conn);
    let store = DataDir::new(dir).open_store().unwrap();
    let rep = ledger::verify(&store, &key.public_key_hex()).unwrap();
    assert!(
        rep.problems.iter().any(|p| p.contains(&format!("seq {} found where seq {} belongs", n / 2 + 1, n / 2))),
        "{:#?}",
        rep.problems
    );
    drop(store);
    let conn = rusqlite::Connection::open(dir.join("state.db")).unwrap();
    conn.execute_batch(&format!("DELETE FROM audit_log WHERE seq > {};", n - 3)).unwrap();
    drop(conn);
    let store = DataDir::new(dir).open_store().unwrap();
    let rep = ledger::verify(&store, &key.public_key_hex()).unwrap();
    assert!(rep.problems.iter().any(|p| p.contains("were removed")), "{:#?}", rep.problems);
}

#[test]
fn the_vault_keeps_held_evidence_and_purges_only_what_retention_lets_go() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let mut store = DataDir::new(dir).open_store().unwrap();
    let meta = |case: &str, until: Option<i64>| vault::ItemMeta {
        name: format!("{case}.txt"),
        media_type: "text/plain".into(),
        kind: "artifact".into(),
        scope: vault::Scope { case_id: Some(case.into()), controls: vec!["SOC2:CC7.3".into()], ..Default::default() },
        source: "test".into(),
        collector: "test".into(),
        added_by: "ann".into(),
        retain_until_ms: until,
    };
    let (a, ea) = vault::put(&mut store, dir, b"held evidence", &meta("CASE-A", Some(100)), 10).unwrap();
    let (b, _) = vault::put(&mut store, dir, b"expired evidence", &meta("CASE-B", Some(100)), 11).unwrap();
    let (c, _) = vault::put(&mut store, dir, b"kept evidence", &meta("CASE-C", None), 12).unwrap();
    assert_eq!(ea.action, "evidence.add");
    assert!(vault::set_hold(&mut store, "CASE-A", true, "legal", "short", 20).is_err(), "a hold needs a reason");
    vault::set_hold(&mut store, "CASE-A", true, "legal", "litigation hold 2026-17", 20).unwrap();
    let r = vault::purge_expired(&mut store, dir, "retention", 200).unwrap();
    assert_eq!(r.purged, vec![b.sha256.clone()]);
    assert_eq!(r.held, vec![a.sha256.clone()]);
    assert_eq!(r.kept, 1);
    assert!(vault::read(dir, &b.sha256).is_err(), "purged blob is gone");
    assert!(vault::read(dir, &a.sha256).is_ok() && vault::read(dir, &c.sha256).is_ok());
    // Released, it goes on the next run.
    vault::set_hold(&mut store, "CASE-A", false, "legal", "case closed by counsel", 300).unwrap();
    let r = vault::purge_expired(&mut store, dir, "retention", 301).unwrap();
    assert_eq!(r.purged, vec![a.sha256.clone()]);
    // A blob changed on disk is named.
    let path = vault::blob_path(dir, &c.sha256);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::write(&path, b"kept evidencE").unwrap();
    let problems = vault::verify_blobs(&store, dir).unwrap();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("it was changed on disk"), "{problems:?}");
    assert!(vault::read(dir, &c.sha256).is_err());
    // Every vault action is in the ledger.
    let actions: Vec<String> = store.audit(100).unwrap().into_iter().map(|e| e.action).collect();
    for a in ["evidence.add", "evidence.hold", "evidence.release", "evidence.purge"] {
        assert!(actions.iter().any(|x| x == a), "{a} missing from {actions:?}");
    }
}

fn zip_file(bytes: &[u8], name: &str) -> Vec<u8> {
    read_all(bytes).into_iter().find(|(n, _)| n == name).map(|(_, b)| b).unwrap_or_default()
}

fn read_all(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
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
    use std::io::Write;
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (n, b) in files {
        zw.start_file(n.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        zw.write_all(b).unwrap();
    }
    zw.finish().unwrap().into_inner()
}

fn unzip(bytes: &[u8], to: &Path) {
    for (n, b) in read_all(bytes) {
        let p = to.join(&n);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b).unwrap();
    }
}

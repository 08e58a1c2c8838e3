//! Tampering with the ledger behind the store's back (the SQLite file edited with its triggers
//! dropped), caught against a witness file kept outside the store, and refused when signing.

use std::path::{Path, PathBuf};

use vigil_evidence::SigningKey;
use vigil_store::{AuditEntry, SqliteStore, StateStore};
use vigil_vault::ledger::{self, STATUS_FAIL, STATUS_OK, STATUS_UNANCHORED};

/// Ten commands of five entries each, a checkpoint signed after each (sizes 5, 10, …, 50)
/// and appended to the witness file.
fn ledger_with_witness() -> (tempfile::TempDir, PathBuf, SigningKey) {
    let dir = tempfile::tempdir().unwrap();
    let key = ledger::load_or_create_key(dir.path()).unwrap();
    let w = dir.path().join("elsewhere").join("witness.jsonl");
    let mut store = open(dir.path());
    for round in 0..10i64 {
        let entries: Vec<AuditEntry> = (0..5)
            .map(|i| AuditEntry::new(round * 10 + i, "alice", "case.note", &format!("CASE-{round}-{i}"), "ok", ""))
            .collect();
        store.append_audit(&entries).unwrap();
        let s = ledger::sign_incremental(&mut store, &key, round).unwrap();
        ledger::append_witness(&w, std::slice::from_ref(&s.checkpoint)).unwrap();
    }
    let r = check(dir.path(), &key, Some(&w));
    assert_eq!((r.status.as_str(), r.witnessed, r.anchored_size), (STATUS_OK, 10, 50), "{:#?}", r.problems);
    (dir, w, key)
}

fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join("state.db")).unwrap()
}

fn tamper(dir: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(dir.join("state.db")).unwrap();
    conn.execute_batch(sql).unwrap();
}

fn check(dir: &Path, key: &SigningKey, witness: Option<&Path>) -> ledger::LedgerReport {
    let w = witness.map(|w| ledger::read_witness(w).unwrap());
    ledger::verify_with_witness(&open(dir), &key.public_key_hex(), w.as_deref()).unwrap()
}

fn has(r: &ledger::LedgerReport, what: &str) -> bool {
    r.problems.iter().any(|p| p.contains(what))
}

fn refused(dir: &Path, key: &SigningKey) -> String {
    let mut store = open(dir);
    let e = ledger::sign_incremental(&mut store, key, 99).unwrap_err().to_string();
    assert!(e.contains("refused to sign"), "{e}");
    let l = ledger::load(&store).unwrap();
    let full = ledger::checkpoint(&mut store, &l, key, 99).unwrap_err().to_string();
    assert!(full.contains("refused to sign"), "{full}");
    e
}

const DROP_TRIGGERS: &str = "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; \
     DROP TRIGGER ledger_checkpoints_no_delete; DROP TRIGGER ledger_frontier_no_delete;";

#[test]
fn deleting_every_checkpoint_and_rewriting_rows_is_caught_by_the_witness_and_refused() {
    let (dir, w, key) = ledger_with_witness();
    let before = open(dir.path()).latest_checkpoint().unwrap().unwrap();
    tamper(
        dir.path(),
        &format!(
            "{DROP_TRIGGERS} DELETE FROM ledger_checkpoints; UPDATE audit_log SET actor = 'mallory' WHERE seq = 7;"
        ),
    );
    let r = check(dir.path(), &key, Some(&w));
    assert_eq!(r.status, STATUS_FAIL);
    assert!(has(&r, "contradicts the witnessed checkpoint of size 10"), "{:#?}", r.problems);
    assert!(has(&r, "missing from the store's checkpoints"), "{:#?}", r.problems);
    // The frontier kept beside the removed checkpoints gives it away even without a witness,
    let r = check(dir.path(), &key, None);
    assert!(has(&r, "frontier of size 50 is stored but the latest signed checkpoint is of size 0"), "{:#?}", r);
    // and nothing is signed over the rewritten log.
    let e = refused(dir.path(), &key);
    assert!(e.contains("size 50"), "{e}");
    assert!(open(dir.path()).latest_checkpoint().unwrap().is_none());

    // Wiping the frontiers too leaves only the witness: without it the log is UNANCHORED, not ok;
    tamper(dir.path(), "DELETE FROM ledger_frontier;");
    let r = check(dir.path(), &key, None);
    assert!(r.ok(), "{:#?}", r.problems);
    assert_eq!(r.status, STATUS_UNANCHORED);
    assert!(r.passed[0].contains("hash to 0 signed checkpoints"), "{:#?}", r.passed);
    // a checkpoint signed over the rewritten log now does not help it,
    let mut store = open(dir.path());
    let s = ledger::sign_incremental(&mut store, &key, 100).unwrap();
    let before: vigil_evidence::SignedCheckpoint = serde_json::from_str(&before.json).unwrap();
    assert_eq!(s.checkpoint.checkpoint.size, 50);
    assert_ne!(s.checkpoint.checkpoint.root_hex, before.checkpoint.root_hex, "a new tree head over the rewrite");
    let r = check(dir.path(), &key, Some(&w));
    assert_eq!(r.status, STATUS_FAIL);
    assert!(has(&r, "contradicts the witnessed checkpoint of size 10"), "{:#?}", r.problems);
    // while the checkpoints before the rewrite still match.
    assert!(!has(&r, "contradicts the witnessed checkpoint of size 5 "), "{:#?}", r.problems);
}

#[test]
fn truncating_the_tail_with_its_checkpoints_is_caught_by_the_witness_and_refused() {
    let (dir, w, key) = ledger_with_witness();
    tamper(
        dir.path(),
        &format!(
            "{DROP_TRIGGERS} DELETE FROM audit_log WHERE seq > 32; DELETE FROM ledger_checkpoints WHERE size > 32;"
        ),
    );
    let r = check(dir.path(), &key, Some(&w));
    assert_eq!(r.status, STATUS_FAIL);
    for size in [35, 40, 45, 50] {
        assert!(has(&r, &format!("witnessed checkpoint of size {size} (signed at")), "{:#?}", r.problems);
    }
    assert!(has(&r, "the log holds 32 entries, so entries after seq 32 were removed (truncated)"), "{:#?}", r);
    let e = refused(dir.path(), &key);
    assert!(e.contains("frontier of size 50") && e.contains("size 30"), "{e}");

    // With the frontiers beyond it wiped too, a checkpoint can be signed again (the 32
    // remaining entries are the originals), but the witness still names the truncation.
    tamper(dir.path(), "DELETE FROM ledger_frontier WHERE size > 32;");
    assert_eq!(check(dir.path(), &key, None).status, STATUS_UNANCHORED);
    let s = ledger::sign_incremental(&mut open(dir.path()), &key, 100).unwrap();
    assert_eq!(s.checkpoint.checkpoint.size, 32);
    let r = check(dir.path(), &key, Some(&w));
    assert!(has(&r, "witnessed checkpoint of size 50 (signed at"), "{:#?}", r.problems);
    assert_eq!(r.status, STATUS_FAIL);
}

#[test]
fn editing_rows_after_the_last_stored_checkpoint_is_caught_by_the_witness_and_refused() {
    let (dir, w, key) = ledger_with_witness();
    // The checkpoints covering the last ten rows are removed, so the rows edited are after the
    // last checkpoint the store holds (this passed before: nothing in the store covers them).
    tamper(
        dir.path(),
        &format!(
            "{DROP_TRIGGERS} DELETE FROM ledger_checkpoints WHERE size > 40; \
             UPDATE audit_log SET detail = 'rewritten' WHERE seq IN (43, 47);"
        ),
    );
    let r = check(dir.path(), &key, Some(&w));
    assert_eq!(r.status, STATUS_FAIL);
    assert!(has(&r, "contradicts the witnessed checkpoint of size 45"), "{:#?}", r.problems);
    assert!(has(&r, "contradicts the witnessed checkpoint of size 50"), "{:#?}", r.problems);
    assert!(!has(&r, "witnessed checkpoint of size 40 "), "40 still holds: {:#?}", r.problems);
    let e = refused(dir.path(), &key);
    assert!(e.contains("frontier of size 50") && e.contains("size 40"), "{e}");

    // Rows no checkpoint ever covered (appended since the last one, then edited) are beyond
    // anything signed: the witness says how far it anchors the log.
    let (dir, w, key) = ledger_with_witness();
    open(dir.path()).append_audit(&[AuditEntry::new(900, "bob", "case.note", "CASE-x", "ok", "")]).unwrap();
    let r = check(dir.path(), &key, Some(&w));
    assert_eq!(r.status, STATUS_OK);
    assert!(r.passed.iter().any(|p| p.contains("entries 51..=51 are after the last witnessed checkpoint")), "{r:#?}");
}

#[test]
fn a_checkpoint_without_its_frontier_is_checked_against_the_rows_before_signing() {
    let (dir, w, key) = ledger_with_witness();
    let latest = open(dir.path()).latest_checkpoint().unwrap().unwrap();
    let latest: vigil_evidence::SignedCheckpoint = serde_json::from_str(&latest.json).unwrap();
    tamper(
        dir.path(),
        &format!("{DROP_TRIGGERS} DELETE FROM ledger_frontier; UPDATE audit_log SET actor = 'mallory' WHERE seq = 3;"),
    );
    let e = refused(dir.path(), &key);
    let now = hex::encode(ledger::load(&open(dir.path())).unwrap().root());
    assert!(e.contains("at size 50"), "{e}");
    assert!(e.contains(&latest.checkpoint.root_hex) && e.contains(&now), "both roots are named: {e}");
    assert!(has(&check(dir.path(), &key, Some(&w)), "contradicts the witnessed checkpoint of size 5"));
}

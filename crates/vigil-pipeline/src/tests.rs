use super::*;
use std::io::Write;

const CT: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","userName":"a"},"eventTime":"2023-07-10T12:20:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","eventID":"E1"}"#;

fn corpus(dir: &Path) {
    let lines: Vec<String> = (0..50).map(|i| CT.replace("E1", &format!("E{i}"))).collect();
    std::fs::write(dir.join("a.jsonl"), lines.join("\n")).unwrap();
    // The same records again in a CloudTrail envelope: all duplicates.
    std::fs::write(dir.join("b.json"), format!("{{\"Records\":[{}]}}", lines[..10].join(","))).unwrap();
    // Bad input: malformed, binary, empty.
    std::fs::write(dir.join("c.jsonl"), format!("{}\n{{broken\n{}\n", CT.replace("E1", "X1"), CT.replace("E1", "X2")))
        .unwrap();
    std::fs::write(dir.join("d.bin"), [0u8, 1, 2, 3, 4, 5, 0, 0, 9, 9]).unwrap();
    std::fs::write(dir.join("e.json"), b"").unwrap();
    std::fs::write(dir.join("f.json.gz"), gzip(format!("{}\n", CT.replace("E1", "G1")).as_bytes())).unwrap();
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn totals_add_up_and_reingest_adds_nothing() {
    let src = tempfile::tempdir().unwrap();
    corpus(src.path());
    for threads in [1, 2] {
        let data = tempfile::tempdir().unwrap();
        let dd = DataDir::new(data.path());
        let opts = IngestOptions { threads, flush_every: 7, ..IngestOptions::default() };
        let r = ingest(&dd, &[src.path().to_path_buf()], &opts).unwrap();
        assert_eq!(r.events, 53, "{r:#?}");
        assert_eq!(r.duplicates, 10);
        assert_eq!(r.quarantined, 2, "{r:#?}");
        assert_eq!(r.records, r.events + r.quarantined + r.duplicates);
        assert_eq!(r.files, 6);
        assert_eq!(r.by_class.get("api_activity"), Some(&53));
        assert_eq!(r.by_format.get("cloudtrail"), Some(&53));

        let store = dd.open_store().unwrap();
        assert_eq!(store.event_count().unwrap(), 53);
        let rows: u64 = store.lake_files().unwrap().iter().map(|f| f.rows).sum();
        assert_eq!(rows, 53, "every new event is in exactly one committed lake file");
        let q = store.quarantine(&Default::default()).unwrap();
        assert!(q.iter().any(|q| q.record.source.ends_with("c.jsonl") && q.record.locator.starts_with("line 2")));
        assert!(q.iter().any(|q| q.record.source.ends_with("d.bin") && q.record.reason.contains("binary")));
        let sources = store.sources().unwrap();
        assert_eq!(sources.len(), 6);
        let c = sources.iter().find(|s| s.path.ends_with("c.jsonl")).unwrap();
        assert_eq!((c.records, c.events, c.quarantined), (3, 2, 1));

        let again = ingest(&dd, &[src.path().to_path_buf()], &opts).unwrap();
        assert_eq!(again.events, 0);
        assert_eq!(again.duplicates, 63);
        assert_eq!(again.records, r.records);
        assert_eq!(dd.open_store().unwrap().event_count().unwrap(), 53);
    }
}

#[test]
fn orphan_lake_files_from_a_crash_are_removed() {
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("a.jsonl"), CT).unwrap();
    let data = tempfile::tempdir().unwrap();
    let dd = DataDir::new(data.path());
    // Simulate a crash after the lake wrote but before the store committed.
    let mut w = LakeWriter::new(&dd.lake(), 99);
    let mut events = Vec::new();
    vigil_decode::decode_unit("x", CT.as_bytes(), &Options::default(), &mut |d| {
        if let Decoded::Event(e) = d {
            events.push(*e)
        }
    });
    for e in events {
        w.add(e);
    }
    w.flush().unwrap();
    let r = ingest(&dd, &[src.path().to_path_buf()], &IngestOptions::default()).unwrap();
    assert_eq!(r.orphans_removed, 1);
    assert_eq!(r.events, 1, "the record is ingested again, not lost");
    assert_eq!(vigil_lake::list_files(&dd.lake()).len(), 1);
}

#[test]
fn a_missing_path_is_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let err = ingest(&DataDir::new(data.path()), &[PathBuf::from("/definitely/not/here")], &IngestOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
}

#[test]
fn a_second_ingest_on_the_same_data_directory_is_refused_while_one_runs() {
    let data = tempfile::tempdir().unwrap();
    let dd = DataDir::new(data.path());
    let held = lock_data_dir(&dd).unwrap();
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("a.jsonl"), CT).unwrap();
    let err = ingest(&dd, &[src.path().to_path_buf()], &IngestOptions::default()).unwrap_err();
    assert!(matches!(err, PipelineError::Busy { .. }), "{err}");
    drop(held);
    let r = ingest(&dd, &[src.path().to_path_buf()], &IngestOptions::default()).unwrap();
    assert_eq!(r.events, 1);
}

#[test]
fn a_file_of_nothing_but_bad_records_is_committed_in_bounded_batches() {
    let src = tempfile::tempdir().unwrap();
    let mut data = String::from("{}\n");
    for _ in 0..120_000 {
        data.push_str("{x\n");
    }
    std::fs::write(src.path().join("bad.jsonl"), data).unwrap();
    let out = tempfile::tempdir().unwrap();
    let dd = DataDir::new(out.path());
    let r =
        ingest(&dd, &[src.path().to_path_buf()], &IngestOptions { threads: 2, ..IngestOptions::default() }).unwrap();
    assert_eq!(r.quarantined, 120_001);
    assert_eq!(r.records, 120_001);
    assert_eq!(dd.open_store().unwrap().quarantine_count().unwrap(), 120_001);
}

use super::*;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use vigil_model::{EventId, Metadata, OcsfClass};

fn ev(n: u32, class: OcsfClass, time: i64) -> Event {
    let md =
        Metadata { source: "s.json".into(), locator: format!("line {n}"), format: "json".into(), ..Default::default() };
    let mut e = Event::new(EventId::of_bytes("t", &n.to_le_bytes()), class, 1, time, md, format!("{{\"n\":{n}}}"));
    e.actor_user_mut().name = Some(format!("user{n}"));
    e
}

#[test]
fn writes_partitioned_files_that_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = LakeWriter::new(dir.path(), 7);
    let day1 = 1_700_000_000_000;
    let day2 = day1 + 86_400_000;
    for i in 0..10 {
        w.add(ev(i, OcsfClass::Authentication, day1 + i64::from(i)));
    }
    w.add(ev(100, OcsfClass::Authentication, day2));
    w.add(ev(101, OcsfClass::ApiActivity, day1));
    assert_eq!(w.buffered(), 12);
    let files = w.flush().unwrap();
    assert_eq!(w.buffered(), 0);
    assert_eq!(files.len(), 3);
    assert_eq!(files[0].path, "class_uid=3002/event_day=2023-11-14/part-000007-000001.parquet");
    assert_eq!(files.iter().map(|f| f.rows).sum::<u64>(), 12);
    let f = File::open(dir.path().join(&files[0].path)).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(f).unwrap().build().unwrap();
    let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 10);
    let bytes = std::fs::read(dir.path().join(&files[0].path)).unwrap();
    assert_eq!(files[0].sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(list_files(dir.path()).len(), 3);
}

#[test]
fn orphans_are_removed_and_committed_files_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = LakeWriter::new(dir.path(), 1);
    w.add(ev(1, OcsfClass::BaseEvent, 0));
    w.add(ev(2, OcsfClass::ApiActivity, 0));
    let files = w.flush().unwrap();
    std::fs::write(dir.path().join(&files[0].path).with_extension("parquet.tmp"), b"half").unwrap();
    let keep: HashSet<String> = [files[0].path.clone()].into_iter().collect();
    let removed = remove_orphans(dir.path(), &keep).unwrap();
    assert_eq!(removed.len(), 2, "{removed:?}");
    assert_eq!(list_files(dir.path()), vec![files[0].path.clone()]);
}

#[test]
fn schema_has_every_column_once() {
    let s = schema();
    let names: HashSet<_> = s.fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names.len(), s.fields().len());
    assert!(names.contains("raw") && names.contains("time") && names.contains("src_ip"));
}

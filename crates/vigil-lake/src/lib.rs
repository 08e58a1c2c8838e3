//! The lake: normalized events as Parquet, partitioned by class and day.
//!
//! Owns: the lake's Arrow schema (one flat column per normalized field, plus the raw record), the
//! directory layout `class_uid=<uid>/event_day=<YYYY-MM-DD>/part-<run>-<seq>.parquet` (a layout
//! Amazon Security Lake users recognise), and the writer that buffers events per partition and
//! publishes each file atomically (write to a temporary name, fsync, rename), returning what it
//! wrote so the state store can commit it. Also removing orphan files a crash left behind.
//!
//! Must not: decide what is a duplicate (the pipeline does, with the state store), or run queries
//! (that is `vigil-query`, which keeps DataFusion at the edge).

mod schema;

pub use schema::{COLUMNS, schema};

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use sha2::{Digest, Sha256};
use vigil_model::Event;

#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("lake file {path}: {message}")]
    Io { path: String, message: String },
    #[error("lake: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("lake: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> LakeError {
    LakeError::Io { path: path.display().to_string(), message: e.to_string() }
}

/// A file the writer published.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenFile {
    /// Path relative to the lake root, with `/` separators.
    pub path: String,
    pub class_uid: u32,
    pub day: String,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// Buffers events per partition and writes them out as Parquet files.
pub struct LakeWriter {
    root: PathBuf,
    run: i64,
    seq: u64,
    buffered: usize,
    buffered_bytes: usize,
    // Boxed on purpose: an event is over a kilobyte, and sorting and moving pointers is much
    // cheaper than moving the structs (measured: a sixth of Zeek ingest time went to memmove).
    #[allow(clippy::vec_box)]
    parts: BTreeMap<(u32, String), Vec<Box<Event>>>,
}

impl LakeWriter {
    pub fn new(root: &Path, run: i64) -> LakeWriter {
        LakeWriter { root: root.to_path_buf(), run, seq: 0, buffered: 0, buffered_bytes: 0, parts: BTreeMap::new() }
    }

    pub fn add(&mut self, e: Event) {
        self.add_boxed(Box::new(e));
    }

    pub fn add_boxed(&mut self, e: Box<Event>) {
        self.buffered += 1;
        // The raw record dominates an event's size; the normalized fields are a fraction more.
        self.buffered_bytes += e.raw.len() + 512;
        self.parts.entry((e.class_uid(), e.day())).or_default().push(e);
    }

    /// Events buffered and not yet written.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    /// An estimate of the memory the buffered events hold.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_bytes
    }

    /// Writes every buffered partition to a new file and clears the buffer. Partitions are
    /// written (and fsynced) by several threads at once: with many small partitions the time is
    /// mostly waiting on the disk.
    pub fn flush(&mut self) -> Result<Vec<WrittenFile>, LakeError> {
        let parts = std::mem::take(&mut self.parts);
        self.buffered = 0;
        self.buffered_bytes = 0;
        let mut jobs = Vec::with_capacity(parts.len());
        for ((class_uid, day), mut events) in parts {
            events.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
            self.seq += 1;
            let rel = format!("class_uid={class_uid}/event_day={day}/part-{:06}-{:06}.parquet", self.run, self.seq);
            jobs.push((rel, class_uid, day, events));
        }
        let workers = jobs.len().clamp(1, 8);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let root = &self.root;
        let results: Vec<Vec<(usize, Result<WrittenFile, LakeError>)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    s.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some((rel, class_uid, day, events)) = jobs.get(i) else { break };
                            let r = write_file(root, rel, events).map(|(bytes, sha256)| WrittenFile {
                                path: rel.clone(),
                                class_uid: *class_uid,
                                day: day.clone(),
                                rows: events.len() as u64,
                                bytes,
                                sha256,
                            });
                            done.push((i, r));
                        }
                        done
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        let mut all: Vec<(usize, Result<WrittenFile, LakeError>)> = results.into_iter().flatten().collect();
        if all.len() != jobs.len() {
            return Err(LakeError::Io {
                path: root.display().to_string(),
                message: "a lake writer thread panicked".into(),
            });
        }
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, r)| r).collect()
    }
}

/// Partitions with at least this many rows are compressed with zstd, smaller ones with Snappy.
pub const ZSTD_MIN_ROWS: usize = 2048;

/// Writes one Parquet file atomically; returns its size and SHA-256.
fn write_file(root: &Path, rel: &str, events: &[Box<Event>]) -> Result<(u64, String), LakeError> {
    let path = root.join(rel);
    let dir = path.parent().unwrap_or(root);
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let tmp = path.with_extension("parquet.tmp");
    let batch = schema::to_batch(events)?;
    // zstd compresses the lake best, but sets up a fresh context for every column chunk, which
    // dominates the cost of small files (a corpus spread over hundreds of days writes hundreds of
    // partitions of a few rows). Small partitions use Snappy; readers handle both.
    let compression =
        if events.len() >= ZSTD_MIN_ROWS { Compression::ZSTD(ZstdLevel::try_new(3)?) } else { Compression::SNAPPY };
    let props =
        WriterProperties::builder().set_compression(compression).set_max_row_group_row_count(Some(64 * 1024)).build();
    let mut buf = Vec::new();
    {
        let mut w = ArrowWriter::try_new(&mut buf, Arc::new(schema::schema()), Some(props))?;
        w.write(&batch)?;
        w.close()?;
    }
    let mut f = File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    f.write_all(&buf).map_err(|e| io_err(&tmp, e))?;
    f.sync_all().map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))?;
    // Make the rename, and any directory just created, durable before the store commits them:
    // the partition directory, its class directory and the lake root.
    let mut d = Some(dir);
    for _ in 0..3 {
        let Some(cur) = d else { break };
        sync_dir(cur)?;
        if cur == root {
            break;
        }
        d = cur.parent();
    }
    Ok((buf.len() as u64, hex::encode(Sha256::digest(&buf))))
}

fn sync_dir(dir: &Path) -> Result<(), LakeError> {
    #[cfg(unix)]
    File::open(dir).and_then(|f| f.sync_all()).map_err(|e| io_err(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Every `.parquet` file under the lake root, relative, sorted.
pub fn list_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Removes files the state store does not know: the leftovers of a run that crashed between
/// writing a file and committing it. Returns what was removed.
pub fn remove_orphans(root: &Path, committed: &HashSet<String>) -> Result<Vec<String>, LakeError> {
    let mut removed = Vec::new();
    for rel in list_files(root) {
        let is_ours = rel.ends_with(".parquet") || rel.ends_with(".parquet.tmp");
        if is_ours && !committed.contains(&rel) {
            let p = root.join(&rel);
            std::fs::remove_file(&p).map_err(|e| io_err(&p, e))?;
            removed.push(rel);
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests;

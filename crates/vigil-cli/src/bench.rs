//! `vigil bench`: throughput measured, never guessed.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Subcommand;
use serde::Serialize;
use vigil_pipeline::{DataDir, IngestOptions};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Full ingest (decode, dedupe, Parquet, SQLite) of the inputs into a scratch data directory,
    /// once per thread count, beside the decode-only rate and the `evtx` crate's parse-only floor.
    Ingest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Thread counts to measure, comma separated.
        #[arg(long, value_delimiter = ',', default_value = "1,2")]
        threads: Vec<usize>,
        /// Runs per measurement; the best is reported.
        #[arg(long, default_value_t = 1)]
        repeat: usize,
    },
}

#[derive(Serialize)]
struct Line {
    what: String,
    threads: usize,
    records: u64,
    bytes: u64,
    seconds: f64,
    records_per_sec: f64,
    mb_per_sec: f64,
}

impl Line {
    fn new(what: &str, threads: usize, records: u64, bytes: u64, seconds: f64) -> Line {
        let s = seconds.max(1e-9);
        Line {
            what: what.into(),
            threads,
            records,
            bytes,
            seconds,
            records_per_sec: records as f64 / s,
            mb_per_sec: bytes as f64 / 1e6 / s,
        }
    }
}

pub fn run(cmd: BenchCommand, json: bool) -> Result<()> {
    let BenchCommand::Ingest { paths, threads, repeat } = cmd;
    let files = vigil_source::collect_files(&paths)?;
    let bytes: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let mut lines = Vec::new();

    // Parse-only floor: the evtx crate rendering every record of the .evtx inputs to JSON, as
    // `evtx_dump -o jsonl` does, on one thread.
    let evtx: Vec<_> = files.iter().filter(|f| f.extension().is_some_and(|e| e.eq_ignore_ascii_case("evtx"))).collect();
    if !evtx.is_empty() {
        let evtx_bytes: u64 = evtx.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
        let mut best = f64::MAX;
        let mut n = 0;
        for _ in 0..repeat.max(1) {
            let t = Instant::now();
            n = 0u64;
            for f in &evtx {
                let settings = evtx::ParserSettings::new();
                let mut p = evtx::EvtxParser::from_path(f)
                    .with_context(|| f.display().to_string())?
                    .with_configuration(settings);
                for r in p.records_json() {
                    if let Ok(r) = r {
                        std::hint::black_box(r.data.len());
                    }
                    n += 1;
                }
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        lines.push(Line::new("parse-only floor: evtx crate records_json (.evtx inputs only)", 1, n, evtx_bytes, best));
    }

    // Decode only: sources + decoders, no dedupe, no storage. MB/s from here on count the
    // payload after decompression, what the decoders actually read.
    let mut payload = bytes;
    for &t in &threads {
        let mut best = f64::MAX;
        let mut n = 0;
        for _ in 0..repeat.max(1) {
            let start = Instant::now();
            (n, payload) = decode_only(&files, t)?;
            best = best.min(start.elapsed().as_secs_f64());
        }
        lines.push(Line::new("decode only (vigil sources + decoders)", t, n, payload, best));
    }

    // Full ingest.
    for &t in &threads {
        let mut best = f64::MAX;
        let mut n = 0;
        for _ in 0..repeat.max(1) {
            let scratch = tempfile::tempdir()?;
            let dir = DataDir::new(scratch.path());
            let opts = IngestOptions { threads: t, ..IngestOptions::default() };
            let start = Instant::now();
            let r = vigil_pipeline::ingest(&dir, &paths, &opts)?;
            best = best.min(start.elapsed().as_secs_f64());
            n = r.records;
        }
        lines.push(Line::new("vigil ingest (decode + dedupe + Parquet + SQLite)", t, n, payload, best));
    }

    if json {
        println!("{}", serde_json::to_string_pretty(&lines)?);
    } else {
        println!(
            "{} files, {:.1} MB on disk, {:.1} MB decompressed",
            files.len(),
            bytes as f64 / 1e6,
            payload as f64 / 1e6
        );
        println!(
            "{:<62} {:>7} {:>9} {:>8} {:>11} {:>8}",
            "measurement", "threads", "records", "seconds", "records/s", "MB/s"
        );
        for l in &lines {
            println!(
                "{:<62} {:>7} {:>9} {:>8.2} {:>11.0} {:>8.1}",
                l.what, l.threads, l.records, l.seconds, l.records_per_sec, l.mb_per_sec
            );
        }
    }
    Ok(())
}

fn decode_only(files: &[PathBuf], threads: usize) -> Result<(u64, u64)> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads.max(1)).build()?;
    let n = AtomicU64::new(0);
    let payload = AtomicU64::new(0);
    let opts = vigil_decode::Options::default();
    pool.install(|| {
        files.par_iter().for_each(|f| {
            vigil_source::read_file_units(f, vigil_source::Limits::default(), &mut |u| {
                let s = vigil_decode::decode_unit(&u.name, &u.data, &opts, &mut |d| {
                    std::hint::black_box(&d);
                });
                n.fetch_add(s.events + s.quarantined, Ordering::Relaxed);
                payload.fetch_add(u.data.len() as u64, Ordering::Relaxed);
            });
        })
    });
    Ok((n.into_inner(), payload.into_inner()))
}

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
        /// Log files or directories (any format `vigil ingest` reads).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Thread counts to measure, comma separated.
        #[arg(long, value_delimiter = ',', default_value = "1,2")]
        threads: Vec<usize>,
        /// Runs per measurement; the best is reported.
        #[arg(long, default_value_t = 1)]
        repeat: usize,
    },
    /// `vigil detect` over the inputs with the given rules, once per thread count, beside the
    /// parse-only floor (the same sources and parsing, no evaluation).
    Detect {
        #[command(flatten)]
        rules: crate::detect::RuleArgs,
        /// Event files or directories (any format `vigil ingest` reads).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Thread counts to measure, comma separated.
        #[arg(long, value_delimiter = ',', default_value = "1,2")]
        threads: Vec<usize>,
        /// Runs per measurement; the best is reported.
        #[arg(long, default_value_t = 1)]
        repeat: usize,
        /// Also write every record as Sigma sees it (flat JSON, one per line) to this file, to
        /// feed the same events to another engine.
        #[arg(long)]
        dump_sigma: Option<PathBuf>,
    },
    /// A bounded load check of `vigil serve` on 127.0.0.1: N clients on the main API routes and
    /// the HEC endpoint of a server started in this process on --data-dir, for a fixed time.
    Serve {
        /// Concurrent clients.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// How long the load runs.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
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

pub fn run(cmd: BenchCommand, data_dir: &std::path::Path, json: bool) -> Result<()> {
    let (paths, threads, repeat) = match cmd {
        BenchCommand::Serve { clients, seconds } => return crate::loadcheck::run(data_dir, clients, seconds, json),
        BenchCommand::Ingest { paths, threads, repeat } => (paths, threads, repeat),
        BenchCommand::Detect { rules, paths, threads, repeat, dump_sigma } => {
            return detect(&rules, &paths, &threads, repeat, dump_sigma.as_deref(), json);
        }
    };
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

    print_lines(&lines, files.len(), bytes, payload, json)
}

fn print_lines(lines: &[Line], files: usize, bytes: u64, payload: u64, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&lines)?);
    } else {
        println!("{} files, {:.1} MB on disk, {:.1} MB decompressed", files, bytes as f64 / 1e6, payload as f64 / 1e6);
        println!(
            "{:<62} {:>7} {:>9} {:>8} {:>11} {:>8}",
            "measurement", "threads", "records", "seconds", "records/s", "MB/s"
        );
        for l in lines {
            println!(
                "{:<62} {:>7} {:>9} {:>8.2} {:>11.0} {:>8.1}",
                l.what, l.threads, l.records, l.seconds, l.records_per_sec, l.mb_per_sec
            );
        }
    }
    Ok(())
}

/// Runs `per_unit` over every payload of `files` on `threads` threads; returns the records it
/// counted and the payload bytes read.
fn over_units(
    files: &[PathBuf],
    threads: usize,
    per_unit: &(dyn Fn(&vigil_source::Unit) -> u64 + Sync),
) -> Result<(u64, u64)> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads.max(1)).build()?;
    let n = AtomicU64::new(0);
    let payload = AtomicU64::new(0);
    pool.install(|| {
        files.par_iter().for_each(|f| {
            vigil_source::read_file_units(f, vigil_source::Limits::default(), &mut |u| {
                n.fetch_add(per_unit(&u), Ordering::Relaxed);
                payload.fetch_add(u.data.len() as u64, Ordering::Relaxed);
            });
        })
    });
    Ok((n.into_inner(), payload.into_inner()))
}

/// Parse only: the sources and the framing/parsing `vigil detect` runs, every record parsed to
/// JSON (EVTX through the evtx crate), nothing evaluated or normalized.
fn parse_only(files: &[PathBuf], threads: usize) -> Result<(u64, u64)> {
    let opts = vigil_decode::Options::default();
    over_units(files, threads, &|u| {
        let mut k = 0u64;
        vigil_decode::scan_unit(&u.name, &u.data, &opts, &mut |s| {
            std::hint::black_box(&s);
            k += 1;
        });
        k
    })
}

fn detect(
    rules: &crate::detect::RuleArgs,
    paths: &[PathBuf],
    threads: &[usize],
    repeat: usize,
    dump: Option<&std::path::Path>,
    json: bool,
) -> Result<()> {
    let files = vigil_source::collect_files(paths)?;
    let bytes: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let t0 = Instant::now();
    let (det, pack) = rules.detector()?;
    let load_s = t0.elapsed().as_secs_f64();
    let mut lines = Vec::new();
    let mut payload = bytes;
    for &t in threads {
        let mut best = f64::MAX;
        let mut n = 0;
        for _ in 0..repeat.max(1) {
            let start = Instant::now();
            (n, payload) = parse_only(&files, t)?;
            best = best.min(start.elapsed().as_secs_f64());
        }
        lines.push(Line::new("parse-only floor (sources + framing + JSON/EVTX parse)", t, n, payload, best));
    }
    let mut alerts = 0;
    for &t in threads {
        let mut best = f64::MAX;
        let mut n = 0;
        for _ in 0..repeat.max(1) {
            let opts = vigil_pipeline::detect::DetectOptions { threads: t, ..Default::default() };
            let start = Instant::now();
            let r = vigil_pipeline::detect::detect(paths, &det, &opts, &mut |a| {
                std::hint::black_box(a);
            })?;
            best = best.min(start.elapsed().as_secs_f64());
            n = r.records;
            alerts = r.alerts;
        }
        lines.push(Line::new("vigil detect (parse + route + evaluate + alerts)", t, n, payload, best));
    }
    if let Some(path) = dump {
        dump_sigma(&files, path)?;
    }
    if !json {
        println!(
            "{} rules loaded ({} active) in {:.2}s; {} alerts",
            pack.rules.len(),
            det.active_rules(),
            load_s,
            alerts
        );
    }
    print_lines(&lines, files.len(), bytes, payload, json)
}

/// Writes every record's Sigma view as one JSON object per line.
fn dump_sigma(files: &[PathBuf], path: &std::path::Path) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).with_context(|| path.display().to_string())?);
    let opts = vigil_decode::Options::default();
    let mut err = None;
    for f in files {
        vigil_source::read_file_units(f, vigil_source::Limits::default(), &mut |u| {
            vigil_decode::scan_unit(&u.name, &u.data, &opts, &mut |s| {
                if let vigil_decode::Scanned::Record(r) = s {
                    let (view, _) = vigil_detect::view::View::new(r.family(), r.value(), r.zeek_log());
                    let line = serde_json::to_string(&view.flat_json()).unwrap_or_default();
                    if let Err(e) = writeln!(out, "{line}")
                        && err.is_none()
                    {
                        err = Some(e);
                    }
                }
            });
        });
    }
    if let Some(e) = err {
        return Err(e).context("writing the Sigma view");
    }
    out.flush()?;
    Ok(())
}

fn decode_only(files: &[PathBuf], threads: usize) -> Result<(u64, u64)> {
    let opts = vigil_decode::Options::default();
    over_units(files, threads, &|u| {
        let s = vigil_decode::decode_unit(&u.name, &u.data, &opts, &mut |d| {
            std::hint::black_box(&d);
        });
        s.events + s.quarantined
    })
}

//! Text and JSON rendering of reports, and the progress bar.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use vigil_pipeline::{IngestReport, Progress};
use vigil_store::{SourceCheckpoint, StoredQuarantine};

/// A bytes progress bar fed from the pipeline's counters until `stop` is set.
pub fn progress_bar(p: Arc<Progress>) -> (JoinHandle<()>, Arc<AtomicBool>) {
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let handle = std::thread::spawn(move || {
        let bar = ProgressBar::new(p.bytes_total.load(Ordering::Relaxed).max(1));
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        while !stop2.load(Ordering::Relaxed) {
            bar.set_length(p.bytes_total.load(Ordering::Relaxed).max(1));
            bar.set_position(p.bytes_done.load(Ordering::Relaxed));
            bar.set_message(format!("{} files", p.files_done.load(Ordering::Relaxed)));
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    });
    (handle, stop)
}

pub fn ingest_report(r: &IngestReport, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    println!(
        "ingested {} files ({} payloads, {:.1} MB) in {:.1}s",
        r.files,
        r.units,
        r.bytes as f64 / 1e6,
        r.elapsed_ms as f64 / 1000.0
    );
    println!("  records read   {:>10}", r.records);
    println!("  new events     {:>10}", r.events);
    println!("  duplicates     {:>10}", r.duplicates);
    println!(
        "  quarantined    {:>10}{}",
        r.quarantined,
        if r.quarantined > 0 { "   (see `vigil quarantine list`)" } else { "" }
    );
    if !r.by_format.is_empty() {
        println!("  by format:");
        for (k, v) in &r.by_format {
            println!("    {k:<24} {v:>10}");
        }
    }
    if !r.by_class.is_empty() {
        println!("  by class:");
        for (k, v) in &r.by_class {
            println!("    {k:<24} {v:>10}");
        }
    }
    println!("  alerts         {:>10}{}", r.alerts, if r.alerts > 0 { "   (see `vigil alerts list`)" } else { "" });
    if !r.alerts_by_rule.is_empty() {
        let mut by_rule: Vec<(&String, &u64)> = r.alerts_by_rule.iter().collect();
        by_rule.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        println!("  alerts by rule:");
        for (k, v) in by_rule.iter().take(20) {
            println!("    {:<60} {v:>6}", clean(k));
        }
        if by_rule.len() > 20 {
            println!("    … and {} more rules", by_rule.len() - 20);
        }
    }
    if r.orphans_removed > 0 {
        println!("  removed {} uncommitted lake files left by an interrupted run", r.orphans_removed);
    }
    Ok(())
}

/// Text from outside (file names inside archives, reasons quoting records) with control
/// characters replaced, so it cannot move the cursor or recolour a terminal.
pub fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '·' } else { c }).collect()
}

pub fn quarantine(rows: &[StoredQuarantine], total: u64, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"total": total, "records": rows}))?);
        return Ok(());
    }
    println!("{total} quarantined records; showing {}", rows.len());
    for q in rows {
        let r = &q.record;
        println!(
            "#{} [{}] {} @ {}\n    reason: {}\n    size: {} bytes, sha256 {}",
            q.id,
            clean(&r.format),
            clean(&r.source),
            clean(&r.locator),
            clean(&r.reason),
            r.size,
            r.sha256
        );
        let ex = clean(&r.excerpt.chars().take(120).collect::<String>());
        if !ex.is_empty() {
            println!("    excerpt: {ex}");
        }
    }
    Ok(())
}

pub fn sources(rows: &[SourceCheckpoint], json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(rows)?);
        return Ok(());
    }
    println!("counts are from the latest ingest of each file (new events, quarantined, duplicates of stored events)");
    println!("{:>9} {:>8} {:>6} {:>6}  path", "records", "new", "quar", "dups");
    for s in rows {
        println!("{:>9} {:>8} {:>6} {:>6}  {}", s.records, s.events, s.quarantined, s.duplicates, clean(&s.path));
    }
    Ok(())
}

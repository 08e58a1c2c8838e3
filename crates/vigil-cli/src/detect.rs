//! `vigil rules check`, `vigil detect` and `vigil alerts`: loading rule packs, scanning files
//! offline, and reading the alerts ingest stored.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use vigil_detect::{Alert, Detector, DetectorOptions, Level, RulePack};
use vigil_pipeline::detect::{DetectOptions, DetectReport};
use vigil_pipeline::{DataDir, Progress};
use vigil_store::{AlertQuery, StateStore};

use vigil_app::detection::{Detection, DetectionConfig};

use crate::output;

/// Where rules come from, shared by `detect`, `ingest` and `rules check`.
#[derive(Args, Clone)]
pub struct RuleArgs {
    /// Sigma rule files or directories (SigmaHQ layout); repeat for several.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Vigil exceptions (Sigma filter documents with a reason, an owner and an optional expiry).
    #[arg(long = "exceptions", value_name = "PATH")]
    pub exceptions: Vec<PathBuf>,
    /// Leave out Vigil's built-in rules (correlations for identity, cloud and endpoint attacks).
    #[arg(long)]
    pub no_builtin: bool,
    /// Raise no alert below this level: informational, low, medium, high, critical.
    #[arg(long, default_value = "informational")]
    pub min_level: Level,
    /// Behavioral detection files (format vigil-behavior/1) beside the built-in pack (ingest only).
    #[arg(long = "behavior", value_name = "PATH")]
    pub behavior: Vec<PathBuf>,
}

impl RuleArgs {
    pub fn any(&self) -> bool {
        !self.rules.is_empty()
    }

    /// The detection configuration these flags name: the same one HTTP ingest and the server
    /// use, assembled in the application layer.
    pub fn config(&self) -> DetectionConfig {
        DetectionConfig {
            rules: self.rules.clone(),
            exceptions: self.exceptions.clone(),
            behavior: self.behavior.clone(),
            no_builtin: self.no_builtin,
            min_level: self.min_level,
        }
    }

    /// Loads the pack: built-in rules (unless left out), the given paths, and exceptions.
    pub fn load(&self) -> Result<(RulePack, Vec<vigil_detect::exceptions::Expired>)> {
        let r = self.config().rules()?;
        Ok((r.pack, r.expired))
    }

    /// Everything detection needs, loaded, with notes on what was left out.
    pub fn detection(&self) -> Result<Detection> {
        let d = self.config().load()?;
        notes(&d.pack, &d.expired);
        Ok(d)
    }

    pub fn detector(&self) -> Result<(Detector, RulePack)> {
        let (pack, expired) = self.load()?;
        notes(&pack, &expired);
        let det = Detector::new(&pack, DetectorOptions { min_level: self.min_level, ..DetectorOptions::default() });
        Ok((det, pack))
    }
}

fn notes(pack: &RulePack, expired: &[vigil_detect::exceptions::Expired]) {
    for e in expired {
        eprintln!("note: exception \"{}\" ({}) expired on {} and is not applied", e.title, e.file, e.expires);
    }
    if !pack.rejected.is_empty() {
        eprintln!(
            "note: {} rule document(s) rejected; `vigil rules check` lists them with the reasons",
            pack.rejected.len()
        );
    }
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Load rule files and directories; report what loaded, what is idle and what was rejected, and why.
    Check {
        /// Rule files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Also check these exceptions files.
        #[arg(long = "exceptions", value_name = "PATH")]
        exceptions: Vec<PathBuf>,
        /// List every idle rule, not just the reasons.
        #[arg(long)]
        verbose: bool,
    },
    /// What exceptions would hide before they take effect: the logs scanned with and without
    /// them (the alerts they stop, by rule), and what that does to the stored queue.
    PreviewExceptions {
        #[command(flatten)]
        rules: RuleArgs,
        /// Event files or directories the exceptions would apply to (past logs).
        #[arg(required = true)]
        events: Vec<PathBuf>,
    },
}

pub fn rules(cmd: RulesCommand, dir: &vigil_pipeline::DataDir, json: bool) -> Result<()> {
    let (paths, exceptions, verbose) = match cmd {
        RulesCommand::Check { paths, exceptions, verbose } => (paths, exceptions, verbose),
        RulesCommand::PreviewExceptions { rules, events } => return preview_exceptions(rules, &events, dir, json),
    };
    let args =
        RuleArgs { rules: paths, exceptions, no_builtin: true, min_level: Level::Informational, behavior: Vec::new() };
    let (pack, expired) = args.load()?;
    let s = pack.summary();
    if json {
        let v = serde_json::json!({
            "summary": s,
            "rejected": pack.rejected,
            "idle": pack.rules.iter().filter_map(|r| r.idle.as_ref().map(|why| serde_json::json!({
                "file": r.info.file, "rule_id": r.info.id, "title": r.info.title, "logsource": r.info.logsource, "reason": why}))).collect::<Vec<_>>(),
            "idle_reasons": pack.idle_reasons().into_iter().map(|(r, n)| serde_json::json!({"reason": r, "rules": n})).collect::<Vec<_>>(),
            "warnings": pack.warnings.iter().map(|(f, w)| serde_json::json!({"file": f, "warning": w})).collect::<Vec<_>>(),
            "expired_exceptions": expired,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "{} files: {} rules loaded ({} active, {} idle), {} correlations, {} filters; {} rejected",
        s.files, s.rules, s.active, s.idle, s.correlations, s.filters, s.rejected
    );
    if !pack.rejected.is_empty() {
        println!("\nrejected:");
        for r in &pack.rejected {
            let id = r.rule_id.as_deref().unwrap_or("-");
            println!("  {}  [{}]  {}", output::clean(&r.file), output::clean(id), output::clean(&r.reason));
        }
    }
    let reasons = pack.idle_reasons();
    if !reasons.is_empty() {
        println!("\nidle (loaded, but no Vigil decoder produces their logsource):");
        for (why, n) in &reasons {
            println!("  {n:>5}  {why}");
        }
        if verbose {
            for r in pack.rules.iter().filter(|r| r.idle.is_some()) {
                println!("  {}  [{}]  {}", r.info.file, r.info.id, r.info.logsource);
            }
        }
    }
    if !pack.warnings.is_empty() {
        println!("\n{} parser warning(s); --json lists them", pack.warnings.len());
    }
    for e in &expired {
        println!("exception \"{}\" ({}) expired on {}: not applied", e.title, e.file, e.expires);
    }
    Ok(())
}

pub struct DetectArgs {
    pub rules: RuleArgs,
    pub events: Vec<PathBuf>,
    pub format: vigil_decode::Format,
    pub threads: usize,
    pub ocsf: bool,
    pub limit_table: usize,
}

pub fn detect(a: DetectArgs, json: bool, show_progress: bool) -> Result<()> {
    if !a.rules.any() && a.rules.no_builtin {
        bail!("no rules: give --rules PATH (or drop --no-builtin)");
    }
    let (det, _pack) = a.rules.detector()?;
    let progress = Arc::new(Progress::default());
    let opts = DetectOptions {
        format: a.format,
        threads: a.threads.max(1),
        progress: Some(progress.clone()),
        ..DetectOptions::default()
    };
    let bar = show_progress.then(|| output::progress_bar(progress.clone()));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut shown = 0usize;
    let mut write_err = None;
    if !json && !a.ocsf {
        let _ = writeln!(out, "{}", table_head());
    }
    let report = vigil_pipeline::detect::detect(&a.events, &det, &opts, &mut |al: &Alert| {
        let r = if a.ocsf {
            serde_json::to_string(&al.to_ocsf()).map_err(std::io::Error::other).and_then(|s| writeln!(out, "{s}"))
        } else if json {
            serde_json::to_string(al).map_err(std::io::Error::other).and_then(|s| writeln!(out, "{s}"))
        } else if shown < a.limit_table {
            shown += 1;
            writeln!(out, "{}", table_row(al))
        } else {
            Ok(())
        };
        if let Err(e) = r
            && write_err.is_none()
        {
            write_err = Some(e);
        }
    });
    if let Some((bar, stop)) = bar {
        stop.store(true, Ordering::Relaxed);
        let _ = bar.join();
    }
    let report = report.context("detect failed")?;
    out.flush().ok();
    drop(out);
    if let Some(e) = write_err {
        return Err(e).context("writing alerts");
    }
    if !json && !a.ocsf && (report.alerts as usize) > shown {
        println!("… {} more alerts (use --json for all)", report.alerts as usize - shown);
    }
    summary(&report, json);
    Ok(())
}

fn table_row(a: &Alert) -> String {
    let time = a
        .time
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into());
    let mut ents: Vec<String> = a.entities.users.iter().take(1).cloned().collect();
    ents.extend(a.entities.hosts.iter().take(1).cloned());
    ents.extend(a.entities.ips.iter().take(1).cloned());
    let mut ents = output::clean(&ents.join(" "));
    if ents.chars().count() > 28 {
        ents = ents.chars().take(27).collect::<String>() + "…";
    }
    let mut title = output::clean(&a.rule.title);
    if title.chars().count() > 58 {
        title = title.chars().take(57).collect::<String>() + "…";
    }
    // A correlation or behavioral alert has no one source file: it spans the events it cites.
    let source = match a.source.as_deref() {
        Some(s) => output::clean(s),
        None => format!("({} over {} events)", a.kind.as_str(), a.event_ids.len()),
    };
    format!("{time:<24} {:<8} {title:<58} {ents:<28} {source}", a.rule.level.as_str())
}

/// The column heads of [`table_row`].
fn table_head() -> String {
    format!("{:<24} {:<8} {:<58} {:<28} {}", "time", "level", "detection", "entities", "source")
}

/// The per-rule and per-level summary, on stderr when alerts went to stdout as JSON.
fn summary(r: &DetectReport, json: bool) {
    let mut lines = Vec::new();
    lines.push(format!(
        "scanned {} records ({} files, {:.1} MB) with {} active rules in {:.1}s: {} alerts on {} records; {} records quarantined{}",
        r.scanned,
        r.files,
        r.bytes as f64 / 1e6,
        r.active_rules,
        r.elapsed_ms as f64 / 1000.0,
        r.alerts,
        r.matched_records,
        r.quarantined,
        if r.repeated_alerts > 0 { format!("; {} repeated alerts (same rule, same event) left out", r.repeated_alerts) } else { String::new() }
    ));
    if !r.by_level.is_empty() {
        let order = ["critical", "high", "medium", "low", "informational"];
        let lv: Vec<String> = order.iter().filter_map(|l| r.by_level.get(*l).map(|n| format!("{l} {n}"))).collect();
        lines.push(format!("by level: {}", lv.join(", ")));
        lines.push("by rule:".into());
        for c in &r.by_rule {
            lines.push(format!(
                "  {:>6}  {:<13} {}  [{}]",
                c.alerts,
                c.level,
                output::clean(&c.title),
                output::clean(&c.id)
            ));
        }
    }
    for l in lines {
        if json {
            eprintln!("{l}");
        } else {
            println!("{l}");
        }
    }
}

#[derive(Subcommand)]
pub enum AlertsCommand {
    /// Alerts stored by ingest, oldest first.
    List {
        /// Only this rule (id or title).
        #[arg(long)]
        rule: Option<String>,
        /// Only this level or above.
        #[arg(long)]
        min_level: Option<Level>,
        /// Most alerts shown (the oldest that match first).
        #[arg(long, default_value_t = 100)]
        limit: u64,
        /// As OCSF Detection Findings (class 2004), one JSON object per line.
        #[arg(long)]
        ocsf: bool,
    },
}

pub fn alerts(dir: &DataDir, cmd: AlertsCommand, json: bool) -> Result<()> {
    let AlertsCommand::List { rule, min_level, limit, ocsf } = cmd;
    let store = dir.open_store()?;
    let levels: Vec<String> = match min_level {
        None => Vec::new(),
        Some(m) => [Level::Informational, Level::Low, Level::Medium, Level::High, Level::Critical]
            .into_iter()
            .filter(|l| *l >= m)
            .map(|l| l.as_str().to_string())
            .collect(),
    };
    let rows = store.alerts(&AlertQuery { rule, levels, limit })?;
    let total = store.alert_count()?;
    let mut out = std::io::stdout().lock();
    let text = !json && !ocsf;
    if text && !rows.is_empty() {
        writeln!(out, "{:<24} {:<11} {}", "alert", "kind", table_head())?;
    }
    for row in &rows {
        let a: Alert = serde_json::from_str(&row.json).with_context(|| format!("alert {} is not readable", row.id))?;
        if ocsf {
            writeln!(out, "{}", serde_json::to_string(&a.to_ocsf())?)?;
        } else if json {
            writeln!(out, "{}", row.json)?;
        } else {
            writeln!(out, "{:<24} {:<11} {}", output::clean(&a.id), a.kind.as_str(), table_row(&a))?;
        }
    }
    if text {
        let more = if (rows.len() as u64) < total && rows.len() as u64 == limit {
            format!(" (the first {limit} that match: --limit shows more)")
        } else {
            String::new()
        };
        writeln!(out, "{} of {} stored alerts{more}", rows.len(), total)?;
    }
    Ok(())
}

pub fn eval(dir: &DataDir, labels: &std::path::Path, json: bool) -> Result<()> {
    let text = std::fs::read_to_string(labels).with_context(|| format!("reading {}", labels.display()))?;
    let labels = vigil_detect::eval::read_labels(&text).map_err(|e| anyhow::anyhow!("{}: {e}", labels.display()))?;
    let store = dir.open_store()?;
    let alerts = vigil_queue::stored_alerts(&store)?;
    let r = vigil_detect::eval::evaluate(&labels, &alerts);
    let (qe, model) = vigil_queue::evaluate(&store, &labels, crate::queue::now_ms())?;
    if json {
        let rows = |key: &str, v: &[vigil_detect::eval::Score]| -> Vec<serde_json::Value> {
            v.iter()
                .map(|s| {
                    serde_json::json!({key: s.name, "precision": s.precision, "recall": s.recall, "f1": s.f1,
                        "alerts": s.alerts, "true_positive_alerts": s.true_positive_alerts,
                        "instances": s.instances, "detected_instances": s.detected_instances, "by": s.by,
                        "signal": s.signal})
                })
                .collect()
        };
        let v = serde_json::json!({
            "alert_reduction": qe.alert_reduction,
            "incident_recall": qe.incident_recall,
            "split_attacks": qe.split_attacks,
            "mixed_incidents": qe.mixed_incidents,
            "triage": qe,
            "triage_model": model,
            "alerts": r.alerts,
            "false_positive_alerts": r.false_positive_alerts,
            "signals": r.signals,
            "signal_false_positive_alerts": r.signal_false_positive_alerts,
            "instances": r.instances,
            "detected_instances": r.detected_instances,
            "scenarios": rows("scenario", &r.scenarios),
            "detections": rows("detection", &r.detections),
            "missed": r.missed,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "{} alerts ({} on no labeled event) and {} signals ({} on no labeled event); {} of {} labeled instances detected",
        r.alerts, r.false_positive_alerts, r.signals, r.signal_false_positive_alerts, r.detected_instances, r.instances
    );
    println!(
        "triage{}: {} raw alerts → {} incidents, {} in the queue (alert reduction {:.1} %); {} of {} labeled instances surfaced as cases (incident recall {:.3}; {} of the {} any alert touched){}\n  split attacks {} (attacks spread over more than one queued incident{}); mixed incidents {} (queued incidents holding an attack and anything else{})",
        model.as_deref().map(|m| format!(" with {m}")).unwrap_or_else(|| " (no model)".into()),
        qe.raw_alerts,
        qe.incidents,
        qe.queued_incidents,
        qe.alert_reduction * 100.0,
        qe.surfaced_instances,
        qe.labeled_instances,
        qe.incident_recall,
        qe.surfaced_instances,
        qe.detected_instances,
        if qe.hidden_instances.is_empty() {
            String::new()
        } else {
            format!("; hidden: {}", qe.hidden_instances.join(", "))
        },
        qe.split_attacks,
        if qe.fragmented_instances.is_empty() {
            String::new()
        } else {
            format!(": {}", qe.fragmented_instances.join(", "))
        },
        qe.mixed_incidents,
        if qe.mixed_incident_ids.is_empty() {
            String::new()
        } else {
            format!(": {}", qe.mixed_incident_ids.join(", "))
        }
    );
    let table = |title: &str, rows: &[vigil_detect::eval::Score]| {
        println!("\n{title:<60} {:>9} {:>7} {:>6} {:>7} {:>10}", "precision", "recall", "f1", "alerts", "instances");
        for s in rows {
            println!(
                "{:<60} {:>9.3} {:>7.3} {:>6.3} {:>7} {:>6}/{:<3}",
                output::clean(&s.name).chars().take(60).collect::<String>(),
                s.precision,
                s.recall,
                s.f1,
                s.alerts,
                s.detected_instances,
                s.instances
            );
        }
    };
    table("scenario", &r.scenarios);
    table("detection", &r.detections);
    if !r.missed.is_empty() {
        println!("\nmissed: {}", r.missed.join(", "));
    }
    Ok(())
}

/// `vigil baseline show ENTITY`: what behavioral detections have learned about an entity.
pub fn baseline_show(dir: &DataDir, who: &vigil_app::Caller, entity: &str, json: bool) -> Result<()> {
    let rows = vigil_app::App::new(dir.root()).baseline(who, entity)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no behavioral state for {entity:?} (detections learn it as events arrive through `vigil ingest`)");
        return Ok(());
    }
    for r in &rows {
        let when = chrono::DateTime::from_timestamp_millis(r.updated_ms).map(|t| t.to_rfc3339()).unwrap_or_default();
        println!("{}  [{}]  updated {when}", output::clean(&r.detection), output::clean(&r.entity));
        for line in readable_state(&r.state, 1) {
            println!("{}", output::clean(&line));
        }
    }
    Ok(())
}

/// The most entries of a list `baseline show` prints (the latest ones); `--json` has them all.
const BASELINE_LIST_MAX: usize = 12;

/// A learned state as indented `name: value` lines: times as UTC dates instead of epoch
/// milliseconds, lists of records one line each (the latest [`BASELINE_LIST_MAX`]).
fn readable_state(v: &serde_json::Value, depth: usize) -> Vec<String> {
    use serde_json::Value;
    let pad = "    ".repeat(depth);
    let mut out = Vec::new();
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match x {
                    Value::Object(_) => {
                        out.push(format!("{pad}{k}:"));
                        out.extend(readable_state(x, depth + 1));
                    }
                    Value::Array(items) => {
                        out.push(format!(
                            "{pad}{k}: {} entr{}",
                            items.len(),
                            if items.len() == 1 { "y" } else { "ies" }
                        ));
                        out.extend(readable_list(items, depth + 1));
                    }
                    _ => out.push(format!("{pad}{k}: {}", readable_scalar(k, x))),
                }
            }
        }
        Value::Array(items) => out.extend(readable_list(items, depth)),
        other => out.push(format!("{pad}{}", readable_scalar("", other))),
    }
    out
}

fn readable_list(items: &[serde_json::Value], depth: usize) -> Vec<String> {
    let pad = "    ".repeat(depth);
    let mut out = Vec::new();
    let skip = items.len().saturating_sub(BASELINE_LIST_MAX);
    if skip > 0 {
        out.push(format!("{pad}… {skip} earlier (--json shows them)"));
    }
    for item in &items[skip..] {
        match item {
            serde_json::Value::Object(m) => {
                let fields: Vec<String> = m.iter().map(|(k, x)| format!("{k} {}", readable_scalar(k, x))).collect();
                out.push(format!("{pad}- {}", fields.join(", ")));
            }
            other => out.push(format!("{pad}- {}", readable_scalar("", other))),
        }
    }
    out
}

/// A value in words: a number under a time-like name (`time`, `*_ms`, `at`, `since`, `first`,
/// `last`) in the range of epoch milliseconds is shown as a UTC date.
fn readable_scalar(key: &str, v: &serde_json::Value) -> String {
    let timeish = key == "time"
        || key == "at"
        || key.ends_with("_ms")
        || key.ends_with("_at")
        || key.starts_with("first")
        || key.starts_with("last")
        || key == "since";
    match v {
        serde_json::Value::Number(n) if timeish => {
            match n.as_i64().filter(|ms| (100_000_000_000..10_000_000_000_000).contains(ms)) {
                Some(ms) => chrono::DateTime::from_timestamp_millis(ms)
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_else(|| n.to_string()),
                None => n.to_string(),
            }
        }
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.iter().map(|x| readable_scalar(key, x)).collect::<Vec<_>>().join(", "),
        serde_json::Value::Null => "-".into(),
        other => other.to_string(),
    }
}

fn preview_exceptions(rules: RuleArgs, events: &[PathBuf], dir: &vigil_pipeline::DataDir, json: bool) -> Result<()> {
    if rules.exceptions.is_empty() {
        bail!("name the exceptions to preview with --exceptions FILE");
    }
    let (with, _) = rules.detector()?;
    let (without, _) = RuleArgs { exceptions: Vec::new(), ..rules.clone() }.detector()?;
    let opts = vigil_pipeline::detect::DetectOptions::default();
    let mut base: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    vigil_pipeline::detect::detect(events, &without, &opts, &mut |a| {
        base.insert(a.id.clone(), a.rule.title.clone());
    })?;
    let mut kept: std::collections::HashSet<String> = std::collections::HashSet::new();
    vigil_pipeline::detect::detect(events, &with, &opts, &mut |a| {
        kept.insert(a.id.clone());
    })?;
    let hidden: std::collections::BTreeSet<String> = base.keys().filter(|id| !kept.contains(*id)).cloned().collect();
    let mut by_rule: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for id in &hidden {
        *by_rule.entry(base[id].as_str()).or_default() += 1;
    }
    let store = dir.open_store()?;
    let ctx = vigil_queue::load(&store)?;
    let what = rules.exceptions.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let imp = vigil_triage::impact_of_hiding(&ctx.input(crate::queue::now_ms()), &what, &hidden);
    if json {
        let v = serde_json::json!({"exceptions": what, "alerts_in_logs": base.len(), "alerts_stopped": hidden.len(),
            "stopped_by_rule": by_rule, "stored_queue": imp});
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("{what}: over these logs, {} of {} alerts would not be raised", hidden.len(), base.len());
    for (r, n) in &by_rule {
        println!("  {n:>6}  {}", output::clean(r));
    }
    println!(
        "in the stored queue: {} stored alerts hidden; {} queued incidents disappear, {} lose alerts; queue {} → {}",
        imp.alerts_hidden,
        imp.incidents_hidden.len(),
        imp.incidents_reduced.len(),
        imp.queue_before,
        imp.queue_after
    );
    for i in imp.incidents_hidden.iter().take(20) {
        println!("  hides {i}");
    }
    println!("they take effect when ingest is given them: vigil ingest --exceptions {what} …");
    Ok(())
}

#[cfg(test)]
mod baseline_tests {
    use super::*;

    #[test]
    fn a_learned_state_reads_as_dates_and_lines_not_json() {
        let points: Vec<serde_json::Value> = (0..15)
            .map(|i| serde_json::json!({"time": 1_791_207_327_523i64 + i * 86_400_000, "place": "Boston, United States"}))
            .collect();
        let v = serde_json::json!({"kind": "geo", "points": points, "updated_ms": 1_791_207_327_523i64, "count": 15});
        let lines = readable_state(&v, 1);
        let text = lines.join("\n");
        assert!(text.contains("kind: geo"), "{text}");
        assert!(text.contains("points: 15 entries"), "{text}");
        assert!(text.contains("… 3 earlier"), "{text}");
        assert!(text.contains("2026-10-05 13:35 UTC"), "{text}");
        assert!(text.contains("updated_ms: 2026-10-05 13:35 UTC"), "{text}");
        assert!(text.contains("count: 15"), "a count is not a date: {text}");
        assert!(!text.contains('{') && !text.contains("1791207327523"), "{text}");
    }
}

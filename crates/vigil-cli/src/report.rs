//! `vigil scorecard` and `vigil brief`: thin calls into `vigil-report` and `vigil-metrics`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::Datelike;
use clap::Subcommand;
use vigil_app::Caller;
use vigil_pipeline::DataDir;

use crate::evidence::parse_time;

/// The period: an ISO week (`2026-W47`), or --from/--to, or this week.
pub fn period(week: Option<&str>, from: Option<&str>, to: Option<&str>) -> Result<vigil_metrics::Period> {
    match (week, from, to) {
        (Some(w), None, None) => Ok(vigil_metrics::Period::parse_week(w)?),
        (None, Some(f), Some(t)) => {
            let (from_ms, to_ms) = (parse_time(f)?, parse_time(t)?);
            if from_ms >= to_ms {
                bail!("--from must be before --to");
            }
            Ok(vigil_metrics::Period { from_ms, to_ms, label: format!("{f}..{t}") })
        }
        (None, None, None) => {
            let w = chrono::Utc::now().iso_week();
            Ok(vigil_metrics::Period::iso_week(w.year(), w.week())?)
        }
        _ => bail!("give --week, or both --from and --to"),
    }
}

/// Event ids of labeled attacks, from a labels file (`vigil simulate`'s labels.jsonl).
pub fn labeled_events(path: Option<&Path>) -> Result<Option<BTreeSet<String>>> {
    let Some(p) = path else { return Ok(None) };
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    let labels = vigil_detect::eval::read_labels(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
    Ok(Some(labels.into_iter().flat_map(|l| l.event_ids).collect()))
}

#[allow(clippy::too_many_arguments)]
pub fn scorecard(
    dir: &DataDir,
    week: Option<String>,
    from: Option<String>,
    to: Option<String>,
    weeks: usize,
    out: Option<PathBuf>,
    labels: Option<PathBuf>,
    title: &str,
    who: &Caller,
    json: bool,
) -> Result<()> {
    let p = period(week.as_deref(), from.as_deref(), to.as_deref())?;
    let labeled = labeled_events(labels.as_deref())?;
    let published = vigil_app::App::new(dir.root()).publish_scorecard(who, &p, weeks, title, labeled.as_ref())?;
    let out = out.unwrap_or_else(|| PathBuf::from(format!("scorecard-{}", p.label)));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(out.join("scorecard.html"), &published.html)?;
    std::fs::write(out.join("scorecard.md"), &published.markdown)?;
    std::fs::write(out.join("scorecard.json"), serde_json::to_string_pretty(&published.json)?)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"out": out.display().to_string(), "vault_sha256": published.vault_sha256, "scorecard": published.json})
            )?
        );
        return Ok(());
    }
    let m = &published.scorecard.metrics;
    let mins =
        |s: &vigil_metrics::Stat| s.median.map(|v| format!("{:.1} min", v / 60_000.0)).unwrap_or_else(|| "-".into());
    let pct = |r: &vigil_metrics::Ratio| r.value.map(|v| format!("{:.1} %", v * 100.0)).unwrap_or_else(|| "-".into());
    println!("Scorecard {} published to {} (scorecard.html, .md, .json; kept in the vault)", p.label, out.display());
    println!(
        "  MTTD {} · MTTA {} · MTTR contain {} · resolve {} (medians)",
        mins(&m.mttd_ms),
        mins(&m.mtta_ms),
        mins(&m.mttr_contain_ms),
        mins(&m.mttr_resolve_ms)
    );
    println!(
        "  precision {} · alert reduction {} · automation {} · evidence completeness {} · time to decision {}",
        pct(&m.precision),
        m.alert_reduction.map(|v| format!("{:.1} %", v * 100.0)).unwrap_or_else(|| "-".into()),
        pct(&m.automation),
        pct(&m.evidence_completeness),
        mins(&m.time_to_decision_ms)
    );
    Ok(())
}

#[derive(Subcommand)]
pub enum BriefCommand {
    /// Issue the one-page executive brief for a case.
    Issue {
        /// The case the brief is about (CASE-…).
        case: String,
        /// Where the brief's HTML is written (default ./BRF-….html).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Acknowledge a brief (the executive's decision clock stops).
    Ack {
        /// The brief's id (BRF-…).
        brief: String,
    },
    /// Briefs, newest first.
    List,
}

pub fn brief(dir: &DataDir, cmd: BriefCommand, who: &Caller, json: bool) -> Result<()> {
    let app = vigil_app::App::new(dir.root());
    match cmd {
        BriefCommand::Issue { case, out } => {
            let (rec, html) = app.issue_brief(who, &case)?;
            let out = out.unwrap_or_else(|| PathBuf::from(format!("{}.html", rec.id)));
            std::fs::write(&out, &html).with_context(|| format!("writing {}", out.display()))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({"brief": rec, "out": out.display().to_string()}))?
                );
            } else {
                println!(
                    "{} issued for {case} → {} ({} decision(s) waiting)",
                    rec.id,
                    out.display(),
                    rec.brief.decisions.len()
                );
            }
        }
        BriefCommand::Ack { brief } => {
            let b = app.acknowledge_brief(who, &brief)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&b)?);
            } else {
                println!("{} acknowledged by {}", b.id, who.name());
            }
        }
        BriefCommand::List => {
            let list = app.briefs(who)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for b in &list {
                    println!(
                        "{}  {}  issued by {}  {}",
                        b.id,
                        b.case_id,
                        b.issued_by,
                        b.acknowledged_by
                            .as_deref()
                            .map(|a| format!("acknowledged by {a}"))
                            .unwrap_or_else(|| "waiting".into())
                    );
                }
            }
        }
    }
    Ok(())
}

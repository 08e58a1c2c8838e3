//! `vigil hunt`: the weak-signal hunts over weeks of the lake and the hypotheses they propose.
//! Parses, calls the application layer, renders.

use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use vigil_app::hypotheses::{HuntRun, HypothesisOp};
use vigil_hunt::Hypothesis;

use crate::output::clean;

#[derive(Subcommand, Debug)]
pub enum HuntAction {
    /// Run the weak-signal hunts (stacking, rarity, low-and-slow) over the lake's last days and
    /// keep the hypotheses they propose; dismissed ones stay dismissed.
    Run {
        /// How far back: `90d`, `6w` or a number of days.
        #[arg(long, default_value = "90d")]
        since: String,
        /// Only these hunts (comma separated; `vigil hunt catalog` lists them).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// The hunts Vigil ships, what each looks for, and its SQL over the last 90 days.
    Catalog,
    /// Hypotheses waiting on a person (`--all`: dismissed and promoted too).
    List {
        /// Every hypothesis, dismissed and promoted ones too.
        #[arg(long)]
        all: bool,
    },
    /// One hypothesis: its statement, facts, the query that tests it, what confirms or refutes it.
    Show {
        /// The hypothesis (`HYP-…`).
        id: String,
    },
    /// Take a hypothesis to test it.
    Take {
        /// The hypothesis (`HYP-…`).
        id: String,
        /// Who tests it (default: you).
        #[arg(long)]
        owner: Option<String>,
    },
    /// Dismiss a hypothesis with the reason later runs respect.
    Dismiss {
        /// The hypothesis (`HYP-…`).
        id: String,
        /// Why it does not hold; kept with it, and later runs leave it dismissed.
        #[arg(long)]
        reason: String,
    },
    /// Promote a hypothesis to a case.
    Promote {
        /// The hypothesis (`HYP-…`).
        id: String,
    },
}

/// `90d`, `6w`, `90` → days.
pub fn parse_days(s: &str) -> Result<i64> {
    let t = s.trim();
    let (num, mult) = match t.chars().last() {
        Some('d') => (&t[..t.len() - 1], 1),
        Some('w') => (&t[..t.len() - 1], 7),
        _ => (t, 1),
    };
    match num.parse::<i64>() {
        Ok(n) if n > 0 && n <= vigil_hunt::MAX_DAYS / mult => Ok(n * mult),
        _ => bail!("--since {s:?}: give days (`90d`, `90`) or weeks (`6w`), up to {} days", vigil_hunt::MAX_DAYS),
    }
}

pub fn run(app: &vigil_app::App, who: &vigil_app::Caller, action: HuntAction, json: bool) -> Result<()> {
    match action {
        HuntAction::Run { since, only } => {
            let r = app.run_hunts(who, parse_days(&since)?, &only)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                print_run(&r);
                for id in r.new.iter().chain(&r.again) {
                    print_short(&app.hypothesis(who, id)?);
                }
            }
        }
        HuntAction::Catalog => {
            let w = vigil_hunt::Window::days_before(app.now_ms(), 90)?;
            if json {
                let v: Vec<_> = vigil_hunt::CATALOG
                    .iter()
                    .map(|s| serde_json::json!({"id": s.id, "title": s.title, "kind": s.kind, "about": s.about, "sql": (s.sql)(&w)}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for s in vigil_hunt::CATALOG {
                    println!("{} — {}\n  {}\n", s.id, s.title, s.about);
                }
            }
        }
        HuntAction::List { all } => {
            let v = app.hypotheses(who, all)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if v.is_empty() {
                println!("no hypotheses{}; `vigil hunt run` proposes them", if all { "" } else { " waiting" });
            } else {
                for h in &v {
                    print_short(h);
                }
            }
        }
        HuntAction::Show { id } => print_full(&app.hypothesis(who, &id)?, json)?,
        HuntAction::Take { id, owner } => {
            print_full(&app.hypothesis_op(who, &id, &HypothesisOp::Take { owner })?, json)?
        }
        HuntAction::Dismiss { id, reason } => {
            print_full(&app.hypothesis_op(who, &id, &HypothesisOp::Dismiss { reason })?, json)?
        }
        HuntAction::Promote { id } => print_full(&app.hypothesis_op(who, &id, &HypothesisOp::Promote)?, json)?,
    }
    Ok(())
}

/// `vigil hunt --sigma RULE.yml --since 90d`.
pub fn retro(app: &vigil_app::App, who: &vigil_app::Caller, rule: &Path, since: &str, json: bool) -> Result<()> {
    let days = parse_days(since)?;
    let meta = std::fs::metadata(rule).with_context(|| format!("reading {}", rule.display()))?;
    if meta.len() > vigil_app::hypotheses::MAX_RULE_BYTES as u64 {
        bail!(
            "{}: {} bytes; a retro-hunt takes a rule file of at most {} bytes",
            rule.display(),
            meta.len(),
            vigil_app::hypotheses::MAX_RULE_BYTES
        );
    }
    let text = std::fs::read_to_string(rule).with_context(|| format!("reading {}", rule.display()))?;
    let r = app.retro_hunt(who, &rule.display().to_string(), &text, days)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!(
        "retro-hunted {} to {} ({} days) in {:.1}s with {}",
        vigil_hunt::fmt_ms(r.window.from_ms),
        vigil_hunt::fmt_ms(r.window.to_ms),
        r.window.days(),
        r.millis as f64 / 1000.0,
        r.rules.iter().map(|x| clean(x)).collect::<Vec<_>>().join("; ")
    );
    println!(
        "  read {} records{}: {} matched{}{}",
        r.scanned,
        if r.formats.is_empty() { String::new() } else { format!(" of {}", r.formats.join(", ")) },
        r.matched,
        if r.unreadable > 0 { format!(", {} could not be evaluated", r.unreadable) } else { String::new() },
        if r.truncated_slices > 0 {
            format!(", {} week(s) held more than could be read", r.truncated_slices)
        } else {
            String::new()
        }
    );
    println!(
        "  {} new hypotheses, {} again, {} left as people decided{}",
        r.new.len(),
        r.again.len(),
        r.respected.len(),
        if r.cut > 0 { format!(" ({} more subjects not kept)", r.cut) } else { String::new() }
    );
    for id in r.new.iter().chain(&r.again) {
        print_short(&app.hypothesis(who, id)?);
    }
    Ok(())
}

fn print_run(r: &HuntRun) {
    println!(
        "hunted {} to {} ({} days) in {:.1}s: {} new hypotheses, {} again, {} left as people decided",
        vigil_hunt::fmt_ms(r.window.from_ms),
        vigil_hunt::fmt_ms(r.window.to_ms),
        r.window.days(),
        r.millis as f64 / 1000.0,
        r.new.len(),
        r.again.len(),
        r.respected.len()
    );
    for l in &r.hunts {
        let status = match &l.error {
            Some(e) => format!("FAILED: {}", clean(e)),
            None => format!(
                "{} rows{}, {} proposed{}",
                l.rows,
                if l.truncated { " (truncated)" } else { "" },
                l.proposed,
                if l.cut > 0 { format!(", {} over the weekly cap", l.cut) } else { String::new() }
            ),
        };
        println!("  {:<20} {:>7.1}s  {status}", l.id, l.millis as f64 / 1000.0);
    }
}

fn print_short(h: &Hypothesis) {
    println!(
        "{}  [{}{}]  {}",
        h.id,
        h.status.as_str(),
        h.owner.as_ref().map(|o| format!(", {}", clean(o))).unwrap_or_default(),
        clean(&h.draft.statement)
    );
}

fn print_full(h: &Hypothesis, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(h)?);
        return Ok(());
    }
    print_short(h);
    println!("  hunt: {}  score {:.0}  runs {}", h.draft.hunt, h.draft.score, h.runs);
    println!("  evidence from {} to {}", vigil_hunt::fmt_ms(h.draft.first_ms), vigil_hunt::fmt_ms(h.draft.last_ms));
    for f in &h.draft.facts {
        println!("  - {}", clean(f));
    }
    println!("  test:    {}", clean(&h.draft.test_sql));
    println!("  confirm: {}", clean(&h.draft.confirm));
    println!("  refute:  {}", clean(&h.draft.refute));
    if !h.evidence_events.is_empty() {
        println!("  events:  {}", h.evidence_events.join(", "));
    }
    match &h.status {
        vigil_hunt::Status::Dismissed { reason } => println!("  dismissed: {}", clean(reason)),
        vigil_hunt::Status::Promoted { case } => println!("  promoted to {case}"),
        _ => {}
    }
    Ok(())
}

/// Reads labels (JSON lines), naming the file in errors.
pub fn read_labels(path: &Path) -> Result<Vec<vigil_model::Label>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    vigil_model::read_labels(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// `vigil eval hunting --labels L --since 90d`.
pub fn eval(app: &vigil_app::App, who: &vigil_app::Caller, labels: &Path, since: &str, json: bool) -> Result<()> {
    let labels = read_labels(labels)?;
    let e = app.eval_hunting(who, &labels, parse_days(since)?)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&e)?);
        return Ok(());
    }
    let w = &e.run.window;
    println!(
        "hunted {} to {} ({} days, {} weeks) in {:.1}s",
        vigil_hunt::fmt_ms(w.from_ms),
        vigil_hunt::fmt_ms(w.to_ms),
        w.days(),
        e.weeks.len(),
        e.run.millis as f64 / 1000.0
    );
    match e.recall() {
        Some(r) => println!("slow attacks named by a hypothesis: {}/{} ({:.0}%)", e.named, e.slow.len(), r * 100.0),
        None => println!("the labels hold no slow attack ({})", vigil_app::hypotheses::SLOW_SCENARIOS.join(", ")),
    }
    for s in &e.slow {
        let by = if s.named_by.is_empty() { "NOT NAMED".to_string() } else { s.named_by.join(", ") };
        println!("  {:<24} {:<32} {by}", s.scenario, clean(&s.instance));
    }
    println!(
        "load: {} hypotheses, {:.1} a week on average, {} in the busiest week; {} other labeled attack(s) named too",
        e.hypotheses,
        e.mean_per_week(),
        e.max_per_week,
        e.other_attacks_named
    );
    for k in &e.weeks {
        println!("  week of {}  {}", k.week_of, k.hypotheses);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_days;

    #[test]
    fn since_takes_days_or_weeks_and_refuses_the_rest() {
        assert_eq!(parse_days("90d").unwrap(), 90);
        assert_eq!(parse_days("6w").unwrap(), 42);
        assert_eq!(parse_days(" 30 ").unwrap(), 30);
        for bad in ["", "0d", "-3", "d", "9999d", "1y", "3.5d", "w"] {
            assert!(parse_days(bad).is_err(), "{bad:?}");
        }
    }
}

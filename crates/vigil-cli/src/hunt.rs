//! `vigil hunt`: the weak-signal hunts over weeks of the lake and the hypotheses they propose.
//! Parses, calls the application layer, renders.

use anyhow::{Result, bail};
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
        #[arg(long)]
        all: bool,
    },
    /// One hypothesis: its statement, facts, the query that tests it, what confirms or refutes it.
    Show { id: String },
    /// Take a hypothesis to test it.
    Take {
        id: String,
        /// Who tests it (default: you).
        #[arg(long)]
        owner: Option<String>,
    },
    /// Dismiss a hypothesis with the reason later runs respect.
    Dismiss {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Promote a hypothesis to a case.
    Promote { id: String },
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

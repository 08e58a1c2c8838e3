//! `vigil playbook …`: thin calls into the application layer's response operations.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde_json::Value;
use vigil_app::respond::{Decision, ResponseConfig, Started};
use vigil_pipeline::DataDir;
use vigil_respond::{Playbook, Run, RunStatus, StepStatus};

use crate::queue::when;

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Where playbooks, connector settings and secrets come from.
#[derive(Args, Clone, Debug, Default)]
pub struct PlaybookArgs {
    /// Playbook files or directories beside the built-in pilot playbooks.
    #[arg(long = "playbooks", value_name = "PATH", env = "VIGIL_PLAYBOOKS", value_delimiter = ',')]
    pub playbooks: Vec<PathBuf>,
    /// Connector settings (JSON: base URLs, tenants, projects per connector).
    #[arg(long, env = "VIGIL_CONNECTORS")]
    pub connectors: Option<PathBuf>,
    /// Secrets (`NAME=value` lines or a JSON object); `VIGIL_SECRET_<NAME>` variables too.
    #[arg(long, env = "VIGIL_SECRETS_FILE")]
    pub secrets: Option<PathBuf>,
}

impl PlaybookArgs {
    pub fn playbooks(&self) -> Result<Vec<Playbook>> {
        vigil_respond::format::in_force(&self.playbooks)
            .map_err(|e| anyhow::anyhow!("{e} (`vigil playbook check` lists every rejected file)"))
    }

    /// The response configuration these flags name, as the server takes it too.
    pub fn config(&self) -> ResponseConfig {
        ResponseConfig {
            playbooks: self.playbooks.clone(),
            connectors: self.connectors.clone(),
            secrets: self.secrets.clone(),
        }
    }
}

#[derive(Subcommand)]
pub enum PlaybookCommand {
    /// Validate playbook files (errors name file, line and field).
    Check {
        /// Playbook files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// The playbooks in force (built-in and --playbooks), with their triggers and controls.
    List {
        #[command(flatten)]
        args: PlaybookArgs,
    },
    /// Run a playbook on a case; with --dry-run, show the exact calls instead.
    Run {
        /// The playbook's id (see `vigil playbook list`).
        playbook: String,
        /// The case it acts for (CASE-…).
        #[arg(long)]
        case: String,
        /// Show the exact calls, secrets masked, and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        args: PlaybookArgs,
    },
    /// Continue a run (after a crash or a decision).
    Resume {
        /// The run's id (RUN-…).
        run: String,
        #[command(flatten)]
        args: PlaybookArgs,
    },
    /// Start the enabled playbooks whose triggers match queued incidents.
    Trigger {
        #[command(flatten)]
        args: PlaybookArgs,
    },
    /// Runs, newest first.
    Runs {
        /// Only the runs of this case.
        #[arg(long)]
        case: Option<String>,
    },
    /// One run with its steps.
    Show {
        /// The run's id (RUN-…).
        run: String,
    },
    /// Approval requests (pending ones unless --all).
    Approvals {
        /// Decided and expired requests too.
        #[arg(long)]
        all: bool,
    },
    /// Approve a step (never your own request); --inputs replaces its inputs (recorded).
    Approve {
        /// The request's id (APR-…).
        approval: String,
        /// Why (on the run and the audit log).
        #[arg(long, default_value = "")]
        note: String,
        /// Edited inputs, a JSON object.
        #[arg(long)]
        inputs: Option<String>,
        #[command(flatten)]
        args: PlaybookArgs,
    },
    /// Deny a step.
    Deny {
        /// The request's id (APR-…).
        approval: String,
        /// Why (on the run and the audit log).
        #[arg(long)]
        note: String,
        #[command(flatten)]
        args: PlaybookArgs,
    },
    /// Undo a run's state-changing steps (or one) through their inverses, under approval.
    Rollback {
        /// The run's id (RUN-…).
        run: String,
        /// Only this step (default: every state-changing step, last first).
        step: Option<String>,
        #[command(flatten)]
        args: PlaybookArgs,
    },
    /// Expire approval requests past their time.
    Expire {
        #[command(flatten)]
        args: PlaybookArgs,
    },
    /// The automation rate: steps run without a person / all steps run.
    Automation,
}

/// An error (a non-zero exit) when the run failed or a step it reached failed, after the
/// run was printed.
fn check_run(r: &Run) -> Result<()> {
    let failed: Vec<String> = r
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Failed)
        .map(|s| format!("{} ({}): {}", s.id, s.action, s.error.as_deref().unwrap_or("failed")))
        .collect();
    if r.status == RunStatus::Failed || !failed.is_empty() {
        bail!(
            "run {} {}: {}",
            r.id,
            if r.status == RunStatus::Failed { "failed" } else { "has failed steps" },
            if failed.is_empty() { r.note.clone().unwrap_or_else(|| "failed".into()) } else { failed.join("; ") }
        );
    }
    Ok(())
}

fn print_run(r: &Run) {
    println!(
        "{}  {} v{} on {}  status {:?}  requested by {}{}",
        r.id,
        r.playbook.id,
        r.playbook.version,
        r.case_id,
        r.status,
        r.requested_by,
        r.note.as_deref().map(|n| format!("  ({n})")).unwrap_or_default()
    );
    for s in &r.steps {
        println!(
            "  {:<16} {:<28} {:<11} {:?}{}{}{}",
            s.id,
            s.action,
            s.class.as_str(),
            s.status,
            s.approval.as_deref().map(|a| format!("  approval {a}")).unwrap_or_default(),
            s.error.as_deref().map(|e| format!("  error: {e}")).unwrap_or_default(),
            s.rollback.as_ref().map(|rb| format!("  rollback {} {}", rb.action, rb.status)).unwrap_or_default(),
        );
    }
}

pub fn playbook(dir: &DataDir, cmd: PlaybookCommand, who: &vigil_app::Caller, json: bool) -> Result<()> {
    let app = vigil_app::App::new(dir.root());
    match cmd {
        PlaybookCommand::Check { paths } => {
            let (ok, bad) = vigil_respond::format::load(&paths);
            if json {
                print_json(
                    &serde_json::json!({"loaded": ok.iter().map(|p| &p.id).collect::<Vec<_>>(), "rejected": bad.iter().map(|e| e.to_string()).collect::<Vec<_>>()}),
                )?;
            } else {
                for p in &ok {
                    println!("ok    {} ({}, v{}, {} steps)", p.file, p.id, p.version, p.steps.len());
                }
                for e in &bad {
                    println!("FAIL  {e}");
                }
            }
            if !bad.is_empty() {
                bail!("{} playbook file(s) rejected", bad.len());
            }
            Ok(())
        }
        PlaybookCommand::List { args } => {
            args.playbooks()?;
            let rows: Vec<Value> = app
                .playbooks(who, &args.config())?
                .iter()
                .map(|p| serde_json::json!({"id": p.id, "name": p.name, "version": p.version, "enabled": p.enabled, "trigger": p.trigger, "steps": p.steps.iter().map(|s| &s.action).collect::<Vec<_>>(), "controls": p.controls, "mitigations": p.mitigations, "file": p.file}))
                .collect();
            if json {
                return print_json(&rows);
            }
            for r in &rows {
                println!(
                    "{:<18} v{}  {}  steps: {}",
                    r["id"].as_str().unwrap_or_default(),
                    r["version"],
                    r["name"].as_str().unwrap_or_default(),
                    r["steps"]
                        .as_array()
                        .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" → "))
                        .unwrap_or_default()
                );
                println!(
                    "{:<18}     controls: {}  mitigations: {}",
                    "",
                    r["controls"].as_array().map(|a| a.len()).unwrap_or(0),
                    r["mitigations"]
                );
            }
            Ok(())
        }
        PlaybookCommand::Run { playbook, case, dry_run, args } => {
            args.playbooks()?;
            match app.run_playbook(who, &args.config(), &case, &playbook, dry_run)? {
                Started::DryRun(steps) => {
                    if json {
                        return print_json(&steps);
                    }
                    println!("dry run of {playbook} on {case} — nothing is sent");
                    for s in &steps {
                        println!(
                            "  {} ({}, {}){}{}",
                            s.step,
                            s.action,
                            s.class.as_str(),
                            if s.would_wait_for_approval { " — waits for approval" } else { "" },
                            s.skipped.as_deref().map(|w| format!(" — skipped: {w}")).unwrap_or_default()
                        );
                        for c in &s.calls {
                            println!("      {} {}", c.method, c.url);
                            if let Some(b) = &c.body {
                                println!("      {b}");
                            }
                        }
                        if let Some(p) = &s.problem {
                            println!("      ({p})");
                        }
                    }
                    Ok(())
                }
                Started::Run(run) => {
                    if json {
                        print_json(&run)?;
                    } else {
                        print_run(&run);
                    }
                    check_run(&run)
                }
            }
        }
        PlaybookCommand::Resume { run, args } => {
            let r = app.resume_run(who, &args.config(), &run)?;
            if json {
                return print_json(&r);
            }
            print_run(&r);
            Ok(())
        }
        PlaybookCommand::Trigger { args } => {
            args.playbooks()?;
            let runs = app.trigger_playbooks(who, &args.config())?;
            if json {
                return print_json(&runs);
            }
            println!("{} run(s) started", runs.len());
            for r in &runs {
                print_run(r);
            }
            Ok(())
        }
        PlaybookCommand::Runs { case } => {
            let runs = app.runs(who, case.as_deref())?;
            if json {
                return print_json(&runs);
            }
            for r in &runs {
                println!("{}  {}  {:<18} {:<16} {:?}", r.id, when(r.created_ms), r.playbook.id, r.case_id, r.status);
            }
            Ok(())
        }
        PlaybookCommand::Show { run } => {
            let r = app.run(who, &run)?;
            if json {
                return print_json(&r);
            }
            print_run(&r);
            Ok(())
        }
        PlaybookCommand::Approvals { all } => {
            let list = app.approvals(who, all)?;
            if json {
                return print_json(&list);
            }
            for a in &list {
                println!(
                    "{}  {:?}  {} {} ({}) of {} on {}",
                    a.id,
                    a.status,
                    a.purpose,
                    a.action,
                    a.class.as_str(),
                    a.run_id,
                    a.case_id
                );
                println!("    target:   {}", if a.target.is_empty() { "(not recorded)" } else { &a.target });
                println!(
                    "    case:     {}  verdict {}  risk {}",
                    a.case_id,
                    a.verdict.as_deref().unwrap_or("-"),
                    a.risk.map(|r| format!("{r:.0}")).unwrap_or_else(|| "-".into())
                );
                println!("    does:     {}", a.description);
                println!("    rollback: {}", a.rollback);
                println!(
                    "    requested by {} at {}, expires {}",
                    a.requested_by,
                    when(a.requested_ms),
                    when(a.expires_ms)
                );
            }
            Ok(())
        }
        PlaybookCommand::Approve { approval, note, inputs, args } => {
            let edited = inputs
                .as_deref()
                .map(serde_json::from_str::<Value>)
                .transpose()
                .context("--inputs must be a JSON object")?;
            let a = app.decide(who, &args.config(), &approval, Decision::Approve { note, inputs: edited })?;
            let r = app.run(who, &a.run_id)?;
            if json {
                return print_json(&serde_json::json!({"approval": a, "run": r}));
            }
            println!("{} approved by {}", a.id, who.name());
            print_run(&r);
            Ok(())
        }
        PlaybookCommand::Deny { approval, note, args } => {
            let a = app.decide(who, &args.config(), &approval, Decision::Deny { note })?;
            if json {
                return print_json(&a);
            }
            println!("{} denied by {}", a.id, who.name());
            Ok(())
        }
        PlaybookCommand::Rollback { run, step, args } => {
            let r = app.rollback_run(who, &args.config(), &run, step.as_deref())?;
            if json {
                return print_json(&r);
            }
            print_run(&r);
            Ok(())
        }
        PlaybookCommand::Expire { args } => {
            let gone = app.expire_approvals(who, &args.config())?;
            if json {
                return print_json(&gone);
            }
            println!("{} approval request(s) expired", gone.len());
            Ok(())
        }
        PlaybookCommand::Automation => {
            let r = app.automation_rate(who)?;
            if json {
                return print_json(&r);
            }
            match r.rate {
                Some(x) => println!(
                    "automation rate {:.1} %: {} of {} steps ran without a person ({} after an approval)",
                    x * 100.0,
                    r.automated_steps,
                    r.total_steps,
                    r.human_steps
                ),
                None => println!("no playbook step has run yet"),
            }
            Ok(())
        }
    }
}

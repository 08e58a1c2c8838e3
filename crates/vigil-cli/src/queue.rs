//! `vigil triage`, `incidents`, `case`, `model`, `suppress`, `inventory` and `audit`: thin
//! calls into the application layer (`vigil-app`), rendered as text or JSON.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use serde_json::json;
use vigil_app::Caller;
use vigil_app::cases::CaseOp;
use vigil_cases::{Case, Disposition, SlaPolicy, Status};
use vigil_pipeline::DataDir;
use vigil_triage::{Incident, Suppression};

use crate::output::clean;

/// The wall clock, as every operation reads it.
pub fn now_ms() -> i64 {
    use vigil_cases::Clock;
    vigil_cases::SystemClock.now_ms()
}

pub fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

fn span(ms: i64) -> String {
    let neg = ms < 0;
    let m = ms.abs() / 60_000;
    let s = if m >= 2 * 1440 {
        format!("{}d{}h", m / 1440, (m % 1440) / 60)
    } else if m >= 120 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    };
    if neg { format!("-{s}") } else { s }
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

#[derive(Subcommand)]
pub enum InventoryCommand {
    /// Load the asset and identity inventory (JSON, the shape `vigil simulate` writes).
    Load {
        /// The inventory file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum IncidentsCommand {
    /// The queue: incidents by risk (with --all, those closed as benign too).
    List {
        /// Incidents triage closed as benign too.
        #[arg(long)]
        all: bool,
        /// Most incidents shown, highest risk first (the list says when there are more).
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One incident: items, links and their reasons, risk components, verdict and its work.
    Show {
        /// The incident's id (INC-…).
        id: String,
    },
    /// Merge incidents into one (kept across later triage runs).
    Merge {
        /// Two or more incident ids; the first keeps its id.
        #[arg(required = true, num_args = 2..)]
        ids: Vec<String>,
        /// Why they belong together (on the audit log and re-applied by later triage runs).
        #[arg(long)]
        reason: String,
    },
    /// Move items out of an incident into one of their own.
    Split {
        /// The incident the items leave.
        id: String,
        /// Item ids (see `incidents show`).
        #[arg(long = "item", required = true)]
        items: Vec<String>,
        /// Why they are a separate matter (on the audit log and re-applied by later triage runs).
        #[arg(long)]
        reason: String,
    },
    /// Put an incident the machine closed as benign back in the queue.
    Reopen {
        /// The incident's id (INC-…).
        id: String,
        /// Why it deserves a person's look (on the audit log).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
pub enum CaseCommand {
    /// Cases with their owner, status and SLA clocks.
    List {
        /// Only cases in this status.
        #[arg(long)]
        status: Option<Status>,
        /// Only cases this person owns.
        #[arg(long)]
        owner: Option<String>,
        /// Closed and merged cases too.
        #[arg(long)]
        all: bool,
    },
    /// One case: its incidents, entities, SLA clocks, tasks, history and disposition.
    Show {
        /// The case's id (CASE-…).
        id: String,
    },
    /// Give the case to an owner (and a team).
    Assign {
        /// The case's id (CASE-…).
        id: String,
        /// The new owner's user name.
        owner: String,
        /// The team the case is routed to.
        #[arg(long)]
        team: Option<String>,
    },
    /// Add a comment to the case's history.
    Comment {
        /// The case's id (CASE-…).
        id: String,
        /// The comment.
        text: String,
    },
    /// Acknowledge (stops the acknowledge clock).
    Ack {
        /// The case's id (CASE-…).
        id: String,
    },
    /// Move to another status (triaged, investigating, contained, resolved, closed).
    Status {
        /// The case's id (CASE-…).
        id: String,
        /// The status to move to.
        status: Status,
    },
    /// Add a task to the case.
    Task {
        /// The case's id (CASE-…).
        id: String,
        /// What is to be done.
        title: String,
        /// Who is to do it.
        #[arg(long)]
        assignee: Option<String>,
    },
    /// Resolve with a disposition: true_positive, benign_true_positive or false_positive.
    Resolve {
        /// The case's id (CASE-…).
        id: String,
        /// What the case turned out to be.
        #[arg(long)]
        disposition: Disposition,
        /// Why (needed for a true positive whose containment still waits for approval).
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Stop the case's SLA clocks (waiting on someone outside the team).
    Pause {
        /// The case's id (CASE-…).
        id: String,
        /// What the case waits for.
        #[arg(long)]
        reason: String,
    },
    /// Restart the SLA clocks of a paused case.
    Resume {
        /// The case's id (CASE-…).
        id: String,
    },
    /// Merge case FROM into case INTO (FROM is closed as merged).
    Merge {
        /// The case that stays.
        into: String,
        /// The case merged into it and closed.
        from: String,
    },
    /// Split incidents or alerts out of a case into a new case.
    Split {
        /// The case the items leave.
        id: String,
        /// Incident or alert ids to move.
        #[arg(long = "item", required = true)]
        items: Vec<String>,
        /// The new case's title.
        #[arg(long)]
        title: String,
    },
    /// Check every open case's SLA clocks now: record breaches and escalate.
    Tick,
    /// Load an SLA policy (YAML, `version: vigil-sla/1`).
    Policy {
        /// The policy file.
        file: PathBuf,
    },
    /// Export the case as an incident packet an auditor verifies offline (`vigil verify`).
    Export {
        /// The case's id (CASE-…).
        id: String,
        /// Where the packet (a zip) is written.
        #[arg(long)]
        out: PathBuf,
        /// Logs cover the first alert minus this many hours to the last alert plus this many.
        #[arg(long, default_value_t = 24)]
        margin_hours: i64,
    },
}

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Train the triage model from dispositions (with --labels, from labeled attacks through
    /// the simulated analyst); the earliest part trains, the rest evaluates.
    Train {
        /// Labeled attacks (the simulator's labels.jsonl); without it, the cases' dispositions.
        #[arg(long)]
        labels: Option<PathBuf>,
        /// Share of the incidents (oldest first) the model learns from; the rest evaluate it.
        #[arg(long, default_value_t = 0.6)]
        train_fraction: f64,
        /// Share of simulated dispositions an analyst gets wrong.
        #[arg(long, default_value_t = 0.02)]
        error_rate: f64,
    },
    /// Evaluate the active model on labeled incidents (all of them, and the held-out part).
    Eval {
        /// Labeled attacks (the simulator's labels.jsonl).
        #[arg(long)]
        labels: PathBuf,
        /// Share of simulated dispositions an analyst gets wrong.
        #[arg(long, default_value_t = 0.0)]
        error_rate: f64,
    },
    /// The active model: version, coefficients, training and held-out evaluation.
    Show,
    /// Write the active model to a file (JSON), to use it in another data directory.
    Export {
        /// Where the model (JSON) is written.
        out: PathBuf,
    },
    /// Store a model written by `model export` and make it the active one.
    Import {
        /// A model written by `vigil model export`.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum SuppressCommand {
    /// What a suppression would hide, without adding it.
    Preview {
        /// The detection (id or title) to suppress.
        #[arg(long)]
        rule: Option<String>,
        /// The entity (user, host, key, address) to suppress it for.
        #[arg(long)]
        entity: Option<String>,
    },
    /// Add a suppression: shows its impact and takes effect only with --yes.
    Add {
        /// The detection (id or title) to suppress.
        #[arg(long)]
        rule: Option<String>,
        /// The entity (user, host, key, address) to suppress it for.
        #[arg(long)]
        entity: Option<String>,
        /// Why (on the audit log; at least a few words).
        #[arg(long)]
        reason: String,
        /// Expiry date (YYYY-MM-DD).
        #[arg(long)]
        expires: Option<chrono::NaiveDate>,
        /// Apply it (without --yes only its impact is shown).
        #[arg(long)]
        yes: bool,
    },
    /// Suppressions in force, with who added them, why and until when.
    List,
}

fn load_labels(path: &std::path::Path) -> Result<Vec<vigil_detect::eval::Label>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    vigil_detect::eval::read_labels(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

pub fn inventory(dir: &DataDir, cmd: InventoryCommand, who: &Caller, json: bool) -> Result<()> {
    let InventoryCommand::Load { file } = cmd;
    let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let app = vigil_app::App::new(dir.root());
    let n = app.load_inventory(who, &text).with_context(|| file.display().to_string())?;
    if json {
        return print_json(&json!({"entities": n}));
    }
    println!("inventory loaded: {n} entities (run `vigil triage` to rescore)");
    Ok(())
}

/// One line on what an investigation run did.
pub fn pending_line(run: &vigil_assistant::investigate::PendingRun) -> String {
    let mut line = format!("investigated {} queued incidents", run.investigated.len());
    if !run.investigated.is_empty() {
        line.push_str(&format!(" ({})", run.investigated.join(", ")));
    }
    if !run.failed.is_empty() {
        let why: Vec<String> = run.failed.iter().map(|(id, e)| format!("{id}: {}", crate::output::clean(e))).collect();
        line.push_str(&format!("; {} failed ({})", run.failed.len(), why.join("; ")));
    }
    if run.remaining > 0 {
        line.push_str(&format!(
            "; {} still to investigate (`vigil investigate --pending`, or `vigil serve` does them)",
            run.remaining
        ));
    }
    line
}

pub fn triage(dir: &DataDir, who: &Caller, investigate: usize, json: bool) -> Result<()> {
    let app = vigil_app::App::new(dir.root());
    let r = app.triage(who)?;
    // Then the investigations of the highest-risk queued incidents, when the caller may make
    // and keep them.
    let run = if investigate > 0 && vigil_assistant::investigate::may_keep(who) {
        let response = vigil_app::respond::ResponseConfig::default();
        Some(vigil_assistant::investigate::investigate_pending(&app, who, &response, investigate, &|| false)?)
    } else {
        None
    };
    if json {
        let mut v = serde_json::to_value(&r)?;
        if let (Some(m), Some(run)) = (v.as_object_mut(), &run) {
            m.insert("investigations".into(), serde_json::to_value(run)?);
        }
        return print_json(&v);
    }
    let s = &r.stats;
    println!(
        "{} alerts ({} suppressed) → {} items → {} incidents: {} in the queue, {} closed as benign; alert reduction {:.1} %",
        s.raw_alerts,
        s.suppressed_alerts,
        s.items,
        s.incidents,
        s.queued,
        s.auto_closed,
        s.alert_reduction * 100.0
    );
    let v: Vec<String> = s.by_verdict.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!("verdicts: {}", v.join(", "));
    println!("model: {}", r.model_version.as_deref().unwrap_or("none (risk score only; `vigil model train`)"));
    println!("cases opened {}, updated {}; SLA events {}", r.cases_opened.len(), r.cases_updated, r.sla_events.len());
    if let Some(run) = &run {
        println!("{}", pending_line(run));
    }
    Ok(())
}

fn incident_line(i: &Incident) -> String {
    format!(
        "{:<22} {:>5.0} {:<12} {:<8} {:>5} {}",
        i.id,
        i.risk.score,
        i.verdict.verdict.as_str(),
        i.level,
        i.alert_count,
        clean(&i.title).chars().take(90).collect::<String>()
    )
}

pub fn incidents(dir: &DataDir, cmd: IncidentsCommand, who: &Caller, json: bool) -> Result<()> {
    let app = vigil_app::App::new(dir.root());
    match cmd {
        IncidentsCommand::List { all, limit } => {
            let every = app.incidents(who, all)?;
            let total = every.len();
            let list: Vec<Incident> = every.into_iter().take(limit).collect();
            if json {
                return print_json(&list);
            }
            println!("{:<22} {:>5} {:<12} {:<8} {:>5} title", "incident", "risk", "verdict", "level", "alerts");
            for i in &list {
                println!("{}", incident_line(i));
            }
            if total > list.len() {
                println!("… {} more of {total} (--limit {total} shows them all)", total - list.len());
            }
            Ok(())
        }
        IncidentsCommand::Show { id } => {
            let i = app.incident(who, &id)?;
            if json {
                return print_json(&i);
            }
            println!("{}  {}", i.id, clean(&i.title));
            println!(
                "  {} → {}; {} alerts; tactics: {}",
                when(i.first_ms),
                when(i.last_ms),
                i.alert_count,
                i.tactics.join(" → ")
            );
            println!(
                "  verdict: {} by {} — {}",
                i.verdict.verdict.as_str(),
                i.verdict.decided_by,
                clean(&i.verdict.summary)
            );
            if let Some(v) = &i.verdict.model_version {
                println!("  model: {v}");
            }
            println!("  checks:");
            for c in &i.verdict.checks {
                println!("    {:<18} {}", c.check, clean(&c.result));
            }
            println!("  decisive:");
            for d in &i.verdict.decisive {
                println!("    {}", clean(d));
            }
            if !i.verdict.missing.is_empty() {
                println!("  missing data:");
                for m in &i.verdict.missing {
                    println!("    {}", clean(m));
                }
            }
            println!("  risk {:.0}:", i.risk.score);
            for c in &i.risk.components {
                println!("    {:<20} {:>5.1}  {}", c.name, c.points, clean(&c.why));
            }
            if let Some(m) = &i.model {
                println!("  model p={:.3} (intercept {:+.2}); contributions:", m.probability, m.intercept);
                for c in m.contributions.iter().take(6) {
                    println!("    {:<24} value {:>7.2}  {:+.3}", c.feature, c.value, c.contribution);
                }
            }
            println!("  items:");
            for it in &i.items {
                println!(
                    "    {}  {:<8} ×{:<4} {} → {}  {}  [{}]",
                    it.id,
                    it.level,
                    it.count,
                    when(it.first_ms),
                    when(it.last_ms),
                    clean(&it.rule_title),
                    it.entities.join(", ")
                );
            }
            if !i.links.is_empty() {
                println!("  links:");
                for l in &i.links {
                    println!(
                        "    {} → {}  {}: {}{}",
                        l.from,
                        l.to,
                        l.kind,
                        clean(&l.detail),
                        l.progression.as_ref().map(|(a, b)| format!(" (progression {a} → {b})")).unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
        IncidentsCommand::Merge { ids, reason } => {
            let r = app.merge_incidents(who, &ids, &reason)?;
            println!("merged {}; {} incidents in the queue", ids.join(" + "), r.stats.queued);
            Ok(())
        }
        IncidentsCommand::Split { id, items, reason } => {
            let r = app.split_incident(who, &id, &items, &reason)?;
            println!("split {id}; {} incidents in the queue", r.stats.queued);
            Ok(())
        }
        IncidentsCommand::Reopen { id, reason } => {
            let r = app.reopen_incident(who, &id, &reason)?;
            println!("{id} reopened; cases opened {:?}", r.cases_opened);
            Ok(())
        }
    }
}

fn case_line(c: &Case, policy: &SlaPolicy, now: i64) -> String {
    let clocks = c.sla_view(policy, now);
    let sla = match clocks.iter().find(|k| k.is_open()) {
        Some(k) if k.breached || k.status == vigil_cases::SlaStatus::Breached => {
            format!("{} BREACHED {}", k.kind.as_str(), span(-k.remaining_ms))
        }
        Some(k) if k.paused => format!("{} paused", k.kind.as_str()),
        Some(k) => format!("{} due in {}", k.kind.as_str(), span(k.remaining_ms)),
        None if clocks.iter().any(|k| k.status == vigil_cases::SlaStatus::NotContained) => "met; not contained".into(),
        None => "met".into(),
    };
    format!(
        "{:<16} {:<13} {:<9} {:<20} {:<28} {}",
        c.id,
        c.status.as_str(),
        c.severity.as_str(),
        c.owner.as_deref().unwrap_or("-"),
        sla,
        clean(&c.title).chars().take(70).collect::<String>()
    )
}

pub fn case(dir: &DataDir, cmd: CaseCommand, who: &Caller, json: bool) -> Result<()> {
    let app = vigil_app::App::new(dir.root());
    let now = app.now_ms();
    let changed = |c: Case, json: bool, what: &str| -> Result<()> {
        if json {
            return print_json(&c);
        }
        println!("{} {what}: status {}, owner {}", c.id, c.status.as_str(), c.owner.as_deref().unwrap_or("-"));
        Ok(())
    };
    match cmd {
        CaseCommand::List { status, owner, all } => {
            let policy = app.sla_policy()?;
            let mut list: Vec<Case> = app
                .all_cases(who)?
                .into_iter()
                .filter(|c| all || (c.merged_into.is_none() && c.status != Status::Closed))
                .filter(|c| status.is_none_or(|s| c.status == s))
                .filter(|c| owner.as_deref().is_none_or(|o| c.owner.as_deref() == Some(o)))
                .collect();
            vigil_app::cases::by_urgency(&mut list, &policy, now);
            if json {
                let v: Vec<_> = list.iter().map(|c| json!({"case": c, "sla": c.sla_view(&policy, now)})).collect();
                return print_json(&v);
            }
            println!("{:<16} {:<13} {:<9} {:<20} {:<28} title", "case", "status", "severity", "owner", "sla");
            for c in &list {
                println!("{}", case_line(c, &policy, now));
            }
            Ok(())
        }
        CaseCommand::Show { id } => {
            let policy = app.sla_policy()?;
            let c = app.case(who, &id)?.case;
            if json {
                return print_json(&json!({"case": c, "sla": c.sla_view(&policy, now)}));
            }
            println!("{}", case_line(&c, &policy, now));
            println!(
                "  team {}; risk {:.0}; verdict {}; incidents {}",
                c.team.as_deref().unwrap_or("-"),
                c.risk,
                c.verdict,
                c.incidents.join(", ")
            );
            println!("  {} alerts; entities: {}", c.alerts.len(), c.entities.join(", "));
            println!("  summary: {}", clean(&c.summary));
            for k in c.sla_view(&policy, now) {
                println!(
                    "  sla {:<12} due {}  {}",
                    k.kind.as_str(),
                    when(k.due_ms),
                    match k.met_ms {
                        _ if k.status == vigil_cases::SlaStatus::NotContained => {
                            "not contained: the case ended without containment".to_string()
                        }
                        Some(m) => format!("met {}{}", when(m), if k.breached { " (late)" } else { "" }),
                        None if k.breached => format!("BREACHED, {} overdue", span(-k.remaining_ms)),
                        None => format!("{} left", span(k.remaining_ms)),
                    }
                );
            }
            if let Some(d) = &c.disposition {
                println!(
                    "  disposition {} by {} at {}: {}",
                    d.disposition.as_str().replace('_', " "),
                    d.by,
                    when(d.at_ms),
                    clean(&d.note)
                );
            }
            for t in &c.tasks {
                println!(
                    "  task {} [{}] {} ({})",
                    t.id,
                    if t.done { "x" } else { " " },
                    clean(&t.title),
                    t.assignee.as_deref().unwrap_or("-")
                );
            }
            for cm in &c.comments {
                println!("  comment {} {}: {}", when(cm.at_ms), cm.author, clean(&cm.text));
            }
            println!("  history:");
            for h in &c.history {
                println!("    {} {:<16} {:<24} {}", when(h.at_ms), h.actor, h.action, clean(&h.readable()));
            }
            Ok(())
        }
        CaseCommand::Assign { id, owner, team } => {
            changed(app.case_op(who, &id, &CaseOp::Assign { owner, team })?, json, "assigned")
        }
        CaseCommand::Comment { id, text } => {
            changed(app.case_op(who, &id, &CaseOp::Comment { text })?, json, "commented")
        }
        CaseCommand::Ack { id } => changed(app.case_op(who, &id, &CaseOp::Acknowledge)?, json, "acknowledged"),
        CaseCommand::Status { id, status } => changed(app.case_op(who, &id, &CaseOp::Status(status))?, json, "moved"),
        CaseCommand::Task { id, title, assignee } => {
            changed(app.case_op(who, &id, &CaseOp::AddTask { title, assignee })?, json, "task added")
        }
        CaseCommand::Resolve { id, disposition, note } => {
            changed(app.case_op(who, &id, &CaseOp::Resolve { disposition, note })?, json, "resolved")
        }
        CaseCommand::Pause { id, reason } => {
            changed(app.case_op(who, &id, &CaseOp::PauseSla { reason })?, json, "SLA paused")
        }
        CaseCommand::Resume { id } => changed(app.case_op(who, &id, &CaseOp::ResumeSla)?, json, "SLA resumed"),
        CaseCommand::Merge { into, from } => changed(app.merge_cases(who, &into, &from)?, json, "merged"),
        CaseCommand::Split { id, items, title } => {
            changed(app.split_case(who, &id, &items, &title)?, json, "split off")
        }
        CaseCommand::Tick => {
            let r = app.triage(who)?;
            if json {
                return print_json(&r.sla_events);
            }
            println!("{} SLA events", r.sla_events.len());
            for e in &r.sla_events {
                println!("  {}", serde_json::to_string(e)?);
            }
            Ok(())
        }
        CaseCommand::Export { id, out, margin_hours } => {
            crate::evidence::export(dir, &id, &out, margin_hours, who, json)
        }
        CaseCommand::Policy { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let p = SlaPolicy::from_yaml(&text).with_context(|| file.display().to_string())?;
            app.set_sla_policy(who, &p)?;
            println!("SLA policy loaded from {}", file.display());
            Ok(())
        }
    }
}

pub fn model(dir: &DataDir, cmd: ModelCommand, who: &Caller, json: bool) -> Result<()> {
    let app = vigil_app::App::new(dir.root());
    let no_model = "no triage model: run `vigil model train` first";
    match cmd {
        ModelCommand::Train { labels, train_fraction, error_rate } => {
            let labels = labels.as_deref().map(load_labels).transpose()?;
            let m = app.train_model(who, labels.as_deref(), train_fraction, error_rate)?;
            if json {
                return print_json(&m);
            }
            println!(
                "trained {} on {} incidents ({} true positives), from {}",
                m.version, m.trained_on, m.trained_positives, m.source
            );
            match &m.evaluation {
                Some(e) => println!(
                    "held-out (incidents from {} on): {} incidents, {} true positives; precision {:.3}, recall {:.3}, ROC AUC {:.3} at threshold {}",
                    when(m.split_ms),
                    e.incidents,
                    e.positives,
                    e.precision,
                    e.recall,
                    e.roc_auc,
                    e.threshold
                ),
                None => println!("no held-out period (train fraction 1.0)"),
            }
            println!("active now; run `vigil triage` to rescore the queue");
            Ok(())
        }
        ModelCommand::Eval { labels, error_rate } => {
            let labels = load_labels(&labels)?;
            let ev = app.evaluate_model(who, &labels, error_rate)?;
            if json {
                return print_json(&json!({"model": ev.model, "all": ev.all, "held_out": ev.held_out}));
            }
            println!("model {} (its training split: {})", ev.model, when(ev.split_ms));
            for (name, e) in [("all incidents", &ev.all), ("after the split", &ev.held_out)] {
                println!(
                    "{name:<16} {:>5} incidents {:>4} positive  precision {:.3}  recall {:.3}  ROC AUC {:.3}",
                    e.incidents, e.positives, e.precision, e.recall, e.roc_auc
                );
            }
            Ok(())
        }
        ModelCommand::Export { out } => {
            let m = app.active_model(who)?.context(no_model)?;
            std::fs::write(&out, serde_json::to_string_pretty(&m)?)
                .with_context(|| format!("writing {}", out.display()))?;
            println!("{} written to {}", m.version, out.display());
            Ok(())
        }
        ModelCommand::Import { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let m: vigil_triage::TriageModel =
                serde_json::from_str(&text).with_context(|| format!("{} is not a triage model", file.display()))?;
            app.import_model(who, &m)?;
            println!("{} imported and active", m.version);
            Ok(())
        }
        ModelCommand::Show => {
            let m = app.active_model(who)?.context(no_model)?;
            if json {
                return print_json(&m);
            }
            println!("{}  ({})", m.version, m.algorithm);
            println!(
                "trained on {} incidents ({} true positives) from {}",
                m.trained_on, m.trained_positives, m.source
            );
            if let Some(e) = &m.evaluation {
                println!(
                    "held-out: precision {:.3}, recall {:.3}, ROC AUC {:.3} ({} incidents)",
                    e.precision, e.recall, e.roc_auc, e.incidents
                );
            }
            println!("intercept {:+.3}", m.intercept);
            for (j, f) in m.features.iter().enumerate() {
                println!("  {:<24} coef {:+.3}  (mean {:.2}, sd {:.2})", f, m.coef[j], m.mean[j], m.scale[j]);
            }
            Ok(())
        }
    }
}

pub fn suppress(dir: &DataDir, cmd: SuppressCommand, who: &Caller, json: bool) -> Result<()> {
    let app = vigil_app::App::new(dir.root());
    let now = app.now_ms();
    let show = |imp: &vigil_triage::Impact| {
        println!(
            "would hide {} alerts; {} queued incidents disappear, {} lose alerts; queue {} → {}",
            imp.alerts_hidden,
            imp.incidents_hidden.len(),
            imp.incidents_reduced.len(),
            imp.queue_before,
            imp.queue_after
        );
        for (r, n) in &imp.by_rule {
            println!("  {n:>6}  {}", clean(r));
        }
        for i in imp.incidents_hidden.iter().take(20) {
            println!("  hides {i}");
        }
    };
    match cmd {
        SuppressCommand::Preview { rule, entity } => {
            let s = Suppression::new(rule, entity, "preview only", &who.name(), now, None)?;
            let imp = app.preview_suppression(who, &s)?;
            if json {
                return print_json(&imp);
            }
            show(&imp);
            Ok(())
        }
        SuppressCommand::Add { rule, entity, reason, expires, yes } => {
            let exp = expires.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc().timestamp_millis());
            let s = Suppression::new(rule, entity, &reason, &who.name(), now, exp)?;
            let out = app.add_suppression(who, s, yes)?;
            if json {
                return print_json(&out);
            }
            show(&out.impact);
            if out.added {
                let s = &out.suppression;
                println!(
                    "{} in force{}",
                    s.id,
                    s.expires_ms.map(|e| format!(" until {}", when(e))).unwrap_or_default()
                );
            } else {
                println!("not added: run again with --yes to put it in force");
            }
            Ok(())
        }
        SuppressCommand::List => {
            let list = app.suppressions(who)?;
            if json {
                return print_json(&list);
            }
            for s in &list {
                println!(
                    "{}  rule {}  entity {}  by {}  {}  {}",
                    s.id,
                    s.rule.as_deref().unwrap_or("*"),
                    s.entity.as_deref().unwrap_or("*"),
                    s.owner,
                    if s.active(now) { "active" } else { "expired" },
                    clean(&s.reason)
                );
            }
            Ok(())
        }
    }
}

pub fn audit(dir: &DataDir, who: &Caller, limit: u64, json: bool) -> Result<()> {
    let rows = vigil_app::App::new(dir.root()).audit_log(who, limit)?;
    if json {
        return print_json(&rows);
    }
    for r in &rows {
        println!(
            "{:>6} {} {:<14} {:<20} {:<24} {:<6} {}",
            r.seq,
            when(r.at_ms),
            r.actor,
            r.action,
            r.target,
            r.result,
            clean(&r.detail).chars().take(160).collect::<String>()
        );
    }
    Ok(())
}

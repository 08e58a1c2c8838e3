//! `vigil triage`, `incidents`, `case`, `model`, `suppress`, `inventory` and `audit`: thin
//! calls into `vigil-queue`, rendered as text or JSON.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use serde_json::json;
use vigil_cases::{Case, Disposition, SlaPolicy, Status};
use vigil_pipeline::DataDir;
use vigil_queue as q;
use vigil_store::StateStore;
use vigil_triage::{Incident, Override, Suppression};

use crate::output::clean;

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
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
    Load { file: PathBuf },
}

#[derive(Subcommand)]
pub enum IncidentsCommand {
    /// The queue: incidents by risk (with --all, those closed as benign too).
    List {
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One incident: items, links and their reasons, risk components, verdict and its work.
    Show { id: String },
    /// Merge incidents into one (kept across later triage runs).
    Merge {
        #[arg(required = true, num_args = 2..)]
        ids: Vec<String>,
        #[arg(long)]
        reason: String,
    },
    /// Move items out of an incident into one of their own.
    Split {
        id: String,
        /// Item ids (see `incidents show`).
        #[arg(long = "item", required = true)]
        items: Vec<String>,
        #[arg(long)]
        reason: String,
    },
    /// Put an incident the machine closed as benign back in the queue.
    Reopen {
        id: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
pub enum CaseCommand {
    /// Cases with their owner, status and SLA clocks.
    List {
        #[arg(long)]
        status: Option<Status>,
        #[arg(long)]
        owner: Option<String>,
        /// Closed and merged cases too.
        #[arg(long)]
        all: bool,
    },
    Show {
        id: String,
    },
    Assign {
        id: String,
        owner: String,
        #[arg(long)]
        team: Option<String>,
    },
    Comment {
        id: String,
        text: String,
    },
    /// Acknowledge (stops the acknowledge clock).
    Ack {
        id: String,
    },
    /// Move to another status (triaged, investigating, contained, resolved, closed).
    Status {
        id: String,
        status: Status,
    },
    Task {
        id: String,
        title: String,
        #[arg(long)]
        assignee: Option<String>,
    },
    /// Resolve with a disposition: true_positive, benign_true_positive or false_positive.
    Resolve {
        id: String,
        #[arg(long)]
        disposition: Disposition,
        #[arg(long, default_value = "")]
        note: String,
    },
    Pause {
        id: String,
        #[arg(long)]
        reason: String,
    },
    Resume {
        id: String,
    },
    /// Merge case FROM into case INTO (FROM is closed as merged).
    Merge {
        into: String,
        from: String,
    },
    /// Split incidents or alerts out of a case into a new case.
    Split {
        id: String,
        /// Incident or alert ids to move.
        #[arg(long = "item", required = true)]
        items: Vec<String>,
        #[arg(long)]
        title: String,
    },
    /// Check every open case's SLA clocks now: record breaches and escalate.
    Tick,
    /// Load an SLA policy (YAML, `version: vigil-sla/1`).
    Policy {
        file: PathBuf,
    },
    /// Export the case as an incident packet an auditor verifies offline (`vigil verify`).
    Export {
        id: String,
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
        #[arg(long)]
        labels: Option<PathBuf>,
        #[arg(long, default_value_t = 0.6)]
        train_fraction: f64,
        /// Share of simulated dispositions an analyst gets wrong.
        #[arg(long, default_value_t = 0.02)]
        error_rate: f64,
    },
    /// Evaluate the active model on labeled incidents (all of them, and the held-out part).
    Eval {
        #[arg(long)]
        labels: PathBuf,
        #[arg(long, default_value_t = 0.0)]
        error_rate: f64,
    },
    /// The active model: version, coefficients, training and held-out evaluation.
    Show,
    /// Write the active model to a file (JSON), to use it in another data directory.
    Export { out: PathBuf },
    /// Store a model written by `model export` and make it the active one.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
pub enum SuppressCommand {
    /// What a suppression would hide, without adding it.
    Preview {
        #[arg(long)]
        rule: Option<String>,
        #[arg(long)]
        entity: Option<String>,
    },
    /// Add a suppression: shows its impact and takes effect only with --yes.
    Add {
        #[arg(long)]
        rule: Option<String>,
        #[arg(long)]
        entity: Option<String>,
        #[arg(long)]
        reason: String,
        /// Expiry date (YYYY-MM-DD).
        #[arg(long)]
        expires: Option<chrono::NaiveDate>,
        #[arg(long)]
        yes: bool,
    },
    List,
}

fn load_labels(path: &std::path::Path) -> Result<Vec<vigil_detect::eval::Label>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    vigil_detect::eval::read_labels(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

pub fn inventory(dir: &DataDir, cmd: InventoryCommand, actor: &str, json: bool) -> Result<()> {
    let InventoryCommand::Load { file } = cmd;
    let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let mut store = dir.open_store()?;
    let n = q::load_inventory(&mut store, &text, actor, now_ms()).with_context(|| file.display().to_string())?;
    if json {
        return print_json(&json!({"entities": n}));
    }
    println!("inventory loaded: {n} entities (run `vigil triage` to rescore)");
    Ok(())
}

pub fn triage(dir: &DataDir, json: bool) -> Result<()> {
    let mut store = dir.open_store()?;
    let r = q::run(&mut store, now_ms())?;
    if json {
        return print_json(&r);
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

pub fn incidents(dir: &DataDir, cmd: IncidentsCommand, actor: &str, json: bool) -> Result<()> {
    let mut store = dir.open_store()?;
    match cmd {
        IncidentsCommand::List { all, limit } => {
            let list: Vec<Incident> =
                q::incidents(&store)?.into_iter().filter(|i| all || i.queued).take(limit).collect();
            if json {
                return print_json(&list);
            }
            println!("{:<22} {:>5} {:<12} {:<8} {:>5} title", "incident", "risk", "verdict", "level", "alerts");
            for i in &list {
                println!("{}", incident_line(i));
            }
            Ok(())
        }
        IncidentsCommand::Show { id } => {
            let d = store.document(q::INCIDENT, &id)?.with_context(|| format!("no incident {id}"))?;
            let i: Incident = serde_json::from_str(&d.json)?;
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
            let mut items = Vec::new();
            for id in &ids {
                items.push(
                    q::incident_items(&store, id)?.into_iter().next().with_context(|| format!("{id} has no items"))?,
                );
            }
            q::add_override(
                &mut store,
                &Override::Merge { items, by: actor.into(), at_ms: now_ms(), reason },
                now_ms(),
            )?;
            let r = q::run(&mut store, now_ms())?;
            println!("merged {}; {} incidents in the queue", ids.join(" + "), r.stats.queued);
            Ok(())
        }
        IncidentsCommand::Split { id, items, reason } => {
            let have = q::incident_items(&store, &id)?;
            if let Some(x) = items.iter().find(|x| !have.contains(x)) {
                bail!("{x} is not an item of {id}");
            }
            if items.len() == have.len() {
                bail!("splitting every item out of {id} would leave it empty");
            }
            q::add_override(
                &mut store,
                &Override::Split { items, by: actor.into(), at_ms: now_ms(), reason },
                now_ms(),
            )?;
            let r = q::run(&mut store, now_ms())?;
            println!("split {id}; {} incidents in the queue", r.stats.queued);
            Ok(())
        }
        IncidentsCommand::Reopen { id, reason } => {
            q::reopen(&mut store, &id, actor, &reason, now_ms())?;
            let r = q::run(&mut store, now_ms())?;
            println!("{id} reopened; cases opened {:?}", r.cases_opened);
            Ok(())
        }
    }
}

fn case_line(c: &Case, policy: &SlaPolicy, now: i64) -> String {
    let clocks = c.sla_view(policy, now);
    let next = clocks.iter().find(|k| k.met_ms.is_none());
    let sla = match next {
        Some(k) if k.breached => format!("{} BREACHED {}", k.kind.as_str(), span(-k.remaining_ms)),
        Some(k) if k.paused => format!("{} paused", k.kind.as_str()),
        Some(k) => format!("{} due in {}", k.kind.as_str(), span(k.remaining_ms)),
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

pub fn case(dir: &DataDir, cmd: CaseCommand, actor: &str, json: bool) -> Result<()> {
    let mut store = dir.open_store()?;
    let now = now_ms();
    let ctx_policy = |store: &vigil_store::SqliteStore| -> Result<SlaPolicy> { Ok(q::load(store)?.policy) };
    let changed = |c: Case, json: bool, what: &str| -> Result<()> {
        if json {
            return print_json(&c);
        }
        println!("{} {what}: status {}, owner {}", c.id, c.status.as_str(), c.owner.as_deref().unwrap_or("-"));
        Ok(())
    };
    match cmd {
        CaseCommand::List { status, owner, all } => {
            let policy = ctx_policy(&store)?;
            let list: Vec<Case> = q::cases(&store)?
                .into_iter()
                .filter(|c| all || (c.merged_into.is_none() && c.status != Status::Closed))
                .filter(|c| status.is_none_or(|s| c.status == s))
                .filter(|c| owner.as_deref().is_none_or(|o| c.owner.as_deref() == Some(o)))
                .collect();
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
            let policy = ctx_policy(&store)?;
            let d = store.document(q::CASE, &id)?.with_context(|| format!("no case {id}"))?;
            let c: Case = serde_json::from_str(&d.json)?;
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
                        Some(m) => format!("met {}{}", when(m), if k.breached { " (late)" } else { "" }),
                        None if k.breached => format!("BREACHED, {} overdue", span(-k.remaining_ms)),
                        None => format!("{} left", span(k.remaining_ms)),
                    }
                );
            }
            if let Some(d) = &c.disposition {
                println!(
                    "  disposition {} by {} at {}: {}",
                    d.disposition.as_str(),
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
                println!("    {} {:<14} {:<16} {}", when(h.at_ms), h.actor, h.action, clean(&h.detail));
            }
            Ok(())
        }
        CaseCommand::Assign { id, owner, team } => {
            let c = q::with_case(&mut store, &id, actor, "case.assign", now, |c| {
                let team = team.clone().or(c.team.clone());
                c.assign(Some(&owner), team.as_deref(), actor, now).map(|_| format!("owner {owner}"))
            })?;
            changed(c, json, "assigned")
        }
        CaseCommand::Comment { id, text } => {
            let c = q::with_case(&mut store, &id, actor, "case.comment", now, |c| {
                c.comment(&text, actor, now).map(|_| format!("{} characters", text.chars().count()))
            })?;
            changed(c, json, "commented")
        }
        CaseCommand::Ack { id } => {
            let c = q::with_case(&mut store, &id, actor, "case.ack", now, |c| {
                c.acknowledge(actor, now).map(|n| format!("new: {n}"))
            })?;
            changed(c, json, "acknowledged")
        }
        CaseCommand::Status { id, status } => {
            let c = q::with_case(&mut store, &id, actor, "case.status", now, |c| {
                c.transition(status, actor, now).map(|_| status.as_str().to_string())
            })?;
            changed(c, json, "moved")
        }
        CaseCommand::Task { id, title, assignee } => {
            let c = q::with_case(&mut store, &id, actor, "case.task", now, |c| {
                c.add_task(&title, assignee.as_deref(), actor, now).map(|n| format!("task {n}: {title}"))
            })?;
            changed(c, json, "task added")
        }
        CaseCommand::Resolve { id, disposition, note } => {
            let c = q::with_case(&mut store, &id, actor, "case.resolve", now, |c| {
                c.resolve(disposition, &note, actor, now).map(|_| disposition.as_str().to_string())
            })?;
            changed(c, json, "resolved")
        }
        CaseCommand::Pause { id, reason } => {
            let c = q::with_case(&mut store, &id, actor, "case.sla_pause", now, |c| {
                c.pause_sla(&reason, actor, now).map(|_| reason.clone())
            })?;
            changed(c, json, "SLA paused")
        }
        CaseCommand::Resume { id } => {
            let c = q::with_case(&mut store, &id, actor, "case.sla_resume", now, |c| {
                c.resume_sla(actor, now).map(|_| String::new())
            })?;
            changed(c, json, "SLA resumed")
        }
        CaseCommand::Merge { into, from } => {
            let c = q::merge_cases(&mut store, &into, &from, actor, now)?;
            changed(c, json, "merged")
        }
        CaseCommand::Split { id, items, title } => {
            let refs: Vec<&str> = items.iter().map(String::as_str).collect();
            let c = q::split_case(&mut store, &id, &refs, &title, actor, now)?;
            changed(c, json, "split off")
        }
        CaseCommand::Tick => {
            let r = q::run(&mut store, now)?;
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
            drop(store);
            crate::evidence::export(dir, &id, &out, margin_hours, actor, json)
        }
        CaseCommand::Policy { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let p = SlaPolicy::from_yaml(&text).with_context(|| file.display().to_string())?;
            q::set_setting(&mut store, "sla_policy", &p, actor, now)?;
            println!("SLA policy loaded from {}", file.display());
            Ok(())
        }
    }
}

pub fn model(dir: &DataDir, cmd: ModelCommand, actor: &str, json: bool) -> Result<()> {
    let mut store = dir.open_store()?;
    match cmd {
        ModelCommand::Train { labels, train_fraction, error_rate } => {
            let labels = labels.as_deref().map(load_labels).transpose()?;
            let m = q::train(&mut store, labels.as_deref(), train_fraction, error_rate, actor, now_ms())?;
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
            let ctx = q::load(&store)?;
            let m = ctx.model.clone().context("no triage model: run `vigil model train` first")?;
            let s = q::samples(&ctx, Some(&labels), error_rate, now_ms());
            let all = m.evaluate(&s, 0.5);
            let held: Vec<_> = s.iter().filter(|x| x.time_ms >= m.split_ms).cloned().collect();
            let h = m.evaluate(&held, 0.5);
            if json {
                return print_json(&json!({"model": m.version, "all": all, "held_out": h}));
            }
            println!("model {} (its training split: {})", m.version, when(m.split_ms));
            for (name, e) in [("all incidents", &all), ("after the split", &h)] {
                println!(
                    "{name:<16} {:>5} incidents {:>4} positive  precision {:.3}  recall {:.3}  ROC AUC {:.3}",
                    e.incidents, e.positives, e.precision, e.recall, e.roc_auc
                );
            }
            Ok(())
        }
        ModelCommand::Export { out } => {
            let m = q::active_model(&store)?.context("no triage model: run `vigil model train` first")?;
            std::fs::write(&out, serde_json::to_string_pretty(&m)?)
                .with_context(|| format!("writing {}", out.display()))?;
            println!("{} written to {}", m.version, out.display());
            Ok(())
        }
        ModelCommand::Import { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let m: vigil_triage::TriageModel =
                serde_json::from_str(&text).with_context(|| format!("{} is not a triage model", file.display()))?;
            q::import_model(&mut store, &m, actor, now_ms())?;
            println!("{} imported and active", m.version);
            Ok(())
        }
        ModelCommand::Show => {
            let m = q::active_model(&store)?.context("no triage model: run `vigil model train` first")?;
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

pub fn suppress(dir: &DataDir, cmd: SuppressCommand, actor: &str, json: bool) -> Result<()> {
    let mut store = dir.open_store()?;
    let now = now_ms();
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
            let s = Suppression::new(rule, entity, "preview only", actor, now, None)?;
            let ctx = q::load(&store)?;
            let imp = vigil_triage::preview(&ctx.input(now), &s);
            if json {
                return print_json(&imp);
            }
            show(&imp);
            Ok(())
        }
        SuppressCommand::Add { rule, entity, reason, expires, yes } => {
            let exp = expires.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc().timestamp_millis());
            let s = Suppression::new(rule, entity, &reason, actor, now, exp)?;
            if !yes {
                let ctx = q::load(&store)?;
                let imp = vigil_triage::preview(&ctx.input(now), &s);
                if json {
                    return print_json(&json!({"added": false, "impact": imp}));
                }
                show(&imp);
                println!("not added: run again with --yes to put it in force");
                return Ok(());
            }
            let imp = q::add_suppression(&mut store, &s, now)?;
            q::run(&mut store, now)?;
            if json {
                return print_json(&json!({"added": true, "suppression": s, "impact": imp}));
            }
            show(&imp);
            println!("{} in force{}", s.id, s.expires_ms.map(|e| format!(" until {}", when(e))).unwrap_or_default());
            Ok(())
        }
        SuppressCommand::List => {
            let list: Vec<Suppression> =
                store.documents(q::SUPPRESSION)?.iter().filter_map(|d| serde_json::from_str(&d.json).ok()).collect();
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

pub fn audit(dir: &DataDir, limit: u64, json: bool) -> Result<()> {
    let store = dir.open_store()?;
    let rows = store.audit(limit)?;
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

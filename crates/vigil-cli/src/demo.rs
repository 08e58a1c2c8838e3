//! `vigil simulate` and `vigil demo`: the pilot on a simulated company, in one command.
//!
//! The demo runs the pilot ([`vigil_app::pilot`]): every stage Vigil has, in pipeline order, on
//! data it generates itself. What it prints, as a story or as JSON, is rendered from the pilot's
//! report alone, and it says where to look. Each stage added to Vigil adds its step there.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};
use vigil_app::pilot::{HuntOutcome, IsolationOutcome, PilotConfig, PilotReport, PilotRun, RollbackStatus};
use vigil_pipeline::Progress;
use vigil_sim::{ScenarioKind, SimConfig, SimSummary};

use crate::output;

/// Parameters of `vigil simulate` and the simulation step of `vigil demo`.
pub struct SimArgs {
    pub seed: u64,
    pub days: u32,
    pub users: u32,
    pub start: Option<chrono::NaiveDate>,
    pub scenarios: Vec<String>,
}

impl SimArgs {
    fn config(&self) -> Result<SimConfig> {
        // Simulated data ends at the present unless a start is given.
        let mut cfg = SimConfig { seed: self.seed, users: self.users, ..SimConfig::ending_now(self.days) };
        if let Some(s) = self.start {
            cfg.start = s;
        }
        cfg.scenarios = self
            .scenarios
            .iter()
            .map(|s| s.parse::<ScenarioKind>().map_err(|e| anyhow::anyhow!("--scenarios: {e}")))
            .collect::<Result<_>>()?;
        Ok(cfg)
    }
}

fn sim_json(s: &SimSummary) -> Value {
    let by_source = s.records_by_source();
    json!({
        "events": s.events,
        "bytes": s.bytes,
        "files": s.files.len(),
        "by_source": by_source,
        "scenarios": s.scenarios.iter().map(|(k, v)| (k.clone(), *v)).collect::<BTreeMap<_, _>>(),
        "labels_file": s.labels_path,
    })
}

pub fn simulate(args: &SimArgs, out: &Path, json_out: bool) -> Result<()> {
    let cfg = args.config()?;
    let started = Instant::now();
    let s = vigil_sim::simulate(&cfg, out).with_context(|| format!("simulating into {}", out.display()))?;
    let secs = started.elapsed().as_secs_f64();
    if json_out {
        let mut v = sim_json(&s);
        v["seconds"] = json!(secs);
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "simulated {} users × {} days (seed {}) into {} in {secs:.1}s",
            cfg.users,
            cfg.days,
            cfg.seed,
            out.display()
        );
        println!("  {} records, {:.1} MB in {} files", s.events, s.bytes as f64 / 1e6, s.files.len());
        for (k, v) in s.records_by_source() {
            println!("    {k:<10} {v:>10}");
        }
        println!("  attack scenarios (ground truth in {}):", s.labels_path);
        for (k, v) in &s.scenarios {
            println!("    {k:<22} {v:>3}");
        }
    }
    Ok(())
}

pub struct DemoArgs {
    pub dir: PathBuf,
    pub sim: SimArgs,
    pub threads: usize,
    /// Sigma rule paths run beside the built-in rules.
    pub rules: Vec<PathBuf>,
}

/// What a demo leaves running: the vendor sandbox its playbooks talk to (kept alive for
/// `--serve`), and the connector settings and secrets files that point at it.
pub struct DemoOutcome {
    pub sandbox: Option<vigil_connectors::sandbox::Sandbox>,
    pub connectors: Option<PathBuf>,
    pub secrets: Option<PathBuf>,
}

/// Runs the pilot ([`vigil_app::pilot`]) and prints what it did: the story, or the report as JSON.
pub fn demo(args: &DemoArgs, json_out: bool, show_progress: bool) -> Result<DemoOutcome> {
    let progress = Arc::new(Progress::default());
    let cfg = PilotConfig {
        dir: args.dir.clone(),
        sim: args.sim.config()?,
        threads: args.threads,
        rules: args.rules.clone(),
        progress: Some(progress.clone()),
    };
    let bar = RefCell::new(show_progress.then(|| ingest_bar(progress.clone())));
    // The bar draws only while ingest runs: the next step's message puts it away.
    let stop_bar = || {
        if progress.bytes_total.load(Ordering::Relaxed) > 0
            && let Some((handle, stop)) = bar.borrow_mut().take()
        {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
    };
    let say = |s: &str| {
        stop_bar();
        if !json_out {
            eprintln!("{s}");
        }
    };
    let run = vigil_app::pilot::run_pilot(cfg, &say);
    if let Some((handle, stop)) = bar.borrow_mut().take() {
        stop.store(true, Ordering::Relaxed);
        let _ = handle.join();
    }
    let PilotRun { report, sandbox } = run.context("running the pilot")?;
    let asked = ask_the_assistant(&report)?;
    let (investigated, investigation) = investigate_the_queue(&report)?;
    if json_out {
        let mut v = serde_json::to_value(&report)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("assistant".into(), serde_json::to_value(&asked)?);
            o.insert("investigations".into(), serde_json::to_value(&investigated)?);
            o.insert("investigation".into(), serde_json::to_value(&investigation)?);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", story(&report, &program_name()));
        println!(
            "\nEvery queued incident investigated after triage: {} (kept with the queue; `vigil investigate INC-…`).",
            investigated.investigated.len()
        );
        if let Some(inv) = &investigation {
            print!("{}", investigation_story(inv));
        }
        print!("{}", assistant_story(&asked));
    }
    Ok(DemoOutcome {
        sandbox,
        connectors: Some(PathBuf::from(&report.response.connectors)),
        secrets: Some(PathBuf::from(&report.response.secrets)),
    })
}

/// The questions the demo asks the assistant on the pilot's data: some it answers from the
/// data, with citations, and some it must decline (a source that is not connected, a period
/// before the lake starts, a fact Vigil never records).
fn demo_questions(r: &PilotReport) -> Vec<String> {
    let mut q = vec!["How many incidents in the last 7 days, and which touched crown jewels?".to_string()];
    if let Some(pk) = &r.evidence.packet {
        q.push(format!("Who owns {} and what is its status?", pk.case));
        q.push(format!("Has the packet for {} changed since export?", pk.case));
    }
    q.push("Which sources are connected, and since when?".into());
    q.push("Which Salesforce reports were exported last month?".into());
    q.push("What happened on 2019-03-01?".into());
    q.push("What is our MFA policy for contractors?".into());
    q
}

/// Asks the demo's questions as the pilot's operator, through the same call as `vigil ask`.
fn ask_the_assistant(r: &PilotReport) -> Result<Vec<vigil_assistant::Answer>> {
    let app = vigil_app::App::new(Path::new(&r.data_dir));
    let who = vigil_app::Caller::local(vigil_app::pilot::ACTOR);
    demo_questions(r)
        .iter()
        .map(|q| vigil_assistant::ask(&app, &who, q, None).with_context(|| format!("asking {q:?}")))
        .collect()
}

/// Every queued incident investigated after triage, as `vigil serve` does (highest risk
/// first, each kept with the queue), and the record of the one at the top of the queue, as its
/// owner opens it.
fn investigate_the_queue(
    r: &PilotReport,
) -> Result<(vigil_assistant::investigate::PendingRun, Option<vigil_assistant::investigate::Investigation>)> {
    let app = vigil_app::App::new(Path::new(&r.data_dir));
    let who = vigil_app::Caller::local(vigil_app::pilot::ACTOR);
    let response = vigil_app::respond::ResponseConfig::default();
    let run = vigil_assistant::investigate::investigate_pending(&app, &who, &response, usize::MAX, &|| false)
        .context("investigating the queue")?;
    if let Some((id, why)) = run.failed.first() {
        anyhow::bail!("investigating {id}: {why}");
    }
    let Some(top) = r.triage.queue.first() else { return Ok((run, None)) };
    let (inv, _) = vigil_assistant::investigate::kept_or_new(&app, &who, &top.incident, &response, false)
        .with_context(|| format!("investigating {}", top.incident))?;
    Ok((run, Some(inv)))
}

/// The investigation in a few lines: the summary, what is decisive, the reach, the next steps.
fn investigation_story(inv: &vigil_assistant::investigate::Investigation) -> String {
    let mut out = format!(
        "\nInvestigation of {} (vigil investigate {}; every sentence cites its facts):\n",
        inv.incident, inv.incident
    );
    for s in inv.summary.iter().take(4) {
        out.push_str(&format!("  {} [{}]\n", output::clean(&s.text), s.citations.join(", ")));
    }
    out.push_str(&format!(
        "  {} events on the timeline, {} decisive; blast radius {} ({}); {} unknown\n",
        inv.timeline.len(),
        inv.decisive().count(),
        inv.blast_radius.len(),
        inv.blast_radius.iter().take(4).map(|b| output::clean(&b.value)).collect::<Vec<_>>().join(", "),
        inv.unknown.len()
    ));
    for n in inv.next_steps.iter().take(3) {
        let via = n.playbook.as_ref().map(|p| format!(" (playbook {p})")).unwrap_or_default();
        out.push_str(&format!("  next: {}{via}\n", output::clean(&n.text)));
    }
    out
}

/// The answers, each sentence with its citations; at most a few sentences per answer.
fn assistant_story(answers: &[vigil_assistant::Answer]) -> String {
    const MOST: usize = 4;
    let mut out =
        String::from("\nThe assistant (vigil ask; every sentence cites the data, or it says it does not know):\n");
    for a in answers {
        out.push_str(&format!("  Q: {}\n", a.question));
        let text = a.to_text();
        let lines: Vec<&str> = text.lines().collect();
        for l in lines.iter().take(MOST + 3) {
            out.push_str(&format!("     {l}\n"));
        }
        if lines.len() > MOST + 3 {
            out.push_str(&format!("     … {} more lines (vigil ask \"{}\")\n", lines.len() - MOST - 3, a.question));
        }
    }
    out
}

/// A bytes progress bar for ingest: it waits until ingest has counted its bytes, then draws
/// from the pipeline's counters until `stop` is set.
fn ingest_bar(p: Arc<Progress>) -> (JoinHandle<()>, Arc<AtomicBool>) {
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let handle = std::thread::spawn(move || {
        while p.bytes_total.load(Ordering::Relaxed) == 0 {
            if stop2.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let (bar_handle, bar_stop) = output::progress_bar(p);
        while !stop2.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
        bar_stop.store(true, Ordering::Relaxed);
        let _ = bar_handle.join();
    });
    (handle, stop)
}

/// A value's serialized name (`waiting_approval`, `succeeded`, …).
fn name<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "-".into(),
    }
}

fn list(items: &[String], most: usize) -> String {
    let mut s = items.iter().take(most).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > most {
        s.push_str(", …");
    }
    s
}

/// What happened to the isolation, in one sentence made of the run as stored.
fn isolation_line(i: &IsolationOutcome) -> String {
    let mut s = format!("  device isolation {} on {} ({}): ", i.run, i.case, i.host.as_deref().unwrap_or("-"));
    match (i.contained, &i.contain_approved_by) {
        (true, Some(by)) => s.push_str(&format!("contained after {by} approved")),
        (true, None) => s.push_str("contained"),
        (false, Some(by)) => s.push_str(&format!("approved by {by} but not contained (run {})", name(&i.status))),
        (false, None) => s.push_str(&format!("not contained (run {})", name(&i.status))),
    }
    let actions =
        if i.rollback_actions.is_empty() { String::new() } else { format!(" ({})", i.rollback_actions.join(", ")) };
    let by = i.rollback_requested_by.as_deref().unwrap_or("-");
    let rest = match i.rollback {
        RollbackStatus::RolledBack => {
            let approval = i.rollback_approved_by.as_ref().map(|a| format!(" with {a}'s approval")).unwrap_or_default();
            format!("; then rolled back{actions} on {by}'s request{approval}")
        }
        RollbackStatus::WaitingApproval => format!("; rollback{actions} requested by {by}, waiting for approval"),
        RollbackStatus::Failed => format!(
            "; rollback{actions} requested by {by} failed: {}",
            output::clean(i.rollback_error.as_deref().unwrap_or("no error recorded"))
        ),
        RollbackStatus::Denied => format!("; rollback{actions} requested by {by} was denied"),
        RollbackStatus::Expired => format!("; rollback{actions} requested by {by} expired undecided"),
        RollbackStatus::NotRolledBack => "; not rolled back".to_string(),
    };
    s.push_str(&rest);
    s
}

/// A hunt's rows as a text table: header, rule, at most `most` rows.
fn hunt_table(h: &HuntOutcome, most: usize) -> Vec<String> {
    let cell = |row: &Value, col: &str| match row.get(col) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => output::clean(s),
        Some(v) => v.to_string(),
    };
    let rows: Vec<Vec<String>> =
        h.rows.iter().take(most).map(|r| h.columns.iter().map(|c| cell(r, c)).collect()).collect();
    let widths: Vec<usize> = h
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| rows.iter().map(|r| r[i].chars().count().min(100)).chain([c.chars().count()]).max().unwrap_or(0))
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{:<w$}", c.chars().take(100).collect::<String>(), w = *w))
            .collect::<Vec<_>>()
            .join(" | ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(&h.columns), widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-")];
    out.extend(rows.iter().map(|r| line(r)));
    out
}

/// The demo's story, every sentence and count taken from the report.
/// How to run `vigil` as the reader invoked it: `vigil` when that is on the PATH and is this
/// program, otherwise this program's path (relative to the working directory when it is below
/// it) — so the commands the demo prints work as printed, after `cargo run` too.
pub fn program_name() -> String {
    let Ok(me) = std::env::current_exe() else { return "vigil".into() };
    let me = me.canonicalize().unwrap_or(me);
    let on_path = std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).map(|d| d.join("vigil")).any(|c| c.canonicalize().is_ok_and(|c| c == me))
    });
    if on_path {
        return "vigil".into();
    }
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| me.strip_prefix(cwd.canonicalize().unwrap_or(cwd)).ok().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| me.clone());
    let text = shown.display().to_string();
    if text.contains(' ') { format!("'{text}'") } else { text }
}

/// The demo's account of itself; `prog` is how the reader runs `vigil` ([`program_name`]).
pub fn story(r: &PilotReport, prog: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut p = |s: String| out.push(s);
    let sim = &r.simulation;
    let ing = &r.ingest;
    p(String::new());
    p(format!("Vigil demo — {} users × {} days, seed {} ({:.1}s)", sim.users, sim.days, sim.seed, r.seconds));
    p(String::new());
    p(format!("Simulated company → {}", sim.dir));
    for (k, v) in &sim.by_source {
        p(format!("  {k:<10} {v:>9} records"));
    }
    p(format!(
        "  {} labeled attack instances across {} scenarios; {} of {} labeled events are in the lake",
        ing.labels.instances,
        sim.scenarios.len(),
        ing.labels.labeled_events_in_lake,
        ing.labels.labeled_events
    ));

    p(String::new());
    p(format!("Ingest → {}", r.data_dir));
    let rep = &ing.report;
    p(format!(
        "  {} events, {} quarantined, {} duplicates in {:.1}s",
        rep.events,
        rep.quarantined,
        rep.duplicates,
        rep.elapsed_ms as f64 / 1000.0
    ));
    for (k, v) in &rep.by_class {
        p(format!("    {k:<26} {v:>9}"));
    }

    p(String::new());
    let a = &ing.alerts;
    p(format!(
        "Detect → {} alerts from {} detections (of {} Sigma rules active and {} behavioral detections: Vigil's built-in ones{})",
        a.total,
        a.by_rule.len(),
        ing.rules.detector_active,
        ing.rules.behavioral,
        if ing.rules.paths.is_empty() {
            "; add SigmaHQ's with --rules <sigma>/rules".to_string()
        } else {
            format!(" and {}", ing.rules.paths.join(", "))
        }
    ));
    let order = ["critical", "high", "medium", "low", "informational"];
    let lv: Vec<String> = order.iter().filter_map(|l| a.by_level.get(*l).map(|n| format!("{l} {n}"))).collect();
    if !lv.is_empty() {
        p(format!("  by level: {}", lv.join(", ")));
    }
    let mut by_rule: Vec<(&String, &u64)> = a.by_rule.iter().collect();
    by_rule.sort_by(|x, y| y.1.cmp(x.1).then(x.0.cmp(y.0)));
    for (title, n) in by_rule.iter().take(15) {
        p(format!("    {n:>6}  {}", output::clean(title)));
    }
    if by_rule.len() > 15 {
        p(format!("    … and {} more rules (vigil alerts list)", by_rule.len() - 15));
    }
    p(format!(
        "  against the ground truth (vigil eval): {} of {} attack instances detected; {} alerts on unlabeled (background) events",
        a.eval.detected_instances, a.eval.instances, a.eval.false_positive_alerts
    ));
    p(format!("    {:<22} {:>9} {:>7}", "scenario", "precision", "recall"));
    for sc in &a.eval.scenarios {
        p(format!("    {:<22} {:>9.2} {:>7.2}", sc.scenario, sc.precision, sc.recall));
    }
    if !a.highest.is_empty() {
        p("  highest alerts:".into());
        for h in &a.highest {
            p(format!("    [{}] {}", h.level, output::clean(&h.explanation)));
        }
    }

    p(String::new());
    let t = &r.triage;
    let st = &t.run.stats;
    p(format!(
        "Triage → {} alerts → {} items after dedupe → {} incidents; {} in the queue, {} closed as benign (alert reduction {:.1} %)",
        st.raw_alerts,
        st.items,
        st.incidents,
        st.queued,
        st.auto_closed,
        st.alert_reduction * 100.0
    ));
    let v: Vec<String> = st.by_verdict.iter().map(|(k, n)| format!("{k} {n}")).collect();
    p(format!("  verdicts: {}", v.join(", ")));
    p(format!("  inventory: {} entities; roster: {} teams", t.inventory_entities, t.roster.len()));
    match (&t.model, t.model.as_ref().and_then(|m| m.evaluation.as_ref())) {
        (Some(m), Some(e)) => p(format!(
            "  triage model {} learned from the first {:.0} % of the pilot's labeled incidents ({} incidents, {:.0} % disposition error); held-out: precision {:.2}, recall {:.2}, ROC AUC {:.2}",
            m.version,
            t.train_fraction * 100.0,
            m.trained_on,
            t.error_rate * 100.0,
            e.precision,
            e.recall,
            e.roc_auc
        )),
        (Some(m), None) => p(format!("  triage model {} (learned from {} incidents)", m.version, m.trained_on)),
        (None, _) => p(format!(
            "  no triage model ({}): verdicts use the risk score alone",
            output::clean(t.no_model.as_deref().unwrap_or("not trained"))
        )),
    }
    p(format!(
        "  against the ground truth: {} of {} attack instances surfaced as cases (incident recall {:.2})",
        t.eval.surfaced_instances, t.eval.labeled_instances, t.eval.incident_recall
    ));

    p(String::new());
    p("The queue (vigil case list):".into());
    p(format!(
        "  {:<22} {:>4} {:<12} {:<16} {:<14} {:<22} title",
        "incident", "risk", "verdict", "case", "owner", "SLA"
    ));
    for q in t.queue.iter().take(15) {
        let sla = q
            .sla
            .as_ref()
            .and_then(|clocks| clocks.iter().find(|k| k.is_open()))
            .map(|k| format!("{} due in {}m", k.kind.as_str(), k.remaining_ms / 60_000))
            .unwrap_or_default();
        p(format!(
            "  {:<22} {:>4.0} {:<12} {:<16} {:<14} {:<22} {}",
            q.incident,
            q.risk,
            q.verdict,
            q.case.as_deref().unwrap_or("-"),
            q.owner.as_deref().unwrap_or("-"),
            sla,
            output::clean(&q.title).chars().take(80).collect::<String>()
        ));
    }
    if t.queue.len() > 15 {
        p(format!("  … and {} more in the queue", t.queue.len() - 15));
    }
    if let Some(i) = &t.inconclusive {
        p(format!("  inconclusive {}: {}", i.incident, output::clean(&i.summary)));
        for m in i.missing.iter().take(3) {
            p(format!("    missing: {}", output::clean(m)));
        }
    }

    for h in &r.hunts {
        p(String::new());
        p(format!("Hunt: {}", h.title));
        for line in hunt_table(h, 5) {
            p(format!("  {line}"));
        }
        if h.row_count > 5 {
            p(format!("  … {} rows in all (vigil query runs it in full)", h.row_count));
        } else {
            p(format!("  ({} rows)", h.row_count));
        }
    }

    let w = &r.hypotheses;
    p(String::new());
    p(format!(
        "Hunting over weeks (vigil hunt run): {} hunts over {} days proposed {} hypotheses",
        w.run.hunts.len(),
        w.run.window.days(),
        w.run.proposed()
    ));
    for h in &w.top {
        p(format!("  {} {}", h.id, output::clean(&h.draft.statement)));
        if let Some(f) = h.draft.facts.first() {
            p(format!("    {}", output::clean(f)));
        }
        p(format!("    confirm: {}", output::clean(&h.draft.confirm)));
    }
    if w.top.is_empty() {
        p("  none in this period (the slow attacks need six weeks: `vigil demo --days 60`)".into());
    }

    p(String::new());
    p("Response (vigil playbook …; RESPONSE.md):".into());
    let resp = &r.response;
    p(format!(
        "  {} runs started by the automation on the queue; {} tickets opened without a person{}",
        resp.triggered,
        resp.tickets.len(),
        if resp.tickets.is_empty() { String::new() } else { format!(" ({})", list(&resp.tickets, 4)) }
    ));
    if let Some(ar) = &resp.account_reset {
        let steps: Vec<String> = ar.steps.iter().map(|s| format!("{} {}", s.id, name(&s.status))).collect();
        p(format!(
            "  account reset {} on {} ({}): {} request(s) approved by {}; run {} — {}",
            ar.run,
            ar.case,
            ar.target.as_deref().unwrap_or("-"),
            ar.approvals.len(),
            ar.approved_by,
            name(&ar.status),
            steps.join(", ")
        ));
    }
    if let Some(cc) = &resp.cloud_credential {
        let steps: Vec<String> = cc.steps.iter().map(|s| format!("{} {}", s.id, name(&s.status))).collect();
        p(format!(
            "  cloud credential {} on {} ({}): {} request(s) approved by {}; run {} — {}",
            cc.run,
            cc.case,
            cc.target.as_deref().unwrap_or("-"),
            cc.approvals.len(),
            cc.approved_by,
            name(&cc.status),
            steps.join(", ")
        ));
    }
    if let Some(i) = &resp.isolation {
        p(isolation_line(i));
    }
    p(format!(
        "  {} runs; {} steps waiting in the approvals inbox (vigil playbook approvals); {} of {} steps ran without a person (the scorecard splits notifications and tickets from containment)",
        resp.runs.len(),
        resp.waiting_approvals,
        resp.automation.automated_steps,
        resp.automation.total_steps
    ));

    p(String::new());
    p("The analysts (simulated):".into());
    let w = &r.work;
    p(format!(
        "  {} cases acknowledged by their owners; {} resolved with the ground truth the triage model learned from ({} true positive, {} benign true positive, {} false positive; {:.0} % disposition error); {} left open",
        w.acknowledged,
        w.resolved,
        w.true_positives,
        w.benign_true_positives,
        w.false_positives,
        w.error_rate * 100.0,
        w.left_open
    ));
    let truth = |k: &str| w.incidents_by_truth.get(k).copied().unwrap_or(0);
    p(format!(
        "  the same ground truth over all {} incidents: {} true positive, {} benign true positive, {} false positive (those triage closed as benign reach no analyst)",
        w.incidents_by_truth.values().sum::<usize>(),
        truth("true_positive"),
        truth("benign_true_positive"),
        truth("false_positive")
    ));

    let ev = &r.evidence;
    p(String::new());
    p("Evidence (vigil case export · vigil verify):".into());
    if let Some(pk) = &ev.packet {
        p(format!(
            "  {} → {} ({} bytes, {} files, {} log records from the lake, {} ledger entries proven)",
            pk.case, pk.packet, pk.export.size, pk.verify.files, pk.export.log_records, pk.export.ledger_entries
        ));
        p(format!(
            "  verified offline: SHA256SUMS, Ed25519 signature, manifest, checkpoint of {} entries, inclusion proofs — {} checks passed, {} problems",
            pk.export.checkpoint.checkpoint.size,
            pk.verify.passed.len(),
            pk.verify.problems.len()
        ));
    } else {
        p("  no case to export".into());
    }
    let c = &ev.coverage;
    p(format!(
        "  SOC 2 coverage for the pilot: {} controls — {} complete, {} partial, {} without evidence, {} not mapped",
        c.total, c.complete, c.partial, c.no_evidence, c.not_mapped
    ));
    if let Some(pk) = &ev.packet {
        p(format!("  verify it yourself: vigil verify {} --public-key {}", pk.packet, pk.public_key_path));
        p(format!(
            "  or without Vigil: python3 scripts/verify-packet.py {} {}   (and sha256sum -c SHA256SUMS inside the unzipped packet)",
            pk.packet, pk.public_key_path
        ));
        p(format!("  {} more packets, one per other resolved case, in {}", pk.more_packets.len(), pk.packets_dir));
    }

    p(String::new());
    p("Scorecard (vigil scorecard · vigil brief; METRICS.md):".into());
    if let Some(b) = &ev.brief {
        let ack = match (&b.acknowledged_by, b.time_to_decision_ms) {
            (Some(by), Some(ms)) => format!("acknowledged by {by} after {ms} ms"),
            _ => "not acknowledged".into(),
        };
        p(format!("  executive brief {} for {} → {} (issued by {}, {ack})", b.id, b.case, b.path, b.issued_by));
    }
    let sc = &ev.scorecard;
    let m = &sc.scorecard.metrics;
    let dur =
        |s: &vigil_metrics::Stat| {
            s.median
                .map(|v| {
                    if v >= 86_400_000.0 {
                        format!("{:.1} d", v / 86_400_000.0)
                    } else {
                        format!("{:.1} s", v / 1000.0)
                    }
                })
                .unwrap_or_else(|| "-".into())
        };
    let pct = |x: &vigil_metrics::Ratio| x.value.map(|v| format!("{:.0} %", v * 100.0)).unwrap_or_else(|| "-".into());
    p(format!(
        "  scorecard {} published → {}/scorecard.html (with charts; .md and .json beside it; kept in the vault)",
        sc.week, sc.dir
    ));
    p(format!(
        "  precision {} · alert reduction {} · automation: notifications and tickets {}, containment {} · evidence completeness {} · SLA attainment {} ({} cases resolved without containment: not contained)",
        pct(&m.precision),
        m.alert_reduction.map(|v| format!("{:.0} %", v * 100.0)).unwrap_or_else(|| "-".into()),
        pct(&m.automation_notify),
        pct(&m.automation_contain),
        pct(&m.evidence_completeness),
        pct(&m.sla_overall),
        m.sla_not_contained
    ));
    p(format!(
        "  MTTD {} (the demo ingests {} days of history at once; detection counts to the ingest that raised each alert) · MTTA {} · MTTR {} · time to decision {}",
        dur(&m.mttd_ms),
        sim.days,
        dur(&m.mtta_ms),
        dur(&m.mttr_resolve_ms),
        dur(&m.time_to_decision_ms)
    ));

    let d = &r.data_dir;
    p(String::new());
    let v = format!("{prog} --data-dir {d}");
    p("Where to look (each line runs as printed):".into());
    p(format!("  {v} case list"));
    if let Some(q) = t.queue.first() {
        if let Some(case) = &q.case {
            p(format!("  {v} case show {case}"));
        }
        p(format!("  {v} incidents show {}   (why it was grouped, scored and decided)", q.incident));
    }
    p(format!("  {v} playbook approvals"));
    p(format!("  {v} alerts list --min-level high"));
    p(format!("  {v} eval --labels {}", sim.labels_path));
    p(format!("  {v} query \"SELECT * FROM authentication LIMIT 10\""));
    p(format!("  {v} audit verify --witness {}", std::path::Path::new(&r.dir).join("ledger.witness").display()));
    p(format!("  {v} compliance coverage --framework SOC2"));
    p(format!("  ground truth: {}", sim.labels_path));
    p(String::new());
    p("Browse it in the web app:".into());
    p(format!(
        "  {prog} demo --serve   (runs the demo again, then serves it at http://127.0.0.1:8080 and prints a sign-in for each role: admin, analyst, responder, approver, auditor, executive)"
    ));
    p(format!(
        "  approve from the shell as a person: {v} user token create lead --name cli --roles approver, then VIGIL_TOKEN=<the token> {v} playbook approve <APR-…> --note \"…\""
    ));
    let mut s = out.join("\n");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_pilot(dir: &Path) -> PilotReport {
        let cfg = PilotConfig {
            dir: dir.to_path_buf(),
            sim: SimConfig { seed: 1, days: 4, users: 30, start: SimConfig::fixed_start(), ..SimConfig::default() },
            threads: 2,
            rules: Vec::new(),
            progress: None,
        };
        vigil_app::pilot::run_pilot(cfg, &|_| {}).unwrap().report
    }

    #[test]
    fn the_story_says_what_the_report_shows() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = small_pilot(dir.path());
        let text = story(&r, "vigil");
        let w = &r.work;
        assert!(
            text.contains(&format!(
                "{} cases acknowledged by their owners; {} resolved with the ground truth the triage model learned from ({} true positive, {} benign true positive, {} false positive;",
                w.acknowledged, w.resolved, w.true_positives, w.benign_true_positives, w.false_positives
            )),
            "{text}"
        );
        assert!(text.contains(&format!("{} runs;", r.response.runs.len())), "{text}");
        // Whatever happened to the isolation's rollback, the sentence says that and nothing else.
        let Some(iso) = r.response.isolation.clone() else { return };
        for status in [
            RollbackStatus::RolledBack,
            RollbackStatus::WaitingApproval,
            RollbackStatus::Failed,
            RollbackStatus::Denied,
            RollbackStatus::Expired,
            RollbackStatus::NotRolledBack,
        ] {
            r.response.isolation = Some(IsolationOutcome { rollback: status, ..iso.clone() });
            let text = story(&r, "vigil");
            let line = text.lines().find(|l| l.contains("device isolation")).unwrap();
            assert!(!line.contains("(not rolled back)"), "{line}");
            assert_eq!(line.contains("then rolled back"), status == RollbackStatus::RolledBack, "{line}");
            assert_eq!(line.contains("not rolled back"), status == RollbackStatus::NotRolledBack, "{line}");
            assert_eq!(line.contains("waiting for approval"), status == RollbackStatus::WaitingApproval, "{line}");
            assert_eq!(line.contains("failed"), status == RollbackStatus::Failed, "{line}");
        }
    }
}

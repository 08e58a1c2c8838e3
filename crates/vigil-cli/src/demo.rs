//! `vigil simulate` and `vigil demo`: the pilot on a simulated company, in one command.
//!
//! The demo runs every stage Vigil has, in pipeline order, on data it generates itself, and says
//! where to look. Each stage added to Vigil adds its step here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use vigil_model::EventId;
use vigil_pipeline::{DataDir, IngestOptions, IngestReport, Progress};
use vigil_sim::{ScenarioKind, SimConfig, SimSummary};
use vigil_store::StateStore;

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
        let mut cfg = SimConfig { seed: self.seed, days: self.days, users: self.users, ..SimConfig::default() };
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
    let by_source = source_totals(s);
    json!({
        "events": s.events,
        "bytes": s.bytes,
        "files": s.files.len(),
        "by_source": by_source,
        "scenarios": s.scenarios.iter().map(|(k, v)| (k.clone(), *v)).collect::<BTreeMap<_, _>>(),
        "labels_file": s.labels_path,
    })
}

/// Records per top folder (okta, aws, windows, zeek).
fn source_totals(s: &SimSummary) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for (path, records, _) in &s.files {
        // Log folders only: labels.jsonl and inventory.json at the top are not logs.
        if let Some((top, _)) = path.split_once(['/', '\\'])
            && *records > 0
        {
            *m.entry(top.to_string()).or_default() += records;
        }
    }
    m
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
        for (k, v) in source_totals(&s) {
            println!("    {k:<10} {v:>10}");
        }
        println!("  attack scenarios (ground truth in {}):", s.labels_path);
        for (k, v) in &s.scenarios {
            println!("    {k:<22} {v:>3}");
        }
    }
    Ok(())
}

/// The demo's on-call roster: who takes new cases, by team.
fn demo_roster() -> vigil_queue::Roster {
    let mut teams = std::collections::BTreeMap::new();
    teams.insert("identity".to_string(), vec!["maya.iam".to_string(), "omar.iam".to_string()]);
    teams.insert("cloud".to_string(), vec!["lena.cloud".to_string(), "raj.cloud".to_string()]);
    teams.insert("endpoint".to_string(), vec!["sam.edr".to_string(), "kim.edr".to_string()]);
    vigil_queue::Roster { teams }
}

/// What the labels say, and whether every labeled event reached the lake.
fn check_labels(labels: &[vigil_detect::eval::Label], path: &Path, store: &mut dyn StateStore) -> Result<Value> {
    let mut ids = Vec::new();
    let mut by_scenario: BTreeMap<String, u64> = BTreeMap::new();
    for l in labels {
        *by_scenario.entry(l.scenario.clone()).or_default() += 1;
        for id in &l.event_ids {
            match EventId::parse(id) {
                Some(id) => ids.push(id),
                None => bail!("{}: instance {}: bad event id {id}", path.display(), l.instance),
            }
        }
    }
    let unseen = store.unseen(&ids)?;
    let missing = unseen.iter().filter(|u| **u).count();
    Ok(json!({
        "instances": labels.len(),
        "by_scenario": by_scenario,
        "labeled_events": ids.len(),
        "labeled_events_in_lake": ids.len() - missing,
    }))
}

/// Hunting queries the demo runs to show the lake; each is a plain SQL statement a user can rerun.
const HUNTS: &[(&str, &str)] = &[
    ("events per OCSF class", "SELECT class_name, count(*) AS events FROM events GROUP BY 1 ORDER BY 2 DESC"),
    (
        "most MFA push denials per user (push bombing shows up here)",
        "SELECT actor_user_name AS user, count(*) AS denials FROM events \
         WHERE metadata_event_code = 'user.mfa.okta_verify.deny_push' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
    ),
    (
        "sign-ins from the most countries per user",
        "SELECT user_name AS user, count(DISTINCT src_country) AS countries FROM authentication \
         WHERE src_country IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
    ),
    (
        "shadow-copy deletion and recovery tampering (ransomware precursor)",
        "SELECT device_hostname AS host, process_cmd_line AS command FROM process_activity \
         WHERE lower(process_cmd_line) LIKE '%shadow%delete%' OR lower(process_cmd_line) LIKE '%delete%shadow%' \
         OR lower(process_cmd_line) LIKE '%recoveryenabled%' ORDER BY time LIMIT 5",
    ),
    (
        "AWS calls by the root user",
        "SELECT cloud_account_uid AS account, api_operation AS operation, count(*) AS calls FROM events \
         WHERE actor_user_type = 'Root' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5",
    ),
];

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

pub fn demo(args: &DemoArgs, json_out: bool, show_progress: bool) -> Result<DemoOutcome> {
    let started = Instant::now();
    let dir = &args.dir;
    let sim_dir = dir.join("sim");
    let data_dir = dir.join("data");
    // The demo owns DIR: a previous demo's data directory is replaced, nothing else is touched.
    if data_dir.exists() {
        if !data_dir.join("state.db").exists() && std::fs::read_dir(&data_dir)?.next().is_some() {
            bail!("{} exists and is not a Vigil data directory; choose another --dir", data_dir.display());
        }
        std::fs::remove_dir_all(&data_dir).with_context(|| format!("clearing {}", data_dir.display()))?;
    }
    let say = |s: &str| {
        if !json_out {
            eprintln!("{s}");
        }
    };

    // 1. Simulate the company.
    let cfg = args.sim.config()?;
    say(&format!("[1/8] simulating {} users × {} days (seed {}) …", cfg.users, cfg.days, cfg.seed));
    let t = Instant::now();
    let sim = vigil_sim::simulate(&cfg, &sim_dir).with_context(|| format!("simulating into {}", sim_dir.display()))?;
    let sim_secs = t.elapsed().as_secs_f64();

    // 2. Ingest its logs: decode, normalize to OCSF, detect, write the lake and the state store.
    let rule_args = crate::detect::RuleArgs {
        rules: args.rules.clone(),
        exceptions: Vec::new(),
        no_builtin: false,
        min_level: vigil_detect::Level::Informational,
        behavior: Vec::new(),
    };
    let (detector, pack) = rule_args.detector()?;
    let behavior = rule_args.behavior_pack()?;
    let pack_summary = pack.summary();
    say(&format!(
        "[2/8] ingesting {} records with {} rules active ({} loaded) …",
        sim.events,
        detector.active_rules(),
        pack_summary.rules + pack_summary.correlations
    ));
    let dd = DataDir::new(&data_dir);
    let progress = Arc::new(Progress::default());
    let opts = IngestOptions {
        threads: args.threads,
        progress: Some(progress.clone()),
        args: "vigil demo".into(),
        detector: Some(Arc::new(detector)),
        behavior: behavior.clone(),
        ..IngestOptions::default()
    };
    let bar = show_progress.then(|| output::progress_bar(progress.clone()));
    // The vendor logs only: labels.jsonl and inventory.json are ground truth and context, not logs.
    let logs: Vec<PathBuf> =
        ["okta", "aws", "windows", "zeek"].iter().map(|d| sim_dir.join(d)).filter(|p| p.exists()).collect();
    let report = vigil_pipeline::ingest(&dd, &logs, &opts);
    if let Some((bar, stop)) = bar {
        stop.store(true, Ordering::Relaxed);
        let _ = bar.join();
    }
    let report: IngestReport = report.context("ingesting the simulated logs")?;
    let mut store = dd.open_store()?;
    let labels_path = sim_dir.join(&sim.labels_path);
    let label_list = vigil_detect::eval::read_labels(
        &std::fs::read_to_string(&labels_path).with_context(|| labels_path.display().to_string())?,
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", labels_path.display()))?;
    let labels = check_labels(&label_list, &labels_path, &mut store)?;

    // 3. The alerts detection raised as the events arrived, against the ground truth.
    say("[3/8] reading the alerts …");
    let alerts = vigil_queue::stored_alerts(&store)?;
    let scored = vigil_detect::eval::evaluate(&label_list, &alerts);

    // 4. Triage: the inventory, a triage model learned from the pilot's first weeks of
    // dispositions (the simulated analyst), incidents with verdicts, cases with owners and SLAs.
    say("[4/8] triaging: incidents, verdicts, cases …");
    let now = crate::queue::now_ms();
    let inv_path = sim_dir.join("inventory.json");
    let inv_text = std::fs::read_to_string(&inv_path).with_context(|| inv_path.display().to_string())?;
    vigil_queue::load_inventory(&mut store, &inv_text, "demo", now)?;
    vigil_queue::set_setting(&mut store, "roster", &demo_roster(), "demo", now)?;
    // A pilot too small to hold both true and false positives in its first weeks has no model;
    // triage then decides on the risk score alone, and says so.
    let model = match vigil_queue::train(&mut store, Some(&label_list), 0.6, 0.02, "demo", now) {
        Ok(m) => Some(m),
        Err(e) => {
            say(&format!("      no triage model: {e}"));
            None
        }
    };
    let triage = vigil_queue::run(&mut store, now)?;
    let (queue_eval, _) = vigil_queue::evaluate(&store, &label_list, now)?;
    let policy = vigil_queue::load(&store)?.policy;
    let incidents = vigil_queue::incidents(&store)?;
    let cases = vigil_queue::cases(&store)?;
    let case_of = |inc: &str| cases.iter().find(|c| c.incidents.iter().any(|i| i == inc));

    // 5. Respond: the pilot playbooks on the queue, against a local sandbox standing in for the
    // simulated company's Okta, CrowdStrike, Jira and Slack. Tickets open on their own; account
    // resets and isolations wait for a person; a second demo user approves one of each, and
    // the isolation is rolled back.
    say("[5/8] responding: pilot playbooks (ticket, account reset, device isolation) …");
    let sandbox = vigil_connectors::sandbox::Sandbox::start().context("starting the vendor sandbox")?;
    for c in &cases {
        for e in &c.entities {
            if let Some(u) = e.strip_prefix("user:") {
                sandbox.seed_user(u, u, "ACTIVE");
                sandbox.seed_factor(u, "push");
            } else if let Some(h) = e.strip_prefix("host:") {
                // Falcon knows hosts by a device id (aid) and their short name.
                let aid = &vigil_queue::sha256_hex(h.as_bytes())[..32];
                sandbox.seed_device(aid, h.split('.').next().unwrap_or(h));
            }
        }
    }
    let (rconfig, rsecrets) = (sandbox.config(), sandbox.secrets());
    let renv = vigil_respond::Env { config: &rconfig, secrets: &rsecrets, now_ms: now };
    let playbooks = vigil_respond::format::builtin()?;
    let triggered = vigil_respond::engine::trigger(&mut store, &playbooks, &renv)?;
    let waiting_on = |store: &vigil_store::SqliteStore, run: &str| -> Result<Option<vigil_respond::Approval>> {
        Ok(vigil_respond::engine::approvals(store)?
            .into_iter()
            .find(|a| a.run_id == run && a.status == vigil_respond::ApprovalStatus::Pending))
    };
    let mut response_lines = Vec::new();
    let tickets: Vec<&vigil_respond::Run> = triggered.iter().filter(|r| r.playbook.id == "ticket-open").collect();
    let keys: Vec<String> = tickets
        .iter()
        .filter_map(|r| {
            r.steps[0].outcome.as_ref().and_then(|o| o.output.get("key")).and_then(|k| k.as_str()).map(str::to_string)
        })
        .collect();
    response_lines.push(format!(
        "  {} tickets opened automatically ({}), one per queued case",
        keys.len(),
        keys.iter().take(4).cloned().collect::<Vec<_>>().join(", ") + if keys.len() > 4 { ", …" } else { "" }
    ));
    if let Some(r) = triggered
        .iter()
        .find(|r| r.playbook.id == "account-reset" && r.status == vigil_respond::RunStatus::WaitingApproval)
    {
        let mut n = 0;
        while let Some(a) = waiting_on(&store, &r.id)? {
            vigil_respond::engine::approve(
                &mut store,
                &a.id,
                "lead",
                "takeover confirmed with the user's manager",
                None,
                &renv,
            )?;
            n += 1;
        }
        let done = vigil_respond::engine::load_run(&store, &r.id)?;
        response_lines.push(format!(
            "  account reset {} on {} ({}): {n} step(s) approved by lead — {}",
            done.id,
            done.case_id,
            done.inputs["user"].as_str().unwrap_or("-"),
            done.steps
                .iter()
                .map(|s| format!("{} {}", s.id, format!("{:?}", s.status).to_lowercase()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(r) = triggered
        .iter()
        .find(|r| r.playbook.id == "device-isolation" && r.status == vigil_respond::RunStatus::WaitingApproval)
    {
        if let Some(a) = waiting_on(&store, &r.id)? {
            vigil_respond::engine::approve(&mut store, &a.id, "lead", "encryption seen on the host", None, &renv)?;
        }
        vigil_respond::engine::rollback(&mut store, &r.id, None, "analyst", &renv)?;
        if let Some(a) = waiting_on(&store, &r.id)? {
            vigil_respond::engine::approve(
                &mut store,
                &a.id,
                "lead",
                "backup job, not ransomware: release",
                None,
                &renv,
            )?;
        }
        let done = vigil_respond::engine::load_run(&store, &r.id)?;
        response_lines.push(format!(
            "  device isolation {} on {} ({}): contained after lead approved, then rolled back ({}) on analyst's request with lead's approval",
            done.id,
            done.case_id,
            done.inputs["host"].as_str().unwrap_or("-"),
            done.steps.iter().find_map(|st| st.rollback.as_ref()).map(|rb| format!("{} {}", rb.action, rb.status)).unwrap_or_else(|| "not rolled back".into())
        ));
    }
    let all_runs = vigil_respond::engine::runs(&store)?;
    let waiting = vigil_respond::engine::approvals(&store)?
        .iter()
        .filter(|a| a.status == vigil_respond::ApprovalStatus::Pending)
        .count();
    let rate = vigil_respond::engine::automation_rate(&all_runs);
    response_lines.push(format!(
        "  {} runs; {waiting} steps waiting in the approvals inbox; automation rate {} ({} of {} steps ran without a person)",
        all_runs.len(),
        rate.rate.map(|x| format!("{:.0} %", x * 100.0)).unwrap_or_else(|| "-".into()),
        rate.automated_steps,
        rate.total_steps
    ));
    let (connectors_path, secrets_path) = sandbox.write_settings(dir).context("writing the sandbox settings")?;
    let response_json = json!({"runs": all_runs.iter().map(|r| json!({"run": r.id, "playbook": r.playbook.id, "case": r.case_id, "status": r.status, "steps": r.steps.iter().map(|s| json!({"id": s.id, "status": s.status, "automated": s.automated, "rollback": s.rollback.as_ref().map(|rb| &rb.status)})).collect::<Vec<_>>()})).collect::<Vec<_>>(), "waiting_approvals": waiting, "automation": rate, "tickets": keys});

    // 6. The simulated analysts work the queue: each case is acknowledged by its owner, and all
    // but the last three (by risk) are resolved with the disposition the ground truth gives
    // (true positive when any of its alerts is on a labeled attack event, else false positive).
    say("[6/8] the analysts work the queue: acknowledge, resolve with dispositions …");
    let attack_events: std::collections::BTreeSet<&str> =
        label_list.iter().flat_map(|l| l.event_ids.iter().map(String::as_str)).collect();
    let alert_events: BTreeMap<&str, &Vec<String>> = alerts.iter().map(|a| (a.id.as_str(), &a.event_ids)).collect();
    let mut queue_cases: Vec<String> = Vec::new();
    for i in incidents.iter().filter(|i| i.queued) {
        if let Some(c) = case_of(&i.id)
            && !queue_cases.contains(&c.id)
        {
            queue_cases.push(c.id.clone());
        }
    }
    let (mut acked, mut resolved, mut tps) = (0usize, 0usize, 0usize);
    let work_time = crate::queue::now_ms();
    for (n, id) in queue_cases.iter().enumerate() {
        let Some(case) = cases.iter().find(|c| &c.id == id) else { continue };
        let who = case.owner.clone().unwrap_or_else(|| "maya.iam".into());
        vigil_queue::with_case(&mut store, id, &who, "case.ack", work_time, |c| {
            c.acknowledge(&who, work_time).map(|x| format!("new: {x}"))
        })?;
        acked += 1;
        if n + 3 >= queue_cases.len() {
            continue;
        }
        let attack = case.alerts.iter().any(|a| {
            alert_events.get(a.as_str()).is_some_and(|evs| evs.iter().any(|e| attack_events.contains(e.as_str())))
        });
        let d = if attack { vigil_cases::Disposition::TruePositive } else { vigil_cases::Disposition::FalsePositive };
        let note = if attack { "confirmed attack (simulated analyst)" } else { "benign activity (simulated analyst)" };
        vigil_queue::with_case(&mut store, id, &who, "case.resolve", work_time, |c| {
            c.resolve(d, note, &who, work_time).map(|_| d.as_str().to_string())
        })?;
        resolved += 1;
        tps += usize::from(attack);
    }
    let work_line = format!(
        "  {acked} cases acknowledged by their owners; {resolved} resolved ({tps} true positive, {} false positive); {} left open",
        resolved - tps,
        acked - resolved
    );

    // 7. Hunt over the lake.
    say("[7/8] hunting over the lake …");
    let engine = vigil_query::QueryEngine::open(&dd.lake())?;
    let mut hunts = Vec::new();
    for (title, sql) in HUNTS {
        let r = engine.run(sql).with_context(|| format!("hunt {title:?}"))?;
        hunts.push((title, sql, r));
    }

    // 8. Evidence: the top case's incident packet, exported, kept in the vault and verified
    // offline with the ledger's public key (and a packet for every resolved case); SOC 2
    // coverage over the pilot's period; the executive brief and the weekly scorecard.
    say("[8/8] evidence and the scorecard: packets, coverage, the executive brief, the scorecard …");
    let catalog = vigil_compliance::Catalog::builtin()?;
    let first_case = incidents.iter().filter(|i| i.queued).find_map(|i| case_of(&i.id)).or(cases.first());
    let mut evidence_json = json!(null);
    let mut evidence_lines = Vec::new();
    if let Some(case) = first_case {
        let (bytes, ex) = vigil_vault::export_case(
            &mut store,
            &data_dir,
            &catalog,
            &case.id,
            "demo",
            now,
            &vigil_vault::ExportOptions::default(),
        )?;
        let packets = dir.join("packets");
        std::fs::create_dir_all(&packets).with_context(|| packets.display().to_string())?;
        let packet_path = packets.join(format!("{}.zip", case.id));
        std::fs::write(&packet_path, &bytes).with_context(|| packet_path.display().to_string())?;
        let key = vigil_vault::ledger::load_or_create_key(&data_dir)?;
        let key_path = dir.join("ledger-public-key.txt");
        std::fs::write(&key_path, format!("{}\n", key.public_key_hex()))?;
        let verified = vigil_evidence::packet::verify_packet(&bytes, Some(&key.public_key_hex()), &[]);
        if !verified.ok() {
            bail!("the demo's packet does not verify: {:?}", verified.problems);
        }
        // The other resolved cases' packets, for evidence completeness.
        let mut more = 0;
        for c in vigil_queue::cases(&store)? {
            if c.id != case.id && c.times.resolved_ms.is_some() && c.merged_into.is_none() {
                let (bytes, _) = vigil_vault::export_case(
                    &mut store,
                    &data_dir,
                    &catalog,
                    &c.id,
                    "demo",
                    now,
                    &vigil_vault::ExportOptions::default(),
                )?;
                std::fs::write(packets.join(format!("{}.zip", c.id)), &bytes)?;
                more += 1;
            }
        }
        let from = cfg.start.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or(0);
        let to = from + i64::from(cfg.days) * 86_400_000;
        let inputs = vigil_vault::compliance::coverage_inputs(
            &store,
            &catalog,
            &vigil_vault::compliance::detections_of(&pack, &behavior.clone().unwrap_or_default()),
        )?;
        let soc2 = vigil_compliance::coverage(&catalog, "SOC2", &inputs, from, to.max(now))?;
        evidence_lines.push(format!(
            "  {} → {} ({} bytes, {} files, {} log records from the lake, {} ledger entries proven)",
            case.id,
            packet_path.display(),
            ex.size,
            verified.files,
            ex.log_records,
            ex.ledger_entries
        ));
        evidence_lines.push(format!(
            "  verified offline: SHA256SUMS, Ed25519 signature, manifest, checkpoint of {} entries, inclusion proofs — {} checks passed",
            ex.checkpoint.checkpoint.size,
            verified.passed.len()
        ));
        evidence_lines.push(format!(
            "  SOC 2 coverage for the pilot: {} controls — {} complete, {} partial, {} without evidence, {} not mapped",
            soc2.summary.total,
            soc2.summary.complete,
            soc2.summary.partial,
            soc2.summary.no_evidence,
            soc2.summary.not_mapped
        ));
        evidence_lines.push(format!(
            "  verify it yourself: vigil verify {} --public-key {}",
            packet_path.display(),
            key_path.display()
        ));
        evidence_lines.push(format!(
            "  or without Vigil: python3 scripts/verify-packet.py {} {}   (and sha256sum -c SHA256SUMS inside the unzipped packet)",
            packet_path.display(),
            key_path.display()
        ));
        evidence_lines.push(format!("  {more} more packets, one per resolved case, in {}", packets.display()));
        evidence_json = json!({"export": ex, "packet": packet_path.display().to_string(), "public_key": key.public_key_hex(), "verify": verified, "soc2": soc2.summary});
    }

    // The executive brief for the top case, acknowledged by the executive; then the scorecard.
    let mut scorecard_lines = Vec::new();
    if let Some(case) = first_case {
        let issuer = case.owner.clone().unwrap_or_else(|| "maya.iam".into());
        let (brief, html) =
            vigil_report::issue_brief(&mut store, &data_dir, &case.id, &issuer, crate::queue::now_ms())?;
        let brief_path = dir.join(format!("{}.html", brief.id));
        std::fs::write(&brief_path, html)?;
        let acked = vigil_report::acknowledge_brief(&mut store, &brief.id, "exec", crate::queue::now_ms())?;
        scorecard_lines.push(format!(
            "  executive brief {} for {} → {} (issued by {issuer}, acknowledged by exec after {} ms)",
            brief.id,
            case.id,
            brief_path.display(),
            acked.acknowledged_ms.unwrap_or(brief.issued_ms) - brief.issued_ms
        ));
    }
    let week = {
        use chrono::Datelike;
        let w = chrono::DateTime::from_timestamp_millis(crate::queue::now_ms()).unwrap_or_default().iso_week();
        vigil_metrics::Period::iso_week(w.year(), w.week())?
    };
    let labeled: std::collections::BTreeSet<String> = attack_events.iter().map(|s| s.to_string()).collect();
    let published = vigil_report::publish_scorecard(
        &mut store,
        &data_dir,
        &week,
        8,
        "Pilot scorecard (simulated company)",
        "demo",
        crate::queue::now_ms(),
        Some(&labeled),
    )?;
    let sc_dir = dir.join("scorecard");
    std::fs::create_dir_all(&sc_dir)?;
    std::fs::write(sc_dir.join("scorecard.html"), &published.html)?;
    std::fs::write(sc_dir.join("scorecard.md"), &published.markdown)?;
    std::fs::write(sc_dir.join("scorecard.json"), serde_json::to_string_pretty(&published.json)?)?;
    let m = &published.scorecard.metrics;
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
    let pct = |r: &vigil_metrics::Ratio| r.value.map(|v| format!("{:.0} %", v * 100.0)).unwrap_or_else(|| "-".into());
    scorecard_lines.push(format!(
        "  scorecard {} published → {} (scorecard.html with charts, .md, .json; kept in the vault)",
        week.label,
        sc_dir.join("scorecard.html").display()
    ));
    scorecard_lines.push(format!(
        "  precision {} · alert reduction {} · automation {} · evidence completeness {} · SLA attainment {}",
        pct(&m.precision),
        m.alert_reduction.map(|v| format!("{:.0} %", v * 100.0)).unwrap_or_else(|| "-".into()),
        pct(&m.automation),
        pct(&m.evidence_completeness),
        pct(&m.sla_overall)
    ));
    scorecard_lines.push(format!(
        "  MTTD {} (the demo ingests {} days of history at once; detection counts to the ingest that raised each alert) · MTTA {} · MTTR {} · time to decision {}",
        dur(&m.mttd_ms),
        cfg.days,
        dur(&m.mtta_ms),
        dur(&m.mttr_resolve_ms),
        dur(&m.time_to_decision_ms)
    ));
    let scorecard_json = json!({"dir": sc_dir.display().to_string(), "week": week.label, "scorecard": published.json, "work": {"acknowledged": acked, "resolved": resolved, "true_positives": tps}});
    let outcome =
        DemoOutcome { sandbox: Some(sandbox), connectors: Some(connectors_path), secrets: Some(secrets_path) };
    let elapsed = started.elapsed().as_secs_f64();
    let data_arg = data_dir.display().to_string();
    if json_out {
        let mut hunt_json = Vec::new();
        for (title, sql, r) in &hunts {
            hunt_json.push(json!({"title": title, "sql": sql, "rows": r.to_json_rows()?}));
        }
        let v = json!({
            "dir": dir.display().to_string(),
            "data_dir": data_arg,
            "simulation": sim_json(&sim),
            "simulation_seconds": sim_secs,
            "ingest": report,
            "labels": labels,
            "rules": pack_summary,
            "alerts": {
                "total": report.alerts,
                "by_level": report.alerts_by_level,
                "by_rule": report.alerts_by_rule,
                "eval": {
                    "detected_instances": scored.detected_instances,
                    "instances": scored.instances,
                    "false_positive_alerts": scored.false_positive_alerts,
                    "scenarios": scored.scenarios.iter().map(|s| json!({"scenario": s.name, "precision": s.precision, "recall": s.recall, "f1": s.f1})).collect::<Vec<_>>(),
                },
            },
            "triage": {
                "model": model,
                "run": triage,
                "eval": queue_eval,
                "queue": incidents.iter().filter(|i| i.queued).map(|i| json!({
                    "incident": i.id, "title": i.title, "risk": i.risk.score, "verdict": i.verdict.verdict.as_str(),
                    "missing": i.verdict.missing, "case": case_of(&i.id).map(|c| &c.id),
                    "owner": case_of(&i.id).and_then(|c| c.owner.clone()),
                    "sla": case_of(&i.id).map(|c| c.sla_view(&policy, now)),
                })).collect::<Vec<_>>(),
            },
            "hunts": hunt_json,
            "evidence": evidence_json,
            "response": response_json,
            "scorecard": scorecard_json,
            "seconds": elapsed,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(outcome);
    }
    println!();
    println!("Vigil demo — {} users × {} days, seed {} ({elapsed:.1}s)", cfg.users, cfg.days, cfg.seed);
    println!();
    println!("Simulated company → {}", sim_dir.display());
    for (k, v) in source_totals(&sim) {
        println!("  {k:<10} {v:>9} records");
    }
    println!(
        "  {} labeled attack instances across {} scenarios; {} of {} labeled events are in the lake",
        labels["instances"],
        sim.scenarios.len(),
        labels["labeled_events_in_lake"],
        labels["labeled_events"]
    );
    println!();
    println!("Ingest → {data_arg}");
    println!(
        "  {} events, {} quarantined, {} duplicates in {:.1}s",
        report.events,
        report.quarantined,
        report.duplicates,
        report.elapsed_ms as f64 / 1000.0
    );
    for (k, v) in &report.by_class {
        println!("    {k:<26} {v:>9}");
    }
    println!();
    println!(
        "Detect → {} alerts from {} rules (Vigil's built-in rules{})",
        report.alerts,
        report.alerts_by_rule.len(),
        if args.rules.is_empty() {
            "; add SigmaHQ's with --rules <sigma>/rules".to_string()
        } else {
            format!(" and {}", args.rules.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))
        }
    );
    let order = ["critical", "high", "medium", "low", "informational"];
    let lv: Vec<String> =
        order.iter().filter_map(|l| report.alerts_by_level.get(*l).map(|n| format!("{l} {n}"))).collect();
    if !lv.is_empty() {
        println!("  by level: {}", lv.join(", "));
    }
    let mut by_rule: Vec<(&String, &u64)> = report.alerts_by_rule.iter().collect();
    by_rule.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (title, n) in by_rule.iter().take(15) {
        println!("    {n:>6}  {title}");
    }
    if by_rule.len() > 15 {
        println!("    … and {} more rules (vigil alerts list)", by_rule.len() - 15);
    }
    println!(
        "  against the ground truth (vigil eval): {} of {} attack instances detected; {} alerts on unlabeled (background) events",
        scored.detected_instances, scored.instances, scored.false_positive_alerts
    );
    println!("    {:<22} {:>9} {:>7}", "scenario", "precision", "recall");
    for sc in &scored.scenarios {
        println!("    {:<22} {:>9.2} {:>7.2}", sc.name, sc.precision, sc.recall);
    }
    let mut top: Vec<&vigil_detect::Alert> =
        alerts.iter().filter(|a| a.rule.level >= vigil_detect::Level::High).collect();
    top.sort_by(|a, b| b.rule.level.cmp(&a.rule.level).then(a.time.cmp(&b.time)));
    if !top.is_empty() {
        println!("  highest alerts:");
        for a in top.iter().take(8) {
            println!("    [{}] {}", a.rule.level.as_str(), a.explanation);
        }
    }
    println!();
    let st = &triage.stats;
    println!(
        "Triage → {} alerts → {} items after dedupe → {} incidents; {} in the queue, {} closed as benign (alert reduction {:.1} %)",
        st.raw_alerts,
        st.items,
        st.incidents,
        st.queued,
        st.auto_closed,
        st.alert_reduction * 100.0
    );
    let v: Vec<String> = st.by_verdict.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!("  verdicts: {}", v.join(", "));
    match model.as_ref().map(|m| (m, &m.evaluation)) {
        Some((m, Some(e))) => println!(
            "  triage model {} learned from the first 60 % of the pilot's dispositions ({} incidents); held-out: precision {:.2}, recall {:.2}, ROC AUC {:.2}",
            m.version, m.trained_on, e.precision, e.recall, e.roc_auc
        ),
        Some((m, None)) => println!("  triage model {}", m.version),
        None => println!("  no triage model (too few dispositions): verdicts use the risk score alone"),
    }
    println!(
        "  against the ground truth: {} of {} attack instances surfaced as cases (incident recall {:.2})",
        queue_eval.surfaced_instances, queue_eval.labeled_instances, queue_eval.incident_recall
    );
    println!();
    println!("The queue (vigil case list):");
    println!("  {:<22} {:>4} {:<12} {:<16} {:<14} {:<22} title", "incident", "risk", "verdict", "case", "owner", "SLA");
    for i in incidents.iter().filter(|i| i.queued).take(15) {
        let c = case_of(&i.id);
        let sla = c
            .and_then(|c| c.sla_view(&policy, now).into_iter().find(|k| k.met_ms.is_none()))
            .map(|k| format!("{} due in {}m", k.kind.as_str(), k.remaining_ms / 60_000))
            .unwrap_or_default();
        println!(
            "  {:<22} {:>4.0} {:<12} {:<16} {:<14} {:<22} {}",
            i.id,
            i.risk.score,
            i.verdict.verdict.as_str(),
            c.map(|c| c.id.as_str()).unwrap_or("-"),
            c.and_then(|c| c.owner.as_deref()).unwrap_or("-"),
            sla,
            output::clean(&i.title).chars().take(80).collect::<String>()
        );
    }
    if let Some(i) = incidents.iter().find(|i| i.verdict.verdict == vigil_triage::VerdictKind::Inconclusive) {
        println!("  inconclusive {}: {}", i.id, output::clean(&i.verdict.summary));
        for m in i.verdict.missing.iter().take(3) {
            println!("    missing: {}", output::clean(m));
        }
    }
    for (title, _, r) in &hunts {
        println!();
        println!("Hunt: {title}");
        for line in r.to_table()?.lines() {
            println!("  {line}");
        }
    }
    println!();
    println!("Response (vigil playbook …; RESPONSE.md):");
    for l in &response_lines {
        println!("{l}");
    }
    println!();
    println!("The analysts (simulated):");
    println!("{work_line}");
    if !evidence_lines.is_empty() {
        println!();
        println!("Evidence (vigil case export · vigil verify):");
        for l in &evidence_lines {
            println!("{l}");
        }
    }
    println!();
    println!("Scorecard (vigil scorecard · vigil brief; METRICS.md):");
    for l in &scorecard_lines {
        println!("{l}");
    }
    println!();
    println!("Where to look:");
    println!("  vigil --data-dir {data_arg} tables");
    println!("  vigil --data-dir {data_arg} query \"SELECT * FROM authentication LIMIT 10\"");
    println!("  vigil --data-dir {data_arg} quarantine list");
    println!("  vigil --data-dir {data_arg} alerts list --min-level high");
    println!("  vigil --data-dir {data_arg} eval --labels {}", labels_path.display());
    println!("  vigil --data-dir {data_arg} baseline show <user, key or address>");
    println!("  vigil --data-dir {data_arg} incidents show <incident>   (why it was grouped, scored and decided)");
    println!("  vigil --data-dir {data_arg} case list   ·   case show <case>   ·   model show   ·   audit list");
    println!(
        "  vigil --data-dir {data_arg} audit verify   ·   evidence list   ·   compliance coverage --framework SOC2"
    );
    println!("  ground truth: {}", labels_path.display());
    Ok(outcome)
}

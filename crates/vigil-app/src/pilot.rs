//! The pilot on a simulated company: simulate, ingest with detection, triage, respond through a
//! vendor sandbox, the simulated analysts working the queue, hunting, and evidence — as steps,
//! each calling the application's own operations (so every action is audited under the same
//! name a person's would be) and returning what actually happened.
//!
//! `vigil demo` runs [`run_pilot`] and renders its [`PilotReport`]; nothing it prints comes
//! from anywhere else. The library never prints: progress goes through the `say` callback.
//!
//! The simulated analysts dispose of cases with the same ground truth the triage model is
//! trained on ([`vigil_triage::truth::dispositions`]): a case built on a labeled attack is a true
//! positive, an alerting detection on ordinary activity a false positive, a signal that saw what
//! it describes a benign true positive, and the same deterministic share of dispositions
//! ([`ANALYST_ERROR_RATE`]) is wrong.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;
use vigil_cases::{Disposition, SlaClock};
use vigil_connectors::sandbox::Sandbox;
use vigil_model::{Alert, EventId, Label, Level};
use vigil_pipeline::{IngestOptions, IngestReport, Progress};
use vigil_respond::engine::AutomationRate;
use vigil_respond::{ApprovalStatus, Run, RunStatus, StepStatus};
use vigil_store::StateStore;

use crate::cases::CaseOp;
use crate::detection::{Detection, DetectionConfig};
use crate::respond::{Decision, ResponseConfig};
use crate::{App, AppError, Caller, Result};

/// Who runs the pilot: the name on its ingest, inventory, roster, model, hunts and exports.
pub const ACTOR: &str = "demo";
/// The policy the risky-IAM-policy attacker attaches, which the cloud-credential playbook detaches.
const ADMIN_POLICY: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
/// The second person who decides approval requests (never the requester).
pub const APPROVER: &str = "lead";
/// The executive who acknowledges the brief.
pub const EXECUTIVE: &str = "exec";
/// The share of the simulated analysts' dispositions that are wrong, as in the model's training.
pub const ANALYST_ERROR_RATE: f64 = 0.02;
/// The share of labeled incidents (oldest first) the triage model learns from.
pub const TRAIN_FRACTION: f64 = 0.6;
/// Cases the analysts acknowledge but leave open (the lowest by risk), so the queue has work.
pub const LEFT_OPEN: usize = 3;

/// The pilot's steps, in the order [`run_pilot`] runs them.
pub const STEPS: &[&str] = &["simulate", "ingest", "triage", "respond", "work_queue", "hunt", "evidence"];

/// What to run the pilot on.
#[derive(Debug, Clone)]
pub struct PilotConfig {
    /// Everything the pilot writes stays under this directory: `sim/`, `data/`, `packets/`,
    /// `scorecard/`, the brief, the ledger's public key and the sandbox's settings.
    pub dir: PathBuf,
    pub sim: vigil_sim::SimConfig,
    /// Decode workers for ingest.
    pub threads: usize,
    /// Sigma rule paths run beside the built-in rules.
    pub rules: Vec<PathBuf>,
    /// Where ingest reports its progress (bytes and files), for a front end's progress bar.
    pub progress: Option<Arc<Progress>>,
}

/// The simulated company.
#[derive(Debug, Clone, Serialize)]
pub struct SimulateOutcome {
    pub dir: String,
    pub seed: u64,
    pub users: u32,
    pub days: u32,
    /// First simulated day (YYYY-MM-DD).
    pub start: String,
    /// Log records written.
    pub events: u64,
    pub bytes: u64,
    pub files: usize,
    /// Records per log folder (okta, aws, windows, zeek).
    pub by_source: BTreeMap<String, u64>,
    /// Attack instances per scenario.
    pub scenarios: BTreeMap<String, u64>,
    /// The labels file, relative to `dir`.
    pub labels_file: String,
    /// The labels file's full path.
    pub labels_path: String,
    pub seconds: f64,
}

/// What the ground truth says, and whether every labeled event reached the lake.
#[derive(Debug, Clone, Serialize)]
pub struct LabelCheck {
    pub instances: usize,
    pub by_scenario: BTreeMap<String, u64>,
    pub labeled_events: usize,
    pub labeled_events_in_lake: usize,
}

/// The rule pack detection ran with.
#[derive(Debug, Clone, Serialize)]
pub struct RulesOutcome {
    #[serde(flatten)]
    pub summary: vigil_detect::rules::PackSummary,
    /// Rules the detector evaluates (those whose logsource it routes).
    pub detector_active: usize,
    /// Behavioral detections in force beside the Sigma rules.
    #[serde(default)]
    pub behavioral: usize,
    /// Rule paths given beside the built-in rules.
    pub paths: Vec<String>,
}

/// One scenario's detection scores against the labels.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioScore {
    pub scenario: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertEval {
    pub detected_instances: u64,
    pub instances: u64,
    pub false_positive_alerts: u64,
    pub scenarios: Vec<ScenarioScore>,
}

/// One alert as the story names it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertLine {
    pub level: String,
    pub time: Option<i64>,
    pub explanation: String,
}

/// The alerts detection raised as the events arrived.
#[derive(Debug, Clone, Serialize)]
pub struct AlertsOutcome {
    pub total: u64,
    pub by_level: BTreeMap<String, u64>,
    pub by_rule: BTreeMap<String, u64>,
    pub eval: AlertEval,
    /// High and critical alerts, most severe then oldest first (at most 8).
    pub highest: Vec<AlertLine>,
}

/// Ingest: the pipeline's report, the labels checked against the lake, the rules, the alerts.
#[derive(Debug, Clone, Serialize)]
pub struct IngestOutcome {
    #[serde(rename = "ingest")]
    pub report: IngestReport,
    pub labels: LabelCheck,
    pub rules: RulesOutcome,
    pub alerts: AlertsOutcome,
}

/// A queued incident with its case.
#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    pub incident: String,
    pub title: String,
    pub risk: f64,
    pub verdict: String,
    pub missing: Vec<String>,
    pub case: Option<String>,
    pub owner: Option<String>,
    pub sla: Option<Vec<SlaClock>>,
}

/// An incident triage could not decide, and the data that would decide it.
#[derive(Debug, Clone, Serialize)]
pub struct Inconclusive {
    pub incident: String,
    pub summary: String,
    pub missing: Vec<String>,
}

/// Triage: inventory, roster, model, incidents, cases.
#[derive(Debug, Clone, Serialize)]
pub struct TriageOutcome {
    pub inventory_entities: usize,
    /// Team → on-call analysts.
    pub roster: BTreeMap<String, Vec<String>>,
    pub model: Option<vigil_triage::TriageModel>,
    /// Why there is no model, when there is none.
    pub no_model: Option<String>,
    pub train_fraction: f64,
    pub error_rate: f64,
    pub run: vigil_queue::RunReport,
    pub eval: vigil_triage::truth::QueueEval,
    /// Queued incidents by risk.
    pub queue: Vec<QueueRow>,
    pub inconclusive: Option<Inconclusive>,
}

/// One step of a run as stored.
#[derive(Debug, Clone, Serialize)]
pub struct StepRow {
    pub id: String,
    pub status: StepStatus,
    pub automated: bool,
    /// The rollback's status, when the step was rolled back or asked to be.
    pub rollback: Option<String>,
}

/// A run as stored.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    pub run: String,
    pub playbook: String,
    pub case: String,
    pub status: RunStatus,
    pub steps: Vec<StepRow>,
}

impl RunRow {
    fn of(r: &Run) -> RunRow {
        RunRow {
            run: r.id.clone(),
            playbook: r.playbook.id.clone(),
            case: r.case_id.clone(),
            status: r.status,
            steps: r
                .steps
                .iter()
                .map(|s| StepRow {
                    id: s.id.clone(),
                    status: s.status,
                    automated: s.automated,
                    rollback: s.rollback.as_ref().map(|rb| rb.status.clone()),
                })
                .collect(),
        }
    }
}

/// What happened to a run's rollback, read from the run as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RollbackStatus {
    /// Every step asked to be undone was.
    RolledBack,
    /// An inverse waits for a person's approval.
    WaitingApproval,
    /// An inverse was called and failed.
    Failed,
    /// The approver denied the rollback.
    Denied,
    /// The rollback's approval expired.
    Expired,
    /// No step was asked to be undone.
    NotRolledBack,
}

impl RollbackStatus {
    /// The run's rollback: the least finished of its steps' rollback records (failed, then
    /// waiting, denied, expired), rolled back when all succeeded, not rolled back without any.
    pub fn of(run: &Run) -> RollbackStatus {
        let each: Vec<RollbackStatus> = run
            .steps
            .iter()
            .filter_map(|s| s.rollback.as_ref())
            .map(|rb| match rb.status.as_str() {
                "succeeded" => RollbackStatus::RolledBack,
                "waiting_approval" | "pending" => RollbackStatus::WaitingApproval,
                "denied" => RollbackStatus::Denied,
                "expired" => RollbackStatus::Expired,
                _ => RollbackStatus::Failed,
            })
            .collect();
        let order = [
            RollbackStatus::Failed,
            RollbackStatus::WaitingApproval,
            RollbackStatus::Denied,
            RollbackStatus::Expired,
            RollbackStatus::RolledBack,
        ];
        order.into_iter().find(|s| each.contains(s)).unwrap_or(RollbackStatus::NotRolledBack)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RollbackStatus::RolledBack => "rolled_back",
            RollbackStatus::WaitingApproval => "waiting_approval",
            RollbackStatus::Failed => "failed",
            RollbackStatus::Denied => "denied",
            RollbackStatus::Expired => "expired",
            RollbackStatus::NotRolledBack => "not_rolled_back",
        }
    }
}

/// A run that waited for a person: who approved which requests, and how it ended.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovedRun {
    pub run: String,
    pub case: String,
    /// The run's user or host input.
    pub target: Option<String>,
    /// The approval requests decided, in order.
    pub approvals: Vec<String>,
    pub approved_by: String,
    pub status: RunStatus,
    pub steps: Vec<StepRow>,
}

/// The device isolation: contained after approval, then its rollback asked for by the case's
/// owner and decided by the approver.
#[derive(Debug, Clone, Serialize)]
pub struct IsolationOutcome {
    pub run: String,
    pub case: String,
    pub host: Option<String>,
    /// Who approved the containment step, if anyone did.
    pub contain_approved_by: Option<String>,
    /// Whether a contain step succeeded.
    pub contained: bool,
    pub status: RunStatus,
    /// Who asked for the rollback, if anyone did.
    pub rollback_requested_by: Option<String>,
    /// Who approved the rollback, if anyone did.
    pub rollback_approved_by: Option<String>,
    /// The inverse actions, as stored.
    pub rollback_actions: Vec<String>,
    pub rollback: RollbackStatus,
    /// The rollback's error, when it failed.
    pub rollback_error: Option<String>,
    pub steps: Vec<StepRow>,
}

/// Response: the pilot playbooks on the queue, through the vendor sandbox.
#[derive(Debug, Clone, Serialize)]
pub struct RespondOutcome {
    /// Ticket keys the ticket playbook opened.
    pub tickets: Vec<String>,
    /// Runs the automation started on the queue.
    pub triggered: usize,
    pub account_reset: Option<ApprovedRun>,
    /// The cloud-credential playbook on the first cloud case that waits for it.
    pub cloud_credential: Option<ApprovedRun>,
    pub isolation: Option<IsolationOutcome>,
    /// Every run, as stored after the step.
    pub runs: Vec<RunRow>,
    pub waiting_approvals: usize,
    pub automation: AutomationRate,
    /// The sandbox's connector settings and secrets files.
    pub connectors: String,
    pub secrets: String,
}

/// One incident's ground truth: the training label the analyst follows.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentTruth {
    pub incident: String,
    pub label: Disposition,
}

/// One case the analysts worked.
#[derive(Debug, Clone, Serialize)]
pub struct WorkedCase {
    pub case: String,
    pub owner: String,
    pub truth: Vec<IncidentTruth>,
    pub acknowledged: bool,
    /// The disposition given, when the case was resolved.
    pub disposition: Option<Disposition>,
}

/// The simulated analysts' work on the queue.
#[derive(Debug, Clone, Serialize)]
pub struct WorkOutcome {
    pub error_rate: f64,
    /// Every incident's training label, counted (`true_positive`, `benign_true_positive`,
    /// `false_positive`): those the machine closed as benign included, which reach no analyst.
    pub incidents_by_truth: BTreeMap<String, usize>,
    pub cases: Vec<WorkedCase>,
    pub acknowledged: usize,
    pub resolved: usize,
    pub true_positives: usize,
    pub benign_true_positives: usize,
    pub false_positives: usize,
    pub left_open: usize,
}

/// A hunt run over the lake.
#[derive(Debug, Clone, Serialize)]
pub struct HuntOutcome {
    pub title: String,
    pub sql: String,
    pub columns: Vec<String>,
    pub row_count: usize,
    /// One JSON object per row.
    pub rows: Vec<Value>,
}

/// The hunts over weeks of the pilot's period: what the run did and the strongest hypotheses.
#[derive(Debug, Clone, Serialize)]
pub struct WeeksOutcome {
    pub run: crate::hypotheses::HuntRun,
    pub top: Vec<vigil_hunt::Hypothesis>,
}

/// The top case's packet, exported and verified offline.
#[derive(Debug, Clone, Serialize)]
pub struct PacketOutcome {
    pub case: String,
    pub packet: String,
    pub export: vigil_vault::Exported,
    pub public_key: String,
    pub public_key_path: String,
    pub verify: vigil_evidence::packet::VerifyReport,
    /// The other resolved cases whose packets were exported.
    pub more_packets: Vec<String>,
    pub packets_dir: String,
}

/// The executive brief, issued and acknowledged.
#[derive(Debug, Clone, Serialize)]
pub struct BriefOutcome {
    pub id: String,
    pub case: String,
    pub path: String,
    pub issued_by: String,
    pub acknowledged_by: Option<String>,
    /// From issue to acknowledgement.
    pub time_to_decision_ms: Option<i64>,
}

/// The weekly scorecard, published.
#[derive(Debug, Clone, Serialize)]
pub struct ScorecardOutcome {
    pub dir: String,
    pub week: String,
    pub scorecard: vigil_metrics::Scorecard,
    pub vault_sha256: String,
}

/// Evidence: the packet, SOC 2 coverage over the pilot's period, the brief, the scorecard.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceOutcome {
    #[serde(rename = "evidence")]
    pub packet: Option<PacketOutcome>,
    pub coverage: vigil_compliance::CoverageSummary,
    pub brief: Option<BriefOutcome>,
    pub scorecard: ScorecardOutcome,
}

/// Everything the pilot did, step by step.
#[derive(Debug, Clone, Serialize)]
pub struct PilotReport {
    pub dir: String,
    pub data_dir: String,
    pub simulation: SimulateOutcome,
    #[serde(flatten)]
    pub ingest: IngestOutcome,
    pub triage: TriageOutcome,
    pub response: RespondOutcome,
    pub work: WorkOutcome,
    pub hunts: Vec<HuntOutcome>,
    pub hypotheses: WeeksOutcome,
    #[serde(flatten)]
    pub evidence: EvidenceOutcome,
    pub seconds: f64,
}

/// The report, and the vendor sandbox the playbooks talk to (kept alive for whoever serves the
/// pilot's data next).
pub struct PilotRun {
    pub report: PilotReport,
    pub sandbox: Option<Sandbox>,
}

/// The pilot's on-call roster: who takes new cases, by team.
pub fn roster() -> vigil_queue::Roster {
    let mut teams = BTreeMap::new();
    teams.insert("identity".to_string(), vec!["maya.iam".to_string(), "omar.iam".to_string()]);
    teams.insert("cloud".to_string(), vec!["lena.cloud".to_string(), "raj.cloud".to_string()]);
    teams.insert("endpoint".to_string(), vec!["sam.edr".to_string(), "kim.edr".to_string()]);
    vigil_queue::Roster { teams }
}

/// The disposition a simulated analyst gives a case from its incidents' training labels: a true
/// positive when any is, else a false positive when any is, else a benign true positive; none
/// when the case holds no labeled incident.
pub fn case_disposition(labels: &[Disposition]) -> Option<Disposition> {
    [Disposition::TruePositive, Disposition::FalsePositive, Disposition::BenignTruePositive]
        .into_iter()
        .find(|d| labels.contains(d))
}

fn internal<E: std::fmt::Display>(what: impl std::fmt::Display) -> impl FnOnce(E) -> AppError {
    move |e| AppError::Internal(format!("{what}: {e}"))
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(path, bytes).map_err(internal(path.display()))
}

fn shown(p: &Path) -> String {
    p.display().to_string()
}

/// The pilot in progress: its directories, its application, and what each step left for the
/// next. Run the steps in [`STEPS`] order; a step whose input is missing says which step to run.
pub struct Pilot {
    cfg: PilotConfig,
    app: App,
    sim_dir: PathBuf,
    data_dir: PathBuf,
    started: Instant,
    sim: Option<SimulateOutcome>,
    labels: Vec<Label>,
    detection: Option<Detection>,
    sandbox: Option<Sandbox>,
    /// The simulated people, each signed in through an API token of their own.
    people: std::cell::RefCell<HashMap<String, Caller>>,
}

impl Pilot {
    /// Prepares `cfg.dir`: a previous pilot's data directory is replaced; a directory there that
    /// is not Vigil's is refused, and nothing else is touched.
    pub fn new(cfg: PilotConfig) -> Result<Pilot> {
        let sim_dir = cfg.dir.join("sim");
        let data_dir = cfg.dir.join("data");
        if data_dir.exists() {
            let empty = std::fs::read_dir(&data_dir).map_err(internal(data_dir.display()))?.next().is_none();
            if !data_dir.join("state.db").exists() && !empty {
                return Err(AppError::Invalid(format!(
                    "{} exists and is not a Vigil data directory; choose another directory",
                    data_dir.display()
                )));
            }
            std::fs::remove_dir_all(&data_dir).map_err(internal(format!("clearing {}", data_dir.display())))?;
        }
        let app = App::new(&data_dir);
        Ok(Pilot {
            cfg,
            app,
            sim_dir,
            data_dir,
            started: Instant::now(),
            sim: None,
            labels: Vec::new(),
            detection: None,
            sandbox: None,
            people: Default::default(),
        })
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    fn who(&self) -> Caller {
        Caller::local(ACTOR)
    }

    /// A simulated person, acting as a Vigil user of their own: the pilot (an administrator of
    /// its data directory) creates the user and mints a token, and the person is whoever that
    /// token authenticates — the path `VIGIL_TOKEN` takes at the shell, so approvals are held to
    /// the four-eyes rule like anyone's.
    fn person(&self, username: &str, roles: &[vigil_auth::Role]) -> Result<Caller> {
        if let Some(c) = self.people.borrow().get(username) {
            return Ok(c.clone());
        }
        let admin = self.who();
        let user = crate::admin::NewUser {
            username: username.to_string(),
            display_name: format!("{username} (simulated)"),
            roles: roles.to_vec(),
            password: vigil_auth::random_password(),
        };
        self.app.create_or_reset_user(&admin, &user)?;
        let token = crate::admin::NewToken {
            owner: Some(username.to_string()),
            name: "pilot".into(),
            roles: roles.to_vec(),
            days: Some(1),
        };
        let (secret, _) = self.app.create_token(&admin, &token)?;
        let caller = self.app.authenticate_token(&secret)?;
        self.people.borrow_mut().insert(username.to_string(), caller.clone());
        Ok(caller)
    }

    /// A case owner of the simulated team: works cases, disposes of them, runs playbooks.
    fn analyst(&self, username: &str) -> Result<Caller> {
        self.person(username, &[vigil_auth::Role::Analyst, vigil_auth::Role::Responder])
    }

    fn need<'a, T>(v: &'a Option<T>, step: &str) -> Result<&'a T> {
        v.as_ref().ok_or_else(|| AppError::Invalid(format!("run the pilot's {step} step first")))
    }

    /// Writes the simulated company's logs, labels and inventory under `sim/`.
    pub fn simulate(&mut self, say: &dyn Fn(&str)) -> Result<SimulateOutcome> {
        let c = &self.cfg.sim;
        say(&format!("[1/7] simulating {} users × {} days (seed {}) …", c.users, c.days, c.seed));
        let t = Instant::now();
        let s = vigil_sim::simulate(c, &self.sim_dir)
            .map_err(internal(format!("simulating into {}", self.sim_dir.display())))?;
        let by_source = s.records_by_source();
        let out = SimulateOutcome {
            dir: shown(&self.sim_dir),
            seed: c.seed,
            users: c.users,
            days: c.days,
            start: c.start.to_string(),
            events: s.events,
            bytes: s.bytes,
            files: s.files.len(),
            by_source,
            scenarios: s.scenarios.iter().cloned().collect(),
            labels_path: shown(&self.sim_dir.join(&s.labels_path)),
            labels_file: s.labels_path,
            seconds: t.elapsed().as_secs_f64(),
        };
        self.sim = Some(out.clone());
        Ok(out)
    }

    /// Ingests the simulated logs with detection on (`App::ingest`), checks the labels against
    /// the lake and scores the alerts against them.
    pub fn ingest(&mut self, say: &dyn Fn(&str)) -> Result<IngestOutcome> {
        let sim = Self::need(&self.sim, "simulate")?.clone();
        let detection = DetectionConfig { rules: self.cfg.rules.clone(), ..DetectionConfig::default() }.load()?;
        let summary = detection.pack.summary();
        let behavioral = detection.behavior.as_ref().map_or(0, |b| b.detections.len());
        say(&format!(
            "[2/7] ingesting {} records with {} Sigma rules active ({} loaded, the others have no log source here) and {} behavioral detections …",
            sim.events,
            detection.detector.active_rules(),
            summary.rules + summary.correlations,
            behavioral
        ));
        // The vendor logs only: labels.jsonl and inventory.json are ground truth and context.
        let logs: Vec<PathBuf> =
            ["okta", "aws", "windows", "zeek"].iter().map(|d| self.sim_dir.join(d)).filter(|p| p.exists()).collect();
        let opts = IngestOptions {
            threads: self.cfg.threads.max(1),
            progress: self.cfg.progress.clone(),
            args: "vigil demo".into(),
            ..IngestOptions::default()
        };
        let report = self.app.ingest(&self.who(), &logs, Some(&detection), opts)?;

        let labels_path = PathBuf::from(&sim.labels_path);
        let text = std::fs::read_to_string(&labels_path).map_err(internal(labels_path.display()))?;
        let labels = vigil_model::read_labels(&text)
            .map_err(|e| AppError::Invalid(format!("{}: {e}", labels_path.display())))?;
        let mut ids = Vec::new();
        let mut by_scenario: BTreeMap<String, u64> = BTreeMap::new();
        for l in &labels {
            *by_scenario.entry(l.scenario.clone()).or_default() += 1;
            for id in &l.event_ids {
                ids.push(EventId::parse(id).ok_or_else(|| {
                    AppError::Invalid(format!("{}: instance {}: bad event id {id}", labels_path.display(), l.instance))
                })?);
            }
        }
        let mut store = self.app.store()?;
        let missing = store.unseen(&ids)?.iter().filter(|u| **u).count();
        let check = LabelCheck {
            instances: labels.len(),
            by_scenario,
            labeled_events: ids.len(),
            labeled_events_in_lake: ids.len() - missing,
        };

        let alerts = vigil_queue::stored_alerts(&store)?;
        let scored = vigil_detect::eval::evaluate(&labels, &alerts);
        let mut top: Vec<&Alert> = alerts.iter().filter(|a| a.rule.level >= Level::High).collect();
        top.sort_by(|a, b| b.rule.level.cmp(&a.rule.level).then(a.time.cmp(&b.time)));
        let out = IngestOutcome {
            rules: RulesOutcome {
                summary,
                detector_active: detection.detector.active_rules(),
                behavioral,
                paths: self.cfg.rules.iter().map(|p| shown(p)).collect(),
            },
            alerts: AlertsOutcome {
                total: report.alerts,
                by_level: report.alerts_by_level.clone(),
                by_rule: report.alerts_by_rule.clone(),
                eval: AlertEval {
                    detected_instances: scored.detected_instances,
                    instances: scored.instances,
                    false_positive_alerts: scored.false_positive_alerts,
                    scenarios: scored
                        .scenarios
                        .iter()
                        .map(|s| ScenarioScore {
                            scenario: s.name.clone(),
                            precision: s.precision,
                            recall: s.recall,
                            f1: s.f1,
                        })
                        .collect(),
                },
                highest: top
                    .iter()
                    .take(8)
                    .map(|a| AlertLine {
                        level: a.rule.level.as_str().to_string(),
                        time: a.time,
                        explanation: a.explanation.clone(),
                    })
                    .collect(),
            },
            report,
            labels: check,
        };
        self.labels = labels;
        self.detection = Some(detection);
        Ok(out)
    }

    /// The inventory (`App::load_inventory`), the roster (`App::set_roster`), a triage model
    /// learned from the labeled first weeks, then triage (`App::triage`).
    pub fn triage(&mut self, say: &dyn Fn(&str)) -> Result<TriageOutcome> {
        Self::need(&self.detection, "ingest")?;
        say("[3/7] triaging: inventory, roster, model, incidents, verdicts, cases …");
        let who = self.who();
        let inv_path = self.sim_dir.join("inventory.json");
        let inv_text = std::fs::read_to_string(&inv_path).map_err(internal(inv_path.display()))?;
        let inventory_entities = self.app.load_inventory(&who, &inv_text)?;
        let roster = roster();
        self.app.set_roster(&who, &roster)?;
        // The model learns from the labeled first weeks (`App::train_model`). A pilot too small to
        // hold both true and false positives in them has no model; triage then decides on the
        // risk score alone.
        let (model, no_model) = match self.app.train_model(&who, Some(&self.labels), TRAIN_FRACTION, ANALYST_ERROR_RATE)
        {
            Ok(m) => (Some(m), None),
            Err(e) => {
                say(&format!("      no triage model: {e}"));
                (None, Some(e.to_string()))
            }
        };
        let run = self.app.triage(&who)?;
        let now = self.app.now_ms();
        let store = self.app.store()?;
        let (eval, _) = vigil_queue::evaluate(&store, &self.labels, now)?;
        let policy = self.app.sla_policy()?;
        let incidents = self.app.incidents(&who, true)?;
        let cases = self.app.all_cases(&who)?;
        let case_of =
            |inc: &str| cases.iter().find(|c| c.merged_into.is_none() && c.incidents.iter().any(|i| i == inc));
        let queue = incidents
            .iter()
            .filter(|i| i.queued)
            .map(|i| {
                let c = case_of(&i.id);
                QueueRow {
                    incident: i.id.clone(),
                    title: i.title.clone(),
                    risk: i.risk.score,
                    verdict: i.verdict.verdict.as_str().to_string(),
                    missing: i.verdict.missing.clone(),
                    case: c.map(|c| c.id.clone()),
                    owner: c.and_then(|c| c.owner.clone()),
                    sla: c.map(|c| c.sla_view(&policy, now)),
                }
            })
            .collect();
        let inconclusive =
            incidents.iter().find(|i| i.verdict.verdict == vigil_triage::VerdictKind::Inconclusive).map(|i| {
                Inconclusive {
                    incident: i.id.clone(),
                    summary: i.verdict.summary.clone(),
                    missing: i.verdict.missing.clone(),
                }
            });
        Ok(TriageOutcome {
            inventory_entities,
            roster: roster.teams,
            model,
            no_model,
            train_fraction: TRAIN_FRACTION,
            error_rate: ANALYST_ERROR_RATE,
            run,
            eval,
            queue,
            inconclusive,
        })
    }

    /// The pilot playbooks on the queue against a local sandbox standing in for the company's
    /// Okta, CrowdStrike, Jira and Slack: the automation starts them (`App::trigger_playbooks`);
    /// the approver approves the account reset's and the isolation's waiting steps
    /// (`App::decide`); the isolated case's owner asks for the isolation to be rolled back
    /// (`App::rollback_run`), and the approver approves that too.
    pub fn respond(&mut self, say: &dyn Fn(&str)) -> Result<RespondOutcome> {
        say("[4/7] responding: pilot playbooks (ticket, account reset, cloud credential, device isolation) …");
        let viewer = self.who();
        let sandbox = Sandbox::start().map_err(internal("starting the vendor sandbox"))?;
        let cases = self.app.all_cases(&viewer)?;
        // Each vendor knows what is its own: Okta the identity-provider accounts, Falcon the
        // hosts, IAM the cloud principals and their access keys (with the admin policy the
        // attacker attached) — each entity resolved to its kind as the playbooks resolve it.
        {
            use vigil_respond::target::{TargetKind, iam_user_name};
            let store = self.app.store()?;
            let raw_inventory = vigil_queue::inventory_json(&store).ok().flatten();
            let respond_err =
                |e: vigil_respond::RespondError| AppError::Internal(format!("resolving case entities: {e}"));
            for c in &cases {
                for t in vigil_respond::engine::resolved_entities(&store, &c.id).map_err(respond_err)? {
                    match t.kind {
                        TargetKind::IdpUser => {
                            sandbox.seed_user(&t.value, &t.value, "ACTIVE");
                            sandbox.seed_factor(&t.value, "push");
                        }
                        TargetKind::Host => {
                            // Falcon knows hosts by a device id (aid) and their short name.
                            let h = t.value.as_str();
                            let hex = vigil_queue::sha256_hex(h.as_bytes());
                            let aid = hex.get(..32).unwrap_or(&hex);
                            sandbox.seed_device(aid, h.split('.').next().unwrap_or(h));
                        }
                        TargetKind::CloudPrincipal => {
                            if let Some(user) = iam_user_name(&t.value) {
                                sandbox.seed_iam_user(&user, &[ADMIN_POLICY]);
                            }
                        }
                        TargetKind::AccessKey => {
                            if let Some(user) = vigil_respond::engine::key_owner(raw_inventory.as_ref(), &t.value) {
                                sandbox.seed_iam_user(&user, &[ADMIN_POLICY]);
                                sandbox.seed_key(&user, &t.value, "Active");
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        let (connectors, secrets) =
            sandbox.write_settings(&self.cfg.dir).map_err(internal("writing the sandbox settings"))?;
        let rcfg = ResponseConfig {
            playbooks: Vec::new(),
            connectors: Some(connectors.clone()),
            secrets: Some(secrets.clone()),
        };
        self.sandbox = Some(sandbox);

        let triggered = self.app.trigger_playbooks(&Caller::automation(vigil_respond::engine::AUTOMATION), &rcfg)?;
        let tickets: Vec<String> = triggered
            .iter()
            .filter(|r| r.playbook.id == "ticket-open")
            .filter_map(|r| r.steps.first()?.outcome.as_ref()?.output.get("key")?.as_str().map(str::to_string))
            .collect();

        let account_reset =
            match triggered.iter().find(|r| r.playbook.id == "account-reset" && r.status == RunStatus::WaitingApproval)
            {
                Some(r) => {
                    let approvals = self.approve_waiting(&rcfg, r, "takeover confirmed with the user's manager")?;
                    let done = self.app.run(&viewer, &r.id)?;
                    Some(ApprovedRun {
                        run: done.id.clone(),
                        case: done.case_id.clone(),
                        target: done.inputs.get("user").and_then(Value::as_str).map(str::to_string),
                        approvals,
                        approved_by: APPROVER.into(),
                        status: done.status,
                        steps: RunRow::of(&done).steps,
                    })
                }
                None => None,
            };

        // The attacker's cloud credential: its key deactivated and the admin policy detached.
        let cloud_credential = match triggered
            .iter()
            .find(|r| r.playbook.id == "cloud-credential" && r.status == RunStatus::WaitingApproval)
        {
            Some(r) => {
                let approvals = self.approve_waiting(&rcfg, r, "key and policy not ours: created by the attacker")?;
                let done = self.app.run(&viewer, &r.id)?;
                let target = ["iam_user", "access_key"]
                    .iter()
                    .filter_map(|k| done.inputs.get(*k).and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(" ");
                Some(ApprovedRun {
                    run: done.id.clone(),
                    case: done.case_id.clone(),
                    target: (!target.is_empty()).then_some(target),
                    approvals,
                    approved_by: APPROVER.into(),
                    status: done.status,
                    steps: RunRow::of(&done).steps,
                })
            }
            None => None,
        };

        let isolation = match triggered
            .iter()
            .find(|r| r.playbook.id == "device-isolation" && r.status == RunStatus::WaitingApproval)
        {
            Some(r) => Some(self.isolate_and_release(&rcfg, r, &cases)?),
            None => None,
        };

        let runs = self.app.runs(&viewer, None)?;
        let waiting_approvals = self.app.approvals(&viewer, false)?.len();
        let automation = self.app.automation_rate(&viewer)?;
        Ok(RespondOutcome {
            tickets,
            triggered: triggered.len(),
            account_reset,
            cloud_credential,
            isolation,
            runs: runs.iter().rev().map(RunRow::of).collect(),
            waiting_approvals,
            automation,
            connectors: shown(&connectors),
            secrets: shown(&secrets),
        })
    }

    /// The approver approves every request of `run` that waits, one after another as the run
    /// advances; returns the approval ids decided.
    fn approve_waiting(&self, rcfg: &ResponseConfig, run: &Run, note: &str) -> Result<Vec<String>> {
        let viewer = self.who();
        let mut decided = Vec::new();
        // Each approval lets the run advance to at most one more waiting step (or rollback).
        for _ in 0..=run.steps.len() {
            let Some(a) = self.app.approvals(&viewer, false)?.into_iter().find(|a| a.run_id == run.id) else {
                break;
            };
            self.app.decide(
                &self.person(APPROVER, &[vigil_auth::Role::Approver])?,
                rcfg,
                &a.id,
                Decision::Approve { note: note.to_string(), inputs: None },
            )?;
            decided.push(a.id);
        }
        Ok(decided)
    }

    fn isolate_and_release(
        &self,
        rcfg: &ResponseConfig,
        run: &Run,
        cases: &[vigil_cases::Case],
    ) -> Result<IsolationOutcome> {
        let viewer = self.who();
        self.approve_waiting(rcfg, run, "encryption seen on the host")?;
        let isolated = self.app.run(&viewer, &run.id)?;
        // The case's owner finds a backup job, not ransomware, and asks for the release.
        let mut requested_by = None;
        if contained(&isolated) {
            let owner = cases
                .iter()
                .find(|c| c.id == run.case_id)
                .and_then(|c| c.owner.clone())
                .unwrap_or_else(|| ACTOR.to_string());
            self.app.rollback_run(&self.analyst(&owner)?, rcfg, &run.id, None)?;
            requested_by = Some(owner);
            self.approve_waiting(rcfg, run, "backup job, not ransomware: release")?;
        }
        let done = self.app.run(&viewer, &run.id)?;
        let approvals: Vec<vigil_respond::Approval> =
            self.app.approvals(&viewer, true)?.into_iter().filter(|a| a.run_id == run.id).collect();
        let approved = |purpose: &str| {
            approvals
                .iter()
                .filter(|a| a.purpose == purpose && a.status == ApprovalStatus::Approved)
                .find_map(|a| a.decided_by.clone())
        };
        let records: Vec<&vigil_respond::engine::RollbackRecord> =
            done.steps.iter().filter_map(|s| s.rollback.as_ref()).collect();
        Ok(IsolationOutcome {
            run: done.id.clone(),
            case: done.case_id.clone(),
            host: done.inputs.get("host").and_then(Value::as_str).map(str::to_string),
            contain_approved_by: approved("step"),
            contained: contained(&done),
            status: done.status,
            rollback_requested_by: records.first().map(|r| r.requested_by.clone()).or(requested_by),
            rollback_approved_by: approved("rollback"),
            rollback_actions: records.iter().map(|r| r.action.clone()).collect(),
            rollback: RollbackStatus::of(&done),
            rollback_error: records.iter().find_map(|r| r.error.clone()),
            steps: RunRow::of(&done).steps,
        })
    }

    /// The simulated analysts work the queue: each queued case is acknowledged by its owner
    /// (`CaseOp::Acknowledge`), then all but the last [`LEFT_OPEN`] by risk are resolved
    /// (`CaseOp::Resolve`) with the disposition the model's training labels give its incidents.
    pub fn work_queue(&mut self, say: &dyn Fn(&str)) -> Result<WorkOutcome> {
        Self::need(&self.detection, "ingest")?;
        say("[5/7] the analysts work the queue: acknowledge, resolve with dispositions …");
        let viewer = self.who();
        let incidents = self.app.incidents(&viewer, true)?;
        let alerts = vigil_queue::stored_alerts(&self.app.store()?)?;
        let truth = vigil_triage::truth::dispositions(&incidents, &alerts, &self.labels, ANALYST_ERROR_RATE);
        let cases = self.app.all_cases(&viewer)?;
        let mut queue: Vec<&vigil_cases::Case> = Vec::new();
        for i in incidents.iter().filter(|i| i.queued) {
            if let Some(c) = cases.iter().find(|c| c.merged_into.is_none() && c.incidents.contains(&i.id))
                && !queue.iter().any(|q| q.id == c.id)
            {
                queue.push(c);
            }
        }
        // First every owner acknowledges their cases (the acknowledge clock stops), then works
        // through them by risk, resolving all but the last few.
        let mut worked = Vec::new();
        for case in &queue {
            let owner = case.owner.clone().unwrap_or_else(|| ACTOR.to_string());
            self.app.case_op(&self.analyst(&owner)?, &case.id, &CaseOp::Acknowledge)?;
            let labels = incident_truth(&case.incidents, &truth)?;
            worked.push(WorkedCase {
                case: case.id.clone(),
                owner,
                truth: labels,
                acknowledged: true,
                disposition: None,
            });
        }
        let to_resolve = worked.len().saturating_sub(LEFT_OPEN);
        for w in worked.iter_mut().take(to_resolve) {
            let Some(d) = case_disposition(&w.truth.iter().map(|t| t.label).collect::<Vec<_>>()) else { continue };
            let note = match d {
                Disposition::TruePositive => "confirmed attack (simulated analyst)",
                Disposition::BenignTruePositive => {
                    "the detection saw what it describes; sanctioned (simulated analyst)"
                }
                _ => "benign activity (simulated analyst)",
            };
            let op = CaseOp::Resolve { disposition: d, note: note.into() };
            let resolved = self.app.case_op(&self.analyst(&w.owner)?, &w.case, &op)?;
            w.disposition = resolved.disposition.as_ref().map(|r| r.disposition);
        }
        let count = |d: Disposition| worked.iter().filter(|w| w.disposition == Some(d)).count();
        let resolved = worked.iter().filter(|w| w.disposition.is_some()).count();
        let mut incidents_by_truth = BTreeMap::new();
        for label in truth.values() {
            *incidents_by_truth.entry(label.to_string()).or_default() += 1;
        }
        Ok(WorkOutcome {
            error_rate: ANALYST_ERROR_RATE,
            incidents_by_truth,
            acknowledged: worked.iter().filter(|w| w.acknowledged).count(),
            resolved,
            true_positives: count(Disposition::TruePositive),
            benign_true_positives: count(Disposition::BenignTruePositive),
            false_positives: count(Disposition::FalsePositive),
            left_open: worked.len() - resolved,
            cases: worked,
        })
    }

    /// The built-in hunts over the lake (`App::hunt`, each audited), then the hunts over weeks
    /// over the whole simulated period (`App::run_hunts`), whose hypotheses are kept.
    pub fn hunt(&mut self, say: &dyn Fn(&str)) -> Result<(Vec<HuntOutcome>, WeeksOutcome)> {
        say("[6/7] hunting over the lake …");
        let mut out = Vec::new();
        for (title, sql) in crate::hunts::BUILTIN {
            let r = self.app.hunt(&self.who(), sql, None)?;
            out.push(HuntOutcome {
                title: title.to_string(),
                sql: sql.to_string(),
                columns: r.columns.clone(),
                row_count: r.rows(),
                rows: r.to_json_rows().map_err(internal(format!("hunt {title:?}")))?,
            });
        }
        let days = self.sim.as_ref().map_or(14, |s| i64::from(s.days)).max(1);
        let run = self.app.run_hunts(&self.who(), days, &[])?;
        let mut top = self.app.hypotheses(&self.who(), false)?;
        top.sort_by(|a, b| b.draft.score.partial_cmp(&a.draft.score).unwrap_or(std::cmp::Ordering::Equal));
        top.truncate(3);
        Ok((out, WeeksOutcome { run, top }))
    }

    /// The top case's incident packet, exported into the vault (`App::export_case`) and verified
    /// offline with the ledger's public key, a packet for every other resolved case, SOC 2
    /// coverage over the pilot's period (`App::coverage`), the executive brief for the top case
    /// issued by its owner and acknowledged by the executive (`App::issue_brief`,
    /// `App::acknowledge_brief`), and the weekly scorecard (`App::publish_scorecard`).
    pub fn evidence(&mut self, say: &dyn Fn(&str)) -> Result<EvidenceOutcome> {
        Self::need(&self.detection, "ingest")?;
        let sim = Self::need(&self.sim, "simulate")?;
        say("[7/7] evidence and the scorecard: packets, coverage, the executive brief, the scorecard …");
        let who = self.who();
        let catalog = vigil_compliance::Catalog::builtin().map_err(internal("the compliance catalog"))?;
        let queued = self.app.incidents(&who, false)?;
        let cases = self.app.all_cases(&who)?;
        let first = queued
            .iter()
            .find_map(|i| cases.iter().find(|c| c.merged_into.is_none() && c.incidents.contains(&i.id)))
            .or(cases.first());
        let dir = &self.cfg.dir;

        let mut packet = None;
        if let Some(case) = first {
            let opts = vigil_vault::ExportOptions::default();
            let (bytes, export) = self.app.export_case(&who, &case.id, &catalog, &opts)?;
            let packets = dir.join("packets");
            std::fs::create_dir_all(&packets).map_err(internal(packets.display()))?;
            let packet_path = packets.join(format!("{}.zip", case.id));
            write(&packet_path, &bytes)?;
            let key = vigil_vault::ledger::load_or_create_key(&self.data_dir)?.public_key_hex();
            let key_path = dir.join("ledger-public-key.txt");
            write(&key_path, format!("{key}\n"))?;
            // A signed checkpoint kept outside the data directory, so `audit verify --witness`
            // anchors the ledger to something the store alone cannot rewrite.
            let checkpoint = self.app.signed_checkpoint()?;
            let witness = dir.join("ledger.witness");
            // The pilot starts a new ledger (and key) each run: an old witness is of another log.
            match std::fs::remove_file(&witness) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(AppError::Internal(format!("{}: {e}", witness.display())));
                }
                _ => {}
            }
            vigil_vault::ledger::append_witness(&witness, &[checkpoint])
                .map_err(|e| AppError::Internal(format!("{}: {e}", witness.display())))?;
            let verify = vigil_evidence::packet::verify_packet(&bytes, Some(&key), &[]);
            if !verify.ok() {
                return Err(AppError::Internal(format!("the pilot's packet does not verify: {:?}", verify.problems)));
            }
            // The other resolved cases' packets, for evidence completeness.
            let mut more = Vec::new();
            for c in self.app.all_cases(&who)? {
                if c.id != case.id && c.times.resolved_ms.is_some() && c.merged_into.is_none() {
                    let (bytes, _) = self.app.export_case(&who, &c.id, &catalog, &opts)?;
                    write(&packets.join(format!("{}.zip", c.id)), &bytes)?;
                    more.push(c.id);
                }
            }
            packet = Some(PacketOutcome {
                case: case.id.clone(),
                packet: shown(&packet_path),
                export,
                public_key: key,
                public_key_path: shown(&key_path),
                verify,
                more_packets: more,
                packets_dir: shown(&packets),
            });
        }

        let from = self.cfg.sim.start.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or(0);
        let to = (from + i64::from(sim.days) * 86_400_000).max(self.app.now_ms());
        let detection = DetectionConfig { rules: self.cfg.rules.clone(), ..DetectionConfig::default() };
        let coverage = self.app.coverage(&who, &catalog, &detection, "SOC2", from, to)?.summary;

        let mut brief = None;
        if let Some(case) = first {
            let issuer = case.owner.clone().unwrap_or_else(|| ACTOR.to_string());
            let (b, html) = self.app.issue_brief(&self.analyst(&issuer)?, &case.id)?;
            let path = dir.join(format!("{}.html", b.id));
            write(&path, html)?;
            let acked = self.app.acknowledge_brief(&self.person(EXECUTIVE, &[vigil_auth::Role::Executive])?, &b.id)?;
            brief = Some(BriefOutcome {
                id: b.id.clone(),
                case: case.id.clone(),
                path: shown(&path),
                issued_by: b.issued_by.clone(),
                acknowledged_by: acked.acknowledged_by.clone(),
                time_to_decision_ms: acked.acknowledged_ms.map(|t| t - acked.issued_ms),
            });
        }

        let week = self.app.this_week()?;
        let labeled: BTreeSet<String> = self.labels.iter().flat_map(|l| l.event_ids.iter().cloned()).collect();
        // The trend reaches back to the simulated days, however long ago they were (`--start`),
        // so the scorecard shows the weeks its alerts fall in: 8 weeks at least, 52 at most.
        let sim_start_ms =
            self.cfg.sim.start.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or(week.from_ms);
        let back = usize::try_from((week.from_ms - sim_start_ms).max(0) / (7 * 86_400_000) + 1).unwrap_or(52);
        let published = self.app.publish_scorecard(
            &who,
            &week,
            back.clamp(8, 52),
            "Pilot scorecard (simulated company)",
            Some(&labeled),
        )?;
        let sc_dir = dir.join("scorecard");
        std::fs::create_dir_all(&sc_dir).map_err(internal(sc_dir.display()))?;
        write(&sc_dir.join("scorecard.html"), &published.html)?;
        write(&sc_dir.join("scorecard.md"), &published.markdown)?;
        let json = serde_json::to_string_pretty(&published.json).map_err(internal("the scorecard's JSON"))?;
        write(&sc_dir.join("scorecard.json"), json)?;
        Ok(EvidenceOutcome {
            packet,
            coverage,
            brief,
            scorecard: ScorecardOutcome {
                dir: shown(&sc_dir),
                week: week.label.clone(),
                scorecard: published.scorecard,
                vault_sha256: published.vault_sha256,
            },
        })
    }

    /// The sandbox the playbooks talk to, handed over (it stops when dropped).
    pub fn take_sandbox(&mut self) -> Option<Sandbox> {
        self.sandbox.take()
    }
}

/// Whether a contain (or destructive) step of the run succeeded.
fn contained(run: &Run) -> bool {
    run.steps.iter().any(|s| {
        s.status == StepStatus::Succeeded
            && matches!(s.class, vigil_connectors::ActionClass::Contain | vigil_connectors::ActionClass::Destructive)
    })
}

/// Each of `incidents`' training label, in order; an incident the truth does not know is left
/// out (it was regrouped since).
fn incident_truth(incidents: &[String], truth: &HashMap<String, &'static str>) -> Result<Vec<IncidentTruth>> {
    let mut out = Vec::new();
    for id in incidents {
        if let Some(label) = truth.get(id) {
            let label = label
                .parse::<Disposition>()
                .map_err(|e| AppError::Internal(format!("the ground truth's label for {id}: {e}")))?;
            out.push(IncidentTruth { incident: id.clone(), label });
        }
    }
    Ok(out)
}

/// Runs every step of the pilot in order and returns what each did, with the sandbox the
/// playbooks talked to.
pub fn run_pilot(cfg: PilotConfig, say: &dyn Fn(&str)) -> Result<PilotRun> {
    let mut p = Pilot::new(cfg)?;
    let simulation = p.simulate(say)?;
    let ingest = p.ingest(say)?;
    let triage = p.triage(say)?;
    let response = p.respond(say)?;
    let work = p.work_queue(say)?;
    let (hunts, hypotheses) = p.hunt(say)?;
    let evidence = p.evidence(say)?;
    let report = PilotReport {
        dir: shown(&p.cfg.dir),
        data_dir: shown(&p.data_dir),
        simulation,
        ingest,
        triage,
        response,
        work,
        hunts,
        hypotheses,
        evidence,
        seconds: p.started.elapsed().as_secs_f64(),
    };
    Ok(PilotRun { report, sandbox: p.take_sandbox() })
}

//! The `vigil` command: every building block reached from one binary.
//!
//! Owns: argument parsing (clap), the global `--data-dir` and `--json` options, progress bars, and
//! rendering reports as text or JSON. Must not: hold logic a library crate should own; each
//! subcommand is a thin call into `vigil-pipeline`, `vigil-query`, `vigil-store` or `vigil-sim`.

mod admin;
mod assistant;
mod bench;
mod connect;
mod demo;
mod detect;
mod evidence;
mod hunt;
mod loadcheck;
mod output;
mod playbook;
mod queue;
mod report;
mod serve;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use vigil_pipeline::{DataDir, IngestOptions, Progress};
use vigil_store::{QuarantineQuery, StateStore};

#[derive(Parser)]
#[command(name = "vigil", version, about = "Vigil: an open-source AI SOC in one binary", propagate_version = true)]
struct Cli {
    /// Where Vigil keeps its lake and state.
    #[arg(long, global = true, env = "VIGIL_DATA_DIR", default_value = "vigil-data")]
    data_dir: PathBuf,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// No progress bars.
    #[arg(long, global = true)]
    no_progress: bool,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of the largest variant (`serve`'s settings) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Ingest log files and directories (gzip, zip and tar opened) into the lake.
    Ingest {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, default_value = "auto", help = vigil_decode::Format::help(), long_help = vigil_decode::Format::long_help())]
        format: vigil_decode::Format,
        /// Decode workers (1 = everything on one thread).
        #[arg(long, default_value_t = default_threads())]
        threads: usize,
        /// Records larger than this many bytes are quarantined.
        #[arg(long, default_value_t = 4 << 20)]
        max_record_bytes: usize,
        /// Evaluate rules on new events as they arrive and store the alerts (Vigil's built-in
        /// rules are on by default; --rules adds Sigma rule files or directories).
        #[command(flatten)]
        rules: detect::RuleArgs,
        /// Ingest without evaluating any rule.
        #[arg(long)]
        no_detect: bool,
    },
    /// Scan event files offline with Sigma rules; print alerts, store nothing.
    Detect {
        #[command(flatten)]
        rules: detect::RuleArgs,
        /// Event files or directories (any format `vigil ingest` reads).
        #[arg(required = true)]
        events: Vec<PathBuf>,
        #[arg(long, default_value = "auto", help = vigil_decode::Format::help(), long_help = vigil_decode::Format::long_help())]
        format: vigil_decode::Format,
        /// Decode workers (1 = everything on one thread).
        #[arg(long, default_value_t = default_threads())]
        threads: usize,
        /// Alerts as OCSF Detection Findings (class 2004), one JSON object per line.
        #[arg(long)]
        ocsf: bool,
        /// Most alerts shown in the table (all of them go out with --json).
        #[arg(long, default_value_t = 200)]
        limit: usize,
    },
    /// Sigma rule packs.
    Rules {
        #[command(subcommand)]
        command: detect::RulesCommand,
    },
    /// Score the stored alerts against labeled attacks: precision, recall and F1 per scenario
    /// and per detection (`vigil eval --labels …`); or score the assistant on a question set
    /// (`vigil eval assistant --questions …`).
    #[command(args_conflicts_with_subcommands = true)]
    Eval {
        /// Labels, one JSON object per line with `scenario` and `event_ids` (the simulator's labels.jsonl).
        #[arg(long, required = true)]
        labels: Option<PathBuf>,
        #[command(subcommand)]
        what: Option<EvalCommand>,
    },
    /// Triage the stored alerts: dedupe, group into incidents, score, decide, open cases; then
    /// investigate the highest-risk queued incidents that have no current investigation.
    Triage {
        /// Investigate at most this many queued incidents after triage (0: none; `vigil
        /// investigate --pending` or `vigil serve` do the rest).
        #[arg(long, default_value_t = 10)]
        investigate: usize,
    },
    /// Incidents: the queue, one incident's work, merge, split, reopen.
    Incidents {
        #[command(subcommand)]
        command: queue::IncidentsCommand,
    },
    /// Cases: list, show, assign, comment, acknowledge, move, resolve, SLA.
    Case {
        #[command(subcommand)]
        command: queue::CaseCommand,
    },
    /// The supervised triage model.
    Model {
        #[command(subcommand)]
        command: queue::ModelCommand,
    },
    /// Suppressions, with their impact preview.
    Suppress {
        #[command(subcommand)]
        command: queue::SuppressCommand,
    },
    /// The asset and identity inventory triage scores entities with.
    Inventory {
        #[command(subcommand)]
        command: queue::InventoryCommand,
    },
    /// The audit log: every action of a person, the automation and the model.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Verify an incident packet offline: hashes, signature, inclusion proofs, checkpoint
    /// consistency. Needs nothing but the packet (and the public key you trust).
    Verify {
        /// The packet (a zip written by `vigil case export`).
        packet: PathBuf,
        /// The Vigil public key you trust (64 hex digits, or a file holding them).
        #[arg(long, conflicts_with = "key_fingerprint")]
        public_key: Option<String>,
        /// Or its SHA-256 fingerprint (`vigil audit public-key` prints it). Without either, the
        /// packet does not verify: anyone can sign a packet with a key of their own.
        #[arg(long)]
        key_fingerprint: Option<String>,
        /// Checkpoints you already hold (a checkpoint JSON or an earlier packet): each must be
        /// consistent with this packet's, or the log was rewritten.
        #[arg(long = "known")]
        known: Vec<PathBuf>,
    },
    /// The evidence vault: artifacts by SHA-256 with scope tags, legal holds, retention.
    Evidence {
        #[command(subcommand)]
        command: evidence::EvidenceCommand,
    },
    /// Compliance frameworks, mappings and the coverage report.
    Compliance {
        #[command(subcommand)]
        command: evidence::ComplianceCommand,
    },
    /// Publish the scorecard for a week (or a period): HTML with charts, Markdown, JSON.
    Scorecard {
        /// An ISO week, `2026-W47` (default: this week).
        #[arg(long)]
        week: Option<String>,
        /// Start of a period instead of a week (YYYY-MM-DD or RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// End of the period (default: now).
        #[arg(long)]
        to: Option<String>,
        /// Weeks of trend before the period.
        #[arg(long, default_value_t = 8)]
        weeks: usize,
        /// Directory for scorecard.html, .md and .json (default ./scorecard-<period>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Ground truth (labels.jsonl) for the labeled true/false-positive rates.
        #[arg(long)]
        labels: Option<PathBuf>,
        /// The scorecard's title.
        #[arg(long, default_value = "Vigil weekly scorecard")]
        title: String,
    },
    /// Executive briefs: issue one for a case, acknowledge, list.
    Brief {
        #[command(subcommand)]
        command: report::BriefCommand,
    },
    /// Response playbooks: check, list, run (or dry-run), approve, deny, roll back, resume.
    Playbook {
        #[command(subcommand)]
        command: playbook::PlaybookCommand,
    },
    /// Write ground truth for a corpus where each file records one attack: one label per file
    /// (JSON lines, the shape `vigil eval --labels` reads).
    LabelsByFile {
        /// Files or directories; each file is one attack sample.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, default_value = "auto", help = vigil_decode::Format::help(), long_help = vigil_decode::Format::long_help())]
        format: vigil_decode::Format,
        /// Where the labels (JSON lines) are written.
        #[arg(long)]
        out: PathBuf,
    },
    /// What behavioral detections have learned.
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// Alerts stored by ingest.
    Alerts {
        #[command(subcommand)]
        command: detect::AlertsCommand,
    },
    /// Run SQL over the lake (tables: events, and one per OCSF class; see `vigil tables`).
    Query {
        /// One SQL statement (read-only; DataFusion's dialect).
        sql: String,
    },
    /// Ask the assistant: it answers from this directory's data with a citation for every
    /// sentence, or says "I do not know" with what it looked at and what data would answer.
    Ask {
        /// The question, in plain words.
        question: String,
        /// Asked about this case (as from its page).
        #[arg(long, conflicts_with_all = ["incident", "alert"])]
        case: Option<String>,
        /// Asked about this incident.
        #[arg(long, conflicts_with = "alert")]
        incident: Option<String>,
        /// Asked about this alert.
        #[arg(long)]
        alert: Option<String>,
        /// An OpenAI-compatible model to plan and phrase with (a JSON file: endpoint, model,
        /// api_key_env, …; see ASSISTANT.md). Off this machine, identifiers are redacted first.
        #[arg(long, env = "VIGIL_ASSISTANT_MODEL")]
        model: Option<PathBuf>,
    },
    /// Investigate an incident as an L2 analyst would: per entity the inventory, baselines and
    /// first sightings; one timeline across sources with the decisive events marked and why; the
    /// blast radius; what is unknown; next steps (playbooks whose trigger matches, hunts); a
    /// summary whose every sentence cites the facts it rests on.
    ///
    /// The investigation kept since triage is shown while it still describes the incident;
    /// otherwise one is made now and kept.
    Investigate {
        /// The incident (`INC-…`).
        #[arg(required_unless_present = "pending", conflicts_with = "pending")]
        incident: Option<String>,
        /// Investigate again even when the kept investigation is current.
        #[arg(long)]
        fresh: bool,
        /// Investigate every queued incident without a current investigation, highest risk
        /// first (what `vigil serve` does after each triage).
        #[arg(long)]
        pending: bool,
        /// With `--pending`: at most this many.
        #[arg(long, default_value_t = usize::MAX, hide_default_value = true, requires = "pending")]
        max: usize,
    },
    /// Hunting over weeks: run the weak-signal hunts (stacking, rarity, low-and-slow) over the
    /// lake and work the hypotheses they propose (take, dismiss with a reason, promote to a case).
    #[command(args_conflicts_with_subcommands = true)]
    Hunt {
        /// Retro-hunt: run this Sigma rule file over the lake's past (`--since`); what it matches
        /// becomes hypotheses, not alerts.
        #[arg(long)]
        sigma: Option<PathBuf>,
        /// How far back a retro-hunt reads: `90d`, `6w` or a number of days.
        #[arg(long, default_value = "90d", requires = "sigma")]
        since: String,
        #[command(subcommand)]
        action: Option<hunt::HuntAction>,
    },
    /// Your conversation with the assistant: the questions you asked and the answers, oldest
    /// first (`--json`: the whole record, for export).
    Conversation {
        /// The last this many turns.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// The tables `vigil query` knows, with their columns.
    Tables,
    /// Records that could not be decoded.
    Quarantine {
        #[command(subcommand)]
        command: QuarantineCommand,
    },
    /// Ingested files and their checkpoints (size, SHA-256, counts of the latest ingest of each);
    /// with `--live`, the live sources' health (last success, lag, events, errors, blind spots).
    Sources {
        /// The live sources' health instead of the ingested files.
        #[arg(long)]
        live: bool,
    },
    /// Live sources: vendors' log APIs Vigil polls with a read-only credential (add, list, test, remove).
    Connect {
        #[command(subcommand)]
        command: connect::ConnectCommand,
    },
    /// Polls live sources now (every source, or those named), each to its end, through the same
    /// pipeline as `vigil ingest`; the cursor is committed with each page's events.
    Poll {
        /// Sources to poll (all when none is named).
        names: Vec<String>,
        /// At most this many pages per source.
        #[arg(long, default_value_t = 1000)]
        max_pages: u32,
        /// Secrets (`NAME=value` lines or a JSON object); `VIGIL_SECRET_<NAME>` variables too.
        #[arg(long, env = "VIGIL_SECRETS_FILE")]
        secrets: Option<PathBuf>,
        /// What polled events are detected with: the same flags as `vigil ingest`.
        #[command(flatten)]
        rules: detect::RuleArgs,
        /// Store events only, without detection.
        #[arg(long)]
        no_detect: bool,
    },
    /// What the data directory holds.
    Status,
    /// Generate a simulated company's logs (Okta, CloudTrail, Windows, Zeek) with labeled attacks.
    Simulate {
        /// The same seed and window give the same company, byte for byte.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Days of activity.
        #[arg(long, default_value_t = 14)]
        days: u32,
        /// People in the company.
        #[arg(long, default_value_t = 200)]
        users: u32,
        /// First simulated day (YYYY-MM-DD).
        #[arg(long)]
        start: Option<chrono::NaiveDate>,
        /// Only these scenarios (comma separated); default: every one the period fits (slow_exfiltration,
        /// dormant_service_weekly and vendor_scope_creep need --days 42 or more).
        #[arg(long, value_delimiter = ',')]
        scenarios: Vec<String>,
        /// Where the logs, labels and inventory are written.
        #[arg(long)]
        out: PathBuf,
    },
    /// The pilot in one command: simulate a company, ingest it with detection on, triage it into
    /// cases, respond through a vendor sandbox under approval, work the queue, hunt, export
    /// verified evidence and the scorecard; with --serve, browse it all in the web app.
    Demo {
        /// Everything the demo writes stays under this directory.
        #[arg(long, default_value = "vigil-demo")]
        dir: PathBuf,
        /// The simulated company's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Days of simulated activity.
        #[arg(long, default_value_t = 14)]
        days: u32,
        /// People in the simulated company.
        #[arg(long, default_value_t = 200)]
        users: u32,
        /// First simulated day (YYYY-MM-DD); by default the days end at the present.
        #[arg(long)]
        start: Option<chrono::NaiveDate>,
        /// Decode workers for ingest.
        #[arg(long, default_value_t = default_threads())]
        threads: usize,
        /// Sigma rules to run besides Vigil's built-in ones (a SigmaHQ checkout's `rules/`, say):
        /// the ones whose logsource the simulated logs satisfy fire as events arrive.
        #[arg(long = "rules", value_name = "PATH")]
        rules: Vec<PathBuf>,
        /// After the pilot run, serve the web app on the demo's data.
        #[arg(long)]
        serve: bool,
        /// Where `--serve` listens.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
    },
    /// Serve the REST API, HTTP ingest (JSON lines, Splunk HEC) and the web app.
    Serve {
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Leave `Secure` off the session cookie (plain HTTP off loopback; not for production).
        #[arg(long)]
        insecure_cookies: bool,
        /// What events ingested over HTTP are detected with: the same flags as `vigil ingest`.
        #[command(flatten)]
        rules: detect::RuleArgs,
        /// Playbooks, connector settings and secrets for response.
        #[command(flatten)]
        playbooks: playbook::PlaybookArgs,
        /// HTTPS and connection limits.
        #[command(flatten)]
        server: serve::ServerArgs,
        /// Single sign-on: an OpenID Connect settings file (JSON; see SERVER.md).
        #[arg(long, value_name = "FILE", env = "VIGIL_SSO")]
        sso: Option<std::path::PathBuf>,
    },
    /// Users of the web app and the API: list, create, disable, enable, reset a password.
    User {
        #[command(subcommand)]
        command: admin::UserCommand,
    },
    /// Browser sessions: forget those long over.
    Sessions {
        #[command(subcommand)]
        command: admin::SessionsCommand,
    },
    /// Measure ingest throughput against the parse-only floor.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// The latest entries, oldest first.
    List {
        /// How many entries.
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// Recompute the Merkle tree over every entry and check it against every signed
    /// checkpoint, and against a witness file kept outside the data directory; check the
    /// vault's artifacts against their hashes.
    ///
    /// Exit status: 0 — verified, and the log extends every witnessed checkpoint; 1 — a
    /// problem (a rewritten, removed or truncated entry, a witnessed checkpoint missing from
    /// or contradicted by the log, removed checkpoints, a bad signature); 3 — UNANCHORED: no
    /// problem found, but no --witness was given, so only checkpoints kept in the same
    /// database were checked (whoever rewrites the log can rewrite those too).
    Verify {
        /// The public key to check the checkpoints with (default: this data directory's).
        #[arg(long)]
        public_key: Option<String>,
        /// A witness file (from `vigil audit witness`, `audit checkpoint --witness` or
        /// VIGIL_WITNESS): the log must extend every checkpoint in it. Repeatable.
        #[arg(long = "witness")]
        witness: Vec<PathBuf>,
    },
    /// Sign a checkpoint (tree head) of the log as it is now.
    Checkpoint {
        /// Also append the checkpoint to this witness file (keep it outside the data directory).
        #[arg(long)]
        witness: Option<PathBuf>,
    },
    /// Sign a checkpoint of the log as it is now and append it to a witness file, for the
    /// admin to keep outside the data directory (`vigil audit verify --witness <file>`).
    Witness {
        /// The witness file (created, or appended to).
        #[arg(long)]
        out: PathBuf,
        /// Also every earlier checkpoint in the store.
        #[arg(long)]
        all: bool,
    },
    /// Print (or write) the public key auditors verify packets with.
    PublicKey {
        /// Write it to this file instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum BaselineCommand {
    /// The baselines, first-seen sets and recent locations kept for a user, key, host or address.
    Show {
        /// The user, access key, host or address.
        entity: String,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Ask every question of a set and score each answer: answered correctly, declined
    /// correctly, wrong, or fabricated (a claim its citations do not support); citation
    /// precision and latency. `--json` prints the totals; `--report` writes them with every
    /// miss as Markdown.
    Assistant {
        /// The question set (JSON lines); with --generate, where to write one.
        #[arg(long)]
        questions: PathBuf,
        /// Make the question set from this data directory and the simulator's labels instead
        /// of scoring (the answers are computed from the labels, the lake and the store).
        #[arg(long, requires = "generate_labels")]
        generate: bool,
        /// The simulator's labels.jsonl, for --generate.
        #[arg(long = "labels", id = "generate_labels")]
        labels: Option<PathBuf>,
        /// Write the report as Markdown here too.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Fail (exit 1) unless at least this share of answerable questions is answered
        /// correctly, every unanswerable one is declined and none is fabricated.
        #[arg(long)]
        require: Option<f64>,
        /// Score the assistant with this model (as `vigil ask --model`).
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Run every hunt over weeks and score it on labeled slow attacks: is each named by a
    /// hypothesis (recall), and how many hypotheses a week an analyst is handed (load).
    Hunting {
        /// Labels, one JSON object per line with `scenario` and `entities` (the simulator's
        /// labels.jsonl).
        #[arg(long)]
        labels: PathBuf,
        /// How far back the hunts look: days (`90d`) or weeks (`13w`).
        #[arg(long, default_value = "90d")]
        since: String,
    },
    /// Investigate the incidents of every labeled attack and score them: the attack's events
    /// marked decisive, its users, hosts and keys named, and summary sentences that do not hold
    /// (fabricated, must be 0).
    Investigations {
        /// Labels, one JSON object per line with `scenario`, `event_ids` and `entities` (the
        /// simulator's labels.jsonl).
        #[arg(long)]
        labels: PathBuf,
    },
}

#[derive(Subcommand)]
enum QuarantineCommand {
    /// List quarantined records with the reason and where they were.
    List {
        /// Only records whose source contains this text.
        #[arg(long)]
        source: Option<String>,
        /// Only records of this ingest run.
        #[arg(long)]
        run: Option<i64>,
        /// Most records shown.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Records to skip (for paging).
        #[arg(long, default_value_t = 0)]
        offset: usize,
    },
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn main() {
    // Behave like other Unix tools when the reader of our output goes away (`vigil … | head`):
    // end quietly instead of failing on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("VIGIL_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let audited = audited_command(&cli.command).map(|name| (name, cli.data_dir.clone()));
    let (who, result) = match &audited {
        Some((_, data_dir)) => match identify(data_dir) {
            Ok(who) => {
                let result = run(cli, &who);
                (who, result)
            }
            Err(e) => (shell_caller(), Err(e)),
        },
        None => {
            let who = shell_caller();
            let result = run(cli, &who);
            (who, result)
        }
    };
    if let Some((name, data_dir)) = audited {
        record_invocation(name, &data_dir, &who, &result);
    }
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        if let (vigil_app::Caller::Local { .. }, Some(vigil_app::AppError::Forbidden { needs: "approve", .. })) =
            (&who, e.downcast_ref::<vigil_app::AppError>())
        {
            eprintln!(
                "approving is a named person's act: set VIGIL_TOKEN to a token of a user who holds the approver role \
                 (an admin mints one with `vigil user token create <user> --name cli --roles approver`)"
            );
        }
        std::process::exit(evidence::exit_code(&e));
    }
}

/// The commands that read or change a data directory; each invocation goes on its audit log.
fn audited_command(c: &Command) -> Option<&'static str> {
    Some(match c {
        Command::Ingest { .. } => "ingest",
        Command::Query { .. } => "query",
        Command::Ask { .. } => "ask",
        Command::Investigate { .. } => "investigate",
        Command::Hunt { .. } => "hunt",
        Command::Conversation { .. } => "conversation",
        Command::Quarantine { .. } => "quarantine",
        Command::Sources { .. } => "sources",
        Command::Connect { .. } => "connect",
        Command::Poll { .. } => "poll",
        Command::Status => "status",
        Command::Rules { .. } => "rules",
        Command::Alerts { .. } => "alerts",
        Command::Eval { .. } => "eval",
        Command::Triage { .. } => "triage",
        Command::Incidents { .. } => "incidents",
        Command::Case { .. } => "case",
        Command::Model { .. } => "model",
        Command::Suppress { .. } => "suppress",
        Command::Inventory { .. } => "inventory",
        Command::Audit { .. } => "audit",
        Command::Baseline { .. } => "baseline",
        Command::Evidence { .. } => "evidence",
        Command::Compliance { .. } => "compliance",
        Command::Playbook { .. } => "playbook",
        Command::Scorecard { .. } => "scorecard",
        Command::Brief { .. } => "brief",
        Command::Serve { .. } => "serve",
        Command::User { .. } => "user",
        Command::Sessions { .. } => "sessions",
        _ => return None,
    })
}

/// Appends `cli.<command>` with the arguments and the outcome to the data directory's audit log,
/// then signs a checkpoint over the log as this command leaves it (only when the directory holds
/// a store: a typo in `--data-dir` does not create one).
fn record_invocation(name: &str, data_dir: &std::path::Path, who: &vigil_app::Caller, result: &Result<()>) {
    let args: String = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    let outcome = match result {
        Ok(()) => Ok(()),
        Err(e) => Err(format!("{e:#}")),
    };
    let app = vigil_app::App::new(data_dir);
    if let Err(e) = app.record_invocation(who, &format!("cli.{name}"), &args, outcome) {
        eprintln!("warning: could not record this command on the audit log: {e:#}");
    }
}

/// Who runs a command on a data directory: the Vigil user whose API token `VIGIL_TOKEN` holds
/// (checked against the directory's identities: unknown, revoked, expired or disabled tokens are
/// refused), or else the operating-system account at the shell, recorded as `local:<account>`.
/// The shell may do what the directory's files allow, except approve a response step: four-eyes
/// approval needs a person, so `vigil playbook approve` needs an approver's token.
fn identify(data_dir: &std::path::Path) -> Result<vigil_app::Caller> {
    match std::env::var("VIGIL_TOKEN") {
        Ok(token) if !token.trim().is_empty() => vigil_app::App::new(data_dir)
            .authenticate_token(token.trim())
            .context("VIGIL_TOKEN is not a token this data directory accepts"),
        _ => Ok(shell_caller()),
    }
}

/// The operating-system account running `vigil`, as the name recorded for it: `local:<account>`.
/// The prefix keeps it apart from every Vigil user (whose names cannot hold a colon).
fn shell_caller() -> vigil_app::Caller {
    vigil_app::Caller::local(&format!("local:{}", os_account()))
}

#[cfg(unix)]
fn os_account() -> String {
    // SAFETY: getuid cannot fail; getpwuid_r writes into buffers we own and sized.
    unsafe {
        let uid = libc::getuid();
        let mut pw: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 4096];
        let mut out: *mut libc::passwd = std::ptr::null_mut();
        if libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut out) == 0
            && !out.is_null()
            && !pw.pw_name.is_null()
        {
            let name = std::ffi::CStr::from_ptr(pw.pw_name).to_string_lossy().into_owned();
            if !name.is_empty() {
                return name;
            }
        }
        format!("uid{uid}")
    }
}

#[cfg(not(unix))]
fn os_account() -> String {
    std::env::var("USERNAME").unwrap_or_else(|_| "unknown".into())
}

fn run(cli: Cli, who: &vigil_app::Caller) -> Result<()> {
    let dir = DataDir::new(&cli.data_dir);
    let show_progress = !cli.no_progress && !cli.json && std::io::stderr().is_terminal();
    match cli.command {
        Command::Ingest { paths, format, threads, max_record_bytes, rules, no_detect } => {
            if threads == 0 {
                bail!("--threads must be at least 1");
            }
            let detection = if no_detect { None } else { Some(rules.detection()?) };
            let progress = Arc::new(Progress::default());
            let opts = IngestOptions {
                format,
                threads,
                max_record_bytes,
                progress: Some(progress.clone()),
                args: std::env::args().collect::<Vec<_>>().join(" "),
                ..IngestOptions::default()
            };
            let bar = show_progress.then(|| output::progress_bar(progress.clone()));
            let app = vigil_app::App::new(&cli.data_dir);
            let report = app.ingest(who, &paths, detection.as_ref(), opts);
            if let Some((bar, stop)) = bar {
                stop.store(true, Ordering::Relaxed);
                let _ = bar.join();
            }
            let report = report.context("ingest failed")?;
            output::ingest_report(&report, cli.json)
        }
        Command::Query { sql } => {
            let app = vigil_app::App::new(&cli.data_dir);
            let result = app.hunt(who, &sql, None)?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&result.to_json_rows()?)?);
            } else {
                println!("{}", result.to_table()?);
            }
            Ok(())
        }
        Command::Hunt { sigma, since, action } => {
            let app = vigil_app::App::new(&cli.data_dir);
            match (sigma, action) {
                (Some(rule), _) => hunt::retro(&app, who, &rule, &since, cli.json),
                (None, Some(action)) => hunt::run(&app, who, action, cli.json),
                (None, None) => bail!(
                    "say what to hunt: `vigil hunt run`, `vigil hunt --sigma RULE.yml --since 90d`, or `vigil hunt --help`"
                ),
            }
        }
        Command::Investigate { incident, fresh, pending, max } => {
            let app = vigil_app::App::new(&cli.data_dir);
            let response = vigil_app::respond::ResponseConfig::default();
            let Some(incident) = incident.filter(|_| !pending) else {
                let run = vigil_assistant::investigate::investigate_pending(&app, who, &response, max, &|| false)?;
                if cli.json {
                    println!("{}", serde_json::to_string_pretty(&run)?);
                } else {
                    println!("{}", queue::pending_line(&run));
                }
                return if run.failed.is_empty() {
                    Ok(())
                } else {
                    Err(anyhow::anyhow!("{} investigations failed", run.failed.len()))
                };
            };
            let (record, kept) = vigil_assistant::investigate::kept_or_new(&app, who, &incident, &response, fresh)?;
            if !cli.json && kept {
                eprintln!(
                    "(kept since {} by {}; --fresh investigates again)",
                    output::clean(&vigil_assistant::fact::fmt_ms(record.made_ms)),
                    output::clean(&record.made_by)
                );
            }
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&record)?);
            } else {
                // Event data may hold control characters: never let them reach the terminal.
                for line in record.to_text().lines() {
                    println!("{}", output::clean(line));
                }
            }
            Ok(())
        }
        Command::Ask { question, case, incident, alert, model } => {
            use vigil_assistant::CaseOrIncident as C;
            let context = case.map(C::Case).or(incident.map(C::Incident)).or(alert.map(C::Alert));
            let app = vigil_app::App::new(&cli.data_dir);
            let client = assistant::model_client(model.as_deref())?;
            let answer = vigil_assistant::ask_using(&app, who, &question, context, client.as_ref())?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&answer)?);
            } else {
                print!("{}", answer.to_text());
            }
            Ok(())
        }
        Command::Conversation { limit } => {
            let app = vigil_app::App::new(&cli.data_dir);
            let turns = vigil_assistant::conversation(&app, who, limit)?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&turns)?);
            } else {
                for t in &turns {
                    let a: vigil_assistant::Answer = serde_json::from_value(t.answer.clone())?;
                    println!("[{}] Q: {}", vigil_assistant::fact::fmt_ms(t.at_ms), a.question);
                    for line in a.to_text().lines() {
                        println!("    {line}");
                    }
                }
            }
            Ok(())
        }
        Command::Tables => {
            let schema = vigil_lake::schema();
            let cols: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
            if cli.json {
                let tables: Vec<_> = vigil_query::QueryEngine::tables()
                    .into_iter()
                    .map(|t| serde_json::json!({"table": t, "columns": cols}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&tables)?);
            } else {
                println!("tables: {}", vigil_query::QueryEngine::tables().join(", "));
                println!("columns (every table): {}", cols.join(", "));
            }
            Ok(())
        }
        Command::Quarantine { command: QuarantineCommand::List { source, run, limit, offset } } => {
            let store = dir.open_store()?;
            let query = QuarantineQuery { source, run_id: run, limit, offset };
            let rows = store.quarantine(&query)?;
            let total = store.quarantine_count_matching(&query)?;
            output::quarantine(&rows, total, cli.json)
        }
        Command::Sources { live: false } => {
            let store = dir.open_store()?;
            output::sources(&store.sources()?, cli.json)
        }
        Command::Sources { live: true } => {
            let app = vigil_app::App::new(&cli.data_dir);
            let rows = app.sources_health(who)?;
            connect::health(&rows, app.now_ms(), cli.json)
        }
        Command::Connect { command } => {
            let app = vigil_app::App::new(&cli.data_dir);
            connect::run(&app, who, command, cli.json)
        }
        Command::Poll { names, max_pages, secrets, rules, no_detect } => {
            let app = vigil_app::App::new(&cli.data_dir);
            let detection = if no_detect { None } else { Some(rules.detection()?) };
            let cfg = vigil_app::respond::ResponseConfig { secrets, ..Default::default() };
            connect::poll(&app, who, names, &cfg, detection.as_ref(), max_pages, cli.json)
        }
        Command::Status => {
            let store = dir.open_store()?;
            let files = store.lake_files()?;
            let status = serde_json::json!({
                "data_dir": dir.root().display().to_string(),
                "events": store.event_count()?,
                "lake_files": files.len(),
                "lake_bytes": files.iter().map(|f| f.bytes).sum::<u64>(),
                "quarantined": store.quarantine_count()?,
                "sources": store.sources()?.len(),
                "runs": store.runs()?.len(),
                "schema_version": store.schema_version()?,
            });
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else if let Some(m) = status.as_object() {
                for (k, v) in m {
                    println!("{k:>15}  {v}");
                }
            }
            Ok(())
        }
        Command::Bench { command } => bench::run(command, &cli.data_dir, cli.json),
        Command::User { command } => admin::user(&dir, command, who, cli.json),
        Command::Sessions { command } => admin::sessions(&dir, command, who, cli.json),
        Command::Detect { rules, events, format, threads, ocsf, limit } => detect::detect(
            detect::DetectArgs { rules, events, format, threads, ocsf, limit_table: limit },
            cli.json,
            show_progress,
        ),
        Command::Rules { command } => detect::rules(command, &dir, cli.json),
        Command::Alerts { command } => detect::alerts(&dir, command, cli.json),
        Command::Eval {
            what: Some(EvalCommand::Assistant { questions, generate, labels, report, require, model }),
            ..
        } => {
            let app = vigil_app::App::new(&cli.data_dir);
            let opts = assistant::EvalOptions { generate, labels, report, require, model };
            assistant::eval(&app, &questions, &opts, cli.json)
        }
        Command::Eval { what: Some(EvalCommand::Hunting { labels, since }), .. } => {
            let app = vigil_app::App::new(&cli.data_dir);
            hunt::eval(&app, who, &labels, &since, cli.json)
        }
        Command::Eval { what: Some(EvalCommand::Investigations { labels }), .. } => {
            let app = vigil_app::App::new(&cli.data_dir);
            assistant::eval_investigations(&app, who, &labels, cli.json)
        }
        Command::Eval { labels: Some(labels), what: None } => detect::eval(&dir, &labels, cli.json),
        Command::Eval { labels: None, what: None } => anyhow::bail!("vigil eval needs --labels FILE, or a subcommand"),
        Command::Triage { investigate } => queue::triage(&dir, who, investigate, cli.json),
        Command::LabelsByFile { paths, format, out } => {
            let labels = vigil_pipeline::detect::labels_by_file(&paths, format)?;
            let mut text = String::new();
            for l in &labels {
                text.push_str(&serde_json::to_string(l)?);
                text.push('\n');
            }
            std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
            println!("{} labels (one per file with events) written to {}", labels.len(), out.display());
            Ok(())
        }
        Command::Incidents { command } => queue::incidents(&dir, command, who, cli.json),
        Command::Case { command } => queue::case(&dir, command, who, cli.json),
        Command::Model { command } => queue::model(&dir, command, who, cli.json),
        Command::Suppress { command } => queue::suppress(&dir, command, who, cli.json),
        Command::Inventory { command } => queue::inventory(&dir, command, who, cli.json),
        Command::Audit { command: AuditCommand::List { limit } } => queue::audit(&dir, who, limit, cli.json),
        Command::Audit { command: AuditCommand::Verify { public_key, witness } } => {
            evidence::audit_verify(&dir, who, public_key.as_deref(), &witness, cli.json)
        }
        Command::Audit { command: AuditCommand::Checkpoint { witness } } => {
            evidence::audit_checkpoint(&dir, who, witness.as_deref(), cli.json)
        }
        Command::Audit { command: AuditCommand::Witness { out, all } } => {
            evidence::audit_witness(&dir, who, &out, all, cli.json)
        }
        Command::Audit { command: AuditCommand::PublicKey { out } } => {
            evidence::public_key(&dir, out.as_deref(), cli.json)
        }
        Command::Verify { packet, public_key, key_fingerprint, known } => {
            if !evidence::verify(&packet, public_key.as_deref(), key_fingerprint.as_deref(), &known, cli.json)? {
                bail!("{} does not verify", packet.display());
            }
            Ok(())
        }
        Command::Evidence { command } => evidence::evidence(&dir, command, who, cli.json),
        Command::Compliance { command } => evidence::compliance(&dir, command, who, cli.json),
        Command::Playbook { command } => playbook::playbook(&dir, command, who, cli.json),
        Command::Scorecard { week, from, to, weeks, out, labels, title } => {
            report::scorecard(&dir, week, from, to, weeks, out, labels, &title, who, cli.json)
        }
        Command::Brief { command } => report::brief(&dir, command, who, cli.json),
        Command::Baseline { command: BaselineCommand::Show { entity } } => {
            detect::baseline_show(&dir, who, &entity, cli.json)
        }
        Command::Simulate { seed, days, users, start, scenarios, out } => {
            demo::simulate(&demo::SimArgs { seed, days, users, start, scenarios }, &out, cli.json)
        }
        Command::Demo { dir, seed, days, users, start, threads, rules, serve, listen } => {
            let args = demo::DemoArgs {
                dir: dir.clone(),
                sim: demo::SimArgs { seed, days, users, start, scenarios: Vec::new() },
                threads: threads.max(1),
                rules: rules.clone(),
            };
            let outcome = demo::demo(&args, cli.json, show_progress)?;
            if !serve {
                return Ok(());
            }
            let data = dir.join("data");
            let creds = serve::demo_users(&DataDir::new(&data))?;
            println!();
            println!("Serving the demo at http://{listen}");
            println!("Demo credentials (new each run):");
            for (user, pw, roles) in &creds {
                println!("  {user:<10} {pw:<22} {roles}");
            }
            let mut config = vigil_server::Config::new(&data);
            config.detection.rules = rules;
            // The playbooks keep talking to the demo's vendor sandbox while serving.
            config.response.connectors = outcome.connectors.clone();
            config.response.secrets = outcome.secrets.clone();
            let _sandbox = outcome.sandbox;
            serve::run(config, listen)
        }
        Command::Serve { listen, insecure_cookies, rules, playbooks, server, sso } => {
            serve::serve(&cli.data_dir, listen, insecure_cookies, rules, playbooks, server, sso.as_deref())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every command and every option says what it is for in `--help`.
    #[test]
    fn every_subcommand_and_option_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let here = format!("{path} {}", cmd.get_name());
            if cmd.get_about().is_none() && !path.is_empty() {
                missing.push(format!("{here}: no description"));
            }
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{here} <{id}>: no help"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_name() != "help" {
                    walk(sub, &here, missing);
                }
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "{} without help:\n{}", missing.len(), missing.join("\n"));
    }
}

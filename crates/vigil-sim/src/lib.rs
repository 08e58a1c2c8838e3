//! A deterministic simulated company that writes vendor-format security logs with labeled attacks.
//!
//! Owns: generating a seeded, realistic mid-size company (people with departments, roles, home
//! cities, time zones and working hours; laptops and servers; two AWS accounts with buckets, IAM
//! users, roles and keys; Okta apps and groups; three vendors with Okta identities and OAuth apps),
//! its benign activity over a period (diurnal and weekly rhythm, business travel, VPN egress
//! abroad, failed sign-ins, admin work, installs, backups, CI), a catalogue of injected attacks,
//! and writing all of it as files in the vendors' own formats — Okta System Log JSON lines,
//! CloudTrail `{"Records":[…]}` files, Windows Security/System/Sysmon events as the `evtx` crate
//! renders them, Zeek `conn`/`dns` JSON logs — plus `labels.jsonl` (the ground truth: which records
//! belong to which attack, by the event ids the decoders compute) and `inventory.json`.
//!
//! The attacks ([`ScenarioKind`]) are eleven that fit a period of any length — impossible travel,
//! MFA fatigue, a dormant admin, a public bucket, a risky IAM policy, an exposed access key,
//! ransomware, lateral movement, an insider download, exfiltration to personal cloud, a vendor
//! compromise — and three slow ones that need six weeks ([`ScenarioKind::SLOW_MIN_DAYS`]) and
//! that no single event or single day gives away: small weekly transfers to one new destination
//! (`slow_exfiltration`), a retired service user's dormant key used once a week from one new
//! network (`dormant_service_weekly`), and a vendor reading a little more each week
//! (`vendor_scope_creep`). An empty selection means every scenario the period fits, so periods
//! under six weeks come out exactly as they did before the slow scenarios existed.
//!
//! Must not: read real data, decode or normalize anything, or touch storage. It only writes files.
//! Output depends only on [`SimConfig`]: the same seed and parameters (start date included) give
//! byte-identical files (ChaCha8 streams derived from the seed; no wall clock, no hash-map
//! iteration order). Only [`SimConfig::default`] and [`SimConfig::ending_now`] read the clock, to
//! place the period right before today.
//!
//! Layout under the output directory:
//!
//! ```text
//! okta/system_log.jsonl
//! aws/cloudtrail/<account>_CloudTrail_<region>_<YYYYMMDD>T<HHMM>Z_<hash>.json
//! windows/<hostname>.jsonl
//! zeek/conn.jsonl, zeek/dns.jsonl
//! labels.jsonl
//! inventory.json
//! ```
//!
//! The simulator owns `okta/`, `aws/cloudtrail/`, `windows/` and `zeek/` under the output
//! directory: stale `.json`/`.jsonl` files a previous run left there are removed.

// Generators take the random stream, the sink and the pieces of one event as plain arguments.
#![allow(clippy::too_many_arguments)]

mod aws;
mod background;
mod catalog;
mod company;
mod emit;
mod geo;
mod json;
mod okta;
mod ops;
mod output;
mod plan;
mod scenarios;
mod util;
mod win;
mod zeek;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, NaiveDate};
use serde::Serialize;

use crate::background::Bg;
use crate::company::Company;
use crate::emit::{Emitter, Rec};
use crate::json::{J, obj};
use crate::output::{Out, io_err};
use crate::plan::Plans;
use crate::scenarios::Scenarios;
use crate::util::{DAY, HOUR, Ts, fmt_ts};

/// What to simulate.
///
/// The period is `days` whole UTC days from `start`. [`SimConfig::default`] (and
/// [`SimConfig::ending_now`]) put it right before the current UTC day, so the simulated
/// logs end at the present; set `start` (or use [`SimConfig::ending_on`]) to pin the period
/// for reproducible output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Everything random derives from this.
    pub seed: u64,
    /// Length of the period in days (1..=3660).
    pub days: u32,
    /// Number of employees (at least 10); service accounts, dormant accounts and vendor
    /// identities come on top.
    pub users: u32,
    /// First day of the period (UTC).
    pub start: NaiveDate,
    /// Attacks to inject; empty means every one the period fits
    /// ([`ScenarioKind::defaults_for`]): the slow ones only from
    /// [`ScenarioKind::SLOW_MIN_DAYS`] days. Naming a slow one for a shorter period is an error.
    pub scenarios: Vec<ScenarioKind>,
}

impl SimConfig {
    /// The default length of the period, in days.
    pub const DEFAULT_DAYS: u32 = 14;

    /// A fixed first day, 2026-10-05 (a Monday), for runs that must not depend on the date.
    pub fn fixed_start() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, 5).unwrap_or_default()
    }

    /// The default company over `days` whole UTC days that end where `end` begins: the last
    /// simulated day is the day before `end`. Deterministic: nothing reads the clock.
    pub fn ending_on(end: NaiveDate, days: u32) -> SimConfig {
        SimConfig { seed: 1, days, users: 200, start: end - chrono::Days::new(u64::from(days)), scenarios: Vec::new() }
    }

    /// [`SimConfig::ending_on`] the present (UTC, from the clock): the period ends at the start
    /// of the day [`SimConfig::SPILL_HOURS`] ago, so the simulated logs run up to the present
    /// and never past it. A simulated day is the company's working day in each office's time
    /// zone (UTC−7 to UTC+9) and its attacks may run late, so its last records fall up to that
    /// many hours after the UTC day ends; ending the period at today's start would put them
    /// in the future for a run early in the UTC day.
    pub fn ending_now(days: u32) -> SimConfig {
        let end = chrono::Utc::now() - chrono::Duration::hours(SimConfig::SPILL_HOURS);
        SimConfig::ending_on(end.date_naive(), days)
    }

    /// How far past the end of its last UTC day a simulated period's records may reach.
    pub const SPILL_HOURS: i64 = 12;

    /// The day after the period's last day (its exclusive end).
    pub fn end(&self) -> NaiveDate {
        self.start + chrono::Days::new(u64::from(self.days))
    }
}

impl Default for SimConfig {
    /// Seed 1, 200 users, [`SimConfig::DEFAULT_DAYS`] days ending as [`SimConfig::ending_now`]
    /// says (this reads the clock; pin `start` for reproducible output).
    fn default() -> Self {
        SimConfig::ending_now(SimConfig::DEFAULT_DAYS)
    }
}

/// The injected attacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioKind {
    /// A sign-in from a far country shortly after one from home (T1078).
    ImpossibleTravel,
    /// A burst of Okta Verify pushes, mostly denied, then an approval and a session from a new
    /// address (T1621).
    MfaFatigue,
    /// An admin account suspended for months is reactivated and used for admin actions.
    DormantAdmin,
    /// An S3 bucket's public access block removed, AllUsers ACL and `Principal: "*"` policy.
    PublicBucket,
    /// Privilege escalation through IAM: wildcard policy version, AdministratorAccess to self,
    /// an access key for another user.
    RiskyIamPolicy,
    /// A long-lived access key (and a root key) used from a new network with new tooling.
    ExposedAccessKey,
    /// Ransomware on a laptop: shadow copies deleted, recovery disabled, files encrypted.
    Ransomware,
    /// A domain admin account used from a workstation against servers: PsExec, services, WMI.
    LateralMovement,
    /// A person downloads 10-50x their usual S3 volume at night.
    InsiderDownload,
    /// Large uploads from a laptop to personal cloud storage (MEGA, Dropbox, Google Drive).
    Exfiltration,
    /// A vendor's Okta identity signs in from a new network, its OAuth app pulls many tokens
    /// with new scopes, and it reaches beyond its usual apps and groups.
    VendorCompromise,
    /// Slow: a laptop sends a little data (well under its own daily upload) to one new external
    /// destination once a week for six weeks (T1030, T1048).
    SlowExfiltration,
    /// Slow: a retired service IAM user's long-dormant access key is used once a week from one
    /// network it never used, for a handful of read calls (T1078.004).
    DormantServiceWeekly,
    /// Slow: a vendor's OAuth app and Okta identity read a little more each week — one more
    /// read-only API scope and one more app — over six weeks, never a spike (T1087.004, T1213).
    VendorScopeCreep,
}

impl ScenarioKind {
    /// The snake_case name used in labels and on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            ScenarioKind::ImpossibleTravel => "impossible_travel",
            ScenarioKind::MfaFatigue => "mfa_fatigue",
            ScenarioKind::DormantAdmin => "dormant_admin",
            ScenarioKind::PublicBucket => "public_bucket",
            ScenarioKind::RiskyIamPolicy => "risky_iam_policy",
            ScenarioKind::ExposedAccessKey => "exposed_access_key",
            ScenarioKind::Ransomware => "ransomware",
            ScenarioKind::LateralMovement => "lateral_movement",
            ScenarioKind::InsiderDownload => "insider_download",
            ScenarioKind::Exfiltration => "exfiltration",
            ScenarioKind::VendorCompromise => "vendor_compromise",
            ScenarioKind::SlowExfiltration => "slow_exfiltration",
            ScenarioKind::DormantServiceWeekly => "dormant_service_weekly",
            ScenarioKind::VendorScopeCreep => "vendor_scope_creep",
        }
    }

    /// The scenarios that fit a period of any length, in label order: what an empty selection
    /// means for a period shorter than [`ScenarioKind::SLOW_MIN_DAYS`]. The slow scenarios
    /// ([`ScenarioKind::slow`]) are not among them; [`ScenarioKind::every`] lists both.
    pub fn all() -> Vec<Self> {
        vec![
            ScenarioKind::ImpossibleTravel,
            ScenarioKind::MfaFatigue,
            ScenarioKind::DormantAdmin,
            ScenarioKind::PublicBucket,
            ScenarioKind::RiskyIamPolicy,
            ScenarioKind::ExposedAccessKey,
            ScenarioKind::Ransomware,
            ScenarioKind::LateralMovement,
            ScenarioKind::InsiderDownload,
            ScenarioKind::Exfiltration,
            ScenarioKind::VendorCompromise,
        ]
    }

    /// How many days a period needs for the slow scenarios: each is six weekly occurrences.
    pub const SLOW_MIN_DAYS: u32 = 42;

    /// The slow scenarios, in label order: attacks spread over six weeks whose every single
    /// event, and every day, looks ordinary; only the pattern across weeks gives them away.
    pub fn slow() -> Vec<Self> {
        vec![ScenarioKind::SlowExfiltration, ScenarioKind::DormantServiceWeekly, ScenarioKind::VendorScopeCreep]
    }

    /// Every scenario, in label order: [`ScenarioKind::all`], then [`ScenarioKind::slow`].
    pub fn every() -> Vec<Self> {
        let mut v = ScenarioKind::all();
        v.extend(ScenarioKind::slow());
        v
    }

    /// Whether this is one of the slow scenarios.
    pub fn is_slow(&self) -> bool {
        ScenarioKind::slow().contains(self)
    }

    /// The shortest period (days) the scenario fits in.
    pub fn min_days(&self) -> u32 {
        if self.is_slow() { ScenarioKind::SLOW_MIN_DAYS } else { 1 }
    }

    /// What an empty selection means for a period of `days`: every scenario that fits, in
    /// label order. Periods shorter than [`ScenarioKind::SLOW_MIN_DAYS`] get
    /// [`ScenarioKind::all`] (exactly what they got before the slow scenarios existed).
    pub fn defaults_for(days: u32) -> Vec<Self> {
        ScenarioKind::every().into_iter().filter(|k| k.min_days() <= days).collect()
    }

    /// MITRE ATT&CK technique ids the scenario exercises.
    pub fn technique_ids(&self) -> &'static [&'static str] {
        self.techniques()
    }
}

impl fmt::Display for ScenarioKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ScenarioKind {
    type Err = SimError;

    /// Accepts the snake_case name (`mfa_fatigue`), also with dashes (`mfa-fatigue`); the error
    /// for an unknown name lists the known ones.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        ScenarioKind::every().into_iter().find(|k| k.name() == norm).ok_or_else(|| {
            let known: Vec<&str> = ScenarioKind::every().iter().map(|k| k.name()).collect();
            SimError::Config(format!("unknown scenario {s:?} (known: {})", known.join(", ")))
        })
    }
}

/// What a run wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SimSummary {
    /// Every file written: relative path (with `/`), records, bytes; sorted by path. Records of
    /// `labels.jsonl` are labels, of `inventory.json` 1.
    pub files: Vec<(String, u64, u64)>,
    /// Log records written (labels and inventory not counted).
    pub events: u64,
    /// Bytes of all files written.
    pub bytes: u64,
    /// Scenario name -> instances written, for the selected scenarios in label order.
    pub scenarios: Vec<(String, u64)>,
    /// Relative path of the labels file.
    pub labels_path: String,
}

impl SimSummary {
    /// Log records per source folder (`okta`, `aws`, `windows`, `zeek`); the labels and the
    /// inventory at the top are not logs.
    pub fn records_by_source(&self) -> std::collections::BTreeMap<String, u64> {
        let mut m = std::collections::BTreeMap::new();
        for (path, records, _) in &self.files {
            if let Some((top, _)) = path.split_once(['/', '\\'])
                && *records > 0
            {
                *m.entry(top.to_string()).or_default() += records;
            }
        }
        m
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid simulation config: {0}")]
    Config(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("internal error: a generated record is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Hours of carry-over between days: people east of UTC start their day before UTC midnight.
const CARRY: i64 = 8 * HOUR;

/// Simulates the company described by `cfg` and writes its logs under `out_dir`.
pub fn simulate(cfg: &SimConfig, out_dir: &Path) -> Result<SimSummary, SimError> {
    if cfg.users < 10 {
        return Err(SimError::Config(format!("users must be at least 10 (got {})", cfg.users)));
    }
    if cfg.days == 0 || cfg.days > 3660 {
        return Err(SimError::Config(format!("days must be 1..=3660 (got {})", cfg.days)));
    }
    if let Some(k) = cfg.scenarios.iter().find(|k| k.min_days() > cfg.days) {
        return Err(SimError::Config(format!(
            "scenario {} needs a period of at least {} days (got {})",
            k.name(),
            k.min_days(),
            cfg.days
        )));
    }
    let days = cfg.days as usize;
    let start_day = cfg.start.signed_duration_since(DateTime::UNIX_EPOCH.date_naive()).num_days();
    let kinds: Vec<ScenarioKind> = if cfg.scenarios.is_empty() {
        ScenarioKind::defaults_for(cfg.days)
    } else {
        ScenarioKind::every().into_iter().filter(|k| cfg.scenarios.contains(k)).collect()
    };
    let mut co = Company::generate(cfg.seed, cfg.users as usize, start_day);
    // The retired service users whose keys the dormant-key scenario wakes (from their own stream).
    let dormant = kinds.iter().find(|k| **k == ScenarioKind::DormantServiceWeekly);
    if let Some(&k) = dormant {
        co.add_dormant_service_users(cfg.seed, scenarios::instances_for(k, co.employees));
    }
    let co = co;
    let mut plans = Plans::generate(cfg.seed, &co, days);

    let mut attacks = Emitter::new(0);
    let instances = Scenarios::new(&co, cfg.seed, days).run(&kinds, &mut plans, &mut attacks);

    std::fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
    let mut out = Out::new(out_dir, &co, cfg.seed, instances.len())?;
    let bg = Bg::new(&co, &plans, cfg.seed);
    let mut pending: Vec<Rec> = attacks.recs;
    for d in 0..days {
        let mut em = Emitter::new((d as u64 + 1) << 40);
        bg.day(d, &mut em);
        pending.append(&mut em.recs);
        pending.sort_unstable_by_key(|r| (r.ts, r.seq));
        let cut = if d + 1 == days { i64::MAX } else { (start_day + d as i64 + 1) * DAY - CARRY };
        let split = pending.partition_point(|r| r.ts < cut);
        let rest = pending.split_off(split);
        out.flush(&pending)?;
        pending = rest;
    }
    let (mut files, labels) = out.finish()?;
    let events: u64 = files.values().map(|(r, _)| r).sum();

    // labels.jsonl
    let mut text = String::new();
    let mut per_kind: Vec<(String, u64)> = kinds.iter().map(|k| (k.name().to_string(), 0)).collect();
    let mut n_labels = 0u64;
    for (inst, acc) in instances.iter().zip(&labels) {
        let (Some(first), Some(last)) = (acc.first, acc.last) else { continue };
        if let Some(e) = per_kind.iter_mut().find(|(n, _)| n == inst.kind.name()) {
            e.1 += 1;
        }
        n_labels += 1;
        let mut entities = obj! {
            "users": J::strs(&inst.users),
            "hosts": J::strs(&inst.hosts),
            "keys": J::strs(&inst.keys),
            "buckets": J::strs(&inst.buckets),
            "ips": J::strs(&inst.ips),
        };
        // Only scenarios with a destination name have `domains` (earlier labels stay as they were).
        if !inst.domains.is_empty() {
            entities.push("domains", J::strs(&inst.domains));
        }
        let label = obj! {
            "scenario": inst.kind.name(),
            "instance": &inst.name,
            "techniques": J::strs(inst.techniques),
            "start": fmt_ts(first, Ts::Millis),
            "end": fmt_ts(last, Ts::Millis),
            "entities": entities,
            "event_ids": J::strs(&acc.ids),
            "description": &inst.description,
        };
        label.write(&mut text);
        text.push('\n');
    }
    let labels_path = "labels.jsonl".to_string();
    let p = out_dir.join(&labels_path);
    std::fs::write(&p, text.as_bytes()).map_err(io_err(&p))?;
    files.insert(labels_path.clone(), (n_labels, text.len() as u64));

    // inventory.json
    let mut inv = String::with_capacity(1 << 20);
    co.inventory(start_day + days as i64 - 1).write_pretty(&mut inv, 0);
    inv.push('\n');
    let p = out_dir.join("inventory.json");
    std::fs::write(&p, inv.as_bytes()).map_err(io_err(&p))?;
    files.insert("inventory.json".to_string(), (1, inv.len() as u64));

    let bytes = files.values().map(|(_, b)| b).sum();
    Ok(SimSummary {
        files: files.into_iter().map(|(k, (r, b))| (k, r, b)).collect(),
        events,
        bytes,
        scenarios: per_kind,
        labels_path,
    })
}

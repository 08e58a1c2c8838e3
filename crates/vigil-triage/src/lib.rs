//! Triage, the L1 queue: from alerts to the incidents an analyst works.
//!
//! Owns: dedupe of repeated alerts ([`group::dedupe`]), grouping into incidents with the reason
//! for every link ([`group::group`]), the risk score and its components, the inventory that says
//! which entities are critical ([`inventory`]), the supervised triage model ([`model`]),
//! suppressions and their impact preview ([`suppress`]), and the verdict with its "show your
//! work" record. Everything here is a pure function of alerts, inventory, model, overrides,
//! suppressions and human dispositions: the same inputs give the same incidents.
//!
//! Must not: read events or the lake, store anything, open or change cases, or overrule a human
//! disposition (a verdict a person gave is carried as it is).

pub mod group;
pub mod inventory;
pub mod model;
pub mod suppress;
pub mod truth;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigil_model::{Alert, AlertKind};

pub use group::{GroupOptions, Item, Link, Override};
pub use inventory::{Criticality, Inventory};
pub use model::{ModelScore, TriageModel};
pub use suppress::Suppression;

#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    #[error("inventory: {0}")]
    Inventory(String),
    #[error("triage model: {0}")]
    Model(String),
    #[error("suppression: {0}")]
    Suppression(String),
    #[error("labels: {0}")]
    Labels(String),
}

pub(crate) fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// One part of the risk score.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RiskComponent {
    pub name: String,
    pub points: f64,
    pub why: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Risk {
    /// 0–100: the sum of the components, capped.
    pub score: f64,
    pub components: Vec<RiskComponent>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    Benign,
    Inconclusive,
    Suspicious,
    Malicious,
}

impl VerdictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Benign => "benign",
            VerdictKind::Inconclusive => "inconclusive",
            VerdictKind::Suspicious => "suspicious",
            VerdictKind::Malicious => "malicious",
        }
    }
}

/// One thing the verdict looked at.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Check {
    pub check: String,
    pub result: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Verdict {
    pub verdict: VerdictKind,
    /// `vigil:triage` or the person whose disposition it carries.
    pub decided_by: String,
    /// The model version that informed it, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub model_version: Option<String>,
    pub summary: String,
    /// What was checked ("show your work").
    pub checks: Vec<Check>,
    /// The evidence that decided it: alert ids, entities, model features.
    pub decisive: Vec<String>,
    /// Data that was not there; when it could change the verdict, the verdict is inconclusive.
    pub missing: Vec<String>,
}

/// An incident: grouped items, risk, verdict.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Incident {
    pub id: String,
    pub title: String,
    pub first_ms: i64,
    pub last_ms: i64,
    pub alert_count: u64,
    pub items: Vec<Item>,
    pub links: Vec<Link>,
    pub entities: Vec<String>,
    pub tactics: Vec<String>,
    pub techniques: Vec<String>,
    pub level: String,
    pub features: Vec<f64>,
    pub risk: Risk,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub model: Option<ModelScore>,
    pub verdict: Verdict,
    /// Shown to an analyst (not closed as benign by the machine). Auto-closing is reversible:
    /// the incident stays, with the reasons.
    pub queued: bool,
}

impl Incident {
    pub fn alert_ids(&self) -> impl Iterator<Item = &String> {
        self.items.iter().flat_map(|i| i.alert_ids.iter())
    }
}

/// What triage starts from.
pub struct TriageInput<'a> {
    pub alerts: &'a [Alert],
    pub inventory: &'a Inventory,
    pub model: Option<&'a TriageModel>,
    pub overrides: &'a [Override],
    pub suppressions: &'a [Suppression],
    /// Incident id → (disposition, who) given by a person (`true_positive`,
    /// `benign_true_positive`, `false_positive`, or `needs_review` for an incident a person
    /// reopened); carried, never changed.
    pub human: &'a HashMap<String, (String, String)>,
    pub now_ms: i64,
    pub options: GroupOptions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TriageStats {
    pub raw_alerts: u64,
    pub suppressed_alerts: u64,
    pub items: u64,
    pub incidents: u64,
    pub queued: u64,
    pub auto_closed: u64,
    pub by_verdict: BTreeMap<String, u64>,
    /// 1 − queued incidents / raw alerts.
    pub alert_reduction: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TriageOutput {
    pub incidents: Vec<Incident>,
    /// Alert id → suppression id.
    pub suppressed: BTreeMap<String, String>,
    pub stats: TriageStats,
}

fn level_rank(l: &str) -> usize {
    match l {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

fn is_private_ip(ip: &str) -> bool {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v)) => v.is_private() || v.is_loopback() || v.is_link_local(),
        Ok(std::net::IpAddr::V6(v)) => v.is_loopback() || (v.segments()[0] & 0xfe00) == 0xfc00,
        Err(_) => true,
    }
}

/// The inventory's view of an incident's entities: criticality found and entities it does not know.
fn entity_context(entities: &[String], inv: &Inventory) -> (Vec<Criticality>, Vec<String>) {
    let mut crit: Vec<Criticality> = Vec::new();
    let mut unknown = Vec::new();
    for e in entities {
        let Some((kind, name)) = e.split_once(':') else { continue };
        if kind == "ip" {
            continue;
        }
        match inv.lookup(name) {
            Some(info) => {
                for c in &info.criticality {
                    if !crit.iter().any(|x| x.reason == c.reason) {
                        crit.push(c.clone());
                    }
                }
                if let Some(owner) = &info.owner
                    && let Some(o) = inv.lookup(owner)
                {
                    for c in &o.criticality {
                        if !crit.iter().any(|x| x.reason == c.reason) {
                            crit.push(c.clone());
                        }
                    }
                }
            }
            // The AWS account root user: the most privileged identity there is.
            None if kind == "user" && name.ends_with(":root") => {
                let reason = format!("{name} is an AWS account root user");
                if !crit.iter().any(|x| x.reason == reason) {
                    crit.push(Criticality { kind: "admin".into(), weight: 15.0, reason });
                }
            }
            // Temporary STS credentials (ASIA…) live for hours and are in no inventory by design.
            None if kind == "key" && name.starts_with("asia") => {}
            None if kind == "user" || kind == "host" || kind == "key" || kind == "bucket" => unknown.push(e.clone()),
            None => {}
        }
    }
    (crit, unknown)
}

struct Facts {
    /// A crown-jewel asset or restricted data among the entities that are not hubs.
    direct_jewel: bool,
    max_level: usize,
    alerting: usize,
    signals: usize,
    max_conf: u8,
    progression: Option<(String, String)>,
    correlated: bool,
    users: usize,
    external_ips: usize,
    crit: Vec<Criticality>,
    unknown: Vec<String>,
    prior: usize,
}

fn facts(g: &group::Group, inv: &Inventory, prior: usize) -> Facts {
    let (crit, unknown) = entity_context(&g.entities, inv);
    let direct: Vec<String> = g.entities.iter().filter(|e| !g.hubs.contains(e)).cloned().collect();
    let (direct_crit, _) = entity_context(&direct, inv);
    Facts {
        direct_jewel: direct_crit.iter().any(|c| c.kind == "crown_jewel" || c.kind == "sensitive_data"),
        max_level: g.items.iter().map(|i| level_rank(&i.level)).max().unwrap_or(0),
        alerting: g.items.iter().filter(|i| level_rank(&i.level) >= 2).count(),
        signals: g.items.iter().filter(|i| level_rank(&i.level) < 2).count(),
        max_conf: g.items.iter().map(|i| i.confidence).max().unwrap_or(0),
        progression: g.links.iter().find_map(|l| l.progression.clone()),
        correlated: g.items.iter().any(|i| matches!(i.kind, AlertKind::Correlation | AlertKind::Behavioral)),
        users: g.entities.iter().filter(|e| e.starts_with("user:")).count(),
        external_ips: g.entities.iter().filter(|e| e.strip_prefix("ip:").is_some_and(|ip| !is_private_ip(ip))).count(),
        crit,
        unknown,
        prior,
    }
}

fn crit_weight(crit: &[Criticality], kind: &str) -> f64 {
    crit.iter().filter(|c| c.kind == kind).map(|c| c.weight).fold(0.0, f64::max)
}

fn feature_vector(f: &Facts, g: &group::Group) -> Vec<f64> {
    let has = |k: &str| if f.crit.iter().any(|c| c.kind == k) { 1.0 } else { 0.0 };
    vec![
        f.max_level as f64,
        f.alerting as f64,
        f.signals as f64,
        f.max_conf as f64 / 100.0,
        g.tactics.len() as f64,
        if f.progression.is_some() { 1.0 } else { 0.0 },
        if f.correlated { 1.0 } else { 0.0 },
        has("admin"),
        has("crown_jewel"),
        has("sensitive_data"),
        has("vendor"),
        (g.alert_count() as f64).ln_1p(),
        f.users as f64,
        f.external_ips as f64,
        f.unknown.len() as f64,
        f.prior as f64,
    ]
}

fn risk(f: &Facts, extra_crit: f64) -> Risk {
    let sev = [2.0, 8.0, 20.0, 30.0, 40.0][f.max_level.min(4)];
    let mut c = vec![
        RiskComponent {
            name: "severity".into(),
            points: sev,
            why: format!(
                "highest alert level {}",
                ["informational", "low", "medium", "high", "critical"][f.max_level.min(4)]
            ),
        },
        RiskComponent {
            name: "confidence".into(),
            points: (f.max_conf as f64 * 0.15).round(),
            why: format!("highest alert confidence {}", f.max_conf),
        },
    ];
    let mut crit_pts = 0.0;
    let mut why = Vec::new();
    for kind in ["admin", "crown_jewel", "sensitive_data", "vendor", "executive", "service"] {
        let w = crit_weight(&f.crit, kind);
        if w > 0.0 {
            crit_pts += w;
            why.extend(f.crit.iter().filter(|c| c.kind == kind).map(|c| c.reason.clone()).take(2));
        }
    }
    if extra_crit > 0.0 {
        crit_pts += extra_crit;
        why.push(format!("assumed: {} unknown entities treated as critical", f.unknown.len()));
    }
    c.push(RiskComponent {
        name: "entity_criticality".into(),
        points: crit_pts.min(25.0),
        why: if why.is_empty() { "no critical entity in the inventory".into() } else { why.join("; ") },
    });
    let breadth = ((f.alerting.saturating_sub(1)).min(3) as f64) * 4.0
        + if f.progression.is_some() { 5.0 } else { 0.0 }
        + if f.correlated { 5.0 } else { 0.0 };
    c.push(RiskComponent {
        name: "breadth".into(),
        points: breadth.min(20.0),
        why: format!(
            "{} alerting detections{}{}",
            f.alerting,
            f.progression.as_ref().map(|(a, b)| format!(", progression {a} → {b}")).unwrap_or_default(),
            if f.correlated { ", correlation or behavioral detection" } else { "" }
        ),
    });
    c.push(RiskComponent {
        name: "history".into(),
        points: (f.prior.min(5) as f64) * 2.0,
        why: format!("{} earlier incidents on the same entities in the last 30 days", f.prior),
    });
    let score = c.iter().map(|x| x.points).sum::<f64>().clamp(0.0, 100.0);
    Risk { score, components: c }
}

/// The machine's verdict from the facts, for one assumption about missing data. `p` is the
/// model's probability; `may_close` whether that model may close an incident as benign (see
/// [`TriageModel::may_auto_close`]): when it may not, only the risk score's own rule closes.
fn decide(f: &Facts, risk: &Risk, p: Option<f64>, may_close: bool) -> (VerdictKind, String) {
    let high = f.max_level >= 3;
    let critical_entity = !f.crit.iter().all(|c| c.kind == "service");
    // Without a model that may close: a group of signals alone (no alerting detection, no
    // correlation or behavioral detection, no attack progression) is routine context, even when
    // an administrator, a vendor or an executive did it, unless it touches a crown-jewel asset
    // or restricted data directly (not only through a hub: the domain controller that logs every
    // directory change is named by every administrator's group change).
    let jewel = f.direct_jewel || f.crit.iter().any(|c| c.reason.starts_with("assumed a crown jewel"));
    let routine = f.alerting == 0 && !f.correlated && f.progression.is_none() && !jewel;
    let by_risk = || {
        if high && risk.score >= 60.0 {
            (VerdictKind::Malicious, format!("a high-severity detection and risk {:.0}", risk.score))
        } else if routine {
            (
                VerdictKind::Benign,
                format!(
                    "signals only, no correlation or progression, no crown jewel or restricted data{}; risk {:.0}",
                    if critical_entity { " (critical identity: routine administration)" } else { "" },
                    risk.score
                ),
            )
        } else {
            (VerdictKind::Suspicious, format!("risk {:.0}", risk.score))
        }
    };
    match p {
        Some(p) => {
            if high && p >= 0.6 {
                (VerdictKind::Malicious, format!("a high-severity detection and a model probability of {p:.2}"))
            } else if !high && p < 0.15 && may_close {
                // The model may close what it has learned is routine, never a high or critical
                // detection.
                (
                    VerdictKind::Benign,
                    format!(
                        "no high or critical detection and a model probability of {p:.2}{}",
                        if critical_entity { " (critical entity weighed by the model)" } else { "" }
                    ),
                )
            } else if !high && p < 0.15 {
                // Too few true positives behind the model to let it close anything: the risk
                // score's rule decides whether this is routine.
                match by_risk() {
                    (VerdictKind::Benign, why) => (VerdictKind::Benign, why),
                    _ => (
                        VerdictKind::Suspicious,
                        format!(
                            "model probability {p:.2}, but the model was trained on too few true positives to close it; risk {:.0}",
                            risk.score
                        ),
                    ),
                }
            } else {
                (VerdictKind::Suspicious, format!("model probability {p:.2}, risk {:.0}", risk.score))
            }
        }
        None => by_risk(),
    }
}

fn title_of(g: &group::Group) -> String {
    let top = g
        .items
        .iter()
        .max_by_key(|i| {
            (level_rank(&i.level), matches!(i.kind, AlertKind::Correlation | AlertKind::Behavioral), i.count)
        })
        .map(|i| i.rule_title.clone())
        .unwrap_or_default();
    let who = g
        .entities
        .iter()
        .find(|e| e.starts_with("user:"))
        .or_else(|| g.entities.iter().find(|e| e.starts_with("host:")))
        .or_else(|| g.entities.first())
        .map(|e| e.split_once(':').map_or(e.as_str(), |x| x.1).to_string());
    let more = g.items.len().saturating_sub(1);
    format!(
        "{top}{}{}",
        who.map(|w| format!(" — {w}")).unwrap_or_default(),
        if more > 0 { format!(" (+{more} related)") } else { String::new() }
    )
}

/// Triage: dedupe, group, score, decide.
pub fn triage(input: &TriageInput) -> TriageOutput {
    let mut suppressed = BTreeMap::new();
    let mut kept: Vec<&Alert> = Vec::with_capacity(input.alerts.len());
    for a in input.alerts {
        match input.suppressions.iter().find(|s| s.active(input.now_ms) && s.matches(a)) {
            Some(s) => {
                suppressed.insert(a.id.clone(), s.id.clone());
            }
            None => kept.push(a),
        }
    }
    let events: HashMap<String, Vec<String>> = kept
        .iter()
        .map(|a| {
            let mut ev = a.event_ids.clone();
            if let Some(c) = &a.correlation {
                ev.extend(c.members.iter().cloned());
            }
            (a.id.clone(), ev)
        })
        .collect();
    let items = group::dedupe(&kept, input.options.dedupe_window_ms);
    let n_items = items.len() as u64;
    let groups = group::group(items, &events, &input.options, input.overrides);

    let mut history: HashMap<&str, Vec<i64>> = HashMap::new();
    let mut incidents = Vec::with_capacity(groups.len());
    for g in &groups {
        let month = 30 * 86_400_000;
        let prior: BTreeSet<usize> = g
            .entities
            .iter()
            .filter(|e| !e.starts_with("ip:"))
            .flat_map(|e| history.get(e.as_str()).into_iter().flatten())
            .filter(|t| g.first_ms - **t <= month && **t < g.first_ms)
            .map(|t| *t as usize)
            .collect();
        let f = facts(g, input.inventory, prior.len());
        for e in &g.entities {
            history.entry(e.as_str()).or_default().push(g.first_ms);
        }
        let features = feature_vector(&f, g);
        let r = risk(&f, 0.0);
        let model = input.model.map(|m| m.score(&features));
        let p = model.as_ref().map(|m| m.probability);

        let mut checks = vec![
            Check {
                check: "alerts".into(),
                result: format!(
                    "{} alerts in {} items: {} alerting, {} signals; highest level {}",
                    g.alert_count(),
                    g.items.len(),
                    f.alerting,
                    f.signals,
                    ["informational", "low", "medium", "high", "critical"][f.max_level.min(4)]
                ),
            },
            Check { check: "risk".into(), result: format!("{:.0} of 100", r.score) },
        ];
        checks.push(Check {
            check: "entities".into(),
            result: if f.crit.is_empty() {
                format!("{} entities, none critical in the inventory", g.entities.len())
            } else {
                f.crit.iter().map(|c| c.reason.clone()).collect::<Vec<_>>().join("; ")
            },
        });
        if let Some((a, b)) = &f.progression {
            checks.push(Check { check: "attack progression".into(), result: format!("{a} → {b}") });
        }
        match (&model, input.model) {
            (Some(ms), Some(m)) => {
                let top: Vec<String> =
                    ms.contributions.iter().take(3).map(|c| format!("{} {:+.2}", c.feature, c.contribution)).collect();
                checks.push(Check {
                    check: "triage model".into(),
                    result: format!(
                        "{} says {:.2} (top: {}){}",
                        m.version,
                        ms.probability,
                        top.join(", "),
                        if m.may_auto_close() {
                            String::new()
                        } else {
                            format!(
                                "; trained on {} true positives, fewer than {}: it may not close an incident",
                                m.trained_positives,
                                model::MIN_POSITIVES_TO_CLOSE
                            )
                        }
                    ),
                });
            }
            _ => checks.push(Check {
                check: "triage model".into(),
                result: "no model trained: the verdict uses the risk score alone".into(),
            }),
        }
        let mut missing = Vec::new();
        if input.inventory.is_empty() {
            missing.push("no inventory loaded: entity criticality is unknown".to_string());
        }
        for u in &f.unknown {
            missing.push(format!("{u} is not in the inventory"));
        }
        let may_close = input.model.is_some_and(TriageModel::may_auto_close);
        let (mut verdict, mut why) = decide(&f, &r, p, may_close);
        if !f.unknown.is_empty() || (input.inventory.is_empty() && !g.entities.is_empty()) {
            // Would the verdict change if the entities the inventory does not know were critical?
            let mut worst = facts(g, input.inventory, prior.len());
            // Unknown could be anything: an administrator, or a crown-jewel asset (no extra
            // points: it only keeps signals about it from counting as routine).
            worst.crit.push(Criticality { kind: "admin".into(), weight: 15.0, reason: "assumed critical".into() });
            worst.crit.push(Criticality {
                kind: "crown_jewel".into(),
                weight: 0.0,
                reason: "assumed a crown jewel".into(),
            });
            let wf = feature_vector(&worst, g);
            let wr = risk(&worst, 0.0);
            let wp = input.model.map(|m| m.score(&wf).probability);
            let (wv, _) = decide(&worst, &wr, wp, may_close);
            if wv != verdict {
                why = format!(
                    "{} if the unknown entities are ordinary, {} if they are critical; the missing data decides",
                    verdict.as_str(),
                    wv.as_str()
                );
                verdict = VerdictKind::Inconclusive;
                checks.push(Check { check: "missing data".into(), result: why.clone() });
            }
        }
        let mut decided_by = "vigil:triage".to_string();
        if let Some((disp, who)) = input.human.get(&g.id) {
            verdict = match disp.as_str() {
                "true_positive" => VerdictKind::Malicious,
                // Reopened by a person after the machine closed it: back in the queue.
                "needs_review" => VerdictKind::Suspicious,
                _ => VerdictKind::Benign,
            };
            why = format!("disposition {disp} by {who}");
            decided_by = who.clone();
            checks.push(Check { check: "human disposition".into(), result: why.clone() });
        }
        let mut decisive: Vec<String> = g
            .items
            .iter()
            .filter(|i| level_rank(&i.level) == f.max_level)
            .take(3)
            .map(|i| {
                format!(
                    "{} ({} alert{}, first {})",
                    i.rule_title,
                    i.count,
                    if i.count == 1 { "" } else { "s" },
                    i.alert_ids[0]
                )
            })
            .collect();
        decisive.extend(f.crit.iter().take(2).map(|c| c.reason.clone()));
        if let Some(ms) = &model {
            decisive.extend(
                ms.contributions
                    .iter()
                    .take(2)
                    .map(|c| format!("model feature {} = {} ({:+.2})", c.feature, c.value, c.contribution)),
            );
        }
        let queued = verdict != VerdictKind::Benign;
        let techniques: BTreeSet<String> = g.items.iter().flat_map(|i| i.techniques.iter().cloned()).collect();
        incidents.push(Incident {
            id: g.id.clone(),
            title: title_of(g),
            first_ms: g.first_ms,
            last_ms: g.last_ms,
            alert_count: g.alert_count(),
            items: g.items.clone(),
            links: g.links.clone(),
            entities: g.entities.clone(),
            tactics: g.tactics.clone(),
            techniques: techniques.into_iter().collect(),
            level: ["informational", "low", "medium", "high", "critical"][f.max_level.min(4)].to_string(),
            features,
            risk: r,
            verdict: Verdict {
                verdict,
                decided_by,
                model_version: if input.human.contains_key(&g.id) {
                    None
                } else {
                    model.as_ref().map(|m| m.version.clone())
                },
                summary: why,
                checks,
                decisive,
                missing,
            },
            model,
            queued,
        });
    }
    let mut stats = TriageStats {
        raw_alerts: input.alerts.len() as u64,
        suppressed_alerts: suppressed.len() as u64,
        items: n_items,
        incidents: incidents.len() as u64,
        queued: incidents.iter().filter(|i| i.queued).count() as u64,
        ..Default::default()
    };
    stats.auto_closed = stats.incidents - stats.queued;
    for i in &incidents {
        *stats.by_verdict.entry(i.verdict.verdict.as_str().to_string()).or_default() += 1;
    }
    stats.alert_reduction =
        if stats.raw_alerts == 0 { 0.0 } else { 1.0 - stats.queued as f64 / stats.raw_alerts as f64 };
    TriageOutput { incidents, suppressed, stats }
}

/// What hiding some alerts would have done to the queue: the alerts hidden, whole incidents that
/// would no longer be queued, and the incidents that merely lose alerts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Impact {
    /// What was previewed (a suppression, an exceptions file).
    pub what: String,
    pub alerts_hidden: u64,
    pub incidents_hidden: Vec<String>,
    pub incidents_reduced: Vec<String>,
    pub queue_before: u64,
    pub queue_after: u64,
    /// Hidden alerts' rules and how many of each.
    pub by_rule: BTreeMap<String, u64>,
}

/// The impact of hiding the alerts with these ids (the stored alerts an exception would have
/// stopped, say).
pub fn impact_of_hiding(input: &TriageInput, what: &str, hidden: &BTreeSet<String>) -> Impact {
    let before = triage(input);
    let kept: Vec<Alert> = input.alerts.iter().filter(|a| !hidden.contains(&a.id)).cloned().collect();
    let after = triage(&TriageInput { alerts: &kept, ..*input });
    impact(input, what, hidden, &before, &after)
}

fn impact(
    input: &TriageInput,
    what: &str,
    hidden: &BTreeSet<String>,
    before: &TriageOutput,
    after: &TriageOutput,
) -> Impact {
    let mut by_rule = BTreeMap::new();
    for a in input.alerts.iter().filter(|a| hidden.contains(&a.id)) {
        *by_rule.entry(a.rule.title.clone()).or_default() += 1;
    }
    let mut incidents_hidden = Vec::new();
    let mut incidents_reduced = Vec::new();
    for inc in before.incidents.iter().filter(|i| i.queued) {
        let n = inc.alert_ids().filter(|a| hidden.contains(*a)).count() as u64;
        if n == 0 {
            continue;
        }
        if n == inc.alert_ids().count() as u64 {
            incidents_hidden.push(inc.id.clone());
        } else {
            incidents_reduced.push(inc.id.clone());
        }
    }
    Impact {
        what: what.to_string(),
        alerts_hidden: input.alerts.iter().filter(|a| hidden.contains(&a.id)).count() as u64,
        incidents_hidden,
        incidents_reduced,
        queue_before: before.stats.queued,
        queue_after: after.stats.queued,
        by_rule,
    }
}

/// What a suppression would have hidden, had it been in force.
pub fn preview(input: &TriageInput, s: &Suppression) -> Impact {
    let before = triage(input);
    let mut sups: Vec<Suppression> = input.suppressions.to_vec();
    sups.push(s.clone());
    let after = triage(&TriageInput { suppressions: &sups, ..*input });
    let hidden: BTreeSet<String> =
        after.suppressed.iter().filter(|(_, sid)| **sid == s.id).map(|(a, _)| a.clone()).collect();
    impact(input, &format!("suppression {}", s.id), &hidden, &before, &after)
}

#[cfg(test)]
mod tests;

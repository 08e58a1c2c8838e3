//! Scoring investigations against labeled attacks (`vigil eval investigations`).
//!
//! For each label, the incidents holding an alert on one of its events are investigated (each
//! once, as the caller, through [`crate::investigate::investigate`]) and scored:
//!
//! - **decisive recall** — of the attack's events the timelines hold, the share marked decisive;
//! - **entities named** — of the labeled users, hosts and keys the lake shows within the
//!   investigations' span, the share among the investigated entities or the blast radius (a
//!   user may be named by its short name, a host by its bare name);
//! - **fabricated** — summary sentences that do not re-verify against the investigation's own
//!   facts (must be 0); `dropped` counts those the verifier caught before they were shown.
//!
//! Labels whose events became no incident are listed, not scored: detection and triage are
//! scored by `vigil eval --labels`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde::Serialize;
use vigil_app::respond::ResponseConfig;
use vigil_app::{App, Caller};

use crate::AssistError;
use crate::investigate::{Investigation, investigate};
use crate::verify::verify_in;

/// One label's score.
#[derive(Debug, Clone, Serialize)]
pub struct LabelScore {
    pub instance: String,
    pub scenario: String,
    pub incidents: Vec<String>,
    /// The attack's events on the timelines.
    pub held: usize,
    /// Of those, marked decisive.
    pub decisive: usize,
    /// Labeled users, hosts and keys the lake shows within the investigations' span.
    pub entities: usize,
    pub named: usize,
    /// The ones not named.
    pub missing: Vec<String>,
}

/// Every label's score and the totals.
#[derive(Debug, Clone, Serialize)]
pub struct InvestigationEval {
    pub labels: Vec<LabelScore>,
    /// Labels whose events became no incident.
    pub not_incidents: Vec<String>,
    pub investigated: usize,
    pub fabricated: usize,
    pub dropped: usize,
    pub millis: u128,
}

impl InvestigationEval {
    pub fn held(&self) -> usize {
        self.labels.iter().map(|l| l.held).sum()
    }

    pub fn decisive(&self) -> usize {
        self.labels.iter().map(|l| l.decisive).sum()
    }

    pub fn entities(&self) -> usize {
        self.labels.iter().map(|l| l.entities).sum()
    }

    pub fn named(&self) -> usize {
        self.labels.iter().map(|l| l.named).sum()
    }

    /// Per scenario: labels, events held, decisive, entities, named.
    pub fn by_scenario(&self) -> BTreeMap<String, [usize; 5]> {
        let mut m: BTreeMap<String, [usize; 5]> = BTreeMap::new();
        for l in &self.labels {
            let e = m.entry(l.scenario.clone()).or_default();
            e[0] += 1;
            e[1] += l.held;
            e[2] += l.decisive;
            e[3] += l.entities;
            e[4] += l.named;
        }
        m
    }
}

/// Investigates the incidents of every label as `caller` and scores them.
pub fn eval_investigations(
    app: &App,
    caller: &Caller,
    labels: &[vigil_model::Label],
    response: &ResponseConfig,
) -> Result<InvestigationEval, AssistError> {
    let started = Instant::now();
    // Which incident holds an alert on which event.
    let mut incident_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for inc in app.incidents(caller, true)? {
        for a in app.incident_detail(caller, &inc.id)?.alerts {
            for e in a.event_ids {
                incident_of.entry(e).or_default().insert(inc.id.clone());
            }
        }
    }
    let mut done: BTreeMap<String, Investigation> = BTreeMap::new();
    let mut out = InvestigationEval {
        labels: Vec::new(),
        not_incidents: Vec::new(),
        investigated: 0,
        fabricated: 0,
        dropped: 0,
        millis: 0,
    };
    for label in labels {
        let events: BTreeSet<&String> = label.event_ids.iter().collect();
        let mine: BTreeSet<String> = events.iter().filter_map(|e| incident_of.get(*e)).flatten().cloned().collect();
        if mine.is_empty() {
            out.not_incidents.push(label.instance.clone());
            continue;
        }
        for id in &mine {
            if !done.contains_key(id) {
                let inv = investigate(app, caller, id, response)?;
                out.fabricated += inv.summary.iter().filter(|s| verify_in(s, &inv.facts).is_err()).count();
                out.dropped += inv.dropped;
                done.insert(id.clone(), inv);
            }
        }
        let invs: Vec<&Investigation> = mine.iter().filter_map(|i| done.get(i)).collect();
        let decisive: BTreeSet<&str> = invs.iter().flat_map(|v| v.decisive()).map(|e| e.event.as_str()).collect();
        let on_timeline: BTreeSet<&str> =
            invs.iter().flat_map(|v| v.timeline.iter()).map(|e| e.event.as_str()).collect();
        let held: Vec<&&String> = events.iter().filter(|e| on_timeline.contains(e.as_str())).collect();
        let named_set: BTreeSet<String> = invs
            .iter()
            .flat_map(|v| {
                v.entities
                    .iter()
                    .map(|c| c.value.to_lowercase())
                    .chain(v.blast_radius.iter().map(|r| r.value.to_lowercase()))
            })
            .collect();
        let (from, to) =
            (invs.iter().map(|x| x.from_ms).min().unwrap_or(0), invs.iter().map(|x| x.to_ms).max().unwrap_or(0));
        let (mut entities, mut named, mut missing) = (0, 0, Vec::new());
        let e = &label.entities;
        for v in e.users.iter().chain(&e.hosts).chain(&e.keys) {
            let v = v.to_lowercase();
            let short = v.split('@').next().unwrap_or(&v).to_string();
            if !shown(app, caller, &v, &short, from, to)? {
                continue;
            }
            entities += 1;
            if named_set.iter().any(|n| {
                *n == v || *n == short || n.starts_with(&format!("{short}@")) || n.starts_with(&format!("{v}."))
            }) {
                named += 1;
            } else {
                missing.push(v);
            }
        }
        out.labels.push(LabelScore {
            instance: label.instance.clone(),
            scenario: label.scenario.clone(),
            incidents: mine.into_iter().collect(),
            held: held.len(),
            decisive: held.iter().filter(|e| decisive.contains(e.as_str())).count(),
            entities,
            named,
            missing,
        });
    }
    out.investigated = done.len();
    out.millis = started.elapsed().as_millis();
    Ok(out)
}

/// Whether the lake shows `v` (a user, host or key) between `from` and `to`: only what is
/// there can be named.
fn shown(app: &App, caller: &Caller, v: &str, short: &str, from: i64, to: i64) -> Result<bool, AssistError> {
    let lit = |s: &str| s.replace('\'', "''");
    let (v_up, short) = (lit(&v.to_uppercase()), lit(short));
    let q = format!(
        "SELECT count(*) AS n FROM events WHERE time >= to_timestamp_millis({from}) \
         AND time < to_timestamp_millis({to}) AND (lower(device_hostname) LIKE '{short}%' \
         OR lower(actor_user_name) LIKE '{short}%' OR lower(user_name) LIKE '{short}%' \
         OR actor_user_credential_uid = '{v_up}' OR strpos(api_response_data, '{v_up}') > 0)"
    );
    let rows = app.hunt(caller, &q, Some(1))?.to_json_rows().map_err(|e| AssistError::Invalid(e.to_string()))?;
    Ok(rows.first().and_then(|r| r["n"].as_i64()).unwrap_or(0) > 0)
}

//! Investigation: the questions an L2 analyst asks of an incident before working it, asked of
//! the data through the assistant's own tools, as the person (or the automation) investigating.
//!
//! For an incident it gathers, per entity the alerts name, what the inventory says, what the
//! behavioral detections have learned and where the entity was first and last seen; one
//! timeline across every source around the incident, with the decisive events marked and the
//! reason each is decisive (it raised an alert, or it carries an address the alerts name); the
//! blast radius (the other users, hosts, addresses and buckets the same events touch); what is
//! unknown because no source shows an entity; and next steps, each carried out by a playbook
//! whose trigger matches the incident or by a hunt whose query is given. Its summary is
//! composed from those facts and passes the verifier like any answer; every part cites facts
//! whose citations resolve.
//!
//! Like the rest of the assistant it changes nothing: it reads through [`vigil_app::App`] as
//! the caller, and the record of having investigated goes on the audit log.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_app::respond::ResponseConfig;
use vigil_app::{App, AppError, Caller};

use crate::compose::{Composer, Writer};
use crate::entity::{Period, is_safe_value};
use crate::fact::{Citation, Fact, FactKind, fmt_ms};
use crate::tools::{self, EventQuery, Subject, ToolCall, ToolOutput, hunt_rows, s, sql_str};
use crate::verify::Sentence;
use crate::{AssistError, acting_for};

/// How far around the incident the timeline reaches.
pub const WINDOW_MS: i64 = 3_600_000;
/// The most events the timeline holds (the decisive ones are always in it).
pub const MAX_TIMELINE: usize = 300;
/// The most entities investigated.
pub const MAX_ENTITIES: usize = 12;
/// The most alert events fetched as decisive.
const MAX_ALERT_EVENTS: usize = 200;
/// The most entries of the blast radius.
const MAX_REACH: usize = 40;

/// The audit action of an investigation.
pub const AUDIT_INVESTIGATE: &str = "assistant.investigate";

/// One event of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub time: String,
    pub event: String,
    pub product: String,
    /// The fact (in [`Investigation::facts`]) that states it.
    pub fact: String,
    /// Why it is decisive, when it is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decisive: Option<String>,
}

/// What the investigation learned about one entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityContext {
    pub kind: String,
    pub value: String,
    /// Facts about it (inventory, baselines, first and last seen).
    pub facts: Vec<String>,
}

/// Another entity the incident's events touch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reach {
    pub kind: String,
    pub value: String,
    /// How it is connected, in words.
    pub via: String,
    /// The fact of the first event showing it.
    pub fact: String,
}

/// A next step, with what carries it out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextStep {
    pub text: String,
    /// The playbook that carries it out (its trigger matches the incident).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub playbook: Option<String>,
    /// The hunt that carries it out: read-only SQL over the lake.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hunt: Option<String>,
}

/// An incident's investigation record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Investigation {
    pub incident: String,
    pub title: String,
    pub made_ms: i64,
    pub made_by: String,
    /// The timeline's period, milliseconds since the epoch.
    pub from_ms: i64,
    pub to_ms: i64,
    pub entities: Vec<EntityContext>,
    pub timeline: Vec<Entry>,
    /// The timeline held more events than [`MAX_TIMELINE`] (the decisive ones are all kept).
    pub timeline_truncated: bool,
    pub blast_radius: Vec<Reach>,
    /// What is unknown because no source shows it, or the investigator may not read it.
    pub unknown: Vec<String>,
    pub next_steps: Vec<NextStep>,
    /// The summary: sentences that passed the verifier, each citing facts.
    pub summary: Vec<Sentence>,
    /// Summary sentences the verifier dropped.
    pub dropped: usize,
    /// What was looked at.
    pub searched: Vec<String>,
    /// Every fact the record refers to, `F1` …
    pub facts: Vec<Fact>,
}

impl Investigation {
    /// The decisive events, with why.
    pub fn decisive(&self) -> impl Iterator<Item = &Entry> {
        self.timeline.iter().filter(|e| e.decisive.is_some())
    }

    pub fn fact(&self, id: &str) -> Option<&Fact> {
        self.facts.iter().find(|f| f.id == id)
    }

    /// The record as text: summary, decisive events, entities, blast radius, unknowns, next steps.
    pub fn to_text(&self) -> String {
        let mut out = format!("Investigation of {} — {}\n\n", self.incident, self.title);
        for s in &self.summary {
            out.push_str(&format!("{} [{}]\n", s.text, self.cite(&s.citations)));
        }
        out.push_str(&format!(
            "\nDecisive events ({} of {} in the timeline, {} to {}):\n",
            self.decisive().count(),
            self.timeline.len(),
            fmt_ms(self.from_ms),
            fmt_ms(self.to_ms)
        ));
        for e in self.decisive() {
            let what = self.fact(&e.fact).map(|f| f.text.as_str()).unwrap_or_default();
            out.push_str(&format!("  {what} — {} [event:{}]\n", e.decisive.as_deref().unwrap_or_default(), e.event));
        }
        out.push_str("\nEntities:\n");
        for c in &self.entities {
            out.push_str(&format!("  {} {}\n", c.kind, c.value));
            for id in &c.facts {
                if let Some(f) = self.fact(id) {
                    out.push_str(&format!("    {} [{}]\n", f.text, f.citation));
                }
            }
        }
        if !self.blast_radius.is_empty() {
            out.push_str("\nBlast radius:\n");
            for r in &self.blast_radius {
                let cite = self.fact(&r.fact).map(|f| f.citation.to_string()).unwrap_or_default();
                out.push_str(&format!("  {} {} — {} [{cite}]\n", r.kind, r.value, r.via));
            }
        }
        if !self.unknown.is_empty() {
            out.push_str("\nUnknown:\n");
            for u in &self.unknown {
                out.push_str(&format!("  {u}\n"));
            }
        }
        if !self.next_steps.is_empty() {
            out.push_str("\nNext steps:\n");
            for n in &self.next_steps {
                out.push_str(&format!("  {}", n.text));
                if let Some(p) = &n.playbook {
                    out.push_str(&format!(" (playbook {p})"));
                }
                if let Some(h) = &n.hunt {
                    out.push_str(&format!("\n    {h}"));
                }
                out.push('\n');
            }
        }
        out
    }

    fn cite(&self, ids: &[String]) -> String {
        ids.iter().filter_map(|id| self.fact(id)).map(|f| f.citation.to_string()).collect::<Vec<_>>().join(", ")
    }
}

/// Facts gathered so far, numbered as they are added.
#[derive(Default)]
struct Facts(Vec<Fact>);

impl Facts {
    fn add(&mut self, mut f: Fact) -> String {
        if let Some(same) = self.0.iter().find(|x| x.citation == f.citation && x.text == f.text) {
            return same.id.clone();
        }
        f.id = format!("F{}", self.0.len() + 1);
        let id = f.id.clone();
        self.0.push(f);
        id
    }
}

/// Addresses of private, loopback and link-local ranges: not indicators.
fn is_internal(ip: &str) -> bool {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => a.is_private() || a.is_loopback() || a.is_link_local() || a.is_unspecified(),
        Ok(std::net::IpAddr::V6(a)) => a.is_loopback() || a.is_unspecified() || (a.segments()[0] & 0xfe00) == 0xfc00,
        Err(_) => true,
    }
}

/// AWS access key ids (`AKIA…`, `ASIA…`) a text names.
fn access_keys(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let key = t.len() == 20
            && (t.starts_with("AKIA") || t.starts_with("ASIA"))
            && t.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if key && !out.iter().any(|k| k == t) {
            out.push(t.to_string());
        }
    }
    out
}

fn subject_of(kind: &str, value: &str) -> Option<Subject> {
    // An AWS principal by its ARN: the IAM user's name, or an assumed role's session name.
    let value = match value.strip_prefix("arn:") {
        Some(rest) if rest.contains('/') => rest.rsplit('/').next().unwrap_or(rest),
        Some(rest) => rest.rsplit(':').next().unwrap_or(rest),
        None => value,
    };
    if !is_safe_value(value) {
        return None;
    }
    Some(match kind {
        "user" if value.contains('@') => Subject::Email(value.to_string()),
        "user" => Subject::User(value.to_string()),
        "host" => Subject::Host(value.to_string()),
        "ip" => Subject::Ip(value.to_string()),
        "key" => Subject::Key(value.to_string()),
        "bucket" => Subject::Bucket(value.to_string()),
        _ => return None,
    })
}

/// Investigates incident `id` as `caller`; `response` names the playbooks in force.
pub fn investigate(
    app: &App,
    caller: &Caller,
    id: &str,
    response: &ResponseConfig,
) -> Result<Investigation, AssistError> {
    let caller = acting_for(caller);
    // The assistant's event columns, and API responses: keys a call created are in them.
    let columns = format!("{}, api_response_data AS response", tools::EVENT_COLUMNS);
    let detail = app.incident_detail(&caller, id)?;
    let inc = &detail.incident;
    let (from_ms, to_ms) = (inc.first_ms - WINDOW_MS, inc.last_ms + WINDOW_MS);
    let mut facts = Facts::default();
    let mut searched: Vec<String> = vec![format!("incident {}", inc.id)];
    let mut unknown: Vec<String> = Vec::new();
    let incident_fact = facts.add(tools::incident_fact(inc));

    // The entities the alerts name, once each, in the order they appear.
    let mut named: Vec<(String, String)> = Vec::new();
    for a in &detail.alerts {
        let e = &a.entities;
        for (kind, list) in
            [("user", &e.users), ("host", &e.hosts), ("key", &e.keys), ("bucket", &e.buckets), ("ip", &e.ips)]
        {
            for v in list {
                let pair = (kind.to_string(), v.clone());
                if !named.contains(&pair) {
                    named.push(pair);
                }
            }
        }
    }
    let subjects: Vec<(String, String, Subject)> = named
        .iter()
        .filter_map(|(k, v)| subject_of(k, v).map(|s| (k.clone(), v.clone(), s)))
        .take(MAX_ENTITIES)
        .collect();
    if named.len() > subjects.len() {
        searched.push(format!("the first {} of {} entities the alerts name", subjects.len(), named.len()));
    }

    // Per entity: the inventory, the baselines, first and last seen.
    let mut entities = Vec::new();
    for (kind, value, subject) in &subjects {
        let mut ids = Vec::new();
        let mut calls = vec![ToolCall::Baseline { subject: subject.clone() }];
        if kind != "ip" {
            calls.insert(0, ToolCall::InventoryEntry { subject: subject.clone() });
        }
        // First and last seen, over the whole lake, for addresses and keys (a new network or a
        // key back from the dead is the question for them).
        if kind == "ip" || kind == "key" {
            calls.push(ToolCall::Sightings { subject: subject.clone(), period: None });
        }
        for call in calls {
            let out = tools::run(app, &caller, &call);
            searched.push(call.describe());
            searched.extend(out.notes.iter().cloned());
            if out.refused {
                unknown.extend(out.missing.iter().cloned());
            }
            for f in out.facts {
                ids.push(facts.add(f));
            }
        }
        entities.push(EntityContext { kind: kind.clone(), value: value.clone(), facts: ids });
    }

    // The timeline: every source's events of those entities around the incident, and the
    // events the alerts cite, wherever they fall.
    let period = Period { from_ms, to_ms, label: "the incident's window".into() };
    let mut rows: Vec<Value> = Vec::new();
    let mut truncated = false;
    let query = EventQuery {
        subjects: subjects.iter().map(|(_, _, s)| s.clone()).collect(),
        period: Some(period),
        ..Default::default()
    };
    let mut lake_refused = false;
    if let Some((table, cond)) = query.table_and_condition() {
        let sql = format!("SELECT {} FROM {table} WHERE {cond} ORDER BY time, id LIMIT {}", columns, MAX_TIMELINE + 1);
        searched.push(format!("events of the incident's entities from {} to {}", fmt_ms(from_ms), fmt_ms(to_ms)));
        match hunt_rows(app, &caller, &sql, MAX_TIMELINE + 1) {
            Ok((mut r, _)) => {
                truncated = r.len() > MAX_TIMELINE;
                r.truncate(MAX_TIMELINE);
                rows = r;
            }
            Err(e) => {
                lake_refused = matches!(e, AppError::Forbidden { .. });
                let r = ToolOutput::refusal(&e, "the incident's events");
                searched.extend(r.notes);
                unknown.extend(r.missing);
            }
        }
    }
    let mut decisive: BTreeMap<String, String> = BTreeMap::new();
    let mut alert_events: Vec<String> = Vec::new();
    for a in &detail.alerts {
        for e in &a.event_ids {
            let ok = e.len() == 32 && e.chars().all(|c| c.is_ascii_hexdigit());
            if ok && !decisive.contains_key(e) && alert_events.len() < MAX_ALERT_EVENTS {
                decisive.insert(e.clone(), format!("it raised alert \"{}\"", a.rule.title));
                alert_events.push(e.clone());
            }
        }
    }
    if !alert_events.is_empty() && !lake_refused {
        let have: BTreeSet<String> = rows.iter().map(|r| s(r, "id")).collect();
        let missing: Vec<String> =
            alert_events.iter().filter(|e| !have.contains(*e)).map(|e| sql_str(&e.to_ascii_lowercase())).collect();
        if !missing.is_empty() {
            let sql = format!("SELECT {} FROM events WHERE id IN ({}) ORDER BY time, id", columns, missing.join(", "));
            match hunt_rows(app, &caller, &sql, MAX_ALERT_EVENTS) {
                Ok((r, _)) => rows.extend(r),
                Err(e) => searched.extend(ToolOutput::refusal(&e, "the alerts' events").notes),
            }
        }
    }
    rows.sort_by_key(|r| (tools::i(r, "t"), s(r, "id")));
    rows.dedup_by(|a, b| s(a, "id") == s(b, "id"));

    // Addresses the alerts name (or their events carry) from outside: an event of the window
    // with one of them is decisive too.
    let mut indicators: BTreeSet<String> = BTreeSet::new();
    for a in &detail.alerts {
        indicators.extend(a.entities.ips.iter().filter(|ip| !is_internal(ip)).cloned());
    }
    for r in rows.iter().filter(|r| alert_events.contains(&s(r, "id"))) {
        for k in ["src_ip", "dst_ip"] {
            let ip = s(r, k);
            if !ip.is_empty() && !is_internal(&ip) {
                indicators.insert(ip);
            }
        }
    }
    // Who did what where in the alerts' own events: an event of the incident's span by the same
    // actor on the same host is part of the same act.
    let acts: BTreeSet<(String, String)> = rows
        .iter()
        .filter(|r| alert_events.contains(&s(r, "id")))
        .map(|r| (s(r, "actor").to_lowercase(), s(r, "host").to_lowercase()))
        .filter(|(a, h)| !a.is_empty() && !h.is_empty())
        .collect();
    let procs: BTreeSet<(String, String)> = rows
        .iter()
        .filter(|r| alert_events.contains(&s(r, "id")))
        .map(|r| (s(r, "process").to_lowercase(), s(r, "host").to_lowercase()))
        .filter(|(p, h)| !p.is_empty() && !h.is_empty())
        .collect();
    let hosts: BTreeSet<String> = named.iter().filter(|(k, _)| k == "host").map(|(_, v)| v.to_lowercase()).collect();
    let human = |a: &str| {
        let a = a.to_lowercase();
        !a.is_empty() && !a.ends_with('$') && !["system", "local service", "network service"].contains(&a.as_str())
    };
    let during = |r: &Value| tools::i(r, "t").is_some_and(|t| t >= inc.first_ms && t <= inc.last_ms);
    let mut timeline = Vec::new();
    for r in &rows {
        let id = s(r, "id");
        let f = tools::event_fact(r);
        let why = decisive.get(&id).cloned().or_else(|| {
            ["src_ip", "dst_ip"]
                .iter()
                .map(|k| s(r, k))
                .find(|ip| indicators.contains(ip))
                .map(|ip| format!("it involves {ip}, an address of the alerts"))
                .or_else(|| {
                    let act = (s(r, "actor").to_lowercase(), s(r, "host").to_lowercase());
                    (during(r) && acts.contains(&act))
                        .then(|| format!("{} did it on {} while the alerts fired", s(r, "actor"), s(r, "host")))
                })
                .or_else(|| {
                    let p = (s(r, "process").to_lowercase(), s(r, "host").to_lowercase());
                    (during(r) && procs.contains(&p))
                        .then(|| format!("{} on {} did it while the alerts fired", s(r, "process"), s(r, "host")))
                })
                .or_else(|| {
                    let on_host = hosts.contains(&s(r, "host").to_lowercase());
                    let who = if human(&s(r, "actor")) { s(r, "actor") } else { s(r, "target_user") };
                    (during(r) && on_host && human(&who))
                        .then(|| format!("{who} acted on {}, a host of the alerts, while they fired", s(r, "host")))
                })
        });
        let fact = facts.add(f);
        timeline.push(Entry {
            time: tools::i(r, "t").map(fmt_ms).unwrap_or_default(),
            event: id,
            product: s(r, "product"),
            fact,
            decisive: why,
        });
    }

    // The blast radius: what else the same events touch.
    let mine: BTreeSet<String> = named
        .iter()
        .map(|(_, v)| v.to_lowercase())
        .chain(subjects.iter().map(|(_, _, s)| s.value().to_lowercase()))
        .collect();
    let mut reach: Vec<Reach> = Vec::new();
    for (r, e) in rows.iter().zip(&timeline) {
        for (col, kind, via) in [
            ("actor", "user", "acted in the incident's events"),
            ("target_user", "user", "was the target of the incident's events"),
            ("host", "host", "is where the incident's events happened"),
            ("src_ip", "ip", "is a source address of the incident's events"),
            ("dst_ip", "ip", "is a destination of the incident's events"),
            ("bucket", "bucket", "is a bucket the incident's events touched"),
            ("key", "key", "is an access key the incident's events used"),
        ] {
            let v = s(r, col);
            if v.is_empty() || mine.contains(&v.to_lowercase()) || reach.len() >= MAX_REACH {
                continue;
            }
            if reach.iter().any(|x| x.kind == kind && x.value.eq_ignore_ascii_case(&v)) {
                continue;
            }
            reach.push(Reach { kind: kind.into(), value: v, via: via.into(), fact: e.fact.clone() });
        }
        // Access keys an API call's request or response names (a key created, listed, deleted).
        for k in access_keys(&format!("{} {}", s(r, "request"), s(r, "response"))) {
            let known = mine.contains(&k.to_lowercase()) || reach.iter().any(|x| x.kind == "key" && x.value == k);
            if !known && reach.len() < MAX_REACH {
                let via = format!("is an access key named in {} calls of the incident", s(r, "operation"));
                reach.push(Reach { kind: "key".into(), value: k, via, fact: e.fact.clone() });
            }
        }
    }

    // One hop further: where the people acting in the incident's events (not machine accounts)
    // also acted in the window.
    let mut pivots: Vec<Subject> = Vec::new();
    for r in reach.iter().filter(|r| r.kind == "user") {
        let lower = r.value.to_lowercase();
        let machine = lower.ends_with('$')
            || ["system", "local service", "network service", "anonymous logon"].contains(&lower.as_str());
        if machine || pivots.len() >= 3 {
            continue;
        }
        if let Some(sub) = subject_of("user", &r.value).filter(|x| !pivots.contains(x)) {
            pivots.push(sub);
        }
    }
    let pivot_query = EventQuery {
        subjects: pivots.clone(),
        period: Some(Period { from_ms, to_ms, label: "the incident's window".into() }),
        ..Default::default()
    };
    if !pivots.is_empty()
        && !lake_refused
        && let Some((table, cond)) = pivot_query.table_and_condition()
    {
        let sql = format!("SELECT {columns} FROM {table} WHERE {cond} ORDER BY time, id LIMIT 200");
        searched.push(format!(
            "events of {} from {} to {}",
            pivots.iter().map(|p| p.value()).collect::<Vec<_>>().join(", "),
            fmt_ms(from_ms),
            fmt_ms(to_ms)
        ));
        if let Ok((more, _)) = hunt_rows(app, &caller, &sql, 200) {
            for r in &more {
                for (col, kind) in [("host", "host"), ("dst_ip", "ip"), ("target_user", "user")] {
                    let v = s(r, col);
                    let taken = v.is_empty()
                        || mine.contains(&v.to_lowercase())
                        || reach.iter().any(|x| x.value.eq_ignore_ascii_case(&v));
                    if !taken && reach.len() < MAX_REACH {
                        let id = facts.add(tools::event_fact(r));
                        let via = format!("is where {} also acted in the window", s(r, "actor"));
                        reach.push(Reach { kind: kind.into(), value: v, via, fact: id });
                    }
                }
            }
        }
    }

    // Internal addresses in the blast radius: the host the inventory gives each, and its owner.
    let internal: Vec<String> =
        reach.iter().filter(|r| r.kind == "ip" && is_internal(&r.value)).map(|r| r.value.clone()).take(5).collect();
    for ip in internal {
        let out = tools::run(app, &caller, &ToolCall::InventoryEntry { subject: Subject::Ip(ip.clone()) });
        for f in out.facts {
            let (host, owner) = (f.field("host").map(str::to_string), f.field("owner").map(str::to_string));
            let id = facts.add(f);
            if let Some(h) = host.filter(|h| !reach.iter().any(|x| x.value.eq_ignore_ascii_case(h))) {
                reach.push(Reach {
                    kind: "host".into(),
                    value: h,
                    via: format!("has the address {ip}"),
                    fact: id.clone(),
                });
            }
            if let Some(o) = owner.filter(|o| !reach.iter().any(|x| x.value.eq_ignore_ascii_case(o))) {
                reach.push(Reach { kind: "user".into(), value: o, via: format!("owns the host with {ip}"), fact: id });
            }
        }
    }

    // The people the inventory names as owners of the incident's keys, IAM users and hosts.
    for c in &entities {
        for id in &c.facts {
            let Some(f) = facts.0.iter().find(|f| &f.id == id) else { continue };
            let Some(owner) = f.field("owner").filter(|o| o.contains('@')) else { continue };
            let known = mine.contains(&owner.to_lowercase())
                || entities.iter().any(|x| x.value.eq_ignore_ascii_case(owner))
                || reach.iter().any(|x| x.value.eq_ignore_ascii_case(owner));
            if !known && reach.len() < MAX_REACH {
                reach.push(Reach {
                    kind: "user".into(),
                    value: owner.to_string(),
                    via: format!("owns {} {}, per the inventory", c.kind, c.value),
                    fact: id.clone(),
                });
            }
        }
    }

    // What is unknown: entities no event in the window shows.
    if !lake_refused {
        for (kind, value, subject) in &subjects {
            let v = subject.value();
            let seen = rows.iter().any(|r| {
                ["actor", "target_user", "host", "src_ip", "dst_ip", "bucket", "key"].iter().any(|k| {
                    s(r, k).eq_ignore_ascii_case(v)
                        || s(r, k).to_lowercase().starts_with(&format!("{}@", v.to_lowercase()))
                })
            });
            if !seen {
                unknown.push(format!(
                    "{kind} {value}: no source shows it between {} and {} (is its source connected?)",
                    fmt_ms(from_ms),
                    fmt_ms(to_ms)
                ));
            }
        }
    }

    // Next steps: the playbooks whose trigger matches, and hunts over the lake's past.
    let mut next_steps = Vec::new();
    match app.playbooks_for(&caller, response, &inc.id) {
        Ok(pbs) => {
            for p in pbs {
                next_steps.push(NextStep {
                    text: format!("run playbook \"{}\" on the incident's case", p.name),
                    playbook: Some(p.id.clone()),
                    hunt: None,
                });
            }
        }
        Err(e) => searched.extend(ToolOutput::refusal(&e, "the playbooks in force").notes),
    }
    for ip in indicators.iter().take(5) {
        next_steps.push(NextStep {
            text: format!("hunt {ip} across the whole lake: who else it reached, and since when"),
            playbook: None,
            hunt: Some(format!(
                "SELECT CAST(time AS VARCHAR) AS time, metadata_product AS source, actor_user_name AS actor, \
                 device_hostname AS host, src_ip, dst_ip FROM events WHERE src_ip = {v} OR dst_ip = {v} \
                 ORDER BY time LIMIT 500",
                v = sql_str(ip)
            )),
        });
    }
    for (kind, value, subject) in subjects.iter().filter(|(k, _, _)| k == "user" || k == "key").take(3) {
        let q = EventQuery { subjects: vec![subject.clone()], ..Default::default() };
        if let Some((table, cond)) = q.table_and_condition() {
            next_steps.push(NextStep {
                text: format!("review what {kind} {value} did in the 30 days before the incident"),
                playbook: None,
                hunt: Some(format!(
                    "SELECT CAST(time AS VARCHAR) AS time, metadata_product AS source, class_name, api_operation, \
                     metadata_event_code AS code, src_ip, device_hostname AS host FROM {table} WHERE {cond} \
                     AND time >= to_timestamp_millis({}) AND time < to_timestamp_millis({}) ORDER BY time LIMIT 500",
                    inc.first_ms - 30 * 86_400_000,
                    inc.first_ms
                )),
            });
        }
    }

    // The summary, from facts of its own, through the verifier.
    let n_decisive = timeline.iter().filter(|e| e.decisive.is_some()).count();
    let mut summary_ids: Vec<String> = vec![incident_fact];
    if let Some(first) = timeline.iter().find(|e| e.decisive.is_some()) {
        let last = timeline.iter().rev().find(|e| e.decisive.is_some()).unwrap_or(first);
        let f = Fact::new(
            FactKind::Aggregate,
            Citation::event(&first.event),
            format!(
                "{n_decisive} of the {} events in the timeline are decisive, from {} to {}",
                timeline.len(),
                first.time,
                last.time
            ),
        )
        .with("decisive", n_decisive.to_string())
        .with("events", timeline.len().to_string())
        .with("first", first.time.clone())
        .with("last", last.time.clone());
        summary_ids.push(facts.add(f));
    }
    if !reach.is_empty() {
        let users: Vec<&str> = reach.iter().filter(|r| r.kind == "user").map(|r| r.value.as_str()).take(5).collect();
        let hosts: Vec<&str> = reach.iter().filter(|r| r.kind == "host").map(|r| r.value.as_str()).take(5).collect();
        let cite = facts.0.iter().find(|f| f.id == reach[0].fact).map(|f| f.citation.clone());
        if let Some(cite) = cite {
            let mut text = format!("the incident's events also touch {} other entities", reach.len());
            if !users.is_empty() {
                text.push_str(&format!(", users {}", users.join(", ")));
            }
            if !hosts.is_empty() {
                text.push_str(&format!(", hosts {}", hosts.join(", ")));
            }
            let f = Fact::new(FactKind::Aggregate, cite, text)
                .with("entities", reach.len().to_string())
                .with("users", users.join(" "))
                .with("hosts", hosts.join(" "));
            summary_ids.push(facts.add(f));
        }
    }
    let mut summary = Vec::new();
    let mut dropped = 0;
    let summary_facts: Vec<Fact> = facts.0.iter().filter(|f| summary_ids.contains(&f.id)).cloned().collect();
    for sentence in Composer.write("", &summary_facts) {
        match crate::verify::verify_in(&sentence, &facts.0) {
            Ok(()) => summary.push(sentence),
            Err(_) => dropped += 1,
        }
    }
    searched.dedup();
    unknown.dedup();
    let record = Investigation {
        incident: inc.id.clone(),
        title: inc.title.clone(),
        made_ms: app.now_ms(),
        made_by: caller.name(),
        from_ms,
        to_ms,
        entities,
        timeline,
        timeline_truncated: truncated,
        blast_radius: reach,
        unknown,
        next_steps,
        summary,
        dropped,
        searched,
        facts: facts.0,
    };
    app.record_invocation(
        &caller,
        AUDIT_INVESTIGATE,
        &format!(
            "{}: {} events, {n_decisive} decisive, {} entities in the blast radius, {} unknown",
            record.incident,
            record.timeline.len(),
            record.blast_radius.len(),
            record.unknown.len()
        ),
        Ok(()),
    )?;
    Ok(record)
}

/// Whether `caller` may keep investigations with the queue: it works cases and reads the lake.
pub fn may_keep(caller: &Caller) -> bool {
    let acting = acting_for(caller);
    acting.can(vigil_auth::Permission::WorkCases) && acting.can(vigil_auth::Permission::Hunt)
}

/// Makes incident `id`'s investigation as `caller` and keeps it with the queue when the caller
/// [`may_keep`] it; whether it was kept.
pub fn investigate_and_keep(
    app: &App,
    caller: &Caller,
    id: &str,
    response: &ResponseConfig,
) -> Result<(Investigation, bool), AssistError> {
    let record = investigate(app, caller, id, response)?;
    if !may_keep(caller) {
        return Ok((record, false));
    }
    let json = serde_json::to_value(&record).map_err(|e| AssistError::Invalid(e.to_string()))?;
    app.keep_investigation(&acting_for(caller), &record.incident, json, record.to_text())?;
    Ok((record, true))
}

/// Incident `id`'s investigation: the one kept with the queue while it still describes the
/// incident (unless `fresh` asks for a new one), else made now and kept. The flag says
/// whether the kept one was used.
pub fn kept_or_new(
    app: &App,
    caller: &Caller,
    id: &str,
    response: &ResponseConfig,
    fresh: bool,
) -> Result<(Investigation, bool), AssistError> {
    let acting = acting_for(caller);
    // The kept record holds the lake's events: only a reader of the lake gets it; anyone else
    // gets one made now as themselves, with what they may not read named as unknown.
    let reads_kept = acting.can(vigil_auth::Permission::Hunt) && acting.can(vigil_auth::Permission::ViewQueue);
    if !fresh
        && reads_kept
        && let Some(k) = app.kept_investigation(&acting, id)?.filter(|k| k.current)
    {
        // A record that no longer reads (written by another version) is made again.
        if let Ok(record) = serde_json::from_value::<Investigation>(k.stored.record) {
            return Ok((record, true));
        }
    }
    let (record, _) = investigate_and_keep(app, caller, id, response)?;
    Ok((record, false))
}

/// What [`investigate_pending`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PendingRun {
    /// Incidents investigated and kept, in the order done (highest risk first).
    pub investigated: Vec<String>,
    /// Incidents whose investigation failed, with why; they are tried again next time.
    pub failed: Vec<(String, String)>,
    /// Queued incidents still without a current investigation (past `max`, or stopped).
    pub remaining: usize,
}

/// Investigates the queued incidents that have no current investigation, highest risk first,
/// at most `max` of them, as `caller` (the server's [`vigil_app::caller::INVESTIGATOR`] after
/// each triage, or a person); `stop` is asked between incidents. One incident's failure is
/// recorded and the rest go on.
pub fn investigate_pending(
    app: &App,
    caller: &Caller,
    response: &ResponseConfig,
    max: usize,
    stop: &dyn Fn() -> bool,
) -> Result<PendingRun, AssistError> {
    let pending = app.incidents_to_investigate(&acting_for(caller))?;
    if !may_keep(caller) {
        return Err(AssistError::Invalid(format!(
            "{} may not keep investigations (it needs to work cases and read the lake)",
            caller.name()
        )));
    }
    let mut run = PendingRun::default();
    for inc in pending.iter().take(max) {
        if stop() {
            break;
        }
        match investigate_and_keep(app, caller, &inc.id, response) {
            Ok(_) => run.investigated.push(inc.id.clone()),
            Err(e) => run.failed.push((inc.id.clone(), e.to_string())),
        }
    }
    run.remaining = pending.len() - run.investigated.len();
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_indicators() {
        for ip in ["10.1.2.3", "192.168.0.1", "172.16.5.4", "127.0.0.1", "169.254.1.1", "fd00::1", "nonsense"] {
            assert!(is_internal(ip), "{ip}");
        }
        for ip in ["45.134.1.2", "8.8.8.8", "2001:4860::8888"] {
            assert!(!is_internal(ip), "{ip}");
        }
    }

    #[test]
    fn access_keys_are_found_in_request_and_response_text() {
        let text = r#"{"accessKey":{"accessKeyId":"AKIAFE64ZTLMRHZFI3RD","userName":"x"}} ASIAI5BMENPPRIIVMJFJ akia1"#;
        assert_eq!(access_keys(text), ["AKIAFE64ZTLMRHZFI3RD", "ASIAI5BMENPPRIIVMJFJ"]);
        assert!(access_keys("AKIAfe64ztlmrhzfi3rd AKIAFE64ZTLMRHZFI3RDX").is_empty());
    }

    #[test]
    fn only_safe_values_become_subjects() {
        assert_eq!(subject_of("user", "ann@example.com"), Some(Subject::Email("ann@example.com".into())));
        assert_eq!(subject_of("user", "ann"), Some(Subject::User("ann".into())));
        assert_eq!(subject_of("host", "x' OR 1=1"), None);
        assert_eq!(subject_of("process", "a.exe"), None);
        assert_eq!(subject_of("user", "arn:aws:iam::8118:user/dev-ann"), Some(Subject::User("dev-ann".into())));
        assert_eq!(subject_of("user", "arn:aws:iam::8118:root"), Some(Subject::User("root".into())));
        assert_eq!(
            subject_of("user", "arn:aws:sts::1:assumed-role/okta-admin/zoe@example.com"),
            Some(Subject::Email("zoe@example.com".into()))
        );
    }
}

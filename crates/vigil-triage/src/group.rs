//! Dedupe and grouping.
//!
//! Dedupe: alerts of one detection about the same entities are one item while they keep coming
//! within the dedupe window of each other; the item keeps every alert id, the count and the first
//! and last time. Nothing is discarded.
//!
//! Grouping: items become one incident when they are linked, and every link is recorded with its
//! reason. The links, what an analyst would link and nothing more:
//!
//! - `shared_events`: they are built on the same source events (a correlation and its members).
//! - `shared_entity`: they share an entity (user, host, key, bucket, ip; kinds are kept apart, so
//!   a host never matches a user) within a window that depends on what the items are:
//!   - two *alerting* items (level medium and above): the link window (12 h); the longer
//!     progression window (72 h) when the later item is a later ATT&CK stage than the earlier
//!     one (attack progression). Only detections of attack stages progress.
//!   - a *signal* (level low or informational) on either side: the signal window (1 h) and never
//!     progression. Signals are routine on their own (an admin adding a group member); they are
//!     context for an attack only when they sit right next to it, so a person's ordinary activity
//!     hours later is not pulled in as the attack's "next stage".
//! - `spread`: the same high or critical lateral-movement detection (its tactics include
//!   `lateral_movement`) on different entities within the spread window (1 h): one intruder
//!   moving from host to host, even when the hosts share no entity in the alerts (a service
//!   install names only the host it ran on).
//!
//! Entities that many people share (an office egress address, a domain controller, a file
//! server) are hubs and link nothing by themselves: an entity seen with more than `hub_users`
//! distinct users is one. Items on a hub still link through any other entity they share (the
//! same credential, the same source host) and through the links above. A person's hand (merge,
//! split) is applied on top as must-link and cannot-link constraints.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigil_model::{Alert, AlertKind};

use crate::inventory::normalize;

/// ATT&CK tactics in kill-chain order: the list alerts' tactics are read against.
pub use vigil_model::TACTICS as TACTIC_ORDER;

/// A tactic's place in the kill chain; the newer `stealth` and `defense_impairment` rank with
/// defense evasion, which they split.
pub fn tactic_rank(t: &str) -> Option<usize> {
    let t = if t == "stealth" || t == "defense_impairment" { "defense_evasion" } else { t };
    TACTIC_ORDER.iter().position(|x| *x == t)
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct GroupOptions {
    pub dedupe_window_ms: i64,
    pub link_window_ms: i64,
    /// The window when the later item is a later ATT&CK stage.
    pub progression_window_ms: i64,
    pub hub_users: usize,
    /// The window for links where either side is a signal (level low or informational).
    #[serde(default = "default_signal_window")]
    pub signal_window_ms: i64,
    /// The window for the same lateral-movement detection on different entities.
    #[serde(default = "default_spread_window")]
    pub spread_window_ms: i64,
}

fn default_signal_window() -> i64 {
    3_600_000
}

fn default_spread_window() -> i64 {
    3_600_000
}

impl Default for GroupOptions {
    fn default() -> Self {
        GroupOptions {
            dedupe_window_ms: 3_600_000,
            link_window_ms: 12 * 3_600_000,
            progression_window_ms: 72 * 3_600_000,
            hub_users: 3,
            signal_window_ms: default_signal_window(),
            spread_window_ms: default_spread_window(),
        }
    }
}

/// One detection about the same entities, deduplicated.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Item {
    /// Stable: fingerprint and first time.
    pub id: String,
    pub fingerprint: String,
    pub rule_id: String,
    pub rule_title: String,
    pub level: String,
    pub kind: AlertKind,
    pub first_ms: i64,
    pub last_ms: i64,
    pub count: u64,
    pub alert_ids: Vec<String>,
    /// Entities as `kind:name`, normalized.
    pub entities: Vec<String>,
    pub tactics: Vec<String>,
    pub techniques: Vec<String>,
    pub confidence: u8,
}

/// Why two items are in one incident.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Link {
    pub from: String,
    pub to: String,
    /// `shared_events`, `shared_entity`, `spread`, `analyst_merge`.
    pub kind: String,
    pub detail: String,
    pub gap_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub progression: Option<(String, String)>,
}

/// A person's correction, kept and re-applied every time triage runs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Override {
    /// These items belong together.
    Merge { items: Vec<String>, by: String, at_ms: i64, reason: String },
    /// These items leave their incident and form their own.
    Split { items: Vec<String>, by: String, at_ms: i64, reason: String },
}

/// A group of items: what an analyst sees as one line of the queue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Group {
    pub id: String,
    pub items: Vec<Item>,
    pub links: Vec<Link>,
    pub first_ms: i64,
    pub last_ms: i64,
    pub entities: Vec<String>,
    /// Those of `entities` that are hubs (seen with more than `hub_users` distinct users).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hubs: Vec<String>,
    pub tactics: Vec<String>,
}

impl Group {
    pub fn alert_ids(&self) -> impl Iterator<Item = &String> {
        self.items.iter().flat_map(|i| i.alert_ids.iter())
    }
    pub fn alert_count(&self) -> u64 {
        self.items.iter().map(|i| i.count).sum()
    }
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}

/// `kind:name` for each entity of an alert, normalized and sorted.
pub fn entity_keys(a: &Alert) -> Vec<String> {
    let e = &a.entities;
    let mut out = BTreeSet::new();
    for (k, list) in [("user", &e.users), ("host", &e.hosts), ("key", &e.keys), ("bucket", &e.buckets), ("ip", &e.ips)]
    {
        for v in list {
            let mut n = normalize(v);
            if k == "host" {
                // WKS-0001.corp.example.com and WKS-0001 are one host.
                n = n.split('.').next().unwrap_or(&n).to_string();
            }
            if !n.is_empty() {
                out.insert(format!("{k}:{n}"));
            }
        }
    }
    out.into_iter().collect()
}

/// The dedupe fingerprint: detection and entities.
pub fn fingerprint(a: &Alert) -> String {
    let ents = entity_keys(a).join("|");
    short_hash(&[&a.rule.id, &ents])
}

/// Folds repeated alerts into items. Alerts with no time are items of their own.
pub fn dedupe(alerts: &[&Alert], window_ms: i64) -> Vec<Item> {
    let mut sorted: Vec<&Alert> = alerts.to_vec();
    sorted.sort_by(|a, b| a.time.unwrap_or(i64::MIN).cmp(&b.time.unwrap_or(i64::MIN)).then(a.id.cmp(&b.id)));
    let mut open: HashMap<String, usize> = HashMap::new();
    let mut items: Vec<Item> = Vec::new();
    for a in sorted {
        let fp = fingerprint(a);
        let t = a.time.unwrap_or(0);
        if a.time.is_some()
            && let Some(&ix) = open.get(&fp)
            && t - items[ix].last_ms <= window_ms
        {
            let it = &mut items[ix];
            it.last_ms = t;
            it.count += 1;
            it.alert_ids.push(a.id.clone());
            it.confidence = it.confidence.max(a.confidence.score);
            continue;
        }
        let item = Item {
            id: format!("ITEM-{}", short_hash(&[&fp, &t.to_string(), &a.id])),
            fingerprint: fp.clone(),
            rule_id: a.rule.id.clone(),
            rule_title: a.rule.title.clone(),
            level: a.rule.level.as_str().to_string(),
            kind: a.kind,
            first_ms: t,
            last_ms: t,
            count: 1,
            alert_ids: vec![a.id.clone()],
            entities: entity_keys(a),
            tactics: a.rule.tactics.clone(),
            techniques: a.rule.techniques.clone(),
            confidence: a.confidence.score,
        };
        if a.time.is_some() {
            open.insert(fp, items.len());
        }
        items.push(item);
    }
    items
}

struct Dsu {
    parent: Vec<usize>,
    members: Vec<Vec<usize>>,
}

impl Dsu {
    fn new(n: usize) -> Dsu {
        Dsu { parent: (0..n).collect(), members: (0..n).map(|i| vec![i]).collect() }
    }
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
    /// Joins unless a cannot-link pair would end up together.
    fn union(&mut self, a: usize, b: usize, cannot: &HashMap<usize, BTreeSet<usize>>) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        for x in &self.members[ra] {
            if let Some(no) = cannot.get(x)
                && self.members[rb].iter().any(|y| no.contains(y))
            {
                return false;
            }
        }
        let (big, small) = if self.members[ra].len() >= self.members[rb].len() { (ra, rb) } else { (rb, ra) };
        self.parent[small] = big;
        let moved = std::mem::take(&mut self.members[small]);
        self.members[big].extend(moved);
        true
    }
}

/// Level medium and above: a detection of something an attacker does, not a routine signal.
fn alerting(it: &Item) -> bool {
    matches!(it.level.as_str(), "medium" | "high" | "critical")
}

/// A high or critical detection of lateral movement.
fn spreads(it: &Item) -> bool {
    matches!(it.level.as_str(), "high" | "critical") && it.tactics.iter().any(|t| t == "lateral_movement")
}

fn max_rank(tactics: &[String]) -> Option<usize> {
    tactics.iter().filter_map(|t| tactic_rank(t)).max()
}
fn min_rank(tactics: &[String]) -> Option<usize> {
    tactics.iter().filter_map(|t| tactic_rank(t)).min()
}

/// Groups items into incidents; `events` gives each alert's source event ids (for shared-event
/// links), by alert id.
pub fn group(
    items: Vec<Item>,
    events: &HashMap<String, Vec<String>>,
    opts: &GroupOptions,
    overrides: &[Override],
) -> Vec<Group> {
    let n = items.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (items[i].first_ms, items[i].id.clone()));
    let pos: HashMap<&str, usize> = items.iter().enumerate().map(|(i, it)| (it.id.as_str(), i)).collect();

    // Hubs: entities seen with many distinct users.
    let mut users_with: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for it in &items {
        let users: Vec<&str> = it.entities.iter().filter(|e| e.starts_with("user:")).map(String::as_str).collect();
        for e in &it.entities {
            let set = users_with.entry(e.as_str()).or_default();
            for u in &users {
                if *u != e.as_str() {
                    set.insert(u);
                }
            }
        }
    }
    let hub = |e: &str| !e.starts_with("user:") && users_with.get(e).is_some_and(|s| s.len() > opts.hub_users);

    // Constraints from people.
    let mut must: Vec<(usize, usize, String, String, i64)> = Vec::new();
    let mut cannot: HashMap<usize, BTreeSet<usize>> = HashMap::new();
    let mut split_sets: Vec<BTreeSet<usize>> = Vec::new();
    for o in overrides {
        match o {
            Override::Merge { items: ids, by, reason, .. } => {
                let ix: Vec<usize> = ids.iter().filter_map(|i| pos.get(i.as_str()).copied()).collect();
                for w in ix.windows(2) {
                    must.push((w[0], w[1], by.clone(), reason.clone(), 0));
                }
            }
            Override::Split { items: ids, .. } => {
                split_sets.push(ids.iter().filter_map(|i| pos.get(i.as_str()).copied()).collect());
            }
        }
    }
    for set in &split_sets {
        for &a in set {
            for b in 0..n {
                if !set.contains(&b) {
                    cannot.entry(a).or_default().insert(b);
                    cannot.entry(b).or_default().insert(a);
                }
            }
        }
    }

    let mut dsu = Dsu::new(n);
    let mut links: Vec<(usize, Link)> = Vec::new();
    for (a, b, by, reason, _) in &must {
        // A person's merge wins over an earlier split of the same items.
        for (x, y) in [(*a, *b), (*b, *a)] {
            if let Some(s) = cannot.get_mut(&x) {
                s.remove(&y);
            }
        }
        if dsu.union(*a, *b, &cannot) {
            links.push((
                *a,
                Link {
                    from: items[*a].id.clone(),
                    to: items[*b].id.clone(),
                    kind: "analyst_merge".into(),
                    detail: format!("merged by {by}: {reason}"),
                    gap_ms: (items[*b].first_ms - items[*a].last_ms).abs(),
                    progression: None,
                },
            ));
        }
    }

    // Shared events.
    let mut by_event: HashMap<&str, usize> = HashMap::new();
    for &i in &order {
        for aid in &items[i].alert_ids {
            for ev in events.get(aid).map(Vec::as_slice).unwrap_or(&[]) {
                match by_event.get(ev.as_str()) {
                    Some(&j) if j != i => {
                        if dsu.union(j, i, &cannot) {
                            links.push((
                                j,
                                Link {
                                    from: items[j].id.clone(),
                                    to: items[i].id.clone(),
                                    kind: "shared_events".into(),
                                    detail: format!("both built on event {ev}"),
                                    gap_ms: (items[i].first_ms - items[j].last_ms).max(0),
                                    progression: None,
                                },
                            ));
                        }
                    }
                    Some(_) => {}
                    None => {
                        by_event.insert(ev.as_str(), i);
                    }
                }
            }
        }
    }

    // Shared entities within the window, in time order: each item is compared with the recent
    // items that carry the same entity.
    let mut recent: HashMap<&str, Vec<usize>> = HashMap::new();
    for &i in &order {
        let it = &items[i];
        for e in &it.entities {
            if hub(e) {
                continue;
            }
            let list = recent.entry(e.as_str()).or_default();
            for &j in list.iter().rev() {
                let prev = &items[j];
                let gap = (it.first_ms - prev.last_ms).max(0);
                let both_alerting = alerting(prev) && alerting(it);
                let progression = match (max_rank(&prev.tactics), min_rank(&it.tactics)) {
                    (Some(p), Some(c)) if c > p && both_alerting => {
                        Some((TACTIC_ORDER[p].to_string(), TACTIC_ORDER[c].to_string()))
                    }
                    _ => None,
                };
                let window = if !both_alerting {
                    opts.signal_window_ms
                } else if progression.is_some() {
                    opts.progression_window_ms
                } else {
                    opts.link_window_ms
                };
                if gap > window {
                    continue;
                }
                if dsu.union(j, i, &cannot) {
                    let (kind, val) = e.split_once(':').unwrap_or(("entity", e));
                    links.push((
                        j,
                        Link {
                            from: prev.id.clone(),
                            to: it.id.clone(),
                            kind: "shared_entity".into(),
                            detail: format!("same {kind} {val}, {} apart", human_gap(gap)),
                            gap_ms: gap,
                            progression,
                        },
                    ));
                }
                break;
            }
            list.push(i);
        }
    }

    // Spread: the same lateral-movement detection on other entities shortly after.
    let mut last_of_rule: HashMap<&str, usize> = HashMap::new();
    for &i in &order {
        let it = &items[i];
        if !spreads(it) {
            continue;
        }
        if let Some(&j) = last_of_rule.get(it.rule_id.as_str()) {
            let prev = &items[j];
            let gap = (it.first_ms - prev.last_ms).max(0);
            if gap <= opts.spread_window_ms && dsu.union(j, i, &cannot) {
                links.push((
                    j,
                    Link {
                        from: prev.id.clone(),
                        to: it.id.clone(),
                        kind: "spread".into(),
                        detail: format!(
                            "the same lateral-movement detection on another entity, {} apart",
                            human_gap(gap)
                        ),
                        gap_ms: gap,
                        progression: None,
                    },
                ));
            }
        }
        last_of_rule.insert(it.rule_id.as_str(), i);
    }

    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let r = dsu.find(i);
        groups.entry(r).or_default().push(i);
    }
    let mut link_by_root: HashMap<usize, Vec<Link>> = HashMap::new();
    for (i, l) in links {
        let r = dsu.find(i);
        link_by_root.entry(r).or_default().push(l);
    }
    let hub_set: BTreeSet<String> = users_with.keys().filter(|e| hub(e)).map(|e| e.to_string()).collect();
    let mut slots: Vec<Option<Item>> = items.into_iter().map(Some).collect();
    let mut out: Vec<Group> = groups
        .into_iter()
        .map(|(root, mut members)| {
            members.sort_by_key(|&i| slots[i].as_ref().map(|x| (x.first_ms, x.id.clone())));
            let its: Vec<Item> = members.iter().filter_map(|&i| slots[i].take()).collect();
            let first_ms = its.iter().map(|x| x.first_ms).min().unwrap_or(0);
            let last_ms = its.iter().map(|x| x.last_ms).max().unwrap_or(0);
            let entities: BTreeSet<String> = its.iter().flat_map(|x| x.entities.iter().cloned()).collect();
            let mut tactics: Vec<String> =
                its.iter().flat_map(|x| x.tactics.iter().cloned()).collect::<BTreeSet<_>>().into_iter().collect();
            tactics.sort_by_key(|t| tactic_rank(t).unwrap_or(usize::MAX));
            // The incident is named after its earliest item, so it keeps its id as it grows.
            let id = format!("INC-{}", &its[0].id["ITEM-".len()..]);
            let hubs: Vec<String> = entities.iter().filter(|e| hub_set.contains(*e)).cloned().collect();
            Group {
                id,
                links: link_by_root.remove(&root).unwrap_or_default(),
                first_ms,
                last_ms,
                entities: entities.into_iter().collect(),
                hubs,
                tactics,
                items: its,
            }
        })
        .collect();
    out.sort_by(|a, b| a.first_ms.cmp(&b.first_ms).then(a.id.cmp(&b.id)));
    out
}

pub fn human_gap(ms: i64) -> String {
    let s = ms / 1000;
    if s < 120 {
        format!("{s}s")
    } else if s < 7200 {
        format!("{}m", s / 60)
    } else {
        format!("{:.1}h", s as f64 / 3600.0)
    }
}

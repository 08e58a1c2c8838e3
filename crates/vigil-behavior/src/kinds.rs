//! The detection kinds and their per-entity state.
//!
//! State is kept per (detection, entity), capped per detection (the least recently touched
//! entities are dropped first), serializable so the pipeline can persist it and a restart keeps
//! what was learned. Events should come in time order (the pipeline sorts each batch); kinds
//! tolerate some disorder (geo velocity keeps recent points sorted).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use vigil_model::{Alert, AlertKind, AlertRule, Confidence, Entities, Feature, Matched, alert_id};

use crate::format::{BehaviorDetection, BehaviorPack, EntityKind, Kind};
use crate::obs::Obs;

/// Entities kept per detection before the least recently touched are dropped.
pub const MAX_ENTITIES: usize = 200_000;
const MAX_KNOWN: usize = 64;
const MAX_POINTS: usize = 16;
const MAX_BUCKETS: usize = 90;
const MAX_DNS: usize = 200_000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GeoPoint {
    pub time: i64,
    pub lat: f64,
    pub lon: f64,
    pub ip: String,
    pub place: String,
    pub id: String,
}

/// What one detection remembers about one entity.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntityState {
    Geo {
        points: Vec<GeoPoint>,
    },
    /// Users seen behind one address (for geo velocity: shared egress such as a VPN).
    IpUsers {
        users: Vec<String>,
    },
    Known {
        first: i64,
        last: i64,
        events: u64,
        values: Vec<String>,
        alerted: Vec<String>,
    },
    Rate {
        buckets: Vec<(i64, f64)>,
        alerted: Vec<i64>,
        /// Ids of the latest bucket's events (the first 50), which an alert cites.
        #[serde(default)]
        ids: Vec<String>,
        #[serde(default)]
        ids_bucket: i64,
    },
    Egress {
        start: i64,
        bytes: f64,
        conns: u64,
        domains: Vec<String>,
        ids: Vec<String>,
        alerted: bool,
    },
    Seq {
        step: usize,
        started: i64,
        ids: Vec<String>,
        joined: String,
    },
    /// An address a listed domain resolved to, and when.
    Resolved {
        domain: String,
        time: i64,
    },
    /// Events per hour of the day (UTC).
    Hours {
        first: i64,
        hours: Vec<u64>,
        alerted_days: Vec<i64>,
    },
}

/// One persisted state entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StateRow {
    pub detection: String,
    pub entity: String,
    pub updated_ms: i64,
    pub state: String,
}

struct Slot {
    state: EntityState,
    touched: i64,
}

pub struct Engine {
    /// Shared so evaluation can hold one while it updates state, without copying its parameters.
    dets: Vec<Arc<BehaviorDetection>>,
    states: Vec<HashMap<String, Slot>>,
    dirty: HashSet<(usize, String)>,
    /// Observations seen, alerts raised.
    pub observed: u64,
    pub raised: u64,
}

fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len().is_multiple_of(2) { (v[m - 1] + v[m]) / 2.0 } else { v[m] }
}

/// A confidence from how far past its threshold a deviation is: 0.6 at the threshold, rising
/// towards 0.99 (a logistic of the log-ratio).
fn confidence_of(ratio_over_threshold: f64) -> u8 {
    let x = ratio_over_threshold.max(1e-6).ln();
    let p = 1.0 / (1.0 + (-(0.405 + 2.0 * x)).exp());
    (p * 100.0).round().clamp(1.0, 99.0) as u8
}

fn transform(value: &str, how: &str) -> String {
    match how {
        "ip16" | "ip24" => {
            let parts: Vec<&str> = value.split('.').collect();
            if parts.len() == 4 {
                if how == "ip16" {
                    format!("{}.{}.0.0/16", parts[0], parts[1])
                } else {
                    format!("{}.{}.{}.0/24", parts[0], parts[1], parts[2])
                }
            } else {
                value.to_string()
            }
        }
        _ => value.to_string(),
    }
}

impl Engine {
    pub fn new(pack: BehaviorPack) -> Engine {
        let dets: Vec<Arc<BehaviorDetection>> = pack.detections.into_iter().map(Arc::new).collect();
        let n = dets.len();
        Engine { dets, states: (0..n).map(|_| HashMap::new()).collect(), dirty: HashSet::new(), observed: 0, raised: 0 }
    }

    pub fn detections(&self) -> impl Iterator<Item = &BehaviorDetection> {
        self.dets.iter().map(|d| &**d)
    }

    /// Restores persisted state; rows of detections no longer in the pack are ignored.
    pub fn load(&mut self, rows: &[StateRow]) -> usize {
        let mut n = 0;
        for r in rows {
            let Some(i) = self.dets.iter().position(|d| d.id == r.detection) else { continue };
            if let Ok(state) = serde_json::from_str::<EntityState>(&r.state) {
                self.states[i].insert(r.entity.clone(), Slot { state, touched: r.updated_ms });
                n += 1;
            }
        }
        n
    }

    /// State changed since the last call, for the store.
    pub fn take_dirty(&mut self) -> Vec<StateRow> {
        let mut out = Vec::new();
        for (i, e) in std::mem::take(&mut self.dirty) {
            if let Some(slot) = self.states[i].get(&e) {
                out.push(StateRow {
                    detection: self.dets[i].id.clone(),
                    entity: e,
                    updated_ms: slot.touched,
                    state: serde_json::to_string(&slot.state).unwrap_or_default(),
                });
            }
        }
        out.sort_by(|a, b| (&a.detection, &a.entity).cmp(&(&b.detection, &b.entity)));
        out
    }

    /// Everything every detection knows about an entity (for `vigil baseline show`).
    pub fn entity(&self, entity: &str) -> Vec<(String, EntityState)> {
        let mut out = Vec::new();
        for (i, m) in self.states.iter().enumerate() {
            for (k, slot) in m {
                if k == entity || k.ends_with(&format!("|{entity}")) {
                    out.push((self.dets[i].id.clone(), slot.state.clone()));
                }
            }
        }
        out
    }

    fn slot(&mut self, i: usize, key: &str, now: i64, init: impl FnOnce() -> EntityState) -> &mut EntityState {
        let map = &mut self.states[i];
        if !map.contains_key(key) && map.len() >= MAX_ENTITIES {
            // Drop the least recently touched tenth.
            let mut ages: Vec<(i64, String)> = map.iter().map(|(k, s)| (s.touched, k.clone())).collect();
            ages.sort();
            for (_, k) in ages.into_iter().take(MAX_ENTITIES / 10) {
                map.remove(&k);
            }
        }
        self.dirty.insert((i, key.to_string()));
        let slot = map.entry(key.to_string()).or_insert_with(|| Slot { state: init(), touched: now });
        slot.touched = slot.touched.max(now);
        &mut slot.state
    }

    /// Feeds one event (in time order); returns the alerts it raises.
    pub fn observe(&mut self, o: &Obs) -> Vec<Alert> {
        self.observed += 1;
        let mut out = Vec::new();
        for i in 0..self.dets.len() {
            let d = Arc::clone(&self.dets[i]);
            // Egress detections also read DNS answers, which their `where` does not describe.
            if let Kind::EgressVolume { domains, .. } = &d.kind
                && let (Some(q), Some(ans)) = (o.get("dns_query"), o.get("dns_answers"))
            {
                let q = q.to_ascii_lowercase();
                if domains.iter().any(|dom| q == *dom || q.ends_with(&format!(".{dom}"))) {
                    let answers: Vec<String> = ans
                        .split([',', ' ', ';'])
                        .map(|a| a.trim().trim_start_matches("::ffff:"))
                        .filter(|a| a.parse::<std::net::IpAddr>().is_ok())
                        .map(str::to_string)
                        .collect();
                    for a in answers {
                        if self.states[i].len() < MAX_DNS {
                            let key = format!("dns|{a}");
                            let st = self
                                .slot(i, &key, o.time, || EntityState::Resolved { domain: q.clone(), time: o.time });
                            *st = EntityState::Resolved { domain: q.clone(), time: o.time };
                        }
                    }
                }
                continue;
            }
            if let Kind::Sequence { .. } = &d.kind {
                if let Some(a) = self.sequence(i, o) {
                    out.push(a);
                }
                continue;
            }
            if !o.matches(&d.filter) {
                continue;
            }
            let Some(entity) = o.get(&d.entity).map(str::to_string) else { continue };
            let alert = match &d.kind {
                Kind::GeoVelocity { max_kmh, min_km, shared_ip_users } => {
                    self.geo(i, o, &entity, *max_kmh, *min_km, *shared_ip_users)
                }
                Kind::NewValue { value, transform: how, learning_days, max_known, min_events } => {
                    self.new_value(i, o, &entity, value, how, *learning_days, *max_known, *min_events)
                }
                Kind::RateSpike { sum, bucket_secs, k_mad, min_ratio, floor, min_buckets } => {
                    self.rate(i, o, &entity, sum.as_deref(), *bucket_secs, *k_mad, *min_ratio, *floor, *min_buckets)
                }
                Kind::EgressVolume { window_secs, floor_bytes, .. } => {
                    self.egress(i, o, &entity, *window_secs, *floor_bytes)
                }
                Kind::OffHours { learning_days, min_events, max_share } => {
                    self.off_hours(i, o, &entity, *learning_days, *min_events, *max_share)
                }
                Kind::Sequence { .. } => None,
            };
            if let Some(a) = alert {
                out.push(a);
            }
        }
        self.raised += out.len() as u64;
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn alert(
        &self,
        i: usize,
        key: &str,
        time: i64,
        ids: Vec<String>,
        explanation: String,
        features: Vec<Feature>,
        confidence: u8,
        entities: Entities,
    ) -> Alert {
        let d = &self.dets[i];
        let rule = AlertRule {
            id: d.id.clone(),
            title: d.title.clone(),
            level: d.level,
            tags: d.techniques.iter().map(|t| format!("attack.{}", t.to_ascii_lowercase())).collect(),
            techniques: d.techniques.clone(),
            tactics: Vec::new(),
            file: d.file.clone(),
        };
        let fp = if d.falsepositives.is_empty() {
            String::new()
        } else {
            format!("; known false positives: {}", d.falsepositives.join("; "))
        };
        Alert {
            id: alert_id(&d.id, &ids, key),
            kind: AlertKind::Behavioral,
            rule,
            time: Some(time),
            event_ids: ids,
            source: None,
            matched: features
                .iter()
                .map(|f| Matched {
                    field: f.name.clone(),
                    value: f.value.clone(),
                    selection: Some(d.kind.name().into()),
                    matcher: None,
                })
                .collect(),
            explanation,
            confidence: Confidence {
                score: confidence,
                reason: format!("{} deviation past its threshold{fp}", d.kind.name()),
            },
            entities,
            correlation: None,
            features,
            controls: d.controls.clone(),
        }
    }

    fn geo(&mut self, i: usize, o: &Obs, user: &str, max_kmh: f64, min_km: f64, shared: usize) -> Option<Alert> {
        let (lat, lon) = (o.lat?, o.lon?);
        let ip = o.get("src_ip").unwrap_or("").to_string();
        // Learn which addresses many users share (office egress, VPN): not a place a person is.
        let ip_users = {
            let key = format!("ip|{ip}");
            let st = self.slot(i, &key, o.time, || EntityState::IpUsers { users: Vec::new() });
            let EntityState::IpUsers { users } = st else { return None };
            if !users.iter().any(|u| u == user) && users.len() < shared.max(1) * 4 {
                users.push(user.to_string());
            }
            users.len()
        };
        let place = [o.get("src_city"), o.get("src_country")].into_iter().flatten().collect::<Vec<_>>().join(", ");
        let p = GeoPoint { time: o.time, lat, lon, ip: ip.clone(), place, id: o.id.clone() };
        let st = self.slot(i, user, o.time, || EntityState::Geo { points: Vec::new() });
        let EntityState::Geo { points } = st else { return None };
        let pos = points.partition_point(|q| q.time <= p.time);
        let prev = pos.checked_sub(1).map(|k| points[k].clone());
        points.insert(pos, p.clone());
        if points.len() > MAX_POINTS {
            points.remove(0);
        }
        let prev = prev?;
        if prev.ip == p.ip || ip_users >= shared {
            return None;
        }
        let km = haversine_km((prev.lat, prev.lon), (p.lat, p.lon));
        let hours = ((p.time - prev.time) as f64 / 3_600_000.0).max(1.0 / 60.0);
        let kmh = km / hours;
        if km < min_km || kmh <= max_kmh {
            return None;
        }
        let ratio = kmh / max_kmh;
        let explanation = format!(
            "{user} signed in from {} ({}) {:.0} minutes after {} ({}): {:.0} km apart, {:.0} km/h against a limit of {:.0} km/h",
            if p.place.is_empty() { "?" } else { &p.place },
            p.ip,
            hours * 60.0,
            if prev.place.is_empty() { "?" } else { &prev.place },
            prev.ip,
            km,
            kmh,
            max_kmh
        );
        let features = vec![
            Feature {
                name: "speed_kmh".into(),
                value: json!(kmh.round()),
                baseline: json!(max_kmh),
                contribution: 0.7,
            },
            Feature {
                name: "distance_km".into(),
                value: json!(km.round()),
                baseline: json!(min_km),
                contribution: 0.3,
            },
        ];
        let mut entities = Entities::default();
        self.dets[i].entity_kind.push(&mut entities, user);
        EntityKind::Ip.push(&mut entities, &prev.ip);
        EntityKind::Ip.push(&mut entities, &p.ip);
        Some(self.alert(i, user, o.time, vec![prev.id, p.id], explanation, features, confidence_of(ratio), entities))
    }

    #[allow(clippy::too_many_arguments)]
    fn new_value(
        &mut self,
        i: usize,
        o: &Obs,
        entity: &str,
        field: &str,
        how: &str,
        learning_days: f64,
        max_known: usize,
        min_events: u64,
    ) -> Option<Alert> {
        let raw = o.get(field)?.to_string();
        let v = transform(&raw, how);
        let now = o.time;
        let st = self.slot(i, entity, now, || EntityState::Known {
            first: now,
            last: now,
            events: 0,
            values: Vec::new(),
            alerted: Vec::new(),
        });
        let EntityState::Known { first, last, events, values, alerted } = st else { return None };
        *first = (*first).min(now);
        *last = (*last).max(now);
        *events += 1;
        if values.contains(&v) {
            return None;
        }
        let age_days = (now - *first) as f64 / 86_400_000.0;
        let learning = age_days < learning_days || *events <= min_events;
        let stable = max_known == 0 || values.len() <= max_known;
        let known = values.clone();
        if values.len() < MAX_KNOWN {
            values.push(v.clone());
        }
        if learning || !stable || alerted.contains(&v) {
            return None;
        }
        alerted.push(v.clone());
        let n_events = *events;
        let shown: Vec<&String> = known.iter().take(5).collect();
        let explanation = format!(
            "{entity}: {field} {raw} ({v}) never seen in {age_days:.0} days and {n_events} events; known: {}",
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        );
        let features = vec![
            Feature { name: field.to_string(), value: json!(v), baseline: json!(known), contribution: 0.8 },
            Feature {
                name: "history_days".into(),
                value: json!(age_days.round()),
                baseline: json!(learning_days),
                contribution: 0.2,
            },
        ];
        let mut entities = Entities::default();
        self.dets[i].entity_kind.push(&mut entities, entity);
        if field == "src_ip" {
            entities.ips.push(raw.clone());
        } else if let Some(ip) = o.get("src_ip") {
            entities.ips.push(ip.to_string());
        }
        let conf = confidence_of(1.0 + (age_days / learning_days.max(1.0)).min(5.0) / 5.0);
        Some(self.alert(i, &format!("{entity}|{v}"), now, vec![o.id.clone()], explanation, features, conf, entities))
    }

    #[allow(clippy::too_many_arguments)]
    fn rate(
        &mut self,
        i: usize,
        o: &Obs,
        entity: &str,
        sum: Option<&str>,
        bucket_secs: i64,
        k_mad: f64,
        min_ratio: f64,
        floor: f64,
        min_buckets: usize,
    ) -> Option<Alert> {
        let add = match sum {
            None => 1.0,
            Some(f) => o.get(f).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0),
        };
        let b = o.time.div_euclid(bucket_secs * 1000);
        let st = self.slot(i, entity, o.time, || EntityState::Rate {
            buckets: Vec::new(),
            alerted: Vec::new(),
            ids: Vec::new(),
            ids_bucket: 0,
        });
        let EntityState::Rate { buckets, alerted, ids, ids_bucket } = st else { return None };
        if *ids_bucket != b {
            if b < *ids_bucket {
                // A late event of an earlier bucket: counted, not cited.
            } else {
                *ids_bucket = b;
                ids.clear();
            }
        }
        if *ids_bucket == b && ids.len() < 50 {
            ids.push(o.id.clone());
        }
        let cited = ids.clone();
        let pos = buckets.partition_point(|(k, _)| *k < b);
        if buckets.get(pos).is_some_and(|(k, _)| *k == b) {
            buckets[pos].1 += add;
        } else {
            buckets.insert(pos, (b, add));
            if buckets.len() > MAX_BUCKETS {
                buckets.remove(0);
            }
        }
        let pos = buckets.partition_point(|(k, _)| *k < b);
        let current = buckets[pos].1;
        let mut history: Vec<f64> = buckets[..pos].iter().map(|(_, v)| *v).collect();
        if history.len() < min_buckets || alerted.contains(&b) {
            return None;
        }
        let med = median(&mut history.clone());
        let mut dev: Vec<f64> = history.iter().map(|v| (v - med).abs()).collect();
        let mad = median(&mut dev) * 1.4826;
        let threshold = (med + k_mad * mad.max(1.0)).max(med * min_ratio).max(floor);
        if current < threshold {
            return None;
        }
        alerted.push(b);
        if alerted.len() > MAX_BUCKETS {
            alerted.remove(0);
        }
        history.sort_by(|a, c| a.total_cmp(c));
        let what = sum.unwrap_or("events");
        let explanation = format!(
            "{entity}: {current:.0} {what} in {}s from {}, against their own median of {med:.1} per bucket (MAD {mad:.1}, {} buckets of history); threshold {threshold:.0}",
            bucket_secs,
            o.get("src_ip").unwrap_or("?"),
            history.len()
        );
        let z = if mad > 0.0 { (current - med) / mad } else { current - med };
        let features = vec![
            Feature {
                name: format!("{what}_per_bucket"),
                value: json!(current),
                baseline: json!({"median": med, "mad": mad}),
                contribution: 0.6,
            },
            Feature {
                name: "ratio_to_median".into(),
                value: json!(if med > 0.0 { current / med } else { current }),
                baseline: json!(min_ratio),
                contribution: 0.25,
            },
            Feature { name: "robust_z".into(), value: json!(z.round()), baseline: json!(k_mad), contribution: 0.15 },
        ];
        let mut entities = Entities::default();
        self.dets[i].entity_kind.push(&mut entities, entity);
        if let Some(ip) = o.get("src_ip") {
            EntityKind::Ip.push(&mut entities, ip);
        }
        let conf = confidence_of(current / threshold);
        Some(self.alert(i, &format!("{entity}|{b}"), o.time, cited, explanation, features, conf, entities))
    }

    fn egress(&mut self, i: usize, o: &Obs, host: &str, window_secs: i64, floor: f64) -> Option<Alert> {
        let dst = o.get("dst_ip")?.to_string();
        let bytes: f64 = o.get("bytes_out").and_then(|b| b.parse().ok()).unwrap_or(0.0);
        let domain = match self.states[i].get(&format!("dns|{dst}")) {
            Some(Slot { state: EntityState::Resolved { domain, time }, .. }) if o.time - *time < 86_400_000 => {
                domain.clone()
            }
            _ => return None,
        };
        let now = o.time;
        let st = self.slot(i, host, now, || EntityState::Egress {
            start: now,
            bytes: 0.0,
            conns: 0,
            domains: Vec::new(),
            ids: Vec::new(),
            alerted: false,
        });
        let EntityState::Egress { start, bytes: total, conns, domains, ids, alerted } = st else { return None };
        if now - *start > window_secs * 1000 {
            *start = now;
            *total = 0.0;
            *conns = 0;
            domains.clear();
            ids.clear();
            *alerted = false;
        }
        *total += bytes;
        *conns += 1;
        if !domains.contains(&domain) {
            domains.push(domain.clone());
        }
        if ids.len() < 50 {
            ids.push(o.id.clone());
        }
        if *alerted || *total < floor {
            return None;
        }
        *alerted = true;
        let (t, c, ds, evs, st0) = (*total, *conns, domains.clone(), ids.clone(), *start);
        let explanation = format!(
            "{host} sent {:.0} MB over {c} connections to {} within {:.0} minutes (threshold {:.0} MB)",
            t / 1e6,
            ds.join(", "),
            (now - st0) as f64 / 60_000.0,
            floor / 1e6
        );
        let features = vec![
            Feature { name: "bytes_out".into(), value: json!(t), baseline: json!(floor), contribution: 0.8 },
            Feature {
                name: "destinations".into(),
                value: json!(ds),
                baseline: json!("listed personal-storage domains"),
                contribution: 0.2,
            },
        ];
        let mut entities = Entities::default();
        self.dets[i].entity_kind.push(&mut entities, host);
        EntityKind::Ip.push(&mut entities, &dst);
        Some(self.alert(
            i,
            &format!("{host}|{st0}"),
            now,
            evs,
            explanation,
            features,
            confidence_of(t / floor),
            entities,
        ))
    }

    fn off_hours(
        &mut self,
        i: usize,
        o: &Obs,
        entity: &str,
        learning_days: f64,
        min_events: u64,
        max_share: f64,
    ) -> Option<Alert> {
        let now = o.time;
        let hour = (now.div_euclid(3_600_000) % 24) as usize;
        let day = now.div_euclid(86_400_000);
        let st = self.slot(i, entity, now, || EntityState::Hours {
            first: now,
            hours: vec![0; 24],
            alerted_days: Vec::new(),
        });
        let EntityState::Hours { first, hours, alerted_days } = st else { return None };
        if hours.len() != 24 {
            *hours = vec![0; 24];
        }
        *first = (*first).min(now);
        let total: u64 = hours.iter().sum();
        let profile = hours.clone();
        let share = |h: usize| profile[h % 24] as f64 / total.max(1) as f64;
        let quiet = share(hour) <= max_share && share(hour + 1) <= max_share && share(hour + 23) <= max_share;
        let learning = ((now - *first) as f64) < learning_days * 86_400_000.0 || total < min_events;
        hours[hour] += 1;
        if learning || !quiet || alerted_days.contains(&day) {
            return None;
        }
        alerted_days.push(day);
        if alerted_days.len() > 60 {
            alerted_days.remove(0);
        }
        let busiest: Vec<String> = {
            let mut idx: Vec<usize> = (0..24).collect();
            idx.sort_by(|a, b| profile[*b].cmp(&profile[*a]));
            idx.into_iter().take(3).map(|h| format!("{h:02}:00")).collect()
        };
        let explanation = format!(
            "{entity} active at {hour:02}:00 UTC, an hour with {} of their {total} earlier events ({:.2}%, and the hours either side as quiet); their busiest hours are {}",
            profile[hour],
            share(hour) * 100.0,
            busiest.join(", ")
        );
        let features = vec![
            Feature { name: "hour_utc".into(), value: json!(hour), baseline: json!(profile), contribution: 0.7 },
            Feature {
                name: "hour_share".into(),
                value: json!(share(hour)),
                baseline: json!(max_share),
                contribution: 0.3,
            },
        ];
        let mut entities = Entities::default();
        self.dets[i].entity_kind.push(&mut entities, entity);
        if let Some(ip) = o.get("src_ip") {
            EntityKind::Ip.push(&mut entities, ip);
        }
        let conf = confidence_of(1.0 + (total as f64 / (min_events as f64 * 4.0)).min(1.0));
        Some(self.alert(i, &format!("{entity}|{day}"), now, vec![o.id.clone()], explanation, features, conf, entities))
    }

    fn sequence(&mut self, i: usize, o: &Obs) -> Option<Alert> {
        let d = Arc::clone(&self.dets[i]);
        let Kind::Sequence { steps, within_secs } = &d.kind else { return None };
        let within_secs = *within_secs;
        // Advance any in-flight sequence whose next step this event is; else start one.
        for (k, step) in steps.iter().enumerate().rev() {
            if !o.matches(&step.filter) {
                continue;
            }
            let Some(joined) = o.get(&step.entity).map(|s| s.to_ascii_lowercase()) else { continue };
            if k == 0 {
                let st = self.slot(i, &joined, o.time, || EntityState::Seq {
                    step: 0,
                    started: o.time,
                    ids: Vec::new(),
                    joined: joined.clone(),
                });
                *st = EntityState::Seq { step: 1, started: o.time, ids: vec![o.id.clone()], joined: joined.clone() };
                return None;
            }
            let key = joined.clone();
            let Some(Slot { state: EntityState::Seq { step: at, started, .. }, .. }) = self.states[i].get(&key) else {
                continue;
            };
            if *at != k || o.time - *started > within_secs * 1000 || o.time < *started {
                continue;
            }
            let st = self.slot(i, &key, o.time, || EntityState::Seq {
                step: 0,
                started: 0,
                ids: Vec::new(),
                joined: key.clone(),
            });
            let EntityState::Seq { step: at, started, ids, .. } = st else { return None };
            *at += 1;
            ids.push(o.id.clone());
            if *at < steps.len() {
                return None;
            }
            let (ids, started) = (std::mem::take(ids), *started);
            *at = 0;
            let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
            let explanation = format!(
                "{key}: {} within {:.0} minutes (limit {} minutes)",
                names.join(" → "),
                (o.time - started) as f64 / 60_000.0,
                within_secs / 60
            );
            let features = vec![Feature {
                name: "steps".into(),
                value: json!(names),
                baseline: Value::String(format!("within {within_secs}s")),
                contribution: 1.0,
            }];
            let mut entities = Entities::default();
            d.entity_kind.push(&mut entities, &key);
            if let Some(ip) = o.get("src_ip") {
                EntityKind::Ip.push(&mut entities, ip);
            }
            return Some(self.alert(i, &format!("{key}|{started}"), o.time, ids, explanation, features, 85, entities));
        }
        None
    }
}

#[cfg(test)]
mod tests;

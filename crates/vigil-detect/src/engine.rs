//! The detector: rules grouped by logsource into `rsigma` engines, records routed to the engines
//! of the logsources they satisfy, alerts built from the matches; and the correlator, which feeds
//! matches of the rules correlations refer to through `rsigma`'s correlation engine, in time order,
//! with bounded and expiring state.

use std::collections::{HashMap, HashSet};

use rsigma_eval::{
    CorrelationAction, CorrelationConfig, CorrelationEngine, CorrelationEventMode, Engine, EvaluationResult,
    MatchDetailLevel, ResultBody, TimestampFallback,
};
use rsigma_parser::{CorrelationRule, SigmaCollection, SigmaRule};
use serde_json::Value;
use vigil_decode::{Decoded, Occurrences, Record};
use vigil_model::Event;

use crate::alert::{Alert, AlertKind, Confidence, CorrelationInfo, Entities, Matched, alert_id};
use crate::rules::{Level, RuleInfo, RulePack};
use crate::view::{CorrEvent, View};

/// Detector settings.
#[derive(Debug, Clone)]
pub struct DetectorOptions {
    /// Alerts below this level are not raised (rules below it still feed correlations).
    pub min_level: Level,
    /// Most correlation state entries kept (groups × windows) before the stalest are dropped.
    pub max_correlation_state: usize,
    /// Member event ids kept per correlation window.
    pub max_correlation_members: usize,
    /// Whether security products' own alerts (an EDR's detections, Microsoft's security alerts,
    /// Suricata's signatures: [`vigil_decode::Decoder::finding`]) are raised as vendor alerts
    /// beside the rules'. On by default: they are what a team already pays a product to find.
    pub vendor_alerts: bool,
}

impl Default for DetectorOptions {
    fn default() -> Self {
        DetectorOptions {
            min_level: Level::Informational,
            max_correlation_state: 100_000,
            max_correlation_members: 50,
            vendor_alerts: true,
        }
    }
}

/// Compiled rules, ready to evaluate records from any number of threads.
pub struct Detector {
    engines: Vec<Engine>,
    names: HashMap<String, u16>,
    routes: HashMap<(u16, u16, u16), usize>,
    info: HashMap<String, RuleInfo>,
    /// Ids of the rules that correlations refer to (by id or by name).
    corr_refs: HashSet<String>,
    corr_fields: Vec<String>,
    correlations: Vec<CorrelationRule>,
    corr_rules: Vec<SigmaRule>,
    corr_info: HashMap<String, RuleInfo>,
    /// Rules whose own detections are not raised (referenced only by non-generating correlations).
    silent: HashSet<String>,
    opts: DetectorOptions,
    active: usize,
}

/// What one record's evaluation produced: its normalized form (when asked for, or when a rule
/// matched) and its matches.
pub struct Checked {
    pub decoded: Option<Decoded>,
    pub hits: Option<Hits>,
}

/// The matches on one record.
pub struct Hits {
    /// Alerts from rules no correlation refers to.
    pub alerts: Vec<Alert>,
    /// Matches that correlations refer to, for [`Correlator::feed`].
    pub pending: Option<Pending>,
}

/// Matches waiting for the correlator, with what it needs of their event.
pub struct Pending {
    pub time_ms: i64,
    pub event: CorrEvent,
    pub detections: Vec<EvaluationResult>,
    pub entities: Entities,
    pub source: String,
    pub alerts: Vec<Alert>,
}

impl Detector {
    pub fn new(pack: &RulePack, opts: DetectorOptions) -> Detector {
        let mut corr_refs = HashSet::new();
        for c in &pack.correlations {
            corr_refs.extend(c.rule.rules.iter().cloned());
        }
        let mut names: HashMap<String, u16> = HashMap::new();
        let mut intern = |s: &Option<String>| -> u16 {
            match s {
                None => 0,
                Some(s) => {
                    let next = names.len() as u16 + 1;
                    *names.entry(s.clone()).or_insert(next)
                }
            }
        };
        let mut grouped: HashMap<(u16, u16, u16), Vec<rsigma_eval::CompiledRule>> = HashMap::new();
        let mut group_names: HashMap<(u16, u16, u16), std::collections::HashSet<String>> = HashMap::new();
        let mut info = HashMap::new();
        let mut corr_rules = Vec::new();
        let mut referenced_ids = HashSet::new();
        // Sigma's `generate`: a rule referred to only by correlations that do not generate is
        // not raised on its own. rsigma filters this by rule id only, so a reference by rule
        // name would slip through; Vigil resolves names to ids and filters itself.
        let mut generating = HashSet::new();
        let mut silent = HashSet::new();
        for c in &pack.correlations {
            for r in &pack.rules {
                let hit = c.rule.rules.iter().any(|x| *x == r.info.id || r.sigma.name.as_deref() == Some(x.as_str()));
                if hit {
                    if c.rule.generate {
                        generating.insert(r.info.id.clone());
                    } else {
                        silent.insert(r.info.id.clone());
                    }
                }
            }
        }
        let silent: HashSet<String> = silent.difference(&generating).cloned().collect();
        let mut active = 0;
        for r in &pack.rules {
            let referenced =
                corr_refs.contains(&r.info.id) || r.sigma.name.as_ref().is_some_and(|n| corr_refs.contains(n));
            if referenced {
                corr_rules.push(r.sigma.clone());
                referenced_ids.insert(r.info.id.clone());
            }
            if r.idle.is_some() || (r.info.level < opts.min_level && !referenced) {
                continue;
            }
            let key = (intern(&r.route.product), intern(&r.route.service), intern(&r.route.category));
            grouped.entry(key).or_default().push(r.compiled.clone());
            let names = group_names.entry(key).or_default();
            names.insert(r.info.id.clone());
            names.insert(r.info.title.clone());
            if let Some(n) = &r.sigma.name {
                names.insert(n.clone());
            }
            info.insert(r.info.id.clone(), r.info.clone());
            if r.sigma.id.is_none() {
                info.insert(r.info.title.clone(), r.info.clone());
            }
            active += 1;
        }
        for (file, f) in &pack.filters {
            if let rsigma_parser::FilterRuleTarget::Specific(targets) = &f.rules
                && !targets.iter().any(|t| group_names.values().any(|n| n.contains(t)))
            {
                tracing::warn!("filter {} in {file} names no active rule ({})", f.title, targets.join(", "));
            }
        }
        let mut engines = Vec::new();
        let mut routes = HashMap::new();
        let mut keys: Vec<_> = grouped.into_iter().collect();
        keys.sort_by_key(|(k, _)| *k);
        for (key, rules) in keys {
            let mut e = Engine::new();
            e.set_match_detail(MatchDetailLevel::Summary);
            e.extend_compiled_rules(rules);
            let names = group_names.get(&key);
            for (file, f) in &pack.filters {
                // A filter goes only to the engines holding a rule it names (rsigma would warn
                // in every other one that it matched nothing there).
                if let rsigma_parser::FilterRuleTarget::Specific(targets) = &f.rules
                    && !targets.iter().any(|t| names.is_some_and(|n| n.contains(t)))
                {
                    continue;
                }
                if let Err(err) = e.apply_filter(f) {
                    tracing::warn!("filter {} in {file}: {err}", f.title);
                }
            }
            routes.insert(key, engines.len());
            engines.push(e);
        }
        let corr_info = pack.correlations.iter().map(|c| (c.info.id.clone(), c.info.clone())).collect();
        Detector {
            engines,
            names,
            routes,
            info,
            corr_fields: pack.correlation_fields(),
            correlations: pack.correlations.iter().map(|c| c.rule.clone()).collect(),
            corr_rules,
            corr_info,
            corr_refs: referenced_ids,
            silent,
            opts,
            active,
        }
    }

    /// Rules that can fire (loaded, routable, at or above the minimum level or feeding a
    /// correlation).
    pub fn active_rules(&self) -> usize {
        self.active
    }

    pub fn has_correlations(&self) -> bool {
        !self.correlations.is_empty()
    }

    /// A new correlator for these rules' correlations.
    pub fn correlator(&self) -> Correlator {
        Correlator::new(self)
    }

    fn name_id(&self, s: Option<&str>) -> Option<u16> {
        match s {
            None => Some(0),
            Some(s) => self.names.get(s).copied(),
        }
    }

    /// Evaluates a record view against every engine its logsource routes to.
    pub fn evaluate(&self, view: &View<'_>, src: &crate::route::EventSource<'_>) -> Vec<EvaluationResult> {
        let mut out = Vec::new();
        for (p, s, c) in src.keys() {
            let (Some(p), Some(s), Some(c)) = (self.name_id(p), self.name_id(s), self.name_id(c)) else { continue };
            if let Some(&i) = self.routes.get(&(p, s, c)) {
                out.extend(self.engines[i].evaluate(view));
            }
        }
        out
    }

    /// Evaluates one record. It is normalized when `normalize` is set, a rule matched or it is a
    /// product's open alert at or above the minimum level (raised as a vendor alert); the caller
    /// numbers repeated records of one payload through `occ`.
    pub fn check(&self, rec: &Record<'_>, occ: &mut Occurrences, normalize: bool) -> Checked {
        let (view, src) = View::new(rec.family(), rec.value(), rec.zeek_log());
        let results = self.evaluate(&view, &src);
        let finding = if self.opts.vendor_alerts {
            rec.decoder().finding(rec.value()).filter(|f| f.open && f.level >= self.opts.min_level)
        } else {
            None
        };
        if results.is_empty() && finding.is_none() {
            let decoded = normalize.then(|| numbered(rec.normalize(), occ));
            return Checked { decoded, hits: None };
        }
        let decoded = numbered(rec.normalize(), occ);
        let (event, why_not) = match &decoded {
            Decoded::Event(e) => (Some(&**e), None),
            Decoded::Quarantine(q) => (None, Some(q.reason.clone())),
        };
        let mut entities = event.map(entities_of).unwrap_or_default();
        if rec.family() == vigil_decode::cloudtrail::FAMILY {
            entities.add_bucket(rec.value().pointer("/requestParameters/bucketName").and_then(Value::as_str));
        }
        let source = format!("{} {}", rec.source(), rec.locator());
        let event_ids: Vec<String> = event.map(|e| vec![e.id.to_string()]).unwrap_or_default();
        let time = event.map(|e| e.time);
        let mut alerts = Vec::new();
        let mut for_corr = Vec::new();
        let mut corr_alerts = Vec::new();
        for r in results {
            let Some(info) = self.rule_info(&r) else { continue };
            let alert = detection_alert(info, &r, time, &event_ids, &source, &entities, why_not.as_deref());
            if self.corr_refs.contains(&info.id) {
                // Whether this detection is raised too is the correlation's `generate` setting;
                // the correlator decides.
                for_corr.push(r);
                corr_alerts.push(alert);
            } else if info.level >= self.opts.min_level {
                alerts.push(alert);
            }
        }
        if let (Some(f), Some(e)) = (&finding, event) {
            alerts.push(vendor_alert(f, e, &source, &entities));
        }
        let pending = (!for_corr.is_empty()).then(|| Pending {
            time_ms: time.unwrap_or(0),
            event: CorrEvent::capture(&view, &self.corr_fields, event_ids.first().cloned().unwrap_or_default()),
            detections: for_corr,
            entities: entities.clone(),
            source: source.clone(),
            alerts: corr_alerts,
        });
        Checked { decoded: Some(decoded), hits: Some(Hits { alerts, pending }) }
    }

    /// Evaluates a record as the lake keeps it — the decoder's name (`metadata_format`), its log
    /// name, the raw record — for a retro-hunt over the lake's past: the detection rules it
    /// matches (correlations are not run; they need the order events arrived in). A raw record
    /// that is not JSON, or a decoder name Vigil does not know, is an error naming which.
    pub fn evaluate_stored(&self, format: &str, log_name: Option<&str>, raw: &str) -> Result<Vec<&RuleInfo>, String> {
        let decoder = vigil_decode::Format::named(format)
            .and_then(vigil_decode::Format::decoder)
            .ok_or_else(|| format!("no decoder named {format:?}"))?;
        let value: serde_json::Value =
            serde_json::from_str(raw).map_err(|e| format!("the raw {format} record is not JSON: {e}"))?;
        let (view, src) = View::new(decoder.family(), &value, log_name);
        let mut out: Vec<&RuleInfo> = self.evaluate(&view, &src).iter().filter_map(|r| self.rule_info(r)).collect();
        out.dedup_by(|a, b| a.id == b.id);
        Ok(out)
    }

    fn rule_info(&self, r: &EvaluationResult) -> Option<&RuleInfo> {
        r.header.rule_id.as_ref().and_then(|id| self.info.get(id)).or_else(|| self.info.get(&r.header.rule_title))
    }
}

fn numbered(mut d: Decoded, occ: &mut Occurrences) -> Decoded {
    if let Decoded::Event(e) = &mut d {
        occ.number(e);
    }
    d
}

/// The users, hosts, addresses and keys an event names.
pub fn entities_of(e: &Event) -> Entities {
    let mut x = Entities::default();
    if let Some(u) = &e.actor.user {
        x.add_user(u.name.as_deref().or(u.email.as_deref()));
        x.add_key(u.credential_uid.as_deref());
    }
    if let Some(u) = &e.user {
        x.add_user(u.name.as_deref());
    }
    if let Some(d) = &e.device {
        x.add_host(d.hostname.as_deref());
        x.add_ip(d.ip.as_deref());
    }
    for ep in [&e.src_endpoint, &e.dst_endpoint].into_iter().flatten() {
        x.add_ip(ep.ip.as_deref());
        x.add_host(ep.hostname.as_deref());
    }
    x
}

fn detection_alert(
    info: &RuleInfo,
    r: &EvaluationResult,
    time: Option<i64>,
    event_ids: &[String],
    source: &str,
    entities: &Entities,
    why_not: Option<&str>,
) -> Alert {
    let matched: Vec<Matched> = match &r.body {
        ResultBody::Detection(d) => d
            .matched_fields
            .iter()
            .map(|m| Matched {
                field: m.field.clone(),
                value: m.value.clone(),
                selection: m.selection.clone(),
                matcher: m
                    .matcher
                    .as_ref()
                    .and_then(|k| serde_json::to_value(k).ok())
                    .and_then(|v| v.as_str().map(str::to_string)),
            })
            .collect(),
        ResultBody::Correlation(_) => Vec::new(),
    };
    let selections = match &r.body {
        ResultBody::Detection(d) => d.matched_selections.join(", "),
        ResultBody::Correlation(_) => String::new(),
    };
    let fields: Vec<String> = matched
        .iter()
        .filter(|m| !m.value.is_null())
        .take(4)
        .map(|m| format!("{}={}", m.field, short(&m.value)))
        .collect();
    let mut explanation = format!(
        "Sigma rule \"{}\" matched: {}",
        info.title,
        if selections.is_empty() { "condition" } else { &selections }
    );
    if !fields.is_empty() {
        explanation.push_str(&format!(" ({})", fields.join(", ")));
    }
    if let Some(w) = why_not {
        explanation.push_str(&format!("; the record could not be normalized ({w}), so no event id"));
    }
    Alert {
        id: alert_id(&info.id, event_ids, if event_ids.is_empty() { source } else { "" }),
        kind: AlertKind::Detection,
        rule: info.alert_rule(),
        time,
        event_ids: event_ids.to_vec(),
        source: Some(source.to_string()),
        matched,
        explanation,
        confidence: Confidence::of_rule(info.status.as_deref(), &info.falsepositives),
        entities: entities.clone(),
        correlation: None,
        features: Vec::new(),
        controls: Vec::new(),
    }
}

/// A product's own alert, as its record states it: the product's title, level, ATT&CK tags and
/// words; the id of the product's alert, so a re-delivered or updated alert is the same alert.
fn vendor_alert(f: &vigil_decode::Finding, e: &vigil_model::Event, source: &str, entities: &Entities) -> Alert {
    let event_ids = vec![e.id.to_string()];
    let id = match &f.uid {
        Some(uid) => alert_id(&f.rule_id, &[], &format!("vendor alert {uid}")),
        None => alert_id(&f.rule_id, &event_ids, ""),
    };
    let mut explanation = format!("{} raised \"{}\" ({})", f.product, f.title, f.level.as_str());
    if let Some(d) = &f.description {
        explanation.push_str(&format!(": {}", short(&Value::String(d.trim_end_matches('.').to_string()))));
    }
    explanation.push_str(". Vigil raises the product's own alert as it stated it");
    if let Some(link) = &f.link {
        explanation.push_str(&format!("; the product shows it at {link}"));
    }
    let matched = f
        .uid
        .iter()
        .map(|uid| ("vendor.alert_id", uid.as_str()))
        .chain([("vendor.severity", f.level.as_str())])
        .map(|(field, value)| Matched {
            field: field.into(),
            value: Value::String(value.into()),
            selection: Some("vendor alert".into()),
            matcher: None,
        })
        .collect();
    let confidence = match f.confidence {
        Some(c) => Confidence { score: c, reason: format!("{}'s own alert, at the confidence it states", f.product) },
        None => Confidence {
            score: 60,
            reason: format!("{}'s own alert; it states no confidence, and Vigil has not re-derived it", f.product),
        },
    };
    Alert {
        id,
        kind: AlertKind::Vendor,
        rule: crate::AlertRule::new(
            f.rule_id.clone(),
            f.title.clone(),
            f.level,
            f.tags.clone(),
            format!("vendor:{}", f.product),
        ),
        time: Some(e.time),
        event_ids,
        source: Some(source.to_string()),
        matched,
        explanation,
        confidence,
        entities: entities.clone(),
        correlation: None,
        features: Vec::new(),
        controls: Vec::new(),
    }
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        o => o.to_string(),
    };
    if s.chars().count() > 80 { format!("{}…", s.chars().take(80).collect::<String>()) } else { s }
}

fn threshold_holds(op: rsigma_parser::ConditionOperator, v: f64, t: f64) -> bool {
    use rsigma_parser::ConditionOperator as Op;
    match op {
        Op::Lt => v < t,
        Op::Lte => v <= t,
        Op::Gt => v > t,
        Op::Gte => v >= t,
        Op::Eq => (v - t).abs() < f64::EPSILON,
        Op::Neq => (v - t).abs() >= f64::EPSILON,
    }
}

/// Correlation state over time-ordered matches: bounded (a cap on state entries, with the
/// stalest dropped first) and expiring (entries leave their window as time moves on).
pub struct Correlator {
    engine: CorrelationEngine,
    info: HashMap<String, RuleInfo>,
    refs: HashMap<String, Vec<String>>,
    min_level: Level,
    silent: HashSet<String>,
    /// Entities of recent member events, so a correlation alert names who it is about.
    recent: std::collections::VecDeque<(String, Entities)>,
    recent_cap: usize,
    /// When each (correlation, group) last fired: it is not raised again for the same group
    /// within its timespan (the alert already stands; the members keep accruing in the window).
    last_fired: HashMap<(String, String), i64>,
    /// Threshold predicates per correlation (not temporal ones), checked again on every firing.
    thresholds: HashMap<String, Vec<(rsigma_parser::ConditionOperator, f64)>>,
    /// Firings whose value does not meet the rule's own threshold (dropped; see `feed`).
    pub inconsistent: u64,
    /// Correlation firings held back that way.
    pub suppressed: u64,
    /// Errors loading correlations into the engine (file, rule, why).
    pub errors: Vec<String>,
}

impl Correlator {
    fn new(d: &Detector) -> Correlator {
        let config = CorrelationConfig {
            timestamp_fallback: TimestampFallback::Skip,
            max_state_entries: d.opts.max_correlation_state,
            max_group_entries: Some(10_000),
            action_on_match: CorrelationAction::Reset,
            emit_detections: true,
            correlation_event_mode: CorrelationEventMode::Refs,
            max_correlation_events: d.opts.max_correlation_members,
            ..CorrelationConfig::default()
        };
        let mut engine = CorrelationEngine::new(config);
        let mut errors = Vec::new();
        let coll = SigmaCollection {
            rules: d.corr_rules.clone(),
            correlations: Vec::new(),
            filters: Vec::new(),
            errors: Vec::new(),
        };
        if let Err(e) = engine.add_collection(&coll) {
            errors.push(format!("rules referred to by correlations: {e}"));
        }
        for c in &d.correlations {
            if let Err(e) = engine.add_correlation(c) {
                errors.push(format!("{}: {e}", c.title));
            }
        }
        let refs = d
            .correlations
            .iter()
            .map(|c| (c.id.clone().unwrap_or_else(|| format!("title:{}", c.title)), c.rules.clone()))
            .collect();
        Correlator {
            engine,
            info: d.corr_info.clone(),
            refs,
            min_level: d.opts.min_level,
            silent: d.silent.clone(),
            recent: Default::default(),
            recent_cap: 100_000,
            last_fired: HashMap::new(),
            thresholds: d
                .correlations
                .iter()
                .filter(|c| {
                    !matches!(
                        c.correlation_type,
                        rsigma_parser::CorrelationType::Temporal | rsigma_parser::CorrelationType::TemporalOrdered
                    )
                })
                .filter_map(|c| match &c.condition {
                    rsigma_parser::CorrelationCondition::Threshold { predicates, .. } => Some((
                        c.id.clone().unwrap_or_else(|| format!("title:{}", c.title)),
                        predicates.iter().map(|(op, n)| (*op, *n as f64)).collect(),
                    )),
                    rsigma_parser::CorrelationCondition::Extended(_) => None,
                })
                .collect(),
            inconsistent: 0,
            suppressed: 0,
            errors,
        }
    }

    /// Feeds one record's matches (call in time order); returns the alerts they raise: the
    /// correlations that fire, and the detections the correlations let through (`generate`).
    pub fn feed(&mut self, p: Pending) -> Vec<Alert> {
        if !p.event.id.is_empty() {
            self.recent.push_back((p.event.id.clone(), p.entities.clone()));
            if self.recent.len() > self.recent_cap {
                self.recent.pop_front();
            }
        }
        let out = self.engine.process_with_detections(&p.event, p.detections, p.time_ms.div_euclid(1000));
        let mut alerts = Vec::new();
        for r in out {
            match &r.body {
                ResultBody::Detection(_) => {
                    let same = |a: &&Alert| {
                        r.header.rule_id.as_deref() == Some(a.rule.id.as_str()) || a.rule.title == r.header.rule_title
                    };
                    if let Some(a) = p.alerts.iter().find(same)
                        && a.rule.level >= self.min_level
                        && !self.silent.contains(&a.rule.id)
                    {
                        alerts.push(a.clone());
                    }
                }
                ResultBody::Correlation(c) => {
                    let key = r.header.rule_id.clone().unwrap_or_else(|| format!("title:{}", r.header.rule_title));
                    let info = self.info.get(&key).cloned().unwrap_or_else(|| RuleInfo {
                        id: key.clone(),
                        title: r.header.rule_title.clone(),
                        level: crate::rules::level_of_sigma(r.header.level.as_ref()),
                        status: None,
                        tags: r.header.tags.clone(),
                        description: None,
                        falsepositives: Vec::new(),
                        file: String::new(),
                        logsource: "correlation".into(),
                    });
                    if info.level < self.min_level {
                        continue;
                    }
                    // rsigma 0.23 raises value_percentile correlations whatever the percentile's
                    // value (measured: p90 of 1,000 fires `gte: 500000`); every threshold is
                    // checked again here, so a firing that does not meet its rule is dropped.
                    if let Some(preds) = self.thresholds.get(&key)
                        && !preds.iter().all(|(op, t)| threshold_holds(*op, c.aggregated_value, *t))
                    {
                        self.inconsistent += 1;
                        continue;
                    }
                    let members: Vec<String> =
                        c.event_refs.iter().flatten().filter_map(|e| e.id.clone()).filter(|s| !s.is_empty()).collect();
                    let mut entities = Entities::default();
                    for (k, v) in &c.group_key {
                        let k = k.to_ascii_lowercase();
                        if k.contains("user") || k.contains("account") {
                            entities.add_user(Some(v));
                        } else if k.contains("computer") || k.contains("host") || k.contains("workstation") {
                            entities.add_host(Some(v));
                        } else if k.contains("ip") || k.contains("address") {
                            entities.add_ip(Some(v));
                        } else if k.contains("accesskey") {
                            entities.add_key(Some(v));
                        }
                    }
                    for m in &members {
                        if let Some((_, e)) = self.recent.iter().rev().find(|(id, _)| id == m) {
                            entities.merge(e);
                        }
                    }
                    let groups: Vec<String> = c.group_key.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    let span_ms = (c.timespan_secs as i64).saturating_mul(1000);
                    let fired_key = (info.id.clone(), groups.join(","));
                    if let Some(&last) = self.last_fired.get(&fired_key)
                        && p.time_ms.saturating_sub(last) < span_ms
                    {
                        self.suppressed += 1;
                        continue;
                    }
                    self.last_fired.insert(fired_key, p.time_ms);
                    if self.last_fired.len() > 100_000 {
                        let now = p.time_ms;
                        self.last_fired.retain(|_, t| now.saturating_sub(*t) < 7 * 86_400_000);
                    }
                    let explanation = correlation_words(
                        &info.title,
                        c.correlation_type.as_str(),
                        c.aggregated_value,
                        c.timespan_secs,
                        &entities,
                        members.len(),
                    );
                    let window_end = p.time_ms.to_string();
                    alerts.push(Alert {
                        id: alert_id(&info.id, &members, &format!("{}|{window_end}", groups.join(","))),
                        kind: AlertKind::Correlation,
                        rule: info.alert_rule(),
                        time: Some(p.time_ms),
                        event_ids: members.clone(),
                        source: None,
                        matched: c
                            .group_key
                            .iter()
                            .map(|(k, v)| Matched {
                                field: k.clone(),
                                value: Value::String(v.clone()),
                                selection: Some("group-by".into()),
                                matcher: None,
                            })
                            .collect(),
                        explanation,
                        confidence: Confidence::of_rule(info.status.as_deref(), &info.falsepositives),
                        entities,
                        correlation: Some(CorrelationInfo {
                            kind: c.correlation_type.as_str().to_string(),
                            group_by: c.group_key.clone(),
                            value: c.aggregated_value,
                            timespan_secs: c.timespan_secs,
                            members,
                            rules: self.refs.get(&key).cloned().unwrap_or_default(),
                        }),
                        features: Vec::new(),
                        controls: Vec::new(),
                    });
                }
            }
        }
        alerts
    }

    /// Correlation state entries held now.
    pub fn state_entries(&self) -> usize {
        self.engine.state_count()
    }

    /// The correlation state (windows, suppression, member references) as JSON, to be saved so
    /// a restarted pipeline continues the windows it had open.
    pub fn export(&self) -> String {
        let last: Vec<(&String, &String, i64)> = self.last_fired.iter().map(|((a, b), t)| (a, b, *t)).collect();
        serde_json::json!({"rsigma": self.engine.export_state(), "last_fired": last}).to_string()
    }

    /// Restores what [`Correlator::export`] saved; false when it cannot be read (a different
    /// rsigma snapshot version), in which case the correlator starts empty.
    pub fn import(&mut self, saved: &str) -> bool {
        let Ok(v) = serde_json::from_str::<Value>(saved) else { return false };
        let Some(snap) = v.get("rsigma").and_then(|s| serde_json::from_value(s.clone()).ok()) else { return false };
        if !self.engine.import_state(snap) {
            return false;
        }
        if let Some(list) = v.get("last_fired").and_then(Value::as_array) {
            for item in list {
                if let (Some(a), Some(b), Some(t)) = (item[0].as_str(), item[1].as_str(), item[2].as_i64()) {
                    self.last_fired.insert((a.to_string(), b.to_string()), t);
                }
            }
        }
        true
    }
}

/// A correlation's explanation in an analyst's words: what was counted, over which window, on
/// which user, host, address or key — not the rule's group-by fields (those, constants
/// included, stay in the alert's `matched` and `correlation` for whoever wants the mechanics).
fn correlation_words(
    title: &str,
    kind: &str,
    value: f64,
    window_secs: u64,
    entities: &Entities,
    members: usize,
) -> String {
    let n = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.2}") };
    let what = match kind {
        "event_count" => format!("{n} matching events"),
        "value_count" => format!("{n} distinct values"),
        "temporal" => format!("all {n} of its parts"),
        "temporal_ordered" => format!("all {n} of its parts, in order,"),
        "value_sum" => format!("a total of {n}"),
        "value_avg" => format!("an average of {n}"),
        _ => format!("a value of {n}"),
    };
    let mut on = Vec::new();
    for (label, list) in
        [("user", &entities.users), ("host", &entities.hosts), ("address", &entities.ips), ("key", &entities.keys)]
    {
        if let Some(first) = list.first() {
            let more = if list.len() > 1 { format!(" (+{} more)", list.len() - 1) } else { String::new() };
            on.push(format!("{label} {first}{more}"));
        }
    }
    let on = if on.is_empty() { String::new() } else { format!(" on {}", on.join(", ")) };
    format!(
        "{title}: {what} within {}{on}; {members} event{} kept as evidence",
        human_window(window_secs),
        if members == 1 { "" } else { "s" }
    )
}

/// `3600` → "1 hour", `600` → "10 minutes", `90` → "90 seconds".
fn human_window(secs: u64) -> String {
    let unit = |n: u64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    match secs {
        s if s >= 86_400 && s % 86_400 == 0 => unit(s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => unit(s / 3_600, "hour"),
        s if s >= 60 && s % 60 == 0 => unit(s / 60, "minute"),
        s => unit(s, "second"),
    }
}

#[cfg(test)]
mod words_tests {
    use super::*;

    #[test]
    fn a_correlation_explains_itself_without_sigma_internals() {
        let mut e = Entities::default();
        e.add_host(Some("SRV-1"));
        let w = correlation_words("Windows services installed in a burst", "event_count", 2.0, 3600, &e, 2);
        assert_eq!(
            w,
            "Windows services installed in a burst: 2 matching events within 1 hour on host SRV-1; 2 events kept as evidence"
        );
        assert!(!w.contains("Provider_Name") && !w.contains("3600s"));
        assert_eq!(human_window(600), "10 minutes");
        assert_eq!(human_window(86_400), "1 day");
        assert_eq!(human_window(90), "90 seconds");
    }
}

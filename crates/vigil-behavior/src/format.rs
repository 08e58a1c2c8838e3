//! The `vigil-behavior/1` format: one YAML document per detection.
//!
//! ```yaml
//! format: vigil-behavior/1
//! id: vb-impossible-travel
//! title: Impossible travel
//! level: high                     # informational | low | medium | high | critical
//! techniques: [T1078]
//! controls: [SOC2:CC6.1]          # controls whose failure this detection evidences
//! description: …
//! falsepositives: [Corporate VPN egress]
//! where:                          # conditions on normalized fields (lake column names)
//!   class_name: Authentication
//!   metadata_event_code: [user.session.start]
//! entity: actor_user_name         # whose behaviour is tracked
//! entity_kind: user               # optional: user | host | ip | key | bucket (see below)
//! kind: geo_velocity              # geo_velocity | new_value | rate_spike | egress_volume | sequence | off_hours
//! params: { max_kmh: 900 }        # per kind; unknown keys are errors
//! ```
//!
//! Every alert files its entity under the kind the detection declares, never by guessing from
//! the value: `entity_kind:` when given, else the kind of the entity field
//! ([`EntityKind::of_field`]: `device_hostname` is a host, `src_ip`/`dst_ip` an address,
//! `actor_user_credential_uid` an access key, `actor_user_name`/`user_name` a user). A field
//! with no kind of its own (`group_name`, `dns_query` …) needs `entity_kind:`; the steps of a
//! sequence must agree on one kind. Triage links alerts by these kinds, so a host is never a user.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vigil_model::Level;

use crate::obs::FIELDS;

/// A load error: which file, which line, which field, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}: {}", self.file, self.line, self.field, self.message)
    }
}

/// A condition value: one or several accepted values (case-insensitive).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn values(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.to_ascii_lowercase()],
            OneOrMany::Many(v) => v.iter().map(|s| s.to_ascii_lowercase()).collect(),
        }
    }
}

/// The kind of thing a detection tracks, which decides where its alerts file the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    User,
    Host,
    Ip,
    Key,
    Bucket,
}

impl EntityKind {
    pub const NAMES: &'static [&'static str] = &["user", "host", "ip", "key", "bucket"];

    pub fn parse(s: &str) -> Option<EntityKind> {
        Some(match s {
            "user" => EntityKind::User,
            "host" => EntityKind::Host,
            "ip" => EntityKind::Ip,
            "key" => EntityKind::Key,
            "bucket" => EntityKind::Bucket,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Host => "host",
            EntityKind::Ip => "ip",
            EntityKind::Key => "key",
            EntityKind::Bucket => "bucket",
        }
    }

    /// The kind of an entity field, the one place fields are mapped to kinds; `None` for a
    /// field that names no entity of its own (a detection on it must say `entity_kind:`).
    pub fn of_field(field: &str) -> Option<EntityKind> {
        Some(match field {
            "actor_user_name" | "user_name" => EntityKind::User,
            "device_hostname" => EntityKind::Host,
            "src_ip" | "dst_ip" => EntityKind::Ip,
            "actor_user_credential_uid" => EntityKind::Key,
            _ => return None,
        })
    }

    /// Files `value` in the list of `entities` this kind names.
    pub fn push(self, entities: &mut vigil_model::Entities, value: &str) {
        let list = match self {
            EntityKind::User => &mut entities.users,
            EntityKind::Host => &mut entities.hosts,
            EntityKind::Ip => &mut entities.ips,
            EntityKind::Key => &mut entities.keys,
            EntityKind::Bucket => &mut entities.buckets,
        };
        if !list.iter().any(|v| v == value) {
            list.push(value.to_string());
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    format: String,
    id: String,
    title: String,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    techniques: Vec<String>,
    #[serde(default)]
    controls: Vec<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    falsepositives: Vec<String>,
    #[serde(rename = "where", default)]
    filter: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    entity: Option<String>,
    #[serde(default)]
    entity_kind: Option<String>,
    kind: String,
    #[serde(default)]
    params: BTreeMap<String, yaml_serde::Value>,
    #[serde(default)]
    steps: Vec<RawStep>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: String,
    #[serde(rename = "where")]
    filter: BTreeMap<String, OneOrMany>,
    entity: String,
}

/// One step of a sequence.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: String,
    pub filter: Vec<(String, Vec<String>)>,
    pub entity: String,
}

/// What a detection computes, with its parameters.
#[derive(Debug, Clone, Serialize)]
pub enum Kind {
    /// Successive sign-ins of one entity further apart than travel allows.
    GeoVelocity { max_kmh: f64, min_km: f64, shared_ip_users: usize },
    /// A value (network, country …) never seen for the entity, once the entity has a history.
    NewValue { value: String, transform: String, learning_days: f64, max_known: usize, min_events: u64 },
    /// A count or sum per bucket far above the entity's own median (median/MAD).
    RateSpike { sum: Option<String>, bucket_secs: i64, k_mad: f64, min_ratio: f64, floor: f64, min_buckets: usize },
    /// Bytes sent to destinations resolved from listed domains (DNS answers), per entity and window.
    EgressVolume { domains: Vec<String>, window_secs: i64, floor_bytes: f64 },
    /// Steps in order within a window, joined on each step's entity value.
    Sequence { steps: Vec<Step>, within_secs: i64 },
    /// Activity at an hour of the day (UTC) the entity has (almost) never been active at, and
    /// neither at the hours either side, once the entity has a profile.
    OffHours { learning_days: f64, min_events: u64, max_share: f64 },
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::GeoVelocity { .. } => "geo_velocity",
            Kind::NewValue { .. } => "new_value",
            Kind::RateSpike { .. } => "rate_spike",
            Kind::EgressVolume { .. } => "egress_volume",
            Kind::Sequence { .. } => "sequence",
            Kind::OffHours { .. } => "off_hours",
        }
    }
}

/// One validated detection.
#[derive(Debug, Clone, Serialize)]
pub struct BehaviorDetection {
    pub id: String,
    pub title: String,
    pub level: Level,
    pub techniques: Vec<String>,
    pub controls: Vec<String>,
    pub description: String,
    pub falsepositives: Vec<String>,
    pub filter: Vec<(String, Vec<String>)>,
    pub entity: String,
    /// Where alerts file the entity (users, hosts, ips, keys, buckets).
    pub entity_kind: EntityKind,
    pub kind: Kind,
    pub file: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BehaviorPack {
    pub detections: Vec<BehaviorDetection>,
}

/// The line of the first `key:` at or after `from` (1-based), for error messages.
fn line_of(text: &str, from: usize, key: &str) -> usize {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| {
            l.trim_start().starts_with(&format!("{key}:")) || l.trim_start().starts_with(&format!("- {key}:"))
        })
        .map(|(i, _)| i + 1)
        .unwrap_or(from)
}

fn duration_secs(v: &yaml_serde::Value) -> Option<i64> {
    if let Some(n) = v.as_i64() {
        return Some(n);
    }
    let s = v.as_str()?.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok()?;
    Some(match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return None,
    })
}

/// Parses one file (several documents separated by `---`).
pub fn parse(file: &str, text: &str) -> Result<BehaviorPack, Vec<LoadError>> {
    let mut pack = BehaviorPack::default();
    let mut errors = Vec::new();
    // Document start lines, so errors point into the right document.
    let mut starts = vec![1usize];
    for (i, l) in text.lines().enumerate() {
        if l.trim_end() == "---" {
            starts.push(i + 2);
        }
    }
    let err = |line: usize, field: &str, message: String| LoadError {
        file: file.to_string(),
        line,
        field: field.to_string(),
        message,
    };
    for (n, doc) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let start = starts.get(n).copied().unwrap_or(1);
        let value = match yaml_serde::Value::deserialize(doc) {
            Ok(v) => v,
            Err(e) => {
                let line = e.location().map(|l| l.line()).unwrap_or(start);
                errors.push(err(line, "-", format!("not YAML: {e}")));
                break;
            }
        };
        if value.is_null() {
            continue;
        }
        let raw: Raw = match yaml_serde::from_value(value) {
            Ok(r) => r,
            Err(e) => {
                let msg = e.to_string();
                let field = msg.split('`').nth(1).map(str::to_string).unwrap_or_else(|| "-".into());
                errors.push(err(line_of(text, start, &field), &field, msg));
                continue;
            }
        };
        match validate(file, text, start, raw) {
            Ok(d) => pack.detections.push(d),
            Err(e) => errors.push(e),
        }
    }
    let mut seen = std::collections::HashSet::new();
    for d in &pack.detections {
        if !seen.insert(d.id.clone()) {
            errors.push(err(line_of(text, 1, "id"), "id", format!("duplicate id {}", d.id)));
        }
    }
    if errors.is_empty() { Ok(pack) } else { Err(errors) }
}

fn validate(file: &str, text: &str, start: usize, r: Raw) -> Result<BehaviorDetection, LoadError> {
    let err = |field: &str, message: String| LoadError {
        file: file.to_string(),
        line: line_of(text, start, field.split('.').next_back().unwrap_or(field)),
        field: field.to_string(),
        message,
    };
    if r.format != "vigil-behavior/1" {
        return Err(err("format", format!("unknown format {:?}; expected vigil-behavior/1", r.format)));
    }
    if r.id.trim().is_empty() || r.title.trim().is_empty() {
        return Err(err("id", "id and title must not be empty".into()));
    }
    let level = match &r.level {
        None => Level::Medium,
        Some(l) => l.parse().map_err(|e: String| err("level", e))?,
    };
    let check_field = |what: &str, f: &str| -> Result<(), LoadError> {
        if FIELDS.contains(&f) {
            Ok(())
        } else {
            Err(err(what, format!("unknown field {f:?}; known: {}", FIELDS.join(", "))))
        }
    };
    let mut filter = Vec::new();
    for (k, v) in &r.filter {
        check_field(&format!("where.{k}"), k)?;
        filter.push((k.clone(), v.values()));
    }
    let mut params = r.params.clone();
    fn take_f64(
        params: &mut BTreeMap<String, yaml_serde::Value>,
        name: &str,
        default: f64,
        err: &dyn Fn(&str, String) -> LoadError,
    ) -> Result<f64, LoadError> {
        match params.remove(name) {
            None => Ok(default),
            Some(v) => v
                .as_f64()
                .or_else(|| v.as_i64().map(|i| i as f64))
                .ok_or_else(|| err(&format!("params.{name}"), "must be a number".into())),
        }
    }
    let kind = match r.kind.as_str() {
        "geo_velocity" => Kind::GeoVelocity {
            max_kmh: take_f64(&mut params, "max_kmh", 900.0, &err)?,
            min_km: take_f64(&mut params, "min_km", 500.0, &err)?,
            shared_ip_users: take_f64(&mut params, "shared_ip_users", 5.0, &err)? as usize,
        },
        "new_value" => {
            let value = params
                .remove("value")
                .and_then(|v| v.as_str().map(str::to_string))
                .ok_or_else(|| err("params.value", "new_value needs params.value (a field)".into()))?;
            check_field("params.value", &value)?;
            let transform = params
                .remove("transform")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "none".into());
            if !["none", "ip16", "ip24"].contains(&transform.as_str()) {
                return Err(err(
                    "params.transform",
                    format!("unknown transform {transform:?}; expected none, ip16 or ip24"),
                ));
            }
            Kind::NewValue {
                value,
                transform,
                learning_days: take_f64(&mut params, "learning_days", 3.0, &err)?,
                max_known: take_f64(&mut params, "max_known", 0.0, &err)? as usize,
                min_events: take_f64(&mut params, "min_events", 10.0, &err)? as u64,
            }
        }
        "rate_spike" => {
            let sum = params.remove("sum").and_then(|v| v.as_str().map(str::to_string));
            if let Some(s) = &sum {
                check_field("params.sum", s)?;
            }
            let bucket_secs = match params.remove("bucket") {
                None => 86_400,
                Some(v) => duration_secs(&v)
                    .filter(|s| *s > 0)
                    .ok_or_else(|| err("params.bucket", "a duration such as 1h or 1d".into()))?,
            };
            Kind::RateSpike {
                sum,
                bucket_secs,
                k_mad: take_f64(&mut params, "k_mad", 6.0, &err)?,
                min_ratio: take_f64(&mut params, "min_ratio", 5.0, &err)?,
                floor: take_f64(&mut params, "floor", 20.0, &err)?,
                min_buckets: take_f64(&mut params, "min_buckets", 3.0, &err)? as usize,
            }
        }
        "egress_volume" => {
            let domains: Vec<String> = match params.remove("domains") {
                Some(yaml_serde::Value::Sequence(s)) => {
                    s.iter().filter_map(|v| v.as_str().map(|d| d.to_ascii_lowercase())).collect()
                }
                _ => return Err(err("params.domains", "egress_volume needs params.domains (a list)".into())),
            };
            let window_secs = match params.remove("window") {
                None => 3600,
                Some(v) => duration_secs(&v)
                    .filter(|s| *s > 0)
                    .ok_or_else(|| err("params.window", "a duration such as 1h".into()))?,
            };
            Kind::EgressVolume { domains, window_secs, floor_bytes: take_f64(&mut params, "floor_bytes", 100e6, &err)? }
        }
        "sequence" => {
            if r.steps.len() < 2 {
                return Err(err("steps", "a sequence needs at least two steps".into()));
            }
            let mut steps = Vec::new();
            for s in &r.steps {
                let mut f = Vec::new();
                for (k, v) in &s.filter {
                    check_field(&format!("steps.where.{k}"), k)?;
                    f.push((k.clone(), v.values()));
                }
                check_field("steps.entity", &s.entity)?;
                steps.push(Step { name: s.name.clone(), filter: f, entity: s.entity.clone() });
            }
            let within_secs = match params.remove("within") {
                None => 86_400,
                Some(v) => duration_secs(&v)
                    .filter(|s| *s > 0)
                    .ok_or_else(|| err("params.within", "a duration such as 24h".into()))?,
            };
            Kind::Sequence { steps, within_secs }
        }
        "off_hours" => Kind::OffHours {
            learning_days: take_f64(&mut params, "learning_days", 7.0, &err)?,
            min_events: take_f64(&mut params, "min_events", 50.0, &err)? as u64,
            max_share: take_f64(&mut params, "max_share", 0.005, &err)?,
        },
        other => {
            return Err(err(
                "kind",
                format!(
                    "unknown kind {other:?}; expected geo_velocity, new_value, rate_spike, egress_volume, sequence or off_hours"
                ),
            ));
        }
    };
    if let Some((k, _)) = params.iter().next() {
        let k = k.clone();
        return Err(err(&format!("params.{k}"), format!("unknown parameter for {}", kind.name())));
    }
    let entity = match (&kind, r.entity) {
        (Kind::Sequence { .. }, e) => e.unwrap_or_default(),
        (_, Some(e)) => {
            check_field("entity", &e)?;
            e
        }
        (_, None) => return Err(err("entity", format!("{} needs an entity field", kind.name()))),
    };
    let entity_kind = match &r.entity_kind {
        Some(k) => EntityKind::parse(k).ok_or_else(|| {
            err("entity_kind", format!("unknown entity kind {k:?}; expected {}", EntityKind::NAMES.join(", ")))
        })?,
        None => {
            let fields: Vec<&str> = match &kind {
                Kind::Sequence { steps, .. } => steps.iter().map(|s| s.entity.as_str()).collect(),
                _ => vec![entity.as_str()],
            };
            let kinds: Vec<Option<EntityKind>> = fields.iter().map(|f| EntityKind::of_field(f)).collect();
            match kinds.first().copied().flatten() {
                Some(k) if kinds.iter().all(|x| *x == Some(k)) => k,
                _ => {
                    return Err(err(
                        "entity_kind",
                        format!(
                            "the kind of entity {} is not known from the field; say entity_kind: {}",
                            fields.join(", "),
                            EntityKind::NAMES.join(" | ")
                        ),
                    ));
                }
            }
        }
    };
    Ok(BehaviorDetection {
        id: r.id,
        title: r.title,
        level,
        techniques: r.techniques,
        controls: r.controls,
        description: r.description,
        falsepositives: r.falsepositives,
        filter,
        entity,
        entity_kind,
        kind,
        file: file.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "format: vigil-behavior/1\nid: t1\ntitle: T\nlevel: high\nwhere:\n  class_name: Authentication\nentity: actor_user_name\nkind: geo_velocity\nparams:\n  max_kmh: 800\n";

    #[test]
    fn a_valid_detection_loads() {
        let p = parse("a.yml", OK).unwrap();
        assert_eq!(p.detections.len(), 1);
        assert!(matches!(p.detections[0].kind, Kind::GeoVelocity { max_kmh, .. } if max_kmh == 800.0));
        assert_eq!(p.detections[0].level, Level::High);
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let e = parse("a.yml", &OK.replace("geo_velocity", "telepathy")).unwrap_err();
        assert_eq!((e[0].file.as_str(), e[0].line, e[0].field.as_str()), ("a.yml", 8, "kind"));
        let e = parse("a.yml", &OK.replace("max_kmh: 800", "max_kmh: fast")).unwrap_err();
        assert_eq!((e[0].line, e[0].field.as_str()), (10, "params.max_kmh"));
        let e = parse("a.yml", &OK.replace("max_kmh: 800", "warp: 9")).unwrap_err();
        assert_eq!(e[0].field, "params.warp");
        let e = parse("a.yml", &OK.replace("class_name: Authentication", "colour: red")).unwrap_err();
        assert_eq!((e[0].line, e[0].field.as_str()), (6, "where.colour"));
        let e = parse("a.yml", &OK.replace("title: T\n", "title: T\nbogus: 1\n")).unwrap_err();
        assert!(e[0].message.contains("bogus"), "{}", e[0].message);
        let e = parse("a.yml", &format!("{OK}---\n{}", OK.replace("level: high", "level: extreme"))).unwrap_err();
        assert_eq!((e[0].line, e[0].field.as_str()), (15, "level"));
        let e = parse("a.yml", "format: [unclosed\n").unwrap_err();
        assert_eq!(e[0].field, "-");
        let e = parse("a.yml", &format!("{OK}---\n{OK}")).unwrap_err();
        assert!(e[0].message.contains("duplicate"));
    }

    #[test]
    fn entity_kinds_come_from_the_field_or_the_rule() {
        let kind_of = |yaml: &str| parse("a.yml", yaml).map(|p| p.detections[0].entity_kind);
        assert_eq!(kind_of(OK), Ok(EntityKind::User));
        let host = OK.replace("entity: actor_user_name", "entity: device_hostname");
        assert_eq!(kind_of(&host), Ok(EntityKind::Host));
        assert_eq!(kind_of(&OK.replace("actor_user_name", "src_ip")), Ok(EntityKind::Ip));
        assert_eq!(kind_of(&OK.replace("actor_user_name", "actor_user_credential_uid")), Ok(EntityKind::Key));
        // An explicit kind wins; a field with no kind of its own needs one; unknown kinds fail.
        let explicit = OK.replace("entity: actor_user_name", "entity: group_name\nentity_kind: bucket");
        assert_eq!(kind_of(&explicit), Ok(EntityKind::Bucket));
        let e = parse("a.yml", &OK.replace("entity: actor_user_name", "entity: group_name")).unwrap_err();
        assert_eq!(e[0].field, "entity_kind");
        let e =
            parse("a.yml", &OK.replace("entity: actor_user_name", "entity: src_ip\nentity_kind: planet")).unwrap_err();
        assert_eq!((e[0].field.as_str(), e[0].line), ("entity_kind", 8));
        // Steps of a sequence joined on fields of different kinds must say which kind they share.
        let seq = "format: vigil-behavior/1\nid: s\ntitle: S\nkind: sequence\nsteps:\n  - name: a\n    where: {class_name: X}\n    entity: user_name\n  - name: b\n    where: {class_name: Y}\n    entity: device_hostname\n";
        assert_eq!(parse("a.yml", seq).unwrap_err()[0].field, "entity_kind");
        assert_eq!(kind_of(&seq.replace("device_hostname", "actor_user_name")), Ok(EntityKind::User));
    }

    #[test]
    fn every_builtin_detection_files_hosts_as_hosts() {
        let p = crate::builtin().unwrap_or_else(|e| panic!("{e:?}"));
        for d in &p.detections {
            if d.entity == "device_hostname" {
                assert_eq!(d.entity_kind, EntityKind::Host, "{}", d.id);
            }
            if d.entity == "actor_user_credential_uid" {
                assert_eq!(d.entity_kind, EntityKind::Key, "{}", d.id);
            }
        }
        let mass = p.detections.iter().find(|d| d.id == "vb-mass-file-changes").expect("mass file changes");
        assert_eq!(mass.entity_kind, EntityKind::Host);
    }

    #[test]
    fn the_builtin_pack_loads() {
        let p = crate::builtin().unwrap_or_else(|e| panic!("{e:?}"));
        assert!(p.detections.len() >= 6);
    }
}

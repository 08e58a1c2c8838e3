//! The normalized event model every other Vigil crate speaks.
//!
//! Owns: the [`Event`] record (aligned with OCSF 1.x: class, category, activity, time, severity,
//! actor, endpoints, device, cloud, api, process, file, authentication, DNS, traffic, metadata), the
//! OCSF class catalogue Vigil uses, the stable content-derived [`EventId`], quarantine records and
//! the time parsing every decoder shares; the [`Alert`] record every stage after detection
//! speaks (its [`AlertKind`], [`Level`], entities, matched fields, confidence, features, ATT&CK
//! tactics, and its OCSF Detection Finding (2004) form), so no later stage links a detection
//! engine for a type; ground-truth [`Label`]s.
//!
//! Must not: read files, talk to storage, or know any vendor format. It is pure data.

pub mod alert;
mod class;
mod event;
mod id;
pub mod label;
mod time;

pub use alert::{
    Alert, AlertKind, AlertRule, Confidence, CorrelationInfo, Entities, Feature, Level, Matched, TACTICS, alert_id,
};
pub use class::{Category, OcsfClass, account_change, api, authentication, file, group, process};
pub use event::*;
pub use id::{EventId, canonical_json, sha256_hex};
pub use label::{Label, read_labels};
pub use time::{format_day, format_rfc3339_ms, parse_time, parse_time_value};

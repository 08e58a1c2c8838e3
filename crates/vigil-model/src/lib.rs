//! The normalized event model every other Vigil crate speaks.
//!
//! Owns: the [`Event`] record (aligned with OCSF 1.x: class, category, activity, time, severity,
//! actor, endpoints, device, cloud, api, process, file, authentication, DNS, traffic, metadata), the
//! OCSF class catalogue Vigil uses, the stable content-derived [`EventId`], quarantine records and
//! the time parsing every decoder shares.
//!
//! Must not: read files, talk to storage, or know any vendor format. It is pure data.

mod class;
mod event;
mod id;
mod time;

pub use class::{Category, OcsfClass, account_change, api, authentication, file, group, process};
pub use event::*;
pub use id::{EventId, canonical_json};
pub use time::{format_day, format_rfc3339_ms, parse_time, parse_time_value};

//! Any other JSON record: kept whole as an OCSF Base Event, with its time and the few common
//! fields (host, user, source address, message) found under their usual names.

use serde_json::Value;
use vigil_model::OcsfClass;

use crate::json::text;
use crate::{DecodeError, Decoder, Draft, LogSource};

pub const FAMILY: &str = "json";

/// Any JSON record no other decoder recognizes: last in the registry, it takes every record.
pub struct Json;

impl Decoder for Json {
    fn name(&self) -> &'static str {
        "json"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["jsonl", "generic"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "any other JSON record, kept whole as an OCSF Base Event with its time and common fields"
    }
    fn recognizes(&self, _record: &Value) -> bool {
        true
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[OcsfClass::BaseEvent]
    }
    fn logsource(&self) -> LogSource {
        LogSource::NONE
    }
    fn sample(&self) -> &'static str {
        r#"{"timestamp":"2024-03-01T08:00:00Z","host":"web-1","user":"carol","src_ip":"192.0.2.10","message":"login ok"}"#
    }
}

/// Keys tried, in order, for a record's time.
pub const TIME_KEYS: &[&str] = &[
    "@timestamp",
    "timestamp",
    "time",
    "eventTime",
    "event_time",
    "ts",
    "date",
    "datetime",
    "published",
    "created_at",
];

/// What a record cannot do without: being an object, and its time.
fn head(v: &Value) -> Result<i64, DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not an event record", kind(v))));
    }
    crate::time_of(v, TIME_KEYS)
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let time = head(v)?;
    let e = d.start(OcsfClass::BaseEvent, 0, time, "JSON", "Unknown");
    e.message = text(v, "message").or_else(|| text(v, "msg"));
    if let Some(h) = text(v, "host.name").or_else(|| text(v, "hostname")).or_else(|| text(v, "host")) {
        e.device_mut().hostname = Some(h);
    }
    if let Some(u) = text(v, "user.name").or_else(|| text(v, "user")).or_else(|| text(v, "username")) {
        e.actor_user_mut().name = Some(u);
    }
    if let Some(ip) = text(v, "source.ip").or_else(|| text(v, "src_ip")).or_else(|| text(v, "client_ip")) {
        e.src_mut().ip = Some(ip);
    }
    e.metadata.log_name = text(v, "log_type").or_else(|| text(v, "p_log_type"));
    Ok(())
}

/// The JSON type of a value, as error messages name it.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

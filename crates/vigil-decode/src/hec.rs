//! Splunk HTTP Event Collector bodies: the framing of `POST /services/collector/event`.
//!
//! A body is JSON objects one after another (not an array, not necessarily one per line), each
//! with an `event`: an object, or a string holding a JSON object or plain text. Each accepted
//! event becomes one line of a JSON object, ready for the JSON-lines ingest path.

use serde_json::{Value, json};

/// Why a HEC body was refused: the 0-based index of the first malformed event and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HecError {
    pub index: usize,
    pub reason: &'static str,
}

impl std::fmt::Display for HecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "event {}: {}", self.index, self.reason)
    }
}

/// The events of a HEC body, each one line of a JSON object. Plain-text events without a `time`
/// get `receipt_time` (seconds since the epoch), as Splunk does, with `time_source: "receipt"`
/// so the record shows the time is not the sender's; a sender's time is kept with
/// `time_source: "event"`.
pub fn events(body: &[u8], receipt_time: f64) -> Result<Vec<String>, HecError> {
    let mut out = Vec::new();
    for (index, item) in serde_json::Deserializer::from_slice(body).into_iter::<Value>().enumerate() {
        let err = |reason| HecError { index, reason };
        let v = item.map_err(|_| err("not valid JSON"))?;
        let ev = v.get("event").ok_or_else(|| err("no `event` field"))?;
        let line = match ev {
            Value::Object(_) => ev.to_string(),
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(o @ Value::Object(_)) => o.to_string(),
                _ => {
                    let (time, source) = match v.get("time") {
                        Some(t) if !t.is_null() => (t.clone(), "event"),
                        _ => (json!(receipt_time), "receipt"),
                    };
                    json!({"message": s, "host": v.get("host"), "source": v.get("source"),
                        "sourcetype": v.get("sourcetype"), "time": time, "time_source": source})
                    .to_string()
                }
            },
            _ => return Err(err("`event` is neither an object nor a string")),
        };
        out.push(line);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_strings_and_plain_text() {
        let body = br#"{"event": {"a": 1}} {"event": "{\"b\": 2}"}
{"event": "hello world", "host": "h1"}{"event": "x", "time": 1700000000}"#;
        let e = events(body, 1234.5).unwrap();
        assert_eq!(e.len(), 4);
        assert_eq!(e[0], r#"{"a":1}"#);
        assert_eq!(e[1], r#"{"b":2}"#);
        let v: Value = serde_json::from_str(&e[2]).unwrap();
        assert_eq!(
            (v["message"].as_str(), v["time"].as_f64(), v["time_source"].as_str()),
            (Some("hello world"), Some(1234.5), Some("receipt"))
        );
        let v: Value = serde_json::from_str(&e[3]).unwrap();
        assert_eq!((v["time"].clone(), v["time_source"].clone()), (json!(1700000000), json!("event")));
    }

    #[test]
    fn malformed_bodies_name_the_event() {
        assert_eq!(
            events(br#"{"event": {}} {"nope": 1}"#, 0.0),
            Err(HecError { index: 1, reason: "no `event` field" })
        );
        assert_eq!(events(br#"{"event": {}} {"event": 3}"#, 0.0).unwrap_err().index, 1);
        assert_eq!(
            events(br#"{"event": {}} {"event": "#, 0.0).unwrap_err(),
            HecError { index: 1, reason: "not valid JSON" }
        );
        assert_eq!(events(b"\xff\xfe", 0.0).unwrap_err().index, 0);
        assert_eq!(events(b"", 0.0), Ok(vec![]));
    }
}

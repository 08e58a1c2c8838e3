//! Timestamp parsing shared by every decoder. All times are milliseconds since the Unix epoch, UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

/// Parses the timestamp shapes security logs use: RFC 3339 (`2023-07-10T12:20:00Z`, with offset or
/// fractions), `YYYY-MM-DD HH:MM:SS[.fff]` and `YYYY-MM-DDTHH:MM:SS[.fff]` without a zone (taken
/// as UTC), and epoch numbers as text (seconds, milliseconds, microseconds or nanoseconds).
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc).timestamp_millis());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.fZ", "%Y/%m/%d %H:%M:%S%.f"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    // "2023-07-10 12:20:00 +0000" and similar; "2018-03-24T14:37:19.037299-0600" (Suricata's
    // EVE, an offset without its colon, which RFC 3339 does not allow).
    for fmt in ["%Y-%m-%d %H:%M:%S%.f %z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.with_timezone(&Utc).timestamp_millis());
        }
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return s.parse::<f64>().ok().and_then(epoch_to_ms);
    }
    None
}

/// Parses a JSON timestamp: a string as [`parse_time`], or an epoch number.
pub fn parse_time_value(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => parse_time(s),
        Value::Number(n) => n.as_f64().and_then(epoch_to_ms),
        _ => None,
    }
}

fn epoch_to_ms(n: f64) -> Option<i64> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let ms = if n < 1e11 {
        n * 1000.0
    } else if n < 1e14 {
        n
    } else if n < 1e17 {
        n / 1000.0
    } else {
        n / 1_000_000.0
    };
    // Reject times beyond year 9999.
    (ms < 253_402_300_800_000.0).then_some(ms.round() as i64)
}

/// `YYYY-MM-DD` of a time in ms (UTC).
pub fn format_day(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(dt) => dt.format("%Y-%m-%d").to_string(),
        None => NaiveDate::MIN.format("%Y-%m-%d").to_string(),
    }
}

/// RFC 3339 with milliseconds and `Z`.
pub fn format_rfc3339_ms(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => String::from("invalid-time"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shapes_seen_in_the_corpora() {
        let t = 1_688_991_600_000; // 2023-07-10T12:20:00Z
        assert_eq!(parse_time("2023-07-10T12:20:00Z"), Some(t));
        assert_eq!(parse_time("2023-07-10T12:20:00.000Z"), Some(t));
        assert_eq!(parse_time("2023-07-10T14:20:00+02:00"), Some(t));
        assert_eq!(parse_time("2023-07-10 12:20:00"), Some(t));
        assert_eq!(parse_time("2023-07-10 12:20:00.000"), Some(t));
        assert_eq!(parse_time("2023-07-10T12:20:00.0000000Z"), Some(t));
        assert_eq!(parse_time("1688991600"), Some(t));
        assert_eq!(parse_time("2023-07-10T06:20:00.000000-0600"), Some(t), "Suricata EVE");
        assert_eq!(parse_time("2023-07-10T14:20:00+0200"), Some(t));
        assert_eq!(parse_time_value(&serde_json::json!(1688991600.0)), Some(t));
        assert_eq!(parse_time_value(&serde_json::json!(1688991600000u64)), Some(t));
        assert_eq!(format_rfc3339_ms(t), "2023-07-10T12:20:00.000Z");
    }

    #[test]
    fn garbage_is_none() {
        for s in ["", "yesterday", "2023-13-45T00:00:00Z", "-5", "NaN", &"9".repeat(100)] {
            assert_eq!(parse_time(s), None, "{s}");
        }
        assert_eq!(parse_time_value(&serde_json::json!(true)), None);
        assert_eq!(parse_time_value(&serde_json::json!(-1)), None);
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,80}") {
            let _ = parse_time(&s);
        }

        #[test]
        fn rfc3339_round_trips(ms in 0i64..4_102_444_800_000) {
            prop_assert_eq!(parse_time(&format_rfc3339_ms(ms)), Some(ms));
        }
    }
}

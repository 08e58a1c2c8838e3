//! Periods: half-open `[from, to)` windows in milliseconds since the Unix epoch, UTC.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::MetricsError;
use crate::format::utc_datetime;

const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;

/// A half-open window `[from_ms, to_ms)`; a fact belongs to it when its timestamp `t`
/// satisfies `from_ms <= t < to_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    pub from_ms: i64,
    pub to_ms: i64,
    pub label: String,
}

impl Period {
    /// A period with an explicit label.
    pub fn new(from_ms: i64, to_ms: i64, label: impl Into<String>) -> Period {
        Period { from_ms, to_ms, label: label.into() }
    }

    /// The ISO 8601 week `week` of ISO year `year`: Monday 00:00 UTC to the next Monday,
    /// labeled `YYYY-Www`.
    pub fn iso_week(year: i32, week: u32) -> Result<Period, MetricsError> {
        if !(1..=9999).contains(&year) {
            return Err(MetricsError::YearOutOfRange(year));
        }
        let weeks_in_year = weeks_in_iso_year(year);
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .filter(|_| week >= 1 && week <= weeks_in_year)
            .ok_or(MetricsError::WeekOutOfRange { year, week, weeks_in_year })?;
        let from_ms = midnight_ms(monday);
        Ok(Period { from_ms, to_ms: from_ms + WEEK_MS, label: format!("{year:04}-W{week:02}") })
    }

    /// Parses an ISO week written `YYYY-Www`, e.g. `2026-W47` (four-digit year, capital W,
    /// two-digit week).
    pub fn parse_week(text: &str) -> Result<Period, MetricsError> {
        let bad = || MetricsError::BadWeekFormat(text.to_string());
        let bytes = text.as_bytes();
        if bytes.len() != 8 || bytes[4] != b'-' || bytes[5] != b'W' {
            return Err(bad());
        }
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = text.get(range)?;
            if part.bytes().all(|b| b.is_ascii_digit()) { part.parse().ok() } else { None }
        };
        let year = digits(0..4).ok_or_else(bad)?;
        let week = digits(6..8).ok_or_else(bad)?;
        let year = i32::try_from(year).map_err(|_| bad())?;
        Period::iso_week(year, week)
    }

    /// The ISO week and year this period is, when it is exactly one ISO week.
    pub fn as_iso_week(&self) -> Option<(i32, u32)> {
        if self.to_ms.checked_sub(self.from_ms) != Some(WEEK_MS) || self.from_ms.rem_euclid(DAY_MS) != 0 {
            return None;
        }
        let date = chrono::DateTime::from_timestamp_millis(self.from_ms)?.date_naive();
        if date.weekday() != Weekday::Mon {
            return None;
        }
        let iso = date.iso_week();
        Some((iso.year(), iso.week()))
    }

    /// The week before, for weekly periods; otherwise the period of the same length that
    /// ends where this one starts, labeled by its dates.
    pub fn previous(&self) -> Period {
        if let Some((year, week)) = self.as_iso_week() {
            let prev = if week > 1 {
                Period::iso_week(year, week - 1)
            } else {
                Period::iso_week(year - 1, weeks_in_iso_year(year - 1))
            };
            if let Ok(prev) = prev {
                return prev;
            }
        }
        let len = self.to_ms.saturating_sub(self.from_ms);
        let from_ms = self.from_ms.saturating_sub(len);
        let to_ms = self.from_ms;
        Period { from_ms, to_ms, label: range_label(from_ms, to_ms) }
    }

    /// Whether `t` lies in `[from_ms, to_ms)`.
    pub fn contains(&self, t: i64) -> bool {
        self.from_ms <= t && t < self.to_ms
    }
}

/// 52 or 53.
fn weeks_in_iso_year(year: i32) -> u32 {
    if NaiveDate::from_isoywd_opt(year, 53, Weekday::Mon).is_some() { 53 } else { 52 }
}

fn midnight_ms(date: NaiveDate) -> i64 {
    date.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis()
}

fn range_label(from_ms: i64, to_ms: i64) -> String {
    format!("{} to {}", utc_datetime(from_ms), utc_datetime(to_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn week_53_exists_only_in_long_years() {
        assert_eq!(weeks_in_iso_year(2026), 53); // 1 January 2026 is a Thursday
        assert_eq!(weeks_in_iso_year(2025), 52);
        assert_eq!(weeks_in_iso_year(2020), 53); // leap year starting on a Wednesday
    }

    #[test]
    fn non_weekly_previous_keeps_the_length() {
        let p = Period::new(1_000, 4_000, "x");
        let prev = p.previous();
        assert_eq!((prev.from_ms, prev.to_ms), (-2_000, 1_000));
    }
}

/// An instant given as a date (`2026-11-01`, midnight UTC), an RFC 3339 time, or epoch
/// milliseconds — the forms `--from`/`--to` and the API's `from`/`to` accept.
pub fn parse_instant(s: &str) -> Result<i64, MetricsError> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
        .ok_or_else(|| MetricsError::BadTime(s.to_string()))
}

#[cfg(test)]
mod instant_tests {
    use super::*;

    #[test]
    fn instants_parse_in_three_forms_and_refuse_the_rest() {
        assert_eq!(parse_instant("1800000000000").unwrap(), 1_800_000_000_000);
        assert_eq!(parse_instant("2026-11-01").unwrap(), 1_793_491_200_000);
        assert_eq!(parse_instant("2026-11-01T01:00:00+01:00").unwrap(), 1_793_491_200_000);
        for bad in ["", "2026-13-01", "yesterday", "2026-11-01T25:00:00Z"] {
            assert!(matches!(parse_instant(bad), Err(MetricsError::BadTime(_))), "{bad}");
        }
    }
}

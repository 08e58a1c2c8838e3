use thiserror::Error;

/// Why a period could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MetricsError {
    /// The text is not an ISO week of the form `YYYY-Www` (for example `2026-W47`).
    #[error("not an ISO week (expected YYYY-Www, e.g. 2026-W47): {0:?}")]
    BadWeekFormat(String),
    /// The year is outside 1..=9999.
    #[error("year {0} is out of range (1..=9999)")]
    YearOutOfRange(i32),
    /// The week does not exist in that ISO year.
    #[error("week {week} does not exist in ISO year {year}, which has {weeks_in_year} weeks")]
    WeekOutOfRange { year: i32, week: u32, weeks_in_year: u32 },
    /// The text is not a date, a date and time, or epoch milliseconds.
    #[error("{0:?} is not a date (YYYY-MM-DD), an RFC 3339 time or epoch milliseconds")]
    BadTime(String),
}

//! ISO week periods: parsing, boundaries, the week before, and bad input.

use vigil_metrics::{MetricsError, Period};

const DAY: i64 = 86_400_000;

#[test]
fn parses_an_iso_week() {
    let p = Period::parse_week("2026-W47").expect("valid");
    // Monday 2026-11-16 00:00 UTC to Monday 2026-11-23.
    assert_eq!(p.from_ms, 1_794_787_200_000);
    assert_eq!(p.to_ms, p.from_ms + 7 * DAY);
    assert_eq!(p.label, "2026-W47");
    assert_eq!(Period::iso_week(2026, 47), Ok(p.clone()));
    assert!(p.contains(p.from_ms) && !p.contains(p.to_ms) && !p.contains(p.from_ms - 1));
}

#[test]
fn week_one_can_start_in_the_previous_year() {
    // 1 January 2026 is a Thursday, so 2026-W01 starts on Monday 2025-12-29.
    let p = Period::parse_week("2026-W01").expect("valid");
    assert_eq!(p.from_ms, 1_766_966_400_000);
    // The week before is the last week of 2025, which has 52 weeks.
    let prev = p.previous();
    assert_eq!(prev.label, "2025-W52");
    assert_eq!(prev.to_ms, p.from_ms);
}

#[test]
fn year_2026_has_53_weeks() {
    // 2026 starts on a Thursday, so it has a week 53: Monday 2026-12-28 to Monday 2027-01-04.
    let w53 = Period::parse_week("2026-W53").expect("2026 has 53 ISO weeks");
    assert_eq!(w53.from_ms, 1_798_416_000_000);
    assert_eq!(w53.to_ms, 1_799_020_800_000);
    let next = Period::parse_week("2027-W01").expect("valid");
    assert_eq!(next.from_ms, w53.to_ms);
    assert_eq!(next.previous(), w53);
    assert_eq!(w53.previous().label, "2026-W52");
    // 2025 starts on a Wednesday and is not a leap year: no week 53.
    assert_eq!(
        Period::parse_week("2025-W53"),
        Err(MetricsError::WeekOutOfRange { year: 2025, week: 53, weeks_in_year: 52 })
    );
}

#[test]
fn bad_input_is_an_error() {
    for bad in [
        "",
        "2026",
        "2026W47",
        "2026-47",
        "2026-w47",
        "26-W47",
        "2026-W4",
        "2026-W047",
        "+026-W47",
        "2026-W4x",
        " 2026-W47",
        "2026-W47 ",
        "2026-W-1",
        "２０２６-W47",
        "2026-W47-1",
    ] {
        assert!(matches!(Period::parse_week(bad), Err(MetricsError::BadWeekFormat(_))), "{bad:?} accepted");
    }
    for (text, week) in [("2026-W00", 0), ("2026-W54", 54), ("2026-W99", 99)] {
        assert_eq!(
            Period::parse_week(text),
            Err(MetricsError::WeekOutOfRange { year: 2026, week, weeks_in_year: 53 }),
            "{text}"
        );
    }
    assert_eq!(Period::parse_week("0000-W01"), Err(MetricsError::YearOutOfRange(0)));
    assert_eq!(Period::iso_week(10_000, 1), Err(MetricsError::YearOutOfRange(10_000)));
    assert!(Period::parse_week("2026-W54").is_err_and(|e| e.to_string().contains("53 weeks")));
}

#[test]
fn previous_of_a_non_weekly_period_keeps_its_length() {
    let week = Period::parse_week("2026-W47").expect("valid");
    // Shifted by a day: no longer an ISO week.
    let p = Period::new(week.from_ms + DAY, week.to_ms + DAY, "custom");
    let prev = p.previous();
    assert_eq!((prev.from_ms, prev.to_ms), (p.from_ms - 7 * DAY, p.from_ms));
    assert_eq!(prev.label, "2026-11-10T00:00:00Z to 2026-11-17T00:00:00Z");
}

//! Text helpers shared by the renderers: escaping, durations, times and percentages.

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Makes text safe for one Markdown table cell: no line breaks, no bare pipes, and no raw
/// HTML (Markdown passes HTML through).
pub(crate) fn escape_md_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\\' => out.push_str("\\\\"),
            '`' => out.push_str("\\`"),
            '*' => out.push_str("\\*"),
            '_' => out.push_str("\\_"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' | '\n' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A number with at most one decimal, without a trailing `.0`.
pub(crate) fn one_decimal(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    let text = format!("{rounded:.1}");
    let text = text.strip_suffix(".0").map(str::to_string).unwrap_or(text);
    if text == "-0" { "0".to_string() } else { text }
}

/// A duration in milliseconds as seconds, minutes, hours or days.
pub(crate) fn duration(ms: f64) -> String {
    let sign = if ms < 0.0 { "−" } else { "" };
    let abs = ms.abs();
    let minutes = abs / 60_000.0;
    let text = if abs < 60_000.0 {
        format!("{} s", one_decimal(abs / 1000.0))
    } else if minutes < 120.0 {
        format!("{} min", one_decimal(minutes))
    } else if minutes < 48.0 * 60.0 {
        format!("{} h", one_decimal(minutes / 60.0))
    } else {
        format!("{} d", one_decimal(minutes / 1440.0))
    };
    format!("{sign}{text}")
}

/// An optional duration, `—` when absent.
pub(crate) fn opt_duration(ms: Option<f64>) -> String {
    ms.map(duration).unwrap_or_else(|| "—".to_string())
}

/// A ratio as a percentage, `—` when absent.
pub(crate) fn percent(value: Option<f64>) -> String {
    value.map(|v| format!("{}%", one_decimal(v * 100.0))).unwrap_or_else(|| "—".to_string())
}

/// A signed change in a duration (`+10 min`, `−5 min`, `±0`).
pub(crate) fn duration_change(delta_ms: f64) -> String {
    if delta_ms == 0.0 {
        "±0".to_string()
    } else if delta_ms > 0.0 {
        format!("+{}", duration(delta_ms))
    } else {
        duration(delta_ms)
    }
}

/// A signed change in a ratio, in percentage points.
pub(crate) fn points_change(delta: f64) -> String {
    let points = one_decimal(delta * 100.0);
    if points == "0" {
        "±0 pp".to_string()
    } else if delta > 0.0 {
        format!("+{points} pp")
    } else {
        format!("{} pp", points.replacen('-', "−", 1))
    }
}

/// `2026-11-16 08:30 UTC`; the raw number when out of chrono's range.
pub(crate) fn utc_minute(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        None => format!("{ms} ms"),
    }
}

/// `2026-11-16T00:00:00Z`; the raw number when out of chrono's range.
pub(crate) fn utc_datetime(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => format!("{ms} ms"),
    }
}

/// Shortens text to at most `max` characters, ending with `…` when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Trimmed and lowercased, for comparing dispositions, severities, kinds and statuses.
pub(crate) fn norm(text: &str) -> String {
    text.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(45_000.0), "45 s");
        assert_eq!(duration(1_800_000.0), "30 min");
        assert_eq!(duration(2_184_000.0), "36.4 min");
        assert_eq!(duration(86_400_000.0), "24 h");
        assert_eq!(duration(3.0 * 86_400_000.0), "3 d");
        assert_eq!(duration_change(-300_000.0), "−5 min");
        assert_eq!(points_change(-0.5), "−50 pp");
        assert_eq!(points_change(0.0001), "±0 pp");
        assert_eq!(percent(Some(0.975)), "97.5%");
    }

    #[test]
    fn escapes() {
        assert_eq!(escape_html("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(escape_md_cell("a|b\n<i>"), "a\\|b &lt;i&gt;");
    }
}

//! Recognising what a question names: users and emails, hosts, addresses, access keys, buckets,
//! case, incident, alert and event ids, control ids, ATT&CK techniques, processes, vendors,
//! dates and relative periods.
//!
//! Every value recognised here is made only of characters safe in an identifier
//! ([`is_safe_value`]): nothing else from a question ever reaches a tool.

use std::net::{Ipv4Addr, Ipv6Addr};

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::fact::fmt_ms;

/// A period, `[from_ms, to_ms)`, and how the question named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from_ms: i64,
    pub to_ms: i64,
    pub label: String,
}

impl Period {
    /// `2026-10-05T00:00:00Z..2026-10-12T00:00:00Z`.
    pub fn span(&self) -> String {
        format!("{}..{}", fmt_ms(self.from_ms), fmt_ms(self.to_ms))
    }
}

/// What a question names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entities {
    pub users: Vec<String>,
    pub emails: Vec<String>,
    pub ips: Vec<String>,
    pub hosts: Vec<String>,
    pub keys: Vec<String>,
    pub buckets: Vec<String>,
    pub processes: Vec<String>,
    pub cases: Vec<String>,
    pub incidents: Vec<String>,
    /// 32 hex digits: an alert's id or an event's (the planner tries both).
    pub hex_ids: Vec<String>,
    pub controls: Vec<String>,
    /// Compliance frameworks the question names, by catalog id (`SOC2`, `ISO27001` …).
    pub frameworks: Vec<String>,
    /// A family of controls named without a framework prefix (`CC7`, `A.8`), upper case.
    pub control_families: Vec<String>,
    pub techniques: Vec<String>,
    /// Known vendors or products the question mentions, by their canonical name.
    pub vendors: Vec<String>,
    pub dates: Vec<NaiveDate>,
    /// The period the question asks about, if it names one.
    pub period: Option<Period>,
    /// "the hour before the alert".
    pub hour_before_alert: bool,
}

impl Entities {
    /// Whether the question names any subject one can search events for.
    pub fn has_subject(&self) -> bool {
        !(self.users.is_empty()
            && self.emails.is_empty()
            && self.ips.is_empty()
            && self.hosts.is_empty()
            && self.keys.is_empty()
            && self.buckets.is_empty()
            && self.processes.is_empty())
    }
}

/// Vendors and products a question may ask about: (words that name it, canonical name, the
/// source name the lake records when connected).
pub const VENDORS: &[(&[&str], &str, &str)] = &[
    (&["okta"], "Okta", "okta"),
    (&["aws", "cloudtrail", "amazon"], "AWS CloudTrail", "cloudtrail"),
    (&["windows", "sysmon"], "Windows", "windows"),
    (&["zeek", "bro"], "Zeek", "zeek"),
    (&["crowdstrike", "falcon"], "CrowdStrike", "crowdstrike"),
    (&["sentinelone"], "SentinelOne", "sentinelone"),
    (&["defender", "microsoft defender"], "Microsoft Defender", "defender"),
    (&["entra", "azure ad", "azuread"], "Microsoft Entra ID", "entra"),
    (&["google workspace", "gsuite", "g suite"], "Google Workspace", "google_workspace"),
    (&["github"], "GitHub", "github"),
    (&["slack"], "Slack", "slack"),
    (&["salesforce"], "Salesforce", "salesforce"),
    (&["zscaler"], "Zscaler", "zscaler"),
    (&["palo alto", "panos", "pan-os"], "Palo Alto Networks", "paloalto"),
    (&["cloudflare"], "Cloudflare", "cloudflare"),
    (&["jamf"], "Jamf", "jamf"),
    (&["duo"], "Duo", "duo"),
    (&["zoom"], "Zoom", "zoom"),
    (&["proofpoint"], "Proofpoint", "proofpoint"),
    (&["mimecast"], "Mimecast", "mimecast"),
    (&["netskope"], "Netskope", "netskope"),
    (&["1password", "onepassword"], "1Password", "1password"),
    (&["jira", "confluence", "atlassian"], "Atlassian", "atlassian"),
    (&["workday"], "Workday", "workday"),
    (&["servicenow"], "ServiceNow", "servicenow"),
    (&["intune"], "Microsoft Intune", "intune"),
    (&["fortinet", "fortigate"], "Fortinet", "fortinet"),
    (&["cisco", "meraki"], "Cisco", "cisco"),
    (&["carbon black"], "Carbon Black", "carbonblack"),
    (&["sophos"], "Sophos", "sophos"),
    (&["tenable", "nessus"], "Tenable", "tenable"),
    (&["wiz"], "Wiz", "wiz"),
    (&["gcp", "google cloud"], "Google Cloud", "gcp"),
    (&["azure activity", "azure"], "Azure", "azure"),
    (&["office 365", "o365", "microsoft 365", "m365"], "Microsoft 365", "m365"),
];

/// Compliance frameworks a question may name: (words that name it, the catalog's id).
pub const FRAMEWORKS: &[(&[&str], &str)] = &[
    (&["soc 2", "soc2", "soc ii", "trust services criteria"], "SOC2"),
    (&["iso 27001", "iso27001", "iso/iec 27001", "annex a"], "ISO27001"),
    (&["hipaa"], "HIPAA"),
    (&["pci dss", "pci-dss", "pci"], "PCI-DSS"),
    (&["nist csf", "csf 2.0", "cybersecurity framework"], "NIST-CSF"),
    (&["800-53", "sp 800-53"], "NIST-800-53"),
];

/// A control family written on its own: SOC 2's `CC7` or `CC7.2`, ISO 27001's `A.8` or
/// `A.8.16`.
fn is_control_family(t: &str) -> bool {
    let u = t.to_ascii_uppercase();
    let digits_dots = |r: &str| {
        !r.is_empty()
            && r.starts_with(|c: char| c.is_ascii_digit())
            && r.chars().all(|c| c.is_ascii_digit() || c == '.')
            && !r.ends_with('.')
    };
    u.strip_prefix("CC").is_some_and(digits_dots) || u.strip_prefix("A.").is_some_and(digits_dots)
}

/// Characters a recognised value may hold: enough for ids, emails, addresses, host and bucket
/// names; never a quote, a space, a semicolon or a comment marker.
pub fn is_safe_value(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && !s.contains("--")
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '_' | ':' | '-' | '+' | '$'))
}

/// Words that follow "user" or "host" in a question without naming one.
const NOT_A_NAME: &[&str] = &[
    "a", "an", "the", "this", "that", "these", "those", "any", "all", "each", "every", "did", "do", "does", "was",
    "is", "were", "has", "have", "had", "in", "on", "at", "of", "for", "from", "to", "with", "and", "or", "who",
    "which", "what", "when", "where", "named", "called", "account", "accounts", "activity", "sign", "signed", "log",
    "logged",
];

fn is_email(t: &str) -> bool {
    let Some((local, domain)) = t.split_once('@') else { return false };
    !local.is_empty()
        && local.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))
        && domain.contains('.')
        && domain.split('.').all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

fn is_access_key(t: &str) -> bool {
    (t.starts_with("AKIA") || t.starts_with("ASIA"))
        && t.len() == 20
        && t.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn is_hex32(t: &str) -> bool {
    t.len() == 32 && t.chars().all(|c| c.is_ascii_hexdigit())
}

/// `CASE-…` or `INC-…` (the prefix in any case; the rest as Vigil writes ids).
fn prefixed_id(t: &str, prefix: &str) -> Option<String> {
    let head = t.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = &t[prefix.len()..];
    let ok = !rest.is_empty() && rest.len() <= 64 && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then(|| format!("{prefix}{rest}"))
}

/// `SOC2:CC7.2`, `ISO27001:A.8.16`, `NIST-CSF:DE.CM-1`.
fn is_control(t: &str) -> bool {
    let Some((fw, id)) = t.split_once(':') else { return false };
    fw.len() >= 2
        && fw.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && fw.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        && !id.is_empty()
        && id.chars().any(|c| c.is_ascii_alphanumeric())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
}

/// `T1078` or `T1059.001`.
fn is_technique(t: &str) -> bool {
    let b = t.as_bytes();
    let base = b.len() >= 5 && b[0] == b'T' && b[1..5].iter().all(u8::is_ascii_digit);
    base && (b.len() == 5 || (b.len() == 9 && b[5] == b'.' && b[6..].iter().all(u8::is_ascii_digit)))
}

fn is_bucket(t: &str) -> bool {
    (3..=63).contains(&t.len())
        && t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
        && t.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
}

fn is_process(t: &str) -> bool {
    let lower = t.to_ascii_lowercase();
    [".exe", ".dll", ".ps1", ".bat", ".cmd", ".vbs", ".sh", ".py", ".scr"].iter().any(|x| lower.ends_with(x))
        && lower.len() > 4
        && lower.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A host name: a dotted name (not an address, an email or a process) or a name with a dash and
/// a digit such as `WS-FIN-01`.
fn looks_like_host(t: &str) -> bool {
    if t.len() > 253 || t.contains('@') || is_process(t) || t.parse::<Ipv4Addr>().is_ok() {
        return false;
    }
    let labels_ok = t
        .split('.')
        .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !l.starts_with('-'));
    if !labels_ok {
        return false;
    }
    let dotted = t.contains('.') && t.chars().any(|c| c.is_ascii_alphabetic());
    let last_label_alpha = t.rsplit('.').next().is_some_and(|l| l.chars().all(|c| c.is_ascii_alphabetic()));
    let dashed = t.contains('-') && t.chars().any(|c| c.is_ascii_digit()) && t.chars().any(|c| c.is_ascii_uppercase());
    (dotted && last_label_alpha) || dashed
}

fn push(v: &mut Vec<String>, s: String) {
    if is_safe_value(&s) && !v.contains(&s) {
        v.push(s);
    }
}

/// Splits a question into words, dropping the punctuation around them.
fn words(q: &str) -> Vec<String> {
    q.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '?' | '!' | '(' | ')' | '"' | '`' | '[' | ']'))
        .map(|w| w.trim_end_matches('.').trim_start_matches('\'').trim_end_matches("'s").trim_end_matches('\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Recognises the entities of `question`, reading relative periods against `now_ms`.
pub fn recognize(question: &str, now_ms: i64) -> Entities {
    let mut e = Entities::default();
    let ws = words(question);
    for (i, w) in ws.iter().enumerate() {
        let prev = if i > 0 { ws[i - 1].to_ascii_lowercase() } else { String::new() };
        if is_email(w) {
            push(&mut e.emails, w.to_ascii_lowercase());
        } else if w.parse::<Ipv4Addr>().is_ok() {
            push(&mut e.ips, w.clone());
        } else if w.contains(':') && w.parse::<Ipv6Addr>().is_ok() {
            push(&mut e.ips, w.to_ascii_lowercase());
        } else if is_access_key(w) {
            push(&mut e.keys, w.clone());
        } else if let Some(id) = prefixed_id(w, "CASE-") {
            push(&mut e.cases, id);
        } else if let Some(id) = prefixed_id(w, "INC-") {
            push(&mut e.incidents, id);
        } else if is_hex32(w) {
            push(&mut e.hex_ids, w.to_ascii_lowercase());
        } else if is_technique(w) {
            push(&mut e.techniques, w.clone());
        } else if is_control(w) {
            push(&mut e.controls, w.clone());
        } else if is_control_family(w) {
            push(&mut e.control_families, w.to_ascii_uppercase());
        } else if let Ok(d) = NaiveDate::parse_from_str(w, "%Y-%m-%d") {
            if !e.dates.contains(&d) {
                e.dates.push(d);
            }
        } else if matches!(prev.as_str(), "bucket" | "buckets")
            && is_bucket(w)
            && !NOT_A_NAME.contains(&w.as_str())
            && !matches!(w.as_str(), "made" | "been" | "be" | "are" | "got" | "became" | "turned")
        {
            push(&mut e.buckets, w.clone());
        } else if is_process(w) {
            push(&mut e.processes, w.to_ascii_lowercase());
        } else if matches!(
            prev.as_str(),
            "host" | "hostname" | "machine" | "server" | "workstation" | "laptop" | "device"
        ) && !NOT_A_NAME.contains(&w.to_ascii_lowercase().as_str())
        {
            push(&mut e.hosts, w.clone());
        } else if matches!(prev.as_str(), "user" | "username" | "account")
            && !NOT_A_NAME.contains(&w.to_ascii_lowercase().as_str())
        {
            push(&mut e.users, w.clone());
        } else if looks_like_host(w) {
            push(&mut e.hosts, w.clone());
        }
    }
    let lower = format!(" {} ", ws.join(" ").to_ascii_lowercase());
    for (names, canonical, _) in VENDORS {
        if names.iter().any(|n| lower.contains(&format!(" {n} "))) && !e.vendors.iter().any(|v| v == canonical) {
            e.vendors.push(canonical.to_string());
        }
    }
    for (names, id) in FRAMEWORKS {
        if names.iter().any(|n| lower.contains(&format!(" {n} "))) && !e.frameworks.iter().any(|f| f == id) {
            e.frameworks.push(id.to_string());
        }
    }
    e.hour_before_alert = lower.contains("hour before the alert") || lower.contains("hour before this alert");
    e.period = period(&lower, &e.dates, now_ms);
    e
}

fn day_start(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t).timestamp_millis()).unwrap_or(0)
}

/// The number after "last" or "past" and before `unit` (`last 7 days`).
fn last_n(lower: &str, unit: &str) -> Option<i64> {
    let ws: Vec<&str> = lower.split_whitespace().collect();
    ws.windows(3).find_map(|w| {
        let n = w[1].parse::<i64>().ok()?;
        (matches!(w[0], "last" | "past") && w[2].trim_end_matches('s') == unit && (1..=3660).contains(&n)).then_some(n)
    })
}

/// A named month of a year (`March 2020`, `in mar 2020`), or a year on its own after "in"
/// (`in 2019`).
fn month_of_year(lower: &str) -> Option<Period> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let ws: Vec<&str> =
        lower.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric())).collect();
    let year = |w: &str| w.parse::<i32>().ok().filter(|y| w.len() == 4 && (1970..=2100).contains(y));
    for pair in ws.windows(2) {
        let Some(y) = year(pair[1]) else { continue };
        if let Some(m) = MONTHS.iter().position(|m| {
            pair[0].len() >= 3 && m.starts_with(&pair[0][..3]) && {
                let full = [
                    "january",
                    "february",
                    "march",
                    "april",
                    "may",
                    "june",
                    "july",
                    "august",
                    "september",
                    "october",
                    "november",
                    "december",
                ];
                full.iter().any(|f| f.starts_with(pair[0]))
            }
        }) {
            let month = u32::try_from(m + 1).ok()?;
            let from = NaiveDate::from_ymd_opt(y, month, 1)?;
            let to = if month == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(y, month + 1, 1)?
            };
            return Some(Period {
                from_ms: day_start(from),
                to_ms: day_start(to),
                label: from.format("%B %Y").to_string(),
            });
        }
        if pair[0] == "in" {
            let from = NaiveDate::from_ymd_opt(y, 1, 1)?;
            let to = NaiveDate::from_ymd_opt(y + 1, 1, 1)?;
            return Some(Period { from_ms: day_start(from), to_ms: day_start(to), label: y.to_string() });
        }
    }
    None
}

/// The period a question names: relative words first, then its dates (one date is that day;
/// two or more, from the first to the end of the last).
fn period(lower: &str, dates: &[NaiveDate], now_ms: i64) -> Option<Period> {
    let now = chrono::DateTime::from_timestamp_millis(now_ms)?.date_naive();
    let today = day_start(now);
    const DAY: i64 = 86_400_000;
    let p = |from_ms: i64, to_ms: i64, label: &str| Some(Period { from_ms, to_ms, label: label.to_string() });
    let monday = today - i64::from(now.weekday().num_days_from_monday()) * DAY;
    let month_start = day_start(now.with_day(1)?);
    if let Some(n) = last_n(lower, "day") {
        return p(now_ms - n * DAY, now_ms, &format!("the last {n} days"));
    }
    if let Some(n) = last_n(lower, "hour") {
        return p(now_ms - n * 3_600_000, now_ms, &format!("the last {n} hours"));
    }
    if lower.contains(" today ") {
        return p(today, today + DAY, "today");
    }
    if lower.contains(" yesterday ") {
        return p(today - DAY, today, "yesterday");
    }
    if lower.contains(" this week ") {
        return p(monday, monday + 7 * DAY, "this week");
    }
    if lower.contains(" last week ") {
        return p(monday - 7 * DAY, monday, "last week");
    }
    if lower.contains(" this month ") {
        let next = if now.month() == 12 {
            NaiveDate::from_ymd_opt(now.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(now.year(), now.month() + 1, 1)
        }?;
        return p(month_start, day_start(next), "this month");
    }
    if lower.contains(" last month ") {
        let prev = (now.with_day(1)? - Duration::days(1)).with_day(1)?;
        return p(day_start(prev), month_start, "last month");
    }
    if lower.contains(" this quarter ") || lower.contains(" last quarter ") {
        let q_start = |y: i32, q: u32| NaiveDate::from_ymd_opt(y, q * 3 + 1, 1);
        let (y, q) = (now.year(), now.month0() / 3);
        let this = q_start(y, q)?;
        let next = if q == 3 { q_start(y + 1, 0) } else { q_start(y, q + 1) }?;
        let prev = if q == 0 { q_start(y - 1, 3) } else { q_start(y, q - 1) }?;
        return if lower.contains(" this quarter ") {
            p(day_start(this), day_start(next), "this quarter")
        } else {
            p(day_start(prev), day_start(this), "last quarter")
        };
    }
    if let Some(m) = month_of_year(lower) {
        return Some(m);
    }
    match dates {
        [] => None,
        [d] => p(day_start(*d), day_start(*d) + DAY, &d.format("%Y-%m-%d").to_string()),
        [first, .., last] => {
            let (a, b) = if first <= last { (first, last) } else { (last, first) };
            p(day_start(*a), day_start(*b) + DAY, &format!("{} to {}", a.format("%Y-%m-%d"), b.format("%Y-%m-%d")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-10-07 (a Wednesday) at noon.
    const NOW: i64 = 1_791_374_400_000;

    #[test]
    fn recognises_each_kind_of_entity() {
        let e = recognize(
            "Did ann@example.com or user bob sign in from 10.0.0.5 or 2001:db8::1 on host WS-FIN-01 \
             with AKIAIOSFODNN7EXAMPLE, touching bucket acme-payroll, in CASE-0a1b2c3d4e, INC-00112233aabbccdd, \
             alert 0123456789abcdef0123456789abcdef, under SOC2:CC7.2 and T1059.001, running powershell.exe, \
             on fileserver.corp.example.com since 2026-10-05?",
            NOW,
        );
        assert_eq!(e.emails, ["ann@example.com"]);
        assert_eq!(e.users, ["bob"]);
        assert_eq!(e.ips, ["10.0.0.5", "2001:db8::1"]);
        assert_eq!(e.hosts, ["WS-FIN-01", "fileserver.corp.example.com"]);
        assert_eq!(e.keys, ["AKIAIOSFODNN7EXAMPLE"]);
        assert_eq!(e.buckets, ["acme-payroll"]);
        assert_eq!(e.cases, ["CASE-0a1b2c3d4e"]);
        assert_eq!(e.incidents, ["INC-00112233aabbccdd"]);
        assert_eq!(e.hex_ids, ["0123456789abcdef0123456789abcdef"]);
        assert_eq!(e.controls, ["SOC2:CC7.2"]);
        assert_eq!(e.techniques, ["T1059.001"]);
        assert_eq!(e.processes, ["powershell.exe"]);
        assert_eq!(e.dates, [NaiveDate::from_ymd_opt(2026, 10, 5).unwrap()]);
        assert_eq!(e.period.unwrap().label, "2026-10-05");
    }

    #[test]
    fn relative_periods_read_against_now() {
        let p = |q: &str| recognize(q, NOW).period.unwrap();
        assert_eq!(p("how many incidents this week").span(), "2026-10-05T00:00:00Z..2026-10-12T00:00:00Z");
        assert_eq!(p("who signed in last week").span(), "2026-09-28T00:00:00Z..2026-10-05T00:00:00Z");
        assert_eq!(p("what happened yesterday").span(), "2026-10-06T00:00:00Z..2026-10-07T00:00:00Z");
        assert_eq!(p("buckets made public this month").span(), "2026-10-01T00:00:00Z..2026-11-01T00:00:00Z");
        assert_eq!(p("alerts in the last 3 days").from_ms, NOW - 3 * 86_400_000);
        assert_eq!(p("between 2026-10-06 and 2026-10-05").span(), "2026-10-05T00:00:00Z..2026-10-07T00:00:00Z");
        assert!(recognize("what else did they do in the hour before the alert", NOW).hour_before_alert);
        assert_eq!(recognize("anything odd", NOW).period, None);
    }

    #[test]
    fn frameworks_families_and_quarters() {
        // 2026-10-05 (a Monday in the fourth quarter).
        let now = 1_791_192_600_000;
        let e = recognize("Which SOC 2 CC7.2 and A.8 controls were compliant last quarter under ISO 27001?", now);
        assert_eq!(e.frameworks, ["SOC2", "ISO27001"]);
        assert_eq!(e.control_families, ["CC7.2", "A.8"]);
        let p = e.period.unwrap();
        assert_eq!(
            (fmt_ms(p.from_ms), fmt_ms(p.to_ms)),
            ("2026-07-01T00:00:00Z".into(), "2026-10-01T00:00:00Z".into())
        );
        let p = recognize("pci dss this quarter", now).period.unwrap();
        assert_eq!(
            (fmt_ms(p.from_ms), fmt_ms(p.to_ms)),
            ("2026-10-01T00:00:00Z".into(), "2027-01-01T00:00:00Z".into())
        );
        assert!(recognize("CC. A. CCX A.B", now).control_families.is_empty());
    }

    #[test]
    fn vendors_are_recognised_by_their_names() {
        let e = recognize("Do we have CrowdStrike detections, or Okta sign-ins?", NOW);
        assert_eq!(e.vendors, ["Okta", "CrowdStrike"]);
    }

    #[test]
    fn nothing_unsafe_is_ever_recognised() {
        let e = recognize("user bob'; DROP TABLE events; -- and host x' OR '1'='1 and bucket a'b and 1.2.3.4'--", NOW);
        for v in e.users.iter().chain(&e.hosts).chain(&e.buckets).chain(&e.ips) {
            assert!(is_safe_value(v) && !v.contains('\''), "{v:?}");
        }
        assert!(!is_safe_value("a'b") && !is_safe_value("a--b") && !is_safe_value("a b") && !is_safe_value(""));
    }
}

//! The one-page executive brief for a case.

use serde::{Deserialize, Serialize};

use std::collections::BTreeSet;

use crate::facts::{ActionFact, CaseFact, DetectionFact, PendingDecision};
use crate::format::{duration, escape_html as esc, norm, utc_minute};

/// ATT&CK tactics in kill-chain order, each with what it means in plain words.
const TACTICS: &[(&str, &str)] = &[
    ("reconnaissance", "scouting the organization"),
    ("resource_development", "preparing tools and infrastructure"),
    ("initial_access", "getting in"),
    ("execution", "running their own commands"),
    ("persistence", "keeping a foothold"),
    ("privilege_escalation", "gaining higher permissions"),
    ("defense_evasion", "avoiding detection"),
    ("stealth", "avoiding detection"),
    ("defense_impairment", "switching off defenses"),
    ("credential_access", "stealing passwords, tokens or keys"),
    ("discovery", "looking around the environment"),
    ("lateral_movement", "moving to other systems"),
    ("collection", "gathering data"),
    ("command_and_control", "controlling systems remotely"),
    ("exfiltration", "taking data out"),
    ("impact", "disrupting systems or destroying data"),
];

/// How many detections (by rule) the narrative names before summing up the rest.
const NAMED_DETECTIONS: usize = 4;
/// How many entities of one kind a detection's sentence names.
const NAMED_ENTITIES: usize = 3;

/// A brief for executives: what happened, its impact, what was done and what is waiting
/// for their decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Brief {
    pub case: CaseFact,
    pub what_happened: String,
    pub impact: String,
    /// What was done.
    pub actions: Vec<String>,
    /// What is waiting for a decision.
    pub decisions: Vec<String>,
    pub issued_ms: i64,
    pub id: String,
}

const STYLE: &str = "\
@page{size:A4;margin:16mm}
*{box-sizing:border-box}
body{margin:0 auto;max-width:178mm;padding:20px;color:#1d2330;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
.kicker{margin:0;font-size:12px;letter-spacing:.06em;text-transform:uppercase;color:#4a5366}
h1{margin:4px 0 6px;font-size:24px;line-height:1.2}
.meta{margin:0 0 12px;color:#4a5366;font-size:13.5px}
.sev{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;color:#fff;background:#4a5366}
.sev-critical{background:#8e1b1b}.sev-high{background:#b3461e}.sev-medium{background:#9a6b00}.sev-low{background:#2f6b3f}
section{margin:14px 0;break-inside:avoid}
h2{margin:0 0 6px;font-size:16px;border-bottom:1px solid #dde1e8;padding-bottom:3px}
p{margin:0 0 6px}
ul,ol{margin:0;padding-left:22px}
li{margin:2px 0}
.decisions li{font-weight:600}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{border-bottom:1px solid #e3e6ec;padding:3px 6px;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
footer{margin-top:16px;font-size:12px;color:#4a5366;border-top:1px solid #dde1e8;padding-top:6px}
@media print{body{padding:0;max-width:none;font-size:10.5pt}h1{font-size:18pt}section{margin:9pt 0}\
.sev{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
";

impl Brief {
    /// What happened, in plain words from the incident's facts: which detections fired on
    /// which users, hosts, keys, buckets and addresses and when, the ATT&CK tactics in words,
    /// what has been done so far and where the case stands. Never model internals.
    pub fn what_happened(case: &CaseFact, detections: &[DetectionFact], actions: &[ActionFact]) -> String {
        let mut parts = Vec::new();
        // Group by rule, in the order each rule first fired.
        let mut rules: Vec<(&str, Vec<&DetectionFact>)> = Vec::new();
        let mut sorted: Vec<&DetectionFact> = detections.iter().collect();
        sorted.sort_by_key(|d| (d.time_ms.unwrap_or(i64::MAX), d.rule_title.clone()));
        for d in sorted {
            match rules.iter_mut().find(|(t, _)| *t == d.rule_title) {
                Some((_, list)) => list.push(d),
                None => rules.push((d.rule_title.as_str(), vec![d])),
            }
        }
        if rules.is_empty() {
            parts.push(format!(
                "Vigil opened this case at {}; no detection is attached to it.",
                utc_minute(case.opened_ms)
            ));
        } else {
            let times: Vec<i64> = detections.iter().filter_map(|d| d.time_ms).collect();
            let span = match (times.iter().min(), times.iter().max()) {
                (Some(a), Some(b)) if a == b => format!(" at {}", utc_minute(*a)),
                (Some(a), Some(b)) => format!(" between {} and {}", utc_minute(*a), utc_minute(*b)),
                _ => String::new(),
            };
            let n = detections.len();
            parts.push(format!(
                "{} detection{} of {} kind{} fired{span}.",
                n,
                if n == 1 { "" } else { "s" },
                rules.len(),
                if rules.len() == 1 { "" } else { "s" }
            ));
            for (title, list) in rules.iter().take(NAMED_DETECTIONS) {
                let times = if list.len() == 1 { "once".to_string() } else { format!("{} times", list.len()) };
                let on = entities_in_words(list);
                let first = list.iter().filter_map(|d| d.time_ms).min();
                let when = first.map(|t| format!(", first at {}", utc_minute(t))).unwrap_or_default();
                let on = if on.is_empty() { String::new() } else { format!(" on {on}") };
                parts.push(format!("\"{title}\" fired {times}{on}{when}."));
            }
            if rules.len() > NAMED_DETECTIONS {
                let rest: usize = rules[NAMED_DETECTIONS..].iter().map(|(_, l)| l.len()).sum();
                parts.push(format!(
                    "{} more detection{} of {} other kind{}.",
                    rest,
                    if rest == 1 { "" } else { "s" },
                    rules.len() - NAMED_DETECTIONS,
                    if rules.len() - NAMED_DETECTIONS == 1 { "" } else { "s" }
                ));
            }
            let tactics = tactics_in_words(detections);
            if !tactics.is_empty() {
                parts.push(format!("In ATT&CK terms the activity looks like {tactics}."));
            }
        }
        let done = Self::actions_taken(actions);
        if done.is_empty() {
            parts.push("No response action has run yet.".to_string());
        } else {
            parts.push(format!("Done so far: {}.", done.join("; ")));
        }
        let status = match () {
            _ if case.closed_ms.is_some() => "closed",
            _ if case.resolved_ms.is_some() && case.contained_ms.is_none() => "resolved without containment",
            _ if case.resolved_ms.is_some() => "resolved",
            _ if case.contained_ms.is_some() => "contained",
            _ if case.acknowledged_ms.is_some() => "under investigation",
            _ => "open and not yet acknowledged",
        };
        parts.push(format!("The case is {status}."));
        parts.join(" ")
    }

    /// Each action taken, in words, in the order it ran: what, on which target, when, and
    /// whether a person approved it or it was undone.
    pub fn actions_taken(actions: &[ActionFact]) -> Vec<String> {
        let mut sorted: Vec<&ActionFact> = actions.iter().collect();
        sorted.sort_by_key(|a| a.at_ms.unwrap_or(i64::MAX));
        sorted
            .into_iter()
            .map(|a| {
                let target = a.target.as_deref().map(|t| format!(" on {t}")).unwrap_or_default();
                let when = a.at_ms.map(|t| format!(" at {}", utc_minute(t))).unwrap_or_default();
                let how = if a.automated { "automatically" } else { "after approval" };
                let undone = a.rolled_back.as_deref().map(|s| format!(", then rolled back ({s})")).unwrap_or_default();
                format!("{} ({}){target}{when}, {how}{undone}", a.action, a.playbook)
            })
            .collect()
    }

    /// Each pending approval in words: what, on which target, since when, who asked and
    /// until when it can be decided; oldest first.
    pub fn pending_decisions(pending: &[PendingDecision]) -> Vec<String> {
        let mut sorted: Vec<&PendingDecision> = pending.iter().collect();
        sorted.sort_by(|a, b| a.requested_ms.cmp(&b.requested_ms).then_with(|| a.action.cmp(&b.action)));
        sorted
            .into_iter()
            .map(|p| {
                let target = p.target.as_deref().map(|t| format!(" on {t}")).unwrap_or_default();
                format!(
                    "Approve or deny {} ({}, playbook {}){target}: waiting since {}, requested by {}; expires {}",
                    p.action,
                    norm(&p.class),
                    p.playbook,
                    utc_minute(p.requested_ms),
                    p.requested_by,
                    utc_minute(p.expires_ms)
                )
            })
            .collect()
    }

    /// The case's state in words, from its latest timestamp.
    fn status(&self) -> &'static str {
        let c = &self.case;
        if c.closed_ms.is_some() {
            "closed"
        } else if c.resolved_ms.is_some() {
            "resolved"
        } else if c.contained_ms.is_some() {
            "contained"
        } else if c.acknowledged_ms.is_some() {
            "under investigation"
        } else {
            "open, not yet acknowledged"
        }
    }

    /// One printable page (`@media print` CSS, A4), every string from facts escaped; no
    /// script and no external reference.
    pub fn to_html(&self) -> String {
        let c = &self.case;
        let severity = norm(&c.severity);
        let sev_class = match severity.as_str() {
            "critical" | "high" | "medium" | "low" => severity.as_str(),
            _ => "other",
        };
        let mut body = String::new();
        body.push_str(&format!(
            "<header>\n<p class=\"kicker\">Executive brief · {}</p>\n<h1>{}</h1>\n<p class=\"meta\">\
             <span class=\"sev sev-{sev_class}\">{}</span> · Status: {} · Owner: {} · Issued {}</p>\n</header>\n",
            esc(&self.id),
            esc(&c.title),
            esc(&severity),
            esc(self.status()),
            esc(c.owner.as_deref().unwrap_or("unassigned")),
            esc(&utc_minute(self.issued_ms)),
        ));
        body.push_str("<section>\n<h2>What happened</h2>\n");
        body.push_str(&paragraphs(&self.what_happened));
        body.push_str("</section>\n<section>\n<h2>Impact</h2>\n");
        body.push_str(&paragraphs(&self.impact));
        body.push_str("</section>\n<section>\n<h2>What was done</h2>\n");
        body.push_str(&list("ul", "", &self.actions, "Nothing yet."));
        body.push_str("</section>\n<section>\n<h2>Decisions needed</h2>\n");
        body.push_str(&list("ol", " class=\"decisions\"", &self.decisions, "No decision is waiting."));
        body.push_str("</section>\n<section>\n<h2>Timeline</h2>\n");
        body.push_str(
            "<table>\n<thead><tr><th scope=\"col\">Milestone</th><th scope=\"col\">Time (UTC)</th>\
             <th scope=\"col\" class=\"num\">Since first alert</th></tr></thead>\n<tbody>\n",
        );
        let milestones = [
            ("First malicious event", c.first_event_ms),
            ("First alert", Some(c.first_alert_ms)),
            ("Acknowledged", c.acknowledged_ms),
            ("Contained", c.contained_ms),
            ("Resolved", c.resolved_ms),
            ("Closed", c.closed_ms),
        ];
        for (name, at) in milestones {
            let Some(at) = at else { continue };
            let since = at.checked_sub(c.first_alert_ms).map_or_else(String::new, |d| match d {
                0 => "0".to_string(),
                d if d > 0 => format!("+{}", duration(d as f64)),
                d => duration(d as f64),
            });
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n",
                esc(name),
                esc(&utc_minute(at)),
                esc(&since)
            ));
        }
        body.push_str("</tbody>\n</table>\n</section>\n");
        body.push_str(&format!(
            "<footer>Case {} · Brief {} · issued {}</footer>\n",
            esc(&c.id),
            esc(&self.id),
            esc(&utc_minute(self.issued_ms))
        ));
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>Executive brief {} — {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
            esc(&self.id),
            esc(&c.title)
        )
    }
}

/// Text split on blank lines into escaped paragraphs.
fn paragraphs(text: &str) -> String {
    let parts: Vec<String> =
        text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(|p| format!("<p>{}</p>\n", esc(p))).collect();
    if parts.is_empty() { "<p>Not stated.</p>\n".to_string() } else { parts.concat() }
}

fn list(tag: &str, attrs: &str, items: &[String], empty: &str) -> String {
    if items.is_empty() {
        return format!("<p>{}</p>\n", esc(empty));
    }
    let mut out = format!("<{tag}{attrs}>\n");
    for item in items {
        out.push_str(&format!("<li>{}</li>\n", esc(item)));
    }
    out.push_str(&format!("</{tag}>\n"));
    out
}

/// The entities a rule's detections fired on, in words: "user a, b; host h; key k".
fn entities_in_words(list: &[&DetectionFact]) -> String {
    let mut out = Vec::new();
    type Pick = fn(&DetectionFact) -> &Vec<String>;
    let kinds: [(&str, &str, Pick); 5] = [
        ("user", "users", |d| &d.users),
        ("host", "hosts", |d| &d.hosts),
        ("access key", "access keys", |d| &d.keys),
        ("bucket", "buckets", |d| &d.buckets),
        ("address", "addresses", |d| &d.ips),
    ];
    for (one, many, pick) in kinds {
        let mut seen: Vec<&str> = Vec::new();
        for d in list {
            for v in pick(d) {
                if !seen.contains(&v.as_str()) {
                    seen.push(v);
                }
            }
        }
        if seen.is_empty() {
            continue;
        }
        let named: Vec<&str> = seen.iter().take(NAMED_ENTITIES).copied().collect();
        let more = seen.len().saturating_sub(NAMED_ENTITIES);
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        out.push(format!("{} {}{more}", if seen.len() == 1 { one } else { many }, named.join(", ")));
    }
    out.join("; ")
}

/// The detections' ATT&CK tactics in kill-chain order, each with its meaning:
/// "privilege escalation (gaining higher permissions) and persistence (keeping a foothold)".
fn tactics_in_words(detections: &[DetectionFact]) -> String {
    let seen: BTreeSet<String> =
        detections.iter().flat_map(|d| d.tactics.iter()).map(|t| norm(t).replace(['-', ' '], "_")).collect();
    let mut words: Vec<String> = TACTICS
        .iter()
        .filter(|(key, _)| seen.contains(*key))
        .map(|(key, meaning)| format!("{} ({meaning})", key.replace('_', " ")))
        .collect();
    words.extend(seen.iter().filter(|t| !TACTICS.iter().any(|(k, _)| k == t)).map(|t| t.replace('_', " ")));
    match words.len() {
        0 => String::new(),
        1 => words.remove(0),
        n => format!("{} and {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

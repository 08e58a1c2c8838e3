//! The one-page executive brief for a case.

use serde::{Deserialize, Serialize};

use crate::facts::CaseFact;
use crate::format::{duration, escape_html as esc, norm, utc_minute};

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

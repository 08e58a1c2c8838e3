//! The scorecard as one self-contained HTML page.

use crate::charts::{Bars, MAX_BARS, Series, bar_chart, line_chart};
use crate::definitions::DEFINITIONS;
use crate::format::{escape_html as esc, opt_duration, percent, utc_minute};
use crate::report::{Direction, breaches_by_severity, headlines, time_unit};
use crate::scorecard::Scorecard;

const STYLE: &str = "\
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1d2330;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:1080px;margin:0 auto;padding:24px}
header h1{margin:0 0 4px;font-size:26px}
.period{margin:0;color:#4a5366}
section{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:16px 20px;margin:18px 0}
h2{margin:0 0 12px;font-size:19px}
h3{margin:18px 0 8px;font-size:16px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px}
.card{border:1px solid #dde1e8;border-radius:6px;padding:10px 12px}
.card .name{font-size:13px;color:#4a5366;text-transform:uppercase;letter-spacing:.03em}
.card .value{font-size:26px;font-weight:600;margin:2px 0}
.card .n,.card .detail{font-size:12.5px;color:#4a5366}
.change{font-size:13px;font-weight:600}
.better{color:#1e7a45}.worse{color:#b3261e}.same{color:#4a5366}
figure{margin:12px 0 4px}
svg.chart{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:14px}
caption{text-align:left;font-size:13px;color:#4a5366;padding:4px 0}
th,td{border-bottom:1px solid #e3e6ec;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#4a5366}
ul.tuning li{margin:6px 0}
.impact{color:#4a5366}
code{font-size:13px;background:#f0f2f5;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
@media print{body{background:#fff}section{break-inside:avoid;border:none;padding:0}}
";

/// A table whose cells are already HTML (escaped by the caller); `num` marks numeric
/// columns.
fn table(caption: &str, headers: &[&str], num: &[bool], rows: &[Vec<String>]) -> String {
    let mut out = format!("<table>\n<caption>{}</caption>\n<thead><tr>", esc(caption));
    for (i, h) in headers.iter().enumerate() {
        let class = if num.get(i).copied().unwrap_or(false) { " class=\"num\"" } else { "" };
        out.push_str(&format!("<th scope=\"col\"{class}>{}</th>", esc(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    if rows.is_empty() {
        out.push_str(&format!(
            "<tr><td colspan=\"{}\" class=\"muted\">None in this period.</td></tr>\n",
            headers.len()
        ));
    }
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            if num.get(i).copied().unwrap_or(false) {
                out.push_str(&format!("<td class=\"num\">{cell}</td>"));
            } else {
                out.push_str(&format!("<td>{cell}</td>"));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn figure(svg: String, table_html: String) -> String {
    format!("<figure>\n{svg}\n</figure>\n{table_html}")
}

pub(crate) fn scorecard(sc: &Scorecard) -> String {
    let m = &sc.metrics;
    let series = sc.series();
    let labels: Vec<String> = series.iter().map(|m| m.period.label.clone()).collect();
    let mut body = String::new();

    // Header.
    body.push_str(&format!(
        "<header>\n<h1>{}</h1>\n<p class=\"period\">{}: {} to {} (UTC, end exclusive) · generated {}</p>\n</header>\n",
        esc(&sc.title),
        esc(&sc.period.label),
        esc(&utc_minute(sc.period.from_ms)),
        esc(&utc_minute(sc.period.to_ms)),
        esc(&utc_minute(sc.generated_at_ms)),
    ));

    // Headline numbers.
    let previous_label = sc.previous().map(|p| p.period.label.clone());
    body.push_str("<section id=\"headline\">\n<h2>Headline</h2>\n<div class=\"cards\">\n");
    for h in headlines(sc) {
        let change = match (&h.change, &previous_label) {
            (Some((text, dir)), Some(label)) => {
                let class = match dir {
                    Direction::Better => "better",
                    Direction::Worse => "worse",
                    Direction::Same => "same",
                };
                format!("<div class=\"change {class}\">{} vs {}</div>", esc(text), esc(label))
            }
            (None, Some(label)) => format!("<div class=\"change same\">no comparison with {}</div>", esc(label)),
            _ => String::new(),
        };
        body.push_str(&format!(
            "<div class=\"card\"><div class=\"name\">{}</div><div class=\"value\">{}</div><div class=\"n\">{}</div>\
             <div class=\"detail\">{}</div>{change}</div>\n",
            esc(h.name),
            esc(&h.value),
            esc(&h.n),
            esc(&h.detail)
        ));
    }
    body.push_str("</div>\n</section>\n");

    // Trends.
    let (divisor, unit) = time_unit(&series);
    let scaled = |pick: &dyn Fn(&crate::Metrics) -> Option<f64>| -> Vec<Option<f64>> {
        series.iter().map(|m| pick(m).map(|v| v / divisor)).collect()
    };
    let times_svg = line_chart(
        "Response times (median)",
        "period",
        unit,
        &labels,
        &[
            Series { name: "MTTD", values: scaled(&|m| m.mttd_ms.median) },
            Series { name: "MTTA", values: scaled(&|m| m.mtta_ms.median) },
            Series { name: "MTTR contain", values: scaled(&|m| m.mttr_contain_ms.median) },
            Series { name: "MTTR resolve", values: scaled(&|m| m.mttr_resolve_ms.median) },
        ],
        None,
    );
    let stat_cell = |s: &crate::Stat| format!("{} (p90 {}, n = {})", opt_duration(s.median), opt_duration(s.p90), s.n);
    let times_rows: Vec<Vec<String>> = series
        .iter()
        .map(|m| {
            vec![
                esc(&m.period.label),
                esc(&stat_cell(&m.mttd_ms)),
                esc(&stat_cell(&m.mtta_ms)),
                esc(&stat_cell(&m.mttr_contain_ms)),
                esc(&stat_cell(&m.mttr_resolve_ms)),
            ]
        })
        .collect();
    body.push_str("<section id=\"trends\">\n<h2>Trends</h2>\n");
    body.push_str(&figure(
        times_svg,
        table(
            "Response times per period: median (p90, n)",
            &["Period", "MTTD", "MTTA", "MTTR (contain)", "MTTR (resolve)"],
            &[],
            &times_rows,
        ),
    ));
    type RatioPick = fn(&crate::Metrics) -> &crate::Ratio;
    let ratio_trends: [(&str, &str, &str, &str, RatioPick); 5] = [
        ("Precision", "precision (%)", "True positive", "Disposed (TP + FP)", |m| &m.precision),
        ("Automation rate", "automated steps (%)", "Automated", "Steps", |m| &m.automation),
        ("Automation: notify and ticket steps", "automated steps (%)", "Automated", "Steps", |m| &m.automation_notify),
        ("Automation: containment steps", "automated steps (%)", "Automated", "Steps", |m| &m.automation_contain),
        ("Evidence completeness", "complete packets (%)", "Complete", "Closed cases", |m| &m.evidence_completeness),
    ];
    for (name, y_desc, num_name, den_name, pick) in ratio_trends {
        let values: Vec<Option<f64>> = series.iter().map(|m| pick(m).value.map(|v| v * 100.0)).collect();
        let svg = line_chart(name, "period", y_desc, &labels, &[Series { name, values }], Some(100.0));
        let rows: Vec<Vec<String>> = series
            .iter()
            .map(|m| {
                let r = pick(m);
                vec![esc(&m.period.label), esc(&percent(r.value)), r.numerator.to_string(), r.denominator.to_string()]
            })
            .collect();
        body.push_str(&figure(
            svg,
            table(
                &format!("{name} per period"),
                &["Period", name, num_name, den_name],
                &[false, true, true, true],
                &rows,
            ),
        ));
    }
    body.push_str("</section>\n");

    // Per-detection precision.
    let mut scored: Vec<&crate::DetectionPrecision> =
        m.per_detection.iter().filter(|d| d.precision.is_some()).collect();
    let detection_title = if scored.len() > MAX_BARS {
        // Too many to draw: the busiest rules, in the table's order.
        let mut busiest = scored.clone();
        busiest.sort_by(|a, b| b.alerts.cmp(&a.alerts).then_with(|| a.rule_id.cmp(&b.rule_id)));
        busiest.truncate(MAX_BARS);
        let total = scored.len();
        scored.retain(|d| busiest.iter().any(|b| std::ptr::eq(*b, *d)));
        format!("Precision per detection ({MAX_BARS} busiest of {total})")
    } else {
        "Precision per detection".to_string()
    };
    let svg = bar_chart(&Bars {
        title: &detection_title,
        x_desc: "precision (%)",
        y_desc: "detection",
        labels: scored.iter().map(|d| d.rule_title.clone()).collect(),
        values: scored.iter().map(|d| d.precision.unwrap_or(0.0) * 100.0).collect(),
        value_labels: scored
            .iter()
            .map(|d| format!("{} ({}/{})", percent(d.precision), d.tp, d.tp.saturating_add(d.fp)))
            .collect(),
        x_max: Some(100.0),
        integer: false,
    });
    let rows: Vec<Vec<String>> = m
        .per_detection
        .iter()
        .map(|d| {
            vec![
                esc(&d.rule_title),
                format!("<code>{}</code>", esc(&d.rule_id)),
                d.alerts.to_string(),
                d.tp.to_string(),
                d.fp.to_string(),
                esc(&percent(d.precision)),
            ]
        })
        .collect();
    body.push_str("<section id=\"detections\">\n<h2>Precision per detection</h2>\n");
    body.push_str(&figure(
        svg,
        table(
            "Per-detection precision: tp / (tp + fp) over the rule's alerts in the period",
            &["Detection", "Rule id", "Alerts", "TP", "FP", "Precision"],
            &[false, false, true, true, true, true],
            &rows,
        ),
    ));
    body.push_str("</section>\n");

    // Noisy rules.
    let svg = bar_chart(&Bars {
        title: "Top noisy rules",
        x_desc: "false-positive alerts",
        y_desc: "detection",
        labels: sc.noisy_rules.iter().map(|r| r.rule_title.clone()).collect(),
        values: sc.noisy_rules.iter().map(|r| r.false_positives as f64).collect(),
        value_labels: sc.noisy_rules.iter().map(|r| format!("{} of {}", r.false_positives, r.alerts)).collect(),
        x_max: None,
        integer: true,
    });
    let rows: Vec<Vec<String>> = sc
        .noisy_rules
        .iter()
        .map(|r| {
            vec![
                esc(&r.rule_title),
                format!("<code>{}</code>", esc(&r.rule_id)),
                r.false_positives.to_string(),
                r.alerts.to_string(),
            ]
        })
        .collect();
    body.push_str("<section id=\"noisy\">\n<h2>Top noisy rules</h2>\n");
    body.push_str(&figure(
        svg,
        table(
            "Rules by false-positive alerts in the period (top 10)",
            &["Detection", "Rule id", "False positives", "Alerts"],
            &[false, false, true, true],
            &rows,
        ),
    ));
    body.push_str("</section>\n");

    // SLA.
    body.push_str("<section id=\"sla\">\n<h2>SLA attainment</h2>\n");
    let rows: Vec<Vec<String>> = m
        .sla
        .iter()
        .map(|s| {
            vec![
                esc(&s.severity),
                esc(&s.kind),
                s.met.to_string(),
                s.due.to_string(),
                esc(&percent(s.value)),
                s.not_contained.to_string(),
            ]
        })
        .collect();
    body.push_str(&table(
        "Clocks met on time / clocks due in the period; contain clocks of cases resolved without containment \
         are not contained, not due",
        &["Severity", "Kind", "Met", "Due", "Attainment", "Not contained"],
        &[false, false, true, true, true, true],
        &rows,
    ));
    let by_severity = breaches_by_severity(m);
    let svg = bar_chart(&Bars {
        title: "SLA breaches by severity",
        x_desc: "breaches",
        y_desc: "severity",
        labels: by_severity.iter().map(|(s, _)| s.clone()).collect(),
        values: by_severity.iter().map(|(_, c)| *c as f64).collect(),
        value_labels: by_severity.iter().map(|(_, c)| c.to_string()).collect(),
        x_max: None,
        integer: true,
    });
    let rows: Vec<Vec<String>> = by_severity.iter().map(|(s, c)| vec![esc(s), c.to_string()]).collect();
    body.push_str(&figure(svg, table("SLA breaches by severity", &["Severity", "Breaches"], &[false, true], &rows)));
    let rows: Vec<Vec<String>> = m
        .sla_breaches
        .iter()
        .map(|b| {
            vec![
                esc(&b.case_id),
                esc(&b.case_title),
                esc(&b.severity),
                esc(&b.kind),
                esc(&utc_minute(b.due_ms)),
                esc(&b.met_ms.map_or_else(|| "not met".to_string(), utc_minute)),
            ]
        })
        .collect();
    body.push_str("<h3>Breaches</h3>\n");
    body.push_str(&table(
        "SLA clocks due in the period and not met on time",
        &["Case", "Title", "Severity", "Kind", "Due", "Met"],
        &[],
        &rows,
    ));
    body.push_str("</section>\n");

    // Labeled data.
    body.push_str("<section id=\"labeled\">\n<h2>Rates on labeled data</h2>\n");
    match &m.labeled {
        Some(l) => {
            let rows: Vec<Vec<String>> = [
                ("Detection precision (alerts on an attack / labeled alerts)", &l.detection_precision),
                ("Detection false-positive rate (alerts not on an attack / labeled alerts)", &l.detection_fp_rate),
                ("Analyst true-positive rate (attack cases disposed TP / attack cases)", &l.analyst_tpr),
                ("Analyst false-positive rate (benign cases disposed TP / benign cases)", &l.analyst_fpr),
            ]
            .iter()
            .map(|(name, r)| {
                vec![esc(name), esc(&percent(r.value)), r.numerator.to_string(), r.denominator.to_string()]
            })
            .collect();
            body.push_str(&table(
                "Rates against ground-truth labels",
                &["Measure", "Value", "Numerator", "Denominator"],
                &[false, true, true, true],
                &rows,
            ));
        }
        None => body.push_str("<p class=\"muted\">No labeled alerts or cases in this period.</p>\n"),
    }
    body.push_str("</section>\n");

    // Tuning.
    body.push_str("<section id=\"tuning\">\n<h2>Tuning suggestions</h2>\n");
    if sc.tuning.is_empty() {
        body.push_str("<p class=\"muted\">No suggested exceptions.</p>\n");
    } else {
        body.push_str("<ul class=\"tuning\">\n");
        for s in &sc.tuning {
            body.push_str(&format!(
                "<li><strong>{}</strong> (<code>{}</code>), {}: <code>{}</code><br>\
                 <span class=\"impact\">Impact preview: {}</span></li>\n",
                esc(&s.rule_title),
                esc(&s.rule_id),
                esc(&false_positives(s.false_positives)),
                esc(&s.suggestion),
                esc(&impact(s.would_hide_alerts, s.would_hide_true_positives)),
            ));
        }
        body.push_str("</ul>\n");
    }
    body.push_str("</section>\n");

    // Definitions.
    body.push_str("<section id=\"definitions\">\n<h2>Definitions</h2>\n");
    let rows: Vec<Vec<String>> =
        DEFINITIONS.iter().map(|d| vec![esc(d.name), esc(d.formula), esc(d.timestamps), esc(d.unit)]).collect();
    body.push_str(&table(
        "Medians and p90s by the nearest-rank method; null (shown as —) when n = 0",
        &["Metric", "Formula", "Timestamps", "Unit"],
        &[],
        &rows,
    ));
    body.push_str("</section>\n");

    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        esc(&sc.title),
        esc(&sc.period.label)
    )
}

/// "would hide N alerts, M of them true positives".
pub(crate) fn impact(alerts: u64, true_positives: u64) -> String {
    let alerts_word = if alerts == 1 { "alert" } else { "alerts" };
    let tp_part = if true_positives == 1 {
        "1 of them a true positive".to_string()
    } else {
        format!("{true_positives} of them true positives")
    };
    format!("would hide {alerts} {alerts_word}, {tp_part}")
}

/// "1 false positive", "3 false positives".
fn false_positives(n: u64) -> String {
    if n == 1 { "1 false positive".to_string() } else { format!("{n} false positives") }
}

//! The coverage report: for each control of a framework, what maps to it and what evidence of
//! the period shows it operating. A pure function of its inputs: the caller passes detections,
//! playbooks, evidence and cases in.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::ComplianceError;
use crate::catalog::Catalog;
use crate::refs::ControlRef;

/// A detection or playbook and the controls it maps to (e.g. from
/// [`Catalog::controls_for_detection`] or [`Catalog::controls_for_playbook`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappedItem {
    pub id: String,
    pub title: String,
    pub controls: Vec<ControlRef>,
}

/// An item of the evidence vault and what it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceItem {
    pub sha256: String,
    pub name: String,
    pub kind: String,
    /// The case it belongs to; it then counts for every control that case maps to.
    pub case_id: Option<String>,
    pub controls: Vec<ControlRef>,
    /// The span of time the evidence covers (milliseconds since the Unix epoch, inclusive).
    pub from_ms: i64,
    pub to_ms: i64,
}

/// A case and the controls it maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseItem {
    pub id: String,
    pub title: String,
    pub controls: Vec<ControlRef>,
    pub opened_ms: i64,
    /// `None` while open.
    pub closed_ms: Option<i64>,
    /// The SHA-256 of the case's exported evidence packet, once exported.
    pub packet_sha256: Option<String>,
}

/// What the report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageInputs {
    pub detections: Vec<MappedItem>,
    pub playbooks: Vec<MappedItem>,
    pub evidence: Vec<EvidenceItem>,
    pub cases: Vec<CaseItem>,
}

/// Where a control stands for the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverageStatus {
    /// Mapped to a detection or playbook, evidence in the period, and every case of the period
    /// mapped to it has its exported packet among that evidence.
    Complete,
    /// Mapped and some evidence, but something is missing (named in `missing`).
    Partial,
    /// Mapped, but no evidence in the period.
    NoEvidence,
    /// No detection or playbook maps to it.
    NotMapped,
}

impl CoverageStatus {
    pub const ALL: [CoverageStatus; 4] =
        [CoverageStatus::Complete, CoverageStatus::Partial, CoverageStatus::NoEvidence, CoverageStatus::NotMapped];

    pub fn as_str(self) -> &'static str {
        match self {
            CoverageStatus::Complete => "complete",
            CoverageStatus::Partial => "partial",
            CoverageStatus::NoEvidence => "no_evidence",
            CoverageStatus::NotMapped => "not_mapped",
        }
    }
}

/// A detection or playbook as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRef {
    pub id: String,
    pub title: String,
}

/// A case of the period as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRef {
    pub id: String,
    pub title: String,
    pub opened_ms: i64,
    pub closed_ms: Option<i64>,
    pub packet_sha256: Option<String>,
}

/// An evidence item of the period as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRef {
    pub sha256: String,
    pub name: String,
    pub kind: String,
    pub case_id: Option<String>,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// One control's line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlCoverage {
    pub id: String,
    pub title: String,
    pub soc_ops_relevant: bool,
    /// For a custom control, the controls it inherits detections, playbooks, cases and
    /// evidence from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub maps_to: Vec<ControlRef>,
    pub status: CoverageStatus,
    pub detections: Vec<ItemRef>,
    pub playbooks: Vec<ItemRef>,
    pub cases: Vec<CaseRef>,
    pub evidence: Vec<EvidenceRef>,
    /// Why it is not complete, for a person to read.
    pub missing: Vec<String>,
}

/// How many controls are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CoverageSummary {
    pub total: usize,
    pub complete: usize,
    pub partial: usize,
    pub no_evidence: usize,
    pub not_mapped: usize,
}

impl CoverageSummary {
    pub fn count(&self, status: CoverageStatus) -> usize {
        match status {
            CoverageStatus::Complete => self.complete,
            CoverageStatus::Partial => self.partial,
            CoverageStatus::NoEvidence => self.no_evidence,
            CoverageStatus::NotMapped => self.not_mapped,
        }
    }
}

/// The coverage of one framework over one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverageReport {
    pub framework: String,
    pub framework_name: String,
    pub framework_version: String,
    /// The period, milliseconds since the Unix epoch, both ends inclusive.
    pub from_ms: i64,
    pub to_ms: i64,
    /// The status of the use-case mapping the detection and playbook controls come from: a
    /// draft for review by a qualified assessor.
    pub mapping_status: String,
    pub summary: CoverageSummary,
    /// Every control of the framework, in catalog order.
    pub controls: Vec<ControlCoverage>,
}

fn overlaps(a_from: i64, a_to: i64, from_ms: i64, to_ms: i64) -> bool {
    let (lo, hi) = if a_from <= a_to { (a_from, a_to) } else { (a_to, a_from) };
    lo <= to_ms && hi >= from_ms
}

fn canonical_set(controls: &[ControlRef]) -> HashSet<ControlRef> {
    controls.iter().map(ControlRef::canonical).collect()
}

/// The coverage of `framework` (id or alias) over `[from_ms, to_ms]`.
///
/// For each control, in catalog order: the detections and playbooks mapped to it; the cases of
/// the period mapped to it (a case is in the period when `[opened, closed or to_ms]` overlaps
/// it); the evidence of the period (its `[from_ms, to_ms]` overlaps the period) that names the
/// control or belongs to one of those cases. A custom control with `maps_to` also collects what
/// maps to the controls it names. Then the status:
///
/// * `not_mapped`: no detection or playbook maps to it;
/// * `no_evidence`: mapped, but no evidence in the period;
/// * `complete`: mapped, evidence in the period, and every case of the period mapped to it has
///   an exported packet (`packet_sha256`) among that evidence;
/// * `partial`: mapped and some evidence, but a case lacks its packet (named in `missing`).
pub fn coverage(
    catalog: &Catalog,
    framework: &str,
    inputs: &CoverageInputs,
    from_ms: i64,
    to_ms: i64,
) -> Result<CoverageReport, ComplianceError> {
    if from_ms > to_ms {
        return Err(ComplianceError::BadPeriod { from_ms, to_ms });
    }
    let fw = catalog.framework(framework).ok_or_else(|| ComplianceError::UnknownFramework(framework.to_owned()))?;

    let detections: Vec<_> = inputs.detections.iter().map(|d| (d, canonical_set(&d.controls))).collect();
    let playbooks: Vec<_> = inputs.playbooks.iter().map(|p| (p, canonical_set(&p.controls))).collect();
    let cases: Vec<_> = inputs
        .cases
        .iter()
        .filter(|c| c.opened_ms <= to_ms && c.closed_ms.unwrap_or(to_ms).max(c.opened_ms) >= from_ms)
        .map(|c| (c, canonical_set(&c.controls)))
        .collect();
    let evidence: Vec<_> = inputs
        .evidence
        .iter()
        .filter(|e| overlaps(e.from_ms, e.to_ms, from_ms, to_ms))
        .map(|e| (e, canonical_set(&e.controls)))
        .collect();

    let mut summary = CoverageSummary::default();
    let mut controls = Vec::with_capacity(fw.controls.len());
    for control in &fw.controls {
        let me = ControlRef { framework: fw.id.clone(), id: control.id.clone() };
        let wanted: HashSet<ControlRef> = catalog.satisfied_by(&me).into_iter().collect();
        let hits = |set: &HashSet<ControlRef>| !set.is_disjoint(&wanted);

        let mut seen = HashSet::new();
        let my_detections: Vec<ItemRef> = detections
            .iter()
            .filter(|(d, set)| hits(set) && seen.insert(d.id.clone()))
            .map(|(d, _)| ItemRef { id: d.id.clone(), title: d.title.clone() })
            .collect();
        let mut seen = HashSet::new();
        let my_playbooks: Vec<ItemRef> = playbooks
            .iter()
            .filter(|(p, set)| hits(set) && seen.insert(p.id.clone()))
            .map(|(p, _)| ItemRef { id: p.id.clone(), title: p.title.clone() })
            .collect();
        let mut seen = HashSet::new();
        let my_cases: Vec<&crate::CaseItem> =
            cases.iter().filter(|(c, set)| hits(set) && seen.insert(c.id.clone())).map(|(c, _)| *c).collect();
        let case_ids: HashSet<&str> = my_cases.iter().map(|c| c.id.as_str()).collect();
        let my_evidence: Vec<&EvidenceItem> = evidence
            .iter()
            .filter(|(e, set)| hits(set) || e.case_id.as_deref().is_some_and(|id| case_ids.contains(id)))
            .map(|(e, _)| *e)
            .collect();
        let evidence_shas: HashSet<String> = my_evidence.iter().map(|e| e.sha256.trim().to_ascii_lowercase()).collect();

        let mapped = !my_detections.is_empty() || !my_playbooks.is_empty();
        let mut missing = Vec::new();
        if !mapped {
            missing.push("no detection or playbook is mapped to this control".to_owned());
        }
        if my_evidence.is_empty() {
            missing.push("no evidence in the period".to_owned());
        }
        let mut case_gaps = false;
        for case in &my_cases {
            match &case.packet_sha256 {
                None => {
                    case_gaps = true;
                    missing.push(format!("case {} has no exported packet", case.id));
                }
                Some(sha) if !evidence_shas.contains(&sha.trim().to_ascii_lowercase()) => {
                    case_gaps = true;
                    missing.push(format!("case {}'s packet {sha} is not among the evidence of the period", case.id));
                }
                Some(_) => {}
            }
        }
        let status = if !mapped {
            CoverageStatus::NotMapped
        } else if my_evidence.is_empty() {
            CoverageStatus::NoEvidence
        } else if case_gaps {
            CoverageStatus::Partial
        } else {
            CoverageStatus::Complete
        };
        match status {
            CoverageStatus::Complete => summary.complete += 1,
            CoverageStatus::Partial => summary.partial += 1,
            CoverageStatus::NoEvidence => summary.no_evidence += 1,
            CoverageStatus::NotMapped => summary.not_mapped += 1,
        }
        summary.total += 1;

        controls.push(ControlCoverage {
            id: control.id.clone(),
            title: control.title.clone(),
            soc_ops_relevant: control.soc_ops_relevant,
            maps_to: control.maps_to.clone(),
            status,
            detections: my_detections,
            playbooks: my_playbooks,
            cases: my_cases
                .iter()
                .map(|c| CaseRef {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    opened_ms: c.opened_ms,
                    closed_ms: c.closed_ms,
                    packet_sha256: c.packet_sha256.clone(),
                })
                .collect(),
            evidence: my_evidence
                .iter()
                .map(|e| EvidenceRef {
                    sha256: e.sha256.clone(),
                    name: e.name.clone(),
                    kind: e.kind.clone(),
                    case_id: e.case_id.clone(),
                    from_ms: e.from_ms,
                    to_ms: e.to_ms,
                })
                .collect(),
            missing,
        });
    }

    Ok(CoverageReport {
        framework: fw.id.clone(),
        framework_name: fw.name.clone(),
        framework_version: fw.version.clone(),
        from_ms,
        to_ms,
        mapping_status: catalog.mapping_status().to_owned(),
        summary,
        controls,
    })
}

fn csv_field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn md_cell(value: &str) -> String {
    value.replace('\\', "\\\\").replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// `2026-01-31T12:00:00Z` (with milliseconds when there are any) for milliseconds since the
/// Unix epoch.
pub fn format_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (sod / 3600, sod % 3600 / 60, sod % 60);
    if millis == 0 {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{millis:03}Z")
    }
}

impl CoverageReport {
    /// One row per control: `framework,control,title,status,detections,playbooks,cases,
    /// evidence_sha256s,missing`; lists inside a cell are separated by `; `. Fields are quoted
    /// as RFC 4180 asks (when they hold a comma, a quote or a line break).
    pub fn to_csv(&self) -> String {
        let mut out =
            String::from("framework,control,title,status,detections,playbooks,cases,evidence_sha256s,missing\r\n");
        for c in &self.controls {
            let cells = [
                self.framework.clone(),
                c.id.clone(),
                c.title.clone(),
                c.status.as_str().to_owned(),
                c.detections.iter().map(|d| d.id.as_str()).collect::<Vec<_>>().join("; "),
                c.playbooks.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join("; "),
                c.cases.iter().map(|k| k.id.as_str()).collect::<Vec<_>>().join("; "),
                c.evidence.iter().map(|e| e.sha256.as_str()).collect::<Vec<_>>().join("; "),
                c.missing.join("; "),
            ];
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                csv_field(&mut out, cell);
            }
            out.push_str("\r\n");
        }
        out
    }

    /// The report as Markdown: the framework, the period, the mapping's draft status, the
    /// summary and one table row per control.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Compliance coverage: {} ({} {})",
            self.framework_name, self.framework, self.framework_version
        );
        let _ = writeln!(out);
        let _ = writeln!(out, "Period: {} to {} (UTC)", format_utc(self.from_ms), format_utc(self.to_ms));
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "> Control mapping: {}. Statuses below rest on it and must be reviewed before they are relied on.",
            md_cell(&self.mapping_status)
        );
        let _ = writeln!(out);
        let _ = writeln!(out, "| Status | Controls |");
        let _ = writeln!(out, "|---|---|");
        for status in CoverageStatus::ALL {
            let _ = writeln!(out, "| {} | {} |", status.as_str(), self.summary.count(status));
        }
        let _ = writeln!(out, "| total | {} |", self.summary.total);
        let _ = writeln!(out);
        let _ = writeln!(out, "| Control | Title | Status | Detections | Playbooks | Cases | Evidence | Missing |");
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
        for c in &self.controls {
            let list = |items: Vec<String>| if items.is_empty() { "-".to_owned() } else { md_cell(&items.join(", ")) };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                md_cell(&c.id),
                md_cell(&c.title),
                c.status.as_str(),
                list(c.detections.iter().map(|d| format!("{} ({})", d.title, d.id)).collect()),
                list(c.playbooks.iter().map(|p| format!("{} ({})", p.title, p.id)).collect()),
                list(c.cases.iter().map(|k| k.id.clone()).collect()),
                list(c.evidence.iter().map(|e| format!("{} ({})", e.name, e.sha256)).collect()),
                if c.missing.is_empty() { "-".to_owned() } else { md_cell(&c.missing.join("; ")) },
            );
        }
        out
    }
}

//! The coverage report, on a hand-checked fixture, for a custom framework via `maps_to`, and
//! as properties.

use proptest::prelude::*;
use vigil_compliance::{
    CaseItem, Catalog, ComplianceError, ControlCoverage, ControlRef, CoverageInputs, CoverageReport, CoverageStatus,
    EvidenceItem, MappedItem, coverage, format_utc,
};

const DAY: i64 = 86_400_000;
/// 2026-01-01T00:00:00Z.
const FROM: i64 = 1_767_225_600_000;
/// 2026-03-31T23:59:59.999Z.
const TO: i64 = FROM + 90 * DAY - 1;

fn r(s: &str) -> ControlRef {
    ControlRef::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn refs(list: &[&str]) -> Vec<ControlRef> {
    list.iter().map(|s| r(s)).collect()
}

fn item(id: &str, title: &str, controls: &[&str]) -> MappedItem {
    MappedItem { id: id.into(), title: title.into(), controls: refs(controls) }
}

fn case(id: &str, controls: &[&str], opened_ms: i64, closed_ms: Option<i64>, packet: Option<&str>) -> CaseItem {
    CaseItem {
        id: id.into(),
        title: format!("case {id}"),
        controls: refs(controls),
        opened_ms,
        closed_ms,
        packet_sha256: packet.map(str::to_owned),
    }
}

fn evidence(sha: &str, case_id: Option<&str>, controls: &[&str], from_ms: i64, to_ms: i64) -> EvidenceItem {
    EvidenceItem {
        sha256: sha.into(),
        name: format!("{sha}.json"),
        kind: "export".into(),
        case_id: case_id.map(str::to_owned),
        controls: refs(controls),
        from_ms,
        to_ms,
    }
}

fn sha(c: char) -> String {
    c.to_string().repeat(64)
}

fn fixture() -> CoverageInputs {
    CoverageInputs {
        detections: vec![
            item("det-a", "Impossible travel", &["SOC2:CC6.1"]),
            item("det-b", "MFA fatigue", &["soc2:cc7.2", "ISO27001:A.8.16"]),
            item("det-c", "Boundary probe", &["SOC2:CC6.6"]),
        ],
        playbooks: vec![item("PB-03", "Ticket open", &["SOC2:CC7.3"])],
        cases: vec![
            // In the period, its packet among the evidence.
            case("C-1", &["SOC2:CC6.1"], FROM + DAY, Some(FROM + 2 * DAY), Some(&sha('a').to_uppercase())),
            // Opened before the period and still open: in it, without a packet.
            case("C-12", &["SOC2:CC7.2"], FROM - 10 * DAY, None, None),
            // Closed a millisecond before the period: not in it.
            case("C-OLD", &["SOC2:CC6.6"], FROM - 20 * DAY, Some(FROM - 1), None),
            // Opened on the period's last millisecond: in it; its packet is dated after the period.
            case("C-EDGE", &["SOC2:CC7.3"], TO, None, Some(&sha('c'))),
            // Opened after the period: not in it.
            case("C-LATER", &["SOC2:CC6.1"], TO + 1, None, None),
        ],
        evidence: vec![
            // Counts for CC6.1 through its case.
            evidence(&sha('a'), Some("C-1"), &[], FROM + DAY, FROM + 2 * DAY),
            // Ends on the period's first millisecond: in it.
            evidence(&sha('b'), None, &["SOC2:CC7.2"], FROM - 5 * DAY, FROM),
            // After the period.
            evidence(&sha('d'), None, &["SOC2:CC6.6"], TO + 1, TO + DAY),
            evidence(&sha('e'), None, &["SOC2:CC7.3"], FROM + 3 * DAY, FROM + 3 * DAY),
            evidence(&sha('c'), Some("C-EDGE"), &[], TO + 1, TO + 2),
            // Evidence for a control nothing maps to.
            evidence(&sha('f'), None, &["SOC2:CC1.1"], FROM, TO),
        ],
    }
}

fn catalog() -> Catalog {
    Catalog::builtin().unwrap_or_else(|e| panic!("{e}"))
}

fn report(c: &Catalog, framework: &str, inputs: &CoverageInputs) -> CoverageReport {
    coverage(c, framework, inputs, FROM, TO).unwrap_or_else(|e| panic!("{e}"))
}

fn line<'a>(rep: &'a CoverageReport, id: &str) -> &'a ControlCoverage {
    rep.controls.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no {id} in the report"))
}

fn ids<T>(items: &[T], f: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|x| f(x).to_owned()).collect()
}

#[test]
fn hand_checked_statuses() {
    let c = catalog();
    let rep = report(&c, "soc2", &fixture());
    assert_eq!(
        (rep.framework.as_str(), rep.framework_version.as_str()),
        ("SOC2", "2017 (points of focus revised 2022)")
    );
    assert_eq!((rep.from_ms, rep.to_ms), (FROM, TO));
    assert!(rep.mapping_status.starts_with("DRAFT"));
    let soc2 =
        c.framework("SOC2").map(|f| f.controls.iter().map(|c| c.id.clone()).collect::<Vec<_>>()).unwrap_or_default();
    assert_eq!(ids(&rep.controls, |c| &c.id), soc2, "every control, in catalog order");

    // Complete: mapped, evidence in the period, its case's packet among it (hashes compare
    // case-insensitively); the case opened after the period does not count.
    let cc61 = line(&rep, "CC6.1");
    assert_eq!(cc61.status, CoverageStatus::Complete);
    assert_eq!(ids(&cc61.detections, |d| &d.id), ["det-a"]);
    assert_eq!(ids(&cc61.cases, |k| &k.id), ["C-1"]);
    assert_eq!(ids(&cc61.evidence, |e| &e.sha256), [sha('a')]);
    assert!(cc61.missing.is_empty(), "{:?}", cc61.missing);

    // Partial: the open case from before the period has no packet.
    let cc72 = line(&rep, "CC7.2");
    assert_eq!(cc72.status, CoverageStatus::Partial);
    assert_eq!(ids(&cc72.cases, |k| &k.id), ["C-12"]);
    assert_eq!(ids(&cc72.evidence, |e| &e.sha256), [sha('b')]);
    assert_eq!(cc72.missing, ["case C-12 has no exported packet"]);

    // Partial: the case opened on the last millisecond has a packet, but not in the period.
    let cc73 = line(&rep, "CC7.3");
    assert_eq!(cc73.status, CoverageStatus::Partial);
    assert_eq!(ids(&cc73.playbooks, |p| &p.id), ["PB-03"]);
    assert_eq!(ids(&cc73.cases, |k| &k.id), ["C-EDGE"]);
    assert_eq!(ids(&cc73.evidence, |e| &e.sha256), [sha('e')]);
    assert_eq!(cc73.missing, [format!("case C-EDGE's packet {} is not among the evidence of the period", sha('c'))]);

    // No evidence: its case closed before the period, its evidence is after it.
    let cc66 = line(&rep, "CC6.6");
    assert_eq!(cc66.status, CoverageStatus::NoEvidence);
    assert!(cc66.cases.is_empty() && cc66.evidence.is_empty());
    assert_eq!(cc66.missing, ["no evidence in the period"]);

    // Not mapped, though it has evidence.
    let cc11 = line(&rep, "CC1.1");
    assert_eq!(cc11.status, CoverageStatus::NotMapped);
    assert_eq!(ids(&cc11.evidence, |e| &e.sha256), [sha('f')]);
    assert_eq!(cc11.missing, ["no detection or playbook is mapped to this control"]);
    let cc92 = line(&rep, "CC9.2");
    assert_eq!(cc92.status, CoverageStatus::NotMapped);
    assert_eq!(cc92.missing, ["no detection or playbook is mapped to this control", "no evidence in the period"]);

    let s = rep.summary;
    assert_eq!((s.total, s.complete, s.partial, s.no_evidence, s.not_mapped), (43, 1, 2, 1, 39));

    // The same inputs against ISO 27001: det-b maps to A.8.16, nothing else does.
    let iso = report(&c, "iso", &fixture());
    assert_eq!(line(&iso, "A.8.16").status, CoverageStatus::NoEvidence);
    assert_eq!((iso.summary.no_evidence, iso.summary.not_mapped), (1, 92));
}

#[test]
fn period_boundaries_are_inclusive() {
    let c = catalog();
    let inputs = CoverageInputs {
        detections: vec![item("d", "d", &["SOC2:CC7.2"])],
        evidence: vec![evidence(&sha('1'), None, &["SOC2:CC7.2"], TO, TO + DAY)],
        ..CoverageInputs::default()
    };
    assert_eq!(line(&report(&c, "SOC2", &inputs), "CC7.2").status, CoverageStatus::Complete);
    // One millisecond later and it is out.
    let later = coverage(&c, "SOC2", &inputs, FROM, TO - DAY).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(line(&later, "CC7.2").status, CoverageStatus::NoEvidence);
    // A one-instant period works.
    let instant = coverage(&c, "SOC2", &inputs, TO, TO).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(line(&instant, "CC7.2").status, CoverageStatus::Complete);
}

#[test]
fn errors() {
    let c = catalog();
    let bad = coverage(&c, "soc2", &fixture(), TO, FROM);
    assert_eq!(bad.err(), Some(ComplianceError::BadPeriod { from_ms: TO, to_ms: FROM }));
    let unknown = coverage(&c, "cobit", &fixture(), FROM, TO);
    assert_eq!(unknown.err().map(|e| e.to_string()), Some("unknown framework `cobit`".to_owned()));
}

const ACME: &str = "\
format: vigil-framework/1
id: ACME-SEC
name: Acme security standard
version: \"2026\"
controls:
  - id: SEC-1
    title: Security events are monitored
    maps_to: [SOC2:CC7.2, SOC2:CC6.1]
  - id: SEC-2
    title: The boundary is watched
    maps_to: [SOC2:CC6.6]
  - id: SEC-3
    title: Keys, \"secrets\" and tokens | rotated
  - id: SEC-4
    title: Acme-only control
";

#[test]
fn custom_framework_inherits_through_maps_to() {
    let mut c = catalog();
    c.load_custom_yaml(ACME, "acme.yml").unwrap_or_else(|e| panic!("{e}"));
    let mut inputs = fixture();
    inputs.detections.push(item("det-acme", "Acme rule", &["ACME-SEC:SEC-4"]));
    inputs.evidence.push(evidence(&sha('9'), None, &["acme-sec:SEC-4"], FROM, FROM));
    let rep = report(&c, "acme-sec", &inputs);
    assert_eq!(rep.framework, "ACME-SEC");
    assert_eq!(ids(&rep.controls, |c| &c.id), ["SEC-1", "SEC-2", "SEC-3", "SEC-4"]);

    // Everything of CC7.2 and CC6.1: both detections, both cases, both evidence items; C-12's
    // missing packet makes it partial.
    let sec1 = line(&rep, "SEC-1");
    assert_eq!(sec1.maps_to, refs(&["SOC2:CC7.2", "SOC2:CC6.1"]));
    assert_eq!(ids(&sec1.detections, |d| &d.id), ["det-a", "det-b"]);
    assert_eq!(ids(&sec1.cases, |k| &k.id), ["C-1", "C-12"]);
    assert_eq!(ids(&sec1.evidence, |e| &e.sha256), [sha('a'), sha('b')]);
    assert_eq!(sec1.status, CoverageStatus::Partial);
    assert_eq!(sec1.missing, ["case C-12 has no exported packet"]);

    assert_eq!(line(&rep, "SEC-2").status, CoverageStatus::NoEvidence);
    assert_eq!(ids(&line(&rep, "SEC-2").detections, |d| &d.id), ["det-c"]);
    assert_eq!(line(&rep, "SEC-3").status, CoverageStatus::NotMapped);
    let sec4 = line(&rep, "SEC-4");
    assert_eq!((sec4.status, sec4.evidence.len()), (CoverageStatus::Complete, 1));
    let s = rep.summary;
    assert_eq!((s.total, s.complete, s.partial, s.no_evidence, s.not_mapped), (4, 1, 1, 1, 1));

    // CSV: a header and one row per control, quoted where needed.
    let csv = rep.to_csv();
    let rows: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0], "framework,control,title,status,detections,playbooks,cases,evidence_sha256s,missing");
    assert_eq!(
        rows[1],
        format!(
            "ACME-SEC,SEC-1,Security events are monitored,partial,det-a; det-b,,C-1; C-12,{}; {},case C-12 has no exported packet",
            sha('a'),
            sha('b')
        )
    );
    assert_eq!(
        rows[3],
        "ACME-SEC,SEC-3,\"Keys, \"\"secrets\"\" and tokens | rotated\",not_mapped,,,,,\
         no detection or playbook is mapped to this control; no evidence in the period"
    );

    // Markdown: the draft status, the summary and escaped cells.
    let md = rep.to_markdown();
    assert!(md.starts_with("# Compliance coverage: Acme security standard (ACME-SEC 2026)\n"), "{md}");
    assert!(md.contains("Period: 2026-01-01T00:00:00Z to 2026-03-31T23:59:59.999Z (UTC)"), "{md}");
    assert!(md.contains(&format!("> Control mapping: {}.", c.mapping_status())), "{md}");
    assert!(md.contains("| partial | 1 |") && md.contains("| total | 4 |"), "{md}");
    assert!(md.contains("| SEC-3 | Keys, \"secrets\" and tokens \\| rotated | not_mapped |"), "{md}");
    assert!(md.contains(
        "| SEC-1 | Security events are monitored | partial | Impossible travel (det-a), MFA fatigue (det-b) |"
    ));

    // JSON for the API.
    let json = serde_json::to_value(&rep).unwrap_or_default();
    assert_eq!(json["controls"][0]["status"], "partial");
    assert_eq!(json["controls"][0]["maps_to"][0], "SOC2:CC7.2");
    assert_eq!(json["summary"]["not_mapped"], 1);
    assert!(json["mapping_status"].as_str().is_some_and(|s| s.starts_with("DRAFT")));
}

#[test]
fn builtin_detections_and_playbooks_feed_the_report() {
    let c = catalog();
    let detections = vec![MappedItem {
        id: "vb-impossible-travel".into(),
        title: "Impossible travel".into(),
        controls: c.controls_for_detection("vb-impossible-travel", &[], &[]),
    }];
    let playbooks = vec![MappedItem {
        id: "PB-03".into(),
        title: "Ticket open".into(),
        controls: c.controls_for_playbook("ticket-open"),
    }];
    let inputs = CoverageInputs { detections, playbooks, ..CoverageInputs::default() };
    let rep = report(&c, "800-53", &inputs);
    assert_eq!(line(&rep, "AC-2(12)").status, CoverageStatus::NoEvidence);
    assert_eq!(line(&rep, "IR-5").status, CoverageStatus::NoEvidence);
    assert_eq!(line(&rep, "AC-1").status, CoverageStatus::NotMapped);
    // ID-01 and PB-03 name 4 + 3 800-53 controls, all in the shipped file.
    assert_eq!(rep.summary.no_evidence, 7);
}

#[test]
fn utc_formatting() {
    assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
    assert_eq!(format_utc(FROM), "2026-01-01T00:00:00Z");
    assert_eq!(format_utc(951_782_400_000), "2000-02-29T00:00:00Z");
    assert_eq!(format_utc(-1), "1969-12-31T23:59:59.999Z");
}

fn soc2_refs() -> Vec<ControlRef> {
    refs(&["SOC2:CC6.1", "SOC2:CC6.6", "SOC2:CC7.2", "SOC2:CC7.3", "SOC2:CC9.2", "ACME-SEC:SEC-4", "ISO27001:A.8.16"])
}

fn arb_refs() -> impl Strategy<Value = Vec<ControlRef>> {
    proptest::sample::subsequence(soc2_refs(), 0..3)
}

fn arb_span() -> impl Strategy<Value = (i64, i64)> {
    (FROM - 20 * DAY..TO + 20 * DAY, 0..30 * DAY).prop_map(|(a, len)| (a, a + len))
}

fn arb_inputs() -> impl Strategy<Value = CoverageInputs> {
    let mapped = || {
        (0..4u8, arb_refs()).prop_map(|(i, controls)| MappedItem { id: format!("m{i}"), title: "x".into(), controls })
    };
    let case = (0..5u8, arb_refs(), arb_span(), any::<bool>(), proptest::option::of(0..4u8)).prop_map(
        |(i, controls, (o, c), open, packet)| CaseItem {
            id: format!("C-{i}"),
            title: "c".into(),
            controls,
            opened_ms: o,
            closed_ms: (!open).then_some(c),
            packet_sha256: packet.map(|p| format!("{p:064}")),
        },
    );
    let ev = (0..4u8, proptest::option::of(0..5u8), arb_refs(), arb_span()).prop_map(|(s, case, controls, (f, t))| {
        EvidenceItem {
            sha256: format!("{s:064}"),
            name: "e".into(),
            kind: "k".into(),
            case_id: case.map(|c| format!("C-{c}")),
            controls,
            from_ms: f,
            to_ms: t,
        }
    });
    (
        proptest::collection::vec(mapped(), 0..4),
        proptest::collection::vec(mapped(), 0..3),
        proptest::collection::vec(ev, 0..6),
        proptest::collection::vec(case, 0..5),
    )
        .prop_map(|(detections, playbooks, evidence, cases)| CoverageInputs {
            detections,
            playbooks,
            evidence,
            cases,
        })
}

/// References in the spellings [`ControlRef::parse`] accepts.
fn well_formed() -> impl Strategy<Value = String> {
    prop_oneof![
        ("(soc2|SOC2|Soc2|TSC)", "(CC|A|C|PI|P|cc|pi)", 1..10u32, 1..10u32)
            .prop_map(|(f, l, a, b)| format!("{f}:{l}{a}.{b}")),
        ("(iso|ISO|iso27001|ISO27001)", "(A\\.|a|)", 5..9u32, 1..40u32)
            .prop_map(|(f, a, t, n)| format!("{f}:{a}{t}.{n}")),
        ("(45 CFR |§ |)", "16[4]\\.3[0-9][0-9]", "(\\([a-e]\\)(\\([1-9]\\)(\\([iv]{1,3}\\)(\\([A-F]\\))?)?)?)?")
            .prop_map(|(p, s, para)| format!("HIPAA:{p}{s}{para}")),
        ("(pci|PCI|pci-dss|PCI-DSS|pci_dss)", proptest::collection::vec(1..13u32, 1..5))
            .prop_map(|(f, v)| format!("{f}:{}", v.iter().map(u32::to_string).collect::<Vec<_>>().join("."))),
        ("(csf|CSF|nist-csf|NIST-CSF)", "[A-Za-z]{2}\\.[A-Za-z]{2}(-[0-9]{1,2})?")
            .prop_map(|(f, id)| format!("{f}:{id}")),
        (
            "(800-53|nist-800-53|NIST-800-53|nist_800_53)",
            "[A-Za-z]{2}-?0?[1-9][0-9]?((\\(0?[1-9][0-9]?\\))|(\\.[1-9][0-9]?))?"
        )
            .prop_map(|(f, id)| format!("{f}:{id}")),
        ("[A-Za-z][A-Za-z0-9._-]{0,12}", "[A-Za-z0-9._()-]{1,16}")
            .prop_filter("a custom prefix", |(f, _)| vigil_compliance::builtin_framework(f).is_none())
            .prop_map(|(f, id)| format!("{f}:{id}")),
    ]
}

fn reference_strings() -> impl Strategy<Value = String> {
    prop_oneof![well_formed(), any::<String>(), "[A-Za-z0-9:().§ -]{0,24}"]
}

proptest! {
    #[test]
    fn control_refs_round_trip(s in reference_strings()) {
        if let Ok(parsed) = ControlRef::parse(&s) {
            let shown = parsed.to_string();
            let again = ControlRef::parse(&shown);
            prop_assert_eq!(again.as_ref(), Ok(&parsed), "{} -> {}", s, shown);
            prop_assert_eq!(parsed.canonical(), parsed.clone());
            let json = serde_json::to_string(&parsed).unwrap_or_default();
            prop_assert_eq!(serde_json::from_str::<ControlRef>(&json).ok(), Some(parsed));
        }
    }

    #[test]
    fn well_formed_references_always_parse(s in well_formed()) {
        let parsed = ControlRef::parse(&s);
        prop_assert!(parsed.is_ok(), "{}: {:?}", s, parsed);
    }

    #[test]
    fn every_control_gets_exactly_one_status(inputs in arb_inputs(), from in FROM - 10 * DAY..TO, len in 0..60 * DAY) {
        let mut c = catalog();
        c.load_custom_yaml(ACME, "acme.yml").map_err(|e| TestCaseError::fail(e.to_string()))?;
        for framework in ["SOC2", "ACME-SEC"] {
            let rep = coverage(&c, framework, &inputs, from, from + len).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let fw_len = c.framework(framework).map(|f| f.controls.len()).unwrap_or(0);
            prop_assert_eq!(rep.controls.len(), fw_len);
            prop_assert_eq!(rep.summary.total, fw_len);
            let mut tally = [0usize; 4];
            for line in &rep.controls {
                let i = CoverageStatus::ALL.iter().position(|s| *s == line.status).unwrap_or(usize::MAX);
                prop_assert!(i < 4);
                tally[i] += 1;
                let mapped = !line.detections.is_empty() || !line.playbooks.is_empty();
                match line.status {
                    CoverageStatus::NotMapped => prop_assert!(!mapped),
                    CoverageStatus::NoEvidence => prop_assert!(mapped && line.evidence.is_empty()),
                    CoverageStatus::Partial => prop_assert!(mapped && !line.evidence.is_empty() && !line.missing.is_empty()),
                    CoverageStatus::Complete => prop_assert!(mapped && !line.evidence.is_empty() && line.missing.is_empty()),
                }
                for case in &line.cases {
                    prop_assert!(case.opened_ms <= from + len && case.closed_ms.unwrap_or(i64::MAX) >= from);
                }
                for e in &line.evidence {
                    prop_assert!(e.from_ms.min(e.to_ms) <= from + len && e.from_ms.max(e.to_ms) >= from);
                }
            }
            let counted: Vec<usize> = CoverageStatus::ALL.iter().map(|s| rep.summary.count(*s)).collect();
            prop_assert_eq!(counted, tally.to_vec());
            prop_assert_eq!(tally.iter().sum::<usize>(), fw_len);
            prop_assert_eq!(rep.to_csv().split_terminator("\r\n").count(), fw_len + 1);
        }
    }
}

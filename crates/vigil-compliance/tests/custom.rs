//! Custom frameworks in YAML: a good file, and bad ones whose errors name the line and field.

use vigil_compliance::{Catalog, ComplianceError, ControlRef, Framework, load_framework_yaml};

const GOOD: &str = "\
format: vigil-framework/1
id: acme-sec          # becomes the ControlRef prefix
name: Acme security standard
version: \"2026\"
licence: internal
controls:
  - id: SEC-1
    title: Security events are monitored
    soc_ops_relevant: true
    maps_to: [SOC2:CC7.2, iso27001:8.16, SOC2:CC7.2]
  - id: SEC-2
    title: Access is reviewed
    group: Identity
  - id: SEC-3
    title: Keys are rotated
    maps_to:
      - 800-53:ia-5
      - HIPAA:45 CFR 164.308(a)(5)(ii)(D)
";

fn r(s: &str) -> ControlRef {
    ControlRef::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn load(text: &str) -> Result<Framework, ComplianceError> {
    load_framework_yaml(text, "frameworks/acme.yml")
}

#[test]
fn a_good_file_loads() {
    let f = load(GOOD).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.id, "ACME-SEC");
    assert_eq!(f.name, "Acme security standard");
    assert_eq!(f.version, "2026");
    assert_eq!(f.licence, "internal");
    let ids: Vec<&str> = f.controls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["SEC-1", "SEC-2", "SEC-3"]);
    assert!(f.controls[0].soc_ops_relevant);
    assert!(!f.controls[1].soc_ops_relevant);
    assert_eq!(f.controls[1].group.as_deref(), Some("Identity"));
    assert_eq!(f.controls[0].maps_to, [r("SOC2:CC7.2"), r("ISO27001:A.8.16")], "normalized and deduplicated");
    assert_eq!(f.controls[2].maps_to, [r("NIST-800-53:IA-5"), r("HIPAA:164.308(a)(5)(ii)(D)")]);
    assert!(!f.is_builtin());

    let mut c = Catalog::builtin().unwrap_or_else(|e| panic!("{e}"));
    c.add_custom(f.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.framework("acme-sec").map(|f| f.controls.len()), Some(3));
    assert_eq!(c.lookup(&r("acme-sec:SEC-2")).map(|c| c.title.as_str()), Some("Access is reviewed"));
    let satisfied = c.satisfied_by(&r("ACME-SEC:SEC-1"));
    assert_eq!(satisfied, [r("ACME-SEC:SEC-1"), r("SOC2:CC7.2"), r("ISO27001:A.8.16")]);
    // Added twice: the id is taken.
    let again = c.add_custom(f).map_err(|e| e.to_string());
    assert!(again.as_ref().is_err_and(|e| e.contains("already loaded")), "{again:?}");
}

#[test]
fn custom_frameworks_may_map_to_custom_frameworks_loaded_before() {
    let mut c = Catalog::builtin().unwrap_or_else(|e| panic!("{e}"));
    c.load_custom_yaml(GOOD, "acme.yml").unwrap_or_else(|e| panic!("{e}"));
    let child = "\
format: vigil-framework/1
id: ACME-CLOUD
name: Acme cloud addendum
controls:
  - id: CLD-1
    title: Cloud security events are monitored
    maps_to: [ACME-SEC:SEC-1]
";
    let f = c.load_custom_yaml(child, "cloud.yml").map(|f| f.id.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f, "ACME-CLOUD");
    // Transitively: CLD-1 → SEC-1 → SOC2:CC7.2, ISO27001:A.8.16.
    let satisfied = c.satisfied_by(&r("ACME-CLOUD:CLD-1"));
    assert_eq!(satisfied, [r("ACME-CLOUD:CLD-1"), r("ACME-SEC:SEC-1"), r("SOC2:CC7.2"), r("ISO27001:A.8.16")]);
    // The same file on its own does not know ACME-SEC.
    let alone = load(child).map_err(|e| e.to_string());
    assert!(alone.as_ref().is_err_and(|e| e.contains("unknown framework `ACME-SEC`")), "{alone:?}");
}

/// Loads `text`, expects an error, and checks its line, field and message.
fn expect_error(text: &str, line: usize, field: Option<&str>, message: &str) {
    let err = match load(text) {
        Ok(f) => panic!("loaded {} but expected: {message}", f.id),
        Err(e) => e,
    };
    let display = err.to_string();
    let ComplianceError::Yaml { file, line: got_line, column, field: got_field, message: got } = err else {
        panic!("not a YAML error: {display}");
    };
    assert_eq!(file, "frameworks/acme.yml");
    assert_eq!(got_line, Some(line), "{display}");
    assert!(column.is_some(), "{display}");
    assert_eq!(got_field.as_deref(), field, "{display}");
    assert!(got.contains(message), "{display} (wanted {message})");
    assert!(display.starts_with(&format!("frameworks/acme.yml:{line}:")), "{display}");
}

const HEAD: &str = "format: vigil-framework/1\nid: ACME-SEC\nname: Acme\ncontrols:\n";

#[test]
fn an_unknown_field_is_named() {
    let text = format!("{HEAD}  - id: SEC-1\n    title: Monitored\n    severity: high\n");
    expect_error(&text, 7, Some("controls[0]"), "unknown field `severity`");
    expect_error("format: vigil-framework/1\nid: ACME\nowner: me\n", 3, None, "unknown field `owner`");
}

#[test]
fn a_duplicate_control_id_is_named() {
    let text = format!(
        "{HEAD}  - id: SEC-1\n    title: One\n  - id: SEC-2\n    title: Two\n  - id: SEC-1\n    title: Three\n"
    );
    expect_error(&text, 9, Some("controls[2].id"), "duplicate control id `SEC-1` (already used by controls[0])");
}

#[test]
fn a_bad_maps_to_is_named() {
    let bad_control = format!("{HEAD}  - id: SEC-1\n    title: One\n    maps_to: [SOC2:CC7.2, SOC2:CC9.9]\n");
    expect_error(&bad_control, 7, Some("controls[0].maps_to[1]"), "`SOC2:CC9.9` is not a control of SOC2");
    let unparsable = format!("{HEAD}  - id: SEC-1\n    title: One\n    maps_to:\n      - CC7.2\n");
    expect_error(&unparsable, 8, Some("controls[0].maps_to[0]"), "bad control reference `CC7.2`");
    let unknown = format!("{HEAD}  - id: SEC-1\n    title: One\n    maps_to: [COBIT:APO12]\n");
    expect_error(&unknown, 7, Some("controls[0].maps_to[0]"), "unknown framework `COBIT`");
    let not_a_list = format!("{HEAD}  - id: SEC-1\n    title: One\n    maps_to: SOC2:CC7.2\n");
    expect_error(&not_a_list, 7, Some("controls[0].maps_to"), "invalid type");
}

#[test]
fn a_missing_or_empty_title_is_named() {
    let missing = format!("{HEAD}  - id: SEC-1\n    title: One\n  - id: SEC-2\n    soc_ops_relevant: true\n");
    expect_error(&missing, 7, Some("controls[1]"), "missing field `title`");
    let empty = format!("{HEAD}  - id: SEC-1\n    title: \"  \"\n");
    expect_error(&empty, 6, Some("controls[0].title"), "title must not be empty");
}

#[test]
fn a_syntax_error_is_located() {
    let colon = format!("{HEAD}  - id: SEC-1\n    title: monitored: yes\n");
    expect_error(&colon, 6, None, "mapping values are not allowed in this context");
    let quote = format!("{HEAD}  - id: SEC-1\n    title: \"unclosed\n");
    expect_error(&quote, 7, None, "while scanning a quoted scalar at line 6");
    let tab = "format: vigil-framework/1\nid: ACME\n\tname: x\n";
    expect_error(tab, 3, None, "tab character");
    expect_error("", 1, None, "missing field `format`");
    expect_error("- just\n- a list\n", 1, None, "invalid type: sequence");
    let wrong_type = format!("{HEAD}  - id: SEC-1\n    title: [a, b]\n");
    expect_error(&wrong_type, 6, Some("controls[0].title"), "invalid type: sequence, expected a title");
}

#[test]
fn framework_level_checks() {
    expect_error("format: vigil-framework/2\n", 1, Some("format"), "format must be `vigil-framework/1`");
    expect_error("format: vigil-framework/1\nid: soc2\n", 2, Some("id"), "clashes with the built-in framework SOC2");
    expect_error("format: vigil-framework/1\nid: PCI\n", 2, Some("id"), "clashes with the built-in framework PCI-DSS");
    expect_error("format: vigil-framework/1\nid: ACME SEC\n", 2, Some("id"), "contains ` `");
    expect_error("format: vigil-framework/1\nid: ACME\nname: \"\"\n", 3, Some("name"), "name must not be empty");
    expect_error(
        "format: vigil-framework/1\nid: ACME\nname: Acme\ncontrols: []\n",
        4,
        Some("controls"),
        "at least one",
    );
    expect_error("format: vigil-framework/1\nid: ACME\nname: Acme\n", 1, None, "missing field `controls`");
    expect_error(&format!("{HEAD}  - id: SEC 1\n    title: x\n"), 5, Some("controls[0].id"), "contains ' '");
    expect_error(
        &format!("{HEAD}  - id: SEC-1\n    title: x\n    soc_ops_relevant: maybe\n"),
        7,
        Some("controls[0].soc_ops_relevant"),
        "invalid type",
    );
    let twice = "format: vigil-framework/1\nid: ACME\nname: A\nname: B\n";
    let err = load(twice).map_err(|e| e.to_string());
    assert!(err.as_ref().is_err_and(|e| e.contains("name")), "{err:?}");
}

#[test]
fn add_custom_checks_programmatic_frameworks() {
    let mut c = Catalog::builtin().unwrap_or_else(|e| panic!("{e}"));
    let good = load(GOOD).unwrap_or_else(|e| panic!("{e}"));
    let with = |f: &dyn Fn(&mut Framework)| {
        let mut x = good.clone();
        f(&mut x);
        x
    };
    let cases: Vec<(Framework, &str)> = vec![
        (with(&|f| f.id = "iso".into()), "clashes with the built-in framework ISO27001"),
        (with(&|f| f.controls[1].id = "SEC-1".into()), "duplicate control id `SEC-1`"),
        (with(&|f| f.controls[1].title = " ".into()), "control SEC-2: title must not be empty"),
        (
            with(&|f| f.controls[0].maps_to.push(r("SOC2:CC9.9"))),
            "control SEC-1: maps_to: `SOC2:CC9.9` is not a control",
        ),
        (with(&|f| f.controls[0].maps_to.push(r("ACME-SEC:SEC-2"))), "unknown framework `ACME-SEC`"),
        (with(&|f| f.controls.clear()), "at least one control"),
    ];
    for (framework, want) in cases {
        let got = c.add_custom(framework).map_err(|e| e.to_string());
        assert!(got.as_ref().is_err_and(|e| e.contains(want)), "{got:?} (wanted {want})");
    }
    assert!(c.add_custom(good).is_ok());
}

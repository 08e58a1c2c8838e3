use super::*;

fn load(text: &str) -> RulePack {
    let mut p = RulePack::default();
    p.add_yaml("t.yml", text);
    p.finish();
    p
}

const GOOD: &str = r#"
title: Whoami
id: 11111111-1111-1111-1111-111111111111
status: stable
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\whoami.exe'
    condition: selection
level: medium
tags: [attack.discovery, attack.t1033]
"#;

fn only_rejection(p: &RulePack) -> &Rejection {
    assert_eq!(p.rejected.len(), 1, "{:?}", p.rejected);
    &p.rejected[0]
}

#[test]
fn a_good_rule_loads_with_its_metadata() {
    let p = load(GOOD);
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    assert_eq!(p.rules.len(), 1);
    let r = &p.rules[0];
    assert_eq!(r.info.id, "11111111-1111-1111-1111-111111111111");
    assert_eq!(r.info.level, Level::Medium);
    assert_eq!(r.info.status.as_deref(), Some("stable"));
    assert!(r.idle.is_none());
    assert_eq!(r.info.logsource, "product=windows category=process_creation");
}

#[test]
fn malformed_yaml_is_rejected_with_the_parser_reason() {
    let p = load("title: x\nlogsource: [unclosed\n");
    let r = only_rejection(&p);
    assert!(!r.reason.is_empty());
    assert_eq!(r.file, "t.yml");
}

#[test]
fn unknown_modifier_is_rejected_naming_it() {
    let p = load(&GOOD.replace("Image|endswith", "Image|frobnicate"));
    let r = only_rejection(&p);
    assert!(r.reason.contains("frobnicate"), "{}", r.reason);
    assert_eq!(r.rule_id.as_deref(), Some("11111111-1111-1111-1111-111111111111"));
}

#[test]
fn condition_naming_a_missing_selection_is_rejected() {
    let p = load(&GOOD.replace("condition: selection", "condition: selection and not filter"));
    let r = only_rejection(&p);
    assert!(r.reason.contains("filter"), "{}", r.reason);
}

#[test]
fn invalid_and_huge_regexes_are_rejected() {
    let p = load(&GOOD.replace("Image|endswith: '\\whoami.exe'", "Image|re: '(unclosed'"));
    assert!(only_rejection(&p).reason.to_lowercase().contains("regex"), "{}", only_rejection(&p).reason);
    let huge = format!("Image|re: '{}'", "a".repeat(MAX_REGEX_CHARS + 10));
    let p = load(&GOOD.replace("Image|endswith: '\\whoami.exe'", &huge));
    assert!(only_rejection(&p).reason.contains("regular expression"), "{}", only_rejection(&p).reason);
    // Nested counted repetition: small text, enormous automaton. The regex crate refuses it by
    // its size limit; either way it is a rejection, not a hang.
    let bomb = "Image|re: '((a{100}){100}){100}'";
    let p = load(&GOOD.replace("Image|endswith: '\\whoami.exe'", bomb));
    assert_eq!(p.rules.len() + p.rejected.len(), 1);
    assert!(p.rules.is_empty(), "a regex of 10^6 states must not load");
}

#[test]
fn deep_nesting_is_rejected_before_parsing() {
    let deep = format!(
        "title: x\nlogsource: {{product: windows}}\ndetection:\n  sel:\n    a: {}1{}\n  condition: sel\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let p = load(&deep);
    assert!(only_rejection(&p).reason.contains("nesting"), "{}", only_rejection(&p).reason);
    let cond = format!("{}sel{}", "(".repeat(500), ")".repeat(500));
    let p = load(&GOOD.replace("condition: selection", &format!("condition: {cond}")));
    assert!(only_rejection(&p).reason.contains("parentheses"), "{}", only_rejection(&p).reason);
    // Braces inside quoted values are values, not nesting.
    let p = load(&GOOD.replace("'\\whoami.exe'", "'${jndi:${lower:${upper:x}}}'"));
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
}

#[test]
fn too_many_values_are_rejected() {
    let list: String = (0..MAX_VALUES_PER_RULE + 1).map(|i| format!("\n            - 'v{i}'")).collect();
    let p = load(&GOOD.replace("Image|endswith: '\\whoami.exe'", &format!("Image|endswith:{list}")));
    assert!(only_rejection(&p).reason.contains("values"), "{}", only_rejection(&p).reason);
}

#[test]
fn windash_and_base64offset_expansions_stay_bounded() {
    let dashes = format!("CommandLine|windash|contains: '{}'", " -a".repeat(40));
    let p = load(&GOOD.replace("Image|endswith: '\\whoami.exe'", &dashes));
    assert_eq!(p.rules.len() + p.rejected.len(), 1, "loaded or rejected, never hung");
    let b64 = format!("CommandLine|base64offset|contains: '{}'", "x".repeat(3000));
    let p = load(&GOOD.replace("Image|endswith: '\\whoami.exe'", &b64));
    assert_eq!(p.rules.len() + p.rejected.len(), 1);
}

#[test]
fn empty_non_rule_and_binary_files_are_rejected() {
    assert!(!only_rejection(&load("")).reason.is_empty());
    assert_eq!(load("just: a mapping\n").rejected.len(), 1);
    assert_eq!(load("- a\n- list\n").rejected.len(), 1);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bin.yml"), [0xffu8, 0xfe, 0x00, 0x01]).unwrap();
    std::fs::write(dir.path().join("big.yml"), vec![b'#'; (MAX_RULE_FILE_BYTES + 1) as usize]).unwrap();
    std::fs::write(dir.path().join("good.yml"), GOOD).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a rule").unwrap();
    let p = RulePack::load(&[dir.path().to_path_buf()]);
    assert_eq!(p.rules.len(), 1);
    assert_eq!(p.files, 3, "only .yml/.yaml files are read from a directory");
    let reasons: Vec<&str> = p.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert!(reasons.iter().any(|r| r.contains("UTF-8")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("limit")), "{reasons:?}");
    let p = RulePack::load(&[dir.path().join("missing")]);
    assert!(only_rejection(&p).reason.contains("cannot read"));
}

#[test]
fn duplicate_ids_keep_the_first() {
    let mut p = RulePack::default();
    p.add_yaml("a.yml", GOOD);
    p.add_yaml("b.yml", &GOOD.replace("Whoami", "Whoami again"));
    p.finish();
    assert_eq!(p.rules.len(), 1);
    assert!(only_rejection(&p).reason.contains("a.yml"));
}

#[test]
fn correlations_need_their_rules_and_a_valid_timespan() {
    let corr = r#"
title: Many whoami
id: 22222222-2222-2222-2222-222222222222
correlation:
    type: event_count
    rules: [11111111-1111-1111-1111-111111111111]
    group-by: [Computer]
    timespan: 5m
    condition: {gte: 3}
level: high
"#;
    let mut p = RulePack::default();
    p.add_yaml("r.yml", GOOD);
    p.add_yaml("c.yml", corr);
    p.finish();
    assert_eq!((p.rules.len(), p.correlations.len()), (1, 1), "{:?}", p.rejected);
    assert_eq!(p.correlation_fields(), vec!["Computer"]);
    let p = load(corr);
    assert!(only_rejection(&p).reason.contains("not loaded"), "{}", only_rejection(&p).reason);
    let mut p = RulePack::default();
    p.add_yaml("r.yml", GOOD);
    p.add_yaml("c.yml", &corr.replace("timespan: 5m", "timespan: forever"));
    p.finish();
    assert_eq!(p.correlations.len(), 0);
    assert_eq!(p.rejected.len(), 1, "{:?}", p.rejected);
}

#[test]
fn rules_for_sources_vigil_cannot_read_are_idle_with_a_reason() {
    let p = load(&GOOD.replace("product: windows", "product: macos"));
    assert_eq!(p.rules.len(), 1);
    assert!(p.rules[0].idle.as_deref().unwrap().contains("macos"));
    assert_eq!(p.summary().idle, 1);
    assert_eq!(p.idle_reasons().len(), 1);
}

#[test]
fn builtin_rules_all_load() {
    let mut p = RulePack::default();
    crate::builtin::add_to(&mut p);
    p.finish();
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert!(p.rules.iter().all(|r| r.idle.is_none()));
    assert!(p.correlations.len() >= 5);
}

#[test]
fn exceptions_need_a_reason_and_an_owner_and_expire() {
    let ex = r#"
title: Backup host runs whoami
description: The nightly backup job calls whoami to log its identity
author: alice
expires: 2099-01-01
logsource: {product: windows}
filter:
    rules: [11111111-1111-1111-1111-111111111111]
    selection:
        Computer: BACKUP01
    condition: not selection
"#;
    let mut p = RulePack::default();
    let expired = crate::exceptions::add_exceptions(&mut p, "ex.yml", ex, "2026-11-26");
    assert!(expired.is_empty() && p.rejected.is_empty(), "{:?}", p.rejected);
    assert_eq!(p.filters.len(), 1);
    let mut p = RulePack::default();
    let expired =
        crate::exceptions::add_exceptions(&mut p, "ex.yml", &ex.replace("2099-01-01", "2020-01-01"), "2026-11-26");
    assert_eq!(expired.len(), 1);
    assert!(p.filters.is_empty());
    let mut p = RulePack::default();
    crate::exceptions::add_exceptions(&mut p, "ex.yml", &ex.replace("author: alice\n", ""), "2026-11-26");
    assert!(only_rejection(&p).reason.contains("author"));
    let mut p = RulePack::default();
    crate::exceptions::add_exceptions(&mut p, "ex.yml", &ex.replace("2099-01-01", "soon"), "2026-11-26");
    assert!(only_rejection(&p).reason.contains("YYYY-MM-DD"));
    let mut p = RulePack::default();
    crate::exceptions::add_exceptions(&mut p, "ex.yml", GOOD, "2026-11-26");
    assert!(only_rejection(&p).reason.contains("filter documents"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// A rule cut anywhere or with bytes changed is loaded or rejected with a reason: never a
    /// panic, never silence.
    #[test]
    fn mangled_rules_are_loaded_or_rejected(cut in 0usize..400, at in 0usize..400, b in proptest::prelude::any::<u8>()) {
        let mut text = GOOD.as_bytes().to_vec();
        let at = at.min(text.len().saturating_sub(1));
        text[at] = b;
        text.truncate(cut.min(text.len()));
        let text = String::from_utf8_lossy(&text).into_owned();
        let p = load(&text);
        proptest::prop_assert!(p.rules.len() + p.correlations.len() + p.filters.len() + p.rejected.len() >= 1);
        for r in &p.rejected {
            proptest::prop_assert!(!r.reason.is_empty());
        }
    }
}

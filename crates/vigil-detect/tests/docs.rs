//! DETECTIONS.md's table of built-in Sigma rules is `builtin::rules_markdown`'s output;
//! `VIGIL_DOCS_BLESS=1` rewrites it.

use std::path::PathBuf;

use vigil_detect::RulePack;
use vigil_detect::builtin::{add_to, rules_markdown};

const START: &str = "<!-- generated: vigil-detect builtin::rules_markdown; VIGIL_DOCS_BLESS=1 cargo test -p vigil-detect rewrites it -->";
const END: &str = "<!-- end generated -->";

/// The byte range between the line holding `start` and the next `end` marker.
fn generated_range(doc: &str, start: &str) -> Option<std::ops::Range<usize>> {
    let from = doc.find(start)? + start.len();
    let from = from + doc[from..].find('\n')? + 1;
    let to = from + doc[from..].find(END)?;
    Some(from..to)
}

#[test]
fn detections_md_sigma_table_is_generated() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../DETECTIONS.md");
    let doc = std::fs::read_to_string(&path).expect("DETECTIONS.md");
    let range = generated_range(&doc, START).expect("DETECTIONS.md has the Sigma table's markers");
    let expected = rules_markdown();
    if std::env::var_os("VIGIL_DOCS_BLESS").is_some() {
        let mut out = doc.clone();
        out.replace_range(range, &expected);
        if out != doc {
            std::fs::write(&path, out).expect("write DETECTIONS.md");
        }
        return;
    }
    assert!(
        doc[range] == expected,
        "DETECTIONS.md's built-in Sigma table is stale; rerun with VIGIL_DOCS_BLESS=1 cargo test -p vigil-detect"
    );
}

#[test]
fn every_builtin_rule_and_correlation_is_in_the_table() {
    let mut pack = RulePack::default();
    add_to(&mut pack);
    pack.finish();
    assert!(pack.rejected.is_empty(), "{:?}", pack.rejected);
    let table = rules_markdown();
    let infos = pack.rules.iter().map(|r| &r.info).chain(pack.correlations.iter().map(|c| &c.info));
    let mut n = 0;
    for info in infos {
        n += 1;
        assert_eq!(table.matches(&format!("| `{}` |", info.id)).count(), 1, "{}", info.id);
    }
    assert!(n > 0);
    assert_eq!(table.lines().count(), n + 2, "one row per rule and correlation");
}

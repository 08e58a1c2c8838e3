//! The tables the documents hold that the code can say are the code's output: RESPONSE.md's
//! connector actions and DETECTIONS.md's built-in Sigma and behavioral detections (METRICS.md
//! is checked by vigil-metrics the same way). A stale table fails here;
//! `VIGIL_DOCS_BLESS=1 cargo test -p vigil-app --test generated_docs` rewrites it.

use std::path::PathBuf;

const END: &str = "<!-- end generated -->";

/// Compares (or, blessing, rewrites) the block of `doc` between the marker line that starts
/// with `start` and the next end marker with `expected`.
fn check(doc: &str, start: &str, expected: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(doc);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{doc}: {e}"));
    let range = (|| {
        let from = text.find(start)?;
        let from = from + text[from..].find('\n')? + 1;
        let to = from + text[from..].find(END)?;
        Some(from..to)
    })()
    .unwrap_or_else(|| panic!("{doc} has no block marked {start:?}"));
    if std::env::var_os("VIGIL_DOCS_BLESS").is_some() {
        let mut out = text.clone();
        out.replace_range(range, expected);
        if out != text {
            std::fs::write(&path, out).unwrap_or_else(|e| panic!("{doc}: {e}"));
        }
        return;
    }
    assert!(
        text[range] == *expected,
        "{doc}'s block {start:?} is stale; rerun with VIGIL_DOCS_BLESS=1 cargo test -p vigil-app --test generated_docs"
    );
}

#[test]
fn response_md_connector_table_is_generated() {
    check("RESPONSE.md", "<!-- generated: vigil-connectors actions_markdown;", &vigil_connectors::actions_markdown());
}

#[test]
fn detections_md_sigma_table_is_generated() {
    check(
        "DETECTIONS.md",
        "<!-- generated: vigil-detect builtin::rules_markdown;",
        &vigil_detect::builtin::rules_markdown(),
    );
}

#[test]
fn detections_md_behavioral_table_is_generated() {
    check("DETECTIONS.md", "<!-- generated: vigil-behavior builtin_markdown;", &vigil_behavior::builtin_markdown());
}

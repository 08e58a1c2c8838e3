//! DETECTIONS.md's table of built-in behavioral detections is `builtin_markdown`'s output;
//! `VIGIL_DOCS_BLESS=1` rewrites it.

use std::path::PathBuf;

use vigil_behavior::{builtin, builtin_markdown};

const START: &str =
    "<!-- generated: vigil-behavior builtin_markdown; VIGIL_DOCS_BLESS=1 cargo test -p vigil-behavior rewrites it -->";
const END: &str = "<!-- end generated -->";

/// The byte range between the line holding `start` and the next `end` marker.
fn generated_range(doc: &str, start: &str) -> Option<std::ops::Range<usize>> {
    let from = doc.find(start)? + start.len();
    let from = from + doc[from..].find('\n')? + 1;
    let to = from + doc[from..].find(END)?;
    Some(from..to)
}

#[test]
fn detections_md_behavioral_table_is_generated() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../DETECTIONS.md");
    let doc = std::fs::read_to_string(&path).expect("DETECTIONS.md");
    let range = generated_range(&doc, START).expect("DETECTIONS.md has the behavioral table's markers");
    let expected = builtin_markdown();
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
        "DETECTIONS.md's built-in behavioral table is stale; rerun with VIGIL_DOCS_BLESS=1 cargo test -p vigil-behavior"
    );
}

#[test]
fn every_builtin_behavioral_detection_is_in_the_table() {
    let pack = builtin().expect("the built-in pack loads");
    let table = builtin_markdown();
    assert!(!pack.detections.is_empty());
    for d in &pack.detections {
        let row = format!("| `{}` | ", d.id);
        assert_eq!(table.matches(&row).count(), 1, "{}", d.id);
        assert!(table.contains(&format!("behavioral (`{}`)", d.kind.name())), "{}", d.id);
    }
    assert_eq!(table.lines().count(), pack.detections.len() + 2, "one row per detection");
}

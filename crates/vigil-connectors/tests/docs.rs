//! RESPONSE.md's connector table is `actions_markdown`'s output; `VIGIL_DOCS_BLESS=1` rewrites it.

use std::path::PathBuf;

const START: &str = "<!-- generated: vigil-connectors actions_markdown; VIGIL_DOCS_BLESS=1 cargo test -p vigil-connectors rewrites it -->";
const END: &str = "<!-- end generated -->";

/// The byte range between the line holding `start` and the next `end` marker.
fn generated_range(doc: &str, start: &str) -> Option<std::ops::Range<usize>> {
    let from = doc.find(start)? + start.len();
    let from = from + doc[from..].find('\n')? + 1;
    let to = from + doc[from..].find(END)?;
    Some(from..to)
}

#[test]
fn response_md_connector_table_is_generated() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../RESPONSE.md");
    let doc = std::fs::read_to_string(&path).expect("RESPONSE.md");
    let range = generated_range(&doc, START).expect("RESPONSE.md has the generated-table markers");
    let expected = vigil_connectors::actions_markdown();
    if std::env::var_os("VIGIL_DOCS_BLESS").is_some() {
        let mut out = doc.clone();
        out.replace_range(range, &expected);
        if out != doc {
            std::fs::write(&path, out).expect("write RESPONSE.md");
        }
        return;
    }
    assert!(
        doc[range] == expected,
        "RESPONSE.md's connector table is stale; rerun with VIGIL_DOCS_BLESS=1 cargo test -p vigil-connectors"
    );
}

#[test]
fn every_registered_action_is_in_the_table() {
    let table = vigil_connectors::actions_markdown();
    for (name, action) in vigil_connectors::registry() {
        let row = table.lines().find(|l| l.contains(&format!("`{name}`"))).unwrap_or_else(|| panic!("{name} missing"));
        assert!(row.contains(&format!("| {} |", action.class())), "{name}: class");
        assert!(row.contains(action.api()), "{name}: API");
    }
}

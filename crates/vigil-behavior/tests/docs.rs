//! Every built-in behavioral detection has one row in DETECTIONS.md's generated table (whose
//! text is checked against the document in vigil-app's `generated_docs` test).

use vigil_behavior::{builtin, builtin_markdown};

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

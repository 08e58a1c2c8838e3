//! Every built-in Sigma rule and correlation has one row in DETECTIONS.md's generated table
//! (whose text is checked against the document in vigil-app's `generated_docs` test).

use vigil_detect::RulePack;
use vigil_detect::builtin::{add_to, rules_markdown};

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

//! Every registered action has its row in RESPONSE.md's generated table (whose text is checked
//! against the document in vigil-app's `generated_docs` test).

#[test]
fn every_registered_action_is_in_the_table() {
    let table = vigil_connectors::actions_markdown();
    for (name, action) in vigil_connectors::registry() {
        let row = table.lines().find(|l| l.contains(&format!("`{name}`"))).unwrap_or_else(|| panic!("{name} missing"));
        assert!(row.contains(&format!("| {} |", action.class())), "{name}: class");
        assert!(row.contains(action.api()), "{name}: API");
    }
}

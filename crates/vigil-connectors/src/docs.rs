//! RESPONSE.md's connector table, generated from the actions themselves.

use crate::{ActionClass, actions};

/// One row: the actions it names, how they are joined, and what they share.
struct Row {
    names: Vec<&'static str>,
    pair: bool,
    class: ActionClass,
    api: &'static str,
}

/// The `| action | class | API |` table of every action, in vendor order. An action and its
/// inverse share a row (`a` / `b`) when each names the other and they have the same class and
/// API; consecutive actions without an inverse that share class and API share a row too
/// (`a`, `b`). Ends with a newline.
pub fn actions_markdown() -> String {
    let all = actions::all();
    let find = |name: &str| all.iter().find(|a| a.name() == name);
    let mut placed: Vec<&'static str> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    for a in &all {
        if placed.contains(&a.name()) {
            continue;
        }
        placed.push(a.name());
        let partner = a.inverse().and_then(&find).filter(|b| {
            b.inverse() == Some(a.name()) && b.class() == a.class() && b.api() == a.api() && !placed.contains(&b.name())
        });
        if let Some(b) = partner {
            placed.push(b.name());
            rows.push(Row { names: vec![a.name(), b.name()], pair: true, class: a.class(), api: a.api() });
            continue;
        }
        match rows.last_mut() {
            Some(last) if a.inverse().is_none() && !last.pair && last.class == a.class() && last.api == a.api() => {
                last.names.push(a.name())
            }
            _ => rows.push(Row { names: vec![a.name()], pair: a.inverse().is_some(), class: a.class(), api: a.api() }),
        }
    }
    let mut out = String::from("| action | class | API |\n|---|---|---|\n");
    for row in rows {
        let names: Vec<String> = row.names.iter().map(|n| format!("`{n}`")).collect();
        let names = names.join(if row.pair { " / " } else { ", " });
        out.push_str(&format!("| {names} | {} | {} |\n", row.class, row.api.replace('|', "\\|")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_in_the_table_once() {
        let table = actions_markdown();
        for a in actions::all() {
            assert_eq!(table.matches(&format!("`{}`", a.name())).count(), 1, "{}", a.name());
            assert!(!a.api().trim().is_empty(), "{} has no API text", a.name());
        }
    }
}

//! The repository explains itself: no document or comment sends a reader to a file outside it.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if p.is_dir() {
            files(&p, out);
        } else if name.ends_with(".md") || name.ends_with(".rs") || name.ends_with(".sh") || name.ends_with(".toml") {
            out.push(p);
        }
    }
}

#[test]
fn no_document_or_comment_points_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(all.len() > 100, "the repository's files are found ({})", all.len());
    // Built from parts so this file does not match itself.
    let outside = [["PRODUCT", ".md"].concat(), ["../", "shared"].concat(), ["product", " brief"].concat()];
    let mut found = Vec::new();
    for f in &all {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        for (n, line) in text.lines().enumerate() {
            if outside.iter().any(|o| line.contains(o.as_str())) {
                found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "references to files outside the repository:\n{}", found.join("\n"));
}

//! The data directory: where one Vigil keeps its lake and its state, and the store it hands out.

use std::path::{Path, PathBuf};

use crate::{Result, SqliteStore, StateStore, StoreError};

/// Where Vigil keeps everything: `lake/` (Parquet), `state.db` (the embedded state store),
/// `vault/`, `keys/` and `spool/`.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }
    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn lake(&self) -> PathBuf {
        self.root.join("lake")
    }
    pub fn state_db(&self) -> PathBuf {
        self.root.join("state.db")
    }
    /// Whether the directory holds a state store already (a mistyped path does not).
    pub fn has_store(&self) -> bool {
        self.state_db().exists()
    }
    /// Creates the directory and opens the embedded state store.
    pub fn open_store(&self) -> Result<SqliteStore> {
        std::fs::create_dir_all(&self.root)
            .map_err(|e| StoreError::Open { path: self.root.display().to_string(), message: e.to_string() })?;
        SqliteStore::open(&self.state_db())
    }
    /// The state store behind its trait, for callers that need nothing of the implementation.
    pub fn store(&self) -> Result<Box<dyn StateStore + Send>> {
        Ok(Box::new(self.open_store()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_a_store_and_says_where_a_bad_directory_is() {
        let dir = tempfile::tempdir().unwrap();
        let d = DataDir::new(dir.path().join("a"));
        assert!(!d.has_store());
        let s = d.store().unwrap();
        assert_eq!(s.event_count().unwrap(), 0);
        assert!(d.has_store());
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let e = DataDir::new(file.join("below")).open_store().err().unwrap().to_string();
        assert!(e.contains("below"), "{e}");
    }
}

//! Errors for proofs and checkpoints.

use thiserror::Error;

/// Why a proof could not be produced or did not verify, or why a checkpoint was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is out of range for a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    /// A tree size asks for more leaves than the log holds.
    #[error("tree size {size} is larger than the log ({len} leaves)")]
    SizeBeyondLog { size: u64, len: u64 },
    /// A consistency check was asked from a larger tree to a smaller one.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldSizeLargerThanNew { old_size: u64, new_size: u64 },
    /// The proof does not have the number of hashes the sizes call for.
    #[error("wrong proof length: expected {expected} hashes, got {actual}")]
    WrongProofLength { expected: usize, actual: usize },
    /// The root recomputed from the proof is not the root given.
    #[error("{which} root mismatch: computed {computed}, expected {expected}")]
    RootMismatch {
        /// `"tree"`, `"old"` or `"new"`.
        which: &'static str,
        computed: String,
        expected: String,
    },
    /// Some input (hex, key, signature, root) is not well formed.
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    /// The checkpoint names a different key than the one given to verify it.
    #[error("key id mismatch: checkpoint names {in_checkpoint}, key is {of_key}")]
    KeyIdMismatch { in_checkpoint: String, of_key: String },
    /// The signature does not verify over the checkpoint body with this key.
    #[error("checkpoint signature does not verify")]
    BadSignature,
}

//! Tamper-evident log primitives for Vigil's evidence vault and audit log.
//!
//! * [`canonical_json`]: RFC 8785 JSON Canonicalization Scheme, so a JSON entry hashes the
//!   same wherever it is serialized.
//! * [`leaf_hash`], [`node_hash`], [`tree_head`]: RFC 6962 Merkle tree hashing.
//! * [`MerkleLog`]: an in-memory, append-only list of leaf hashes that produces roots,
//!   inclusion proofs and consistency proofs.
//! * [`Frontier`]: the perfect-subtree roots of a log (RFC 6962 compact range), enough to
//!   append and produce the tree head in O(log n) without the leaves; stored by the ledger so
//!   the head never needs the whole log.
//! * [`verify_inclusion`], [`verify_consistency`]: offline verifiers following the iterative
//!   algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2; they need nothing but the data.
//! * [`packet`]: incident packets (zip, manifest, `SHA256SUMS`, signature, proofs) and
//!   their offline verifier.
//! * [`Checkpoint`], [`SignedCheckpoint`], [`SigningKey`], [`verify_checkpoint`]: Ed25519
//!   signed tree heads.
//!
//! Must not: store anything, read the clock, or decide what is evidence — callers pass
//! entries and times in, and persist what comes out.

mod canonical;
mod checkpoint;
mod error;
mod frontier;
mod merkle;
pub mod packet;

pub use canonical::{CanonicalError, canonical_json, format_number};
pub use checkpoint::{Checkpoint, SignedCheckpoint, SigningKey, key_fingerprint, key_id, verify_checkpoint};
pub use error::ProofError;
pub use frontier::Frontier;
pub use merkle::{EMPTY_ROOT, Hash, MerkleLog, leaf_hash, node_hash, tree_head, verify_consistency, verify_inclusion};

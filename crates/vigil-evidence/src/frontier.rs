//! The Merkle frontier (RFC 6962 "compact range" of `[0, size)`): the roots of the perfect
//! subtrees a log of `size` leaves decomposes into, largest first. It is all a log needs to keep
//! to append a leaf and produce its tree head in O(log n) time and space, without the leaves.

use crate::error::ProofError;
use crate::merkle::{EMPTY_ROOT, Hash, leaf_hash, node_hash};

/// The perfect-subtree roots of a log of `size` leaves: one per set bit of `size`, the
/// leftmost (largest) first. `nodes.len() == size.count_ones()` always holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// A frontier from stored parts; fails unless there is one node per set bit of `size`.
    pub fn from_parts(size: u64, nodes: Vec<Hash>) -> Result<Self, ProofError> {
        if nodes.len() != size.count_ones() as usize {
            return Err(ProofError::Malformed {
                what: "frontier",
                reason: format!("a log of {size} leaves has {} subtree roots, got {}", size.count_ones(), nodes.len()),
            });
        }
        Ok(Self { size, nodes })
    }

    /// A frontier from stored bytes: the nodes' 32-byte hashes concatenated, largest first.
    pub fn from_bytes(size: u64, bytes: &[u8]) -> Result<Self, ProofError> {
        if !bytes.len().is_multiple_of(32) {
            return Err(ProofError::Malformed {
                what: "frontier",
                reason: format!("{} bytes is not a whole number of 32-byte hashes", bytes.len()),
            });
        }
        let nodes = bytes
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                h
            })
            .collect();
        Self::from_parts(size, nodes)
    }

    /// The nodes' hashes concatenated, largest subtree first (what [`Frontier::from_bytes`] reads).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.nodes.concat()
    }

    /// Number of leaves the frontier covers.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect-subtree roots, largest first.
    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }

    /// Appends an entry (hashed with [`leaf_hash`]).
    pub fn append(&mut self, data: &[u8]) {
        self.append_leaf_hash(leaf_hash(data));
    }

    /// Appends an already-computed leaf hash: O(log n).
    pub fn append_leaf_hash(&mut self, leaf: Hash) {
        let mut node = leaf;
        // Each trailing one bit of the old size is a perfect subtree of the same height as the
        // one being carried: merge them, as binary addition carries.
        let mut carry = self.size;
        while carry & 1 == 1 {
            // The invariant nodes.len() == size.count_ones() guarantees a node per one bit.
            let left = self.nodes.pop().unwrap_or(EMPTY_ROOT);
            node = node_hash(&left, &node);
            carry >>= 1;
        }
        self.nodes.push(node);
        self.size += 1;
    }

    /// The Merkle Tree Hash (RFC 6962 §2.1) of the log: the subtree roots folded right to left.
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        let Some(last) = it.next() else { return EMPTY_ROOT };
        it.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{MerkleLog, tree_head};
    use proptest::prelude::*;

    fn leaf(i: u64, salt: u8) -> Vec<u8> {
        let mut v = i.to_be_bytes().to_vec();
        v.push(salt);
        v
    }

    #[test]
    fn small_sizes_match_the_reference() {
        let mut f = Frontier::new();
        let mut log = MerkleLog::new();
        assert_eq!(f.root(), EMPTY_ROOT);
        for i in 0..300u64 {
            f.append(&leaf(i, 0));
            log.append(&leaf(i, 0));
            assert_eq!(f.size(), log.len());
            assert_eq!(f.nodes().len(), f.size().count_ones() as usize);
            assert_eq!(f.root(), log.root(), "size {}", i + 1);
            let back = Frontier::from_bytes(f.size(), &f.to_bytes()).unwrap();
            assert_eq!(back, f);
        }
    }

    #[test]
    fn malformed_stored_frontiers_are_refused() {
        assert!(Frontier::from_bytes(3, &[0u8; 32]).is_err(), "3 leaves need two subtree roots");
        assert!(Frontier::from_bytes(1, &[0u8; 31]).is_err());
        assert!(Frontier::from_parts(0, vec![[0u8; 32]]).is_err());
        assert_eq!(Frontier::from_bytes(0, &[]).unwrap().root(), EMPTY_ROOT);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// The stored frontier yields the same root as a full recomputation, for any size, any
        /// leaves, and after any split into "stored, reloaded, then extended" steps.
        #[test]
        fn frontier_root_equals_full_recomputation(size in 0u64..1500, cut in 0u64..1500, salt: u8) {
            let cut = cut.min(size);
            let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(&leaf(i, salt))).collect();
            let mut f = Frontier::new();
            for l in &leaves[..cut as usize] {
                f.append_leaf_hash(*l);
            }
            prop_assert_eq!(f.root(), tree_head(&leaves[..cut as usize]));
            // Persist and reload, as the store does, then extend.
            let mut f = Frontier::from_bytes(f.size(), &f.to_bytes()).unwrap();
            for l in &leaves[cut as usize..] {
                f.append_leaf_hash(*l);
            }
            prop_assert_eq!(f.size(), size);
            prop_assert_eq!(f.root(), tree_head(&leaves));
            prop_assert_eq!(f.root(), MerkleLog::from_leaf_hashes(leaves.clone()).root());
        }

        /// A frontier keeps one node per set bit of its size, whatever the size.
        #[test]
        fn node_count_tracks_the_set_bits(size in 0u64..5000) {
            let mut f = Frontier::new();
            for i in 0..size {
                f.append(&leaf(i, 1));
            }
            prop_assert_eq!(f.nodes().len(), size.count_ones() as usize);
        }
    }
}

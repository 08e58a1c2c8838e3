//! RFC 6962 Merkle tree hashing, an in-memory append-only log, and the RFC 9162 verifiers.

use sha2::{Digest, Sha256};

use crate::error::ProofError;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of the empty string.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41,
    0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The Merkle Tree Hash (RFC 6962 §2.1) of a list of leaf hashes.
pub fn tree_head(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => EMPTY_ROOT,
        1 => leaves[0],
        n => {
            let k = split_point(n);
            node_hash(&tree_head(&leaves[..k]), &tree_head(&leaves[k..]))
        }
    }
}

/// The largest power of two smaller than `n` (`n >= 2`).
fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    1usize << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// RFC 6962 §2.1.1 PATH(m, D[n]).
fn path(m: usize, leaves: &[Hash], out: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split_point(n);
    if m < k {
        path(m, &leaves[..k], out);
        out.push(tree_head(&leaves[k..]));
    } else {
        path(m - k, &leaves[k..], out);
        out.push(tree_head(&leaves[..k]));
    }
}

/// RFC 6962 §2.1.2 SUBPROOF(m, D[n], b).
fn subproof(m: usize, leaves: &[Hash], complete: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            out.push(tree_head(leaves));
        }
        return;
    }
    let k = split_point(n);
    if m <= k {
        subproof(m, &leaves[..k], complete, out);
        out.push(tree_head(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(tree_head(&leaves[..k]));
    }
}

/// An in-memory, append-only Merkle log of leaf hashes.
///
/// Roots are recomputed on each call (O(n)); this type is the reference the persistent
/// vault is checked against, not a performance structure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MerkleLog {
    leaves: Vec<Hash>,
}

impl MerkleLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// A log over already-computed leaf hashes (for instance, reloaded from storage).
    pub fn from_leaf_hashes(leaves: Vec<Hash>) -> Self {
        Self { leaves }
    }

    /// Append an entry: stores `leaf_hash(data)` and returns the entry's index.
    pub fn append(&mut self, data: &[u8]) -> u64 {
        self.append_leaf_hash(leaf_hash(data))
    }

    /// Append an already-computed leaf hash and return its index.
    pub fn append_leaf_hash(&mut self, hash: Hash) -> u64 {
        self.leaves.push(hash);
        (self.leaves.len() - 1) as u64
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// Whether the log has no leaves.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// The leaf hashes, in order.
    pub fn leaf_hashes(&self) -> &[Hash] {
        &self.leaves
    }

    /// The root of the whole log.
    pub fn root(&self) -> Hash {
        tree_head(&self.leaves)
    }

    /// The root of the first `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        Ok(tree_head(self.prefix(size)?))
    }

    /// The audit path (RFC 6962 §2.1.1) for leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        let leaves = self.prefix(size)?;
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let mut out = Vec::new();
        path(index as usize, leaves, &mut out);
        Ok(out)
    }

    /// The consistency proof (RFC 6962 §2.1.2) between the trees of the first `old_size`
    /// and first `new_size` leaves. Empty when `old_size` is 0 or equals `new_size`.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, ProofError> {
        let leaves = self.prefix(new_size)?;
        if old_size > new_size {
            return Err(ProofError::OldSizeLargerThanNew { old_size, new_size });
        }
        let mut out = Vec::new();
        if old_size > 0 && old_size < new_size {
            subproof(old_size as usize, leaves, true, &mut out);
        }
        Ok(out)
    }

    fn prefix(&self, size: u64) -> Result<&[Hash], ProofError> {
        let len = self.len();
        if size > len {
            return Err(ProofError::SizeBeyondLog { size, len });
        }
        Ok(&self.leaves[..size as usize])
    }
}

fn bit_len(x: u64) -> u32 {
    u64::BITS - x.leading_zeros()
}

/// Expected inclusion proof length for `index < size`.
fn inclusion_len(index: u64, size: u64) -> usize {
    let inner = bit_len(index ^ (size - 1));
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// Expected consistency proof length for `0 < old < new`.
fn consistency_len(old: u64, new: u64) -> usize {
    let level = old.trailing_zeros();
    let index = (old - 1) >> level;
    let last = (new - 1) >> level;
    let inner = bit_len(index ^ last);
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border + u32::from(index != 0)) as usize
}

fn mismatch(which: &'static str, computed: &Hash, expected: &Hash) -> ProofError {
    ProofError::RootMismatch { which, computed: hex::encode(computed), expected: hex::encode(expected) }
}

/// Verify that `leaf_hash` is the leaf at `index` of the tree of `size` leaves with `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_len(index, size);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength { expected, actual: proof.len() });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongProofLength { expected, actual: proof.len() });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongProofLength { expected, actual: proof.len() });
    }
    if r != *root {
        return Err(mismatch("tree", &r, root));
    }
    Ok(())
}

/// Verify that the tree of `new_size` leaves with `new_root` extends the tree of `old_size`
/// leaves with `old_root` (RFC 9162 §2.1.4.2). The empty tree is consistent with every tree.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::OldSizeLargerThanNew { old_size, new_size });
    }
    if old_size == new_size || old_size == 0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength { expected: 0, actual: proof.len() });
        }
        if old_size == 0 && old_root != &EMPTY_ROOT {
            return Err(mismatch("old", &EMPTY_ROOT, old_root));
        }
        if old_size == new_size && old_root != new_root {
            return Err(mismatch("new", old_root, new_root));
        }
        return Ok(());
    }
    let expected = consistency_len(old_size, new_size);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength { expected, actual: proof.len() });
    }
    let wrong_len = || ProofError::WrongProofLength { expected, actual: proof.len() };
    // Step 2: if old_size is a power of two, old_root is the first node of the path.
    let (first, rest): (Hash, &[Hash]) = if old_size.is_power_of_two() {
        (*old_root, proof)
    } else {
        match proof.split_first() {
            Some((f, rest)) => (*f, rest),
            None => return Err(wrong_len()),
        }
    };
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (first, first);
    for c in rest {
        if snode == 0 {
            return Err(wrong_len());
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(wrong_len());
    }
    if fr != *old_root {
        return Err(mismatch("old", &fr, old_root));
    }
    if sr != *new_root {
        return Err(mismatch("new", &sr, new_root));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Leaves of the 8-leaf tree in Certificate Transparency's `merkle_tree_test.cc`.
    const CT_LEAVES: [&str; 8] =
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
    const CT_ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn h(s: &str) -> Hash {
        let v = hex::decode(s).expect("test hex");
        v.try_into().expect("32 bytes")
    }

    fn hs(v: &[&str]) -> Vec<Hash> {
        v.iter().map(|s| h(s)).collect()
    }

    fn ct_log() -> MerkleLog {
        let mut log = MerkleLog::new();
        for (i, leaf) in CT_LEAVES.iter().enumerate() {
            let idx = log.append(&hex::decode(leaf).expect("test hex"));
            assert_eq!(idx, i as u64);
        }
        log
    }

    #[test]
    fn empty_tree_root() {
        assert_eq!(MerkleLog::new().root(), h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        assert_eq!(tree_head(&[]), EMPTY_ROOT);
    }

    #[test]
    fn ct_roots_for_every_size() {
        let log = ct_log();
        assert_eq!(log.len(), 8);
        for (i, want) in CT_ROOTS.iter().enumerate() {
            let size = i as u64 + 1;
            assert_eq!(log.root_at(size).unwrap(), h(want), "size {size}");
            let prefix = MerkleLog::from_leaf_hashes(log.leaf_hashes()[..=i].to_vec());
            assert_eq!(prefix.root(), h(want), "size {size}");
        }
        assert_eq!(log.root(), h(CT_ROOTS[7]));
        assert_eq!(log.root_at(0).unwrap(), EMPTY_ROOT);
        assert!(matches!(log.root_at(9), Err(ProofError::SizeBeyondLog { size: 9, len: 8 })));
    }

    #[test]
    fn ct_inclusion_vectors() {
        let log = ct_log();
        let want = hs(&[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]);
        assert_eq!(log.inclusion_proof(0, 8).unwrap(), want);
        let leaf0 = leaf_hash(&[]);
        verify_inclusion(&leaf0, 0, 8, &want, &h(CT_ROOTS[7])).unwrap();
        // Other vectors from merkle_tree_test.cc (which numbers leaves from 1).
        let cases: [(u64, u64, &[&str]); 4] = [
            (0, 1, &[]),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (index, size, path) in cases {
            let want = hs(path);
            assert_eq!(log.inclusion_proof(index, size).unwrap(), want, "{index}/{size}");
            let leaf = log.leaf_hashes()[index as usize];
            verify_inclusion(&leaf, index, size, &want, &log.root_at(size).unwrap()).unwrap();
        }
    }

    #[test]
    fn ct_consistency_vectors() {
        let log = ct_log();
        let cases: [(u64, u64, &[&str]); 3] = [
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (old, new, proof) in cases {
            let want = hs(proof);
            assert_eq!(log.consistency_proof(old, new).unwrap(), want, "{old}->{new}");
            verify_consistency(old, new, &log.root_at(old).unwrap(), &log.root_at(new).unwrap(), &want).unwrap();
        }
    }

    #[test]
    fn edge_cases_are_errors_not_panics() {
        let log = ct_log();
        let root = log.root();
        let leaf = log.leaf_hashes()[0];
        assert!(matches!(log.inclusion_proof(8, 8), Err(ProofError::IndexOutOfRange { index: 8, size: 8 })));
        assert!(matches!(log.inclusion_proof(0, 9), Err(ProofError::SizeBeyondLog { .. })));
        assert!(matches!(log.consistency_proof(5, 3), Err(ProofError::OldSizeLargerThanNew { .. })));
        assert!(matches!(verify_inclusion(&leaf, 0, 0, &[], &root), Err(ProofError::IndexOutOfRange { .. })));
        assert!(matches!(
            verify_inclusion(&leaf, u64::MAX, u64::MAX, &[], &root),
            Err(ProofError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            verify_inclusion(&leaf, 0, u64::MAX, &[], &root),
            Err(ProofError::WrongProofLength { expected: 64, .. })
        ));
        assert!(matches!(
            verify_inclusion(&leaf, 0, 8, &[root], &root),
            Err(ProofError::WrongProofLength { expected: 3, actual: 1 })
        ));
        assert!(matches!(verify_consistency(5, 3, &root, &root, &[]), Err(ProofError::OldSizeLargerThanNew { .. })));
        assert!(matches!(verify_consistency(3, 5, &root, &root, &[]), Err(ProofError::WrongProofLength { .. })));
        assert!(matches!(
            verify_consistency(u64::MAX - 1, u64::MAX, &root, &root, &[root; 3]),
            Err(ProofError::WrongProofLength { .. })
        ));
        // Equal sizes: empty proof, equal roots.
        verify_consistency(8, 8, &root, &root, &[]).unwrap();
        assert!(verify_consistency(8, 8, &root, &EMPTY_ROOT, &[]).is_err());
        assert!(verify_consistency(8, 8, &root, &root, &[root]).is_err());
        // The empty tree is consistent with any tree.
        assert_eq!(log.consistency_proof(0, 8).unwrap(), Vec::<Hash>::new());
        verify_consistency(0, 8, &EMPTY_ROOT, &root, &[]).unwrap();
        assert!(verify_consistency(0, 8, &root, &root, &[]).is_err());
        // Single-leaf tree.
        verify_inclusion(&leaf, 0, 1, &[], &leaf).unwrap();
    }

    fn log_of(size: usize, salt: u8) -> MerkleLog {
        let mut log = MerkleLog::new();
        for i in 0..size {
            let mut data = (i as u64).to_le_bytes().to_vec();
            data.push(salt);
            log.append(&data);
        }
        log
    }

    fn flip(mut hash: Hash, bit: usize) -> Hash {
        hash[(bit / 8) % 32] ^= 1 << (bit % 8);
        hash
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn inclusion_proofs_verify_and_detect_tampering(
            size in 1usize..300,
            index_seed in any::<u64>(),
            bit in 0usize..256,
            which in any::<u64>(),
        ) {
            let log = log_of(size, 0);
            let size = size as u64;
            let index = index_seed % size;
            let root = log.root();
            let leaf = log.leaf_hashes()[index as usize];
            let proof = log.inclusion_proof(index, size).unwrap();
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_ok());

            prop_assert!(verify_inclusion(&flip(leaf, bit), index, size, &proof, &root).is_err());
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &flip(root, bit)).is_err());
            let other_index = index ^ (1 << (which % 10));
            prop_assert!(verify_inclusion(&leaf, other_index, size, &proof, &root).is_err());
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let i = (which as usize) % bad.len();
                bad[i] = flip(bad[i], bit);
                prop_assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
                let mut short = proof.clone();
                short.pop();
                prop_assert!(verify_inclusion(&leaf, index, size, &short, &root).is_err());
            }
            let mut long = proof.clone();
            long.push(root);
            prop_assert!(verify_inclusion(&leaf, index, size, &long, &root).is_err());
        }

        #[test]
        fn consistency_proofs_verify_and_detect_tampering(
            new_size in 1usize..300,
            old_seed in any::<u64>(),
            bit in 0usize..256,
            which in any::<u64>(),
        ) {
            let log = log_of(new_size, 0);
            let new = new_size as u64;
            let old = 1 + old_seed % new;
            let old_root = log.root_at(old).unwrap();
            let new_root = log.root();
            let proof = log.consistency_proof(old, new).unwrap();
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &proof).is_ok());

            prop_assert!(
                verify_consistency(old, new, &flip(old_root, bit), &new_root, &proof).is_err()
            );
            prop_assert!(
                verify_consistency(old, new, &old_root, &flip(new_root, bit), &proof).is_err()
            );
            if !proof.is_empty() {
                let i = (which as usize) % proof.len();
                let mut bad = proof.clone();
                bad[i] = flip(bad[i], bit);
                prop_assert!(verify_consistency(old, new, &old_root, &new_root, &bad).is_err());
                let mut dropped = proof.clone();
                dropped.remove(i);
                prop_assert!(
                    verify_consistency(old, new, &old_root, &new_root, &dropped).is_err()
                );
            }
            if proof.len() >= 2 {
                let i = (which as usize) % (proof.len() - 1);
                let mut swapped = proof.clone();
                swapped.swap(i, i + 1);
                prop_assert!(
                    verify_consistency(old, new, &old_root, &new_root, &swapped).is_err()
                );
            }
            if old < new {
                // Claiming a different old size with the same proof and roots must fail.
                prop_assert!(
                    verify_consistency(old + 1, new, &old_root, &new_root, &proof).is_err()
                );
                if old > 1 {
                    prop_assert!(
                        verify_consistency(old - 1, new, &old_root, &new_root, &proof).is_err()
                    );
                }
            }
            prop_assert!(
                verify_consistency(new + 1, new, &old_root, &new_root, &proof).is_err()
            );
        }

        #[test]
        fn forked_log_is_detected(
            size in 2usize..300,
            fork_seed in any::<u64>(),
            old_seed in any::<u64>(),
        ) {
            let original = log_of(size, 0);
            let fork_at = (fork_seed % size as u64) as usize;
            let mut leaves = original.leaf_hashes().to_vec();
            leaves[fork_at] = leaf_hash(b"forged entry");
            let forked = MerkleLog::from_leaf_hashes(leaves);
            let new = size as u64;
            prop_assert_ne!(original.root(), forked.root());

            // An old checkpoint that already covered the forked leaf.
            let old = fork_at as u64 + 1 + old_seed % (new - fork_at as u64);
            let old_root = original.root_at(old).unwrap();
            if old < new {
                let proof = forked.consistency_proof(old, new).unwrap();
                prop_assert!(
                    verify_consistency(old, new, &old_root, &forked.root(), &proof).is_err()
                );
                let honest = original.consistency_proof(old, new).unwrap();
                prop_assert!(
                    verify_consistency(old, new, &old_root, &forked.root(), &honest).is_err()
                );
            } else {
                prop_assert!(
                    verify_consistency(old, new, &old_root, &forked.root(), &[]).is_err()
                );
            }
            // The forked leaf is not provably included in the original tree.
            let proof = forked.inclusion_proof(fork_at as u64, new).unwrap();
            prop_assert!(verify_inclusion(
                &forked.leaf_hashes()[fork_at], fork_at as u64, new, &proof, &original.root()
            ).is_err());
        }
    }
}

//! Ed25519-signed checkpoints (signed tree heads).

use std::fmt;

use ed25519_dalek::{Signature, Signer, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ProofError;
use crate::merkle::Hash;

/// First line of every signed body: names the format so a signature over a checkpoint can
/// never be mistaken for a signature over anything else.
const BODY_HEADER: &str = "vigil-evidence checkpoint v1";

/// A statement that the log named `origin` had `size` leaves with root `root_hex` at
/// `time_ms` (milliseconds since the Unix epoch, supplied by the caller).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    /// Lowercase hex of the 32-byte tree root.
    pub root_hex: String,
    pub time_ms: i64,
}

impl Checkpoint {
    /// A checkpoint over a root given as bytes.
    pub fn new(origin: impl Into<String>, size: u64, root: &Hash, time_ms: i64) -> Self {
        Self { origin: origin.into(), size, root_hex: hex::encode(root), time_ms }
    }

    /// The root as bytes; fails unless `root_hex` is exactly 64 lowercase hex digits.
    pub fn root(&self) -> Result<Hash, ProofError> {
        parse_lower_hex::<32>(&self.root_hex, "root")
    }

    /// The exact text that is signed: a header line then one `name: value` line per field,
    /// each ending in `\n`. Free-text fields escape `\`, newline and carriage return, so
    /// distinct checkpoints always give distinct bodies.
    pub fn signed_note_body(&self) -> String {
        format!(
            "{BODY_HEADER}\norigin: {}\nsize: {}\nroot: {}\ntime_ms: {}\n",
            escape_line(&self.origin),
            self.size,
            escape_line(&self.root_hex),
            self.time_ms
        )
    }
}

fn escape_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// A checkpoint with an Ed25519 signature over its [`Checkpoint::signed_note_body`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    /// [`key_id`] of the signing key's public half.
    pub key_id: String,
    /// Lowercase hex of the 64-byte signature.
    pub signature_hex: String,
}

/// The key id of a public key: hex of the first 8 bytes of SHA-256 of its 32 bytes.
pub fn key_id(public_key: &[u8; 32]) -> String {
    let digest = Sha256::digest(public_key);
    hex::encode(&digest[..8])
}

/// The fingerprint of a public key: lowercase hex of SHA-256 of its 32 bytes (64 digits).
/// Its first 16 digits are the [`key_id`]; pin the whole fingerprint, not the id, since 64
/// bits are within reach of a search for a colliding key.
pub fn key_fingerprint(public_key: &[u8; 32]) -> String {
    hex::encode(Sha256::digest(public_key))
}

/// An Ed25519 signing key (32-byte seed). `Debug` does not print the secret.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("key_id", &self.key_id()).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        Self(ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng))
    }

    pub(crate) fn inner(&self) -> &ed25519_dalek::SigningKey {
        &self.0
    }

    /// The key for a 32-byte seed.
    pub fn from_bytes(seed: &[u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The 32-byte seed. Treat it as a secret.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The key for a seed given as 64 hex digits.
    pub fn from_hex(seed_hex: &str) -> Result<Self, ProofError> {
        let seed = parse_hex::<32>(seed_hex, "signing key")?;
        Ok(Self::from_bytes(&seed))
    }

    /// The seed as lowercase hex. Treat it as a secret.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }

    /// The public key as lowercase hex (64 digits).
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }

    /// The [`key_id`] of this key's public half.
    pub fn key_id(&self) -> String {
        key_id(&self.0.verifying_key().to_bytes())
    }

    /// The [`key_fingerprint`] of this key's public half.
    pub fn fingerprint(&self) -> String {
        key_fingerprint(&self.0.verifying_key().to_bytes())
    }

    /// Sign a checkpoint.
    pub fn sign(&self, checkpoint: &Checkpoint) -> SignedCheckpoint {
        let signature = self.0.sign(checkpoint.signed_note_body().as_bytes());
        SignedCheckpoint {
            checkpoint: checkpoint.clone(),
            key_id: self.key_id(),
            signature_hex: hex::encode(signature.to_bytes()),
        }
    }
}

/// Verify a signed checkpoint against a public key given as hex. Also checks that the key
/// id matches and that the checkpoint's root is well-formed hex.
pub fn verify_checkpoint(signed: &SignedCheckpoint, public_key_hex: &str) -> Result<(), ProofError> {
    let pk_bytes = parse_hex::<32>(public_key_hex, "public key")?;
    let key = VerifyingKey::from_bytes(&pk_bytes)
        .map_err(|e| ProofError::Malformed { what: "public key", reason: e.to_string() })?;
    let of_key = key_id(&pk_bytes);
    if signed.key_id != of_key {
        return Err(ProofError::KeyIdMismatch { in_checkpoint: signed.key_id.clone(), of_key });
    }
    signed.checkpoint.root()?;
    let sig_bytes = parse_hex::<64>(&signed.signature_hex, "signature")?;
    let signature = Signature::from_bytes(&sig_bytes);
    key.verify_strict(signed.checkpoint.signed_note_body().as_bytes(), &signature).map_err(|_| ProofError::BadSignature)
}

fn parse_hex<const N: usize>(s: &str, what: &'static str) -> Result<[u8; N], ProofError> {
    let bytes = hex::decode(s).map_err(|e| ProofError::Malformed { what, reason: e.to_string() })?;
    <[u8; N]>::try_from(bytes.as_slice())
        .map_err(|_| ProofError::Malformed { what, reason: format!("expected {N} bytes, got {}", bytes.len()) })
}

fn parse_lower_hex<const N: usize>(s: &str, what: &'static str) -> Result<[u8; N], ProofError> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(ProofError::Malformed { what, reason: "hex must be lowercase".to_owned() });
    }
    parse_hex(s, what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MerkleLog;

    fn setup() -> (SigningKey, SignedCheckpoint) {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let mut log = MerkleLog::new();
        log.append(b"entry 0");
        log.append(b"entry 1");
        let cp = Checkpoint::new("vigil.example/audit", log.len(), &log.root(), 1_700_000_000_000);
        (key.clone(), key.sign(&cp))
    }

    fn flip_hex(s: &str, bit: usize) -> String {
        let mut b = hex::decode(s).unwrap();
        let i = (bit / 8) % b.len();
        b[i] ^= 1 << (bit % 8);
        hex::encode(b)
    }

    #[test]
    fn sign_and_verify() {
        let (key, signed) = setup();
        let pk = key.public_key_hex();
        verify_checkpoint(&signed, &pk).unwrap();
        assert_eq!(signed.key_id.len(), 16);
        assert_eq!(signed.key_id, key.key_id());
        assert_eq!(
            signed.checkpoint.signed_note_body(),
            format!(
                "vigil-evidence checkpoint v1\norigin: vigil.example/audit\nsize: 2\nroot: {}\ntime_ms: 1700000000000\n",
                signed.checkpoint.root_hex
            )
        );
        // Serde round trip keeps it verifiable.
        let json = serde_json::to_string(&signed).unwrap();
        let back: SignedCheckpoint = serde_json::from_str(&json).unwrap();
        verify_checkpoint(&back, &pk).unwrap();
        // Key bytes round trip.
        let again = SigningKey::from_hex(&key.to_hex()).unwrap();
        assert_eq!(again.to_bytes(), key.to_bytes());
        assert_eq!(again.public_key_hex(), pk);
        assert!(!format!("{key:?}").contains(&key.to_hex()));
    }

    #[test]
    fn generated_keys_differ_and_work() {
        let a = SigningKey::generate();
        let b = SigningKey::generate();
        assert_ne!(a.to_bytes(), b.to_bytes());
        let (_, signed) = setup();
        let resigned = a.sign(&signed.checkpoint);
        verify_checkpoint(&resigned, &a.public_key_hex()).unwrap();
        assert!(verify_checkpoint(&resigned, &b.public_key_hex()).is_err());
    }

    #[test]
    fn any_flipped_bit_fails() {
        let (key, signed) = setup();
        let pk = key.public_key_hex();
        for bit in 0..64 {
            let mut s = signed.clone();
            s.checkpoint.size ^= 1 << bit;
            assert_eq!(verify_checkpoint(&s, &pk), Err(ProofError::BadSignature));
            let mut s = signed.clone();
            s.checkpoint.time_ms ^= 1 << bit;
            assert_eq!(verify_checkpoint(&s, &pk), Err(ProofError::BadSignature));
        }
        for bit in 0..256 {
            let mut s = signed.clone();
            s.checkpoint.root_hex = flip_hex(&s.checkpoint.root_hex, bit);
            assert_eq!(verify_checkpoint(&s, &pk), Err(ProofError::BadSignature));
        }
        for bit in 0..512 {
            let mut s = signed.clone();
            s.signature_hex = flip_hex(&s.signature_hex, bit);
            assert!(verify_checkpoint(&s, &pk).is_err(), "bit {bit}");
        }
        let mut s = signed.clone();
        s.checkpoint.origin.push('x');
        assert_eq!(verify_checkpoint(&s, &pk), Err(ProofError::BadSignature));
    }

    #[test]
    fn different_key_fails() {
        let (_, signed) = setup();
        let other = SigningKey::from_bytes(&[8u8; 32]);
        assert!(matches!(verify_checkpoint(&signed, &other.public_key_hex()), Err(ProofError::KeyIdMismatch { .. })));
        // Even with the key id forged to match, the signature does not verify.
        let mut forged = signed.clone();
        forged.key_id = other.key_id();
        assert_eq!(verify_checkpoint(&forged, &other.public_key_hex()), Err(ProofError::BadSignature));
    }

    #[test]
    fn malformed_inputs_fail_cleanly() {
        let (key, signed) = setup();
        let pk = key.public_key_hex();
        for bad_pk in ["", "zz", &pk[..62], &format!("{pk}00")] {
            assert!(matches!(verify_checkpoint(&signed, bad_pk), Err(ProofError::Malformed { .. })));
        }
        for bad_sig in ["", "not hex", &signed.signature_hex[..126]] {
            let mut s = signed.clone();
            s.signature_hex = bad_sig.to_owned();
            assert!(matches!(verify_checkpoint(&s, &pk), Err(ProofError::Malformed { .. })));
        }
        let mut s = signed.clone();
        s.checkpoint.root_hex = s.checkpoint.root_hex.to_uppercase();
        assert!(matches!(verify_checkpoint(&s, &pk), Err(ProofError::Malformed { .. })));
        assert!(SigningKey::from_hex("abc").is_err());
        assert!(SigningKey::from_hex(&"g".repeat(64)).is_err());
        assert!(SigningKey::from_hex(&"00".repeat(33)).is_err());
    }

    #[test]
    fn bodies_are_unambiguous() {
        let a = Checkpoint { origin: "a\nsize: 1".into(), size: 2, root_hex: "00".repeat(32), time_ms: 0 };
        let b = Checkpoint { origin: "a".into(), ..a.clone() };
        assert_ne!(a.signed_note_body(), b.signed_note_body());
        assert_eq!(a.signed_note_body().lines().count(), 5);
        let c = Checkpoint { origin: "a\\nsize: 1".into(), ..a.clone() };
        assert_ne!(a.signed_note_body(), c.signed_note_body());
    }
}

//! Keys, fingerprints, OCIDs and randomness.

use std::sync::OnceLock;

use md5::{Digest, Md5};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::{RsaPrivateKey, RsaPublicKey};

use crate::EmulatorError;

/// A fresh ChaCha20 generator seeded from the operating system.
pub(crate) fn os_seeded_rng() -> ChaCha20Rng {
    let mut seed = [0u8; 32];
    if getrandom::getrandom(&mut seed).is_err() {
        // Extremely unlikely; fall back to something that still differs between runs.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        seed[..16].copy_from_slice(&nanos.to_le_bytes());
        seed[16..24].copy_from_slice(&u64::from(std::process::id()).to_le_bytes());
    }
    ChaCha20Rng::from_seed(seed)
}

const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

/// `n` random characters of OCI's lowercase base32 alphabet.
pub(crate) fn random_base32(rng: &mut ChaCha20Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(BASE32[(rng.next_u32() % 32) as usize]))
        .collect()
}

/// An OCID such as `ocid1.group.oc1..aaaaaaaa<52 random chars>`; `region` is empty for
/// global resources (groups, users, tenancies).
pub(crate) fn ocid(rng: &mut ChaCha20Rng, kind: &str, region: &str) -> String {
    format!(
        "ocid1.{kind}.oc1.{region}.aaaaaaaa{}",
        random_base32(rng, 52)
    )
}

/// A random UUID-looking string (OCI object and bucket etags are UUIDs).
pub(crate) fn uuid(rng: &mut ChaCha20Rng) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Lowercase hex of `n` random bytes.
pub(crate) fn random_hex(rng: &mut ChaCha20Rng, n: usize) -> String {
    (0..n)
        .map(|_| format!("{:02x}", rng.next_u32() as u8))
        .collect()
}

/// The emulator's private key, already parsed, plus its derived forms.
#[derive(Clone)]
pub(crate) struct KeyMaterial {
    pub public: RsaPublicKey,
    pub private_pem: String,
    pub public_pem: String,
    pub fingerprint: String,
}

impl KeyMaterial {
    pub(crate) fn from_private(key: &RsaPrivateKey) -> Result<Self, EmulatorError> {
        let private_pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| EmulatorError::Key(format!("cannot encode private key as PKCS#8: {e}")))?
            .to_string();
        let public = key.to_public_key();
        let public_pem = public
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| EmulatorError::Key(format!("cannot encode public key: {e}")))?;
        let fingerprint = fingerprint(&public)?;
        Ok(KeyMaterial {
            public,
            private_pem,
            public_pem,
            fingerprint,
        })
    }

    /// Parses a PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM.
    pub(crate) fn from_private_pem(pem: &str) -> Result<Self, EmulatorError> {
        let key = parse_private_pem(pem)?;
        Self::from_private(&key)
    }
}

/// Parses an unencrypted PKCS#8 or PKCS#1 RSA private key PEM (CRLF and trailing lines such as
/// the Console's `OCI_API_KEY` are tolerated).
pub fn parse_private_pem(pem: &str) -> Result<RsaPrivateKey, EmulatorError> {
    let normalized = pem.replace("\r\n", "\n");
    if let Some(block) = pem_block(&normalized, "PRIVATE KEY") {
        return RsaPrivateKey::from_pkcs8_pem(&block)
            .map_err(|e| EmulatorError::Key(format!("invalid PKCS#8 private key: {e}")));
    }
    if let Some(block) = pem_block(&normalized, "RSA PRIVATE KEY") {
        if block.contains("Proc-Type:") {
            return Err(EmulatorError::Key(
                "encrypted PKCS#1 keys are not supported by the emulator".into(),
            ));
        }
        return RsaPrivateKey::from_pkcs1_pem(&block)
            .map_err(|e| EmulatorError::Key(format!("invalid PKCS#1 private key: {e}")));
    }
    if normalized.contains("BEGIN ENCRYPTED PRIVATE KEY") {
        return Err(EmulatorError::Key(
            "encrypted PKCS#8 keys are not supported by the emulator".into(),
        ));
    }
    Err(EmulatorError::Key(
        "no `BEGIN PRIVATE KEY` or `BEGIN RSA PRIVATE KEY` block found".into(),
    ))
}

/// The RSA public key whose SubjectPublicKeyInfo PEM body is `body`, on one line as token
/// requests carry it (a federation's `publicKey`, a proxymux's `podKey`).
pub(crate) fn public_key_from_body(body: &str) -> Result<RsaPublicKey, EmulatorError> {
    // PEM parsers want lines of at most 64 characters.
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    parse_public_pem(&format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    ))
}

/// Parses a SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM.
pub fn parse_public_pem(pem: &str) -> Result<RsaPublicKey, EmulatorError> {
    let normalized = pem.replace("\r\n", "\n");
    if let Some(block) = pem_block(&normalized, "PUBLIC KEY") {
        return RsaPublicKey::from_public_key_pem(&block)
            .map_err(|e| EmulatorError::Key(format!("invalid public key: {e}")));
    }
    if let Some(block) = pem_block(&normalized, "RSA PUBLIC KEY") {
        return RsaPublicKey::from_pkcs1_pem(&block)
            .map_err(|e| EmulatorError::Key(format!("invalid PKCS#1 public key: {e}")));
    }
    Err(EmulatorError::Key(
        "no `BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY` block found".into(),
    ))
}

/// Extracts the first `-----BEGIN <label>-----` … `-----END <label>-----` block, exactly.
fn pem_block(text: &str, label: &str) -> Option<String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let rest = &text[start..];
    let stop = rest.find(&end)? + end.len();
    Some(format!("{}\n", &rest[..stop]))
}

/// OCI's key fingerprint: MD5 of the DER SubjectPublicKeyInfo, lowercase hex pairs joined by `:`.
pub fn fingerprint(public: &RsaPublicKey) -> Result<String, EmulatorError> {
    let der = public
        .to_public_key_der()
        .map_err(|e| EmulatorError::Key(format!("cannot encode public key: {e}")))?;
    let digest = Md5::digest(der.as_bytes());
    Ok(digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":"))
}

/// The emulator's built-in test key (2048-bit RSA, PKCS#8), published with this crate: it
/// signs for nothing but an emulator, and an emulator's tenancy and user OCIDs are drawn at
/// random each start, so knowing the key alone signs for no running emulator.
///
/// Shipped rather than generated because generating a 2048-bit RSA key with the pure-Rust `rsa`
/// crate takes seconds in a dependent crate's unoptimised debug build (the workspace's
/// `opt-level` overrides for the bigint crates do not reach dependents), and every test binary
/// that starts an emulator would pay it.
pub const TEST_PRIVATE_KEY_PEM: &str = include_str!("test_key.pem");

/// The public half of [`TEST_PRIVATE_KEY_PEM`] (SubjectPublicKeyInfo PEM).
const TEST_PUBLIC_KEY_PEM: &str = include_str!("test_key.pub.pem");

/// The built-in test key's material, derived once per process. Only the public half is parsed
/// (a modulus and an exponent: cheap unoptimised), never the private one.
pub(crate) fn test_key() -> Result<KeyMaterial, EmulatorError> {
    static KEY: OnceLock<Result<KeyMaterial, String>> = OnceLock::new();
    KEY.get_or_init(|| {
        let public = parse_public_pem(TEST_PUBLIC_KEY_PEM).map_err(|e| e.to_string())?;
        let fingerprint = fingerprint(&public).map_err(|e| e.to_string())?;
        Ok(KeyMaterial {
            public,
            private_pem: TEST_PRIVATE_KEY_PEM.to_string(),
            public_pem: TEST_PUBLIC_KEY_PEM.to_string(),
            fingerprint,
        })
    })
    .clone()
    .map_err(|e| EmulatorError::Key(format!("the built-in test key: {e}")))
}

/// A fresh 2048-bit RSA private key as PKCS#8 PEM, for
/// [`EmulatorConfig::key_pem`](crate::EmulatorConfig::key_pem) when the built-in test key will
/// not do (the emulator binary uses one per run). Slow in an unoptimised build of the `rsa`
/// crate: seconds, not milliseconds.
pub fn generate_key_pem() -> Result<String, EmulatorError> {
    let mut rng = os_seeded_rng();
    let key = RsaPrivateKey::new(&mut rng, 2048)
        .map_err(|e| EmulatorError::Key(format!("RSA key generation failed: {e}")))?;
    Ok(KeyMaterial::from_private(&key)?.private_pem)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The two halves of the shipped key belong together.
    #[test]
    fn the_test_key_halves_match() {
        let from_private = KeyMaterial::from_private_pem(TEST_PRIVATE_KEY_PEM).unwrap();
        let shipped = test_key().unwrap();
        assert_eq!(from_private.public, shipped.public);
        assert_eq!(from_private.fingerprint, shipped.fingerprint);
    }
}

//! The DER inside the PEM: PKCS#1 (`RSA PRIVATE KEY`) and PKCS#8 (`PRIVATE KEY`) parsing, and
//! decryption of encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`).

use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::PrivateKeyInfo;

use super::diagnose::{key_algorithm_name, unsupported};
use super::{KeyErrorKind, wrong_passphrase_if_malformed};

/// Parses unencrypted DER by PEM label: PKCS#1 for `RSA PRIVATE KEY`, PKCS#8 otherwise.
pub(super) fn parse_der(label: &str, der: &[u8]) -> Result<RsaPrivateKey, KeyErrorKind> {
    if label == "RSA PRIVATE KEY" {
        RsaPrivateKey::from_pkcs1_der(der).map_err(|e| KeyErrorKind::Malformed {
            reason: format!("not a valid PKCS#1 RSA private key ({e})"),
        })
    } else {
        parse_pkcs8(der)
    }
}

fn parse_pkcs8(der: &[u8]) -> Result<RsaPrivateKey, KeyErrorKind> {
    let info = PrivateKeyInfo::try_from(der).map_err(|e| KeyErrorKind::Malformed {
        reason: format!("not a valid PKCS#8 private key ({e})"),
    })?;
    let oid = info.algorithm.oid.to_string();
    if oid != "1.2.840.113549.1.1.1" {
        return Err(unsupported(key_algorithm_name(&oid)));
    }
    RsaPrivateKey::try_from(info).map_err(|e| KeyErrorKind::Malformed {
        reason: format!("not a valid RSA private key ({e})"),
    })
}

// ---------------------------------------------------------------------------------------------
// Encrypted PKCS#8

pub(super) fn decrypt_pkcs8(
    der: &[u8],
    passphrase: Option<&[u8]>,
) -> Result<RsaPrivateKey, KeyErrorKind> {
    use pkcs8::pkcs5::{EncryptionScheme, Error as Pkcs5Error};

    let info = match pkcs8::EncryptedPrivateKeyInfo::try_from(der) {
        Ok(info) => info,
        // pkcs5 refuses to even parse schemes it does not know; name the scheme if possible.
        Err(e) => {
            return Err(match unknown_encryption_scheme(der) {
                Some(algorithm) => KeyErrorKind::UnsupportedEncryption { algorithm },
                None => KeyErrorKind::Malformed {
                    reason: format!("not a valid encrypted PKCS#8 key ({e})"),
                },
            });
        }
    };
    if let EncryptionScheme::Pbes1(pbes1) = &info.encryption_algorithm {
        let oid = pbes1.oid().to_string();
        let name = encryption_oid_name(&oid);
        return Err(KeyErrorKind::UnsupportedEncryption {
            algorithm: format!("PBES1 ({name})"),
        });
    }
    let passphrase = passphrase.ok_or(KeyErrorKind::PassphraseMissing)?;
    if let EncryptionScheme::Pbes2(params) = &info.encryption_algorithm {
        check_kdf_cost(&params.kdf)?;
    }
    let doc = info.decrypt(passphrase).map_err(|e| match e {
        // pkcs5 0.7 reports bad padding (a wrong passphrase) as `EncryptFailed`.
        pkcs8::Error::EncryptedPrivateKey(
            Pkcs5Error::DecryptFailed | Pkcs5Error::EncryptFailed,
        ) => KeyErrorKind::PassphraseWrong,
        pkcs8::Error::EncryptedPrivateKey(Pkcs5Error::UnsupportedAlgorithm { oid }) => {
            KeyErrorKind::UnsupportedEncryption {
                algorithm: format!("PBES2 with {}", encryption_oid_name(&oid.to_string())),
            }
        }
        // The decrypted bytes are checked to be DER; garbage means the wrong passphrase.
        pkcs8::Error::Asn1(_) => KeyErrorKind::PassphraseWrong,
        other => KeyErrorKind::Malformed {
            reason: format!("cannot decrypt it ({other})"),
        },
    })?;
    parse_pkcs8(doc.as_bytes()).map_err(wrong_passphrase_if_malformed)
}

/// Most PBKDF2 iterations a key may ask for (OpenSSL writes 2,048; password managers 600,000).
pub(super) const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Most memory scrypt may ask for (`128 · r · N` bytes; OpenSSL's defaults need 16 MiB).
pub(super) const MAX_SCRYPT_MEMORY: u64 = 256 * 1024 * 1024;
/// Most scrypt parallelism (`p`) a key may ask for.
pub(super) const MAX_SCRYPT_PARALLELISM: u16 = 16;

/// Refuses key-derivation parameters that would take minutes of CPU or exhaust memory (or, for
/// scrypt with `N` < 2, panic inside the KDF) before the passphrase is even tried.
fn check_kdf_cost(kdf: &pkcs8::pkcs5::pbes2::Kdf<'_>) -> Result<(), KeyErrorKind> {
    use pkcs8::pkcs5::pbes2::Kdf;
    let too = |reason: String| Err(KeyErrorKind::EncryptionTooCostly { reason });
    match kdf {
        Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => too(format!(
            "{} PBKDF2 iterations (at most {MAX_PBKDF2_ITERATIONS} are allowed)",
            p.iteration_count
        )),
        Kdf::Pbkdf2(p) if p.iteration_count == 0 => too("0 PBKDF2 iterations".into()),
        Kdf::Scrypt(p) => {
            let n = p.cost_parameter;
            if n < 2 || !n.is_power_of_two() {
                return too(format!(
                    "scrypt N = {n}, which must be a power of two of at least 2"
                ));
            }
            let memory = 128u64
                .saturating_mul(u64::from(p.block_size))
                .saturating_mul(n);
            if p.block_size == 0 || memory > MAX_SCRYPT_MEMORY {
                return too(format!(
                    "scrypt N = {n}, r = {}: {} MiB of memory (at most {} MiB are allowed)",
                    p.block_size,
                    memory / (1024 * 1024),
                    MAX_SCRYPT_MEMORY / (1024 * 1024)
                ));
            }
            if p.parallelization == 0 || p.parallelization > MAX_SCRYPT_PARALLELISM {
                return too(format!(
                    "scrypt p = {} (1 to {MAX_SCRYPT_PARALLELISM} are allowed)",
                    p.parallelization
                ));
            }
            Ok(())
        }
        // PBKDF2 within bounds, and any KDF a later pkcs5 adds (it decides on those).
        _ => Ok(()),
    }
}

/// For an EncryptedPrivateKeyInfo pkcs5 cannot parse: the name of its encryption scheme, if the
/// outer structure is sound enough to read it.
fn unknown_encryption_scheme(der: &[u8]) -> Option<String> {
    use pkcs8::der::{Decode as _, Header, Reader as _, SliceReader};
    use pkcs8::spki::AlgorithmIdentifierRef;

    const PBES2: &str = "1.2.840.113549.1.5.13";
    let mut reader = SliceReader::new(der).ok()?;
    Header::decode(&mut reader).ok()?;
    let outer = AlgorithmIdentifierRef::decode(&mut reader).ok()?;
    let outer_oid = outer.oid.to_string();
    if outer_oid != PBES2 {
        return Some(encryption_oid_name(&outer_oid).to_owned());
    }
    let params = outer.parameters?;
    let mut reader = SliceReader::new(params.value()).ok()?;
    let kdf = AlgorithmIdentifierRef::decode(&mut reader).ok()?;
    let cipher = AlgorithmIdentifierRef::decode(&mut reader).ok()?;
    reader.finish(()).ok()?;
    Some(format!(
        "PBES2 ({}, {})",
        encryption_oid_name(&kdf.oid.to_string()),
        encryption_oid_name(&cipher.oid.to_string())
    ))
}

fn encryption_oid_name(oid: &str) -> &str {
    match oid {
        "1.2.840.113549.1.5.3" => "pbeWithMD5AndDES-CBC",
        "1.2.840.113549.1.5.6" => "pbeWithMD5AndRC2-CBC",
        "1.2.840.113549.1.5.10" => "pbeWithSHA1AndDES-CBC",
        "1.2.840.113549.1.5.11" => "pbeWithSHA1AndRC2-CBC",
        "1.2.840.113549.1.12.1.1" => "PKCS#12 pbeWithSHAAnd128BitRC4",
        "1.2.840.113549.1.12.1.2" => "PKCS#12 pbeWithSHAAnd40BitRC4",
        "1.2.840.113549.1.12.1.3" => "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC",
        "1.2.840.113549.1.12.1.4" => "PKCS#12 pbeWithSHAAnd2-KeyTripleDES-CBC",
        "1.2.840.113549.1.12.1.5" => "PKCS#12 pbeWithSHAAnd128BitRC2-CBC",
        "1.2.840.113549.1.12.1.6" => "PKCS#12 pbeWithSHAAnd40BitRC2-CBC",
        "1.2.840.113549.1.5.12" => "PBKDF2",
        "1.3.6.1.4.1.11591.4.11" => "scrypt",
        "1.2.840.113549.2.7" => "HMAC-SHA1",
        "1.2.840.113549.2.8" => "HMAC-SHA224",
        "1.2.840.113549.2.9" => "HMAC-SHA256",
        "1.2.840.113549.2.10" => "HMAC-SHA384",
        "1.2.840.113549.2.11" => "HMAC-SHA512",
        "1.2.840.113549.3.7" => "DES-EDE3-CBC",
        "1.3.14.3.2.7" => "DES-CBC",
        "1.2.840.113549.3.2" => "RC2-CBC",
        "2.16.840.1.101.3.4.1.2" => "AES-128-CBC",
        "2.16.840.1.101.3.4.1.22" => "AES-192-CBC",
        "2.16.840.1.101.3.4.1.42" => "AES-256-CBC",
        "2.16.840.1.101.3.4.1.6" => "AES-128-GCM",
        "2.16.840.1.101.3.4.1.26" => "AES-192-GCM",
        "2.16.840.1.101.3.4.1.46" => "AES-256-GCM",
        other => other,
    }
}

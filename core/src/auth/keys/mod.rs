//! RSA private keys for API-key signing: every PEM form OCI users have, with diagnoses for the
//! usual mistakes (public key given, passphrase missing or wrong, non-RSA key).

// Reading a key: PEM framing (`pem`), then by label PKCS#1 / PKCS#8 DER, encrypted PKCS#8
// included (`pkcs`), or legacy OpenSSL encryption (`legacy`); inputs that are not an RSA
// private key are named by `diagnose`.
mod diagnose;
mod legacy;
mod pem;
mod pkcs;
#[cfg(test)]
mod tests;

use core::fmt;

use base64::Engine as _;
use md5::{Digest as _, Md5};
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use rsa::traits::PublicKeyParts as _;
use zeroize::Zeroizing;

use diagnose::{diagnose_non_pem, diagnose_other_label, unsupported};
use legacy::legacy_decrypt;
use pem::{decode_body, next_pem_block};
use pkcs::{decrypt_pkcs8, parse_der};

/// What is wrong with a private key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyErrorKind {
    /// The key file could not be read.
    Unreadable {
        /// Why reading failed, as the operating system put it.
        reason: String,
    },
    /// The text holds no PEM block at all.
    NotPem,
    /// A public key (or certificate) was given where the private key is needed.
    PublicKeyGiven,
    /// The key is encrypted and no passphrase was given.
    PassphraseMissing,
    /// The passphrase given does not decrypt the key.
    PassphraseWrong,
    /// A private key that is not RSA (EC, DSA, Ed25519, an OpenSSH-format file, …).
    UnsupportedKeyType {
        /// The key type found, e.g. `EC` or `OpenSSH`.
        found: String,
    },
    /// The key is encrypted with a scheme this crate cannot decrypt.
    UnsupportedEncryption {
        /// The scheme, e.g. `PBES1 (pbeWithMD5AndDES-CBC)`.
        algorithm: String,
    },
    /// The key's encryption asks for more work or memory to derive its key than this SDK
    /// spends (keys can come from strangers: a page that takes pasted keys).
    EncryptionTooCostly {
        /// What the key asks for, and the limit.
        reason: String,
    },
    /// The PEM framing, base64 or DER structure is damaged.
    Malformed {
        /// What is damaged.
        reason: String,
    },
}

impl fmt::Display for KeyErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable { reason } => {
                write!(
                    f,
                    "cannot read the key file ({reason}); check `key_file` in the config"
                )
            }
            Self::NotPem => f.write_str(
                "no PEM private key found; expected a `-----BEGIN RSA PRIVATE KEY-----` or \
                 `-----BEGIN PRIVATE KEY-----` block, as written by `oci setup keys` or the \
                 Console's \"Download private key\"",
            ),
            Self::PublicKeyGiven => f.write_str(
                "this is a public key (or certificate), but signing needs the private key; \
                 point `key_file` at the private key (e.g. oci_api_key.pem, not \
                 oci_api_key_public.pem)",
            ),
            Self::PassphraseMissing => f.write_str(
                "the key is encrypted and no passphrase was given; set `pass_phrase` in the \
                 config profile",
            ),
            Self::PassphraseWrong => f.write_str(
                "the passphrase does not decrypt the key; check `pass_phrase` in the config \
                 profile (a profile inherits it from [DEFAULT] unless it sets its own)",
            ),
            Self::UnsupportedKeyType { found } if found == "OpenSSH" => f.write_str(
                "OpenSSH-format private keys are not supported; convert an RSA one with \
                 `ssh-keygen -p -m PEM -f <file>` (this rewrites the file in place), or create \
                 an API key with `oci setup keys`",
            ),
            Self::UnsupportedKeyType { found } => write!(
                f,
                "this is a {found} key, but OCI API signing keys are RSA; create one with \
                 `oci setup keys` or `openssl genrsa -out oci_api_key.pem 2048`"
            ),
            Self::EncryptionTooCostly { reason } => write!(
                f,
                "the key's encryption asks for {reason}; re-encrypt it with standard parameters \
                 (`openssl pkcs8 -topk8 -v2 aes-256-cbc -in <key> -out <new key>`)"
            ),
            Self::UnsupportedEncryption { algorithm } => write!(
                f,
                "the key is encrypted with {algorithm}, which is not supported; re-encrypt it \
                 with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in <key> -out <new key>`"
            ),
            Self::Malformed { reason } => write!(f, "the key is damaged: {reason}"),
        }
    }
}

/// An error loading a private key: which key (file name or other source) and what is wrong.
///
/// Displays as `key <source>: <what is wrong, and what to do>`. Passphrases and key material
/// never appear in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    source: String,
    kind: KeyErrorKind,
}

impl KeyError {
    /// An error about the key named `source` (a path, or e.g. `<inline>`).
    pub fn new(source: impl Into<String>, kind: KeyErrorKind) -> Self {
        Self {
            source: source.into(),
            kind,
        }
    }

    /// The name of the key concerned. (Not `source()`, which would shadow
    /// [`core::error::Error::source`].)
    pub fn source_name(&self) -> &str {
        &self.source
    }

    /// What is wrong.
    pub fn kind(&self) -> &KeyErrorKind {
        &self.kind
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key {}: {}", self.source, self.kind)
    }
}

impl core::error::Error for KeyError {}

/// An RSA private key, parsed once, with its public key and fingerprint precomputed.
///
/// `Debug` shows the source, size and fingerprint, never key material.
#[derive(Clone)]
pub struct PrivateKey {
    key: RsaPrivateKey,
    source: String,
    public_key_der: Vec<u8>,
    fingerprint: String,
}

impl PrivateKey {
    /// Parses a PEM private key: PKCS#1 (`BEGIN RSA PRIVATE KEY`, optionally with legacy
    /// OpenSSL `Proc-Type: 4,ENCRYPTED` encryption), PKCS#8 (`BEGIN PRIVATE KEY`) or encrypted
    /// PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`, PBES2 with PBKDF2 or scrypt and AES-CBC).
    ///
    /// Text around the PEM block (CRLF, blank lines, the Console download's trailing
    /// `OCI_API_KEY` line) is ignored. `passphrase` is ignored for unencrypted keys, since a
    /// profile may inherit one from `[DEFAULT]` that belongs to another key. `source` names the
    /// key in errors and in `Debug`.
    pub fn from_pem(
        pem: &str,
        passphrase: Option<&[u8]>,
        source: &str,
    ) -> Result<PrivateKey, KeyError> {
        let key = parse_pem_key(pem, passphrase).map_err(|kind| KeyError::new(source, kind))?;
        Self::from_rsa(key, source)
    }

    /// Reads and parses a PEM key file; see [`PrivateKey::from_pem`]. Errors name the path.
    #[cfg(feature = "fs")]
    pub fn from_file(
        path: &std::path::Path,
        passphrase: Option<&[u8]>,
    ) -> Result<PrivateKey, KeyError> {
        let source = path.display().to_string();
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| {
            KeyError::new(
                source.as_str(),
                KeyErrorKind::Unreadable {
                    reason: e.to_string(),
                },
            )
        })?);
        // A binary (DER) file is not valid UTF-8; PEM is what OCI tools write.
        let text = core::str::from_utf8(&bytes)
            .map_err(|_| KeyError::new(source.as_str(), KeyErrorKind::NotPem))?;
        Self::from_pem(text, passphrase, &source)
    }

    /// Wraps an already-parsed (or freshly generated) RSA key.
    pub fn from_rsa(key: RsaPrivateKey, source: impl Into<String>) -> Result<PrivateKey, KeyError> {
        let source = source.into();
        let public_key_der = key
            .to_public_key()
            .to_public_key_der()
            .map_err(|e| {
                KeyError::new(
                    source.as_str(),
                    KeyErrorKind::Malformed {
                        reason: format!("cannot encode its public key ({e})"),
                    },
                )
            })?
            .into_vec();
        let fingerprint = md5_fingerprint(&public_key_der);
        Ok(PrivateKey {
            key,
            source,
            public_key_der,
            fingerprint,
        })
    }

    /// The OCI key fingerprint: MD5 of the DER SubjectPublicKeyInfo, lowercase hex pairs joined
    /// by `:` (what the Console shows and the config's `fingerprint` holds).
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    /// The public half (its `Debug` shows only public numbers), to verify signatures with.
    pub fn public_key(&self) -> rsa::RsaPublicKey {
        self.rsa().to_public_key()
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.public_key_der.clone()
    }

    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`), the form the Console and
    /// UploadApiKey take.
    pub fn public_key_pem(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.public_key_der);
        let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 64);
        out.push_str("-----BEGIN PUBLIC KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            // base64 output is ASCII, so every chunk is valid UTF-8.
            out.push_str(core::str::from_utf8(chunk).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----\n");
        out
    }

    /// The parsed RSA key, for the signing backends. Crate-private: its `Debug` would print
    /// the private exponent and primes. Use [`PrivateKey::public_key`] for the public half.
    pub(crate) fn rsa(&self) -> &RsaPrivateKey {
        &self.key
    }

    /// The key as PKCS#1 DER, the form native signing backends (ring) load.
    pub fn to_pkcs1_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        self.key
            .to_pkcs1_der()
            .map(|doc| doc.to_bytes())
            .map_err(|e| self.encode_error(e))
    }

    /// The key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), e.g. for writing
    /// test configs.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| self.encode_error(e))
    }

    /// The name the key was loaded under (its path, or what the caller passed).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The modulus size in bits (e.g. 2048).
    pub fn bits(&self) -> usize {
        self.key.n().bits()
    }

    fn encode_error(&self, e: impl fmt::Display) -> KeyError {
        KeyError::new(
            self.source.as_str(),
            KeyErrorKind::Malformed {
                reason: format!("cannot encode it ({e})"),
            },
        )
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("source", &self.source)
            .field("bits", &self.bits())
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

fn md5_fingerprint(der: &[u8]) -> String {
    let digest = Md5::digest(der);
    let mut out = String::with_capacity(47);
    for (i, byte) in digest.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// From PEM text to a key: pick the block, then the format by its label

fn parse_pem_key(text: &str, passphrase: Option<&[u8]>) -> Result<RsaPrivateKey, KeyErrorKind> {
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err(KeyErrorKind::Malformed {
            reason: "the key is empty".into(),
        });
    }

    // Files may hold several blocks (`openssl ecparam -genkey` writes EC PARAMETERS first);
    // use the first private key, and diagnose from the first block if there is none.
    let mut first_label: Option<&str> = None;
    let mut rest = text;
    let block = loop {
        match next_pem_block(rest) {
            None => break None,
            Some((Err(kind), _)) => return Err(kind),
            Some((Ok(block), after)) => {
                if block.label.contains("PRIVATE KEY") {
                    break Some(block);
                }
                first_label.get_or_insert(block.label);
                rest = after;
            }
        }
    };

    let Some(block) = block else {
        return Err(match first_label {
            Some(label) => diagnose_other_label(label),
            None => diagnose_non_pem(text),
        });
    };

    match block.label {
        "RSA PRIVATE KEY" | "PRIVATE KEY" => {
            let der = decode_body(block.body)?;
            let encrypted = block
                .header("Proc-Type")
                .is_some_and(|v| v.to_ascii_uppercase().contains("ENCRYPTED"));
            if !encrypted {
                return parse_der(block.label, &der);
            }
            let passphrase = passphrase.ok_or(KeyErrorKind::PassphraseMissing)?;
            let plain = legacy_decrypt(&block, &der, passphrase)?;
            parse_der(block.label, &plain).map_err(wrong_passphrase_if_malformed)
        }
        "ENCRYPTED PRIVATE KEY" => {
            let der = decode_body(block.body)?;
            decrypt_pkcs8(&der, passphrase)
        }
        "EC PRIVATE KEY" => Err(unsupported("EC")),
        "DSA PRIVATE KEY" => Err(unsupported("DSA")),
        "OPENSSH PRIVATE KEY" => Err(unsupported("OpenSSH")),
        other => Err(unsupported(other.trim_end_matches(" BLOCK"))),
    }
}

/// After decryption, a structure that does not parse almost always means the wrong key.
fn wrong_passphrase_if_malformed(kind: KeyErrorKind) -> KeyErrorKind {
    match kind {
        KeyErrorKind::Malformed { .. } => KeyErrorKind::PassphraseWrong,
        other => other,
    }
}

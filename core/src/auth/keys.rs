//! RSA private keys for API-key signing: every PEM form OCI users have, with diagnoses for the
//! usual mistakes (public key given, passphrase missing or wrong, non-RSA key).

use core::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use cbc::cipher::{BlockCipher, BlockDecryptMut, KeyInit, KeyIvInit, block_padding::Pkcs7};
use md5::{Digest as _, Md5};
use rsa::RsaPrivateKey;
use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPrivateKey as _};
use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding, PrivateKeyInfo};
use rsa::traits::PublicKeyParts as _;
use zeroize::{Zeroize as _, Zeroizing};

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

    /// The parsed RSA key, for signing.
    pub fn rsa(&self) -> &RsaPrivateKey {
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
// PEM framing

/// One `-----BEGIN <label>-----` … `-----END <label>-----` block, borrowed from the input.
struct PemBlock<'a> {
    label: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a str,
}

impl PemBlock<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// The next PEM block in `text` and the text after it; `None` when there is no BEGIN line.
fn next_pem_block(text: &str) -> Option<(Result<PemBlock<'_>, KeyErrorKind>, &str)> {
    const BEGIN: &str = "-----BEGIN ";
    const END: &str = "-----END ";
    const DASHES: &str = "-----";
    let malformed = |reason: String| Some((Err(KeyErrorKind::Malformed { reason }), ""));

    let after_begin = &text[text.find(BEGIN)? + BEGIN.len()..];
    let Some(label_len) = after_begin.find(DASHES) else {
        return malformed("the `-----BEGIN …-----` line is cut short".into());
    };
    let label = after_begin[..label_len].trim();
    let body_and_rest = &after_begin[label_len + DASHES.len()..];
    let Some(end_at) = body_and_rest.find(END) else {
        return malformed(format!(
            "no `-----END {label}-----` line; the file looks truncated"
        ));
    };
    let body = &body_and_rest[..end_at];
    let after_end = &body_and_rest[end_at + END.len()..];
    let Some(end_label_len) = after_end.find(DASHES) else {
        return malformed("the `-----END …-----` line is cut short".into());
    };
    let end_label = after_end[..end_label_len].trim();
    let rest = &after_end[end_label_len + DASHES.len()..];
    if end_label != label {
        return malformed(format!(
            "`-----BEGIN {label}-----` is closed by `-----END {end_label}-----`"
        ));
    }

    // RFC 1421 headers (`Proc-Type`, `DEK-Info`) come first, then a blank line. Base64 never
    // contains `:`, so a line with one is a header.
    let mut headers = Vec::new();
    let mut consumed = 0;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            consumed += line.len();
            if !headers.is_empty() {
                break;
            }
            continue;
        }
        match trimmed.split_once(':') {
            Some((name, value)) => {
                headers.push((name.trim(), value.trim()));
                consumed += line.len();
            }
            None => break,
        }
    }
    let body = &body[consumed..];
    Some((
        Ok(PemBlock {
            label,
            headers,
            body,
        }),
        rest,
    ))
}

const PEM_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes a PEM body into a buffer that is wiped on drop, without reallocating (which would
/// leave unwiped copies behind).
fn decode_body(body: &str) -> Result<Zeroizing<Vec<u8>>, KeyErrorKind> {
    let mut compact = Zeroizing::new(String::with_capacity(body.len()));
    compact.extend(body.chars().filter(|c| !c.is_ascii_whitespace()));
    if compact.is_empty() {
        return Err(KeyErrorKind::Malformed {
            reason: "there is no data between the BEGIN and END lines".into(),
        });
    }
    let mut der = Zeroizing::new(vec![0u8; base64::decoded_len_estimate(compact.len())]);
    // The error's detail would quote a character of the key, so it is left out.
    let len = PEM_BASE64
        .decode_slice(compact.as_bytes(), &mut der)
        .map_err(|_| KeyErrorKind::Malformed {
            reason: "the base64 text between the BEGIN and END lines is damaged".into(),
        })?;
    der.truncate(len);
    Ok(der)
}

// ---------------------------------------------------------------------------------------------
// Key formats

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

fn unsupported(found: &str) -> KeyErrorKind {
    KeyErrorKind::UnsupportedKeyType {
        found: found.to_owned(),
    }
}

/// After decryption, a structure that does not parse almost always means the wrong key.
fn wrong_passphrase_if_malformed(kind: KeyErrorKind) -> KeyErrorKind {
    match kind {
        KeyErrorKind::Malformed { .. } => KeyErrorKind::PassphraseWrong,
        other => other,
    }
}

fn diagnose_other_label(label: &str) -> KeyErrorKind {
    match label {
        "PUBLIC KEY"
        | "RSA PUBLIC KEY"
        | "SSH2 PUBLIC KEY"
        | "CERTIFICATE"
        | "TRUSTED CERTIFICATE"
        | "X509 CERTIFICATE" => KeyErrorKind::PublicKeyGiven,
        "EC PARAMETERS" => unsupported("EC"),
        _ => KeyErrorKind::NotPem,
    }
}

fn diagnose_non_pem(text: &str) -> KeyErrorKind {
    let first_word = text.split_ascii_whitespace().next().unwrap_or_default();
    if first_word.starts_with("ssh-")
        || first_word.starts_with("ecdsa-sha2-")
        || first_word.starts_with("sk-")
        || text.starts_with("---- BEGIN SSH2 PUBLIC KEY ----")
    {
        KeyErrorKind::PublicKeyGiven
    } else if text.starts_with("PuTTY-User-Key-File") {
        unsupported("PuTTY (.ppk)")
    } else {
        KeyErrorKind::NotPem
    }
}

/// Parses unencrypted DER by PEM label: PKCS#1 for `RSA PRIVATE KEY`, PKCS#8 otherwise.
fn parse_der(label: &str, der: &[u8]) -> Result<RsaPrivateKey, KeyErrorKind> {
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

fn key_algorithm_name(oid: &str) -> &str {
    match oid {
        "1.2.840.10045.2.1" => "EC",
        "1.2.840.10040.4.1" => "DSA",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS (restricted RSA)",
        "1.2.840.113549.1.3.1" => "DH",
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// Encrypted PKCS#8

fn decrypt_pkcs8(der: &[u8], passphrase: Option<&[u8]>) -> Result<RsaPrivateKey, KeyErrorKind> {
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

// ---------------------------------------------------------------------------------------------
// Legacy OpenSSL encryption (`Proc-Type: 4,ENCRYPTED`)

#[derive(Clone, Copy)]
enum LegacyCipher {
    Aes128,
    Aes192,
    Aes256,
    DesEde3,
    Des,
}

impl LegacyCipher {
    fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "AES-128-CBC" => Some(Self::Aes128),
            "AES-192-CBC" => Some(Self::Aes192),
            "AES-256-CBC" => Some(Self::Aes256),
            "DES-EDE3-CBC" => Some(Self::DesEde3),
            "DES-CBC" => Some(Self::Des),
            _ => None,
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 | Self::DesEde3 => 24,
            Self::Aes256 => 32,
            Self::Des => 8,
        }
    }

    fn block_len(self) -> usize {
        match self {
            Self::Aes128 | Self::Aes192 | Self::Aes256 => 16,
            Self::DesEde3 | Self::Des => 8,
        }
    }
}

fn legacy_decrypt(
    block: &PemBlock<'_>,
    ciphertext: &[u8],
    passphrase: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyErrorKind> {
    let malformed = |reason: String| KeyErrorKind::Malformed { reason };
    let dek_info = block
        .header("DEK-Info")
        .ok_or_else(|| malformed("`Proc-Type: 4,ENCRYPTED` without a `DEK-Info` line".into()))?;
    let (name, iv_hex) = dek_info
        .split_once(',')
        .ok_or_else(|| malformed("`DEK-Info` must read `<cipher>,<hex IV>`".into()))?;
    let name = name.trim();
    let cipher =
        LegacyCipher::from_name(name).ok_or_else(|| KeyErrorKind::UnsupportedEncryption {
            algorithm: name.to_owned(),
        })?;
    let iv = decode_hex(iv_hex.trim())
        .filter(|iv| iv.len() == cipher.block_len())
        .ok_or_else(|| {
            malformed(format!(
                "the `DEK-Info` IV must be {} hex bytes",
                cipher.block_len()
            ))
        })?;
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(cipher.block_len()) {
        return Err(malformed(
            "the encrypted data is not a whole number of cipher blocks; the file looks truncated"
                .into(),
        ));
    }

    // OpenSSL's EVP_BytesToKey with MD5, one round, salted with the first 8 IV bytes.
    let key = evp_bytes_to_key(passphrase, &iv[..8], cipher.key_len());
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let plain_len = match cipher {
        LegacyCipher::Aes128 => cbc_decrypt::<aes::Aes128>(&key, &iv, &mut buf),
        LegacyCipher::Aes192 => cbc_decrypt::<aes::Aes192>(&key, &iv, &mut buf),
        LegacyCipher::Aes256 => cbc_decrypt::<aes::Aes256>(&key, &iv, &mut buf),
        LegacyCipher::DesEde3 => cbc_decrypt::<des::TdesEde3>(&key, &iv, &mut buf),
        LegacyCipher::Des => cbc_decrypt::<des::Des>(&key, &iv, &mut buf),
    }
    // Bad padding after decryption is how a wrong passphrase usually shows.
    .ok_or(KeyErrorKind::PassphraseWrong)?;
    buf.truncate(plain_len);
    Ok(buf)
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<usize>
where
    C: BlockCipher + BlockDecryptMut + KeyInit,
{
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
    decryptor
        .decrypt_padded_mut::<Pkcs7>(buf)
        .ok()
        .map(|plain| plain.len())
}

fn evp_bytes_to_key(passphrase: &[u8], salt: &[u8], key_len: usize) -> Zeroizing<Vec<u8>> {
    let mut key = Zeroizing::new(Vec::with_capacity(key_len + 16));
    let mut previous = Zeroizing::new([0u8; 16]);
    let mut first = true;
    while key.len() < key_len {
        let mut md5 = Md5::new();
        if !first {
            md5.update(previous.as_slice());
        }
        md5.update(passphrase);
        md5.update(salt);
        let mut digest = md5.finalize();
        previous.copy_from_slice(&digest);
        digest.as_mut_slice().zeroize();
        key.extend_from_slice(previous.as_slice());
        first = false;
    }
    key.truncate(key_len);
    key
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let nibble = |c: u8| char::from(c).to_digit(16);
            u8::try_from(nibble(pair[0])? << 4 | nibble(pair[1])?).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!("../../tests/fixtures/keys/", $name))
        };
    }

    const PKCS1: &str = fixture!("pkcs1.pem");
    const PKCS8: &str = fixture!("pkcs8.pem");
    const PKCS8_ENCRYPTED: &str = fixture!("pkcs8_encrypted.pem");
    const PKCS8_ENCRYPTED_SCRYPT: &str = fixture!("pkcs8_encrypted_scrypt.pem");
    const PKCS8_ENCRYPTED_SHA1: &str = fixture!("pkcs8_encrypted_sha1.pem");
    const PKCS8_ENCRYPTED_PKCS12: &str = fixture!("pkcs8_encrypted_pkcs12_3des.pem");
    const LEGACY_AES128: &str = fixture!("legacy_aes128.pem");
    const LEGACY_AES192: &str = fixture!("legacy_aes192.pem");
    const LEGACY_AES256: &str = fixture!("legacy_aes256.pem");
    const LEGACY_DES3: &str = fixture!("legacy_des3.pem");
    const LEGACY_DES: &str = fixture!("legacy_des.pem");
    const PUBLIC: &str = fixture!("public.pem");
    const PUBLIC_RSA: &str = fixture!("public_rsa.pem");
    const EC: &str = fixture!("ec.pem");
    const ED25519: &str = fixture!("ed25519.pem");
    const OPENSSH: &str = fixture!("openssh_ed25519.pem");
    const SSH_PUBLIC: &str = fixture!("openssh_ed25519.pub");
    const DOC_1024: &str = fixture!("doc_1024.pem");

    /// `openssl rsa -pubout -outform DER -in pkcs1.pem | openssl md5 -c`
    const FINGERPRINT: &str = "24:95:79:4c:74:08:af:f9:05:3d:5f:a7:19:8e:39:97";
    const PASS: Option<&[u8]> = Some(b"secret");

    fn load(pem: &str, passphrase: Option<&[u8]>) -> Result<PrivateKey, KeyError> {
        PrivateKey::from_pem(pem, passphrase, "test.pem")
    }

    fn kind(pem: &str, passphrase: Option<&[u8]>) -> KeyErrorKind {
        load(pem, passphrase).unwrap_err().kind().clone()
    }

    #[test]
    fn every_form_gives_the_same_key() {
        let cases: [(&str, &str, Option<&[u8]>); 10] = [
            ("pkcs1", PKCS1, None),
            ("pkcs8", PKCS8, None),
            ("pkcs8 encrypted pbkdf2", PKCS8_ENCRYPTED, PASS),
            ("pkcs8 encrypted scrypt", PKCS8_ENCRYPTED_SCRYPT, PASS),
            ("legacy aes128", LEGACY_AES128, PASS),
            ("legacy aes192", LEGACY_AES192, PASS),
            ("legacy aes256", LEGACY_AES256, PASS),
            ("legacy des3", LEGACY_DES3, PASS),
            ("legacy des", LEGACY_DES, PASS),
            ("pkcs1, passphrase ignored", PKCS1, PASS),
        ];
        let reference = load(PKCS1, None).unwrap();
        for (name, pem, pass) in cases {
            let key = load(pem, pass).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(key.fingerprint(), FINGERPRINT, "{name}");
            assert_eq!(key.bits(), 2048, "{name}");
            assert_eq!(key.rsa(), reference.rsa(), "{name}");
        }
    }

    #[test]
    fn crlf_whitespace_and_console_trailer_are_tolerated() {
        let crlf = format!(
            "\u{feff}\r\n  {}OCI_API_KEY\r\n\r\n",
            PKCS1.replace('\n', "\r\n")
        );
        assert_eq!(load(&crlf, None).unwrap().fingerprint(), FINGERPRINT);
        let legacy_crlf = format!("{}OCI_API_KEY\r\n", LEGACY_AES256.replace('\n', "\r\n"));
        assert_eq!(load(&legacy_crlf, PASS).unwrap().fingerprint(), FINGERPRINT);
        let pkcs8_indented = PKCS8_ENCRYPTED.replace('\n', "\n   ");
        assert_eq!(
            load(&pkcs8_indented, PASS).unwrap().fingerprint(),
            FINGERPRINT
        );
    }

    #[test]
    fn official_doc_key_fingerprint() {
        let key = load(DOC_1024, None).unwrap();
        assert_eq!(
            key.fingerprint(),
            "73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7"
        );
        assert_eq!(key.bits(), 1024);
    }

    #[test]
    fn public_key_matches_openssl() {
        let key = load(PKCS1, None).unwrap();
        assert_eq!(key.public_key_pem(), PUBLIC);
        let der = decode_body(next_pem_block(PUBLIC).unwrap().0.unwrap().body).unwrap();
        assert_eq!(key.public_key_der(), der.as_slice());
    }

    #[test]
    fn exports_round_trip() {
        let key = load(LEGACY_DES3, PASS).unwrap();
        let pkcs1 = key.to_pkcs1_der().unwrap();
        let openssl_pkcs1 = decode_body(next_pem_block(PKCS1).unwrap().0.unwrap().body).unwrap();
        assert_eq!(pkcs1.as_slice(), openssl_pkcs1.as_slice());
        let pkcs8 = key.to_pkcs8_pem().unwrap();
        assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert_eq!(load(&pkcs8, None).unwrap().fingerprint(), FINGERPRINT);
    }

    #[test]
    fn missing_passphrase() {
        for pem in [
            PKCS8_ENCRYPTED,
            PKCS8_ENCRYPTED_SCRYPT,
            LEGACY_AES128,
            LEGACY_AES256,
            LEGACY_DES3,
        ] {
            assert_eq!(kind(pem, None), KeyErrorKind::PassphraseMissing);
        }
    }

    #[test]
    fn wrong_passphrase() {
        for pem in [
            PKCS8_ENCRYPTED,
            LEGACY_AES128,
            LEGACY_AES256,
            LEGACY_DES3,
            LEGACY_DES,
        ] {
            for wrong in [
                &b"Secret"[..],
                b"",
                b"secret ",
                b"correct horse battery staple",
            ] {
                assert_eq!(kind(pem, Some(wrong)), KeyErrorKind::PassphraseWrong);
            }
        }
        assert_eq!(
            kind(PKCS8_ENCRYPTED_SCRYPT, Some(b"nope")),
            KeyErrorKind::PassphraseWrong
        );
    }

    #[test]
    fn passphrase_never_in_errors() {
        let pass = b"hunter2-very-private";
        for pem in [
            PKCS8_ENCRYPTED,
            LEGACY_AES128,
            PKCS8_ENCRYPTED_SHA1,
            PUBLIC,
            "garbage",
        ] {
            let err = load(pem, Some(pass)).unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(!text.contains("hunter2"), "{text}");
        }
    }

    #[test]
    fn public_keys_are_diagnosed() {
        assert_eq!(kind(PUBLIC, None), KeyErrorKind::PublicKeyGiven);
        assert_eq!(kind(PUBLIC_RSA, None), KeyErrorKind::PublicKeyGiven);
        assert_eq!(kind(SSH_PUBLIC, None), KeyErrorKind::PublicKeyGiven);
        assert_eq!(
            kind("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host\n", None),
            KeyErrorKind::PublicKeyGiven
        );
        let err = load(PUBLIC, None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("key test.pem: this is a public key"),
            "{err}"
        );
    }

    #[test]
    fn other_key_types_are_diagnosed() {
        let unsupported = |found: &str| KeyErrorKind::UnsupportedKeyType {
            found: found.to_owned(),
        };
        assert_eq!(kind(EC, None), unsupported("EC"));
        assert_eq!(kind(ED25519, None), unsupported("Ed25519"));
        assert_eq!(kind(OPENSSH, None), unsupported("OpenSSH"));
        let dsa = "-----BEGIN DSA PRIVATE KEY-----\nMAA=\n-----END DSA PRIVATE KEY-----\n";
        assert_eq!(kind(dsa, None), unsupported("DSA"));
        let ec_with_params =
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
                .to_owned()
                + EC;
        assert_eq!(kind(&ec_with_params, None), unsupported("EC"));
        assert_eq!(
            kind("PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\n", None),
            unsupported("PuTTY (.ppk)")
        );
        let err = load(OPENSSH, None).unwrap_err();
        assert!(err.to_string().contains("ssh-keygen -p -m PEM"), "{err}");
    }

    #[test]
    fn unsupported_encryption_is_named() {
        match kind(PKCS8_ENCRYPTED_SHA1, PASS) {
            KeyErrorKind::UnsupportedEncryption { algorithm } => {
                assert_eq!(algorithm, "PBES2 with HMAC-SHA1");
            }
            other => panic!("{other:?}"),
        }
        match kind(PKCS8_ENCRYPTED_PKCS12, PASS) {
            KeyErrorKind::UnsupportedEncryption { algorithm } => {
                assert_eq!(algorithm, "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC");
            }
            other => panic!("{other:?}"),
        }
        let camellia = LEGACY_AES128.replace("AES-128-CBC", "CAMELLIA-128-CBC");
        assert_eq!(
            kind(&camellia, PASS),
            KeyErrorKind::UnsupportedEncryption {
                algorithm: "CAMELLIA-128-CBC".into()
            }
        );
    }

    #[test]
    fn garbage_and_damage() {
        assert_eq!(kind("hello world", None), KeyErrorKind::NotPem);
        assert_eq!(
            kind("MIIEogIBAAKCAQEAv9IQ7qeWokO+kwpOeJ6g", None),
            KeyErrorKind::NotPem
        );
        assert!(matches!(kind("  \n", None), KeyErrorKind::Malformed { .. }));

        let truncated = &PKCS1[..PKCS1.len() / 2];
        let KeyErrorKind::Malformed { reason } = kind(truncated, None) else {
            panic!("truncated key accepted");
        };
        assert!(reason.contains("truncated"), "{reason}");

        let bad_base64 = PKCS1.replacen("MII", "M*I", 1);
        assert!(matches!(
            kind(&bad_base64, None),
            KeyErrorKind::Malformed { .. }
        ));

        let mismatched = PKCS1.replace("END RSA PRIVATE KEY", "END PRIVATE KEY");
        assert!(matches!(
            kind(&mismatched, None),
            KeyErrorKind::Malformed { .. }
        ));

        // Valid base64 of a damaged DER body.
        let damaged = PKCS1.replacen("MIIEog", "MIIEoA", 1);
        assert!(matches!(
            kind(&damaged, None),
            KeyErrorKind::Malformed { .. }
        ));

        let no_dek = LEGACY_AES128
            .lines()
            .filter(|l| !l.starts_with("DEK-Info"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(matches!(
            kind(&no_dek, PASS),
            KeyErrorKind::Malformed { .. }
        ));
        let short_iv = LEGACY_AES128.replace("AES-128-CBC,", "AES-128-CBC,00");
        assert!(matches!(
            kind(&short_iv, PASS),
            KeyErrorKind::Malformed { .. }
        ));
    }

    #[test]
    fn debug_shows_no_key_material() {
        let key = load(PKCS1, None).unwrap();
        let debug = format!("{key:?}");
        assert!(
            debug.contains("test.pem") && debug.contains(FINGERPRINT),
            "{debug}"
        );
        let body_line = PKCS1.lines().nth(5).unwrap();
        assert!(!debug.contains(body_line));
        // Neither the modulus nor any private component in decimal or hex.
        use rsa::traits::PrivateKeyParts as _;
        for part in [key.rsa().n(), key.rsa().d(), &key.rsa().primes()[0]] {
            assert!(!debug.contains(&part.to_string()));
            assert!(!debug.contains(&format!("{part:x}")[..16]));
        }
        assert!(debug.len() < 200, "{debug}");
    }

    #[test]
    fn key_error_display_names_the_source() {
        let err = PrivateKey::from_pem(PKCS8_ENCRYPTED, None, "/home/u/.oci/key.pem").unwrap_err();
        assert_eq!(err.source_name(), "/home/u/.oci/key.pem");
        assert_eq!(
            err.to_string(),
            "key /home/u/.oci/key.pem: the key is encrypted and no passphrase was given; set \
             `pass_phrase` in the config profile"
        );
    }

    #[test]
    fn evp_bytes_to_key_matches_openssl() {
        // `openssl enc -aes-256-cbc -P -md md5 -pass pass:secret -S 0001020304050607`
        let key = evp_bytes_to_key(b"secret", &[0, 1, 2, 3, 4, 5, 6, 7], 32);
        let hex: String = key.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(hex, EVP_AES256_KEY);
    }
    const EVP_AES256_KEY: &str = "035FB8145B73CF111570DC936112BE9C375A5D3D8B915BC213BDBEF9DBFB7851";

    #[cfg(feature = "fs")]
    #[test]
    fn from_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("oci_api_key.pem");
        std::fs::write(&path, LEGACY_AES128).unwrap();
        let key = PrivateKey::from_file(&path, PASS).unwrap();
        assert_eq!(key.fingerprint(), FINGERPRINT);
        assert_eq!(key.source(), path.display().to_string());

        let missing = dir.path().join("nope.pem");
        let err = PrivateKey::from_file(&missing, None).unwrap_err();
        assert!(matches!(err.kind(), KeyErrorKind::Unreadable { .. }));
        assert_eq!(err.source_name(), missing.display().to_string());

        let binary = dir.path().join("key.der");
        std::fs::write(&binary, [0x30u8, 0x82, 0xff, 0xfe]).unwrap();
        assert_eq!(
            PrivateKey::from_file(&binary, None).unwrap_err().kind(),
            &KeyErrorKind::NotPem
        );
    }
}

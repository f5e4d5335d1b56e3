//! Loading keys end to end through [`PrivateKey`]: every PEM form, the exports, and the
//! diagnoses of wrong inputs.

#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../../tests/fixtures/keys/", $name))
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
        "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n".to_owned()
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

/// Every 16-character run of the key's base64 body: none may appear in any error text.
fn secret_runs(pem: &str) -> Vec<String> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.contains(':') && !l.trim().is_empty())
        .collect();
    let chars: Vec<char> = body.chars().collect();
    chars
        .windows(16)
        .step_by(8)
        .map(|w| w.iter().collect())
        .collect()
}

/// Every way a PEM file can be damaged, for `pem` (a private key): the key's text is never
/// quoted by the error, in `Display` or `Debug`.
fn damaged_shapes(pem: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = pem.lines().collect();
    let begin = lines[0];
    let end = lines[lines.len() - 1];
    let body: Vec<&str> = lines[1..lines.len() - 1].to_vec();
    let b64: Vec<&str> = body
        .iter()
        .copied()
        .filter(|l| l.len() >= 40 && !l.contains(':'))
        .collect();
    let joined = |v: &[&str]| v.join("\n");
    let mut out = vec![
        (
            "BEGIN without trailing dashes".to_string(),
            pem.replacen(begin, begin.trim_end_matches('-'), 1),
        ),
        (
            "END without trailing dashes".into(),
            pem.replacen(end, end.trim_end_matches('-'), 1),
        ),
        ("no END line".into(), joined(&lines[..lines.len() - 1])),
        (
            "body on the BEGIN line".into(),
            pem.replacen(&format!("{begin}\n"), begin, 1),
        ),
        (
            "label replaced by base64".into(),
            pem.replacen("PRIVATE KEY", b64[0], 2),
        ),
        (
            "mismatched END label".into(),
            pem.replacen(end, &format!("-----END {}-----", &b64[1][..20]), 1),
        ),
        (
            "damaged base64".into(),
            pem.replacen(&b64[2][..10], "!!!!!!!!!!", 1),
        ),
        (
            "truncated body".into(),
            format!("{begin}\n{}\n{end}", joined(&body[..body.len() / 2])),
        ),
        ("no BEGIN line".into(), joined(&lines[1..])),
        ("body only".into(), joined(&body)),
        (
            "body in a header".into(),
            format!(
                "{begin}\nProc-Type: 4,ENCRYPTED\nDEK-Info: {},00\n\n{}\n{end}",
                b64[0],
                joined(&body)
            ),
        ),
        (
            "two BEGIN lines".into(),
            format!("{begin}\n{begin}\n{}\n{end}", joined(&body)),
        ),
        (
            "END before BEGIN".into(),
            format!("{end}\n{}\n{begin}", joined(&body)),
        ),
        ("a single line".into(), pem.replace('\n', "")),
        (
            "CR line ends and a cut BEGIN".into(),
            pem.replace('\n', "\r\n").replacen("-----\r\n", "\r\n", 1),
        ),
    ];
    // Each line in turn missing.
    for i in 0..lines.len() {
        let mut v = lines.clone();
        v.remove(i);
        out.push((format!("line {i} missing"), joined(&v)));
    }
    out
}

#[test]
fn no_error_quotes_the_key() {
    for (name, pem, passphrase) in [
        ("pkcs1", PKCS1, None),
        ("pkcs8", PKCS8, None),
        ("encrypted pkcs8", PKCS8_ENCRYPTED, Some("wrong")),
        ("legacy aes256", LEGACY_AES256, Some("wrong")),
    ] {
        let runs = secret_runs(pem);
        assert!(runs.len() > 50, "{name}: the test needs the key's body");
        for (shape, text) in damaged_shapes(pem) {
            let Err(err) = PrivateKey::from_pem(&text, passphrase.map(str::as_bytes), "key.pem")
            else {
                continue;
            };
            let shown = format!("{err} {err:?}");
            for run in &runs {
                assert!(
                    !shown.contains(run.as_str()),
                    "{name} / {shape}: the error quotes the key ({run}): {shown}"
                );
            }
        }
    }
}

/// An encrypted PKCS#8 PEM whose KDF asks for `kdf` (the data is never decrypted).
fn encrypted_with(kdf: pkcs8::pkcs5::pbes2::Kdf<'_>) -> String {
    use pkcs8::der::Encode as _;
    use pkcs8::pkcs5::{EncryptionScheme, pbes2};
    let iv = [7u8; 16];
    let info = pkcs8::EncryptedPrivateKeyInfo {
        encryption_algorithm: EncryptionScheme::Pbes2(pbes2::Parameters {
            kdf,
            encryption: pbes2::EncryptionScheme::Aes256Cbc { iv: &iv },
        }),
        encrypted_data: &[0u8; 64],
    };
    let der = info.to_der().unwrap();
    ::pem::encode(&::pem::Pem::new("ENCRYPTED PRIVATE KEY", der))
}

#[test]
fn costly_key_derivation_is_refused_before_it_runs() {
    use pkcs8::pkcs5::pbes2::{Kdf, Pbkdf2Params, Pbkdf2Prf, ScryptParams};
    let salt = [1u8; 16];
    let pbkdf2 = |iteration_count| {
        Kdf::Pbkdf2(Pbkdf2Params {
            salt: &salt,
            iteration_count,
            key_length: None,
            prf: Pbkdf2Prf::HmacWithSha256,
        })
    };
    let scrypt = |n, r, p| {
        Kdf::Scrypt(ScryptParams {
            salt: &salt,
            cost_parameter: n,
            block_size: r,
            parallelization: p,
            key_length: None,
        })
    };
    for (what, kdf) in [
        ("4e9 PBKDF2 iterations", pbkdf2(4_000_000_000)),
        ("0 PBKDF2 iterations", pbkdf2(0)),
        ("scrypt N = 0", scrypt(0, 8, 1)),
        ("scrypt N = 1", scrypt(1, 8, 1)),
        ("scrypt N not a power of two", scrypt(1000, 8, 1)),
        ("scrypt 1 TiB", scrypt(1 << 30, 8, 1)),
        ("scrypt r = 0", scrypt(1 << 14, 0, 1)),
        ("scrypt p = 60000", scrypt(1 << 14, 8, 60_000)),
    ] {
        let started = std::time::Instant::now();
        let err = PrivateKey::from_pem(&encrypted_with(kdf), Some(b"pass"), "k.pem").unwrap_err();
        assert!(
            matches!(err.kind(), KeyErrorKind::EncryptionTooCostly { .. }),
            "{what}: {err}"
        );
        assert!(err.to_string().contains("re-encrypt"), "{what}: {err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{what}"
        );
    }
    // What OpenSSL writes is fine (and then merely the wrong passphrase).
    let err =
        PrivateKey::from_pem(&encrypted_with(pbkdf2(2048)), Some(b"pass"), "k.pem").unwrap_err();
    assert!(
        !matches!(err.kind(), KeyErrorKind::EncryptionTooCostly { .. }),
        "{err}"
    );
    let err = PrivateKey::from_pem(&encrypted_with(scrypt(1 << 14, 8, 1)), Some(b"p"), "k.pem")
        .unwrap_err();
    assert!(
        !matches!(err.kind(), KeyErrorKind::EncryptionTooCostly { .. }),
        "{err}"
    );
}

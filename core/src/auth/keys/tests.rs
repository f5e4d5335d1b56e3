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

//! Naming what was given instead of an RSA private key: a public key or certificate, an SSH or
//! PuTTY key, or a private key of another algorithm.

use super::KeyErrorKind;

pub(super) fn unsupported(found: &str) -> KeyErrorKind {
    KeyErrorKind::UnsupportedKeyType {
        found: found.to_owned(),
    }
}

pub(super) fn diagnose_other_label(label: &str) -> KeyErrorKind {
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

pub(super) fn diagnose_non_pem(text: &str) -> KeyErrorKind {
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

pub(super) fn key_algorithm_name(oid: &str) -> &str {
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

//! The little of X.509 an instance principal needs: a certificate's DER from its PEM, the
//! tenancy named in its subject (`OU=opc-tenant:<ocid>` or `opc-identity:<ocid>`), and its
//! fingerprint for the federation keyId.
//!
//! A hand-written DER walk rather than a certificate crate: the client never validates the
//! chain (the auth service does), it only reads one attribute of the subject, and a reader of
//! a few dozen lines keeps the wasm32 build free of another dependency tree.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

/// Why a certificate could not be read. Never quotes the certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Not a PEM `CERTIFICATE` block, or not DER inside.
    #[error("the {what} is not a PEM certificate: {reason}")]
    Malformed {
        /// Which certificate (`leaf certificate from IMDS`, …).
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The subject names no tenancy.
    #[error(
        "the {what}'s subject has no `opc-tenant:<tenancy ocid>` (or `opc-identity:`) attribute: it is not an OCI instance certificate"
    )]
    NoTenancy {
        /// Which certificate.
        what: &'static str,
    },
}

/// The DER of the first `CERTIFICATE` block of `pem`.
pub fn pem_to_der(pem: &str, what: &'static str) -> Result<Vec<u8>, CertificateError> {
    let malformed = |reason| CertificateError::Malformed { what, reason };
    let body = pem_body(pem).ok_or_else(|| malformed("no -----BEGIN CERTIFICATE----- block"))?;
    B64.decode(body.as_bytes())
        .map_err(|_| malformed("its body is not base64"))
}

/// The `-----BEGIN CERTIFICATE-----` blocks of `pem`, each whole.
pub fn certificate_blocks(pem: &str) -> Vec<String> {
    const END: &str = "-----END CERTIFICATE-----";
    pem.split_inclusive(END)
        .filter(|b| b.contains("-----BEGIN CERTIFICATE-----"))
        .map(str::to_string)
        .collect()
}

/// The base64 body of the first `CERTIFICATE` block, on one line (the form the federation
/// request carries certificates in).
pub fn pem_body(pem: &str) -> Option<String> {
    let start = pem.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
    let end = pem[start..].find("-----END CERTIFICATE-----")? + start;
    Some(
        pem[start..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    )
}

/// SHA-256 of the certificate's DER, upper-case hex pairs joined by `:`.
pub fn sha256_fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    let mut out = String::with_capacity(digest.len() * 3);
    for (i, b) in digest.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{b:02X}"));
    }
    out
}

/// One DER element: its tag, its contents and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
/// 2.5.4.11, organizationalUnitName.
const OU: &[u8] = &[0x55, 0x04, 0x0b];

/// The tenancy OCID in the subject of the certificate `der`: the value after `opc-tenant:` (or
/// `opc-identity:`) of an OU attribute.
pub fn tenancy_from_subject(der: &[u8], what: &'static str) -> Result<String, CertificateError> {
    let malformed = |reason| CertificateError::Malformed { what, reason };
    let subject = subject(der).ok_or_else(|| malformed("its DER is not an X.509 certificate"))?;
    let mut rdns = subject;
    while !rdns.is_empty() {
        let (tag, set, rest) = element(rdns).ok_or_else(|| malformed("its subject is not DER"))?;
        rdns = rest;
        if tag != SET {
            continue;
        }
        let mut attrs = set;
        while let Some((_, attr, rest)) = element(attrs) {
            attrs = rest;
            let Some((OID, oid, value)) = element(attr) else {
                continue;
            };
            if oid != OU {
                continue;
            }
            // PrintableString, UTF8String, IA5String…: the value's bytes are its text.
            let Some((_, text, _)) = element(value) else {
                continue;
            };
            let Ok(text) = core::str::from_utf8(text) else {
                continue;
            };
            for prefix in ["opc-tenant:", "opc-identity:"] {
                if let Some(ocid) = text.strip_prefix(prefix)
                    && !ocid.is_empty()
                {
                    return Ok(ocid.to_string());
                }
            }
        }
    }
    Err(CertificateError::NoTenancy { what })
}

/// The contents of the subject Name of the certificate `der`.
fn subject(der: &[u8]) -> Option<&[u8]> {
    let (SEQUENCE, cert, _) = element(der)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = element(cert)? else {
        return None;
    };
    let mut rest = tbs;
    // [0] version is optional; then serial, signature algorithm, issuer, validity, subject.
    let (tag, _, after) = element(rest)?;
    if tag == 0xa0 {
        rest = after;
    }
    for _ in 0..4 {
        rest = element(rest)?.2;
    }
    match element(rest)? {
        (SEQUENCE, subject, _) => Some(subject),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A DER TLV, for building test certificates.
    pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend([0x81, len as u8]);
        } else {
            out.extend([0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    fn cert_with_ou(ou: &str) -> Vec<u8> {
        let attr = |oid: &[u8], v: &str| {
            tlv(
                SET,
                &tlv(SEQUENCE, &[tlv(OID, oid), tlv(0x0c, v.as_bytes())].concat()),
            )
        };
        let name = tlv(
            SEQUENCE,
            &[attr(&[0x55, 0x04, 0x03], "instance"), attr(OU, ou)].concat(),
        );
        let tbs = tlv(
            SEQUENCE,
            &[
                tlv(0xa0, &tlv(0x02, &[2])),
                tlv(0x02, &[1]),
                tlv(SEQUENCE, &tlv(OID, &[0x2a])),
                tlv(SEQUENCE, &[]),
                tlv(SEQUENCE, &[]),
                name,
            ]
            .concat(),
        );
        tlv(
            SEQUENCE,
            &[tbs, tlv(SEQUENCE, &[]), tlv(0x03, &[0])].concat(),
        )
    }

    #[test]
    fn reads_the_tenancy_from_the_subject() {
        let der = cert_with_ou("opc-tenant:ocid1.tenancy.oc1..aaa");
        assert_eq!(
            tenancy_from_subject(&der, "leaf").unwrap(),
            "ocid1.tenancy.oc1..aaa"
        );
        let der = cert_with_ou("opc-identity:ocid1.tenancy.oc1..bbb");
        assert_eq!(
            tenancy_from_subject(&der, "leaf").unwrap(),
            "ocid1.tenancy.oc1..bbb"
        );
        let err = tenancy_from_subject(&cert_with_ou("opc-instance:x"), "leaf").unwrap_err();
        assert!(matches!(err, CertificateError::NoTenancy { .. }), "{err}");
        assert!(tenancy_from_subject(&[0x30, 0x85, 1], "leaf").is_err());
        assert!(tenancy_from_subject(&der[..der.len() / 2], "leaf").is_err());
    }

    #[test]
    fn pem_round_trip_and_fingerprint() {
        let der = cert_with_ou("opc-tenant:t");
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            B64.encode(&der)
        );
        assert_eq!(pem_to_der(&pem, "leaf").unwrap(), der);
        assert!(pem_to_der("nope", "leaf").is_err());
        let fp = sha256_fingerprint(&der);
        assert_eq!(fp.len(), 32 * 3 - 1);
        assert_eq!(fp, fp.to_uppercase());
    }
}

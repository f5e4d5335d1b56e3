//! What the token-principal tests share: a virtual clock's start, JWTs the client can read an
//! `exp` from, a certificate skeleton with a chosen subject, and the keyId a request was
//! signed with.
// Each test file is a crate of its own and uses part of this.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};

/// The virtual clock's start: 2023-11-14T22:13:20Z.
pub const T0: u64 = 1_700_000_000;

/// `secs` after [`T0`].
pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0 + secs)
}

/// A JWT issued `iat` and expiring `exp` seconds after [`T0`], with `fields` (`,"k":v…`, or
/// nothing) after those two claims; its signature is a placeholder nobody checks.
pub fn jwt(iat: u64, exp: u64, fields: &str) -> String {
    format!(
        "{}.{}.{}",
        B64URL.encode(br#"{"alg":"RS256"}"#),
        B64URL.encode(format!(
            r#"{{"iat":{},"exp":{}{fields}}}"#,
            T0 + iat,
            T0 + exp
        )),
        B64URL.encode("sig")
    )
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// A certificate skeleton whose subject has `OU=<ou>`: all the client reads.
pub fn cert_pem(ou: &str) -> String {
    let ou_attr = tlv(
        0x31,
        &tlv(
            0x30,
            &[tlv(0x06, &[0x55, 0x04, 0x0b]), tlv(0x0c, ou.as_bytes())].concat(),
        ),
    );
    let tbs = tlv(
        0x30,
        &[
            tlv(0xa0, &tlv(0x02, &[2])),
            tlv(0x02, &[7]),
            tlv(0x30, &tlv(0x06, &[0x2a])),
            tlv(0x30, &[]),
            tlv(0x30, &[]),
            tlv(0x30, &ou_attr),
        ]
        .concat(),
    );
    let der = tlv(0x30, &[tbs, tlv(0x30, &[]), tlv(0x03, &[0])].concat());
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        B64.encode(der)
    )
}

/// The keyId of the request's `authorization` header.
pub fn key_id<B>(req: &http::Request<B>) -> String {
    let auth = req.headers()["authorization"].to_str().unwrap();
    let start = auth.find("keyId=\"").unwrap() + 7;
    auth[start..].split('"').next().unwrap().to_string()
}

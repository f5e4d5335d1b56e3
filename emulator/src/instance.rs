//! Instance principals: the instance metadata service (IMDS v2, `GET /opc/v2/...` with
//! `Authorization: Bearer Oracle`) and the auth service's federation endpoint (`POST /v1/x509`),
//! served beside the services on the emulator's address.
//!
//! The instance's leaf certificate is self-issued and CA-less: a real X.509 structure whose
//! subject carries `OU=opc-tenant:<tenancy>` (what clients read the tenancy from) and whose
//! signature is random bytes, since no client validates the chain (the auth service does, and
//! here the auth service is the emulator, which knows the certificate it served). The leaf keys
//! are two fixed test keys shipped with the crate, for the same reason as the API test key
//! (generating RSA keys is slow unoptimised); rotating alternates between them.
//!
//! A federation request is verified as any signed request is: the leaf key is registered under
//! the keyIds `<tenancy>/fed-x509-sha256/<SHA-256 of the leaf>` and `<tenancy>/fed-x509/<SHA-1
//! of the leaf>` (the official Python SDK's form), so the signature check is the ordinary one. The reply is a session token (issued as the refresh endpoint issues them)
//! bound to the request's `publicKey`.

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;
use rsa::RsaPublicKey;
use rsa::pkcs8::EncodePublicKey;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::auth::{KeyRegistry, Verified};
use crate::keys::parse_public_pem;
use crate::state::{ApiError, Reply};

/// The federation endpoint's path.
pub(crate) const FEDERATION_PATH: &str = "/v1/x509";

/// The operation name of the federation in stats and logs.
pub(crate) const FEDERATION_OPERATION: &str = "FederateInstancePrincipal";

/// The operation name of IMDS reads in stats and logs.
pub(crate) const IMDS_OPERATION: &str = "InstanceMetadata";

/// The prefix of IMDS v2 paths.
pub(crate) const IMDS_PREFIX: &str = "/opc/v2/";

/// The second path segment of federation keyIds, which the API-key registry holds them under.
const FED_SEGMENT: &str = "fed-x509-sha256";

/// The same with the leaf's SHA-1 fingerprint: the official Python SDK (2.189.0,
/// `oci/auth/federation_client.py`) signs its federation as `<tenancy>/fed-x509/<SHA-1 of the
/// leaf, upper-case colon hex>`, while the Go SDK uses `fed-x509-sha256/<SHA-256>`; the auth
/// service accepts both, so the emulator registers the leaf under both keyIds.
const FED_SEGMENT_SHA1: &str = "fed-x509";

const KEYS: [(&str, &str); 2] = [
    (
        include_str!("instance_key_a.pem"),
        include_str!("instance_key_a.pub.pem"),
    ),
    (
        include_str!("instance_key_b.pem"),
        include_str!("instance_key_b.pub.pem"),
    ),
];

/// The instance identity IMDS serves now.
pub(crate) struct InstanceIdentity {
    /// Which of [`KEYS`] the leaf uses.
    key_index: usize,
    /// The leaf certificate, PEM.
    pub leaf_pem: String,
    /// Its body (base64 DER on one line), as the federation request carries it.
    leaf_body: String,
    /// The intermediate certificate, PEM.
    pub intermediate_pem: String,
    /// The federation keyIds this leaf signs with (SHA-256 and SHA-1 forms).
    key_ids: [String; 2],
    /// Leaves issued so far (1 for the first).
    pub serial: u64,
}

impl InstanceIdentity {
    /// The leaf private key PEM (served at `/identity/key.pem`).
    pub(crate) fn key_pem(&self) -> &'static str {
        KEYS[self.key_index].0
    }
}

/// A DER element.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
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

/// A Name of (OID, UTF8String) attributes, one per RDN.
fn name(attrs: &[(&[u8], &str)]) -> Vec<u8> {
    let rdns: Vec<u8> = attrs
        .iter()
        .flat_map(|(oid, value)| {
            tlv(
                0x31,
                &tlv(
                    0x30,
                    &[tlv(0x06, oid), tlv(0x0c, value.as_bytes())].concat(),
                ),
            )
        })
        .collect();
    tlv(0x30, &rdns)
}

const CN: &[u8] = &[0x55, 0x04, 0x03];
const OU: &[u8] = &[0x55, 0x04, 0x0b];
/// sha256WithRSAEncryption.
const SHA256_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];

/// A self-issued certificate for `public` with `subject`, its signature random bytes.
fn certificate(
    rng: &mut ChaCha20Rng,
    serial: u64,
    subject: &[(&[u8], &str)],
    public: &RsaPublicKey,
) -> Result<Vec<u8>, String> {
    let spki = public
        .to_public_key_der()
        .map_err(|e| format!("cannot encode the leaf public key: {e}"))?;
    let alg = tlv(0x30, &[tlv(0x06, SHA256_RSA), vec![0x05, 0x00]].concat());
    // A positive INTEGER in DER's minimal form (strict parsers, such as the `cryptography`
    // package the official Python SDK reads certificates with, refuse redundant leading zero
    // bytes): no leading zeros, but one zero byte when the top bit would read as a sign.
    let bytes = serial.to_be_bytes();
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut content = bytes[first..].to_vec();
    if content[0] & 0x80 != 0 {
        content.insert(0, 0);
    }
    let serial = tlv(0x02, &content);
    let validity = tlv(
        0x30,
        &[tlv(0x17, b"250101000000Z"), tlv(0x17, b"491231235959Z")].concat(),
    );
    let issuer = name(&[(CN, "ocisdk-emulator instance CA")]);
    let tbs = tlv(
        0x30,
        &[
            tlv(0xa0, &tlv(0x02, &[2])),
            serial,
            alg.clone(),
            issuer,
            validity,
            name(subject),
            spki.as_bytes().to_vec(),
        ]
        .concat(),
    );
    let mut signature = vec![0u8; 257];
    rng.fill_bytes(&mut signature[1..]);
    Ok(tlv(0x30, &[tbs, alg, tlv(0x03, &signature)].concat()))
}

fn pem(der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Issues leaf number `serial` (key alternating between the two test keys) for `tenancy`, with
/// `OU=opc-tenant:<tenancy>` in its subject unless `tenancy_in_subject` is false, and registers
/// its federation keyId in `keys` (replacing the previous leaf's, `previous`).
pub(crate) fn issue_identity(
    keys: &mut KeyRegistry,
    rng: &mut ChaCha20Rng,
    tenancy: &str,
    serial: u64,
    tenancy_in_subject: bool,
    previous: Option<&InstanceIdentity>,
) -> Result<InstanceIdentity, String> {
    let key_index = usize::try_from(serial.saturating_sub(1) % 2).unwrap_or(0);
    let public = parse_public_pem(KEYS[key_index].1).map_err(|e| e.to_string())?;
    let tenant = format!("opc-tenant:{tenancy}");
    let mut subject: Vec<(&[u8], &str)> = vec![
        (CN, "ocid1.instance.oc1..emulator"),
        (OU, "opc-certtype:instance"),
        (OU, "opc-compartment:ocid1.compartment.oc1..emulator"),
    ];
    if tenancy_in_subject {
        subject.push((OU, &tenant));
    }
    let leaf = certificate(rng, serial, &subject, &public)?;
    let ca_public = crate::keys::test_key().map_err(|e| e.to_string())?.public;
    let intermediate = certificate(rng, 1, &[(CN, "ocisdk-emulator instance CA")], &ca_public)?;
    let colon_hex = |digest: &[u8]| {
        digest
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    let key_ids = [
        format!(
            "{tenancy}/{FED_SEGMENT}/{}",
            colon_hex(&Sha256::digest(&leaf))
        ),
        format!(
            "{tenancy}/{FED_SEGMENT_SHA1}/{}",
            colon_hex(&sha1::Sha1::digest(&leaf))
        ),
    ];
    if let Some(previous) = previous {
        for key_id in &previous.key_ids {
            keys.api_keys.remove(key_id);
        }
    }
    for key_id in &key_ids {
        keys.api_keys.insert(key_id.clone(), public.clone());
    }
    Ok(InstanceIdentity {
        key_index,
        leaf_body: B64.encode(&leaf),
        leaf_pem: pem(&leaf),
        intermediate_pem: pem(&intermediate),
        key_ids,
        serial,
    })
}

/// Serves an IMDS v2 read (`path` after `/opc/v2/`), which needs `Authorization: Bearer
/// Oracle` as on a real instance.
pub(crate) fn serve_imds(
    path: &str,
    headers: &HeaderMap,
    region: &str,
    identity: &InstanceIdentity,
) -> Reply {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "Bearer Oracle");
    if !bearer {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "NotAuthenticated",
            "IMDS v2 requires the header `Authorization: Bearer Oracle`",
        )
        .into_reply();
    }
    let text = match path {
        "instance/region" => region.to_string(),
        "instance/id" => crate::session::INSTANCE_ID.to_string(),
        "identity/cert.pem" => identity.leaf_pem.clone(),
        "identity/key.pem" => identity.key_pem().to_string(),
        "identity/intermediate.pem" => identity.intermediate_pem.clone(),
        _ => {
            return ApiError::new(
                StatusCode::NOT_FOUND,
                "NotFound",
                "no such instance metadata path",
            )
            .into_reply();
        }
    };
    Reply::empty(StatusCode::OK)
        .header("content-type", "text/plain")
        .with_body(text.into_bytes().into())
}

/// Whether the request was signed with an instance leaf key (a federation keyId).
pub(crate) fn is_federation_key(verified: &Verified) -> bool {
    verified.principal.token.is_none()
        && matches!(
            verified.principal.user.as_deref(),
            Some(FED_SEGMENT | FED_SEGMENT_SHA1)
        )
}

/// Serves a verified federation request: signed by the current leaf (its keyId), carrying that
/// leaf as `certificate` and a session `publicKey`. Returns the reply and whether a token was
/// issued. (The arguments are the locked parts of the app and the request's facts, as for
/// the refresh endpoint; bundling them would only add a struct used once.)
#[allow(clippy::too_many_arguments)]
pub(crate) fn federate(
    keys: &mut KeyRegistry,
    rng: &mut ChaCha20Rng,
    verified: &Verified,
    identity: &InstanceIdentity,
    body: &[u8],
    tenancy: &str,
    now: SystemTime,
    lifetime: Duration,
) -> (Reply, bool) {
    let refuse = |status, code, message: &str| {
        (
            ApiError::new(status, code, message.to_string()).into_reply(),
            false,
        )
    };
    // Only the current leaf's keyId is registered (rotation removes the previous one), so a
    // verified federation keyId is the current leaf's.
    if !is_federation_key(verified) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "NotAuthenticated",
            "the federation must be signed with the current instance leaf key as keyId <tenancy>/fed-x509-sha256/<leaf SHA-256> or <tenancy>/fed-x509/<leaf SHA-1>",
        );
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "CannotParseRequest",
            "the request body is not JSON",
        );
    };
    let Some(certificate) = value.get("certificate").and_then(|v| v.as_str()) else {
        return (ApiError::missing("certificate").into_reply(), false);
    };
    if certificate != identity.leaf_body {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "NotAuthenticated",
            "certificate is not the instance's current leaf certificate",
        );
    }
    if value
        .get("intermediateCertificates")
        .and_then(|v| v.as_array())
        .is_none_or(|a| a.is_empty())
    {
        return (
            ApiError::missing("intermediateCertificates").into_reply(),
            false,
        );
    }
    let Some(public) = value.get("publicKey").and_then(|v| v.as_str()) else {
        return (ApiError::missing("publicKey").into_reply(), false);
    };
    let Ok(session_key) = crate::keys::public_key_from_body(public) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "publicKey is not an RSA public key (base64 SubjectPublicKeyInfo)",
        );
    };
    // An instance's token (`ptype` `instance`): renewed by federating again, not refreshed.
    let claims = serde_json::json!({ "ptype": "instance", "tenant": tenancy });
    let token = crate::session::issue_with_claims(keys, rng, session_key, claims, now, lifetime);
    (
        Reply::json(StatusCode::OK, &json!({ "token": token })),
        true,
    )
}

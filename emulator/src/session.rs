//! Session tokens: the auth service's refresh endpoint (`POST /v1/authentication/refresh`, as
//! `oci session refresh` calls it), the JWTs it issues, and their expiry and revocation.
//!
//! A token is a JWT whose header and payload are real (the client reads `exp`) and whose
//! signature is random bytes: the emulator knows its tokens by their text, so nobody needs to
//! check that signature. Each token is bound to the session key it was issued for; a request
//! signed with keyId `ST$<token>` is verified with that key, then refused with
//! `401 NotAuthenticated` once the token is past its `exp` (the refresh included, as OCI
//! refuses to refresh an expired token), or, for everything but the refresh, once it is revoked.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;
use rsa::RsaPublicKey;
use serde_json::json;

use crate::auth::{KeyRegistry, Verified};
use crate::keys::random_hex;
use crate::state::{ApiError, Reply};

/// The operation name of the refresh in stats and logs.
pub(crate) const REFRESH_OPERATION: &str = "RefreshSessionToken";

/// The refresh endpoint's path.
pub(crate) const REFRESH_PATH: &str = "/v1/authentication/refresh";

/// What the emulator knows of a token it issued.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    /// Its `exp`.
    pub expires: SystemTime,
    /// Refused for service requests from now on (the refresh still takes it).
    pub revoked: bool,
    /// Its `sess_exp`: the session it belongs to ends then, and no refresh extends it.
    pub session_expires: SystemTime,
    /// A user's session token (`ptype` `user`), the only kind the refresh endpoint renews;
    /// instances, resources and pods obtain new tokens the way they got the first.
    pub refreshable: bool,
    /// An instance's token (`ptype` `instance`): it may ask for a resource principal token
    /// (1.1), as the platform's instances do.
    pub instance: bool,
}

/// The resource OCID of the emulator's resource principal (the `res_id` of its RPSTs): an OCI
/// Function, as in the most common resource-principal environment.
pub const RESOURCE_ID: &str = "ocid1.fnfunc.oc1..emulator";

/// The compartment of the emulator's resource principal (the `res_compartment` of its RPSTs).
pub const RESOURCE_COMPARTMENT: &str = "ocid1.compartment.oc1..emulator";

/// The OCID of the emulator's instance (IMDS `/instance/id`): the `{id}` of a resource
/// principal 1.1's default token path.
pub const INSTANCE_ID: &str = "ocid1.instance.oc1..emulator";

/// Issues a token for `key` living `lifetime` from `now`, and registers it: requests signed
/// with `ST$<token>` and that key verify from now on.
pub(crate) fn issue(
    keys: &mut KeyRegistry,
    rng: &mut ChaCha20Rng,
    key: RsaPublicKey,
    tenancy: &str,
    now: SystemTime,
    lifetime: Duration,
) -> String {
    let claims = json!({ "ptype": "user", "tenant": tenancy });
    issue_with_claims(keys, rng, key, claims, now, lifetime)
}

/// Issues a resource principal session token (RPST) for `key`, as the platform hands one to a
/// function: the claims the official SDKs read (`res_tenant`, `res_compartment`; also
/// `res_type`, `res_id`, `ttype`), registered like any session token (expiry and revocation
/// apply; the refresh endpoint would renew it, which a resource principal never asks).
pub(crate) fn issue_resource(
    keys: &mut KeyRegistry,
    rng: &mut ChaCha20Rng,
    key: RsaPublicKey,
    tenancy: &str,
    now: SystemTime,
    lifetime: Duration,
) -> String {
    let claims = json!({
        "ttype": "res",
        "ptype": "resource",
        "sub": RESOURCE_ID,
        "tenant": tenancy,
        "res_tenant": tenancy,
        "res_compartment": RESOURCE_COMPARTMENT,
        "res_type": "fnfunc",
        "res_id": RESOURCE_ID,
    });
    issue_with_claims(keys, rng, key, claims, now, lifetime)
}

/// `iat` (`now`, in whole seconds, as in a JWT) and `exp` (`lifetime` later, at least one
/// second) of a token issued now.
pub(crate) fn iat_exp(now: SystemTime, lifetime: Duration) -> (u64, u64) {
    let iat = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    (iat, iat + lifetime.as_secs().max(1))
}

/// A JWT of `header` and `payload` whose signature is 64 random bytes: the emulator knows the
/// tokens it issues by their text, so nobody needs to check a signature.
pub(crate) fn jwt(
    rng: &mut ChaCha20Rng,
    header: &serde_json::Value,
    payload: &serde_json::Value,
) -> String {
    let mut signature = [0u8; 64];
    rng.fill_bytes(&mut signature);
    format!(
        "{}.{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(payload.to_string()),
        B64URL.encode(signature)
    )
}

/// [`issue`] with the principal's own claims (`ptype`, `tenant`, `res_tenant`, …) beside the
/// ones every token has (`iss`, `aud`, `jti`, `iat`, `exp`, `sess_exp`).
pub(crate) fn issue_with_claims(
    keys: &mut KeyRegistry,
    rng: &mut ChaCha20Rng,
    key: RsaPublicKey,
    claims: serde_json::Value,
    now: SystemTime,
    lifetime: Duration,
) -> String {
    let (iat, exp) = iat_exp(now, lifetime);
    let header = json!({"alg": "RS256", "kid": "asw", "typ": "JWT"});
    let mut payload = json!({
        "iss": "authService.oracle.com",
        "aud": "oci",
        "jti": random_hex(rng, 32),
        "iat": iat,
        "exp": exp,
        "sess_exp": iat + 24 * 3600,
    });
    if let (Some(payload), serde_json::Value::Object(claims)) = (payload.as_object_mut(), claims) {
        payload.extend(claims);
    }
    let session_expires = UNIX_EPOCH
        + Duration::from_secs(
            payload
                .get("sess_exp")
                .and_then(|v| v.as_u64())
                .unwrap_or(iat + 24 * 3600),
        );
    let ptype = payload.get("ptype").and_then(|v| v.as_str());
    let refreshable = ptype == Some("user");
    let instance = ptype == Some("instance");
    let token = jwt(rng, &header, &payload);
    keys.session_tokens.insert(token.clone(), key);
    keys.issued.insert(
        token.clone(),
        IssuedToken {
            expires: UNIX_EPOCH + Duration::from_secs(exp),
            revoked: false,
            session_expires,
            refreshable,
            instance,
        },
    );
    token
}

/// Whether a request signed with `token` (already verified) may proceed at `now`. Tokens the
/// emulator did not issue (added with `Emulator::add_session_token`) never expire.
pub(crate) fn check(
    keys: &KeyRegistry,
    token: &str,
    now: SystemTime,
    op: &str,
) -> Result<(), String> {
    let Some(issued) = keys.issued.get(token) else {
        return Ok(());
    };
    if now >= issued.expires {
        return Err(
            "the session token (ST$...) has expired: refresh it before its exp, or sign in again"
                .into(),
        );
    }
    if issued.revoked && op != REFRESH_OPERATION {
        return Err("the session token (ST$...) is no longer valid: refresh it".into());
    }
    Ok(())
}

/// Serves a verified refresh: `{"currentToken": "<the token that signed>"}` → `{"token": …}`, a
/// new token for the same session key. Returns the reply and whether a token was issued.
pub(crate) fn refresh(
    keys: &mut KeyRegistry,
    rng: &mut ChaCha20Rng,
    verified: &Verified,
    body: &[u8],
    tenancy: &str,
    now: SystemTime,
    lifetime: Duration,
) -> (Reply, bool) {
    let Some(signing_token) = verified.principal.token.as_deref() else {
        return (
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "NotAuthenticated",
                "a session token refresh must be signed with the session key as keyId ST$<token>",
            )
            .into_reply(),
            false,
        );
    };
    let parsed: Result<serde_json::Value, _> = serde_json::from_slice(body);
    let Ok(value) = parsed else {
        return (
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "CannotParseRequest",
                "the request body is not JSON",
            )
            .into_reply(),
            false,
        );
    };
    let Some(current) = value.get("currentToken").and_then(|v| v.as_str()) else {
        return (ApiError::missing("currentToken").into_reply(), false);
    };
    if current != signing_token {
        return (
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "NotAuthenticated",
                "currentToken is not the token the request is signed with",
            )
            .into_reply(),
            false,
        );
    }
    let Some(key) = keys.session_tokens.get(signing_token).cloned() else {
        return (
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "NotAuthenticated",
                "unknown session token",
            )
            .into_reply(),
            false,
        );
    };
    // A refresh renews a user's session within the session's life (`sess_exp`, a day from
    // sign-in for `oci session authenticate`): the new token keeps the old one's `sess_exp`
    // and never outlives it. Tokens added from a profile (not issued here) start a session.
    let issued = keys.issued.get(signing_token).cloned();
    let session_end = match &issued {
        Some(t) if !t.refreshable => {
            return (
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "NotAuthenticated",
                    "only a user's session token is refreshed here; instance, resource and \
                     workload principals obtain new tokens the way they obtained the first",
                )
                .into_reply(),
                false,
            );
        }
        Some(t) if now >= t.session_expires => {
            return (
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "NotAuthenticated",
                    "the session has ended (sess_exp): sign in again",
                )
                .into_reply(),
                false,
            );
        }
        Some(t) => t.session_expires,
        None => now + Duration::from_secs(24 * 3600),
    };
    let left = session_end.duration_since(now).unwrap_or_default();
    let session_exp = session_end
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let claims = json!({ "ptype": "user", "tenant": tenancy, "sess_exp": session_exp });
    let token = issue_with_claims(keys, rng, key, claims, now, lifetime.min(left));
    (
        Reply::json(StatusCode::OK, &json!({ "token": token })),
        true,
    )
}

/// The emulator's stand-in for `oci session authenticate` (a browser sign-in, which has no API):
/// `POST /_emulator/session-token` with `{"publicKey": "<PEM>", "lifetimeSeconds": N}` issues a
/// session token bound to that key. Not an OCI endpoint, and unsigned so that a test in a
/// browser can call it with a bare `fetch`; it only signs in keys the emulator already trusts
/// as API keys, and the token is worthless without that key's private half (every request
/// using it must be signed with it).
pub(crate) const SIGN_IN_PATH: &str = "/_emulator/session-token";

/// The operation name of the sign-in in stats and logs.
pub(crate) const SIGN_IN_OPERATION: &str = "EmulatorSessionSignIn";

/// Serves the sign-in ([`SIGN_IN_PATH`]). Returns the reply and whether a token was issued.
pub(crate) fn sign_in(
    keys: &mut KeyRegistry,
    rng: &mut ChaCha20Rng,
    body: &[u8],
    tenancy: &str,
    now: SystemTime,
) -> (Reply, bool) {
    let bad = |message: String| {
        (
            ApiError::new(StatusCode::BAD_REQUEST, "InvalidParameter", message).into_reply(),
            false,
        )
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return bad("the request body is not JSON".to_string());
    };
    let Some(pem) = value.get("publicKey").and_then(|v| v.as_str()) else {
        return (ApiError::missing("publicKey").into_reply(), false);
    };
    let key = match crate::keys::parse_public_pem(pem) {
        Ok(key) => key,
        Err(e) => return bad(format!("publicKey: {e}")),
    };
    let lifetime = match value.get("lifetimeSeconds") {
        None => Duration::from_secs(3600),
        Some(v) => match v.as_u64().filter(|n| (1..=86_400).contains(n)) {
            Some(n) => Duration::from_secs(n),
            None => return bad("lifetimeSeconds must be a whole number from 1 to 86400".into()),
        },
    };
    // Users' API keys only: an instance's leaf key is registered too (under its federation
    // keyId), but it signs in nobody.
    let trusted = keys
        .api_keys
        .iter()
        .any(|(id, trusted)| *trusted == key && !id.contains("/fed-x509"));
    if !trusted {
        return (
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "NotAuthenticated",
                "publicKey is not the public half of an API key this emulator trusts",
            )
            .into_reply(),
            false,
        );
    }
    let token = issue(keys, rng, key, tenancy, now, lifetime);
    (
        Reply::json(StatusCode::OK, &json!({ "token": token })),
        true,
    )
}

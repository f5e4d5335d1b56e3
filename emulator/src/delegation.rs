//! Delegation (on-behalf-of) tokens: a request carrying `opc-obo-token` acts for the user the
//! token was issued to (Cloud Shell's instance principal acting for its user).
//!
//! Facts relied on: the official Python SDK's delegation signers (oci 2.189.0,
//! `instance_principals_delegation_token_signer.py` and its resource-principal sibling) always
//! put `opc-obo-token` among the signed headers, and `oci-protocol.md` §10 says the header is
//! "included in the signed headers". The signature check (`auth.rs`) therefore refuses a
//! request whose `opc-obo-token` is not signed: otherwise anyone on the path could graft a
//! delegation onto a signed request. Here, a signed token must be one the emulator issued and
//! still alive, or the request is `401 NotAuthenticated`.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use serde_json::json;

use crate::keys::random_hex;

/// The header that carries a delegation token.
pub(crate) const HEADER: &str = "opc-obo-token";

/// Issues a delegation token (a JWT with `exp`, random signature) living `lifetime` from `now`.
pub(crate) fn issue(
    tokens: &mut HashMap<String, SystemTime>,
    rng: &mut rand_chacha::ChaCha20Rng,
    user: &str,
    now: SystemTime,
    lifetime: Duration,
) -> String {
    let (iat, exp) = crate::session::iat_exp(now, lifetime);
    let header = json!({"alg": "RS256", "typ": "JWT"});
    let payload = json!({
        "iss": "authService.oracle.com",
        "ptype": "obo",
        "sub": user,
        "jti": random_hex(rng, 16),
        "iat": iat,
        "exp": exp,
    });
    let token = crate::session::jwt(rng, &header, &payload);
    tokens.insert(token.clone(), UNIX_EPOCH + Duration::from_secs(exp));
    token
}

/// Whether the request (its signature verified, `opc-obo-token` signed if present) may
/// proceed: `Ok(true)` when it carries a live delegation token the emulator issued, `Ok(false)`
/// when it carries none. The error never quotes the token.
pub(crate) fn check(
    tokens: &HashMap<String, SystemTime>,
    headers: &HeaderMap,
    now: SystemTime,
) -> Result<bool, String> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(false);
    };
    let token = value.to_str().map(str::trim).unwrap_or_default();
    match tokens.get(token) {
        None => {
            Err("the delegation token (opc-obo-token) is not one the auth service issued".into())
        }
        Some(exp) if *exp <= now => Err("the delegation token (opc-obo-token) has expired".into()),
        Some(_) => Ok(true),
    }
}

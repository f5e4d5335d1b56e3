//! Resource principals 2.1.x and 1.1: the two token endpoints a resource's platform names
//! (`OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT`, `OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT`), served
//! beside the services on the emulator's address, as the official SDKs call them:
//!
//! 1. `GET /20180711/resourcePrincipalTokenV2/<resource>` (2.1.2: `…V212/<resource>`), signed
//!    with the resource's key as keyId `resource/v2.1/<resource>` or
//!    `resource/v<version>/<tenancy>/<resource>` → `{"resourcePrincipalToken",
//!    "servicePrincipalSessionToken"}` (opaque here: random text the emulator remembers);
//! 2. `POST /v1/resourcePrincipalSessionToken` with both and a `sessionPublicKey`, signed the
//!    same way → `{"token": "<RPST>"}` bound to that public key (an RPST as
//!    [`crate::session::issue_resource`] issues them).
//!
//! The resource's key is registered under those keyIds by
//! `Emulator::add_resource_principal_key`; it signs these two exchanges and nothing else.
//!
//! 1.1: the same two exchanges signed with an instance's session token (`ST$<token>`, one the
//! emulator's federation issued), the first at `GET /20180711/resourcePrincipalToken/<id>`
//! (`<id>` the instance's OCID, [`crate::session::INSTANCE_ID`], or the resource's); the pair
//! is bound to that token, the RPST to the `sessionPublicKey`.

use std::time::{Duration, SystemTime};

use axum::http::{Method, StatusCode};
use rand_chacha::ChaCha20Rng;
use serde_json::json;

use crate::auth::{KeyRegistry, Verified};
use crate::keys::{parse_public_pem, random_hex};
use crate::session::RESOURCE_ID;
use crate::state::{ApiError, Reply};

/// The operation name of the resource principal token request in stats and logs.
pub(crate) const RPT_OPERATION: &str = "GetResourcePrincipalToken";

/// The operation name of the session token exchange in stats and logs.
pub(crate) const RPST_OPERATION: &str = "GetResourcePrincipalSessionToken";

const RPT_PREFIXES: [&str; 3] = [
    "/20180711/resourcePrincipalTokenV2/",
    "/20180711/resourcePrincipalTokenV212/",
    "/20180711/resourcePrincipalToken/",
];
const RPST_PATH: &str = "/v1/resourcePrincipalSessionToken";

/// The keyIds a resource's key is registered under, for the emulator's resource.
pub(crate) fn key_ids(tenancy: &str) -> [String; 3] {
    [
        format!("resource/v2.1/{RESOURCE_ID}"),
        format!("resource/v2.1.1/{tenancy}/{RESOURCE_ID}"),
        format!("resource/v2.1.2/{tenancy}/{RESOURCE_ID}"),
    ]
}

/// Which of the two exchanges `method path` is, if either.
pub(crate) fn route(method: &Method, path: &str) -> Option<&'static str> {
    if *method == Method::GET && RPT_PREFIXES.iter().any(|p| path.starts_with(p)) {
        Some(RPT_OPERATION)
    } else if *method == Method::POST && path == RPST_PATH {
        Some(RPST_OPERATION)
    } else {
        None
    }
}

/// A pair of step 1 waiting for step 2: the service principal session token, who asked for
/// it (the resource keyId's user part), and until when it may be exchanged.
#[derive(Debug, Clone)]
pub(crate) struct IssuedPair {
    spst: String,
    requester: String,
    expires: SystemTime,
}

/// How long a pair of step 1 may wait for its exchange (the real tokens live minutes).
const PAIR_LIFETIME: Duration = Duration::from_secs(300);

/// Whether the request was signed with a resource's key (keyId `resource/v2.1…/…`).
pub(crate) fn is_resource_key(verified: &Verified) -> bool {
    verified.principal.token.is_none()
        && verified
            .principal
            .user
            .as_deref()
            .is_some_and(|u| u.starts_with("v2.1"))
}

/// Who may ask for a resource principal token: the resource with its key (2.1.x), or an
/// instance with the session token the federation gave it (1.1). Returns the requester the
/// pair is bound to (the keyId's user part, or the token) and whether it is an instance.
fn requester(keys: &KeyRegistry, verified: &Verified) -> Option<(String, bool)> {
    if is_resource_key(verified) {
        return verified.principal.user.clone().map(|u| (u, false));
    }
    let token = verified.principal.token.as_ref()?;
    keys.issued
        .get(token)
        .is_some_and(|issued| issued.instance)
        .then(|| (token.clone(), true))
}

fn refuse(status: StatusCode, code: &'static str, message: &str) -> Reply {
    ApiError::new(status, code, message.to_string()).into_reply()
}

/// Serves step 1 for `path`: a fresh pair of opaque tokens for the resource the path names.
pub(crate) fn serve_rpt(
    keys: &mut KeyRegistry,
    rng: &mut ChaCha20Rng,
    verified: &Verified,
    path: &str,
    now: SystemTime,
) -> Reply {
    let Some((requester, instance)) = requester(keys, verified) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "NotAuthenticated",
            "a resource principal token is requested with the resource's key (keyId resource/v2.1.../...) or an instance's session token (ST$<token>)",
        );
    };
    let resource = path.rsplit('/').next().unwrap_or_default();
    // An instance asks by its own OCID (1.1's default path) or the resource's.
    let known = resource == RESOURCE_ID || (instance && resource == crate::session::INSTANCE_ID);
    if !known {
        return refuse(
            StatusCode::NOT_FOUND,
            "NotAuthorizedOrNotFound",
            "no such resource, or the key is not that resource's",
        );
    }
    let rpt = format!("rpt-{}", random_hex(rng, 32));
    let spst = format!("spst-{}", random_hex(rng, 32));
    // Pairs nobody exchanged are forgotten once they could no longer be.
    keys.resource_tokens.retain(|_, pair| now < pair.expires);
    keys.resource_tokens.insert(
        rpt.clone(),
        IssuedPair {
            spst: spst.clone(),
            requester,
            expires: now + PAIR_LIFETIME,
        },
    );
    Reply::json(
        StatusCode::OK,
        &json!({ "resourcePrincipalToken": rpt, "servicePrincipalSessionToken": spst }),
    )
}

/// Serves step 2: an RPST for `sessionPublicKey`, if the tokens are a pair step 1 gave (each
/// pair is good once). Returns the reply and whether a token was issued.
pub(crate) fn serve_rpst(
    keys: &mut KeyRegistry,
    rng: &mut ChaCha20Rng,
    verified: &Verified,
    body: &[u8],
    tenancy: &str,
    now: SystemTime,
    lifetime: Duration,
) -> (Reply, bool) {
    let Some((requester, _)) = requester(keys, verified) else {
        let reply = refuse(
            StatusCode::UNAUTHORIZED,
            "NotAuthenticated",
            "the session token exchange is signed with the resource's key (keyId resource/v2.1.../...) or an instance's session token (ST$<token>)",
        );
        return (reply, false);
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        let reply = refuse(
            StatusCode::BAD_REQUEST,
            "CannotParseRequest",
            "the request body is not JSON",
        );
        return (reply, false);
    };
    let field = |name| value.get(name).and_then(|v| v.as_str());
    let (Some(rpt), Some(spst), Some(public)) = (
        field("resourcePrincipalToken"),
        field("servicePrincipalSessionToken"),
        field("sessionPublicKey"),
    ) else {
        return (
            ApiError::missing(
                "resourcePrincipalToken, servicePrincipalSessionToken or sessionPublicKey",
            )
            .into_reply(),
            false,
        );
    };
    // A pair is exchanged once, by the resource (or instance) that asked for it, while it
    // lives.
    let good = keys
        .resource_tokens
        .get(rpt)
        .is_some_and(|pair| pair.spst == spst && now < pair.expires && requester == pair.requester);
    if !good {
        let reply = refuse(
            StatusCode::UNAUTHORIZED,
            "NotAuthenticated",
            "resourcePrincipalToken and servicePrincipalSessionToken are not a live pair this service issued to this resource (or were used already)",
        );
        return (reply, false);
    }
    keys.resource_tokens.remove(rpt);
    // PEM parsers want lines of at most 64 characters; the request has the body on one.
    let lines: Vec<String> = public
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    );
    let Ok(key) = parse_public_pem(&pem) else {
        let reply = refuse(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "sessionPublicKey is not an RSA public key (base64 SubjectPublicKeyInfo)",
        );
        return (reply, false);
    };
    let token = crate::session::issue_resource(keys, rng, key, tenancy, now, lifetime);
    (
        Reply::json(StatusCode::OK, &json!({ "token": token })),
        true,
    )
}

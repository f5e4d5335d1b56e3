//! Independent verification of OCI request signatures (draft-cavage-http-signatures-08,
//! `rsa-sha256`, signature version 1).
//!
//! Nothing here is shared with the SDK's signer: the signing string is rebuilt from the request
//! exactly as it arrived on the wire, which is the point of an emulator that checks its client.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, Method};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};

/// What the request authenticated as.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    /// The user OCID (API keys), or `None` for a session token.
    pub user: Option<String>,
    /// The session token (without `ST$`) the request is signed with, if it is.
    pub token: Option<String>,
}

/// Keys the emulator trusts.
#[derive(Default)]
pub(crate) struct KeyRegistry {
    /// `<tenancy>/<user>/<fingerprint>` → key.
    pub api_keys: HashMap<String, RsaPublicKey>,
    /// token (without `ST$`) → key.
    pub session_tokens: HashMap<String, RsaPublicKey>,
    /// Tokens the emulator issued: their expiry and whether they were revoked.
    pub issued: HashMap<String, crate::session::IssuedToken>,
    /// Resource principal tokens (2.1.x, 1.1) handed out and not yet exchanged → their service
    /// principal session token.
    pub resource_tokens: HashMap<String, crate::resource::IssuedPair>,
    /// The OKE proxymux's service-account tokens and cluster kind.
    pub oke: crate::oke::OkeState,
    /// Delegation tokens (`opc-obo-token`) issued, with their `exp`.
    pub delegation_tokens: HashMap<String, SystemTime>,
}

/// The parsed `Authorization: Signature ...` header.
#[derive(Debug)]
struct SignatureParams {
    key_id: String,
    algorithm: Option<String>,
    headers: Vec<String>,
    signature: String,
    version: Option<String>,
}

/// A verified signature whose body checks are still pending (see [`Verified::check_body`]).
#[derive(Debug)]
pub(crate) struct Verified {
    pub principal: Principal,
    /// `x-content-sha256` value, when it was signed.
    pub signed_sha256: Option<String>,
    /// `content-length` value, when it was signed.
    pub signed_length: Option<String>,
}

impl Verified {
    /// Checks a signed `x-content-sha256` / `content-length` against the body actually received.
    pub(crate) fn check_body(
        &self,
        body_len: u64,
        body_sha256: Option<&[u8]>,
    ) -> Result<(), String> {
        if let Some(len) = &self.signed_length
            && len.trim().parse::<u64>().ok() != Some(body_len)
        {
            return Err(format!(
                "content-length {} does not match the {body_len} body bytes received",
                len.trim()
            ));
        }
        if let (Some(claimed), Some(actual)) = (&self.signed_sha256, body_sha256) {
            let actual = B64.encode(actual);
            if claimed.trim() != actual {
                return Err(format!(
                    "x-content-sha256 does not match body: header says {}, the {body_len} body bytes received hash to {actual}",
                    claimed.trim()
                ));
            }
        }
        Ok(())
    }

    /// Whether the caller must hash the body (x-content-sha256 was signed).
    pub(crate) fn needs_body_hash(&self) -> bool {
        self.signed_sha256.is_some()
    }
}

/// The facts about one request that verification needs.
pub(crate) struct RequestFacts<'a> {
    pub method: &'a Method,
    /// Path and query exactly as received.
    pub target: &'a str,
    pub headers: &'a HeaderMap,
    /// PutObject and UploadPart: body headers are not required.
    pub body_exempt: bool,
    pub now: SystemTime,
    pub max_skew: Duration,
}

/// Verifies the signature of a request. Body checks (x-content-sha256, content-length) are left
/// to the caller via [`Verified::check_body`], because the body may still be streaming in.
pub(crate) fn verify(facts: &RequestFacts<'_>, keys: &KeyRegistry) -> Result<Verified, String> {
    let header = facts
        .headers
        .get_all("authorization")
        .iter()
        .next()
        .ok_or_else(|| "missing authorization header: every request must be signed".to_string())?;
    let header = header
        .to_str()
        .map_err(|_| "authorization header is not visible ASCII".to_string())?;
    let params = parse_authorization(header)?;

    // `version="1"` is required, as on the service: OCI's "Request Signatures" page defines
    // signature version 1 and its Authorization header carries `version="1"`, and every official
    // SDK sends it (the Python SDK oci 2.189.0, `oci/signer.py`: `HEADER_SIGNER_TEMPLATE = 'Signature
    // algorithm="rsa-sha256",headers="{}",keyId="{}",signature="%s",version="{}"'` with
    // `SIGNATURE_VERSION = "1"`), as does ocisdk's own signer (`core/src/auth/signer.rs`). A
    // header without it is a client the real service would turn away, so the emulator does too.
    match &params.version {
        Some(v) if v == "1" => {}
        Some(v) => {
            return Err(format!(
                "unsupported signature version {} (expected \"1\")",
                shown(v)
            ));
        }
        None => {
            return Err(
                "authorization header has no version parameter (expected version=\"1\")".into(),
            );
        }
    }
    match &params.algorithm {
        Some(a) if a.eq_ignore_ascii_case("rsa-sha256") => {}
        Some(a) => {
            return Err(format!(
                "unsupported signature algorithm {} (expected \"rsa-sha256\")",
                shown(a)
            ));
        }
        None => return Err(
            "authorization header has no algorithm parameter (expected algorithm=\"rsa-sha256\")"
                .into(),
        ),
    }

    let (public, principal, key_label) = lookup_key(&params.key_id, keys)?;

    // Required headers.
    let signed: Vec<&str> = params.headers.iter().map(String::as_str).collect();
    let has = |name: &str| signed.contains(&name);
    if !has("date") && !has("x-date") {
        return Err("missing required signed header date (or x-date)".into());
    }
    // The official Python SDK signs its instance-principal federation with `date
    // (request-target)` and the body headers only, without `host` (oci 2.189.0,
    // `oci/auth/federation_client.py`, `AuthTokenRequestSigner`: `generic_headers = ["date",
    // "(request-target)"]`), and the auth service takes it: a federation keyId
    // (`<tenancy>/fed-x509/…`, `<tenancy>/fed-x509-sha256/…`) does not need `host` signed.
    let federation = principal.token.is_none()
        && matches!(
            principal.user.as_deref(),
            Some("fed-x509" | "fed-x509-sha256")
        );
    for required in ["(request-target)", "host"] {
        if required == "host" && federation {
            continue;
        }
        if !has(required) {
            return Err(format!("missing required signed header {required}"));
        }
    }
    // A delegation token acts for another user: it counts only when signed (see
    // `delegation.rs` for the facts this relies on).
    if facts.headers.contains_key(crate::delegation::HEADER) && !has(crate::delegation::HEADER) {
        return Err(
            "opc-obo-token is present but not among the signed headers: a delegation token must be signed"
                .into(),
        );
    }
    let body_method = matches!(facts.method.as_str(), "PUT" | "POST" | "PATCH");
    if body_method && !facts.body_exempt {
        for required in ["content-length", "content-type", "x-content-sha256"] {
            if !has(required) {
                return Err(format!("missing required signed header {required}"));
            }
        }
    }

    // Build the signing string from what was received.
    let mut lines = Vec::with_capacity(signed.len());
    // The same lines for the error message, with the values of secret headers left out.
    let mut shown_lines = Vec::with_capacity(signed.len());
    for name in &signed {
        if *name == "(request-target)" {
            let line = format!(
                "(request-target): {} {}",
                facts.method.as_str().to_ascii_lowercase(),
                facts.target
            );
            shown_lines.push(line.clone());
            lines.push(line);
            continue;
        }
        if name.starts_with('(') {
            return Err(format!(
                "unsupported pseudo-header {} in the headers parameter",
                shown(name)
            ));
        }
        let values: Vec<&str> = facts
            .headers
            .get_all(*name)
            .iter()
            .map(|v| v.to_str().map(str::trim))
            .collect::<Result<_, _>>()
            .map_err(|_| format!("signed header {} is not visible ASCII", shown(name)))?;
        if values.is_empty() {
            return Err(format!(
                "signed header {} is listed in the headers parameter but missing from the request",
                shown(name)
            ));
        }
        let line = format!("{name}: {}", values.join(", "));
        shown_lines.push(if SECRET_HEADERS.contains(name) {
            format!("{name}: <redacted>")
        } else {
            line.clone()
        });
        lines.push(line);
    }
    let signing_string = lines.join("\n");

    // Date and clock skew (x-date wins over date).
    let date_name = if has("x-date") { "x-date" } else { "date" };
    let date_value = header_str(facts.headers, date_name).unwrap_or_default();
    let date = parse_date(date_value.trim()).ok_or_else(|| {
        format!(
            "{date_name} header is not a valid HTTP date: {}",
            shown_date(&date_value)
        )
    })?;
    let skew = match facts.now.duration_since(date) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if skew > facts.max_skew {
        return Err(format!(
            "date skew {} s exceeds {} s ({date_name}: {date_value}; emulator clock: {})",
            skew.as_secs(),
            facts.max_skew.as_secs(),
            httpdate::fmt_http_date(facts.now)
        ));
    }

    // The signature itself.
    let signature = B64
        .decode(params.signature.trim())
        .map_err(|_| "signature parameter is not valid base64".to_string())?;
    let hashed = Sha256::digest(signing_string.as_bytes());
    if public
        .verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, &signature)
        .is_err()
    {
        return Err(format!(
            "signature does not verify for keyId {key_label} headers [{}]; signing string was: {}",
            signed.join(" "),
            shown_lines.join("\n")
        ));
    }

    Ok(Verified {
        principal,
        signed_sha256: if has("x-content-sha256") {
            Some(header_str(facts.headers, "x-content-sha256").unwrap_or_default())
        } else {
            None
        },
        signed_length: if has("content-length") {
            Some(header_str(facts.headers, "content-length").unwrap_or_default())
        } else {
            None
        },
    })
}

/// Headers whose values are secrets (credentials, SSE-C keys): a signing string quoted in an
/// error names them but never shows their values. Errors end up in the client's exception and in
/// the emulator's debug log.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "opc-sse-customer-key",
    "opc-source-sse-customer-key",
    "opc-obo-token",
    "x-security-token",
];

/// A word taken from the request (a parameter or header name, a version, an algorithm) for an
/// error message: quoted when it is at most 32 characters of letters, digits, `-`, `_`, `.`,
/// `(` and `)`, otherwise described by its length only, so that a token or key put there by
/// mistake (longer, or with base64's `+`, `/`, `=` or a JWT's `$`) is not repeated.
fn shown(word: &str) -> String {
    let plain = word.len() <= 32
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')'));
    if plain {
        format!("\"{word}\"")
    } else {
        format!("({} characters, not shown)", word.chars().count())
    }
}

/// A date header's value for an error message: quoted when it looks like a date (letters,
/// digits, spaces, `,`, `:`, `-`, `+`, `/` and at most 64 characters), otherwise only its length.
fn shown_date(value: &str) -> String {
    let plain = value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | ',' | ':' | '-' | '+' | '/'));
    if plain {
        format!("\"{value}\"")
    } else {
        format!("({} characters, not shown)", value.chars().count())
    }
}

/// An API-key keyId for an error message: quoted when it is made of what OCIDs and fingerprints
/// are made of (lowercase letters, digits, `.`, `:`, `/`, `-`, `_`; at most 512 characters), so a
/// session token or other secret sent without its `ST$` prefix is not repeated.
fn shown_key_id(key_id: &str) -> String {
    let plain = key_id.len() <= 512
        && key_id.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | ':' | '/' | '-' | '_')
        });
    if plain {
        format!("\"{key_id}\"")
    } else {
        format!("({} characters, not shown)", key_id.chars().count())
    }
}

/// Checks a request's signature as the emulator's server does, outside the server: `target` is
/// the path and query as received, `api_keys` maps `<tenancy>/<user>/<fingerprint>` and
/// `session_tokens` maps tokens (without `ST$`) to the keys they sign with, and `body` (when
/// given) is checked against a signed `content-length` / `x-content-sha256`. Returns the user
/// OCID of an API key (`None` for a session token), or the message the emulator would answer
/// `401 NotAuthenticated` with.
///
/// Public only so that `fuzz/` (the `verifier` target and its corpus replay test) can feed the
/// verifier adversarial requests without starting a server; not part of the emulator's API.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)] // each argument is one fact about the request; no struct earns its keep here
pub fn verify_signature(
    method: &Method,
    target: &str,
    headers: &HeaderMap,
    body_exempt: bool,
    body: Option<&[u8]>,
    now: SystemTime,
    max_skew: Duration,
    api_keys: &[(String, RsaPublicKey)],
    session_tokens: &[(String, RsaPublicKey)],
) -> Result<Option<String>, String> {
    let keys = KeyRegistry {
        api_keys: api_keys.iter().cloned().collect(),
        session_tokens: session_tokens.iter().cloned().collect(),
        ..KeyRegistry::default()
    };
    let facts = RequestFacts {
        method,
        target,
        headers,
        body_exempt,
        now,
        max_skew,
    };
    let verified = verify(&facts, &keys)?;
    if let Some(body) = body {
        let sha = verified.needs_body_hash().then(|| Sha256::digest(body));
        verified.check_body(body.len() as u64, sha.as_ref().map(|d| d.as_slice()))?;
    }
    Ok(verified.principal.user)
}

/// An HTTP date. IMF-fixdate whose weekday disagrees with the date (as in Oracle's published
/// signing example, "Thu, 05 Jan 2014") is accepted: the weekday carries no information.
fn parse_date(value: &str) -> Option<SystemTime> {
    if let Ok(t) = httpdate::parse_http_date(value) {
        return Some(t);
    }
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_, day, month, year, hms, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)?;
    let month = time::Month::try_from(u8::try_from(month + 1).ok()?).ok()?;
    let date = time::Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()?;
    let mut hms = hms.split(':').map(str::parse::<u8>);
    let (h, m, s) = (hms.next()?.ok()?, hms.next()?.ok()?, hms.next()?.ok()?);
    let t = date.with_hms(h, m, s).ok()?.assume_utc();
    Some(SystemTime::from(t))
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn lookup_key(
    key_id: &str,
    keys: &KeyRegistry,
) -> Result<(RsaPublicKey, Principal, String), String> {
    if let Some(token) = key_id.strip_prefix("ST$") {
        let shown = "ST$<token>".to_string();
        return keys
            .session_tokens
            .get(token)
            .map(|k| {
                let principal = Principal {
                    user: None,
                    token: Some(token.to_string()),
                };
                (k.clone(), principal, shown)
            })
            .ok_or_else(|| {
                "unknown keyId: the session token (ST$...) is not registered with the emulator"
                    .to_string()
            });
    }
    let parts: Vec<&str> = key_id.split('/').collect();
    // A resource's key (resource principals 2.1.1, 2.1.2) names its tenancy too:
    // `resource/v<version>/<tenancy>/<resource>`.
    let resource_key = parts.len() == 4 && parts[0] == "resource";
    if (parts.len() != 3 && !resource_key) || parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "malformed keyId {}: expected <tenancy-ocid>/<user-ocid>/<fingerprint> or ST$<token>",
            shown_key_id(key_id)
        ));
    }
    keys.api_keys
        .get(key_id)
        .map(|k| {
            (
                k.clone(),
                Principal {
                    user: Some(parts[1].to_string()),
                    token: None,
                },
                key_id.to_string(),
            )
        })
        .ok_or_else(|| {
            format!(
                "unknown keyId {}: no API key with that tenancy, user and fingerprint is registered",
                shown_key_id(key_id)
            )
        })
}

/// Parses `Signature k="v",k="v",...` with parameters in any order.
fn parse_authorization(header: &str) -> Result<SignatureParams, String> {
    let header = header.trim();
    let rest = match header.split_once(char::is_whitespace) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("signature") => rest,
        _ => {
            return Err(
                "authorization header must use the Signature scheme: Signature version=\"1\",keyId=\"...\",algorithm=\"rsa-sha256\",headers=\"...\",signature=\"...\""
                    .into(),
            );
        }
    };
    let mut map: HashMap<String, String> = HashMap::new();
    let mut chars = rest.trim().chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(format!(
                "malformed authorization header: parameter {} has no value",
                shown(name.trim())
            ));
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    _ => value.push(c),
                }
            }
            if !closed {
                return Err(format!(
                    "malformed authorization header: unterminated quoted value for {}",
                    shown(name.trim())
                ));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
            value = value.trim().to_string();
        }
        let name = name.trim().to_string();
        if map.insert(name.clone(), value).is_some() {
            return Err(format!(
                "malformed authorization header: parameter {} given twice",
                shown(&name)
            ));
        }
    }
    let key_id = map
        .remove("keyId")
        .ok_or("authorization header has no keyId parameter")?;
    let signature = map
        .remove("signature")
        .ok_or("authorization header has no signature parameter")?;
    let headers: Vec<String> = match map.remove("headers") {
        Some(h) => h.split_whitespace().map(str::to_ascii_lowercase).collect(),
        // draft-cavage: the default list is just `date`.
        None => vec!["date".to_string()],
    };
    Ok(SignatureParams {
        key_id,
        algorithm: map.remove("algorithm"),
        headers,
        signature,
        version: map.remove("version"),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_parameters_in_any_order() {
        let p = parse_authorization(
            r#"Signature signature="c2ln",headers="date (request-target) host",keyId="a/b/c",algorithm="rsa-sha256",version="1""#,
        )
        .unwrap();
        assert_eq!(p.key_id, "a/b/c");
        assert_eq!(p.signature, "c2ln");
        assert_eq!(p.headers, vec!["date", "(request-target)", "host"]);
        assert_eq!(p.algorithm.as_deref(), Some("rsa-sha256"));
        assert_eq!(p.version.as_deref(), Some("1"));
    }

    /// Found by the `verifier` fuzz target: after a stray quote, the parser took a run of the
    /// header's values for a parameter name and quoted it, session token included.
    #[test]
    fn a_misparsed_parameter_name_is_not_quoted() {
        let err = parse_authorization(
            r#"Signature version="on keyId="ST$secret-token",algorithm="rsa-sha2"#,
        )
        .unwrap_err();
        assert!(!err.contains("secret-token"), "{err}");
        let err = parse_authorization(r#"Signature keyId="a",keyId="b""#).unwrap_err();
        assert!(err.contains("parameter \"keyId\" given twice"), "{err}");
    }

    #[test]
    fn rejects_other_schemes() {
        assert!(parse_authorization("Bearer abc").is_err());
        assert!(parse_authorization(r#"Signature keyId="a""#).is_err());
    }

    /// The official "Request Signatures" GET vector, verified with the 1024-bit sample key.
    #[test]
    fn official_get_vector_verifies() {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        let pem = "-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
";
        let key = rsa::RsaPrivateKey::from_pkcs1_pem(pem).unwrap();
        let tenancy =
            "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq";
        let user = "ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq";
        let fp = "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34";
        let key_id = format!("{tenancy}/{user}/{fp}");
        let mut keys = KeyRegistry::default();
        keys.api_keys.insert(key_id.clone(), key.to_public_key());

        let target = "/20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q";
        let sig = "GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtLBj3sUzaFj34XE6YZAHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M=";
        let date = "Thu, 05 Jan 2014 21:31:40 GMT";
        let mut headers = HeaderMap::new();
        headers.insert("date", date.parse().unwrap());
        headers.insert("host", "iaas.us-phoenix-1.oraclecloud.com".parse().unwrap());
        headers.insert(
            "authorization",
            format!(
                r#"Signature version="1",headers="date (request-target) host",keyId="{key_id}",algorithm="rsa-sha256",signature="{sig}""#
            )
            .parse()
            .unwrap(),
        );
        let now = parse_date(date).unwrap();
        let facts = RequestFacts {
            method: &Method::GET,
            target,
            headers: &headers,
            body_exempt: false,
            now,
            max_skew: Duration::from_secs(300),
        };
        let verified = verify(&facts, &keys).unwrap();
        assert_eq!(verified.principal.user.as_deref(), Some(user));

        // One character of the target changed: no longer verifies, and says why.
        let bad_target = target.replace("TeamX", "TeamY");
        let facts = RequestFacts {
            target: &bad_target,
            ..facts
        };
        let err = verify(&facts, &keys).unwrap_err();
        assert!(err.contains("signature does not verify"), "{err}");
        assert!(
            err.contains("(request-target): get /20160918/instances?"),
            "{err}"
        );

        // Skewed clock.
        let facts = RequestFacts {
            target,
            now: now + Duration::from_secs(612),
            ..facts
        };
        let err = verify(&facts, &keys).unwrap_err();
        assert!(err.contains("date skew 612 s exceeds 300 s"), "{err}");
    }
}

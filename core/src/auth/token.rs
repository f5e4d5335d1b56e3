//! Security tokens as the client sees them: a JWT whose payload says when it expires.
//!
//! The client never validates a token's signature (the service does, and the client holds no
//! key to check it with); it reads `exp` (and `iat`, when present) to know when to refresh.
//! Nothing here ever puts the token's text into an error, a log line or `Debug` output: a
//! session token is a bearer credential for as long as it lives.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;

/// What a token's payload tells the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenClaims {
    /// When the token stops being accepted (`exp`).
    pub expires: SystemTime,
    /// When it was issued (`iat`), if the token says.
    pub issued: Option<SystemTime>,
}

/// Why a token could not be used. The text names where the token came from and what is wrong
/// with it, never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is not a JWT the client can read its expiry from.
    #[error(
        "the security token from {source_name} is not a usable JWT: {reason} (sign in again, e.g. `oci session authenticate`)"
    )]
    Malformed {
        /// Where the token came from (`security_token_file` path, `refresh reply`).
        source_name: String,
        /// What is wrong, in terms of the JWT's structure.
        reason: &'static str,
    },
    /// The auth service refused to refresh the token: it expired, was revoked or outlived its
    /// session. Only signing in again helps.
    #[error(
        "the auth service refused to refresh the session token ({status} {code}) at {endpoint}: the session has ended; sign in again (`oci session authenticate`){}",
        opc_request_id.as_ref().map(|id| format!("; opc-request-id {id}")).unwrap_or_default()
    )]
    RefreshRefused {
        /// HTTP status of the refusal.
        status: u16,
        /// OCI error code (`NotAuthenticated`, …).
        code: String,
        /// `POST <auth endpoint>/v1/authentication/refresh`.
        endpoint: String,
        /// The service's request id, for a support ticket.
        opc_request_id: Option<String>,
    },
    /// The refresh succeeded but its reply is not `{"token": "<JWT>"}`.
    #[error("the refresh reply from {endpoint} is not {{\"token\": \"<JWT>\"}}: {reason}")]
    BadRefreshReply {
        /// `POST <auth endpoint>/v1/authentication/refresh`.
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The client cannot refresh: it does not know the auth service's address.
    #[error(
        "cannot refresh the session token: no auth endpoint (give the client a region, or `auth_endpoint(url)`)"
    )]
    NoAuthEndpoint,
    /// The token has expired and its source has no newer one (a resource principal's token
    /// given as a value rather than a file to read again, a file nobody renewed).
    #[error("the {kind}'s session token has expired and there is no newer one: {hint}")]
    Expired {
        /// The principal (`"resource principal"`).
        kind: &'static str,
        /// What would give a newer token.
        hint: &'static str,
    },
    /// OKE workload identity: the pod's service-account token cannot be used (the file is
    /// missing or unreadable, not a JWT, or expired).
    #[error("OKE workload identity: the service-account token at {path} cannot be used: {reason}")]
    OkeServiceAccountToken {
        /// The token file's path (or "the service-account token given").
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// OKE workload identity: nothing says where the proxymux is.
    #[error(
        "OKE workload identity: KUBERNETES_SERVICE_HOST is not set (is this a pod of an OKE cluster?); or give the proxymux's URL (`oke_endpoint(url)`)"
    )]
    OkeNoServiceHost,
    /// OKE workload identity: the cluster's proxymux refused to issue a token.
    #[error(
        "OKE workload identity: the proxymux refused to issue a token ({status} {code}) at {endpoint}{}{}",
        if *status == 403 { "; is the cluster an enhanced cluster, and is the service account allowed?" } else { "" },
        opc_request_id.as_ref().map(|id| format!("; opc-request-id {id}")).unwrap_or_default()
    )]
    OkeRefused {
        /// HTTP status of the refusal (403: the cluster is not an "enhanced" one).
        status: u16,
        /// The error code of the reply, if it had one.
        code: String,
        /// `POST <proxymux>/resourcePrincipalSessionTokens`.
        endpoint: String,
        /// The request id of the reply, for a support ticket.
        opc_request_id: Option<String>,
    },
    /// OKE workload identity: the proxymux's reply is not base64 of `{"token": "ST$<JWT>"}`.
    #[error(
        "OKE workload identity: the reply from {endpoint} is not base64 of {{\"token\": \"ST$<JWT>\"}}: {reason}"
    )]
    OkeBadReply {
        /// `POST <proxymux>/resourcePrincipalSessionTokens`.
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// OKE workload identity: the cluster CA certificate that verifies the proxymux's TLS
    /// certificate cannot be read.
    #[error(
        "OKE workload identity: the cluster CA certificate at {path} cannot be read ({reason}); it verifies the proxymux's TLS certificate (OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH overrides the path)"
    )]
    OkeCaCertificate {
        /// The CA file's path.
        path: String,
        /// Why it cannot be read.
        reason: String,
    },
    /// The instance metadata service (IMDS) could not be reached: the code is not running on
    /// an OCI instance, or the IMDS endpoint given is wrong.
    #[error(
        "instance principals: the instance metadata service (IMDS) at {url} is unreachable ({reason}); is this an OCI instance? (`OCI_METADATA_BASE_URL` / `imds_endpoint(url)` override it)"
    )]
    ImdsUnreachable {
        /// The IMDS URL asked.
        url: String,
        /// The transport's reason.
        reason: String,
    },
    /// The instance metadata service (IMDS) answered with an error.
    #[error(
        "instance principals: the instance metadata service (IMDS) answered {status} for {url}"
    )]
    ImdsRefused {
        /// The IMDS URL asked.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The instance's certificate from IMDS cannot be used.
    #[error("instance principals: {0}")]
    Certificate(#[from] super::x509::CertificateError),
    /// The auth service refused to federate the instance certificate.
    #[error(
        "instance principals: the auth service refused the certificate federation ({status} {code}) at {endpoint}{}",
        opc_request_id.as_ref().map(|id| format!("; opc-request-id {id}")).unwrap_or_default()
    )]
    FederationRefused {
        /// HTTP status of the refusal.
        status: u16,
        /// OCI error code.
        code: String,
        /// `POST <auth endpoint>/v1/x509`.
        endpoint: String,
        /// The service's request id, for a support ticket.
        opc_request_id: Option<String>,
    },
    /// A resource-principal environment cannot be used (a variable missing, a file unreadable,
    /// a token without its tenancy).
    #[error("{0}")]
    ResourcePrincipal(#[from] super::resource::ResourcePrincipalError),
}

/// Reads the claims of `token` (a JWT: `header.payload.signature`, base64url) without checking
/// its signature. `source_name` says where the token came from, for the error.
pub fn parse_claims(token: &str, source_name: &str) -> Result<TokenClaims, TokenError> {
    let malformed = |reason| TokenError::Malformed {
        source_name: source_name.to_string(),
        reason,
    };
    let token = token.trim();
    if token.is_empty() {
        return Err(malformed("it is empty"));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(
            "a JWT has three parts separated by dots (header.payload.signature)",
        ));
    };
    if header.is_empty() || payload.is_empty() {
        return Err(malformed("its header or payload part is empty"));
    }
    // Some encoders pad base64url; the JWT form (RFC 7515) does not. Accept both.
    let payload = zeroize::Zeroizing::new(
        B64URL
            .decode(payload.trim_end_matches('='))
            .map_err(|_| malformed("its payload is not base64url"))?,
    );
    let claims: serde_json::Value = serde_json::from_slice(&payload)
        .map_err(|_| malformed("its payload is not a JSON object"))?;
    let claims = claims
        .as_object()
        .ok_or_else(|| malformed("its payload is not a JSON object"))?;
    let seconds = |name: &str| -> Result<Option<SystemTime>, TokenError> {
        match claims.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => {
                let secs = v
                    .as_u64()
                    .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
                    .ok_or_else(|| malformed("its `exp` or `iat` is not a number of seconds"))?;
                UNIX_EPOCH
                    .checked_add(Duration::from_secs(secs))
                    .map(Some)
                    .ok_or_else(|| malformed("its `exp` or `iat` is out of range"))
            }
        }
    };
    let expires = seconds("exp")?.ok_or_else(|| malformed("its payload has no `exp` claim"))?;
    let issued = seconds("iat")?;
    Ok(TokenClaims { expires, issued })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!(
            "{}.{}.{}",
            B64URL.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
            B64URL.encode(payload),
            B64URL.encode(b"signature")
        )
    }

    #[test]
    fn reads_exp_and_iat() {
        let claims = parse_claims(&jwt(r#"{"exp":1700000600,"iat":1700000000}"#), "t").unwrap();
        assert_eq!(
            claims.expires,
            UNIX_EPOCH + Duration::from_secs(1_700_000_600)
        );
        assert_eq!(
            claims.issued,
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
        let padded = format!("{}=", jwt(r#"{"exp":5}"#).split('.').nth(1).unwrap());
        let token = format!("a.{padded}.c");
        assert_eq!(parse_claims(&token, "t").unwrap().issued, None);
    }

    #[test]
    fn malformed_tokens_are_named_never_quoted() {
        let secret_part = "SECRETSECRET";
        let cases = [
            secret_part.to_string(),
            format!("{secret_part}.{secret_part}"),
            format!("a.{secret_part}!.c"),
            jwt(&format!(r#"["{secret_part}"]"#)),
            jwt(&format!(r#"{{"sub":"{secret_part}"}}"#)),
            jwt(&format!(r#"{{"exp":"{secret_part}"}}"#)),
            format!("a.b.c.{secret_part}"),
            String::new(),
        ];
        for token in cases {
            let err = parse_claims(&token, "/home/u/.oci/token").unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(!text.contains(secret_part), "{text}");
            assert!(text.contains("/home/u/.oci/token"), "{text}");
            assert!(matches!(err, TokenError::Malformed { .. }));
        }
    }
}

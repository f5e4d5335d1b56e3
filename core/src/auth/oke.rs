//! OKE workload identity: a pod of an "enhanced" OKE cluster trades its Kubernetes
//! service-account token for a resource-principal session token at the cluster's proxymux,
//! `POST https://$KUBERNETES_SERVICE_HOST:12250/resourcePrincipalSessionTokens`, with
//! `Authorization: Bearer <service-account token>` and `{"podKey": "<session public key PEM
//! body>"}`. The reply is the base64 of `{"token": "ST$<JWT>"}`; the JWT is bound to the pod key.
//! Facts from the official Python SDK (oci 2.189.0,
//! `oci/auth/signers/oke_workload_identity_resource_principal_signer.py` and
//! `get_oke_workload_identity_resource_principal_signer` in `resource_principals_signer.py`).
//!
//! Every round reads the service-account token again: the kubelet rotates the projected token
//! file, and a token read once at start would expire under a long-running pod. The session key is
//! the principal's, generated once; the token is refreshed at half its lifetime, as the Python
//! SDK does (`valid_with_half_expiration_time`).

use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};

use super::source::{Completed, NewToken, SourceCx, SourceStep, TokenSource};
use super::token::{TokenError, parse_claims};
use crate::config::Secret;
use crate::error::Error;
use crate::operation::RequestBody;

/// Where the kubelet mounts a pod's service-account token.
pub const DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH: &str =
    "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// Where the kubelet mounts the cluster's CA certificate, which signs the proxymux's TLS
/// certificate.
pub const DEFAULT_SERVICE_ACCOUNT_CERT_PATH: &str =
    "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

/// The environment variable that overrides [`DEFAULT_SERVICE_ACCOUNT_CERT_PATH`] (as the
/// Python SDK reads it).
pub const SERVICE_ACCOUNT_CERT_PATH_ENV: &str = "OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH";

/// The environment variable Kubernetes sets in every pod to the API server's address; the
/// proxymux listens on the same host.
pub const SERVICE_HOST_ENV: &str = "KUBERNETES_SERVICE_HOST";

/// The environment variable naming the pod's OCI region (shared with resource principals).
pub const REGION_ENV: &str = "OCI_RESOURCE_PRINCIPAL_REGION";

/// The proxymux's port on the service host.
pub const PROXYMUX_PORT: u16 = 12250;

/// The proxymux's token path.
pub const PROXYMUX_PATH: &str = "/resourcePrincipalSessionTokens";

/// The operation name of the token exchange in errors and logs.
pub const PROXYMUX_OPERATION: &str = "OkeWorkloadIdentityToken";

/// Where the pod's service-account token comes from.
#[derive(Clone)]
pub enum ServiceAccountToken {
    /// A file, read again at every round (the kubelet rotates it).
    File(String),
    /// A value given by the caller, used as it is.
    Value(Secret),
}

impl fmt::Debug for ServiceAccountToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceAccountToken::File(path) => write!(f, "File({path})"),
            ServiceAccountToken::Value(_) => f.write_str("Value(<redacted>)"),
        }
    }
}

impl ServiceAccountToken {
    /// What errors call this token: its path, or "the service-account token given".
    fn name(&self) -> String {
        match self {
            ServiceAccountToken::File(path) => path.clone(),
            ServiceAccountToken::Value(_) => "the service-account token given".to_string(),
        }
    }

    /// The token, read now; checked to be a JWT that has not expired at `now` (the Python
    /// SDK refuses an expired one before asking the proxymux, which would refuse it too).
    fn read(&self, now: SystemTime) -> Result<Secret, TokenError> {
        let bad = |reason: String| TokenError::OkeServiceAccountToken {
            path: self.name(),
            reason,
        };
        let token = match self {
            #[cfg(feature = "fs")]
            ServiceAccountToken::File(path) => {
                let text = zeroize::Zeroizing::new(
                    std::fs::read_to_string(path)
                        .map_err(|e| bad(format!("cannot read it: {e}")))?,
                );
                Secret::new(text.trim().to_string())
            }
            #[cfg(not(feature = "fs"))]
            ServiceAccountToken::File(_) => {
                return Err(bad(
                    "this build reads no files (feature `fs`): give the token as a value".into(),
                ));
            }
            ServiceAccountToken::Value(token) => Secret::new(token.expose().trim().to_string()),
        };
        let claims = parse_claims(token.expose(), &self.name())
            .map_err(|_| bad("it is not a JWT with an `exp` claim".into()))?;
        if claims.expires <= now {
            return Err(bad(
                "it has expired (the kubelet renews a projected token; is the file still mounted?)"
                    .into(),
            ));
        }
        Ok(token)
    }
}

/// How an OKE workload-identity principal is set up: what a configuration keeps, to make a
/// [`OkeWorkloadIdentity`] for each client it builds.
#[derive(Debug, Clone)]
pub struct OkeSettings {
    /// The service-account token.
    pub token: ServiceAccountToken,
    /// `$KUBERNETES_SERVICE_HOST`, if set.
    pub service_host: Option<String>,
    /// A base URL replacing `https://<service host>:12250` (a private endpoint, an emulator).
    pub endpoint: Option<String>,
    /// The cluster CA certificate's path (for the proxymux's TLS).
    pub ca_path: String,
    /// The region from `OCI_RESOURCE_PRINCIPAL_REGION`, if set.
    pub region: Option<String>,
}

impl OkeSettings {
    /// The settings of a pod: the default paths, and the environment where there is one
    /// (`KUBERNETES_SERVICE_HOST`, `OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH`,
    /// `OCI_RESOURCE_PRINCIPAL_REGION`).
    pub fn from_env() -> Self {
        #[cfg(feature = "std")]
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        #[cfg(not(feature = "std"))]
        let var = |_: &str| None::<String>;
        OkeSettings {
            token: ServiceAccountToken::File(DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH.to_string()),
            service_host: var(SERVICE_HOST_ENV),
            endpoint: None,
            ca_path: var(SERVICE_ACCOUNT_CERT_PATH_ENV)
                .unwrap_or_else(|| DEFAULT_SERVICE_ACCOUNT_CERT_PATH.to_string()),
            region: var(REGION_ENV),
        }
    }

    /// The proxymux's base URL: the endpoint given, else `https://<service host>:12250`; with
    /// neither, [`TokenError::OkeNoServiceHost`].
    pub fn base_url(&self) -> Result<String, TokenError> {
        if let Some(endpoint) = &self.endpoint {
            return Ok(endpoint.trim_end_matches('/').to_string());
        }
        let host = self
            .service_host
            .as_deref()
            .ok_or(TokenError::OkeNoServiceHost)?;
        // An IPv6 service address needs brackets in a URL.
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        Ok(format!("https://{host}:{PROXYMUX_PORT}"))
    }

    /// The token source these settings describe.
    pub fn source(&self) -> Result<OkeWorkloadIdentity, TokenError> {
        Ok(OkeWorkloadIdentity {
            url: format!("{}{PROXYMUX_PATH}", self.base_url()?),
            token: self.token.clone(),
            region: self.region.clone(),
        })
    }
}

/// A pod's service-account token, traded for session tokens at the cluster's proxymux.
pub struct OkeWorkloadIdentity {
    url: String,
    token: ServiceAccountToken,
    region: Option<String>,
}

impl fmt::Debug for OkeWorkloadIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OkeWorkloadIdentity")
            .field("url", &self.url)
            .field("token", &self.token)
            .field("region", &self.region)
            .finish()
    }
}

impl OkeWorkloadIdentity {
    /// Trades `token` at the proxymux `base_url` (`https://<host>:12250`, or an emulator's).
    pub fn new(base_url: &str, token: ServiceAccountToken) -> Self {
        OkeWorkloadIdentity {
            url: format!("{}{PROXYMUX_PATH}", base_url.trim_end_matches('/')),
            token,
            region: None,
        }
    }

    fn request(
        &self,
        cx: &mut SourceCx<'_>,
        now: SystemTime,
    ) -> Result<http::Request<RequestBody>, Error> {
        let sa_token = self.token.read(now)?;
        let pod_key = cx.session_public_key().ok_or(Error::Misuse(
            "an OKE workload identity without a session key",
        ))?;
        let body = Bytes::from(
            serde_json::to_vec(&serde_json::json!({ "podKey": pod_key }))
                .map_err(|_| Error::Misuse("the proxymux request body could not be written"))?,
        );
        let mut req = super::source::exchange_request(
            http::Method::POST,
            &self.url,
            RequestBody::Bytes(body),
            (PROXYMUX_OPERATION, "proxymux"),
        )?;
        // The bearer value is the pod's credential: marked sensitive so that `http`'s Debug
        // hides it and the blocking transport keeps it out of ureq's logs.
        let mut bearer =
            HeaderValue::from_str(&format!("Bearer {}", sa_token.expose())).map_err(|_| {
                Error::Token(TokenError::OkeServiceAccountToken {
                    path: self.token.name(),
                    reason: "it has characters an HTTP header cannot carry".into(),
                })
            })?;
        bearer.set_sensitive(true);
        // The Python SDK sends a fresh opc-request-id (32 upper-case hex digits) with each
        // request, for support tickets.
        let request_id: String = cx
            .seed()
            .iter()
            .take(16)
            .map(|b| format!("{b:02X}"))
            .collect();
        let headers = req.headers_mut();
        headers.insert(http::header::AUTHORIZATION, bearer);
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            headers.insert("opc-request-id", v);
        }
        Ok(req)
    }

    fn bad_reply(&self, reason: &'static str) -> Error {
        Error::Token(TokenError::OkeBadReply {
            endpoint: format!("POST {}", self.url),
            reason,
        })
    }
}

impl TokenSource for OkeWorkloadIdentity {
    fn kind(&self) -> &'static str {
        "OKE workload identity"
    }

    fn next(&mut self, cx: &mut SourceCx<'_>, now: SystemTime) -> Result<SourceStep, Error> {
        if let Some(region) = &self.region {
            cx.learn_region(region.clone());
        }
        Ok(SourceStep::Send {
            request: Box::new(self.request(cx, now)?),
            operation: PROXYMUX_OPERATION,
        })
    }

    fn complete(
        &mut self,
        cx: &mut SourceCx<'_>,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Completed, Error> {
        let endpoint = format!("POST {}", self.url);
        if !status.is_success() {
            // A busy or failing proxymux is retried like any service; a refusal is final.
            let refused = |status, code, opc_request_id| TokenError::OkeRefused {
                status,
                code,
                endpoint: endpoint.clone(),
                opc_request_id,
            };
            return Err(super::source::refusal(
                (PROXYMUX_OPERATION, &endpoint),
                status,
                headers,
                body,
                refused,
            ));
        }
        // The body is base64 (of JSON); whitespace around or inside it is not part of it, as
        // Python's lenient `b64decode` ignores it too.
        let compact: Vec<u8> = body
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let json = zeroize::Zeroizing::new(
            B64.decode(&compact)
                .map_err(|_| self.bad_reply("the body is not base64"))?,
        );
        #[derive(serde::Deserialize)]
        struct Reply {
            token: Option<String>,
        }
        let reply: Reply = serde_json::from_slice(&json)
            .map_err(|_| self.bad_reply("the decoded body is not a JSON object"))?;
        let token = zeroize::Zeroizing::new(
            reply
                .token
                .ok_or_else(|| self.bad_reply("the decoded body has no `token`"))?,
        );
        // The token comes as a keyId would carry it; the principal adds `ST$` itself.
        let jwt = token.strip_prefix("ST$").unwrap_or(&token).to_string();
        parse_claims(&jwt, "the proxymux reply").map_err(Error::Token)?;
        if let Some(tenancy) = tenancy_claim(&jwt) {
            cx.learn_tenancy(tenancy);
        }
        Ok(Completed::Token(NewToken::new(jwt, "the proxymux reply")))
    }
}

/// The tenancy a resource-principal token names: `res_tenant` (resource principals' claim),
/// else `tenant`.
fn tenancy_claim(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = zeroize::Zeroizing::new(B64URL.decode(payload.trim_end_matches('=')).ok()?);
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    ["res_tenant", "tenant"]
        .iter()
        .find_map(|name| claims.get(*name).and_then(|v| v.as_str()))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

//! Instance principals: each round reads the instance metadata service (IMDS v2) — `GET
//! <imds>/instance/region`, `/identity/cert.pem`, `/identity/key.pem`,
//! `/identity/intermediate.pem`, with `Authorization: Bearer Oracle` — then federates: `POST
//! <auth endpoint>/v1/x509` with the certificates and the public half of the session key,
//! signed with the instance's leaf key as keyId `<tenancy>/fed-x509-sha256/<leaf SHA-256>`.
//! The reply is `{"token": "<JWT>"}`, bound to the session key. Every round reads IMDS afresh,
//! so a rotated leaf certificate is picked up by the next refresh (and after a 401). The
//! tenancy comes from the leaf certificate's subject (`OU=opc-tenant:<ocid>`).

use std::time::SystemTime;

use http::{HeaderMap, HeaderValue, StatusCode};

use super::keys::PrivateKey;
use super::signer::{KeyId, RequestSigner, default_backend};
use super::source::{
    Completed, SourceCx, SourceStep, TokenSource, exchange_request, signed_json_post, token_reply,
};
use super::token::TokenError;
use super::x509;
use crate::config::Secret;
use crate::error::Error;
use crate::operation::RequestBody;

/// The path of the instance-principal federation on the auth endpoint.
pub const FEDERATION_PATH: &str = "/v1/x509";

/// The operation name the federation carries in errors and logs.
pub const FEDERATION_OPERATION: &str = "FederateInstancePrincipal";

/// The operation name of the IMDS reads in errors and logs.
pub const IMDS_OPERATION: &str = "InstanceMetadata";

/// The instance metadata service (IMDS) v2 base URL of every OCI instance; the official SDKs
/// let `OCI_METADATA_BASE_URL` override it.
pub const DEFAULT_IMDS_ENDPOINT: &str = "http://169.254.169.254/opc/v2";

/// The same service's IPv6 address, for IPv6-only instances: tried when the default IPv4
/// address cannot be reached (the official SDKs fall back the same way; `oci-protocol.md` §10).
pub const IPV6_IMDS_ENDPOINT: &str = "http://[fd00:c1::a9fe:a9fe]/opc/v2";

/// The IMDS reads of a round, in order.
const REGION: &str = "/instance/region";
const CERT: &str = "/identity/cert.pem";
const KEY: &str = "/identity/key.pem";
const INTERMEDIATE: &str = "/identity/intermediate.pem";

/// What the IMDS reads of one round have gathered. Cleared after each federation, so that the
/// next one reads a rotated certificate, and so the leaf key is not kept longer than needed.
#[derive(Default)]
struct ImdsReads {
    region: Option<String>,
    /// The leaf certificate PEM, with its tenancy and SHA-256 fingerprint.
    leaf: Option<(String, String, String)>,
    /// The leaf private key PEM: the instance's credential.
    key: Option<Secret>,
    intermediate: Option<String>,
}

/// An instance's identity from IMDS, federated into session tokens.
pub struct InstanceFederation {
    imds: String,
    /// The IPv6 address still to try when the default IPv4 one is unreachable; `None` once
    /// tried, or when the IMDS endpoint was given.
    ipv6_fallback: Option<&'static str>,
    /// The IMDS base URLs tried and found unreachable, for the error.
    unreachable: Vec<String>,
    reads: ImdsReads,
    /// The exchange in flight: an IMDS path, or `None` for the federation.
    pending: Option<&'static str>,
    endpoint: String,
}

impl InstanceFederation {
    /// Reads IMDS at `imds_endpoint` (its v2 base, [`DEFAULT_IMDS_ENDPOINT`]).
    pub fn new(imds_endpoint: &str) -> Self {
        let imds = imds_endpoint.trim_end_matches('/').to_string();
        InstanceFederation {
            ipv6_fallback: (imds == DEFAULT_IMDS_ENDPOINT).then_some(IPV6_IMDS_ENDPOINT),
            unreachable: Vec::new(),
            imds,
            reads: ImdsReads::default(),
            pending: None,
            endpoint: String::new(),
        }
    }

    fn next_read(&self) -> Option<&'static str> {
        let r = &self.reads;
        if r.region.is_none() {
            Some(REGION)
        } else if r.leaf.is_none() {
            Some(CERT)
        } else if r.key.is_none() {
            Some(KEY)
        } else if r.intermediate.is_none() {
            Some(INTERMEDIATE)
        } else {
            None
        }
    }

    fn federation_request(
        &self,
        cx: &mut SourceCx<'_>,
        now: SystemTime,
    ) -> Result<http::Request<RequestBody>, Error> {
        let url = format!("{}{FEDERATION_PATH}", cx.auth_endpoint()?);
        let public_key = cx
            .session_public_key()
            .ok_or(Error::Misuse("an instance principal without a session key"))?
            .to_string();
        let (Some((leaf_pem, tenancy, fingerprint)), Some(key), Some(intermediate)) =
            (&self.reads.leaf, &self.reads.key, &self.reads.intermediate)
        else {
            return Err(Error::Misuse("a federation before the IMDS reads"));
        };
        let intermediates: Vec<String> = x509::certificate_blocks(intermediate)
            .iter()
            .filter_map(|b| x509::pem_body(b))
            .collect();
        let body = serde_json::json!({
            "certificate": x509::pem_body(leaf_pem).unwrap_or_default(),
            "publicKey": public_key,
            "intermediateCertificates": intermediates,
            "purpose": "DEFAULT",
            "fingerprintAlgorithm": "SHA256",
        });
        let leaf_key = PrivateKey::from_pem(key.expose(), None, "the leaf key from IMDS")?;
        let key_id = KeyId::X509Federation {
            tenancy: tenancy.clone(),
            fingerprint: fingerprint.clone(),
        };
        let signer = RequestSigner::new(key_id, default_backend(&leaf_key, cx.seed()))
            .with_date_header(cx.date_header());
        signed_json_post(
            &signer,
            &url,
            &body,
            (FEDERATION_OPERATION, "federation"),
            now,
        )
    }

    /// An IMDS read answered: keep what it says for the federation.
    fn complete_read(
        &mut self,
        cx: &mut SourceCx<'_>,
        path: &'static str,
        status: StatusCode,
        body: &[u8],
    ) -> Result<Completed, Error> {
        if !status.is_success() {
            return Err(Error::Token(TokenError::ImdsRefused {
                url: format!("{}{path}", self.imds),
                status: status.as_u16(),
            }));
        }
        let text = zeroize::Zeroizing::new(String::from_utf8_lossy(body).into_owned());
        match path {
            REGION => {
                let region = text.trim().to_string();
                cx.learn_region(region.clone());
                self.reads.region = Some(region);
            }
            CERT => {
                let what = "leaf certificate from IMDS";
                let der = x509::pem_to_der(&text, what).map_err(TokenError::from)?;
                let tenancy = x509::tenancy_from_subject(&der, what).map_err(TokenError::from)?;
                let fingerprint = x509::sha256_fingerprint(&der);
                cx.learn_tenancy(tenancy.clone());
                self.reads.leaf = Some((text.to_string(), tenancy, fingerprint));
            }
            KEY => self.reads.key = Some(Secret::new(text.to_string())),
            _ => self.reads.intermediate = Some(text.to_string()),
        }
        Ok(Completed::More)
    }
}

impl TokenSource for InstanceFederation {
    fn kind(&self) -> &'static str {
        "instance principal"
    }

    fn next(&mut self, cx: &mut SourceCx<'_>, now: SystemTime) -> Result<SourceStep, Error> {
        self.pending = self.next_read();
        match self.pending {
            Some(path) => {
                let url = format!("{}{path}", self.imds);
                self.endpoint = format!("GET {url}");
                Ok(SourceStep::Send {
                    request: Box::new(imds_request(&url)?),
                    operation: IMDS_OPERATION,
                })
            }
            None => {
                let request = self.federation_request(cx, now)?;
                self.endpoint = format!("POST {}", request.uri());
                Ok(SourceStep::Send {
                    request: Box::new(request),
                    operation: FEDERATION_OPERATION,
                })
            }
        }
    }

    fn complete(
        &mut self,
        cx: &mut SourceCx<'_>,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Completed, Error> {
        if let Some(path) = self.pending {
            return self.complete_read(cx, path, status, body);
        }
        let endpoint = self.endpoint.clone();
        let reply = token_reply(
            (FEDERATION_OPERATION, &self.endpoint),
            status,
            headers,
            body,
            "the federation reply",
            |status, code, opc_request_id| TokenError::FederationRefused {
                status,
                code,
                endpoint,
                opc_request_id,
            },
        );
        // The next round reads IMDS afresh (a rotated leaf) after a token, and after a refusal
        // (the certificate may have rotated or expired since it was read); only a federation
        // that may succeed as it is (a 429, a 5xx) is tried again with what this round read.
        if reply.as_ref().map_or_else(|e| !e.is_retryable(), |_| true) {
            self.reads = ImdsReads::default();
        }
        Ok(Completed::Token(reply?))
    }

    /// An IMDS read that got no answer says it was IMDS that could not be reached, and is
    /// final (a machine without IMDS will not grow one) — except that the default IPv4 address
    /// is followed by the IPv6 one: that failure stays the transport's retryable error, and the
    /// call's next try reads IMDS over IPv6.
    fn fail(&mut self, error: Error) -> Error {
        let Some(path) = self.pending else {
            return error;
        };
        let connect_failed = matches!(
            &error,
            Error::Transport(e) if e.retry_class().is_some()
        );
        if connect_failed && let Some(ipv6) = self.ipv6_fallback.take() {
            tracing::debug!(
                imds = self.imds.as_str(),
                "IMDS unreachable over IPv4; trying {ipv6}"
            );
            self.unreachable
                .push(std::mem::replace(&mut self.imds, ipv6.to_string()));
            return error;
        }
        let mut url = format!("{}{path}", self.imds);
        for earlier in &self.unreachable {
            url.push_str(&format!(" (and {earlier}{path})"));
        }
        Error::Token(TokenError::ImdsUnreachable {
            url,
            reason: error.to_string(),
        })
    }
}

/// An IMDS v2 read of `url`: a GET with IMDS's `Authorization: Bearer Oracle`.
pub(crate) fn imds_request(url: &str) -> Result<http::Request<RequestBody>, Error> {
    let mut req = exchange_request(
        http::Method::GET,
        url,
        RequestBody::Empty,
        (IMDS_OPERATION, "IMDS"),
    )?;
    req.headers_mut().insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("Bearer Oracle"),
    );
    Ok(req)
}

//! Request signing: OCI signature version 1 (draft-cavage-http-signatures-08, RSA-SHA256).
//!
//! The RSA operation sits behind [`RsaBackend`] so that the portable pure-Rust backend (blinded
//! `rsa`, works on wasm32) and the native constant-time backend (aws-lc-rs, feature `native`) are
//! interchangeable and produce byte-identical signatures (PKCS#1 v1.5 is deterministic).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use http::header::{HeaderName, HeaderValue};
use http::{Method, Uri};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::auth::keys::PrivateKey;
use crate::config::Secret;

/// base64(SHA-256("")): the `x-content-sha256` of an empty body.
pub const EMPTY_BODY_SHA256: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

/// The RSA PKCS#1 v1.5 SHA-256 operation a signer needs.
pub trait RsaBackend: Send + Sync + fmt::Debug {
    /// Signs `message` (the signing string) and returns the raw signature bytes.
    fn sign_pkcs1v15_sha256(&self, message: &[u8]) -> Result<Vec<u8>, SigningError>;
    /// Short name for logs and benchmarks (`"rsa"`, `"aws-lc-rs"`).
    fn name(&self) -> &'static str;
}

/// The RSA backend failed to produce a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signing with the {backend} RSA backend failed: {reason}")]
pub struct SigningError {
    /// Which backend failed.
    pub backend: &'static str,
    /// Why.
    pub reason: String,
}

/// Portable backend: the pure-Rust `rsa` crate, with blinding on every signature.
///
/// Blinding needs randomness; it comes from a ChaCha20 generator seeded by the caller, so the
/// core never reaches for an OS entropy source of its own (that differs per platform).
pub struct PortableRsa {
    key: rsa::pkcs1v15::SigningKey<Sha256>,
    rng: Mutex<ChaCha20Rng>,
}

impl PortableRsa {
    /// A backend for `key`, blinding with a generator seeded from `seed` (use 32 random bytes).
    pub fn new(key: &PrivateKey, seed: [u8; 32]) -> Self {
        PortableRsa {
            key: rsa::pkcs1v15::SigningKey::<Sha256>::new(key.rsa().clone()),
            rng: Mutex::new(ChaCha20Rng::from_seed(seed)),
        }
    }
}

impl fmt::Debug for PortableRsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PortableRsa(<key redacted>)")
    }
}

impl RsaBackend for PortableRsa {
    fn sign_pkcs1v15_sha256(&self, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        use rsa::signature::{RandomizedSigner, SignatureEncoding};
        let mut rng = self.rng.lock().map_err(|_| SigningError {
            backend: "rsa",
            reason: "blinding generator lock poisoned".into(),
        })?;
        let sig = self
            .key
            .try_sign_with_rng(&mut *rng, message)
            .map_err(|e| SigningError {
                backend: "rsa",
                reason: e.to_string(),
            })?;
        Ok(sig.to_vec())
    }

    fn name(&self) -> &'static str {
        "rsa"
    }
}

/// Native constant-time backend through aws-lc-rs (keys of 2048 bits and more).
#[cfg(feature = "native")]
pub struct NativeRsa {
    pair: aws_lc_rs::signature::RsaKeyPair,
    rng: aws_lc_rs::rand::SystemRandom,
}

#[cfg(feature = "native")]
impl NativeRsa {
    /// An aws-lc-rs backend for `key`; fails for keys it refuses (under 2048 bits).
    pub fn new(key: &PrivateKey) -> Result<Self, SigningError> {
        let der = key.to_pkcs1_der().map_err(|e| SigningError {
            backend: "aws-lc-rs",
            reason: e.to_string(),
        })?;
        let pair = aws_lc_rs::signature::RsaKeyPair::from_der(&der).map_err(|e| SigningError {
            backend: "aws-lc-rs",
            reason: format!("key rejected: {e}"),
        })?;
        Ok(NativeRsa {
            pair,
            rng: aws_lc_rs::rand::SystemRandom::new(),
        })
    }
}

#[cfg(feature = "native")]
impl fmt::Debug for NativeRsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NativeRsa(<key redacted>)")
    }
}

#[cfg(feature = "native")]
impl RsaBackend for NativeRsa {
    fn sign_pkcs1v15_sha256(&self, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &self.rng,
                message,
                &mut sig,
            )
            .map_err(|_| SigningError {
                backend: "aws-lc-rs",
                reason: "aws-lc-rs refused to sign".into(),
            })?;
        Ok(sig)
    }

    fn name(&self) -> &'static str {
        "aws-lc-rs"
    }
}

/// The best backend this build offers for `key`: aws-lc-rs when the `native` feature is on and
/// it accepts the key, else the portable one.
pub fn default_backend(key: &PrivateKey, seed: [u8; 32]) -> Arc<dyn RsaBackend> {
    #[cfg(feature = "native")]
    {
        match NativeRsa::new(key) {
            Ok(native) => return Arc::new(native),
            Err(e) => tracing::debug!("native RSA backend unavailable ({e}); using portable"),
        }
    }
    Arc::new(PortableRsa::new(key, seed))
}

/// What the `keyId` of the signature names.
#[derive(Clone)]
pub enum KeyId {
    /// An API key: `<tenancy>/<user>/<fingerprint>`.
    ApiKey {
        /// Tenancy OCID.
        tenancy: String,
        /// User OCID.
        user: String,
        /// Key fingerprint (`aa:bb:…`).
        fingerprint: String,
    },
    /// A security (session) token: `ST$<token>`.
    SessionToken(Secret),
    /// An instance certificate, for the federation request only:
    /// `<tenancy>/fed-x509-sha256/<SHA-256 of the leaf certificate>`.
    X509Federation {
        /// Tenancy OCID, from the certificate's subject.
        tenancy: String,
        /// SHA-256 of the leaf certificate's DER, upper-case hex pairs joined by `:`.
        fingerprint: String,
    },
    /// A resource's own key, for a resource principal's (2.1.x) token exchanges only:
    /// `resource/v2.1/<resource OCID>`, or `resource/v<version>/<tenancy>/<resource OCID>`.
    Resource {
        /// `2.1`, `2.1.1` or `2.1.2`.
        version: String,
        /// The tenancy OCID (2.1.1 and 2.1.2 name it; 2.1 does not).
        tenancy: Option<String>,
        /// The resource OCID.
        resource: String,
    },
}

impl KeyId {
    /// The `keyId` text; zeroized on drop because a session token's carries the token.
    fn render(&self) -> Zeroizing<String> {
        Zeroizing::new(match self {
            KeyId::ApiKey {
                tenancy,
                user,
                fingerprint,
            } => format!("{tenancy}/{user}/{fingerprint}"),
            KeyId::SessionToken(t) => format!("ST${}", t.expose()),
            KeyId::X509Federation {
                tenancy,
                fingerprint,
            } => format!("{tenancy}/fed-x509-sha256/{fingerprint}"),
            KeyId::Resource {
                version,
                tenancy: Some(tenancy),
                resource,
            } => format!("resource/v{version}/{tenancy}/{resource}"),
            KeyId::Resource {
                version,
                tenancy: None,
                resource,
            } => format!("resource/v{version}/{resource}"),
        })
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyId::ApiKey { .. } | KeyId::X509Federation { .. } | KeyId::Resource { .. } => {
                write!(f, "KeyId({})", self.render().as_str())
            }
            KeyId::SessionToken(_) => f.write_str("KeyId(ST$<redacted>)"),
        }
    }
}

/// Which header carries the request time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateHeader {
    /// `date` (the usual choice for native clients).
    #[default]
    Date,
    /// `x-date` (browsers drop a script-set `date`; the service prefers `x-date`).
    XDate,
}

/// How the body takes part in the signature.
#[derive(Debug, Clone, Copy)]
pub enum SignBody<'a> {
    /// The body's bytes are hashed into `x-content-sha256` and the content headers are signed
    /// (POST, PUT, PATCH).
    Hashed(&'a [u8]),
    /// The body is not signed (PutObject and UploadPart stream their bodies; GET/HEAD/DELETE).
    Unsigned,
}

/// Optional headers that are signed whenever a request carries them.
const OPTIONAL_SIGNED: [&str; 3] = ["opc-obo-token", "x-cross-tenancy-request", "x-subscription"];

/// The header that carries a delegation (on-behalf-of) token.
pub const DELEGATION_TOKEN_HEADER: &str = "opc-obo-token";

/// Signs requests with one key.
#[derive(Clone)]
pub struct RequestSigner {
    key_id: KeyId,
    backend: Arc<dyn RsaBackend>,
    date_header: DateHeader,
    /// A delegation token every request carries, signed (`opc-obo-token`).
    delegation: Option<Secret>,
}

impl fmt::Debug for RequestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestSigner")
            .field("key_id", &self.key_id)
            .field("backend", &self.backend.name())
            .field("date_header", &self.date_header)
            .field(
                "delegation_token",
                &self.delegation.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl RequestSigner {
    /// A signer for `key_id` that signs with `backend`.
    pub fn new(key_id: KeyId, backend: Arc<dyn RsaBackend>) -> Self {
        RequestSigner {
            key_id,
            backend,
            date_header: DateHeader::Date,
            delegation: None,
        }
    }

    /// Every request this signer signs carries `token` as `opc-obo-token`, among the signed
    /// headers right after `host` (where the official Python SDK's delegation-token signers put
    /// it, for requests with and without a body): the service acts on behalf of the user the
    /// token was issued for (Cloud Shell, an instance acting for a user). The value is marked
    /// sensitive, so it stays out of `Debug` output and the transports' logs.
    pub fn with_delegation_token(mut self, token: Secret) -> Self {
        self.delegation = Some(token);
        self
    }

    /// Whether requests carry a delegation token ([`RequestSigner::with_delegation_token`]).
    pub fn has_delegation_token(&self) -> bool {
        self.delegation.is_some()
    }

    /// A signer over the same key and date header that signs as `key_id`, without a
    /// delegation token: a token exchange signed with a session key under another token (a
    /// resource principal 1.1 asks for its tokens as `ST$<instance token>`).
    pub fn with_key_id(&self, key_id: KeyId) -> Self {
        RequestSigner {
            key_id,
            backend: self.backend.clone(),
            date_header: self.date_header,
            delegation: None,
        }
    }

    /// Uses `x-date` or `date` for the request time.
    pub fn with_date_header(mut self, date_header: DateHeader) -> Self {
        self.date_header = date_header;
        self
    }

    /// The backend's name (`"rsa"` or `"aws-lc-rs"`).
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Which date header this signer writes.
    pub fn date_header(&self) -> DateHeader {
        self.date_header
    }

    /// Adds the date, host, body headers and `authorization` to `req`.
    ///
    /// `content-type` defaults to `application/json` for hashed bodies when the request has
    /// none; a `content-length` already present (streamed uploads) is kept. Call once per attempt
    /// with that attempt's `now`: a retried request needs a fresh date and signature.
    pub fn sign<B>(
        &self,
        req: &mut http::Request<B>,
        body: SignBody<'_>,
        now: SystemTime,
    ) -> Result<(), SigningError> {
        self.sign_with_date(req, body, &httpdate::fmt_http_date(now))
    }

    /// Like [`RequestSigner::sign`] with the date header's value given verbatim (an HTTP date).
    ///
    /// Exists for reproducing recorded exchanges and Oracle's published vectors, whose date
    /// string names the wrong weekday and so cannot come from any `SystemTime`.
    pub fn sign_with_date<B>(
        &self,
        req: &mut http::Request<B>,
        body: SignBody<'_>,
        date: &str,
    ) -> Result<(), SigningError> {
        let date_name = match self.date_header {
            DateHeader::Date => http::header::DATE,
            DateHeader::XDate => HeaderName::from_static("x-date"),
        };
        let headers = req.headers_mut();
        headers.insert(date_name.clone(), header_value(date)?);
        let host = host_of(req.uri()).ok_or_else(|| SigningError {
            backend: "signer",
            reason: format!("request URI {} has no host", req.uri()),
        })?;
        req.headers_mut()
            .insert(http::header::HOST, header_value(&host)?);

        let mut names: Vec<&str> = vec![date_name.as_str(), "(request-target)", "host"];
        if let Some(token) = &self.delegation {
            let mut value = header_value(token.expose())?;
            value.set_sensitive(true);
            req.headers_mut().insert(DELEGATION_TOKEN_HEADER, value);
            names.push(DELEGATION_TOKEN_HEADER);
        }
        if let SignBody::Hashed(bytes) = body {
            let headers = req.headers_mut();
            headers.insert(
                http::header::CONTENT_LENGTH,
                HeaderValue::from(bytes.len() as u64),
            );
            if !headers.contains_key(http::header::CONTENT_TYPE) {
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
            let digest = B64.encode(Sha256::digest(bytes));
            headers.insert("x-content-sha256", header_value(&digest)?);
            names.extend(["content-length", "content-type", "x-content-sha256"]);
        }
        for extra in OPTIONAL_SIGNED {
            if req.headers().contains_key(extra) && !names.contains(&extra) {
                names.push(extra);
            }
        }
        // The working copies are zeroized when dropped: the keyId of a session token is the
        // token. (The header value itself is `bytes::Bytes`, which cannot promise that; it is
        // marked sensitive so `http`'s Debug hides it, and the blocking transport redacts it
        // before ureq sees it.)
        let signing_string = Zeroizing::new(signing_string(
            req.method(),
            req.uri(),
            req.headers(),
            &names,
        )?);
        let signature = Zeroizing::new(
            self.backend
                .sign_pkcs1v15_sha256(signing_string.as_bytes())?,
        );
        let authorization = Zeroizing::new(format!(
            "Signature version=\"1\",keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
            self.key_id.render().as_str(),
            names.join(" "),
            B64.encode(signature.as_slice())
        ));
        let mut value = header_value(&authorization)?;
        value.set_sensitive(true);
        req.headers_mut().insert(http::header::AUTHORIZATION, value);
        Ok(())
    }
}

fn header_value(s: &str) -> Result<HeaderValue, SigningError> {
    HeaderValue::from_str(s).map_err(|_| SigningError {
        backend: "signer",
        reason: "header value contains characters HTTP does not allow".into(),
    })
}

/// The `host` value a client sends for `uri`: the host, plus `:port` when it is not the
/// scheme's default.
pub fn host_of(uri: &Uri) -> Option<String> {
    let host = uri.host()?;
    let default_port = match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    Some(match uri.port_u16() {
        Some(p) if Some(p) != default_port => format!("{host}:{p}"),
        _ => host.to_string(),
    })
}

/// Builds the signing string for `names` (in order) from a request as it will be sent.
///
/// `(request-target)` is the lowercase method and the path and query exactly as on the wire;
/// every other name is read from `headers` (a missing header is an error, never an empty line).
pub fn signing_string(
    method: &Method,
    uri: &Uri,
    headers: &http::HeaderMap,
    names: &[&str],
) -> Result<String, SigningError> {
    let mut out = String::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if *name == "(request-target)" {
            let target = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            out.push_str("(request-target): ");
            out.push_str(&method.as_str().to_ascii_lowercase());
            out.push(' ');
            out.push_str(target);
        } else {
            let value = headers.get(*name).ok_or_else(|| SigningError {
                backend: "signer",
                reason: format!("header `{name}` to be signed is missing"),
            })?;
            let value = value.to_str().map_err(|_| SigningError {
                backend: "signer",
                reason: format!("header `{name}` is not visible ASCII"),
            })?;
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
        }
    }
    Ok(out)
}

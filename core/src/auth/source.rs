//! How a token principal obtains its tokens: the [`TokenSource`] trait, one implementation per
//! way OCI hands out session tokens (a refresh, an instance's federation, a resource
//! principal's environment, …).
//!
//! The principal ([`SessionTokenPrincipal`](super::SessionTokenPrincipal)) owns what every way
//! shares: the current token and its expiry, when to refresh it, one refresh at a time for all
//! the calls of a client, the 401 rule. A source only knows its own round: which request comes
//! next, and what a reply means. It never sends anything: each request it makes is handed to a
//! call, which sends it like any other and brings the reply back. Sources run under the
//! principal's lock, so they need no locking of their own and must not block.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;

use super::signer::{DateHeader, KeyId, RequestSigner, RsaBackend, SignBody};
use super::token::{TokenError, parse_claims};
use crate::config::Secret;
use crate::error::Error;
use crate::operation::RequestBody;

/// What a source does next in a round ([`TokenSource::next`]).
pub enum SourceStep {
    /// Send `request`; its reply goes to [`TokenSource::complete`]. `operation` names the
    /// exchange in logs and errors (`"FederateInstancePrincipal"`).
    Send {
        /// The request, complete and signed if it must be (boxed: a request is large, and a
        /// step is moved around a few times).
        request: Box<http::Request<RequestBody>>,
        /// The exchange's name for logs and errors.
        operation: &'static str,
    },
    /// The source had a token without an exchange (an environment value, a file read again).
    Token(NewToken),
    /// Nothing newer is to be had now: keep signing with the current token while it lasts, and
    /// ask again after `recheck`. Once the current token has expired this ends the call with
    /// [`TokenError::Expired`], which quotes `hint`.
    Unchanged {
        /// How long until the source is asked again.
        recheck: Duration,
        /// What would give a newer token, for the error once this one has expired.
        hint: &'static str,
    },
}

impl fmt::Debug for SourceStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceStep::Send { request, operation } => {
                write!(
                    f,
                    "Send({operation}: {} {})",
                    request.method(),
                    request.uri()
                )
            }
            SourceStep::Token(_) => f.write_str("Token(<redacted>)"),
            SourceStep::Unchanged { recheck, .. } => {
                write!(f, "Unchanged(recheck in {recheck:?})")
            }
        }
    }
}

/// What a source answers to a reply ([`TokenSource::complete`]).
pub enum Completed {
    /// The round is over: here is the token.
    Token(NewToken),
    /// The round goes on with another exchange ([`TokenSource::next`] is asked again).
    More,
}

/// A token a source obtained, with the key it is bound to when that changed.
pub struct NewToken {
    pub(crate) jwt: zeroize::Zeroizing<String>,
    pub(crate) source_name: &'static str,
    pub(crate) backend: Option<Arc<dyn RsaBackend>>,
}

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken")
            .field("jwt", &"<redacted>")
            .field("source_name", &self.source_name)
            .field("new_key", &self.backend.is_some())
            .finish()
    }
}

impl NewToken {
    /// The JWT `jwt`, from `source_name` (named in the error when it is not a JWT with `exp`),
    /// bound to the session key the principal already signs with.
    pub fn new(jwt: impl Into<String>, source_name: &'static str) -> Self {
        NewToken {
            jwt: zeroize::Zeroizing::new(jwt.into()),
            source_name,
            backend: None,
        }
    }

    /// The token is bound to another key (a resource principal's key file was rotated with it):
    /// sign with `backend` from now on.
    pub fn with_key(mut self, backend: Arc<dyn RsaBackend>) -> Self {
        self.backend = Some(backend);
        self
    }
}

/// What the principal lends a source for one step: the current token and session key, the
/// auth endpoint, randomness, and a place to say what the round learned (region, tenancy).
pub struct SourceCx<'a> {
    pub(crate) token: &'a Secret,
    pub(crate) expires: SystemTime,
    pub(crate) generation: u64,
    pub(crate) signer: &'a RequestSigner,
    pub(crate) public_key: Option<&'a str>,
    pub(crate) auth_endpoint: Option<&'a str>,
    pub(crate) date_header: DateHeader,
    pub(crate) rng: &'a mut ChaCha20Rng,
    pub(crate) learned: &'a mut Learned,
}

/// Facts a round learned about where the principal lives.
#[derive(Debug, Default, Clone)]
pub(crate) struct Learned {
    pub(crate) region: Option<String>,
    pub(crate) tenancy: Option<String>,
}

impl SourceCx<'_> {
    /// The current token (empty before the first one).
    pub fn current_token(&self) -> &Secret {
        self.token
    }

    /// When the current token expires (the epoch before the first one).
    pub fn current_expiry(&self) -> SystemTime {
        self.expires
    }

    /// Whether the principal has had a token yet.
    pub fn has_token(&self) -> bool {
        self.generation > 0
    }

    /// Signs with keyId `ST$<current token>` and the session key.
    pub fn session_signer(&self) -> &RequestSigner {
        self.signer
    }

    /// Signs with keyId `ST$<token>` and the session key: exchanges made under another token
    /// bound to the same key (a resource principal 1.1 asks as its instance).
    pub fn session_signer_as(&self, token: &Secret) -> RequestSigner {
        self.signer.with_key_id(KeyId::SessionToken(token.clone()))
    }

    /// The session key's public half (the body of its PEM on one line), for exchanges that
    /// bind a new token to it; `None` when the principal was given no key of its own.
    pub fn session_public_key(&self) -> Option<&str> {
        self.public_key
    }

    /// The auth service's base URL, or [`TokenError::NoAuthEndpoint`].
    pub fn auth_endpoint(&self) -> Result<&str, Error> {
        self.auth_endpoint
            .ok_or(Error::Token(TokenError::NoAuthEndpoint))
    }

    /// The date header the client signs with.
    pub fn date_header(&self) -> DateHeader {
        self.date_header
    }

    /// 32 fresh bytes (e.g. to blind an RSA backend made for one exchange).
    pub fn seed(&mut self) -> [u8; 32] {
        let mut seed = [0u8; 32];
        self.rng.fill_bytes(&mut seed);
        seed
    }

    /// The principal's region, as the source found it (IMDS, an environment value). A client
    /// built without a region or endpoints uses this region's endpoints.
    pub fn learn_region(&mut self, region: impl Into<String>) {
        self.learned.region = Some(region.into());
    }

    /// The principal's tenancy, as the source found it (a certificate, a token claim).
    pub fn learn_tenancy(&mut self, tenancy: impl Into<String>) {
        self.learned.tenancy = Some(tenancy.into());
    }
}

/// One way of obtaining session tokens, as a round of exchanges the principal's calls send.
///
/// A round starts when the token is due (ahead of its expiry, or after a 401): the principal
/// asks [`next`](Self::next), a call sends the request it returns and hands the reply to
/// [`complete`](Self::complete), which either ends the round with a token or asks for
/// another exchange. Rounds never overlap.
pub trait TokenSource: Send + 'static {
    /// What this source is, for logs and errors (`"instance principal"`).
    fn kind(&self) -> &'static str;

    /// The round's next step at wall-clock time `now`.
    fn next(&mut self, cx: &mut SourceCx<'_>, now: SystemTime) -> Result<SourceStep, Error>;

    /// The reply to the request of the last [`next`](Self::next): status, headers, whole body.
    fn complete(
        &mut self,
        cx: &mut SourceCx<'_>,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Completed, Error>;

    /// The request of the last [`next`](Self::next) got no answer (`error`, from the
    /// transport): what the call reports. The round starts over on the next try.
    fn fail(&mut self, error: Error) -> Error {
        error
    }
}

/// A token-exchange request of `method` to `url` carrying `body` and the SDK's user agent;
/// `(operation, what)` name it in the error if `url` cannot be a request's.
pub fn exchange_request(
    method: http::Method,
    url: &str,
    body: RequestBody,
    (operation, what): (&'static str, &str),
) -> Result<http::Request<RequestBody>, Error> {
    let mut req = http::Request::builder()
        .method(method)
        .uri(url)
        .body(body)
        .map_err(|e| Error::InvalidRequest {
            operation,
            reason: format!("cannot build the {what} request for {url}: {e}"),
        })?;
    req.headers_mut().insert(
        http::header::USER_AGENT,
        HeaderValue::from_static(crate::context::USER_AGENT),
    );
    Ok(req)
}

/// What a token exchange's refusal (a reply that is not a success) is: a 429 or 5xx is the
/// retryable service error it is; anything else is `refused(status, code, opc_request_id)`,
/// final. `endpoint` is `"METHOD <url>"`, for errors.
pub fn refusal(
    (operation, endpoint): (&'static str, &str),
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    refused: impl FnOnce(u16, String, Option<String>) -> TokenError,
) -> Error {
    let error = crate::operation::service_error(operation, endpoint, status, headers, body);
    if error.retry_class().is_some() {
        return Error::from(error);
    }
    Error::Token(refused(status.as_u16(), error.code, error.opc_request_id))
}

/// A JSON POST to the auth service signed by `signer` (a refresh, a federation). The signer
/// adds `content-type: application/json` for the hashed body. `what` = (the operation errors
/// name, the word for the request in a build error).
pub fn signed_json_post(
    signer: &RequestSigner,
    url: &str,
    body: &serde_json::Value,
    (operation, what): (&'static str, &str),
    now: SystemTime,
) -> Result<http::Request<RequestBody>, Error> {
    let body = Bytes::from(
        serde_json::to_vec(body)
            .map_err(|_| Error::Misuse("a token request body could not be written"))?,
    );
    let mut req = exchange_request(
        http::Method::POST,
        url,
        RequestBody::Bytes(body.clone()),
        (operation, what),
    )?;
    req.headers_mut().insert(
        http::header::ACCEPT,
        HeaderValue::from_static("application/json"),
    );
    signer
        .sign(&mut req, SignBody::Hashed(&body), now)
        .map_err(Error::Signing)?;
    Ok(req)
}

/// A token exchange's reply read as the JSON object `T`, or the error: a refusal as
/// [`refusal`] says, a success whose body is not `T` [`TokenError::BadRefreshReply`].
/// `endpoint` is `"METHOD <url>"`, for errors.
pub fn json_reply<T: serde::de::DeserializeOwned>(
    (operation, endpoint): (&'static str, &str),
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    refused: impl FnOnce(u16, String, Option<String>) -> TokenError,
) -> Result<T, Error> {
    if !status.is_success() {
        return Err(refusal(
            (operation, endpoint),
            status,
            headers,
            body,
            refused,
        ));
    }
    serde_json::from_slice(body)
        .map_err(|_| bad_reply(endpoint, "the body is not that JSON object"))
}

/// [`TokenError::BadRefreshReply`] for the reply from `endpoint`.
pub fn bad_reply(endpoint: &str, reason: &'static str) -> Error {
    Error::Token(TokenError::BadRefreshReply {
        endpoint: endpoint.to_string(),
        reason,
    })
}

/// A reply of the auth service that carries `{"token": "<JWT>"}` (a refresh, a federation): the
/// token, or the error. A 429 or 5xx is the retryable service error it is; any other refusal
/// is `refused(status, code, opc_request_id)`; a success without a token is
/// [`TokenError::BadRefreshReply`]. `endpoint` is `"POST <url>"`, for errors.
pub fn token_reply(
    (operation, endpoint): (&'static str, &str),
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    source_name: &'static str,
    refused: impl FnOnce(u16, String, Option<String>) -> TokenError,
) -> Result<NewToken, Error> {
    #[derive(serde::Deserialize)]
    struct Reply {
        token: Option<String>,
    }
    let reply: Reply = json_reply((operation, endpoint), status, headers, body, refused)?;
    let token = reply
        .token
        .ok_or_else(|| bad_reply(endpoint, "`token` is missing"))?;
    // Read now, so that a source keeps its round's state when the token is unusable.
    parse_claims(&token, source_name).map_err(Error::Token)?;
    Ok(NewToken::new(token, source_name))
}

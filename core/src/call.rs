//! The exchange state machine: one logical OCI call, from typed operation to typed response.
//!
//! A [`Call`] never performs I/O. The adapter drives it:
//!
//! 1. [`Call::poll`] with the current time; act on the [`Action`] it returns.
//! 2. After sending an [`Action::Send`] request, hand the outcome back with
//!    [`Call::handle_response`] (or [`Call::handle_transport_error`]), then poll again.
//! 3. On [`Action::Sleep`], wait that long, then poll again.
//! 4. [`Action::Done`] carries the typed result; the call is over.
//!
//! Before reading a response body, ask [`Call::response_body_mode`]: operations such as
//! GetObject want the body left to the adapter as a stream on success.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use serde::de::DeserializeOwned;

use crate::auth::signer::{RequestSigner, SignBody};
use crate::error::{
    BodyError, DecodeError, Error, ServiceError, TransportError, TransportErrorKind,
};
use crate::region::Region;
use crate::retry::{RetryDecision, RetryPolicy, StopReason};

/// The OCI services this crate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Identity and Access Management (`/20160918`).
    Identity,
    /// Object Storage (`/n/...`).
    ObjectStorage,
}

/// Base URLs of each service (scheme, host, optional port; no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    identity: String,
    object_storage: String,
}

impl Endpoints {
    /// The public endpoints of `region`.
    pub fn for_region(region: &Region) -> Self {
        Endpoints {
            identity: region.identity_endpoint(),
            object_storage: region.object_storage_endpoint(),
        }
    }

    /// Sends every service to one base URL (an emulator, a proxy): Identity paths start with
    /// `/20160918`, Object Storage paths with `/n`, so they never collide.
    pub fn single(base: &str) -> Self {
        let base = base.trim_end_matches('/').to_string();
        Endpoints {
            identity: base.clone(),
            object_storage: base,
        }
    }

    /// Overrides the base URL of one service.
    pub fn with(mut self, service: Service, base: &str) -> Self {
        let base = base.trim_end_matches('/').to_string();
        match service {
            Service::Identity => self.identity = base,
            Service::ObjectStorage => self.object_storage = base,
        }
        self
    }

    /// What a client talks to: the explicit endpoints if given, else the public endpoints of
    /// `region` (resolved with `sources`: regions-config, `OCI_REGION_METADATA`, default
    /// realm), else an error saying neither was given.
    pub fn choose(
        explicit: Option<Endpoints>,
        region: Option<&str>,
        sources: &crate::region::RegionSources<'_>,
    ) -> Result<Endpoints, Error> {
        match (explicit, region) {
            (Some(endpoints), _) => Ok(endpoints),
            (None, Some(region)) => Ok(Endpoints::for_region(&crate::region::resolve_region(
                region, sources,
            )?)),
            (None, None) => Err(no_region()),
        }
    }

    /// [`Endpoints::choose`] with the region sources of this machine (`~/.oci/regions-config.json`,
    /// `OCI_REGION_METADATA`, `OCI_DEFAULT_REALM`).
    #[cfg(feature = "fs")]
    pub fn choose_from_env(
        explicit: Option<Endpoints>,
        region: Option<&str>,
    ) -> Result<Endpoints, Error> {
        match (explicit, region) {
            (Some(endpoints), _) => Ok(endpoints),
            (None, Some(region)) => Ok(Endpoints::for_region(
                &crate::region::resolve_region_from_env(region)?,
            )),
            (None, None) => Err(no_region()),
        }
    }

    /// The base URL for `service`.
    pub fn base(&self, service: Service) -> &str {
        match service {
            Service::Identity => &self.identity,
            Service::ObjectStorage => &self.object_storage,
        }
    }
}

fn no_region() -> Error {
    Error::Region(crate::region::RegionError::Unknown {
        name: String::new(),
        hint: "no region (the profile's `region`, or `OCI_REGION` where there is an environment) and no endpoint given".into(),
    })
}

/// Characters left unescaped in query values and path segments: RFC 3986 unreserved only, so
/// what is signed is exactly what any HTTP client sends.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (an OCID, a bucket or object name). `/` is encoded too.
pub fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, ENCODE).to_string()
}

/// Percent-encodes an object name, keeping `/` literal as the Object Storage console does.
pub fn encode_object_name(s: &str) -> String {
    s.split('/')
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// A request body as the core plans it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestBody {
    /// No body.
    Empty,
    /// A complete body held in memory (JSON); can be sent any number of times.
    Bytes(Bytes),
    /// A body the adapter streams from its own source, of exactly `length` bytes.
    Stream {
        /// Exact length in bytes; sent as `content-length` (Object Storage refuses chunked
        /// uploads).
        length: u64,
    },
}

/// What an operation asks to send, before the endpoint, retry token and signature are added.
#[derive(Debug, Clone)]
pub struct RequestPlan {
    /// HTTP method.
    pub method: Method,
    /// Path, already percent-encoded, including the service prefix (`/20160918/...`, `/n/...`).
    pub path: String,
    /// Query parameters in wire order, not yet encoded.
    pub query: Vec<(&'static str, String)>,
    /// Operation-specific headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: RequestBody,
}

impl RequestPlan {
    /// A plan for `method` on `path` with no query, headers or body.
    pub fn new(method: Method, path: String) -> Self {
        RequestPlan {
            method,
            path,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: RequestBody::Empty,
        }
    }

    /// Adds `name=value` when `value` is present.
    pub fn query_opt(&mut self, name: &'static str, value: Option<impl ToString>) {
        if let Some(v) = value {
            self.query.push((name, v.to_string()));
        }
    }

    /// Sets a header when `value` is present; fails with a typed error naming the header when
    /// the value cannot be sent.
    pub fn header_opt(
        &mut self,
        operation: &'static str,
        name: &str,
        value: Option<&str>,
    ) -> Result<(), Error> {
        if let Some(v) = value {
            let name =
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::InvalidRequest {
                    operation,
                    reason: format!("`{name}` is not a valid header name"),
                })?;
            let value = HeaderValue::from_str(v).map_err(|_| Error::InvalidRequest {
                operation,
                reason: format!("header `{name}` has characters HTTP does not allow"),
            })?;
            self.headers.insert(name, value);
        }
        Ok(())
    }

    /// Sets a JSON body from `value`.
    pub fn json_body(
        &mut self,
        operation: &'static str,
        value: &impl serde::Serialize,
    ) -> Result<(), Error> {
        let bytes = serde_json::to_vec(value).map_err(|e| Error::InvalidRequest {
            operation,
            reason: format!("cannot serialize body: {e}"),
        })?;
        self.body = RequestBody::Bytes(Bytes::from(bytes));
        self.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Ok(())
    }

    fn path_and_query(&self) -> String {
        let mut s = self.path.clone();
        for (i, (k, v)) in self.query.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(k);
            s.push('=');
            s.push_str(&utf8_percent_encode(v, ENCODE).to_string());
        }
        s
    }
}

/// One OCI operation: how to build its request and how to read its response.
pub trait Operation {
    /// The typed data of a successful response.
    type Output;
    /// The operation's name in OCI's API reference (`CreateGroup`).
    const NAME: &'static str;
    /// The service it belongs to.
    const SERVICE: Service;
    /// Whether the body is hashed into the signature. PutObject and UploadPart are the
    /// exceptions: their bodies stream unsigned.
    const SIGN_BODY: bool = true;
    /// Whether a successful response body is left to the adapter as a stream (GetObject).
    const STREAM_RESPONSE: bool = false;

    /// The request to send.
    fn plan(&self) -> Result<RequestPlan, Error>;

    /// The token of the next page carried by a successful response: `opc-next-page` by
    /// default; ListObjects overrides it with its body's `nextStartWith`.
    fn next_page(headers: &HeaderMap, data: &Self::Output) -> Option<String> {
        let _ = data;
        header_str(headers, "opc-next-page").map(str::to_string)
    }

    /// Decodes a successful (2xx) response. For streaming operations `body` is empty.
    fn parse(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Self::Output, Error>;
}

/// A successful response: the typed data plus what OCI says about it.
#[derive(Debug, Clone)]
pub struct Response<T> {
    /// The typed data.
    pub data: T,
    /// HTTP status.
    pub status: StatusCode,
    /// All response headers.
    pub headers: HeaderMap,
    /// `opc-request-id`.
    pub opc_request_id: Option<String>,
    /// `etag`.
    pub etag: Option<String>,
    /// The token for the next page (`opc-next-page`, or ListObjects' `nextStartWith`).
    pub next_page: Option<String>,
}

impl<T> Response<T> {
    /// Keeps the metadata and replaces the data.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            data: f(self.data),
            status: self.status,
            headers: self.headers,
            opc_request_id: self.opc_request_id,
            etag: self.etag,
            next_page: self.next_page,
        }
    }
}

/// Reads a header as a string, if present and visible ASCII.
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Decodes a JSON body for `operation`, turning serde's error into a [`DecodeError`] that says
/// where and whether the body was cut short.
pub fn decode_json<T: DeserializeOwned>(
    operation: &'static str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| {
        Error::Decode(DecodeError {
            operation,
            reason: if e.is_eof() {
                format!("body ends early ({} bytes): {e}", body.len())
            } else {
                e.to_string()
            },
            truncated: e.is_eof(),
            opc_request_id: header_str(headers, "opc-request-id").map(str::to_string),
        })
    })
}

/// What the adapter should do with a response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyMode {
    /// Read it completely and pass it to [`Call::handle_response`].
    Buffer,
    /// Keep it as a stream for the user; pass an empty body to [`Call::handle_response`].
    Stream,
}

/// Shared, immutable-ish state of a client: who signs, where requests go.
///
/// One `Context` serves any number of concurrent calls.
pub struct Context {
    signer: RequestSigner,
    endpoints: Endpoints,
    retry: RetryPolicy,
    rng: Mutex<ChaCha20Rng>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("signer", &self.signer)
            .field("endpoints", &self.endpoints)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Largest successful response body an adapter buffers (object bodies stream instead).
pub const MAX_BUFFERED_BODY: u64 = 32 * 1024 * 1024;
/// Largest error response body an adapter buffers.
pub const MAX_ERROR_BODY: u64 = 1024 * 1024;

/// Default `user-agent`.
pub const USER_AGENT: &str = concat!("ocisdk-rust/", env!("CARGO_PKG_VERSION"));

impl Context {
    /// A context signing with `signer` and sending to `endpoints`, retrying with the default
    /// [`RetryPolicy`]. `seed` (32 random bytes from the adapter) seeds the generator for retry
    /// tokens and backoff jitter, so the core needs no entropy source.
    pub fn new(signer: RequestSigner, endpoints: Endpoints, seed: [u8; 32]) -> Self {
        Context {
            signer,
            endpoints,
            retry: RetryPolicy::default(),
            rng: Mutex::new(ChaCha20Rng::from_seed(seed)),
        }
    }

    /// Replaces the retry policy every call of this context starts with.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The retry policy calls start with.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    fn random_u32(&self) -> u32 {
        match self.rng.lock() {
            Ok(mut g) => g.next_u32(),
            Err(poisoned) => poisoned.into_inner().next_u32(),
        }
    }

    /// The endpoints requests go to.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The signer.
    pub fn signer(&self) -> &RequestSigner {
        &self.signer
    }

    /// Starts a call of `op`.
    pub fn call<O: Operation>(self: &Arc<Self>, op: O) -> Call<O> {
        Call::new(self.clone(), op)
    }

    /// A fresh `opc-retry-token`: 30 alphanumerics, like the official SDKs.
    pub fn new_retry_token(&self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = match self.rng.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        (0..30)
            .map(|_| ALPHABET[(rng.next_u32() % ALPHABET.len() as u32) as usize] as char)
            .collect()
    }
}

enum State<T> {
    /// Ready to send the next attempt.
    Ready,
    /// An attempt is in flight.
    InFlight,
    /// The last attempt failed; wait this long before the next.
    Backoff(Duration),
    /// Finished; the result is handed out once.
    Finished(Option<Result<Response<T>, Error>>),
}

/// What the adapter must do next.
#[must_use]
#[derive(Debug)]
pub enum Action<T> {
    /// Send this request, then call [`Call::handle_response`] or
    /// [`Call::handle_transport_error`].
    Send(http::Request<RequestBody>),
    /// Wait this long, then poll again (retry backoff).
    Sleep(Duration),
    /// The call is over.
    Done(Result<Response<T>, Error>),
}

/// One logical call of operation `O`; see the module doc for the driving loop.
pub struct Call<O: Operation> {
    ctx: Arc<Context>,
    op: O,
    plan: Option<RequestPlan>,
    retry_token: Option<String>,
    endpoint: String,
    state: State<O::Output>,
    attempts: u32,
    policy: RetryPolicy,
    started: Option<SystemTime>,
    stream_replayable: bool,
}

impl<O: Operation> fmt::Debug for Call<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("operation", &O::NAME)
            .field("endpoint", &self.endpoint)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl<O: Operation> Call<O> {
    /// Plans a call of `op` against `ctx`. Nothing is sent until [`Call::poll`].
    pub fn new(ctx: Arc<Context>, op: O) -> Self {
        let (plan, state) = match op.plan() {
            Ok(plan) => (Some(plan), State::Ready),
            Err(e) => (None, State::Finished(Some(Err(e)))),
        };
        let retry_token = match &plan {
            Some(p) if p.method == Method::POST && !p.headers.contains_key("opc-retry-token") => {
                Some(ctx.new_retry_token())
            }
            _ => None,
        };
        let endpoint = plan
            .as_ref()
            .map(|p| {
                format!(
                    "{} {}{}",
                    p.method,
                    ctx.endpoints.base(O::SERVICE),
                    p.path_and_query()
                )
            })
            .unwrap_or_default();
        Call {
            policy: ctx.retry.clone(),
            ctx,
            op,
            plan,
            retry_token,
            endpoint,
            state,
            attempts: 0,
            started: None,
            stream_replayable: false,
        }
    }

    /// Uses `policy` for this call instead of the context's.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Tells the call whether the adapter can send its streamed body again from the start (a
    /// file or a slice can be rewound, a pipe cannot). Streamed bodies count as not replayable
    /// until the adapter says otherwise.
    ///
    /// Call it after each attempt and *before* [`Call::handle_response`] or
    /// [`Call::handle_transport_error`]: the retry decision is made there. A one-shot stream
    /// that the failed attempt never read from is still whole, and may say so.
    pub fn set_stream_replayable(&mut self, replayable: bool) {
        self.stream_replayable = replayable;
    }

    /// The operation being called.
    pub fn operation(&self) -> &O {
        &self.op
    }

    /// `"<METHOD> <url>"` of the request, for errors and logs.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Attempts sent so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The `opc-retry-token` every attempt of this call carries (POST only).
    pub fn retry_token(&self) -> Option<&str> {
        self.retry_token.as_deref()
    }

    /// Advances the call. `now` is the wall-clock time, used for the request date.
    pub fn poll(&mut self, now: SystemTime) -> Action<O::Output> {
        match &mut self.state {
            State::Finished(result) => match result.take() {
                Some(r) => Action::Done(r),
                None => Action::Done(Err(Error::Misuse("poll after Done"))),
            },
            State::InFlight => {
                self.state = State::Finished(None);
                Action::Done(Err(Error::Misuse(
                    "poll while a request is in flight: hand its response in first",
                )))
            }
            State::Backoff(wait) => {
                let wait = *wait;
                self.state = State::Ready;
                Action::Sleep(wait)
            }
            State::Ready => match self.build_request(now) {
                Ok(req) => {
                    self.started.get_or_insert(now);
                    self.attempts += 1;
                    self.state = State::InFlight;
                    Action::Send(req)
                }
                Err(e) => {
                    self.state = State::Finished(None);
                    Action::Done(Err(e))
                }
            },
        }
    }

    fn build_request(&self, now: SystemTime) -> Result<http::Request<RequestBody>, Error> {
        let plan = self.plan.as_ref().ok_or(Error::Misuse("no request plan"))?;
        let url = format!(
            "{}{}",
            self.ctx.endpoints.base(O::SERVICE),
            plan.path_and_query()
        );
        let mut req = http::Request::builder()
            .method(plan.method.clone())
            .uri(&url)
            .body(plan.body.clone())
            .map_err(|e| Error::InvalidRequest {
                operation: O::NAME,
                reason: format!("cannot build request for {url}: {e}"),
            })?;
        let headers = req.headers_mut();
        for (k, v) in &plan.headers {
            headers.insert(k.clone(), v.clone());
        }
        headers.insert(
            http::header::USER_AGENT,
            HeaderValue::from_static(USER_AGENT),
        );
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        if let Some(token) = &self.retry_token
            && let Ok(v) = HeaderValue::from_str(token)
        {
            headers.insert("opc-retry-token", v);
        }
        if self.attempts > 0 {
            headers.insert("opc-client-retries", HeaderValue::from_static("true"));
        }
        let body_bytes;
        let sign_body = match &plan.body {
            RequestBody::Bytes(b) if O::SIGN_BODY => {
                body_bytes = b.clone();
                SignBody::Hashed(&body_bytes)
            }
            RequestBody::Empty
                if O::SIGN_BODY
                    && matches!(plan.method, Method::POST | Method::PUT | Method::PATCH) =>
            {
                SignBody::Hashed(&[])
            }
            RequestBody::Stream { length } => {
                req.headers_mut()
                    .insert(http::header::CONTENT_LENGTH, HeaderValue::from(*length));
                SignBody::Unsigned
            }
            RequestBody::Bytes(b) => {
                req.headers_mut()
                    .insert(http::header::CONTENT_LENGTH, HeaderValue::from(b.len()));
                SignBody::Unsigned
            }
            RequestBody::Empty => SignBody::Unsigned,
        };
        self.ctx
            .signer
            .sign(&mut req, sign_body, now)
            .map_err(Error::Signing)?;
        Ok(req)
    }

    /// The most bytes the adapter should buffer for a response with `status` (when
    /// [`Call::response_body_mode`] says [`BodyMode::Buffer`]): beyond it, report
    /// [`TransportErrorKind::BodyTooLarge`] instead of reading on. A list page of 1000 objects
    /// with every field is well under a megabyte; an error body needs only its JSON head.
    pub fn max_buffered_body(&self, status: StatusCode) -> u64 {
        if status.is_success() {
            MAX_BUFFERED_BODY
        } else {
            MAX_ERROR_BODY
        }
    }

    /// How to treat the body of a response with `status`.
    pub fn response_body_mode(&self, status: StatusCode) -> BodyMode {
        if O::STREAM_RESPONSE && status.is_success() {
            BodyMode::Stream
        } else {
            BodyMode::Buffer
        }
    }

    /// Hands in the response to the last [`Action::Send`]. `body` is the complete body, or empty
    /// when [`Call::response_body_mode`] said [`BodyMode::Stream`]. `now` is when it arrived.
    pub fn handle_response(&mut self, response: http::Response<Bytes>, now: SystemTime) {
        if !matches!(self.state, State::InFlight) {
            self.misuse("response handed in with no request in flight");
            return;
        }
        let retry_after = if response.status().is_success() {
            None
        } else {
            header_str(response.headers(), "retry-after")
                .and_then(|v| crate::retry::parse_retry_after(v, now))
        };
        match self.evaluate(response) {
            Ok(output) => self.state = State::Finished(Some(Ok(output))),
            Err(e) => self.after_failure(e, retry_after, now),
        }
    }

    /// Reports that the last request failed in transport (connect, timeout, reset, truncated
    /// body). `now` is when the failure was noticed.
    pub fn handle_transport_error(&mut self, mut error: TransportError, now: SystemTime) {
        if !matches!(self.state, State::InFlight) {
            self.misuse("transport error handed in with no request in flight");
            return;
        }
        if error.endpoint.is_empty() {
            error.endpoint = self.endpoint.clone();
        }
        self.after_failure(Error::Transport(error), None, now);
    }

    /// Records out-of-order driving; a result that is already waiting to be handed out is kept
    /// rather than replaced by the misuse error.
    fn misuse(&mut self, what: &'static str) {
        tracing::debug!(operation = O::NAME, "call state machine misuse: {what}");
        if !matches!(self.state, State::Finished(Some(_))) {
            self.state = State::Finished(Some(Err(Error::Misuse(what))));
        }
    }

    /// The retry decision after a failed attempt: back off, or finish with the error.
    fn after_failure(&mut self, error: Error, retry_after: Option<Duration>, now: SystemTime) {
        let elapsed = self
            .started
            .and_then(|s| now.duration_since(s).ok())
            .unwrap_or_default();
        let decision = self.policy.decide(
            &error,
            self.attempts,
            elapsed,
            retry_after,
            self.ctx.random_u32(),
        );
        let streamed = matches!(
            self.plan.as_ref().map(|p| &p.body),
            Some(RequestBody::Stream { .. })
        );
        let result = match decision {
            RetryDecision::Retry(_) if streamed && !self.stream_replayable => {
                Error::Body(BodyError::NotReplayable {
                    operation: O::NAME,
                    first_failure: error.to_string(),
                    last: Some(std::sync::Arc::new(error)),
                })
            }
            RetryDecision::Retry(wait) => {
                tracing::debug!(
                    operation = O::NAME,
                    attempt = self.attempts,
                    wait_ms = wait.as_millis() as u64,
                    "retrying after: {error}"
                );
                self.state = State::Backoff(wait);
                return;
            }
            RetryDecision::Stop(reason @ StopReason::BudgetExhausted { .. }) => {
                Error::RetriesExhausted {
                    operation: O::NAME,
                    attempts: self.attempts,
                    elapsed,
                    reason,
                    last: Box::new(error),
                }
            }
            RetryDecision::Stop(reason @ StopReason::AttemptsExhausted) if self.attempts > 1 => {
                Error::RetriesExhausted {
                    operation: O::NAME,
                    attempts: self.attempts,
                    elapsed,
                    reason,
                    last: Box::new(error),
                }
            }
            RetryDecision::Stop(_) => error,
        };
        self.state = State::Finished(Some(Err(result)));
    }

    fn evaluate(&self, response: http::Response<Bytes>) -> Result<Response<O::Output>, Error> {
        let (parts, body) = response.into_parts();
        let status = parts.status;
        let headers = parts.headers;
        let buffered = self.response_body_mode(status) == BodyMode::Buffer;
        let is_head = self.plan.as_ref().is_some_and(|p| p.method == Method::HEAD);
        // HEAD, 1xx, 204 and 304 answers carry no body whatever their `content-length` says.
        let bodyless = is_head
            || status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED;
        if buffered
            && !bodyless
            && let Some(declared) =
                header_str(&headers, "content-length").and_then(|v| v.parse::<u64>().ok())
            && declared != body.len() as u64
        {
            return Err(Error::Transport(TransportError {
                kind: TransportErrorKind::Truncated,
                message: format!(
                    "content-length is {declared} but {} bytes arrived",
                    body.len()
                ),
                endpoint: self.endpoint.clone(),
            }));
        }
        let opc_request_id = header_str(&headers, "opc-request-id").map(str::to_string);
        if !status.is_success() {
            return Err(Error::from(service_error(
                O::NAME,
                &self.endpoint,
                status,
                &headers,
                &body,
            )));
        }
        let data = self.op.parse(status, &headers, body)?;
        let etag = header_str(&headers, "etag").map(str::to_string);
        let next_page = O::next_page(&headers, &data);
        Ok(Response {
            data,
            status,
            headers,
            opc_request_id,
            etag,
            next_page,
        })
    }
}

/// Builds the [`ServiceError`] for an error response, whether or not its body is OCI's JSON.
pub fn service_error(
    operation: &'static str,
    endpoint: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> ServiceError {
    #[derive(serde::Deserialize)]
    struct Body {
        code: Option<String>,
        message: Option<String>,
    }
    let opc_request_id = header_str(headers, "opc-request-id").map(str::to_string);
    let parsed: Option<Body> = serde_json::from_slice(body).ok();
    let (code, message) = match parsed {
        Some(Body {
            code: Some(code),
            message,
        }) => (code, message.unwrap_or_default()),
        _ => {
            let reason = status.canonical_reason().unwrap_or("Unknown");
            let snippet: String = String::from_utf8_lossy(body)
                .chars()
                .take(200)
                .filter(|c| !c.is_control())
                .collect();
            let message = if body.is_empty() {
                format!("{} with an empty body", status.as_u16())
            } else {
                format!("error body is not OCI JSON: {snippet:?}")
            };
            (reason.replace(' ', ""), message)
        }
    };
    ServiceError {
        status,
        code,
        message,
        opc_request_id,
        operation,
        endpoint: endpoint.to_string(),
    }
}

//! The exchange state machine: one logical OCI call, from typed operation to typed response,
//! with every decision in it — request building and signing, body framing, response decoding,
//! retries and their backoff.
//!
//! A call never performs I/O. The adapter drives it with one loop, and every value it gets is
//! consumed by the next step, so steps can only be taken in an order that makes sense:
//!
//! ```text
//! let mut call = ctx.call(op);                       // Call<O>: ready, backing off, or finished
//! loop {
//!     call = match call.poll(now()) {
//!         Step::Send { request, upload, exchange } => // send `request`; an upload's bytes go
//!             match io.send(request, upload) {         //   through `upload.meter`
//!                 Ok(head) => match exchange.head(head, now()) {
//!                     Head::Read(mut reading) => {     // read at most `reading.limit()` bytes
//!                         while let Some(chunk) = body.next()? {
//!                             if !reading.chunk(chunk) { break; }
//!                         }
//!                         reading.end(now())           // or `reading.failed(error, now())`
//!                     }
//!                     Head::Keep { response, meter } => return Ok((response, body, meter)),
//!                     Head::Next(call) => call,        // decided by the head alone
//!                 },
//!                 Err(e) => exchange.failed(e, now()),
//!             },
//!         Step::Sleep { until, call } => { sleep_until(until); call }
//!         Step::Done(result) => return result,
//!     }
//! }
//! ```
//!
//! Each step takes its predecessor by value, so, for example, handing a second outcome to an
//! exchange that already took one does not compile:
//!
//! ```compile_fail
//! # fn f<O: ocisdk_core::Operation>(
//! #     exchange: ocisdk_core::call::Exchange<O>,
//! #     e: ocisdk_core::error::TransportError,
//! #     now: ocisdk_core::Now,
//! # ) {
//! let call = exchange.failed(e.clone(), now);
//! let again = exchange.failed(e, now); // use of moved value: `exchange`
//! # }
//! ```
//!
//! Credentials are part of the exchange too: when the client signs with a session token that
//! is due for refresh (or was just refused with a 401), the next `Send` is the refresh
//! (`POST …/v1/authentication/refresh`) rather than the operation, and a call that finds
//! another call of the client refreshing gets a short `Sleep`
//! ([`SessionTokenPrincipal`](crate::auth::SessionTokenPrincipal)). The loop above is the same.
//!
//! The adapter decides nothing: not which status is an error, not how long a body may be, not
//! whether a failure is retried or an upload may be sent again. It moves bytes and reports what
//! happened; [`run_in_memory`] is the loop with responses from a function, for tests and
//! replays.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderMap, HeaderValue};
use http::{Method, StatusCode};

use crate::auth::session::{RefreshTicket, TokenStep};

/// The most token exchanges one call makes (an instance principal's round is five; a 401 may
/// need a second round).
const MAX_TOKEN_STEPS: u32 = 16;
use crate::auth::signer::{RequestSigner, SignBody};
use crate::body::{DownloadMeter, Upload, UploadMeter, UploadSource};
use crate::clock::{Instant, Now};
use crate::context::{Context, MAX_BUFFERED_BODY, MAX_ERROR_BODY, USER_AGENT};
use crate::error::{BodyError, Error, TransportError, TransportErrorKind};
use crate::operation::{Operation, RequestBody, RequestPlan, Response, header_str, service_error};
use crate::retry::{RetryDecision, RetryPolicy, StopReason};

/// The status and headers of a response, as the adapter received them.
#[derive(Debug, Clone)]
pub struct ResponseHead {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The platform has already undone the body's `content-encoding` (`fetch` does), so the
    /// bytes read are not the bytes `content-length` counts.
    pub decoded: bool,
}

impl ResponseHead {
    /// A head whose body arrives as sent.
    pub fn new(status: StatusCode, headers: HeaderMap) -> Self {
        ResponseHead {
            status,
            headers,
            decoded: false,
        }
    }

    /// Says the platform decodes `content-encoding` before the adapter reads the body.
    pub fn decoded_by_platform(mut self) -> Self {
        self.decoded = true;
        self
    }

    /// The length the body is held to: `content-length`, unless the platform decoded an
    /// encoded body.
    fn body_length(&self) -> Option<u64> {
        let encoded = self
            .headers
            .get(http::header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| !v.trim().is_empty() && !v.trim().eq_ignore_ascii_case("identity"));
        if self.decoded && encoded {
            return None;
        }
        header_str(&self.headers, "content-length").and_then(|v| v.trim().parse().ok())
    }
}

/// What the adapter does next.
#[must_use]
pub enum Step<O: Operation> {
    /// Send `request` (an attempt of the operation, or a session-token refresh: the adapter
    /// need not know which). A streamed body (`RequestBody::Stream`) comes from the adapter's
    /// source through `upload`. Hand what happens to `exchange`.
    Send {
        /// The signed request.
        request: http::Request<RequestBody>,
        /// For a streamed body: its meter, and whether to rewind the source first.
        upload: Option<Upload>,
        /// Takes the outcome.
        exchange: Exchange<O>,
    },
    /// Wait until the monotonic clock reaches `until` (a retry's backoff, or another call's
    /// session-token refresh), then poll `call` again. Polling earlier only gives this step
    /// back.
    Sleep {
        /// When the next attempt may start.
        until: Instant,
        /// The call, to poll then.
        call: Call<O>,
    },
    /// The call is over.
    Done(Result<Response<O::Output>, Error>),
}

impl<O: Operation> fmt::Debug for Step<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Send { request, .. } => write!(f, "Send({} {})", request.method(), request.uri()),
            Step::Sleep { until, .. } => write!(f, "Sleep(until {until:?})"),
            Step::Done(Ok(_)) => f.write_str("Done(Ok)"),
            Step::Done(Err(e)) => write!(f, "Done(Err({e}))"),
        }
    }
}

/// What the head of a response calls for.
#[must_use]
pub enum Head<O: Operation> {
    /// Read the body into `reading`, then end it.
    Read(Reading<O>),
    /// The call succeeded and the body is the user's (GetObject): hand it out with `response`,
    /// reporting what it delivers to `meter`.
    Keep {
        /// The decoded head.
        response: Box<Response<O::Output>>,
        /// Holds the body to its declared length.
        meter: DownloadMeter,
    },
    /// The head alone decided the attempt (an upload that failed, a head that cannot be
    /// decoded): drop the body and poll the call.
    Next(Call<O>),
}

impl<O: Operation> fmt::Debug for Head<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Head::Read(r) => write!(f, "Read(limit {})", r.limit),
            Head::Keep { meter, .. } => write!(f, "Keep({meter:?})"),
            Head::Next(call) => write!(f, "Next({call:?})"),
        }
    }
}

/// The state of an upload across the attempts of a call.
struct UploadState {
    source: UploadSource,
    /// The meter of the attempt in flight (or of the last one).
    meter: Option<UploadMeter>,
    /// Some attempt before the current one read from the source.
    consumed: bool,
}

impl UploadState {
    fn touched(&self) -> bool {
        self.consumed || self.meter.as_ref().is_some_and(UploadMeter::touched)
    }
}

/// Everything a call carries through its steps.
struct Inner<O: Operation> {
    ctx: Arc<Context>,
    op: O,
    plan: Option<RequestPlan>,
    retry_token: Option<String>,
    /// The request URL.
    url: String,
    endpoint: String,
    attempts: u32,
    policy: RetryPolicy,
    started: Option<Instant>,
    /// The latest instant seen: a clock handed in earlier than this is taken as this.
    latest: Instant,
    upload: Option<UploadState>,
    /// The failure of the first retried attempt that may have been applied by the service.
    lost: Option<String>,
    /// The session-token refresh this call is sending, when the exchange in flight is that
    /// refresh rather than an attempt of the operation.
    refresh: Option<RefreshTicket>,
    /// Refresh exchanges of this call that failed (bounded by the retry policy's attempts).
    refresh_failures: u32,
    /// Token exchanges (or local renewals) this call has made, capped at [`MAX_TOKEN_STEPS`].
    token_steps: u32,
    /// The session token generation the last attempt was signed with.
    signed_generation: Option<u64>,
    /// A 401 already made this call refresh once: a second 401 is final.
    reauthenticated: bool,
}

enum Idle<T> {
    Ready,
    Backoff(Instant),
    Finished(Result<Response<T>, Error>),
}

/// One logical call of operation `O`, between attempts: ready to send, backing off, or
/// finished. [`Call::poll`] turns it into the next [`Step`].
pub struct Call<O: Operation> {
    inner: Box<Inner<O>>,
    idle: Idle<O::Output>,
}

impl<O: Operation> fmt::Debug for Call<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("operation", &O::NAME)
            .field("endpoint", &self.inner.endpoint)
            .field("attempts", &self.inner.attempts)
            .finish_non_exhaustive()
    }
}

/// An SSE-C key travels only encrypted: over `https://`, or to a loopback address (the
/// emulator), where it never leaves the machine. Anything else fails before a byte is sent.
fn refuse_keys_in_clear<O: Operation>(plan: &RequestPlan, base: &str) -> Result<(), Error> {
    if !crate::endpoint::is_plain_http(base) || crate::endpoint::is_loopback(base) {
        return Ok(());
    }
    match crate::operation::SENSITIVE_HEADERS
        .iter()
        .find(|name| plan.headers.contains_key(**name))
    {
        Some(name) => Err(Error::InvalidRequest {
            operation: O::NAME,
            reason: format!(
                "`{name}` would travel unencrypted to {base}: customer-provided encryption keys are sent only over https:// (or to a loopback address)"
            ),
        }),
        None => Ok(()),
    }
}

/// What a conflict is marked with where the platform may have re-sent the request unseen.
const UNSEEN_RESEND: &str = "the platform (a browser's fetch) may have sent this request before, on a connection that failed before any response arrived, and re-sent it without telling the client";

impl<O: Operation> Call<O> {
    /// Plans a call of `op` against `ctx`. Nothing is sent until [`Call::poll`].
    pub fn new(ctx: Arc<Context>, op: O) -> Self {
        let planned = op.plan().and_then(|plan| {
            // An instance principal that takes its region from IMDS knows the base only after
            // its first round: `start_attempt` fills it in then.
            if ctx.endpoints_pending() {
                return Ok((String::new(), plan));
            }
            let base = ctx.endpoints().base(O::SERVICE)?;
            refuse_keys_in_clear::<O>(&plan, &base)?;
            Ok((base, plan))
        });
        let (base, plan, idle) = match planned {
            Ok((base, plan)) => (base, Some(plan), Idle::Ready),
            Err(e) => (String::new(), None, Idle::Finished(Err(e))),
        };
        let retry_token = match &plan {
            Some(p) if O::RETRY_TOKEN && !p.headers.contains_key("opc-retry-token") => {
                Some(ctx.new_retry_token())
            }
            _ => None,
        };
        let url = plan
            .as_ref()
            .filter(|_| !base.is_empty())
            .map(|p| format!("{base}{}", p.path_and_query()))
            .unwrap_or_default();
        let endpoint = plan
            .as_ref()
            .map(|p| format!("{} {url}", p.method))
            .unwrap_or_default();
        let upload = match &plan {
            // A streamed body whose source the adapter never described is sent at most once.
            Some(p) if matches!(p.body, RequestBody::Stream { .. }) => Some(UploadState {
                source: UploadSource::OneShot,
                meter: None,
                consumed: false,
            }),
            _ => None,
        };
        Call {
            inner: Box::new(Inner {
                policy: ctx.retry_policy().clone(),
                ctx,
                op,
                plan,
                retry_token,
                url,
                endpoint,
                attempts: 0,
                started: None,
                latest: Instant::default(),
                upload,
                lost: None,
                refresh: None,
                refresh_failures: 0,
                token_steps: 0,
                signed_generation: None,
                reauthenticated: false,
            }),
            idle,
        }
    }

    /// Uses `policy` for this call instead of the context's.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.inner.policy = policy;
        self
    }

    /// Says where the streamed body's bytes come from, which decides whether a failed attempt
    /// that read from it can be followed by another. Without it, a streamed body is
    /// [`UploadSource::OneShot`]. No effect on operations without a streamed body.
    pub fn with_upload(mut self, source: UploadSource) -> Self {
        if let Some(upload) = &mut self.inner.upload {
            upload.source = source;
        }
        self
    }

    /// The operation being called.
    pub fn operation(&self) -> &O {
        &self.inner.op
    }

    /// `"<METHOD> <url>"` of the request, for errors and logs.
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    /// Attempts sent so far.
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The `opc-retry-token` every attempt of this call carries (operations that take one).
    pub fn retry_token(&self) -> Option<&str> {
        self.inner.retry_token.as_deref()
    }

    /// The next step. `now` is both clocks: the monotonic one for budgets and backoff, the
    /// wall clock for the request's date.
    pub fn poll(self, now: Now) -> Step<O> {
        let Call { mut inner, idle } = self;
        inner.observe(now.instant);
        match idle {
            Idle::Finished(result) => Step::Done(result),
            Idle::Backoff(until) if inner.latest < until => Step::Sleep {
                until,
                call: Call {
                    inner,
                    idle: Idle::Backoff(until),
                },
            },
            Idle::Backoff(_) | Idle::Ready => inner.start_attempt(now),
        }
    }
}

impl<O: Operation> Inner<O> {
    fn observe(&mut self, instant: Instant) {
        self.latest = self.latest.max(instant);
    }

    fn finish(self: Box<Self>, result: Result<Response<O::Output>, Error>) -> Call<O> {
        Call {
            inner: self,
            idle: Idle::Finished(result),
        }
    }

    fn start_attempt(mut self: Box<Self>, now: Now) -> Step<O> {
        // Credentials first (identity before signing): a session token that is due is
        // refreshed before the attempt, so no attempt — and no one-shot upload — starts with a
        // token about to expire. The refresh is an ordinary `Send`; the transport cannot tell.
        let session_signer = match self.ctx.session().cloned() {
            None => None,
            Some(principal) => loop {
                // A source that keeps handing out tokens already due (a clock far ahead of the
                // service's, a file holding an expired token) would refresh forever: past the
                // cap, the call signs with what it has and lets the service decide.
                let step = if self.token_steps >= MAX_TOKEN_STEPS {
                    let (signer, generation) = principal.current();
                    if generation == 0 {
                        return Step::Done(Err(Error::Token(crate::auth::TokenError::Expired {
                            kind: principal.kind(),
                            hint: "no token was obtained in 16 exchanges",
                        })));
                    }
                    TokenStep::Sign { signer, generation }
                } else {
                    principal.poll(now.wall)
                };
                match step {
                    TokenStep::Sign { signer, generation } => {
                        self.signed_generation = Some(generation);
                        // A delegation token rides on every call, whoever signs it (token
                        // exchanges never carry it: they speak for the principal itself).
                        break Some(self.ctx.delegating(signer));
                    }
                    TokenStep::Wait(wait) => {
                        let until = self.latest.saturating_add(wait);
                        return Step::Sleep {
                            until,
                            call: Call {
                                inner: self,
                                idle: Idle::Backoff(until),
                            },
                        };
                    }
                    TokenStep::Refresh(mut ticket) => {
                        self.token_steps += 1;
                        let request = match ticket.request(now.wall) {
                            // The source had the token at hand: sign with it.
                            Ok(None) => continue,
                            Ok(Some(request)) => request,
                            Err(e) => return Step::Done(Err(e)),
                        };
                        self.started.get_or_insert(self.latest);
                        self.refresh = Some(ticket);
                        return Step::Send {
                            request,
                            upload: None,
                            exchange: Exchange { inner: self },
                        };
                    }
                }
            },
        };
        // The endpoints came from IMDS during the principal's round: the URL is known now.
        if self.url.is_empty()
            && let Some(plan) = &self.plan
        {
            let base = match self.ctx.endpoints().base(O::SERVICE) {
                Ok(base) => base,
                Err(e) => return Step::Done(Err(e)),
            };
            if let Err(e) = refuse_keys_in_clear::<O>(plan, &base) {
                return Step::Done(Err(e));
            }
            self.url = format!("{base}{}", plan.path_and_query());
            self.endpoint = format!("{} {}", plan.method, self.url);
        }
        // An API-key client signs with the context's signer, borrowed (no copy per attempt).
        let ctx = Arc::clone(&self.ctx);
        let signer = session_signer.as_ref().unwrap_or_else(|| ctx.signer());
        let request = match self.build_request(now, signer) {
            Ok(request) => request,
            Err(e) => return Step::Done(Err(e)),
        };
        let upload = match (&mut self.upload, request.body()) {
            (Some(state), RequestBody::Stream { length }) => {
                let rewind = state.touched();
                if rewind && state.source == UploadSource::OneShot {
                    // Never reached: a failure after a one-shot body was read is final.
                    return Step::Done(Err(Error::Body(BodyError::NotReplayable {
                        operation: O::NAME,
                        first_failure: "an earlier attempt already consumed the body".into(),
                        last: None,
                    })));
                }
                state.consumed = rewind;
                let meter = UploadMeter::new(O::NAME, *length);
                state.meter = Some(meter.clone());
                Some(Upload { meter, rewind })
            }
            _ => None,
        };
        self.started.get_or_insert(self.latest);
        self.attempts += 1;
        Step::Send {
            request,
            upload,
            exchange: Exchange { inner: self },
        }
    }

    fn build_request(
        &self,
        now: Now,
        signer: &RequestSigner,
    ) -> Result<http::Request<RequestBody>, Error> {
        let plan = self.plan.as_ref().ok_or(Error::InvalidRequest {
            operation: O::NAME,
            reason: "the request could not be planned".into(),
        })?;
        let url = &self.url;
        let mut req = http::Request::builder()
            .method(plan.method.clone())
            .uri(url)
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
        // An operation that answers something else than JSON says so in its plan.
        headers
            .entry(http::header::ACCEPT)
            .or_insert(HeaderValue::from_static("application/json"));
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
        signer
            .sign(&mut req, sign_body, now.wall)
            .map_err(Error::Signing)?;
        Ok(req)
    }

    /// The upload's own failure in the attempt that just ended, if it had one: it decides the
    /// attempt whatever the connection did, and is never retried (the caller's source is at
    /// fault, not the network).
    fn body_failure(&self) -> Option<BodyError> {
        self.upload
            .as_ref()
            .and_then(|u| u.meter.as_ref())
            .and_then(UploadMeter::failure)
    }

    /// The session-token refresh this call sent has its answer (`Ok`: the token is new, go on
    /// with the attempt) or failed. A retryable failure (transport, 429, 5xx) backs off and
    /// tries again within the retry policy's attempts; any other ends the call.
    fn after_refresh(
        mut self: Box<Self>,
        ticket: RefreshTicket,
        outcome: Result<(StatusCode, HeaderMap, Bytes), Error>,
        now: Now,
    ) -> Call<O> {
        let result = match outcome {
            Ok((status, headers, body)) => ticket.complete(status, &headers, &body, now.wall),
            // An IMDS read that got no answer says so (and is final); the ticket is released.
            Err(e) => Err(ticket.fail(e)),
        };
        let error = match result {
            Ok(()) => {
                return Call {
                    inner: self,
                    idle: Idle::Ready,
                };
            }
            Err(e) => e,
        };
        self.refresh_failures += 1;
        let elapsed = self
            .started
            .map(|s| self.latest.saturating_duration_since(s))
            .unwrap_or_default();
        match self.policy.decide(
            &error,
            self.refresh_failures,
            elapsed,
            None,
            self.ctx.random_u32(),
        ) {
            RetryDecision::Retry(wait) => {
                tracing::warn!(
                    operation = O::NAME,
                    "{}: refreshing the session token failed; retrying in {:.1} s: {error}",
                    O::NAME,
                    wait.as_secs_f64()
                );
                let until = self.latest.saturating_add(wait);
                Call {
                    inner: self,
                    idle: Idle::Backoff(until),
                }
            }
            RetryDecision::Stop(_) => self.finish(Err(error)),
        }
    }

    /// A 401 on an attempt signed with a session token: the token may have ended before its
    /// `exp` (revoked, or the service's clock is ahead). Refresh once — shared with every call
    /// that met the same 401 — and send the attempt again. A second 401 is final.
    fn after_unauthorized(mut self: Box<Self>, error: Error) -> Call<O> {
        let principal = self.ctx.session().cloned();
        let replayable = !self
            .upload
            .as_ref()
            .is_some_and(|u| u.source == UploadSource::OneShot && u.touched());
        match (principal, self.signed_generation) {
            (Some(principal), Some(generation)) if !self.reauthenticated && replayable => {
                tracing::debug!(
                    operation = O::NAME,
                    generation,
                    "401 on a request signed with a session token: refreshing it once"
                );
                principal.unauthorized(generation);
                self.reauthenticated = true;
                Call {
                    inner: self,
                    idle: Idle::Ready,
                }
            }
            _ => self.after_failure(error, None),
        }
    }

    /// The retry decision after a failed attempt: back off, or finish with the error.
    fn after_failure(mut self: Box<Self>, error: Error, retry_after: Option<Duration>) -> Call<O> {
        let elapsed = self
            .started
            .map(|s| self.latest.saturating_duration_since(s))
            .unwrap_or_default();
        let decision = self.policy.decide(
            &error,
            self.attempts,
            elapsed,
            retry_after,
            self.ctx.random_u32(),
        );
        let spent_one_shot = self
            .upload
            .as_ref()
            .is_some_and(|u| u.source == UploadSource::OneShot && u.touched());
        let result = match decision {
            RetryDecision::Retry(_) if spent_one_shot => Error::Body(BodyError::NotReplayable {
                operation: O::NAME,
                first_failure: error.to_string(),
                last: Some(Arc::new(error)),
            }),
            RetryDecision::Retry(wait) => {
                if error
                    .retry_class()
                    .is_some_and(crate::retry::RetryClass::may_have_been_applied)
                {
                    self.lost.get_or_insert_with(|| error.to_string());
                }
                // A warning, not a debug line: a retried call can wait for minutes (a refused
                // connection, a throttled service), and silence then looks like a hang. The
                // error's text holds no secret (see `Error`'s docs).
                let reason = error
                    .retry_class()
                    .map_or_else(|| "a retryable failure".to_string(), |c| c.to_string());
                tracing::warn!(
                    operation = O::NAME,
                    attempt = self.attempts,
                    max_attempts = self.policy.max_attempts,
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    reason = %reason,
                    "{}: attempt {} of {} failed with {reason}; retrying in {:.1} s: {error}",
                    O::NAME,
                    self.attempts,
                    self.policy.max_attempts,
                    wait.as_secs_f64()
                );
                let until = self.latest.saturating_add(wait);
                return Call {
                    inner: self,
                    idle: Idle::Backoff(until),
                };
            }
            RetryDecision::Stop(reason @ StopReason::BudgetExhausted { .. }) => {
                self.exhausted(reason, elapsed, error)
            }
            RetryDecision::Stop(reason @ StopReason::AttemptsExhausted) if self.attempts > 1 => {
                self.exhausted(reason, elapsed, error)
            }
            RetryDecision::Stop(_) => error,
        };
        self.finish(Err(result))
    }

    fn exhausted(&self, reason: StopReason, elapsed: Duration, last: Error) -> Error {
        Error::RetriesExhausted {
            operation: O::NAME,
            attempts: self.attempts,
            elapsed,
            reason,
            last: Box::new(last),
        }
    }

    /// Whether `status` could be the answer to a platform's own second send of a write whose
    /// first send was applied: the write conflicts with itself.
    fn may_answer_an_unseen_first_send(&self, status: StatusCode) -> bool {
        let write = self
            .plan
            .as_ref()
            .is_some_and(|p| !matches!(p.method, Method::GET | Method::HEAD | Method::OPTIONS));
        write
            && matches!(
                status,
                StatusCode::NOT_FOUND | StatusCode::CONFLICT | StatusCode::PRECONDITION_FAILED
            )
    }

    fn is_head_request(&self) -> bool {
        self.plan.as_ref().is_some_and(|p| p.method == Method::HEAD)
    }

    /// Decodes a complete response: an error status into a service error, a success into the
    /// operation's output.
    fn evaluate(&self, head: ResponseHead, body: Bytes) -> Result<Response<O::Output>, Error> {
        let status = head.status;
        // HEAD, 1xx, 204 and 304 answers carry no body whatever their `content-length` says.
        let bodyless = self.is_head_request()
            || status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED;
        if !bodyless
            && let Some(declared) = head.body_length()
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
        let headers = head.headers;
        if !status.is_success() {
            let mut error = service_error(O::NAME, &self.endpoint, status, &headers, &body);
            if let Some(earlier) = &self.lost
                && status.is_client_error()
            {
                // A DELETE that meets 404 after an attempt that may have been applied most
                // likely deleted it then: success, marked as such.
                let is_delete = self
                    .plan
                    .as_ref()
                    .is_some_and(|p| p.method == Method::DELETE);
                if is_delete
                    && status == StatusCode::NOT_FOUND
                    && let Ok(data) = self.op.parse(status, &headers, Bytes::new())
                {
                    let mut response = into_response::<O>(data, status, headers);
                    response.after_lost_response = Some(earlier.clone());
                    return Ok(response);
                }
                error.after_lost_response = Some(earlier.clone());
            } else if self.ctx.unseen_resends() && self.may_answer_an_unseen_first_send(status) {
                error.after_lost_response = Some(UNSEEN_RESEND.to_string());
            }
            return Err(Error::from(error));
        }
        let data = self.op.parse(status, &headers, body)?;
        let mut response = into_response::<O>(data, status, headers);
        response.after_lost_response = self.lost.clone();
        Ok(response)
    }

    fn retry_after(&self, head: &ResponseHead, now: Now) -> Option<Duration> {
        if head.status.is_success() {
            return None;
        }
        header_str(&head.headers, "retry-after")
            .and_then(|v| crate::retry::parse_retry_after(v, now.wall))
    }
}

/// A decoded success with what OCI says about it.
fn into_response<O: Operation>(
    data: O::Output,
    status: StatusCode,
    headers: HeaderMap,
) -> Response<O::Output> {
    let next_page = O::next_page(&headers, &data);
    Response {
        opc_request_id: header_str(&headers, "opc-request-id").map(str::to_string),
        etag: header_str(&headers, "etag").map(str::to_string),
        next_page,
        data,
        status,
        headers,
        after_lost_response: None,
    }
}

/// An attempt in flight: its request was handed out; hand what came back to it.
pub struct Exchange<O: Operation> {
    inner: Box<Inner<O>>,
}

impl<O: Operation> fmt::Debug for Exchange<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("operation", &O::NAME)
            .field("endpoint", &self.inner.endpoint)
            .field("attempt", &self.inner.attempts)
            .finish_non_exhaustive()
    }
}

impl<O: Operation> Exchange<O> {
    /// `"<METHOD> <url>"` of the request, for the adapter's own messages.
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    /// The response head arrived.
    pub fn head(self, head: ResponseHead, now: Now) -> Head<O> {
        let mut inner = self.inner;
        inner.observe(now.instant);
        if inner.refresh.is_some() {
            // The refresh reply is small JSON (or an error): read it whole.
            return Head::Read(Reading {
                inner,
                head,
                retry_after: None,
                limit: MAX_ERROR_BODY,
                first: None,
                rest: None,
                len: 0,
                over: false,
            });
        }
        if let Some(failure) = inner.body_failure() {
            return Head::Next(inner.finish(Err(Error::Body(failure))));
        }
        if O::STREAM_RESPONSE && head.status.is_success() {
            let expected = head.body_length();
            let status = head.status;
            let parsed = inner.op.parse(status, &head.headers, Bytes::new());
            return match parsed {
                Ok(data) => {
                    let response = into_response::<O>(data, status, head.headers);
                    let meter = DownloadMeter::new(O::NAME, inner.endpoint.clone(), expected);
                    Head::Keep {
                        response: Box::new(response),
                        meter,
                    }
                }
                Err(e) => Head::Next(inner.after_failure(e, None)),
            };
        }
        let limit = if head.status.is_success() {
            MAX_BUFFERED_BODY
        } else {
            MAX_ERROR_BODY
        };
        let retry_after = inner.retry_after(&head, now);
        Head::Read(Reading {
            inner,
            head,
            retry_after,
            limit,
            first: None,
            rest: None,
            len: 0,
            over: false,
        })
    }

    /// The attempt failed in transport before a response head arrived (connect, timeout,
    /// reset). An upload whose own source failed is reported as that failure, not this one.
    pub fn failed(self, mut error: TransportError, now: Now) -> Call<O> {
        let mut inner = self.inner;
        inner.observe(now.instant);
        if let Some(ticket) = inner.refresh.take() {
            if error.endpoint.is_empty() {
                error.endpoint = ticket.endpoint();
            }
            return inner.after_refresh(ticket, Err(Error::Transport(error)), now);
        }
        if let Some(failure) = inner.body_failure() {
            return inner.finish(Err(Error::Body(failure)));
        }
        if error.endpoint.is_empty() {
            error.endpoint = inner.endpoint.clone();
        }
        inner.after_failure(Error::Transport(error), None)
    }

    /// The upload's source could not be made ready (rewinding it failed, or the probe of a
    /// zero-length body found bytes): the call ends with the meter's failure if it recorded
    /// one, else with `reason`.
    pub fn body_unavailable(self, reason: impl fmt::Display, now: Now) -> Call<O> {
        let mut inner = self.inner;
        inner.observe(now.instant);
        let failure = inner.body_failure().unwrap_or_else(|| BodyError::Read {
            operation: O::NAME,
            reason: reason.to_string(),
        });
        inner.finish(Err(Error::Body(failure)))
    }
}

/// A response body being read into memory, at most [`Reading::limit`] bytes of it.
pub struct Reading<O: Operation> {
    inner: Box<Inner<O>>,
    head: ResponseHead,
    retry_after: Option<Duration>,
    limit: u64,
    // One chunk is kept as it came (no copy); further ones are gathered.
    first: Option<Bytes>,
    rest: Option<BytesMut>,
    len: u64,
    over: bool,
}

impl<O: Operation> fmt::Debug for Reading<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reading")
            .field("operation", &O::NAME)
            .field("status", &self.head.status)
            .field("received", &self.len)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl<O: Operation> Reading<O> {
    /// The most bytes this body may have. Reading more than this is pointless: the next
    /// [`Reading::chunk`] refuses them.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The status of the response being read.
    pub fn status(&self) -> StatusCode {
        self.head.status
    }

    /// A chunk of the body arrived. `false`: stop reading (the body is over the limit) and
    /// [`end`](Reading::end) it.
    pub fn chunk(&mut self, bytes: Bytes) -> bool {
        if self.over {
            return false;
        }
        if self.len.saturating_add(bytes.len() as u64) > self.limit {
            self.over = true;
            self.first = None;
            self.rest = None;
            return false;
        }
        self.len += bytes.len() as u64;
        if bytes.is_empty() {
            return true;
        }
        match (&mut self.first, &mut self.rest) {
            (None, None) => self.first = Some(bytes),
            (Some(_), None) => {
                let mut rest = BytesMut::new();
                if let Some(first) = self.first.take() {
                    rest.extend_from_slice(&first);
                }
                rest.extend_from_slice(&bytes);
                self.rest = Some(rest);
            }
            (_, Some(rest)) => rest.extend_from_slice(&bytes),
        }
        true
    }

    /// The body ended (or reading stopped at [`Reading::chunk`]'s word).
    pub fn end(self, now: Now) -> Call<O> {
        let Reading {
            mut inner,
            head,
            retry_after,
            limit,
            first,
            rest,
            over,
            ..
        } = self;
        inner.observe(now.instant);
        if let Some(ticket) = inner.refresh.take() {
            let outcome = if over {
                Err(Error::Transport(TransportError {
                    kind: TransportErrorKind::BodyTooLarge,
                    message: format!("the refresh reply is larger than {limit} bytes"),
                    endpoint: ticket.endpoint(),
                }))
            } else {
                let body = match (first, rest) {
                    (_, Some(rest)) => rest.freeze(),
                    (Some(first), None) => first,
                    (None, None) => Bytes::new(),
                };
                Ok((head.status, head.headers, body))
            };
            return inner.after_refresh(ticket, outcome, now);
        }
        if over {
            let error = TransportError {
                kind: TransportErrorKind::BodyTooLarge,
                message: format!(
                    "the response body ({}) is larger than the {limit} bytes the client buffers",
                    head.status
                ),
                endpoint: inner.endpoint.clone(),
            };
            return inner.after_failure(Error::Transport(error), None);
        }
        let body = match (first, rest) {
            (_, Some(rest)) => rest.freeze(),
            (Some(first), None) => first,
            (None, None) => Bytes::new(),
        };
        let status = head.status;
        match inner.evaluate(head, body) {
            Ok(response) => inner.finish(Ok(response)),
            Err(e) if status == StatusCode::UNAUTHORIZED => inner.after_unauthorized(e),
            Err(e) => inner.after_failure(e, retry_after),
        }
    }

    /// Reading the body failed in transport (reset, timeout, cut short).
    pub fn failed(self, mut error: TransportError, now: Now) -> Call<O> {
        let mut inner = self.inner;
        inner.observe(now.instant);
        if let Some(ticket) = inner.refresh.take() {
            if error.endpoint.is_empty() {
                error.endpoint = ticket.endpoint();
            }
            return inner.after_refresh(ticket, Err(Error::Transport(error)), now);
        }
        if error.endpoint.is_empty() {
            error.endpoint = inner.endpoint.clone();
        }
        if error.kind == TransportErrorKind::Io || error.kind == TransportErrorKind::Connect {
            error.message = format!(
                "reading the response body: {} ({} bytes arrived)",
                error.message, self.len
            );
        }
        inner.after_failure(Error::Transport(error), None)
    }
}

/// Runs `call` to its end with responses from `respond` instead of a network: a recorded
/// exchange, a test double, a benchmark. `now` is a virtual clock that sleeps advance; a
/// streamed upload is `upload` (fed to the meter whole, as a platform that sends a `Blob`
/// would); a kept (streamed) response body is returned beside the response, checked against
/// its declared length.
pub fn run_in_memory<O: Operation>(
    mut call: Call<O>,
    mut now: Now,
    upload: Option<&[u8]>,
    mut respond: impl FnMut(
        &http::Request<RequestBody>,
    ) -> Result<http::Response<Bytes>, TransportError>,
) -> Result<(Response<O::Output>, Option<Bytes>), Error> {
    loop {
        call = match call.poll(now) {
            Step::Send {
                request,
                upload: meter,
                exchange,
            } => {
                if let Some(u) = meter {
                    let len = upload.map_or(0, |b| b.len() as u64);
                    if u.meter.whole(len).is_err() {
                        let e = TransportError::new(TransportErrorKind::Io, "upload body failed");
                        call = exchange.failed(e, now);
                        continue;
                    }
                }
                match respond(&request) {
                    Err(e) => exchange.failed(e, now),
                    Ok(response) => {
                        let (parts, body) = response.into_parts();
                        let head = ResponseHead::new(parts.status, parts.headers);
                        match exchange.head(head, now) {
                            Head::Read(mut reading) => {
                                let _ = reading.chunk(body);
                                reading.end(now)
                            }
                            Head::Keep {
                                response,
                                mut meter,
                            } => {
                                meter.on_chunk(body.len() as u64)?;
                                meter.on_end()?;
                                return Ok((*response, Some(body)));
                            }
                            Head::Next(call) => call,
                        }
                    }
                }
            }
            Step::Sleep { until, call } => {
                now = now.advanced(until.saturating_duration_since(now.instant));
                call
            }
            Step::Done(result) => return result.map(|r| (r, None)),
        }
    }
}

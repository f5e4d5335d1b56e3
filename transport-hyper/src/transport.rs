//! Moving one request and its response through the hyper client: connectors, timeouts, error
//! classification. No protocol logic lives here.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper_util::client::legacy::ResponseFuture;
use ocisdk_core::call::Reading;
use ocisdk_core::clock::Now;
use ocisdk_core::error::{TransportError, TransportErrorKind};
use ocisdk_core::{Call, Operation, RequestBody};
use tokio::time::Instant;

/// Errors as hyper and connectors box them.
pub(crate) type BoxError = Box<dyn StdError + Send + Sync>;

/// The one request body type of the hyper client: empty, JSON bytes, or a checked upload stream.
pub(crate) type ReqBody = UnsyncBoxBody<Bytes, BoxError>;

/// The pooled hyper client with its connector type erased: takes a request, returns hyper-util's
/// (already boxed) response future.
pub(crate) type SendFn = Arc<dyn Fn(http::Request<ReqBody>) -> ResponseFuture + Send + Sync>;

/// Wraps any connector so that establishing a connection (TCP, and TLS when the connector does
/// it) fails with [`io::ErrorKind::TimedOut`] after `timeout`.
#[derive(Clone, Debug)]
pub(crate) struct TimeoutConnector<C> {
    inner: C,
    timeout: Duration,
}

impl<C> TimeoutConnector<C> {
    pub(crate) fn new(inner: C, timeout: Duration) -> Self {
        TimeoutConnector { inner, timeout }
    }
}

type ConnectFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

impl<C> tower_service::Service<Uri> for TimeoutConnector<C>
where
    C: tower_service::Service<Uri>,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
    C::Response: Send + 'static,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = ConnectFuture<C::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let timeout = self.timeout;
        let connecting = self.inner.call(dst);
        Box::pin(async move {
            match tokio::time::timeout(timeout, connecting).await {
                Ok(result) => result.map_err(Into::into),
                Err(_) => Err(Box::new(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("connecting took longer than {:.1} s", timeout.as_secs_f64()),
                )) as BoxError),
            }
        })
    }
}

/// When an upload body last handed bytes to hyper: while it keeps doing so, the wait for the
/// response head is not a stall.
#[derive(Debug)]
pub(crate) struct Progress {
    base: Instant,
    last_ms: AtomicU64,
}

impl Progress {
    pub(crate) fn new() -> Self {
        Progress {
            base: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    pub(crate) fn touch(&self) {
        let ms = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.base + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

/// The body hyper sends for `body`: nothing, the JSON bytes, or the upload attempt's stream.
pub(crate) fn request_body(body: RequestBody, upload: Option<ReqBody>) -> ReqBody {
    match (body, upload) {
        (RequestBody::Stream { .. }, Some(stream)) => stream,
        (RequestBody::Bytes(bytes), _) => http_body_util::Full::new(bytes)
            .map_err(|never| match never {})
            .boxed_unsync(),
        (RequestBody::Empty | RequestBody::Stream { .. }, _) => http_body_util::Empty::new()
            .map_err(|never| match never {})
            .boxed_unsync(),
    }
}

/// Sends one request and waits for its response head, at most `read_timeout` without progress
/// (an upload that keeps sending is progress).
pub(crate) async fn send(
    client: &SendFn,
    request: http::Request<RequestBody>,
    upload: Option<ReqBody>,
    read_timeout: Duration,
    progress: Option<Arc<Progress>>,
) -> Result<http::Response<Incoming>, TransportError> {
    let (parts, planned) = request.into_parts();
    let request = http::Request::from_parts(parts, request_body(planned, upload));
    let usable = matches!(request.uri().scheme_str(), Some("http" | "https"))
        && request.uri().host().is_some_and(|h| !h.is_empty());
    if !usable {
        return Err(TransportError::new(
            TransportErrorKind::InvalidUrl,
            format!(
                "`{}` is not an absolute http(s) URL; check the endpoint",
                request.uri()
            ),
        ));
    }
    match await_head(client(request), read_timeout, progress.as_deref()).await {
        Some(Ok(response)) => Ok(response),
        Some(Err(e)) => Err(TransportError::new(classify(&e), describe(&e))),
        None => Err(TransportError::new(
            TransportErrorKind::Timeout,
            format!(
                "no response within the read timeout of {:.1} s",
                read_timeout.as_secs_f64()
            ),
        )),
    }
}

/// Waits for the response head; `None` when nothing happened for `timeout`.
async fn await_head(
    mut response: ResponseFuture,
    timeout: Duration,
    progress: Option<&Progress>,
) -> Option<Result<http::Response<Incoming>, hyper_util::client::legacy::Error>> {
    let mut deadline = Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, &mut response).await {
            Ok(result) => return Some(result),
            Err(_) => match progress.map(|p| p.last() + timeout) {
                Some(next) if next > Instant::now() => deadline = next,
                _ => return None,
            },
        }
    }
}

/// Reads a buffered response body into the core, frame by frame, waiting at most
/// `read_timeout` for each.
pub(crate) async fn read_body<O: Operation>(
    mut reading: Reading<O>,
    mut body: Incoming,
    read_timeout: Duration,
    now: impl Fn() -> Now,
) -> Call<O> {
    loop {
        match tokio::time::timeout(read_timeout, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data()
                    && !reading.chunk(data)
                {
                    return reading.end(now());
                }
            }
            Ok(None) => return reading.end(now()),
            Ok(Some(Err(e))) => {
                return reading.failed(TransportError::new(classify(&e), describe(&e)), now());
            }
            Err(_) => {
                let message = format!(
                    "no body data within the read timeout of {:.1} s",
                    read_timeout.as_secs_f64()
                );
                return reading.failed(
                    TransportError::new(TransportErrorKind::Timeout, message),
                    now(),
                );
            }
        }
    }
}

/// The error and its sources, outermost first, as one line.
pub(crate) fn describe(e: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = next_source(err);
    }
    parts.join(": ")
}

/// The next error in the chain. `io::Error::source` skips the error it wraps, so step into it.
fn next_source<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    if let Some(io) = err.downcast_ref::<io::Error>()
        && let Some(inner) = io.get_ref()
    {
        return Some(inner);
    }
    err.source()
}

/// Maps a hyper, hyper-util, connector or I/O error onto the core's transport classes.
pub(crate) fn classify(e: &(dyn StdError + 'static)) -> TransportErrorKind {
    let mut connect = false;
    let mut found = None;
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(client) = err.downcast_ref::<hyper_util::client::legacy::Error>() {
            connect |= client.is_connect();
            if client.source().is_none() && !client.is_connect() {
                // hyper-util's own refusals (no absolute URI, unsupported method): the request
                // as built cannot be sent.
                found.get_or_insert(TransportErrorKind::InvalidUrl);
            }
        }
        if err.downcast_ref::<rustls::Error>().is_some() {
            return TransportErrorKind::Tls;
        }
        if err
            .downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_timeout)
        {
            found.get_or_insert(TransportErrorKind::Timeout);
        }
        if let Some(io) = err.downcast_ref::<io::Error>() {
            found.get_or_insert(TransportErrorKind::from_io(io.kind()));
        }
        current = next_source(err);
    }
    match found {
        Some(TransportErrorKind::InvalidUrl) => TransportErrorKind::InvalidUrl,
        // A failure while connecting (refused, DNS, the connect timeout): nothing was sent.
        _ if connect => TransportErrorKind::Connect,
        Some(kind) => kind,
        None => TransportErrorKind::Io,
    }
}

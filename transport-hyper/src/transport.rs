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

use bytes::{Bytes, BytesMut};
use http::Uri;
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper_util::client::legacy::ResponseFuture;
use ocisdk_core::call::RequestBody;
use ocisdk_core::error::{BodyError, TransportError, TransportErrorKind};
use tokio::time::Instant;

use crate::upload::Upload;

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

pub(crate) enum SendError {
    Transport(TransportError),
    Body(BodyError),
}

fn transport_error(kind: TransportErrorKind, message: String, endpoint: &str) -> SendError {
    SendError::Transport(TransportError {
        kind,
        message,
        endpoint: endpoint.to_string(),
    })
}

/// Sends one request and waits for its response head, at most `read_timeout` without progress
/// (an upload that keeps sending is progress). A streamed body comes from `upload`, one attempt
/// at a time.
pub(crate) async fn send(
    client: &SendFn,
    request: http::Request<RequestBody>,
    upload: Option<&mut Upload>,
    read_timeout: Duration,
) -> Result<http::Response<Incoming>, SendError> {
    let (parts, body) = request.into_parts();
    let endpoint = format!("{} {}", parts.method, parts.uri);
    let usable = matches!(parts.uri.scheme_str(), Some("http" | "https"))
        && parts.uri.host().is_some_and(|h| !h.is_empty());
    if !usable {
        return Err(transport_error(
            TransportErrorKind::InvalidUrl,
            format!(
                "`{}` is not an absolute http(s) URL; check the endpoint",
                parts.uri
            ),
            &endpoint,
        ));
    }
    let mut attempt = None;
    let body: ReqBody = match body {
        RequestBody::Empty => http_body_util::Empty::new()
            .map_err(|never| match never {})
            .boxed_unsync(),
        RequestBody::Bytes(bytes) => http_body_util::Full::new(bytes)
            .map_err(|never| match never {})
            .boxed_unsync(),
        RequestBody::Stream { length } => {
            let Some(upload) = upload else {
                return Err(SendError::Body(BodyError::Read {
                    operation: "upload",
                    reason: "the operation streams a body but none was given".into(),
                }));
            };
            let (body, shared) = upload
                .next_attempt(length, read_timeout)
                .await
                .map_err(SendError::Body)?;
            attempt = Some(shared);
            body
        }
    };
    let progress = attempt.as_ref().map(|a| &a.progress);
    let result = await_head(
        client(http::Request::from_parts(parts, body)),
        read_timeout,
        progress,
    )
    .await;
    // A body shorter or longer than declared, or one whose source failed, is the caller's
    // problem, not the transport's: reported as such and never retried.
    if let Some(failure) = attempt.as_ref().and_then(|a| a.take_failure()) {
        return Err(SendError::Body(failure));
    }
    match result {
        Some(Ok(response)) => Ok(response),
        Some(Err(e)) => {
            let kind = classify(&e);
            Err(transport_error(kind, describe(&e), &endpoint))
        }
        None => Err(transport_error(
            TransportErrorKind::Timeout,
            format!(
                "no response within the read timeout of {:.1} s",
                read_timeout.as_secs_f64()
            ),
            &endpoint,
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

/// Reads a whole (non-object) response body, at most `limit` bytes, waiting at most
/// `read_timeout` for each frame.
pub(crate) async fn read_body(
    mut body: Incoming,
    read_timeout: Duration,
    limit: u64,
) -> Result<Bytes, TransportError> {
    let mut out = BytesMut::new();
    loop {
        match tokio::time::timeout(read_timeout, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if (out.len() + data.len()) as u64 > limit {
                        return Err(TransportError::new(
                            TransportErrorKind::BodyTooLarge,
                            format!(
                                "the response body is larger than the {limit} bytes this client buffers"
                            ),
                        ));
                    }
                    out.extend_from_slice(&data);
                }
            }
            Ok(None) => return Ok(out.freeze()),
            Ok(Some(Err(e))) => {
                return Err(TransportError::new(
                    classify(&e),
                    format!(
                        "reading the response body: {} ({} bytes arrived)",
                        describe(&e),
                        out.len()
                    ),
                ));
            }
            Err(_) => {
                return Err(TransportError::new(
                    TransportErrorKind::Timeout,
                    format!(
                        "no body data within the read timeout of {:.1} s ({} bytes arrived)",
                        read_timeout.as_secs_f64(),
                        out.len()
                    ),
                ));
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
            return TransportErrorKind::Timeout;
        }
        if let Some(io) = err.downcast_ref::<io::Error>() {
            match io.kind() {
                io::ErrorKind::ConnectionRefused => return TransportErrorKind::Connect,
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                    return TransportErrorKind::Timeout;
                }
                io::ErrorKind::UnexpectedEof => {
                    found.get_or_insert(TransportErrorKind::Truncated);
                }
                _ => {}
            }
        }
        current = next_source(err);
    }
    match found {
        Some(kind) => kind,
        None if connect => TransportErrorKind::Connect,
        None => TransportErrorKind::Io,
    }
}

/// The [`io::ErrorKind`] a body stream reports for a transport class.
pub(crate) fn io_kind(kind: TransportErrorKind) -> io::ErrorKind {
    match kind {
        TransportErrorKind::Timeout => io::ErrorKind::TimedOut,
        TransportErrorKind::Truncated => io::ErrorKind::UnexpectedEof,
        TransportErrorKind::Connect => io::ErrorKind::ConnectionRefused,
        TransportErrorKind::InvalidUrl => io::ErrorKind::InvalidInput,
        _ => io::ErrorKind::Other,
    }
}

//! Upload bodies, whether they can be sent twice, and the stream that holds them to their
//! declared length.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use ocisdk_core::error::BodyError;
use tokio::io::{AsyncRead, AsyncSeek, AsyncSeekExt, ReadBuf};
use tokio::sync::OwnedMutexGuard;
use tokio_util::io::ReaderStream;

use crate::transport::{BoxError, Progress, ReqBody};

/// Size of the chunks read from readers and files.
const CHUNK: usize = 64 * 1024;

type ChunkStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// `AsyncRead + AsyncSeek` as one object-safe trait.
trait AsyncReadSeek: AsyncRead + AsyncSeek + Send + Unpin {}
impl<T: AsyncRead + AsyncSeek + Send + Unpin> AsyncReadSeek for T {}

type SharedReader = Arc<tokio::sync::Mutex<Box<dyn AsyncReadSeek>>>;
type Factory = Box<dyn Fn() -> ChunkStream + Send + Sync>;

/// Where an upload's bytes come from.
enum Source {
    /// Bytes in memory: every attempt sends them again.
    Bytes(Bytes),
    /// A stream read at most once. It stays in the slot until it yields its first bytes, so an
    /// attempt that failed before reading anything leaves it whole.
    Once(Arc<Mutex<Option<ChunkStream>>>),
    /// A reader that seeks back to where it started (`None` until the first attempt reads the
    /// position).
    Seekable {
        reader: SharedReader,
        start: Option<u64>,
    },
    /// A closure that makes a fresh stream for every attempt.
    Factory(Factory),
}

/// The bytes of an upload. Whether a failed attempt can be retried depends on the source:
/// bytes in memory, a file, any `AsyncRead + AsyncSeek` and a stream factory start again from
/// the beginning; a plain stream or reader is sent at most once (a retry would send a truncated
/// or empty body, as some SDKs have done).
///
/// ```
/// use ocisdk_hyper::UploadBody;
///
/// assert!(UploadBody::from(b"hello".to_vec()).is_replayable());
/// assert!(UploadBody::from(&b"static bytes"[..]).is_replayable());
///
/// let chunks = vec![Ok(bytes::Bytes::from_static(b"once"))];
/// assert!(!UploadBody::from_stream(futures_util::stream::iter(chunks)).is_replayable());
///
/// let factory = UploadBody::from_fn(|| futures_util::stream::iter(vec![Ok(bytes::Bytes::from_static(b"again"))]));
/// assert!(factory.is_replayable());
/// ```
pub struct UploadBody {
    source: Source,
}

impl std::fmt::Debug for UploadBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.source {
            Source::Bytes(_) => "UploadBody(bytes)",
            Source::Once(_) => "UploadBody(once)",
            Source::Seekable { .. } => "UploadBody(seekable)",
            Source::Factory(_) => "UploadBody(factory)",
        })
    }
}

impl UploadBody {
    /// A body streamed once from `stream`; an attempt that fails after reading from it is not
    /// retried.
    pub fn from_stream<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, io::Error>> + Send + 'static,
    {
        UploadBody {
            source: Source::Once(Arc::new(Mutex::new(Some(Box::pin(stream))))),
        }
    }

    /// A body read once from `reader` (a pipe, a socket, a child process' output); an attempt
    /// that fails after reading from it is not retried.
    pub fn from_reader<R>(reader: R) -> Self
    where
        R: AsyncRead + Send + 'static,
    {
        Self::from_stream(ReaderStream::with_capacity(reader, CHUNK))
    }

    /// A body that can be sent again: each attempt seeks back to the position the reader had
    /// when the first attempt began.
    pub fn from_seekable<R>(reader: R) -> Self
    where
        R: AsyncRead + AsyncSeek + Send + Unpin + 'static,
    {
        UploadBody {
            source: Source::Seekable {
                reader: Arc::new(tokio::sync::Mutex::new(Box::new(reader))),
                start: None,
            },
        }
    }

    /// A body made by `factory` for every attempt, so it can always be sent again (for
    /// example a closure that opens a file or replays a generator).
    pub fn from_fn<F, S>(factory: F) -> Self
    where
        F: Fn() -> S + Send + Sync + 'static,
        S: Stream<Item = Result<Bytes, io::Error>> + Send + 'static,
    {
        UploadBody {
            source: Source::Factory(Box::new(move || Box::pin(factory()) as ChunkStream)),
        }
    }

    /// Whether a failed attempt can be retried with this body.
    pub fn is_replayable(&self) -> bool {
        match &self.source {
            Source::Once(_) => false,
            Source::Bytes(_) | Source::Seekable { .. } | Source::Factory(_) => true,
        }
    }
}

impl From<Bytes> for UploadBody {
    fn from(bytes: Bytes) -> Self {
        UploadBody {
            source: Source::Bytes(bytes),
        }
    }
}

impl From<Vec<u8>> for UploadBody {
    fn from(bytes: Vec<u8>) -> Self {
        UploadBody::from(Bytes::from(bytes))
    }
}

impl From<String> for UploadBody {
    fn from(text: String) -> Self {
        UploadBody::from(Bytes::from(text))
    }
}

impl From<&'static [u8]> for UploadBody {
    fn from(bytes: &'static [u8]) -> Self {
        UploadBody::from(Bytes::from_static(bytes))
    }
}

impl<const N: usize> From<&'static [u8; N]> for UploadBody {
    fn from(bytes: &'static [u8; N]) -> Self {
        UploadBody::from(&bytes[..])
    }
}

impl From<&'static str> for UploadBody {
    fn from(text: &'static str) -> Self {
        UploadBody::from(text.as_bytes())
    }
}

/// A file is uploaded from its current position, and rewound there for a retry.
impl From<tokio::fs::File> for UploadBody {
    fn from(file: tokio::fs::File) -> Self {
        UploadBody::from_seekable(file)
    }
}

/// What one attempt's body and the driving loop share: the first body failure, and progress.
pub(crate) struct AttemptShared {
    failure: Mutex<Option<BodyError>>,
    pub(crate) progress: Progress,
}

impl AttemptShared {
    fn fail(&self, error: BodyError) {
        let mut slot = lock(&self.failure);
        if slot.is_none() {
            *slot = Some(error);
        }
    }

    /// The body failure of the attempt, if its body failed.
    pub(crate) fn take_failure(&self) -> Option<BodyError> {
        lock(&self.failure).take()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// An upload in progress over one or more attempts of a call.
pub(crate) struct Upload {
    operation: &'static str,
    source: Source,
    used: bool,
}

impl Upload {
    pub(crate) fn new(operation: &'static str, body: UploadBody) -> Self {
        Upload {
            operation,
            source: body.source,
            used: false,
        }
    }

    /// Whether the next attempt can send the whole body again: it can be rewound or remade, or
    /// it was never read from.
    pub(crate) fn replayable(&self) -> bool {
        match &self.source {
            Source::Once(slot) => lock(slot).is_some(),
            Source::Bytes(_) | Source::Seekable { .. } | Source::Factory(_) => true,
        }
    }

    fn read_error(&self, reason: String) -> BodyError {
        BodyError::Read {
            operation: self.operation,
            reason,
        }
    }

    /// The body of the next attempt, checked against `declared` bytes. `wait` bounds how long
    /// a seekable reader may still be held by the previous attempt.
    pub(crate) async fn next_attempt(
        &mut self,
        declared: u64,
        wait: Duration,
    ) -> Result<(ReqBody, Arc<AttemptShared>), BodyError> {
        if self.used && !self.replayable() {
            // The core only asks for another attempt when `replayable()` said so.
            return Err(BodyError::NotReplayable {
                operation: self.operation,
                first_failure: "an earlier attempt already consumed the body".into(),
                last: None,
            });
        }
        if let Source::Bytes(bytes) = &self.source
            && bytes.len() as u64 != declared
        {
            // In memory the mismatch is known before anything is sent.
            return Err(BodyError::LengthMismatch {
                operation: self.operation,
                declared,
                actual: bytes.len() as u64,
            });
        }
        let rewind = self.used;
        self.used = true;
        let inner = match &mut self.source {
            Source::Bytes(bytes) => {
                Inner::Stream(Box::pin(futures_util::stream::iter([Ok(bytes.clone())])))
            }
            Source::Once(slot) => Inner::Slot(slot.clone()),
            Source::Factory(factory) => Inner::Stream(factory()),
            Source::Seekable { reader, start } => {
                // The previous attempt's body may still be on its way out of hyper; the lock
                // makes sure two attempts never read the same reader at once.
                let Ok(mut guard) = tokio::time::timeout(wait, reader.clone().lock_owned()).await
                else {
                    return Err(BodyError::Read {
                        operation: self.operation,
                        reason: "the previous attempt did not release the body in time".into(),
                    });
                };
                let position = match start {
                    Some(p) => *p,
                    None => {
                        let p = guard.stream_position().await.map_err(|e| BodyError::Read {
                            operation: self.operation,
                            reason: format!("cannot read the body's start position: {e}"),
                        })?;
                        *start = Some(p);
                        p
                    }
                };
                if rewind && let Err(e) = guard.seek(io::SeekFrom::Start(position)).await {
                    return Err(
                        self.read_error(format!("cannot rewind the body for another attempt: {e}"))
                    );
                }
                Inner::Stream(Box::pin(ReaderStream::with_capacity(Locked(guard), CHUNK)))
            }
        };
        let shared = Arc::new(AttemptShared {
            failure: Mutex::new(None),
            progress: Progress::new(),
        });
        let mut checked = Checked {
            operation: self.operation,
            inner,
            declared,
            sent: 0,
            held: None,
            finished: false,
            shared: shared.clone(),
        };
        if declared == 0 {
            // hyper never polls a zero-length body, so the surplus check runs here: a
            // non-empty source must fail rather than silently store an empty object.
            use futures_util::StreamExt;
            if let Some(Err(_)) = checked.next().await
                && let Some(failure) = shared.take_failure()
            {
                return Err(failure);
            }
        }
        let body = StreamBody::new(checked.map(|chunk| chunk.map(Frame::data))).boxed_unsync();
        Ok((body, shared))
    }
}

/// A seekable reader, held exclusively by one attempt.
struct Locked(OwnedMutexGuard<Box<dyn AsyncReadSeek>>);

impl AsyncRead for Locked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut **self.get_mut().0).poll_read(cx, buf)
    }
}

enum Inner {
    /// This attempt's own stream.
    Stream(ChunkStream),
    /// A read-once stream, taken out of the slot only when it yields something.
    Slot(Arc<Mutex<Option<ChunkStream>>>),
}

/// The body hyper sends: the source's chunks, held to exactly `declared` bytes. The last
/// declared bytes are held back until the source has shown it has nothing more, so a body that
/// is too long fails before the request is complete and the service stores nothing.
struct Checked {
    operation: &'static str,
    inner: Inner,
    declared: u64,
    sent: u64,
    held: Option<Bytes>,
    finished: bool,
    shared: Arc<AttemptShared>,
}

impl Checked {
    fn poll_source(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        match &mut self.inner {
            Inner::Stream(stream) => stream.as_mut().poll_next(cx),
            Inner::Slot(slot) => {
                let mut guard = lock(slot);
                let Some(stream) = guard.as_mut() else {
                    return Poll::Ready(Some(Err(io::Error::other(
                        "the body stream was already consumed by an earlier attempt",
                    ))));
                };
                let polled = stream.as_mut().poll_next(cx);
                let untouched = match &polled {
                    Poll::Pending => true,
                    Poll::Ready(Some(Ok(chunk))) => chunk.is_empty(),
                    Poll::Ready(_) => false,
                };
                if !untouched && let Some(stream) = guard.take() {
                    drop(guard);
                    self.inner = Inner::Stream(stream);
                }
                polled
            }
        }
    }

    fn fail(&mut self, error: BodyError) -> Poll<Option<Result<Bytes, BoxError>>> {
        self.finished = true;
        let message = error.to_string();
        self.shared.fail(error);
        Poll::Ready(Some(Err(message.into())))
    }

    fn mismatch(&mut self, actual: u64) -> Poll<Option<Result<Bytes, BoxError>>> {
        let error = BodyError::LengthMismatch {
            operation: self.operation,
            declared: self.declared,
            actual,
        };
        self.fail(error)
    }
}

impl Stream for Checked {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.finished {
                return Poll::Ready(None);
            }
            match this.poll_source(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => {
                    let error = BodyError::Read {
                        operation: this.operation,
                        reason: e.to_string(),
                    };
                    return this.fail(error);
                }
                Poll::Ready(Some(Ok(chunk))) if chunk.is_empty() => {}
                Poll::Ready(Some(Ok(chunk))) => {
                    let held = this.held.as_ref().map_or(0, |h| h.len() as u64);
                    let total = this.sent + held + chunk.len() as u64;
                    if total > this.declared {
                        return this.mismatch(total);
                    }
                    if total == this.declared {
                        // Probe the source for more before the last bytes leave.
                        this.held = Some(chunk);
                        continue;
                    }
                    this.sent = total;
                    this.shared.progress.touch();
                    return Poll::Ready(Some(Ok(chunk)));
                }
                Poll::Ready(None) => {
                    this.finished = true;
                    if let Some(last) = this.held.take() {
                        this.sent += last.len() as u64;
                        this.shared.progress.touch();
                        return Poll::Ready(Some(Ok(last)));
                    }
                    if this.sent < this.declared {
                        return this.mismatch(this.sent);
                    }
                    return Poll::Ready(None);
                }
            }
        }
    }
}

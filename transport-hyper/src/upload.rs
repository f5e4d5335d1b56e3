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
use ocisdk_core::body::{Chunk, End, UploadMeter, UploadSource};
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
        self.kind() == UploadSource::Replayable
    }

    /// What the core needs to know about the source to decide on retries.
    pub(crate) fn kind(&self) -> UploadSource {
        match &self.source {
            Source::Once(_) => UploadSource::OneShot,
            Source::Bytes(_) | Source::Seekable { .. } | Source::Factory(_) => {
                UploadSource::Replayable
            }
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The body of one attempt when the call sends one (`body` and the core's `upload` plan both
/// there), else none; see [`UploadBody::attempt`].
pub(crate) async fn attempt(
    body: Option<&mut UploadBody>,
    upload: Option<ocisdk_core::body::Upload>,
    wait: Duration,
) -> Result<(Option<ReqBody>, Option<Arc<Progress>>), String> {
    match body.zip(upload) {
        None => Ok((None, None)),
        Some((body, u)) => {
            let (stream, progress) = body.attempt(u.meter, u.rewind, wait).await?;
            Ok((Some(stream), Some(progress)))
        }
    }
}

impl UploadBody {
    /// The body of one attempt, read through the core's `meter`; `rewind` (the core's word)
    /// sends the source back to its start first. `wait` bounds how long a seekable reader may
    /// still be held by the previous attempt. An error says why the source cannot be used.
    pub(crate) async fn attempt(
        &mut self,
        meter: UploadMeter,
        rewind: bool,
        wait: Duration,
    ) -> Result<(ReqBody, Arc<Progress>), String> {
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
                    return Err("the previous attempt did not release the body in time".into());
                };
                let position = match start {
                    Some(p) => *p,
                    None => {
                        let p = guard
                            .stream_position()
                            .await
                            .map_err(|e| format!("cannot read the body's start position: {e}"))?;
                        *start = Some(p);
                        p
                    }
                };
                if rewind && let Err(e) = guard.seek(io::SeekFrom::Start(position)).await {
                    return Err(format!("cannot rewind the body for another attempt: {e}"));
                }
                Inner::Stream(Box::pin(ReaderStream::with_capacity(Locked(guard), CHUNK)))
            }
        };
        let progress = Arc::new(Progress::new());
        let mut checked = Checked {
            inner,
            meter,
            held: None,
            finished: false,
            progress: progress.clone(),
        };
        if checked.meter.must_probe_first() {
            // hyper never polls a zero-length body, so the core's probe runs here.
            if let Some(Err(e)) = checked.next().await {
                return Err(e.to_string());
            }
        }
        let body = StreamBody::new(checked.map(|chunk| chunk.map(Frame::data))).boxed_unsync();
        Ok((body, progress))
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
    /// A read-once stream, taken out of the slot only when it yields something, so an attempt
    /// that failed before reading leaves it whole for the next.
    Slot(Arc<Mutex<Option<ChunkStream>>>),
}

/// The body hyper sends: the source's chunks, passed through the core's meter. The chunk the
/// meter holds back (it completes the declared length) leaves only once the source has ended.
struct Checked {
    inner: Inner,
    meter: UploadMeter,
    held: Option<Bytes>,
    finished: bool,
    progress: Arc<Progress>,
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

    fn fail(&mut self, message: String) -> Poll<Option<Result<Bytes, BoxError>>> {
        self.finished = true;
        Poll::Ready(Some(Err(message.into())))
    }

    fn send(&mut self, chunk: Option<Bytes>) -> Poll<Option<Result<Bytes, BoxError>>> {
        self.progress.touch();
        Poll::Ready(chunk.map(Ok))
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
                    let failure = this.meter.on_error(&e);
                    return this.fail(failure.to_string());
                }
                Poll::Ready(Some(Ok(chunk))) if chunk.is_empty() => {}
                Poll::Ready(Some(Ok(chunk))) => match this.meter.on_chunk(chunk.len() as u64) {
                    Chunk::Send => return this.send(Some(chunk)),
                    Chunk::Hold => this.held = Some(chunk),
                    Chunk::Fail(e) => return this.fail(e.to_string()),
                },
                Poll::Ready(None) => {
                    this.finished = true;
                    return match this.meter.on_end() {
                        End::Complete => Poll::Ready(None),
                        End::Release => {
                            let held = this.held.take();
                            this.send(held)
                        }
                        End::Fail(e) => this.fail(e.to_string()),
                    };
                }
            }
        }
    }
}

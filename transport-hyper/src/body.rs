//! Object downloads as a stream of chunks.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_util::StreamExt;
use hyper::body::{Body, Incoming};
use ocisdk_core::body::DownloadMeter;
use ocisdk_core::error::TransportError;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep};
use tokio_util::io::StreamReader;

use crate::transport::{classify, describe};

/// The body of a downloaded object, streamed from the connection as it arrives.
///
/// A [`Stream`](https://docs.rs/futures-core/0.3/futures_core/stream/trait.Stream.html) of `Result<Bytes, io::Error>`. Waiting more than the client's read timeout for
/// the next chunk ends the stream with an [`io::ErrorKind::TimedOut`] error; a body that ends
/// before its `content-length` ends with [`io::ErrorKind::UnexpectedEof`]. Dropping it early
/// closes the connection instead of returning it to the pool.
pub struct ObjectBody {
    body: Incoming,
    meter: DownloadMeter,
    read_timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    waiting: bool,
    done: bool,
    // Held until the body is read or dropped: the download occupies a connection.
    permit: Option<OwnedSemaphorePermit>,
}

impl std::fmt::Debug for ObjectBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectBody")
            .field("read_timeout", &self.read_timeout)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl ObjectBody {
    pub(crate) fn new(
        body: Incoming,
        meter: DownloadMeter,
        read_timeout: Duration,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Self {
        ObjectBody {
            body,
            meter,
            read_timeout,
            deadline: Box::pin(tokio::time::sleep(read_timeout)),
            waiting: false,
            done: false,
            permit,
        }
    }

    /// Reads the whole body into memory, up to
    /// [`DEFAULT_BYTES_LIMIT`](ocisdk_core::body::DEFAULT_BYTES_LIMIT) (64 MiB): a larger body
    /// fails with a `BodyTooLarge` transport error inside the `io::Error`, before it is read
    /// when its length was declared. Stream larger objects, or use
    /// [`ObjectBody::bytes_up_to`].
    pub async fn bytes(self) -> io::Result<Bytes> {
        self.bytes_up_to(ocisdk_core::body::DEFAULT_BYTES_LIMIT)
            .await
    }

    /// Reads the whole body into memory, refusing more than `limit` bytes.
    pub async fn bytes_up_to(mut self, limit: u64) -> io::Result<Bytes> {
        self.meter.within(limit).map_err(TransportError::into_io)?;
        let mut out = BytesMut::new();
        while let Some(chunk) = self.next().await {
            out.extend_from_slice(&chunk?);
            self.meter.within(limit).map_err(TransportError::into_io)?;
        }
        Ok(out.freeze())
    }

    /// The body as a [`tokio::io::AsyncRead`](https://docs.rs/tokio/1/tokio/io/trait.AsyncRead.html) (and `AsyncBufRead`), for `tokio::io::copy` into
    /// a file and the like.
    pub fn into_async_read(self) -> StreamReader<ObjectBody, Bytes> {
        StreamReader::new(self)
    }

    fn finish(&mut self) {
        self.done = true;
        self.permit = None;
    }
}

impl Stream for ObjectBody {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if !this.waiting {
                // The timeout counts time spent waiting for the server, not time the reader
                // spends between polls.
                this.waiting = true;
                let at = Instant::now() + this.read_timeout;
                this.deadline.as_mut().reset(at);
            }
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    this.waiting = false;
                    match frame.into_data() {
                        Ok(data) if !data.is_empty() => {
                            if let Err(e) = this.meter.on_chunk(data.len() as u64) {
                                this.finish();
                                return Poll::Ready(Some(Err(e.into_io())));
                            }
                            return Poll::Ready(Some(Ok(data)));
                        }
                        _ => continue,
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    this.finish();
                    let error = TransportError::new(
                        classify(&e),
                        format!("reading the object body: {}", describe(&e)),
                    );
                    return Poll::Ready(Some(Err(error.into_io())));
                }
                Poll::Ready(None) => {
                    this.finish();
                    return Poll::Ready(this.meter.on_end().err().map(|e| Err(e.into_io())));
                }
                Poll::Pending => {
                    if this.deadline.as_mut().poll(cx).is_ready() {
                        this.finish();
                        return Poll::Ready(Some(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!(
                                "no object data within the read timeout of {:.1} s",
                                this.read_timeout.as_secs_f64()
                            ),
                        ))));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

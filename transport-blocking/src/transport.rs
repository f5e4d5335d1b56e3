//! Moving bytes through ureq: an upload read through the core's meter, a response body read
//! into the core or handed to the user, and ureq's errors in the core's classes. No protocol
//! decision is made here.

use std::io::{self, Read};

use bytes::Bytes;
use ocisdk_core::body::{Chunk, DownloadMeter, End, UploadMeter};
use ocisdk_core::call::Reading;
use ocisdk_core::clock::Now;
use ocisdk_core::error::{BodyError, TransportError, TransportErrorKind};
use ocisdk_core::{Call, Operation, RequestBody};
use ureq::SendBody;

use crate::redact::Vault;
use crate::upload::UploadBody;

/// An upload's source read through its meter: reads never go past the declared length, and the
/// chunk that completes it is only handed to ureq once the source has shown there is no more.
struct Metered<'s, 'a> {
    source: &'s mut UploadBody<'a>,
    meter: UploadMeter,
}

fn body_failed(e: BodyError) -> io::Error {
    io::Error::other(e)
}

impl Metered<'_, '_> {
    /// Reads until the source gives bytes, ends or fails (interruptions are retried).
    fn read_source(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.source.reader().read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(body_failed(self.meter.on_error(&e))),
                Ok(n) => return Ok(n.min(buf.len())),
            }
        }
    }

    /// Reads once more to show the source has ended (or fail the body if it has not).
    fn probe(&mut self) -> io::Result<()> {
        let mut one = [0u8; 1];
        let verdict = match self.read_source(&mut one)? {
            0 => self.meter.on_end(),
            n => match self.meter.on_chunk(n as u64) {
                Chunk::Fail(e) => End::Fail(e),
                Chunk::Send | Chunk::Hold => End::Complete,
            },
        };
        match verdict {
            End::Fail(e) => Err(body_failed(e)),
            End::Complete | End::Release => Ok(()),
        }
    }
}

impl Read for Metered<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let cap = usize::try_from(self.meter.remaining()).map_or(buf.len(), |r| r.min(buf.len()));
        if cap == 0 {
            return Ok(0);
        }
        let n = self.read_source(&mut buf[..cap])?;
        let verdict = if n == 0 {
            match self.meter.on_end() {
                End::Fail(e) => Chunk::Fail(e),
                End::Complete | End::Release => Chunk::Send,
            }
        } else {
            self.meter.on_chunk(n as u64)
        };
        match verdict {
            Chunk::Send => Ok(n),
            Chunk::Hold => self.probe().map(|()| n),
            Chunk::Fail(e) => Err(body_failed(e)),
        }
    }
}

/// Sends one request; a streamed body comes from `upload`, through its meter.
pub(crate) fn send(
    agent: &ureq::Agent,
    vault: &Vault,
    request: http::Request<RequestBody>,
    upload: Option<(&mut UploadBody<'_>, UploadMeter)>,
) -> Result<http::Response<ureq::Body>, TransportError> {
    let (mut parts, body) = request.into_parts();
    // Held until ureq has written the head and read the response's.
    let _sealed = vault.seal(&mut parts.headers)?;
    let result = match (body, upload) {
        (RequestBody::Stream { .. }, Some((source, meter))) => {
            let mut metered = Metered { source, meter };
            if metered.meter.must_probe_first() {
                metered
                    .probe()
                    .map_err(|e| TransportError::from_io(&e, "reading the upload body"))?;
            }
            agent.run(http::Request::from_parts(
                parts,
                SendBody::from_reader(&mut metered),
            ))
        }
        (RequestBody::Bytes(bytes), _) => agent.run(http::Request::from_parts(parts, &bytes[..])),
        (RequestBody::Empty | RequestBody::Stream { .. }, _) => {
            agent.run(http::Request::from_parts(parts, SendBody::none()))
        }
    };
    result.map_err(classify)
}

/// Reads a buffered response body into the core, which holds it to its limit.
pub(crate) fn read_body<O: Operation>(
    mut reading: Reading<O>,
    body: ureq::Body,
    now: impl Fn() -> Now,
) -> Call<O> {
    let mut out = Vec::new();
    let limit = reading.limit().saturating_add(1);
    let mut reader = body.into_with_config().limit(u64::MAX).reader().take(limit);
    match reader.read_to_end(&mut out) {
        Ok(_) => {
            let _ = reading.chunk(Bytes::from(out));
            reading.end(now())
        }
        Err(e) => reading.failed(
            TransportError::from_io(&e, "reading the response body"),
            now(),
        ),
    }
}

/// Maps ureq's error onto the core's transport classes.
pub(crate) fn classify(e: ureq::Error) -> TransportError {
    let kind = match &e {
        // Nothing was sent yet: a connect or DNS timeout is a connect failure.
        ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
            TransportErrorKind::Connect
        }
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportErrorKind::Connect,
        // rustls reports a refused certificate or a failed handshake through the connection's
        // I/O: a TLS failure, which a retry would only repeat.
        ureq::Error::Io(io)
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
        {
            TransportErrorKind::Tls
        }
        ureq::Error::Io(io) => TransportErrorKind::from_io(io.kind()),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => TransportErrorKind::InvalidUrl,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::TlsRequired => {
            TransportErrorKind::Tls
        }
        _ => TransportErrorKind::Io,
    };
    TransportError::new(kind, e.to_string())
}

/// A streamed response body (GetObject) as a [`Read`] from the connection, held by the core to
/// the length its response declared: a body that ends early fails with
/// [`io::ErrorKind::UnexpectedEof`], a stalled one with [`io::ErrorKind::TimedOut`].
pub struct DownloadBody {
    reader: ureq::BodyReader<'static>,
    meter: DownloadMeter,
}

impl std::fmt::Debug for DownloadBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadBody")
            .field("meter", &self.meter)
            .finish_non_exhaustive()
    }
}

impl DownloadBody {
    pub(crate) fn new(body: ureq::Body, meter: DownloadMeter) -> Self {
        DownloadBody {
            reader: body.into_with_config().limit(u64::MAX).reader(),
            meter,
        }
    }
}

impl DownloadBody {
    /// Reads the whole body into memory, up to
    /// [`DEFAULT_BYTES_LIMIT`](ocisdk_core::body::DEFAULT_BYTES_LIMIT) (64 MiB): a larger body
    /// fails with a `BodyTooLarge` transport error inside the `io::Error`, before it is read
    /// when its length was declared. Read larger objects as the [`Read`] this is (into a file,
    /// with [`std::io::copy`]), or use [`DownloadBody::bytes_up_to`].
    pub fn bytes(self) -> io::Result<Bytes> {
        self.bytes_up_to(ocisdk_core::body::DEFAULT_BYTES_LIMIT)
    }

    /// Reads the whole body into memory, refusing more than `limit` bytes.
    pub fn bytes_up_to(mut self, limit: u64) -> io::Result<Bytes> {
        self.meter.within(limit).map_err(TransportError::into_io)?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = self.read(&mut buf)?;
            if n == 0 {
                return Ok(Bytes::from(out));
            }
            out.extend_from_slice(&buf[..n]);
            self.meter.within(limit).map_err(TransportError::into_io)?;
        }
    }
}

impl Read for DownloadBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.reader.read(buf) {
            Ok(0) if !buf.is_empty() => self.meter.on_end().map(|()| 0),
            Ok(n) => self.meter.on_chunk(n as u64).map(|()| n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => Err(self.meter.on_error(&e)),
        }
        .map_err(TransportError::into_io)
    }
}

//! Moving one request and its response through ureq.

use std::io::{self, Read};

use bytes::Bytes;
use ocisdk_core::call::RequestBody;
use ocisdk_core::error::{BodyError, TransportError, TransportErrorKind};
use ureq::SendBody;

/// Where an upload's bytes come from, and whether they can be read again from the start.
pub(crate) enum Source<'a> {
    /// A reader that can only be read once (a pipe, a socket, a generator).
    Once(Box<dyn Read + 'a>),
    /// A reader that can seek back to where it started (a file, a cursor).
    Seekable(Box<dyn ReadSeek + 'a>, u64),
}

/// `Read + Seek` as one object-safe trait.
pub trait ReadSeek: Read + io::Seek {}
impl<T: Read + io::Seek> ReadSeek for T {}

/// An upload body: the user's source, checked against the length promised in `content-length`.
pub(crate) struct StreamBody<'a> {
    operation: &'static str,
    source: Source<'a>,
    declared: u64,
    sent: u64,
    used: bool,
    overflow: bool,
    /// The surplus check has run for this attempt.
    probed: bool,
    /// What went wrong with the body itself in this attempt (its source failed, ended early or
    /// ran over), as opposed to the connection failing while it was being sent.
    failure: Option<BodyError>,
}

impl<'a> StreamBody<'a> {
    pub(crate) fn new(operation: &'static str, source: Source<'a>, declared: u64) -> Self {
        StreamBody {
            operation,
            source,
            declared,
            sent: 0,
            used: false,
            overflow: false,
            probed: false,
            failure: None,
        }
    }

    /// Whether the next attempt can send the whole body again: it can be rewound, or it was
    /// never read from.
    pub(crate) fn replayable(&self) -> bool {
        matches!(self.source, Source::Seekable(..)) || self.sent == 0 && !self.overflow
    }

    /// Goes back to the start before another attempt.
    fn rewind(&mut self) -> io::Result<()> {
        if let Source::Seekable(reader, start) = &mut self.source {
            reader.seek(io::SeekFrom::Start(*start))?;
        }
        self.sent = 0;
        self.overflow = false;
        self.probed = false;
        self.failure = None;
        Ok(())
    }

    fn reader(&mut self) -> &mut dyn Read {
        match &mut self.source {
            Source::Once(r) => r,
            Source::Seekable(r, _) => r,
        }
    }

    /// The body's own failure in this attempt, if it had one: a short or long body, or a
    /// source that failed. A connection that broke while a good body was being sent is not one.
    fn take_failure(&mut self) -> Option<BodyError> {
        self.failure.take()
    }

    fn fail(&mut self, failure: BodyError) {
        self.failure.get_or_insert(failure);
    }

    fn length_mismatch(&self, actual: u64) -> BodyError {
        BodyError::LengthMismatch {
            operation: self.operation,
            declared: self.declared,
            actual,
        }
    }

    /// Reads from the source, recording a failure of the source itself.
    fn read_source(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.reader().read(buf) {
            Ok(n) => Ok(n),
            // The caller reads again.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.fail(BodyError::Read {
                    operation: self.operation,
                    reason: e.to_string(),
                });
                Err(e)
            }
        }
    }
}

impl StreamBody<'_> {
    /// Reads one byte past the declared length; `true` (and the failure recorded) if there is
    /// one. Retries interruptions itself, so the bytes of the read that reached the declared
    /// length are never reported as unread.
    fn probe_surplus(&mut self) -> io::Result<bool> {
        let mut probe = [0u8; 1];
        loop {
            match self.read_source(&mut probe) {
                Ok(0) => return Ok(false),
                Ok(_) => {
                    self.overflow = true;
                    self.fail(self.length_mismatch(self.declared + 1));
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl Read for StreamBody<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let remaining = self.declared.saturating_sub(self.sent);
        if remaining == 0 {
            return Ok(0);
        }
        let cap = buf
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        // A reader claiming more than it was given is clamped rather than trusted.
        let n = self.read_source(&mut buf[..cap])?.min(cap);
        if n == 0 {
            self.fail(self.length_mismatch(self.sent));
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "body ended before its declared length",
            ));
        }
        self.sent += n as u64;
        if self.sent == self.declared {
            // Check for surplus bytes before the last declared byte leaves: failing now cuts
            // the request short, so the service stores nothing rather than a silently
            // shortened object.
            self.probed = true;
            if self.probe_surplus()? {
                return Err(io::Error::other("body is longer than its declared length"));
            }
        }
        Ok(n)
    }
}

pub(crate) enum SendError {
    Transport(TransportError),
    Body(BodyError),
}

/// Sends one request. A streamed body is used at most once: a second attempt with the same
/// stream is refused as not replayable.
pub(crate) fn send(
    agent: &ureq::Agent,
    request: http::Request<RequestBody>,
    stream: Option<&mut StreamBody<'_>>,
) -> Result<http::Response<ureq::Body>, SendError> {
    let (parts, body) = request.into_parts();
    let endpoint = format!("{} {}", parts.method, parts.uri);
    let result = match body {
        RequestBody::Empty => agent.run(http::Request::from_parts(parts, SendBody::none())),
        RequestBody::Bytes(bytes) => agent.run(http::Request::from_parts(parts, &bytes[..])),
        RequestBody::Stream { .. } => {
            let Some(stream) = stream else {
                return Err(SendError::Body(BodyError::Read {
                    operation: "upload",
                    reason: "the operation streams a body but none was given".into(),
                }));
            };
            if stream.used {
                // The core only asks for another attempt when `replayable()` said so.
                if !stream.replayable() {
                    return Err(SendError::Body(BodyError::NotReplayable {
                        operation: stream.operation,
                        first_failure: "an earlier attempt already consumed the body".into(),
                        last: None,
                    }));
                }
                if let Err(e) = stream.rewind() {
                    return Err(SendError::Body(BodyError::Read {
                        operation: stream.operation,
                        reason: format!("cannot rewind the body for another attempt: {e}"),
                    }));
                }
            }
            stream.used = true;
            // ureq never reads a zero-length body, so the surplus check happens up front: a
            // non-empty source must fail rather than silently store an empty object.
            if stream.declared == 0 && !stream.probed {
                stream.probed = true;
                match stream.probe_surplus() {
                    Ok(false) => {}
                    Ok(true) => {
                        if let Some(e) = stream.failure.take() {
                            return Err(SendError::Body(e));
                        }
                    }
                    Err(e) => {
                        return Err(SendError::Body(BodyError::Read {
                            operation: stream.operation,
                            reason: e.to_string(),
                        }));
                    }
                }
            }
            let result = agent.run(http::Request::from_parts(
                parts,
                SendBody::from_reader(&mut *stream),
            ));
            // A short or long body, or a failing source, is the caller's problem, not a
            // transport fault: reported as such and never retried. A connection that broke
            // while the body was being sent is a transport error like any other.
            if let Some(e) = stream.take_failure() {
                return Err(SendError::Body(e));
            }
            result
        }
    };
    result.map_err(|e| SendError::Transport(classify(e, endpoint)))
}

/// Reads a whole (non-object) response body, at most `limit` bytes of it.
pub(crate) fn read_body(mut body: ureq::Body, limit: u64) -> Result<Bytes, TransportError> {
    let mut out = Vec::new();
    let mut reader = body
        .with_config()
        .limit(u64::MAX)
        .reader()
        .take(limit.saturating_add(1));
    match reader.read_to_end(&mut out) {
        Ok(_) if out.len() as u64 > limit => Err(too_large(limit)),
        Ok(_) => Ok(Bytes::from(out)),
        Err(e) => Err(TransportError::new(
            if e.kind() == io::ErrorKind::UnexpectedEof {
                TransportErrorKind::Truncated
            } else if e.kind() == io::ErrorKind::TimedOut {
                TransportErrorKind::Timeout
            } else {
                TransportErrorKind::Io
            },
            format!(
                "reading the response body: {e} ({} bytes arrived)",
                out.len()
            ),
        )),
    }
}

fn too_large(limit: u64) -> TransportError {
    TransportError::new(
        TransportErrorKind::BodyTooLarge,
        format!("the response body is larger than the {limit} bytes this client buffers"),
    )
}

/// Maps ureq's error onto the core's transport classes.
pub(crate) fn classify(e: ureq::Error, endpoint: String) -> TransportError {
    let kind = match &e {
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportErrorKind::Connect,
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused => TransportErrorKind::Connect,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportErrorKind::Timeout,
            io::ErrorKind::UnexpectedEof => TransportErrorKind::Truncated,
            _ => TransportErrorKind::Io,
        },
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => TransportErrorKind::InvalidUrl,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::TlsRequired => {
            TransportErrorKind::Tls
        }
        _ => TransportErrorKind::Io,
    };
    TransportError {
        kind,
        message: e.to_string(),
        endpoint,
    }
}

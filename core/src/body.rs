//! Body framing, decided once for every transport: an upload is held to the length it declared,
//! a download to the length its response declared, and whether an upload can be sent again is
//! decided from what the adapter says about its source.
//!
//! The adapter only moves bytes: it reads its source (a `Read`, a `Stream`, a `Blob`), tells the
//! [`UploadMeter`] how many bytes each read produced, and does what the meter answers. The
//! rules — a body shorter or longer than declared fails before its last byte leaves (so the
//! service stores nothing), a zero-length body is checked before sending, a failing source is
//! the caller's problem and not retried — live here, not in three adapters.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{BodyError, TransportError, TransportErrorKind};

/// Base64 MD5 of `data`: the `content-md5` of a body (Object Storage answers 400 when the body
/// it receives does not match).
pub fn content_md5(data: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data))
}

/// What the adapter knows about where an upload's bytes come from, as far as retries care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadSource {
    /// It can be sent again from its start: bytes in memory, a file or any seekable reader
    /// (rewound), a factory that makes a fresh stream, a `Blob`.
    Replayable,
    /// It can be read once (a pipe, a socket, a generator). An attempt that took bytes from it
    /// is never followed by another; one that failed before taking any leaves it whole.
    OneShot,
}

/// One attempt's upload: the meter to hold its bytes to, and whether the source must first go
/// back to its start (an earlier attempt read from it).
#[derive(Debug)]
#[must_use]
pub struct Upload {
    /// Tell it about every read from the source; do what it says.
    pub meter: UploadMeter,
    /// Rewind (or remake) the source before this attempt reads from it. When that fails, hand
    /// the failure to [`Exchange::body_unavailable`](crate::call::Exchange::body_unavailable).
    pub rewind: bool,
}

/// What to do with a chunk just read from an upload's source.
#[derive(Debug, Clone)]
#[must_use]
pub enum Chunk {
    /// Send it now.
    Send,
    /// It completes the declared length: keep it until the source shows it has nothing more
    /// (read again: [`UploadMeter::on_end`] releases it, a further chunk fails the body), so a
    /// body that is too long fails before its last byte leaves and nothing is stored.
    Hold,
    /// The body is longer than declared; stop sending (end the body with an error).
    Fail(BodyError),
}

/// What to do when the upload's source has ended.
#[derive(Debug, Clone)]
#[must_use]
pub enum End {
    /// Nothing is held: end the body.
    Complete,
    /// Send the chunk held back at [`Chunk::Hold`], then end the body.
    Release,
    /// The body is shorter than declared; stop sending (end the body with an error).
    Fail(BodyError),
}

#[derive(Debug)]
struct MeterState {
    operation: &'static str,
    declared: u64,
    /// Bytes the source produced in this attempt.
    taken: u64,
    /// A chunk completing the declared length is held back by the adapter.
    held: bool,
    /// The source was read from in this attempt (so a one-shot source is no longer whole).
    touched: bool,
    /// What went wrong with the body itself (not with the connection carrying it).
    failure: Option<BodyError>,
}

/// Holds one attempt's upload to its declared length. Cheap to clone: clones share one state, so
/// a body that moves into an HTTP library (and to another task) reports to the same meter the
/// call reads when the attempt ends.
#[derive(Clone)]
pub struct UploadMeter {
    state: Arc<Mutex<MeterState>>,
}

impl fmt::Debug for UploadMeter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.lock();
        f.debug_struct("UploadMeter")
            .field("operation", &s.operation)
            .field("declared", &s.declared)
            .field("taken", &s.taken)
            .field("held", &s.held)
            .field("failure", &s.failure)
            .finish()
    }
}

impl UploadMeter {
    /// A meter for a body of exactly `declared` bytes (what `content-length` says).
    pub fn new(operation: &'static str, declared: u64) -> Self {
        UploadMeter {
            state: Arc::new(Mutex::new(MeterState {
                operation,
                declared,
                taken: 0,
                held: false,
                touched: false,
                failure: None,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, MeterState> {
        // A panic elsewhere while holding the lock leaves plain counters: still usable.
        match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The length the body declared.
    pub fn declared(&self) -> u64 {
        self.lock().declared
    }

    /// Bytes still to come before the declared length is reached: never read more than this in
    /// one go (a bigger read could only show the body is too long, after sending too much).
    pub fn remaining(&self) -> u64 {
        let s = self.lock();
        s.declared.saturating_sub(s.taken)
    }

    /// Whether the source must be read once before the request is sent: HTTP libraries never
    /// read a body declared empty, so a non-empty source would otherwise store an empty object
    /// without anyone noticing. Feed what that read gives to [`UploadMeter::on_chunk`] or
    /// [`UploadMeter::on_end`] as usual.
    pub fn must_probe_first(&self) -> bool {
        self.lock().declared == 0
    }

    /// `n` bytes were read from the source.
    pub fn on_chunk(&self, n: u64) -> Chunk {
        let mut s = self.lock();
        if let Some(f) = &s.failure {
            return Chunk::Fail(f.clone());
        }
        if n == 0 {
            return Chunk::Send;
        }
        s.touched = true;
        let total = s.taken.saturating_add(n);
        if total > s.declared {
            let failure = BodyError::LengthMismatch {
                operation: s.operation,
                declared: s.declared,
                actual: total,
                at_least: true,
            };
            s.failure = Some(failure.clone());
            return Chunk::Fail(failure);
        }
        s.taken = total;
        if total == s.declared {
            s.held = true;
            Chunk::Hold
        } else {
            Chunk::Send
        }
    }

    /// The source has ended.
    pub fn on_end(&self) -> End {
        let mut s = self.lock();
        if let Some(f) = &s.failure {
            return End::Fail(f.clone());
        }
        if s.taken < s.declared {
            let failure = BodyError::LengthMismatch {
                operation: s.operation,
                declared: s.declared,
                actual: s.taken,
                at_least: false,
            };
            s.failure = Some(failure.clone());
            return End::Fail(failure);
        }
        if std::mem::take(&mut s.held) {
            End::Release
        } else {
            End::Complete
        }
    }

    /// A source of known length handed over whole (a `Blob`, bytes in memory that the platform
    /// sends itself): checks `len` against the declared length.
    pub fn whole(&self, len: u64) -> Result<(), BodyError> {
        match self.on_chunk(len) {
            // The whole length is known, so the count is exact, not "at least".
            Chunk::Fail(BodyError::LengthMismatch {
                operation,
                declared,
                ..
            }) => {
                let mut state = self.lock();
                let exact = BodyError::LengthMismatch {
                    operation,
                    declared,
                    actual: state.taken.saturating_add(len),
                    at_least: false,
                };
                state.failure = Some(exact.clone());
                Err(exact)
            }
            Chunk::Fail(e) => Err(e),
            Chunk::Send | Chunk::Hold => match self.on_end() {
                End::Fail(e) => Err(e),
                End::Complete | End::Release => Ok(()),
            },
        }
    }

    /// Reading the source failed with `reason`: the body is the caller's problem, not the
    /// connection's, and the attempt is not retried. Returns the error to end the body with.
    pub fn on_error(&self, reason: impl fmt::Display) -> BodyError {
        let mut s = self.lock();
        s.touched = true;
        if let Some(f) = &s.failure {
            return f.clone();
        }
        let failure = BodyError::Read {
            operation: s.operation,
            reason: reason.to_string(),
        };
        s.failure = Some(failure.clone());
        failure
    }

    /// The body's own failure in this attempt, if it had one.
    pub fn failure(&self) -> Option<BodyError> {
        self.lock().failure.clone()
    }

    /// Whether this attempt read from the source.
    pub fn touched(&self) -> bool {
        self.lock().touched
    }
}

/// The most bytes a download's `bytes()` reads into memory (64 MiB); `bytes_up_to(limit)`
/// takes another limit, streaming takes none.
pub const DEFAULT_BYTES_LIMIT: u64 = 64 * 1024 * 1024;

/// Holds a streamed response body (GetObject) to the length its response declared, so a
/// connection that closes early is an error and never a silently short object.
#[derive(Debug, Clone)]
pub struct DownloadMeter {
    operation: &'static str,
    endpoint: String,
    expected: Option<u64>,
    received: u64,
}

impl DownloadMeter {
    /// A meter expecting `expected` bytes (`None`: no usable `content-length`).
    pub fn new(operation: &'static str, endpoint: String, expected: Option<u64>) -> Self {
        DownloadMeter {
            operation,
            endpoint,
            expected,
            received: 0,
        }
    }

    /// The bytes the response declared, if it did (and the platform did not decode it).
    pub fn expected(&self) -> Option<u64> {
        self.expected
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    fn error(&self, kind: TransportErrorKind, message: String) -> TransportError {
        TransportError {
            kind,
            message: format!("{}: {message}", self.operation),
            endpoint: self.endpoint.clone(),
        }
    }

    /// `n` more bytes arrived; an error if that is more than declared.
    pub fn on_chunk(&mut self, n: u64) -> Result<(), TransportError> {
        self.received = self.received.saturating_add(n);
        match self.expected {
            Some(expected) if self.received > expected => Err(self.error(
                TransportErrorKind::Io,
                format!(
                    "the body is longer than its content-length of {expected} ({} bytes arrived)",
                    self.received
                ),
            )),
            _ => Ok(()),
        }
    }

    /// The body ended; an error if fewer bytes arrived than declared.
    pub fn on_end(&self) -> Result<(), TransportError> {
        match self.expected {
            Some(expected) if self.received < expected => Err(self.error(
                TransportErrorKind::Truncated,
                format!(
                    "content-length is {expected} but the body ended after {} bytes",
                    self.received
                ),
            )),
            _ => Ok(()),
        }
    }

    /// For reading a body whole into memory (a download's `bytes()`): an error when the body is
    /// declared longer than `limit`, or more than `limit` bytes have arrived, so it is refused
    /// before it is read (or as soon as it overflows), never after it was held whole.
    pub fn within(&self, limit: u64) -> Result<(), TransportError> {
        let size = match self.expected {
            Some(expected) if expected > limit => expected,
            _ if self.received > limit => self.received,
            _ => return Ok(()),
        };
        Err(self.error(
            TransportErrorKind::BodyTooLarge,
            format!(
                "the body is {size} bytes or more, over the limit of {limit} bytes for reading it whole into memory: stream it, or raise the limit (`bytes_up_to`)"
            ),
        ))
    }

    /// Reading the body failed: the error, classified by its I/O kind and naming the bytes
    /// that arrived.
    pub fn on_error(&self, e: &std::io::Error) -> TransportError {
        self.error(
            TransportErrorKind::from_io(e.kind()),
            format!("reading the body failed after {} bytes: {e}", self.received),
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn mismatch(e: &BodyError) -> (u64, u64, bool) {
        match e {
            BodyError::LengthMismatch {
                declared,
                actual,
                at_least,
                ..
            } => (*declared, *actual, *at_least),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_exact_body_holds_its_last_chunk_until_the_source_ends() {
        let m = UploadMeter::new("PutObject", 10);
        assert!(matches!(m.on_chunk(4), Chunk::Send));
        assert_eq!(m.remaining(), 6);
        assert!(matches!(m.on_chunk(6), Chunk::Hold));
        assert!(matches!(m.on_end(), End::Release));
        assert!(m.failure().is_none());
        assert!(m.touched());
    }

    #[test]
    fn a_long_body_fails_before_its_held_chunk_leaves() {
        let m = UploadMeter::new("PutObject", 3);
        assert!(matches!(m.on_chunk(3), Chunk::Hold));
        let Chunk::Fail(e) = m.on_chunk(1) else {
            panic!("accepted a surplus byte")
        };
        assert_eq!(mismatch(&e), (3, 4, true));
        assert!(
            e.to_string()
                .contains("declared 3 bytes but produced at least 4")
        );
        // Whatever the adapter does next, the body stays failed.
        assert!(matches!(m.on_end(), End::Fail(_)));
        assert!(m.failure().is_some_and(|f| f.to_string() == e.to_string()));
    }

    #[test]
    fn a_chunk_past_the_length_fails_at_once() {
        let m = UploadMeter::new("PutObject", 3);
        let Chunk::Fail(e) = m.on_chunk(5) else {
            panic!("accepted 5 of 3")
        };
        assert_eq!(mismatch(&e), (3, 5, true));
    }

    #[test]
    fn a_short_body_fails_at_its_end() {
        let m = UploadMeter::new("PutObject", 10);
        assert!(matches!(m.on_chunk(4), Chunk::Send));
        let End::Fail(e) = m.on_end() else {
            panic!("accepted a short body")
        };
        assert_eq!(mismatch(&e), (10, 4, false));
        assert!(e.to_string().contains("declared 10 bytes but produced 4"));
    }

    #[test]
    fn zero_length_bodies_are_probed_before_sending() {
        let m = UploadMeter::new("PutObject", 0);
        assert!(m.must_probe_first());
        assert!(matches!(m.on_end(), End::Complete));
        let m = UploadMeter::new("PutObject", 0);
        assert!(matches!(m.on_chunk(1), Chunk::Fail(_)));
        assert!(!UploadMeter::new("PutObject", 1).must_probe_first());
    }

    #[test]
    fn empty_reads_do_not_touch_the_source() {
        let m = UploadMeter::new("PutObject", 3);
        assert!(matches!(m.on_chunk(0), Chunk::Send));
        assert!(!m.touched());
    }

    #[test]
    fn a_source_error_is_a_body_error_and_sticks() {
        let m = UploadMeter::new("PutObject", 3);
        let e = m.on_error("disk on fire");
        assert!(matches!(e, BodyError::Read { .. }));
        assert!(matches!(m.on_chunk(1), Chunk::Fail(_)));
        assert!(m.touched());
    }

    #[test]
    fn whole_bodies_are_checked_at_once() {
        assert!(UploadMeter::new("PutObject", 5).whole(5).is_ok());
        assert!(UploadMeter::new("PutObject", 0).whole(0).is_ok());
        assert_eq!(
            mismatch(&UploadMeter::new("PutObject", 5).whole(4).unwrap_err()),
            (5, 4, false)
        );
        let long = UploadMeter::new("PutObject", 5).whole(6).unwrap_err();
        assert_eq!(mismatch(&long), (5, 6, false));
        assert!(
            long.to_string().contains("declared 5 bytes but produced 6"),
            "{long}"
        );
    }

    #[test]
    fn clones_share_one_state() {
        let m = UploadMeter::new("PutObject", 2);
        let body_side = m.clone();
        assert!(matches!(body_side.on_chunk(2), Chunk::Hold));
        assert_eq!(m.remaining(), 0);
        assert!(m.touched());
    }

    #[test]
    fn downloads_are_held_to_their_content_length() {
        let mut d = DownloadMeter::new("GetObject", "GET http://x/o".into(), Some(5));
        d.on_chunk(3).unwrap();
        let short = d.on_end().unwrap_err();
        assert_eq!(short.kind, TransportErrorKind::Truncated);
        assert!(short.message.contains("after 3 bytes"), "{short}");
        d.on_chunk(2).unwrap();
        d.on_end().unwrap();
        assert!(d.on_chunk(1).is_err());
        let mut unknown = DownloadMeter::new("GetObject", String::new(), None);
        unknown.on_chunk(1 << 40).unwrap();
        unknown.on_end().unwrap();
    }
}

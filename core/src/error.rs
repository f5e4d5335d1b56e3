//! The one error type of `ocisdk-core`, and the pieces it is made of.
//!
//! Every variant is something a user can act on, and every error can say whether trying the same
//! request again could succeed ([`Error::is_retryable`]).

use std::fmt;
use std::io;

use http::StatusCode;

pub use crate::retry::RetryClass;

pub use crate::auth::KeyError;
pub use crate::config::ConfigError;
pub use crate::region::RegionError;

/// Everything that can go wrong in an OCI call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error status.
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// The config file is missing, malformed or incomplete.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The private key could not be loaded or used.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The region is unknown or its metadata is malformed.
    #[error(transparent)]
    Region(#[from] RegionError),
    /// A successful response could not be decoded into the operation's output.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The transport failed to deliver the request or its response.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The request could not be signed.
    #[error(transparent)]
    Signing(#[from] crate::auth::signer::SigningError),
    /// A request body could not be (re)sent as asked.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// A listing stopped before the service said it was over (a repeated page token, too
    /// many pages): what it yielded so far is not the whole list.
    #[error(transparent)]
    Pagination(#[from] crate::paginate::PaginationError),
    /// The request itself is invalid before anything was sent (for example a required field is
    /// empty).
    #[error("invalid {operation} request: {reason}")]
    InvalidRequest {
        /// Operation name, e.g. `CreateBucket`.
        operation: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Retries stopped before the call succeeded: every attempt was used, or the next wait
    /// would have crossed the time budget. `last` is the failure of the final attempt.
    #[error("{operation}: gave up after {attempts} attempts in {:.1} s because {reason}; last failure: {last}", elapsed.as_secs_f64())]
    RetriesExhausted {
        /// Operation name.
        operation: &'static str,
        /// Attempts made.
        attempts: u32,
        /// Time from the first attempt to giving up.
        elapsed: std::time::Duration,
        /// Why no further attempt was made.
        reason: crate::retry::StopReason,
        /// The last attempt's failure.
        last: Box<Error>,
    },
    /// An API was used in a way it does not support (for example a body kind a transport
    /// cannot send as asked).
    #[error("misuse: {0}")]
    Misuse(&'static str),
}

impl Error {
    /// What kind of transient failure this is, as data for a retry policy; `None` when the
    /// same request cannot succeed by being sent again.
    pub fn retry_class(&self) -> Option<RetryClass> {
        match self {
            Error::Service(e) => e.retry_class(),
            Error::Transport(e) => e.retry_class(),
            // A success whose body ended early: the connection broke after the request was
            // answered.
            Error::Decode(e) if e.truncated => Some(RetryClass::ConnectionLost),
            _ => None,
        }
    }

    /// Whether the same request may succeed if sent again (the retry policy's view): shorthand
    /// for `retry_class().is_some()`.
    pub fn is_retryable(&self) -> bool {
        self.retry_class().is_some()
    }

    /// The service error, if this is one (looking through [`Error::RetriesExhausted`] to the
    /// last failure).
    pub fn as_service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            Error::RetriesExhausted { last, .. } => last.as_service(),
            Error::Body(BodyError::NotReplayable {
                last: Some(last), ..
            }) => last.as_service(),
            _ => None,
        }
    }

    /// The last failure itself: looks through [`Error::RetriesExhausted`].
    pub fn last_failure(&self) -> &Error {
        match self {
            Error::RetriesExhausted { last, .. } => last.last_failure(),
            Error::Body(BodyError::NotReplayable {
                last: Some(last), ..
            }) => last.last_failure(),
            other => other,
        }
    }

    /// HTTP status of a service error.
    pub fn status(&self) -> Option<StatusCode> {
        self.as_service().map(|e| e.status)
    }

    /// OCI error code of a service error (`NotAuthorizedOrNotFound`, `BucketNotEmpty`, …).
    pub fn code(&self) -> Option<&str> {
        self.as_service().map(|e| e.code.as_str())
    }

    /// Whether an earlier attempt of the failed call may have been applied by the service
    /// before this answer (its response was lost): a conflict, a 404 or a failed precondition
    /// may then be that attempt's own effect. See [`ServiceError::after_lost_response`].
    pub fn earlier_attempt_may_have_succeeded(&self) -> bool {
        self.as_service()
            .is_some_and(|e| e.after_lost_response.is_some())
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}

/// An error answer from an OCI service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// HTTP status.
    pub status: StatusCode,
    /// OCI error code from the body (`code`), or a synthesized one when the body is not JSON.
    pub code: String,
    /// Message from the body, or a description of the unparseable body.
    pub message: String,
    /// `opc-request-id` of the response: quote it to Oracle support.
    pub opc_request_id: Option<String>,
    /// The operation that failed, e.g. `DeleteBucket`.
    pub operation: &'static str,
    /// Method and URL of the request.
    pub endpoint: String,
    /// Set when an earlier attempt of this call may have been applied (it timed out, its
    /// connection broke after sending, or the service failed with a 5xx) and this is a later
    /// attempt's answer: a 409 AlreadyExists, a 404 or a 412 may then be that earlier attempt's
    /// own effect. Holds the earlier attempt's failure.
    pub after_lost_response: Option<String>,
}

impl ServiceError {
    /// Which transient failure OCI's retry rules call this answer: 409 IncorrectState or
    /// LockConflict, 429, and 5xx except 501; `None` for the others.
    pub fn retry_class(&self) -> Option<RetryClass> {
        match self.status.as_u16() {
            409 if self.code == "IncorrectState" || self.code == "LockConflict" => {
                Some(RetryClass::TransientConflict)
            }
            429 => Some(RetryClass::Throttled),
            501 => None,
            500..=599 => Some(RetryClass::ServerError),
            _ => None,
        }
    }

    /// Whether OCI's retry rules call this answer transient ([`ServiceError::retry_class`]).
    pub fn is_retryable(&self) -> bool {
        self.retry_class().is_some()
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed: {} {}: {} ({}",
            self.operation,
            self.status.as_u16(),
            self.code,
            self.message,
            self.endpoint
        )?;
        if let Some(id) = &self.opc_request_id {
            write!(f, ", opc-request-id {id}")?;
        }
        f.write_str(")")?;
        if let Some(earlier) = &self.after_lost_response {
            write!(
                f,
                "; an earlier attempt of this call may have succeeded, as its response was lost \
                 ({earlier}), so this may be its own effect"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

/// A successful response whose body or headers could not be turned into the typed output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: cannot decode response: {reason}{}", request_id_suffix(.opc_request_id))]
pub struct DecodeError {
    /// The operation whose response failed to decode.
    pub operation: &'static str,
    /// What is wrong (field path, line and column for JSON).
    pub reason: String,
    /// Whether the body ended early (a truncated body is worth another attempt).
    pub truncated: bool,
    /// `opc-request-id` of the response.
    pub opc_request_id: Option<String>,
}

fn request_id_suffix(id: &Option<String>) -> String {
    id.as_ref()
        .map(|id| format!(" (opc-request-id {id})"))
        .unwrap_or_default()
}

/// What the transport reported. Adapters build these; the core classifies them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} while calling {endpoint}: {message}")]
pub struct TransportError {
    /// Broad class of the failure.
    pub kind: TransportErrorKind,
    /// The adapter's description of the underlying error.
    pub message: String,
    /// Method and URL of the request, when known.
    pub endpoint: String,
}

impl TransportError {
    /// A transport error of `kind`.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
            endpoint: String::new(),
        }
    }

    /// A transport error from an I/O error, classified by its [`io::ErrorKind`]; `what` says
    /// what was being done (`"reading the response body"`).
    pub fn from_io(e: &io::Error, what: &str) -> Self {
        // A body reader's own error (`into_io`) comes back exactly as it was.
        if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<TransportError>()) {
            return inner.clone();
        }
        TransportError::new(
            TransportErrorKind::from_io(e.kind()),
            format!("{what}: {e}"),
        )
    }

    /// The same failure as an [`io::Error`] (for body readers and streams), whose kind
    /// [`TransportErrorKind::from_io`] maps back to this one's.
    pub fn into_io(self) -> io::Error {
        io::Error::new(self.kind.io_kind(), self)
    }

    /// Which transient failure this is; `None` for the ones a new attempt cannot fix (a bad
    /// URL, TLS, a body over the buffering limit).
    pub fn retry_class(&self) -> Option<RetryClass> {
        match self.kind {
            TransportErrorKind::Connect => Some(RetryClass::NotSent),
            TransportErrorKind::Timeout => Some(RetryClass::Timeout),
            TransportErrorKind::Io | TransportErrorKind::Truncated => {
                Some(RetryClass::ConnectionLost)
            }
            TransportErrorKind::Tls
            | TransportErrorKind::InvalidUrl
            | TransportErrorKind::BodyTooLarge => None,
        }
    }

    /// Whether a new attempt could succeed.
    pub fn is_retryable(&self) -> bool {
        self.retry_class().is_some()
    }
}

/// Classes of transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be established (refused, unreachable, DNS, connect timeout):
    /// nothing of the request was sent.
    Connect,
    /// No response (or no body data) within the read timeout, after the request was sent.
    Timeout,
    /// The connection broke while sending or receiving.
    Io,
    /// The response body ended before its `content-length`.
    Truncated,
    /// TLS handshake or certificate failure.
    Tls,
    /// The URL could not be used.
    InvalidUrl,
    /// A response body was larger than the core buffers
    /// ([`MAX_BUFFERED_BODY`](crate::context::MAX_BUFFERED_BODY) for a success,
    /// [`MAX_ERROR_BODY`](crate::context::MAX_ERROR_BODY) for an error).
    BodyTooLarge,
}

impl TransportErrorKind {
    /// The class of an I/O failure: the one map from [`io::ErrorKind`] every adapter uses.
    pub fn from_io(kind: io::ErrorKind) -> Self {
        match kind {
            io::ErrorKind::ConnectionRefused
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable => TransportErrorKind::Connect,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportErrorKind::Timeout,
            io::ErrorKind::UnexpectedEof => TransportErrorKind::Truncated,
            _ => TransportErrorKind::Io,
        }
    }

    /// The [`io::ErrorKind`] a body reader or stream reports for this class.
    pub fn io_kind(self) -> io::ErrorKind {
        match self {
            TransportErrorKind::Connect => io::ErrorKind::ConnectionRefused,
            TransportErrorKind::Timeout => io::ErrorKind::TimedOut,
            TransportErrorKind::Truncated => io::ErrorKind::UnexpectedEof,
            TransportErrorKind::InvalidUrl => io::ErrorKind::InvalidInput,
            TransportErrorKind::BodyTooLarge => io::ErrorKind::InvalidData,
            TransportErrorKind::Io | TransportErrorKind::Tls => io::ErrorKind::Other,
        }
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "connection failure",
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::Io => "I/O error",
            TransportErrorKind::Truncated => "truncated response",
            TransportErrorKind::Tls => "TLS error",
            TransportErrorKind::InvalidUrl => "invalid URL",
            TransportErrorKind::BodyTooLarge => "response body too large",
        })
    }
}

/// A request body problem.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The body was already (partly) sent and cannot be rewound, so it is not sent again.
    #[error(
        "{operation}: the request body cannot be replayed, so it was not sent again after: {first_failure}"
    )]
    NotReplayable {
        /// Operation name.
        operation: &'static str,
        /// The failure that would have been retried, as text.
        first_failure: String,
        /// That failure itself, when the call saw one (so `Error::status()`, `code()` and
        /// `as_service()` reach it); `None` when the adapter refused a second use on its own.
        last: Option<std::sync::Arc<Error>>,
    },
    /// The body produced a different number of bytes than it declared.
    #[error(
        "{operation}: body declared {declared} bytes but produced {}{actual}",
        if *.at_least { "at least " } else { "" }
    )]
    LengthMismatch {
        /// Operation name.
        operation: &'static str,
        /// Length given up front (`content-length`).
        declared: u64,
        /// Bytes the source produced (when `at_least`, as far as it was read: a source longer
        /// than declared is not read to its end).
        actual: u64,
        /// Whether the source was stopped early, so it holds `actual` bytes or more.
        at_least: bool,
    },
    /// The body's reader failed.
    #[error("{operation}: reading the request body failed: {reason}")]
    Read {
        /// Operation name.
        operation: &'static str,
        /// The reader's error.
        reason: String,
    },
}

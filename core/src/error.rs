//! The one error type of `ocisdk-core`, and the pieces it is made of.
//!
//! Every variant is something a user can act on, and every error can say whether trying the same
//! request again could succeed ([`Error::is_retryable`]).

use std::fmt;

use http::StatusCode;

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
    /// The state machine was driven out of order (a bug in the adapter driving it).
    #[error("call state machine misuse: {0}")]
    Misuse(&'static str),
}

impl Error {
    /// Whether the same request may succeed if sent again (the retry policy's view).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Service(e) => e.is_retryable(),
            Error::Transport(e) => e.is_retryable(),
            Error::Decode(e) => e.truncated,
            _ => false,
        }
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
}

impl ServiceError {
    /// Whether OCI's retry rules call this answer transient: 409 IncorrectState or
    /// LockConflict, 429, and 5xx except 501.
    pub fn is_retryable(&self) -> bool {
        let s = self.status.as_u16();
        (s == 409 && (self.code == "IncorrectState" || self.code == "LockConflict"))
            || s == 429
            || (s >= 500 && s != 501)
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
        f.write_str(")")
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

    /// Whether a new attempt could succeed.
    pub fn is_retryable(&self) -> bool {
        !matches!(
            self.kind,
            TransportErrorKind::InvalidUrl
                | TransportErrorKind::Tls
                | TransportErrorKind::BodyTooLarge
        )
    }
}

/// Classes of transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be established.
    Connect,
    /// Connect or read timed out.
    Timeout,
    /// The connection broke while sending or receiving.
    Io,
    /// The response body ended before its `content-length`.
    Truncated,
    /// TLS handshake or certificate failure.
    Tls,
    /// The URL could not be used.
    InvalidUrl,
    /// A response body was larger than the adapter may buffer
    /// ([`Call::max_buffered_body`](crate::call::Call::max_buffered_body)).
    BodyTooLarge,
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
    #[error("{operation}: body declared {declared} bytes but produced {actual}")]
    LengthMismatch {
        /// Operation name.
        operation: &'static str,
        /// Length given up front (`content-length`).
        declared: u64,
        /// Bytes the reader produced.
        actual: u64,
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

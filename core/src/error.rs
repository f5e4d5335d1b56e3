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
///
/// # Matching
///
/// Ask the error rather than matching its variants: a service answer can arrive directly
/// ([`Error::Service`]), as the last failure after retries ran out
/// ([`Error::RetriesExhausted`]) or behind a body that could not be sent again
/// ([`BodyError::NotReplayable`]); the predicates look through all three.
///
/// ```
/// # use ocisdk_core::Error;
/// fn describe(e: &Error) -> String {
///     if e.is_not_found() {
///         "gone".into()                                    // any 404, HEAD ones included
///     } else if e.is_conflict() {
///         format!("conflict: {:?}", e.code())              // e.g. Some("BucketAlreadyExists")
///     } else if e.status_u16() == Some(412) {
///         "changed since read".into()
///     } else if let Some(service) = e.service_error() {
///         format!("{} {} (opc-request-id {:?})", service.status, service.code, service.opc_request_id)
///     } else {
///         e.to_string()                                    // not a service answer
///     }
/// }
/// ```
///
/// A `HEAD` answer (HeadBucket, HeadObject) has no body, so its code cannot be the service's
/// specific one (`BucketNotFound`, `ObjectNotFound`): it is the status' name without spaces
/// (`NotFound` for 404, `PreconditionFailed` for 412, `NotModified` for 304). Match HEAD answers
/// with [`Error::is_not_found`] or [`Error::status_u16`], not with a code.
///
/// # Printing
///
/// `Display` says what failed and what to do about it; `Debug` (what a `main` returning
/// `Result<(), Box<dyn std::error::Error>>` prints) is the variant's name followed by the same
/// text, and `{:#?}` adds the status, code and whether it is retryable. Neither holds a secret.
#[derive(thiserror::Error)]
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
    /// A security token could not be used or refreshed: it is not a JWT, or the auth service
    /// refused to refresh it (sign in again).
    #[error(transparent)]
    Token(#[from] crate::auth::token::TokenError),
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
    /// The provider chain found no credentials; it says what each step looked at.
    #[error(transparent)]
    Credentials(#[from] crate::auth::chain::NoCredentials),
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

    /// The service's answer, if this is one: looks through [`Error::RetriesExhausted`] (the
    /// last attempt's answer) and [`BodyError::NotReplayable`] (the answer that would have been
    /// retried). The same as [`Error::as_service`].
    pub fn service_error(&self) -> Option<&ServiceError> {
        self.as_service()
    }

    /// The HTTP status of a service answer as a number, to compare with literals
    /// (`e.status_u16() == Some(409)`); [`Error::status`] gives the [`StatusCode`](https://docs.rs/http/1/http/status/struct.StatusCode.html).
    pub fn status_u16(&self) -> Option<u16> {
        self.status().map(|s| s.as_u16())
    }

    /// Whether the service answered 404 (`NotAuthorizedOrNotFound`, `BucketNotFound`,
    /// `ObjectNotFound`, … or, for a `HEAD`, `NotFound`). OCI answers 404 also for resources
    /// the caller may not see.
    pub fn is_not_found(&self) -> bool {
        self.status_u16() == Some(404)
    }

    /// Whether the service answered 409 (`EntityAlreadyExists`, `BucketAlreadyExists`,
    /// `BucketNotEmpty`, `IncorrectState`, …). After lost responses, check
    /// [`Error::earlier_attempt_may_have_succeeded`] too.
    pub fn is_conflict(&self) -> bool {
        self.status_u16() == Some(409)
    }

    /// Whether the service answered 429 (too many requests), even after retries ran out.
    pub fn is_throttled(&self) -> bool {
        self.status_u16() == Some(429)
    }

    /// Whether the service answered 401: the request's signature was refused. The error's text
    /// lists the usual causes.
    pub fn is_not_authenticated(&self) -> bool {
        self.status_u16() == Some(401)
    }

    /// Whether the last failure was a timeout (no answer within the read timeout).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.last_failure(),
            Error::Transport(TransportError {
                kind: TransportErrorKind::Timeout,
                ..
            })
        )
    }

    /// The variant's name, for `Debug`.
    fn variant_name(&self) -> &'static str {
        match self {
            Error::Service(_) => "Service",
            Error::Config(_) => "Config",
            Error::Key(_) => "Key",
            Error::Region(_) => "Region",
            Error::Decode(_) => "Decode",
            Error::Transport(_) => "Transport",
            Error::Signing(_) => "Signing",
            Error::Token(_) => "Token",
            Error::Body(_) => "Body",
            Error::Pagination(_) => "Pagination",
            Error::InvalidRequest { .. } => "InvalidRequest",
            Error::RetriesExhausted { .. } => "RetriesExhausted",
            Error::Misuse(_) => "Misuse",
            Error::Credentials(_) => "Credentials",
        }
    }
}

/// `Variant: <the Display text>`, so that `main` returning `Box<dyn Error>` (which prints
/// `Debug`) says as much as `Display`; `{:#?}` adds what a program would match on. Every part
/// comes from `Display` or from plain data (status, code, request id), none of which holds a
/// secret.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return write!(f, "{}: {self}", self.variant_name());
        }
        let mut d = f.debug_struct(self.variant_name());
        d.field("message", &format_args!("{self}"));
        if let Some(service) = self.as_service() {
            d.field("status", &service.status.as_u16())
                .field("code", &service.code)
                .field("opc_request_id", &service.opc_request_id);
        }
        d.field("retryable", &self.is_retryable()).finish()
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
        if self.status == StatusCode::UNAUTHORIZED {
            f.write_str(NOT_AUTHENTICATED_HINT)?;
        }
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

/// What a 401 usually means, appended to its text: the service says only that the signature was
/// refused, never why.
pub const NOT_AUTHENTICATED_HINT: &str = "; the request's signature was refused: usually the \
     profile's `user`, `tenancy` or `fingerprint` does not match an API key uploaded for that \
     user (a key uploaded to another user, or a fingerprint copied from another key), `key_file` \
     is not the private half of that key, the key was uploaded minutes ago and is not active \
     yet, or this machine's clock is more than 5 minutes off";

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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn answer(status: u16, code: &str) -> Error {
        Error::from(ServiceError {
            status: StatusCode::from_u16(status).unwrap(),
            code: code.into(),
            message: "m".into(),
            opc_request_id: Some("req-1".into()),
            operation: "CreateBucket",
            endpoint: "POST http://127.0.0.1:1/n/ns/b".into(),
            after_lost_response: None,
        })
    }

    fn exhausted(last: Error) -> Error {
        Error::RetriesExhausted {
            operation: "CreateBucket",
            attempts: 8,
            elapsed: std::time::Duration::from_secs(93),
            reason: crate::retry::StopReason::AttemptsExhausted,
            last: Box::new(last),
        }
    }

    #[test]
    fn predicates_look_through_retries_and_unreplayable_bodies() {
        let conflict = answer(409, "BucketAlreadyExists");
        let wrapped = [
            exhausted(answer(409, "BucketAlreadyExists")),
            Error::Body(BodyError::NotReplayable {
                operation: "PutObject",
                first_failure: "409".into(),
                last: Some(std::sync::Arc::new(answer(409, "BucketAlreadyExists"))),
            }),
        ];
        for e in std::iter::once(&conflict).chain(&wrapped) {
            assert!(e.is_conflict(), "{e}");
            assert_eq!(e.status_u16(), Some(409));
            assert_eq!(e.status(), Some(StatusCode::CONFLICT));
            assert_eq!(e.code(), Some("BucketAlreadyExists"));
            assert_eq!(
                e.service_error().map(|s| s.opc_request_id.as_deref()),
                Some(Some("req-1"))
            );
            assert!(!e.is_not_found() && !e.is_throttled() && !e.is_timeout());
        }
        assert!(answer(404, "NotFound").is_not_found());
        assert!(exhausted(answer(429, "TooManyRequests")).is_throttled());
        assert!(answer(401, "NotAuthenticated").is_not_authenticated());
        let timeout = exhausted(Error::Transport(TransportError::new(
            TransportErrorKind::Timeout,
            "no answer",
        )));
        assert!(timeout.is_timeout());
        assert_eq!(timeout.status_u16(), None);
        assert!(timeout.service_error().is_none());
    }

    #[test]
    fn debug_says_what_display_says() {
        let e = exhausted(answer(409, "BucketAlreadyExists"));
        let debug = format!("{e:?}");
        assert_eq!(debug, format!("RetriesExhausted: {e}"));
        assert!(debug.contains("BucketAlreadyExists"));
        let pretty = format!("{e:#?}");
        assert!(pretty.contains("status: 409"), "{pretty}");
        assert!(pretty.contains("\"BucketAlreadyExists\""), "{pretty}");
        assert!(pretty.contains("retryable: false"), "{pretty}");
        // A `main` returning `Box<dyn Error>` prints `Debug`.
        let boxed: Box<dyn std::error::Error> = Box::new(answer(404, "NotFound"));
        assert!(format!("{boxed:?}").starts_with("Service: CreateBucket failed: 404 NotFound"));
    }

    #[test]
    fn a_401_lists_the_usual_causes() {
        let text = answer(401, "NotAuthenticated").to_string();
        for cause in ["user", "fingerprint", "key_file", "clock"] {
            assert!(text.contains(cause), "{cause} missing from {text}");
        }
        assert!(!answer(403, "NotAllowed").to_string().contains("key_file"));
        // Through retries and in Debug too.
        let debug = format!("{:?}", exhausted(answer(401, "NotAuthenticated")));
        assert!(debug.contains("key_file"), "{debug}");
    }
}

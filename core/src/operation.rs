//! The operation trait: how one OCI operation plans its request and reads its response; the
//! request plan, the typed response, and the helpers operations share to decode.

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use percent_encoding::utf8_percent_encode;
use serde::de::DeserializeOwned;

use crate::endpoint::{ENCODE, Service};
use crate::error::{DecodeError, Error, ServiceError};
use crate::model::{CollectionFormat, ParamValue};

/// Request headers that carry a secret (SSE-C keys): marked sensitive when set.
pub const SENSITIVE_HEADERS: &[&str] = &["opc-sse-customer-key", "opc-source-sse-customer-key"];

/// The length of a streamed body from the operation's `content-length` parameter, refusing a
/// negative one.
pub fn stream_length(operation: &'static str, field: &str, length: i64) -> Result<u64, Error> {
    u64::try_from(length).map_err(|_| Error::InvalidRequest {
        operation,
        reason: format!("`{field}` is {length}; a body length cannot be negative"),
    })
}

/// Fails with a typed error naming `field` when a required path value is empty (it would make
/// a different path).
pub fn require(operation: &'static str, field: &str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::InvalidRequest {
            operation,
            reason: format!("`{field}` is required and must not be empty"),
        });
    }
    Ok(())
}

/// A request body as the core plans it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestBody {
    /// No body.
    Empty,
    /// A complete body held in memory (JSON); can be sent any number of times.
    Bytes(Bytes),
    /// A body the adapter streams from its own source, of exactly `length` bytes.
    Stream {
        /// Exact length in bytes; sent as `content-length` (Object Storage refuses chunked
        /// uploads).
        length: u64,
    },
}

/// What an operation asks to send, before the endpoint, retry token and signature are added.
#[derive(Debug, Clone)]
pub struct RequestPlan {
    /// HTTP method.
    pub method: Method,
    /// Path, already percent-encoded, including the service prefix (`/20160918/...`, `/n/...`).
    pub path: String,
    /// Query parameters in wire order, not yet encoded.
    pub query: Vec<(&'static str, String)>,
    /// Operation-specific headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: RequestBody,
}

impl RequestPlan {
    /// A plan for `method` on `path` with no query, headers or body.
    pub fn new(method: Method, path: String) -> Self {
        RequestPlan {
            method,
            path,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: RequestBody::Empty,
        }
    }

    /// Adds `name=value` to the query.
    pub fn query(&mut self, name: &'static str, value: &(impl ParamValue + ?Sized)) {
        self.query.push((name, value.to_param()));
    }

    /// Adds `name=value` when `value` is present.
    pub fn query_opt(&mut self, name: &'static str, value: Option<&(impl ParamValue + ?Sized)>) {
        if let Some(v) = value {
            self.query(name, v);
        }
    }

    /// Adds a list in the API's collection format (nothing for an empty list).
    pub fn query_list<V: ParamValue>(
        &mut self,
        name: &'static str,
        values: &[V],
        format: CollectionFormat,
    ) {
        match format {
            CollectionFormat::Multi => {
                for v in values {
                    self.query(name, v);
                }
            }
            CollectionFormat::Csv if values.is_empty() => {}
            CollectionFormat::Csv => {
                let joined = values
                    .iter()
                    .map(ParamValue::to_param)
                    .collect::<Vec<_>>()
                    .join(",");
                self.query.push((name, joined));
            }
        }
    }

    /// Sets header `name`; fails with a typed error naming the header when the value cannot be
    /// sent.
    pub fn header(
        &mut self,
        operation: &'static str,
        name: &str,
        value: &(impl ParamValue + ?Sized),
    ) -> Result<(), Error> {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::InvalidRequest {
            operation,
            reason: format!("`{name}` is not a valid header name"),
        })?;
        let mut value =
            HeaderValue::from_str(&value.to_param()).map_err(|_| Error::InvalidRequest {
                operation,
                reason: format!("header `{name}` has characters HTTP does not allow"),
            })?;
        // A key in a header is marked so that no HTTP library logs it.
        if SENSITIVE_HEADERS.contains(&name.as_str()) {
            value.set_sensitive(true);
        }
        self.headers.insert(name, value);
        Ok(())
    }

    /// Sets header `name` when `value` is present.
    pub fn header_opt(
        &mut self,
        operation: &'static str,
        name: &str,
        value: Option<&(impl ParamValue + ?Sized)>,
    ) -> Result<(), Error> {
        match value {
            Some(v) => self.header(operation, name, v),
            None => Ok(()),
        }
    }

    /// Sets one header per entry, named `prefix` + key (`opc-meta-` user metadata).
    pub fn prefix_headers<'a>(
        &mut self,
        operation: &'static str,
        prefix: &str,
        entries: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Result<(), Error> {
        for (key, value) in entries {
            self.header(operation, &format!("{prefix}{key}"), value)?;
        }
        Ok(())
    }

    /// Sets a JSON body from `value`.
    pub fn json_body(
        &mut self,
        operation: &'static str,
        value: &impl serde::Serialize,
    ) -> Result<(), Error> {
        let bytes = serde_json::to_vec(value).map_err(|e| Error::InvalidRequest {
            operation,
            reason: format!("cannot serialize body: {e}"),
        })?;
        self.body = RequestBody::Bytes(Bytes::from(bytes));
        self.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Ok(())
    }

    /// The path with the query string appended, percent-encoded as it is sent and signed.
    pub fn path_and_query(&self) -> String {
        let mut s = self.path.clone();
        for (i, (k, v)) in self.query.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(k);
            s.push('=');
            s.push_str(&utf8_percent_encode(v, ENCODE).to_string());
        }
        s
    }
}

/// One OCI operation: how to build its request and how to read its response. Operations are
/// plain data (`Send + 'static`), so any transport, blocking or async, can carry them.
pub trait Operation: Send + 'static {
    /// The typed data of a successful response.
    type Output: Send + 'static;
    /// The operation's name in OCI's API reference (`CreateGroup`).
    const NAME: &'static str;
    /// The service it belongs to.
    const SERVICE: &'static Service;
    /// Whether the body is hashed into the signature. PutObject and UploadPart are the
    /// exceptions: their bodies stream unsigned.
    const SIGN_BODY: bool = true;
    /// Whether a successful response body is left to the adapter as a stream (GetObject).
    const STREAM_RESPONSE: bool = false;
    /// Whether the operation takes an `opc-retry-token`: every attempt of a call then carries
    /// the same token (generated when the request has none), so the service applies the
    /// request once. Only operations whose API defines the header get one.
    const RETRY_TOKEN: bool = false;

    /// The request to send.
    fn plan(&self) -> Result<RequestPlan, Error>;

    /// The token of the next page carried by a successful response: `opc-next-page` by
    /// default; ListObjects overrides it with its body's `nextStartWith`.
    fn next_page(headers: &HeaderMap, data: &Self::Output) -> Option<String> {
        let _ = data;
        header_str(headers, "opc-next-page").map(str::to_string)
    }

    /// Decodes a successful (2xx) response. For streaming operations `body` is empty.
    fn parse(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Self::Output, Error>;
}

/// A successful response: the typed data plus what OCI says about it.
#[derive(Debug, Clone)]
pub struct Response<T> {
    /// The typed data.
    pub data: T,
    /// HTTP status.
    pub status: StatusCode,
    /// All response headers.
    pub headers: HeaderMap,
    /// `opc-request-id`.
    pub opc_request_id: Option<String>,
    /// `etag`.
    pub etag: Option<String>,
    /// The token for the next page (`opc-next-page`, or ListObjects' `nextStartWith`).
    pub next_page: Option<String>,
    /// Set when an earlier attempt of this call may have been applied by the service (it timed
    /// out, its connection broke after sending, or the service failed with a 5xx) and this
    /// answer is a later attempt's: a DELETE answered 404 then most likely deleted on the lost
    /// attempt. Holds the earlier attempt's failure.
    pub after_lost_response: Option<String>,
}

impl<T> Response<T> {
    /// Whether the service said there is a page after this one (`opc-next-page`, or
    /// ListObjects' `nextStartWith`). A page may be short, or empty, and still have one.
    pub fn has_next_page(&self) -> bool {
        self.next_page.is_some()
    }

    /// Keeps the metadata and replaces the data.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            data: f(self.data),
            status: self.status,
            headers: self.headers,
            opc_request_id: self.opc_request_id,
            etag: self.etag,
            next_page: self.next_page,
            after_lost_response: self.after_lost_response,
        }
    }
}

/// Reads a header as a string, if present and visible ASCII.
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Decodes a JSON body for `operation`, turning serde's error into a [`DecodeError`] that says
/// where and whether the body was cut short.
pub fn decode_json<T: DeserializeOwned>(
    operation: &'static str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| {
        Error::Decode(DecodeError {
            operation,
            reason: if e.is_eof() {
                format!("body ends early ({} bytes): {e}", body.len())
            } else {
                e.to_string()
            },
            truncated: e.is_eof(),
            opc_request_id: header_str(headers, "opc-request-id").map(str::to_string),
        })
    })
}

/// Builds the [`ServiceError`] for an error response, whether or not its body is OCI's JSON.
pub fn service_error(
    operation: &'static str,
    endpoint: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> ServiceError {
    #[derive(serde::Deserialize)]
    struct Body {
        code: Option<String>,
        message: Option<String>,
    }
    let opc_request_id = header_str(headers, "opc-request-id").map(str::to_string);
    let parsed: Option<Body> = serde_json::from_slice(body).ok();
    let (code, message) = match parsed {
        Some(Body {
            code: Some(code),
            message,
        }) => (code, message.unwrap_or_default()),
        _ => {
            let reason = status.canonical_reason().unwrap_or("Unknown");
            let snippet: String = String::from_utf8_lossy(body)
                .chars()
                .take(200)
                .filter(|c| !c.is_control())
                .collect();
            let message = if body.is_empty() {
                format!("{} with an empty body", status.as_u16())
            } else {
                format!("error body is not OCI JSON: {snippet:?}")
            };
            (reason.replace(' ', ""), message)
        }
    };
    ServiceError {
        status,
        code,
        message,
        opc_request_id,
        operation,
        endpoint: endpoint.to_string(),
        after_lost_response: None,
    }
}

/// What to do with an operation known only by its name at run time (a JavaScript call, a
/// conformance test): a service crate's `visit_operation` builds the request type from JSON and
/// hands it here.
pub trait VisitOperation {
    /// What the visit gives.
    type Output;
    /// Called with the built request.
    fn visit<O>(self, op: O) -> Self::Output
    where
        O: Operation,
        O::Output: serde::Serialize;
}

/// What to do with a list operation known only by its name at run time (a JavaScript async
/// iterator): a service crate's `visit_list_operation` builds the request type from JSON and hands
/// it here.
pub trait VisitListOperation {
    /// What the visit gives.
    type Output;
    /// Called with the built request.
    fn visit<O>(self, op: O) -> Self::Output
    where
        O: crate::paginate::ListOperation,
        O::Item: serde::Serialize;
}

/// What to do with a model known only by its name at run time: a service crate's `visit_model`
/// calls this with the model's type.
pub trait VisitModel {
    /// What the visit gives.
    type Output;
    /// Called with the model type `M`.
    fn visit<M>(self) -> Self::Output
    where
        M: serde::Serialize + serde::de::DeserializeOwned + 'static;
}

/// A request type from its parameters as JSON (camelCase names, as JavaScript writes them), with
/// an error naming the operation and the field at fault.
pub fn from_params<O: Operation + serde::de::DeserializeOwned>(
    params: serde_json::Value,
) -> Result<O, Error> {
    serde_json::from_value(params).map_err(|e| Error::InvalidRequest {
        operation: O::NAME,
        reason: format!("bad parameters: {e}"),
    })
}

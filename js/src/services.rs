//! What the generated service methods (`generated.rs`) run on: parameters from JS, the request
//! type built by the service crate's `dynamic::visit_operation`, sent by the `fetch` client,
//! and the response as a plain JS object. Errors become `OciError`s.
// Without the `services` feature only the conveniences use the error and body helpers.
#![cfg_attr(not(feature = "services"), allow(dead_code))]

use std::future::Future;
use std::pin::Pin;

use js_sys::{Promise, Reflect, Uint8Array};
use ocisdk_core::error::Error;
use ocisdk_core::operation::{Operation, Response, VisitOperation};
use ocisdk_wasm::{Client, UploadBody};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[wasm_bindgen(typescript_custom_section)]
const TS_RUNTIME: &'static str = r#"
/** What every generated method resolves to. */
export interface OciResponse<T> {
  /** The typed data (JSON of the API, camelCase wire names). */
  data: T;
  /** HTTP status. */
  status: number;
  /** `opc-request-id`: quote it to Oracle support. */
  opcRequestId?: string;
  /** `etag`. */
  etag?: string;
  /** The token of the next page of a list (`opc-next-page`, or ListObjects' `nextStartWith`). */
  nextPage?: string;
  /** Whether there is a next page. */
  hasNextPage: boolean;
}

/** What a streamed download (GetObject) resolves to: the head's data and the whole body. */
export interface OciDownload<T> extends OciResponse<T> {
  body: Uint8Array;
}

/** An upload body: read by the platform, never copied into wasm memory when a Blob/File. */
export type UploadSource = Blob | Uint8Array | ArrayBuffer | string;

export namespace ObjectStorage {
  /** What PutObject's response says about the stored object. */
  export interface PutObjectOutput {
    etag?: string;
    opcContentMd5?: string;
    opcContentCrc32c?: string;
    opcContentSha256?: string;
    opcContentSha384?: string;
    /** RFC 3339 */
    lastModified?: string;
    versionId?: string;
  }
  /** What UploadPart's response says about the stored part. */
  export interface UploadPartOutput {
    etag?: string;
    opcContentMd5?: string;
    opcContentCrc32c?: string;
    opcContentSha256?: string;
    opcContentSha384?: string;
  }
  /** An object's metadata from the headers of HeadObject or GetObject. */
  export interface ObjectMetadata {
    contentLength?: number;
    contentType?: string;
    contentMd5?: string;
    opcMultipartMd5?: string;
    etag?: string;
    /** RFC 3339 */
    lastModified?: string;
    contentRange?: string;
    storageTier?: string;
    archivalState?: string;
    versionId?: string;
    opcMeta: Record<string, string>;
    [field: string]: unknown;
  }
}
"#;

/// A future of the JS API (not `Send`: JS values live on one thread).
pub(crate) type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Turns an error into the `OciError` the TypeScript declarations describe.
pub(crate) fn to_js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("OciError");
    let kind = match e {
        Error::Service(_) => "service",
        Error::Transport(_) => "transport",
        Error::Config(_) => "config",
        Error::Key(_) => "key",
        Error::Region(_) => "region",
        Error::Decode(_) => "decode",
        Error::Signing(_) => "signing",
        Error::Body(_) => "body",
        Error::InvalidRequest { .. } => "invalidRequest",
        Error::RetriesExhausted { .. } => "retriesExhausted",
        _ => "other",
    };
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&err, &JsValue::from_str(k), &v);
    };
    set("kind", JsValue::from_str(kind));
    set("retryable", JsValue::from_bool(e.is_retryable()));
    if let Some(service) = e.as_service() {
        set("status", JsValue::from(service.status.as_u16()));
        set("code", JsValue::from_str(&service.code));
        set("operation", JsValue::from_str(service.operation));
        if let Some(id) = &service.opc_request_id {
            set("opcRequestId", JsValue::from_str(id));
        }
    } else if let Error::RetriesExhausted { operation, .. } = e {
        set("operation", JsValue::from_str(operation));
    } else if let Error::InvalidRequest { operation, .. } = e {
        set("operation", JsValue::from_str(operation));
    }
    err.into()
}

/// A plain JS value from any serializable Rust value (through JSON: the API's own shapes).
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|e| JsValue::from(js_sys::Error::new(&format!("cannot encode result: {e}"))))?;
    js_sys::JSON::parse(&text)
}

/// The parameters a JS caller passed, as JSON (`undefined` is no parameters).
fn params_of(params: &JsValue, operation: &'static str) -> Result<serde_json::Value, Error> {
    if params.is_undefined() || params.is_null() {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    let bad = |reason: String| Error::InvalidRequest { operation, reason };
    let text = js_sys::JSON::stringify(params)
        .map_err(|_| bad("the parameters cannot be turned into JSON".into()))?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| bad(format!("bad parameters: {e}")))
}

/// The body of an upload: a `Blob`/`File`, a `Uint8Array` (or Node `Buffer`), an
/// `ArrayBuffer`, or a string (sent as UTF-8).
pub(crate) fn upload_body(body: &JsValue) -> Result<UploadBody, Error> {
    if let Some(blob) = body.dyn_ref::<web_sys::Blob>() {
        return Ok(UploadBody::from(blob));
    }
    if let Some(array) = body.dyn_ref::<Uint8Array>() {
        return Ok(UploadBody::from(array.clone()));
    }
    if body.is_instance_of::<js_sys::ArrayBuffer>() {
        return Ok(UploadBody::from(Uint8Array::new(body)));
    }
    if let Some(text) = body.as_string() {
        return Ok(UploadBody::from(text.into_bytes()));
    }
    Err(Error::InvalidRequest {
        operation: "PutObject",
        reason: "the body must be a Blob, File, Uint8Array, ArrayBuffer or string".into(),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsResponse<'a, T> {
    data: &'a T,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    opc_request_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    etag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page: Option<&'a str>,
    has_next_page: bool,
}

/// The JS shape of a response.
pub(crate) fn response_to_js<T: Serialize>(r: &Response<T>) -> Result<JsValue, JsValue> {
    to_js(&JsResponse {
        data: &r.data,
        status: r.status.as_u16(),
        opc_request_id: r.opc_request_id.as_deref(),
        etag: r.etag.as_deref(),
        next_page: r.next_page.as_deref(),
        has_next_page: r.has_next_page(),
    })
}

/// What a visit gives: the future of the JS response.
type Visited = LocalFuture<Result<JsValue, JsValue>>;

/// Sends an operation whose bodies fit in memory.
pub(crate) struct Send(pub(crate) Client);

impl VisitOperation for Send {
    type Output = Visited;

    fn visit<O>(self, op: O) -> Visited
    where
        O: Operation,
        O::Output: Serialize,
    {
        Box::pin(async move {
            let r = self.0.send(op).await.map_err(|e| to_js_error(&e))?;
            response_to_js(&r)
        })
    }
}

/// Sends an operation with a streamed request body.
pub(crate) struct Upload(pub(crate) Client, pub(crate) UploadBody);

impl VisitOperation for Upload {
    type Output = Visited;

    fn visit<O>(self, op: O) -> Visited
    where
        O: Operation,
        O::Output: Serialize,
    {
        Box::pin(async move {
            let r = self
                .0
                .send_upload(op, self.1)
                .await
                .map_err(|e| to_js_error(&e))?;
            response_to_js(&r)
        })
    }
}

/// Sends an operation whose response body streams, and reads that body whole.
pub(crate) struct Download(pub(crate) Client);

impl VisitOperation for Download {
    type Output = Visited;

    fn visit<O>(self, op: O) -> Visited
    where
        O: Operation,
        O::Output: Serialize,
    {
        Box::pin(async move {
            let got = self
                .0
                .send_download(op)
                .await
                .map_err(|e| to_js_error(&e))?;
            let meta = response_to_js(&got.meta)?;
            let bytes = got.body.bytes().await.map_err(|e| to_js_error(&e))?;
            Reflect::set(
                &meta,
                &JsValue::from_str("body"),
                &Uint8Array::from(&bytes[..]).into(),
            )?;
            Ok(meta)
        })
    }
}

/// Runs operation `operation` with the JS `params`: `dispatch` is the service crate's
/// `dynamic::visit_operation`, `visitor` what to do with the built request.
pub(crate) fn run<V>(
    operation: &'static str,
    params: JsValue,
    visitor: V,
    dispatch: fn(&str, serde_json::Value, V) -> Result<Visited, Error>,
) -> Promise
where
    V: VisitOperation<Output = Visited> + 'static,
{
    let started = params_of(&params, operation).and_then(|p| dispatch(operation, p, visitor));
    future_to_promise(async move {
        match started {
            Ok(future) => future.await,
            Err(e) => Err(to_js_error(&e)),
        }
    })
}

/// [`run`] for an upload: the body's length is the request's `contentLength` unless it says
/// one itself.
pub(crate) fn run_upload(
    client: &Client,
    operation: &'static str,
    params: JsValue,
    body: JsValue,
    dispatch: fn(&str, serde_json::Value, Upload) -> Result<Visited, Error>,
) -> Promise {
    let prepared = upload_body(&body).and_then(|body| {
        let mut p = params_of(&params, operation)?;
        if let Some(map) = p.as_object_mut() {
            map.entry("contentLength")
                .or_insert_with(|| serde_json::Value::from(body.len()));
        }
        Ok((p, body))
    });
    let client = client.clone();
    future_to_promise(async move {
        let (p, body) = prepared.map_err(|e| to_js_error(&e))?;
        let future = dispatch(operation, p, Upload(client, body)).map_err(|e| to_js_error(&e))?;
        future.await
    })
}

#[wasm_bindgen(
    inline_js = "export function asyncIterable(next) { return { next, [Symbol.asyncIterator]() { return this; } }; }"
)]
extern "C" {
    /// `{ next, [Symbol.asyncIterator]() { return this } }`: what `for await` takes.
    #[wasm_bindgen(js_name = asyncIterable)]
    fn async_iterable(next: &js_sys::Function) -> JsValue;
}

/// The records of a list, as JS values.
type RecordStream = Pin<Box<dyn futures_util::Stream<Item = Result<JsValue, JsValue>>>>;

/// Walks a list operation with the core's paginator (bounded, one request per page).
pub(crate) struct Records(pub(crate) Client, pub(crate) Option<u64>);

impl ocisdk_core::operation::VisitListOperation for Records {
    type Output = RecordStream;

    fn visit<O>(self, op: O) -> RecordStream
    where
        O: ocisdk_core::paginate::ListOperation,
        O::Item: Serialize,
    {
        use futures_util::StreamExt;
        let mut records = self.0.paginate(op);
        if let Some(n) = self.1 {
            records = records.max_records(n);
        }
        Box::pin(records.map(|item| {
            item.map_err(|e| to_js_error(&e))
                .and_then(|value| to_js(&value))
        }))
    }
}

/// Where an iterator's walk stands between `next()` calls.
enum Walk {
    Ready(RecordStream),
    Busy,
    Done,
}

type ListDispatch = fn(&str, serde_json::Value, Records) -> Result<RecordStream, Error>;

/// An async iterator over every record of list operation `operation`: each `next()` makes at
/// most the one request its record needs (and none while records of the last page remain).
pub(crate) fn records_iter(
    client: &Client,
    operation: &'static str,
    params: JsValue,
    dispatch: ListDispatch,
) -> Result<JsValue, JsValue> {
    use std::cell::RefCell;
    use std::rc::Rc;

    use futures_util::StreamExt;
    let stream = params_of(&params, operation)
        .and_then(|p| dispatch(operation, p, Records(client.clone(), None)))
        .map_err(|e| to_js_error(&e))?;
    let walk = Rc::new(RefCell::new(Walk::Ready(stream)));
    let next = Closure::<dyn FnMut() -> Promise>::new(move || {
        let walk = walk.clone();
        future_to_promise(async move {
            let step = std::mem::replace(&mut *walk.borrow_mut(), Walk::Busy);
            let result = js_sys::Object::new();
            let set =
                |key: &str, value: &JsValue| Reflect::set(&result, &JsValue::from_str(key), value);
            match step {
                Walk::Busy => {
                    return Err(js_sys::Error::new(
                        "next() was called before the previous next() settled",
                    )
                    .into());
                }
                Walk::Done => {
                    *walk.borrow_mut() = Walk::Done;
                    set("done", &JsValue::TRUE)?;
                }
                Walk::Ready(mut stream) => match stream.next().await {
                    None => {
                        *walk.borrow_mut() = Walk::Done;
                        set("done", &JsValue::TRUE)?;
                    }
                    Some(Ok(value)) => {
                        *walk.borrow_mut() = Walk::Ready(stream);
                        set("done", &JsValue::FALSE)?;
                        set("value", &value)?;
                    }
                    Some(Err(e)) => {
                        *walk.borrow_mut() = Walk::Done;
                        return Err(e);
                    }
                },
            }
            Ok(result.into())
        })
    });
    Ok(async_iterable(next.into_js_value().unchecked_ref()))
}

/// Every record of list operation `operation`, at most `max_records` of them: the explicit cap
/// keeps a long list from filling the page's memory.
pub(crate) fn records_all(
    client: &Client,
    operation: &'static str,
    params: JsValue,
    max_records: f64,
    dispatch: ListDispatch,
) -> Promise {
    use futures_util::TryStreamExt;
    let bad = |reason: String| Error::InvalidRequest { operation, reason };
    let started = if max_records.is_finite() && max_records >= 0.0 && max_records.fract() == 0.0 {
        params_of(&params, operation).and_then(|p| {
            dispatch(
                operation,
                p,
                Records(client.clone(), Some(max_records as u64)),
            )
        })
    } else {
        Err(bad(format!(
            "maxRecords must be a whole number of records, not {max_records}"
        )))
    };
    future_to_promise(async move {
        let stream = started.map_err(|e| to_js_error(&e))?;
        let records: Vec<JsValue> = stream.try_collect().await?;
        Ok(records.into_iter().collect::<js_sys::Array>().into())
    })
}

//! [`Transport`] for the `fetch` client (`ocisdk-wasm`), in a browser, a worker or Node.

use std::sync::Arc;

use futures_util::TryStreamExt;
use js_sys::{Reflect, Uint8Array};
use md5::{Digest, Md5};
use ocisdk_core::error::{Error, TransportError, TransportErrorKind};
use ocisdk_core::paginate::ListOperation;
use ocisdk_core::retry::RetryPolicy;
use ocisdk_core::{Context, Operation, Response};
use ocisdk_object_storage::{GetObject, PutObject, PutObjectOutput};
use ocisdk_wasm::Client;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::transport::{
    ClientOptions, Credentials, ObjectDigest, PATTERN_CHUNK, PlainResponse, TestBody, Transport,
    fill_pattern,
};

/// Pattern `seed`'s first `len` bytes as a `Blob`, generated chunk by chunk: the browser holds
/// the bytes, wasm memory never holds more than a chunk, and the `Blob` can be sent again.
fn pattern_blob(len: u64, seed: u64) -> Result<web_sys::Blob, Error> {
    let parts = js_sys::Array::new();
    let mut chunk = vec![0u8; PATTERN_CHUNK];
    let mut pos = 0u64;
    while pos < len {
        let n = usize::try_from(len - pos).map_or(PATTERN_CHUNK, |r| r.min(PATTERN_CHUNK));
        fill_pattern(seed, pos, &mut chunk[..n]);
        parts.push(&Uint8Array::from(&chunk[..n]));
        pos += n as u64;
    }
    web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|e| {
        body_error(
            TransportErrorKind::Io,
            format!("cannot build a Blob: {e:?}"),
        )
    })
}

fn body_error(kind: TransportErrorKind, message: String) -> Error {
    Error::Transport(TransportError::new(kind, message))
}

/// The `fetch` client is a [`Transport`] as it is. It sends only bodies of known length that
/// it can send again: bytes, and generated patterns as a `Blob`; no files, no one-shot streams.
impl Transport for Client {
    const NAME: &'static str = "wasm";

    fn connect(credentials: &Credentials, options: &ClientOptions) -> Result<Self, Error> {
        let mut builder =
            Client::builder_from_config_text(&credentials.config_text, None, &credentials.key_pem)?;
        if let Some(endpoint) = &options.endpoint {
            builder = builder.endpoint(endpoint);
        }
        if let Some(policy) = &options.retry_policy {
            builder = builder.retry_policy(policy.clone());
        }
        if let Some(timeout) = options.read_timeout {
            builder = builder.timeout(Some(timeout));
        }
        builder.build()
    }

    fn with_retry_policy(&self, policy: RetryPolicy) -> Self {
        Client::with_retry_policy(self, policy)
    }

    fn tenancy(&self) -> &str {
        Client::tenancy(self)
    }

    fn context(&self) -> &Arc<Context> {
        Client::context(self)
    }

    fn accepts(body: &TestBody) -> bool {
        matches!(
            body,
            TestBody::Bytes(_) | TestBody::ReplayablePattern { .. }
        )
    }

    async fn execute<O>(&self, op: O) -> Result<Response<O::Output>, Error>
    where
        O: Operation + Send + 'static,
        O::Output: Send + 'static,
    {
        Client::send(self, op).await
    }

    async fn collect_all<O>(&self, op: O, max_records: Option<u64>) -> Result<Vec<O::Item>, Error>
    where
        O: ListOperation + Send + 'static,
        O::Output: Send + 'static,
        O::Item: Send + 'static,
    {
        // The paginators of either service client take any list operation.
        let mut records = Client::paginate(self, op);
        if let Some(n) = max_records {
            records = records.max_records(n);
        }
        records.try_collect().await
    }

    async fn collect_pages<O>(
        &self,
        op: O,
        max_records: Option<u64>,
    ) -> Result<Vec<Response<Vec<O::Item>>>, Error>
    where
        O: ListOperation + Send + 'static,
        O::Output: Send + 'static,
        O::Item: Send + 'static,
    {
        let mut pages = Client::pages(self, op);
        if let Some(n) = max_records {
            pages = pages.max_records(n);
        }
        pages.try_collect().await
    }

    async fn put_object(
        &self,
        request: PutObject,
        body: TestBody,
    ) -> Result<Response<PutObjectOutput>, Error> {
        match body {
            TestBody::Bytes(bytes) => self.send_upload(request, bytes).await,
            TestBody::ReplayablePattern { len, seed } => {
                self.send_upload(request, pattern_blob(len, seed)?).await
            }
            TestBody::File(_) => Err(Error::Misuse("the fetch transport has no files")),
            TestBody::OneShotPattern { .. } | TestBody::OneShotChunks { .. } => Err(Error::Misuse(
                "the fetch transport sends only bodies it can send again",
            )),
        }
    }

    async fn get_object_bytes(&self, request: GetObject, limit: u64) -> Result<Vec<u8>, Error> {
        self.send_download(request)
            .await?
            .body
            .bytes_up_to(limit)
            .await
    }

    /// With the global `fetch`, as a page would use an access URI: no signer, no retries.
    async fn unsigned(
        &self,
        method: &str,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<PlainResponse, String> {
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        if let Some(b) = body {
            init.set_body(&Uint8Array::from(&b[..]).into());
        }
        let global = js_sys::global();
        let fetch: js_sys::Function = Reflect::get(&global, &JsValue::from_str("fetch"))
            .map_err(|e| format!("no fetch: {e:?}"))?
            .dyn_into()
            .map_err(|e| format!("fetch is not a function: {e:?}"))?;
        let promise = fetch
            .call2(&global, &JsValue::from_str(url), &init)
            .map_err(|e| format!("fetch threw: {e:?}"))?;
        let response: web_sys::Response = JsFuture::from(js_sys::Promise::from(promise))
            .await
            .map_err(|e| format!("fetch failed: {e:?}"))?
            .dyn_into()
            .map_err(|e| format!("fetch resolved to something else: {e:?}"))?;
        let status = response.status();
        let buffer = response
            .array_buffer()
            .map_err(|e| format!("no body: {e:?}"))?;
        let buffer = JsFuture::from(buffer)
            .await
            .map_err(|e| format!("reading the body failed: {e:?}"))?;
        Ok(PlainResponse {
            status,
            body: Uint8Array::new(&buffer).to_vec(),
        })
    }

    /// A `setTimeout` (a window's, a worker's, Node's) awaited as a promise.
    async fn sleep(&self, duration: std::time::Duration) {
        let millis = duration.as_millis() as f64;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            let global = js_sys::global();
            if let Ok(set_timeout) = Reflect::get(&global, &JsValue::from_str("setTimeout"))
                .and_then(|f| f.dyn_into::<js_sys::Function>())
            {
                let _ = set_timeout.call2(&global, &resolve, &JsValue::from_f64(millis));
            }
        });
        let _ = JsFuture::from(promise).await;
    }

    async fn get_object_digest(&self, request: GetObject) -> Result<ObjectDigest, Error> {
        let got = self.send_download(request).await?;
        let meta = got.meta.clone();
        let mut md5 = Md5::new();
        let mut len = 0u64;
        // Chunk by chunk off the `ReadableStream`, as they arrive; none for an empty body.
        if let Some(stream) = got.body.into_readable_stream() {
            let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
            loop {
                let read = JsFuture::from(reader.read()).await.map_err(|e| {
                    body_error(
                        TransportErrorKind::Io,
                        format!("reading the object body: {e:?}"),
                    )
                })?;
                let field = |name: &str| Reflect::get(&read, &JsValue::from_str(name));
                if field("done")
                    .map_err(|e| {
                        body_error(
                            TransportErrorKind::Io,
                            format!("a read without done: {e:?}"),
                        )
                    })?
                    .is_truthy()
                {
                    break;
                }
                let value = field("value").map_err(|e| {
                    body_error(
                        TransportErrorKind::Io,
                        format!("a read without value: {e:?}"),
                    )
                })?;
                let chunk = Uint8Array::new(&value).to_vec();
                md5.update(&chunk);
                len += chunk.len() as u64;
            }
        }
        Ok(ObjectDigest {
            meta,
            len,
            md5: md5.finalize().into(),
        })
    }
}

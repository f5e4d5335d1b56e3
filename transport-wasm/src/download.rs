//! Downloaded bodies: a `fetch` response read whole (bytes, a `Blob`) or as the platform's
//! stream.

use js_sys::{Reflect, Uint8Array};
use ocisdk_core::body::DownloadMeter;
use ocisdk_core::error::{Error, TransportError, TransportErrorKind};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::transport::describe;

/// A downloaded body (GetObject): the still unread `fetch` response, held by the core to the
/// length its response declared.
pub struct DownloadBody {
    body: web_sys::Response,
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
    pub(crate) fn new(body: web_sys::Response, meter: DownloadMeter) -> Self {
        DownloadBody { body, meter }
    }

    fn body_error(&self, kind: TransportErrorKind, message: String) -> Error {
        Error::Transport(TransportError {
            kind,
            message,
            endpoint: self.body.url(),
        })
    }

    /// Holds the `n` bytes that arrived whole to the length the response declared.
    fn check_length(&mut self, n: u64) -> Result<(), Error> {
        self.meter.on_chunk(n)?;
        Ok(self.meter.on_end()?)
    }

    /// Reads the whole body into wasm memory, up to
    /// [`DEFAULT_BYTES_LIMIT`](ocisdk_core::body::DEFAULT_BYTES_LIMIT) (64 MiB): a larger body
    /// fails with a `BodyTooLarge` transport error, before it is read when its length was
    /// declared, and as soon as it overflows otherwise (it is read chunk by chunk, never
    /// buffered whole first). Use [`DownloadBody::blob`] or the stream for larger objects, or
    /// [`DownloadBody::bytes_up_to`].
    pub async fn bytes(self) -> Result<Vec<u8>, Error> {
        self.bytes_up_to(ocisdk_core::body::DEFAULT_BYTES_LIMIT)
            .await
    }

    /// Reads the whole body into wasm memory, refusing more than `limit` bytes.
    pub async fn bytes_up_to(mut self, limit: u64) -> Result<Vec<u8>, Error> {
        self.meter.within(limit)?;
        let Some(stream) = self.body.body() else {
            self.meter.on_end()?;
            return Ok(Vec::new());
        };
        let reader = stream
            .get_reader()
            .dyn_into::<web_sys::ReadableStreamDefaultReader>()
            .map_err(|_| {
                self.body_error(
                    TransportErrorKind::Io,
                    "the body has no default reader".into(),
                )
            })?;
        let mut out = Vec::new();
        loop {
            let chunk = JsFuture::from(reader.read()).await.map_err(|e| {
                self.body_error(
                    TransportErrorKind::Truncated,
                    format!("reading the object body failed: {}", describe(&e)),
                )
            })?;
            let done = Reflect::get(&chunk, &JsValue::from_str("done"))
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true);
            if done {
                self.meter.on_end()?;
                return Ok(out);
            }
            let value = Reflect::get(&chunk, &JsValue::from_str("value")).unwrap_or_default();
            let bytes = Uint8Array::new(&value);
            let n = u64::from(bytes.length());
            let checked = self
                .meter
                .on_chunk(n)
                .and_then(|()| self.meter.within(limit));
            if let Err(e) = checked {
                // Stop the download: the rest is not wanted.
                let _ = reader.cancel();
                return Err(e.into());
            }
            let at = out.len();
            out.resize(at + bytes.length() as usize, 0);
            bytes.copy_to(&mut out[at..]);
        }
    }

    /// Reads the whole body into a `Blob`, in the browser's memory or disk cache rather than
    /// wasm memory (for large objects headed to a download link or an `<img>`).
    pub async fn blob(mut self) -> Result<web_sys::Blob, Error> {
        let promise = self.body.blob().map_err(|e| {
            self.body_error(
                TransportErrorKind::Io,
                format!("body unreadable: {}", describe(&e)),
            )
        })?;
        let blob = JsFuture::from(promise)
            .await
            .map_err(|e| {
                self.body_error(
                    TransportErrorKind::Truncated,
                    format!("reading the object body failed: {}", describe(&e)),
                )
            })?
            .dyn_into::<web_sys::Blob>()
            .map_err(|_| {
                self.body_error(
                    TransportErrorKind::Io,
                    "Response.blob() gave no Blob".into(),
                )
            })?;
        self.check_length(blob.size() as u64)?;
        Ok(blob)
    }

    /// The body as the platform's `ReadableStream` of `Uint8Array` chunks, read as it arrives;
    /// `None` for an empty body. Nothing checks its length: a broken connection shows as an
    /// error from the stream's reader.
    pub fn into_readable_stream(self) -> Option<web_sys::ReadableStream> {
        self.body.body()
    }

    /// The underlying `fetch` `Response`, body unread.
    pub fn into_web_response(self) -> web_sys::Response {
        self.body
    }
}

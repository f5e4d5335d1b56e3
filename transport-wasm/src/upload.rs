//! Upload bodies: always of known length, always replayable.

use bytes::Bytes;
use js_sys::Uint8Array;
use wasm_bindgen::JsValue;

/// Where an upload's bytes are.
#[derive(Clone)]
enum Source {
    /// Rust bytes, copied into JS memory for each attempt.
    Bytes(Bytes),
    /// A JS `Uint8Array` (`fetch` copies it when the request is built).
    Array(Uint8Array),
    /// A `Blob` or `File`: the browser reads it itself, from disk for a `File`, without it ever
    /// entering wasm memory; a `Blob` is immutable and can be read again for a retry.
    Blob(web_sys::Blob),
}

/// The bytes of an upload (PutObject).
///
/// Every kind of body this client accepts has a length known up front and can be read again
/// from the start, so a failed attempt is always retried under the retry policy. Streams of
/// unknown length are not accepted: Object Storage refuses chunked uploads.
///
/// Large bodies are best given as a `Blob`/`File`: the browser streams it from its own storage
/// and the bytes never pass through wasm memory.
#[derive(Clone)]
pub struct UploadBody {
    source: Source,
}

impl std::fmt::Debug for UploadBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.source {
            Source::Bytes(_) => "bytes",
            Source::Array(_) => "Uint8Array",
            Source::Blob(_) => "Blob",
        };
        write!(f, "UploadBody({kind}, {} bytes)", self.len())
    }
}

impl UploadBody {
    /// Length in bytes: what the request's `content_length` must say.
    pub fn len(&self) -> u64 {
        match &self.source {
            Source::Bytes(b) => b.len() as u64,
            Source::Array(a) => u64::from(a.length()),
            // A Blob's size is an integer number of bytes, exact below 2^53.
            Source::Blob(b) => b.size() as u64,
        }
    }

    /// Whether the body has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a failed attempt can be retried with this body: always true here (every source
    /// can be read again from the start).
    pub fn is_replayable(&self) -> bool {
        true
    }

    /// The value handed to `fetch` as the body of one attempt.
    pub(crate) fn to_js(&self) -> JsValue {
        match &self.source {
            Source::Bytes(b) => Uint8Array::from(&b[..]).into(),
            Source::Array(a) => a.clone().into(),
            Source::Blob(b) => b.clone().into(),
        }
    }
}

/// Borrowed bytes are copied once (the upload must outlive the call's future).
impl From<&[u8]> for UploadBody {
    fn from(bytes: &[u8]) -> Self {
        UploadBody::from(Bytes::copy_from_slice(bytes))
    }
}

impl<const N: usize> From<&[u8; N]> for UploadBody {
    fn from(bytes: &[u8; N]) -> Self {
        UploadBody::from(&bytes[..])
    }
}

impl From<Vec<u8>> for UploadBody {
    fn from(bytes: Vec<u8>) -> Self {
        UploadBody {
            source: Source::Bytes(Bytes::from(bytes)),
        }
    }
}

impl From<Bytes> for UploadBody {
    fn from(bytes: Bytes) -> Self {
        UploadBody {
            source: Source::Bytes(bytes),
        }
    }
}

impl From<Uint8Array> for UploadBody {
    fn from(array: Uint8Array) -> Self {
        UploadBody {
            source: Source::Array(array),
        }
    }
}

impl From<web_sys::Blob> for UploadBody {
    fn from(blob: web_sys::Blob) -> Self {
        UploadBody {
            source: Source::Blob(blob),
        }
    }
}

impl From<&web_sys::Blob> for UploadBody {
    fn from(blob: &web_sys::Blob) -> Self {
        UploadBody::from(blob.clone())
    }
}

/// A `File` is a `Blob`: read by the browser, never copied into wasm memory. Note that `fetch`
/// sends the file's own type as `content-type` unless the request sets one.
impl From<web_sys::File> for UploadBody {
    fn from(file: web_sys::File) -> Self {
        UploadBody::from(web_sys::Blob::from(file))
    }
}

impl From<&web_sys::File> for UploadBody {
    fn from(file: &web_sys::File) -> Self {
        UploadBody::from(file.clone())
    }
}

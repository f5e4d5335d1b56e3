//! Per-service clients with methods named as in the official SDKs.

use js_sys::Uint8Array;
use ocisdk_core::Response;
use ocisdk_core::body::DownloadMeter;
use ocisdk_core::error::{Error, TransportError, TransportErrorKind};
use ocisdk_core::object_storage::*;
use ocisdk_core::paginate::{ListOperation, Paginator};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::transport::describe;
use crate::{Client, ClientPages, Pages, Records, UploadBody};

macro_rules! methods {
    ($( $(#[$doc:meta])* $name:ident($op:ty) -> $out:ty; )*) => {
        $(
            $(#[$doc])*
            pub async fn $name(&self, request: $op) -> Result<Response<$out>, Error> {
                self.client.execute(request).await
            }
        )*
    };
}

/// Pagination helpers shared by both service clients.
macro_rules! paginators {
    () => {
        /// Every record of a list, across pages, as a stream.
        pub fn paginate<O: ListOperation + 'static>(&self, request: O) -> Records<O> {
            Records::new(ClientPages(self.client.clone()), Paginator::new(request))
        }

        /// The pages of a list, each with its response metadata, as a stream.
        pub fn pages<O: ListOperation + 'static>(&self, request: O) -> Pages<O> {
            Pages::new(ClientPages(self.client.clone()), Paginator::new(request))
        }
    };
}

/// Identity: groups, users, memberships.
#[derive(Debug, Clone)]
pub struct IdentityClient {
    pub(crate) client: Client,
}

impl IdentityClient {
    ocisdk_core::identity_operations!(methods);
    paginators!();
}

/// Object Storage: namespace, buckets, objects.
#[derive(Debug, Clone)]
pub struct ObjectStorageClient {
    pub(crate) client: Client,
}

impl ObjectStorageClient {
    ocisdk_core::object_storage_operations!(methods);
    paginators!();

    /// PutObject: sends `body`, which must hold exactly `request.content_length` bytes (a
    /// mismatch fails with [`ocisdk_core::error::BodyError::LengthMismatch`] before anything is
    /// sent).
    ///
    /// Every body kind ([`UploadBody`]: slices, `Vec`s, `Bytes`, `Uint8Array`, `Blob`, `File`)
    /// can be read again, so transient failures are retried under the retry policy.
    pub async fn put_object<'a>(
        &self,
        request: PutObject,
        body: impl Into<UploadBody<'a>>,
    ) -> Result<Response<PutObjectOutput>, Error> {
        let body = body.into();
        self.client
            .run(request, Some(&body))
            .await
            .map(|(resp, _)| resp)
    }

    /// GetObject: the metadata, and the body still unread (read it with
    /// [`GetObjectResponse::bytes`], or take the `ReadableStream`).
    pub async fn get_object(&self, request: GetObject) -> Result<GetObjectResponse, Error> {
        match self.client.run(request, None).await? {
            (meta, Some((body, meter))) => Ok(GetObjectResponse { meta, body, meter }),
            // The core keeps every successful GetObject body for the caller.
            (_, None) => Err(Error::Misuse("GetObject answered without a body stream")),
        }
    }
}

/// A downloaded object: metadata plus the still unread `fetch` response.
pub struct GetObjectResponse {
    /// Status, headers and typed metadata (`content-length`, `etag`, `content-md5`, …).
    pub meta: Response<ObjectMetadata>,
    body: web_sys::Response,
    meter: DownloadMeter,
}

impl std::fmt::Debug for GetObjectResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetObjectResponse")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

impl GetObjectResponse {
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

    /// Reads the whole body into wasm memory.
    pub async fn bytes(mut self) -> Result<Vec<u8>, Error> {
        let promise = self.body.array_buffer().map_err(|e| {
            self.body_error(
                TransportErrorKind::Io,
                format!("body unreadable: {}", describe(&e)),
            )
        })?;
        let buffer = JsFuture::from(promise).await.map_err(|e| {
            self.body_error(
                TransportErrorKind::Truncated,
                format!("reading the object body failed: {}", describe(&e)),
            )
        })?;
        let bytes = Uint8Array::new(&buffer).to_vec();
        self.check_length(bytes.len() as u64)?;
        Ok(bytes)
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

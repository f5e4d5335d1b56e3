//! Per-service clients with methods named as in the official SDKs.

use std::future::Future;
use std::io;

use bytes::Bytes;
use futures_core::Stream;
use ocisdk_core::Response;
use ocisdk_core::error::Error;
use ocisdk_core::object_storage::*;
use ocisdk_core::paginate::{ListOperation, Paginator};
use tokio_util::io::StreamReader;

use crate::{Client, ClientPages, ObjectBody, Pages, Records, UploadBody};

macro_rules! methods {
    ($( $(#[$doc:meta])* $name:ident($op:ty) -> $out:ty; )*) => {
        $(
            $(#[$doc])*
            ///
            /// The future owns what it needs (`Send + 'static`): it can be spawned.
            pub fn $name(
                &self,
                request: $op,
            ) -> impl Future<Output = Result<Response<$out>, Error>> + Send + 'static {
                self.client.execute(request)
            }
        )*
    };
}

/// Pagination helpers shared by both service clients.
macro_rules! paginators {
    () => {
        /// Every record of a list, across pages, as a [`Stream`].
        pub fn paginate<O>(&self, request: O) -> Records<O>
        where
            O: ListOperation + Send + 'static,
            O::Output: Send + 'static,
        {
            Records::new(ClientPages(self.client.clone()), Paginator::new(request))
        }

        /// The pages of a list, each with its response metadata, as a [`Stream`].
        pub fn pages<O>(&self, request: O) -> Pages<O>
        where
            O: ListOperation + Send + 'static,
            O::Output: Send + 'static,
        {
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

    /// PutObject: streams exactly `request.content_length` bytes from `body` without buffering
    /// them. A body shorter or longer than that fails with
    /// [`BodyError::LengthMismatch`](ocisdk_core::error::BodyError::LengthMismatch), and a too
    /// long one fails before its last declared byte is sent, so nothing is stored.
    ///
    /// `Bytes`, `Vec`s, static slices, files, [`UploadBody::from_seekable`] readers and
    /// [`UploadBody::from_fn`] factories are retried after transient failures;
    /// [`UploadBody::from_stream`] and [`UploadBody::from_reader`] bodies are sent at most once.
    pub fn put_object(
        &self,
        request: PutObject,
        body: impl Into<UploadBody>,
    ) -> impl Future<Output = Result<Response<PutObjectOutput>, Error>> + Send + 'static {
        let client = self.client.clone();
        let body = body.into();
        async move { client.run(request, Some(body)).await.map(|(resp, _)| resp) }
    }

    /// GetObject: the metadata, and the body as a [`Stream`] of chunks read from the connection
    /// as they arrive.
    pub fn get_object(
        &self,
        request: GetObject,
    ) -> impl Future<Output = Result<GetObjectResponse, Error>> + Send + 'static {
        let client = self.client.clone();
        async move {
            match client.run(request, None).await? {
                (meta, Some(body)) => Ok(GetObjectResponse { meta, body }),
                // The core keeps every successful GetObject body for the caller.
                (_, None) => Err(Error::Misuse("GetObject answered without a body stream")),
            }
        }
    }
}

/// A downloaded object: metadata plus a streaming body.
#[derive(Debug)]
pub struct GetObjectResponse {
    /// Status, headers and typed metadata (`content-length`, `etag`, `content-md5`, …).
    pub meta: Response<ObjectMetadata>,
    /// The object's bytes, a [`Stream`] of `Result<Bytes, io::Error>`.
    pub body: ObjectBody,
}

impl GetObjectResponse {
    /// Reads the whole body into memory (for small objects).
    pub async fn bytes(self) -> io::Result<Bytes> {
        self.body.bytes().await
    }

    /// The body as a [`tokio::io::AsyncRead`] (see [`ObjectBody::into_async_read`]).
    pub fn into_async_read(self) -> StreamReader<ObjectBody, Bytes> {
        self.body.into_async_read()
    }
}

impl Stream for GetObjectResponse {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::pin::Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

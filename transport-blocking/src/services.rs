//! Per-service clients with methods named as in the official SDKs.

use std::io::{self, Read};

use ocisdk_core::Response;
use ocisdk_core::error::Error;
use ocisdk_core::object_storage::*;
use ocisdk_core::paginate::{ListOperation, Paginator};

use crate::paginate::ClientPages;
use crate::transport::Download;
use crate::{Client, Pages, Records, UploadBody};

macro_rules! methods {
    ($( $(#[$doc:meta])* $name:ident($op:ty) -> $out:ty; )*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self, request: $op) -> Result<Response<$out>, Error> {
                self.client.execute(request)
            }
        )*
    };
}

/// Pagination helpers shared by both service clients.
macro_rules! paginators {
    () => {
        /// Every record of a list, across pages, as an iterator.
        pub fn paginate<O: ListOperation>(&self, request: O) -> Records<O> {
            Records::new(ClientPages(self.client.clone()), Paginator::new(request))
        }

        /// The pages of a list, each with its response metadata.
        pub fn pages<O: ListOperation>(&self, request: O) -> Pages<O> {
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
    /// them. A body shorter or longer than that fails with [`ocisdk_core::error::BodyError`].
    ///
    /// Slices, `Vec`s, `Bytes`, files and [`UploadBody::from_seekable`] readers are retried
    /// after transient failures; [`UploadBody::from_reader`] bodies are sent at most once.
    pub fn put_object<'a>(
        &self,
        request: PutObject,
        body: impl Into<UploadBody<'a>>,
    ) -> Result<Response<PutObjectOutput>, Error> {
        self.client
            .run(request, Some(body.into()))
            .map(|(resp, _)| resp)
    }

    /// GetObject: the metadata, and the body as a [`Read`] that streams from the connection.
    pub fn get_object(&self, request: GetObject) -> Result<GetObjectResponse, Error> {
        match self.client.run(request, None)? {
            (meta, Some(body)) => Ok(GetObjectResponse { meta, body }),
            // The core keeps every successful GetObject body for the caller.
            (_, None) => Err(Error::Misuse("GetObject answered without a body stream")),
        }
    }
}

/// A downloaded object: metadata plus a streaming body.
pub struct GetObjectResponse {
    /// Status, headers and typed metadata (`content-length`, `etag`, `content-md5`, …).
    pub meta: Response<ObjectMetadata>,
    body: Download,
}

impl std::fmt::Debug for GetObjectResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetObjectResponse")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

impl Read for GetObjectResponse {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.body.read(buf)
    }
}

impl GetObjectResponse {
    /// Reads the whole body into memory (for small objects).
    pub fn bytes(mut self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.read_to_end(&mut out)?;
        Ok(out)
    }
}

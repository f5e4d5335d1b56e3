//! Paginators as streams: the core's walk, fetching each page with this client.

use std::future::Future;
use std::pin::Pin;

use ocisdk_core::Response;
use ocisdk_core::error::Error;
use ocisdk_core::paginate::ListOperation;
use ocisdk_core::paginate::stream::{self, FetchPage};

use crate::Client;

/// One page request in flight. Not `Send`: JS values live on one thread.
type PageFuture<O> =
    Pin<Box<dyn Future<Output = Result<Response<<O as ocisdk_core::Operation>::Output>, Error>>>>;

/// Fetches pages for the paginator streams with a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientPages(pub(crate) Client);

impl<O: ListOperation> FetchPage<O> for ClientPages {
    type Future = PageFuture<O>;

    fn fetch(&self, op: O) -> Self::Future {
        let client = self.0.clone();
        Box::pin(async move { client.send(op).await })
    }
}

/// Stream of every record of a list, fetching pages as needed; yields the error and ends if a
/// page fails.
pub type Records<O> = stream::Records<O, ClientPages>;

/// Stream of pages, each with its metadata (`opc-request-id`, next-page token, headers).
pub type Pages<O> = stream::Pages<O, ClientPages>;

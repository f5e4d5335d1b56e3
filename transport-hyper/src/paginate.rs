//! Paginators as streams: the core's walk, fetching each page with this client.

use futures_util::future::BoxFuture;
use ocisdk_core::Response;
use ocisdk_core::error::Error;
use ocisdk_core::paginate::ListOperation;
use ocisdk_core::paginate::stream::{self, FetchPage};

use crate::Client;

/// Fetches pages for the paginator streams with a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientPages(pub(crate) Client);

impl<O: ListOperation> FetchPage<O> for ClientPages {
    type Future = BoxFuture<'static, Result<Response<O::Output>, Error>>;

    fn fetch(&self, op: O) -> Self::Future {
        Box::pin(self.0.send(op))
    }
}

/// Stream of every record of a list, fetching pages as needed; yields the error and ends if a
/// page fails. Use it with `futures_util::StreamExt::next` or `TryStreamExt::try_collect`.
pub type Records<O> = stream::Records<O, ClientPages>;

/// Stream of pages, each with its metadata (`opc-request-id`, next-page token, headers).
pub type Pages<O> = stream::Pages<O, ClientPages>;

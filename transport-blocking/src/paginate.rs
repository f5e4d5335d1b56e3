//! Paginators as iterators: the core's walk, fetching each page with this client.

use ocisdk_core::Response;
use ocisdk_core::error::Error;
use ocisdk_core::paginate::ListOperation;
use ocisdk_core::paginate::iter::{self, FetchPage};

use crate::Client;

/// Fetches pages for the paginator iterators with a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientPages(pub(crate) Client);

impl<O: ListOperation> FetchPage<O> for ClientPages {
    fn fetch(&mut self, op: O) -> Result<Response<O::Output>, Error> {
        self.0.send(op)
    }
}

/// Iterator over every record of a list, fetching pages as needed; yields the error and stops
/// if a page fails.
pub type Records<O> = iter::Records<O, ClientPages>;

/// Iterator over pages, each with its metadata (`opc-request-id`, next-page token, headers).
pub type Pages<O> = iter::Pages<O, ClientPages>;

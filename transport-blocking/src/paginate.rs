//! Paginators as iterators.

use ocisdk_core::call::Response;
use ocisdk_core::error::Error;
use ocisdk_core::paginate::{ListOperation, Paginator};

use crate::Client;

/// Iterator over every record of a list, fetching pages as needed. Yields the error and stops
/// if a page fails.
pub struct Records<O: ListOperation> {
    client: Client,
    paginator: Paginator<O>,
    buffer: std::vec::IntoIter<O::Item>,
    failed: bool,
}

impl<O: ListOperation> Records<O> {
    pub(crate) fn new(client: Client, paginator: Paginator<O>) -> Self {
        Records {
            client,
            paginator,
            buffer: Vec::new().into_iter(),
            failed: false,
        }
    }

    /// Stops after `n` records; the last page request asks for only what remains.
    pub fn max_records(mut self, n: u64) -> Self {
        self.paginator = self.paginator.max_records(n);
        self
    }
}

impl<O: ListOperation> Iterator for Records<O> {
    type Item = Result<O::Item, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.buffer.next() {
                return Some(Ok(item));
            }
            if self.failed {
                return None;
            }
            // Empty pages with a token are followed, not taken as the end.
            let op = self.paginator.next_operation()?;
            match self.client.execute(op) {
                Ok(resp) => self.buffer = self.paginator.handle_page(resp).into_iter(),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// Iterator over pages, each with its metadata (`opc-request-id`, next-page token, headers).
pub struct Pages<O: ListOperation> {
    client: Client,
    paginator: Paginator<O>,
    failed: bool,
}

impl<O: ListOperation> Pages<O> {
    pub(crate) fn new(client: Client, paginator: Paginator<O>) -> Self {
        Pages {
            client,
            paginator,
            failed: false,
        }
    }

    /// Stops after `n` records in all.
    pub fn max_records(mut self, n: u64) -> Self {
        self.paginator = self.paginator.max_records(n);
        self
    }
}

impl<O: ListOperation> Iterator for Pages<O> {
    type Item = Result<Response<Vec<O::Item>>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let op = self.paginator.next_operation()?;
        match self.client.execute(op) {
            Ok(resp) => Some(Ok(self.paginator.handle_page_response(resp))),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

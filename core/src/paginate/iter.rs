//! The paginator as an [`Iterator`], for blocking transports.
//!
//! The transport supplies only how one page is fetched ([`FetchPage`]: its own `execute`, or any
//! closure); the walk itself — buffering records, following empty pages, stopping after an error or at the
//! record limit — is the same as the async streams', from the same [`Paginator`].

use std::fmt;

use super::{ListOperation, PageLimits, Paginator};
use crate::error::Error;
use crate::operation::Response;

/// How a blocking transport fetches one page: runs the operation to its response. Any
/// `FnMut(O) -> Result<Response<O::Output>, Error>` is one.
pub trait FetchPage<O: ListOperation> {
    /// Fetches the page `op` asks for.
    fn fetch(&mut self, op: O) -> Result<Response<O::Output>, Error>;
}

impl<O, F> FetchPage<O> for F
where
    O: ListOperation,
    F: FnMut(O) -> Result<Response<O::Output>, Error>,
{
    fn fetch(&mut self, op: O) -> Result<Response<O::Output>, Error> {
        self(op)
    }
}

/// Iterator over every record of a list, fetching pages with `F` as needed. Yields the error
/// and stops if a page fails.
pub struct Records<O: ListOperation, F> {
    fetch: F,
    paginator: Paginator<O>,
    buffer: std::vec::IntoIter<O::Item>,
    failed: bool,
}

/// Iterator over pages, each with its metadata (`opc-request-id`, next-page token, headers).
pub struct Pages<O: ListOperation, F> {
    fetch: F,
    paginator: Paginator<O>,
    failed: bool,
}

impl<O, F> Records<O, F>
where
    O: ListOperation,
    F: FetchPage<O>,
{
    /// Walks `paginator`, fetching each page with `fetch`.
    pub fn new(fetch: F, paginator: Paginator<O>) -> Self {
        Records {
            fetch,
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

    /// Bounds the walk with `limits` instead of [`PageLimits::default`].
    pub fn limits(mut self, limits: PageLimits) -> Self {
        self.paginator = self.paginator.limits(limits);
        self
    }
}

impl<O, F> Pages<O, F>
where
    O: ListOperation,
    F: FetchPage<O>,
{
    /// Walks `paginator`, fetching each page with `fetch`.
    pub fn new(fetch: F, paginator: Paginator<O>) -> Self {
        Pages {
            fetch,
            paginator,
            failed: false,
        }
    }

    /// Stops after `n` records in all.
    pub fn max_records(mut self, n: u64) -> Self {
        self.paginator = self.paginator.max_records(n);
        self
    }

    /// Bounds the walk with `limits` instead of [`PageLimits::default`].
    pub fn limits(mut self, limits: PageLimits) -> Self {
        self.paginator = self.paginator.limits(limits);
        self
    }
}

impl<O: ListOperation, F> fmt::Debug for Records<O, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records")
            .field("operation", &O::NAME)
            .field("pages", &self.paginator.pages())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<O: ListOperation, F> fmt::Debug for Pages<O, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &O::NAME)
            .field("pages", &self.paginator.pages())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<O, F> Iterator for Records<O, F>
where
    O: ListOperation,
    F: FetchPage<O>,
{
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
            match self.fetch.fetch(op) {
                Ok(resp) => match self.paginator.handle_page(resp) {
                    Ok(items) => self.buffer = items.into_iter(),
                    Err(e) => {
                        self.failed = true;
                        return Some(Err(e));
                    }
                },
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<O, F> Iterator for Pages<O, F>
where
    O: ListOperation,
    F: FetchPage<O>,
{
    type Item = Result<Response<Vec<O::Item>>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let op = self.paginator.next_operation()?;
        match self.fetch.fetch(op) {
            Ok(resp) => {
                let page = self.paginator.handle_page_response(resp);
                self.failed = page.is_err();
                Some(page)
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

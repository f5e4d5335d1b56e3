//! The paginator as a [`Stream`](https://docs.rs/futures-core/0.3/futures_core/stream/trait.Stream.html), for async transports (feature `stream`).
//!
//! The transport supplies only how one page is fetched ([`FetchPage`]: its own `execute`); the
//! walk itself — buffering records, following empty pages, stopping after an error or at the
//! record limit — is the same for every async transport, so it lives here once.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::{ListOperation, PageLimits, Paginator};
use crate::error::Error;
use crate::operation::Response;

/// How an async transport fetches one page: runs the operation and resolves to its response.
pub trait FetchPage<O: ListOperation> {
    /// The future of one page (boxed by most transports, hence `Unpin`).
    type Future: Future<Output = Result<Response<O::Output>, Error>> + Unpin;
    /// Starts fetching the page `op` asks for.
    fn fetch(&self, op: O) -> Self::Future;
}

/// Stream of every record of a list, fetching pages as needed. Yields the error and ends if a
/// page fails.
pub struct Records<O: ListOperation, F: FetchPage<O>> {
    fetch: F,
    paginator: Paginator<O>,
    buffer: std::vec::IntoIter<O::Item>,
    pending: Option<F::Future>,
    failed: bool,
}

/// Stream of pages, each with its metadata (`opc-request-id`, next-page token, headers).
pub struct Pages<O: ListOperation, F: FetchPage<O>> {
    fetch: F,
    paginator: Paginator<O>,
    pending: Option<F::Future>,
    failed: bool,
}

impl<O: ListOperation, F: FetchPage<O>> Records<O, F> {
    /// Walks `paginator`, fetching each page with `fetch`.
    pub fn new(fetch: F, paginator: Paginator<O>) -> Self {
        Records {
            fetch,
            paginator,
            buffer: Vec::new().into_iter(),
            pending: None,
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

impl<O: ListOperation, F: FetchPage<O>> Pages<O, F> {
    /// Walks `paginator`, fetching each page with `fetch`.
    pub fn new(fetch: F, paginator: Paginator<O>) -> Self {
        Pages {
            fetch,
            paginator,
            pending: None,
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

impl<O: ListOperation, F: FetchPage<O>> fmt::Debug for Records<O, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records")
            .field("operation", &O::NAME)
            .field("pages", &self.paginator.pages())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<O: ListOperation, F: FetchPage<O>> fmt::Debug for Pages<O, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &O::NAME)
            .field("pages", &self.paginator.pages())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// Polls the page in flight, starting the next one first if none is; `None` when the list is
/// over.
fn poll_page<O: ListOperation, F: FetchPage<O>>(
    fetch: &F,
    paginator: &Paginator<O>,
    pending: &mut Option<F::Future>,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Response<O::Output>, Error>>> {
    if pending.is_none() {
        // Empty pages with a token are followed, not taken as the end.
        let Some(op) = paginator.next_operation() else {
            return Poll::Ready(None);
        };
        *pending = Some(fetch.fetch(op));
    }
    let Some(page) = pending.as_mut() else {
        return Poll::Ready(None);
    };
    match Pin::new(page).poll(cx) {
        Poll::Pending => Poll::Pending,
        Poll::Ready(result) => {
            *pending = None;
            Poll::Ready(Some(result))
        }
    }
}

// No field is pinned: the page future is `Unpin`.
impl<O: ListOperation, F: FetchPage<O>> Unpin for Records<O, F> {}
impl<O: ListOperation, F: FetchPage<O>> Unpin for Pages<O, F> {}

impl<O: ListOperation, F: FetchPage<O>> Stream for Records<O, F> {
    type Item = Result<O::Item, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            if this.failed {
                return Poll::Ready(None);
            }
            match poll_page(&this.fetch, &this.paginator, &mut this.pending, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Ok(resp))) => match this.paginator.handle_page(resp) {
                    Ok(items) => this.buffer = items.into_iter(),
                    Err(e) => {
                        this.failed = true;
                        return Poll::Ready(Some(Err(e)));
                    }
                },
                Poll::Ready(Some(Err(e))) => {
                    this.failed = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}

impl<O: ListOperation, F: FetchPage<O>> Stream for Pages<O, F> {
    type Item = Result<Response<Vec<O::Item>>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        match poll_page(&this.fetch, &this.paginator, &mut this.pending, cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Ok(resp))) => {
                let page = this.paginator.handle_page_response(resp);
                this.failed = page.is_err();
                Poll::Ready(Some(page))
            }
            Poll::Ready(Some(Err(e))) => {
                this.failed = true;
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

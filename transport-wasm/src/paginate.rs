//! Paginators as streams.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use ocisdk_core::call::Response;
use ocisdk_core::error::Error;
use ocisdk_core::paginate::{ListOperation, Paginator};

use crate::Client;

/// One page request in flight. Not `Send`: JS values live on one thread.
type PageFuture<O> =
    Pin<Box<dyn Future<Output = Result<Response<<O as ocisdk_core::Operation>::Output>, Error>>>>;

fn fetch_page<O: ListOperation + 'static>(client: &Client, op: O) -> PageFuture<O> {
    let client = client.clone();
    Box::pin(async move { client.execute(op).await })
}

/// Stream of every record of a list, fetching pages as needed. Yields the error and ends if a
/// page fails.
///
/// Use it with `futures_util::StreamExt::next` or `TryStreamExt::try_collect`.
pub struct Records<O: ListOperation> {
    client: Client,
    paginator: Paginator<O>,
    buffer: std::vec::IntoIter<O::Item>,
    pending: Option<PageFuture<O>>,
    failed: bool,
}

// No field is ever pinned: the page future is boxed.
impl<O: ListOperation> Unpin for Records<O> {}

impl<O: ListOperation> std::fmt::Debug for Records<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("operation", &O::NAME)
            .field("pages", &self.paginator.pages())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<O: ListOperation> Records<O> {
    pub(crate) fn new(client: Client, paginator: Paginator<O>) -> Self {
        Records {
            client,
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
}

impl<O: ListOperation + 'static> Stream for Records<O> {
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
            if this.pending.is_none() {
                // Empty pages with a token are followed, not taken as the end.
                let Some(op) = this.paginator.next_operation() else {
                    return Poll::Ready(None);
                };
                this.pending = Some(fetch_page(&this.client, op));
            }
            let Some(page) = this.pending.as_mut() else {
                return Poll::Ready(None);
            };
            let result = match page.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => result,
            };
            this.pending = None;
            match result {
                Ok(resp) => this.buffer = this.paginator.handle_page(resp).into_iter(),
                Err(e) => {
                    this.failed = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}

/// Stream of pages, each with its metadata (`opc-request-id`, next-page token, headers).
pub struct Pages<O: ListOperation> {
    client: Client,
    paginator: Paginator<O>,
    pending: Option<PageFuture<O>>,
    failed: bool,
}

// No field is ever pinned: the page future is boxed.
impl<O: ListOperation> Unpin for Pages<O> {}

impl<O: ListOperation> std::fmt::Debug for Pages<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &O::NAME)
            .field("pages", &self.paginator.pages())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<O: ListOperation> Pages<O> {
    pub(crate) fn new(client: Client, paginator: Paginator<O>) -> Self {
        Pages {
            client,
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
}

impl<O: ListOperation + 'static> Stream for Pages<O> {
    type Item = Result<Response<Vec<O::Item>>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        if this.pending.is_none() {
            let Some(op) = this.paginator.next_operation() else {
                return Poll::Ready(None);
            };
            this.pending = Some(fetch_page(&this.client, op));
        }
        let Some(page) = this.pending.as_mut() else {
            return Poll::Ready(None);
        };
        let result = match page.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        this.pending = None;
        match result {
            Ok(resp) => Poll::Ready(Some(Ok(this.paginator.handle_page_response(resp)))),
            Err(e) => {
                this.failed = true;
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

/// Collects every record of `records` (for the JS API, which returns whole lists).
pub(crate) async fn collect<O: ListOperation + 'static>(
    mut records: Records<O>,
) -> Result<Vec<O::Item>, Error> {
    let mut out = Vec::new();
    while let Some(item) = std::future::poll_fn(|cx| Pin::new(&mut records).poll_next(cx)).await {
        out.push(item?);
    }
    Ok(out)
}

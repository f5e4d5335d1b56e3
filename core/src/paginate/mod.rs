//! Pagination as a state machine over any list operation.
//!
//! OCI has two token styles: most lists answer `opc-next-page` and take it back as `page`;
//! ListObjects answers `nextStartWith` in its body and takes it back as `start`. Only the
//! absence of a token ends a list: a page may be short, or even empty, while a token is present.
//!
//! ```text
//! let mut pages = Paginator::new(op).max_records(50);
//! while let Some(op) = pages.next_operation() {
//!     let resp = run(op)?;                 // any transport
//!     let items = pages.handle_page(resp); // records, already cut to max_records
//! }
//! ```

use crate::operation::{Operation, Response};

pub mod iter;
#[cfg(feature = "stream")]
pub mod stream;

/// A list operation that can be paged.
pub trait ListOperation: Operation + Clone {
    /// One record of the list.
    type Item: Send + 'static;
    /// Sets the token of the page to fetch (`page` or `start`); `None` for the first page.
    fn set_page(&mut self, token: Option<String>);
    /// The page size asked for.
    fn limit(&self) -> Option<u32>;
    /// Sets the page size.
    fn set_limit(&mut self, limit: Option<u32>);
    /// The token of the page after `response`, if any ([`Response::next_page`], which each
    /// operation fills from its own token style).
    fn next_token(response: &Response<Self::Output>) -> Option<String> {
        response.next_page.clone()
    }
    /// The records of one page.
    fn into_items(data: Self::Output) -> Vec<Self::Item>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PageState {
    Start,
    HasMore(String),
    Done,
}

/// Walks a list page by page; see the module doc.
#[derive(Debug, Clone)]
pub struct Paginator<O> {
    template: O,
    state: PageState,
    remaining: Option<u64>,
    pages: u64,
}

impl<O: ListOperation> Paginator<O> {
    /// Starts at the first page of `op` (any page token already in `op` is replaced).
    pub fn new(op: O) -> Self {
        Paginator {
            template: op,
            state: PageState::Start,
            remaining: None,
            pages: 0,
        }
    }

    /// Stops after `n` records; the last request's `limit` shrinks to what remains.
    pub fn max_records(mut self, n: u64) -> Self {
        self.remaining = Some(n);
        if n == 0 {
            self.state = PageState::Done;
        }
        self
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Whether the list is exhausted (or the record limit reached).
    pub fn is_done(&self) -> bool {
        self.state == PageState::Done
    }

    /// The operation that fetches the next page, or `None` when the list is over.
    pub fn next_operation(&self) -> Option<O> {
        let token = match &self.state {
            PageState::Start => None,
            PageState::HasMore(t) => Some(t.clone()),
            PageState::Done => return None,
        };
        let mut op = self.template.clone();
        op.set_page(token);
        if let Some(remaining) = self.remaining {
            let remaining = u32::try_from(remaining).unwrap_or(u32::MAX);
            let limit = match op.limit() {
                Some(l) => l.min(remaining),
                None => remaining.min(1000),
            };
            op.set_limit(Some(limit.max(1)));
        }
        Some(op)
    }

    /// Takes the response to the last [`Paginator::next_operation`] and returns its records,
    /// cut to the record limit. Moves to the next token, or to done when there is none.
    pub fn handle_page(&mut self, response: Response<O::Output>) -> Vec<O::Item> {
        self.pages += 1;
        let token = O::next_token(&response);
        let mut items = O::into_items(response.data);
        if let Some(remaining) = &mut self.remaining {
            let keep = usize::try_from(*remaining)
                .unwrap_or(usize::MAX)
                .min(items.len());
            items.truncate(keep);
            *remaining -= keep as u64;
        }
        self.state = match token {
            // A token that repeats forever would loop forever; an identical token to the one
            // just used is treated as the end.
            Some(t) if self.remaining != Some(0) && self.state != PageState::HasMore(t.clone()) => {
                PageState::HasMore(t)
            }
            _ => PageState::Done,
        };
        items
    }

    /// Like [`Paginator::handle_page`] but keeps the whole response (for page iterators that
    /// expose metadata); returns the response with its records cut to the record limit.
    pub fn handle_page_response(
        &mut self,
        response: Response<O::Output>,
    ) -> Response<Vec<O::Item>> {
        let meta = Response {
            data: (),
            status: response.status,
            headers: response.headers.clone(),
            opc_request_id: response.opc_request_id.clone(),
            etag: response.etag.clone(),
            next_page: O::next_token(&response),
            after_lost_response: response.after_lost_response.clone(),
        };
        let items = self.handle_page(response);
        meta.map(|()| items)
    }
}

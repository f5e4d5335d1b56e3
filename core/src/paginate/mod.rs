//! Pagination as a state machine over any list operation.
//!
//! OCI has two token styles: most lists answer `opc-next-page` and take it back as `page`;
//! ListObjects answers `nextStartWith` in its body and takes it back as `start`. Only the
//! absence of a token ends a list: a page may be short, or even empty, while a token is present.
//!
//! ```text
//! let mut pages = Paginator::new(op).max_records(50);
//! while let Some(op) = pages.next_operation() {
//!     let resp = run(op)?;                  // any transport
//!     let items = pages.handle_page(resp)?; // records, already cut to max_records
//! }
//! ```
//!
//! A walk is bounded ([`PageLimits`]): a page token seen before in the walk, more pages than
//! `max_pages` or more empty pages in a row than `max_empty_pages` end it with a
//! [`PaginationError`], never a hang and never a silently short list. The iterators and
//! streams built on this make one request per page; a records iterator follows empty pages
//! within one `next()`, at most `max_empty_pages` of them.

use std::collections::HashSet;

use crate::error::Error;
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

/// Bounds on one walk: no listing a real service serves comes near them, and a server that
/// pages forever (fresh tokens, repeated tokens, empty pages) ends the walk with a
/// [`PaginationError`] instead of a hang or a silently short list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimits {
    /// Pages in all (default 1,000,000: a billion objects at 1,000 a page).
    pub max_pages: u64,
    /// Pages in a row with no record but a token (default 1,000).
    pub max_empty_pages: u32,
}

impl Default for PageLimits {
    fn default() -> Self {
        PageLimits {
            max_pages: 1_000_000,
            max_empty_pages: 1_000,
        }
    }
}

/// Why a walk stopped before the service said the list was over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaginationError {
    /// The service sent a page token it had sent before in this walk: following it would loop.
    #[error(
        "{operation}: page {page} repeats the page token of an earlier page; the listing would loop, so it stops here (the records so far are not the whole list)"
    )]
    Cycle {
        /// The list operation.
        operation: &'static str,
        /// The page whose token repeated (1-based).
        page: u64,
    },
    /// More pages than [`PageLimits::max_pages`].
    #[error(
        "{operation}: more than {max} pages; the listing stops here (raise PageLimits::max_pages if this list is really that long)"
    )]
    TooManyPages {
        /// The list operation.
        operation: &'static str,
        /// The limit.
        max: u64,
    },
    /// More empty pages in a row than [`PageLimits::max_empty_pages`].
    #[error(
        "{operation}: {max} pages in a row without a record but with a token; the listing stops here"
    )]
    TooManyEmptyPages {
        /// The list operation.
        operation: &'static str,
        /// The limit.
        max: u32,
    },
}

/// Walks a list page by page; see the module doc.
#[derive(Debug, Clone)]
pub struct Paginator<O> {
    template: O,
    state: PageState,
    remaining: Option<u64>,
    pages: u64,
    limits: PageLimits,
    /// Hashes of every token seen in this walk (8 bytes each, whatever the tokens' size).
    seen: HashSet<u64>,
    empty_in_a_row: u32,
}

fn token_hash(token: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    token.hash(&mut h);
    h.finish()
}

impl<O: ListOperation> Paginator<O> {
    /// Starts at the first page of `op` (any page token already in `op` is replaced).
    pub fn new(op: O) -> Self {
        Paginator {
            template: op,
            state: PageState::Start,
            remaining: None,
            pages: 0,
            limits: PageLimits::default(),
            seen: HashSet::new(),
            empty_in_a_row: 0,
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

    /// Uses `limits` instead of [`PageLimits::default`].
    pub fn limits(mut self, limits: PageLimits) -> Self {
        self.limits = limits;
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
    /// cut to the record limit. Moves to the next token, or to done when there is none. A token
    /// seen before in this walk, or a walk past its [`PageLimits`], is a [`PaginationError`]
    /// (the records of this page are dropped with it) and the walk is over.
    pub fn handle_page(&mut self, response: Response<O::Output>) -> Result<Vec<O::Item>, Error> {
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
        self.state = PageState::Done;
        let Some(token) = token.filter(|_| self.remaining != Some(0)) else {
            return Ok(items);
        };
        let operation = O::NAME;
        if !self.seen.insert(token_hash(&token)) {
            return Err(Error::Pagination(PaginationError::Cycle {
                operation,
                page: self.pages,
            }));
        }
        if self.pages >= self.limits.max_pages {
            return Err(Error::Pagination(PaginationError::TooManyPages {
                operation,
                max: self.limits.max_pages,
            }));
        }
        self.empty_in_a_row = if items.is_empty() {
            self.empty_in_a_row.saturating_add(1)
        } else {
            0
        };
        if self.empty_in_a_row > self.limits.max_empty_pages {
            return Err(Error::Pagination(PaginationError::TooManyEmptyPages {
                operation,
                max: self.limits.max_empty_pages,
            }));
        }
        self.state = PageState::HasMore(token);
        Ok(items)
    }

    /// Like [`Paginator::handle_page`] but keeps the whole response (for page iterators that
    /// expose metadata); returns the response with its records cut to the record limit.
    pub fn handle_page_response(
        &mut self,
        response: Response<O::Output>,
    ) -> Result<Response<Vec<O::Item>>, Error> {
        let meta = Response {
            data: (),
            status: response.status,
            headers: response.headers.clone(),
            opc_request_id: response.opc_request_id.clone(),
            etag: response.etag.clone(),
            next_page: O::next_token(&response),
            after_lost_response: response.after_lost_response.clone(),
        };
        let items = self.handle_page(response)?;
        Ok(meta.map(|()| items))
    }
}

//! What every transport's client offers, so that service clients can be written (generated)
//! once for all of them: run an operation, upload or download a body, walk a list — each the
//! way its transport runs things (the value itself when blocking, a future when async).

use std::io;
use std::sync::Arc;

use crate::context::Context;
use crate::error::Error;
use crate::operation::{Operation, Response};
use crate::paginate::ListOperation;

/// A transport's client, as service clients see it.
///
/// Implemented by `ocisdk_blocking::Client` (`Out<T> = T`), `ocisdk_hyper::Client` (a `Send`
/// future) and `ocisdk_wasm::Client` (a local future). A generated service client such as
/// `ocisdk_identity::IdentityClient<C: Transport>` calls these and nothing else, so adding a
/// service never touches a transport.
pub trait Transport: Clone {
    /// What running something gives: `T` itself (blocking) or a future of `T` (async).
    type Out<T: 'static>;
    /// The records of a list across pages: an `Iterator` or a `Stream` of `Result<Item, Error>`.
    type Records<O: ListOperation>;
    /// The pages of a list, each with its metadata: an `Iterator` or a `Stream`.
    type Pages<O: ListOperation>;
    /// The bodies this transport streams up (a `Read`, a `Stream`, a `Blob`, …).
    type Upload<'a>;
    /// A downloaded body, read as it arrives (a `Read`, a `Stream`, a fetch `Response`).
    type Download;

    /// The core context: signer, tenancy, endpoints, retry policy.
    fn context(&self) -> &Arc<Context>;

    /// Runs an operation whose request and response bodies fit in memory.
    fn send<O: Operation>(&self, op: O) -> Self::Out<Result<Response<O::Output>, Error>>;

    /// Runs an operation with a streamed request body (PutObject, UploadPart): `body` holds
    /// exactly the length the request declares.
    fn send_upload<'a, O: Operation>(
        &self,
        op: O,
        body: Self::Upload<'a>,
    ) -> Self::Out<Result<Response<O::Output>, Error>>;

    /// Runs an operation whose successful response body streams to the caller (GetObject).
    fn send_download<O: Operation>(&self, op: O) -> Self::Out<DownloadResult<O, Self>>;

    /// Every record of a list, across pages.
    fn paginate<O: ListOperation>(&self, op: O) -> Self::Records<O>;

    /// The pages of a list, each with its response metadata.
    fn pages<O: ListOperation>(&self, op: O) -> Self::Pages<O>;
}

/// What a download gives: the decoded head and the transport's body, or the error.
pub type DownloadResult<O, T> =
    Result<Streamed<<O as Operation>::Output, <T as Transport>::Download>, Error>;

/// A response whose body streams to the caller: the decoded head, and the body as the
/// transport delivers it (held by the core to its declared length).
#[derive(Debug)]
pub struct Streamed<T, B> {
    /// Status, headers and the typed data decoded from them.
    pub meta: Response<T>,
    /// The body, still to be read.
    pub body: B,
}

impl<T, B> Streamed<T, B> {
    /// The body, dropping the head.
    pub fn into_body(self) -> B {
        self.body
    }
}

/// A blocking download reads as its body does.
impl<T, B: io::Read> io::Read for Streamed<T, B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.body.read(buf)
    }
}

impl<T, B: io::Read> Streamed<T, B> {
    /// Reads the whole body into memory (for small objects).
    pub fn bytes(mut self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        io::Read::read_to_end(&mut self.body, &mut out)?;
        Ok(out)
    }
}

/// An async download is a stream of its body's chunks.
#[cfg(feature = "stream")]
impl<T: Unpin, B: futures_core::Stream + Unpin> futures_core::Stream for Streamed<T, B> {
    type Item = B::Item;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::pin::Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

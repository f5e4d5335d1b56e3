//! Connection-level control for fault injection: closing a connection without a response,
//! cutting a response body after exactly half of it, and resetting a connection.
//!
//! axum's `serve` owns every connection's hyper task, so a handler cannot reach the socket.
//! Instead each accepted socket is wrapped in a [`FaultIo`] that shares a [`ConnCtl`] with the
//! requests of that connection (delivered as axum `ConnectInfo<ConnHandle>`). A handler *arms* a
//! [`Plan`] just before returning; hyper then writes the response through the `FaultIo`, which
//! lets exactly the planned bytes through and then fails the next read, write or flush. hyper
//! treats that I/O error as fatal, ends the connection task and drops the socket. Doing the cut
//! in the I/O layer (rather than with a response body stream that errors half-way) makes the
//! byte count exact: hyper buffers body chunks and, when a body stream errors, drops whatever
//! it had buffered but not yet written.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::server::App;

/// What to do to a connection once the current request's handler returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Send nothing more; close normally (FIN).
    Close,
    /// Send nothing more; abort with a TCP reset.
    Reset,
    /// Let the response head and `body_bytes` bytes of the body through, then abort with a
    /// reset (`reset`) or close normally.
    Cut { body_bytes: u64, reset: bool },
}

/// Shared between a connection's [`FaultIo`] and its requests.
#[derive(Debug, Default)]
pub(crate) struct ConnCtl {
    /// Fast path: most I/O calls only load this flag.
    armed: AtomicBool,
    plan: Mutex<Option<Plan>>,
}

/// A request's handle on its connection (axum `ConnectInfo`).
#[derive(Debug, Clone)]
pub(crate) struct ConnHandle {
    ctl: Arc<ConnCtl>,
    peer: SocketAddr,
}

impl ConnHandle {
    /// A handle not attached to any socket: arming it has no effect. Used only if a request
    /// somehow arrives without connection info.
    pub(crate) fn detached() -> Self {
        ConnHandle {
            ctl: Arc::new(ConnCtl::default()),
            peer: SocketAddr::from(([0, 0, 0, 0], 0)),
        }
    }

    /// The client's address, so that fault logs say which connection was hit.
    pub(crate) fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Makes the connection carry out `plan` on its next I/O.
    pub(crate) fn arm(&self, plan: Plan) {
        *self.ctl.plan.lock().unwrap_or_else(|e| e.into_inner()) = Some(plan);
        self.ctl.armed.store(true, Ordering::Release);
    }
}

impl Connected<IncomingStream<'_, FaultListener>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, FaultListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// The emulator's listener: counts connections and wraps each socket in a [`FaultIo`].
pub(crate) struct FaultListener {
    inner: TcpListener,
    app: Arc<App>,
}

impl FaultListener {
    pub(crate) fn new(inner: TcpListener, app: Arc<App>) -> Self {
        FaultListener { inner, app }
    }
}

impl Listener for FaultListener {
    type Io = FaultIo;
    type Addr = ConnHandle;

    async fn accept(&mut self) -> (FaultIo, ConnHandle) {
        loop {
            match self.inner.accept().await {
                Ok((tcp, peer)) => {
                    self.app
                        .counters
                        .connections
                        .fetch_add(1, Ordering::Relaxed);
                    // Small responses must not wait for Nagle's algorithm.
                    let _ = tcp.set_nodelay(true);
                    let ctl = Arc::new(ConnCtl::default());
                    let io = FaultIo {
                        inner: tcp,
                        ctl: Arc::clone(&ctl),
                        mode: Mode::Normal,
                    };
                    return (io, ConnHandle { ctl, peer });
                }
                Err(e) => {
                    // Errors about one connection are that connection's problem; others (out
                    // of file descriptors) clear up only with time, as in axum's own loop.
                    if !matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) {
                        tracing::error!("emulator accept error: {e}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<ConnHandle> {
        Ok(ConnHandle {
            ctl: Arc::new(ConnCtl::default()),
            peer: self.inner.local_addr()?,
        })
    }
}

#[derive(Debug)]
enum Mode {
    Normal,
    /// Every further read, write and flush fails with this error kind.
    Dead(io::ErrorKind),
    Cut(Cut),
}

/// Progress through a response that is to be cut.
#[derive(Debug)]
struct Cut {
    body_bytes: u64,
    reset: bool,
    /// How much of `\r\n\r\n` (end of the response head) the last bytes written matched.
    matched: u8,
    head_done: bool,
    body_sent: u64,
}

impl Cut {
    fn at_cut_point(&self) -> bool {
        self.head_done && self.body_sent >= self.body_bytes
    }

    /// Feeds one byte of the head to the `\r\n\r\n` matcher.
    fn step(matched: u8, b: u8) -> u8 {
        let want = if matched.is_multiple_of(2) {
            b'\r'
        } else {
            b'\n'
        };
        if b == want {
            matched + 1
        } else if b == b'\r' {
            1
        } else {
            0
        }
    }

    /// How many leading bytes of `buf` may be written before the cut point.
    fn allowed(&self, buf: &[u8]) -> usize {
        let mut matched = self.matched;
        let mut i = 0;
        if !self.head_done {
            while i < buf.len() && matched < 4 {
                matched = Self::step(matched, buf[i]);
                i += 1;
            }
            if matched < 4 {
                return buf.len();
            }
        }
        let body_left = self.body_bytes.saturating_sub(self.body_sent);
        let rest = buf.len() - i;
        i + usize::try_from(body_left).map_or(rest, |left| left.min(rest))
    }

    /// Records that `written` went out.
    fn advance(&mut self, written: &[u8]) {
        for &b in written {
            if self.head_done {
                self.body_sent += 1;
            } else {
                self.matched = Self::step(self.matched, b);
                self.head_done = self.matched == 4;
            }
        }
    }
}

/// A TCP stream that can be told (through its [`ConnCtl`]) to fail at a planned point.
pub(crate) struct FaultIo {
    inner: TcpStream,
    ctl: Arc<ConnCtl>,
    mode: Mode,
}

impl FaultIo {
    /// Takes over a newly armed plan.
    fn pick_up(&mut self) {
        if !self.ctl.armed.swap(false, Ordering::AcqRel) {
            return;
        }
        let plan = self
            .ctl
            .plan
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        self.mode = match plan {
            None => return,
            Some(Plan::Close) => Mode::Dead(io::ErrorKind::ConnectionAborted),
            Some(Plan::Reset) => self.reset(),
            Some(Plan::Cut { body_bytes, reset }) => Mode::Cut(Cut {
                body_bytes,
                reset,
                matched: 0,
                head_done: false,
                body_sent: 0,
            }),
        };
    }

    /// Makes the coming close send a RST: with `SO_LINGER` 0, `close()` aborts the connection.
    fn reset(&self) -> Mode {
        // `set_linger` is deprecated because a non-zero linger blocks the thread in `drop`; zero
        // never blocks. (`set_zero_linger` needs tokio 1.50, newer than the workspace requires.)
        #[allow(deprecated)]
        let r = self.inner.set_linger(Some(Duration::ZERO));
        if let Err(e) = r {
            tracing::debug!("cannot set SO_LINGER 0, the connection will close with FIN: {e}");
        }
        Mode::Dead(io::ErrorKind::ConnectionReset)
    }

    /// The cut point is reached: reset, or send FIN, then fail everything after.
    fn fire_cut(&mut self, cx: &mut Context<'_>, reset: bool) -> Poll<io::Error> {
        if reset {
            self.mode = self.reset();
            return Poll::Ready(io::ErrorKind::ConnectionReset.into());
        }
        // shutdown(SHUT_WR) sends FIN now, so the client sees a clean end-of-stream even if
        // hyper were slow to drop the socket.
        if let Err(e) = ready!(Pin::new(&mut self.inner).poll_shutdown(cx)) {
            tracing::debug!("shutdown after a truncated body failed: {e}");
        }
        self.mode = Mode::Dead(io::ErrorKind::BrokenPipe);
        Poll::Ready(io::ErrorKind::BrokenPipe.into())
    }
}

fn injected(kind: io::ErrorKind) -> io::Error {
    io::Error::new(kind, "connection ended by an injected fault")
}

impl AsyncRead for FaultIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.pick_up();
        if let Mode::Dead(kind) = this.mode {
            return Poll::Ready(Err(injected(kind)));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.pick_up();
        match &mut this.mode {
            Mode::Normal => Pin::new(&mut this.inner).poll_write(cx, buf),
            Mode::Dead(kind) => Poll::Ready(Err(injected(*kind))),
            Mode::Cut(cut) => {
                if cut.at_cut_point() && !buf.is_empty() {
                    let reset = cut.reset;
                    let e = ready!(this.fire_cut(cx, reset));
                    return Poll::Ready(Err(e));
                }
                let allowed = cut.allowed(buf);
                let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &buf[..allowed]))?;
                cut.advance(&buf[..n]);
                Poll::Ready(Ok(n))
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.pick_up();
        if let Mode::Normal = this.mode {
            return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        }
        // While cutting, write one slice at a time so the cut point is computed on plain bytes;
        // a short write is always allowed and hyper simply continues with the rest.
        let first = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &b[..]);
        Pin::new(this).poll_write(cx, first)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.pick_up();
        match &mut this.mode {
            Mode::Normal => Pin::new(&mut this.inner).poll_flush(cx),
            Mode::Dead(kind) => Poll::Ready(Err(injected(*kind))),
            Mode::Cut(cut) => {
                // hyper flushes after writing everything it had; if that reached the cut point
                // (always so for a HEAD or empty body, whose cut point is the end of the head),
                // this is where the fault fires.
                if cut.at_cut_point() {
                    let reset = cut.reset;
                    let e = ready!(this.fire_cut(cx, reset));
                    return Poll::Ready(Err(e));
                }
                Pin::new(&mut this.inner).poll_flush(cx)
            }
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.pick_up();
        match this.mode {
            // Already ended on purpose: nothing left to shut down politely.
            Mode::Dead(_) => Poll::Ready(Ok(())),
            _ => Pin::new(&mut this.inner).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn cut(body_bytes: u64) -> Cut {
        Cut {
            body_bytes,
            reset: true,
            matched: 0,
            head_done: false,
            body_sent: 0,
        }
    }

    #[test]
    fn cut_counts_head_then_body() {
        let mut c = cut(3);
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\n";
        let mut wire = head.to_vec();
        wire.extend_from_slice(b"abcdefgh");
        let n = c.allowed(&wire);
        assert_eq!(n, head.len() + 3);
        // A short write stops mid-head; the matcher state carries over.
        c.advance(&wire[..head.len() - 2]);
        assert!(!c.head_done);
        let rest = &wire[head.len() - 2..];
        assert_eq!(c.allowed(rest), 2 + 3);
        c.advance(&rest[..5]);
        assert!(c.head_done);
        assert!(c.at_cut_point());
        assert_eq!(c.allowed(b"defgh"), 0);
    }

    #[test]
    fn cut_at_head_end_for_empty_bodies() {
        let mut c = cut(0);
        let head = b"HTTP/1.1 200 OK\r\nx: \r\r\n\r\n";
        assert_eq!(c.allowed(head), head.len());
        c.advance(head);
        assert!(c.at_cut_point());
    }
}

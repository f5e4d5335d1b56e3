//! Transport behaviour the emulator cannot provoke: stalls, dropped connections, truncated
//! bodies, custom connectors. A scripted HTTP/1.1 server on loopback plays the service; the
//! requests are signed with an emulator's credentials but never verified.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use ocisdk_core::Error;
use ocisdk_core::RetryPolicy;
use ocisdk_core::error::{BodyError, TransportErrorKind};
use ocisdk_emulator::Emulator;
use ocisdk_hyper::{Client, ClientBuilder, UploadBody};
use ocisdk_object_storage::*;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does on its n-th connection.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Reads each request whole and answers it with this raw response (keep-alive).
    Respond(&'static str),
    /// Reads the request, writes this raw response, then neither writes nor closes.
    RespondThenStall(&'static str),
    /// Reads the request, writes this raw response, then closes.
    RespondThenClose(&'static str),
    /// Reads the request head and this many body bytes, then closes without answering.
    CloseAfterBodyBytes(usize),
    /// Reads the request head and never answers.
    Stall,
}

const PUT_OK: &str =
    "HTTP/1.1 200 OK\r\netag: \"e1\"\r\nopc-request-id: fake\r\ncontent-length: 0\r\n\r\n";
const HALF_OBJECT: &str = "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello";
const HALF_JSON: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 20\r\n\r\n\"names";

struct Fake {
    url: String,
    connections: Arc<AtomicUsize>,
    /// Every request body read whole, in order.
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
}

async fn fake(script: Vec<Step>) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let (count, seen) = (connections.clone(), bodies.clone());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let step = script[n.min(script.len() - 1)];
            tokio::spawn(serve(socket, step, seen.clone()));
        }
    });
    Fake {
        url,
        connections,
        bodies,
    }
}

/// Reads one request: its head, and up to `limit` bytes of its body. `None` at EOF.
async fn read_request(socket: &mut TcpStream, limit: usize) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    let want = length.min(limit);
    while body.len() < want {
        let mut chunk = vec![0u8; 65536];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(body)
}

async fn serve(mut socket: TcpStream, step: Step, seen: Arc<Mutex<Vec<Vec<u8>>>>) {
    match step {
        Step::Respond(raw) => {
            while let Some(body) = read_request(&mut socket, usize::MAX).await {
                seen.lock().unwrap().push(body);
                if socket.write_all(raw.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
        Step::RespondThenStall(raw) | Step::RespondThenClose(raw) => {
            if read_request(&mut socket, usize::MAX).await.is_some() {
                let _ = socket.write_all(raw.as_bytes()).await;
                if matches!(step, Step::RespondThenStall(_)) {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
            }
        }
        Step::CloseAfterBodyBytes(n) => {
            let _ = read_request(&mut socket, n).await;
        }
        Step::Stall => {
            let _ = read_request(&mut socket, 0).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    }
}

/// Credentials from an emulator (only its key and OCIDs are used), pointed at `url`.
fn builder(url: &str) -> (ClientBuilder, Emulator, tempfile::TempDir) {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = emulator.write_config(dir.path()).unwrap();
    let builder = Client::builder_from_config_file(Some(&path), None)
        .unwrap()
        .endpoint(url);
    (builder, emulator, dir)
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_jitter: Duration::from_millis(1),
        ..RetryPolicy::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_timeout_bounds_the_wait_for_the_response_head() {
    let server = fake(vec![Step::Stall]).await;
    let (builder, _emulator, _dir) = builder(&server.url);
    let client = builder
        .read_timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let started = Instant::now();
    let err = ObjectStorageClient::new(client.clone())
        .get_namespace(GetNamespace::new())
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportErrorKind::Timeout),
        "{err:?}"
    );
    assert!(err.to_string().contains("GET http://"), "{err}");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_timeout_bounds_the_wait_between_body_chunks() {
    let server = fake(vec![
        Step::RespondThenStall(HALF_OBJECT),
        Step::RespondThenStall(HALF_JSON),
    ])
    .await;
    let (builder, _emulator, _dir) = builder(&server.url);
    let client = builder
        .read_timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let os = ObjectStorageClient::new(client.clone());

    // A streamed object body: the first half arrives, then the stream times out.
    let mut got = os.get_object(GetObject::new("n", "b", "o")).await.unwrap();
    assert_eq!(got.meta.data.content_length, Some(10));
    assert_eq!(&got.body.next().await.unwrap().unwrap()[..], b"hello");
    let started = Instant::now();
    let err = got.body.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(
        got.body.next().await.is_none(),
        "the stream ends after an error"
    );

    // A buffered body: the call fails with a timeout.
    let err = os.get_namespace(GetNamespace::new()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportErrorKind::Timeout),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_cut_short_is_truncated() {
    let server = fake(vec![
        Step::RespondThenClose(HALF_JSON),
        Step::RespondThenClose(HALF_OBJECT),
    ])
    .await;
    let (builder, _emulator, _dir) = builder(&server.url);
    let client = builder
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let os = ObjectStorageClient::new(client.clone());
    let err = os.get_namespace(GetNamespace::new()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportErrorKind::Truncated),
        "{err:?}"
    );
    assert!(err.is_retryable());

    let got = os.get_object(GetObject::new("n", "b", "o")).await.unwrap();
    let err = got.body.bytes().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
}

const CONTENT_LEN: usize = 200_000;

fn content() -> Vec<u8> {
    (0..CONTENT_LEN).map(|i| (i % 251) as u8).collect()
}

/// Sends `body` to a server that drops the first connection mid-body and accepts the second.
async fn put_after_a_dropped_connection(body: UploadBody) -> (Result<(), Error>, Fake) {
    let server = fake(vec![Step::CloseAfterBodyBytes(1000), Step::Respond(PUT_OK)]).await;
    let (builder, _emulator, _dir) = builder(&server.url);
    let client = builder.retry_policy(fast_retries()).build().unwrap();
    let result = ObjectStorageClient::new(client.clone())
        .put_object(PutObject::new("n", "b", "o", CONTENT_LEN as u64), body)
        .await
        .map(|r| assert_eq!(r.data.etag.as_deref(), Some("\"e1\"")));
    (result, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayable_bodies_are_sent_again_whole_after_a_dropped_connection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body.bin");
    let mut prefixed = b"skip".to_vec();
    prefixed.extend_from_slice(&content());
    tokio::fs::write(&path, &prefixed).await.unwrap();

    let mut file = tokio::fs::File::open(&path).await.unwrap();
    file.seek(io::SeekFrom::Start(4)).await.unwrap();
    let factory_path = path.clone();
    let bodies: Vec<(&str, UploadBody)> = vec![
        ("vec", UploadBody::from(content())),
        ("bytes", UploadBody::from(Bytes::from(content()))),
        ("static", UploadBody::from(&*content().leak())),
        ("file from its position", UploadBody::from(file)),
        (
            "seekable cursor",
            UploadBody::from_seekable(io::Cursor::new(content())),
        ),
        (
            "factory",
            UploadBody::from_fn(move || {
                let path = factory_path.clone();
                futures_util::stream::once(async move {
                    let all = tokio::fs::read(&path).await?;
                    Ok(Bytes::from(all).slice(4..))
                })
            }),
        ),
    ];
    for (what, body) in bodies {
        assert!(body.is_replayable(), "{what}");
        let (result, server) = put_after_a_dropped_connection(body).await;
        result.unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(server.connections.load(Ordering::SeqCst), 2, "{what}");
        let bodies = server.bodies.lock().unwrap();
        assert_eq!(bodies.len(), 1, "{what}");
        assert!(
            bodies[0] == content(),
            "{what}: the retry sent the whole body"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_was_read_is_not_sent_again() {
    let chunks: Vec<io::Result<Bytes>> = content()
        .chunks(10_000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let body = UploadBody::from_stream(futures_util::stream::iter(chunks));
    assert!(!body.is_replayable());
    let (result, server) = put_after_a_dropped_connection(body).await;
    let err = result.unwrap_err();
    match &err {
        Error::Body(BodyError::NotReplayable { first_failure, .. }) => {
            assert!(first_failure.contains("PUT http://"), "{first_failure}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);

    // A reader is a stream too.
    let body = UploadBody::from_reader(io::Cursor::new(content()));
    let (result, _) = put_after_a_dropped_connection(body).await;
    assert!(
        matches!(result, Err(Error::Body(BodyError::NotReplayable { .. }))),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_never_read_is_still_whole_for_the_next_attempt() {
    // A port nobody listens on: every attempt is refused before a byte of the body is read.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (builder, _emulator, _dir) = builder(&format!("http://127.0.0.1:{port}"));
    let client = builder.retry_policy(fast_retries()).build().unwrap();
    let body = UploadBody::from_stream(futures_util::stream::iter(vec![Ok(Bytes::from_static(
        b"abc",
    ))]));
    let err = ObjectStorageClient::new(client.clone())
        .put_object(PutObject::new("n", "b", "o", 3), body)
        .await
        .unwrap_err();
    match &err {
        Error::RetriesExhausted { attempts, last, .. } => {
            assert_eq!(*attempts, 8);
            assert!(
                matches!(**last, Error::Transport(ref t) if t.kind == TransportErrorKind::Connect),
                "{last:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// A connector that never finishes connecting.
#[derive(Clone)]
struct NeverConnects;

impl tower_service::Service<http::Uri> for NeverConnects {
    type Response = hyper_util::rt::TokioIo<TcpStream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Uri) -> Self::Future {
        Box::pin(std::future::pending())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_connectors_work_and_get_the_connect_timeout() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = emulator.write_config(dir.path()).unwrap();
    let builder = || {
        Client::builder_from_config_file(Some(&path), None)
            .unwrap()
            .endpoint(emulator.url())
    };

    // Plain hyper-util HTTP connector.
    let client = builder()
        .build_with_connector(hyper_util::client::legacy::connect::HttpConnector::new())
        .unwrap();
    let ns = ObjectStorageClient::new(client.clone())
        .get_namespace(GetNamespace::new())
        .await
        .unwrap();
    assert_eq!(ns.data, emulator.namespace());

    // A connector that hangs is cut off by the connect timeout: a connect failure (nothing was
    // sent), which the core may retry without fear of applying the request twice.
    let client = builder()
        .connect_timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::disabled())
        .connector(NeverConnects)
        .build()
        .unwrap();
    let started = Instant::now();
    let err = ObjectStorageClient::new(client.clone())
        .get_namespace(GetNamespace::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportErrorKind::Connect
            && t.message.contains("connecting took longer than 0.2 s")),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_url_is_not_retried() {
    let (builder, _emulator, _dir) = builder("ftp://127.0.0.1:21");
    let client = builder.retry_policy(fast_retries()).build().unwrap();
    let err = ObjectStorageClient::new(client.clone())
        .get_namespace(GetNamespace::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportErrorKind::InvalidUrl),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_that_keeps_sending_is_not_a_read_timeout() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = emulator.write_config(dir.path()).unwrap();
    let client = Client::builder_from_config_file(Some(&path), None)
        .unwrap()
        .endpoint(emulator.url())
        .read_timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let os = ObjectStorageClient::new(client.clone());
    let ns = os.get_namespace(GetNamespace::new()).await.unwrap().data;
    os.create_bucket(CreateBucket::new(
        &ns,
        CreateBucketDetails::new("slow", client.tenancy()),
    ))
    .await
    .unwrap();
    // Ten chunks 100 ms apart: the upload takes three times the read timeout.
    let slow = futures_util::stream::unfold(0u8, |i| async move {
        if i == 10 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        Some((Ok(Bytes::from(vec![i; 1000])), i + 1))
    });
    let started = Instant::now();
    os.put_object(
        PutObject::new(&ns, "slow", "o", 10_000),
        UploadBody::from_stream(slow),
    )
    .await
    .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900));
    let got = os
        .get_object(GetObject::new(&ns, "slow", "o"))
        .await
        .unwrap();
    let back = got.body.bytes().await.unwrap();
    assert_eq!(back.len(), 10_000);
    assert_eq!(back[9_999], 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_error_body_is_refused_not_buffered() {
    let size = 2 * 1024 * 1024;
    let response: &'static str = Box::leak(
        format!(
            "HTTP/1.1 500 Internal Server Error\r\ncontent-length: {size}\r\n\r\n{}",
            "x".repeat(size)
        )
        .into_boxed_str(),
    );
    let server = fake(vec![Step::RespondThenClose(response)]).await;
    let (builder, _emulator, _dir) = builder(&server.url);
    let client = builder.build().unwrap();
    let err = ObjectStorageClient::new(client.clone())
        .get_namespace(GetNamespace::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportErrorKind::BodyTooLarge),
        "{err:?}"
    );
    // Not retried: the default policy would otherwise have tried 8 times.
    assert!(!err.is_retryable());
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

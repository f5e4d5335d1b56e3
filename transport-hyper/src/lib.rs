//! Async OCI client on [`hyper`](https://docs.rs/hyper/1) 1 and tokio, for every service crate (`ocisdk-identity`,
//! `ocisdk-object-storage`, `ocisdk-secrets`, …).
//!
//! All protocol logic (signing, request building, retries, response decoding, pagination) lives
//! in [`ocisdk_core`]; this crate only moves bytes: it drives the core's
//! [`Call`](ocisdk_core::Call) state machine with one pooled `hyper_util` client (rustls on
//! aws-lc-rs, the library that also signs), sleeps with tokio between retries, streams object
//! uploads from any [`Stream`](https://docs.rs/futures-core/0.3/futures_core/stream/trait.Stream.html), reader or file, and hands object downloads
//! back as a [`Stream`](https://docs.rs/futures-core/0.3/futures_core/stream/trait.Stream.html) of chunks. It is the async twin of
//! `ocisdk-blocking`: same names, same behaviour.
//!
//! The [`Client`] is cheap to clone and every operation returns a `Send + 'static` future, so
//! one client serves any number of spawned tasks over one connection pool.
//!
//! ```no_run
//! use ocisdk_hyper::StreamExt;
//! use ocisdk_hyper::Client;
//! use ocisdk_identity::{IdentityClient, ListUsers};
//!
//! # async fn run() -> Result<(), ocisdk_hyper::Error> {
//! let client = Client::from_config_file(None, None)?; // ~/.oci/config, [DEFAULT]
//! let identity = IdentityClient::new(client.clone());
//! let mut users = identity.paginate(ListUsers::new(client.tenancy()));
//! while let Some(user) = users.next().await {
//!     println!("{}", user?.name);
//! }
//! # Ok(()) }
//! ```
//!
//! Against the emulator (what the tests and the quickstart do):
//!
//! ```
//! use ocisdk_hyper::Client;
//! use ocisdk_object_storage::models::CreateBucketDetails;
//! use ocisdk_object_storage::{CreateBucket, GetNamespace, GetObject, ObjectStorageClient, PutObject};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = ocisdk_emulator::Emulator::start()?;
//! let dir = tempfile::tempdir()?;
//! let config = emulator.write_config(dir.path())?;
//! let client = Client::builder_from_config_file(Some(&config), None)?
//!     .endpoint(emulator.url())
//!     .build()?;
//!
//! let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
//! runtime.block_on(async {
//!     let os = ObjectStorageClient::new(client.clone());
//!     let namespace = os.get_namespace(GetNamespace::new()).await?.data;
//!     assert_eq!(namespace, emulator.namespace());
//!
//!     let bucket = CreateBucketDetails::new("docs", client.tenancy());
//!     os.create_bucket(CreateBucket::new(&namespace, bucket)).await?;
//!     let put = PutObject::new(&namespace, "docs", "hello.txt", 5);
//!     os.put_object(put, &b"hello"[..]).await?;
//!     let got = os.get_object(GetObject::new(&namespace, "docs", "hello.txt")).await?;
//!     assert_eq!(got.meta.data.content_length, Some(5));
//!     assert_eq!(&got.body.bytes().await?[..], b"hello");
//!     Ok::<_, Box<dyn std::error::Error>>(())
//! })?;
//! # Ok(()) }
//! ```
//!
//! # Timeouts, pooling, connectors
//!
//! [`ClientBuilder`] sets the connect timeout (10 s), the read timeout (60 s: the longest wait
//! for a response head and for each body chunk), the pool (idle timeout, idle connections per
//! host), an optional bound on requests in flight, and the connector: bring your own (a proxy,
//! custom roots, another TLS library) with [`ClientBuilder::connector`].
//!
//! # What a program needs, from here
//!
//! A program depends on this crate and the service crates it calls (`ocisdk-identity`,
//! `ocisdk-object-storage`, …); everything else it names is re-exported here:
//! - [`Error`] (and [`ServiceError`], a service's answer): one error type, asked rather than
//!   matched: `is_not_found()`, `is_conflict()`, `is_throttled()`, `is_timeout()`,
//!   `status_u16()`, `code()`, `service_error()` (each looks through retries that ran out).
//!   Its `Debug` is its `Display`, so `main() -> Result<(), Box<dyn std::error::Error>>` prints
//!   the whole story.
//! - [`Response`]: `data` plus `status`, `headers`, `opc_request_id`, `etag`, `next_page`;
//!   [`Streamed`]: a download's [`Response`] (`meta`) and its body.
//! - [`RetryPolicy`] and [`RetryClass`]: retries (`RetryPolicy::disabled()` for none); each
//!   retry is logged as a `tracing` warning with its reason and wait.
//! - [`Endpoints`] and [`Region`]: where requests go.
//! - `StreamExt` and `TryStreamExt`, for paginators and downloads (`.next().await`).
//! - `http`, the [`http`](https://docs.rs/http/1) crate the core is built on
//!   (`ocisdk_hyper::http::StatusCode`, `HeaderMap`), and [`ocisdk_core`] for the rest (config
//!   files, keys, signing, the call state machine).

mod body;
mod client;
mod paginate;
mod transport;
mod upload;

pub use body::ObjectBody;
pub use client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_POOL_IDLE_TIMEOUT,
    DEFAULT_POOL_MAX_IDLE_PER_HOST, DEFAULT_READ_TIMEOUT, DefaultConnector, default_connector,
};
pub use paginate::{ClientPages, Pages, Records};
pub use upload::UploadBody;

/// The stream extensions a program uses on paginators and downloads (`.next().await`,
/// `.try_collect()`), from the `futures-util` this crate is built with.
#[doc(no_inline)]
pub use futures_util::{StreamExt, TryStreamExt};
pub use ocisdk_core;
pub use ocisdk_core::Error;
/// The `http` crate of the core, for the status codes and headers of responses and errors.
pub use ocisdk_core::export::http;
pub use ocisdk_core::transport::Streamed;
pub use ocisdk_core::{Endpoints, Response, RetryPolicy};
pub use ocisdk_core::{error::ServiceError, region::Region, retry::RetryClass};

//! OCI client for Identity and Object Storage in browsers, web workers and Node ≥ 18 / Deno,
//! over the platform's `fetch`.
//!
//! All protocol logic (signing, request building, retries, response decoding, pagination) lives
//! in [`ocisdk_core`]; this crate only moves bytes. It is the `fetch` twin of `ocisdk-blocking`
//! and `ocisdk-hyper`, with the same names: `Client`, `ClientBuilder`, `client.identity()`,
//! `client.object_storage()`, one method per operation, and the `Records` / `Pages` paginators,
//! here `futures_core::Stream`s. Everything but this doc and the re-exported core is built for
//! `wasm32` only.
//!
//! # How it moves bytes
//!
//! - **fetch from the global scope** (`globalThis.fetch`), so the same build runs in a window, a
//!   dedicated worker, Node ≥ 18 and Deno.
//! - **`x-date`**: browsers drop a script-set `Date`, so requests are signed with `x-date`.
//!   Headers the platform forbids scripts to set (`host`, `content-length`, `user-agent`,
//!   `connection`, …) are never copied onto the fetch request: the `host` and `content-length`
//!   the core signs are the very values the platform sends, derived from the URL and the body.
//! - **Time** comes from `performance.now()` (budgets and backoff) and `Date.now()` (the request
//!   date), **backoff sleeps** from `setTimeout`; the core's seeds from `crypto.getRandomValues`.
//!   `SystemTime::now()` and `Instant::now()`, which panic on `wasm32`, are never called.
//! - **Uploads** have a known length and can be sent again (`Vec<u8>`, `&[u8]`, `Bytes`, a JS
//!   `Uint8Array`, a `Blob` or `File`): Object Storage refuses chunked bodies, so nothing is
//!   streamed with an unknown length. `fetch` reports no upload progress, so there is none.
//! - **Downloads** (`get_object`) come back as bytes (`.bytes().await`), a `Blob`, or the raw
//!   `ReadableStream`.
//! - Responses are never taken from the browser's HTTP cache (`cache: "no-store"`).
//!
//! # From Rust
//!
//! ```ignore
//! use futures_util::TryStreamExt;
//! use ocisdk_wasm::Client;
//! use ocisdk_identity::ListUsers;
//! use ocisdk_object_storage::{GetNamespace, GetObject, ObjectStorageClient, PutObject};
//!
//! # async fn run(config_text: &str, key_pem: &str) -> Result<(), ocisdk_wasm::Error> {
//! let client = Client::builder_from_config_text(config_text, None, key_pem)?
//!     .endpoint("http://127.0.0.1:8080") // or `.region("us-ashburn-1")`
//!     .build()?;
//! let users: Vec<_> = client.paginate(ListUsers::new(client.tenancy())).try_collect().await?;
//!
//! let os = ObjectStorageClient::new(client.clone());
//! let ns = os.get_namespace(GetNamespace::new()).await?.data;
//! os.put_object(PutObject::new(&ns, "docs", "hello.txt", 5), b"hello").await?;
//! let body = os.get_object(GetObject::new(&ns, "docs", "hello.txt")).await?.body.bytes().await?;
//! # Ok(()) }
//! ```
//!
//! # From JavaScript
//!
//! The JavaScript API (`OciClient`, every operation of the shipped services, TypeScript
//! declarations) is the `ocisdk-js` crate, built on this one.
//!
//! # Without a file system
//!
//! Credentials come in as text: the config file's text and the private key's PEM. Config text
//! parses exactly as the file would:
//!
//! ```
//! use ocisdk_wasm::ocisdk_core::config::ConfigFile;
//! let config = ConfigFile::parse("[DEFAULT]\nregion=us-ashburn-1\n", "<inline>").expect("valid");
//! assert_eq!(config.profile("DEFAULT").expect("exists").region(), Some("us-ashburn-1"));
//! ```
//!
//! # Errors a browser adds
//!
//! A CORS refusal, a mixed-content block and a refused connection all reach script as the same
//! opaque `TypeError` from `fetch`; they are reported as retryable transport errors, so a
//! misconfigured endpoint fails only after the retry policy gives up (use
//! `ClientBuilder::retry_policy` with `RetryPolicy::disabled()` while setting up).
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
//! - `StreamExt` and `TryStreamExt` (wasm32 builds), for paginators and downloads
//!   (`.next().await`).
//! - `http`, the [`http`](https://docs.rs/http/1) crate the core is built on
//!   (`ocisdk_wasm::http::StatusCode`, `HeaderMap`), and [`ocisdk_core`] for the rest (config
//!   files, keys, signing, the call state machine).

#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod download;
#[cfg(target_arch = "wasm32")]
mod paginate;
#[cfg(target_arch = "wasm32")]
mod transport;
#[cfg(target_arch = "wasm32")]
mod upload;

#[cfg(target_arch = "wasm32")]
pub use client::{Client, ClientBuilder, DEFAULT_TIMEOUT, LocalFuture};
#[cfg(target_arch = "wasm32")]
pub use download::DownloadBody;
#[cfg(target_arch = "wasm32")]
pub use paginate::{ClientPages, Pages, Records};
#[cfg(target_arch = "wasm32")]
pub use transport::{is_forbidden_header, now};
#[cfg(target_arch = "wasm32")]
pub use upload::UploadBody;

/// The stream extensions a program uses on paginators and downloads (`.next().await`,
/// `.try_collect()`), from the `futures-util` this crate is built with.
#[cfg(target_arch = "wasm32")]
#[doc(no_inline)]
pub use futures_util::{StreamExt, TryStreamExt};
pub use ocisdk_core;
pub use ocisdk_core::Error;
/// The `http` crate of the core, for the status codes and headers of responses and errors.
pub use ocisdk_core::export::http;
pub use ocisdk_core::transport::Streamed;
pub use ocisdk_core::{Endpoints, Response, RetryPolicy};
pub use ocisdk_core::{error::ServiceError, region::Region, retry::RetryClass};

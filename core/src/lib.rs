//! The Sans-IO core of ocisdk, an Oracle Cloud Infrastructure SDK for Rust.
//!
//! This crate turns typed OCI operations into signed [`http::Request`](https://docs.rs/http/1/http/request/struct.Request.html)s and turns
//! [`http::Response`](https://docs.rs/http/1/http/response/struct.Response.html)s back into typed results, errors and page tokens. It never opens a socket
//! or a file of its own (file reading sits behind the `fs` feature), never reads the clock and
//! never sleeps: time and randomness are arguments. The same core therefore serves the blocking
//! client (`ocisdk-blocking`), the async one (`ocisdk-hyper`) and the browser (`ocisdk-wasm`).
//!
//! Services are data: each generated service crate (`ocisdk-identity`, `ocisdk-object-storage`,
//! `ocisdk-secrets`, …) declares one [`Service`] and implements [`Operation`] for each of its
//! request types; its client calls any transport through the [`transport::Transport`] trait.
//! Neither the core nor a transport knows any particular operation.
//!
//! # The contract
//!
//! A [`Call`] is driven by one loop in the adapter, and tells it exactly what to do next: send
//! this request (its upload held to its length by a meter), read the response head, then read
//! the body up to a limit or keep it as the user's stream, sleep until a deadline, done. Each
//! step consumes the one before, so no step can be taken out of order. Here the "network" is a
//! closure ([`call::run_in_memory`] is this very loop):
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Duration, SystemTime};
//! use ocisdk_core::auth::{PrivateKey, api_key_signer};
//! use ocisdk_core::call::{Head, ResponseHead, Step};
//! use ocisdk_core::clock::{Instant, Now};
//! use ocisdk_object_storage::GetNamespace; // a generated service crate
//! use ocisdk_core::{Context, Endpoints};
//!
//! # fn main() -> Result<(), ocisdk_core::Error> {
//! let key = PrivateKey::from_pem(include_str!("../tests/fixtures/keys/pkcs1.pem"), None, "key.pem")?;
//! let signer = api_key_signer("ocid1.tenancy.oc1..aaaa", "ocid1.user.oc1..aaaa", None, &key, [0; 32]);
//! let ctx = Arc::new(Context::new(signer, Endpoints::single("http://127.0.0.1:8080"), [0; 32]));
//! // The adapter's clocks: monotonic since its own origin, and the wall clock.
//! let now = || Now::new(Instant::from_origin(Duration::ZERO), SystemTime::now());
//!
//! let mut call = ctx.call(GetNamespace::new());
//! let namespace = loop {
//!     call = match call.poll(now()) {
//!         Step::Send { request, upload: _, exchange } => {
//!             assert!(request.headers().contains_key("authorization"));
//!             // A real adapter sends `request`; here the answer is made up.
//!             let mut headers = http::HeaderMap::new();
//!             headers.insert("opc-request-id", http::HeaderValue::from_static("req-1"));
//!             match exchange.head(ResponseHead::new(http::StatusCode::OK, headers), now()) {
//!                 Head::Read(mut reading) => {
//!                     reading.chunk(bytes::Bytes::from_static(b"\"mynamespace\""));
//!                     reading.end(now())
//!                 }
//!                 Head::Keep { .. } => unreachable!("GetNamespace's body is buffered"),
//!                 Head::Next(call) => call,
//!             }
//!         }
//!         Step::Sleep { until: _, call } => call, // a real adapter sleeps first
//!         Step::Done(result) => break result?,
//!     }
//! };
//! assert_eq!(namespace.data, "mynamespace");
//! assert_eq!(namespace.opc_request_id.as_deref(), Some("req-1"));
//! # Ok(()) }
//! ```
//!
//! Lists are walked with a [`Paginator`], which yields the operation for the next page and
//! takes each response back; it knows both OCI token styles.
//!
//! # Features
//!
//! - `std` (default): environment variables (`OCI_REGION`, `OCI_REGION_METADATA`, …).
//! - `fs` (default): reading `~/.oci/config`, key files and `~/.oci/regions-config.json`.
//! - `native`: constant-time RSA signing through aws-lc-rs (not for wasm32); the portable backend
//!   (the `rsa` crate, blinded) is always there and produces byte-identical signatures.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod body;
pub mod call;
pub mod clock;
pub mod config;
pub mod context;
pub mod endpoint;
pub mod error;
pub mod model;
pub mod operation;
pub mod paginate;
pub mod region;
pub mod retry;
pub mod transport;

/// The crates the generated service crates build on, re-exported so that a service crate depends
/// on `ocisdk-core` alone and always sees the versions the core uses.
pub mod export {
    pub use bytes;
    pub use http;
    pub use httpdate;
    pub use serde;
    pub use serde_json;
    pub use time;
    pub use tracing;
}

pub use call::{Call, Step};
pub use clock::{Instant, Now};
pub use context::{ClientConfig, Context};
pub use endpoint::{Endpoints, Service};
pub use error::Error;
pub use operation::{Operation, RequestBody, Response};
pub use paginate::{ListOperation, Paginator};
pub use retry::RetryPolicy;

//! The Sans-IO core of ocisdk, an Oracle Cloud Infrastructure SDK for Rust.
//!
//! This crate turns typed OCI operations into signed [`http::Request`]s and turns
//! [`http::Response`]s back into typed results, errors and page tokens. It never opens a socket
//! or a file of its own (file reading sits behind the `fs` feature), never reads the clock and
//! never sleeps: time and randomness are arguments. The same core therefore serves the blocking
//! client (`ocisdk-blocking`), the async one (`ocisdk-hyper`) and the browser (`ocisdk-wasm`).
//!
//! # The contract
//!
//! A [`Call`] is driven by one loop in the adapter. After every [`Call::poll`], act on the
//! [`Action`]; after sending, hand the response (or the transport error) back before polling
//! again:
//!
//! ```
//! use std::sync::Arc;
//! use std::time::SystemTime;
//! use ocisdk_core::auth::{PrivateKey, api_key_signer};
//! use ocisdk_core::object_storage::GetNamespace;
//! use ocisdk_core::{Action, Context, Endpoints};
//!
//! # fn main() -> Result<(), ocisdk_core::Error> {
//! let key = PrivateKey::from_pem(include_str!("../tests/fixtures/keys/pkcs1.pem"), None, "key.pem")?;
//! let signer = api_key_signer("ocid1.tenancy.oc1..aaaa", "ocid1.user.oc1..aaaa", None, &key, [0; 32]);
//! let ctx = Arc::new(Context::new(signer, Endpoints::single("http://127.0.0.1:8080"), [0; 32]));
//!
//! let mut call = ctx.call(GetNamespace::new());
//! let namespace = loop {
//!     match call.poll(SystemTime::now()) {
//!         Action::Send(request) => {
//!             assert!(request.headers().contains_key("authorization"));
//!             // A real adapter sends `request`; here the answer is made up.
//!             let response = http::Response::builder()
//!                 .status(200)
//!                 .header("opc-request-id", "req-1")
//!                 .body(bytes::Bytes::from_static(b"\"mynamespace\""))
//!                 .expect("valid response");
//!             call.handle_response(response, SystemTime::now());
//!         }
//!         Action::Sleep(duration) => std::thread::sleep(duration),
//!         Action::Done(result) => break result?,
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
pub mod call;
pub mod config;
pub mod error;
pub mod identity;
pub mod object_storage;
mod operations;
pub mod paginate;
pub mod region;
pub mod retry;

pub use call::{
    Action, BodyMode, Call, Context, Endpoints, Operation, RequestBody, Response, Service,
};
pub use error::Error;
pub use paginate::{ListOperation, Paginator};
pub use retry::RetryPolicy;

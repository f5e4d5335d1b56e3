//! Blocking OCI client on [`ureq`](https://docs.rs/ureq/3) 3, for every service crate (`ocisdk-identity`,
//! `ocisdk-object-storage`, `ocisdk-secrets`, …).
//!
//! All protocol logic (signing, request building, retries, response decoding, pagination)
//! lives in [`ocisdk_core`]; this crate only moves bytes: it drives the core's
//! [`Call`](ocisdk_core::Call) with one pooled `ureq` agent, streams uploads from any
//! [`Read`](std::io::Read) and hands downloads back as a [`Read`](std::io::Read). It knows no
//! service and no operation: a service crate's client (`IdentityClient<Client>`) or
//! [`Client::send`] runs any of them.
//!
//! ```no_run
//! use ocisdk_blocking::Client;
//! use ocisdk_identity::{IdentityClient, ListUsers};
//!
//! # fn main() -> Result<(), ocisdk_blocking::Error> {
//! let client = Client::from_config_file(None, None)?; // ~/.oci/config, [DEFAULT]
//! let identity = IdentityClient::new(client.clone());
//! for user in identity.paginate(ListUsers::new(client.tenancy())) {
//!     println!("{}", user?.name);
//! }
//! # Ok(()) }
//! ```
//!
//! Against the emulator (what the tests and the quickstart do), with the generic `send`:
//!
//! ```
//! use ocisdk_blocking::Client;
//! use ocisdk_object_storage::GetNamespace;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = ocisdk_emulator::Emulator::start()?;
//! let dir = tempfile::tempdir()?;
//! let config = emulator.write_config(dir.path())?;
//! let client = Client::builder_from_config_file(Some(&config), None)?
//!     .endpoint(emulator.url())
//!     .build()?;
//! let namespace = client.send(GetNamespace::new())?;
//! assert_eq!(namespace.data, emulator.namespace());
//! # Ok(()) }
//! ```
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
//! - `http`, the [`http`](https://docs.rs/http/1) crate the core is built on
//!   (`ocisdk_blocking::http::StatusCode`, `HeaderMap`), and [`ocisdk_core`] for the rest (config
//!   files, keys, signing, the call state machine).

mod client;
mod paginate;
mod redact;
mod resolve;
mod transport;
mod upload;

pub use client::{Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT};
pub use paginate::{ClientPages, Pages, Records};
pub use transport::DownloadBody;
pub use upload::{ReadSeek, UploadBody};

pub use ocisdk_core;
pub use ocisdk_core::Error;
/// The `http` crate of the core, for the status codes and headers of responses and errors.
pub use ocisdk_core::export::http;
pub use ocisdk_core::transport::Streamed;
pub use ocisdk_core::{Endpoints, Response, RetryPolicy};
pub use ocisdk_core::{error::ServiceError, region::Region, retry::RetryClass};

//! Blocking OCI client on [`ureq`] 3, for every service crate (`ocisdk-identity`,
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
//! # fn main() -> Result<(), ocisdk_core::Error> {
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

mod client;
mod paginate;
mod redact;
mod transport;
mod upload;

pub use client::{Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT};
pub use paginate::{ClientPages, Pages, Records};
pub use transport::DownloadBody;
pub use upload::{ReadSeek, UploadBody};

pub use ocisdk_core;
pub use ocisdk_core::Error;

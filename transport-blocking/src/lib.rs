//! Blocking OCI client for Identity and Object Storage, on [`ureq`] 3.
//!
//! All protocol logic (signing, request building, response decoding, pagination) lives in
//! [`ocisdk_core`]; this crate only moves bytes: it drives the core's [`Call`](ocisdk_core::Call) state machine
//! with one pooled `ureq` agent, streams object bodies from any [`Read`](std::io::Read) and hands object
//! downloads back as a [`Read`](std::io::Read).
//!
//! ```no_run
//! use ocisdk_blocking::Client;
//! use ocisdk_core::identity::ListUsers;
//!
//! # fn main() -> Result<(), ocisdk_core::Error> {
//! let client = Client::from_config_file(None, None)?; // ~/.oci/config, [DEFAULT]
//! let identity = client.identity();
//! for user in identity.paginate(ListUsers::new(client.tenancy())) {
//!     println!("{}", user?.name);
//! }
//! # Ok(()) }
//! ```
//!
//! Against the emulator (what the tests and the quickstart do):
//!
//! ```
//! use ocisdk_blocking::Client;
//! use ocisdk_core::object_storage::GetNamespace;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = ocisdk_emulator::Emulator::start()?;
//! let dir = tempfile::tempdir()?;
//! let config = emulator.write_config(dir.path())?;
//! let client = Client::builder_from_config_file(Some(&config), None)?
//!     .endpoint(emulator.url())
//!     .build()?;
//! let namespace = client.object_storage().get_namespace(GetNamespace::new())?;
//! assert_eq!(namespace.data, emulator.namespace());
//! # Ok(()) }
//! ```

mod client;
mod paginate;
mod services;
mod transport;
mod upload;

pub use client::{Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT};
pub use paginate::{ClientPages, Pages, Records};
pub use services::{GetObjectResponse, IdentityClient, ObjectStorageClient};
pub use upload::{ReadSeek, UploadBody};

pub use ocisdk_core;
pub use ocisdk_core::Error;

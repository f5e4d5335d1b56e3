//! OCI client for browsers, workers and Node over `fetch` — not built yet (issue 5); today
//! this crate only re-exports the core, which already compiles for `wasm32-unknown-unknown`
//! without its `std`/`fs` features.
//!
//! Config text parses without any file system, as it will in the browser:
//!
//! ```
//! use ocisdk_wasm::ocisdk_core::config::ConfigFile;
//! let config = ConfigFile::parse("[DEFAULT]\nregion=us-ashburn-1\n", "<inline>").expect("valid");
//! assert_eq!(config.profile("DEFAULT").expect("exists").region(), Some("us-ashburn-1"));
//! ```

pub use ocisdk_core;

//! Async OCI client on hyper 1 — not built yet (issue 4); today this crate only re-exports the
//! core so that the workspace layout is in place.
//!
//! Everything protocol-related is already usable from [`ocisdk_core`], for example resolving a
//! region to its endpoints:
//!
//! ```
//! let region = ocisdk_hyper::ocisdk_core::region::Region::from_table("fra").expect("known code");
//! assert_eq!(region.object_storage_endpoint(), "https://objectstorage.eu-frankfurt-1.oraclecloud.com");
//! ```

pub use ocisdk_core;

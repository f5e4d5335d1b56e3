//! The fuzz targets of ocisdk (see `README.md`). The bodies live in [`targets`], one plain Rust
//! file that the stable corpus replay test (`tests/tests/fuzz_corpus.rs`) includes too.
pub mod targets;

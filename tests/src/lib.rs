//! Scenario suites shared by every transport (filled by the async-transport issue). The
//! conformance run of the official Python SDK against the emulator lives in `tests/python/`
//! and is driven by `scripts/test.sh`.
//!
//! Scenarios will be written once against this crate and run on each client; the emulator they
//! run against is re-exported here:
//!
//! ```no_run
//! let emulator = ocisdk_tests::ocisdk_emulator::Emulator::start().expect("emulator starts");
//! println!("emulator at {}", emulator.url());
//! ```

pub use ocisdk_emulator;

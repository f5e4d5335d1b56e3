//! Every scenario on the blocking client (`ocisdk-blocking`, ureq).
#![cfg(not(target_arch = "wasm32"))]

ocisdk_tests::scenarios!(ocisdk_blocking::Client);

//! Every scenario on the async client (`ocisdk-hyper`, hyper on a multi-thread tokio runtime).
#![cfg(not(target_arch = "wasm32"))]

ocisdk_tests::scenarios!(ocisdk_tests::Hyper);

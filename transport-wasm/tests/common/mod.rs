//! What each wasm test file of this crate takes from `tests/run.sh`: the emulator's URL, config
//! text and key PEM, baked in at compile time (wasm has no environment at run time).
// Each test file is a crate of its own and uses part of this.
#![allow(dead_code)]

use std::time::Duration;

use ocisdk_core::RetryPolicy;
use ocisdk_wasm::{Client, ocisdk_core};

const URL: Option<&str> = option_env!("OCISDK_WASM_TEST_URL");
const CONFIG: Option<&str> = option_env!("OCISDK_WASM_TEST_CONFIG");
const KEY: Option<&str> = option_env!("OCISDK_WASM_TEST_KEY");

const NOT_SET: &str = "emulator settings missing: run these tests with transport-wasm/tests/run.sh";

/// The emulator's base URL.
pub fn url() -> &'static str {
    URL.expect(NOT_SET)
}

/// The emulator's config text (profile DEFAULT).
pub fn config() -> &'static str {
    CONFIG.expect(NOT_SET)
}

/// The PEM of the key the config names.
pub fn key() -> &'static str {
    KEY.expect(NOT_SET)
}

/// A client of the emulator, retrying fast so fault scenarios stay quick.
pub fn client() -> Client {
    Client::builder_from_config_text(config(), None, key())
        .unwrap()
        .endpoint(url())
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(20),
            max_jitter: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

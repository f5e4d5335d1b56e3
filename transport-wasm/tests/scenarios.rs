//! The portable scenarios of `ocisdk-tests`, the very functions the blocking and hyper clients
//! run, on this crate's client against `ocisdk-emulator`. Run by `tests/run.sh` in headless
//! Chromium (a window and a dedicated worker) and in Node, on an emulator of its own started with
//! `--page-size 2` and no faults. The emulator's URL, config text and key PEM are baked in at
//! compile time (wasm has no environment at run time). Tests of what only this client has are in
//! `tests/emulator.rs`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ocisdk_tests::{ClientOptions, Credentials, RemoteEnv};
use ocisdk_wasm::Client;
use wasm_bindgen_test::wasm_bindgen_test;

const URL: Option<&str> = option_env!("OCISDK_WASM_TEST_URL");
const CONFIG: Option<&str> = option_env!("OCISDK_WASM_TEST_CONFIG");
const KEY: Option<&str> = option_env!("OCISDK_WASM_TEST_KEY");

const NOT_SET: &str = "emulator settings missing: run these tests with transport-wasm/tests/run.sh";

/// The emulator's page size (`--page-size 2` in run.sh).
const PAGE_SIZE: usize = 2;

/// An environment on the emulator run.sh started, with a fresh prefix for the names.
fn env() -> RemoteEnv<Client> {
    let credentials = Credentials {
        config_text: CONFIG.expect(NOT_SET).to_string(),
        key_pem: KEY.expect(NOT_SET).to_string(),
    };
    RemoteEnv::new(
        URL.expect(NOT_SET),
        credentials,
        ClientOptions::default(),
        PAGE_SIZE,
        false,
        (js_sys::Math::random() * 1e9) as u64,
    )
}

ocisdk_tests::scenarios!(#[wasm_bindgen_test] async env());

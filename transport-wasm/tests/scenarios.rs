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

mod common;

/// The emulator's page size (`--page-size 2` in run.sh).
const PAGE_SIZE: usize = 2;

/// An environment on the emulator run.sh started, with a fresh prefix for the names.
fn env() -> RemoteEnv<Client> {
    let credentials = Credentials {
        config_text: common::config().to_string(),
        key_pem: common::key().to_string(),
    };
    RemoteEnv::new(
        common::url(),
        credentials,
        ClientOptions::default(),
        PAGE_SIZE,
        false,
        (js_sys::Math::random() * 1e9) as u64,
    )
}

ocisdk_tests::scenarios!(#[wasm_bindgen_test] async env());

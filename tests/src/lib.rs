//! Scenario suites written once and run on every transport of ocisdk, against
//! `ocisdk-emulator`. A behaviour difference between transports is a bug.
//!
//! A scenario is an `async fn` over a [`Transport`]: the handful of operations scenarios need
//! (run any operation, collect a list through the paginators, upload a [`TestBody`], download
//! an object while digesting it). Each transport implements it over its real client: the
//! blocking `ocisdk_blocking::Client` (its futures are ready when first polled), the async
//! `ocisdk_hyper::Client` as `Hyper` (each call a task on a multi-thread tokio runtime), and in
//! wasm the `fetch` client `ocisdk_wasm::Client`.
//!
//! The portable scenarios take the [`ScenarioEnv`] they run in: a client pointed at an
//! emulator, what they may assume of it (page size, empty pages), unique names, and
//! capabilities only the in-process emulator has (its counters, files). Natively that is `Env`,
//! a fresh in-process emulator per scenario; in the browser it is a [`RemoteEnv`] on the
//! emulator process `transport-wasm/tests/run.sh` starts, shared by all scenarios. The fault
//! scenarios inject faults into an in-process emulator and read its counters: native only.
//!
//! [`scenarios!`] expands to one test per scenario: `scenarios!(ocisdk_blocking::Client)` is
//! every scenario as a `#[test]` on a native transport (this crate's `tests/blocking.rs` and
//! `tests/hyper.rs` are that one line each); `scenarios!(#[wasm_bindgen_test] async env())`
//! is every portable one as an async test built on `env()` (`transport-wasm/tests/scenarios.rs`).
//! Tests of what only one transport has (hyper's scripted-server tests, its concurrency, the
//! browser's `Blob`s and JS API) stay in that transport's crate.
//!
//! The conformance run of the official Python SDK against the emulator lives in
//! `tests/python/` and is driven by `scripts/test.sh`.
//!
//! One scenario on two transports, and a new check written against an environment:
//!
//! ```no_run
//! # #[cfg(not(target_arch = "wasm32"))] {
//! use ocisdk_object_storage::{GetObject, PutObject};
//! use ocisdk_tests::{Env, Hyper, NativeTransport, ScenarioEnv, TestBody, Transport, scenarios};
//!
//! let env = Env::<ocisdk_blocking::Client>::portable();
//! ocisdk_blocking::Client::block_on(scenarios::groups_users_memberships(&env));
//! let env = Env::<Hyper>::portable();
//! Hyper::block_on(scenarios::groups_users_memberships(&env));
//!
//! async fn round_trip<E: ScenarioEnv>(env: &E) {
//!     let bucket = env.name("docs");
//!     let ns = env.bucket(&bucket).await;
//!     let c = env.client();
//!     let put = PutObject::new(&ns, &bucket, "hello.txt", 5);
//!     c.put_object(put, TestBody::Bytes(b"hello".to_vec())).await.unwrap();
//!     let got = c.get_object_digest(GetObject::new(&ns, &bucket, "hello.txt")).await.unwrap();
//!     assert!(got.is(b"hello"), "on {}", E::Transport::NAME);
//! }
//! Hyper::block_on(round_trip(&Env::<Hyper>::new()));
//! # }
//! ```
//!
//! In a test file, every scenario on a native transport:
//!
//! ```no_run
//! # #[cfg(not(target_arch = "wasm32"))]
//! ocisdk_tests::scenarios!(ocisdk_blocking::Client);
//! # fn main() {}
//! ```

// Test support: a failed expectation is a panic, as in any test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(not(target_arch = "wasm32"))]
mod blocking;
mod env;
#[cfg(not(target_arch = "wasm32"))]
mod hyper;
#[cfg(not(target_arch = "wasm32"))]
mod native;
pub mod scenarios;
mod transport;
#[cfg(target_arch = "wasm32")]
mod wasm;

pub use env::{Counts, RemoteEnv, ScenarioEnv};
pub use transport::{
    ChunksReader, ClientOptions, Credentials, ObjectDigest, PATTERN_CHUNK, PatternReader,
    PlainResponse, TestBody, Transport, body_read_error, fill_pattern, for_each_pattern_chunk, md5,
    pattern, pattern_byte, pattern_md5,
};

#[cfg(not(target_arch = "wasm32"))]
pub use hyper::Hyper;
#[cfg(not(target_arch = "wasm32"))]
pub use native::{
    Env, NativeTransport, block_on, connect_through_files, fast_policy, portable_config,
    resource_principal_config,
};
#[cfg(not(target_arch = "wasm32"))]
pub use ocisdk_emulator;

/// One test per scenario of [`scenarios`](mod@scenarios).
///
/// - `ocisdk_tests::scenarios!(ocisdk_blocking::Client);` in a native test file: every
///   scenario as a `#[test]` on that [`Transport`] (a `NativeTransport`), the portable ones
///   each on a fresh `Env` (`Env::portable()`, or `Env::with_empty_pages()` for the identity
///   pagination), the fault ones on the emulators they start.
/// - `ocisdk_tests::scenarios!(#[wasm_bindgen_test] async env());` in an async harness: every
///   portable scenario as an `async fn` test with that attribute, run on the [`ScenarioEnv`]
///   `env()` returns (called once per test).
#[macro_export]
macro_rules! scenarios {
    // The portable scenarios: a name, the arguments after the environment, and the `Env`
    // constructor of its native emulator.
    (@portable $mode:ident [$($ctx:tt)*]) => {
        $crate::scenarios!(@$mode [$($ctx)*]
            groups_users_memberships() portable,
            pagination_across_pages() with_empty_pages,
            object_storage_pagination() with_empty_pages,
            buckets_and_objects() portable,
            streamed_round_trip($crate::scenarios::STREAMED_BYTES) portable,
            length_mismatch() portable,
            bytes_limit() portable,
            wrong_key_401() portable,
            unknown_region() portable,
            walkthrough_without_faults() portable,
            compartments_nest_and_stay_while_not_empty() portable,
            uploaded_api_key_signs() portable,
            pars_work_unsigned() portable,
            object_versions() portable,
            rename_object() portable,
            copy_object_work_request() portable,
            secret_bundles() portable,
        );
    };
    (@native [$transport:ty] $($name:ident($($arg:expr),*) $setup:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let env = $crate::Env::<$transport>::$setup();
                <$transport as $crate::NativeTransport>::block_on(
                    $crate::scenarios::$name(&env $(, $arg)*),
                );
            }
        )*
    };
    (@harness [#[$test:meta] $env:expr] $($name:ident($($arg:expr),*) $setup:ident),* $(,)?) => {
        $(
            #[$test]
            async fn $name() {
                let env = $env;
                $crate::scenarios::$name(&env $(, $arg)*).await;
            }
        )*
    };
    // The native-only scenarios, each starting the emulator(s) it needs.
    (@faults [$transport:ty]) => {
        $crate::scenarios!(@fault_tests [$transport]
            connection_refused_retried,
            status_faults_are_retried,
            retry_after_is_waited_for,
            lost_create_responses,
            lost_create_bucket_response,
            lost_delete_response,
            lost_conditional_put_response,
            broken_response_bodies_are_retried,
            stalled_response_times_out,
            interrupted_one_shot_upload,
            interrupted_replayable_upload,
            retries_exhausted_within_budget,
            session_token_expires_mid_run,
            one_shot_upload_is_never_started_with_a_due_token,
            revoked_session_token_refreshes_once,
            malformed_session_token_is_a_typed_error,
            instance_principal_walkthrough_across_expiry,
            instance_principal_401_refederates_once,
            instance_principal_without_imds_is_a_clear_error,
            instance_certificate_without_tenancy_is_a_clear_error,
            resource_principal_walkthrough_and_rotation,
            resource_principal_401_rereads_once,
            inline_resource_principal_token_expires,
            resource_principal_bad_variables_are_clear_errors,
            resource_principal_v21_walkthrough_and_401,
            resource_principal_v11_walkthrough_and_401,
            resource_principal_v11_bad_variables_are_clear_errors,
            oke_workload_identity_walkthrough_across_expiry,
            oke_sa_token_replaced_mid_run_is_used_by_the_next_refresh,
            oke_401_refreshes_once,
            oke_proxymux_refusal_is_a_typed_error,
            oke_missing_sa_token_file_names_the_path,
            oke_proxymux_over_tls_trusts_only_the_cluster_ca,
            delegation_token_is_signed_on_every_principal,
        );
    };
    (@fault_tests [$transport:ty] $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                <$transport as $crate::NativeTransport>::block_on(
                    $crate::scenarios::$name::<$transport>(),
                );
            }
        )*
    };
    (#[$test:meta] async $env:expr) => {
        $crate::scenarios!(@portable harness [#[$test] $env]);
    };
    ($transport:ty) => {
        $crate::scenarios!(@portable native [$transport]);
        $crate::scenarios!(@faults [$transport]);
    };
}

/// The README's Rust examples, compiled (and the runnable ones run) as doctests, so the forms a
/// new user copies stay true.
#[cfg(all(doctest, not(target_arch = "wasm32")))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;

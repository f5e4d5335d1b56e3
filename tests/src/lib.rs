//! Scenario suites written once and run on every transport of ocisdk, against
//! `ocisdk-emulator`. A behaviour difference between transports is a bug.
//!
//! A scenario is a plain function generic over [`Transport`]: the handful of operations
//! scenarios need (run any operation, collect a list through the paginators, upload a
//! [`TestBody`], download an object while digesting it), driven synchronously. Each transport
//! implements it over its real client: the blocking [`ocisdk_blocking::Client`] as it is, the
//! async [`ocisdk_hyper::Client`] as [`Hyper`] (each call a task on a multi-thread tokio
//! runtime). [`scenarios!`] expands to one `#[test]` per scenario for a transport; this crate's
//! `tests/blocking.rs` and `tests/hyper.rs` are each that one line. Tests of what only one
//! transport has (hyper's scripted-server tests, its concurrency, its `Send` futures) stay in
//! that transport's crate.
//!
//! The conformance run of the official Python SDK against the emulator lives in
//! `tests/python/` and is driven by `scripts/test.sh`.
//!
//! One scenario on two transports, and a new check written against [`Env`]:
//!
//! ```no_run
//! use ocisdk_core::object_storage::{GetObject, PutObject};
//! use ocisdk_tests::{Env, Hyper, TestBody, Transport, scenarios};
//!
//! scenarios::groups_users_memberships::<ocisdk_blocking::Client>();
//! scenarios::groups_users_memberships::<Hyper>();
//!
//! fn round_trip<T: Transport>() {
//!     let env = Env::<T>::new();
//!     let ns = env.bucket("docs");
//!     let put = PutObject::new(&ns, "docs", "hello.txt", 5);
//!     env.client.put_object(put, TestBody::Bytes(b"hello".to_vec())).unwrap();
//!     let got = env.client.get_object_digest(GetObject::new(&ns, "docs", "hello.txt")).unwrap();
//!     assert!(got.is(b"hello"), "on {}", T::NAME);
//! }
//! round_trip::<Hyper>();
//! ```
//!
//! In a test file, every scenario on a transport:
//!
//! ```no_run
//! ocisdk_tests::scenarios!(ocisdk_blocking::Client);
//! # fn main() {}
//! ```

// Test support: a failed expectation is a panic, as in any test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod blocking;
mod env;
mod hyper;
pub mod scenarios;
mod transport;

pub use env::{Env, fast_policy};
pub use hyper::Hyper;
pub use transport::{
    ChunksReader, ClientOptions, ObjectDigest, PATTERN_CHUNK, PatternReader, TestBody, Transport,
    body_read_error, fill_pattern, for_each_pattern_chunk, md5, pattern, pattern_byte, pattern_md5,
};

pub use ocisdk_emulator;

/// One `#[test]` per scenario of [`scenarios`](mod@scenarios), run on the [`Transport`] type given:
/// `ocisdk_tests::scenarios!(ocisdk_blocking::Client);` in a test file.
#[macro_export]
macro_rules! scenarios {
    ($transport:ty) => {
        $crate::scenarios!(@tests $transport;
            groups_users_memberships,
            pagination_across_empty_pages,
            buckets_and_objects,
            streamed_64_mib,
            length_mismatch,
            wrong_key_401,
            connection_refused_retried,
            unknown_region,
            walkthrough_without_faults,
            status_faults_are_retried,
            retry_after_is_waited_for,
            lost_create_responses,
            broken_response_bodies_are_retried,
            stalled_response_times_out,
            interrupted_one_shot_upload,
            interrupted_replayable_upload,
            retries_exhausted_within_budget,
        );
    };
    (@tests $transport:ty; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::scenarios::$name::<$transport>();
            }
        )*
    };
}

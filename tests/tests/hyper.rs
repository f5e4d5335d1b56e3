//! Every scenario on the async client (`ocisdk-hyper`, hyper on a multi-thread tokio runtime).
#![cfg(not(target_arch = "wasm32"))]

ocisdk_tests::scenarios!(ocisdk_tests::Hyper);

/// Issue 12: 64 concurrent calls of one client share one session-token refresh.
#[test]
fn concurrent_calls_share_one_session_token_refresh() {
    <ocisdk_tests::Hyper as ocisdk_tests::NativeTransport>::block_on(
        ocisdk_tests::scenarios::concurrent_calls_share_one_refresh(),
    );
}

/// Issue 12: 64 concurrent first calls of an instance-principal client share one federation.
#[test]
fn concurrent_first_calls_share_one_instance_federation() {
    <ocisdk_tests::Hyper as ocisdk_tests::NativeTransport>::block_on(
        ocisdk_tests::scenarios::concurrent_first_calls_share_one_federation(),
    );
}

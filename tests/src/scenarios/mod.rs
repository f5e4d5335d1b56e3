//! The scenarios: async functions panicking on the first failed assertion.
//! [`scenarios!`](crate::scenarios!) makes one test of each; a new scenario is added here and
//! to that macro's list.
//!
//! The portable ones (`e2e`, and `breadth` for what the emulator serves beyond the
//! walkthrough) take the [`ScenarioEnv`](crate::ScenarioEnv) they run in and need
//! nothing but the API, so they run on every transport, the browser's included. The fault
//! scenarios (native only) start their own in-process emulator with the faults they inject and
//! read its counters.

mod breadth;
mod e2e;
#[cfg(not(target_arch = "wasm32"))]
mod faults;
#[cfg(not(target_arch = "wasm32"))]
mod instance;
#[cfg(not(target_arch = "wasm32"))]
mod oke;
#[cfg(not(target_arch = "wasm32"))]
mod resource;
#[cfg(not(target_arch = "wasm32"))]
mod session;

pub use breadth::{
    EMULATOR_VAULT_ID, SCENARIO_SECRET, compartments_nest_and_stay_while_not_empty,
    copy_object_work_request, object_versions, pars_work_unsigned, rename_object, secret_bundles,
    uploaded_api_key_signs,
};
pub use e2e::{
    UNKNOWN_KEY_PEM, buckets_and_objects, bytes_limit, groups_users_memberships, length_mismatch,
    object_storage_pagination, pagination_across_pages, streamed_round_trip, unknown_region,
    walkthrough, walkthrough_without_faults, wrong_key_401,
};
#[cfg(not(target_arch = "wasm32"))]
pub use faults::{
    CREATES, READ_TIMEOUT, broken_response_bodies_are_retried, connection_refused_retried,
    fault_env, interrupted_one_shot_upload, interrupted_replayable_upload,
    lost_conditional_put_response, lost_create_bucket_response, lost_create_responses,
    lost_delete_response, retries_exhausted_within_budget, retry_after_is_waited_for, run_with,
    stalled_response_times_out, status_faults_are_retried,
};
#[cfg(not(target_arch = "wasm32"))]
pub use instance::{
    concurrent_first_calls_share_one_federation,
    instance_certificate_without_tenancy_is_a_clear_error, instance_principal_401_refederates_once,
    instance_principal_walkthrough_across_expiry, instance_principal_without_imds_is_a_clear_error,
};
#[cfg(not(target_arch = "wasm32"))]
pub use oke::{
    delegation_token_is_signed_on_every_principal, oke_401_refreshes_once,
    oke_missing_sa_token_file_names_the_path, oke_proxymux_over_tls_trusts_only_the_cluster_ca,
    oke_proxymux_refusal_is_a_typed_error,
    oke_sa_token_replaced_mid_run_is_used_by_the_next_refresh,
    oke_workload_identity_walkthrough_across_expiry,
};
#[cfg(not(target_arch = "wasm32"))]
pub use resource::{
    inline_resource_principal_token_expires, resource_principal_401_rereads_once,
    resource_principal_bad_variables_are_clear_errors,
    resource_principal_v11_bad_variables_are_clear_errors,
    resource_principal_v11_walkthrough_and_401, resource_principal_v21_walkthrough_and_401,
    resource_principal_walkthrough_and_rotation,
};
#[cfg(not(target_arch = "wasm32"))]
pub use session::{
    concurrent_calls_share_one_refresh, malformed_session_token_is_a_typed_error,
    one_shot_upload_is_never_started_with_a_due_token, revoked_session_token_refreshes_once,
    session_token_expires_mid_run,
};

/// The size of [`streamed_round_trip`]'s object in the suite: 64 MiB natively, 16 MiB in wasm
/// (a debug build in a browser tab, where the pattern and its MD5 are computed in wasm).
pub const STREAMED_BYTES: u64 = if cfg!(target_arch = "wasm32") {
    16 << 20
} else {
    64 << 20
};

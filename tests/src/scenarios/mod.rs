//! The scenarios: plain generic functions, each starting its own emulator(s) and panicking on
//! the first failed assertion. [`scenarios!`](crate::scenarios!) makes one `#[test]` of each;
//! a new scenario is added here and to that macro's list.

mod e2e;
mod faults;

pub use e2e::{
    buckets_and_objects, connection_refused_retried, groups_users_memberships, length_mismatch,
    pagination_across_empty_pages, streamed_64_mib, unknown_region, wrong_key_401,
};
pub use faults::{
    CREATES, READ_TIMEOUT, broken_response_bodies_are_retried, fault_env,
    interrupted_one_shot_upload, interrupted_replayable_upload, lost_create_responses,
    retries_exhausted_within_budget, retry_after_is_waited_for, run_with,
    stalled_response_times_out, status_faults_are_retried, walkthrough, walkthrough_without_faults,
};

//! Responses lost after the service applied the request, through `fetch`: CreateBucket (no
//! retry token in the API), a conditional PutObject (`if-none-match: *`) and DeleteBucket.
//! `tests/run.sh` starts the emulator for this file alone with `--fault
//! kind=commit-then-drop,op=CreateBucket,times=1` and the same on PutObject and DeleteBucket:
//! each is applied once, then its connection is closed before any response byte.
//!
//! Two things can happen in the host. Its `fetch` reports the failure, and the core retries
//! after an attempt it knows was lost; or the host re-sends the request by itself (Chromium does
//! for any method on a reused keep-alive connection) and the core sees only the second answer.
//! Either way the user is told the truth: a 409 or 412 says the earlier attempt may have
//! succeeded, and a DELETE is either the success it was (404, marked as after a lost response)
//! or a 404 that says the earlier attempt may have succeeded.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ocisdk_object_storage::{
    CreateBucket, CreateBucketDetails, DeleteBucket, DeleteObject, GetBucket, GetNamespace,
    GetObject, ListBuckets, ObjectStorageClient, PutObject,
};
use wasm_bindgen_test::wasm_bindgen_test;

mod common;
use common::client;

/// One test, so the three faults (each firing once) meet their calls in this order.
#[wasm_bindgen_test]
async fn lost_responses_are_reported_as_documented() {
    let client = client();
    assert!(
        client.context().unseen_resends(),
        "fetch may re-send unseen"
    );
    let os = ObjectStorageClient::new(client.clone());
    let ns = os.get_namespace(GetNamespace::new()).await.unwrap().data;
    let bucket = format!("wasm-lost-{}", (js_sys::Math::random() * 1e9) as u64);

    // CreateBucket: applied, answer lost; the second send meets the bucket it made.
    let err = os
        .create_bucket(CreateBucket::new(
            &ns,
            CreateBucketDetails::new(&bucket, client.tenancy()),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.status_u16(), Some(409), "{err}");
    assert_eq!(err.code(), Some("BucketAlreadyExists"), "{err}");
    assert!(err.earlier_attempt_may_have_succeeded(), "{err}");
    // Which of the two ways it went, for the log: the host's own re-send or our retry.
    wasm_bindgen_test::console_log!("lost CreateBucket: {err}");
    let buckets = os
        .list_buckets(ListBuckets::new(&ns, client.tenancy()))
        .await
        .unwrap()
        .data;
    assert_eq!(buckets.iter().filter(|b| b.name == bucket).count(), 1);

    // A conditional put: stored once, the second send meets it as 412.
    let body = b"only once".to_vec();
    let put = PutObject::new(&ns, &bucket, "once.txt", body.len() as u64).if_none_match("*");
    let err = os.put_object(put, body.clone()).await.unwrap_err();
    assert_eq!(err.status_u16(), Some(412), "{err}");
    assert!(err.earlier_attempt_may_have_succeeded(), "{err}");
    let got = os
        .get_object(GetObject::new(&ns, &bucket, "once.txt"))
        .await
        .unwrap()
        .body
        .bytes()
        .await
        .unwrap();
    assert_eq!(got, body);
    os.delete_object(DeleteObject::new(&ns, &bucket, "once.txt"))
        .await
        .unwrap();

    // DeleteBucket: deleted, answer lost.
    match os.delete_bucket(DeleteBucket::new(&ns, &bucket)).await {
        Ok(deleted) => {
            wasm_bindgen_test::console_log!("lost DeleteBucket: retried, a marked success");
            // fetch reported the loss; the retry's 404 is the success it was.
            assert_eq!(deleted.status.as_u16(), 404);
            assert!(deleted.after_lost_response.is_some());
        }
        Err(err) => {
            wasm_bindgen_test::console_log!("lost DeleteBucket: re-sent by the host: {err}");
            // The host re-sent it unseen: a 404 that says why it may be one.
            assert_eq!(err.status_u16(), Some(404), "{err}");
            assert!(err.earlier_attempt_may_have_succeeded(), "{err}");
        }
    }
    let gone = os
        .get_bucket(GetBucket::new(&ns, &bucket))
        .await
        .unwrap_err();
    assert!(gone.is_not_found(), "{gone}");
    assert!(!gone.earlier_attempt_may_have_succeeded(), "{gone}");
}

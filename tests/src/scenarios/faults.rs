//! The emulator's injected faults: transient faults never reach the user and nothing happens
//! twice. Native only: each scenario starts its own in-process emulator with the faults it
//! needs, and reads its counters.

use std::time::{Duration, Instant};

use ocisdk_core::error::{BodyError, TransportErrorKind};
use ocisdk_core::{Error, RetryPolicy};
use ocisdk_emulator::{Emulator, EmulatorConfig, Fault, FaultKind};
use ocisdk_object_storage::*;

use crate::env::ScenarioEnv;
use crate::native::{Env, fast_policy};
use crate::scenarios::walkthrough;
use crate::transport::{
    ClientOptions, Credentials, TestBody, Transport, md5, pattern, pattern_md5,
};

/// The operations that create something, each protected by an `opc-retry-token`.
pub const CREATES: [&str; 3] = ["CreateGroup", "CreateUser", "AddUserToGroup"];

/// The read timeout of the fault suites, except where a stall is to be noticed.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// An emulator with `page_size: 2` and `faults`, and a client with [`fast_policy`] and
/// `read_timeout`.
pub fn fault_env<T: Transport>(faults: Vec<Fault>, read_timeout: Duration) -> Env<T> {
    Env::start(
        EmulatorConfig {
            page_size: 2,
            faults,
            ..Default::default()
        },
        ClientOptions {
            retry_policy: Some(fast_policy()),
            read_timeout: Some(read_timeout),
            ..Default::default()
        },
    )
}

/// Runs the walkthrough with `faults`, returning how many fired and how long it took.
pub async fn run_with<T: Transport>(faults: Vec<Fault>, read_timeout: Duration) -> (u64, Duration) {
    let env = fault_env::<T>(faults, read_timeout);
    let started = Instant::now();
    walkthrough(&env).await;
    let took = started.elapsed();
    let stats = env.emulator.stats();
    eprintln!(
        "{}: faults fired {:?}, {} requests, {} connections, walkthrough took {took:?}",
        T::NAME,
        stats.fired_by_kind,
        stats.requests,
        stats.connections
    );
    (stats.faults_fired, took)
}

fn on_every_op(kind: FaultKind, seed: u64) -> Vec<Fault> {
    vec![Fault::new(kind).probability(0.25, seed)]
}

fn on_creates(kind: FaultKind) -> Vec<Fault> {
    CREATES
        .iter()
        .map(|op| Fault::new(kind.clone()).on(op).times(1))
        .collect()
}

/// 429, 500, 503 and 409 IncorrectState on a quarter of all requests are retried away.
pub async fn status_faults_are_retried<T: Transport>() {
    for kind in [
        FaultKind::too_many_requests(None),
        FaultKind::internal_error(),
        FaultKind::unavailable(),
        FaultKind::incorrect_state(),
    ] {
        let (fired, took) = run_with::<T>(on_every_op(kind.clone(), 7), READ_TIMEOUT).await;
        assert!(fired >= 3, "{kind:?} fired {fired} times");
        // Each of the ~30 calls waits at most 7 × 80 ms; far less in practice.
        assert!(took < Duration::from_secs(20), "{kind:?} took {took:?}");
    }
}

/// `retry-after` is waited for, even beyond the policy's own delays.
pub async fn retry_after_is_waited_for<T: Transport>() {
    let faults = vec![
        Fault::new(FaultKind::too_many_requests(Some(1)))
            .on("CreateGroup")
            .times(2),
    ];
    let (fired, took) = run_with::<T>(faults, READ_TIMEOUT).await;
    assert_eq!(fired, 2);
    assert!(
        took >= Duration::from_secs(2),
        "two retry-after: 1 waits: {took:?}"
    );
}

/// A create whose response is lost after it was applied (a 500, a dropped connection, a reset
/// or truncated body) is retried with its token: no duplicate, no conflict. Only the creates whose
/// API takes an `opc-retry-token` ([`CREATES`]); CreateBucket has none
/// ([`lost_create_bucket_response`]).
pub async fn lost_create_responses<T: Transport>() {
    for kind in [
        FaultKind::CommitThenStatus {
            status: 500,
            code: "InternalServerError".into(),
        },
        FaultKind::CommitThenDrop,
        FaultKind::ResetResponseBody,
        FaultKind::TruncateResponseBody,
    ] {
        let (fired, _) = run_with::<T>(on_creates(kind.clone()), READ_TIMEOUT).await;
        assert_eq!(fired, CREATES.len() as u64, "{kind:?}");
    }
}

/// CreateBucket takes no `opc-retry-token` in the API (nor does the emulator honour one there,
/// as the service does not): a response lost after the bucket was made is retried, and the retry
/// meets its own success as `409 BucketAlreadyExists` — what a client of the real service sees.
/// The bucket exists once.
pub async fn lost_create_bucket_response<T: Transport>() {
    let fault = Fault::new(FaultKind::CommitThenDrop)
        .on("CreateBucket")
        .times(1);
    let env = fault_env::<T>(vec![fault], READ_TIMEOUT);
    let ns = env.namespace().await;
    let name = env.name("lost-bucket");
    let create = CreateBucket::new(&ns, CreateBucketDetails::new(&name, env.tenancy()));
    let err = env.client().execute(create).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409), "{err}");
    assert_eq!(err.code(), Some("BucketAlreadyExists"), "{err}");
    assert!(err.earlier_attempt_may_have_succeeded(), "{err}");
    let buckets = env
        .client()
        .collect_all(ListBuckets::new(&ns, env.tenancy()), None)
        .await
        .unwrap();
    assert_eq!(buckets.iter().filter(|b| b.name == name).count(), 1);
    assert_eq!(env.emulator.stats().faults_fired, 1);
}

/// A DELETE whose response is lost after it was applied meets 404 on its retry: reported as
/// the success it was, marked as found after a lost response.
pub async fn lost_delete_response<T: Transport>() {
    let fault = Fault::new(FaultKind::CommitThenDrop)
        .on("DeleteBucket")
        .times(1);
    let env = fault_env::<T>(vec![fault], READ_TIMEOUT);
    let name = env.name("doomed");
    let ns = env.bucket(&name).await;
    let deleted = env
        .client()
        .execute(DeleteBucket::new(&ns, &name))
        .await
        .unwrap();
    assert_eq!(deleted.status.as_u16(), 404);
    assert!(deleted.after_lost_response.is_some());
    let gone = env
        .client()
        .execute(GetBucket::new(&ns, &name))
        .await
        .unwrap_err();
    assert_eq!(gone.status().map(|s| s.as_u16()), Some(404));
    assert!(!gone.earlier_attempt_may_have_succeeded());
}

/// A conditional PutObject (`if-none-match: *`) whose response is lost after it stored the
/// object meets 412 on its retry, and says the earlier attempt may have succeeded; the object
/// is there, once.
pub async fn lost_conditional_put_response<T: Transport>() {
    let fault = Fault::new(FaultKind::CommitThenDrop)
        .on("PutObject")
        .times(1);
    let (env, ns) = upload_env::<T>(fault).await;
    let body = b"only once".to_vec();
    let put = PutObject::new(&ns, "b", "once.txt", body.len() as u64).if_none_match("*");
    let err = env
        .client()
        .put_object(put, TestBody::Bytes(body.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(412), "{err}");
    assert!(err.earlier_attempt_may_have_succeeded(), "{err}");
    let got = env
        .client()
        .get_object_digest(GetObject::new(&ns, "b", "once.txt"))
        .await
        .unwrap();
    assert!(got.is(&body));
}

/// Response bodies reset or truncated on any request (object downloads included) are
/// retried.
pub async fn broken_response_bodies_are_retried<T: Transport>() {
    for kind in [
        FaultKind::ResetResponseBody,
        FaultKind::TruncateResponseBody,
    ] {
        let (fired, _) = run_with::<T>(on_every_op(kind.clone(), 11), READ_TIMEOUT).await;
        assert!(fired >= 3, "{kind:?} fired {fired}");
    }
}

/// A response that never comes is a read timeout, and is retried.
pub async fn stalled_response_times_out<T: Transport>() {
    let faults = vec![
        Fault::new(FaultKind::Stall {
            duration: Duration::from_millis(1500),
        })
        .on("GetNamespace")
        .times(1),
        Fault::new(FaultKind::Stall {
            duration: Duration::from_millis(1500),
        })
        .on("ListUsers")
        .times(1),
    ];
    let (fired, took) = run_with::<T>(faults, Duration::from_millis(300)).await;
    assert_eq!(fired, 2);
    assert!(
        took >= Duration::from_millis(600),
        "two read timeouts: {took:?}"
    );
}

/// An emulator with `fault` and a bucket `b`; returns the namespace too.
async fn upload_env<T: Transport>(fault: Fault) -> (Env<T>, String) {
    let env = fault_env::<T>(vec![fault], READ_TIMEOUT);
    let ns = env.bucket("b").await;
    (env, ns)
}

/// A one-shot upload cut off mid-body is not sent again: a typed `NotReplayable` carrying the
/// real failure, one request, and no partial object.
pub async fn interrupted_one_shot_upload<T: Transport>() {
    let (env, ns) = upload_env::<T>(
        Fault::new(FaultKind::ResetRequestBody)
            .on("PutObject")
            .times(1),
    )
    .await;
    let c = &env.client;
    let len = 1 << 20;
    let err = c
        .put_object(
            PutObject::new(&ns, "b", "pipe.bin", len),
            TestBody::OneShotPattern { len, seed: 42 },
        )
        .await
        .unwrap_err();
    match &err {
        Error::Body(BodyError::NotReplayable {
            operation,
            first_failure,
            last,
        }) => {
            assert_eq!(*operation, "PutObject");
            // The failure itself travels with it, not only its text.
            assert!(
                matches!(last.as_deref(), Some(Error::Transport(_))),
                "{last:?}"
            );
            // The real failure of the one attempt, not a generic refusal.
            assert!(
                !first_failure.contains("earlier attempt"),
                "{first_failure}"
            );
            assert!(first_failure.contains("PUT"), "{first_failure}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(env.emulator.stats().operation("PutObject"), 1, "sent once");
    let head = c
        .execute(HeadObject::new(&ns, "b", "pipe.bin"))
        .await
        .unwrap_err();
    assert_eq!(
        head.status().map(|s| s.as_u16()),
        Some(404),
        "no partial object"
    );
}

/// Replayable uploads (bytes, a file, a regenerated stream) cut off mid-body are sent again
/// whole: the stored bytes and checksums are right.
pub async fn interrupted_replayable_upload<T: Transport>() {
    let (env, ns) = upload_env::<T>(
        Fault::new(FaultKind::ResetRequestBody)
            .on("PutObject")
            .times(3),
    )
    .await;
    let c = &env.client;
    let len: u64 = 3 << 20;
    let body = pattern(len, 0);

    // From bytes in memory.
    c.put_object(
        PutObject::new(&ns, "b", "bytes.bin", len),
        TestBody::Bytes(body.clone()),
    )
    .await
    .unwrap();
    // From a file, which seeks back for the retry.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.bin");
    std::fs::write(&path, &body).unwrap();
    c.put_object(
        PutObject::new(&ns, "b", "file.bin", len),
        TestBody::File(path),
    )
    .await
    .unwrap();
    // From a stream made again for the retry.
    c.put_object(
        PutObject::new(&ns, "b", "stream.bin", len),
        TestBody::ReplayablePattern { len, seed: 5 },
    )
    .await
    .unwrap();
    assert_eq!(env.emulator.stats().faults_fired, 3);
    assert_eq!(env.emulator.stats().operation("PutObject"), 6);

    for (name, want_md5) in [
        ("bytes.bin", md5(&body)),
        ("file.bin", md5(&body)),
        ("stream.bin", pattern_md5(len, 5)),
    ] {
        let got = c
            .get_object_digest(GetObject::new(&ns, "b", name))
            .await
            .unwrap();
        assert_eq!(got.len, len, "{name}");
        assert_eq!(got.md5, want_md5, "{name}");
        let want = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(want_md5)
        };
        assert_eq!(
            got.meta.data.content_md5.as_deref(),
            Some(want.as_str()),
            "{name}"
        );
    }
}

/// When every attempt fails, the error says how many were made and what the last failure was,
/// and the waits stay within the policy's budget.
pub async fn retries_exhausted_within_budget<T: Transport>() {
    let policy = RetryPolicy {
        max_attempts: 4,
        ..fast_policy()
    };
    let env = fault_env::<T>(
        vec![Fault::new(FaultKind::unavailable()).on("GetNamespace")],
        READ_TIMEOUT,
    );
    let started = Instant::now();
    let err = env
        .client
        .with_retry_policy(policy)
        .execute(GetNamespace::new())
        .await
        .unwrap_err();
    let took = started.elapsed();
    match &err {
        Error::RetriesExhausted { attempts, last, .. } => {
            assert_eq!(*attempts, 4);
            assert_eq!(last.code(), Some("ServiceUnavailable"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(env.emulator.stats().operation("GetNamespace"), 4);
    // Waits of 10, 20 and 40 ms plus jitter: at least 70 ms, and well under a second.
    assert!(
        took >= Duration::from_millis(70) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

/// A refused connection is retried with backoff, then reported as the last failure; with
/// retries off it is the bare, retryable transport error.
pub async fn connection_refused_retried<T: Transport>() {
    let emulator = Emulator::start().unwrap();
    let url = emulator.url().to_string();
    let credentials = Credentials {
        config_text: emulator.config_text("key.pem"),
        key_pem: emulator.private_key_pem().to_string(),
    };
    drop(emulator);
    let policy = RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_jitter: Duration::from_millis(5),
        ..RetryPolicy::default()
    };
    let client = T::connect(
        &credentials,
        &ClientOptions {
            endpoint: Some(url),
            retry_policy: Some(policy),
            ..Default::default()
        },
    )
    .unwrap();
    let started = Instant::now();
    let err = client.execute(GetNamespace::new()).await.unwrap_err();
    let took = started.elapsed();
    match &err {
        Error::RetriesExhausted { attempts, last, .. } => {
            assert_eq!(*attempts, 8);
            assert!(
                matches!(**last, Error::Transport(ref t) if t.kind == TransportErrorKind::Connect),
                "{last:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Seven waits of 5, 10, 20, 40, 40, 40, 40 ms (jitter inside the 40 ms cap) at least.
    assert!(took >= Duration::from_millis(190), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");

    // Per call, retries can be switched off: one attempt, the bare transport error.
    let err = client
        .with_retry_policy(RetryPolicy::disabled())
        .execute(GetNamespace::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport(ref t) if t.kind == TransportErrorKind::Connect),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

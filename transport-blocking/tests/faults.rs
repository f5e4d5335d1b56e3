//! The blocking client against the emulator's injected faults: transient faults never reach the
//! user and nothing happens twice.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Read;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};
use ocisdk_blocking::{Client, UploadBody};
use ocisdk_core::error::BodyError;
use ocisdk_core::identity::*;
use ocisdk_core::object_storage::*;
use ocisdk_core::{Error, RetryPolicy};
use ocisdk_emulator::{Emulator, EmulatorConfig, Fault, FaultKind};

/// Fast backoff so the suite stays quick; the policy's shape is the default one.
fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(80),
        max_jitter: Duration::from_millis(10),
        ..RetryPolicy::default()
    }
}

struct Env {
    emulator: Emulator,
    _dir: tempfile::TempDir,
    client: Client,
}

fn env(faults: Vec<Fault>, read_timeout: Duration) -> Env {
    let emulator = Emulator::start_with(EmulatorConfig {
        page_size: 2,
        faults,
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = emulator.write_config(dir.path()).unwrap();
    let client = Client::builder_from_config_file(Some(&path), None)
        .unwrap()
        .endpoint(emulator.url())
        .retry_policy(fast_policy())
        .read_timeout(read_timeout)
        .build()
        .unwrap();
    Env {
        emulator,
        _dir: dir,
        client,
    }
}

const CREATES: [&str; 4] = [
    "CreateGroup",
    "CreateUser",
    "AddUserToGroup",
    "CreateBucket",
];

/// The quickstart walkthrough, checking through the API after every create that each thing
/// exists exactly once, and at the end that everything is gone.
fn walkthrough(client: &Client) {
    let id = client.identity();
    let os = client.object_storage();
    let tenancy = client.tenancy().to_string();

    let group = id
        .create_group(CreateGroup::new(&tenancy, "fault-group", "g"))
        .unwrap()
        .data;
    let mut users = Vec::new();
    for i in 0..3 {
        users.push(
            id.create_user(CreateUser::new(&tenancy, format!("fault-user-{i}"), "u"))
                .unwrap()
                .data,
        );
    }
    let membership = id
        .add_user_to_group(AddUserToGroup::new(&users[0].id, &group.id))
        .unwrap()
        .data;

    let groups: Vec<Group> = id
        .paginate(ListGroups::new(&tenancy))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(groups.iter().filter(|g| g.name == "fault-group").count(), 1);
    let listed: Vec<User> = id
        .paginate(ListUsers::new(&tenancy))
        .collect::<Result<_, _>>()
        .unwrap();
    for u in &users {
        assert_eq!(
            listed.iter().filter(|l| l.name == u.name).count(),
            1,
            "{}",
            u.name
        );
    }
    let mut list = ListUserGroupMemberships::new(&tenancy);
    list.group_id = Some(group.id.clone());
    let memberships: Vec<_> = id.paginate(list).collect::<Result<_, _>>().unwrap();
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].id, membership.id);

    id.remove_user_from_group(RemoveUserFromGroup::new(&membership.id))
        .unwrap();
    for u in &users {
        id.delete_user(DeleteUser::new(&u.id)).unwrap();
    }
    id.delete_group(DeleteGroup::new(&group.id)).unwrap();

    let ns = os.get_namespace(GetNamespace::new()).unwrap().data;
    os.create_bucket(CreateBucket::new(&ns, "fault-bucket", &tenancy))
        .unwrap();
    let buckets: Vec<_> = os
        .paginate(ListBuckets::new(&ns, &tenancy))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        buckets.iter().filter(|b| b.name == "fault-bucket").count(),
        1
    );
    let body: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    os.put_object(
        PutObject::new(&ns, "fault-bucket", "data.bin", body.len() as u64),
        &body[..],
    )
    .unwrap();
    let mut got = os
        .get_object(GetObject::new(&ns, "fault-bucket", "data.bin"))
        .unwrap();
    let mut back = Vec::new();
    got.read_to_end(&mut back).unwrap();
    assert_eq!(Md5::digest(&back), Md5::digest(&body));
    let objects: Vec<_> = os
        .paginate(ListObjects::new(&ns, "fault-bucket"))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(objects.len(), 1);
    os.delete_object(DeleteObject::new(&ns, "fault-bucket", "data.bin"))
        .unwrap();
    os.delete_bucket(DeleteBucket::new(&ns, "fault-bucket"))
        .unwrap();

    let users_left: Vec<User> = id
        .paginate(ListUsers::new(&tenancy))
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(users_left.iter().all(|u| !u.name.starts_with("fault-user")));
}

/// Runs the walkthrough with `faults`, returning how many fired and how long it took.
fn run_with(faults: Vec<Fault>, read_timeout: Duration) -> (u64, Duration) {
    let env = env(faults, read_timeout);
    let started = Instant::now();
    walkthrough(&env.client);
    let took = started.elapsed();
    let stats = env.emulator.stats();
    eprintln!(
        "faults fired {:?}, {} requests, {} connections, walkthrough took {took:?}",
        stats.fired_by_kind, stats.requests, stats.connections
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

const READ_TIMEOUT: Duration = Duration::from_secs(5);

#[test]
fn status_faults_are_retried() {
    for kind in [
        FaultKind::too_many_requests(None),
        FaultKind::internal_error(),
        FaultKind::unavailable(),
        FaultKind::incorrect_state(),
    ] {
        let (fired, took) = run_with(on_every_op(kind.clone(), 7), READ_TIMEOUT);
        assert!(fired >= 3, "{kind:?} fired {fired} times");
        // Each of the ~30 calls waits at most 7 × 80 ms; far less in practice.
        assert!(took < Duration::from_secs(20), "{kind:?} took {took:?}");
    }
}

#[test]
fn retry_after_is_waited_for() {
    let faults = vec![
        Fault::new(FaultKind::too_many_requests(Some(1)))
            .on("CreateGroup")
            .times(2),
    ];
    let (fired, took) = run_with(faults, READ_TIMEOUT);
    assert_eq!(fired, 2);
    assert!(
        took >= Duration::from_secs(2),
        "two retry-after: 1 waits: {took:?}"
    );
}

#[test]
fn a_lost_create_response_neither_duplicates_nor_conflicts() {
    for kind in [
        FaultKind::CommitThenStatus {
            status: 500,
            code: "InternalServerError".into(),
        },
        FaultKind::CommitThenDrop,
        FaultKind::ResetResponseBody,
        FaultKind::TruncateResponseBody,
    ] {
        let (fired, _) = run_with(on_creates(kind.clone()), READ_TIMEOUT);
        assert_eq!(fired, CREATES.len() as u64, "{kind:?}");
    }
}

#[test]
fn broken_response_bodies_on_reads_are_retried() {
    for kind in [
        FaultKind::ResetResponseBody,
        FaultKind::TruncateResponseBody,
    ] {
        let (fired, _) = run_with(on_every_op(kind.clone(), 11), READ_TIMEOUT);
        assert!(fired >= 3, "{kind:?} fired {fired}");
    }
}

#[test]
fn a_stalled_response_times_out_and_is_retried() {
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
    let (fired, took) = run_with(faults, Duration::from_millis(300));
    assert_eq!(fired, 2);
    assert!(
        took >= Duration::from_millis(600),
        "two read timeouts: {took:?}"
    );
}

fn upload_env(fault: Fault) -> (Env, String) {
    let env = env(vec![fault], READ_TIMEOUT);
    let os = env.client.object_storage();
    let ns = os.get_namespace(GetNamespace::new()).unwrap().data;
    os.create_bucket(CreateBucket::new(&ns, "b", env.client.tenancy()))
        .unwrap();
    (env, ns)
}

#[test]
fn an_interrupted_one_shot_upload_fails_typed_and_stores_nothing() {
    let (env, ns) = upload_env(
        Fault::new(FaultKind::ResetRequestBody)
            .on("PutObject")
            .times(1),
    );
    let os = env.client.object_storage();
    let body = vec![42u8; 1 << 20];
    let err = os
        .put_object(
            PutObject::new(&ns, "b", "pipe.bin", body.len() as u64),
            UploadBody::from_reader(&body[..]),
        )
        .unwrap_err();
    match &err {
        Error::Body(BodyError::NotReplayable {
            operation,
            first_failure,
        }) => {
            assert_eq!(*operation, "PutObject");
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
    let head = os
        .head_object(HeadObject::new(&ns, "b", "pipe.bin"))
        .unwrap_err();
    assert_eq!(
        head.status().map(|s| s.as_u16()),
        Some(404),
        "no partial object"
    );
}

#[test]
fn an_interrupted_replayable_upload_is_retried_with_the_right_bytes() {
    let (env, ns) = upload_env(
        Fault::new(FaultKind::ResetRequestBody)
            .on("PutObject")
            .times(2),
    );
    let os = env.client.object_storage();
    let body: Vec<u8> = (0..(3u32 << 20)).map(|i| (i % 253) as u8).collect();

    // From a slice.
    os.put_object(
        PutObject::new(&ns, "b", "slice.bin", body.len() as u64),
        &body[..],
    )
    .unwrap();
    // From a file, which seeks back for the retry.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.bin");
    std::fs::write(&path, &body).unwrap();
    os.put_object(
        PutObject::new(&ns, "b", "file.bin", body.len() as u64),
        std::fs::File::open(&path).unwrap(),
    )
    .unwrap();
    assert_eq!(env.emulator.stats().faults_fired, 2);

    for name in ["slice.bin", "file.bin"] {
        let mut got = os.get_object(GetObject::new(&ns, "b", name)).unwrap();
        let mut back = Vec::new();
        got.read_to_end(&mut back).unwrap();
        assert_eq!(Md5::digest(&back), Md5::digest(&body), "{name}");
        let put_md5 = got.meta.data.content_md5.clone();
        assert_eq!(put_md5.as_deref(), Some(content_md5(&body).as_str()));
    }
}

#[test]
fn exhausted_retries_report_the_last_failure_within_the_budget() {
    let policy = RetryPolicy {
        max_attempts: 4,
        ..fast_policy()
    };
    let env = env(
        vec![Fault::new(FaultKind::unavailable()).on("GetNamespace")],
        READ_TIMEOUT,
    );
    let started = Instant::now();
    let err = env
        .client
        .with_retry_policy(policy)
        .object_storage()
        .get_namespace(GetNamespace::new())
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

//! The async client against the real emulator over loopback, for every operation.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use ocisdk_core::Error;
use ocisdk_core::RetryPolicy;
use ocisdk_core::error::{BodyError, TransportErrorKind};
use ocisdk_core::identity::*;
use ocisdk_core::object_storage::*;
use ocisdk_emulator::{Emulator, EmulatorConfig};
use ocisdk_hyper::{Client, UploadBody};
use tokio::io::AsyncReadExt;

struct Env {
    emulator: Emulator,
    _dir: tempfile::TempDir,
    client: Client,
}

fn env_with(config: EmulatorConfig) -> Env {
    let emulator = Emulator::start_with(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = emulator.write_config(dir.path()).unwrap();
    let client = Client::builder_from_config_file(Some(&path), None)
        .unwrap()
        .endpoint(emulator.url())
        .build()
        .unwrap();
    Env {
        emulator,
        _dir: dir,
        client,
    }
}

fn env() -> Env {
    env_with(EmulatorConfig::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_users_memberships_end_to_end() {
    let env = env();
    let id = env.client.identity();
    let tenancy = env.client.tenancy().to_string();
    assert_eq!(tenancy, env.emulator.tenancy_id());

    let group = id
        .create_group(CreateGroup::new(&tenancy, "g-admins", "admins"))
        .await
        .unwrap();
    assert_eq!(group.status, 200);
    assert_eq!(group.data.name, "g-admins");
    assert_eq!(group.data.compartment_id, tenancy);
    assert_eq!(group.data.lifecycle_state, LifecycleState::Active);
    assert!(group.opc_request_id.is_some());
    assert!(group.etag.is_some());

    let fetched = id.get_group(GetGroup::new(&group.data.id)).await.unwrap();
    assert_eq!(fetched.data, group.data);

    let mut details = UpdateGroupDetails {
        description: Some("changed".into()),
        ..Default::default()
    };
    details.freeform_tags = Some([("team".to_string(), "core".to_string())].into());
    let updated = id
        .update_group(UpdateGroup::new(&group.data.id, details))
        .await
        .unwrap();
    assert_eq!(updated.data.description, "changed");
    assert_eq!(updated.data.freeform_tags.as_ref().unwrap()["team"], "core");

    // Names are unique in the tenancy.
    let dup = id
        .create_group(CreateGroup::new(&tenancy, "g-admins", "again"))
        .await
        .unwrap_err();
    assert_eq!(dup.status().map(|s| s.as_u16()), Some(409), "{dup}");

    let mut create_user = CreateUser::new(&tenancy, "alice", "Alice");
    create_user.create_user_details.email = Some("alice@example.com".into());
    let user = id.create_user(create_user).await.unwrap();
    assert_eq!(user.data.email.as_deref(), Some("alice@example.com"));
    let got = id.get_user(GetUser::new(&user.data.id)).await.unwrap();
    assert_eq!(got.data.id, user.data.id);
    let upd = id
        .update_user(UpdateUser::new(
            &user.data.id,
            UpdateUserDetails {
                description: Some("Alice B.".into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    assert_eq!(upd.data.description, "Alice B.");

    let m = id
        .add_user_to_group(AddUserToGroup::new(&user.data.id, &group.data.id))
        .await
        .unwrap();
    assert_eq!(m.data.user_id, user.data.id);
    assert_eq!(m.data.group_id, group.data.id);
    let got = id
        .get_user_group_membership(GetUserGroupMembership::new(&m.data.id))
        .await
        .unwrap();
    assert_eq!(got.data.id, m.data.id);

    let mut list = ListUserGroupMemberships::new(&tenancy);
    list.group_id = Some(group.data.id.clone());
    let memberships: Vec<_> = id.paginate(list).try_collect().await.unwrap();
    assert_eq!(memberships.len(), 1);

    // Neither side of a membership can be deleted.
    let err = id
        .delete_user(DeleteUser::new(&user.data.id))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409), "{err}");
    let err = id
        .delete_group(DeleteGroup::new(&group.data.id))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409), "{err}");

    let r = id
        .remove_user_from_group(RemoveUserFromGroup::new(&m.data.id))
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    let r = id
        .delete_user(DeleteUser::new(&user.data.id))
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    let r = id
        .delete_group(DeleteGroup::new(&group.data.id))
        .await
        .unwrap();
    assert_eq!(r.status, 204);

    let gone = id
        .get_group(GetGroup::new(&group.data.id))
        .await
        .unwrap_err();
    let service = gone.as_service().expect("a service error");
    assert_eq!(service.status.as_u16(), 404);
    assert_eq!(service.code, "NotAuthorizedOrNotFound");
    assert_eq!(service.operation, "GetGroup");
    assert!(service.opc_request_id.is_some());
    assert!(service.endpoint.contains(&group.data.id));
    assert!(!gone.is_retryable());

    // One list page by hand, too.
    let groups = id.list_groups(ListGroups::new(&tenancy)).await.unwrap();
    assert!(groups.data.is_empty(), "{:?}", groups.data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_crosses_pages_and_empty_pages() {
    let env = env_with(EmulatorConfig {
        page_size: 2,
        empty_pages: true,
        ..Default::default()
    });
    let id = env.client.identity();
    let tenancy = env.client.tenancy().to_string();
    let mut created = Vec::new();
    for i in 0..7 {
        let u = id
            .create_user(CreateUser::new(&tenancy, format!("user-{i}"), ""))
            .await
            .unwrap();
        created.push(u.data.id);
    }
    let all: Vec<User> = id
        .paginate(ListUsers::new(&tenancy))
        .try_collect()
        .await
        .unwrap();
    let mut ids: Vec<_> = all.iter().map(|u| u.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "no duplicates across pages");
    for c in &created {
        assert!(ids.contains(c), "user {c} missing from the paginated list");
    }

    let pages: Vec<_> = id
        .pages(ListUsers::new(&tenancy))
        .try_collect()
        .await
        .unwrap();
    assert!(
        pages
            .iter()
            .any(|p| p.data.is_empty() && p.next_page.is_some()),
        "the emulator served an empty page with a token, and it was followed"
    );
    assert_eq!(pages.iter().map(|p| p.data.len()).sum::<usize>(), all.len());
    assert!(pages.last().unwrap().next_page.is_none());

    let first3: Vec<_> = id
        .paginate(ListUsers::new(&tenancy))
        .max_records(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first3.len(), 3);
    assert_eq!(
        first3.iter().map(|u| &u.id).collect::<Vec<_>>(),
        all.iter().take(3).map(|u| &u.id).collect::<Vec<_>>()
    );

    let capped: Vec<_> = id
        .pages(ListUsers::new(&tenancy))
        .max_records(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(capped.iter().map(|p| p.data.len()).sum::<usize>(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_and_objects_end_to_end() {
    let env = env_with(EmulatorConfig {
        page_size: 3,
        ..Default::default()
    });
    let os = env.client.object_storage();
    let tenancy = env.client.tenancy().to_string();
    let ns = os.get_namespace(GetNamespace::new()).await.unwrap().data;
    assert_eq!(ns, env.emulator.namespace());

    for b in ["b-one", "b-two", "b-three", "b-four"] {
        let created = os
            .create_bucket(CreateBucket::new(&ns, b, &tenancy))
            .await
            .unwrap();
        assert_eq!(created.data.name, b);
        assert_eq!(created.data.namespace, ns);
    }
    let dup = os
        .create_bucket(CreateBucket::new(&ns, "b-one", &tenancy))
        .await
        .unwrap_err();
    assert_eq!(dup.status().map(|s| s.as_u16()), Some(409));
    let got = os.get_bucket(GetBucket::new(&ns, "b-two")).await.unwrap();
    assert_eq!(got.data.name, "b-two");
    let buckets: Vec<_> = os
        .paginate(ListBuckets::new(&ns, &tenancy))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(buckets.len(), 4);

    let names = [
        "plain.txt",
        "dir/sub/file.bin",
        "with space + plus (1).txt",
        "ünïcödé/ключ.txt",
        "a%20literal%2Fpercent",
        "z-last",
        "dir/another",
    ];
    for (i, name) in names.iter().enumerate() {
        let body = format!("body of {name} #{i}").into_bytes();
        let mut put = PutObject::new(&ns, "b-one", *name, body.len() as u64);
        put.content_type = Some("text/plain".into());
        put.opc_meta.insert("index".into(), i.to_string());
        let out = os.put_object(put, body.clone()).await.unwrap();
        assert!(out.data.etag.is_some());
        let want_md5 = base64_md5(&body);
        assert_eq!(out.data.opc_content_md5.as_deref(), Some(want_md5.as_str()));

        let got = os
            .get_object(GetObject::new(&ns, "b-one", *name))
            .await
            .unwrap();
        assert_eq!(got.meta.data.content_length, Some(body.len() as u64));
        assert_eq!(got.meta.data.content_type.as_deref(), Some("text/plain"));
        assert_eq!(got.meta.data.opc_meta.get("index"), Some(&i.to_string()));
        assert_eq!(got.bytes().await.unwrap(), body, "round trip of {name:?}");

        let head = os
            .head_object(HeadObject::new(&ns, "b-one", *name))
            .await
            .unwrap();
        assert_eq!(head.data.content_length, Some(body.len() as u64));
        assert_eq!(head.data.content_md5.as_deref(), Some(want_md5.as_str()));
    }

    let mut listed: Vec<String> = os
        .paginate(ListObjects::new(&ns, "b-one"))
        .map_ok(|o| o.name)
        .try_collect()
        .await
        .unwrap();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    listed.sort();
    assert_eq!(listed, want);

    let mut prefixed = ListObjects::new(&ns, "b-one");
    prefixed.prefix = Some("dir/".into());
    let dir: Vec<_> = os
        .paginate(prefixed)
        .map(|o| o.unwrap().name)
        .collect()
        .await;
    assert_eq!(dir, vec!["dir/another", "dir/sub/file.bin"]);

    // One page by hand: ListObjects' own token style.
    let page = os
        .list_objects(ListObjects::new(&ns, "b-one"))
        .await
        .unwrap();
    assert_eq!(page.data.objects.len(), 3);
    assert!(page.next_page.is_some());

    // The body as an AsyncRead.
    let got = os
        .get_object(GetObject::new(&ns, "b-one", "z-last"))
        .await
        .unwrap();
    let mut text = String::new();
    got.into_async_read()
        .read_to_string(&mut text)
        .await
        .unwrap();
    assert_eq!(text, "body of z-last #5");

    let err = os
        .delete_bucket(DeleteBucket::new(&ns, "b-one"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("BucketNotEmpty"), "{err}");
    for name in names {
        let r = os
            .delete_object(DeleteObject::new(&ns, "b-one", name))
            .await
            .unwrap();
        assert_eq!(r.status, 204);
    }
    let missing = os
        .get_object(GetObject::new(&ns, "b-one", "plain.txt"))
        .await
        .unwrap_err();
    assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
    let r = os
        .delete_bucket(DeleteBucket::new(&ns, "b-one"))
        .await
        .unwrap();
    assert_eq!(r.status, 204);
}

fn base64_md5(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(bytes))
}

/// Deterministic bytes, generated as read in 64 KiB chunks: the test never holds the object in
/// memory.
fn pattern(size: u64) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    const CHUNK: u64 = 64 * 1024;
    futures_util::stream::unfold(0u64, move |pos| async move {
        if pos >= size {
            return None;
        }
        let n = CHUNK.min(size - pos);
        let chunk: Vec<u8> = (pos..pos + n)
            .map(|p| (p.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        Some((Ok(Bytes::from(chunk)), pos + n))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_64_mib_put_and_get() {
    const SIZE: u64 = 64 * 1024 * 1024;
    let env = env();
    let os = env.client.object_storage();
    let tenancy = env.client.tenancy().to_string();
    let ns = os.get_namespace(GetNamespace::new()).await.unwrap().data;
    os.create_bucket(CreateBucket::new(&ns, "big", &tenancy))
        .await
        .unwrap();

    let mut want = Md5::new();
    let mut src = Box::pin(pattern(SIZE));
    while let Some(chunk) = src.next().await {
        want.update(chunk.unwrap());
    }
    let want = want.finalize();

    let put = os
        .put_object(
            PutObject::new(&ns, "big", "blob.bin", SIZE),
            UploadBody::from_stream(pattern(SIZE)),
        )
        .await
        .unwrap();
    assert!(put.data.etag.is_some());

    let mut got = os
        .get_object(GetObject::new(&ns, "big", "blob.bin"))
        .await
        .unwrap();
    assert_eq!(got.meta.data.content_length, Some(SIZE));
    let mut md5 = Md5::new();
    let mut total = 0u64;
    let mut largest = 0usize;
    while let Some(chunk) = got.body.next().await {
        let chunk = chunk.unwrap();
        total += chunk.len() as u64;
        largest = largest.max(chunk.len());
        md5.update(&chunk);
    }
    assert_eq!(total, SIZE);
    assert_eq!(md5.finalize(), want);
    assert!(largest < 4 << 20, "chunks arrive as they come, not whole");

    // The same object again from a file, which is replayable.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blob.bin");
    let mut file = tokio::fs::File::create(&path).await.unwrap();
    let mut src = Box::pin(pattern(SIZE));
    while let Some(chunk) = src.next().await {
        tokio::io::AsyncWriteExt::write_all(&mut file, &chunk.unwrap())
            .await
            .unwrap();
    }
    drop(file);
    let file = tokio::fs::File::open(&path).await.unwrap();
    let body = UploadBody::from(file);
    assert!(body.is_replayable());
    os.put_object(PutObject::new(&ns, "big", "from-file.bin", SIZE), body)
        .await
        .unwrap();
    let head = os
        .head_object(HeadObject::new(&ns, "big", "from-file.bin"))
        .await
        .unwrap();
    assert_eq!(head.data.content_length, Some(SIZE));
    let mut file_copy = tokio::fs::File::create(dir.path().join("copy.bin"))
        .await
        .unwrap();
    let got = os
        .get_object(GetObject::new(&ns, "big", "from-file.bin"))
        .await
        .unwrap();
    let copied = tokio::io::copy(&mut got.into_async_read(), &mut file_copy)
        .await
        .unwrap();
    assert_eq!(copied, SIZE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_body_shorter_or_longer_than_declared_is_a_typed_error() {
    let env = env();
    let os = env.client.object_storage();
    let tenancy = env.client.tenancy().to_string();
    let ns = os.get_namespace(GetNamespace::new()).await.unwrap().data;
    os.create_bucket(CreateBucket::new(&ns, "b", &tenancy))
        .await
        .unwrap();

    let err = os
        .put_object(PutObject::new(&ns, "b", "short", 10), &b"12345"[..])
        .await
        .unwrap_err();
    match err {
        Error::Body(BodyError::LengthMismatch {
            declared, actual, ..
        }) => {
            assert_eq!(declared, 10);
            assert_eq!(actual, 5);
        }
        other => panic!("expected a length mismatch, got {other:?}"),
    }
    let err = os
        .put_object(PutObject::new(&ns, "b", "long", 3), &b"12345"[..])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Body(BodyError::LengthMismatch { declared: 3, .. })
        ),
        "{err:?}"
    );
    // A stream whose surplus comes in a later chunk, after exactly the declared length.
    let chunks = vec![
        Ok(Bytes::from_static(b"abc")),
        Ok(Bytes::from_static(b"def")),
        Ok(Bytes::from_static(b"!")),
    ];
    let err = os
        .put_object(
            PutObject::new(&ns, "b", "long-stream", 6),
            UploadBody::from_stream(futures_util::stream::iter(chunks)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Body(BodyError::LengthMismatch {
                declared: 6,
                actual: 7,
                ..
            })
        ),
        "{err:?}"
    );
    // A reader that fails is a body error, not a transport one, and not retried.
    let failing = futures_util::stream::iter(vec![
        Ok(Bytes::from_static(b"abc")),
        Err(io::Error::other("disk on fire")),
    ]);
    let err = os
        .put_object(
            PutObject::new(&ns, "b", "failing", 6),
            UploadBody::from_stream(failing),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Body(BodyError::Read { reason, .. }) if reason.contains("disk on fire")),
        "{err:?}"
    );
    assert!(
        env.emulator.stats().operation("PutObject") <= 4,
        "no attempt was repeated"
    );
    // None left an object behind.
    let objects: Vec<_> = os
        .paginate(ListObjects::new(&ns, "b"))
        .try_collect()
        .await
        .unwrap();
    assert!(objects.is_empty(), "{objects:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_is_rejected_with_not_authenticated() {
    let env = env();
    let other = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = other.write_config(dir.path()).unwrap();
    // Credentials of another emulator's tenancy, sent to this one.
    let client = Client::builder_from_config_file(Some(&path), None)
        .unwrap()
        .endpoint(env.emulator.url())
        .build()
        .unwrap();
    let err = client
        .object_storage()
        .get_namespace(GetNamespace::new())
        .await
        .unwrap_err();
    let s = err.as_service().expect("service error");
    assert_eq!(s.status.as_u16(), 401);
    assert_eq!(s.code, "NotAuthenticated");
    assert!(!s.message.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_is_retried_then_reported_with_the_last_failure() {
    let env = env();
    let url = env.emulator.url().to_string();
    let dir = tempfile::tempdir().unwrap();
    let path = env.emulator.write_config(dir.path()).unwrap();
    drop(env);
    let policy = RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_jitter: Duration::from_millis(5),
        ..RetryPolicy::default()
    };
    let client = Client::builder_from_config_file(Some(&path), None)
        .unwrap()
        .endpoint(&url)
        .retry_policy(policy)
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .object_storage()
        .get_namespace(GetNamespace::new())
        .await
        .unwrap_err();
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
        .object_storage()
        .get_namespace(GetNamespace::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
}

/// 256 tasks share one client: every call succeeds, nothing is created twice, and the
/// connections are pooled. Measured on 2 cores: 1024 requests over 32 to 39 connections with at
/// most 32 requests in flight. Without `max_concurrent_requests` the same run opened 308 and 321
/// connections: hyper-util's pool bounds idle connections, not open ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_share_one_pooled_client() {
    const TASKS: usize = 256;
    const MAX_IN_FLIGHT: usize = 32;
    let emulator = Emulator::start_with(EmulatorConfig {
        page_size: 100,
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = emulator.write_config(dir.path()).unwrap();
    let client = Client::builder_from_config_file(Some(&path), None)
        .unwrap()
        .endpoint(emulator.url())
        .max_concurrent_requests(MAX_IN_FLIGHT)
        .pool_max_idle_per_host(MAX_IN_FLIGHT)
        .build()
        .unwrap();
    let tenancy = client.tenancy().to_string();
    let os = client.object_storage();
    let ns = os.get_namespace(GetNamespace::new()).await.unwrap().data;
    os.create_bucket(CreateBucket::new(&ns, "shared", &tenancy))
        .await
        .unwrap();
    emulator.reset_stats();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..TASKS {
        let client = client.clone();
        let tenancy = tenancy.clone();
        let ns = ns.clone();
        tasks.push(tokio::spawn(async move {
            let id = client.identity();
            let user = id
                .create_user(CreateUser::new(&tenancy, format!("task-user-{i}"), "t"))
                .await?;
            let got = id.get_user(GetUser::new(&user.data.id)).await?;
            assert_eq!(got.data.name, format!("task-user-{i}"));
            if i % 2 == 0 {
                let os = client.object_storage();
                let body = format!("object of task {i}");
                let name = format!("task-{i}.txt");
                os.put_object(
                    PutObject::new(&ns, "shared", &name, body.len() as u64),
                    body.clone(),
                )
                .await?;
                let got = os.get_object(GetObject::new(&ns, "shared", &name)).await?;
                let bytes = got.bytes().await.map_err(|e| {
                    Error::Transport(ocisdk_core::error::TransportError::new(
                        TransportErrorKind::Io,
                        e.to_string(),
                    ))
                })?;
                assert_eq!(bytes, body.as_bytes());
            }
            id.delete_user(DeleteUser::new(&user.data.id)).await?;
            Ok::<_, Error>(user.data.id)
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap());
    }
    let took = started.elapsed();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), TASKS, "every task created its own user");

    let stats = emulator.stats();
    assert_eq!(stats.operation("CreateUser"), TASKS as u64);
    assert_eq!(stats.operation("DeleteUser"), TASKS as u64);
    assert_eq!(stats.operation("PutObject"), TASKS as u64 / 2);
    assert_eq!(stats.operation("GetObject"), TASKS as u64 / 2);
    let requests = stats.requests;
    let connections = stats.connections;
    eprintln!(
        "{TASKS} tasks, {requests} requests over {connections} connections in {:.2} s \
         (at most {MAX_IN_FLIGHT} in flight)",
        took.as_secs_f64()
    );
    assert_eq!(requests, (TASKS * 4) as u64);
    assert!(
        connections <= 2 * MAX_IN_FLIGHT as u64,
        "{connections} connections for {requests} requests"
    );

    // Counted through the API: no user left behind, and exactly one object per even task.
    let users: Vec<User> = client
        .identity()
        .paginate(ListUsers::new(&tenancy))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        users
            .iter()
            .filter(|u| u.name.starts_with("task-user-"))
            .count(),
        0
    );
    let mut objects: Vec<String> = os
        .paginate(ListObjects::new(&ns, "shared"))
        .map_ok(|o| o.name)
        .try_collect()
        .await
        .unwrap();
    let listed = objects.len();
    objects.sort();
    objects.dedup();
    assert_eq!(objects.len(), listed, "no duplicates");
    assert_eq!(objects.len(), TASKS / 2);
}

fn assert_send<T: Send + 'static>(_: T) {}

/// The futures and streams of the client can be spawned (a compile-time check, run once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_and_streams_are_send() {
    let env = env();
    let client = env.client.clone();
    let tenancy = client.tenancy().to_string();

    // Method futures directly, without an async block to own the client.
    assert_send(
        client
            .identity()
            .get_user(GetUser::new("ocid1.user.oc1..x")),
    );
    assert_send(client.identity().paginate(ListUsers::new(&tenancy)));
    assert_send(client.identity().pages(ListUsers::new(&tenancy)));
    assert_send(
        client
            .object_storage()
            .get_object(GetObject::new("n", "b", "o")),
    );
    assert_send(
        client
            .object_storage()
            .put_object(PutObject::new("n", "b", "o", 1), &b"x"[..]),
    );

    // A future built from a cloned client, checked, then run inside tokio::spawn.
    let task = |cloned: Client| async move {
        let ns = cloned
            .object_storage()
            .get_namespace(GetNamespace::new())
            .await?
            .data;
        let users: Vec<User> = cloned
            .identity()
            .paginate(ListUsers::new(cloned.tenancy()))
            .try_collect()
            .await?;
        let object = cloned
            .object_storage()
            .get_object(GetObject::new(&ns, "missing", "o"))
            .await;
        assert!(object.is_err());
        Ok::<_, Error>((ns, users.len()))
    };
    assert_send(task(client.clone()));
    let task = task(client.clone());
    let (ns, users) = tokio::spawn(task).await.unwrap().unwrap();
    assert_eq!(ns, env.emulator.namespace());
    assert_eq!(users, 1);
}

//! Every operation against the emulator over loopback, without faults.

use std::time::{Duration, Instant};

use base64::Engine as _;
use ocisdk_core::Error;
use ocisdk_core::RetryPolicy;
use ocisdk_core::error::{BodyError, TransportErrorKind};
use ocisdk_core::identity::*;
use ocisdk_core::object_storage::*;
use ocisdk_emulator::{Emulator, EmulatorConfig};

use crate::transport::{ClientOptions, TestBody, Transport, md5, pattern_md5};
use crate::{Env, for_each_pattern_chunk};

/// Base64 of an MD5, as `opc-content-md5` and `content-md5` carry it.
fn base64_md5(md5: [u8; 16]) -> String {
    base64::engine::general_purpose::STANDARD.encode(md5)
}

/// Groups, users and memberships end to end: create, get, update, list, the conflicts the
/// service answers, delete, and the typed 404 afterwards.
pub fn groups_users_memberships<T: Transport>() {
    let env = Env::<T>::new();
    let c = &env.client;
    let tenancy = env.tenancy();
    assert_eq!(tenancy, env.emulator.tenancy_id());

    let group = c
        .execute(CreateGroup::new(&tenancy, "g-admins", "admins"))
        .unwrap();
    assert_eq!(group.status, 200);
    assert_eq!(group.data.name, "g-admins");
    assert_eq!(group.data.compartment_id, tenancy);
    assert_eq!(group.data.lifecycle_state, LifecycleState::Active);
    assert!(group.opc_request_id.is_some());
    assert!(group.etag.is_some());

    let fetched = c.execute(GetGroup::new(&group.data.id)).unwrap();
    assert_eq!(fetched.data, group.data);

    let mut details = UpdateGroupDetails {
        description: Some("changed".into()),
        ..Default::default()
    };
    details.freeform_tags = Some([("team".to_string(), "core".to_string())].into());
    let updated = c
        .execute(UpdateGroup::new(&group.data.id, details))
        .unwrap();
    assert_eq!(updated.data.description, "changed");
    assert_eq!(updated.data.freeform_tags.as_ref().unwrap()["team"], "core");

    // Names are unique in the tenancy.
    let dup = c
        .execute(CreateGroup::new(&tenancy, "g-admins", "again"))
        .unwrap_err();
    assert_eq!(dup.status().map(|s| s.as_u16()), Some(409), "{dup}");

    let mut create_user = CreateUser::new(&tenancy, "alice", "Alice");
    create_user.create_user_details.email = Some("alice@example.com".into());
    let user = c.execute(create_user).unwrap();
    assert_eq!(user.data.email.as_deref(), Some("alice@example.com"));
    let got = c.execute(GetUser::new(&user.data.id)).unwrap();
    assert_eq!(got.data.id, user.data.id);
    let upd = c
        .execute(UpdateUser::new(
            &user.data.id,
            UpdateUserDetails {
                description: Some("Alice B.".into()),
                ..Default::default()
            },
        ))
        .unwrap();
    assert_eq!(upd.data.description, "Alice B.");

    let m = c
        .execute(AddUserToGroup::new(&user.data.id, &group.data.id))
        .unwrap();
    assert_eq!(m.data.user_id, user.data.id);
    assert_eq!(m.data.group_id, group.data.id);
    let got = c.execute(GetUserGroupMembership::new(&m.data.id)).unwrap();
    assert_eq!(got.data.id, m.data.id);

    let mut list = ListUserGroupMemberships::new(&tenancy);
    list.group_id = Some(group.data.id.clone());
    let memberships = c.collect_all(list, None).unwrap();
    assert_eq!(memberships.len(), 1);

    // Neither side of a membership can be deleted.
    let err = c.execute(DeleteUser::new(&user.data.id)).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409), "{err}");
    let err = c.execute(DeleteGroup::new(&group.data.id)).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409), "{err}");

    let r = c.execute(RemoveUserFromGroup::new(&m.data.id)).unwrap();
    assert_eq!(r.status, 204);
    assert_eq!(
        c.execute(DeleteUser::new(&user.data.id)).unwrap().status,
        204
    );
    assert_eq!(
        c.execute(DeleteGroup::new(&group.data.id)).unwrap().status,
        204
    );

    let gone = c.execute(GetGroup::new(&group.data.id)).unwrap_err();
    let service = gone.as_service().expect("a service error");
    assert_eq!(service.status.as_u16(), 404);
    assert_eq!(service.code, "NotAuthorizedOrNotFound");
    assert_eq!(service.operation, "GetGroup");
    assert!(service.opc_request_id.is_some());
    assert!(service.endpoint.contains(&group.data.id));
    assert!(!gone.is_retryable());

    // One list page by hand, too.
    let groups = c.execute(ListGroups::new(&tenancy)).unwrap();
    assert!(groups.data.is_empty(), "{:?}", groups.data);
}

/// Record and page paginators cross pages, follow empty pages that carry a token, and stop
/// at `max_records`.
pub fn pagination_across_empty_pages<T: Transport>() {
    let env = Env::<T>::start(
        EmulatorConfig {
            page_size: 2,
            empty_pages: true,
            ..Default::default()
        },
        ClientOptions::default(),
    );
    let c = &env.client;
    let tenancy = env.tenancy();
    let mut created = Vec::new();
    for i in 0..7 {
        let u = c
            .execute(CreateUser::new(&tenancy, format!("user-{i}"), ""))
            .unwrap();
        created.push(u.data.id);
    }
    let all: Vec<User> = c.collect_all(ListUsers::new(&tenancy), None).unwrap();
    let mut ids: Vec<_> = all.iter().map(|u| u.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "no duplicates across pages");
    for created in &created {
        assert!(
            ids.contains(created),
            "user {created} missing from the paginated list"
        );
    }

    let pages = c.collect_pages(ListUsers::new(&tenancy), None).unwrap();
    assert!(
        pages
            .iter()
            .any(|p| p.data.is_empty() && p.next_page.is_some()),
        "the emulator served an empty page with a token, and it was followed"
    );
    assert_eq!(pages.iter().map(|p| p.data.len()).sum::<usize>(), all.len());
    assert!(pages.last().unwrap().next_page.is_none());

    let first3 = c.collect_all(ListUsers::new(&tenancy), Some(3)).unwrap();
    assert_eq!(first3.len(), 3);
    assert_eq!(
        first3.iter().map(|u| &u.id).collect::<Vec<_>>(),
        all.iter().take(3).map(|u| &u.id).collect::<Vec<_>>()
    );

    let capped = c.collect_pages(ListUsers::new(&tenancy), Some(3)).unwrap();
    assert_eq!(capped.iter().map(|p| p.data.len()).sum::<usize>(), 3);
}

/// Buckets and objects end to end, with object names that need encoding, metadata, checksums,
/// both list token styles and the conflicts the service answers.
pub fn buckets_and_objects<T: Transport>() {
    let env = Env::<T>::start(
        EmulatorConfig {
            page_size: 3,
            ..Default::default()
        },
        ClientOptions::default(),
    );
    let c = &env.client;
    let tenancy = env.tenancy();
    let ns = env.namespace();

    for b in ["b-one", "b-two", "b-three", "b-four"] {
        let created = c.execute(CreateBucket::new(&ns, b, &tenancy)).unwrap();
        assert_eq!(created.data.name, b);
        assert_eq!(created.data.namespace, ns);
    }
    let dup = c
        .execute(CreateBucket::new(&ns, "b-one", &tenancy))
        .unwrap_err();
    assert_eq!(dup.status().map(|s| s.as_u16()), Some(409));
    let got = c.execute(GetBucket::new(&ns, "b-two")).unwrap();
    assert_eq!(got.data.name, "b-two");
    let buckets = c
        .collect_all(ListBuckets::new(&ns, &tenancy), None)
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
        let out = c.put_object(put, TestBody::Bytes(body.clone())).unwrap();
        assert!(out.data.etag.is_some());
        let want_md5 = base64_md5(md5(&body));
        assert_eq!(want_md5, content_md5(&body));
        assert_eq!(out.data.opc_content_md5.as_deref(), Some(want_md5.as_str()));

        let got = c
            .get_object_digest(GetObject::new(&ns, "b-one", *name))
            .unwrap();
        assert_eq!(got.meta.data.content_length, Some(body.len() as u64));
        assert_eq!(got.meta.data.content_type.as_deref(), Some("text/plain"));
        assert_eq!(got.meta.data.opc_meta.get("index"), Some(&i.to_string()));
        assert!(got.is(&body), "round trip of {name:?}: {got:?}");

        let head = c.execute(HeadObject::new(&ns, "b-one", *name)).unwrap();
        assert_eq!(head.data.content_length, Some(body.len() as u64));
        assert_eq!(head.data.content_md5.as_deref(), Some(want_md5.as_str()));
    }

    let mut listed: Vec<String> = c
        .collect_all(ListObjects::new(&ns, "b-one"), None)
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    listed.sort();
    assert_eq!(listed, want);

    let mut prefixed = ListObjects::new(&ns, "b-one");
    prefixed.prefix = Some("dir/".into());
    let dir: Vec<_> = c
        .collect_all(prefixed, None)
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(dir, vec!["dir/another", "dir/sub/file.bin"]);

    // One page by hand: ListObjects' own token style.
    let page = c.execute(ListObjects::new(&ns, "b-one")).unwrap();
    assert_eq!(page.data.objects.len(), 3);
    assert!(page.next_page.is_some());

    let err = c.execute(DeleteBucket::new(&ns, "b-one")).unwrap_err();
    assert_eq!(err.code(), Some("BucketNotEmpty"), "{err}");
    for name in names {
        let r = c.execute(DeleteObject::new(&ns, "b-one", name)).unwrap();
        assert_eq!(r.status, 204);
    }
    let missing = c
        .get_object_digest(GetObject::new(&ns, "b-one", "plain.txt"))
        .unwrap_err();
    assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(
        c.execute(DeleteBucket::new(&ns, "b-one")).unwrap().status,
        204
    );
}

/// 64 MiB up and down without ever holding the object: from a one-shot generated stream, and
/// again from a (replayable) file; each download is digested as it streams.
pub fn streamed_64_mib<T: Transport>() {
    const SIZE: u64 = 64 * 1024 * 1024;
    let env = Env::<T>::new();
    let c = &env.client;
    let ns = env.bucket("big");
    let want = pattern_md5(SIZE, 0);

    let put = c
        .put_object(
            PutObject::new(&ns, "big", "blob.bin", SIZE),
            TestBody::OneShotPattern { len: SIZE, seed: 0 },
        )
        .unwrap();
    assert!(put.data.etag.is_some());
    let got = c
        .get_object_digest(GetObject::new(&ns, "big", "blob.bin"))
        .unwrap();
    assert_eq!(got.meta.data.content_length, Some(SIZE));
    assert_eq!(got.len, SIZE);
    assert_eq!(got.md5, want);

    // The same object again from a file, which is replayable.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blob.bin");
    {
        use std::io::Write as _;
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for_each_pattern_chunk(SIZE, 0, |chunk| file.write_all(chunk).unwrap());
        file.flush().unwrap();
    }
    let body = TestBody::File(path);
    assert!(body.is_replayable());
    c.put_object(PutObject::new(&ns, "big", "from-file.bin", SIZE), body)
        .unwrap();
    let head = c
        .execute(HeadObject::new(&ns, "big", "from-file.bin"))
        .unwrap();
    assert_eq!(head.data.content_length, Some(SIZE));
    assert_eq!(
        head.data.content_md5.as_deref(),
        Some(base64_md5(want).as_str())
    );
    let got = c
        .get_object_digest(GetObject::new(&ns, "big", "from-file.bin"))
        .unwrap();
    assert_eq!(got.len, SIZE);
    assert_eq!(got.md5, want);
}

/// An upload body shorter or longer than its declared length, or whose reader fails, is a
/// typed body error, is never retried, and stores nothing.
pub fn length_mismatch<T: Transport>() {
    let env = Env::<T>::new();
    let c = &env.client;
    let ns = env.bucket("b");

    let err = c
        .put_object(
            PutObject::new(&ns, "b", "short", 10),
            TestBody::Bytes(b"12345".to_vec()),
        )
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
    let err = c
        .put_object(
            PutObject::new(&ns, "b", "long", 3),
            TestBody::Bytes(b"12345".to_vec()),
        )
        .unwrap_err();
    // `actual` is what the source produced before the surplus was noticed: the source is not
    // read to its end, so how much of it depends on how it is read.
    assert!(
        matches!(
            err,
            Error::Body(BodyError::LengthMismatch { declared: 3, actual, .. }) if actual > 3
        ),
        "{err:?}"
    );
    // A stream whose surplus comes in a later chunk, after exactly the declared length.
    let err = c
        .put_object(
            PutObject::new(&ns, "b", "long-stream", 6),
            TestBody::OneShotChunks {
                chunks: vec![b"abc".to_vec(), b"def".to_vec(), b"!".to_vec()],
                error: None,
            },
        )
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
    let err = c
        .put_object(
            PutObject::new(&ns, "b", "failing", 6),
            TestBody::OneShotChunks {
                chunks: vec![b"abc".to_vec()],
                error: Some("disk on fire".into()),
            },
        )
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
    let objects = c.collect_all(ListObjects::new(&ns, "b"), None).unwrap();
    assert!(objects.is_empty(), "{objects:?}");
}

/// Credentials of another tenancy are answered `401 NotAuthenticated` with a message.
pub fn wrong_key_401<T: Transport>() {
    let env = Env::<T>::new();
    let other = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = other.write_config(dir.path()).unwrap();
    // Credentials of another emulator's tenancy, sent to this one.
    let client = T::connect(
        &path,
        &ClientOptions {
            endpoint: Some(env.emulator.url().to_string()),
            ..Default::default()
        },
    )
    .unwrap();
    let err = client.execute(GetNamespace::new()).unwrap_err();
    let s = err.as_service().expect("service error");
    assert_eq!(s.status.as_u16(), 401);
    assert_eq!(s.code, "NotAuthenticated");
    assert!(!s.message.is_empty());
    assert_eq!(env.emulator.stats().auth_failures, 1, "not retried");
}

/// A refused connection is retried with backoff, then reported as the last failure; with
/// retries off it is the bare, retryable transport error.
pub fn connection_refused_retried<T: Transport>() {
    let emulator = Emulator::start().unwrap();
    let url = emulator.url().to_string();
    let dir = tempfile::tempdir().unwrap();
    let path = emulator.write_config(dir.path()).unwrap();
    drop(emulator);
    let policy = RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_jitter: Duration::from_millis(5),
        ..RetryPolicy::default()
    };
    let client = T::connect(
        &path,
        &ClientOptions {
            endpoint: Some(url),
            retry_policy: Some(policy),
            ..Default::default()
        },
    )
    .unwrap();
    let started = Instant::now();
    let err = client.execute(GetNamespace::new()).unwrap_err();
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
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport(ref t) if t.kind == TransportErrorKind::Connect),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

/// A profile whose region is unknown, with no endpoint, fails to build a client with a region
/// error; a known region resolves to the public endpoints without any network traffic.
pub fn unknown_region<T: Transport>() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = emulator.write_config(dir.path()).unwrap();
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("region=us-ashburn-1", "region=not a region");
    std::fs::write(&path, text).unwrap();
    let err = T::connect(&path, &ClientOptions::default()).unwrap_err();
    match &err {
        Error::Region(ocisdk_core::region::RegionError::Unknown { name, .. }) => {
            assert_eq!(name, "not a region")
        }
        other => panic!("{other:?}"),
    }
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("region=not a region", "region=fra");
    std::fs::write(&path, text).unwrap();
    let client = T::connect(&path, &ClientOptions::default()).unwrap();
    assert_eq!(
        client
            .context()
            .endpoints()
            .base(ocisdk_core::Service::ObjectStorage),
        "https://objectstorage.eu-frankfurt-1.oraclecloud.com"
    );
}

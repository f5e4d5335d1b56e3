//! The blocking client against the real emulator over loopback, for every operation.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{self, Read};
use std::time::{Duration, Instant};

use md5::{Digest, Md5};
use ocisdk_blocking::{Client, UploadBody};
use ocisdk_core::Error;
use ocisdk_core::RetryPolicy;
use ocisdk_core::error::{BodyError, TransportErrorKind};
use ocisdk_core::identity::*;
use ocisdk_core::object_storage::*;
use ocisdk_emulator::{Emulator, EmulatorConfig};

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

#[test]
fn groups_users_memberships_end_to_end() {
    let env = env();
    let id = env.client.identity();
    let tenancy = env.client.tenancy().to_string();
    assert_eq!(tenancy, env.emulator.tenancy_id());

    let group = id
        .create_group(CreateGroup::new(&tenancy, "g-admins", "admins"))
        .unwrap();
    assert_eq!(group.status, 200);
    assert_eq!(group.data.name, "g-admins");
    assert_eq!(group.data.compartment_id, tenancy);
    assert_eq!(group.data.lifecycle_state, LifecycleState::Active);
    assert!(group.opc_request_id.is_some());
    assert!(group.etag.is_some());

    let fetched = id.get_group(GetGroup::new(&group.data.id)).unwrap();
    assert_eq!(fetched.data, group.data);

    let mut details = UpdateGroupDetails {
        description: Some("changed".into()),
        ..Default::default()
    };
    details.freeform_tags = Some([("team".to_string(), "core".to_string())].into());
    let updated = id
        .update_group(UpdateGroup::new(&group.data.id, details))
        .unwrap();
    assert_eq!(updated.data.description, "changed");
    assert_eq!(updated.data.freeform_tags.as_ref().unwrap()["team"], "core");

    // Names are unique in the tenancy.
    let dup = id
        .create_group(CreateGroup::new(&tenancy, "g-admins", "again"))
        .unwrap_err();
    assert_eq!(dup.status().map(|s| s.as_u16()), Some(409), "{dup}");

    let mut create_user = CreateUser::new(&tenancy, "alice", "Alice");
    create_user.create_user_details.email = Some("alice@example.com".into());
    let user = id.create_user(create_user).unwrap();
    assert_eq!(user.data.email.as_deref(), Some("alice@example.com"));
    let got = id.get_user(GetUser::new(&user.data.id)).unwrap();
    assert_eq!(got.data.id, user.data.id);
    let upd = id
        .update_user(UpdateUser::new(
            &user.data.id,
            UpdateUserDetails {
                description: Some("Alice B.".into()),
                ..Default::default()
            },
        ))
        .unwrap();
    assert_eq!(upd.data.description, "Alice B.");

    let m = id
        .add_user_to_group(AddUserToGroup::new(&user.data.id, &group.data.id))
        .unwrap();
    assert_eq!(m.data.user_id, user.data.id);
    assert_eq!(m.data.group_id, group.data.id);
    let got = id
        .get_user_group_membership(GetUserGroupMembership::new(&m.data.id))
        .unwrap();
    assert_eq!(got.data.id, m.data.id);

    let mut list = ListUserGroupMemberships::new(&tenancy);
    list.group_id = Some(group.data.id.clone());
    let memberships: Vec<_> = id.paginate(list).collect::<Result<_, _>>().unwrap();
    assert_eq!(memberships.len(), 1);

    // Neither side of a membership can be deleted.
    let err = id.delete_user(DeleteUser::new(&user.data.id)).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409), "{err}");
    let err = id
        .delete_group(DeleteGroup::new(&group.data.id))
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409), "{err}");

    let r = id
        .remove_user_from_group(RemoveUserFromGroup::new(&m.data.id))
        .unwrap();
    assert_eq!(r.status, 204);
    assert_eq!(
        id.delete_user(DeleteUser::new(&user.data.id))
            .unwrap()
            .status,
        204
    );
    assert_eq!(
        id.delete_group(DeleteGroup::new(&group.data.id))
            .unwrap()
            .status,
        204
    );

    let gone = id.get_group(GetGroup::new(&group.data.id)).unwrap_err();
    let service = gone.as_service().expect("a service error");
    assert_eq!(service.status.as_u16(), 404);
    assert_eq!(service.code, "NotAuthorizedOrNotFound");
    assert_eq!(service.operation, "GetGroup");
    assert!(service.opc_request_id.is_some());
    assert!(service.endpoint.contains(&group.data.id));
    assert!(!gone.is_retryable());
}

#[test]
fn pagination_crosses_pages_and_empty_pages() {
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
            .unwrap();
        created.push(u.data.id);
    }
    let all: Vec<User> = id
        .paginate(ListUsers::new(&tenancy))
        .collect::<Result<_, _>>()
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
        .collect::<Result<_, _>>()
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
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(first3.len(), 3);
    assert_eq!(
        first3.iter().map(|u| &u.id).collect::<Vec<_>>(),
        all.iter().take(3).map(|u| &u.id).collect::<Vec<_>>()
    );
}

#[test]
fn buckets_and_objects_end_to_end() {
    let env = env_with(EmulatorConfig {
        page_size: 3,
        ..Default::default()
    });
    let os = env.client.object_storage();
    let tenancy = env.client.tenancy().to_string();
    let ns = os.get_namespace(GetNamespace::new()).unwrap().data;
    assert_eq!(ns, env.emulator.namespace());

    for b in ["b-one", "b-two", "b-three", "b-four"] {
        let created = os
            .create_bucket(CreateBucket::new(&ns, b, &tenancy))
            .unwrap();
        assert_eq!(created.data.name, b);
        assert_eq!(created.data.namespace, ns);
    }
    let dup = os
        .create_bucket(CreateBucket::new(&ns, "b-one", &tenancy))
        .unwrap_err();
    assert_eq!(dup.status().map(|s| s.as_u16()), Some(409));
    let got = os.get_bucket(GetBucket::new(&ns, "b-two")).unwrap();
    assert_eq!(got.data.name, "b-two");
    let buckets: Vec<_> = os
        .paginate(ListBuckets::new(&ns, &tenancy))
        .collect::<Result<_, _>>()
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
        let out = os.put_object(put, &body[..]).unwrap();
        assert!(out.data.etag.is_some());
        let want_md5 = base64_md5(&body);
        assert_eq!(out.data.opc_content_md5.as_deref(), Some(want_md5.as_str()));

        let got = os.get_object(GetObject::new(&ns, "b-one", *name)).unwrap();
        assert_eq!(got.meta.data.content_length, Some(body.len() as u64));
        assert_eq!(got.meta.data.content_type.as_deref(), Some("text/plain"));
        assert_eq!(got.meta.data.opc_meta.get("index"), Some(&i.to_string()));
        assert_eq!(got.bytes().unwrap(), body, "round trip of {name:?}");

        let head = os
            .head_object(HeadObject::new(&ns, "b-one", *name))
            .unwrap();
        assert_eq!(head.data.content_length, Some(body.len() as u64));
        assert_eq!(head.data.content_md5.as_deref(), Some(want_md5.as_str()));
    }

    let mut listed: Vec<String> = os
        .paginate(ListObjects::new(&ns, "b-one"))
        .map(|o| o.map(|o| o.name))
        .collect::<Result<_, _>>()
        .unwrap();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    listed.sort();
    assert_eq!(listed, want);

    let mut prefixed = ListObjects::new(&ns, "b-one");
    prefixed.prefix = Some("dir/".into());
    let dir: Vec<_> = os.paginate(prefixed).map(|o| o.unwrap().name).collect();
    assert_eq!(dir, vec!["dir/another", "dir/sub/file.bin"]);

    let err = os
        .delete_bucket(DeleteBucket::new(&ns, "b-one"))
        .unwrap_err();
    assert_eq!(err.code(), Some("BucketNotEmpty"), "{err}");
    for name in names {
        let r = os
            .delete_object(DeleteObject::new(&ns, "b-one", name))
            .unwrap();
        assert_eq!(r.status, 204);
    }
    let missing = os
        .get_object(GetObject::new(&ns, "b-one", "plain.txt"))
        .unwrap_err();
    assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(
        os.delete_bucket(DeleteBucket::new(&ns, "b-one"))
            .unwrap()
            .status,
        204
    );
}

fn base64_md5(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(bytes))
}

/// Deterministic bytes, generated as read: the test never holds the object in memory.
struct Pattern {
    left: u64,
    pos: u64,
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.left as usize);
        for b in &mut buf[..n] {
            *b = (self.pos.wrapping_mul(2_654_435_761) >> 13) as u8;
            self.pos += 1;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[test]
fn streamed_64_mib_put_and_get() {
    const SIZE: u64 = 64 * 1024 * 1024;
    let env = env();
    let os = env.client.object_storage();
    let tenancy = env.client.tenancy().to_string();
    let ns = os.get_namespace(GetNamespace::new()).unwrap().data;
    os.create_bucket(CreateBucket::new(&ns, "big", &tenancy))
        .unwrap();

    let mut want = Md5::new();
    let mut src = Pattern { left: SIZE, pos: 0 };
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = src.read(&mut chunk).unwrap();
        if n == 0 {
            break;
        }
        want.update(&chunk[..n]);
    }
    let want = want.finalize();

    let put = os
        .put_object(
            PutObject::new(&ns, "big", "blob.bin", SIZE),
            UploadBody::from_reader(Pattern { left: SIZE, pos: 0 }),
        )
        .unwrap();
    assert!(put.data.etag.is_some());

    let mut got = os
        .get_object(GetObject::new(&ns, "big", "blob.bin"))
        .unwrap();
    assert_eq!(got.meta.data.content_length, Some(SIZE));
    let mut md5 = Md5::new();
    let mut total = 0u64;
    loop {
        let n = got.read(&mut chunk).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
        md5.update(&chunk[..n]);
    }
    assert_eq!(total, SIZE);
    assert_eq!(md5.finalize(), want);
}

#[test]
fn upload_body_shorter_or_longer_than_declared_is_a_typed_error() {
    let env = env();
    let os = env.client.object_storage();
    let tenancy = env.client.tenancy().to_string();
    let ns = os.get_namespace(GetNamespace::new()).unwrap().data;
    os.create_bucket(CreateBucket::new(&ns, "b", &tenancy))
        .unwrap();

    let err = os
        .put_object(PutObject::new(&ns, "b", "short", 10), &b"12345"[..])
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
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Body(BodyError::LengthMismatch { declared: 3, .. })
        ),
        "{err:?}"
    );
    // Neither left an object behind.
    let objects: Vec<_> = os
        .paginate(ListObjects::new(&ns, "b"))
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(objects.is_empty(), "{objects:?}");
}

#[test]
fn wrong_key_is_rejected_with_not_authenticated() {
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
        .unwrap_err();
    let s = err.as_service().expect("service error");
    assert_eq!(s.status.as_u16(), 401);
    assert_eq!(s.code, "NotAuthenticated");
    assert!(!s.message.is_empty());
}

#[test]
fn connection_refused_is_retried_then_reported_with_the_last_failure() {
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
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[test]
fn a_profile_with_an_unknown_region_and_no_endpoint_is_a_region_error() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = emulator.write_config(dir.path()).unwrap();
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("region=us-ashburn-1", "region=not a region");
    std::fs::write(&path, text).unwrap();
    let err = Client::from_config_file(Some(&path), None).unwrap_err();
    match &err {
        Error::Region(ocisdk_core::region::RegionError::Unknown { name, .. }) => {
            assert_eq!(name, "not a region")
        }
        other => panic!("{other:?}"),
    }
    // A known region resolves to the public endpoints without any network traffic.
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("region=not a region", "region=fra");
    std::fs::write(&path, text).unwrap();
    let client = Client::from_config_file(Some(&path), None).unwrap();
    assert_eq!(
        client
            .context()
            .endpoints()
            .base(ocisdk_core::Service::ObjectStorage),
        "https://objectstorage.eu-frankfurt-1.oraclecloud.com"
    );
}

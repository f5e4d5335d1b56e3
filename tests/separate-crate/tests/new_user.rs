//! What a new user writes, from the README and rustdoc only, in a crate of their own: a group
//! with tags and a bucket round trip against the embedded emulator, on the blocking and the
//! async client, matching errors the documented way.
//!
//! The emulator's start is timed and printed (`cargo test -- --nocapture` shows it;
//! BENCHMARKS.md records the figure from `cargo run --example emulator_start`). The one timing
//! assertion is a regression guard far above the figure: before the emulator shipped a test
//! key, a start took 5–11 s here, generating an RSA key unoptimised.

use std::collections::BTreeMap;
use std::io::Read;
use std::time::{Duration, Instant};

use ocisdk_blocking::{Client, RetryPolicy};
use ocisdk_emulator::Emulator;
use ocisdk_identity::{
    CreateGroup, CreateGroupDetails, DeleteGroup, GetGroup, IdentityClient, ListUsers, UpdateGroup,
    UpdateGroupDetails,
};
use ocisdk_object_storage::{
    CreateBucket, CreateBucketDetails, DeleteBucket, DeleteObject, GetNamespace, GetObject,
    HeadObject, ObjectStorageClient, PutObject,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Starts an emulator as the README shows, printing how long it took.
fn start_emulator() -> Result<Emulator, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let emulator = Emulator::start()?;
    let took = started.elapsed();
    println!("emulator started in {:.1} ms", took.as_secs_f64() * 1000.0);
    assert!(
        took < Duration::from_secs(2),
        "the emulator took {took:?} to start (a regression guard, not the target: see BENCHMARKS.md)"
    );
    Ok(emulator)
}

#[test]
fn blocking_group_with_tags_and_bucket_round_trip() -> TestResult {
    let emulator = start_emulator()?;
    let dir = tempfile::tempdir()?;
    let config = emulator.write_config(dir.path())?;
    let client = Client::builder_from_config_file(Some(&config), None)?
        .endpoint(emulator.url())
        .retry_policy(RetryPolicy::disabled()) // local work: fail at once
        .build()?;

    // A group with tags: required values in `new`, optional ones through setters.
    let identity = IdentityClient::new(client.clone());
    let tags: BTreeMap<String, String> = [("team".to_string(), "core".to_string())].into();
    let details =
        CreateGroupDetails::new(client.tenancy(), "admins", "Admins").freeform_tags(tags.clone());
    let group = identity.create_group(CreateGroup::new(details))?.data;
    assert_eq!(group.freeform_tags.as_ref(), Some(&tags));

    let update = UpdateGroupDetails::new().description("Administrators");
    let updated = identity
        .update_group(UpdateGroup::new(&group.id, update))?
        .data;
    assert_eq!(updated.description, "Administrators");
    let again = client.send(GetGroup::new(&group.id))?.data;
    assert_eq!(again.freeform_tags.as_ref(), Some(&tags));

    // The same name again: a conflict, matched without knowing the error's variants.
    let duplicate = CreateGroupDetails::new(client.tenancy(), "admins", "again");
    let err = identity
        .create_group(CreateGroup::new(duplicate))
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert_eq!(err.status_u16(), Some(409));
    assert_eq!(err.code(), Some("EntityAlreadyExists"));
    // What `main() -> Result<(), Box<dyn Error>>` prints is as helpful as the Display form.
    assert!(format!("{err:?}").contains(&err.to_string()));

    identity.delete_group(DeleteGroup::new(&group.id))?;
    let gone = identity.get_group(GetGroup::new(&group.id)).unwrap_err();
    assert!(gone.is_not_found(), "{gone}");

    // A bucket round trip.
    let os = ObjectStorageClient::new(client.clone());
    let ns = os.get_namespace(GetNamespace::new())?.data;
    os.create_bucket(CreateBucket::new(
        &ns,
        CreateBucketDetails::new("docs", client.tenancy()),
    ))?;
    let err = os
        .create_bucket(CreateBucket::new(
            &ns,
            CreateBucketDetails::new("docs", client.tenancy()),
        ))
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert_eq!(err.code(), Some("BucketAlreadyExists"));

    let put = PutObject::new(&ns, "docs", "hello.txt", 13).content_type("text/plain");
    os.put_object(put, &b"Hello, World!"[..])?;
    let head = os
        .head_object(HeadObject::new(&ns, "docs", "hello.txt"))?
        .data;
    assert_eq!(head.content_length, Some(13));
    assert_eq!(head.content_type.as_deref(), Some("text/plain"));
    let mut download = os.get_object(GetObject::new(&ns, "docs", "hello.txt"))?;
    let mut text = String::new();
    download.read_to_string(&mut text)?;
    assert_eq!(text, "Hello, World!");

    os.delete_object(DeleteObject::new(&ns, "docs", "hello.txt"))?;
    // A HEAD answer has no body, so its code is the status' name: match it with is_not_found().
    let missing = os
        .head_object(HeadObject::new(&ns, "docs", "hello.txt"))
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    assert_eq!(missing.code(), Some("NotFound"));
    let missing = os
        .get_object(GetObject::new(&ns, "docs", "hello.txt"))
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    assert_eq!(missing.code(), Some("ObjectNotFound"));
    os.delete_bucket(DeleteBucket::new(&ns, "docs"))?;
    Ok(())
}

#[test]
fn async_group_with_tags_and_bucket_round_trip() -> TestResult {
    use ocisdk_hyper::StreamExt;

    let emulator = start_emulator()?;
    let dir = tempfile::tempdir()?;
    let config = emulator.write_config(dir.path())?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let client = ocisdk_hyper::Client::builder_from_config_file(Some(&config), None)?
            .endpoint(emulator.url())
            .build()?;
        let identity = IdentityClient::new(client.clone());
        let details = CreateGroupDetails::new(client.tenancy(), "async-admins", "Admins")
            .freeform_tags([("team".to_string(), "async".to_string())].into());
        let group = identity.create_group(CreateGroup::new(details)).await?.data;
        assert_eq!(
            group.freeform_tags.and_then(|t| t.get("team").cloned()),
            Some("async".to_string())
        );
        let mut users = identity.paginate(ListUsers::new(client.tenancy()));
        let mut names = Vec::new();
        while let Some(user) = users.next().await {
            names.push(user?.name);
        }
        assert!(names.contains(&"emulator-admin".to_string()), "{names:?}");
        identity.delete_group(DeleteGroup::new(&group.id)).await?;

        let os = ObjectStorageClient::new(client.clone());
        let ns = os.get_namespace(GetNamespace::new()).await?.data;
        os.create_bucket(CreateBucket::new(
            &ns,
            CreateBucketDetails::new("async-docs", client.tenancy()),
        ))
        .await?;
        os.put_object(
            PutObject::new(&ns, "async-docs", "hello.txt", 5),
            &b"hello"[..],
        )
        .await?;
        let download = os
            .get_object(GetObject::new(&ns, "async-docs", "hello.txt"))
            .await?;
        let mut body = download.body;
        let mut bytes = Vec::new();
        while let Some(chunk) = body.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        assert_eq!(bytes, b"hello");
        os.delete_object(DeleteObject::new(&ns, "async-docs", "hello.txt"))
            .await?;
        os.delete_bucket(DeleteBucket::new(&ns, "async-docs"))
            .await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}

/// The emulator's generated profile cannot send anything to real OCI: without the emulator's
/// URL as endpoint, building a client from it fails, saying what to do.
#[test]
fn the_emulator_profile_without_its_endpoint_fails_before_sending() -> TestResult {
    let emulator = start_emulator()?;
    let dir = tempfile::tempdir()?;
    let config = emulator.write_config(dir.path())?;
    let err = Client::from_config_file(Some(&config), None).unwrap_err();
    assert!(err.to_string().contains("endpoint"), "{err}");
    assert_eq!(emulator.stats().requests, 0);
    Ok(())
}

/// Retries are not silent: with a `tracing` subscriber (the README's `tracing_subscriber`),
/// each one is a warning naming the operation, the attempt, the reason and the wait.
#[test]
fn retries_show_as_warnings_through_a_subscriber() -> TestResult {
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::util::SubscriberInitExt;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let _subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .finish()
        .set_default();

    let emulator = start_emulator()?;
    let dir = tempfile::tempdir()?;
    let config = emulator.write_config(dir.path())?;
    // Nothing listens here: every attempt is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let client = Client::builder_from_config_file(Some(&config), None)?
        .endpoint(&format!("http://{closed}"))
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .build()?;
    let err = client.send(GetNamespace::new()).unwrap_err();
    assert!(
        err.to_string().contains("gave up after 2 attempts"),
        "{err}"
    );

    let logged = String::from_utf8(buffer.0.lock().map_err(|_| "poisoned")?.clone())?;
    print!("{logged}");
    assert!(logged.contains("WARN"), "{logged}");
    assert!(
        logged.contains(
            "GetNamespace: attempt 1 of 2 failed with a connection failure before sending; retrying in"
        ),
        "{logged}"
    );
    Ok(())
}

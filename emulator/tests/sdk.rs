//! The emulator's strict rules as ocisdk's own blocking client meets them over loopback: its
//! signatures carry `version="1"` (so they verify), an Identity write outside the home region
//! is a final `403 NotAllowed`, and an object name with a line feed a final
//! `400 InvalidObjectName`; neither is retried.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ocisdk_blocking::Client;
use ocisdk_emulator::{Emulator, EmulatorConfig};
use ocisdk_identity::{CreateGroup, CreateGroupDetails, IdentityClient, ListGroups};
use ocisdk_object_storage::{
    CreateBucket, CreateBucketDetails, GetNamespace, ObjectStorageClient, PutObject,
};

fn client(emulator: &Emulator, dir: &tempfile::TempDir) -> Client {
    let path = emulator.write_config(dir.path()).unwrap();
    Client::builder_from_config_file(Some(&path), None)
        .unwrap()
        .endpoint(emulator.url())
        .build()
        .unwrap()
}

#[test]
fn identity_writes_outside_the_home_region_fail_as_on_oci() {
    let emulator = Emulator::start_with(EmulatorConfig {
        region: "eu-frankfurt-1".into(),
        home_region: Some("us-phoenix-1".into()),
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = client(&emulator, &dir);
    let identity = IdentityClient::new(client.clone());
    let tenancy = client.tenancy().to_string();

    let e = identity
        .create_group(CreateGroup::new(CreateGroupDetails::new(
            &tenancy, "admins", "d",
        )))
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(403), "{e}");
    assert_eq!(e.code(), Some("NotAllowed"), "{e}");
    assert!(!e.is_retryable());
    assert!(
        e.to_string()
            .contains("Please go to your home region us-phoenix-1"),
        "{e}"
    );
    assert_eq!(emulator.stats().operation("CreateGroup"), 1);

    // Reads are served.
    let groups = identity.list_groups(ListGroups::new(&tenancy)).unwrap();
    assert!(groups.data.is_empty());
    assert_eq!(emulator.stats().auth_failures, 0);
}

#[test]
fn object_names_with_a_line_feed_are_refused_as_on_oci() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = client(&emulator, &dir);
    let os = ObjectStorageClient::new(client.clone());
    let ns = os.get_namespace(GetNamespace::new()).unwrap().data;
    os.create_bucket(CreateBucket::new(
        &ns,
        CreateBucketDetails::new("b", client.tenancy()),
    ))
    .unwrap();

    let e = os
        .put_object(PutObject::new(&ns, "b", "line\nfeed", 1), &b"x"[..])
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(400), "{e}");
    assert_eq!(e.code(), Some("InvalidObjectName"), "{e}");
    assert_eq!(emulator.stats().operation("PutObject"), 1);
    // A tab is a valid name.
    os.put_object(PutObject::new(&ns, "b", "tab\there", 1), &b"x"[..])
        .unwrap();
    assert_eq!(emulator.stats().auth_failures, 0);
}

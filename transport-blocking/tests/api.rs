//! What only the blocking API has, against the emulator: borrowed slices and files as upload
//! bodies, object bodies as a `Read` and read whole. (The scenarios every transport runs, these
//! operations included, are in `ocisdk-tests`.)
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{Read, Seek, Write};

use ocisdk_blocking::{Client, UploadBody};
use ocisdk_emulator::Emulator;
use ocisdk_object_storage::*;

#[test]
fn borrowed_bodies_and_read_bodies() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = emulator.write_config(dir.path()).unwrap();
    let client = Client::builder_from_config_file(Some(&path), None)
        .unwrap()
        .endpoint(emulator.url())
        .build()
        .unwrap();
    let os = ObjectStorageClient::new(client.clone());
    let ns = os.get_namespace(GetNamespace::new()).unwrap().data;
    os.create_bucket(CreateBucket::new(
        &ns,
        CreateBucketDetails::new("b", client.tenancy()),
    ))
    .unwrap();

    // A borrowed slice, read back whole.
    let body = b"borrowed bytes".to_vec();
    os.put_object(
        PutObject::new(&ns, "b", "slice.txt", body.len() as u64),
        &body[..],
    )
    .unwrap();
    let got = os
        .get_object(GetObject::new(&ns, "b", "slice.txt"))
        .unwrap();
    assert_eq!(got.meta.data.content_length, Some(body.len() as u64));
    assert_eq!(got.bytes().unwrap(), body);

    // A borrowed file, uploaded from its current position, is replayable.
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(b"skip:file bytes").unwrap();
    file.seek(std::io::SeekFrom::Start(5)).unwrap();
    let upload = UploadBody::from(&mut file);
    assert!(upload.is_replayable());
    os.put_object(PutObject::new(&ns, "b", "file.txt", 10), upload)
        .unwrap();
    let mut got = os.get_object(GetObject::new(&ns, "b", "file.txt")).unwrap();
    let mut text = String::new();
    got.read_to_string(&mut text).unwrap();
    assert_eq!(text, "file bytes");
    assert!(!UploadBody::from_reader(&b"once"[..]).is_replayable());
}

/// The emulator's generated profile is safe to build from: with the emulator's URL as endpoint
/// the client reaches it; without, the build fails naming the remedy, and nothing is sent
/// anywhere (its region resolves to no endpoint).
#[test]
fn the_emulator_profile_needs_the_endpoint() {
    assert_eq!(
        ocisdk_emulator::EMULATOR_REGION,
        ocisdk_blocking::ocisdk_core::region::EMULATOR_REGION
    );
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = emulator.write_config(dir.path()).unwrap();
    let err = Client::from_config_file(Some(&path), None).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("ocisdk-emulator"), "{text}");
    assert!(text.contains("endpoint"), "{text}");
    assert_eq!(emulator.stats().requests, 0);

    let client = Client::builder_from_config_file(Some(&path), None)
        .unwrap()
        .endpoint(emulator.url())
        .build()
        .unwrap();
    let ns = client.send(GetNamespace::new()).unwrap().data;
    assert_eq!(ns, emulator.namespace());
}

/// A host name is resolved when a connection is opened (not before each request, see
/// `resolve.rs`): the client reaches the emulator by name, over and over on one connection.
#[test]
fn a_host_name_is_resolved_when_connecting() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = emulator.write_config(dir.path()).unwrap();
    let url = emulator.url().replace("127.0.0.1", "localhost");
    assert!(url.contains("localhost"), "{url}");
    let client = Client::builder_from_config_file(Some(&path), None)
        .unwrap()
        .endpoint(url.as_str())
        .build()
        .unwrap();
    let os = ObjectStorageClient::new(client);
    for _ in 0..3 {
        assert!(
            !os.get_namespace(GetNamespace::new())
                .unwrap()
                .data
                .is_empty()
        );
    }
}

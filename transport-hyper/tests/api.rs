//! What only the async API has, against the emulator: object bodies as a `Stream` of chunks and
//! as an `AsyncRead`, tokio files as upload bodies, static slices. (The scenarios every
//! transport runs, these operations included, are in `ocisdk-tests`.)
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use bytes::Bytes;
use futures_util::StreamExt;
use md5::{Digest, Md5};
use ocisdk_emulator::Emulator;
use ocisdk_hyper::{Client, UploadBody};
use ocisdk_object_storage::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SIZE: u64 = 16 * 1024 * 1024;

/// Deterministic bytes in 64 KiB chunks.
fn chunks() -> impl Iterator<Item = Bytes> {
    const CHUNK: u64 = 64 * 1024;
    (0..SIZE / CHUNK).map(|c| {
        let chunk: Vec<u8> = (c * CHUNK..(c + 1) * CHUNK)
            .map(|p| (p.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        Bytes::from(chunk)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_bodies_stream_as_chunks_and_as_async_read() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = emulator.write_config(dir.path()).unwrap();
    let client = Client::builder_from_config_file(Some(&path), None)
        .unwrap()
        .endpoint(emulator.url())
        .build()
        .unwrap();
    let os = ObjectStorageClient::new(client.clone());
    let ns = os.get_namespace(GetNamespace::new()).await.unwrap().data;
    os.create_bucket(CreateBucket::new(
        &ns,
        CreateBucketDetails::new("b", client.tenancy()),
    ))
    .await
    .unwrap();

    // A static slice, read back as an AsyncRead.
    os.put_object(PutObject::new(&ns, "b", "hello.txt", 5), &b"hello"[..])
        .await
        .unwrap();
    let got = os
        .get_object(GetObject::new(&ns, "b", "hello.txt"))
        .await
        .unwrap();
    let mut text = String::new();
    got.body
        .into_async_read()
        .read_to_string(&mut text)
        .await
        .unwrap();
    assert_eq!(text, "hello");

    // A tokio file is a replayable body.
    let file_path = dir.path().join("blob.bin");
    let mut file = tokio::fs::File::create(&file_path).await.unwrap();
    let mut want = Md5::new();
    for chunk in chunks() {
        want.update(&chunk);
        file.write_all(&chunk).await.unwrap();
    }
    drop(file);
    let want = want.finalize();
    let body = UploadBody::from(tokio::fs::File::open(&file_path).await.unwrap());
    assert!(body.is_replayable());
    os.put_object(PutObject::new(&ns, "b", "blob.bin", SIZE), body)
        .await
        .unwrap();

    // The body streams in chunks as they arrive, never whole.
    let mut got = os
        .get_object(GetObject::new(&ns, "b", "blob.bin"))
        .await
        .unwrap();
    let mut md5 = Md5::new();
    let mut largest = 0usize;
    while let Some(chunk) = got.body.next().await {
        let chunk = chunk.unwrap();
        largest = largest.max(chunk.len());
        md5.update(&chunk);
    }
    assert_eq!(md5.finalize(), want);
    assert!(largest < 4 << 20, "chunks arrive as they come, not whole");

    // And as an AsyncRead copied into a file.
    let mut copy = tokio::fs::File::create(dir.path().join("copy.bin"))
        .await
        .unwrap();
    let got = os
        .get_object(GetObject::new(&ns, "b", "blob.bin"))
        .await
        .unwrap();
    let copied = tokio::io::copy(&mut got.body.into_async_read(), &mut copy)
        .await
        .unwrap();
    assert_eq!(copied, SIZE);
    drop(copy);
    let back = tokio::fs::read(dir.path().join("copy.bin")).await.unwrap();
    assert_eq!(Md5::digest(&back), want);
}

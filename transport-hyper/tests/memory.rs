//! Peak memory of a streamed 256 MiB put and get stays far below the object's size.
//!
//! The emulator keeps objects in memory, so it runs in this (parent) process while the client
//! runs in a child process (this same test binary, re-run on one test) whose peak RSS
//! (`VmHWM`) is read from `/proc/self/status` and reported back.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use md5::{Digest, Md5};
use ocisdk_core::object_storage::{CreateBucket, GetNamespace, GetObject, PutObject};
use ocisdk_hyper::{Client, UploadBody};

const SIZE: u64 = 256 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn chunk(i: u64) -> Bytes {
    let mut v = vec![0u8; CHUNK];
    for (j, b) in v.iter_mut().enumerate() {
        *b = ((i as usize * 31 + j * 7) % 251) as u8;
    }
    Bytes::from(v)
}

/// The client side; only does anything when the parent set the variables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_streams_256_mib() {
    let (Ok(config), Ok(url)) = (
        std::env::var("OCISDK_MEMTEST_CONFIG"),
        std::env::var("OCISDK_MEMTEST_URL"),
    ) else {
        return;
    };
    let client = Client::builder_from_config_file(Some(config.as_ref()), None)
        .unwrap()
        .endpoint(&url)
        .build()
        .unwrap();
    let os = client.object_storage();
    let ns = os.get_namespace(GetNamespace::new()).await.unwrap().data;
    os.create_bucket(CreateBucket::new(&ns, "mem", client.tenancy()))
        .await
        .unwrap();
    let baseline = peak_rss_kib();

    let chunks = SIZE / CHUNK as u64;
    let mut want = Md5::new();
    for i in 0..chunks {
        want.update(chunk(i));
    }
    let body = stream::iter(0..chunks).map(|i| Ok::<_, std::io::Error>(chunk(i)));
    os.put_object(
        PutObject::new(&ns, "mem", "big.bin", SIZE),
        UploadBody::from_stream(body),
    )
    .await
    .unwrap();

    let got = os
        .get_object(GetObject::new(&ns, "mem", "big.bin"))
        .await
        .unwrap();
    let mut body = got.body;
    let mut md5 = Md5::new();
    let mut total = 0u64;
    while let Some(bytes) = body.next().await {
        let bytes = bytes.unwrap();
        total += bytes.len() as u64;
        md5.update(&bytes);
    }
    assert_eq!(total, SIZE);
    assert_eq!(md5.finalize(), want.finalize());
    println!(
        "MEMTEST baseline_kib={baseline} peak_kib={}",
        peak_rss_kib()
    );
}

#[test]
fn streamed_256_mib_put_and_get_stay_far_below_the_object_size() {
    if std::env::var("OCISDK_MEMTEST_URL").is_ok() {
        return; // inside the child
    }
    let emulator = ocisdk_emulator::Emulator::start_with(ocisdk_emulator::EmulatorConfig {
        max_object_bytes: 1 << 30,
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = emulator.write_config(dir.path()).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_streams_256_mib",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("OCISDK_MEMTEST_CONFIG", &config)
        .env("OCISDK_MEMTEST_URL", emulator.url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.find("MEMTEST").map(|at| &l[at..]))
        .unwrap_or_else(|| panic!("child printed no figure: {stdout}"));
    let field = |name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap()
            .parse()
            .unwrap()
    };
    let (baseline, peak) = (field("baseline_kib"), field("peak_kib"));
    eprintln!(
        "hyper: 256 MiB put + get, client peak RSS {} MiB (baseline {} MiB)",
        peak / 1024,
        baseline / 1024
    );
    assert!(
        peak < 64 * 1024,
        "peak RSS {peak} KiB is not well under 256 MiB"
    );
}

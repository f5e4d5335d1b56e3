//! Peak memory of a streamed 256 MiB put and get stays far below the object's size, on every
//! native transport.
//!
//! The emulator keeps objects in memory, so it runs in this (parent) process while the client
//! runs in a child process (this same test binary, re-run on one `child_*` test) whose peak RSS
//! (`VmHWM`) is read from `/proc/self/status` and reported back.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;

use ocisdk_object_storage::{
    CreateBucket, CreateBucketDetails, GetNamespace, GetObject, PutObject,
};
use ocisdk_tests::{ClientOptions, Credentials, Hyper, NativeTransport, TestBody, pattern_md5};

const SIZE: u64 = 256 * 1024 * 1024;
const SEED: u64 = 256;

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The client side: puts a generated one-shot stream, reads it back by digest, prints the
/// figures. Does nothing unless the parent set the variables.
fn child<T: NativeTransport>() {
    let (Ok(config), Ok(key), Ok(url)) = (
        std::env::var("OCISDK_MEMTEST_CONFIG"),
        std::env::var("OCISDK_MEMTEST_KEY"),
        std::env::var("OCISDK_MEMTEST_URL"),
    ) else {
        return;
    };
    let credentials = Credentials {
        config_text: std::fs::read_to_string(config).unwrap(),
        key_pem: std::fs::read_to_string(key).unwrap(),
    };
    let options = ClientOptions {
        endpoint: Some(url),
        ..Default::default()
    };
    T::block_on(async {
        let c = T::connect(&credentials, &options).unwrap();
        let ns = c.execute(GetNamespace::new()).await.unwrap().data;
        c.execute(CreateBucket::new(
            &ns,
            CreateBucketDetails::new("mem", c.tenancy()),
        ))
        .await
        .unwrap();
        let baseline = peak_rss_kib();
        c.put_object(
            PutObject::new(&ns, "mem", "big.bin", SIZE),
            TestBody::OneShotPattern {
                len: SIZE,
                seed: SEED,
            },
        )
        .await
        .unwrap();
        let got = c
            .get_object_digest(GetObject::new(&ns, "mem", "big.bin"))
            .await
            .unwrap();
        assert_eq!(got.len, SIZE);
        assert_eq!(got.md5, pattern_md5(SIZE, SEED));
        println!(
            "MEMTEST baseline_kib={baseline} peak_kib={}",
            peak_rss_kib()
        );
    });
}

#[test]
fn child_blocking() {
    child::<ocisdk_blocking::Client>();
}

#[test]
fn child_hyper() {
    child::<Hyper>();
}

/// Runs `child_test` in a child process against an in-process emulator; its peak RSS in KiB
/// and the one before the transfer.
fn measure(child_test: &str) -> (u64, u64) {
    let emulator = ocisdk_tests::ocisdk_emulator::Emulator::start_with(
        ocisdk_tests::ocisdk_emulator::EmulatorConfig {
            max_object_bytes: 1 << 30,
            ..Default::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = emulator.write_config(dir.path()).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", child_test, "--nocapture", "--test-threads", "1"])
        .env("OCISDK_MEMTEST_CONFIG", &config)
        .env("OCISDK_MEMTEST_KEY", dir.path().join("key.pem"))
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
    (field("baseline_kib"), field("peak_kib"))
}

fn assert_small(transport: &str, child_test: &str) {
    if std::env::var("OCISDK_MEMTEST_URL").is_ok() {
        return; // inside a child
    }
    let (baseline, peak) = measure(child_test);
    eprintln!(
        "{transport}: 256 MiB put + get, client peak RSS {} MiB (baseline {} MiB)",
        peak / 1024,
        baseline / 1024
    );
    assert!(
        peak < 64 * 1024,
        "peak RSS {peak} KiB is not well under 256 MiB"
    );
}

#[test]
fn blocking_streamed_256_mib_stays_far_below_the_object_size() {
    assert_small("blocking", "child_blocking");
}

#[test]
fn hyper_streamed_256_mib_stays_far_below_the_object_size() {
    assert_small("hyper", "child_hyper");
}

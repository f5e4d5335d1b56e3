//! Per-request overhead of the core, RSA excluded: a full exchange (plan, build, sign with a
//! null RSA backend, hand in the response head and body, decode) for GetUser and for a
//! ListUsers page of 100 users. What a transport adds on top is I/O.
//!
//! `cargo bench -p ocisdk-core --bench exchange`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use ocisdk_core::auth::signer::{KeyId, RequestSigner, RsaBackend, SigningError};
use ocisdk_core::call::run_in_memory;
use ocisdk_core::clock::{Instant, Now};
use ocisdk_core::{Context, Endpoints};
use ocisdk_identity::{GetUser, ListUsers};

/// Signs with 256 zero bytes: every step of signing but the RSA operation itself.
#[derive(Debug)]
struct NullRsa;

impl RsaBackend for NullRsa {
    fn sign_pkcs1v15_sha256(&self, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        black_box(message);
        Ok(vec![0; 256])
    }

    fn name(&self) -> &'static str {
        "null"
    }
}

fn user(i: usize) -> String {
    format!(
        r#"{{"id":"ocid1.user.oc1..aaaaaaaa{i:0>52}","compartmentId":"ocid1.tenancy.oc1..aaaaaaaabbbbbbbbccccccccddddddddeeeeeeeeffffffffgggggggg","name":"user-{i}@example.com","description":"A user of the benchmark","email":"user-{i}@example.com","emailVerified":true,"lifecycleState":"ACTIVE","timeCreated":"2024-05-01T10:11:12.345Z","isMfaActivated":false,"freeformTags":{{"team":"bench"}},"definedTags":{{}},"capabilities":{{"canUseConsolePassword":true,"canUseApiKeys":true}}}}"#
    )
}

fn response(body: String, next: Option<&str>) -> http::Response<Bytes> {
    let mut b = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header(
            "opc-request-id",
            "2F6A3E1B9C4D4E5F8A7B6C5D4E3F2A1B/0123456789ABCDEF",
        )
        .header("etag", "b3f1c2d4e5a6978")
        .header("content-length", body.len());
    if let Some(next) = next {
        b = b.header("opc-next-page", next);
    }
    b.body(Bytes::from(body)).unwrap()
}

fn exchange(c: &mut Criterion) {
    let signer = RequestSigner::new(
        KeyId::ApiKey {
            tenancy: "ocid1.tenancy.oc1..aaaaaaaabbbbbbbbccccccccddddddddeeeeeeeeffffffffgggggggg"
                .into(),
            user: "ocid1.user.oc1..aaaaaaaa0000000000000000000000000000000000000000000000000001"
                .into(),
            fingerprint: "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34".into(),
        },
        Arc::new(NullRsa),
    );
    let ctx = Arc::new(Context::new(
        signer,
        Endpoints::single("https://identity.us-ashburn-1.oci.oraclecloud.com"),
        [7; 32],
    ));
    let now = Now::new(
        Instant::from_origin(Duration::from_secs(1)),
        SystemTime::now(),
    );
    let one = response(user(1), None);
    let page = response(
        format!("[{}]", (0..100).map(user).collect::<Vec<_>>().join(",")),
        Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    );
    let mut group = c.benchmark_group("exchange without RSA");
    group.bench_function("GetUser", |b| {
        b.iter(|| {
            let call = ctx.call(GetUser::new(black_box(
                "ocid1.user.oc1..aaaaaaaa0000000000000000000000000000000000000000000000000001",
            )));
            run_in_memory(call, now, None, |_| Ok(one.clone())).unwrap()
        })
    });
    group.bench_function("ListUsers (page of 100)", |b| {
        b.iter(|| {
            let mut op = ListUsers::new(black_box(
                "ocid1.tenancy.oc1..aaaaaaaabbbbbbbbccccccccddddddddeeeeeeeeffffffffgggggggg",
            ));
            op.limit = Some(100);
            run_in_memory(ctx.call(op), now, None, |_| Ok(page.clone())).unwrap()
        })
    });
    group.bench_function("ListUsers (page of 100), per user", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            for _ in 0..iters.div_ceil(100) {
                let op = ListUsers::new(black_box("ocid1.tenancy.oc1..t"));
                black_box(run_in_memory(ctx.call(op), now, None, |_| Ok(page.clone())).unwrap());
            }
            // `iters` users took this long.
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group!(benches, exchange);
criterion_main!(benches);

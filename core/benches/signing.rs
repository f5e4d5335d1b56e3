//! Signing cost per request, per RSA backend (2048-bit key, the size `oci setup keys` makes).
//!
//! `cargo bench -p ocisdk-core --features native --bench signing`
//! (add `bench-ring` to compare ring as well).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use ocisdk_core::auth::PrivateKey;
use ocisdk_core::auth::signer::{KeyId, PortableRsa, RequestSigner, RsaBackend, SignBody};
use ocisdk_core::config::ConfigFile;

const KEY: &str = include_str!("../tests/fixtures/keys/pkcs1.pem");
const MESSAGE: &[u8] = b"date: Thu, 05 Jan 2014 21:31:40 GMT\n(request-target): get /20160918/users?compartmentId=ocid1.tenancy.oc1..aaaa\nhost: identity.us-ashburn-1.oci.oraclecloud.com";

#[cfg(feature = "bench-ring")]
struct Ring(ring::signature::RsaKeyPair, ring::rand::SystemRandom);

#[cfg(feature = "bench-ring")]
impl Ring {
    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let mut sig = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(&ring::signature::RSA_PKCS1_SHA256, &self.1, msg, &mut sig)
            .unwrap();
        sig
    }
}

fn backends(c: &mut Criterion) {
    let key = PrivateKey::from_pem(KEY, None, "pkcs1.pem").unwrap();
    let portable = PortableRsa::new(&key, [5; 32]);
    let mut group = c.benchmark_group("rsa-2048 pkcs1v15-sha256 sign");
    group.bench_function("rsa (portable, blinded)", |b| {
        b.iter(|| portable.sign_pkcs1v15_sha256(black_box(MESSAGE)).unwrap())
    });
    #[cfg(feature = "native")]
    {
        let native = ocisdk_core::auth::signer::NativeRsa::new(&key).unwrap();
        assert_eq!(
            native.sign_pkcs1v15_sha256(MESSAGE).unwrap(),
            portable.sign_pkcs1v15_sha256(MESSAGE).unwrap()
        );
        group.bench_function("aws-lc-rs (native)", |b| {
            b.iter(|| native.sign_pkcs1v15_sha256(black_box(MESSAGE)).unwrap())
        });
    }
    #[cfg(feature = "bench-ring")]
    {
        let der = key.to_pkcs1_der().unwrap();
        let ring = Ring(
            ring::signature::RsaKeyPair::from_der(&der).unwrap(),
            ring::rand::SystemRandom::new(),
        );
        assert_eq!(
            ring.sign(MESSAGE),
            portable.sign_pkcs1v15_sha256(MESSAGE).unwrap()
        );
        group.bench_function("ring", |b| b.iter(|| ring.sign(black_box(MESSAGE))));
    }
    group.finish();
}

fn whole_request(c: &mut Criterion) {
    let key = PrivateKey::from_pem(KEY, None, "pkcs1.pem").unwrap();
    let signer = RequestSigner::new(
        KeyId::ApiKey {
            tenancy: "ocid1.tenancy.oc1..aaaa".into(),
            user: "ocid1.user.oc1..aaaa".into(),
            fingerprint: key.fingerprint(),
        },
        ocisdk_core::auth::signer::default_backend(&key, [5; 32]),
    );
    let body = vec![b'x'; 4096];
    let now = SystemTime::now();
    c.bench_function(
        &format!("sign POST with 4 KiB JSON body ({})", signer.backend_name()),
        |b| {
            b.iter(|| {
                let mut req = http::Request::post(
                    "https://identity.us-ashburn-1.oci.oraclecloud.com/20160918/users",
                )
                .body(())
                .unwrap();
                signer.sign(&mut req, SignBody::Hashed(&body), now).unwrap();
                req
            })
        },
    );
}

fn key_and_config(c: &mut Criterion) {
    c.bench_function("parse PKCS#1 key + fingerprint", |b| {
        b.iter(|| {
            PrivateKey::from_pem(black_box(KEY), None, "k")
                .unwrap()
                .fingerprint()
        })
    });
    let config = "[DEFAULT]\nuser=ocid1.user.oc1..aaaa\nfingerprint=24:95:79:4c:74:08:af:f9:05:3d:5f:a7:19:8e:39:97\nkey_file=~/.oci/key.pem\ntenancy=ocid1.tenancy.oc1..aaaa\nregion=us-ashburn-1\n\n[ADMIN]\nuser=ocid1.user.oc1..bbbb\n";
    c.bench_function("parse config + resolve profile", |b| {
        b.iter(|| {
            ConfigFile::parse(black_box(config), "config")
                .unwrap()
                .profile("ADMIN")
                .unwrap()
        })
    });
}

criterion_group!(benches, backends, whole_request, key_and_config);
criterion_main!(benches);

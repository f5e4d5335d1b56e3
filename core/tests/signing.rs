//! The official request-signing vectors, byte for byte, and property tests that what is signed
//! is exactly the request that is built.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ocisdk_core::auth::signer::{KeyId, PortableRsa, RequestSigner, SignBody};
use ocisdk_core::auth::{PrivateKey, RsaBackend};
use ocisdk_core::call::Step;
use ocisdk_core::clock::{Instant, Now};
use ocisdk_core::{Context, Endpoints, RequestBody};
use proptest::prelude::*;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use sha2::Sha256;

const DOC_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----";

const TENANCY: &str =
    "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq";
const USER: &str = "ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq";
const FINGERPRINT: &str = "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34";

fn doc_signer() -> (RequestSigner, PrivateKey) {
    let key = PrivateKey::from_pem(DOC_KEY, None, "doc-key").unwrap();
    let backend: Arc<dyn RsaBackend> = Arc::new(PortableRsa::new(&key, [7; 32]));
    let signer = RequestSigner::new(
        KeyId::ApiKey {
            tenancy: TENANCY.into(),
            user: USER.into(),
            fingerprint: FINGERPRINT.into(),
        },
        backend,
    );
    (signer, key)
}

/// The vectors' date. 5 January 2014 was a Sunday, but the published signatures were made over
/// this exact string, so it is passed verbatim.
const DOC_DATE: &str = "Thu, 05 Jan 2014 21:31:40 GMT";

fn doc_date() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_388_957_500)
}

fn auth_param<'a>(auth: &'a str, name: &str) -> &'a str {
    let start = auth.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    let end = start + auth[start..].find('"').unwrap();
    &auth[start..end]
}

#[test]
fn official_get_vector() {
    let (signer, _) = doc_signer();
    let mut req = http::Request::get("https://iaas.us-phoenix-1.oraclecloud.com/20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q")
        .body(())
        .unwrap();
    signer
        .sign_with_date(&mut req, SignBody::Unsigned, DOC_DATE)
        .unwrap();
    assert_eq!(req.headers()["date"], DOC_DATE);
    let auth = req.headers()["authorization"].to_str().unwrap();
    assert_eq!(auth_param(auth, "headers"), "date (request-target) host");
    assert_eq!(
        auth_param(auth, "keyId"),
        format!("{TENANCY}/{USER}/{FINGERPRINT}")
    );
    assert_eq!(auth_param(auth, "algorithm"), "rsa-sha256");
    assert_eq!(
        auth_param(auth, "signature"),
        "GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtLBj3sUzaFj34XE6YZAHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M="
    );
}

const POST_BODY: &str = "{\n    \"compartmentId\": \"ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa\",\n    \"instanceId\": \"ocid1.instance.oc1.phx.abuw4ljrlsfiqw6vzzxb43vyypt4pkodawglp3wqxjqofakrwvou52gb6s5a\",\n    \"volumeId\": \"ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q\"\n}";

#[test]
fn official_post_vector() {
    assert_eq!(POST_BODY.len(), 316);
    let (signer, _) = doc_signer();
    let mut req =
        http::Request::post("https://iaas.us-phoenix-1.oraclecloud.com/20160918/volumeAttachments")
            .header("content-type", "application/json")
            .body(())
            .unwrap();
    signer
        .sign_with_date(&mut req, SignBody::Hashed(POST_BODY.as_bytes()), DOC_DATE)
        .unwrap();
    assert_eq!(req.headers()["content-length"], "316");
    assert_eq!(
        req.headers()["x-content-sha256"],
        "V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0="
    );
    let auth = req.headers()["authorization"].to_str().unwrap();
    assert_eq!(
        auth_param(auth, "headers"),
        "date (request-target) host content-length content-type x-content-sha256"
    );
    assert_eq!(
        auth_param(auth, "signature"),
        "Mje8vIDPlwIHmD/cTDwRxE7HaAvBg16JnVcsuqaNRim23fFPgQfLoOOxae6WqKb1uPjYEl0qIdazWaBy/Ml8DRhqlocMwoSXv0fbukP8J5N80LCmzT/FFBvIvTB91XuXI3hYfP9Zt1l7S6ieVadHUfqBedWH0itrtPJBgKmrWso="
    );
}

#[test]
fn empty_post_body_hash() {
    let (signer, _) = doc_signer();
    let mut req = http::Request::post("https://h.example/x").body(()).unwrap();
    signer
        .sign(&mut req, SignBody::Hashed(b""), doc_date())
        .unwrap();
    assert_eq!(req.headers()["content-length"], "0");
    assert_eq!(
        req.headers()["x-content-sha256"],
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    );
}

#[test]
fn non_default_port_is_in_host() {
    let (signer, _) = doc_signer();
    let mut req = http::Request::get("http://127.0.0.1:8123/n/")
        .body(())
        .unwrap();
    signer
        .sign(&mut req, SignBody::Unsigned, doc_date())
        .unwrap();
    assert_eq!(req.headers()["host"], "127.0.0.1:8123");
    let mut req = http::Request::get("https://h.example:443/n/")
        .body(())
        .unwrap();
    signer
        .sign(&mut req, SignBody::Unsigned, doc_date())
        .unwrap();
    assert_eq!(req.headers()["host"], "h.example");
}

#[test]
fn session_token_key_id_is_redacted_in_debug() {
    let key = PrivateKey::from_pem(DOC_KEY, None, "doc-key").unwrap();
    let signer = RequestSigner::new(
        KeyId::SessionToken(ocisdk_core::config::Secret::new(
            "tok-secret-123".to_string(),
        )),
        Arc::new(PortableRsa::new(&key, [1; 32])),
    );
    let mut req = http::Request::get("https://h.example/x").body(()).unwrap();
    signer
        .sign(&mut req, SignBody::Unsigned, doc_date())
        .unwrap();
    let auth = req.headers()["authorization"].to_str().unwrap();
    assert_eq!(auth_param(auth, "keyId"), "ST$tok-secret-123");
    let debug = format!("{signer:?}");
    assert!(!debug.contains("tok-secret-123"), "{debug}");
}

/// Rebuilds the signing string from the request as built, independently of the signer, and
/// checks the signature against the public key.
fn verify_request(req: &http::Request<RequestBody>, key: &PrivateKey) {
    let auth = req.headers()["authorization"].to_str().unwrap();
    let names = auth_param(auth, "headers");
    let mut lines = Vec::new();
    for name in names.split(' ') {
        if name == "(request-target)" {
            let pq = req.uri().path_and_query().unwrap().as_str();
            lines.push(format!(
                "(request-target): {} {pq}",
                req.method().as_str().to_lowercase()
            ));
        } else {
            let v = req.headers()[name].to_str().unwrap();
            lines.push(format!("{name}: {v}"));
        }
    }
    let host = req.headers()["host"].to_str().unwrap();
    assert_eq!(host, req.uri().authority().unwrap().as_str());
    if let RequestBody::Bytes(b) = req.body() {
        assert!(names.contains("x-content-sha256"));
        use sha2::Digest;
        assert_eq!(
            req.headers()["x-content-sha256"].to_str().unwrap(),
            B64.encode(Sha256::digest(b))
        );
        assert_eq!(
            req.headers()["content-length"].to_str().unwrap(),
            b.len().to_string()
        );
    }
    let sig = Signature::try_from(
        B64.decode(auth_param(auth, "signature"))
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    let vk = VerifyingKey::<Sha256>::new(key.public_key());
    vk.verify(lines.join("\n").as_bytes(), &sig)
        .expect("signature covers the request as built");
}

fn first_request<O: ocisdk_core::Operation>(
    ctx: &Arc<Context>,
    op: O,
    now: SystemTime,
) -> http::Request<RequestBody> {
    let call = ctx.call(op);
    match call.poll(Now::new(Instant::default(), now)) {
        Step::Send { request, .. } => request,
        other => panic!("expected a request, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn signature_covers_built_request(
        name in "\\PC{0,24}",
        // Not all spaces: a blank required path parameter is refused before signing (as the
        // official SDKs do).
        object in "[a-zA-Z0-9+()/%?#&=é_.-][a-zA-Z0-9 +()/%?#&=é_.-]{0,39}",
        port in 1u16..65535,
        secs in 0u64..4_000_000_000,
        limit in proptest::option::of(1u32..1000),
        description in "\\PC{0,64}",
    ) {
        let (signer, key) = doc_signer();
        let base = format!("http://127.0.0.1:{port}");
        let ctx = Arc::new(Context::new(signer, Endpoints::single(&base), [3; 32]));
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);

        let mut list = ocisdk_identity::ListUsers::new(TENANCY);
        list.name = Some(name.clone());
        list.limit = limit.map(i64::from);
        verify_request(&first_request(&ctx, list, now), &key);

        let details =
            ocisdk_identity::CreateGroupDetails::new(TENANCY, format!("g{name}"), description);
        let create = ocisdk_identity::CreateGroup::new(details);
        let req = first_request(&ctx, create, now);
        prop_assert!(req.headers().contains_key("opc-retry-token"));
        verify_request(&req, &key);

        let get = ocisdk_object_storage::GetObject::new("ns", "bucket", &object);
        let req = first_request(&ctx, get, now);
        prop_assert!(req.uri().path().starts_with("/n/ns/b/bucket/o/"));
        verify_request(&req, &key);

        let put = ocisdk_object_storage::PutObject::new("ns", "bucket", &object, 42);
        let req = first_request(&ctx, put, now);
        let auth = req.headers()["authorization"].to_str().unwrap().to_string();
        prop_assert_eq!(auth_param(&auth, "headers"), "date (request-target) host");
        prop_assert_eq!(req.headers()["content-length"].to_str().unwrap(), "42");
        verify_request(&req, &key);
    }
}

/// PKCS#1 v1.5 is deterministic: the portable (blinded) and native backends must agree byte for
/// byte, and aws-lc-rs must refuse the 1024-bit doc key that only the portable backend accepts.
#[cfg(feature = "native")]
#[test]
fn native_and_portable_backends_sign_identically() {
    use ocisdk_core::auth::signer::NativeRsa;
    let key =
        PrivateKey::from_pem(include_str!("fixtures/keys/pkcs1.pem"), None, "pkcs1.pem").unwrap();
    let portable = PortableRsa::new(&key, [9; 32]);
    let native = NativeRsa::new(&key).unwrap();
    for msg in [&b""[..], b"date: x\n(request-target): get /", &[0xff; 4096]] {
        assert_eq!(
            portable.sign_pkcs1v15_sha256(msg).unwrap(),
            native.sign_pkcs1v15_sha256(msg).unwrap()
        );
    }
    let doc = PrivateKey::from_pem(DOC_KEY, None, "doc-key").unwrap();
    assert!(NativeRsa::new(&doc).is_err());
    // The default backend falls back to the portable one for such keys.
    assert_eq!(
        ocisdk_core::auth::signer::default_backend(&doc, [0; 32]).name(),
        "rsa"
    );
    assert_eq!(
        ocisdk_core::auth::signer::default_backend(&key, [0; 32]).name(),
        "aws-lc-rs"
    );
}

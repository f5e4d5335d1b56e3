//! What only the `fetch` client has, against `ocisdk-emulator`: `Blob` uploads and
//! `ReadableStream` downloads, retries with `setTimeout` sleeps, a timeout that aborts the
//! fetch, the JS API called from Rust, the host's clock. Run by `tests/run.sh` in headless
//! Chromium (a window and a dedicated worker) and in Node. The emulator's URL, config text and
//! key PEM are baked in at compile time (wasm has no environment at run time); the emulator is
//! started with `--page-size 2 --fault kind=503,op=HeadObject,times=2 --fault
//! kind=stall,op=GetBucket,times=1,stall-ms=2000`, faults these tests count on, so they get an
//! emulator of their own. The scenarios every transport runs are in `tests/scenarios.rs`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use js_sys::{Reflect, Uint8Array};
use ocisdk_core::{Error, RetryPolicy};
use ocisdk_object_storage::{
    CreateBucket, CreateBucketDetails, DeleteBucket, DeleteObject, GetBucket, GetNamespace,
    GetObject, HeadObject, ObjectStorageClient, PutObject, content_md5,
};
use ocisdk_wasm::{Client, ocisdk_core};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

mod common;
use common::{client, config, key, url};

/// A name no other test (or earlier run) uses.
fn unique(prefix: &str) -> String {
    let n = (js_sys::Math::random() * 1e9) as u64;
    format!("{prefix}-{n}")
}

async fn namespace(client: &Client) -> String {
    ObjectStorageClient::new(client.clone())
        .get_namespace(GetNamespace::new())
        .await
        .unwrap()
        .data
}

/// `n` deterministic pseudo-random bytes.
fn pattern(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[wasm_bindgen_test]
async fn blob_upload_and_readable_stream_download() {
    let client = client();
    let os = ObjectStorageClient::new(client.clone());
    let ns = namespace(&client).await;
    let bucket = unique("wasm-blob");
    os.create_bucket(CreateBucket::new(
        &ns,
        CreateBucketDetails::new(&bucket, client.tenancy()),
    ))
    .await
    .unwrap();
    let data = pattern(1 << 20);
    let parts = js_sys::Array::of1(&Uint8Array::from(&data[..]));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).unwrap();
    os.put_object(
        PutObject::new(&ns, &bucket, "blob.bin", data.len() as u64),
        &blob,
    )
    .await
    .unwrap();

    let got = os
        .get_object(GetObject::new(&ns, &bucket, "blob.bin"))
        .await
        .unwrap();
    let stream = got.body.into_readable_stream().expect("a body");
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut back = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.unwrap();
        if Reflect::get(&chunk, &"done".into()).unwrap().is_truthy() {
            break;
        }
        let value = Reflect::get(&chunk, &"value".into()).unwrap();
        back.extend(Uint8Array::new(&value).to_vec());
    }
    assert_eq!(back.len(), data.len());
    assert_eq!(content_md5(&back), content_md5(&data));

    // A declared length that differs from the body's is refused before sending.
    let err = os
        .put_object(PutObject::new(&ns, &bucket, "short.bin", 10), &blob)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Body(_)), "{err}");

    os.delete_object(DeleteObject::new(&ns, &bucket, "blob.bin"))
        .await
        .unwrap();
    os.delete_bucket(DeleteBucket::new(&ns, &bucket))
        .await
        .unwrap();
}

/// The emulator answers the first two HeadObject requests with 503 (`--fault
/// kind=503,op=HeadObject,times=2`): without retries the first fails; with them the second
/// call succeeds after one more injected 503.
#[wasm_bindgen_test]
async fn retries_after_503() {
    let client = client();
    let os = ObjectStorageClient::new(client.clone());
    let ns = namespace(&client).await;
    let bucket = unique("wasm-retry");
    os.create_bucket(CreateBucket::new(
        &ns,
        CreateBucketDetails::new(&bucket, client.tenancy()),
    ))
    .await
    .unwrap();
    os.put_object(PutObject::new(&ns, &bucket, "r", 2), b"ok")
        .await
        .unwrap();

    let once = client.with_retry_policy(RetryPolicy::disabled());
    let err = ObjectStorageClient::new(once.clone())
        .head_object(HeadObject::new(&ns, &bucket, "r"))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{err}");
    assert!(err.is_retryable());

    let head = os
        .head_object(HeadObject::new(&ns, &bucket, "r"))
        .await
        .unwrap();
    assert_eq!(head.data.content_length, Some(2));

    os.delete_object(DeleteObject::new(&ns, &bucket, "r"))
        .await
        .unwrap();
    os.delete_bucket(DeleteBucket::new(&ns, &bucket))
        .await
        .unwrap();
}

/// The emulator holds the first GetBucket without answering (`kind=stall`): the client's
/// timeout aborts the fetch and reports a retryable timeout; the next GetBucket is answered.
#[wasm_bindgen_test]
async fn timeout_aborts_a_stalled_request() {
    let client = client();
    let ns = namespace(&client).await;
    let bucket = unique("wasm-stall");
    ObjectStorageClient::new(client.clone())
        .create_bucket(CreateBucket::new(
            &ns,
            CreateBucketDetails::new(&bucket, client.tenancy()),
        ))
        .await
        .unwrap();
    let impatient = Client::builder_from_config_text(config(), None, key())
        .unwrap()
        .endpoint(url())
        .retry_policy(RetryPolicy::disabled())
        .timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    let err = ObjectStorageClient::new(impatient.clone())
        .get_bucket(GetBucket::new(&ns, &bucket))
        .await
        .unwrap_err();
    match &err {
        Error::Transport(e) => {
            assert_eq!(
                e.kind,
                ocisdk_core::error::TransportErrorKind::Timeout,
                "{err}"
            )
        }
        other => panic!("expected a timeout, got {other}"),
    }
    assert!(err.is_retryable());
    let got = ObjectStorageClient::new(impatient.clone())
        .get_bucket(GetBucket::new(&ns, &bucket))
        .await
        .unwrap();
    assert_eq!(got.data.name, bucket);
    ObjectStorageClient::new(client.clone())
        .delete_bucket(DeleteBucket::new(&ns, &bucket))
        .await
        .unwrap();
}

/// The clock the client signs with is the host's `Date.now()`; budgets run on a monotonic
/// clock that moves forward.
#[wasm_bindgen_test]
fn clock_is_date_now() {
    let first = ocisdk_wasm::now();
    let now = first
        .wall
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as f64;
    assert!((now - js_sys::Date::now()).abs() < 5_000.0);
    assert!(ocisdk_wasm::now().instant >= first.instant);
    assert!(ocisdk_wasm::is_forbidden_header("Host"));
    assert!(ocisdk_wasm::is_forbidden_header("content-length"));
    assert!(!ocisdk_wasm::is_forbidden_header("x-date"));
}

/// Calls `globalThis[name](args...)` and awaits the promise it returns.
async fn call_global(name: &str, args: &[wasm_bindgen::JsValue]) -> wasm_bindgen::JsValue {
    let global = js_sys::global();
    let f: js_sys::Function = Reflect::get(&global, &name.into())
        .unwrap()
        .dyn_into()
        .unwrap();
    let promise = f
        .apply(&global, &args.iter().collect::<js_sys::Array>())
        .unwrap();
    JsFuture::from(js_sys::Promise::resolve(&promise))
        .await
        .unwrap()
}

async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout: js_sys::Function = Reflect::get(&global, &"setTimeout".into())
            .unwrap()
            .dyn_into()
            .unwrap();
        set_timeout
            .call2(&global, &resolve, &wasm_bindgen::JsValue::from(ms))
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// Signs in at the emulator's stand-in for `oci session authenticate` (`POST
/// /_emulator/session-token`) with a bare `fetch`: a session token bound to `public_pem`.
async fn sign_in(public_pem: &str, lifetime_secs: u32) -> String {
    let init = js_sys::Object::new();
    Reflect::set(&init, &"method".into(), &"POST".into()).unwrap();
    let body = js_sys::Object::new();
    Reflect::set(&body, &"publicKey".into(), &public_pem.into()).unwrap();
    Reflect::set(&body, &"lifetimeSeconds".into(), &lifetime_secs.into()).unwrap();
    let body = js_sys::JSON::stringify(&body).unwrap();
    Reflect::set(&init, &"body".into(), &body).unwrap();
    let url = format!("{}/_emulator/session-token", url());
    let response = call_global("fetch", &[url.into(), init.into()]).await;
    let json: js_sys::Function = Reflect::get(&response, &"json".into())
        .unwrap()
        .dyn_into()
        .unwrap();
    let reply = JsFuture::from(js_sys::Promise::resolve(&json.call0(&response).unwrap()))
        .await
        .unwrap();
    Reflect::get(&reply, &"token".into())
        .unwrap()
        .as_string()
        .expect("the sign-in answers with a token")
}

/// A session token in the browser (issue 12): the client signs as `ST$<token>` with the
/// session key and, as the token nears its `exp`, refreshes it at the auth endpoint (the
/// emulator's) through `fetch` like any other request, with no error for the calls around it.
#[wasm_bindgen_test]
async fn session_token_is_refreshed_before_it_expires() {
    let public = ocisdk_core::auth::PrivateKey::from_pem(key(), None, "the test key")
        .unwrap()
        .public_key_pem();
    // Four seconds of life: due two to three seconds in (half its life, less jitter).
    let token = sign_in(&public, 4).await;
    let client = Client::builder_from_session_token_text(config(), None, key(), &token)
        .unwrap()
        .endpoint(url())
        .auth_endpoint(url())
        .build()
        .unwrap();
    let principal = client
        .context()
        .session()
        .expect("a session principal")
        .clone();
    let first_expiry = principal.expires();
    let start = js_sys::Date::now();
    let mut calls = 0;
    while js_sys::Date::now() - start < 6_000.0 {
        let ns = namespace(&client).await;
        assert!(!ns.is_empty());
        calls += 1;
        sleep_ms(250).await;
    }
    assert!(calls >= 10, "{calls} calls");
    assert_eq!(principal.refreshes(), 1, "one refresh in six seconds");
    assert_eq!(principal.generation(), 2);
    assert!(principal.expires() > first_expiry);
    // A token that is not a JWT is refused when the client is built, without quoting it.
    let Err(err) = Client::builder_from_session_token_text(config(), None, key(), "SECRET.not-jwt")
    else {
        panic!("a malformed token is an error")
    };
    assert!(!format!("{err} {err:?}").contains("SECRET"), "{err}");
}

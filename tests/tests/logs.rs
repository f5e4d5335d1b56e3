//! No secret in any log: signed requests (a session token, an SSE-C key) run on both native
//! transports with a `log` logger and a `tracing` subscriber that take everything, at TRACE, from
//! every crate (ureq, ureq-proto, rustls, hyper, the core); neither the token, the SSE-C key nor
//! a signature appears, in clear or in the hex dumps ureq-proto writes of each request head.
//!
//! One test in its own binary: loggers are process-global.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use ocisdk_emulator::Emulator;
use ocisdk_object_storage::{
    CreateBucket, CreateBucketDetails, GetNamespace, GetObject, ListBuckets, PutObject,
};

static CAPTURED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn capture(line: String) {
    CAPTURED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(line);
}

/// Every `log` record, every level, every target.
struct LogEverything;

impl log::Log for LogEverything {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        capture(format!("{} {}", record.target(), record.args()));
    }
    fn flush(&self) {}
}

/// Every `tracing` span and event, every level, every field.
struct TraceEverything(AtomicU64);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl tracing::Subscriber for TraceEverything {
    fn register_callsite(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::always()
    }
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut fields = Fields(format!("span {}", span.metadata().name()));
        span.record(&mut fields);
        capture(fields.0);
        tracing::span::Id::from_u64(self.0.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut fields = Fields("record".into());
        values.record(&mut fields);
        capture(fields.0);
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(format!(
            "{} {}",
            event.metadata().level(),
            event.metadata().target()
        ));
        event.record(&mut fields);
        capture(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// The bytes of ureq-proto's hex-dump rows (`4745 5420 2f6e …  GET /n…`), in order: what it
/// logged of each request and response head, as the bytes themselves.
fn hex_dumped(lines: &[String]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for line in lines {
        let Some(rest) = line.strip_prefix("ureq_proto") else {
            continue;
        };
        let Some((_, row)) = rest.split_once(' ') else {
            continue;
        };
        let groups: Vec<&str> = row.split(' ').take(8).collect();
        if groups.len() != 8 || groups.iter().any(|g| g.len() != 4) {
            continue;
        }
        for group in groups {
            for pair in [&group[..2], &group[2..]] {
                if let Ok(b) = u8::from_str_radix(pair, 16) {
                    bytes.push(b);
                }
            }
        }
    }
    bytes
}

/// A JWT (the client reads its `exp`, year 2100) whose signature part is the marker searched for.
const TOKEN: &str =
    "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.session-token-that-must-never-be-logged-4f1c9a";
const TOKEN_MARKER: &str = "session-token-that-must-never-be-logged-4f1c9a";
/// 32 bytes of AES-256 key, base64: what SSE-C sends in `opc-sse-customer-key`.
const SSE_KEY: &str = "c3NlLWMta2V5LXRoYXQtbXVzdC1uZXZlci1iZS1sb2c=";
const SSE_KEY_SHA256: &str = "z9/BAbOyNz0wA6f3r9+Lw6M4Q5l2bH0iVhRj7Wk8Ie4=";

#[test]
fn no_secret_reaches_any_log_at_trace_on_any_native_transport() {
    log::set_logger(Box::leak(Box::new(LogEverything))).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    tracing::subscriber::set_global_default(TraceEverything(AtomicU64::new(0))).unwrap();

    let emulator = Emulator::start().unwrap();
    emulator
        .add_session_token(TOKEN, emulator.public_key_pem())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    std::fs::write(&key, emulator.private_key_pem()).unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, TOKEN).unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[DEFAULT]\ntenancy={}\nregion={}\nkey_file={}\nsecurity_token_file={}\n",
            emulator.tenancy_id(),
            emulator.region(),
            key.display(),
            token.display()
        ),
    )
    .unwrap();
    let tenancy = emulator.tenancy_id().to_string();
    let payload = b"object body, not a secret";

    // Blocking (ureq): session-token signature, an SSE-C put and get.
    let client = ocisdk_blocking::Client::builder_from_config_file(Some(&config), None)
        .unwrap()
        .endpoint(emulator.url())
        .build()
        .unwrap();
    let ns = client.send(GetNamespace::new()).unwrap().data;
    client
        .send(CreateBucket::new(
            &ns,
            CreateBucketDetails::new("logs-blocking", &tenancy),
        ))
        .unwrap();
    client
        .send_upload(
            PutObject::new(&ns, "logs-blocking", "o", payload.len() as u64)
                .opc_sse_customer_algorithm("AES256")
                .opc_sse_customer_key(SSE_KEY)
                .opc_sse_customer_key_sha256(SSE_KEY_SHA256),
            &payload[..],
        )
        .unwrap();
    let mut got = Vec::new();
    std::io::Read::read_to_end(
        &mut client
            .send_download(
                GetObject::new(&ns, "logs-blocking", "o")
                    .opc_sse_customer_algorithm("AES256")
                    .opc_sse_customer_key(SSE_KEY)
                    .opc_sse_customer_key_sha256(SSE_KEY_SHA256),
            )
            .unwrap()
            .body,
        &mut got,
    )
    .unwrap();
    assert_eq!(got, payload);
    client.send(ListBuckets::new(&ns, &tenancy)).unwrap();

    // Async (hyper): the same.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = ocisdk_hyper::Client::builder_from_config_file(Some(&config), None)
            .unwrap()
            .endpoint(emulator.url())
            .build()
            .unwrap();
        client
            .send(CreateBucket::new(
                &ns,
                CreateBucketDetails::new("logs-hyper", &tenancy),
            ))
            .await
            .unwrap();
        client
            .send_upload(
                PutObject::new(&ns, "logs-hyper", "o", payload.len() as u64)
                    .opc_sse_customer_algorithm("AES256")
                    .opc_sse_customer_key(SSE_KEY)
                    .opc_sse_customer_key_sha256(SSE_KEY_SHA256),
                &payload[..],
            )
            .await
            .unwrap();
        let got = client
            .send_download(
                GetObject::new(&ns, "logs-hyper", "o")
                    .opc_sse_customer_algorithm("AES256")
                    .opc_sse_customer_key(SSE_KEY)
                    .opc_sse_customer_key_sha256(SSE_KEY_SHA256),
            )
            .await
            .unwrap()
            .body
            .bytes()
            .await
            .unwrap();
        assert_eq!(&got[..], payload);
    });

    // A plain-http endpoint beyond this machine is allowed (with a warning), an SSE-C key to it
    // is not.
    let remote = ocisdk_blocking::Client::builder_from_config_file(Some(&config), None)
        .unwrap()
        .endpoint("http://objectstorage.example.invalid")
        .build()
        .unwrap();
    let refused = remote
        .send(
            GetObject::new(&ns, "b", "o")
                .opc_sse_customer_algorithm("AES256")
                .opc_sse_customer_key(SSE_KEY)
                .opc_sse_customer_key_sha256(SSE_KEY_SHA256),
        )
        .unwrap_err();
    assert!(
        refused.to_string().contains("opc-sse-customer-key"),
        "{refused}"
    );

    let lines = CAPTURED.lock().unwrap().clone();
    let text = lines.join("\n");
    let dumped = hex_dumped(&lines);
    let dumped_text = String::from_utf8_lossy(&dumped);

    // The capture is real: ureq-proto's dumps of the request heads are in it, with the
    // placeholders the blocking transport hands ureq instead of the sensitive values.
    assert!(
        dumped_text.contains("GET /n HTTP/1.1"),
        "no request head in {} captured lines",
        lines.len()
    );
    assert!(
        dumped_text.contains("authorization: ocisdk-redacted-"),
        "{dumped_text}"
    );
    assert!(
        dumped_text.contains("opc-sse-customer-key: ocisdk-redacted-"),
        "{dumped_text}"
    );
    assert!(
        text.contains("plain http:// endpoint"),
        "the plain-http warning was not logged"
    );

    for (what, secret) in [
        ("the session token", TOKEN),
        ("a part of the session token", TOKEN_MARKER),
        ("the SSE-C key", SSE_KEY),
        ("a signature", "signature=\""),
    ] {
        assert!(!text.contains(secret), "{what} is in a log line");
        assert!(
            !dumped_text.contains(secret),
            "{what} is in ureq-proto's hex dump"
        );
    }
    emulator.shutdown();
}

//! What the core tells a user through `tracing` instead of staying silent: each retry (its
//! reason and its wait) and a region name missing from the table. Captured with a subscriber
//! set for the current thread only, so the tests do not see each other.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use ocisdk_core::auth::{PrivateKey, api_key_signer};
use ocisdk_core::call::run_in_memory;
use ocisdk_core::clock::{Instant, Now};
use ocisdk_core::error::{TransportError, TransportErrorKind};
use ocisdk_core::region::{RegionSources, resolve_region};
use ocisdk_core::{Context, Endpoints, RetryPolicy};
use ocisdk_identity::GetGroup;

/// One captured event: its level and its fields, message included, as text.
#[derive(Debug, Clone)]
struct Event {
    level: tracing::Level,
    text: String,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Event>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push(Event {
            level: *event.metadata().level(),
            text: fields.0,
        });
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn captured(f: impl FnOnce()) -> Vec<Event> {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), f);
    capture.0.lock().unwrap().clone()
}

fn warnings(events: &[Event]) -> Vec<&Event> {
    events
        .iter()
        .filter(|e| e.level == tracing::Level::WARN)
        .collect()
}

fn ctx(policy: RetryPolicy) -> Arc<Context> {
    let key = PrivateKey::from_pem(include_str!("fixtures/keys/doc_1024.pem"), None, "k").unwrap();
    let signer = api_key_signer(
        "ocid1.tenancy.oc1..t",
        "ocid1.user.oc1..u",
        None,
        &key,
        [1; 32],
    );
    Arc::new(
        Context::new(signer, Endpoints::single("http://127.0.0.1:9"), [3; 32])
            .with_retry_policy(policy),
    )
}

fn start() -> Now {
    Now::new(
        Instant::from_origin(Duration::from_secs(50)),
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    )
}

const GROUP: &str = r#"{"id":"g","compartmentId":"t","name":"n","description":"","lifecycleState":"ACTIVE","timeCreated":"2020-01-01T00:00:00Z"}"#;

/// A refused connection, then a 503 with `retry-after: 2`, then success: two warnings, each
/// naming the operation, the attempt, the reason and the wait.
#[test]
fn each_retry_is_a_warning_with_its_reason_and_wait() {
    let events = captured(|| {
        let mut n = 0;
        let result = run_in_memory(
            ctx(RetryPolicy::default()).call(GetGroup::new("ocid1.group.oc1..g")),
            start(),
            None,
            |_| {
                n += 1;
                match n {
                    1 => Err(TransportError::new(
                        TransportErrorKind::Connect,
                        "Connection refused (os error 111)",
                    )),
                    2 => Ok(http::Response::builder()
                        .status(503)
                        .header("retry-after", "2")
                        .body(Bytes::from_static(
                            br#"{"code":"ServiceUnavailable","message":"busy"}"#,
                        ))
                        .unwrap()),
                    _ => Ok(http::Response::new(Bytes::from_static(GROUP.as_bytes()))),
                }
            },
        );
        assert!(result.is_ok(), "{result:?}");
    });
    let warned = warnings(&events);
    assert_eq!(warned.len(), 2, "{events:#?}");
    let first = &warned[0].text;
    assert!(first.contains("GetGroup"), "{first}");
    assert!(first.contains("attempt 1 of 8"), "{first}");
    assert!(
        first.contains("a connection failure before sending"),
        "{first}"
    );
    assert!(first.contains("Connection refused"), "{first}");
    assert!(first.contains("wait_ms="), "{first}");
    let second = &warned[1].text;
    assert!(second.contains("attempt 2 of 8"), "{second}");
    assert!(second.contains("a server error"), "{second}");
    // `retry-after: 2` is the wait.
    assert!(second.contains("retrying in 2.0 s"), "{second}");
    assert!(second.contains("wait_ms=2000"), "{second}");
}

/// Without retries nothing is retried, so nothing is warned about: the error says it all.
#[test]
fn no_retry_no_warning() {
    let events = captured(|| {
        let result = run_in_memory(
            ctx(RetryPolicy::disabled()).call(GetGroup::new("ocid1.group.oc1..g")),
            start(),
            None,
            |_| Err(TransportError::new(TransportErrorKind::Connect, "refused")),
        );
        assert!(result.is_err());
    });
    assert!(warnings(&events).is_empty(), "{events:#?}");
}

/// A well-formed region missing from the table (a typo of a known one) resolves, as the
/// official SDKs resolve it, but not silently: a warning names the known regions it is close to.
#[test]
fn an_unknown_well_formed_region_is_a_warning() {
    let events = captured(|| {
        let region = resolve_region("us-asburn-1", &RegionSources::default()).unwrap();
        assert_eq!(region.id(), "us-asburn-1");
    });
    let warned = warnings(&events);
    assert_eq!(warned.len(), 1, "{events:#?}");
    assert!(warned[0].text.contains("us-asburn-1"), "{:?}", warned[0]);
    assert!(warned[0].text.contains("us-ashburn-1"), "{:?}", warned[0]);

    // A region of the table: no warning.
    let events = captured(|| {
        resolve_region("us-ashburn-1", &RegionSources::default()).unwrap();
    });
    assert!(warnings(&events).is_empty(), "{events:#?}");
}

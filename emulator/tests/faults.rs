//! Fault injection: what a client observes on the wire for each kind, the state left behind,
//! targeting (operation, skip, times, probability), statistics, and retry-token idempotency.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{Client, End, Raw, Sign, emulator, emulator_with, raw};
use ocisdk_emulator::{Emulator, EmulatorConfig, Fault, FaultKind};
use serde_json::{Value, json};

const SHORT: Duration = Duration::from_secs(10);

fn group_body(emu: &Emulator, name: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "compartmentId": emu.tenancy_id(),
        "name": name,
        "description": format!("{name} group"),
    }))
    .unwrap()
}

fn create_group(c: &Client, emu: &Emulator, name: &str, token: Option<&str>) -> common::Resp {
    let extra: Vec<(&str, &str)> = token.map(|t| ("opc-retry-token", t)).into_iter().collect();
    c.send(
        "POST",
        "/20160918/groups",
        &extra,
        Some(&group_body(emu, name)),
        &Sign::default(),
    )
}

fn groups(c: &Client, emu: &Emulator) -> Vec<Value> {
    let r = c.get(&format!(
        "/20160918/groups?compartmentId={}&limit=1000",
        emu.tenancy_id()
    ));
    assert_eq!(r.status, 200);
    r.json().as_array().unwrap().clone()
}

fn names(items: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = items
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

fn make_bucket(c: &Client, emu: &Emulator, name: &str) {
    let r = c.post_json(
        &format!("/n/{}/b/", emu.namespace()),
        &json!({"name": name, "compartmentId": emu.tenancy_id()}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

fn object_path(emu: &Emulator, bucket: &str, name: &str) -> String {
    format!("/n/{}/b/{bucket}/o/{name}", emu.namespace())
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// Raw PutObject: the head declares `declared` bytes; `body` is what is actually sent.
fn raw_put(c: &Client, emu: &Emulator, path: &str, declared: usize, body: &[u8]) -> Raw {
    let len = declared.to_string();
    let head = c.raw_head(
        "PUT",
        path,
        &[
            ("content-type", "application/octet-stream"),
            ("content-length", &len),
        ],
        None,
        &Sign {
            body_headers: Some(false),
            ..Sign::default()
        },
    );
    raw(emu, &[&head, body], false, SHORT)
}

#[test]
fn status_fault_answers_before_processing() {
    let emu = emulator();
    let c = Client::new(&emu);
    emu.inject(
        Fault::new(FaultKind::unavailable())
            .on("CreateGroup")
            .times(1),
    );

    let r = create_group(&c, &emu, "g", None);
    r.assert_error(503, "ServiceUnavailable");
    assert!(r.message().contains("injected fault"), "{}", r.message());
    assert_eq!(r.header("retry-after"), None);
    assert!(groups(&c, &emu).is_empty(), "nothing may be applied");

    let r = create_group(&c, &emu, "g", None);
    assert_eq!(r.status, 200);
    assert_eq!(names(&groups(&c, &emu)), ["g"]);

    let s = emu.stats();
    assert_eq!(s.faults_fired, 1);
    assert_eq!(s.fired_by_kind.get("Status"), Some(&1));
    assert_eq!(s.operation("CreateGroup"), 2);
}

#[test]
fn status_helpers_retry_after_and_connection_reuse() {
    let emu = emulator();
    let c = Client::new(&emu);
    let cases = [
        (
            FaultKind::too_many_requests(Some(2)),
            429,
            "TooManyRequests",
            Some("2"),
        ),
        (
            FaultKind::internal_error(),
            500,
            "InternalServerError",
            None,
        ),
        (FaultKind::unavailable(), 503, "ServiceUnavailable", None),
        (FaultKind::incorrect_state(), 409, "IncorrectState", None),
        (
            FaultKind::status(502, "BadGateway"),
            502,
            "BadGateway",
            None,
        ),
        (
            FaultKind::Status {
                status: 503,
                code: "ServiceUnavailable".into(),
                retry_after: Some(0),
            },
            503,
            "ServiceUnavailable",
            Some("0"),
        ),
    ];
    for (kind, status, code, retry_after) in cases {
        emu.inject(Fault::new(kind).on("GetNamespace").times(1));
        let r = c.get("/n/");
        r.assert_error(status, code);
        assert_eq!(r.header("retry-after"), retry_after);
        let r = c.get("/n/");
        assert_eq!(r.status, 200, "the fault fires once");
    }

    // A status fault on an upload reads and discards the body, so the client's connection is
    // reused for the retry.
    make_bucket(&c, &emu, "bk");
    emu.reset_stats();
    emu.inject(
        Fault::new(FaultKind::unavailable())
            .on("PutObject")
            .times(1),
    );
    let path = object_path(&emu, "bk", "o");
    c.put_object(&path, &pattern(300_000), &[])
        .assert_error(503, "ServiceUnavailable");
    assert_eq!(c.get(&path).status, 404, "nothing stored");
    assert_eq!(c.put_object(&path, &pattern(300_000), &[]).status, 200);
    assert_eq!(c.get(&path).body, pattern(300_000));
    // reset_stats came after the connection was opened: no new one was needed.
    assert_eq!(emu.stats().connections, 0);
}

#[test]
fn commit_then_status_applies_and_the_retry_token_recovers() {
    let emu = emulator();
    let c = Client::new(&emu);
    emu.inject(
        Fault::new(FaultKind::CommitThenStatus {
            status: 500,
            code: "InternalServerError".into(),
        })
        .on("CreateGroup")
        .times(1),
    );

    let lost = create_group(&c, &emu, "g", Some("token-1"));
    lost.assert_error(500, "InternalServerError");
    let listed = groups(&c, &emu);
    assert_eq!(names(&listed), ["g"], "the create was applied");
    let id = listed[0]["id"].as_str().unwrap().to_string();

    // The retry with the same token gets the original entity; nothing new is created.
    let retry = create_group(&c, &emu, "g", Some("token-1"));
    assert_eq!(retry.status, 200);
    assert_eq!(retry.json()["id"], id.as_str());
    assert!(retry.header("etag").is_some());
    assert_eq!(groups(&c, &emu).len(), 1);

    // Without the token the naive retry would fail: this is what the token is for.
    create_group(&c, &emu, "g", None).assert_error(409, "EntityAlreadyExists");
    assert_eq!(emu.stats().fired_by_kind.get("CommitThenStatus"), Some(&1));
}

#[test]
fn commit_then_drop_sends_nothing_yet_applies() {
    let emu = emulator();
    let c = Client::new(&emu);
    emu.inject(
        Fault::new(FaultKind::CommitThenDrop)
            .on("CreateGroup")
            .times(1),
    );

    let body = group_body(&emu, "g");
    let head = c.raw_head(
        "POST",
        "/20160918/groups",
        &[("opc-retry-token", "token-drop")],
        Some(&body),
        &Sign::default(),
    );
    let r = raw(&emu, &[&head, &body], false, SHORT);
    assert!(
        r.bytes.is_empty(),
        "got {:?}",
        String::from_utf8_lossy(&r.bytes)
    );
    assert_eq!(r.end, End::Eof, "closed cleanly, {r:?}");
    assert!(r.elapsed < Duration::from_secs(5));

    let listed = groups(&c, &emu);
    assert_eq!(names(&listed), ["g"]);
    let retry = create_group(&c, &emu, "g", Some("token-drop"));
    assert_eq!(retry.status, 200);
    assert_eq!(retry.json()["id"], listed[0]["id"]);
    assert_eq!(groups(&c, &emu).len(), 1);

    // An HTTP client sees a transport error, never a status.
    make_bucket(&c, &emu, "bk");
    emu.inject(
        Fault::new(FaultKind::CommitThenDrop)
            .on("PutObject")
            .times(1),
    );
    let path = object_path(&emu, "bk", "o");
    let sent = c.try_send(
        "PUT",
        &path,
        &[("content-type", "application/octet-stream")],
        Some(b"new bytes"),
        &Sign {
            body_headers: Some(false),
            ..Sign::default()
        },
    );
    assert!(sent.is_err(), "{sent:?}");
    assert_eq!(c.get(&path).body, b"new bytes", "the put was applied");
    assert_eq!(emu.stats().fired_by_kind.get("CommitThenDrop"), Some(&2));
}

fn cut_response(kind: FaultKind) -> (Raw, Raw, Vec<u8>) {
    let emu = emulator();
    let c = Client::new(&emu);
    make_bucket(&c, &emu, "bk");
    let data = pattern(100_001);
    let path = object_path(&emu, "bk", "big");
    assert_eq!(c.put_object(&path, &data, &[]).status, 200);
    emu.inject(Fault::new(kind.clone()).on("GetObject").times(1));
    emu.inject(Fault::new(kind).on("HeadObject").times(1));

    let get = raw(
        &emu,
        &[&c.raw_head("GET", &path, &[], None, &Sign::default())],
        false,
        SHORT,
    );
    let head = raw(
        &emu,
        &[&c.raw_head("HEAD", &path, &[], None, &Sign::default())],
        false,
        SHORT,
    );
    // Afterwards the object is served whole again.
    assert_eq!(c.get(&path).body, data);
    (get, head, data)
}

#[test]
fn reset_response_body_sends_half_then_resets() {
    let (get, head, data) = cut_response(FaultKind::ResetResponseBody);
    assert_eq!(get.status(), Some(200));
    assert_eq!(get.content_length(), Some(100_001));
    assert_eq!(get.body(), &data[..50_000], "exactly half, rounded down");
    assert_eq!(get.end, End::Reset, "{:?}", get.head());

    // HEAD has no body: the reset comes right after the head.
    assert_eq!(head.status(), Some(200));
    assert_eq!(head.content_length(), Some(100_001));
    assert!(head.body().is_empty());
    assert_eq!(head.end, End::Reset);
}

#[test]
fn truncate_response_body_sends_half_then_closes() {
    let (get, head, data) = cut_response(FaultKind::TruncateResponseBody);
    assert_eq!(get.status(), Some(200));
    assert_eq!(get.content_length(), Some(100_001));
    assert_eq!(get.body(), &data[..50_000]);
    assert_eq!(
        get.end,
        End::Eof,
        "a clean close before content-length was met"
    );
    assert_eq!(head.status(), Some(200));
    assert_eq!(head.end, End::Eof);
}

#[test]
fn cut_json_responses_fail_an_http_client() {
    let emu = emulator();
    let c = Client::new(&emu);
    create_group(&c, &emu, "g", None);
    for kind in [
        FaultKind::ResetResponseBody,
        FaultKind::TruncateResponseBody,
    ] {
        emu.inject(Fault::new(kind).on("ListGroups").times(1));
        let r = c.try_send(
            "GET",
            &format!("/20160918/groups?compartmentId={}", emu.tenancy_id()),
            &[],
            None,
            &Sign::default(),
        );
        assert!(r.is_err(), "{r:?}");
    }
    assert_eq!(groups(&c, &emu).len(), 1);
}

#[test]
fn stall_holds_the_request_then_closes_without_applying() {
    let emu = emulator();
    let c = Client::new(&emu);
    let stall = Duration::from_millis(1500);
    emu.inject(
        Fault::new(FaultKind::Stall { duration: stall })
            .on("CreateGroup")
            .times(1),
    );
    let body = group_body(&emu, "g");
    let head = c.raw_head(
        "POST",
        "/20160918/groups",
        &[],
        Some(&body),
        &Sign::default(),
    );
    let r = raw(&emu, &[&head, &body], false, SHORT);
    assert!(
        r.bytes.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&r.bytes)
    );
    assert!(matches!(r.end, End::Eof | End::Reset), "{r:?}");
    assert!(r.elapsed >= stall, "{:?}", r.elapsed);
    assert!(
        groups(&c, &emu).is_empty(),
        "a stalled request is not applied"
    );

    // A client with a shorter read timeout gives up first.
    emu.inject(
        Fault::new(FaultKind::Stall { duration: stall })
            .on("GetNamespace")
            .times(1),
    );
    let impatient = Client::with_timeout(&emu, Duration::from_millis(300));
    let started = Instant::now();
    let r = impatient.try_send("GET", "/n/", &[], None, &Sign::default());
    assert!(r.is_err(), "{r:?}");
    assert!(started.elapsed() < stall);
    assert_eq!(emu.stats().fired_by_kind.get("Stall"), Some(&2));
}

#[test]
fn reset_request_body_stores_nothing() {
    let emu = emulator();
    let c = Client::new(&emu);
    make_bucket(&c, &emu, "bk");
    let existing = object_path(&emu, "bk", "existing");
    assert_eq!(c.put_object(&existing, b"original", &[]).status, 200);
    emu.inject(
        Fault::new(FaultKind::ResetRequestBody)
            .on("PutObject")
            .times(3),
    );

    // A large body: the server stops reading half-way and resets, so the client cannot even
    // finish sending, and no response byte arrives.
    let big = pattern(32 << 20);
    let r = raw_put(&c, &emu, &existing, big.len(), &big);
    assert!(r.bytes.is_empty(), "{:?}", r.head());
    assert!(
        r.write_error.is_some() || r.end == End::Reset,
        "write {:?}, end {:?}",
        r.write_error,
        r.end
    );

    // A small body that arrived whole before the server looked at it: still reset, no answer.
    let fresh = object_path(&emu, "bk", "fresh");
    let r = raw_put(&c, &emu, &fresh, 10, b"0123456789");
    assert!(r.bytes.is_empty());
    assert_eq!(r.end, End::Reset);

    // Through an HTTP client: a transport error.
    let r = c.try_send(
        "PUT",
        &fresh,
        &[("content-type", "application/octet-stream")],
        Some(&pattern(1 << 20)),
        &Sign {
            body_headers: Some(false),
            ..Sign::default()
        },
    );
    assert!(r.is_err(), "{r:?}");

    assert_eq!(c.get(&existing).body, b"original", "not replaced");
    c.get(&fresh).assert_error(404, "ObjectNotFound");
    assert_eq!(emu.stats().fired_by_kind.get("ResetRequestBody"), Some(&3));

    // UploadPart: no part is stored.
    let up = c.post_json(
        &format!("/n/{}/b/bk/u", emu.namespace()),
        &json!({"object": "mp"}),
    );
    assert_eq!(up.status, 200);
    let upload_id = up.json()["uploadId"].as_str().unwrap().to_string();
    emu.inject(
        Fault::new(FaultKind::ResetRequestBody)
            .on("UploadPart")
            .times(1),
    );
    let part = format!(
        "/n/{}/b/bk/u/mp?uploadId={upload_id}&uploadPartNum=1",
        emu.namespace()
    );
    let r = raw_put(&c, &emu, &part, 1 << 20, &pattern(1 << 20));
    assert!(r.bytes.is_empty());
    let parts = c.get(&format!(
        "/n/{}/b/bk/u/mp?uploadId={upload_id}",
        emu.namespace()
    ));
    assert_eq!(parts.status, 200);
    assert_eq!(parts.json(), json!([]));
}

#[test]
fn put_object_cut_by_the_client_stores_nothing() {
    let emu = emulator();
    let c = Client::new(&emu);
    make_bucket(&c, &emu, "bk");
    let existing = object_path(&emu, "bk", "existing");
    assert_eq!(c.put_object(&existing, b"original", &[]).status, 200);
    let half = pattern(500);

    // The client sends half of the declared body and closes its side.
    for path in [&existing, &object_path(&emu, "bk", "fresh")] {
        let len = "1000";
        let head = c.raw_head(
            "PUT",
            path,
            &[
                ("content-type", "application/octet-stream"),
                ("content-length", len),
            ],
            None,
            &Sign {
                body_headers: Some(false),
                ..Sign::default()
            },
        );
        let r = raw(&emu, &[&head, &half], true, SHORT);
        assert_ne!(r.status(), Some(200), "{:?}", r.head());
    }
    // The client vanishes mid-body (drops the socket without a response).
    {
        use std::io::Write;
        let head = c.raw_head(
            "PUT",
            &object_path(&emu, "bk", "vanished"),
            &[
                ("content-type", "application/octet-stream"),
                ("content-length", "100000"),
            ],
            None,
            &Sign {
                body_headers: Some(false),
                ..Sign::default()
            },
        );
        let mut tcp = std::net::TcpStream::connect(emu.addr()).unwrap();
        tcp.write_all(&head).unwrap();
        tcp.write_all(&half).unwrap();
        drop(tcp);
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(c.get(&existing).body, b"original");
    c.get(&object_path(&emu, "bk", "fresh"))
        .assert_error(404, "ObjectNotFound");
    c.get(&object_path(&emu, "bk", "vanished"))
        .assert_error(404, "ObjectNotFound");
}

#[test]
fn targeting_by_operation_skip_and_times() {
    let emu = emulator();
    let c = Client::new(&emu);
    emu.inject(
        Fault::new(FaultKind::unavailable())
            .on("CreateGroup")
            .skip(1)
            .times(2),
    );
    let mut statuses = Vec::new();
    for (i, name) in ["a", "b", "c", "d"].iter().enumerate() {
        // Other operations in between do not count towards skip or times.
        assert_eq!(groups(&c, &emu).len(), i.min(1));
        statuses.push(create_group(&c, &emu, name, None).status);
    }
    assert_eq!(statuses, [200, 503, 503, 200]);
    assert_eq!(names(&groups(&c, &emu)), ["a", "d"]);
    assert_eq!(emu.stats().faults_fired, 2);
}

#[test]
fn the_first_fault_that_fires_wins() {
    let emu = emulator();
    let c = Client::new(&emu);
    emu.inject(
        Fault::new(FaultKind::internal_error())
            .on("GetNamespace")
            .times(1),
    );
    emu.inject(Fault::new(FaultKind::unavailable()).skip(1).times(1));
    // 1: the first fault fires; the second does not see the request.
    // 2: the second counts its first request and lets it through (skip 1).
    // 3: the second fires, on another operation.
    let got: Vec<u16> = vec![
        c.get("/n/").status,
        c.get("/n/").status,
        c.get(&format!(
            "/20160918/users?compartmentId={}",
            emu.tenancy_id()
        ))
        .status,
        c.get("/n/").status,
    ];
    assert_eq!(got, [500, 200, 503, 200]);
    let s = emu.stats();
    assert_eq!(s.faults_fired, 2);
    assert_eq!(s.fired_by_kind.get("Status"), Some(&2));
}

fn probability_run(emu: &Emulator) -> Vec<u16> {
    let c = Client::new(emu);
    (0..40).map(|_| c.get("/n/").status).collect()
}

#[test]
fn probability_with_a_seed_is_reproducible() {
    let fault = Fault::new(FaultKind::unavailable())
        .on("GetNamespace")
        .probability(0.3, 7);
    // Once from the configuration, once injected later: the same requests are hit.
    let a = emulator_with(EmulatorConfig {
        faults: vec![fault.clone()],
        ..Default::default()
    });
    let first = probability_run(&a);
    let b = emulator();
    b.inject(fault);
    let second = probability_run(&b);
    assert_eq!(first, second);
    let hits = first.iter().filter(|s| **s == 503).count();
    assert!((4..=20).contains(&hits), "{hits} of 40: {first:?}");
    assert_eq!(a.stats().faults_fired, hits as u64);

    let c = emulator();
    c.inject(
        Fault::new(FaultKind::unavailable())
            .on("GetNamespace")
            .probability(0.3, 8),
    );
    assert_ne!(probability_run(&c), first, "another seed, another sequence");
}

#[test]
fn stats_reset_and_clear_faults() {
    let emu = emulator_with(EmulatorConfig {
        faults: vec![Fault::new(FaultKind::too_many_requests(None)).on("ListUsers")],
        ..Default::default()
    });
    let c = Client::new(&emu);
    let users = format!("/20160918/users?compartmentId={}", emu.tenancy_id());
    c.get(&users).assert_error(429, "TooManyRequests");
    c.get(&users).assert_error(429, "TooManyRequests");
    emu.inject(
        Fault::new(FaultKind::CommitThenStatus {
            status: 503,
            code: "ServiceUnavailable".into(),
        })
        .on("GetNamespace"),
    );
    c.get("/n/").assert_error(503, "ServiceUnavailable");
    let s = emu.stats();
    assert_eq!(s.faults_fired, 3);
    assert_eq!(
        s.fired_by_kind.clone().into_iter().collect::<Vec<_>>(),
        [
            ("CommitThenStatus".to_string(), 1),
            ("Status".to_string(), 2)
        ]
    );
    assert_eq!(s.operation("ListUsers"), 2);

    emu.clear_faults();
    assert_eq!(c.get(&users).status, 200);
    assert_eq!(c.get("/n/").status, 200);
    assert_eq!(
        emu.stats().faults_fired,
        3,
        "clear_faults keeps the counters"
    );
    emu.reset_stats();
    let s = emu.stats();
    assert_eq!(s.faults_fired, 0);
    assert!(s.fired_by_kind.is_empty());
}

#[test]
fn preflights_and_unauthenticated_requests_are_never_faulted() {
    let emu = emulator();
    let c = Client::new(&emu);
    emu.inject(Fault::new(FaultKind::internal_error()).times(1));

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let pre = agent
        .run(
            ureq::http::Request::builder()
                .method("OPTIONS")
                .uri(format!("{}/20160918/groups", emu.url()))
                .header("origin", "http://localhost:3000")
                .header("access-control-request-method", "POST")
                .body(())
                .unwrap(),
        )
        .unwrap();
    assert_eq!(pre.status().as_u16(), 200);
    c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            unsigned: true,
            ..Sign::default()
        },
    )
    .assert_error(401, "NotAuthenticated");
    c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            corrupt: true,
            ..Sign::default()
        },
    )
    .assert_error(401, "NotAuthenticated");
    assert_eq!(emu.stats().faults_fired, 0);

    // The one firing is still available for the first authenticated request.
    c.get("/n/").assert_error(500, "InternalServerError");
    assert_eq!(c.get("/n/").status, 200);
}

#[test]
fn concurrent_duplicates_with_one_token_create_once() {
    let emu = emulator();
    let threads = 12;
    let barrier = Arc::new(Barrier::new(threads));
    let ns = emu.namespace().to_string();
    let results: Vec<(String, u16)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                let emu = &emu;
                let ns = &ns;
                s.spawn(move || {
                    let c = Client::new(emu);
                    let body = group_body(emu, "shared");
                    let bucket = serde_json::to_vec(
                        &json!({"name": "shared-bucket", "compartmentId": emu.tenancy_id()}),
                    )
                    .unwrap();
                    barrier.wait();
                    let g = c.send(
                        "POST",
                        "/20160918/groups",
                        &[("opc-retry-token", "same-token")],
                        Some(&body),
                        &Sign::default(),
                    );
                    // CreateBucket takes no retry token in the API: the header is ignored, as
                    // on the service.
                    let b = c.send(
                        "POST",
                        &format!("/n/{ns}/b/"),
                        &[("opc-retry-token", "same-token")],
                        Some(&bucket),
                        &Sign::default(),
                    );
                    assert_eq!(g.status, 200, "{}", String::from_utf8_lossy(&g.body));
                    (g.json()["id"].as_str().unwrap().to_string(), b.status)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        results.windows(2).all(|w| w[0].0 == w[1].0),
        "one group for one token: {results:?}"
    );
    let created = results.iter().filter(|(_, status)| *status == 200).count();
    let conflicts = results.iter().filter(|(_, status)| *status == 409).count();
    assert_eq!(
        (created, conflicts),
        (1, threads - 1),
        "CreateBucket does not deduplicate by token: {results:?}"
    );
    let c = Client::new(&emu);
    assert_eq!(groups(&c, &emu).len(), 1);
    let buckets = c.get(&format!(
        "/n/{ns}/b/?compartmentId={}&limit=1000",
        emu.tenancy_id()
    ));
    assert_eq!(buckets.json().as_array().unwrap().len(), 1);
}

//! The call and pagination state machines, driven by hand with canned responses.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use ocisdk_core::auth::{PrivateKey, api_key_signer};
use ocisdk_core::call::{Call, Head, ResponseHead, Step, run_in_memory};
use ocisdk_core::clock::{Instant, Now};
use ocisdk_core::error::{Error, TransportError, TransportErrorKind};
use ocisdk_core::paginate::Paginator;
use ocisdk_core::{Context, Endpoints, Operation, RequestBody};
use ocisdk_identity::{CreateGroup, CreateGroupDetails, GetGroup, ListUsers};
use ocisdk_object_storage::ListObjects;

fn ctx() -> Arc<Context> {
    let key = PrivateKey::from_pem(
        include_str!("fixtures/keys/doc_1024.pem"),
        None,
        "doc_1024.pem",
    )
    .unwrap();
    let signer = api_key_signer(
        "ocid1.tenancy.oc1..t",
        "ocid1.user.oc1..u",
        None,
        &key,
        [1; 32],
    );
    // One attempt per call: these tests are about decoding; retries have their own tests.
    Arc::new(
        Context::new(signer, Endpoints::single("http://127.0.0.1:9"), [2; 32])
            .with_retry_policy(ocisdk_core::RetryPolicy::disabled()),
    )
}

fn now() -> Now {
    Now::new(
        Instant::from_origin(Duration::from_secs(1)),
        SystemTime::now(),
    )
}

/// The first request a call asks to send.
fn first_request<O: Operation>(call: Call<O>) -> http::Request<RequestBody> {
    match call.poll(now()) {
        Step::Send { request, .. } => request,
        other => panic!("expected a request, got {other:?}"),
    }
}

/// Runs `call` with every attempt answered by `respond`.
fn run<O: Operation>(
    call: Call<O>,
    respond: impl FnMut(&http::Request<RequestBody>) -> Result<http::Response<Bytes>, TransportError>,
) -> Result<ocisdk_core::Response<O::Output>, Error> {
    run_in_memory(call, now(), None, respond).map(|(r, _)| r)
}

fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> http::Response<Bytes> {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Bytes::copy_from_slice(body)).unwrap()
}

const GROUP_JSON: &str = r#"{"id":"ocid1.group.oc1..g","compartmentId":"ocid1.tenancy.oc1..t","name":"admins","description":"d","lifecycleState":"ACTIVE","timeCreated":"2016-08-25T21:10:29.600Z","freeformTags":{},"definedTags":{},"inactiveStatus":null}"#;

fn get_group(
    resp: http::Response<Bytes>,
) -> Result<ocisdk_core::Response<ocisdk_identity::Group>, Error> {
    run(ctx().call(GetGroup::new("ocid1.group.oc1..g")), |req| {
        assert_eq!(req.uri().path(), "/20160918/groups/ocid1.group.oc1..g");
        Ok(resp.clone())
    })
}

#[test]
fn decodes_a_group_with_metadata() {
    let r = get_group(response(
        200,
        &[("opc-request-id", "rid"), ("etag", "e1")],
        GROUP_JSON.as_bytes(),
    ))
    .unwrap();
    assert_eq!(r.data.name, "admins");
    assert_eq!(r.data.time_created.millisecond(), 600);
    assert_eq!(r.opc_request_id.as_deref(), Some("rid"));
    assert_eq!(r.etag.as_deref(), Some("e1"));
}

#[test]
fn malformed_json_is_a_decode_error_naming_the_operation() {
    let err = get_group(response(200, &[("opc-request-id", "rid")], br#"{"id": 5}"#)).unwrap_err();
    match &err {
        Error::Decode(d) => {
            assert_eq!(d.operation, "GetGroup");
            assert!(!d.truncated);
            assert_eq!(d.opc_request_id.as_deref(), Some("rid"));
            assert!(d.reason.contains("invalid type"), "{}", d.reason);
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("GetGroup"), "{err}");
}

#[test]
fn every_truncated_prefix_is_an_error_never_a_panic() {
    let body = GROUP_JSON.as_bytes();
    for cut in 0..body.len() {
        // Without content-length the cut shows up as JSON that ends early…
        let err = get_group(response(200, &[], &body[..cut])).unwrap_err();
        match &err {
            Error::Decode(d) => assert!(d.truncated, "cut at {cut}: {d:?}"),
            other => panic!("cut at {cut}: {other:?}"),
        }
        assert!(err.is_retryable());
        // …and with it, as a transport-level truncation.
        let len = body.len().to_string();
        let err = get_group(response(200, &[("content-length", &len)], &body[..cut])).unwrap_err();
        match &err {
            Error::Transport(t) => assert_eq!(t.kind, TransportErrorKind::Truncated),
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
}

#[test]
fn oci_error_bodies_become_service_errors() {
    let err = get_group(response(
        404,
        &[("opc-request-id", "rid-404")],
        br#"{"code":"NotAuthorizedOrNotFound","message":"Authorization failed or requested resource not found."}"#,
    ))
    .unwrap_err();
    let s = err.as_service().unwrap();
    assert_eq!(s.status.as_u16(), 404);
    assert_eq!(s.code, "NotAuthorizedOrNotFound");
    assert_eq!(s.operation, "GetGroup");
    assert_eq!(s.opc_request_id.as_deref(), Some("rid-404"));
    assert!(
        s.endpoint
            .starts_with("GET http://127.0.0.1:9/20160918/groups/")
    );
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(text.contains("404") && text.contains("rid-404"), "{text}");
}

#[test]
fn non_json_error_bodies_still_give_a_useful_error() {
    let err = get_group(response(502, &[], b"<html>Bad Gateway</html>")).unwrap_err();
    let s = err.as_service().unwrap();
    assert_eq!(s.code, "BadGateway");
    assert!(s.message.contains("not OCI JSON"), "{}", s.message);
    assert!(err.is_retryable());

    let err = get_group(response(503, &[], b"")).unwrap_err();
    assert_eq!(err.code(), Some("ServiceUnavailable"));
    assert!(err.is_retryable());

    let err = get_group(response(501, &[], b"{}")).unwrap_err();
    assert!(!err.is_retryable(), "501 is final");
    let err = get_group(response(
        409,
        &[],
        br#"{"code":"IncorrectState","message":"busy"}"#,
    ))
    .unwrap_err();
    assert!(err.is_retryable());
    let err = get_group(response(409, &[], br#"{"code":"Conflict","message":"no"}"#)).unwrap_err();
    assert!(!err.is_retryable());
    let err = get_group(response(
        429,
        &[],
        br#"{"code":"TooManyRequests","message":"slow"}"#,
    ))
    .unwrap_err();
    assert!(err.is_retryable());
}

#[test]
fn transport_errors_finish_the_call() {
    let err = run(ctx().call(GetGroup::new("g")), |_| {
        Err(TransportError::new(TransportErrorKind::Connect, "refused"))
    })
    .unwrap_err();
    match &err {
        Error::Transport(t) => assert!(t.endpoint.contains("/20160918/groups/g")),
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
}

#[test]
fn posts_carry_a_retry_token_and_gets_do_not() {
    let call = ctx().call(CreateGroup::new(CreateGroupDetails::new(
        "ocid1.tenancy.oc1..t",
        "n",
        "d",
    )));
    let planned = call.retry_token().map(str::to_string);
    let req = first_request(call);
    let token = req.headers()["opc-retry-token"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(token.len(), 30);
    assert!(token.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(planned.as_deref(), Some(token.as_str()));
    match req.body() {
        RequestBody::Bytes(b) => {
            let v: serde_json::Value = serde_json::from_slice(b).unwrap();
            assert_eq!(v["compartmentId"], "ocid1.tenancy.oc1..t");
            assert_eq!(v["name"], "n");
        }
        other => panic!("{other:?}"),
    }
    let call = ctx().call(GetGroup::new("g"));
    assert!(
        !first_request(call)
            .headers()
            .contains_key("opc-retry-token")
    );
}

#[test]
fn empty_required_fields_fail_before_sending() {
    let call = ctx().call(GetGroup::new(""));
    match run(call, |_| panic!("nothing may be sent")).unwrap_err() {
        Error::InvalidRequest { operation, reason } => {
            assert_eq!(operation, "GetGroup");
            assert!(reason.contains("group_id"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

fn users_page(n: usize) -> String {
    let users: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id":"u{i}","compartmentId":"t","name":"n{i}","description":"","lifecycleState":"ACTIVE","timeCreated":"2020-01-01T00:00:00Z"}}"#
            )
        })
        .collect();
    format!("[{}]", users.join(","))
}

#[test]
fn paginator_follows_tokens_through_empty_pages() {
    let ctx = ctx();
    let mut pages = Paginator::new(ListUsers::new("t"));
    // Pages: 2 users + token, 0 users + token, 1 user, no token.
    let script = [(2, Some("p2")), (0, Some("p3")), (1, None)];
    let mut seen_pages = Vec::new();
    let mut total = 0;
    for (n, token) in script {
        let op = pages.next_operation().expect("another page");
        seen_pages.push(op.page.clone());
        let mut headers = vec![];
        if let Some(t) = token {
            headers.push(("opc-next-page", t));
        }
        let resp = response(200, &headers, users_page(n).as_bytes());
        let page = run(ctx.call(op), |_| Ok(resp.clone())).unwrap();
        total += pages.handle_page(page).unwrap().len();
    }
    assert!(pages.next_operation().is_none());
    assert_eq!(total, 3);
    assert_eq!(
        seen_pages,
        vec![None, Some("p2".to_string()), Some("p3".to_string())]
    );
}

#[test]
fn paginator_stops_at_max_records_and_shrinks_the_last_limit() {
    let ctx = ctx();
    let mut op = ListUsers::new("t");
    op.limit = Some(4);
    let mut pages = Paginator::new(op).max_records(6);
    let first = pages.next_operation().unwrap();
    assert_eq!(first.limit, Some(4));
    let resp = response(200, &[("opc-next-page", "x")], users_page(4).as_bytes());
    let page = run(ctx.call(first), |_| Ok(resp.clone())).unwrap();
    assert_eq!(pages.handle_page(page).unwrap().len(), 4);
    let second = pages.next_operation().unwrap();
    assert_eq!(second.limit, Some(2), "only what remains is asked for");
    // A server that ignores the limit still yields no more than asked.
    let resp = response(200, &[("opc-next-page", "y")], users_page(4).as_bytes());
    let page = run(ctx.call(second), |_| Ok(resp.clone())).unwrap();
    assert_eq!(pages.handle_page(page).unwrap().len(), 2);
    assert!(pages.next_operation().is_none());
}

#[test]
fn list_objects_pages_by_next_start_with() {
    let ctx = ctx();
    let mut pages = Paginator::new(ListObjects::new("ns", "b"));
    let op = pages.next_operation().unwrap();
    let page = run(ctx.call(op), |req| {
        assert!(!req.uri().query().unwrap_or("").contains("start="));
        Ok(response(
            200,
            &[],
            br#"{"objects":[{"name":"a"},{"name":"b"}],"prefixes":[],"nextStartWith":"c d"}"#,
        ))
    })
    .unwrap();
    let items = pages.handle_page(page).unwrap();
    assert_eq!(
        items.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    let op = pages.next_operation().unwrap();
    let page = run(ctx.call(op), |req| {
        assert!(
            req.uri().query().unwrap().contains("start=c%20d"),
            "{}",
            req.uri()
        );
        Ok(response(200, &[], br#"{"objects":[{"name":"c d"}]}"#))
    })
    .unwrap();
    assert_eq!(pages.handle_page(page).unwrap().len(), 1);
    assert!(pages.next_operation().is_none());
}

#[test]
fn a_304_with_a_content_length_is_not_a_truncated_body() {
    let err = get_group(response(304, &[("content-length", "1234")], b"")).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(304));
    assert!(!matches!(err, Error::Transport(_)), "{err:?}");
}

#[test]
fn a_body_over_the_limit_is_refused_while_it_streams() {
    let call = ctx().call(GetGroup::new("g"));
    let Step::Send { exchange, .. } = call.poll(now()) else {
        panic!("no request")
    };
    let Head::Read(mut reading) = exchange.head(
        ResponseHead::new(http::StatusCode::OK, Default::default()),
        now(),
    ) else {
        panic!("a buffered body")
    };
    assert_eq!(reading.limit(), ocisdk_core::context::MAX_BUFFERED_BODY);
    let chunk = Bytes::from(vec![b' '; 1 << 20]);
    let mut fed = 0;
    while reading.chunk(chunk.clone()) {
        fed += 1;
        assert!(fed <= 32, "the core kept accepting chunks past its limit");
    }
    assert_eq!(fed, 32);
    let err = match reading.end(now()).poll(now()) {
        Step::Done(r) => r.unwrap_err(),
        other => panic!("{other:?}"),
    };
    match err {
        Error::Transport(t) => assert_eq!(t.kind, TransportErrorKind::BodyTooLarge),
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_bodies_have_a_smaller_limit() {
    let call = ctx().call(GetGroup::new("g"));
    let Step::Send { exchange, .. } = call.poll(now()) else {
        panic!("no request")
    };
    let head = ResponseHead::new(http::StatusCode::NOT_FOUND, Default::default());
    let Head::Read(reading) = exchange.head(head, now()) else {
        panic!("a buffered body")
    };
    assert_eq!(reading.limit(), ocisdk_core::context::MAX_ERROR_BODY);
}

#[test]
fn a_decoded_body_is_not_held_to_the_encoded_length() {
    let call = ctx().call(GetGroup::new("g"));
    let Step::Send { exchange, .. } = call.poll(now()) else {
        panic!("no request")
    };
    let mut headers = http::HeaderMap::new();
    headers.insert("content-encoding", http::HeaderValue::from_static("gzip"));
    headers.insert("content-length", http::HeaderValue::from_static("40"));
    let head = ResponseHead::new(http::StatusCode::OK, headers).decoded_by_platform();
    let Head::Read(mut reading) = exchange.head(head, now()) else {
        panic!("a buffered body")
    };
    assert!(reading.chunk(Bytes::from_static(GROUP_JSON.as_bytes())));
    match reading.end(now()).poll(now()) {
        Step::Done(r) => assert_eq!(r.unwrap().data.name, "admins"),
        other => panic!("{other:?}"),
    }
}

/// A page of `n` users with `token`, answered in memory.
fn page_of(n: usize, token: Option<&str>) -> ocisdk_core::Response<Vec<ocisdk_identity::User>> {
    let mut headers = vec![];
    if let Some(t) = token {
        headers.push(("opc-next-page", t));
    }
    let resp = response(200, &headers, users_page(n).as_bytes());
    run(ctx().call(ListUsers::new("t")), |_| Ok(resp.clone())).unwrap()
}

#[test]
fn a_repeated_token_ends_the_walk_with_an_error_not_silently() {
    use ocisdk_core::paginate::PaginationError;
    // A, B, A: the third page's token was seen on the first.
    let mut pages = Paginator::new(ListUsers::new("t"));
    assert_eq!(pages.handle_page(page_of(1, Some("A"))).unwrap().len(), 1);
    assert_eq!(pages.handle_page(page_of(1, Some("B"))).unwrap().len(), 1);
    let err = pages.handle_page(page_of(1, Some("A"))).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Pagination(PaginationError::Cycle {
                operation: "ListUsers",
                page: 3
            })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("not the whole list"), "{err}");
    assert!(pages.next_operation().is_none());
    // The same token twice in a row is a cycle too.
    let mut pages = Paginator::new(ListUsers::new("t"));
    pages.handle_page(page_of(0, Some("X"))).unwrap();
    assert!(pages.handle_page(page_of(0, Some("X"))).is_err());
}

#[test]
fn endless_fresh_tokens_and_empty_pages_are_bounded() {
    use ocisdk_core::paginate::{PageLimits, PaginationError};
    let limits = PageLimits {
        max_pages: 5,
        max_empty_pages: 2,
    };
    let mut pages = Paginator::new(ListUsers::new("t")).limits(limits);
    let mut n = 0;
    let err = loop {
        n += 1;
        match pages.handle_page(page_of(1, Some(&format!("t{n}")))) {
            Ok(_) => {}
            Err(e) => break e,
        }
    };
    assert_eq!(n, 5);
    assert!(matches!(
        err,
        Error::Pagination(PaginationError::TooManyPages { max: 5, .. })
    ));
    let mut pages = Paginator::new(ListUsers::new("t")).limits(limits);
    pages.handle_page(page_of(0, Some("e1"))).unwrap();
    pages.handle_page(page_of(0, Some("e2"))).unwrap();
    let err = pages.handle_page(page_of(0, Some("e3"))).unwrap_err();
    assert!(matches!(
        err,
        Error::Pagination(PaginationError::TooManyEmptyPages { max: 2, .. })
    ));
    // A record in between resets the count.
    let mut pages = Paginator::new(ListUsers::new("t")).limits(limits);
    pages.handle_page(page_of(0, Some("f1"))).unwrap();
    pages.handle_page(page_of(0, Some("f2"))).unwrap();
    pages.handle_page(page_of(1, Some("f3"))).unwrap();
    pages.handle_page(page_of(0, Some("f4"))).unwrap();
}

#[test]
fn the_iterator_yields_the_error_and_stops() {
    use ocisdk_core::paginate::iter::Records;
    let mut served = 0;
    let records: Vec<_> = Records::new(
        |_op: ListUsers| {
            served += 1;
            // Pages alternate between two tokens forever.
            let token = if served % 2 == 0 { "even" } else { "odd" };
            Ok(page_of(1, Some(token)))
        },
        Paginator::new(ListUsers::new("t")),
    )
    .collect();
    assert_eq!(records.len(), 3, "two records, then the cycle error");
    assert!(records[2].is_err());
    assert_eq!(served, 3);
}

fn ctx_at(base: &str) -> Arc<Context> {
    let key = PrivateKey::from_pem(
        include_str!("fixtures/keys/doc_1024.pem"),
        None,
        "doc_1024.pem",
    )
    .unwrap();
    let signer = api_key_signer(
        "ocid1.tenancy.oc1..t",
        "ocid1.user.oc1..u",
        None,
        &key,
        [1; 32],
    );
    Arc::new(Context::new(signer, Endpoints::single(base), [2; 32]))
}

#[test]
fn an_sse_c_key_is_never_sent_in_clear_beyond_this_machine() {
    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    let get = || {
        ocisdk_object_storage::GetObject::new("ns", "b", "o")
            .opc_sse_customer_algorithm("AES256")
            .opc_sse_customer_key(KEY)
    };
    for remote in ["http://objectstorage.example.com", "HTTP://10.0.0.5:8080"] {
        match ctx_at(remote).call(get()).poll(now()) {
            Step::Done(Err(Error::InvalidRequest { operation, reason })) => {
                assert_eq!(operation, "GetObject");
                assert!(reason.contains("opc-sse-customer-key"), "{reason}");
                assert!(reason.contains("https://"), "{reason}");
                assert!(
                    !reason.contains(KEY),
                    "the key itself is never quoted: {reason}"
                );
            }
            other => panic!("{remote}: expected a refusal before sending, got {other:?}"),
        }
    }
    // Encrypted, or never leaving the machine: sent.
    for fine in [
        "https://objectstorage.example.com",
        "http://127.0.0.1:9",
        "http://localhost:8080",
        "http://[::1]:8080",
    ] {
        let request = first_request(ctx_at(fine).call(get()));
        assert!(
            request.headers().contains_key("opc-sse-customer-key"),
            "{fine}"
        );
    }
    // Without a key, plain http is the user's choice (warned about when the client is built).
    let request = first_request(
        ctx_at("http://objectstorage.example.com")
            .call(ocisdk_object_storage::GetObject::new("ns", "b", "o")),
    );
    assert_eq!(request.uri().host(), Some("objectstorage.example.com"));
}

#[test]
fn where_the_platform_may_resend_unseen_a_self_conflict_says_so() {
    let conflict = || {
        response(
            409,
            &[("content-type", "application/json")],
            br#"{"code":"BucketAlreadyExists","message":"exists"}"#,
        )
    };
    let not_found = || {
        response(
            404,
            &[("content-type", "application/json")],
            br#"{"code":"ObjectNotFound","message":"no"}"#,
        )
    };
    let create = || {
        ocisdk_object_storage::CreateBucket::new(
            "ns",
            ocisdk_object_storage::CreateBucketDetails::new("b", "ocid1.tenancy.oc1..t"),
        )
    };
    let resending = Arc::new(
        Context::new(
            api_key_signer(
                "ocid1.tenancy.oc1..t",
                "ocid1.user.oc1..u",
                None,
                &PrivateKey::from_pem(
                    include_str!("fixtures/keys/doc_1024.pem"),
                    None,
                    "doc_1024.pem",
                )
                .unwrap(),
                [1; 32],
            ),
            Endpoints::single("http://127.0.0.1:9"),
            [2; 32],
        )
        .with_retry_policy(ocisdk_core::RetryPolicy::disabled())
        .with_unseen_resends(true),
    );
    // A create, a delete: their conflicts may answer the platform's second send.
    let e = run(resending.call(create()), |_| Ok(conflict())).unwrap_err();
    assert!(e.earlier_attempt_may_have_succeeded(), "{e}");
    let delete = ocisdk_object_storage::DeleteObject::new("ns", "b", "o");
    let e = run(resending.call(delete), |_| Ok(not_found())).unwrap_err();
    assert!(e.earlier_attempt_may_have_succeeded(), "{e}");
    assert_eq!(
        e.status().map(|s| s.as_u16()),
        Some(404),
        "still the 404 it was"
    );
    // A read's 404 is just a 404.
    let get = ocisdk_object_storage::HeadObject::new("ns", "b", "o");
    let e = run(resending.call(get), |_| Ok(not_found())).unwrap_err();
    assert!(!e.earlier_attempt_may_have_succeeded(), "{e}");
    // Where the platform never re-sends unseen (native transports), a first answer is the answer.
    let e = run(ctx().call(create()), |_| Ok(conflict())).unwrap_err();
    assert!(!e.earlier_attempt_may_have_succeeded(), "{e}");
}

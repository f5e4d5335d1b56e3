//! The retry policy and the call state machine's retries, on a virtual clock.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use ocisdk_core::auth::{PrivateKey, api_key_signer};
use ocisdk_core::body::{UploadMeter, UploadSource};
use ocisdk_core::call::{Call, Head, ResponseHead, Step};
use ocisdk_core::clock::{Instant, Now};
use ocisdk_core::error::{BodyError, Error, TransportError, TransportErrorKind};
use ocisdk_core::retry::RetryClass;
use ocisdk_core::retry::{RetryDecision, RetryPolicy, StopReason, parse_retry_after};
use ocisdk_core::{Context, Endpoints, Operation, RequestBody};
use ocisdk_identity::{CreateGroup, CreateGroupDetails, GetGroup};
use ocisdk_object_storage::PutObject;

fn ctx(seed: u8) -> Arc<Context> {
    let key = PrivateKey::from_pem(include_str!("fixtures/keys/doc_1024.pem"), None, "k").unwrap();
    let signer = api_key_signer(
        "ocid1.tenancy.oc1..t",
        "ocid1.user.oc1..u",
        None,
        &key,
        [1; 32],
    );
    Arc::new(Context::new(
        signer,
        Endpoints::single("http://127.0.0.1:9"),
        [seed; 32],
    ))
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response<Bytes> {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Bytes::copy_from_slice(body.as_bytes())).unwrap()
}

const GROUP: &str = r#"{"id":"g","compartmentId":"t","name":"n","description":"","lifecycleState":"ACTIVE","timeCreated":"2020-01-01T00:00:00Z"}"#;

/// What the virtual run saw.
struct Run<T> {
    requests: Vec<http::Request<RequestBody>>,
    sleeps: Vec<Duration>,
    rewinds: Vec<bool>,
    result: Result<ocisdk_core::Response<T>, Error>,
    clock: Now,
}

fn start() -> Now {
    Now::new(
        Instant::from_origin(Duration::from_secs(50)),
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    )
}

/// Drives `call` on a virtual clock; `answer(n)` gives the n-th attempt's outcome (0-based);
/// each attempt takes `latency`. An upload sends 4 bytes of its body before the answer.
fn drive<O: Operation>(
    call: Call<O>,
    latency: Duration,
    answer: impl FnMut(usize) -> Result<http::Response<Bytes>, TransportError>,
) -> Run<O::Output> {
    drive_with(
        call,
        latency,
        |_, meter| {
            let _ = meter.on_chunk(4);
        },
        answer,
    )
}

/// [`drive`], with `feed(n, meter)` playing the n-th attempt's upload.
fn drive_with<O: Operation>(
    mut call: Call<O>,
    latency: Duration,
    mut feed: impl FnMut(usize, &UploadMeter),
    mut answer: impl FnMut(usize) -> Result<http::Response<Bytes>, TransportError>,
) -> Run<O::Output> {
    let mut clock = start();
    let mut requests = Vec::new();
    let mut sleeps = Vec::new();
    let mut rewinds = Vec::new();
    loop {
        call = match call.poll(clock) {
            Step::Send {
                request,
                upload,
                exchange,
            } => {
                let n = requests.len();
                requests.push(request);
                if let Some(upload) = upload {
                    rewinds.push(upload.rewind);
                    feed(n, &upload.meter);
                }
                clock = clock.advanced(latency);
                match answer(n) {
                    Ok(resp) => {
                        let (parts, body) = resp.into_parts();
                        match exchange.head(ResponseHead::new(parts.status, parts.headers), clock) {
                            Head::Read(mut reading) => {
                                let _ = reading.chunk(body);
                                reading.end(clock)
                            }
                            Head::Keep { .. } => panic!("no streamed responses here"),
                            Head::Next(call) => call,
                        }
                    }
                    Err(e) => exchange.failed(e, clock),
                }
            }
            Step::Sleep { until, call } => {
                let d = until.saturating_duration_since(clock.instant);
                sleeps.push(d);
                clock = clock.advanced(d);
                call
            }
            Step::Done(result) => {
                return Run {
                    requests,
                    sleeps,
                    rewinds,
                    result,
                    clock,
                };
            }
        }
    }
}

fn unavailable(_: usize) -> Result<http::Response<Bytes>, TransportError> {
    Ok(response(
        503,
        &[],
        r#"{"code":"ServiceUnavailable","message":"try later"}"#,
    ))
}

#[test]
fn default_policy_makes_eight_attempts_with_exponential_jittered_waits() {
    let run = drive(ctx(2).call(GetGroup::new("g")), Duration::ZERO, unavailable);
    assert_eq!(run.requests.len(), 8);
    assert_eq!(run.sleeps.len(), 7);
    for (i, d) in run.sleeps.iter().enumerate() {
        let base = Duration::from_secs(1 << i).min(Duration::from_secs(30));
        let top = (base + Duration::from_secs(1)).min(Duration::from_secs(30));
        assert!(
            *d >= base && *d <= top,
            "wait {i}: {d:?} not in [{base:?}, {top:?}]"
        );
    }
    match run.result.unwrap_err() {
        Error::RetriesExhausted {
            attempts,
            reason,
            last,
            elapsed,
            operation,
        } => {
            assert_eq!(attempts, 8);
            assert_eq!(operation, "GetGroup");
            assert_eq!(reason, StopReason::AttemptsExhausted);
            assert_eq!(last.code(), Some("ServiceUnavailable"));
            assert_eq!(elapsed, run.sleeps.iter().sum::<Duration>());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_same_seed_gives_the_same_sleeps_and_another_seed_other_ones() {
    let a = drive(ctx(2).call(GetGroup::new("g")), Duration::ZERO, unavailable).sleeps;
    let b = drive(ctx(2).call(GetGroup::new("g")), Duration::ZERO, unavailable).sleeps;
    let c = drive(ctx(3).call(GetGroup::new("g")), Duration::ZERO, unavailable).sleeps;
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn backoff_formula_is_exact_for_given_randomness() {
    let p = RetryPolicy::default();
    assert_eq!(p.backoff(1, 0), Duration::from_secs(1));
    assert_eq!(p.backoff(1, u32::MAX), Duration::from_secs(2));
    assert_eq!(
        p.backoff(3, u32::MAX / 2),
        Duration::from_nanos(4_499_999_999)
    );
    assert_eq!(p.backoff(5, 0), Duration::from_secs(16));
    assert_eq!(p.backoff(6, 0), Duration::from_secs(30), "capped");
    assert_eq!(p.backoff(40, u32::MAX), Duration::from_secs(30));
}

#[test]
fn never_sleeps_past_the_budget() {
    // Each attempt takes 100 s; after 5 attempts (500 s + waits of 1+2+4+8 s) the next wait
    // (16 s) plus nothing else already crosses 600 s? 515 + 16 = 531 < 600, so a 6th attempt
    // runs; after it, 631 s have passed and no wait fits.
    let run = drive(
        ctx(2).call(GetGroup::new("g")),
        Duration::from_secs(100),
        unavailable,
    );
    match run.result.unwrap_err() {
        Error::RetriesExhausted {
            reason: StopReason::BudgetExhausted { next_wait },
            attempts,
            last,
            ..
        } => {
            assert_eq!(attempts, 6);
            assert!(next_wait >= Duration::from_secs(30), "{next_wait:?}");
            assert_eq!(last.status().map(|s| s.as_u16()), Some(503));
        }
        other => panic!("{other:?}"),
    }
    let total = run.clock.instant.saturating_duration_since(start().instant);
    assert!(total <= Duration::from_secs(700), "{total:?}");
    // No sleep started that would end past 600 s from the first attempt.
    let mut t = Duration::ZERO;
    for d in &run.sleeps {
        t += Duration::from_secs(100);
        assert!(t + *d <= Duration::from_secs(600));
        t += *d;
    }
}

#[test]
fn retry_after_is_honoured() {
    let run = drive(ctx(2).call(GetGroup::new("g")), Duration::ZERO, |n| {
        Ok(if n == 0 {
            response(
                429,
                &[("retry-after", "7")],
                r#"{"code":"TooManyRequests","message":"slow"}"#,
            )
        } else {
            response(200, &[], GROUP)
        })
    });
    assert_eq!(run.sleeps, vec![Duration::from_secs(7)]);
    assert_eq!(run.result.unwrap().data.id, "g");

    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    let later = httpdate::fmt_http_date(now + Duration::from_secs(12));
    assert_eq!(
        parse_retry_after(&later, now),
        Some(Duration::from_secs(12))
    );
    assert_eq!(
        parse_retry_after("1.5", now),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(parse_retry_after("soon", now), None);
}

#[test]
fn classification_table() {
    let p = RetryPolicy::default();
    let cases: &[(u16, &str, bool)] = &[
        (400, "InvalidParameter", false),
        (400, "CannotParseRequest", false),
        (401, "NotAuthenticated", false),
        (403, "NotAllowed", false),
        (404, "NotAuthorizedOrNotFound", false),
        (409, "IncorrectState", true),
        (409, "LockConflict", true),
        (409, "Conflict", false),
        (409, "InvalidatedRetryToken", false),
        (409, "NotAuthorizedOrResourceAlreadyExists", false),
        (412, "NoEtagMatch", false),
        (413, "RequestEntityTooLarge", false),
        (429, "TooManyRequests", true),
        (500, "InternalServerError", true),
        (501, "MethodNotImplemented", false),
        (502, "BadGateway", true),
        (503, "ServiceUnavailable", true),
        (504, "GatewayTimeout", true),
    ];
    for &(status, code, retry) in cases {
        let run = drive(
            ctx(2)
                .call(GetGroup::new("g"))
                .with_retry_policy(RetryPolicy {
                    max_attempts: 2,
                    ..p.clone()
                }),
            Duration::ZERO,
            |_| {
                Ok(response(
                    status,
                    &[],
                    &format!(r#"{{"code":"{code}","message":"m"}}"#),
                ))
            },
        );
        assert_eq!(
            run.requests.len(),
            if retry { 2 } else { 1 },
            "{status} {code}"
        );
        assert_eq!(run.result.unwrap_err().code(), Some(code));
    }
    for kind in [
        TransportErrorKind::Connect,
        TransportErrorKind::Timeout,
        TransportErrorKind::Io,
        TransportErrorKind::Truncated,
    ] {
        let err = Error::Transport(TransportError::new(kind, "x"));
        assert!(
            matches!(
                p.decide(&err, 1, Duration::ZERO, None, 0),
                RetryDecision::Retry(_)
            ),
            "{kind}"
        );
    }
    let err = Error::Transport(TransportError::new(TransportErrorKind::Tls, "bad cert"));
    assert_eq!(
        p.decide(&err, 1, Duration::ZERO, None, 0),
        RetryDecision::Stop(StopReason::NotRetryable)
    );
}

#[test]
fn every_attempt_is_freshly_signed_and_creates_reuse_one_retry_token() {
    let run = drive(
        ctx(2).call(CreateGroup::new(CreateGroupDetails::new(
            "ocid1.tenancy.oc1..t",
            "n",
            "d",
        ))),
        Duration::from_secs(3),
        |n| {
            if n < 2 {
                Err(TransportError::new(
                    TransportErrorKind::Io,
                    "connection reset",
                ))
            } else {
                Ok(response(200, &[], GROUP))
            }
        },
    );
    assert!(run.result.is_ok());
    assert_eq!(run.requests.len(), 3);
    let token = |r: &http::Request<RequestBody>| r.headers()["opc-retry-token"].clone();
    assert_eq!(token(&run.requests[0]), token(&run.requests[1]));
    assert_eq!(token(&run.requests[1]), token(&run.requests[2]));
    assert!(!run.requests[0].headers().contains_key("opc-client-retries"));
    assert_eq!(run.requests[1].headers()["opc-client-retries"], "true");
    let dates: Vec<_> = run
        .requests
        .iter()
        .map(|r| r.headers()["date"].clone())
        .collect();
    assert_ne!(dates[0], dates[1]);
    assert_ne!(
        run.requests[0].headers()["authorization"],
        run.requests[1].headers()["authorization"]
    );
}

#[test]
fn a_stream_that_cannot_be_replayed_is_never_sent_twice() {
    let call = ctx(2).call(PutObject::new("ns", "b", "o", 10));
    let run = drive(call, Duration::ZERO, |_| {
        Err(TransportError::new(
            TransportErrorKind::Io,
            "reset after 4 bytes",
        ))
    });
    assert_eq!(run.requests.len(), 1);
    match run.result.unwrap_err() {
        Error::Body(BodyError::NotReplayable {
            operation,
            first_failure,
            last,
        }) => {
            assert_eq!(operation, "PutObject");
            assert!(
                first_failure.contains("reset after 4 bytes"),
                "{first_failure}"
            );
            assert!(matches!(last.as_deref(), Some(Error::Transport(_))));
        }
        other => panic!("{other:?}"),
    }

    // A service answer that would be retried: the refusal still reports its status and code.
    let run = drive(
        ctx(2).call(PutObject::new("ns", "b", "o", 10)),
        Duration::ZERO,
        |_| {
            Ok(response(
                503,
                &[("opc-request-id", "rid-503")],
                r#"{"code":"ServiceUnavailable","message":"busy"}"#,
            ))
        },
    );
    let err = run.result.unwrap_err();
    assert!(
        matches!(err, Error::Body(BodyError::NotReplayable { .. })),
        "{err:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.code(), Some("ServiceUnavailable"));
    assert_eq!(
        err.as_service().and_then(|s| s.opc_request_id.as_deref()),
        Some("rid-503")
    );

    let call = ctx(2)
        .call(PutObject::new("ns", "b", "o", 10))
        .with_upload(UploadSource::Replayable);
    let run = drive(call, Duration::ZERO, |n| {
        if n == 0 {
            Err(TransportError::new(TransportErrorKind::Io, "reset"))
        } else {
            Ok(response(200, &[("etag", "e")], ""))
        }
    });
    assert_eq!(run.requests.len(), 2);
    assert_eq!(
        run.rewinds,
        [false, true],
        "the second attempt rewinds first"
    );
    assert!(run.result.is_ok());
}

#[test]
fn a_one_shot_body_nobody_read_from_is_still_whole() {
    // The connection failed before the body was read: the one-shot source is untouched, so
    // the next attempt may send it, without rewinding.
    let call = ctx(2).call(PutObject::new("ns", "b", "o", 10));
    let run = drive_with(
        call,
        Duration::ZERO,
        |n, meter| {
            if n > 0 {
                let _ = meter.on_chunk(10);
                let _ = meter.on_end();
            }
        },
        |n| {
            if n == 0 {
                Err(TransportError::new(TransportErrorKind::Connect, "refused"))
            } else {
                Ok(response(200, &[("etag", "e")], ""))
            }
        },
    );
    assert!(run.result.is_ok(), "{:?}", run.result.err());
    assert_eq!(run.requests.len(), 2);
    assert_eq!(run.rewinds, [false, false]);
}

#[test]
fn the_body_failure_decides_the_attempt_not_the_connection() {
    // A source that fails (or runs long) makes the HTTP library fail the request too; the
    // call reports the body's fault, and never retries it.
    for feed in [
        (|_: usize, m: &UploadMeter| {
            let _ = m.on_error("disk gone");
        }) as fn(usize, &UploadMeter),
        |_, m| {
            let _ = m.on_chunk(11);
        },
        |_, m| {
            let _ = m.on_chunk(3);
            let _ = m.on_end();
        },
    ] {
        let call = ctx(2)
            .call(PutObject::new("ns", "b", "o", 10))
            .with_upload(UploadSource::Replayable);
        let run = drive_with(call, Duration::ZERO, feed, |_| {
            Err(TransportError::new(
                TransportErrorKind::Io,
                "body stream failed",
            ))
        });
        assert_eq!(run.requests.len(), 1);
        let err = run.result.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Body(BodyError::Read { .. } | BodyError::LengthMismatch { .. })
            ),
            "{err:?}"
        );
        // Even when the service answered before the body was complete.
        let call = ctx(2)
            .call(PutObject::new("ns", "b", "o", 10))
            .with_upload(UploadSource::Replayable);
        let run = drive_with(call, Duration::ZERO, feed, |_| {
            Ok(response(
                400,
                &[],
                r#"{"code":"InvalidParameter","message":"m"}"#,
            ))
        });
        assert!(matches!(run.result.unwrap_err(), Error::Body(_)));
    }
}

#[test]
fn a_clock_stepping_back_never_extends_the_budget() {
    // Each attempt takes 100 s; the adapter's clock then jumps back an hour once. Measured
    // from the latest instant seen, the budget still runs out after the same 6 attempts.
    let mut call = ctx(2).call(GetGroup::new("g"));
    let mut clock = start();
    let mut attempts = 0;
    let mut stepped = false;
    let result = loop {
        call = match call.poll(clock) {
            Step::Send { exchange, .. } => {
                attempts += 1;
                clock = clock.advanced(Duration::from_secs(100));
                let seen = if attempts == 3 && !stepped {
                    stepped = true;
                    // The instant handed in is an hour earlier than any before.
                    Now::new(
                        Instant::from_origin(Duration::ZERO),
                        clock.wall - Duration::from_secs(3600),
                    )
                } else {
                    clock
                };
                exchange.failed(
                    TransportError::new(TransportErrorKind::Timeout, "slow"),
                    seen,
                )
            }
            Step::Sleep { until, call } => {
                clock = clock.advanced(until.saturating_duration_since(clock.instant));
                call
            }
            Step::Done(r) => break r,
        }
    };
    assert!(stepped);
    assert_eq!(attempts, 6, "a clock step changed the number of attempts");
    assert!(matches!(
        result.unwrap_err(),
        Error::RetriesExhausted {
            reason: StopReason::BudgetExhausted { .. },
            ..
        }
    ));
}

#[test]
fn a_sleep_polled_early_is_handed_back_unchanged() {
    let call = ctx(2).call(GetGroup::new("g"));
    let Step::Send { exchange, .. } = call.poll(start()) else {
        panic!("no request")
    };
    let call = exchange.failed(
        TransportError::new(TransportErrorKind::Io, "reset"),
        start(),
    );
    let Step::Sleep { until, call } = call.poll(start()) else {
        panic!("no backoff")
    };
    assert!(until > start().instant);
    let Step::Sleep { until: again, call } = call.poll(start()) else {
        panic!("woke early")
    };
    assert_eq!(again, until);
    let at = Now::new(until, start().wall);
    assert!(matches!(call.poll(at), Step::Send { .. }));
}

#[test]
fn retry_classes_are_data_a_policy_can_exclude() {
    let lost = Error::Transport(TransportError::new(TransportErrorKind::Io, "reset"));
    assert_eq!(lost.retry_class(), Some(RetryClass::ConnectionLost));
    assert!(RetryClass::ConnectionLost.may_have_been_applied());
    let refused = Error::Transport(TransportError::new(TransportErrorKind::Connect, "no"));
    assert_eq!(refused.retry_class(), Some(RetryClass::NotSent));
    assert!(!RetryClass::NotSent.may_have_been_applied());
    let policy = RetryPolicy::default().without(RetryClass::ConnectionLost);
    assert_eq!(
        policy.decide(&lost, 1, Duration::ZERO, None, 0),
        RetryDecision::Stop(StopReason::Excluded(RetryClass::ConnectionLost))
    );
    assert!(matches!(
        policy.decide(&refused, 1, Duration::ZERO, None, 0),
        RetryDecision::Retry(_)
    ));
    let run = drive(
        ctx(2).call(GetGroup::new("g")).with_retry_policy(policy),
        Duration::ZERO,
        |_| Err(TransportError::new(TransportErrorKind::Io, "reset")),
    );
    assert_eq!(run.requests.len(), 1);
    let throttled = drive(ctx(2).call(GetGroup::new("g")), Duration::ZERO, |_| {
        Ok(response(
            429,
            &[],
            r#"{"code":"TooManyRequests","message":"m"}"#,
        ))
    })
    .result
    .unwrap_err();
    assert_eq!(
        throttled.last_failure().retry_class(),
        Some(RetryClass::Throttled)
    );
}

#[test]
fn final_errors_are_not_wrapped_and_disabled_policy_tries_once() {
    let run = drive(ctx(2).call(GetGroup::new("g")), Duration::ZERO, |_| {
        Ok(response(
            404,
            &[],
            r#"{"code":"NotAuthorizedOrNotFound","message":"m"}"#,
        ))
    });
    assert_eq!(run.requests.len(), 1);
    assert!(matches!(run.result.unwrap_err(), Error::Service(_)));

    let run = drive(
        ctx(2)
            .call(GetGroup::new("g"))
            .with_retry_policy(RetryPolicy::disabled()),
        Duration::ZERO,
        unavailable,
    );
    assert_eq!(run.requests.len(), 1);
    assert!(matches!(run.result.unwrap_err(), Error::Service(_)));

    assert!(!RetryPolicy::from_env_value(Some("false")).enabled);
    assert!(!RetryPolicy::from_env_value(Some(" FALSE ")).enabled);
    assert!(RetryPolicy::from_env_value(Some("true")).enabled);
    assert!(RetryPolicy::from_env_value(None).enabled);
}

#[test]
fn hostile_retry_after_values_never_panic() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    for v in [
        "1e20",
        "1e400",
        "-1",
        "NaN",
        "inf",
        "-0.5",
        "18446744073709551616",
        "",
    ] {
        // Only sane values are taken; the rest fall back to the policy's own backoff.
        let parsed = parse_retry_after(v, now);
        assert!(
            parsed.is_none_or(|d| d < Duration::from_secs(u64::MAX / 2)),
            "{v}"
        );
    }
    assert_eq!(parse_retry_after("1e20", now), None);
    let run = drive(ctx(2).call(GetGroup::new("g")), Duration::ZERO, |n| {
        Ok(if n == 0 {
            response(
                429,
                &[("retry-after", "1e20")],
                r#"{"code":"TooManyRequests","message":"m"}"#,
            )
        } else {
            response(200, &[], GROUP)
        })
    });
    assert!(run.result.is_ok());
    assert!(run.sleeps[0] <= Duration::from_secs(2), "{:?}", run.sleeps);
}

#[test]
fn large_jitter_settings_do_not_overflow() {
    let p = RetryPolicy {
        max_jitter: Duration::from_secs(3600),
        max_delay: Duration::from_secs(86_400),
        ..RetryPolicy::default()
    };
    assert_eq!(p.backoff(1, u32::MAX), Duration::from_secs(3601));
    assert_eq!(p.backoff(1, 0), Duration::from_secs(1));
}

fn create_bucket() -> ocisdk_object_storage::CreateBucket {
    ocisdk_object_storage::CreateBucket::new(
        "ns",
        ocisdk_object_storage::CreateBucketDetails::new("b", "ocid1.tenancy.oc1..t"),
    )
}

#[test]
fn a_conflict_after_a_lost_response_says_the_earlier_attempt_may_have_succeeded() {
    // CreateBucket takes no retry token: the retry meets the bucket the lost attempt made.
    let run = drive(ctx(2).call(create_bucket()), Duration::ZERO, |n| {
        if n == 0 {
            Err(TransportError::new(
                TransportErrorKind::Io,
                "connection reset",
            ))
        } else {
            Ok(response(
                409,
                &[],
                r#"{"code":"BucketAlreadyExists","message":"exists"}"#,
            ))
        }
    });
    assert!(
        !run.requests[0].headers().contains_key("opc-retry-token"),
        "CreateBucket takes no token"
    );
    let err = run.result.unwrap_err();
    assert_eq!(err.code(), Some("BucketAlreadyExists"));
    assert!(err.earlier_attempt_may_have_succeeded());
    let text = err.to_string();
    assert!(
        text.contains("earlier attempt") && text.contains("connection reset"),
        "{text}"
    );
}

#[test]
fn a_delete_that_finds_nothing_after_a_lost_response_succeeded() {
    let delete = || ocisdk_object_storage::DeleteBucket::new("ns", "b");
    let run = drive(ctx(2).call(delete()), Duration::ZERO, |n| {
        if n == 0 {
            Ok(response(
                500,
                &[],
                r#"{"code":"InternalServerError","message":"m"}"#,
            ))
        } else {
            Ok(response(
                404,
                &[],
                r#"{"code":"BucketNotFound","message":"m"}"#,
            ))
        }
    });
    let ok = run.result.unwrap();
    assert_eq!(ok.status.as_u16(), 404);
    assert!(ok.after_lost_response.is_some());

    // When nothing was sent, a 404 is just a 404.
    let run = drive(ctx(2).call(delete()), Duration::ZERO, |n| {
        if n == 0 {
            Err(TransportError::new(TransportErrorKind::Connect, "refused"))
        } else {
            Ok(response(
                404,
                &[],
                r#"{"code":"BucketNotFound","message":"m"}"#,
            ))
        }
    });
    let err = run.result.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert!(!err.earlier_attempt_may_have_succeeded());

    // Throttling was not applied either.
    let run = drive(ctx(2).call(create_bucket()), Duration::ZERO, |n| {
        if n == 0 {
            Ok(response(
                429,
                &[],
                r#"{"code":"TooManyRequests","message":"m"}"#,
            ))
        } else {
            Ok(response(
                409,
                &[],
                r#"{"code":"BucketAlreadyExists","message":"m"}"#,
            ))
        }
    });
    assert!(!run.result.unwrap_err().earlier_attempt_may_have_succeeded());
}

#[test]
fn a_success_after_a_lost_response_is_marked_too() {
    let run = drive(
        ctx(2).call(CreateGroup::new(CreateGroupDetails::new(
            "ocid1.tenancy.oc1..t",
            "n",
            "d",
        ))),
        Duration::ZERO,
        |n| {
            if n == 0 {
                Err(TransportError::new(TransportErrorKind::Timeout, "slow"))
            } else {
                Ok(response(200, &[], GROUP))
            }
        },
    );
    let ok = run.result.unwrap();
    assert!(
        ok.after_lost_response
            .as_deref()
            .is_some_and(|e| e.contains("slow"))
    );
}

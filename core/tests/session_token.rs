//! The session-token principal on a virtual clock: when it refreshes, what the refresh looks
//! like on the wire, how concurrent calls share one refresh, and how a call drives it.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use ocisdk_core::auth::session::{DEFAULT_REFRESH_AHEAD, REFRESH_WAIT};
use ocisdk_core::auth::signer::PortableRsa;
use ocisdk_core::auth::{
    PrivateKey, RsaBackend, SessionToken, SessionTokenPrincipal, TokenError, TokenStep,
    api_key_signer,
};
use ocisdk_core::call::{Head, ResponseHead, run_in_memory};
use ocisdk_core::clock::{Instant, Now};
use ocisdk_core::error::{Error, TransportError, TransportErrorKind};
use ocisdk_core::{Context, Endpoints, RequestBody, RetryPolicy};
use ocisdk_identity::ListUsers;

mod common;
use common::{T0, at, key_id};

fn jwt(iat: Option<u64>, exp: u64, marker: &str) -> String {
    let payload = match iat {
        Some(iat) => format!(
            r#"{{"iat":{},"exp":{},"jti":"{marker}"}}"#,
            T0 + iat,
            T0 + exp
        ),
        None => format!(r#"{{"exp":{},"jti":"{marker}"}}"#, T0 + exp),
    };
    format!(
        "{}.{}.{}",
        B64URL.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        B64URL.encode(payload),
        B64URL.encode(format!("sig-{marker}"))
    )
}

fn backend() -> Arc<dyn RsaBackend> {
    let key = PrivateKey::from_pem(
        include_str!("fixtures/keys/doc_1024.pem"),
        None,
        "doc_1024.pem",
    )
    .unwrap();
    Arc::new(PortableRsa::new(&key, [3; 32]))
}

/// A principal holding a token issued at T0 that lives `lifetime` seconds.
fn principal(lifetime: u64, seed: u8) -> Arc<SessionTokenPrincipal> {
    let token =
        SessionToken::new(&jwt(Some(0), lifetime, "first"), "token-file", backend()).unwrap();
    Arc::new(SessionTokenPrincipal::new(
        token,
        Some("https://auth.us-ashburn-1.oraclecloud.com/".into()),
        [seed; 32],
    ))
}

fn refresh_reply(token: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "token": token })).unwrap()
}

#[test]
fn a_token_is_refreshed_ahead_of_exp_with_jitter() {
    // A one-hour token: due 60 s (the margin) to 90 s (plus the most jitter) before `exp`.
    let p = principal(3600, 7);
    assert!(matches!(
        p.poll(at(0)),
        TokenStep::Sign { generation: 1, .. }
    ));
    let due = p.refresh_due().unwrap();
    let before_exp = at(3600).duration_since(due).unwrap();
    assert!(
        before_exp >= DEFAULT_REFRESH_AHEAD && before_exp <= Duration::from_secs(90),
        "{before_exp:?}"
    );
    // Just before: sign. At the due time: refresh.
    assert!(matches!(
        p.poll(due - Duration::from_millis(1)),
        TokenStep::Sign { .. }
    ));
    let TokenStep::Refresh(mut ticket) = p.poll(due) else {
        panic!("due, so refresh")
    };
    // While it is in flight, the others sign with the due token, which still works; once it
    // has expired (or was refused), they wait for the refresh.
    for _ in 0..3 {
        match p.poll(due) {
            TokenStep::Sign { generation: 1, .. } => {}
            other => panic!("expected Sign, got {other:?}"),
        }
    }
    match p.poll(at(3600)) {
        TokenStep::Wait(d) => assert_eq!(d, REFRESH_WAIT),
        other => panic!("expected Wait, got {other:?}"),
    }
    p.unauthorized(1);
    assert!(matches!(p.poll(due), TokenStep::Wait(_)));
    let new = jwt(Some(3540), 3540 + 3600, "second");
    ticket.request(due).unwrap().unwrap();
    ticket
        .complete(StatusCode::OK, &HeaderMap::new(), &refresh_reply(&new), due)
        .unwrap();
    assert_eq!(p.refreshes(), 1);
    assert_eq!(p.generation(), 2);
    assert_eq!(p.expires(), at(3540 + 3600));
    assert_eq!(p.current_token().expose(), new);
    assert!(matches!(p.poll(due), TokenStep::Sign { generation: 2, .. }));

    // The jitter comes from the seed: another seed, another due time; the same seed, the same.
    let dues: Vec<_> = [7u8, 7, 8, 9]
        .iter()
        .map(|s| {
            let p = principal(3600, *s);
            let _ = p.poll(at(0));
            p.refresh_due().unwrap()
        })
        .collect();
    assert_eq!(dues[0], due);
    assert_eq!(dues[0], dues[1]);
    assert!(dues[1] != dues[2] || dues[1] != dues[3], "{dues:?}");
}

#[test]
fn a_short_token_is_refreshed_at_half_its_life_not_at_once() {
    // 10 s of life: margin 5 s (half), jitter at most 2.5 s: due between 2.5 s and 5 s.
    for seed in 0..20 {
        let p = principal(10, seed);
        assert!(matches!(p.poll(at(0)), TokenStep::Sign { .. }));
        let due = p.refresh_due().unwrap();
        assert!(
            due >= at(2) + Duration::from_millis(500) && due <= at(5),
            "{due:?}"
        );
    }
    // Without `iat`, the lifetime counts from the first look.
    let token = SessionToken::new(&jwt(None, 100, "x"), "f", backend()).unwrap();
    let p = Arc::new(
        SessionTokenPrincipal::new(token, Some("https://a".into()), [1; 32])
            .with_refresh_ahead(Duration::from_secs(60), Duration::ZERO),
    );
    let _ = p.poll(at(20));
    assert_eq!(p.refresh_due(), Some(at(60)));
}

#[test]
fn the_refresh_request_is_signed_with_the_session_key_as_st_key_id() {
    let p = principal(3600, 1);
    let first = jwt(Some(0), 3600, "first");
    let TokenStep::Refresh(mut ticket) = p.poll(at(4000)) else {
        panic!("expired, so refresh")
    };
    let req = ticket.request(at(4000)).unwrap().unwrap();
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(
        req.uri().to_string(),
        "https://auth.us-ashburn-1.oraclecloud.com/v1/authentication/refresh"
    );
    let RequestBody::Bytes(body) = req.body() else {
        panic!("a JSON body")
    };
    let json: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(json, serde_json::json!({ "currentToken": first }));
    let auth = req.headers()["authorization"].to_str().unwrap();
    assert!(auth.contains(&format!("keyId=\"ST${first}\"")), "{auth}");
    assert!(
        auth.contains(
            "headers=\"date (request-target) host content-length content-type x-content-sha256\""
        ),
        "{auth}"
    );
    assert_eq!(req.headers()["content-type"], "application/json");
    assert!(req.headers()["authorization"].is_sensitive());
    // The ticket, its step and the principal never show the token.
    let shown = format!("{ticket:?} {p:?}");
    assert!(
        !shown.contains(&first) && !shown.contains("first"),
        "{shown}"
    );
}

#[test]
fn a_dropped_ticket_lets_another_call_refresh() {
    let p = principal(60, 1);
    let TokenStep::Refresh(ticket) = p.poll(at(59)) else {
        panic!()
    };
    assert!(matches!(p.poll(at(60)), TokenStep::Wait(_)));
    drop(ticket); // the call holding it was cancelled
    assert!(matches!(p.poll(at(60)), TokenStep::Refresh(_)));
}

#[test]
fn a_401_marks_only_the_current_token_stale() {
    let p = principal(3600, 1);
    assert!(matches!(
        p.poll(at(1)),
        TokenStep::Sign { generation: 1, .. }
    ));
    p.unauthorized(1);
    let TokenStep::Refresh(mut ticket) = p.poll(at(1)) else {
        panic!("a 401 on the current token refreshes it, due or not")
    };
    ticket.request(at(1)).unwrap().unwrap();
    ticket
        .complete(
            StatusCode::OK,
            &HeaderMap::new(),
            &refresh_reply(&jwt(Some(1), 3601, "2")),
            at(1),
        )
        .unwrap();
    // A late 401 for the old token (a call sent before the refresh) changes nothing.
    p.unauthorized(1);
    assert!(matches!(
        p.poll(at(2)),
        TokenStep::Sign { generation: 2, .. }
    ));
    assert_eq!(p.refreshes(), 1);
}

#[test]
fn refusals_and_bad_replies_are_typed_and_never_quote_the_token() {
    let p = principal(60, 1);
    let first = jwt(Some(0), 60, "first");
    let refuse = |status: u16, body: &[u8]| {
        let TokenStep::Refresh(mut ticket) = p.poll(at(100)) else {
            panic!()
        };
        ticket.request(at(100)).unwrap().unwrap();
        ticket
            .complete(
                StatusCode::from_u16(status).unwrap(),
                &HeaderMap::new(),
                body,
                at(100),
            )
            .unwrap_err()
    };
    let e = refuse(
        401,
        br#"{"code":"NotAuthenticated","message":"token expired"}"#,
    );
    assert!(
        matches!(&e, Error::Token(TokenError::RefreshRefused { status: 401, code, .. }) if code == "NotAuthenticated"),
        "{e:?}"
    );
    assert!(e.to_string().contains("oci session authenticate"), "{e}");
    assert!(!e.is_retryable());
    let e = refuse(503, br#"{"code":"ServiceUnavailable","message":"later"}"#);
    assert!(e.is_retryable(), "{e:?}");
    let bad_jwt = refresh_reply("SECRET-not-a-jwt");
    let e = refuse(200, &bad_jwt);
    assert!(
        matches!(&e, Error::Token(TokenError::Malformed { .. })),
        "{e:?}"
    );
    let e2 = refuse(200, br#"{"tok":"x"}"#);
    assert!(
        matches!(&e2, Error::Token(TokenError::BadRefreshReply { .. })),
        "{e2:?}"
    );
    for e in [e, e2] {
        let text = format!("{e} {e:?} {e:#?}");
        assert!(!text.contains("SECRET") && !text.contains(&first), "{text}");
    }
    // Nothing was replaced.
    assert_eq!(p.generation(), 1);
    assert_eq!(p.current_token().expose(), first);
}

#[test]
fn a_malformed_token_file_is_a_typed_error_naming_the_file_only() {
    let secret = "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln"; // payload "not json"
    for text in [secret, "opaque-SECRET-token", ""] {
        let e =
            SessionToken::new(text, "/home/u/.oci/sessions/DEFAULT/token", backend()).unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(
            shown.contains("/home/u/.oci/sessions/DEFAULT/token"),
            "{shown}"
        );
        assert!(
            !shown.contains("SECRET") && !shown.contains("bm90IGpzb24"),
            "{shown}"
        );
        assert!(matches!(e, TokenError::Malformed { .. }));
    }
}

// --- Driven through a call, as a transport would: the refresh is one more `Send`. ---

fn session_ctx(lifetime: u64) -> (Arc<Context>, Arc<SessionTokenPrincipal>) {
    let key = PrivateKey::from_pem(
        include_str!("fixtures/keys/doc_1024.pem"),
        None,
        "doc_1024.pem",
    )
    .unwrap();
    // The context's own signer signs nothing once a session principal is set.
    let unused = api_key_signer("t", "u", None, &key, [1; 32]);
    let p = principal(lifetime, 5);
    let ctx = Context::new(unused, Endpoints::single("http://127.0.0.1:9"), [2; 32])
        .with_retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(10),
            max_jitter: Duration::ZERO,
            ..RetryPolicy::default()
        })
        .with_session(Arc::clone(&p));
    (Arc::new(ctx), p)
}

fn now_at(secs: u64) -> Now {
    Now::new(Instant::from_origin(Duration::from_secs(secs)), at(secs))
}

fn users_reply() -> http::Response<Bytes> {
    http::Response::builder()
        .status(200)
        .body(Bytes::from_static(b"[]"))
        .unwrap()
}

#[test]
fn a_due_token_is_refreshed_before_the_call_as_an_ordinary_send() {
    let (ctx, p) = session_ctx(600);
    let first = jwt(Some(0), 600, "first");
    let second = jwt(Some(590), 1190, "second");
    let mut seen = Vec::new();
    // Early: the call is signed with the first token, no refresh.
    run_in_memory(ctx.call(ListUsers::new("t")), now_at(10), None, |req| {
        seen.push((req.uri().path().to_string(), key_id(req)));
        Ok(users_reply())
    })
    .unwrap();
    // Past the due time: one refresh first, then the call with the new token.
    run_in_memory(ctx.call(ListUsers::new("t")), now_at(590), None, |req| {
        seen.push((req.uri().path().to_string(), key_id(req)));
        if req.uri().path() == "/v1/authentication/refresh" {
            return Ok(http::Response::new(Bytes::from(refresh_reply(&second))));
        }
        Ok(users_reply())
    })
    .unwrap();
    let st = |t: &str| format!("ST${t}");
    assert_eq!(
        seen,
        vec![
            ("/20160918/users".to_string(), st(&first)),
            ("/v1/authentication/refresh".to_string(), st(&first)),
            ("/20160918/users".to_string(), st(&second)),
        ]
    );
    assert_eq!(p.refreshes(), 1);
}

#[test]
fn a_401_refreshes_once_then_the_call_is_retried() {
    let (ctx, p) = session_ctx(3600);
    let second = jwt(Some(5), 3605, "second");
    let mut log = Vec::new();
    let out = run_in_memory(ctx.call(ListUsers::new("t")), now_at(5), None, |req| {
        let path = req.uri().path().to_string();
        log.push(path.clone());
        if path == "/v1/authentication/refresh" {
            return Ok(http::Response::new(Bytes::from(refresh_reply(&second))));
        }
        if key_id(req) == format!("ST${second}") {
            return Ok(users_reply());
        }
        Ok(http::Response::builder()
            .status(401)
            .body(Bytes::from_static(
                br#"{"code":"NotAuthenticated","message":"revoked"}"#,
            ))
            .unwrap())
    });
    assert!(out.is_ok(), "{out:?}");
    assert_eq!(
        log,
        [
            "/20160918/users",
            "/v1/authentication/refresh",
            "/20160918/users"
        ]
    );
    assert_eq!(p.refreshes(), 1);

    // A 401 that persists after the refresh is final: one refresh, two attempts, the 401.
    let third = jwt(Some(6), 3606, "third");
    let mut log = Vec::new();
    let err = run_in_memory(ctx.call(ListUsers::new("t")), now_at(6), None, |req| {
        let path = req.uri().path().to_string();
        log.push(path.clone());
        if path == "/v1/authentication/refresh" {
            return Ok(http::Response::new(Bytes::from(refresh_reply(&third))));
        }
        Ok(http::Response::builder()
            .status(401)
            .body(Bytes::from_static(
                br#"{"code":"NotAuthenticated","message":"no"}"#,
            ))
            .unwrap())
    })
    .unwrap_err();
    assert!(err.is_not_authenticated(), "{err:?}");
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(p.refreshes(), 2);
}

#[test]
fn a_failed_refresh_is_retried_by_the_policy_and_a_refusal_ends_the_call() {
    let (ctx, p) = session_ctx(60);
    let new = jwt(Some(100), 3700, "new");
    let mut refreshes = 0;
    run_in_memory(ctx.call(ListUsers::new("t")), now_at(100), None, |req| {
        if req.uri().path() == "/v1/authentication/refresh" {
            refreshes += 1;
            if refreshes == 1 {
                return Err(TransportError::new(TransportErrorKind::Connect, "refused"));
            }
            return Ok(http::Response::new(Bytes::from(refresh_reply(&new))));
        }
        Ok(users_reply())
    })
    .unwrap();
    assert_eq!((refreshes, p.refreshes()), (2, 1));

    let (ctx, _) = session_ctx(60);
    let err = run_in_memory(ctx.call(ListUsers::new("t")), now_at(100), None, |req| {
        assert_eq!(req.uri().path(), "/v1/authentication/refresh");
        Ok(http::Response::builder()
            .status(401)
            .body(Bytes::from_static(
                br#"{"code":"NotAuthenticated","message":"expired"}"#,
            ))
            .unwrap())
    })
    .unwrap_err();
    assert!(
        matches!(err, Error::Token(TokenError::RefreshRefused { .. })),
        "{err:?}"
    );
}

#[test]
fn calls_that_find_a_refresh_in_flight_sleep_and_share_it() {
    use ocisdk_core::call::Step;
    let (ctx, p) = session_ctx(60);
    let new = jwt(Some(100), 3700, "new");
    let now = now_at(100);
    // Call A takes the refresh and holds it in flight.
    let Step::Send {
        request, exchange, ..
    } = ctx.call(ListUsers::new("t")).poll(now)
    else {
        panic!("A refreshes")
    };
    assert_eq!(request.uri().path(), "/v1/authentication/refresh");
    // Calls B..: sleep briefly, again and again, while it is in flight.
    let mut waiting = Vec::new();
    for _ in 0..8 {
        match ctx.call(ListUsers::new("t")).poll(now) {
            Step::Sleep { until, call } => {
                assert_eq!(until, now.instant.saturating_add(REFRESH_WAIT));
                waiting.push(call);
            }
            other => panic!("expected Sleep, got {other:?}"),
        }
    }
    // A's refresh completes.
    let Head::Read(mut reading) =
        exchange.head(ResponseHead::new(StatusCode::OK, HeaderMap::new()), now)
    else {
        panic!()
    };
    assert!(reading.chunk(Bytes::from(refresh_reply(&new))));
    let a = reading.end(now);
    // Everyone now signs with the new token, without another refresh.
    let later = now.advanced(REFRESH_WAIT);
    for call in waiting.into_iter().chain([a]) {
        match call.poll(later) {
            Step::Send { request, .. } => {
                assert_eq!(request.uri().path(), "/20160918/users");
                assert_eq!(key_id(&request), format!("ST${new}"));
            }
            other => panic!("expected the call's request, got {other:?}"),
        }
    }
    assert_eq!(p.refreshes(), 1);
}

#[test]
fn a_session_profile_gives_the_client_a_principal_refreshing_at_the_regions_auth_endpoint() {
    use ocisdk_core::ClientConfig;
    use ocisdk_core::auth::signer_from_profile_parts;
    use ocisdk_core::config::ConfigFile;
    let text = "[DEFAULT]\ntenancy=ocid1.tenancy.oc1..t\nregion=us-ashburn-1\nkey_file=k.pem\nsecurity_token_file=/t/token\n";
    let profile = ConfigFile::parse(text, "<config>")
        .unwrap()
        .profile("DEFAULT")
        .unwrap();
    let token = jwt(Some(0), 3600, "p");
    let auth = signer_from_profile_parts(
        &profile,
        include_str!("fixtures/keys/doc_1024.pem"),
        "k.pem",
        Some((&token, "/t/token")),
        [1; 32],
    )
    .unwrap();
    let config = ClientConfig::from_profile_auth(auth);
    let ctx = config.clone().build([2; 32]).unwrap();
    let p = ctx.session().expect("a session principal");
    assert_eq!(
        p.auth_endpoint(),
        Some("https://auth.us-ashburn-1.oraclecloud.com")
    );
    let mut config = config;
    config.set_auth_endpoint("http://127.0.0.1:9/");
    let ctx = config.build([2; 32]).unwrap();
    assert_eq!(
        ctx.session().unwrap().auth_endpoint(),
        Some("http://127.0.0.1:9")
    );
    assert!(!format!("{ctx:?}").contains(&token));
}

#[test]
fn a_one_shot_upload_is_never_started_with_a_token_that_is_due() {
    use ocisdk_core::call::Step;
    use ocisdk_object_storage::PutObject;
    let (ctx, p) = session_ctx(60);
    let new = jwt(Some(100), 3700, "new");
    let now = now_at(100);
    // Past the due time: the first step is the refresh, with no upload to read from.
    let call = ctx.call(PutObject::new("ns", "b", "o", 5));
    let Step::Send {
        request,
        upload,
        exchange,
    } = call.poll(now)
    else {
        panic!("a Send")
    };
    assert_eq!(request.uri().path(), "/v1/authentication/refresh");
    assert!(upload.is_none(), "the upload's source is not touched");
    let Head::Read(mut reading) =
        exchange.head(ResponseHead::new(StatusCode::OK, HeaderMap::new()), now)
    else {
        panic!()
    };
    let _ = reading.chunk(Bytes::from(refresh_reply(&new)));
    // Then the upload, signed with the fresh token, reading its source for the first time.
    let Step::Send {
        request, upload, ..
    } = reading.end(now).poll(now)
    else {
        panic!("the upload")
    };
    assert_eq!(request.method(), http::Method::PUT);
    assert_eq!(key_id(&request), format!("ST${new}"));
    let upload = upload.expect("the upload's meter");
    assert!(!upload.rewind);
    assert_eq!(p.refreshes(), 1);
}

#[test]
fn a_refreshed_token_is_written_back_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    let first = jwt(Some(0), 60, "first");
    std::fs::write(&path, &first).unwrap();
    let refresh = |source: ocisdk_core::auth::SessionRefresh| {
        let token = SessionToken::new(&first, &path.display().to_string(), backend()).unwrap();
        let p = Arc::new(SessionTokenPrincipal::refreshing(
            token,
            source,
            Some("https://auth.test".into()),
            [1; 32],
        ));
        let TokenStep::Refresh(mut ticket) = p.poll(at(59)) else {
            panic!("due")
        };
        ticket.request(at(59)).unwrap().unwrap();
        let new = jwt(Some(59), 3659, "second");
        ticket
            .complete(
                StatusCode::OK,
                &HeaderMap::new(),
                &refresh_reply(&new),
                at(59),
            )
            .unwrap();
        new
    };
    // By default the file is left as it was.
    refresh(ocisdk_core::auth::SessionRefresh::default());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
    // Asked: the file holds the new token, owner-only, and no temporary file is left behind.
    let new = refresh(ocisdk_core::auth::SessionRefresh::writing_back_to(
        path.display().to_string(),
    ));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), new);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // A file that cannot be written does not fail the refresh: the token in memory is good.
    let token = SessionToken::new(&first, "/nonexistent/dir/token", backend()).unwrap();
    let p = Arc::new(SessionTokenPrincipal::refreshing(
        token,
        ocisdk_core::auth::SessionRefresh::writing_back_to("/nonexistent/dir/token"),
        Some("https://auth.test".into()),
        [1; 32],
    ));
    let TokenStep::Refresh(mut ticket) = p.poll(at(59)) else {
        panic!("due")
    };
    ticket.request(at(59)).unwrap().unwrap();
    let new = jwt(Some(59), 3659, "third");
    ticket
        .complete(
            StatusCode::OK,
            &HeaderMap::new(),
            &refresh_reply(&new),
            at(59),
        )
        .unwrap();
    assert_eq!(p.current_token().expose(), new);
}

//! The instance-principal token principal on a virtual clock: the IMDS reads and the
//! federation it yields, one ticket each, what they look like on the wire, re-reading IMDS
//! after a 401, and the typed errors (which never quote a key or a token).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};
use ocisdk_core::RequestBody;
use ocisdk_core::auth::RefreshTicket;
use ocisdk_core::auth::x509::CertificateError;
use ocisdk_core::auth::{PrivateKey, SessionTokenPrincipal, TokenError, TokenStep};
use ocisdk_core::error::{Error, TransportError, TransportErrorKind};

mod common;
use common::{at, cert_pem, key_id};

const TENANCY: &str = "ocid1.tenancy.oc1..unittest";
const IMDS: &str = "http://imds.test/opc/v2";
const AUTH: &str = "https://auth.test";
const LEAF_KEY: &str = include_str!("fixtures/keys/pkcs8.pem");

fn jwt(iat: u64, exp: u64, marker: &str) -> String {
    common::jwt(iat, exp, &format!(r#","jti":"{marker}""#))
}

fn principal() -> Arc<SessionTokenPrincipal> {
    let session_key =
        PrivateKey::from_pem(include_str!("fixtures/keys/doc_1024.pem"), None, "session").unwrap();
    Arc::new(SessionTokenPrincipal::instance(
        &session_key,
        &format!("{IMDS}/"),
        Some(AUTH.to_string()),
        [5; 32],
    ))
}

/// The next ticket, its request made (what a call does before it sends anything).
fn ticket(p: &Arc<SessionTokenPrincipal>, now: SystemTime) -> RefreshTicket {
    ticket_and_request(p, now).0
}

fn ticket_and_request(
    p: &Arc<SessionTokenPrincipal>,
    now: SystemTime,
) -> (RefreshTicket, http::Request<RequestBody>) {
    match p.poll(now) {
        TokenStep::Refresh(mut t) => {
            let req = t.request(now).unwrap().expect("an exchange to send");
            (t, req)
        }
        other => panic!("expected a ticket, got {other:?}"),
    }
}

/// Drives the four IMDS reads, checking each request, answering with `cert`.
fn read_imds(p: &Arc<SessionTokenPrincipal>, now: SystemTime, cert: &str) -> Result<(), Error> {
    for (path, body) in [
        ("/instance/region", "us-ashburn-1\n"),
        ("/identity/cert.pem", cert),
        ("/identity/key.pem", LEAF_KEY),
        ("/identity/intermediate.pem", &cert_pem("intermediate")),
    ] {
        let (t, req) = ticket_and_request(p, now);
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(req.uri().to_string(), format!("{IMDS}{path}"));
        assert_eq!(req.headers()["authorization"], "Bearer Oracle");
        // Others wait while a read is in flight, unless the current token still works.
        match (p.generation(), p.poll(now)) {
            (0, TokenStep::Wait(_)) => {}
            (g, TokenStep::Sign { generation, .. }) if g > 0 => assert_eq!(generation, g),
            (g, other) => panic!("generation {g}: {other:?}"),
        }
        t.complete(StatusCode::OK, &HeaderMap::new(), body.as_bytes(), now)?;
    }
    Ok(())
}

fn federate(p: &Arc<SessionTokenPrincipal>, now: SystemTime, token: &str) {
    let (t, req) = ticket_and_request(p, now);
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(req.uri().to_string(), format!("{AUTH}/v1/x509"));
    let kid = key_id(&req);
    assert!(
        kid.starts_with(&format!("{TENANCY}/fed-x509-sha256/")),
        "{kid}"
    );
    assert_eq!(kid.rsplit('/').next().unwrap().len(), 32 * 3 - 1);
    let RequestBody::Bytes(body) = req.body() else {
        panic!("a body in memory")
    };
    let body: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(body["purpose"], "DEFAULT");
    assert_eq!(body["fingerprintAlgorithm"], "SHA256");
    assert_eq!(
        body["intermediateCertificates"].as_array().unwrap().len(),
        1
    );
    let cert = body["certificate"].as_str().unwrap();
    assert!(!cert.contains("BEGIN") && !cert.contains('\n'));
    let public = body["publicKey"].as_str().unwrap();
    assert!(!public.contains("BEGIN") && !public.contains('\n'));
    let reply = serde_json::to_vec(&serde_json::json!({ "token": token })).unwrap();
    t.complete(StatusCode::OK, &HeaderMap::new(), &reply, now)
        .unwrap();
}

#[test]
fn the_first_poll_federates_then_calls_sign_with_the_token() {
    let p = principal();
    assert_eq!(p.kind(), "instance principal");
    assert_eq!(p.generation(), 0);
    read_imds(&p, at(0), &cert_pem(&format!("opc-tenant:{TENANCY}"))).unwrap();
    assert_eq!(p.tenancy().as_deref(), Some(TENANCY));
    let token = jwt(0, 1200, "first");
    federate(&p, at(0), &token);
    assert_eq!((p.generation(), p.refreshes()), (1, 1));
    let TokenStep::Sign { signer, generation } = p.poll(at(1)) else {
        panic!("a token: sign")
    };
    assert_eq!(generation, 1);
    let mut req = http::Request::get("https://x.test/a")
        .body(RequestBody::Empty)
        .unwrap();
    signer
        .sign(&mut req, ocisdk_core::auth::SignBody::Unsigned, at(1))
        .unwrap();
    assert_eq!(key_id(&req), format!("ST${token}"));

    // Due ahead of exp: the whole round again, IMDS first (a rotated leaf is read).
    let due = p.refresh_due().unwrap();
    assert!(due < at(1200) && due >= at(1200 - 90), "{due:?}");
    read_imds(&p, due, &cert_pem(&format!("opc-tenant:{TENANCY}"))).unwrap();
    federate(&p, due, &jwt(1130, 2330, "second"));
    assert_eq!(p.generation(), 2);

    // A 401 on the current token: one more round, starting at IMDS.
    p.unauthorized(2);
    let t = ticket(&p, due);
    assert!(
        t.endpoint().ends_with("/instance/region"),
        "{}",
        t.endpoint()
    );
}

#[test]
fn imds_and_federation_failures_are_typed_and_never_quote_secrets() {
    let p = principal();
    // IMDS not answering: named, with its URL.
    let t = ticket(&p, at(0));
    let err = t.fail(Error::Transport(TransportError::new(
        TransportErrorKind::Connect,
        "connection refused".to_string(),
    )));
    assert!(
        matches!(&err, Error::Token(TokenError::ImdsUnreachable { url, .. }) if url == &format!("{IMDS}/instance/region")),
        "{err:?}"
    );
    assert!(err.to_string().contains("IMDS"), "{err}");
    assert!(!err.is_retryable());
    // IMDS refusing (no bearer header, say).
    let t = ticket(&p, at(0));
    let err = t
        .complete(StatusCode::UNAUTHORIZED, &HeaderMap::new(), b"", at(0))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Token(TokenError::ImdsRefused { status: 401, .. })
        ),
        "{err:?}"
    );
    // A leaf without a tenancy in its subject.
    let err = read_imds(&p, at(0), &cert_pem("opc-instance:ocid1.instance.oc1..x")).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Token(TokenError::Certificate(CertificateError::NoTenancy { .. }))
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("opc-tenant"), "{err}");

    // A good round up to the federation, which is refused, then answered with a non-JWT.
    let p = principal();
    read_imds(&p, at(0), &cert_pem(&format!("opc-tenant:{TENANCY}"))).unwrap();
    let t = ticket(&p, at(0));
    let err = t
        .complete(
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            br#"{"code":"NotAuthenticated","message":"no"}"#,
            at(0),
        )
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Token(TokenError::FederationRefused { status: 401, code, .. }) if code == "NotAuthenticated"
        ),
        "{err:?}"
    );
    // A refusal sends the next round back to IMDS: the certificate may have rotated.
    assert!(ticket(&p, at(0)).endpoint().ends_with("/instance/region"));
    read_imds(&p, at(0), &cert_pem(&format!("opc-tenant:{TENANCY}"))).unwrap();
    let t = ticket(&p, at(0));
    let reply = br#"{"token":"SECRETMARKER.SECRETMARKER"}"#;
    let err = t
        .complete(StatusCode::OK, &HeaderMap::new(), reply, at(0))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Token(TokenError::Malformed { .. })),
        "{err:?}"
    );
    let shown = format!("{err} {err:?} {p:?}");
    assert!(!shown.contains("SECRETMARKER"), "{shown}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    // A 5xx stays retryable, and the next attempt federates again without re-reading IMDS.
    read_imds(&p, at(0), &cert_pem(&format!("opc-tenant:{TENANCY}"))).unwrap();
    let t = ticket(&p, at(0));
    let err = t
        .complete(
            StatusCode::SERVICE_UNAVAILABLE,
            &HeaderMap::new(),
            b"{}",
            at(0),
        )
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(ticket(&p, at(0)).endpoint().ends_with("/v1/x509"));
}

/// A client built with no region and no endpoint takes both from IMDS: the region it names
/// gives the federation's `https://auth.<region>.<domain>` and the call's endpoint.
#[test]
fn the_region_comes_from_imds_when_none_is_given() {
    use bytes::Bytes;
    use ocisdk_core::call::run_in_memory;
    use ocisdk_core::clock::{Instant, Now};
    use ocisdk_identity::ListUsers;

    let mut config = ocisdk_core::ClientConfig::instance_principal([9; 32]).unwrap();
    config.set_imds_endpoint(IMDS);
    let ctx = Arc::new(config.build([1; 32]).unwrap());
    assert!(ctx.endpoints_pending());
    let token = jwt(0, 1200, "t");
    let mut seen = Vec::new();
    let now = Now::new(Instant::from_origin(Duration::from_secs(1)), at(1));
    run_in_memory(ctx.call(ListUsers::new("t")), now, None, |req| {
        let uri = req.uri().to_string();
        seen.push(uri.clone());
        let body = match uri.strip_prefix(IMDS) {
            Some("/instance/region") => "iad".to_string(),
            Some("/identity/cert.pem") => cert_pem(&format!("opc-tenant:{TENANCY}")),
            Some("/identity/key.pem") => LEAF_KEY.to_string(),
            Some(_) => cert_pem("intermediate"),
            None if uri.ends_with("/v1/x509") => serde_json::json!({ "token": token }).to_string(),
            None => "[]".to_string(),
        };
        Ok(http::Response::new(Bytes::from(body)))
    })
    .unwrap();
    assert_eq!(
        seen[4..],
        [
            "https://auth.us-ashburn-1.oraclecloud.com/v1/x509".to_string(),
            "https://identity.us-ashburn-1.oci.oraclecloud.com/20160918/users?compartmentId=t"
                .to_string(),
        ]
    );
    assert!(!ctx.endpoints_pending());
    assert_eq!(ctx.tenancy(), TENANCY);
}

/// The default IMDS address unreachable: the next try reads IMDS over IPv6 (the failure in
/// between stays retryable); both unreachable: one error naming both. A given endpoint has no
/// fallback.
#[test]
fn the_default_imds_falls_back_to_ipv6_once() {
    let session_key =
        PrivateKey::from_pem(include_str!("fixtures/keys/doc_1024.pem"), None, "session").unwrap();
    let p = Arc::new(SessionTokenPrincipal::instance(
        &session_key,
        ocisdk_core::auth::DEFAULT_IMDS_ENDPOINT,
        Some(AUTH.to_string()),
        [5; 32],
    ));
    let refused = || {
        Error::Transport(TransportError::new(
            TransportErrorKind::Connect,
            "no route to host".to_string(),
        ))
    };
    let (t, req) = ticket_and_request(&p, at(0));
    assert_eq!(
        req.uri().to_string(),
        "http://169.254.169.254/opc/v2/instance/region"
    );
    let err = t.fail(refused());
    assert!(err.is_retryable(), "{err:?}");
    let (t, req) = ticket_and_request(&p, at(0));
    assert_eq!(
        req.uri().to_string(),
        "http://[fd00:c1::a9fe:a9fe]/opc/v2/instance/region"
    );
    let err = t.fail(refused());
    assert!(!err.is_retryable(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("[fd00:c1::a9fe:a9fe]") && text.contains("169.254.169.254"),
        "{text}"
    );

    // An endpoint given (an emulator, a proxy) is the only one tried.
    let p = principal();
    let (t, _) = ticket_and_request(&p, at(0));
    assert!(matches!(
        t.fail(refused()),
        Error::Token(TokenError::ImdsUnreachable { .. })
    ));
}

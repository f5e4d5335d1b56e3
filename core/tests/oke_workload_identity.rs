//! OKE workload identity on a virtual clock: the proxymux exchange as it goes on the wire (the
//! service-account token read afresh each round, the pod key, the base64 reply), refresh at
//! half-life and after a 401, the typed errors (which never quote a token); and delegation
//! tokens, signed as the official signers sign them, on calls of any principal.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use ocisdk_core::auth::oke::{OkeSettings, PROXYMUX_PATH, ServiceAccountToken};
use ocisdk_core::auth::signer::SignBody;
use ocisdk_core::auth::{
    OkeWorkloadIdentity, PrivateKey, RefreshTicket, RequestSigner, SessionTokenPrincipal,
    TokenError, TokenStep, api_key_signer,
};
use ocisdk_core::call::run_in_memory;
use ocisdk_core::clock::{Instant, Now};
use ocisdk_core::config::Secret;
use ocisdk_core::error::Error;
use ocisdk_core::{Context, Endpoints, RequestBody};
use ocisdk_identity::ListUsers;

mod common;
use common::{at, jwt, key_id};

const PROXYMUX: &str = "https://10.96.0.1:12250";
const TENANCY: &str = "ocid1.tenancy.oc1..oketest";
const OBO: &str = "obo-token-SECRET-4711";

/// A service-account token (a JWT living until `exp`), marked so a test can look for it.
fn sa_token(exp: u64, marker: &str) -> String {
    jwt(
        0,
        exp,
        &format!(r#","sub":"system:serviceaccount:{marker}""#),
    )
}

/// What the proxymux answers: base64 of `{"token": "ST$<jwt>"}`.
fn proxymux_reply(token: &str) -> Vec<u8> {
    B64.encode(serde_json::to_vec(&serde_json::json!({ "token": format!("ST${token}") })).unwrap())
        .into_bytes()
}

fn session_key() -> PrivateKey {
    PrivateKey::from_pem(include_str!("fixtures/keys/doc_1024.pem"), None, "session").unwrap()
}

fn principal(token: ServiceAccountToken) -> Arc<SessionTokenPrincipal> {
    let source = OkeWorkloadIdentity::new(&format!("{PROXYMUX}/"), token);
    Arc::new(
        SessionTokenPrincipal::with_source(Box::new(source), &session_key(), None, [9; 32])
            // As a configuration builds it: half-life, here without jitter.
            .with_refresh_ahead(Duration::MAX, Duration::ZERO),
    )
}

fn ticket_and_request(
    p: &Arc<SessionTokenPrincipal>,
    now: SystemTime,
) -> Result<(RefreshTicket, http::Request<RequestBody>), Error> {
    match p.poll(now) {
        TokenStep::Refresh(mut t) => {
            let req = t.request(now)?.expect("an exchange to send");
            Ok((t, req))
        }
        other => panic!("expected a ticket, got {other:?}"),
    }
}

fn body_json(req: &http::Request<RequestBody>) -> serde_json::Value {
    match req.body() {
        RequestBody::Bytes(b) => serde_json::from_slice(b).unwrap(),
        other => panic!("a JSON body, not {other:?}"),
    }
}

fn signed_headers<B>(req: &http::Request<B>) -> String {
    let auth = req.headers()["authorization"].to_str().unwrap();
    let start = auth.find("headers=\"").unwrap() + 9;
    auth[start..].split('"').next().unwrap().to_string()
}

#[test]
fn the_exchange_sends_the_sa_token_and_pod_key_and_reads_the_base64_reply() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, format!("{}\n", sa_token(3600, "first"))).unwrap();
    let p = principal(ServiceAccountToken::File(path.display().to_string()));
    assert_eq!(p.kind(), "OKE workload identity");

    let (t, req) = ticket_and_request(&p, at(0)).unwrap();
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(
        req.uri().to_string(),
        format!("{PROXYMUX}/resourcePrincipalSessionTokens")
    );
    let bearer = &req.headers()["authorization"];
    assert_eq!(
        bearer.to_str().unwrap(),
        format!("Bearer {}", sa_token(3600, "first"))
    );
    assert!(
        bearer.is_sensitive(),
        "the bearer value is hidden from Debug"
    );
    assert!(!format!("{req:?}").contains(&sa_token(3600, "first")));
    assert_eq!(req.headers()["content-type"], "application/json");
    let request_id = req.headers()["opc-request-id"].to_str().unwrap();
    assert_eq!(request_id.len(), 32);
    assert!(request_id.chars().all(|c| c.is_ascii_hexdigit()));
    // The pod key is the session key's public half: the PEM body on one line.
    let pem_body: String = session_key()
        .public_key_pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert_eq!(body_json(&req), serde_json::json!({ "podKey": pem_body }));

    let token = jwt(0, 600, &format!(r#","res_tenant":"{TENANCY}""#));
    t.complete(
        StatusCode::OK,
        &HeaderMap::new(),
        &proxymux_reply(&token),
        at(0),
    )
    .unwrap();
    let TokenStep::Sign { signer, generation } = p.poll(at(1)) else {
        panic!("a token")
    };
    assert_eq!(generation, 1);
    let mut probe = http::Request::get("https://objectstorage.test/n/")
        .body(())
        .unwrap();
    signer.sign(&mut probe, SignBody::Unsigned, at(1)).unwrap();
    let auth = probe.headers()["authorization"].to_str().unwrap();
    // `ST$` once: the reply's prefix is dropped, the principal adds its own.
    assert!(auth.contains(&format!("keyId=\"ST${token}\"")), "{auth}");
    assert_eq!(p.tenancy().as_deref(), Some(TENANCY));
}

#[test]
fn it_refreshes_at_half_life_reading_the_rotated_sa_token() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, sa_token(7200, "first")).unwrap();
    let p = principal(ServiceAccountToken::File(path.display().to_string()));
    let (t, _) = ticket_and_request(&p, at(0)).unwrap();
    t.complete(
        StatusCode::OK,
        &HeaderMap::new(),
        &proxymux_reply(&jwt(0, 600, "")),
        at(0),
    )
    .unwrap();
    // The kubelet rotates the projected token.
    std::fs::write(&path, sa_token(7200, "second")).unwrap();
    assert!(matches!(
        p.poll(at(299)),
        TokenStep::Sign { generation: 1, .. }
    ));
    assert_eq!(p.refresh_due(), Some(at(300)), "half of a 600 s token");
    let (t, req) = ticket_and_request(&p, at(300)).unwrap();
    assert_eq!(
        req.headers()["authorization"].to_str().unwrap(),
        format!("Bearer {}", sa_token(7200, "second")),
        "the file is read again at each round"
    );
    t.complete(
        StatusCode::OK,
        &HeaderMap::new(),
        &proxymux_reply(&jwt(300, 900, "")),
        at(300),
    )
    .unwrap();
    assert!(matches!(
        p.poll(at(301)),
        TokenStep::Sign { generation: 2, .. }
    ));
    // A 401 on the current token: one more exchange at once.
    p.unauthorized(2);
    let (t, _) = ticket_and_request(&p, at(302)).unwrap();
    assert!(matches!(p.poll(at(302)), TokenStep::Wait(_)));
    t.complete(
        StatusCode::OK,
        &HeaderMap::new(),
        &proxymux_reply(&jwt(302, 902, "")),
        at(302),
    )
    .unwrap();
    assert!(matches!(
        p.poll(at(303)),
        TokenStep::Sign { generation: 3, .. }
    ));
    assert_eq!(p.refreshes(), 3);
}

#[test]
fn failures_are_typed_and_never_quote_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-token");
    let p = principal(ServiceAccountToken::File(missing.display().to_string()));
    let err = match p.poll(at(0)) {
        TokenStep::Refresh(mut t) => t.request(at(0)).unwrap_err(),
        other => panic!("{other:?}"),
    };
    match &err {
        Error::Token(TokenError::OkeServiceAccountToken { path, .. }) => {
            assert_eq!(path, &missing.display().to_string())
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("no-such-token"), "{err}");

    // An expired service-account token is refused before anything is sent, as the Python
    // SDK refuses it.
    let expired = sa_token(10, "expired");
    let p = principal(ServiceAccountToken::Value(Secret::new(expired.clone())));
    let err = match p.poll(at(20)) {
        TokenStep::Refresh(mut t) => t.request(at(20)).unwrap_err(),
        other => panic!("{other:?}"),
    };
    assert!(
        matches!(&err, Error::Token(TokenError::OkeServiceAccountToken { reason, .. }) if reason.contains("expired")),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains(&expired));

    let sa = sa_token(3600, "live");
    let p = principal(ServiceAccountToken::Value(Secret::new(sa.clone())));
    // Refused: status and code, the 403 hint, never the token.
    let (t, _) = ticket_and_request(&p, at(0)).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("opc-request-id", "proxymux-req-1".parse().unwrap());
    let err = t
        .complete(
            StatusCode::FORBIDDEN,
            &headers,
            br#"{"code":"NotAuthorized","message":"bad"}"#,
            at(0),
        )
        .unwrap_err();
    match &err {
        Error::Token(TokenError::OkeRefused {
            status: 403,
            code,
            opc_request_id,
            ..
        }) => {
            assert_eq!(code, "NotAuthorized");
            assert_eq!(opc_request_id.as_deref(), Some("proxymux-req-1"));
        }
        other => panic!("{other:?}"),
    }
    let text = format!("{err} {err:?}");
    assert!(text.contains("enhanced cluster"), "{text}");
    assert!(!text.contains(&sa), "{text}");

    // Undecodable replies.
    for (body, reason) in [
        (b"not base64!".to_vec(), "not base64"),
        (B64.encode("[1]").into_bytes(), "not a JSON object"),
        (B64.encode(r#"{"nope":1}"#).into_bytes(), "no `token`"),
    ] {
        let (t, _) = ticket_and_request(&p, at(0)).unwrap();
        let err = t
            .complete(StatusCode::OK, &HeaderMap::new(), &body, at(0))
            .unwrap_err();
        assert!(
            matches!(&err, Error::Token(TokenError::OkeBadReply { reason: r, .. }) if r.contains(reason)),
            "{err:?}"
        );
    }
    // A token that is not a JWT is named as the proxymux's, not quoted.
    let (t, _) = ticket_and_request(&p, at(0)).unwrap();
    let bogus = B64.encode(r#"{"token":"ST$SECRETBOGUS"}"#).into_bytes();
    let err = t
        .complete(StatusCode::OK, &HeaderMap::new(), &bogus, at(0))
        .unwrap_err();
    assert!(matches!(&err, Error::Token(TokenError::Malformed { .. })));
    assert!(!format!("{err} {err:?}").contains("SECRETBOGUS"));

    // A busy proxymux is an ordinary retryable service error.
    let (t, _) = ticket_and_request(&p, at(0)).unwrap();
    let err = t
        .complete(
            StatusCode::SERVICE_UNAVAILABLE,
            &HeaderMap::new(),
            b"",
            at(0),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Service(_)), "{err:?}");
}

#[test]
fn the_proxymux_is_on_the_service_host_unless_an_endpoint_is_given() {
    let mut settings = OkeSettings {
        token: ServiceAccountToken::File("/t".into()),
        service_host: None,
        endpoint: None,
        ca_path: "/ca.crt".into(),
        region: None,
    };
    assert_eq!(
        settings.source().unwrap_err(),
        TokenError::OkeNoServiceHost,
        "KUBERNETES_SERVICE_HOST unset"
    );
    assert!(
        TokenError::OkeNoServiceHost
            .to_string()
            .contains("KUBERNETES_SERVICE_HOST")
    );
    settings.service_host = Some("10.96.0.1".into());
    assert_eq!(settings.base_url().unwrap(), "https://10.96.0.1:12250");
    settings.service_host = Some("fd00::1".into());
    assert_eq!(settings.base_url().unwrap(), "https://[fd00::1]:12250");
    settings.endpoint = Some("http://127.0.0.1:4000/".into());
    assert_eq!(settings.base_url().unwrap(), "http://127.0.0.1:4000");
    assert_eq!(PROXYMUX_PATH, "/resourcePrincipalSessionTokens");
    let debug = format!(
        "{:?}",
        ServiceAccountToken::Value(Secret::new("SECRETSA".to_string()))
    );
    assert!(!debug.contains("SECRETSA"), "{debug}");
}

fn api_signer() -> RequestSigner {
    let key = session_key();
    api_key_signer(
        "ocid1.tenancy.oc1..t",
        "ocid1.user.oc1..u",
        None,
        &key,
        [1; 32],
    )
}

#[test]
fn a_delegation_token_is_signed_where_the_official_signers_sign_it() {
    let signer = api_signer().with_delegation_token(Secret::new(OBO.to_string()));
    assert!(!format!("{signer:?}").contains(OBO));
    // Without a body: date (request-target) host opc-obo-token.
    let mut get = http::Request::get("https://identity.test/20160918/users?compartmentId=t")
        .body(())
        .unwrap();
    signer.sign(&mut get, SignBody::Unsigned, at(0)).unwrap();
    assert_eq!(
        signed_headers(&get),
        "date (request-target) host opc-obo-token"
    );
    let obo = &get.headers()["opc-obo-token"];
    assert_eq!(obo, OBO);
    assert!(obo.is_sensitive());
    assert!(!format!("{get:?}").contains(OBO));
    // With a body: then the content headers, as the Python SDK's body signer lists them.
    let mut post = http::Request::post("https://identity.test/20160918/groups")
        .body(())
        .unwrap();
    signer
        .sign(&mut post, SignBody::Hashed(b"{}"), at(0))
        .unwrap();
    assert_eq!(
        signed_headers(&post),
        "date (request-target) host opc-obo-token content-length content-type x-content-sha256"
    );
    // A request that already carries the header is not signed twice.
    let mut again = http::Request::get("https://identity.test/")
        .header("opc-obo-token", "other")
        .body(())
        .unwrap();
    signer.sign(&mut again, SignBody::Unsigned, at(0)).unwrap();
    assert_eq!(
        signed_headers(&again),
        "date (request-target) host opc-obo-token"
    );
    assert_eq!(again.headers()["opc-obo-token"], OBO);
}

fn users_reply() -> http::Response<Bytes> {
    http::Response::builder()
        .status(200)
        .body(Bytes::from_static(b"[]"))
        .unwrap()
}

fn now_at(secs: u64) -> Now {
    Now::new(Instant::from_origin(Duration::from_secs(secs)), at(secs))
}

#[test]
fn calls_of_a_token_principal_carry_the_delegation_token_but_its_exchanges_do_not() {
    let sa = sa_token(7200, "pod");
    let p = principal(ServiceAccountToken::Value(Secret::new(sa)));
    let ctx = Arc::new(
        Context::new(
            api_signer(),
            Endpoints::single("http://127.0.0.1:9"),
            [2; 32],
        )
        .with_session(Arc::clone(&p))
        .with_delegation_token(Secret::new(OBO.to_string())),
    );
    let token = jwt(0, 600, "");
    let mut seen = Vec::new();
    run_in_memory(ctx.call(ListUsers::new("t")), now_at(1), None, |req| {
        seen.push((
            req.uri().path().to_string(),
            req.headers().get("opc-obo-token").is_some(),
        ));
        if req.uri().path() == PROXYMUX_PATH {
            return Ok(http::Response::new(Bytes::from(proxymux_reply(&token))));
        }
        assert_eq!(key_id(req), format!("ST${token}"));
        assert!(signed_headers(req).contains("opc-obo-token"));
        Ok(users_reply())
    })
    .unwrap();
    assert_eq!(
        seen,
        vec![
            (PROXYMUX_PATH.to_string(), false),
            ("/20160918/users".to_string(), true),
        ]
    );
    // An API-key context: its fixed signer carries it.
    let ctx = Arc::new(
        Context::new(
            api_signer(),
            Endpoints::single("http://127.0.0.1:9"),
            [2; 32],
        )
        .with_delegation_token(Secret::new(OBO.to_string())),
    );
    assert!(!format!("{ctx:?}").contains(OBO));
    run_in_memory(ctx.call(ListUsers::new("t")), now_at(1), None, |req| {
        assert_eq!(req.headers()["opc-obo-token"], OBO);
        assert!(key_id(req).starts_with("ocid1.tenancy"));
        Ok(users_reply())
    })
    .unwrap();
}

#[test]
fn a_profiles_delegation_token_file_is_read_and_named_when_missing() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("key.pem");
    std::fs::write(&key_path, include_str!("fixtures/keys/doc_1024.pem")).unwrap();
    let obo_path = dir.path().join("obo");
    std::fs::write(&obo_path, format!("{OBO}\n")).unwrap();
    let profile = |obo: &std::path::Path| {
        format!(
            "[DEFAULT]\nuser=ocid1.user.oc1..u\nfingerprint={}\nkey_file={}\ntenancy=ocid1.tenancy.oc1..t\nregion=us-ashburn-1\ndelegation_token_file={}\n",
            session_key().fingerprint(),
            key_path.display(),
            obo.display()
        )
    };
    let config_path = dir.path().join("config");
    std::fs::write(&config_path, profile(&obo_path)).unwrap();
    let config =
        ocisdk_core::context::ClientConfig::from_config_file(Some(&config_path), None, [4; 32])
            .unwrap();
    assert!(config.has_delegation_token());
    assert!(!format!("{config:?}").contains(OBO));
    let ctx = Arc::new(config.build([5; 32]).unwrap());
    run_in_memory(ctx.call(ListUsers::new("t")), now_at(1), None, |req| {
        assert_eq!(req.headers()["opc-obo-token"], OBO);
        assert!(signed_headers(req).contains("opc-obo-token"));
        Ok(users_reply())
    })
    .unwrap();

    let missing = dir.path().join("no-obo-here");
    std::fs::write(&config_path, profile(&missing)).unwrap();
    let err =
        ocisdk_core::context::ClientConfig::from_config_file(Some(&config_path), None, [4; 32])
            .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("delegation_token_file") && text.contains("no-obo-here"),
        "{text}"
    );
}

#[test]
fn a_cloud_shell_profile_is_an_instance_principal_with_its_delegation_token() {
    let dir = tempfile::tempdir().unwrap();
    let obo_path = dir.path().join("obo");
    std::fs::write(&obo_path, OBO).unwrap();
    let config_path = dir.path().join("config");
    std::fs::write(
        &config_path,
        format!(
            "[DEFAULT]\nauthentication_type=instance_principal\nregion=us-ashburn-1\ndelegation_token_file={}\n",
            obo_path.display()
        ),
    )
    .unwrap();
    let config =
        ocisdk_core::context::ClientConfig::from_config_file(Some(&config_path), None, [6; 32])
            .unwrap();
    assert!(config.has_delegation_token());
    assert_eq!(config.region(), Some("us-ashburn-1"));
    let ctx = config.build([7; 32]).unwrap();
    assert_eq!(ctx.session().unwrap().kind(), "instance principal");

    // Without its delegation token the official SDKs refuse the profile; so does this one.
    std::fs::write(
        &config_path,
        "[DEFAULT]\nauthentication_type=instance_principal\n",
    )
    .unwrap();
    let err =
        ocisdk_core::context::ClientConfig::from_config_file(Some(&config_path), None, [6; 32])
            .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("authentication_type") && text.contains("delegation_token_file"),
        "{text}"
    );
}

#[test]
fn an_https_proxymux_is_verified_with_the_cluster_ca_only() {
    use ocisdk_core::context::{ClientConfig, PrivateCa};
    let ca = PrivateCa::for_url("https://[fd00::1]:12250", "PEM".into()).unwrap();
    assert_eq!((ca.host.as_str(), ca.port), ("fd00::1", 12250));
    assert!(ca.matches("[fd00::1]", 12250) && !ca.matches("fd00::1", 443));
    assert_eq!(
        PrivateCa::for_url("https://proxymux.test", "P".into()).map(|c| c.port),
        Some(443)
    );
    assert!(PrivateCa::for_url("http://127.0.0.1:80", "P".into()).is_none());

    // The roots a transport trusts: the certificates, DER, in order; a key is not one.
    let pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n\
               -----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n\
               -----BEGIN CERTIFICATE-----\nBAUG\n-----END CERTIFICATE-----\n";
    let ca = PrivateCa::for_url("https://proxymux.test:12250", pem.into()).unwrap();
    assert_eq!(
        ca.certificates().unwrap(),
        vec![vec![1, 2, 3], vec![4, 5, 6]]
    );
    for bad in [
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
    ] {
        let ca = PrivateCa::for_url("https://proxymux.test:12250", bad.into()).unwrap();
        let err = ca.certificates().unwrap_err();
        assert!(
            matches!(&err, Error::Transport(t) if t.kind == ocisdk_core::error::TransportErrorKind::Tls && t.message.contains("proxymux.test:12250")),
            "{err:?}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("ca.crt");
    let mut config = ClientConfig::oke_workload_identity([3; 32]).unwrap();
    config.set_service_account_cert_path(&ca_path.display().to_string());
    // Plain http (an emulator): no TLS, no CA read.
    config.set_oke_endpoint("http://127.0.0.1:4000");
    assert_eq!(config.private_cas().unwrap(), vec![]);
    // https: the CA must be there, and is named when it is not.
    config.set_oke_endpoint("https://10.96.0.1:12250");
    let err = config.private_cas().unwrap_err();
    assert!(
        matches!(&err, Error::Token(TokenError::OkeCaCertificate { path, .. }) if *path == ca_path.display().to_string()),
        "{err:?}"
    );
    std::fs::write(
        &ca_path,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    config.trust_private_ca("https://private.test", "OTHER");
    let cas = config.private_cas().unwrap();
    assert_eq!(cas.len(), 2);
    assert!(
        cas.iter()
            .any(|c| c.matches("10.96.0.1", 12250) && c.pem.contains("AAAA"))
    );
    assert!(cas.iter().any(|c| c.matches("private.test", 443)));
}

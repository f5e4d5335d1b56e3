//! Signature verification (every 401 case says what is wrong), session tokens, extra keys,
//! CORS, key generation and config files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, SystemTime};

use common::{Client, Sign, TEST_KEY, emulator, emulator_with};
use ocisdk_emulator::{Emulator, EmulatorConfig};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::json;

fn group_body(emu: &Emulator) -> Vec<u8> {
    serde_json::to_vec(&json!({"compartmentId": emu.tenancy_id(), "name": "g", "description": ""}))
        .unwrap()
}

#[test]
fn bad_signature_shows_the_signing_string() {
    let emu = emulator();
    let c = Client::new(&emu);
    let r = c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            corrupt: true,
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    let m = r.message();
    assert!(m.contains("signature does not verify for keyId"), "{m}");
    assert!(m.contains(&emu.key_id()), "{m}");
    assert!(m.contains("headers [date (request-target) host]"), "{m}");
    assert!(m.contains("signing string was: date: "), "{m}");
    assert!(
        m.contains("\n(request-target): get /n/\nhost: 127.0.0.1:"),
        "{m}"
    );
    assert!(!m.contains("PRIVATE KEY"));
    assert_eq!(emu.stats().auth_failures, 1);

    // A correctly signed request with a query string verifies.
    let r = c.send("GET", "/n/?x=1", &[], None, &Sign::default());
    assert_eq!(r.status, 200);
}

#[test]
fn post_needs_body_headers() {
    let emu = emulator();
    let c = Client::new(&emu);
    let body = group_body(&emu);
    let r = c.send(
        "POST",
        "/20160918/groups",
        &[],
        Some(&body),
        &Sign {
            omit: vec!["x-content-sha256"],
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    assert_eq!(
        r.message(),
        "missing required signed header x-content-sha256"
    );

    let r = c.send(
        "POST",
        "/20160918/groups",
        &[],
        Some(&body),
        &Sign {
            body_headers: Some(false),
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    assert!(
        r.message()
            .starts_with("missing required signed header content-length"),
        "{}",
        r.message()
    );

    let r = c.send(
        "PUT",
        "/20160918/groups/x",
        &[],
        Some(b"{}"),
        &Sign {
            omit: vec!["content-type"],
            ..Sign::default()
        },
    );
    assert_eq!(r.message(), "missing required signed header content-type");

    let r = c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            omit: vec!["host"],
            ..Sign::default()
        },
    );
    assert_eq!(r.message(), "missing required signed header host");
    let r = c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            omit: vec!["date"],
            ..Sign::default()
        },
    );
    assert_eq!(
        r.message(),
        "missing required signed header date (or x-date)"
    );

    // PutObject is exempt from the body headers (and the request goes through).
    let r = c.post_json(
        &format!("/n/{}/b/", emu.namespace()),
        &json!({"name": "b", "compartmentId": emu.tenancy_id()}),
    );
    assert_eq!(r.status, 200);
    let r = c.put_object(&format!("/n/{}/b/b/o/x", emu.namespace()), b"data", &[]);
    assert_eq!(r.status, 200);
    // ... but not other PUTs under /n.
    let r = c.send(
        "PUT",
        &format!("/n/{}/b/b/", emu.namespace()),
        &[],
        Some(b"{}"),
        &Sign {
            body_headers: Some(false),
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
}

#[test]
fn body_hash_must_match() {
    let emu = emulator();
    let c = Client::new(&emu);
    let body = group_body(&emu);
    let wrong = {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(b"other body"))
    };
    let r = c.send(
        "POST",
        "/20160918/groups",
        &[],
        Some(&body),
        &Sign {
            sha256_override: Some(wrong.clone()),
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    assert!(
        r.message()
            .starts_with("x-content-sha256 does not match body"),
        "{}",
        r.message()
    );
    assert!(r.message().contains(&wrong));
    // Nothing was created.
    let r = c.get(&format!(
        "/20160918/groups?compartmentId={}",
        emu.tenancy_id()
    ));
    assert_eq!(r.json(), json!([]));

    // Signed x-content-sha256 on a PutObject is checked too.
    let r = c.post_json(
        &format!("/n/{}/b/", emu.namespace()),
        &json!({"name": "b", "compartmentId": emu.tenancy_id()}),
    );
    assert_eq!(r.status, 200);
    let r = c.send(
        "PUT",
        &format!("/n/{}/b/b/o/x", emu.namespace()),
        &[("content-type", "application/octet-stream")],
        Some(b"payload"),
        &Sign {
            sha256_override: Some(wrong),
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    assert!(
        r.message()
            .starts_with("x-content-sha256 does not match body"),
        "{}",
        r.message()
    );
    c.get(&format!("/n/{}/b/b/o/x", emu.namespace()))
        .assert_error(404, "ObjectNotFound");
    let r = c.send(
        "PUT",
        &format!("/n/{}/b/b/o/x", emu.namespace()),
        &[("content-type", "application/octet-stream")],
        Some(b"payload"),
        &Sign::default(),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn dates_are_checked() {
    let emu = emulator();
    let c = Client::new(&emu);
    let old = SystemTime::now() - Duration::from_secs(612);
    let r = c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            date: Some(old),
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    let m = r.message();
    assert!(m.starts_with("date skew 61"), "{m}");
    assert!(m.contains(" s exceeds 300 s"), "{m}");

    // Within the window is fine; x-date works and wins over date.
    let r = c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            date: Some(SystemTime::now() - Duration::from_secs(200)),
            ..Sign::default()
        },
    );
    assert_eq!(r.status, 200);
    let r = c.send(
        "GET",
        "/n/",
        &[("date", "Thu, 01 Jan 1970 00:00:00 GMT")],
        None,
        &Sign {
            x_date: true,
            ..Sign::default()
        },
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    // The emulator's clock can be moved.
    emu.set_clock_skew_secs(3600);
    let r = c.get("/n/");
    // The date header has whole seconds: the skew seen is 3600 s, or 3601 s when the request
    // crosses a second boundary.
    let message = r.message();
    assert!(
        message.starts_with("date skew 3600 s exceeds 300 s")
            || message.starts_with("date skew 3601 s exceeds 300 s"),
        "{message}"
    );
    emu.set_clock_skew_secs(0);
    assert_eq!(c.get("/n/").status, 200);

    let skewed = emulator_with(EmulatorConfig {
        clock_skew_secs: -1000,
        ..EmulatorConfig::default()
    });
    Client::new(&skewed)
        .get("/n/")
        .assert_error(401, "NotAuthenticated");
}

#[test]
fn unknown_keys_and_unsigned_requests() {
    let emu = emulator();
    let c = Client::new(&emu);
    let r = c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            key_id: Some("ocid1.tenancy.oc1..t/ocid1.user.oc1..u/00:11".into()),
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    assert!(
        r.message()
            .starts_with("unknown keyId \"ocid1.tenancy.oc1..t/ocid1.user.oc1..u/00:11\""),
        "{}",
        r.message()
    );
    let r = c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            key_id: Some("not-a-key-id".into()),
            ..Sign::default()
        },
    );
    assert!(
        r.message().starts_with("malformed keyId"),
        "{}",
        r.message()
    );
    let r = c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            key_id: Some("ST$secret-token".into()),
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    assert!(r.message().starts_with("unknown keyId"), "{}", r.message());
    assert!(!r.message().contains("secret-token"));
    let r = c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            unsigned: true,
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    assert!(
        r.message().starts_with("missing authorization header"),
        "{}",
        r.message()
    );
    let r = c.send(
        "GET",
        "/n/",
        &[("authorization", "Bearer abc")],
        None,
        &Sign {
            unsigned: true,
            ..Sign::default()
        },
    );
    assert!(r.message().contains("Signature scheme"), "{}", r.message());
}

#[test]
fn session_tokens_and_extra_api_keys() {
    let emu = emulator();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(TEST_KEY).unwrap();
    let public = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();

    emu.add_session_token("eyJhbGciOi.token.sig", &public)
        .unwrap();
    let c = Client::with_key(&emu, TEST_KEY, "ST$eyJhbGciOi.token.sig");
    assert_eq!(c.get("/n/").status, 200);
    let r = c.post_json(
        &format!("/n/{}/b/", emu.namespace()),
        &json!({"name": "st", "compartmentId": emu.tenancy_id()}),
    );
    assert_eq!(r.status, 200);

    let other = "ocid1.tenancy.oc1..other/ocid1.user.oc1..other/aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99";
    let c = Client::with_key(&emu, TEST_KEY, other);
    c.get("/n/").assert_error(401, "NotAuthenticated");
    emu.add_api_key(
        "ocid1.tenancy.oc1..other",
        "ocid1.user.oc1..other",
        "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99",
        &public,
    )
    .unwrap();
    assert_eq!(c.get("/n/").status, 200);
    let r = c.post_json(
        &format!("/n/{}/b/", emu.namespace()),
        &json!({"name": "other", "compartmentId": emu.tenancy_id()}),
    );
    assert_eq!(r.json()["createdBy"], "ocid1.user.oc1..other");
    assert!(emu.add_api_key("t", "u", "f", "not a pem").is_err());
}

/// The sign-in stand-in (`POST /_emulator/session-token`): a token for a trusted API key's
/// public half, usable only with that key, and nothing for any other key.
#[test]
fn sign_in_issues_session_tokens_for_trusted_keys_only() {
    let emu = emulator();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(TEST_KEY).unwrap();
    let public = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let unsigned = Sign {
        unsigned: true,
        ..Sign::default()
    };
    let c = Client::new(&emu);
    let sign_in = |body: serde_json::Value| {
        c.send(
            "POST",
            "/_emulator/session-token",
            &[("content-type", "application/json")],
            Some(&serde_json::to_vec(&body).unwrap()),
            &unsigned,
        )
    };
    let r = sign_in(json!({"publicKey": public, "lifetimeSeconds": 120}));
    assert_eq!(r.status, 200, "{}", r.message());
    let token = r.json()["token"].as_str().unwrap().to_string();
    let c = Client::with_key(&emu, TEST_KEY, &format!("ST${token}"));
    assert_eq!(c.get("/n/").status, 200);

    // A key the emulator does not trust as an API key (an instance's leaf key).
    let stranger = include_str!("../src/instance_key_a.pub.pem");
    let c = Client::new(&emu);
    let sign_in = |body: serde_json::Value| {
        c.send(
            "POST",
            "/_emulator/session-token",
            &[("content-type", "application/json")],
            Some(&serde_json::to_vec(&body).unwrap()),
            &unsigned,
        )
    };
    sign_in(json!({"publicKey": stranger})).assert_error(401, "NotAuthenticated");
    sign_in(json!({"publicKey": public, "lifetimeSeconds": 0}))
        .assert_error(400, "InvalidParameter");
    sign_in(json!({"publicKey": "not a pem"})).assert_error(400, "InvalidParameter");
    sign_in(json!({})).assert_error(400, "MissingParameter");
}

/// The refresh endpoint renews a user's session token within its session (`sess_exp`) only:
/// not a resource principal's token, and not past the session's end.
#[test]
fn refresh_renews_user_sessions_within_their_life_only() {
    let emu = emulator();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(TEST_KEY).unwrap();
    let public = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let refresh = |token: &str, sign: &Sign| {
        let c = Client::with_key(&emu, TEST_KEY, &format!("ST${token}"));
        let body = serde_json::to_vec(&json!({ "currentToken": token })).unwrap();
        c.send(
            "POST",
            "/v1/authentication/refresh",
            &[("content-type", "application/json")],
            Some(&body),
            sign,
        )
    };
    let user = emu
        .issue_session_token(&public, Duration::from_secs(48 * 3600))
        .unwrap();
    let r = refresh(&user, &Sign::default());
    assert_eq!(r.status, 200, "{}", r.message());

    let rpst = emu
        .issue_resource_principal_token(&public, Duration::from_secs(600))
        .unwrap();
    let r = refresh(&rpst, &Sign::default());
    r.assert_error(401, "NotAuthenticated");
    assert!(
        r.message().contains("only a user's session token"),
        "{}",
        r.message()
    );

    // A day and an hour later the 48-hour token still lives, but its session has ended.
    let later = SystemTime::now() + Duration::from_secs(25 * 3600);
    emu.set_clock_skew_secs(25 * 3600);
    let r = refresh(
        &user,
        &Sign {
            date: Some(later),
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    assert!(r.message().contains("session has ended"), "{}", r.message());
}

#[test]
fn cors() {
    let emu = emulator();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let req = ureq::http::Request::builder()
        .method("OPTIONS")
        .uri(format!("{}/n/ns/b/bucket/o/some/object", emu.url()))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "authorization, x-date, content-md5, opc-meta-a",
        )
        .body(())
        .unwrap();
    let r = agent.run(req).unwrap();
    assert!(r.status().is_success());
    let h = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(h("access-control-allow-origin"), "https://app.example");
    assert!(h("access-control-allow-methods").contains("PUT"));
    assert!(h("access-control-allow-methods").contains("DELETE"));
    assert_eq!(
        h("access-control-allow-headers"),
        "authorization, x-date, content-md5, opc-meta-a"
    );
    assert!(!h("access-control-max-age").is_empty());
    assert!(!h("opc-request-id").is_empty());
    assert_eq!(emu.stats().auth_failures, 0);
    assert_eq!(emu.stats().operation("CorsPreflight"), 1);

    // Ordinary responses, errors included, carry CORS headers.
    let c = Client::new(&emu);
    let r = c.get("/n/");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let expose = r.header("access-control-expose-headers").unwrap();
    for name in [
        "opc-request-id",
        "opc-next-page",
        "etag",
        "opc-content-md5",
        "content-md5",
        "last-modified",
        "content-range",
        "content-length",
        "*",
    ] {
        assert!(
            expose.split(", ").any(|e| e == name),
            "{name} not in {expose}"
        );
    }
    let r = c.send(
        "GET",
        "/n/",
        &[("origin", "https://x.example")],
        None,
        &Sign {
            unsigned: true,
            ..Sign::default()
        },
    );
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://x.example")
    );
}

#[test]
fn request_ids_are_unique_and_echo_the_client_id() {
    let emu = emulator();
    let c = Client::new(&emu);
    let a = c.get("/n/");
    let b = c.get("/n/");
    assert_ne!(a.header("opc-request-id"), b.header("opc-request-id"));
    let r = c.send(
        "GET",
        "/n/",
        &[
            ("opc-request-id", "CLIENT123"),
            ("opc-client-request-id", "mine"),
        ],
        None,
        &Sign::default(),
    );
    assert!(
        r.header("opc-request-id")
            .unwrap()
            .starts_with("CLIENT123/")
    );
    assert_eq!(r.header("opc-client-request-id"), Some("mine"));
}

#[test]
fn generated_key_and_config_files() {
    let emu = Emulator::start().unwrap();
    let fp = emu.fingerprint();
    assert_eq!(fp.len(), 47);
    assert!(fp.split(':').all(|p| {
        p.len() == 2
            && p.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    }));
    assert!(emu.tenancy_id().starts_with("ocid1.tenancy.oc1..aaaaaaaa"));
    assert!(emu.user_id().starts_with("ocid1.user.oc1..aaaaaaaa"));
    assert!(
        emu.private_key_pem()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    assert!(emu.url().starts_with("http://127.0.0.1:"));

    let text = emu.config_text("/keys/k.pem");
    for line in [
        "[DEFAULT]".to_string(),
        format!("user={}", emu.user_id()),
        format!("fingerprint={fp}"),
        "key_file=/keys/k.pem".to_string(),
        format!("tenancy={}", emu.tenancy_id()),
        format!("region={}", ocisdk_emulator::EMULATOR_REGION),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from\n{text}"
        );
    }

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("state");
    let path = emu.write_config(&dir).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    let key_line = written
        .lines()
        .find(|l| l.starts_with("key_file="))
        .unwrap();
    let key_path = key_line.trim_start_matches("key_file=");
    assert_eq!(
        std::fs::read_to_string(key_path).unwrap(),
        emu.private_key_pem()
    );

    // The written key signs requests the emulator accepts.
    let c = Client::with_key(&emu, emu.private_key_pem(), &emu.key_id());
    assert_eq!(c.get("/n/").status, 200);

    // A second emulator in the same process reuses the generated key (fast) but not the ids.
    let emu2 = Emulator::start().unwrap();
    assert_eq!(emu2.fingerprint(), fp);
    assert_ne!(emu2.tenancy_id(), emu.tenancy_id());
    emu2.shutdown();
}

#[test]
fn shutdown_stops_listening() {
    let emu = emulator();
    let addr = emu.addr();
    emu.shutdown();
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
}

/// `version="1"` is required, as on the service (the official SDKs always send it): without it,
/// or with another version, the request is 401 and the message says why.
#[test]
fn signature_version_1_is_required() {
    let emu = emulator();
    let c = Client::new(&emu);
    let send = |version: Option<&'static str>| {
        c.send(
            "GET",
            "/n/",
            &[],
            None,
            &Sign {
                version,
                ..Sign::default()
            },
        )
    };
    assert_eq!(send(None).status, 200);

    let r = send(Some(""));
    r.assert_error(401, "NotAuthenticated");
    assert!(
        r.message()
            .contains("authorization header has no version parameter (expected version=\"1\")"),
        "{}",
        r.message()
    );

    let r = send(Some("2"));
    r.assert_error(401, "NotAuthenticated");
    assert!(
        r.message()
            .contains("unsupported signature version \"2\" (expected \"1\")"),
        "{}",
        r.message()
    );
    assert_eq!(emu.stats().auth_failures, 2);
}

/// What a client sends by mistake in the authorization header or a secret header never comes
/// back in a 401's message (which is also what the emulator logs): the values of signed secret
/// headers are left out of the signing string shown, and a keyId, parameter name or version that
/// does not look like one is described by its length only.
#[test]
fn auth_errors_repeat_no_secret() {
    const SSE_KEY: &str = "c2VjcmV0LXNzZS1jLWtleS0zMi1ieXRlcy1sb25nISE=";
    const TOKEN: &str = "eyJTOPSECRETTOKEN.payload.signature";
    let emu = emulator();
    let c = Client::new(&emu);

    // A bad signature over a signed SSE-C key: the signing string is shown, the key is not.
    let r = c.send(
        "GET",
        "/n/",
        &[("opc-sse-customer-key", SSE_KEY)],
        None,
        &Sign {
            corrupt: true,
            also_sign: vec!["opc-sse-customer-key"],
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    let m = r.message();
    assert!(m.contains("signing string was: "), "{m}");
    assert!(m.contains("\nopc-sse-customer-key: <redacted>"), "{m}");
    assert!(!m.contains(SSE_KEY), "{m}");

    // A session token sent as a keyId without its ST$ prefix.
    let r = c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            key_id: Some(TOKEN.into()),
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    assert!(
        r.message().starts_with("malformed keyId ("),
        "{}",
        r.message()
    );
    assert!(!r.message().contains("TOPSECRET"), "{}", r.message());

    // The same, with slashes, so that it parses as tenancy/user/fingerprint.
    let r = c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            key_id: Some(format!("{TOKEN}/{TOKEN}/{TOKEN}")),
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    assert!(
        r.message().starts_with("unknown keyId ("),
        "{}",
        r.message()
    );
    assert!(!r.message().contains("TOPSECRET"), "{}", r.message());

    // A version that is not a version.
    let r = c.send(
        "GET",
        "/n/",
        &[],
        None,
        &Sign {
            version: Some("TOPSECRET+/="),
            ..Sign::default()
        },
    );
    r.assert_error(401, "NotAuthenticated");
    assert!(!r.message().contains("TOPSECRET"), "{}", r.message());

    // Hand-made headers: a token where the parameters belong, an unterminated value.
    for header in [
        format!("Signature ST${TOKEN}"),
        format!("Signature version=\"1\",keyId=\"ST${TOKEN}"),
        format!("Signature version=\"1\",{TOKEN}=\"x\",{TOKEN}=\"y\""),
    ] {
        let r = c.send(
            "GET",
            "/n/",
            &[("authorization", &header)],
            None,
            &Sign {
                unsigned: true,
                ..Sign::default()
            },
        );
        r.assert_error(401, "NotAuthenticated");
        assert!(
            !r.message().contains("TOPSECRET"),
            "{header}: {}",
            r.message()
        );
    }
}

/// A resource principal 1.1 token request is an instance's: a user's session token or a
/// resource's RPST signing it is refused, as is a token signing the session token exchange.
#[test]
fn resource_principal_tokens_are_asked_for_by_instances_only() {
    let emu = emulator();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(TEST_KEY).unwrap();
    let public = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let lifetime = Duration::from_secs(600);
    let user = emu.issue_session_token(&public, lifetime).unwrap();
    let rpst = emu
        .issue_resource_principal_token(&public, lifetime)
        .unwrap();
    for token in [user, rpst] {
        let c = Client::with_key(&emu, TEST_KEY, &format!("ST${token}"));
        let r = c.get(&format!(
            "/20180711/resourcePrincipalToken/{}",
            ocisdk_emulator::INSTANCE_ID
        ));
        r.assert_error(401, "NotAuthenticated");
        // Refused for who signed, not for a bad signature.
        assert!(
            r.message().contains("instance's session token"),
            "{}",
            r.message()
        );
        let body = json!({
            "resourcePrincipalToken": "rpt",
            "servicePrincipalSessionToken": "spst",
            "sessionPublicKey": "k",
        });
        let r = c.post_json("/v1/resourcePrincipalSessionToken", &body);
        r.assert_error(401, "NotAuthenticated");
        assert!(
            r.message().contains("instance's session token"),
            "{}",
            r.message()
        );
    }
}

//! The OKE proxymux (its own address; service-account tokens it issued, live; the base64 reply
//! whose token signs requests with the pod key) and delegation tokens (`opc-obo-token` counts
//! only signed, issued and alive), driven by hand-made requests.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{Client, Sign, TEST_KEY, emulator};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use ureq::http;

/// `POST <proxymux>/resourcePrincipalSessionTokens` with `bearer` and the test key as pod key.
fn proxymux(url: &str, bearer: Option<&str>) -> (u16, String) {
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(TEST_KEY).unwrap();
    let pem = key
        .to_public_key()
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let body = serde_json::to_vec(&serde_json::json!({ "podKey": body })).unwrap();
    let mut req = http::Request::post(format!("{url}/resourcePrincipalSessionTokens"))
        .header("content-type", "application/json");
    if let Some(b) = bearer {
        req = req.header("authorization", format!("Bearer {b}"));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let resp = agent.run(req.body(body).unwrap()).unwrap();
    let status = resp.status().as_u16();
    (status, resp.into_body().read_to_string().unwrap())
}

#[test]
fn the_proxymux_trades_a_live_sa_token_for_a_token_bound_to_the_pod_key() {
    let emu = emulator();
    assert_ne!(emu.proxymux_url(), emu.url(), "an address of its own");
    let sa = emu.issue_service_account_token(Duration::from_secs(600));

    // Unknown bearer, no bearer: refused, the token never quoted.
    let (status, body) = proxymux(emu.proxymux_url(), Some("not-a-cluster-token"));
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains("not-a-cluster-token"));
    assert_eq!(proxymux(emu.proxymux_url(), None).0, 401);
    // The proxymux is not on the services' address: there, an unsigned request is refused.
    assert_eq!(proxymux(emu.url(), Some(&sa)).0, 401);

    let (status, body) = proxymux(emu.proxymux_url(), Some(&sa));
    assert_eq!(status, 200, "{body}");
    let decoded: serde_json::Value =
        serde_json::from_slice(&B64.decode(body.trim()).unwrap()).unwrap();
    let token = decoded["token"].as_str().unwrap();
    assert!(token.starts_with("ST$"), "as OKE sends it");
    assert_eq!(emu.stats().oke_tokens, 1);

    // The token signs with the pod key.
    let c = Client::with_key(&emu, TEST_KEY, token);
    let r = c.get("/n/");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    // A basic cluster refuses with 403.
    emu.set_oke_basic_cluster(true);
    assert_eq!(proxymux(emu.proxymux_url(), Some(&sa)).0, 403);
    emu.set_oke_basic_cluster(false);
    // An expired service-account token is refused.
    let short = emu.issue_service_account_token(Duration::from_secs(1));
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(proxymux(emu.proxymux_url(), Some(&short)).0, 401);
    let stats = emu.stats();
    assert_eq!(stats.oke_tokens, 1, "{stats:?}");
    assert_eq!(stats.operation("OkeWorkloadIdentityToken"), 5, "{stats:?}");
}

#[test]
fn opc_obo_token_counts_only_signed_issued_and_alive() {
    let emu = emulator();
    let c = Client::new(&emu);
    let obo = emu.issue_delegation_token(Duration::from_secs(600));
    let signed = Sign {
        also_sign: vec!["opc-obo-token"],
        ..Sign::default()
    };

    // Signed and issued: accepted, counted.
    let r = c.send("GET", "/n/", &[("opc-obo-token", &obo)], None, &signed);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(emu.stats().delegated_requests, 1);

    // Sent but not signed: 401, naming the header, never quoting the token.
    let r = c.send(
        "GET",
        "/n/",
        &[("opc-obo-token", &obo)],
        None,
        &Sign::default(),
    );
    r.assert_error(401, "NotAuthenticated");
    assert!(r.message().contains("opc-obo-token"), "{}", r.message());
    assert!(!r.message().contains(&obo));

    // Signed but not issued by the emulator: 401.
    let r = c.send("GET", "/n/", &[("opc-obo-token", "forged")], None, &signed);
    r.assert_error(401, "NotAuthenticated");
    assert!(!r.message().contains("forged"));

    // A body request signs it too.
    let body = br#"{"name":"obo-bucket","compartmentId":"c"}"#;
    let r = c.send(
        "POST",
        "/n/ocisdkemulator/b/",
        &[("opc-obo-token", &obo)],
        Some(body),
        &signed,
    );
    assert_ne!(r.status, 401, "{}", String::from_utf8_lossy(&r.body));

    // Expired: 401.
    let short = emu.issue_delegation_token(Duration::from_secs(1));
    std::thread::sleep(Duration::from_millis(2100));
    let r = c.send("GET", "/n/", &[("opc-obo-token", &short)], None, &signed);
    r.assert_error(401, "NotAuthenticated");
    assert!(r.message().contains("expired"), "{}", r.message());
    let stats = emu.stats();
    assert_eq!(stats.delegated_requests, 2, "{stats:?}");
    assert_eq!(stats.auth_failures, 3, "{stats:?}");
}

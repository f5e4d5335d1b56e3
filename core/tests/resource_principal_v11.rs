//! Resource principals 1.1 on a virtual clock: each round federates as the instance (IMDS
//! reads and `POST /v1/x509`), then asks for the resource principal token and exchanges it as
//! `ST$<instance token>` with the session key, one ticket per exchange; the RPST is what calls
//! sign with; a 401 starts a whole round again; errors are typed and name the variable.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use http::{HeaderMap, StatusCode};
use ocisdk_core::RequestBody;
use ocisdk_core::auth::resource::{
    METADATA_BASE_URL_VAR, RPST_ENDPOINT_VAR, RPT_ENDPOINT_VAR, RPT_ID_VAR, RPT_PATH_VAR,
    VERSION_VAR,
};
use ocisdk_core::auth::{
    PrivateKey, ResourcePrincipalError, ResourcePrincipalSetup, SessionTokenPrincipal, TokenError,
    TokenStep,
};
use ocisdk_core::error::Error;

mod common;
use common::{at, cert_pem, key_id};

const INSTANCE_TENANCY: &str = "ocid1.tenancy.oc1..instance";
const TENANCY: &str = "ocid1.tenancy.oc1..resource";
const IMDS: &str = "http://imds.test/opc/v2";
const AUTH: &str = "https://auth.test";
const RPT: &str = "https://rpt.test";
const LEAF_KEY: &str = include_str!("fixtures/keys/pkcs8.pem");
const SESSION_KEY: &str = include_str!("fixtures/keys/doc_1024.pem");

fn jwt(iat: u64, exp: u64, marker: &str, claims: &str) -> String {
    common::jwt(iat, exp, &format!(r#","jti":"{marker}"{claims}"#))
}

fn vars() -> HashMap<&'static str, String> {
    HashMap::from([
        (VERSION_VAR, "1.1".to_string()),
        (RPT_ENDPOINT_VAR, format!("{RPT}/")),
        (METADATA_BASE_URL_VAR, IMDS.to_string()),
    ])
}

fn lookup<'a>(vars: &'a HashMap<&'static str, String>) -> impl Fn(&str) -> Option<String> + 'a {
    |name| vars.get(name).cloned()
}

fn session_key() -> PrivateKey {
    PrivateKey::from_pem(SESSION_KEY, None, "session").unwrap()
}

fn principal(vars: &HashMap<&'static str, String>) -> Arc<SessionTokenPrincipal> {
    let setup = ResourcePrincipalSetup::from_lookup(lookup(vars)).unwrap();
    assert!(setup.key.is_none(), "1.1: the client makes the session key");
    assert!(setup.region.is_none(), "1.1: the region is IMDS's");
    assert!(setup.first_token.is_none() && setup.tenancy.is_none());
    Arc::new(SessionTokenPrincipal::with_source(
        setup.source_factory()(),
        &session_key(),
        Some(AUTH.to_string()),
        [5; 32],
    ))
}

/// One exchange of the round: its request (checked by the caller), answered with
/// `status`/`body`.
fn exchange(
    p: &Arc<SessionTokenPrincipal>,
    now: SystemTime,
    check: impl FnOnce(&http::Request<RequestBody>),
    status: StatusCode,
    body: &[u8],
) -> Result<String, Error> {
    let TokenStep::Refresh(mut ticket) = p.poll(now) else {
        panic!("a round is under way")
    };
    let req = ticket.request(now).unwrap().expect("an exchange to send");
    check(&req);
    let line = format!("{} {}", req.method(), req.uri());
    ticket.complete(status, &HeaderMap::new(), body, now)?;
    Ok(line)
}

/// The instance-principal part of a round (the IMDS reads, the federation, answered with
/// `instance_token`): the exchanges' lines.
fn instance_round(
    p: &Arc<SessionTokenPrincipal>,
    now: SystemTime,
    instance_token: &str,
) -> Vec<String> {
    let cert = cert_pem(&format!("opc-tenant:{INSTANCE_TENANCY}"));
    let mut lines = Vec::new();
    for (path, body) in [
        ("/instance/region", "us-ashburn-1\n".to_string()),
        ("/identity/cert.pem", cert),
        ("/identity/key.pem", LEAF_KEY.to_string()),
        ("/identity/intermediate.pem", cert_pem("intermediate")),
    ] {
        let check = |req: &http::Request<RequestBody>| {
            assert_eq!(req.uri().to_string(), format!("{IMDS}{path}"));
            assert_eq!(req.headers()["authorization"], "Bearer Oracle");
        };
        lines.push(exchange(p, now, check, StatusCode::OK, body.as_bytes()).unwrap());
    }
    let reply = serde_json::to_vec(&serde_json::json!({ "token": instance_token })).unwrap();
    let check = |req: &http::Request<RequestBody>| {
        assert!(
            key_id(req).starts_with(&format!("{INSTANCE_TENANCY}/fed-x509-sha256/")),
            "the federation signs with the leaf key"
        );
    };
    lines.push(exchange(p, now, check, StatusCode::OK, &reply).unwrap());
    lines
}

fn public_key_body() -> String {
    session_key()
        .public_key_pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect()
}

#[test]
fn version_1_1_federates_as_the_instance_then_exchanges_the_resource_token_as_it() {
    let p = principal(&vars());
    let now = at(0);
    let instance = jwt(0, 1200, "instance-1", r#","ptype":"instance""#);
    let rpst = jwt(
        0,
        600,
        "rpst-1",
        &format!(r#","ttype":"res","res_tenant":"{TENANCY}""#),
    );

    // Round 1: the instance's OCID (once: the `{id}` of the default path), then the instance
    // round, then the two exchanges: 8 in all.
    let mut lines = vec![
        exchange(
            &p,
            now,
            |req| assert_eq!(req.headers()["authorization"], "Bearer Oracle"),
            StatusCode::OK,
            b"OCID1.INSTANCE.OC1..ABC\n",
        )
        .unwrap(),
    ];
    lines.extend(instance_round(&p, now, &instance));
    assert_eq!(p.generation(), 0, "the instance token is not installed");
    let instance_key_id = format!("ST${instance}");
    lines.push(
        exchange(
            &p,
            now,
            |req| {
                assert_eq!(key_id(req), instance_key_id, "signed as the instance");
                let auth = req.headers()["authorization"].to_str().unwrap();
                assert!(
                    auth.contains("headers=\"date (request-target) host\""),
                    "{auth}"
                );
            },
            StatusCode::OK,
            br#"{"resourcePrincipalToken":"RPT-1","servicePrincipalSessionToken":"SPST-1"}"#,
        )
        .unwrap(),
    );
    let reply = serde_json::to_vec(&serde_json::json!({ "token": rpst })).unwrap();
    lines.push(
        exchange(
            &p,
            now,
            |req| {
                assert_eq!(key_id(req), instance_key_id, "signed as the instance");
                let RequestBody::Bytes(body) = req.body() else {
                    panic!("a JSON body")
                };
                let body: serde_json::Value = serde_json::from_slice(body).unwrap();
                assert_eq!(
                    body,
                    serde_json::json!({
                        "resourcePrincipalToken": "RPT-1",
                        "servicePrincipalSessionToken": "SPST-1",
                        "sessionPublicKey": public_key_body(),
                    })
                );
            },
            StatusCode::OK,
            &reply,
        )
        .unwrap(),
    );
    assert_eq!(
        lines,
        [
            format!("GET {IMDS}/instance/id"),
            format!("GET {IMDS}/instance/region"),
            format!("GET {IMDS}/identity/cert.pem"),
            format!("GET {IMDS}/identity/key.pem"),
            format!("GET {IMDS}/identity/intermediate.pem"),
            format!("POST {AUTH}/v1/x509"),
            // The OCID as the official SDKs use it: lower-case.
            format!("GET {RPT}/20180711/resourcePrincipalToken/ocid1.instance.oc1..abc"),
            format!("POST {AUTH}/v1/resourcePrincipalSessionToken"),
        ]
    );
    assert_eq!(p.generation(), 1);
    assert_eq!(
        p.tenancy().as_deref(),
        Some(TENANCY),
        "the RPST's res_tenant"
    );
    let TokenStep::Sign { signer, .. } = p.poll(at(1)) else {
        panic!("the RPST signs")
    };
    let mut req = http::Request::get("https://objectstorage.test/n")
        .body(RequestBody::Empty)
        .unwrap();
    signer
        .sign(&mut req, ocisdk_core::auth::SignBody::Unsigned, at(1))
        .unwrap();
    assert_eq!(key_id(&req), format!("ST${rpst}"));

    // A 401: a whole round again, from IMDS (the OCID is known): 7 exchanges.
    p.unauthorized(1);
    let instance2 = jwt(2, 1200, "instance-2", "");
    let mut lines = instance_round(&p, at(2), &instance2);
    let rpt_line = exchange(
        &p,
        at(2),
        |req| {
            assert_eq!(
                key_id(req),
                format!("ST${instance2}"),
                "the new instance token"
            )
        },
        StatusCode::OK,
        br#"{"resourcePrincipalToken":"RPT-2","servicePrincipalSessionToken":"SPST-2"}"#,
    )
    .unwrap();
    lines.push(rpt_line);
    let rpst2 = jwt(
        2,
        600,
        "rpst-2",
        &format!(r#","ttype":"res","res_tenant":"{TENANCY}""#),
    );
    let reply = serde_json::to_vec(&serde_json::json!({ "token": rpst2 })).unwrap();
    lines.push(exchange(&p, at(2), |_| {}, StatusCode::OK, &reply).unwrap());
    assert_eq!(lines.len(), 7, "{lines:#?}");
    assert_eq!(lines[0], format!("GET {IMDS}/instance/region"));
    assert_eq!(p.generation(), 2);

    // A refused token request is typed, names the endpoint, quotes no token; the next try
    // starts from the instance again.
    p.unauthorized(2);
    instance_round(&p, at(3), &jwt(3, 1200, "instance-3", ""));
    let err = exchange(
        &p,
        at(3),
        |_| {},
        StatusCode::NOT_FOUND,
        br#"{"code":"NotAuthorizedOrNotFound","message":"no"}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Token(TokenError::ResourcePrincipal(ResourcePrincipalError::Refused { status: 404, endpoint, .. })) if endpoint.contains("/resourcePrincipalToken/ocid1.instance.oc1..abc")),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("instance-3"));
    let TokenStep::Refresh(mut ticket) = p.poll(at(4)) else {
        panic!("the round starts over")
    };
    let req = ticket.request(at(4)).unwrap().unwrap();
    assert_eq!(req.uri().to_string(), format!("{IMDS}/instance/region"));
}

#[test]
fn version_1_1_path_id_and_endpoints_come_from_the_variables_when_given() {
    let mut v = vars();
    v.insert(RPT_PATH_VAR, "/custom/{id}/token".into());
    v.insert(RPT_ID_VAR, "ocid1.given".into());
    v.insert(RPST_ENDPOINT_VAR, "https://rpst.test/".into());
    let p = principal(&v);
    // No OCID read: the round starts with the instance's.
    let lines = instance_round(&p, at(0), &jwt(0, 1200, "i", ""));
    assert_eq!(lines[0], format!("GET {IMDS}/instance/region"));
    let rpt = exchange(
        &p,
        at(0),
        |_| {},
        StatusCode::OK,
        br#"{"resourcePrincipalToken":"R","servicePrincipalSessionToken":"S"}"#,
    )
    .unwrap();
    assert_eq!(rpt, format!("GET {RPT}/custom/ocid1.given/token"));
    let reply = serde_json::to_vec(&serde_json::json!({
        "token": jwt(0, 600, "r", &format!(r#","res_tenant":"{TENANCY}""#))
    }))
    .unwrap();
    let rpst = exchange(&p, at(0), |_| {}, StatusCode::OK, &reply).unwrap();
    assert_eq!(
        rpst,
        "POST https://rpst.test/v1/resourcePrincipalSessionToken"
    );
    assert_eq!(p.generation(), 1);
}

#[test]
fn version_1_1_variables_are_checked_when_the_client_is_built() {
    let mut v = vars();
    v.remove(RPT_ENDPOINT_VAR);
    let err = ResourcePrincipalSetup::from_lookup(lookup(&v)).unwrap_err();
    assert!(
        matches!(&err, Error::Token(TokenError::ResourcePrincipal(ResourcePrincipalError::VariableMissing { var })) if *var == RPT_ENDPOINT_VAR),
        "{err:?}"
    );
    let mut v = vars();
    v.insert(RPT_PATH_VAR, "no-slash".into());
    let err = ResourcePrincipalSetup::from_lookup(lookup(&v)).unwrap_err();
    assert!(
        matches!(&err, Error::Token(TokenError::ResourcePrincipal(ResourcePrincipalError::Invalid { var, .. })) if *var == RPT_PATH_VAR),
        "{err:?}"
    );
    // 3.0 is the one version the official SDKs know that this one does not.
    let mut v = vars();
    v.insert(VERSION_VAR, "3.0".into());
    let err = ResourcePrincipalSetup::from_lookup(lookup(&v)).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Token(TokenError::ResourcePrincipal(
                ResourcePrincipalError::VersionUnsupported {
                    known_elsewhere: true,
                    ..
                }
            ))
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("1.1 are"), "{err}");
}

#[test]
fn version_1_1_configuration_generates_its_session_key_and_takes_the_region_from_imds() {
    let config =
        ocisdk_core::context::ClientConfig::resource_principal_from(lookup(&vars()), [3; 32])
            .unwrap();
    // No region: the first round's IMDS read names it.
    assert_eq!(config.region(), None);
}

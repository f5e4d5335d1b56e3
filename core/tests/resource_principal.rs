//! Resource principals 2.2 on a virtual clock: the environment read through a lookup (never the
//! process's), an inline token kept until its `exp` then a typed expiry, token files re-read
//! when due and after a 401 (a new key with a new token), and errors that name the variable.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ocisdk_core::RequestBody;
use ocisdk_core::auth::resource::{
    FILE_RECHECK, PASSPHRASE_VAR, PEM_VAR, REGION_VAR, RPST_VAR, VERSION_VAR,
};
use ocisdk_core::auth::signer::PortableRsa;
use ocisdk_core::auth::{
    KeyId, PrivateKey, RequestSigner, ResourceClaims, ResourcePrincipalEnv, ResourcePrincipalError,
    SessionTokenPrincipal, SignBody, TokenError, TokenStep,
};
use ocisdk_core::context::ClientConfig;
use ocisdk_core::error::Error;

mod common;
use common::{T0, at};

const TENANCY: &str = "ocid1.tenancy.oc1..rptest";
const KEY_A: &str = include_str!("fixtures/keys/pkcs1.pem");
const KEY_B: &str = include_str!("fixtures/keys/pkcs8.pem");
const KEY_ENCRYPTED: &str = include_str!("fixtures/keys/pkcs8_encrypted.pem");

/// An RPST issued at T0+`iat` living to T0+`exp`.
fn rpst(iat: u64, exp: u64, marker: &str) -> String {
    format!(
        "{}.{}.{}",
        B64URL.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        B64URL.encode(format!(
            r#"{{"iat":{},"exp":{},"jti":"{marker}","ttype":"res","res_tenant":"{TENANCY}","res_compartment":"ocid1.compartment.oc1..c","res_type":"fnfunc","res_id":"ocid1.fnfunc.oc1..f"}}"#,
            T0 + iat,
            T0 + exp
        )),
        B64URL.encode(format!("sig-{marker}"))
    )
}

fn lookup<'a>(vars: &'a HashMap<&'static str, String>) -> impl Fn(&str) -> Option<String> + 'a {
    |name| vars.get(name).cloned()
}

fn inline_vars(token: &str) -> HashMap<&'static str, String> {
    HashMap::from([
        (VERSION_VAR, "2.2".to_string()),
        (RPST_VAR, token.to_string()),
        (PEM_VAR, KEY_A.to_string()),
        (REGION_VAR, "us-phoenix-1".to_string()),
    ])
}

/// The principal a resource-principal environment gives, as `ClientConfig` builds it.
fn principal(vars: &HashMap<&'static str, String>) -> Arc<SessionTokenPrincipal> {
    let env = ResourcePrincipalEnv::from_lookup(lookup(vars)).unwrap();
    let loaded = env.load().unwrap();
    let principal =
        SessionTokenPrincipal::with_source(Box::new(loaded.source), &loaded.key, None, [5; 32])
            .with_first_token(loaded.token.expose(), RPST_VAR)
            .unwrap();
    Arc::new(principal)
}

/// Polls at `now`; a due token runs the source's round (never an exchange).
fn poll(p: &Arc<SessionTokenPrincipal>, now: SystemTime) -> Result<RequestSigner, Error> {
    loop {
        match p.poll(now) {
            TokenStep::Sign { signer, .. } => return Ok(signer),
            TokenStep::Refresh(mut ticket) => {
                assert!(ticket.request(now)?.is_none(), "2.2 makes no exchange");
            }
            TokenStep::Wait(_) => panic!("nobody else is renewing"),
        }
    }
}

/// The `authorization` header `signer` gives a fixed request.
fn authorization(signer: &RequestSigner) -> String {
    let mut req =
        http::Request::get("https://identity.us-phoenix-1.oraclecloud.com/20160918/users")
            .body(RequestBody::Empty)
            .unwrap();
    signer.sign(&mut req, SignBody::Unsigned, at(0)).unwrap();
    req.headers()["authorization"].to_str().unwrap().to_string()
}

#[test]
fn the_environment_is_read_through_the_lookup_with_errors_naming_the_variable() {
    let good = inline_vars(&rpst(0, 3600, "a"));
    let env = ResourcePrincipalEnv::from_lookup(lookup(&good)).unwrap();
    assert_eq!(env.region(), "us-phoenix-1");
    assert!(!env.token_is_file());
    let shown = format!("{env:?}");
    assert!(
        !shown.contains("PRIVATE") && !shown.contains("eyJ"),
        "{shown}"
    );

    let err = |vars: &HashMap<&'static str, String>| {
        ResourcePrincipalEnv::from_lookup(lookup(vars)).unwrap_err()
    };
    let mut v = good.clone();
    v.remove(VERSION_VAR);
    assert_eq!(err(&v), ResourcePrincipalError::VersionMissing);
    v.insert(VERSION_VAR, "  ".into());
    assert_eq!(
        err(&v),
        ResourcePrincipalError::VersionMissing,
        "blank is unset"
    );
    v.insert(VERSION_VAR, "3.0".into());
    assert_eq!(
        err(&v),
        ResourcePrincipalError::VersionUnsupported {
            found: "3.0".into(),
            known_elsewhere: true
        }
    );
    assert!(
        err(&v)
            .to_string()
            .contains("2.2, 2.1, 2.1.1, 2.1.2 and 1.1 are"),
        "{}",
        err(&v)
    );
    for var in [RPST_VAR, PEM_VAR, REGION_VAR] {
        let mut v = good.clone();
        v.remove(var);
        assert_eq!(err(&v), ResourcePrincipalError::VariableMissing { var });
        assert!(err(&v).to_string().contains(var));
    }
}

#[test]
fn the_claims_say_whose_token_it_is() {
    let claims = ResourceClaims::from_token(&rpst(0, 60, "a"), RPST_VAR).unwrap();
    assert_eq!(claims.tenancy, TENANCY);
    assert_eq!(
        claims.compartment.as_deref(),
        Some("ocid1.compartment.oc1..c")
    );
    assert_eq!(claims.resource_type.as_deref(), Some("fnfunc"));
    assert_eq!(claims.resource_id.as_deref(), Some("ocid1.fnfunc.oc1..f"));
    let no_tenant = format!(
        "{}.{}.c",
        B64URL.encode("{}"),
        B64URL.encode(format!(r#"{{"exp":{}}}"#, T0 + 60))
    );
    assert_eq!(
        ResourceClaims::from_token(&no_tenant, RPST_VAR).unwrap_err(),
        TokenError::ResourcePrincipal(ResourcePrincipalError::NoTenancy {
            source_name: RPST_VAR.into()
        })
    );
}

#[test]
fn a_client_config_takes_tenancy_and_region_from_the_environment() {
    let vars = inline_vars(&rpst(0, 3600, "a"));
    let config = ClientConfig::resource_principal_from(lookup(&vars), [1; 32]).unwrap();
    assert_eq!(config.tenancy(), TENANCY);
    assert_eq!(config.region(), Some("us-phoenix-1"));
    let ctx = config.build([2; 32]).unwrap();
    let p = ctx.session().expect("a token principal").clone();
    assert_eq!(p.kind(), "resource principal");
    assert_eq!(p.generation(), 1, "the environment's token is the first");
    assert_eq!(ctx.tenancy(), TENANCY);
    assert_eq!(
        ctx.endpoints().region().map(|r| r.id()),
        Some("us-phoenix-1"),
        "{:?}",
        ctx.endpoints()
    );
}

#[test]
fn an_inline_token_is_kept_until_exp_then_expires_with_a_hint_naming_the_variable() {
    let token = rpst(0, 600, "inline");
    let p = principal(&inline_vars(&token));
    let signer = poll(&p, at(10)).unwrap();
    assert!(authorization(&signer).contains(&format!("keyId=\"ST${token}\"")));
    // Due (60 s margin and jitter before exp): nothing newer, the token goes on.
    poll(&p, at(590)).unwrap();
    assert_eq!(p.refreshes(), 0);
    // A 401: the source is asked again, has nothing newer; the same token signs.
    p.unauthorized(1);
    poll(&p, at(591)).unwrap();
    assert_eq!(p.generation(), 1);
    let err = poll(&p, at(600)).unwrap_err();
    match &err {
        Error::Token(TokenError::Expired { kind, hint }) => {
            assert_eq!(*kind, "resource principal");
            assert!(hint.contains(RPST_VAR), "{hint}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains(RPST_VAR), "{err}");
    assert!(!err.to_string().contains("inline"), "{err}");
}

#[test]
fn token_files_are_read_again_when_due_and_a_new_key_signs_with_the_new_token() {
    let dir = tempfile::tempdir().unwrap();
    let (rpst_file, pem_file) = (dir.path().join("rpst"), dir.path().join("key.pem"));
    let first = rpst(0, 600, "first");
    std::fs::write(&rpst_file, format!("{first}\n")).unwrap();
    std::fs::write(&pem_file, KEY_A).unwrap();
    let vars = HashMap::from([
        (VERSION_VAR, "2.2".to_string()),
        (RPST_VAR, rpst_file.display().to_string()),
        (PEM_VAR, pem_file.display().to_string()),
        (REGION_VAR, "phx".to_string()),
    ]);
    let p = principal(&vars);
    poll(&p, at(1)).unwrap();
    let due = p.refresh_due().unwrap();
    assert!(due >= at(600 - 90) && due <= at(540), "{due:?}");
    // Due, the file unchanged: the same token, and a look again a second later.
    let now = due + Duration::from_millis(1);
    poll(&p, now).unwrap();
    assert_eq!(p.generation(), 1);
    assert_eq!(p.refresh_due(), Some(now + FILE_RECHECK));
    poll(&p, now + Duration::from_millis(500)).unwrap();
    // The platform renews both files: a new key, a token bound to it.
    let second = rpst(500, 1100, "second");
    std::fs::write(&pem_file, KEY_B).unwrap();
    std::fs::write(&rpst_file, &second).unwrap();
    let signer = poll(&p, now + FILE_RECHECK).unwrap();
    assert_eq!(p.generation(), 2);
    assert_eq!(p.refreshes(), 1);
    assert_eq!(p.expires(), at(1100));
    assert_eq!(p.tenancy().as_deref(), Some(TENANCY));
    let key_b = PrivateKey::from_pem(KEY_B, None, "b").unwrap();
    let expected = RequestSigner::new(
        KeyId::SessionToken(second.clone().into()),
        Arc::new(PortableRsa::new(&key_b, [0; 32])),
    );
    assert_eq!(
        authorization(&signer),
        authorization(&expected),
        "signed as ST$<new token> with the new key"
    );
    // A 401 re-reads the files at once (not when due): a third token, same key.
    let third = rpst(600, 1200, "third");
    std::fs::write(&rpst_file, &third).unwrap();
    p.unauthorized(2);
    let signer = poll(&p, at(601)).unwrap();
    assert_eq!(p.generation(), 3);
    assert!(authorization(&signer).contains(&format!("keyId=\"ST${third}\"")));
    // Nobody renews it any more: past its exp the error says the file was not renewed.
    let err = poll(&p, at(1200)).unwrap_err();
    assert!(
        matches!(&err, Error::Token(TokenError::Expired { hint, .. }) if hint.contains("file")),
        "{err:?}"
    );
    // A file caught mid-rewrite while the token still works: keep signing with it.
    std::fs::write(&rpst_file, "SECRETSECRET").unwrap();
    p.unauthorized(3);
    let signer = poll(&p, at(700)).unwrap();
    assert!(authorization(&signer).contains(&format!("keyId=\"ST${third}\"")));
    // Still garbage once the token has expired: the file is named, never quoted.
    p.unauthorized(3);
    let err = poll(&p, at(1201)).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(
        matches!(&err, Error::Token(TokenError::Malformed { source_name, .. }) if source_name.contains(&rpst_file.display().to_string()) && source_name.contains(RPST_VAR)),
        "{err:?}"
    );
    assert!(!shown.contains("SECRETSECRET"), "{shown}");
}

#[test]
fn an_encrypted_key_takes_its_passphrase_inline_or_from_a_file() {
    let token = rpst(0, 600, "enc");
    let mut vars = inline_vars(&token);
    vars.insert(PEM_VAR, KEY_ENCRYPTED.to_string());
    let err = ResourcePrincipalEnv::from_lookup(lookup(&vars))
        .unwrap()
        .load()
        .unwrap_err();
    assert!(err.to_string().contains(PASSPHRASE_VAR), "{err}");
    assert!(err.to_string().contains(PEM_VAR), "{err}");
    // The fixtures' passphrase (core/src/auth/keys/tests.rs).
    let passphrase = "secret";
    vars.insert(PASSPHRASE_VAR, "wrong".into());
    let err = ResourcePrincipalEnv::from_lookup(lookup(&vars))
        .unwrap()
        .load()
        .unwrap_err();
    assert!(!err.to_string().contains("wrong"), "{err}");
    vars.insert(PASSPHRASE_VAR, passphrase.trim().to_string());
    ResourcePrincipalEnv::from_lookup(lookup(&vars))
        .unwrap()
        .load()
        .unwrap();
    // As the official SDKs read it, the passphrase is a file when the key is one.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("passphrase");
    std::fs::write(&file, format!("{}\n", passphrase.trim())).unwrap();
    vars.insert(PASSPHRASE_VAR, file.display().to_string());
    assert!(
        ResourcePrincipalEnv::from_lookup(lookup(&vars))
            .unwrap()
            .load()
            .is_err(),
        "with the key inline, a path is the passphrase itself"
    );
    let key_file = dir.path().join("key.pem");
    std::fs::write(&key_file, KEY_ENCRYPTED).unwrap();
    vars.insert(PEM_VAR, key_file.display().to_string());
    ResourcePrincipalEnv::from_lookup(lookup(&vars))
        .unwrap()
        .load()
        .unwrap();
}

#[test]
fn bad_values_name_the_variable_and_never_quote_the_value() {
    let token = rpst(0, 600, "bad");
    let mut vars = inline_vars(&token);
    vars.insert(
        PEM_VAR,
        "-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----".into(),
    );
    let err = ResourcePrincipalEnv::from_lookup(lookup(&vars))
        .unwrap()
        .load()
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(
        matches!(&err, Error::Key(k) if k.source_name() == PEM_VAR),
        "{err:?}"
    );
    assert!(!shown.contains("SECRETSECRET"), "{shown}");
    let mut vars = inline_vars("SECRETSECRET");
    let err = ResourcePrincipalEnv::from_lookup(lookup(&vars))
        .unwrap()
        .load()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Token(TokenError::Malformed { source_name, .. }) if source_name == RPST_VAR),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("SECRETSECRET"));
    vars.insert(RPST_VAR, "/nonexistent/rpst".into());
    let err = ResourcePrincipalEnv::from_lookup(lookup(&vars))
        .unwrap()
        .load()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Token(TokenError::ResourcePrincipal(ResourcePrincipalError::FileUnreadable { var: RPST_VAR, path, .. })) if path == "/nonexistent/rpst"),
        "{err:?}"
    );
}

/// The variables of a 2.1.x environment whose key is `KEY_A`.
fn v21_vars(version: &str) -> HashMap<&'static str, String> {
    use ocisdk_core::auth::resource::{
        RESOURCE_ID_VAR, RPST_ENDPOINT_VAR, RPT_ENDPOINT_VAR, TENANCY_ID_VAR,
    };
    let mut vars = HashMap::from([
        (VERSION_VAR, version.to_string()),
        (RPT_ENDPOINT_VAR, "https://rpt.test/".to_string()),
        (RPST_ENDPOINT_VAR, "https://auth.test".to_string()),
        (RESOURCE_ID_VAR, "ocid1.fnfunc.oc1..f".to_string()),
        (PEM_VAR, KEY_A.to_string()),
        (REGION_VAR, "us-phoenix-1".to_string()),
    ]);
    if version != "2.1" {
        vars.insert(TENANCY_ID_VAR, TENANCY.to_string());
    }
    vars
}

#[test]
fn version_2_1_x_obtains_the_token_through_two_exchanges_signed_as_the_resource() {
    use http::{HeaderMap, StatusCode};
    use ocisdk_core::auth::ResourcePrincipalSetup;
    for (version, key_id, path) in [
        (
            "2.1",
            "resource/v2.1/ocid1.fnfunc.oc1..f".to_string(),
            "/20180711/resourcePrincipalTokenV2/ocid1.fnfunc.oc1..f",
        ),
        (
            "2.1.1",
            format!("resource/v2.1.1/{TENANCY}/ocid1.fnfunc.oc1..f"),
            "/20180711/resourcePrincipalTokenV2/ocid1.fnfunc.oc1..f",
        ),
        (
            "2.1.2",
            format!("resource/v2.1.2/{TENANCY}/ocid1.fnfunc.oc1..f"),
            "/20180711/resourcePrincipalTokenV212/ocid1.fnfunc.oc1..f",
        ),
    ] {
        let vars = v21_vars(version);
        let setup = ResourcePrincipalSetup::from_lookup(lookup(&vars)).unwrap();
        assert!(
            setup.first_token.is_none(),
            "{version}: no token before the first call"
        );
        assert_eq!(setup.tenancy.is_some(), version != "2.1", "{version}");
        let p = Arc::new(SessionTokenPrincipal::with_source(
            setup.source_factory()(),
            setup.key.as_ref().unwrap(),
            None,
            [9; 32],
        ));
        let TokenStep::Refresh(mut ticket) = p.poll(at(0)) else {
            panic!("no token yet")
        };
        let rpt = ticket.request(at(0)).unwrap().unwrap();
        assert_eq!(rpt.method(), http::Method::GET);
        assert_eq!(rpt.uri().to_string(), format!("https://rpt.test{path}"));
        let auth = rpt.headers()["authorization"].to_str().unwrap().to_string();
        assert!(auth.contains(&format!("keyId=\"{key_id}\"")), "{auth}");
        assert!(
            auth.contains("headers=\"date (request-target) host\""),
            "{auth}"
        );
        let reply =
            br#"{"resourcePrincipalToken":"RPT-1","servicePrincipalSessionToken":"SPST-1"}"#;
        ticket
            .complete(StatusCode::OK, &HeaderMap::new(), reply, at(0))
            .unwrap();
        assert_eq!(p.generation(), 0, "one exchange to go");
        let TokenStep::Refresh(mut ticket) = p.poll(at(0)) else {
            panic!("the round goes on")
        };
        let rpst_req = ticket.request(at(0)).unwrap().unwrap();
        assert_eq!(rpst_req.method(), http::Method::POST);
        assert_eq!(
            rpst_req.uri().to_string(),
            "https://auth.test/v1/resourcePrincipalSessionToken"
        );
        let auth = rpst_req.headers()["authorization"].to_str().unwrap();
        assert!(auth.contains(&format!("keyId=\"{key_id}\"")), "{auth}");
        let RequestBody::Bytes(body) = rpst_req.body() else {
            panic!("a JSON body")
        };
        let body: serde_json::Value = serde_json::from_slice(body).unwrap();
        let public: String = PrivateKey::from_pem(KEY_A, None, "a")
            .unwrap()
            .public_key_pem()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        assert_eq!(
            body,
            serde_json::json!({
                "resourcePrincipalToken": "RPT-1",
                "servicePrincipalSessionToken": "SPST-1",
                "sessionPublicKey": public,
            })
        );
        let token = rpst(0, 600, version);
        let reply = serde_json::to_vec(&serde_json::json!({ "token": token })).unwrap();
        ticket
            .complete(StatusCode::OK, &HeaderMap::new(), &reply, at(0))
            .unwrap();
        assert_eq!(p.generation(), 1);
        assert_eq!(p.tenancy().as_deref(), Some(TENANCY), "from res_tenant");
        let signer = poll(&p, at(1)).unwrap();
        assert!(authorization(&signer).contains(&format!("keyId=\"ST${token}\"")));
        // A refusal is typed, names the endpoint and never quotes the tokens.
        p.unauthorized(1);
        let TokenStep::Refresh(mut ticket) = p.poll(at(2)) else {
            panic!("a 401 starts a round")
        };
        ticket.request(at(2)).unwrap().unwrap();
        let err = ticket
            .complete(
                StatusCode::NOT_FOUND,
                &HeaderMap::new(),
                br#"{"code":"NotAuthorizedOrNotFound","message":"no"}"#,
                at(2),
            )
            .unwrap_err();
        assert!(
            matches!(&err, Error::Token(TokenError::ResourcePrincipal(ResourcePrincipalError::Refused { status: 404, endpoint, .. })) if endpoint.contains(path)),
            "{err:?}"
        );
    }
}

#[test]
fn version_2_1_x_variables_are_checked_when_the_client_is_built() {
    use ocisdk_core::auth::ResourcePrincipalSetup;
    use ocisdk_core::auth::resource::{RESOURCE_ID_VAR, RPT_ENDPOINT_VAR, TENANCY_ID_VAR};
    for (version, var) in [
        ("2.1", RPT_ENDPOINT_VAR),
        ("2.1", RESOURCE_ID_VAR),
        ("2.1.1", TENANCY_ID_VAR),
        ("2.1.2", PEM_VAR),
        ("2.1", REGION_VAR),
    ] {
        let mut vars = v21_vars(version);
        vars.remove(var);
        let err = ResourcePrincipalSetup::from_lookup(lookup(&vars)).unwrap_err();
        assert!(
            matches!(&err, Error::Token(TokenError::ResourcePrincipal(ResourcePrincipalError::VariableMissing { var: v })) if *v == var),
            "{version} without {var}: {err:?}"
        );
    }
    let mut vars = v21_vars("2.1");
    vars.insert(PEM_VAR, "SECRETSECRET".into());
    let err = ResourcePrincipalSetup::from_lookup(lookup(&vars)).unwrap_err();
    assert!(
        matches!(&err, Error::Key(k) if k.source_name() == PEM_VAR),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("SECRETSECRET"));
    // 2.1.2's token path may be given, with or without a `{}` for the resource.
    let mut vars = v21_vars("2.1.2");
    vars.insert("OCI_RESOURCE_PRINCIPAL_RPT_PATH", "/custom/{}".into());
    let setup = ResourcePrincipalSetup::from_lookup(lookup(&vars)).unwrap();
    let p = Arc::new(SessionTokenPrincipal::with_source(
        setup.source_factory()(),
        setup.key.as_ref().unwrap(),
        None,
        [9; 32],
    ));
    let TokenStep::Refresh(mut ticket) = p.poll(at(0)) else {
        panic!("no token yet")
    };
    let req = ticket.request(at(0)).unwrap().unwrap();
    assert_eq!(
        req.uri().to_string(),
        "https://rpt.test/custom/ocid1.fnfunc.oc1..f"
    );
}

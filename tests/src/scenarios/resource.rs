//! Resource principals 2.2 (issue 12): a client built from `OCI_RESOURCE_PRINCIPAL_*`
//! variables (given as a map: the process environment is not touched) signs with the RPST and
//! key the emulator issued, picks up a token file the "platform" (the test) rotates — with a
//! new key — before the old token expires, re-reads the file once after a 401, and fails with
//! clear errors for an expired inline token and for bad variables. Native only: each scenario
//! starts its own in-process emulator and reads its counters.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use ocisdk_core::Error;
use ocisdk_core::auth::resource::{PEM_VAR, REGION_VAR, RPST_VAR, VERSION_VAR};
use ocisdk_core::auth::{
    PrivateKey, ResourceClaims, ResourcePrincipalError, SessionTokenPrincipal, TokenError,
};
use ocisdk_emulator::{Emulator, EmulatorConfig};
use ocisdk_identity::ListUsers;
use ocisdk_object_storage::GetNamespace;

use crate::native::{Env, portable_config};
use crate::scenarios::session::{calls_until, sleep_until};
use crate::scenarios::walkthrough_without_faults;
use crate::transport::{ClientOptions, Credentials, Transport};

/// A second RSA key for the rotated token (a fixture of the core's tests: generating one is
/// slow in a debug build).
const ROTATED_KEY: &str = include_str!("../../../core/tests/fixtures/keys/pkcs8.pem");

/// The client's shared token principal.
fn principal<T: Transport>(env: &Env<T>) -> std::sync::Arc<SessionTokenPrincipal> {
    env.principal("resource principal")
}

/// Writes `text` to `path` as a platform renewing a file does: whole, by a rename, so a
/// reader never sees half of it.
fn write_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, text).expect("the new file is written");
    std::fs::rename(&tmp, path).expect("the new file replaces the old");
}

/// The variables of a 2.2 environment.
fn vars(rpst: &str, pem: &str, region: &str) -> Vec<(String, String)> {
    vec![
        (VERSION_VAR.to_string(), "2.2".to_string()),
        (RPST_VAR.to_string(), rpst.to_string()),
        (PEM_VAR.to_string(), pem.to_string()),
        (REGION_VAR.to_string(), region.to_string()),
    ]
}

/// Token and key as files in `dir`, the token living `lifetime`; returns the variables.
fn file_vars(emulator: &Emulator, dir: &Path, lifetime: Duration) -> Vec<(String, String)> {
    let token = emulator
        .issue_resource_principal_token(emulator.public_key_pem(), lifetime)
        .expect("the emulator issues an RPST");
    let (rpst, pem) = (dir.join("rpst"), dir.join("private.pem"));
    write_atomically(&rpst, &token);
    write_atomically(&pem, emulator.private_key_pem());
    vars(
        &rpst.display().to_string(),
        &pem.display().to_string(),
        emulator.region(),
    )
}

/// The platform's renewal: a new key and a token bound to it, the key written first (a reader
/// between the two writes finds the old token, unchanged, and keeps it).
fn rotate(emulator: &Emulator, dir: &Path, lifetime: Duration) {
    let key = PrivateKey::from_pem(ROTATED_KEY, None, "rotated key").unwrap();
    let token = emulator
        .issue_resource_principal_token(&key.public_key_pem(), lifetime)
        .expect("the emulator issues an RPST");
    write_atomically(&dir.join("private.pem"), ROTATED_KEY);
    write_atomically(&dir.join("rpst"), &token);
}

/// The first token lives 6 s, so the client looks at its file 3 to 4.5 s before `exp`. At that
/// point the file is not yet renewed: the client keeps the token (no error) and looks again a
/// second later. The test then renews the file — new key, new token — and the walkthrough
/// runs: the renewal is picked up once, calls go on past the first token's `exp`, no 401.
pub async fn resource_principal_walkthrough_and_rotation<T: Transport>() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let env = Env::<T>::start_resource(portable_config(), ClientOptions::default(), |emu| {
        file_vars(emu, dir.path(), Duration::from_secs(6))
    });
    let p = principal(&env);
    // Known before any call: the RPST's `res_tenant`.
    assert_eq!(env.client.tenancy(), env.emulator.tenancy_id());
    assert_eq!(p.generation(), 1, "the first token is the file's");
    let claims =
        ResourceClaims::from_token(p.current_token().expose(), "the scenario's RPST").unwrap();
    assert_eq!(
        claims.compartment.as_deref(),
        Some(ocisdk_emulator::RESOURCE_COMPARTMENT)
    );
    assert_eq!(
        claims.resource_id.as_deref(),
        Some(ocisdk_emulator::RESOURCE_ID)
    );
    env.client.execute(GetNamespace::new()).await.unwrap();
    let first_exp = p.expires();
    let due = p
        .refresh_due()
        .expect("the first call scheduled the re-read");
    sleep_until(due + Duration::from_millis(100));
    env.client.execute(GetNamespace::new()).await.unwrap();
    assert_eq!(p.refreshes(), 0, "the file was not renewed yet: same token");
    assert_eq!(p.generation(), 1);
    rotate(&env.emulator, dir.path(), Duration::from_secs(3600));
    let renewed_at = Instant::now();
    let walkthrough_started = Instant::now();
    walkthrough_without_faults(&env).await;
    let walkthrough = walkthrough_started.elapsed();
    let calls = calls_until(&env, first_exp + Duration::from_secs(1)).await;
    let stats = env.emulator.stats();
    eprintln!(
        "{}: resource principal: token file renewed {:.1} s before the first token's exp; walkthrough took {walkthrough:.1?}; {calls} calls after it; {} renewals picked up; {} requests, {} auth failures in {:.1?} (renewal {:.1?} ago)",
        T::NAME,
        first_exp
            .duration_since(SystemTime::now() - renewed_at.elapsed())
            .unwrap_or_default()
            .as_secs_f64(),
        p.refreshes(),
        stats.requests,
        stats.auth_failures,
        started.elapsed(),
        renewed_at.elapsed(),
    );
    assert_eq!(p.refreshes(), 1, "one renewal picked up");
    assert_eq!(p.generation(), 2);
    assert!(p.expires() > first_exp + Duration::from_secs(3000));
    assert_eq!(stats.auth_failures, 0, "{stats:?}");
    assert_eq!(stats.operation("RefreshSessionToken"), 0, "no exchange");
}

/// The token is revoked (as when the service stops honouring it) and the platform renews the
/// file: the next call meets one 401, re-reads the file once and succeeds. Revoked again with
/// the file left alone: the re-read finds the same token and the call fails with its 401
/// after one more attempt — no loop.
pub async fn resource_principal_401_rereads_once<T: Transport>() {
    let dir = tempfile::tempdir().unwrap();
    let env =
        Env::<T>::start_resource(EmulatorConfig::default(), ClientOptions::default(), |emu| {
            file_vars(emu, dir.path(), Duration::from_secs(3600))
        });
    let c = &env.client;
    let tenancy = env.emulator.tenancy_id().to_string();
    let p = principal(&env);
    c.execute(GetNamespace::new()).await.unwrap();
    assert_eq!(env.emulator.revoke_session_tokens(), 1);
    rotate(&env.emulator, dir.path(), Duration::from_secs(3600));
    let users = c.execute(ListUsers::new(&tenancy)).await;
    assert!(users.is_ok(), "{}: {users:?}", T::NAME);
    let stats = env.emulator.stats();
    assert_eq!(stats.auth_failures, 1, "one 401: {stats:?}");
    assert_eq!(stats.operation("ListUsers"), 2, "the call was sent again");
    assert_eq!(p.refreshes(), 1, "one re-read, one new token");
    for _ in 0..3 {
        c.execute(GetNamespace::new()).await.unwrap();
    }
    assert_eq!(p.refreshes(), 1);
    assert_eq!(p.generation(), 2);
    // Revoked, and nobody renews the file.
    assert_eq!(env.emulator.revoke_session_tokens(), 1);
    let err = c.execute(GetNamespace::new()).await.unwrap_err();
    let stats = env.emulator.stats();
    eprintln!(
        "{}: resource principal: 401 with a renewed file: 1 re-read, retried OK; with an unchanged file: {} auth failures in all, then {err}",
        T::NAME,
        stats.auth_failures
    );
    assert_eq!(err.status_u16(), Some(401), "{err:?}");
    assert_eq!(
        stats.auth_failures, 3,
        "one retry after the re-read: {stats:?}"
    );
    assert_eq!(p.refreshes(), 1, "the same token is not a renewal");
}

/// The token given inline (not a file) cannot be renewed: calls work until its `exp`, then fail
/// at once, without sending anything, with [`TokenError::Expired`] naming the variable.
pub async fn inline_resource_principal_token_expires<T: Transport>() {
    let env =
        Env::<T>::start_resource(EmulatorConfig::default(), ClientOptions::default(), |emu| {
            let token = emu
                .issue_resource_principal_token(emu.public_key_pem(), Duration::from_secs(2))
                .unwrap();
            vars(&token, emu.private_key_pem(), emu.region())
        });
    let p = principal(&env);
    env.client.execute(GetNamespace::new()).await.unwrap();
    let exp = p.expires();
    // Still good in its refresh margin: the source has nothing newer, the token goes on.
    sleep_until(exp - Duration::from_millis(300));
    env.client.execute(GetNamespace::new()).await.unwrap();
    sleep_until(exp + Duration::from_millis(50));
    let requests = env.emulator.stats().requests;
    let started = Instant::now();
    let err = env.client.execute(GetNamespace::new()).await.unwrap_err();
    eprintln!(
        "{}: inline RPST past its exp: failed in {:.1?}: {err}",
        T::NAME,
        started.elapsed()
    );
    assert!(
        matches!(&err, Error::Token(TokenError::Expired { kind: "resource principal", hint }) if hint.contains(RPST_VAR)),
        "{}: {err:?}",
        T::NAME
    );
    assert!(err.to_string().contains(RPST_VAR), "{err}");
    assert_eq!(env.emulator.stats().requests, requests, "nothing sent");
    assert_eq!(p.refreshes(), 0);
}

/// Variables that cannot work are refused when the client is built, each error naming the
/// variable (and file) at fault and never quoting a token or a key.
pub async fn resource_principal_bad_variables_are_clear_errors<T: Transport>() {
    let emu = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token = emu
        .issue_resource_principal_token(emu.public_key_pem(), Duration::from_secs(600))
        .unwrap();
    let region = emu.region();
    let connect = |vars: Vec<(String, String)>| {
        let options = ClientOptions {
            endpoint: Some(emu.url().to_string()),
            resource_principal: Some(vars),
            ..Default::default()
        };
        let credentials = Credentials {
            config_text: String::new(),
            key_pem: String::new(),
        };
        let Err(err) = T::connect(&credentials, &options) else {
            panic!("{}: the client was built", T::NAME)
        };
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("PRIVATE KEY"), "{shown}");
        assert!(!shown.contains(&token[..40]), "{shown}");
        err
    };
    let good = vars(&token, emu.private_key_pem(), region);
    let without = |name: &str| -> Vec<(String, String)> {
        good.iter().filter(|(k, _)| k != name).cloned().collect()
    };
    let with = |name: &str, value: &str| -> Vec<(String, String)> {
        let mut v = without(name);
        v.push((name.to_string(), value.to_string()));
        v
    };
    let rp = |err: &Error| match err {
        Error::Token(TokenError::ResourcePrincipal(e)) => e.clone(),
        other => panic!("{}: not a resource-principal error: {other:?}", T::NAME),
    };

    let err = connect(without(VERSION_VAR));
    assert_eq!(rp(&err), ResourcePrincipalError::VersionMissing);
    assert!(err.to_string().contains(VERSION_VAR), "{err}");
    let err = connect(with(VERSION_VAR, "3.0"));
    assert!(
        matches!(rp(&err), ResourcePrincipalError::VersionUnsupported { found, known_elsewhere: true } if found == "3.0"),
        "{err:?}"
    );
    let err = connect(with(VERSION_VAR, "9"));
    assert!(matches!(
        rp(&err),
        ResourcePrincipalError::VersionUnsupported {
            known_elsewhere: false,
            ..
        }
    ));
    for var in [RPST_VAR, PEM_VAR, REGION_VAR] {
        let err = connect(without(var));
        assert_eq!(rp(&err), ResourcePrincipalError::VariableMissing { var });
        assert!(err.to_string().contains(var), "{err}");
    }
    // A malformed token, inline and in a file.
    let err = connect(with(RPST_VAR, "SECRETSECRET.not-a-jwt"));
    assert!(
        matches!(&err, Error::Token(TokenError::Malformed { source_name, .. }) if source_name == RPST_VAR),
        "{err:?}"
    );
    assert!(!err.to_string().contains("SECRETSECRET"), "{err}");
    let bad_file = dir.path().join("rpst");
    std::fs::write(&bad_file, "SECRETSECRET").unwrap();
    let bad_path = bad_file.display().to_string();
    let err = connect(with(RPST_VAR, &bad_path));
    assert!(
        matches!(&err, Error::Token(TokenError::Malformed { source_name, .. }) if source_name.contains(&bad_path) && source_name.contains(RPST_VAR)),
        "{err:?}"
    );
    // A token file that is not there.
    let missing = dir.path().join("absent").display().to_string();
    let err = connect(with(RPST_VAR, &missing));
    assert!(
        matches!(rp(&err), ResourcePrincipalError::FileUnreadable { var: RPST_VAR, path, .. } if path == missing),
        "{err:?}"
    );
    // A bad key: a public key where the private one goes, and damaged text.
    for pem in [
        emu.public_key_pem().to_string(),
        "-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n".to_string(),
    ] {
        let err = connect(with(PEM_VAR, &pem));
        assert!(
            matches!(&err, Error::Key(k) if k.source_name() == PEM_VAR),
            "{err:?}"
        );
        assert!(err.to_string().contains(PEM_VAR), "{err}");
        assert!(!err.to_string().contains("SECRETSECRET"), "{err}");
    }
    assert_eq!(emu.stats().requests, 0, "nothing was sent");
}

/// Version 2.1.1: no token in the environment, the resource's own key instead. The first call
/// asks the emulator's token endpoints (a resource principal token, then the RPST for the
/// key), signed as `resource/v2.1.1/<tenancy>/<resource>`; the tokens live 6 s, so the
/// client obtains the next one by the same two exchanges mid-walkthrough, with no error; a
/// 401 (revoked token) causes exactly one more pair. Version 2.1 (no tenancy variable) learns
/// the tenancy from the first token.
pub async fn resource_principal_v21_walkthrough_and_401<T: Transport>() {
    use ocisdk_core::auth::resource::{
        RESOURCE_ID_VAR, RPST_ENDPOINT_VAR, RPT_ENDPOINT_VAR, TENANCY_ID_VAR,
    };
    let config = EmulatorConfig {
        session_token_lifetime: Duration::from_secs(6),
        ..portable_config()
    };
    let v21_vars = |emu: &Emulator, version: &str| {
        emu.add_resource_principal_key(emu.public_key_pem())
            .unwrap();
        let mut v = vars("unused", emu.private_key_pem(), emu.region());
        v.retain(|(k, _)| k != RPST_VAR && k != VERSION_VAR);
        v.extend([
            (VERSION_VAR.to_string(), version.to_string()),
            (RPT_ENDPOINT_VAR.to_string(), emu.url().to_string()),
            (RPST_ENDPOINT_VAR.to_string(), emu.url().to_string()),
            (
                RESOURCE_ID_VAR.to_string(),
                ocisdk_emulator::RESOURCE_ID.to_string(),
            ),
            (TENANCY_ID_VAR.to_string(), emu.tenancy_id().to_string()),
        ]);
        v
    };
    let env = Env::<T>::start_resource(config, ClientOptions::default(), |emu| {
        v21_vars(emu, "2.1.1")
    });
    let p = principal(&env);
    assert_eq!(p.generation(), 0, "no token before the first call");
    assert_eq!(
        env.client.tenancy(),
        env.emulator.tenancy_id(),
        "the variable's"
    );
    env.client.execute(GetNamespace::new()).await.unwrap();
    let stats = env.emulator.stats();
    assert_eq!(stats.operation("GetResourcePrincipalToken"), 1, "{stats:?}");
    assert_eq!(
        stats.operation("GetResourcePrincipalSessionToken"),
        1,
        "{stats:?}"
    );
    let first_exp = p.expires();
    env.emulator
        .set_session_token_lifetime(Duration::from_secs(3600));
    let due = p.refresh_due().expect("the first round scheduled the next");
    sleep_until(due - Duration::from_millis(10));
    walkthrough_without_faults(&env).await;
    let calls = calls_until(&env, first_exp + Duration::from_secs(1)).await;
    let stats = env.emulator.stats();
    assert_eq!(p.refreshes(), 2, "a second round mid-walkthrough");
    assert_eq!(stats.operation("GetResourcePrincipalToken"), 2, "{stats:?}");
    assert_eq!(
        stats.operation("GetResourcePrincipalSessionToken"),
        2,
        "{stats:?}"
    );
    assert_eq!(stats.auth_failures, 0, "{stats:?}");
    // Revoked: one 401, one more pair of exchanges, the call succeeds.
    assert_eq!(env.emulator.revoke_session_tokens(), 2);
    let tenancy = env.emulator.tenancy_id().to_string();
    env.client.execute(ListUsers::new(&tenancy)).await.unwrap();
    let stats = env.emulator.stats();
    eprintln!(
        "{}: resource principal 2.1.1: {} rounds of 2 exchanges ({calls} calls past the first token's exp), {} auth failures",
        T::NAME,
        p.refreshes(),
        stats.auth_failures
    );
    assert_eq!(stats.auth_failures, 1, "{stats:?}");
    assert_eq!(stats.operation("GetResourcePrincipalToken"), 3, "{stats:?}");
    assert_eq!(
        stats.operation("GetResourcePrincipalSessionToken"),
        3,
        "{stats:?}"
    );
    assert_eq!(p.generation(), 3);

    // 2.1: the tenancy is the first token's.
    let options = ClientOptions {
        endpoint: Some(env.emulator.url().to_string()),
        resource_principal: Some(v21_vars(&env.emulator, "2.1")),
        ..Default::default()
    };
    let client = T::connect(crate::ScenarioEnv::credentials(&env), &options).unwrap();
    assert_eq!(client.tenancy(), "", "unknown before the first call");
    client.execute(GetNamespace::new()).await.unwrap();
    assert_eq!(client.tenancy(), env.emulator.tenancy_id());
}

/// The variables of a 1.1 environment: the emulator's token endpoint and IMDS; the session
/// token exchange goes to the auth endpoint (the emulator's).
fn v11_vars(emu: &Emulator) -> Vec<(String, String)> {
    use ocisdk_core::auth::resource::{METADATA_BASE_URL_VAR, RPT_ENDPOINT_VAR};
    vec![
        (VERSION_VAR.to_string(), "1.1".to_string()),
        (RPT_ENDPOINT_VAR.to_string(), emu.url().to_string()),
        (METADATA_BASE_URL_VAR.to_string(), emu.imds_url()),
    ]
}

/// Version 1.1: the resource runs on an instance. Each round federates as the instance (IMDS,
/// `POST /v1/x509`), then asks the emulator's token endpoint for the resource principal token
/// signed as that instance (`ST$<instance token>`, the session key), and exchanges it for the
/// RPST calls sign with. The tokens live 6 s, so a second round comes mid-walkthrough with no
/// error; a 401 (revoked tokens) causes exactly one more round.
pub async fn resource_principal_v11_walkthrough_and_401<T: Transport>() {
    let config = EmulatorConfig {
        session_token_lifetime: Duration::from_secs(6),
        ..portable_config()
    };
    let env = Env::<T>::start_resource(config, ClientOptions::default(), v11_vars);
    let p = principal(&env);
    assert_eq!(p.generation(), 0, "no token before the first call");
    assert_eq!(env.client.tenancy(), "", "unknown before the first call");
    env.client.execute(GetNamespace::new()).await.unwrap();
    let stats = env.emulator.stats();
    assert_eq!(stats.federations, 1, "{stats:?}");
    assert_eq!(stats.operation("GetResourcePrincipalToken"), 1, "{stats:?}");
    assert_eq!(
        stats.operation("GetResourcePrincipalSessionToken"),
        1,
        "{stats:?}"
    );
    assert_eq!(
        env.client.tenancy(),
        env.emulator.tenancy_id(),
        "the RPST's res_tenant"
    );
    let first_exp = p.expires();
    env.emulator
        .set_session_token_lifetime(Duration::from_secs(3600));
    let due = p.refresh_due().expect("the first round scheduled the next");
    sleep_until(due - Duration::from_millis(10));
    walkthrough_without_faults(&env).await;
    let calls = calls_until(&env, first_exp + Duration::from_secs(1)).await;
    let stats = env.emulator.stats();
    assert_eq!(p.refreshes(), 2, "a second round mid-walkthrough");
    assert_eq!(stats.federations, 2, "{stats:?}");
    assert_eq!(stats.operation("GetResourcePrincipalToken"), 2, "{stats:?}");
    assert_eq!(
        stats.operation("GetResourcePrincipalSessionToken"),
        2,
        "{stats:?}"
    );
    assert_eq!(stats.auth_failures, 0, "{stats:?}");
    // Revoked (the instance tokens and the RPSTs): one 401, one more whole round.
    let revoked = env.emulator.revoke_session_tokens();
    let tenancy = env.emulator.tenancy_id().to_string();
    env.client.execute(ListUsers::new(&tenancy)).await.unwrap();
    let stats = env.emulator.stats();
    eprintln!(
        "{}: resource principal 1.1: {} rounds ({} federations, {} IMDS reads, {} RPT, {} RPST; {calls} calls past the first token's exp; {revoked} tokens revoked), {} auth failures",
        T::NAME,
        p.refreshes(),
        stats.federations,
        stats.operation("InstanceMetadata"),
        stats.operation("GetResourcePrincipalToken"),
        stats.operation("GetResourcePrincipalSessionToken"),
        stats.auth_failures
    );
    assert_eq!(stats.auth_failures, 1, "{stats:?}");
    assert_eq!(stats.federations, 3, "{stats:?}");
    assert_eq!(stats.operation("GetResourcePrincipalToken"), 3, "{stats:?}");
    assert_eq!(
        stats.operation("GetResourcePrincipalSessionToken"),
        3,
        "{stats:?}"
    );
    // The instance's OCID once, then four reads a round.
    assert_eq!(stats.operation("InstanceMetadata"), 1 + 3 * 4, "{stats:?}");
    assert_eq!(p.generation(), 3);
}

/// Version 1.1 variables that cannot work: a missing token endpoint or a path that is not one
/// are refused when the client is built, naming the variable; an IMDS that cannot be reached
/// fails the first call with a typed error naming the URL, before anything reaches a service.
pub async fn resource_principal_v11_bad_variables_are_clear_errors<T: Transport>() {
    use ocisdk_core::auth::resource::{METADATA_BASE_URL_VAR, RPT_ENDPOINT_VAR, RPT_PATH_VAR};
    let emu = Emulator::start().unwrap();
    let good = v11_vars(&emu);
    let options = |vars: Vec<(String, String)>| ClientOptions {
        endpoint: Some(emu.url().to_string()),
        auth_endpoint: Some(emu.url().to_string()),
        resource_principal: Some(vars),
        ..Default::default()
    };
    let credentials = Credentials {
        config_text: String::new(),
        key_pem: String::new(),
    };
    let with = |name: &str, value: Option<&str>| -> Vec<(String, String)> {
        let mut v: Vec<_> = good.iter().filter(|(k, _)| k != name).cloned().collect();
        v.extend(value.map(|value| (name.to_string(), value.to_string())));
        v
    };
    for (vars, var) in [
        (with(RPT_ENDPOINT_VAR, None), RPT_ENDPOINT_VAR),
        (with(RPT_PATH_VAR, Some("no-slash")), RPT_PATH_VAR),
    ] {
        let Err(err) = T::connect(&credentials, &options(vars)) else {
            panic!("{}: the client was built", T::NAME)
        };
        assert!(
            matches!(&err, Error::Token(TokenError::ResourcePrincipal(
                ResourcePrincipalError::VariableMissing { var: v } | ResourcePrincipalError::Invalid { var: v, .. }
            )) if *v == var),
            "{}: {err:?}",
            T::NAME
        );
        assert!(err.to_string().contains(var), "{err}");
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let imds = format!("http://{}/opc/v2", closed.local_addr().unwrap());
    drop(closed);
    let client = T::connect(
        &credentials,
        &options(with(METADATA_BASE_URL_VAR, Some(&imds))),
    )
    .unwrap();
    let started = Instant::now();
    let err = client.execute(GetNamespace::new()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Token(TokenError::ImdsUnreachable { url, .. }) if url.starts_with(&imds)),
        "{}: {err:?}",
        T::NAME
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(emu.stats().requests, 0, "nothing was sent");
}

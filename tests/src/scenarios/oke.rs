//! OKE workload identity and delegation tokens (issue 12). An OKE client trades the
//! service-account token in a file the scenario writes for session tokens at the emulator's
//! proxymux (its own address), keeps working across its token's expiry and after a 401
//! (reading the file afresh, so a replaced token is used), and a refusal or a missing file is a
//! clear error. A delegation token rides, signed, on the calls of an API-key and an
//! instance-principal client, and never shows in `Debug` or errors. Native only: each scenario
//! starts its own in-process emulator and reads its counters.

use std::time::{Duration, Instant};

use ocisdk_core::Error;
use ocisdk_core::auth::{SessionTokenPrincipal, TokenError};
use ocisdk_emulator::EmulatorConfig;
use ocisdk_identity::ListUsers;
use ocisdk_object_storage::GetNamespace;

use crate::env::ScenarioEnv;
use crate::native::{Env, portable_config};
use crate::scenarios::session::{calls_until, sleep_until};
use crate::scenarios::walkthrough_without_faults;
use crate::transport::{ClientOptions, Transport};

/// The client's shared token principal.
fn principal<T: Transport>(env: &Env<T>) -> std::sync::Arc<SessionTokenPrincipal> {
    env.principal("OKE workload identity")
}

/// The first call asks the proxymux once; the emulator's tokens live 6 s (later ones an hour)
/// and the client refreshes at half-life (1.5 to 3 s after issue, with jitter). The walkthrough
/// starts 10 ms before that point: exactly one more exchange happens inside it, and calls go
/// on past the first token's `exp` without a 401.
pub async fn oke_workload_identity_walkthrough_across_expiry<T: Transport>() {
    let started = Instant::now();
    let config = EmulatorConfig {
        session_token_lifetime: Duration::from_secs(6),
        ..portable_config()
    };
    let env = Env::<T>::start_oke(config, ClientOptions::default());
    let p = principal(&env);
    assert_eq!(p.generation(), 0, "no token before the first call");
    env.client.execute(GetNamespace::new()).await.unwrap();
    assert_eq!(
        env.client.tenancy(),
        env.emulator.tenancy_id(),
        "res_tenant"
    );
    let stats = env.emulator.stats();
    assert_eq!(stats.oke_tokens, 1, "{stats:?}");
    let first_exp = p.expires();
    let due = p
        .refresh_due()
        .expect("the first exchange scheduled the next");
    let issued = first_exp - Duration::from_secs(6);
    assert!(
        due >= issued + Duration::from_millis(1400) && due <= issued + Duration::from_secs(3),
        "refreshed at half-life: due {:?} after issue",
        due.duration_since(issued)
    );
    env.emulator
        .set_session_token_lifetime(Duration::from_secs(3600));
    sleep_until(due - Duration::from_millis(10));
    let walkthrough_started = Instant::now();
    walkthrough_without_faults(&env).await;
    let walkthrough = walkthrough_started.elapsed();
    let during = p.refreshes();
    let calls = calls_until(&env, first_exp + Duration::from_secs(1)).await;
    let stats = env.emulator.stats();
    eprintln!(
        "{}: OKE workload identity: walkthrough took {walkthrough:.1?} ({during} proxymux exchanges by its end); {calls} calls after it; {} requests, {} proxymux tokens, {} auth failures in {:.1?}",
        T::NAME,
        stats.requests,
        stats.oke_tokens,
        stats.auth_failures,
        started.elapsed(),
    );
    assert_eq!(during, 2, "one more exchange mid-walkthrough");
    assert_eq!(stats.oke_tokens, 2, "{stats:?}");
    assert_eq!(stats.operation("OkeWorkloadIdentityToken"), 2, "{stats:?}");
    assert_eq!(stats.auth_failures, 0, "{stats:?}");
    assert_eq!(p.generation(), 2);
}

/// The pod's service-account token is replaced in its file (as the kubelet rotates it) and the
/// old one stops being accepted; a revoked session token then meets one 401, and the one
/// exchange after it uses the new service-account token and succeeds.
pub async fn oke_sa_token_replaced_mid_run_is_used_by_the_next_refresh<T: Transport>() {
    let env = Env::<T>::start_oke(EmulatorConfig::default(), ClientOptions::default());
    let c = &env.client;
    let p = principal(&env);
    c.execute(GetNamespace::new()).await.unwrap();
    // The kubelet rotates the token: the old one stops being accepted, the file holds a new one.
    assert_eq!(env.emulator.expire_service_account_tokens(), 1);
    let fresh = env
        .emulator
        .issue_service_account_token(Duration::from_secs(3600));
    std::fs::write(env.service_account_token_path(), &fresh).unwrap();
    assert_eq!(env.emulator.revoke_session_tokens(), 1);
    let users = c.execute(ListUsers::new(env.emulator.tenancy_id())).await;
    assert!(users.is_ok(), "{}: {users:?}", T::NAME);
    let stats = env.emulator.stats();
    assert_eq!(stats.auth_failures, 1, "one 401: {stats:?}");
    assert_eq!(stats.oke_tokens, 2, "{stats:?}");
    assert_eq!(stats.operation("OkeWorkloadIdentityToken"), 2, "{stats:?}");
    assert_eq!(p.generation(), 2);
}

/// A 401 on a call triggers exactly one exchange; the calls after it use the new token.
pub async fn oke_401_refreshes_once<T: Transport>() {
    let env = Env::<T>::start_oke(EmulatorConfig::default(), ClientOptions::default());
    let c = &env.client;
    let tenancy = env.emulator.tenancy_id().to_string();
    let p = principal(&env);
    c.execute(GetNamespace::new()).await.unwrap();
    assert_eq!(env.emulator.revoke_session_tokens(), 1);
    let users = c.execute(ListUsers::new(&tenancy)).await;
    assert!(users.is_ok(), "{}: {users:?}", T::NAME);
    for _ in 0..3 {
        c.execute(GetNamespace::new()).await.unwrap();
    }
    let stats = env.emulator.stats();
    assert_eq!(stats.auth_failures, 1, "one 401: {stats:?}");
    assert_eq!(stats.oke_tokens, 2, "one exchange after it: {stats:?}");
    assert_eq!(stats.operation("ListUsers"), 2, "the call was sent again");
    assert_eq!(p.generation(), 2);
}

/// A service-account token the cluster does not know is refused by the proxymux: the call
/// fails with [`TokenError::OkeRefused`] (status and code, never the token), once, without
/// retrying; a basic cluster's 403 says to use an enhanced one.
pub async fn oke_proxymux_refusal_is_a_typed_error<T: Transport>() {
    let env = Env::<T>::start_oke(EmulatorConfig::default(), ClientOptions::default());
    // A well-formed JWT with a future `exp` that the emulator never issued.
    let bogus = "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDAsInN1YiI6IlNFQ1JFVE1BUktFUiJ9.c2ln";
    std::fs::write(env.service_account_token_path(), bogus).unwrap();
    let err = env.client.execute(GetNamespace::new()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Token(TokenError::OkeRefused { status: 401, code, .. }) if code == "NotAuthenticated"
        ),
        "{}: {err:?}",
        T::NAME
    );
    let shown = format!("{err} {err:?} {err:#?}");
    assert!(
        !shown.contains(bogus) && !shown.contains("eyJleHAi"),
        "{shown}"
    );
    let stats = env.emulator.stats();
    assert_eq!(stats.operation("OkeWorkloadIdentityToken"), 1, "{stats:?}");
    assert_eq!(stats.operation("GetNamespace"), 0, "{stats:?}");

    let good = env
        .emulator
        .issue_service_account_token(Duration::from_secs(3600));
    std::fs::write(env.service_account_token_path(), good).unwrap();
    env.emulator.set_oke_basic_cluster(true);
    let err = env.client.execute(GetNamespace::new()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Token(TokenError::OkeRefused { status: 403, .. })
        ),
        "{}: {err:?}",
        T::NAME
    );
    assert!(err.to_string().contains("enhanced cluster"), "{err}");
    env.emulator.set_oke_basic_cluster(false);
    env.client.execute(GetNamespace::new()).await.unwrap();
}

/// No service-account token file: the call fails before anything is sent, with
/// [`TokenError::OkeServiceAccountToken`] naming the path.
pub async fn oke_missing_sa_token_file_names_the_path<T: Transport>() {
    let env = Env::<T>::start_oke(EmulatorConfig::default(), ClientOptions::default());
    let path = env.service_account_token_path();
    std::fs::remove_file(&path).unwrap();
    let err = env.client.execute(GetNamespace::new()).await.unwrap_err();
    let expected = path.display().to_string();
    assert!(
        matches!(&err, Error::Token(TokenError::OkeServiceAccountToken { path, .. }) if *path == expected),
        "{}: {err:?}",
        T::NAME
    );
    assert!(err.to_string().contains(&expected), "{err}");
    assert_eq!(env.emulator.stats().requests, 0, "nothing was sent");
}

/// The proxymux over TLS with a certificate of the cluster CA (as on OKE): a client given that
/// CA (`ca.crt`) gets its token and calls the services (plain HTTP here) as before; a client
/// given another CA fails the TLS handshake before any request reaches the proxymux; a CA file
/// that is not there is [`TokenError::OkeCaCertificate`] naming it, when the client is built.
/// The certificates in `proxymux/` are test fixtures made with `openssl` for this scenario only
/// (a CA, a server certificate for `127.0.0.1` it signed with its key, and an unrelated CA;
/// valid for a century).
pub async fn oke_proxymux_over_tls_trusts_only_the_cluster_ca<T: Transport>() {
    let config = EmulatorConfig {
        proxymux_tls: Some((
            include_str!("proxymux/server.pem").to_string(),
            include_str!("proxymux/server.key.pem").to_string(),
        )),
        ..EmulatorConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, include_str!("proxymux/ca.pem")).unwrap();
    let env = Env::<T>::start_oke(
        config,
        ClientOptions {
            oke_ca_path: Some(ca),
            ..ClientOptions::default()
        },
    );
    assert!(
        env.emulator
            .proxymux_url()
            .starts_with("https://127.0.0.1:")
    );
    env.client.execute(GetNamespace::new()).await.unwrap();
    assert_eq!(env.emulator.stats().oke_tokens, 1);

    let options = |ca_path: std::path::PathBuf| ClientOptions {
        endpoint: Some(env.emulator.url().to_string()),
        oke: Some((
            env.emulator.proxymux_url().to_string(),
            env.service_account_token_path(),
        )),
        oke_ca_path: Some(ca_path),
        retry_policy: Some(ocisdk_core::RetryPolicy::disabled()),
        ..ClientOptions::default()
    };
    let other = dir.path().join("other-ca.crt");
    std::fs::write(&other, include_str!("proxymux/other_ca.pem")).unwrap();
    let stranger = T::connect(env.credentials(), &options(other)).unwrap();
    let err = stranger.execute(GetNamespace::new()).await.unwrap_err();
    // A TLS failure on every transport (not retried: the same certificate would be refused
    // again), whose message names the certificate.
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == ocisdk_core::error::TransportErrorKind::Tls && t.message.contains("certificate")),
        "{}: {err:?}",
        T::NAME
    );
    assert!(!err.is_retryable());
    let stats = env.emulator.stats();
    assert_eq!(
        stats.operation("OkeWorkloadIdentityToken"),
        1,
        "no request got through: {stats:?}"
    );

    let missing = dir.path().join("no-ca.crt");
    let err = T::connect(env.credentials(), &options(missing.clone())).unwrap_err();
    let expected = missing.display().to_string();
    assert!(
        matches!(&err, Error::Token(TokenError::OkeCaCertificate { path, .. }) if *path == expected),
        "{}: {err:?}",
        T::NAME
    );
}

/// A delegation token on an API-key client and on an instance-principal client (Cloud Shell's
/// setup): calls are accepted by an emulator that refuses an unsigned `opc-obo-token`, and are
/// counted as delegated; the token exchanges do not carry it. A token the emulator did not
/// issue is refused with a 401 whose error does not quote it, and no `Debug` shows it.
pub async fn delegation_token_is_signed_on_every_principal<T: Transport>() {
    let env = Env::<T>::start(EmulatorConfig::default(), ClientOptions::default());
    let emu = &env.emulator;
    let obo = emu.issue_delegation_token(Duration::from_secs(600));
    let api_key = T::connect(
        env.credentials(),
        &ClientOptions {
            endpoint: Some(emu.url().to_string()),
            delegation_token: Some(obo.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    api_key.execute(GetNamespace::new()).await.unwrap();
    api_key
        .execute(ListUsers::new(emu.tenancy_id()))
        .await
        .unwrap();
    assert_eq!(emu.stats().delegated_requests, 2);
    assert!(!format!("{:?}", api_key.context()).contains(&obo));

    let instance = T::connect(
        env.credentials(),
        &ClientOptions {
            endpoint: Some(emu.url().to_string()),
            auth_endpoint: Some(emu.url().to_string()),
            imds_endpoint: Some(emu.imds_url()),
            delegation_token: Some(obo.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    instance.execute(GetNamespace::new()).await.unwrap();
    let stats = emu.stats();
    assert_eq!(stats.federations, 1, "{stats:?}");
    assert_eq!(stats.delegated_requests, 3, "the federation carries none");
    assert_eq!(stats.auth_failures, 0, "{stats:?}");

    let forged = "obo-SECRETMARKER-not-issued";
    let refused = T::connect(
        env.credentials(),
        &ClientOptions {
            endpoint: Some(emu.url().to_string()),
            delegation_token: Some(forged.to_string()),
            retry_policy: Some(ocisdk_core::RetryPolicy::disabled()),
            ..Default::default()
        },
    )
    .unwrap();
    let err = refused.execute(GetNamespace::new()).await.unwrap_err();
    assert_eq!(
        err.status().map(|s| s.as_u16()),
        Some(401),
        "{}: {err:?}",
        T::NAME
    );
    let shown = format!("{err} {err:?} {:?}", refused.context());
    assert!(!shown.contains("SECRETMARKER"), "{shown}");
}

//! Instance principals (issue 12): a client with no config file gets its credentials from the
//! emulator's instance metadata service (IMDS) and federation endpoint, keeps working across
//! its token's expiry and after a 401 (re-reading IMDS, so a rotated leaf certificate is
//! used), and a missing IMDS or a leaf certificate without a tenancy is a clear error. Native
//! only: each scenario starts its own in-process emulator and reads its counters.

use std::time::{Duration, Instant};

use ocisdk_core::Error;
use ocisdk_core::auth::x509::CertificateError;
use ocisdk_core::auth::{SessionTokenPrincipal, TokenError};
use ocisdk_emulator::EmulatorConfig;
use ocisdk_identity::ListUsers;
use ocisdk_object_storage::GetNamespace;

use crate::native::{Env, portable_config};
use crate::scenarios::session::{calls_until, sleep_until};
use crate::scenarios::walkthrough_without_faults;
use crate::transport::{ClientOptions, Transport};

/// The client's shared token principal.
fn principal<T: Transport>(env: &Env<T>) -> std::sync::Arc<SessionTokenPrincipal> {
    env.principal("instance principal")
}

/// The first call federates (4 IMDS reads, one `POST /v1/x509`); the emulator's tokens live
/// 6 s (later ones an hour), so the client re-federates 3 to 4.5 s before `exp`. The
/// walkthrough starts 10 ms before that point: exactly one re-federation happens inside it,
/// and calls go on past the first token's `exp` without a 401.
pub async fn instance_principal_walkthrough_across_expiry<T: Transport>() {
    let started = Instant::now();
    let config = EmulatorConfig {
        session_token_lifetime: Duration::from_secs(6),
        ..portable_config()
    };
    let env = Env::<T>::start_instance(config, ClientOptions::default());
    let p = principal(&env);
    assert_eq!(p.generation(), 0, "no token before the first call");
    assert_eq!(env.client.tenancy(), "", "not known before the first call");
    env.client.execute(GetNamespace::new()).await.unwrap();
    assert_eq!(p.tenancy().as_deref(), Some(env.emulator.tenancy_id()));
    assert_eq!(env.client.tenancy(), env.emulator.tenancy_id());
    let stats = env.emulator.stats();
    assert_eq!(stats.federations, 1, "{stats:?}");
    assert_eq!(stats.operation("InstanceMetadata"), 4, "{stats:?}");
    let first_exp = p.expires();
    // The tokens of re-federations live an hour: exactly one more is due in this scenario.
    env.emulator
        .set_session_token_lifetime(Duration::from_secs(3600));
    let due = p
        .refresh_due()
        .expect("the first federation scheduled the next");
    sleep_until(due - Duration::from_millis(10));
    let walkthrough_started = Instant::now();
    walkthrough_without_faults(&env).await;
    let walkthrough = walkthrough_started.elapsed();
    let during = p.refreshes();
    let calls = calls_until(&env, first_exp + Duration::from_secs(1)).await;
    let stats = env.emulator.stats();
    eprintln!(
        "{}: instance principal: walkthrough took {walkthrough:.1?} ({} federations by its end); {calls} calls after it; {} requests, {} federations, {} IMDS reads, {} auth failures in {:.1?}",
        T::NAME,
        during,
        stats.requests,
        stats.federations,
        stats.operation("InstanceMetadata"),
        stats.auth_failures,
        started.elapsed(),
    );
    assert_eq!(during, 2, "one re-federation mid-walkthrough");
    assert_eq!(stats.federations, 2, "{stats:?}");
    assert_eq!(stats.operation("FederateInstancePrincipal"), 2, "{stats:?}");
    assert_eq!(stats.operation("InstanceMetadata"), 8, "IMDS read afresh");
    assert_eq!(stats.auth_failures, 0, "{stats:?}");
    assert_eq!(p.generation(), 2);
}

/// The emulator rotates the leaf certificate and revokes the token: the next call meets one
/// 401, re-federates once (reading the rotated leaf from IMDS: the old one no longer
/// federates) and succeeds.
pub async fn instance_principal_401_refederates_once<T: Transport>() {
    let env = Env::<T>::start_instance(EmulatorConfig::default(), ClientOptions::default());
    let c = &env.client;
    let tenancy = env.emulator.tenancy_id().to_string();
    let p = principal(&env);
    c.execute(GetNamespace::new()).await.unwrap();
    // IMDS wants its bearer header, as on an instance; other paths are not there.
    let imds = env.emulator.imds_url();
    let plain = c
        .unsigned("GET", &format!("{imds}/instance/region"), None)
        .await;
    assert_eq!(plain.map(|r| r.status), Ok(401));
    assert_eq!(env.emulator.rotate_instance_certificate(true).unwrap(), 2);
    assert_eq!(env.emulator.revoke_session_tokens(), 1);
    let users = c.execute(ListUsers::new(&tenancy)).await;
    assert!(users.is_ok(), "{}: {users:?}", T::NAME);
    let stats = env.emulator.stats();
    assert_eq!(stats.auth_failures, 1, "one 401: {stats:?}");
    assert_eq!(stats.federations, 2, "{stats:?}");
    assert_eq!(stats.operation("ListUsers"), 2, "the call was sent again");
    for _ in 0..3 {
        c.execute(GetNamespace::new()).await.unwrap();
    }
    assert_eq!(env.emulator.stats().federations, 2);
    assert_eq!(p.generation(), 2);
}

/// No IMDS at the address (a closed port): the first call fails at once with a typed error
/// naming IMDS and its URL, not retried for the whole retry budget.
pub async fn instance_principal_without_imds_is_a_clear_error<T: Transport>() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let imds = format!("http://{}/opc/v2", closed.local_addr().unwrap());
    drop(closed);
    let env = Env::<T>::start_instance(
        EmulatorConfig::default(),
        ClientOptions {
            imds_endpoint: Some(imds.clone()),
            ..Default::default()
        },
    );
    let started = Instant::now();
    let err = env.client.execute(GetNamespace::new()).await.unwrap_err();
    let took = started.elapsed();
    eprintln!("{}: no IMDS: failed in {took:.1?}: {err}", T::NAME);
    assert!(
        matches!(&err, Error::Token(TokenError::ImdsUnreachable { url, .. }) if url.starts_with(&imds)),
        "{}: {err:?}",
        T::NAME
    );
    assert!(err.to_string().contains("IMDS"), "{err}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(env.emulator.stats().requests, 0);
}

/// A leaf certificate whose subject has no `opc-tenant:` is refused by the client before it
/// federates, with a typed error saying what is missing.
pub async fn instance_certificate_without_tenancy_is_a_clear_error<T: Transport>() {
    let env = Env::<T>::start_instance(EmulatorConfig::default(), ClientOptions::default());
    env.emulator.rotate_instance_certificate(false).unwrap();
    let err = env.client.execute(GetNamespace::new()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Token(TokenError::Certificate(CertificateError::NoTenancy { .. }))
        ),
        "{}: {err:?}",
        T::NAME
    );
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("opc-tenant"), "{shown}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    let stats = env.emulator.stats();
    assert_eq!(stats.federations, 0, "{stats:?}");
    assert_eq!(stats.operation("GetNamespace"), 0, "{stats:?}");
}

/// 64 concurrent first calls of a fresh instance-principal client (no token yet) share one
/// round: 4 IMDS reads and one federation, whichever calls happen to send them.
pub async fn concurrent_first_calls_share_one_federation() {
    const CALLS: usize = 64;
    let env = Env::<crate::hyper::Hyper>::start_instance(
        EmulatorConfig::default(),
        ClientOptions::default(),
    );
    let c = &env.client;
    let tenancy = env.emulator.tenancy_id().to_string();
    let started = Instant::now();
    let calls = (0..CALLS).map(|_| c.execute(ListUsers::new(&tenancy)));
    let results = futures_util::future::join_all(calls).await;
    let took = started.elapsed();
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    let stats = env.emulator.stats();
    eprintln!(
        "hyper: {CALLS} concurrent first calls of an instance principal took {took:.1?}: {} IMDS reads, {} federations, {} auth failures",
        stats.operation("InstanceMetadata"),
        stats.federations,
        stats.auth_failures
    );
    assert_eq!(stats.federations, 1, "{stats:?}");
    assert_eq!(stats.operation("InstanceMetadata"), 4, "{stats:?}");
    assert_eq!(stats.auth_failures, 0, "{stats:?}");
    assert_eq!(stats.operation("ListUsers"), CALLS as u64);
}

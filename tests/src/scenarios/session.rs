//! Session tokens that refresh (issue 12): a client built from a `security_token_file`
//! profile keeps working across its token's expiry and after a 401, refreshing through the
//! emulator's auth endpoint, and a token that is not a JWT is a clear error. Native only: each
//! scenario starts its own in-process emulator, issues the first token and reads the counters.

use std::time::{Duration, Instant, SystemTime};

use ocisdk_core::Error;
use ocisdk_core::auth::{SessionTokenPrincipal, TokenError};
use ocisdk_emulator::{Emulator, EmulatorConfig};
use ocisdk_identity::ListUsers;
use ocisdk_object_storage::{CreateBucket, CreateBucketDetails, GetNamespace, PutObject};

use crate::hyper::Hyper;
use crate::native::{Env, portable_config};
use crate::scenarios::walkthrough_without_faults;
use crate::transport::{ClientOptions, Credentials, TestBody, Transport};

/// The client's shared token principal.
fn principal<T: Transport>(env: &Env<T>) -> std::sync::Arc<SessionTokenPrincipal> {
    env.principal("session token")
}

/// Sleeps (the calling thread: both native runners drive scenarios on a thread of their own)
/// until the wall clock reaches `t`.
pub(super) fn sleep_until(t: SystemTime) {
    if let Ok(d) = t.duration_since(SystemTime::now()) {
        std::thread::sleep(d);
    }
}

/// Calls GetNamespace every 100 ms until the wall clock reaches `until`, each call required to
/// succeed (the token principal keeps the client signed across its token's expiry); returns how
/// many calls were made.
pub(super) async fn calls_until<T: Transport>(env: &Env<T>, until: SystemTime) -> u32 {
    let mut calls = 0;
    while SystemTime::now() < until {
        env.client
            .execute(GetNamespace::new())
            .await
            .unwrap_or_else(|e| panic!("{}: a call across the token's expiry: {e}", T::NAME));
        calls += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    calls
}

/// The first token lives 6 s; the client refreshes it 3 to 4.5 s before its `exp` (half its
/// life, plus jitter). The walkthrough starts just before that point, so the token comes due
/// in its middle, and calls go on until a second past the first token's `exp`. Nothing fails,
/// and exactly one refresh happens, inside the walkthrough (the new token lives the emulator's
/// default hour).
pub async fn session_token_expires_mid_run<T: Transport>() {
    let started = Instant::now();
    let env = Env::<T>::start_session(
        portable_config(),
        ClientOptions::default(),
        Duration::from_secs(6),
    );
    let p = principal(&env);
    let first_exp = p.expires();
    env.client.execute(GetNamespace::new()).await.unwrap();
    let due = p
        .refresh_due()
        .expect("the first call scheduled the refresh");
    // The walkthrough (some 30 calls: tens of milliseconds even in a fast build) starts 10 ms
    // before the token is due.
    sleep_until(due - Duration::from_millis(10));
    let walkthrough_started = Instant::now();
    walkthrough_without_faults(&env).await;
    let walkthrough = walkthrough_started.elapsed();
    let refreshed_during_walkthrough = p.refreshes();
    let calls = calls_until(&env, first_exp + Duration::from_secs(1)).await;
    let stats = env.emulator.stats();
    eprintln!(
        "{}: refresh due {:.1} s before the first token's exp; walkthrough took {walkthrough:.1?} ({} refresh in it); {calls} calls after it, to 1 s past that exp; {} requests, {} token refreshes, {} auth failures in {:.1?}",
        T::NAME,
        first_exp
            .duration_since(due)
            .unwrap_or_default()
            .as_secs_f64(),
        refreshed_during_walkthrough,
        stats.requests,
        stats.token_refreshes,
        stats.auth_failures,
        started.elapsed(),
    );
    assert_eq!(
        refreshed_during_walkthrough, 1,
        "the token came due mid-walkthrough"
    );
    assert_eq!(stats.token_refreshes, 1, "{stats:?}");
    assert_eq!(stats.operation("RefreshSessionToken"), 1, "{stats:?}");
    assert_eq!(stats.auth_failures, 0, "no request met an expired token");
    assert_eq!((p.refreshes(), p.generation()), (1, 2));
    assert!(p.expires() > first_exp + Duration::from_secs(30 * 60));
}

/// A token the service stops honouring before its `exp` (revoked by the emulator): the next
/// call meets one 401, refreshes once and succeeds; the calls after it need nothing more. A
/// token past its `exp` cannot be refreshed: the call fails with a typed error that says to
/// sign in again and does not quote the token.
pub async fn revoked_session_token_refreshes_once<T: Transport>() {
    let env = Env::<T>::start_session(
        EmulatorConfig::default(),
        ClientOptions::default(),
        Duration::from_secs(3600),
    );
    let c = &env.client;
    let tenancy = env.emulator.tenancy_id().to_string();
    let p = principal(&env);
    c.execute(GetNamespace::new()).await.unwrap();
    assert_eq!(env.emulator.revoke_session_tokens(), 1);

    let users = c.execute(ListUsers::new(&tenancy)).await;
    assert!(users.is_ok(), "{}: {users:?}", T::NAME);
    let stats = env.emulator.stats();
    assert_eq!(stats.auth_failures, 1, "one 401: {stats:?}");
    assert_eq!(stats.token_refreshes, 1, "{stats:?}");
    assert_eq!(stats.operation("ListUsers"), 2, "the call was sent again");
    for _ in 0..3 {
        c.execute(GetNamespace::new()).await.unwrap();
    }
    assert_eq!(env.emulator.stats().token_refreshes, 1);
    assert_eq!(p.generation(), 2);

    // Past its exp: refused everywhere, the refresh included.
    let token = p.current_token().expose().to_string();
    // Both tokens issued so far: the revoked first one and the current one.
    assert_eq!(env.emulator.expire_session_tokens(), 2);
    let err = c.execute(GetNamespace::new()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Token(TokenError::RefreshRefused { status: 401, .. })
        ),
        "{}: {err:?}",
        T::NAME
    );
    let shown = format!("{err} {err:?} {err:#?}");
    assert!(shown.contains("sign in again"), "{shown}");
    assert!(
        !shown.contains(&token),
        "the error does not quote the token"
    );
    let stats = env.emulator.stats();
    assert_eq!(stats.token_refreshes, 1, "{stats:?}");
    assert_eq!(stats.operation("RefreshSessionToken"), 2, "{stats:?}");
}

/// A `security_token_file` that is not a JWT fails when the client is built, with
/// [`TokenError::Malformed`] naming the file and never the token.
pub async fn malformed_session_token_is_a_typed_error<T: Transport>() {
    let emulator = Emulator::start().expect("the emulator starts");
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (i, text) in [
        "SECRETMARKER",
        "SECRETMARKER.SECRETMARKER!.sig",
        "eyJhbGciOiJSUzI1NiJ9.U0VDUkVUTUFSS0VS.sig", // payload "SECRETMARKER": not JSON
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJTRUNSRVRNQVJLRVIifQ.sig", // {"sub":"SECRETMARKER"}: no exp
    ]
    .iter()
    .enumerate()
    {
        let token_file = dir.path().join(format!("token-{i}"));
        std::fs::write(&token_file, text).unwrap();
        let credentials = Credentials {
            config_text: emulator.session_config_text("key.pem", &token_file.display().to_string()),
            key_pem: emulator.private_key_pem().to_string(),
        };
        let options = ClientOptions {
            endpoint: Some(emulator.url().to_string()),
            auth_endpoint: Some(emulator.url().to_string()),
            ..Default::default()
        };
        let err = match T::connect(&credentials, &options) {
            Ok(_) => panic!("{}: a client from a malformed token", T::NAME),
            Err(e) => e,
        };
        let path = token_file.display().to_string();
        assert!(
            matches!(&err, Error::Token(TokenError::Malformed { source_name, .. }) if *source_name == path),
            "{}: {err:?}",
            T::NAME
        );
        let shown = format!("{err} {err:?} {err:#?}");
        assert!(
            !shown.contains("SECRETMARKER") && !shown.contains("U0VDUkVU"),
            "{shown}"
        );
        assert!(shown.contains("not a usable JWT"), "{shown}");
    }
    assert_eq!(emulator.stats().requests, 0, "nothing was sent");
}

/// A one-shot upload (a stream that can be read once) started when the token is due: the
/// call refreshes first, so the upload goes out once, signed with the new token, and no
/// request meets an expired token. (Were it signed with the old token and refused, a one-shot
/// body could not be sent again.) Then, with the token revoked behind the client's back, a
/// one-shot upload meets its 401 and is not replayed: a typed error, one PutObject.
pub async fn one_shot_upload_is_never_started_with_a_due_token<T: Transport>() {
    let env = Env::<T>::start_session(
        EmulatorConfig::default(),
        ClientOptions::default(),
        Duration::from_secs(6),
    );
    let c = &env.client;
    let p = principal(&env);
    let ns = c.execute(GetNamespace::new()).await.unwrap().data;
    c.execute(CreateBucket::new(
        &ns,
        CreateBucketDetails::new("st-upload", env.emulator.tenancy_id()),
    ))
    .await
    .unwrap();
    let due = p
        .refresh_due()
        .expect("the first call scheduled the refresh");
    sleep_until(due + Duration::from_millis(10));
    let len = 256 << 10;
    let put = c
        .put_object(
            PutObject::new(&ns, "st-upload", "once.bin", len),
            TestBody::OneShotPattern { len, seed: 5 },
        )
        .await;
    assert!(put.is_ok(), "{}: {put:?}", T::NAME);
    let stats = env.emulator.stats();
    assert_eq!(stats.token_refreshes, 1, "{stats:?}");
    assert_eq!(stats.operation("PutObject"), 1, "sent once: {stats:?}");
    assert_eq!(stats.auth_failures, 0, "{stats:?}");

    assert_eq!(env.emulator.revoke_session_tokens(), 2);
    let err = c
        .put_object(
            PutObject::new(&ns, "st-upload", "refused.bin", len),
            TestBody::OneShotPattern { len, seed: 6 },
        )
        .await
        .unwrap_err();
    let stats = env.emulator.stats();
    assert_eq!(stats.operation("PutObject"), 2, "not replayed: {stats:?}");
    assert_eq!(err.status_u16(), Some(401), "{}: {err:?}", T::NAME);
}

/// 64 concurrent calls on one async client, sent once its token is due for refresh (a few
/// seconds before its `exp`), share one refresh; then 64 concurrent calls after the emulator
/// revoked the token meet their 401s and share one refresh again.
pub async fn concurrent_calls_share_one_refresh() {
    const CALLS: usize = 64;
    let env = Env::<Hyper>::start_session(
        EmulatorConfig::default(),
        ClientOptions::default(),
        Duration::from_secs(6),
    );
    let c = &env.client;
    let tenancy = env.emulator.tenancy_id().to_string();
    let p = principal(&env);
    c.execute(GetNamespace::new()).await.unwrap();
    let due = p
        .refresh_due()
        .expect("the first call scheduled the refresh");
    sleep_until(due + Duration::from_millis(50));
    assert!(
        SystemTime::now() < p.expires(),
        "still before the token's exp"
    );

    let started = Instant::now();
    let calls = (0..CALLS).map(|_| c.execute(ListUsers::new(&tenancy)));
    let results = futures_util::future::join_all(calls).await;
    let took = started.elapsed();
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    let stats = env.emulator.stats();
    eprintln!(
        "hyper: {CALLS} concurrent calls across the refresh point took {took:.1?}: {} token refreshes, {} auth failures, {} connections",
        stats.token_refreshes, stats.auth_failures, stats.connections
    );
    assert_eq!(stats.token_refreshes, 1, "{stats:?}");
    assert_eq!(stats.operation("RefreshSessionToken"), 1, "{stats:?}");
    assert_eq!(stats.auth_failures, 0, "{stats:?}");
    assert_eq!(stats.operation("ListUsers"), CALLS as u64);

    env.emulator.revoke_session_tokens();
    let started = Instant::now();
    let calls = (0..CALLS).map(|_| c.execute(ListUsers::new(&tenancy)));
    let results = futures_util::future::join_all(calls).await;
    let took = started.elapsed();
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    let stats = env.emulator.stats();
    eprintln!(
        "hyper: {CALLS} concurrent calls after a revocation took {took:.1?}: {} 401s, {} token refreshes in all",
        stats.auth_failures, stats.token_refreshes
    );
    assert_eq!(stats.token_refreshes, 2, "one more refresh: {stats:?}");
    assert!(
        (1..=CALLS as u64).contains(&stats.auth_failures),
        "{stats:?}"
    );
    assert_eq!(
        stats.operation("ListUsers"),
        2 * CALLS as u64 + stats.auth_failures,
        "each 401 was sent once more"
    );
}

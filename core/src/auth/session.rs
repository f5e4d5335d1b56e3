//! The token principal: a session token (a JWT and the session key it is bound to) shared by
//! every call of a client, refreshed before it expires and once after a 401, one refresh at a
//! time — whatever way the tokens are obtained.
//!
//! It is a state machine and does no I/O: a call asks it what to do
//! ([`SessionTokenPrincipal::poll`]) and gets a signer, or a [`RefreshTicket`] whose request
//! it sends first as an ordinary request, or "someone else is refreshing, wait a moment". The
//! call hands the reply back ([`RefreshTicket::complete`]). Time comes in as an argument and
//! randomness from a seed, so the whole thing runs on a virtual clock in tests and on wasm32.
//!
//! How a token is obtained is a [`TokenSource`]: the session-token refresh
//! ([`SessionRefresh`]), an instance's federation
//! ([`InstanceFederation`]), or one of the caller's own.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, StatusCode};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use super::instance::InstanceFederation;
use super::keys::PrivateKey;
use super::refresh::SessionRefresh;
use super::signer::{DateHeader, KeyId, RequestSigner, RsaBackend, default_backend};
use super::source::{Completed, Learned, NewToken, SourceCx, SourceStep, TokenSource};
use super::token::{TokenClaims, TokenError, parse_claims};
use crate::config::Secret;
use crate::error::Error;
use crate::operation::RequestBody;

/// How long before `exp` a token is refreshed, at most (the official Python SDK treats a token
/// within 60 s of its expiry as expired). For short-lived tokens the margin is half the token's
/// lifetime instead, so a token is never due the moment it arrives.
pub const DEFAULT_REFRESH_AHEAD: Duration = Duration::from_secs(60);

/// The most that is added, at random, to the margin before `exp`, so that many clients holding
/// tokens issued together do not all refresh in the same second. Capped at half the margin.
pub const DEFAULT_REFRESH_JITTER: Duration = Duration::from_secs(30);

/// How long a call waits before looking again while another call of the same client refreshes
/// the token. Polling (rather than a wake-up) keeps the core free of any notion of tasks or
/// threads: the transport already knows how to sleep, and a refresh takes one round trip.
pub const REFRESH_WAIT: Duration = Duration::from_millis(20);

/// A session token read from a profile, before it is shared by a client: the JWT, its claims
/// and the backend that signs with its session key.
#[derive(Clone)]
pub struct SessionToken {
    token: Secret,
    claims: TokenClaims,
    backend: Arc<dyn RsaBackend>,
    /// Where the token came from (the `security_token_file` path), for errors and write-back.
    source_name: String,
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionToken")
            .field("token", &"<redacted>")
            .field("expires", &self.claims.expires)
            .field("backend", &self.backend.name())
            .finish()
    }
}

impl SessionToken {
    /// The token `jwt` (from `source_name`, for errors), signing with the session key in
    /// `backend`. Fails with [`TokenError::Malformed`] when the token is not a JWT with `exp`.
    pub fn new(
        jwt: &str,
        source_name: &str,
        backend: Arc<dyn RsaBackend>,
    ) -> Result<Self, TokenError> {
        let claims = parse_claims(jwt, source_name)?;
        Ok(SessionToken {
            token: Secret::new(jwt.trim().to_string()),
            claims,
            backend,
            source_name: source_name.to_string(),
        })
    }

    /// Where the token came from (the `security_token_file` path, or a description).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// When the token expires, as its `exp` says.
    pub fn expires(&self) -> SystemTime {
        self.claims.expires
    }

    /// A signer with keyId `ST$<token>` (it does not refresh: see [`SessionTokenPrincipal`]).
    pub fn signer(&self) -> RequestSigner {
        RequestSigner::new(
            KeyId::SessionToken(self.token.clone()),
            self.backend.clone(),
        )
    }
}

/// What a call does next about its credentials ([`SessionTokenPrincipal::poll`]).
#[must_use]
pub enum TokenStep {
    /// The token is good: sign the request with `signer`. Remember `generation`: a 401 on this
    /// request is reported with it ([`SessionTokenPrincipal::unauthorized`]).
    Sign {
        /// Signs with keyId `ST$<current token>`.
        signer: RequestSigner,
        /// Which token this is (1 for the first, +1 per refresh).
        generation: u64,
    },
    /// The token is due: this call refreshes it. Send [`RefreshTicket::request`], hand the
    /// reply to [`RefreshTicket::complete`]. Dropping the ticket unfinished lets another call
    /// refresh.
    Refresh(RefreshTicket),
    /// Another call is refreshing: look again after this long.
    Wait(Duration),
}

impl fmt::Debug for TokenStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenStep::Sign { generation, .. } => write!(f, "Sign(generation {generation})"),
            TokenStep::Refresh(t) => write!(f, "Refresh(ticket {})", t.id),
            TokenStep::Wait(d) => write!(f, "Wait({d:?})"),
        }
    }
}

struct State {
    token: Secret,
    claims: TokenClaims,
    signer: RequestSigner,
    /// Signs with the session key: replaced when a source binds a new token to a new key.
    backend: Arc<dyn RsaBackend>,
    generation: u64,
    /// When the current token is due; set the first time it is looked at (a token without
    /// `iat` needs a `now` to know its lifetime).
    refresh_at: Option<SystemTime>,
    /// A request signed with the current token was refused with 401.
    stale: bool,
    /// The ticket of the refresh in flight.
    in_flight: Option<u64>,
    next_ticket: u64,
    refreshes: u64,
    rng: ChaCha20Rng,
    /// The tenancy the source named last.
    tenancy: Option<String>,
    source: Box<dyn TokenSource>,
}

/// A session token shared by every call of a client, refreshed ahead of its expiry and once
/// after a 401, one refresh at a time, from its [`TokenSource`].
///
/// Concurrency: the state sits behind a mutex held only for bookkeeping and for the source's
/// own steps (never across a request). The first call that finds the token due takes a
/// [`RefreshTicket`] and sends the refresh; calls that come while it is in flight get
/// [`TokenStep::Wait`] and look again shortly. So concurrent calls share one refresh, and a
/// call that is dropped mid-refresh (a cancelled future) releases its ticket in `Drop`, so
/// nobody waits for it forever.
pub struct SessionTokenPrincipal {
    kind: &'static str,
    /// The session key's public half, PEM body on one line, for sources that bind tokens to it.
    public_key: Option<String>,
    date_header: DateHeader,
    auth_endpoint: Option<String>,
    refresh_ahead: Duration,
    max_jitter: Duration,
    state: Mutex<State>,
    /// The tenancy the source named first, kept for the life of the client so that
    /// [`Context::tenancy`](crate::Context::tenancy) can lend it.
    first_tenancy: OnceLock<String>,
    /// A client built without a region or endpoints: the endpoints of the region the source
    /// named first (an instance does not move), for the calls and the token exchanges.
    learned_endpoints: OnceLock<crate::endpoint::Endpoints>,
    /// Whether to resolve the source's region into [`Self::learned_endpoints`].
    region_from_source: bool,
}

impl fmt::Debug for SessionTokenPrincipal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        f.debug_struct("SessionTokenPrincipal")
            .field("kind", &self.kind)
            .field("token", &"<redacted>")
            .field("generation", &st.generation)
            .field("expires", &st.claims.expires)
            .field("auth_endpoint", &self.auth_endpoint)
            .finish_non_exhaustive()
    }
}

impl SessionTokenPrincipal {
    /// Shares `token`, refreshing through `auth_endpoint` (`https://auth.<region>.<domain>`, or
    /// an emulator's URL; `None`: a refresh fails with [`TokenError::NoAuthEndpoint`]).
    /// `seed` (32 random bytes from the adapter) draws the refresh jitter.
    pub fn new(token: SessionToken, auth_endpoint: Option<String>, seed: [u8; 32]) -> Self {
        Self::refreshing(token, SessionRefresh::default(), auth_endpoint, seed)
    }

    /// [`new`](Self::new) with the refresh `source` given (e.g. one that writes each refreshed
    /// token back to its file: [`SessionRefresh::writing_back_to`]).
    pub fn refreshing(
        token: SessionToken,
        source: SessionRefresh,
        auth_endpoint: Option<String>,
        seed: [u8; 32],
    ) -> Self {
        let backend = token.backend.clone();
        Self::build(
            Box::new(source),
            backend,
            None,
            Some(token),
            auth_endpoint,
            ChaCha20Rng::from_seed(seed),
        )
    }

    /// An instance principal: no token yet (the first call federates), signing with
    /// `session_key` once it has one. `imds_endpoint` is the IMDS v2 base
    /// ([`DEFAULT_IMDS_ENDPOINT`](super::instance::DEFAULT_IMDS_ENDPOINT)), `auth_endpoint`
    /// the auth service's (`None`: federation fails with [`TokenError::NoAuthEndpoint`]).
    /// `seed` draws the jitter and blinds the leaf key's signatures.
    pub fn instance(
        session_key: &PrivateKey,
        imds_endpoint: &str,
        auth_endpoint: Option<String>,
        seed: [u8; 32],
    ) -> Self {
        Self::with_source(
            Box::new(InstanceFederation::new(imds_endpoint)),
            session_key,
            auth_endpoint,
            seed,
        )
    }

    /// A principal whose tokens come from `source`, signing with `session_key` (whose public
    /// half the source may bind tokens to). It has no token yet: the first call starts a round
    /// (unless [`with_first_token`](Self::with_first_token) gives one). `seed` draws the jitter
    /// and the sources' seeds.
    pub fn with_source(
        source: Box<dyn TokenSource>,
        session_key: &PrivateKey,
        auth_endpoint: Option<String>,
        seed: [u8; 32],
    ) -> Self {
        let mut rng = ChaCha20Rng::from_seed(seed);
        let mut backend_seed = [0u8; 32];
        rng.fill_bytes(&mut backend_seed);
        let backend = default_backend(session_key, backend_seed);
        let public_key = session_key
            .public_key_pem()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>();
        Self::build(source, backend, Some(public_key), None, auth_endpoint, rng)
    }

    /// Starts with `jwt` (bound to the session key; from `source_name`, for the error when it
    /// is not a JWT with `exp`) instead of a round.
    pub fn with_first_token(mut self, jwt: &str, source_name: &str) -> Result<Self, TokenError> {
        let claims = parse_claims(jwt, source_name)?;
        let st = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        let token = Secret::new(jwt.trim().to_string());
        st.signer = RequestSigner::new(KeyId::SessionToken(token.clone()), st.backend.clone())
            .with_date_header(self.date_header);
        st.token = token;
        st.claims = claims;
        st.generation = 1;
        st.refresh_at = None;
        Ok(self)
    }

    fn build(
        source: Box<dyn TokenSource>,
        backend: Arc<dyn RsaBackend>,
        public_key: Option<String>,
        token: Option<SessionToken>,
        auth_endpoint: Option<String>,
        rng: ChaCha20Rng,
    ) -> Self {
        // No token yet: an empty one that expired at the epoch, so the first poll starts a
        // round; generation 0 says there has been none.
        let (token, claims, generation) = match token {
            Some(t) => (t.token, t.claims, 1),
            None => (
                Secret::new(String::new()),
                TokenClaims {
                    expires: UNIX_EPOCH,
                    issued: Some(UNIX_EPOCH),
                },
                0,
            ),
        };
        SessionTokenPrincipal {
            kind: source.kind(),
            public_key,
            date_header: DateHeader::Date,
            auth_endpoint: auth_endpoint.map(|e| e.trim_end_matches('/').to_string()),
            refresh_ahead: DEFAULT_REFRESH_AHEAD,
            max_jitter: DEFAULT_REFRESH_JITTER,
            first_tenancy: OnceLock::new(),
            learned_endpoints: OnceLock::new(),
            region_from_source: false,
            state: Mutex::new(State {
                signer: RequestSigner::new(KeyId::SessionToken(token.clone()), backend.clone()),
                token,
                claims,
                backend,
                generation,
                refresh_at: None,
                stale: false,
                in_flight: None,
                next_ticket: 1,
                refreshes: 0,
                rng,
                tenancy: None,
                source,
            }),
        }
    }

    /// What kind of principal this is (`"session token"`, `"instance principal"`, …).
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The tenancy the source named last (an instance's leaf certificate, a token claim).
    pub fn tenancy(&self) -> Option<String> {
        self.lock().tenancy.clone()
    }

    /// The tenancy the source named first (an instance does not change tenancy).
    pub fn first_tenancy(&self) -> Option<&str> {
        self.first_tenancy.get().map(String::as_str)
    }

    /// Resolves the region the source names (IMDS, an environment value) into the endpoints
    /// of the client's calls, for a client built without a region or endpoints.
    pub fn with_region_from_source(mut self) -> Self {
        self.region_from_source = true;
        self
    }

    /// Whether the client's endpoints come from the source's region.
    pub fn region_from_source(&self) -> bool {
        self.region_from_source
    }

    /// The endpoints of the region the source named, once a round has named it (only for a
    /// principal built [`with_region_from_source`](Self::with_region_from_source)).
    pub fn learned_endpoints(&self) -> Option<&crate::endpoint::Endpoints> {
        self.learned_endpoints.get()
    }

    /// The auth endpoint the token exchanges go to: the one given, else the learned region's.
    fn auth_base(&self) -> Option<String> {
        self.auth_endpoint.clone().or_else(|| {
            self.learned_endpoints
                .get()
                .and_then(|e| e.region())
                .map(|r| r.endpoint("auth"))
        })
    }

    /// Signs with `date` or `x-date`.
    pub fn with_date_header(mut self, header: DateHeader) -> Self {
        self.date_header = header;
        let st = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        st.signer = st.signer.clone().with_date_header(header);
        self
    }

    /// Refreshes up to `ahead` before `exp` (at most half the token's lifetime), plus up to
    /// `jitter` at random (at most half the margin). Defaults: [`DEFAULT_REFRESH_AHEAD`],
    /// [`DEFAULT_REFRESH_JITTER`].
    pub fn with_refresh_ahead(mut self, ahead: Duration, jitter: Duration) -> Self {
        self.refresh_ahead = ahead;
        self.max_jitter = jitter;
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What a call about to send a request does, at wall-clock time `now`. Call it before every
    /// attempt: the answer changes as time passes and as other calls refresh.
    pub fn poll(self: &Arc<Self>, now: SystemTime) -> TokenStep {
        let mut st = self.lock();
        if st.in_flight.is_some() {
            // Another call is refreshing. A token that is merely due (inside its margin) still
            // works: sign with it rather than hold every call up for the refresh's round trip.
            if st.generation > 0 && !st.stale && now < st.claims.expires {
                return TokenStep::Sign {
                    signer: st.signer.clone(),
                    generation: st.generation,
                };
            }
            return TokenStep::Wait(REFRESH_WAIT);
        }
        let due = match st.refresh_at {
            Some(at) => at,
            None => {
                let at = self.schedule(&mut st, now);
                st.refresh_at = Some(at);
                at
            }
        };
        if st.stale || now >= due {
            let id = st.next_ticket;
            st.next_ticket += 1;
            st.in_flight = Some(id);
            return TokenStep::Refresh(RefreshTicket {
                principal: Arc::clone(self),
                id,
                exchange: None,
            });
        }
        TokenStep::Sign {
            signer: st.signer.clone(),
            generation: st.generation,
        }
    }

    /// The current signer and its token's generation, due or not.
    pub fn current(&self) -> (RequestSigner, u64) {
        let st = self.lock();
        (st.signer.clone(), st.generation)
    }

    /// A request signed with token `generation` was refused with 401. If that is still the
    /// current token, the next [`poll`](Self::poll) refreshes it; if another call has refreshed
    /// since, nothing happens (the caller signs again with the newer token).
    pub fn unauthorized(&self, generation: u64) {
        let mut st = self.lock();
        if st.generation == generation {
            st.stale = true;
        }
    }

    /// Refreshes completed so far.
    pub fn refreshes(&self) -> u64 {
        self.lock().refreshes
    }

    /// The current token's generation (1 for the first, +1 per refresh; 0 for a principal that
    /// has not had a token yet).
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// When the current token expires (`exp`).
    pub fn expires(&self) -> SystemTime {
        self.lock().claims.expires
    }

    /// When the current token is due for refresh, once a call has looked at it.
    pub fn refresh_due(&self) -> Option<SystemTime> {
        self.lock().refresh_at
    }

    /// The auth endpoint token exchanges go to, if one was given.
    pub fn auth_endpoint(&self) -> Option<&str> {
        self.auth_endpoint.as_deref()
    }

    /// The current token's text, e.g. to write it back to the `security_token_file`. It is the
    /// credential itself: keep it out of logs.
    pub fn current_token(&self) -> Secret {
        self.lock().token.clone()
    }

    /// When the token in `st` is due: `exp` minus the margin minus the jitter.
    fn schedule(&self, st: &mut State, now: SystemTime) -> SystemTime {
        let expires = st.claims.expires;
        let issued = st.claims.issued.unwrap_or(now);
        let lifetime = expires.duration_since(issued).unwrap_or(Duration::ZERO);
        let margin = self.refresh_ahead.min(lifetime / 2);
        let jitter_max = self.max_jitter.min(margin / 2);
        let jitter = match u64::try_from(jitter_max.as_millis()) {
            Ok(0) | Err(_) => Duration::ZERO,
            Ok(ms) => Duration::from_millis(st.rng.next_u64() % (ms + 1)),
        };
        expires.checked_sub(margin + jitter).unwrap_or(UNIX_EPOCH)
    }

    /// Runs `f` on the source with the context it lends, then keeps what the step learned.
    fn step_source<T>(
        &self,
        st: &mut State,
        f: impl FnOnce(&mut dyn TokenSource, &mut SourceCx<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let auth = self.auth_base();
        let mut learned = Learned::default();
        let expires = st.claims.expires;
        let State {
            token,
            generation,
            signer,
            rng,
            source,
            ..
        } = st;
        let mut cx = SourceCx {
            token,
            expires,
            generation: *generation,
            signer,
            public_key: self.public_key.as_deref(),
            auth_endpoint: auth.as_deref(),
            date_header: self.date_header,
            rng,
            learned: &mut learned,
        };
        let result = f(source.as_mut(), &mut cx);
        self.keep_learned(st, learned)?;
        result
    }

    fn keep_learned(&self, st: &mut State, learned: Learned) -> Result<(), Error> {
        if let Some(tenancy) = learned.tenancy {
            let _ = self.first_tenancy.set(tenancy.clone());
            st.tenancy = Some(tenancy);
        }
        if let Some(region) = learned.region
            && self.region_from_source
            && self.learned_endpoints.get().is_none()
        {
            #[cfg(feature = "fs")]
            let endpoints = crate::endpoint::Endpoints::choose_from_env(None, Some(&region));
            #[cfg(not(feature = "fs"))]
            let endpoints = crate::endpoint::Endpoints::choose(
                None,
                Some(&region),
                &crate::region::RegionSources::default(),
            );
            let _ = self.learned_endpoints.set(endpoints?);
        }
        Ok(())
    }

    /// Makes `new` the current token for every call of the client, at `now`.
    fn install(&self, st: &mut State, new: NewToken, now: SystemTime) -> Result<(), Error> {
        let claims = parse_claims(&new.jwt, new.source_name).map_err(Error::Token)?;
        // A token already past its `exp` would be due at once: every call would renew it
        // again. Say so instead (a clock far ahead of the service's, a file nobody renewed).
        if claims.expires <= now {
            return Err(Error::Token(TokenError::Expired {
                kind: self.kind,
                hint: "the new token it obtained has already expired by this machine's clock \
                       (is the clock right?)",
            }));
        }
        if let Some(backend) = new.backend {
            st.backend = backend;
        }
        let secret = Secret::new(new.jwt.trim().to_string());
        st.signer = RequestSigner::new(KeyId::SessionToken(secret.clone()), st.backend.clone())
            .with_date_header(self.date_header);
        st.token = secret;
        st.claims = claims;
        st.generation += 1;
        st.stale = false;
        st.refreshes += 1;
        let at = self.schedule(st, now);
        st.refresh_at = Some(at);
        tracing::debug!(
            principal = self.kind,
            generation = st.generation,
            "session token renewed; the next renewal is due in {:.0} s",
            at.duration_since(now).unwrap_or_default().as_secs_f64()
        );
        Ok(())
    }
}

/// The right, held by one call, to refresh the token now. Dropping it unfinished releases it.
pub struct RefreshTicket {
    principal: Arc<SessionTokenPrincipal>,
    id: u64,
    /// The exchange [`request`](Self::request) returned: its name and `"METHOD url"`.
    exchange: Option<(&'static str, String)>,
}

impl fmt::Debug for RefreshTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshTicket")
            .field("id", &self.id)
            .field("exchange", &self.exchange)
            .finish_non_exhaustive()
    }
}

impl Drop for RefreshTicket {
    fn drop(&mut self) {
        let mut st = self.principal.lock();
        if st.in_flight == Some(self.id) {
            st.in_flight = None;
        }
    }
}

impl RefreshTicket {
    /// `"POST <auth endpoint>/v1/authentication/refresh"` (or the IMDS read, or the
    /// federation, …) this ticket's request is, for errors and logs.
    pub fn endpoint(&self) -> String {
        match &self.exchange {
            Some((_, endpoint)) => endpoint.clone(),
            None => format!("the {} token source", self.principal.kind),
        }
    }

    /// The operation this ticket's exchange is, for logs.
    pub fn operation(&self) -> &'static str {
        self.exchange
            .as_ref()
            .map_or("RenewSessionToken", |(operation, _)| operation)
    }

    /// The exchange did not get an answer (`error`, from the transport): what the call reports
    /// (an IMDS read says it was IMDS that could not be reached, and is final).
    pub fn fail(self, error: Error) -> Error {
        let mut st = self.principal.lock();
        st.source.fail(error)
    }

    /// The request to send, at wall-clock time `now` (a refresh, an IMDS read, a federation;
    /// its body may hold a token: never log it). `None`: the source had the token at hand (or
    /// the current one is still good): the round is over, poll again.
    pub fn request(
        &mut self,
        now: SystemTime,
    ) -> Result<Option<http::Request<RequestBody>>, Error> {
        let principal = Arc::clone(&self.principal);
        let mut st = principal.lock();
        let step = principal.step_source(&mut st, |source, cx| source.next(cx, now))?;
        match step {
            SourceStep::Send { request, operation } => {
                self.exchange =
                    Some((operation, format!("{} {}", request.method(), request.uri())));
                Ok(Some(*request))
            }
            SourceStep::Token(new) => {
                principal.install(&mut st, new, now)?;
                Ok(None)
            }
            SourceStep::Unchanged { recheck, hint } => {
                if st.generation == 0 || now >= st.claims.expires {
                    return Err(Error::Token(TokenError::Expired {
                        kind: principal.kind,
                        hint,
                    }));
                }
                // Still good: sign with it (a 401 the call met is then final, as the call has
                // used its one re-authentication), and ask the source again later.
                st.stale = false;
                st.refresh_at = Some((now + recheck).min(st.claims.expires));
                Ok(None)
            }
        }
    }

    /// The exchange's reply arrived (status, headers, whole body) at wall-clock time `now`. On
    /// a token, it replaces the old one for every call of the client; a round that needs more
    /// exchanges goes on with the next ticket. A 429 or 5xx comes back as the retryable
    /// service error it is; any other refusal is the source's typed error
    /// ([`TokenError::RefreshRefused`], …).
    pub fn complete(
        self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), Error> {
        if self.exchange.is_none() {
            return Err(Error::Misuse(
                "a token exchange completed before its request was made",
            ));
        }
        let principal = Arc::clone(&self.principal);
        let mut st = principal.lock();
        let completed = principal.step_source(&mut st, |source, cx| {
            source.complete(cx, status, headers, body)
        })?;
        if let Completed::Token(new) = completed {
            principal.install(&mut st, new, now)?;
        }
        Ok(())
    }
}

//! The session-token principal (`security_token_file` profiles, `oci session authenticate`): a
//! JWT and the session key it is bound to, refreshed through the auth service before it
//! expires, and once after a 401.
//!
//! It is a state machine shared by every call of a client, and it does no I/O: a call asks it
//! what to do ([`SessionTokenPrincipal::poll`]) and gets a signer, or the refresh exchange to
//! send first as an ordinary request, or "someone else is refreshing, wait a moment". The call
//! sends the exchange through the transport like any other request and hands the reply back
//! ([`RefreshTicket::complete`]). Time comes in as an argument and randomness from a seed, so
//! the whole thing runs on a virtual clock in tests and on wasm32.
//!
//! The refresh exchange (`oci session refresh`; facts in `oci-protocol.md` §10): `POST
//! <auth endpoint>/v1/authentication/refresh` with `{"currentToken": "<JWT>"}`, signed with the
//! session key as keyId `ST$<current JWT>`; the reply is `{"token": "<new JWT>"}`, bound to the
//! same key. The auth endpoint is `https://auth.<region>.<realm domain>`.
//!
//! Instance principals use the same machine with another way to get a token: each "refresh"
//! is a short sequence of exchanges, one per [`RefreshTicket`], sent by whichever call holds
//! the ticket — `GET <imds>/instance/region`, `/identity/cert.pem`, `/identity/key.pem`,
//! `/identity/intermediate.pem` (header `Authorization: Bearer Oracle`), then the federation
//! `POST <auth endpoint>/v1/x509` with the certificates and the public half of a session key,
//! signed with the instance's leaf key as keyId `<tenancy>/fed-x509-sha256/<leaf SHA-256>`.
//! The reply is `{"token": "<JWT>"}`, bound to the session key. Every federation reads IMDS
//! afresh, so a rotated leaf certificate is picked up by the next refresh (and after a 401).
//! The tenancy comes from the leaf certificate's subject (`OU=opc-tenant:<ocid>`).

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use super::keys::PrivateKey;
use super::signer::{DateHeader, KeyId, RequestSigner, RsaBackend, SignBody, default_backend};
use super::token::{TokenClaims, TokenError, parse_claims};
use super::x509;
use crate::config::Secret;
use crate::error::Error;
use crate::operation::RequestBody;

/// The path of the refresh exchange on the auth endpoint.
pub const REFRESH_PATH: &str = "/v1/authentication/refresh";

/// The operation name the refresh exchange carries in errors and logs.
pub const REFRESH_OPERATION: &str = "RefreshSessionToken";

/// The path of the instance-principal federation on the auth endpoint.
pub const FEDERATION_PATH: &str = "/v1/x509";

/// The operation name the federation carries in errors and logs.
pub const FEDERATION_OPERATION: &str = "FederateInstancePrincipal";

/// The operation name of the IMDS reads in errors and logs.
pub const IMDS_OPERATION: &str = "InstanceMetadata";

/// The instance metadata service (IMDS) v2 base URL of every OCI instance; the official SDKs
/// let `OCI_METADATA_BASE_URL` override it.
pub const DEFAULT_IMDS_ENDPOINT: &str = "http://169.254.169.254/opc/v2";

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
        })
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
    /// Instance principals: what IMDS has told this round of federation so far.
    imds: ImdsReads,
    /// Instance principals: the tenancy of the last leaf certificate read.
    tenancy: Option<String>,
}

/// What the IMDS reads of one federation round have gathered. Cleared after each federation,
/// so that the next one reads a rotated certificate.
#[derive(Default)]
struct ImdsReads {
    region: Option<String>,
    /// The leaf certificate PEM, with its tenancy and SHA-256 fingerprint.
    leaf: Option<(String, String, String)>,
    /// The leaf private key PEM: the instance's credential.
    key: Option<Secret>,
    intermediate: Option<String>,
}

/// How the principal obtains a token.
enum Source {
    /// `POST /v1/authentication/refresh` with the current token.
    Refresh,
    /// Instance principals: IMDS, then `POST /v1/x509`.
    Instance {
        /// The IMDS base URL (`http://169.254.169.254/opc/v2`).
        imds: String,
        /// The session key's public half, PEM body on one line.
        public_key: String,
    },
}

/// Which exchange a ticket is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exchange {
    Refresh,
    Imds(&'static str),
    Federate,
}

/// A session token shared by every call of a client, refreshed ahead of its expiry and once
/// after a 401, one refresh at a time.
///
/// Concurrency: the state sits behind a mutex held only for bookkeeping (never across a
/// request). The first call that finds the token due takes a [`RefreshTicket`] and sends the
/// refresh; calls that come while it is in flight get [`TokenStep::Wait`] and look again
/// shortly. So concurrent calls share one refresh, and a call that is dropped mid-refresh (a
/// cancelled future) releases its ticket in `Drop`, so nobody waits for it forever.
pub struct SessionTokenPrincipal {
    backend: Arc<dyn RsaBackend>,
    source: Source,
    date_header: DateHeader,
    auth_endpoint: Option<String>,
    refresh_ahead: Duration,
    max_jitter: Duration,
    state: Mutex<State>,
    /// Instance principals: the tenancy of the first leaf certificate read, kept for the life
    /// of the client so that [`Context::tenancy`](crate::Context::tenancy) can lend it.
    first_tenancy: OnceLock<String>,
    /// Instance principals built without a region or endpoints: the endpoints of the region
    /// IMDS named first (an instance does not move), for the calls and the federation.
    imds_endpoints: OnceLock<crate::endpoint::Endpoints>,
    /// Whether to resolve the IMDS region into [`Self::imds_endpoints`].
    region_from_imds: bool,
}

impl fmt::Debug for SessionTokenPrincipal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        f.debug_struct("SessionTokenPrincipal")
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
        let signer = token.signer();
        SessionTokenPrincipal {
            backend: token.backend,
            source: Source::Refresh,
            date_header: DateHeader::Date,
            auth_endpoint: auth_endpoint.map(|e| e.trim_end_matches('/').to_string()),
            refresh_ahead: DEFAULT_REFRESH_AHEAD,
            max_jitter: DEFAULT_REFRESH_JITTER,
            first_tenancy: OnceLock::new(),
            imds_endpoints: OnceLock::new(),
            region_from_imds: false,
            state: Mutex::new(State {
                token: token.token,
                claims: token.claims,
                signer,
                generation: 1,
                refresh_at: None,
                stale: false,
                in_flight: None,
                next_ticket: 1,
                refreshes: 0,
                rng: ChaCha20Rng::from_seed(seed),
                imds: ImdsReads::default(),
                tenancy: None,
            }),
        }
    }

    /// An instance principal: no token yet (the first call federates), signing with
    /// `session_key` once it has one. `imds_endpoint` is the IMDS v2 base
    /// ([`DEFAULT_IMDS_ENDPOINT`]), `auth_endpoint` the auth service's (`None`: federation
    /// fails with [`TokenError::NoAuthEndpoint`]). `seed` draws the jitter and blinds the leaf
    /// key's signatures.
    pub fn instance(
        session_key: &PrivateKey,
        imds_endpoint: &str,
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
        // No token yet: an empty one that expired at the epoch, so the first poll federates.
        let token = Secret::new(String::new());
        SessionTokenPrincipal {
            backend: backend.clone(),
            source: Source::Instance {
                imds: imds_endpoint.trim_end_matches('/').to_string(),
                public_key,
            },
            date_header: DateHeader::Date,
            auth_endpoint: auth_endpoint.map(|e| e.trim_end_matches('/').to_string()),
            refresh_ahead: DEFAULT_REFRESH_AHEAD,
            max_jitter: DEFAULT_REFRESH_JITTER,
            first_tenancy: OnceLock::new(),
            imds_endpoints: OnceLock::new(),
            region_from_imds: false,
            state: Mutex::new(State {
                signer: RequestSigner::new(KeyId::SessionToken(token.clone()), backend),
                token,
                claims: TokenClaims {
                    expires: UNIX_EPOCH,
                    issued: Some(UNIX_EPOCH),
                },
                generation: 0,
                refresh_at: None,
                stale: false,
                in_flight: None,
                next_ticket: 1,
                refreshes: 0,
                rng,
                imds: ImdsReads::default(),
                tenancy: None,
            }),
        }
    }

    /// Instance principals: the tenancy named by the last leaf certificate read from IMDS.
    pub fn tenancy(&self) -> Option<String> {
        self.lock().tenancy.clone()
    }

    /// Instance principals: the tenancy of the first leaf certificate read (an instance does
    /// not change tenancy), once the first call has read it.
    pub fn first_tenancy(&self) -> Option<&str> {
        self.first_tenancy.get().map(String::as_str)
    }

    /// Instance principals: the client has no region or endpoints of its own; they come from
    /// the region IMDS names (see [`SessionTokenPrincipal::imds_endpoints`]).
    pub fn with_region_from_imds(mut self) -> Self {
        self.region_from_imds = true;
        self
    }

    /// Whether the client's endpoints come from the IMDS region.
    pub fn region_from_imds(&self) -> bool {
        self.region_from_imds
    }

    /// The endpoints of the region IMDS named, once read (only with
    /// [`with_region_from_imds`](Self::with_region_from_imds)).
    pub fn imds_endpoints(&self) -> Option<&crate::endpoint::Endpoints> {
        self.imds_endpoints.get()
    }

    /// The auth endpoint federations and refreshes go to: the one given, else the IMDS
    /// region's `https://auth.<region>.<domain>`.
    fn auth_base(&self) -> Option<String> {
        self.auth_endpoint.clone().or_else(|| {
            self.imds_endpoints
                .get()
                .and_then(|e| e.region())
                .map(|r| r.endpoint("auth"))
        })
    }

    /// Whether this is an instance principal (it federates through IMDS).
    pub fn is_instance_principal(&self) -> bool {
        matches!(self.source, Source::Instance { .. })
    }

    /// The next exchange of a refresh, given what IMDS has told so far.
    fn next_exchange(&self, st: &State) -> Exchange {
        match self.source {
            Source::Refresh => Exchange::Refresh,
            Source::Instance { .. } => {
                if st.imds.region.is_none() {
                    Exchange::Imds("/instance/region")
                } else if st.imds.leaf.is_none() {
                    Exchange::Imds("/identity/cert.pem")
                } else if st.imds.key.is_none() {
                    Exchange::Imds("/identity/key.pem")
                } else if st.imds.intermediate.is_none() {
                    Exchange::Imds("/identity/intermediate.pem")
                } else {
                    Exchange::Federate
                }
            }
        }
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
            let exchange = self.next_exchange(&st);
            return TokenStep::Refresh(RefreshTicket {
                principal: Arc::clone(self),
                id,
                exchange,
            });
        }
        TokenStep::Sign {
            signer: st.signer.clone(),
            generation: st.generation,
        }
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

    /// The current token's generation (1 for the first, +1 per refresh; 0 for an instance
    /// principal that has not federated yet).
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

    /// The auth endpoint refreshes go to.
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
}

/// The right, held by one call, to refresh the token now. Dropping it unfinished releases it.
pub struct RefreshTicket {
    principal: Arc<SessionTokenPrincipal>,
    id: u64,
    exchange: Exchange,
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
    /// federation, this ticket is for), for errors and logs.
    pub fn endpoint(&self) -> String {
        let auth = self
            .principal
            .auth_base()
            .unwrap_or_else(|| "<no auth endpoint>".to_string());
        match (self.exchange, &self.principal.source) {
            (Exchange::Imds(path), Source::Instance { imds, .. }) => format!("GET {imds}{path}"),
            (Exchange::Federate, _) => format!("POST {auth}{FEDERATION_PATH}"),
            _ => format!("POST {auth}{REFRESH_PATH}"),
        }
    }

    /// The operation this ticket's exchange is, for logs.
    pub fn operation(&self) -> &'static str {
        match self.exchange {
            Exchange::Refresh => REFRESH_OPERATION,
            Exchange::Imds(_) => IMDS_OPERATION,
            Exchange::Federate => FEDERATION_OPERATION,
        }
    }

    /// The exchange did not get an answer (`error`, from the transport): for an IMDS read,
    /// this says it was IMDS that could not be reached, and is final (a machine without IMDS
    /// will not grow one); anything else is returned as it is.
    pub fn fail(self, error: Error) -> Error {
        match (self.exchange, &self.principal.source) {
            (Exchange::Imds(path), Source::Instance { imds, .. }) => {
                Error::Token(TokenError::ImdsUnreachable {
                    url: format!("{imds}{path}"),
                    reason: error.to_string(),
                })
            }
            _ => error,
        }
    }

    /// The request to send, at wall-clock time `now`: the refresh, signed with the session key
    /// as keyId `ST$<current token>` (its body holds the token: never log it); or an IMDS read;
    /// or the federation, signed with the leaf key.
    pub fn request(&self, now: SystemTime) -> Result<http::Request<RequestBody>, Error> {
        match self.exchange {
            Exchange::Refresh => self.refresh_request(now),
            Exchange::Imds(path) => self.imds_request(path),
            Exchange::Federate => self.federation_request(now),
        }
    }

    fn imds_request(&self, path: &str) -> Result<http::Request<RequestBody>, Error> {
        let Source::Instance { imds, .. } = &self.principal.source else {
            return Err(Error::Misuse("an IMDS read on a session-token principal"));
        };
        let url = format!("{imds}{path}");
        let mut req = http::Request::get(&url)
            .body(RequestBody::Empty)
            .map_err(|e| Error::InvalidRequest {
                operation: IMDS_OPERATION,
                reason: format!("cannot build the IMDS request for {url}: {e}"),
            })?;
        let headers = req.headers_mut();
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_static("Bearer Oracle"),
        );
        headers.insert(
            http::header::USER_AGENT,
            HeaderValue::from_static(crate::context::USER_AGENT),
        );
        Ok(req)
    }

    fn federation_request(&self, now: SystemTime) -> Result<http::Request<RequestBody>, Error> {
        let base = self
            .principal
            .auth_base()
            .ok_or(Error::Token(TokenError::NoAuthEndpoint))?;
        let Source::Instance { public_key, .. } = &self.principal.source else {
            return Err(Error::Misuse("a federation on a session-token principal"));
        };
        let (body, key_pem, key_id, seed) = {
            let mut st = self.principal.lock();
            let (Some((leaf_pem, tenancy, fingerprint)), Some(key), Some(intermediate)) = (
                st.imds.leaf.clone(),
                st.imds.key.clone(),
                st.imds.intermediate.clone(),
            ) else {
                return Err(Error::Misuse("a federation before the IMDS reads"));
            };
            let certificate = x509::pem_body(&leaf_pem).unwrap_or_default();
            let intermediates: Vec<String> = split_pem_blocks(&intermediate)
                .iter()
                .filter_map(|b| x509::pem_body(b))
                .collect();
            let body = serde_json::to_vec(&serde_json::json!({
                "certificate": certificate,
                "publicKey": public_key,
                "intermediateCertificates": intermediates,
                "purpose": "DEFAULT",
                "fingerprintAlgorithm": "SHA256",
            }))
            .map_err(|_| Error::Misuse("the federation body could not be written"))?;
            let mut seed = [0u8; 32];
            st.rng.fill_bytes(&mut seed);
            (
                Bytes::from(body),
                key,
                KeyId::X509Federation {
                    tenancy,
                    fingerprint,
                },
                seed,
            )
        };
        let leaf_key = PrivateKey::from_pem(key_pem.expose(), None, "the leaf key from IMDS")?;
        let signer = RequestSigner::new(key_id, default_backend(&leaf_key, seed))
            .with_date_header(self.principal.date_header);
        signed_json_post(
            &signer,
            &format!("{base}{FEDERATION_PATH}"),
            body,
            (FEDERATION_OPERATION, "federation"),
            now,
        )
    }

    fn refresh_request(&self, now: SystemTime) -> Result<http::Request<RequestBody>, Error> {
        let base = self
            .principal
            .auth_endpoint
            .as_deref()
            .ok_or(Error::Token(TokenError::NoAuthEndpoint))?;
        let (signer, body) = {
            let st = self.principal.lock();
            let body = serde_json::to_vec(&serde_json::json!({
                "currentToken": st.token.expose(),
            }))
            .map_err(|_| Error::Misuse("the refresh body could not be written"))?;
            (st.signer.clone(), Bytes::from(body))
        };
        signed_json_post(
            &signer,
            &format!("{base}{REFRESH_PATH}"),
            body,
            (REFRESH_OPERATION, "refresh"),
            now,
        )
    }

    /// The refresh reply arrived (status, headers, whole body) at wall-clock time `now`. On
    /// success the new token replaces the old one for every call of the client. A 429 or 5xx
    /// comes back as the retryable service error it is; any other refusal is
    /// [`TokenError::RefreshRefused`]: only signing in again helps.
    pub fn complete(
        self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), Error> {
        let endpoint = self.endpoint();
        if let Exchange::Imds(path) = self.exchange {
            return self.complete_imds(path, status, body);
        }
        if !status.is_success() {
            let error = crate::operation::service_error(
                REFRESH_OPERATION,
                &endpoint,
                status,
                headers,
                body,
            );
            if error.retry_class().is_some() {
                return Err(Error::from(error));
            }
            if self.exchange == Exchange::Federate {
                return Err(Error::Token(TokenError::FederationRefused {
                    status: status.as_u16(),
                    code: error.code,
                    endpoint,
                    opc_request_id: error.opc_request_id,
                }));
            }
            return Err(Error::Token(TokenError::RefreshRefused {
                status: status.as_u16(),
                code: error.code,
                endpoint,
                opc_request_id: error.opc_request_id,
            }));
        }
        #[derive(serde::Deserialize)]
        struct Reply {
            token: Option<String>,
        }
        let bad = |reason| {
            Error::Token(TokenError::BadRefreshReply {
                endpoint: endpoint.clone(),
                reason,
            })
        };
        let reply: Reply =
            serde_json::from_slice(body).map_err(|_| bad("the body is not that JSON object"))?;
        let token = zeroize::Zeroizing::new(reply.token.ok_or_else(|| bad("`token` is missing"))?);
        let source_name = match self.exchange {
            Exchange::Federate => "the federation reply",
            _ => "the refresh reply",
        };
        let claims = parse_claims(&token, source_name).map_err(Error::Token)?;
        let principal = Arc::clone(&self.principal);
        let mut st = principal.lock();
        let secret = Secret::new(token.trim().to_string());
        st.signer = RequestSigner::new(
            KeyId::SessionToken(secret.clone()),
            principal.backend.clone(),
        )
        .with_date_header(principal.date_header);
        st.token = secret;
        st.claims = claims;
        st.generation += 1;
        st.stale = false;
        st.refreshes += 1;
        // The next federation reads IMDS afresh (a rotated leaf), and the leaf key is not kept
        // longer than needed.
        st.imds = ImdsReads::default();
        let at = principal.schedule(&mut st, now);
        st.refresh_at = Some(at);
        if st.in_flight == Some(self.id) {
            st.in_flight = None;
        }
        tracing::debug!(
            generation = st.generation,
            "session token refreshed; the next refresh is due in {:.0} s",
            at.duration_since(now).unwrap_or_default().as_secs_f64()
        );
        Ok(())
    }

    /// An IMDS read answered: keep what it says for the federation.
    fn complete_imds(self, path: &str, status: StatusCode, body: &[u8]) -> Result<(), Error> {
        let Source::Instance { imds, .. } = &self.principal.source else {
            return Err(Error::Misuse("an IMDS read on a session-token principal"));
        };
        let url = format!("{imds}{path}");
        if !status.is_success() {
            return Err(Error::Token(TokenError::ImdsRefused {
                url,
                status: status.as_u16(),
            }));
        }
        let text = zeroize::Zeroizing::new(String::from_utf8_lossy(body).into_owned());
        let mut st = self.principal.lock();
        match path {
            "/instance/region" => {
                let region = text.trim().to_string();
                if self.principal.region_from_imds && self.principal.imds_endpoints.get().is_none()
                {
                    #[cfg(feature = "fs")]
                    let endpoints =
                        crate::endpoint::Endpoints::choose_from_env(None, Some(&region));
                    #[cfg(not(feature = "fs"))]
                    let endpoints = crate::endpoint::Endpoints::choose(
                        None,
                        Some(&region),
                        &crate::region::RegionSources::default(),
                    );
                    let _ = self.principal.imds_endpoints.set(endpoints?);
                }
                st.imds.region = Some(region);
            }
            "/identity/cert.pem" => {
                let what = "leaf certificate from IMDS";
                let der = x509::pem_to_der(&text, what).map_err(TokenError::from)?;
                let tenancy = x509::tenancy_from_subject(&der, what).map_err(TokenError::from)?;
                let fingerprint = x509::sha256_fingerprint(&der);
                st.tenancy = Some(tenancy.clone());
                let _ = self.principal.first_tenancy.set(tenancy.clone());
                st.imds.leaf = Some((text.to_string(), tenancy, fingerprint));
            }
            "/identity/key.pem" => st.imds.key = Some(Secret::new(text.to_string())),
            _ => st.imds.intermediate = Some(text.to_string()),
        }
        Ok(())
    }
}

/// The `-----BEGIN CERTIFICATE-----` blocks of `pem`, each whole.
/// A JSON POST to the auth service signed by `signer`: the federation and the refresh. The signer
/// adds `content-type: application/json` for the hashed body. `what` = (the operation errors
/// name, the word for the request in a build error).
fn signed_json_post(
    signer: &RequestSigner,
    url: &str,
    body: Bytes,
    (operation, what): (&'static str, &str),
    now: SystemTime,
) -> Result<http::Request<RequestBody>, Error> {
    let mut req = http::Request::post(url)
        .body(RequestBody::Bytes(body.clone()))
        .map_err(|e| Error::InvalidRequest {
            operation,
            reason: format!("cannot build the {what} request for {url}: {e}"),
        })?;
    let headers = req.headers_mut();
    headers.insert(
        http::header::USER_AGENT,
        HeaderValue::from_static(crate::context::USER_AGENT),
    );
    headers.insert(
        http::header::ACCEPT,
        HeaderValue::from_static("application/json"),
    );
    signer
        .sign(&mut req, SignBody::Hashed(&body), now)
        .map_err(Error::Signing)?;
    Ok(req)
}

fn split_pem_blocks(pem: &str) -> Vec<String> {
    const END: &str = "-----END CERTIFICATE-----";
    pem.split_inclusive(END)
        .filter(|b| b.contains("-----BEGIN CERTIFICATE-----"))
        .map(str::to_string)
        .collect()
}

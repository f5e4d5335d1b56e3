//! `ocisdk-emulator`: a local, in-memory Oracle Cloud Infrastructure (OCI) **Identity**,
//! **Object Storage** and **Secrets** that speaks the real wire format and **verifies every
//! request signature**.
//!
//! It exists to test clients: it rebuilds the signing string from the request exactly as it
//! arrived (independently of any SDK code) and answers a precise `401 NotAuthenticated` when
//! something is off, e.g. `missing required signed header x-content-sha256` or
//! `signature does not verify for keyId … headers [...]; signing string was: …`.
//!
//! ```no_run
//! # fn main() -> Result<(), ocisdk_emulator::EmulatorError> {
//! let emu = ocisdk_emulator::Emulator::start()?;          // 127.0.0.1:<random port>
//! let dir = std::path::Path::new("target/emu-example");  // a directory only you can write to
//! let config_path = emu.write_config(dir)?;              // [DEFAULT] profile + key.pem (0600)
//! println!("{} {}", emu.url(), config_path.display());
//! // ... point a client at emu.url() with that config ...
//! assert!(emu.stats().requests == 0);
//! # Ok(()) }
//! ```
//!
//! # What it serves
//! Every operation of the API model (`spec/`: Identity, Object Storage, Secrets) is routed;
//! [`operation_support`] says how each is answered, and the crate's README has the table
//! ([`operations_table`]). In short:
//! * Identity under `/20160918`: groups, users, user-group memberships by hand; every other
//!   conventional resource (compartments, policies, dynamic groups, API keys, credentials, tag
//!   namespaces, tags, tag defaults, network sources, identity providers, …) generically from
//!   the model: create (body checked against its model), get, update (`if-match`), delete (`409`
//!   while something depends on it), list (filters, sorting, `opc-next-page`). An API key
//!   uploaded with UploadApiKey signs requests at once.
//! * Object Storage: GetNamespace, buckets (create, get, head, list, update, delete), objects
//!   (put, get with ranges, head, delete, list with prefix/delimiter/start/end/startAfter/fields),
//!   multipart uploads, object versions, RenameObject, CopyObject as a work request,
//!   pre-authenticated requests (their access URIs work unsigned), lifecycle policies (stored),
//!   retention rules (enforced).
//! * Secrets under `/20190301`: secret bundles of the vault [`DEFAULT_VAULT_ID`], seeded with
//!   [`Emulator::put_secret`] or [`EmulatorConfig::secrets`].
//! * Anything else of the model: `501 NotImplemented` naming the operation.
//!
//! Lists are paginated with a deliberately small default page
//! ([`EmulatorConfig::page_size`], 3) so that client paginators are exercised, and
//! [`EmulatorConfig::empty_pages`] inserts empty pages that still carry a continuation token.
//!
//! # Authentication
//! Every request except `OPTIONS` must carry `Authorization: Signature version="1",keyId=…,
//! algorithm="rsa-sha256",headers="…",signature="…"` (parameters in any order; `version="1"` and
//! `algorithm` are required, as the service requires them). Signed headers
//! must include `date` or `x-date` (x-date wins), `(request-target)` and `host`; PUT/POST/PATCH
//! also `content-length`, `content-type` and `x-content-sha256`, except PutObject and
//! UploadPart. A signed `x-content-sha256` / `content-length` must match the body received. The
//! date must be within [`EmulatorConfig::max_skew_secs`] of the emulator's clock (an
//! IMF-fixdate whose weekday is wrong is tolerated). Every failure is `401 NotAuthenticated`
//! with a message naming the problem; key material, session tokens and the values of secret
//! headers (`opc-sse-customer-key`, …) never appear in it, nor does a keyId, parameter or date
//! that does not look like one.
//!
//! # Session tokens
//! The auth service's refresh endpoint, `POST /v1/authentication/refresh`, is served on the
//! same address (a client's auth endpoint is pointed at [`Emulator::url`]).
//! [`Emulator::issue_session_token`] issues a first token for a session key
//! ([`Emulator::write_session_config`] writes a whole `security_token_file` profile); each refresh
//! issues a new JWT for the same key that lives [`EmulatorConfig::session_token_lifetime`]. A
//! token past its `exp` is refused with `401 NotAuthenticated` everywhere, its refresh included;
//! [`Emulator::expire_session_tokens`] and [`Emulator::revoke_session_tokens`] end tokens on
//! demand, and [`Stats::token_refreshes`] counts refreshes. For a client that cannot call
//! this API (a browser test), `POST /_emulator/session-token` with `{"publicKey": "<PEM>",
//! "lifetimeSeconds": N}` stands in for `oci session authenticate`: it issues a token for the
//! public half of an API key the emulator trusts (and no other), unsigned, since the token is
//! worthless without the private key. It is the emulator's, not an OCI endpoint.
//!
//! # Instance principals
//! The instance metadata service (IMDS v2: `GET /opc/v2/instance/region`, `/opc/v2/instance/id`
//! ([`INSTANCE_ID`]), `/opc/v2/identity/{cert,key,intermediate}.pem`, needing
//! `Authorization: Bearer Oracle`) and
//! the federation endpoint (`POST /v1/x509`) are served on the same address
//! ([`Emulator::imds_url`]). The leaf certificate is self-issued with `OU=opc-tenant:<tenancy>`;
//! a federation signed by the current leaf key and carrying the current leaf gets a session
//! token (as the refresh endpoint issues them) bound to its `publicKey`.
//! [`Emulator::rotate_instance_certificate`] rotates the leaf (optionally without a tenancy in
//! its subject), and [`Stats::federations`] counts federations.
//!
//! # OKE workload identity
//! The cluster's proxymux (`POST /resourcePrincipalSessionTokens`) is served on an address of
//! its own, over plain HTTP ([`Emulator::proxymux_url`]). It trades a Kubernetes
//! service-account token from [`Emulator::issue_service_account_token`] (bearer, alive) and a
//! `podKey` for the base64 of `{"token": "ST$<JWT>"}`, a session token bound to the pod key;
//! [`Emulator::set_oke_basic_cluster`] makes it refuse with 403 as a basic cluster does, and
//! [`Stats::oke_tokens`] counts issuances.
//!
//! # Delegation tokens
//! [`Emulator::issue_delegation_token`] issues an `opc-obo-token`. A request carrying that
//! header must list it among its signed headers and carry a token the emulator issued that has
//! not expired, else `401 NotAuthenticated`; [`Stats::delegated_requests`] counts the accepted.
//!
//! # Errors
//! Bodies are `{"code": …, "message": …}`; every response has `opc-request-id` (prefixed by the
//! client's own `opc-request-id` and `/` when one was sent) and CORS headers.
//!
//! | Case | Status | Code |
//! |---|---|---|
//! | malformed JSON body | 400 | `CannotParseRequest` |
//! | required field or query parameter absent | 400 | `MissingParameter` |
//! | wrong type / value, bad `limit`, bad `page` token, user/group `compartmentId` not the tenancy | 400 | `InvalidParameter` |
//! | AddUserToGroup with unknown `userId`/`groupId` | 400 | `RelatedResourceNotAuthorizedOrNotFound` |
//! | unknown group/user/membership id; IAM list with a compartment other than the tenancy | 404 | `NotAuthorizedOrNotFound` |
//! | unknown record, parent or compartment of a generic Identity resource; unknown work request, PAR, retention rule, secret | 404 | `NotAuthorizedOrNotFound` |
//! | compartment name taken in its parent / policy name taken | 409 | `CompartmentAlreadyExists` / `PolicyAlreadyExists` |
//! | other generic name taken; API key uploaded twice | 409 | `NotAuthorizedOrResourceAlreadyExists` |
//! | delete of a non-empty compartment, a tag namespace with tags, an unretired tag; an object held by a retention rule | 409 | `Conflict` |
//! | a fourth API key for a user | 400 | `LimitExceeded` |
//! | an access URI that is unknown, expired, deleted or not allowed this | 404 | `NotAuthorizedOrNotFound` |
//! | unsupported path + method | 404 | `NotFound` |
//! | duplicate group/user name; user already in group | 409 | `EntityAlreadyExists` |
//! | delete user/group that still has memberships | 409 | `Conflict` |
//! | retry token reused with another body, or its entity was deleted | 409 | `InvalidatedRetryToken` |
//! | IAM `if-match` mismatch | 412 | `NoEtagMatch` |
//! | unknown namespace / bucket / object / upload | 404 | `NamespaceNotFound` / `BucketNotFound` / `ObjectNotFound` / `UploadNotFound` |
//! | bucket name taken | 409 | `BucketAlreadyExists` |
//! | delete bucket with objects or multipart uploads | 409 | `BucketNotEmpty` |
//! | `content-md5` differs from the body | 400 | `UnmatchedContentMD5` |
//! | object `if-match` mismatch (GET/HEAD/PUT/DELETE, commit) | 412 | `IfMatchFailed` |
//! | `if-none-match: *` on an existing object | 412 | `IfNoneMatchFailed` |
//! | GET/HEAD `if-none-match` matching | 304 | (no body) |
//! | object name with a line feed, carriage return or NULL (PutObject, CreateMultipartUpload) | 400 | `InvalidObjectName` |
//! | Identity write while [`EmulatorConfig::home_region`] is another region | 403 | `NotAllowed` |
//! | `transfer-encoding: chunked` or no `content-length` on an upload | 411 | `ContentLengthRequired` |
//! | unsatisfiable `range` | 416 | `InvalidRange` (+ `content-range: bytes */size`) |
//! | body over the size limit | 413 | `RequestEntityTooLarge` |
//!
//! # Retry tokens
//! `opc-retry-token` (1–64 characters) only on the operations whose API defines it, as the API
//! model in `spec/` says ([`model::takes_retry_token`]: Identity's creates and AddUserToGroup,
//! not CreateBucket or any other Object Storage operation, which ignore the header as the
//! service does): a repeat with the same token, method and path and the same body returns the
//! first successful response verbatim (status, body, `etag`; a new `opc-request-id`) and
//! creates nothing. Failed responses are not remembered. Tokens expire after 24 hours.
//!
//! Concurrent duplicates are safe: the token check, the create and the remembering of its
//! response happen under one lock, so requests racing with one token create one entity and all
//! get its response.
//!
//! # Fault injection
//! To prove a client's retry logic against exact, reproducible failures, inject [`Fault`]s
//! ([`EmulatorConfig::faults`], [`Emulator::inject`], [`Emulator::clear_faults`]; the binary's
//! `--fault SPEC`). Faults are consulted, in insertion order, for every request whose signature
//! verified — never for CORS preflights or requests answered 401 — and the first fault that
//! decides to fire wins. A fault counts only the requests matching its
//! [`operation`](Fault::operation) (and only those it is consulted for: a request an earlier
//! fault fired on is not counted by later ones): it lets [`skip`](Fault::skip) through, then
//! considers the next [`times`](Fault::times) (or all), each hit with
//! [`probability`](Fault::probability) if set, drawn from a ChaCha20 generator seeded with
//! [`seed`](Fault::seed), so the same run hits the same requests.
//!
//! What a client observes for each [`FaultKind`]:
//!
//! | Kind | Applied? | On the wire |
//! |---|---|---|
//! | `Status` | no | the status, `{"code", "message"}`, `opc-request-id`, optional `retry-after`; the body is read first, so the connection stays usable |
//! | `CommitThenStatus` | yes | the status and code instead of the real response; a create is remembered under its `opc-retry-token`, so a retry with it gets the original 200 |
//! | `CommitThenDrop` | yes | not one byte; the connection is closed (FIN) |
//! | `ResetResponseBody` | yes | status line, headers with the full `content-length`, exactly `len / 2` body bytes, then a TCP reset (RST) |
//! | `TruncateResponseBody` | yes | the same, then a clean close (FIN): end-of-stream before `content-length` is met |
//! | `Stall` | no | nothing for `duration` (the body is not read, no `100 Continue`), then a close without a response |
//! | `ResetRequestBody` | no | the server reads about half of the declared body, then resets: no response; a large upload fails while being sent |
//!
//! For `HEAD` and empty bodies the cut kinds act right after the headers. With a reset, bytes
//! still in the kernel's send buffer are discarded, so for bodies larger than the socket
//! buffers a client may receive fewer than half before the RST. A PutObject or UploadPart whose
//! body is cut short — by this fault or by the client — never stores or replaces anything.
//! [`Stats::faults_fired`] and [`Stats::fired_by_kind`] count what fired.
//!
//! ```no_run
//! use ocisdk_emulator::{Emulator, EmulatorConfig, Fault, FaultKind};
//! # fn main() -> Result<(), ocisdk_emulator::EmulatorError> {
//! let emu = Emulator::start_with(EmulatorConfig {
//!     // The first CreateGroup is applied but its response is lost: the client must retry
//!     // with the same opc-retry-token and get the group, not a 409.
//!     faults: vec![Fault::new(FaultKind::CommitThenDrop).on("CreateGroup").times(1)],
//!     ..Default::default()
//! })?;
//! // Every other GetObject answers 503 with retry-after: 1, reproducibly.
//! emu.inject(Fault::new(FaultKind::Status {
//!     status: 503,
//!     code: "ServiceUnavailable".into(),
//!     retry_after: Some(1),
//! }).on("GetObject").probability(0.5, 42));
//! // ... run the client ...
//! println!("{:?}", emu.stats().fired_by_kind);
//! # Ok(()) }
//! ```
//!
//! # State at start
//! The tenancy holds one user (the owner of the API key, named `emulator-admin`, its key listed
//! by ListApiKeys), no groups, no compartments, no buckets, and the secrets of
//! [`EmulatorConfig::secrets`].
//!
//! # Threading
//! [`Emulator::start`] runs the server on its own thread with its own tokio runtime, so it is
//! usable from plain synchronous `#[test]`s as well as from inside another runtime. Dropping the
//! [`Emulator`] (or calling [`Emulator::shutdown`]) stops it.

mod auth;
mod conn;
mod delegation;
mod fault;
mod identity;
mod instance;
mod keys;
pub mod model;
mod object_storage;
mod oke;
mod resource;
mod secrets;
mod server;
mod session;
mod state;
mod support;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use rsa::RsaPublicKey;
use serde_json::json;

pub use fault::{Fault, FaultKind};
pub use keys::{
    TEST_PRIVATE_KEY_PEM, fingerprint, generate_key_pem, parse_private_pem, parse_public_pem,
};
pub use model::operation_names;
pub use secrets::DEFAULT_VAULT_ID;
pub use session::{INSTANCE_ID, RESOURCE_COMPARTMENT, RESOURCE_ID};
pub use support::{OperationSupport, Support, operation_support, operations_table};
// For `fuzz/` only: the signature verifier without a server (see its doc).
#[doc(hidden)]
pub use auth::verify_signature;

use crate::auth::KeyRegistry;
use crate::fault::FaultTable;
use crate::keys::{KeyMaterial, ocid, os_seeded_rng, random_hex};
use crate::server::{App, Counters};
use crate::state::{IamCommon, IamTable, State, User};

/// The region of the profiles the emulator writes by default: no OCI region has this name, and
/// ocisdk never resolves it (`ocisdk_core::region::EMULATOR_REGION`, the same text), so a client
/// built from such a profile must be given the emulator's URL as its endpoint and can never sign
/// requests for real OCI by mistake. Other SDKs, which assume realm oc1 for an unknown region,
/// would look for `identity.ocisdk-emulator.oci.oraclecloud.com`, which does not exist.
pub const EMULATOR_REGION: &str = "ocisdk-emulator";

/// Errors starting or configuring the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// Binding, spawning or writing files failed.
    #[error("emulator I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A key could not be parsed or generated.
    #[error("emulator key error: {0}")]
    Key(String),
    /// The runtime or server could not start.
    #[error("emulator failed to start: {0}")]
    Start(String),
}

/// How an [`Emulator`] behaves.
///
/// Build with struct update syntax: `EmulatorConfig { page_size: 2, ..Default::default() }`.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Address to listen on. Default `127.0.0.1:0` (a free port).
    pub listen: SocketAddr,
    /// Page size of every list when the request has no `limit` (ListObjects too). Default 3, so
    /// that walkthroughs cross pages.
    pub page_size: usize,
    /// Test knob: answer empty pages that still carry a continuation token, so clients must
    /// prove they keep going until the token is absent: between real pages for `opc-next-page`
    /// lists, and for ListObjects a first page (of every listing) with no objects whose
    /// `nextStartWith` is the first name (an empty page later on could only repeat its request's inclusive `start`,
    /// which clients rightly take for the end). Default `false`.
    pub empty_pages: bool,
    /// The Object Storage namespace. Default `ocisdkemulator`.
    pub namespace: String,
    /// The emulator's clock runs this many seconds ahead of the system clock (negative: behind).
    /// Used for the signature date check and for timestamps. Default 0. Can be changed later
    /// with [`Emulator::set_clock_skew_secs`].
    pub clock_skew_secs: i64,
    /// Largest accepted difference between the request's `x-date`/`date` and the emulator's
    /// clock. Default 300 seconds (OCI's five minutes).
    pub max_skew_secs: u64,
    /// The private key (PKCS#8 or PKCS#1 PEM, unencrypted) to trust. Default `None`: the
    /// built-in test key ([`TEST_PRIVATE_KEY_PEM`]), so an emulator starts in milliseconds even
    /// in an unoptimised build; [`generate_key_pem`] makes a fresh one (slowly, unoptimised).
    pub key_pem: Option<String>,
    /// Tenancy OCID. Default `None`: a random `ocid1.tenancy.oc1..aaaaaaaa…`.
    pub tenancy_id: Option<String>,
    /// OCID of the user owning the key. Default `None`: a random `ocid1.user.oc1..aaaaaaaa…`.
    pub user_id: Option<String>,
    /// The region this emulator plays: written by [`Emulator::config_text`] and compared with
    /// [`home_region`](EmulatorConfig::home_region). Default [`EMULATOR_REGION`]
    /// (`ocisdk-emulator`), which names no real region, so that a client built from the
    /// generated profile without the emulator's URL as its endpoint cannot reach real OCI.
    pub region: String,
    /// The tenancy's home region (a region identifier such as `us-phoenix-1`). When set and not
    /// [`region`](EmulatorConfig::region), every Identity write (a POST, PUT, PATCH or DELETE
    /// operation of the Identity API) is refused as OCI refuses IAM writes outside the home
    /// region: `403 NotAllowed`, "Please go to your home region … to execute CREATE, UPDATE and
    /// DELETE operations.", after authentication and before anything is applied. Reads are
    /// served. Default `None`: no such rule.
    pub home_region: Option<String>,
    /// Largest object or part accepted (413 above). Default 4 GiB.
    pub max_object_bytes: u64,
    /// Tokio worker threads of the emulator's runtime. Default 2.
    pub worker_threads: usize,
    /// Faults injected from the start, consulted in this order (see *Fault injection* in the
    /// crate docs). More can be added with [`Emulator::inject`]. Default: none.
    pub faults: Vec<Fault>,
    /// How long a CopyObject's work request stays `IN_PROGRESS` before the copy is written and
    /// it is `COMPLETED`. Default 200 ms: a client must wait for the work request, and a test
    /// that does stays fast.
    pub work_request_delay: Duration,
    /// Secrets of the emulator's vault ([`DEFAULT_VAULT_ID`]) at start, as (name, value); a
    /// name given again adds a version, which becomes the current one. Default: none. More with
    /// [`Emulator::put_secret`].
    pub secrets: Vec<(String, String)>,
    /// How long a session token issued by the refresh endpoint (`POST
    /// /v1/authentication/refresh`) lives: its `exp` is this long after its `iat`, in whole
    /// seconds. Default one hour (OCI's session tokens live 5 to 60 minutes). Tokens issued
    /// with [`Emulator::issue_session_token`] get the lifetime given there.
    pub session_token_lifetime: Duration,
    /// The OKE proxymux ([`Emulator::proxymux_url`]) serves HTTPS with this certificate chain
    /// and private key (PEM; the chain's CA plays the cluster CA a pod's `ca.crt` holds).
    /// Default `None`: plain HTTP.
    pub proxymux_tls: Option<(String, String)>,
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("page_size", &self.page_size)
            .field("empty_pages", &self.empty_pages)
            .field("namespace", &self.namespace)
            .field("clock_skew_secs", &self.clock_skew_secs)
            .field("max_skew_secs", &self.max_skew_secs)
            .field("key_pem", &self.key_pem.as_ref().map(|_| "<redacted>"))
            .field("tenancy_id", &self.tenancy_id)
            .field("user_id", &self.user_id)
            .field("region", &self.region)
            .field("home_region", &self.home_region)
            .field("max_object_bytes", &self.max_object_bytes)
            .field("worker_threads", &self.worker_threads)
            .field("faults", &self.faults)
            .field("work_request_delay", &self.work_request_delay)
            .field(
                "secrets",
                &self.secrets.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("session_token_lifetime", &self.session_token_lifetime)
            .field("proxymux_tls", &self.proxymux_tls.is_some())
            .finish()
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            page_size: 3,
            empty_pages: false,
            namespace: "ocisdkemulator".to_string(),
            clock_skew_secs: 0,
            max_skew_secs: 300,
            key_pem: None,
            tenancy_id: None,
            user_id: None,
            region: EMULATOR_REGION.to_string(),
            home_region: None,
            max_object_bytes: 4 << 30,
            worker_threads: 2,
            faults: Vec::new(),
            work_request_delay: Duration::from_millis(200),
            secrets: Vec::new(),
            session_token_lifetime: Duration::from_secs(3600),
            proxymux_tls: None,
        }
    }
}

/// Counters for tests (see [`Emulator::stats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// HTTP requests received (every method, including CORS preflights and failed ones).
    pub requests: u64,
    /// TCP connections accepted; compare with `requests` to prove connection reuse.
    pub connections: u64,
    /// Requests answered `401 NotAuthenticated`.
    pub auth_failures: u64,
    /// Requests per OCI operation name (`CreateGroup`, `PutObject`, …; `CorsPreflight` for
    /// OPTIONS; `Unknown` for unrouted requests).
    pub operations: BTreeMap<String, u64>,
    /// Requests hit by an injected fault (each is also counted in `requests` and `operations`).
    pub faults_fired: u64,
    /// Fired faults per [`FaultKind::name`] (`Status`, `CommitThenDrop`, …).
    pub fired_by_kind: BTreeMap<String, u64>,
    /// Session tokens issued by the refresh endpoint (successful refreshes; refused ones are
    /// in `auth_failures` or are answered 4xx, and every refresh request is in
    /// `operations["RefreshSessionToken"]`).
    pub token_refreshes: u64,
    /// Session tokens issued by the instance-principal federation endpoint (`POST /v1/x509`;
    /// every federation request is in `operations["FederateInstancePrincipal"]`, every IMDS
    /// read in `operations["InstanceMetadata"]`).
    pub federations: u64,
    /// Session tokens issued by the OKE proxymux ([`Emulator::proxymux_url`]; every proxymux
    /// request is in `operations["OkeWorkloadIdentityToken"]`).
    pub oke_tokens: u64,
    /// Requests that passed authentication carrying a live, signed delegation token
    /// (`opc-obo-token`, from [`Emulator::issue_delegation_token`]).
    pub delegated_requests: u64,
}

impl Stats {
    /// How many requests the named operation received.
    pub fn operation(&self, name: &str) -> u64 {
        self.operations.get(name).copied().unwrap_or(0)
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    app: Arc<App>,
    addr: SocketAddr,
    url: String,
    proxymux_url: String,
    tenancy_id: String,
    user_id: String,
    fingerprint: String,
    namespace: String,
    region: String,
    private_key_pem: String,
    public_key_pem: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.url)
            .field("tenancy_id", &self.tenancy_id)
            .field("user_id", &self.user_id)
            .field("fingerprint", &self.fingerprint)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator on `127.0.0.1:0` with the default configuration and returns once it
    /// is listening.
    pub fn start() -> Result<Emulator, EmulatorError> {
        Self::start_with(EmulatorConfig::default())
    }

    /// Starts an emulator with `config` and returns once it is listening.
    pub fn start_with(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        let key = match &config.key_pem {
            Some(pem) => KeyMaterial::from_private_pem(pem)?,
            None => keys::test_key()?,
        };
        let mut rng = os_seeded_rng();
        let tenancy_id = config
            .tenancy_id
            .clone()
            .unwrap_or_else(|| ocid(&mut rng, "tenancy", ""));
        let user_id = config
            .user_id
            .clone()
            .unwrap_or_else(|| ocid(&mut rng, "user", ""));
        let request_prefix = random_hex(&mut rng, 12).to_ascii_uppercase();
        let admin_etag = random_hex(&mut rng, 16);
        let now = SystemTime::now();

        let mut state = State {
            rng,
            seq: 1,
            tenancy_id: tenancy_id.clone(),
            namespace: config.namespace.clone(),
            groups: IamTable::default(),
            users: IamTable::default(),
            memberships: HashMap::new(),
            buckets: BTreeMap::new(),
            retry: HashMap::new(),
            generic: HashMap::new(),
            key_changes: Vec::new(),
            iam_work_requests: BTreeMap::new(),
            work_requests: BTreeMap::new(),
            work_request_delay: config.work_request_delay,
            region: config.region.clone(),
            secrets: secrets::Vault::new(DEFAULT_VAULT_ID),
        };
        for (name, value) in &config.secrets {
            put_secret(&mut state, name, value.as_bytes(), now);
        }
        state.users.insert(User {
            common: IamCommon {
                seq: 1,
                id: user_id.clone(),
                name: "emulator-admin".to_string(),
                description: "The owner of the emulator's API key".to_string(),
                time_created: now,
                etag: admin_etag,
                freeform_tags: json!({}),
                defined_tags: json!({}),
            },
            email: None,
            db_user_name: None,
        });
        identity::generic::seed_api_key(
            &mut state,
            &user_id,
            &key.fingerprint,
            &key.public_pem,
            now,
        );
        let mut registry = KeyRegistry::default();
        registry.api_keys.insert(
            format!("{tenancy_id}/{user_id}/{}", key.fingerprint),
            key.public.clone(),
        );
        let identity =
            instance::issue_identity(&mut registry, &mut state.rng, &tenancy_id, 1, true, None)
                .map_err(EmulatorError::Key)?;

        let app = Arc::new(App {
            state: Mutex::new(state),
            keys: RwLock::new(registry),
            page_size: config.page_size.max(1),
            empty_pages: config.empty_pages,
            max_object_bytes: config.max_object_bytes,
            max_skew: Duration::from_secs(config.max_skew_secs),
            clock_skew_secs: AtomicI64::new(config.clock_skew_secs),
            counters: Counters::default(),
            request_prefix,
            request_counter: AtomicU64::new(1),
            default_user: user_id.clone(),
            faults: FaultTable::new(config.faults.clone()),
            identity_writes_go_to: config
                .home_region
                .clone()
                .filter(|home| !home.trim().eq_ignore_ascii_case(config.region.trim())),
            session_token_lifetime_ms: AtomicU64::new(
                u64::try_from(config.session_token_lifetime.as_millis()).unwrap_or(u64::MAX),
            ),
            instance: Mutex::new(identity),
        });

        let std_listener = std::net::TcpListener::bind(config.listen)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        // The OKE proxymux has an address of its own, as on a cluster (port 12250 of the
        // service host), on the same interface.
        let proxymux_listener = std::net::TcpListener::bind((config.listen.ip(), 0))?;
        proxymux_listener.set_nonblocking(true)?;
        let proxymux_addr = proxymux_listener.local_addr()?;
        let proxymux_tls = match &config.proxymux_tls {
            Some((chain, key)) => {
                Some(oke::tls_acceptor(chain, key).map_err(EmulatorError::Start)?)
            }
            None => None,
        };
        let proxymux_scheme = if proxymux_tls.is_some() {
            "https"
        } else {
            "http"
        };
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let server_app = Arc::clone(&app);
        let workers = config.worker_threads.max(1);
        let thread = std::thread::Builder::new()
            .name(format!("ocisdk-emulator-{}", addr.port()))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(workers)
                    .thread_name("ocisdk-emulator-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("cannot build tokio runtime: {e}")));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("cannot register listener: {e}")));
                            return;
                        }
                    };
                    let proxymux = match tokio::net::TcpListener::from_std(proxymux_listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("cannot register listener: {e}")));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    // The proxymux stops with the server (its future is dropped then).
                    tokio::select! {
                        () = server::serve(listener, Arc::clone(&server_app), shutdown_rx) => {}
                        () = oke::serve(proxymux, proxymux_tls, server_app) => {}
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(500));
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(EmulatorError::Start(e)),
            Err(_) => return Err(EmulatorError::Start("server thread exited early".into())),
        }
        tracing::debug!(%addr, tenancy = %tenancy_id, "ocisdk-emulator listening");

        Ok(Emulator {
            app,
            addr,
            url: format!("http://{addr}"),
            proxymux_url: format!("{proxymux_scheme}://{proxymux_addr}"),
            tenancy_id,
            user_id,
            fingerprint: key.fingerprint,
            namespace: config.namespace,
            region: config.region,
            private_key_pem: key.private_pem,
            public_key_pem: key.public_pem,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). Use it as the endpoint
    /// of both Identity (which adds `/20160918`) and Object Storage.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The tenancy OCID (also the compartment of users and groups).
    pub fn tenancy_id(&self) -> &str {
        &self.tenancy_id
    }

    /// The OCID of the user owning the emulator's key.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The key's fingerprint (MD5 of the DER SubjectPublicKeyInfo, `aa:bb:…`).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The key id clients must sign with: `<tenancy>/<user>/<fingerprint>`.
    pub fn key_id(&self) -> String {
        format!("{}/{}/{}", self.tenancy_id, self.user_id, self.fingerprint)
    }

    /// The Object Storage namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The region written into [`Emulator::config_text`].
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn private_key_pem(&self) -> &str {
        &self.private_key_pem
    }

    /// The public key as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    /// An OCI config file with one `[DEFAULT]` profile for this emulator's key. Its `region` is
    /// [`EmulatorConfig::region`], by default [`EMULATOR_REGION`], which resolves to no
    /// endpoint: give clients [`Emulator::url`] as their endpoint (the comment at the top of
    /// the file says so too).
    pub fn config_text(&self, key_file: &str) -> String {
        format!(
            "# ocisdk-emulator at {url}\n# Give clients that URL as their endpoint (ocisdk: `.endpoint(\"{url}\")`; Python: service_endpoint=; the OCI CLI: --endpoint).\n# Without it a client uses the region below, which is no real region when it is {EMULATOR_REGION}.\n[DEFAULT]\nuser={user}\nfingerprint={fp}\nkey_file={key_file}\ntenancy={tenancy}\nregion={region}\n",
            url = self.url,
            user = self.user_id,
            fp = self.fingerprint,
            tenancy = self.tenancy_id,
            region = self.region,
        )
    }

    /// Writes `key.pem` and `config` into `dir` and returns the config path. The config's
    /// `key_file` is the absolute path of `key.pem`.
    ///
    /// `dir` is created if needed (on Unix with mode 0700). Each file is written to a new file
    /// created exclusively (`create_new`, on Unix mode 0600) under a random name in `dir`, then
    /// renamed over `key.pem` / `config`: an earlier `key.pem` or `config` there is replaced, but
    /// a symlink planted under either name is replaced as a link, never followed, and no
    /// existing file is ever written through.
    pub fn write_config(&self, dir: &Path) -> Result<PathBuf, EmulatorError> {
        create_private_dir_all(dir)?;
        let dir = std::fs::canonicalize(dir)?;
        let key_path = dir.join("key.pem");
        write_private(&key_path, self.private_key_pem.as_bytes())?;
        let config_path = dir.join("config");
        write_private(
            &config_path,
            self.config_text(&key_path.to_string_lossy()).as_bytes(),
        )?;
        Ok(config_path)
    }

    /// Trusts another API key: requests signed with keyId `<tenancy>/<user>/<fingerprint>` are
    /// verified with `public_key_pem` (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`).
    pub fn add_api_key(
        &self,
        tenancy: &str,
        user: &str,
        fingerprint: &str,
        public_key_pem: &str,
    ) -> Result<(), EmulatorError> {
        let key = parse_public_pem(public_key_pem)?;
        self.registry()
            .api_keys
            .insert(format!("{tenancy}/{user}/{fingerprint}"), key);
        Ok(())
    }

    /// Trusts a session token: requests signed with keyId `ST$<token>` are verified with
    /// `public_key_pem`. `token` is given without the `ST$` prefix.
    pub fn add_session_token(
        &self,
        token: &str,
        public_key_pem: &str,
    ) -> Result<(), EmulatorError> {
        let key: RsaPublicKey = parse_public_pem(public_key_pem)?;
        self.registry()
            .session_tokens
            .insert(token.trim().to_string(), key);
        Ok(())
    }

    /// Issues a session token for the session key `public_key_pem` (`BEGIN PUBLIC KEY` or
    /// `BEGIN RSA PUBLIC KEY`) that expires `lifetime` from now (whole seconds, at least one),
    /// as `oci session authenticate` obtains one: requests signed with keyId `ST$<token>` and
    /// that key verify until then, and the refresh endpoint exchanges it for a new one. Write
    /// it to a `security_token_file` ([`Emulator::write_session_config`] does all of it).
    pub fn issue_session_token(
        &self,
        public_key_pem: &str,
        lifetime: Duration,
    ) -> Result<String, EmulatorError> {
        let key: RsaPublicKey = parse_public_pem(public_key_pem)?;
        let now = self.app.now();
        Ok(self.app.with_token_keys(|keys, rng, tenancy| {
            session::issue(keys, rng, key, tenancy, now, lifetime)
        }))
    }

    /// Issues a resource principal session token (RPST) bound to `public_key_pem` (the key a
    /// resource-principal environment's `OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM` holds) that
    /// expires `lifetime` from now (whole seconds, at least one), as the platform of an OCI
    /// Function hands one out: its claims name the emulator's tenancy (`res_tenant`),
    /// [`RESOURCE_COMPARTMENT`] and [`RESOURCE_ID`]; requests signed with keyId `ST$<rpst>`
    /// and that key verify until then. [`Emulator::revoke_session_tokens`] and
    /// [`Emulator::expire_session_tokens`] apply to it too.
    pub fn issue_resource_principal_token(
        &self,
        public_key_pem: &str,
        lifetime: Duration,
    ) -> Result<String, EmulatorError> {
        let key: RsaPublicKey = parse_public_pem(public_key_pem)?;
        let now = self.app.now();
        Ok(self.app.with_token_keys(|keys, rng, tenancy| {
            session::issue_resource(keys, rng, key, tenancy, now, lifetime)
        }))
    }

    /// Registers `public_key_pem` as the key of the emulator's resource ([`RESOURCE_ID`]) for
    /// resource principals 2.1, 2.1.1 and 2.1.2: requests signed with it as keyId
    /// `resource/v2.1/<resource>` or `resource/v2.1.x/<tenancy>/<resource>` may ask for a
    /// resource principal token (`GET /20180711/resourcePrincipalTokenV2/<resource>`) and
    /// exchange it for an RPST (`POST /v1/resourcePrincipalSessionToken`), both at
    /// [`Emulator::url`]; the RPST lives as the session tokens do
    /// ([`EmulatorConfig::session_token_lifetime`]). Every exchange is in
    /// [`Stats::operations`] (`GetResourcePrincipalToken`, `GetResourcePrincipalSessionToken`).
    /// (Resource principals 1.1 need no key: the same two exchanges are open to an instance
    /// signing with its session token, at `GET /20180711/resourcePrincipalToken/<id>`.)
    pub fn add_resource_principal_key(&self, public_key_pem: &str) -> Result<(), EmulatorError> {
        let key: RsaPublicKey = parse_public_pem(public_key_pem)?;
        let mut keys = self.registry();
        for key_id in resource::key_ids(&self.tenancy_id) {
            keys.api_keys.insert(key_id, key.clone());
        }
        Ok(())
    }

    /// Writes a resource-principal (2.2) environment's files into `dir`: `rp_key.pem` (the
    /// emulator's key serves as the resource's key) and `rpst` (a token from
    /// [`Emulator::issue_resource_principal_token`] living `lifetime`). Returns their paths
    /// (key, token), for `OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM` and `OCI_RESOURCE_PRINCIPAL_RPST`.
    pub fn write_resource_principal(
        &self,
        dir: &Path,
        lifetime: Duration,
    ) -> Result<(PathBuf, PathBuf), EmulatorError> {
        create_private_dir_all(dir)?;
        let dir = std::fs::canonicalize(dir)?;
        let key_path = dir.join("rp_key.pem");
        write_private(&key_path, self.private_key_pem.as_bytes())?;
        let token = self.issue_resource_principal_token(&self.public_key_pem, lifetime)?;
        let token_path = dir.join("rpst");
        write_private(&token_path, token.as_bytes())?;
        Ok((key_path, token_path))
    }

    /// Revokes every session token issued so far: from now on each is refused with `401
    /// NotAuthenticated` on every service request, as when the service stops honouring a
    /// token before its `exp`. The session itself lives on: the refresh endpoint still
    /// exchanges a revoked (unexpired) token for a new one, which is what a client does after
    /// a 401. Returns how many tokens were revoked.
    pub fn revoke_session_tokens(&self) -> usize {
        let mut keys = self.registry();
        let mut n = 0;
        for issued in keys.issued.values_mut().filter(|t| !t.revoked) {
            issued.revoked = true;
            n += 1;
        }
        n
    }

    /// Expires every session token issued so far, now: each is refused with `401
    /// NotAuthenticated` everywhere, the refresh endpoint included (OCI does not refresh an
    /// expired token: the user signs in again). Returns how many tokens were expired.
    pub fn expire_session_tokens(&self) -> usize {
        let now = self.app.now();
        let mut keys = self.registry();
        let mut n = 0;
        for issued in keys.issued.values_mut().filter(|t| t.expires > now) {
            issued.expires = now;
            n += 1;
        }
        n
    }

    /// An OCI config file with one `[DEFAULT]` session-token profile (`security_token_file`,
    /// `key_file` of the session key, `fingerprint`, `tenancy`, `region`, no `user`), as `oci
    /// session authenticate` writes one. Give clients [`Emulator::url`] as their endpoint and
    /// as their auth endpoint.
    pub fn session_config_text(&self, key_file: &str, token_file: &str) -> String {
        format!(
            "# ocisdk-emulator at {url}: a session-token profile.\n# Give clients that URL as their endpoint and their auth endpoint (ocisdk: `.endpoint(\"{url}\").auth_endpoint(\"{url}\")`).\n[DEFAULT]\nfingerprint={fp}\nkey_file={key_file}\ntenancy={tenancy}\nregion={region}\nsecurity_token_file={token_file}\n",
            url = self.url,
            fp = self.fingerprint,
            tenancy = self.tenancy_id,
            region = self.region,
        )
    }

    /// Writes a session-token profile into `dir` (as [`Emulator::write_config`] does for the
    /// API key): `key.pem` (the emulator's key serves as the session key), `token` (a token
    /// from [`Emulator::issue_session_token`] living `lifetime`) and `config`
    /// ([`Emulator::session_config_text`]). Returns the config path.
    pub fn write_session_config(
        &self,
        dir: &Path,
        lifetime: Duration,
    ) -> Result<PathBuf, EmulatorError> {
        create_private_dir_all(dir)?;
        let dir = std::fs::canonicalize(dir)?;
        let key_path = dir.join("key.pem");
        write_private(&key_path, self.private_key_pem.as_bytes())?;
        let token = self.issue_session_token(&self.public_key_pem, lifetime)?;
        let token_path = dir.join("token");
        write_private(&token_path, token.as_bytes())?;
        let config_path = dir.join("config");
        write_private(
            &config_path,
            self.session_config_text(&key_path.to_string_lossy(), &token_path.to_string_lossy())
                .as_bytes(),
        )?;
        Ok(config_path)
    }

    fn registry(&self) -> std::sync::RwLockWriteGuard<'_, KeyRegistry> {
        self.app.keys.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The OCID of the emulator's vault ([`DEFAULT_VAULT_ID`]), for GetSecretBundleByName.
    pub fn vault_id(&self) -> &str {
        DEFAULT_VAULT_ID
    }

    /// Adds `value` as the new current version of secret `name` of the vault (creating the
    /// secret the first time); the version before becomes `PREVIOUS`. Returns the secret's OCID.
    pub fn put_secret(&self, name: &str, value: &[u8]) -> String {
        let now = self.app.now();
        let mut st = self.app.lock();
        put_secret(&mut st, name, value, now)
    }

    /// Shifts the emulator's clock relative to the system clock (seconds; negative: behind).
    pub fn set_clock_skew_secs(&self, secs: i64) {
        self.app.clock_skew_secs.store(secs, Ordering::Relaxed);
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.stats_now()
    }

    /// From now on, the session tokens the refresh and federation endpoints issue live
    /// `lifetime` (whole seconds; at least one), instead of
    /// [`EmulatorConfig::session_token_lifetime`]. Tokens already issued keep their `exp`.
    pub fn set_session_token_lifetime(&self, lifetime: Duration) {
        self.app.session_token_lifetime_ms.store(
            u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// The instance metadata service's v2 base URL (`<url>/opc/v2`), for an instance-principal
    /// client's `imds_endpoint`; the federation endpoint is at [`Emulator::url`], its auth
    /// endpoint.
    pub fn imds_url(&self) -> String {
        format!("{}/opc/v2", self.url)
    }

    /// The OKE proxymux's base URL (its own address; plain HTTP unless
    /// [`EmulatorConfig::proxymux_tls`] is set), for an OKE workload-identity
    /// client's proxymux endpoint: `POST <url>/resourcePrincipalSessionTokens` with a
    /// service-account token from [`Emulator::issue_service_account_token`] as its bearer
    /// token and `{"podKey": …}` answers the base64 of `{"token": "ST$<JWT>"}`, a session token
    /// bound to the pod key that lives as refreshed tokens do
    /// ([`Emulator::set_session_token_lifetime`]); [`Stats::oke_tokens`] counts them.
    pub fn proxymux_url(&self) -> &str {
        &self.proxymux_url
    }

    /// Issues a Kubernetes service-account token (a JWT with `exp`) that the proxymux accepts
    /// until it expires, `lifetime` from now: write it where the client reads its token.
    pub fn issue_service_account_token(&self, lifetime: Duration) -> String {
        let now = self.app.now();
        self.app
            .with_token_keys(|keys, rng, _| oke::issue_sa_token(&mut keys.oke, rng, now, lifetime))
    }

    /// Expires every service-account token issued so far, now (as when a pod's projected token
    /// outlives its validity): the proxymux refuses each from now on. Returns how many.
    pub fn expire_service_account_tokens(&self) -> usize {
        let now = self.app.now();
        let mut keys = self.registry();
        let mut n = 0;
        for exp in keys.oke.sa_tokens.values_mut().filter(|e| **e > now) {
            *exp = now;
            n += 1;
        }
        n
    }

    /// Plays a basic (not "enhanced") OKE cluster: the proxymux refuses every request with
    /// `403`, as OKE does for workload identity outside enhanced clusters. `false` undoes it.
    pub fn set_oke_basic_cluster(&self, basic: bool) {
        self.registry().oke.basic_cluster = basic;
    }

    /// Issues a delegation token for the emulator's user that lives `lifetime` from now: a
    /// request carrying it as `opc-obo-token` is accepted only when the header is signed and
    /// the token is alive (else `401 NotAuthenticated`); [`Stats::delegated_requests`] counts
    /// the accepted ones.
    pub fn issue_delegation_token(&self, lifetime: Duration) -> String {
        let now = self.app.now();
        self.app.with_token_keys(|keys, rng, _| {
            delegation::issue(
                &mut keys.delegation_tokens,
                rng,
                &self.user_id,
                now,
                lifetime,
            )
        })
    }

    /// Rotates the instance's leaf certificate (and key): IMDS serves the new one, and only the
    /// new one federates. With `tenancy_in_subject` false, the new leaf's subject lacks
    /// `OU=opc-tenant:<tenancy>` (a certificate clients must refuse). Returns the leaf's serial.
    pub fn rotate_instance_certificate(
        &self,
        tenancy_in_subject: bool,
    ) -> Result<u64, EmulatorError> {
        let (tenancy, mut rng) = self.app.token_rng();
        let mut identity = self.app.instance.lock().unwrap_or_else(|e| e.into_inner());
        let mut keys = self.app.keys.write().unwrap_or_else(|e| e.into_inner());
        let next = instance::issue_identity(
            &mut keys,
            &mut rng,
            &tenancy,
            identity.serial + 1,
            tenancy_in_subject,
            Some(&identity),
        )
        .map_err(EmulatorError::Key)?;
        *identity = next;
        Ok(identity.serial)
    }

    fn stats_now(&self) -> Stats {
        let c = &self.app.counters;
        let ops = c.ops.lock().unwrap_or_else(|e| e.into_inner());
        let fired = self.app.faults.fired();
        Stats {
            requests: c.requests.load(Ordering::Relaxed),
            connections: c.connections.load(Ordering::Relaxed),
            auth_failures: c.auth_failures.load(Ordering::Relaxed),
            operations: ops.iter().map(|(k, v)| ((*k).to_string(), *v)).collect(),
            faults_fired: fired.total,
            fired_by_kind: fired
                .by_kind
                .iter()
                .map(|(k, v)| ((*k).to_string(), *v))
                .collect(),
            token_refreshes: c.token_refreshes.load(Ordering::Relaxed),
            federations: c.federations.load(Ordering::Relaxed),
            oke_tokens: c.oke_tokens.load(Ordering::Relaxed),
            delegated_requests: c.delegated_requests.load(Ordering::Relaxed),
        }
    }

    /// Resets all counters to zero.
    pub fn reset_stats(&self) {
        let c = &self.app.counters;
        c.requests.store(0, Ordering::Relaxed);
        c.connections.store(0, Ordering::Relaxed);
        c.auth_failures.store(0, Ordering::Relaxed);
        c.token_refreshes.store(0, Ordering::Relaxed);
        c.federations.store(0, Ordering::Relaxed);
        c.oke_tokens.store(0, Ordering::Relaxed);
        c.delegated_requests.store(0, Ordering::Relaxed);
        c.ops.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.app.faults.reset_fired();
    }

    /// Adds a fault after those already present; its request counts start now. Takes effect
    /// for requests whose authentication completes after this returns.
    pub fn inject(&self, fault: Fault) {
        self.app.faults.push(fault);
    }

    /// Removes every fault (from the configuration and from [`Emulator::inject`]). The
    /// counters in [`Stats`] are kept; [`Emulator::reset_stats`] clears them.
    pub fn clear_faults(&self) {
        self.app.faults.clear();
    }

    /// Stops the server and waits for its thread. Dropping the emulator does the same.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

fn put_secret(st: &mut State, name: &str, value: &[u8], now: SystemTime) -> String {
    let State { secrets, rng, .. } = st;
    secrets
        .put(name, value, now, || ocid(rng, "vaultsecret", "iad"))
        .0
}

/// Creates `dir` and its missing parents; on Unix the ones it creates get mode 0700.
fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Writes `data` to `path` without following or writing through anything already there: into a
/// new file created exclusively under a random name beside `path` (on Unix with mode 0600), then
/// renamed onto `path` (which replaces a file or symlink of that name, never its target).
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let parent = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut random = [0u8; 12];
    getrandom::getrandom(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = parent.join(format!(".{name}.{suffix}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    // Only a file this call created is ever removed.
    let mut file = options.open(&tmp)?;
    let written = file.write_all(data).and_then(|()| file.sync_all());
    drop(file);
    let result = written.and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

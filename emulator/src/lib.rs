//! `ocisdk-emulator`: a local, in-memory Oracle Cloud Infrastructure (OCI) **Identity** and
//! **Object Storage** that speaks the real wire format and **verifies every request signature**.
//!
//! It exists to test clients: it rebuilds the signing string from the request exactly as it
//! arrived (independently of any SDK code) and answers a precise `401 NotAuthenticated` when
//! something is off, e.g. `missing required signed header x-content-sha256` or
//! `signature does not verify for keyId … headers [...]; signing string was: …`.
//!
//! ```no_run
//! # fn main() -> Result<(), ocisdk_emulator::EmulatorError> {
//! let emu = ocisdk_emulator::Emulator::start()?;          // 127.0.0.1:<random port>
//! let dir = std::env::temp_dir().join("emu-example");
//! let config_path = emu.write_config(&dir)?;             // [DEFAULT] profile + key.pem
//! println!("{} {}", emu.url(), config_path.display());
//! // ... point a client at emu.url() with that config ...
//! assert!(emu.stats().requests == 0);
//! # Ok(()) }
//! ```
//!
//! # What it serves
//! * Identity under `/20160918`: groups, users, user-group memberships (create, get, update,
//!   list, delete; AddUserToGroup, RemoveUserFromGroup).
//! * Object Storage: GetNamespace, buckets (create, get, head, list, delete), objects (put,
//!   get with ranges, head, delete, list with prefix/delimiter/start/end/startAfter/fields) and
//!   multipart uploads (create, upload part, commit, abort, list parts, list uploads).
//!
//! Lists are paginated with a deliberately small default page
//! ([`EmulatorConfig::page_size`], 3) so that client paginators are exercised, and
//! [`EmulatorConfig::empty_pages`] inserts empty pages that still carry a continuation token.
//!
//! # Authentication
//! Every request except `OPTIONS` must carry `Authorization: Signature version="1",keyId=…,
//! algorithm="rsa-sha256",headers="…",signature="…"` (parameters in any order). Signed headers
//! must include `date` or `x-date` (x-date wins), `(request-target)` and `host`; PUT/POST/PATCH
//! also `content-length`, `content-type` and `x-content-sha256`, except PutObject and
//! UploadPart. A signed `x-content-sha256` / `content-length` must match the body received. The
//! date must be within [`EmulatorConfig::max_skew_secs`] of the emulator's clock (an
//! IMF-fixdate whose weekday is wrong is tolerated). Every failure is `401 NotAuthenticated`
//! with a message naming the problem; key material and session tokens never appear in it.
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
//! The tenancy holds one user (the owner of the API key, named `emulator-admin`), no groups and
//! no buckets.
//!
//! # Threading
//! [`Emulator::start`] runs the server on its own thread with its own tokio runtime, so it is
//! usable from plain synchronous `#[test]`s as well as from inside another runtime. Dropping the
//! [`Emulator`] (or calling [`Emulator::shutdown`]) stops it.

mod auth;
mod conn;
mod fault;
mod identity;
mod keys;
pub mod model;
mod object_storage;
mod server;
mod state;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use rsa::RsaPublicKey;
use serde_json::json;

pub use fault::{Fault, FaultKind};
pub use keys::{fingerprint, parse_private_pem, parse_public_pem};
pub use model::operation_names;
// For `fuzz/` only: the signature verifier without a server (see its doc).
#[doc(hidden)]
pub use auth::verify_signature;

use crate::auth::KeyRegistry;
use crate::fault::FaultTable;
use crate::keys::{KeyMaterial, ocid, os_seeded_rng, random_hex};
use crate::server::{App, Counters};
use crate::state::{IamCommon, State, User};

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
    /// The private key (PKCS#8 or PKCS#1 PEM, unencrypted) to trust. Default `None`: a 2048-bit
    /// key generated once per process and shared by all emulators in that process.
    pub key_pem: Option<String>,
    /// Tenancy OCID. Default `None`: a random `ocid1.tenancy.oc1..aaaaaaaa…`.
    pub tenancy_id: Option<String>,
    /// OCID of the user owning the key. Default `None`: a random `ocid1.user.oc1..aaaaaaaa…`.
    pub user_id: Option<String>,
    /// Region written by [`Emulator::config_text`]. Default `us-ashburn-1`.
    pub region: String,
    /// Largest object or part accepted (413 above). Default 4 GiB.
    pub max_object_bytes: u64,
    /// Tokio worker threads of the emulator's runtime. Default 2.
    pub worker_threads: usize,
    /// Faults injected from the start, consulted in this order (see *Fault injection* in the
    /// crate docs). More can be added with [`Emulator::inject`]. Default: none.
    pub faults: Vec<Fault>,
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
            .field("max_object_bytes", &self.max_object_bytes)
            .field("worker_threads", &self.worker_threads)
            .field("faults", &self.faults)
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
            region: "us-ashburn-1".to_string(),
            max_object_bytes: 4 << 30,
            worker_threads: 2,
            faults: Vec::new(),
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
            None => keys::shared_generated_key()?,
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
            groups: HashMap::new(),
            users: HashMap::new(),
            memberships: HashMap::new(),
            buckets: BTreeMap::new(),
            retry: HashMap::new(),
        };
        state.users.insert(
            user_id.clone(),
            User {
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
            },
        );
        let mut registry = KeyRegistry::default();
        registry.api_keys.insert(
            format!("{tenancy_id}/{user_id}/{}", key.fingerprint),
            key.public.clone(),
        );

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
        });

        let std_listener = std::net::TcpListener::bind(config.listen)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
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
                    let _ = ready_tx.send(Ok(()));
                    server::serve(listener, server_app, shutdown_rx).await;
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

    /// An OCI config file with one `[DEFAULT]` profile for this emulator's key.
    pub fn config_text(&self, key_file: &str) -> String {
        format!(
            "# ocisdk-emulator at {url}\n[DEFAULT]\nuser={user}\nfingerprint={fp}\nkey_file={key_file}\ntenancy={tenancy}\nregion={region}\n",
            url = self.url,
            user = self.user_id,
            fp = self.fingerprint,
            tenancy = self.tenancy_id,
            region = self.region,
        )
    }

    /// Writes `key.pem` and `config` into `dir` (created if needed) and returns the config path.
    /// The config's `key_file` is the absolute path of `key.pem`.
    pub fn write_config(&self, dir: &Path) -> Result<PathBuf, EmulatorError> {
        std::fs::create_dir_all(dir)?;
        let dir = std::fs::canonicalize(dir)?;
        let key_path = dir.join("key.pem");
        write_private(&key_path, self.private_key_pem.as_bytes())?;
        let config_path = dir.join("config");
        std::fs::write(&config_path, self.config_text(&key_path.to_string_lossy()))?;
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

    fn registry(&self) -> std::sync::RwLockWriteGuard<'_, KeyRegistry> {
        self.app.keys.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Shifts the emulator's clock relative to the system clock (seconds; negative: behind).
    pub fn set_clock_skew_secs(&self, secs: i64) {
        self.app.clock_skew_secs.store(secs, Ordering::Relaxed);
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
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
        }
    }

    /// Resets all counters to zero.
    pub fn reset_stats(&self) {
        let c = &self.app.counters;
        c.requests.store(0, Ordering::Relaxed);
        c.connections.store(0, Ordering::Relaxed);
        c.auth_failures.store(0, Ordering::Relaxed);
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

#[cfg(unix)]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)
}

#[cfg(not(unix))]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, data)
}

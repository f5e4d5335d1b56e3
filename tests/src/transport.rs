//! What a scenario needs from a client, whatever moves its bytes.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use md5::{Digest, Md5};
use ocisdk_core::error::{Error, TransportError};
use ocisdk_core::paginate::ListOperation;
use ocisdk_core::retry::RetryPolicy;
use ocisdk_core::{Context, Operation, Response};
use ocisdk_object_storage::{GetObject, ObjectMetadata, PutObject, PutObjectOutput};

/// How [`Transport::connect`] builds its client; `None` keeps the client's own default.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Sends every service here (the emulator's URL) instead of the profile region's endpoints.
    pub endpoint: Option<String>,
    /// The retry policy of every call (default: the client's).
    pub retry_policy: Option<RetryPolicy>,
    /// The read timeout (default: the client's, 60 s); on `fetch`, the client's timeout.
    pub read_timeout: Option<Duration>,
    /// Where session-token refreshes go (the emulator's URL) instead of the region's auth
    /// endpoint. Native transports only.
    pub auth_endpoint: Option<String>,
    /// Builds an instance-principal client reading this IMDS base URL (the emulator's
    /// `<url>/opc/v2`) instead of one from the credentials. Native transports only.
    pub imds_endpoint: Option<String>,
    /// Builds a resource-principal client from these `OCI_RESOURCE_PRINCIPAL_*` variables (as
    /// (name, value); the process environment is not read) instead of from the credentials.
    /// Native transports only.
    pub resource_principal: Option<Vec<(String, String)>>,
    /// Builds an OKE workload-identity client asking this proxymux (the emulator's
    /// `proxymux_url`) with the service-account token read from this file. Native transports
    /// only.
    pub oke: Option<(String, std::path::PathBuf)>,
    /// The cluster CA file an OKE client verifies an https proxymux with. Native transports
    /// only.
    pub oke_ca_path: Option<std::path::PathBuf>,
    /// Every request carries this delegation token (`opc-obo-token`). Native transports only.
    pub delegation_token: Option<String>,
}

/// What a client is built from, as text (a browser has no files): an OCI config file whose
/// `DEFAULT` profile names the user, tenancy, fingerprint and region, and the private key's PEM
/// (the profile's `key_file` is not read).
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The config file's text.
    pub config_text: String,
    /// The private key of the profile, PEM.
    pub key_pem: String,
}

impl Credentials {
    /// The same credentials with `key=value` in place of the profile's `key` line (added when
    /// there is none), e.g. another `region` or `fingerprint`.
    pub fn with_setting(&self, key: &str, value: &str) -> Credentials {
        let mut found = false;
        let mut text = String::with_capacity(self.config_text.len() + value.len());
        for line in self.config_text.lines() {
            let is_key = line
                .split_once('=')
                .is_some_and(|(k, _)| k.trim() == key && !line.trim_start().starts_with('#'));
            if is_key && !found {
                found = true;
                text.push_str(&format!("{key}={value}"));
            } else {
                text.push_str(line);
            }
            text.push('\n');
        }
        if !found {
            text.push_str(&format!("{key}={value}\n"));
        }
        Credentials {
            config_text: text,
            key_pem: self.key_pem.clone(),
        }
    }

    /// The value of `key` in the profile, if set (`region`, `user`).
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.config_text.lines().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key && !line.trim_start().starts_with('#')).then_some(v.trim())
        })
    }

    /// The same profile signing with `key_pem` instead (its `fingerprint` line follows the
    /// key): credentials the service has never seen.
    pub fn with_key(&self, key_pem: &str) -> Result<Credentials, Error> {
        let key = ocisdk_core::auth::PrivateKey::from_pem(key_pem, None, "<other key>")?;
        let mut other = self.with_setting("fingerprint", &key.fingerprint());
        other.key_pem = key_pem.to_string();
        Ok(other)
    }
}

/// An upload body, described independently of any transport; each [`Transport`] maps it onto
/// its own upload types, keeping whether it can be sent twice (see [`Transport::accepts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestBody {
    /// Bytes in memory: replayable.
    Bytes(Vec<u8>),
    /// A file, read from its start: replayable (it seeks back for a retry). Native only.
    File(std::path::PathBuf),
    /// `len` bytes of [`pattern`] generated while they are sent, never whole in memory, and
    /// read at most once: a failed attempt that read from it is not retried.
    OneShotPattern {
        /// Bytes in all.
        len: u64,
        /// Which pattern.
        seed: u64,
    },
    /// `len` bytes of [`pattern`] generated while they are sent, never whole in memory, that
    /// can be generated again from the start for a retry (on `fetch`: a `Blob` built chunk by
    /// chunk, so never whole in wasm memory either).
    ReplayablePattern {
        /// Bytes in all.
        len: u64,
        /// Which pattern.
        seed: u64,
    },
    /// A one-shot stream of these chunks, one per read, then the end, or a read error with
    /// this message.
    OneShotChunks {
        /// The chunks, in order.
        chunks: Vec<Vec<u8>>,
        /// The reader's error after the last chunk, if it fails instead of ending.
        error: Option<String>,
    },
}

impl TestBody {
    /// Whether a transport must be able to retry an attempt that already read from it.
    pub fn is_replayable(&self) -> bool {
        match self {
            TestBody::Bytes(_) | TestBody::File(_) | TestBody::ReplayablePattern { .. } => true,
            TestBody::OneShotPattern { .. } | TestBody::OneShotChunks { .. } => false,
        }
    }
}

/// The answer to a plain HTTP request ([`Transport::unsigned`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body, whole.
    pub body: Vec<u8>,
}

/// A downloaded object, digested as it streamed in.
#[derive(Debug)]
pub struct ObjectDigest {
    /// Status, headers and typed metadata of the GetObject response.
    pub meta: Response<ObjectMetadata>,
    /// Bytes received.
    pub len: u64,
    /// MD5 of the bytes received.
    pub md5: [u8; 16],
}

impl ObjectDigest {
    /// Whether exactly `bytes` arrived.
    pub fn is(&self, bytes: &[u8]) -> bool {
        self.len == bytes.len() as u64 && self.md5 == md5(bytes)
    }
}

/// A client of one transport, as the scenarios drive it: async, whatever the client is.
///
/// Every method runs one thing to completion on the transport's real client: the blocking
/// client calls straight through (its futures are ready when first polled); the hyper client
/// runs each call as a task on its runtime; the `fetch` client awaits the browser. Errors are
/// the core's [`Error`], exactly as the client returned them; a scenario asserting on them
/// asserts on the transport.
///
/// The futures are not `Send`: a scenario is driven on one thread (a test's, a browser's).
#[allow(async_fn_in_trait)]
pub trait Transport: std::fmt::Debug + Sized + 'static {
    /// A short name for messages (`blocking`, `hyper`, `wasm`).
    const NAME: &'static str;

    /// A client from `credentials`, adjusted by `options`. Fails as building the real client
    /// fails (unknown region, bad key, …).
    fn connect(credentials: &Credentials, options: &ClientOptions) -> Result<Self, Error>;

    /// A client sharing this one's connections whose calls use `policy`.
    fn with_retry_policy(&self, policy: RetryPolicy) -> Self;

    /// The tenancy OCID of the profile.
    fn tenancy(&self) -> &str;

    /// The core context (signer, endpoints, retry policy).
    fn context(&self) -> &Arc<Context>;

    /// Whether [`Transport::put_object`] can send `body` as the scenario means it (a transport
    /// that cannot keep a body one-shot, or has no files, refuses it rather than send it
    /// differently). Scenarios skip, or replace, the bodies a transport does not accept.
    fn accepts(body: &TestBody) -> bool {
        let _ = body;
        true
    }

    /// Runs any operation whose bodies fit in memory.
    async fn execute<O>(&self, op: O) -> Result<Response<O::Output>, Error>
    where
        O: Operation + Send + 'static,
        O::Output: Send + 'static;

    /// Every record of a list through the transport's paginator (an `Iterator`, a `Stream`),
    /// stopping after `max_records` if given. The first failing page is the error.
    async fn collect_all<O>(&self, op: O, max_records: Option<u64>) -> Result<Vec<O::Item>, Error>
    where
        O: ListOperation + Send + 'static,
        O::Output: Send + 'static,
        O::Item: Send + 'static;

    /// Every page of a list, with its metadata, through the transport's page paginator,
    /// stopping after `max_records` records in all if given.
    async fn collect_pages<O>(
        &self,
        op: O,
        max_records: Option<u64>,
    ) -> Result<Vec<Response<Vec<O::Item>>>, Error>
    where
        O: ListOperation + Send + 'static,
        O::Output: Send + 'static,
        O::Item: Send + 'static;

    /// PutObject with `body` mapped onto the transport's upload type (`request.content_length`
    /// is what is declared, whatever the body holds). A body the transport does not
    /// [accept](Transport::accepts) is [`Error::Misuse`].
    async fn put_object(
        &self,
        request: PutObject,
        body: TestBody,
    ) -> Result<Response<PutObjectOutput>, Error>;

    /// GetObject, streaming the body through an MD5 without keeping it. A body that fails
    /// while streaming is a [`Error::Transport`] (see [`body_read_error`]).
    async fn get_object_digest(&self, request: GetObject) -> Result<ObjectDigest, Error>;

    /// GetObject read whole into memory with the download's `bytes_up_to(limit)`.
    async fn get_object_bytes(&self, request: GetObject, limit: u64) -> Result<Vec<u8>, Error>;

    /// A plain HTTP request made with this transport's platform (ureq, hyper, `fetch`),
    /// neither signed nor retried: how anyone uses a pre-authenticated request's access URI.
    /// `Err` says why no answer came.
    async fn unsigned(
        &self,
        method: &str,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<PlainResponse, String>;

    /// Waits `duration` the platform's way (between polls of a work request).
    async fn sleep(&self, duration: Duration);
}

/// A failed read of an object body (an [`io::Error`] from the transport's body reader or
/// stream) as the core's transport error, classified by its [`io::ErrorKind`].
pub fn body_read_error(e: &io::Error) -> Error {
    Error::Transport(TransportError::from_io(e, "reading the object body"))
}

/// MD5 of `bytes`.
pub fn md5(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

/// Size of the chunks the pattern bodies are generated in.
pub const PATTERN_CHUNK: usize = 64 * 1024;

/// Byte `pos` of the deterministic pattern `seed` (seed 0 is the pattern the first suites
/// used).
pub fn pattern_byte(seed: u64, pos: u64) -> u8 {
    let p = pos.wrapping_add(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    (p.wrapping_mul(2_654_435_761) >> 13) as u8
}

/// Fills `buf` with the pattern `seed` from byte `start` on.
pub fn fill_pattern(seed: u64, start: u64, buf: &mut [u8]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = pattern_byte(seed, start + i as u64);
    }
}

/// The first `len` bytes of pattern `seed`, in memory (for small bodies).
pub fn pattern(len: u64, seed: u64) -> Vec<u8> {
    let mut out = vec![0; usize::try_from(len).unwrap_or(usize::MAX)];
    fill_pattern(seed, 0, &mut out);
    out
}

/// Calls `each` with the first `len` bytes of pattern `seed`, chunk by chunk (never whole).
pub fn for_each_pattern_chunk(len: u64, seed: u64, mut each: impl FnMut(&[u8])) {
    let mut chunk = vec![0u8; PATTERN_CHUNK];
    let mut pos = 0u64;
    while pos < len {
        let n = usize::try_from(len - pos).map_or(PATTERN_CHUNK, |r| r.min(PATTERN_CHUNK));
        fill_pattern(seed, pos, &mut chunk[..n]);
        each(&chunk[..n]);
        pos += n as u64;
    }
}

/// MD5 of the first `len` bytes of pattern `seed`, generated chunk by chunk.
pub fn pattern_md5(len: u64, seed: u64) -> [u8; 16] {
    let mut md5 = Md5::new();
    for_each_pattern_chunk(len, seed, |chunk| md5.update(chunk));
    md5.finalize().into()
}

/// A reader of pattern `seed` from `pos` up to `len` bytes; seeking moves within it.
#[derive(Debug, Clone)]
pub struct PatternReader {
    seed: u64,
    pos: u64,
    len: u64,
}

impl PatternReader {
    /// The first `len` bytes of pattern `seed`.
    pub fn new(len: u64, seed: u64) -> Self {
        PatternReader { seed, pos: 0, len }
    }
}

impl io::Read for PatternReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        let n = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        fill_pattern(self.seed, self.pos, &mut buf[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl io::Seek for PatternReader {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let target = match to {
            io::SeekFrom::Start(p) => Some(p),
            io::SeekFrom::End(d) => self.len.checked_add_signed(d),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let Some(target) = target else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start",
            ));
        };
        self.pos = target;
        Ok(target)
    }
}

/// A one-shot reader of chunks: one chunk (or what fits) per read, then the end or an error.
#[derive(Debug)]
pub struct ChunksReader {
    chunks: std::collections::VecDeque<Vec<u8>>,
    offset: usize,
    error: Option<String>,
}

impl ChunksReader {
    /// Reads `chunks`, then fails with `error` if given.
    pub fn new(chunks: Vec<Vec<u8>>, error: Option<String>) -> Self {
        ChunksReader {
            chunks: chunks.into(),
            offset: 0,
            error,
        }
    }
}

impl io::Read for ChunksReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(chunk) = self.chunks.front() {
            if self.offset < chunk.len() {
                let n = (chunk.len() - self.offset).min(buf.len());
                buf[..n].copy_from_slice(&chunk[self.offset..self.offset + n]);
                self.offset += n;
                return Ok(n);
            }
            self.chunks.pop_front();
            self.offset = 0;
        }
        match &self.error {
            Some(message) => Err(io::Error::other(message.clone())),
            None => Ok(0),
        }
    }
}

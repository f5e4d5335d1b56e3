//! The body of every fuzz target, shared by its two consumers: the cargo-fuzz binaries in
//! `fuzz/fuzz_targets/` (nightly, libFuzzer) and the corpus replay test
//! `tests/tests/fuzz_corpus.rs` (stable, `cargo test`), which includes this file by path. So a
//! crash the fuzzer found, once its input is in `fuzz/corpus/<target>/`, is a plain test case.
//!
//! Each `pub fn <target>(data: &[u8])` drives a public API of the SDK (or the emulator's
//! verifier) with `data` and panics only when an invariant breaks: a panic inside the library, or
//! an output the API promises never to give (key material in an error, a walk past its page
//! limit, a success from an error status, …).
//!
//! Only the crates both consumers have are used: the ocisdk crates and the emulator, with
//! `http`, `bytes`, `serde_json` and `httpdate` through `ocisdk_core::export`.

// A fuzz harness fails by panicking: its set-up (fixtures, the spec tables) is not input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use ocisdk_core::auth::{KeyId, PrivateKey, RequestSigner, RsaBackend, SigningError};
use ocisdk_core::call::run_in_memory;
use ocisdk_core::clock::{Instant, Now};
use ocisdk_core::config::ConfigFile;
use ocisdk_core::error::{Error, TransportError, TransportErrorKind};
use ocisdk_core::export::bytes::Bytes;
use ocisdk_core::export::http::{self, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use ocisdk_core::export::serde_json::{self, Value, json};
use ocisdk_core::export::{httpdate, serde};
use ocisdk_core::operation::{Operation, VisitModel, VisitOperation};
use ocisdk_core::paginate::{PageLimits, PaginationError, Paginator, iter::Records};
use ocisdk_core::region::{RegionSources, resolve_region};
use ocisdk_core::retry::{RetryDecision, RetryPolicy, parse_retry_after};
use ocisdk_core::{Context, Endpoints, ListOperation, RequestBody, Response};

// ----- shared fixtures -------------------------------------------------------------------------

/// The 1024-bit key of Oracle's signing documentation (fast to parse and verify with).
const DOC_KEY: &str = include_str!("../../core/tests/fixtures/keys/doc_1024.pem");
const TENANCY: &str = "ocid1.tenancy.oc1..aaaafuzz";
const USER: &str = "ocid1.user.oc1..aaaafuzz";
/// The fingerprint of [`DOC_KEY`], which the verifier's registry is keyed by.
const DOC_FINGERPRINT: &str = "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34";
/// The session token the verifier's registry knows; the verifier must never echo it.
const SESSION_TOKEN: &str = "fuzz-session-token-7f3a9c1e5b2d";

/// A fixed wall clock (2026-01-01T00:00:00Z): fuzzing must be reproducible.
fn wall() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

fn now() -> Now {
    Now::new(Instant::from_origin(Duration::from_secs(1)), wall())
}

/// Signs with a constant: the decoders and the walk are fuzzed, not RSA, and a real signature
/// per execution would cost a hundred times what the rest does.
#[derive(Debug)]
struct NoRsa;

impl RsaBackend for NoRsa {
    fn sign_pkcs1v15_sha256(&self, _message: &[u8]) -> Result<Vec<u8>, SigningError> {
        Ok(vec![0x5a; 128])
    }
    fn name(&self) -> &'static str {
        "fuzz-constant"
    }
}

fn context() -> &'static Arc<Context> {
    static CTX: OnceLock<Arc<Context>> = OnceLock::new();
    CTX.get_or_init(|| {
        let key_id = KeyId::ApiKey {
            tenancy: TENANCY.into(),
            user: USER.into(),
            fingerprint: DOC_FINGERPRINT.into(),
        };
        let signer = RequestSigner::new(key_id, Arc::new(NoRsa));
        Arc::new(
            Context::new(signer, Endpoints::single("http://127.0.0.1:9"), [3; 32])
                .with_tenancy(TENANCY),
        )
    })
}

/// A little cursor over the fuzzer's bytes; past the end everything reads as zero.
struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    /// `name: value` lines up to the first empty line (or the end), for a [`HeaderMap`]. Lines
    /// that are not a valid header are skipped, as a transport would never hand them over.
    fn headers(&mut self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        loop {
            let end = self
                .data
                .iter()
                .position(|&b| b == b'\n')
                .unwrap_or(self.data.len());
            let line = self.take(end);
            let _ = self.byte(); // the '\n'
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                return headers;
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
            if let (Ok(name), Ok(value)) =
                (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
            {
                headers.append(name, value);
            }
        }
    }
}

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Runs of at least `min` base64 characters (`A-Z a-z 0-9 + /`) in `s`.
fn base64_runs(s: &str, min: usize) -> Vec<&str> {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/';
    s.split(|c: char| !is_b64(c))
        .filter(|run| run.len() >= min)
        .collect()
}

// ----- config ----------------------------------------------------------------------------------

/// The config file parser and every profile accessor; then the profile's region resolved with
/// fuzzed region sources. `data` is the config text, optionally followed by a NUL and the text
/// of `~/.oci/regions-config.json` / `OCI_REGION_METADATA`.
pub fn config(data: &[u8]) {
    let (config_bytes, regions) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(text(&data[i + 1..]))),
        None => (data, None),
    };
    let config_text = text(config_bytes);
    let mut errors = Vec::new();
    let mut secrets = Vec::new();
    let mut regions_seen = Vec::new();
    match ConfigFile::parse(&config_text, "fuzz-config") {
        Err(e) => errors.push(e.to_string() + &format!("{e:?}")),
        Ok(file) => {
            let mut names: Vec<String> =
                file.profile_names().iter().map(|s| s.to_string()).collect();
            names.push("DEFAULT".into());
            names.push("NO SUCH PROFILE".into());
            for name in &names {
                let profile = match file.profile(name) {
                    Ok(p) => p,
                    Err(e) => {
                        assert!(!file.has_profile(name) || name == "DEFAULT", "{name}: {e}");
                        errors.push(e.to_string());
                        continue;
                    }
                };
                for key in profile.keys() {
                    assert!(
                        profile.get(key).is_some(),
                        "listed key {key:?} has no value"
                    );
                    let _ = (profile.line_of(key), profile.is_inherited(key));
                }
                for r in [
                    profile.user().map(str::to_string),
                    profile.tenancy().map(str::to_string),
                    profile.fingerprint().map(str::to_string),
                    profile.key_file_with_home(Some("/home/fuzz")),
                    profile.require("custom_key").map(str::to_string),
                ] {
                    if let Err(e) = r {
                        errors.push(format!("{e} {e:?}"));
                    }
                }
                let _ = profile.security_token_file_with_home(Some("/home/fuzz"));
                if let Some(pass) = profile.pass_phrase() {
                    secrets.push(pass.expose().to_string());
                    // A profile's key with its pass phrase: the signer path the config feeds.
                    if let Err(e) = ocisdk_core::auth::signer_from_profile_parts(
                        &profile, DOC_KEY, "fuzz-key", None, [1; 32],
                    ) {
                        errors.push(format!("{e} {e:?}"));
                    }
                }
                if let Some(region) = profile.region() {
                    regions_seen.push(region.to_string());
                }
            }
        }
    }
    // Region names from the config, resolved against fuzzed sources (the regions config and
    // OCI_REGION_METADATA are both JSON an adapter reads from outside).
    let sources = RegionSources {
        regions_config: regions.as_deref(),
        region_metadata: regions.as_deref(),
        default_realm: regions.as_deref().map(|r| r.lines().next().unwrap_or("")),
    };
    for region in regions_seen
        .iter()
        .map(String::as_str)
        .chain(["us-ashburn-1"])
    {
        match resolve_region(region, &sources) {
            Ok(r) => {
                let _ = (r.identity_endpoint(), r.object_storage_endpoint(), r.code());
                let _ = Endpoints::for_region(&r);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if let Some(json) = regions.as_deref() {
        if let Err(e) = ocisdk_core::region::parse_regions_config(json) {
            errors.push(e.to_string());
        }
        if let Err(e) = ocisdk_core::region::parse_region_metadata(json) {
            errors.push(e.to_string());
        }
    }
    // Pass phrases never appear in an error (checked for ones long and unique enough that an
    // error cannot contain them by coincidence).
    for secret in secrets.iter().filter(|s| s.len() >= 12) {
        if config_text.matches(secret.as_str()).count() != 1 {
            continue;
        }
        for e in &errors {
            assert!(!e.contains(secret.as_str()), "pass phrase in an error: {e}");
        }
    }
}

// ----- keys ------------------------------------------------------------------------------------

/// `PrivateKey::from_pem` with and without a passphrase: PEM framing, PKCS#1, PKCS#8 (plain and
/// encrypted: PBES2 with PBKDF2 or scrypt, capped) and legacy `Proc-Type: 4,ENCRYPTED` keys.
///
/// `data`: a flags byte (bit 0: a passphrase follows, as a length byte and that many bytes;
/// bit 1: the passphrase is marked, prefixed with `~pw~`), then the PEM text. Invariants: no
/// error quotes 24 base64 characters in a row from the key's body, nor a marked passphrase
/// (the marker keeps the check honest: libFuzzer learns the error texts from the comparison
/// and would otherwise offer them as passphrases); a key that loads re-exports and reloads to
/// the same fingerprint.
pub fn keys(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.byte();
    let passphrase: Option<Vec<u8>> = if flags & 1 == 1 {
        let n = usize::from(input.byte() % 48);
        let raw = input.take(n);
        Some(if flags & 2 == 2 {
            [b"~pw~".as_slice(), raw].concat()
        } else {
            raw.to_vec()
        })
    } else {
        None
    };
    let marked = passphrase
        .as_deref()
        .filter(|p| p.starts_with(b"~pw~") && p.len() >= 8)
        .and_then(|p| std::str::from_utf8(p).ok());
    let pem = text(input.data);
    match PrivateKey::from_pem(&pem, passphrase.as_deref(), "fuzz.pem") {
        Ok(key) => {
            let again = key.to_pkcs8_pem().expect("a loaded key re-encodes");
            let reloaded =
                PrivateKey::from_pem(&again, None, "again.pem").expect("a re-encoded key reloads");
            assert_eq!(key.fingerprint(), reloaded.fingerprint());
            let debug = format!("{key:?}");
            assert!(!debug.contains("PRIVATE"), "{debug}");
        }
        Err(e) => {
            // The key's body: every line that is not PEM framing or a `Name: value` header.
            // Labels (`-----BEGIN <label>-----`) may be quoted by design when they look like one,
            // so text that is also on a framing line is not counted as the body's.
            // A framing line counts as framing even when it also holds a `:` (the fuzzer
            // joins lines), or its quoted label would be taken for body text.
            let (framing, body): (Vec<&str>, Vec<&str>) = pem
                .lines()
                .partition(|l| l.contains("-----BEGIN") || l.contains("-----END"));
            let body: Vec<&str> = body.into_iter().filter(|l| !l.contains(':')).collect();
            const RUN: usize = 24;
            for shown in [e.to_string(), format!("{e:?}")] {
                for run in base64_runs(&shown, RUN) {
                    for start in 0..=run.len() - RUN {
                        let window = &run[start..start + RUN];
                        assert!(
                            !body.iter().any(|l| l.contains(window))
                                || framing.iter().any(|l| l.contains(window)),
                            "key material in an error: {shown}"
                        );
                    }
                }
                if let Some(pass) = marked {
                    assert!(!shown.contains(pass), "passphrase in an error: {shown}");
                }
            }
        }
    }
}

// ----- response decoders -----------------------------------------------------------------------

/// The services whose operations and models are fuzzed, with their API model (for building a
/// valid request of each operation).
const SERVICES: [(&str, &str); 3] = [
    ("identity", include_str!("../../spec/identity.json")),
    (
        "object_storage",
        include_str!("../../spec/object_storage.json"),
    ),
    ("secrets", include_str!("../../spec/secrets.json")),
];

/// One operation: its service, name and parameters (only the required ones, minimal values).
struct OpEntry {
    service: &'static str,
    name: String,
    params: Value,
}

fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut up = false;
    for c in name.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Minimal wire values from the API model (`spec/<service>.json`): required fields only.
struct Minimal<'a> {
    models: BTreeMap<&'a str, &'a Value>,
}

impl<'a> Minimal<'a> {
    fn new(spec: &'a Value) -> Self {
        let models = spec["models"]
            .as_array()
            .expect("spec models")
            .iter()
            .map(|m| (m["name"].as_str().expect("model name"), m))
            .collect();
        Minimal { models }
    }

    fn value(&self, ty: &str, enumeration: &Value, depth: u32) -> Value {
        if ty.starts_with("list[") {
            return json!([]);
        }
        if ty.starts_with("dict(") || ty == "object" {
            return json!({});
        }
        if let Some(first) = enumeration.as_array().and_then(|e| e.first()) {
            return first.clone();
        }
        match ty {
            "int" => json!(1),
            "float" => json!(1.5),
            "bool" => json!(true),
            "datetime" => json!("2024-01-02T03:04:05.678Z"),
            "date" => json!("2024-01-02"),
            _ if self.models.contains_key(ty) && depth < 8 => self.model(ty, depth + 1),
            _ => json!("x"),
        }
    }

    /// A model with its required fields; a polymorphic base as its first subtype.
    fn model(&self, name: &str, depth: u32) -> Value {
        let mut m = self.models[name];
        let mut discriminator: Option<(String, Value)> = None;
        if let Some(d) = m["discriminator"].as_object() {
            let (value, subtype) = d["subtypes"]
                .as_object()
                .and_then(|s| s.iter().next())
                .expect("a discriminator has subtypes");
            discriminator = Some((d["wire"].as_str().unwrap_or("").into(), json!(value)));
            m = self
                .models
                .get(subtype.as_str().unwrap_or(""))
                .copied()
                .unwrap_or(m);
        } else if let Some(p) = m["parent"].as_object() {
            let parent = self.models[p["name"].as_str().unwrap_or("")];
            let wire = parent["discriminator"]["wire"].as_str().unwrap_or("");
            discriminator = Some((wire.into(), p["value"].clone()));
        }
        let mut out = serde_json::Map::new();
        for f in m["fields"].as_array().into_iter().flatten() {
            let wire = f["wire"].as_str().unwrap_or("");
            if let Some((disc, value)) = &discriminator
                && disc == wire
            {
                out.insert(wire.into(), value.clone());
            } else if f["required"] == json!(true) {
                let ty = f["type"].as_str().unwrap_or("str");
                out.insert(wire.into(), self.value(ty, &f["enum"], depth));
            }
        }
        Value::Object(out)
    }

    fn params(&self, op: &Value) -> Value {
        let mut out = serde_json::Map::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            let name = camel(p["name"].as_str().unwrap_or(""));
            let ty = p["type"].as_str().unwrap_or("str");
            let wire = p["wire"].as_str().unwrap_or("").to_ascii_lowercase();
            if wire == "content-length" && op["request_stream"] == json!(true) {
                // The streamed body's declared length: the fuzzed calls upload nothing.
                out.insert(name, json!(0));
            } else if p["required"] == json!(true) && ty != "stream" {
                out.insert(name, self.value(ty, &p["enum"], 0));
            }
        }
        Value::Object(out)
    }
}

fn specs() -> &'static Vec<(&'static str, Value)> {
    static SPECS: OnceLock<Vec<(&'static str, Value)>> = OnceLock::new();
    SPECS.get_or_init(|| {
        SERVICES
            .iter()
            .map(|(service, text)| (*service, serde_json::from_str(text).expect("spec JSON")))
            .collect()
    })
}

/// Every operation of every service, in a fixed order, with minimal parameters.
fn operations() -> &'static [OpEntry] {
    static OPS: OnceLock<Vec<OpEntry>> = OnceLock::new();
    OPS.get_or_init(|| {
        let mut out = Vec::new();
        for (service, spec) in specs() {
            let minimal = Minimal::new(spec);
            for op in spec["operations"].as_array().expect("spec operations") {
                out.push(OpEntry {
                    service,
                    name: op["name"].as_str().expect("operation name").to_string(),
                    params: minimal.params(op),
                });
            }
        }
        out
    })
}

/// Every model of every service: (service, name).
fn models() -> &'static [(&'static str, String)] {
    static MODELS: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    MODELS.get_or_init(|| {
        specs()
            .iter()
            .flat_map(|(service, spec)| {
                spec["models"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(move |m| (*service, m["name"].as_str().unwrap_or("").to_string()))
            })
            .collect()
    })
}

fn visit_operation<V: VisitOperation>(entry: &OpEntry, visitor: V) -> Result<V::Output, Error> {
    let (name, params) = (entry.name.as_str(), entry.params.clone());
    match entry.service {
        "identity" => ocisdk_identity::dynamic::visit_operation(name, params, visitor),
        "object_storage" => ocisdk_object_storage::dynamic::visit_operation(name, params, visitor),
        _ => ocisdk_secrets::dynamic::visit_operation(name, params, visitor),
    }
}

fn visit_model<V: VisitModel>(service: &str, name: &str, visitor: V) -> Option<V::Output> {
    match service {
        "identity" => ocisdk_identity::dynamic::visit_model(name, visitor),
        "object_storage" => ocisdk_object_storage::dynamic::visit_model(name, visitor),
        _ => ocisdk_secrets::dynamic::visit_model(name, visitor),
    }
}

/// How many operations [`decoders`] can pick from (for the replay test's sanity check).
pub fn operation_count() -> usize {
    operations().len()
}

/// The byte that picks operation `service.name` in [`decoders`] (for writing seeds).
pub fn operation_byte(service: &str, name: &str) -> u8 {
    let i = operations()
        .iter()
        .position(|e| e.service == service && e.name == name)
        .expect("a known operation");
    u8::try_from(i % 256).expect("< 256")
}

/// The byte that picks model `service.name` in [`decoders`] (for writing seeds).
pub fn model_byte(service: &str, name: &str) -> u8 {
    let i = models()
        .iter()
        .position(|(s, n)| *s == service && n == name)
        .expect("a known model");
    u8::try_from(i % 256).expect("< 256")
}

/// A request signed by the SDK with the documentation key, in the [`verifier`] target's input
/// format (for writing seeds): `session` signs with the session token instead of the API key.
pub fn signed_request_seed<O: Operation>(op: O, session: bool, flags: u8) -> Vec<u8> {
    use ocisdk_core::auth::signer::PortableRsa;
    use ocisdk_core::config::Secret;
    let key_id = if session {
        KeyId::SessionToken(Secret::new(SESSION_TOKEN))
    } else {
        KeyId::ApiKey {
            tenancy: TENANCY.into(),
            user: USER.into(),
            fingerprint: DOC_FINGERPRINT.into(),
        }
    };
    let signer = RequestSigner::new(key_id, Arc::new(PortableRsa::new(doc_key(), [4; 32])));
    let ctx = Arc::new(Context::new(
        signer,
        Endpoints::single("https://objectstorage.us-ashburn-1.oraclecloud.com"),
        [5; 32],
    ));
    let request = match ctx.call(op).poll(now()) {
        ocisdk_core::Step::Send { request, .. } => request,
        _ => panic!("the first step sends"),
    };
    const METHODS: [&str; 6] = ["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"];
    let method = METHODS
        .iter()
        .position(|m| *m == request.method().as_str())
        .expect("a known method");
    let mut out = vec![u8::try_from(method).expect("small"), flags];
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    out.extend_from_slice(target.as_bytes());
    out.push(b'\n');
    for (name, value) in request.headers() {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    if let RequestBody::Bytes(b) = request.body() {
        out.extend_from_slice(b);
    }
    out
}

/// Builds every operation from its minimal parameters; the names of those that fail to build.
pub fn operations_that_do_not_build() -> Vec<String> {
    struct Build;
    impl VisitOperation for Build {
        type Output = ();
        fn visit<O: Operation>(self, _op: O) {}
    }
    operations()
        .iter()
        .filter_map(|e| match visit_operation(e, Build) {
            Ok(()) => None,
            Err(err) => Some(format!("{}.{}: {err}", e.service, e.name)),
        })
        .collect()
}

const STATUSES: [u16; 16] = [
    200, 201, 202, 204, 206, 300, 304, 400, 401, 404, 409, 412, 416, 429, 500, 503,
];

/// A response read from the fuzzer's bytes: a status byte (a common status, or above 240 a
/// status from the next two bytes), a flags byte, `name: value` header lines up to an empty
/// line, then the body.
struct Canned {
    status: StatusCode,
    flags: u8,
    headers: HeaderMap,
    body: Bytes,
}

impl Canned {
    fn read(input: &mut Input<'_>) -> Canned {
        let s = input.byte();
        let status = if s < 240 {
            STATUSES[usize::from(s) % STATUSES.len()]
        } else {
            100 + u16::from_le_bytes([input.byte(), input.byte()]) % 900
        };
        let flags = input.byte();
        let headers = input.headers();
        Canned {
            status: StatusCode::from_u16(status).expect("100..=999"),
            flags,
            headers,
            body: Bytes::copy_from_slice(input.data),
        }
    }

    fn response(&self) -> http::Response<Bytes> {
        let mut r = http::Response::new(self.body.clone());
        *r.status_mut() = self.status;
        *r.headers_mut() = self.headers.clone();
        r
    }
}

/// Runs one call of `op` answered by `canned`, and checks what came out.
struct Decode<'a>(&'a Canned);

impl VisitOperation for Decode<'_> {
    type Output = ();

    fn visit<O>(self, op: O)
    where
        O: Operation,
        O::Output: serde::Serialize,
    {
        let canned = self.0;
        // Flags: bit 0 retries (the same answer each attempt), bit 1 a first attempt lost
        // after it was sent (a timeout), so the answer is a retry's.
        let retries = canned.flags & 1 == 1;
        let lost_first = canned.flags & 2 == 2;
        let policy = if retries || lost_first {
            RetryPolicy {
                max_attempts: 3,
                ..RetryPolicy::default()
            }
        } else {
            RetryPolicy::disabled()
        };
        let call = context().call(op).with_retry_policy(policy);
        let mut attempts = 0u32;
        let result = run_in_memory(call, now(), None, |_req: &http::Request<RequestBody>| {
            attempts += 1;
            if lost_first && attempts == 1 {
                return Err(TransportError::new(
                    TransportErrorKind::Timeout,
                    "fuzz: lost",
                ));
            }
            Ok(canned.response())
        });
        assert!(attempts <= 3, "{attempts} attempts with max_attempts 3");
        match result {
            Ok((response, _streamed)) => {
                let delete_after_lost = response.after_lost_response.is_some()
                    && response.status == StatusCode::NOT_FOUND;
                assert!(
                    response.status.is_success() || delete_after_lost,
                    "a {} answer decoded as a success",
                    response.status
                );
                serde_json::to_string(&response.data).expect("a decoded output serializes");
            }
            Err(e) => {
                let shown = e.to_string();
                let _ = (e.is_retryable(), e.status(), e.code(), format!("{e:?}"));
                if canned.status.is_success() && !retries && !lost_first {
                    assert!(e.as_service().is_none(), "a 2xx answer became {shown}");
                }
            }
        }
    }
}

/// Decodes a model's JSON into its type; a success must encode and decode again to the same
/// JSON (the round trip the official SDKs' JSON relies on).
struct RoundTrip<'a>(&'a [u8]);

impl VisitModel for RoundTrip<'_> {
    type Output = ();

    fn visit<M>(self)
    where
        M: serde::Serialize + serde::de::DeserializeOwned + 'static,
    {
        let Ok(model) = serde_json::from_slice::<M>(self.0) else {
            return;
        };
        let once = serde_json::to_value(&model).expect("a decoded model encodes");
        let again: M = serde_json::from_value(once.clone()).expect("an encoded model decodes");
        let twice = serde_json::to_value(&again).expect("a decoded model encodes");
        assert_eq!(once, twice, "a model's JSON does not round-trip");
    }
}

/// Every response decoder: an operation of Identity, Object Storage or Secrets (picked by the
/// second byte) called through the core's call state machine and answered with a status,
/// headers and body from the fuzzer; or (first byte odd) a model decoded from JSON and
/// round-tripped.
pub fn decoders(data: &[u8]) {
    let mut input = Input { data };
    let mode = input.byte();
    let pick = usize::from(input.byte());
    if mode & 1 == 0 {
        let ops = operations();
        let entry = &ops[pick % ops.len()];
        let canned = Canned::read(&mut input);
        visit_operation(entry, Decode(&canned)).expect("every operation builds");
    } else {
        let models = models();
        let (service, name) = &models[pick % models.len()];
        visit_model(service, name, RoundTrip(input.data)).expect("every model is visitable");
    }
}

// ----- headers, dates, retry-after -------------------------------------------------------------

/// Header parsing: `retry-after` (seconds or an HTTP date), the metadata Object Storage reads
/// from headers (content-length, last-modified, time-of-archival, opc-meta-*, …) through
/// HeadObject and PutObject, error bodies with their headers, the next-page token, and the
/// retry decision a hostile `retry-after` feeds.
///
/// `data`: a status byte, a flags byte, header lines up to an empty line, then a body.
pub fn headers(data: &[u8]) {
    let mut input = Input { data };
    let canned = Canned::read(&mut input);
    let headers = &canned.headers;

    for value in headers.get_all("retry-after").iter() {
        let value = text(value.as_bytes());
        let parsed = parse_retry_after(&value, wall());
        if let Ok(secs) = value.trim().parse::<u64>() {
            assert_eq!(parsed, Some(Duration::from_secs(secs)));
        }
        if let Ok(at) = httpdate::parse_http_date(value.trim()) {
            let expected = at.duration_since(wall()).unwrap_or(Duration::ZERO);
            assert_eq!(parsed, Some(expected), "retry-after {value:?}");
        }
        // What the call does with it: a wait never past the policy's budget.
        let policy = RetryPolicy::default();
        let throttled = Error::from(ocisdk_core::operation::service_error(
            "GetNamespace",
            "http://127.0.0.1:9",
            StatusCode::TOO_MANY_REQUESTS,
            headers,
            &canned.body,
        ));
        match policy.decide(&throttled, 1, Duration::from_secs(1), parsed, 7) {
            RetryDecision::Retry(wait) => assert!(wait <= policy.max_elapsed, "{wait:?}"),
            RetryDecision::Stop(reason) => {
                let _ = reason.to_string();
            }
        }
    }
    // Any of the header's raw text, too (the fuzzer's body doubles as one value).
    let _ = parse_retry_after(&text(&canned.body), wall());

    // The error a non-2xx answer becomes: status, code, message from the body.
    if !canned.status.is_success() {
        let e = ocisdk_core::operation::service_error(
            "HeadObject",
            "http://127.0.0.1:9",
            canned.status,
            headers,
            &canned.body,
        );
        assert_eq!(e.status, canned.status);
        let e = Error::from(e);
        let _ = (e.to_string(), e.is_retryable(), e.code());
    }

    // Object metadata from headers (HeadObject, PutObject), through the operations' own parse.
    let head = ocisdk_object_storage::HeadObject::new("n", "b", "o");
    if let Ok(meta) = head.parse(StatusCode::OK, headers, Bytes::new()) {
        if let Some(len) = meta.content_length {
            let raw = text(
                headers
                    .get("content-length")
                    .expect("parsed from it")
                    .as_bytes(),
            );
            assert_eq!(raw.trim().parse::<u64>().ok(), Some(len));
        }
        for k in meta.opc_meta.keys() {
            assert!(headers.contains_key(format!("opc-meta-{k}").as_str()));
        }
    }
    let put = ocisdk_object_storage::PutObject::new("n", "b", "o", 0);
    let _ = put.parse(StatusCode::OK, headers, Bytes::new());
    let list = ocisdk_identity::ListUsers::new(TENANCY);
    let token = <ocisdk_identity::ListUsers as Operation>::next_page(headers, &Vec::new());
    if let Some(t) = token {
        assert_eq!(
            Some(t.as_str()),
            ocisdk_core::operation::header_str(headers, "opc-next-page")
        );
        // The token goes back as a query parameter: it must make a valid request.
        let _ = list.clone().page(t).plan();
    }
}

// ----- pagination ------------------------------------------------------------------------------

/// The page parameter of the next request, for both token styles.
trait PageOf: ListOperation {
    fn page_param(&self) -> Option<String>;
    /// A page body with `n` records and, for body-token lists, the token.
    fn page_body(n: usize, token: Option<&str>) -> Vec<u8>;
    fn new_walk() -> Self;
}

fn minimal_model(service: &str, name: &str) -> Value {
    let spec = &specs()
        .iter()
        .find(|(s, _)| *s == service)
        .expect("service")
        .1;
    Minimal::new(spec).model(name, 0)
}

impl PageOf for ocisdk_identity::ListUsers {
    fn page_param(&self) -> Option<String> {
        self.page.clone()
    }
    fn page_body(n: usize, _token: Option<&str>) -> Vec<u8> {
        static USER: OnceLock<Value> = OnceLock::new();
        let user = USER.get_or_init(|| minimal_model("identity", "User"));
        serde_json::to_vec(&vec![user; n]).expect("users encode")
    }
    fn new_walk() -> Self {
        ocisdk_identity::ListUsers::new(TENANCY)
    }
}

impl PageOf for ocisdk_object_storage::ListObjects {
    fn page_param(&self) -> Option<String> {
        self.start.clone()
    }
    fn page_body(n: usize, token: Option<&str>) -> Vec<u8> {
        let objects: Vec<Value> = (0..n).map(|i| json!({ "name": format!("o{i}") })).collect();
        let mut body = json!({ "objects": objects, "prefixes": [] });
        if let Some(t) = token {
            body["nextStartWith"] = json!(t);
        }
        serde_json::to_vec(&body).expect("a page encodes")
    }
    fn new_walk() -> Self {
        ocisdk_object_storage::ListObjects::new("n", "b")
    }
}

/// One page the adversarial server answers with.
struct Page {
    token: Option<String>,
    records: usize,
    /// A raw body instead of a well-formed page.
    garbage: Option<Vec<u8>>,
}

/// Reads the next page from the script; once the script is over, the server sends empty pages
/// with fresh tokens forever (only the walk's limits end that).
fn next_page(input: &mut Input<'_>, served: &[Option<String>], n: u64) -> Page {
    if input.is_empty() {
        return Page {
            token: Some(format!("endless-{n}")),
            records: 0,
            garbage: None,
        };
    }
    let mode = input.byte();
    let records = usize::from(input.byte() % 4);
    let earlier = |i: u8| {
        served
            .iter()
            .flatten()
            .nth(usize::from(i) % served.len().max(1))
            .cloned()
    };
    let token = match mode % 8 {
        0 => None,
        1 | 2 => Some(format!("fresh-{n}")),
        3 => served.last().cloned().flatten(), // the same token again
        4 => earlier(input.byte()),            // a cycle back to an earlier one
        5 => {
            let len = usize::from(input.byte() % 16);
            Some(text(input.take(len)).into_owned()) // a token of the fuzzer's own bytes
        }
        6 => Some(String::new()),
        _ => Some(format!("fresh-{n}")),
    };
    let garbage = (mode >= 0xf0).then(|| input.take(usize::from(mode & 0x0f)).to_vec());
    Page {
        token,
        records,
        garbage,
    }
}

fn walk<O: PageOf>(input: &mut Input<'_>) {
    let max_pages = 1 + u64::from(input.byte() % 48);
    let max_empty_pages = u32::from(input.byte() % 6);
    let limits = PageLimits {
        max_pages,
        max_empty_pages,
    };
    let records_cap = input.byte();
    let max_records = (records_cap & 0x80 != 0).then_some(u64::from(records_cap & 0x3f));
    let as_iterator = input.byte() & 1 == 1;

    let mut paginator = Paginator::new(O::new_walk()).limits(limits);
    if let Some(n) = max_records {
        paginator = paginator.max_records(n);
    }
    let mut served: Vec<Option<String>> = Vec::new();
    let mut requests = 0u64;
    let mut total = 0u64;
    let mut fetch = |op: O,
                     served: &mut Vec<Option<String>>|
     -> Result<Response<O::Output>, Error> {
        requests += 1;
        assert!(
            requests <= max_pages,
            "request {requests} with max_pages {max_pages}"
        );
        // The request asks for the token of the page before (none for the first).
        let expected = served.last().cloned().flatten();
        assert_eq!(
            op.page_param(),
            expected,
            "the request does not carry the last token"
        );
        let page = next_page(input, served, requests);
        let body = match &page.garbage {
            Some(g) => g.clone(),
            None => O::page_body(page.records, page.token.as_deref()),
        };
        let mut response = http::Response::new(Bytes::from(body));
        if let Some(t) = &page.token
            && let Ok(v) = HeaderValue::from_str(t)
        {
            response.headers_mut().insert("opc-next-page", v);
        }
        let call = context()
            .call(op)
            .with_retry_policy(RetryPolicy::disabled());
        let result = run_in_memory(call, now(), None, |_req| Ok(response.clone())).map(|(r, _)| r);
        // The token as the operation reads it (header or body), which the next request must carry.
        served.push(result.as_ref().ok().and_then(|r| r.next_page.clone()));
        result
    };

    let outcome: Result<(), Error> = if as_iterator {
        let mut served_local = Vec::new();
        let served_ref = &mut served_local;
        let mut records = Records::new(|op: O| fetch(op, served_ref), paginator);
        let mut result = Ok(());
        for item in records.by_ref() {
            match item {
                Ok(_) => total += 1,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        // After an error or the end, the iterator stays over.
        assert!(records.next().is_none());
        drop(records);
        served = served_local;
        result
    } else {
        let mut result = Ok(());
        while let Some(op) = paginator.next_operation() {
            let page = match fetch(op, &mut served) {
                Ok(r) => r,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            match paginator.handle_page(page) {
                Ok(items) => total += items.len() as u64,
                Err(e) => {
                    assert!(paginator.is_done() && paginator.next_operation().is_none());
                    result = Err(e);
                    break;
                }
            }
        }
        result
    };

    if let Some(n) = max_records {
        assert!(total <= n, "{total} records with max_records {n}");
    }
    match outcome {
        Ok(()) => {
            // The walk ended because the list did: the last page had no token, or the record
            // limit was reached. Never silently on a token.
            let last = served.last().cloned().flatten();
            assert!(
                last.is_none() || max_records == Some(total),
                "the walk ended on token {last:?} ({total} records)"
            );
        }
        Err(Error::Pagination(PaginationError::Cycle { page, .. })) => {
            let page = usize::try_from(page).expect("small");
            let token = served[page - 1].clone().expect("a cycle is on a token");
            assert!(
                served[..page - 1].iter().flatten().any(|t| *t == token),
                "page {page}'s token {token:?} was not seen before"
            );
        }
        Err(Error::Pagination(_)) => {}
        // A page whose body is not a page: the walk ends on its decode error.
        Err(Error::Decode(_)) => {}
        Err(e) => panic!("the walk ended with {e}"),
    }
}

/// The pagination walk fed adversarial pages: tokens that repeat, cycle, come from the
/// fuzzer's bytes or never end, empty pages, pages that are not pages; by hand with the
/// `Paginator` or through the records iterator, for a header-token list (ListUsers) and a
/// body-token list (ListObjects). The walk must end with Ok or a typed error, within its
/// `PageLimits`, with every request carrying the last token and no silent end on a token.
pub fn pagination(data: &[u8]) {
    let mut input = Input { data };
    if input.byte() & 1 == 0 {
        walk::<ocisdk_identity::ListUsers>(&mut input);
    } else {
        walk::<ocisdk_object_storage::ListObjects>(&mut input);
    }
}

// ----- the emulator's signature verifier -------------------------------------------------------

fn doc_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::from_pem(DOC_KEY, None, "doc_1024.pem").expect("doc key"))
}

/// The emulator's signature verifier (`ocisdk_emulator::verify_signature`) on a fuzzed request:
/// a method byte, a flags byte (bit 0: a PutObject-like request exempt from body headers, bit 1:
/// check the body), the request target up to a newline, header lines up to an empty line, then
/// the body. The registry knows the documentation key as an API key and as a session token.
/// Invariants: the session token never appears in a refusal (unless the fuzzer put it elsewhere
/// in the request); a success names the key's user, or no user for the token.
pub fn verifier(data: &[u8]) {
    const METHODS: [&str; 8] = [
        "GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS", "get",
    ];
    let public = doc_key().public_key();
    let api_keys = [(
        format!("{TENANCY}/{USER}/{DOC_FINGERPRINT}"),
        public.clone(),
    )];
    let tokens = [(SESSION_TOKEN.to_string(), public)];
    let mut input = Input { data };
    let method = METHODS[usize::from(input.byte()) % METHODS.len()];
    let method = Method::from_bytes(method.as_bytes()).expect("a method");
    let flags = input.byte();
    let end = input
        .data
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(input.data.len());
    let target = text(input.take(end)).into_owned();
    let _ = input.byte();
    let headers = input.headers();
    let body = input.data;
    let result = ocisdk_emulator::verify_signature(
        &method,
        &target,
        &headers,
        flags & 1 == 1,
        (flags & 2 == 2).then_some(body),
        wall(),
        Duration::from_secs(300),
        &api_keys,
        &tokens,
    );
    let authorization = headers
        .get("authorization")
        .map(|v| text(v.as_bytes()).into_owned())
        .unwrap_or_default();
    match result {
        Ok(Some(user)) => {
            assert_eq!(user, USER);
        }
        Ok(None) => assert!(authorization.contains(&format!("ST${SESSION_TOKEN}"))),
        Err(message) => {
            // The token is secret where it is a keyId (`ST$<token>`); a request that carries it
            // elsewhere too (an API keyId, a signed header) may see it echoed from there.
            let all: usize = std::iter::once(target.clone())
                .chain(headers.values().map(|v| text(v.as_bytes()).into_owned()))
                .map(|t| t.matches(SESSION_TOKEN).count())
                .sum();
            let as_key_id = authorization
                .matches(&format!("keyId=\"ST${SESSION_TOKEN}\""))
                .count();
            if all == as_key_id {
                assert!(
                    !message.contains(SESSION_TOKEN),
                    "session token in: {message}"
                );
            }
        }
    }
}

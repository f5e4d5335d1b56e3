//! HTTP plumbing: one axum fallback handler that routes by hand (object names contain `/`,
//! and the signature needs the request target exactly as received), authentication, retry
//! tokens, CORS, request ids, counters and injected faults (the connection side of which is in
//! `conn.rs`).

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request, State as AxumState};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::auth::{self, KeyRegistry, Principal, RequestFacts, Verified};
use crate::conn::{ConnHandle, FaultListener, Plan};
use crate::fault::{FaultKind, FaultTable};
use crate::identity::{self, Kind, generic};
use crate::instance;
use crate::model::{self, Matched, NoMatch};
use crate::object_storage as os;
use crate::resource;
use crate::secrets;
use crate::session;
use crate::state::{ApiError, KeyChange, Query, Reply, RetryEntry, State};

/// Largest non-object request body accepted (JSON bodies are tiny).
const JSON_BODY_LIMIT: usize = 8 << 20;

/// How long a retry token is remembered.
const RETRY_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

/// Headers browsers may read (opc-meta-* are added per response, and `*` covers the rest for
/// non-credentialed requests).
const EXPOSE: &str = "opc-request-id, opc-client-request-id, opc-next-page, opc-prev-page, etag, opc-content-md5, content-md5, opc-multipart-md5, last-modified, content-range, content-length, content-type, content-language, content-encoding, content-disposition, cache-control, accept-ranges, storage-tier, archival-state, version-id, location, retry-after";

#[derive(Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub connections: AtomicU64,
    pub auth_failures: AtomicU64,
    pub token_refreshes: AtomicU64,
    pub federations: AtomicU64,
    pub oke_tokens: AtomicU64,
    pub delegated_requests: AtomicU64,
    pub ops: Mutex<BTreeMap<&'static str, u64>>,
}

/// Everything the handlers share.
pub(crate) struct App {
    pub state: Mutex<State>,
    pub keys: RwLock<KeyRegistry>,
    pub page_size: usize,
    pub empty_pages: bool,
    pub max_object_bytes: u64,
    pub max_skew: Duration,
    pub clock_skew_secs: AtomicI64,
    pub counters: Counters,
    pub request_prefix: String,
    pub request_counter: AtomicU64,
    pub default_user: String,
    pub faults: FaultTable,
    /// The home region Identity writes must go to, when it is not this emulator's region
    /// ([`crate::EmulatorConfig::home_region`]).
    pub identity_writes_go_to: Option<String>,
    /// How long the session tokens the refresh and federation endpoints issue live, in
    /// milliseconds (atomic: tests change it while clients run).
    pub session_token_lifetime_ms: AtomicU64,
    /// The instance identity IMDS serves (instance principals).
    pub instance: Mutex<crate::instance::InstanceIdentity>,
}

impl App {
    /// The state, with every copy whose time has come completed first (work requests progress
    /// with the clock, whoever looks next).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !st.work_requests.is_empty() {
            os::settle(&mut st, self.now());
        }
        st
    }

    /// The emulator's clock: the system clock shifted by the configured skew.
    pub(crate) fn now(&self) -> SystemTime {
        let skew = self.clock_skew_secs.load(Ordering::Relaxed);
        let sys = SystemTime::now();
        if skew >= 0 {
            sys + Duration::from_secs(skew.unsigned_abs())
        } else {
            sys - Duration::from_secs(skew.unsigned_abs())
        }
    }

    /// How long the session tokens the refresh and federation endpoints issue live.
    pub(crate) fn session_token_lifetime(&self) -> Duration {
        Duration::from_millis(self.session_token_lifetime_ms.load(Ordering::Relaxed))
    }

    /// Runs `f` with the key registry, a generator for a token's random parts and the
    /// tenancy: how every token the emulator issues is made. The state's lock (for the seed)
    /// is let go before the keys' is taken: never both.
    pub(crate) fn with_token_keys<T>(
        &self,
        f: impl FnOnce(&mut KeyRegistry, &mut rand_chacha::ChaCha20Rng, &str) -> T,
    ) -> T {
        let (tenancy, mut rng) = self.token_rng();
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        f(&mut keys, &mut rng, &tenancy)
    }

    /// The tenancy and a generator for a token's random parts, seeded from the state's.
    pub(crate) fn token_rng(&self) -> (String, rand_chacha::ChaCha20Rng) {
        use rand_core::{RngCore, SeedableRng};
        let mut st = self.lock();
        let mut seed = [0u8; 32];
        st.rng.fill_bytes(&mut seed);
        (
            st.tenancy_id.clone(),
            rand_chacha::ChaCha20Rng::from_seed(seed),
        )
    }

    pub(crate) fn count_op(&self, op: &'static str) {
        let mut ops = self.counters.ops.lock().unwrap_or_else(|e| e.into_inner());
        *ops.entry(op).or_insert(0) += 1;
    }

    pub(crate) fn request_id(&self, client: Option<&str>) -> String {
        let n = self.request_counter.fetch_add(1, Ordering::Relaxed);
        let own = format!("{}{n:08X}", self.request_prefix);
        match client {
            Some(c) if !c.is_empty() => format!("{c}/{own}"),
            _ => own,
        }
    }
}

/// What a synchronous handler sees of the request.
pub(crate) struct Ctx<'a> {
    pub headers: &'a HeaderMap,
    pub query: &'a Query,
    pub body: &'a [u8],
    pub principal: &'a Principal,
    pub now: SystemTime,
    pub page_size: usize,
    pub empty_pages: bool,
    pub host: &'a str,
    pub default_user: &'a str,
}

impl Ctx<'_> {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The user OCID behind the request (the emulator's own user for session tokens).
    pub(crate) fn principal_user(&self) -> &str {
        self.principal.user.as_deref().unwrap_or(self.default_user)
    }
}

/// The routes the emulator knows, with path segments percent-decoded.
/// Runs the server until `shutdown` fires (or is dropped).
pub(crate) async fn serve(listener: TcpListener, app: Arc<App>, shutdown: oneshot::Receiver<()>) {
    // The listener wraps every socket so that injected faults can end connections at exact
    // points; each request finds its connection's handle in `ConnectInfo<ConnHandle>`.
    let listener = FaultListener::new(listener, Arc::clone(&app));
    let router = Router::new().fallback(handle).with_state(app);
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<ConnHandle>(),
    )
    .into_future();
    tokio::select! {
        result = server => {
            if let Err(e) = result {
                tracing::error!("emulator server stopped: {e}");
            }
        }
        _ = shutdown => {}
    }
}

async fn handle(AxumState(app): AxumState<Arc<App>>, req: Request) -> Response<Body> {
    let started = Instant::now();
    app.counters.requests.fetch_add(1, Ordering::Relaxed);
    let headers = req.headers();
    let request_id = app.request_id(headers.get("opc-request-id").and_then(|v| v.to_str().ok()));
    let origin = headers.get("origin").cloned();
    let client_request_id = headers.get("opc-client-request-id").cloned();
    let method = req.method().clone();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());

    let conn = req
        .extensions()
        .get::<ConnectInfo<ConnHandle>>()
        .map_or_else(ConnHandle::detached, |c| c.0.clone());

    let (op, reply, fault) = process(&app, req, &conn).await;
    app.count_op(op);
    tracing::debug!(
        request_id = %request_id,
        method = %method,
        target = %target,
        operation = op,
        status = reply.status.as_u16(),
        code = reply.error_code.unwrap_or(""),
        fault = fault.unwrap_or(""),
        elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "ocisdk-emulator request"
    );
    finish(reply, &request_id, origin, client_request_id)
}

fn finish(
    reply: Reply,
    request_id: &str,
    origin: Option<HeaderValue>,
    client_request_id: Option<HeaderValue>,
) -> Response<Body> {
    let mut resp = Response::new(Body::from(reply.body));
    *resp.status_mut() = reply.status;
    let h = resp.headers_mut();
    for (k, v) in reply.headers {
        h.append(k, v);
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("opc-request-id", v);
    }
    if let Some(c) = client_request_id {
        h.insert("opc-client-request-id", c);
    }
    match origin {
        Some(o) => {
            h.insert("access-control-allow-origin", o);
            h.append("vary", HeaderValue::from_static("Origin"));
        }
        None => {
            h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
        }
    }
    let mut expose = EXPOSE.to_string();
    for name in &reply.expose {
        expose.push_str(", ");
        expose.push_str(name);
    }
    expose.push_str(", *");
    if let Ok(v) = HeaderValue::from_str(&expose) {
        h.insert("access-control-expose-headers", v);
    }
    resp
}

fn preflight(headers: &HeaderMap) -> Reply {
    let allow_headers = headers
        .get("access-control-request-headers")
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("*")
        .to_string();
    Reply::empty(StatusCode::OK)
        .header(
            "access-control-allow-methods",
            "GET, HEAD, PUT, POST, DELETE, OPTIONS",
        )
        .header("access-control-allow-headers", allow_headers)
        .header("access-control-max-age", "3600")
        .header("content-length", "0")
}

fn unauthenticated(message: String) -> Reply {
    ApiError::new(StatusCode::UNAUTHORIZED, "NotAuthenticated", message).into_reply()
}

/// Authenticates and serves one request, with any injected fault. Returns the operation, the
/// reply and the name of the fault kind that fired.
async fn process(
    app: &App,
    req: Request,
    conn: &ConnHandle,
) -> (&'static str, Reply, Option<&'static str>) {
    let (parts, body) = req.into_parts();
    if parts.method == Method::OPTIONS {
        os::drain(body, &parts.headers).await;
        return ("CorsPreflight", preflight(&parts.headers), None);
    }
    // A pre-authenticated request's access URI is used without a signature: the PAR decides.
    if parts.uri.path().starts_with("/p/") {
        return (
            "PreauthenticatedRequest",
            os::par::serve_unsigned(app, &parts, body).await,
            None,
        );
    }
    // The instance metadata service (instance principals): not signed, but it wants its
    // `Authorization: Bearer Oracle`, which it checks itself.
    if let Some(path) = parts.uri.path().strip_prefix(instance::IMDS_PREFIX) {
        os::drain(body, &parts.headers).await;
        let region = app.lock().region.clone();
        let identity = app.instance.lock().unwrap_or_else(|e| e.into_inner());
        let reply = instance::serve_imds(path, &parts.headers, &region, &identity);
        return (instance::IMDS_OPERATION, reply, None);
    }
    // The sign-in stand-in (see `session::SIGN_IN_PATH`): unsigned, as a browser test calls it.
    if parts.method == Method::POST && parts.uri.path() == session::SIGN_IN_PATH {
        let bytes = match axum::body::to_bytes(body, JSON_BODY_LIMIT).await {
            Ok(b) => b,
            Err(_) => {
                let e = ApiError::invalid(format!("the body exceeds {JSON_BODY_LIMIT} bytes"));
                return (session::SIGN_IN_OPERATION, e.into_reply(), None);
            }
        };
        let now = app.now();
        let (reply, _) = app.with_token_keys(|keys, rng, tenancy| {
            session::sign_in(keys, rng, &bytes, tenancy, now)
        });
        return (session::SIGN_IN_OPERATION, reply, None);
    }
    // The operations and their paths are the API model's (`spec/`); a path it has no operation
    // for is answered as the service does, after authentication.
    // The auth service's refresh endpoint is not in the API model (it is the CLI's, not an SDK
    // service's); it is served beside the services, on the same address.
    let is_refresh = parts.method == Method::POST && parts.uri.path() == session::REFRESH_PATH;
    let is_federation =
        parts.method == Method::POST && parts.uri.path() == instance::FEDERATION_PATH;
    // So are the two token endpoints of resource principals 2.1.x and 1.1.
    let resource_op = resource::route(&parts.method, parts.uri.path());
    let route = match model::route(&parts.method, parts.uri.path()) {
        _ if is_refresh || is_federation || resource_op.is_some() => None,
        Ok(r) => Some(r),
        Err(NoMatch::NotFound) => None,
        Err(NoMatch::BadSegment(seg)) => {
            os::drain(body, &parts.headers).await;
            let e = ApiError::invalid(format!(
                "path segment \"{seg}\" is not UTF-8 after percent-decoding"
            ));
            return ("Unknown", e.into_reply(), None);
        }
    };
    let op = if is_refresh {
        session::REFRESH_OPERATION
    } else if is_federation {
        instance::FEDERATION_OPERATION
    } else if let Some(op) = resource_op {
        op
    } else {
        route.as_ref().map_or("Unknown", |r| r.operation)
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string());
    let now = app.now();
    let exempt = matches!(op, "PutObject" | "UploadPart");

    let verified = {
        let keys = app.keys.read().unwrap_or_else(|e| e.into_inner());
        auth::verify(
            &RequestFacts {
                method: &parts.method,
                target: &target,
                headers: &parts.headers,
                body_exempt: exempt,
                now,
                max_skew: app.max_skew,
            },
            &keys,
        )
    };
    // A session token's signature verified: it must also be alive (not past its `exp`, and,
    // except for its own refresh, not revoked).
    let verified = verified.and_then(|v| match &v.principal.token {
        Some(token) => {
            let keys = app.keys.read().unwrap_or_else(|e| e.into_inner());
            session::check(&keys, token, now, op).map(|()| v)
        }
        // An instance leaf key signs its federation and nothing else.
        None if instance::is_federation_key(&v) && op != instance::FEDERATION_OPERATION => Err(
            "an instance certificate's key signs only the federation (POST /v1/x509); sign with the session token it gives (ST$<token>)".to_string(),
        ),
        // A resource's key signs its token exchanges and nothing else.
        None if resource::is_resource_key(&v)
            && op != resource::RPT_OPERATION
            && op != resource::RPST_OPERATION =>
        {
            Err("a resource's key signs only its token exchanges; sign with the resource principal session token (ST$<token>)".to_string())
        }
        None => Ok(v),
    });
    // A signed delegation token must be one the auth service issued, still alive.
    let verified = verified.and_then(|v| {
        let keys = app.keys.read().unwrap_or_else(|e| e.into_inner());
        crate::delegation::check(&keys.delegation_tokens, &parts.headers, now).map(|delegated| {
            if delegated {
                app.counters
                    .delegated_requests
                    .fetch_add(1, Ordering::Relaxed);
            }
            v
        })
    });
    let verified = match verified {
        Ok(v) => v,
        Err(message) => {
            app.counters.auth_failures.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(operation = op, "authentication failed: {message}");
            os::drain(body, &parts.headers).await;
            return (op, unauthenticated(message), None);
        }
    };

    // Faults are decided only now: a request that fails authentication never consumes one.
    let Some(fault) = app.faults.pick(op) else {
        let reply = serve_verified(app, &parts, body, route.as_ref(), op, &verified, now).await;
        return (op, reply, None);
    };
    let name = fault.name();
    tracing::debug!(operation = op, peer = %conn.peer(), fault = ?fault, "injecting fault");
    let reply = match fault {
        FaultKind::Status {
            status,
            code,
            retry_after,
        } => {
            // Read the body first so the connection stays usable for the client's retry.
            os::drain(body, &parts.headers).await;
            let mut reply = injected_reply(status, &code, op);
            if let Some(secs) = retry_after {
                reply = reply.header("retry-after", secs.to_string());
            }
            reply
        }
        FaultKind::CommitThenStatus { status, code } => {
            let real = serve_verified(app, &parts, body, route.as_ref(), op, &verified, now).await;
            tracing::debug!(
                operation = op,
                status = real.status.as_u16(),
                "injected fault replaces the real response"
            );
            injected_reply(status, &code, op)
        }
        FaultKind::CommitThenDrop => {
            let real = serve_verified(app, &parts, body, route.as_ref(), op, &verified, now).await;
            conn.arm(Plan::Close);
            real
        }
        FaultKind::ResetResponseBody | FaultKind::TruncateResponseBody => {
            let real = serve_verified(app, &parts, body, route.as_ref(), op, &verified, now).await;
            conn.arm(Plan::Cut {
                body_bytes: real.body.len() as u64 / 2,
                reset: matches!(fault, FaultKind::ResetResponseBody),
            });
            real
        }
        FaultKind::Stall { duration } => {
            // The body stays unread (no `100 Continue` either): a stalled server reads nothing.
            tokio::time::sleep(duration).await;
            drop(body);
            conn.arm(Plan::Close);
            injected_reply(500, "InternalServerError", op)
        }
        FaultKind::ResetRequestBody => {
            read_about_half(body, &parts.headers).await;
            conn.arm(Plan::Reset);
            injected_reply(500, "InternalServerError", op)
        }
    };
    (op, reply, Some(name))
}

/// The answer of a status fault: an OCI error body naming the injection. Statuses that cannot be
/// a final response (or are not HTTP statuses) become 500.
fn injected_reply(status: u16, code: &str, op: &str) -> Reply {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(|s| (200..=599).contains(&s.as_u16()))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({
        "code": code,
        "message": format!("injected fault: {op} answered {} {code} by the emulator's fault injection", status.as_u16()),
    });
    let mut reply = Reply::json(status, &body);
    reply.error_code = Some("InjectedFault");
    reply
}

/// Reads about half of a request body (by `content-length`; one chunk without it) and leaves the
/// rest unread, for [`FaultKind::ResetRequestBody`].
async fn read_about_half(mut body: Body, headers: &HeaderMap) {
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok());
    let want = declared.map(|n| n / 2);
    let mut seen: u64 = 0;
    loop {
        if want.is_some_and(|w| seen >= w) {
            return;
        }
        match std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
            Some(Ok(frame)) => {
                if let Ok(d) = frame.into_data() {
                    seen += d.len() as u64;
                }
                if want.is_none() {
                    return;
                }
            }
            None | Some(Err(_)) => return,
        }
    }
}

/// Serves an authenticated request: reads the body, checks its signed hash and length, and
/// dispatches (with retry-token handling for creates).
async fn serve_verified(
    app: &App,
    parts: &Parts,
    body: Body,
    route: Option<&Matched>,
    op: &'static str,
    verified: &Verified,
    now: SystemTime,
) -> Reply {
    if let Some(r) = route
        && matches!(op, "PutObject" | "UploadPart")
    {
        let (ns, bucket, name) = (
            r.param("namespaceName"),
            r.param("bucketName"),
            r.param("objectName"),
        );
        if op == "PutObject" {
            return os::put_object(app, &parts.headers, body, verified, ns, bucket, name).await;
        }
        let query = Query::parse(parts.uri.query());
        return os::upload_part(
            app,
            &parts.headers,
            &query,
            body,
            verified,
            ns,
            bucket,
            name,
        )
        .await;
    }

    let bytes: Bytes = match axum::body::to_bytes(body, JSON_BODY_LIMIT).await {
        Ok(b) => b,
        Err(e) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!(
                    "the request body could not be read or exceeds {JSON_BODY_LIMIT} bytes: {e}"
                ),
            )
            .into_reply()
            .header("connection", "close");
        }
    };
    let sha = verified.needs_body_hash().then(|| Sha256::digest(&bytes));
    if let Err(message) =
        verified.check_body(bytes.len() as u64, sha.as_ref().map(|d| d.as_slice()))
    {
        app.counters.auth_failures.fetch_add(1, Ordering::Relaxed);
        return unauthenticated(message);
    }

    if op == instance::FEDERATION_OPERATION {
        // One lock at a time (the state's, the identity's, then the keys'): never two.
        let (tenancy, mut rng) = app.token_rng();
        let identity = app.instance.lock().unwrap_or_else(|e| e.into_inner());
        let (reply, issued) = {
            let mut keys = app.keys.write().unwrap_or_else(|e| e.into_inner());
            instance::federate(
                &mut keys,
                &mut rng,
                verified,
                &identity,
                &bytes,
                &tenancy,
                now,
                app.session_token_lifetime(),
            )
        };
        if issued {
            app.counters.federations.fetch_add(1, Ordering::Relaxed);
        }
        return reply;
    }

    if op == resource::RPT_OPERATION {
        return app.with_token_keys(|keys, rng, _| {
            resource::serve_rpt(keys, rng, verified, parts.uri.path(), now)
        });
    }

    if op == resource::RPST_OPERATION {
        let lifetime = app.session_token_lifetime();
        let (reply, _) = app.with_token_keys(|keys, rng, tenancy| {
            resource::serve_rpst(keys, rng, verified, &bytes, tenancy, now, lifetime)
        });
        return reply;
    }

    if op == session::REFRESH_OPERATION {
        let lifetime = app.session_token_lifetime();
        let (reply, issued) = app.with_token_keys(|keys, rng, tenancy| {
            session::refresh(keys, rng, verified, &bytes, tenancy, now, lifetime)
        });
        if issued {
            app.counters.token_refreshes.fetch_add(1, Ordering::Relaxed);
        }
        return reply;
    }

    let query = Query::parse(parts.uri.query());
    let host = parts
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let ctx = Ctx {
        headers: &parts.headers,
        query: &query,
        body: &bytes,
        principal: &verified.principal,
        now,
        page_size: app.page_size,
        empty_pages: app.empty_pages,
        host: &host,
        default_user: &app.default_user,
    };
    let key = format!("{} {}", parts.method, parts.uri.path());
    dispatch(app, &ctx, &parts.method, route, op, &key)
}

fn dispatch(
    app: &App,
    ctx: &Ctx<'_>,
    method: &Method,
    route: Option<&Matched>,
    op: &'static str,
    key: &str,
) -> Reply {
    if let (Some(home), Some(r)) = (&app.identity_writes_go_to, route)
        && r.service == "identity"
        && matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE")
    {
        return not_in_home_region(home);
    }
    let mut st = app.lock();
    // Only where the real API defines the header (the model says): CreateBucket has none, so a
    // retried CreateBucket meets its own earlier success, as on the service.
    let token = if crate::model::takes_retry_token(op) {
        ctx.header("opc-retry-token").map(str::to_string)
    } else {
        None
    };
    let Some(token) = token else {
        return run_applying(app, &mut st, ctx, method, route);
    };
    if token.is_empty() || token.len() > 64 {
        return ApiError::invalid("opc-retry-token must be between 1 and 64 characters")
            .into_reply();
    }
    let request_hash: [u8; 32] = Sha256::digest(ctx.body).into();
    let cache_key = (token, key.to_string());
    if let Some(entry) = st.retry.get(&cache_key) {
        let expired = ctx
            .now
            .duration_since(entry.at)
            .is_ok_and(|age| age > RETRY_TOKEN_TTL);
        if !expired {
            if entry.request_hash != request_hash {
                return ApiError::conflict(
                    "InvalidatedRetryToken",
                    "The opc-retry-token was already used for a request with a different body; use a new token for a different request",
                )
                .into_reply();
            }
            if let Some(created) = &entry.reply.created
                && !st.exists(created)
            {
                return ApiError::conflict(
                        "InvalidatedRetryToken",
                        "The opc-retry-token was used in an earlier request whose result has since been deleted; retry with a different token",
                    )
                    .into_reply();
            }
            return entry.reply.clone();
        }
        st.retry.remove(&cache_key);
    }
    let reply = run_applying(app, &mut st, ctx, method, route);
    if reply.status.is_success() {
        if st.retry.len() >= 4096 && st.retry.len().is_multiple_of(1024) {
            let now = ctx.now;
            st.retry.retain(|_, e| {
                !now.duration_since(e.at)
                    .is_ok_and(|age| age > RETRY_TOKEN_TTL)
            });
        }
        st.retry.insert(
            cache_key,
            RetryEntry {
                request_hash,
                reply: reply.clone(),
                at: ctx.now,
            },
        );
    }
    reply
}

/// OCI's answer to an Identity create, update or delete sent to a region other than the
/// tenancy's home region: `403 NotAllowed`, "Please go to your home region PHX to execute CREATE,
/// UPDATE and DELETE operations." (the real message names the home region by its key; this one
/// names it as configured). Reported verbatim by users of the official SDKs and Terraform, e.g.
/// github.com/oracle/terraform-provider-oci/issues/1596 and
/// github.com/oracle/oci-python-sdk/issues/32 (status 403).
fn not_in_home_region(home: &str) -> Reply {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "NotAllowed",
        format!(
            "Please go to your home region {home} to execute CREATE, UPDATE and DELETE operations."
        ),
    )
    .into_reply()
}

fn not_found(method: &Method) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!(
            "There is no operation supported at the URI path and HTTP method you specified in the request ({method})"
        ),
    )
}

fn not_implemented(op: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "NotImplemented",
        format!(
            "The emulator does not implement {op} (it is in the API model, so the SDK can call it)"
        ),
    )
}

/// Runs an operation, then applies the key registry changes it made (UploadApiKey,
/// DeleteApiKey, DeleteUser) while the state is still locked, so the next request signed with
/// an uploaded key verifies and one signed with a deleted key does not.
fn run_applying(
    app: &App,
    st: &mut State,
    ctx: &Ctx<'_>,
    method: &Method,
    route: Option<&Matched>,
) -> Reply {
    let reply = run(st, ctx, method, route).unwrap_or_else(ApiError::into_reply);
    if !st.key_changes.is_empty() {
        let mut keys = app.keys.write().unwrap_or_else(|e| e.into_inner());
        for change in st.key_changes.drain(..) {
            match change {
                KeyChange::Add(key_id, key) => {
                    keys.api_keys.insert(key_id, key);
                }
                KeyChange::Remove(key_id) => {
                    keys.api_keys.remove(&key_id);
                }
            }
        }
    }
    reply
}

/// Runs operation `op` of the model: the hand-written handlers ([`support::REAL`]), the generic
/// Identity collections, and 501 naming the operation for the rest.
fn run(
    st: &mut State,
    ctx: &Ctx<'_>,
    method: &Method,
    route: Option<&Matched>,
) -> Result<Reply, ApiError> {
    let Some(r) = route else {
        return Err(not_found(method));
    };
    let p = |name: &str| r.param(name);
    let (ns, b, o) = (p("namespaceName"), p("bucketName"), p("objectName"));
    match (r.service, r.operation) {
        ("identity", op) => match op {
            "CreateGroup" => identity::create(st, ctx, Kind::Group),
            "ListGroups" => identity::list(st, ctx, Kind::Group),
            "GetGroup" => identity::get(st, Kind::Group, p("groupId")),
            "UpdateGroup" => identity::update(st, ctx, Kind::Group, p("groupId")),
            "DeleteGroup" => identity::delete(st, ctx, Kind::Group, p("groupId")),
            "CreateUser" => identity::create(st, ctx, Kind::User),
            "ListUsers" => identity::list(st, ctx, Kind::User),
            "GetUser" => identity::get(st, Kind::User, p("userId")),
            "UpdateUser" => identity::update(st, ctx, Kind::User, p("userId")),
            "DeleteUser" => identity::delete(st, ctx, Kind::User, p("userId")),
            "AddUserToGroup" => identity::add_user_to_group(st, ctx),
            "ListUserGroupMemberships" => identity::list_memberships(st, ctx),
            "GetUserGroupMembership" => identity::get_membership(st, p("userGroupMembershipId")),
            "RemoveUserFromGroup" => {
                identity::remove_membership(st, ctx, p("userGroupMembershipId"))
            }
            "GetWorkRequest" => identity::get_work_request(st, p("workRequestId")),
            "ListWorkRequests" => identity::list_work_requests(st, ctx),
            other => match generic::lookup("identity", other) {
                Some((collection, verb)) => generic::serve(st, ctx, collection, verb, r),
                None => Err(not_implemented(other)),
            },
        },
        ("object_storage", op) => match op {
            "GetNamespace" => Ok(os::get_namespace(st)),
            "CreateBucket" => os::create_bucket(st, ctx, ns),
            "ListBuckets" => os::list_buckets(st, ctx, ns),
            "GetBucket" => os::get_bucket(st, ctx, ns, b, false),
            "HeadBucket" => os::get_bucket(st, ctx, ns, b, true),
            "DeleteBucket" => os::delete_bucket(st, ctx, ns, b),
            "ListObjects" => os::list_objects(st, ctx, ns, b),
            "GetObject" => os::get_object(st, ctx, ns, b, o, false),
            "HeadObject" => os::get_object(st, ctx, ns, b, o, true),
            "DeleteObject" => os::delete_object(st, ctx, ns, b, o),
            "CreateMultipartUpload" => os::create_upload(st, ctx, ns, b),
            "ListMultipartUploads" => os::list_uploads(st, ctx, ns, b),
            "CommitMultipartUpload" => os::commit_upload(st, ctx, ns, b, o),
            "AbortMultipartUpload" => os::abort_upload(st, ctx, ns, b, o),
            "ListMultipartUploadParts" => os::list_parts(st, ctx, ns, b, o),
            "UpdateBucket" => os::update_bucket(st, ctx, ns, b),
            "ListObjectVersions" => os::list_object_versions(st, ctx, ns, b),
            "RenameObject" => os::rename_object(st, ctx, ns, b),
            "CopyObject" => os::copy_object(st, ctx, ns, b),
            "GetWorkRequest" => os::get_work_request(st, p("workRequestId")),
            "ListWorkRequests" => os::list_work_requests(st, ctx),
            "ListWorkRequestErrors" => os::list_entries(st, ctx, p("workRequestId"), true),
            "ListWorkRequestLogs" => os::list_entries(st, ctx, p("workRequestId"), false),
            "CancelWorkRequest" => os::cancel_work_request(st, ctx, p("workRequestId")),
            "CreatePreauthenticatedRequest" => os::par::create(st, ctx, ns, b),
            "GetPreauthenticatedRequest" => os::par::get(st, ns, b, p("parId")),
            "ListPreauthenticatedRequests" => os::par::list(st, ctx, ns, b),
            "DeletePreauthenticatedRequest" => os::par::delete(st, ns, b, p("parId")),
            "PutObjectLifecyclePolicy" => os::put_lifecycle(st, ctx, ns, b),
            "GetObjectLifecyclePolicy" => os::get_lifecycle(st, ns, b),
            "DeleteObjectLifecyclePolicy" => os::delete_lifecycle(st, ctx, ns, b),
            "CreateRetentionRule" => os::retention::create(st, ctx, ns, b),
            "GetRetentionRule" => os::retention::get(st, ns, b, p("retentionRuleId")),
            "ListRetentionRules" => os::retention::list(st, ctx, ns, b),
            "UpdateRetentionRule" => os::retention::update(st, ctx, ns, b, p("retentionRuleId")),
            "DeleteRetentionRule" => os::retention::delete(st, ctx, ns, b, p("retentionRuleId")),
            other => Err(not_implemented(other)),
        },
        ("secrets", op) => match op {
            "GetSecretBundle" => secrets::get_bundle(st, ctx, p("secretId")),
            "GetSecretBundleByName" => secrets::get_bundle_by_name(st, ctx),
            "ListSecretBundleVersions" => secrets::list_versions(st, ctx, p("secretId")),
            other => Err(not_implemented(other)),
        },
        (_, other) => Err(not_implemented(other)),
    }
}

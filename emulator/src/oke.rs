//! OKE workload identity: the cluster's proxymux (`POST /resourcePrincipalSessionTokens`,
//! port 12250 of the Kubernetes service host on OKE), served on an address of its own over
//! plain HTTP, or over TLS with a certificate of the test's cluster CA
//! ([`crate::EmulatorConfig::proxymux_tls`]), and the Kubernetes service-account tokens it
//! accepts.
//!
//! Facts relied on (the official Python SDK, oci 2.189.0,
//! `oci/auth/signers/oke_workload_identity_resource_principal_signer.py`): the request carries
//! `Authorization: Bearer <service-account token>` and the JSON body `{"podKey": "<SPKI PEM body
//! on one line>"}`, and is not signed; a success is the base64 of `{"token": "ST$<JWT>"}` (the
//! client drops the first three characters); a 403 means the cluster is not an "enhanced"
//! cluster. How the real proxymux refuses a bad service-account token is not public: the
//! emulator answers `401 NotAuthenticated` in OCI's JSON error shape, and a client must treat any
//! refusal as final. The token it issues is a resource-principal session token bound to the pod
//! key, with `res_tenant`/`res_compartment` as resource principals' tokens carry them.

use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State as AxumState};
use axum::http::{Method, Response, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::json;
use tokio::net::TcpListener;

use crate::keys::random_hex;
use crate::server::App;
use crate::state::{ApiError, Reply};

/// The proxymux's token path.
pub(crate) const PROXYMUX_PATH: &str = "/resourcePrincipalSessionTokens";

/// The operation name of a proxymux request in stats and logs.
pub(crate) const PROXYMUX_OPERATION: &str = "OkeWorkloadIdentityToken";

/// Largest request body read (a pod key is well under a kilobyte).
const BODY_LIMIT: usize = 64 * 1024;

/// What the proxymux knows: the service-account tokens it accepts and whether the cluster is
/// an enhanced one.
#[derive(Debug, Default)]
pub(crate) struct OkeState {
    /// Service-account token → its `exp`.
    pub sa_tokens: HashMap<String, SystemTime>,
    /// The cluster is a basic one: every request is refused with 403 (as OKE does).
    pub basic_cluster: bool,
}

/// A Kubernetes service-account token (a JWT of the shape the kubelet projects: `iss`, `sub`
/// `system:serviceaccount:<namespace>:<name>`, `aud`, `iat`, `exp`) living `lifetime` from
/// `now`, registered as one the proxymux accepts. Its signature is random bytes: the
/// proxymux knows its tokens by their text.
pub(crate) fn issue_sa_token(
    state: &mut OkeState,
    rng: &mut rand_chacha::ChaCha20Rng,
    now: SystemTime,
    lifetime: Duration,
) -> String {
    let (iat, exp) = crate::session::iat_exp(now, lifetime);
    let header = json!({"alg": "RS256", "kid": random_hex(rng, 8)});
    let payload = json!({
        "iss": "https://kubernetes.default.svc.cluster.local",
        "sub": "system:serviceaccount:default:ocisdk-emulator",
        "aud": ["api"],
        "jti": random_hex(rng, 16),
        "iat": iat,
        "nbf": iat,
        "exp": exp,
    });
    let token = crate::session::jwt(rng, &header, &payload);
    state
        .sa_tokens
        .insert(token.clone(), UNIX_EPOCH + Duration::from_secs(exp));
    token
}

/// The proxymux's TLS (a certificate chain its clients verify with the cluster CA, as on
/// OKE), built from PEM.
pub(crate) fn tls_acceptor(
    chain_pem: &str,
    key_pem: &str,
) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the proxymux certificate chain is not PEM: {e}"))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| format!("the proxymux key is not a PEM private key: {e}"))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("proxymux TLS: {e}"))?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| format!("proxymux TLS: {e}"))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// How long a proxymux TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Accepts TLS connections (a failed handshake is dropped and the next one awaited).
struct TlsListener {
    inner: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, peer)) = self.inner.accept().await else {
                // Out of descriptors or similar: wait a little, as axum's own listener does.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            // Handshakes run one at a time here: a client that connects and says nothing must
            // not hold up the ones behind it for long.
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => return (tls, peer),
                Ok(Err(e)) => tracing::debug!("proxymux TLS handshake with {peer} failed: {e}"),
                Err(_) => tracing::debug!("proxymux TLS handshake with {peer} timed out"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Serves the proxymux on `listener` (over TLS with `tls`) until the future is dropped (with
/// the emulator's server).
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Arc<App>,
) {
    let router = Router::new().fallback(handle).with_state(app);
    let result = match tls {
        Some(acceptor) => {
            let listener = TlsListener {
                inner: listener,
                acceptor,
            };
            axum::serve(listener, router).into_future().await
        }
        None => axum::serve(listener, router).into_future().await,
    };
    if let Err(e) = result {
        tracing::error!("emulator proxymux stopped: {e}");
    }
}

async fn handle(AxumState(app): AxumState<Arc<App>>, req: Request) -> Response<Body> {
    app.counters.requests.fetch_add(1, Ordering::Relaxed);
    app.count_op(PROXYMUX_OPERATION);
    let request_id = app.request_id(
        req.headers()
            .get("opc-request-id")
            .and_then(|v| v.to_str().ok()),
    );
    let reply = serve_request(&app, req).await;
    let mut resp = Response::new(Body::from(reply.body));
    *resp.status_mut() = reply.status;
    for (k, v) in reply.headers {
        resp.headers_mut().append(k, v);
    }
    if let Ok(v) = request_id.parse() {
        resp.headers_mut().insert("opc-request-id", v);
    }
    resp
}

async fn serve_request(app: &App, req: Request) -> Reply {
    if req.method() != Method::POST || req.uri().path() != PROXYMUX_PATH {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the proxymux serves POST /resourcePrincipalSessionTokens only",
        )
        .into_reply();
    }
    let now = app.now();
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let (known, basic) = {
        let keys = app.keys.read().unwrap_or_else(|e| e.into_inner());
        let known = bearer
            .as_deref()
            .and_then(|t| keys.oke.sa_tokens.get(t))
            .copied();
        (known, keys.oke.basic_cluster)
    };
    if basic {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "NotAuthorized",
            "workload identity needs an enhanced cluster",
        )
        .into_reply();
    }
    // The token is never quoted back: it is the pod's credential.
    match known {
        None => {
            app.counters.auth_failures.fetch_add(1, Ordering::Relaxed);
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "NotAuthenticated",
                "the bearer token is not a service-account token of this cluster",
            )
            .into_reply();
        }
        Some(exp) if exp <= now => {
            app.counters.auth_failures.fetch_add(1, Ordering::Relaxed);
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "NotAuthenticated",
                "the service-account token has expired",
            )
            .into_reply();
        }
        Some(_) => {}
    }
    let Ok(body) = axum::body::to_bytes(req.into_body(), BODY_LIMIT).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            "the request body is too large",
        )
        .into_reply();
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "CannotParseRequest",
            "the request body is not JSON",
        )
        .into_reply();
    };
    let Some(pod_key) = value.get("podKey").and_then(|v| v.as_str()) else {
        return ApiError::missing("podKey").into_reply();
    };
    let Ok(key) = crate::keys::public_key_from_body(pod_key) else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "podKey is not an RSA public key (base64 SubjectPublicKeyInfo)",
        )
        .into_reply();
    };
    let lifetime = app.session_token_lifetime();
    let token = app.with_token_keys(|keys, rng, tenancy| {
        let claims = json!({
            "ptype": "resource",
            "res_type": "workload",
            "res_tenant": tenancy,
            "res_compartment": tenancy,
        });
        crate::session::issue_with_claims(keys, rng, key, claims, now, lifetime)
    });
    app.counters.oke_tokens.fetch_add(1, Ordering::Relaxed);
    let encoded = B64.encode(json!({ "token": format!("ST${token}") }).to_string());
    Reply::empty(StatusCode::OK)
        .header("content-type", "text/plain")
        .with_body(encoded.into())
}

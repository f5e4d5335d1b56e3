//! The shared client: one ureq agent and one core context.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ocisdk_core::auth::{DateHeader, RequestSigner};
use ocisdk_core::call::{Action, BodyMode, Context, Endpoints, Operation, Response};
use ocisdk_core::error::Error;
use ocisdk_core::retry::RetryPolicy;

use crate::services::{IdentityClient, ObjectStorageClient};
use crate::transport::{self, StreamBody};
use crate::upload::UploadBody;

/// Default connect timeout (the official SDKs' value).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default read timeout (the official SDKs' value).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) struct Inner {
    pub(crate) retry_override: Option<RetryPolicy>,
    pub(crate) agent: ureq::Agent,
    pub(crate) ctx: Arc<Context>,
    pub(crate) tenancy: String,
}

/// A blocking OCI client. Cheap to clone; clones share one connection pool and signer.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("context", &self.inner.ctx)
            .field("tenancy", &self.inner.tenancy)
            .finish()
    }
}

/// Builds a [`Client`]: credentials first, then where to send requests and how long to wait.
#[derive(Debug)]
pub struct ClientBuilder {
    signer: RequestSigner,
    tenancy: String,
    region: Option<String>,
    endpoints: Option<Endpoints>,
    connect_timeout: Duration,
    read_timeout: Duration,
    max_idle_connections: usize,
    retry: Option<RetryPolicy>,
}

/// 32 bytes from the OS for the core's generators (retry tokens, RSA blinding).
pub(crate) fn seed() -> Result<[u8; 32], Error> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| {
        Error::Transport(ocisdk_core::error::TransportError::new(
            ocisdk_core::error::TransportErrorKind::Io,
            format!("no OS randomness for signing: {e}"),
        ))
    })?;
    Ok(seed)
}

impl ClientBuilder {
    /// Starts from an explicit signer and tenancy.
    pub fn new(signer: RequestSigner, tenancy: impl Into<String>) -> Self {
        ClientBuilder {
            signer,
            tenancy: tenancy.into(),
            region: None,
            endpoints: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_idle_connections: 10,
            retry: None,
        }
    }

    /// The region whose public endpoints to use (identifier like `us-ashburn-1` or code like
    /// `iad`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sends every service to `base_url` (an emulator or a proxy) instead of the region's
    /// endpoints.
    pub fn endpoint(mut self, base_url: &str) -> Self {
        self.endpoints = Some(Endpoints::single(base_url));
        self
    }

    /// Sets the per-service endpoints explicitly.
    pub fn endpoints(mut self, endpoints: Endpoints) -> Self {
        self.endpoints = Some(endpoints);
        self
    }

    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Read timeout: the longest wait for any single read from the server (default 60 s).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Idle connections kept in the pool (default 10).
    pub fn max_idle_connections(mut self, n: usize) -> Self {
        self.max_idle_connections = n;
        self
    }

    /// The retry policy of every call (default: [`RetryPolicy::default`], or disabled when
    /// `OCI_SDK_DEFAULT_RETRY_ENABLED=false`).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Signs with `x-date` instead of `date`.
    pub fn date_header(mut self, header: DateHeader) -> Self {
        self.signer = self.signer.with_date_header(header);
        self
    }

    /// Builds the client. Fails when neither an endpoint nor a known region is given.
    pub fn build(self) -> Result<Client, Error> {
        let endpoints = Endpoints::choose_from_env(self.endpoints, self.region.as_deref())?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(self.connect_timeout))
            .timeout_per_read(Some(self.read_timeout))
            // A server that stops reading an upload must not block the caller forever.
            .timeout_per_write(Some(self.read_timeout))
            .timeout_resolve(Some(self.connect_timeout))
            .max_idle_connections(self.max_idle_connections)
            .max_idle_connections_per_host(self.max_idle_connections)
            .user_agent(ocisdk_core::call::USER_AGENT)
            // TLS through aws-lc-rs, the library that also signs: one native crypto library.
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .unversioned_rustls_crypto_provider(Arc::new(
                        rustls::crypto::aws_lc_rs::default_provider(),
                    ))
                    .build(),
            )
            .build();
        let policy = self.retry.unwrap_or_else(RetryPolicy::from_env);
        let ctx = Arc::new(Context::new(self.signer, endpoints, seed()?).with_retry_policy(policy));
        Ok(Client {
            inner: Arc::new(Inner {
                retry_override: None,
                agent: ureq::Agent::new_with_config(config),
                ctx,
                tenancy: self.tenancy,
            }),
        })
    }
}

impl Client {
    /// A client from an OCI config file: `path` or the standard lookup (`~/.oci/config`,
    /// `$OCI_CONFIG_FILE`), `profile` or `$OCI_CLI_PROFILE` or `DEFAULT`.
    pub fn from_config_file(path: Option<&Path>, profile: Option<&str>) -> Result<Client, Error> {
        Self::builder_from_config_file(path, profile)?.build()
    }

    /// A builder from an OCI config file, to adjust endpoint or timeouts before building.
    pub fn builder_from_config_file(
        path: Option<&Path>,
        profile: Option<&str>,
    ) -> Result<ClientBuilder, Error> {
        let (_, profile) = ocisdk_core::config::load_config(path, profile)?;
        let auth = ocisdk_core::auth::signer_from_profile(&profile, seed()?)?;
        let mut builder = ClientBuilder::new(auth.signer, auth.tenancy);
        builder.region = auth.region;
        Ok(builder)
    }

    /// A builder from an explicit signer.
    pub fn builder(signer: RequestSigner, tenancy: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(signer, tenancy)
    }

    /// The tenancy OCID (the compartment for users, groups and memberships).
    pub fn tenancy(&self) -> &str {
        &self.inner.tenancy
    }

    /// The core context (signer and endpoints).
    pub fn context(&self) -> &Arc<Context> {
        &self.inner.ctx
    }

    /// A client sharing this one's connections and signer whose calls use `policy` (per-call
    /// retry settings: `client.with_retry_policy(RetryPolicy::disabled()).identity()...`).
    pub fn with_retry_policy(&self, policy: RetryPolicy) -> Client {
        Client {
            inner: Arc::new(Inner {
                retry_override: Some(policy),
                agent: self.inner.agent.clone(),
                ctx: self.inner.ctx.clone(),
                tenancy: self.inner.tenancy.clone(),
            }),
        }
    }

    /// Identity operations.
    pub fn identity(&self) -> IdentityClient {
        IdentityClient {
            client: self.clone(),
        }
    }

    /// Object Storage operations.
    pub fn object_storage(&self) -> ObjectStorageClient {
        ObjectStorageClient {
            client: self.clone(),
        }
    }

    /// Runs any operation whose request and response bodies fit in memory.
    pub fn execute<O: Operation>(&self, op: O) -> Result<Response<O::Output>, Error> {
        self.run(op, None).map(|(resp, _)| resp)
    }

    /// The single driving loop of this adapter: polls the core's call, sends what it asks,
    /// sleeps when it asks, and hands back what came in.
    pub(crate) fn run<O: Operation>(
        &self,
        op: O,
        mut stream: Option<StreamBody<'_>>,
    ) -> Result<(Response<O::Output>, Option<ureq::Body>), Error> {
        let mut call = self.inner.ctx.call(op);
        if let Some(policy) = &self.inner.retry_override {
            call = call.with_retry_policy(policy.clone());
        }
        let mut kept_body = None;
        if let Some(s) = &stream {
            call.set_stream_replayable(s.replayable());
        }
        loop {
            match call.poll(SystemTime::now()) {
                Action::Send(request) => {
                    let sent = transport::send(&self.inner.agent, request, stream.as_mut());
                    // The retry decision is made when the outcome is handed in, so the core
                    // must know now whether this attempt consumed a one-shot body.
                    if let Some(s) = &stream {
                        call.set_stream_replayable(s.replayable());
                    }
                    match sent {
                        Ok(response) => {
                            let (parts, body) = response.into_parts();
                            match call.response_body_mode(parts.status) {
                                BodyMode::Stream => {
                                    kept_body = Some(body);
                                    let head =
                                        http::Response::from_parts(parts, bytes::Bytes::new());
                                    call.handle_response(head, SystemTime::now());
                                }
                                BodyMode::Buffer => match transport::read_body(
                                    body,
                                    call.max_buffered_body(parts.status),
                                ) {
                                    Ok(bytes) => call.handle_response(
                                        http::Response::from_parts(parts, bytes),
                                        SystemTime::now(),
                                    ),
                                    Err(e) => call.handle_transport_error(e, SystemTime::now()),
                                },
                            }
                        }
                        Err(transport::SendError::Transport(e)) => {
                            call.handle_transport_error(e, SystemTime::now())
                        }
                        Err(transport::SendError::Body(e)) => return Err(Error::Body(e)),
                    }
                }
                Action::Sleep(duration) => std::thread::sleep(duration),
                Action::Done(result) => return result.map(|r| (r, kept_body)),
            }
        }
    }

    /// Runs an upload whose body streams from `body` (exactly `length` bytes).
    pub(crate) fn run_upload<O: Operation>(
        &self,
        op: O,
        body: UploadBody<'_>,
        length: u64,
    ) -> Result<Response<O::Output>, Error> {
        let body = StreamBody::new(O::NAME, body.source, length);
        self.run(op, Some(body)).map(|(resp, _)| resp)
    }
}

//! The shared client: one pooled hyper client and one core context.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hyper::rt::{Read, Write};
use hyper_util::client::legacy::connect::{Connection, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use ocisdk_core::auth::{DateHeader, RequestSigner};
use ocisdk_core::call::{Action, BodyMode, Context, Endpoints, Operation, Response};
use ocisdk_core::error::{Error, TransportError, TransportErrorKind};
use ocisdk_core::retry::RetryPolicy;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::body::ObjectBody;
use crate::services::{IdentityClient, ObjectStorageClient};
use crate::transport::{self, BoxError, SendFn, TimeoutConnector};
use crate::upload::{Upload, UploadBody};

/// Default connect timeout (the official SDKs' value).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default read timeout (the official SDKs' value).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time an idle pooled connection is kept.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Default number of idle connections kept per host.
pub const DEFAULT_POOL_MAX_IDLE_PER_HOST: usize = 32;

/// The connector [`ClientBuilder::build`] uses: HTTPS through rustls on aws-lc-rs (the library
/// that also signs) with the webpki roots, plain HTTP allowed for emulators and proxies.
pub type DefaultConnector = hyper_rustls::HttpsConnector<HttpConnector>;

pub(crate) struct Inner {
    pub(crate) retry_override: Option<RetryPolicy>,
    pub(crate) http: SendFn,
    pub(crate) limit: Option<Arc<Semaphore>>,
    pub(crate) read_timeout: Duration,
    pub(crate) ctx: Arc<Context>,
    pub(crate) tenancy: String,
}

/// An async OCI client. Cheap to clone; clones share one connection pool and signer, and can be
/// moved into spawned tasks: every operation returns a `Send + 'static` future.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("context", &self.inner.ctx)
            .field("tenancy", &self.inner.tenancy)
            .field("read_timeout", &self.inner.read_timeout)
            .finish_non_exhaustive()
    }
}

/// Makes the type-erased hyper client once the pool settings are known.
type MakeClient =
    Box<dyn FnOnce(&hyper_util::client::legacy::Builder, Duration) -> SendFn + Send + Sync>;

/// Builds a [`Client`]: credentials first, then where to send requests, how long to wait and how
/// to pool connections.
pub struct ClientBuilder {
    signer: RequestSigner,
    tenancy: String,
    region: Option<String>,
    endpoints: Option<Endpoints>,
    connect_timeout: Duration,
    read_timeout: Duration,
    pool_idle_timeout: Option<Duration>,
    pool_max_idle_per_host: usize,
    max_concurrent_requests: Option<usize>,
    retry: Option<RetryPolicy>,
    connector: Option<MakeClient>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("signer", &self.signer)
            .field("tenancy", &self.tenancy)
            .field("region", &self.region)
            .field("endpoints", &self.endpoints)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("retry", &self.retry)
            .field("custom_connector", &self.connector.is_some())
            .finish()
    }
}

/// 32 bytes from the OS for the core's generators (retry tokens, RSA blinding).
pub(crate) fn seed() -> Result<[u8; 32], Error> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| {
        Error::Transport(TransportError::new(
            TransportErrorKind::Io,
            format!("no OS randomness for signing: {e}"),
        ))
    })?;
    Ok(seed)
}

/// The default connector: rustls with aws-lc-rs and the webpki roots, HTTP/1.1.
pub fn default_connector() -> Result<DefaultConnector, Error> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(provider)
        .map_err(|e| {
            Error::Transport(TransportError::new(
                TransportErrorKind::Tls,
                format!("cannot set up TLS: {e}"),
            ))
        })?
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(https)
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
            pool_idle_timeout: Some(DEFAULT_POOL_IDLE_TIMEOUT),
            pool_max_idle_per_host: DEFAULT_POOL_MAX_IDLE_PER_HOST,
            max_concurrent_requests: None,
            retry: None,
            connector: None,
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

    /// Connect timeout (default 10 s): the longest wait for a connection to be established,
    /// TLS handshake included. Applies to custom connectors too.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Read timeout (default 60 s): the longest wait for the response head after the request
    /// was sent (an upload still sending is not waiting), and for each chunk of a body.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// How long an idle pooled connection is kept (default 90 s; `None` keeps it until the
    /// server closes it).
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.pool_idle_timeout = timeout.into();
        self
    }

    /// Idle connections kept per host (default 32). Connections beyond that are closed when
    /// their request ends.
    pub fn pool_max_idle_per_host(mut self, n: usize) -> Self {
        self.pool_max_idle_per_host = n;
        self
    }

    /// At most `n` requests of this client (and its clones) in flight at once; further calls
    /// wait for a slot. A request holds its slot until its response body is read (for
    /// [`get_object`](crate::ObjectStorageClient::get_object), until the body is read or
    /// dropped). Each HTTP/1.1 request in flight needs its own connection, so together with
    /// [`ClientBuilder::pool_max_idle_per_host`] this bounds the open connections. Default:
    /// no limit.
    pub fn max_concurrent_requests(mut self, n: usize) -> Self {
        self.max_concurrent_requests = Some(n.max(1));
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

    /// Connects through `connector` instead of [`default_connector`]: a proxy connector, rustls
    /// with custom roots or client certificates, another TLS library. Any connector
    /// `hyper_util`'s pooled client accepts works; the connect timeout is applied around it.
    pub fn connector<C>(mut self, connector: C) -> Self
    where
        C: tower_service::Service<http::Uri> + Clone + Send + Sync + 'static,
        C::Response: Read + Write + Connection + Unpin + Send + 'static,
        C::Future: Send + 'static,
        C::Error: Into<BoxError>,
    {
        self.connector = Some(Box::new(move |builder, connect_timeout| {
            let client = builder.build(TimeoutConnector::new(connector, connect_timeout));
            Arc::new(move |request| client.request(request))
        }));
        self
    }

    /// [`ClientBuilder::connector`] then [`ClientBuilder::build`].
    pub fn build_with_connector<C>(self, connector: C) -> Result<Client, Error>
    where
        C: tower_service::Service<http::Uri> + Clone + Send + Sync + 'static,
        C::Response: Read + Write + Connection + Unpin + Send + 'static,
        C::Future: Send + 'static,
        C::Error: Into<BoxError>,
    {
        self.connector(connector).build()
    }

    /// Builds the client. Fails when neither an endpoint nor a known region is given. Needs no
    /// runtime; the client's calls must run on a tokio runtime (with the time driver).
    pub fn build(mut self) -> Result<Client, Error> {
        let endpoints = Endpoints::choose_from_env(self.endpoints.take(), self.region.as_deref())?;
        let make = match self.connector.take() {
            Some(make) => make,
            None => {
                let connector = default_connector()?;
                let make: MakeClient = Box::new(move |builder, connect_timeout| {
                    let client = builder.build(TimeoutConnector::new(connector, connect_timeout));
                    Arc::new(move |request| client.request(request))
                });
                make
            }
        };
        let mut builder = hyper_util::client::legacy::Client::builder(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_max_idle_per_host(self.pool_max_idle_per_host);
        let http = make(&builder, self.connect_timeout);
        let policy = self.retry.unwrap_or_else(RetryPolicy::from_env);
        let ctx = Arc::new(Context::new(self.signer, endpoints, seed()?).with_retry_policy(policy));
        Ok(Client {
            inner: Arc::new(Inner {
                retry_override: None,
                http,
                limit: self
                    .max_concurrent_requests
                    .map(|n| Arc::new(Semaphore::new(n))),
                read_timeout: self.read_timeout,
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

    /// A builder from an OCI config file, to adjust endpoint, timeouts, pool or connector
    /// before building.
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

    /// A client sharing this one's connections, request limit and signer whose calls use
    /// `policy` (per-call retry settings:
    /// `client.with_retry_policy(RetryPolicy::disabled()).identity()...`).
    pub fn with_retry_policy(&self, policy: RetryPolicy) -> Client {
        Client {
            inner: Arc::new(Inner {
                retry_override: Some(policy),
                http: self.inner.http.clone(),
                limit: self.inner.limit.clone(),
                read_timeout: self.inner.read_timeout,
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
    pub fn execute<O>(
        &self,
        op: O,
    ) -> impl Future<Output = Result<Response<O::Output>, Error>> + Send + 'static
    where
        O: Operation + Send + 'static,
        O::Output: Send + 'static,
    {
        let client = self.clone();
        async move { client.run(op, None).await.map(|(resp, _)| resp) }
    }

    async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        match &self.inner.limit {
            // The semaphore is never closed, so acquiring only fails if it were.
            Some(limit) => limit.clone().acquire_owned().await.ok(),
            None => None,
        }
    }

    /// The single driving loop of this adapter: polls the core's call, sends what it asks,
    /// sleeps when it asks, and hands back what came in.
    pub(crate) async fn run<O>(
        &self,
        op: O,
        mut upload: Option<Upload>,
    ) -> Result<(Response<O::Output>, Option<ObjectBody>), Error>
    where
        O: Operation + Send,
        O::Output: Send,
    {
        let mut call = self.inner.ctx.call(op);
        if let Some(policy) = &self.inner.retry_override {
            call = call.with_retry_policy(policy.clone());
        }
        let read_timeout = self.inner.read_timeout;
        let mut kept_body = None;
        // A request slot (with `max_concurrent_requests`) is taken before the poll that signs
        // the request, so a request never waits for a slot with its signature already dated.
        // It is kept from a send to the poll that follows (which usually finishes the call)
        // and given back before a backoff sleep.
        let mut permit = None;
        let mut need_slot = true;
        loop {
            if need_slot {
                permit = self.acquire().await;
                need_slot = false;
            }
            if let Some(u) = &upload {
                call.set_stream_replayable(u.replayable());
            }
            let action = call.poll(SystemTime::now());
            match action {
                Action::Send(request) => {
                    let sent =
                        transport::send(&self.inner.http, request, upload.as_mut(), read_timeout)
                            .await;
                    // Whether the body is still whole after this attempt decides whether the
                    // core may retry it.
                    if let Some(u) = &upload {
                        call.set_stream_replayable(u.replayable());
                    }
                    match sent {
                        Ok(response) => {
                            let (parts, body) = response.into_parts();
                            match call.response_body_mode(parts.status) {
                                BodyMode::Stream => {
                                    kept_body =
                                        Some(ObjectBody::new(body, read_timeout, permit.take()));
                                    let head =
                                        http::Response::from_parts(parts, bytes::Bytes::new());
                                    call.handle_response(head, SystemTime::now());
                                }
                                BodyMode::Buffer => {
                                    match transport::read_body(
                                        body,
                                        read_timeout,
                                        call.max_buffered_body(parts.status),
                                    )
                                    .await
                                    {
                                        Ok(bytes) => call.handle_response(
                                            http::Response::from_parts(parts, bytes),
                                            SystemTime::now(),
                                        ),
                                        Err(e) => call.handle_transport_error(e, SystemTime::now()),
                                    }
                                }
                            }
                        }
                        Err(transport::SendError::Transport(e)) => {
                            call.handle_transport_error(e, SystemTime::now())
                        }
                        Err(transport::SendError::Body(e)) => return Err(Error::Body(e)),
                    }
                }
                Action::Sleep(duration) => {
                    permit = None;
                    need_slot = true;
                    tokio::time::sleep(duration).await;
                }
                Action::Done(result) => return result.map(|r| (r, kept_body.take())),
            }
        }
    }

    /// Runs an upload whose body streams from `body` (exactly the length the operation
    /// declares).
    pub(crate) async fn run_upload<O>(
        &self,
        op: O,
        body: UploadBody,
    ) -> Result<Response<O::Output>, Error>
    where
        O: Operation + Send,
        O::Output: Send,
    {
        let upload = Upload::new(O::NAME, body);
        self.run(op, Some(upload)).await.map(|(resp, _)| resp)
    }
}

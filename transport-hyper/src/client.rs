//! The shared client: one pooled hyper client and one core context.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;
use hyper::rt::{Read, Write};
use hyper_util::client::legacy::connect::{Connection, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use ocisdk_core::call::{Call, Exchange, Head, ResponseHead, Step};
use ocisdk_core::clock::{Instant, Now};
use ocisdk_core::context::{ClientConfig, Context, PrivateCa};
use ocisdk_core::error::{Error, TransportError, TransportErrorKind};
use ocisdk_core::paginate::{ListOperation, Paginator};
use ocisdk_core::transport::{Streamed, Transport};
use ocisdk_core::{Operation, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::body::ObjectBody;
use crate::paginate::{ClientPages, Pages, Records};
use crate::transport::{self, BoxError, SendFn, TimeoutConnector};
use crate::upload::{self, UploadBody};

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

/// What the client's clones share besides the context: the pool, the request limit, the read
/// timeout and the clock origin.
pub(crate) struct Io {
    http: SendFn,
    limit: Option<Arc<Semaphore>>,
    read_timeout: Duration,
    origin: std::time::Instant,
}

/// An async OCI client. Cheap to clone; clones share one connection pool and signer, and can be
/// moved into spawned tasks: every operation returns a `Send + 'static` future.
#[derive(Clone)]
pub struct Client {
    ctx: Arc<Context>,
    io: Arc<Io>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("context", &self.ctx)
            .field("read_timeout", &self.io.read_timeout)
            .finish_non_exhaustive()
    }
}

/// Makes the type-erased hyper client once the pool settings are known.
type MakeClient =
    Box<dyn FnOnce(&hyper_util::client::legacy::Builder, Duration) -> SendFn + Send + Sync>;

/// Builds a [`Client`]: credentials first, then where to send requests, how long to wait and how
/// to pool connections.
pub struct ClientBuilder {
    config: ClientConfig,
    connect_timeout: Duration,
    read_timeout: Duration,
    pool_idle_timeout: Option<Duration>,
    pool_max_idle_per_host: usize,
    max_concurrent_requests: Option<usize>,
    connector: Option<MakeClient>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("custom_connector", &self.connector.is_some())
            .finish()
    }
}

/// 32 bytes from the OS for the core's generators (retry tokens, RSA blinding).
fn seed() -> Result<[u8; 32], Error> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(ocisdk_core::context::no_randomness)?;
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

/// A connector whose TLS trusts only the CA certificates `ca` gives (PEM), for its endpoint.
fn private_ca_connector(ca: &PrivateCa) -> Result<DefaultConnector, Error> {
    use rustls::pki_types::CertificateDer;
    let tls_error = |reason: String| {
        Error::Transport(TransportError::new(
            TransportErrorKind::Tls,
            format!(
                "cannot trust the private CA for {}:{}: {reason}",
                ca.host, ca.port
            ),
        ))
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in ca.certificates()? {
        roots
            .add(CertificateDer::from(cert))
            .map_err(|e| tls_error(format!("a certificate is unusable ({e})")))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| tls_error(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http))
}

/// Connects to each endpoint a private CA verifies (an OKE cluster's proxymux) with a
/// connector trusting only that CA, and to every other host with the default connector.
#[derive(Clone)]
struct RoutingConnector {
    default: DefaultConnector,
    private: Arc<Vec<(PrivateCa, DefaultConnector)>>,
}

impl tower_service::Service<http::Uri> for RoutingConnector {
    type Response = <DefaultConnector as tower_service::Service<http::Uri>>::Response;
    type Error = <DefaultConnector as tower_service::Service<http::Uri>>::Error;
    type Future = <DefaultConnector as tower_service::Service<http::Uri>>::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        // Every connector here wraps an `HttpConnector`, which is always ready: the private
        // ones need no readiness of their own.
        self.default.poll_ready(cx)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let port = uri
            .port_u16()
            .unwrap_or(if uri.scheme_str() == Some("https") {
                443
            } else {
                80
            });
        let private = uri.host().and_then(|host| {
            self.private
                .iter()
                .find(|(ca, _)| ca.matches(host, port))
                .map(|(_, c)| c.clone())
        });
        match private {
            Some(mut connector) => connector.call(uri),
            None => self.default.call(uri),
        }
    }
}

impl ClientBuilder {
    /// Starts from a configuration (signer, tenancy, region or endpoints, retries).
    pub fn from_config(config: ClientConfig) -> Self {
        ClientBuilder {
            config,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            pool_idle_timeout: Some(DEFAULT_POOL_IDLE_TIMEOUT),
            pool_max_idle_per_host: DEFAULT_POOL_MAX_IDLE_PER_HOST,
            max_concurrent_requests: None,
            connector: None,
        }
    }

    ocisdk_core::client_builder_setters!();

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
    /// [`Client::send_download`] (GetObject), until the body is read or
    /// dropped). Each HTTP/1.1 request in flight needs its own connection, so together with
    /// [`ClientBuilder::pool_max_idle_per_host`] this bounds the open connections. Default:
    /// no limit.
    pub fn max_concurrent_requests(mut self, n: usize) -> Self {
        self.max_concurrent_requests = Some(n.max(1));
        self
    }

    /// Connects through `connector` instead of [`default_connector`]: a proxy connector, rustls
    /// with custom roots or client certificates, another TLS library. It decides the TLS of
    /// every host: the configuration's private CAs (`trust_private_ca`, an OKE cluster's CA)
    /// are then not used. Any connector
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
        let make = match self.connector.take() {
            Some(make) => make,
            None => {
                let private = self
                    .config
                    .private_cas()?
                    .into_iter()
                    .map(|ca| private_ca_connector(&ca).map(|c| (ca, c)))
                    .collect::<Result<Vec<_>, Error>>()?;
                let connector = RoutingConnector {
                    default: default_connector()?,
                    private: Arc::new(private),
                };
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
        Ok(Client {
            ctx: Arc::new(self.config.build(seed()?)?),
            io: Arc::new(Io {
                http,
                limit: self
                    .max_concurrent_requests
                    .map(|n| Arc::new(Semaphore::new(n))),
                read_timeout: self.read_timeout,
                origin: std::time::Instant::now(),
            }),
        })
    }
}

impl Client {
    ocisdk_core::client_accessors!(files, seed);

    /// Runs any operation whose request and response bodies fit in memory: a request type of
    /// any service crate (`ocisdk_identity::GetUser`, …). The future owns what it needs
    /// (`Send + 'static`): it can be spawned.
    pub fn send<O: Operation>(
        &self,
        op: O,
    ) -> impl Future<Output = Result<Response<O::Output>, Error>> + Send + 'static {
        let client = self.clone();
        async move { client.run(op, None).await.map(|(resp, _)| resp) }
    }

    /// Runs an operation with a streamed request body (PutObject, UploadPart): exactly the
    /// length the request declares, streamed without buffering; a body that is too long fails
    /// before its last declared byte is sent, so nothing is stored. `Bytes`, `Vec`s, static
    /// slices, files, [`UploadBody::from_seekable`] readers and [`UploadBody::from_fn`]
    /// factories are retried after transient failures; [`UploadBody::from_stream`] and
    /// [`UploadBody::from_reader`] bodies are sent at most once.
    pub fn send_upload<O: Operation>(
        &self,
        op: O,
        body: impl Into<UploadBody>,
    ) -> impl Future<Output = Result<Response<O::Output>, Error>> + Send + 'static {
        let client = self.clone();
        let body = body.into();
        async move { client.run(op, Some(body)).await.map(|(resp, _)| resp) }
    }

    /// Runs an operation whose successful response body streams to the caller (GetObject): the
    /// decoded head, and the body as an [`ObjectBody`] stream of chunks read from the
    /// connection as they arrive.
    pub fn send_download<O: Operation>(
        &self,
        op: O,
    ) -> impl Future<Output = Result<Streamed<O::Output, ObjectBody>, Error>> + Send + 'static {
        let client = self.clone();
        async move {
            match client.run(op, None).await? {
                (meta, Some(body)) => Ok(Streamed { meta, body }),
                // The core keeps the body of every successful response of a streaming
                // operation.
                (_, None) => Err(Error::Misuse(
                    "send_download is for operations whose response body streams",
                )),
            }
        }
    }

    /// Every record of a list, across pages, as a `Stream`.
    pub fn paginate<O: ListOperation>(&self, op: O) -> Records<O> {
        Records::new(ClientPages(self.clone()), Paginator::new(op))
    }

    /// The pages of a list, each with its response metadata, as a `Stream`.
    pub fn pages<O: ListOperation>(&self, op: O) -> Pages<O> {
        Pages::new(ClientPages(self.clone()), Paginator::new(op))
    }

    async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        match &self.io.limit {
            // The semaphore is never closed, so acquiring only fails if it were.
            Some(limit) => limit.clone().acquire_owned().await.ok(),
            None => None,
        }
    }

    fn now(&self) -> Now {
        Now::new(
            Instant::from_origin(self.io.origin.elapsed()),
            SystemTime::now(),
        )
    }

    /// The single driving loop of this adapter: does what the core's call asks, hands back
    /// what came in. A streamed body comes from `body`; a kept response body is returned.
    ///
    /// A request slot (with `max_concurrent_requests`) is taken before the poll that signs the
    /// request, so a request never waits for a slot with its signature already dated; it is
    /// given back before a backoff sleep.
    pub(crate) async fn run<O: Operation>(
        &self,
        op: O,
        mut body: Option<UploadBody>,
    ) -> Result<(Response<O::Output>, Option<ObjectBody>), Error> {
        let mut call = self.ctx.call(op);
        if let Some(body) = &body {
            call = call.with_upload(body.kind());
        }
        let (timeout, mut permit) = (self.io.read_timeout, None);
        loop {
            if permit.is_none() {
                permit = self.acquire().await;
            }
            call = match call.poll(self.now()) {
                Step::Send {
                    request,
                    upload,
                    exchange,
                } => {
                    let (stream, progress) =
                        match upload::attempt(body.as_mut(), upload, timeout).await {
                            Ok(attempt) => attempt,
                            Err(e) => {
                                call = exchange.body_unavailable(e, self.now());
                                continue;
                            }
                        };
                    let sent = transport::send(&self.io.http, request, stream, timeout, progress);
                    match sent.await {
                        Err(e) => exchange.failed(e, self.now()),
                        Ok(response) => {
                            match self.received(exchange, response, &mut permit).await {
                                Ok(call) => call,
                                Err(kept) => return Ok(*kept),
                            }
                        }
                    }
                }
                Step::Sleep { until, call } => {
                    permit = None;
                    tokio::time::sleep(until.saturating_duration_since(self.now().instant)).await;
                    call
                }
                Step::Done(result) => return result.map(|r| (r, None)),
            }
        }
    }

    /// A response arrived: hands its head to the call, then reads the body into the call or
    /// hands it to the caller with the request slot (`Err`: the call is over, the body is the
    /// user's), as the core says.
    #[allow(clippy::type_complexity)]
    async fn received<O: Operation>(
        &self,
        exchange: Exchange<O>,
        response: http::Response<hyper::body::Incoming>,
        permit: &mut Option<OwnedSemaphorePermit>,
    ) -> Result<Call<O>, Box<(Response<O::Output>, Option<ObjectBody>)>> {
        let timeout = self.io.read_timeout;
        let (parts, incoming) = response.into_parts();
        match exchange.head(ResponseHead::new(parts.status, parts.headers), self.now()) {
            Head::Read(reading) => {
                Ok(transport::read_body(reading, incoming, timeout, || self.now()).await)
            }
            Head::Keep { response, meter } => {
                let body = ObjectBody::new(incoming, meter, timeout, permit.take());
                Err(Box::new((*response, Some(body))))
            }
            Head::Next(call) => Ok(call),
        }
    }
}

/// Service clients (`ocisdk_identity::IdentityClient<Client>`, …) call through this; every
/// call is a boxed `Send + 'static` future.
impl Transport for Client {
    type Out<T: 'static> = BoxFuture<'static, T>;
    type Records<O: ListOperation> = Records<O>;
    type Pages<O: ListOperation> = Pages<O>;
    type Upload<'a> = UploadBody;
    type Download = ObjectBody;

    fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    fn send<O: Operation>(&self, op: O) -> BoxFuture<'static, Result<Response<O::Output>, Error>> {
        Box::pin(Client::send(self, op))
    }

    fn send_upload<'a, O: Operation>(
        &self,
        op: O,
        body: UploadBody,
    ) -> BoxFuture<'static, Result<Response<O::Output>, Error>> {
        Box::pin(Client::send_upload(self, op, body))
    }

    fn send_download<O: Operation>(
        &self,
        op: O,
    ) -> BoxFuture<'static, Result<Streamed<O::Output, ObjectBody>, Error>> {
        Box::pin(Client::send_download(self, op))
    }

    fn paginate<O: ListOperation>(&self, op: O) -> Records<O> {
        Client::paginate(self, op)
    }

    fn pages<O: ListOperation>(&self, op: O) -> Pages<O> {
        Client::pages(self, op)
    }
}

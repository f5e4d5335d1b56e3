//! The client: one ureq agent, one core context, and the loop that drives the core's calls.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ocisdk_core::call::{Call, Exchange, Head, ResponseHead, Step};
use ocisdk_core::clock::{Instant, Now};
use ocisdk_core::context::{ClientConfig, Context, PrivateCa};
use ocisdk_core::error::Error;
use ocisdk_core::paginate::{ListOperation, Paginator};
use ocisdk_core::transport::{Streamed, Transport};
use ocisdk_core::{Operation, Response};

use crate::paginate::{ClientPages, Pages, Records};
use crate::redact::{UnsealingConnector, Vault};
use crate::transport::{self, DownloadBody};
use crate::upload::UploadBody;
use ureq::unversioned::transport::Connector as _;

/// Default connect timeout (the official SDKs' value).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default read timeout (the official SDKs' value).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// What the client's clones share besides the context: the pooled agent and the clock origin.
#[derive(Debug)]
pub(crate) struct Io {
    agent: ureq::Agent,
    /// An agent per endpoint a private CA verifies (an OKE cluster's proxymux): ureq's TLS
    /// takes either the public roots or a list of its own, per agent, so such an endpoint gets
    /// an agent of its own whose roots are that CA only.
    private: Vec<(PrivateCa, ureq::Agent)>,
    vault: Arc<Vault>,
    origin: std::time::Instant,
}

impl Io {
    /// The agent for a request to `uri`.
    fn agent_for(&self, uri: &http::Uri) -> &ureq::Agent {
        let port = uri
            .port_u16()
            .unwrap_or(if uri.scheme_str() == Some("https") {
                443
            } else {
                80
            });
        uri.host()
            .and_then(|host| self.private.iter().find(|(ca, _)| ca.matches(host, port)))
            .map_or(&self.agent, |(_, agent)| agent)
    }
}

/// A blocking OCI client. Cheap to clone; clones share one connection pool and signer.
#[derive(Clone)]
pub struct Client {
    ctx: Arc<Context>,
    io: Arc<Io>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("context", &self.ctx)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]: credentials first, then where to send requests and how long to wait.
#[derive(Debug)]
pub struct ClientBuilder {
    config: ClientConfig,
    connect_timeout: Duration,
    read_timeout: Duration,
    max_idle_connections: usize,
}

/// 32 bytes from the OS for the core's generators (retry tokens, RSA blinding).
fn seed() -> Result<[u8; 32], Error> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(ocisdk_core::context::no_randomness)?;
    Ok(seed)
}

impl ClientBuilder {
    /// Starts from a configuration (signer, tenancy, region or endpoints, retries).
    pub fn from_config(config: ClientConfig) -> Self {
        ClientBuilder {
            config,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_idle_connections: 10,
        }
    }

    ocisdk_core::client_builder_setters!();

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

    /// Builds the client. Fails when neither an endpoint nor a known region is given.
    pub fn build(self) -> Result<Client, Error> {
        let vault = Arc::new(Vault::default());
        let agent = self.agent(ureq::tls::RootCerts::WebPki, &vault);
        let private = self
            .config
            .private_cas()?
            .into_iter()
            .map(|ca| {
                let roots = private_roots(&ca)?;
                let agent = self.agent(roots, &vault);
                Ok((ca, agent))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Client {
            ctx: Arc::new(self.config.build(seed()?)?),
            io: Arc::new(Io {
                agent,
                private,
                vault,
                origin: std::time::Instant::now(),
            }),
        })
    }

    /// An agent with this builder's settings whose TLS trusts `roots`.
    fn agent(&self, roots: ureq::tls::RootCerts, vault: &Arc<Vault>) -> ureq::Agent {
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
            .user_agent(ocisdk_core::context::USER_AGENT)
            // TLS through aws-lc-rs, the library that also signs: one native crypto library.
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(roots)
                    .unversioned_rustls_crypto_provider(Arc::new(
                        rustls::crypto::aws_lc_rs::default_provider(),
                    ))
                    .build(),
            )
            .build();
        // ureq's own connector chain (proxy, TCP, TLS), given the host's addresses only when it
        // opens a connection (see `resolve`), each connection wrapped so sensitive header values
        // are only put back as bytes leave (see `redact`).
        let connector = crate::resolve::ResolveOnConnect::new(
            ureq::unversioned::transport::DefaultConnector::new(),
        )
        .chain(UnsealingConnector(vault.clone()));
        ureq::Agent::with_parts(config, connector, crate::resolve::Deferring)
    }
}

/// The roots of an endpoint's private CA: its certificates only.
fn private_roots(ca: &PrivateCa) -> Result<ureq::tls::RootCerts, Error> {
    let certs = ca.certificates()?;
    Ok(ureq::tls::RootCerts::from(
        certs
            .iter()
            .map(|der| ureq::tls::Certificate::from_der(der).to_owned())
            .collect::<Vec<_>>(),
    ))
}

impl Client {
    ocisdk_core::client_accessors!(files, seed);

    /// Runs any operation whose request and response bodies fit in memory: a request type of
    /// any service crate (`ocisdk_identity::GetUser`, …).
    pub fn send<O: Operation>(&self, op: O) -> Result<Response<O::Output>, Error> {
        self.run(op, None).map(|(resp, _)| resp)
    }

    /// Runs an operation with a streamed request body (PutObject, UploadPart), read from
    /// `body`: exactly the length the request declares, without buffering it. Slices, `Vec`s,
    /// `Bytes`, files and [`UploadBody::from_seekable`] readers are retried after transient
    /// failures; [`UploadBody::from_reader`] bodies are sent at most once.
    pub fn send_upload<'a, O: Operation>(
        &self,
        op: O,
        body: impl Into<UploadBody<'a>>,
    ) -> Result<Response<O::Output>, Error> {
        self.run(op, Some(body.into())).map(|(resp, _)| resp)
    }

    /// Runs an operation whose successful response body streams to the caller (GetObject): the
    /// decoded head and the body as a [`Read`](std::io::Read) from the connection.
    pub fn send_download<O: Operation>(
        &self,
        op: O,
    ) -> Result<Streamed<O::Output, DownloadBody>, Error> {
        match self.run(op, None)? {
            (meta, Some(body)) => Ok(Streamed { meta, body }),
            // The core keeps the body of every successful response of a streaming operation.
            (_, None) => Err(Error::Misuse(
                "send_download is for operations whose response body streams",
            )),
        }
    }

    /// Every record of a list, across pages, as an iterator.
    pub fn paginate<O: ListOperation>(&self, op: O) -> Records<O> {
        Records::new(ClientPages(self.clone()), Paginator::new(op))
    }

    /// The pages of a list, each with its response metadata, as an iterator.
    pub fn pages<O: ListOperation>(&self, op: O) -> Pages<O> {
        Pages::new(ClientPages(self.clone()), Paginator::new(op))
    }

    fn now(&self) -> Now {
        Now::new(
            Instant::from_origin(self.io.origin.elapsed()),
            SystemTime::now(),
        )
    }

    /// The single driving loop of this adapter: does what the core's call asks, hands back
    /// what came in. A streamed body comes from `body`; a kept response body is returned.
    pub(crate) fn run<O: Operation>(
        &self,
        op: O,
        mut body: Option<UploadBody<'_>>,
    ) -> Result<(Response<O::Output>, Option<DownloadBody>), Error> {
        let mut call = self.ctx.call(op);
        if let Some(body) = &body {
            call = call.with_upload(body.kind());
        }
        loop {
            call = match call.poll(self.now()) {
                Step::Send {
                    request,
                    upload,
                    exchange,
                } => {
                    let mut source = body.as_mut().zip(upload);
                    if let Some((body, upload)) = &mut source
                        && upload.rewind
                        && let Err(e) = body.rewind()
                    {
                        call = exchange.body_unavailable(format!("cannot rewind: {e}"), self.now());
                        continue;
                    }
                    let source = source.map(|(body, upload)| (body, upload.meter));
                    let agent = self.io.agent_for(request.uri());
                    match transport::send(agent, &self.io.vault, request, source) {
                        Err(e) => exchange.failed(e, self.now()),
                        Ok(response) => match self.received(exchange, response) {
                            Ok(call) => call,
                            Err(kept) => return Ok(*kept),
                        },
                    }
                }
                Step::Sleep { until, call } => {
                    std::thread::sleep(until.saturating_duration_since(self.now().instant));
                    call
                }
                Step::Done(result) => return result.map(|r| (r, None)),
            }
        }
    }

    /// A response arrived: hands its head to the call, then reads the body into the call or
    /// hands it to the caller (`Err`: the call is over, the body is the user's), as the core
    /// says.
    #[allow(clippy::type_complexity)]
    fn received<O: Operation>(
        &self,
        exchange: Exchange<O>,
        response: http::Response<ureq::Body>,
    ) -> Result<Call<O>, Box<(Response<O::Output>, Option<DownloadBody>)>> {
        let (parts, body) = response.into_parts();
        match exchange.head(ResponseHead::new(parts.status, parts.headers), self.now()) {
            Head::Read(reading) => Ok(transport::read_body(reading, body, || self.now())),
            Head::Keep { response, meter } => {
                Err(Box::new((*response, Some(DownloadBody::new(body, meter)))))
            }
            Head::Next(call) => Ok(call),
        }
    }
}

/// Service clients (`ocisdk_identity::IdentityClient<Client>`, …) call through this.
impl Transport for Client {
    type Out<T: 'static> = T;
    type Records<O: ListOperation> = Records<O>;
    type Pages<O: ListOperation> = Pages<O>;
    type Upload<'a> = UploadBody<'a>;
    type Download = DownloadBody;

    fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    fn send<O: Operation>(&self, op: O) -> Result<Response<O::Output>, Error> {
        Client::send(self, op)
    }

    fn send_upload<'a, O: Operation>(
        &self,
        op: O,
        body: UploadBody<'a>,
    ) -> Result<Response<O::Output>, Error> {
        Client::send_upload(self, op, body)
    }

    fn send_download<O: Operation>(
        &self,
        op: O,
    ) -> Result<Streamed<O::Output, DownloadBody>, Error> {
        Client::send_download(self, op)
    }

    fn paginate<O: ListOperation>(&self, op: O) -> Records<O> {
        Client::paginate(self, op)
    }

    fn pages<O: ListOperation>(&self, op: O) -> Pages<O> {
        Client::pages(self, op)
    }
}

//! The client: one ureq agent, one core context, and the loop that drives the core's calls.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ocisdk_core::call::{Head, ResponseHead, Step};
use ocisdk_core::clock::{Instant, Now};
use ocisdk_core::context::{ClientConfig, Context};
use ocisdk_core::error::Error;
use ocisdk_core::{Operation, Response};

use crate::services::{IdentityClient, ObjectStorageClient};
use crate::transport::{self, Download};
use crate::upload::UploadBody;

/// Default connect timeout (the official SDKs' value).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default read timeout (the official SDKs' value).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// What the client's clones share besides the context: the pooled agent and the clock origin.
#[derive(Debug)]
pub(crate) struct Io {
    agent: ureq::Agent,
    origin: std::time::Instant,
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
                    .unversioned_rustls_crypto_provider(Arc::new(
                        rustls::crypto::aws_lc_rs::default_provider(),
                    ))
                    .build(),
            )
            .build();
        Ok(Client {
            ctx: Arc::new(self.config.build(seed()?)?),
            io: Arc::new(Io {
                agent: ureq::Agent::new_with_config(config),
                origin: std::time::Instant::now(),
            }),
        })
    }
}

impl Client {
    ocisdk_core::client_accessors!(files, seed);

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
    ) -> Result<(Response<O::Output>, Option<Download>), Error> {
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
                    match transport::send(&self.io.agent, request, source) {
                        Err(e) => exchange.failed(e, self.now()),
                        Ok(response) => {
                            let (parts, body) = response.into_parts();
                            let head = ResponseHead::new(parts.status, parts.headers);
                            match exchange.head(head, self.now()) {
                                Head::Read(reading) => {
                                    transport::read_body(reading, body, || self.now())
                                }
                                Head::Keep { response, meter } => {
                                    return Ok((*response, Some(Download::new(body, meter))));
                                }
                                Head::Next(call) => call,
                            }
                        }
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
}

//! The shared client: one core context and the single driving loop over `fetch`.

use std::sync::Arc;
use std::time::Duration;

use ocisdk_core::auth::{DateHeader, RequestSigner};
use ocisdk_core::call::{Action, BodyMode, Context, Endpoints, Operation, Response};
use ocisdk_core::config::{ConfigFile, DEFAULT_PROFILE};
use ocisdk_core::error::{Error, TransportError, TransportErrorKind};
use ocisdk_core::region::RegionSources;
use ocisdk_core::retry::RetryPolicy;

use crate::services::{IdentityClient, ObjectStorageClient};
use crate::transport::{self, SendError, now};
use crate::upload::UploadBody;

/// Default limit on the wait for a response (60 s, the official SDKs' read timeout).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) struct Inner {
    pub(crate) ctx: Arc<Context>,
    pub(crate) tenancy: String,
    pub(crate) retry_override: Option<RetryPolicy>,
    pub(crate) timeout: Option<Duration>,
}

/// An OCI client over `fetch`. Cheap to clone; clones share one signer.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("context", &self.inner.ctx)
            .field("tenancy", &self.inner.tenancy)
            .field("timeout", &self.inner.timeout)
            .finish()
    }
}

/// Builds a [`Client`]: credentials first, then where to send requests.
#[derive(Debug)]
pub struct ClientBuilder {
    signer: RequestSigner,
    tenancy: String,
    region: Option<String>,
    endpoints: Option<Endpoints>,
    retry: Option<RetryPolicy>,
    timeout: Option<Duration>,
}

/// 32 bytes from `crypto.getRandomValues` for the core's generators (retry tokens, RSA
/// blinding).
pub(crate) fn seed() -> Result<[u8; 32], Error> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| {
        Error::Transport(TransportError::new(
            TransportErrorKind::Io,
            format!("no randomness from crypto.getRandomValues for signing: {e}"),
        ))
    })?;
    Ok(seed)
}

impl ClientBuilder {
    /// Starts from an explicit signer and tenancy. The signer is switched to `x-date` when the
    /// client is built (browsers drop a script-set `date`).
    pub fn new(signer: RequestSigner, tenancy: impl Into<String>) -> Self {
        ClientBuilder {
            signer,
            tenancy: tenancy.into(),
            region: None,
            endpoints: None,
            retry: None,
            timeout: Some(DEFAULT_TIMEOUT),
        }
    }

    /// The region whose public endpoints to use (identifier like `us-ashburn-1` or code like
    /// `iad`). Regions outside the built-in table need [`ClientBuilder::endpoints`].
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

    /// The retry policy of every call (default: [`RetryPolicy::default`], the official SDKs'
    /// policy).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The longest wait for each attempt's response head, and for a buffered response its
    /// body (default 60 s); the attempt is aborted then and counts as a (retryable) timeout.
    /// `None` leaves it to the platform. Not applied to object uploads (`fetch` cannot tell
    /// when the body has been sent, so it would bound the upload too), nor to an object
    /// download's body once its head arrived.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds the client. Fails when neither an endpoint nor a known region is given.
    pub fn build(self) -> Result<Client, Error> {
        let endpoints = Endpoints::choose(
            self.endpoints,
            self.region.as_deref(),
            &RegionSources::default(),
        )?;
        let signer = self.signer.with_date_header(DateHeader::XDate);
        let mut ctx = Context::new(signer, endpoints, seed()?);
        if let Some(policy) = self.retry {
            ctx = ctx.with_retry_policy(policy);
        }
        Ok(Client {
            inner: Arc::new(Inner {
                ctx: Arc::new(ctx),
                tenancy: self.tenancy,
                retry_override: None,
                timeout: self.timeout,
            }),
        })
    }
}

impl Client {
    /// A client from the text of an OCI config file and the PEM text of the profile's private
    /// key (no file is read: `key_file` is ignored). `profile` defaults to `DEFAULT`; the
    /// profile's `region` picks the endpoints.
    pub fn from_config_text(
        config_text: &str,
        profile: Option<&str>,
        key_pem: &str,
    ) -> Result<Client, Error> {
        Self::builder_from_config_text(config_text, profile, key_pem)?.build()
    }

    /// A builder from config text and key PEM, to set the endpoint, retries or timeout before
    /// building. Checks the profile's fingerprint against the key, and decrypts the key with
    /// the profile's `pass_phrase` when it is encrypted.
    pub fn builder_from_config_text(
        config_text: &str,
        profile: Option<&str>,
        key_pem: &str,
    ) -> Result<ClientBuilder, Error> {
        let config = ConfigFile::parse(config_text, "<config text>")?;
        let profile = config.profile(profile.unwrap_or(DEFAULT_PROFILE))?;
        let auth = ocisdk_core::auth::signer_from_profile_parts(
            &profile,
            key_pem,
            "<key PEM>",
            None,
            seed()?,
        )?;
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

    /// A client sharing this one's signer whose calls use `policy` (per-call retry settings:
    /// `client.with_retry_policy(RetryPolicy::disabled()).identity()...`).
    pub fn with_retry_policy(&self, policy: RetryPolicy) -> Client {
        Client {
            inner: Arc::new(Inner {
                ctx: self.inner.ctx.clone(),
                tenancy: self.inner.tenancy.clone(),
                retry_override: Some(policy),
                timeout: self.inner.timeout,
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
    pub async fn execute<O: Operation>(&self, op: O) -> Result<Response<O::Output>, Error> {
        self.run(op, None).await.map(|(resp, _)| resp)
    }

    /// The single driving loop of this adapter: polls the core's call, fetches what it asks,
    /// sleeps (on `setTimeout`) when it asks, and hands back what came in.
    pub(crate) async fn run<O: Operation>(
        &self,
        op: O,
        upload: Option<&UploadBody<'_>>,
    ) -> Result<(Response<O::Output>, Option<web_sys::Response>), Error> {
        let mut call = self.inner.ctx.call(op);
        if let Some(policy) = &self.inner.retry_override {
            call = call.with_retry_policy(policy.clone());
        }
        // Every upload body this crate accepts can be read again from its start.
        call.set_stream_replayable(upload.is_some_and(UploadBody::is_replayable));
        let mut kept = None;
        loop {
            match call.poll(now()) {
                Action::Send(request) => {
                    match transport::send(O::NAME, request, upload, self.inner.timeout).await {
                        Ok((response, deadline)) => {
                            let status = response.status();
                            let mode = http::StatusCode::from_u16(status)
                                .map(|s| call.response_body_mode(s))
                                .unwrap_or(BodyMode::Buffer);
                            let head = match transport::head(&response, mode == BodyMode::Buffer) {
                                Ok(head) => head,
                                Err(e) => {
                                    call.handle_transport_error(e, now());
                                    continue;
                                }
                            };
                            match mode {
                                BodyMode::Stream => {
                                    drop(deadline);
                                    kept = Some(response);
                                    call.handle_response(head, now());
                                }
                                BodyMode::Buffer => {
                                    let limit = call.max_buffered_body(head.status());
                                    let body = transport::read_body(&response, limit).await;
                                    let timed_out = deadline.is_some_and(|d| d.fired());
                                    match body {
                                        Ok(bytes) => {
                                            call.handle_response(head.map(|_| bytes), now())
                                        }
                                        Err(mut e) => {
                                            if timed_out {
                                                e.kind = TransportErrorKind::Timeout;
                                            }
                                            call.handle_transport_error(e, now())
                                        }
                                    }
                                }
                            }
                        }
                        Err(SendError::Transport(e)) => call.handle_transport_error(e, now()),
                        Err(SendError::Body(e)) => return Err(Error::Body(e)),
                    }
                }
                Action::Sleep(duration) => transport::sleep(duration).await,
                Action::Done(result) => return result.map(|r| (r, kept)),
            }
        }
    }
}

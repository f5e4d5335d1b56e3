//! The client: one core context and the loop that drives the core's calls over `fetch`.

use std::sync::Arc;
use std::time::Duration;

use ocisdk_core::body::{DownloadMeter, UploadSource};
use ocisdk_core::call::{Head, Step};
use ocisdk_core::context::{ClientConfig, Context};
use ocisdk_core::error::Error;
use ocisdk_core::{Operation, Response};

use crate::services::{IdentityClient, ObjectStorageClient};
use crate::transport::{self, now};
use crate::upload::UploadBody;

/// Default limit on the wait for a response (60 s, the official SDKs' read timeout).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// What the client's clones share besides the context.
#[derive(Debug)]
pub(crate) struct Io {
    timeout: Option<Duration>,
}

/// An OCI client over `fetch`. Cheap to clone; clones share one signer.
#[derive(Clone)]
pub struct Client {
    ctx: Arc<Context>,
    io: Arc<Io>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("context", &self.ctx)
            .field("timeout", &self.io.timeout)
            .finish()
    }
}

/// Builds a [`Client`]: credentials first, then where to send requests.
#[derive(Debug)]
pub struct ClientBuilder {
    config: ClientConfig,
    timeout: Option<Duration>,
}

/// 32 bytes from `crypto.getRandomValues` for the core's generators (retry tokens, RSA
/// blinding).
fn seed() -> Result<[u8; 32], Error> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(ocisdk_core::context::no_randomness)?;
    Ok(seed)
}

impl ClientBuilder {
    /// Starts from a configuration (signer, tenancy, region or endpoints, retries). The signer
    /// is switched to `x-date` when the client is built (browsers drop a script-set `date`).
    /// Regions outside the built-in table need explicit endpoints.
    pub fn from_config(config: ClientConfig) -> Self {
        ClientBuilder {
            config,
            timeout: Some(DEFAULT_TIMEOUT),
        }
    }

    ocisdk_core::client_builder_setters!();

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
    pub fn build(mut self) -> Result<Client, Error> {
        self.config
            .set_date_header(ocisdk_core::auth::DateHeader::XDate);
        Ok(Client {
            ctx: Arc::new(self.config.build(seed()?)?),
            io: Arc::new(Io {
                timeout: self.timeout,
            }),
        })
    }
}

/// A response whose body the core left to the caller, and the meter holding it to its length.
pub(crate) type Kept = (web_sys::Response, DownloadMeter);

impl Client {
    ocisdk_core::client_accessors!();

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
        let config = ClientConfig::from_config_text(config_text, profile, key_pem, seed()?)?;
        Ok(ClientBuilder::from_config(config))
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

    /// The single driving loop of this adapter: does what the core's call asks, sleeping on
    /// `setTimeout`, and hands back what came in. An upload's body is `body` (every kind this
    /// crate accepts is sent whole, again for each attempt); a kept response body is returned.
    pub(crate) async fn run<O: Operation>(
        &self,
        op: O,
        body: Option<&UploadBody<'_>>,
    ) -> Result<(Response<O::Output>, Option<Kept>), Error> {
        let mut call = self.ctx.call(op).with_upload(UploadSource::Replayable);
        loop {
            call = match call.poll(now()) {
                Step::Send {
                    request,
                    upload,
                    exchange,
                } => {
                    let upload = body.zip(upload.map(|u| u.meter));
                    match transport::send(request, upload, self.io.timeout).await {
                        Err(e) => exchange.failed(e, now()),
                        Ok((response, deadline)) => match transport::head(&response) {
                            Err(e) => exchange.failed(e, now()),
                            Ok(head) => match exchange.head(head, now()) {
                                Head::Read(reading) => {
                                    transport::read_body(reading, &response, deadline).await
                                }
                                Head::Keep {
                                    response: decoded,
                                    meter,
                                } => return Ok((*decoded, Some((response, meter)))),
                                Head::Next(call) => call,
                            },
                        },
                    }
                }
                Step::Sleep { until, call } => {
                    transport::sleep(until.saturating_duration_since(now().instant)).await;
                    call
                }
                Step::Done(result) => return result.map(|r| (r, None)),
            }
        }
    }
}

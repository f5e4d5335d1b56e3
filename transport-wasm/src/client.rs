//! The client: one core context and the loop that drives the core's calls over `fetch`.

use std::sync::Arc;
use std::time::Duration;

use std::future::Future;
use std::pin::Pin;

use ocisdk_core::body::UploadSource;
use ocisdk_core::call::{Head, Step};
use ocisdk_core::context::{ClientConfig, Context};
use ocisdk_core::error::Error;
use ocisdk_core::paginate::{ListOperation, Paginator};
use ocisdk_core::transport::{Streamed, Transport};
use ocisdk_core::{Operation, Response};

use crate::download::DownloadBody;
use crate::paginate::{ClientPages, Pages, Records};
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
            // fetch may re-send a request by itself after a connection failure it does not report
            // (browsers do for any method on a reused connection): conflicts are marked so.
            ctx: Arc::new(self.config.build(seed()?)?.with_unseen_resends(true)),
            io: Arc::new(Io {
                timeout: self.timeout,
            }),
        })
    }
}

/// A future of this transport: not `Send` (JS values live on one thread).
pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

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

    /// A builder for a session token (`oci session authenticate`'s): the profile's text, the
    /// session key's PEM and the token's text. Calls sign as `ST$<token>` and refresh it
    /// through the auth endpoint (the region's, or `auth_endpoint(url)`) before it expires;
    /// see [`ClientConfig::from_session_token_text`].
    pub fn builder_from_session_token_text(
        config_text: &str,
        profile: Option<&str>,
        key_pem: &str,
        token: &str,
    ) -> Result<ClientBuilder, Error> {
        let config =
            ClientConfig::from_session_token_text(config_text, profile, key_pem, token, seed()?)?;
        Ok(ClientBuilder::from_config(config))
    }

    /// Runs any operation whose request and response bodies fit in memory: a request type of
    /// any service crate (`ocisdk_identity::GetUser`, …).
    pub async fn send<O: Operation>(&self, op: O) -> Result<Response<O::Output>, Error> {
        self.run(op, None).await.map(|(resp, _)| resp)
    }

    /// Runs an operation with an upload body (PutObject, UploadPart), which must hold exactly
    /// the length the request declares (checked before anything is sent). Every body kind
    /// ([`UploadBody`]: `Vec`s, `Bytes`, `Uint8Array`, `Blob`, `File`) can be sent again, so
    /// transient failures are retried under the retry policy.
    pub async fn send_upload<O: Operation>(
        &self,
        op: O,
        body: impl Into<UploadBody>,
    ) -> Result<Response<O::Output>, Error> {
        let body = body.into();
        self.run(op, Some(&body)).await.map(|(resp, _)| resp)
    }

    /// Runs an operation whose successful response body is left to the caller (GetObject):
    /// the decoded head and the body still unread.
    pub async fn send_download<O: Operation>(
        &self,
        op: O,
    ) -> Result<Streamed<O::Output, DownloadBody>, Error> {
        match self.run(op, None).await? {
            (meta, Some(body)) => Ok(Streamed { meta, body }),
            // The core keeps the body of every successful response of a streaming operation.
            (_, None) => Err(Error::Misuse(
                "send_download is for operations whose response body streams",
            )),
        }
    }

    /// Every record of a list, across pages, as a stream.
    pub fn paginate<O: ListOperation>(&self, op: O) -> Records<O> {
        Records::new(ClientPages(self.clone()), Paginator::new(op))
    }

    /// The pages of a list, each with its response metadata, as a stream.
    pub fn pages<O: ListOperation>(&self, op: O) -> Pages<O> {
        Pages::new(ClientPages(self.clone()), Paginator::new(op))
    }

    /// The single driving loop of this adapter: does what the core's call asks, sleeping on
    /// `setTimeout`, and hands back what came in. An upload's body is `body` (every kind this
    /// crate accepts is sent whole, again for each attempt); a kept response body is returned.
    pub(crate) async fn run<O: Operation>(
        &self,
        op: O,
        body: Option<&UploadBody>,
    ) -> Result<(Response<O::Output>, Option<DownloadBody>), Error> {
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
                                } => {
                                    let body = DownloadBody::new(response, meter);
                                    return Ok((*decoded, Some(body)));
                                }
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

/// Service clients (`ocisdk_identity::IdentityClient<Client>`, …) call through this; every
/// call is a boxed local future.
impl Transport for Client {
    type Out<T: 'static> = LocalFuture<T>;
    type Records<O: ListOperation> = Records<O>;
    type Pages<O: ListOperation> = Pages<O>;
    type Upload<'a> = UploadBody;
    type Download = DownloadBody;

    fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    fn send<O: Operation>(&self, op: O) -> LocalFuture<Result<Response<O::Output>, Error>> {
        let client = self.clone();
        Box::pin(async move { client.send(op).await })
    }

    fn send_upload<'a, O: Operation>(
        &self,
        op: O,
        body: UploadBody,
    ) -> LocalFuture<Result<Response<O::Output>, Error>> {
        let client = self.clone();
        Box::pin(async move { client.send_upload(op, body).await })
    }

    fn send_download<O: Operation>(
        &self,
        op: O,
    ) -> LocalFuture<Result<Streamed<O::Output, DownloadBody>, Error>> {
        let client = self.clone();
        Box::pin(async move { client.send_download(op).await })
    }

    fn paginate<O: ListOperation>(&self, op: O) -> Records<O> {
        Client::paginate(self, op)
    }

    fn pages<O: ListOperation>(&self, op: O) -> Pages<O> {
        Client::pages(self, op)
    }
}

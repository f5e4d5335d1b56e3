//! [`Transport`] for the async client: each call is spawned on a multi-thread tokio runtime and
//! awaited.

use std::future::Future;
use std::io;
use std::sync::{Arc, LazyLock};

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use ocisdk_core::error::{BodyError, Error};
use ocisdk_core::paginate::ListOperation;
use ocisdk_core::retry::RetryPolicy;
use ocisdk_core::{Context, Operation, Response};
use ocisdk_hyper::{Client, UploadBody};
use ocisdk_object_storage::{GetObject, PutObject, PutObjectOutput};

use crate::native::{NativeTransport, connect_through_files, resource_principal_config};
use crate::transport::{
    ClientOptions, Credentials, ObjectDigest, PATTERN_CHUNK, PlainResponse, TestBody, Transport,
    body_read_error, fill_pattern,
};

/// The runtime of every [`Hyper`] client: two workers, shared by the tests of the process and
/// never dropped (a runtime must not be dropped inside the scenario it drives).
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the tokio runtime starts")
});

/// The async client (`ocisdk-hyper`), each call a task on a shared multi-thread tokio runtime.
///
/// A scenario runs in that runtime's `block_on` ([`NativeTransport::block_on`]); each call is
/// spawned as a task (so its future must be `Send + 'static`, as a server's would) and awaited.
/// Clones made by [`Transport::with_retry_policy`] share the connection pool.
#[derive(Clone, Debug)]
pub struct Hyper {
    client: Client,
}

impl Hyper {
    /// The async client itself, for transport-specific checks.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs `future` as a task on the runtime and awaits its output. A panic in the task is
    /// resumed here.
    pub async fn spawn<F>(future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match RUNTIME.spawn(future).await {
            Ok(output) => output,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("the task of a call did not finish: {e}"),
        }
    }
}

impl NativeTransport for Hyper {
    fn block_on<F: Future>(future: F) -> F::Output {
        RUNTIME.block_on(future)
    }
}

/// Pattern `seed`'s first `len` bytes as a stream of chunks generated as they are polled.
fn pattern_stream(len: u64, seed: u64) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    futures_util::stream::unfold(0u64, move |pos| async move {
        if pos >= len {
            return None;
        }
        let n = usize::try_from(len - pos).map_or(PATTERN_CHUNK, |r| r.min(PATTERN_CHUNK));
        let mut chunk = vec![0u8; n];
        fill_pattern(seed, pos, &mut chunk);
        Some((Ok(Bytes::from(chunk)), pos + n as u64))
    })
}

impl Transport for Hyper {
    const NAME: &'static str = "hyper";

    fn connect(credentials: &Credentials, options: &ClientOptions) -> Result<Self, Error> {
        // Instance principals take no files: the client reads the (emulated) IMDS.
        let mut builder = match (
            &options.resource_principal,
            &options.imds_endpoint,
            &options.oke,
        ) {
            (Some(vars), _, _) => {
                ocisdk_hyper::ClientBuilder::from_config(resource_principal_config(vars)?)
            }
            (None, Some(imds), _) => Client::builder_instance_principal()?.imds_endpoint(imds),
            // OKE workload identity neither: the client asks the (emulated) proxymux.
            (None, None, Some((proxymux, token_file))) => Client::builder_oke_workload_identity()?
                .oke_endpoint(proxymux)
                .service_account_token_path(&token_file.display().to_string()),
            (None, None, None) => connect_through_files(credentials, |path| {
                Client::builder_from_config_file(Some(path), None)
            })?,
        };
        if let Some(endpoint) = &options.endpoint {
            builder = builder.endpoint(endpoint);
        }
        if let Some(policy) = &options.retry_policy {
            builder = builder.retry_policy(policy.clone());
        }
        if let Some(auth) = &options.auth_endpoint {
            builder = builder.auth_endpoint(auth);
        }
        if let Some(ca) = &options.oke_ca_path {
            builder = builder.service_account_cert_path(&ca.display().to_string());
        }
        if let Some(token) = &options.delegation_token {
            builder = builder.delegation_token(token.as_str());
        }
        if let Some(timeout) = options.read_timeout {
            builder = builder.read_timeout(timeout);
        }
        Ok(Hyper {
            client: builder.build()?,
        })
    }

    fn with_retry_policy(&self, policy: RetryPolicy) -> Self {
        Hyper {
            client: self.client.with_retry_policy(policy),
        }
    }

    fn tenancy(&self) -> &str {
        self.client.tenancy()
    }

    fn context(&self) -> &Arc<Context> {
        self.client.context()
    }

    async fn execute<O>(&self, op: O) -> Result<Response<O::Output>, Error>
    where
        O: Operation + Send + 'static,
        O::Output: Send + 'static,
    {
        Self::spawn(self.client.send(op)).await
    }

    async fn collect_all<O>(&self, op: O, max_records: Option<u64>) -> Result<Vec<O::Item>, Error>
    where
        O: ListOperation + Send + 'static,
        O::Output: Send + 'static,
        O::Item: Send + 'static,
    {
        // The paginators of either service client take any list operation.
        let mut records = self.client.paginate(op);
        if let Some(n) = max_records {
            records = records.max_records(n);
        }
        Self::spawn(records.try_collect()).await
    }

    async fn collect_pages<O>(
        &self,
        op: O,
        max_records: Option<u64>,
    ) -> Result<Vec<Response<Vec<O::Item>>>, Error>
    where
        O: ListOperation + Send + 'static,
        O::Output: Send + 'static,
        O::Item: Send + 'static,
    {
        let mut pages = self.client.pages(op);
        if let Some(n) = max_records {
            pages = pages.max_records(n);
        }
        Self::spawn(pages.try_collect()).await
    }

    async fn put_object(
        &self,
        request: PutObject,
        body: TestBody,
    ) -> Result<Response<PutObjectOutput>, Error> {
        let client = self.client.clone();
        Self::spawn(async move {
            let body = match body {
                TestBody::Bytes(bytes) => UploadBody::from(bytes),
                TestBody::File(path) => {
                    let file = tokio::fs::File::open(&path).await.map_err(|e| {
                        Error::Body(BodyError::Read {
                            operation: "PutObject",
                            reason: format!("cannot open {}: {e}", path.display()),
                        })
                    })?;
                    UploadBody::from(file)
                }
                TestBody::OneShotPattern { len, seed } => {
                    UploadBody::from_stream(pattern_stream(len, seed))
                }
                TestBody::ReplayablePattern { len, seed } => {
                    UploadBody::from_fn(move || pattern_stream(len, seed))
                }
                TestBody::OneShotChunks { chunks, error } => {
                    let chunks = chunks.into_iter().map(|c| Ok(Bytes::from(c)));
                    let error = error.map(|message| Err(io::Error::other(message)));
                    UploadBody::from_stream(futures_util::stream::iter(chunks.chain(error)))
                }
            };
            client.send_upload(request, body).await
        })
        .await
    }

    /// With hyper's own client (hyper-util's pool over a plain connector) on the same runtime:
    /// no signer, no retries.
    async fn unsigned(
        &self,
        method: &str,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<PlainResponse, String> {
        use http_body_util::BodyExt as _;
        let (method, url) = (method.to_string(), url.to_string());
        Self::spawn(async move {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<http_body_util::Full<Bytes>>();
            let request = http::Request::builder()
                .method(method.as_str())
                .uri(url)
                .body(http_body_util::Full::new(Bytes::from(
                    body.unwrap_or_default(),
                )))
                .map_err(|e| e.to_string())?;
            let response = client.request(request).await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes()
                .to_vec();
            Ok(PlainResponse { status, body })
        })
        .await
    }

    async fn sleep(&self, duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
    }

    async fn get_object_bytes(&self, request: GetObject, limit: u64) -> Result<Vec<u8>, Error> {
        let client = self.client.clone();
        Self::spawn(async move {
            let got = client.send_download(request).await?;
            got.body
                .bytes_up_to(limit)
                .await
                .map(|b| b.to_vec())
                .map_err(|e| body_read_error(&e))
        })
        .await
    }

    async fn get_object_digest(&self, request: GetObject) -> Result<ObjectDigest, Error> {
        let client = self.client.clone();
        Self::spawn(async move {
            let got = client.send_download(request).await?;
            let meta = got.meta;
            let mut body = got.body;
            let mut md5 = Md5::new();
            let mut len = 0u64;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| body_read_error(&e))?;
                md5.update(&chunk);
                len += chunk.len() as u64;
            }
            Ok(ObjectDigest {
                meta,
                len,
                md5: md5.finalize().into(),
            })
        })
        .await
    }
}

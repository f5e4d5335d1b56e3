//! [`Transport`] for the blocking client: every call goes straight through, so its futures
//! are ready when first polled and [`block_on`](crate::native::block_on) drives them.

use std::future::Future;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use md5::{Digest, Md5};
use ocisdk_blocking::{Client, UploadBody};
use ocisdk_core::error::{BodyError, Error};
use ocisdk_core::paginate::ListOperation;
use ocisdk_core::retry::RetryPolicy;
use ocisdk_core::{Context, Operation, Response};
use ocisdk_object_storage::{GetObject, PutObject, PutObjectOutput};

use crate::native::{NativeTransport, connect_through_files, resource_principal_config};
use crate::transport::{
    ChunksReader, ClientOptions, Credentials, ObjectDigest, PatternReader, PlainResponse, TestBody,
    Transport, body_read_error,
};

/// The blocking client (`ocisdk-blocking`, on ureq) is a [`Transport`] as it is.
impl Transport for Client {
    const NAME: &'static str = "blocking";

    fn connect(credentials: &Credentials, options: &ClientOptions) -> Result<Self, Error> {
        // Instance principals take no files: the client reads the (emulated) IMDS.
        let mut builder = match (
            &options.resource_principal,
            &options.imds_endpoint,
            &options.oke,
        ) {
            (Some(vars), _, _) => {
                ocisdk_blocking::ClientBuilder::from_config(resource_principal_config(vars)?)
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
        builder.build()
    }

    fn with_retry_policy(&self, policy: RetryPolicy) -> Self {
        Client::with_retry_policy(self, policy)
    }

    fn tenancy(&self) -> &str {
        Client::tenancy(self)
    }

    fn context(&self) -> &Arc<Context> {
        Client::context(self)
    }

    async fn execute<O>(&self, op: O) -> Result<Response<O::Output>, Error>
    where
        O: Operation + Send + 'static,
        O::Output: Send + 'static,
    {
        Client::send(self, op)
    }

    async fn collect_all<O>(&self, op: O, max_records: Option<u64>) -> Result<Vec<O::Item>, Error>
    where
        O: ListOperation + Send + 'static,
        O::Output: Send + 'static,
        O::Item: Send + 'static,
    {
        // The paginators of either service client take any list operation.
        let mut records = Client::paginate(self, op);
        if let Some(n) = max_records {
            records = records.max_records(n);
        }
        records.collect()
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
        let mut pages = Client::pages(self, op);
        if let Some(n) = max_records {
            pages = pages.max_records(n);
        }
        pages.collect()
    }

    async fn put_object(
        &self,
        request: PutObject,
        body: TestBody,
    ) -> Result<Response<PutObjectOutput>, Error> {
        match body {
            TestBody::Bytes(bytes) => self.send_upload(request, bytes),
            TestBody::File(path) => {
                let file = std::fs::File::open(&path).map_err(|e| {
                    Error::Body(BodyError::Read {
                        operation: "PutObject",
                        reason: format!("cannot open {}: {e}", path.display()),
                    })
                })?;
                self.send_upload(request, file)
            }
            TestBody::OneShotPattern { len, seed } => self.send_upload(
                request,
                UploadBody::from_reader(PatternReader::new(len, seed)),
            ),
            TestBody::ReplayablePattern { len, seed } => {
                let body =
                    UploadBody::from_seekable(PatternReader::new(len, seed)).map_err(|e| {
                        Error::Body(BodyError::Read {
                            operation: "PutObject",
                            reason: e.to_string(),
                        })
                    })?;
                self.send_upload(request, body)
            }
            TestBody::OneShotChunks { chunks, error } => self.send_upload(
                request,
                UploadBody::from_reader(ChunksReader::new(chunks, error)),
            ),
        }
    }

    async fn get_object_bytes(&self, request: GetObject, limit: u64) -> Result<Vec<u8>, Error> {
        let got = self.send_download(request)?;
        got.body
            .bytes_up_to(limit)
            .map(|b| b.to_vec())
            .map_err(|e| body_read_error(&e))
    }

    async fn get_object_digest(&self, request: GetObject) -> Result<ObjectDigest, Error> {
        let mut got = self.send_download(request)?;
        let mut md5 = Md5::new();
        let mut len = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match got.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    md5.update(&buf[..n]);
                    len += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(body_read_error(&e)),
            }
        }
        Ok(ObjectDigest {
            meta: got.meta,
            len,
            md5: md5.finalize().into(),
        })
    }

    /// With ureq, the HTTP client under this transport, used directly: no signer, no retries.
    async fn unsigned(
        &self,
        method: &str,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<PlainResponse, String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let request = ureq::http::Request::builder().method(method).uri(url);
        let response = match body {
            Some(b) => request
                .body(b)
                .map_err(|e| e.to_string())
                .and_then(|r| agent.run(r).map_err(|e| e.to_string())),
            None => request
                .body(())
                .map_err(|e| e.to_string())
                .and_then(|r| agent.run(r).map_err(|e| e.to_string())),
        }?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        Ok(PlainResponse { status, body })
    }

    async fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

impl NativeTransport for Client {
    fn block_on<F: Future>(future: F) -> F::Output {
        crate::native::block_on(future)
    }
}

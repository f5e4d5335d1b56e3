//! Object operations: ListObjects, PutObject, GetObject, HeadObject, DeleteObject.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use md5::{Digest, Md5};

use super::models::{
    ArchivalState, ChecksumAlgorithm, ListObjects as ListObjectsPage, ObjectMetadata,
    ObjectSummary, PutObjectOutput, StorageTier,
};
use super::{
    header_any_time, header_http_date, header_text, header_u64, object_path, objects_path, require,
    require_object_name,
};
use crate::config::Secret;
use crate::endpoint::Service;
use crate::error::Error;
use crate::operation::{Operation, RequestBody, RequestPlan, decode_json};
use crate::paginate::ListOperation;

/// Base64 MD5 of `data`: the value of `content_md5` for a body (the service answers 400 when the
/// body it receives does not match).
pub fn content_md5(data: &[u8]) -> String {
    BASE64.encode(Md5::digest(data))
}

/// Checks the path parameters of an object operation.
fn require_object(
    operation: &'static str,
    namespace_name: &str,
    bucket_name: &str,
    object_name: &str,
) -> Result<(), Error> {
    require(operation, "namespace_name", namespace_name)?;
    require(operation, "bucket_name", bucket_name)?;
    require_object_name(operation, object_name)
}

/// Sets the SSE-C headers; the key's header is marked sensitive so it is never logged.
fn sse_customer_headers(
    plan: &mut RequestPlan,
    operation: &'static str,
    algorithm: Option<&str>,
    key: Option<&Secret>,
    key_sha256: Option<&str>,
) -> Result<(), Error> {
    plan.header_opt(operation, "opc-sse-customer-algorithm", algorithm)?;
    plan.header_opt(operation, "opc-sse-customer-key", key.map(Secret::expose))?;
    if let Some(v) = plan.headers.get_mut("opc-sse-customer-key") {
        v.set_sensitive(true);
    }
    plan.header_opt(operation, "opc-sse-customer-key-sha256", key_sha256)
}

/// Reads the headers HeadObject and GetObject answer with.
fn object_metadata(operation: &'static str, headers: &HeaderMap) -> Result<ObjectMetadata, Error> {
    let opc_meta = headers
        .iter()
        .filter_map(|(name, value)| {
            name.as_str().strip_prefix("opc-meta-").map(|key| {
                (
                    key.to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
        })
        .collect::<BTreeMap<_, _>>();
    Ok(ObjectMetadata {
        content_length: header_u64(operation, headers, "content-length")?,
        content_type: header_text(headers, "content-type"),
        content_md5: header_text(headers, "content-md5"),
        opc_multipart_md5: header_text(headers, "opc-multipart-md5"),
        opc_content_crc32c: header_text(headers, "opc-content-crc32c"),
        opc_content_sha256: header_text(headers, "opc-content-sha256"),
        opc_content_sha384: header_text(headers, "opc-content-sha384"),
        etag: header_text(headers, "etag"),
        last_modified: header_http_date(operation, headers, "last-modified")?,
        content_range: header_text(headers, "content-range"),
        content_language: header_text(headers, "content-language"),
        content_encoding: header_text(headers, "content-encoding"),
        content_disposition: header_text(headers, "content-disposition"),
        cache_control: header_text(headers, "cache-control"),
        expires: header_text(headers, "expires"),
        storage_tier: header_text(headers, "storage-tier").map(|v| StorageTier::parse(v.trim())),
        archival_state: header_text(headers, "archival-state")
            .map(|v| ArchivalState::parse(v.trim())),
        time_of_archival: header_any_time(operation, headers, "time-of-archival")?,
        version_id: header_text(headers, "version-id"),
        opc_meta,
    })
}

/// `GET /n/{ns}/b/{bucket}/o`: object names of a bucket, a page at a time.
///
/// Pages by the body's `nextStartWith`, passed back as `start`. With
/// [`Paginator`](crate::Paginator) the first page keeps the `start` you set; later pages
/// replace it. The paginator yields only `objects`: read pages yourself to see `prefixes`.
#[derive(Debug, Clone)]
pub struct ListObjects {
    /// Object Storage namespace.
    pub namespace_name: String,
    /// Bucket name.
    pub bucket_name: String,
    /// Only names starting with this.
    pub prefix: Option<String>,
    /// Only names at or after this (inclusive); also the page token.
    pub start: Option<String>,
    /// Only names before this (exclusive).
    pub end: Option<String>,
    /// Page size (at most 1000).
    pub limit: Option<u32>,
    /// Groups names by this delimiter into `prefixes`; only `/` is supported.
    pub delimiter: Option<String>,
    /// Comma-separated extra fields: `name,size,etag,md5,timeCreated,timeModified,storageTier,
    /// archivalState` (default: `name` only).
    pub fields: Option<String>,
    /// Client request id for tracing (`opc-client-request-id`).
    pub opc_client_request_id: Option<String>,
    /// Only names strictly after this.
    pub start_after: Option<String>,
}

impl ListObjects {
    /// The first page of objects in `bucket_name`.
    pub fn new(namespace_name: impl Into<String>, bucket_name: impl Into<String>) -> Self {
        ListObjects {
            namespace_name: namespace_name.into(),
            bucket_name: bucket_name.into(),
            prefix: None,
            start: None,
            end: None,
            limit: None,
            delimiter: None,
            fields: None,
            opc_client_request_id: None,
            start_after: None,
        }
    }
}

impl Operation for ListObjects {
    type Output = ListObjectsPage;
    const NAME: &'static str = "ListObjects";
    const SERVICE: Service = Service::ObjectStorage;

    /// The body's `nextStartWith` (an empty one counts as absent).
    fn next_page(_headers: &HeaderMap, data: &ListObjectsPage) -> Option<String> {
        data.next_start_with.clone().filter(|t| !t.is_empty())
    }

    fn plan(&self) -> Result<RequestPlan, Error> {
        require(Self::NAME, "namespace_name", &self.namespace_name)?;
        require(Self::NAME, "bucket_name", &self.bucket_name)?;
        let mut plan = RequestPlan::new(
            Method::GET,
            objects_path(&self.namespace_name, &self.bucket_name),
        );
        plan.query_opt("prefix", self.prefix.as_deref());
        plan.query_opt("start", self.start.as_deref());
        plan.query_opt("end", self.end.as_deref());
        plan.query_opt("limit", self.limit);
        plan.query_opt("delimiter", self.delimiter.as_deref());
        plan.query_opt("fields", self.fields.as_deref());
        plan.query_opt("startAfter", self.start_after.as_deref());
        plan.header_opt(
            Self::NAME,
            "opc-client-request-id",
            self.opc_client_request_id.as_deref(),
        )?;
        Ok(plan)
    }

    fn parse(
        &self,
        _status: StatusCode,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<ListObjectsPage, Error> {
        decode_json(Self::NAME, headers, &body)
    }
}

impl ListOperation for ListObjects {
    type Item = ObjectSummary;

    /// `Some(token)` sets `start`; `None` (the first page) keeps the `start` the caller chose.
    fn set_page(&mut self, token: Option<String>) {
        if let Some(token) = token {
            self.start = Some(token);
        }
    }

    fn limit(&self) -> Option<u32> {
        self.limit
    }

    fn set_limit(&mut self, limit: Option<u32>) {
        self.limit = limit;
    }

    fn into_items(data: ListObjectsPage) -> Vec<ObjectSummary> {
        data.objects
    }
}

/// `PUT /n/{ns}/b/{bucket}/o/{object}`: uploads an object (up to 50 GiB) in one request.
///
/// The body is not part of the plan: the plan says [`RequestBody::Stream`] of `content_length`
/// bytes and the adapter streams them; the body is not signed. `expect: 100-continue` is not
/// sent.
#[derive(Debug, Clone)]
pub struct PutObject {
    /// Object Storage namespace.
    pub namespace_name: String,
    /// Bucket name.
    pub bucket_name: String,
    /// Object name; `/` is kept literal in the path.
    pub object_name: String,
    /// Exact body length in bytes (sent as `content-length`).
    pub content_length: u64,
    /// Only overwrite if the existing object's etag matches.
    pub if_match: Option<String>,
    /// `*`: only create, fail with 412 if the object exists.
    pub if_none_match: Option<String>,
    /// Client request id for tracing (`opc-client-request-id`).
    pub opc_client_request_id: Option<String>,
    /// Base64 MD5 of the body (see [`content_md5`]); the service rejects a mismatch with 400.
    pub content_md5: Option<String>,
    /// Extra checksum for the service to compute and store.
    pub opc_checksum_algorithm: Option<ChecksumAlgorithm>,
    /// Base64 CRC32C of the body, checked by the service (with CRC32C).
    pub opc_content_crc32c: Option<String>,
    /// Base64 SHA-256 of the body, checked by the service (with SHA256).
    pub opc_content_sha256: Option<String>,
    /// Base64 SHA-384 of the body, checked by the service (with SHA384).
    pub opc_content_sha384: Option<String>,
    /// MIME type; `application/octet-stream` when absent.
    pub content_type: Option<String>,
    /// Stored and returned as `content-language`.
    pub content_language: Option<String>,
    /// Stored and returned as `content-encoding`.
    pub content_encoding: Option<String>,
    /// Stored and returned as `content-disposition`.
    pub content_disposition: Option<String>,
    /// Stored and returned as `cache-control`.
    pub cache_control: Option<String>,
    /// SSE-C: `AES256`.
    pub opc_sse_customer_algorithm: Option<String>,
    /// SSE-C: base64 256-bit key (never printed).
    pub opc_sse_customer_key: Option<Secret>,
    /// SSE-C: base64 SHA-256 of the key.
    pub opc_sse_customer_key_sha256: Option<String>,
    /// OCID of a Key Management key to encrypt the object with.
    pub opc_sse_kms_key_id: Option<String>,
    /// Storage tier of the object; the bucket's when absent.
    pub storage_tier: Option<StorageTier>,
    /// User metadata, sent as `opc-meta-<key>` headers.
    pub opc_meta: BTreeMap<String, String>,
}

impl PutObject {
    /// Uploads `content_length` bytes to `object_name`.
    pub fn new(
        namespace_name: impl Into<String>,
        bucket_name: impl Into<String>,
        object_name: impl Into<String>,
        content_length: u64,
    ) -> Self {
        PutObject {
            namespace_name: namespace_name.into(),
            bucket_name: bucket_name.into(),
            object_name: object_name.into(),
            content_length,
            if_match: None,
            if_none_match: None,
            opc_client_request_id: None,
            content_md5: None,
            opc_checksum_algorithm: None,
            opc_content_crc32c: None,
            opc_content_sha256: None,
            opc_content_sha384: None,
            content_type: None,
            content_language: None,
            content_encoding: None,
            content_disposition: None,
            cache_control: None,
            opc_sse_customer_algorithm: None,
            opc_sse_customer_key: None,
            opc_sse_customer_key_sha256: None,
            opc_sse_kms_key_id: None,
            storage_tier: None,
            opc_meta: BTreeMap::new(),
        }
    }
}

impl Operation for PutObject {
    type Output = PutObjectOutput;
    const NAME: &'static str = "PutObject";
    const SERVICE: Service = Service::ObjectStorage;
    const SIGN_BODY: bool = false;

    fn plan(&self) -> Result<RequestPlan, Error> {
        require_object(
            Self::NAME,
            &self.namespace_name,
            &self.bucket_name,
            &self.object_name,
        )?;
        let mut plan = RequestPlan::new(
            Method::PUT,
            object_path(&self.namespace_name, &self.bucket_name, &self.object_name),
        );
        let op = Self::NAME;
        plan.header_opt(op, "if-match", self.if_match.as_deref())?;
        plan.header_opt(op, "if-none-match", self.if_none_match.as_deref())?;
        plan.header_opt(
            op,
            "opc-client-request-id",
            self.opc_client_request_id.as_deref(),
        )?;
        plan.header_opt(op, "content-md5", self.content_md5.as_deref())?;
        plan.header_opt(
            op,
            "opc-checksum-algorithm",
            self.opc_checksum_algorithm
                .as_ref()
                .map(ChecksumAlgorithm::as_str),
        )?;
        plan.header_opt(op, "opc-content-crc32c", self.opc_content_crc32c.as_deref())?;
        plan.header_opt(op, "opc-content-sha256", self.opc_content_sha256.as_deref())?;
        plan.header_opt(op, "opc-content-sha384", self.opc_content_sha384.as_deref())?;
        plan.header_opt(
            op,
            "content-type",
            Some(
                self.content_type
                    .as_deref()
                    .unwrap_or("application/octet-stream"),
            ),
        )?;
        plan.header_opt(op, "content-language", self.content_language.as_deref())?;
        plan.header_opt(op, "content-encoding", self.content_encoding.as_deref())?;
        plan.header_opt(
            op,
            "content-disposition",
            self.content_disposition.as_deref(),
        )?;
        plan.header_opt(op, "cache-control", self.cache_control.as_deref())?;
        sse_customer_headers(
            &mut plan,
            op,
            self.opc_sse_customer_algorithm.as_deref(),
            self.opc_sse_customer_key.as_ref(),
            self.opc_sse_customer_key_sha256.as_deref(),
        )?;
        plan.header_opt(op, "opc-sse-kms-key-id", self.opc_sse_kms_key_id.as_deref())?;
        plan.header_opt(
            op,
            "storage-tier",
            self.storage_tier.as_ref().map(StorageTier::as_str),
        )?;
        for (key, value) in &self.opc_meta {
            if key.is_empty() {
                return Err(Error::InvalidRequest {
                    operation: op,
                    reason: "`opc_meta` has an empty key".to_string(),
                });
            }
            plan.header_opt(op, &format!("opc-meta-{key}"), Some(value))?;
        }
        plan.body = RequestBody::Stream {
            length: self.content_length,
        };
        Ok(plan)
    }

    fn parse(
        &self,
        _status: StatusCode,
        headers: &HeaderMap,
        _body: Bytes,
    ) -> Result<PutObjectOutput, Error> {
        Ok(PutObjectOutput {
            etag: header_text(headers, "etag"),
            opc_content_md5: header_text(headers, "opc-content-md5"),
            opc_content_crc32c: header_text(headers, "opc-content-crc32c"),
            opc_content_sha256: header_text(headers, "opc-content-sha256"),
            opc_content_sha384: header_text(headers, "opc-content-sha384"),
            last_modified: header_http_date(Self::NAME, headers, "last-modified")?,
            version_id: header_text(headers, "version-id"),
        })
    }
}

/// `GET /n/{ns}/b/{bucket}/o/{object}`: downloads an object.
///
/// The body is left to the adapter as a stream ([`Operation::STREAM_RESPONSE`]); the output is
/// the object's metadata from the response headers.
#[derive(Debug, Clone)]
pub struct GetObject {
    /// Object Storage namespace.
    pub namespace_name: String,
    /// Bucket name.
    pub bucket_name: String,
    /// Object name; `/` is kept literal in the path.
    pub object_name: String,
    /// A specific version (versioned buckets).
    pub version_id: Option<String>,
    /// Only answer if the object's etag matches.
    pub if_match: Option<String>,
    /// Answer 304 Not Modified if the object's etag matches.
    pub if_none_match: Option<String>,
    /// Client request id for tracing (`opc-client-request-id`).
    pub opc_client_request_id: Option<String>,
    /// One byte range, `bytes=0-99` / `bytes=100-` / `bytes=-100` (answer: 206).
    pub range: Option<String>,
    /// SSE-C: `AES256`.
    pub opc_sse_customer_algorithm: Option<String>,
    /// SSE-C: base64 256-bit key (never printed).
    pub opc_sse_customer_key: Option<Secret>,
    /// SSE-C: base64 SHA-256 of the key.
    pub opc_sse_customer_key_sha256: Option<String>,
    /// Overrides the response's `content-disposition`.
    pub http_response_content_disposition: Option<String>,
    /// Overrides the response's `cache-control`.
    pub http_response_cache_control: Option<String>,
    /// Overrides the response's `content-type`.
    pub http_response_content_type: Option<String>,
    /// Overrides the response's `content-language`.
    pub http_response_content_language: Option<String>,
    /// Overrides the response's `content-encoding`.
    pub http_response_content_encoding: Option<String>,
    /// Overrides the response's `expires`.
    pub http_response_expires: Option<String>,
}

impl GetObject {
    /// Downloads `object_name`.
    pub fn new(
        namespace_name: impl Into<String>,
        bucket_name: impl Into<String>,
        object_name: impl Into<String>,
    ) -> Self {
        GetObject {
            namespace_name: namespace_name.into(),
            bucket_name: bucket_name.into(),
            object_name: object_name.into(),
            version_id: None,
            if_match: None,
            if_none_match: None,
            opc_client_request_id: None,
            range: None,
            opc_sse_customer_algorithm: None,
            opc_sse_customer_key: None,
            opc_sse_customer_key_sha256: None,
            http_response_content_disposition: None,
            http_response_cache_control: None,
            http_response_content_type: None,
            http_response_content_language: None,
            http_response_content_encoding: None,
            http_response_expires: None,
        }
    }

    /// Asks for bytes `first..=last` (`bytes=first-last`), or from `first` to the end when
    /// `last` is `None`.
    pub fn with_range(mut self, first: u64, last: Option<u64>) -> Self {
        self.range = Some(match last {
            Some(last) => format!("bytes={first}-{last}"),
            None => format!("bytes={first}-"),
        });
        self
    }
}

impl Operation for GetObject {
    type Output = ObjectMetadata;
    const NAME: &'static str = "GetObject";
    const SERVICE: Service = Service::ObjectStorage;
    const STREAM_RESPONSE: bool = true;

    fn plan(&self) -> Result<RequestPlan, Error> {
        require_object(
            Self::NAME,
            &self.namespace_name,
            &self.bucket_name,
            &self.object_name,
        )?;
        let mut plan = RequestPlan::new(
            Method::GET,
            object_path(&self.namespace_name, &self.bucket_name, &self.object_name),
        );
        plan.query_opt("versionId", self.version_id.as_deref());
        plan.query_opt(
            "httpResponseContentDisposition",
            self.http_response_content_disposition.as_deref(),
        );
        plan.query_opt(
            "httpResponseCacheControl",
            self.http_response_cache_control.as_deref(),
        );
        plan.query_opt(
            "httpResponseContentType",
            self.http_response_content_type.as_deref(),
        );
        plan.query_opt(
            "httpResponseContentLanguage",
            self.http_response_content_language.as_deref(),
        );
        plan.query_opt(
            "httpResponseContentEncoding",
            self.http_response_content_encoding.as_deref(),
        );
        plan.query_opt("httpResponseExpires", self.http_response_expires.as_deref());
        let op = Self::NAME;
        plan.header_opt(op, "if-match", self.if_match.as_deref())?;
        plan.header_opt(op, "if-none-match", self.if_none_match.as_deref())?;
        plan.header_opt(
            op,
            "opc-client-request-id",
            self.opc_client_request_id.as_deref(),
        )?;
        plan.header_opt(op, "range", self.range.as_deref())?;
        sse_customer_headers(
            &mut plan,
            op,
            self.opc_sse_customer_algorithm.as_deref(),
            self.opc_sse_customer_key.as_ref(),
            self.opc_sse_customer_key_sha256.as_deref(),
        )?;
        Ok(plan)
    }

    fn parse(
        &self,
        _status: StatusCode,
        headers: &HeaderMap,
        _body: Bytes,
    ) -> Result<ObjectMetadata, Error> {
        object_metadata(Self::NAME, headers)
    }
}

/// `HEAD /n/{ns}/b/{bucket}/o/{object}`: an object's metadata without its body.
#[derive(Debug, Clone)]
pub struct HeadObject {
    /// Object Storage namespace.
    pub namespace_name: String,
    /// Bucket name.
    pub bucket_name: String,
    /// Object name; `/` is kept literal in the path.
    pub object_name: String,
    /// A specific version (versioned buckets).
    pub version_id: Option<String>,
    /// Only answer if the object's etag matches.
    pub if_match: Option<String>,
    /// Answer 304 Not Modified if the object's etag matches.
    pub if_none_match: Option<String>,
    /// Client request id for tracing (`opc-client-request-id`).
    pub opc_client_request_id: Option<String>,
    /// SSE-C: `AES256`.
    pub opc_sse_customer_algorithm: Option<String>,
    /// SSE-C: base64 256-bit key (never printed).
    pub opc_sse_customer_key: Option<Secret>,
    /// SSE-C: base64 SHA-256 of the key.
    pub opc_sse_customer_key_sha256: Option<String>,
}

impl HeadObject {
    /// Reads the metadata of `object_name`.
    pub fn new(
        namespace_name: impl Into<String>,
        bucket_name: impl Into<String>,
        object_name: impl Into<String>,
    ) -> Self {
        HeadObject {
            namespace_name: namespace_name.into(),
            bucket_name: bucket_name.into(),
            object_name: object_name.into(),
            version_id: None,
            if_match: None,
            if_none_match: None,
            opc_client_request_id: None,
            opc_sse_customer_algorithm: None,
            opc_sse_customer_key: None,
            opc_sse_customer_key_sha256: None,
        }
    }
}

impl Operation for HeadObject {
    type Output = ObjectMetadata;
    const NAME: &'static str = "HeadObject";
    const SERVICE: Service = Service::ObjectStorage;

    fn plan(&self) -> Result<RequestPlan, Error> {
        require_object(
            Self::NAME,
            &self.namespace_name,
            &self.bucket_name,
            &self.object_name,
        )?;
        let mut plan = RequestPlan::new(
            Method::HEAD,
            object_path(&self.namespace_name, &self.bucket_name, &self.object_name),
        );
        plan.query_opt("versionId", self.version_id.as_deref());
        let op = Self::NAME;
        plan.header_opt(op, "if-match", self.if_match.as_deref())?;
        plan.header_opt(op, "if-none-match", self.if_none_match.as_deref())?;
        plan.header_opt(
            op,
            "opc-client-request-id",
            self.opc_client_request_id.as_deref(),
        )?;
        sse_customer_headers(
            &mut plan,
            op,
            self.opc_sse_customer_algorithm.as_deref(),
            self.opc_sse_customer_key.as_ref(),
            self.opc_sse_customer_key_sha256.as_deref(),
        )?;
        Ok(plan)
    }

    fn parse(
        &self,
        _status: StatusCode,
        headers: &HeaderMap,
        _body: Bytes,
    ) -> Result<ObjectMetadata, Error> {
        object_metadata(Self::NAME, headers)
    }
}

/// `DELETE /n/{ns}/b/{bucket}/o/{object}`: deletes an object (answers 204).
#[derive(Debug, Clone)]
pub struct DeleteObject {
    /// Object Storage namespace.
    pub namespace_name: String,
    /// Bucket name.
    pub bucket_name: String,
    /// Object name; `/` is kept literal in the path.
    pub object_name: String,
    /// Only delete if the object's etag matches.
    pub if_match: Option<String>,
    /// Client request id for tracing (`opc-client-request-id`).
    pub opc_client_request_id: Option<String>,
    /// A specific version (versioned buckets).
    pub version_id: Option<String>,
}

impl DeleteObject {
    /// Deletes `object_name`.
    pub fn new(
        namespace_name: impl Into<String>,
        bucket_name: impl Into<String>,
        object_name: impl Into<String>,
    ) -> Self {
        DeleteObject {
            namespace_name: namespace_name.into(),
            bucket_name: bucket_name.into(),
            object_name: object_name.into(),
            if_match: None,
            opc_client_request_id: None,
            version_id: None,
        }
    }
}

impl Operation for DeleteObject {
    type Output = ();
    const NAME: &'static str = "DeleteObject";
    const SERVICE: Service = Service::ObjectStorage;

    fn plan(&self) -> Result<RequestPlan, Error> {
        require_object(
            Self::NAME,
            &self.namespace_name,
            &self.bucket_name,
            &self.object_name,
        )?;
        let mut plan = RequestPlan::new(
            Method::DELETE,
            object_path(&self.namespace_name, &self.bucket_name, &self.object_name),
        );
        plan.query_opt("versionId", self.version_id.as_deref());
        plan.header_opt(Self::NAME, "if-match", self.if_match.as_deref())?;
        plan.header_opt(
            Self::NAME,
            "opc-client-request-id",
            self.opc_client_request_id.as_deref(),
        )?;
        Ok(plan)
    }

    fn parse(&self, _status: StatusCode, _headers: &HeaderMap, _body: Bytes) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::paginate::Paginator;
    use http::HeaderValue;
    use serde_json::json;

    const ODD: &str = "a b/c+d(1).txt";
    const ODD_ENCODED: &str = "a%20b/c%2Bd%281%29.txt";

    fn invalid(err: Error) -> (&'static str, String) {
        match err {
            Error::InvalidRequest { operation, reason } => (operation, reason),
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    /// A response as `Call` builds it: the token comes from the operation's `next_page`.
    fn page_response(page: ListObjectsPage) -> crate::operation::Response<ListObjectsPage> {
        let headers = HeaderMap::new();
        let next_page = ListObjects::next_page(&headers, &page);
        crate::operation::Response {
            data: page,
            status: StatusCode::OK,
            headers,
            opc_request_id: None,
            etag: None,
            next_page,
        }
    }

    #[test]
    fn md5_helper() {
        assert_eq!(content_md5(b""), "1B2M2Y8AsgTpgAmY7PhCfg==");
        assert_eq!(content_md5(b"hello"), "XUFAKrxLKna5cZ2REBfFkg==");
    }

    #[test]
    fn list_objects_plan_query_order() {
        let mut op = ListObjects::new("ns", "my bucket");
        let plan = op.plan().unwrap();
        assert_eq!(plan.method, Method::GET);
        assert_eq!(plan.path, "/n/ns/b/my%20bucket/o");
        assert!(plan.query.is_empty());
        op.prefix = Some("logs/".into());
        op.start = Some("logs/a".into());
        op.end = Some("logs/z".into());
        op.limit = Some(100);
        op.delimiter = Some("/".into());
        op.fields = Some("name,size,etag,md5,timeCreated".into());
        op.start_after = Some("logs/0".into());
        op.opc_client_request_id = Some("trace".into());
        let plan = op.plan().unwrap();
        let names: Vec<&str> = plan.query.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            [
                "prefix",
                "start",
                "end",
                "limit",
                "delimiter",
                "fields",
                "startAfter"
            ]
        );
        assert_eq!(plan.query[3].1, "100");
        assert_eq!(plan.query[5].1, "name,size,etag,md5,timeCreated");
        assert_eq!(plan.headers["opc-client-request-id"], "trace");
        let (name, reason) = invalid(ListObjects::new("ns", "").plan().unwrap_err());
        assert_eq!(name, "ListObjects");
        assert!(reason.contains("bucket_name"));
    }

    #[test]
    fn list_objects_parse_with_prefixes_and_next_token() {
        let body = json!({
            "objects": [
                {"name": "logs/a.txt", "size": 12, "etag": "e1", "md5": "1B2M2Y8AsgTpgAmY7PhCfg==",
                 "timeCreated": "2023-05-01T10:00:00.123Z", "timeModified": "2023-05-01T10:00:00.123Z",
                 "storageTier": "Standard"},
                {"name": "logs/b.txt", "storageTier": "Glacial"}
            ],
            "prefixes": ["logs/2023/", "logs/2024/"],
            "nextStartWith": "logs/c.txt"
        });
        let op = ListObjects::new("ns", "b");
        let page = op
            .parse(
                StatusCode::OK,
                &HeaderMap::new(),
                Bytes::from(body.to_string()),
            )
            .unwrap();
        assert_eq!(page.objects[0].size, Some(12));
        assert_eq!(
            page.objects[1].storage_tier,
            Some(StorageTier::UnknownValue("Glacial".into()))
        );
        assert_eq!(page.prefixes.as_ref().map(Vec::len), Some(2));
        let resp = page_response(page);
        assert_eq!(
            ListObjects::next_token(&resp).as_deref(),
            Some("logs/c.txt")
        );

        let mut next = op.clone();
        next.set_page(ListObjects::next_token(&resp));
        assert_eq!(next.start.as_deref(), Some("logs/c.txt"));
        assert_eq!(
            next.plan().unwrap().query,
            vec![("start", "logs/c.txt".to_string())]
        );

        let last = page_response(ListObjectsPage::default());
        assert_eq!(ListObjects::next_token(&last), None);
        let empty_token = page_response(ListObjectsPage {
            next_start_with: Some(String::new()),
            ..Default::default()
        });
        assert_eq!(ListObjects::next_token(&empty_token), None);
    }

    #[test]
    fn list_objects_paginator_keeps_the_callers_start() {
        let mut op = ListObjects::new("ns", "b");
        op.start = Some("m".into());
        op.prefix = Some("p/".into());
        let mut pages = Paginator::new(op).max_records(3);
        let first = pages.next_operation().unwrap();
        assert_eq!(first.start.as_deref(), Some("m"));
        assert_eq!(first.limit, Some(3));
        let page = ListObjectsPage {
            objects: vec![ObjectSummary {
                name: "p/m1".into(),
                size: None,
                md5: None,
                time_created: None,
                etag: None,
                storage_tier: None,
                archival_state: None,
                time_modified: None,
            }],
            prefixes: None,
            next_start_with: Some("p/m2".into()),
        };
        let items = pages.handle_page(page_response(page));
        assert_eq!(items.len(), 1);
        let second = pages.next_operation().unwrap();
        assert_eq!(second.start.as_deref(), Some("p/m2"));
        assert_eq!(second.prefix.as_deref(), Some("p/"));
        assert_eq!(second.limit, Some(2));
        pages.handle_page(page_response(ListObjectsPage::default()));
        assert!(pages.next_operation().is_none());
    }

    #[test]
    fn list_objects_malformed_json() {
        let err = ListObjects::new("ns", "b")
            .parse(
                StatusCode::OK,
                &HeaderMap::new(),
                Bytes::from_static(b"{\"objects\": [{\"size\": 1}]}"),
            )
            .unwrap_err();
        match err {
            Error::Decode(e) => {
                assert_eq!(e.operation, "ListObjects");
                assert!(e.reason.contains("name"), "{}", e.reason);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn put_object_plan_minimal() {
        let plan = PutObject::new("ns", "b", ODD, 11).plan().unwrap();
        assert_eq!(plan.method, Method::PUT);
        assert_eq!(plan.path, format!("/n/ns/b/b/o/{ODD_ENCODED}"));
        assert!(plan.query.is_empty());
        assert_eq!(plan.body, RequestBody::Stream { length: 11 });
        assert_eq!(plan.headers["content-type"], "application/octet-stream");
        assert_eq!(plan.headers.len(), 1);
        assert!(!plan.headers.contains_key("expect"));
        assert!(!plan.headers.contains_key("content-length"));
        const { assert!(!<PutObject as Operation>::SIGN_BODY) };
    }

    #[test]
    fn put_object_plan_all_headers() {
        let mut op = PutObject::new("ns", "b", "dir/file.bin", 5);
        op.if_none_match = Some("*".into());
        op.if_match = Some("etag-0".into());
        op.opc_client_request_id = Some("trace".into());
        op.content_md5 = Some(content_md5(b"hello"));
        op.opc_checksum_algorithm = Some(ChecksumAlgorithm::Crc32c);
        op.opc_content_crc32c = Some("mnG7TA==".into());
        op.content_type = Some("text/plain".into());
        op.content_language = Some("en".into());
        op.content_encoding = Some("gzip".into());
        op.content_disposition = Some("attachment; filename=\"f.bin\"".into());
        op.cache_control = Some("no-cache".into());
        op.opc_sse_customer_algorithm = Some("AES256".into());
        op.opc_sse_customer_key = Some(Secret::new("c2VjcmV0"));
        op.opc_sse_customer_key_sha256 = Some("aGFzaA==".into());
        op.storage_tier = Some(StorageTier::InfrequentAccess);
        op.opc_meta.insert("Owner".into(), "team-a".into());
        op.opc_meta.insert("purpose".into(), "test".into());
        let plan = op.plan().unwrap();
        assert_eq!(plan.path, "/n/ns/b/b/o/dir/file.bin");
        let h = &plan.headers;
        assert_eq!(h["if-none-match"], "*");
        assert_eq!(h["if-match"], "etag-0");
        assert_eq!(h["opc-client-request-id"], "trace");
        assert_eq!(h["content-md5"], "XUFAKrxLKna5cZ2REBfFkg==");
        assert_eq!(h["opc-checksum-algorithm"], "CRC32C");
        assert_eq!(h["opc-content-crc32c"], "mnG7TA==");
        assert_eq!(h["content-type"], "text/plain");
        assert_eq!(h["content-language"], "en");
        assert_eq!(h["content-encoding"], "gzip");
        assert_eq!(h["content-disposition"], "attachment; filename=\"f.bin\"");
        assert_eq!(h["cache-control"], "no-cache");
        assert_eq!(h["opc-sse-customer-algorithm"], "AES256");
        assert_eq!(h["opc-sse-customer-key"], "c2VjcmV0");
        assert!(h["opc-sse-customer-key"].is_sensitive());
        assert_eq!(h["opc-sse-customer-key-sha256"], "aGFzaA==");
        assert_eq!(h["storage-tier"], "InfrequentAccess");
        assert_eq!(h["opc-meta-owner"], "team-a");
        assert_eq!(h["opc-meta-purpose"], "test");
        assert!(!h.contains_key("expect"));
        assert_eq!(plan.body, RequestBody::Stream { length: 5 });
        // The SSE-C key never shows in Debug output.
        assert!(!format!("{op:?}").contains("c2VjcmV0"));
    }

    #[test]
    fn put_object_refuses_bad_input() {
        let (name, reason) = invalid(PutObject::new("ns", "b", "", 1).plan().unwrap_err());
        assert_eq!(name, "PutObject");
        assert!(reason.contains("object_name"));
        let (_, reason) = invalid(PutObject::new("", "b", "o", 1).plan().unwrap_err());
        assert!(reason.contains("namespace_name"));
        let (_, reason) = invalid(PutObject::new("ns", "", "o", 1).plan().unwrap_err());
        assert!(reason.contains("bucket_name"));
        let mut op = PutObject::new("ns", "b", "o", 1);
        op.opc_meta.insert("bad key".into(), "v".into());
        let (_, reason) = invalid(op.plan().unwrap_err());
        assert!(reason.contains("opc-meta-bad key"), "{reason}");
        let mut op = PutObject::new("ns", "b", "o", 1);
        op.opc_meta.insert(String::new(), "v".into());
        assert!(invalid(op.plan().unwrap_err()).1.contains("opc_meta"));
        let mut op = PutObject::new("ns", "b", "o", 1);
        op.content_type = Some("text/plain\r\nx-evil: 1".into());
        assert!(invalid(op.plan().unwrap_err()).1.contains("content-type"));
    }

    #[test]
    fn put_object_parse_headers() {
        let mut h = HeaderMap::new();
        h.insert(
            "etag",
            HeaderValue::from_static("5f2a3b4c-1111-2222-3333-444455556666"),
        );
        h.insert(
            "opc-content-md5",
            HeaderValue::from_static("XUFAKrxLKna5cZ2REBfFkg=="),
        );
        h.insert("opc-content-crc32c", HeaderValue::from_static("mnG7TA=="));
        h.insert(
            "last-modified",
            HeaderValue::from_static("Wed, 03 Jan 2024 10:20:30 GMT"),
        );
        h.insert("version-id", HeaderValue::from_static("v-1"));
        let out = PutObject::new("ns", "b", "o", 5)
            .parse(StatusCode::OK, &h, Bytes::new())
            .unwrap();
        assert_eq!(
            out.etag.as_deref(),
            Some("5f2a3b4c-1111-2222-3333-444455556666")
        );
        assert_eq!(
            out.opc_content_md5.as_deref(),
            Some("XUFAKrxLKna5cZ2REBfFkg==")
        );
        assert_eq!(out.opc_content_crc32c.as_deref(), Some("mnG7TA=="));
        assert_eq!(out.opc_content_sha256, None);
        assert_eq!(out.last_modified.unwrap().unix_timestamp(), 1_704_277_230);
        assert_eq!(out.version_id.as_deref(), Some("v-1"));
        let empty = PutObject::new("ns", "b", "o", 5)
            .parse(StatusCode::OK, &HeaderMap::new(), Bytes::new())
            .unwrap();
        assert_eq!(empty, PutObjectOutput::default());
        // The object was stored: an unreadable `last-modified` must not make that an error.
        h.insert("last-modified", HeaderValue::from_static("not a date"));
        let out = PutObject::new("ns", "b", "o", 5)
            .parse(StatusCode::OK, &h, Bytes::new())
            .unwrap();
        assert_eq!(out.last_modified, None);
        assert_eq!(out.version_id.as_deref(), Some("v-1"));
    }

    fn object_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("content-length", "5368709120"),
            ("content-type", "application/gzip"),
            ("opc-multipart-md5", "F5x2QGjxuTWgyHLIK5lZ4A==-3"),
            ("opc-content-crc32c", "mnG7TA=="),
            ("etag", "etag-9"),
            ("last-modified", "Tue, 21 May 2019 09:04:20 GMT"),
            ("content-language", "de"),
            ("content-encoding", "gzip"),
            ("content-disposition", "inline"),
            ("cache-control", "max-age=60"),
            ("expires", "0"),
            ("storage-tier", "Archive"),
            ("archival-state", "RESTORED"),
            ("time-of-archival", "2019-05-22T09:04:20.555Z"),
            ("version-id", "ver-7"),
            ("opc-meta-owner", "team-a"),
            ("opc-meta-Project", "x"),
            ("opc-request-id", "rid-1"),
            ("access-control-allow-origin", "*"),
        ] {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_static(v),
            );
        }
        h
    }

    #[test]
    fn head_object_plan_and_parse() {
        let mut op = HeadObject::new("ns", "b", ODD);
        op.version_id = Some("ver 7".into());
        op.if_none_match = Some("etag-9".into());
        let plan = op.plan().unwrap();
        assert_eq!(plan.method, Method::HEAD);
        assert_eq!(plan.path, format!("/n/ns/b/b/o/{ODD_ENCODED}"));
        assert_eq!(plan.query, vec![("versionId", "ver 7".to_string())]);
        assert_eq!(plan.headers["if-none-match"], "etag-9");
        assert_eq!(plan.body, RequestBody::Empty);

        let m = op
            .parse(StatusCode::OK, &object_headers(), Bytes::new())
            .unwrap();
        assert_eq!(m.content_length, Some(5_368_709_120));
        assert_eq!(m.content_type.as_deref(), Some("application/gzip"));
        assert_eq!(m.content_md5, None);
        assert_eq!(
            m.opc_multipart_md5.as_deref(),
            Some("F5x2QGjxuTWgyHLIK5lZ4A==-3")
        );
        assert_eq!(m.opc_content_crc32c.as_deref(), Some("mnG7TA=="));
        assert_eq!(m.etag.as_deref(), Some("etag-9"));
        assert_eq!(m.last_modified.unwrap().unix_timestamp(), 1_558_429_460);
        assert_eq!(m.content_language.as_deref(), Some("de"));
        assert_eq!(m.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(m.content_disposition.as_deref(), Some("inline"));
        assert_eq!(m.cache_control.as_deref(), Some("max-age=60"));
        assert_eq!(m.expires.as_deref(), Some("0"));
        assert_eq!(m.storage_tier, Some(StorageTier::Archive));
        assert_eq!(m.archival_state, Some(ArchivalState::Restored));
        assert_eq!(m.time_of_archival.unwrap().unix_timestamp(), 1_558_515_860);
        assert_eq!(m.version_id.as_deref(), Some("ver-7"));
        assert_eq!(
            m.opc_meta,
            BTreeMap::from([
                ("owner".to_string(), "team-a".to_string()),
                ("project".to_string(), "x".to_string()),
            ])
        );
        assert_eq!(m.content_range, None);

        let bare = op
            .parse(StatusCode::OK, &HeaderMap::new(), Bytes::new())
            .unwrap();
        assert_eq!(bare, ObjectMetadata::default());
    }

    #[test]
    fn unknown_header_enum_values_are_kept() {
        let mut h = HeaderMap::new();
        h.insert("storage-tier", HeaderValue::from_static("Frozen"));
        h.insert("archival-state", HeaderValue::from_static("Thawing"));
        let m = HeadObject::new("ns", "b", "o")
            .parse(StatusCode::OK, &h, Bytes::new())
            .unwrap();
        assert_eq!(
            m.storage_tier,
            Some(StorageTier::UnknownValue("Frozen".into()))
        );
        assert_eq!(
            m.archival_state,
            Some(ArchivalState::UnknownValue("Thawing".into()))
        );
    }

    #[test]
    fn bad_content_length_is_a_decode_error() {
        let mut h = object_headers();
        h.insert("content-length", HeaderValue::from_static("lots"));
        for result in [
            HeadObject::new("ns", "b", "o").parse(StatusCode::OK, &h, Bytes::new()),
            GetObject::new("ns", "b", "o").parse(StatusCode::OK, &h, Bytes::new()),
        ] {
            match result {
                Err(Error::Decode(e)) => {
                    assert!(e.operation == "HeadObject" || e.operation == "GetObject");
                    assert!(e.reason.contains("content-length"), "{}", e.reason);
                    assert_eq!(e.opc_request_id.as_deref(), Some("rid-1"));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn get_object_plan_and_parse() {
        const { assert!(<GetObject as Operation>::STREAM_RESPONSE) };
        let mut op = GetObject::new("ns", "b", ODD).with_range(0, Some(99));
        op.version_id = Some("v1".into());
        op.http_response_content_type = Some("text/plain".into());
        op.http_response_content_disposition = Some("attachment".into());
        op.http_response_expires = Some("Thu, 01 Dec 1994 16:00:00 GMT".into());
        op.if_match = Some("etag-9".into());
        op.opc_sse_customer_key = Some(Secret::new("a2V5"));
        let plan = op.plan().unwrap();
        assert_eq!(plan.method, Method::GET);
        assert_eq!(plan.path, format!("/n/ns/b/b/o/{ODD_ENCODED}"));
        let names: Vec<&str> = plan.query.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            [
                "versionId",
                "httpResponseContentDisposition",
                "httpResponseContentType",
                "httpResponseExpires"
            ]
        );
        assert_eq!(plan.headers["range"], "bytes=0-99");
        assert_eq!(plan.headers["if-match"], "etag-9");
        assert!(plan.headers["opc-sse-customer-key"].is_sensitive());
        assert_eq!(
            GetObject::new("ns", "b", "o")
                .with_range(100, None)
                .range
                .as_deref(),
            Some("bytes=100-")
        );

        let mut h = object_headers();
        h.insert("content-length", HeaderValue::from_static("100"));
        h.insert(
            "content-range",
            HeaderValue::from_static("bytes 0-99/5368709120"),
        );
        let m = op
            .parse(StatusCode::PARTIAL_CONTENT, &h, Bytes::new())
            .unwrap();
        assert_eq!(m.content_length, Some(100));
        assert_eq!(m.content_range.as_deref(), Some("bytes 0-99/5368709120"));
        let (name, _) = invalid(GetObject::new("ns", "b", "").plan().unwrap_err());
        assert_eq!(name, "GetObject");
    }

    #[test]
    fn delete_object_plan() {
        let mut op = DeleteObject::new("ns", "b", ODD);
        let plan = op.plan().unwrap();
        assert_eq!(plan.method, Method::DELETE);
        assert_eq!(plan.path, format!("/n/ns/b/b/o/{ODD_ENCODED}"));
        assert!(plan.query.is_empty());
        assert!(plan.headers.is_empty());
        op.version_id = Some("v1".into());
        op.if_match = Some("e".into());
        op.opc_client_request_id = Some("t".into());
        let plan = op.plan().unwrap();
        assert_eq!(plan.query, vec![("versionId", "v1".to_string())]);
        assert_eq!(plan.headers["if-match"], "e");
        assert_eq!(plan.headers["opc-client-request-id"], "t");
        op.parse(StatusCode::NO_CONTENT, &HeaderMap::new(), Bytes::new())
            .unwrap();
        let (name, reason) = invalid(DeleteObject::new("ns", " ", "o").plan().unwrap_err());
        assert_eq!(name, "DeleteObject");
        assert!(reason.contains("bucket_name"));
    }

    #[test]
    fn object_names_with_dot_segments_stay_in_their_bucket() {
        let plan = GetObject::new("ns", "b", "a/../../x").plan().unwrap();
        assert_eq!(plan.path, "/n/ns/b/b/o/a%2F..%2F..%2Fx");
        let plan = DeleteObject::new("ns", "b", "..").plan().unwrap();
        assert_eq!(plan.path, "/n/ns/b/b/o/%2E%2E");
    }
}

//! What the API model cannot say about Object Storage, written by hand (the generator refers
//! to these by name; see `xtask/src/main.rs`):
//!
//! - the typed outputs of GetObject, HeadObject, PutObject and UploadPart, read from response
//!   headers (the model describes bodies only);
//! - [`GetObject::with_range`], and [`content_md5`] for PutObject and UploadPart bodies.
//!
//! Object names keep `/` in paths (configured in the generator), and ListObjects pages by its
//! body's `nextStartWith` (a fact of the model).

use std::collections::BTreeMap;

use ocisdk_core::error::{DecodeError, Error};
use ocisdk_core::export::http::{HeaderMap, StatusCode};
use ocisdk_core::export::serde::Serialize;
use ocisdk_core::export::time::OffsetDateTime;
use ocisdk_core::export::time::format_description::well_known::Rfc3339;
use ocisdk_core::operation::header_str;

use crate::GetObject;

pub use ocisdk_core::body::content_md5;

/// A downloaded object: its metadata and its body, streaming as the transport delivers it (a
/// `Read` on the blocking client, a `Stream` on the async ones).
pub type GetObjectResponse<B> = ocisdk_core::transport::Streamed<ObjectMetadata, B>;

/// What PutObject's response says about the stored object.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(crate = "ocisdk_core::export::serde", rename_all = "camelCase")]
#[non_exhaustive]
pub struct PutObjectOutput {
    /// `etag` of the new object.
    pub etag: Option<String>,
    /// `opc-content-md5`: base64 MD5 of the body as the service computed it.
    pub opc_content_md5: Option<String>,
    /// `opc-content-crc32c` (with `opc_checksum_algorithm` CRC32C).
    pub opc_content_crc32c: Option<String>,
    /// `opc-content-sha256` (with `opc_checksum_algorithm` SHA256).
    pub opc_content_sha256: Option<String>,
    /// `opc-content-sha384` (with `opc_checksum_algorithm` SHA384).
    pub opc_content_sha384: Option<String>,
    /// `last-modified`.
    #[serde(with = "ocisdk_core::model::timestamp::option")]
    pub last_modified: Option<OffsetDateTime>,
    /// `version-id` of the new object (versioned buckets).
    pub version_id: Option<String>,
}

/// What UploadPart's response says about the stored part.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(crate = "ocisdk_core::export::serde", rename_all = "camelCase")]
#[non_exhaustive]
pub struct UploadPartOutput {
    /// `etag` of the part: what CommitMultipartUpload's `partsToCommit` names it by.
    pub etag: Option<String>,
    /// `opc-content-md5`: base64 MD5 of the part as the service computed it.
    pub opc_content_md5: Option<String>,
    /// `opc-content-crc32c`, when asked for.
    pub opc_content_crc32c: Option<String>,
    /// `opc-content-sha256`, when asked for.
    pub opc_content_sha256: Option<String>,
    /// `opc-content-sha384`, when asked for.
    pub opc_content_sha384: Option<String>,
}

/// An object's metadata from the headers of HeadObject or GetObject.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(crate = "ocisdk_core::export::serde", rename_all = "camelCase")]
#[non_exhaustive]
pub struct ObjectMetadata {
    /// `content-length`: the object's size for HeadObject; for GetObject, the bytes in this body
    /// (the range's size for a range request).
    pub content_length: Option<u64>,
    /// `content-type`.
    pub content_type: Option<String>,
    /// `content-md5`: base64 MD5 of the object; absent for multipart uploads.
    pub content_md5: Option<String>,
    /// `opc-multipart-md5`: base64 MD5 of the concatenated part MD5s, then `-<partCount>`.
    pub opc_multipart_md5: Option<String>,
    /// `opc-content-crc32c`: base64 CRC32C of the whole object, when stored.
    pub opc_content_crc32c: Option<String>,
    /// `opc-content-sha256`, when stored.
    pub opc_content_sha256: Option<String>,
    /// `opc-content-sha384`, when stored.
    pub opc_content_sha384: Option<String>,
    /// `etag`.
    pub etag: Option<String>,
    /// `last-modified`.
    #[serde(with = "ocisdk_core::model::timestamp::option")]
    pub last_modified: Option<OffsetDateTime>,
    /// `content-range` of a range request (`bytes 0-99/1234`).
    pub content_range: Option<String>,
    /// `content-language`.
    pub content_language: Option<String>,
    /// `content-encoding`.
    pub content_encoding: Option<String>,
    /// `content-disposition`.
    pub content_disposition: Option<String>,
    /// `cache-control`.
    pub cache_control: Option<String>,
    /// `expires`, verbatim (HTTP says an unparseable value means "already expired").
    pub expires: Option<String>,
    /// `storage-tier`.
    pub storage_tier: Option<HeadObjectStorageTier>,
    /// `archival-state` (Archive tier only).
    pub archival_state: Option<HeadObjectArchivalState>,
    /// `time-of-archival`: when a restored object returns to archived.
    #[serde(with = "ocisdk_core::model::timestamp::option")]
    pub time_of_archival: Option<OffsetDateTime>,
    /// `version-id`.
    pub version_id: Option<String>,
    /// User metadata from the `opc-meta-<key>` headers, keyed without the prefix (lower-case,
    /// as HTTP header names are case-insensitive).
    pub opc_meta: BTreeMap<String, String>,
}

ocisdk_core::string_enum! {
    /// The storage tier of an object, as HeadObject and GetObject report it.
    HeadObjectStorageTier {
        /// Hot storage; the default.
        Standard => "Standard",
        /// Cheaper storage with a retrieval fee.
        InfrequentAccess => "InfrequentAccess",
        /// Cold storage: restore before reading.
        Archive => "Archive",
    }
}

ocisdk_core::string_enum! {
    /// The archival state of an object in the Archive tier.
    HeadObjectArchivalState {
        /// Readable.
        Available => "Available",
        /// Archived: restore before reading.
        Archived => "Archived",
        /// A restore is in progress.
        Restoring => "Restoring",
        /// Restored and readable until `time_of_archival`.
        Restored => "Restored",
    }
}

impl GetObject {
    /// Reads only bytes `first..=last` (or `first..` to the end): the `range` header.
    pub fn with_range(self, first: u64, last: Option<u64>) -> Self {
        let range = match last {
            Some(last) => format!("bytes={first}-{last}"),
            None => format!("bytes={first}-"),
        };
        self.range(range)
    }
}

fn header_error(operation: &'static str, headers: &HeaderMap, reason: String) -> Error {
    Error::Decode(DecodeError {
        operation,
        reason,
        truncated: false,
        opc_request_id: header_str(headers, "opc-request-id").map(str::to_string),
    })
}

/// A header as text. Values with non-ASCII bytes (a UTF-8 file name in
/// `content-disposition`, user metadata) are kept, decoded lossily, rather than dropped.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// A header holding a non-negative integer (`content-length`).
fn header_u64(
    operation: &'static str,
    headers: &HeaderMap,
    name: &str,
) -> Result<Option<u64>, Error> {
    match header_text(headers, name) {
        None => Ok(None),
        Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
            header_error(
                operation,
                headers,
                format!("header `{name}` is not a non-negative integer: {v:?}"),
            )
        }),
    }
}

/// A header holding a time, as an HTTP date (`last-modified`) or RFC 3339
/// (`time-of-archival`). Lenient: dates are metadata, and an unreadable one must not turn a
/// successful call (an upload that was stored) into an error; it is logged and read as absent.
fn header_time(operation: &'static str, headers: &HeaderMap, name: &str) -> Option<OffsetDateTime> {
    let text = header_text(headers, name)?;
    let trimmed = text.trim();
    let parsed = ocisdk_core::export::httpdate::parse_http_date(trimmed)
        .ok()
        .map(OffsetDateTime::from)
        .or_else(|| OffsetDateTime::parse(trimmed, &Rfc3339).ok());
    if parsed.is_none() {
        ocisdk_core::export::tracing::warn!(
            operation,
            "ignoring header `{name}`: not a date: {text:?}"
        );
    }
    parsed
}

/// The metadata HeadObject and GetObject answer with.
pub(crate) fn object_metadata(
    _status: StatusCode,
    headers: &HeaderMap,
) -> Result<ObjectMetadata, Error> {
    let operation = "GetObject";
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
        last_modified: header_time(operation, headers, "last-modified"),
        content_range: header_text(headers, "content-range"),
        content_language: header_text(headers, "content-language"),
        content_encoding: header_text(headers, "content-encoding"),
        content_disposition: header_text(headers, "content-disposition"),
        cache_control: header_text(headers, "cache-control"),
        expires: header_text(headers, "expires"),
        storage_tier: header_text(headers, "storage-tier")
            .map(|v| HeadObjectStorageTier::parse(v.trim())),
        archival_state: header_text(headers, "archival-state")
            .map(|v| HeadObjectArchivalState::parse(v.trim())),
        time_of_archival: header_time(operation, headers, "time-of-archival"),
        version_id: header_text(headers, "version-id"),
        opc_meta,
    })
}

/// What PutObject answers with.
pub(crate) fn put_object_output(
    _status: StatusCode,
    headers: &HeaderMap,
) -> Result<PutObjectOutput, Error> {
    Ok(PutObjectOutput {
        etag: header_text(headers, "etag"),
        opc_content_md5: header_text(headers, "opc-content-md5"),
        opc_content_crc32c: header_text(headers, "opc-content-crc32c"),
        opc_content_sha256: header_text(headers, "opc-content-sha256"),
        opc_content_sha384: header_text(headers, "opc-content-sha384"),
        last_modified: header_time("PutObject", headers, "last-modified"),
        version_id: header_text(headers, "version-id"),
    })
}

/// What UploadPart answers with.
pub(crate) fn upload_part_output(
    _status: StatusCode,
    headers: &HeaderMap,
) -> Result<UploadPartOutput, Error> {
    Ok(UploadPartOutput {
        etag: header_text(headers, "etag"),
        opc_content_md5: header_text(headers, "opc-content-md5"),
        opc_content_crc32c: header_text(headers, "opc-content-crc32c"),
        opc_content_sha256: header_text(headers, "opc-content-sha256"),
        opc_content_sha384: header_text(headers, "opc-content-sha384"),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use ocisdk_core::export::http::HeaderValue;

    #[test]
    fn metadata_from_headers() {
        let mut h = HeaderMap::new();
        h.insert("content-length", HeaderValue::from_static("11"));
        h.insert("etag", HeaderValue::from_static("e1"));
        h.insert("storage-tier", HeaderValue::from_static("archive"));
        h.insert(
            "last-modified",
            HeaderValue::from_static("Tue, 15 Nov 1994 08:12:31 GMT"),
        );
        h.insert(
            "time-of-archival",
            HeaderValue::from_static("2024-01-02T03:04:05Z"),
        );
        h.insert(
            "opc-meta-owner",
            HeaderValue::from_bytes("Zoë".as_bytes()).unwrap(),
        );
        let m = object_metadata(StatusCode::OK, &h).unwrap();
        assert_eq!(m.content_length, Some(11));
        assert_eq!(m.storage_tier, Some(HeadObjectStorageTier::Archive));
        assert_eq!(
            m.last_modified.map(|t| t.unix_timestamp()),
            Some(784_887_151)
        );
        assert!(m.time_of_archival.is_some());
        assert_eq!(m.opc_meta["owner"], "Zoë");
        h.insert("content-length", HeaderValue::from_static("-1"));
        assert!(object_metadata(StatusCode::OK, &h).is_err());
        h.insert("content-length", HeaderValue::from_static("1"));
        h.insert("last-modified", HeaderValue::from_static("yesterday"));
        assert_eq!(
            object_metadata(StatusCode::OK, &h).unwrap().last_modified,
            None
        );
    }

    #[test]
    fn md5_and_ranges() {
        assert_eq!(content_md5(b"Hello, World!"), "ZajifYh5KDgxtmS9i38K1A==");
        let op = GetObject::new("ns", "b", "o").with_range(0, Some(9));
        assert_eq!(op.range.as_deref(), Some("bytes=0-9"));
        let op = GetObject::new("ns", "b", "o").with_range(5, None);
        assert_eq!(op.range.as_deref(), Some("bytes=5-"));
    }
}

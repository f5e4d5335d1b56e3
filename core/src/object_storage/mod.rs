//! Object Storage: namespaces, buckets and objects.
//!
//! Every operation is a plain struct with public fields named like the official SDKs'
//! parameters, a `new(..)` taking the required ones, and an [`Operation`](crate::Operation)
//! impl that plans the request and decodes the response without doing any I/O.
//!
//! | Operation | Request | Output |
//! | --- | --- | --- |
//! | [`GetNamespace`] | `GET /n` | `String` |
//! | [`CreateBucket`] | `POST /n/{ns}/b` | [`Bucket`] |
//! | [`ListBuckets`] | `GET /n/{ns}/b` | `Vec<`[`BucketSummary`]`>` (pages by `opc-next-page`) |
//! | [`GetBucket`] | `GET /n/{ns}/b/{bucket}` | [`Bucket`] |
//! | [`HeadBucket`] | `HEAD /n/{ns}/b/{bucket}` | `()` |
//! | [`DeleteBucket`] | `DELETE /n/{ns}/b/{bucket}` | `()` |
//! | [`ListObjects`] | `GET /n/{ns}/b/{bucket}/o` | [`models::ListObjects`] (pages by `nextStartWith`) |
//! | [`PutObject`] | `PUT /n/{ns}/b/{bucket}/o/{object}` | [`PutObjectOutput`] |
//! | [`GetObject`] | `GET /n/{ns}/b/{bucket}/o/{object}` | [`ObjectMetadata`] (body streamed) |
//! | [`HeadObject`] | `HEAD /n/{ns}/b/{bucket}/o/{object}` | [`ObjectMetadata`] |
//! | [`DeleteObject`] | `DELETE /n/{ns}/b/{bucket}/o/{object}` | `()` |
//!
//! Paths carry no trailing slash, as the current official SDKs send them (the service accepts
//! both forms). The response model of ListObjects shares the operation's name; it lives at
//! [`models::ListObjects`].

use http::HeaderMap;
use time::OffsetDateTime;

use crate::endpoint::{encode_object_name, encode_segment};
use crate::error::{DecodeError, Error};
use crate::operation::header_str;

pub mod bucket;
pub mod models;
pub mod namespace;
pub mod object;

pub use bucket::{CreateBucket, DeleteBucket, GetBucket, HeadBucket, ListBuckets};
pub use models::{
    ArchivalState, AutoTiering, Bucket, BucketScope, BucketSummary, ChecksumAlgorithm,
    CreateBucketDetails, ObjectMetadata, ObjectSummary, PublicAccessType, PutObjectOutput,
    StorageTier, Versioning,
};
pub use namespace::GetNamespace;
pub use object::{DeleteObject, GetObject, HeadObject, ListObjects, PutObject, content_md5};

/// Fails with [`Error::InvalidRequest`] naming `field` when `value` is empty or only whitespace
/// (the official SDKs refuse such path parameters before sending anything).
pub(crate) fn require(operation: &'static str, field: &str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        Err(Error::InvalidRequest {
            operation,
            reason: format!("`{field}` is required and must not be empty"),
        })
    } else {
        Ok(())
    }
}

/// Like [`require`] but only refuses the empty string: an object may be named `" "`.
pub(crate) fn require_object_name(operation: &'static str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        Err(Error::InvalidRequest {
            operation,
            reason: "`object_name` is required and must not be empty".to_string(),
        })
    } else {
        Ok(())
    }
}

/// `/n/{ns}/b`
pub(crate) fn buckets_path(namespace_name: &str) -> String {
    format!("/n/{}/b", encode_segment(namespace_name))
}

/// `/n/{ns}/b/{bucket}`
pub(crate) fn bucket_path(namespace_name: &str, bucket_name: &str) -> String {
    format!(
        "{}/{}",
        buckets_path(namespace_name),
        encode_segment(bucket_name)
    )
}

/// `/n/{ns}/b/{bucket}/o`
pub(crate) fn objects_path(namespace_name: &str, bucket_name: &str) -> String {
    format!("{}/o", bucket_path(namespace_name, bucket_name))
}

/// `/n/{ns}/b/{bucket}/o/{object}`
pub(crate) fn object_path(namespace_name: &str, bucket_name: &str, object_name: &str) -> String {
    format!(
        "{}/{}",
        objects_path(namespace_name, bucket_name),
        encode_object_key(object_name)
    )
}

/// Encodes an object name for the path. `/` stays literal, except when the name has a `.` or
/// `..` segment: URL normalisation (in HTTP clients, proxies, the `url` crate) would collapse
/// those and address, or sign, a different path, so such names are sent as one segment with
/// `/` as `%2F`, and a name that is exactly `.` or `..` has its dots encoded as `%2E`.
pub(crate) fn encode_object_key(object_name: &str) -> String {
    if object_name.split('/').any(|s| s == "." || s == "..") {
        let encoded = encode_segment(object_name);
        if object_name == "." || object_name == ".." {
            encoded.replace('.', "%2E")
        } else {
            encoded
        }
    } else {
        encode_object_name(object_name)
    }
}

/// A [`DecodeError`] for a response whose headers could not be read.
pub(crate) fn header_error(operation: &'static str, headers: &HeaderMap, reason: String) -> Error {
    Error::Decode(DecodeError {
        operation,
        reason,
        truncated: false,
        opc_request_id: header_str(headers, "opc-request-id").map(str::to_string),
    })
}

/// A header as text. Unlike [`header_str`], values with non-ASCII bytes (a UTF-8 file name in
/// `content-disposition`, user metadata) are kept, decoded lossily, rather than dropped.
pub(crate) fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// A header holding a non-negative integer (`content-length`).
pub(crate) fn header_u64(
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

/// A header holding an HTTP date (`last-modified`: `Tue, 15 Nov 1994 08:12:31 GMT`).
///
/// Lenient: dates are metadata, and an unreadable one must not turn a successful call (an
/// upload that was stored) into an error; it is logged and read as absent.
pub(crate) fn header_http_date(
    operation: &'static str,
    headers: &HeaderMap,
    name: &str,
) -> Result<Option<OffsetDateTime>, Error> {
    Ok(header_text(headers, name).and_then(|v| {
        let parsed = parse_http_date(&v);
        if parsed.is_none() {
            tracing::warn!(
                operation,
                "ignoring header `{name}`: not an HTTP date: {v:?}"
            );
        }
        parsed
    }))
}

/// A header holding a time in either RFC 3339 or HTTP-date form (`time-of-archival`);
/// lenient like [`header_http_date`].
pub(crate) fn header_any_time(
    operation: &'static str,
    headers: &HeaderMap,
    name: &str,
) -> Result<Option<OffsetDateTime>, Error> {
    Ok(header_text(headers, name).and_then(|v| {
        let trimmed = v.trim();
        let parsed = OffsetDateTime::parse(trimmed, &time::format_description::well_known::Rfc3339)
            .ok()
            .or_else(|| parse_http_date(trimmed));
        if parsed.is_none() {
            tracing::warn!(operation, "ignoring header `{name}`: not a date: {v:?}");
        }
        parsed
    }))
}

fn parse_http_date(v: &str) -> Option<OffsetDateTime> {
    httpdate::parse_http_date(v.trim())
        .ok()
        .map(OffsetDateTime::from)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use http::HeaderValue;

    #[test]
    fn object_keys_keep_slashes_and_encode_the_rest() {
        assert_eq!(
            encode_object_key("a b/c+d(1).txt"),
            "a%20b/c%2Bd%281%29.txt"
        );
        assert_eq!(encode_object_key("dir/"), "dir/");
        assert_eq!(encode_object_key("ünï"), "%C3%BCn%C3%AF");
        assert_eq!(encode_object_key("a..b/.c"), "a..b/.c");
    }

    #[test]
    fn dot_segments_cannot_escape_the_bucket() {
        assert_eq!(encode_object_key("a/../b"), "a%2F..%2Fb");
        assert_eq!(encode_object_key("./x"), ".%2Fx");
        assert_eq!(encode_object_key(".."), "%2E%2E");
        assert_eq!(encode_object_key("."), "%2E");
        let path = object_path("ns", "bk", "../../b/other");
        assert!(path.starts_with("/n/ns/b/bk/o/"));
        assert_eq!(path.matches('/').count(), 6);
    }

    #[test]
    fn required_fields() {
        assert!(require("Op", "namespace_name", "ns").is_ok());
        for bad in ["", "  ", "\t"] {
            let err = require("Op", "namespace_name", bad).unwrap_err();
            match err {
                Error::InvalidRequest { operation, reason } => {
                    assert_eq!(operation, "Op");
                    assert!(reason.contains("namespace_name"), "{reason}");
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(require_object_name("Op", " ").is_ok());
        assert!(require_object_name("Op", "").is_err());
    }

    #[test]
    fn header_readers() {
        let mut h = HeaderMap::new();
        h.insert("content-length", HeaderValue::from_static(" 42 "));
        h.insert(
            "last-modified",
            HeaderValue::from_static("Tue, 21 May 2019 09:04:20 GMT"),
        );
        h.insert(
            "time-of-archival",
            HeaderValue::from_static("2019-05-22T09:04:20.555Z"),
        );
        h.insert("opc-request-id", HeaderValue::from_static("req-1"));
        assert_eq!(header_u64("Op", &h, "content-length").unwrap(), Some(42));
        assert_eq!(header_u64("Op", &h, "absent").unwrap(), None);
        let lm = header_http_date("Op", &h, "last-modified")
            .unwrap()
            .unwrap();
        assert_eq!(lm.unix_timestamp(), 1_558_429_460);
        let ta = header_any_time("Op", &h, "time-of-archival")
            .unwrap()
            .unwrap();
        assert_eq!(ta.unix_timestamp(), 1_558_515_860);
        assert_eq!(
            header_any_time("Op", &h, "last-modified").unwrap().unwrap(),
            lm
        );

        h.insert("content-length", HeaderValue::from_static("-1"));
        match header_u64("Op", &h, "content-length").unwrap_err() {
            Error::Decode(e) => {
                assert_eq!(e.operation, "Op");
                assert!(e.reason.contains("content-length"), "{}", e.reason);
                assert_eq!(e.opc_request_id.as_deref(), Some("req-1"));
                assert!(!e.truncated);
            }
            other => panic!("{other:?}"),
        }
        // Dates are metadata: an unreadable one is absent, not an error.
        h.insert("last-modified", HeaderValue::from_static("yesterday"));
        assert!(matches!(
            header_http_date("Op", &h, "last-modified"),
            Ok(None)
        ));
    }

    #[test]
    fn non_ascii_header_values_are_kept() {
        let mut h = HeaderMap::new();
        h.insert(
            "content-disposition",
            HeaderValue::from_bytes("attachment; filename=\"ü.txt\"".as_bytes()).unwrap(),
        );
        assert_eq!(
            header_text(&h, "content-disposition").as_deref(),
            Some("attachment; filename=\"ü.txt\"")
        );
    }
}

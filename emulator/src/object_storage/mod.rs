//! Object Storage (no path prefix): namespace, buckets, objects, multipart uploads, versions,
//! pre-authenticated requests, copies and renames, lifecycle policies and retention rules.

// One file per resource (`bucket`, `object`, `multipart`, `par`, `retention`; `versions` for
// what versioning does to writes and deletes, `copy` for CopyObject, RenameObject and work
// requests); receiving upload bodies (`body`) and
// the etag preconditions (`preconditions`) are shared by several operations, as are the
// lookups and helpers below.
mod body;
mod bucket;
mod copy;
mod multipart;
mod object;
pub(crate) mod par;
mod preconditions;
pub(crate) mod retention;
mod versions;

pub(crate) use body::drain;
pub(crate) use bucket::{
    create_bucket, delete_bucket, delete_lifecycle, get_bucket, get_lifecycle, list_buckets,
    put_lifecycle, update_bucket,
};
pub(crate) use copy::{
    WorkRequest, cancel_work_request, copy_object, get_work_request, list_entries,
    list_work_requests, rename_object, settle,
};
pub(crate) use multipart::{
    abort_upload, commit_upload, create_upload, list_parts, list_uploads, upload_part,
};
pub(crate) use object::{delete_object, get_object, list_objects, put_object};
pub(crate) use versions::list_object_versions;

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::server::Ctx;
use crate::state::{ApiError, Bucket, Reply, State};

// ---------------------------------------------------------------------------------------------
// The namespace, and finding a bucket in it

fn namespace_not_found(ns: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NamespaceNotFound",
        format!(
            "You do not have authorization to perform this request, or the requested resource could not be found (namespace '{ns}')."
        ),
    )
}

fn bucket_not_found(ns: &str, bucket: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "BucketNotFound",
        format!(
            "Either the bucket named '{bucket}' does not exist in the namespace '{ns}' or you are not authorized to access it"
        ),
    )
}

fn check_ns(st: &State, ns: &str) -> Result<(), ApiError> {
    if ns == st.namespace {
        Ok(())
    } else {
        Err(namespace_not_found(ns))
    }
}

fn bucket_ref<'s>(st: &'s State, ns: &str, bucket: &str) -> Result<&'s Bucket, ApiError> {
    check_ns(st, ns)?;
    st.buckets
        .get(bucket)
        .ok_or_else(|| bucket_not_found(ns, bucket))
}

fn bucket_mut<'s>(st: &'s mut State, ns: &str, bucket: &str) -> Result<&'s mut Bucket, ApiError> {
    check_ns(st, ns)?;
    st.buckets
        .get_mut(bucket)
        .ok_or_else(|| bucket_not_found(ns, bucket))
}

/// GetNamespace: the body is a JSON string.
pub(crate) fn get_namespace(st: &State) -> Reply {
    Reply::json(StatusCode::OK, &Value::String(st.namespace.clone()))
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the operations

fn one_of(
    name: &str,
    value: Option<String>,
    allowed: &[&str],
    default: &str,
) -> Result<String, ApiError> {
    match value {
        None => Ok(default.to_string()),
        Some(v) if allowed.contains(&v.as_str()) => Ok(v),
        Some(v) => Err(ApiError::invalid(format!(
            "{name} must be one of {}, got \"{v}\"",
            allowed.join(", ")
        ))),
    }
}

fn fields_list(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.query
        .get("fields")
        .map(|f| {
            f.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Percent-encodes one path segment (for `location` headers).
pub(crate) fn encode_segment(s: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(s, SEGMENT).to_string()
}

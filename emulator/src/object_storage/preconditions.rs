//! Etag preconditions: `if-match` / `if-none-match` on reads and on writes.

use axum::http::{HeaderMap, StatusCode};

use super::header;
use crate::server::Ctx;
use crate::state::{ApiError, Reply, StoredObject};

/// `if-match` / `if-none-match` on reads: 412 IfMatchFailed, or 304 Not Modified.
pub(super) fn read_preconditions(ctx: &Ctx<'_>, etag: &str) -> Result<Option<Reply>, ApiError> {
    if let Some(want) = ctx.header("if-match")
        && !etag_list_matches(want, etag)
    {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "IfMatchFailed",
            format!("The if-match header \"{want}\" does not match the current etag \"{etag}\""),
        ));
    }
    if let Some(want) = ctx.header("if-none-match")
        && etag_list_matches(want, etag)
    {
        return Ok(Some(
            Reply::empty(StatusCode::NOT_MODIFIED).header("etag", etag),
        ));
    }
    Ok(None)
}

pub(super) fn etag_list_matches(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|w| w == "*" || w == etag)
}

/// `if-match` / `if-none-match: *` on writes (PutObject, CommitMultipartUpload).
pub(super) fn write_preconditions(
    headers: &HeaderMap,
    existing: Option<&StoredObject>,
    name: &str,
) -> Result<(), ApiError> {
    if let Some(want) = header(headers, "if-none-match") {
        if want.trim() != "*" {
            return Err(ApiError::invalid(format!(
                "if-none-match on a write only supports '*', got \"{want}\""
            )));
        }
        if existing.is_some() {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "IfNoneMatchFailed",
                format!("The object '{name}' already exists and if-none-match: * was given"),
            ));
        }
    }
    if let Some(want) = header(headers, "if-match") {
        let ok = existing.is_some_and(|o| etag_list_matches(want, &o.etag));
        if !ok {
            let current = existing.map_or("(no object)".to_string(), |o| format!("\"{}\"", o.etag));
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "IfMatchFailed",
                format!(
                    "The if-match header \"{want}\" does not match the current etag {current} of '{name}'"
                ),
            ));
        }
    }
    Ok(())
}

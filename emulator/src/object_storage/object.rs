//! Objects: ListObjects, GetObject / HeadObject (with ranges), DeleteObject and PutObject, and
//! the object metadata PutObject and CreateMultipartUpload store.

use std::collections::BTreeMap;
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use super::body::{drain, receive, upload_framing};
use super::preconditions::{etag_list_matches, read_preconditions, write_preconditions};
use super::{bucket_mut, bucket_ref, fields_list, one_of, retention, versions};
use crate::auth::Verified;
use crate::keys::uuid;
use crate::server::{App, Ctx};
use crate::state::{ApiError, Reply, State, StoredObject, rfc3339};

fn object_not_found(bucket: &str, object: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ObjectNotFound",
        format!("The object '{object}' was not found in the bucket '{bucket}'"),
    )
}

const OBJECT_FIELDS: [&str; 8] = [
    "name",
    "size",
    "etag",
    "md5",
    "timeCreated",
    "timeModified",
    "storageTier",
    "archivalState",
];

/// ListObjects: `{"objects": [...], "prefixes": [...], "nextStartWith": "..."}`.
pub(crate) fn list_objects(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
) -> Result<Reply, ApiError> {
    let q = ctx.query;
    let limit = q.limit(ctx.page_size)?;
    let prefix = q.get("prefix").unwrap_or("").to_string();
    let start = q.get("start").map(str::to_string);
    let end = q.get("end").map(str::to_string);
    let start_after = q.get("startAfter").map(str::to_string);
    let delimiter = q.get("delimiter").map(str::to_string);
    if let Some(d) = &delimiter
        && d != "/"
    {
        return Err(ApiError::invalid(format!(
            "delimiter must be '/', got \"{d}\""
        )));
    }
    let fields = fields_list(ctx);
    for f in &fields {
        if !OBJECT_FIELDS.contains(&f.as_str()) {
            return Err(ApiError::invalid(format!(
                "fields may contain {}, got \"{f}\"",
                OBJECT_FIELDS.join(", ")
            )));
        }
    }
    let want = |f: &str| fields.iter().any(|x| x == f);
    bucket_ref(st, ns, bucket)?;

    // Test knob: answer the first request of every listing with an empty page whose
    // `nextStartWith` is the first matching name. An empty page in the middle could only
    // repeat the request's inclusive `start`, and a client rightly treats a token that does not
    // move as the end of the list.
    if ctx.empty_pages && start.is_none() && start_after.is_none() {
        let b = bucket_ref(st, ns, bucket)?;
        let first = b
            .objects
            .range(prefix.clone()..)
            .map(|(name, _)| name)
            .take_while(|name| name.starts_with(&prefix))
            .find(|name| end.as_ref().is_none_or(|e| *name < e))
            .cloned();
        if let Some(first) = first {
            let mut body = json!({"objects": [], "nextStartWith": first});
            if delimiter.is_some() {
                body["prefixes"] = json!([]);
            }
            return Ok(Reply::json(StatusCode::OK, &body));
        }
    }

    let b = bucket_ref(st, ns, bucket)?;
    let lower = match (&start, &start_after) {
        (Some(s), _) if s.as_str() > prefix.as_str() => s.clone(),
        _ => prefix.clone(),
    };
    let mut objects = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut next_start_with = None;
    let mut count = 0usize;
    for (name, obj) in b.objects.range(lower..) {
        if !name.starts_with(&prefix) {
            break;
        }
        if start.as_ref().is_some_and(|s| name < s) {
            continue;
        }
        if start_after.as_ref().is_some_and(|s| name <= s) {
            continue;
        }
        if end.as_ref().is_some_and(|e| name >= e) {
            break;
        }
        let rest = &name[prefix.len()..];
        let collapsed = match (&delimiter, rest.find('/')) {
            (Some(_), Some(i)) => Some(name[..prefix.len() + i + 1].to_string()),
            _ => None,
        };
        if let Some(p) = &collapsed
            && prefixes.last() == Some(p)
        {
            continue;
        }
        if count == limit {
            next_start_with = Some(name.clone());
            break;
        }
        count += 1;
        match collapsed {
            Some(p) => prefixes.push(p),
            None => {
                let mut o = serde_json::Map::new();
                o.insert("name".into(), json!(name));
                if want("size") {
                    o.insert("size".into(), json!(obj.data.len()));
                }
                if want("md5") {
                    let md5 = obj
                        .md5
                        .clone()
                        .or_else(|| obj.multipart_md5.clone())
                        .unwrap_or_default();
                    o.insert("md5".into(), json!(md5));
                }
                if want("etag") {
                    o.insert("etag".into(), json!(obj.etag));
                }
                if want("timeCreated") {
                    o.insert("timeCreated".into(), json!(rfc3339(obj.time_created)));
                }
                if want("timeModified") {
                    o.insert("timeModified".into(), json!(rfc3339(obj.time_modified)));
                }
                if want("storageTier") {
                    o.insert("storageTier".into(), json!(obj.storage_tier));
                }
                if want("archivalState") && obj.storage_tier == "Archive" {
                    o.insert("archivalState".into(), json!("Archived"));
                }
                objects.push(Value::Object(o));
            }
        }
    }
    let mut body = json!({ "objects": objects });
    if delimiter.is_some() {
        body["prefixes"] = json!(prefixes);
    }
    if let Some(n) = next_start_with {
        body["nextStartWith"] = json!(n);
    }
    Ok(Reply::json(StatusCode::OK, &body))
}

/// Parses a single `range: bytes=...`. `None`: serve the whole object; `Some(Err)`: 416.
fn parse_range(header: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = header.trim();
    let spec = spec
        .strip_prefix("bytes=")
        .or_else(|| spec.strip_prefix("BYTES="))?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.trim().split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 || size == 0 {
            return Some(Err(()));
        }
        return Some(Ok((size.saturating_sub(n), size - 1)));
    }
    let start: u64 = a.parse().ok()?;
    let end: Option<u64> = if b.is_empty() {
        None
    } else {
        Some(b.parse().ok()?)
    };
    if let Some(e) = end
        && e < start
    {
        return None;
    }
    if start >= size {
        return Some(Err(()));
    }
    let last = end.map_or(size - 1, |e| e.min(size - 1));
    Some(Ok((start, last)))
}

fn object_headers(mut reply: Reply, obj: &StoredObject, ctx: &Ctx<'_>, whole: bool) -> Reply {
    let q = ctx.query;
    let content_type = q
        .get("httpResponseContentType")
        .unwrap_or(&obj.content_type)
        .to_string();
    reply = reply
        .header("content-type", content_type)
        .header("etag", &obj.etag)
        .header("last-modified", httpdate::fmt_http_date(obj.time_modified))
        .header("accept-ranges", "bytes")
        .header("storage-tier", &obj.storage_tier);
    if whole && let Some(md5) = &obj.md5 {
        reply = reply.header("content-md5", md5);
    }
    if let Some(m) = &obj.multipart_md5 {
        reply = reply.header("opc-multipart-md5", m);
    }
    if let Some(v) = &obj.version_id {
        reply = reply.header("version-id", v);
    }
    let pairs = [
        (
            "content-language",
            "httpResponseContentLanguage",
            &obj.content_language,
        ),
        (
            "content-encoding",
            "httpResponseContentEncoding",
            &obj.content_encoding,
        ),
        (
            "content-disposition",
            "httpResponseContentDisposition",
            &obj.content_disposition,
        ),
        (
            "cache-control",
            "httpResponseCacheControl",
            &obj.cache_control,
        ),
    ];
    for (header, param, stored) in pairs {
        if let Some(v) = q.get(param).map(str::to_string).or_else(|| stored.clone()) {
            reply = reply.header(header, v);
        }
    }
    if let Some(expires) = q.get("httpResponseExpires") {
        reply = reply.header("expires", expires);
    }
    for (k, v) in &obj.metadata {
        reply = reply.header(k, v);
        reply.expose.push(k.clone());
    }
    reply
}

/// GetObject / HeadObject.
pub(crate) fn get_object(
    st: &State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
    name: &str,
    head: bool,
) -> Result<Reply, ApiError> {
    let b = bucket_ref(st, ns, bucket)?;
    let obj = match ctx.query.get("versionId") {
        None => b
            .objects
            .get(name)
            .ok_or_else(|| object_not_found(bucket, name))?,
        Some(v) => match versions::find(b, name, v) {
            Some(Ok(o)) => o,
            // A delete marker has no content to read.
            Some(Err(())) | None => return Err(versions::version_not_found(name, v)),
        },
    };
    if let Some(not_modified) = read_preconditions(ctx, &obj.etag)? {
        return Ok(not_modified.header("last-modified", httpdate::fmt_http_date(obj.time_modified)));
    }
    let size = obj.data.len() as u64;
    if head {
        let reply = object_headers(Reply::empty(StatusCode::OK), obj, ctx, true)
            .header("content-length", size.to_string());
        return Ok(reply);
    }
    if let Some(range) = ctx.header("range").and_then(|r| parse_range(r, size)) {
        return match range {
            Err(()) => {
                let mut reply = ApiError::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "InvalidRange",
                    format!("The requested range \"{}\" is not satisfiable for an object of {size} bytes", ctx.header("range").unwrap_or_default()),
                )
                .into_reply();
                reply = reply.header("content-range", format!("bytes */{size}"));
                Ok(reply)
            }
            Ok((a, z)) => {
                let slice = obj
                    .data
                    .slice(usize::try_from(a).unwrap_or(0)..usize::try_from(z + 1).unwrap_or(0));
                let reply =
                    object_headers(Reply::empty(StatusCode::PARTIAL_CONTENT), obj, ctx, false)
                        .header("content-range", format!("bytes {a}-{z}/{size}"))
                        .with_body(slice);
                Ok(reply)
            }
        };
    }
    Ok(object_headers(Reply::empty(StatusCode::OK), obj, ctx, true).with_body(obj.data.clone()))
}

/// DeleteObject, with `versionId` for one version (see [`versions`] for what a delete does in
/// a versioned bucket). Answers `version-id` and `is-delete-marker`.
pub(crate) fn delete_object(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
    name: &str,
) -> Result<Reply, ApiError> {
    let marker_id = uuid(&mut st.rng);
    let seq = st.next_seq();
    let now = ctx.now;
    let b = bucket_mut(st, ns, bucket)?;
    let last_modified = httpdate::fmt_http_date(now);
    if let Some(version_id) = ctx.query.get("versionId") {
        if let Some(Ok(o)) = versions::find(b, name, version_id) {
            retention::check_mutable(b, name, o, now)?;
        }
        let was_marker = versions::delete_version(b, name, version_id)?;
        return Ok(Reply::empty(StatusCode::NO_CONTENT)
            .header("last-modified", last_modified)
            .header("version-id", version_id)
            .header("is-delete-marker", was_marker.to_string()));
    }
    let obj = b
        .objects
        .get(name)
        .ok_or_else(|| object_not_found(bucket, name))?;
    if let Some(want) = ctx.header("if-match")
        && !etag_list_matches(want, &obj.etag)
    {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "IfMatchFailed",
            format!(
                "The if-match header \"{want}\" does not match the current etag \"{}\"",
                obj.etag
            ),
        ));
    }
    // A delete marker changes no version's content: only an unversioned delete is held back
    // by a retention rule.
    if b.versioning != "Enabled" {
        retention::check_mutable(b, name, obj, now)?;
    }
    let (version_id, marker) = versions::delete_current(b, name, marker_id, now, seq);
    let mut reply = Reply::empty(StatusCode::NO_CONTENT)
        .header("last-modified", last_modified)
        .header("is-delete-marker", marker.to_string());
    if let Some(v) = version_id {
        reply = reply.header("version-id", v);
    }
    Ok(reply)
}

pub(super) fn validate_object_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > 1024 {
        return Err(ApiError::invalid(
            "object name must be between 1 and 1024 bytes",
        ));
    }
    // OCI's object naming rules ("Object Names" in the Object Storage docs,
    // docs.oracle.com/iaas/Content/Object/Tasks/managingobjects.htm): "Valid characters are
    // letters (upper or lower case), numbers, and characters other than line feed, carriage
    // return, and NULL." Other control characters (tab, ...) are valid. The service answers such a
    // PutObject `400 InvalidObjectName` with "Invalid object name: <name>" (seen against the real
    // service in rclone's Oracle backend tests, github.com/rclone/rclone/pull/6332).
    if let Some(c) = name.chars().find(|c| matches!(c, '\0' | '\r' | '\n')) {
        let what = match c {
            '\0' => "NULL",
            '\r' => "carriage return",
            _ => "line feed",
        };
        return Err(ApiError::bad(
            "InvalidObjectName",
            format!(
                "Invalid object name: {}: object names must not contain line feed, carriage return or NULL (this one has a {what})",
                name.escape_default()
            ),
        ));
    }
    Ok(())
}

/// The metadata a PutObject (or CreateMultipartUpload) stores along with the bytes.
pub(super) fn object_template(
    headers: &HeaderMap,
    default_tier: &str,
    now: SystemTime,
) -> Result<StoredObject, ApiError> {
    let text = |name: &str| -> Result<Option<String>, ApiError> {
        match headers.get(name) {
            None => Ok(None),
            Some(v) => v
                .to_str()
                .map(|s| Some(s.to_string()))
                .map_err(|_| ApiError::invalid(format!("header {name} is not visible ASCII"))),
        }
    };
    let mut metadata = BTreeMap::new();
    for (k, v) in headers {
        if k.as_str().starts_with("opc-meta-") {
            let v = v
                .to_str()
                .map_err(|_| ApiError::invalid(format!("header {k} is not visible ASCII")))?;
            metadata.insert(k.as_str().to_string(), v.to_string());
        }
    }
    let storage_tier = one_of(
        "storage-tier",
        text("storage-tier")?,
        &["Standard", "InfrequentAccess", "Archive"],
        default_tier,
    )?;
    Ok(StoredObject {
        data: Bytes::new(),
        md5: None,
        multipart_md5: None,
        etag: String::new(),
        time_created: now,
        time_modified: now,
        content_type: text("content-type")?.unwrap_or_else(|| "application/octet-stream".into()),
        content_language: text("content-language")?,
        content_encoding: text("content-encoding")?,
        content_disposition: text("content-disposition")?,
        cache_control: text("cache-control")?,
        storage_tier,
        metadata,
        version_id: None,
        seq: 0,
    })
}

/// PutObject: streamed, unsigned body; content-md5 checked; if-match / if-none-match honoured.
pub(crate) async fn put_object(
    app: &App,
    headers: &HeaderMap,
    body: Body,
    verified: &Verified,
    ns: &str,
    bucket: &str,
    name: &str,
) -> Reply {
    let now = app.now();
    let pre = (|| -> Result<(u64, Option<String>, StoredObject), ApiError> {
        let (len, md5) = upload_framing(headers, app.max_object_bytes)?;
        validate_object_name(name)?;
        let st = app.lock();
        let b = bucket_ref(&st, ns, bucket)?;
        write_preconditions(headers, b.objects.get(name), name)?;
        let template = object_template(headers, &b.storage_tier, now)?;
        Ok((len, md5, template))
    })();
    let (len, claimed_md5, mut template) = match pre {
        Ok(p) => p,
        Err(e) => {
            drain(body, headers).await;
            return e.into_reply();
        }
    };
    let incoming = match receive(body, len, verified, claimed_md5.as_deref()).await {
        Ok(i) => i,
        Err(reply) => return reply,
    };
    let mut st = app.lock();
    let etag = uuid(&mut st.rng);
    let version_id = uuid(&mut st.rng);
    let seq = st.next_seq();
    let commit = (|| -> Result<Reply, ApiError> {
        let b = bucket_mut(&mut st, ns, bucket)?;
        write_preconditions(headers, b.objects.get(name), name)?;
        retention::check_overwrite(b, name, now)?;
        let md5 = B64.encode(incoming.md5_raw);
        template.data = incoming.data;
        template.md5 = Some(md5.clone());
        template.etag = etag.clone();
        let last_modified = httpdate::fmt_http_date(template.time_modified);
        let version = versions::store(b, name, template, version_id, seq);
        let mut reply = Reply::empty(StatusCode::OK)
            .header("etag", &etag)
            .header("opc-content-md5", md5)
            .header("last-modified", last_modified);
        if let Some(v) = version {
            reply = reply.header("version-id", v);
        }
        Ok(reply)
    })();
    commit.unwrap_or_else(ApiError::into_reply)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-1000", 100), Some(Ok((0, 99))));
        assert_eq!(parse_range("bytes=95-200", 100), Some(Ok((95, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=-0", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}

//! Object Storage (no path prefix): namespace, buckets, objects and multipart uploads.

use std::collections::BTreeMap;
use std::future::poll_fn;
use std::pin::Pin;
use std::time::SystemTime;

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::auth::Verified;
use crate::identity::list_reply;
use crate::keys::{ocid, uuid};
use crate::server::{App, Ctx};
use crate::state::{
    ApiError, Bucket, Created, PageToken, Reply, State, StoredObject, Upload, UploadPart,
    check_defined_tags, check_string_map, opt_bool, opt_str, paginate, parse_body, req_str,
    rfc3339,
};

// ---------------------------------------------------------------------------------------------
// Errors

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

fn object_not_found(bucket: &str, object: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ObjectNotFound",
        format!("The object '{object}' was not found in the bucket '{bucket}'"),
    )
}

fn upload_not_found(upload_id: &str, object: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "UploadNotFound",
        format!("No multipart upload with uploadId '{upload_id}' exists for object '{object}'"),
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

// ---------------------------------------------------------------------------------------------
// Namespace and buckets

/// GetNamespace: the body is a JSON string.
pub(crate) fn get_namespace(st: &State) -> Reply {
    Reply::json(StatusCode::OK, &Value::String(st.namespace.clone()))
}

fn validate_bucket_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 256
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "bucket name \"{name}\" is invalid: use 1 to 256 letters, digits, dashes, underscores and periods"
        )))
    }
}

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

fn bucket_json(st: &State, b: &Bucket, fields: &[&str]) -> Value {
    let with_count = fields.contains(&"approximateCount");
    let with_size = fields.contains(&"approximateSize");
    json!({
        "namespace": st.namespace,
        "name": b.name,
        "compartmentId": b.compartment_id,
        "metadata": b.metadata,
        "createdBy": b.created_by,
        "timeCreated": rfc3339(b.time_created),
        "etag": b.etag,
        "publicAccessType": b.public_access_type,
        "storageTier": b.storage_tier,
        "objectEventsEnabled": b.object_events_enabled,
        "freeformTags": b.freeform_tags,
        "definedTags": b.defined_tags,
        "kmsKeyId": b.kms_key_id,
        "isBucketKeyEnabled": null,
        "objectLifecyclePolicyEtag": null,
        "approximateCount": if with_count { json!(b.objects.len()) } else { Value::Null },
        "approximateSize": if with_size { json!(b.objects.values().map(|o| o.data.len() as u64).sum::<u64>()) } else { Value::Null },
        "replicationEnabled": false,
        "isReadOnly": false,
        "id": b.id,
        "versioning": b.versioning,
        "autoTiering": b.auto_tiering,
        "bucketScope": null,
    })
}

/// CreateBucket.
pub(crate) fn create_bucket(st: &mut State, ctx: &Ctx<'_>, ns: &str) -> Result<Reply, ApiError> {
    check_ns(st, ns)?;
    let body = parse_body(ctx.body)?;
    let name = req_str(&body, "name")?;
    let compartment_id = req_str(&body, "compartmentId")?;
    validate_bucket_name(&name)?;
    if !compartment_id.starts_with("ocid1.") {
        return Err(ApiError::invalid(format!(
            "compartmentId \"{compartment_id}\" is not an OCID"
        )));
    }
    let metadata = check_string_map("metadata", body.get("metadata").unwrap_or(&Value::Null))?;
    let public_access_type = one_of(
        "publicAccessType",
        opt_str(&body, "publicAccessType")?,
        &["NoPublicAccess", "ObjectRead", "ObjectReadWithoutList"],
        "NoPublicAccess",
    )?;
    let storage_tier = one_of(
        "storageTier",
        opt_str(&body, "storageTier")?,
        &["Standard", "Archive"],
        "Standard",
    )?;
    let versioning = one_of(
        "versioning",
        opt_str(&body, "versioning")?,
        &["Enabled", "Disabled"],
        "Disabled",
    )?;
    let auto_tiering = one_of(
        "autoTiering",
        opt_str(&body, "autoTiering")?,
        &["Disabled", "InfrequentAccess"],
        "Disabled",
    )?;
    let object_events_enabled = opt_bool(&body, "objectEventsEnabled")?.unwrap_or(false);
    let kms_key_id = opt_str(&body, "kmsKeyId")?.map_or(Value::Null, Value::String);
    let freeform_tags = check_string_map(
        "freeformTags",
        body.get("freeformTags").unwrap_or(&Value::Null),
    )?;
    let defined_tags = check_defined_tags(body.get("definedTags").unwrap_or(&Value::Null))?;

    if st.buckets.contains_key(&name) {
        return Err(ApiError::conflict(
            "BucketAlreadyExists",
            format!(
                "Either the bucket '{name}' in namespace '{ns}' already exists or you are not authorized to create it"
            ),
        ));
    }
    let bucket = Bucket {
        id: ocid(&mut st.rng, "bucket", "iad"),
        name: name.clone(),
        compartment_id,
        created_by: ctx.principal_user().to_string(),
        time_created: ctx.now,
        etag: uuid(&mut st.rng),
        metadata,
        public_access_type,
        storage_tier,
        object_events_enabled,
        versioning,
        auto_tiering,
        kms_key_id,
        freeform_tags,
        defined_tags,
        objects: BTreeMap::new(),
        uploads: Default::default(),
    };
    let value = bucket_json(st, &bucket, &[]);
    let etag = bucket.etag.clone();
    st.buckets.insert(name.clone(), bucket);
    let location = format!("http://{}/n/{ns}/b/{}", ctx.host, encode_segment(&name));
    let mut reply = Reply::json(StatusCode::OK, &value)
        .header("etag", etag)
        .header("location", location);
    reply.created = Some(Created::Bucket(name));
    Ok(reply)
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

/// `if-match` / `if-none-match` on reads: 412 IfMatchFailed, or 304 Not Modified.
fn read_preconditions(ctx: &Ctx<'_>, etag: &str) -> Result<Option<Reply>, ApiError> {
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

fn etag_list_matches(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|w| w == "*" || w == etag)
}

/// GetBucket / HeadBucket.
pub(crate) fn get_bucket(
    st: &State,
    ctx: &Ctx<'_>,
    ns: &str,
    name: &str,
    head: bool,
) -> Result<Reply, ApiError> {
    let b = bucket_ref(st, ns, name)?;
    if let Some(not_modified) = read_preconditions(ctx, &b.etag)? {
        return Ok(not_modified);
    }
    if head {
        return Ok(Reply::empty(StatusCode::OK).header("etag", &b.etag));
    }
    let fields = fields_list(ctx);
    for f in &fields {
        if f != "approximateCount" && f != "approximateSize" && f != "autoTiering" {
            return Err(ApiError::invalid(format!(
                "fields may contain approximateCount, approximateSize and autoTiering, got \"{f}\""
            )));
        }
    }
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    Ok(Reply::json(StatusCode::OK, &bucket_json(st, b, &fields)).header("etag", &b.etag))
}

/// DeleteBucket: 409 BucketNotEmpty while objects or multipart uploads remain.
pub(crate) fn delete_bucket(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    name: &str,
) -> Result<Reply, ApiError> {
    let b = bucket_ref(st, ns, name)?;
    if let Some(want) = ctx.header("if-match")
        && !etag_list_matches(want, &b.etag)
    {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "IfMatchFailed",
            format!(
                "The if-match header \"{want}\" does not match the bucket etag \"{}\"",
                b.etag
            ),
        ));
    }
    if !b.objects.is_empty() {
        return Err(ApiError::conflict(
            "BucketNotEmpty",
            format!(
                "Bucket named '{name}' is not empty ({} objects). Delete all objects first.",
                b.objects.len()
            ),
        ));
    }
    if !b.uploads.is_empty() {
        return Err(ApiError::conflict(
            "BucketNotEmpty",
            format!(
                "Bucket named '{name}' has {} multipart upload(s) in progress. Commit or abort them first.",
                b.uploads.len()
            ),
        ));
    }
    st.buckets.remove(name);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// ListBuckets: BucketSummary items, paginated with opc-next-page.
pub(crate) fn list_buckets(st: &State, ctx: &Ctx<'_>, ns: &str) -> Result<Reply, ApiError> {
    check_ns(st, ns)?;
    let compartment = ctx
        .query
        .get("compartmentId")
        .ok_or_else(|| ApiError::missing("compartmentId"))?;
    let limit = ctx.query.limit(ctx.page_size)?;
    let page = ctx.query.page()?;
    let fields = fields_list(ctx);
    for f in &fields {
        if f != "tags" {
            return Err(ApiError::invalid(format!(
                "fields may only contain tags, got \"{f}\""
            )));
        }
    }
    let with_tags = !fields.is_empty();
    let keyed: Vec<(String, String)> = st
        .buckets
        .values()
        .filter(|b| b.compartment_id == compartment)
        .map(|b| (b.name.clone(), b.name.clone()))
        .collect();
    let (names, next) = paginate(&keyed, false, page.as_ref(), limit, ctx.empty_pages);
    let items = names
        .iter()
        .filter_map(|n| st.buckets.get(n))
        .map(|b| {
            json!({
                "namespace": st.namespace,
                "name": b.name,
                "compartmentId": b.compartment_id,
                "createdBy": b.created_by,
                "timeCreated": rfc3339(b.time_created),
                "etag": b.etag,
                "freeformTags": if with_tags { b.freeform_tags.clone() } else { Value::Null },
                "definedTags": if with_tags { b.defined_tags.clone() } else { Value::Null },
            })
        })
        .collect();
    Ok(list_reply(items, next))
}

// ---------------------------------------------------------------------------------------------
// Objects

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
    let obj = b
        .objects
        .get(name)
        .ok_or_else(|| object_not_found(bucket, name))?;
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

/// DeleteObject.
pub(crate) fn delete_object(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
    name: &str,
) -> Result<Reply, ApiError> {
    let b = bucket_mut(st, ns, bucket)?;
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
    let last_modified = httpdate::fmt_http_date(ctx.now);
    b.objects.remove(name);
    Ok(Reply::empty(StatusCode::NO_CONTENT).header("last-modified", last_modified))
}

/// `if-match` / `if-none-match: *` on writes (PutObject, CommitMultipartUpload).
fn write_preconditions(
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

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn validate_object_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > 1024 {
        return Err(ApiError::invalid(
            "object name must be between 1 and 1024 bytes",
        ));
    }
    if name.contains('\0') {
        return Err(ApiError::invalid("object name must not contain NUL"));
    }
    Ok(())
}

/// The metadata a PutObject (or CreateMultipartUpload) stores along with the bytes.
fn object_template(
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
    })
}

/// The facts about a streamed upload that PutObject and UploadPart share.
struct Incoming {
    data: Bytes,
    md5_raw: [u8; 16],
}

/// Checks framing headers before a streamed body is read: no chunked encoding, a
/// content-length, not too large, and a well-formed content-md5.
fn upload_framing(headers: &HeaderMap, max: u64) -> Result<(u64, Option<String>), ApiError> {
    if headers.get_all("transfer-encoding").iter().any(|v| {
        v.to_str()
            .is_ok_and(|s| s.to_ascii_lowercase().contains("chunked"))
    }) {
        return Err(ApiError::new(
            StatusCode::LENGTH_REQUIRED,
            "ContentLengthRequired",
            "The Content-Length header is required: chunked transfer encoding is not supported for uploads",
        ));
    }
    let len = match header(headers, "content-length") {
        None => {
            return Err(ApiError::new(
                StatusCode::LENGTH_REQUIRED,
                "ContentLengthRequired",
                "The Content-Length header is required",
            ));
        }
        Some(s) => s
            .trim()
            .parse::<u64>()
            .map_err(|_| ApiError::invalid(format!("content-length \"{s}\" is not a number")))?,
    };
    if len > max {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!("content-length {len} exceeds the emulator's limit of {max} bytes"),
        ));
    }
    let md5 = match header(headers, "content-md5") {
        None => None,
        Some(v) => {
            let v = v.trim();
            match B64.decode(v) {
                Ok(raw) if raw.len() == 16 => Some(v.to_string()),
                _ => {
                    return Err(ApiError::invalid(format!(
                        "content-md5 \"{v}\" is not the base64 encoding of a 16-byte MD5"
                    )));
                }
            }
        }
    };
    Ok((len, md5))
}

/// Reads the body into one buffer as it arrives, hashing as it goes.
async fn receive(
    mut body: Body,
    expected: u64,
    verified: &Verified,
    claimed_md5: Option<&str>,
) -> Result<Incoming, Reply> {
    let mut buf: Vec<u8> = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    let mut md5 = Md5::new();
    let mut sha = verified.needs_body_hash().then(Sha256::new);
    loop {
        let frame = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => break,
            Some(Err(e)) => {
                return Err(ApiError::bad(
                    "InvalidParameter",
                    format!("error while reading the request body: {e}"),
                )
                .into_reply());
            }
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    md5.update(&data);
                    if let Some(s) = sha.as_mut() {
                        s.update(&data);
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
    let sha = sha.map(|s| s.finalize());
    if let Err(message) = verified.check_body(buf.len() as u64, sha.as_ref().map(|d| d.as_slice()))
    {
        let mut reply =
            ApiError::new(StatusCode::UNAUTHORIZED, "NotAuthenticated", message).into_reply();
        reply.error_code = Some("NotAuthenticated");
        return Err(reply);
    }
    if buf.len() as u64 != expected {
        return Err(ApiError::invalid(format!(
            "received {} body bytes but content-length was {expected}",
            buf.len()
        ))
        .into_reply());
    }
    let md5_raw: [u8; 16] = md5.finalize().into();
    if let Some(claimed) = claimed_md5 {
        let actual = B64.encode(md5_raw);
        if actual != claimed {
            return Err(ApiError::bad(
                "UnmatchedContentMD5",
                format!("The computed MD5 of the request body ({actual}) does not match the Content-MD5 header ({claimed})"),
            )
            .into_reply());
        }
    }
    Ok(Incoming {
        data: Bytes::from(buf),
        md5_raw,
    })
}

/// Discards an unread request body so the connection can be reused, unless the client is
/// waiting for `100 Continue` (then it never sends the body and nothing needs draining).
pub(crate) async fn drain(mut body: Body, headers: &HeaderMap) {
    let expects = header(headers, "expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if expects {
        return;
    }
    let mut seen: u64 = 0;
    while let Some(Ok(frame)) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        if let Ok(d) = frame.into_data() {
            seen += d.len() as u64;
            if seen > (1 << 30) {
                return;
            }
        }
    }
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
    let commit = (|| -> Result<Reply, ApiError> {
        let b = bucket_mut(&mut st, ns, bucket)?;
        write_preconditions(headers, b.objects.get(name), name)?;
        let md5 = B64.encode(incoming.md5_raw);
        template.data = incoming.data;
        template.md5 = Some(md5.clone());
        template.etag = etag.clone();
        let last_modified = httpdate::fmt_http_date(template.time_modified);
        b.objects.insert(name.to_string(), template);
        Ok(Reply::empty(StatusCode::OK)
            .header("etag", &etag)
            .header("opc-content-md5", md5)
            .header("last-modified", last_modified))
    })();
    commit.unwrap_or_else(ApiError::into_reply)
}

// ---------------------------------------------------------------------------------------------
// Multipart uploads

fn upload_json(st: &State, bucket: &str, u: &Upload) -> Value {
    json!({
        "namespace": st.namespace,
        "bucket": bucket,
        "object": u.object,
        "uploadId": u.id,
        "timeCreated": rfc3339(u.time_created),
        "storageTier": u.template.storage_tier,
    })
}

/// CreateMultipartUpload.
pub(crate) fn create_upload(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
) -> Result<Reply, ApiError> {
    let body = parse_body(ctx.body)?;
    let object = req_str(&body, "object")?;
    validate_object_name(&object)?;
    let b = bucket_ref(st, ns, bucket)?;
    write_preconditions(ctx.headers, b.objects.get(&object), &object)?;
    let mut template = object_template(&HeaderMap::new(), &b.storage_tier, ctx.now)?;
    template.content_type = opt_str(&body, "contentType")?.unwrap_or(template.content_type);
    template.content_language = opt_str(&body, "contentLanguage")?;
    template.content_encoding = opt_str(&body, "contentEncoding")?;
    template.content_disposition = opt_str(&body, "contentDisposition")?;
    template.cache_control = opt_str(&body, "cacheControl")?;
    template.storage_tier = one_of(
        "storageTier",
        opt_str(&body, "storageTier")?,
        &["Standard", "InfrequentAccess", "Archive"],
        &template.storage_tier,
    )?;
    if let Some(meta) = body.get("metadata").filter(|v| !v.is_null()) {
        let meta = check_string_map("metadata", meta)?;
        if let Value::Object(m) = meta {
            for (k, v) in m {
                let k = k.to_ascii_lowercase();
                let k = if k.starts_with("opc-meta-") {
                    k
                } else {
                    format!("opc-meta-{k}")
                };
                template
                    .metadata
                    .insert(k, v.as_str().unwrap_or_default().to_string());
            }
        }
    }
    let seq = st.next_seq();
    let id = uuid(&mut st.rng);
    let upload = Upload {
        seq,
        id: id.clone(),
        object,
        time_created: ctx.now,
        template,
        parts: BTreeMap::new(),
    };
    let value = upload_json(st, bucket, &upload);
    bucket_mut(st, ns, bucket)?
        .uploads
        .insert(id.clone(), upload);
    let location = format!(
        "http://{}/n/{ns}/b/{}/u/{}",
        ctx.host,
        encode_segment(bucket),
        encode_segment(&id)
    );
    let mut reply = Reply::json(StatusCode::OK, &value).header("location", location);
    reply.created = Some(Created::Upload(id));
    Ok(reply)
}

fn upload_ref<'s>(
    st: &'s State,
    ns: &str,
    bucket: &str,
    object: &str,
    upload_id: &str,
) -> Result<&'s Upload, ApiError> {
    let b = bucket_ref(st, ns, bucket)?;
    b.uploads
        .get(upload_id)
        .filter(|u| u.object == object)
        .ok_or_else(|| upload_not_found(upload_id, object))
}

fn required_query<'q>(ctx: &'q Ctx<'_>, name: &str) -> Result<&'q str, ApiError> {
    ctx.query.get(name).ok_or_else(|| ApiError::missing(name))
}

/// UploadPart: streamed like PutObject.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn upload_part(
    app: &App,
    headers: &HeaderMap,
    query: &crate::state::Query,
    body: Body,
    verified: &Verified,
    ns: &str,
    bucket: &str,
    object: &str,
) -> Reply {
    let pre = (|| -> Result<(u64, Option<String>, String, u32), ApiError> {
        let upload_id = query
            .get("uploadId")
            .ok_or_else(|| ApiError::missing("uploadId"))?
            .to_string();
        let num = query
            .get("uploadPartNum")
            .ok_or_else(|| ApiError::missing("uploadPartNum"))?;
        let num: u32 = num
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "uploadPartNum must be between 1 and 10000, got \"{num}\""
                ))
            })?;
        let (len, md5) = upload_framing(headers, app.max_object_bytes)?;
        let st = app.lock();
        let u = upload_ref(&st, ns, bucket, object, &upload_id)?;
        if let Some(existing) = u.parts.get(&num)
            && header(headers, "if-none-match").is_some_and(|v| v.trim() == "*")
        {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "IfNoneMatchFailed",
                format!("part {num} already exists (etag {})", existing.etag),
            ));
        }
        Ok((len, md5, upload_id, num))
    })();
    let (len, claimed_md5, upload_id, num) = match pre {
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
    let result = (|| -> Result<Reply, ApiError> {
        let b = bucket_mut(&mut st, ns, bucket)?;
        let u = b
            .uploads
            .get_mut(&upload_id)
            .filter(|u| u.object == object)
            .ok_or_else(|| upload_not_found(&upload_id, object))?;
        let md5 = B64.encode(incoming.md5_raw);
        u.parts.insert(
            num,
            UploadPart {
                data: incoming.data,
                md5_raw: incoming.md5_raw,
                md5: md5.clone(),
                etag: etag.clone(),
            },
        );
        Ok(Reply::empty(StatusCode::OK)
            .header("etag", &etag)
            .header("opc-content-md5", md5))
    })();
    result.unwrap_or_else(ApiError::into_reply)
}

/// CommitMultipartUpload.
pub(crate) fn commit_upload(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
    object: &str,
) -> Result<Reply, ApiError> {
    let upload_id = required_query(ctx, "uploadId")?.to_string();
    let body = parse_body(ctx.body)?;
    let parts = match body.get("partsToCommit") {
        None | Some(Value::Null) => return Err(ApiError::missing("partsToCommit")),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(ApiError::invalid("partsToCommit must be an array")),
    };
    let mut wanted: Vec<(u32, String)> = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let num = p
            .get("partNum")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| {
                ApiError::invalid(format!("partsToCommit[{i}].partNum must be an integer"))
            })?;
        let etag = p.get("etag").and_then(Value::as_str).ok_or_else(|| {
            ApiError::invalid(format!("partsToCommit[{i}].etag must be a string"))
        })?;
        wanted.push((num, etag.trim_matches('"').to_string()));
    }
    if wanted.is_empty() {
        return Err(ApiError::invalid(
            "partsToCommit must name at least one part",
        ));
    }
    wanted.sort_by_key(|(n, _)| *n);
    if wanted.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(ApiError::invalid(
            "partsToCommit names a part more than once",
        ));
    }
    let upload = upload_ref(st, ns, bucket, object, &upload_id)?;
    let b = bucket_ref(st, ns, bucket)?;
    write_preconditions(ctx.headers, b.objects.get(object), object)?;
    let mut total = 0usize;
    let mut md5s = Vec::with_capacity(wanted.len() * 16);
    for (num, etag) in &wanted {
        let part = upload.parts.get(num).ok_or_else(|| {
            ApiError::invalid(format!(
                "part {num} was not uploaded for upload {upload_id}"
            ))
        })?;
        if &part.etag != etag {
            return Err(ApiError::invalid(format!(
                "part {num}: etag \"{etag}\" does not match the uploaded part's etag \"{}\"",
                part.etag
            )));
        }
        total += part.data.len();
        md5s.extend_from_slice(&part.md5_raw);
    }
    let mut data = Vec::with_capacity(total);
    for (num, _) in &wanted {
        if let Some(p) = upload.parts.get(num) {
            data.extend_from_slice(&p.data);
        }
    }
    let multipart_md5 = format!("{}-{}", B64.encode(Md5::digest(&md5s)), wanted.len());
    let mut obj = upload.template.clone();
    obj.data = Bytes::from(data);
    obj.md5 = None;
    obj.multipart_md5 = Some(multipart_md5.clone());
    obj.time_created = ctx.now;
    obj.time_modified = ctx.now;
    let etag = uuid(&mut st.rng);
    obj.etag = etag.clone();
    let b = bucket_mut(st, ns, bucket)?;
    b.uploads.remove(&upload_id);
    b.objects.insert(object.to_string(), obj);
    Ok(Reply::empty(StatusCode::OK)
        .header("etag", etag)
        .header("opc-multipart-md5", multipart_md5)
        .header("last-modified", httpdate::fmt_http_date(ctx.now)))
}

/// AbortMultipartUpload.
pub(crate) fn abort_upload(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
    object: &str,
) -> Result<Reply, ApiError> {
    let upload_id = required_query(ctx, "uploadId")?.to_string();
    upload_ref(st, ns, bucket, object, &upload_id)?;
    bucket_mut(st, ns, bucket)?.uploads.remove(&upload_id);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// ListMultipartUploadParts.
pub(crate) fn list_parts(
    st: &State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
    object: &str,
) -> Result<Reply, ApiError> {
    let upload_id = required_query(ctx, "uploadId")?.to_string();
    let limit = ctx.query.limit(ctx.page_size)?;
    let page: Option<PageToken> = ctx.query.page()?;
    let u = upload_ref(st, ns, bucket, object, &upload_id)?;
    let keyed: Vec<(String, Value)> = u
        .parts
        .iter()
        .map(|(n, p)| {
            (
                format!("{n:05}"),
                json!({"partNumber": n, "etag": p.etag, "md5": p.md5, "size": p.data.len()}),
            )
        })
        .collect();
    let (items, next) = paginate(&keyed, false, page.as_ref(), limit, ctx.empty_pages);
    Ok(list_reply(items, next))
}

/// ListMultipartUploads.
pub(crate) fn list_uploads(
    st: &State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
) -> Result<Reply, ApiError> {
    let limit = ctx.query.limit(ctx.page_size)?;
    let page = ctx.query.page()?;
    let b = bucket_ref(st, ns, bucket)?;
    let mut keyed: Vec<(String, Value)> = b
        .uploads
        .values()
        .map(|u| (format!("{:020}", u.seq), upload_json(st, bucket, u)))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let (items, next) = paginate(&keyed, false, page.as_ref(), limit, ctx.empty_pages);
    Ok(list_reply(items, next))
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

//! Multipart uploads: CreateMultipartUpload, UploadPart, CommitMultipartUpload,
//! AbortMultipartUpload, ListMultipartUploadParts and ListMultipartUploads.

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};
use serde_json::{Value, json};

use super::body::{drain, receive, upload_framing};
use super::object::{object_template, validate_object_name};
use super::preconditions::write_preconditions;
use super::{bucket_mut, bucket_ref, encode_segment, header, one_of, retention, versions};
use crate::auth::Verified;
use crate::identity::list_reply;
use crate::keys::uuid;
use crate::server::{App, Ctx};
use crate::state::{
    ApiError, Created, PageToken, Reply, State, Upload, UploadPart, check_string_map, opt_str,
    paginate, parse_body, req_str, rfc3339,
};

fn upload_not_found(upload_id: &str, object: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "UploadNotFound",
        format!("No multipart upload with uploadId '{upload_id}' exists for object '{object}'"),
    )
}

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
    let version_id = uuid(&mut st.rng);
    let seq = st.next_seq();
    let b = bucket_mut(st, ns, bucket)?;
    retention::check_overwrite(b, object, ctx.now)?;
    b.uploads.remove(&upload_id);
    let version = versions::store(b, object, obj, version_id, seq);
    let mut reply = Reply::empty(StatusCode::OK)
        .header("etag", etag)
        .header("opc-multipart-md5", multipart_md5)
        .header("last-modified", httpdate::fmt_http_date(ctx.now));
    if let Some(v) = version {
        reply = reply.header("version-id", v);
    }
    Ok(reply)
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

//! CopyObject (asynchronous, as a work request), RenameObject, and the Object Storage work
//! request operations.
//!
//! Facts: CopyObject "creates a request to copy an object within a region or to another region"
//! and answers `202` with `opc-work-request-id` (oci 2.189.0, ObjectStorageClient.copy_object;
//! the SDK's copy_object_and_wait_for_state then polls GetWorkRequest); a WorkRequest's
//! `status` is ACCEPTED, IN_PROGRESS, FAILED, COMPLETED, CANCELING or CANCELED, its
//! `operationType` COPY_OBJECT. Here the copy takes [`crate::EmulatorConfig::work_request_delay`]:
//! IN_PROGRESS until then, and the destination is written only when it completes, so a client
//! that reads it before the work request says COMPLETED can miss it, as on the service. The
//! emulator plays one region: a copy to another region is refused.

use std::time::SystemTime;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::preconditions::etag_list_matches;
use super::{bucket_mut, bucket_ref, check_ns, encode_segment, one_of, retention, versions};
use crate::keys::{ocid, uuid};
use crate::server::Ctx;
use crate::state::{
    ApiError, PageToken, Reply, State, StoredObject, opt_str, paginate, parse_body, req_str,
    rfc3339, seq_key,
};

/// A copy waiting for its work request to complete.
#[derive(Debug, Clone)]
pub(crate) struct PendingCopy {
    /// The source as it was when the copy was asked for.
    object: StoredObject,
    bucket: String,
    name: String,
    if_match: Option<String>,
    if_none_match: Option<String>,
}

/// An Object Storage work request.
#[derive(Debug, Clone)]
pub(crate) struct WorkRequest {
    id: String,
    seq: u64,
    compartment_id: String,
    status: &'static str,
    time_accepted: SystemTime,
    due: SystemTime,
    time_finished: Option<SystemTime>,
    resources: Vec<Value>,
    errors: Vec<Value>,
    logs: Vec<Value>,
    pending: Option<PendingCopy>,
}

impl WorkRequest {
    /// WorkRequest and WorkRequestSummary have the same fields.
    fn json(&self) -> Value {
        let done = matches!(self.status, "COMPLETED" | "FAILED" | "CANCELED");
        json!({
            "operationType": "COPY_OBJECT",
            "status": self.status,
            "id": self.id,
            "compartmentId": self.compartment_id,
            "resources": self.resources,
            "percentComplete": if done { 100.0 } else { 0.0 },
            "timeAccepted": rfc3339(self.time_accepted),
            "timeStarted": rfc3339(self.time_accepted),
            "timeFinished": self.time_finished.map(rfc3339),
        })
    }
}

fn fail(wr: &mut WorkRequest, code: &str, message: String, now: SystemTime) {
    wr.status = "FAILED";
    wr.time_finished = Some(now);
    wr.errors
        .push(json!({"code": code, "message": message, "timestamp": rfc3339(now)}));
    wr.logs
        .push(json!({"message": format!("copy failed: {code}"), "timestamp": rfc3339(now)}));
}

/// Completes the copies whose time has come. Called whenever the state is locked, so every
/// request sees the work requests as they are at its time.
pub(crate) fn settle(st: &mut State, now: SystemTime) {
    let due: Vec<String> = st
        .work_requests
        .values()
        .filter(|w| w.pending.is_some() && w.due <= now)
        .map(|w| w.id.clone())
        .collect();
    for id in due {
        let Some(mut wr) = st.work_requests.remove(&id) else {
            continue;
        };
        if let Some(copy) = wr.pending.take() {
            let etag = uuid(&mut st.rng);
            let version_id = uuid(&mut st.rng);
            let seq = st.next_seq();
            let ns = st.namespace.clone();
            let done = (|| -> Result<(), (String, String)> {
                let b = bucket_mut(st, &ns, &copy.bucket)
                    .map_err(|e| (e.code.to_string(), e.message))?;
                let existing = b.objects.get(&copy.name);
                if let Some(want) = &copy.if_match
                    && !existing.is_some_and(|o| etag_list_matches(want, &o.etag))
                {
                    return Err((
                        "IfMatchFailed".into(),
                        format!("destinationObjectIfMatchETag \"{want}\" does not match"),
                    ));
                }
                if copy.if_none_match.is_some() && existing.is_some() {
                    return Err((
                        "IfNoneMatchFailed".into(),
                        format!("the destination object '{}' exists", copy.name),
                    ));
                }
                retention::check_overwrite(b, &copy.name, now)
                    .map_err(|e| (e.code.to_string(), e.message))?;
                let mut obj = copy.object.clone();
                obj.etag = etag;
                obj.time_created = now;
                obj.time_modified = now;
                versions::store(b, &copy.name, obj, version_id, seq);
                Ok(())
            })();
            match done {
                Ok(()) => {
                    wr.status = "COMPLETED";
                    wr.time_finished = Some(now);
                    wr.logs
                        .push(json!({"message": "copy completed", "timestamp": rfc3339(now)}));
                }
                Err((code, message)) => fail(&mut wr, &code, message, now),
            }
        }
        st.work_requests.insert(id, wr);
    }
}

/// CopyObject: checks the source now, writes the destination when the work request completes.
pub(crate) fn copy_object(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
) -> Result<Reply, ApiError> {
    let body = parse_body(ctx.body)?;
    let source_name = req_str(&body, "sourceObjectName")?;
    let region = req_str(&body, "destinationRegion")?;
    let dest_ns = req_str(&body, "destinationNamespace")?;
    let dest_bucket = req_str(&body, "destinationBucket")?;
    let dest_name = req_str(&body, "destinationObjectName")?;
    super::object::validate_object_name(&dest_name)?;
    if region != st.region {
        return Err(ApiError::invalid(format!(
            "destinationRegion \"{region}\": the emulator plays only region {}",
            st.region
        )));
    }
    check_ns(st, &dest_ns)?;
    let if_none_match = opt_str(&body, "destinationObjectIfNoneMatchETag")?;
    if let Some(v) = &if_none_match
        && v != "*"
    {
        return Err(ApiError::invalid(
            "destinationObjectIfNoneMatchETag only supports '*'",
        ));
    }
    let b = bucket_ref(st, ns, bucket)?;
    let source = match opt_str(&body, "sourceVersionId")? {
        Some(v) => match versions::find(b, &source_name, &v) {
            Some(Ok(o)) => o,
            _ => return Err(versions::version_not_found(&source_name, &v)),
        },
        None => b.objects.get(&source_name).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "ObjectNotFound",
                format!("The object '{source_name}' was not found in the bucket '{bucket}'"),
            )
        })?,
    };
    if let Some(want) = opt_str(&body, "sourceObjectIfMatchETag")?
        && !etag_list_matches(&want, &source.etag)
    {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "IfMatchFailed",
            format!(
                "sourceObjectIfMatchETag \"{want}\" does not match the source's etag \"{}\"",
                source.etag
            ),
        ));
    }
    let mut object = source.clone();
    object.version_id = None;
    if let Some(meta) = body
        .get("destinationObjectMetadata")
        .filter(|v| !v.is_null())
    {
        let meta = crate::state::check_string_map("destinationObjectMetadata", meta)?;
        object.metadata = meta
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                let k = k.to_ascii_lowercase();
                let k = if k.starts_with("opc-meta-") {
                    k
                } else {
                    format!("opc-meta-{k}")
                };
                (k, v.as_str().unwrap_or_default().to_string())
            })
            .collect();
    }
    if let Some(tier) = opt_str(&body, "destinationObjectStorageTier")? {
        object.storage_tier = one_of(
            "destinationObjectStorageTier",
            Some(tier),
            &["Standard", "InfrequentAccess", "Archive"],
            "",
        )?;
    }
    let compartment = b.compartment_id.clone();
    let source_uri = format!(
        "/n/{ns}/b/{}/o/{}",
        encode_segment(bucket),
        encode_segment(&source_name)
    );
    let dest_uri = format!(
        "/n/{dest_ns}/b/{}/o/{}",
        encode_segment(&dest_bucket),
        encode_segment(&dest_name)
    );
    let id = ocid(&mut st.rng, "objectstorageworkrequest", "iad");
    let seq = st.next_seq();
    let wr = WorkRequest {
        id: id.clone(),
        seq,
        compartment_id: compartment,
        status: "IN_PROGRESS",
        time_accepted: ctx.now,
        due: ctx.now + st.work_request_delay,
        time_finished: None,
        resources: vec![
            json!({"actionType": "READ", "entityType": "object", "identifier": source_name,
                "entityUri": source_uri, "metadata": {"BUCKET": bucket, "NAMESPACE": ns}}),
            json!({"actionType": "WRITTEN", "entityType": "object", "identifier": dest_name,
                "entityUri": dest_uri, "metadata": {"BUCKET": dest_bucket, "NAMESPACE": dest_ns}}),
        ],
        errors: Vec::new(),
        logs: vec![json!({"message": "copy accepted", "timestamp": rfc3339(ctx.now)})],
        pending: Some(PendingCopy {
            object,
            bucket: dest_bucket,
            name: dest_name,
            if_match: opt_str(&body, "destinationObjectIfMatchETag")?,
            if_none_match,
        }),
    };
    st.work_requests.insert(id.clone(), wr);
    // A delay of zero completes at once.
    settle(st, ctx.now);
    Ok(Reply::empty(StatusCode::ACCEPTED).header("opc-work-request-id", id))
}

fn wr_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NotAuthorizedOrNotFound",
        format!("work request {id} not found or not authorized"),
    )
}

/// GetWorkRequest (Object Storage).
pub(crate) fn get_work_request(st: &State, id: &str) -> Result<Reply, ApiError> {
    let wr = st.work_requests.get(id).ok_or_else(|| wr_not_found(id))?;
    let mut reply = Reply::json(StatusCode::OK, &wr.json());
    // The SDKs' waiters honour retry-after while a work request is in progress.
    if wr.pending.is_some() {
        reply = reply.header("retry-after", "1");
    }
    Ok(reply)
}

/// ListWorkRequests (Object Storage): by `compartmentId`.
pub(crate) fn list_work_requests(st: &State, ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let compartment = ctx
        .query
        .get("compartmentId")
        .ok_or_else(|| ApiError::missing("compartmentId"))?;
    let limit = ctx.query.limit(ctx.page_size)?;
    let page: Option<PageToken> = ctx.query.page()?;
    let mut keyed: Vec<(String, Value)> = st
        .work_requests
        .values()
        .filter(|w| w.compartment_id == compartment)
        .map(|w| (seq_key(w.seq), w.json()))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let (items, next) = paginate(&keyed, false, page.as_ref(), limit, ctx.empty_pages);
    Ok(crate::identity::list_reply(items, next))
}

/// ListWorkRequestErrors / ListWorkRequestLogs.
pub(crate) fn list_entries(
    st: &State,
    ctx: &Ctx<'_>,
    id: &str,
    errors: bool,
) -> Result<Reply, ApiError> {
    let wr = st.work_requests.get(id).ok_or_else(|| wr_not_found(id))?;
    let limit = ctx.query.limit(ctx.page_size)?;
    let page: Option<PageToken> = ctx.query.page()?;
    let entries = if errors { &wr.errors } else { &wr.logs };
    let keyed: Vec<(String, Value)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (format!("{i:010}"), e.clone()))
        .collect();
    let (items, next) = paginate(&keyed, false, page.as_ref(), limit, ctx.empty_pages);
    Ok(crate::identity::list_reply(items, next))
}

/// CancelWorkRequest: a copy still in progress is dropped.
pub(crate) fn cancel_work_request(
    st: &mut State,
    ctx: &Ctx<'_>,
    id: &str,
) -> Result<Reply, ApiError> {
    let wr = st
        .work_requests
        .get_mut(id)
        .ok_or_else(|| wr_not_found(id))?;
    // Not `409 IncorrectState`, which the SDKs retry: a finished work request stays finished.
    if wr.pending.take().is_none() {
        return Err(ApiError::invalid(format!(
            "work request {id} has already finished ({})",
            wr.status
        )));
    }
    wr.status = "CANCELED";
    wr.time_finished = Some(ctx.now);
    Ok(Reply::empty(StatusCode::ACCEPTED))
}

/// RenameObject: the latest version of `sourceName` becomes `newName` (in a versioned bucket
/// the source keeps its versions behind a delete marker: "You can rename the latest version of
/// an object, but you can't rename a previous object version", OCI documentation on
/// versioning). The content and etag move with it.
pub(crate) fn rename_object(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
) -> Result<Reply, ApiError> {
    let body = parse_body(ctx.body)?;
    let source = req_str(&body, "sourceName")?;
    let target = req_str(&body, "newName")?;
    super::object::validate_object_name(&target)?;
    if source == target {
        return Err(ApiError::invalid("sourceName and newName are the same"));
    }
    let src_if_match = opt_str(&body, "srcObjIfMatchETag")?;
    let new_if_match = opt_str(&body, "newObjIfMatchETag")?;
    let new_if_none_match = opt_str(&body, "newObjIfNoneMatchETag")?;
    let (marker_id, version_id) = (uuid(&mut st.rng), uuid(&mut st.rng));
    let (marker_seq, seq) = (st.next_seq(), st.next_seq());
    let now = ctx.now;
    let b = bucket_mut(st, ns, bucket)?;
    let obj = b.objects.get(&source).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "ObjectNotFound",
            format!("The object '{source}' was not found in the bucket '{bucket}'"),
        )
    })?;
    let failed = |what: &str, want: &str| {
        ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "IfMatchFailed",
            format!("{what} \"{want}\" does not match"),
        )
    };
    if let Some(want) = &src_if_match
        && !etag_list_matches(want, &obj.etag)
    {
        return Err(failed("srcObjIfMatchETag", want));
    }
    let existing = b.objects.get(&target);
    if let Some(want) = &new_if_match
        && !existing.is_some_and(|o| etag_list_matches(want, &o.etag))
    {
        return Err(failed("newObjIfMatchETag", want));
    }
    if let Some(want) = &new_if_none_match {
        if want != "*" {
            return Err(ApiError::invalid("newObjIfNoneMatchETag only supports '*'"));
        }
        if existing.is_some() {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "IfNoneMatchFailed",
                format!("The object '{target}' already exists"),
            ));
        }
    }
    if b.versioning != "Enabled" {
        retention::check_mutable(b, &source, obj, now)?;
    }
    retention::check_overwrite(b, &target, now)?;
    let mut moved = obj.clone();
    moved.time_modified = now;
    let etag = moved.etag.clone();
    versions::delete_current(b, &source, marker_id, now, marker_seq);
    let version = versions::store(b, &target, moved, version_id, seq);
    let mut reply = Reply::empty(StatusCode::OK)
        .header("etag", etag)
        .header("last-modified", httpdate::fmt_http_date(now));
    if let Some(v) = version {
        reply = reply.header("version-id", v);
    }
    Ok(reply)
}

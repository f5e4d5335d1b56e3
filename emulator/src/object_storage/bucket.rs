//! Buckets: CreateBucket, GetBucket / HeadBucket, DeleteBucket and ListBuckets.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::preconditions::{etag_list_matches, read_preconditions};
use super::{bucket_ref, check_ns, encode_segment, fields_list, one_of};
use crate::identity::list_reply;
use crate::keys::{ocid, uuid};
use crate::server::Ctx;
use crate::state::{
    ApiError, Bucket, Created, Reply, State, check_defined_tags, check_string_map, opt_bool,
    opt_str, paginate, parse_body, req_str, rfc3339, update_tags,
};

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
        "objectLifecyclePolicyEtag": b.lifecycle.as_ref().map(|(_, _, etag)| etag.clone()),
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
        history: BTreeMap::new(),
        pars: BTreeMap::new(),
        lifecycle: None,
        retention: BTreeMap::new(),
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
    let versions = super::versions::holds_versions(b);
    if versions > 0 {
        return Err(ApiError::conflict(
            "BucketNotEmpty",
            format!(
                "Bucket named '{name}' still holds {versions} object version(s) or delete marker(s). Delete them first."
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

/// UpdateBucket (`POST /n/{ns}/b/{bucket}`): the fields of UpdateBucketDetails that are given;
/// `if-match` against the bucket's etag; renaming keeps everything in the bucket.
pub(crate) fn update_bucket(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    name: &str,
) -> Result<Reply, ApiError> {
    let body = parse_body(ctx.body)?;
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
    if let Some(n) = opt_str(&body, "namespace")?
        && n != st.namespace
    {
        return Err(ApiError::invalid(format!(
            "namespace \"{n}\" is not the bucket's namespace \"{}\"",
            st.namespace
        )));
    }
    let new_name = opt_str(&body, "name")?.filter(|n| n != name);
    if let Some(n) = &new_name {
        validate_bucket_name(n)?;
        if st.buckets.contains_key(n) {
            return Err(ApiError::conflict(
                "BucketAlreadyExists",
                format!(
                    "Either the bucket '{n}' in namespace '{ns}' already exists or you are not authorized to create it"
                ),
            ));
        }
    }
    let compartment = opt_str(&body, "compartmentId")?;
    if let Some(c) = &compartment
        && !crate::identity::generic::compartment_exists(st, c)
    {
        return Err(ApiError::not_found_iam("compartment", c));
    }
    let public_access_type = opt_str(&body, "publicAccessType")?
        .map(|v| {
            one_of(
                "publicAccessType",
                Some(v),
                &["NoPublicAccess", "ObjectRead", "ObjectReadWithoutList"],
                "",
            )
        })
        .transpose()?;
    let versioning = opt_str(&body, "versioning")?
        .map(|v| one_of("versioning", Some(v), &["Enabled", "Suspended"], ""))
        .transpose()?;
    // "You can't enable versioning on a bucket with active retention rules" (OCI documentation,
    // "Object Storage Versioning").
    if versioning.as_deref() == Some("Enabled") && !b.retention.is_empty() {
        return Err(ApiError::conflict(
            "Conflict",
            "You can't enable versioning on a bucket with active retention rules",
        ));
    }
    let auto_tiering = opt_str(&body, "autoTiering")?
        .map(|v| {
            one_of(
                "autoTiering",
                Some(v),
                &["Disabled", "InfrequentAccess"],
                "",
            )
        })
        .transpose()?;
    let metadata = body
        .get("metadata")
        .filter(|v| !v.is_null())
        .map(|v| check_string_map("metadata", v))
        .transpose()?;
    let (freeform, defined) = update_tags(&body)?;
    let events = opt_bool(&body, "objectEventsEnabled")?;
    let kms = opt_str(&body, "kmsKeyId")?;
    let etag = uuid(&mut st.rng);

    let Some(mut b) = st.buckets.remove(name) else {
        return Err(super::bucket_not_found(ns, name));
    };
    if let Some(v) = compartment {
        b.compartment_id = v;
    }
    if let Some(v) = public_access_type {
        b.public_access_type = v;
    }
    if let Some(v) = versioning {
        b.versioning = v;
    }
    if let Some(v) = auto_tiering {
        b.auto_tiering = v;
    }
    if let Some(v) = metadata {
        b.metadata = v;
    }
    if let Some(v) = freeform {
        b.freeform_tags = v;
    }
    if let Some(v) = defined {
        b.defined_tags = v;
    }
    if let Some(v) = events {
        b.object_events_enabled = v;
    }
    if let Some(v) = kms {
        b.kms_key_id = Value::String(v);
    }
    if let Some(n) = new_name {
        b.name = n;
    }
    b.etag = etag.clone();
    let value = bucket_json(st, &b, &[]);
    st.buckets.insert(b.name.clone(), b);
    Ok(Reply::json(StatusCode::OK, &value).header("etag", etag))
}

const LIFECYCLE_ACTIONS: [&str; 4] = ["ARCHIVE", "INFREQUENT_ACCESS", "DELETE", "ABORT"];

/// PutObjectLifecyclePolicy: the rules are checked and stored (the emulator never runs them).
pub(crate) fn put_lifecycle(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    name: &str,
) -> Result<Reply, ApiError> {
    let body = parse_body(ctx.body)?;
    let items = match body.get("items") {
        None | Some(Value::Null) => Value::Array(Vec::new()),
        Some(Value::Array(a)) => Value::Array(a.clone()),
        Some(_) => return Err(ApiError::invalid("items must be an array of rules")),
    };
    for (i, rule) in items.as_array().into_iter().flatten().enumerate() {
        let field = |w: &str| rule.get(w).filter(|v| !v.is_null());
        for required in ["name", "action", "timeAmount", "timeUnit", "isEnabled"] {
            if field(required).is_none() {
                return Err(ApiError::missing(&format!("items[{i}].{required}")));
            }
        }
        let action = field("action").and_then(Value::as_str).unwrap_or_default();
        if !LIFECYCLE_ACTIONS.contains(&action) {
            return Err(ApiError::invalid(format!(
                "items[{i}].action must be one of {}, got \"{action}\"",
                LIFECYCLE_ACTIONS.join(", ")
            )));
        }
        let unit = field("timeUnit")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !["DAYS", "YEARS"].contains(&unit) {
            return Err(ApiError::invalid(format!(
                "items[{i}].timeUnit must be DAYS or YEARS, got \"{unit}\""
            )));
        }
        if !field("timeAmount").is_some_and(Value::is_u64) {
            return Err(ApiError::invalid(format!(
                "items[{i}].timeAmount must be a non-negative integer"
            )));
        }
        if !field("isEnabled").is_some_and(Value::is_boolean) {
            return Err(ApiError::invalid(format!(
                "items[{i}].isEnabled must be a boolean"
            )));
        }
    }
    let etag = uuid(&mut st.rng);
    let b = super::bucket_mut(st, ns, name)?;
    let value = json!({"timeCreated": rfc3339(ctx.now), "items": items});
    b.lifecycle = Some((ctx.now, items, etag.clone()));
    Ok(Reply::json(StatusCode::OK, &value).header("etag", etag))
}

/// GetObjectLifecyclePolicy: 404 when the bucket has none.
pub(crate) fn get_lifecycle(st: &State, ns: &str, name: &str) -> Result<Reply, ApiError> {
    let b = bucket_ref(st, ns, name)?;
    let (time, items, etag) = b.lifecycle.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NotAuthorizedOrNotFound",
            format!("The bucket '{name}' has no object lifecycle policy"),
        )
    })?;
    let value = json!({"timeCreated": rfc3339(*time), "items": items});
    Ok(Reply::json(StatusCode::OK, &value).header("etag", etag))
}

/// DeleteObjectLifecyclePolicy.
pub(crate) fn delete_lifecycle(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    name: &str,
) -> Result<Reply, ApiError> {
    let b = super::bucket_mut(st, ns, name)?;
    if let (Some(want), Some((_, _, etag))) = (ctx.header("if-match"), &b.lifecycle)
        && !etag_list_matches(want, etag)
    {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "IfMatchFailed",
            format!("The if-match header \"{want}\" does not match the policy's etag \"{etag}\""),
        ));
    }
    b.lifecycle = None;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

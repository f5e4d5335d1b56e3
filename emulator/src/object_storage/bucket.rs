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
    opt_str, paginate, parse_body, req_str, rfc3339,
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

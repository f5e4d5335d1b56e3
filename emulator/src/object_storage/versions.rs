//! Object versioning: what a write or a delete does to an object's versions, finding a version
//! by `versionId`, and ListObjectVersions.
//!
//! Semantics (OCI documentation, "Object Storage Versioning"): a bucket's versioning is
//! `Disabled` (never enabled: an overwrite or a delete is final), `Enabled` ("When you upload an
//! object with the same name as an existing object, the existing object becomes a previous
//! version"; a delete without a version id makes the latest version a previous one and leaves a
//! delete marker; a delete naming a version id deletes that version for good; "You can simply
//! delete the delete marker to make that deleted version become the latest object version") or
//! `Suspended` (no new versions are made: an overwrite or a delete is final, earlier versions are
//! kept).

use serde_json::{Map, Value, json};

use super::{bucket_ref, fields_list};
use crate::server::Ctx;
use crate::state::{
    ApiError, Bucket, PageToken, Reply, State, StoredObject, VersionEntry, paginate, rfc3339,
};

/// Stores `obj` as the newest version of `name`, as the bucket's versioning says. `version_id`
/// is used when versioning is enabled. Returns the stored version's id, if it has one.
pub(super) fn store(
    b: &mut Bucket,
    name: &str,
    mut obj: StoredObject,
    version_id: String,
    seq: u64,
) -> Option<String> {
    obj.seq = seq;
    if b.versioning == "Enabled" {
        obj.version_id = Some(version_id);
        if let Some(old) = b.objects.remove(name) {
            b.history
                .entry(name.to_string())
                .or_default()
                .push(VersionEntry::Object(Box::new(old)));
        }
    } else {
        obj.version_id = None;
    }
    let id = obj.version_id.clone();
    b.objects.insert(name.to_string(), obj);
    id
}

/// A delete without `versionId` of the current version of `name` (which exists). Returns the
/// `version-id` to answer and whether a delete marker was made.
pub(super) fn delete_current(
    b: &mut Bucket,
    name: &str,
    marker_id: String,
    now: std::time::SystemTime,
    seq: u64,
) -> (Option<String>, bool) {
    let Some(current) = b.objects.remove(name) else {
        return (None, false);
    };
    if b.versioning == "Enabled" {
        let history = b.history.entry(name.to_string()).or_default();
        history.push(VersionEntry::Object(Box::new(current)));
        history.push(VersionEntry::Marker {
            version_id: marker_id.clone(),
            time: now,
            seq,
        });
        return (Some(marker_id), true);
    }
    (current.version_id, false)
}

/// Deletes version `version_id` of `name` for good. Returns whether it was a delete marker.
/// When the latest version goes, the newest earlier one becomes the object again, unless that is
/// a delete marker.
pub(super) fn delete_version(
    b: &mut Bucket,
    name: &str,
    version_id: &str,
) -> Result<bool, ApiError> {
    let mut was_marker = false;
    if b.objects
        .get(name)
        .is_some_and(|o| o.version_id.as_deref() == Some(version_id))
    {
        b.objects.remove(name);
    } else {
        let history = b
            .history
            .get_mut(name)
            .ok_or_else(|| version_not_found(name, version_id))?;
        let at = history
            .iter()
            .position(|v| v.version_id() == Some(version_id))
            .ok_or_else(|| version_not_found(name, version_id))?;
        was_marker = matches!(history.remove(at), VersionEntry::Marker { .. });
    }
    if !b.objects.contains_key(name)
        && let Some(history) = b.history.get_mut(name)
        && matches!(history.last(), Some(VersionEntry::Object(_)))
        && let Some(VersionEntry::Object(o)) = history.pop()
    {
        b.objects.insert(name.to_string(), *o);
    }
    if b.history.get(name).is_some_and(Vec::is_empty) {
        b.history.remove(name);
    }
    Ok(was_marker)
}

pub(super) fn version_not_found(name: &str, version_id: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "ObjectNotFound",
        format!("The object '{name}' has no version '{version_id}'"),
    )
}

/// Version `version_id` of `name`: the object, or `Err` for a delete marker (which has no
/// content), or `None`.
pub(super) fn find<'b>(
    b: &'b Bucket,
    name: &str,
    version_id: &str,
) -> Option<Result<&'b StoredObject, ()>> {
    if let Some(o) = b
        .objects
        .get(name)
        .filter(|o| o.version_id.as_deref() == Some(version_id))
    {
        return Some(Ok(o));
    }
    b.history
        .get(name)?
        .iter()
        .find(|v| v.version_id() == Some(version_id))
        .map(|v| match v {
            VersionEntry::Object(o) => Ok(&**o),
            VersionEntry::Marker { .. } => Err(()),
        })
}

/// Whether the bucket holds anything at all (objects or earlier versions and markers).
pub(super) fn holds_versions(b: &Bucket) -> usize {
    b.history.values().map(Vec::len).sum()
}

/// Every version of `name`, newest first: the current object, then the earlier versions and
/// markers.
pub(super) fn versions_of<'b>(b: &'b Bucket, name: &str) -> Vec<VersionRef<'b>> {
    let mut out: Vec<VersionRef<'b>> = Vec::new();
    if let Some(o) = b.objects.get(name) {
        out.push(VersionRef::Object(o));
    }
    for v in b.history.get(name).into_iter().flatten().rev() {
        out.push(match v {
            VersionEntry::Object(o) => VersionRef::Object(o.as_ref()),
            VersionEntry::Marker {
                version_id,
                time,
                seq,
            } => VersionRef::Marker(version_id, *time, *seq),
        });
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.seq()));
    out
}

/// A borrowed version.
pub(super) enum VersionRef<'b> {
    Object(&'b StoredObject),
    Marker(&'b str, std::time::SystemTime, u64),
}

impl VersionRef<'_> {
    fn seq(&self) -> u64 {
        match self {
            VersionRef::Object(o) => o.seq,
            VersionRef::Marker(_, _, seq) => *seq,
        }
    }

    /// ObjectVersionSummary: `name`, `versionId`, `isDeleteMarker` and `timeModified` always
    /// (the model requires them), the other fields when `want` says.
    pub(super) fn summary(&self, name: &str, want: &dyn Fn(&str) -> bool) -> Value {
        let mut o = Map::new();
        o.insert("name".into(), json!(name));
        match self {
            VersionRef::Object(obj) => {
                o.insert("versionId".into(), json!(obj.version_id));
                o.insert("isDeleteMarker".into(), json!(false));
                o.insert("timeModified".into(), json!(rfc3339(obj.time_modified)));
                if want("size") {
                    o.insert("size".into(), json!(obj.data.len()));
                }
                if want("md5") {
                    let md5 = obj.md5.clone().or_else(|| obj.multipart_md5.clone());
                    o.insert("md5".into(), json!(md5));
                }
                if want("etag") {
                    o.insert("etag".into(), json!(obj.etag));
                }
                if want("timeCreated") {
                    o.insert("timeCreated".into(), json!(rfc3339(obj.time_created)));
                }
                if want("storageTier") {
                    o.insert("storageTier".into(), json!(obj.storage_tier));
                }
            }
            VersionRef::Marker(id, time, _) => {
                o.insert("versionId".into(), json!(id));
                o.insert("isDeleteMarker".into(), json!(true));
                o.insert("timeModified".into(), json!(rfc3339(*time)));
                if want("timeCreated") {
                    o.insert("timeCreated".into(), json!(rfc3339(*time)));
                }
            }
        }
        Value::Object(o)
    }
}

/// An entry of a version listing: a version, or a prefix collapsed by the delimiter.
#[derive(Clone)]
enum Listed {
    Version(Value),
    Prefix(String),
}

/// ListObjectVersions: `{"items": [...], "prefixes": [...]}`, newest version first within a
/// name, paginated with `opc-next-page` (and `start`/`startAfter`/`end`/`prefix` as ListObjects).
pub(crate) fn list_object_versions(
    st: &State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
) -> Result<Reply, ApiError> {
    let q = ctx.query;
    let limit = q.limit(ctx.page_size)?;
    let page: Option<PageToken> = q.page()?;
    let prefix = q.get("prefix").unwrap_or("");
    let (start, start_after, end) = (q.get("start"), q.get("startAfter"), q.get("end"));
    let delimiter = q.get("delimiter");
    if let Some(d) = delimiter
        && d != "/"
    {
        return Err(ApiError::invalid(format!(
            "delimiter must be '/', got \"{d}\""
        )));
    }
    let fields = fields_list(ctx);
    let want = |f: &str| fields.iter().any(|x| x == f);
    let b = bucket_ref(st, ns, bucket)?;
    let names: std::collections::BTreeSet<&String> =
        b.objects.keys().chain(b.history.keys()).collect();
    let mut keyed: Vec<(String, Listed)> = Vec::new();
    let mut last_prefix: Option<String> = None;
    for name in names {
        let n = name.as_str();
        if !n.starts_with(prefix)
            || start.is_some_and(|s| n < s)
            || start_after.is_some_and(|s| n <= s)
            || end.is_some_and(|e| n >= e)
        {
            continue;
        }
        if delimiter.is_some()
            && let Some(i) = n[prefix.len()..].find('/')
        {
            let p = n[..prefix.len() + i + 1].to_string();
            if last_prefix.as_ref() != Some(&p) {
                keyed.push((p.clone(), Listed::Prefix(p.clone())));
                last_prefix = Some(p);
            }
            continue;
        }
        for (i, v) in versions_of(b, n).iter().enumerate() {
            // Within a name, newest first: the key orders by name, then by position.
            keyed.push((
                format!("{n}\u{0}{i:010}"),
                Listed::Version(v.summary(n, &want)),
            ));
        }
    }
    let (entries, next) = paginate(&keyed, false, page.as_ref(), limit, ctx.empty_pages);
    let mut items = Vec::new();
    let mut prefixes = Vec::new();
    for e in entries {
        match e {
            Listed::Version(v) => items.push(v),
            Listed::Prefix(p) => prefixes.push(Value::String(p)),
        }
    }
    let mut body = json!({ "items": items });
    if delimiter.is_some() {
        body["prefixes"] = Value::Array(prefixes);
    }
    let mut reply = Reply::json(axum::http::StatusCode::OK, &body);
    if let Some(n) = next {
        reply = reply.header("opc-next-page", n);
    }
    Ok(reply)
}

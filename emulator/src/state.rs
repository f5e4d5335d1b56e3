//! The in-memory state shared by all connections, and the small types every handler uses.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use axum::body::Bytes;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use rand_chacha::ChaCha20Rng;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

/// An error answered as `{"code": ..., "message": ...}`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    pub(crate) fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::bad("InvalidParameter", message)
    }
    pub(crate) fn missing(name: &str) -> Self {
        Self::bad("MissingParameter", format!("{name} is required"))
    }
    pub(crate) fn not_found_iam(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotAuthorizedOrNotFound",
            format!("Authorization failed or requested resource not found: {what} {id}"),
        )
    }
    pub(crate) fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub(crate) fn into_reply(self) -> Reply {
        let body = json!({"code": self.code, "message": self.message});
        let mut reply = Reply::json(self.status, &body);
        reply.error_code = Some(self.code);
        reply
    }
}

/// Something a create operation made, so a retry-token replay can tell whether it still exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Created {
    Group(String),
    User(String),
    Membership(String),
    Bucket(String),
    Upload(String),
    /// A record of a generic Identity collection: (collection path, id).
    Generic(&'static str, String),
}

/// A change to the trusted API keys that a request made (UploadApiKey, DeleteApiKey,
/// DeleteUser), applied to the key registry once the request's state change is done.
pub(crate) enum KeyChange {
    /// Trust `keyId` → key.
    Add(String, rsa::RsaPublicKey),
    /// Stop trusting `keyId`.
    Remove(String),
}

/// A finished response; cloneable so that retry-token replays return it verbatim.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    /// Set for errors, for logging.
    pub error_code: Option<&'static str>,
    /// Set by create operations.
    pub created: Option<Created>,
    /// Extra names for `access-control-expose-headers` (the object's `opc-meta-*`).
    pub expose: Vec<String>,
}

impl Reply {
    pub(crate) fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
            error_code: None,
            created: None,
            expose: Vec::new(),
        }
    }

    pub(crate) fn json(status: StatusCode, value: &Value) -> Self {
        Self::json_of(status, value)
    }

    /// Any serializable body as JSON (an empty body in the impossible case that it fails).
    pub(crate) fn json_of<S: serde::Serialize + ?Sized>(status: StatusCode, value: &S) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_default();
        Reply::empty(status)
            .header("content-type", "application/json")
            .with_body(Bytes::from(body))
    }

    pub(crate) fn with_body(mut self, body: Bytes) -> Self {
        self.body = body;
        self
    }

    /// Adds a header; values that are not valid header values are dropped (never happens for
    /// the values the emulator produces, which are ASCII).
    pub(crate) fn header(mut self, name: &str, value: impl AsRef<str>) -> Self {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name),
            HeaderValue::try_from(value.as_ref()),
        ) {
            self.headers.push((n, v));
        }
        self
    }
}

/// RFC 3339 with milliseconds, as OCI writes it: `2016-08-25T21:10:29.600Z`.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let dt = OffsetDateTime::from(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.millisecond()
    )
}

/// Common fields of the IAM entities.
#[derive(Debug, Clone)]
pub(crate) struct IamCommon {
    pub seq: u64,
    pub id: String,
    pub name: String,
    pub description: String,
    pub time_created: SystemTime,
    pub etag: String,
    pub freeform_tags: Value,
    pub defined_tags: Value,
}

#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub common: IamCommon,
}

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub common: IamCommon,
    pub email: Option<String>,
    pub db_user_name: Option<String>,
}

/// What an [`IamTable`] holds: a user or a group.
pub(crate) trait IamEntity {
    fn common(&self) -> &IamCommon;
}

impl IamEntity for Group {
    fn common(&self) -> &IamCommon {
        &self.common
    }
}

impl IamEntity for User {
    fn common(&self) -> &IamCommon {
        &self.common
    }
}

/// The users (or the groups) by id, with the two orders ListUsers/ListGroups page through kept
/// up to date on every insert and remove. A page is then a seek past the page token's key
/// ([`paginate_index`]) instead of a sort of the whole collection on every request: listing
/// 3,000 users in pages of 100 used to build and sort 3,000 keys 30 times.
#[derive(Debug)]
pub(crate) struct IamTable<T> {
    by_id: HashMap<String, T>,
    /// `seq_key(seq)` → id: creation order, the `TIMECREATED` sort.
    by_seq: BTreeMap<String, String>,
    /// name → id: the `NAME` sort. Names are unique in a table (create refuses a taken one), so
    /// the name alone is the key, as it is in the page tokens.
    by_name: BTreeMap<String, String>,
}

impl<T> Default for IamTable<T> {
    fn default() -> Self {
        IamTable {
            by_id: HashMap::new(),
            by_seq: BTreeMap::new(),
            by_name: BTreeMap::new(),
        }
    }
}

impl<T: IamEntity> IamTable<T> {
    pub(crate) fn get(&self, id: &str) -> Option<&T> {
        self.by_id.get(id)
    }

    /// The caller must not change the entity's `seq` or `name`, which the orders are keyed by;
    /// no update operation changes them.
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        self.by_id.get_mut(id)
    }

    pub(crate) fn contains_key(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    pub(crate) fn by_name(&self, name: &str) -> Option<&T> {
        self.by_name.get(name).and_then(|id| self.by_id.get(id))
    }

    /// Adds (or replaces) the entity under its own id.
    pub(crate) fn insert(&mut self, value: T) {
        let c = value.common();
        let id = c.id.clone();
        self.by_seq.insert(seq_key(c.seq), id.clone());
        self.by_name.insert(c.name.clone(), id.clone());
        if let Some(old) = self.by_id.insert(id, value) {
            self.unindex(old.common());
        }
    }

    pub(crate) fn remove(&mut self, id: &str) -> Option<T> {
        let old = self.by_id.remove(id)?;
        self.unindex(old.common());
        Some(old)
    }

    /// Drops the order entries of a removed or replaced entity that no longer describe the
    /// entity now stored under its id.
    fn unindex(&mut self, old: &IamCommon) {
        let current = self.by_id.get(&old.id).map(|t| t.common());
        let seq_stale = current.is_none_or(|c| c.seq != old.seq);
        let name_stale = current.is_none_or(|c| c.name != old.name);
        let key = seq_key(old.seq);
        if seq_stale && self.by_seq.get(&key) == Some(&old.id) {
            self.by_seq.remove(&key);
        }
        if name_stale && self.by_name.get(&old.name) == Some(&old.id) {
            self.by_name.remove(&old.name);
        }
    }

    /// The order a list sorts by: by name or by creation, sort key → id.
    pub(crate) fn order(&self, by_name: bool) -> &BTreeMap<String, String> {
        if by_name { &self.by_name } else { &self.by_seq }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Membership {
    pub seq: u64,
    pub id: String,
    pub user_id: String,
    pub group_id: String,
    pub time_created: SystemTime,
    pub etag: String,
}

#[derive(Debug, Clone)]
pub(crate) struct StoredObject {
    pub data: Bytes,
    /// base64 MD5 of the data (absent for multipart objects).
    pub md5: Option<String>,
    /// `opc-multipart-md5`, for multipart objects.
    pub multipart_md5: Option<String>,
    pub etag: String,
    pub time_created: SystemTime,
    pub time_modified: SystemTime,
    pub content_type: String,
    pub content_language: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub cache_control: Option<String>,
    pub storage_tier: String,
    /// Lowercase `opc-meta-*` header name → value.
    pub metadata: BTreeMap<String, String>,
    /// The version's id, in a bucket whose versioning is (or was) enabled.
    pub version_id: Option<String>,
    /// When it was stored, in the emulator's order of writes (orders versions).
    pub seq: u64,
}

/// A non-current version of an object, or a delete marker.
#[derive(Debug, Clone)]
pub(crate) enum VersionEntry {
    /// A version that was overwritten or deleted while versioning was enabled.
    Object(Box<StoredObject>),
    /// What a delete without `versionId` leaves in a versioned bucket.
    Marker {
        version_id: String,
        time: SystemTime,
        seq: u64,
    },
}

impl VersionEntry {
    pub(crate) fn version_id(&self) -> Option<&str> {
        match self {
            VersionEntry::Object(o) => o.version_id.as_deref(),
            VersionEntry::Marker { version_id, .. } => Some(version_id),
        }
    }
}

/// A pre-authenticated request of a bucket.
#[derive(Debug, Clone)]
pub(crate) struct Par {
    pub id: String,
    pub name: String,
    /// The secret part of its access URI (`/p/<token>/n/...`).
    pub token: String,
    pub object_name: Option<String>,
    pub access_type: String,
    pub bucket_listing_action: String,
    pub time_expires: SystemTime,
    pub time_created: SystemTime,
    pub seq: u64,
}

/// A retention rule of a bucket.
#[derive(Debug, Clone)]
pub(crate) struct RetentionRule {
    pub id: String,
    pub display_name: String,
    /// `Duration` JSON (`{"timeAmount", "timeUnit"}`), absent for an indefinite rule.
    pub duration: Option<Value>,
    pub time_rule_locked: Option<SystemTime>,
    pub etag: String,
    pub time_created: SystemTime,
    pub time_modified: SystemTime,
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct UploadPart {
    pub data: Bytes,
    pub md5_raw: [u8; 16],
    pub md5: String,
    pub etag: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub seq: u64,
    pub id: String,
    pub object: String,
    pub time_created: SystemTime,
    pub template: StoredObject,
    pub parts: BTreeMap<u32, UploadPart>,
}

#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    pub id: String,
    pub name: String,
    pub compartment_id: String,
    pub created_by: String,
    pub time_created: SystemTime,
    pub etag: String,
    pub metadata: Value,
    pub public_access_type: String,
    pub storage_tier: String,
    pub object_events_enabled: bool,
    pub versioning: String,
    pub auto_tiering: String,
    pub kms_key_id: Value,
    pub freeform_tags: Value,
    pub defined_tags: Value,
    pub objects: BTreeMap<String, StoredObject>,
    /// uploadId → upload.
    pub uploads: HashMap<String, Upload>,
    /// Object name → its non-current versions and delete markers, oldest first.
    pub history: BTreeMap<String, Vec<VersionEntry>>,
    /// PAR id → pre-authenticated request.
    pub pars: BTreeMap<String, Par>,
    /// The object lifecycle policy (stored, not executed): (time created, rules, etag).
    pub lifecycle: Option<(SystemTime, Value, String)>,
    /// Rule id → retention rule.
    pub retention: BTreeMap<String, RetentionRule>,
}

/// A cached create response for `opc-retry-token`.
#[derive(Debug, Clone)]
pub(crate) struct RetryEntry {
    pub request_hash: [u8; 32],
    pub reply: Reply,
    pub at: SystemTime,
}

pub(crate) struct State {
    pub rng: ChaCha20Rng,
    pub seq: u64,
    pub tenancy_id: String,
    pub namespace: String,
    pub groups: IamTable<Group>,
    pub users: IamTable<User>,
    pub memberships: HashMap<String, Membership>,
    pub buckets: BTreeMap<String, Bucket>,
    /// (token, method + path) → first response.
    pub retry: HashMap<(String, String), RetryEntry>,
    /// The records of the generic Identity collections: collection path → id → record.
    pub generic: HashMap<&'static str, BTreeMap<String, crate::identity::generic::Record>>,
    /// Key registry changes made by the request being served.
    pub key_changes: Vec<KeyChange>,
    /// Identity work requests (DeleteCompartment's): id → (creation order, WorkRequest JSON).
    pub iam_work_requests: BTreeMap<String, (u64, Value)>,
    /// Object Storage work requests (CopyObject's).
    pub work_requests: BTreeMap<String, crate::object_storage::WorkRequest>,
    /// How long a CopyObject's work request takes to complete.
    pub work_request_delay: std::time::Duration,
    /// The region the emulator plays.
    pub region: String,
    /// The secrets of the emulator's vault.
    pub secrets: crate::secrets::Vault,
}

impl State {
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub(crate) fn exists(&self, created: &Created) -> bool {
        match created {
            Created::Group(id) => self.groups.contains_key(id),
            Created::User(id) => self.users.contains_key(id),
            Created::Membership(id) => self.memberships.contains_key(id),
            Created::Bucket(name) => self.buckets.contains_key(name),
            Created::Upload(id) => self.buckets.values().any(|b| b.uploads.contains_key(id)),
            Created::Generic(path, id) => crate::identity::generic::exists(self, path, id),
        }
    }
}

/// `opc-next-page` tokens: opaque to clients, `r:<key>` (real page after key) or `e:<key>` (an
/// injected empty page, after which the real page after key follows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageToken {
    pub empty: bool,
    pub after: String,
}

impl PageToken {
    pub(crate) fn encode(&self) -> String {
        let raw = format!("{}:{}", if self.empty { "e" } else { "r" }, self.after);
        B64URL.encode(raw.as_bytes())
    }

    pub(crate) fn decode(token: &str) -> Result<PageToken, ApiError> {
        let bad = || {
            ApiError::invalid(format!(
                "page token \"{token}\" is not valid (it must be a value from opc-next-page)"
            ))
        };
        let raw = B64URL.decode(token.as_bytes()).map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let (kind, after) = raw.split_once(':').ok_or_else(bad)?;
        let empty = match kind {
            "e" => true,
            "r" => false,
            _ => return Err(bad()),
        };
        Ok(PageToken {
            empty,
            after: after.to_string(),
        })
    }

    /// The real page an injected empty page stands in front of.
    fn real(&self) -> PageToken {
        PageToken {
            empty: false,
            after: self.after.clone(),
        }
    }
}

/// Pages a list sorted ascending by key. Returns the page and the `opc-next-page` token.
pub(crate) fn paginate<T: Clone>(
    sorted: &[(String, T)],
    descending: bool,
    page: Option<&PageToken>,
    limit: usize,
    empty_pages: bool,
) -> (Vec<T>, Option<String>) {
    if let Some(p) = page
        && p.empty
    {
        return (Vec::new(), Some(p.real().encode()));
    }
    let after = page.map(|p| p.after.as_str());
    // A filter rather than a binary search, so that it does not rely on the callers' sorting.
    let (items, next) = if descending {
        let entries = sorted.iter().rev().map(|(k, v)| (k, v));
        take_page(
            entries.filter(|(k, _)| after.is_none_or(|a| k.as_str() < a)),
            limit,
            empty_pages,
        )
    } else {
        let entries = sorted.iter().map(|(k, v)| (k, v));
        take_page(
            entries.filter(|(k, _)| after.is_none_or(|a| k.as_str() > a)),
            limit,
            empty_pages,
        )
    };
    (items.into_iter().map(|(_, v)| v.clone()).collect(), next)
}

/// Pages an ordered index (sort key → value) exactly as [`paginate`] pages a sorted list, with
/// the same tokens, by seeking past the token's key: the cost is the page's, not the
/// collection's.
pub(crate) fn paginate_index<'a, V>(
    index: &'a BTreeMap<String, V>,
    descending: bool,
    page: Option<&PageToken>,
    limit: usize,
    empty_pages: bool,
) -> (Vec<&'a V>, Option<String>) {
    use std::ops::Bound::{Excluded, Unbounded};
    if let Some(p) = page
        && p.empty
    {
        return (Vec::new(), Some(p.real().encode()));
    }
    let after = page.map(|p| p.after.as_str());
    let (items, next) = match (descending, after) {
        (false, None) => take_page(index.iter(), limit, empty_pages),
        (false, Some(a)) => take_page(
            index.range::<str, _>((Excluded(a), Unbounded)),
            limit,
            empty_pages,
        ),
        (true, None) => take_page(index.iter().rev(), limit, empty_pages),
        (true, Some(a)) => take_page(
            index.range::<str, _>((Unbounded, Excluded(a))).rev(),
            limit,
            empty_pages,
        ),
    };
    (items.into_iter().map(|(_, v)| v).collect(), next)
}

/// The first `limit` entries of what follows the page token, in list order, and the token of
/// the page after them when more follow.
fn take_page<'a, K, V, I>(
    entries: I,
    limit: usize,
    empty_pages: bool,
) -> (Vec<(&'a K, &'a V)>, Option<String>)
where
    K: AsRef<str> + 'a,
    V: 'a,
    I: Iterator<Item = (&'a K, &'a V)>,
{
    let mut items = Vec::new();
    let mut more = false;
    for entry in entries {
        if items.len() == limit {
            more = true;
            break;
        }
        items.push(entry);
    }
    let next = match items.last() {
        Some((key, _)) if more => Some(
            PageToken {
                empty: empty_pages,
                after: key.as_ref().to_string(),
            }
            .encode(),
        ),
        _ => None,
    };
    (items, next)
}

/// Sort key for creation order: fixed width so that string order is numeric order.
pub(crate) fn seq_key(seq: u64) -> String {
    format!("{seq:020}")
}

/// A JSON object of string → string (`freeformTags`, bucket `metadata`).
pub(crate) fn check_string_map(name: &str, v: &Value) -> Result<Value, ApiError> {
    match v {
        Value::Null => Ok(json!({})),
        Value::Object(m) => {
            for (k, val) in m {
                if !val.is_string() {
                    return Err(ApiError::invalid(format!("{name}.{k} must be a string")));
                }
            }
            Ok(v.clone())
        }
        _ => Err(ApiError::invalid(format!(
            "{name} must be an object of strings"
        ))),
    }
}

/// The tags an update body sets: `freeformTags` and `definedTags`, each `None` when absent or
/// null (left as they are), checked as on create.
pub(crate) fn update_tags(
    body: &serde_json::Map<String, Value>,
) -> Result<(Option<Value>, Option<Value>), ApiError> {
    let present = |name| body.get(name).filter(|v| !v.is_null());
    let freeform = present("freeformTags")
        .map(|v| check_string_map("freeformTags", v))
        .transpose()?;
    let defined = present("definedTags").map(check_defined_tags).transpose()?;
    Ok((freeform, defined))
}

/// `definedTags`: namespace → {key → value}.
pub(crate) fn check_defined_tags(v: &Value) -> Result<Value, ApiError> {
    match v {
        Value::Null => Ok(json!({})),
        Value::Object(m) => {
            for (k, val) in m {
                if !val.is_object() {
                    return Err(ApiError::invalid(format!(
                        "definedTags.{k} must be an object of tag keys to values"
                    )));
                }
            }
            Ok(v.clone())
        }
        _ => Err(ApiError::invalid("definedTags must be an object")),
    }
}

/// Parses a JSON request body into an object, with OCI's error codes.
pub(crate) fn parse_body(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad(
            "CannotParseRequest",
            "the request body is empty; a JSON object is required",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::bad(
            "CannotParseRequest",
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::bad(
            "CannotParseRequest",
            format!("the request body is not valid JSON: {e}"),
        )),
    }
}

/// A required string field.
pub(crate) fn req_str(body: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Err(ApiError::missing(name)),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::invalid(format!("{name} must be a string"))),
    }
}

/// An optional string field.
pub(crate) fn opt_str(body: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid(format!("{name} must be a string"))),
    }
}

/// An optional boolean field.
pub(crate) fn opt_bool(body: &Map<String, Value>, name: &str) -> Result<Option<bool>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::invalid(format!("{name} must be a boolean"))),
    }
}

/// Query parameters, decoded (`+` is a space, as in form encoding).
#[derive(Debug, Default)]
pub(crate) struct Query(pub Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(q: Option<&str>) -> Query {
        let mut out = Vec::new();
        for pair in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            out.push((decode_query(k), decode_query(v)));
        }
        Query(out)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `limit`: 1..=1000 (larger values are capped at 1000), default `default`.
    pub(crate) fn limit(&self, default: usize) -> Result<usize, ApiError> {
        match self.get("limit") {
            None => Ok(default.clamp(1, 1000)),
            Some(s) => match s.parse::<i64>() {
                Ok(n) if n >= 1 => Ok(usize::try_from(n.min(1000)).unwrap_or(1000)),
                _ => Err(ApiError::invalid(format!(
                    "limit must be an integer between 1 and 1000, got \"{s}\""
                ))),
            },
        }
    }

    pub(crate) fn page(&self) -> Result<Option<PageToken>, ApiError> {
        self.get("page").map(PageToken::decode).transpose()
    }
}

fn decode_query(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_encoding::percent_decode_str(&s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn rfc3339_has_millis() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_472_159_429_600);
        assert_eq!(rfc3339(t), "2016-08-25T21:10:29.600Z");
    }

    #[test]
    fn pages_with_and_without_empty_pages() {
        let items: Vec<(String, u32)> = (1..=7).map(|i| (seq_key(i), i as u32)).collect();
        let (p1, t1) = paginate(&items, false, None, 3, false);
        assert_eq!(p1, vec![1, 2, 3]);
        let t1 = PageToken::decode(&t1.unwrap()).unwrap();
        let (p2, t2) = paginate(&items, false, Some(&t1), 3, false);
        assert_eq!(p2, vec![4, 5, 6]);
        let t2 = PageToken::decode(&t2.unwrap()).unwrap();
        let (p3, t3) = paginate(&items, false, Some(&t2), 3, false);
        assert_eq!(p3, vec![7]);
        assert!(t3.is_none());

        let (_, t) = paginate(&items, false, None, 3, true);
        let t = PageToken::decode(&t.unwrap()).unwrap();
        assert!(t.empty);
        let (p, t) = paginate(&items, false, Some(&t), 3, true);
        assert!(p.is_empty());
        let t = PageToken::decode(&t.unwrap()).unwrap();
        let (p, _) = paginate(&items, false, Some(&t), 3, true);
        assert_eq!(p, vec![4, 5, 6]);

        let (p, _) = paginate(&items, true, None, 2, false);
        assert_eq!(p, vec![7, 6]);
    }

    #[test]
    fn an_index_pages_as_the_sorted_list_does() {
        // Gaps in the keys, so that tokens fall between entries too.
        let index: BTreeMap<String, u32> = (1..=23).map(|i| (seq_key(i * 3), i as u32)).collect();
        let sorted: Vec<(String, u32)> = index.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let mut tokens: Vec<Option<PageToken>> = vec![None];
        for after in [
            "",
            "0",
            "zzz",
            &seq_key(4),
            &seq_key(9),
            &seq_key(69),
            &seq_key(70),
        ] {
            for empty in [false, true] {
                tokens.push(Some(PageToken {
                    empty,
                    after: after.to_string(),
                }));
            }
        }
        for token in &tokens {
            for descending in [false, true] {
                for limit in [1, 2, 5, 23, 24, 100] {
                    for empty_pages in [false, true] {
                        let want =
                            paginate(&sorted, descending, token.as_ref(), limit, empty_pages);
                        let (got, next) =
                            paginate_index(&index, descending, token.as_ref(), limit, empty_pages);
                        let got: Vec<u32> = got.into_iter().copied().collect();
                        assert_eq!((got, next), want, "{token:?} {descending} {limit}");
                    }
                }
            }
        }
    }

    fn user(seq: u64, id: &str, name: &str) -> User {
        User {
            common: IamCommon {
                seq,
                id: id.to_string(),
                name: name.to_string(),
                description: String::new(),
                time_created: SystemTime::UNIX_EPOCH,
                etag: String::new(),
                freeform_tags: json!({}),
                defined_tags: json!({}),
            },
            email: None,
            db_user_name: None,
        }
    }

    #[test]
    fn an_iam_table_keeps_its_orders() {
        let mut t = IamTable::default();
        t.insert(user(5, "u5", "carol"));
        t.insert(user(2, "u2", "dave"));
        t.insert(user(9, "u9", "alice"));
        let ids = |m: &BTreeMap<String, String>| m.values().cloned().collect::<Vec<_>>();
        assert_eq!(ids(t.order(false)), ["u2", "u5", "u9"]);
        assert_eq!(ids(t.order(true)), ["u9", "u5", "u2"]);
        assert!(t.remove("u5").is_some());
        assert!(t.remove("u5").is_none());
        assert_eq!(ids(t.order(false)), ["u2", "u9"]);
        assert_eq!(ids(t.order(true)), ["u9", "u2"]);
        assert!(t.by_name("carol").is_none());
        // A replacement under the same id takes its new places in both orders.
        t.insert(user(11, "u2", "bob"));
        assert_eq!(ids(t.order(false)), ["u9", "u2"]);
        assert_eq!(ids(t.order(true)), ["u9", "u2"]);
        assert!(t.by_name("dave").is_none());
        assert_eq!(t.by_name("bob").map(|u| u.common.seq), Some(11));
    }

    #[test]
    fn query_decoding() {
        let q = Query::parse(Some("prefix=a%2Fb+c&limit=5&x"));
        assert_eq!(q.get("prefix"), Some("a/b c"));
        assert_eq!(q.limit(3).unwrap(), 5);
        assert_eq!(q.get("x"), Some(""));
        assert!(Query::parse(Some("limit=0")).limit(3).is_err());
        assert!(Query::parse(Some("page=!!")).page().is_err());
    }
}

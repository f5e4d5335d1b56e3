//! Retention rules: create, get, list, update, delete, and their enforcement on overwrites,
//! deletes and renames.
//!
//! Facts (OCI documentation, "Creating an Object Storage Retention Rule" and "Troubleshooting
//! Retention Rules"): "Time-Bound rules have a user-defined duration. Object modification is
//! prevented for the duration specified. Duration is applied to each object individually, and
//! is based on the object's Last Modified timestamp"; "Indefinite rules have no duration ...
//! Object modification is prevented until an indefinite rule is deleted"; "There's a mandatory
//! 14-day delay before a rule is locked"; after the lock "only increases in the duration are
//! allowed" and "You cannot delete a time-bound retention rule that is locked". And ("Object
//! Storage Versioning", interaction with retention rules): "You can't add retention rules to a
//! bucket that has versioning enabled. You can't enable versioning on a bucket with active
//! retention rules." The service's error code for a held object is not documented: the emulator
//! answers `409 Conflict` naming the rule.

use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{bucket_mut, bucket_ref};
use crate::keys::uuid;
use crate::server::Ctx;
use crate::state::{
    ApiError, Bucket, PageToken, Reply, RetentionRule, State, StoredObject, opt_str, paginate,
    parse_body, rfc3339, seq_key,
};

const DAY: u64 = 86_400;
/// "There's a mandatory 14-day delay before a rule is locked."
const LOCK_DELAY: Duration = Duration::from_secs(14 * DAY);

fn duration_of(d: &Value) -> Option<Duration> {
    let amount = d.get("timeAmount")?.as_u64()?;
    let unit = match d.get("timeUnit")?.as_str()? {
        "DAYS" => DAY,
        "YEARS" => 365 * DAY,
        _ => return None,
    };
    Some(Duration::from_secs(amount.saturating_mul(unit)))
}

/// The rule holding `obj` at `now`, if any.
fn holder<'b>(b: &'b Bucket, obj: &StoredObject, now: SystemTime) -> Option<&'b RetentionRule> {
    b.retention.values().find(|r| match &r.duration {
        None => true,
        Some(d) => duration_of(d).is_some_and(|d| now < obj.time_modified + d),
    })
}

/// 409 when a retention rule prevents modifying `obj` (named `name`).
pub(super) fn check_mutable(
    b: &Bucket,
    name: &str,
    obj: &StoredObject,
    now: SystemTime,
) -> Result<(), ApiError> {
    match holder(b, obj, now) {
        None => Ok(()),
        Some(r) => Err(ApiError::conflict(
            "Conflict",
            format!(
                "The object '{name}' cannot be modified or deleted: retention rule '{}' ({}) holds it",
                r.display_name, r.id
            ),
        )),
    }
}

/// 409 when a write to `name` would replace an object a retention rule holds.
pub(super) fn check_overwrite(b: &Bucket, name: &str, now: SystemTime) -> Result<(), ApiError> {
    match b.objects.get(name) {
        Some(current) if b.versioning != "Enabled" => check_mutable(b, name, current, now),
        _ => Ok(()),
    }
}

fn rule_json(r: &RetentionRule) -> Value {
    json!({
        "id": r.id,
        "displayName": r.display_name,
        "duration": r.duration,
        "etag": r.etag,
        "timeRuleLocked": r.time_rule_locked.map(rfc3339),
        "timeCreated": rfc3339(r.time_created),
        "timeModified": rfc3339(r.time_modified),
    })
}

fn rule_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NotAuthorizedOrNotFound",
        format!("retention rule {id} not found or not authorized"),
    )
}

fn parse_duration(body: &Map<String, Value>) -> Result<Option<Option<Value>>, ApiError> {
    match body.get("duration") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(d) => {
            let amount = d.get("timeAmount").and_then(Value::as_u64);
            let unit = d.get("timeUnit").and_then(Value::as_str);
            match (amount, unit) {
                (Some(a), Some("DAYS" | "YEARS")) if a > 0 => Ok(Some(Some(
                    json!({"timeAmount": a, "timeUnit": unit.unwrap_or("DAYS")}),
                ))),
                _ => Err(ApiError::invalid(
                    "duration must be {\"timeAmount\": <positive integer>, \"timeUnit\": \"DAYS\"|\"YEARS\"}",
                )),
            }
        }
    }
}

fn parse_lock(body: &Map<String, Value>, now: SystemTime) -> Result<Option<SystemTime>, ApiError> {
    let Some(text) = opt_str(body, "timeRuleLocked")? else {
        return Ok(None);
    };
    let t = time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| ApiError::invalid("timeRuleLocked must be an RFC 3339 date-time"))?;
    let t = SystemTime::from(t);
    if t < now + LOCK_DELAY {
        return Err(ApiError::invalid(
            "timeRuleLocked must be at least 14 days in the future",
        ));
    }
    Ok(Some(t))
}

/// CreateRetentionRule.
pub(crate) fn create(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
) -> Result<Reply, ApiError> {
    let body = parse_body(ctx.body)?;
    let duration = parse_duration(&body)?.flatten();
    let lock = parse_lock(&body, ctx.now)?;
    let display_name = match opt_str(&body, "displayName")? {
        Some(n) => n,
        None => {
            let t = time::OffsetDateTime::from(ctx.now);
            format!(
                "retention-rule-{:04}{:02}{:02}-{:02}{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        }
    };
    let (id, etag) = (uuid(&mut st.rng), uuid(&mut st.rng));
    let seq = st.next_seq();
    let b = bucket_mut(st, ns, bucket)?;
    if b.versioning == "Enabled" {
        return Err(ApiError::conflict(
            "Conflict",
            "You can't add retention rules to a bucket that has versioning enabled",
        ));
    }
    let rule = RetentionRule {
        id: id.clone(),
        display_name,
        duration,
        time_rule_locked: lock,
        etag: etag.clone(),
        time_created: ctx.now,
        time_modified: ctx.now,
        seq,
    };
    let value = rule_json(&rule);
    b.retention.insert(id, rule);
    Ok(Reply::json(StatusCode::OK, &value).header("etag", etag))
}

/// GetRetentionRule.
pub(crate) fn get(st: &State, ns: &str, bucket: &str, id: &str) -> Result<Reply, ApiError> {
    let b = bucket_ref(st, ns, bucket)?;
    let r = b.retention.get(id).ok_or_else(|| rule_not_found(id))?;
    Ok(Reply::json(StatusCode::OK, &rule_json(r)).header("etag", &r.etag))
}

/// ListRetentionRules: a RetentionRuleCollection, paginated with `opc-next-page`.
pub(crate) fn list(st: &State, ctx: &Ctx<'_>, ns: &str, bucket: &str) -> Result<Reply, ApiError> {
    let page: Option<PageToken> = ctx.query.page()?;
    let b = bucket_ref(st, ns, bucket)?;
    let mut keyed: Vec<(String, Value)> = b
        .retention
        .values()
        .map(|r| (seq_key(r.seq), rule_json(r)))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let (items, next) = paginate(&keyed, false, page.as_ref(), ctx.page_size, ctx.empty_pages);
    let mut reply = Reply::json(StatusCode::OK, &json!({ "items": items }));
    if let Some(n) = next {
        reply = reply.header("opc-next-page", n);
    }
    Ok(reply)
}

fn locked(r: &RetentionRule, now: SystemTime) -> bool {
    r.time_rule_locked.is_some_and(|t| t <= now)
}

fn check_etag(ctx: &Ctx<'_>, etag: &str) -> Result<(), ApiError> {
    match ctx.header("if-match") {
        Some(want) if !super::preconditions::etag_list_matches(want, etag) => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "IfMatchFailed",
            format!("The if-match header \"{want}\" does not match the rule's etag \"{etag}\""),
        )),
        _ => Ok(()),
    }
}

/// UpdateRetentionRule: a locked rule only takes a longer duration.
pub(crate) fn update(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
    id: &str,
) -> Result<Reply, ApiError> {
    let body = parse_body(ctx.body)?;
    let duration = parse_duration(&body)?;
    let display_name = opt_str(&body, "displayName")?;
    let etag = uuid(&mut st.rng);
    let b = bucket_mut(st, ns, bucket)?;
    let r = b.retention.get_mut(id).ok_or_else(|| rule_not_found(id))?;
    check_etag(ctx, &r.etag)?;
    if locked(r, ctx.now) {
        let longer = match (&duration, &r.duration) {
            (Some(Some(new)), Some(old)) => duration_of(new) >= duration_of(old),
            (None, _) => true,
            _ => false,
        };
        if !longer || body.get("timeRuleLocked").is_some() {
            return Err(ApiError::conflict(
                "Conflict",
                format!("retention rule {id} is locked: only its duration can be increased"),
            ));
        }
    } else if body.contains_key("timeRuleLocked") {
        r.time_rule_locked = parse_lock(&body, ctx.now)?;
    }
    if let Some(d) = duration {
        r.duration = d;
    }
    if let Some(n) = display_name {
        r.display_name = n;
    }
    r.etag = etag.clone();
    r.time_modified = ctx.now;
    Ok(Reply::json(StatusCode::OK, &rule_json(r)).header("etag", etag))
}

/// DeleteRetentionRule: a locked rule stays.
pub(crate) fn delete(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
    id: &str,
) -> Result<Reply, ApiError> {
    let b = bucket_mut(st, ns, bucket)?;
    let r = b.retention.get(id).ok_or_else(|| rule_not_found(id))?;
    check_etag(ctx, &r.etag)?;
    if locked(r, ctx.now) {
        return Err(ApiError::conflict(
            "Conflict",
            format!("retention rule {id} is locked: it can only go with its bucket"),
        ));
    }
    b.retention.remove(id);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

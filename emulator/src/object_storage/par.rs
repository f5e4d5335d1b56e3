//! Pre-authenticated requests: create, get, list, delete, and the access URI they hand out,
//! served unsigned.
//!
//! Facts: the access URI is `/p/<token>/n/<namespace>/b/<bucket>/o/<object>` for one object and
//! `/p/<token>/n/<namespace>/b/<bucket>/o/` for a bucket (`oci os preauth-request create`
//! output in the OCI documentation, "Creating an Object Storage Pre-Authenticated Request");
//! "Anyone you provide this URL to can access the Object Storage resources identified in the
//! pre-authenticated request, using standard HTTP tools like curl and wget" ("Using
//! Pre-Authenticated Requests"): no signature. The access types are ObjectRead, ObjectWrite,
//! ObjectReadWrite (one object) and AnyObjectRead, AnyObjectWrite, AnyObjectReadWrite (the
//! bucket); "Listing objects in a bucket is denied by default. If the --access-type is
//! AnyObjectRead or AnyObjectReadWrite, you can specify ... --bucket-listing-action
//! ListObjects". `timeExpires` is required; a request stops working at it. The URI "is
//! displayed only at the time of creation": GetPreauthenticatedRequest and the list return
//! PreauthenticatedRequestSummary, without it.

use std::time::SystemTime;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{bucket_mut, bucket_ref, drain, encode_segment};
use crate::auth::{Principal, Verified};
use crate::keys::random_base32;
use crate::server::{App, Ctx};
use crate::state::{
    ApiError, PageToken, Par, Query, Reply, State, opt_str, paginate, parse_body, req_str, rfc3339,
    seq_key,
};

const ACCESS_TYPES: [&str; 6] = [
    "ObjectRead",
    "ObjectWrite",
    "ObjectReadWrite",
    "AnyObjectWrite",
    "AnyObjectRead",
    "AnyObjectReadWrite",
];

fn access_uri(ns: &str, bucket: &str, p: &Par) -> String {
    let object = match (&p.object_name, p.access_type.starts_with("AnyObject")) {
        (Some(o), false) => o
            .split('/')
            .map(encode_segment)
            .collect::<Vec<_>>()
            .join("/"),
        _ => String::new(),
    };
    format!(
        "/p/{}/n/{ns}/b/{}/o/{object}",
        p.token,
        encode_segment(bucket)
    )
}

fn summary_json(p: &Par) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "objectName": p.object_name,
        "bucketListingAction": p.bucket_listing_action,
        "accessType": p.access_type,
        "timeExpires": rfc3339(p.time_expires),
        "timeCreated": rfc3339(p.time_created),
    })
}

fn par_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NotAuthorizedOrNotFound",
        format!("pre-authenticated request {id} not found or not authorized"),
    )
}

/// CreatePreauthenticatedRequest.
pub(crate) fn create(
    st: &mut State,
    ctx: &Ctx<'_>,
    ns: &str,
    bucket: &str,
) -> Result<Reply, ApiError> {
    let body = parse_body(ctx.body)?;
    let name = req_str(&body, "name")?;
    let access_type = req_str(&body, "accessType")?;
    if !ACCESS_TYPES.contains(&access_type.as_str()) {
        return Err(ApiError::invalid(format!(
            "accessType must be one of {}, got \"{access_type}\"",
            ACCESS_TYPES.join(", ")
        )));
    }
    let object_name = opt_str(&body, "objectName")?.filter(|o| !o.is_empty());
    if !access_type.starts_with("AnyObject") && object_name.is_none() {
        return Err(ApiError::invalid(format!(
            "objectName is required for accessType {access_type}"
        )));
    }
    let listing = opt_str(&body, "bucketListingAction")?.unwrap_or_else(|| "Deny".into());
    match listing.as_str() {
        "Deny" => {}
        "ListObjects" if matches!(access_type.as_str(), "AnyObjectRead" | "AnyObjectReadWrite") => {
        }
        "ListObjects" => {
            return Err(ApiError::invalid(
                "bucketListingAction ListObjects needs accessType AnyObjectRead or AnyObjectReadWrite",
            ));
        }
        other => {
            return Err(ApiError::invalid(format!(
                "bucketListingAction must be Deny or ListObjects, got \"{other}\""
            )));
        }
    }
    let expires = req_str(&body, "timeExpires")?;
    let expires =
        time::OffsetDateTime::parse(&expires, &time::format_description::well_known::Rfc3339)
            .map(SystemTime::from)
            .map_err(|_| ApiError::invalid("timeExpires must be an RFC 3339 date-time"))?;
    if expires <= ctx.now {
        return Err(ApiError::invalid("timeExpires must be in the future"));
    }
    bucket_ref(st, ns, bucket)?;
    // Letters and digits only, so that the id is one path segment of Get/DeletePreauthenticatedRequest.
    let id = random_base32(&mut st.rng, 64);
    let token = random_base32(&mut st.rng, 64);
    let seq = st.next_seq();
    let par = Par {
        id: id.clone(),
        name,
        token,
        object_name,
        access_type,
        bucket_listing_action: listing,
        time_expires: expires,
        time_created: ctx.now,
        seq,
    };
    let uri = access_uri(ns, bucket, &par);
    let mut value = summary_json(&par);
    value["accessUri"] = json!(uri);
    value["fullPath"] = json!(format!("http://{}{uri}", ctx.host));
    bucket_mut(st, ns, bucket)?.pars.insert(id, par);
    Ok(Reply::json(StatusCode::OK, &value))
}

/// GetPreauthenticatedRequest: the summary (no access URI).
pub(crate) fn get(st: &State, ns: &str, bucket: &str, id: &str) -> Result<Reply, ApiError> {
    let b = bucket_ref(st, ns, bucket)?;
    let p = b.pars.get(id).ok_or_else(|| par_not_found(id))?;
    Ok(Reply::json(StatusCode::OK, &summary_json(p)))
}

/// ListPreauthenticatedRequests, optionally by `objectNamePrefix`.
pub(crate) fn list(st: &State, ctx: &Ctx<'_>, ns: &str, bucket: &str) -> Result<Reply, ApiError> {
    let limit = ctx.query.limit(ctx.page_size)?;
    let page: Option<PageToken> = ctx.query.page()?;
    let prefix = ctx.query.get("objectNamePrefix");
    let b = bucket_ref(st, ns, bucket)?;
    let mut keyed: Vec<(String, Value)> = b
        .pars
        .values()
        .filter(|p| {
            prefix.is_none_or(|pre| p.object_name.as_deref().is_some_and(|o| o.starts_with(pre)))
        })
        .map(|p| (seq_key(p.seq), summary_json(p)))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let (items, next) = paginate(&keyed, false, page.as_ref(), limit, ctx.empty_pages);
    Ok(crate::identity::list_reply(items, next))
}

/// DeletePreauthenticatedRequest: its URI stops working at once.
pub(crate) fn delete(st: &mut State, ns: &str, bucket: &str, id: &str) -> Result<Reply, ApiError> {
    let b = bucket_mut(st, ns, bucket)?;
    b.pars.remove(id).ok_or_else(|| par_not_found(id))?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

fn denied(why: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NotAuthorizedOrNotFound",
        format!(
            "The pre-authenticated request does not exist, has expired or does not allow this: {why}"
        ),
    )
}

/// What an unsigned request through an access URI asks for.
enum Wanted {
    Read(String),
    Write(String),
    List,
}

/// A request to `/p/<token>/n/<ns>/b/<bucket>/o/[<object>]`, unsigned: the PAR decides. Returns
/// the reply (answered as the operation it stands for).
pub(crate) async fn serve_unsigned(app: &App, parts: &Parts, body: Body) -> Reply {
    match route_unsigned(app, parts) {
        Err(e) => {
            drain(body, &parts.headers).await;
            e.into_reply()
        }
        Ok((ns, bucket, Wanted::Write(object))) => {
            let verified = Verified {
                principal: Principal {
                    user: None,
                    token: None,
                },
                signed_sha256: None,
                signed_length: None,
            };
            super::put_object(app, &parts.headers, body, &verified, &ns, &bucket, &object).await
        }
        Ok((ns, bucket, wanted)) => {
            drain(body, &parts.headers).await;
            let query = Query::parse(parts.uri.query());
            let principal = Principal {
                user: None,
                token: None,
            };
            let host = parts
                .headers
                .get("host")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("localhost")
                .to_string();
            let ctx = Ctx {
                headers: &parts.headers,
                query: &query,
                body: &[],
                principal: &principal,
                now: app.now(),
                page_size: app.page_size,
                empty_pages: app.empty_pages,
                host: &host,
                default_user: &app.default_user,
            };
            let mut st = app.lock();
            let result = match wanted {
                Wanted::Read(object) => super::get_object(
                    &st,
                    &ctx,
                    &ns,
                    &bucket,
                    &object,
                    parts.method == Method::HEAD,
                ),
                _ => super::list_objects(&mut st, &ctx, &ns, &bucket),
            };
            result.unwrap_or_else(ApiError::into_reply)
        }
    }
}

fn route_unsigned(app: &App, parts: &Parts) -> Result<(String, String, Wanted), ApiError> {
    let path = parts.uri.path();
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| ApiError::invalid("the path is not UTF-8 after percent-decoding"))
    };
    let rest = path
        .strip_prefix("/p/")
        .ok_or_else(|| denied("not an access URI"))?;
    let mut it = rest.splitn(7, '/');
    let (token, n, ns, b, bucket, o) = (
        it.next().unwrap_or_default(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    );
    let object = it.next().unwrap_or_default();
    if n != Some("n") || b != Some("b") || o != Some("o") {
        if o == Some("u") {
            return Err(ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                "The emulator does not implement multipart uploads through a pre-authenticated request",
            ));
        }
        return Err(denied(
            "the path is not /p/<token>/n/<namespace>/b/<bucket>/o/<object>",
        ));
    }
    let ns = decode(ns.unwrap_or_default())?;
    let bucket = decode(bucket.unwrap_or_default())?;
    let object = decode(object)?;
    let now = app.now();
    let st = app.lock();
    let b = bucket_ref(&st, &ns, &bucket).map_err(|_| denied("no such bucket"))?;
    let par = b
        .pars
        .values()
        .find(|p| p.token == token)
        .ok_or_else(|| denied("unknown token"))?;
    if now >= par.time_expires {
        return Err(denied("it expired"));
    }
    let any = par.access_type.starts_with("AnyObject");
    let (read, write) = (
        par.access_type.contains("Read"),
        par.access_type.contains("Write"),
    );
    let covers = |name: &str| match (&par.object_name, any) {
        (Some(o), false) => o == name,
        // A bucket-wide request with an object name covers the names with that prefix.
        (Some(prefix), true) => name.starts_with(prefix.as_str()),
        (None, _) => any,
    };
    let wanted = match parts.method.as_str() {
        "GET" if object.is_empty() => {
            if any && read && par.bucket_listing_action == "ListObjects" {
                Wanted::List
            } else {
                return Err(denied("listing the bucket is not allowed"));
            }
        }
        "GET" | "HEAD" if read && covers(&object) => Wanted::Read(object),
        "PUT" if write && !object.is_empty() && covers(&object) => Wanted::Write(object),
        m => return Err(denied(&format!("{m} on this object"))),
    };
    Ok((ns, bucket, wanted))
}

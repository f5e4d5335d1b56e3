//! Identity (`/20160918`): groups, users and user-group memberships here; every other
//! conventional resource in [`generic`], from the API model.

pub(crate) mod generic;

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use crate::keys::{ocid, random_hex};
use crate::server::Ctx;
use crate::state::{
    ApiError, Created, Group, IamCommon, IamEntity, IamTable, Membership, PageToken, Reply, State,
    User, check_defined_tags, check_string_map, opt_str, paginate, paginate_index, parse_body,
    req_str, rfc3339, seq_key, update_tags,
};

/// Which IAM collection a handler works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Group,
    User,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Group => "group",
            Kind::User => "user",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Kind::Group => "Group",
            Kind::User => "User",
        }
    }
}

/// A group as the API shows it, written straight from the state (see [`UserView`]).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupView<'a> {
    compartment_id: &'a str,
    defined_tags: &'a Value,
    description: &'a str,
    freeform_tags: &'a Value,
    id: &'a str,
    inactive_status: Option<()>,
    lifecycle_state: &'static str,
    name: &'a str,
    time_created: String,
}

fn group_view<'a>(tenancy_id: &'a str, g: &'a Group) -> GroupView<'a> {
    let c = &g.common;
    GroupView {
        compartment_id: tenancy_id,
        defined_tags: &c.defined_tags,
        description: &c.description,
        freeform_tags: &c.freeform_tags,
        id: &c.id,
        inactive_status: None,
        lifecycle_state: "ACTIVE",
        name: &c.name,
        time_created: rfc3339(c.time_created),
    }
}

/// A user as the API shows it, written straight from the state: a page of ListUsers writes 100
/// of these, and building a `Value` tree for each first was most of the page's cost. The fields
/// are in the byte order of their names, the order a `Value` object keeps, so that a user reads
/// the same, byte for byte, through either.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserView<'a> {
    capabilities: Capabilities,
    compartment_id: &'a str,
    db_user_name: Option<&'a str>,
    defined_tags: &'a Value,
    description: &'a str,
    email: Option<&'a str>,
    email_verified: bool,
    external_identifier: Option<()>,
    freeform_tags: &'a Value,
    id: &'a str,
    identity_provider_id: Option<()>,
    inactive_status: Option<()>,
    is_mfa_activated: bool,
    last_successful_login_time: Option<()>,
    lifecycle_state: &'static str,
    name: &'a str,
    previous_successful_login_time: Option<()>,
    time_created: String,
}

/// Every user may use every kind of credential.
#[derive(Serialize)]
struct Capabilities {
    #[serde(rename = "canUseApiKeys")]
    api_keys: bool,
    #[serde(rename = "canUseAuthTokens")]
    auth_tokens: bool,
    #[serde(rename = "canUseConsolePassword")]
    console_password: bool,
    #[serde(rename = "canUseCustomerSecretKeys")]
    customer_secret_keys: bool,
    #[serde(rename = "canUseDbCredentials")]
    db_credentials: bool,
    #[serde(rename = "canUseOAuth2ClientCredentials")]
    oauth2_client_credentials: bool,
    #[serde(rename = "canUseSmtpCredentials")]
    smtp_credentials: bool,
}

fn user_view<'a>(tenancy_id: &'a str, u: &'a User) -> UserView<'a> {
    let c = &u.common;
    UserView {
        capabilities: Capabilities {
            api_keys: true,
            auth_tokens: true,
            console_password: true,
            customer_secret_keys: true,
            db_credentials: true,
            oauth2_client_credentials: true,
            smtp_credentials: true,
        },
        compartment_id: tenancy_id,
        db_user_name: u.db_user_name.as_deref(),
        defined_tags: &c.defined_tags,
        description: &c.description,
        email: u.email.as_deref(),
        email_verified: false,
        external_identifier: None,
        freeform_tags: &c.freeform_tags,
        id: &c.id,
        identity_provider_id: None,
        inactive_status: None,
        is_mfa_activated: false,
        last_successful_login_time: None,
        lifecycle_state: "ACTIVE",
        name: &c.name,
        previous_successful_login_time: None,
        time_created: rfc3339(c.time_created),
    }
}

fn group_json(st: &State, g: &Group) -> Value {
    // Plain data: cannot fail to become a Value.
    serde_json::to_value(group_view(&st.tenancy_id, g)).unwrap_or_default()
}

fn user_json(st: &State, u: &User) -> Value {
    serde_json::to_value(user_view(&st.tenancy_id, u)).unwrap_or_default()
}

fn membership_json(st: &State, m: &Membership) -> Value {
    json!({
        "id": m.id,
        "compartmentId": st.tenancy_id,
        "groupId": m.group_id,
        "userId": m.user_id,
        "timeCreated": rfc3339(m.time_created),
        "lifecycleState": "ACTIVE",
        "inactiveStatus": null,
    })
}

fn entity_reply(status: StatusCode, value: &Value, etag: &str) -> Reply {
    Reply::json(status, value).header("etag", etag)
}

/// `if-match` on update/delete: 412 NoEtagMatch when it names another version.
pub(super) fn check_if_match(ctx: &Ctx<'_>, etag: &str) -> Result<(), ApiError> {
    if let Some(want) = ctx.header("if-match") {
        let ok = want
            .split(',')
            .map(|s| s.trim().trim_matches('"'))
            .any(|w| w == "*" || w == etag);
        if !ok {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "NoEtagMatch",
                format!("The if-match value \"{want}\" does not match the current etag \"{etag}\""),
            ));
        }
    }
    Ok(())
}

fn check_tenancy_in_body(st: &State, compartment_id: &str) -> Result<(), ApiError> {
    if compartment_id != st.tenancy_id {
        return Err(ApiError::invalid(format!(
            "compartmentId must be the tenancy OCID ({}): users and groups live in the root compartment; got \"{compartment_id}\"",
            st.tenancy_id
        )));
    }
    Ok(())
}

fn check_tenancy_in_query(st: &State, ctx: &Ctx<'_>) -> Result<(), ApiError> {
    let compartment = ctx
        .query
        .get("compartmentId")
        .ok_or_else(|| ApiError::missing("compartmentId"))?;
    if compartment != st.tenancy_id {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NotAuthorizedOrNotFound",
            format!(
                "compartment {compartment} not found or not authorized: IAM lists take the tenancy OCID ({}) as compartmentId",
                st.tenancy_id
            ),
        ));
    }
    Ok(())
}

fn validate_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "name must be between 1 and 100 characters",
        ));
    }
    if name.chars().any(char::is_whitespace) {
        return Err(ApiError::invalid("name must not contain whitespace"));
    }
    Ok(())
}

fn validate_description(d: &str) -> Result<(), ApiError> {
    if d.chars().count() > 400 {
        return Err(ApiError::invalid(
            "description must be at most 400 characters",
        ));
    }
    Ok(())
}

/// CreateGroup / CreateUser.
pub(crate) fn create(st: &mut State, ctx: &Ctx<'_>, kind: Kind) -> Result<Reply, ApiError> {
    let body = parse_body(ctx.body)?;
    let compartment_id = req_str(&body, "compartmentId")?;
    let name = req_str(&body, "name")?;
    let description = req_str(&body, "description")?;
    let freeform_tags = check_string_map(
        "freeformTags",
        body.get("freeformTags").unwrap_or(&Value::Null),
    )?;
    let defined_tags = check_defined_tags(body.get("definedTags").unwrap_or(&Value::Null))?;
    let email = if kind == Kind::User {
        opt_str(&body, "email")?
    } else {
        None
    };
    check_tenancy_in_body(st, &compartment_id)?;
    validate_name(&name)?;
    validate_description(&description)?;

    let taken = match kind {
        Kind::Group => st.groups.by_name(&name).is_some(),
        Kind::User => st.users.by_name(&name).is_some(),
    };
    if taken {
        return Err(ApiError::conflict(
            "EntityAlreadyExists",
            format!(
                "{} with name '{name}' already exists in the tenancy",
                kind.title()
            ),
        ));
    }

    let seq = st.next_seq();
    let id = ocid(&mut st.rng, kind.word(), "");
    let etag = random_hex(&mut st.rng, 16);
    let common = IamCommon {
        seq,
        id: id.clone(),
        name,
        description,
        time_created: ctx.now,
        etag: etag.clone(),
        freeform_tags,
        defined_tags,
    };
    let (value, created) = match kind {
        Kind::Group => {
            let g = Group { common };
            let v = group_json(st, &g);
            st.groups.insert(g);
            (v, Created::Group(id))
        }
        Kind::User => {
            let u = User {
                common,
                email,
                db_user_name: None,
            };
            let v = user_json(st, &u);
            st.users.insert(u);
            (v, Created::User(id))
        }
    };
    let mut reply = entity_reply(StatusCode::OK, &value, &etag);
    reply.created = Some(created);
    Ok(reply)
}

fn common_of<'s>(st: &'s State, kind: Kind, id: &str) -> Result<&'s IamCommon, ApiError> {
    match kind {
        Kind::Group => st.groups.get(id).map(|g| &g.common),
        Kind::User => st.users.get(id).map(|u| &u.common),
    }
    .ok_or_else(|| ApiError::not_found_iam(kind.word(), id))
}

fn entity_json(st: &State, kind: Kind, id: &str) -> Option<Value> {
    match kind {
        Kind::Group => st.groups.get(id).map(|g| group_json(st, g)),
        Kind::User => st.users.get(id).map(|u| user_json(st, u)),
    }
}

/// GetGroup / GetUser.
pub(crate) fn get(st: &State, kind: Kind, id: &str) -> Result<Reply, ApiError> {
    let etag = common_of(st, kind, id)?.etag.clone();
    let value =
        entity_json(st, kind, id).ok_or_else(|| ApiError::not_found_iam(kind.word(), id))?;
    Ok(entity_reply(StatusCode::OK, &value, &etag))
}

/// UpdateGroup / UpdateUser: description, tags (and for users email, dbUserName).
pub(crate) fn update(
    st: &mut State,
    ctx: &Ctx<'_>,
    kind: Kind,
    id: &str,
) -> Result<Reply, ApiError> {
    let current = common_of(st, kind, id)?.etag.clone();
    check_if_match(ctx, &current)?;
    let body = parse_body(ctx.body)?;
    let description = opt_str(&body, "description")?;
    if let Some(d) = &description {
        validate_description(d)?;
    }
    let (freeform, defined) = update_tags(&body)?;
    let (email, db_user_name) = if kind == Kind::User {
        (opt_str(&body, "email")?, opt_str(&body, "dbUserName")?)
    } else {
        (None, None)
    };
    let etag = random_hex(&mut st.rng, 16);
    let common = match kind {
        Kind::Group => st.groups.get_mut(id).map(|g| &mut g.common),
        Kind::User => {
            if let Some(u) = st.users.get_mut(id) {
                if email.is_some() {
                    u.email = email;
                }
                if db_user_name.is_some() {
                    u.db_user_name = db_user_name;
                }
            }
            st.users.get_mut(id).map(|u| &mut u.common)
        }
    }
    .ok_or_else(|| ApiError::not_found_iam(kind.word(), id))?;
    if let Some(d) = description {
        common.description = d;
    }
    if let Some(f) = freeform {
        common.freeform_tags = f;
    }
    if let Some(d) = defined {
        common.defined_tags = d;
    }
    common.etag = etag.clone();
    let value =
        entity_json(st, kind, id).ok_or_else(|| ApiError::not_found_iam(kind.word(), id))?;
    Ok(entity_reply(StatusCode::OK, &value, &etag))
}

/// DeleteGroup / DeleteUser: 409 Conflict while memberships remain.
pub(crate) fn delete(
    st: &mut State,
    ctx: &Ctx<'_>,
    kind: Kind,
    id: &str,
) -> Result<Reply, ApiError> {
    let current = common_of(st, kind, id)?.etag.clone();
    check_if_match(ctx, &current)?;
    let members = st
        .memberships
        .values()
        .filter(|m| match kind {
            Kind::Group => m.group_id == id,
            Kind::User => m.user_id == id,
        })
        .count();
    if members > 0 {
        let what = match kind {
            Kind::Group => "group still has members",
            Kind::User => "user is still a member of groups",
        };
        return Err(ApiError::conflict(
            "Conflict",
            format!(
                "{} {id} cannot be deleted: the {what} ({members} user group membership(s)); remove them first with RemoveUserFromGroup",
                kind.title()
            ),
        ));
    }
    match kind {
        Kind::Group => {
            st.groups.remove(id);
        }
        Kind::User => {
            st.users.remove(id);
            // Its credentials (API keys, auth tokens, ...) go with it; delete_user (oci
            // 2.189.0) asks only that "The user must not be in any groups".
            generic::remove_user_children(st, id);
        }
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

pub(super) fn sort_params(ctx: &Ctx<'_>) -> Result<(bool, bool), ApiError> {
    // Returns (by_name, descending).
    let by = ctx.query.get("sortBy");
    let by_name = match by {
        None | Some("TIMECREATED") => false,
        Some("NAME") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "sortBy must be TIMECREATED or NAME, got \"{other}\""
            )));
        }
    };
    let descending = match ctx.query.get("sortOrder") {
        None => by == Some("TIMECREATED"),
        Some("ASC") => false,
        Some("DESC") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "sortOrder must be ASC or DESC, got \"{other}\""
            )));
        }
    };
    Ok((by_name, descending))
}

/// ListGroups / ListUsers.
pub(crate) fn list(st: &State, ctx: &Ctx<'_>, kind: Kind) -> Result<Reply, ApiError> {
    check_tenancy_in_query(st, ctx)?;
    let limit = ctx.query.limit(ctx.page_size)?;
    let page = ctx.query.page()?;
    let (by_name, descending) = sort_params(ctx)?;
    if let Some(state) = ctx.query.get("lifecycleState") {
        let upper = state.to_ascii_uppercase();
        if !["CREATING", "ACTIVE", "INACTIVE", "DELETING", "DELETED"].contains(&upper.as_str()) {
            return Err(ApiError::invalid(format!(
                "lifecycleState \"{state}\" is not valid"
            )));
        }
        if upper != "ACTIVE" {
            return Ok(list_reply(Vec::new(), None));
        }
    }
    // Only the page's entities become JSON, written straight from the state.
    let page = page.as_ref();
    let reply = match kind {
        Kind::Group => {
            let (groups, next) = list_page(&st.groups, ctx, by_name, descending, limit, page);
            let views: Vec<GroupView<'_>> = groups
                .into_iter()
                .map(|g| group_view(&st.tenancy_id, g))
                .collect();
            page_reply(&views, next)
        }
        Kind::User => {
            let (users, next) = list_page(&st.users, ctx, by_name, descending, limit, page);
            let views: Vec<UserView<'_>> = users
                .into_iter()
                .map(|u| user_view(&st.tenancy_id, u))
                .collect();
            page_reply(&views, next)
        }
    };
    Ok(reply)
}

/// The entities on one page of a ListGroups/ListUsers, and the next page's token: only the
/// entities on the page are visited.
fn list_page<'t, T: IamEntity>(
    table: &'t IamTable<T>,
    ctx: &Ctx<'_>,
    by_name: bool,
    descending: bool,
    limit: usize,
    page: Option<&PageToken>,
) -> (Vec<&'t T>, Option<String>) {
    match ctx.query.get("name") {
        // Names are unique, so the filter leaves at most one entity, found by name; it is paged
        // like the whole order, under the same sort key, so tokens behave the same.
        Some(name) => {
            let keyed: Vec<(String, &T)> = table
                .by_name(name)
                .map(|t| {
                    let c = t.common();
                    let key = if by_name {
                        c.name.clone()
                    } else {
                        seq_key(c.seq)
                    };
                    (key, t)
                })
                .into_iter()
                .collect();
            paginate(&keyed, descending, page, limit, ctx.empty_pages)
        }
        None => {
            let (ids, next) = paginate_index(
                table.order(by_name),
                descending,
                page,
                limit,
                ctx.empty_pages,
            );
            (
                ids.into_iter().filter_map(|id| table.get(id)).collect(),
                next,
            )
        }
    }
}

pub(crate) fn list_reply(items: Vec<Value>, next: Option<String>) -> Reply {
    page_reply(&items, next)
}

/// A page of a list: the items as a JSON array, and `opc-next-page` when more follow.
pub(crate) fn page_reply<S: Serialize>(items: &[S], next: Option<String>) -> Reply {
    let mut reply = Reply::json_of(StatusCode::OK, items);
    if let Some(n) = next {
        reply = reply.header("opc-next-page", n);
    }
    reply
}

/// AddUserToGroup.
pub(crate) fn add_user_to_group(st: &mut State, ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let body = parse_body(ctx.body)?;
    let user_id = req_str(&body, "userId")?;
    let group_id = req_str(&body, "groupId")?;
    if !st.users.contains_key(&user_id) {
        return Err(ApiError::bad(
            "RelatedResourceNotAuthorizedOrNotFound",
            format!("user {user_id} (userId) not found or not authorized"),
        ));
    }
    if !st.groups.contains_key(&group_id) {
        return Err(ApiError::bad(
            "RelatedResourceNotAuthorizedOrNotFound",
            format!("group {group_id} (groupId) not found or not authorized"),
        ));
    }
    if let Some(existing) = st
        .memberships
        .values()
        .find(|m| m.user_id == user_id && m.group_id == group_id)
    {
        return Err(ApiError::conflict(
            "EntityAlreadyExists",
            format!(
                "user {user_id} is already a member of group {group_id} (membership {})",
                existing.id
            ),
        ));
    }
    let seq = st.next_seq();
    let id = ocid(&mut st.rng, "groupmembership", "");
    let etag = random_hex(&mut st.rng, 16);
    let m = Membership {
        seq,
        id: id.clone(),
        user_id,
        group_id,
        time_created: ctx.now,
        etag: etag.clone(),
    };
    let value = membership_json(st, &m);
    st.memberships.insert(id.clone(), m);
    let mut reply = entity_reply(StatusCode::OK, &value, &etag);
    reply.created = Some(Created::Membership(id));
    Ok(reply)
}

/// GetUserGroupMembership.
pub(crate) fn get_membership(st: &State, id: &str) -> Result<Reply, ApiError> {
    let m = st
        .memberships
        .get(id)
        .ok_or_else(|| ApiError::not_found_iam("userGroupMembership", id))?;
    Ok(entity_reply(
        StatusCode::OK,
        &membership_json(st, m),
        &m.etag,
    ))
}

/// RemoveUserFromGroup.
pub(crate) fn remove_membership(
    st: &mut State,
    ctx: &Ctx<'_>,
    id: &str,
) -> Result<Reply, ApiError> {
    let etag = st
        .memberships
        .get(id)
        .ok_or_else(|| ApiError::not_found_iam("userGroupMembership", id))?
        .etag
        .clone();
    check_if_match(ctx, &etag)?;
    st.memberships.remove(id);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// ListUserGroupMemberships: compartmentId plus userId and/or groupId.
pub(crate) fn list_memberships(st: &State, ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    check_tenancy_in_query(st, ctx)?;
    let limit = ctx.query.limit(ctx.page_size)?;
    let page = ctx.query.page()?;
    let user = ctx.query.get("userId");
    let group = ctx.query.get("groupId");
    if user.is_none() && group.is_none() {
        return Err(ApiError::bad(
            "MissingParameter",
            "userId or groupId (or both) is required to list user group memberships",
        ));
    }
    let mut keyed: Vec<(String, String)> = st
        .memberships
        .values()
        .filter(|m| user.is_none_or(|u| u == m.user_id) && group.is_none_or(|g| g == m.group_id))
        .map(|m| (seq_key(m.seq), m.id.clone()))
        .collect();
    keyed.sort();
    let (ids, next) = paginate(&keyed, false, page.as_ref(), limit, ctx.empty_pages);
    let items = ids
        .iter()
        .filter_map(|id| st.memberships.get(id).map(|m| membership_json(st, m)))
        .collect();
    Ok(list_reply(items, next))
}

/// GetWorkRequest (Identity): the work requests DeleteCompartment started.
pub(crate) fn get_work_request(st: &State, id: &str) -> Result<Reply, ApiError> {
    let (_, wr) = st
        .iam_work_requests
        .get(id)
        .ok_or_else(|| ApiError::not_found_iam("workRequest", id))?;
    Ok(Reply::json(StatusCode::OK, wr))
}

/// ListWorkRequests (Identity): by `compartmentId`, optionally `resourceIdentifier`.
pub(crate) fn list_work_requests(st: &State, ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let compartment = ctx
        .query
        .get("compartmentId")
        .ok_or_else(|| ApiError::missing("compartmentId"))?;
    let resource = ctx.query.get("resourceIdentifier");
    let limit = ctx.query.limit(ctx.page_size)?;
    let page = ctx.query.page()?;
    let mut keyed: Vec<(String, Value)> = st
        .iam_work_requests
        .values()
        .filter(|(_, wr)| wr["compartmentId"].as_str() == Some(compartment))
        .filter(|(_, wr)| {
            resource.is_none_or(|r| {
                wr["resources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|x| x["identifier"].as_str() == Some(r))
            })
        })
        .map(|(seq, wr)| {
            // WorkRequestSummary has no errors or logs.
            let mut summary = wr.clone();
            if let Some(o) = summary.as_object_mut() {
                o.remove("errors");
                o.remove("logs");
            }
            (seq_key(*seq), summary)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let (items, next) = paginate(&keyed, false, page.as_ref(), limit, ctx.empty_pages);
    Ok(list_reply(items, next))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::state::IamCommon;

    fn common(name: &str) -> IamCommon {
        IamCommon {
            seq: 7,
            id: format!("ocid1.x.oc1..{name}"),
            name: name.to_string(),
            description: "a \"quoted\" description\n".to_string(),
            time_created: std::time::SystemTime::UNIX_EPOCH
                + std::time::Duration::from_millis(1_472_159_429_600),
            etag: "e".to_string(),
            freeform_tags: json!({"b": "2", "a": "1"}),
            defined_tags: json!({"ns": {"k": "v"}}),
        }
    }

    /// The views write what the `json!` objects the handlers used to build wrote, byte for byte.
    #[test]
    fn views_write_the_json_objects_did() {
        let tenancy = "ocid1.tenancy.oc1..t";
        let g = Group {
            common: common("g"),
        };
        let c = &g.common;
        let want = json!({
            "id": c.id,
            "compartmentId": tenancy,
            "name": c.name,
            "description": c.description,
            "timeCreated": rfc3339(c.time_created),
            "lifecycleState": "ACTIVE",
            "inactiveStatus": null,
            "freeformTags": c.freeform_tags,
            "definedTags": c.defined_tags,
        });
        let got = serde_json::to_string(&group_view(tenancy, &g)).unwrap();
        assert_eq!(got, want.to_string());
        assert_eq!(serde_json::to_value(group_view(tenancy, &g)).unwrap(), want);

        for (email, db) in [
            (None, None),
            (Some("a@b.c".to_string()), Some("DB".to_string())),
        ] {
            let u = User {
                common: common("u"),
                email,
                db_user_name: db,
            };
            let c = &u.common;
            let want = json!({
                "id": c.id,
                "compartmentId": tenancy,
                "name": c.name,
                "description": c.description,
                "email": u.email,
                "emailVerified": false,
                "dbUserName": u.db_user_name,
                "identityProviderId": null,
                "externalIdentifier": null,
                "timeCreated": rfc3339(c.time_created),
                "lifecycleState": "ACTIVE",
                "inactiveStatus": null,
                "freeformTags": c.freeform_tags,
                "definedTags": c.defined_tags,
                "capabilities": {
                    "canUseConsolePassword": true,
                    "canUseApiKeys": true,
                    "canUseAuthTokens": true,
                    "canUseSmtpCredentials": true,
                    "canUseDbCredentials": true,
                    "canUseCustomerSecretKeys": true,
                    "canUseOAuth2ClientCredentials": true,
                },
                "isMfaActivated": false,
                "lastSuccessfulLoginTime": null,
                "previousSuccessfulLoginTime": null,
            });
            let got = serde_json::to_string(&user_view(tenancy, &u)).unwrap();
            assert_eq!(got, want.to_string());
            assert_eq!(serde_json::to_value(user_view(tenancy, &u)).unwrap(), want);
        }
    }
}

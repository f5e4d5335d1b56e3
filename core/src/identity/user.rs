//! User operations.

use http::Method;

use super::{CreateUserDetails, LifecycleState, SortBy, SortOrder, UpdateUserDetails, User};
use super::{PREFIX, identity_list, identity_op, item_plan, json, require};
use crate::operation::RequestPlan;

/// CreateUser: creates a user in the tenancy.
#[derive(Debug, Clone)]
pub struct CreateUser {
    /// The new user.
    pub create_user_details: CreateUserDetails,
    /// Idempotency token; generated per call when absent.
    pub opc_retry_token: Option<String>,
}

impl CreateUser {
    /// Creates user `name` in tenancy `compartment_id`.
    pub fn new(
        compartment_id: impl Into<String>,
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        CreateUser {
            create_user_details: CreateUserDetails {
                compartment_id: compartment_id.into(),
                name: name.into(),
                description: description.into(),
                ..Default::default()
            },
            opc_retry_token: None,
        }
    }
}

identity_op!(
    CreateUser,
    "CreateUser",
    User,
    |s| {
        let d = &s.create_user_details;
        require("CreateUser", "compartment_id", &d.compartment_id)?;
        require("CreateUser", "name", &d.name)?;
        let mut plan = RequestPlan::new(Method::POST, format!("{PREFIX}/users"));
        plan.header_opt(
            "CreateUser",
            "opc-retry-token",
            s.opc_retry_token.as_deref(),
        )?;
        plan.json_body("CreateUser", d)?;
        Ok(plan)
    },
    |h, b| json("CreateUser", h, &b)
);

/// GetUser: one user by OCID.
#[derive(Debug, Clone)]
pub struct GetUser {
    /// OCID of the user.
    pub user_id: String,
}

impl GetUser {
    /// Gets user `user_id`.
    pub fn new(user_id: impl Into<String>) -> Self {
        GetUser {
            user_id: user_id.into(),
        }
    }
}

identity_op!(
    GetUser,
    "GetUser",
    User,
    |s| { item_plan("GetUser", Method::GET, "users", "user_id", &s.user_id) },
    |h, b| json("GetUser", h, &b)
);

/// UpdateUser: changes a user's description, email or tags.
#[derive(Debug, Clone)]
pub struct UpdateUser {
    /// OCID of the user.
    pub user_id: String,
    /// What to change.
    pub update_user_details: UpdateUserDetails,
    /// Only update if the current etag matches.
    pub if_match: Option<String>,
}

impl UpdateUser {
    /// Updates user `user_id` with `details`.
    pub fn new(user_id: impl Into<String>, details: UpdateUserDetails) -> Self {
        UpdateUser {
            user_id: user_id.into(),
            update_user_details: details,
            if_match: None,
        }
    }
}

identity_op!(
    UpdateUser,
    "UpdateUser",
    User,
    |s| {
        let mut plan = item_plan("UpdateUser", Method::PUT, "users", "user_id", &s.user_id)?;
        plan.header_opt("UpdateUser", "if-match", s.if_match.as_deref())?;
        plan.json_body("UpdateUser", &s.update_user_details)?;
        Ok(plan)
    },
    |h, b| json("UpdateUser", h, &b)
);

/// DeleteUser: deletes a user who belongs to no group (204).
#[derive(Debug, Clone)]
pub struct DeleteUser {
    /// OCID of the user.
    pub user_id: String,
    /// Only delete if the current etag matches.
    pub if_match: Option<String>,
}

impl DeleteUser {
    /// Deletes user `user_id`.
    pub fn new(user_id: impl Into<String>) -> Self {
        DeleteUser {
            user_id: user_id.into(),
            if_match: None,
        }
    }
}

identity_op!(
    DeleteUser,
    "DeleteUser",
    (),
    |s| {
        let mut plan = item_plan("DeleteUser", Method::DELETE, "users", "user_id", &s.user_id)?;
        plan.header_opt("DeleteUser", "if-match", s.if_match.as_deref())?;
        Ok(plan)
    },
    |_h, _b| Ok(())
);

/// ListUsers: the users of a tenancy, one page at a time (`opc-next-page`).
#[derive(Debug, Clone)]
pub struct ListUsers {
    /// OCID of the tenancy.
    pub compartment_id: String,
    /// Page token from a previous response.
    pub page: Option<String>,
    /// Maximum items per page.
    pub limit: Option<u32>,
    /// Only users of this identity provider.
    pub identity_provider_id: Option<String>,
    /// Only the user with this external identifier.
    pub external_identifier: Option<String>,
    /// Only the user with this exact name.
    pub name: Option<String>,
    /// Sort field.
    pub sort_by: Option<SortBy>,
    /// Sort direction.
    pub sort_order: Option<SortOrder>,
    /// Only users in this state.
    pub lifecycle_state: Option<LifecycleState>,
}

impl ListUsers {
    /// Lists the users of tenancy `compartment_id`.
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListUsers {
            compartment_id: compartment_id.into(),
            page: None,
            limit: None,
            identity_provider_id: None,
            external_identifier: None,
            name: None,
            sort_by: None,
            sort_order: None,
            lifecycle_state: None,
        }
    }
}

identity_op!(
    ListUsers,
    "ListUsers",
    Vec<User>,
    |s| {
        require("ListUsers", "compartment_id", &s.compartment_id)?;
        let mut plan = RequestPlan::new(Method::GET, format!("{PREFIX}/users"));
        plan.query.push(("compartmentId", s.compartment_id.clone()));
        plan.query_opt("page", s.page.as_ref());
        plan.query_opt("limit", s.limit);
        plan.query_opt("identityProviderId", s.identity_provider_id.as_ref());
        plan.query_opt("externalIdentifier", s.external_identifier.as_ref());
        plan.query_opt("name", s.name.as_ref());
        plan.query_opt("sortBy", s.sort_by.map(SortBy::as_str));
        plan.query_opt("sortOrder", s.sort_order.map(SortOrder::as_str));
        plan.query_opt(
            "lifecycleState",
            s.lifecycle_state.map(LifecycleState::as_str),
        );
        Ok(plan)
    },
    |h, b| json("ListUsers", h, &b)
);

identity_list!(ListUsers, User);

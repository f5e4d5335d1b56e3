//! Group operations.

use http::Method;

use super::{CreateGroupDetails, LifecycleState, SortBy, SortOrder, UpdateGroupDetails};
use super::{Group, PREFIX, identity_list, identity_op, item_plan, json, require};
use crate::operation::RequestPlan;

/// CreateGroup: creates a group in the tenancy.
#[derive(Debug, Clone)]
pub struct CreateGroup {
    /// The new group.
    pub create_group_details: CreateGroupDetails,
    /// Idempotency token; generated per call when absent.
    pub opc_retry_token: Option<String>,
}

impl CreateGroup {
    /// Creates group `name` in tenancy `compartment_id`.
    pub fn new(
        compartment_id: impl Into<String>,
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        CreateGroup {
            create_group_details: CreateGroupDetails {
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
    CreateGroup,
    "CreateGroup",
    Group,
    |s| {
        let d = &s.create_group_details;
        require("CreateGroup", "compartment_id", &d.compartment_id)?;
        require("CreateGroup", "name", &d.name)?;
        let mut plan = RequestPlan::new(Method::POST, format!("{PREFIX}/groups"));
        plan.header_opt(
            "CreateGroup",
            "opc-retry-token",
            s.opc_retry_token.as_deref(),
        )?;
        plan.json_body("CreateGroup", d)?;
        Ok(plan)
    },
    |h, b| json("CreateGroup", h, &b)
);

/// GetGroup: one group by OCID.
#[derive(Debug, Clone)]
pub struct GetGroup {
    /// OCID of the group.
    pub group_id: String,
}

impl GetGroup {
    /// Gets group `group_id`.
    pub fn new(group_id: impl Into<String>) -> Self {
        GetGroup {
            group_id: group_id.into(),
        }
    }
}

identity_op!(
    GetGroup,
    "GetGroup",
    Group,
    |s| { item_plan("GetGroup", Method::GET, "groups", "group_id", &s.group_id) },
    |h, b| json("GetGroup", h, &b)
);

/// UpdateGroup: changes a group's description or tags.
#[derive(Debug, Clone)]
pub struct UpdateGroup {
    /// OCID of the group.
    pub group_id: String,
    /// What to change.
    pub update_group_details: UpdateGroupDetails,
    /// Only update if the current etag matches.
    pub if_match: Option<String>,
}

impl UpdateGroup {
    /// Updates group `group_id` with `details`.
    pub fn new(group_id: impl Into<String>, details: UpdateGroupDetails) -> Self {
        UpdateGroup {
            group_id: group_id.into(),
            update_group_details: details,
            if_match: None,
        }
    }
}

identity_op!(
    UpdateGroup,
    "UpdateGroup",
    Group,
    |s| {
        let mut plan = item_plan(
            "UpdateGroup",
            Method::PUT,
            "groups",
            "group_id",
            &s.group_id,
        )?;
        plan.header_opt("UpdateGroup", "if-match", s.if_match.as_deref())?;
        plan.json_body("UpdateGroup", &s.update_group_details)?;
        Ok(plan)
    },
    |h, b| json("UpdateGroup", h, &b)
);

/// DeleteGroup: deletes an empty group (204).
#[derive(Debug, Clone)]
pub struct DeleteGroup {
    /// OCID of the group.
    pub group_id: String,
    /// Only delete if the current etag matches.
    pub if_match: Option<String>,
}

impl DeleteGroup {
    /// Deletes group `group_id`.
    pub fn new(group_id: impl Into<String>) -> Self {
        DeleteGroup {
            group_id: group_id.into(),
            if_match: None,
        }
    }
}

identity_op!(
    DeleteGroup,
    "DeleteGroup",
    (),
    |s| {
        let mut plan = item_plan(
            "DeleteGroup",
            Method::DELETE,
            "groups",
            "group_id",
            &s.group_id,
        )?;
        plan.header_opt("DeleteGroup", "if-match", s.if_match.as_deref())?;
        Ok(plan)
    },
    |_h, _b| Ok(())
);

/// ListGroups: the groups of a tenancy, one page at a time (`opc-next-page`).
#[derive(Debug, Clone)]
pub struct ListGroups {
    /// OCID of the tenancy.
    pub compartment_id: String,
    /// Page token from a previous response.
    pub page: Option<String>,
    /// Maximum items per page.
    pub limit: Option<u32>,
    /// Only the group with this exact name.
    pub name: Option<String>,
    /// Sort field.
    pub sort_by: Option<SortBy>,
    /// Sort direction.
    pub sort_order: Option<SortOrder>,
    /// Only groups in this state.
    pub lifecycle_state: Option<LifecycleState>,
}

impl ListGroups {
    /// Lists the groups of tenancy `compartment_id`.
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListGroups {
            compartment_id: compartment_id.into(),
            page: None,
            limit: None,
            name: None,
            sort_by: None,
            sort_order: None,
            lifecycle_state: None,
        }
    }
}

identity_op!(
    ListGroups,
    "ListGroups",
    Vec<Group>,
    |s| {
        require("ListGroups", "compartment_id", &s.compartment_id)?;
        let mut plan = RequestPlan::new(Method::GET, format!("{PREFIX}/groups"));
        plan.query.push(("compartmentId", s.compartment_id.clone()));
        plan.query_opt("page", s.page.as_ref());
        plan.query_opt("limit", s.limit);
        plan.query_opt("name", s.name.as_ref());
        plan.query_opt("sortBy", s.sort_by.map(SortBy::as_str));
        plan.query_opt("sortOrder", s.sort_order.map(SortOrder::as_str));
        plan.query_opt(
            "lifecycleState",
            s.lifecycle_state.map(LifecycleState::as_str),
        );
        Ok(plan)
    },
    |h, b| json("ListGroups", h, &b)
);

identity_list!(ListGroups, Group);

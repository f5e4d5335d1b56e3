//! User-group membership operations.

use http::Method;

use super::{AddUserToGroupDetails, UserGroupMembership};
use super::{PREFIX, identity_list, identity_op, item_plan, json, require};
use crate::operation::RequestPlan;

/// AddUserToGroup: makes a user a member of a group.
#[derive(Debug, Clone)]
pub struct AddUserToGroup {
    /// The user and the group.
    pub add_user_to_group_details: AddUserToGroupDetails,
    /// Idempotency token; generated per call when absent.
    pub opc_retry_token: Option<String>,
}

impl AddUserToGroup {
    /// Adds user `user_id` to group `group_id`.
    pub fn new(user_id: impl Into<String>, group_id: impl Into<String>) -> Self {
        AddUserToGroup {
            add_user_to_group_details: AddUserToGroupDetails {
                user_id: user_id.into(),
                group_id: group_id.into(),
            },
            opc_retry_token: None,
        }
    }
}

identity_op!(
    AddUserToGroup,
    "AddUserToGroup",
    UserGroupMembership,
    |s| {
        let d = &s.add_user_to_group_details;
        require("AddUserToGroup", "user_id", &d.user_id)?;
        require("AddUserToGroup", "group_id", &d.group_id)?;
        let mut plan = RequestPlan::new(Method::POST, format!("{PREFIX}/userGroupMemberships"));
        plan.header_opt(
            "AddUserToGroup",
            "opc-retry-token",
            s.opc_retry_token.as_deref(),
        )?;
        plan.json_body("AddUserToGroup", d)?;
        Ok(plan)
    },
    |h, b| json("AddUserToGroup", h, &b)
);

/// GetUserGroupMembership: one membership by OCID.
#[derive(Debug, Clone)]
pub struct GetUserGroupMembership {
    /// OCID of the membership.
    pub user_group_membership_id: String,
}

impl GetUserGroupMembership {
    /// Gets membership `user_group_membership_id`.
    pub fn new(user_group_membership_id: impl Into<String>) -> Self {
        GetUserGroupMembership {
            user_group_membership_id: user_group_membership_id.into(),
        }
    }
}

identity_op!(
    GetUserGroupMembership,
    "GetUserGroupMembership",
    UserGroupMembership,
    |s| {
        item_plan(
            "GetUserGroupMembership",
            Method::GET,
            "userGroupMemberships",
            "user_group_membership_id",
            &s.user_group_membership_id,
        )
    },
    |h, b| json("GetUserGroupMembership", h, &b)
);

/// RemoveUserFromGroup: deletes a membership (204).
#[derive(Debug, Clone)]
pub struct RemoveUserFromGroup {
    /// OCID of the membership.
    pub user_group_membership_id: String,
    /// Only delete if the current etag matches.
    pub if_match: Option<String>,
}

impl RemoveUserFromGroup {
    /// Removes membership `user_group_membership_id`.
    pub fn new(user_group_membership_id: impl Into<String>) -> Self {
        RemoveUserFromGroup {
            user_group_membership_id: user_group_membership_id.into(),
            if_match: None,
        }
    }
}

identity_op!(
    RemoveUserFromGroup,
    "RemoveUserFromGroup",
    (),
    |s| {
        let mut plan = item_plan(
            "RemoveUserFromGroup",
            Method::DELETE,
            "userGroupMemberships",
            "user_group_membership_id",
            &s.user_group_membership_id,
        )?;
        plan.header_opt("RemoveUserFromGroup", "if-match", s.if_match.as_deref())?;
        Ok(plan)
    },
    |_h, _b| Ok(())
);

/// ListUserGroupMemberships: memberships of a tenancy, optionally of one user or group.
#[derive(Debug, Clone)]
pub struct ListUserGroupMemberships {
    /// OCID of the tenancy.
    pub compartment_id: String,
    /// Only memberships of this user.
    pub user_id: Option<String>,
    /// Only memberships of this group.
    pub group_id: Option<String>,
    /// Page token from a previous response.
    pub page: Option<String>,
    /// Maximum items per page.
    pub limit: Option<u32>,
}

impl ListUserGroupMemberships {
    /// Lists the memberships in tenancy `compartment_id`.
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListUserGroupMemberships {
            compartment_id: compartment_id.into(),
            user_id: None,
            group_id: None,
            page: None,
            limit: None,
        }
    }
}

identity_op!(
    ListUserGroupMemberships,
    "ListUserGroupMemberships",
    Vec<UserGroupMembership>,
    |s| {
        require(
            "ListUserGroupMemberships",
            "compartment_id",
            &s.compartment_id,
        )?;
        let mut plan = RequestPlan::new(Method::GET, format!("{PREFIX}/userGroupMemberships"));
        plan.query.push(("compartmentId", s.compartment_id.clone()));
        plan.query_opt("userId", s.user_id.as_ref());
        plan.query_opt("groupId", s.group_id.as_ref());
        plan.query_opt("page", s.page.as_ref());
        plan.query_opt("limit", s.limit);
        Ok(plan)
    },
    |h, b| json("ListUserGroupMemberships", h, &b)
);

identity_list!(ListUserGroupMemberships, UserGroupMembership);

//! Identity models, camelCase on the wire and snake_case in Rust, as the API reference lists them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Free-form tags: `{"Department": "Finance"}`.
pub type FreeformTags = HashMap<String, String>;
/// Defined tags: `{"Operations": {"CostCenter": "42"}}`.
pub type DefinedTags = HashMap<String, HashMap<String, serde_json::Value>>;

/// Lifecycle of an IAM entity. Values this SDK does not know yet decode as `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LifecycleState {
    /// Being created.
    Creating,
    /// Usable.
    Active,
    /// Blocked; see `inactive_status`.
    Inactive,
    /// Being deleted.
    Deleting,
    /// Deleted.
    Deleted,
    /// A value added to the service after this SDK was built.
    #[serde(other)]
    Unknown,
}

/// A collection of users with the same access (`Group`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// OCID of the group.
    pub id: String,
    /// OCID of the tenancy containing the group.
    pub compartment_id: String,
    /// Unique, immutable name.
    pub name: String,
    /// Changeable description.
    pub description: String,
    /// Free-form tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeform_tags: Option<FreeformTags>,
    /// Defined tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defined_tags: Option<DefinedTags>,
    /// Lifecycle state.
    pub lifecycle_state: LifecycleState,
    /// Bit field of reasons the group is inactive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_status: Option<i64>,
    /// Creation time (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub time_created: OffsetDateTime,
}

/// Body of CreateGroup.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateGroupDetails {
    /// OCID of the tenancy.
    pub compartment_id: String,
    /// Name, unique across the tenancy; cannot be changed.
    pub name: String,
    /// Description (required by the API; may be empty).
    pub description: String,
    /// Free-form tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeform_tags: Option<FreeformTags>,
    /// Defined tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defined_tags: Option<DefinedTags>,
}

/// Body of UpdateGroup: only description and tags can change.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateGroupDetails {
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New free-form tags (replaces the set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeform_tags: Option<FreeformTags>,
    /// New defined tags (replaces the set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defined_tags: Option<DefinedTags>,
}

/// What a user may use to authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCapabilities {
    /// May sign in to the console with a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_use_console_password: Option<bool>,
    /// May use API keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_use_api_keys: Option<bool>,
    /// May use auth tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_use_auth_tokens: Option<bool>,
    /// May use SMTP credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_use_smtp_credentials: Option<bool>,
    /// May use database credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_use_db_credentials: Option<bool>,
    /// May use customer secret keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_use_customer_secret_keys: Option<bool>,
    /// May use OAuth 2.0 client credentials.
    #[serde(
        default,
        rename = "canUseOAuth2ClientCredentials",
        skip_serializing_if = "Option::is_none"
    )]
    pub can_use_o_auth2_client_credentials: Option<bool>,
}

/// An IAM user (`User`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// OCID of the user.
    pub id: String,
    /// OCID of the tenancy containing the user.
    pub compartment_id: String,
    /// Unique, immutable name.
    pub name: String,
    /// Changeable description.
    pub description: String,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the email address has been verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Database user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_user_name: Option<String>,
    /// OCID of the identity provider of a federated user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_provider_id: Option<String>,
    /// Identifier of a federated user at its identity provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_identifier: Option<String>,
    /// Creation time (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub time_created: OffsetDateTime,
    /// Lifecycle state.
    pub lifecycle_state: LifecycleState,
    /// Bit field of reasons the user is inactive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_status: Option<i64>,
    /// Free-form tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeform_tags: Option<FreeformTags>,
    /// Defined tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defined_tags: Option<DefinedTags>,
    /// What the user may authenticate with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<UserCapabilities>,
    /// Whether MFA is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_mfa_activated: Option<bool>,
    /// Last successful console login.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_successful_login_time: Option<OffsetDateTime>,
    /// The login before the last one.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous_successful_login_time: Option<OffsetDateTime>,
}

/// Body of CreateUser.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateUserDetails {
    /// OCID of the tenancy.
    pub compartment_id: String,
    /// Name, unique across the tenancy; cannot be changed.
    pub name: String,
    /// Description (required by the API; may be empty).
    pub description: String,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Free-form tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeform_tags: Option<FreeformTags>,
    /// Defined tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defined_tags: Option<DefinedTags>,
}

/// Body of UpdateUser.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateUserDetails {
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// New free-form tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeform_tags: Option<FreeformTags>,
    /// New defined tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defined_tags: Option<DefinedTags>,
}

/// A user's membership of a group (`UserGroupMembership`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserGroupMembership {
    /// OCID of the membership.
    pub id: String,
    /// OCID of the tenancy.
    pub compartment_id: String,
    /// OCID of the group.
    pub group_id: String,
    /// OCID of the user.
    pub user_id: String,
    /// Creation time (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub time_created: OffsetDateTime,
    /// Lifecycle state.
    pub lifecycle_state: LifecycleState,
    /// Bit field of reasons the membership is inactive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_status: Option<i64>,
}

/// Body of AddUserToGroup.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddUserToGroupDetails {
    /// OCID of the user.
    pub user_id: String,
    /// OCID of the group.
    pub group_id: String,
}

/// Sort field of list operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// By creation time (default order: newest first).
    TimeCreated,
    /// By name (default order: ascending).
    Name,
}

impl SortBy {
    /// Wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::TimeCreated => "TIMECREATED",
            SortBy::Name => "NAME",
        }
    }
}

/// Sort direction of list operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

impl SortOrder {
    /// Wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        }
    }
}

impl LifecycleState {
    /// Wire value (for filters).
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleState::Creating => "CREATING",
            LifecycleState::Active => "ACTIVE",
            LifecycleState::Inactive => "INACTIVE",
            LifecycleState::Deleting => "DELETING",
            LifecycleState::Deleted => "DELETED",
            LifecycleState::Unknown => "UNKNOWN",
        }
    }
}

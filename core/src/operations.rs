//! The one list of operations each transport exposes as methods.
//!
//! A transport defines a macro that turns `name(Request) -> Output;` entries into methods of its
//! flavour (blocking, async, …) and hands it to these lists, so a new operation added here
//! appears on every transport at once, under the same name.

/// Calls `$m! { … }` with every Identity operation as `/// doc` `method(Request) -> Output;`.
#[macro_export]
macro_rules! identity_operations {
    ($m:ident) => {
        $m! {
            /// CreateGroup: creates a group in the tenancy.
            create_group($crate::identity::CreateGroup) -> $crate::identity::Group;
            /// GetGroup: one group by OCID.
            get_group($crate::identity::GetGroup) -> $crate::identity::Group;
            /// UpdateGroup: changes a group's description or tags.
            update_group($crate::identity::UpdateGroup) -> $crate::identity::Group;
            /// ListGroups: one page of groups (see `paginate` for all of them).
            list_groups($crate::identity::ListGroups) -> Vec<$crate::identity::Group>;
            /// DeleteGroup: deletes a group without members.
            delete_group($crate::identity::DeleteGroup) -> ();
            /// CreateUser: creates a user in the tenancy.
            create_user($crate::identity::CreateUser) -> $crate::identity::User;
            /// GetUser: one user by OCID.
            get_user($crate::identity::GetUser) -> $crate::identity::User;
            /// UpdateUser: changes a user's description, email or tags.
            update_user($crate::identity::UpdateUser) -> $crate::identity::User;
            /// ListUsers: one page of users (see `paginate` for all of them).
            list_users($crate::identity::ListUsers) -> Vec<$crate::identity::User>;
            /// DeleteUser: deletes a user who belongs to no group.
            delete_user($crate::identity::DeleteUser) -> ();
            /// AddUserToGroup: makes a user a member of a group.
            add_user_to_group($crate::identity::AddUserToGroup) -> $crate::identity::UserGroupMembership;
            /// GetUserGroupMembership: one membership by OCID.
            get_user_group_membership($crate::identity::GetUserGroupMembership) -> $crate::identity::UserGroupMembership;
            /// ListUserGroupMemberships: one page of memberships.
            list_user_group_memberships($crate::identity::ListUserGroupMemberships) -> Vec<$crate::identity::UserGroupMembership>;
            /// RemoveUserFromGroup: deletes a membership.
            remove_user_from_group($crate::identity::RemoveUserFromGroup) -> ();
        }
    };
}

/// Calls `$m! { … }` with every Object Storage operation whose bodies fit in memory (PutObject
/// and GetObject stream, so each transport writes those two by hand).
#[macro_export]
macro_rules! object_storage_operations {
    ($m:ident) => {
        $m! {
            /// GetNamespace: the tenancy's Object Storage namespace.
            get_namespace($crate::object_storage::GetNamespace) -> String;
            /// CreateBucket: creates a bucket.
            create_bucket($crate::object_storage::CreateBucket) -> $crate::object_storage::Bucket;
            /// GetBucket: a bucket's properties.
            get_bucket($crate::object_storage::GetBucket) -> $crate::object_storage::Bucket;
            /// HeadBucket: whether a bucket exists (and its etag, in the response headers).
            head_bucket($crate::object_storage::HeadBucket) -> ();
            /// ListBuckets: one page of buckets (see `paginate` for all of them).
            list_buckets($crate::object_storage::ListBuckets) -> Vec<$crate::object_storage::BucketSummary>;
            /// DeleteBucket: deletes an empty bucket.
            delete_bucket($crate::object_storage::DeleteBucket) -> ();
            /// HeadObject: an object's metadata without its body.
            head_object($crate::object_storage::HeadObject) -> $crate::object_storage::ObjectMetadata;
            /// DeleteObject: deletes an object.
            delete_object($crate::object_storage::DeleteObject) -> ();
            /// ListObjects: one page of objects (see `paginate` for all of them).
            list_objects($crate::object_storage::ListObjects) -> $crate::object_storage::models::ListObjects;
        }
    };
}

"""The OCI quickstart walkthrough with the official Python SDK, against ocisdk-emulator.

Proves the emulator speaks the real protocol: the official SDK signs, serialises and paginates
on its own, and every step must succeed.

usage: python quickstart.py CONFIG_FILE ENDPOINT [USERS]
"""
import hashlib
import sys
import time

import oci


def main():
    config_file, endpoint = sys.argv[1], sys.argv[2]
    n_users = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    config = oci.config.from_file(config_file, "DEFAULT")
    oci.config.validate_config(config)
    tenancy = config["tenancy"]
    suffix = format(time.time_ns() & 0xFFFFFFFF, "x")
    checks = 0

    identity = oci.identity.IdentityClient(config, service_endpoint=endpoint)
    group = identity.create_group(oci.identity.models.CreateGroupDetails(
        compartment_id=tenancy, name=f"py-group-{suffix}", description="python quickstart")).data
    assert group.lifecycle_state == "ACTIVE", group
    print("created group", group.id)
    user_ids = []
    for i in range(n_users):
        user = identity.create_user(oci.identity.models.CreateUserDetails(
            compartment_id=tenancy, name=f"py-user-{suffix}-{i}", description="python quickstart",
            email=f"py{i}@example.com")).data
        user_ids.append(user.id)
    print("created", len(user_ids), "users")
    membership = identity.add_user_to_group(oci.identity.models.AddUserToGroupDetails(
        user_id=user_ids[0], group_id=group.id)).data
    assert membership.user_id == user_ids[0] and membership.group_id == group.id
    got = identity.get_user_group_membership(membership.id).data
    assert got.id == membership.id
    checks += 3

    # Paginated listing: the emulator pages small, so this crosses several pages.
    first = identity.list_users(tenancy)
    assert first.has_next_page, "expected more than one page of users"
    all_users = oci.pagination.list_call_get_all_results(identity.list_users, tenancy).data
    listed = {u.id for u in all_users}
    assert set(user_ids) <= listed, "paginated list misses users"
    assert len(all_users) == len(listed), "paginated list has duplicates"
    memberships = oci.pagination.list_call_get_all_results(
        identity.list_user_group_memberships, tenancy, group_id=group.id).data
    assert [m.id for m in memberships] == [membership.id]
    print("listed", len(all_users), "users across pages")
    checks += 2

    # A user in a group can't be deleted.
    try:
        identity.delete_user(user_ids[0])
        raise AssertionError("deleting a user with a membership succeeded")
    except oci.exceptions.ServiceError as e:
        assert e.status == 409, e
    updated = identity.update_group(group.id, oci.identity.models.UpdateGroupDetails(
        description="updated")).data
    assert updated.description == "updated"
    checks += 2

    assert identity.remove_user_from_group(membership.id).status == 204
    for uid in user_ids:
        assert identity.delete_user(uid).status == 204
    assert identity.delete_group(group.id).status == 204
    try:
        identity.get_group(group.id)
        raise AssertionError("deleted group still found")
    except oci.exceptions.ServiceError as e:
        assert e.status == 404, e
    checks += 2
    print("identity walkthrough done")

    object_storage = oci.object_storage.ObjectStorageClient(config, service_endpoint=endpoint)
    namespace = object_storage.get_namespace().data
    assert namespace, "empty namespace"
    bucket_name = f"py-bucket-{suffix}"
    bucket = object_storage.create_bucket(namespace, oci.object_storage.models.CreateBucketDetails(
        name=bucket_name, compartment_id=tenancy)).data
    assert bucket.name == bucket_name
    names = []
    for i in range(7):
        name = f"dir/obj {i}+(x).txt"
        body = f"object {i} ".encode() * 100
        resp = object_storage.put_object(namespace, bucket_name, name, body,
                                         content_md5=None)
        assert resp.status == 200
        got = object_storage.get_object(namespace, bucket_name, name)
        assert got.data.content == body, "object read back differs"
        names.append(name)
    head = object_storage.head_object(namespace, bucket_name, names[0])
    assert int(head.headers["content-length"]) == len(b"object 0 " * 100)
    listed = oci.pagination.list_call_get_all_results(
        object_storage.list_objects, namespace, bucket_name, fields="name,size,md5").data.objects
    assert sorted(o.name for o in listed) == sorted(names), [o.name for o in listed]
    checks += 4

    big = bytes(range(256)) * 4096  # 1 MiB
    object_storage.put_object(namespace, bucket_name, "big.bin", big)
    data = object_storage.get_object(namespace, bucket_name, "big.bin").data.content
    assert hashlib.md5(data).digest() == hashlib.md5(big).digest()
    checks += 1

    try:
        object_storage.delete_bucket(namespace, bucket_name)
        raise AssertionError("deleting a non-empty bucket succeeded")
    except oci.exceptions.ServiceError as e:
        assert e.status == 409, e
    for name in names + ["big.bin"]:
        assert object_storage.delete_object(namespace, bucket_name, name).status == 204
    assert object_storage.delete_bucket(namespace, bucket_name).status == 204
    checks += 2
    print("object storage walkthrough done")
    print(f"python-sdk: {checks} passed, 0 failed")


if __name__ == "__main__":
    main()

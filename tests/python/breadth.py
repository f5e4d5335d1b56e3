"""The official Python SDK across what ocisdk-emulator serves beyond the quickstart.

For every conventional Identity resource the emulator serves from the API model: create, get,
list (across pages where the API pages), update and delete, with the SDK's own models,
paginators and waiters; then the Object Storage features (pre-authenticated requests used
unsigned, versions, rename, copy and its work request, UpdateBucket, lifecycle policy, retention
rules, a 501) and Secrets. Every step must succeed as written: the official SDK signs, serialises
and deserialises on its own, so this proves the emulator speaks the real protocol.

usage: python breadth.py CONFIG_FILE ENDPOINT VAULT_ID SECRET_NAME
  (the emulator started with --secret SECRET_NAME=first --secret SECRET_NAME=second)
"""
import base64
import datetime
import sys
import time
import urllib.error
import urllib.request

import oci
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

M = oci.identity.models
OS = oci.object_storage.models
CHECKS = []


def check(what):
    CHECKS.append(what)


def status_of(call, *args, **kwargs):
    """The HTTP status of a call that must fail, and its service error code."""
    try:
        call(*args, **kwargs)
    except oci.exceptions.ServiceError as e:
        return e.status, e.code
    raise AssertionError(f"{call.__name__} succeeded but must fail")


def crud(kind, create, get, list_all, update, delete, n, paginated, list_first=None):
    """Create n records, get each, list them (across pages when the API pages), update one,
    delete them all; returns the created records."""
    made = [create(i) for i in range(n)]
    ids = [getattr(m, "id", None) or getattr(m, "fingerprint", None) for m in made]
    assert all(m.lifecycle_state in ("ACTIVE", None) for m in made), made
    if get:
        for m, i in zip(made, ids):
            got = get(m)
            assert (getattr(got, "id", None) or got.fingerprint) == i, (kind, got)
    listed = list_all()
    listed_ids = [getattr(x, "id", None) or getattr(x, "fingerprint", None) for x in listed]
    assert set(ids) <= set(listed_ids), (kind, ids, listed_ids)
    assert len(listed_ids) == len(set(listed_ids)), f"{kind}: duplicates across pages"
    if paginated and list_first:
        assert list_first().has_next_page, f"{kind}: {n} records should take more than one page"
    if update:
        updated = update(made[0])
        assert (getattr(updated, "id", None) or updated.fingerprint) == ids[0]
    if delete:
        for m in made:
            delete(m)
    steps = [f"create {n}", "get" if get else None, "list" + (" (pages)" if paginated else ""),
             "update" if update else None, "delete" if delete else None]
    check(f"{kind}: " + ", ".join(s for s in steps if s))
    return made


def identity_breadth(identity, config, endpoint, tenancy, suffix):
    page = dict(compartment_id=tenancy)
    all_of = oci.pagination.list_call_get_all_results
    composite = oci.identity.IdentityClientCompositeOperations(identity)

    # Compartments: nested, names unique per parent, a non-empty one stays, deletes are work
    # requests that leave it DELETED.
    parents = crud(
        "compartment",
        lambda i: identity.create_compartment(M.CreateCompartmentDetails(
            compartment_id=tenancy, name=f"py-c{i}-{suffix}", description="breadth")).data,
        lambda c: identity.get_compartment(c.id).data,
        lambda: all_of(identity.list_compartments, tenancy).data,
        lambda c: identity.update_compartment(c.id, M.UpdateCompartmentDetails(
            description="changed", name=f"{c.name}-renamed")).data,
        None, 4, True, lambda: identity.list_compartments(tenancy))
    child = identity.create_compartment(M.CreateCompartmentDetails(
        compartment_id=parents[1].id, name=f"py-c1-{suffix}", description="same name, other parent")).data
    assert child.compartment_id == parents[1].id
    tree = all_of(identity.list_compartments, tenancy, compartment_id_in_subtree=True,
                  access_level="ANY").data
    assert child.id in {c.id for c in tree}
    assert child.id not in {c.id for c in all_of(identity.list_compartments, tenancy).data}
    assert status_of(identity.create_compartment, M.CreateCompartmentDetails(
        compartment_id=tenancy, name=f"py-c2-{suffix}", description="taken")) == (409, "CompartmentAlreadyExists")
    assert status_of(identity.delete_compartment, parents[1].id)[0] == 409
    identity.delete_compartment(child.id)
    for c in parents:
        composite.delete_compartment_and_wait_for_state(
            c.id, wait_for_states=["SUCCEEDED"], waiter_kwargs={"max_interval_seconds": 1})
        assert identity.get_compartment(c.id).data.lifecycle_state == "DELETED"
    check("compartment: nesting, subtree list, 409 on a non-empty delete, delete work request")

    crud("policy",
         lambda i: identity.create_policy(M.CreatePolicyDetails(
             compartment_id=tenancy, name=f"py-p{i}-{suffix}", description="",
             statements=["Allow group Admins to manage all-resources in tenancy"])).data,
         lambda p: identity.get_policy(p.id).data,
         lambda: all_of(identity.list_policies, tenancy).data,
         lambda p: identity.update_policy(p.id, M.UpdatePolicyDetails(
             statements=["Allow group Admins to read all-resources in tenancy"])).data,
         lambda p: identity.delete_policy(p.id), 4, True, lambda: identity.list_policies(tenancy))

    crud("dynamic group",
         lambda i: identity.create_dynamic_group(M.CreateDynamicGroupDetails(
             compartment_id=tenancy, name=f"py-dg{i}-{suffix}", description="",
             matching_rule=f"instance.compartment.id = '{tenancy}'")).data,
         lambda g: identity.get_dynamic_group(g.id).data,
         lambda: all_of(identity.list_dynamic_groups, tenancy).data,
         lambda g: identity.update_dynamic_group(g.id, M.UpdateDynamicGroupDetails(description="x")).data,
         lambda g: identity.delete_dynamic_group(g.id), 4, True,
         lambda: identity.list_dynamic_groups(tenancy))

    crud("network source",
         lambda i: identity.create_network_source(M.CreateNetworkSourceDetails(
             compartment_id=tenancy, name=f"py-ns{i}-{suffix}", description="",
             public_source_list=["192.0.2.0/24"])).data,
         lambda s: identity.get_network_source(s.id).data,
         lambda: all_of(identity.list_network_sources, tenancy).data,
         lambda s: identity.update_network_source(s.id, M.UpdateNetworkSourceDetails(
             public_source_list=["198.51.100.0/24"])).data,
         lambda s: identity.delete_network_source(s.id), 4, True,
         lambda: identity.list_network_sources(tenancy))

    # Identity providers (a polymorphic model) and their group mappings.
    idps = crud(
        "identity provider",
        lambda i: identity.create_identity_provider(M.CreateSaml2IdentityProviderDetails(
            compartment_id=tenancy, name=f"py-idp{i}-{suffix}", description="", product_type="IDCS",
            protocol="SAML2", metadata_url="https://idcs.example/fed", metadata="<xml/>")).data,
        lambda p: identity.get_identity_provider(p.id).data,
        lambda: all_of(identity.list_identity_providers, "SAML2", tenancy).data,
        lambda p: identity.update_identity_provider(p.id, M.UpdateSaml2IdentityProviderDetails(
            description="changed")).data,
        None, 4, True, lambda: identity.list_identity_providers("SAML2", tenancy))
    assert isinstance(idps[0], M.Saml2IdentityProvider), type(idps[0])
    group = identity.create_group(M.CreateGroupDetails(
        compartment_id=tenancy, name=f"py-idp-group-{suffix}", description="")).data
    idp = idps[0].id
    crud("idp group mapping",
         lambda i: identity.create_idp_group_mapping(M.CreateIdpGroupMappingDetails(
             idp_group_name=f"idp-group-{i}", group_id=group.id), idp).data,
         lambda m: identity.get_idp_group_mapping(idp, m.id).data,
         lambda: all_of(identity.list_idp_group_mappings, idp).data,
         lambda m: identity.update_idp_group_mapping(idp, m.id, M.UpdateIdpGroupMappingDetails(
             idp_group_name="renamed")).data,
         lambda m: identity.delete_idp_group_mapping(idp, m.id), 4, True,
         lambda: identity.list_idp_group_mappings(idp))
    for p in idps:
        identity.delete_identity_provider(p.id)
    identity.delete_group(group.id)

    # Tags: namespaces, tags (retired before deleted), tag defaults.
    namespaces = crud(
        "tag namespace",
        lambda i: identity.create_tag_namespace(M.CreateTagNamespaceDetails(
            compartment_id=tenancy, name=f"py-tns{i}-{suffix}", description="")).data,
        lambda t: identity.get_tag_namespace(t.id).data,
        lambda: all_of(identity.list_tag_namespaces, tenancy).data,
        lambda t: identity.update_tag_namespace(t.id, M.UpdateTagNamespaceDetails(description="x")).data,
        None, 4, True, lambda: identity.list_tag_namespaces(tenancy))
    ns_id = namespaces[0].id
    tags = crud(
        "tag",
        lambda i: identity.create_tag(ns_id, M.CreateTagDetails(name=f"Tag{i}", description="")).data,
        lambda t: identity.get_tag(ns_id, t.name).data,
        lambda: all_of(identity.list_tags, ns_id).data,
        lambda t: identity.update_tag(ns_id, t.name, M.UpdateTagDetails(description="x")).data,
        None, 4, True, lambda: identity.list_tags(ns_id))
    assert tags[0].tag_namespace_name == namespaces[0].name
    crud("tag default",
         lambda i: identity.create_tag_default(M.CreateTagDefaultDetails(
             compartment_id=tenancy, tag_definition_id=tags[i].id, value=f"v{i}")).data,
         lambda d: identity.get_tag_default(d.id).data,
         lambda: all_of(identity.list_tag_defaults, compartment_id=tenancy).data,
         lambda d: identity.update_tag_default(d.id, M.UpdateTagDefaultDetails(value="w")).data,
         lambda d: identity.delete_tag_default(d.id), 4, True,
         lambda: identity.list_tag_defaults(compartment_id=tenancy))
    assert status_of(identity.delete_tag_namespace, ns_id)[0] == 409
    assert status_of(identity.delete_tag, ns_id, tags[0].name)[0] == 409
    for t in tags:
        identity.update_tag(ns_id, t.name, M.UpdateTagDetails(is_retired=True))
        identity.delete_tag(ns_id, t.name)
    for t in namespaces:
        identity.delete_tag_namespace(t.id)
    check("tags: a namespace with tags and an unretired tag refuse deletion")

    # A user's credentials.
    user = identity.create_user(M.CreateUserDetails(
        compartment_id=tenancy, name=f"py-cred-user-{suffix}", description="")).data
    uid = user.id
    tokens = crud(
        "auth token",
        lambda i: identity.create_auth_token(M.CreateAuthTokenDetails(description=f"t{i}"), uid).data,
        None, lambda: identity.list_auth_tokens(uid).data,
        lambda t: identity.update_auth_token(uid, t.id, M.UpdateAuthTokenDetails(description="x")).data,
        lambda t: identity.delete_auth_token(uid, t.id), 2, False)
    assert tokens[0].token, "an auth token's value is shown by its create"
    crud("customer secret key",
         lambda i: identity.create_customer_secret_key(
             M.CreateCustomerSecretKeyDetails(display_name=f"k{i}"), uid).data,
         None, lambda: identity.list_customer_secret_keys(uid).data,
         lambda k: identity.update_customer_secret_key(
             uid, k.id, M.UpdateCustomerSecretKeyDetails(display_name="x")).data,
         lambda k: identity.delete_customer_secret_key(uid, k.id), 2, False)
    crud("smtp credential",
         lambda i: identity.create_smtp_credential(M.CreateSmtpCredentialDetails(description=f"s{i}"), uid).data,
         None, lambda: identity.list_smtp_credentials(uid).data,
         lambda s: identity.update_smtp_credential(uid, s.id, M.UpdateSmtpCredentialDetails(description="x")).data,
         lambda s: identity.delete_smtp_credential(uid, s.id), 2, False)
    crud("swift password",
         lambda i: identity.create_swift_password(M.CreateSwiftPasswordDetails(description=f"w{i}"), uid).data,
         None, lambda: identity.list_swift_passwords(uid).data,
         lambda s: identity.update_swift_password(uid, s.id, M.UpdateSwiftPasswordDetails(description="x")).data,
         lambda s: identity.delete_swift_password(uid, s.id), 2, False)
    crud("db credential",
         lambda i: identity.create_db_credential(
             M.CreateDbCredentialDetails(password="Secret-Passw0rd", description=f"d{i}"), uid).data,
         None, lambda: all_of(identity.list_db_credentials, uid).data,
         None, lambda d: identity.delete_db_credential(uid, d.id), 4, True,
         lambda: identity.list_db_credentials(uid))
    scope = M.FullyQualifiedScope(audience="urn:opc:idm:__myscopes__", scope="/admin")
    crud("oauth client credential",
         lambda i: identity.create_o_auth_client_credential(uid, M.CreateOAuth2ClientCredentialDetails(
             name=f"oc{i}", description="", scopes=[scope])).data,
         None, lambda: all_of(identity.list_o_auth_client_credentials, uid).data,
         lambda o: identity.update_o_auth_client_credential(uid, o.id, M.UpdateOAuth2ClientCredentialDetails(
             description="x", scopes=[scope])).data,
         lambda o: identity.delete_o_auth_client_credential(uid, o.id), 4, True,
         lambda: identity.list_o_auth_client_credentials(uid))
    crud("mfa totp device",
         lambda i: identity.create_mfa_totp_device(uid).data,
         lambda d: identity.get_mfa_totp_device(uid, d.id).data,
         lambda: all_of(identity.list_mfa_totp_devices, uid).data,
         None, lambda d: identity.delete_mfa_totp_device(uid, d.id), 4, True,
         lambda: identity.list_mfa_totp_devices(uid))

    # API keys: an uploaded key signs, a deleted one no longer does.
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]
    pems = [k.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
            for k in keys]
    uploaded = crud(
        "api key",
        lambda i: identity.upload_api_key(uid, M.CreateApiKeyDetails(key=pems[i])).data,
        None, lambda: identity.list_api_keys(uid).data, None, None, 3, False)
    assert status_of(identity.upload_api_key, uid, M.CreateApiKeyDetails(key=pems[0]))[0] == 409
    private = keys[0].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    as_user = oci.identity.IdentityClient(
        {"tenancy": tenancy, "user": uid, "fingerprint": uploaded[0].fingerprint,
         "key_content": private, "region": config["region"]},
        service_endpoint=endpoint)
    assert as_user.get_user(uid).data.id == uid
    for k in uploaded:
        identity.delete_api_key(uid, k.fingerprint)
    assert status_of(as_user.get_user, uid)[0] == 401
    identity.delete_user(uid)
    check("api key: the uploaded key signs, the deleted key is refused")


def unsigned(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def object_storage_breadth(config, endpoint, tenancy, suffix):
    client = oci.object_storage.ObjectStorageClient(config, service_endpoint=endpoint)
    composite = oci.object_storage.ObjectStorageClientCompositeOperations(client)
    ns = client.get_namespace().data
    all_of = oci.pagination.list_call_get_all_results
    bucket = f"py-breadth-{suffix}"
    client.create_bucket(ns, OS.CreateBucketDetails(name=bucket, compartment_id=tenancy))

    # UpdateBucket: tags, then versioning.
    b = client.update_bucket(ns, bucket, OS.UpdateBucketDetails(
        freeform_tags={"team": "core"}, versioning="Enabled")).data
    assert b.freeform_tags == {"team": "core"} and b.versioning == "Enabled"
    check("UpdateBucket")

    # Versions.
    v1 = client.put_object(ns, bucket, "doc.txt", b"one").headers["version-id"]
    v2 = client.put_object(ns, bucket, "doc.txt", b"two").headers["version-id"]
    assert client.get_object(ns, bucket, "doc.txt").data.content == b"two"
    assert client.get_object(ns, bucket, "doc.txt", version_id=v1).data.content == b"one"
    deleted = client.delete_object(ns, bucket, "doc.txt")
    assert deleted.headers["is-delete-marker"] == "true"
    versions = all_of(client.list_object_versions, ns, bucket).data
    assert [v.version_id for v in versions][1:] == [v2, v1], versions
    assert versions[0].is_delete_marker
    client.delete_object(ns, bucket, "doc.txt", version_id=versions[0].version_id)
    assert client.get_object(ns, bucket, "doc.txt").data.content == b"two"
    check("versions: version ids, delete markers, ListObjectVersions, reads and deletes by versionId")

    # Rename.
    client.rename_object(ns, bucket, OS.RenameObjectDetails(source_name="doc.txt", new_name="renamed.txt"))
    assert client.get_object(ns, bucket, "renamed.txt").data.content == b"two"
    check("RenameObject")

    # Copy as a work request, waited for with the SDK's own waiter.
    dest = f"{bucket}-copy"
    client.create_bucket(ns, OS.CreateBucketDetails(name=dest, compartment_id=tenancy))
    done = composite.copy_object_and_wait_for_state(ns, bucket, OS.CopyObjectDetails(
        source_object_name="renamed.txt", destination_region=config["region"], destination_namespace=ns,
        destination_bucket=dest, destination_object_name="copy.txt"),
        wait_for_states=["COMPLETED", "FAILED"], waiter_kwargs={"max_interval_seconds": 1}).data
    assert done.status == "COMPLETED", done
    assert client.get_object(ns, dest, "copy.txt").data.content == b"two"
    assert done.id in {w.id for w in all_of(client.list_work_requests, tenancy).data}
    check("CopyObject: work request COMPLETED (copy_object_and_wait_for_state), ListWorkRequests")

    # Pre-authenticated requests, used without a signature.
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    pars = [client.create_preauthenticated_request(ns, dest, OS.CreatePreauthenticatedRequestDetails(
        name=f"par{i}", object_name="copy.txt", access_type="ObjectReadWrite", time_expires=expires)).data
        for i in range(4)]
    assert unsigned("GET", endpoint + pars[0].access_uri) == (200, b"two")
    assert unsigned("PUT", endpoint + pars[0].access_uri, b"via par")[0] == 200
    assert client.get_object(ns, dest, "copy.txt").data.content == b"via par"
    assert client.get_preauthenticated_request(ns, dest, pars[1].id).data.name == "par1"
    assert client.list_preauthenticated_requests(ns, dest).has_next_page
    assert len(all_of(client.list_preauthenticated_requests, ns, dest).data) == 4
    for p in pars:
        client.delete_preauthenticated_request(ns, dest, p.id)
    assert unsigned("GET", endpoint + pars[0].access_uri)[0] == 404
    check("pre-authenticated requests: create, get, list, delete; the access URI works unsigned until deleted")

    # Lifecycle policy (stored) and retention rules (enforced) on an unversioned bucket.
    rule = OS.ObjectLifecycleRule(name="expire", action="DELETE", time_amount=30, time_unit="DAYS",
                                  is_enabled=True)
    client.put_object_lifecycle_policy(ns, dest, OS.PutObjectLifecyclePolicyDetails(items=[rule]))
    assert client.get_object_lifecycle_policy(ns, dest).data.items[0].name == "expire"
    client.delete_object_lifecycle_policy(ns, dest)
    assert status_of(client.get_object_lifecycle_policy, ns, dest)[0] == 404
    check("object lifecycle policy: put, get, delete")
    held = client.create_retention_rule(ns, dest, OS.CreateRetentionRuleDetails(
        display_name="hold", duration=OS.Duration(time_amount=1, time_unit="DAYS"))).data
    assert status_of(client.delete_object, ns, dest, "copy.txt")[0] == 409
    assert status_of(client.put_object, ns, dest, "copy.txt", b"again")[0] == 409
    assert client.list_retention_rules(ns, dest).data.items[0].id == held.id
    client.update_retention_rule(ns, dest, held.id, OS.UpdateRetentionRuleDetails(display_name="hold2"))
    assert client.get_retention_rule(ns, dest, held.id).data.display_name == "hold2"
    client.delete_retention_rule(ns, dest, held.id)
    check("retention rules: create, get, list, update, delete; a held object refuses overwrite and delete")

    assert status_of(client.reencrypt_bucket, ns, dest) == (501, "NotImplemented")
    check("ReencryptBucket answers 501")

    client.delete_object(ns, dest, "copy.txt")
    client.delete_bucket(ns, dest)
    for v in all_of(client.list_object_versions, ns, bucket).data:
        client.delete_object(ns, bucket, v.name, version_id=v.version_id)
    client.delete_bucket(ns, bucket)


def secrets_breadth(config, endpoint, vault, name):
    secrets = oci.secrets.SecretsClient(config, service_endpoint=endpoint)
    current = secrets.get_secret_bundle_by_name(name, vault).data
    assert base64.b64decode(current.secret_bundle_content.content) == b"second"
    assert "CURRENT" in current.stages and current.version_number == 2
    previous = secrets.get_secret_bundle(current.secret_id, stage="PREVIOUS").data
    assert base64.b64decode(previous.secret_bundle_content.content) == b"first"
    versions = oci.pagination.list_call_get_all_results(
        secrets.list_secret_bundle_versions, current.secret_id).data
    assert [v.version_number for v in versions] == [1, 2]
    assert status_of(secrets.get_secret_bundle_by_name, "no-such-secret", vault)[0] == 404
    check("secrets: GetSecretBundleByName, GetSecretBundle by stage, ListSecretBundleVersions")


def main():
    config_file, endpoint, vault, secret_name = sys.argv[1:5]
    config = oci.config.from_file(config_file, "DEFAULT")
    oci.config.validate_config(config)
    tenancy = config["tenancy"]
    suffix = format(time.time_ns() & 0xFFFFFFFF, "x")
    started = time.monotonic()
    identity = oci.identity.IdentityClient(config, service_endpoint=endpoint)
    identity_breadth(identity, config, endpoint, tenancy, suffix)
    object_storage_breadth(config, endpoint, tenancy, suffix)
    secrets_breadth(config, endpoint, vault, secret_name)
    for c in CHECKS:
        print("ok:", c)
    print(f"python-sdk breadth: {len(CHECKS)} passed, 0 failed in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()

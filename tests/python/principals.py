"""The official Python SDK's token principals against ocisdk-emulator: its resource-principal
signers (2.2, files and values; 2.1.1, through the emulator's token endpoints) and its
instance-principal signer obtain and use their tokens from the emulator, and real calls signed
with them succeed.

Proves the emulator speaks the real flows, not only ocisdk's reading of them: the RPST the
emulator issued verifies when the official signer sends it (its claims read as the SDK reads
them), and the official instance-principal signer's IMDS reads and federation (keyId
`<tenancy>/fed-x509/<SHA-1>`, where ocisdk signs `fed-x509-sha256/<SHA-256>`) are served.

usage: python principals.py ENDPOINT TENANCY RPST_FILE RP_KEY_FILE REGION
(the emulator binary prints all of them when it writes its state directory)
"""
import os
import sys
import tempfile
import time

import oci
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def expect_status(status, call):
    try:
        call()
    except oci.exceptions.ServiceError as e:
        assert e.status == status, e
        return
    raise AssertionError(f"expected {status}, the call succeeded")


def walk(name, signer, endpoint, tenancy, suffix):
    """The calls a principal may make: read, list, create, delete in Identity and Object
    Storage. Returns how many checks passed."""
    # The emulator's region is its own; the endpoint is given, so no region is needed.
    identity = oci.identity.IdentityClient({}, signer=signer, service_endpoint=endpoint)
    storage = oci.object_storage.ObjectStorageClient({}, signer=signer, service_endpoint=endpoint)
    users = oci.pagination.list_call_get_all_results(identity.list_users, tenancy).data
    group = identity.create_group(oci.identity.models.CreateGroupDetails(
        compartment_id=tenancy, name=f"py-{name}-{suffix}", description=f"python {name}")).data
    assert group.lifecycle_state == "ACTIVE", group
    assert identity.get_group(group.id).data.name == group.name
    identity.delete_group(group.id)
    namespace = storage.get_namespace().data
    bucket = f"py-{name}-{suffix}"
    storage.create_bucket(namespace, oci.object_storage.models.CreateBucketDetails(
        name=bucket, compartment_id=tenancy))
    storage.put_object(namespace, bucket, "hello.txt", b"hello from " + name.encode())
    got = storage.get_object(namespace, bucket, "hello.txt").data.content
    assert got == b"hello from " + name.encode(), got
    storage.delete_object(namespace, bucket, "hello.txt")
    storage.delete_bucket(namespace, bucket)
    print(f"{name}: listed {len(users)} users, created and deleted a group, "
          f"a bucket and an object in namespace {namespace}")
    return 6


def resource_principal(endpoint, tenancy, rpst_file, key_file, region, suffix):
    checks = 0
    rp_vars = {
        "OCI_RESOURCE_PRINCIPAL_VERSION": "2.2",
        "OCI_RESOURCE_PRINCIPAL_RPST": rpst_file,
        "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": key_file,
        "OCI_RESOURCE_PRINCIPAL_REGION": region,
    }
    # Paths, as a platform that renews the files gives them.
    os.environ.update(rp_vars)
    signer = oci.auth.signers.get_resource_principals_signer()
    assert signer.tenancy_id == tenancy, (signer.tenancy_id, tenancy)
    assert signer.compartment_id == "ocid1.compartment.oc1..emulator", signer.compartment_id
    assert signer.get_claim("res_type") == "fnfunc"
    checks += 3
    checks += walk("rp-files", signer, endpoint, tenancy, suffix)

    # Values, as a short-lived program is given them.
    with open(rpst_file) as f:
        token = f.read()
    with open(key_file) as f:
        pem = f.read()
    os.environ["OCI_RESOURCE_PRINCIPAL_RPST"] = token
    os.environ["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"] = pem
    signer = oci.auth.signers.get_resource_principals_signer()
    checks += walk("rp-values", signer, endpoint, tenancy, suffix)

    # The token is bound to its key: the same token with another key is refused (401), so the
    # emulator checks the RPST's binding, not only its presence.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_pem = other.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption()).decode()
    os.environ["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"] = other_pem
    signer = oci.auth.signers.get_resource_principals_signer()
    identity = oci.identity.IdentityClient({}, signer=signer, service_endpoint=endpoint,
                                           retry_strategy=oci.retry.NoneRetryStrategy())
    expect_status(401, lambda: identity.list_users(tenancy))
    checks += 1
    print("resource principal: a token signed with another key is refused (401)")
    for var in rp_vars:
        os.environ.pop(var, None)

    # Version 2.1.1: the official signer asks the emulator's token endpoints itself (a
    # resource principal token, then the RPST), signed as resource/v2.1.1/<tenancy>/<resource>.
    v211 = {
        "OCI_RESOURCE_PRINCIPAL_VERSION": "2.1.1",
        "OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT": endpoint,
        "OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT": endpoint,
        "OCI_RESOURCE_PRINCIPAL_RESOURCE_ID": "ocid1.fnfunc.oc1..emulator",
        "OCI_RESOURCE_PRINCIPAL_TENANCY_ID": tenancy,
        "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": key_file,
        "OCI_RESOURCE_PRINCIPAL_REGION": region,
    }
    os.environ.update(v211)
    signer = oci.auth.signers.get_resource_principals_signer()
    first = signer.security_token.security_token
    checks += walk("rp-v211", signer, endpoint, tenancy, suffix)
    assert signer.refresh_security_token() != first, "a second round gives a new token"
    oci.object_storage.ObjectStorageClient({}, signer=signer, service_endpoint=endpoint).get_namespace()
    checks += 1
    print("resource principal 2.1.1: two rounds of token exchanges, both tokens worked")
    for var in v211:
        os.environ.pop(var, None)
    return checks


def instance_principal(endpoint, tenancy, imds, suffix):
    # OCI_METADATA_BASE_URL is how the official SDK lets IMDS be elsewhere (2.189.0,
    # InstancePrincipalsSecurityTokenSigner.METADATA_URL_BASE_ENV_VAR).
    os.environ["OCI_METADATA_BASE_URL"] = imds
    signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner(
        federation_endpoint=f"{endpoint}/v1/x509")
    assert signer.tenancy_id == tenancy, (signer.tenancy_id, tenancy)
    token = signer.federation_client.get_security_token()
    claims = oci.auth.security_token_container.SecurityTokenContainer(None, token).get_jwt()
    assert claims["exp"] > time.time(), claims
    checks = 2 + walk("instance", signer, endpoint, tenancy, suffix)
    # A forced refresh federates again (re-reading IMDS) and the new token works.
    new = signer.refresh_security_token()
    assert new != token
    oci.object_storage.ObjectStorageClient({}, signer=signer, service_endpoint=endpoint).get_namespace()
    print("instance principal: federated twice (keyId <tenancy>/fed-x509/<SHA-1>), both tokens worked")
    os.environ.pop("OCI_METADATA_BASE_URL", None)
    return checks + 1


def main():
    endpoint, tenancy, rpst_file, key_file, region = sys.argv[1:6]
    endpoint = endpoint.rstrip("/")
    suffix = format(time.time_ns() & 0xFFFFFFFF, "x")
    checks = resource_principal(endpoint, tenancy, rpst_file, key_file, region, suffix)
    checks += instance_principal(endpoint, tenancy, f"{endpoint}/opc/v2", suffix)
    print(f"principals: {checks} checks passed (official Python SDK {oci.__version__})")


if __name__ == "__main__":
    main()

// The JavaScript API (OciClient) as a JS program sees it: the `wasm-bindgen --target nodejs`
// package, driven by node:test against the emulator. Run by tests/run.sh, which sets
// OCISDK_WASM_PKG (the package directory) and the emulator's URL, config text and key PEM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run transport-wasm/tests/run.sh`);
  return value;
};
const { OciClient } = require(path.join(env("OCISDK_WASM_PKG"), "ocisdk_js.js"));
const oci = () => new OciClient(env("OCISDK_WASM_TEST_CONFIG"), undefined,
  env("OCISDK_WASM_TEST_KEY"), env("OCISDK_WASM_TEST_URL"));
const md5 = (bytes) => createHash("md5").update(bytes).digest("base64");

test("namespace, buckets, objects, errors", async () => {
  const client = oci();
  assert.match(client.tenancy, /^ocid1\.tenancy\./);
  const ns = await client.getNamespace();
  assert.equal(typeof ns, "string");
  const bucket = `js-${Date.now()}`;
  const created = await client.createBucket(ns, bucket);
  assert.equal(created.name, bucket);
  assert.equal(created.compartmentId, client.tenancy);
  assert.ok((await client.listBuckets(ns)).some((b) => b.name === bucket));

  const text = "hello from node";
  const bytes = new TextEncoder().encode(text);
  const blob = new Blob([new Uint8Array(3000).fill(7)]);
  const put = await client.putObject(ns, bucket, "a/bytes.txt", bytes, "text/plain");
  assert.equal(put.opcContentMd5, md5(bytes));
  await client.putObject(ns, bucket, "a/blob.bin", blob);
  await client.putObject(ns, bucket, "b/buffer.bin", Buffer.from("buf"));
  await client.putObject(ns, bucket, "b/string.txt", "a string");

  const all = await client.listObjects(ns, bucket); // 4 objects over 2 pages
  assert.deepEqual(all.map((o) => o.name), ["a/blob.bin", "a/bytes.txt", "b/buffer.bin", "b/string.txt"]);
  assert.equal(all[0].size, 3000);
  assert.deepEqual((await client.listObjects(ns, bucket, "b/")).map((o) => o.name),
    ["b/buffer.bin", "b/string.txt"]);

  const got = await client.getObject(ns, bucket, "a/bytes.txt");
  assert.ok(got instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(got), text);

  await assert.rejects(client.deleteBucket(ns, bucket), (err) => {
    assert.equal(err.name, "OciError");
    assert.equal(err.kind, "service");
    assert.equal(err.status, 409);
    assert.equal(err.code, "BucketNotEmpty");
    assert.equal(err.retryable, false);
    assert.ok(err.opcRequestId);
    return true;
  });
  await assert.rejects(client.putObject(ns, bucket, "x", 42), (err) => err.kind === "invalidRequest");

  for (const o of all) await client.deleteObject(ns, bucket, o.name);
  await client.deleteBucket(ns, bucket);
  assert.ok(Array.isArray(await client.listUsers()));
});

test("bad credentials fail at construction", () => {
  assert.throws(() => new OciClient("[DEFAULT]\nuser=x\n", undefined, "not a key", undefined),
    (err) => err.name === "OciError");
});

test("every operation is a method of its service: the quickstart through the generated API", async () => {
  const client = oci();
  const tenancy = client.tenancy;
  const id = client.identity;
  const suffix = Date.now();
  const group = await id.createGroup({
    createGroupDetails: { compartmentId: tenancy, name: `js-group-${suffix}`, description: "from JS" },
  });
  assert.equal(group.status, 200);
  assert.match(group.data.id, /^ocid1\.group\./);
  assert.equal(group.data.lifecycleState, "ACTIVE");
  assert.ok(group.opcRequestId);
  const user = await id.createUser({
    createUserDetails: { compartmentId: tenancy, name: `js-user-${suffix}`, description: "", email: "js@example.com" },
    opcRetryToken: `js-token-${suffix}`,
  });
  assert.equal(user.data.email, "js@example.com");
  await id.addUserToGroup({ addUserToGroupDetails: { userId: user.data.id, groupId: group.data.id } });

  const first = await id.listUsers({ compartmentId: tenancy });
  assert.ok(Array.isArray(first.data));
  assert.equal(first.hasNextPage, first.nextPage !== undefined);

  const memberships = await id.listUserGroupMemberships({
    compartmentId: tenancy, userId: user.data.id, groupId: group.data.id,
  });
  assert.equal(memberships.data.length, 1);
  const removed = await id.removeUserFromGroup({ userGroupMembershipId: memberships.data[0].id });
  assert.equal(removed.status, 204);
  assert.equal(removed.data, null);
  await id.deleteUser({ userId: user.data.id });
  await id.deleteGroup({ groupId: group.data.id });
  await assert.rejects(id.getGroup({ groupId: group.data.id }), (err) => err.status === 404);

  const os = client.objectStorage;
  const ns = (await os.getNamespace({})).data;
  const bucket = `js-gen-${suffix}`;
  const created = await os.createBucket({ namespaceName: ns, createBucketDetails: { name: bucket, compartmentId: tenancy } });
  assert.equal(created.data.name, bucket);
  const bytes = new TextEncoder().encode("Hello, World!");
  const put = await os.putObject({ namespaceName: ns, bucketName: bucket, objectName: "my-object-name" }, bytes);
  assert.equal(put.data.opcContentMd5, md5(bytes));
  const got = await os.getObject({ namespaceName: ns, bucketName: bucket, objectName: "my-object-name" });
  assert.equal(new TextDecoder().decode(got.body), "Hello, World!");
  assert.equal(got.data.contentLength, bytes.length);
  const listed = await os.listObjects({ namespaceName: ns, bucketName: bucket, fields: "name,size" });
  assert.deepEqual(listed.data.objects.map((o) => [o.name, o.size]), [["my-object-name", bytes.length]]);
  await os.deleteObject({ namespaceName: ns, bucketName: bucket, objectName: "my-object-name" });
  await os.deleteBucket({ namespaceName: ns, bucketName: bucket });

  // Bad parameters are typed errors naming the operation; an operation the emulator does not
  // implement says so.
  await assert.rejects(id.getUser({}), (err) => err.kind === "invalidRequest" && err.operation === "GetUser");
  await assert.rejects(id.listRegionSubscriptions({ tenancyId: tenancy }),
    (err) => err.status === 501 && err.code === "NotImplemented"
      && err.operation === "ListRegionSubscriptions");
  await assert.rejects(client.secrets.getSecretBundle({ secretId: "ocid1.vaultsecret.oc1..x" }),
    (err) => err.kind === "service");
});

test("listings are async iterators, one request per page; `All` takes an explicit cap", async () => {
  const client = oci();
  const os = client.objectStorage;
  const ns = (await os.getNamespace({})).data;
  const bucket = `js-iter-${Date.now()}`;
  await os.createBucket({ namespaceName: ns, createBucketDetails: { name: bucket, compartmentId: client.tenancy } });
  const names = ["a", "b", "c", "d", "e"];
  for (const name of names) {
    await os.putObject({ namespaceName: ns, bucketName: bucket, objectName: name }, name);
  }
  const seen = [];
  for await (const o of os.listObjectsIter({ namespaceName: ns, bucketName: bucket, limit: 2 })) {
    seen.push(o.name);
  }
  assert.deepEqual(seen, names);
  const it = os.listObjectsIter({ namespaceName: ns, bucketName: bucket, limit: 2 });
  assert.equal((await it.next()).value.name, "a");
  assert.equal((await it.next()).value.name, "b");
  const capped = await os.listObjectsAll({ namespaceName: ns, bucketName: bucket }, 3);
  assert.deepEqual(capped.map((o) => o.name), ["a", "b", "c"]);
  await assert.rejects(os.listObjectsAll({ namespaceName: ns, bucketName: bucket }, -1),
    (err) => err.kind === "invalidRequest");
  const users = [];
  for await (const u of client.identity.listUsersIter({ compartmentId: client.tenancy })) users.push(u);
  assert.ok(users.length > 0 && users.every((u) => typeof u.id === "string"));
  for (const name of names) await os.deleteObject({ namespaceName: ns, bucketName: bucket, objectName: name });
  await os.deleteBucket({ namespaceName: ns, bucketName: bucket });
});

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
const { OciClient } = require(path.join(env("OCISDK_WASM_PKG"), "ocisdk_wasm.js"));
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

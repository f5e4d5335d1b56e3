// The ocisdk-wasm example page: list buckets and objects, upload a file, download and delete.
// Build the package into ./pkg first (see transport-wasm/README.md).
import init, { OciClient } from "./pkg/ocisdk_js.js";

const $ = (id) => document.getElementById(id);
let client = null;
let namespace = null;
let bucket = null;

function status(message, isError = false) {
  $("status").textContent = message;
  $("status").className = isError ? "error" : "";
}

// OciError carries status, code and opcRequestId for service errors.
function explain(err) {
  if (err && err.name === "OciError" && err.code) {
    return `${err.operation ?? "call"} failed: ${err.status} ${err.code}\n${err.message}` +
      (err.opcRequestId ? `\nopc-request-id ${err.opcRequestId}` : "");
  }
  return String(err && err.message ? err.message : err);
}

async function guarded(what, f) {
  status(`${what}…`);
  try {
    await f();
  } catch (err) {
    status(explain(err), true);
    console.error(err);
  }
}

// Load a text file picked from disk into a textarea.
for (const [input, area] of [["config-file", "config"], ["key-file", "key"]]) {
  $(input).addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (file) $(area).value = await file.text();
  });
}

function text(value) {
  const td = document.createElement("td");
  td.textContent = value ?? "";
  return td;
}

async function refreshBuckets() {
  const buckets = await client.listBuckets(namespace);
  const list = $("buckets");
  list.replaceChildren();
  for (const b of buckets) {
    const li = document.createElement("li");
    li.textContent = b.name;
    li.className = b.name === bucket ? "selected" : "";
    li.addEventListener("click", () => guarded(`Listing ${b.name}`, () => selectBucket(b.name)));
    list.append(li);
  }
  return buckets;
}

async function selectBucket(name) {
  bucket = name;
  $("bucket-name").textContent = `in ${name}`;
  $("upload").disabled = false;
  await refreshBuckets();
  await refreshObjects();
}

async function refreshObjects() {
  const objects = await client.listObjects(namespace, bucket);
  const body = $("objects");
  body.replaceChildren();
  for (const o of objects) {
    const row = document.createElement("tr");
    // RFC 3339 in UTC, without the fraction: 2026-01-02 03:04:05Z
    const modified = o.timeModified?.replace("T", " ").replace(/\.\d+Z$/, "Z");
    row.append(text(o.name), text(o.size), text(o.md5), text(modified));
    const actions = document.createElement("td");
    const get = document.createElement("button");
    get.textContent = "Download";
    get.addEventListener("click", () => guarded(`Downloading ${o.name}`, async () => {
      const bytes = await client.getObject(namespace, bucket, o.name);
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([bytes]));
      link.download = o.name.split("/").pop();
      link.click();
      URL.revokeObjectURL(link.href);
      status(`Downloaded ${o.name} (${bytes.length} bytes).`);
    }));
    const del = document.createElement("button");
    del.textContent = "Delete";
    del.addEventListener("click", () => guarded(`Deleting ${o.name}`, async () => {
      await client.deleteObject(namespace, bucket, o.name);
      await refreshObjects();
    }));
    actions.append(get, del);
    row.append(actions);
    body.append(row);
  }
  status(`${objects.length} object(s) in ${bucket}.`);
}

$("connect").addEventListener("click", () => guarded("Connecting", async () => {
  client = new OciClient($("config").value, $("profile").value || undefined, $("key").value,
    $("endpoint").value || undefined);
  namespace = await client.getNamespace();
  $("namespace").textContent = `in namespace ${namespace}`;
  $("create-bucket").disabled = false;
  const buckets = await refreshBuckets();
  status(`Connected: ${buckets.length} bucket(s).`);
  if (buckets.length > 0) await selectBucket(buckets[0].name);
}));

$("create-bucket").addEventListener("click", () => guarded("Creating bucket", async () => {
  const name = $("new-bucket").value.trim();
  if (!name) throw new Error("type a bucket name first");
  await client.createBucket(namespace, name);
  $("new-bucket").value = "";
  await selectBucket(name);
}));

// The File goes to fetch as is: the browser reads it, the bytes never enter wasm memory.
$("upload").addEventListener("click", () => guarded("Uploading", async () => {
  const file = $("upload-file").files[0];
  if (!file) throw new Error("choose a file first");
  const result = await client.putObject(namespace, bucket, file.name, file);
  await refreshObjects();
  status(`Uploaded ${file.name} (${file.size} bytes, MD5 ${result.opcContentMd5}).`);
}));

await init();
status("Ready: fill in the credentials and connect.");

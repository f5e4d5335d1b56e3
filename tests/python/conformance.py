"""Differential conformance of ocisdk against the official OCI Python SDK (oci 2.189.0).

1. Requests: every operation of every shipped service is built from the same deterministic
   inputs by the official SDK (its HTTP session captures the signed request instead of sending
   it) and by ocisdk's public API (`tests/src/bin/conformance.rs`: the service crate's
   `dynamic::visit_operation`, a `Context`, the first `Step::Send` of a call). Two variants per
   operation: `full` (every parameter, required and optional) and `required` (only the
   required ones, so that defaults show). Compared: method, endpoint, path, query (a multiset
   of decoded pairs), headers (names case-insensitive; exclusions below, each with its
   reason), the JSON body (parsed, timestamps as instants), the signed-header list and keyId of
   `authorization`; each side's signature is verified with the public key over its own request,
   and its `content-length`/`x-content-sha256` against its own body.
2. Models: a fully populated instance of every model (a polymorphic base as each of its
   subtypes), and one with only its required fields, serialised by the official SDK, is
   decoded by ocisdk into its type and encoded back (`dynamic::visit_model`); the two JSON
   documents must be equal (parsed, timestamps as instants).

A self-check plants known differences into copies of a few results and fails unless each is
reported. Exit status 1 if any difference is not in ACCEPTED (each with its reason), 2 on
setup errors.

usage: target/py-oci-venv/bin/python tests/python/conformance.py [--bin PATH] [--verbose]
  (after `cargo build -q -p ocisdk-tests --bin conformance`; --verbose lists accepted ones too)
"""
import argparse
import base64
import collections
import copy
import datetime
import hashlib
import io
import json
import os
import random
import re
import subprocess
import sys
import time
import zlib
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import oci
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from oci._vendor import requests

OCI_VERSION = "2.189.0"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICES = ["identity", "object_storage", "secrets"]
ENDPOINT = "https://conformance.example"
TENANCY = "ocid1.tenancy.oc1..aaaaaaaaconformance"
USER = "ocid1.user.oc1..aaaaaaaaconformance"
KEY_FILE = os.path.join(ROOT, "core", "tests", "fixtures", "keys", "pkcs1.pem")
OBJECT_NAME_PARAMS = {"objectName"}  # path parameters that are object names (`/` allowed)

# Headers never compared, and why.
EXCLUDED_HEADERS = {
    "date": "the signing time: each side signs at its own moment (each side's signature check "
            "covers it)",
    "x-date": "as date",
    "authorization": "compared separately: same keyId, same signed-header list, and each "
                     "signature verified over its own request (the dates differ)",
    "user-agent": "names the SDK and its version",
    "opc-client-info": "names the official SDK and its version",
    "opc-client-retries": "the official SDK marks every request `true` whenever a retry "
                          "strategy is set, even the first attempt; this harness disables "
                          "retries on both sides, and ocisdk sends it only on actual retries",
    "accept-encoding": "added by the HTTP library (`requests`' session defaults), not by the "
                       "SDK; ocisdk's core plans the request and each transport adds its own",
    "connection": "as accept-encoding (`keep-alive`, hop-by-hop)",
}
# Compared only when the caller set them: otherwise a side may make up its own value.
GENERATED_HEADERS = {
    "opc-request-id": "the official SDK makes up a random id for every request the caller gave "
                      "none; ocisdk sends one only when the operation's parameter is set (the "
                      "service assigns one either way). Compared when the parameter is set",
    "opc-retry-token": "random per call when the caller gave none: then only whether it is "
                       "sent is compared",
}
# Depend on the JSON text, not its meaning (json.dumps writes `, `/`: ` separators and \\u
# escapes, serde compact UTF-8): for JSON bodies each side is checked against its own body.
BODY_BYTES_HEADERS = ("content-length", "x-content-sha256")


def _slashes_kept(d, path, which):
    """`path` with the `/` in the values of the path parameters `which` accepts literal."""
    for wire, value in d["path_values"]:
        if which(wire):
            path = path.replace(quote(value, safe=""), quote(value, safe="/"), 1)
    return path


def _bodyless(d):
    return d["method"] in ("GET", "HEAD", "DELETE") or not d["has_body"]


# Differences that are deliberate, or where the official SDK is arguably wrong. Each entry:
# (id, reason, predicate over a difference: service/op/variant/method/kind/name/official/ours).
ACCEPTED = [
    (
        "object-name-slash",
        "Object Storage object names keep `/` literal in the path in ocisdk "
        "(`encode_object_name`; `%2F` only when a `.`/`..` segment could be normalised away), "
        "as the Go SDK sends them; oci-python 2.189.0 strictly encodes Object Storage path "
        "parameters by default and sends `%2F`. The service reads both as the same name.",
        lambda d: d["kind"] == "path-encoding" and d["service"] == "object_storage"
        and _slashes_kept(d, d["official"], lambda wire: wire in OBJECT_NAME_PARAMS) == d["ours"],
    ),
    (
        "slash-in-path-parameter",
        "ocisdk encodes `/` in a path parameter that is not an object name as `%2F`, so that "
        "the value stays one path segment; oci-python (whose strict encoding is off by default "
        "outside Object Storage) sends it literally, which addresses another path. OCIDs and "
        "names never hold `/`, so only a wrong argument meets this.",
        lambda d: d["kind"] == "path-encoding" and d["service"] != "object_storage"
        and _slashes_kept(d, d["ours"], lambda wire: True) == d["official"],
    ),
    (
        "content-type-without-body",
        "the official SDK sends `content-type: application/json` on every request, also on "
        "GET/HEAD/DELETE, where there is no content for it to describe (RFC 9110 8.3) and it "
        "is not signed; ocisdk sends it with a body (and on bodyless POST/PUT/PATCH, where "
        "it is signed, as the official SDK does).",
        lambda d: d["kind"] == "header-only-official" and d["name"] == "content-type"
        and _bodyless(d) and d["official"] == "application/json",
    ),
    (
        "content-length-zero-on-delete",
        "`requests` adds `content-length: 0` to every bodyless request but GET/HEAD (DELETE "
        "here; unsigned); RFC 9110 8.6: a user agent SHOULD NOT send it when there is no "
        "content and the method does not anticipate any.",
        lambda d: d["kind"] == "header-only-official" and d["name"] == "content-length"
        and d["method"] == "DELETE" and d["official"] == "0",
    ),
    (
        "retry-token-without-retries",
        "ocisdk fills `opc-retry-token` on every call of an operation that takes one, whatever "
        "the retry policy (idempotency tokens filled automatically, DESIGN.md); the official "
        "SDK adds one only while a retry strategy is set, and this harness disables retries.",
        lambda d: d["kind"] == "header-presence" and d["name"] == "opc-retry-token"
        and d["variant"] == "required" and d["official"] is None,
    ),
    (
        "raw-body-content-type",
        "a streamed body without a `Content-Type` parameter (PutObject's unset, UploadPart has "
        "none) goes without `content-type` from ocisdk; the official signer makes one up: "
        "application/octet-stream for a file-like body (what this harness passes), and "
        "application/json for a `bytes` one. Object Storage stores an object sent without one "
        "as application/octet-stream, and a part has no type of its own.",
        lambda d: d["kind"] == "header-only-official" and d["name"] == "content-type"
        and d["op"] in ("PutObject", "UploadPart")
        and d["official"] == "application/octet-stream",
    ),
    (
        "expect-100-continue-default",
        "the official SDK adds `expect: 100-continue` to uploads when the caller did not set "
        "it; ocisdk sends it only when the caller sets the parameter (the `full` variant): one "
        "core serves all transports and `fetch()` may not send the header at all (browsers "
        "forbid it), and the upload is refused the same way without it.",
        lambda d: d["kind"] == "header-only-official" and d["name"] == "expect"
        and d["variant"] == "required" and d["official"] == "100-continue",
    ),
]


# ----- inputs -----------------------------------------------------------------------------------

def camel(name):
    """serde's `rename_all = "camelCase"` of a snake_case Rust field name."""
    out, up = [], False
    for ch in name:
        if ch == "_":
            up = True
        else:
            out.append(ch.upper() if up else ch)
            up = False
    return "".join(out)


class Values:
    """Deterministic values for one operation or model (seeded by its name), in wire form."""

    def __init__(self, spec, seed, required_only=False):
        self.models = {m["name"]: m for m in spec["models"]}
        self.required_only = required_only  # models with only their required fields
        self.rng = random.Random(zlib.crc32(seed.encode()))
        self.n = 0

    def tick(self):
        self.n += 1
        return self.n

    def string(self, where, name=""):
        """A string that exercises the encoding of where it goes."""
        n = self.tick()
        if where == "path":
            if name in OBJECT_NAME_PARAMS:
                return f"dir a/b+c%25 é~!*'();:@$,=&?#[]/{n}.txt"
            return f"p {n}+a%b é/~!*'();:@$,=&?#[]"
        if where == "header":
            return f"h {n} +a%b~!*'();:@$,=&?#[]\"{{}}<>"  # header values are ASCII
        if where == "query":
            return f"q {n} +a%b&c=d/é漢~!*'();:@$,?#[]"
        return f"s {n} +a%b \"q\" \\ é漢\n\t\u2028"

    def datetime(self):
        r = self.rng
        return datetime.datetime(2024, r.randint(1, 12), r.randint(1, 28), r.randint(0, 23),
                                 r.randint(0, 59), r.randint(0, 59),
                                 r.randint(0, 999) * 1000 + r.choice((0, 1)),
                                 tzinfo=datetime.timezone.utc)

    def free(self):
        n = self.tick()
        return {"k": f"v{n} é", "n": n, "f": 1.5, "b": True, "l": [1, "x", {"y": None}],
                "o": {"a": {"b": []}}}

    def of_type(self, ty, enum=None, where="body", name="", depth=0):
        """A JSON value of spec type `ty`."""
        r = self.rng
        m = re.fullmatch(r"list\[(.*)\]", ty)
        if m:
            if enum:
                return r.sample(enum, min(2, len(enum)))
            return [self.of_type(m.group(1), None, where, name, depth + 1) for _ in range(2)]
        m = re.fullmatch(r"dict\(str, (.*)\)", ty)
        if m:
            keys = ["key one", f"ké{self.tick()}"] if where == "body" else ["color", "owner-id"]
            return {k: self.of_type(m.group(1), None, where, name, depth + 1) for k in keys}
        if enum:
            return r.choice(enum)
        if ty == "str":
            return self.string(where, name)
        if ty == "int":
            return r.randint(1, 2**40)
        if ty == "float":
            return r.randint(1, 99999) / 8
        if ty == "bool":
            return r.random() < 0.5
        if ty == "datetime":
            return self.datetime().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if ty == "date":
            return self.datetime().date().isoformat()
        if ty == "object":
            return self.free()
        if ty in self.models:
            return self.model(ty, depth + 1)
        return self.string(where, name)  # a string enum without a class

    def model(self, name, depth=0, subtype=None):
        """A model in wire form, every field set (or only the required ones); a polymorphic
        base as its first subtype (or `subtype`), its discriminator set."""
        m = self.models[name]
        disc_wire, disc_value = None, None
        if m["discriminator"]:
            disc_wire = m["discriminator"]["wire"]
            subtypes = m["discriminator"]["subtypes"]
            disc_value = subtype or next(iter(subtypes))
            # A value the SDKs do not know reads as the base (its common fields).
            m = self.models[subtypes.get(disc_value, name)]
        elif m["parent"]:
            disc_wire = self.models[m["parent"]["name"]]["discriminator"]["wire"]
            disc_value = m["parent"]["value"]
        out = {}
        for f in m["fields"]:
            if f["wire"] == disc_wire:
                out[f["wire"]] = disc_value
            elif f["required"] or not (self.required_only or depth > 6):
                out[f["wire"]] = self.of_type(f["type"], f["enum"], "body", f["name"], depth)
        return out


def operation_inputs(spec, op, variant):
    """[(param, wire value)] of one operation's variant, in the SDK's parameter order."""
    v = Values(spec, f"{op['name']}/{variant}", required_only=variant == "required")
    stream = ("stream bytes é " * 3).encode() + bytes(range(256))
    out = []
    for p in op["parameters"]:
        wire = (p["wire"] or "").lower()
        if not p["required"] and variant == "required":
            continue
        if p["type"] == "stream":
            value = stream
        elif p["in"] == "body":
            value = v.model(p["type"])
        elif p["in"] == "query" and p["enum_source"] == "docstring" and p["type"] == "str":
            # ListObjects `fields`: the names allowed inside a comma-separated value.
            value = ",".join(v.rng.sample(p["enum"], min(3, len(p["enum"]))))
        elif wire == "expect":
            value = "100-continue"
        elif wire == "content-length" and op["request_stream"]:
            value = len(stream)
        else:
            value = v.of_type(p["type"], p["enum"], p["in"], p["wire"] or "")
        out.append((p, value))
    return out


def rust_params(op, inputs):
    """ocisdk's request as JSON: camelCase names; a streamed body is the transport's, its
    length a required parameter."""
    params = {camel(p["name"]): value for p, value in inputs if p["type"] != "stream"}
    if op["request_stream"]:
        for p, value in inputs:
            if p["type"] == "stream":
                for q in op["parameters"]:
                    if (q["wire"] or "").lower() == "content-length":
                        params[camel(q["name"])] = len(value)
    return params


# ----- the official SDK -------------------------------------------------------------------------

CAPTURE = {}


def fake_send(self, request, **kwargs):
    """Replaces requests.Session.send: keeps the signed request, answers 200 without I/O."""
    CAPTURE["request"] = request
    response = requests.Response()
    response.status_code = 200
    response.headers["content-type"] = "application/json"
    response.headers["opc-request-id"] = "conformance"
    response._content = CAPTURE.get("answer", b"")
    response.request = request
    response.url = request.url
    return response


def canned_answer(op):
    r = op["response"]
    if r is None:
        return b""
    if r.startswith("list["):
        return b"[]"
    if r == "str":
        return b'"namespace"'
    if r in ("stream", "bytes"):
        return b"bytes"
    return b"{}"


def official_clients(config):
    clients = {}
    for svc in SERVICES:
        spec = SPECS[svc]
        module = __import__(spec["source"]["module"], fromlist=["_"])
        for name in spec["source"]["clients"]:
            clients[(svc, name)] = getattr(module, name)(
                config, service_endpoint=ENDPOINT, retry_strategy=oci.retry.NoneRetryStrategy())
    return clients


def to_python(client, p, value):
    """A parameter value as the official SDK takes it: a model object, a file-like stream."""
    if p["type"] == "stream":
        return io.BytesIO(value)
    if p["in"] == "body":
        return client.base_client.deserialize_response_data(json.dumps(value).encode(),
                                                            p["type"])
    return value


def official_request(client, op, inputs):
    CAPTURE.clear()
    CAPTURE["answer"] = canned_answer(op)
    args = [to_python(client, p, v) for p, v in inputs if p["required"]]
    kwargs = {p["name"]: to_python(client, p, v) for p, v in inputs if not p["required"]}
    try:
        getattr(client, op["method"])(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 — the canned answer may not decode; the request counts
        if "request" not in CAPTURE:
            return {"error": f"{type(e).__name__}: {e}"}
    req = CAPTURE["request"]
    body = req.body
    if isinstance(body, io.BytesIO):
        body = body.getvalue()
    elif isinstance(body, str):
        body = body.encode("utf-8")
    return {"method": req.method, "url": req.url, "body_bytes": body, "stream_length": None,
            "headers": [[k, v if isinstance(v, str) else v.decode("latin-1")]
                        for k, v in req.headers.items()]}


# ----- comparison -------------------------------------------------------------------------------

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def normalise(v):
    """JSON with RFC 3339 timestamps as instants (microseconds since the epoch)."""
    if isinstance(v, dict):
        return {k: normalise(x) for k, x in v.items()}
    if isinstance(v, list):
        return [normalise(x) for x in v]
    if isinstance(v, str) and DATETIME.match(v):
        m = re.match(r"^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(.*)$", v.replace("Z", "+00:00"))
        frac = (m.group(2) or ".0")[1:7].ljust(6, "0")
        dt = datetime.datetime.fromisoformat(f"{m.group(1)}.{frac}{m.group(3)}")
        return ("instant", (dt - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc))
                // datetime.timedelta(microseconds=1))
    return v


def json_diff(ours, official, path="$"):
    """Where two normalised JSON values differ (numbers by value, booleans only as booleans)."""
    if isinstance(ours, dict) and isinstance(official, dict):
        out = []
        for k in sorted(set(ours) | set(official)):
            if k not in official:
                out.append(f"{path}.{k}: only ours")
            elif k not in ours:
                out.append(f"{path}.{k}: only official")
            else:
                out.extend(json_diff(ours[k], official[k], f"{path}.{k}"))
        return out
    if isinstance(ours, list) and isinstance(official, list):
        if len(ours) != len(official):
            return [f"{path}: {len(official)} items official, {len(ours)} ours"]
        out = []
        for i, (a, b) in enumerate(zip(ours, official)):
            out.extend(json_diff(a, b, f"{path}[{i}]"))
        return out
    number = (int, float)
    same_kind = (isinstance(ours, bool) == isinstance(official, bool)) and (
        type(ours) is type(official) or (isinstance(ours, number) and isinstance(official, number)))
    if not same_kind or ours != official:
        return [f"{path}: official {official!r}, ours {ours!r}"]
    return []


def authorization(headers):
    value = headers.get("authorization", "")
    return dict(re.findall(r'(\w+)="([^"]*)"', value))


def check_side(side, public_key):
    """Problems of one side with its own request: signature, body hash and length."""
    headers = side["headers"]
    fields = authorization(headers)
    if "signature" not in fields:
        return ["no signature"]
    u = urlsplit(side["url"])
    target = u.path + (f"?{u.query}" if u.query else "")
    lines = []
    for name in fields.get("headers", "").split(" "):
        if name == "(request-target)":
            lines.append(f"(request-target): {side['method'].lower()} {target}")
        elif name in headers:
            lines.append(f"{name}: {headers[name]}")
        else:
            return [f"signed header {name} is missing"]
    problems = []
    try:
        public_key.verify(base64.b64decode(fields["signature"]), "\n".join(lines).encode(),
                          padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError) as e:
        problems.append(f"signature does not verify ({type(e).__name__})")
    body = side["body_bytes"] or b""
    if "x-content-sha256" in headers:
        if headers["x-content-sha256"] != base64.b64encode(hashlib.sha256(body).digest()).decode():
            problems.append("x-content-sha256 is not the body's")
    if "content-length" in headers:
        expected = side["stream_length"] if side["stream_length"] is not None else len(body)
        if headers["content-length"] != str(expected):
            problems.append(f"content-length {headers['content-length']}, body {expected} bytes")
    return problems


def side_view(raw):
    headers = {}
    for k, v in raw["headers"]:
        k = k.lower()
        headers[k] = f"{headers[k]}, {v}" if k in headers else v
    return dict(raw, headers=headers)


def compare_request(ctx, official, ours, op, public_key, set_headers):
    """The differences between the two requests of one operation variant."""
    o, r = side_view(official), side_view(ours)
    has_body = bool(o["body_bytes"]) or bool(r["body_bytes"]) or r["stream_length"] is not None
    ctx = dict(ctx, has_body=has_body)
    diffs = []

    def diff(kind, name, official_value, ours_value):
        diffs.append(dict(ctx, kind=kind, name=name, official=official_value, ours=ours_value))

    if o["method"] != r["method"]:
        diff("method", "", o["method"], r["method"])
    ou, ru = urlsplit(o["url"]), urlsplit(r["url"])
    if (ou.scheme, ou.netloc) != (ru.scheme, ru.netloc):
        diff("endpoint", "", f"{ou.scheme}://{ou.netloc}", f"{ru.scheme}://{ru.netloc}")
    if ou.path != ru.path:
        diff("path-encoding" if unquote(ou.path) == unquote(ru.path) else "path", "",
             ou.path, ru.path)
    oq = collections.Counter(parse_qsl(ou.query, keep_blank_values=True))
    rq = collections.Counter(parse_qsl(ru.query, keep_blank_values=True))
    if oq != rq:
        diff("query", "", sorted((oq - rq).elements()), sorted((rq - oq).elements()))
    json_body = not op["request_stream"] and bool(o["body_bytes"] or r["body_bytes"])
    if op["request_stream"]:
        if r["stream_length"] != len(o["body_bytes"] or b""):
            diff("body", "stream length", len(o["body_bytes"] or b""), r["stream_length"])
    elif json_body:
        try:
            problems = json_diff(normalise(json.loads(r["body_bytes"] or b"null")),
                                 normalise(json.loads(o["body_bytes"] or b"null")))
        except ValueError as e:
            problems = [f"not JSON: {e}"]
        if problems:
            diff("body", "", problems[:4], f"{len(problems)} differences")
    for name in sorted(set(o["headers"]) | set(r["headers"])):
        if name in EXCLUDED_HEADERS or (json_body and name in BODY_BYTES_HEADERS):
            continue
        ov, rv = o["headers"].get(name), r["headers"].get(name)
        if name in GENERATED_HEADERS and name not in set_headers:
            if name == "opc-retry-token" and (ov is None) != (rv is None):
                diff("header-presence", name, ov, rv)
        elif ov is None:
            diff("header-only-ours", name, None, rv)
        elif rv is None:
            diff("header-only-official", name, ov, None)
        elif ov != rv:
            diff("header-value", name, ov, rv)
    oa, ra = authorization(o["headers"]), authorization(r["headers"])
    for field in ("headers", "keyId", "algorithm", "version"):
        if oa.get(field) != ra.get(field):
            diff("authorization", field, oa.get(field), ra.get(field))
    for problem in check_side(o, public_key):
        diff("official-side", "", problem, None)
    for problem in check_side(r, public_key):
        diff("our-side", "", None, problem)
    return diffs


# ----- the two sections -------------------------------------------------------------------------

def load_specs():
    specs = {}
    for svc in SERVICES:
        with open(os.path.join(ROOT, "spec", f"{svc}.json"), encoding="utf-8") as f:
            specs[svc] = json.load(f)
    return specs


SPECS = load_specs()


def run_rust(binary, mode, payload):
    proc = subprocess.run([binary, mode], input=json.dumps(payload).encode(),
                          capture_output=True, check=False)
    if proc.returncode != 0:
        print(f"conformance: `{binary} {mode}` failed:\n{proc.stderr.decode()}")
        sys.exit(2)
    return json.loads(proc.stdout)


def accepted(d):
    for ident, _reason, pred in ACCEPTED:
        if pred(d):
            return ident
    return None


def show(d):
    name = f" {d['name']}" if d["name"] else ""
    return (f"  {d['service']}.{d['op']} [{d['variant']}] {d['kind']}{name}: "
            f"official {d['official']!r}, ours {d['ours']!r}")


def report(title, diffs, verbose):
    """One summary line, then the differences not accepted; returns those."""
    by_reason, failures = collections.Counter(), []
    for d in diffs:
        reason = accepted(d)
        if reason:
            by_reason[reason] += 1
            if verbose:
                print(f"{show(d)}  [accepted: {reason}]")
        else:
            failures.append(d)
    kinds = collections.Counter(d["kind"] for d in failures)
    print(f"{title}: {len(failures)} differences"
          + (f" ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})" if kinds else "")
          + "; accepted: "
          + (", ".join(f"{k} {n}" for k, n in sorted(by_reason.items())) or "none"))
    for d in failures:
        print(show(d))
    return failures


def requests_section(opts, clients, key, public_key):
    cases, payload = [], []
    for svc in SERVICES:
        spec = SPECS[svc]
        for op in spec["operations"]:
            for variant in ("full", "required"):
                inputs = operation_inputs(spec, op, variant)
                case_id = f"{svc}/{op['name']}/{variant}"
                set_headers = {p["wire"].lower() for p, _ in inputs if p["in"] == "header"}
                official = official_request(clients[(svc, op["client"])], op, inputs)
                path_values = [(p["wire"], v) for p, v in inputs if p["in"] == "path"]
                cases.append((case_id, svc, op, variant, set_headers, official, path_values))
                payload.append({"id": case_id, "service": svc, "operation": op["name"],
                                "params": rust_params(op, inputs)})
    answer = run_rust(opts.bin, "requests", dict(key, endpoint=ENDPOINT, requests=payload))
    ours = {r["id"]: r for r in answer["requests"]}
    diffs, counts, pairs = [], collections.Counter(), {}
    for case_id, svc, op, variant, set_headers, official, path_values in cases:
        ctx = {"service": svc, "op": op["name"], "variant": variant,
               "method": op["http_method"], "has_body": False, "path_values": path_values}
        r = ours.get(case_id, {"error": "no answer"})
        if "error" in official or "error" in r:
            diffs.append(dict(ctx, kind="error", name="", official=official.get("error"),
                              ours=r.get("error")))
            continue
        r["body_bytes"] = r["body"].encode("utf-8") if r.get("body") is not None else None
        diffs.extend(compare_request(ctx, official, r, op, public_key, set_headers))
        pairs[case_id] = (ctx, official, r, op, set_headers)
        counts[svc] += variant == "full"
    per_service = ", ".join(f"{svc} {counts[svc]}" for svc in SERVICES)
    failures = report(f"requests: {sum(counts.values())} operations x 2 variants "
                      f"({per_service})", diffs, opts.verbose)
    return failures, pairs


def models_section(opts, clients):
    base_clients = {svc: c.base_client for (svc, _), c in clients.items()}
    payload, official, diffs = [], {}, []
    for svc in SERVICES:
        spec = SPECS[svc]
        base = base_clients[svc]
        for m in spec["models"]:
            variants = [("full", {}), ("required", {})]
            if m["discriminator"]:
                variants += [(f"as {sub}", {"subtype": value})
                             for value, sub in list(m["discriminator"]["subtypes"].items())[1:]]
                # A discriminator value without a subtype (where the official SDK keeps it):
                # the base's fields, kept as JSON by ocisdk.
                field = next(f for f in m["fields"] if f["wire"] == m["discriminator"]["wire"])
                spare = [v for v in field["enum"] or ["FUTURE_SUBTYPE"]
                         if v not in m["discriminator"]["subtypes"]]
                if spare and (field["enum"] is None or field["enum_unknown"] == "raise"):
                    variants.append((f"unknown subtype {spare[0]}", {"subtype": spare[0]}))
            for variant, how in variants:
                case_id = f"{svc}/{m['name']}/{variant}"
                values = Values(spec, f"{m['name']}/{variant}", variant == "required")
                wire = values.model(m["name"], **how)
                obj = base.deserialize_response_data(json.dumps(wire).encode(), m["name"])
                text = json.dumps(base.sanitize_for_serialization(obj))
                # The official JSON must hold every field given (a fully populated instance).
                lost = json_diff(normalise(json.loads(text)), normalise(wire))
                if lost:
                    diffs.append({"service": svc, "op": m["name"], "variant": variant,
                                  "kind": "official-lost-fields", "name": "", "official": lost,
                                  "ours": None, "method": "", "has_body": True})
                official[case_id] = text
                payload.append({"id": case_id, "service": svc, "model": m["name"],
                                "json": text, "variant": variant})
    ours = {r["id"]: r for r in run_rust(opts.bin, "models", {"models": payload})["models"]}
    counts = collections.Counter()
    for item in payload:
        ctx = {"service": item["service"], "op": item["model"], "variant": item["variant"],
               "method": "", "has_body": True, "name": ""}
        r = ours.get(item["id"], {"error": "no answer"})
        if "error" in r:
            diffs.append(dict(ctx, kind="model-error", official=None, ours=r["error"]))
            continue
        diffs.extend(model_diffs(ctx, official[item["id"]], r["json"]))
        counts[item["service"]] += item["variant"] == "full"
    per_service = ", ".join(f"{svc} {counts[svc]}" for svc in SERVICES)
    failures = report(f"models: {sum(counts.values())} models ({per_service}), "
                      f"{len(payload)} instances", diffs, opts.verbose)
    return failures, (payload, official, ours)


def model_diffs(ctx, official_text, ours_text):
    problems = json_diff(normalise(json.loads(ours_text)), normalise(json.loads(official_text)))
    if problems:
        return [dict(ctx, kind="model", official=problems[:4],
                     ours=f"{len(problems)} differences")]
    return []


def self_check(pairs, models, public_key):
    """Plants differences into copies of results and counts how many the comparison reports."""
    def request(case_id, mutate, kind):
        ctx, official, ours, op, set_headers = pairs[case_id]
        ours = copy.deepcopy(ours)
        mutate(ours)
        kinds = {d["kind"] for d in compare_request(ctx, official, ours, op, public_key,
                                                     set_headers) if not accepted(d)}
        return kind in kinds

    def set_header(name, value):
        def mutate(r):
            r["headers"] = [[k, v] for k, v in r["headers"] if k != name]
            if value is not None:
                r["headers"].append([name, value])
        return mutate

    def body(text):
        def mutate(r):
            r["body_bytes"] = text.encode()
        return mutate

    def url(old, new):
        def mutate(r):
            r["url"] = r["url"].replace(old, new, 1)
        return mutate

    def signed(old, new):
        def mutate(r):
            r["headers"] = [[k, v.replace(old, new) if k == "authorization" else v]
                            for k, v in r["headers"]]
        return mutate

    def stream_length(r):
        r["stream_length"] += 1

    user = pairs["identity/UpdateUser/full"][2]
    user_body = json.loads(user["body_bytes"])
    later = dict(user_body, description=user_body["description"] + "!")
    with_bool = dict(user_body, description=True)
    checks = [
        request("identity/ListUsers/full", url("limit=", "limit=1"), "query"),
        request("identity/ListUsers/full", url("sortOrder=", "sortOrder=x"), "query"),
        request("identity/ListUsers/full", url("/users", "/user"), "path"),
        request("identity/UpdateUser/full", set_header("if-match", None),
                "header-only-official"),
        request("identity/UpdateUser/full", set_header("if-match", "other"), "header-value"),
        request("identity/UpdateUser/full", set_header("content-type", "text/plain"),
                "header-value"),
        request("identity/UpdateUser/full", body(json.dumps(later)), "body"),
        request("identity/UpdateUser/full", body(json.dumps(with_bool)), "body"),
        request("identity/UpdateUser/full", body(json.dumps(later)), "our-side"),
        request("identity/UpdateUser/full", set_header("date", "Mon, 01 Jan 2024 00:00:00 GMT"),
                "our-side"),
        request("identity/UpdateUser/full", signed(" x-content-sha256", ""), "authorization"),
        request("identity/GetUser/full", set_header("opc-retry-token", "x"), "header-presence"),
        request("identity/GetUser/full", set_header("x-extra", "x"), "header-only-ours"),
        request("object_storage/PutObject/full", stream_length, "body"),
        request("object_storage/PutObject/full", url("/o/", "/o/x"), "path"),
        # `/` vs `%2F` anywhere but where ACCEPTED allows it.
        request("identity/UpdateUser/full", url("/20160918/users/", "/20160918%2Fusers/"),
                "path-encoding"),
        request("object_storage/PutObject/full", url("%C3%A9%2F", "%C3%A9/"), "path-encoding"),
    ]
    payload, official, ours = models
    item = next(i for i in payload if i["id"] == "identity/User/full")
    ctx = {"service": "", "op": "", "variant": "", "method": "", "has_body": True, "name": ""}
    user_json = json.loads(ours[item["id"]]["json"])
    for mutate in (
        lambda u: u.update(timeCreated="2020-01-01T00:00:00Z"),   # another instant
        lambda u: u.update(isMfaActivated=int(u["isMfaActivated"])),  # bool as a number
        lambda u: u.pop("email"),
        lambda u: u.update(extra=1),
    ):
        planted = copy.deepcopy(user_json)
        mutate(planted)
        checks.append(bool(model_diffs(ctx, official[item["id"]], json.dumps(planted))))
    # Same instant, other spelling: not a difference.
    same = copy.deepcopy(user_json)
    same["timeCreated"] = same["timeCreated"].replace("Z", "+00:00")
    checks.append(not model_diffs(ctx, official[item["id"]], json.dumps(same)))
    missed = [i for i, ok in enumerate(checks) if not ok]
    return len(checks) - len(missed), len(checks), missed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.path.join(ROOT, "target", "debug", "conformance"))
    parser.add_argument("--verbose", action="store_true", help="list accepted differences too")
    opts = parser.parse_args()
    if oci.__version__ != OCI_VERSION:
        print(f"conformance: needs oci {OCI_VERSION}, found {oci.__version__}")
        sys.exit(2)
    if not os.path.exists(opts.bin):
        print(f"conformance: no {opts.bin}; `cargo build -q -p ocisdk-tests --bin conformance`")
        sys.exit(2)
    start = time.monotonic()
    with open(KEY_FILE, encoding="ascii") as f:
        key_pem = f.read()
    public_key = serialization.load_pem_private_key(key_pem.encode(), None).public_key()
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.md5(der).hexdigest()
    fingerprint = ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
    config = {"user": USER, "tenancy": TENANCY, "fingerprint": fingerprint,
              "key_content": key_pem, "region": "us-ashburn-1"}
    key = {"key_pem": key_pem, "tenancy": TENANCY, "user": USER, "fingerprint": fingerprint}
    clients = official_clients(config)
    requests.Session.send = fake_send

    failures, pairs = requests_section(opts, clients, key, public_key)
    model_failures, models = models_section(opts, clients)
    failures += model_failures
    caught, planted, missed = self_check(pairs, models, public_key)
    print(f"self-check: {caught}/{planted} planted differences reported"
          + (f"; missed: {missed}" if missed else ""))
    ok = not failures and caught == planted
    print(f"conformance: {'ok' if ok else 'FAILED'} ({time.monotonic() - start:.1f}s)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Cross-check the checked-in spec JSON against the live ``oci`` 2.189.0 classes.

Run from the repository root:

    python3 spec/test_extract.py            (adds target/py-oci-venv's site-packages to sys.path)
    target/py-oci-venv/bin/python spec/test_extract.py

The extractor only *parses* the SDK source; these tests *import* it and
check the JSON against what the classes actually do:

* models (every model of identity, object_storage, secrets): swagger_types and
  attribute_map equal (including order); `**[Required]**` on the getters;
  enum values equal to the setter's allowed values (exact list, and by
  behaviour: each value is accepted, an unknown one is mapped to
  UNKNOWN_ENUM_VALUE or raises as recorded, a field without enum accepts
  anything); polymorphism via get_subtype and the subclass' fixed value;
* operations (every operation of the three services): the client method is
  called with every recorded parameter while BaseClient.call_api is replaced
  by a recorder; the recorded resource_path, method, operation id, path /
  query / header dicts (wire names, collection formats, opc-meta- prefix),
  body, response_type and enforce_content_headers must match the JSON; an
  enum checked by the method must reject an unknown value; and the set of
  kwargs the method reads must equal the recorded optional parameters plus
  the SDK-only ones;
* counts: operations per service, Identity/Object Storage retry-token counts;
* the extractor's output is byte-identical to the checked-in files.
"""

import ast
import datetime
import glob
import inspect
import json
import os
import re
import sys
import unittest

SPEC_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(SPEC_DIR)
sys.dont_write_bytecode = True  # keep spec/ free of __pycache__
sys.path.insert(0, SPEC_DIR)
import extract  # noqa: E402

try:
    import oci  # noqa: F401
except ImportError:
    for sp in sorted(glob.glob(os.path.join(REPO_ROOT, "target", "py-oci-venv", "lib", "python3*", "site-packages"))):
        sys.path.insert(0, sp)
    import oci  # noqa: E402

import importlib  # noqa: E402

SERVICES = {"identity": 145, "object_storage": 56, "secrets": 3}
RETRY_TOKEN_COUNTS = {"identity": 41, "object_storage": 0, "secrets": 0}
UNKNOWN = "UNKNOWN_ENUM_VALUE"
BOGUS = "NOT-A-VALUE-xyzzy"

FAKE_CONFIG = {
    "region": "us-ashburn-1",
    "tenancy": "ocid1.tenancy.oc1..aaaaaaaa",
    "user": "ocid1.user.oc1..aaaaaaaa",
    "fingerprint": ":".join(["aa"] * 16),
    "key_file": "/nonexistent",
}


def load(service):
    with open(os.path.join(SPEC_DIR, f"{service}.json"), encoding="utf-8") as f:
        return json.load(f)


def models_module(service):
    return importlib.import_module(f"oci.{service}.models")


def sample_value(t, service, name):
    """A value of spec type t for calling a client method."""
    if t == "str":
        return f"v-{name}"
    if t == "int":
        return 7
    if t == "float":
        return 1.5
    if t == "bool":
        return True
    if t == "datetime":
        return datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    if t == "date":
        return datetime.date(2020, 1, 2)
    if t == "object":
        return {"k": "v"}
    if t == "stream":
        return b"raw body bytes"
    if t.startswith("list[") and t.endswith("]"):
        return [sample_value(t[5:-1], service, name)]
    if t.startswith("dict(str, ") and t.endswith(")"):
        return {"k1": sample_value(t[10:-1], service, name)}
    return getattr(models_module(service), t)()


class SpecFilesUpToDate(unittest.TestCase):
    def test_byte_identical(self):
        src = extract.locate_oci_src()
        self.assertEqual(extract.read_version(src), "2.189.0")
        for service in SERVICES:
            spec, _ = extract.extract_package(src, service)
            with open(os.path.join(SPEC_DIR, f"{service}.json"), encoding="utf-8") as f:
                self.assertEqual(f.read(), extract.dumps(spec), service)


class Counts(unittest.TestCase):
    def test_live_version(self):
        self.assertEqual(oci.__version__, "2.189.0")

    def test_operation_counts(self):
        for service, n in SERVICES.items():
            spec = load(service)
            self.assertEqual(len(spec["operations"]), n, service)
            # ... and equal to the public methods of the live client class(es).
            live = 0
            for cname in spec["source"]["clients"]:
                cls = getattr(importlib.import_module(f"oci.{service}"), cname)
                live += sum(1 for k, v in vars(cls).items() if inspect.isfunction(v) and not k.startswith("_"))
            self.assertEqual(live, n, service)

    def test_retry_token_counts(self):
        for service, n in RETRY_TOKEN_COUNTS.items():
            self.assertEqual(sum(o["retry_token"] for o in load(service)["operations"]), n, service)

    def test_every_model_present(self):
        for service in SERVICES:
            mod = models_module(service)
            live = {k for k, v in vars(mod).items() if inspect.isclass(v) and v.__module__.startswith(mod.__name__ + ".")}
            mapping = getattr(mod, f"{service}_type_mapping")
            names = [m["name"] for m in load(service)["models"]]
            self.assertEqual(names, sorted(names))
            self.assertEqual(set(names), live, service)
            self.assertEqual(set(names), set(mapping), service)

    def test_sorted_operations(self):
        for service in SERVICES:
            ops = load(service)["operations"]
            keys = [(o["name"], o["client"], o["method"]) for o in ops]
            self.assertEqual(keys, sorted(keys))


def setter_allowed_values(cls, field):
    """allowed_values literal of the live setter, read via inspect."""
    src = inspect.getsource(getattr(cls, field).fset)
    m = re.search(r"allowed_values = (\[.*?\])\n", src)
    return ast.literal_eval(m.group(1)) if m else None


class Models(unittest.TestCase):
    def test_models(self):
        checked = 0
        for service in SERVICES:
            mod = models_module(service)
            spec_models = {m["name"]: m for m in load(service)["models"]}
            for m in spec_models.values():
                with self.subTest(model=f"{service}.{m['name']}"):
                    cls = getattr(mod, m["name"])
                    inst = cls()
                    self.assertEqual(list(inst.swagger_types.items()), [(f["name"], f["type"]) for f in m["fields"]])
                    self.assertEqual(list(inst.attribute_map.items()), [(f["name"], f["wire"]) for f in m["fields"]])
                    for f in m["fields"]:
                        prop = getattr(cls, f["name"])
                        self.assertEqual((prop.fget.__doc__ or "").lstrip().startswith("**[Required]**"), f["required"], f["name"])
                        self.assertEqual(setter_allowed_values(cls, f["name"]), f["enum"], f["name"])
                        self.check_enum_behaviour(cls, f)
                    self.check_polymorphism(mod, spec_models, m)
                    checked += 1
        self.assertEqual(checked, sum(len(load(s)["models"]) for s in SERVICES))

    def check_enum_behaviour(self, cls, f):
        is_list = f["type"].startswith("list[")
        wrap = (lambda v: [v]) if is_list else (lambda v: v)
        if f["type"] not in ("str", "list[str]"):
            self.assertIsNone(f["enum"], f["name"])
            return
        inst = cls()
        if f["enum"] is None:
            setattr(inst, f["name"], wrap(BOGUS))
            self.assertEqual(getattr(inst, f["name"]), wrap(BOGUS), f["name"])
            return
        for v in f["enum"]:
            setattr(inst, f["name"], wrap(v))
            self.assertEqual(getattr(inst, f["name"]), wrap(v), f["name"])
        if f["enum_unknown"] == "raise":
            with self.assertRaises(ValueError):
                setattr(inst, f["name"], wrap(BOGUS))
        else:
            self.assertEqual(f["enum_unknown"], "tolerate")
            setattr(inst, f["name"], wrap(BOGUS))
            self.assertEqual(getattr(inst, f["name"]), wrap(UNKNOWN), f["name"])

    def check_polymorphism(self, mod, spec_models, m):
        cls = getattr(mod, m["name"])
        d = m["discriminator"]
        self.assertEqual(d is not None, "get_subtype" in vars(cls), m["name"])
        if d is not None:
            self.assertEqual(cls().attribute_map[d["field"]], d["wire"])
            self.assertEqual(cls.get_subtype({d["wire"]: BOGUS}), m["name"])
            self.assertTrue(d["subtypes"])
            for value, sub in d["subtypes"].items():
                self.assertEqual(cls.get_subtype({d["wire"]: value}), sub)
                self.assertEqual(spec_models[sub]["parent"], {"name": m["name"], "value": value})
        p = m["parent"]
        bases = [b for b in cls.__bases__ if b is not object]
        if p is None:
            self.assertEqual(bases, [], m["name"])
        else:
            self.assertEqual([b.__name__ for b in bases], [p["name"]])
            base_d = spec_models[p["name"]]["discriminator"]
            self.assertEqual(getattr(cls(), base_d["field"]), p["value"])


class Operations(unittest.TestCase):
    def make_client(self, service, cname):
        cls = getattr(importlib.import_module(f"oci.{service}"), cname)
        client = cls(dict(FAKE_CONFIG), signer=object())
        self.recorded = None

        def fake_call_api(**kw):
            self.recorded = kw
            return "recorded"
        client.base_client.call_api = fake_call_api
        return client

    def call(self, client, op, args, kwargs):
        self.recorded = None
        kwargs = dict(kwargs, retry_strategy=oci.retry.NoneRetryStrategy())
        result = getattr(client, op["method"])(*args, **kwargs)
        self.assertEqual(result, "recorded")
        return self.recorded

    def test_operations(self):
        checked = 0
        for service in SERVICES:
            spec = load(service)
            clients = {c: self.make_client(service, c) for c in spec["source"]["clients"]}
            for op in spec["operations"]:
                with self.subTest(op=f"{service}.{op['name']}"):
                    self.check_operation(service, clients[op["client"]], op)
                    checked += 1
        self.assertEqual(checked, sum(SERVICES.values()))

    def check_operation(self, service, client, op):
        args, kwargs, values = [], {}, {}
        for p in op["parameters"]:
            if p["enum"]:
                v = p["enum"][0]
                v = [v] if p["type"].startswith("list[") else v
            elif p["in"] == "path":
                v = f"p-{p['name']}"
            else:
                v = sample_value(p["type"], service, p["name"])
            values[p["name"]] = v
            if p["required"]:
                args.append(v)
            else:
                kwargs[p["name"]] = v
        # Required parameters are exactly the positional arguments, in order.
        sig = [n for n in inspect.signature(getattr(client, op["method"])).parameters if n != "kwargs"]
        self.assertEqual(sig, [p["name"] for p in op["parameters"] if p["required"]])

        rec = self.call(client, op, args, kwargs)
        self.assertEqual(rec["resource_path"], op["path"])
        self.assertEqual(rec["method"], op["http_method"])
        self.assertEqual(rec["operation_name"], op["method"])
        self.assertEqual(rec["api_reference_link"], op["api_reference"])
        if op["api_reference"]:
            self.assertEqual(op["api_reference"].rsplit("/", 1)[1], op["name"])
            self.assertFalse(op["name_derived"])
        else:
            self.assertTrue(op["name_derived"])
            self.assertEqual(op["name"], "".join(w.capitalize() for w in op["method"].split("_")))
        self.assertEqual(rec.get("response_type"), op["response"])
        self.assertEqual(rec.get("enforce_content_headers", True), op["sign_body"])
        self.assertEqual(op["response_stream"], op["response"] == "stream")

        by_in = {loc: [p for p in op["parameters"] if p["in"] == loc] for loc in ("path", "query", "header", "body")}
        self.assertEqual(rec.get("path_params", {}), {p["wire"]: values[p["name"]] for p in by_in["path"]})
        self.assertEqual([p["wire"] for p in by_in["path"]], re.findall(r"\{(\w+)\}", op["path"]))
        expected_query = {}
        for p in by_in["query"]:
            v = values[p["name"]]
            if p["collection_format"] == "csv":
                v = ",".join(v)
            expected_query[p["wire"]] = v
        self.assertEqual(rec.get("query_params", {}), expected_query)

        headers = dict(rec["header_params"])
        passed = {p["wire"].lower() for p in op["parameters"] if p["in"] == "header"}
        for k, v in op["default_headers"].items():
            if k.lower() not in passed:  # a default applies only when the caller sent no such header
                self.assertEqual(headers.pop(k), v)
        self.assertEqual(headers.pop("accept"), op["accept"] or "application/json")
        if op["request_stream"]:  # raw bodies: no constant content-type (a Content-Type parameter at most)
            self.assertNotEqual(headers.get("content-type"), "application/json")
        else:  # every other operation sends a constant JSON content-type
            self.assertEqual(headers.pop("content-type"), "application/json")
        expected_headers = {}
        for p in by_in["header"]:
            if p["prefix_dict"]:
                for k, v in values[p["name"]].items():
                    expected_headers[p["wire"] + k] = v
            else:
                expected_headers[p["wire"]] = values[p["name"]]
        self.assertEqual(headers, expected_headers)
        self.assertEqual(op["retry_token"], "opc-retry-token" in expected_headers)

        self.assertLessEqual(len(by_in["body"]), 1)
        if by_in["body"]:
            self.assertIs(rec["body"], values[by_in["body"][0]["name"]])
            self.assertEqual(op["request_stream"], by_in["body"][0]["type"] == "stream")
        else:
            self.assertNotIn("body", rec)
            self.assertFalse(op["request_stream"])

        # Every kwarg the method reads is a recorded optional parameter or SDK-only.
        src = inspect.getsource(getattr(type(client), op["method"]))
        read = set(re.findall(r"kwargs\.get\([\"'](\w+)[\"']", src)) | set(re.findall(r"kwargs\[[\"'](\w+)[\"']\]", src))
        optional = {p["name"] for p in op["parameters"] if not p["required"]}
        required = {p["name"] for p in op["parameters"] if p["required"]}
        # (stream bodies carry a dead `except NameError: body = kwargs.get(...)` fallback for required bodies)
        self.assertEqual(read - set(extract.SDK_ONLY_KWARGS) - required, optional)

        # Enums the method checks reject unknown values.
        for p in op["parameters"]:
            if p["enum_source"] == "check":
                bad = [BOGUS] if p["type"].startswith("list[") else BOGUS
                a = [bad if q["name"] == p["name"] else values[q["name"]] for q in op["parameters"] if q["required"]]
                kw = {k: (bad if k == p["name"] else v) for k, v in kwargs.items()}
                with self.assertRaises(ValueError):
                    self.call(client, op, a, kw)

        # Pagination facts.
        page = [p for p in op["parameters"] if p["in"] == "query" and p["wire"] == "page"]
        if op["pagination"] is None:
            self.assertFalse(page)
        elif op["pagination"]["style"] == "page":
            self.assertTrue(page)
            if op["pagination"]["items"] == "list":
                self.assertTrue(op["response"].startswith("list["))
            else:
                resp = getattr(models_module(service), op["response"])()
                self.assertTrue(resp.swagger_types[op["pagination"]["field"]].startswith("list["))
                self.assertEqual(resp.attribute_map[op["pagination"]["field"]], op["pagination"]["field_wire"])
        else:
            self.assertEqual((service, op["name"]), ("object_storage", "ListObjects"))
            lo = oci.object_storage.models.ListObjects()
            self.assertEqual(lo.attribute_map["next_start_with"], op["pagination"]["token_field"])
            self.assertEqual(op["pagination"]["field"], "objects")


class HandPicked(unittest.TestCase):
    """The facts checked by hand in the hand-over, pinned as tests."""

    def op(self, service, name):
        return next(o for o in load(service)["operations"] if o["name"] == name)

    def param(self, op, name):
        return next(p for p in op["parameters"] if p["name"] == name)

    def test_object_storage(self):
        put = self.op("object_storage", "PutObject")
        self.assertTrue(put["request_stream"])
        self.assertFalse(put["sign_body"])
        self.assertEqual(self.param(put, "put_object_body")["type"], "stream")
        meta = self.param(put, "opc_meta")
        self.assertEqual((meta["wire"], meta["in"], meta["prefix_dict"], meta["type"]), ("opc-meta-", "header", True, "dict(str, str)"))
        tier = self.param(put, "storage_tier")
        self.assertEqual((tier["enum"], tier["enum_source"]), (["Standard", "InfrequentAccess", "Archive"], "docstring"))
        self.assertEqual(put["default_headers"], {"expect": "100-continue"})
        get = self.op("object_storage", "GetObject")
        self.assertTrue(get["response_stream"])
        self.assertEqual(self.param(get, "range")["wire"], "range")
        lo = self.op("object_storage", "ListObjects")
        self.assertEqual(lo["pagination"]["style"], "start")
        self.assertEqual(lo["pagination"]["token_field"], "nextStartWith")
        lov = self.op("object_storage", "ListObjectVersions")
        self.assertEqual(lov["pagination"], {"style": "page", "items": "field", "field": "items", "field_wire": "items"})
        self.assertFalse(self.op("object_storage", "CreateBucket")["retry_token"])
        self.assertEqual(self.op("object_storage", "HeadObject")["http_method"], "HEAD")
        self.assertEqual(self.op("object_storage", "GetNamespace")["response"], "str")

    def test_identity(self):
        self.assertTrue(self.op("identity", "CreateUser")["retry_token"])
        self.assertTrue(self.op("identity", "AddUserToGroup")["retry_token"])
        for n in ("GenerateTotpSeed", "RecoverCompartment", "ResetIdpScimClient"):
            self.assertFalse(self.op("identity", n)["retry_token"], n)
        lugm = self.op("identity", "ListUserGroupMemberships")
        self.assertEqual([(p["name"], p["required"]) for p in lugm["parameters"]][:3],
                         [("compartment_id", True), ("user_id", False), ("group_id", False)])


if __name__ == "__main__":
    unittest.main()

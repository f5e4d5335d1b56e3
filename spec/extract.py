#!/usr/bin/env python3
"""Extract the OCI API model ("the spec") from the official OCI Python SDK.

Reads the *source* of the pinned ``oci`` package (2.189.0) with ``ast`` -- it
never imports the SDK -- and writes facts-only JSON, one file per service
package (``spec/<package>.json``).  See ``spec/README.md`` for the schema and
for every judgement call the extractor makes.

Usage (from the repository root):

    python3 spec/extract.py --write identity object_storage secrets
    python3 spec/extract.py --check identity object_storage secrets
    python3 spec/extract.py --report [--out DIR]

Only the Python standard library is used.
"""

import argparse
import ast
import concurrent.futures
import glob
import importlib.util
import json
import os
import re
import sys
import tempfile
import time

PINNED_VERSION = "2.189.0"

SPEC_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(SPEC_DIR)
DEFAULT_VENV = os.path.join(REPO_ROOT, "target", "py-oci-venv")

# Keyword arguments every generated method accepts that configure the Python
# SDK itself and never reach the wire.
SDK_ONLY_KWARGS = ("allow_control_chars", "enable_strict_url_encoding", "retry_strategy", "buffer_limit")

PRIMITIVES = ("str", "int", "float", "bool", "datetime", "date", "object")

# "oci.identity.models." in front of a model name (a capitalised identifier).
MODEL_PREFIX_RE = re.compile(r"\boci\.[a-z0-9_]+(?:\.[a-z0-9_]+)*\.models\.(?=[A-Z])")
PARAM_LINE_RE = re.compile(r"^\s*:param (?P<type>.+) (?P<name>[A-Za-z_][A-Za-z0-9_]*):\s*(?P<rest>.*)$")
DOC_FIELD_RE = re.compile(r"^\s*:(param|return|rtype|example|type)\b")
ALLOWED_RE = re.compile(r'^\s*Allowed values are: ("[^"]*"(?:\s*,\s*"[^"]*")*)\s*$')
QUOTED_RE = re.compile(r'"([^"]*)"')
OPERATION_ID_RE = re.compile(r"^[A-Z][A-Za-z0-9]*$")


class ExtractError(Exception):
    pass


# ---------------------------------------------------------------------------
# Locating and validating the SDK source
# ---------------------------------------------------------------------------

def locate_oci_src(explicit=None):
    """Return the directory of the ``oci`` package."""
    if explicit:
        path = os.path.abspath(explicit)
        if not os.path.isfile(os.path.join(path, "version.py")):
            raise ExtractError(f"--oci-src {explicit}: no oci/version.py there (pass the 'oci' package directory)")
        return path
    for cand in sorted(glob.glob(os.path.join(DEFAULT_VENV, "lib", "python3*", "site-packages", "oci"))):
        if os.path.isfile(os.path.join(cand, "version.py")):
            return cand
    spec = importlib.util.find_spec("oci")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            if os.path.isfile(os.path.join(loc, "version.py")):
                return loc
    raise ExtractError(
        "cannot find the oci package: create the venv with\n"
        f"  python3 -m venv {DEFAULT_VENV} && {DEFAULT_VENV}/bin/pip install -q oci=={PINNED_VERSION}\n"
        "or pass --oci-src PATH/TO/oci")


def read_version(src):
    tree = ast.parse(_read(os.path.join(src, "version.py")))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets):
            if isinstance(node.value, ast.Constant):
                return node.value.value
    raise ExtractError(f"{src}/version.py has no __version__ literal")


def check_version(src):
    version = read_version(src)
    if version != PINNED_VERSION:
        raise ExtractError(
            f"oci package at {src} is version {version}; this extractor is pinned to {PINNED_VERSION} "
            f"(install oci=={PINNED_VERSION} or pass --oci-src to a {PINNED_VERSION} copy)")
    return version


def check_pagination_facts(src):
    """The 'start' pagination style is a special case inside oci.pagination;
    make sure the source still says what we rely on."""
    text = _read(os.path.join(src, "pagination", "pagination_utils.py"))
    needed = ["isinstance(call_result.data, object_storage.models.ListObjects)",
              "list_func_kwargs['start'] = call_result.data.next_start_with",
              "items_to_yield = call_result.data.objects",
              "list_func_kwargs['page'] = call_result.next_page",
              "call_result.data.items"]
    for n in needed:
        if n not in text:
            raise ExtractError(f"oci/pagination/pagination_utils.py no longer contains {n!r}; revisit the pagination rule")


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def list_packages(src):
    """Service packages: directories holding a models/ package and at least
    one *_client.py."""
    out = []
    for d in sorted(os.listdir(src)):
        p = os.path.join(src, d)
        if not os.path.isdir(p) or d.startswith("_"):
            continue
        if os.path.isdir(os.path.join(p, "models")) and glob.glob(os.path.join(p, "*_client.py")):
            out.append(d)
    return out


# ---------------------------------------------------------------------------
# Type strings
# ---------------------------------------------------------------------------

def parse_type(s, allow_stream=False):
    """Validate a type string of the SDK's grammar.  Returns the set of
    model names it references; raises ValueError when malformed.  'stream'
    (a raw body) is accepted only as a whole parameter/response type."""
    if allow_stream and s == "stream":
        return set()
    names = set()

    def parse(i):
        if s.startswith("list[", i):
            j = parse(i + 5)
            if j >= len(s) or s[j] != "]":
                raise ValueError(s)
            return j + 1
        if s.startswith("dict(str, ", i):
            j = parse(i + 10)
            if j >= len(s) or s[j] != ")":
                raise ValueError(s)
            return j + 1
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(s, i)
        if not m:
            raise ValueError(s)
        word = m.group(0)
        if word not in PRIMITIVES:
            if not word[0].isupper():
                raise ValueError(s)
            names.add(word)
        return m.end()

    if parse(0) != len(s):
        raise ValueError(s)
    return names


def normalise_doc_type(raw):
    """Strip 'oci.<pkg>.models.' before model names.  Returns (type, ok)."""
    t = MODEL_PREFIX_RE.sub("", raw.strip())
    try:
        parse_type(t, allow_stream=True)
        return t, True
    except ValueError:
        return raw.strip(), False


# ---------------------------------------------------------------------------
# Small AST helpers
# ---------------------------------------------------------------------------

def const(node):
    if isinstance(node, ast.Constant):
        return node.value
    return None


def str_list(node):
    if isinstance(node, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) for e in node.elts):
        return [e.value for e in node.elts]
    return None


def kwargs_get_name(node):
    """kwargs.get("x", missing) / kwargs.get('x') -> 'x'."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "kwargs"
            and node.args and isinstance(node.args[0], ast.Constant)):
        return node.args[0].value
    return None


def value_source(node):
    """Classify a value of path_params/query_params/header_params.

    Returns (kind, python_name_or_constant, collection_format) with kind in
    'arg' (positional argument), 'kwarg', 'const' or 'other'."""
    if isinstance(node, ast.Name):
        return "arg", node.id, None
    name = kwargs_get_name(node)
    if name is not None:
        return "kwarg", name, None
    if isinstance(node, ast.Constant):
        return "const", node.value, None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "generate_collection_format_param" and len(node.args) == 2):
        kind, name, _ = value_source(node.args[0])
        return kind, name, const(node.args[1])
    return "other", ast.unparse(node), None


def docstring_of(fn):
    return ast.get_docstring(fn, clean=False) or ""


def parse_method_doc(doc):
    """Parse ':param TYPE name: (required|optional)' blocks.

    Returns {name: {"type_raw", "required_marker", "allowed"}} in docstring
    order, and the ':return:' line."""
    params = {}
    current = None
    for line in doc.splitlines():
        m = PARAM_LINE_RE.match(line)
        if m:
            rest = m.group("rest")
            marker = "required" if rest.startswith("(required)") else "optional" if rest.startswith("(optional)") else None
            current = {"type_raw": m.group("type"), "required_marker": marker, "allowed": None}
            params[m.group("name")] = current
            continue
        if DOC_FIELD_RE.match(line):
            current = None
            continue
        if current is not None:
            a = ALLOWED_RE.match(line)
            if a:
                current["allowed"] = QUOTED_RE.findall(a.group(1))
    return params


# ---------------------------------------------------------------------------
# Issues (everything the extractor could not express or had to guess)
# ---------------------------------------------------------------------------

class Issues:
    def __init__(self, package):
        self.package = package
        self.items = []

    def add(self, kind, where, detail):
        self.items.append({"kind": kind, "package": self.package, "where": where, "detail": detail})


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------

def _dict_literal(node):
    if not isinstance(node, ast.Dict):
        return None
    out = {}
    for k, v in zip(node.keys, node.values):
        if not isinstance(k, ast.Constant) or not isinstance(v, ast.Constant):
            return None
        out[k.value] = v.value
    return out


def _subtype_map(fn):
    """get_subtype(object_dictionary): returns (wire_key, {value: class}, default)."""
    key = None
    mapping = {}
    default = None
    for node in ast.walk(fn):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Subscript)
                and isinstance(node.value.value, ast.Name) and node.value.value.id == "object_dictionary"):
            key = const(node.value.slice)

    def visit(stmts):
        nonlocal default
        for st in stmts:
            if isinstance(st, ast.If):
                t = st.test
                if (isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.Eq)
                        and isinstance(t.comparators[0], ast.Constant)
                        and len(st.body) == 1 and isinstance(st.body[0], ast.Return)):
                    mapping.setdefault(t.comparators[0].value, const(st.body[0].value))
                else:
                    raise ValueError(ast.unparse(st)[:80])
                visit(st.orelse)
            elif isinstance(st, ast.Return):
                default = const(st.value)
    visit([s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))])
    return key, mapping, default


def parse_model_file(path, issues):
    tree = ast.parse(_read(path))
    out = []
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        m = {"name": cls.name, "bases": [ast.unparse(b) for b in cls.bases],
             "swagger_types": None, "attribute_map": None, "fixed": {},
             "subtype": None, "required": set(), "getters": set(), "setters": set(), "enums": {}}
        for fn in cls.body:
            if not isinstance(fn, ast.FunctionDef):
                continue
            decos = [ast.unparse(d) for d in fn.decorator_list]
            if fn.name == "__init__":
                for st in ast.walk(fn):
                    if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Attribute):
                        tgt = st.targets[0]
                        if not (isinstance(tgt.value, ast.Name) and tgt.value.id == "self"):
                            continue
                        if tgt.attr == "swagger_types":
                            m["swagger_types"] = _dict_literal(st.value)
                        elif tgt.attr == "attribute_map":
                            m["attribute_map"] = _dict_literal(st.value)
                        elif tgt.attr.startswith("_") and isinstance(st.value, ast.Constant) and st.value.value is not None:
                            m["fixed"][tgt.attr[1:]] = st.value.value
            elif fn.name == "get_subtype":
                try:
                    m["subtype"] = _subtype_map(fn)
                except ValueError as e:
                    issues.add("get_subtype not understood", cls.name, str(e))
            elif "property" in decos:
                m["getters"].add(fn.name)
                if docstring_of(fn).lstrip().startswith("**[Required]**"):
                    m["required"].add(fn.name)
            elif any(d.endswith(".setter") for d in decos):
                m["setters"].add(fn.name)
                allowed = None
                raises = tolerant = False
                for st in ast.walk(fn):
                    if (isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)
                            and st.targets[0].id == "allowed_values"):
                        allowed = str_list(st.value)
                    elif isinstance(st, ast.Raise):
                        raises = True
                    elif isinstance(st, ast.Constant) and st.value == "UNKNOWN_ENUM_VALUE":
                        tolerant = True
                if allowed is not None:
                    if raises and tolerant:
                        issues.add("enum setter both raises and tolerates", f"{cls.name}.{fn.name}", "recorded as raise")
                    m["enums"][fn.name] = (allowed, "raise" if raises else "tolerate" if tolerant else None)
                    if not raises and not tolerant:
                        issues.add("enum setter neither raises nor tolerates", f"{cls.name}.{fn.name}", "enum_unknown null")
        out.append(m)
    return out


def extract_models(pkg_dir, package, issues):
    raw = {}
    for path in sorted(glob.glob(os.path.join(pkg_dir, "models", "*.py"))):
        if os.path.basename(path) == "__init__.py":
            continue
        for m in parse_model_file(path, issues):
            if m["swagger_types"] is None or m["attribute_map"] is None:
                issues.add("model without literal swagger_types/attribute_map", m["name"], os.path.basename(path))
                continue
            if m["name"] in raw:
                issues.add("duplicate model class name", m["name"], os.path.basename(path))
            raw[m["name"]] = m

    # Cross-check with <package>_type_mapping in models/__init__.py.
    init = ast.parse(_read(os.path.join(pkg_dir, "models", "__init__.py")))
    mapping_names = None
    for st in init.body:
        if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name) and st.targets[0].id.endswith("_type_mapping"):
            if isinstance(st.value, ast.Dict):
                mapping_names = {const(k) for k in st.value.keys}
    if mapping_names is None:
        issues.add("no *_type_mapping in models/__init__.py", package, "")
    elif mapping_names != set(raw):
        issues.add("type mapping differs from model files", package,
                   f"only in mapping: {sorted(mapping_names - set(raw))}; only in files: {sorted(set(raw) - mapping_names)}")

    models = []
    for name in sorted(raw):
        m = raw[name]
        st, am = m["swagger_types"], m["attribute_map"]
        if list(st) != list(am):
            issues.add("swagger_types and attribute_map keys differ", name, "")
        # Getters and setters are inherited: a subclass repeats the base's
        # swagger_types but not its properties, so resolve along the bases.
        chain = []
        c = m
        while c is not None and all(c["name"] != x["name"] for x in chain):
            chain.append(c)
            bs = [b for b in c["bases"] if b != "object"]
            c = raw.get(bs[0]) if len(bs) == 1 else None
        fields = []
        for fname, ftype in st.items():
            try:
                if any(n not in raw for n in parse_type(ftype)):
                    issues.add("model field type names no model class (kept as written)", f"{name}.{fname}", ftype)
            except ValueError:
                issues.add("malformed model field type", f"{name}.{fname}", ftype)
            getter = next((c for c in chain if fname in c["getters"]), None)
            setter = next((c for c in chain if fname in c["setters"]), None)
            if getter is None or setter is None:
                issues.add("model field without getter/setter", f"{name}.{fname}", "")
            enum, unknown = setter["enums"].get(fname, (None, None)) if setter else (None, None)
            fields.append({
                "name": fname,
                "wire": am.get(fname),
                "type": ftype,
                "required": getter is not None and fname in getter["required"],
                "enum": enum,
                "enum_unknown": unknown,
            })
        extra_enums = set(m["enums"]) - set(st)
        if extra_enums:
            issues.add("enum setter for a field not in swagger_types", name, sorted(extra_enums))

        discriminator = None
        if m["subtype"] is not None:
            key, mapping, default = m["subtype"]
            by_wire = {w: p for p, w in am.items()}
            if key not in by_wire:
                issues.add("discriminator wire key not a field", name, key)
            if default != name:
                issues.add("get_subtype default is not the base", name, default)
            for v, sub in mapping.items():
                if sub not in raw:
                    issues.add("get_subtype names a missing class", name, f"{v} -> {sub}")
            discriminator = {"field": by_wire.get(key), "wire": key, "subtypes": dict(mapping)}

        parent = None
        bases = [b for b in m["bases"] if b != "object"]
        if bases:
            if len(bases) > 1 or bases[0] not in raw:
                issues.add("model with unexpected base classes", name, m["bases"])
            else:
                base = raw[bases[0]]
                value = None
                if base["subtype"] is not None:
                    key, mapping, _ = base["subtype"]
                    vals = [v for v, sub in mapping.items() if sub == name]
                    if len(vals) > 1:
                        issues.add("subclass mapped from several discriminator values", name, vals)
                    field = {w: p for p, w in base["attribute_map"].items()}.get(key)
                    fixed = m["fixed"].get(field)
                    if vals:
                        value = vals[0]
                        if fixed is not None and fixed != value:
                            issues.add("subclass fixes a different discriminator value", name, f"{fixed} vs {value}")
                    elif fixed is not None:
                        value = fixed
                        issues.add("subclass not listed in base get_subtype (value taken from __init__)", name, f"{bases[0]}: {fixed}")
                    else:
                        issues.add("subclass with no discriminator value", name, bases[0])
                else:
                    issues.add("subclass of a model without get_subtype (parent.value null)", name,
                               f"{bases[0]}; fixed in __init__: {m['fixed'] or 'nothing'}")
                parent = {"name": bases[0], "value": value}
                if m["subtype"] is not None:
                    issues.add("multi-level polymorphism", name, f"base {bases[0]}")
        models.append({"name": name, "fields": fields, "discriminator": discriminator, "parent": parent})
    return models


# ---------------------------------------------------------------------------
# Clients and operations
# ---------------------------------------------------------------------------

def _find_base_client_call(init_fn):
    for node in ast.walk(init_fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("BaseClient", "AsyncBaseClient"):
            return node
    return None


def parse_client_init(cls, issues):
    init = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
    if init is None:
        return None
    call = _find_base_client_call(init)
    if call is None:
        return None
    kw = {}
    for node in ast.walk(init):
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "base_client_init_kwargs" and isinstance(node.value, ast.Dict)):
            for k, v in zip(node.value.keys, node.value.values):
                kw[const(k)] = v
    per_realm = {}
    if isinstance(kw.get("service_endpoint_template_per_realm"), ast.Dict):
        d = _dict_literal(kw["service_endpoint_template_per_realm"])
        if d is None:
            issues.add("service_endpoint_template_per_realm not a literal", cls.name, "")
        else:
            per_realm = d
    regional = const(kw.get("regional_client")) if "regional_client" in kw else None
    return {
        "async": call.func.id == "AsyncBaseClient",
        "client": cls.name,
        "service_name": const(call.args[0]) if call.args else None,
        "base_path": const(kw.get("base_path")),
        "endpoint_template": const(kw.get("service_endpoint_template")),
        "endpoint_template_per_realm": per_realm,
        "endpoint_service_name": const(kw.get("endpoint_service_name")),
        "regional": regional,
        "dualstack_by_default": const(kw.get("service_uses_dualstack_endpoints_by_default")),
    }


def snake_to_pascal(s):
    return "".join(p[:1].upper() + p[1:] for p in s.split("_") if p)


def parse_operation(fn, client, package, models_by_name, issues):
    """Return the operation dict, or None when fn is not an API operation."""
    where = f"{client}.{fn.name}"
    lits = {}
    dicts = {}
    allowed_checks = {}
    prefix_headers = []
    call_api = None
    stream_backup = False
    retry_token_added = False
    default_headers = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in ("required_arguments", "expected_kwargs"):
                lits[name] = str_list(node.value)
            elif name in ("resource_path", "method", "operation_name", "api_reference_link") and isinstance(node.value, ast.Constant):
                lits[name] = node.value.value
            elif name in ("path_params", "query_params", "header_params") and isinstance(node.value, ast.Dict):
                if name in dicts:
                    issues.add("dict literal assigned twice", where, name)
                dicts[name] = node.value
            elif name.endswith("_allowed_values"):
                vals = str_list(node.value)
                if vals is None:
                    issues.add("non-literal *_allowed_values", where, name)
                else:
                    allowed_checks[name[: -len("_allowed_values")]] = vals
        elif isinstance(node, ast.For):
            # for key, value in six.iteritems(kwargs.get("opc_meta", {})):
            #     header_params[f"opc-meta-{key}"] = value
            src_name = None
            for sub in ast.walk(node.iter):
                src_name = src_name or kwargs_get_name(sub)
            for st in node.body:
                if (isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Subscript)
                        and isinstance(st.targets[0].value, ast.Name) and st.targets[0].value.id == "header_params"
                        and isinstance(st.targets[0].slice, ast.JoinedStr)):
                    parts = st.targets[0].slice.values
                    if src_name and isinstance(parts[0], ast.Constant) and len(parts) == 2:
                        prefix_headers.append((src_name, parts[0].value))
                    else:
                        issues.add("dynamic header not understood", where, ast.unparse(st)[:100])
        elif isinstance(node, ast.If):
            # if "expect" not in lowercase_header_params_keys:
            #     header_params["expect"] = "100-continue"
            t = node.test
            if (isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.NotIn)
                    and isinstance(t.left, ast.Constant) and isinstance(t.comparators[0], ast.Name)
                    and t.comparators[0].id == "lowercase_header_params_keys"):
                for st in node.body:
                    if (isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Subscript)
                            and isinstance(st.targets[0].value, ast.Name) and st.targets[0].value.id == "header_params"
                            and isinstance(st.targets[0].slice, ast.Constant) and isinstance(st.value, ast.Constant)):
                        default_headers[st.targets[0].slice.value] = st.value.value
                    else:
                        issues.add("default header not understood", where, ast.unparse(st)[:100])
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr == "call_api":
                if call_api is not None:
                    issues.add("several call_api calls", where, "")
                call_api = node
            elif isinstance(f, ast.Name) and f.id == "back_up_body_calculate_stream_content_length":
                stream_backup = True
            elif isinstance(f, ast.Attribute) and f.attr == "add_opc_retry_token_if_needed":
                retry_token_added = True

    if call_api is None or "resource_path" not in lits or "method" not in lits:
        return None

    for need in ("required_arguments", "expected_kwargs", "operation_name", "api_reference_link"):
        if lits.get(need) is None:
            issues.add("operation literal missing", where, need)
    if lits.get("operation_name") not in (None, fn.name):
        issues.add("operation_name differs from method name", where, lits.get("operation_name"))

    call_kw = {k.arg: k.value for k in call_api.keywords if k.arg}
    response = const(call_kw["response_type"]) if "response_type" in call_kw else None
    if "response_type" in call_kw and response is None:
        issues.add("non-literal response_type", where, ast.unparse(call_kw["response_type"]))
    sign_body = True
    if "enforce_content_headers" in call_kw:
        v = const(call_kw["enforce_content_headers"])
        if v is False:
            sign_body = False
        elif v is not True:
            issues.add("non-literal enforce_content_headers", where, ast.unparse(call_kw["enforce_content_headers"]))

    doc = parse_method_doc(docstring_of(fn))
    positional = [a.arg for a in fn.args.args if a.arg != "self"]
    expected = lits.get("expected_kwargs") or []

    # python name -> (in, wire, collection_format)
    mapping = {}
    consts = {}
    for dname, loc in (("path_params", "path"), ("query_params", "query"), ("header_params", "header")):
        d = dicts.get(dname)
        if d is None:
            continue
        for k, v in zip(d.keys, d.values):
            wire = const(k)
            kind, pyname, fmt = value_source(v)
            if kind == "const":
                consts[(loc, wire)] = pyname
                continue
            if kind == "other":
                issues.add("parameter value not understood", where, f"{loc} {wire}: {pyname}")
                continue
            if pyname in mapping:
                issues.add("parameter mapped twice", where, f"{pyname}: {mapping[pyname][1]} and {wire}")
                continue
            if kind == "arg" and pyname not in positional:
                issues.add("dict value names an unknown argument", where, pyname)
            if kind == "kwarg" and pyname not in expected:
                issues.add("kwargs.get of a name not in expected_kwargs", where, pyname)
            mapping[pyname] = (loc, wire, fmt)
    for pyname, prefix in prefix_headers:
        mapping[pyname] = ("header", prefix, None)
    body_name = None
    if "body" in call_kw:
        b = call_kw["body"]
        if isinstance(b, ast.Name):
            body_name = b.id
        else:
            body_name = kwargs_get_name(b)
            if body_name is None:
                issues.add("body expression not understood", where, ast.unparse(b))
        if body_name is not None:
            if body_name in mapping:
                issues.add("body also mapped to a wire dict", where, body_name)
            mapping[body_name] = ("body", None, None)

    # Parameter order: positional (required) arguments in signature order,
    # then optional ones in expected_kwargs order.
    order = [(n, True) for n in positional] + [(n, False) for n in expected if n not in SDK_ONLY_KWARGS]
    params = []
    seen = set()
    for pyname, required in order:
        if pyname in seen:
            continue
        seen.add(pyname)
        if pyname not in mapping:
            issues.add("argument reaches no wire location", where, pyname)
            continue
        loc, wire, fmt = mapping[pyname]
        d = doc.get(pyname)
        if d is None:
            ptype = None
            issues.add("parameter without docstring type", where, pyname)
        else:
            ptype, ok = normalise_doc_type(d["type_raw"])
            if ok:
                missing_models = sorted(n for n in parse_type(ptype, allow_stream=True) if n not in models_by_name)
                if missing_models:
                    issues.add("parameter type names no model class (kept as written)", where,
                               f"{pyname}: {ptype}")
            else:
                evident = re.sub(r"\boci\.[a-z0-9_]+(?:\.[a-z0-9_]+)*\.models\.", "", d["type_raw"])
                try:
                    parse_type(evident)
                    hint = f" (recorded as-is; evidently {evident})"
                except ValueError:
                    hint = " (recorded as-is)"
                issues.add("malformed docstring type", where, f"{pyname}: {d['type_raw']}{hint}")
            marker = d["required_marker"]
            if marker is not None and (marker == "required") != required:
                issues.add("docstring (required)/(optional) disagrees with signature", where, f"{pyname}: {marker}")
        enum = None
        enum_source = None
        if pyname in allowed_checks:
            enum, enum_source = allowed_checks[pyname], "check"
            if d and d["allowed"] is not None and d["allowed"] != enum:
                issues.add("docstring allowed values differ from the method check", where, pyname)
        elif d and d["allowed"] is not None:
            enum, enum_source = d["allowed"], "docstring"
            issues.add("parameter enum taken from the docstring (the method does not check it)", where,
                       f"{pyname} ({loc} {wire}, {ptype})")
        params.append({
            "name": pyname,
            "wire": wire,
            "in": loc,
            "type": ptype,
            "required": required,
            "collection_format": fmt,
            "enum": enum,
            "enum_source": enum_source,
            "prefix_dict": any(p[0] == pyname for p in prefix_headers),
        })
    for pyname in mapping:
        if pyname not in seen:
            issues.add("wire parameter is neither positional nor in expected_kwargs", where, pyname)
    for key in allowed_checks:
        if key not in seen:
            issues.add("*_allowed_values check for an unknown parameter", where, key)

    req_args = lits.get("required_arguments") or []
    wire_required = [p["wire"] for p in params if p["required"] and p["in"] in ("path", "query")]
    if sorted(req_args) != sorted(wire_required):
        issues.add("required_arguments differs from required path/query parameters", where,
                   f"{req_args} vs {wire_required}")

    link = lits.get("api_reference_link") or ""
    name_derived = False
    if link:
        name = link.rstrip("/").rsplit("/", 1)[-1]
        if not OPERATION_ID_RE.match(name):
            issues.add("api_reference_link last segment is not an operation id", where, link)
    else:
        name = snake_to_pascal(fn.name)
        name_derived = True
        issues.add("empty api_reference_link (name derived from method)", where, name)

    header_keys = {str(k).lower() for (loc, k) in consts if loc == "header"} | \
        {p["wire"].lower() for p in params if p["in"] == "header"}
    retry_token = "opc-retry-token" in header_keys
    if retry_token != retry_token_added:
        issues.add("opc-retry-token header vs add_opc_retry_token_if_needed disagree", where,
                   f"header={retry_token} add_call={retry_token_added}")

    body = next((p for p in params if p["in"] == "body"), None)
    request_stream = body is not None and body["type"] == "stream"
    if request_stream != stream_backup:
        issues.add("stream body vs back_up_body_calculate_stream_content_length disagree", where,
                   f"stream={request_stream} backup={stream_backup}")

    accept = None
    for (loc, k), v in consts.items():
        if str(k).lower() == "accept":
            if v != "application/json":
                accept = v
        elif str(k).lower() == "content-type":
            # Always application/json in 2.189.0; raw (stream) bodies carry none.
            if v != "application/json" or request_stream:
                issues.add("constant content-type not expressed in the spec", where, f"{k}: {v}")
        else:
            issues.add("constant header other than accept/content-type", where, f"{k}: {v}")

    if response is not None:
        try:
            for n in parse_type(response):
                if n not in models_by_name:
                    issues.add("response type names no model of the package", where, response)
        except ValueError:
            if response != "stream":
                issues.add("unknown response type", where, response)

    pagination = None
    page = next((p for p in params if p["in"] == "query" and p["wire"] == "page" and p["name"] == "page"), None)
    if package == "object_storage" and response == "ListObjects":
        start = next((p for p in params if p["in"] == "query" and p["wire"] == "start"), None)
        lo = models_by_name.get("ListObjects")
        fields = {f["name"]: f for f in lo["fields"]} if lo else {}
        if start is None or "next_start_with" not in fields or "objects" not in fields:
            issues.add("ListObjects pagination facts missing", where, "")
        pagination = {"style": "start", "items": "field", "field": "objects",
                      "field_wire": fields.get("objects", {}).get("wire"),
                      "token_field": fields.get("next_start_with", {}).get("wire"),
                      "token_param": start["name"] if start else None}
        if page is not None:
            issues.add("ListObjects also has a page parameter", where, "")
    elif page is not None:
        items, field, field_wire = None, None, None
        if response and response.startswith("list["):
            items = "list"
        elif response in models_by_name:
            fields = models_by_name[response]["fields"]
            lists = [f for f in fields if f["type"].startswith("list[")]
            named_items = [f for f in lists if f["name"] == "items"]
            model_lists = [f for f in lists if parse_type(f["type"])]
            if named_items:
                pick = named_items[0]
            elif len(lists) == 1:
                pick = lists[0]
                issues.add("paginated items field is not 'items' (guessed: the only list field)", where,
                           f"{response}.{pick['name']}")
            elif len(model_lists) == 1:
                pick = model_lists[0]
                issues.add("paginated items field is not 'items' (guessed: the only list-of-model field)", where,
                           f"{response}.{pick['name']} (other lists: "
                           f"{[f['name'] for f in lists if f is not pick]})")
            else:
                pick = None
                issues.add("paginated response has no single list field (items unknown)", where,
                           f"{response}: {[f['name'] for f in lists]}")
            if pick is not None:
                items, field, field_wire = "field", pick["name"], pick["wire"]
        else:
            issues.add("paginated operation with a non-list, non-model response", where, str(response))
        pagination = {"style": "page", "items": items, "field": field, "field_wire": field_wire}
        if any(p["in"] == "query" and p["wire"] == "start" for p in params):
            issues.add("page-style list also takes 'start' (recorded as page style)", where, "")

    return {
        "name": name,
        "name_derived": name_derived,
        "client": client,
        "method": fn.name,
        "http_method": lits["method"],
        "path": lits["resource_path"],
        "api_reference": link,
        "parameters": params,
        "response": response,
        "retry_token": retry_token,
        "sign_body": sign_body,
        "request_stream": request_stream,
        "response_stream": response == "stream",
        "pagination": pagination,
        "accept": accept,
        "default_headers": dict(sorted(default_headers.items())),
    }


def extract_package(src, package):
    """Extract one service package.  Returns (spec, issues)."""
    issues = Issues(package)
    pkg_dir = os.path.join(src, package)
    models = extract_models(pkg_dir, package, issues)
    models_by_name = {m["name"]: m for m in models}

    clients = []
    skipped = []
    operations = []
    for path in sorted(glob.glob(os.path.join(pkg_dir, "*_client.py"))):
        if path.endswith("_composite_operations.py"):
            continue
        tree = ast.parse(_read(path))
        for cls in tree.body:
            if not isinstance(cls, ast.ClassDef):
                continue
            meta = parse_client_init(cls, issues)
            if meta is None:
                continue
            if meta.pop("async"):
                skipped.append(cls.name)
                issues.add("async client skipped (duplicates a sync client)", cls.name, os.path.basename(path))
                continue
            clients.append(meta)
            for fn in cls.body:
                if isinstance(fn, ast.AsyncFunctionDef):
                    issues.add("async method in sync client", f"{cls.name}.{fn.name}", "")
                if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("_"):
                    continue
                op = parse_operation(fn, cls.name, package, models_by_name, issues)
                if op is None:
                    issues.add("public method that is not an operation", f"{cls.name}.{fn.name}", "")
                    continue
                operations.append(op)
    if not clients:
        raise ExtractError(f"package {package}: no client class found")

    clients.sort(key=lambda c: c["client"])
    operations.sort(key=lambda o: (o["name"], o["client"], o["method"]))
    names = {}
    for o in operations:
        names.setdefault(o["name"], []).append(o["client"] + "." + o["method"])
    for n, where in names.items():
        if len(where) > 1:
            issues.add("operation id used by several methods", n, ", ".join(where))

    def common(key):
        vals = {json.dumps(c[key], sort_keys=True) for c in clients}
        return clients[0][key] if len(vals) == 1 else None

    service = {
        "name": package,
        "service_name": common("service_name"),
        "base_path": common("base_path"),
        "endpoint_template": common("endpoint_template"),
        "endpoint_template_per_realm": common("endpoint_template_per_realm"),
        "endpoint_service_name": common("endpoint_service_name"),
        "regional": common("regional"),
        "dualstack_by_default": common("dualstack_by_default"),
        "clients": clients,
    }
    spec = {
        "source": {
            "package": "oci",
            "version": PINNED_VERSION,
            "module": f"oci.{package}",
            "clients": [c["client"] for c in clients],
            "skipped_clients": sorted(skipped),
        },
        "service": service,
        "operations": operations,
        "models": models,
    }
    return spec, issues.items


def dumps(spec):
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------
# --check: readable differences
# ---------------------------------------------------------------------------

def diff_summary(old, new, limit=40):
    lines = []

    def keyed(lst):
        if all(isinstance(x, dict) and "name" in x for x in lst):
            out = {}
            for x in lst:
                k = x["name"] + ("@" + x["client"] if "client" in x else "")
                out[k] = x
            if len(out) == len(lst):
                return out
        return None

    def walk(a, b, path):
        if len(lines) >= limit:
            return
        if type(a) is not type(b):
            lines.append(f"{path}: {json.dumps(a)[:80]} -> {json.dumps(b)[:80]}")
        elif isinstance(a, dict):
            if list(a) != list(b):
                missing, extra = [k for k in a if k not in b], [k for k in b if k not in a]
                if missing or extra:
                    lines.append(f"{path}: keys removed {missing} added {extra}")
                else:
                    lines.append(f"{path}: key order changed")
            for k in a:
                if k in b:
                    walk(a[k], b[k], f"{path}.{k}")
        elif isinstance(a, list):
            ka, kb = keyed(a), keyed(b)
            if ka is not None and kb is not None:
                for k in ka:
                    if k not in kb:
                        lines.append(f"{path}: removed {k}")
                for k in kb:
                    if k not in ka:
                        lines.append(f"{path}: added {k}")
                if [k for k in ka if k in kb] != [k for k in kb if k in ka]:
                    lines.append(f"{path}: order changed")
                for k in ka:
                    if k in kb:
                        walk(ka[k], kb[k], f"{path}[{k}]")
            elif not any(isinstance(x, (dict, list)) for x in a + b):
                if a != b:
                    lines.append(f"{path}: {json.dumps(a)[:100]} -> {json.dumps(b)[:100]}")
            else:
                if len(a) != len(b):
                    lines.append(f"{path}: length {len(a)} -> {len(b)}")
                for i, (x, y) in enumerate(zip(a, b)):
                    walk(x, y, f"{path}[{i}]")
        elif a != b:
            lines.append(f"{path}: {json.dumps(a)[:80]} -> {json.dumps(b)[:80]}")

    walk(old, new, "")
    return lines


# ---------------------------------------------------------------------------
# --report
# ---------------------------------------------------------------------------

def _extract_for_pool(args):
    src, package = args
    t0 = time.time()
    spec, issues = extract_package(src, package)
    return package, spec, issues, time.time() - t0


def extract_all(src, packages, jobs):
    results = {}
    if jobs <= 1:
        for p in packages:
            pkg, spec, issues, dt = _extract_for_pool((src, p))
            results[pkg] = (spec, issues, dt)
    else:
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as ex:
            for pkg, spec, issues, dt in ex.map(_extract_for_pool, [(src, p) for p in packages]):
                results[pkg] = (spec, issues, dt)
    return results


def md_escape(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def write_report(src, results, out_dir, elapsed, jobs, report_path):
    rows = []
    tot = dict(clients=0, ops=0, models=0, poly=0, sreq=0, sresp=0, pag=0, retry=0)
    all_issues = []
    for pkg in sorted(results):
        spec, issues, _ = results[pkg]
        ops = spec["operations"]
        models = spec["models"]
        poly = sum(1 for m in models if m["discriminator"])
        sreq = sum(1 for o in ops if o["request_stream"])
        sresp = sum(1 for o in ops if o["response_stream"])
        pag = sum(1 for o in ops if o["pagination"])
        retry = sum(1 for o in ops if o["retry_token"])
        clients = spec["source"]["clients"]
        rows.append((pkg, clients, spec["source"]["skipped_clients"], len(ops), len(models), poly, sreq, sresp, pag, retry))
        tot["clients"] += len(clients)
        tot["ops"] += len(ops)
        tot["models"] += len(models)
        tot["poly"] += poly
        tot["sreq"] += sreq
        tot["sresp"] += sresp
        tot["pag"] += pag
        tot["retry"] += retry
        all_issues.extend(issues)

    ops_all = [(pkg, o) for pkg in sorted(results) for o in results[pkg][0]["operations"]]
    styles = {}
    for _, o in ops_all:
        p = o["pagination"]
        if p:
            if p["style"] == "start":
                k = "start style (`nextStartWith` -> `start`)"
            elif p["items"] == "list":
                k = "page style, response is a list"
            elif p["items"] is None:
                k = "page style, items unknown"
            elif p["field"] == "items":
                k = "page style, items in field `items`"
            else:
                k = "page style, items in another field (guessed)"
            styles[k] = styles.get(k, 0) + 1
    enum_sources = {}
    coll = {}
    for _, o in ops_all:
        for p in o["parameters"]:
            if p["enum_source"]:
                enum_sources[p["enum_source"]] = enum_sources.get(p["enum_source"], 0) + 1
            if p["collection_format"]:
                coll[p["collection_format"]] = coll.get(p["collection_format"], 0) + 1
    unknown = {"tolerate": 0, "raise": 0, None: 0}
    for pkg in results:
        for m in results[pkg][0]["models"]:
            for f in m["fields"]:
                if f["enum"] is not None:
                    unknown[f["enum_unknown"]] += 1

    L = []
    L.append("# OCI Python SDK extraction report")
    L.append("")
    L.append(f"Generated by `python3 spec/extract.py --report` from `oci` {PINNED_VERSION} "
             f"(source read with `ast`, never imported). Do not edit by hand.")
    L.append("")
    L.append(f"- Runtime: {elapsed:.1f} s wall clock for extracting and writing all {len(results)} packages "
             f"({jobs} worker processes).")
    L.append(f"- Output: {'`' + out_dir + '`' if out_dir else 'a temporary directory (deleted afterwards); pass `--out DIR` to keep it'}.")
    L.append(f"- Totals: {len(results)} service packages, {tot['clients']} sync client classes, {tot['ops']} operations, "
             f"{tot['models']} model classes, {tot['poly']} polymorphic bases, {tot['sreq']} streamed-request operations, "
             f"{tot['sresp']} streamed-response operations, {tot['pag']} paginated operations, "
             f"{tot['retry']} operations taking `opc-retry-token`.")
    L.append(f"- Pagination styles: " + ", ".join(f"{k}: {v}" for k, v in sorted(styles.items())) + ".")
    L.append(f"- Parameter enums by source: " + ", ".join(f"{k}: {v}" for k, v in sorted(enum_sources.items()))
             + f"; collection formats: " + ", ".join(f"{k}: {v}" for k, v in sorted(coll.items())) + ".")
    L.append(f"- Model enum fields (a subclass' inherited fields counted again): unknown values tolerated "
             f"(mapped to `UNKNOWN_ENUM_VALUE`) {unknown['tolerate']}, raise {unknown['raise']}, neither {unknown[None]}.")
    L.append("- Packages with several client classes are one file each, `spec/<package>.json`: every operation names "
             "its `client`, `source.clients` lists them and `service.clients` holds each client's endpoint facts.")
    L.append(f"- Operations with `sign_body: false` (`enforce_content_headers=False`): "
             f"{sum(1 for _, o in ops_all if not o['sign_body'])}; with a non-JSON `accept`: "
             f"{sum(1 for _, o in ops_all if o['accept'])}; with `default_headers`: "
             f"{sum(1 for _, o in ops_all if o['default_headers'])}.")
    L.append("")
    L.append("## Per service")
    L.append("")
    L.append("| package | client class(es) | ops | models | polymorphic bases | streamed req | streamed resp | paginated | retry token |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for pkg, clients, skipped, nops, nmod, poly, sreq, sresp, pag, retry in rows:
        c = ", ".join(clients) + (f" (skipped: {', '.join(skipped)})" if skipped else "")
        L.append(f"| {pkg} | {md_escape(c)} | {nops} | {nmod} | {poly} | {sreq} | {sresp} | {pag} | {retry} |")
    L.append("")
    L.append("## Constructs the extractor could not express or had to guess")
    L.append("")
    L.append("Each item below is a fact of the SDK source that does not fit the schema cleanly; the "
             "JSON records it as described in `spec/README.md`.")
    L.append("")
    by_kind = {}
    for it in all_issues:
        by_kind.setdefault(it["kind"], []).append(it)
    for kind in sorted(by_kind, key=lambda k: (-len(by_kind[k]), k)):
        items = by_kind[kind]
        L.append(f"### {kind} ({len(items)})")
        L.append("")
        for it in sorted(items, key=lambda i: (i["package"], i["where"], str(i["detail"]))):
            d = f": {md_escape(it['detail'])}" if it["detail"] not in ("", None) else ""
            L.append(f"- `{it['package']}` {md_escape(it['where'])}{d}")
        L.append("")
    if not by_kind:
        L.append("None.")
        L.append("")
    with open(report_path, "w", encoding="utf-8") as f:
        f.write("\n".join(L).rstrip("\n") + "\n")


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", nargs="+", metavar="PACKAGE", help="extract and write spec/<package>.json")
    mode.add_argument("--check", nargs="+", metavar="PACKAGE", help="re-extract and compare with spec/<package>.json")
    mode.add_argument("--report", action="store_true", help="extract every service package and write spec/REPORT.md")
    ap.add_argument("--oci-src", help="path to the oci package directory (default: target/py-oci-venv, then find_spec)")
    ap.add_argument("--out", help="output directory (--write default: spec/; --report default: a temporary directory)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes for --report")
    args = ap.parse_args(argv)

    t0 = time.time()
    try:
        src = locate_oci_src(args.oci_src)
        check_version(src)
        check_pagination_facts(src)
        available = set(list_packages(src))
        wanted = args.write or args.check or []
        for p in wanted:
            if p not in available:
                raise ExtractError(f"unknown service package {p!r} (not a directory of {src} with models/ and a *_client.py)")
    except ExtractError as e:
        print(f"extract.py: error: {e}", file=sys.stderr)
        return 2

    if args.write:
        out_dir = args.out or SPEC_DIR
        os.makedirs(out_dir, exist_ok=True)
        for p in args.write:
            spec, issues = extract_package(src, p)
            path = os.path.join(out_dir, f"{p}.json")
            with open(path, "w", encoding="utf-8") as f:
                f.write(dumps(spec))
            print(f"wrote {os.path.relpath(path)}: {len(spec['operations'])} operations, {len(spec['models'])} models, "
                  f"{len(issues)} notes")
        print(f"done in {time.time() - t0:.1f} s")
        return 0

    if args.check:
        out_dir = args.out or SPEC_DIR
        failed = 0
        for p in args.check:
            spec, _ = extract_package(src, p)
            path = os.path.join(out_dir, f"{p}.json")
            text = dumps(spec)
            if not os.path.exists(path):
                print(f"{p}: {os.path.relpath(path)} does not exist")
                failed += 1
                continue
            old_text = _read(path)
            if old_text == text:
                print(f"{p}: up to date ({len(spec['operations'])} operations, {len(spec['models'])} models)")
                continue
            failed += 1
            try:
                old = json.loads(old_text)
            except ValueError as e:
                print(f"{p}: {os.path.relpath(path)} is not valid JSON ({e})")
                continue
            lines = diff_summary(old, spec)
            print(f"{p}: {os.path.relpath(path)} differs from a fresh extraction:")
            for line in lines or ["(formatting only: whitespace, key order or trailing newline)"]:
                print(f"  {line}")
            if len(lines) >= 40:
                print("  ... (more differences not shown)")
        if failed:
            print(f"{failed} file(s) out of date; regenerate with: python3 spec/extract.py --write {' '.join(args.check)}")
            return 1
        print(f"done in {time.time() - t0:.1f} s")
        return 0

    # --report
    packages = sorted(available)
    tmp = None
    out_dir = args.out
    if out_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="oci-spec-")
        target = tmp.name
    else:
        target = out_dir
        os.makedirs(target, exist_ok=True)
    try:
        results = extract_all(src, packages, max(1, args.jobs))
        for p, (spec, _, _) in results.items():
            with open(os.path.join(target, f"{p}.json"), "w", encoding="utf-8") as f:
                f.write(dumps(spec))
        elapsed = time.time() - t0
        report_path = os.path.join(SPEC_DIR, "REPORT.md")
        write_report(src, results, out_dir, elapsed, max(1, args.jobs), report_path)
        nops = sum(len(r[0]["operations"]) for r in results.values())
        nmod = sum(len(r[0]["models"]) for r in results.values())
        nis = sum(len(r[1]) for r in results.values())
        print(f"extracted {len(results)} packages ({nops} operations, {nmod} models, {nis} notes) into {target}")
        print(f"wrote {os.path.relpath(report_path)} in {elapsed:.1f} s")
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())

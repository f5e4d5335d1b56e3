#!/usr/bin/env python3
"""What the code section of the wasm bundle is made of, by crate (BENCHMARKS.md, issue 5).

Input: `twiggy top -n 100000 --format csv FILE.wasm` of a build that kept its names (for the
shipped bundle: `wasm-opt -Oz -g`, the same code with the name section). Each function is
charged to the crate of its symbol: for `<Type as Trait>::f` the type's crate, for `<T as
Trait>::f` with a bare type parameter the trait's. Under LTO code is inlined across crates, so
the split is approximate (key parsing inlined into ocisdk_core counts as ocisdk_core, etc.).

Usage: python3 js/tests/size_by_crate.py top.csv
"""
import collections
import csv
import re
import sys

NOT_CODE = re.compile(
    r'^(data segment|type\[|import |export |elem\[|table\[|global\[|memory\[|"|custom section'
    r"|wasm magic|code section|start)"
)

GROUPS = [
    ("RSA + keys: num-bigint-dig", ["num_bigint_dig", "num_bigint", "num_integer", "num_traits", "num_iter"]),
    ("RSA + keys: DER/PKCS (der, pkcs1, pkcs8, spki, const-oid)", ["der", "pkcs1", "pkcs8", "spki", "pem_rfc7468", "base64ct", "const_oid", "pem"]),
    ("RSA + keys: rsa", ["rsa"]),
    ("RSA + keys: sha2", ["sha2"]),
    ("RSA + keys: encrypted keys (pbkdf2, scrypt, aes, des, cbc)", ["pbkdf2", "aes", "cbc", "des", "scrypt", "salsa20", "hmac", "cipher", "block_padding", "inout"]),
    ("RSA + keys: digest, rand, zeroize, ...", ["digest", "block_buffer", "crypto_common", "rand_core", "rand_chacha", "ppv_lite86", "getrandom", "zeroize", "subtle", "generic_array", "signature", "spin", "smallvec"]),
    ("ocisdk-core", ["ocisdk_core"]),
    ("Rust runtime + formatting (core, alloc, std, dlmalloc, hashbrown)", ["core", "alloc", "std", "dlmalloc", "compiler_builtins", "panic_abort", "__rustc", "hashbrown"]),
    ("serde_json + serde (+ zmij, itoa)", ["serde_json", "serde", "serde_core", "zmij", "itoa", "ryu"]),
    ("js-sys / wasm-bindgen / web-sys glue", ["js_sys", "wasm_bindgen", "wasm_bindgen_futures", "web_sys"]),
    ("ocisdk-wasm (fetch transport)", ["ocisdk_wasm"]),
    ("ocisdk-js (JS API)", ["ocisdk_js"]),
    ("generated services (identity, object storage, secrets)", ["ocisdk_identity", "ocisdk_object_storage", "ocisdk_secrets"]),
    ("time", ["time", "time_core", "deranged", "powerfmt", "num_conv"]),
    ("http", ["http"]),
    ("md-5", ["md5"]),
]


def crate_of(name):
    s = name
    while True:
        t = re.sub(r"^(<|&|mut |dyn |\(|\[|\*const |\*mut )", "", s)
        if t == s:
            break
        s = t
    generic = re.match(r"([A-Z][A-Za-z0-9]?) as (.*)", s)
    if generic:
        s = generic.group(2)
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(\[[0-9a-f]+\])?::", s)
    if m:
        return m.group(1)
    if re.match(r"^(f32|f64|u8|u16|u32|u64|u128|i8|i16|i32|i64|i128|usize|isize|bool|char|str)\b", s):
        return "core"
    if "shim" in name or name.startswith(("__wbg", "__wbindgen", "__externref")):
        return "wasm_bindgen"
    return "(unnamed)"


def core_part(name):
    if re.search(r"auth::keys|PrivateKey|parse_pkcs|pkcs|pem", name):
        return "ocisdk-core auth::keys (key parsing; DER/PKCS/encrypted-key code inlined)"
    if re.search(r"call::", name):
        return "ocisdk-core call:: (per-operation response handling; model decoding inlined)"
    return "ocisdk-core, the rest"


def main(path):
    rows = [r for r in csv.DictReader(open(path)) if not NOT_CODE.match(r["Name"])]
    by_crate = collections.Counter()
    core = collections.Counter()
    for r in rows:
        size = int(r["ShallowSize"])
        crate = crate_of(r["Name"])
        by_crate[crate] += size
        if crate == "ocisdk_core":
            core[core_part(r["Name"])] += size
    total = sum(by_crate.values())
    lines = []
    grouped = set()
    for label, crates in GROUPS:
        grouped.update(crates)
        lines.append((sum(by_crate[c] for c in crates), label))
    rest = collections.Counter({c: v for c, v in by_crate.items() if c not in grouped})
    lines.append((sum(rest.values()), "other: " + ", ".join(f"{c} {v}" for c, v in rest.most_common(6))))
    print(f"functions in the code section: {total} bytes")
    for size, label in sorted(lines, reverse=True):
        print(f"{size:9d} {100 * size / total:5.1f}%  {label}")
    for part, size in core.most_common():
        print(f"{size:9d} {100 * size / total:5.1f}%    of which {part}")


if __name__ == "__main__":
    main(sys.argv[1])

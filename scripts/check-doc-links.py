#!/usr/bin/env python3
"""Links that render as literal brackets in the workspace's own docs.

`cargo doc --no-deps` leaves the dependencies undocumented, and rustdoc renders an intra-doc
link to an item of an undocumented crate (`[`Stream`](futures_core::Stream)`, `[`hyper`]`)
as its text between literal brackets, without a warning: `rustdoc::broken_intra_doc_links`
only fires for names it cannot resolve at all. This looks for `[<code>…</code>]` (a backticked link)
in the docs the workspace writes itself (crate, module and item docs, inherent methods), not in
docs inherited from other crates' traits (the trait-implementation sections), and fails
listing them. Link such items through a re-export of ours or to docs.rs instead.

usage: scripts/check-doc-links.py [target/doc]
"""

import html
import pathlib
import re
import sys

DOC = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/doc")
# Everything from here on in a page is docs of trait implementations, which come from the
# traits' own crates when the trait is foreign.
CUT = re.compile(r'<h2 id="(trait-implementations|synthetic-implementations|blanket-implementations)"')
BLOCK = re.compile(r'<div class=["\']docblock[^"\']*["\']>(.*?)</div>', re.S)
LITERAL = re.compile(r"\[<code>([^<]{1,120})</code>\]")
# Code blocks hold brackets legitimately (`vec![..]`, `[u8]`, `#[test]`).
CODE = re.compile(r"<pre\b.*?</pre>", re.S)


def own_crates():
    for d in sorted(DOC.iterdir()):
        if d.is_dir() and (d / "index.html").exists() and d.name.startswith("ocisdk_"):
            yield d


def own_names():
    """Every item, module and crate name the workspace documents. A literal link naming one of
    them is an artifact of cargo documenting workspace crates in parallel (a crate's docs link
    to another's only when that one's directory already exists); users, who document
    dependencies too, get the link."""
    names = set()
    # The test harness's modules are named after transports (`hyper`, `wasm`): not items.
    for crate in (c for c in own_crates() if c.name != "ocisdk_tests"):
        names.add(crate.name)
        for page in crate.rglob("*"):
            if page.is_dir():
                names.add(page.name)
            elif page.suffix == ".html" and "." in page.stem:
                names.add(page.stem.split(".", 1)[1])
    return names


def main():
    if not DOC.is_dir():
        print(f"{DOC}: no docs; run cargo doc first", file=sys.stderr)
        return 2
    found = []
    ours = own_names()
    for crate in own_crates():
        for page in sorted(crate.rglob("*.html")):
            text = page.read_text(encoding="utf-8", errors="replace")
            cut = CUT.search(text)
            if cut:
                text = text[: cut.start()]
            for block in BLOCK.findall(text):
                block = CODE.sub("", block)
                for m in LITERAL.finditer(block):
                    text = html.unescape(m.group(1))
                    first = re.split(r"::|\(|\)|!|<|>|\s", text)[0]
                    if first in ours:
                        continue
                    found.append(f"{page.relative_to(DOC)}: [`{text}`]")
    if found:
        print("links rendered as literal brackets (link through a re-export or to docs.rs):")
        for f in sorted(set(found)):
            print(f"  {f}")
        return 1
    print(f"no literal-bracket links in {', '.join(c.name for c in own_crates())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

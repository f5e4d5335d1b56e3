#!/usr/bin/env bash
# The example page (examples/page) in a real browser: builds it with the size profile
# (`--profile wasm-release`, wasm-bindgen, then `wasm-opt -Oz`), prints the bundle's
# sizes, starts ocisdk-emulator and a static server, and drives Debian's Chromium through it with
# playwright-core (tests/page.test.mjs): file pickers for config and key, connect, create a
# bucket, upload a generated file, check the listing, screenshot, download and compare bytes.
#
# Screenshot: target/ci-artifacts/wasm-example-page.png (…-failure.png when a step fails).
# Installs what it needs when missing: chromium and nodejs (apt), the wasm32 target and the
# pinned wasm-bindgen-cli (tools.sh, shared with run.sh), playwright-core and binaryen's wasm-opt
# (npm ci in tests/page-driver, whose lock pins both; nothing downloads a browser).
#
# Usage: bash js/tests/page.sh            (from anywhere)
#        OCISDK_WASM_NO_WASM_OPT=1 bash ...            (ship the wasm-bindgen output as is)
#        WASM_OPT_BIN=/path/to/wasm-opt bash ...       (another wasm-opt, binaryen >= 110)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CRATE="$ROOT/js"
cd "$ROOT"
START=$SECONDS

say() { printf '[wasm-page] %s\n' "$*"; }
die() { printf '[wasm-page] FAILED: %s\n' "$*" >&2; exit 1; }

# --- tools ---------------------------------------------------------------------------------
# shellcheck source=../../transport-wasm/tests/tools.sh
. "$ROOT/transport-wasm/tests/tools.sh"
wasm_tools_apt chromium:chromium node:nodejs npm:npm python3:python3
wasm_tools_node
wasm_tools_bindgen
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || die "playwright-core needs Node >= 20"
CHROMIUM="${CHROMIUM:-$(command -v chromium)}"

DRIVER="$CRATE/tests/page-driver"
LOCKED="$(node -p 'require(process.argv[1]).packages["node_modules/playwright-core"].version' "$DRIVER/package-lock.json")"
INSTALLED="$(node -p 'try { require(process.argv[1]).version } catch { "" }' "$DRIVER/node_modules/playwright-core/package.json")"
BINARYEN="$(node -p 'require(process.argv[1]).packages["node_modules/binaryen"].version' "$DRIVER/package-lock.json")"
HAVE_BINARYEN="$(node -p 'try { require(process.argv[1]).version } catch { "" }' "$DRIVER/node_modules/binaryen/package.json")"
if [ "$INSTALLED" != "$LOCKED" ] || [ "$HAVE_BINARYEN" != "$BINARYEN" ]; then
    say "npm ci in tests/page-driver (playwright-core $LOCKED, binaryen $BINARYEN)"
    (cd "$DRIVER" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in $DRIVER failed"
fi

# wasm-opt: binaryen's own build from npm, pinned in page-driver's lock. Not Debian's: bookworm's
# binaryen 108 (like every binaryen <= 108) rebinds wasm-bindgen's exported externref table
# (__wbindgen_externrefs) onto the fixed-size funcref table, even with no pass at all, and the
# page then dies at init with "WebAssembly.Table.grow(): failed to grow table by 4". WASM_OPT_BIN=path
# picks another wasm-opt (>= 110); OCISDK_WASM_NO_WASM_OPT=1 ships the wasm-bindgen output as is.
WASM_OPT=""
WO_VERSION=""
if [ -z "${OCISDK_WASM_NO_WASM_OPT:-}" ]; then
    WASM_OPT="${WASM_OPT_BIN:-$DRIVER/node_modules/binaryen/bin/wasm-opt}"
    WO_VERSION="$("$WASM_OPT" --version | sed -n 's/^wasm-opt version \([0-9]*\).*/\1/p')"
    [ -n "$WO_VERSION" ] || die "$WASM_OPT --version: no version"
    [ "$WO_VERSION" -ge 110 ] || die "$WASM_OPT is binaryen $WO_VERSION; <= 108 breaks wasm-bindgen's externref table"
fi

say "node $(node --version), $("$CHROMIUM" --version 2>/dev/null), wasm-bindgen $WB_VERSION, playwright-core $LOCKED, wasm-opt ${WO_VERSION:-skipped}"

# --- build the page ------------------------------------------------------------------------
WORK="$(mktemp -d)"
EMU_PID=""
HTTP_PID=""
cleanup() {
    for pid in $HTTP_PID $EMU_PID; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PKG="$CRATE/examples/page/pkg"
say "cargo build -p ocisdk-js --target wasm32-unknown-unknown --profile wasm-release --lib"
cargo build -q -p ocisdk-js --target wasm32-unknown-unknown --profile wasm-release --lib
RAW="$TARGET_DIR/wasm32-unknown-unknown/wasm-release/ocisdk_js.wasm"
rm -rf "$PKG"
"$WASM_BINDGEN" --target web --out-dir "$PKG" "$RAW"
BG="$PKG/ocisdk_js_bg.wasm"

size_line() { # label file
    printf '[wasm-page]   %-34s %9d bytes raw, %8d gzip -9\n' "$1" "$(stat -c %s "$2")" "$(gzip -9c "$2" | wc -c)"
}
cp "$BG" "$WORK/bindgen.wasm"
if [ -n "$WASM_OPT" ]; then
    # The features rustc enables by default for wasm32-unknown-unknown, which browsers have.
    "$WASM_OPT" -Oz --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int \
        --enable-sign-ext --enable-reference-types --enable-multivalue \
        "$WORK/bindgen.wasm" -o "$BG" || die "wasm-opt -Oz failed"
fi
say "bundle sizes (profile wasm-release):"
size_line "cargo output (ocisdk_js.wasm)" "$RAW"
size_line "after wasm-bindgen (_bg.wasm)" "$WORK/bindgen.wasm"
if [ -n "$WASM_OPT" ]; then
    size_line "after wasm-opt -Oz (shipped)" "$BG"
else
    say "  wasm-opt: skipped (OCISDK_WASM_NO_WASM_OPT); shipping the wasm-bindgen output"
fi
size_line "JS glue (ocisdk_js.js)" "$PKG/ocisdk_js.js"

# --- emulator and static server ------------------------------------------------------------
cargo build -q -p ocisdk-emulator

# Waits for a background process's first stdout line (in $2); dies with its stderr if it exits.
wait_first_line() { # pid out err what
    for _ in $(seq 200); do
        [ -s "$2" ] && grep -q . "$2" && return 0
        kill -0 "$1" 2>/dev/null || { cat "$3" >&2; die "$4 exited"; }
        sleep 0.05
    done
    cat "$3" >&2
    die "$4 did not start in 10 s"
}

mkdir -p "$WORK/state"
"$TARGET_DIR/debug/ocisdk-emulator" --listen 127.0.0.1:0 --state-dir "$WORK/state" \
    >"$WORK/emulator.out" 2>"$WORK/emulator.err" &
EMU_PID=$!
wait_first_line "$EMU_PID" "$WORK/emulator.out" "$WORK/emulator.err" "the emulator"
EMU_URL="$(head -n1 "$WORK/emulator.out")"
[ -f "$WORK/state/config" ] && [ -f "$WORK/state/key.pem" ] || die "the emulator wrote no config/key.pem"

# Port 0: the OS picks a free port and http.server prints it.
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$CRATE/examples/page" \
    >"$WORK/http.out" 2>"$WORK/http.err" &
HTTP_PID=$!
wait_first_line "$HTTP_PID" "$WORK/http.out" "$WORK/http.err" "python3 -m http.server"
HTTP_PORT="$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$WORK/http.out" | head -n1)"
[ -n "$HTTP_PORT" ] || die "no port in http.server's output: $(cat "$WORK/http.out")"
PAGE_URL="http://127.0.0.1:$HTTP_PORT/"
say "emulator at $EMU_URL, page at $PAGE_URL"

# --- drive the page ------------------------------------------------------------------------
SCREENSHOT="$ROOT/target/ci-artifacts/wasm-example-page.png"
mkdir -p "$(dirname "$SCREENSHOT")"
rm -f "$SCREENSHOT" "${SCREENSHOT%.png}-failure.png"
status=0
PAGE_URL="$PAGE_URL" EMULATOR_URL="$EMU_URL" EMULATOR_STATE="$WORK/state" SCREENSHOT="$SCREENSHOT" \
    CHROMIUM="$CHROMIUM" WORK_DIR="$WORK" timeout 180 node "$CRATE/tests/page.test.mjs" || status=$?
if [ "$status" -ne 0 ]; then
    say "emulator stderr (last lines):"
    tail -n 20 "$WORK/emulator.err" >&2 || true
    [ "$status" -ne 124 ] || die "the browser test timed out (180 s)"
    die "the browser test failed (exit $status)"
fi
[ -s "$SCREENSHOT" ] || die "no screenshot at $SCREENSHOT"
say "screenshot: $SCREENSHOT"
say "example page passed in $((SECONDS - START)) s"

#!/usr/bin/env bash
# Runs the ocisdk-wasm scenarios (tests/emulator.rs) against ocisdk-emulator in three hosts:
# headless Chromium (a window), headless Chromium (a dedicated worker) and Node; then the
# JavaScript API from JavaScript (tests/js_api.test.mjs, node:test, the `--target nodejs`
# package).
#
# Installs what it needs when missing: Debian's chromium + chromium-driver + nodejs, the
# wasm32 target, and wasm-bindgen-cli at exactly the version the workspace pins wasm-bindgen
# to. The emulator's URL, config text and key PEM are baked into the test build through
# environment variables (wasm has no environment at run time); each host gets a freshly
# started emulator on the same address, with the same key, so one build serves all hosts.
#
# Usage: bash transport-wasm/tests/run.sh            (from anywhere)
#        OCISDK_WASM_HOSTS="node js" bash ...         (a subset of: browser worker node js)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CRATE="$ROOT/transport-wasm"
cd "$ROOT"
HOSTS="${OCISDK_WASM_HOSTS:-browser worker node js}"

say() { printf '[wasm-tests] %s\n' "$*"; }
die() { printf '[wasm-tests] FAILED: %s\n' "$*" >&2; exit 1; }

# --- tools ---------------------------------------------------------------------------------
WB_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)"
[ -n "$WB_VERSION" ] || die "no exact wasm-bindgen pin (wasm-bindgen = \"=X\") in Cargo.toml"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (apt-get)"
    command -v apt-get >/dev/null 2>&1 || die "need ${missing[*]} and there is no apt-get"
    apt-get update -qq >/dev/null || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
fi
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" -ge 18 ] || die "Node $(node --version) has no global fetch; need >= 18"

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
if [ "$(wasm-bindgen-test-runner --version 2>/dev/null || true)" != "wasm-bindgen-test-runner $WB_VERSION" ]; then
    say "installing wasm-bindgen-cli $WB_VERSION (cargo install --locked; takes a few minutes)"
    cargo install wasm-bindgen-cli --version "=$WB_VERSION" --locked --quiet \
        || die "cargo install wasm-bindgen-cli $WB_VERSION failed"
fi
RUNNER="$(command -v wasm-bindgen-test-runner || echo "$HOME/.cargo/bin/wasm-bindgen-test-runner")"
[ "$("$RUNNER" --version)" = "wasm-bindgen-test-runner $WB_VERSION" ] \
    || die "$RUNNER is not version $WB_VERSION"

say "node $(node --version), $(chromium --version 2>/dev/null), $(chromedriver --version | cut -d' ' -f1-2), wasm-bindgen $WB_VERSION"

# --- emulator ------------------------------------------------------------------------------
cargo build -q -p ocisdk-emulator
EMULATOR="$ROOT/target/debug/ocisdk-emulator"
STATE="$(mktemp -d)"
EMU_PID=""
stop_emulator() {
    if [ -n "$EMU_PID" ]; then
        kill "$EMU_PID" 2>/dev/null || true
        wait "$EMU_PID" 2>/dev/null || true
        EMU_PID=""
    fi
}
trap 'stop_emulator; rm -rf "$STATE"' EXIT

FAULTS=(--fault "kind=503,op=HeadObject,times=2" --fault "kind=stall,op=GetBucket,times=1,stall-ms=2000")
# Starts an emulator with fresh state; the first time on a free port with a new key, later on
# the same address trusting the same key (so the test build's baked settings stay valid).
start_emulator() {
    local listen="127.0.0.1:0" keyargs=(--state-dir "$STATE")
    if [ -n "${EMU_URL:-}" ]; then
        listen="${EMU_URL#http://}"
        keyargs=(--config "$STATE/config")
    fi
    : >"$STATE/emulator.out"
    local tries=0
    while :; do
        "$EMULATOR" --listen "$listen" "${keyargs[@]}" --page-size 2 "${FAULTS[@]}" \
            >"$STATE/emulator.out" 2>"$STATE/emulator.err" &
        EMU_PID=$!
        for _ in $(seq 100); do
            [ -s "$STATE/emulator.out" ] && break
            kill -0 "$EMU_PID" 2>/dev/null || break
            sleep 0.1
        done
        if [ -s "$STATE/emulator.out" ]; then break; fi
        wait "$EMU_PID" 2>/dev/null || true
        EMU_PID=""
        tries=$((tries + 1))
        # The port of the previous run may still be held for a moment.
        [ "$tries" -lt 20 ] || { cat "$STATE/emulator.err" >&2; die "emulator did not start"; }
        sleep 0.5
    done
    EMU_URL="$(head -n1 "$STATE/emulator.out")"
}

start_emulator
[ -f "$STATE/config" ] && [ -f "$STATE/key.pem" ] || die "emulator wrote no config/key.pem"
say "emulator at $EMU_URL"
export OCISDK_WASM_TEST_URL="$EMU_URL"
OCISDK_WASM_TEST_CONFIG="$(cat "$STATE/config")"
OCISDK_WASM_TEST_KEY="$(cat "$STATE/key.pem")"
export OCISDK_WASM_TEST_CONFIG OCISDK_WASM_TEST_KEY

# --- build once, run per host ----------------------------------------------------------------
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$RUNNER"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$CRATE/webdriver.json"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"
cargo test -q -p ocisdk-wasm --target wasm32-unknown-unknown --test emulator --no-run

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WASM_BINDGEN="$(dirname "$RUNNER")/wasm-bindgen"
[ "$("$WASM_BINDGEN" --version)" = "wasm-bindgen $WB_VERSION" ] || die "$WASM_BINDGEN is not version $WB_VERSION"

for host in $HOSTS; do
    stop_emulator
    start_emulator
    unset WASM_BINDGEN_USE_BROWSER WASM_BINDGEN_USE_DEDICATED_WORKER
    say "=== $host ==="
    log="$STATE/$host.log"
    set +e
    case "$host" in
        browser | worker | node)
            [ "$host" = browser ] && export WASM_BINDGEN_USE_BROWSER=1
            [ "$host" = worker ] && export WASM_BINDGEN_USE_DEDICATED_WORKER=1
            cargo test -p ocisdk-wasm --target wasm32-unknown-unknown --test emulator 2>&1 | tee "$log"
            status=${PIPESTATUS[0]}
            ;;
        js)
            # The JS API from JavaScript: the `--target nodejs` package under node:test.
            {
                cargo build -q -p ocisdk-wasm --target wasm32-unknown-unknown --lib &&
                    "$WASM_BINDGEN" --target nodejs --out-dir "$STATE/pkg-node" \
                        "$TARGET_DIR/wasm32-unknown-unknown/debug/ocisdk_wasm.wasm" &&
                    OCISDK_WASM_PKG="$STATE/pkg-node" node --test "$CRATE/tests/js_api.test.mjs"
            } 2>&1 | tee "$log"
            status=${PIPESTATUS[0]}
            ;;
        *) set -e; die "unknown host $host (browser, worker, node, js)" ;;
    esac
    set -e
    [ "$status" -eq 0 ] || die "$host: tests failed (exit $status)"
    case "$host" in
        browser | worker)
            grep -q "Running headless tests in Chrome" "$log" \
                || die "$host: the runner did not say it ran in headless Chrome"
            ;;
        node)
            if grep -q "headless" "$log"; then die "node: the runner used a browser"; fi
            ;;
    esac
    case "$host" in
        js)
            grep -Eq "^# fail 0$" "$log" || die "js: no '# fail 0' in the node:test output"
            grep -Eq "^# pass [1-9]" "$log" || die "js: node:test ran no test"
            ;;
        *)
            grep -q "test result: ok" "$log" || die "$host: no test result in the output"
            if grep -Eq "test result: ok\. 0 passed" "$log"; then die "$host: ran no test"; fi
            ;;
    esac
done
say "all hosts passed: $HOSTS"

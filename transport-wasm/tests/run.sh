#!/usr/bin/env bash
# Runs the ocisdk-wasm tests against ocisdk-emulator in three hosts: headless Chromium (a
# window), headless Chromium (a dedicated worker) and Node; in each, tests/emulator.rs (what only
# the fetch client has) and then tests/scenarios.rs (the portable scenarios of ocisdk-tests, the
# ones the native transports run), each on a freshly started emulator; then the JavaScript API
# from JavaScript (tests/js_api.test.mjs, node:test, the `--target nodejs` package).
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
# shellcheck source=tools.sh
. "$CRATE/tests/tools.sh"
wasm_tools_apt chromium:chromium chromedriver:chromium-driver node:nodejs
wasm_tools_node
wasm_tools_bindgen

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

# The secret of the `secret_bundles` scenario, two versions (ocisdk_tests::scenarios::
# SCENARIO_SECRET; natively `portable_config` puts the same into the in-process emulator).
SECRETS=(--secret ocisdk-scenario-secret=first --secret ocisdk-scenario-secret=second)
# The faults tests/emulator.rs counts on; tests/scenarios.rs gets an emulator without them.
FAULTS=(--fault "kind=503,op=HeadObject,times=2" --fault "kind=stall,op=GetBucket,times=1,stall-ms=2000")
# tests/lost.rs: each of these applied once, then its connection dropped before the answer.
LOST=(--fault "kind=commit-then-drop,op=CreateBucket,times=1" --fault "kind=commit-then-drop,op=PutObject,times=1"
    --fault "kind=commit-then-drop,op=DeleteBucket,times=1")
# Starts an emulator with fresh state and the flags given (`"${FAULTS[@]}"` or none); the first
# time on a free port with a new key, later on the same address trusting the same key (so the
# test build's baked settings stay valid).
start_emulator() {
    local listen="127.0.0.1:0" keyargs=(--state-dir "$STATE")
    if [ -n "${EMU_URL:-}" ]; then
        listen="${EMU_URL#http://}"
        keyargs=(--config "$STATE/config")
    fi
    : >"$STATE/emulator.out"
    local tries=0
    while :; do
        "$EMULATOR" --listen "$listen" "${keyargs[@]}" --page-size 2 "${SECRETS[@]}" "$@" \
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

start_emulator "${FAULTS[@]}"
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
cargo test -q -p ocisdk-wasm --target wasm32-unknown-unknown --test emulator --test scenarios --test lost --no-run

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

for host in $HOSTS; do
    stop_emulator
    start_emulator "${FAULTS[@]}"
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
            if [ "$status" -eq 0 ]; then
                stop_emulator
                start_emulator
                cargo test -p ocisdk-wasm --target wasm32-unknown-unknown --test scenarios 2>&1 | tee -a "$log"
                status=${PIPESTATUS[0]}
            fi
            if [ "$status" -eq 0 ]; then
                stop_emulator
                start_emulator "${LOST[@]}"
                cargo test -p ocisdk-wasm --target wasm32-unknown-unknown --test lost -- --nocapture 2>&1 | tee -a "$log"
                status=${PIPESTATUS[0]}
            fi
            ;;
        js)
            # The JS API from JavaScript: the `--target nodejs` package under node:test.
            {
                cargo build -q -p ocisdk-js --target wasm32-unknown-unknown --lib &&
                    "$WASM_BINDGEN" --target nodejs --out-dir "$STATE/pkg-node" \
                        "$TARGET_DIR/wasm32-unknown-unknown/debug/ocisdk_js.wasm" &&
                    OCISDK_WASM_PKG="$STATE/pkg-node" node --test "$ROOT/js/tests/js_api.test.mjs" &&
                    cp "$ROOT/js/tests/types.test.ts" "$STATE/" &&
                    ln -sfn "$STATE/pkg-node" "$STATE/pkg" &&
                    (cd "$STATE" && npx --yes -p typescript@5.6.3 tsc --noEmit --strict \
                        --lib es2022,dom,esnext.disposable --module es2020 --moduleResolution node \
                        types.test.ts) &&
                    echo "[wasm-tests] js: the TypeScript declarations type-check (tsc --strict)"
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

# Sourced by run.sh and page.sh (not run on its own): installs the tools the wasm tests need
# when they are missing. Expects `say` and `die` and the workspace root as the current directory.

# Debian packages for missing commands: `wasm_tools_apt chromium:chromium node:nodejs ...`.
wasm_tools_apt() {
    local missing=() pair
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    say "installing ${missing[*]} (apt-get)"
    command -v apt-get >/dev/null 2>&1 || die "need ${missing[*]} and there is no apt-get"
    apt-get update -qq >/dev/null || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
}

# Node >= 18 (global fetch).
wasm_tools_node() {
    local major
    major="$(node -p 'process.versions.node.split(".")[0]')"
    [ "$major" -ge 18 ] || die "Node $(node --version) has no global fetch; need >= 18"
}

# The wasm32 target, and wasm-bindgen-cli at exactly the version the workspace pins
# wasm-bindgen to. Sets WB_VERSION, RUNNER (wasm-bindgen-test-runner) and WASM_BINDGEN.
wasm_tools_bindgen() {
    WB_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)"
    [ -n "$WB_VERSION" ] || die "no exact wasm-bindgen pin (wasm-bindgen = \"=X\") in Cargo.toml"
    rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
    if [ "$(wasm-bindgen-test-runner --version 2>/dev/null || true)" != "wasm-bindgen-test-runner $WB_VERSION" ]; then
        say "installing wasm-bindgen-cli $WB_VERSION (cargo install --locked; takes a few minutes)"
        cargo install wasm-bindgen-cli --version "=$WB_VERSION" --locked --quiet \
            || die "cargo install wasm-bindgen-cli $WB_VERSION failed"
    fi
    RUNNER="$(command -v wasm-bindgen-test-runner || echo "$HOME/.cargo/bin/wasm-bindgen-test-runner")"
    [ "$("$RUNNER" --version)" = "wasm-bindgen-test-runner $WB_VERSION" ] \
        || die "$RUNNER is not version $WB_VERSION"
    WASM_BINDGEN="$(dirname "$RUNNER")/wasm-bindgen"
    [ "$("$WASM_BINDGEN" --version)" = "wasm-bindgen $WB_VERSION" ] \
        || die "$WASM_BINDGEN is not version $WB_VERSION"
}

#!/usr/bin/env bash
# The whole test suite: every crate's tests (unit, integration, doctests, the quickstart against
# the emulator), then the official OCI Python SDK walking through the same scenario against
# ocisdk-emulator.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --all-targets
cargo test --workspace --doc

# The quickstart examples, exactly as a user runs them (embedded emulator, several pages of users).
cargo run -q -p ocisdk-blocking --example quickstart -- --users 7
cargo run -q -p ocisdk-hyper --example quickstart -- --users 7

# A user's own crate outside the workspace (tests/separate-crate): path dependencies, its own
# lockfile and target directory, none of the workspace's profile overrides; README and rustdoc
# forms only, against the embedded emulator. Then the emulator's start time there, which
# BENCHMARKS.md records.
(
  cd tests/separate-crate
  export CARGO_TARGET_DIR=../../target/separate-crate
  cargo test -q -- --nocapture
  cargo run -q --example emulator_start -- --warm 20
)

# Conformance: the official Python SDK against our emulator (the quickstart walkthrough, then
# the breadth run over every conventional Identity resource, the Object Storage features and
# Secrets; the emulator's vault gets a secret with two versions for it).
OCI_PY_VERSION=2.189.0
VENV=${OCISDK_VENV:-target/py-oci-venv}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import oci, sys; sys.exit(oci.__version__ != '$OCI_PY_VERSION')" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "oci==$OCI_PY_VERSION"
fi
cargo build -q -p ocisdk-emulator
state=$(mktemp -d)
out="$state/stdout"
./target/debug/ocisdk-emulator --listen 127.0.0.1:0 --state-dir "$state" \
  --secret py-breadth-secret=first --secret py-breadth-secret=second >"$out" 2>"$state/stderr" &
emu=$!
trap 'kill $emu 2>/dev/null || true; rm -rf "$state"' EXIT
for _ in $(seq 1 100); do
  [ -s "$out" ] && break
  sleep 0.1
done
url=$(head -n1 "$out")
case "$url" in
  http://*) ;;
  *) echo "emulator did not print its URL:"; cat "$out" "$state/stderr"; exit 1 ;;
esac
echo "emulator at $url"
"$VENV/bin/python" tests/python/quickstart.py "$state/config" "$url" 7
vault=$(sed -n 's/^vault: *//p' "$out")
"$VENV/bin/python" tests/python/breadth.py "$state/config" "$url" "$vault" py-breadth-secret
# The official SDK's token principals against the emulator: its resource-principal signers
# (2.2 on the RPST and key files the emulator wrote into the state directory; 2.1.1 through the
# emulator's token endpoints) and its instance-principal signer on the emulator's IMDS and
# federation endpoint.
"$VENV/bin/python" tests/python/principals.py "$url" "$(sed -n 's/^tenancy: *//p' "$out")" \
  "$(sed -n 's/^rp rpst: *//p' "$out")" "$(sed -n 's/^rp key: *//p' "$out")" \
  "$(sed -n 's/.*OCI_RESOURCE_PRINCIPAL_REGION=//p' "$out")"

# Differential conformance: every operation's request and every model's JSON, built by the
# official Python SDK and by ocisdk from the same inputs, must agree (tests/python/conformance.py
# lists the accepted differences, each with its reason).
cargo build -q -p ocisdk-tests --bin conformance
"$VENV/bin/python" tests/python/conformance.py --bin target/debug/conformance

#!/usr/bin/env bash
# The soak of RELIABILITY.md (not CI): the async client from 64 tasks through an emulator process
# injecting every fault kind at p=0.05 each, for 20 minutes. Arguments are passed on to the
# soak binary (e.g. `--minutes 2 --tasks 16` for a short run).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p ocisdk-emulator --bins
cargo build --release -p ocisdk-tests --bin soak
exec target/release/soak "$@"

#!/usr/bin/env bash
# CI's fuzz smoke (.ci/run): every cargo-fuzz target for a few seconds (FUZZ_SMOKE_SECS, 20 by
# default), each starting from a scratch copy of its committed corpus so the run leaves the
# checkout as it was. Needs the nightly toolchain and cargo-fuzz (installed here, pinned, when
# missing); without nightly it says so and stops: the corpus replay test
# (tests/tests/fuzz_corpus.rs, part of `cargo test`) still runs every target on its corpus.
# A crash fails the step and leaves its input under fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
secs=${FUZZ_SMOKE_SECS:-20}
cargo_fuzz_version=0.13.2

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz smoke skipped: no nightly toolchain (cargo +nightly); the corpus replay test ran the targets on their corpora"
  exit 0
fi
if ! cargo fuzz --version 2>/dev/null | grep -q " $cargo_fuzz_version\$"; then
  if ! cargo install cargo-fuzz --locked --version "$cargo_fuzz_version"; then
    echo "fuzz smoke skipped: cargo-fuzz $cargo_fuzz_version could not be installed; the corpus replay test ran the targets on their corpora"
    exit 0
  fi
fi

cargo +nightly fuzz build
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo +nightly fuzz list); do
  mkdir -p "$scratch/$target"
  cp corpus/"$target"/* "$scratch/$target/"
  echo "--- $target: ${secs} s"
  # One process (CI shares the machine); the log is kept only to show a crash.
  if ! cargo +nightly fuzz run "$target" "$scratch/$target" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$scratch/$target.log" 2>&1; then
    tail -n 60 "$scratch/$target.log"
    echo "fuzz smoke: $target failed (its input is under fuzz/artifacts/$target/)"
    exit 1
  fi
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done )" "$scratch/$target.log" || true
done
echo "fuzz smoke: every target ran ${secs} s without a crash"

#!/usr/bin/env bash
# Tries the generator on other services than the shipped ones: for each service, a standalone
# crate from its extracted model (`cargo xtask codegen-crate`), and optionally compiles it.
# A script for people (see docs/GENERATOR.md), not for CI.
#
#   scripts/codegen-all.sh core functions monitoring     # generate + compile these
#   scripts/codegen-all.sh --no-build core               # generate only
#   scripts/codegen-all.sh --all                          # generate every extracted service
#   scripts/codegen-all.sh --all --build                  # ... and compile each (long)
#
# Input:  target/spec-all/<service>.json, from
#         `python3 spec/extract.py --report --out target/spec-all` (override: --spec-dir DIR).
# Output: target/generated/<service>/ (the crate), target/generated/target/ (its build, shared
#         by all of them), target/generated/logs/<service>.{gen,build}.log, and
#         target/generated/summary.tsv (one line per service, the table printed at the end).
#
# Per service: operations, models, generated lines (`wc -l` of src/), unsupported constructs
# (what the generator reported and papered over), generation time, compile time and the result.
# The compile time is the crate's own cold build: its dependencies (ocisdk-core and below) are
# built once beforehand and shared, and the crate's previous build output is removed first.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
root=$(pwd)

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

all=false
build=
spec_dir=target/spec-all
services=()
while [ $# -gt 0 ]; do
  case "$1" in
    --all) all=true ;;
    --build) build=true ;;
    --no-build) build=false ;;
    --spec-dir) shift; spec_dir=${1:?--spec-dir needs a directory} ;;
    -h|--help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) services+=("$1") ;;
  esac
  shift
done
# Listed services are compiled unless --no-build; --all only generates unless --build.
if [ -z "$build" ]; then
  if $all; then build=false; else build=true; fi
fi

if [ ! -d "$spec_dir" ]; then
  echo "no $spec_dir: run  python3 spec/extract.py --report --out $spec_dir  first" >&2
  exit 2
fi
if $all; then
  services=()
  for f in "$spec_dir"/*.json; do
    services+=("$(basename "$f" .json)")
  done
fi
if [ ${#services[@]} -eq 0 ]; then
  usage
fi

gen_root=target/generated
logs=$gen_root/logs
mkdir -p "$logs"
CARGO_TARGET_DIR_GENERATED="$root/$gen_root/target"

# The generator itself, built once (in the caller's CARGO_TARGET_DIR, else target/).
xtask_target=${CARGO_TARGET_DIR:-target}
echo "building xtask ..."
if ! cargo build -q -p xtask; then
  echo "cannot build xtask" >&2
  exit 1
fi
xtask=$xtask_target/debug/xtask

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

summary=$gen_root/summary.tsv
printf 'service\tcrate\tops\tmodels\tlines\tunsupported\tgen_s\tbuild_s\tresult\tdetail\n' >"$summary"

deps_built=false
ok=0
failed=0
for svc in "${services[@]}"; do
  spec=$spec_dir/$svc.json
  out=$gen_root/$svc
  ops=- models=- lines=- unsupported=- gen_s=- build_s=- crate=- detail=
  if [ ! -f "$spec" ]; then
    result=FAIL detail="no $spec"
  else
    rm -rf "$out"
    t0=$(now)
    if "$xtask" codegen-crate "$spec" "$out" >"$logs/$svc.gen.log" 2>&1; then
      gen_s=$(elapsed "$t0" "$(now)")
      # "ocisdk-x: N operations, M models, F files, U unsupported constructs"
      head=$(grep -m1 -E '^ocisdk-[a-z0-9-]+: [0-9]+ operations' "$logs/$svc.gen.log")
      crate=${head%%:*}
      ops=$(sed -E 's/.*: ([0-9]+) operations.*/\1/' <<<"$head")
      models=$(sed -E 's/.* ([0-9]+) models.*/\1/' <<<"$head")
      unsupported=$(sed -E 's/.* ([0-9]+) unsupported constructs.*/\1/' <<<"$head")
      lines=$(find "$out/src" -name '*.rs' -print0 | xargs -0 cat | wc -l)
      result=generated
      if $build; then
        # The workspace's lock file: the same dependency versions, no resolution needed.
        cp Cargo.lock "$out/Cargo.lock"
        manifest=$out/Cargo.toml
        if ! $deps_built; then
          echo "building the dependencies once (ocisdk-core) ..."
          CARGO_TARGET_DIR=$CARGO_TARGET_DIR_GENERATED cargo build -q --manifest-path "$manifest" -p ocisdk-core \
            >"$logs/deps.build.log" 2>&1 || true
          deps_built=true
        fi
        CARGO_TARGET_DIR=$CARGO_TARGET_DIR_GENERATED cargo clean -q --manifest-path "$manifest" -p "$crate" \
          >/dev/null 2>&1 || true
        t0=$(now)
        if CARGO_TARGET_DIR=$CARGO_TARGET_DIR_GENERATED cargo build --manifest-path "$manifest" \
          >"$logs/$svc.build.log" 2>&1; then
          build_s=$(elapsed "$t0" "$(now)")
          result=OK
        else
          build_s=$(elapsed "$t0" "$(now)")
          result=FAIL
          detail="build: $(grep -m1 -E '^error' "$logs/$svc.build.log") ($(grep -c -E '^error(\[|:)' "$logs/$svc.build.log") errors; $logs/$svc.build.log)"
        fi
      fi
    else
      gen_s=$(elapsed "$t0" "$(now)")
      result=FAIL
      detail="generate: $(grep -m1 '^xtask: ' "$logs/$svc.gen.log" | sed 's/^xtask: //')"
    fi
  fi
  if [ "$result" = FAIL ]; then failed=$((failed + 1)); else ok=$((ok + 1)); fi
  printf '%-32s ops %5s  models %5s  lines %7s  unsupported %3s  gen %5ss  build %6ss  %s %s\n' \
    "$svc" "$ops" "$models" "$lines" "$unsupported" "$gen_s" "$build_s" "$result" "$detail"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$svc" "$crate" "$ops" "$models" "$lines" "$unsupported" "$gen_s" "$build_s" "$result" "$detail" >>"$summary"
done

echo
if $build; then
  echo "$ok of ${#services[@]} services generated and compiled; $failed failed."
else
  echo "$ok of ${#services[@]} services generated (not compiled); $failed failed."
fi
echo "table: $summary; logs: $logs/"
if [ "$failed" -gt 0 ]; then
  echo
  echo "failures:"
  awk -F'\t' 'NR > 1 && $9 == "FAIL" { printf "  %-32s %s\n", $1, $10 }' "$summary"
  exit 1
fi

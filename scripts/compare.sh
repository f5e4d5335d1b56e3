#!/usr/bin/env bash
# ocisdk against the official OCI Python SDK (oci 2.189.0) on the same emulator, plus the client
# CPU cost per signed request next to one OpenSSL RSA-2048 signature. BENCHMARKS.md, "Against the
# official Python SDK (issue 8)", has the figures and how to read them. A script for people, not
# CI: it takes a few minutes and its figures depend on the machine.
#
#   bash scripts/compare.sh [--pin] [--n N] [--repeat R] [--runs K] [--out FILE]
#
#   --pin        pin the emulator to CPU 1 and every client (and openssl) to CPU 0 (taskset);
#                without it everything shares every core, as on a developer's laptop
#   --n N        GetUser requests per run (default 3000)
#   --repeat R   full listings of the 3,000 users per run (default 10)
#   --runs K     measured runs per workload and SDK, after one warm-up; the table shows the
#                median (default 3)
#   --out FILE   also keep every JSON line there
#
# Steps: release builds of the emulator and of `tests/src/bin/compare.rs`; the venv with the
# official SDK (as scripts/test.sh makes it); the emulator on loopback with a fresh --state-dir
# and --page-size 100; 3,000 users seeded with our blocking client; every workload for both
# SDKs, interleaved; `openssl speed -seconds 3 rsa2048`; a markdown table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

PIN=0
N=3000
REPEAT=10
RUNS=3
OUT=
while [ $# -gt 0 ]; do
  case "$1" in
    --pin) PIN=1 ;;
    --n) N=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$PIN" = 1 ]; then
  [ "$(nproc)" -ge 2 ] || { echo "compare.sh: --pin needs at least 2 CPUs" >&2; exit 2; }
  EMU_PIN=(taskset -c 1)
  CLIENT_PIN=(taskset -c 0)
else
  EMU_PIN=()
  CLIENT_PIN=()
fi

echo "== building (release)" >&2
cargo build -q --release -p ocisdk-emulator
cargo build -q --release -p ocisdk-tests --bin compare
EMULATOR=target/release/ocisdk-emulator
COMPARE=target/release/compare

OCI_PY_VERSION=2.189.0
VENV=${OCISDK_VENV:-target/py-oci-venv}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import oci, sys; sys.exit(oci.__version__ != '$OCI_PY_VERSION')" 2>/dev/null; then
  echo "== creating $VENV with oci==$OCI_PY_VERSION" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "oci==$OCI_PY_VERSION"
fi
PY="$VENV/bin/python"

state=$(mktemp -d)
emu=
cleanup() {
  if [ -n "$emu" ] && kill -0 "$emu" 2>/dev/null; then
    kill "$emu" 2>/dev/null || true
    wait "$emu" 2>/dev/null || true
  fi
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting the emulator" >&2
"${EMU_PIN[@]}" "$EMULATOR" --listen 127.0.0.1:0 --state-dir "$state/emu" --page-size 100 \
  >"$state/emu.out" 2>"$state/emu.err" &
emu=$!
for _ in $(seq 1 100); do
  [ -s "$state/emu.out" ] && break
  kill -0 "$emu" 2>/dev/null || break
  sleep 0.1
done
url=$(head -n1 "$state/emu.out" 2>/dev/null || true)
case "$url" in
  http://*) ;;
  *) echo "compare.sh: the emulator did not print its URL:" >&2; cat "$state/emu.out" "$state/emu.err" >&2; exit 1 ;;
esac
config="$state/emu/config"
echo "   $url (pid $emu, config $config)" >&2

# CPU seconds (user + sys) the emulator has used so far.
emu_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / hz }' "/proc/$emu/stat"
}

results="$state/results.jsonl"
: >"$results"

# run SDK WORKLOAD ARGS...: one measured run; appends its JSON line, with the emulator's CPU
# time during the run, to $results.
run() {
  local sdk=$1 workload=$2
  shift 2
  local before after line
  before=$(emu_cpu)
  if [ "$sdk" = ocisdk ]; then
    line=$("${CLIENT_PIN[@]}" "$COMPARE" --endpoint "$url" --config "$config" --workload "$workload" "$@")
  else
    line=$("${CLIENT_PIN[@]}" "$PY" tests/python/compare.py --endpoint "$url" --config "$config" --workload "$workload" "$@")
  fi
  after=$(emu_cpu)
  kill -0 "$emu" 2>/dev/null || { echo "compare.sh: the emulator died:" >&2; cat "$state/emu.err" >&2; exit 1; }
  echo "$line" | "$PY" -c 'import json,sys; d=json.loads(sys.stdin.read()); d["emulator_cpu_s"]=round(float(sys.argv[2])-float(sys.argv[1]),2); print(json.dumps(d,separators=(",",":")))' "$before" "$after" >>"$results"
  tail -n1 "$results" >&2
}

echo "== seeding 3,000 users" >&2
"${CLIENT_PIN[@]}" "$COMPARE" --endpoint "$url" --config "$config" --workload seed-users --users 3000 >&2

workloads=(seq-get-user-blocking seq-get-user-hyper conc-get-user-blocking conc-get-user-hyper
  list-users-blocking list-users-hyper)
args_for() {
  case "$1" in
    list-*) echo "--repeat $2" ;;
    *) echo "--n $3" ;;
  esac
}

for w in "${workloads[@]}"; do
  echo "== $w" >&2
  # Warm-up: a tenth of the work, both SDKs; not recorded.
  read -r -a warm <<<"$(args_for "$w" 1 $((N / 10)))"
  "${CLIENT_PIN[@]}" "$COMPARE" --endpoint "$url" --config "$config" --workload "$w" "${warm[@]}" >/dev/null
  case "$w" in
    *-hyper) ;;  # the Python SDK has one client kind: measured once, under the -blocking name
    *) "${CLIENT_PIN[@]}" "$PY" tests/python/compare.py --endpoint "$url" --config "$config" --workload "$w" "${warm[@]}" >/dev/null ;;
  esac
  read -r -a full <<<"$(args_for "$w" "$REPEAT" "$N")"
  for _ in $(seq 1 "$RUNS"); do
    run ocisdk "$w" "${full[@]}"
    case "$w" in
      *-hyper) ;;
      *) run python "$w" "${full[@]}" ;;
    esac
  done
done

echo "== openssl speed -seconds 3 rsa2048" >&2
"${CLIENT_PIN[@]}" openssl speed -seconds 3 rsa2048 >"$state/openssl.txt" 2>/dev/null
grep -E '^(rsa|[[:space:]]+sign)' "$state/openssl.txt" >&2

[ -z "$OUT" ] || cp "$results" "$OUT"

"$PY" - "$results" "$state/openssl.txt" "$PIN" <<'EOF'
import json, os, platform, statistics, subprocess, sys

results, openssl_txt, pin = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
rows = [json.loads(l) for l in open(results) if l.strip()]

def med(sdk_prefix, workload, key):
    vals = [r[key] for r in rows if r["sdk"].startswith(sdk_prefix) and r["workload"] == workload]
    if not vals:
        raise SystemExit(f"no {sdk_prefix} result for {workload}")
    return statistics.median(vals), len(vals)

def one(sdk_prefix, workload):
    return next(r for r in rows if r["sdk"].startswith(sdk_prefix) and r["workload"] == workload)

sign_s = None
for line in open(openssl_txt):
    f = line.split()
    if len(f) >= 4 and f[0] == "rsa" and f[1] == "2048" and f[2] == "bits":
        per_s = [x for x in f[3:] if not x.endswith("s")]
        sign_s = 1.0 / float(per_s[0])
if sign_s is None:
    raise SystemExit("cannot read the openssl speed output")

cpu = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
print(f"machine: {os.cpu_count()} x {cpu}, Linux {platform.release()}, {rustc}, "
      f"Python {platform.python_version()}, {one('python', 'seq-get-user-blocking')['sdk']}")
print("placement: " + ("emulator pinned to CPU 1, clients to CPU 0 (taskset)" if pin
                       else "unpinned: emulator and client share both cores"))
n = one("ocisdk", "seq-get-user-blocking")["requests"]
lst = one("ocisdk", "list-users-blocking")
print(f"median of {med('ocisdk', 'seq-get-user-blocking', 'req_per_s')[1]} runs; GetUser runs: {n} requests; "
      f"listings: {lst['repeat']} x {lst['items'] // lst['repeat']} users in {lst['pages_per_listing']} pages "
      f"(emulator --page-size 100; neither SDK sends limit)")
print()
print("| workload | ocisdk req/s | Python req/s | ratio | ocisdk client CPU µs/req | Python client CPU µs/req | emulator CPU µs/req (ocisdk / Python) |")
print("|---|---|---|---|---|---|---|")
pairs = [
    ("seq-get-user-blocking", "seq-get-user-blocking", "sequential GetUser, blocking"),
    ("seq-get-user-hyper", "seq-get-user-blocking", "sequential GetUser, hyper"),
    ("conc-get-user-blocking", "conc-get-user-blocking", "64-way GetUser, blocking (64 threads)"),
    ("conc-get-user-hyper", "conc-get-user-blocking", "64-way GetUser, hyper (64 tasks)"),
    ("list-users-blocking", "list-users-blocking", "list 3,000 users, blocking"),
    ("list-users-hyper", "list-users-blocking", "list 3,000 users, hyper"),
]
def emu_per_req(sdk, w):
    rs = [r for r in rows if r["sdk"].startswith(sdk) and r["workload"] == w]
    return statistics.median(r["emulator_cpu_s"] * 1e6 / r["requests"] for r in rs)
for ours, theirs, label in pairs:
    a, _ = med("ocisdk", ours, "req_per_s")
    b, _ = med("python", theirs, "req_per_s")
    ca, _ = med("ocisdk", ours, "cpu_us_per_req")
    cb, _ = med("python", theirs, "cpu_us_per_req")
    print(f"| {label} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x | {ca:,.0f} | {cb:,.0f} | "
          f"{emu_per_req('ocisdk', ours):,.0f} / {emu_per_req('python', theirs):,.0f} |")
print()
print("| client CPU per signed request (sequential GetUser) | µs | × one OpenSSL RSA-2048 signature |")
print("|---|---|---|")
print(f"| OpenSSL RSA-2048 sign (`openssl speed`, 1 / sign/s) | {sign_s * 1e6:.0f} | 1.00x |")
for w, label in [("seq-get-user-blocking", "ocisdk blocking"), ("seq-get-user-hyper", "ocisdk hyper")]:
    c, _ = med("ocisdk", w, "cpu_us_per_req")
    print(f"| {label} | {c:.0f} | {c / (sign_s * 1e6):.2f}x |")
c, _ = med("python", "seq-get-user-blocking", "cpu_us_per_req")
print(f"| Python SDK | {c:.0f} | {c / (sign_s * 1e6):.2f}x |")
EOF

#!/usr/bin/env bash
# `layered serve` benchmarks (prints numbers; not a test), on the real example
# app deployed in a temporary state:
#   - warm invocations through serve beside an HTTP echo server (serve_bench),
#   - cold start through serve vs `layered invoke`, in the same run.
# Usage: bench/serve.sh [BUILD_DIR] [RUNS]   (BUILD_DIR default build/release)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
runs=${2:-11}
layered=$build/layered/cli/layered
[ -x "$layered" ] && [ -x "$build/bench/serve_bench" ] || {
  echo "bench/serve.sh: build 'layered' and 'serve_bench' in $build first" >&2; exit 2; }
tmp=$(mktemp -d)
# The sandbox's unprivileged user must reach the state's store (mktemp makes
# 0700): 'bwrap: Can't find source path /proc/self/fd/N: Permission denied'.
chmod 755 "$tmp"
trap '[ -n "${serve_pid:-}" ] && kill -TERM "$serve_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
source "$root/tests/serve/lib.sh"
require_build
synth "$tmp/cdk.out"
deploy "$tmp/cdk.out"
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

echo "layered = $layered"
for fn in GreetingFunction CatalogFunction; do
  name=$(function_name "$fn")
  event=$root/lambdamodule/events/$fn.json
  echo
  echo "== $fn: cold start ($runs runs, median)"
  walls=""; inits=""
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N)
    "$layered" invoke "$name" --state "$tmp/state" --event "$event" >/dev/null 2>"$tmp/invoke.err"
    t1=$(date +%s%N)
    walls="$walls $(( (t1 - t0) / 1000 ))"
    inits="$inits $(grep -o 'Init Duration: [0-9.]*' "$tmp/invoke.err" | awk '{print $3}')"
  done
  printf '  layered invoke (whole process)   wall %8.2f ms   Init Duration %6.2f ms\n' \
    "$(echo "$walls" | median | awk '{print $1/1000}')" "$(echo "$inits" | median)"
  start_serve --idle-timeout 0.05 --verbose
  read -r wall init < <(/usr/bin/python3 "$root/bench/serve_cold.py" "$endpoint" "$name" "$event" "$runs" 0.3)
  printf '  through serve (request->answer)  wall %8.2f ms   Init Duration %6.2f ms\n' "$wall" "$init"
  prep=$(grep -o "ahead in [0-9.]* ms" "$tmp/serve.log" | awk '{print $3}' | median)
  printf '  serve: preparing each environment ahead (outside the request and Init Duration) %.2f ms\n' "$prep"
  stop_serve || true

  echo "== $fn: warm"
  start_serve
  port=${endpoint##*:}
  "$build/bench/serve_bench" 127.0.0.1 "$port" "$name" "$event" "${WARM_REQUESTS:-4000}"
  stop_serve || true
done

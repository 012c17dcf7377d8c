#!/usr/bin/env bash
# The cpputils runtime client beside the smallest honest client ("floor"),
# both serving an echo function under the lambda-rt-harness Runtime API
# server: cold start, warm round trip, peak RSS and, under callgrind,
# instructions per invocation. The harness is not part of this repository:
#   bench/runtime_client.sh [HARNESS_DIR]     (or RUNTIME_HARNESS=HARNESS_DIR)
# where HARNESS_DIR holds its Makefile, compare.sh and summarize.py.
# ROUNDS (default 3) and WARM_N (default 20000) tune the run; DECORATED=1
# measures the echo behind cpputils::decorate instead.
set -euo pipefail
cd "$(dirname "$0")/.."
harness=${1:-${RUNTIME_HARNESS:-}}
if [ -z "$harness" ] || [ ! -x "$harness/compare.sh" ]; then
  echo "runtime_client: no runtime harness given (pass its directory or set RUNTIME_HARNESS); skipped"
  exit 0
fi
for tool in valgrind make python3; do
  command -v "$tool" >/dev/null || { echo "runtime_client: '$tool' is missing; skipped"; exit 0; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make -s -C "$harness" BIN="$work/harness" >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target bench_cpputils_echo >/dev/null
# The echo serves its handler behind the decorator when its name ends in
# -decorated; a link or a copy still finds libcpputils.so through its RUNPATH.
mkdir "$work/function"
echo_binary=$PWD/build/release/bench/bench_cpputils_echo
name=echo
[ "${DECORATED:-0}" = 1 ] && name=echo-decorated
ln "$echo_binary" "$work/function/$name" 2>/dev/null || cp "$echo_binary" "$work/function/$name"

echo "==> cpputils ($name) against the floor client: ${ROUNDS:-3} interleaved rounds, callgrind included"
HARNESS=$work/harness/lambda-rt-harness "$harness/compare.sh" -r "${ROUNDS:-3}" -n "${WARM_N:-20000}" -c \
  -o "$work/results.jsonl" cpputils "$work/function/$name" floor "$work/harness/floor" >/dev/null
python3 "$harness/summarize.py" "$work/results.jsonl"

#!/bin/sh
# Deploy benchmark (prints numbers; not a test). For the shared-layer-export
# fixture (two stacks, two layers shared by export, one function) and, when
# it has been synthesized, the example app's own cdk.out, times:
#   - a first `layered deploy --all` into an empty state,
#   - a no-change redeploy (must publish nothing; design target: well under 1 s),
# next to baselines measured in the same run:
#   - `layered list --json` (process start + opening the state + reading it),
#   - a bare sqlite3 WAL transaction writing as many rows as the deploy wrote.
# Usage: bench/deploy.sh [path/to/layered] [runs]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/release/layered/cli/layered}
runs=${2:-11}
[ -x "$bin" ] || { echo "bench/deploy.sh: no layered binary at '$bin' (pass its path)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "bench/deploy.sh: needs the sqlite3 CLI" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

now_us() { echo $(( $(date +%s%N) / 1000 )); }
# time_us CMD...: microseconds one run of CMD takes (output discarded).
time_us() {
  t0=$(now_us)
  "$@" >/dev/null 2>&1 || { echo "bench/deploy.sh: '$*' failed" >&2; exit 1; }
  t1=$(now_us)
  echo $(( t1 - t0 ))
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ms() { awk -v us="$1" 'BEGIN {printf "%8.2f ms", us/1000}'; }

# bench_app LABEL ASSEMBLY_DIR
bench_app() {
  first=""; redeploy=""; list=""; sql=""
  i=0
  while [ $i -lt "$runs" ]; do
    rm -rf .layered
    first="$first $(time_us "$bin" deploy --all --no-doctor --app "$2")"
    redeploy="$redeploy $(time_us "$bin" deploy --all --no-doctor --app "$2")"
    list="$list $(time_us "$bin" list --json)"
    i=$((i + 1))
  done
  rows=$(sqlite3 .layered/state.db "SELECT (SELECT count(*) FROM stacks) + (SELECT count(*) FROM resources) +
    (SELECT count(*) FROM exports) + (SELECT count(*) FROM imports) + (SELECT count(*) FROM layer_versions) +
    (SELECT count(*) FROM functions) + (SELECT count(*) FROM function_layers) + (SELECT count(*) FROM ssm_parameters)")
  versions=$(sqlite3 .layered/state.db "SELECT count(*) FROM layer_versions")
  i=0
  while [ $i -lt "$runs" ]; do
    rm -f bare.db bare.db-wal bare.db-shm
    script="PRAGMA journal_mode=WAL; CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT); BEGIN IMMEDIATE;"
    j=0
    while [ $j -lt "$rows" ]; do script="$script INSERT INTO t VALUES('k$j', 'v');"; j=$((j + 1)); done
    sql="$sql $(time_us sqlite3 bare.db "$script COMMIT;")"
    i=$((i + 1))
  done
  echo "$1 ($runs runs each, median):"
  echo "  first deploy --all                          $(ms "$(echo "$first" | median)")"
  echo "  no-change redeploy --all                    $(ms "$(echo "$redeploy" | median)")"
  echo "  baseline: layered list --json               $(ms "$(echo "$list" | median)")"
  echo "  baseline: sqlite3 CLI, 1 transaction, $rows rows $(ms "$(echo "$sql" | median)")"
  echo "  layer versions after deploy + no-change redeploy: $versions (= the layer count: nothing republished)"
}

echo "layered = $bin"
cp -r "$here/tests/fixtures/assemblies/shared-layer-export" fixture
bench_app "fixture shared-layer-export" "$work/fixture"
if [ -f "$here/cdk.out/manifest.json" ]; then
  bench_app "example app ($here/cdk.out)" "$here/cdk.out"
fi

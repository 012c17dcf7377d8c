#!/bin/sh
# Scale benchmark (prints numbers; not a test). Generated cloud assemblies of
# functions that share one layer per stack, deployed with --no-doctor:
#   - one stack of N functions, N = 10, 50, 100, 250, 450: a deploy into an
#     empty state and a no-change redeploy, per function beside N = 10;
#   - S stacks of 20 functions, S = 1, 10, 50 (deploy --all, then redeploy);
#   - with 5,000 functions deployed (25 stacks of 200): `list --json` and
#     `invoke` up to the sandbox (the functions have no bootstrap, so invoke
#     stops with Runtime.InvalidEntrypoint right before it would start one:
#     what is timed is process start, the state lookup by construct path and
#     the environment's preparation), beside the same on 10 functions.
# Usage: bench/scale.sh [path/to/layered] [runs]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/release/layered/cli/layered}
runs=${2:-5}
[ -x "$bin" ] || { echo "bench/scale.sh: no layered binary at '$bin' (pass its path)" >&2; exit 2; }
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
cd "$work"

now_us() { echo $(( $(date +%s%N) / 1000 )); }
# time_us CMD...: microseconds one run of CMD takes (output discarded); a
# failing command is an error unless ALLOW_FAIL=1.
time_us() {
  t0=$(now_us)
  if ! "$@" >/dev/null 2>err.txt && [ "${ALLOW_FAIL:-0}" != 1 ]; then
    echo "bench/scale.sh: '$*' failed: $(head -c 300 err.txt)" >&2
    exit 1
  fi
  t1=$(now_us)
  echo $(( t1 - t0 ))
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ms() { awk -v us="$1" 'BEGIN {printf "%9.2f ms", us/1000}'; }
per() { awk -v us="$1" -v n="$2" 'BEGIN {printf "%7.3f ms/function", us/1000/n}'; }

# One layer and one function code directory, shared by every stack.
mkdir -p assets/layer/lib assets/code
echo shared > assets/layer/lib/shared.txt
echo 'handle() { echo "{}"; }' > assets/code/handler.sh  # no bootstrap: see above

# template STACK N: a stack with one layer, one role and N functions using both.
template() {
  printf '{"Resources":{'
  printf '"Layer":{"Type":"AWS::Lambda::LayerVersion","Properties":{"CompatibleRuntimes":["provided.al2023"],'
  printf '"Content":{"S3Bucket":"bench","S3Key":"layer.zip"}},'
  printf '"Metadata":{"aws:cdk:path":"%s/Layer/Resource","aws:asset:path":"asset.layer","aws:asset:property":"Content"}},' "$1"
  printf '"Role":{"Type":"AWS::IAM::Role","Properties":{"AssumeRolePolicyDocument":{}}}'
  i=0
  while [ "$i" -lt "$2" ]; do
    printf ',"Fn%d":{"Type":"AWS::Lambda::Function","Properties":{"Code":{"S3Bucket":"bench","S3Key":"code.zip"},' "$i"
    printf '"Handler":"handler","Runtime":"provided.al2023","Role":{"Fn::GetAtt":["Role","Arn"]},"Layers":[{"Ref":"Layer"}],'
    printf '"Environment":{"Variables":{"INDEX":"%d"}}},' "$i"
    printf '"Metadata":{"aws:cdk:path":"%s/Fn%d/Resource","aws:asset:path":"asset.code","aws:asset:property":"Code"}}' "$1" "$i"
    i=$((i + 1))
  done
  printf '}}\n'
}

# app DIR STACKS FUNCTIONS: a cloud assembly of STACKS stacks of FUNCTIONS each.
app() {
  mkdir -p "$1"
  ln -s "$work/assets/layer" "$1/asset.layer"
  ln -s "$work/assets/code" "$1/asset.code"
  {
    printf '{"version":"55.0.0","artifacts":{'
    s=0
    while [ "$s" -lt "$2" ]; do
      [ "$s" -gt 0 ] && printf ','
      printf '"Bench%d":{"type":"aws:cloudformation:stack","environment":"aws://unknown-account/unknown-region",' "$s"
      printf '"properties":{"templateFile":"Bench%d.template.json"}}' "$s"
      s=$((s + 1))
    done
    printf '}}\n'
  } > "$1/manifest.json"
  s=0
  while [ "$s" -lt "$2" ]; do
    template "Bench$s" "$3" > "$1/Bench$s.template.json"
    s=$((s + 1))
  done
}

# deploy_pair LABEL APP FUNCTIONS: medians of a first deploy and a redeploy.
deploy_pair() {
  first=""; again=""
  i=0
  while [ "$i" -lt "$runs" ]; do
    rm -rf state
    first="$first $(time_us "$bin" deploy --all --no-doctor --app "$2" --state state)"
    again="$again $(time_us "$bin" deploy --all --no-doctor --app "$2" --state state)"
    i=$((i + 1))
  done
  f=$(echo "$first" | median); a=$(echo "$again" | median)
  printf '  %-22s deploy %s (%s)   no-change redeploy %s (%s)\n' "$1" "$(ms "$f")" "$(per "$f" "$3")" \
    "$(ms "$a")" "$(per "$a" "$3")"
}

echo "layered = $bin ($runs runs each, median)"
echo "one stack of N functions sharing one layer:"
for n in 10 50 100 250 450; do
  app "one-$n" 1 "$n"
  deploy_pair "N = $n" "$work/one-$n" "$n"
done
echo "S stacks of 20 functions (deploy --all):"
for s in 1 10 50; do
  app "many-$s" "$s" 20
  deploy_pair "S = $s" "$work/many-$s" $((s * 20))
done

# reads STATE LABEL: list --json, and invoke up to the sandbox.
reads() {
  list=""; lookup=""
  "$bin" invoke Bench0/Fn0 --state "$1" >/dev/null 2>&1 || true  # the merged /opt is cached from now on
  i=0
  while [ "$i" -lt "$runs" ]; do
    list="$list $(time_us "$bin" list --json --state "$1")"
    lookup="$lookup $(ALLOW_FAIL=1 time_us "$bin" invoke Bench0/Fn0 --state "$1")"
    i=$((i + 1))
  done
  printf '  %-22s list --json %s   invoke up to the sandbox %s\n' "$2" "$(ms "$(echo "$list" | median)")" \
    "$(ms "$(echo "$lookup" | median)")"
}
echo "reads:"
app small 1 10
"$bin" deploy --all --no-doctor --app "$work/small" --state small-state >/dev/null 2>&1
reads small-state "10 functions"
app big 25 200
t=$(time_us "$bin" deploy --all --no-doctor --app "$work/big" --state big-state)
reads big-state "5,000 functions"
echo "  (deploying the 5,000 functions, 25 stacks of 200: $(ms "$t"))"

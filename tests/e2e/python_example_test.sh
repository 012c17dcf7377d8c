#!/usr/bin/env bash
# End to end on the Python example (the seed's own system): scripts/build.sh's
# artifacts, the real CDK CLI, the real `layered`: deploy its two stacks (by
# export, then by SSM parameter), invoke both functions with their sample
# events and check the answers, and bad input gives InvalidInput.
#
set -uo pipefail
layered=$1
root=$2
cd "$root"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/lib.sh"

for f in layers/python-external.zip layers/pythonutils.zip functions/python-greeting.zip functions/python-catalog.zip \
         layers/external.zip layers/cpputils.zip functions/greeting.zip functions/catalog.zip; do
  [ -f "build/$f" ] || { echo "build/$f is missing: run scripts/build.sh first"; exit 1; }
done
mkdir -p "$tmp/build"
cp -r build/layers build/functions "$tmp/build/"
rm -rf "$tmp/build/layers"/*/ "$tmp/build/functions"/*/   # the zips are what the app deploys

synth() {  # synth OUT [context...]
  local out=$1; shift
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
    npx cdk synth -q -o "$out" -c buildDir="$tmp/build" "$@" >"$tmp/synth.log" 2>&1 \
    || { cat "$tmp/synth.log"; return 1; }
}
L() { local cmd=$1; shift; "$layered" "$cmd" --state "$tmp/state" "$@"; }
run() { local name=$1; shift; L "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; echo $? >"$tmp/$name.rc"; }
rc() { cat "$tmp/$1.rc"; }
# The JSON value at a Python expression over the answer `a`, e.g. a["statusCode"].
field() { python3 -c 'import json, sys; a = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$tmp/$1.out" "$2"; }
equals() { local got; got=$(field "$1" "$2") || return 1; [ "$got" = "$3" ] || { echo "--- $2 is '$got', expected '$3'"; return 1; }; }

STACK=Lambda-layers-example-python
check "synth (export sharing)" synth "$tmp/cdk.v1"
run deploy1 deploy "$STACK" --app "$tmp/cdk.v1"
check "deploy $STACK (and its layers stack) succeeds" test "$(rc deploy1)" = 0
check "the layers stack exports PythonExternalLayerArn" contains "$tmp/deploy1.out" "PythonExternalLayerArn"
if [ "$(rc deploy1)" != 0 ]; then
  cat "$tmp/deploy1.err"
  echo "${passed} passed, ${failed} failed"
  exit 1
fi


# PythonCatalogFunction: the same answer as the C++ CatalogFunction gives.
run catalog invoke "$STACK/PythonCatalogFunction" --app "$tmp/cdk.v1" --event lambdamodule/events/PythonCatalogFunction.json
check "PythonCatalogFunction answers its sample event" test "$(rc catalog)" = 0
check "  with 3 books of 40.00 or less" equals catalog 'a["count"]' 3
check "  cheapest first" equals catalog '",".join(i["id"] for i in a["items"])' "B-003,B-007,B-002"
check "  its log has the decorator's JSON line" contains "$tmp/catalog.err" '"function":"catalog"'
check "  and a REPORT line with Init Duration" contains "$tmp/catalog.err" "Init Duration:"

run greeting invoke "$STACK/PythonGreetingFunction" --app "$tmp/cdk.v1" \
  --event lambdamodule/events/PythonGreetingFunction.json
check "PythonGreetingFunction answers its sample event" test "$(rc greeting)" = 0
check "  with HTTP 200" equals greeting 'a["statusCode"]' 200
check "  and an HTML page from Flask" equals greeting 'a["headers"]["content-type"]' "text/html; charset=utf-8"
check "  rendered by Jinja2" equals greeting '"<p>Bonjour, <b>Ada</b>!</p>" in a["body"]' True

for fn in PythonGreetingFunction PythonCatalogFunction; do
  run "bad-$fn" invoke "$STACK/$fn" --app "$tmp/cdk.v1" --event "lambdamodule/events/invalid/$fn.json"
  check "$fn rejects bad input with a function error" test "$(rc "bad-$fn")" != 0
  check "$fn reports InvalidInput" equals "bad-$fn" 'a["errorType"]' InvalidInput
done

# SSM sharing: the application stack alone moves, the functions keep working.
check "synth (ssm sharing)" synth "$tmp/cdk.v2" -c layerSharing=ssm
run deploy2 deploy "$STACK" --exclusively --app "$tmp/cdk.v2"
check "the application stack moves to SSM parameters" test "$(rc deploy2)" = 0
run catalog2 invoke "$STACK/PythonCatalogFunction" --app "$tmp/cdk.v2" \
  --event lambdamodule/events/PythonCatalogFunction.json
check "PythonCatalogFunction still answers after the move" equals catalog2 'a["count"]' 3

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]

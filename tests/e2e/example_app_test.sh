#!/usr/bin/env bash
# End to end on the real example app: deploy both stacks, invoke both
# functions, rebuild a layer and hit the export-in-use rule with the state
# unchanged, then move to SSM sharing and deploy the rebuilt layer cleanly.
set -uo pipefail
layered=$1
root=$2
cd "$root"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/lib.sh"

for f in layers/external.zip layers/cpputils.zip functions/greeting.zip functions/catalog.zip; do
  [ -f "build/$f" ] || { echo "build/$f is missing: run scripts/build.sh first"; exit 1; }
done
mkdir -p "$tmp/build/layers" "$tmp/build/functions"
cp build/layers/*.zip "$tmp/build/layers/"
cp build/functions/*.zip "$tmp/build/functions/"

synth() {  # synth OUT [context...]
  local out=$1; shift
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
    npx cdk synth -q -o "$out" -c buildDir="$tmp/build" "$@" >"$tmp/synth.log" 2>&1 \
    || { cat "$tmp/synth.log"; return 1; }
}
L() { local cmd=$1; shift; "$layered" "$cmd" --state "$tmp/state" "$@"; }
run() { local name=$1; shift; L "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; echo $? >"$tmp/$name.rc"; }
rc() { cat "$tmp/$1.rc"; }

# 1. Deploy both stacks and invoke both functions.
check "synth (export sharing)" synth "$tmp/cdk.v1"
run deploy1 deploy --all --app "$tmp/cdk.v1"
check "deploy --all succeeds" test "$(rc deploy1)" = 0
check "deploy prints the layers stack's exports" contains "$tmp/deploy1.out" "ExternalLayerArn"
for fn in GreetingFunction CatalogFunction; do
  run "invoke-$fn" invoke "Lambda-layers-example/$fn" --app "$tmp/cdk.v1" --event "lambdamodule/events/$fn.json"
  check "$fn answers its sample event" test "$(rc "invoke-$fn")" = 0
  check "$fn log has a REPORT line with Init Duration" contains "$tmp/invoke-$fn.err" "Init Duration:"
  run "bad-$fn" invoke "Lambda-layers-example/$fn" --app "$tmp/cdk.v1" --event "lambdamodule/events/invalid/$fn.json"
  check "$fn rejects bad input with a function error" test "$(rc "bad-$fn")" != 0
  check "$fn reports InvalidInput" contains "$tmp/bad-$fn.out" '"errorType":"InvalidInput"'
done

# 2. A no-change redeploy publishes nothing.
L list --json --app "$tmp/cdk.v1" >"$tmp/list1.json"
run deploy2 deploy --all --app "$tmp/cdk.v1"
check "unchanged redeploy succeeds" test "$(rc deploy2)" = 0
L list --json --app "$tmp/cdk.v1" >"$tmp/list2.json"
check "unchanged redeploy changes no state" cmp -s "$tmp/list1.json" "$tmp/list2.json"

# 3. Rebuild the cpputils layer: the layers stack alone cannot update its export.
(cd "$tmp" && mkdir -p extra/lib && echo rebuilt >extra/lib/REBUILT && cd extra && zip -qX ../build/layers/cpputils.zip lib/REBUILT)
check "synth after rebuilding a layer" synth "$tmp/cdk.v2"
run deploy3 deploy Lambda-layers-example-layers --app "$tmp/cdk.v2"
check "layers stack deploy fails while its export is imported" test "$(rc deploy3)" != 0
check "the failure uses CloudFormation's wording" \
  contains "$tmp/deploy3.err" "Export CpputilsLayerArn cannot be updated as it is in use by Lambda-layers-example"
L list --json --app "$tmp/cdk.v2" >"$tmp/list3.json"
# As CloudFormation: the resources are unchanged, the status says the update rolled back.
check "the failed deploy left the resources unchanged" /usr/bin/python3 -c '
import json, sys
before, after = (json.load(open(f)) for f in sys.argv[1:3])
for s in before["stacks"]:
    if s["name"] == "Lambda-layers-example-layers": s["status"] = "UPDATE_ROLLBACK_COMPLETE"
sys.exit(before != after)' "$tmp/list1.json" "$tmp/list3.json"
run invoke-after-fail invoke Lambda-layers-example/GreetingFunction --app "$tmp/cdk.v2" \
  --event lambdamodule/events/GreetingFunction.json
check "the function still works after the failed deploy" test "$(rc invoke-after-fail)" = 0

# 4. Move to SSM sharing: the application stack first, then everything.
check "synth (ssm sharing)" synth "$tmp/cdk.v3" -c layerSharing=ssm
run deploy4 deploy Lambda-layers-example --exclusively --app "$tmp/cdk.v3"
check "application stack moves to SSM parameters" test "$(rc deploy4)" = 0
run deploy5 deploy --all --app "$tmp/cdk.v3"
check "deploy --all publishes the rebuilt layer" test "$(rc deploy5)" = 0
L list --json --app "$tmp/cdk.v3" >"$tmp/list5.json"
# Version 2 was published by the rolled-back deploy above: as on Lambda, its
# number stays used, and this publish is version 3.
check "functions now use cpputils layer version 3" contains "$tmp/list5.json" "layer:lambda-layers-example-cpputils:3"
run invoke-v2 invoke Lambda-layers-example/CatalogFunction --app "$tmp/cdk.v3" \
  --event lambdamodule/events/CatalogFunction.json
check "the function works on the new layer version" test "$(rc invoke-v2)" = 0

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]

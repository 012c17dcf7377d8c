#!/usr/bin/env bash
# `layered serve` with the AWS CLI on versions and aliases: the alias-canary
# fixture (fn.currentVersion, an alias `live`, a CodeDeploy canary around it)
# deployed in a temporary state. Qualifiers in every form Lambda takes,
# X-Amz-Executed-Version, Lambda's 404 for an unknown alias, and one warm
# pool per version.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
begin_test "$@"
require_aws

# edit_template FILE PYTHON: runs PYTHON on the template `t` (its Resources `r`).
edit_template() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
r = t["Resources"]
exec(sys.argv[2])
json.dump(t, open(sys.argv[1], "w"))
PY
}
# The fixture with the settings serve reports as the template gives them.
cp -r "$root/tests/fixtures/assemblies/alias-canary" "$tmp/cdk.out"
edit_template "$tmp/cdk.out/Lambda-layers-example.template.json" \
  'r["GreetingFunction16D8FDDB"]["Properties"].update(TracingConfig={"Mode": "Active"}, LoggingConfig={"LogFormat": "JSON"})'
edit_template "$tmp/cdk.out/Lambda-layers-example-layers.template.json" \
  'r["ExternalLayerE23CF025"]["Properties"]["LicenseInfo"] = "MIT"'
deploy "$tmp/cdk.out" || exit 1
fn=$(function_name GreetingFunction)
[ -n "$fn" ] || { echo "the fixture's function is not deployed"; exit 1; }
start_serve || exit 1
arn="arn:aws:lambda:us-east-1:123456789012:function:$fn"

lambda invoke --function-name "$fn" --qualifier live --log-type Tail "$tmp/live.json" >"$tmp/live.meta" 2>&1
check "--qualifier live: exits 0" test $? = 0
check "--qualifier live: ExecutedVersion is the alias's version" contains "$tmp/live.meta" '"ExecutedVersion": "1"'
check "--qualifier live: the version's environment says so" contains "$tmp/live.json" '"version":"1"'
lambda invoke --function-name "$fn:1" --log-type Tail "$tmp/one.json" >"$tmp/one.meta" 2>&1
check "NAME:1: ExecutedVersion 1" contains "$tmp/one.meta" '"ExecutedVersion": "1"'
log_of "$tmp/one.meta" >"$tmp/one.log"
check "NAME:1 after the alias: the same version's warm environment" lacks "$tmp/one.log" "Init Duration:"
lambda invoke --function-name "$arn:\$LATEST" --log-type Tail "$tmp/latest.json" >"$tmp/latest.meta" 2>&1
check "ARN:\$LATEST: ExecutedVersion \$LATEST" contains "$tmp/latest.meta" '"ExecutedVersion": "$LATEST"'
check "ARN:\$LATEST: AWS_LAMBDA_FUNCTION_VERSION is \$LATEST" contains "$tmp/latest.json" '"version":"$LATEST"'
log_of "$tmp/latest.meta" >"$tmp/latest.log"
check "\$LATEST never reuses a version's environment" contains "$tmp/latest.log" "Init Duration:"

lambda invoke --function-name "$fn" --qualifier prod "$tmp/prod.json" >"$tmp/prod.meta" 2>"$tmp/prod.err"
check "an unknown alias fails" test $? != 0
check "with Lambda's ResourceNotFoundException" contains "$tmp/prod.err" "ResourceNotFoundException"
check "naming the qualified ARN" contains "$tmp/prod.err" "Function not found: $arn:prod"
lambda get-function-configuration --function-name "$fn" --qualifier 1 >"$tmp/conf.json" 2>&1
check "get-function-configuration --qualifier 1: Version 1" contains "$tmp/conf.json" '"Version": "1"'
check "and the version's ARN" contains "$tmp/conf.json" "\"FunctionArn\": \"$arn:1\""

lambda list-versions-by-function --function-name "$fn" >"$tmp/versions.json" 2>&1
check "list-versions-by-function: \$LATEST" contains "$tmp/versions.json" "\"FunctionArn\": \"$arn:\$LATEST\""
check "list-versions-by-function: version 1" contains "$tmp/versions.json" "\"FunctionArn\": \"$arn:1\""
lambda list-aliases --function-name "$arn" >"$tmp/aliases.json" 2>&1
check "list-aliases: live names version 1" contains "$tmp/aliases.json" '"FunctionVersion": "1"'
lambda get-alias --function-name "$fn" --name live >"$tmp/alias.json" 2>&1
check "get-alias: the alias ARN" contains "$tmp/alias.json" "\"AliasArn\": \"$arn:live\""
lambda get-alias --function-name "$fn" --name prod >"$tmp/noalias.json" 2>&1
check "get-alias of an unknown alias: ResourceNotFoundException" contains "$tmp/noalias.json" "ResourceNotFoundException"

# What the template says, and RevisionIds that change as Lambda's do.
revision() { lambda get-function-configuration --function-name "$1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["RevisionId"])'; }
# Debian's AWS CLI predates LoggingConfig and drops it: the raw answer.
curl -s "$endpoint/2015-03-31/functions/$fn/configuration" >"$tmp/latest-conf.json"
check "TracingConfig is the template's" contains "$tmp/latest-conf.json" '"TracingConfig":{"Mode":"Active"}'
check "LoggingConfig is the template's, with JSON's default levels" contains "$tmp/latest-conf.json" \
  '"LoggingConfig":{"ApplicationLogLevel":"INFO","LogFormat":"JSON","LogGroup":"/aws/lambda/'"$fn"'","SystemLogLevel":"INFO"}'
latest_revision=$(revision "$fn")
check "\$LATEST and version 1 have RevisionIds of their own" test -n "$latest_revision" -a "$latest_revision" != "$(revision "$fn:1")"
lambda list-layers >"$tmp/layers.json" 2>&1
layer_arn=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Layers"][0]["LatestMatchingVersion"]["LayerVersionArn"])' "$tmp/layers.json")
lambda get-layer-version-by-arn --arn "$layer_arn" >"$tmp/layer.json" 2>&1
check "get-layer-version-by-arn: the template's LicenseInfo" contains "$tmp/layer.json" '"LicenseInfo": "MIT"'
check "  and a CreatedDate" grep -qE '"CreatedDate": "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.000\+0000"' "$tmp/layer.json"
lambda list-layers --compatible-runtime nodejs99.x >"$tmp/badruntime.json" 2>&1
check "list-layers of a runtime Lambda does not know: ValidationException" contains "$tmp/badruntime.json" "ValidationException"
edit_template "$tmp/cdk.out/Lambda-layers-example.template.json" 'r["GreetingFunction16D8FDDB"]["Properties"]["Timeout"] = 9'
deploy "$tmp/cdk.out"
check "a redeploy of Timeout alone" test $? = 0
sleep 1.5
check "  changes \$LATEST's RevisionId" test "$(revision "$fn")" != "$latest_revision"

stop_serve
check "serve exits 0 on SIGTERM" test $? = 0
check "nothing is left behind" no_leftovers

# A state of an older schema (3: before versions and aliases), served while
# a deploy migrates it: serve sees the versions and aliases the deploy
# publishes without a restart.
rm -rf "$tmp/state"
cp -r "$root/tests/fixtures/assemblies/hostile-functions" "$tmp/older.out"
deploy "$tmp/older.out" || exit 1
/usr/bin/python3 - "$tmp/state/state.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("DROP TABLE function_version_layers; DROP TABLE function_versions;"
                 " DROP TABLE function_aliases; PRAGMA user_version=3;")
db.close()
PY
start_serve --prepare 0 || exit 1
deploy "$tmp/cdk.out"
check "a deploy migrates the older state while serve reads it" test $? = 0
sleep 1.5
lambda invoke --function-name "$fn" --qualifier live "$tmp/migrated.json" >"$tmp/migrated.meta" 2>&1
check "  and serve finds the alias it published" contains "$tmp/migrated.meta" '"ExecutedVersion": "1"'
stop_serve
check "serve exits 0 on SIGTERM (migrated)" test $? = 0
finish

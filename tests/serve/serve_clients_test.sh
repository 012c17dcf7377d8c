#!/usr/bin/env bash
# `layered serve` with real clients: the AWS CLI (Debian's /usr/bin/aws),
# boto3 (Debian's python3-boto3) and the AWS SDK for JavaScript v3, against
# the real example app deployed in a temporary state. Then a redeploy while
# serve runs: the new configuration is served at once (a new cold start, a
# reserved concurrency of 0 throttles), and SIGTERM leaves nothing behind.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
begin_test "$@"
require_aws

require_build
synth "$tmp/cdk.v1" || exit 1
deploy "$tmp/cdk.v1" || exit 1
greeting=$(function_name GreetingFunction)
catalog=$(function_name CatalogFunction)
[ -n "$greeting" ] && [ -n "$catalog" ] || { echo "example functions not deployed"; exit 1; }
start_serve --verbose || exit 1
check "serve prints the aws lambda invoke line to try" contains "$tmp/serve.log" "aws lambda invoke --endpoint-url $endpoint"
# Environments are prepared before any request: their sandbox time is said
# apart from Init Duration.
for _ in $(seq 1 100); do grep -q "prepared an environment for '$greeting' ahead in" "$tmp/serve.log" && break; sleep 0.1; done
check "serve prepares an environment ahead and says how long it took" \
  contains "$tmp/serve.log" "prepared an environment for '$greeting' ahead in"

port=${endpoint##*:}
"$layered" serve --state "$tmp/state" --port "$port" >/dev/null 2>"$tmp/taken.err"
check "a second serve on the same port fails" test $? != 0
check "and says the address is in use" contains "$tmp/taken.err" "cannot listen on 127.0.0.1:$port: Address already in use"
# 198.51.100.7 (TEST-NET-2) is not an address of this machine: the warning
# shows, nothing binds, and the message says which mistake it was.
"$layered" serve --state "$tmp/state" --host 198.51.100.7 --port 0 >/dev/null 2>"$tmp/nonlocal.err"
check "a host other than loopback warns" contains "$tmp/nonlocal.err" "warning: listening on '198.51.100.7', not loopback"
check "  and one not of this machine is named so" contains "$tmp/nonlocal.err" "is not an address of this machine"
"$layered" serve --state "$tmp/state" --host no-such-host.invalid --port 0 >/dev/null 2>"$tmp/unknown.err"
check "a host name that does not resolve is named so" contains "$tmp/unknown.err" \
  "'no-such-host.invalid' is not an address or a known host name"
timeout -s TERM 3 "$layered" serve --state "$tmp/state" --host '[::1]' --port 0 --prepare 0 >/dev/null 2>"$tmp/v6.err"
check "an IPv6 loopback as a URL writes it ([::1]) is served, as loopback" \
  contains "$tmp/v6.err" "Invoke API on http://[::1]:"
check "  without the warning" lacks "$tmp/v6.err" "warning"

events=$root/lambdamodule/events

# 1. The AWS CLI.
lambda invoke --function-name "$greeting" --payload "fileb://$events/GreetingFunction.json" --log-type Tail \
  "$tmp/g1.json" >"$tmp/g1.meta" 2>"$tmp/g1.err"
check "cli: invoke exits 0" test $? = 0
check "cli: the response is the function's" contains "$tmp/g1.json" '"greeting":"Bonjour, Ada !"'
check "cli: StatusCode 200" contains "$tmp/g1.meta" '"StatusCode": 200'
check "cli: ExecutedVersion \$LATEST" contains "$tmp/g1.meta" '"ExecutedVersion": "$LATEST"'
log_of "$tmp/g1.meta" >"$tmp/g1.log"
check "cli: --log-type Tail carries the REPORT line" contains "$tmp/g1.log" "REPORT RequestId:"
check "cli: the first invocation is a cold start" contains "$tmp/g1.log" "Init Duration:"
lambda invoke --function-name "$greeting" --payload "fileb://$events/GreetingFunction.json" --log-type Tail \
  "$tmp/g2.json" >"$tmp/g2.meta" 2>&1
log_of "$tmp/g2.meta" >"$tmp/g2.log"
check "cli: the second invocation is warm (no Init Duration)" lacks "$tmp/g2.log" "Init Duration:"
check "cli: the warm one answers too" contains "$tmp/g2.json" '"greeting":"Bonjour, Ada !"'

lambda invoke --function-name "$catalog" --payload "fileb://$events/invalid/CatalogFunction.json" \
  "$tmp/err.json" >"$tmp/err.meta" 2>&1
check "cli: a function error is FunctionError Unhandled" contains "$tmp/err.meta" '"FunctionError": "Unhandled"'
check "cli: the error payload is the function's" contains "$tmp/err.json" '"errorType":"InvalidInput"'

lambda invoke --function-name no-such-function "$tmp/missing.json" >"$tmp/missing.out" 2>"$tmp/missing.err"
check "cli: a missing function fails" test $? != 0
check "cli: ResourceNotFoundException with Lambda's message" contains "$tmp/missing.err" \
  "ResourceNotFoundException) when calling the Invoke operation: Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-function"

lambda invoke --function-name "$greeting" --qualifier 1 "$tmp/q.json" >/dev/null 2>"$tmp/q.err"
check "cli: a version qualifier is not found (versions are not modelled)" contains "$tmp/q.err" \
  "Function not found: arn:aws:lambda:us-east-1:123456789012:function:$greeting:1"
lambda invoke --function-name "arn:aws:lambda:us-east-1:123456789012:function:$greeting:\$LATEST" \
  --payload "fileb://$events/GreetingFunction.json" "$tmp/arn.json" >/dev/null 2>&1
check "cli: a full ARN with :\$LATEST" contains "$tmp/arn.json" "Bonjour, Ada"
lambda invoke --function-name "123456789012:function:$greeting" \
  --payload "fileb://$events/GreetingFunction.json" "$tmp/partial.json" >/dev/null 2>&1
check "cli: a partial ARN" contains "$tmp/partial.json" "Bonjour, Ada"

lambda invoke --function-name "$catalog" --invocation-type Event --payload "fileb://$events/CatalogFunction.json" \
  "$tmp/event.json" >"$tmp/event.meta" 2>&1
check "cli: an Event invocation is accepted with 202" contains "$tmp/event.meta" '"StatusCode": 202'
lambda invoke --function-name "$catalog" --invocation-type DryRun "$tmp/dry.json" >"$tmp/dry.meta" 2>&1
check "cli: a DryRun answers 204" contains "$tmp/dry.meta" '"StatusCode": 204'

lambda list-functions >"$tmp/list.json" 2>&1
check "cli: list-functions lists GreetingFunction" contains "$tmp/list.json" "\"FunctionName\": \"$greeting\""
check "cli: list-functions lists CatalogFunction" contains "$tmp/list.json" "\"FunctionName\": \"$catalog\""
lambda list-functions --max-items 1 >"$tmp/page.json" 2>&1
check "cli: list-functions pages (NextToken)" contains "$tmp/page.json" '"NextToken"'
lambda get-function --function-name "$greeting" >"$tmp/get.json" 2>&1
check "cli: get-function answers the configuration" contains "$tmp/get.json" '"Handler"'
check "cli: get-function lists the layers in order" contains "$tmp/get.json" ":layer:"
lambda get-function-configuration --function-name "$catalog" >"$tmp/conf.json" 2>&1
check "cli: get-function-configuration" contains "$tmp/conf.json" "\"FunctionName\": \"$catalog\""
layer=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Configuration"]["Layers"][0]["Arn"])' "$tmp/get.json")
layer_name=$(echo "$layer" | cut -d: -f7)
lambda list-layer-versions --layer-name "$layer_name" >"$tmp/layers.json" 2>&1
check "cli: list-layer-versions" contains "$tmp/layers.json" "\"LayerVersionArn\": \"$layer\""
lambda get-layer-version --layer-name "$layer_name" --version-number "${layer##*:}" >"$tmp/layer.json" 2>&1
check "cli: get-layer-version" contains "$tmp/layer.json" '"CodeSha256"'

lambda list-layers --compatible-runtime provided.al2023 >"$tmp/list-layers.json" 2>&1
check "cli: list-layers names the function's layer" contains "$tmp/list-layers.json" "\"LayerName\": \"$layer_name\""
lambda get-layer-version-by-arn --arn "$layer" >"$tmp/by-arn.json" 2>&1
check "cli: get-layer-version-by-arn" contains "$tmp/by-arn.json" "\"LayerVersionArn\": \"$layer\""
lambda get-function-concurrency --function-name "$greeting" >"$tmp/concurrency.json" 2>&1
check "cli: get-function-concurrency (none reserved)" test $? = 0

# 2. boto3 and the JavaScript SDK v3.
export SERVE_ENDPOINT=$endpoint GREETING=$greeting CATALOG=$catalog EVENTS=$events
/usr/bin/python3 "$here/boto3_client.py" normal >"$tmp/boto3.out" 2>&1
check "boto3: Invoke, ListFunctions, GetFunction and the 404/413/400 exceptions" test $? = 0 || cat "$tmp/boto3.out"
(cd "$root" && node --test --test-reporter=tap "$here/sdk_v3.test.mjs") >"$tmp/js.out" 2>&1
check "JS SDK v3: Invoke, ListFunctions, GetFunction and the error names" test $? = 0 || cat "$tmp/js.out"

# 3. A redeploy while serve runs: GreetingFunction gets a new environment
# variable (a new identity: not served by the old warm environment) and
# CatalogFunction a reserved concurrency of 0 (always throttled).
cp -r "$tmp/cdk.v1" "$tmp/cdk.v2"
/usr/bin/python3 - "$tmp/cdk.v2/Lambda-layers-example.template.json" <<'PY'
import json, sys
path = sys.argv[1]
t = json.load(open(path))
for logical, r in t["Resources"].items():
    if r["Type"] != "AWS::Lambda::Function":
        continue
    if logical.startswith("GreetingFunction"):
        r["Properties"].setdefault("Environment", {}).setdefault("Variables", {})["REDEPLOYED"] = "yes"
    if logical.startswith("CatalogFunction"):
        r["Properties"]["ReservedConcurrentExecutions"] = 0
json.dump(t, open(path, "w"))
PY
deploy "$tmp/cdk.v2"
check "redeploy while serve runs" test $? = 0
lambda invoke --function-name "$greeting" --payload "fileb://$events/GreetingFunction.json" --log-type Tail \
  "$tmp/g3.json" >"$tmp/g3.meta" 2>&1
log_of "$tmp/g3.meta" >"$tmp/g3.log"
check "redeployed function: a new environment (Init Duration again)" contains "$tmp/g3.log" "Init Duration:"
lambda get-function-configuration --function-name "$greeting" >"$tmp/conf2.json" 2>&1
check "redeployed function: the new configuration is read" contains "$tmp/conf2.json" '"REDEPLOYED": "yes"'
"$aws" lambda --endpoint-url "$endpoint" --cli-read-timeout 10 invoke --function-name "$catalog" \
  "$tmp/t.json" >/dev/null 2>"$tmp/throttle.err"
check "cli: reserved concurrency 0 throttles (TooManyRequestsException)" contains "$tmp/throttle.err" \
  "TooManyRequestsException"
lambda get-function-concurrency --function-name "$catalog" >"$tmp/concurrency0.json" 2>&1
check "cli: get-function-concurrency reads the redeployed reservation" contains "$tmp/concurrency0.json" \
  '"ReservedConcurrentExecutions": 0'
# Events for a throttled function wait in the queue without holding the
# workers: after more of them than serve has workers, an event for another
# function still runs, under the request id its 202 gave (Lambda's logs show it).
for i in 1 2 3 4 5 6; do
  curl -s -o /dev/null -H 'X-Amz-Invocation-Type: Event' -d '{}' \
    "$endpoint/2015-03-31/functions/$catalog/invocations"
done
curl -s -o /dev/null -D "$tmp/event.head" -H 'X-Amz-Invocation-Type: Event' \
  --data-binary "@$events/GreetingFunction.json" "$endpoint/2015-03-31/functions/$greeting/invocations"
event_id=$(tr -d '\r' <"$tmp/event.head" | sed -n 's/^x-amzn-RequestId: //Ip')
for _ in $(seq 100); do grep -q "END RequestId: $event_id" "$tmp/serve.log" && break; sleep 0.1; done
check "an Event runs while another function's events are throttled" test -n "$event_id"
check "  under the request id of its 202" contains "$tmp/serve.log" "START RequestId: $event_id"
/usr/bin/python3 "$here/boto3_client.py" throttled >"$tmp/boto3t.out" 2>&1
check "boto3: TooManyRequestsException with its Reason" test $? = 0 || cat "$tmp/boto3t.out"
(cd "$root" && SERVE_PHASE=throttled node --test --test-reporter=tap "$here/sdk_v3.test.mjs") >"$tmp/jst.out" 2>&1
check "JS SDK v3: TooManyRequestsException with its Reason" test $? = 0 || cat "$tmp/jst.out"

check "serve has environments while running" test -n "$(descendants "$serve_pid")"

# 4. A destroy while serve runs: every environment of what is gone, warm or
# prepared ahead, is shut down without waiting for the idle timeout, and
# the functions answer 404.
"$layered" destroy --all --force --app "$tmp/cdk.v2" --state "$tmp/state" >"$tmp/destroy.log" 2>&1
check "destroy while serve runs" test $? = 0 || cat "$tmp/destroy.log"
for _ in $(seq 50); do [ -z "$(descendants "$serve_pid")" ] && break; sleep 0.1; done
check "  shuts every environment down" test -z "$(descendants "$serve_pid")"
check "  and the functions are gone (404)" test "$(curl -s -o /dev/null -w '%{http_code}' -d '{}' \
  "$endpoint/2015-03-31/functions/$greeting/invocations")" = 404

# 5. SIGTERM: a clean exit, no sandbox, process or temporary file left.
stop_serve
check "serve exits 0 on SIGTERM" test $? = 0
check "nothing is left behind" no_leftovers
check "serve said it stopped" contains "$tmp/serve.log" "layered serve: stopping"
finish

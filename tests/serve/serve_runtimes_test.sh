#!/usr/bin/env bash
# `layered serve` serves every runtime `layered invoke` runs: the
# managed-runtimes fixture (a Python and a Node.js function, each importing a
# module from its layer) through the AWS CLI: answers, a warm second
# invocation, the client context, a function error, an Event invocation. The
# fixture's runtimes are set to this machine's python3 and node first.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
begin_test "$@"
require_aws

python=$(/usr/bin/python3 -c 'import sys; print("python%d.%d" % sys.version_info[:2])')
node=$(node -p '"nodejs" + process.versions.node.split(".")[0] + ".x"' 2>/dev/null)
[ -n "$node" ] || { echo "node is missing: run scripts/setup.sh"; exit 1; }
cp -r "$root/tests/fixtures/assemblies/managed-runtimes" "$tmp/cdk.out"
sed -i "s/\"python3\.11\"/\"$python\"/; s/\"nodejs20\.x\"/\"$node\"/" "$tmp/cdk.out/Managed-runtimes.template.json"
deploy "$tmp/cdk.out" || exit 1
start_serve || exit 1
field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))' "$1" "$2" 2>/dev/null; }

# A crash resets the runtime, not the execution environment, as on Lambda:
# the next invoke re-initializes in the same one (no Init Duration), with
# the same log stream and what the function left in /tmp.
after_a_crash() {
  local fn=$1 what=$2
  lambda invoke --function-name "$fn" --cli-binary-format raw-in-base64-out \
    --payload '{"name":"Ada","keep":"before the crash"}' "$tmp/keep.json" >/dev/null 2>&1
  lambda invoke --function-name "$fn" --cli-binary-format raw-in-base64-out \
    --payload '{"name":"Ada","crash":true}' "$tmp/crash.json" >"$tmp/crash.meta" 2>&1
  check "$what: a crash is Runtime.ExitError" test "$(field "$tmp/crash.json" errorType)" = Runtime.ExitError
  lambda invoke --function-name "$fn" --log-type Tail --cli-binary-format raw-in-base64-out \
    --payload '{"name":"Ada"}' "$tmp/after.json" >"$tmp/after.meta" 2>&1
  log_of "$tmp/after.meta" >"$tmp/after.log" 2>/dev/null
  check "$what: after a crash, /tmp is kept" test "$(field "$tmp/after.json" kept)" = "before the crash"
  check "$what: after a crash, the log stream is the same" \
    test "$(field "$tmp/after.json" stream)" = "$(field "$tmp/keep.json" stream)"
  check "$what: after a crash, the re-init has no Init Duration" lacks "$tmp/after.log" "Init Duration:"
}

for construct in PythonFunction NodeFunction; do
  fn=$(function_name "$construct")
  key=$([ "$construct" = PythonFunction ] && echo python || echo node)
  what="$construct ($([ "$key" = python ] && echo "$python" || echo "$node"))"
  [ -n "$fn" ] || { fail "$what is deployed"; continue; }
  for n in 1 2; do
    lambda invoke --function-name "$fn" --log-type Tail --cli-binary-format raw-in-base64-out \
      --payload '{"name":"Ada"}' "$tmp/$key$n.json" >"$tmp/$key$n.meta" 2>&1
    log_of "$tmp/$key$n.meta" >"$tmp/$key$n.log" 2>/dev/null
    check "$what #$n: the layer's module answers" test "$(field "$tmp/$key$n.json" "$key")" = "hello Ada"
  done
  check "$what #1 is a cold start" contains "$tmp/${key}1.log" "Init Duration:"
  check "$what #2 is warm" lacks "$tmp/${key}2.log" "Init Duration:"
  [ "$key" = python ] && after_a_crash "$fn" "$what"
  # ClientContext: base64 JSON in, the function's context holds it decoded.
  context=$(printf '{"custom":{"caller":"%s"},"env":{"locale":"fr"}}' "$key" | base64 -w0)
  lambda invoke --function-name "$fn" --client-context "$context" --cli-binary-format raw-in-base64-out \
    --payload '{"name":"Ada"}' "$tmp/${key}-cc.json" >"$tmp/${key}-cc.meta" 2>&1
  check "$what: --client-context reaches the function's context" \
    test "$(field "$tmp/${key}-cc.json" custom)" = "{'caller': '$key'}"
  lambda invoke --function-name "$fn" --client-context "not base64" --cli-binary-format raw-in-base64-out \
    --payload '{"name":"Ada"}' "$tmp/${key}-badcc.json" >"$tmp/${key}-badcc.meta" 2>&1
  check "$what: a client context that is not base64 JSON is Lambda's 400" \
    contains "$tmp/${key}-badcc.meta" "Client context must be a valid Base64-encoded JSON object."
  lambda invoke --function-name "$fn" --cli-binary-format raw-in-base64-out --payload '{"fail":true}' \
    "$tmp/${key}-err.json" >"$tmp/${key}-err.meta" 2>&1
  check "$what: a raised error is FunctionError Unhandled" contains "$tmp/${key}-err.meta" '"FunctionError": "Unhandled"'
  error_type=$([ "$key" = python ] && echo ValueError || echo TypeError)
  check "$what: its errorType is the language's" test "$(field "$tmp/${key}-err.json" errorType)" = "$error_type"
  lambda invoke --function-name "$fn" --invocation-type Event --cli-binary-format raw-in-base64-out \
    --payload '{"name":"Ada"}' "$tmp/${key}-event.json" >"$tmp/${key}-event.meta" 2>&1
  check "$what: an Event invocation is accepted" contains "$tmp/${key}-event.meta" '"StatusCode": 202'
done

stop_serve
check "serve exits 0 on SIGTERM" test $? = 0
check "nothing is left behind" no_leftovers
finish

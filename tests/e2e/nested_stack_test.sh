#!/usr/bin/env bash
# A NestedStack end to end: tests/fixtures/cdk-apps/nested-stack synthesized
# by the real CDK CLI with this machine's Python, checked by doctor, deployed,
# invoked and destroyed by the real `layered`. The outer stack publishes the
# layer and passes it to the nested stack; the nested function uses it.
set -uo pipefail
layered=$1
root=$2
cd "$root"

tmp=$(mktemp -d)
chmod 755 "$tmp"  # the sandbox's unprivileged user must reach the state's store
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/lib.sh"

python=$(/usr/bin/python3 -c 'import sys; print("python%d.%d" % sys.version_info[:2])')
app=tests/fixtures/cdk-apps/nested-stack/app.ts
synth_app "$app" "$tmp/cdk.out" -c python="$python" || exit 1
check "the CDK writes an AWS::CloudFormation::Stack" contains "$tmp/cdk.out/Outer.template.json" '"AWS::CloudFormation::Stack"'

L() { local cmd=$1; shift; "$layered" "$cmd" --state "$tmp/state" --app "$tmp/cdk.out" "$@"; }
L doctor >"$tmp/doctor.out" 2>&1
check "doctor checks the nested stack's function" contains "$tmp/doctor.out" "Outer/Inner/Hello ($python, x86_64; layers: GreeterA41DC22A)"
L deploy --all >"$tmp/deploy.out" 2>"$tmp/deploy.err"
check "deploy succeeds" test $? = 0
check "  the outer stack's output is the nested function's name" \
  contains "$tmp/deploy.out" "Outer.HelloName = Outer-InnerNestedStack"
echo '{"name":"Ada"}' >"$tmp/event.json"
L invoke Outer/Inner/Hello --event "$tmp/event.json" >"$tmp/invoke.out" 2>"$tmp/invoke.err"
check "the nested function runs with the layer its parent passed" \
  same "$tmp/invoke.out" '{"nested": "hello Ada from the layer"}'
# serve answers for it too, by the name the outer stack's output gives.
name=$(sed -n 's/^Outer.HelloName = //p' "$tmp/deploy.out")
"$layered" serve --state "$tmp/state" --port 0 2>"$tmp/serve.log" &
serve_pid=$!
for _ in $(seq 1 100); do
  endpoint=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/serve.log" | head -1 || true)
  [ -n "$endpoint" ] && break
  sleep 0.1
done
curl -s -o "$tmp/served.json" -X POST -d '{"name":"Bo"}' "$endpoint/2015-03-31/functions/$name/invocations"
kill -TERM "$serve_pid"; wait "$serve_pid"
check "serve invokes the nested function by name" same "$tmp/served.json" '{"nested": "hello Bo from the layer"}'
L list >"$tmp/list.out" 2>&1
check "list shows the nested stack" contains "$tmp/list.out" "Outer-InnerNestedStackInnerNestedStackResource745E041B-"
L destroy --all --force >"$tmp/destroy.out" 2>&1
check "destroy succeeds" test $? = 0
L list >"$tmp/list.out" 2>&1
check "  and leaves no stack, nested or not" contains "$tmp/list.out" "no stacks deployed"

finish

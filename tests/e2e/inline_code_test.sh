#!/usr/bin/env bash
# Inline code end to end, as public CDK apps write it (lambda.Code.fromInline,
# CloudFormation's Code.ZipFile): tests/fixtures/cdk-apps/inline-code
# synthesized by the real CDK CLI with this machine's Python and Node.js,
# deployed and invoked by the real `layered`. The Python function imports a
# module from its layer; each answers with the file its code is in
# (/var/task/index.py, /var/task/index.js, as CloudFormation names them).
# A public layer of another account is given with --layer ARN=ZIP. Doctor
# reads the inline code before deploy; a runtime that takes no inline code is
# refused at deploy.
set -uo pipefail
layered=$1
root=$2
cd "$root"

tmp=$(mktemp -d)
# The sandbox's unprivileged user must reach the state's store (mktemp makes 0700).
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/lib.sh"

python=$(/usr/bin/python3 -c 'import sys; print("python%d.%d" % sys.version_info[:2])')
node=$(node -p '"nodejs" + process.versions.node.split(".")[0] + ".x"')
app=tests/fixtures/cdk-apps/inline-code/app.ts
synth_app "$app" "$tmp/cdk.out" -c python="$python" -c node="$node" || exit 1
check "the CDK writes the code inline (Code.ZipFile)" contains "$tmp/cdk.out/Inline-code.template.json" '"ZipFile"'

L() { local cmd=$1; shift; "$layered" "$cmd" --state "$tmp/state" "$@"; }
ls /tmp | grep '^layered-doctor-' | sort >"$tmp/doctor-dirs.before"
L deploy --all --app "$tmp/cdk.out" >"$tmp/deploy.out" 2>&1
check "deploy (with doctor) succeeds" test $? = 0
echo '{"name":"Ada"}' >"$tmp/event.json"
L invoke Inline-code/PythonInline --event "$tmp/event.json" >"$tmp/python.out" 2>"$tmp/python.err"
check "$python inline code runs from /var/task/index.py and imports its layer's module" \
  same "$tmp/python.out" '{"python": "hello Ada from the layer", "file": "/var/task/index.py"}'
L invoke Inline-code/NodeInline --event "$tmp/event.json" >"$tmp/node.out" 2>"$tmp/node.err"
check "$node inline code runs from /var/task/index.js (CommonJS)" \
  same "$tmp/node.out" '{"node":"hello Ada","file":"/var/task/index.js"}'

# A public layer (another account's) that layered cannot download: deploy
# says how to give it, and --layer ARN=ZIP stands in for it.
foreign=arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:40
cp -r "$tmp/cdk.out" "$tmp/public.out"
/usr/bin/python3 - "$tmp/public.out/Inline-code.template.json" "$foreign" "$tmp/tools.zip" <<'PY'
import json, sys, zipfile
t = json.load(open(sys.argv[1]))
for r in t["Resources"].values():
    if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Runtime"].startswith("python"):
        r["Properties"]["Layers"].append(sys.argv[2])
        r["Properties"]["Code"]["ZipFile"] = (
            "import greet, tools\n"
            "def handler(event, context):\n"
            "    return {'python': greet.hello(event['name']), 'tools': tools.VERSION}\n")
json.dump(t, open(sys.argv[1], "w"))
with zipfile.ZipFile(sys.argv[3], "w") as z:
    z.writestr("python/tools.py", "VERSION = 'local copy'\n")
PY
L deploy --all --app "$tmp/public.out" >"$tmp/public.out.log" 2>&1
check "a layer of another account is missing" test $? != 0
check "  and deploy says to give it with --layer" contains "$tmp/public.out.log" "pass its content with --layer $foreign=DIR|ZIP"
L deploy --all --app "$tmp/public.out" --layer "$foreign=$tmp/tools.zip" >"$tmp/public.out.log" 2>&1
check "deploy --layer ARN=ZIP stands in for it" test $? = 0
L invoke Inline-code/PythonInline --event "$tmp/event.json" >"$tmp/public.json" 2>"$tmp/public.err"
check "  and the function imports its module from /opt/python" \
  same "$tmp/public.json" '{"python": "hello Ada from the layer", "tools": "local copy"}'
L list >"$tmp/list.out" 2>&1
check "  list marks it provided" contains "$tmp/list.out" "$foreign  (provided with --layer)"

# A custom resource's handler, inline, with `import cfnresponse`: the module
# CloudFormation adds is there (doctor finds the import, the handler runs).
cp -r "$tmp/cdk.out" "$tmp/cr.out"
/usr/bin/python3 - "$tmp/cr.out/Inline-code.template.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
for r in t["Resources"].values():
    if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Runtime"].startswith("python"):
        r["Properties"]["Code"]["ZipFile"] = (
            "import cfnresponse\n"
            "def handler(event, context):\n"
            "    cfnresponse.send(event, context, cfnresponse.SUCCESS, {'k': 'v'}, 'my-id')\n"
            "    return cfnresponse.SUCCESS\n")
json.dump(t, open(sys.argv[1], "w"))
PY
"$layered" deploy --all --app "$tmp/cr.out" --state "$tmp/cr-state" >"$tmp/cr-deploy.log" 2>&1
check "an inline handler that imports cfnresponse deploys with doctor" test $? = 0
echo '{"RequestType": "Create", "ResponseURL": "http://127.0.0.1:9/", "StackId": "s", "RequestId": "r",
       "LogicalResourceId": "L"}' >"$tmp/cr-event.json"
"$layered" invoke Inline-code/PythonInline --state "$tmp/cr-state" --event "$tmp/cr-event.json" \
  >"$tmp/cr.json" 2>"$tmp/cr.err"
check "  and runs: the module's constant is its answer" same "$tmp/cr.json" '"SUCCESS"'
check "  and send() built the response object" contains "$tmp/cr.err" '"PhysicalResourceId": "my-id"'

# A handler whose module is not the inline code's: doctor says so before deploy.
cp -r "$tmp/cdk.out" "$tmp/bad.out"
/usr/bin/python3 - "$tmp/bad.out/Inline-code.template.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
for r in t["Resources"].values():
    if r["Type"] == "AWS::Lambda::Function":
        python = r["Properties"]["Runtime"].startswith("python")
        r["Properties"]["Handler"] = "app.handler" if python else "main.handler"
json.dump(t, open(sys.argv[1], "w"))
PY
"$layered" doctor --app "$tmp/bad.out" >"$tmp/doctor.out" 2>&1
check "doctor fails on handlers the inline code does not define" test $? != 0
check "  naming the Python module it looked for" contains "$tmp/doctor.out" "the handler 'app.handler' names the module 'app'"
check "  and the Node.js one" contains "$tmp/doctor.out" "[nodejs.handler-missing] /var/task/main.js"

# Inline code for a custom runtime: refused with the reason and where.
/usr/bin/python3 - "$tmp/bad.out/Inline-code.template.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
for r in t["Resources"].values():
    if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Runtime"].startswith("nodejs"):
        r["Properties"]["Runtime"] = "provided.al2023"
json.dump(t, open(sys.argv[1], "w"))
PY
"$layered" deploy --all --no-doctor --app "$tmp/bad.out" --state "$tmp/other" >"$tmp/refused.out" 2>&1
check "deploy refuses inline code for provided.al2023" test $? != 0
check "  with the reason" contains "$tmp/refused.out" \
  "Code.ZipFile (inline code) is only for Node.js and Python functions, not provided.al2023"
check "  and where" contains "$tmp/refused.out" "Properties.Code.ZipFile"

ls /tmp | grep '^layered-doctor-' | sort >"$tmp/doctor-dirs.after"
check "doctor leaves no scratch directory in /tmp" cmp -s "$tmp/doctor-dirs.before" "$tmp/doctor-dirs.after"

finish

#!/usr/bin/env bash
# layered's cfn-response modules (layered/runtimes/cfn-response/), run by this
# machine's python3 and node against a local HTTP server that records the PUT:
# the response object's fields and headers, and a failed PUT that is reported
# without raising.
set -uo pipefail
root=$1
dir=$root/layered/runtimes/cfn-response
tmp=$(mktemp -d)
trap '[ -n "${server:-}" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT
source "$root/tests/e2e/lib.sh"

# A server that answers one PUT with 200 and writes what it got.
/usr/bin/python3 - "$tmp" >"$tmp/server.log" 2>&1 <<'PY' &
import http.server, json, sys
out = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        json.dump({"path": self.path, "type": self.headers.get("Content-Type"), "body": json.loads(body)},
                  open(out + "/put-%d.json" % len(__import__("os").listdir(out)), "w"))
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(out + "/port", "w").write(str(s.server_port))
s.serve_forever()
PY
server=$!
for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$tmp/port")/presigned?X-Amz-Signature=x"
event="{\"ResponseURL\": \"$url\", \"StackId\": \"arn:stack\", \"RequestId\": \"req-1\", \"LogicalResourceId\": \"Res\"}"

/usr/bin/python3 - "$dir" "$event" >"$tmp/python.out" 2>&1 <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
import cfnresponse
class Context: log_stream_name = "2026/12/07/[$LATEST]abc"
cfnresponse.send(json.loads(sys.argv[2]), Context(), cfnresponse.SUCCESS, {"k": "v"}, "my-id")
bad = dict(json.loads(sys.argv[2]), ResponseURL="http://127.0.0.1:9/")
cfnresponse.send(bad, Context(), cfnresponse.FAILED, {}, reason="it broke")
print("returned")
PY
check "python: send PUTs the response object" test -s "$(ls "$tmp"/put-*.json | head -1)"
python_put=$(ls -tr "$tmp"/put-*.json | head -1)
field() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
check "  to the ResponseURL's path and query" test "$(field "$python_put" 'd["path"]')" = "/presigned?X-Amz-Signature=x"
check "  with an empty Content-Type, as the presigned URL needs" test "$(field "$python_put" 'd["type"]')" = ""
check "  with CloudFormation's fields" test "$(field "$python_put" '[d["body"][k] for k in ("Status","PhysicalResourceId","StackId","RequestId","LogicalResourceId","NoEcho","Data")]')" \
  = "['SUCCESS', 'my-id', 'arn:stack', 'req-1', 'Res', False, {'k': 'v'}]"
check "  and a failed PUT is reported, not raised" contains "$tmp/python.out" "send(..) failed executing http PUT(..)"
check "  (the handler goes on)" contains "$tmp/python.out" "returned"

rm -f "$tmp"/put-*.json
node - "$dir" "$event" >"$tmp/node.out" 2>&1 <<'JS'
const response = require(process.argv[2] + '/cfn-response.js');
const event = JSON.parse(process.argv[3]);
const context = { logStreamName: '2026/12/07/[$LATEST]abc', done: () => {
  console.log('done');
  response.send({ ...event, ResponseURL: 'http://127.0.0.1:9/' }, { logStreamName: 's', done: () => console.log('done after failure') },
    response.FAILED, {});
} };
response.send(event, context, response.SUCCESS, { k: 'v' });
JS
node_put=$(ls "$tmp"/put-*.json 2>/dev/null | head -1)
check "node: send PUTs the response object" test -n "$node_put"
check "  with CloudFormation's fields, the log stream as PhysicalResourceId" \
  test "$(field "$node_put" '[d["body"][k] for k in ("Status","PhysicalResourceId","RequestId","Data")]')" \
  = "['SUCCESS', '2026/12/07/[\$LATEST]abc', 'req-1', {'k': 'v'}]"
check "  then ends the invocation (context.done)" contains "$tmp/node.out" "done"
check "  and a failed PUT is reported and still ends it" contains "$tmp/node.out" "done after failure"
finish

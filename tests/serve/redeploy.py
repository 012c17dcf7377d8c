"""Redeploys a function while two clients keep invoking it through serve, and
checks that each redeploy is what serves the next request.

usage: redeploy.py ENDPOINT LAYERED STATE ASSEMBLY ROUNDS
`write_app ASSEMBLY TAG` (in this file) writes a one-function assembly whose
inline Python code answers {"tag": TAG}. Prints TAP-style lines."""
import collections, http.client, json, os, subprocess, sys, threading, time


def write_app(out, tag):
    os.makedirs(out, exist_ok=True)
    code = "def handler(event, context):\n    return {'tag': %r}\n" % tag
    template = {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {
        "FunctionName": "redeployed", "Runtime": "python3.11", "Handler": "index.handler",
        "Role": "arn:aws:iam::123456789012:role/r", "Code": {"ZipFile": code}}}}}
    with open(os.path.join(out, "Redeploy.template.json"), "w") as f:
        json.dump(template, f)
    manifest = {"version": "36.0.0", "artifacts": {"Redeploy": {
        "type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
        "properties": {"templateFile": "Redeploy.template.json"}}}}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f)


def invoke(host, port):
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.request("POST", "/2015-03-31/functions/redeployed/invocations", b"{}")
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def main():
    if sys.argv[1] == "write_app":
        return write_app(sys.argv[2], sys.argv[3])
    endpoint, layered, state, assembly, rounds = sys.argv[1:6]
    host, port = endpoint.rsplit("/", 1)[-1].split(":")
    statuses = collections.Counter()
    errors = []
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            status, body = invoke(host, int(port))
            statuses[status] += 1
            if status != 200:
                errors.append(body[:300])

    clients = [threading.Thread(target=hammer) for _ in range(2)]
    for c in clients:
        c.start()
    failed = 0
    for k in range(int(rounds)):
        tag = "round-%d" % k
        write_app(assembly, tag)
        subprocess.run([layered, "deploy", "--all", "--no-doctor", "--app", assembly, "--state", state],
                       check=True, capture_output=True)
        time.sleep(1.5)
        status, body = invoke(host, int(port))
        ok = status == 200 and json.loads(body).get("tag") == tag
        failed += not ok
        print("%s - round %d: a request after the redeploy runs its code (%d %s)"
              % ("ok" if ok else "not ok", k, status, body[:200]))
    stop.set()
    for c in clients:
        c.join()
    ok = set(statuses) == {200}
    print("%s - every request under load was answered 200: %s %s"
          % ("ok" if ok else "not ok", dict(statuses), errors[:3]))
    return 0 if ok and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

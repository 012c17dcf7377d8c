"""One environment's crash, timeout or out-of-memory never costs another
invocation (the hostile-functions fixture behind `layered serve`): Steady is
invoked over and over while Crasher, Sleeper and Hog fail, twice each, at
the same time. Prints one ok / not ok line per check.
Usage: isolation.py ENDPOINT STEADY CRASHER SLEEPER HOG"""
import base64
import http.client
import json
import sys
import threading
import urllib.parse

endpoint, steady, crasher, sleeper, hog = sys.argv[1:6]
host = urllib.parse.urlparse(endpoint)
failures = 0


def check(what, condition, detail=""):
    global failures
    print(("ok - " if condition else "not ok - ") + what + ("" if condition else f": {detail}"))
    failures += 0 if condition else 1


def invoke(name, event):
    """(status, function error header, payload, log tail) of one RequestResponse."""
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
    conn.request("POST", f"/2015-03-31/functions/{name}/invocations", body=json.dumps(event, separators=(",", ":")),
                 headers={"X-Amz-Log-Type": "Tail", "Content-Type": "application/json"})
    answer = conn.getresponse()
    payload = answer.read().decode()
    log = base64.b64decode(answer.getheader("X-Amz-Log-Result", "")).decode(errors="replace")
    conn.close()
    return answer.status, answer.getheader("X-Amz-Function-Error"), payload, log


first = invoke(steady, {"n": 0})
check("Steady answers its first (cold) invocation", first[2] == '{"steady":{"n":0}}', first)
check("Steady's first invocation is a cold start", "Init Duration:" in first[3], first[3])

hostile_results = {}


def hostile(name):
    hostile_results[name] = [invoke(name, {"attack": i}) for i in range(2)]


threads = [threading.Thread(target=hostile, args=(n,)) for n in (crasher, sleeper, hog)]
for t in threads:
    t.start()
steady_results = []
n = 1
while any(t.is_alive() for t in threads) or n < 10:
    steady_results.append((n, invoke(steady, {"n": n})))
    n += 1
for t in threads:
    t.join()

wrong = [(i, r) for i, r in steady_results if r[0] != 200 or r[1] is not None or r[2] != f'{{"steady":{{"n":{i}}}}}']
check(f"Steady answered all {len(steady_results)} invocations made meanwhile, each with its own event",
      not wrong, wrong[:3])
cold = [i for i, r in steady_results if "Init Duration:" in r[3]]
check("Steady's environment stayed warm through every failure (no second Init)", not cold, cold)

expected = {crasher: ("Crasher", "Runtime.ExitError", "exit status 7"),
            sleeper: ("Sleeper", "Sandbox.Timedout", "Task timed out after 1.00 seconds"),
            hog: ("Hog", "Runtime.OutOfMemory", "signal: killed")}
for name, (label, error_type, message) in expected.items():
    for attempt, (status, function_error, payload, log) in enumerate(hostile_results[name], 1):
        what = f"{label} #{attempt}"
        body = json.loads(payload) if payload.startswith("{") else {}
        check(f"{what}: 200 with X-Amz-Function-Error: Unhandled", status == 200 and function_error == "Unhandled",
              (status, function_error))
        check(f"{what}: {error_type}", body.get("errorType") == error_type and message in body.get("errorMessage", ""),
              payload)
        # The first is a cold start. A failure resets the runtime, not the
        # environment, as on Lambda: the next invocation starts a new runtime
        # in it, inside its own invoke (no Init Duration).
        if attempt == 1:
            check(f"{what}: a cold start (Init Duration)", "Init Duration:" in log, log[-600:])
        else:
            check(f"{what}: the reset environment re-initializes (no Init Duration)",
                  "Init Duration:" not in log and "START RequestId:" in log, log[-600:])

last = invoke(steady, {"n": "last"})
check("Steady still answers, warm, after all of it",
      last[2] == '{"steady":{"n":"last"}}' and "Init Duration:" not in last[3], last)
sys.exit(1 if failures else 0)

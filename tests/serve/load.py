"""Load on `layered serve` over loopback, bounded in count and time: rounds
of concurrent invocations of every example function (answers and function
errors mixed). Every request must get exactly one response, the right one;
serve's resident set must stay flat from the third round on. Halfway, every
idle environment is killed: the next round must still be answered in full.
Usage: load.py ENDPOINT SERVE_PID CASES.json ROUNDS REQUESTS CONCURRENCY"""
import glob
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

endpoint, serve_pid, cases_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rounds, requests, concurrency = (int(v) for v in sys.argv[4:7])
cases = json.load(open(cases_file))
host = urllib.parse.urlparse(endpoint)
ROUND_LIMIT_S = 180


def rss_kb():
    with open(f"/proc/{serve_pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except FileNotFoundError:  # it ended since it was listed
        return ""


def sandboxes():
    """serve's bubblewrap children, one per environment (its other children
    are the environments' network helpers, slirp4netns)."""
    children = set()
    for path in glob.glob(f"/proc/{serve_pid}/task/*/children"):
        try:
            children.update(open(path).read().split())
        except FileNotFoundError:  # the thread ended since the glob
            pass
    return {pid for pid in children if comm(pid) == "bwrap"}


def environments():
    return len(sandboxes())


def one_round():
    lock = threading.Lock()
    next_index = [0]
    outcomes = [None] * requests

    def worker():
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= requests:
                break
            case = cases[i % len(cases)]
            try:
                conn.request("POST", f"/2015-03-31/functions/{case['function']}/invocations", body=case["payload"],
                             headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                body = r.read().decode()
                outcomes[i] = (r.status, body, r.getheader("X-Amz-Function-Error") or "")
            except Exception as error:  # noqa: BLE001: a failed request is a finding, not a crash
                outcomes[i] = ("exception", repr(error), "")
                conn.close()
                conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(ROUND_LIMIT_S)
    took = time.monotonic() - started
    wrong = []
    for i, got in enumerate(outcomes):
        case = cases[i % len(cases)]
        want = (200, case["expected"], "Unhandled" if case["error"] else "")
        if got is None or got[0] != want[0] or got[2] != want[2] or not matches(case, got[1]):
            wrong.append((i, case["function"], got))
    return took, wrong


def matches(case, body):
    if not case["error"]:
        return body == case["expected"]
    # An error payload carries no request id here, but compare by type and message.
    got, want = json.loads(body), json.loads(case["expected"])
    return got.get("errorType") == want.get("errorType") and got.get("errorMessage") == want.get("errorMessage")


failures = 0
rss = []
for r in range(rounds):
    took, wrong = one_round()
    rss.append(rss_kb())
    print(f"round {r + 1}: {requests} requests, {concurrency} concurrent, {took:.1f} s "
          f"({requests / took:.0f}/s), wrong {len(wrong)}, serve RSS {rss[-1]} kB, "
          f"{environments()} environments")
    for w in wrong[:5]:
        print("  wrong:", w)
    if r + 1 == rounds // 2:
        # A crash of one environment must not cost another request: kill every
        # idle sandbox; the next round must still be answered in full.
        killed = 0
        for pid in sandboxes():
            try:
                os.kill(int(pid), signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        # Give the kills time to land: an environment that died while idle must
        # cost no request (a death during an invocation is that request's error).
        time.sleep(1.0)
        print(f"killed {killed} processes of idle environments (SIGKILL)")
    if wrong or took > ROUND_LIMIT_S:
        failures += 1
# The first rounds fill the pools and the allocator; later ones must not grow.
baseline = rss[min(2, len(rss) - 1)]
if rss[-1] > baseline * 1.10 + 4096:
    print(f"not ok - serve's RSS grew from {baseline} kB to {rss[-1]} kB across rounds")
    failures += 1
else:
    print(f"ok - serve's RSS stayed flat: {baseline} kB after round 3, {rss[-1]} kB after round {rounds}")
sys.exit(1 if failures else 0)

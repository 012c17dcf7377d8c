"""Cold starts through `layered serve` (run with a short --idle-timeout so
each request finds no warm environment): request-to-response wall time and
the Init Duration its REPORT line shows. Prints medians.
Usage: serve_cold.py ENDPOINT FUNCTION EVENT_FILE RUNS IDLE_WAIT_S"""
import base64
import http.client
import re
import statistics
import sys
import time
import urllib.parse

endpoint, function, event_file, runs, idle_wait = sys.argv[1:6]
url = urllib.parse.urlparse(endpoint)
event = open(event_file, "rb").read()
walls, inits = [], []
for _ in range(int(runs)):
    time.sleep(float(idle_wait))
    conn = http.client.HTTPConnection(url.hostname, url.port)
    t0 = time.perf_counter()
    conn.request("POST", f"/2015-03-31/functions/{function}/invocations", body=event, headers={"X-Amz-Log-Type": "Tail"})
    r = conn.getresponse()
    r.read()
    walls.append((time.perf_counter() - t0) * 1000)
    log = base64.b64decode(r.getheader("X-Amz-Log-Result") or "").decode()
    m = re.search(r"Init Duration: ([0-9.]+) ms", log)
    if not m:
        sys.exit(f"serve_cold: the request was not a cold start (no Init Duration):\n{log}")
    inits.append(float(m.group(1)))
    conn.close()
print(f"{statistics.median(walls):.2f} {statistics.median(inits):.2f}")

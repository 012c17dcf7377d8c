#!/usr/bin/env bash
# serve's life around the functions': started before anything is deployed
# (a deploy in another terminal is served from its next request), stopped
# while a client is still sending its request, stopped by Ctrl-\ (SIGQUIT),
# and started under a small limit of open files.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
begin_test "$@"

# Before any deploy: no state at all.
start_serve || exit 1
check "serve starts where nothing is deployed yet, and says so" contains "$tmp/serve.log" "nothing is deployed in"
curl -s "$endpoint/2015-03-31/functions/" >"$tmp/empty.json"
check "  ListFunctions answers an empty list" contains "$tmp/empty.json" '"Functions":[]'
cp -r "$root/tests/fixtures/assemblies/hostile-functions" "$tmp/cdk.out"
deploy "$tmp/cdk.out" || exit 1
steady=$(function_name Steady)
curl -s -d '{"n":1}' "$endpoint/2015-03-31/functions/$steady/invocations" >"$tmp/first.json"
check "  the first deploy is served without a restart" test "$(cat "$tmp/first.json")" = '{"steady":{"n":1}}'

# A client that sends its body a byte at a time does not hold the stop.
/usr/bin/python3 - "$endpoint" "$steady" >"$tmp/slow.log" 2>&1 <<'PY' &
import socket, sys, time, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((url.hostname, url.port))
s.sendall(f"POST /2015-03-31/functions/{sys.argv[2]}/invocations HTTP/1.1\r\nHost: x\r\n"
          "Content-Length: 1000\r\n\r\n{".encode())
for _ in range(60):
    time.sleep(1)
    try:
        s.sendall(b" ")
    except OSError:
        break
PY
slow=$!
sleep 1
started=$(date +%s%N)
stop_serve
rc=$?
took=$(( ($(date +%s%N) - started) / 1000000 ))
check "SIGTERM with a client mid-request: serve exits 0" test "$rc" = 0
check "  within 3 s (took ${took} ms), not when the client is done" test "$took" -lt 3000
kill "$slow" 2>/dev/null; wait "$slow" 2>/dev/null
check "  nothing is left behind" no_leftovers

# Ctrl-\ stops it as cleanly as Ctrl-C, with a warm environment running.
start_serve || exit 1
curl -s -d '{"n":2}' "$endpoint/2015-03-31/functions/$steady/invocations" >/dev/null
descendants "$serve_pid" >"$tmp/children"
kill -QUIT "$serve_pid"
rc=0; wait "$serve_pid" || rc=$?; serve_pid=""
check "SIGQUIT: serve exits 0 (no core dump)" test "$rc" = 0
check "  nothing is left behind" no_leftovers

# Past the limit of open files, environments would fail with errors that
# blame something else: serve runs fewer, and says so.
(ulimit -n 600 && exec "$layered" serve --state "$tmp/state" --port 0 --max-environments 64) 2>"$tmp/limited.log" &
serve_pid=$!
for _ in $(seq 1 50); do grep -q "http://" "$tmp/limited.log" && break; sleep 0.1; done
check "under 'ulimit -n 600', serve lowers --max-environments and says so" \
  contains "$tmp/limited.log" "at most 21 environments at once, not 64"
kill -TERM "$serve_pid"; wait "$serve_pid"; serve_pid=""
finish

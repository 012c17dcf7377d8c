#!/usr/bin/env bash
# `layered serve` keeps environments apart: the hostile-functions fixture (a
# runtime that exits mid-invocation, one that outlives its timeout, one that
# outgrows its memory) fails twice each while Steady is invoked over and
# over at the same time (isolation.py). Then SIGTERM leaves nothing behind.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
begin_test "$@"

use_fixture hostile-functions || exit 1
steady=$(function_name Steady)
lingerer=$(function_name Lingerer)
crasher=$(function_name Crasher)
sleeper=$(function_name Sleeper)
hog=$(function_name Hog)
[ -n "$steady" ] && [ -n "$lingerer" ] && [ -n "$crasher" ] && [ -n "$sleeper" ] && [ -n "$hog" ] \
  || { echo "the fixture's functions are not deployed"; exit 1; }
start_serve || exit 1

timeout 300 /usr/bin/python3 "$here/isolation.py" "$endpoint" "$steady" "$crasher" "$sleeper" "$hog" \
  >"$tmp/isolation.out" 2>&1
rc=$?
cat "$tmp/isolation.out"
passed=$((passed + $(grep -c '^ok - ' "$tmp/isolation.out")))
failed=$((failed + $(grep -c '^not ok - ' "$tmp/isolation.out")))
check "isolation.py exits 0" test "$rc" = 0

# Environments outlive the connection threads that started them: 24 clients
# at once start 24 environments on 24 threads; serve ends idle threads past
# 16 after 10 s, and the sandboxes they started must live on (bubblewrap's
# --die-with-parent follows the thread that started it).
/usr/bin/python3 - "$endpoint" "$steady" <<'PY'
import http.client, sys, threading
host, port = sys.argv[1].rsplit("/", 1)[-1].split(":")
def one():
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    c.request("POST", f"/2015-03-31/functions/{sys.argv[2]}/invocations", b"{}")
    c.getresponse().read()
    c.close()
threads = [threading.Thread(target=one) for _ in range(24)]
for t in threads: t.start()
for t in threads: t.join()
PY
sandboxes() { ps -o stat=,comm= --ppid "$serve_pid" | grep -c '^[^Z].*bwrap'; }
before=$(sandboxes)
sleep 12
check "environments outlive the connection threads that started them ($before sandboxes)" \
  test "$(sandboxes)" = "$before" -a "$before" -ge 20

# An environment is out of its invoke only once its runtime asks for the
# next event: Finisher answers, then works on for 3 s before its GET /next.
# The request after it goes to the other warm environment, as Lambda sends
# it, not behind the one still working (it waited the 3 s).
finisher=$(function_name Finisher)
slow=()
for i in 1 2; do
  curl -s -o /dev/null --max-time 30 -d '"slow"' "$endpoint/2015-03-31/functions/$finisher/invocations" &
  slow+=($!)
done
wait "${slow[@]}"
sleep 4
curl -s -o /dev/null --max-time 30 -d '{}' "$endpoint/2015-03-31/functions/$finisher/invocations"
took=$(curl -s -o "$tmp/next.json" -w '%{time_total}' --max-time 30 -d '{}' \
  "$endpoint/2015-03-31/functions/$finisher/invocations")
check "a request goes to an idle warm environment, not one still working after its answer ($took s)" \
  awk -v t="$took" 'BEGIN { exit !(t < 2) }'
check "  and is answered" contains "$tmp/next.json" '{"finished":true}'

# SIGTERM during an invocation that would take a minute: serve ends it (a
# 500 ServiceException for its caller) instead of waiting for it.
curl -s -o "$tmp/linger.json" -w '%{http_code}' --max-time 90 -d '{}' \
  "$endpoint/2015-03-31/functions/$lingerer/invocations" >"$tmp/linger.status" &
linger=$!
sleep 2
stopping=$(date +%s%N)
stop_serve
check "serve exits 0 on SIGTERM" test $? = 0
check "  within 5 s, though a function was a minute from done" test $(( ($(date +%s%N) - stopping) / 1000000 )) -lt 5000
wait "$linger"
check "  whose caller got a 500 ServiceException" test "$(cat "$tmp/linger.status")" = 500
check "  saying serve stopped" contains "$tmp/linger.json" "interrupted: the engine is stopping"
check "nothing is left behind" no_leftovers

# `layered invoke` too: SIGTERM (as Ctrl-C's SIGINT) during that minute ends
# the invocation, shuts its sandbox down and exits 143, leaving no process
# and no memory cgroup behind (the default action would have left both).
"$layered" invoke "$lingerer" --state "$tmp/state" >"$tmp/interrupted.out" 2>&1 &
invoker=$!
sleep 2
# SIGPIPE (a sandbox gone before its start byte) fails a write, not the
# command: it is caught (bit 13 of SigCgt), and not ignored (which the
# function's processes would inherit).
caught=$(sed -n 's/^SigCgt:\t//p' "/proc/$invoker/status")
check "layered invoke catches SIGPIPE" test $(( 0x$caught >> 12 & 1 )) = 1
kill -TERM "$invoker"
stopping=$(date +%s%N)
wait "$invoker"
check "layered invoke exits 143 on SIGTERM" test $? = 143
check "  within 5 s" test $(( ($(date +%s%N) - stopping) / 1000000 )) -lt 5000
check "  saying the invocation was interrupted" contains "$tmp/interrupted.out" "the invocation was interrupted"
check "  leaving no process behind" no_leftovers
check "  nor its memory cgroup" test -z "$(find /sys/fs/cgroup -maxdepth 8 -name "layered-$invoker-*" 2>/dev/null)"

# At the machine's cap (--max-environments) a request waits for a busy
# environment instead of failing: 4 concurrent requests, 2 environments,
# each request holding one for its 1 s timeout. Every request gets its
# answer (the function's timeout, 200), none a 429.
start_serve --max-environments 2 --prepare 0 || exit 1
clients=()
for i in 1 2 3 4; do
  curl -s -o "$tmp/capped$i.json" -w '%{http_code}' --max-time 20 -d '{}' \
    "$endpoint/2015-03-31/functions/$sleeper/invocations" >"$tmp/capped$i.status" &
  clients+=($!)
done
wait "${clients[@]}"
check "at the cap, every request is answered 200 (none throttled)" \
  test "$(cat "$tmp"/capped?.status)" = "200200200200"
check "  each with its function's timeout" test "$(grep -l 'Sandbox.Timedout' "$tmp"/capped?.json | wc -l)" = 4
stop_serve
check "serve exits 0 on SIGTERM (capped)" test $? = 0

# A request still waiting at the cap when serve stops gets the answer the
# invocations under way get (500, the engine is stopping), not a throttle.
start_serve --max-environments 1 --prepare 0 || exit 1
for i in 1 2; do
  curl -s -o "$tmp/waiting$i.json" -w '%{http_code}' --max-time 30 -d '{}' \
    "$endpoint/2015-03-31/functions/$lingerer/invocations" >"$tmp/waiting$i.status" &
  clients[$i]=$!
  sleep 1
done
stop_serve
wait "${clients[1]}" "${clients[2]}"
check "at the cap, a waiting request is answered 500 when serve stops" \
  test "$(cat "$tmp/waiting1.status" "$tmp/waiting2.status")" = "500500"
check "  saying serve stopped" contains "$tmp/waiting2.json" "the engine is stopping"
finish

#!/usr/bin/env bash
# A bounded load test of `layered serve` on loopback: rounds of concurrent
# invocations of every example function, C++ and Python (answers and
# function errors), each checked against what `layered invoke` answers for
# the same event; then idle environments are reaped, and SIGTERM leaves
# nothing behind.
set -uo pipefail
rounds=${SERVE_LOAD_ROUNDS:-8}
requests=${SERVE_LOAD_REQUESTS:-200}
concurrency=${SERVE_LOAD_CONCURRENCY:-32}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
begin_test "$@"

require_build
synth "$tmp/cdk.out" || exit 1
deploy "$tmp/cdk.out" || exit 1

# The expected answer of each case, from one cold `layered invoke` each.
cases=()
for fn in GreetingFunction CatalogFunction PythonGreetingFunction PythonCatalogFunction; do
  name=$(function_name "$fn")
  [ -n "$name" ] || { echo "the example's $fn is not deployed"; exit 1; }
  for kind in good bad; do
    event=$root/lambdamodule/events/$fn.json
    [ "$kind" = bad ] && event=$root/lambdamodule/events/invalid/$fn.json
    "$layered" invoke "$name" --state "$tmp/state" --event "$event" >"$tmp/$fn-$kind.out" 2>/dev/null
    cases+=("$name" "$event" "$tmp/$fn-$kind.out" "$kind")
  done
done
/usr/bin/python3 - "${cases[@]}" >"$tmp/cases.json" <<'PY'
import json, sys
a = sys.argv[1:]
print(json.dumps([{"function": a[i], "payload": open(a[i + 1]).read(), "expected": open(a[i + 2]).read().rstrip("\n"),
                   "error": a[i + 3] == "bad"} for i in range(0, len(a), 4)]))
PY

# Under AddressSanitizer freed memory sits in a quarantine of up to 256 MB,
# which would read as growth; without it RSS shows what serve keeps.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
start_serve --idle-timeout 1 || exit 1
timeout 900 /usr/bin/python3 "$here/load.py" "$endpoint" "$serve_pid" "$tmp/cases.json" \
  "$rounds" "$requests" "$concurrency"
check "every request got exactly one correct response; RSS flat" test $? = 0
sleep 3
# What runs a function (anything but bubblewrap and the network helper) is
# gone; environments prepared ahead hold no runtime and may stay, and one
# being prepared shows serve's own forked child before it execs bubblewrap.
runtimes_left() {
  local p
  for p in $(descendants "$serve_pid"); do
    case $(cat /proc/"$p"/comm 2>/dev/null) in bwrap|slirp4netns|layered|"") ;; *) echo "$p";; esac
  done
}
left=$(runtimes_left)
check "idle environments are reaped after --idle-timeout" test -z "$left"
for p in $left; do echo "--- left: $p $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)"; done
check "no engine error was logged" lacks "$tmp/serve.log" "layered: error"
stop_serve
check "serve exits 0 on SIGTERM" test $? = 0
check "nothing is left behind" no_leftovers

# More clients than environments: requests beyond the cap wait for one to
# finish; none is throttled, every answer is still the right one.
start_serve --max-environments 6 || exit 1
timeout 300 /usr/bin/python3 "$here/load.py" "$endpoint" "$serve_pid" "$tmp/cases.json" 2 "$requests" "$concurrency"
check "$concurrency clients over 6 environments: every request got exactly one correct response" test $? = 0
stop_serve
check "serve exits 0 on SIGTERM (capped)" test $? = 0
check "nothing is left behind (capped)" no_leftovers
finish

#!/usr/bin/env bash
# A redeploy while serve is busy takes effect at the next request: two
# clients invoke a function without pause while it is redeployed three
# times with new code (redeploy.py). serve must see each commit, not keep
# a snapshot whose code the deploy has already removed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
begin_test "$@"

/usr/bin/python3 "$here/redeploy.py" write_app "$tmp/cdk.out" first || exit 1
deploy "$tmp/cdk.out" || exit 1
start_serve || exit 1
timeout 240 /usr/bin/python3 "$here/redeploy.py" "$endpoint" "$layered" "$tmp/state" "$tmp/cdk.out" 3 \
  >"$tmp/redeploy.out" 2>&1
rc=$?
cat "$tmp/redeploy.out"
passed=$((passed + $(grep -c '^ok - ' "$tmp/redeploy.out")))
failed=$((failed + $(grep -c '^not ok - ' "$tmp/redeploy.out")))
check "redeploy.py exits 0" test "$rc" = 0
stop_serve
check "serve exits 0 on SIGTERM" test $? = 0
check "nothing is left behind" no_leftovers
finish

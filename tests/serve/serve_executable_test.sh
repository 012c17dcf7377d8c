#!/usr/bin/env bash
# serve runs in its own executable, `layered-serve`, beside `layered`; and
# `layered` loads neither serve's HTTP stack nor the store's libarchive and
# libcrypto until a command needs them (cli/serve.hpp, store/loaded_libs.hpp).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
begin_test "$@"

# The libraries a run of `layered ARGS...` initialised, one per line.
initialised() { LD_DEBUG=libs "$layered" "$@" 2>&1 >/dev/null | grep -o 'calling init: .*' || true; }

readelf -d "$layered" >"$tmp/needed"
for lib in libcpp-httplib libssl libcrypto libarchive; do
  check "layered is not linked against $lib" lacks "$tmp/needed" "[$lib"
done
initialised list --state "$tmp/state" >"$tmp/list.libs"
check "'layered list' initialises libsqlite3" contains "$tmp/list.libs" "libsqlite3"
for lib in libarchive libcrypto libcpp-httplib; do
  check "  and not $lib" lacks "$tmp/list.libs" "$lib"
done

# A deploy extracts zips and hashes: the libraries are loaded then, and work.
# The fixture's assets are directories; Steady's becomes a zip, as cdk
# synth leaves a prebuilt package.
cp -r "$root/tests/fixtures/assemblies/hostile-functions" "$tmp/cdk.out"
steady_asset=$(/usr/bin/python3 -c '
import json, sys
files = json.load(open(sys.argv[1]))["files"]
print(next(f["source"]["path"] for f in files.values() if f["displayName"] == "Steady/Code"))' \
  "$tmp/cdk.out"/*.assets.json)
[ -n "$steady_asset" ] || { echo "the fixture has no Steady/Code asset"; exit 1; }
(cd "$tmp/cdk.out/$steady_asset" && /usr/bin/python3 -c '
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name in sorted(os.listdir(".")): z.write(name)' "$tmp/steady.zip") &&
  rm -rf "${tmp:?}/cdk.out/$steady_asset" && mv "$tmp/steady.zip" "$tmp/cdk.out/$steady_asset"
initialised deploy --all --no-doctor --state "$tmp/state" --app "$tmp/cdk.out" >"$tmp/deploy.libs"
check "'layered deploy' loads libarchive when it extracts a zip" contains "$tmp/deploy.libs" "libarchive"
check "  and libcrypto to hash it" contains "$tmp/deploy.libs" "libcrypto"
steady=$(function_name Steady)
check "  and the deploy went through" test -n "$steady"

start_serve || exit 1
check "'layered serve' runs as layered-serve, in the same process" \
  test "$(basename "$(readlink "/proc/$serve_pid/exe")")" = layered-serve
status=$(curl -s -o "$tmp/list.json" -w '%{http_code}' "$endpoint/2015-03-31/functions/")
check "  which answers ListFunctions" test "$status" = 200
check "  with the deployed function" contains "$tmp/list.json" "$steady"
check "  and stops on SIGTERM with status 0" stop_serve
check "  leaving nothing behind" no_leftovers

# `layered` copied away from its sibling.
mkdir "$tmp/alone" && cp "$layered" "$tmp/alone/layered"
"$tmp/alone/layered" serve --state "$tmp/state" --port 0 >"$tmp/alone.out" 2>"$tmp/alone.err"
check "without layered-serve beside it, 'layered serve' fails (status 1)" test $? = 1
check "  saying which file is missing" contains "$tmp/alone.err" "$tmp/alone/layered-serve"
check "  and where it must be" contains "$tmp/alone.err" "must sit beside it or on PATH"
check "  while 'layered serve --help' still works" "$tmp/alone/layered" serve --help
# With layered-serve on PATH (both installed, not side by side), it is found.
mkdir "$tmp/path" && cp "$(dirname "$layered")/layered-serve" "$tmp/path/"
PATH="$tmp/path:$PATH" "$tmp/alone/layered" serve --state "$tmp/state" --port 0 2>"$tmp/onpath.err" &
serve_pid=$!
for _ in $(seq 1 100); do grep -q 'http://127' "$tmp/onpath.err" && break; sleep 0.1; done
check "a layered-serve on PATH serves when none is beside layered" contains "$tmp/onpath.err" "Lambda's Invoke API on"
check "  and stops on SIGTERM with status 0" stop_serve

# A closed terminal (SIGHUP) stops it as cleanly as Ctrl-C.
"$layered" serve --state "$tmp/state" --port 0 2>"$tmp/hup.err" &
serve_pid=$!
for _ in $(seq 1 100); do grep -q 'http://127' "$tmp/hup.err" && break; sleep 0.1; done
descendants "$serve_pid" >"$tmp/children"
kill -HUP "$serve_pid"
rc=0
wait "$serve_pid" || rc=$?
serve_pid=""
check "serve stops on SIGHUP with status 0" test "$rc" = 0
check "  leaving nothing behind" no_leftovers
finish

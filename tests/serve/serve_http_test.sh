#!/usr/bin/env bash
# `layered serve` for plain HTTP clients: curl sends an event as a form
# (Content-Type application/x-www-form-urlencoded) or as multipart; Lambda
# reads the body as the event whatever the Content-Type, within its limits
# (6 MB synchronous, 1 MB for Event).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
begin_test "$@"
command -v curl >/dev/null || { echo "curl is missing: run scripts/setup.sh"; exit 1; }

use_fixture hostile-functions || exit 1
steady=$(function_name Steady)
[ -n "$steady" ] || { echo "the fixture's functions are not deployed"; exit 1; }
start_serve || exit 1
url="$endpoint/2015-03-31/functions/$steady/invocations"
# event FILE BYTES: {"k":"xxx..."} of exactly BYTES bytes.
event() { /usr/bin/python3 -c 'import sys; n=int(sys.argv[2]); open(sys.argv[1],"w").write("{\"k\":\"" + "x"*(n-8) + "\"}")' "$1" "$2"; }
post() { curl -s -o "$tmp/body" -w '%{http_code}' "$@" "$url"; }

event "$tmp/50k.json" 50000
check "a 50 KB event sent as a form (curl -d) is answered" test "$(post --data-binary @"$tmp/50k.json")" = 200
check "and the function got it whole" test "$(wc -c <"$tmp/body")" = $((50000 + 11))
event "$tmp/2m.json" 2000000  # curl sends Expect: 100-continue past 1 MB
check "a 2 MB event sent with Expect: 100-continue is answered" test "$(post --data-binary @"$tmp/2m.json")" = 200
check "  and the function got all of it" test "$(wc -c <"$tmp/body")" = $((2000000 + 11))
event "$tmp/300k.json" 300000
check "a 300 KB Event invocation is accepted (202; Lambda's limit is 1 MB)" \
  test "$(post -H 'X-Amz-Invocation-Type: Event' --data-binary @"$tmp/300k.json")" = 202
event "$tmp/1100k.json" 1100000
check "an Event over 1 MB is 413" test "$(post -H 'X-Amz-Invocation-Type: Event' --data-binary @"$tmp/1100k.json")" = 413
check "  RequestTooLargeException for InvokeAsync" contains "$tmp/body" "bytes for the InvokeAsync operation"
event "$tmp/7m.json" 7000000
check "a synchronous event over 6 MB is 413" test "$(post --data-binary @"$tmp/7m.json")" = 413
check "  RequestTooLargeException for InvokeFunction" contains "$tmp/body" "6291456 bytes for the InvokeFunction"
# An Event's limit is InvokeAsync's whatever the size, also past what serve reads.
event "$tmp/17m.json" 17000000
for size in 7m 17m; do
  check "an Event of $size is 413" test "$(post -H 'X-Amz-Invocation-Type: Event' --data-binary @"$tmp/$size.json")" = 413
  check "  with InvokeAsync's limit" contains "$tmp/body" "1048576 bytes for the InvokeAsync operation"
done
# RFC 9110's Date on every answer, serve's own errors too (the SDKs read it for clock skew).
for path in "functions/$steady/invocations" "functions/nope/invocations" "nowhere"; do
  curl -s -o /dev/null -D "$tmp/head" -d '{}' "$endpoint/2015-03-31/$path"
  check "a Date header on the answer to $path" grep -qE '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT' "$tmp/head"
done
check "a form body that is not JSON is 400" test "$(post -d 'Qualifier=nope')" = 400
check "  InvalidRequestContentException, not a qualifier" contains "$tmp/body" "Could not parse request body into json"
check "a multipart body is 400" test "$(post -F 'event={}')" = 400
# What the client sends need not be UTF-8 or fit a double: its error, not a 500.
check "a number beyond a double is 400" test "$(post -d '{"n":1e400}')" = 400
check "  with number overflow named" contains "$tmp/body" "number overflow"
check "a function name that is not UTF-8 is 400 (not a valid name)" test "$(curl -s -o "$tmp/body" -w '%{http_code}' \
  -d '{}' "$endpoint/2015-03-31/functions/%FF/invocations")" = 400
check "  with a JSON body" /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/body"

# What follows a request httplib could not read, or one that gives its
# length twice, is not a request: it must not run (request smuggling).
/usr/bin/python3 - "${endpoint##*:}" "$steady" >"$tmp/smuggle" <<'PY'
import re, socket, sys
port, name = int(sys.argv[1]), sys.argv[2]
path = ("/2015-03-31/functions/%s/invocations" % name).encode()
inner = b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n{\"name\":\"SMUGG\"}"
cases = {
    "bad chunk": b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + inner,
    "garbage line": b"GARBAGE LINE\r\n\r\n" + inner,
    "two lengths": b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: %d\r\n\r\n" % len(inner) + inner,
    "length and chunked": b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + inner,
}
for what, data in cases.items():
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    s.sendall(data)
    got = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    answers = re.findall(rb"HTTP/1.1 (\d+)", got)
    print(what, [a.decode() for a in answers], "closed")
PY
for what in "bad chunk" "garbage line" "two lengths" "length and chunked"; do
  check "$what: one 400, then the connection is closed" contains "$tmp/smuggle" "$what ['400'] closed"
done

# Clients that connect and wait (kept-alive SDK pools, a request never
# finished) must not keep a new client out: 600 of them stay connected
# while curl invokes, with a 3 s limit (the keep-alive timeout is 5 s).
/usr/bin/python3 - "${endpoint##*:}" "$tmp/holding" <<'PY' &
import socket, sys, time
held = []
for i in range(600):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    if i % 2:
        s.sendall(b"POST /2015-03-31/functions/x/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{")
    held.append(s)
open(sys.argv[2], "w").close()
time.sleep(4)
PY
holder=$!
for _ in $(seq 1 100); do [ -e "$tmp/holding" ] && break; sleep 0.05; done
check "with 600 idle connections open, a new client is answered at once" \
  test "$(post --max-time 3 -d '{"k":"v"}')" = 200
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

stop_serve
check "serve exits 0 on SIGTERM" test $? = 0
check "nothing is left behind" no_leftovers

# An environment that cannot start is a 500 for the caller and a line in
# serve's own log, where whoever runs serve looks.
LAYERED_SLIRP4NETNS=/bin/false start_serve || exit 1
url="$endpoint/2015-03-31/functions/$steady/invocations"
check "an environment whose network cannot come up is a 500" test "$(post -d '{"k":"v"}')" = 500
check "  ServiceException, with the reason" contains "$tmp/body" "slirp4netns did not bring"
check "  and serve's log says it too" contains "$tmp/serve.log" "layered: error: slirp4netns did not bring"
stop_serve
check "nothing is left behind after failed starts" no_leftovers

# NaN passes any range check: serve would reap every environment at once.
for bad in nan 1e308 -1; do
  check "--idle-timeout $bad is refused" sh -c "! '$layered' serve --idle-timeout $bad --state '$tmp/state' 2>'$tmp/err'"
  check "  saying what it must be" contains "$tmp/err" "must be a number of seconds above 0 and at most 604800"
done
finish

# Shared by the serve suites: deploy the real example app or a fixture
# assembly into a temporary state, start `layered serve` on a free loopback
# port, stop it, and check that nothing it started is left behind. A suite
# sources it, then calls begin_test with its own arguments.

# begin_test LAYERED ROOT: the binary under test and the source tree; $tmp,
# removed on exit with serve killed if it still runs.
begin_test() {
  layered=$1
  root=$2
  tmp=$(mktemp -d)
  # The sandbox's unprivileged user must reach the state's store (mktemp makes
  # 0700): 'bwrap: Can't find source path /proc/self/fd/N: Permission denied'.
  chmod 755 "$tmp"
  # Never `kill 0`: with serve not started, that would kill the whole
  # process group (ctest and all).
  trap '[ -n "${serve_pid:-}" ] && kill -KILL "$serve_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
}

require_aws() {  # sets $aws
  aws=/usr/bin/aws
  [ -x "$aws" ] || { echo "Debian's awscli is missing: run scripts/setup.sh"; exit 1; }
}
# The AWS CLI's lambda commands against serve (after start_serve).
lambda() { "$aws" lambda --endpoint-url "$endpoint" --output json "$@"; }
# The log tail (X-Amz-Log-Result) of an `aws lambda invoke --log-type Tail`'s output.
log_of() { /usr/bin/python3 -c 'import base64,json,sys; print(base64.b64decode(json.load(open(sys.argv[1]))["LogResult"]).decode())' "$1"; }

# use_fixture NAME: tests/fixtures/assemblies/NAME deployed from $tmp/cdk.out.
use_fixture() {
  cp -r "$root/tests/fixtures/assemblies/$1" "$tmp/cdk.out" && deploy "$tmp/cdk.out"
}

passed=0; failed=0
ok()   { echo "ok - $*"; passed=$((passed + 1)); }
fail() { echo "not ok - $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
contains() { grep -qF -- "$2" "$1" || { echo "--- expected '$2' in $1:"; head -c 3000 "$1"; echo; return 1; }; }
lacks() { ! grep -qF -- "$2" "$1" || { echo "--- did not expect '$2' in $1:"; head -c 3000 "$1"; echo; return 1; }; }
finish() { echo "${passed} passed, ${failed} failed"; [ "$failed" -eq 0 ]; }

# Dummy credentials: serve checks none, and no real AWS is ever reached.
export AWS_ACCESS_KEY_ID=AKIDLOCALSERVE AWS_SECRET_ACCESS_KEY=local-serve-secret AWS_SESSION_TOKEN=
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""
unset AWS_PROFILE

require_build() {
  for f in layers/external.zip layers/cpputils.zip functions/greeting.zip functions/catalog.zip; do
    [ -f "$root/build/$f" ] || { echo "build/$f is missing: run scripts/build.sh first"; exit 1; }
  done
  mkdir -p "$tmp/build/layers" "$tmp/build/functions"
  cp "$root"/build/layers/*.zip "$tmp/build/layers/"
  cp "$root"/build/functions/*.zip "$tmp/build/functions/"
}

synth() {  # synth OUT [context...]
  local out=$1; shift
  (cd "$root" && env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
    npx cdk synth -q -o "$out" -c buildDir="$tmp/build" "$@") >"$tmp/synth.log" 2>&1 \
    || { cat "$tmp/synth.log"; return 1; }
}

deploy() {  # deploy ASSEMBLY
  "$layered" deploy --all --no-doctor --state "$tmp/state" --app "$1" >"$tmp/deploy.log" 2>&1 \
    || { cat "$tmp/deploy.log"; return 1; }
}

# The physical name of a function of the application stack, by construct id.
function_name() {
  "$layered" list --json --state "$tmp/state" | /usr/bin/python3 -c '
import json, sys
for f in json.load(sys.stdin)["functions"]:
    if f["construct_path"].endswith("/" + sys.argv[1]):
        print(f["name"]); break' "$1"
}

# start_serve [flags...]: sets serve_pid and endpoint.
start_serve() {
  "$layered" serve --state "$tmp/state" --port 0 "$@" 2>"$tmp/serve.log" &
  serve_pid=$!
  for _ in $(seq 1 100); do
    endpoint=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/serve.log" | head -1 || true)
    [ -n "$endpoint" ] && return 0
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "layered serve did not start:"; cat "$tmp/serve.log"; return 1
}

# Every process below serve (sandboxes, runtimes).
descendants() {
  local pid=$1 child
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
    echo "$child"; descendants "$child"
  done
}

# Processes anywhere that still refer to this test's state (a sandbox that
# outlived serve would).
leftover_processes() {
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF "$tmp/state" && echo "${p#/proc/}: $(tr '\0' ' ' <"$p/cmdline")"
  done
  return 0
}

stop_serve() {  # SIGTERM, then the exit status of serve
  descendants "$serve_pid" >"$tmp/children"
  kill -TERM "$serve_pid"
  local rc=0
  wait "$serve_pid" || rc=$?
  serve_pid=""  # reaped: its pid may be another process's by the exit trap
  return $rc
}

no_leftovers() {
  local procs temps
  procs=$(leftover_processes)
  temps=$(find "$tmp/state" -name '.tmp-*' 2>/dev/null)
  # Every process serve had started (sandboxes, network stacks) is gone; a
  # killed one may take a moment to be torn down.
  local pid left tries=0
  while :; do
    left=""
    for pid in $(cat "$tmp/children" 2>/dev/null); do
      [ -d "/proc/$pid" ] && left="$left $pid:$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
    done
    [ -z "$left" ] || [ $tries -ge 30 ] && break
    tries=$((tries + 1)); sleep 0.1
  done
  procs="$procs$left"
  [ -z "$procs" ] && [ -z "$temps" ] || { echo "left behind: $procs $temps"; return 1; }
}

# Shared by the end-to-end suites: TAP-like checks and the closing count.
# A suite sources it after `set -uo pipefail`, runs its checks, then `finish`.
passed=0; failed=0
ok()   { echo "ok - $*"; passed=$((passed + 1)); }
fail() { echo "not ok - $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
contains() { grep -qF -- "$2" "$1" || { echo "--- expected '$2' in $1:"; cat "$1"; return 1; }; }
same() { [ "$(cat "$1")" = "$2" ] || { echo "--- $1 is '$(cat "$1")', expected '$2'"; return 1; }; }
finish() { echo "${passed} passed, ${failed} failed"; [ "$failed" -eq 0 ]; }

# synth_app APP_TS OUT [cdk synth args...]: one of tests/fixtures/cdk-apps
# synthesized by the real CDK CLI, with no credentials in reach.
synth_app() {
  local app=$1 out=$2; shift 2
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
    npx cdk synth -q --app "npx ts-node --transpile-only --prefer-ts-exts $app" -o "$out" "$@" \
    >"$out.synth.log" 2>&1 || { cat "$out.synth.log"; return 1; }
}

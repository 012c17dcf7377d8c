#!/usr/bin/env bash
# Runs every test: set-up, the Lambda build, the CDK app's tests, then the
# engine's and the functions' C++ tests (unit and end to end) under
# AddressSanitizer + UndefinedBehaviorSanitizer. Ends with one summary line
# and exits non-zero if any test failed.
#
#   scripts/test.sh            everything
#   scripts/test.sh cdk        set-up, then only the CDK app's tests
#   scripts/test.sh cpp        set-up, the Lambda build, then only the C++ tests
set -uo pipefail
steps=${*:-cdk cpp}
wanted() { [[ " $steps " == *" $1 "* ]]; }
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1

fail=0; passed=0; failed=0
step() { echo; echo "==> $*"; }

if wanted cpp; then
  step "build the layers and functions (scripts/build.sh)"
  scripts/build.sh || { echo "test: build failed"; exit 1; }
fi
mkdir -p build

# A step's exit status is read straight after its pipeline (PIPESTATUS is
# overwritten by the next command); a step that fails without reporting a
# failed test (a compile error) still counts as one failure.
count() {  # count RC PASSED FAILED
  passed=$((passed + ${2:-0})); failed=$((failed + ${3:-0}))
  if [ "$1" -ne 0 ]; then
    fail=1
    [ "${3:-0}" -gt 0 ] || failed=$((failed + 1))
  fi
}

if wanted cdk && [ -f package.json ]; then
  step "CDK app tests (node --test)"
  npm test 2>&1 | tee build/cdk-test.log
  npm_rc=${PIPESTATUS[0]}
  p=$(grep -E '^# pass [0-9]+' build/cdk-test.log | awk '{print $3}' | tail -1)
  f=$(grep -E '^# fail [0-9]+' build/cdk-test.log | awk '{print $3}' | tail -1)
  count "$npm_rc" "$p" "$f"
fi

if wanted cpp; then
step "synthesize the CDK app (npx cdk synth), for the doctor's assembly test"
npx cdk synth --quiet >/dev/null || { echo "test: cdk synth failed"; exit 1; }

step "C++ tests (CTest, debug preset: ASan + UBSan)"
cmake --preset debug >/dev/null && cmake --build --preset debug || { echo "test: C++ build failed"; exit 1; }
ctest --preset debug --timeout 600 2>&1 | tee build/ctest.log
ctest_rc=${PIPESTATUS[0]}
t=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' build/ctest.log | tail -1)
total=0; f=0
if [ -n "$t" ]; then
  total=$(echo "$t" | sed -E 's/.*out of ([0-9]+).*/\1/')
  f=$(echo "$t" | sed -E 's/.* ([0-9]+) tests failed.*/\1/')
fi
count "$ctest_rc" $((total - f)) "$f"
fi

echo
echo "${passed} passed, ${failed} failed"
exit $fail

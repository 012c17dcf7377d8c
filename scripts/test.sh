#!/usr/bin/env bash
# Runs every test: set-up, the Lambda build, the CDK app's tests, then the
# engine's and the functions' C++ tests (unit and end to end) under
# AddressSanitizer + UndefinedBehaviorSanitizer. Ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1

fail=0; passed=0; failed=0
step() { echo; echo "==> $*"; }

step "build the layers and functions (scripts/build.sh)"
scripts/build.sh || { echo "test: build failed"; exit 1; }

if [ -f package.json ]; then
  step "CDK app tests (node --test)"
  npm test 2>&1 | tee build/cdk-test.log
  p=$(grep -E '^# pass [0-9]+' build/cdk-test.log | awk '{print $3}' | tail -1)
  f=$(grep -E '^# fail [0-9]+' build/cdk-test.log | awk '{print $3}' | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  [ "${PIPESTATUS[0]}" -eq 0 ] || fail=1
fi

step "synthesize the CDK app (npx cdk synth), for the doctor's assembly test"
npx cdk synth --quiet >/dev/null || { echo "test: cdk synth failed"; exit 1; }

step "C++ tests (CTest, debug preset: ASan + UBSan)"
cmake --preset debug >/dev/null && cmake --build --preset debug || { echo "test: C++ build failed"; exit 1; }
ctest --preset debug --timeout 600 2>&1 | tee build/ctest.log
ctest_rc=${PIPESTATUS[0]}
t=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' build/ctest.log | tail -1)
if [ -n "$t" ]; then
  total=$(echo "$t" | sed -E 's/.*out of ([0-9]+).*/\1/')
  f=$(echo "$t" | sed -E 's/.* ([0-9]+) tests failed.*/\1/')
  passed=$((passed + total - f)); failed=$((failed + f))
fi
[ "$ctest_rc" -eq 0 ] || fail=1

echo
echo "${passed} passed, ${failed} failed"
exit $fail

#!/usr/bin/env bash
# Builds the engine with the release preset and runs every benchmark. Each
# prints its figures beside a baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target layered invoke_bench cold_bench runtimes_bench serve_bench >/dev/null
echo "==> invoke: cold start and warm round trip (bench/invoke_bench.cpp)"
build/release/bench/invoke_bench "${COLD_RUNS:-30}" "${WARM_RUNS:-3000}"
echo
echo "==> cold start of the C++ example functions: minimal sandbox, layered invoke, serve prepared (bench/cold_bench.cpp)"
build/release/bench/cold_bench "$PWD/build" "$PWD/lambdamodule/events" "${COLD_RUNS:-30}"
echo
echo "==> runtimes: Init Duration of Python and Node.js hello functions (bench/runtimes_bench.cpp)"
build/release/bench/runtimes_bench "${RUNTIME_RUNS:-20}"
echo
echo "==> deploy: first deploy and no-change redeploy (bench/deploy.sh)"
bench/deploy.sh "$PWD/build/release/layered/cli/layered" "${DEPLOY_RUNS:-11}"
echo
echo "==> scale: deploy, redeploy, list and invoke's lookup as the state grows (bench/scale.sh)"
bench/scale.sh "$PWD/build/release/layered/cli/layered" "${SCALE_RUNS:-5}"
echo
echo "==> runtime client: cpputils against the floor client (bench/runtime_client.sh)"
bench/runtime_client.sh
echo
echo "==> serve: warm invocations beside an echo server, cold start vs layered invoke (bench/serve.sh)"
bench/serve.sh "$PWD/build/release" "${COLD_RUNS:-11}"

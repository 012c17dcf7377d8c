#!/usr/bin/env bash
# The main job, on the local engine: set-up, build the layers and functions,
# synthesize the CDK app, deploy its stacks locally with CloudFormation's
# rules (the C++ example's two and the Python example's two), and invoke
# every function with its sample event.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

scripts/build.sh
layered=build/release/layered/cli/layered

echo
echo "==> synthesize the CDK app (npx cdk synth)"
npx cdk synth --quiet >/dev/null
echo "cdk.out/: $(cd cdk.out && ls ./*.template.json | tr '\n' ' ')"

echo
echo "==> deploy all four stacks locally (layered deploy --all)"
"$layered" deploy --all

for fn in GreetingFunction CatalogFunction; do
  echo
  echo "==> invoke Lambda-layers-example/$fn with lambdamodule/events/$fn.json"
  "$layered" invoke "Lambda-layers-example/$fn" --event "lambdamodule/events/$fn.json"
  echo
done

for fn in PythonGreetingFunction PythonCatalogFunction; do
  echo
  echo "==> invoke Lambda-layers-example-python/$fn with lambdamodule/events/$fn.json"
  "$layered" invoke "Lambda-layers-example-python/$fn" --event "lambdamodule/events/$fn.json"
  echo
done

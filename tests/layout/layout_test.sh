#!/usr/bin/env bash
# layout_test.sh SCENARIO BUILD_DIR: copies the layers and functions that
# scripts/build.sh laid out, breaks the copy the way SCENARIO says, and checks
# that check_layout.sh fails and says what is wrong (or, for "intact", passes).
set -uo pipefail
scenario=$1 build=$2
here=$(cd "$(dirname "$0")" && pwd)
for path in "$build/layers" "$build/functions"; do
  [ -d "$path" ] || { echo "layout: '$path' is missing: run scripts/build.sh first"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/layout-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -a "$build/layers" "$build/functions" "$work/"
cd "$work"

expect=()
case $scenario in
  intact) ;;
  missing-library)  # the shape of "error while loading shared libraries"
    rm layers/external/lib/libfmt.so.9
    expect=("layout: ./functions/greeting/bootstrap needs 'libfmt.so.9', which no layer's lib/ (/opt/lib) nor the function provides")
    ;;
  library-outside-lib)  # a layer zipped one folder too high or too low
    mv layers/external/lib/libsqlite3.so.0 layers/external/
    expect=("layout: ./layers/external: unexpected top-level entry 'libsqlite3.so.0' (a layer holds lib/ and bin/, extracted into /opt)"
            "layout: ./functions/catalog/bootstrap needs 'libsqlite3.so.0', which no layer's lib/ (/opt/lib) nor the function provides")
    ;;
  layer-with-extra-top-folder)
    mkdir layers/cpputils/include
    expect=("layout: ./layers/cpputils: unexpected top-level entry 'include' (a layer holds lib/ and bin/, extracted into /opt)")
    ;;
  bootstrap-not-executable)
    chmod -x functions/greeting/bootstrap
    expect=("layout: ./functions/greeting: no executable 'bootstrap' at the top (Lambda runs /var/task/bootstrap)")
    ;;
  host-built-bootstrap)  # linked the ordinary way: starts through the image's loader and glibc
    cp /bin/true functions/greeting/bootstrap
    expect=("layout: ./functions/greeting/bootstrap starts through '/lib64/ld-linux-x86-64.so.2', not a loader from a layer (/opt/lib/...)"
            "layout: ./layers/external/lib/libstdc++.so.6 needs GLIBC_2.36, above provided.al2023's glibc 2.34, and the layers do not ship a glibc every executable starts through")
    ;;
  layer-without-loader)
    rm layers/external/lib/ld-linux-x86-64.so.2
    expect=("layout: ./functions/catalog/bootstrap starts through '/opt/lib/ld-linux-x86-64.so.2', which no layer ships"
            "layout: ./layers/external/lib/libc.so.6 needs 'ld-linux-x86-64.so.2', which no layer's lib/ (/opt/lib) nor the function provides")
    ;;
  function-zip-too-big)
    head -c 70000 /dev/urandom >functions/catalog/blob.bin
    (cd functions/catalog && zip -q -X ../catalog.zip blob.bin)
    size=$(stat -c %s functions/catalog.zip)
    expect=("layout: ./functions/catalog.zip is $size bytes: a function package must stay under 64 KiB")
    ;;
  *) echo "layout_test: unknown scenario '$scenario'"; exit 2 ;;
esac

output=$("$here/check_layout.sh" . 2>&1)
status=$?
echo "$output"
if [ "$scenario" = intact ]; then
  [ $status -eq 0 ] || { echo "FAIL: an intact copy of the layout was rejected"; exit 1; }
  exit 0
fi
[ $status -ne 0 ] || { echo "FAIL: check_layout.sh accepted a broken layout ($scenario)"; exit 1; }
for line in "${expect[@]}"; do
  grep -qxF -- "$line" <<<"$output" || { echo "FAIL: expected the line: $line"; exit 1; }
done

#!/usr/bin/env bash
# Builds what ships to Lambda and lays it out exactly as Lambda extracts it:
#
#   build/layers/<layer>/      lib/ ... (becomes /opt)       + build/layers/<layer>.zip
#   build/functions/<name>/    bootstrap ... (becomes /var/task) + build/functions/<name>.zip
#
# CMake (preset `lambda`: optimized, never sanitized) builds and packages the
# trees (cmake/LambdaPackaging.cmake); this script copies them here, zips them
# reproducibly (an unchanged build gives byte-identical zips, which CDK's asset
# hashes and `layered deploy` rely on), then checks them with `layered doctor`.
# Idempotent: run it as often as you like.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { echo "build: $*"; }
die() { echo "build: error: $*" >&2; exit 1; }

# Reproducible zips: fixed timestamps (DOS time cannot go below 1980, and a
# commit time would change every zip on every commit).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-315705600}  # 1980-01-03T00:00:00Z

check_prerequisites() {
  local tool missing=()
  for tool in cmake ninja g++ strip readelf zip dpkg dpkg-query pkg-config; do
    command -v "$tool" >/dev/null || missing+=("'$tool'")
  done
  ((${#missing[@]} == 0)) || die "${missing[*]} not found: run scripts/setup.sh"
  local module
  for module in fmt sqlite3 jsoncpp; do
    pkg-config --exists "$module" || missing+=("'$module'")
  done
  ((${#missing[@]} == 0)) || die "development files for ${missing[*]} not found (pkg-config): run scripts/setup.sh"
}

# zip_tree DIR ZIP: a zip of DIR's contents, entries sorted, fixed mtimes,
# modes normalised (0755 for directories and executables, 0644 otherwise),
# symlinks kept as links, no extra fields (uid/gid, extended timestamps).
zip_tree() {
  local dir=$1 zip=$2 stage
  stage=$(mktemp -d "${TMPDIR:-/tmp}/layered-zip.XXXXXX")
  cp -a "$dir/." "$stage/"
  find "$stage" -type d -exec chmod 0755 {} +
  find "$stage" -type f -perm /111 -exec chmod 0755 {} +
  find "$stage" -type f ! -perm /111 -exec chmod 0644 {} +
  find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  rm -f "$stage.zip"
  (cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
    TZ=UTC zip -X -y -q -@ "$stage.zip")
  rm -rf "$stage"
  if cmp -s "$stage.zip" "$zip"; then
    rm -f "$stage.zip"
    say "  $zip unchanged"
  else
    mv "$stage.zip" "$zip"
    say "  wrote $zip"
  fi
}

# Copies each packaged tree listed in the CMake manifest to build/<kind>s/
# and zips it; removes trees no longer built (a deleted function must not ship).
lay_out() {
  local packaged=$root/build/lambda/lambda manifest kind name
  manifest=$packaged/manifest.txt
  [ -f "$manifest" ] || die "'$manifest' is missing: the CMake build did not package anything"
  mkdir -p build/layers build/functions
  for kind in layers functions; do
    for name in $(ls build/$kind); do
      name=${name%.zip}
      grep -qx "${kind%s} $name" "$manifest" || { say "removing stale build/$kind/$name"; rm -rf "build/$kind/$name" "build/$kind/$name.zip"; }
    done
  done
  while read -r kind name; do
    [ -n "$kind" ] || continue
    say "laying out build/${kind}s/$name/"
    rm -rf "build/${kind}s/$name"
    cp -a "$packaged/${kind}s/$name" "build/${kind}s/$name"
    zip_tree "build/${kind}s/$name" "build/${kind}s/$name.zip"
  done <"$manifest"
}

build_engine() {
  if [ ! -f layered/cli/CMakeLists.txt ]; then
    say "no engine sources (layered/cli): skipping 'layered doctor'"
    return 1
  fi
  say "building the engine (cmake --preset release, target 'layered')"
  cmake --preset release >/dev/null || die "configuring the engine failed (cmake --preset release)"
  cmake --build --preset release --target layered || die "building the engine failed"
}

# Every function checked with the layers it is deployed with. Fails the
# build when doctor reports an error finding.
run_doctor() {
  local engine=build/release/layered/cli/layered fn output layers=()
  [ -x "$engine" ] || die "'$engine' was not built"
  # While 'doctor' is being written it has no --layer flag, or says so.
  if ! "$engine" doctor --help 2>&1 | grep -q -- '--layer'; then
    say "skipping 'layered doctor': not available in this build yet"
    return 0
  fi
  for fn in $(awk '$1 == "layer" { print $2 }' build/lambda/lambda/manifest.txt); do
    layers+=(--layer "build/layers/$fn")
  done
  for fn in $(awk '$1 == "function" { print $2 }' build/lambda/lambda/manifest.txt); do
    say "layered doctor ${layers[*]} --function build/functions/$fn"
    if output=$("$engine" doctor "${layers[@]}" --function "build/functions/$fn" 2>&1); then
      printf '%s\n' "$output"
    elif grep -q "is not available in this build" <<<"$output"; then
      say "  skipped: 'layered doctor' is not available in this build yet"
      return 0
    else
      printf '%s\n' "$output" >&2
      die "'layered doctor' found errors in build/functions/$fn: fix them before deploying"
    fi
  done
}

summary() {
  local path
  say "artifacts:"
  for path in build/layers/*/ build/functions/*/; do
    path=${path%/}
    printf 'build:   %-32s %9s bytes unzipped  %9s bytes zipped\n' "$path/" \
      "$(du -sb --apparent-size "$path" | cut -f1)" "$(stat -c %s "$path.zip")"
  done
}

check_prerequisites
say "configuring (cmake --preset lambda: optimized, no sanitizers)"
cmake --preset lambda >/dev/null
say "building and packaging layers and functions"
cmake --build --preset lambda
lay_out
if build_engine; then
  run_doctor
fi
summary

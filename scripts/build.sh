#!/usr/bin/env bash
# Builds what ships to Lambda and lays it out exactly as Lambda extracts it:
#
#   build/layers/<layer>/      lib/ ... (becomes /opt)       + build/layers/<layer>.zip
#   build/functions/<name>/    bootstrap ... (becomes /var/task) + build/functions/<name>.zip
#
# and the same for the Python example (python-external, pythonutils,
# python-greeting, python-catalog), whose layers hold python/ instead of lib/.
#
# CMake (preset `lambda`: optimized, never sanitized) builds and packages the
# C++ trees (cmake/LambdaPackaging.cmake); the Python trees are plain files,
# laid out by build_python below. This script copies them here, zips them
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
      grep -qx "${kind%s} $name" "$manifest" || is_python_package "$name" || { say "removing stale build/$kind/$name"; rm -rf "build/$kind/$name" "build/$kind/$name.zip"; }
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

# --- The Python example ------------------------------------------------------
# Lambda's python3.11 runtime: the version of this machine's Python (on AWS
# python3.13 is the better pick; see the README).
PYTHON_VERSION=3.11
PYTHON_FUNCTIONS_DIR=lambdamodule/runtime/python
PYTHON_LAYERS=(python-external pythonutils)
PYTHON_SITE=/usr/lib/python3/dist-packages

python_functions() { local d; for d in "$PYTHON_FUNCTIONS_DIR"/*/; do d=${d%/}; echo "python-${d##*/}"; done; }
is_python_package() { [[ " ${PYTHON_LAYERS[*]} $(python_functions | tr '\n' ' ') " == *" $1 "* ]]; }

# True when pip can reach a package index (PIP_INDEX_URL or PyPI) within a
# few seconds; this machine kind reaches only Debian's and npm's registries.
package_index_reachable() {
  local index=${PIP_INDEX_URL:-https://pypi.org/simple}
  python3 -m pip --version >/dev/null 2>&1 || return 1
  curl -fsS --max-time 5 -o /dev/null "${index%/}/pip/" 2>/dev/null
}

# The python3-* packages the named ones depend on, themselves included: for
# each Depends clause, its first alternative that is installed. A name written
# "!package" is left out, with what only it depends on.
debian_closure() {
  local -A seen=()
  local queue=() pkg clause alt name
  for pkg in "$@"; do
    if [[ $pkg == !* ]]; then seen[${pkg#!}]=excluded; else queue+=("$pkg"); fi
  done
  while ((${#queue[@]})); do
    pkg=${queue[0]}; queue=("${queue[@]:1}")
    [ -z "${seen[$pkg]:-}" ] || continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      die "Debian package '$pkg' is not installed: run scripts/setup.sh"
    seen[$pkg]=1
    echo "$pkg"
    while IFS= read -r clause; do
      while IFS= read -r alt; do
        name=$(sed -E 's/^ *([^ :(]+).*/\1/' <<<"$alt")
        dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed" || continue
        [[ $name == python3-* ]] && queue+=("$name")
        break
      done < <(tr '|' '\n' <<<"$clause")
    done < <(dpkg-query -W -f='${Depends}' "$pkg" | tr ',' '\n')
  done
}

# Copies the modules of Debian packages (their top-level entries in
# dist-packages: package folders, modules, .egg-info/.dist-info) into DEST.
copy_debian_modules() {
  local dest=$1; shift
  local entries=() pkg
  for pkg in "$@"; do
    mapfile -t -O "${#entries[@]}" entries < <(dpkg -L "$pkg" | sed -n "s|^$PYTHON_SITE/\([^/]*\)\$|\1|p")
  done
  mkdir -p "$dest"
  # --dereference: Debian links some files to shared copies outside the
  # package (werkzeug's jquery.js), which a zip must not point to.
  tar -C "$PYTHON_SITE" --dereference --exclude=__pycache__ -cf - "${entries[@]}" | tar -C "$dest" -xf -
}

# build/layers/python-external/python/: pip as AWS documents it when an index
# is reachable, else Debian's packages. Rebuilt only when its inputs change.
build_python_external() {
  local dir=build/layers/python-external stamp inputs
  if package_index_reachable; then
    inputs="pip $PYTHON_VERSION $(sha256sum layers/external/requirements.txt)"
  else
    mapfile -t debs < <(grep -vE '^\s*(#|$)' layers/external/debian-packages.txt)
    mapfile -t debs < <(debian_closure "${debs[@]}" | sort)
    inputs="debian $(dpkg-query -W -f='${Package}=${Version} ' "${debs[@]}")"
  fi
  stamp=build/python-external.inputs
  if [ -d "$dir/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
    say "build/layers/python-external/ is up to date"
    return
  fi
  rm -rf "$dir" "$stamp"
  if [[ $inputs == pip* ]]; then
    say "installing layers/external/requirements.txt with pip into $dir/python"
    python3 -m pip install --quiet -r layers/external/requirements.txt --target "$dir/python" \
      --platform manylinux2014_x86_64 --only-binary=:all: --python-version "$PYTHON_VERSION" ||
      die "pip install failed for layers/external/requirements.txt"
  else
    say "no Python package index reachable (${PIP_INDEX_URL:-https://pypi.org/simple}): taking requirements.txt's libraries from Debian (${debs[*]})"
    copy_debian_modules "$dir/python" "${debs[@]}"
  fi
  compile_python "$dir/python" /opt/python
  echo "$inputs" >"$stamp"
}

# Byte-compiles the modules under DIR for the functions' Python, as they will
# be imported from MOUNT (/opt/python or /var/task): Lambda's file system is
# read-only, so without these every cold start compiles every module again
# (importing sqlalchemy.orm here: 1.2 s from sources, 0.44 s from .pyc).
# Hash-checked .pyc files stay valid with the zip's fixed timestamps and are
# byte-for-byte reproducible.
compile_python() {
  local dir=$1 mount=$2 python
  python=$(command -v "python$PYTHON_VERSION") || {
    say "  python$PYTHON_VERSION not found: $dir ships without .pyc files (slower cold starts)"
    return 0
  }
  find "$dir" -name __pycache__ -prune -exec rm -rf {} +
  "$python" -m compileall -q -d "$mount" --invalidation-mode checked-hash "$dir" >/dev/null ||
    die "byte-compiling $dir with python$PYTHON_VERSION failed"
}

# Copies a source tree without caches and tests, following symlinks (a
# function may link a data file it shares with another one).
copy_python_tree() {
  local from=$1 to=$2
  rm -rf "$to"; mkdir -p "$to"
  tar -C "$from" --dereference --exclude=__pycache__ --exclude='test_*.py' -cf - . | tar -C "$to" -xf -
}

build_python() {
  command -v python3 >/dev/null || die "'python3' not found: run scripts/setup.sh"
  mkdir -p build/layers build/functions
  build_python_external
  say "laying out build/layers/pythonutils/"
  copy_python_tree layers/pythonutils/python build/layers/pythonutils/python
  compile_python build/layers/pythonutils/python /opt/python
  local name fn
  for name in "${PYTHON_LAYERS[@]}"; do zip_tree "build/layers/$name" "build/layers/$name.zip"; done
  for fn in $(python_functions); do
    say "laying out build/functions/$fn/"
    copy_python_tree "$PYTHON_FUNCTIONS_DIR/${fn#python-}" "build/functions/$fn"
    compile_python "build/functions/$fn" /var/task
    zip_tree "build/functions/$fn" "build/functions/$fn.zip"
  done
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
  layers=()
  for fn in "${PYTHON_LAYERS[@]}"; do layers+=(--layer "build/layers/$fn"); done
  for fn in $(python_functions); do
    say "layered doctor --runtime python$PYTHON_VERSION --handler handler.handler ${layers[*]} --function build/functions/$fn"
    if output=$("$engine" doctor --runtime "python$PYTHON_VERSION" --handler handler.handler "${layers[@]}" --function "build/functions/$fn" 2>&1); then
      printf '%s\n' "$output"
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
build_python
if build_engine; then
  run_doctor
fi
summary

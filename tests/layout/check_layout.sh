#!/usr/bin/env bash
# check_layout.sh [BUILD_DIR]: inspects the layers and functions that
# scripts/build.sh laid out in BUILD_DIR (default build/) the way Lambda would
# run them on provided.al2023 x86_64, with binutils (readelf, objdump) as an oracle
# independent of `layered doctor`:
#
#  - layers: only lib/ and bin/ at the top (that is what lands in /opt);
#    functions: an executable `bootstrap` at the top; zips next to the trees;
#    a function's zip under 64 KiB;
#  - every ELF file's DT_NEEDED resolves inside the function and the layers
#    (/var/task, /var/task/lib, /opt/lib): nothing from the base image;
#  - every executable starts through a loader a layer ships (PT_INTERP under
#    /opt/lib) with DT_RPATH /opt/lib, so the layer's glibc and libstdc++ are
#    found before the image's /lib64 (LD_LIBRARY_PATH order);
#  - no ELF needs a GLIBC_ version above 2.34 (provided.al2023's glibc) unless
#    the layers ship their own glibc and every executable starts through it.
#
# The C++ example's layers and functions only: the Python example's (python-*)
# have another layout, which `layered doctor` checks when build.sh runs.
#
# Prints one line per problem and exits 1 if there is any.
set -uo pipefail

build=${1:-build}
expected_layers=(external cpputils)
expected_functions=(greeting catalog)
image_glibc=2.34
max_function_zip=65536

problems=0
problem() { echo "layout: $*"; problems=$((problems + 1)); }

for name in "${expected_layers[@]}"; do
  for path in "$build/layers/$name" "$build/layers/$name.zip"; do
    [ -e "$path" ] || { echo "layout: '$path' is missing: run scripts/build.sh first"; exit 1; }
  done
done
for name in "${expected_functions[@]}"; do
  for path in "$build/functions/$name" "$build/functions/$name.zip"; do
    [ -e "$path" ] || { echo "layout: '$path' is missing: run scripts/build.sh first"; exit 1; }
  done
done
for tool in readelf objdump zipinfo; do
  command -v $tool >/dev/null || { echo "layout: '$tool' not found: run scripts/setup.sh"; exit 1; }
done

is_elf() { [ -f "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }
# The helpers below read $elf_info: one `readelf -hldW` of the current file.
dynamic() { sed -n "s/.*($1).*\[\(.*\)\]/\1/p" <<<"$elf_info"; }
interpreter() { sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p' <<<"$elf_info"; }
# GLIBC_ versions a file needs (its version references), not the ones it defines.
glibc_needed() {
  objdump -p "$1" 2>/dev/null | awk '
    /^Version References:/ { on = 1; next }
    /^Version definitions:/ { on = 0 }
    on && $NF ~ /^GLIBC_[0-9]/ { print substr($NF, 7) }'
}
version_above() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1)" = "$1" ] && [ "$1" != "$2" ]; }

# --- top-level layout and zips ------------------------------------------------
layer_dirs=()
for name in "${expected_layers[@]}"; do
  dir=$build/layers/$name
  layer_dirs+=("$dir")
  for entry in "$dir"/* "$dir"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    case ${entry##*/} in
      lib | bin) [ -d "$entry" ] || problem "$entry: must be a directory" ;;
      *) problem "$dir: unexpected top-level entry '${entry##*/}' (a layer holds lib/ and bin/, extracted into /opt)" ;;
    esac
  done
  [ -f "$dir.zip" ] || problem "$dir.zip is missing"
done

function_dirs=()
for name in "${expected_functions[@]}"; do
  dir=$build/functions/$name
  function_dirs+=("$dir")
  if [ ! -f "$dir/bootstrap" ] || [ ! -x "$dir/bootstrap" ]; then
    problem "$dir: no executable 'bootstrap' at the top (Lambda runs /var/task/bootstrap)"
  fi
  if [ ! -f "$dir.zip" ]; then
    problem "$dir.zip is missing"
    continue
  fi
  size=$(stat -c %s "$dir.zip")
  ((size < max_function_zip)) || problem "$dir.zip is $size bytes: a function package must stay under 64 KiB"
  zipinfo "$dir.zip" bootstrap 2>/dev/null | grep -q '^-rwx' || problem "$dir.zip: 'bootstrap' lost its exec bit"
done

# --- the merged /opt/lib: what the layers' lib/ dirs provide -------------------
declare -A opt_lib=()
for dir in "${layer_dirs[@]}"; do
  for lib in "$dir"/lib/*; do
    [ -e "$lib" ] && opt_lib[${lib##*/}]=$lib  # later layer wins, as on Lambda
  done
done
ships_glibc=false
[ -n "${opt_lib[libc.so.6]:-}" ] && [ -n "${opt_lib[ld-linux-x86-64.so.2]:-}" ] && ships_glibc=true

# --- every ELF file ---------------------------------------------------------
all_through_layer_loader=true
declare -A needs_new_glibc=()

check_elf() {  # file function_dir ("" for a layer's file)
  local file=$1 fn=$2 needed interp path top
  elf_info=$(readelf -hldW "$file" 2>/dev/null)
  grep -q 'Class: *ELF64' <<<"$elf_info" && grep -q 'Machine: *Advanced Micro Devices X86-64' <<<"$elf_info" ||
    problem "$file: not an x86_64 ELF64 file"
  for path in $(dynamic RPATH | tr ':' ' ') $(dynamic RUNPATH | tr ':' ' '); do
    case $path in /opt/* | /var/task* | '$ORIGIN'*) ;; *) problem "$file: search path '$path' is outside the function and layers" ;; esac
  done
  for needed in $(dynamic NEEDED); do
    if [ -n "${opt_lib[$needed]:-}" ]; then continue; fi
    if [ -n "$fn" ] && { [ -e "$fn/$needed" ] || [ -e "$fn/lib/$needed" ]; }; then continue; fi
    problem "$file needs '$needed', which no layer's lib/ (/opt/lib) nor the function provides"
  done
  interp=$(interpreter)
  # A shared library with an interpreter (libc.so.6 prints its version when
  # run) is still a library: only programs (no SONAME) are started.
  if [ -n "$interp" ] && [ -z "$(dynamic SONAME)" ]; then
    case $interp in
      /opt/lib/*)
        [ -n "${opt_lib[${interp#/opt/lib/}]:-}" ] || problem "$file starts through '$interp', which no layer ships"
        dynamic RPATH | tr ':' '\n' | grep -qx /opt/lib ||
          problem "$file has no DT_RPATH /opt/lib: the base image's /lib64 would come first on LD_LIBRARY_PATH"
        ;;
      *)
        all_through_layer_loader=false
        problem "$file starts through '$interp', not a loader from a layer (/opt/lib/...)"
        ;;
    esac
  fi
  top=$(glibc_needed "$file" | sort -V | tail -1)
  if [ -n "$top" ] && version_above "$top" "$image_glibc"; then needs_new_glibc[$file]=$top; fi
}

for dir in "${layer_dirs[@]}"; do
  while IFS= read -r -d '' file; do is_elf "$file" && check_elf "$file" ""; done < <(find "$dir" -type f -print0)
done
for dir in "${function_dirs[@]}"; do
  while IFS= read -r -d '' file; do is_elf "$file" && check_elf "$file" "$dir"; done < <(find "$dir" -type f -print0)
done

if ! $ships_glibc || ! $all_through_layer_loader; then
  for file in "${!needs_new_glibc[@]}"; do
    problem "$file needs GLIBC_${needs_new_glibc[$file]}, above provided.al2023's glibc $image_glibc, and the layers do not ship a glibc every executable starts through"
  done
fi

if ((problems)); then
  echo "layout: $problems problem(s) in $build/layers and $build/functions"
  exit 1
fi
echo "layout: ${#layer_dirs[@]} layers and ${#function_dirs[@]} functions in $build are laid out as Lambda runs them"

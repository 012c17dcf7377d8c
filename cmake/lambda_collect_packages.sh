#!/usr/bin/env bash
# lambda_collect_packages.sh PACKAGES_FILE OUT_LIB_DIR
#
# Fills OUT_LIB_DIR with the shared libraries of the Debian binary packages
# listed in PACKAGES_FILE, plus everything they need (DT_NEEDED, transitively,
# resolved on this machine), one real file per soname.
#
# PACKAGES_FILE: one package a line, '#' comments; "package: soname ..." copies
# only those libraries of the package (libc6 also holds gconv modules and
# debugging libraries that a function never needs).
set -euo pipefail

die() { echo "lambda_collect_packages: error: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 PACKAGES_FILE OUT_LIB_DIR"
packages_file=$1 out=$2
[ -f "$packages_file" ] || die "'$packages_file' does not exist"
command -v dpkg-query >/dev/null || die "'dpkg-query' not found: the external layer is built from Debian packages"
command -v readelf >/dev/null || die "'readelf' not found: install binutils (scripts/setup.sh)"

search_dirs=(/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /lib /usr/lib)

soname_of() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }
needed_of() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

resolve() {  # soname -> path on this machine
  local dir
  for dir in "${search_dirs[@]}"; do
    [ -e "$dir/$1" ] && { echo "$dir/$1"; return 0; }
  done
  return 1
}

# The libraries a package ships directly in a library directory (not in
# plugin subdirectories such as gconv/), as "soname path" lines.
package_libraries() {
  local pkg=$1 path soname
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    die "package '$pkg' (listed in $packages_file) is not installed: add it to scripts/setup.sh and run it"
  dpkg -L "$pkg" | grep -E '^/(usr/)?lib(64)?(/x86_64-linux-gnu)?/[^/]+\.so(\.[0-9]+)*$' | while read -r path; do
    [ -f "$path" ] || continue
    soname=$(soname_of "$path")
    [ -n "$soname" ] && echo "$soname $path"
  done | sort -u -k1,1
}

declare -A wanted=()  # soname -> path on this machine
queue=()

want() {  # soname path
  [ -n "${wanted[$1]:-}" ] && return 0
  wanted[$1]=$2
  queue+=("$2")
}

while IFS= read -r line || [ -n "$line" ]; do
  line=${line%%#*}
  read -r -a words <<<"${line/:/ }" || true
  [ ${#words[@]} -gt 0 ] || continue
  pkg=${words[0]}
  only=("${words[@]:1}")
  libs=$(package_libraries "$pkg")
  [ -n "$libs" ] || die "package '$pkg' (listed in $packages_file) ships no shared library"
  if [ ${#only[@]} -eq 0 ]; then
    while read -r soname path; do want "$soname" "$path"; done <<<"$libs"
  else
    for soname in "${only[@]}"; do
      path=$(awk -v s="$soname" '$1 == s { print $2 }' <<<"$libs")
      [ -n "$path" ] || die "package '$pkg' has no library '$soname' (listed in $packages_file)"
      want "$soname" "$path"
    done
  fi
done <"$packages_file"

while [ ${#queue[@]} -gt 0 ]; do
  elf=${queue[0]}
  queue=("${queue[@]:1}")
  for needed in $(needed_of "$elf"); do
    [ -n "${wanted[$needed]:-}" ] && continue
    path=$(resolve "$needed") || die "'$elf' needs '$needed', which is not on this machine"
    want "$needed" "$path"
  done
done

rm -rf "$out"
mkdir -p "$out"
for soname in $(printf '%s\n' "${!wanted[@]}" | LC_ALL=C sort); do
  cp -L "${wanted[$soname]}" "$out/$soname"
  chmod 0755 "$out/$soname"
  echo "  lib/$soname <- $(readlink -f "${wanted[$soname]}")"
done

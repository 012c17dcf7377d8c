#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine: apt
# packages and the npm packages of the CDK app. Idempotent: what is already
# there is skipped, so every entry point can call it.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git file zip unzip
  libgtest-dev libgmock-dev
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libhttp-parser-dev libfmt-dev libsqlite3-dev
  libarchive-dev libjsoncpp-dev libssl-dev libseccomp-dev libre2-dev
  bubblewrap busybox-static slirp4netns e2fsprogs iproute2 curl sqlite3 ca-certificates tzdata
  awscli python3-boto3
  nodejs npm
  python3.11 python3 python3-flask python3-sqlalchemy python3-jinja2 python3-blinker
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Node.js may come from elsewhere than Debian (as on CI images): keep the one that is there
# (aws-cdk-lib needs Node.js >= 20; Debian 12's own nodejs is 18).
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]:-}"
if ((${#missing[@]})); then
  echo "setup: installing apt packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: apt packages present"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: warning: Node.js $(node --version 2>/dev/null || echo missing) found; aws-cdk-lib needs Node.js 20 or later" >&2
fi

if [ -f package-lock.json ]; then
  stamp=node_modules/.layered-lock
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    echo "setup: installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json "$stamp"
  else
    echo "setup: npm packages present"
  fi
fi

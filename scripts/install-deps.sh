#!/usr/bin/env bash
# Installs everything chainsync needs on a fresh Debian 12 machine: the build
# toolchain and libraries from apt, and the npm tools (anvil, solc, the
# OpenAPI linter, ws, mempool.js) into the project's own node_modules. Safe to
# run again; it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  build-essential cmake ninja-build ccache pkg-config clang clang-format
  libclang-rt-14-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libre2-dev catch2 libboost1.81-dev libcurl4-openssl-dev
  libsimdjson-dev libsecp256k1-dev libssl-dev libpq-dev
  postgresql-15 postgresql-client-15 prometheus wrk
  curl procps iproute2 python3 openssl
)
# Node.js may come from elsewhere (NodeSource bundles npm and conflicts with
# Debian's npm package): Debian's packages only when the commands are missing.
command -v node >/dev/null || apt_packages+=(nodejs)
command -v npm >/dev/null || apt_packages+=(npm)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  # Debian's prometheus package starts a server on :9090 through its init
  # script; policy-rc.d keeps package installs from starting any daemon.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo_cmd[@]}" chmod +x /usr/sbin/policy-rc.d
    trap '"${sudo_cmd[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm records what it installed in node_modules/.package-lock.json: a
# package-lock.json newer than that record has changed since.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  # `npm install` follows package-lock.json. `npm ci` would be stricter, but
  # npm 11 rejects a lock without entries for the optional per-platform anvil
  # packages that a Linux install never records. anvil needs no install
  # scripts: its binary ships inside the package.
  npm install --no-audit --no-fund --ignore-scripts --loglevel=error
fi

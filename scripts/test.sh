#!/usr/bin/env bash
# Installs every dependency, builds chainsync and runs the whole test suite
# (unit tests, and integration tests against a private Postgres cluster and
# an anvil node that ctest starts and stops itself).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
ctest --test-dir build --output-on-failure -j "$(nproc)"

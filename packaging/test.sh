#!/usr/bin/env bash
# Installs dependencies, builds (Release, Ninja) and runs every test suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset cpu-release
cmake --build --preset cpu-release -j "$(nproc)"
ctest --preset cpu-release -j 1 "$@"

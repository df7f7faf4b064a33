#!/usr/bin/env bash
# Installs dependencies, builds (Release, Ninja) and runs every test suite with CTest, then the
# unit suites under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset cpu-release
cmake --build --preset cpu-release -j "$(nproc)"
ctest --preset cpu-release -j 1 "$@"
# The unit suites again, built with AddressSanitizer + UndefinedBehaviorSanitizer (leaks checked
# too; docs/reliability.md). Skipped when the caller selects tests (arguments given).
if [ $# -eq 0 ]; then
  cmake --preset cpu-asan
  cmake --build --preset cpu-asan -j "$(nproc)"
  ctest --preset cpu-asan -j 1  # the layering probes build in this folder: one at a time
fi

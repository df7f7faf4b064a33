#!/usr/bin/env bash
# Installs dependencies, builds, trains the bundled 2-D demo with `cdrl` and samples it.
# (Until the desktop app lands, the main program is the CLI on its bundled default.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset cpu-release
cmake --build --preset cpu-release -j "$(nproc)" --target cdrl
out=out/toy2d-demo
./build/cpu-release/app/cdrl train --preset toy2d --data toy:8gaussians --out "$out"
./build/cpu-release/app/cdrl sample "$out/checkpoint.safetensors" -n 2000 \
  --out "$out/samples.png" --strip "$out/levels.png" --csv "$out/samples.csv"
echo "Samples: $out/samples.png  per-level strip: $out/levels.png"

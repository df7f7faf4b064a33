#!/usr/bin/env bash
# Installs dependencies, builds, and starts CDRL Studio on its bundled default model
# (resources/models/fmnist-tiny.safetensors). Without a display it runs the studio under Xvfb
# once, saves what the window shows to out/studio.png, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset cpu-release
cmake --build --preset cpu-release -j "$(nproc)" --target cdrl cdrl-studio
studio=./build/cpu-release/app/cdrl-studio
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec "$studio" "$@"
fi
mkdir -p out
echo "No display found: running cdrl-studio under Xvfb and saving its window to out/studio.png"
xvfb-run -a -s "-screen 0 1280x800x24" "$studio" --screenshot out/studio.png "$@"
echo "Saved out/studio.png (on a desktop, the same command opens the window)"

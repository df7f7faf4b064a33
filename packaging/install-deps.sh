#!/usr/bin/env bash
# Installs every Debian package that building, testing and running CDRL Studio need.
# Idempotent and non-interactive; run as root (or with sudo available).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang-format
  # core
  libtorch-dev libopenblas0-pthread libopencv-dev zlib1g-dev libssl-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev
  # distributed training (c10d over Gloo; docs/distributed.md)
  libgloo-dev
  # desktop app
  qt6-base-dev qt6-base-dev-tools libqt6opengl6-dev libqt6svg6 libgl-dev
  libqcustomplot-dev libimgui-dev libstb-dev libgl1-mesa-dri
  # data and test display
  dataset-fashion-mnist xvfb xauth
  # reference implementation (bench/reference), TorchScript test fixture, OOD study (bench/ood)
  python3-torch python3-numpy python3-sklearn
  # the readers' fuzzers (cmake --preset fuzz; tests/fuzz): clang, libFuzzer, OpenMP for clang
  clang libclang-rt-14-dev libomp-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Screenshots of each CDRL Studio view for the README, taken under Xvfb with the built studio:
# docs/screenshots/{sampling,landscape,training,ood,composition}.png. Usage: bash packaging/screenshots.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/cpu-release}
studio=$build/app/cdrl-studio
cdrl=$build/app/cdrl
out=docs/screenshots
mkdir -p "$out"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# A private settings folder, so the user's recent files and window layout stay out of the pictures.
export XDG_CONFIG_HOME=$scratch/config
shot() {  # shot <png> <delay ms> <studio args...>
  local png=$1 delay=$2
  shift 2
  xvfb-run -a -s "-screen 0 1280x800x24" "$studio" --screenshot "$png" --screenshot-delay "$delay" "$@"
  echo "wrote $png"
}
# Sampling: the bundled default model, sampled on opening.
shot "$out/sampling.png" 20000 --view sampling
# Energy landscape: the bundled 2-D model with 256 points (the sample count the studio remembers).
mkdir -p "$XDG_CONFIG_HOME/cdrl"
printf '[sampling]\ncount=256\n' >"$XDG_CONFIG_HOME/cdrl/cdrl-studio.conf"
shot "$out/landscape.png" 8000 resources/models/toy2d.safetensors --view sampling
rm "$XDG_CONFIG_HOME/cdrl/cdrl-studio.conf"
# Composition: the bundled faces model with three of CelebA's attributes composed, w = 3 each.
shot "$out/composition.png" 60000 resources/models/faces-tiny.safetensors \
  --compose "Male=1:3,Smiling=1:3,Young=1:3"
# Training: a short toy2d run trained here, followed live.
"$cdrl" train --preset toy2d --data toy:8gaussians --steps 600 --log-every 10 -o "$scratch/run" 2>/dev/null
shot "$out/training.png" 6000 resources/models/toy2d.safetensors --follow "$scratch/run"
# OOD: the default model's reference histogram with four of its own samples scored, and the icon
# (an SVG, which is no image the model reads: listed as unreadable).
"$cdrl" sample resources/models/fmnist-tiny.safetensors -n 4 --images "$scratch/samples" \
  -o "$scratch/grid.png" 2>/dev/null
shot "$out/ood.png" 15000 --view ood --score "$scratch/samples" --score resources/icons/cdrl-studio.svg

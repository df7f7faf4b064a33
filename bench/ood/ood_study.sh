#!/usr/bin/env bash
# The Fashion-MNIST OOD study of docs/models.md: AUROC and FPR at 95% TPR of each score —
# typicality (the calibrated default), energy (the paper's) and the nearest-training-image
# baseline — with the first N Fashion-MNIST test images as the in-set (the calibration uses the
# last ones) against Gaussian noise, uniform noise, constant images, inverted and vertically
# flipped test images, upscaled sklearn digits, and the shapes and faces sets turned grey.
# Usage: bench/ood/ood_study.sh CHECKPOINT [CDRL] [N]   (needs python3-sklearn)
set -euo pipefail
checkpoint=$1
cdrl=${2:-build/cpu-release/app/cdrl}
n=${3:-1000}
sets=$(mktemp -d)
trap 'rm -rf "$sets"' EXIT
/usr/bin/python3 "$(dirname "$0")/make_sets.py" "$sets" "$n"
scores=(typicality energy nearest)
header="| out-set |"
rule="|---|"
for s in "${scores[@]}"; do header+=" $s AUROC | $s FPR@95 |"; rule+="---|---|"; done
echo "$header"
echo "$rule"
field() { echo "$1" | sed -n "s/.*$2 \([0-9.]*\).*/\1/p"; }
for set in noise uniform constant inverted vflipped digits shapes faces; do
  case $set in
    shapes | faces) out="$set:$n" ;;
    *) out="$sets/$set" ;;
  esac
  row="| $set |"
  for s in "${scores[@]}"; do
    result=$("$cdrl" ood "$checkpoint" --score "$s" --in fashion-mnist-test --out "$out" \
      --limit "$n" 2>/dev/null)
    row+=" $(field "$result" AUROC) | $(field "$result" 'FPR@95%TPR') |"
  done
  echo "$row"
done

#!/usr/bin/env bash
# The Fashion-MNIST OOD study of docs/models.md: AUROC and FPR at 95% TPR of the model's energy
# score and of the nearest-training-image baseline, Fashion-MNIST test images (in) against
# Gaussian noise, inverted and vertically flipped test images, and upscaled sklearn digits (out).
# Usage: bench/ood/ood_study.sh CHECKPOINT [CDRL] [N]   (needs python3-sklearn)
set -euo pipefail
checkpoint=$1
cdrl=${2:-build/cpu-release/app/cdrl}
n=${3:-1000}
sets=$(mktemp -d)
trap 'rm -rf "$sets"' EXIT
/usr/bin/python3 "$(dirname "$0")/make_sets.py" "$sets" "$n"
echo "| out-set | energy AUROC | energy FPR@95 | nearest-image AUROC | nearest-image FPR@95 |"
echo "|---|---|---|---|---|"
for set in noise inverted vflipped digits; do
  energy=$("$cdrl" ood "$checkpoint" --in fashion-mnist-test --out "$sets/$set" --limit "$n" 2>/dev/null)
  nearest=$("$cdrl" ood "$checkpoint" --in fashion-mnist-test --out "$sets/$set" --limit "$n" \
    --baseline nearest 2>/dev/null)
  field() { echo "$1" | sed -n "s/.*$2 \([0-9.]*\).*/\1/p"; }
  echo "| $set | $(field "$energy" AUROC) | $(field "$energy" 'FPR@95%TPR') | $(field "$nearest" AUROC) | $(field "$nearest" 'FPR@95%TPR') |"
done

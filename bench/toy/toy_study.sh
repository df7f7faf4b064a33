#!/usr/bin/env bash
# The toy2d study of docs/models.md: the toy2d preset (plus any flags) on each built-in shape and
# on a user's CSV spiral, each judged by the energy distance of 5 000 samples to held-out points,
# beside a second draw of the data and a Gaussian fit (`cdrl eval` prints both baselines).
#   bench/toy/toy_study.sh CDRL OUT_DIR [THREADS=1] [cdrl train flags...]
set -euo pipefail
cdrl=$1 out=$2 threads=${3:-1}
shift $(( $# > 3 ? 3 : $# ))
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
/usr/bin/python3 "$here/make_spiral.py" "$out/spiral.csv" 20000 3 0
for data in toy:8gaussians toy:checkerboard toy:moons toy:swissroll toy:rings "csv:$out/spiral.csv"; do
  name=$(basename "${data#*:}" .csv)
  run=$out/$name
  start=$(date +%s)
  "$cdrl" train --threads "$threads" --preset toy2d --data "$data" --seed 0 -o "$run" "$@" \
    > "$run.train.log" 2>&1
  wall=$(( $(date +%s) - start ))
  eval_data=()
  [[ $data == csv:* ]] && eval_data=(--data "$data")
  "$cdrl" eval --threads "$threads" "$run/checkpoint.safetensors" -n 5000 \
    --reference-count 5000 "${eval_data[@]}" --json "$run.eval.json" > "$run.eval.txt" 2>&1
  "$cdrl" sample --threads "$threads" "$run/checkpoint.safetensors" -n 5000 -o "$run.png" 2>/dev/null
  echo "$name: trained in $wall s; $(grep -A1 "^K'" "$run.eval.txt" | tail -1); $(grep baselines "$run.eval.txt")"
done | tee "$out/summary.txt"

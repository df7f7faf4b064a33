#!/usr/bin/env bash
# The recipe study of docs/models.md: trains one recipe of the fmnist-tiny preset for an equal
# budget of CPU time (not wall-clock, so runs beside other work stay comparable), then stops it
# with SIGINT (which saves the checkpoint) and measures its EMA weights with `cdrl eval`.
#
#   bench/recipe_study.sh CDRL OUT_DIR NAME CPU_MINUTES [cdrl train flags...]
#
# Writes OUT_DIR/NAME/{checkpoint.safetensors,metrics.jsonl,train.log,eval.json,eval.txt}.
set -euo pipefail
cdrl=$1 out=$2 name=$3 minutes=$4
shift 4
dir=$out/$name
mkdir -p "$dir"
budget=$((minutes * 60))
"$cdrl" train --threads 1 --preset fmnist-tiny --data fashion-mnist --conditional --seed 1 \
  --steps 1000000 --log-every 20 --checkpoint-every 100 -o "$dir" "$@" > "$dir/train.log" 2>&1 &
pid=$!
cpu_seconds() {  # utime + stime of the training process, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) / hz) }' "/proc/$1/stat" 2>/dev/null || echo -1
}
start=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
  used=$(cpu_seconds "$pid")
  if [ "$used" -ge "$budget" ]; then
    kill -INT "$pid"
    break
  fi
  sleep 5
done
wait "$pid" || true
wall=$(( $(date +%s) - start ))
step=$(tail -n 1 "$dir/metrics.jsonl" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["step"])')
echo "$name: $minutes CPU-minutes, $wall s wall, $step steps" | tee "$dir/summary.txt"
classifier=$(cd "$(dirname "$0")/.." && pwd)/resources/models/fmnist-classifier.safetensors
"$cdrl" eval --threads 1 "$dir/checkpoint.safetensors" --classifier "$classifier" -n 400 --steps 15 \
  --guidance 0,3 --json "$dir/eval.json" > "$dir/eval.txt" 2>&1
cat "$dir/eval.txt"

#!/usr/bin/env bash
# docs/distributed.md, "Measured": the same fmnist-tiny training as 1 process × 2 threads and as
# 2 ranks × 1 thread (Gloo over 127.0.0.1), alternated ROUNDS times; prints iterations/s of each
# from the runs' wall time (start-up and the first 5 steps excluded via the metrics' own clock).
#   bench/distributed/ranks_vs_threads.sh CDRL OUT [STEPS=60] [ROUNDS=2] [cdrl train flags...]
set -euo pipefail
cdrl=$1 out=$2 steps=${3:-60} rounds=${4:-2}
shift $(( $# > 4 ? 4 : $# ))
flags=(--preset fmnist-tiny --data fashion-mnist --conditional --steps "$steps" --log-every 5
       --checkpoint-every 100000 "$@")
rate() {  # iterations/s between the step-5 and the last metrics line
  /usr/bin/python3 - "$1/metrics.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if '"loss_ebm"' in l]
a, b = lines[0], lines[-1]
print(f"{(b['step'] - a['step']) / (b['wall_time'] - a['wall_time']):.3f}")
PY
}
for round in $(seq "$rounds"); do
  rm -rf "$out/one" "$out/two"
  "$cdrl" train --threads 2 "${flags[@]}" -o "$out/one" 2>/dev/null
  port=$(( 29600 + round ))
  export MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=2
  RANK=0 "$cdrl" train --threads 1 "${flags[@]}" -o "$out/two" 2>/dev/null &
  RANK=1 "$cdrl" train --threads 1 "${flags[@]}" -o "$out/two" 2>/dev/null
  wait
  unset MASTER_ADDR MASTER_PORT WORLD_SIZE
  echo "round $round: 1 rank × 2 threads $(rate "$out/one") it/s, 2 ranks × 1 thread $(rate "$out/two") it/s"
done

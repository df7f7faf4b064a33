#!/usr/bin/env bash
# docs/benchmarks.md, "Imported CIFAR-10 model": the import's peak memory against the weights it
# keeps, and the time to sample an imported CIFAR-10-sized model (the published shapes, random
# weights from tests/cdrl/official/make_official_fixtures.py --full-cifar) on this machine.
#
#   bench/import/import_bench.sh CDRL OUT_DIR [SAMPLES]
set -euo pipefail
cdrl=$1 out=$2 count=${3:-16}
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
[ -f "$out/cifar_full.pth.tar" ] ||
  /usr/bin/python3 "$src/tests/cdrl/official/make_official_fixtures.py" "$out" --full-cifar --published-size > /dev/null

rss() { grep "Maximum resident set size" "$1" | awk '{ print $NF }'; }  # KiB
/usr/bin/time -v "$cdrl" info "$src/resources/models/toy2d.safetensors" > /dev/null 2> "$out/baseline.time"
/usr/bin/time -v "$cdrl" import "$out/cifar_full.pth.tar" -o "$out/cifar.safetensors" \
  > "$out/import.txt" 2> "$out/import.time"
kept=$(stat -c %s "$out/cifar.safetensors")
echo "file $(stat -c %s "$out/cifar_full.pth.tar") bytes; weights kept (written checkpoint) $kept bytes"
echo "import: $(grep 'Elapsed (wall' "$out/import.time" | awk '{ print $NF }') wall," \
  "peak RSS $(( $(rss "$out/import.time") / 1024 )) MiB; process baseline" \
  "$(( $(rss "$out/baseline.time") / 1024 )) MiB"
python3 -c "print('peak / kept = %.2f; (peak - baseline) / kept = %.2f' % ($(rss "$out/import.time") * 1024 / $kept, ($(rss "$out/import.time") - $(rss "$out/baseline.time")) * 1024 / $kept))"

# Sampling: seconds from start to each finished level, then to the written grid.
start=$(date +%s.%N)
"$cdrl" sample "$out/cifar.safetensors" -n "$count" --seed 0 -o "$out/samples.png" 2>&1 |
  while IFS= read -r line; do
    printf '%8.1f s  %s\n' "$(echo "$(date +%s.%N) - $start" | bc)" "$line"
  done | tee "$out/sample.txt"

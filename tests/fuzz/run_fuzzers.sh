#!/usr/bin/env bash
# Runs every libFuzzer target for a set time on its seed corpus (docs/reliability.md).
#   cmake --preset fuzz && cmake --build --preset fuzz
#   tests/fuzz/run_fuzzers.sh [SECONDS=600] [BUILD=build/fuzz] [TARGET...]
# Each target grows its corpus in BUILD/corpus/<target> (seeded from tests/fuzz/corpus/<target>)
# and leaves any crashing input in BUILD/findings/<target>/. Prints one summary line per target;
# exits non-zero when any target found something.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-600}
build=${2:-build/fuzz}
shift $(( $# > 2 ? 2 : $# ))
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$here"/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
# LibTorch's and OpenCV's own allocations kept for the process's life are not findings.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:detect_odr_violation=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/$t"
  [ -x "$bin" ] || { echo "$t: not built ($bin)"; status=1; continue; }
  corpus="$build/corpus/$t" findings="$build/findings/$t"
  mkdir -p "$corpus" "$findings"
  cp -n "$here/corpus/$t"/* "$corpus"/ 2>/dev/null
  log="$build/findings/$t.log"
  "$bin" "$corpus" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=6144 -max_len=65536 \
    -artifact_prefix="$findings/" -print_final_stats=1 > "$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  found=$(ls "$findings" | wc -l)
  echo "$t: ${seconds} s, ${runs:-?} runs, coverage ${cov:-?} edges, corpus $(ls "$corpus" | wc -l) inputs, findings $found (exit $rc)"
  [ "$rc" -eq 0 ] && [ "$found" -eq 0 ] || status=1
done
exit $status

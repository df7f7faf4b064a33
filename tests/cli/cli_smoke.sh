#!/usr/bin/env bash
# End-to-end check of the `cdrl` CLI: train, resume, sample every output, info, and clean
# one-line failures for bad input. Usage: cli_smoke.sh <path-to-cdrl> <scratch-dir>
set -u
cdrl=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
fail() { echo "FAIL: $*"; exit 1; }

# Bad arguments: non-zero exit and a one-line reason.
expect_error() {  # expect_error <pattern> <args...>
  local pattern=$1; shift
  local out; out=$("$cdrl" "$@" 2>&1) && fail "'$*' exited 0"
  echo "$out" | grep -q -- "$pattern" || fail "'$*' said: $out"
  [ "$(echo "$out" | grep -c .)" -le 3 ] || fail "'$*' printed more than a short reason: $out"
  [ "${#out}" -le 400 ] || fail "'$*' printed ${#out} characters: $out"
}
expect_error "preset" train --preset nope --data toy:moons -o "$dir/x"
expect_error "not understood" train --data nonsense -o "$dir/x"
expect_error "unknown toy shape\|expected one of\|valid" train --data toy:triangle -o "$dir/x"
expect_error "does not exist\|File does not exist" sample "$dir/none.safetensors"
printf 'garbage' > "$dir/bad.safetensors"
expect_error "truncated" info "$dir/bad.safetensors"

# Train 30 steps, resume to 40, sample all outputs.
"$cdrl" train --preset toy2d --data toy:moons --steps 30 --batch 48 --log-every 10 --checkpoint-every 10 -o "$dir/run" 2>/dev/null \
  || fail "train"
[ "$(wc -l < "$dir/run/metrics.jsonl")" -eq 3 ] || fail "metrics lines"
# The resumed run keeps the options it was started with (batch 48, log every 10).
"$cdrl" train --resume "$dir/run/checkpoint.safetensors" --steps 40 -o "$dir/run" 2>"$dir/resume.log" \
  || fail "resume"
grep -q "batch 48" "$dir/resume.log" || fail "resume did not keep the run's batch: $(head -1 "$dir/resume.log")"
# The resumed run marks its restart (readers drop older lines past step 30), then step 40.
[ "$(wc -l < "$dir/run/metrics.jsonl")" -eq 5 ] || fail "metrics after resume"
sed -n 4p "$dir/run/metrics.jsonl" | grep -q '^{"restart":30}$' || fail "restart marker"
tail -1 "$dir/run/metrics.jsonl" | grep -q '"step":40' || fail "resumed step"
"$cdrl" info "$dir/run/checkpoint.safetensors" | grep -q '"step": 40' || fail "info step"
# Training options given on resume replace the run's own and are recorded from then on.
cp -r "$dir/run" "$dir/rerun"
"$cdrl" train --resume "$dir/rerun/checkpoint.safetensors" --steps 42 --lr-ebm 2e-4 \
  --label-dropout 0.4 --beta1 0.5 --beta2 0.99 --grad-clip 0.25 -o "$dir/rerun" 2>/dev/null \
  || fail "resume with new options"
/usr/bin/python3 - "$dir/rerun/checkpoint.safetensors" <<'PY' || fail "options given on resume not recorded"
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
o = json.loads(header["__metadata__"]["training"])
assert o["lr_ebm"] == 2e-4 and o["label_dropout"] == 0.4 and o["batch"] == 48, o
assert o["beta1"] == 0.5 and o["beta2"] == 0.99 and o["grad_clip"] == 0.25, o
PY
expect_error "label-dropout" train --resume "$dir/run/checkpoint.safetensors" --label-dropout 1.5 -o "$dir/rerun"
# Langevin step constants: set on a new run, recorded, changed on resume with a note.
"$cdrl" train --preset toy2d --data toy:moons --steps 2 --step-scaling constant --step-base 1e-3 \
  -K 10 -o "$dir/steps" 2>/dev/null || fail "train with step constants"
# eval's K' column by default: the model's own K, then the paper's 15, 8, 5, 3 below it.
"$cdrl" eval "$dir/steps/checkpoint.safetensors" -n 4 --reference-count 50 --json "$dir/steps.json" \
  > /dev/null 2>&1 || fail "eval at the default K'"
/usr/bin/python3 -c 'import json, sys
sys.exit([r["steps"] for r in json.load(open(sys.argv[1]))["steps_table"]] != [10, 8, 5, 3])' \
  "$dir/steps.json" || fail "eval default K' column: $(cat "$dir/steps.json")"
"$cdrl" info "$dir/steps/checkpoint.safetensors" | grep -q '"step_scaling": "constant"' \
  || fail "step scaling not recorded"
"$cdrl" train --resume "$dir/steps/checkpoint.safetensors" --steps 3 --step-base 5e-4 \
  -o "$dir/steps" 2>"$dir/steps.log" || fail "resume with a new step base"
grep -q "step-size base 0.001000 → 0.000500" "$dir/steps.log" || fail "step base note"
"$cdrl" info "$dir/steps/checkpoint.safetensors" | grep -q '"step_base": 0.0005' \
  || fail "new step base not recorded"
# The levels and log-SNR range: set on a new run and recorded; a resumed run keeps its schedule.
"$cdrl" train --preset toy2d --data toy:moons --steps 2 --levels 4 --lambda-min -1 \
  --lambda-max 14 -o "$dir/lambda" 2>/dev/null || fail "train with a log-SNR range"
"$cdrl" info "$dir/lambda/checkpoint.safetensors" > "$dir/lambda.txt"
grep -q '"lambda_max": 14' "$dir/lambda.txt" && grep -q '"lambda_min": -1' "$dir/lambda.txt" \
  && grep -q '"T": 4' "$dir/lambda.txt" || fail "schedule not recorded: $(cat "$dir/lambda.txt")"
expect_error "keeps its noise schedule" train --resume "$dir/lambda/checkpoint.safetensors" \
  --steps 3 --lambda-max 9.8 -o "$dir/lambda"
expect_error "keeps its noise schedule" train --resume "$dir/lambda/checkpoint.safetensors" \
  --steps 3 --levels 6 -o "$dir/lambda"
expect_error "must be finite" train --preset toy2d --data toy:moons --lambda-max inf -o "$dir/lambda3"
# Network widths: set on a new run and recorded; a resumed run keeps its networks.
"$cdrl" train --preset toy2d --data toy:moons --steps 2 --ebm-width 24 --init-width 40 \
  -o "$dir/width" 2>/dev/null || fail "train with network widths"
"$cdrl" info "$dir/width/checkpoint.safetensors" > "$dir/width.json"
/usr/bin/python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["config"]
sys.exit(not (c["ebm"]["width"] == 24 and c["initializer"]["width"] == 40))' "$dir/width.json" \
  || fail "widths not recorded: $(cat "$dir/width.json")"
expect_error "keeps its networks" train --resume "$dir/width/checkpoint.safetensors" --steps 3 \
  --ebm-width 32 -o "$dir/width"
expect_error "divisible by groups" train --preset shapes-tiny --data shapes:64 --init-width 20 \
  -o "$dir/width2"
# Fourier features of a 2-D MLP's input: recorded in both networks, kept on resume, refused for
# the convolutional presets.
"$cdrl" train --preset toy2d --data toy:moons --steps 2 --fourier-features 8 --fourier-scale 0.5 \
  -o "$dir/fourier" 2>/dev/null || fail "train with Fourier features"
"$cdrl" info "$dir/fourier/checkpoint.safetensors" > "$dir/fourier.json"
/usr/bin/python3 -c 'import json, sys; c = json.load(open(sys.argv[1]))["config"]
sys.exit(not all(c[n]["fourier_features"] == 8 and c[n]["fourier_scale"] == 0.5
                 for n in ("ebm", "initializer")))' "$dir/fourier.json" \
  || fail "Fourier features not recorded: $(cat "$dir/fourier.json")"
"$cdrl" train --resume "$dir/fourier/checkpoint.safetensors" --steps 3 -o "$dir/fourier" \
  2>/dev/null || fail "resume with Fourier features"
expect_error "keeps its networks" train --resume "$dir/fourier/checkpoint.safetensors" --steps 4 \
  --fourier-scale 1 -o "$dir/fourier"
expect_error "MLP networks only" train --preset fmnist-tiny --data fashion-mnist \
  --fourier-features 8 --steps 1 -o "$dir/fourier2"
expect_error "lambda_max must exceed lambda_min" train --preset toy2d --data toy:moons \
  --lambda-min 3 --lambda-max 2 -o "$dir/lambda2"
"$cdrl" sample "$dir/run/checkpoint.safetensors" -n 50 -K 3 --seed 4 -o "$dir/s.png" --strip "$dir/strip.png" \
  --csv "$dir/s.csv" --tensors "$dir/s.safetensors" 2>/dev/null || fail "sample"
for f in s.png strip.png s.csv s.safetensors; do [ -s "$dir/$f" ] || fail "missing $f"; done
[ "$(wc -l < "$dir/s.csv")" -eq 51 ] || fail "csv rows"
head -1 "$dir/s.csv" | grep -q '^x,y' || fail "csv header"
expect_error "image models" sample "$dir/run/checkpoint.safetensors" -n 2 --images "$dir/imgs"
expect_error "the model is unconditional" sample "$dir/run/checkpoint.safetensors" --class-grid
# A class grid: one row of -n samples per class, each row the samples --class draws with that seed.
"$cdrl" train --preset faces-tiny --data faces:40 --conditional --steps 1 --batch 4 \
  -o "$dir/faces" 2>/dev/null || fail "train a conditional image model"
classes=$("$cdrl" info "$dir/faces/checkpoint.safetensors" | sed -n 's/.*"num_classes": \([0-9]*\).*/\1/p')
[ "${classes:-0}" -gt 2 ] || fail "num_classes not shown by info"
"$cdrl" sample "$dir/faces/checkpoint.safetensors" --class-grid -n 2 -K 1 --guidance 3 \
  -o "$dir/grid.png" --images "$dir/grid" 2>/dev/null || fail "class grid"
[ "$(ls "$dir/grid" | wc -l)" -eq $((2 * classes)) ] || fail "class grid: not 2 samples per class"
"$cdrl" sample "$dir/faces/checkpoint.safetensors" --class 2 -n 2 -K 1 --guidance 3 \
  -o "$dir/row2.png" --images "$dir/row2" 2>/dev/null || fail "class 2 samples"
cmp -s "$dir/grid/sample_00004.png" "$dir/row2/sample_00000.png" \
  && cmp -s "$dir/grid/sample_00005.png" "$dir/row2/sample_00001.png" \
  || fail "class grid row 2 differs from --class 2"
cmp -s "$dir/grid/sample_00000.png" "$dir/row2/sample_00000.png" && fail "class grid rows 0 and 2 equal"
expect_error "drop --class" sample "$dir/faces/checkpoint.safetensors" --class-grid --class 1

# Evaluation: quality against K' (energy distance for 2-D models) as a table and JSON.
"$cdrl" eval "$dir/run/checkpoint.safetensors" -n 60 --steps 3,2 --reference-count 200 \
  --json "$dir/eval.json" > "$dir/eval.txt" 2>/dev/null || fail "eval"
grep -q "energy distance" "$dir/eval.txt" || fail "eval table"
[ "$(grep -c '"energy_distance"' "$dir/eval.json")" -eq 2 ] || fail "eval json rows"
# 2-D models get two yardsticks: a second draw of the data and a Gaussian with its moments.
grep -q "baselines (60 points each): second draw of the data" "$dir/eval.txt" || fail "eval baselines"
/usr/bin/python3 - "$dir/eval.json" <<'PY' || fail "eval baselines in JSON"
import json, sys
b = json.load(open(sys.argv[1]))["baselines"]
assert b["count"] == 60 and b["second_draw"] >= 0 and b["gaussian_fit"] > 0, b
# Precision, recall and coverage per K' and for both yardsticks, each a share.
rows = json.load(open(sys.argv[1]))["steps_table"]
for r in rows + [{k.split("_")[-1]: v for k, v in b.items() if k.startswith("second_draw_")}]:
    assert all(0 <= r[m] <= 1 for m in ("precision", "recall", "coverage")), r
PY
# With no more samples than the metric's 3 neighbours, the energy distance alone.
"$cdrl" eval "$dir/run/checkpoint.safetensors" -n 3 --steps 2 --reference-count 200 \
  > "$dir/eval-3.txt" 2>/dev/null || fail "eval of 3 samples"
grep -q "energy distance" "$dir/eval-3.txt" && ! grep -q "precision" "$dir/eval-3.txt" \
  || fail "eval of 3 samples: table"
expect_error "concept\|unconditional" eval "$dir/run/checkpoint.safetensors" -n 4 --steps 1 --compose "a=1"
# Image models get the same yardsticks in classifier features: held-out images past the
# reference are a near-perfect "model", a Gaussian with the pixels' moments a poor one. The
# guided rows add the distance of their pooled class-balanced samples.
models=$(cd "$(dirname "$0")/../../resources/models" && pwd)
"$cdrl" eval "$models/fmnist-tiny.safetensors" --classifier "$models/fmnist-classifier.safetensors" \
  -n 200 --steps 1 --guidance 0 --json "$dir/eval-image.json" > "$dir/eval-image.txt" 2>/dev/null \
  || fail "image eval"
grep -q "baselines (200 images each): second draw of the data" "$dir/eval-image.txt" \
  || fail "image eval baselines"
/usr/bin/python3 - "$dir/eval-image.json" <<'PY' || fail "image eval baselines in JSON"
import json, sys
r = json.load(open(sys.argv[1]))
b = r["baselines"]
assert b["count"] == 200 and 0 < 4 * b["second_draw"] < b["gaussian_fit"], b
assert r["guidance"][0]["pooled_frechet_distance"] > b["second_draw"], r["guidance"]
shares = r["unconditional_shares"]  # the classifier's reading of the ∅ samples, per class
assert len(shares) == 10 and "Ankle boot" in shares and abs(sum(shares.values()) - 1) < 1e-9, shares
PY

# OOD: an uncalibrated model says so and scores by energy; `calibrate` stores the typicality fit
# in the checkpoint, which `ood` then uses by default with percentiles; energy and the
# nearest-neighbour baseline stay available; each gives an AUROC line.
"$cdrl" ood "$dir/run/checkpoint.safetensors" --in toy:moons:100 --out toy:rings:100 \
  2> "$dir/ood.err" | grep -q "AUROC" || fail "ood energy"
grep -q "no typicality calibration" "$dir/ood.err" || fail "ood: no note about the calibration"
expect_error "no typicality calibration" ood "$dir/run/checkpoint.safetensors" --score typicality \
  toy:moons:10
"$cdrl" calibrate "$dir/run/checkpoint.safetensors" -n 200 > "$dir/cal.txt" 2>/dev/null \
  || fail "calibrate"
grep -q "calibrated on 200 examples of toy:moons" "$dir/cal.txt" || fail "calibrate report"
"$cdrl" ood "$dir/run/checkpoint.safetensors" toy:moons:3 2> "$dir/ood.err" > "$dir/ood.txt" \
  || fail "ood typicality"
grep -q "score: typicality" "$dir/ood.err" || fail "ood: typicality is not the default"
[ "$(awk -F'\t' 'NF == 3' "$dir/ood.txt" | wc -l)" -eq 3 ] || fail "ood: score and percentile"
"$cdrl" sample "$dir/run/checkpoint.safetensors" -n 4 --out "$dir/after.png" 2>/dev/null \
  || fail "calibrated checkpoint no longer samples"
for score in energy nearest; do
  "$cdrl" ood "$dir/run/checkpoint.safetensors" --in toy:moons:100 --out toy:rings:100 \
    --score "$score" 2>/dev/null | grep -q "AUROC" || fail "ood --score $score"
done
# The faces data set in CelebA's layout.
"$cdrl" make-faces "$dir/faces" -n 20 > /dev/null 2>&1 || fail "make-faces"
[ "$(ls "$dir/faces/img_align_celeba" | wc -l)" -eq 20 ] || fail "make-faces images"
head -2 "$dir/faces/list_attr_celeba.txt" | tail -1 | grep -q "Male Smiling Young" \
  || fail "make-faces attribute names"
"$cdrl" train-classifier --data shapes:300 --steps 5 --batch 16 -o "$dir/c.safetensors" \
  > "$dir/c.txt" 2>/dev/null || fail "train-classifier"
grep -q "test accuracy" "$dir/c.txt" || fail "classifier report"
[ -s "$dir/c.safetensors" ] || fail "classifier file"
expect_error "neither classes nor attributes\|not images" train-classifier --data toy:moons -o "$dir/c2.safetensors"
# Training splits each Langevin chain into one part per thread: 1 and 2 threads train the same
# (same seed, same noise; losses equal to float rounding).
for t in 1 2; do
  "$cdrl" train --preset shapes-tiny --data shapes:64 --steps 2 --batch 8 --log-every 1 \
    --checkpoint-every 2 --threads "$t" -o "$dir/split$t" 2>/dev/null || fail "train --threads $t"
done
/usr/bin/python3 - "$dir/split1/metrics.jsonl" "$dir/split2/metrics.jsonl" <<'PY' || fail "1 and 2 threads trained differently"
import json, sys
a, b = ([json.loads(line) for line in open(path)] for path in sys.argv[1:])
assert len(a) == len(b) == 2, (len(a), len(b))
for x, y in zip(a, b):
    for key in ("loss_ebm", "loss_init", "energy_pos", "energy_neg"):
        assert abs(x[key] - y[key]) <= 1e-4 * (1 + abs(x[key])), (key, x[key], y[key])
PY
# The authors' torch.save format (docs/import.md): import, info, and sampling straight from it.
src=$(cd "$(dirname "$0")/../.." && pwd)
/usr/bin/python3 "$src/tests/cdrl/official/make_official_fixtures.py" "$dir/official" > /dev/null \
  || fail "official fixtures"
"$cdrl" import "$dir/official/cond.pth.tar" > "$dir/import.txt" 2>/dev/null || fail "import"
grep -q "10 classes, ema weights" "$dir/import.txt" || fail "import summary: $(cat "$dir/import.txt")"
[ -s "$dir/official/cond.safetensors" ] || fail "import output beside the input"
"$cdrl" info "$dir/official/cond.safetensors" | grep -q '"source": "cond.pth.tar"' || fail "info source"
sha=$(sha256sum "$dir/official/cond.pth.tar" | cut -d' ' -f1)
"$cdrl" info "$dir/official/cond.safetensors" | grep -q "\"source_sha256\": \"$sha\"" || fail "info sha256"
"$cdrl" sample "$dir/official/uncond.pth.tar" -n 2 --steps 1 -o "$dir/imported.png" 2>/dev/null \
  || fail "sample from a .pth.tar"
[ -s "$dir/imported.png" ] || fail "sample grid from a .pth.tar"
expect_error "is the input file" import "$dir/official/cond.pth.tar" -o "$dir/official/cond.pth.tar"
expect_error "never overwrites" calibrate "$dir/official/uncond.pth.tar"
printf 'PK\003\004garbage' > "$dir/bad.pth.tar"
expect_error "not a zip archive" import "$dir/bad.pth.tar"
# SIGTERM and SIGHUP stop training like SIGINT: exit 130 with the checkpoint saved.
for sig in TERM HUP; do
  "$cdrl" train --preset toy2d --data toy:moons --steps 1000000 --batch 32 --log-every 5 \
    --checkpoint-every 1000000 -o "$dir/sig$sig" 2> "$dir/sig$sig.log" &
  pid=$!
  for _ in $(seq 600); do [ -s "$dir/sig$sig/metrics.jsonl" ] && break; sleep 0.1; done
  kill -"$sig" "$pid"
  wait "$pid"; rc=$?
  [ "$rc" -eq 130 ] || fail "SIG$sig: exit $rc"
  grep -q "checkpoint saved" "$dir/sig$sig.log" || fail "SIG$sig: $(cat "$dir/sig$sig.log")"
  "$cdrl" info "$dir/sig$sig/checkpoint.safetensors" | grep -q '"resumable": true' \
    || fail "SIG$sig: no resumable checkpoint"
done
# Flags a hostile user tries (issue 16).
expect_error "must not be negative" sample "$dir/run/checkpoint.safetensors" --class -5
expect_error "must not be negative" sample "$dir/run/checkpoint.safetensors" --seed -1
expect_error "must be positive" train --preset toy2d --data toy:moons --steps 0 -o "$dir/x"
cp "$dir/run/checkpoint.safetensors" "$dir/keep.safetensors"
expect_error "is the input checkpoint" sample "$dir/keep.safetensors" --tensors "$dir/keep.safetensors"
cmp -s "$dir/run/checkpoint.safetensors" "$dir/keep.safetensors" || fail "--tensors overwrote the input"
"$cdrl" info --threads 64 "$dir/keep.safetensors" 2>&1 >/dev/null | grep -q "more than this machine's" \
  || fail "--threads above the core count"
studio="$(dirname "$cdrl")/cdrl-studio"
env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=xcb "$studio" --help > "$dir/studio-help.txt" 2>&1 \
  || fail "cdrl-studio --help without a display: $(cat "$dir/studio-help.txt")"
grep -q "Usage:" "$dir/studio-help.txt" || fail "cdrl-studio --help printed no usage"
# Bounded resources (issue 16): sizes from flags and files are checked before any allocation.
expect_error "not a whole number" train --data toy:moons:1e11 --steps 1 -o "$dir/x"
expect_error "this machine allows" train --preset shapes-tiny --data shapes:100000000 --steps 1 -o "$dir/x"
expect_error "batch is 100000000; the limit is 65536" train --data toy:moons --batch 100000000 --steps 1 -o "$dir/x"
/usr/bin/python3 - "$dir/keep.safetensors" "$dir/bigT.safetensors" <<'PY' || fail "crafting a checkpoint with T = 2^31 - 1"
import json, struct, sys
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
config = json.loads(header["__metadata__"]["config"])
config["schedule"]["T"] = 2**31 - 1
header["__metadata__"]["config"] = json.dumps(config)
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + data[8 + n:])
PY
expect_error "T is 2147483647; the limit is 1000" sample "$dir/bigT.safetensors" -n 2
mkfifo "$dir/fifo.safetensors"
timeout 20 "$cdrl" info "$dir/fifo.safetensors" > "$dir/fifo.txt" 2>&1
[ $? -eq 1 ] && grep -q "not a regular file" "$dir/fifo.txt" || fail "a FIFO checkpoint: $(cat "$dir/fifo.txt")"
# A 20000×20000 PNG header (1.6 GB decoded) given to ood is refused from its header.
mkdir -p "$dir/huge"
/usr/bin/python3 - "$dir/huge/huge.png" <<'PY'
import struct, sys, zlib
ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
PY
expect_error "20000×20000 pixels; the limit" ood "$dir/split1/checkpoint.safetensors" --score energy "$dir/huge/huge.png"

# Nothing lost: an output the disk refuses (here the file-size limit, as a full disk would) is an
# error with a non-zero exit, and leaves neither a cut-off file nor a temporary.
( trap '' XFSZ; ulimit -f 16; exec "$cdrl" sample "$dir/split1/checkpoint.safetensors" -n 64 -K 1 \
    -o "$dir/full.png" ) > "$dir/full.txt" 2>&1 && fail "a grid the disk refused exited 0"
grep -q "full.png: cannot write: File too large" "$dir/full.txt" || fail "disk full: $(tail -1 "$dir/full.txt")"
[ -z "$(ls "$dir" | grep '^full.png')" ] || fail "a partial grid or temporary was left: $(ls "$dir" | grep full.png)"
( trap '' XFSZ; ulimit -f 1; exec "$cdrl" ood "$dir/run/checkpoint.safetensors" --score energy \
    toy:moons:2000 --csv "$dir/scores.csv" ) > /dev/null 2> "$dir/csv.txt" && fail "a CSV the disk refused exited 0"
[ ! -e "$dir/scores.csv" ] || fail "a cut-off CSV was left ($(wc -c < "$dir/scores.csv") bytes)"

# One run per folder; temporaries of a killed save are cleaned; resume flags override or refuse.
"$cdrl" train --preset toy2d --data toy:moons --steps 1000000 --batch 32 --checkpoint-every 1000000 \
  -o "$dir/locked" 2> /dev/null &
pid=$!
for _ in $(seq 600); do [ -s "$dir/locked/metrics.jsonl" ] && break; sleep 0.1; done
expect_error "another training run (pid $pid) is writing into" train --data toy:moons --steps 5 -o "$dir/locked"
kill -INT "$pid"; wait "$pid"
touch "$dir/run/checkpoint.safetensors.tmp.999999999"
"$cdrl" train --resume "$dir/run/checkpoint.safetensors" --steps 45 -K 4 --data toy:moons:3000 \
  -o "$dir/run" 2> "$dir/resume2.log" || fail "resume with -K and --data: $(cat "$dir/resume2.log")"
[ ! -e "$dir/run/checkpoint.safetensors.tmp.999999999" ] || fail "orphan temporary kept"
grep -q "removed 1 temporary file" "$dir/resume2.log" || fail "no note on the removed temporary"
grep -q "Langevin steps per level .* → 4, data toy:moons → toy:moons:3000" "$dir/resume2.log" \
  || fail "resume changes not reported: $(cat "$dir/resume2.log")"
"$cdrl" info "$dir/run/checkpoint.safetensors" > "$dir/info2.txt"
grep -q '"K": 4' "$dir/info2.txt" && grep -q '"dataset": "toy:moons:3000"' "$dir/info2.txt" \
  || fail "resume changes not recorded: $(cat "$dir/info2.txt")"
expect_error "a resumed run keeps its networks" train --resume "$dir/run/checkpoint.safetensors" \
  --preset fmnist-tiny --steps 50 -o "$dir/run"
expect_error "a resumed run keeps its networks" train --resume "$dir/run/checkpoint.safetensors" \
  --conditional --steps 50 -o "$dir/run"
echo "cli smoke: all checks passed"

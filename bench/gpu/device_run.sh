#!/usr/bin/env bash
# On a GPU machine (docs/gpu.md), from the repository root: build the core and `cdrl` against
# python3's PyTorch LibTorch and the prefix of bench/gpu/offline_prefix.sh, smoke-test them on
# cuda, check NCCL with two ranks, then continue runs/faces-tiny at batch 32 and 128 side by side
# until END_S seconds after the start, and (EVAL=1) evaluate both. Files land in $OUT.
#   bench/gpu/device_run.sh PREFIX full|train END_S [EVAL=0|1]
set -u
D=$(realpath "$1"); MODE=$2; END_S=$3; EVAL=${4:-0}
R=$PWD; O=${OUT:-/tmp/out}; mkdir -p "$O"
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
B=$R/build/gpu/app/cdrl
export PATH=/usr/local/cuda/bin:$PATH

if [ ! -x "$B" ]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())'
  g++ --version | head -1; cmake --version | head -1; nproc
  TP=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')
  echo "torch include: $(ls $TP/include | tr '\n' ' ')"
  CRYPTO=$(ls /usr/lib/x86_64-linux-gnu/libcrypto.so.3 /usr/lib64/libcrypto.so.3 2>/dev/null | head -1)
  echo "crypto: $CRYPTO"
  NCCL_INC=$(python3 -c 'import nvidia.nccl as n,os;print(os.path.join(list(n.__path__)[0],"include"))' 2>/dev/null)
  echo "nccl include: $NCCL_INC $(ls $NCCL_INC 2>/dev/null | tr '\n' ' ')"
  el configure
  cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCDRL_BUILD_STUDIO=OFF \
    -DCMAKE_PREFIX_PATH="$TP/share/cmake;$D" -DOpenCV_DIR=$D/opencv/lib/cmake/opencv4 \
    -DZLIB_INCLUDE_DIR=$D/include -DZLIB_LIBRARY=$D/lib/libz.a \
    -DOPENSSL_INCLUDE_DIR=$D/include -DOPENSSL_CRYPTO_LIBRARY=$CRYPTO \
    -DCMAKE_FIND_PACKAGE_PREFER_CONFIG=ON -DTORCH_CUDA_ARCH_LIST=9.0 \
    -DCMAKE_CXX_FLAGS="${NCCL_INC:+-I$NCCL_INC}" -DCMAKE_EXE_LINKER_FLAGS=-Wl,--no-as-needed > $O/build.log 2>&1 \
    || { tail -60 $O/build.log; exit 1; }
  grep -i "torch\|cuda\|nccl" $O/build.log | head -20
  el build
  ninja -C build/gpu -k 0 cdrl >> $O/build.log 2>&1; rc=$?
  el "build rc=$rc"
  if [ $rc != 0 ]; then
    grep -B2 -A6 "error" $O/build.log | head -150
    exit 1
  fi
  ldd $B | grep -E "torch|nccl|gomp|crypto|not found"
fi
export OMP_NUM_THREADS=4

if [ "$MODE" = full ]; then
  el smoke-train
  timeout 120 $B train --device cuda --preset faces-tiny --data faces:2000 --conditional \
    --steps 40 --log-every 10 --checkpoint-every 20 -o /tmp/smoke 2>&1 | tail -6
  el smoke-sample
  timeout 60 $B sample /tmp/smoke/checkpoint.safetensors --device cuda -n 8 \
    --concept Male=1:3 -o $O/smoke.png --strip /tmp/smoke/strip.png 2>&1 | tail -3
  el nccl
  export MASTER_ADDR=127.0.0.1 MASTER_PORT=29517 WORLD_SIZE=2
  for r in 0 1; do
    RANK=$r LOCAL_RANK=$r timeout 90 $B train --device cuda --preset toy2d --data toy:8gaussians \
      --steps 30 --log-every 10 --checkpoint-every 30 --dist-timeout 30 -o /tmp/nccl \
      > /tmp/nccl$r.log 2>&1 &
  done
  wait
  unset MASTER_ADDR MASTER_PORT WORLD_SIZE
  tail -n 4 /tmp/nccl0.log /tmp/nccl1.log
fi

el train
mkdir -p gpu-runs
start() {  # name batch
  local dir=gpu-runs/$1
  if [ ! -f $dir/checkpoint.safetensors ]; then
    mkdir -p $dir; cp runs/faces-tiny/checkpoint.safetensors runs/faces-tiny/metrics.jsonl $dir/
  fi
  $B train --device cuda --resume $dir/checkpoint.safetensors --batch $2 --steps 1000000 \
    --checkpoint-every 500 -o $dir > /tmp/$1.log 2>&1 &
  echo $!
}
PA=$(start faces-b32 32)
PB=$(start faces-b128 128)
sleep 30; tail -n 2 /tmp/faces-b32.log /tmp/faces-b128.log
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
RESERVE=$([ "$EVAL" = 1 ] && echo 150 || echo 40)
LEFT=$(( T0 + END_S - RESERVE - $(date +%s) ))
el "training $LEFT s more"
[ $LEFT -gt 0 ] && sleep $LEFT
kill -INT $PA $PB
for i in $(seq 60); do kill -0 $PA 2>/dev/null || kill -0 $PB 2>/dev/null || break; sleep 1; done
tail -n 3 /tmp/faces-b32.log /tmp/faces-b128.log
for n in b32 b128; do
  cp gpu-runs/faces-$n/checkpoint.safetensors $O/faces-$n.safetensors
  cp gpu-runs/faces-$n/metrics.jsonl $O/faces-$n-metrics.jsonl
done
if [ "$EVAL" = 1 ]; then
  for n in b32 b128; do
    el eval $n
    timeout 50 $B eval gpu-runs/faces-$n/checkpoint.safetensors --device cuda \
      --classifier resources/models/faces-classifier.safetensors -n 400 --steps 15 --guidance 0,3 \
      --compose Male=1:3,Smiling=1:3,Young=1:3 --compose Male=0:3,Smiling=1:3,Eyeglasses=1:3 \
      --json $O/eval-$n.json 2>&1 | tail -30
  done
fi
el end

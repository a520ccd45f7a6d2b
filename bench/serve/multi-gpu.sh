#!/usr/bin/env bash
# samp serve --device cuda --workers 2 on a 2-GPU machine (run there with .cuda-carry from pack.mjs + pack-cli.sh):
# each worker's session must sit on its own GPU (nvidia-smi per-process memory).
set -uo pipefail
OUT=${OUT:-/tmp/samp-out}; mkdir -p "$OUT"
xz -d -c .cuda-carry/node.xz > /tmp/node && chmod +x /tmp/node && export PATH=/tmp:$PATH
BUILD=/tmp/samp-cuda-build
[ -f $BUILD/cuda/samp_cuda.node ] || cmake -S native -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAMP_BUILD_CPU=OFF -DSAMP_BUILD_CUDA=ON \
  -DSAMP_BUILD_TESTS=OFF -DSAMP_NODE_API_HEADERS_DIR="$PWD/.cuda-carry/napi/node-api-headers" \
  -DSAMP_NODE_ADDON_API_DIR="$PWD/.cuda-carry/napi/node-addon-api" > "$OUT/build.log" 2>&1 &&
  cmake --build $BUILD -j 16 --target samp_cuda >> "$OUT/build.log" 2>&1 || { grep -B2 -A12 -i 'error' "$OUT/build.log" | head -60; exit 1; }
pkill -f samp-cli.mjs || true
export SAMP_CUDA_BINDING=$(find $BUILD -name samp_cuda.node | head -1)
nvidia-smi --query-gpu=index,name,memory.used --format=csv,noheader
node .cuda-carry/samp-cli.mjs serve --model tnews=packages/model-tnews-zh-small/model --device cuda --precision fp16 --workers 2 --port 8091 > /tmp/serve.log 2>&1 &
PID=$!
for i in $(seq 1 60); do grep -q listening /tmp/serve.log && break; sleep 1; done; echo "waited $i s"
cat /tmp/serve.log
CURLS=""; for i in $(seq 1 20); do curl -s -m 20 -X POST localhost:8091/v1/predict -H 'content-type: application/json' -d '{"inputs":["国足主场两球战胜对手，取得世预赛首胜","央行宣布下调存款准备金率0.5个百分点"]}' > /tmp/r$i.json & CURLS="$CURLS $!"; done; wait $CURLS; cp /tmp/r1.json /tmp/r.json
echo; cut -c1-200 /tmp/r.json; echo
echo "== per-process GPU memory (pid, gpu bus, MiB):"
nvidia-smi --query-compute-apps=pid,gpu_bus_id,used_memory --format=csv,noheader
nvidia-smi --query-gpu=index,pci.bus_id,memory.used --format=csv,noheader
kill -TERM $PID; wait $PID; echo "serve exit $?"

#!/usr/bin/env bash
# One call on the GPU machine (run from the repository root, with .cuda-carry made by pack.mjs):
# builds samp_cuda.node with plain CMake against the carried Node-API headers, runs ctest, every
# encoder-cuda test file (bundled), compute-sanitizer memcheck and racecheck over the golden and
# session tests, the native profile tool (samp_cuda_profile: variants, per-op GPU time, GEMM tunings),
# then the bench (PyTorch peer, samp, the vendor libraries' bare products). Logs and results land in $OUT.
#   bash packages/encoder-cuda/device/gpu-run.sh [tests|bench|all|profile|sanitize] [--compile]
# Environment: TEST_FILTER (a test file name part), SANITIZE_TESTS (test names for the sanitizers),
# SKIP_PROFILE=1, SKIP_FLOAT_BENCH=1 (only the mixed-precision bench).
# profile: the profile tool over the experiment variants, the tests without the sanitizers, the bench.
set -uo pipefail
MODE=${1:-all}
COMPILE=${2:-}
OUT=${OUT:-/tmp/samp-out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv
source packages/encoder-cuda/device/build-addon.sh
build_addon all
(cd $BUILD && ctest --output-on-failure 2>&1 | tail -4)
PROFILE=$BUILD/cuda/samp_cuda_profile
if [ "$MODE" = profile ]; then
  start=$(date +%s)
  timeout 240 $PROFILE --profile --check-gelu \
    'before:SAMP_CUDA_ATTENTION=wmma,SAMP_CUDA_GEMM_TUNE=0' \
    'mma-only:SAMP_CUDA_GEMM_TUNE=0' \
    'mma+residual:SAMP_CUDA_GEMM_TUNE=0,SAMP_CUDA_RESIDUAL_EPILOGUE=1' \
    'default(mma+tune8)' \
    'tune16:SAMP_CUDA_GEMM_CANDIDATES=16' \
    'gelu-tanh-epilogue:SAMP_CUDA_ACT_EPILOGUE=1,SAMP_CUDA_GELU_EPILOGUE=tanh' \
    'fp16-accumulate:SAMP_CUDA_GEMM_COMPUTE=16f' > "$OUT/profile.md" 2>&1
  echo "profile exit $? in $(( $(date +%s) - start )) s"
  head -20 "$OUT/profile.md"
fi
if [ "$MODE" = all ] && [ "${SKIP_PROFILE:-}" != 1 ]; then
  # PROFILE_VARIANTS: space-separated variants to profile (label:ENV=V,...); default the FP16 ones.
  if [ -n "${PROFILE_VARIANTS:-}" ]; then
    timeout 200 $PROFILE --profile $PROFILE_VARIANTS > "$OUT/profile.md" 2>&1
  else
    timeout 150 $PROFILE --profile 'default' \
      'fused-gelu-tanh:SAMP_CUDA_ACT_EPILOGUE=1,SAMP_CUDA_GELU_EPILOGUE=tanh' \
      'before:SAMP_CUDA_ATTENTION=wmma,SAMP_CUDA_GEMM_TUNE=0' > "$OUT/profile.md" 2>&1
  fi
  echo "profile exit $?"; head -6 "$OUT/profile.md"
fi
if [ "$MODE" = tests ] || [ "$MODE" = all ] || [ "$MODE" = profile ]; then
  start=$(date +%s)
  node .cuda-carry/run-tests.mjs ${TEST_FILTER:-} > "$OUT/tests.log" 2>&1
  echo "tests exit $? in $(( $(date +%s) - start )) s"
  grep -E '^\{|✗|^# .*FAILED|all test|failed$' "$OUT/tests.log" | head -60
  grep -A6 '✗' "$OUT/tests.log" | head -60
fi
if [ "$MODE" = bench ] || [ "$MODE" = all ] || [ "$MODE" = profile ]; then
  start=$(date +%s)
  PYTHONUNBUFFERED=1 timeout 420 python3 bench/cuda-encoder/torch_peer.py --out /tmp/bert-base $COMPILE 2>&1 | grep -v Warning | tee "$OUT/torch.log" | tail -8
  echo "torch: $(( $(date +%s) - start )) s"
  if [ "${SKIP_FLOAT_BENCH:-}" != 1 ]; then
    node .cuda-carry/bench.mjs --model /tmp/bert-base --json "$OUT/bench.json" 2> "$OUT/bench.err" | tee "$OUT/bench.md"
    tail -3 "$OUT/bench.err"
  fi
  node .cuda-carry/bench-mixed.mjs --model /tmp/bert-base --json "$OUT/bench-mixed.json" 2> "$OUT/bench-mixed.err" | tee "$OUT/bench-mixed.md"
  tail -3 "$OUT/bench-mixed.err"
  # What the vendor libraries' bare products and flash attention alone take, in the same run.
  timeout 120 python3 bench/cuda-encoder/gemm_bound.py --json "$OUT/gemm-bound.json" 2>&1 | tee "$OUT/gemm-bound.md"
fi
# The sanitizers last (the slowest part): the bench rows above are in $OUT whatever happens here.
if [ "$MODE" = tests ] || [ "$MODE" = all ] || [ "$MODE" = sanitize ]; then
  for tool in memcheck racecheck; do
    for t in ${SANITIZE_TESTS-golden session tnews mixed-precision}; do
      start=$(date +%s)
      timeout ${SANITIZER_TIMEOUT:-150} compute-sanitizer --tool $tool --error-exitcode 9 node .cuda-carry/tests/$t.test.mjs > "/tmp/$tool-$t.log" 2>&1
      echo "$tool $t: exit $? in $(( $(date +%s) - start )) s; $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "/tmp/$tool-$t.log" | tail -1)" | tee -a "$OUT/sanitizer.log"
      grep -E '^=========' "/tmp/$tool-$t.log" | head -40 >> "$OUT/sanitizer.log"
    done
  done
fi

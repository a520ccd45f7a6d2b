#!/usr/bin/env bash
# Builds native/ with plain CMake (unit tests + benchmark, no addons, no CUDA), runs ctest, the
# int8 test alone (line-buffered, so a crash still leaves its output) and the int8 benchmark
# (M=1536,N=1024,K=256 and M=4096,N=3072,K=768, 1 and $THREADS threads). Results go to $OUT.
# Run from the repository root; used once on the GPU machine's Xeon (see NOTES.md, Results).
set -u
OUT=${OUT:-/tmp/samp-int8-out}
THREADS=${THREADS:-16}
B=${BUILD_DIR:-/tmp/samp-int8-build}
mkdir -p "$OUT"
{
  lscpu
  grep -m1 '^flags' /proc/cpuinfo
  g++ --version | head -1
  cmake --version | head -1
} >"$OUT/machine.txt" 2>&1
grep -E 'Model name|^CPU\(s\)|Thread|Core|Socket' "$OUT/machine.txt"

cmake -S native -B "$B" -DCMAKE_BUILD_TYPE=Release -DSAMP_BUILD_ADDONS=OFF -DSAMP_BUILD_TESTS=ON \
  -DSAMP_BUILD_CUDA=OFF >"$OUT/configure.log" 2>&1 || { echo "configure failed"; tail -30 "$OUT/configure.log"; exit 1; }
grep 'samp int8' "$OUT/configure.log"
# The int8 targets first, so a failure elsewhere cannot hide them; then everything.
cmake --build "$B" -j "$THREADS" --target int8_gemm_test bench_int8_gemm >"$OUT/build.log" 2>&1 ||
  { echo "int8 build failed"; grep -E 'error' "$OUT/build.log" | head -30; }
cmake --build "$B" -j "$THREADS" >>"$OUT/build.log" 2>&1 || echo "full build failed (see build.log)"

timeout 120 ctest --test-dir "$B" --output-on-failure >"$OUT/ctest.log" 2>&1
echo "ctest rc=$?"; grep -E 'tests passed|Test +#|Passed|Failed' "$OUT/ctest.log" | tail -8
timeout 60 stdbuf -oL -eL "$B/tests/int8_gemm_test" >"$OUT/int8-gemm-test.log" 2>&1
echo "int8_gemm_test rc=$?"; grep -vE '^(gelu|relu)' "$OUT/int8-gemm-test.log" | grep -v 'CHECK FAILED' | head -40
grep -c 'CHECK FAILED' "$OUT/int8-gemm-test.log"; grep -m5 'CHECK FAILED' "$OUT/int8-gemm-test.log"

timeout 150 stdbuf -oL "$B/cpu/int8/bench_int8_gemm" --threads 1 --threads "$THREADS" >"$OUT/bench.md" 2>&1
rc=$?
echo "bench rc=$rc"; cat "$OUT/bench.md"
if [ $rc -ne 0 ]; then  # one process per ISA, so one crash does not hide the others
  for isa in avx2 avx-vnni avx512-vnni amx-int8; do
    timeout 40 "$B/cpu/int8/bench_int8_gemm" --no-fp32 --isa "$isa" --threads 1 --threads "$THREADS" \
      >"$OUT/bench-$isa.md" 2>&1
    echo "bench $isa rc=$?"; grep '^|' "$OUT/bench-$isa.md" | tail -4
  done
fi

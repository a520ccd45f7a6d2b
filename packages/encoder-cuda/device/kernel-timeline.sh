#!/usr/bin/env bash
# Kernel timelines of samp_cuda_profile's graph replays on the GPU machine (run from the repository
# root after build_addon all): builds kernel-trace.cc against CUPTI and prints kernel-timeline.py's
# table for each "batch variant" argument, e.g.
#   bash packages/encoder-cuda/device/kernel-timeline.sh "1 fp16" "32 int8-full SAMP_CUDA_PDL=0"
# (a third word sets the environment of that run, for knobs the profile tool does not pass on).
# Tracing adds ~0.1 µs a kernel of its own; compare timelines with each other, not with the bench.
set -uo pipefail
BUILD=${BUILD:-/tmp/samp-cuda-build}
here=$(dirname "$0")
cupti=/usr/local/cuda/targets/x86_64-linux
latest() {
  local name
  name=$(grep -hoE "CUpti_Activity$1[0-9]+" $cupti/include/cupti_activity*.h | sort -V | tail -1)
  echo "${name:-CUpti_Activity$1}"
}
g++ -O2 -shared -fPIC -DKERNEL_RECORD="$(latest Kernel)" -DMEMSET_RECORD="$(latest Memset)" \
  -DMEMCPY_RECORD="$(latest Memcpy)" -I$cupti/include "$here/kernel-trace.cc" \
  -L$cupti/lib -lcupti -Wl,-rpath,$cupti/lib -o /tmp/kernel-trace.so || exit 1
for run in "$@"; do
  set -- $run
  echo "=== batch $1, $2 ${3:-}"
  env ${3:-} TRACE_OUT=/tmp/kernel-trace.csv CUDA_INJECTION64_PATH=/tmp/kernel-trace.so \
    timeout 120 "$BUILD/cuda/samp_cuda_profile" --iters 20 --batches "$1" "$2" | grep -E '^\| [a-z]' | tail -1
  python3 "$here/kernel-timeline.py" /tmp/kernel-trace.csv 24 |
    sed -E 's/_ZN4samp4cuda[0-9]+_GLOBAL__N__[0-9a-f]+_[0-9]+_//'
done

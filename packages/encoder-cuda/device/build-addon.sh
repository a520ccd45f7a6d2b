#!/usr/bin/env bash
# Sourced by the GPU-machine scripts (gpu-run.sh, cli-check.sh, recommend-check.sh), which run from
# the repository root with .cuda-carry made by pack.mjs. Defines build_addon, which puts the carried
# Node on PATH and builds the addons with plain CMake against the carried Node-API headers:
#   source packages/encoder-cuda/device/build-addon.sh   # by its path from the root, as pack-cli.sh
#                                                         # also copies the scripts to .cuda-carry
#   build_addon cuda   # samp_cuda.node only: no CPU backend, no tests
#   build_addon all    # CPU + CUDA backends and every target (ctest tests, samp_cuda_profile)
# It exports SAMP_REPO_ROOT and SAMP_CUDA_BINDING (with `all` also SAMP_CPU_BINDING), leaves the
# build tree in $BUILD and its log in $OUT/build.log, and exits the calling script when the build
# fails (after printing the errors).
BUILD=/tmp/samp-cuda-build

build_addon() {
  local what=${1:?build_addon: cuda or all}
  local cpu tests target
  case $what in
    cuda) cpu=OFF tests=OFF target='--target samp_cuda' ;;
    all) cpu=ON tests=ON target= ;;
    *) echo "build_addon: unknown build '$what' (cuda or all)" >&2; exit 2 ;;
  esac
  export SAMP_REPO_ROOT=$PWD
  xz -d -c .cuda-carry/node.xz > /tmp/node && chmod +x /tmp/node && export PATH=/tmp:$PATH
  local start
  start=$(date +%s)
  cmake -S native -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAMP_BUILD_CPU=$cpu -DSAMP_BUILD_CUDA=ON \
    -DSAMP_BUILD_TESTS=$tests -DSAMP_NODE_API_HEADERS_DIR="$PWD/.cuda-carry/napi/node-api-headers" \
    -DSAMP_NODE_ADDON_API_DIR="$PWD/.cuda-carry/napi/node-addon-api" > "$OUT/build.log" 2>&1 &&
    cmake --build $BUILD -j 16 $target >> "$OUT/build.log" 2>&1 || { grep -B2 -A12 -i 'error' "$OUT/build.log" | head -80; exit 1; }
  echo "build: $(( $(date +%s) - start )) s"
  export SAMP_CUDA_BINDING=$(find $BUILD -name samp_cuda.node | head -1)
  if [ "$what" = all ]; then
    # The CPU addon too: the mixed-precision tests compare with the CPU backend's INT8 arithmetic.
    export SAMP_CPU_BINDING=$(find $BUILD -name samp_cpu.node | head -1)
  fi
}

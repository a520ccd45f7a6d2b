#!/usr/bin/env bash
# A/B timing on the GPU machine (run from the repository root, with .cuda-carry made by
# `pack.mjs --tree name=ref ...`): the working tree's samp_cuda_profile against each carried tree's
# (.cuda-carry/trees/<name>/native, built alongside), every tree × variant × round in a process of
# its own (the fused-or-split choices are process-wide, and the rounds show the noise), then the
# graph medians side by side in $OUT/ab.md. Each carried tree's kernel test runs first (under a
# timeout: a kernel that hangs shows there); a tree whose test fails is not timed.
#   bash packages/encoder-cuda/device/ab-profile.sh [rounds] [variant ...]
# A variant is samp_cuda_profile's label[:VAR=value,...] (labels int8-full* and fp8* set the
# precision), or tree/label[:VAR=value,...] to time it on that tree only (a setting only that tree
# knows); default: 2 rounds of fp16 and int8-full. AB_BATCHES=1 (say) times only those batches
# (the table's batch columns are then those, in order, and the rest blank). e.g.
#   node packages/encoder-cuda/device/pack.mjs --tree main=main --tree pair=tma-pair   (here)
#   bash packages/encoder-cuda/device/ab-profile.sh 2 fp16 int8-full                  (there)
set -uo pipefail
OUT=${OUT:-/tmp/samp-out}
mkdir -p "$OUT"
ROUNDS=${1:-2}
shift || true
VARIANTS=("$@")
[ ${#VARIANTS[@]} -eq 0 ] && VARIANTS=(fp16 int8-full)
source packages/encoder-cuda/device/build-addon.sh
NAPI=(-DSAMP_NODE_API_HEADERS_DIR="$PWD/.cuda-carry/napi/node-api-headers"
  -DSAMP_NODE_ADDON_API_DIR="$PWD/.cuda-carry/napi/node-addon-api")
names=(work)
for dir in .cuda-carry/trees/*/; do
  [ -d "$dir/native" ] || continue
  name=$(basename "$dir")
  names+=("$name")
  (cmake -S "$dir/native" -B "/tmp/tree-$name" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAMP_BUILD_CPU=OFF \
    -DSAMP_BUILD_CUDA=ON -DSAMP_BUILD_TESTS=ON "${NAPI[@]}" > "/tmp/tree-$name.log" 2>&1 &&
    cmake --build "/tmp/tree-$name" -j 4 --target samp_cuda_profile cuda_quant_kernels_test \
      >> "/tmp/tree-$name.log" 2>&1 ||
    { echo "tree $name: build failed"; grep -B2 -A8 -i error "/tmp/tree-$name.log" | head -30; }) &
done
build_addon all
wait
timed=(work)
for name in "${names[@]:1}"; do
  if timeout 180 "/tmp/tree-$name/tests/cuda_quant_kernels_test" > "$OUT/kernel-test-$name.log" 2>&1; then
    timed+=("$name")
  else
    echo "tree $name: kernel test failed (exit $?), not timed:"
    grep -E 'FAILED|failed' "$OUT/kernel-test-$name.log" | head -10
  fi
done
tool() { [ "$1" = work ] && echo "$BUILD/cuda/samp_cuda_profile" || echo "/tmp/tree-$1/cuda/samp_cuda_profile"; }
{
  echo "| tree | variant | round | batch 1 (ms) | batch 32 (ms) | batch 128 (ms) |"
  echo "|---|---|---:|---:|---:|---:|"
} > "$OUT/ab.md"
for round in $(seq 1 "$ROUNDS"); do
  for variant in "${VARIANTS[@]}"; do
    only=
    spec=$variant
    if [[ ${variant%%:*} == */* ]]; then
      only=${variant%%/*}
      spec=${variant#*/}
    fi
    for name in "${timed[@]}"; do
      [ -n "$only" ] && [ "$only" != "$name" ] && continue
      log=$(timeout 120 "$(tool "$name")" ${AB_BATCHES:+--batches "$AB_BATCHES"} "$spec" 2>&1)
      row=$(echo "$log" | grep -E '^\| [^ ]' | grep -v '^| variant' | tail -1)
      if [ -z "$row" ]; then
        why=$( (echo "$log" | grep -i error || echo "$log") | tail -1 | tr '|' '/')
        echo "| $name | $variant | $round | failed: $why | | |" >> "$OUT/ab.md"
        continue
      fi
      # The tool's row: | label | attention | b1 | b32 | b128 | diff |
      echo "$row" | awk -F'|' -v t="$name" -v v="$variant" -v r="$round" \
        '{ printf "| %s | %s | %s |%s|%s|%s|\n", t, v, r, $4, $5, $6 }' >> "$OUT/ab.md"
    done
  done
done
cat "$OUT/ab.md"

#!/usr/bin/env bash
# The CPU encoder on the GPU machine's Xeon (AMX-INT8, AVX-512 VNNI; no Node.js there): builds
# native/ with plain CMake (no addon), runs the INT8 / FP32 kernel ctests on that hardware, times
# bench_encoder on a BERT-base shape (12 layers, hidden 768, 12 heads, FFN 3072; random weights)
# and, in the same command, onnxruntime 1.30 (Python, CPU EP) on a random BERT-base exported and
# quantized with scripts/export/export_onnx.py, both with the same threads and batch shapes.
#
#   bash bench/cpu-encoder/device-bench.sh   # from the repository root; logs under $OUT
set -u
OUT=${OUT:-/tmp/device-bench-out}
THREADS=${THREADS:-16}
SEQ=${SEQ:-128}
mkdir -p "$OUT"
lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | sed 's/Flags:.*\(amx[a-z_0-9 ]*\).*/Flags (amx): \1/' > "$OUT/machine.txt"

# A random BERT-base, exported in the background while the native code builds.
(
  python3 - <<'PY' &&
import torch
from transformers import BertConfig, BertModel
torch.manual_seed(0)
cfg = BertConfig(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                 intermediate_size=3072, max_position_embeddings=512)
BertModel(cfg, add_pooling_layer=False).eval().save_pretrained("/tmp/bert-base-random")
PY
  python3 scripts/export/export_onnx.py /tmp/bert-base-random /tmp/bert-base-onnx
) > "$OUT/export.log" 2>&1 &
EXPORT=$!

cmake -S native -B /tmp/samp-build -DCMAKE_BUILD_TYPE=Release -DSAMP_BUILD_TESTS=ON \
  -DSAMP_BUILD_ADDONS=OFF -DSAMP_BUILD_CUDA=OFF > "$OUT/build.log" 2>&1 &&
  cmake --build /tmp/samp-build -j "$THREADS" --target bench_encoder int8_gemm_test \
    cpu_int8_linear_test cpu_fp32_kernels_test >> "$OUT/build.log" 2>&1 || {
  tail -30 "$OUT/build.log"
  exit 1
}
for t in int8_gemm_test cpu_int8_linear_test cpu_fp32_kernels_test; do
  /tmp/samp-build/tests/$t > "$OUT/$t.log" 2>&1
  echo "$t: exit $? — $(tail -1 "$OUT/$t.log")"
done
grep -E "^isa|gelu|int8 attention" "$OUT/int8_gemm_test.log" "$OUT/cpu_int8_linear_test.log" | head -20

wait $EXPORT
tail -4 "$OUT/export.log"
{
  for b in 1 32; do
    runs=10
    [ "$b" = 1 ] && runs=30
    for mode in fp32 int8 int8-static; do
      /tmp/samp-build/cpu/bench_encoder --layers 12 --hidden 768 --heads 12 --inter 3072 \
        --batch "$b" --seq "$SEQ" --threads "$THREADS" --runs "$runs" --mode "$mode"
    done
  done
  /tmp/samp-build/cpu/bench_encoder --layers 12 --hidden 768 --heads 12 --inter 3072 \
    --batch 32 --seq "$SEQ" --threads "$THREADS" --runs 5 --mode int8-static --profile
  python3 bench/cpu-encoder/ort-peer.py /tmp/bert-base-onnx --seq "$SEQ" --batches 1,32 \
    --threads "$THREADS" --runs 10 --json "$OUT/ort.json"
} 2>&1 | tee "$OUT/bench.log"

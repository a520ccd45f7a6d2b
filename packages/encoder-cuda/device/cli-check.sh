#!/usr/bin/env bash
# On the GPU machine (carry .cuda-carry made by pack.mjs + pack-cli.sh): builds samp_cuda.node, then `samp doctor`,
# `samp encode` and `samp predict --device cuda`, the GPU leak test (CYCLES, default 1000), and compute-sanitizer
# racecheck + memcheck over a light TNEWS predict (the tensor-core attention kernel). Results in $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/samp-out}; mkdir -p "$OUT"
source packages/encoder-cuda/device/build-addon.sh
build_addon cuda
CLI=".cuda-carry/samp-cli.mjs"
echo "== doctor"; node $CLI doctor 2>&1 | tee "$OUT/doctor.txt"
echo "== encode --device cuda (bert fixture, fp32 and fp16)"
for p in fp32 fp16; do
  echo '{"input_ids":[2,10,11,12,13,3]}' | node $CLI encode --model packages/core/fixtures/models/bert --device cuda --precision $p > "$OUT/encode-$p.jsonl" 2> "$OUT/encode-$p.err"; echo "encode $p exit $? $(head -c 160 $OUT/encode-$p.jsonl)"; head -3 "$OUT/encode-$p.err"
done
printf '%s\n' '{"text":"国足主场两球战胜对手，取得世预赛首胜"}' '{"text":"央行宣布下调存款准备金率0.5个百分点"}' '{"text":"新款电动汽车续航突破一千公里，售价公布"}' '{"text":"这款手游上线首日玩家突破百万"}' > /tmp/titles.jsonl
echo "== predict --device cuda fp16 (TNEWS)"
node $CLI predict --model packages/model-tnews-zh-small/model --device cuda --precision fp16 --input /tmp/titles.jsonl 2>&1 | tee "$OUT/predict.jsonl" | cut -c1-120
echo "== leak test"
start=$(date +%s)
SAMP_LEAK_CYCLES=${CYCLES:-1000} timeout 200 node .cuda-carry/tests/leak.test.mjs 2>&1 | tail -6 | tee "$OUT/leak.txt"
echo "leak: $(( $(date +%s) - start )) s"
for tool in racecheck memcheck; do
  start=$(date +%s)
  timeout 120 compute-sanitizer --tool $tool --error-exitcode 9 node $CLI predict --model packages/model-tnews-zh-small/model --device cuda --precision fp16 --input /tmp/titles.jsonl > "/tmp/$tool.log" 2>&1
  echo "$tool predict (TNEWS fp16, mma attention): exit $? in $(( $(date +%s) - start )) s; $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' /tmp/$tool.log | tail -1)" | tee -a "$OUT/sanitizer.txt"
  grep -E '^=========' "/tmp/$tool.log" | head -20 >> "$OUT/sanitizer.txt"
done

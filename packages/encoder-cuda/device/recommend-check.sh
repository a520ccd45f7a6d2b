#!/usr/bin/env bash
# On the GPU machine (carry .cuda-carry made by pack.mjs + pack-cli.sh): builds samp_cuda.node, then for TNEWS
# and SST-2 `samp calibrate --device cuda` and `samp recommend --device cuda` (fp16 base; int8-full, int8-ffn,
# fp8 modes; batch 32 x 64) with the same splits as bench/recommender/xeon/rec-run.sh, and `samp eval` of the
# chosen plan; then `samp predict --device cuda --precision int8|fp8 --profile` on four titles. Results in $OUT.
# CONSTRAINT: the recommend constraint (default "--max-accuracy-drop 1"; empty: the default choice), TAG: a
# suffix for the result files.
set -uo pipefail
OUT=${OUT:-/tmp/samp-out}; mkdir -p "$OUT"
CONSTRAINT=${CONSTRAINT---max-accuracy-drop 1}
TAG=${TAG:-}
source packages/encoder-cuda/device/build-addon.sh
build_addon cuda
CLI=.cuda-carry/samp-cli.mjs
run() { # name dir
  local name=$1 dir=$2
  zcat $dir/dev.jsonl.gz | head -1000 | node -e 'const rl=require("readline").createInterface({input:process.stdin});rl.on("line",l=>{const o=JSON.parse(l);const x={text:o.text,label:o.label};if(o.text_pair)x.text_pair=o.text_pair;console.log(JSON.stringify(x))})' > /tmp/$name-eval.jsonl
  if [ -f .cuda-carry/$name-calib.jsonl ]; then cp .cuda-carry/$name-calib.jsonl /tmp/$name-calib.jsonl; else zcat $dir/dev.jsonl.gz | sed -n 2001,3000p > /tmp/$name-calib.jsonl; fi
  s=$(date +%s); node $CLI calibrate --model $dir --data /tmp/$name-calib.jsonl --device cuda --out /tmp/$name-profile.json --json > $OUT/$name-cuda-calibrate.json 2>&1; echo "$name calibrate (cuda) exit $? $(( $(date +%s) - s )) s"
  s=$(date +%s); node $CLI recommend --model $dir --eval /tmp/$name-eval.jsonl --profile /tmp/$name-profile.json --device cuda \
    --batch-size 32 --seq-len 64 $CONSTRAINT --out $OUT/$name-cuda$TAG-plan.json --report $OUT/$name-cuda$TAG-report.html \
    --json > $OUT/$name-cuda$TAG-recommend.json 2> $OUT/$name-cuda$TAG-recommend.err
  echo "$name recommend (cuda) exit $? $(( $(date +%s) - s )) s"; tail -3 $OUT/$name-cuda$TAG-recommend.err
  node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log("base", r.basePrecision, "choice", r.choice.label, "pred", r.choice.latencyMs?.toFixed(3), "meas", r.choice.measuredLatencyMs?.toFixed(3), "heldOutDrop", r.choice.heldOutDrop, "excluded", JSON.stringify(r.excluded));for(const c of r.latencyChecks??[])console.log(" check", JSON.stringify(c));for(const p of r.frontier??[])console.log(" frontier", JSON.stringify(p))' $OUT/$name-cuda$TAG-recommend.json
}
run tnews packages/model-tnews-zh-small/model
run sst2 models/sst2-en-small
printf '%s\n' '{"text":"国足主场两球战胜对手，取得世预赛首胜"}' '{"text":"央行宣布下调存款准备金率0.5个百分点"}' '{"text":"新款电动汽车续航突破一千公里，售价公布"}' '{"text":"这款手游上线首日玩家突破百万"}' > /tmp/titles.jsonl
for p in int8 fp8; do
  echo "== predict --device cuda --precision $p (TNEWS)"
  node $CLI predict --model packages/model-tnews-zh-small/model --device cuda --precision $p --profile /tmp/tnews-profile.json --input /tmp/titles.jsonl 2>&1 | tee "$OUT/predict-$p.jsonl" | cut -c1-120
done

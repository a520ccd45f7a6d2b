#!/usr/bin/env bash
# On the GPU machine's 16-core Xeon (quiet): samp calibrate + samp recommend on TNEWS and SST-2 (CPU backend),
# to check the recommender's latency prediction against measurement without other load. The latency cache
# keeps the fit plans' medians: `node bench/recommender/refit-latency.mjs --cache <file>` compares models on them.
set -uo pipefail
OUT=${OUT:-/tmp/samp-out}; mkdir -p "$OUT"
xz -d -c .rec-carry/node.xz > /tmp/node && chmod +x /tmp/node && export PATH=/tmp:$PATH
B=/tmp/cpu-build; start=$(date +%s)
cmake -S .rec-carry/native -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAMP_BUILD_CPU=ON -DSAMP_BUILD_CUDA=OFF \
  -DSAMP_BUILD_TESTS=OFF -DSAMP_NODE_API_HEADERS_DIR="$PWD/.rec-carry/napi/node-api-headers" \
  -DSAMP_NODE_ADDON_API_DIR="$PWD/.rec-carry/napi/node-addon-api" > "$OUT/build.log" 2>&1 &&
  cmake --build $B -j 16 --target samp_cpu >> "$OUT/build.log" 2>&1 || { grep -B2 -A12 -i error "$OUT/build.log" | head -40; exit 1; }
echo "build $(( $(date +%s) - start )) s"
export SAMP_CPU_BINDING=$(find $B -name samp_cpu.node | head -1)
CLI=.rec-carry/samp-cli.mjs
lscpu | grep -E 'Model name|^CPU\(s\)'
run() { # name dir threads
  local name=$1 dir=$2 t=$3
  zcat $dir/dev.jsonl.gz | head -1000 | node -e 'const rl=require("readline").createInterface({input:process.stdin});rl.on("line",l=>{const o=JSON.parse(l);const x={text:o.text,label:o.label};if(o.text_pair)x.text_pair=o.text_pair;console.log(JSON.stringify(x))})' > /tmp/$name-eval.jsonl
  if [ -f .rec-carry/$name-calib.jsonl ]; then cp .rec-carry/$name-calib.jsonl /tmp/$name-calib.jsonl; else zcat $dir/dev.jsonl.gz | sed -n 2001,3000p > /tmp/$name-calib.jsonl; fi
  s=$(date +%s); node $CLI calibrate --model $dir --data /tmp/$name-calib.jsonl --device cpu --threads $t --out /tmp/$name-profile.json --json > $OUT/$name-t$t-calibrate.json 2>&1; echo "$name t$t calibrate exit $? $(( $(date +%s) - s )) s"
  s=$(date +%s); node $CLI recommend --model $dir --eval /tmp/$name-eval.jsonl --profile /tmp/$name-profile.json --device cpu --threads $t \
    --batch-size 32 --seq-len 64 --max-accuracy-drop 1 --out /tmp/$name-plan.json --report $OUT/$name-t$t-report.html \
    --latency-cache $OUT/$name-t$t-latency-cache.json --tables-out $OUT/$name-t$t-tables.json --json > $OUT/$name-t$t-recommend.json 2> $OUT/$name-t$t-recommend.err
  echo "$name t$t recommend exit $? $(( $(date +%s) - s )) s"; tail -2 $OUT/$name-t$t-recommend.err
  node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(r.choice.label, "pred", r.choice.latencyMs.toFixed(2), "meas", r.choice.measuredLatencyMs?.toFixed(2), "heldOutDrop", r.choice.heldOutDrop);for(const c of r.latencyChecks??[])console.log(" check", JSON.stringify(c))' $OUT/$name-t$t-recommend.json
}
run tnews packages/model-tnews-zh-small/model 16
run sst2 models/sst2-en-small 16
run tnews packages/model-tnews-zh-small/model 4

#!/usr/bin/env bash
# Adds the `samp` CLI to .cuda-carry (after pack.mjs) for cli-check.sh / recommend-check.sh on the GPU machine,
# which has no node_modules: the CLI bundled from sources, and @samp/encoder-cuda and @samp/encoder-cpu-vnni
# bundled as the installed backend packages it discovers at run time (through .cuda-carry/node_modules; the
# bundled serve-device-memory test finds them there too).
#   node packages/encoder-cuda/device/pack.mjs && bash packages/encoder-cuda/device/pack-cli.sh
set -euo pipefail
ESBUILD=$(ls -d node_modules/.pnpm/esbuild@*/node_modules/esbuild/bin/esbuild | head -1)
BANNER="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
"$ESBUILD" packages/samp/src/cli/main.ts --bundle --platform=node --format=esm --conditions=source \
  --outfile=.cuda-carry/samp-cli.mjs --external:@node-rs/jieba --external:'*.node' --banner:js="$BANNER" --log-level=error
PKG=.cuda-carry/node_modules/@samp/encoder-cuda
mkdir -p "$PKG"
"$ESBUILD" packages/encoder-cuda/src/index.ts packages/encoder-cuda/src/register.ts --bundle --splitting \
  --platform=node --format=esm --conditions=source --outdir="$PKG" --out-extension:.js=.mjs --banner:js="$BANNER" --log-level=error
echo '{"name":"@samp/encoder-cuda","type":"module","exports":{".":"./index.mjs","./register":"./register.mjs"}}' > "$PKG/package.json"
# The CPU backend too, so the bundled serve test's CPU workers find it (samp_cpu.node from SAMP_CPU_BINDING).
CPU=.cuda-carry/node_modules/@samp/encoder-cpu-vnni
mkdir -p "$CPU"
"$ESBUILD" packages/encoder-cpu-vnni/src/index.ts packages/encoder-cpu-vnni/src/register.ts --bundle --splitting \
  --platform=node --format=esm --conditions=source --outdir="$CPU" --out-extension:.js=.mjs --external:'*.node' --banner:js="$BANNER" --log-level=error
echo '{"name":"@samp/encoder-cpu-vnni","type":"module","exports":{".":"./index.mjs","./register":"./register.mjs"}}' > "$CPU/package.json"
cp packages/encoder-cuda/device/cli-check.sh packages/encoder-cuda/device/recommend-check.sh .cuda-carry/
# SST-2's calibration sentences (the first 1,000 of train.tsv), when present (bench/recommender/xeon uses them).
if [ -f "${SST2_CALIB:-/tmp/sst2-calib.jsonl}" ]; then cp "${SST2_CALIB:-/tmp/sst2-calib.jsonl}" .cuda-carry/sst2-calib.jsonl; fi
echo "packed the samp CLI into .cuda-carry ($(du -sh .cuda-carry | cut -f1))"

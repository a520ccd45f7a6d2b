#!/usr/bin/env node
// Per-layer agreement of INT8 with FP32 on every golden fixture model (random weights, 2-3 layers,
// hidden 32): cosine similarity and max |Δ| of each layer's output over the real positions, for
// uniform int8-ffn / int8-full plans and two mixed plans, with dynamic scales and with a
// max-calibrated QuantProfile (calibrated on the fixture's own inputs). The same measurement the
// vitest suite asserts bounds on (packages/encoder-cpu-vnni/test/int8.test.ts); this prints the table.
// Usage: node bench/cpu-encoder/int8-accuracy.mjs   (after building @samp/core and @samp/encoder-cpu-vnni)
import {
  LAYER_ACTIVATION_TAPS,
  layerActivationName,
  loadModel,
  uniformPlan,
} from '../../packages/core/dist/index.js';
import { listFixtureModels, readFixtureInputs } from '../../packages/core/dist/testing/index.js';
import { createCpuBackend } from '../../packages/encoder-cpu-vnni/dist/index.js';

async function calibrateMax(model, fp32, input) {
  const taps = LAYER_ACTIVATION_TAPS.filter((t) => t !== 'attention.scores' && t !== 'attention.probs');
  const names = [];
  for (let l = 0; l < model.config.numHiddenLayers; l++)
    for (const t of taps) names.push(layerActivationName(l, t));
  const out = await fp32.run(input, { observe: names });
  const activations = {};
  for (const name of names) {
    const t = out.observed[name];
    const width = t.shape[2];
    let m = 0;
    for (let pos = 0; pos < input.batchSize * input.sequenceLength; pos++) {
      if (input.attentionMask[pos] !== 1) continue;
      for (let j = pos * width; j < (pos + 1) * width; j++) m = Math.max(m, Math.abs(t.data[j]));
    }
    activations[name] = { scale: m > 0 ? m / 127 : 1, absMax: m };
  }
  const c = model.config;
  return {
    format: 'samp.quant-profile',
    version: 1,
    model: {
      fingerprint: model.fingerprint,
      modelType: c.modelType,
      numHiddenLayers: c.numHiddenLayers,
      hiddenSize: c.hiddenSize,
    },
    method: 'max',
    activations,
  };
}

function compare(ref, act, input, hidden) {
  const rows = [];
  for (let l = 1; l < ref.length; l++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    let max = 0;
    for (let pos = 0; pos < input.batchSize * input.sequenceLength; pos++) {
      if (input.attentionMask[pos] !== 1) continue;
      for (let j = pos * hidden; j < (pos + 1) * hidden; j++) {
        const x = ref[l][j];
        const y = act[l][j];
        dot += x * y;
        na += x * x;
        nb += y * y;
        max = Math.max(max, Math.abs(x - y));
      }
    }
    rows.push({ cosine: dot / Math.sqrt(na * nb), max });
  }
  return rows;
}

const backend = createCpuBackend({ threads: 2 });
console.log('| fixture | plan | scales | cosine per layer | max abs error per layer |');
console.log('|---|---|---|---|---|');
const worst = {};
for (const fixture of listFixtureModels()) {
  const model = await loadModel(fixture.dir, { tokenizer: false });
  const input = readFixtureInputs(fixture, model.config.padTokenId);
  const fp32 = await backend.createSession(model);
  const ref = (await fp32.run(input, { outputHiddenStates: true })).hiddenStates;
  const profile = await calibrateMax(model, fp32, input);
  const n = model.config.numHiddenLayers;
  const base = uniformPlan(model, 'fp32', { device: 'cpu' });
  const cycle = ['int8-full', 'fp32', 'int8-ffn'];
  const plans = {
    'int8-ffn': uniformPlan(model, 'int8-ffn'),
    'int8-full': uniformPlan(model, 'int8-full'),
    'mixed-a (full, fp32, ffn…)': {
      ...base,
      layers: Array.from({ length: n }, (_, i) => ({ precision: cycle[i % 3] })),
    },
    'mixed-b (ffn, full w/ fp32 qkv…)': {
      ...base,
      layers: Array.from({ length: n }, (_, i) =>
        i % 2 === 0 ? { precision: 'int8-ffn' } : { precision: 'int8-full', gemms: { qkv: 'fp32' } },
      ),
    },
  };
  for (const [name, plan] of Object.entries(plans)) {
    for (const mode of ['dynamic', 'profile']) {
      const s = await backend.createSession(model, { plan, ...(mode === 'profile' ? { profile } : {}) });
      const rows = compare(
        ref,
        (await s.run(input, { outputHiddenStates: true })).hiddenStates,
        input,
        model.config.hiddenSize,
      );
      await s.dispose();
      const key = `${name.split(' ')[0]} ${mode}`;
      if (worst[key] === undefined) worst[key] = { cosine: 1, max: 0 };
      const w = worst[key];
      for (const r of rows) {
        w.cosine = Math.min(w.cosine, r.cosine);
        w.max = Math.max(w.max, r.max);
      }
      console.log(
        `| ${fixture.name} | ${name} | ${mode} | ${rows.map((r) => r.cosine.toFixed(5)).join(' / ')} | ${rows.map((r) => r.max.toFixed(3)).join(' / ')} |`,
      );
    }
  }
  await fp32.dispose();
}
console.log('\nWorst over the fixtures:\n');
console.log('| plan | scales | min cosine | max abs error |');
console.log('|---|---|---|---|');
for (const [key, w] of Object.entries(worst)) {
  const [plan, mode] = key.split(' ');
  console.log(`| ${plan} | ${mode} | ${w.cosine.toFixed(5)} | ${w.max.toFixed(3)} |`);
}

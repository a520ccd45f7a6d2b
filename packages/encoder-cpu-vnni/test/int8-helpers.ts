// Test helpers for the INT8 tests: simple max calibration through the `observe` run option (the real
// calibration package comes later) and the per-layer comparison of two runs.
import {
  type EncoderInput,
  type EncoderSession,
  LAYER_ACTIVATION_TAPS,
  layerActivationName,
  type ModelArtifacts,
  type QuantProfile,
} from '@samp/core';

/**
 * A QuantProfile by max calibration: scale = max|x| / 127 of every layer tap over `inputs`, observed on
 * an FP32 session (positions under the attention mask only, so padding never widens a range).
 */
export async function calibrateMax(
  model: ModelArtifacts,
  fp32: EncoderSession,
  inputs: readonly EncoderInput[],
): Promise<QuantProfile> {
  const taps = LAYER_ACTIVATION_TAPS.filter((t) => t !== 'attention.scores' && t !== 'attention.probs');
  const names: string[] = [];
  for (let l = 0; l < model.config.numHiddenLayers; l++)
    for (const t of taps) names.push(layerActivationName(l, t));
  const absMax = new Map<string, number>(names.map((n) => [n, 0]));
  for (const input of inputs) {
    const out = await fp32.run(input, { observe: names });
    for (const name of names) {
      const t = out.observed?.[name];
      if (t === undefined) throw new Error(`the session did not return ${name}`);
      const width = t.shape[2] ?? 0;
      let m = absMax.get(name) ?? 0;
      for (let pos = 0; pos < input.batchSize * input.sequenceLength; pos++) {
        if (input.attentionMask[pos] !== 1) continue;
        for (let j = pos * width; j < (pos + 1) * width; j++) m = Math.max(m, Math.abs(t.data[j] as number));
      }
      absMax.set(name, m);
    }
  }
  const activations: QuantProfile['activations'] = {};
  for (const [name, m] of absMax) activations[name] = { scale: m > 0 ? m / 127 : 1, absMax: m };
  return {
    format: 'samp.quant-profile',
    version: 1,
    model: {
      fingerprint: model.fingerprint,
      modelType: model.config.modelType,
      numHiddenLayers: model.config.numHiddenLayers,
      hiddenSize: model.config.hiddenSize,
    },
    method: 'max',
    activations,
  };
}

/** Cosine similarity and max |Δ| of one layer's output against the reference. */
export interface LayerAgreement {
  layer: number;
  cosine: number;
  maxError: number;
}

/**
 * Per layer (hidden_states 1…L), over the positions under the mask: cosine similarity (all values as
 * one vector) and the largest absolute difference.
 */
export function compareLayers(
  reference: readonly Float32Array[],
  actual: readonly Float32Array[],
  input: EncoderInput,
  hidden: number,
): LayerAgreement[] {
  const result: LayerAgreement[] = [];
  for (let l = 1; l < reference.length; l++) {
    const a = reference[l] as Float32Array;
    const b = actual[l] as Float32Array;
    let dot = 0;
    let na = 0;
    let nb = 0;
    let maxError = 0;
    for (let pos = 0; pos < input.batchSize * input.sequenceLength; pos++) {
      if (input.attentionMask[pos] !== 1) continue;
      for (let j = pos * hidden; j < (pos + 1) * hidden; j++) {
        const x = a[j] as number;
        const y = b[j] as number;
        dot += x * y;
        na += x * x;
        nb += y * y;
        maxError = Math.max(maxError, Math.abs(x - y));
      }
    }
    result.push({ layer: l - 1, cosine: dot / Math.sqrt(na * nb), maxError });
  }
  return result;
}

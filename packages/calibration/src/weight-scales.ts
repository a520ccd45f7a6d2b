import type { ModelArtifacts, WeightScales } from '@samp/core';
import { CalibrationTensorError } from './errors';
import { INT8_MAX } from './quantization-error';

/** The Linear weights of a layer that INT8 GEMMs read (after `layers.<i>.`). */
export const LINEAR_WEIGHTS = [
  'attention.query.weight',
  'attention.key.weight',
  'attention.value.weight',
  'attention.output.weight',
  'ffn.intermediate.weight',
  'ffn.output.weight',
] as const;

/**
 * Per-output-channel INT8 scales of every Linear weight of every layer: `max_i |W[o, i]| / 127` per
 * output row o (a row of zeros gets 1/127, which quantizes it to zeros as well as any scale would).
 * Weights are symmetric and static, so the maximum loses nothing to outliers of other rows.
 * @throws CalibrationTensorError naming a Linear weight the model lacks or whose shape is not `[out, in]`.
 * @example
 * const weights = await perChannelWeightScales(model); // weights['layers.0.ffn.output.weight'].perChannelScales
 */
export async function perChannelWeightScales(model: ModelArtifacts): Promise<Record<string, WeightScales>> {
  const out: Record<string, WeightScales> = {};
  for (let layer = 0; layer < model.config.numHiddenLayers; layer++) {
    for (const weight of LINEAR_WEIGHTS) {
      const name = `layers.${layer}.${weight}`;
      const info = model.weights.tensors.get(name);
      if (info === undefined)
        throw new CalibrationTensorError('weight', name, `${model.dir} has no such weight`);
      const [rows = 0, columns = 0] = info.shape;
      const data = await model.weights.readFloat32(name);
      if (info.shape.length !== 2 || data.length !== rows * columns || rows === 0) {
        throw new CalibrationTensorError(
          'weight',
          name,
          `expected a 2-D [out, in] weight, got shape [${info.shape.join(', ')}]`,
        );
      }
      const scales: number[] = [];
      for (let r = 0; r < rows; r++) {
        let max = 0;
        for (let k = r * columns; k < (r + 1) * columns; k++) {
          const a = Math.abs(data[k] as number);
          if (a > max) max = a;
        }
        scales.push(max > 0 ? max / INT8_MAX : 1 / INT8_MAX);
      }
      out[name] = { perChannelScales: scales };
    }
  }
  return out;
}

import { type ModelArtifacts, readNativeWeights } from '@samp/core';
import type { NativeLayerQuant, NativeSessionSpec } from './binding';

/**
 * Reads every tensor the encoder needs through core's `readNativeWeights` into a native session spec,
 * with the INT8 choices of `quant` (default: all FP32).
 * @throws InvalidArgumentError when the model lacks a tensor the encoder needs.
 */
export async function readSessionSpec(
  model: ModelArtifacts,
  threads: number,
  quant: {
    layerQuant?: NativeLayerQuant[] | undefined;
    weightScales?: Record<string, Float32Array> | undefined;
  } = {},
): Promise<NativeSessionSpec> {
  const { config, tensors } = await readNativeWeights(model);
  return {
    config: quant.layerQuant === undefined ? config : { ...config, layerQuant: quant.layerQuant },
    tensors,
    threads,
    ...(quant.weightScales === undefined ? {} : { weightScales: quant.weightScales }),
  };
}

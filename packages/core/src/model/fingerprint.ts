import { createHash } from 'node:crypto';
import type { ModelWeights } from './model-artifacts';
import type { ModelConfig } from './model-config';

/** Version of the fingerprint recipe; bump it when what is hashed changes. */
const RECIPE = 'samp-model-fingerprint/1';

/** The config fields that change what the model computes (labels' names and `raw` do not). */
function configPart(config: ModelConfig): unknown[] {
  return [
    config.modelType,
    config.vocabSize,
    config.hiddenSize,
    config.numAttentionHeads,
    config.numHiddenLayers,
    config.intermediateSize,
    config.hiddenAct,
    config.layerNormEps,
    config.maxPositionEmbeddings,
    config.positionEmbeddingType,
    config.positionOffset,
    config.padTokenId,
    config.typeVocabSize,
    config.embeddingSize,
    config.numHiddenGroups,
    config.innerGroupNum,
    config.numLabels,
  ];
}

/**
 * A stable fingerprint of a model: `sha256:` and the hex SHA-256 of the normalised config fields that
 * change its outputs and, for each canonical tensor in sorted name order, its name, dtype, shape and
 * the SHA-256 of its stored bytes. It reads every stored tensor once, one at a time (ALBERT's shared
 * tensors are hashed once), so it costs one pass over the weights and the memory of the largest tensor.
 *
 * @example
 * const fingerprint = await computeFingerprint(config, weights); // 'sha256:3f5a…'
 */
export async function computeFingerprint(config: ModelConfig, weights: ModelWeights): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`${RECIPE}\n${JSON.stringify(configPart(config))}\n`);
  const names = [...weights.tensors.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const byteHashes = new Map<string, string>();
  for (const name of names) {
    const info = weights.tensors.get(name);
    if (info === undefined) continue;
    let bytesHash = byteHashes.get(info.name);
    if (bytesHash === undefined) {
      bytesHash = createHash('sha256')
        .update(await weights.store.readBytes(info.name))
        .digest('hex');
      byteHashes.set(info.name, bytesHash);
    }
    hash.update(`${JSON.stringify([name, info.dtype, info.shape, bytesHash])}\n`);
  }
  return `sha256:${hash.digest('hex')}`;
}

import type { ModelConfig, ModelType } from '../model-config';
import { addEmbeddings } from './embeddings';
import { addPoolerAndHead, headKindOf } from './heads';
import { addLayers } from './layers';
import { TensorListBuilder } from './tensor-builder';
import type { ArchitectureDescription } from './types';

/** The base-model prefix of each model_type's stored tensor names (XLM-R reuses RoBERTa's). */
export const BASE_MODEL_PREFIXES: Readonly<Record<ModelType, string>> = {
  bert: 'bert',
  roberta: 'roberta',
  'xlm-roberta': 'roberta',
  electra: 'electra',
  distilbert: 'distilbert',
  albert: 'albert',
};

/**
 * The tensors a checkpoint of `config`'s architecture must contain, under samp's canonical names,
 * with their stored names and expected shapes; the head follows `config.architectures`.
 * `configFile` names the config in errors (default `config.json`).
 *
 * @throws ModelConfigError for ALBERT with `inner_group_num` other than 1.
 * @example
 * const { tensors } = describeArchitecture(config);
 * tensors.find((t) => t.name === 'embeddings.word')?.shape; // [30522, 768]
 */
export function describeArchitecture(
  config: ModelConfig,
  configFile = 'config.json',
): ArchitectureDescription {
  const head = headKindOf(config);
  const b = new TensorListBuilder();
  addEmbeddings(b, config);
  const unusedStored = addLayers(b, config, configFile);
  addPoolerAndHead(b, config, head);
  return {
    modelType: config.modelType,
    basePrefix: BASE_MODEL_PREFIXES[config.modelType],
    head,
    tensors: b.tensors,
    unusedStored,
  };
}

import { ModelConfigError } from '../../errors/model-errors';
import type { ModelConfig } from '../model-config';
import { TensorListBuilder } from './tensor-builder';

/** Stored names (without prefix) of one encoder layer's parts, relative to the layer's own prefix. */
interface LayerNames {
  query: string;
  key: string;
  value: string;
  attentionOutput: string;
  attentionNorm: string;
  intermediate: string;
  output: string;
  ffnNorm: string;
}

const BERT_LAYER: LayerNames = {
  query: 'attention.self.query',
  key: 'attention.self.key',
  value: 'attention.self.value',
  attentionOutput: 'attention.output.dense',
  attentionNorm: 'attention.output.LayerNorm',
  intermediate: 'intermediate.dense',
  output: 'output.dense',
  ffnNorm: 'output.LayerNorm',
};

const DISTILBERT_LAYER: LayerNames = {
  query: 'attention.q_lin',
  key: 'attention.k_lin',
  value: 'attention.v_lin',
  attentionOutput: 'attention.out_lin',
  attentionNorm: 'sa_layer_norm',
  intermediate: 'ffn.lin1',
  output: 'ffn.lin2',
  ffnNorm: 'output_layer_norm',
};

const ALBERT_LAYER: LayerNames = {
  query: 'attention.query',
  key: 'attention.key',
  value: 'attention.value',
  attentionOutput: 'attention.dense',
  attentionNorm: 'attention.LayerNorm',
  intermediate: 'ffn',
  output: 'ffn_output',
  ffnNorm: 'full_layer_layer_norm',
};

function addLayer(b: TensorListBuilder, config: ModelConfig, i: number, at: string, n: LayerNames): void {
  const H = config.hiddenSize;
  const I = config.intermediateSize;
  const c = `layers.${i}`;
  b.linear(`${c}.attention.query`, `${at}.${n.query}`, H, H, true, true);
  b.linear(`${c}.attention.key`, `${at}.${n.key}`, H, H, true, true);
  b.linear(`${c}.attention.value`, `${at}.${n.value}`, H, H, true, true);
  b.linear(`${c}.attention.output`, `${at}.${n.attentionOutput}`, H, H, true, true);
  b.norm(`${c}.attention.norm`, `${at}.${n.attentionNorm}`, H, true, true);
  b.linear(`${c}.ffn.intermediate`, `${at}.${n.intermediate}`, I, H, true, true);
  b.linear(`${c}.ffn.output`, `${at}.${n.output}`, H, I, true, true);
  b.norm(`${c}.ffn.norm`, `${at}.${n.ffnNorm}`, H, true, true);
}

/**
 * The ALBERT group layer `i` runs, as transformers computes it:
 * `int(i / (num_hidden_layers / num_hidden_groups))`.
 */
export function albertGroupOf(config: ModelConfig, i: number): number {
  return Math.floor(i / (config.numHiddenLayers / config.numHiddenGroups));
}

/**
 * Adds the encoder layers' tensors. Returns the stored names (without prefix) the architecture has
 * but no layer uses (ALBERT groups no layer draws from).
 *
 * @throws ModelConfigError for ALBERT with `inner_group_num` other than 1 (parsed, not run).
 */
export function addLayers(b: TensorListBuilder, config: ModelConfig, configFile: string): string[] {
  const L = config.numHiddenLayers;
  if (config.modelType === 'distilbert') {
    for (let i = 0; i < L; i++) addLayer(b, config, i, `transformer.layer.${i}`, DISTILBERT_LAYER);
    return [];
  }
  if (config.modelType !== 'albert') {
    for (let i = 0; i < L; i++) addLayer(b, config, i, `encoder.layer.${i}`, BERT_LAYER);
    return [];
  }
  if (config.innerGroupNum !== 1) {
    throw new ModelConfigError(
      { file: configFile, field: 'inner_group_num' },
      `inner_group_num ${config.innerGroupNum} is not supported; samp runs ALBERT with inner_group_num 1`,
    );
  }
  const used = new Set<number>();
  for (let i = 0; i < L; i++) {
    const g = albertGroupOf(config, i);
    used.add(g);
    addLayer(b, config, i, `encoder.albert_layer_groups.${g}.albert_layers.0`, ALBERT_LAYER);
  }
  const unused: string[] = [];
  for (let g = 0; g < config.numHiddenGroups; g++) {
    if (used.has(g)) continue;
    // Describe the unused group with a throwaway builder, keeping only its stored names.
    const scratch = new TensorListBuilder();
    addLayer(scratch, config, g, `encoder.albert_layer_groups.${g}.albert_layers.0`, ALBERT_LAYER);
    unused.push(...scratch.tensors.map((t) => t.stored));
  }
  return unused;
}

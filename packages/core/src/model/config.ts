import { join } from 'node:path';
import { ModelConfigError, UnsupportedModelTypeError } from '../errors/model-errors';
import { ConfigFields } from './config-fields';
import { isJsonObject, readJsonFile, showJson } from './json-file';
import {
  type Activation,
  type ModelConfig,
  type ModelType,
  type ProblemType,
  SUPPORTED_MODEL_TYPES,
} from './model-config';

/**
 * `hidden_act` values samp accepts, and the activation each one computes. The aliases are the ones
 * transformers' `ACT2FN` implements with the same function: `gelu_python` is the exact erf GELU;
 * `gelu_pytorch_tanh`, `gelu_fast` and `gelu_accurate` are the tanh approximation, as `gelu_new` is.
 */
export const ACTIVATION_ALIASES: Readonly<Record<string, Activation>> = {
  gelu: 'gelu',
  gelu_python: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  gelu_fast: 'gelu_new',
  gelu_accurate: 'gelu_new',
  relu: 'relu',
};

/** The most labels `parseModelConfig` generates from a bare `num_labels` (LABEL_0, LABEL_1, …). */
export const MAX_GENERATED_LABELS = 100_000;

const PROBLEM_TYPES: readonly ProblemType[] = [
  'single_label_classification',
  'multi_label_classification',
  'regression',
];

/** transformers' defaults for the fields its `__init__` takes (configuration_<type>.py). */
interface Defaults {
  vocabSize: number;
  hiddenSize: number;
  numAttentionHeads: number;
  numHiddenLayers: number;
  intermediateSize: number;
  hiddenAct: string;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  padTokenId: number;
  /** `undefined`: the architecture has no separate embedding width. */
  embeddingSize: number | undefined;
}

const BERT_DEFAULTS: Defaults = {
  vocabSize: 30522,
  hiddenSize: 768,
  numAttentionHeads: 12,
  numHiddenLayers: 12,
  intermediateSize: 3072,
  hiddenAct: 'gelu',
  maxPositionEmbeddings: 512,
  typeVocabSize: 2,
  padTokenId: 0,
  embeddingSize: undefined,
};

const DEFAULTS: Readonly<Record<ModelType, Defaults>> = {
  bert: BERT_DEFAULTS,
  // RobertaConfig and XLMRobertaConfig keep BertConfig's sizes; only the special token ids differ.
  roberta: { ...BERT_DEFAULTS, padTokenId: 1 },
  'xlm-roberta': { ...BERT_DEFAULTS, padTokenId: 1 },
  electra: {
    ...BERT_DEFAULTS,
    hiddenSize: 256,
    numAttentionHeads: 4,
    intermediateSize: 1024,
    embeddingSize: 128,
  },
  albert: {
    vocabSize: 30000,
    hiddenSize: 4096,
    numAttentionHeads: 64,
    numHiddenLayers: 12,
    intermediateSize: 16384,
    hiddenAct: 'gelu_new',
    maxPositionEmbeddings: 512,
    typeVocabSize: 2,
    padTokenId: 0,
    embeddingSize: 128,
  },
  distilbert: {
    vocabSize: 30522,
    hiddenSize: 768,
    numAttentionHeads: 12,
    numHiddenLayers: 6,
    intermediateSize: 3072,
    hiddenAct: 'gelu',
    maxPositionEmbeddings: 512,
    typeVocabSize: 0,
    padTokenId: 0,
    embeddingSize: undefined,
  },
};

/** DistilBERT's field names (its config has `attribute_map` aliases for the BERT names). */
const DISTILBERT_FIELDS = {
  hiddenSize: ['dim', 'hidden_size'],
  numAttentionHeads: ['n_heads', 'num_attention_heads'],
  numHiddenLayers: ['n_layers', 'num_hidden_layers'],
  intermediateSize: ['hidden_dim'],
  hiddenAct: ['activation'],
} as const;

const BERT_FIELDS = {
  hiddenSize: ['hidden_size'],
  numAttentionHeads: ['num_attention_heads'],
  numHiddenLayers: ['num_hidden_layers'],
  intermediateSize: ['intermediate_size'],
  hiddenAct: ['hidden_act'],
} as const;

function activation(fields: ConfigFields, field: string, fallback: string): Activation {
  const name = fields.string(field, fallback);
  const act = ACTIVATION_ALIASES[name];
  if (act === undefined) {
    const accepted = Object.keys(ACTIVATION_ALIASES)
      .map((a) => `"${a}"`)
      .join(', ');
    throw fields.error(field, `activation "${name}" is not supported (expected one of ${accepted})`);
  }
  return act;
}

/** The first of `names` present in the config (DistilBERT accepts its own name or the BERT alias). */
function pick(fields: ConfigFields, names: readonly string[]): string {
  return names.find((n) => fields.has(n)) ?? (names[0] as string);
}

function labels(fields: ConfigFields): {
  id2label: Record<number, string>;
  label2id: Record<string, number>;
  numLabels: number;
} {
  let id2label: Record<number, string> | undefined;
  const rawId2label = fields.raw.id2label;
  if (rawId2label !== undefined && rawId2label !== null) {
    if (!isJsonObject(rawId2label)) throw fields.error('id2label', 'expected an object of id → label name');
    id2label = {};
    for (const [key, name] of Object.entries(rawId2label)) {
      // JSON keys are strings; transformers converts them with int().
      if (!/^\d+$/.test(key) || !Number.isSafeInteger(Number(key))) {
        throw fields.error(`id2label.${key}`, `expected a non-negative integer key, got "${key}"`);
      }
      if (typeof name !== 'string') throw fields.error(`id2label.${key}`, 'expected a label name (string)');
      id2label[Number(key)] = name;
    }
  }
  // As in transformers' PretrainedConfig: an id2label map decides the number of labels (a disagreeing
  // num_labels is overridden); without one, num_labels (default 2) makes LABEL_0, LABEL_1, ….
  const numLabels =
    id2label !== undefined ? Object.keys(id2label).length : fields.integer('num_labels', 2, 1);
  if (id2label !== undefined && numLabels === 0)
    throw fields.error('id2label', 'expected at least one label');
  if (id2label === undefined) {
    // The generated labels cost memory and time per label while the file costs nothing per label: an
    // unchecked `"num_labels": 9007199254740991` looped until the process ran out of memory (found by
    // fuzzing). A listed id2label is bounded by the file's own size, so only this path is capped.
    if (numLabels > MAX_GENERATED_LABELS) {
      throw fields.error(
        'num_labels',
        `${numLabels} labels without an id2label is over the limit of ${MAX_GENERATED_LABELS}; list the labels in id2label`,
      );
    }
    id2label = {};
    for (let i = 0; i < numLabels; i++) id2label[i] = `LABEL_${i}`;
  }
  let label2id: Record<string, number>;
  const rawLabel2id = fields.raw.label2id;
  if (rawLabel2id !== undefined && rawLabel2id !== null) {
    if (!isJsonObject(rawLabel2id)) throw fields.error('label2id', 'expected an object of label name → id');
    label2id = {};
    for (const [name, id] of Object.entries(rawLabel2id)) {
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
        throw fields.error(`label2id.${name}`, `expected a non-negative integer id, got ${showJson(id)}`);
      }
      label2id[name] = id;
    }
  } else {
    label2id = {};
    for (const [id, name] of Object.entries(id2label)) label2id[name] = Number(id);
  }
  return { id2label, label2id, numLabels };
}

function architectures(fields: ConfigFields): string[] {
  const value = fields.raw.architectures;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((a) => typeof a === 'string')) {
    throw fields.error('architectures', 'expected an array of class names');
  }
  return [...value];
}

/**
 * Normalises a parsed `config.json` into a `ModelConfig`, reading each architecture's own field names
 * and filling absent fields with transformers' defaults for that `model_type`.
 * `file` is only used in error messages.
 *
 * @throws UnsupportedModelTypeError when `model_type` is not one of `SUPPORTED_MODEL_TYPES`.
 * @throws ModelConfigError naming the field for a wrong type or value, a hidden size that the number
 *   of heads does not divide, a relative `position_embedding_type`, a decoder config, or an activation
 *   samp does not implement.
 * @example
 * const config = parseModelConfig(JSON.parse(text), '/models/bert/config.json');
 * config.hiddenSize; // 768
 */
export function parseModelConfig(json: unknown, file: string): ModelConfig {
  if (!isJsonObject(json)) throw new ModelConfigError({ file }, 'expected a JSON object at the top level');
  const fields = new ConfigFields(json, file);
  if (!fields.has('model_type')) {
    throw fields.error('model_type', `is missing (expected one of ${SUPPORTED_MODEL_TYPES.join(', ')})`);
  }
  const rawType = json.model_type;
  if (typeof rawType !== 'string') throw fields.error('model_type', 'expected a string');
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(rawType)) {
    throw new UnsupportedModelTypeError({ file, field: 'model_type' }, rawType, SUPPORTED_MODEL_TYPES);
  }
  const modelType = rawType as ModelType;
  const d = DEFAULTS[modelType];
  const isDistil = modelType === 'distilbert';
  const names = isDistil ? DISTILBERT_FIELDS : BERT_FIELDS;

  const hiddenField = pick(fields, names.hiddenSize);
  const headsField = pick(fields, names.numAttentionHeads);
  const hiddenSize = fields.integer(hiddenField, d.hiddenSize);
  const numAttentionHeads = fields.integer(headsField, d.numAttentionHeads);
  if (hiddenSize % numAttentionHeads !== 0) {
    throw fields.error(
      hiddenField,
      `${hiddenField} ${hiddenSize} is not a multiple of ${headsField} ${numAttentionHeads}`,
    );
  }
  const numHiddenLayers = fields.integer(pick(fields, names.numHiddenLayers), d.numHiddenLayers);
  const intermediateSize = fields.integer(
    pick(fields, names.intermediateSize),
    // DistilBertConfig's hidden_dim defaults to 4 * 768 regardless of dim.
    d.intermediateSize,
  );
  const hiddenAct = activation(fields, pick(fields, names.hiddenAct), d.hiddenAct);
  const vocabSize = fields.integer('vocab_size', d.vocabSize);
  const maxPositionEmbeddings = fields.integer('max_position_embeddings', d.maxPositionEmbeddings);

  if (fields.boolean('is_decoder', false)) {
    throw fields.error('is_decoder', 'samp runs encoders only (is_decoder must be false)');
  }
  if (fields.boolean('add_cross_attention', false)) {
    throw fields.error('add_cross_attention', 'samp runs encoders only (add_cross_attention must be false)');
  }

  let positionEmbeddingType: 'absolute' | 'sinusoidal';
  let layerNormEps: number;
  let typeVocabSize: number;
  if (isDistil) {
    positionEmbeddingType = fields.boolean('sinusoidal_pos_embds', false) ? 'sinusoidal' : 'absolute';
    // DistilBERT's LayerNorms are built with eps=1e-12 whatever the config says.
    layerNormEps = 1e-12;
    typeVocabSize = 0;
  } else {
    const type = fields.string('position_embedding_type', 'absolute');
    if (type !== 'absolute') {
      throw fields.error(
        'position_embedding_type',
        `"${type}" is not supported; samp implements only "absolute" position embeddings`,
      );
    }
    positionEmbeddingType = 'absolute';
    layerNormEps = fields.positiveNumber('layer_norm_eps', 1e-12);
    typeVocabSize = fields.integer('type_vocab_size', d.typeVocabSize);
  }

  const isRoberta = modelType === 'roberta' || modelType === 'xlm-roberta';
  let padTokenId: number;
  if (fields.has('pad_token_id') || isRoberta) {
    // RoBERTa's position ids are computed from the padding id, so it cannot be null there.
    padTokenId = fields.integer('pad_token_id', d.padTokenId, 0);
  } else {
    padTokenId = d.padTokenId;
  }
  if (padTokenId >= vocabSize) {
    throw fields.error('pad_token_id', `${padTokenId} is outside the vocabulary (vocab_size ${vocabSize})`);
  }

  const embeddingSize =
    d.embeddingSize === undefined ? hiddenSize : fields.integer('embedding_size', d.embeddingSize);
  const numHiddenGroups = modelType === 'albert' ? fields.integer('num_hidden_groups', 1) : 1;
  const innerGroupNum = modelType === 'albert' ? fields.integer('inner_group_num', 1) : 1;

  const problemType = fields.has('problem_type')
    ? fields.oneOf<ProblemType>('problem_type', PROBLEM_TYPES, 'single_label_classification')
    : undefined;

  return {
    modelType,
    vocabSize,
    hiddenSize,
    numAttentionHeads,
    numHiddenLayers,
    intermediateSize,
    hiddenAct,
    layerNormEps,
    maxPositionEmbeddings,
    positionEmbeddingType,
    positionOffset: isRoberta ? padTokenId + 1 : 0,
    padTokenId,
    typeVocabSize,
    embeddingSize,
    numHiddenGroups,
    innerGroupNum,
    architectures: architectures(fields),
    ...labels(fields),
    problemType,
    raw: json,
  };
}

/**
 * Reads and normalises `<dir>/config.json` (see `parseModelConfig`).
 *
 * @throws ModelFileNotFoundError when the folder has no config.json.
 * @throws ModelConfigError when it is not valid JSON (with the parser's message and the error's line,
 *   column and offset) or has a malformed field.
 * @example
 * const config = await readModelConfig('/models/bert-base-uncased');
 */
export async function readModelConfig(dir: string): Promise<ModelConfig> {
  const file = join(dir, 'config.json');
  return parseModelConfig(await readJsonFile(file), file);
}

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ModelConfigError,
  ModelFileNotFoundError,
  type ModelFormatError,
  UnsupportedModelTypeError,
} from '../errors/model-errors';
import { parseModelConfig, readModelConfig } from './config';

const FILE = '/models/x/config.json';

function thrown(fn: () => unknown): ModelFormatError {
  try {
    fn();
  } catch (error) {
    return error as ModelFormatError;
  }
  throw new Error('expected an error');
}

async function rejected(promise: Promise<unknown>): Promise<ModelFormatError> {
  try {
    await promise;
  } catch (error) {
    return error as ModelFormatError;
  }
  throw new Error('expected a rejection');
}

describe('parseModelConfig: transformers defaults', () => {
  it('bert', () => {
    const c = parseModelConfig({ model_type: 'bert' }, FILE);
    expect(c).toMatchObject({
      modelType: 'bert',
      vocabSize: 30522,
      hiddenSize: 768,
      numAttentionHeads: 12,
      numHiddenLayers: 12,
      intermediateSize: 3072,
      hiddenAct: 'gelu',
      layerNormEps: 1e-12,
      maxPositionEmbeddings: 512,
      positionEmbeddingType: 'absolute',
      positionOffset: 0,
      padTokenId: 0,
      typeVocabSize: 2,
      embeddingSize: 768,
      numHiddenGroups: 1,
      innerGroupNum: 1,
      architectures: [],
      id2label: { 0: 'LABEL_0', 1: 'LABEL_1' },
      label2id: { LABEL_0: 0, LABEL_1: 1 },
      numLabels: 2,
      problemType: undefined,
    });
  });

  it('roberta and xlm-roberta count positions after the padding id', () => {
    for (const model_type of ['roberta', 'xlm-roberta']) {
      const c = parseModelConfig({ model_type }, FILE);
      expect(c).toMatchObject({
        hiddenSize: 768,
        vocabSize: 30522,
        padTokenId: 1,
        positionOffset: 2,
        typeVocabSize: 2,
      });
      expect(parseModelConfig({ model_type, pad_token_id: 3 }, FILE).positionOffset).toBe(4);
    }
  });

  it('electra', () => {
    const c = parseModelConfig({ model_type: 'electra' }, FILE);
    expect(c).toMatchObject({
      hiddenSize: 256,
      embeddingSize: 128,
      numAttentionHeads: 4,
      numHiddenLayers: 12,
      intermediateSize: 1024,
      hiddenAct: 'gelu',
      positionOffset: 0,
    });
  });

  it('albert', () => {
    const c = parseModelConfig({ model_type: 'albert' }, FILE);
    expect(c).toMatchObject({
      vocabSize: 30000,
      hiddenSize: 4096,
      embeddingSize: 128,
      numAttentionHeads: 64,
      numHiddenLayers: 12,
      intermediateSize: 16384,
      hiddenAct: 'gelu_new',
      numHiddenGroups: 1,
      innerGroupNum: 1,
      layerNormEps: 1e-12,
      typeVocabSize: 2,
    });
  });

  it('distilbert', () => {
    const c = parseModelConfig({ model_type: 'distilbert' }, FILE);
    expect(c).toMatchObject({
      vocabSize: 30522,
      hiddenSize: 768,
      numAttentionHeads: 12,
      numHiddenLayers: 6,
      intermediateSize: 3072,
      hiddenAct: 'gelu',
      layerNormEps: 1e-12,
      maxPositionEmbeddings: 512,
      positionEmbeddingType: 'absolute',
      typeVocabSize: 0,
      embeddingSize: 768,
    });
  });
});

describe('parseModelConfig: each architecture’s field names', () => {
  const bertLike = {
    vocab_size: 99,
    hidden_size: 32,
    num_attention_heads: 4,
    num_hidden_layers: 3,
    intermediate_size: 37,
    hidden_act: 'relu',
    layer_norm_eps: 1e-5,
    max_position_embeddings: 64,
    type_vocab_size: 1,
    pad_token_id: 0,
  };

  it('bert-style fields', () => {
    for (const model_type of ['bert', 'roberta', 'xlm-roberta', 'electra', 'albert']) {
      const c = parseModelConfig({ ...bertLike, model_type, embedding_size: 16 }, FILE);
      expect(c).toMatchObject({
        vocabSize: 99,
        hiddenSize: 32,
        numAttentionHeads: 4,
        numHiddenLayers: 3,
        intermediateSize: 37,
        hiddenAct: 'relu',
        layerNormEps: 1e-5,
        maxPositionEmbeddings: 64,
        typeVocabSize: 1,
        padTokenId: 0,
      });
      // Only ELECTRA and ALBERT have a separate embedding width.
      expect(c.embeddingSize).toBe(model_type === 'electra' || model_type === 'albert' ? 16 : 32);
      expect(c.positionOffset).toBe(model_type.includes('roberta') ? 1 : 0);
    }
  });

  it('electra without embedding_size takes ElectraConfig’s default of 128', () => {
    const c = parseModelConfig({ ...bertLike, model_type: 'electra' }, FILE);
    expect(c.embeddingSize).toBe(128);
  });

  it('albert groups', () => {
    const c = parseModelConfig(
      { ...bertLike, model_type: 'albert', num_hidden_layers: 4, num_hidden_groups: 2, inner_group_num: 2 },
      FILE,
    );
    expect(c).toMatchObject({ numHiddenLayers: 4, numHiddenGroups: 2, innerGroupNum: 2, embeddingSize: 128 });
  });

  it('distilbert fields, sinusoidal positions, fixed eps, no token types', () => {
    const c = parseModelConfig(
      {
        model_type: 'distilbert',
        vocab_size: 50,
        dim: 24,
        n_heads: 3,
        n_layers: 2,
        hidden_dim: 40,
        activation: 'relu',
        sinusoidal_pos_embds: true,
        max_position_embeddings: 32,
        layer_norm_eps: 1e-5,
        pad_token_id: 0,
      },
      FILE,
    );
    expect(c).toMatchObject({
      vocabSize: 50,
      hiddenSize: 24,
      numAttentionHeads: 3,
      numHiddenLayers: 2,
      intermediateSize: 40,
      hiddenAct: 'relu',
      positionEmbeddingType: 'sinusoidal',
      layerNormEps: 1e-12,
      typeVocabSize: 0,
      embeddingSize: 24,
      maxPositionEmbeddings: 32,
    });
  });

  it('activations and their aliases', () => {
    const act = (hidden_act: string) => parseModelConfig({ model_type: 'bert', hidden_act }, FILE).hiddenAct;
    expect(act('gelu')).toBe('gelu');
    expect(act('gelu_python')).toBe('gelu');
    expect(act('gelu_new')).toBe('gelu_new');
    expect(act('gelu_pytorch_tanh')).toBe('gelu_new');
    expect(act('gelu_fast')).toBe('gelu_new');
    expect(act('relu')).toBe('relu');
    const e = thrown(() => act('swish'));
    expect(e).toBeInstanceOf(ModelConfigError);
    expect(e.field).toBe('hidden_act');
    expect(e.message).toContain('"swish"');
    expect(e.message).toContain('"gelu_new"');
    expect(e.message).toContain(FILE);
  });

  it('labels, label2id and problem_type', () => {
    const c = parseModelConfig(
      {
        model_type: 'bert',
        architectures: ['BertForSequenceClassification'],
        id2label: { '0': 'neg', '1': 'neu', '2': 'pos' },
        label2id: { neg: 0, neu: 1, pos: 2 },
        problem_type: 'multi_label_classification',
      },
      FILE,
    );
    expect(c.id2label).toEqual({ 0: 'neg', 1: 'neu', 2: 'pos' });
    expect(Object.keys(c.id2label).map(Number)).toEqual([0, 1, 2]);
    expect(c.label2id).toEqual({ neg: 0, neu: 1, pos: 2 });
    expect(c.numLabels).toBe(3);
    expect(c.problemType).toBe('multi_label_classification');
    expect(c.architectures).toEqual(['BertForSequenceClassification']);

    const derived = parseModelConfig({ model_type: 'bert', id2label: { '0': 'a', '1': 'b' } }, FILE);
    expect(derived.label2id).toEqual({ a: 0, b: 1 });
    const counted = parseModelConfig({ model_type: 'bert', num_labels: 5 }, FILE);
    expect(counted.numLabels).toBe(5);
    expect(counted.id2label[4]).toBe('LABEL_4');
    // As transformers does, id2label decides when both are given.
    expect(
      parseModelConfig({ model_type: 'bert', num_labels: 5, id2label: { '0': 'a' } }, FILE).numLabels,
    ).toBe(1);
  });

  it('keeps the raw JSON', () => {
    const json = { model_type: 'bert', custom: { a: 1 } };
    expect(parseModelConfig(json, FILE).raw).toBe(json);
  });
});

describe('parseModelConfig: malformed configs', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a string size', { model_type: 'bert', hidden_size: 'big' }, 'hidden_size'],
    ['a negative size', { model_type: 'bert', num_hidden_layers: -1 }, 'num_hidden_layers'],
    ['a fractional size', { model_type: 'bert', intermediate_size: 3.5 }, 'intermediate_size'],
    ['a null size', { model_type: 'bert', vocab_size: null }, 'vocab_size'],
    [
      'hidden size not divisible by heads',
      { model_type: 'bert', hidden_size: 10, num_attention_heads: 3 },
      'hidden_size',
    ],
    ['distilbert dim not divisible by heads', { model_type: 'distilbert', dim: 10, n_heads: 4 }, 'dim'],
    ['a zero eps', { model_type: 'bert', layer_norm_eps: 0 }, 'layer_norm_eps'],
    [
      'relative_key positions',
      { model_type: 'bert', position_embedding_type: 'relative_key' },
      'position_embedding_type',
    ],
    [
      'relative_key_query positions',
      { model_type: 'electra', position_embedding_type: 'relative_key_query' },
      'position_embedding_type',
    ],
    ['an unknown activation', { model_type: 'distilbert', activation: 'tanh' }, 'activation'],
    ['a non-integer id2label key', { model_type: 'bert', id2label: { x: 'a' } }, 'id2label.x'],
    ['an unknown problem_type', { model_type: 'bert', problem_type: 'ranking' }, 'problem_type'],
    ['architectures not a list', { model_type: 'bert', architectures: 'BertModel' }, 'architectures'],
    ['a decoder', { model_type: 'bert', is_decoder: true }, 'is_decoder'],
    ['a null roberta pad_token_id', { model_type: 'roberta', pad_token_id: null }, 'pad_token_id'],
    ['a missing model_type', { hidden_size: 8 }, 'model_type'],
  ];
  for (const [what, json, field] of cases) {
    it(`refuses ${what}, naming ${field}`, () => {
      const e = thrown(() => parseModelConfig(json, FILE));
      expect(e).toBeInstanceOf(ModelConfigError);
      expect(e.code).toBe('SAMP_MODEL_CONFIG');
      expect(e.file).toBe(FILE);
      expect(e.field).toBe(field);
      expect(e.message).toContain(FILE);
      expect(e.message).toContain(`"${field}"`);
    });
  }

  it('refuses an unknown model_type with UnsupportedModelTypeError', () => {
    const e = thrown(() => parseModelConfig({ model_type: 'gpt2' }, FILE));
    expect(e).toBeInstanceOf(UnsupportedModelTypeError);
    expect(e.code).toBe('SAMP_MODEL_UNSUPPORTED_TYPE');
    expect((e as UnsupportedModelTypeError).modelType).toBe('gpt2');
    expect(e.message).toContain(FILE);
    expect(e.message).toContain('model_type');
    expect(e.message).toContain('xlm-roberta');
  });

  it('refuses a non-object', () => {
    const e = thrown(() => parseModelConfig([1, 2], FILE));
    expect(e).toBeInstanceOf(ModelConfigError);
    expect(e.message).toContain(FILE);
  });
});

describe('readModelConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samp-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads config.json', async () => {
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ model_type: 'bert', hidden_size: 16, num_attention_heads: 2 }),
    );
    const c = await readModelConfig(dir);
    expect(c.hiddenSize).toBe(16);
  });

  it('a missing config.json is ModelFileNotFoundError naming the file', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'samp-config-empty-'));
    try {
      const e = await rejected(readModelConfig(empty));
      expect(e).toBeInstanceOf(ModelFileNotFoundError);
      expect(e.code).toBe('SAMP_MODEL_FILE_NOT_FOUND');
      expect(e.file).toBe(join(empty, 'config.json'));
      expect(e.message).toContain(join(empty, 'config.json'));
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('invalid JSON is ModelConfigError with the parser message and position', async () => {
    const sub = join(dir, 'bad');
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, 'config.json'), '{\n  "model_type": "bert",\n  "hidden_size": }\n');
    const e = await rejected(readModelConfig(sub));
    expect(e).toBeInstanceOf(ModelConfigError);
    expect(e.code).toBe('SAMP_MODEL_CONFIG');
    expect(e.file).toBe(join(sub, 'config.json'));
    expect(e.message).toContain(join(sub, 'config.json'));
    expect(e.message).toContain('line 3, column 18 (position 43)');
    expect(e.message).toContain('Unexpected token');
  });
});

import { describe, expect, it } from 'vitest';
import {
  albertBase,
  bertBase,
  distilbertBase,
  electraBase,
  linearHead,
  robertaClassificationHead,
  TINY,
  type TinySizes,
} from '../../test/support/hf-checkpoints';
import { memoryTensorStore } from '../../test/support/memory-tensor-store';
import { ModelConfigError, UnsupportedDtypeError, WeightMismatchError } from '../errors/model-errors';
import { InvalidArgumentError } from '../errors/runtime-errors';
import { describeArchitecture } from './architectures';
import { parseModelConfig } from './config';
import { mapWeights } from './map-weights';
import type { ModelConfig } from './model-config';

const FILE = '/m/model.safetensors';

function config(model_type: string, architectures: string[], s: TinySizes = TINY, extra = {}): ModelConfig {
  const common = {
    model_type,
    architectures,
    vocab_size: s.V,
    max_position_embeddings: s.P,
    id2label: Object.fromEntries(Array.from({ length: s.N }, (_, i) => [String(i), `L${i}`])),
    ...extra,
  };
  if (model_type === 'distilbert') {
    return parseModelConfig(
      { ...common, dim: s.H, n_heads: 2, n_layers: s.L, hidden_dim: s.I },
      'config.json',
    );
  }
  return parseModelConfig(
    {
      ...common,
      hidden_size: s.H,
      num_attention_heads: 2,
      num_hidden_layers: s.L,
      intermediate_size: s.I,
      type_vocab_size: s.T,
      embedding_size: s.E,
      num_hidden_groups: s.G,
    },
    'config.json',
  );
}

function mismatch(fn: () => unknown): WeightMismatchError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WeightMismatchError);
    return error as WeightMismatchError;
  }
  throw new Error('expected a WeightMismatchError');
}

/** Canonical tensors per layer (16) plus embeddings for a BERT-like model without projection (5). */
const PER_LAYER = 16;

describe('mapWeights: BERT', () => {
  it('maps a BertForSequenceClassification checkpoint (prefixed) with its pooler and classifier', () => {
    const store = memoryTensorStore({ ...bertBase('bert.', TINY, true), ...linearHead('classifier', TINY) });
    const w = mapWeights(config('bert', ['BertForSequenceClassification']), store, FILE);
    expect(w.tensors.size).toBe(5 + PER_LAYER * TINY.L + 2 + 2);
    expect(w.tensors.get('embeddings.word')?.name).toBe('bert.embeddings.word_embeddings.weight');
    expect(w.tensors.get('embeddings.position')?.name).toBe('bert.embeddings.position_embeddings.weight');
    expect(w.tensors.get('embeddings.token_type')?.name).toBe('bert.embeddings.token_type_embeddings.weight');
    expect(w.tensors.get('embeddings.norm.bias')?.name).toBe('bert.embeddings.LayerNorm.bias');
    expect(w.tensors.get('layers.1.attention.query.weight')?.name).toBe(
      'bert.encoder.layer.1.attention.self.query.weight',
    );
    expect(w.tensors.get('layers.0.attention.output.bias')?.name).toBe(
      'bert.encoder.layer.0.attention.output.dense.bias',
    );
    expect(w.tensors.get('layers.0.attention.norm.weight')?.name).toBe(
      'bert.encoder.layer.0.attention.output.LayerNorm.weight',
    );
    expect(w.tensors.get('layers.1.ffn.intermediate.weight')?.shape).toEqual([TINY.I, TINY.H]);
    expect(w.tensors.get('layers.1.ffn.output.weight')?.name).toBe(
      'bert.encoder.layer.1.output.dense.weight',
    );
    expect(w.tensors.get('layers.1.ffn.norm.weight')?.name).toBe(
      'bert.encoder.layer.1.output.LayerNorm.weight',
    );
    expect(w.tensors.get('pooler.dense.weight')?.name).toBe('bert.pooler.dense.weight');
    expect(w.tensors.get('classifier.weight')?.shape).toEqual([TINY.N, TINY.H]);
    expect(w.ignored).toEqual([]);
    expect(w.store).toBe(store);
  });

  it('maps a BertModel checkpoint (no prefix)', () => {
    const store = memoryTensorStore(bertBase('', TINY, true));
    const w = mapWeights(config('bert', ['BertModel']), store, FILE);
    expect(w.tensors.get('embeddings.word')?.name).toBe('embeddings.word_embeddings.weight');
    expect(w.tensors.get('pooler.dense.bias')?.name).toBe('pooler.dense.bias');
    expect(w.tensors.size).toBe(5 + PER_LAYER * TINY.L + 2);
  });

  it('a BertModel without pooler still loads; a sequence classifier without one does not', () => {
    const base = bertBase('bert.', TINY, false);
    expect(
      mapWeights(config('bert', ['BertModel']), memoryTensorStore(base), FILE).tensors.has(
        'pooler.dense.weight',
      ),
    ).toBe(false);
    const e = mismatch(() =>
      mapWeights(
        config('bert', ['BertForSequenceClassification']),
        memoryTensorStore({ ...base, ...linearHead('classifier', TINY) }),
        FILE,
      ),
    );
    expect(e.missing).toEqual(['bert.pooler.dense.weight', 'bert.pooler.dense.bias']);
  });

  it('token classification and question answering heads', () => {
    const tok = mapWeights(
      config('bert', ['BertForTokenClassification']),
      memoryTensorStore({ ...bertBase('bert.', TINY, false), ...linearHead('classifier', TINY) }),
      FILE,
    );
    expect(tok.tensors.get('classifier.bias')?.shape).toEqual([TINY.N]);
    const qa = mapWeights(
      config('bert', ['BertForQuestionAnswering'], { ...TINY, N: 2 }),
      memoryTensorStore({ ...bertBase('bert.', TINY, false), ...linearHead('qa_outputs', TINY, 2) }),
      FILE,
    );
    expect(qa.tensors.get('qa_outputs.weight')?.shape).toEqual([2, TINY.H]);
  });

  it('ignores the masked-LM / NSP heads and position_ids buffers of a BertForPreTraining checkpoint', () => {
    const store = memoryTensorStore({
      ...bertBase('bert.', TINY, true),
      'bert.embeddings.position_ids': [1, TINY.P],
      'cls.predictions.bias': [TINY.V],
      'cls.predictions.transform.dense.weight': [TINY.H, TINY.H],
      'cls.predictions.decoder.weight': [TINY.V, TINY.H],
      'cls.seq_relationship.weight': [2, TINY.H],
    });
    const w = mapWeights(config('bert', ['BertForPreTraining']), store, FILE);
    expect([...w.ignored].sort()).toEqual([
      'bert.embeddings.position_ids',
      'cls.predictions.bias',
      'cls.predictions.decoder.weight',
      'cls.predictions.transform.dense.weight',
      'cls.seq_relationship.weight',
    ]);
    expect(w.tensors.has('pooler.dense.weight')).toBe(true);
  });

  it('accepts TensorFlow-era gamma/beta LayerNorm names', () => {
    const shapes = bertBase('bert.', TINY, true);
    for (const name of Object.keys(shapes)) {
      if (!name.includes('LayerNorm')) continue;
      const legacy = name.replace(/\.weight$/, '.gamma').replace(/\.bias$/, '.beta');
      shapes[legacy] = shapes[name] as number[];
      delete shapes[name];
    }
    const w = mapWeights(config('bert', ['BertModel']), memoryTensorStore(shapes), FILE);
    expect(w.tensors.get('embeddings.norm.weight')?.name).toBe('bert.embeddings.LayerNorm.gamma');
    expect(w.tensors.get('layers.1.ffn.norm.bias')?.name).toBe('bert.encoder.layer.1.output.LayerNorm.beta');
  });
});

describe('mapWeights: RoBERTa and XLM-R', () => {
  for (const type of ['roberta', 'xlm-roberta']) {
    const cls =
      type === 'roberta' ? 'RobertaForSequenceClassification' : 'XLMRobertaForSequenceClassification';
    it(`${type}: sequence classification head (classifier.dense + out_proj), roberta. prefix`, () => {
      const store = memoryTensorStore({
        ...bertBase('roberta.', TINY, false),
        'roberta.embeddings.position_ids': [1, TINY.P],
        ...robertaClassificationHead(TINY),
      });
      const w = mapWeights(config(type, [cls]), store, FILE);
      expect(w.tensors.get('classifier.dense.weight')?.shape).toEqual([TINY.H, TINY.H]);
      expect(w.tensors.get('classifier.out_proj.weight')?.shape).toEqual([TINY.N, TINY.H]);
      expect(w.tensors.get('layers.0.attention.key.bias')?.name).toBe(
        'roberta.encoder.layer.0.attention.self.key.bias',
      );
      expect(w.tensors.has('pooler.dense.weight')).toBe(false);
      expect(w.ignored).toEqual(['roberta.embeddings.position_ids']);
    });

    it(`${type}: a base checkpoint with pooler and an MLM checkpoint with lm_head`, () => {
      const base = mapWeights(config(type, []), memoryTensorStore(bertBase('', TINY, true)), FILE);
      expect(base.tensors.get('pooler.dense.weight')?.name).toBe('pooler.dense.weight');
      const mlm = mapWeights(
        config(type, ['RobertaForMaskedLM']),
        memoryTensorStore({
          ...bertBase('roberta.', TINY, false),
          'lm_head.dense.weight': [TINY.H, TINY.H],
          'lm_head.layer_norm.weight': [TINY.H],
          'lm_head.decoder.weight': [TINY.V, TINY.H],
          'lm_head.bias': [TINY.V],
        }),
        FILE,
      );
      expect(mlm.ignored).toHaveLength(4);
    });
  }
});

describe('mapWeights: ELECTRA', () => {
  it('projects embeddings of width E to H (embeddings_project)', () => {
    const store = memoryTensorStore({ ...electraBase('electra.', TINY), ...robertaClassificationHead(TINY) });
    const w = mapWeights(config('electra', ['ElectraForSequenceClassification']), store, FILE);
    expect(w.tensors.get('embeddings.word')?.shape).toEqual([TINY.V, TINY.E]);
    expect(w.tensors.get('embeddings.norm.weight')?.shape).toEqual([TINY.E]);
    expect(w.tensors.get('embeddings.projection.weight')?.name).toBe('electra.embeddings_project.weight');
    expect(w.tensors.get('embeddings.projection.weight')?.shape).toEqual([TINY.H, TINY.E]);
    expect(w.tensors.has('pooler.dense.weight')).toBe(false);
  });

  it('has no projection when E equals H, and ignores a discriminator head', () => {
    const s = { ...TINY, E: TINY.H };
    const store = memoryTensorStore({
      ...electraBase('electra.', s),
      'discriminator_predictions.dense.weight': [s.H, s.H],
      'discriminator_predictions.dense_prediction.weight': [1, s.H],
    });
    const w = mapWeights(config('electra', ['ElectraForPreTraining'], s), store, FILE);
    expect(w.tensors.has('embeddings.projection.weight')).toBe(false);
    expect(w.ignored).toHaveLength(2);
  });

  it('token classification without prefix checks; generator heads are ignored', () => {
    const store = memoryTensorStore({
      ...electraBase('', TINY),
      ...linearHead('classifier', TINY),
      'generator_predictions.dense.weight': [TINY.E, TINY.H],
      'generator_lm_head.weight': [TINY.V, TINY.E],
    });
    const w = mapWeights(config('electra', ['ElectraForTokenClassification']), store, FILE);
    expect(w.tensors.get('classifier.weight')?.name).toBe('classifier.weight');
    expect(w.ignored).toEqual(['generator_predictions.dense.weight', 'generator_lm_head.weight']);
  });
});

describe('mapWeights: DistilBERT', () => {
  it('maps q_lin…/lin1/lin2 and the pre_classifier head; no token types', () => {
    const store = memoryTensorStore({
      ...distilbertBase('distilbert.', TINY),
      ...linearHead('pre_classifier', TINY, TINY.H),
      ...linearHead('classifier', TINY),
    });
    const w = mapWeights(config('distilbert', ['DistilBertForSequenceClassification']), store, FILE);
    expect(w.tensors.has('embeddings.token_type')).toBe(false);
    expect(w.tensors.get('layers.1.attention.value.weight')?.name).toBe(
      'distilbert.transformer.layer.1.attention.v_lin.weight',
    );
    expect(w.tensors.get('layers.1.attention.output.weight')?.name).toBe(
      'distilbert.transformer.layer.1.attention.out_lin.weight',
    );
    expect(w.tensors.get('layers.0.attention.norm.weight')?.name).toBe(
      'distilbert.transformer.layer.0.sa_layer_norm.weight',
    );
    expect(w.tensors.get('layers.0.ffn.intermediate.weight')?.name).toBe(
      'distilbert.transformer.layer.0.ffn.lin1.weight',
    );
    expect(w.tensors.get('layers.0.ffn.output.weight')?.name).toBe(
      'distilbert.transformer.layer.0.ffn.lin2.weight',
    );
    expect(w.tensors.get('layers.0.ffn.norm.bias')?.name).toBe(
      'distilbert.transformer.layer.0.output_layer_norm.bias',
    );
    expect(w.tensors.get('pre_classifier.weight')?.shape).toEqual([TINY.H, TINY.H]);
    expect(w.tensors.size).toBe(4 + PER_LAYER * TINY.L + 4);
  });

  it('a DistilBertModel without prefix; a DistilBertForMaskedLM’s vocab_* heads are ignored', () => {
    expect(
      mapWeights(config('distilbert', ['DistilBertModel']), memoryTensorStore(distilbertBase('', TINY)), FILE)
        .tensors.size,
    ).toBe(4 + PER_LAYER * TINY.L);
    const w = mapWeights(
      config('distilbert', ['DistilBertForMaskedLM']),
      memoryTensorStore({
        ...distilbertBase('distilbert.', TINY),
        'vocab_transform.weight': [TINY.H, TINY.H],
        'vocab_layer_norm.weight': [TINY.H],
        'vocab_projector.weight': [TINY.V, TINY.H],
        'vocab_projector.bias': [TINY.V],
      }),
      FILE,
    );
    expect(w.ignored).toHaveLength(4);
  });

  it('question answering has two outputs whatever num_labels says', () => {
    const w = mapWeights(
      config('distilbert', ['DistilBertForQuestionAnswering']),
      memoryTensorStore({ ...distilbertBase('distilbert.', TINY), ...linearHead('qa_outputs', TINY, 2) }),
      FILE,
    );
    expect(w.tensors.get('qa_outputs.weight')?.shape).toEqual([2, TINY.H]);
  });
});

describe('mapWeights: ALBERT', () => {
  it('shares one group among every layer, and maps pooler → pooler.dense', () => {
    const s = { ...TINY, L: 3, G: 1 };
    const store = memoryTensorStore({ ...albertBase('albert.', s, true), ...linearHead('classifier', s) });
    const w = mapWeights(config('albert', ['AlbertForSequenceClassification'], s), store, FILE);
    for (let i = 0; i < 3; i++) {
      expect(w.tensors.get(`layers.${i}.attention.query.weight`)?.name).toBe(
        'albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight',
      );
      expect(w.tensors.get(`layers.${i}.ffn.norm.weight`)?.name).toBe(
        'albert.encoder.albert_layer_groups.0.albert_layers.0.full_layer_layer_norm.weight',
      );
    }
    expect(w.tensors.get('layers.2.attention.output.weight')?.name).toBe(
      'albert.encoder.albert_layer_groups.0.albert_layers.0.attention.dense.weight',
    );
    expect(w.tensors.get('layers.2.attention.norm.weight')?.name).toBe(
      'albert.encoder.albert_layer_groups.0.albert_layers.0.attention.LayerNorm.weight',
    );
    expect(w.tensors.get('layers.1.ffn.intermediate.weight')?.name).toBe(
      'albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight',
    );
    expect(w.tensors.get('layers.1.ffn.output.weight')?.name).toBe(
      'albert.encoder.albert_layer_groups.0.albert_layers.0.ffn_output.weight',
    );
    expect(w.tensors.get('embeddings.projection.weight')?.name).toBe(
      'albert.encoder.embedding_hidden_mapping_in.weight',
    );
    expect(w.tensors.get('pooler.dense.weight')?.name).toBe('albert.pooler.weight');
    expect(w.tensors.get('pooler.dense.bias')?.name).toBe('albert.pooler.bias');
    expect(w.ignored).toEqual([]);
  });

  it('layer i uses group floor(i / (L / G))', () => {
    const s = { ...TINY, L: 4, G: 2 };
    const w = mapWeights(
      config('albert', ['AlbertModel'], s),
      memoryTensorStore(albertBase('', s, true)),
      FILE,
    );
    const group = (i: number) => w.tensors.get(`layers.${i}.attention.key.weight`)?.name.split('.')[2];
    expect([0, 1, 2, 3].map(group)).toEqual(['0', '0', '1', '1']);
  });

  it('groups no layer draws from are ignored; the MLM and SOP heads too', () => {
    const s = { ...TINY, L: 2, G: 4 };
    const store = memoryTensorStore({
      ...albertBase('albert.', s, true),
      'predictions.dense.weight': [s.E, s.H],
      'predictions.decoder.weight': [s.V, s.E],
      'sop_classifier.classifier.weight': [2, s.H],
    });
    const w = mapWeights(config('albert', ['AlbertForPreTraining'], s), store, FILE);
    // L=2, G=4: layer 0 → group 0, layer 1 → group floor(1 / 0.5) = 2.
    expect(w.tensors.get('layers.1.attention.query.weight')?.name).toContain('albert_layer_groups.2.');
    expect(w.ignored.filter((n) => n.includes('albert_layer_groups.1.'))).toHaveLength(PER_LAYER);
    expect(w.ignored.filter((n) => n.includes('albert_layer_groups.3.'))).toHaveLength(PER_LAYER);
    expect(w.ignored).toContain('sop_classifier.classifier.weight');
    expect(w.ignored).toHaveLength(2 * PER_LAYER + 3);
  });

  it('a shared tensor of the wrong shape is reported once', () => {
    const s = { ...TINY, L: 3 };
    const shapes = albertBase('albert.', s, true);
    shapes['albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight'] = [s.I + 1, s.H];
    const e = mismatch(() =>
      mapWeights(config('albert', ['AlbertModel'], s), memoryTensorStore(shapes), FILE),
    );
    expect(e.misshaped).toEqual([
      {
        tensor: 'albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight',
        expected: [s.I, s.H],
        actual: [s.I + 1, s.H],
      },
    ]);
  });

  it('refuses inner_group_num other than 1, naming the field', () => {
    const c = config('albert', ['AlbertModel'], TINY, { inner_group_num: 2 });
    expect(() => mapWeights(c, memoryTensorStore(albertBase('', TINY, true)), FILE)).toThrow(
      ModelConfigError,
    );
    expect(() => describeArchitecture(c, '/m/config.json')).toThrow(
      /\/m\/config\.json, field "inner_group_num"/,
    );
  });
});

describe('mapWeights: mismatches', () => {
  it('lists missing, unexpected and mis-shaped tensors in one error', () => {
    const shapes: Record<string, number[]> = {
      ...bertBase('bert.', TINY, true),
      ...linearHead('classifier', TINY),
    };
    delete shapes['bert.encoder.layer.1.attention.self.value.weight'];
    delete shapes['classifier.bias'];
    shapes['bert.encoder.layer.0.intermediate.dense.weight'] = [TINY.H, TINY.I];
    shapes['bert.embeddings.word_embeddings.weight'] = [TINY.V + 1, TINY.H];
    shapes['bert.encoder.layer.2.attention.self.query.weight'] = [TINY.H, TINY.H];
    shapes['something.else'] = [1];
    const e = mismatch(() =>
      mapWeights(config('bert', ['BertForSequenceClassification']), memoryTensorStore(shapes), FILE),
    );
    expect(e.code).toBe('SAMP_MODEL_WEIGHT_MISMATCH');
    expect(e.file).toBe(FILE);
    expect(e.missing).toEqual(['bert.encoder.layer.1.attention.self.value.weight', 'classifier.bias']);
    expect(e.unexpected).toEqual(['bert.encoder.layer.2.attention.self.query.weight', 'something.else']);
    expect(e.misshaped).toEqual([
      {
        tensor: 'bert.embeddings.word_embeddings.weight',
        expected: [TINY.V, TINY.H],
        actual: [TINY.V + 1, TINY.H],
      },
      {
        tensor: 'bert.encoder.layer.0.intermediate.dense.weight',
        expected: [TINY.I, TINY.H],
        actual: [TINY.H, TINY.I],
      },
    ]);
    expect(e.message).toContain(FILE);
    expect(e.message).toContain(
      'missing tensors: bert.encoder.layer.1.attention.self.value.weight, classifier.bias',
    );
    expect(e.message).toContain(
      'unexpected tensors: bert.encoder.layer.2.attention.self.query.weight, something.else',
    );
    expect(e.message).toContain(`has shape [${TINY.V + 1}, ${TINY.H}], expected [${TINY.V}, ${TINY.H}]`);
  });

  it('head shapes follow num_labels', () => {
    const store = memoryTensorStore({ ...bertBase('', TINY, false), ...linearHead('classifier', TINY, 5) });
    const e = mismatch(() => mapWeights(config('bert', ['BertForTokenClassification']), store, FILE));
    expect(e.misshaped.map((m) => m.tensor)).toEqual(['classifier.weight', 'classifier.bias']);
  });

  it('a head the config does not declare is unexpected; a prefixed head is unexpected', () => {
    const e = mismatch(() =>
      mapWeights(
        config('bert', ['BertModel']),
        memoryTensorStore({ ...bertBase('bert.', TINY, true), ...linearHead('bert.classifier', TINY) }),
        FILE,
      ),
    );
    expect(e.unexpected).toEqual(['bert.classifier.weight', 'bert.classifier.bias']);
    expect(e.missing).toEqual([]);
  });

  it('missing names are shown without prefix for an unprefixed checkpoint', () => {
    const shapes: Record<string, number[]> = bertBase('', TINY, true);
    delete shapes['embeddings.LayerNorm.weight'];
    const e = mismatch(() => mapWeights(config('bert', ['BertModel']), memoryTensorStore(shapes), FILE));
    expect(e.missing).toEqual(['embeddings.LayerNorm.weight']);
    expect(e.tensor).toBe('embeddings.LayerNorm.weight');
  });

  it('an architecture of another model type is all unexpected/missing', () => {
    const e = mismatch(() =>
      mapWeights(config('bert', ['BertModel']), memoryTensorStore(distilbertBase('distilbert.', TINY)), FILE),
    );
    expect(e.missing).toContain('embeddings.word_embeddings.weight');
    expect(e.unexpected).toContain('distilbert.embeddings.word_embeddings.weight');
  });
});

describe('mapWeights: skipped dtypes and reading', () => {
  it('an int64 position_ids buffer left out by the reader is ignored; a needed tensor is an error', () => {
    const base = bertBase('bert.', TINY, true);
    const ok = mapWeights(
      config('bert', ['BertModel']),
      memoryTensorStore(base, [{ name: 'bert.embeddings.position_ids', dtype: 'I64' }]),
      FILE,
    );
    expect(ok.ignored).toEqual(['bert.embeddings.position_ids']);
    const { 'bert.pooler.dense.weight': _dropped, ...rest } = base;
    const store = memoryTensorStore(rest, [{ name: 'bert.pooler.dense.weight', dtype: 'I8' }]);
    expect(() => mapWeights(config('bert', ['BertModel']), store, FILE)).toThrow(UnsupportedDtypeError);
  });

  it('readFloat32 reads by canonical name; an unknown name rejects', async () => {
    const store = memoryTensorStore({
      ...bertBase('', TINY, true),
      'embeddings.LayerNorm.bias': { shape: [TINY.H], values: [1, 2, 3, 4, 5, 6, 7, 8] },
    });
    const w = mapWeights(config('bert', ['BertModel']), store, FILE);
    expect([...(await w.readFloat32('embeddings.norm.bias'))]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await expect(w.readFloat32('embeddings.nope')).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('describeArchitecture', () => {
  it('lists canonical tensors with shapes, required flags and the head', () => {
    const d = describeArchitecture(config('roberta', ['RobertaForTokenClassification']));
    expect(d.basePrefix).toBe('roberta');
    expect(d.head).toBe('token-classification');
    const byName = new Map(d.tensors.map((t) => [t.name, t]));
    expect(byName.get('embeddings.position')).toMatchObject({
      shape: [TINY.P, TINY.H],
      required: true,
      inBaseModel: true,
    });
    expect(byName.get('pooler.dense.weight')).toMatchObject({ required: false });
    expect(byName.get('classifier.weight')).toMatchObject({
      shape: [TINY.N, TINY.H],
      required: true,
      inBaseModel: false,
    });
    expect(d.tensors.map((t) => t.name)).toContain('layers.1.ffn.norm.bias');
    expect(describeArchitecture(config('xlm-roberta', [])).basePrefix).toBe('roberta');
    expect(
      describeArchitecture(config('distilbert', [])).tensors.some((t) => t.name === 'embeddings.token_type'),
    ).toBe(false);
  });
});

import type { HeadV1 } from '@samp/core';

/** One label and its probability. */
export interface RankedLabel {
  readonly label: string;
  readonly probability: number;
}

/** What the head gives for each input: the `k` most probable labels, best first. */
export interface TopKResult {
  readonly top: readonly RankedLabel[];
}

/** Options of {@link topKHead}'s `create`. */
// A type alias, not an interface: head options must be assignable to core's open options record.
export type TopKOptions = {
  /** How many labels to return (default 3). */
  readonly k?: number;
};

/** y = W·x + b for one row, PyTorch's [out, in] weight layout, float64 accumulation. */
function dense(weight: Float32Array, bias: Float32Array, x: ArrayLike<number>, out: number): Float64Array {
  const n = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let sum = bias[o] as number;
    for (let i = 0; i < n; i++) sum += (weight[o * n + i] as number) * (x[i] as number);
    y[o] = sum;
  }
  return y;
}

/**
 * A downstream head written the way any third-party package would write one: it imports only the
 * public `HeadV1` spec from `@samp/core`, reads its weights through `model.weights`, and decodes the
 * encoder's hidden states. It serves BERT and ALBERT sequence classifiers (pooler + classifier) and
 * returns the top-k labels with their softmax probabilities.
 * @example
 * const classify = await pipeline('classification', { model: dir, head: topKHead, headOptions: { k: 2 } });
 * (await classify('a great film')).top; // [{ label: 'positive', probability: 0.93 }, …]
 */
export const topKHead: HeadV1<TopKResult, TopKOptions> = {
  specificationVersion: 'v1',
  name: 'top-k',
  tasks: ['classification'],
  supports(config) {
    if (!config.architectures.some((a) => a.endsWith('ForSequenceClassification')))
      return { supported: false, reason: 'needs a …ForSequenceClassification checkpoint' };
    if (config.modelType !== 'bert' && config.modelType !== 'albert')
      return { supported: false, reason: `reads the BERT pooler, which ${config.modelType} has not` };
    return { supported: true };
  },
  async create(model, options = {}) {
    const k = Math.min(options.k ?? 3, model.config.numLabels);
    const read = (name: string) => model.weights.readFloat32(name);
    const [poolerWeight, poolerBias, classifierWeight, classifierBias] = await Promise.all([
      read('pooler.dense.weight'),
      read('pooler.dense.bias'),
      read('classifier.weight'),
      read('classifier.bias'),
    ]);
    const { hiddenSize, numLabels, id2label } = model.config;
    return {
      decode(output) {
        const { batchSize, sequenceLength, lastHiddenState } = output;
        return Array.from({ length: batchSize }, (_, row) => {
          const cls = lastHiddenState.subarray(
            row * sequenceLength * hiddenSize,
            (row * sequenceLength + 1) * hiddenSize,
          );
          const pooled = dense(poolerWeight, poolerBias, cls, hiddenSize).map(Math.tanh);
          const logits = dense(classifierWeight, classifierBias, pooled, numLabels);
          const max = Math.max(...logits);
          const exp = logits.map((l) => Math.exp(l - max));
          const total = exp.reduce((a, b) => a + b, 0);
          const ranked = Array.from(exp, (e, id) => ({
            label: id2label[id] ?? `LABEL_${id}`,
            probability: e / total,
          }));
          ranked.sort((a, b) => b.probability - a.probability);
          return { top: ranked.slice(0, k) };
        });
      },
    };
  },
};

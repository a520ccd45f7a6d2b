import {
  type HeadCreateOptions,
  type HeadInstance,
  type HeadV1,
  InvalidArgumentError,
  type ModelConfig,
  SUPPORTED_MODEL_TYPES,
} from '@samp/core';

/** How token vectors become a row's result. */
export type FeaturePooling = 'none' | 'mean' | 'cls';

/** Options of {@link featureExtractionHead}'s `create`. */
export interface FeatureExtractionOptions extends HeadCreateOptions {
  /**
   * `none` (default): every real token's last hidden state, as transformers' feature-extraction
   * pipeline returns them. `mean`: their average over the attention mask (special tokens included, as
   * sentence-transformers pools). `cls`: the first token's.
   */
  pooling?: FeaturePooling;
  /** L2-normalise each pooled vector (default false; ignored with `pooling: 'none'`). */
  normalize?: boolean;
}

/** One row's features: row-major `data` of `shape` `[tokens, hidden]` (no pooling) or `[hidden]`. */
export interface FeatureExtractionResult {
  data: Float32Array;
  shape: number[];
}

function checkOptions(o: FeatureExtractionOptions): void {
  if (o.pooling !== undefined && o.pooling !== 'none' && o.pooling !== 'mean' && o.pooling !== 'cls')
    throw new InvalidArgumentError('pooling', `expected none, mean or cls, got ${String(o.pooling)}`);
  if (o.normalize !== undefined && typeof o.normalize !== 'boolean')
    throw new InvalidArgumentError('normalize', `expected a boolean, got ${String(o.normalize)}`);
}

function normalizeInPlace(v: Float32Array): void {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
}

/**
 * The hidden states themselves (task `feature-extraction`): any encoder samp loads, whatever its head.
 * @example
 * const head = await featureExtractionHead.create(model, { pooling: 'mean', normalize: true });
 * const [row] = head.decode(output, { attentionMask });
 * row.shape; // [hiddenSize]
 */
export const featureExtractionHead: HeadV1<FeatureExtractionResult, FeatureExtractionOptions> = {
  specificationVersion: 'v1',
  name: 'feature-extraction',
  tasks: ['feature-extraction'],
  supports(config: ModelConfig) {
    return (SUPPORTED_MODEL_TYPES as readonly string[]).includes(config.modelType)
      ? { supported: true }
      : { supported: false, reason: `model_type "${config.modelType}" is not a supported encoder` };
  },
  async create(model, options = {}): Promise<HeadInstance<FeatureExtractionResult>> {
    checkOptions(options);
    const pooling = options.pooling ?? 'none';
    const normalize = options.normalize === true;
    const H = model.config.hiddenSize;
    return {
      decode(output, { attentionMask }) {
        const { batchSize: B, sequenceLength: S, hiddenSize, lastHiddenState } = output;
        if (hiddenSize !== H)
          throw new InvalidArgumentError('output.hiddenSize', `is ${hiddenSize}, the model's is ${H}`);
        if (attentionMask.length !== B * S)
          throw new InvalidArgumentError(
            'context.attentionMask',
            `has ${attentionMask.length} values, expected ${B}×${S}`,
          );
        const results: FeatureExtractionResult[] = [];
        for (let b = 0; b < B; b++) {
          let tokens = 0;
          while (tokens < S && attentionMask[b * S + tokens] === 1) tokens++;
          const row = lastHiddenState.subarray(b * S * H, (b * S + tokens) * H);
          if (pooling === 'none') {
            results.push({ data: row.slice(), shape: [tokens, H] });
            continue;
          }
          let v: Float32Array;
          if (pooling === 'cls') v = row.slice(0, H);
          else {
            // Accumulate in float64: long rows of float32 sums drift.
            const acc = new Float64Array(H);
            for (let t = 0; t < tokens; t++)
              for (let j = 0; j < H; j++) acc[j] = (acc[j] as number) + (row[t * H + j] as number);
            v = Float32Array.from(acc, (x) => x / Math.max(tokens, 1));
          }
          if (normalize) normalizeInPlace(v);
          results.push({ data: v, shape: [H] });
        }
        return results;
      },
      dispose: () => {},
    };
  },
};

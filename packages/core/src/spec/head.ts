import type { ModelArtifacts } from '../model/model-artifacts';
import type { ModelConfig } from '../model/model-config';
import type { EncoderOutput } from './encoder-backend';

/** Whether a head can decode a model's output, and if not, why. */
export type HeadSupport = { supported: true } | { supported: false; reason: string };

/**
 * What a head may need besides the encoder output, for the same padded batch: the attention mask, each
 * token's character span in its text, and the texts themselves.
 */
export interface HeadContext {
  /** `[batchSize, sequenceLength]`, 1 for real tokens (the batch's `EncoderInput.attentionMask`). */
  attentionMask: Int32Array;
  /**
   * Per row, `[start, end)` character offsets of each token into its text, as flat pairs
   * (`offsets[row][2 * t]`, `offsets[row][2 * t + 1]`); special and padding tokens have `[0, 0]`.
   * Absent when the caller passed token ids rather than texts.
   */
  offsets?: readonly Int32Array[];
  /**
   * The original texts by row: one text, or a pair for text-pair inputs. Absent when the caller passed
   * token ids.
   */
  texts?: readonly (string | readonly [string, string])[];
}

/** How a head instance is created; heads may accept more options of their own. */
export interface HeadCreateOptions {
  /** The task it serves, when the head serves several (one of `tasks`). */
  task?: string;
  [option: string]: unknown;
}

/** A head bound to one model: turns encoder outputs into one prediction per row. */
export interface HeadInstance<Output> {
  /** Exactly one result per row of the batch, in order. Synchronous: heads do light CPU work. */
  decode(output: EncoderOutput, context: HeadContext): Output[];
  /** Frees what `create` allocated; idempotent. */
  dispose?(): void | Promise<void>;
}

/**
 * The head specification, version 1. samp's own heads implement it exactly as a third-party package
 * would; heads receive encoder outputs and never import a backend.
 * @example
 * const meanPooling: HeadV1<Float32Array> = {
 *   specificationVersion: 'v1',
 *   name: 'mean-pooling',
 *   tasks: ['feature-extraction'],
 *   supports: () => ({ supported: true }),
 *   create: async () => ({
 *     decode: (output, { attentionMask }) => poolRows(output, attentionMask),
 *   }),
 * };
 */
export interface HeadV1<Output = unknown, Options extends HeadCreateOptions = HeadCreateOptions> {
  readonly specificationVersion: 'v1';
  /** Unique name, e.g. `classification`. */
  readonly name: string;
  /** Pipeline tasks it serves, e.g. `['text-classification', 'sentiment-analysis']`. */
  readonly tasks: readonly string[];
  /** Whether the head can serve a model with this config (e.g. it has a classifier and labels). */
  supports(config: ModelConfig): HeadSupport;
  /** Reads what the head needs from the model (classifier weights, labels). */
  create(model: ModelArtifacts, options?: Options): Promise<HeadInstance<Output>>;
}

/** True when `value` looks like a {@link HeadV1} (checks the version marker and members, not behaviour). */
export function isHeadV1(value: unknown): value is HeadV1 {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.specificationVersion === 'v1' &&
    typeof v.name === 'string' &&
    Array.isArray(v.tasks) &&
    typeof v.supports === 'function' &&
    typeof v.create === 'function'
  );
}

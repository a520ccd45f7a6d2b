import { loadModel } from '../model/load-model';
import type { ModelArtifacts } from '../model/model-artifacts';

/** Loads a model folder; the conformance suites use `@samp/core`'s `loadModel` unless given another. */
export type ModelLoader = (dir: string) => Promise<ModelArtifacts>;

/**
 * The conformance suites' default loader: `@samp/core`'s `loadModel` with the tokenizer files skipped
 * (backends and heads never need them, and some fixtures' tokenizers are BPE).
 */
export function defaultModelLoader(dir: string): Promise<ModelArtifacts> {
  return loadModel(dir, { tokenizer: false });
}

export * from './architectures';
export { ACTIVATION_ALIASES, parseModelConfig, readModelConfig } from './config';
export { computeFingerprint } from './fingerprint';
export { type LoadModelOptions, loadModel } from './load-model';
export { isIgnoredTensor, mapWeights } from './map-weights';
export type { ModelArtifacts, ModelWeights, TokenizerSettings } from './model-artifacts';
export {
  type Activation,
  type ModelConfig,
  type ModelType,
  type ProblemType,
  SUPPORTED_MODEL_TYPES,
} from './model-config';
export { parseTokenizerJson, type TokenizerJsonSettings } from './tokenizer-json';
export { readTokenizerSettings } from './tokenizer-settings';
export { parseVocabTxt } from './vocab-txt';

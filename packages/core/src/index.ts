// @samp/core: model loading, the shared specs and types, the backend registry and typed errors.

export * from './errors';
export * from './model';
export * from './native';
export * from './quant';
export * from './registry';
export * from './spec';
export type { SessionMemoryUsage } from './spec/encoder-backend';
export * from './weights';

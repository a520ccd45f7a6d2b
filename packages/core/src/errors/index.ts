export * from './model-errors';
export * from './runtime-errors';
export { SampError, type SampErrorOptions } from './samp-error';

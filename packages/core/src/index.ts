// @samp/core: its API arrives with its issue; until then the package exports nothing.
export {};
export * from './quant';
export * from './registry';
export * from './spec';

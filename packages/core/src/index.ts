// @samp/core: its API arrives with its issue; until then the package exports nothing.

export * from './errors';
export * from './model';
export * from './quant';
export * from './registry';
export * from './spec';
export * from './weights';

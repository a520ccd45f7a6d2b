// @samp/head-token-classification: its API arrives with its issue; until then the package exports nothing.
export {};

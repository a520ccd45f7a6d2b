// @samp/encoder-cpu-vnni: its API arrives with its issue; until then the package exports nothing.
export {};

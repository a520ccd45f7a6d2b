// @samp/recommender: its API arrives with its issue; until then the package exports nothing.
export {};

/**
 * The tables a fused embedding kernel reads (Float32, row-major). Linear weights are in PyTorch's
 * `[out, in]` layout, as `ModelWeights.readFloat32` returns them.
 */
export interface EmbeddingTables {
  /** `embeddings.word` `[vocabSize, E]`. */
  readonly word: Float32Array;
  /** `embeddings.position` `[maxPositionEmbeddings, E]`. */
  readonly position: Float32Array;
  /** `embeddings.token_type` `[typeVocabSize, E]`; absent when the architecture has none. */
  readonly tokenType?: Float32Array;
  /** `embeddings.norm.weight` / `.bias` `[E]`. */
  readonly normWeight: Float32Array;
  readonly normBias: Float32Array;
  /** `embeddings.projection.weight` `[H, E]` and `.bias` `[H]` (ALBERT, ELECTRA with E ≠ H). */
  readonly projectionWeight?: Float32Array;
  readonly projectionBias?: Float32Array;
}

/** One call of a fused embedding kernel: `tokens` tokens (padded rows, or only the real tokens packed). */
export interface FusedEmbeddingRequest {
  readonly tables: EmbeddingTables;
  /** Width of the tables (E) and of the output (H: E without projection). */
  readonly embeddingSize: number;
  readonly hiddenSize: number;
  readonly tokens: number;
  /** `[tokens]`, each in `[0, vocabSize)`. */
  readonly inputIds: Int32Array;
  /** `[tokens]`, from `positionIds()` of the architecture's rules; each in `[0, maxPositionEmbeddings)`. */
  readonly positionIds: Int32Array;
  /** `[tokens]`; absent means all zeros. Ignored when there is no token-type table. */
  readonly tokenTypeIds?: Int32Array;
  readonly layerNormEps: number;
  /**
   * The optional quantize epilogue for an INT8 first layer: the output becomes int8 with this per-tensor
   * scale (the QuantProfile's scale of `layers.0.attention.qkv.input`): `q = clamp(roundHalfEven(x /
   * scale), −127, 127)`, so `x ≈ q · scale`.
   */
  readonly quantize?: { readonly scale: number };
}

/** What a fused embedding kernel returns: `[tokens, H]` row-major. */
export type FusedEmbeddingResult =
  | { readonly kind: 'float32'; readonly data: Float32Array; readonly width: number }
  | { readonly kind: 'int8'; readonly data: Int8Array; readonly width: number; readonly scale: number };

/**
 * The fused embedding kernel every backend implements (and `referenceFusedEmbedding` implements in
 * TypeScript): for each token t,
 *
 * 1. `e = word[inputIds[t]] + position[positionIds[t]] + tokenType[tokenTypeIds[t]]` (the last term only
 *    with a token-type table);
 * 2. `e = LayerNorm(e) · normWeight + normBias` with the biased variance and `layerNormEps`;
 * 3. with a projection: `e = projectionWeight · e + projectionBias` (E → H);
 * 4. with `quantize`: `q = clamp(roundHalfEven(e / scale), −127, 127)` as int8.
 *
 * Accuracy: within 1e-5 relative (max |Δ| / max |expected|) of a float64 evaluation for float32 output.
 * Inputs are validated by the caller (`validateEncoderInput`); kernels may assume ids in range but
 * native kernels still check before reading tables.
 */
export interface FusedEmbeddingContract {
  /** Runs the stage; synchronous in the reference, a backend may run it on its own threads. */
  embed(request: FusedEmbeddingRequest): FusedEmbeddingResult;
}

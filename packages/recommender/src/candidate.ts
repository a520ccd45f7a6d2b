import {
  GEMM_NAMES,
  type GemmName,
  type GemmPrecision,
  type LayerPlan,
  type LayerPrecision,
  resolveLayerGemms,
} from '@samp/core';

/** A plan under consideration: one `LayerPlan` per encoder layer, in layer order. */
export type Candidate = readonly LayerPlan[];

/** One-letter codes of the layer precisions in plan labels (`FFN-` = int8-full ×2, int8-ffn, fp32). */
export const LAYER_CODES: Readonly<Record<LayerPrecision, string>> = {
  fp32: '-',
  fp16: 'h',
  fp8: 'e',
  'int8-full': 'F',
  'int8-ffn': 'N',
};

/** One-letter codes of the GEMMs in the brackets of per-GEMM labels (`-[qf]`: fp32 with QKV and FFN-out int8). */
export const GEMM_CODES: Readonly<Record<GemmName, string>> = {
  qkv: 'q',
  'attention-scores': 's',
  'attention-context': 'c',
  'attention-output': 'o',
  'ffn-intermediate': 'i',
  'ffn-output': 'f',
};

/** A stable key of a candidate (identical plans, identical keys), for caches and de-duplication. */
export function candidateKey(candidate: Candidate): string {
  return candidate
    .map((layer) => {
      const overrides = GEMM_NAMES.filter((g) => layer.gemms?.[g] !== undefined).map(
        (g) => `${g}=${layer.gemms?.[g]}`,
      );
      return overrides.length === 0 ? layer.precision : `${layer.precision}[${overrides.join(',')}]`;
    })
    .join('|');
}

/**
 * A compact label of a candidate, one code per layer (see {@link LAYER_CODES}); per-GEMM overrides follow
 * in brackets as GEMM codes ({@link GEMM_CODES}), with `:precision` unless it is int8.
 * @example
 * describeCandidate([{ precision: 'int8-full' }, { precision: 'fp32', gemms: { qkv: 'int8' } }]); // 'F-[q]'
 */
export function describeCandidate(candidate: Candidate): string {
  return candidate
    .map((layer) => {
      const overrides = GEMM_NAMES.filter((g) => layer.gemms?.[g] !== undefined).map((g) => {
        const p = layer.gemms?.[g] as GemmPrecision;
        return p === 'int8' ? GEMM_CODES[g] : `${GEMM_CODES[g]}:${p}`;
      });
      return `${LAYER_CODES[layer.precision]}${overrides.length === 0 ? '' : `[${overrides.join('')}]`}`;
    })
    .join('');
}

/** A candidate with every one of `numLayers` layers at `precision`. */
export function uniformCandidate(numLayers: number, precision: LayerPrecision): Candidate {
  return Array.from({ length: numLayers }, () => ({ precision }));
}

/** `candidate` with layer `index` replaced by `layer`. */
export function withLayer(candidate: Candidate, index: number, layer: LayerPlan): Candidate {
  return candidate.map((l, i) => (i === index ? layer : l));
}

/**
 * The canonical layer plan whose GEMMs in `int8` are exactly `int8Gemms` among `searchable` (the others in
 * fp32): `int8-full` when every searchable GEMM is int8, `int8-ffn` for exactly the two FFN GEMMs, `fp32`
 * for none, else fp32 with per-GEMM overrides. Canonical forms keep equal plans under one key.
 */
export function layerWithInt8Gemms(
  int8Gemms: ReadonlySet<GemmName>,
  searchable: readonly GemmName[],
): LayerPlan {
  const chosen = searchable.filter((g) => int8Gemms.has(g));
  if (chosen.length === 0) return { precision: 'fp32' };
  if (chosen.length === searchable.length && searchable.length > 0) {
    // int8-full also covers GEMMs outside `searchable` (the attention matmuls a backend may keep in float).
    return { precision: 'int8-full' };
  }
  if (chosen.length === 2 && chosen.includes('ffn-intermediate') && chosen.includes('ffn-output')) {
    return { precision: 'int8-ffn' };
  }
  return { precision: 'fp32', gemms: Object.fromEntries(chosen.map((g) => [g, 'int8'])) };
}

/** The searchable GEMMs a layer runs in int8 (float precision fp32 for what its mode leaves in float). */
export function int8GemmsOf(layer: LayerPlan, searchable: readonly GemmName[]): Set<GemmName> {
  const resolved = resolveLayerGemms(layer, 'fp32');
  return new Set(searchable.filter((g) => resolved[g] === 'int8'));
}

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

/**
 * The float precision every layer the search leaves unquantized runs at: `fp32` on CPUs, `fp16` on GPUs
 * (a CUDA session runs one float precision, so an fp16-based plan never has an fp32 layer).
 */
export type BasePrecision = 'fp32' | 'fp16';

/** The base precisions, in the order they are documented. */
export const BASE_PRECISIONS: readonly BasePrecision[] = ['fp32', 'fp16'];

/** Whether `value` is a {@link BasePrecision}. */
export function isBasePrecision(value: unknown): value is BasePrecision {
  return value === 'fp32' || value === 'fp16';
}

/** Whether `layer` is the base precision with no per-GEMM override: the layer the search leaves alone. */
export function isBaseLayer(layer: LayerPlan, base: BasePrecision): boolean {
  return layer.precision === base && layer.gemms === undefined;
}

/** One-letter codes of the layer precisions in plan labels (`FFN-` = int8-full ×2, int8-ffn, fp32). */
export const LAYER_CODES: Readonly<Record<LayerPrecision, string>> = {
  fp32: '-',
  fp16: 'h',
  fp8: 'e',
  'int8-full': 'F',
  'int8-ffn': 'N',
};

/**
 * One-letter codes of the GEMMs in the brackets of per-GEMM labels (`-[qf]`: fp32 with QKV and FFN-out
 * int8; `h[q]`: fp16 with QKV in int8).
 */
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
 * The canonical layer plan whose GEMMs in `int8` are exactly `int8Gemms` among `searchable` (the others at
 * `base`): `int8-full` when every searchable GEMM is int8, `int8-ffn` for exactly the two FFN GEMMs, `base`
 * for none, else `base` with per-GEMM overrides. Canonical forms keep equal plans under one key.
 * @param base the float precision of the other GEMMs (default `fp32`).
 */
export function layerWithInt8Gemms(
  int8Gemms: ReadonlySet<GemmName>,
  searchable: readonly GemmName[],
  base: BasePrecision = 'fp32',
): LayerPlan {
  const chosen = searchable.filter((g) => int8Gemms.has(g));
  if (chosen.length === 0) return { precision: base };
  if (chosen.length === searchable.length && searchable.length > 0) {
    // int8-full also covers GEMMs outside `searchable` (the attention matmuls a backend may keep in float).
    return { precision: 'int8-full' };
  }
  if (chosen.length === 2 && chosen.includes('ffn-intermediate') && chosen.includes('ffn-output')) {
    return { precision: 'int8-ffn' };
  }
  return { precision: base, gemms: Object.fromEntries(chosen.map((g) => [g, 'int8'])) };
}

/** The searchable GEMMs a layer runs in int8 (what its mode leaves in float does not matter here). */
export function int8GemmsOf(layer: LayerPlan, searchable: readonly GemmName[]): Set<GemmName> {
  const resolved = resolveLayerGemms(layer, 'fp32');
  return new Set(searchable.filter((g) => resolved[g] === 'int8'));
}

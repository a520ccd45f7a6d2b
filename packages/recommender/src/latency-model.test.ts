import { describe, expect, it } from 'vitest';
import { type Candidate, uniformCandidate, withLayer } from './candidate';
import { checkLatencyTable, estimateLatencyTable, fitLatencyTable, predictLatency } from './latency-model';
import type { LatencyTable } from './measurement-tables';

// A device where a layer costs 10 ms in fp32, 6 in int8-full, 8 in int8-ffn, an fp32 layer with its QKV
// in int8 9 ms, plus 5 ms of embeddings and head.
const truth = (plan: Candidate) =>
  5 +
  plan.reduce((s, l) => {
    if (l.gemms?.qkv === 'int8') return s + 9;
    return (
      s + (({ fp32: 10, 'int8-full': 6, 'int8-ffn': 8 } as Record<string, number>)[l.precision] as number)
    );
  }, 0);

const shape = { numLayers: 4, device: 'cpu:test', batchSize: 32, sequenceLength: 64 };
const qkv: Candidate = uniformCandidate(4, 'fp32').map(() => ({ precision: 'fp32', gemms: { qkv: 'int8' } }));

describe('fitLatencyTable', () => {
  const fitPlans = [
    uniformCandidate(4, 'fp32'),
    uniformCandidate(4, 'int8-full'),
    uniformCandidate(4, 'int8-ffn'),
    qkv,
  ];
  const table = fitLatencyTable(
    fitPlans.map((plan) => ({ plan, ms: truth(plan) })),
    shape,
  );

  it('recovers additive per-layer costs (fp32 folded into the fixed part) and per-GEMM costs', () => {
    expect(table.fixedMs).toBeCloseTo(45, 6);
    expect(table.layers).toHaveLength(4);
    expect(table.layers[2]?.['int8-full']).toBeCloseTo(-4, 6);
    expect(table.layers[0]?.['int8-ffn']).toBeCloseTo(-2, 6);
    expect(table.gemms?.[3]?.qkv?.int8).toBeCloseTo(-1, 6);
  });

  it('predicts mixed plans it was not fitted on, and the checks report their error', () => {
    let mixed = withLayer(uniformCandidate(4, 'int8-ffn'), 1, { precision: 'int8-full' });
    mixed = withLayer(mixed, 3, { precision: 'fp32', gemms: { qkv: 'int8' } });
    expect(predictLatency(table, mixed).ms).toBeCloseTo(truth(mixed), 6);
    const [check] = checkLatencyTable(table, [{ plan: mixed, ms: truth(mixed) * 1.1 }]);
    expect(check?.label).toBe('NFN-[q]');
    expect(check?.errorPct).toBeCloseTo((1 / 1.1 - 1) * 100, 6);
  });

  it('names the entry a plan needs and the table lacks', () => {
    expect(predictLatency(table, uniformCandidate(4, 'fp16'))).toEqual({ missing: 'layers[0].fp16' });
    const ffnOut = withLayer(uniformCandidate(4, 'fp32'), 2, {
      precision: 'fp32',
      gemms: { 'ffn-output': 'int8' },
    });
    expect(predictLatency(table, ffnOut)).toEqual({ missing: 'gemms[2].ffn-output.int8' });
  });
});

describe('estimateLatencyTable', () => {
  const at = (batchSize: number, sequenceLength: number): LatencyTable => {
    // Work per token plus attention (per token × sequence length).
    const cost = (a: number, c: number) =>
      a * batchSize * sequenceLength + c * batchSize * sequenceLength * sequenceLength;
    return {
      device: 'cpu:test',
      batchSize,
      sequenceLength,
      fixedMs: cost(0.01, 0.0001),
      layers: [{ fp32: 0, 'int8-full': cost(-0.002, 0) }],
    };
  };

  it('fits work per token plus attention over two or more sequence lengths', () => {
    const t = estimateLatencyTable([at(32, 64), at(32, 128), at(8, 256)], 16, 96);
    const want = at(16, 96);
    expect(t.fixedMs).toBeCloseTo(want.fixedMs, 6);
    expect(t.layers[0]?.['int8-full']).toBeCloseTo(want.layers[0]?.['int8-full'] as number, 6);
    expect(t.estimatedFrom).toEqual([
      { batchSize: 32, sequenceLength: 64 },
      { batchSize: 32, sequenceLength: 128 },
      { batchSize: 8, sequenceLength: 256 },
    ]);
  });

  it('scales by tokens from one shape, and returns a measured shape as it is', () => {
    const t = estimateLatencyTable([at(32, 64)], 64, 64);
    expect(t.fixedMs).toBeCloseTo(at(32, 64).fixedMs * 2, 9);
    expect(estimateLatencyTable([at(32, 64), at(8, 64)], 8, 64)).toEqual(at(8, 64));
  });
});

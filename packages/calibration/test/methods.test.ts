// Threshold methods and the quantization-error estimate, against direct computation on the samples.
import { describe, expect, it } from 'vitest';
import { AbsHistogram } from '../src/abs-histogram';
import { compareMethods } from '../src/method-report';
import { coarseToFineMinimum } from '../src/methods/coarse-to-fine-search';
import { entropyThreshold } from '../src/methods/entropy-threshold';
import { mseThreshold } from '../src/methods/mse-threshold';
import { percentileThreshold } from '../src/methods/percentile-threshold';
import { cumulativeSquaredError, quantizationNoise, sqnrDb } from '../src/quantization-error';

/** Gaussian samples (Box–Muller on a fixed LCG) with a few large outliers, as activations look. */
function activations(n: number, outliers: number): Float32Array {
  let state = 12345;
  const uniform = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  }
  for (let i = 0; i < outliers; i++) out[(i * 7919) % n] = (i % 2 === 0 ? 1 : -1) * (20 + i);
  return out;
}

/** Σ (x − Q(x))² of the samples themselves, symmetric INT8 at `threshold`. */
function directNoise(data: Float32Array, threshold: number): number {
  const d = threshold / 127;
  let noise = 0;
  for (const x of data) {
    const q = Math.max(-127, Math.min(127, Math.round(x / d))) * d;
    noise += (x - q) ** 2;
  }
  return noise;
}

function histogramOf(data: Float32Array, bins = 4096): AbsHistogram {
  const h = new AbsHistogram(bins);
  h.add(data, 0, data.length);
  return h;
}

describe('quantization error', () => {
  it('integrates (t − Q(t))² in closed form', () => {
    for (const [x, threshold] of [
      [0.3, 1],
      [0.9999, 1],
      [1.7, 1],
      [5.2, 12.7],
      [0.004, 12.7],
    ] as const) {
      const steps = 200_000;
      let riemann = 0;
      const d = threshold / 127;
      for (let i = 0; i < steps; i++) {
        const t = ((i + 0.5) / steps) * x;
        const q = Math.min(127, Math.round(t / d)) * d;
        riemann += ((t - q) ** 2 * x) / steps;
      }
      expect(cumulativeSquaredError(x, threshold)).toBeCloseTo(riemann, 9);
    }
  });

  it("estimates the samples' quantization noise and SQNR from the histogram", () => {
    const data = activations(50_000, 10);
    const h = histogramOf(data);
    for (const threshold of [h.absMax, 6, 3, 1.5]) {
      const direct = directNoise(data, threshold);
      expect(Math.abs(quantizationNoise(h, threshold) - direct) / direct).toBeLessThan(0.03);
      let signal = 0;
      for (const x of data) signal += x * x;
      expect(Math.abs(sqnrDb(h, threshold) - 10 * Math.log10(signal / direct))).toBeLessThan(0.15);
    }
  });
});

describe('threshold methods', () => {
  const data = activations(50_000, 10);
  const h = histogramOf(data);

  it('percentile: the fraction of |x| kept is the percentile', () => {
    const sorted = Array.from(data, Math.abs).sort((a, b) => a - b);
    for (const p of [50, 99, 99.9]) {
      const t = percentileThreshold(h, p);
      const kept = sorted.filter((a) => a <= t).length / sorted.length;
      expect(Math.abs(kept - p / 100)).toBeLessThan(2e-4);
    }
    expect(percentileThreshold(h, 100)).toBe(h.absMax);
    // 99.99 % of 50,000 keeps all but 5 values: below the 10 outliers' smallest (20).
    expect(percentileThreshold(h, 99.99)).toBeGreaterThan(20);
    expect(percentileThreshold(h, 99.9)).toBeLessThan(5);
  });

  it('mse: the least noise of the methods, measured on the samples themselves', () => {
    // Ten outliers of 20…29 among 50,000 N(0, 1) values cost more clipped than kept.
    const t = mseThreshold(h);
    expect(t).toBeGreaterThan(20);
    const noise = directNoise(data, t);
    for (const other of [h.absMax, percentileThreshold(h, 99.99), entropyThreshold(h), t * 0.8, t * 1.25]) {
      expect(noise).toBeLessThanOrEqual(directNoise(data, other) * 1.02);
    }
  });

  it('mse: clips a Laplace distribution where ACIQ says 8 bits should (≈ 9.89 b)', () => {
    const laplace = new Float32Array(50_000).map((_, i) => {
      const u = (i + 0.5) / 50_000 - 0.5;
      return -Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
    });
    const hl = histogramOf(laplace);
    const t = mseThreshold(hl);
    expect(t).toBeLessThan(hl.absMax);
    expect(Math.abs(t - 9.89)).toBeLessThan(0.5);
    let best = Number.POSITIVE_INFINITY;
    for (let g = 6; g <= hl.absMax; g += 0.1) best = Math.min(best, directNoise(laplace, g));
    expect(directNoise(laplace, t)).toBeLessThanOrEqual(best * 1.01);
  });

  it('entropy: clips the outliers of a Gaussian, keeps the bulk', () => {
    const t = entropyThreshold(h);
    expect(t).toBeGreaterThan(2.5);
    expect(t).toBeLessThan(h.absMax / 2);
    // A uniform distribution has nothing to clip: the threshold stays near the maximum.
    const uniform = new Float32Array(40_000).map((_, i) => ((i * 0.618034) % 1) * 3);
    const hu = histogramOf(uniform);
    expect(entropyThreshold(hu)).toBeGreaterThan(0.9 * hu.absMax);
  });

  it('entropy: the same threshold as a direct KL(P‖Q) search over explicit distributions', () => {
    const small = histogramOf(activations(20_000, 3), 512);
    const counts = small.counts;
    let n = counts.length;
    while ((counts[n - 1] as number) === 0) n--;
    let best = 128;
    let bestKl = Number.POSITIVE_INFINITY;
    for (let i = 128; i <= n; i++) {
      const p = Array.from(counts.subarray(0, i));
      p[i - 1] = (p[i - 1] as number) + counts.subarray(i, n).reduce((a, b) => a + b, 0);
      const q = new Array<number>(i).fill(0);
      for (let g = 0; g < 128; g++) {
        const start = Math.ceil((g * i) / 128);
        const end = Math.ceil(((g + 1) * i) / 128);
        let mass = 0;
        let nonzero = 0;
        for (let k = start; k < end; k++) {
          mass += counts[k] as number;
          if ((p[k] as number) > 0) nonzero++;
        }
        for (let k = start; k < end; k++) if ((p[k] as number) > 0) q[k] = mass > 0 ? mass / nonzero : 0;
      }
      const pSum = p.reduce((a, b) => a + b, 0);
      const qSum = q.reduce((a, b) => a + b, 0);
      let kl = 0;
      for (let k = 0; k < i; k++) {
        if ((p[k] as number) === 0) continue;
        const pk = (p[k] as number) / pSum;
        const qk = (q[k] as number) > 0 ? (q[k] as number) / qSum : 1e-12;
        kl += pk * Math.log(pk / qk);
      }
      if (kl < bestKl - 1e-12) {
        bestKl = kl;
        best = i;
      }
    }
    expect(entropyThreshold(small)).toBe(Math.min(best * small.binWidth, small.absMax));
  });

  it('every method stays within the observed maximum; an all-zero tensor gets threshold 0 and scale 1/127', () => {
    const report = compareMethods('layers.0.attention.context', h, 'mse');
    for (const m of ['max', 'percentile', 'mse', 'entropy'] as const) {
      expect(report.methods[m].threshold).toBeLessThanOrEqual(h.absMax);
      expect(report.methods[m].threshold).toBeGreaterThan(0);
    }
    expect(report.scale).toBe(report.methods.mse.threshold / 127);
    expect(report.bestBySqnr).toBe('mse');
    const zeros = histogramOf(new Float32Array(100));
    const z = compareMethods('layers.0.attention.context', zeros, 'entropy');
    expect(z.methods.entropy.threshold).toBe(0);
    expect(z.scale).toBe(1 / 127);
    expect(z.count).toBe(100);
  });

  it('coarse-to-fine search finds the minimum of a smooth cost, ties to the smaller candidate', () => {
    expect(coarseToFineMinimum(128, 4096, (i) => (i - 1000) ** 2)).toBe(1000);
    expect(coarseToFineMinimum(1, 10, () => 1)).toBe(1);
    expect(coarseToFineMinimum(5, 5, (i) => i)).toBe(5);
  });
});

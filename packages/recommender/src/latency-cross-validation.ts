import { describeCandidate } from './candidate';
import {
  determinesPlan,
  type FitLatencyOptions,
  fitLatencyTable,
  type LatencyCheck,
  type LatencyMeasurement,
  predictLatency,
} from './latency-model';

/**
 * Leave-one-out check of the latency model: each measurement is predicted by a table fitted to all the
 * others, so the errors say how well the model prices a plan it has not seen (a fit's own residuals
 * flatter it). Repeated measurements of one plan may appear more than once; a measurement whose plan needs
 * a price the others do not determine (a GEMM timed only there, the base when it alone fixes the constant) is
 * skipped.
 * @example
 * const checks = crossValidateLatency(measurements, { numLayers: 4, device: 'cpu', batchSize: 32, sequenceLength: 64 });
 * const worst = Math.max(...checks.map((c) => Math.abs(c.errorPct)));
 */
export function crossValidateLatency(
  measurements: readonly LatencyMeasurement[],
  options: FitLatencyOptions,
): LatencyCheck[] {
  const checks: LatencyCheck[] = [];
  measurements.forEach((m, i) => {
    const others = measurements.filter((_, k) => k !== i);
    if (!determinesPlan(others, m.plan, options.basePrecision)) return;
    const p = predictLatency(fitLatencyTable(others, options), m.plan);
    if (p.ms === undefined) return;
    checks.push({
      label: describeCandidate(m.plan),
      predictedMs: p.ms,
      measuredMs: m.ms,
      errorPct: ((p.ms - m.ms) / m.ms) * 100,
    });
  });
  return checks;
}

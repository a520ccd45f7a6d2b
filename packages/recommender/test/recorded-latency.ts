import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerPrecision } from '@samp/core';
import { type Candidate, LAYER_CODES, type LatencyMeasurement, type LatencyTable } from '../src';

/** A recorded measurement and the timing round it came from: 0 the fit round, 1 the re-timing round. */
export interface RecordedMeasurement extends LatencyMeasurement {
  round: 0 | 1;
}

/** One `samp recommend --json` run on the quiet 16-core Xeon, as recorded (see fixtures/README.md). */
export interface RecordedRun {
  /** The table the run fitted (the three uniform plans of its fit round: fixed, int8-full, int8-ffn). */
  table: LatencyTable;
  /** The fit round's three plans and the re-timing round's four, in that order. */
  measurements: RecordedMeasurement[];
}

const CODE_TO_PRECISION = Object.fromEntries(
  Object.entries(LAYER_CODES).map(([p, code]) => [code, p as LayerPrecision]),
) as Record<string, LayerPrecision>;

/** The plan of a layer-level label (`--FF`). */
export function planOf(label: string): Candidate {
  return [...label].map((code) => ({ precision: CODE_TO_PRECISION[code] as LayerPrecision }));
}

interface RecordedJson {
  batchSize: number;
  sequenceLength: number;
  device: string;
  latencyChecks: { label: string; predictedMs: number; measuredMs: number }[];
}

/**
 * Reads a recorded Xeon run. The JSON holds the re-timed plans (measured, and predicted by the table);
 * the fit round is not in it, but that fit was exactly determined (three plans, three unknowns), so the
 * table's predictions of `----`, `FFFF` and `NNNN` are that round's measurements; `NNNN`'s follows from
 * the prediction of `-NN-` (fixed + 2 × the int8-ffn cost).
 */
export function recordedRun(model: 'sst2' | 'tnews'): RecordedRun {
  const file = join(import.meta.dirname, 'fixtures', `xeon-${model}-t16-recommend.json`);
  const json = JSON.parse(readFileSync(file, 'utf8')) as RecordedJson;
  const predicted = (label: string) => json.latencyChecks.find((c) => c.label === label)?.predictedMs;
  const fixed = predicted('----') as number;
  const full = predicted('FFFF') as number;
  const ffn = fixed + 2 * ((predicted('-NN-') as number) - fixed);
  const layer = { fp32: 0, 'int8-full': (full - fixed) / 4, 'int8-ffn': (ffn - fixed) / 4 };
  const table: LatencyTable = {
    device: json.device,
    batchSize: json.batchSize,
    sequenceLength: json.sequenceLength,
    fixedMs: fixed,
    layers: [0, 1, 2, 3].map(() => ({ ...layer })),
  };
  const fit: RecordedMeasurement[] = [
    { plan: planOf('----'), ms: fixed, round: 0 },
    { plan: planOf('FFFF'), ms: full, round: 0 },
    { plan: planOf('NNNN'), ms: ffn, round: 0 },
  ];
  const retimed = json.latencyChecks.map(
    (c): RecordedMeasurement => ({ plan: planOf(c.label), ms: c.measuredMs, round: 1 }),
  );
  return { table, measurements: [...fit, ...retimed] };
}

import { InvalidPlanError } from '../errors';
import { DocumentReader, describeValue, fieldPath, indexPath } from './document-reader';
import {
  GEMM_NAMES,
  GEMM_PRECISIONS,
  type GemmName,
  type GemmPrecision,
  LAYER_PRECISIONS,
} from './precision';
import {
  type FrontierPoint,
  type LayerPlan,
  type PlanPrediction,
  PRECISION_PLAN_FORMAT,
  PRECISION_PLAN_VERSION,
  type PrecisionPlan,
} from './precision-plan';

const TOP_LEVEL = ['format', 'version', 'model', 'device', 'layers', 'predicted', 'frontier', 'createdAt'];

/**
 * Validates a parsed PrecisionPlan document and returns a copy with its keys in canonical order.
 * Throws {@link InvalidPlanError} naming `source` (usually the file), the field path
 * (`layers[3].precision`) and what was expected.
 * @param json the parsed JSON.
 * @param source where the document came from, for error messages.
 * @example
 * const plan = parsePrecisionPlan(JSON.parse(text), 'plan.json');
 */
export function parsePrecisionPlan(json: unknown, source: string): PrecisionPlan {
  const r: DocumentReader = new DocumentReader((path, problem) => {
    throw new InvalidPlanError(source, path === '' ? undefined : path, problem);
  });
  const doc = r.object(json, '');
  if (doc.format !== PRECISION_PLAN_FORMAT) {
    r.fail(
      'format',
      `expected ${JSON.stringify(PRECISION_PLAN_FORMAT)} (is this a PrecisionPlan?), got ${describeValue(doc.format)}`,
    );
  }
  if (typeof doc.version === 'number' && doc.version > PRECISION_PLAN_VERSION) {
    r.fail(
      'version',
      `version ${doc.version} is newer than this samp reads (${PRECISION_PLAN_VERSION}); upgrade samp`,
    );
  }
  r.literal(doc.version, 'version', PRECISION_PLAN_VERSION);
  r.object(doc, '', TOP_LEVEL);

  const m = r.object(doc.model, 'model', ['fingerprint', 'numHiddenLayers']);
  const model = {
    fingerprint: r.string(m.fingerprint, 'model.fingerprint', { nonEmpty: true }),
    numHiddenLayers: r.number(m.numHiddenLayers, 'model.numHiddenLayers', { integer: true, min: 1 }),
  };
  const device = r.string(doc.device, 'device', { nonEmpty: true });

  const layerItems = r.array(doc.layers, 'layers');
  const layers = layerItems.map((item, i) => readLayer(r, item, indexPath('layers', i)));
  checkLayerCount(r, 'layers', layers.length, model.numHiddenLayers);

  const plan: PrecisionPlan = {
    format: PRECISION_PLAN_FORMAT,
    version: PRECISION_PLAN_VERSION,
    model,
    device,
    layers,
  };
  if (doc.predicted !== undefined) plan.predicted = readPrediction(r, doc.predicted);
  if (doc.frontier !== undefined) {
    plan.frontier = r
      .array(doc.frontier, 'frontier')
      .map((item, i) => readFrontierPoint(r, item, indexPath('frontier', i), model.numHiddenLayers));
  }
  if (doc.createdAt !== undefined) plan.createdAt = r.dateTime(doc.createdAt, 'createdAt');
  return plan;
}

function checkLayerCount(r: DocumentReader, path: string, actual: number, expected: number): void {
  if (actual > expected) {
    r.fail(
      indexPath(path, expected),
      `names layer ${expected}, but model.numHiddenLayers is ${expected} (layers 0…${expected - 1})`,
    );
  }
  if (actual < expected) r.fail(path, `expected ${expected} layers (model.numHiddenLayers), got ${actual}`);
}

function readLayer(r: DocumentReader, value: unknown, path: string): LayerPlan {
  const l = r.object(value, path, ['precision', 'gemms']);
  const layer: LayerPlan = {
    precision: r.oneOf(l.precision, fieldPath(path, 'precision'), LAYER_PRECISIONS),
  };
  if (l.gemms !== undefined) {
    const gemmsPath = fieldPath(path, 'gemms');
    const g = r.object(l.gemms, gemmsPath, GEMM_NAMES);
    const gemms: Partial<Record<GemmName, GemmPrecision>> = {};
    // Canonical GEMM order, whatever the order in the file.
    for (const name of GEMM_NAMES) {
      if (g[name] !== undefined) gemms[name] = r.oneOf(g[name], fieldPath(gemmsPath, name), GEMM_PRECISIONS);
    }
    layer.gemms = gemms;
  }
  return layer;
}

function readPrediction(r: DocumentReader, value: unknown): PlanPrediction {
  const p = r.object(value, 'predicted', [
    'accuracy',
    'accuracyDrop',
    'latencyMs',
    'batchSize',
    'sequenceLength',
  ]);
  const out: PlanPrediction = {};
  if (p.accuracy !== undefined) out.accuracy = r.number(p.accuracy, 'predicted.accuracy');
  if (p.accuracyDrop !== undefined) out.accuracyDrop = r.number(p.accuracyDrop, 'predicted.accuracyDrop');
  if (p.latencyMs !== undefined) out.latencyMs = r.number(p.latencyMs, 'predicted.latencyMs', { min: 0 });
  if (p.batchSize !== undefined)
    out.batchSize = r.number(p.batchSize, 'predicted.batchSize', { integer: true, min: 1 });
  if (p.sequenceLength !== undefined) {
    out.sequenceLength = r.number(p.sequenceLength, 'predicted.sequenceLength', { integer: true, min: 1 });
  }
  return out;
}

function readFrontierPoint(
  r: DocumentReader,
  value: unknown,
  path: string,
  numLayers: number,
): FrontierPoint {
  const f = r.object(value, path, ['layers', 'accuracy', 'latencyMs']);
  const layersPath = fieldPath(path, 'layers');
  const layers = r
    .array(f.layers, layersPath)
    .map((p, i) => r.oneOf(p, indexPath(layersPath, i), LAYER_PRECISIONS));
  checkLayerCount(r, layersPath, layers.length, numLayers);
  return {
    layers,
    accuracy: r.number(f.accuracy, fieldPath(path, 'accuracy')),
    latencyMs: r.number(f.latencyMs, fieldPath(path, 'latencyMs'), { min: 0 }),
  };
}

import type { ClassificationResult } from '@samp/head-classification';
import type { TokenClassificationResult } from '@samp/head-token-classification';
import type { FeatureExtractionResult, PipelineResult } from '../pipeline';

/**
 * The JSON form of one prediction, the same fields as `samp predict` writes (docs/cli.md):
 * classification and cross-encoder matching `{label, label_id, score, logits}` (plus `labels` for
 * multi-label), token classification `{entities}`, a bi-encoder `{score}`, feature extraction
 * `{shape, data}`.
 */
export function resultJson(result: PipelineResult): Record<string, unknown> {
  if ('entities' in result) {
    return {
      entities: (result as TokenClassificationResult).entities.map((e) => ({
        type: e.type,
        start: e.start,
        end: e.end,
        text: e.text,
        score: e.score,
      })),
    };
  }
  if ('label' in result) {
    const r = result as ClassificationResult;
    const json: Record<string, unknown> = {
      label: r.label,
      label_id: r.labelId,
      score: r.score,
      logits: r.logits,
    };
    if (r.labels !== undefined)
      json.labels = r.labels.map((l) => ({ label: l.label, label_id: l.labelId, score: l.score }));
    return json;
  }
  if ('data' in result) {
    const r = result as FeatureExtractionResult;
    return { shape: r.shape, data: Array.from(r.data) };
  }
  return { score: (result as { score: number }).score };
}

import { relative } from 'node:path';
import { headKindOf, loadModel, type ModelArtifacts } from '@samp/core';
import type { Command } from '../command';
import { formatTable } from '../format-table';
import { parseOptions, requireOption } from '../parse-options';

/** What `samp inspect` reports, also its `--json` output. */
export interface ModelReport {
  readonly model: string;
  readonly modelType: string;
  readonly architectures: readonly string[];
  readonly head: string;
  readonly sizes: Record<string, number | string>;
  readonly labels: Readonly<Record<number, string>> | undefined;
  readonly problemType: string | undefined;
  readonly weights: {
    readonly files: readonly string[];
    readonly storedTensors: number;
    readonly canonicalTensors: number;
    readonly parameters: number;
    readonly bytes: number;
    readonly dtypes: Record<string, number>;
    readonly ignored: readonly string[];
  };
  readonly tokenizer:
    | {
        readonly vocabFile: string;
        readonly vocabSize: number;
        readonly doLowerCase: boolean;
        readonly stripAccents: boolean | null;
        readonly tokenizeChineseChars: boolean;
        readonly modelMaxLength: number | null;
        readonly specialTokens: Readonly<Record<string, string>>;
      }
    | undefined;
  readonly fingerprint: string;
}

/** Builds the report of a loaded model (pure: no I/O). */
export function modelReport(model: ModelArtifacts): ModelReport {
  const { config, weights, tokenizer } = model;
  const dtypes: Record<string, number> = {};
  let parameters = 0;
  let bytes = 0;
  for (const info of weights.store.tensors.values()) {
    if (weights.ignored.includes(info.name)) continue;
    dtypes[info.dtype] = (dtypes[info.dtype] ?? 0) + 1;
    parameters += info.shape.reduce((a, b) => a * b, 1);
    bytes += info.byteLength;
  }
  const hasHead = headKindOf(config) !== 'base';
  return {
    model: model.dir,
    modelType: config.modelType,
    architectures: config.architectures,
    head: headKindOf(config),
    sizes: {
      layers: config.numHiddenLayers,
      hidden: config.hiddenSize,
      heads: config.numAttentionHeads,
      intermediate: config.intermediateSize,
      activation: config.hiddenAct,
      vocab: config.vocabSize,
      maxPositions: config.maxPositionEmbeddings,
      positionOffset: config.positionOffset,
      positionEmbedding: config.positionEmbeddingType,
      typeVocab: config.typeVocabSize,
      embedding: config.embeddingSize,
      layerNormEps: config.layerNormEps,
      ...(config.modelType === 'albert' ? { hiddenGroups: config.numHiddenGroups } : {}),
    },
    labels: hasHead ? config.id2label : undefined,
    problemType: config.problemType,
    weights: {
      files: weights.store.files.map((f) => relative(model.dir, f)),
      storedTensors: weights.store.tensors.size,
      canonicalTensors: weights.tensors.size,
      parameters,
      bytes,
      dtypes,
      ignored: weights.ignored,
    },
    tokenizer:
      tokenizer === undefined
        ? undefined
        : {
            vocabFile: relative(model.dir, tokenizer.vocabFile),
            vocabSize: tokenizer.vocab.length,
            doLowerCase: tokenizer.doLowerCase,
            stripAccents: tokenizer.stripAccents ?? null,
            tokenizeChineseChars: tokenizer.tokenizeChineseChars,
            modelMaxLength: tokenizer.modelMaxLength ?? null,
            specialTokens: { ...tokenizer.specialTokens },
          },
    fingerprint: model.fingerprint,
  };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** The human-readable form of a report. */
export function formatModelReport(r: ModelReport): string {
  const out: string[] = [];
  out.push(`model         ${r.model}`);
  out.push(
    `architecture  ${r.modelType} (${r.architectures.join(', ') || 'no architectures listed'}), head: ${r.head}`,
  );
  out.push('');
  out.push(
    formatTable(
      ['size', 'value'],
      Object.entries(r.sizes).map(([k, v]) => [k, String(v)]),
    ),
  );
  if (r.labels !== undefined) {
    out.push('');
    const rows = Object.entries(r.labels).map(([id, name]) => [id, name]);
    out.push(`labels${r.problemType === undefined ? '' : ` (${r.problemType})`}`);
    out.push(formatTable(['id', 'label'], rows));
  }
  out.push('');
  const dtypes = Object.entries(r.weights.dtypes)
    .map(([d, n]) => `${d} ×${n}`)
    .join(', ');
  out.push(`weights       ${r.weights.files.join(', ')}`);
  out.push(
    `              ${r.weights.storedTensors} stored tensors (${dtypes}), ${r.weights.parameters.toLocaleString('en-US')} parameters, ${formatBytes(r.weights.bytes)}`,
  );
  out.push(`              ${r.weights.canonicalTensors} tensors used by samp`);
  if (r.weights.ignored.length > 0) out.push(`              ignored: ${r.weights.ignored.join(', ')}`);
  out.push('');
  if (r.tokenizer === undefined) {
    out.push('tokenizer     none (no vocab.txt or tokenizer.json in the folder)');
  } else {
    const t = r.tokenizer;
    out.push(`tokenizer     WordPiece from ${t.vocabFile}, ${t.vocabSize} tokens`);
    out.push(
      `              lowercase ${t.doLowerCase}, strip accents ${t.stripAccents ?? 'follows lowercase'}, split CJK ${t.tokenizeChineseChars}, max length ${t.modelMaxLength ?? 'unset'}`,
    );
    out.push(
      `              special ${Object.entries(t.specialTokens)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  }
  out.push(`fingerprint   ${r.fingerprint}`);
  return `${out.join('\n')}\n`;
}

/** `samp inspect --model DIR [--json]`: architecture, sizes, dtypes and tokenizer settings of a model folder. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'print the architecture, sizes, dtypes and tokenizer settings of a model folder',
  usage:
    'usage: samp inspect --model DIR [--json]\n\n  --model DIR  a Hugging Face model folder (config.json + weights)\n  --json       print one JSON object instead of the text report',
  async run(argv, io) {
    const options = parseOptions(argv, { model: { type: 'string' }, json: { type: 'boolean' } });
    const dir = requireOption(options.model, 'model');
    const report = modelReport(await loadModel(dir));
    io.stdout.write(options.json === true ? `${JSON.stringify(report)}\n` : formatModelReport(report));
    return 0;
  },
};

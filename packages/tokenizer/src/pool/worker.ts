// The worker thread of the tokenizer pool: rebuilds the tokenizer from its spec once, then encodes chunks
// and transfers the typed arrays back (no copy). Built to dist/pool/worker.js (ESM) and worker.cjs (CJS).
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError, tokenizerFromSpec } from '../from-spec';
import type { BaseTokenizer, BatchOptions, EncodeInput, TokenizerSpec } from '../tokenizer';

interface Task {
  readonly id: number;
  readonly inputs: readonly EncodeInput[];
  readonly options: BatchOptions;
  readonly base: number;
}

const port = parentPort;
if (port !== null) {
  const { spec } = workerData as { spec: TokenizerSpec };
  // No top-level await: the CommonJS build cannot have it.
  tokenizerFromSpec(spec).then(
    (tok: BaseTokenizer) => {
      port.on('message', (task: Task) => {
        try {
          const { batch, rowLengths } = tok.encodeChunk(task.inputs, task.options, task.base);
          port.postMessage({ type: 'result', id: task.id, batch, rowLengths }, [
            batch.ids.buffer,
            batch.typeIds.buffer,
            batch.attentionMask.buffer,
            batch.lengths.buffer,
            batch.offsets.buffer,
            batch.sequenceIds.buffer,
            batch.inputIndices.buffer,
            rowLengths.buffer,
          ] as ArrayBuffer[]);
        } catch (e) {
          port.postMessage({ type: 'error', id: task.id, error: serializeError(e) });
        }
      });
      port.postMessage({ type: 'ready', padId: tok.padId });
    },
    (e: unknown) => port.postMessage({ type: 'init-error', error: serializeError(e) }),
  );
}

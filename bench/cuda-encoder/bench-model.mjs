// What the CUDA benches share: their command line (--model DIR made by torch_peer.py, --iters, --json) and
// the model with its inputs (inputs.bin: the token ids torch_peer.py fed PyTorch, rows of SEQ tokens).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '../../packages/core/dist/index.js';

/** Tokens per row in every bench batch (torch_peer.py's sequence length). */
export const SEQ = 128;

/**
 * The bench's options: `dir` (required), `iterations` (default 50), `json` (a path, optional), and in `values`
 * those of `extra` (parseArgs option specs a bench adds; any other option is refused).
 */
export function benchArgs(extra = {}) {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      iters: { type: 'string', default: '50' },
      json: { type: 'string' },
      ...extra,
    },
  });
  if (values.model === undefined) throw new Error('--model DIR is required (made by torch_peer.py)');
  return { dir: values.model, iterations: Number(values.iters), json: values.json, values };
}

/** The model and `batchOf(batch, offset)`: `batch` rows of the recorded inputs from row `offset`, no padding. */
export async function benchModel(dir) {
  const model = await loadModel(dir, { tokenizer: false });
  const ids = new Int32Array(readFileSync(join(dir, 'inputs.bin')).buffer.slice(0));
  const batchOf = (batch, offset = 0) => ({
    inputIds: ids.slice(offset * SEQ, (offset + batch) * SEQ),
    attentionMask: new Int32Array(batch * SEQ).fill(1),
    batchSize: batch,
    sequenceLength: SEQ,
  });
  return { model, ids, batchOf };
}

/** torch_peer.py's results in `dir` (`torch.json`: { torch, rows }), or no rows when it did not run. */
export function torchResults(dir) {
  const file = join(dir, 'torch.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { rows: [] };
}

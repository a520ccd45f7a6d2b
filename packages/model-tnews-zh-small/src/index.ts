import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of the demo model (a Hugging Face model folder: config.json, model.safetensors,
 * vocab.txt, tokenizer_config.json), for `loadModel` or `pipeline`.
 * @example
 * import { modelDir } from '@samp/model-tnews-zh-small';
 * const model = await loadModel(modelDir);
 */
export const modelDir: string = join(dirname(fileURLToPath(import.meta.url)), '..', 'model');

#!/usr/bin/env node
// Writes the fuzz regression corpus, packages/core/test/fuzz/corpus/<target>/<name>.<outcome>.bin:
// the minimised forms of what the fuzzers found, and hand-picked edge cases. <outcome> is the error
// code the parser must refuse the file with, or "accepted"; test/fuzz/corpus.test.ts replays every
// file through its target. Usage: node packages/core/scripts/make-fuzz-corpus.mjs
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), '../test/fuzz/corpus');
// Deep enough to overflow JSON.stringify's recursion (about 5 000 levels on a default Node stack).
const D = 10_000;
const deep = `${'['.repeat(D)}${']'.repeat(D)}`;

function write(path, data) {
  const file = join(CORPUS, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
}

/** A safetensors file: 8-byte little-endian header length (or `length`), header, data. */
function st(header, data = new Uint8Array(0), length) {
  const h = Buffer.from(header, 'utf8');
  const out = Buffer.alloc(8 + h.length + data.length);
  out.writeBigUInt64LE(length ?? BigInt(h.length), 0);
  h.copy(out, 8);
  Buffer.from(data).copy(out, 8 + h.length);
  return out;
}
const zeros = (n) => new Uint8Array(n);

rmSync(CORPUS, { recursive: true, force: true });
const E = 'SAMP_MODEL_SAFETENSORS';
write(
  `safetensors/deep-dtype.${E}.bin`,
  st(`{"w":{"dtype":${deep},"shape":[1],"data_offsets":[0,4]}}`, zeros(4)),
);
write(`safetensors/deep-metadata.${E}.bin`, st(`{"__metadata__":{"format":${deep}}}`));
write(
  `safetensors/deep-offsets.${E}.bin`,
  st(`{"w":{"dtype":"F32","shape":[1],"data_offsets":${deep}}}`, zeros(4)),
);
write(`safetensors/header-length-2p64.${E}.bin`, st('{}', zeros(0), 2n ** 64n - 1n));
write(`safetensors/header-length-past-end.${E}.bin`, st('{}', zeros(0), 3n));
write(
  `safetensors/offsets-2p53.${E}.bin`,
  st('{"w":{"dtype":"F32","shape":[2251799813685248],"data_offsets":[0,9007199254740992]}}', zeros(4)),
);
write(
  `safetensors/offsets-float.${E}.bin`,
  st('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0.5,4.5]}}', zeros(8)),
);
write(
  `safetensors/offsets-negative.${E}.bin`,
  st('{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', zeros(4)),
);
write(
  `safetensors/offsets-overlap.${E}.bin`,
  st(
    '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
    zeros(8),
  ),
);
write(
  `safetensors/shape-overflow.${E}.bin`,
  st('{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}', zeros(4)),
);
write(
  'safetensors/valid.accepted.bin',
  st(
    '{"__metadata__":{"format":"pt"},"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}',
    new Uint8Array([0, 0x3c, 0, 0xc0]),
  ),
);

const S = 'SAMP_MODEL_SHARD_INDEX';
write(`sharded-index/deep-shard.${S}.bin`, `{"weight_map":{"a":${deep}}}`);
write(`sharded-index/long-shard-name.${S}.bin`, `{"weight_map":{"a":"${'x'.repeat(300)}.safetensors"}}`);
write(`sharded-index/traversal.${S}.bin`, '{"weight_map":{"a":"../model-00001-of-00004.safetensors"}}');
write(`sharded-index/shard-is-folder.${S}.bin`, '{"weight_map":{"a":"sub"}}');
write(`sharded-index/not-a-shard.${E}.bin`, '{"weight_map":{"a":"sub/not-a-shard.safetensors"}}');

const C = 'SAMP_MODEL_CONFIG';
write(`config/deep-invalid.${C}.bin`, '['.repeat(D));
write(`config/deep-field.${C}.bin`, `{"model_type":"bert","hidden_size":${deep}}`);
write(`config/deep-label2id.${C}.bin`, `{"model_type":"bert","label2id":{"a":${deep}}}`);
write(`config/num-labels-2p53.${C}.bin`, '{"model_type":"bert","num_labels":9007199254740991}');
write('config/bom.accepted.bin', '\ufeff{"model_type":"bert","num_labels":3}');
write('config/proto-key.accepted.bin', '{"model_type":"distilbert","__proto__":{"dim":1},"constructor":1}');

const V = 'SAMP_MODEL_VOCAB';
write(`tokenizer-json/deep-vocab-id.${V}.bin`, `{"model":{"type":"WordPiece","vocab":{"a":${deep}}}}`);
write(`tokenizer-json/deep-model-type.${V}.bin`, `{"model":{"type":${deep}}}`);
const vocab = '{"type":"WordPiece","vocab":{"[UNK]":0,"[CLS]":1,"[SEP]":2}}';
write(`tokenizer-json/deep-normalizer-type.${V}.bin`, `{"model":${vocab},"normalizer":{"type":${deep}}}`);
write(
  `tokenizer-json/huge-added-id.${V}.bin`,
  `{"model":${vocab},"added_tokens":[{"id":1e308,"content":"x"}]}`,
);

write(`tokenizer-config/deep-model-max-length.${C}.bin`, `{"model_max_length":${deep}}`);
write(`tokenizer-config/deep-invalid.${C}.bin`, `{"a":${'['.repeat(D)}`);
write('tokenizer-config/max-length-sentinel.accepted.bin', '{"model_max_length":1e30,"do_lower_case":false}');

write('vocab-txt/bom-and-cr.accepted.bin', '\ufeff[PAD]\r[UNK]\r\n[CLS]\n[SEP]\n');
write(
  `vocab-txt/invalid-utf8.${V}.bin`,
  Buffer.from([...Buffer.from('[UNK]\n[CLS]\n[SEP]\n'), 0xff, 0xfe, 0x0a]),
);
write(`vocab-txt/empty.${V}.bin`, '');

const P = 'SAMP_INVALID_PROFILE';
write(`quant-profile/deep-scale.${P}.bin`, `{"format":"samp.quant-profile","version":1,"model":${deep}}`);
write(`quant-profile/version-huge.${P}.bin`, '{"format":"samp.quant-profile","version":1e308}');
const L = 'SAMP_INVALID_PLAN';
write(
  `precision-plan/deep-layers.${L}.bin`,
  `{"format":"samp.precision-plan","version":1,"model":{"fingerprint":"x","numHiddenLayers":1},"device":"cpu","layers":${deep}}`,
);
write(
  `precision-plan/layers-2p53.${L}.bin`,
  '{"format":"samp.precision-plan","version":1,"model":{"fingerprint":"x","numHiddenLayers":9007199254740991},"device":"cpu","layers":[]}',
);
process.stdout.write(`wrote the fuzz corpus to ${CORPUS}\n`);

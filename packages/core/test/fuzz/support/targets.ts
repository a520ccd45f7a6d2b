import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { readModelConfig } from '../../../src/model/config';
import { readTokenizerSettings } from '../../../src/model/tokenizer-settings';
import { readPrecisionPlan } from '../../../src/quant/precision-plan-file';
import { validPlan, validProfile } from '../../../src/quant/quant-documents.test-helper';
import { readQuantProfile } from '../../../src/quant/quant-profile-file';
import { activationTensorNames } from '../../../src/quant/tensor-names';
import { openSafetensors } from '../../../src/weights/safetensors';
import { openShardedSafetensors } from '../../../src/weights/sharded-safetensors';
import type { TensorStore } from '../../../src/weights/tensor-store';
import { openTorchCheckpoint } from '../../../src/weights/torch-checkpoint';
import { createStorageLoader, resolveTorchGlobal } from '../../../src/weights/torch-globals';
import { unpickle } from '../../../src/weights/unpickler';
import { readZipDirectory, readZipEntry } from '../../../src/weights/zip-reader';
import { torchStateDictPickle } from '../../helpers/pickle-writer';
import { buildSafetensorsRaw } from '../../helpers/safetensors-writer';
import { buildZip, type ZipEntrySpec } from '../../helpers/zip-writer';
import type { FuzzTarget } from './harness';
import { applyByteOps, type ByteOp, byteOps, INTERESTING_INTS, randomBytes, writeUint } from './mutate-bytes';
import { applyJsonOps, type JsonOp, jsonOps, renderJson } from './mutate-json';
import { applyPickleMutations, disassemble, type PickleMutation, pickleMutations } from './mutate-pickle';
import { applyZipFieldMutations, type ZipFieldMutation, zipFieldMutation, zipFields } from './mutate-zip';
import { configSeeds, FIXTURES, fixture, fixtureJson } from './seeds';

const text = (s: string) => new TextEncoder().encode(s);

/**
 * Checks an opened store: every accepted tensor lies inside its file, and reading it gives exactly its
 * element count (or fails typed).
 */
async function readAll(store: unknown): Promise<void> {
  const s = store as TensorStore;
  for (const [name, info] of s.tensors) {
    const size = statSync(info.file).size;
    if (info.byteOffset < 0 || info.byteOffset + info.byteLength > size) {
      throw new Error(
        `tensor ${name} was accepted at ${info.byteOffset}+${info.byteLength} in a ${size}-byte file`,
      );
    }
    const values = await s.readFloat32(name);
    const count = info.shape.reduce((a, b) => a * b, 1);
    if (values.length !== count)
      throw new Error(`tensor ${name} read ${values.length} values, expected ${count}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// JSON documents: structure mutations, text mutations of the serialised document, and random bytes.

type JsonInput =
  | { kind: 'json'; seed: number; ops: JsonOp[]; bytes?: ByteOp[] }
  | { kind: 'text'; seed: number; bytes: ByteOp[] }
  | { kind: 'random'; bytes: Uint8Array };

function jsonInputs(seeds: number): fc.Arbitrary<JsonInput> {
  const seed = fc.integer({ min: 0, max: seeds - 1 });
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('json' as const), seed, ops: jsonOps() }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('json' as const), seed, ops: jsonOps(2), bytes: byteOps(2) }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('text' as const), seed, bytes: byteOps() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('random' as const), bytes: randomBytes() }) },
  );
}

function renderJsonInput(seeds: readonly unknown[], input: JsonInput): Uint8Array {
  if (input.kind === 'random') return input.bytes;
  const seed = seeds[input.seed];
  if (input.kind === 'text') return applyByteOps(text(JSON.stringify(seed, null, 2)), input.bytes);
  const out = text(renderJson(applyJsonOps(seed, input.ops)));
  return input.bytes === undefined ? out : applyByteOps(out, input.bytes);
}

function jsonTarget(
  name: string,
  seeds: readonly unknown[],
  ciRuns: number,
  parse: (bytes: Uint8Array) => Promise<unknown>,
): FuzzTarget<JsonInput> {
  return {
    name,
    ciRuns,
    arbitrary: jsonInputs(seeds.length),
    render: (input) => renderJsonInput(seeds, input),
    parse,
  };
}

/** `config.json` through `readModelConfig` (readJsonFile + parseModelConfig), seeded with every fixture's. */
export function configTarget(dir: string): FuzzTarget<JsonInput> {
  return jsonTarget('config', configSeeds(), 1000, async (bytes) => {
    await writeFile(join(dir, 'config.json'), bytes);
    return readModelConfig(dir);
  });
}

/** `tokenizer.json` through `readTokenizerSettings` (a folder without vocab.txt). */
export function tokenizerJsonTarget(dir: string): FuzzTarget<JsonInput> {
  copyFileSync(join(FIXTURES, 'bert/tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
  const seeds = [fixtureJson('bert/tokenizer.json'), fixtureJson('albert-seq-cls/tokenizer.json')];
  return jsonTarget('tokenizer-json', seeds, 1000, async (bytes) => {
    await writeFile(join(dir, 'tokenizer.json'), bytes);
    return readTokenizerSettings(dir);
  });
}

/**
 * `tokenizer_config.json`, `special_tokens_map.json` and `added_tokens.json` through
 * `readTokenizerSettings` (beside a valid vocab.txt); the input says which file it replaces (the
 * corpus replays its files as tokenizer_config.json).
 */
export function tokenizerConfigTarget(dir: string): FuzzTarget<{ file: number; doc: JsonInput }> {
  copyFileSync(join(FIXTURES, 'bert/vocab.txt'), join(dir, 'vocab.txt'));
  const files = ['tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json'] as const;
  const seeds = [
    fixtureJson('bert/tokenizer_config.json'),
    {
      unk_token: '[UNK]',
      cls_token: { content: '[CLS]', lstrip: false },
      sep_token: '[SEP]',
      mask_token: '[MASK]',
    },
    { '[PAD]': 0, '[UNK]': 1 },
  ];
  // render() runs right before parse() for each input; it records which file the bytes are.
  let current = 0;
  return {
    name: 'tokenizer-config',
    ciRuns: 1000,
    arbitrary: fc.record({ file: fc.integer({ min: 0, max: 2 }), doc: jsonInputs(seeds.length) }),
    render: (input) => {
      current = input.file;
      return renderJsonInput(seeds, input.doc);
    },
    parse: async (bytes) => {
      for (const f of files) rmSync(join(dir, f), { force: true });
      await writeFile(join(dir, files[current] as string), bytes);
      current = 0;
      return readTokenizerSettings(dir);
    },
  };
}

/** `vocab.txt` through `readTokenizerSettings`. */
export function vocabTxtTarget(dir: string): FuzzTarget<{ seed: number; ops: ByteOp[] } | Uint8Array> {
  copyFileSync(join(FIXTURES, 'bert/tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
  const extra = text('[PAD]\r\n[UNK]\r[CLS]\n[SEP]\n\n\ufeff[MASK]\nhello\n##lo\n中\n\u00e9\n');
  const seeds = [fixture('bert/vocab.txt'), extra];
  return {
    name: 'vocab-txt',
    ciRuns: 1000,
    arbitrary: fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({ seed: fc.integer({ min: 0, max: seeds.length - 1 }), ops: byteOps(8) }),
      },
      { weight: 1, arbitrary: randomBytes() },
    ),
    render: (input) =>
      input instanceof Uint8Array ? input : applyByteOps(seeds[input.seed] as Uint8Array, input.ops),
    parse: async (bytes) => {
      await writeFile(join(dir, 'vocab.txt'), bytes);
      return readTokenizerSettings(dir);
    },
  };
}

function fullProfile(): unknown {
  const profile = validProfile() as unknown as Record<string, Record<string, unknown>>;
  const activations: Record<string, unknown> = {};
  for (const name of activationTensorNames(2)) activations[name] = { scale: 0.01, absMax: 1.27 };
  profile.activations = activations;
  return profile;
}

/** QuantProfile files through `readQuantProfile`. */
export function quantProfileTarget(dir: string): FuzzTarget<JsonInput> {
  return jsonTarget('quant-profile', [validProfile(), fullProfile()], 1000, async (bytes) => {
    const file = join(dir, 'profile.json');
    await writeFile(file, bytes);
    return readQuantProfile(file);
  });
}

/** PrecisionPlan files through `readPrecisionPlan`. */
export function precisionPlanTarget(dir: string): FuzzTarget<JsonInput> {
  const wide = validPlan() as unknown as Record<string, unknown>;
  wide.model = { fingerprint: 'sha256:wide', numHiddenLayers: 12 };
  wide.layers = Array.from({ length: 12 }, (_, i) => ({ precision: i % 2 === 0 ? 'fp16' : 'int8-full' }));
  delete wide.frontier;
  return jsonTarget('precision-plan', [validPlan(), wide], 1000, async (bytes) => {
    const file = join(dir, 'plan.json');
    await writeFile(file, bytes);
    return readPrecisionPlan(file);
  });
}

// ---------------------------------------------------------------------------------------------------
// Safetensors: header JSON mutations (offsets, shapes, dtypes), the 8-byte length, bytes, random.

type SafetensorsInput =
  | { kind: 'header'; seed: number; ops: JsonOp[]; skip: boolean }
  | { kind: 'length'; seed: number; value: bigint; delta: number }
  | { kind: 'bytes'; seed: number; ops: ByteOp[]; headerOnly: boolean }
  | { kind: 'random'; bytes: Uint8Array; lengthPrefix: boolean };

function splitSafetensors(file: Uint8Array): { header: unknown; data: Uint8Array; headerEnd: number } {
  const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + length)));
  return { header, data: file.subarray(8 + length), headerEnd: 8 + length };
}

/** `.safetensors` files through `openSafetensors`, then every tensor read. */
export function safetensorsTarget(dir: string): FuzzTarget<SafetensorsInput> {
  const files = [
    fixture('bert/model.safetensors'),
    fixture('distilbert-seq-cls/model.safetensors'), // fp16
    fixture('xlm-roberta/model-00004-of-00004.safetensors'),
    fixture('bert/expected.safetensors'),
  ];
  const seeds = files.map(splitSafetensors);
  const seed = fc.integer({ min: 0, max: files.length - 1 });
  const file = join(dir, 'model.safetensors');
  let skip = false;
  return {
    name: 'safetensors',
    ciRuns: 1000,
    arbitrary: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          kind: fc.constant('header' as const),
          seed,
          ops: jsonOps(),
          skip: fc.boolean(),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('length' as const),
          seed,
          value: fc.constantFrom(...INTERESTING_INTS),
          delta: fc.integer({ min: -3, max: 3 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('bytes' as const),
          seed,
          ops: byteOps(),
          headerOnly: fc.boolean(),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('random' as const),
          bytes: randomBytes(),
          lengthPrefix: fc.boolean(),
        }),
      },
    ),
    render: (input) => {
      skip = input.kind === 'header' && input.skip;
      if (input.kind === 'random') {
        if (!input.lengthPrefix) return input.bytes;
        // A plausible length prefix, so the random bytes reach the JSON parser.
        const out = new Uint8Array(8 + input.bytes.length);
        writeUint(out, 0, 8, BigInt(input.bytes.length));
        out.set(input.bytes, 8);
        return out;
      }
      const s = seeds[input.seed] as (typeof seeds)[number];
      const original = files[input.seed] as Uint8Array;
      switch (input.kind) {
        case 'header':
          return buildSafetensorsRaw(renderJson(applyJsonOps(s.header, input.ops)), s.data);
        case 'length': {
          const out = original.slice();
          const value = input.delta === 0 ? input.value : BigInt(s.headerEnd - 8 + input.delta);
          writeUint(out, 0, 8, value);
          return out;
        }
        case 'bytes': {
          if (!input.headerOnly) return applyByteOps(original, input.ops);
          // Mutations aimed at the header (the data section is opaque bytes to the parser).
          const head = applyByteOps(original.subarray(0, s.headerEnd), input.ops);
          const out = new Uint8Array(head.length + s.data.length);
          out.set(head, 0);
          out.set(s.data, head.length);
          return out;
        }
      }
    },
    parse: async (bytes) => {
      await writeFile(file, bytes);
      return openSafetensors(file, { skipUnsupportedDtypes: skip });
    },
    check: readAll,
  };
}

/** Sharded checkpoints through `openShardedSafetensors` (the real xlm-roberta shards), then every tensor read. */
export function shardedTarget(dir: string): FuzzTarget<JsonInput> {
  for (let i = 1; i <= 4; i++) {
    const name = `model-0000${i}-of-00004.safetensors`;
    copyFileSync(join(FIXTURES, 'xlm-roberta', name), join(dir, name));
  }
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'sub', 'not-a-shard.safetensors'), new Uint8Array(3));
  const seeds = [fixtureJson('xlm-roberta/model.safetensors.index.json')];
  const file = join(dir, 'model.safetensors.index.json');
  const largestShard = Math.max(
    ...[1, 2, 3, 4].map((i) => fixture(`xlm-roberta/model-0000${i}-of-00004.safetensors`).length),
  );
  return {
    maxAllocation: (bytes) => Math.max(bytes.length, largestShard),
    ...jsonTarget('sharded-index', seeds, 1000, async (bytes) => {
      await writeFile(file, bytes);
      return openShardedSafetensors(file);
    }),
    check: readAll,
  };
}

// ---------------------------------------------------------------------------------------------------
// Torch checkpoints: the restricted unpickler alone, and the whole zip archive.

async function readArchive(path: string): Promise<ZipEntrySpec[]> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const zip = await readZipDirectory(handle, path, size);
    const out: ZipEntrySpec[] = [];
    for (const entry of zip.entries.values()) {
      out.push({ name: entry.name, data: await readZipEntry(handle, path, entry, size) });
    }
    return out;
  } finally {
    await handle.close();
  }
}

const FIXTURE_BIN = join(FIXTURES, 'bert-gelu-new/pytorch_model.bin');

/** The pickles the unpickler fuzzer starts from: the fixture's data.pkl and the pickle writer's. */
export async function pickleSeeds(): Promise<Uint8Array[]> {
  const entries = await readArchive(FIXTURE_BIN);
  const pkl = entries.find((e) => e.name.endsWith('/data.pkl'))?.data as Uint8Array;
  const written = torchStateDictPickle([
    { name: 'w', storageType: 'FloatStorage', key: '0', storageNumel: 6, size: [2, 3] },
    { name: 'p', storageType: 'HalfStorage', key: '1', storageNumel: 4, size: [4], parameter: true },
    { name: 'ids', storageType: 'LongStorage', key: '2', storageNumel: 2, size: [1, 2] },
  ]);
  return [pkl, written];
}

type PickleInput =
  | { kind: 'ops'; seed: number; mutations: PickleMutation[]; bytes?: ByteOp[] }
  | { kind: 'bytes'; seed: number; ops: ByteOp[] }
  | { kind: 'random'; bytes: Uint8Array };

function pickleInputs(seeds: number): fc.Arbitrary<PickleInput> {
  const seed = fc.integer({ min: 0, max: seeds - 1 });
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ kind: fc.constant('ops' as const), seed, mutations: pickleMutations() }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('ops' as const),
        seed,
        mutations: pickleMutations(2),
        bytes: byteOps(2),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), seed, ops: byteOps() }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('random' as const),
        bytes: randomBytes(new Uint8Array([0x80, 2])),
      }),
    },
  );
}

function renderPickle(seeds: readonly Uint8Array[], input: PickleInput): Uint8Array {
  if (input.kind === 'random') return input.bytes;
  const seed = seeds[input.seed] as Uint8Array;
  if (input.kind === 'bytes') return applyByteOps(seed, input.ops);
  const out = applyPickleMutations(disassemble(seed), input.mutations);
  return input.bytes === undefined ? out : applyByteOps(out, input.bytes);
}

/** `data.pkl` through the restricted unpickler with the torch allow-list, in memory. */
export function unpicklerTarget(seeds: readonly Uint8Array[]): FuzzTarget<PickleInput> {
  return {
    name: 'unpickler',
    ciRuns: 2000,
    arbitrary: pickleInputs(seeds.length),
    render: (input) => renderPickle(seeds, input),
    parse: async (bytes) =>
      unpickle(bytes, {
        file: '/fuzz/pytorch_model.bin',
        field: 'archive/data.pkl',
        resolveGlobal: resolveTorchGlobal,
        persistentLoad: createStorageLoader(),
      }),
  };
}

type TorchInput =
  | { kind: 'fields'; seed: number; mutations: ZipFieldMutation[] }
  | { kind: 'bytes'; seed: number; ops: ByteOp[] }
  | { kind: 'pickle'; seed: number; pickle: PickleInput; deflate: boolean }
  | { kind: 'random'; bytes: Uint8Array };

/** `pytorch_model.bin` through `openTorchCheckpoint` (zip reader + unpickler), then every tensor read. */
export async function torchCheckpointTarget(dir: string): Promise<FuzzTarget<TorchInput>> {
  const fixtureEntries = await readArchive(FIXTURE_BIN);
  const small = (await pickleSeeds())[1] as Uint8Array;
  const smallEntries: ZipEntrySpec[] = [
    { name: 'archive/data.pkl', data: small, method: 8 },
    { name: 'archive/byteorder', data: text('little') },
    { name: 'archive/data/0', data: new Uint8Array(24) },
    { name: 'archive/data/1', data: new Uint8Array(8) },
    { name: 'archive/data/2', data: new Uint8Array(16) },
    { name: 'archive/version', data: text('3\n') },
  ];
  const archives = [fixtureEntries, smallEntries];
  const files = [
    new Uint8Array(readFileSync(FIXTURE_BIN)),
    buildZip(smallEntries, { zip64: true, dataDescriptor: true }),
    buildZip(smallEntries, { zip64: false, alignment: 1 }),
  ];
  const fields = files.map(zipFields);
  const pickles = archives.map((a) => a.find((e) => e.name.endsWith('/data.pkl'))?.data as Uint8Array);
  const seed = fc.integer({ min: 0, max: files.length - 1 });
  const path = join(dir, 'pytorch_model.bin');
  return {
    name: 'torch-checkpoint',
    ciRuns: 1000,
    arbitrary: fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('fields' as const),
          seed,
          mutations: fc.array(zipFieldMutation, { minLength: 1, maxLength: 3 }),
        }),
      },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('bytes' as const), seed, ops: byteOps() }) },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('pickle' as const),
          seed: fc.integer({ min: 0, max: archives.length - 1 }),
          pickle: pickleInputs(1),
          deflate: fc.boolean(),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('random' as const),
          bytes: randomBytes(new Uint8Array([0x50, 0x4b, 3, 4])),
        }),
      },
    ),
    render: (input) => {
      switch (input.kind) {
        case 'random':
          return input.bytes;
        case 'fields':
          return applyZipFieldMutations(
            files[input.seed] as Uint8Array,
            fields[input.seed] as ReturnType<typeof zipFields>,
            input.mutations,
          );
        case 'bytes':
          return applyByteOps(files[input.seed] as Uint8Array, input.ops);
        case 'pickle': {
          // A well-formed archive around a mutated data.pkl (of either seed), so the unpickler is reached
          // through the file; the small archive's storages are used, since rebuilding the 146 KB fixture
          // archive for every input would dominate the run time.
          const pickle = renderPickle([pickles[input.seed] as Uint8Array], {
            ...input.pickle,
            seed: 0,
          } as PickleInput);
          const entries = smallEntries.map((e) =>
            e.name.endsWith('/data.pkl')
              ? { ...e, data: pickle, method: input.deflate ? (8 as const) : (0 as const) }
              : e,
          );
          return buildZip(entries, { zip64: true, dataDescriptor: true });
        }
      }
    },
    parse: async (bytes) => {
      await writeFile(path, bytes);
      return openTorchCheckpoint(path, { skipUnsupportedDtypes: true });
    },
    check: readAll,
  };
}

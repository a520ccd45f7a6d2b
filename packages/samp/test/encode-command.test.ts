// `samp encode` on the golden fixture models: hidden states and the checkpoint heads' logits against
// the Hugging Face outputs, batching, padding given in the input, and bad input (one stderr-ready error
// naming the line, no partial output file).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listFixtureModels, readFixtureExpected, relativeError } from '@samp/core/testing';
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../src/cli/commands/encode';
import { runCli } from '../src/cli/run-cli';
import { memoryIo } from './support/memory-io';

const fixtures = listFixtureModels();
const fixture = (name: string) => {
  const f = fixtures.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no fixture ${name}`);
  return f;
};

interface Inputs {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
}

/** The fixture's rows as JSON Lines of their real tokens only (padding stripped). */
function realLines(inputs: Inputs): string {
  return inputs.input_ids
    .map((ids, row) => {
      const n = (inputs.attention_mask[row] ?? []).filter((m) => m === 1).length;
      const line: Record<string, number[]> = { input_ids: ids.slice(0, n) };
      if (inputs.token_type_ids !== undefined)
        line.token_type_ids = (inputs.token_type_ids[row] ?? []).slice(0, n);
      return JSON.stringify(line);
    })
    .join('\n');
}

function parseLines(text: string): { last_hidden_state: number[][]; logits?: number[] | number[][] }[] {
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('samp encode', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))(
    '%s: hidden states and logits match Hugging Face',
    async (_name, f) => {
      const inputs = JSON.parse(readFileSync(f.inputsFile ?? '', 'utf8')) as Inputs;
      const expected = readFixtureExpected(f);
      const io = memoryIo(`${realLines(inputs)}\n`);
      expect(await encodeCommand.run(['--model', f.dir, '--device', 'cpu', '--batch-size', '2'], io)).toBe(0);
      expect(io.err()).toBe('');
      const out = parseLines(io.out());
      const seq = inputs.input_ids[0]?.length ?? 0;
      const golden = expected?.get('last_hidden_state');
      const [, , hidden] = golden?.shape ?? [];
      expect(out.length).toBe(inputs.input_ids.length);
      out.forEach((line, row) => {
        const n = (inputs.attention_mask[row] ?? []).filter((m) => m === 1).length;
        expect(line.last_hidden_state.length).toBe(n);
        const want = golden?.data.subarray(row * seq * (hidden ?? 0), (row * seq + n) * (hidden ?? 0)) ?? [];
        expect(relativeError(line.last_hidden_state.flat(), want), `row ${row}`).toBeLessThanOrEqual(1e-5);
      });
      const logits = expected?.get('logits');
      if (logits === undefined) {
        for (const line of out) expect(line.logits).toBeUndefined();
        return;
      }
      if (logits.shape.length === 2) {
        const labels = logits.shape[1] ?? 0;
        out.forEach((line, row) => {
          const want = logits.data.subarray(row * labels, (row + 1) * labels);
          expect(relativeError(line.logits as number[], want), `logits row ${row}`).toBeLessThanOrEqual(1e-4);
        });
      } else {
        const labels = logits.shape[2] ?? 0;
        out.forEach((line, row) => {
          const tokens = line.logits as number[][];
          expect(tokens.length).toBe(line.last_hidden_state.length);
          const want = logits.data.subarray(row * seq * labels, (row * seq + tokens.length) * labels);
          expect(relativeError(tokens.flat(), want), `token logits row ${row}`).toBeLessThanOrEqual(1e-4);
        });
      }
    },
  );

  it('keeps padding given in a line: every position matches Hugging Face, padded ones too', async () => {
    const f = fixture('bert-seq-cls');
    const inputs = JSON.parse(readFileSync(f.inputsFile ?? '', 'utf8')) as Inputs;
    const text = inputs.input_ids
      .map((ids, row) =>
        JSON.stringify({
          input_ids: ids,
          attention_mask: inputs.attention_mask[row],
          token_type_ids: inputs.token_type_ids?.[row],
        }),
      )
      .join('\n');
    const io = memoryIo(text);
    expect(await encodeCommand.run(['--model', f.dir, '--device', 'cpu'], io)).toBe(0);
    const all = parseLines(io.out()).flatMap((l) => l.last_hidden_state.flat());
    const golden = readFixtureExpected(f)?.get('last_hidden_state')?.data ?? [];
    expect(relativeError(all, golden)).toBeLessThanOrEqual(1e-5);
  });

  it('gives the same output whatever the batch size, with --device auto', async () => {
    const f = fixture('roberta-seq-cls');
    const text = `${realLines(JSON.parse(readFileSync(f.inputsFile ?? '', 'utf8')) as Inputs)}\n`;
    const one = memoryIo(text);
    const many = memoryIo(text);
    expect(await encodeCommand.run(['--model', f.dir, '--batch-size', '1', '--threads', '1'], one)).toBe(0);
    expect(await encodeCommand.run(['--model', f.dir, '--device', 'auto', '--batch-size', '3'], many)).toBe(
      0,
    );
    const a = parseLines(one.out());
    const b = parseLines(many.out());
    a.forEach((line, i) => {
      expect(
        relativeError(line.last_hidden_state.flat(), b[i]?.last_hidden_state.flat() ?? []),
      ).toBeLessThanOrEqual(1e-6);
    });
  });

  it('splits a --batch-size larger than the per-run token limit into runs under it', async () => {
    const f = fixture('bert');
    // 1,030 rows of 64 tokens: 65,920 padded tokens, past MAX_TOKENS_PER_RUN (65,536) in one run.
    const ids = Array.from({ length: 64 }, (_, i) => (i * 7 + 3) % 90);
    const line = `${JSON.stringify({ input_ids: ids })}\n`;
    const io = memoryIo(line.repeat(1030));
    expect(await encodeCommand.run(['--model', f.dir, '--device', 'cpu', '--batch-size', '4096'], io)).toBe(
      0,
    );
    expect(io.err()).toBe('');
    const out = parseLines(io.out());
    expect(out).toHaveLength(1030);
    const first = out[0]?.last_hidden_state.flat() ?? [];
    expect(first).toHaveLength(64 * 32);
    // Rows of the first run and of the second are the same input: identical outputs.
    expect(relativeError(out[1029]?.last_hidden_state.flat() ?? [], first)).toBeLessThanOrEqual(1e-6);
  });

  it('names the input line on bad input, exits non-zero and leaves no output file', async () => {
    const f = fixture('bert');
    const dir = await mkdtemp(join(tmpdir(), 'samp-encode-'));
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    await writeFile(input, '{"input_ids":[2,5,7]}\n{"input_ids":[2,5000,7]}\n');
    const io = memoryIo();
    const code = await runCli(
      ['encode', '--model', f.dir, '--device', 'cpu', '--input', input, '--output', output],
      [encodeCommand],
      io,
    );
    expect(code).toBe(1);
    const err = io.err().trim().split('\n');
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      /in\.jsonl line 2: .*inputIds\[1\].*token id 5000 is outside the vocabulary.*\[SAMP_INVALID_ARGUMENT\]/,
    );
    expect(existsSync(output)).toBe(false);
    expect(await readdir(dir)).toEqual(['in.jsonl']);

    const cases: [string, RegExp][] = [
      ['{"input_ids":[1,2]}\nnot json\n', /<stdin> line 2: malformed JSON/],
      ['{"ids":[1]}\n', /line 1: missing field "input_ids"/],
      ['{"input_ids":[1,2],"attention_mask":[1]}\n', /line 1: field "attention_mask" has 1 elements/],
      ['{"input_ids":[1,2],"token_type_ids":[0,9]}\n', /line 1: tokenTypeIds\[1\]: token type id 9/],
      [
        `{"input_ids":[${new Array(65).fill(3).join(',')}]}\n`,
        /line 1: sequenceLength has length 65, over the limit of 64/,
      ],
      ['{"input_ids":[1.5]}\n', /line 1: field "input_ids"\[0\] must be an integer/],
    ];
    for (const [text, pattern] of cases) {
      const bad = memoryIo(text);
      expect(await runCli(['encode', '--model', f.dir, '--device', 'cpu'], [encodeCommand], bad)).toBe(1);
      expect(bad.err()).toMatch(pattern);
      expect(bad.err().trim().split('\n')).toHaveLength(1);
    }
  });

  it('writes --output atomically and refuses bad options', async () => {
    const f = fixture('distilbert-seq-cls');
    const dir = await mkdtemp(join(tmpdir(), 'samp-encode-'));
    const output = join(dir, 'out.jsonl');
    const io = memoryIo('{"input_ids":[2,40,41,3]}\n');
    expect(await encodeCommand.run(['--model', f.dir, '--device', 'cpu', '--output', output], io)).toBe(0);
    expect(io.out()).toBe('');
    const [line] = parseLines(readFileSync(output, 'utf8'));
    expect(line?.last_hidden_state.length).toBe(4);
    expect((line?.logits as number[] | undefined)?.length).toBe(2);
    expect(await readdir(dir)).toEqual(['out.jsonl']);

    const usage = async (args: string[], pattern: RegExp) => {
      const u = memoryIo('');
      expect(await runCli(['encode', ...args], [encodeCommand], u)).toBe(2);
      expect(u.err()).toMatch(pattern);
    };
    await usage([], /--model is required/);
    await usage(['--model', f.dir, '--device', 'tpu'], /--device expects cpu, cuda or auto/);
    await usage(['--model', f.dir, '--batch-size', '0'], /--batch-size expects a positive integer/);
    await usage(['--model', f.dir, '--precision', 'int4'], /--precision expects/);
    // The CPU backend has no fp16: a typed error naming the precision, exit 1.
    const fp16 = memoryIo('{"input_ids":[2,3]}\n');
    expect(
      await runCli(
        ['encode', '--model', f.dir, '--device', 'cpu', '--precision', 'fp16'],
        [encodeCommand],
        fp16,
      ),
    ).toBe(1);
    expect(fp16.err()).toMatch(/fp16/);
    expect(fp16.err().trim().split('\n')).toHaveLength(1);
    // INT8 runs and keeps the output's shape.
    const int8 = memoryIo('{"input_ids":[2,40,41,3]}\n');
    expect(
      await runCli(
        ['encode', '--model', f.dir, '--device', 'cpu', '--precision', 'int8'],
        [encodeCommand],
        int8,
      ),
    ).toBe(0);
    expect(parseLines(int8.out())[0]?.last_hidden_state.length).toBe(4);
  });
});

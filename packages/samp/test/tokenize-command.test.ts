import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CommandIo } from '../src/cli/command';
import { tokenizeCommand } from '../src/cli/commands/tokenize';

const VOCAB = join(__dirname, '../../tokenizer/test/fixtures/vocab/bert-base-uncased-vocab.txt');
const ZH_VOCAB = join(__dirname, '../../tokenizer/test/fixtures/vocab/bert-base-chinese-vocab.txt');

function makeIo(input: string, cwd = process.cwd()): { io: CommandIo; out: () => string; err: () => string } {
  const stdin = new PassThrough();
  stdin.end(input);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d) => {
    o += d;
  });
  stderr.on('data', (d) => {
    e += d;
  });
  return { io: { stdin, stdout, stderr, stderrIsTty: false, cwd, env: {} }, out: () => o, err: () => e };
}

describe('samp tokenize', () => {
  it('writes ids, type ids and UTF-16 offsets per line, in order', async () => {
    const { io, out } = makeIo('{"text":"Hello, world!"}\n{"text":"a 😀 b","text_pair":"Café"}\n');
    expect(await tokenizeCommand.run(['--vocab', VOCAB], io)).toBe(0);
    const lines = out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      input_ids: [101, 7592, 1010, 2088, 999, 102],
      token_type_ids: [0, 0, 0, 0, 0, 0],
      offsets: [
        [0, 0],
        [0, 5],
        [5, 6],
        [7, 12],
        [12, 13],
        [0, 0],
      ],
    });
    expect(lines[1].token_type_ids).toEqual([0, 0, 0, 0, 0, 1, 0 + 1]);
    expect(lines[1].offsets).toEqual([
      [0, 0],
      [0, 1],
      [2, 4],
      [5, 6],
      [0, 0],
      [0, 4],
      [0, 0],
    ]);
    expect(lines[1].input_ids[5]).toBe(7668); // "cafe": accents stripped with --lowercase (default)
  });

  it('--no-lowercase keeps case; --max-length truncates longest_first', async () => {
    const { io, out } = makeIo(
      `${JSON.stringify({ text: 'Hello there my friend', text_pair: 'one two three four' })}\n`,
    );
    expect(await tokenizeCommand.run(['--vocab', VOCAB, '--no-lowercase', '--max-length', '7'], io)).toBe(0);
    const r = JSON.parse(out());
    expect(r.input_ids).toHaveLength(7);
    expect(r.input_ids[1]).toBe(100); // "Hello" is not in the uncased vocabulary
    expect(r.token_type_ids).toEqual([0, 0, 0, 0, 1, 1, 1]);
  });

  it('names the line on malformed JSON and on a missing field, and leaves no output file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samp-tok-'));
    const input = join(dir, 'in.jsonl');
    await writeFile(input, '{"text":"ok"}\n{"txt":"no"}\n');
    const { io } = makeIo('');
    await expect(
      tokenizeCommand.run(['--vocab', VOCAB, '--input', input, '--output', join(dir, 'out.jsonl')], io),
    ).rejects.toThrow(/line 2: missing field "text"/);
    expect(await readdir(dir)).toEqual(['in.jsonl']);
    const bad = makeIo('{"text":"ok"}\n{"text": oops}\n');
    await expect(tokenizeCommand.run(['--vocab', VOCAB], bad.io)).rejects.toThrow(
      /<stdin> line 2: malformed JSON/,
    );
  });

  it('writes --output atomically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samp-tok-'));
    const { io } = makeIo('{"text":"中文 text"}\n', dir);
    expect(await tokenizeCommand.run(['--vocab', ZH_VOCAB, '--output', 'out.jsonl'], io)).toBe(0);
    const r = JSON.parse(await readFile(join(dir, 'out.jsonl'), 'utf8'));
    expect(r.input_ids).toEqual([101, 704, 3152, 10539, 102]);
    expect(r.offsets).toEqual([
      [0, 0],
      [0, 1],
      [1, 2],
      [3, 7],
      [0, 0],
    ]);
    expect((await readdir(dir)).sort()).toEqual(['out.jsonl']);
  });

  it('reads a model folder (tokenizer_config.json + vocab.txt)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samp-tok-'));
    await writeFile(join(dir, 'vocab.txt'), await readFile(VOCAB));
    await writeFile(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({ do_lower_case: false, model_max_length: 512 }),
    );
    const { io, out } = makeIo('{"text":"Hello"}\n');
    expect(await tokenizeCommand.run(['--model', dir], io)).toBe(0);
    expect(JSON.parse(out()).input_ids).toEqual([101, 100, 102]);
  });

  it('rejects bad usage', async () => {
    await expect(tokenizeCommand.run(['--vocab', VOCAB, '--bogus'], makeIo('').io)).rejects.toThrow(/bogus/);
    await expect(tokenizeCommand.run([], makeIo('').io)).rejects.toThrow(/--vocab FILE or --model DIR/);
    await expect(tokenizeCommand.run(['--vocab', VOCAB, '--max-length', 'x'], makeIo('').io)).rejects.toThrow(
      /max-length/,
    );
    await expect(tokenizeCommand.run(['--vocab', '/nonexistent/vocab.txt'], makeIo('').io)).rejects.toThrow(
      /cannot read/,
    );
  });
});

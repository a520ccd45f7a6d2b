import { resolve } from 'node:path';
import { InvalidArgumentError } from '@samp/core';
import { fromModelDir, fromVocabFile, type WordPieceTokenizer } from '@samp/tokenizer';
import type { Command, CommandIo } from '../command';
import { openLines, openSink, readTextLine } from '../jsonl';
import { parseOptions } from '../parse-options';
import { UsageError } from '../usage-error';

const usage = `usage: samp tokenize (--vocab FILE [--lowercase|--no-lowercase] | --model DIR) [--max-length N]
                     [--input FILE] [--output FILE]

Reads JSON Lines {"text": str, "text_pair"?: str} and writes, one line per input line, in order,
{"input_ids": int[], "token_type_ids": int[], "offsets": [int, int][]}: exactly Hugging Face's BertTokenizer
(fast), [CLS] text [SEP] (text_pair [SEP]), truncation longest_first to N tokens (default 512), no padding.
Offsets are [start, end) in UTF-16 code units of the text the token came from; [0, 0] for special tokens.

  --vocab FILE        a vocab.txt (lowercasing on by default)
  --lowercase         lowercase and strip accents (default with --vocab)
  --no-lowercase      keep case and accents
  --model DIR         a Hugging Face model folder (tokenizer_config.json, vocab.txt or tokenizer.json)
  --max-length N      tokens per output line, special tokens included (default 512)
  --input FILE        read from FILE instead of stdin
  --output FILE       write to FILE (atomically) instead of stdout`;

function parseMaxLength(v: string | undefined): number {
  if (v === undefined) return 512;
  if (!/^\d+$/.test(v)) throw new UsageError(`--max-length expects a positive integer, got "${v}"`);
  const n = Number(v);
  if (n < 3)
    throw new UsageError(`--max-length must leave room for the special tokens (at least 3), got ${n}`);
  return n;
}

async function loadTokenizer(
  values: Record<string, string | boolean | undefined>,
  cwd: string,
): Promise<WordPieceTokenizer> {
  const vocab = values.vocab as string | undefined;
  const model = values.model as string | undefined;
  if ((vocab === undefined) === (model === undefined))
    throw new UsageError('give exactly one of --vocab FILE or --model DIR');
  if (values.lowercase === true && values['no-lowercase'] === true) {
    throw new UsageError('--lowercase and --no-lowercase contradict each other');
  }
  if (model !== undefined) {
    if (values.lowercase === true || values['no-lowercase'] === true) {
      throw new UsageError('--lowercase/--no-lowercase go with --vocab; --model reads tokenizer_config.json');
    }
    return fromModelDir(resolve(cwd, model));
  }
  return fromVocabFile(resolve(cwd, vocab as string), { lowercase: values['no-lowercase'] !== true });
}

/** `samp tokenize`: JSON Lines in, token ids, type ids and offsets out (docs/cli.md). */
export const tokenizeCommand: Command = {
  name: 'tokenize',
  summary: 'tokenize JSON Lines exactly as Hugging Face BertTokenizer (ids, type ids, offsets)',
  usage,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const values = parseOptions(argv, {
      vocab: { type: 'string' },
      lowercase: { type: 'boolean' },
      'no-lowercase': { type: 'boolean' },
      model: { type: 'string' },
      'max-length': { type: 'string' },
      input: { type: 'string' },
      output: { type: 'string' },
    });
    const maxLength = parseMaxLength(values['max-length']);
    const tokenizer = await loadTokenizer(values, io.cwd);
    const source = await openLines(values.input, io);
    let sink: Awaited<ReturnType<typeof openSink>>;
    try {
      sink = await openSink(values.output, io);
    } catch (e) {
      source.close();
      throw e;
    }
    let n = 0;
    try {
      for await (const line of source.lines) {
        n++;
        const where = `${source.name} line ${n}`;
        const { text, pair } = readTextLine(line, where);
        let enc: ReturnType<WordPieceTokenizer['encode']>;
        try {
          enc = tokenizer.encode(text, pair, { maxLength, truncation: 'longest_first' });
        } catch (e) {
          throw new InvalidArgumentError(where, (e as Error).message, { cause: e });
        }
        const offsets: [number, number][] = new Array(enc.length);
        for (let i = 0; i < enc.length; i++)
          offsets[i] = [enc.offsets[2 * i] as number, enc.offsets[2 * i + 1] as number];
        await sink.write(
          `${JSON.stringify({ input_ids: Array.from(enc.ids), token_type_ids: Array.from(enc.typeIds), offsets })}\n`,
        );
      }
      await sink.commit();
    } catch (e) {
      source.close();
      await sink.abort();
      throw e;
    }
    return 0;
  },
};

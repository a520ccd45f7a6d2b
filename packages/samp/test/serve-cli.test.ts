// `samp serve` from the command line: the built executable serves the demo model, answers while a
// SIGTERM arrives, finishes the request in flight and exits 0; usage and model errors are one stderr line.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../src/cli/commands';
import { runCli } from '../src/cli/run-cli';
import { argmax, readDev, TRAINED } from './support/dev-sets';
import { memoryIo } from './support/memory-io';

// The built executable, as users run it (`bin.samp` of packages/samp); `pnpm build` makes it.
const bin = join(import.meta.dirname, '..', 'dist', 'cli.js');

async function serve(...args: string[]) {
  const io = memoryIo();
  const code = await runCli(['serve', ...args], commands, io);
  return { code, out: io.out(), err: io.err() };
}

describe('samp serve (CLI)', () => {
  it('serves over HTTP until SIGTERM, finishing the request in flight, and exits 0', async () => {
    if (!existsSync(bin)) throw new Error(`${bin} does not exist: run \`npx -y pnpm@10.34.8 build\` first`);
    const child = spawn(
      process.execPath,
      [
        bin,
        'serve',
        '--model',
        `tnews=${TRAINED.tnews}`,
        '--port',
        '0',
        '--device',
        'cpu',
        '--threads',
        '1',
        '--batch-window-ms',
        '300',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!/listening on http:\/\/\S+/.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`the server did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(out).toMatch(
      /^samp serve: listening on http:\/\/127\.0\.0\.1:\d+ \(tnews: classification on cpu, padding-free\)\n$/,
    );
    const url = /http:\/\/\S+/.exec(out)?.[0] as string;
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    const golden = readDev(TRAINED.tnews, 1)[0] as { text: string; logits: number[] };
    // The request waits in the 300 ms batch window while SIGTERM arrives.
    const answer = fetch(`${url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: golden.text }),
    });
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const response = await answer;
    expect(response.status).toBe(200);
    // Hugging Face's own prediction for this dev title (dev.jsonl.gz).
    const { outputs } = (await response.json()) as { outputs: { label_id: number } };
    expect(outputs.label_id).toBe(argmax(golden.logits));
    expect(await exited).toBe(0);
    expect(err).toBe('samp serve: SIGTERM: finishing the requests in flight\nsamp serve: stopped\n');
  });

  it('exits 2 on usage errors with one line naming the option', async () => {
    const cases: [string[], RegExp][] = [
      [[], /^samp serve: the option --model is required\n$/],
      [['--model', TRAINED.tnews, '--port', 'http'], /--port expects an integer of at least 0, got "http"/],
      [['--model', TRAINED.tnews, '--port', '70000'], /--port expects a port number up to 65535/],
      [['--model', `a=${TRAINED.tnews}`, '--model', `a=${TRAINED.sst2}`], /two models are named "a"/],
      [['--model', TRAINED.tnews, '--batch-window-ms', 'soon'], /--batch-window-ms expects a number/],
      [
        ['--model', TRAINED.tnews, '--max-batch-size', '0'],
        /--max-batch-size expects an integer of at least 1/,
      ],
      [['--model', TRAINED.tnews, '--task', 'summarize'], /--task expects auto, classification/],
      [
        ['--model', TRAINED.tnews, '--pad-positions', 'none'],
        /--pad-positions expects skip or compute, got "none"/,
      ],
      [['--model', TRAINED.tnews, '--run-size', '0'], /--run-size expects an integer of at least 1/],
      [['--model', TRAINED.tnews, '--frobnicate'], /frobnicate/],
    ];
    for (const [args, message] of cases) {
      const r = await serve(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });

  it('exits 1 with one line when a model cannot be served', async () => {
    const r = await serve('--model', 'x=/nonexistent/model', '--device', 'cpu', '--port', '0');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^samp serve: \/nonexistent\/model: the model folder does not exist.*\[SAMP_/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('lists serve in samp --help', async () => {
    const io = memoryIo();
    expect(await runCli(['--help'], commands, io)).toBe(0);
    expect(io.out()).toMatch(/^ {2}serve +serve models over HTTP with dynamic batching/m);
  });
});

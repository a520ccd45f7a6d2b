#!/usr/bin/env node
// Makes the carry folder for the GPU machine (which has Node's binary carried in, no node_modules):
// `.cuda-carry/` at the repository root (ignored through .git/info/exclude) with
//   node.xz                        the local Node binary (from .device-carry/, pack-node-for-device.sh)
//   napi/node-api-headers, napi/node-addon-api   headers to build samp_cuda.node with plain CMake
//   tests/<name>.test.mjs          each test file of packages/encoder-cuda/test bundled with esbuild,
//                                  `vitest` aliased to vitest-shim.mjs, run by run-tests.mjs
//   bench.mjs                      bench/cuda-encoder/bench.mjs bundled from the packages' sources
//   trees/<name>/native            with --tree name=ref: the native folder of git ref `ref`, which
//                                  ab-profile.sh times against the working tree
// Every module keeps its own import.meta.url (rewritten to its source path under the repository root
// on that machine), so fixture folders and the addon are found exactly as in a local run.
// Usage (local machine): node packages/encoder-cuda/device/pack.mjs [--tree name=ref ...]
import { execSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The --tree name=ref arguments, each ref checked to name a commit. */
function trees() {
  const args = process.argv.slice(2);
  const found = [];
  for (let i = 0; i < args.length; i++) {
    const match = args[i] === '--tree' ? /^([a-z0-9][a-z0-9-]*)=([\w./~^-]+)$/.exec(args[i + 1] ?? '') : null;
    if (match === null) {
      process.stderr.write(
        `pack.mjs: expected --tree name=ref (name of a-z, 0-9, -), got ${args.slice(i).join(' ')}\n`,
      );
      process.exit(2);
    }
    try {
      execSync(`git rev-parse --verify --quiet ${match[2]}^{commit}`, { cwd: root, stdio: 'ignore' });
    } catch {
      process.stderr.write(`pack.mjs: --tree ${args[i + 1]}: no commit named ${match[2]}\n`);
      process.exit(2);
    }
    found.push([match[1], match[2]]);
    i++;
  }
  return found;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const treeRefs = trees(); // checked before the slow part
const out = join(root, '.cuda-carry');
const require = createRequire(import.meta.url);
// esbuild comes with tsup (a root devDependency); resolve it from tsup's real location.
const esbuild = createRequire(require('node:fs').realpathSync(join(root, 'node_modules/tsup/package.json')))(
  'esbuild',
);
const pkgRequire = createRequire(join(root, 'packages/encoder-cuda/package.json'));

const exclude = join(root, '.git/info/exclude');
if (!readFileSync(exclude, 'utf8').includes('/.cuda-carry/'))
  writeFileSync(exclude, `${readFileSync(exclude, 'utf8')}/.cuda-carry/\n`);
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'tests'), { recursive: true });
copyFileSync(join(root, '.device-carry/node.xz'), join(out, 'node.xz'));
cpSync(pkgRequire('node-api-headers').include_dir, join(out, 'napi/node-api-headers'), { recursive: true });
cpSync(pkgRequire('node-addon-api').include_dir, join(out, 'napi/node-addon-api'), { recursive: true });

/** import.meta.url of each source file → its path under the repository root at run time. */
const metaUrl = {
  name: 'source-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.(ts|mjs|js)$/ }, (args) => {
      if (args.path.includes('node_modules')) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const rel = relative(root, args.path);
      return {
        contents: source.replaceAll('import.meta.url', `__sampSourceUrl(${JSON.stringify(rel)})`),
        loader: args.path.endsWith('.ts') ? 'ts' : 'js',
      };
    });
  },
};
/** bench.mjs imports the built packages (dist); here they come from their sources. */
const distToSource = {
  name: 'dist-to-source',
  setup(build) {
    build.onResolve({ filter: /packages\/[\w-]+\/dist\/.*\.js$/ }, (args) => ({
      path: join(args.resolveDir, args.path).replace(/\/dist\/(.*)\.js$/, '/src/$1.ts'),
    }));
  },
};
const banner = [
  "import { createRequire as __sampCreateRequire } from 'node:module';",
  "import { pathToFileURL as __sampToUrl } from 'node:url';",
  "import { join as __sampJoin } from 'node:path';",
  'const require = __sampCreateRequire(import.meta.url);',
  'const __sampSourceUrl = (rel) => __sampToUrl(__sampJoin(process.env.SAMP_REPO_ROOT ?? process.cwd(), rel)).href;',
].join('\n');
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['source'],
  banner: { js: banner },
  plugins: [metaUrl, distToSource],
  logLevel: 'warning',
  ignoreAnnotations: true, // keep the test files' side effects (the package declares only register.ts)
  external: ['*.node', '@node-rs/jieba', '@node-rs/jieba/*'],
};

const testDir = join(root, 'packages/encoder-cuda/test');
// Besides this package's tests, the GPU-gated tests of other packages that need the CUDA backend.
const otherTests = ['packages/samp/test/serve-device-memory.test.ts'];
const testFiles = [
  ...readdirSync(testDir)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(testDir, f)),
  ...otherTests.map((f) => join(root, f)),
];
for (const path of testFiles) {
  const file = path.slice(path.lastIndexOf('/') + 1);
  const dir = dirname(path);
  await esbuild.build({
    ...common,
    stdin: {
      contents: [
        `import ${JSON.stringify(`./${file}`)};`,
        "import { runRegistered } from 'vitest';",
        'const result = await runRegistered();',
        `process.stdout.write(JSON.stringify({ file: ${JSON.stringify(file)}, passed: result.passed, failed: result.failed, skipped: result.skipped }) + '\\n');`,
        'process.exitCode = result.failed > 0 ? 1 : 0;',
      ].join('\n'),
      resolveDir: dir,
      sourcefile: `$file.entry.ts`,
      loader: 'ts',
    },
    alias: { vitest: join(here, 'vitest-shim.mjs') },
    nodePaths: [join(root, 'node_modules/.pnpm/node_modules')],
    outfile: join(out, 'tests', file.replace(/\.ts$/, '.mjs')),
  });
}
for (const bench of ['bench', 'bench-mixed']) {
  await esbuild.build({
    ...common,
    entryPoints: [join(root, `bench/cuda-encoder/${bench}.mjs`)],
    outfile: join(out, `${bench}.mjs`),
  });
}
copyFileSync(join(here, 'run-tests.mjs'), join(out, 'run-tests.mjs'));
for (const [name, ref] of treeRefs) {
  const dir = join(out, 'trees', name);
  mkdirSync(dir, { recursive: true });
  execSync(`git archive ${ref} native | tar -x -C ${JSON.stringify(dir)}`, { cwd: root });
}
const size = (p) =>
  Number(require('node:child_process').execFileSync('du', ['-sb', p]).toString().split('\t')[0]);
process.stdout.write(`${relative(root, out)}: ${(size(out) / 2 ** 20).toFixed(1)} MiB\n`);
if (!existsSync(join(out, 'tests/golden.test.mjs'))) process.exit(1);

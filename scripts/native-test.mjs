#!/usr/bin/env node
// Configures native/ with plain CMake into native/build-tests (unit tests + both addons, the CUDA
// parts only when nvcc is found), builds with 2 jobs and runs ctest. Exits non-zero on failure.
//
//   node scripts/native-test.mjs                          # what `pnpm test:native` runs
//   node scripts/native-test.mjs --sanitize               # unit tests under ASan + UBSan (native/build-sanitize)
//   node scripts/native-test.mjs -DSOME_OPTION=ON         # extra -D options for CMake
//
// Node-API headers come from the node-api-headers / node-addon-api packages that `pnpm install`
// put in packages/encoder-cpu-vnni; without them only the unit tests are built.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'native');
const sanitize = process.argv.includes('--sanitize');
const buildDir = join(sourceDir, sanitize ? 'build-sanitize' : 'build-tests');
const jobs = '2'; // CI runners have 2 cores
const extraArgs = process.argv.slice(2).filter((a) => a !== '--sanitize');

function includeDir(moduleName) {
  try {
    const require = createRequire(join(root, 'packages', 'encoder-cpu-vnni', 'package.json'));
    return require(moduleName).include_dir;
  } catch {
    return undefined;
  }
}

function run(step, command, args, env = process.env) {
  console.log(`\n> ${[command, ...args].join(' ')}`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.error) {
    console.error(`native-test: ${step} could not start ${command}: ${result.error.message}`);
    process.exit(1);
  }
  if (result.status !== 0) {
    console.error(`native-test: ${step} failed (exit ${result.status ?? result.signal}) after ${seconds}s`);
    process.exit(result.status ?? 1);
  }
  console.log(`native-test: ${step} took ${seconds}s`);
}

const configure = sanitize
  ? [
      '-S',
      sourceDir,
      '-B',
      buildDir,
      '-DSAMP_BUILD_TESTS=ON',
      '-DCMAKE_BUILD_TYPE=RelWithDebInfo',
      '-DSAMP_SANITIZE=address,undefined',
    ]
  : ['-S', sourceDir, '-B', buildDir, '-DSAMP_BUILD_TESTS=ON', '-DCMAKE_BUILD_TYPE=Release'];
// Ninja when available, but never switch the generator of an existing build folder.
if (!existsSync(join(buildDir, 'CMakeCache.txt')) && spawnSync('ninja', ['--version']).status === 0) {
  configure.push('-G', 'Ninja');
}
const apiHeaders = includeDir('node-api-headers');
const addonApi = includeDir('node-addon-api');
if (sanitize) {
  // The sanitized build runs the native unit tests only: an addon would need a sanitized Node.
  configure.push('-DSAMP_BUILD_ADDONS=OFF', '-DSAMP_BUILD_CUDA=OFF');
} else if (apiHeaders && addonApi) {
  configure.push(
    '-DSAMP_BUILD_ADDONS=ON',
    `-DSAMP_NODE_API_HEADERS_DIR=${apiHeaders}`,
    `-DSAMP_NODE_ADDON_API_DIR=${addonApi}`,
  );
} else {
  console.log(
    'native-test: node-api-headers / node-addon-api not installed (run `npx -y pnpm@10.34.8 install`); building the unit tests only',
  );
  configure.push('-DSAMP_BUILD_ADDONS=OFF');
}

run('configure', 'cmake', [...configure, ...extraArgs]);
run('build', 'cmake', ['--build', buildDir, '--parallel', jobs]);
const env = sanitize
  ? { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' }
  : process.env;
run('ctest', 'ctest', ['--test-dir', buildDir, '--output-on-failure'], env);

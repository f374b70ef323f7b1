// Builds and runs the native GoogleTest suites (native/tests/test_*.cc) with CTest.
//   node scripts/native-tests.mjs          Release build in build-tests/
//   node scripts/native-tests.mjs --asan   AddressSanitizer build in build-asan/
//   --build-dir D                          build in D/ instead, e.g. against the CUDA libtorch of
//                                          scripts/cuda-torch.sh (LIBTORCH) in build-cuda-tests/
// Needs libgtest-dev (installed by .ci/run) and libtorch (found as for the addon).
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLibtorch, HOW_TO_GET_LIBTORCH } from './find-libtorch.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const asan = process.argv.includes('--asan');
const argIndex = process.argv.indexOf('--build-dir');
const buildDir = path.resolve(root, argIndex > 0 ? process.argv[argIndex + 1] : asan ? 'build-asan' : 'build-tests');

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const torch = findLibtorch();
if (!torch) {
  console.error(HOW_TO_GET_LIBTORCH);
  process.exit(1);
}
const configure = ['-S', root, '-B', buildDir, '-DNIVP_TESTS=ON', '-DNIVP_WERROR=ON'];
configure.push(asan ? '-DCMAKE_BUILD_TYPE=RelWithDebInfo' : '-DCMAKE_BUILD_TYPE=Release');
if (asan) configure.push('-DNIVP_ASAN=ON');
if (torch.prefix) configure.push(`-DCMAKE_PREFIX_PATH=${torch.prefix}`);
// NIVP_CMAKE_ARGS: extra "-DNAME=VALUE" definitions, as for the addon (scripts/install.mjs).
configure.push(...(process.env.NIVP_CMAKE_ARGS ?? '').split(/\s+/).filter(Boolean));
run('cmake', configure);
run('cmake', ['--build', buildDir, '--parallel', String(os.availableParallelism())]);
// libtorch's own allocations outlive main(); leak checking would report them, not ours.
const env = asan ? { ...process.env, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=0' } : process.env;
run('ctest', ['--test-dir', buildDir, '--output-on-failure'], env);

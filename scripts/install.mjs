// npm's install step for neural-ivp: keep a loadable addon (build/Release, or a prebuild made from
// these native sources: scripts/addon.mjs) when there is one, otherwise build native/ with cmake-js
// against libtorch (scripts/find-libtorch.mjs; Debian's packages as a last resort:
// scripts/debian-libtorch.mjs).
//   node scripts/install.mjs                         install-time behaviour
//   node scripts/install.mjs --force                 always rebuild (npm run build:native, binding.gyp)
//   node scripts/install.mjs --force --build-dir D   rebuild into D/ (D/cmake, D/Release/neural_ivp.node)
//                                                    instead of build/, e.g. build-cuda/ (scripts/cuda-torch.sh)
// NIVP_WERROR=1 adds -Werror; NIVP_CMAKE_ARGS="-DNAME=VALUE ..." passes definitions on to CMake.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listPrebuilds, loadPrebuild, nativeSourceHash, openAddon } from './addon.mjs';
import { ensureLibtorch, installDebianLibtorch } from './debian-libtorch.mjs';
import { findLibtorch } from './find-libtorch.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const argIndex = process.argv.indexOf('--build-dir');
const buildDir = path.resolve(root, argIndex > 0 ? process.argv[argIndex + 1] : 'build');
// Another build folder is only ever an explicit build: the loader does not look there by itself.
const force = process.argv.includes('--force') || buildDir !== path.join(root, 'build');

function localBuildLoads() {
  const file = path.join(root, 'build', 'Release', 'neural_ivp.node');
  if (!existsSync(file)) return false;
  try {
    openAddon(file);
    return true;
  } catch (error) {
    console.warn(
      `neural-ivp: build/Release/neural_ivp.node does not load (${error.message.split('\n')[0]}); rebuilding`,
    );
    return false;
  }
}

// Prebuilds made from other native sources than these are skipped (a checkout ahead of them).
const sourceHash = nativeSourceHash(root);
const fresh = (prebuild) => prebuild.manifest?.sourceHash === sourceHash;

function prebuildLoads() {
  const stale = listPrebuilds(root).filter((p) => !fresh(p));
  for (const p of stale) console.log(`neural-ivp: skipping ${path.basename(p.file)} (built from other native sources)`);
  if (!listPrebuilds(root).some(fresh)) return false;
  try {
    const { file, skipped } = loadPrebuild(root, { accept: fresh });
    for (const reason of skipped) console.log(`neural-ivp: skipping ${reason}`);
    console.log(`neural-ivp: using the prebuilt ${path.relative(root, file)}`);
    return true;
  } catch (error) {
    console.log(`neural-ivp: ${error.message}`);
    return false;
  }
}

/** NIVP_CMAKE_ARGS: extra "-DNAME=VALUE" definitions, space-separated (scripts/cuda-torch.sh). */
function cmakeDefines() {
  return (process.env.NIVP_CMAKE_ARGS ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((arg) => arg.replace(/^-D/, ''));
}

function build() {
  let torch;
  try {
    torch = ensureLibtorch();
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
  console.log(`neural-ivp: building the native addon against libtorch from ${torch.source}`);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const args = [
    cmakeJs,
    'compile',
    '--out',
    path.join(buildDir, 'cmake'),
    '--parallel',
    String(os.availableParallelism()),
    `--CDNIVP_ADDON_DIR=${path.join(buildDir, 'Release')}`,
  ];
  if (torch.prefix) args.push(`--CDCMAKE_PREFIX_PATH=${torch.prefix}`);
  if (process.env.NIVP_WERROR) args.push('--CDNIVP_WERROR=ON');
  for (const define of cmakeDefines()) args.push(`--CD${define}`);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('neural-ivp: the native build failed (see the CMake output above).');
    process.exit(result.status ?? 1);
  }
}

function haveAddon() {
  if (localBuildLoads() || prebuildLoads()) return true;
  // A fresh machine: Debian's libtorch is all a CPU prebuild needs, much faster than a build.
  const cpuPrebuild = listPrebuilds(root).some((p) => fresh(p) && p.cuda === null);
  return cpuPrebuild && !findLibtorch() && installDebianLibtorch() && prebuildLoads();
}

if (force || !haveAddon()) build();

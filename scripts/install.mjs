// npm's install step for neural-ivp: keep a loadable addon (build/Release, or a prebuild made from
// these native sources: scripts/addon.mjs) when there is one, otherwise build native/ with cmake-js
// against libtorch.
//   node scripts/install.mjs          install-time behaviour
//   node scripts/install.mjs --force  always rebuild (npm run build:native, binding.gyp)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listPrebuilds, loadPrebuild, nativeSourceHash } from './addon.mjs';
import { findLibtorch, HOW_TO_GET_LIBTORCH } from './find-libtorch.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const force = process.argv.includes('--force');

function localBuildLoads() {
  const file = path.join(root, 'build', 'Release', 'neural_ivp.node');
  if (!existsSync(file)) return false;
  try {
    require(file);
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
    const { file } = loadPrebuild(root, require, { accept: fresh });
    console.log(`neural-ivp: using the prebuilt ${path.relative(root, file)}`);
    return true;
  } catch (error) {
    console.log(`neural-ivp: ${error.message}`);
    return false;
  }
}

function installDebianLibtorch() {
  const isDebian = existsSync('/etc/debian_version');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isDebian || !isRoot) return false;
  console.log('neural-ivp: libtorch not found; installing Debian packages libtorch-dev libopenblas0-pthread (apt-get)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'libtorch-dev', 'libopenblas0-pthread'], { stdio: 'inherit', env });
  return true;
}

function build() {
  let torch = findLibtorch();
  if (!torch && installDebianLibtorch()) torch = findLibtorch();
  if (!torch) {
    console.error(HOW_TO_GET_LIBTORCH);
    process.exit(1);
  }
  console.log(`neural-ivp: building the native addon against libtorch from ${torch.source}`);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const args = [
    cmakeJs,
    'compile',
    '--out',
    path.join(root, 'build', 'cmake'),
    '--parallel',
    String(os.availableParallelism()),
  ];
  if (torch.prefix) args.push(`--CDCMAKE_PREFIX_PATH=${torch.prefix}`);
  if (process.env.NIVP_WERROR) args.push('--CDNIVP_WERROR=ON');
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

// Makes a tagged prebuild of this checkout (scripts/addon.mjs explains the tags and the loader):
//   node scripts/prebuild.mjs [--no-build] [--build-dir D]
// Builds the addon against the libtorch that scripts/find-libtorch.mjs finds (LIBTORCH, Python's
// torch, the system) into D/ (default build/), then copies D/Release/neural_ivp.node to
// prebuilds/<platform>-<arch>/neural_ivp.napi.<tag>.node with a .json manifest: torch and CUDA
// versions, the libtorch lib folder it linked (its RUNPATH), and the hash of the native sources.
// The CUDA prebuild: bash scripts/cuda-torch.sh prebuild (torch 2.14 for CUDA 13.0 in a venv,
// built in build-cuda/).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { libtorchVersions, nativeSourceHash, prebuildDir, prebuildTag } from './addon.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argIndex = process.argv.indexOf('--build-dir');
const buildDir = argIndex > 0 ? process.argv[argIndex + 1] : 'build';
const built = path.resolve(root, buildDir, 'Release', 'neural_ivp.node');

if (!process.argv.includes('--no-build')) {
  const r = spawnSync(
    process.execPath,
    [path.join(root, 'scripts', 'install.mjs'), '--force', '--build-dir', buildDir],
    { cwd: root, stdio: 'inherit' },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// What the addon links, read in a fresh process: its torch and CUDA versions and the libtorch files
// mapped.
const probe = `
const addon = require(${JSON.stringify(built)});
const maps = require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter(Boolean);
const find = (re) => maps.find((f) => re.test(require('path').basename(f))) ?? null;
console.log(JSON.stringify({ torch: addon.torchVersion(), cuda: addon.cudaVersion(), torchCpu: find(/^libtorch_cpu\\.so/), torchCuda: find(/^libtorch_cuda\\.so/) }));
`;
const info = JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }));
if (!info.torchCpu) throw new Error('prebuild: the addon did not map libtorch_cpu; cannot tell which libtorch it uses');
// The CUDA version libtorch was built for (its CUDA runtime), else what its folder says.
const cuda = info.torchCuda ? (info.cuda ?? libtorchVersions(path.dirname(info.torchCpu))?.cuda ?? null) : null;
if (info.torchCuda && !cuda) throw new Error('prebuild: the addon links libtorch_cuda but the CUDA version is unknown');

const tag = prebuildTag(info.torch, cuda);
const dir = prebuildDir(root);
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `neural_ivp.napi.${tag}.node`);
copyFileSync(built, file);
try {
  execFileSync('strip', ['--strip-unneeded', file]);
} catch {
  // strip is optional: the binary only gets larger
}
const manifest = {
  tag,
  torch: info.torch,
  cuda,
  libdir: path.dirname(info.torchCpu),
  sourceHash: nativeSourceHash(root),
  napi: 8,
  platform: `${process.platform}-${process.arch}`,
  builtAt: new Date().toISOString(),
  recipe: cuda ? 'bash scripts/cuda-torch.sh prebuild' : 'node scripts/prebuild.mjs',
};
writeFileSync(file.replace(/\.node$/, '.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`prebuild: ${path.relative(root, file)} (${JSON.stringify(manifest)})`);

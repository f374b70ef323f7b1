// Makes a tagged prebuild of this checkout (scripts/addon.mjs explains the tags and the loader):
//   node scripts/prebuild.mjs [--no-build]
// Builds the addon against the libtorch that scripts/find-libtorch.mjs finds (LIBTORCH, Python's
// torch, the system), then copies build/Release/neural_ivp.node to
// prebuilds/<platform>-<arch>/neural_ivp.napi.<tag>.node with a .json manifest: torch and CUDA
// versions, the libtorch lib folder it linked (its RUNPATH), and the hash of the native sources.
// On the CUDA machine: with torch 2.x + CUDA importable in Python, the same command makes the
// torch2_x-cudaNN_M prebuild (bench/gpu.sh runs it).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeSourceHash, prebuildDir, prebuildTag } from './addon.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'build', 'Release', 'neural_ivp.node');

if (!process.argv.includes('--no-build')) {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'install.mjs'), '--force'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// What the addon links, read in a fresh process: its torch version and the libtorch files mapped.
const probe = `
const addon = require(${JSON.stringify(built)});
const maps = require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter(Boolean);
const find = (re) => maps.find((f) => re.test(require('path').basename(f))) ?? null;
console.log(JSON.stringify({ torch: addon.torchVersion(), torchCpu: find(/^libtorch_cpu\\.so/), torchCuda: find(/^libtorch_cuda\\.so/), cudart: find(/^libcudart\\.so/) }));
`;
const info = JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }));
if (!info.torchCpu) throw new Error('prebuild: the addon did not map libtorch_cpu; cannot tell which libtorch it uses');
let cuda = null;
if (info.torchCuda) {
  // torch.version.cuda when this is Python's torch, else the runtime library's soname version.
  try {
    cuda = execFileSync('python3', ['-c', 'import torch; print(torch.version.cuda or "")'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    cuda = /libcudart\.so\.(\d+(?:\.\d+)?)/.exec(info.cudart ?? '')?.[1] ?? null;
  }
  if (!cuda) throw new Error('prebuild: the addon links libtorch_cuda but the CUDA version is unknown');
}

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
  recipe: 'node scripts/prebuild.mjs',
};
writeFileSync(file.replace(/\.node$/, '.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`prebuild: ${path.relative(root, file)} (${JSON.stringify(manifest)})`);

// Finding and loading the native addon; shared by the library (ts/native.ts) and npm's install
// step (scripts/install.mjs), which must agree on what counts as a usable binary.
//
// Order: NEURAL_IVP_PREBUILD or a local build (build/Release) through node-gyp-build, since a
// local build always matches the libtorch it was built against; otherwise the tagged prebuilds in
// prebuilds/<platform>-<arch>/, CUDA flavours first:
//   neural_ivp.napi.torch<major>_<minor>-cpu.node            e.g. against Debian's libtorch 1.13
//   neural_ivp.napi.torch<major>_<minor>-cuda<major>_<minor>.node   against a CUDA torch 2.x
// each with a .json manifest beside it (torch and CUDA versions, the build's libtorch lib folder,
// a hash of the native sources). node-gyp-build ignores the torch tag, so the choice is made here.
// A prebuild finds libtorch through its RUNPATH (the build machine's lib folder) and the system
// folders; when that fails, libtorch from LIBTORCH or Python's torch, if its version matches the
// prebuild's, is loaded first (RTLD_GLOBAL) and the prebuild tried again.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pythonTorch } from './find-libtorch.mjs';

const TAG = /^neural_ivp\.napi\.torch(\d+)_(\d+)-(cpu|cuda(\d+)_(\d+))\.node$/;

export function prebuildDir(root) {
  return path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
}

/** The file tag of a build: torch "2.11.0" and CUDA "13.0" (or null) → "torch2_11-cuda13_0". */
export function prebuildTag(torchVersion, cudaVersion) {
  const [major, minor] = torchVersion.split(/[.+]/);
  const flavour = cudaVersion ? `cuda${cudaVersion.split('.').slice(0, 2).join('_')}` : 'cpu';
  return `torch${major}_${minor}-${flavour}`;
}

/** Tagged prebuilds for this platform, CUDA flavours first. */
export function listPrebuilds(root) {
  const dir = prebuildDir(root);
  if (!fs.existsSync(dir)) return [];
  const found = [];
  for (const name of fs.readdirSync(dir)) {
    const m = TAG.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    let manifest = null;
    try {
      manifest = JSON.parse(fs.readFileSync(file.replace(/\.node$/, '.json'), 'utf8'));
    } catch {
      // No manifest: still loadable, but neither preloading nor the staleness check applies.
    }
    found.push({ file, torch: `${m[1]}.${m[2]}`, cuda: m[4] ? `${m[4]}.${m[5]}` : null, manifest });
  }
  return found.sort((a, b) => Number(b.cuda !== null) - Number(a.cuda !== null) || a.file.localeCompare(b.file));
}

/** sha256 over the native sources that a build compiles (native/ without tests, CMakeLists.txt). */
export function nativeSourceHash(root) {
  const files = [];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (child !== 'native/tests') walk(child);
      } else if (/\.(cc|h)$/.test(entry.name)) {
        files.push(child);
      }
    }
  };
  walk('native');
  files.sort();
  files.push('CMakeLists.txt');
  const hash = createHash('sha256');
  for (const rel of files)
    hash
      .update(`${rel}\0`)
      .update(fs.readFileSync(path.join(root, rel)))
      .update('\0');
  return hash.digest('hex');
}

/** The torch version of a folder of libtorch shared libraries ("2.11"), or null when unknown. */
function libDirTorchVersion(dir) {
  const candidates = [
    [path.join(dir, '..', 'version.py'), /__version__\s*=\s*'(\d+)\.(\d+)/], // Python's torch/lib
    [path.join(dir, '..', 'build-version'), /^(\d+)\.(\d+)/], // an unpacked libtorch zip
  ];
  for (const [file, re] of candidates) {
    try {
      const m = re.exec(fs.readFileSync(file, 'utf8'));
      if (m) return `${m[1]}.${m[2]}`;
    } catch {
      // not this layout
    }
  }
  return null;
}

let pythonTorchLib;
function pythonTorchLibDir() {
  if (pythonTorchLib === undefined) {
    const found = pythonTorch('import os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))');
    pythonTorchLib = found ? found.out : null;
  }
  return pythonTorchLib;
}

/** Folders holding a libtorch whose version (and CUDA-ness) fit `prebuild`. */
export function libtorchDirsFor(prebuild, { python = true } = {}) {
  const dirs = [];
  if (process.env.LIBTORCH) dirs.push(path.join(process.env.LIBTORCH, 'lib'));
  if (prebuild.manifest?.libdir) dirs.push(prebuild.manifest.libdir);
  if (python) {
    const dir = pythonTorchLibDir();
    if (dir) dirs.push(dir);
  }
  return [...new Set(dirs)].filter(
    (dir) =>
      fs.existsSync(path.join(dir, 'libtorch_cpu.so')) &&
      (prebuild.cuda === null || fs.existsSync(path.join(dir, 'libtorch_cuda.so'))) &&
      libDirTorchVersion(dir) === prebuild.torch,
  );
}

/** Loads libtorch's libraries from `dir` into the process (global symbols), for a prebuild's sake. */
export function preloadLibtorch(dir) {
  const flags = os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL;
  for (const lib of ['libc10.so', 'libc10_cuda.so', 'libtorch_cpu.so', 'libtorch_cuda.so', 'libtorch.so']) {
    const file = path.join(dir, lib);
    if (!fs.existsSync(file)) continue;
    try {
      process.dlopen({ exports: {} }, file, flags);
    } catch (error) {
      // Not an addon: Node says so after dlopen succeeded, and libtorch's libraries stay loaded
      // (they hold GNU unique symbols, which make glibc keep them). Anything else is real.
      if (!/self-register/.test(String(error?.message))) throw error;
    }
  }
}

/**
 * Loads the first tagged prebuild that works here: { addon, file }; throws an Error listing each
 * prebuild and why it did not load. `requireFn` is the caller's `require`; `accept` filters the
 * candidates (the install step skips prebuilds of other native sources).
 */
export function loadPrebuild(root, requireFn, { accept = () => true } = {}) {
  const reasons = [];
  for (const prebuild of listPrebuilds(root).filter(accept)) {
    try {
      return { addon: requireFn(prebuild.file), file: prebuild.file };
    } catch (error) {
      let last = error;
      for (const dir of libtorchDirsFor(prebuild)) {
        try {
          preloadLibtorch(dir);
          return { addon: requireFn(prebuild.file), file: prebuild.file };
        } catch (again) {
          last = again;
        }
      }
      reasons.push(`${path.basename(prebuild.file)}: ${String(last?.message ?? last).split('\n')[0]}`);
    }
  }
  const dir = path.relative(root, prebuildDir(root));
  throw new Error(
    reasons.length === 0
      ? `no build/Release and no prebuild in ${dir}`
      : `no prebuild in ${dir} loads: ${reasons.join('; ')}`,
  );
}

/** Whether a local build or NEURAL_IVP_PREBUILD makes node-gyp-build the right loader. */
export function hasLocalBuild(root) {
  return (
    Boolean(process.env.NEURAL_IVP_PREBUILD) || fs.existsSync(path.join(root, 'build', 'Release', 'neural_ivp.node'))
  );
}

// Finding and loading the native addon; shared by the library (ts/native.ts) and npm's install
// step (scripts/install.mjs), which must agree on what counts as a usable binary.
//
// Order (loadAddon):
//   1. NEURAL_IVP_ADDON: exactly that .node file (e.g. build-cuda/Release/neural_ivp.node, the
//      addon of scripts/cuda-torch.sh); no fallback, since it was asked for by name;
//   2. NEURAL_IVP_PREBUILD or a local build (build/Release) through node-gyp-build, since a local
//      build always matches the libtorch it was built against;
//   3. the tagged prebuilds in prebuilds/<platform>-<arch>/, CUDA flavours first:
//        neural_ivp.napi.torch<major>_<minor>-cpu.node            e.g. against Debian's libtorch 1.13
//        neural_ivp.napi.torch<major>_<minor>-cuda<major>_<minor>.node   against a CUDA torch 2.x
//      each with a .json manifest beside it (torch and CUDA versions, the build's libtorch lib
//      folder, a hash of the native sources). node-gyp-build ignores the torch tag, so the choice
//      is made here. A prebuild finds libtorch through its RUNPATH (the build machine's lib folder)
//      and the system folders; when its RUNPATH folder is gone, libtorch from LIBTORCH or Python's
//      torch, if its version matches the prebuild's, is loaded first (RTLD_GLOBAL): loadPrebuild.
// A local build that does not load falls through to the prebuilds. Every candidate is opened with
// RTLD_NOW, so that a libtorch of another version fails here, as an error naming the candidate,
// rather than as a fatal "symbol lookup error" at the first call into it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
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

/** "2.14.1+cu130" → "13.0" (the wheel and libtorch-zip suffix), else null. */
function cudaFromSuffix(version) {
  const m = /\+cu(\d+)(\d)$/.exec(version);
  return m ? `${Number(m[1])}.${m[2]}` : null;
}

/**
 * The torch and CUDA versions of a folder of libtorch shared libraries: { torch: "2.14.1", cuda:
 * "13.0" | null }, read from Python's torch/version.py or an unpacked libtorch's build-version;
 * null when the folder says neither (Debian's /usr/lib/<triple>).
 */
export function libtorchVersions(dir) {
  try {
    const text = fs.readFileSync(path.join(dir, '..', 'version.py'), 'utf8');
    const version = /__version__\s*=\s*'([^']+)'/.exec(text)?.[1];
    if (version) {
      const cuda = /^cuda\b[^=]*=\s*'([^']+)'/m.exec(text)?.[1] ?? cudaFromSuffix(version);
      return { torch: version.split('+')[0], cuda: cuda ?? null };
    }
  } catch {
    // not Python's torch/lib
  }
  try {
    const version = fs.readFileSync(path.join(dir, '..', 'build-version'), 'utf8').trim();
    if (/^\d+\.\d+/.test(version)) return { torch: version.split('+')[0], cuda: cudaFromSuffix(version) };
  } catch {
    // not an unpacked libtorch
  }
  return null;
}

/** The torch version of a folder of libtorch shared libraries ("2.11"), or null when unknown. */
function libDirTorchVersion(dir) {
  const found = libtorchVersions(dir);
  return found ? found.torch.split('.').slice(0, 2).join('.') : null;
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
  // What the addon links (CMakeLists.txt: not the libtorch.so shim, which would not stay loaded).
  for (const lib of ['libc10.so', 'libc10_cuda.so', 'libtorch_cpu.so', 'libtorch_cuda.so']) {
    const file = path.join(dir, lib);
    if (!fs.existsSync(file)) continue;
    try {
      process.dlopen({ exports: {} }, file, flags);
    } catch (error) {
      // Not an addon: Node says so after dlopen succeeded and closes it again, but these libraries
      // stay loaded (they hold GNU unique symbols, which make glibc keep them). Anything else is real.
      if (!/self-register/.test(String(error?.message))) throw error;
    }
  }
}

/**
 * Opens an addon with every symbol bound now (RTLD_NOW): a libtorch that lacks one of the addon's
 * symbols fails here instead of aborting the process at the first call that needs it.
 */
export function openAddon(file) {
  const module = { exports: {} };
  process.dlopen(module, file, os.constants.dlopen.RTLD_NOW);
  return module.exports;
}

const firstLine = (error) => String(error?.message ?? error).split('\n')[0];

/**
 * Loads the first tagged prebuild that works here: { addon, file, skipped }, where `skipped` says
 * for each prebuild tried before it why it did not load; throws an Error listing each prebuild and
 * why it did not load. `accept` filters the candidates (the install step skips prebuilds of other
 * native sources).
 *
 * Per prebuild: when its RUNPATH folder holds a libtorch of its version, or no folder known here
 * does, it is opened as it is (RUNPATH, then the system folders); otherwise the fitting libtorch of
 * LIBTORCH or Python's torch is loaded first. Preloaded libraries stay in the process with global
 * symbols, so after a preload only prebuilds of the same torch version are tried: another version's
 * addon would bind to them.
 */
export function loadPrebuild(root, { accept = () => true } = {}) {
  const reasons = [];
  let held = null; // the torch version whose libraries a preload put into this process
  for (const prebuild of listPrebuilds(root).filter(accept)) {
    const name = path.basename(prebuild.file);
    if (held !== null && held !== prebuild.torch) {
      reasons.push(`${name}: not tried, libtorch ${held} was loaded into this process for an earlier prebuild`);
      continue;
    }
    const own = prebuild.manifest?.libdir;
    const dirs = libtorchDirsFor(prebuild);
    let last = null;
    if (dirs.length === 0 || dirs.includes(own)) {
      try {
        return { addon: openAddon(prebuild.file), file: prebuild.file, skipped: reasons };
      } catch (error) {
        last = error;
      }
    }
    for (const dir of dirs.filter((d) => d !== own)) {
      try {
        held = prebuild.torch;
        preloadLibtorch(dir);
        return { addon: openAddon(prebuild.file), file: prebuild.file, skipped: reasons };
      } catch (error) {
        last = error;
      }
    }
    reasons.push(`${name}: ${firstLine(last)}`);
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

/**
 * Loads the addon in the order at the top of this file: { addon, file, kind, skipped }, `kind` one
 * of 'NEURAL_IVP_ADDON', 'local build', 'prebuild'. Throws an Error naming every candidate and why
 * it did not load.
 */
export function loadAddon(root) {
  const explicit = process.env.NEURAL_IVP_ADDON;
  if (explicit) {
    const file = path.resolve(explicit);
    try {
      return { addon: openAddon(file), file, kind: 'NEURAL_IVP_ADDON', skipped: [] };
    } catch (error) {
      throw new Error(`NEURAL_IVP_ADDON=${explicit} does not load: ${firstLine(error)}`);
    }
  }
  const skipped = [];
  if (hasLocalBuild(root)) {
    let file = 'build/Release/neural_ivp.node';
    try {
      file = createRequire(import.meta.url)('node-gyp-build').resolve(root);
      return { addon: openAddon(file), file, kind: 'local build', skipped };
    } catch (error) {
      if (process.env.NEURAL_IVP_PREBUILD) {
        throw new Error(`NEURAL_IVP_PREBUILD=${process.env.NEURAL_IVP_PREBUILD}: ${firstLine(error)}`);
      }
      skipped.push(`${path.relative(root, path.resolve(root, file))}: ${firstLine(error)}`);
    }
  }
  try {
    const found = loadPrebuild(root);
    return { ...found, kind: 'prebuild', skipped: [...skipped, ...found.skipped] };
  } catch (error) {
    throw new Error([...skipped, error.message].join('; '));
  }
}

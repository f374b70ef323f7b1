// Locates libtorch's CMake package, in the documented order:
//   1. the LIBTORCH environment variable (a libtorch folder),
//   2. Python's torch, when `import torch` works (torch.utils.cmake_prefix_path),
//   3. the system (Debian's libtorch-dev installs /usr/lib/<triple>/cmake/Torch).
// Returns { prefix, source } or null. `prefix` goes to CMAKE_PREFIX_PATH (null for the system).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const torchConfigUnder = (prefix) =>
  [
    path.join(prefix, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'),
    path.join(prefix, 'Torch', 'TorchConfig.cmake'),
    path.join(prefix, 'lib', 'cmake', 'Torch', 'TorchConfig.cmake'),
  ].find((file) => existsSync(file));

function fromEnv() {
  const dir = process.env.LIBTORCH;
  if (!dir) return null;
  if (!torchConfigUnder(dir)) {
    throw new Error(
      `LIBTORCH=${dir} holds no share/cmake/Torch/TorchConfig.cmake; point it at an unpacked libtorch folder`,
    );
  }
  return { prefix: dir, source: `LIBTORCH (${dir})` };
}

/** What the first of python3, python that can import torch prints for `code`: { python, out } or null. */
export function pythonTorch(code) {
  for (const python of ['python3', 'python']) {
    try {
      const out = execFileSync(python, ['-c', `import torch\n${code}`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 60_000,
      }).trim();
      if (out) return { python, out };
    } catch {
      // torch not importable from this interpreter: try the next one.
    }
  }
  return null;
}

function fromPython() {
  const found = pythonTorch('import torch.utils; print(torch.utils.cmake_prefix_path)');
  if (!found || !torchConfigUnder(found.out)) return null;
  return { prefix: found.out, source: `Python's torch (${found.python}: ${found.out})` };
}

function fromSystem() {
  const roots = ['/usr/lib', '/usr/local/lib', '/usr/share', '/usr/local/share', '/usr/local'];
  for (const root of roots) {
    if (!existsSync(root)) continue;
    const candidates = [path.join(root, 'cmake', 'Torch', 'TorchConfig.cmake')];
    for (const entry of readdirSync(root)) {
      if (entry.includes('-linux-')) candidates.push(path.join(root, entry, 'cmake', 'Torch', 'TorchConfig.cmake'));
    }
    const hit = candidates.find((file) => existsSync(file));
    if (hit) return { prefix: null, source: `the system (${path.dirname(hit)})` };
  }
  return null;
}

export function findLibtorch() {
  return fromEnv() ?? fromPython() ?? fromSystem();
}

export const HOW_TO_GET_LIBTORCH = `neural-ivp needs libtorch (C++). Provide it in one of three ways:
  1. set LIBTORCH to an unpacked libtorch folder (the one holding share/cmake/Torch);
  2. make Python's torch importable (pip install torch) so torch.utils.cmake_prefix_path is found;
  3. install it system-wide, e.g. on Debian/Ubuntu: apt-get install -y libtorch-dev libopenblas0-pthread`;

// Runs the peers of the M·v (bench/peers/): plain PyTorch (functorch jvp + vjp) with a Python
// that has torch, and jit-compiled JAX (the paper's reference implementation's framework) with a
// Python that has jax. A peer that cannot run is reported with a note, never as an error.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../native';

const run = promisify(execFile);

export interface PeerResult {
  name: 'pytorch' | 'jax';
  seconds: number | null;
  note?: string;
}

const PEERS = [
  { name: 'pytorch', module: 'torch', script: 'mvm_peer.py', install: 'apt-get install -y python3-torch' },
  { name: 'jax', module: 'jax', script: 'mvm_peer_jax.py', install: 'pip install jax' },
] as const;

/** The first Python that imports `module`, or null. */
async function pythonWith(module: string, signal?: AbortSignal): Promise<string | null> {
  for (const python of ['/usr/bin/python3', 'python3', 'python']) {
    try {
      await run(python, ['-c', `import ${module}`], { timeout: 60_000, signal });
      return python;
    } catch {
      // not this one
    }
  }
  return null;
}

export async function runMvmPeers(options: {
  n: number;
  threads: number;
  repeats: number;
  device?: 'cpu' | 'cuda';
  signal?: AbortSignal;
}): Promise<PeerResult[]> {
  const results: PeerResult[] = [];
  for (const peer of PEERS) {
    const python = await pythonWith(peer.module, options.signal);
    if (python === null) {
      results.push({
        name: peer.name,
        seconds: null,
        note: `${peer.name} peer not measured: no Python with ${peer.module} found (${peer.install})`,
      });
      continue;
    }
    const args = [path.join(packageRoot, 'bench', 'peers', peer.script), '--n', String(options.n)];
    args.push('--threads', String(options.threads), '--repeats', String(options.repeats));
    args.push('--device', options.device ?? 'cpu');
    try {
      const { stdout } = await run(python, args, { timeout: 600_000, signal: options.signal, encoding: 'utf8' });
      const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { seconds?: number };
      results.push(
        typeof result.seconds === 'number'
          ? { name: peer.name, seconds: result.seconds }
          : { name: peer.name, seconds: null, note: `${peer.name} peer said: ${stdout}` },
      );
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      results.push({ name: peer.name, seconds: null, note: `${peer.name} peer failed: ${message}` });
    }
  }
  return results;
}

// Runs the plain-PyTorch peer (bench/peers/mvm_peer.py) with a Python that has torch.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../native';

const peerScript = path.join(packageRoot, 'bench', 'peers', 'mvm_peer.py');

export interface PeerResult {
  seconds: number | null;
  note?: string;
}

function pythonWithTorch(): string | null {
  for (const python of ['/usr/bin/python3', 'python3', 'python']) {
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
      return python;
    } catch {
      // not this one
    }
  }
  return null;
}

export function runMvmPeer(options: {
  n: number;
  threads: number;
  repeats: number;
  device?: 'cpu' | 'cuda';
}): PeerResult {
  const python = pythonWithTorch();
  if (!python) {
    return {
      seconds: null,
      note: 'PyTorch peer not measured: no Python with torch found. On Debian: apt-get install -y python3-torch',
    };
  }
  const out = execFileSync(
    python,
    [
      peerScript,
      '--n',
      String(options.n),
      '--threads',
      String(options.threads),
      '--repeats',
      String(options.repeats),
      '--device',
      options.device ?? 'cpu',
    ],
    { encoding: 'utf8', timeout: 600_000 },
  );
  const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { seconds?: number };
  return typeof result.seconds === 'number'
    ? { seconds: result.seconds }
    : { seconds: null, note: `peer said: ${out}` };
}

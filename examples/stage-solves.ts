// What the linear options do to one RK stage's solve at a saved state: loads a solution file,
// builds a session from its configuration with `linear` patched, and runs repeated stage solves
// of (M + μI)θ̇ = F at θ(t) on fresh points, printing each one's CG iterations, projection residual
// ‖Jθ̇ − f‖/‖f‖ and wall seconds. The first solve builds the preconditioner; with
// `reusePreconditioner` the later ones keep it, as an evolution's stages do.
//
//   node --import tsx examples/stage-solves.ts FILE [--time-index K] [--linear JSON] [--solves N]
//
// e.g. --linear '{"rank":400,"maxRank":400}' or '{"tol":1e-6}'.

import { readFile } from 'node:fs/promises';
import { availableDevice, createSession } from '../ts/solver/native-session';
import { decodeSolution } from '../ts/solver/save-format';
import type { SessionPcgConfig } from '../ts/solver/session';
import { flag } from './lib/flags';

const file = process.argv[2];
if (!file || file.startsWith('--'))
  throw new Error('usage: stage-solves.ts FILE [--time-index K] [--linear JSON] [--solves N]');
const solves = Number(flag('solves', '5'));
const linear = JSON.parse(flag('linear', '{}')) as Partial<Omit<SessionPcgConfig, 'method'>>;

const { config, times, thetas } = decodeSolution(await readFile(file, 'utf8'));
const index = Number(flag('time-index', String(times.length - 1)));
const t = times[index];
if (t === undefined) throw new RangeError(`--time-index must be below ${times.length}`);
const session = config.session;
if (session.linear.method !== 'pcg')
  throw new Error('stage-solves patches PCG options; this solution was solved densely');
const patched = { ...session.linear, ...linear };
const native = createSession({
  ...session,
  network: { ...session.network, device: availableDevice(session.network.device) },
  linear: patched,
});
const theta = native.write(thetas[index]);
console.log(`t = ${t}, linear ${JSON.stringify(patched)}`);
for (let i = 0; i < solves; i++) {
  const started = performance.now();
  const stage = await native.stage(t, theta, [], true);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `solve ${i + 1}: ${stage.cgIterations} CG iterations, residual ${stage.residual.toExponential(2)}, ${seconds.toFixed(1)} s`,
  );
  native.release(stage.handle);
}

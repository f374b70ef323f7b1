// Sample-parallel runs on c10d (docs/distributed.md): option and environment validation, and
// real runs of 2 worker processes with Gloo on 127.0.0.1, against one process drawing the union
// of their points. Every run is bounded by its own timeout and the workers are reaped.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NeuralIVP, native, problems, SpecError } from '../ts/index';
import { resolveOptions } from '../ts/solver/options';
import { smallRun } from './helpers/distributed-run';

const root = path.resolve(__dirname, '..');
const problem = problems.heat({ dim: 1 });
const env0 = {} as const;

function specError(input: Parameters<typeof resolveOptions>[0], env: Record<string, string> = env0): SpecError {
  try {
    resolveOptions(input, env);
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw e;
  }
  throw new Error('expected a SpecError');
}

const dist = (extra: Record<string, unknown> = {}) => ({
  rank: 0,
  worldSize: 2,
  address: '127.0.0.1',
  port: 29500,
  ...extra,
});

describe('distributed: options and the torchrun environment', () => {
  it('resolves explicit options, with defaults', () => {
    const r = resolveOptions({ problem, distributed: dist({ rank: 1 }) }, env0);
    expect(r.distributed).toEqual({
      rank: 1,
      worldSize: 2,
      localRank: 1,
      address: '127.0.0.1',
      port: 29500,
      backend: null,
      timeoutSeconds: 300,
    });
    expect(resolveOptions({ ...r }, env0)).toEqual(r);
  });

  it('reads RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT and LOCAL_RANK when the option is absent', () => {
    const env = { RANK: '3', WORLD_SIZE: '4', MASTER_ADDR: 'node7', MASTER_PORT: '1234', LOCAL_RANK: '1' };
    expect(resolveOptions({ problem }, env).distributed).toEqual({
      rank: 3,
      worldSize: 4,
      localRank: 1,
      address: 'node7',
      port: 1234,
      backend: null,
      timeoutSeconds: 300,
    });
    expect(resolveOptions({ problem, distributed: false }, env).distributed).toBeNull();
    expect(resolveOptions({ problem }, env0).distributed).toBeNull();
  });

  it('rejects bad values with SpecErrors whose path starts with distributed', () => {
    const cases: [unknown, string, RegExp][] = [
      [dist({ rank: 2 }), 'distributed.rank', /0\.\.1/],
      [dist({ worldSize: 0 }), 'distributed.worldSize', /1\.\./],
      [dist({ port: 70000 }), 'distributed.port', /1\.\.65535/],
      [dist({ address: '' }), 'distributed.address', /host/],
      [dist({ backend: 'mpi' }), 'distributed.backend', /'gloo' or 'nccl'/],
      [dist({ timeoutSeconds: 0 }), 'distributed.timeoutSeconds', /positive/],
      [dist({ ranks: 1 }), 'distributed.ranks', /unknown key/],
      [{ rank: 0, worldSize: 2, address: 'h' }, 'distributed.port', /missing/],
      ['yes', 'distributed', /object/],
    ];
    for (const [value, path, message] of cases) {
      const e = specError({ problem, distributed: value as never });
      expect(e.path).toBe(path);
      expect(e.message).toMatch(message);
    }
    expect(specError({ problem, samples: 16, distributed: dist({ worldSize: 32 }) }).path).toBe(
      'distributed.worldSize',
    );
    expect(specError({ problem, device: 'cpu', distributed: dist({ backend: 'nccl' }) }).path).toBe(
      'distributed.backend',
    );
  });

  it('names the environment variable that is missing or malformed', () => {
    let e = specError({ problem }, { RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: 'h' });
    expect(e.path).toBe('distributed.port');
    expect(e.message).toMatch(/not MASTER_PORT/);
    e = specError({ problem }, { RANK: 'one', WORLD_SIZE: '2', MASTER_ADDR: 'h', MASTER_PORT: '1' });
    expect(e.path).toBe('distributed.rank');
    expect(e.message).toMatch(/environment variable RANK/);
    e = specError({ problem }, { RANK: '2', WORLD_SIZE: '2', MASTER_ADDR: 'h', MASTER_PORT: '1' });
    expect(e.path).toBe('distributed.rank');
  });
});

// ---------------------------------------------------------------------------------------------
// Real runs

interface WorkerResult {
  rank: number;
  theta?: number[];
  theta0?: number[];
  times?: number[];
  steps?: number;
  rejected?: number;
  fitError?: number;
  error?: string;
}

let dir: string;
const children = new Set<ChildProcess>();
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'nivp-dist-'));
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
  });
}

/** Starts a node process; resolves to its exit code, killing it after `limitMs`. */
function run(args: string[], limitMs: number, env: NodeJS.ProcessEnv = process.env): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, env, stdio: 'ignore' });
    children.add(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve(code);
    });
  });
}

let jobs = 0;
async function worker(job: Record<string, unknown>, limitMs = 90_000): Promise<WorkerResult & { code: number | null }> {
  const out = path.join(dir, `worker-${jobs++}.json`);
  const code = await run(['tests/helpers/distributed-worker.ts', JSON.stringify({ ...job, out })], limitMs);
  const result = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as WorkerResult) : { rank: -1 };
  return { ...result, code };
}

const relative = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
};

const haveGloo = native().distributedBackends().includes('gloo');

describe.runIf(haveGloo)('distributed: 2 Gloo processes on 127.0.0.1', () => {
  const T = 0.05;

  it('reproduce the 1-process θ on the union of their points after a fit and several RK steps', async () => {
    const port = await freePort();
    const [a, b] = await Promise.all(
      [0, 1].map((rank) =>
        worker({ T, distributed: { rank, worldSize: 2, address: '127.0.0.1', port, timeoutSeconds: 60 } }),
      ),
    );
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    // The union: one process drawing both shares, each from its own stream.
    const union = new NeuralIVP({ ...smallRun(problem), distributed: false }, { sampleShares: 2 });
    const fit = await union.fit();
    const solution = await union.evolve(T);
    const theta = solution.theta(T);
    expect(a.steps).toBe(solution.stats.steps);
    expect(a.steps).toBeGreaterThanOrEqual(3);
    expect(a.times).toEqual(solution.times);
    expect(relative(a.theta as number[], theta)).toBeLessThanOrEqual(1e-10);
    expect(a.theta).toEqual(b.theta); // replicated: bitwise the same in both processes
    expect(Math.abs((a.fitError as number) - fit.relativeError)).toBeLessThanOrEqual(1e-10 * fit.relativeError);
    // …and the shares mattered: one process on one stream's points ends elsewhere.
    const alone = new NeuralIVP({ ...smallRun(problem), distributed: false });
    expect(relative((await alone.evolve(T)).theta(T), theta)).toBeGreaterThan(1e-6);
  });

  it("take the union's steps with the function-space error norm (its sums completed over the processes)", async () => {
    const overrides = { integrator: { method: 'rk23', rtol: 2e-3, errorNorm: 'function' } } as const;
    const port = await freePort();
    const [a, b] = await Promise.all(
      [0, 1].map((rank) =>
        worker({ T, overrides, distributed: { rank, worldSize: 2, address: '127.0.0.1', port, timeoutSeconds: 60 } }),
      ),
    );
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    const union = new NeuralIVP({ ...smallRun(problem), ...overrides, distributed: false }, { sampleShares: 2 });
    const solution = await union.evolve(T);
    expect(a.steps).toBe(solution.stats.steps);
    expect(a.rejected).toBe(solution.stats.rejectedSteps);
    expect(relative(a.theta as number[], solution.theta(T))).toBeLessThanOrEqual(1e-10);
    expect(a.theta).toEqual(b.theta);
  });

  // Head tuning solves (ΦᵀΦ + λnI)w = Φᵀu with λ = 1e-10, and each Gauss–Newton iteration a damped
  // system (M + λI)δ = g whose λ falls as the fit converges: on these small networks their condition
  // numbers reach ~1e8, and the rounding of Σ over 101 points summed in one pass versus two partial
  // sums (≈1e-16) is amplified by it. Adam and the RK steps are not: above, θ agrees to 1e-10.
  it.each([
    ['head tuning', { ...smallRun(problem).fit, headTuning: true }],
    ['the Gauss–Newton fit', { method: 'gauss-newton', steps: 8, samples: 65, rank: 8, tol: null, headTuning: false }],
  ] as const)('agree with the union after %s too, to what its conditioning allows', async (_, fitOptions) => {
    const port = await freePort();
    const [a] = await Promise.all(
      [0, 1].map((rank) =>
        worker({
          T,
          overrides: { fit: fitOptions },
          distributed: { rank, worldSize: 2, address: '127.0.0.1', port, timeoutSeconds: 60 },
        }),
      ),
    );
    expect(a.error).toBeUndefined();
    const union = new NeuralIVP({ ...smallRun(problem), fit: fitOptions, distributed: false }, { sampleShares: 2 });
    const solution = await union.evolve(T);
    expect(relative(a.theta0 as number[], solution.theta(0))).toBeLessThanOrEqual(1e-7);
    expect(relative(a.theta as number[], solution.theta(T))).toBeLessThanOrEqual(1e-7);
  });

  it('a rank killed mid-run makes the other fail with a clear error, well within the timeout', async () => {
    const port = await freePort();
    const started = Date.now();
    const jobsOf = (rank: number) => ({
      T,
      dieAtStep: rank === 1 ? 2 : undefined,
      distributed: { rank, worldSize: 2, address: '127.0.0.1', port, timeoutSeconds: 60 },
    });
    const [a, b] = await Promise.all([worker(jobsOf(0)), worker(jobsOf(1))]);
    expect(b.code).toBeNull(); // killed by SIGKILL
    expect(a.code).toBe(1);
    expect(a.error).toMatch(/distributed: an all-reduce of \d+ bytes failed on rank 0 of 2 \(gloo\)/);
    expect(Date.now() - started).toBeLessThan(50_000);
  });

  it('a busy port, a wrong world size and a different configuration are named on every rank', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const busyPort = (busy.address() as net.AddressInfo).port;
    const lonely = await worker({
      T,
      distributed: { rank: 0, worldSize: 2, address: '127.0.0.1', port: busyPort, timeoutSeconds: 20 },
    });
    busy.close();
    expect(lonely.error).toMatch(
      new RegExp(`rank 0 cannot host the rendezvous store at 127\\.0\\.0\\.1:${busyPort}.*port in use`),
    );

    let port = await freePort();
    const sizes = await Promise.all(
      [0, 1].map((rank) =>
        worker({
          T,
          distributed: { rank, worldSize: rank === 0 ? 2 : 3, address: '127.0.0.1', port, timeoutSeconds: 20 },
        }),
      ),
    );
    for (const r of sizes) expect(r.error).toMatch(/worldSize differs: \d on rank \d, \d on rank \d/);

    port = await freePort();
    const configs = await Promise.all(
      [0, 1].map((rank) =>
        worker({
          T,
          overrides: rank === 1 ? { samples: 99 } : {},
          distributed: { rank, worldSize: 2, address: '127.0.0.1', port, timeoutSeconds: 20 },
        }),
      ),
    );
    for (const r of configs) expect(r.error).toMatch(/configurations differ: samples differs: (101|99) on rank/);
  });

  it('neural-ivp run --nproc 2 writes its files once, from rank 0', async () => {
    const out = path.join(dir, 'cli');
    const code = await run(
      [
        'ts/cli/main.ts',
        'run',
        'heat',
        '--dim',
        '1',
        '--T',
        '0.02',
        '--samples',
        '64',
        '--width',
        '8',
        '--depth',
        '2',
        '--fit-steps',
        '10',
        '--fit-batch',
        '32',
        '--rank',
        '8',
        '--no-restarts',
        '--device',
        'cpu',
        '--quiet',
        '--grid',
        '8',
        '--out',
        out,
        '--nproc',
        '2',
      ],
      90_000,
    );
    expect(code).toBe(0);
    expect(existsSync(path.join(out, 'solution.json'))).toBe(true);
    const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { status: string };
    expect(metrics.status).toBe('complete');
  });
});

/**
 * The `distributed` option (docs/api.md §2, docs/distributed.md): a sample-parallel run on c10d, libtorch's distributed
 * engine. Given explicitly, or — when absent — read from the torchrun environment (`RANK`,
 * `WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT`, `LOCAL_RANK`), so that torchrun-style launchers and
 * Slurm wrappers that set these work unchanged. `distributed: false` ignores the environment.
 * Called by `resolveOptions` (solver/options.ts), the one validation boundary: every bad value is a
 * `SpecError` whose path starts with `distributed` (an environment variable is named in the
 * message).
 */
import { SpecError } from '../errors';
import { describe } from '../problem/expr';
import { expectObject, expectPositive, rejectUnknownKeys } from '../problem/validate';

/** The c10d backend: 'gloo' (CPU tensors) or 'nccl' (CUDA tensors). */
export type DistributedBackend = 'gloo' | 'nccl';

/** A sample-parallel run's place in it: rank, size and rendezvous (docs/distributed.md). */
export interface DistributedOptions {
  /** This process's rank, 0 ≤ rank < worldSize. */
  rank: number;
  /** Processes in the run. */
  worldSize: number;
  /** Rank 0's host, where the rendezvous store listens (e.g. '127.0.0.1'). */
  address: string;
  /** The store's TCP port on rank 0's host. */
  port: number;
  /** 'gloo' (CPU tensors) or 'nccl' (CUDA); default (or null): 'nccl' on CUDA, else 'gloo'. */
  backend?: DistributedBackend | null;
  /** Rendezvous and every collective fail after this long without a peer (default 300). */
  timeoutSeconds?: number;
  /** This process's index on its machine, its CUDA device (default `LOCAL_RANK`, else `rank`). */
  localRank?: number;
}

export interface ResolvedDistributed {
  readonly rank: number;
  readonly worldSize: number;
  /** This process's index on its machine (`LOCAL_RANK`; default `rank`): its CUDA device. */
  readonly localRank: number;
  readonly address: string;
  readonly port: number;
  /** null: chosen by the device ('nccl' on CUDA, else 'gloo'). */
  readonly backend: DistributedBackend | null;
  readonly timeoutSeconds: number;
}

export const DEFAULT_TIMEOUT_SECONDS = 300;
const KEYS = ['rank', 'worldSize', 'address', 'port', 'backend', 'timeoutSeconds', 'localRank'];
const MAX_WORLD = 65_536;

/** The torchrun variables, by option. */
export const TORCHRUN_ENV = {
  rank: 'RANK',
  worldSize: 'WORLD_SIZE',
  address: 'MASTER_ADDR',
  port: 'MASTER_PORT',
  localRank: 'LOCAL_RANK',
} as const;

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * `distributed` → the resolved run, or null for a one-process run (`false` or null, or absent with
 * no `WORLD_SIZE`/`RANK` in `env`).
 */
export function readDistributed(v: unknown, env: Environment): ResolvedDistributed | null {
  if (v === false || v === null) return null;
  if (v === undefined) return fromEnvironment(env);
  const o = expectObject('distributed', v);
  rejectUnknownKeys('distributed', o, KEYS);
  for (const key of ['rank', 'worldSize', 'address', 'port'] as const) {
    if (o[key] === undefined) {
      throw new SpecError(`distributed.${key}`, `missing (give rank, worldSize, address and port)`);
    }
  }
  const worldSize = integer('distributed.worldSize', o.worldSize, 1, MAX_WORLD);
  const rank = integer('distributed.rank', o.rank, 0, worldSize - 1);
  return {
    rank,
    worldSize,
    localRank:
      o.localRank !== undefined
        ? integer('distributed.localRank', o.localRank, 0, MAX_WORLD)
        : env[TORCHRUN_ENV.localRank] === undefined
          ? rank
          : envInteger(env, 'localRank', 0, MAX_WORLD),
    address: address('distributed.address', o.address),
    port: integer('distributed.port', o.port, 1, 65_535),
    backend: backend(o.backend),
    timeoutSeconds:
      o.timeoutSeconds === undefined
        ? DEFAULT_TIMEOUT_SECONDS
        : expectPositive('distributed.timeoutSeconds', o.timeoutSeconds),
  };
}

function fromEnvironment(env: Environment): ResolvedDistributed | null {
  if (env[TORCHRUN_ENV.worldSize] === undefined && env[TORCHRUN_ENV.rank] === undefined) return null;
  for (const key of ['rank', 'worldSize', 'address', 'port'] as const) {
    if (env[TORCHRUN_ENV[key]] === undefined) {
      const set = Object.values(TORCHRUN_ENV).filter((name) => env[name] !== undefined);
      throw new SpecError(
        `distributed.${key}`,
        `the environment sets ${set.join(', ')} but not ${TORCHRUN_ENV[key]} (a torchrun-style launch sets ` +
          'RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT; or pass distributed: false)',
      );
    }
  }
  const worldSize = envInteger(env, 'worldSize', 1, MAX_WORLD);
  const rank = envInteger(env, 'rank', 0, worldSize - 1);
  return {
    rank,
    worldSize,
    localRank: env[TORCHRUN_ENV.localRank] === undefined ? rank : envInteger(env, 'localRank', 0, MAX_WORLD),
    address: address('distributed.address', env[TORCHRUN_ENV.address], TORCHRUN_ENV.address),
    port: envInteger(env, 'port', 1, 65_535),
    backend: null,
    timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
  };
}

function integer(path: string, v: unknown, min: number, max: number, variable?: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const from = variable === undefined ? '' : ` (from the environment variable ${variable})`;
    throw new SpecError(path, `expected an integer in ${min}..${max}, got ${describe(v)}${from}`);
  }
  return v;
}

function envInteger(env: Environment, key: keyof typeof TORCHRUN_ENV, min: number, max: number): number {
  const name = TORCHRUN_ENV[key];
  const text = env[name] ?? '';
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : text;
  return integer(`distributed.${key}`, value, min, max, name);
}

function address(path: string, v: unknown, variable?: string): string {
  if (typeof v !== 'string' || v.trim() === '' || /\s/.test(v.trim())) {
    const from = variable === undefined ? '' : ` (from the environment variable ${variable})`;
    throw new SpecError(path, `expected a host name or IP address, got ${describe(v)}${from}`);
  }
  return v.trim();
}

function backend(v: unknown): DistributedBackend | null {
  if (v === undefined || v === null) return null;
  if (v !== 'gloo' && v !== 'nccl') {
    throw new SpecError('distributed.backend', `expected 'gloo' or 'nccl', got ${describe(v)}`);
  }
  return v;
}

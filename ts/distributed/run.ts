/**
 * What a `NeuralIVP` needs to take part in a sample-parallel run: the configuration every process
 * must share (compared at the rendezvous, so that a process started with another problem, other
 * options or another network size is named instead of silently computing something else), and
 * the native join request.
 */
import { createHash } from 'node:crypto';
import type { ResolvedOptions } from '../solver/options';
import type { SessionDistributedConfig } from '../solver/session';
import type { DistributedBackend, ResolvedDistributed } from './options';

/** The backend of a run: the option's, else 'nccl' on CUDA and 'gloo' on the CPU. */
export function backendFor(d: ResolvedDistributed, device: 'cpu' | 'cuda'): DistributedBackend {
  return d.backend ?? (device === 'cuda' ? 'nccl' : 'gloo');
}

/**
 * [name, value] pairs that every process must agree on: the problem (name, parameters and a hash
 * of its compiled plan), every option that changes the computation, the device, p and the
 * libtorch version (two libtorch builds may round differently, and θ must stay bitwise equal).
 */
export function configurationFingerprint(
  options: ResolvedOptions,
  device: 'cpu' | 'cuda',
  parameterCount: number,
  torchVersion: string,
): [string, string][] {
  const { problem } = options;
  const plan = createHash('sha256').update(JSON.stringify(problem.plan)).digest('hex').slice(0, 16);
  return [
    ['problem', `${problem.name} ${JSON.stringify(problem.params)}`],
    ['problem plan (hash)', plan],
    ['network', JSON.stringify(options.network)],
    ['parameters p', String(parameterCount)],
    ['samples', String(options.samples.count)],
    ['sampling', JSON.stringify({ sequence: options.samples.sequence, importance: options.samples.importance })],
    ['margin', String(options.margin)],
    ['linear', JSON.stringify(options.linear)],
    ['integrator', JSON.stringify(options.integrator)],
    ['fit', JSON.stringify(options.fit)],
    ['restarts', JSON.stringify(options.restarts)],
    ['dtype', options.dtype],
    ['device', device],
    ['seed', String(options.seed)],
    ['memoryBudget', String(options.memoryBudget)],
    ['libtorch', torchVersion],
  ];
}

export function joinRequest(
  d: ResolvedDistributed,
  device: 'cpu' | 'cuda',
  fingerprint: [string, string][],
): SessionDistributedConfig {
  return {
    rank: d.rank,
    worldSize: d.worldSize,
    address: d.address,
    port: d.port,
    backend: backendFor(d, device),
    timeoutSeconds: d.timeoutSeconds,
    fingerprint,
  };
}

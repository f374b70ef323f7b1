/**
 * Where the solver gets its native session: `createSession(config)` is the one line that
 * constructs it, so the binding's name can change in one place.
 */
import { type DeviceName, native } from '../native';
import type { Handle, NativeSession, SessionConfig } from './session';

/**
 * A session that can also evaluate on the calling thread. `Solution.evaluate` is synchronous in
 * the contract (API.md §3: `evaluate(points, t): Float64Array`), which needs this; the async
 * `evaluate` of `NativeSession` serves `Solution.evaluateAsync`.
 */
export interface SolverSession extends NativeSession {
  evaluateSync?(theta: Handle, points: Float64Array): Float64Array;
}

/** A new native session. */
export function createSession(config: SessionConfig): SolverSession {
  return new (native().Session)(config);
}

/** True when the addon loads and reports CUDA. */
export function cudaAvailable(): boolean {
  try {
    return native().cudaAvailable();
  } catch {
    return false;
  }
}

/** The device a stored or requested 'cuda' runs on here: 'cuda' when available, else 'cpu'. */
export function availableDevice(requested: DeviceName | undefined): DeviceName {
  return requested === 'cuda' && cudaAvailable() ? 'cuda' : 'cpu';
}

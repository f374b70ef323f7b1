/**
 * Where the solver gets its native session: `createSession(config)` is the one line that
 * constructs it, so the binding's name can change in one place.
 */
import { type DeviceName, type NativeAddon, native } from '../native';
import type { Handle, NativeSession, SessionConfig } from './session';

/**
 * A session that can also evaluate on the calling thread. `Solution.evaluate` is synchronous in
 * the contract (API.md §3: `evaluate(points, t): Float64Array`), which needs this; the async
 * `evaluate` of `NativeSession` serves `Solution.evaluateAsync`.
 */
export interface SolverSession extends NativeSession {
  evaluateSync?(theta: Handle, points: Float64Array): Float64Array;
}

type SessionConstructor = new (config: SessionConfig) => SolverSession;
type AddonWithSession = NativeAddon & { Session?: SessionConstructor };

/** True when the loaded addon has the native Session (false too when it cannot be loaded). */
export function hasNativeSession(): boolean {
  try {
    return typeof (native() as AddonWithSession).Session === 'function';
  } catch {
    return false;
  }
}

/** A new native session. */
export function createSession(config: SessionConfig): SolverSession {
  const addon = native() as AddonWithSession;
  if (typeof addon.Session !== 'function') {
    throw new Error(
      "neural-ivp: this build of the native addon has no Session; rebuild it ('npm run build:native' in the repository)",
    );
  }
  return new addon.Session(config);
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

// Where the solver gets its native session: `createSession(config)` is the one line that
// constructs it, so the binding's name can change in one place.
import { native } from '../native';
import type { DeviceName } from '../native-config';
import type { NativeSession, SessionConfig } from './session';

/** A new native session. */
export function createSession(config: SessionConfig): NativeSession {
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

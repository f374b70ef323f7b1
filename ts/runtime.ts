// What the loaded native core runs on.
import { native } from './native';

export interface RuntimeInfo {
  torchVersion: string;
  cuda: boolean;
  /** libtorch intra-op threads (set to the core count at load). */
  threads: number;
}

export function runtimeInfo(): RuntimeInfo {
  const addon = native();
  return { torchVersion: addon.torchVersion(), cuda: addon.cudaAvailable(), threads: addon.threads() };
}

/** Sets libtorch's intra-op threads; 0 means one per core. Returns the count in effect. */
export function setThreads(threads: number): number {
  return native().setThreads(threads);
}

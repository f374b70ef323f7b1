// The memory budget a session runs under: the user's bytes, or for 'auto' what the device offers.
import { native } from '../native';
import type { DeviceName } from '../native-config';

const GiB = 2 ** 30;

/** 'auto' on a CPU: a fixed budget, so that a run's chunking does not depend on the machine's load. */
export const CPU_MEMORY_BUDGET = 4 * GiB;

/** The share of a GPU's free memory that 'auto' gives a session's temporaries and dense solves. */
export const GPU_FREE_SHARE = 0.5;

/**
 * Bytes for `memoryBudget` on `device`: a number as given; 'auto' 4 GiB on a CPU, and on CUDA half
 * the device's free memory now (4 GiB when the runtime cannot say).
 */
export function memoryBudgetFor(budget: number | 'auto', device: DeviceName): number {
  if (budget !== 'auto') return budget;
  if (device !== 'cuda') return CPU_MEMORY_BUDGET;
  const free = native().deviceMemory('cuda').free;
  return free === null ? CPU_MEMORY_BUDGET : Math.max(2 ** 20, Math.floor(free * GPU_FREE_SHARE));
}

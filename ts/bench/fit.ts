// The initial fit, one row per method: the catalogue's 2D heat initial condition
// u0 = cos(πx/2)·cos(πy/2) with a 3 × 48 network (p = 5,953), each method given the same wall-clock
// budget and a tolerance it may stop at. The figures: the held-out relative error reached, the
// seconds it took, and its iterations.
import { performance } from 'node:perf_hooks';
import { problems } from '../problems/index';
import type { FitStopReason } from '../solver/fit-report';
import { NeuralIVP } from '../solver/neural-ivp';
import type { FitMethod, FitOptions } from '../solver/options';

export interface FitRow {
  method: FitMethod;
  p: number;
  seconds: number;
  relative_error: number;
  iterations: number;
  stopped: FitStopReason;
  /** The tolerance and wall-clock budget the fit ran under. */
  tol: number;
  budget_seconds: number;
}

/** Both methods on the same problem, network and budget (quick: 10 s, else 30 s). */
export async function measureFit(quick: boolean, signal?: AbortSignal): Promise<FitRow[]> {
  const budget = quick ? 10 : 30;
  const tol = 1e-6;
  const methods: Record<FitMethod, FitOptions> = {
    'gauss-newton': { method: 'gauss-newton', tol, maxSeconds: budget },
    // Adam as the reference implementation runs it, at a CPU-sized batch.
    adam: { method: 'adam', tol, maxSeconds: budget, batch: 2000, lr: 1e-3 },
  };
  const rows: FitRow[] = [];
  for (const [method, fit] of Object.entries(methods) as [FitMethod, FitOptions][]) {
    const ivp = new NeuralIVP({
      problem: problems.heat({ dim: 2 }),
      network: { width: 48, depth: 3 },
      fit,
      device: 'cpu',
      seed: 0,
    });
    const start = performance.now();
    const report = await ivp.fit({ signal });
    rows.push({
      method,
      p: ivp.parameterCount,
      seconds: (performance.now() - start) / 1000,
      relative_error: report.relativeError,
      iterations: report.iterations,
      stopped: report.stopped,
      tol,
      budget_seconds: budget,
    });
  }
  return rows;
}

// The options of a small end-to-end run: a network, samples and a fit sized for CI's cores.
import { testDevice } from './device';

/** Width 24 × 2, 1,500 samples, a Gauss–Newton fit to 1e-5 within 60 iterations or 60 s, RK45 at 1e-4. */
export const SMALL_RUN = {
  network: { width: 24, depth: 2 },
  samples: 1500,
  fit: { tol: 1e-5, maxIterations: 60, maxSeconds: 60, samples: 1000, rank: 40 },
  integrator: { rtol: 1e-4 },
  seed: 2,
  device: testDevice,
} as const;

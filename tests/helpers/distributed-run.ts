// The small run that the distributed tests solve in one process and in several.
import type { NeuralIVPOptions } from '../../ts/index';
import type { Problem } from '../../ts/problem/define';

export function smallRun(problem: Problem): NeuralIVPOptions {
  return {
    problem,
    network: { width: 10, depth: 2, frequencies: 2 },
    samples: 101, // odd: the two shares differ in size
    // Adam: the Gauss–Newton fit's own test below (its damped solves amplify rounding further).
    // A short fit far from the default tolerance: these runs compare processes, not accuracy.
    fit: {
      method: 'adam',
      steps: 25,
      batch: 33,
      headSamples: 65,
      lr: 3e-3,
      headTuning: false, // see the head-tuning test
      allowPoorFit: true,
    },
    // A fresh preconditioner per solve: a kept one is rebuilt when CG's iterations pass a cap, and a
    // count that rounding moves by one changes which preconditioner solves next (θ then agrees to
    // CG's tolerance, not to rounding).
    linear: { method: 'pcg', rank: 12, tol: 1e-11, reusePreconditioner: false },
    integrator: { method: 'rk23', rtol: 2e-3 },
    restarts: false,
    dtype: 'float64',
    device: 'cpu',
    seed: 7,
  };
}

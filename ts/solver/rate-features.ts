/**
 * Features for a field that starts at zero (v in u_t = v, v_t = Δu from rest). Fitted to zero, its
 * network ends with a zero last layer (or one near it), so its tangent space at t = 0 is that
 * layer's features alone, drawn at random: the first steps cannot hold v_t = Δu0, their error
 * estimates stay far above the truncation error and the steps start tiny and grow slowly. Fitting
 * the field's network to its initial rate f(u0) instead and then zeroing its last layer keeps u0
 * exact (the field is still zero) while the features left are those that represent f(u0), which
 * is what the first steps add to the field.
 */
import type { Problem } from '../problem/define';
import { type InitialRate, initialRate, pilotRate } from './initial-rhs';
import type { ResolvedOptions } from './options';
import { wallClock } from './restarts';
import { poolSize, uniformPoints } from './sampler';
import type { FitConfig, Handle, NativeSession } from './session';
import { sampledBox } from './session-config';

/**
 * The fields whose u0 is zero at every point of `rate` (initial-rhs.ts, `initialRate`) while their
 * rate f(u0) is not zero at all of them.
 */
export function zeroFields({ u0, rate }: InitialRate): boolean[] {
  // A field whose rate is zero too stays at rest: its random features are as good as any.
  return u0.map((values, f) => values.every((v) => v === 0) && rate[f].some((v) => v !== 0 && Number.isFinite(v)));
}

/**
 * The fit's targets for the rate features at n points (n×k, row-major): f(u0) for the fields in
 * `fields`, zero for the rest (their blocks are not used), or null where f(u0) is not finite at
 * some point (the rate cannot be fitted; the field keeps its fit to zero).
 */
export function rateTargets(
  problem: Problem,
  fields: readonly boolean[],
  x: Float64Array,
  n: number,
  lower: readonly number[],
  upper: readonly number[],
): Float64Array | null {
  const { rate } = initialRate(problem, x, n, lower, upper);
  const k = problem.fields.length;
  const values = new Float64Array(n * k);
  for (let f = 0; f < k; f++) {
    if (!fields[f]) continue;
    for (let p = 0; p < n; p++) {
      if (!Number.isFinite(rate[f][p])) return null;
      values[p * k + f] = rate[f][p];
    }
  }
  return values;
}

/**
 * θ0 with the blocks of `fields` taken from the rate fit's θ and their last layer (its `width`
 * weights and its bias, the end of each field's block: docs/api.md, "Parameter layout") set to
 * zero, so those fields are exactly zero again.
 */
export function withRateFeatures(
  theta0: Float64Array,
  rateTheta: Float64Array,
  fields: readonly boolean[],
  width: number,
): Float64Array {
  const blockSize = theta0.length / fields.length;
  const theta = Float64Array.from(theta0);
  fields.forEach((take, f) => {
    if (!take) return;
    const start = f * blockSize;
    const end = start + blockSize;
    theta.set(rateTheta.subarray(start, end), start);
    theta.fill(0, end - width - 1, end);
  });
  return theta;
}

/** What the rate features' fit did (`FitReport.rateFeatures`). */
export interface RateFeaturesReport {
  /** The fields that start at zero whose networks hold the features of their rate f(u0). */
  readonly fields: readonly string[];
  /** The rate fit's relative L2 error against f(u0) on its pool of points. */
  readonly relativeError: number;
  /** Its wall seconds, part of the fit's. */
  readonly seconds: number;
}

/**
 * The features need not match f(u0) as closely as θ0 must match u0: the first steps' projection
 * only has to hold f(u0) far better than random features do, so the rate fit stops at ten times
 * the fit's tolerance and within half of its time budget.
 */
const RATE_TOL_FACTOR = 10;
const RATE_TIME_SHARE = 0.5;

/**
 * θ0 (a handle, not released) given rate features (above), with their report; null where no field
 * starts at zero with a non-zero rate, where it is off (`fit.rateFeatures`, an 'exp' output, no
 * fit iterations, u0 given by `initialValues`), or where the rate fit failed.
 */
export async function fitRateFeatures(
  session: NativeSession,
  options: ResolvedOptions,
  config: FitConfig,
  theta0: Handle,
): Promise<{ theta: Handle; report: RateFeaturesReport } | null> {
  const { problem } = options;
  if (!options.fit.rateFeatures || options.network.output !== 'linear' || config.maxIterations === 0) return null;
  // Second differences of a u0 given by values are only as good as its function (an interpolant's
  // are noise): its rate is not fitted.
  if (problem.plan.initial === null) return null;
  const started = wallClock();
  const box = sampledBox(problem, options.margin);
  const fields = zeroFields(pilotRate(problem, box.lower, box.upper));
  if (!fields.some(Boolean)) return null;
  const n = poolSize(config);
  const points = uniformPoints(n, box.lower, box.upper, options.seed);
  const values = rateTargets(problem, fields, points, n, box.lower, box.upper);
  if (values === null) return null;
  const rateConfig: FitConfig = {
    ...config,
    tol: config.tol * RATE_TOL_FACTOR,
    maxSeconds: config.maxSeconds * RATE_TIME_SHARE,
  };
  const fitted = await session.fitInitial(rateConfig, { points, values });
  try {
    if (!fitted.finite) return null;
    const theta = withRateFeatures(session.read(theta0), session.read(fitted.theta), fields, options.network.width);
    return {
      theta: session.write(theta),
      report: Object.freeze({
        fields: Object.freeze(problem.fields.filter((_, f) => fields[f])),
        relativeError: fitted.relativeError,
        seconds: wallClock() - started,
      }),
    };
  } finally {
    session.release(fitted.theta);
  }
}

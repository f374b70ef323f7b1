// node --import tsx ts/bench/ou-error-map.ts [DIM [JSON [T]]]: where the error of the suite's
// Ornstein–Uhlenbeck case (ou-4d by default) sits. Fits and evolves it with the defaults (JSON
// merged over them), saving every 0.025 to T (default 0.25), then at each saved time splits the
// relative L2 error by the Mahalanobis radius r of the point under the exact Gaussian: 200,000
// points, half from a Gaussian 1.5× the exact width around its mean and half uniform, each term
// weighted by p/q. With TOP=1 it also lists the largest terms outside r = 4 (where, u, exact).
import { NeuralIVP } from '../solver/neural-ivp';
import type { NeuralIVPOptions } from '../solver/options';
import { ouMoments } from './suite-concentrated';
import { concentratedCases } from './suite-problems';

const POINTS = 200_000;
const WIDEN = 1.5;
const RADII = [1, 2, 3, 4, Number.POSITIVE_INFINITY];

function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

async function main(): Promise<void> {
  const [dimArg, json, end] = process.argv.slice(2);
  const d = dimArg === undefined ? 4 : Number(dimArg);
  const c = concentratedCases().find((s) => s.name === `ou-${d}d`);
  if (c === undefined) throw new Error(`no suite case ou-${d}d`);
  const T = end === undefined ? 0.25 : Number(end);
  const sigma0 = c.problem.params.sigma0;
  const extra = json === undefined ? {} : (JSON.parse(json) as Omit<NeuralIVPOptions, 'problem'>);
  const ivp = new NeuralIVP({ ...c.options(T), seed: 0, device: 'cpu', ...extra, problem: c.problem });
  const fit = await ivp.fit();
  console.log(`fit ${fit.relativeError.toExponential(2)} (${fit.iterations} iterations)`);
  const saveAt = Array.from({ length: Math.round(T / 0.025) + 1 }, (_, k) => k * 0.025);
  const solution = await ivp.evolve(T, { saveAt });
  console.log(`${solution.stats.steps} steps (${solution.stats.rejectedSteps} rejected)`);
  for (const t of saveAt) {
    const { mean: m, variance } = ouMoments(d, sigma0, t);
    const sd = variance.map(Math.sqrt);
    const points = new Float64Array(POINTS * d);
    const q = new Float64Array(POINTS);
    for (let k = 0; k < POINTS; k++) {
      const near = k % 2 === 0;
      let g = 1;
      let inside = true;
      for (let i = 0; i < d; i++) {
        const x = near ? m[i] + WIDEN * sd[i] * gaussian() : 2 * Math.random() - 1;
        const z = (x - m[i]) / (WIDEN * sd[i]);
        g *= Math.exp((-z * z) / 2) / (Math.sqrt(2 * Math.PI) * WIDEN * sd[i]);
        if (Math.abs(x) > 1) inside = false;
        points[k * d + i] = x;
      }
      // Points outside the box carry no error; they are evaluated at the centre and skipped.
      q[k] = inside ? 0.5 * g + 0.5 / 2 ** d : Number.NaN;
      if (!inside) points.fill(0, k * d, k * d + d);
    }
    const u = solution.evaluate(points, t);
    const binned = RADII.map(() => 0);
    const largest: { term: number; x: number[]; u: number; exact: number }[] = [];
    let norm = 0;
    for (let k = 0; k < POINTS; k++) {
      if (Number.isNaN(q[k])) continue;
      let exact = 1;
      let r2 = 0;
      const x: number[] = [];
      for (let i = 0; i < d; i++) {
        const xi = points[k * d + i];
        x.push(xi);
        r2 += ((xi - m[i]) / sd[i]) ** 2;
        exact *= Math.exp(-((xi - m[i]) ** 2) / (2 * sd[i] ** 2)) / (Math.sqrt(2 * Math.PI) * sd[i]);
      }
      const bin = RADII.findIndex((r) => Math.sqrt(r2) < r);
      const term = (u[k] - exact) ** 2 / q[k];
      binned[bin] += term;
      norm += exact ** 2 / q[k];
      if (bin === RADII.length - 1) largest.push({ term, x, u: u[k], exact });
    }
    const total = Math.sqrt(binned.reduce((s, b) => s + b, 0) / norm);
    const shares = binned.map((b) => Math.sqrt(b / norm).toExponential(1)).join(', ');
    console.log(`t ${t.toFixed(3)}: ${total.toExponential(2)}; by r < 1, 2, 3, 4, ∞: ${shares}`);
    if (process.env.TOP === '1') {
      largest.sort((p, r) => r.term - p.term);
      const outside = binned[RADII.length - 1];
      for (const { term, x, u: v, exact } of largest.slice(0, 5)) {
        const at = x.map((z) => z.toFixed(2)).join(', ');
        console.log(
          `  ${(term / outside).toFixed(3)} of r ≥ 4 at (${at}): u ${v.toExponential(2)}, exact ${exact.toExponential(2)}`,
        );
      }
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// Where the right-hand sides of Figure 3's problems live: the share of ‖f‖² (uniform measure on
// the box, at t = 0) within a distance δ of the box's faces. The paper's problems (appendix B)
// keep u = 0 on the faces, so every network output there is B·m with B vanishing on them and
// every Jθ̇ vanishes too, while f need not: Fokker–Planck's u0 vanishes on the faces but its
// derivatives do not; Vlasov's u0 is small there but not zero. A projection that cannot follow f
// into a layer of width δ keeps at least the square root of that share as its relative residual,
// whatever the method.
//
//   node --import tsx examples/figure3-faces.ts [--points N] [--seed S]
import { mulberry32 } from '../ts/util/random';
import { flag } from './lib/flags';

const deltas = [0.005, 0.0125, 0.025, 0.05, 0.1];
const points = Number(flag('points', '400000'));
const seed = Number(flag('seed', '1'));
if (!(Number.isInteger(points) && points > 0))
  throw new RangeError(`--points must be a positive integer, got ${points}`);

interface Panel {
  readonly name: string;
  readonly dim: number;
  /** f(x, 0) for the panel's u0 (closed form). */
  readonly rightHandSide: (x: Float64Array) => number;
}

/** f = DΔu − h·∇u − u ∇·h for u0 = (3/4)^8 Π(1 − x_i²), h(x) = (a − x) + α(11ᵀ/d − I)x. */
function fokkerPlanck(x: Float64Array): number {
  const d = x.length;
  const [D, alpha, a] = [0.01, 0.25, 0.2];
  const scale = 0.75 ** d;
  const factors = Array.from(x, (xi) => 1 - xi * xi);
  const product = factors.reduce((p, v) => p * v, 1);
  const mean = x.reduce((s, v) => s + v, 0) / d;
  let laplacian = 0;
  let drift = 0;
  for (let i = 0; i < d; i++) {
    // u0's product without axis i, taken directly: x_i = −1 (a draw of exactly 0) would make a
    // quotient 0/0.
    const others = scale * factors.reduce((p, v, j) => (j === i ? p : p * v), 1);
    laplacian += -2 * others;
    drift += (a - x[i] + alpha * (mean - x[i])) * (-2 * x[i] * others);
  }
  const divergence = -d + alpha * (1 - d);
  return D * laplacian - drift - scale * product * divergence;
}

/** f = −v·∇ₓu − E·∇ᵥu for u0 ∝ exp(−(|x|² + |v|²)/(2·0.3²)), E = ∇ₓ exp(−|x|²); x = first three axes. */
function vlasov(z: Float64Array): number {
  const s2 = 0.09;
  let r2 = 0;
  let x2 = 0;
  for (let i = 0; i < 6; i++) r2 += z[i] * z[i];
  for (let i = 0; i < 3; i++) x2 += z[i] * z[i];
  const u = Math.exp(-r2 / (2 * s2));
  const field = Math.exp(-x2);
  let f = 0;
  for (let i = 0; i < 3; i++) {
    const [x, v] = [z[i], z[i + 3]];
    const force = -2 * x * field;
    f += -v * (-x / s2) * u - force * (-v / s2) * u;
  }
  return f;
}

const panels: Panel[] = [
  { name: 'Fokker–Planck 8D', dim: 8, rightHandSide: fokkerPlanck },
  { name: 'Vlasov 6D', dim: 6, rightHandSide: vlasov },
];

for (const panel of panels) {
  const random = mulberry32(seed);
  const x = new Float64Array(panel.dim);
  let total = 0;
  const near = deltas.map(() => 0);
  for (let s = 0; s < points; s++) {
    let distance = 1;
    for (let i = 0; i < panel.dim; i++) {
      x[i] = 2 * random() - 1;
      distance = Math.min(distance, 1 - Math.abs(x[i]));
    }
    const f2 = panel.rightHandSide(x) ** 2;
    total += f2;
    deltas.forEach((delta, k) => {
      if (distance < delta) near[k] += f2;
    });
  }
  console.log(`\n${panel.name} at t = 0, ${points} uniform points on [-1, 1]^${panel.dim}:`);
  console.log('| δ | share of the box within δ of a face | share of ‖f‖² there | its square root |');
  console.log('|---|---|---|---|');
  deltas.forEach((delta, k) => {
    const volume = 1 - (1 - delta) ** panel.dim;
    const share = near[k] / total;
    console.log(
      `| ${delta} | ${volume.toFixed(3)} | ${share.toExponential(2)} | ${Math.sqrt(share).toExponential(2)} |`,
    );
  });
}
